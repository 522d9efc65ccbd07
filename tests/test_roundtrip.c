/*
 * Encode -> decode -> encode for every packet type of 3.1, 3.1.1 and 5.0:
 * every field comes back, the second encoding is byte-identical, the size
 * function agrees with the encoder and a buffer one byte short is refused.
 * Then every 5.0 property, the 5.0 short forms, remaining-length
 * boundaries up to a 2 MB packet, the writer, and topic matching / filter
 * syntax.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mqttspec/codec.h"

enum { WIRE_CAP = 8192, BLOCK_CAP = 1024 };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define STR(s) ((mqtt_bytes){(const uint8_t *)(s), (uint32_t)(sizeof(s) - 1)})
#define PROP_INT(id_, v) {.id = (id_), .value = (v)}
#define PROP_STR(id_, s) {.id = (id_), .data = STR(s)}
#define PROP_PAIR(k, v) {.id = MQTT_PROP_USER_PROPERTY, .data = STR(k), .value2 = STR(v)}

/* ---- helpers ---- */

static mqtt_bytes bytes_of(const char *s) { return (mqtt_bytes){(const uint8_t *)s, (uint32_t)strlen(s)}; }

static void assert_same_bytes(mqtt_bytes got, mqtt_bytes want)
{
    assert_int_equal(got.len, want.len);
    if (want.len)
        assert_memory_equal(got.ptr, want.ptr, want.len);
}

static void assert_same_props(mqtt_props got, mqtt_props want)
{
    assert_int_equal(got.len, want.len);
    if (want.len)
        assert_memory_equal(got.ptr, want.ptr, want.len);
}

static void assert_same_list(mqtt_list got, mqtt_list want)
{
    assert_int_equal(got.len, want.len);
    assert_int_equal(got.count, want.count);
    if (want.len)
        assert_memory_equal(got.ptr, want.ptr, want.len);
}

static mqtt_props build_props(uint8_t *buf, const mqtt_property *list, size_t n)
{
    mqtt_writer w;
    mqtt_writer_init(&w, buf, BLOCK_CAP);
    for (size_t i = 0; i < n; i++)
        mqtt_write_property(&w, &list[i]);
    assert_false(w.overflow);
    return (mqtt_props){buf, (uint32_t)w.len};
}

/* SUBSCRIBE entries (options >= 0) or UNSUBSCRIBE entries (options NULL). */
static mqtt_list build_entries(uint8_t *buf, const char *const *filters, const int *options, size_t n)
{
    mqtt_writer w;
    mqtt_writer_init(&w, buf, BLOCK_CAP);
    for (size_t i = 0; i < n; i++)
        mqtt_write_sub_entry(&w, bytes_of(filters[i]), options ? options[i] : -1);
    assert_false(w.overflow);
    return (mqtt_list){buf, (uint32_t)w.len, (uint32_t)n};
}

static unsigned header_size(uint32_t remaining_length) { return 1 + mqtt_varint_size(remaining_length); }

/* What a round trip produced: the first encoding and its decoding. */
typedef struct trip {
    uint8_t wire[WIRE_CAP];
    size_t len;
    mqtt_packet out;
} trip;

static void encode_checked(const mqtt_packet *in, mqtt_version v, trip *t)
{
    size_t size = mqtt_encoded_size(in, v);
    assert_true(size > 0 && size <= WIRE_CAP);
    t->len = mqtt_encode(in, v, t->wire, sizeof t->wire);
    assert_int_equal(t->len, size);
    /* One byte short: refused, and nothing written. */
    uint8_t small[WIRE_CAP];
    memset(small, 0xA5, sizeof small);
    assert_int_equal(mqtt_encode(in, v, small, size - 1), 0);
    for (size_t i = 0; i < size; i++)
        assert_int_equal(small[i], 0xA5);
    assert_int_equal(mqtt_encode(in, v, small, 0), 0);
    /* Exactly enough room is enough. */
    assert_int_equal(mqtt_encode(in, v, small, size), size);
    assert_memory_equal(small, t->wire, size);
}

static void decode_checked(const uint8_t *wire, size_t len, mqtt_version v, mqtt_role role, mqtt_packet *out)
{
    mqtt_decode_opts opts = {.version = v, .role = role, .max_packet_size = 0};
    mqtt_error err = {.code = MQTT_E_OK};
    size_t used = 0;
    mqtt_status st = mqtt_decode(wire, len, &opts, out, &used, &err);
    if (st != MQTT_COMPLETE) {
        char msg[256];
        mqtt_err_format(&err, v, msg, sizeof msg);
        fail_msg("%s decode as %s: status %d, %s", mqtt_packet_type_name(wire[0] >> 4), mqtt_version_name(v),
                 (int)st, msg);
    }
    assert_int_equal(used, len);
    assert_false(out->flags_override);
    assert_int_equal(out->type, wire[0] >> 4);
    assert_int_equal(out->flags, wire[0] & 0x0F);
    assert_int_equal(out->remaining_length, len - header_size(out->remaining_length));
}

static void reencode_identical(const trip *t, mqtt_version v)
{
    uint8_t again[WIRE_CAP];
    assert_int_equal(mqtt_encoded_size(&t->out, v), t->len);
    size_t n = mqtt_encode(&t->out, v, again, sizeof again);
    assert_int_equal(n, t->len);
    assert_memory_equal(again, t->wire, n);
}

/* Encode in, decode it as the receiving role, re-encode the result. */
static void roundtrip(const mqtt_packet *in, mqtt_version v, mqtt_role role, trip *t)
{
    encode_checked(in, v, t);
    decode_checked(t->wire, t->len, v, role, &t->out);
    assert_int_equal(t->out.type, in->type);
    reencode_identical(t, v);
}

/* ---- per-type field comparisons ---- */

static uint8_t expected_connect_flags(const mqtt_connect *c)
{
    return (uint8_t)((c->has_username ? 0x80 : 0) | (c->has_password ? 0x40 : 0) | (c->will_retain ? 0x20 : 0) |
                     (c->will_qos << 3) | (c->will ? 0x04 : 0) | (c->clean_start ? 0x02 : 0));
}

static void assert_same_connect(const mqtt_connect *got, const mqtt_connect *in, mqtt_version v)
{
    uint8_t level = in->protocol_level ? in->protocol_level : (uint8_t)v;
    const char *name = level == MQTT_V31 ? "MQIsdp" : "MQTT";
    assert_same_bytes(got->protocol_name, in->protocol_name.ptr ? in->protocol_name : bytes_of(name));
    assert_int_equal(got->protocol_level, level);
    assert_int_equal(got->flags, expected_connect_flags(in));
    assert_int_equal(got->clean_start, in->clean_start);
    assert_int_equal(got->will, in->will);
    assert_int_equal(got->will_qos, in->will_qos);
    assert_int_equal(got->will_retain, in->will_retain);
    assert_int_equal(got->has_username, in->has_username);
    assert_int_equal(got->has_password, in->has_password);
    assert_int_equal(got->keep_alive, in->keep_alive);
    assert_same_bytes(got->client_id, in->client_id);
    if (level == MQTT_V5)
        assert_same_props(got->props, in->props);
    if (in->will) {
        if (level == MQTT_V5)
            assert_same_props(got->will_props, in->will_props);
        assert_same_bytes(got->will_topic, in->will_topic);
        assert_same_bytes(got->will_payload, in->will_payload);
    }
    if (in->has_username)
        assert_same_bytes(got->username, in->username);
    if (in->has_password)
        assert_same_bytes(got->password, in->password);
}

static void assert_same_publish(const mqtt_publish *got, const mqtt_publish *in, mqtt_version v)
{
    assert_int_equal(got->dup, in->dup);
    assert_int_equal(got->qos, in->qos);
    assert_int_equal(got->retain, in->retain);
    assert_same_bytes(got->topic, in->topic);
    assert_int_equal(got->packet_id, in->qos ? in->packet_id : 0);
    if (v == MQTT_V5)
        assert_same_props(got->props, in->props);
    else
        assert_int_equal(got->props.len, 0);
    assert_same_bytes(got->payload, in->payload);
}

