/*
 * broker-sim in-process on 127.0.0.1:0, driven by plain transport clients
 * that frame and decode every byte with the codec (client role): CONNECT /
 * CONNACK in both versions and the refusals, QoS 1 and 2 both ways, retained
 * messages, Wills, keep-alive, malformed input, session resume, takeover,
 * topic aliases, quirks per listener, and a TLS listener (a throwaway
 * self-signed certificate made at test time).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mqttspec/codec.h"
#include "mqttspec/sim.h"
#include "mqttspec/transport.h"

enum { WAIT_MS = 3000, QUIET_MS = 200, STORAGE = 1 << 19, BIG = 300000 };

/* ---- a minimal client ---- */

typedef struct client {
    mqs_transport *t;
    mqtt_version v;
    mqtt_stream in;
    uint8_t storage[STORAGE];
} client;

typedef enum got { GOT_PACKET, GOT_CLOSE, GOT_NOTHING } got;

static client *client_open_url(const char *base, int port, mqtt_version v, const mqs_tls_opts *tls)
{
    char text[128], err[256];
    snprintf(text, sizeof text, "%s:%d", base, port);
    mqs_url url;
    assert_int_equal(mqs_url_parse(text, &url, err, sizeof err), 0);
    client *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->t = mqs_transport_connect(&url, tls, mqs_now_ms() + WAIT_MS, err, sizeof err);
    if (!c->t)
        fail_msg("connect %s: %s", text, err);
    c->v = v;
    mqtt_stream_init(&c->in, c->storage, sizeof c->storage);
    return c;
}

static client *client_open(int port, mqtt_version v) { return client_open_url("mqtt://127.0.0.1", port, v, NULL); }

static void client_drop(client *c)
{
    mqs_transport_drop(c->t);
    free(c);
}

static void client_send(client *c, const mqtt_packet *pkt)
{
    size_t cap = mqtt_encoded_size(pkt, c->v);
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    size_t n = mqtt_encode(pkt, c->v, buf, cap);
    assert_true(n > 0);
    assert_int_equal(mqs_transport_write_all(c->t, buf, n, mqs_now_ms() + WAIT_MS), 0);
    free(buf);
}

/* The next packet (strictly decoded: a malformed packet from the broker fails the test), a close, or nothing. */
static got client_wait(client *c, mqtt_packet *out, int ms)
{
    int64_t deadline = mqs_now_ms() + ms;
    for (;;) {
        mqtt_decode_opts o = {.version = c->v, .role = MQTT_ROLE_CLIENT};
        mqtt_error err;
        mqtt_status st = mqtt_stream_next(&c->in, &o, out, NULL, &err);
        if (st == MQTT_MALFORMED) {
            char why[256];
            mqtt_err_format(&err, c->v, why, sizeof why);
            fail_msg("malformed packet from broker-sim: %s", why);
        }
        if (st == MQTT_COMPLETE)
            return GOT_PACKET;
        size_t avail;
        uint8_t *space = mqtt_stream_space(&c->in, &avail);
        ssize_t n = mqs_transport_read(c->t, space, avail);
        if (n > 0) {
            mqtt_stream_commit(&c->in, (size_t)n);
            continue;
        }
        if (n == 0 || n == MQS_IO_ERROR)
            return GOT_CLOSE;
        int64_t left = deadline - mqs_now_ms();
        if (left <= 0)
            return GOT_NOTHING;
        struct pollfd pfd = {.fd = mqs_transport_fd(c->t), .events = POLLIN};
        poll(&pfd, 1, (int)left);
    }
}

static void expect_packet(client *c, mqtt_packet *out, uint8_t type)
{
    got g = client_wait(c, out, WAIT_MS);
    if (g != GOT_PACKET)
        fail_msg("expected %s, got %s", mqtt_packet_type_name(type), g == GOT_CLOSE ? "a close" : "nothing");
    if (out->type != type)
        fail_msg("expected %s, got %s", mqtt_packet_type_name(type), mqtt_packet_type_name(out->type));
}

static void expect_close(client *c, int ms)
{
    mqtt_packet p;
    got g;
    while ((g = client_wait(c, &p, ms)) == GOT_PACKET)
        if (p.type != MQTT_DISCONNECT)
            fail_msg("expected a close, got %s", mqtt_packet_type_name(p.type));
    assert_int_equal(g, GOT_CLOSE);
}

static void expect_nothing(client *c)
{
    mqtt_packet p;
    got g = client_wait(c, &p, QUIET_MS);
    if (g != GOT_NOTHING)
        fail_msg("expected nothing, got %s", g == GOT_CLOSE ? "a close" : mqtt_packet_type_name(p.type));
}

static mqtt_bytes text(const char *s) { return (mqtt_bytes){(const uint8_t *)s, (uint32_t)strlen(s)}; }

/* ---- packets ---- */

typedef struct connect_args {
    const char *id;
    bool clean;
    uint16_t keep_alive;
    mqtt_props props;
    const char *will_topic, *will_payload;
    uint8_t will_qos;
    bool will_retain;
    mqtt_props will_props;
} connect_args;

static void send_connect(client *c, const connect_args *a)
{
    mqtt_packet p = {.type = MQTT_CONNECT};
    mqtt_connect *cn = &p.u.connect;
    cn->protocol_level = (uint8_t)c->v;
    cn->clean_start = a->clean;
    cn->keep_alive = a->keep_alive;
    cn->client_id = text(a->id);
    cn->props = a->props;
    if (a->will_topic) {
        cn->will = true;
        cn->will_topic = text(a->will_topic);
        cn->will_payload = text(a->will_payload);
        cn->will_qos = a->will_qos;
        cn->will_retain = a->will_retain;
        cn->will_props = a->will_props;
    }
    client_send(c, &p);
}

/* CONNECT and the CONNACK for it; returns the CONNACK (its properties are views into c). */
static mqtt_connack connect_with(client *c, const connect_args *a)
{
    send_connect(c, a);
    mqtt_packet p;
    expect_packet(c, &p, MQTT_CONNACK);
    return p.u.connack;
}

static client *connected(int port, mqtt_version v, const char *id)
{
    client *c = client_open(port, v);
    connect_args a = {.id = id, .clean = true, .keep_alive = 60};
    mqtt_connack ca = connect_with(c, &a);
    assert_int_equal(ca.code, 0);
    return c;
}

static void publish(client *c, const char *topic, const char *payload, uint8_t qos, bool retain, uint16_t id)
{
    mqtt_packet p = {.type = MQTT_PUBLISH};
    p.u.publish.topic = text(topic);
    p.u.publish.payload = text(payload);
    p.u.publish.qos = qos;
    p.u.publish.retain = retain;
    p.u.publish.packet_id = id;
    client_send(c, &p);
}

static void send_ack(client *c, uint8_t type, uint16_t id)
{
    mqtt_packet p = {.type = type};
    p.u.ack.packet_id = id;
    client_send(c, &p);
}

static void subscribe(client *c, const char *filter, uint8_t options, uint8_t granted)
{
    uint8_t buf[256];
    mqtt_writer w;
    mqtt_writer_init(&w, buf, sizeof buf);
    mqtt_write_sub_entry(&w, text(filter), options);
    mqtt_packet p = {.type = MQTT_SUBSCRIBE};
    p.u.subs.packet_id = 1;
    p.u.subs.list = (mqtt_list){buf, (uint32_t)w.len, 1};
    client_send(c, &p);
    expect_packet(c, &p, MQTT_SUBACK);
    assert_int_equal(p.u.subs.packet_id, 1);
    assert_int_equal(p.u.subs.list.count, 1);
    assert_int_equal(p.u.subs.list.ptr[0], granted);
}

static void expect_publish(client *c, mqtt_packet *p, const char *topic, const char *payload, uint8_t qos)
{
    expect_packet(c, p, MQTT_PUBLISH);
    assert_int_equal(p->u.publish.qos, qos);
    assert_memory_equal(p->u.publish.topic.ptr, topic, strlen(topic));
    assert_int_equal(p->u.publish.topic.len, strlen(topic));
    assert_int_equal(p->u.publish.payload.len, strlen(payload));
    assert_memory_equal(p->u.publish.payload.ptr, payload, strlen(payload));
}

