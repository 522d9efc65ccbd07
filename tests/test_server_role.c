/*
 * Server-role scenarios: the engine listens and plays the server for an MQTT
 * client under test.  Each test runs one case in-process against a tiny
 * scripted client on a thread of its own (mqs_transport_connect, the codec),
 * and checks the verdict; the loader's rules for the new fields come first.
 */
#define _DEFAULT_SOURCE /* mkstemps */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mqttspec/engine.h"
#include "mqttspec/packet_json.h"

/* ---- scenario files ---- */

/* A scenario file in /tmp holding text; the path is written to path. */
static void write_scenario(const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/mqttspec-server-role-XXXXXX.json");
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Load text; 0 or -1 with the message (without the temp path) in err. */
static int load_text(const char *text, mqs_scenario *sc, char *err, size_t cap)
{
    char path[64];
    write_scenario(text, path, sizeof path);
    err[0] = '\0';
    int rc = mqs_scenario_load(path, sc, err, cap);
    unlink(path);
    const char *tail = strstr(err, ": /");
    if (rc < 0 && tail)
        memmove(err, tail + 2, strlen(tail + 2) + 1);
    return rc;
}

static void expect_load_error(const char *text, const char *message)
{
    mqs_scenario sc;
    char err[1024];
    assert_int_equal(load_text(text, &sc, err, sizeof err), -1);
    assert_string_equal(err, message);
}

#define SERVER_HEAD                                                                                          \
    "{\"id\":\"client-t\",\"role\":\"server\",\"title\":\"t\",\"spec\":[\"3.1.1:MQTT-4.3.2-2\","          \
    "\"5.0:MQTT-4.3.2-4\"],\"versions\":[\"3.1.1\",\"5.0\"],"
#define SERVER_HEAD5                                                                                         \
    "{\"id\":\"client-t\",\"role\":\"server\",\"title\":\"t\",\"spec\":[\"5.0:MQTT-3.1.2-21\"],"            \
    "\"versions\":[\"5.0\"],"
#define CLIENT_HEAD "{\"id\":\"t-one\",\"title\":\"t\",\"spec\":[\"3.1.1:MQTT-3.12.4-1\"],\"versions\":[\"3.1.1\"],"

static void loader_role_and_accept(void **state)
{
    (void)state;
    mqs_scenario sc;
    char err[1024];
    assert_int_equal(load_text(SERVER_HEAD "\"steps\":[{\"accept\":\"c\",\"within_ms\":500},"
                                           "{\"expect\":\"c\",\"packet\":{\"type\":\"CONNECT\"}}]}",
                               &sc, err, sizeof err),
                     0);
    assert_int_equal(sc.role, MQS_ROLE_SERVER);
    assert_string_equal(mqs_role_name(sc.role), "server");
    mqs_scenario_free(&sc);
    assert_int_equal(load_text(CLIENT_HEAD "\"steps\":[{\"connect\":\"c\"}]}", &sc, err, sizeof err), 0);
    assert_int_equal(sc.role, MQS_ROLE_CLIENT);
    mqs_scenario_free(&sc);

    expect_load_error(CLIENT_HEAD "\"role\":\"broker\",\"steps\":[{\"connect\":\"c\"}]}",
                      "/role: must be one of the documented values");
    expect_load_error(SERVER_HEAD "\"steps\":[{\"connect\":\"c\"}]}",
                      "/steps/0/connect: not in a server-role scenario: the client under test connects (use accept)");
    expect_load_error(CLIENT_HEAD "\"steps\":[{\"accept\":\"c\"}]}",
                      "/steps/0/accept: only in a server-role scenario (\"role\": \"server\")");
    expect_load_error(SERVER_HEAD "\"steps\":[{\"accept\":\"c\",\"within_ms\":0}]}",
                      "/steps/0/within_ms: must be an integer 1..600000");
    expect_load_error(SERVER_HEAD "\"steps\":[{\"accept\":\"c\",\"packet\":{}}]}", "/steps/0/packet: unknown field");
    expect_load_error(SERVER_HEAD "\"steps\":[{\"expect\":\"c\",\"packet\":{}}]}",
                      "/steps/0/expect: connection 'c' is not opened by an earlier step");
}

static void loader_expect_fields(void **state)
{
    (void)state;
    mqs_scenario sc;
    char err[1024];
    assert_int_equal(load_text(SERVER_HEAD "\"steps\":[{\"accept\":\"c\"},{\"expect\":\"c\",\"packet\":"
                                           "{\"type\":\"PINGREQ\"},\"keep_alive_window\":[0,1.0],\"tolerance_ms\":"
                                           "1000,\"since\":\"last_received\",\"ignore\":[{\"type\":\"SUBSCRIBE\"}],"
                                           "\"precondition\":false},{\"one_of\":\"c\",\"precondition\":true,"
                                           "\"outcomes\":[{\"packet\":{\"type\":\"PUBACK\"},\"then_end\":true}]}]}",
                               &sc, err, sizeof err),
                     0);
    mqs_scenario_free(&sc);
    expect_load_error(SERVER_HEAD "\"steps\":[{\"accept\":\"c\"},{\"expect\":\"c\",\"packet\":{},\"ignore\":[]}]}",
                      "/steps/1/ignore: must be a non-empty array of patterns");
    expect_load_error(SERVER_HEAD "\"steps\":[{\"accept\":\"c\"},{\"expect\":\"c\",\"packet\":{},\"ignore\":"
                                  "[{\"tpye\":\"PINGREQ\"}]}]}",
                      "/steps/1/ignore/0/tpye: unknown field (patterns use the packet JSON form)");
    expect_load_error(SERVER_HEAD "\"steps\":[{\"accept\":\"c\"},{\"expect\":\"c\",\"packets\":[{}],"
                                  "\"window_ms\":[0,5]}]}",
                      "/steps/1/packets: a timing window (window_ms, keep_alive_window) needs a single \"packet\"");
    expect_load_error(SERVER_HEAD "\"steps\":[{\"accept\":\"c\"},{\"expect\":\"c\",\"packet\":{},"
                                  "\"since\":\"yesterday\"}]}",
                      "/steps/1/since: must be one of the documented values");
    expect_load_error(SERVER_HEAD "\"steps\":[{\"accept\":\"c\"},{\"expect\":\"c\",\"packet\":{},"
                                  "\"precondition\":1}]}",
                      "/steps/1/precondition: must be true or false");
    expect_load_error(SERVER_HEAD "\"steps\":[{\"accept\":\"c\"},{\"one_of\":\"c\",\"outcomes\":[{\"close\":true,"
                                  "\"then_end\":\"yes\"}]}]}",
                      "/steps/1/outcomes/0/then_end: must be true or false");
    expect_load_error(SERVER_HEAD "\"steps\":[{\"accept\":\"c\"},{\"expect_close\":\"c\",\"keep_alive_window\":"
                                  "[2,1]}]}",
                      "/steps/1/keep_alive_window: must be [lo, hi] factors (0..10) of the keep-alive in force, without "
                      "window_ms");
    /* A captured value in a text field is checked as text, elsewhere as a number. */
    assert_int_equal(load_text(SERVER_HEAD "\"steps\":[{\"accept\":\"c\"},{\"send\":\"c\",\"packet\":{\"type\":"
                                           "\"PUBLISH\",\"qos\":1,\"packet_id\":\"${p}\",\"topic\":\"${t}\"}}]}",
                               &sc, err, sizeof err),
                     0);
    mqs_scenario_free(&sc);
}

/* ---- the scripted client ---- */

typedef enum { C_SEND, C_SEND_HEX, C_RECV, C_SLEEP, C_CLOSE, C_END } c_kind;

typedef struct c_step {
    c_kind kind;
    const char *arg; /* C_SEND: packet JSON; C_SEND_HEX: hex; C_RECV: the packet type name expected */
    int ms;          /* C_SLEEP */
} c_step;

typedef struct client_script {
    int port;
    mqtt_version v;
    int start_delay_ms;
    const c_step *steps;
    char failure[400]; /* what went wrong on the client's side, "" if nothing */
    bool no_connect;   /* do not connect at all */
} client_script;

static void ms_sleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool c_send_json(mqs_transport *t, const char *text, mqtt_version v)
{
    static uint8_t arena[1 << 16];
    uint8_t wire[1024];
    cJSON *j = cJSON_Parse(text);
    mqtt_packet pkt;
    char err[200];
    bool ok = j && mqtt_packet_from_json(j, v, &pkt, arena, sizeof arena, err, sizeof err) == 0;
    size_t n = ok ? mqtt_encode(&pkt, v, wire, sizeof wire) : 0;
    cJSON_Delete(j);
    return n > 0 && mqs_transport_write_all(t, wire, n, mqs_now_ms() + 2000) == 0;
}

static bool c_send_hex(mqs_transport *t, const char *hex)
{
    uint8_t wire[256];
    size_t n = 0;
    for (const char *p = hex; p[0] && p[1] && n < sizeof wire; p += 2) {
        while (*p == ' ')
            p++;
        unsigned b;
        if (sscanf(p, "%2x", &b) != 1)
            return false;
        wire[n++] = (uint8_t)b;
    }
    return mqs_transport_write_all(t, wire, n, mqs_now_ms() + 2000) == 0;
}

/* Read one packet within 5 s; its type name must be `type`. */
static bool c_recv(mqs_transport *t, mqtt_stream *s, mqtt_version v, const char *type, char *why, size_t cap)
{
    int64_t deadline = mqs_now_ms() + 5000;
    for (;;) {
        mqtt_decode_opts opts = {v, MQTT_ROLE_CLIENT, 0};
        mqtt_packet pkt;
        mqtt_bytes raw;
        mqtt_error err;
        mqtt_status st = mqtt_stream_next(s, &opts, &pkt, &raw, &err);
        if (st == MQTT_COMPLETE) {
            cJSON *j = mqtt_packet_to_json(&pkt, v);
            const char *got = cJSON_GetObjectItemCaseSensitive(j, "type")->valuestring;
            bool ok = strcmp(got, type) == 0;
            if (!ok)
                snprintf(why, cap, "expected %s, got %s", type, got);
            cJSON_Delete(j);
            return ok;
        }
        if (st == MQTT_MALFORMED) {
            snprintf(why, cap, "malformed packet from the engine");
            return false;
        }
        size_t avail;
        uint8_t *dst = mqtt_stream_space(s, &avail);
        ssize_t n = mqs_transport_read(t, dst, avail);
        if (n > 0) {
            mqtt_stream_commit(s, (size_t)n);
            continue;
        }
        if (n != MQS_IO_AGAIN || mqs_now_ms() > deadline) {
            snprintf(why, cap, "no %s: %s", type, n == MQS_IO_AGAIN ? "timeout" : "closed");
            return false;
        }
        struct pollfd pfd = {.fd = mqs_transport_fd(t), .events = POLLIN};
        poll(&pfd, 1, 50);
    }
}

static void *client_main(void *arg)
{
    client_script *cs = arg;
    ms_sleep(cs->start_delay_ms);
    if (cs->no_connect)
        return NULL;
    char url_text[64], err[256];
    snprintf(url_text, sizeof url_text, "mqtt://127.0.0.1:%d", cs->port);
    mqs_url url;
    mqs_url_parse(url_text, &url, err, sizeof err);
    mqs_tls_opts tls = {0};
    mqs_transport *t = mqs_transport_connect(&url, &tls, mqs_now_ms() + 2000, err, sizeof err);
    if (!t) {
        snprintf(cs->failure, sizeof cs->failure, "connect: %s", err);
        return NULL;
    }
    static uint8_t storage[1 << 16];
    mqtt_stream s;
    mqtt_stream_init(&s, storage, sizeof storage);
    for (const c_step *st = cs->steps; st->kind != C_END && !cs->failure[0]; st++) {
        switch (st->kind) {
        case C_SEND:
            if (!c_send_json(t, st->arg, cs->v))
                snprintf(cs->failure, sizeof cs->failure, "cannot send %s", st->arg);
            break;
        case C_SEND_HEX:
            if (!c_send_hex(t, st->arg))
                snprintf(cs->failure, sizeof cs->failure, "cannot send %s", st->arg);
            break;
        case C_RECV:
            c_recv(t, &s, cs->v, st->arg, cs->failure, sizeof cs->failure);
            break;
        case C_SLEEP:
            ms_sleep(st->ms);
            break;
        case C_CLOSE:
        case C_END:
            break;
        }
        if (st->kind == C_CLOSE)
            break;
    }
    mqs_transport_close(t);
    return NULL;
}

/* ---- running a case ---- */

typedef struct outcome {
    mqs_run run;
    mqs_case *c;
    char client_failure[400];
} outcome;

/* Run scenario text as a server-role case against the script; the case is in o->c (free with o->run). */
static void run_server_case(const char *text, client_script *cs, outcome *o)
{
    char path[64];
    write_scenario(text, path, sizeof path);
    mqs_scenario sc;
    char err[1024];
    if (mqs_scenario_load(path, &sc, err, sizeof err) != 0)
        fail_msg("scenario does not load: %s", err);
    unlink(path);

    mqs_url url;
    assert_int_equal(mqs_url_parse("mqtt://127.0.0.1:0", &url, err, sizeof err), 0);
    mqs_tls_opts tls = {0};
    mqs_listener *l = mqs_listen(&url, &tls, err, sizeof err);
    assert_non_null(l);
    mqs_run_opts opts;
    mqs_run_opts_init(&opts);
    opts.listener = l;
    cs->port = mqs_listener_port(l);

    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, client_main, cs), 0);
    memset(o, 0, sizeof *o);
    o->c = mqs_run_add_case(&o->run);
    mqs_run_case(&sc, MQTT_VERSION_UNKNOWN, &opts, 0, o->c);
    pthread_join(th, NULL);
    snprintf(o->client_failure, sizeof o->client_failure, "%s", cs->failure);
    mqs_listener_close(l);
    mqs_scenario_free(&sc);
}