/* The shortest form carrying code and props, unless has_code / has_props ask for more. */
static void assert_same_ack(const mqtt_ack *got, const mqtt_ack *in, mqtt_version v)
{
    assert_int_equal(got->packet_id, in->packet_id);
    if (v != MQTT_V5) {
        assert_int_equal(got->code, 0);
        assert_false(got->has_code);
        assert_false(got->has_props);
        return;
    }
    bool props = in->has_props || in->props.len;
    assert_int_equal(got->code, in->code);
    assert_int_equal(got->has_code, props || in->has_code || in->code);
    assert_int_equal(got->has_props, props);
    assert_same_props(got->props, in->props);
}

static void assert_same_disconnect(const mqtt_disconnect *got, const mqtt_disconnect *in, mqtt_version v)
{
    if (v != MQTT_V5) {
        assert_int_equal(got->code, 0);
        assert_false(got->has_code);
        assert_false(got->has_props);
        return;
    }
    bool props = in->has_props || in->props.len;
    assert_int_equal(got->code, in->code);
    assert_int_equal(got->has_code, props || in->has_code || in->code);
    assert_int_equal(got->has_props, props);
    assert_same_props(got->props, in->props);
}

static void assert_same_subs(const mqtt_subs *got, const mqtt_subs *in, int type, mqtt_version v)
{
    assert_int_equal(got->packet_id, in->packet_id);
    if (v == MQTT_V5)
        assert_same_props(got->props, in->props);
    if (type == MQTT_UNSUBACK && v != MQTT_V5)
        assert_int_equal(got->list.count, 0); /* 3.1.1 UNSUBACK has no payload */
    else
        assert_same_list(got->list, in->list);
}

static void assert_same_packet(const mqtt_packet *got, const mqtt_packet *in, mqtt_version v)
{
    assert_int_equal(got->type, in->type);
    switch (in->type) {
    case MQTT_CONNECT:
        assert_same_connect(&got->u.connect, &in->u.connect, v);
        break;
    case MQTT_CONNACK:
        assert_int_equal(got->u.connack.flags, in->u.connack.flags);
        assert_int_equal(got->u.connack.code, in->u.connack.code);
        if (v == MQTT_V5)
            assert_same_props(got->u.connack.props, in->u.connack.props);
        break;
    case MQTT_PUBLISH:
        assert_same_publish(&got->u.publish, &in->u.publish, v);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        assert_same_ack(&got->u.ack, &in->u.ack, v);
        break;
    case MQTT_SUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBSCRIBE:
    case MQTT_UNSUBACK:
        assert_same_subs(&got->u.subs, &in->u.subs, in->type, v);
        break;
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        assert_same_disconnect(&got->u.disconnect, &in->u.disconnect, v);
        break;
    default: /* PINGREQ, PINGRESP */
        assert_int_equal(got->remaining_length, 0);
        break;
    }
}

static void check_roundtrip(const mqtt_packet *in, mqtt_version v, mqtt_role role)
{
    trip t;
    roundtrip(in, v, role, &t);
    assert_same_packet(&t.out, in, v);
}

/* A CONNECT is the first packet: it must also decode with the version still unknown. */
static void check_connect_roundtrip(const mqtt_packet *in, mqtt_version v)
{
    check_roundtrip(in, v, MQTT_ROLE_SERVER);
    trip t;
    encode_checked(in, v, &t);
    decode_checked(t.wire, t.len, MQTT_VERSION_UNKNOWN, MQTT_ROLE_SERVER, &t.out);
    assert_same_packet(&t.out, in, v);
    reencode_identical(&t, v);
}

/* ---- every packet type, per version ---- */

typedef struct type_fixtures {
    uint8_t props[BLOCK_CAP];
    uint8_t will_props[BLOCK_CAP];
    uint8_t list[BLOCK_CAP];
} type_fixtures;

/* A small property block that each 5.0 packet type allows (NULL/0 before 5.0). */
static mqtt_props props_for(int type, mqtt_version v, uint8_t *buf)
{
    static const mqtt_property reason[] = {PROP_STR(MQTT_PROP_REASON_STRING, "why"), PROP_PAIR("k", "v")};
    static const mqtt_property publish[] = {PROP_INT(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 60),
                                            PROP_STR(MQTT_PROP_CONTENT_TYPE, "text/plain")};
    static const mqtt_property connect[] = {PROP_INT(MQTT_PROP_SESSION_EXPIRY_INTERVAL, 300),
                                            PROP_INT(MQTT_PROP_RECEIVE_MAXIMUM, 20)};
    static const mqtt_property connack[] = {PROP_INT(MQTT_PROP_MAXIMUM_QOS, 1),
                                            PROP_STR(MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, "auto-1")};
    static const mqtt_property subscribe[] = {PROP_INT(MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 42)};
    static const mqtt_property user[] = {PROP_PAIR("a", "b")};
    static const mqtt_property auth[] = {PROP_STR(MQTT_PROP_AUTHENTICATION_METHOD, "SCRAM-SHA-1"),
                                         PROP_STR(MQTT_PROP_AUTHENTICATION_DATA, "\x01\x02\x00\x03")};
    if (v != MQTT_V5)
        return (mqtt_props){NULL, 0};
    switch (type) {
    case MQTT_CONNECT:
        return build_props(buf, connect, COUNT(connect));
    case MQTT_CONNACK:
        return build_props(buf, connack, COUNT(connack));
    case MQTT_PUBLISH:
        return build_props(buf, publish, COUNT(publish));
    case MQTT_SUBSCRIBE:
        return build_props(buf, subscribe, COUNT(subscribe));
    case MQTT_UNSUBSCRIBE:
        return build_props(buf, user, COUNT(user));
    case MQTT_AUTH:
        return build_props(buf, auth, COUNT(auth));
    default:
        return build_props(buf, reason, COUNT(reason));
    }
}

static void roundtrip_connects(mqtt_version v, type_fixtures *fx)
{
    static const mqtt_property will[] = {PROP_INT(MQTT_PROP_WILL_DELAY_INTERVAL, 5),
                                         PROP_INT(MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1)};
    mqtt_packet minimal = {.type = MQTT_CONNECT};
    minimal.u.connect = (mqtt_connect){.clean_start = true, .keep_alive = 60, .client_id = STR("c1")};
    check_connect_roundtrip(&minimal, v);

    mqtt_packet full = {.type = MQTT_CONNECT};
    full.u.connect = (mqtt_connect){
        .protocol_level = (uint8_t)v,
        .clean_start = false,
        .will = true,
        .will_qos = 1,
        .will_retain = true,
        .has_username = true,
        .has_password = true,
        .keep_alive = 65535,
        .props = props_for(MQTT_CONNECT, v, fx->props),
        .client_id = STR("client-0001"),
        .will_props = v == MQTT_V5 ? build_props(fx->will_props, will, COUNT(will)) : (mqtt_props){NULL, 0},
        .will_topic = STR("clients/c/status"),
        .will_payload = STR("off\x00line"),
        .username = STR("user"),
        .password = STR("\x00\xFF secret"),
    };
    check_connect_roundtrip(&full, v);

    mqtt_packet qos2_will = full;
    qos2_will.u.connect.will_qos = 2;
    qos2_will.u.connect.will_retain = false;
    qos2_will.u.connect.has_password = false;
    qos2_will.u.connect.keep_alive = 0;
    qos2_will.u.connect.will_payload = STR("");
    check_connect_roundtrip(&qos2_will, v);

    mqtt_packet user_only = minimal;
    user_only.u.connect.has_username = true;
    user_only.u.connect.username = STR("");
    check_connect_roundtrip(&user_only, v);

    if (v == MQTT_V5) { /* 5.0 only: password without user name, empty id with Clean Start 0 */
        mqtt_packet password_only = minimal;
        password_only.u.connect.has_password = true;
        password_only.u.connect.password = STR("pw");
        password_only.u.connect.clean_start = false;
        password_only.u.connect.client_id = STR("");
        check_connect_roundtrip(&password_only, v);
    }
}