/* A property block holding one numeric property. */
static mqtt_props one_prop(uint8_t *buf, size_t cap, uint8_t id, uint32_t value)
{
    mqtt_writer w;
    mqtt_writer_init(&w, buf, cap);
    mqtt_property pr = {.id = id, .value = value};
    mqtt_write_property(&w, &pr);
    return (mqtt_props){buf, (uint32_t)w.len};
}

/* ---- fixture: one broker per test ---- */

typedef struct fixture {
    sim_broker *b;
    int port;
} fixture;

static fixture *start_with(sim_config *cfg)
{
    char err[256];
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->b = sim_start(cfg, err, sizeof err);
    if (!f->b)
        fail_msg("sim_start: %s", err);
    f->port = sim_port(f->b, 0);
    assert_true(f->port > 0);
    return f;
}

static int setup(void **state)
{
    sim_config cfg;
    sim_config_init(&cfg);
    sim_config_add_listener(&cfg, "mqtt://127.0.0.1:0", NULL, NULL, 0);
    *state = start_with(&cfg);
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sim_stop(f->b);
    free(f);
    return 0;
}

static int port_of(void **state) { return ((fixture *)*state)->port; }

/* ---- CONNECT ---- */

static void test_connect_311(void **state)
{
    client *c = client_open(port_of(state), MQTT_V311);
    connect_args a = {.id = "c311", .clean = true, .keep_alive = 60};
    mqtt_connack ca = connect_with(c, &a);
    assert_int_equal(ca.code, 0);
    assert_int_equal(ca.flags, 0);
    mqtt_packet p = {.type = MQTT_PINGREQ};
    client_send(c, &p);
    expect_packet(c, &p, MQTT_PINGRESP);
    client_drop(c);
}

static void test_connect_5_assigns_client_id(void **state)
{
    client *c = client_open(port_of(state), MQTT_V5);
    connect_args a = {.id = "", .clean = true, .keep_alive = 60};
    mqtt_connack ca = connect_with(c, &a);
    assert_int_equal(ca.code, 0);
    assert_int_equal(ca.flags, 0);
    mqtt_property pr;
    assert_true(mqtt_prop_find(ca.props, MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, &pr));
    assert_true(pr.data.len > 0);
    assert_true(mqtt_prop_find(ca.props, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, &pr));
    assert_int_equal(pr.value, 10);
    client_drop(c);
}

static void test_connect_refusals(void **state)
{
    /* 3.1.1: unsupported level -> 0x01, empty id with CleanSession 0 -> 0x02, each then closed. */
    client *c = client_open(port_of(state), MQTT_V311);
    mqtt_packet p = {.type = MQTT_CONNECT};
    p.u.connect.protocol_level = 6;
    p.u.connect.clean_start = true;
    p.u.connect.client_id = text("lvl6");
    client_send(c, &p);
    c->v = MQTT_V311;
    expect_packet(c, &p, MQTT_CONNACK);
    assert_int_equal(p.u.connack.code, 0x01);
    expect_close(c, WAIT_MS);
    client_drop(c);

    c = client_open(port_of(state), MQTT_V311);
    connect_args a = {.id = "", .clean = false};
    mqtt_connack ca = connect_with(c, &a);
    assert_int_equal(ca.code, 0x02);
    expect_close(c, WAIT_MS);
    client_drop(c);

    /* 5.0: a malformed CONNECT (Will QoS 3) -> CONNACK 0x81 */
    c = client_open(port_of(state), MQTT_V5);
    connect_args bad = {.id = "badwill", .clean = true, .will_topic = "w", .will_payload = "x", .will_qos = 3};
    ca = connect_with(c, &bad);
    assert_int_equal(ca.code, 0x81);
    expect_close(c, WAIT_MS);
    client_drop(c);
}

static void test_first_packet_not_connect(void **state)
{
    client *c = client_open(port_of(state), MQTT_V311);
    mqtt_packet p = {.type = MQTT_PINGREQ};
    client_send(c, &p);
    expect_close(c, WAIT_MS);
    client_drop(c);
}

static void test_second_connect_closes_5(void **state)
{
    client *c = connected(port_of(state), MQTT_V5, "twice");
    connect_args a = {.id = "twice", .clean = true};
    send_connect(c, &a);
    mqtt_packet p;
    expect_packet(c, &p, MQTT_DISCONNECT);
    assert_int_equal(p.u.disconnect.code, 0x82);
    expect_close(c, WAIT_MS);
    client_drop(c);
}

/* ---- QoS ---- */

static void test_qos1_both_ways(void **state)
{
    for (mqtt_version v = MQTT_V311; v <= MQTT_V5; v++) {
        client *sub = connected(port_of(state), v, "q1sub");
        subscribe(sub, "q1/t", 1, 1);
        client *pub = connected(port_of(state), v, "q1pub");
        publish(pub, "q1/t", "one", 1, false, 7);
        mqtt_packet p;
        expect_packet(pub, &p, MQTT_PUBACK);
        assert_int_equal(p.u.ack.packet_id, 7);
        expect_publish(sub, &p, "q1/t", "one", 1);
        assert_false(p.u.publish.dup);
        assert_false(p.u.publish.retain);
        assert_int_not_equal(p.u.publish.packet_id, 0);
        send_ack(sub, MQTT_PUBACK, p.u.publish.packet_id);
        expect_nothing(sub);
        client_drop(sub);
        client_drop(pub);
    }
}

static void test_qos2_both_ways(void **state)
{
    for (mqtt_version v = MQTT_V311; v <= MQTT_V5; v++) {
        client *sub = connected(port_of(state), v, "q2sub");
        subscribe(sub, "q2/t", 2, 2);
        client *pub = connected(port_of(state), v, "q2pub");
        publish(pub, "q2/t", "two", 2, false, 9);
        mqtt_packet p;
        expect_packet(pub, &p, MQTT_PUBREC);
        assert_int_equal(p.u.ack.packet_id, 9);
        /* a resend before PUBREL is acknowledged again but not delivered twice */
        mqtt_packet again = {.type = MQTT_PUBLISH};
        again.u.publish = (mqtt_publish){.dup = true, .qos = 2, .topic = text("q2/t"), .packet_id = 9,
                                         .payload = text("two")};
        client_send(pub, &again);
        expect_packet(pub, &p, MQTT_PUBREC);
        send_ack(pub, MQTT_PUBREL, 9);
        expect_packet(pub, &p, MQTT_PUBCOMP);
        assert_int_equal(p.u.ack.packet_id, 9);

        expect_publish(sub, &p, "q2/t", "two", 2);
        uint16_t id = p.u.publish.packet_id;
        send_ack(sub, MQTT_PUBREC, id);
        expect_packet(sub, &p, MQTT_PUBREL);
        assert_int_equal(p.u.ack.packet_id, id);
        send_ack(sub, MQTT_PUBCOMP, id);
        expect_nothing(sub);
        client_drop(sub);
        client_drop(pub);
    }
}

static void test_session_resume_resends_with_dup(void **state)
{
    client *sub = client_open(port_of(state), MQTT_V311);
    /* the Will tells the publisher when the broker has seen the drop */
    connect_args a = {.id = "resume", .clean = false, .keep_alive = 60, .will_topic = "rs/gone", .will_payload = "."};
    assert_int_equal(connect_with(sub, &a).flags, 0);
    subscribe(sub, "rs/t", 1, 1);
    client *pub = connected(port_of(state), MQTT_V311, "rspub");
    subscribe(pub, "rs/gone", 0, 0);
    publish(pub, "rs/t", "first", 1, false, 1);
    mqtt_packet p;
    expect_packet(pub, &p, MQTT_PUBACK);
    expect_publish(sub, &p, "rs/t", "first", 1);
    uint16_t id = p.u.publish.packet_id;
    client_drop(sub); /* unacknowledged */
    expect_publish(pub, &p, "rs/gone", ".", 0);
    publish(pub, "rs/t", "while away", 1, false, 2);
    expect_packet(pub, &p, MQTT_PUBACK);

    sub = client_open(port_of(state), MQTT_V311);
    assert_int_equal(connect_with(sub, &a).flags, 1); /* Session Present */
    expect_publish(sub, &p, "rs/t", "first", 1);
    assert_true(p.u.publish.dup);
    assert_int_equal(p.u.publish.packet_id, id);
    send_ack(sub, MQTT_PUBACK, id);
    expect_publish(sub, &p, "rs/t", "while away", 1);
    assert_false(p.u.publish.dup);
    send_ack(sub, MQTT_PUBACK, p.u.publish.packet_id);
    client_drop(sub);
    client_drop(pub);
}