static void expect_verdict(outcome *o, mqs_verdict v, const char *message_part)
{
    if (o->c->verdict != v || (message_part && (!o->c->message || !strstr(o->c->message, message_part)))) {
        mqs_write_transcript(o->c, stderr);
        fail_msg("verdict %s (%s), wanted %s with \"%s\"", mqs_verdict_name(o->c->verdict),
                 o->c->message ? o->c->message : "", mqs_verdict_name(v), message_part ? message_part : "");
    }
}

#define CONNECT_311 "{\"type\":\"CONNECT\",\"client_id\":\"tc\",\"keep_alive\":1,\"protocol_level\":4}"
#define CONNECT_5 "{\"type\":\"CONNECT\",\"client_id\":\"tc\",\"keep_alive\":60,\"protocol_level\":5}"

/* The server side: CONNACK, a QoS 1 PUBLISH, and the client's PUBACK for it. */
#define QOS1_TO_CLIENT                                                                                        \
    SERVER_HEAD "\"steps\":[{\"accept\":\"c\",\"within_ms\":3000},"                                         \
                "{\"expect\":\"c\",\"packet\":{\"type\":\"CONNECT\",\"client_id\":\"tc\"}},"                \
                "{\"send\":\"c\",\"packet\":{\"type\":\"CONNACK\",\"code\":0}},"                            \
                "{\"send\":\"c\",\"packet\":{\"type\":\"PUBLISH\",\"qos\":1,\"packet_id\":5,\"topic\":\"t\"}}," \
                "{\"expect\":\"c\",\"packet\":{\"type\":\"PUBACK\",\"packet_id\":5}}]}"

