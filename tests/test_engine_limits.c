/*
 * The engine's receive bounds (docs/robustness.md), against an in-memory
 * peer (mqs_transport_mem through connect_hook): a 2 MB PUBLISH is received;
 * a packet over --max-packet-size ends the case as ERROR naming our limit, never
 * as FAIL; a flood the steps do not take is held back (not read) until they do;
 * every decided case says why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mqttspec/engine.h"
#include "mqttspec/result.h"

static const uint8_t CONNACK311[] = {0x20, 0x02, 0x00, 0x00};

/* What the peer sends when our CONNECT arrives: CONNACK, then `after` (len bytes); with `every`, `after`
 * again and a PINGRESP for each later packet of ours. */
typedef struct script {
    const uint8_t *after;
    size_t len;
    bool every;
    mqs_mem_peer *peer;
    bool sent;
} script;

static void on_write(mqs_mem_peer *p, void *ctx)
{
    static const uint8_t pingresp[] = {0xd0, 0x00};
    script *s = ctx;
    if (s->sent && !s->every)
        return;
    assert_true(mqs_mem_peer_send(p, s->sent ? pingresp : CONNACK311, s->sent ? sizeof pingresp : sizeof CONNACK311));
    s->sent = true;
    assert_true(mqs_mem_peer_send(p, s->after, s->len));
}

static mqs_transport *connect_hook(void *ctx, const char *conn_name, char *err, size_t err_cap)
{
    (void)conn_name;
    (void)err;
    (void)err_cap;
    script *s = ctx;
    mqs_transport *t = mqs_transport_mem(&s->peer, 1 << 20);
    assert_non_null(t);
    mqs_mem_peer_on_write(s->peer, on_write, s);
    return t;
}

/* Run the scenario (JSON text) at 3.1.1 against the script; the case is in run->cases[0]. */
static mqs_case *run_against(mqs_run *run, const char *json, script *s, uint32_t max_packet_size)
{
    char path[] = "/tmp/test_engine_limits_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    mqs_scenario sc;
    char err[512];
    int rc = mqs_scenario_load(path, &sc, err, sizeof err);
    unlink(path);
    if (rc != 0)
        fail_msg("scenario: %s", err);
    mqs_run_opts opts;
    mqs_run_opts_init(&opts);
    opts.connect_hook = connect_hook;
    opts.connect_hook_ctx = s;
    opts.max_packet_size = max_packet_size;
    memset(run, 0, sizeof *run);
    mqs_case *c = mqs_run_add_case(run);
    assert_non_null(c);
    mqs_run_case(&sc, MQTT_V311, &opts, 0, c);
    mqs_scenario_free(&sc);
    mqs_mem_peer_free(s->peer);
    return c;
}

static const char EXPECT_PUBLISH[] =
    "{\"id\": \"big\", \"title\": \"t\", \"spec\": [\"3.1.1:MQTT-3.3.4-1\"], \"versions\": [\"3.1.1\"], \"timeout_ms\": 5000, \"steps\": ["
    " {\"connect\": \"c\"}, {\"expect\": \"c\", \"packet\": {\"type\": \"PUBLISH\", \"topic\": \"big\"}}]}";

/* A QoS 0 PUBLISH on "big" whose whole packet is `total` bytes (4-byte remaining length). */
static uint8_t *big_publish(size_t total)
{
    uint8_t *p = malloc(total);
    assert_non_null(p);
    size_t rl = total - 5;
    p[0] = 0x30;
    p[1] = (uint8_t)(0x80 | (rl & 0x7f));
    p[2] = (uint8_t)(0x80 | (rl >> 7 & 0x7f));
    p[3] = (uint8_t)(0x80 | (rl >> 14 & 0x7f));
    p[4] = (uint8_t)(rl >> 21);
    memcpy(p + 5, "\x00\x03" "big", 5);
    memset(p + 10, 'x', total - 10);
    return p;
}

static void test_two_megabyte_publish_received(void **state)
{
    (void)state;
    size_t total = 2u << 20;
    uint8_t *pkt = big_publish(total);
    script s = {.after = pkt, .len = total};
    mqs_run run;
    mqs_case *c = run_against(&run, EXPECT_PUBLISH, &s, 0);
    if (c->verdict != MQS_PASS)
        fail_msg("%s: %s", mqs_verdict_name(c->verdict), c->message ? c->message : "");
    mqs_run_free(&run);
    free(pkt);
}