/* ---- retained, Will, keep-alive ---- */

static void test_retained(void **state)
{
    client *pub = connected(port_of(state), MQTT_V311, "retpub");
    publish(pub, "ret/t", "kept", 1, true, 3);
    mqtt_packet p;
    expect_packet(pub, &p, MQTT_PUBACK);
    client *sub = connected(port_of(state), MQTT_V5, "retsub");
    subscribe(sub, "ret/#", 0, 0);
    expect_publish(sub, &p, "ret/t", "kept", 0);
    assert_true(p.u.publish.retain);
    /* an empty retained message deletes it: a later subscriber gets nothing */
    publish(pub, "ret/t", "", 0, true, 0);
    expect_publish(sub, &p, "ret/t", "", 0);
    assert_false(p.u.publish.retain);
    client *late = connected(port_of(state), MQTT_V311, "retlate");
    subscribe(late, "ret/#", 0, 0);
    expect_nothing(late);
    client_drop(pub);
    client_drop(sub);
    client_drop(late);
}

static void test_will_on_drop_not_after_disconnect(void **state)
{
    client *sub = connected(port_of(state), MQTT_V5, "wsub");
    subscribe(sub, "will/#", 1, 1);
    client *w = client_open(port_of(state), MQTT_V311);
    connect_args a = {.id = "wpub", .clean = true, .keep_alive = 60, .will_topic = "will/a", .will_payload = "gone",
                      .will_qos = 1};
    assert_int_equal(connect_with(w, &a).code, 0);
    client_drop(w);
    mqtt_packet p;
    expect_publish(sub, &p, "will/a", "gone", 1);
    send_ack(sub, MQTT_PUBACK, p.u.publish.packet_id);

    w = client_open(port_of(state), MQTT_V311);
    assert_int_equal(connect_with(w, &a).code, 0);
    mqtt_packet d = {.type = MQTT_DISCONNECT};
    client_send(w, &d);
    expect_close(w, WAIT_MS);
    client_drop(w);
    expect_nothing(sub);
    client_drop(sub);
}

static void test_keepalive_close(void **state)
{
    client *c = client_open(port_of(state), MQTT_V5);
    connect_args a = {.id = "ka", .clean = true, .keep_alive = 1};
    assert_int_equal(connect_with(c, &a).code, 0);
    int64_t t0 = mqs_now_ms();
    mqtt_packet p;
    expect_packet(c, &p, MQTT_DISCONNECT);
    assert_int_equal(p.u.disconnect.code, 0x8D);
    int64_t took = mqs_now_ms() - t0;
    assert_true(took >= 1000 && took <= 2500); /* 1.5 s, with room for a loaded machine */
    expect_close(c, WAIT_MS);
    client_drop(c);
}

/* ---- 5.0 specifics ---- */

static void test_malformed_5_disconnect_reason(void **state)
{
    client *c = connected(port_of(state), MQTT_V5, "malformed");
    mqtt_packet p = {.type = MQTT_PUBLISH};
    p.u.publish.topic = text("a/+"); /* MQTT-3.3.2-2: wildcard in a Topic Name */
    p.u.publish.payload = text("x");
    client_send(c, &p);
    expect_packet(c, &p, MQTT_DISCONNECT);
    assert_int_equal(p.u.disconnect.code, mqtt_err_reason_code(MQTT_E_TOPIC_NAME_WILDCARD));
    expect_close(c, WAIT_MS);
    client_drop(c);
}

static void test_topic_alias(void **state)
{
    client *sub = connected(port_of(state), MQTT_V311, "tasub");
    subscribe(sub, "ta/t", 0, 0);
    client *pub = connected(port_of(state), MQTT_V5, "tapub");
    uint8_t buf[16];
    mqtt_packet p = {.type = MQTT_PUBLISH};
    p.u.publish.topic = text("ta/t");
    p.u.publish.payload = text("set");
    p.u.publish.props = one_prop(buf, sizeof buf, MQTT_PROP_TOPIC_ALIAS, 3);
    client_send(pub, &p);
    p.u.publish.topic = text("");
    p.u.publish.payload = text("used");
    client_send(pub, &p);
    expect_publish(sub, &p, "ta/t", "set", 0);
    expect_publish(sub, &p, "ta/t", "used", 0);
    /* above the Topic Alias Maximum (10): DISCONNECT 0x94 */
    p = (mqtt_packet){.type = MQTT_PUBLISH};
    p.u.publish.topic = text("ta/t");
    p.u.publish.props = one_prop(buf, sizeof buf, MQTT_PROP_TOPIC_ALIAS, 11);
    client_send(pub, &p);
    expect_packet(pub, &p, MQTT_DISCONNECT);
    assert_int_equal(p.u.disconnect.code, 0x94);
    client_drop(pub);
    client_drop(sub);
}

static void test_takeover_5(void **state)
{
    client *old = connected(port_of(state), MQTT_V5, "taken");
    client *now = connected(port_of(state), MQTT_V5, "taken");
    mqtt_packet p;
    expect_packet(old, &p, MQTT_DISCONNECT);
    assert_int_equal(p.u.disconnect.code, 0x8E);
    expect_close(old, WAIT_MS);
    client_drop(old);
    p = (mqtt_packet){.type = MQTT_PINGREQ};
    client_send(now, &p);
    expect_packet(now, &p, MQTT_PINGRESP);
    client_drop(now);
}

static void test_receive_maximum_honoured(void **state)
{
    uint8_t buf[16];
    client *sub = client_open(port_of(state), MQTT_V5);
    connect_args a = {.id = "rmsub", .clean = true, .keep_alive = 60,
                      .props = one_prop(buf, sizeof buf, MQTT_PROP_RECEIVE_MAXIMUM, 1)};
    assert_int_equal(connect_with(sub, &a).code, 0);
    subscribe(sub, "rm/t", 1, 1);
    client *pub = connected(port_of(state), MQTT_V5, "rmpub");
    publish(pub, "rm/t", "a", 1, false, 1);
    publish(pub, "rm/t", "b", 1, false, 2);
    mqtt_packet p;
    expect_publish(sub, &p, "rm/t", "a", 1);
    expect_nothing(sub); /* "b" waits for the window */
    send_ack(sub, MQTT_PUBACK, p.u.publish.packet_id);
    expect_publish(sub, &p, "rm/t", "b", 1);
    send_ack(sub, MQTT_PUBACK, p.u.publish.packet_id);
    client_drop(sub);
    client_drop(pub);
}

static void test_connect_31(void **state)
{
    client *c = client_open(port_of(state), MQTT_V31);
    connect_args a = {.id = "v31", .clean = true, .keep_alive = 60};
    mqtt_connack ca = connect_with(c, &a);
    assert_int_equal(ca.code, 0);
    subscribe(c, "v31/t", 1, 1);
    publish(c, "v31/t", "old", 0, false, 0);
    mqtt_packet p;
    expect_publish(c, &p, "v31/t", "old", 0);
    client_drop(c);
}

static void test_server_keep_alive(void **state)
{
    (void)state;
    sim_config cfg;
    sim_config_init(&cfg);
    cfg.server_keep_alive = 1;
    sim_config_add_listener(&cfg, "mqtt://127.0.0.1:0", NULL, NULL, 0);
    fixture *f = start_with(&cfg);
    client *c = client_open(f->port, MQTT_V5);
    connect_args a = {.id = "ska", .clean = true, .keep_alive = 60};
    mqtt_connack ca = connect_with(c, &a);
    mqtt_property pr;
    assert_true(mqtt_prop_find(ca.props, MQTT_PROP_SERVER_KEEP_ALIVE, &pr));
    assert_int_equal(pr.value, 1);
    int64_t t0 = mqs_now_ms();
    expect_close(c, WAIT_MS);
    assert_true(mqs_now_ms() - t0 <= 2500);
    client_drop(c);
    sim_stop(f->b);
    free(f);
}