static void roundtrip_connacks(mqtt_version v, type_fixtures *fx)
{
    mqtt_packet ok = {.type = MQTT_CONNACK};
    ok.u.connack = (mqtt_connack){.flags = 0x01, .code = 0, .props = props_for(MQTT_CONNACK, v, fx->props)};
    check_roundtrip(&ok, v, MQTT_ROLE_CLIENT);
    mqtt_packet refused = {.type = MQTT_CONNACK};
    refused.u.connack = (mqtt_connack){.flags = 0, .code = v == MQTT_V5 ? 0x86 : 0x04};
    check_roundtrip(&refused, v, MQTT_ROLE_CLIENT);
}

static void roundtrip_publishes(mqtt_version v, type_fixtures *fx)
{
    static const struct {
        bool dup;
        uint8_t qos;
        bool retain;
        uint16_t id;
    } shapes[] = {{false, 0, false, 0}, {false, 0, true, 0}, {false, 1, false, 1},
                  {true, 1, true, 65535}, {false, 2, false, 7}, {true, 2, false, 300}};
    for (size_t i = 0; i < COUNT(shapes); i++) {
        mqtt_packet p = {.type = MQTT_PUBLISH};
        p.u.publish = (mqtt_publish){
            .dup = shapes[i].dup,
            .qos = shapes[i].qos,
            .retain = shapes[i].retain,
            .topic = STR("sensors/building-7/floor-3/temp"),
            .packet_id = shapes[i].id,
            .props = props_for(MQTT_PUBLISH, v, fx->props),
            .payload = i % 2 ? STR("") : STR("21.5\x00\xFF"),
        };
        check_roundtrip(&p, v, MQTT_ROLE_SERVER);
        check_roundtrip(&p, v, MQTT_ROLE_CLIENT);
    }
}

static void roundtrip_acks(mqtt_version v, type_fixtures *fx)
{
    static const uint8_t types[] = {MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL, MQTT_PUBCOMP};
    for (size_t i = 0; i < COUNT(types); i++) {
        mqtt_packet bare = {.type = types[i]};
        bare.u.ack = (mqtt_ack){.packet_id = (uint16_t)(1 + i * 1000)};
        check_roundtrip(&bare, v, MQTT_ROLE_SERVER);
        check_roundtrip(&bare, v, MQTT_ROLE_CLIENT);
        if (v != MQTT_V5)
            continue;
        bool pubrel_family = types[i] == MQTT_PUBREL || types[i] == MQTT_PUBCOMP;
        mqtt_packet coded = bare;
        coded.u.ack.code = pubrel_family ? 0x92 : 0x10;
        check_roundtrip(&coded, v, MQTT_ROLE_CLIENT);
        mqtt_packet with_props = coded;
        with_props.u.ack.code = pubrel_family ? 0x00 : 0x87;
        with_props.u.ack.props = props_for(types[i], v, fx->props);
        check_roundtrip(&with_props, v, MQTT_ROLE_SERVER);
    }
}

static void roundtrip_subscriptions(mqtt_version v, type_fixtures *fx)
{
    static const char *const filters[] = {"a/+/c", "x/#", "sensors/building-7/+/temp", "#"};
    static const int options_311[] = {1, 0, 2, 0};
    static const int options_5[] = {0x01 | MQTT_SUBOPT_NO_LOCAL, 0x00 | MQTT_SUBOPT_RETAIN_AS_PUBLISHED, 0x22, 0x12};
    static const uint8_t suback_311[] = {0x01, 0x00, 0x02, 0x80};
    static const uint8_t suback_5[] = {0x01, 0x00, 0x02, 0x97};
    static const uint8_t unsuback_5[] = {0x00, 0x11, 0x80, 0x8F};

    mqtt_packet sub = {.type = MQTT_SUBSCRIBE};
    sub.u.subs = (mqtt_subs){.packet_id = 9,
                             .props = props_for(MQTT_SUBSCRIBE, v, fx->props),
                             .list = build_entries(fx->list, filters, v == MQTT_V5 ? options_5 : options_311, 4)};
    check_roundtrip(&sub, v, MQTT_ROLE_SERVER);

    mqtt_packet suback = {.type = MQTT_SUBACK};
    const uint8_t *codes = v == MQTT_V5 ? suback_5 : suback_311;
    suback.u.subs = (mqtt_subs){.packet_id = 9, .props = props_for(MQTT_SUBACK, v, fx->props), .list = {codes, 4, 4}};
    check_roundtrip(&suback, v, MQTT_ROLE_CLIENT);

    mqtt_packet unsub = {.type = MQTT_UNSUBSCRIBE};
    unsub.u.subs = (mqtt_subs){.packet_id = 65535,
                               .props = props_for(MQTT_UNSUBSCRIBE, v, fx->props),
                               .list = build_entries(fx->list, filters, NULL, 4)};
    check_roundtrip(&unsub, v, MQTT_ROLE_SERVER);

    mqtt_packet unsuback = {.type = MQTT_UNSUBACK};
    unsuback.u.subs = (mqtt_subs){.packet_id = 65535, .props = props_for(MQTT_UNSUBACK, v, fx->props)};
    if (v == MQTT_V5)
        unsuback.u.subs.list = (mqtt_list){unsuback_5, 4, 4};
    check_roundtrip(&unsuback, v, MQTT_ROLE_CLIENT);
}

static void roundtrip_control(mqtt_version v, type_fixtures *fx)
{
    mqtt_packet ping = {.type = MQTT_PINGREQ};
    check_roundtrip(&ping, v, MQTT_ROLE_SERVER);
    mqtt_packet pong = {.type = MQTT_PINGRESP};
    check_roundtrip(&pong, v, MQTT_ROLE_CLIENT);

    mqtt_packet bye = {.type = MQTT_DISCONNECT};
    check_roundtrip(&bye, v, MQTT_ROLE_SERVER);
    if (v != MQTT_V5)
        return;
    check_roundtrip(&bye, v, MQTT_ROLE_CLIENT);
    mqtt_packet bye_will = bye;
    bye_will.u.disconnect.code = 0x04;
    check_roundtrip(&bye_will, v, MQTT_ROLE_SERVER);
    mqtt_packet shutdown = bye;
    shutdown.u.disconnect.code = 0x8B;
    shutdown.u.disconnect.props = props_for(MQTT_DISCONNECT, v, fx->props);
    check_roundtrip(&shutdown, v, MQTT_ROLE_CLIENT);

    mqtt_packet auth = {.type = MQTT_AUTH};
    check_roundtrip(&auth, v, MQTT_ROLE_CLIENT);
    auth.u.disconnect.code = 0x18;
    auth.u.disconnect.props = props_for(MQTT_AUTH, v, fx->props);
    check_roundtrip(&auth, v, MQTT_ROLE_SERVER);
    check_roundtrip(&auth, v, MQTT_ROLE_CLIENT);
}

static void roundtrip_every_type(mqtt_version v)
{
    type_fixtures *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    roundtrip_connects(v, fx);
    roundtrip_connacks(v, fx);
    roundtrip_publishes(v, fx);
    roundtrip_acks(v, fx);
    roundtrip_subscriptions(v, fx);
    roundtrip_control(v, fx);
    free(fx);
}

static void test_roundtrip_v31(void **state)
{
    (void)state;
    roundtrip_every_type(MQTT_V31);
}

static void test_roundtrip_v311(void **state)
{
    (void)state;
    roundtrip_every_type(MQTT_V311);
}

static void test_roundtrip_v5(void **state)
{
    (void)state;
    roundtrip_every_type(MQTT_V5);
}