static void pass_qos1_subscriber(void **state)
{
    (void)state;
    const c_step script[] = {{C_SEND, CONNECT_311, 0}, {C_RECV, "CONNACK", 0}, {C_RECV, "PUBLISH", 0},
                             {C_SEND, "{\"type\":\"PUBACK\",\"packet_id\":5}", 0}, {C_SLEEP, NULL, 100},
                             {C_END, NULL, 0}};
    client_script cs = {.v = MQTT_V311, .start_delay_ms = 50, .steps = script};
    outcome o;
    run_server_case(QOS1_TO_CLIENT, &cs, &o);
    expect_verdict(&o, MQS_PASS, NULL);
    assert_string_equal(o.c->version, "3.1.1");
    assert_string_equal(o.client_failure, "");
    mqs_run_free(&o.run);
}

static void pass_at_the_clients_version(void **state)
{
    (void)state;
    const c_step script[] = {{C_SEND, CONNECT_5, 0}, {C_RECV, "CONNACK", 0}, {C_RECV, "PUBLISH", 0},
                             {C_SEND, "{\"type\":\"PUBACK\",\"packet_id\":5,\"code\":16}", 0}, {C_SLEEP, NULL, 100},
                             {C_END, NULL, 0}};
    client_script cs = {.v = MQTT_V5, .start_delay_ms = 50, .steps = script};
    outcome o;
    run_server_case(QOS1_TO_CLIENT, &cs, &o);
    expect_verdict(&o, MQS_PASS, NULL);
    assert_string_equal(o.c->version, "5.0");
    mqs_run_free(&o.run);
}

