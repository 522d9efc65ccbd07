/*
 * broker-sim through its socket-free entry point (sim_mem_*): the bounded
 * per-session queue (drop QoS 0 at the bound, disconnect a slow QoS 1
 * consumer with 5.0 DISCONNECT 0x97, drop for an offline session), the
 * bounded read buffer, and the clock that fuzz targets move.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mqttspec/codec.h"
#include "mqttspec/sim.h"

enum { BOUND = 5 };

/* Packets as hex: what a client sends, spelled out byte by byte so a test reads like a transcript. */
static const char CONNECT5_SUB_RECVMAX1[] = "1011" "00044d51545405020000" "03210001" "000173";    /* "s" */
static const char CONNECT311_SUB_PERSIST[] = "100d" "00044d51545404000000" "000173";             /* "s", clean 0 */
static const char CONNECT311_PUB[] = "100d" "00044d51545404020000" "000170";                     /* "p" */
static const char SUBSCRIBE5_T_QOS1[] = "8207" "0001" "00" "000174" "01";
static const char SUBSCRIBE311_T_QOS1[] = "8206" "0001" "000174" "01";
static const char DISCONNECT311[] = "e000";

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void feed_hex(sim_mem *m, int conn, const char *hex)
{
    uint8_t buf[256];
    size_t n = unhex(hex, buf);
    assert_true(sim_mem_feed(m, conn, buf, n));
}

/* A 3.1.1 PUBLISH on "t" at qos with packet id id (QoS > 0). */
static void publish(sim_mem *m, int conn, int qos, uint16_t id)
{
    uint8_t p[16] = {(uint8_t)(0x30 | qos << 1), 0, 0x00, 0x01, 't'};
    size_t n = 5;
    if (qos) {
        p[n++] = (uint8_t)(id >> 8);
        p[n++] = (uint8_t)id;
    }
    p[n++] = 'x';
    p[1] = (uint8_t)(n - 2);
    assert_true(sim_mem_feed(m, conn, p, n));
}

typedef struct seen {
    int publishes, disconnects, connacks, subacks;
    int disconnect_reason;
    bool closed;
} seen;

/* Everything the broker wrote to conn, decoded (strictly) at version v. */
static seen take_all(sim_mem *m, int conn, mqtt_version v)
{
    static uint8_t buf[1 << 20];
    seen s = {.disconnect_reason = -1};
    size_t n = sim_mem_take(m, conn, buf, sizeof buf, &s.closed);
    mqtt_stream st;
    mqtt_stream_init(&st, buf, sizeof buf);
    st.end = n;
    mqtt_decode_opts o = {.version = v, .role = MQTT_ROLE_CLIENT};
    mqtt_packet p;
    mqtt_error err;
    mqtt_status rc;
    while ((rc = mqtt_stream_next(&st, &o, &p, NULL, &err)) == MQTT_COMPLETE) {
        s.publishes += p.type == MQTT_PUBLISH;
        s.connacks += p.type == MQTT_CONNACK;
        s.subacks += p.type == MQTT_SUBACK;
        if (p.type == MQTT_DISCONNECT) {
            s.disconnects++;
            s.disconnect_reason = p.u.disconnect.code;
        }
    }
    assert_int_equal(rc, MQTT_NEED_MORE);
    assert_int_equal(st.start, st.end); /* nothing truncated */
    return s;
}

static sim_mem *new_sim(void)
{
    sim_config cfg;
    sim_config_init(&cfg);
    cfg.max_queued_messages = BOUND;
    sim_mem *m = sim_mem_new(&cfg);
    assert_non_null(m);
    return m;
}