static void test_exact_bytes_v311(void **state)
{
    (void)state;
    /* The encoder's output, byte for byte, for packets whose layout is fixed by the spec. */
    static const uint8_t connect[] = {0x10, 0x12, 0, 4, 'M', 'Q', 'T', 'T', 4, 0xC2, 0, 60, 0, 1, 'c',
                                      0,    1,    'u', 0, 0};
    mqtt_packet p = {.type = MQTT_CONNECT};
    p.u.connect = (mqtt_connect){.clean_start = true,
                                 .has_username = true,
                                 .has_password = true,
                                 .keep_alive = 60,
                                 .client_id = STR("c"),
                                 .username = STR("u"),
                                 .password = STR("")};
    uint8_t wire[64];
    assert_int_equal(mqtt_encode(&p, MQTT_V311, wire, sizeof wire), sizeof connect);
    assert_memory_equal(wire, connect, sizeof connect);

    static const uint8_t pubrel[] = {0x62, 0x02, 0x12, 0x34};
    mqtt_packet r = {.type = MQTT_PUBREL};
    r.u.ack.packet_id = 0x1234;
    assert_int_equal(mqtt_encode(&r, MQTT_V311, wire, sizeof wire), sizeof pubrel);
    assert_memory_equal(wire, pubrel, sizeof pubrel);

    static const uint8_t v31_connect[] = {0x10, 0x0F, 0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 0x02, 0, 10, 0, 1, 'c'};
    mqtt_packet c31 = {.type = MQTT_CONNECT};
    c31.u.connect = (mqtt_connect){.clean_start = true, .keep_alive = 10, .client_id = STR("c")};
    assert_int_equal(mqtt_encode(&c31, MQTT_V31, wire, sizeof wire), sizeof v31_connect);
    assert_memory_equal(wire, v31_connect, sizeof v31_connect);
}

static void test_flags_override_writes_reserved_bits(void **state)
{
    (void)state;
    mqtt_packet p = {.type = MQTT_PUBACK, .flags = 0x01, .flags_override = true};
    p.u.ack.packet_id = 5;
    uint8_t wire[8];
    assert_int_equal(mqtt_encode(&p, MQTT_V311, wire, sizeof wire), 4);
    assert_int_equal(wire[0], 0x41);
    /* A CONNECT's reserved flag bit comes from u.connect.flags. */
    mqtt_packet c = {.type = MQTT_CONNECT};
    c.u.connect = (mqtt_connect){.flags = 0x01, .clean_start = true, .client_id = STR("c")};
    assert_int_equal(mqtt_encode(&c, MQTT_V311, wire, sizeof wire), 0); /* 15 bytes do not fit in 8 */
    uint8_t big[32];
    assert_int_equal(mqtt_encode(&c, MQTT_V311, big, sizeof big), 15);
    assert_int_equal(big[9], 0x03);
}

/* ---- every 5.0 property ---- */

typedef struct prop_coverage {
    bool seen[256];
} prop_coverage;

static bool same_view(mqtt_bytes a, mqtt_bytes b) { return a.len == b.len && (!a.len || !memcmp(a.ptr, b.ptr, a.len)); }

/* The decoded block holds exactly `want`, in order. */
static void assert_props_are(mqtt_props got, const mqtt_property *want, size_t n, int packet_type,
                             prop_coverage *cov)
{
    mqtt_prop_iter it;
    mqtt_prop_iter_init(&it, got);
    mqtt_property pr;
    size_t i = 0;
    while (mqtt_prop_next(&it, &pr)) {
        assert_true(i < n);
        assert_int_equal(pr.id, want[i].id);
        assert_true(mqtt_prop_allowed(pr.id, packet_type));
        switch (mqtt_prop_type_of(pr.id)) {
        case MQTT_PT_UTF8:
        case MQTT_PT_BINARY:
            assert_true(same_view(pr.data, want[i].data));
            break;
        case MQTT_PT_PAIR:
            assert_true(same_view(pr.data, want[i].data));
            assert_true(same_view(pr.value2, want[i].value2));
            break;
        default:
            assert_int_equal(pr.value, want[i].value);
        }
        cov->seen[pr.id] = true;
        i++;
    }
    assert_int_equal(i, n);
    /* mqtt_prop_find returns the first of an id. */
    for (size_t k = 0; k < n; k++) {
        assert_true(mqtt_prop_find(got, want[k].id, &pr));
        size_t first = 0;
        while (want[first].id != want[k].id)
            first++;
        assert_int_equal(pr.value, want[first].value);
        assert_true(same_view(pr.data, want[first].data));
    }
}

/* Where a packet keeps the property block under test. */
typedef mqtt_props *(*props_slot)(mqtt_packet *p);

static mqtt_props *slot_connect(mqtt_packet *p) { return &p->u.connect.props; }
static mqtt_props *slot_will(mqtt_packet *p) { return &p->u.connect.will_props; }
static mqtt_props *slot_connack(mqtt_packet *p) { return &p->u.connack.props; }
static mqtt_props *slot_publish(mqtt_packet *p) { return &p->u.publish.props; }
static mqtt_props *slot_ack(mqtt_packet *p) { return &p->u.ack.props; }
static mqtt_props *slot_subs(mqtt_packet *p) { return &p->u.subs.props; }
static mqtt_props *slot_disconnect(mqtt_packet *p) { return &p->u.disconnect.props; }

/* Put `list` in p's slot, round-trip p, and find `list` again in the decoded packet. */
static void check_props_roundtrip(mqtt_packet *p, props_slot slot, const mqtt_property *list, size_t n,
                                  mqtt_role role, int packet_type, prop_coverage *cov)
{
    uint8_t block[BLOCK_CAP];
    *slot(p) = build_props(block, list, n);
    trip t;
    roundtrip(p, MQTT_V5, role, &t);
    assert_same_packet(&t.out, p, MQTT_V5);
    assert_props_are(*slot(&t.out), list, n, packet_type, cov);
    *slot(p) = (mqtt_props){NULL, 0};
}