static void fail_wrong_packet_id(void **state)
{
    (void)state;
    const c_step script[] = {{C_SEND, CONNECT_311, 0}, {C_RECV, "CONNACK", 0}, {C_RECV, "PUBLISH", 0},
                             {C_SEND, "{\"type\":\"PUBACK\",\"packet_id\":6}", 0}, {C_SLEEP, NULL, 100},
                             {C_END, NULL, 0}};
    client_script cs = {.v = MQTT_V311, .start_delay_ms = 50, .steps = script};
    outcome o;
    run_server_case(QOS1_TO_CLIENT, &cs, &o);
    expect_verdict(&o, MQS_FAIL, "step 5: /packet_id expected 5 vs actual 6");
    assert_string_equal(o.c->statement, "3.1.1:MQTT-4.3.2-2");
    assert_int_equal(o.c->step, 5);
    mqs_run_free(&o.run);
}

static void fail_first_packet_not_connect(void **state)
{
    (void)state;
    const c_step script[] = {{C_SEND_HEX, "c000", 0}, {C_SLEEP, NULL, 200}, {C_END, NULL, 0}};
    client_script cs = {.v = MQTT_V311, .start_delay_ms = 50, .steps = script};
    outcome o;
    run_server_case(QOS1_TO_CLIENT, &cs, &o);
    expect_verdict(&o, MQS_FAIL, "malformed packet from the client");
    assert_string_equal(o.c->statement, "3.1.1:MQTT-3.1.0-1");
    assert_string_equal(o.c->version, "unknown");
    mqs_run_free(&o.run);
}