/* 5.0 subscriber with Receive Maximum 1 that never acknowledges: one message in flight, the rest queue. */
static void test_slow_consumer_bound(void **state)
{
    (void)state;
    sim_mem *m = new_sim();
    int sub = sim_mem_connect(m, 0), pub = sim_mem_connect(m, 0);
    feed_hex(m, sub, CONNECT5_SUB_RECVMAX1);
    feed_hex(m, sub, SUBSCRIBE5_T_QOS1);
    feed_hex(m, pub, CONNECT311_PUB);
    for (uint16_t id = 1; id <= BOUND; id++)
        publish(m, pub, 1, id); /* fills the queue: 1 in flight + 4 queued */
    for (int i = 0; i < 3; i++)
        publish(m, pub, 0, 0); /* QoS 0 at the bound: dropped, the subscriber stays */
    seen s = take_all(m, sub, MQTT_V5);
    assert_int_equal(s.connacks, 1);
    assert_int_equal(s.subacks, 1);
    assert_int_equal(s.publishes, 1);
    assert_int_equal(s.disconnects, 0);
    assert_false(s.closed);
    publish(m, pub, 1, 100); /* QoS 1 past the bound: the slow consumer is disconnected */
    s = take_all(m, sub, MQTT_V5);
    assert_int_equal(s.publishes, 0);
    assert_int_equal(s.disconnects, 1);
    assert_int_equal(s.disconnect_reason, 0x97); /* Quota exceeded */
    assert_true(s.closed);
    seen p = take_all(m, pub, MQTT_V311);
    assert_false(p.closed); /* the publisher is not punished */
    sim_mem_free(m);
}

/* An offline session keeps at most BOUND messages; the rest are dropped. */
static void test_offline_queue_bound(void **state)
{
    (void)state;
    sim_mem *m = new_sim();
    int sub = sim_mem_connect(m, 0), pub = sim_mem_connect(m, 0);
    feed_hex(m, sub, CONNECT311_SUB_PERSIST);
    feed_hex(m, sub, SUBSCRIBE311_T_QOS1);
    feed_hex(m, sub, DISCONNECT311);
    feed_hex(m, pub, CONNECT311_PUB);
    for (uint16_t id = 1; id <= 4 * BOUND; id++)
        publish(m, pub, 1, id);
    int again = sim_mem_connect(m, 0);
    feed_hex(m, again, CONNECT311_SUB_PERSIST);
    seen s = take_all(m, again, MQTT_V311);
    assert_int_equal(s.connacks, 1);
    assert_int_equal(s.publishes, BOUND);
    assert_false(s.closed);
    sim_mem_free(m);
}

/* The read buffer grows to the packet size limit, never past it: a bigger packet closes the connection. */
static void test_input_bound(void **state)
{
    (void)state;
    sim_config cfg;
    sim_config_init(&cfg);
    cfg.max_packet_size = 1000;
    sim_mem *m = sim_mem_new(&cfg);
    assert_non_null(m);
    int c = sim_mem_connect(m, 0);
    feed_hex(m, c, CONNECT311_PUB);
    uint8_t big[2000] = {0x30, 0xcd, 0x0f, 0x00, 0x01, 't'}; /* remaining length 1997 */
    sim_mem_feed(m, c, big, sizeof big);
    seen s = take_all(m, c, MQTT_V311);
    assert_true(s.closed);
    assert_int_equal(s.publishes, 0);
    sim_mem_free(m);
}

/* The clock moves without sleeping: 1.5 x a 2 s keep-alive closes the connection. */
static void test_clock_advance(void **state)
{
    (void)state;
    sim_mem *m = new_sim();
    int c = sim_mem_connect(m, 0);
    feed_hex(m, c, "100d" "00044d51545404020002" "000170"); /* keep-alive 2 s */
    sim_mem_advance(m, 2000);
    assert_false(take_all(m, c, MQTT_V311).closed);
    sim_mem_advance(m, 1100);
    assert_true(take_all(m, c, MQTT_V311).closed);
    sim_mem_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_consumer_bound),
        cmocka_unit_test(test_offline_queue_bound),
        cmocka_unit_test(test_input_bound),
        cmocka_unit_test(test_clock_advance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