/* A packet far above the first read buffer, and the subscriber's Maximum Packet Size (MQTT-3.1.2-24). */
static void test_big_packet_and_client_limit(void **state)
{
    uint8_t buf[16];
    client *small = client_open(port_of(state), MQTT_V5);
    connect_args a = {.id = "small", .clean = true, .keep_alive = 60,
                      .props = one_prop(buf, sizeof buf, MQTT_PROP_MAXIMUM_PACKET_SIZE, 200)};
    assert_int_equal(connect_with(small, &a).code, 0);
    subscribe(small, "big/t", 1, 1);
    client *any = connected(port_of(state), MQTT_V311, "anysize");
    subscribe(any, "big/t", 1, 1);
    char *payload = malloc(BIG + 1);
    assert_non_null(payload);
    memset(payload, 'x', BIG);
    payload[BIG] = '\0';
    client *pub = connected(port_of(state), MQTT_V311, "bigpub");
    publish(pub, "big/t", payload, 1, false, 1);
    publish(pub, "big/t", "tiny", 1, false, 2);
    mqtt_packet p;
    expect_packet(pub, &p, MQTT_PUBACK);
    expect_packet(pub, &p, MQTT_PUBACK);
    expect_publish(any, &p, "big/t", payload, 1);
    send_ack(any, MQTT_PUBACK, p.u.publish.packet_id);
    expect_publish(small, &p, "big/t", "tiny", 1); /* the big one was discarded for it */
    send_ack(small, MQTT_PUBACK, p.u.publish.packet_id);
    free(payload);
    client_drop(small);
    client_drop(any);
    client_drop(pub);
}

static void test_no_local(void **state)
{
    client *me = connected(port_of(state), MQTT_V5, "nlme");
    subscribe(me, "nl/t", 1 | MQTT_SUBOPT_NO_LOCAL, 1);
    publish(me, "nl/t", "mine", 0, false, 0);
    expect_nothing(me); /* 5.0 MQTT-3.8.3-3 */
    client *other = connected(port_of(state), MQTT_V5, "nlother");
    publish(other, "nl/t", "theirs", 0, false, 0);
    mqtt_packet p;
    expect_publish(me, &p, "nl/t", "theirs", 0);
    client_drop(me);
    client_drop(other);
}

/* ---- quirks ---- */

/* "3.1.1:MQTT-3.1.2-8 5.0:MQTT-3.1.2-8": every statement paired with its version (3.1.1 and 5.0 reuse numbers). */
static bool statements_qualified(const char *list)
{
    while (*list) {
        if (strncmp(list, "3.1.1:MQTT-", 11) != 0 && strncmp(list, "5.0:MQTT-", 9) != 0)
            return false;
        list += strcspn(list, " ");
        list += strspn(list, " ");
    }
    return true;
}

static void test_quirk_table(void **state)
{
    (void)state;
    assert_true(SIM_Q_COUNT <= 8 * sizeof(sim_quirk_set));
    for (int q = 0; q < SIM_Q_COUNT; q++) {
        const sim_quirk_info *qi = sim_quirk_info_of((sim_quirk_id)q);
        assert_non_null(qi);
        assert_non_null(qi->name);
        /* A planted bug (planted.c) breaks no statement (run reports a crash as CRASHED, memory growth as a
         * WARN); every other quirk cites one. */
        bool crash = sim_quirk_is_planted((sim_quirk_id)q);
        assert_true((strlen(qi->statements) > 0) != crash && strlen(qi->description) > 0);
        if (!statements_qualified(qi->statements))
            fail_msg("quirk %s: statements not version-qualified: %s", qi->name, qi->statements);
        assert_int_equal(sim_quirk_by_name(qi->name), q);
    }
    assert_int_equal(sim_quirk_by_name("no-such-quirk"), -1);
    assert_null(sim_quirk_info_of(SIM_Q_COUNT));
}

static void test_quirks_are_per_listener(void **state)
{
    (void)state;
    sim_config cfg;
    sim_config_init(&cfg);
    sim_config_add_listener(&cfg, "mqtt://127.0.0.1:0", NULL, NULL, 0);
    sim_config_add_listener(&cfg, "mqtt://127.0.0.1:0", NULL, NULL, SIM_QUIRK_BIT(SIM_Q_PINGREQ_UNANSWERED));
    fixture *f = start_with(&cfg);
    client *plain = connected(sim_port(f->b, 0), MQTT_V311, "plain");
    client *quirky = connected(sim_port(f->b, 1), MQTT_V311, "quirky");
    mqtt_packet p = {.type = MQTT_PINGREQ};
    client_send(plain, &p);
    client_send(quirky, &p);
    expect_packet(plain, &p, MQTT_PINGRESP);
    expect_nothing(quirky);
    client_drop(plain);
    client_drop(quirky);
    sim_stop(f->b);
    free(f);
}

static fixture *start_quirky(sim_quirk_set quirks)
{
    sim_config cfg;
    sim_config_init(&cfg);
    sim_config_add_listener(&cfg, "mqtt://127.0.0.1:0", NULL, NULL, quirks);
    return start_with(&cfg);
}

static void stop(fixture *f)
{
    sim_stop(f->b);
    free(f);
}

/* takeover-keeps-old: the session, subscription included, goes to the new connection; the old one stays
 * open serving nothing, and its next packet closes it without being acted upon.  No scenario sends on the
 * old connection, so this is the test of that path. */
static void test_quirk_takeover_keeps_old(void **state)
{
    (void)state;
    fixture *f = start_quirky(SIM_QUIRK_BIT(SIM_Q_TAKEOVER_KEEPS_OLD));
    connect_args a = {.id = "twice", .clean = false, .keep_alive = 60};
    client *old = client_open(f->port, MQTT_V311);
    assert_int_equal(connect_with(old, &a).code, 0);
    subscribe(old, "tk/t", 0, 0);
    client *now = client_open(f->port, MQTT_V311);
    mqtt_connack ca = connect_with(now, &a);
    assert_int_equal(ca.code, 0);
    assert_int_equal(ca.flags, 1);
    expect_nothing(old); /* the deviation: not closed */
    publish(old, "tk/t", "from the old one", 0, false, 0);
    expect_close(old, WAIT_MS);
    expect_nothing(now); /* the old connection's PUBLISH was not routed */
    publish(now, "tk/t", "from the new one", 0, false, 0);
    mqtt_packet p;
    expect_publish(now, &p, "tk/t", "from the new one", 0);
    client_drop(old);
    client_drop(now);
    stop(f);
}

/* dollar-topics-matched undoes only the '$' rule: a leading '#' or '+' matches a '$' topic, and a filter
 * whose first level is not a wildcard still matches only what it names. */
static void test_quirk_dollar_topics_matched(void **state)
{
    (void)state;
    fixture *f = start_quirky(SIM_QUIRK_BIT(SIM_Q_DOLLAR_TOPICS_MATCHED));
    client *all = connected(f->port, MQTT_V311, "hashall");
    subscribe(all, "#", 0, 0);
    client *named = connected(f->port, MQTT_V311, "named");
    subscribe(named, "d/x", 0, 0);
    client *pub = connected(f->port, MQTT_V311, "dpub");
    publish(pub, "$d/x", "dollar", 0, false, 0);
    mqtt_packet p;
    expect_publish(all, &p, "$d/x", "dollar", 0);
    expect_nothing(named);
    client_drop(all);
    client_drop(named);
    client_drop(pub);
    stop(f);
}

/* ---- lenient-parsing quirks ---- */

static void send_raw(client *c, const char *hex)
{
    uint8_t buf[64];
    size_t n = 0;
    unsigned byte;
    int used;
    for (const char *h = hex; n < sizeof buf && sscanf(h, " %2x%n", &byte, &used) == 1; h += used)
        buf[n++] = (uint8_t)byte;
    assert_int_equal(mqs_transport_write_all(c->t, buf, n, mqs_now_ms() + WAIT_MS), 0);
}