static void test_v5_every_property(void **state)
{
    (void)state;
    prop_coverage cov;
    memset(&cov, 0, sizeof cov);

    static const mqtt_property connect_props[] = {
        PROP_INT(MQTT_PROP_SESSION_EXPIRY_INTERVAL, 0xFFFFFFFFu),
        PROP_STR(MQTT_PROP_AUTHENTICATION_METHOD, "SCRAM-SHA-256"),
        PROP_STR(MQTT_PROP_AUTHENTICATION_DATA, "\x00\x01\xFE"),
        PROP_INT(MQTT_PROP_REQUEST_PROBLEM_INFORMATION, 0),
        PROP_INT(MQTT_PROP_REQUEST_RESPONSE_INFORMATION, 1),
        PROP_INT(MQTT_PROP_RECEIVE_MAXIMUM, 65535),
        PROP_INT(MQTT_PROP_TOPIC_ALIAS_MAXIMUM, 0),
        PROP_PAIR("b", "1"),
        PROP_INT(MQTT_PROP_MAXIMUM_PACKET_SIZE, 268435460u),
        PROP_PAIR("a", "2"),
        PROP_PAIR("b", "3"),
    };
    static const mqtt_property will_props[] = {
        PROP_INT(MQTT_PROP_WILL_DELAY_INTERVAL, 30),
        PROP_INT(MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1),
        PROP_INT(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 3600),
        PROP_STR(MQTT_PROP_CONTENT_TYPE, "application/json"),
        PROP_STR(MQTT_PROP_RESPONSE_TOPIC, "replies/c"),
        PROP_STR(MQTT_PROP_CORRELATION_DATA, "\x00\x00"),
        PROP_PAIR("will", "yes"),
    };
    mqtt_packet connect = {.type = MQTT_CONNECT};
    connect.u.connect = (mqtt_connect){.clean_start = true, .will = true, .client_id = STR("c"),
                                       .will_topic = STR("w"), .will_payload = STR("bye")};
    uint8_t will_block[BLOCK_CAP];
    connect.u.connect.will_props = build_props(will_block, will_props, COUNT(will_props));
    check_props_roundtrip(&connect, slot_connect, connect_props, COUNT(connect_props),
                          MQTT_ROLE_SERVER, MQTT_CONNECT, &cov);
    connect.u.connect.will_props.ptr = NULL;
    connect.u.connect.will_props.len = 0;
    check_props_roundtrip(&connect, slot_will, will_props, COUNT(will_props), MQTT_ROLE_SERVER,
                          MQTT_WILL_PROPS, &cov);

    static const mqtt_property connack_props[] = {
        PROP_INT(MQTT_PROP_SESSION_EXPIRY_INTERVAL, 10),
        PROP_STR(MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, "auto-7F3A"),
        PROP_INT(MQTT_PROP_SERVER_KEEP_ALIVE, 120),
        PROP_STR(MQTT_PROP_AUTHENTICATION_METHOD, "SCRAM-SHA-256"),
        PROP_STR(MQTT_PROP_AUTHENTICATION_DATA, "server-final"),
        PROP_STR(MQTT_PROP_RESPONSE_INFORMATION, "resp/"),
        PROP_STR(MQTT_PROP_SERVER_REFERENCE, "other:1883"),
        PROP_STR(MQTT_PROP_REASON_STRING, "ok"),
        PROP_INT(MQTT_PROP_RECEIVE_MAXIMUM, 1),
        PROP_INT(MQTT_PROP_TOPIC_ALIAS_MAXIMUM, 65535),
        PROP_INT(MQTT_PROP_MAXIMUM_QOS, 1),
        PROP_INT(MQTT_PROP_RETAIN_AVAILABLE, 0),
        PROP_PAIR("x", ""),
        PROP_INT(MQTT_PROP_MAXIMUM_PACKET_SIZE, 1),
        PROP_INT(MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE, 1),
        PROP_INT(MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE, 0),
        PROP_INT(MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE, 1),
    };
    mqtt_packet connack = {.type = MQTT_CONNACK};
    check_props_roundtrip(&connack, slot_connack, connack_props, COUNT(connack_props), MQTT_ROLE_CLIENT,
                          MQTT_CONNACK, &cov);

    /* A server PUBLISH may carry several Subscription Identifiers, kept in order. */
    static const mqtt_property publish_props[] = {
        PROP_INT(MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 0),
        PROP_INT(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 0),
        PROP_STR(MQTT_PROP_CONTENT_TYPE, ""),
        PROP_STR(MQTT_PROP_RESPONSE_TOPIC, "r/s"),
        PROP_STR(MQTT_PROP_CORRELATION_DATA, "id-1"),
        PROP_INT(MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 268435455u),
        PROP_INT(MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 1),
        PROP_INT(MQTT_PROP_TOPIC_ALIAS, 65535),
        PROP_INT(MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 128),
        PROP_PAIR("z", "1"),
        PROP_PAIR("z", "1"),
    };
    mqtt_packet publish = {.type = MQTT_PUBLISH};
    publish.u.publish = (mqtt_publish){.qos = 1, .packet_id = 3, .topic = STR("t"), .payload = STR("p")};
    check_props_roundtrip(&publish, slot_publish, publish_props, COUNT(publish_props), MQTT_ROLE_CLIENT,
                          MQTT_PUBLISH, &cov);

    static const mqtt_property subscribe_props[] = {PROP_INT(MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 16384),
                                                    PROP_PAIR("s", "t")};
    mqtt_packet subscribe = {.type = MQTT_SUBSCRIBE};
    static const char *const filter[] = {"a/#"};
    static const int options[] = {1};
    uint8_t list[BLOCK_CAP];
    subscribe.u.subs = (mqtt_subs){.packet_id = 1, .list = build_entries(list, filter, options, 1)};
    check_props_roundtrip(&subscribe, slot_subs, subscribe_props, COUNT(subscribe_props),
                          MQTT_ROLE_SERVER, MQTT_SUBSCRIBE, &cov);

    static const mqtt_property client_disconnect[] = {PROP_INT(MQTT_PROP_SESSION_EXPIRY_INTERVAL, 0),
                                                      PROP_STR(MQTT_PROP_REASON_STRING, "done"),
                                                      PROP_PAIR("k", "v")};
    mqtt_packet disconnect = {.type = MQTT_DISCONNECT};
    check_props_roundtrip(&disconnect, slot_disconnect, client_disconnect, COUNT(client_disconnect),
                          MQTT_ROLE_SERVER, MQTT_DISCONNECT, &cov);
    static const mqtt_property server_disconnect[] = {PROP_STR(MQTT_PROP_SERVER_REFERENCE, "b:1883"),
                                                      PROP_STR(MQTT_PROP_REASON_STRING, "moved")};
    disconnect.u.disconnect.code = 0x9D;
    check_props_roundtrip(&disconnect, slot_disconnect, server_disconnect, COUNT(server_disconnect),
                          MQTT_ROLE_CLIENT, MQTT_DISCONNECT, &cov);

    static const mqtt_property auth_props[] = {PROP_STR(MQTT_PROP_AUTHENTICATION_METHOD, "GS2-KRB5"),
                                               PROP_STR(MQTT_PROP_AUTHENTICATION_DATA, ""),
                                               PROP_STR(MQTT_PROP_REASON_STRING, "step 2"), PROP_PAIR("a", "b")};
    mqtt_packet auth = {.type = MQTT_AUTH};
    auth.u.disconnect.code = 0x18;
    check_props_roundtrip(&auth, slot_disconnect, auth_props, COUNT(auth_props), MQTT_ROLE_CLIENT,
                          MQTT_AUTH, &cov);

    static const mqtt_property reason_props[] = {PROP_STR(MQTT_PROP_REASON_STRING, "no"), PROP_PAIR("1", "2"),
                                                 PROP_PAIR("0", "1")};
    static const uint8_t acks[] = {MQTT_PUBACK, MQTT_PUBREC, MQTT_PUBREL, MQTT_PUBCOMP};
    for (size_t i = 0; i < COUNT(acks); i++) {
        mqtt_packet ack = {.type = acks[i]};
        ack.u.ack.packet_id = 77;
        check_props_roundtrip(&ack, slot_ack, reason_props, COUNT(reason_props), MQTT_ROLE_SERVER, acks[i],
                              &cov);
    }
    static const uint8_t granted[] = {0x02};
    mqtt_packet suback = {.type = MQTT_SUBACK};
    suback.u.subs = (mqtt_subs){.packet_id = 1, .list = {granted, 1, 1}};
    check_props_roundtrip(&suback, slot_subs, reason_props, COUNT(reason_props), MQTT_ROLE_CLIENT,
                          MQTT_SUBACK, &cov);
    mqtt_packet unsuback = suback;
    unsuback.type = MQTT_UNSUBACK;
    unsuback.u.subs.list = (mqtt_list){(const uint8_t *)"\x11", 1, 1};
    check_props_roundtrip(&unsuback, slot_subs, reason_props, COUNT(reason_props), MQTT_ROLE_CLIENT,
                          MQTT_UNSUBACK, &cov);
    mqtt_packet unsubscribe = {.type = MQTT_UNSUBSCRIBE};
    unsubscribe.u.subs = (mqtt_subs){.packet_id = 2, .list = build_entries(list, filter, NULL, 1)};
    check_props_roundtrip(&unsubscribe, slot_subs, reason_props + 1, 2, MQTT_ROLE_SERVER,
                          MQTT_UNSUBSCRIBE, &cov);

    int defined = 0;
    for (int id = 0; id < 256; id++) {
        if (mqtt_prop_type_of((uint8_t)id) == MQTT_PT_NONE)
            continue;
        defined++;
        if (!cov.seen[id])
            fail_msg("property 0x%02X (%s) was not round-tripped", id, mqtt_prop_name((uint8_t)id));
    }
    assert_int_equal(defined, 27);
}

static void test_v5_user_property_order(void **state)
{
    (void)state;
    static const mqtt_property pairs[] = {PROP_PAIR("b", "1"), PROP_PAIR("a", "2"), PROP_PAIR("b", "3"),
                                          PROP_PAIR("", ""), PROP_PAIR("b", "1")};
    uint8_t block[BLOCK_CAP];
    mqtt_packet p = {.type = MQTT_PUBLISH};
    p.u.publish = (mqtt_publish){.topic = STR("t"), .props = build_props(block, pairs, COUNT(pairs))};
    trip t;
    roundtrip(&p, MQTT_V5, MQTT_ROLE_SERVER, &t);
    mqtt_prop_iter it;
    mqtt_prop_iter_init(&it, t.out.u.publish.props);
    mqtt_property pr;
    for (size_t i = 0; i < COUNT(pairs); i++) {
        assert_true(mqtt_prop_next(&it, &pr));
        assert_int_equal(pr.id, MQTT_PROP_USER_PROPERTY);
        assert_true(same_view(pr.data, pairs[i].data));
        assert_true(same_view(pr.value2, pairs[i].value2));
    }
    assert_false(mqtt_prop_next(&it, &pr));
}