static void fail_malformed_after_connect(void **state)
{
    (void)state;
    /* PUBACK with fixed-header flags 0010: malformed in the server role too (MQTT-2.2.2-2 family). */
    const c_step script[] = {{C_SEND, CONNECT_311, 0}, {C_RECV, "CONNACK", 0}, {C_RECV, "PUBLISH", 0},
                             {C_SEND_HEX, "42020005", 0}, {C_SLEEP, NULL, 200}, {C_END, NULL, 0}};
    client_script cs = {.v = MQTT_V311, .start_delay_ms = 50, .steps = script};
    outcome o;
    run_server_case(QOS1_TO_CLIENT, &cs, &o);
    expect_verdict(&o, MQS_FAIL, "malformed packet from the client");
    assert_non_null(strstr(o.c->statement, "3.1.1:MQTT-"));
    mqs_run_free(&o.run);
}

static void skip_version_not_accepted(void **state)
{
    (void)state;
    const c_step script[] = {{C_SEND, CONNECT_311, 0}, {C_SLEEP, NULL, 200}, {C_END, NULL, 0}};
    client_script cs = {.v = MQTT_V311, .start_delay_ms = 50, .steps = script};
    outcome o;
    run_server_case("{\"id\":\"client-t5\",\"role\":\"server\",\"title\":\"t\",\"spec\":[\"5.0:MQTT-3.1.0-1\"],"
                    "\"versions\":[\"5.0\"],\"steps\":[{\"accept\":\"c\"},{\"expect\":\"c\",\"packet\":{\"type\":"
                    "\"CONNECT\"}},{\"send\":\"c\",\"packet\":{\"type\":\"CONNACK\"}}]}",
                    &cs, &o);
    expect_verdict(&o, MQS_SKIP, "client spoke 3.1.1 (protocol level 4); the scenario accepts 5.0");
    mqs_run_free(&o.run);

    /* A level nobody speaks is not the client's fault either: SKIP, not the codec's 3.1.2-2 (a server rule). */
    const c_step level6[] = {{C_SEND_HEX, "100c00044d515454060200 3c0000", 0}, {C_SLEEP, NULL, 200}, {C_END, NULL, 0}};
    client_script cs6 = {.v = MQTT_V311, .start_delay_ms = 50, .steps = level6};
    run_server_case(QOS1_TO_CLIENT, &cs6, &o);
    expect_verdict(&o, MQS_SKIP, "client spoke an unknown version (protocol level 6); the scenario accepts 3.1.1, 5.0");
    assert_string_equal(o.c->version, "unknown");
    mqs_run_free(&o.run);
}

static void accept_timeout_error_or_skip(void **state)
{
    (void)state;
    const c_step none[] = {{C_END, NULL, 0}};
    client_script cs = {.v = MQTT_V311, .no_connect = true, .steps = none};
    outcome o;
    run_server_case(SERVER_HEAD "\"steps\":[{\"accept\":\"c\",\"within_ms\":200}]}", &cs, &o);
    expect_verdict(&o, MQS_ERROR, "no client connected within 200 ms");
    mqs_run_free(&o.run);
    run_server_case(SERVER_HEAD "\"steps\":[{\"accept\":\"c\",\"within_ms\":200,\"precondition\":true}]}", &cs, &o);
    expect_verdict(&o, MQS_SKIP, "precondition not met: no client connected within 200 ms");
    mqs_run_free(&o.run);
}

static void precondition_mismatch_skips(void **state)
{
    (void)state;
    const c_step script[] = {{C_SEND, CONNECT_311, 0}, {C_SLEEP, NULL, 200}, {C_END, NULL, 0}};
    client_script cs = {.v = MQTT_V311, .start_delay_ms = 50, .steps = script};
    outcome o;
    run_server_case(SERVER_HEAD "\"steps\":[{\"accept\":\"c\"},{\"expect\":\"c\",\"precondition\":true,\"packet\":"
                                "{\"type\":\"CONNECT\",\"clean_start\":false}}]}",
                    &cs, &o);
    expect_verdict(&o, MQS_SKIP, "precondition not met: /clean_start expected false vs actual true");
    mqs_run_free(&o.run);
}