/* Over our own limit: ERROR naming the limit and its option, no statement cited. */
static void test_packet_over_our_limit_is_error(void **state)
{
    (void)state;
    size_t total = 2u << 20;
    uint8_t *pkt = big_publish(total);
    script s = {.after = pkt, .len = total};
    mqs_run run;
    mqs_case *c = run_against(&run, EXPECT_PUBLISH, &s, 1u << 20);
    assert_int_equal(c->verdict, MQS_ERROR);
    assert_null(c->statement);
    assert_non_null(strstr(c->message, "--max-packet-size"));
    assert_non_null(strstr(c->message, "1048576"));
    mqs_run_free(&run);
    free(pkt);
}

/* The largest remaining length the protocol allows, announced and never sent: ERROR at once. */
static void test_announced_maximum_is_error_at_once(void **state)
{
    (void)state;
    static const uint8_t header[] = {0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 't'};
    script s = {.after = header, .len = sizeof header};
    mqs_run run;
    mqs_case *c = run_against(&run, EXPECT_PUBLISH, &s, 0);
    assert_int_equal(c->verdict, MQS_ERROR);
    assert_non_null(strstr(c->message, "268435460 bytes"));
    assert_non_null(strstr(c->message, "--max-packet-size"));
    assert_true(c->duration_ms < 1000); /* not left waiting for 256 MB that never come */
    mqs_run_free(&run);
}

/* n copies of a 5-byte QoS 0 PUBLISH on "t". */
static uint8_t *flood(size_t n)
{
    static const uint8_t one[] = {0x30, 0x03, 0x00, 0x01, 't'};
    uint8_t *p = malloc(n * sizeof one);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        memcpy(p + i * sizeof one, one, sizeof one);
    return p;
}

/*
 * Packets no step takes fill the inbox to its bound, then the connection is held back (neither parsed nor
 * read): no ERROR, and the steps that come later take the packets in order.
 */
static void test_flood_is_held_back(void **state)
{
    (void)state;
    static const char json[] =
        "{\"id\": \"idle\", \"title\": \"t\", \"spec\": [\"3.1.1:MQTT-3.3.4-1\"], \"versions\": [\"3.1.1\"], \"timeout_ms\": 5000, \"steps\": ["
        " {\"connect\": \"c\"}, {\"sleep_ms\": 300},"
        " {\"expect\": \"c\", \"packet\": {\"type\": \"PUBLISH\", \"topic\": \"t\"}},"
        " {\"expect\": \"c\", \"packet\": {\"type\": \"PUBLISH\", \"topic\": \"t\"}},"
        " {\"expect\": \"c\", \"packet\": {\"type\": \"PUBLISH\", \"topic\": \"u\"}}]}";
    uint8_t *p = flood(1000);
    p[2 * 5 + 4] = 'u'; /* the third packet differs: the last step must see the packets in order */
    script s = {.after = p, .len = 1000 * 5};
    mqs_run run;
    mqs_case *c = run_against(&run, json, &s, 0);
    if (c->verdict != MQS_PASS)
        fail_msg("%d: %s", c->verdict, c->message ? c->message : "");
    mqs_run_free(&run);
    free(p);
}

/* Packets steps keep ignoring still count: the case's transcript is bounded too (200 a turn, 12 turns). */
static void test_flood_of_ignored_packets_is_error(void **state)
{
    (void)state;
    char json[2048];
    int n = snprintf(json, sizeof json,
                     "{\"id\": \"ign\", \"title\": \"t\", \"spec\": [\"3.1.1:MQTT-3.3.4-1\"], "
                     "\"versions\": [\"3.1.1\"], \"timeout_ms\": 5000, \"steps\": [{\"connect\": \"c\"}");
    for (int i = 0; i < 12; i++)
        n += snprintf(json + n, sizeof json - (size_t)n,
                      ", {\"send\": \"c\", \"packet\": {\"type\": \"PINGREQ\"}}, {\"expect\": \"c\", \"packet\": "
                      "{\"type\": \"PINGRESP\"}, \"ignore\": [{\"type\": \"PUBLISH\"}]}");
    snprintf(json + n, sizeof json - (size_t)n, "]}");
    uint8_t *p = flood(200);
    script s = {.after = p, .len = 200 * 5, .every = true};
    mqs_run run;
    mqs_case *c = run_against(&run, json, &s, 0);
    assert_int_equal(c->verdict, MQS_ERROR);
    if (!strstr(c->message, "2000 packets in this case"))
        fail_msg("%s", c->message);
    mqs_run_free(&run);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_megabyte_publish_received),
        cmocka_unit_test(test_packet_over_our_limit_is_error),
        cmocka_unit_test(test_announced_maximum_is_error_at_once),
        cmocka_unit_test(test_flood_is_held_back),
        cmocka_unit_test(test_flood_of_ignored_packets_is_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