/* ---- 5.0 short forms ---- */

typedef struct short_form {
    const char *what;
    mqtt_role role;
    const uint8_t *bytes;
    size_t len;
    uint8_t code;
    bool has_code;
    bool has_props;
} short_form;

#define WIRE(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static void test_v5_short_forms_roundtrip_exactly(void **state)
{
    (void)state;
    const short_form forms[] = {
        {"PUBACK rl 2", MQTT_ROLE_CLIENT, WIRE(0x40, 0x02, 0, 1), 0x00, false, false},
        {"PUBACK rl 3, code 0", MQTT_ROLE_CLIENT, WIRE(0x40, 0x03, 0, 1, 0x00), 0x00, true, false},
        {"PUBACK rl 3, code 0x10", MQTT_ROLE_SERVER, WIRE(0x40, 0x03, 0, 1, 0x10), 0x10, true, false},
        {"PUBACK rl 4, code 0, no properties", MQTT_ROLE_SERVER, WIRE(0x40, 0x04, 0, 1, 0x00, 0x00), 0x00, true,
         true},
        {"PUBREC rl 4, code 0x80", MQTT_ROLE_CLIENT, WIRE(0x50, 0x04, 0, 2, 0x80, 0x00), 0x80, true, true},
        {"PUBREL rl 2", MQTT_ROLE_SERVER, WIRE(0x62, 0x02, 0, 3), 0x00, false, false},
        {"PUBREL rl 3, code 0x92", MQTT_ROLE_CLIENT, WIRE(0x62, 0x03, 0, 3, 0x92), 0x92, true, false},
        {"PUBCOMP rl 4", MQTT_ROLE_CLIENT, WIRE(0x70, 0x04, 0, 4, 0x00, 0x00), 0x00, true, true},
        {"DISCONNECT rl 0", MQTT_ROLE_SERVER, WIRE(0xE0, 0x00), 0x00, false, false},
        {"DISCONNECT rl 1, code 0", MQTT_ROLE_CLIENT, WIRE(0xE0, 0x01, 0x00), 0x00, true, false},
        {"DISCONNECT rl 1, code 0x04", MQTT_ROLE_SERVER, WIRE(0xE0, 0x01, 0x04), 0x04, true, false},
        {"DISCONNECT rl 2", MQTT_ROLE_SERVER, WIRE(0xE0, 0x02, 0x00, 0x00), 0x00, true, true},
        {"AUTH rl 0", MQTT_ROLE_CLIENT, WIRE(0xF0, 0x00), 0x00, false, false},
    };
    for (size_t i = 0; i < COUNT(forms); i++) {
        const short_form *f = &forms[i];
        trip t;
        memcpy(t.wire, f->bytes, f->len);
        t.len = f->len;
        decode_checked(t.wire, t.len, MQTT_V5, f->role, &t.out);
        bool ack = t.out.type >= MQTT_PUBACK && t.out.type <= MQTT_PUBCOMP;
        uint8_t code = ack ? t.out.u.ack.code : t.out.u.disconnect.code;
        bool has_code = ack ? t.out.u.ack.has_code : t.out.u.disconnect.has_code;
        bool has_props = ack ? t.out.u.ack.has_props : t.out.u.disconnect.has_props;
        uint32_t props_len = ack ? t.out.u.ack.props.len : t.out.u.disconnect.props.len;
        if (code != f->code || has_code != f->has_code || has_props != f->has_props || props_len != 0)
            fail_msg("%s: code 0x%02x has_code %d has_props %d props %u", f->what, code, has_code, has_props,
                     (unsigned)props_len);
        reencode_identical(&t, MQTT_V5);
    }
}

static void test_v5_encoder_picks_shortest_form(void **state)
{
    (void)state;
    uint8_t wire[16];
    mqtt_packet p = {.type = MQTT_PUBACK};
    p.u.ack.packet_id = 1;
    assert_int_equal(mqtt_encode(&p, MQTT_V5, wire, sizeof wire), 4);
    p.u.ack.code = 0x10;
    assert_int_equal(mqtt_encode(&p, MQTT_V5, wire, sizeof wire), 5);
    assert_int_equal(wire[4], 0x10);
    p.u.ack.code = 0;
    p.u.ack.has_code = true;
    assert_int_equal(mqtt_encode(&p, MQTT_V5, wire, sizeof wire), 5);
    p.u.ack.has_props = true;
    assert_int_equal(mqtt_encode(&p, MQTT_V5, wire, sizeof wire), 6);
    /* Non-empty properties force the code byte even when has_code is false. */
    mqtt_packet d = {.type = MQTT_DISCONNECT};
    uint8_t block[BLOCK_CAP];
    static const mqtt_property reason[] = {PROP_STR(MQTT_PROP_REASON_STRING, "r")};
    d.u.disconnect.props = build_props(block, reason, 1);
    static const uint8_t want[] = {0xE0, 0x06, 0x00, 0x04, 0x1F, 0x00, 0x01, 'r'};
    assert_int_equal(mqtt_encode(&d, MQTT_V5, wire, sizeof wire), sizeof want);
    assert_memory_equal(wire, want, sizeof want);
    /* 3.1.1 ignores the 5.0 fields. */
    assert_int_equal(mqtt_encode(&d, MQTT_V311, wire, sizeof wire), 2);
    assert_int_equal(mqtt_encode(&p, MQTT_V311, wire, sizeof wire), 4);
}

/* ---- remaining-length boundaries ---- */