/* The keep-alive in force is the CONNECT's (1 s here): a window of 0.3 x 1 s, 200 ms of tolerance. */
#define PING_TIMED                                                                                            \
    SERVER_HEAD "\"steps\":[{\"accept\":\"c\"},{\"expect\":\"c\",\"packet\":{\"type\":\"CONNECT\"}},"       \
                "{\"send\":\"c\",\"packet\":{\"type\":\"CONNACK\"}},"                                       \
                "{\"expect\":\"c\",\"packet\":{\"type\":\"PINGREQ\"},\"keep_alive_window\":[0,0.3],"        \
                "\"tolerance_ms\":200,\"since\":\"last_received\",\"ignore\":[{\"type\":\"SUBSCRIBE\"}]}]}"

static void keep_alive_window_pass_warn_fail(void **state)
{
    (void)state;
    const int delays[] = {100, 650, 1000}; /* 0.3 s window + 250 ms scheduling allowance, 200 ms tolerance */
    const mqs_verdict want[] = {MQS_PASS, MQS_WARN, MQS_FAIL};
    const char *why[] = {NULL, "expected the packet 0..300 ms after the peer's last packet", "actual nothing within"};
    for (int i = 0; i < 3; i++) {
        const c_step script[] = {{C_SEND, CONNECT_311, 0}, {C_RECV, "CONNACK", 0}, {C_SLEEP, NULL, delays[i]},
                                 {C_SEND, "{\"type\":\"PINGREQ\"}", 0}, {C_SLEEP, NULL, 100}, {C_END, NULL, 0}};
        client_script cs = {.v = MQTT_V311, .start_delay_ms = 20, .steps = script};
        outcome o;
        run_server_case(PING_TIMED, &cs, &o);
        expect_verdict(&o, want[i], why[i]);
        mqs_run_free(&o.run);
    }
}

#define SUBSCRIBE_A "{\"type\":\"SUBSCRIBE\",\"packet_id\":1,\"subscriptions\":[{\"filter\":\"a\"}]}"

/* An ignored packet is let pass, and the keep-alive counts from it. */
static void ignored_packet_moves_the_origin(void **state)
{
    (void)state;
    const c_step script[] = {{C_SEND, CONNECT_311, 0},
                             {C_RECV, "CONNACK", 0},
                             {C_SLEEP, NULL, 200},
                             {C_SEND, SUBSCRIBE_A, 0},
                             {C_SLEEP, NULL, 200},
                             {C_SEND, "{\"type\":\"PINGREQ\"}", 0},
                             {C_SLEEP, NULL, 100},
                             {C_END, NULL, 0}};
    client_script cs = {.v = MQTT_V311, .start_delay_ms = 20, .steps = script};
    outcome o;
    run_server_case(PING_TIMED, &cs, &o);
    expect_verdict(&o, MQS_PASS, NULL);
    mqs_run_free(&o.run);
}

/* Our CONNACK's 5.0 Server Keep Alive becomes the keep-alive in force: 1 s instead of the CONNECT's 60
 * (with 60 s, 700 ms would be well inside 0.3 x keep-alive). */
static void server_keep_alive_we_send(void **state)
{
    (void)state;
    const c_step script[] = {{C_SEND, CONNECT_5, 0}, {C_RECV, "CONNACK", 0}, {C_SLEEP, NULL, 700},
                             {C_SEND, "{\"type\":\"PINGREQ\"}", 0}, {C_SLEEP, NULL, 100}, {C_END, NULL, 0}};
    client_script cs = {.v = MQTT_V5, .start_delay_ms = 20, .steps = script};
    outcome o;
    run_server_case(SERVER_HEAD5 "\"steps\":[{\"accept\":\"c\"},{\"expect\":\"c\",\"packet\":{\"type\":"
                                 "\"CONNECT\"}},{\"send\":\"c\",\"packet\":{\"type\":\"CONNACK\",\"properties\":"
                                 "{\"server_keep_alive\":1}}},{\"expect\":\"c\",\"packet\":{\"type\":\"PINGREQ\"},"
                                 "\"keep_alive_window\":[0,0.3],\"tolerance_ms\":1000,\"since\":\"last_received\"}]}",
                    &cs, &o);
    expect_verdict(&o, MQS_WARN, "expected the packet 0..300 ms after the peer's last packet");
    mqs_run_free(&o.run);
}