/* The connection is open and serving: a PINGREQ gets the next packet, a PINGRESP. */
static void expect_serving(client *c)
{
    mqtt_packet p = {.type = MQTT_PINGREQ};
    client_send(c, &p);
    expect_packet(c, &p, MQTT_PINGRESP);
}

/* Each quirk forgives its one fault (the packet dropped, or taken repaired) and nothing more: a packet
 * with a second fault, or a fault of another quirk, still closes the connection. */
static void test_quirk_lenient_parsing(void **state)
{
    (void)state;
    fixture *f = start_quirky(SIM_QUIRK_BIT(SIM_Q_LENIENT_RESERVED_FLAGS));
    client *c = connected(f->port, MQTT_V311, "flags");
    send_raw(c, "c1 00"); /* PINGREQ with flags 0001: dropped, no PINGRESP for it */
    expect_serving(c);
    expect_nothing(c);
    send_raw(c, "c1 01 00"); /* and a payload byte: a second fault */
    expect_close(c, WAIT_MS);
    client_drop(c);
    stop(f);

    f = start_quirky(SIM_QUIRK_BIT(SIM_Q_LENIENT_FIXED_LENGTH));
    c = connected(f->port, MQTT_V5, "length");
    mqtt_packet p;
    send_raw(c, "c0 02 00 00"); /* PINGREQ with a payload: taken without it */
    expect_packet(c, &p, MQTT_PINGRESP);
    send_raw(c, "40 01 00"); /* PUBACK too short for its packet id: dropped */
    expect_serving(c);
    send_raw(c, "d0 00"); /* a PINGRESP from the client is another quirk's business */
    expect_close(c, WAIT_MS);
    client_drop(c);
    stop(f);

    f = start_quirky(SIM_QUIRK_BIT(SIM_Q_IGNORES_SERVER_PACKETS) | SIM_QUIRK_BIT(SIM_Q_UNEXPECTED_AUTH_IGNORED));
    c = connected(f->port, MQTT_V5, "direction");
    send_raw(c, "90 04 00 01 00 00"); /* SUBACK from the client: dropped */
    send_raw(c, "f0 06 19 04 15 00 01 78"); /* AUTH without an agreed method: ignored */
    expect_serving(c);
    send_raw(c, "41 02 00 01"); /* PUBACK with flags 0001 */
    expect_close(c, WAIT_MS);
    client_drop(c);
    stop(f);
}

/* ---- legal variants ---- */

static fixture *start_variant(sim_variant_id v)
{
    sim_config cfg;
    sim_config_init(&cfg);
    sim_config_add_listener(&cfg, "mqtt://127.0.0.1:0", NULL, NULL, 0);
    cfg.listeners[0].variants = SIM_VARIANT_BIT(v);
    return start_with(&cfg);
}

/* A 5.0 client connected with these CONNECT properties; its CONNACK in *ca. */
static client *connected5(int port, const char *id, mqtt_props props, mqtt_connack *ca)
{
    client *c = client_open(port, MQTT_V5);
    connect_args a = {.id = id, .clean = true, .keep_alive = 60, .props = props};
    *ca = connect_with(c, &a);
    assert_int_equal(ca->code, 0);
    return c;
}

/* The value of a numeric CONNACK property; -1 when absent. */
static long connack_prop(const mqtt_connack *ca, uint8_t id)
{
    mqtt_property pr;
    return mqtt_prop_find(ca->props, id, &pr) ? (long)pr.value : -1;
}

/* A 5.0 protocol error the variant announced: DISCONNECT with this reason code, then the close. */
static void expect_disconnect(client *c, uint8_t reason)
{
    mqtt_packet p;
    expect_packet(c, &p, MQTT_DISCONNECT);
    assert_int_equal(p.u.disconnect.code, reason);
    expect_close(c, WAIT_MS);
}

static void test_variant_table(void **state)
{
    (void)state;
    for (int v = 0; v < SIM_V_COUNT; v++) {
        const sim_variant_info *vi = sim_variant_info_of((sim_variant_id)v);
        assert_non_null(vi);
        assert_non_null(vi->name);
        assert_int_equal(sim_variant_by_name(vi->name), v);
        assert_true(strchr(vi->quote, '"') != NULL); /* the sentence allowing it, quoted */
        if (strncmp(vi->allowed_by, "3.1.1:", 6) != 0 && strncmp(vi->allowed_by, "5.0:", 4) != 0)
            fail_msg("variant %s: allowed_by not version-qualified: %s", vi->name, vi->allowed_by);
        assert_non_null(vi->description);
        assert_non_null(vi->lacks);
        assert_int_equal(sim_quirk_by_name(vi->name), -1); /* one name, one meaning */
    }
    assert_int_equal(sim_variant_by_name("no-such-variant"), -1);
    assert_null(sim_variant_info_of(SIM_V_COUNT));
}

/* inflight-1: the second QoS 1 delivery waits for the PUBACK of the first, in both versions. */
static void test_variant_inflight_1(void **state)
{
    (void)state;
    fixture *f = start_variant(SIM_V_INFLIGHT_1);
    for (mqtt_version v = MQTT_V311; v <= MQTT_V5; v++) {
        client *sub = connected(f->port, v, "w1sub");
        subscribe(sub, "w1/t", 2, 2);
        client *pub = connected(f->port, v, "w1pub");
        publish(pub, "w1/t", "a", 1, false, 1);
        publish(pub, "w1/t", "b", 2, false, 2);
        mqtt_packet p;
        expect_publish(sub, &p, "w1/t", "a", 1);
        expect_nothing(sub);
        send_ack(sub, MQTT_PUBACK, p.u.publish.packet_id);
        expect_publish(sub, &p, "w1/t", "b", 2);
        uint16_t id = p.u.publish.packet_id;
        send_ack(sub, MQTT_PUBREC, id);
        expect_packet(sub, &p, MQTT_PUBREL);
        send_ack(sub, MQTT_PUBCOMP, id);
        client_drop(sub);
        client_drop(pub);
    }
    stop(f);
}

/* max-qos-1: SUBACK 1 for a QoS 2 request and deliveries at QoS 1; 3.1.1 still answers a QoS 2 PUBLISH
 * with PUBREC; 5.0 announces Maximum QoS 1 and refuses a QoS 2 PUBLISH (0x9B) and a Will QoS 2. */
static void test_variant_max_qos_1(void **state)
{
    (void)state;
    fixture *f = start_variant(SIM_V_MAX_QOS_1);
    client *sub = connected(f->port, MQTT_V311, "mqsub");
    subscribe(sub, "mq/t", 2, 1);
    client *pub = connected(f->port, MQTT_V311, "mqpub");
    publish(pub, "mq/t", "x", 2, false, 3);
    mqtt_packet p;
    expect_packet(pub, &p, MQTT_PUBREC);
    send_ack(pub, MQTT_PUBREL, 3);
    expect_packet(pub, &p, MQTT_PUBCOMP);
    expect_publish(sub, &p, "mq/t", "x", 1);
    client_drop(sub);
    client_drop(pub);

    mqtt_connack ca;
    client *c5 = connected5(f->port, "mq5", (mqtt_props){NULL, 0}, &ca);
    assert_int_equal(connack_prop(&ca, MQTT_PROP_MAXIMUM_QOS), 1);
    subscribe(c5, "mq/t", 2, 1); /* MQTT-3.2.2-10: a QoS 2 request is still accepted */
    publish(c5, "mq/t", "y", 2, false, 4);
    expect_disconnect(c5, 0x9B);
    client_drop(c5);

    client *w = client_open(f->port, MQTT_V5);
    connect_args a = {.id = "mqwill", .clean = true, .will_topic = "mq/w", .will_payload = "w", .will_qos = 2};
    assert_int_equal(connect_with(w, &a).code, 0x9B);
    expect_close(w, WAIT_MS);
    client_drop(w);
    stop(f);
}