/* A QoS 0 PUBLISH to "t" whose remaining length is exactly rl. */
static void check_remaining_length(uint32_t rl, mqtt_version v, const uint8_t *want_header, size_t header_len)
{
    size_t fixed = v == MQTT_V5 ? 4 : 3; /* topic length + "t" (+ Property Length 0) */
    size_t payload_len = rl - fixed;
    uint8_t *payload = malloc(payload_len ? payload_len : 1);
    assert_non_null(payload);
    for (size_t i = 0; i < payload_len; i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    mqtt_packet p = {.type = MQTT_PUBLISH};
    p.u.publish = (mqtt_publish){.topic = STR("t"), .payload = {payload, (uint32_t)payload_len}};
    size_t total = 1 + header_len + rl;
    assert_int_equal(mqtt_encoded_size(&p, v), total);
    uint8_t *wire = malloc(total);
    uint8_t *again = malloc(total);
    assert_non_null(wire);
    assert_non_null(again);
    assert_int_equal(mqtt_encode(&p, v, wire, total - 1), 0);
    assert_int_equal(mqtt_encode(&p, v, wire, total), total);
    assert_int_equal(wire[0], 0x30);
    assert_memory_equal(wire + 1, want_header, header_len);

    size_t frame_len = 0;
    mqtt_error err;
    assert_int_equal(mqtt_frame(wire, total, 0, v, &frame_len, &err), MQTT_COMPLETE);
    assert_int_equal(frame_len, total);
    assert_int_equal(mqtt_frame(wire, total - 1, 0, v, &frame_len, &err), MQTT_NEED_MORE);
    assert_int_equal(frame_len, total);

    mqtt_packet out;
    decode_checked(wire, total, v, MQTT_ROLE_SERVER, &out);
    assert_int_equal(out.remaining_length, rl);
    assert_int_equal(out.u.publish.payload.len, payload_len);
    assert_ptr_equal(out.u.publish.payload.ptr, wire + 1 + header_len + fixed);
    assert_int_equal(mqtt_encode(&out, v, again, total), total);
    assert_memory_equal(again, wire, total);
    free(again);
    free(wire);
    free(payload);
}

static void test_remaining_length_boundaries(void **state)
{
    (void)state;
    static const struct {
        uint32_t rl;
        uint8_t header[4];
        size_t header_len;
    } cases[] = {
        {4, {0x04}, 1},
        {127, {0x7F}, 1},
        {128, {0x80, 0x01}, 2},
        {16383, {0xFF, 0x7F}, 2},
        {16384, {0x80, 0x80, 0x01}, 3},
        {2097151, {0xFF, 0xFF, 0x7F}, 3},
        {2097152, {0x80, 0x80, 0x80, 0x01}, 4}, /* the 2 MB packet */
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        check_remaining_length(cases[i].rl, MQTT_V311, cases[i].header, cases[i].header_len);
        check_remaining_length(cases[i].rl, MQTT_V5, cases[i].header, cases[i].header_len);
    }
}

static void test_unrepresentable_packets_encode_to_zero(void **state)
{
    (void)state;
    /* Sizes are computed without touching the payload, so a token buffer stands in for 256 MB. */
    static const uint8_t token[1] = {0};
    mqtt_packet p = {.type = MQTT_PUBLISH};
    p.u.publish = (mqtt_publish){.topic = STR("t"), .payload = {token, MQTT_MAX_REMAINING_LENGTH - 3}};
    assert_int_equal(mqtt_encoded_size(&p, MQTT_V311), 1 + 4 + MQTT_MAX_REMAINING_LENGTH);
    p.u.publish.payload.len++;
    assert_int_equal(mqtt_encoded_size(&p, MQTT_V311), 0);
    uint8_t wire[64];
    assert_int_equal(mqtt_encode(&p, MQTT_V311, wire, sizeof wire), 0);

    /* A string over 65535 bytes cannot be written. */
    uint8_t *topic = calloc(65536, 1);
    assert_non_null(topic);
    memset(topic, 'a', 65536);
    mqtt_packet big = {.type = MQTT_PUBLISH};
    big.u.publish = (mqtt_publish){.topic = {topic, 65535}};
    assert_int_equal(mqtt_encoded_size(&big, MQTT_V311), 1 + 3 + 2 + 65535);
    big.u.publish.topic.len = 65536;
    assert_int_equal(mqtt_encoded_size(&big, MQTT_V311), 0);
    assert_int_equal(mqtt_encoded_size(&big, MQTT_V5), 0);
    free(topic);

    /* A property block longer than a varint can say. */
    mqtt_packet props = {.type = MQTT_PUBLISH};
    props.u.publish = (mqtt_publish){.topic = STR("t"), .props = {token, MQTT_MAX_REMAINING_LENGTH + 1}};
    assert_int_equal(mqtt_encoded_size(&props, MQTT_V5), 0);
}

/* ---- the writer ---- */

static void test_varint_sizes(void **state)
{
    (void)state;
    static const struct {
        uint32_t v;
        unsigned size;
    } cases[] = {{0, 1},       {127, 1},     {128, 2},       {16383, 2},        {16384, 3},
                 {2097151, 3}, {2097152, 4}, {268435455, 4}, {268435456, 0},    {0xFFFFFFFFu, 0}};
    for (size_t i = 0; i < COUNT(cases); i++) {
        assert_int_equal(mqtt_varint_size(cases[i].v), cases[i].size);
        uint8_t buf[8];
        mqtt_writer w;
        mqtt_writer_init(&w, buf, sizeof buf);
        mqtt_write_varint(&w, cases[i].v);
        assert_int_equal(w.overflow, cases[i].size == 0);
        assert_int_equal(w.len, cases[i].size);
    }
}

static void test_writer_bounds(void **state)
{
    (void)state;
    uint8_t buf[5];
    mqtt_writer w;
    mqtt_writer_init(&w, buf, sizeof buf);
    mqtt_write_u16(&w, 0x1234);
    mqtt_write_u8(&w, 0x56);
    assert_false(w.overflow);
    mqtt_write_u32(&w, 0xDEADBEEF); /* does not fit: dropped, flagged */
    assert_true(w.overflow);
    assert_int_equal(w.len, 3);
    mqtt_write_u8(&w, 0x77); /* would fit, but writes after an overflow are dropped */
    assert_int_equal(w.len, 3);
    static const uint8_t want[] = {0x12, 0x34, 0x56};
    assert_memory_equal(buf, want, sizeof want);

    mqtt_writer counter;
    mqtt_writer_init(&counter, NULL, 0);
    mqtt_write_string(&counter, "abc", 3);
    mqtt_write_u32(&counter, 1);
    mqtt_property pr = PROP_PAIR("k", "vv");
    mqtt_write_property(&counter, &pr);
    assert_false(counter.overflow);
    assert_int_equal(counter.len, 5 + 4 + 1 + 3 + 4);

    mqtt_writer bad;
    mqtt_writer_init(&bad, buf, sizeof buf);
    mqtt_property unknown = {.id = 0x04, .value = 1};
    mqtt_write_property(&bad, &unknown); /* no type: cannot be written */
    assert_true(bad.overflow);
}

static void test_sub_entries_and_list_iteration(void **state)
{
    (void)state;
    static const char *const filters[] = {"a/b", "", "$share/g/#"};
    static const int options[] = {0x01, 0x2E, 0x02};
    uint8_t buf[BLOCK_CAP];
    mqtt_list list = build_entries(buf, filters, options, 3);
    assert_int_equal(list.len, (2 + 3 + 1) + (2 + 0 + 1) + (2 + 10 + 1));
    mqtt_list_iter it;
    mqtt_list_iter_init(&it, list, true);
    mqtt_sub_entry e;
    for (size_t i = 0; i < 3; i++) {
        assert_true(mqtt_list_next(&it, &e));
        assert_true(same_view(e.filter, bytes_of(filters[i])));
        assert_int_equal(e.options, options[i]);
    }
    assert_false(mqtt_list_next(&it, &e));

    mqtt_list unsub = build_entries(buf, filters, NULL, 3);
    assert_int_equal(unsub.len, 5 + 2 + 12);
    mqtt_list_iter_init(&it, unsub, false);
    for (size_t i = 0; i < 3; i++) {
        assert_true(mqtt_list_next(&it, &e));
        assert_true(same_view(e.filter, bytes_of(filters[i])));
        assert_int_equal(e.options, 0);
    }
    assert_false(mqtt_list_next(&it, &e));
}

/* ---- topics ---- */

typedef struct match_case {
    const char *filter;
    const char *topic;
    bool matches;
} match_case;

static void test_topic_matches(void **state)
{
    (void)state;
    static const match_case cases[] = {
        {"a/b", "a/b", true},
        {"a/b", "a/c", false},
        {"a/b", "a", false},
        {"a", "a/b", false},
        {"a/b/c", "a/b", false},
        {"ab", "a", false},
        {"a", "ab", false},
        {"A/b", "a/b", false},
        {"a/+", "a/b", true},
        {"a/+", "a/b/c", false},
        {"a/+", "a/", true},
        {"a/+", "a", false},
        {"a/+/c", "a/b/c", true},
        {"a/+/c", "a//c", true},
        {"a/+/c", "a/b/d", false},
        {"+", "a", true},
        {"+", "/x", false},
        {"+/+", "/x", true},
        {"/+", "/x", true},
        {"+/x", "a/x", true},
        {"#", "a", true},
        {"#", "a/b/c", true},
        {"#", "/x", true},
        {"#", "/", true},
        {"a/#", "a", true},
        {"a/#", "a/", true},
        {"a/#", "a/b/c", true},
        {"a/#", "ab", false},
        {"a/#", "b/a", false},
        {"a/b/#", "a/b", true},
        {"a/b/#", "a", false},
        {"+/#", "a", true},
        {"+/+/#", "a", false},
        {"+/+/#", "a/b", true},
        {"sport/tennis/+", "sport/tennis/player1", true},
        {"sport/tennis/+", "sport/tennis/player1/ranking", false},
        {"sport/+", "sport", false},
        {"sport/+", "sport/", true},
        {"sport/#", "sport", true},
        {"+", "/finance", false},
        {"/+", "/finance", true},
        {"+/+", "/finance", true},
        /* MQTT-4.7.2-1: leading wildcards do not match topics starting with '$' */
        {"#", "$SYS/x", false},
        {"#", "$", false},
        {"+", "$SYS", false},
        {"+/x", "$SYS/x", false},
        {"+/#", "$SYS/x", false},
        {"$SYS/#", "$SYS/x", true},
        {"$SYS/+", "$SYS/broker", true},
        {"$SYS/#", "$SYS", true},
        {"a/#", "a/$x", true},
        {"+/$x", "a/$x", true},
        {"a/$x", "a/$x", true},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        bool got = mqtt_topic_matches(bytes_of(cases[i].filter), bytes_of(cases[i].topic));
        if (got != cases[i].matches)
            fail_msg("filter '%s' topic '%s': got %d, expected %d", cases[i].filter, cases[i].topic, got,
                     cases[i].matches);
    }
}

typedef struct filter_case {
    const char *filter;
    mqtt_version version;
    mqtt_err want;
    size_t bad_at;
} filter_case;

static void test_topic_filter_syntax(void **state)
{
    (void)state;
    static const filter_case cases[] = {
        {"#", MQTT_V311, MQTT_E_OK, 0},
        {"+", MQTT_V311, MQTT_E_OK, 0},
        {"/", MQTT_V311, MQTT_E_OK, 0},
        {"+/+/#", MQTT_V311, MQTT_E_OK, 0},
        {"a/#", MQTT_V311, MQTT_E_OK, 0},
        {"", MQTT_V311, MQTT_E_TOPIC_FILTER_EMPTY, 0},
        {"a/#/b", MQTT_V311, MQTT_E_TOPIC_FILTER_HASH, 2},
        {"a#", MQTT_V311, MQTT_E_TOPIC_FILTER_HASH, 1},
        {"a+/b", MQTT_V311, MQTT_E_TOPIC_FILTER_PLUS, 1},
        {"+a", MQTT_V311, MQTT_E_TOPIC_FILTER_PLUS, 0},
        {"a/\xC0\xAF", MQTT_V311, MQTT_E_UTF8_INVALID, 2},
        /* 3.1.1 has no shared subscriptions: these are plain filters */
        {"$share/g/a", MQTT_V311, MQTT_E_OK, 0},
        {"$share//a", MQTT_V311, MQTT_E_OK, 0},
        {"$share/g", MQTT_V311, MQTT_E_OK, 0},
        {"$share/g+/a", MQTT_V311, MQTT_E_TOPIC_FILTER_PLUS, 8},
        /* 5.0 4.8.2: $share/{ShareName}/{filter} */
        {"$share/g/a", MQTT_V5, MQTT_E_OK, 0},
        {"$share/g/#", MQTT_V5, MQTT_E_OK, 0},
        {"$share/g/+/x", MQTT_V5, MQTT_E_OK, 0},
        {"$share/g//", MQTT_V5, MQTT_E_OK, 0},
        {"$share//a", MQTT_V5, MQTT_E_SHARE_NAME, 7},
        {"$share/g", MQTT_V5, MQTT_E_SHARE_NAME, 8},
        {"$share/g/", MQTT_V5, MQTT_E_SHARE_NAME, 8},
        {"$share/a+b/c", MQTT_V5, MQTT_E_SHARE_NAME, 8},
        {"$share/#/c", MQTT_V5, MQTT_E_SHARE_NAME, 7},
        {"$share/g/a#", MQTT_V5, MQTT_E_TOPIC_FILTER_HASH, 10},
        {"$share/g/+x", MQTT_V5, MQTT_E_TOPIC_FILTER_PLUS, 9},
        {"$share", MQTT_V5, MQTT_E_OK, 0},
        {"$shared/x", MQTT_V5, MQTT_E_OK, 0},
        {"$SHARE//x", MQTT_V5, MQTT_E_OK, 0},
        {"a/#/b", MQTT_V5, MQTT_E_TOPIC_FILTER_HASH, 2},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        size_t bad_at = 999;
        mqtt_err got = mqtt_check_topic_filter(bytes_of(cases[i].filter), cases[i].version, &bad_at);
        if (got != cases[i].want || (got != MQTT_E_OK && bad_at != cases[i].bad_at))
            fail_msg("'%s' in %s: got %s at %zu, expected %s at %zu", cases[i].filter,
                     mqtt_version_name(cases[i].version), mqtt_err_name(got), bad_at, mqtt_err_name(cases[i].want),
                     cases[i].bad_at);
    }
    /* bad_at may be NULL */
    assert_int_equal(mqtt_check_topic_filter(bytes_of("a#"), MQTT_V5, NULL), MQTT_E_TOPIC_FILTER_HASH);
    static const uint8_t with_nul[] = {'a', 0, 'b'};
    size_t at = 0;
    assert_int_equal(mqtt_check_topic_filter((mqtt_bytes){with_nul, 3}, MQTT_V5, &at), MQTT_E_UTF8_NUL);
    assert_int_equal(at, 1);
}

static void test_topic_name_syntax(void **state)
{
    (void)state;
    size_t at = 99;
    assert_int_equal(mqtt_check_topic_name(bytes_of("a/b"), &at), MQTT_E_OK);
    assert_int_equal(mqtt_check_topic_name(bytes_of(""), &at), MQTT_E_TOPIC_NAME_EMPTY);
    assert_int_equal(at, 0);
    assert_int_equal(mqtt_check_topic_name(bytes_of("a/+"), &at), MQTT_E_TOPIC_NAME_WILDCARD);
    assert_int_equal(at, 2);
    assert_int_equal(mqtt_check_topic_name(bytes_of("sensors/building-7/floor-3/#"), &at),
                     MQTT_E_TOPIC_NAME_WILDCARD);
    assert_int_equal(at, 27);
    assert_int_equal(mqtt_check_topic_name(bytes_of("a/\xED\xA0\x80"), &at), MQTT_E_UTF8_INVALID);
    assert_int_equal(at, 2);
    assert_int_equal(mqtt_check_topic_name(bytes_of("\xEF\xBB\xBF"), &at), MQTT_E_OK);
    assert_int_equal(mqtt_check_topic_name(bytes_of("a"), NULL), MQTT_E_OK);
}

static void test_utf8_valid_helper(void **state)
{
    (void)state;
    mqtt_err why = MQTT_E_COUNT;
    size_t at = 99;
    assert_true(mqtt_utf8_valid((const uint8_t *)"a+#b", 4, &why, &at)); /* wildcards are fine in strings */
    assert_int_equal(why, MQTT_E_OK);
    assert_false(mqtt_utf8_valid((const uint8_t *)"ab\xF4\x90\x80\x80", 6, &why, &at));
    assert_int_equal(why, MQTT_E_UTF8_INVALID);
    assert_int_equal(at, 2);
    assert_false(mqtt_utf8_valid((const uint8_t *)"0123456789abcdef\x00", 17, &why, &at));
    assert_int_equal(why, MQTT_E_UTF8_NUL);
    assert_int_equal(at, 16);
    assert_true(mqtt_utf8_valid((const uint8_t *)"", 0, NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_v31),
        cmocka_unit_test(test_roundtrip_v311),
        cmocka_unit_test(test_roundtrip_v5),
        cmocka_unit_test(test_exact_bytes_v311),
        cmocka_unit_test(test_flags_override_writes_reserved_bits),
        cmocka_unit_test(test_v5_every_property),
        cmocka_unit_test(test_v5_user_property_order),
        cmocka_unit_test(test_v5_short_forms_roundtrip_exactly),
        cmocka_unit_test(test_v5_encoder_picks_shortest_form),
        cmocka_unit_test(test_remaining_length_boundaries),
        cmocka_unit_test(test_unrepresentable_packets_encode_to_zero),
        cmocka_unit_test(test_varint_sizes),
        cmocka_unit_test(test_writer_bounds),
        cmocka_unit_test(test_sub_entries_and_list_iteration),
        cmocka_unit_test(test_topic_matches),
        cmocka_unit_test(test_topic_filter_syntax),
        cmocka_unit_test(test_topic_name_syntax),
        cmocka_unit_test(test_utf8_valid_helper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