/* A then_end outcome ends the case with PASS: the steps after it are not run. */
static void then_end_outcome(void **state)
{
    (void)state;
    const c_step script[] = {{C_SEND, CONNECT_311, 0}, {C_RECV, "CONNACK", 0},
                             {C_SEND, "{\"type\":\"DISCONNECT\"}", 0}, {C_CLOSE, NULL, 0}, {C_END, NULL, 0}};
    client_script cs = {.v = MQTT_V311, .start_delay_ms = 20, .steps = script};
    outcome o;
    run_server_case(SERVER_HEAD "\"steps\":[{\"accept\":\"c\"},{\"expect\":\"c\",\"packet\":{\"type\":\"CONNECT\"}},"
                                "{\"send\":\"c\",\"packet\":{\"type\":\"CONNACK\"}},{\"one_of\":\"c\",\"outcomes\":["
                                "{\"packet\":{\"type\":\"PUBLISH\"}},{\"packet\":{\"type\":\"DISCONNECT\"},"
                                "\"then_close\":true,\"then_end\":true}]},"
                                "{\"expect\":\"c\",\"packet\":{\"type\":\"PINGREQ\"}}]}",
                    &cs, &o);
    expect_verdict(&o, MQS_PASS, NULL);
    mqs_run_free(&o.run);
}

/* Without a listener a server-role case cannot run; and mqs_run_all leaves server-role scenarios out. */
static void needs_listener_and_not_in_run_all(void **state)
{
    (void)state;
    char path[64], err[1024];
    write_scenario(SERVER_HEAD "\"steps\":[{\"accept\":\"c\",\"within_ms\":100}]}", path, sizeof path);
    mqs_scenario_set set;
    const char *paths[] = {path};
    assert_int_equal(mqs_scenarios_discover(paths, 1, &set, stderr), 0);
    unlink(path);
    (void)err;
    mqs_run_opts opts;
    mqs_run_opts_init(&opts);
    mqs_run run = {0};
    mqs_case *c = mqs_run_add_case(&run);
    mqs_run_case(&set.items[0], MQTT_V311, &opts, 0, c);
    assert_int_equal(c->verdict, MQS_ERROR);
    assert_non_null(strstr(c->message, "needs a listener"));
    mqs_run_free(&run);

    mqs_run run2 = {0};
    mqs_filter all = {0};
    mqs_run_all(&set, &all, 0, &opts, &run2);
    assert_int_equal(run2.ncases, 0);
    mqs_run_free(&run2);
    mqs_scenarios_free(&set);
}

/* The shipped client tests load, and all are server-role. */
static void shipped_client_tests_load(void **state)
{
    (void)state;
    mqs_scenario_set set;
    const char *root = MQTTSPEC_SOURCE_DIR "/scenarios/client-tests";
    assert_int_equal(mqs_scenarios_discover(&root, 1, &set, stderr), 0);
    assert_true(set.count >= 10);
    for (size_t i = 0; i < set.count; i++)
        assert_int_equal(set.items[i].role, MQS_ROLE_SERVER);
    mqs_scenarios_free(&set);
}

/* ---- 5.0 limits announced in our CONNACK, held against everything the client sends (client/src/limits.c) ---- */

/* CONNACK with these properties, then a PUBLISH to a/b (its real topic) and one more packet from the client. */
#define LIMITS_CASE(props)                                                                                   \
    SERVER_HEAD5 "\"steps\":[{\"accept\":\"c\",\"within_ms\":3000},"                                        \
                 "{\"expect\":\"c\",\"packet\":{\"type\":\"CONNECT\"}},"                                     \
                 "{\"send\":\"c\",\"packet\":{\"type\":\"CONNACK\",\"code\":0,\"properties\":" props "}},"  \
                 "{\"expect\":\"c\",\"packet\":{\"type\":\"PUBLISH\",\"topic\":\"a/b\"}},"                       \
                 "{\"expect\":\"c\",\"packet\":{\"type\":{\"$any_of\":[\"PUBLISH\",\"PUBACK\"]}}}]}"

static void limits_case(const char *scenario, const char *pub1, const char *pub2, mqs_verdict v,
                        const char *statement, const char *message_part)
{
    const c_step script[] = {{C_SEND, CONNECT_5, 0}, {C_RECV, "CONNACK", 0}, {C_SEND, pub1, 0},
                             {C_SEND, pub2, 0},      {C_SLEEP, NULL, 200},   {C_END, NULL, 0}};
    client_script cs = {.v = MQTT_V5, .start_delay_ms = 50, .steps = script};
    outcome o;
    run_server_case(scenario, &cs, &o);
    expect_verdict(&o, v, message_part);
    if (statement)
        assert_string_equal(o.c->statement, statement);
    mqs_run_free(&o.run);
}