/* no-retain: 5.0 Retain Available 0 and DISCONNECT 0x9A for RETAIN 1; 3.1.1 keeps retained messages. */
static void test_variant_no_retain(void **state)
{
    (void)state;
    fixture *f = start_variant(SIM_V_NO_RETAIN);
    mqtt_connack ca;
    client *c5 = connected5(f->port, "nr5", (mqtt_props){NULL, 0}, &ca);
    assert_int_equal(connack_prop(&ca, MQTT_PROP_RETAIN_AVAILABLE), 0);
    publish(c5, "nr/t", "kept?", 0, true, 0);
    expect_disconnect(c5, 0x9A);
    client_drop(c5);

    client *pub = connected(f->port, MQTT_V311, "nrpub");
    publish(pub, "nr/t", "kept", 0, true, 0);
    client *sub = connected(f->port, MQTT_V311, "nrsub");
    subscribe(sub, "nr/t", 0, 0);
    mqtt_packet p;
    expect_publish(sub, &p, "nr/t", "kept", 0);
    assert_true(p.u.publish.retain);
    client_drop(pub);
    client_drop(sub);
    stop(f);
}

/* SUBSCRIBE with two filters (and optional properties); returns the SUBACK. */
static mqtt_packet subscribe_two(client *c, const char *f1, const char *f2, mqtt_props props)
{
    uint8_t buf[256];
    mqtt_writer w;
    mqtt_writer_init(&w, buf, sizeof buf);
    mqtt_write_sub_entry(&w, text(f1), 1);
    mqtt_write_sub_entry(&w, text(f2), 1);
    mqtt_packet p = {.type = MQTT_SUBSCRIBE};
    p.u.subs.packet_id = 5;
    p.u.subs.props = props;
    p.u.subs.list = (mqtt_list){buf, (uint32_t)w.len, 2};
    client_send(c, &p);
    expect_packet(c, &p, MQTT_SUBACK);
    assert_int_equal(p.u.subs.packet_id, 5);
    assert_int_equal(p.u.subs.list.count, 2);
    return p;
}

/* no-wildcards: 5.0 Wildcard Subscription Available 0, SUBACK 0xA2 for the wildcard filter only;
 * 3.1.1 refuses wildcard filters with 0x80 (MQTT-3.8.3-2) and grants the others. */
static void test_variant_no_wildcards(void **state)
{
    (void)state;
    fixture *f = start_variant(SIM_V_NO_WILDCARDS);
    mqtt_connack ca;
    client *c5 = connected5(f->port, "nw5", (mqtt_props){NULL, 0}, &ca);
    assert_int_equal(connack_prop(&ca, MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE), 0);
    mqtt_packet p = subscribe_two(c5, "nw/+", "nw/t", (mqtt_props){NULL, 0});
    assert_int_equal(p.u.subs.list.ptr[0], 0xA2);
    assert_int_equal(p.u.subs.list.ptr[1], 1);
    client_drop(c5);

    client *c3 = connected(f->port, MQTT_V311, "nw3");
    p = subscribe_two(c3, "nw/+", "nw/t", (mqtt_props){NULL, 0});
    assert_int_equal(p.u.subs.list.ptr[0], 0x80);
    assert_int_equal(p.u.subs.list.ptr[1], 1);
    client_drop(c3);
    stop(f);
}

/* no-subscription-ids: announced in CONNACK; a SUBSCRIBE carrying one gets DISCONNECT 0xA1. */
static void test_variant_no_subscription_ids(void **state)
{
    (void)state;
    fixture *f = start_variant(SIM_V_NO_SUBSCRIPTION_IDS);
    mqtt_connack ca;
    client *c5 = connected5(f->port, "ns5", (mqtt_props){NULL, 0}, &ca);
    assert_int_equal(connack_prop(&ca, MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE), 0);
    subscribe(c5, "ns/t", 1, 1); /* without an identifier: granted */
    uint8_t buf[16], ebuf[64];
    mqtt_writer w;
    mqtt_writer_init(&w, ebuf, sizeof ebuf);
    mqtt_write_sub_entry(&w, text("ns/u"), 1);
    mqtt_packet p = {.type = MQTT_SUBSCRIBE};
    p.u.subs.packet_id = 2;
    p.u.subs.props = one_prop(buf, sizeof buf, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 7);
    p.u.subs.list = (mqtt_list){ebuf, (uint32_t)w.len, 1};
    client_send(c5, &p);
    expect_disconnect(c5, 0xA1);
    client_drop(c5);
    stop(f);
}

/* session-expiry-override: 100 s asked, 5 s announced and honoured (the session is gone after 5 s);
 * an interval within the cap is used as asked and not announced. */
static void test_variant_session_expiry_override(void **state)
{
    (void)state;
    fixture *f = start_variant(SIM_V_SESSION_EXPIRY_OVERRIDE);
    uint8_t buf[16];
    mqtt_connack ca;
    client *c = connected5(f->port, "se5", one_prop(buf, sizeof buf, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 100), &ca);
    assert_int_equal(connack_prop(&ca, MQTT_PROP_SESSION_EXPIRY_INTERVAL), 5);
    client_drop(c);
    c = client_open(f->port, MQTT_V5);
    connect_args a = {.id = "se5", .clean = false, .keep_alive = 60,
                      .props = one_prop(buf, sizeof buf, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 3)};
    ca = connect_with(c, &a);
    assert_int_equal(ca.flags & 1, 1); /* kept over the short absence */
    assert_int_equal(connack_prop(&ca, MQTT_PROP_SESSION_EXPIRY_INTERVAL), -1);
    client_drop(c);

    c = connected5(f->port, "se6", one_prop(buf, sizeof buf, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 100), &ca);
    client_drop(c);
    /* past the 5 s announced, far within the 100 s asked */
    nanosleep(&(struct timespec){.tv_sec = 5, .tv_nsec = 600000000}, NULL);
    c = client_open(f->port, MQTT_V5);
    a.id = "se6";
    ca = connect_with(c, &a);
    assert_int_equal(ca.flags & 1, 0);
    client_drop(c);
    stop(f);
}

/* keep-alive-override: Keep Alive 1 is answered by Server Keep Alive 2, which is what the sim enforces
 * (no close at 1.5 s, a close by 3 s); Keep Alive 0 stays 0. */
static void test_variant_keep_alive_override(void **state)
{
    (void)state;
    fixture *f = start_variant(SIM_V_KEEP_ALIVE_OVERRIDE);
    client *c = client_open(f->port, MQTT_V5);
    connect_args a = {.id = "ko", .clean = true, .keep_alive = 1};
    mqtt_connack ca = connect_with(c, &a);
    assert_int_equal(connack_prop(&ca, MQTT_PROP_SERVER_KEEP_ALIVE), 2);
    int64_t t0 = mqs_now_ms();
    mqtt_packet p;
    assert_int_equal(client_wait(c, &p, 2000), GOT_NOTHING);
    expect_packet(c, &p, MQTT_DISCONNECT);
    assert_int_equal(p.u.disconnect.code, 0x8D);
    assert_true(mqs_now_ms() - t0 <= 4000);
    client_drop(c);

    c = client_open(f->port, MQTT_V5);
    a = (connect_args){.id = "ko0", .clean = true, .keep_alive = 0};
    ca = connect_with(c, &a);
    assert_int_equal(connack_prop(&ca, MQTT_PROP_SERVER_KEEP_ALIVE), -1);
    client_drop(c);
    stop(f);
}

/* wrong-protocol-name-311: a level-5 CONNECT named "MQTX" gets exactly 20 02 00 01, then the close. */
static void test_variant_wrong_protocol_name_311(void **state)
{
    (void)state;
    fixture *f = start_variant(SIM_V_WRONG_PROTOCOL_NAME_311);
    client *c = client_open(f->port, MQTT_V5);
    static const uint8_t connect[] = {0x10, 0x0f, 0x00, 0x04, 'M', 'Q', 'T', 'X', 0x05, 0x02, 0x00, 0x3c,
                                      0x00, 0x00, 0x02, 'i',  'd'};
    assert_int_equal(mqs_transport_write_all(c->t, connect, sizeof connect, mqs_now_ms() + WAIT_MS), 0);
    uint8_t reply[8];
    size_t n = 0;
    while (n < 4) {
        struct pollfd pfd = {.fd = mqs_transport_fd(c->t), .events = POLLIN};
        assert_true(poll(&pfd, 1, WAIT_MS) == 1);
        ssize_t r = mqs_transport_read(c->t, reply + n, sizeof reply - n);
        if (r == MQS_IO_AGAIN)
            continue;
        assert_true(r > 0);
        n += (size_t)r;
    }
    static const uint8_t connack_311_refused[] = {0x20, 0x02, 0x00, 0x01};
    assert_int_equal(n, 4);
    assert_memory_equal(reply, connack_311_refused, 4);
    c->v = MQTT_V311;
    expect_close(c, WAIT_MS);
    client_drop(c);
    stop(f);
}