/* Both PUBLISHes expected under topic a/b: the second one's empty Topic Name is resolved through its alias. */
#define ALIAS_CASE(props)                                                                                    \
    SERVER_HEAD5 "\"steps\":[{\"accept\":\"c\",\"within_ms\":3000},"                                        \
                 "{\"expect\":\"c\",\"packet\":{\"type\":\"CONNECT\"}},"                                     \
                 "{\"send\":\"c\",\"packet\":{\"type\":\"CONNACK\",\"code\":0,\"properties\":" props "}},"  \
                 "{\"expect\":\"c\",\"packet\":{\"type\":\"PUBLISH\",\"topic\":\"a/b\",\"payload\":\"1\"}},"    \
                 "{\"expect\":\"c\",\"packet\":{\"type\":\"PUBLISH\",\"topic\":\"a/b\",\"payload\":\"2\"}}]}"

#define PUB_ALIAS(topic, payload, alias)                                                                     \
    "{\"type\":\"PUBLISH\",\"topic\":\"" topic "\",\"payload\":\"" payload "\",\"properties\":{\"topic_alias\":" \
    #alias "}}"

static void limits_topic_alias(void **state)
{
    (void)state;
    /* Within the maximum: the second PUBLISH (empty Topic Name) matches under the topic alias 2 stands for. */
    limits_case(ALIAS_CASE("{\"topic_alias_maximum\":2}"), PUB_ALIAS("a/b", "1", 2), PUB_ALIAS("", "2", 2), MQS_PASS,
                NULL, NULL);
    limits_case(ALIAS_CASE("{\"topic_alias_maximum\":2}"), PUB_ALIAS("a/b", "1", 3), PUB_ALIAS("", "2", 3), MQS_FAIL,
                "5.0:MQTT-3.2.2-17, 5.0:MQTT-3.3.2-9", "Topic Alias 3, above the Topic Alias Maximum 2");
    limits_case(ALIAS_CASE("{}"), PUB_ALIAS("a/b", "1", 1), PUB_ALIAS("", "2", 1), MQS_FAIL, "5.0:MQTT-3.2.2-18",
                "no Topic Alias Maximum");
    limits_case(ALIAS_CASE("{\"topic_alias_maximum\":2}"), PUB_ALIAS("a/b", "1", 1), PUB_ALIAS("", "2", 2), MQS_FAIL,
                "5.0:MQTT-3.3.2-7", "never mapped");
}

static void limits_maximum_packet_size(void **state)
{
    (void)state;
    const char *small = "{\"type\":\"PUBLISH\",\"topic\":\"a/b\",\"payload\":\"1\"}";
    const char *big = "{\"type\":\"PUBLISH\",\"topic\":\"a/b\",\"payload\":\"2222222222222222222222222222222\"}";
    limits_case(LIMITS_CASE("{\"maximum_packet_size\":40}"), small, big, MQS_PASS, NULL, NULL);
    limits_case(LIMITS_CASE("{\"maximum_packet_size\":20}"), small, big, MQS_FAIL, "5.0:MQTT-3.2.2-15",
                "PUBLISH of 39 bytes, above the Maximum Packet Size of 20");
    /* An ack made too big by its Reason String cites the rule about leaving it out too. */
    const char *puback = "{\"type\":\"PUBACK\",\"packet_id\":1,\"properties\":{\"reason_string\":"
                         "\"a reason string far too long for the limit\"}}";
    limits_case(LIMITS_CASE("{\"maximum_packet_size\":20}"), small, puback, MQS_FAIL,
                "5.0:MQTT-3.2.2-15, 5.0:MQTT-3.4.2-2", "PUBACK of");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loader_role_and_accept),
        cmocka_unit_test(loader_expect_fields),
        cmocka_unit_test(pass_qos1_subscriber),
        cmocka_unit_test(pass_at_the_clients_version),
        cmocka_unit_test(fail_wrong_packet_id),
        cmocka_unit_test(fail_first_packet_not_connect),
        cmocka_unit_test(fail_malformed_after_connect),
        cmocka_unit_test(skip_version_not_accepted),
        cmocka_unit_test(accept_timeout_error_or_skip),
        cmocka_unit_test(precondition_mismatch_skips),
        cmocka_unit_test(keep_alive_window_pass_warn_fail),
        cmocka_unit_test(ignored_packet_moves_the_origin),
        cmocka_unit_test(server_keep_alive_we_send),
        cmocka_unit_test(then_end_outcome),
        cmocka_unit_test(needs_listener_and_not_in_run_all),
        cmocka_unit_test(shipped_client_tests_load),
        cmocka_unit_test(limits_topic_alias),
        cmocka_unit_test(limits_maximum_packet_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