/* qos2-forward-at-pubrel: nothing reaches the subscriber between PUBREC and PUBREL; at PUBREL it is
 * delivered once (and a resend before PUBREL is still not delivered). */
static void test_variant_qos2_forward_at_pubrel(void **state)
{
    (void)state;
    fixture *f = start_variant(SIM_V_QOS2_FORWARD_AT_PUBREL);
    for (mqtt_version v = MQTT_V311; v <= MQTT_V5; v++) {
        client *sub = connected(f->port, v, "fasub");
        subscribe(sub, "fa/t", 2, 2);
        client *pub = connected(f->port, v, "fapub");
        publish(pub, "fa/t", "late", 2, true, 8);
        mqtt_packet p;
        expect_packet(pub, &p, MQTT_PUBREC);
        expect_nothing(sub);
        publish(pub, "fa/t", "late", 2, true, 8); /* resent before PUBREL: PUBREC again, held once */
        expect_packet(pub, &p, MQTT_PUBREC);
        expect_nothing(sub);
        send_ack(pub, MQTT_PUBREL, 8);
        expect_packet(pub, &p, MQTT_PUBCOMP);
        expect_publish(sub, &p, "fa/t", "late", 2);
        uint16_t id = p.u.publish.packet_id;
        send_ack(sub, MQTT_PUBREC, id);
        expect_packet(sub, &p, MQTT_PUBREL);
        send_ack(sub, MQTT_PUBCOMP, id);
        expect_nothing(sub);
        client_drop(sub);
        /* the retained store took it at PUBREL too */
        client *late = connected(f->port, v, "falate");
        subscribe(late, "fa/t", 0, 0);
        expect_publish(late, &p, "fa/t", "late", 0);
        assert_true(p.u.publish.retain);
        publish(pub, "fa/t", "", 0, true, 0); /* clear it for the next version */
        client_drop(late);
        client_drop(pub);
    }
    /* A held message goes with its session: the publisher (clean session) leaves before PUBREL. */
    client *sub = connected(f->port, MQTT_V311, "fasub2");
    subscribe(sub, "fa/u", 2, 2);
    client *pub = connected(f->port, MQTT_V311, "fapub2");
    publish(pub, "fa/u", "never", 2, false, 3);
    mqtt_packet p;
    expect_packet(pub, &p, MQTT_PUBREC);
    client_drop(pub);
    expect_nothing(sub);
    client_drop(sub);
    stop(f);
}

/* close-without-disconnect: a 5.0 protocol error (a second CONNECT) closes without a DISCONNECT first. */
static void test_variant_close_without_disconnect(void **state)
{
    (void)state;
    fixture *f = start_variant(SIM_V_CLOSE_WITHOUT_DISCONNECT);
    client *c = connected(f->port, MQTT_V5, "cwd");
    send_connect(c, &(connect_args){.id = "cwd", .clean = true, .keep_alive = 60});
    mqtt_packet p;
    assert_int_equal(client_wait(c, &p, WAIT_MS), GOT_CLOSE);
    client_drop(c);
    stop(f);
}

/* crash-on-client-connack: a client's CONNACK closes every connection at once, and the port accepts no
 * more (what a crashed broker looks like); any other malformed packet is closed on as usual. */
static void test_quirk_crash_on_client_connack(void **state)
{
    (void)state;
    fixture *f = start_quirky(SIM_QUIRK_BIT(SIM_Q_CRASH_ON_CLIENT_CONNACK));
    client *other = connected(f->port, MQTT_V311, "bystander");
    client *c = connected(f->port, MQTT_V5, "pingresp");
    send_raw(c, "d0 00"); /* a PINGRESP from the client: an ordinary protocol error */
    expect_close(c, WAIT_MS);
    client_drop(c);
    expect_serving(other);
    c = connected(f->port, MQTT_V5, "killer");
    send_raw(c, "20 03 00 00 00"); /* CONNACK from the client */
    expect_close(c, WAIT_MS);
    expect_close(other, WAIT_MS);
    client_drop(c);
    client_drop(other);
    char url[64], err[256];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", f->port);
    mqs_url u;
    assert_int_equal(mqs_url_parse(url, &u, err, sizeof err), 0);
    mqs_transport *t = mqs_transport_connect(&u, NULL, mqs_now_ms() + WAIT_MS, err, sizeof err);
    assert_null(t); /* refused: nothing listens any more */
    stop(f);
}

/* ---- delivery-guarantee quirks (what `mqttspec chaos` must catch) ---- */

/* The persistent subscriber drops its connection; the publisher gets its Will, so the broker has seen the drop
 * and what is published next is queued for the session, not sent. */
static void drop_and_wait_for_will(client *sub, client *pub)
{
    client_drop(sub);
    mqtt_packet p;
    expect_publish(pub, &p, "cq/gone", ".", 0);
}

static void publish_acked(client *pub, const char *payload, uint8_t qos, uint16_t id)
{
    mqtt_packet p;
    publish(pub, "cq/t", payload, qos, false, id);
    if (qos == 1) {
        expect_packet(pub, &p, MQTT_PUBACK);
        return;
    }
    expect_packet(pub, &p, MQTT_PUBREC);
    send_ack(pub, MQTT_PUBREL, id);
    expect_packet(pub, &p, MQTT_PUBCOMP);
}

/* chaos-lose-acked-qos1 counts the QoS 1 messages found queued over the session's life: six queued before a
 * first resume all come; of six more before a second resume the fourth (the 10th) is lost, the rest come. */
static void test_quirk_chaos_lose_acked_qos1(void **state)
{
    (void)state;
    fixture *f = start_quirky(SIM_QUIRK_BIT(SIM_Q_CHAOS_LOSE_ACKED_QOS1));
    connect_args a = {.id = "lose", .clean = false, .keep_alive = 60, .will_topic = "cq/gone", .will_payload = "."};
    client *sub = client_open(f->port, MQTT_V311);
    assert_int_equal(connect_with(sub, &a).code, 0);
    subscribe(sub, "cq/t", 1, 1);
    client *pub = connected(f->port, MQTT_V311, "losepub");
    subscribe(pub, "cq/gone", 0, 0);
    static const char *const BATCHES[2][6] = {{"a1", "a2", "a3", "a4", "a5", "a6"},
                                              {"b1", "b2", "b3", "b4", "b5", "b6"}};
    for (int batch = 0; batch < 2; batch++) {
        drop_and_wait_for_will(sub, pub);
        for (int i = 0; i < 6; i++)
            publish_acked(pub, BATCHES[batch][i], 1, (uint16_t)(batch * 6 + i + 1));
        sub = client_open(f->port, MQTT_V311);
        assert_int_equal(connect_with(sub, &a).flags, 1);
        for (int i = 0; i < 6; i++) {
            if (batch == 1 && i == 3)
                continue; /* b4: the 10th queued QoS 1 message of this session */
            mqtt_packet p;
            expect_publish(sub, &p, "cq/t", BATCHES[batch][i], 1);
            send_ack(sub, MQTT_PUBACK, p.u.publish.packet_id);
        }
        expect_nothing(sub);
    }
    client_drop(sub);
    client_drop(pub);
    stop(f);
}

/* chaos-shared-lose counts the QoS 1 messages routed to each shared group: of ten, the 5th and the 10th reach
 * no member; a plain subscription of the same topic gets all ten, and a QoS 2 message is not counted. */
static void test_quirk_chaos_shared_lose(void **state)
{
    (void)state;
    fixture *f = start_quirky(SIM_QUIRK_BIT(SIM_Q_CHAOS_SHARED_LOSE));
    client *member = connected(f->port, MQTT_V5, "member");
    subscribe(member, "$share/g/cq/t", 2, 2);
    client *plain = connected(f->port, MQTT_V5, "plain");
    subscribe(plain, "cq/t", 1, 1);
    client *pub = connected(f->port, MQTT_V5, "sharedpub");
    static const char *const MSGS[] = {"m1", "m2", "m3", "m4", "q2", "m5", "m6", "m7", "m8", "m9", "m10"};
    for (uint16_t i = 0; i < sizeof MSGS / sizeof MSGS[0]; i++) {
        uint8_t qos = MSGS[i][0] == 'q' ? 2 : 1;
        publish_acked(pub, MSGS[i], qos, (uint16_t)(i + 1));
        mqtt_packet p;
        expect_publish(plain, &p, "cq/t", MSGS[i], 1);
        send_ack(plain, MQTT_PUBACK, p.u.publish.packet_id);
        if (strcmp(MSGS[i], "m5") == 0 || strcmp(MSGS[i], "m10") == 0) {
            expect_nothing(member); /* the 5th and 10th QoS 1 message of the group */
            continue;
        }
        expect_publish(member, &p, "cq/t", MSGS[i], qos);
        if (qos == 1) {
            send_ack(member, MQTT_PUBACK, p.u.publish.packet_id);
            continue;
        }
        send_ack(member, MQTT_PUBREC, p.u.publish.packet_id);
        expect_packet(member, &p, MQTT_PUBREL);
        send_ack(member, MQTT_PUBCOMP, p.u.ack.packet_id);
    }
    client_drop(member);
    client_drop(plain);
    client_drop(pub);
    stop(f);
}

/* chaos-qos2-dup-on-reconnect: the interrupted delivery is resent (DUP 1, its packet id) as it must be, and a
 * copy follows under a new packet id with DUP 0; both flows complete, nothing else comes. */
static void test_quirk_chaos_qos2_dup_on_reconnect(void **state)
{
    (void)state;
    fixture *f = start_quirky(SIM_QUIRK_BIT(SIM_Q_CHAOS_QOS2_DUP_ON_RECONNECT));
    connect_args a = {.id = "dup2", .clean = false, .keep_alive = 60, .will_topic = "cq/gone", .will_payload = "."};
    client *sub = client_open(f->port, MQTT_V311);
    assert_int_equal(connect_with(sub, &a).code, 0);
    subscribe(sub, "cq/t", 2, 2);
    client *pub = connected(f->port, MQTT_V311, "dup2pub");
    subscribe(pub, "cq/gone", 0, 0);
    publish_acked(pub, "once", 2, 1);
    mqtt_packet p;
    expect_publish(sub, &p, "cq/t", "once", 2);
    uint16_t id = p.u.publish.packet_id;
    drop_and_wait_for_will(sub, pub); /* before PUBREC */
    sub = client_open(f->port, MQTT_V311);
    assert_int_equal(connect_with(sub, &a).flags, 1);
    expect_publish(sub, &p, "cq/t", "once", 2);
    assert_true(p.u.publish.dup);
    assert_int_equal(p.u.publish.packet_id, id);
    expect_publish(sub, &p, "cq/t", "once", 2); /* the deviation */
    assert_false(p.u.publish.dup);
    uint16_t copy = p.u.publish.packet_id;
    assert_int_not_equal(copy, id);
    uint16_t ids[2] = {id, copy};
    for (int i = 0; i < 2; i++) {
        send_ack(sub, MQTT_PUBREC, ids[i]);
        expect_packet(sub, &p, MQTT_PUBREL);
        assert_int_equal(p.u.ack.packet_id, ids[i]);
        send_ack(sub, MQTT_PUBCOMP, ids[i]);
    }
    expect_nothing(sub);
    client_drop(sub);
    client_drop(pub);
    stop(f);
}

/* ---- TLS ---- */

/* A self-signed certificate and key for 127.0.0.1 in dir; false if OpenSSL could not make one. */
static bool make_self_signed(const char *cert_path, const char *key_path)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    bool ok = key && x && X509_set_version(x, X509_VERSION_3) && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
              X509_gmtime_adj(X509_getm_notBefore(x), -3600) && X509_gmtime_adj(X509_getm_notAfter(x), 3600) &&
              X509_set_pubkey(x, key) &&
              X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                         (const unsigned char *)"127.0.0.1", -1, -1, 0) &&
              X509_set_issuer_name(x, X509_get_subject_name(x)) && X509_sign(x, key, EVP_sha256()) != 0;
    FILE *fc = ok ? fopen(cert_path, "w") : NULL, *fk = ok ? fopen(key_path, "w") : NULL;
    ok = fc && fk && PEM_write_X509(fc, x) && PEM_write_PrivateKey(fk, key, NULL, NULL, 0, NULL, NULL);
    if (fc)
        fclose(fc);
    if (fk)
        fclose(fk);
    X509_free(x);
    EVP_PKEY_free(key);
    return ok;
}

static void test_tls_listener(void **state)
{
    (void)state;
    char dir[] = "/tmp/mqttspec-sim-tls-XXXXXX", cert[64], key[64];
    assert_non_null(mkdtemp(dir));
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    assert_true(make_self_signed(cert, key));
    sim_config cfg;
    sim_config_init(&cfg);
    sim_config_add_listener(&cfg, "mqtts://127.0.0.1:0", cert, key, 0);
    fixture *f = start_with(&cfg);
    mqs_tls_opts tls = {.insecure = true};
    client *c = client_open_url("mqtts://127.0.0.1", f->port, MQTT_V5, &tls);
    connect_args a = {.id = "tls", .clean = true, .keep_alive = 60};
    assert_int_equal(connect_with(c, &a).code, 0);
    subscribe(c, "tls/t", 1, 1);
    publish(c, "tls/t", "secret", 0, false, 0);
    mqtt_packet p;
    expect_publish(c, &p, "tls/t", "secret", 0);
    client_drop(c);
    sim_stop(f->b);
    free(f);
    unlink(cert);
    unlink(key);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_311, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_5_assigns_client_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_packet_not_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_connect_closes_5, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qos1_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qos2_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_resume_resends_with_dup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retained, setup, teardown),
        cmocka_unit_test_setup_teardown(test_will_on_drop_not_after_disconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keepalive_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_5_disconnect_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(test_topic_alias, setup, teardown),
        cmocka_unit_test_setup_teardown(test_takeover_5, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receive_maximum_honoured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_31, setup, teardown),
        cmocka_unit_test(test_server_keep_alive),
        cmocka_unit_test_setup_teardown(test_big_packet_and_client_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_local, setup, teardown),
        cmocka_unit_test(test_quirk_table),
        cmocka_unit_test(test_quirks_are_per_listener),
        cmocka_unit_test(test_quirk_takeover_keeps_old),
        cmocka_unit_test(test_quirk_dollar_topics_matched),
        cmocka_unit_test(test_quirk_lenient_parsing),
        cmocka_unit_test(test_variant_table),
        cmocka_unit_test(test_variant_inflight_1),
        cmocka_unit_test(test_variant_max_qos_1),
        cmocka_unit_test(test_variant_no_retain),
        cmocka_unit_test(test_variant_no_wildcards),
        cmocka_unit_test(test_variant_no_subscription_ids),
        cmocka_unit_test(test_variant_session_expiry_override),
        cmocka_unit_test(test_variant_keep_alive_override),
        cmocka_unit_test(test_variant_wrong_protocol_name_311),
        cmocka_unit_test(test_variant_qos2_forward_at_pubrel),
        cmocka_unit_test(test_variant_close_without_disconnect),
        cmocka_unit_test(test_quirk_crash_on_client_connack),
        cmocka_unit_test(test_quirk_chaos_lose_acked_qos1),
        cmocka_unit_test(test_quirk_chaos_qos2_dup_on_reconnect),
        cmocka_unit_test(test_quirk_chaos_shared_lose),
        cmocka_unit_test(test_tls_listener),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
