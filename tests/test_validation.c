/*
 * Every rule the decoder enforces, one test per error code of
 * codec_errors.h: each probe asserts the exact code, the field offset, the
 * offending byte and the statement the code cites in that version.  Then the
 * near misses that must be accepted, and the malformed set of
 * shared/bench/gen_corpus.py reproduced byte for byte.
 *
 * Tests named test_spec_* expect what the MQTT text requires where the codec
 * currently differs; each says which statement and why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mqttspec/codec.h"

enum { WIRE_CAP = 1024 };

/*
 * One packet to decode.  Either `bytes` is the whole packet (raw) or it is
 * the body and the probe frames it with `first` and the minimal remaining
 * length; for bodies under 128 bytes a body index i is packet offset i + 2.
 */
typedef struct probe {
    const char *what;
    mqtt_version version;
    mqtt_role role;
    bool raw;
    uint8_t first;
    const uint8_t *bytes;
    size_t len;
    uint32_t offset;
    uint32_t byte;
    uint32_t max_packet_size;
} probe;

#define BODY(first_byte, ...)                                                                                    \
    .first = (first_byte), .bytes = (const uint8_t[]){__VA_ARGS__}, .len = sizeof((const uint8_t[]){__VA_ARGS__})
#define WIRE(...) .raw = true, .bytes = (const uint8_t[]){__VA_ARGS__}, .len = sizeof((const uint8_t[]){__VA_ARGS__})
#define SERVER_GETS(v) .version = (v), .role = MQTT_ROLE_SERVER
#define CLIENT_GETS(v) .version = (v), .role = MQTT_ROLE_CLIENT
#define AT(o) .offset = (o), .byte = (o)
#define AT_BYTE(o, b) .offset = (o), .byte = (b)
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* CONNECT variable headers: body offsets 0..9 (3.1.1, 5.0) or 0..11 (3.1); flags at 7 (9 for 3.1). */
#define MQTT_NAME 0, 4, 'M', 'Q', 'T', 'T'
#define MQISDP_NAME 0, 6, 'M', 'Q', 'I', 's', 'd', 'p'
#define CONNECT311(flags) MQTT_NAME, 4, (flags), 0, 60
#define CONNECT5(flags) MQTT_NAME, 5, (flags), 0, 60
#define CONNECT31(flags) MQISDP_NAME, 3, (flags), 0, 60
#define CLIENT_ID_C 0, 1, 'c'
#define TOPIC_AB 0, 3, 'a', '/', 'b'
#define SHARE_G_A 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a'

/* ---- helpers ---- */

static size_t put_varint(uint8_t *out, uint32_t v)
{
    size_t n = 0;
    do {
        out[n] = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (v)
            out[n] |= 0x80;
        n++;
    } while (v);
    return n;
}

/* The packet a probe stands for, into wire. */
static size_t probe_wire(const probe *p, uint8_t *wire, size_t cap)
{
    if (p->raw) {
        assert_true(p->len <= cap);
        memcpy(wire, p->bytes, p->len);
        return p->len;
    }
    assert_true(p->len + 5 <= cap);
    wire[0] = p->first;
    size_t header = 1 + put_varint(wire + 1, (uint32_t)p->len);
    memcpy(wire + header, p->bytes, p->len);
    return header + p->len;
}

static mqtt_status decode_probe(const probe *p, mqtt_packet *pkt, mqtt_error *err, uint8_t *wire, size_t *wire_len)
{
    *wire_len = probe_wire(p, wire, WIRE_CAP);
    mqtt_decode_opts opts = {.version = p->version, .role = p->role, .max_packet_size = p->max_packet_size};
    size_t used = 0;
    memset(err, 0, sizeof *err);
    mqtt_status st = mqtt_decode(wire, *wire_len, &opts, pkt, &used, err);
    if (st == MQTT_COMPLETE)
        assert_int_equal(used, *wire_len);
    return st;
}

static const char *version_label(mqtt_version v)
{
    return v == MQTT_V5 ? "5.0" : v == MQTT_V311 ? "3.1.1" : v == MQTT_V31 ? "3.1" : "unknown";
}

static const char *role_label(mqtt_role r) { return r == MQTT_ROLE_SERVER ? "server" : "client"; }

static bool same_statement(const char *got, const char *want)
{
    return (!got && !want) || (got && want && strcmp(got, want) == 0);
}

/* The table cites these statements for code (NULL: the rule does not exist in that version). */
static void check_statements(mqtt_err code, const char *stmt311, const char *stmt5)
{
    const char *got311 = mqtt_err_statement(code, MQTT_V311);
    const char *got5 = mqtt_err_statement(code, MQTT_V5);
    if (!same_statement(got311, stmt311) || !same_statement(got5, stmt5))
        fail_msg("%s cites 3.1.1:%s / 5.0:%s, expected 3.1.1:%s / 5.0:%s", mqtt_err_name(code),
                 got311 ? got311 : "(none)", got5 ? got5 : "(none)", stmt311 ? stmt311 : "(none)",
                 stmt5 ? stmt5 : "(none)");
    /* 3.1 cites sections (tests/test_errors.c checks them), and only for rules 3.1.1 restates. */
    if (mqtt_err_statement(code, MQTT_V31))
        assert_non_null(got311);
}

/* One probe rejected with code at its offset and byte; prints and counts a mismatch. */
static int check_rejection(const probe *p, mqtt_err code)
{
    uint8_t wire[WIRE_CAP];
    size_t wire_len;
    mqtt_packet pkt;
    mqtt_error err;
    mqtt_status st = decode_probe(p, &pkt, &err, wire, &wire_len);
    if (st == MQTT_MALFORMED && err.code == code && err.offset == p->offset && err.byte == p->byte)
        return 0;
    print_error("[%s, %s receives] %s: got status %d %s offset %u byte %u; expected %s offset %u byte %u\n",
                version_label(p->version), role_label(p->role), p->what, (int)st,
                st == MQTT_MALFORMED ? mqtt_err_name(err.code) : "-", (unsigned)err.offset, (unsigned)err.byte,
                mqtt_err_name(code), (unsigned)p->offset, (unsigned)p->byte);
    return 1;
}

/*
 * A code may only come out in a version whose spec states the rule.  Before
 * the version is known only a CONNECT is decoded, by the level it carries,
 * so either version's statement will do there.
 */
static int check_rule_exists(const probe *p, mqtt_err code)
{
    uint8_t wire[WIRE_CAP];
    size_t wire_len;
    mqtt_packet pkt;
    mqtt_error err;
    (void)decode_probe(p, &pkt, &err, wire, &wire_len);
    mqtt_version judged = err.version ? (mqtt_version)err.version : p->version; /* a CONNECT: its own level */
    if (code == MQTT_E_TOO_LARGE || mqtt_err_statement(code, judged))
        return 0;
    if (judged == MQTT_VERSION_UNKNOWN && mqtt_err_statement(code, MQTT_V5))
        return 0;
    print_error("%s: %s is returned in %s, where it cites no statement\n", p->what, mqtt_err_name(code),
                version_label(p->version));
    return 1;
}

static void expect_rejections(const probe *probes, size_t n, mqtt_err code, const char *stmt311, const char *stmt5)
{
    check_statements(code, stmt311, stmt5);
    int failures = 0;
    for (size_t i = 0; i < n; i++)
        failures += check_rejection(&probes[i], code) + check_rule_exists(&probes[i], code);
    if (failures)
        fail_msg("%d of %zu probes for %s went wrong", failures, n, mqtt_err_name(code));
}

#define REJECTS(probes, code, s311, s5) expect_rejections(probes, COUNT(probes), code, s311, s5)

static void expect_accepted(const probe *p, mqtt_packet *pkt)
{
    /* static: the decoded views point into it, and callers read them after we return. */
    static uint8_t wire[WIRE_CAP];
    size_t wire_len;
    mqtt_error err;
    mqtt_status st = decode_probe(p, pkt, &err, wire, &wire_len);
    if (st != MQTT_COMPLETE) {
        char msg[256];
        mqtt_err_format(&err, p->version, msg, sizeof msg);
        fail_msg("[%s, %s receives] %s: status %d, %s", version_label(p->version), role_label(p->role), p->what,
                 (int)st, msg);
    }
}

static void expect_all_accepted(const probe *probes, size_t n)
{
    mqtt_packet pkt;
    for (size_t i = 0; i < n; i++)
        expect_accepted(&probes[i], &pkt);
}

static bool bytes_are(mqtt_bytes b, const void *want, size_t n) { return b.len == n && memcmp(b.ptr, want, n) == 0; }

/* ---- fixed header and framing ---- */

static void test_err_varint_too_long(void **state)
{
    (void)state;
    const probe probes[] = {
        {"remaining length in 5 bytes", SERVER_GETS(MQTT_V311), WIRE(0xC0, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F), AT(1)},
        {"remaining length in 5 bytes", CLIENT_GETS(MQTT_V311), WIRE(0x40, 0x80, 0x80, 0x80, 0x80, 0x00), AT(1)},
        {"remaining length in 5 bytes", SERVER_GETS(MQTT_V5), WIRE(0xC0, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F), AT(1)},
        {"remaining length in 5 bytes", SERVER_GETS(MQTT_V31), WIRE(0xC0, 0x80, 0x80, 0x80, 0x80, 0x01), AT(1)},
        {"CONNECT before the version is known", SERVER_GETS(MQTT_VERSION_UNKNOWN),
         WIRE(0x10, 0x80, 0x80, 0x80, 0x80, 0x01), AT(1)},
        {"Property Length in 5 bytes", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 0x80, 0x80, 0x80, 0x80, 0x01),
         AT(5)},
        {"Subscription Identifier value over 4 bytes", CLIENT_GETS(MQTT_V5),
         BODY(0x30, 0, 1, 't', 5, 0x0B, 0x80, 0x80, 0x80, 0x80), AT(7)},
    };
    REJECTS(probes, MQTT_E_VARINT_TOO_LONG, "MQTT-4.8.0-1", "MQTT-4.13.1-1");
}

static void test_err_varint_not_minimal(void **state)
{
    (void)state;
    const probe probes[] = {
        {"remaining length 0 as 80 00", SERVER_GETS(MQTT_V5), WIRE(0xC0, 0x80, 0x00), AT(1)},
        {"remaining length 2 in 4 bytes", CLIENT_GETS(MQTT_V5), WIRE(0x40, 0x82, 0x80, 0x80, 0x00, 0, 1), AT(1)},
        {"5.0 CONNECT while the version is unknown: judged once the level is read",
         SERVER_GETS(MQTT_VERSION_UNKNOWN), WIRE(0x10, 0x8E, 0x00, CONNECT5(0x02), 0, CLIENT_ID_C), AT(1)},
        {"Property Length 0 as 80 00", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 0x80, 0x00), AT(5)},
        {"Property Length in a SUBSCRIBE", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0x80, 0x00, 0, 1, 'a', 0), AT(4)},
        {"Property Identifier 1 as 81 00", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 3, 0x81, 0x00, 0x00), AT(6)},
        {"Subscription Identifier 7 as 87 00 (server PUBLISH)", CLIENT_GETS(MQTT_V5),
         BODY(0x30, 0, 1, 't', 3, 0x0B, 0x87, 0x00), AT(7)},
        {"Subscription Identifier 1 as 81 80 00 (SUBSCRIBE)", SERVER_GETS(MQTT_V5),
         BODY(0x82, 0, 1, 4, 0x0B, 0x81, 0x80, 0x00, 0, 1, 'a', 0), AT(6)},
    };
    REJECTS(probes, MQTT_E_VARINT_NOT_MINIMAL, NULL, "MQTT-1.5.5-1");
}

static void test_non_minimal_varint_accepted_before_5(void **state)
{
    (void)state;
    /* 3.1.1 2.2.3 does not require the shortest encoding. */
    const probe probes[] = {
        {"PINGREQ, remaining length 0 as 80 00", SERVER_GETS(MQTT_V311), WIRE(0xC0, 0x80, 0x00)},
        {"PUBACK, remaining length 2 in 4 bytes", CLIENT_GETS(MQTT_V311), WIRE(0x40, 0x82, 0x80, 0x80, 0x00, 0, 1)},
        {"3.1 PUBACK, remaining length 2 in 2 bytes", SERVER_GETS(MQTT_V31), WIRE(0x40, 0x82, 0x00, 0, 1)},
        {"3.1.1 CONNECT while the version is unknown", SERVER_GETS(MQTT_VERSION_UNKNOWN),
         WIRE(0x10, 0x8D, 0x00, CONNECT311(0x02), CLIENT_ID_C)},
    };
    expect_all_accepted(probes, COUNT(probes));
}

static void test_err_packet_type_reserved(void **state)
{
    (void)state;
    const probe probes[] = {
        {"type 0", SERVER_GETS(MQTT_V311), WIRE(0x00, 0x00), AT(0)},
        {"type 0", CLIENT_GETS(MQTT_V311), WIRE(0x00, 0x00), AT(0)},
        {"type 0", SERVER_GETS(MQTT_V5), WIRE(0x00, 0x00), AT(0)},
        {"type 0", CLIENT_GETS(MQTT_V5), WIRE(0x00, 0x00), AT(0)},
        {"type 0 with a body", SERVER_GETS(MQTT_V5), WIRE(0x0F, 0x02, 0x00, 0x00), AT(0)},
        {"AUTH (15) is reserved in 3.1.1", SERVER_GETS(MQTT_V311), WIRE(0xF0, 0x00), AT(0)},
        {"AUTH (15) is reserved in 3.1.1", CLIENT_GETS(MQTT_V311), WIRE(0xF0, 0x00), AT(0)},
        {"AUTH (15) is reserved in 3.1", SERVER_GETS(MQTT_V31), WIRE(0xF0, 0x00), AT(0)},
    };
    REJECTS(probes, MQTT_E_PACKET_TYPE_RESERVED, "MQTT-4.8.0-1", "MQTT-4.13.1-1");
}

static void test_err_expected_connect(void **state)
{
    (void)state;
    const probe probes[] = {
        {"PUBLISH first", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x30, 0, 1, 't'), AT(0)},
        {"PINGREQ first", SERVER_GETS(MQTT_VERSION_UNKNOWN), WIRE(0xC0, 0x00), AT(0)},
        {"CONNACK first", CLIENT_GETS(MQTT_VERSION_UNKNOWN), WIRE(0x20, 0x02, 0x00, 0x00), AT(0)},
        {"reserved type 0 first", SERVER_GETS(MQTT_VERSION_UNKNOWN), WIRE(0x00, 0x00), AT(0)},
        {"AUTH first", SERVER_GETS(MQTT_VERSION_UNKNOWN), WIRE(0xF0, 0x00), AT(0)},
    };
    REJECTS(probes, MQTT_E_EXPECTED_CONNECT, "MQTT-3.1.0-1", "MQTT-3.1.0-1");
}

static void test_err_packet_direction(void **state)
{
    (void)state;
    const probe probes[] = {
        {"CONNACK to a server", SERVER_GETS(MQTT_V311), WIRE(0x20, 0x02, 0x00, 0x00), AT(0)},
        {"CONNACK to a server", SERVER_GETS(MQTT_V5), WIRE(0x20, 0x03, 0x00, 0x00, 0x00), AT(0)},
        {"SUBACK to a server", SERVER_GETS(MQTT_V311), WIRE(0x90, 0x03, 0, 1, 0), AT(0)},
        {"UNSUBACK to a server", SERVER_GETS(MQTT_V311), WIRE(0xB0, 0x02, 0, 1), AT(0)},
        {"PINGRESP to a server", SERVER_GETS(MQTT_V5), WIRE(0xD0, 0x00), AT(0)},
        {"CONNECT to a client", CLIENT_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x02), CLIENT_ID_C), AT(0)},
        {"SUBSCRIBE to a client", CLIENT_GETS(MQTT_V311), BODY(0x82, 0, 1, 0, 1, 'a', 0), AT(0)},
        {"SUBSCRIBE to a client", CLIENT_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 1, 'a', 0), AT(0)},
        {"UNSUBSCRIBE to a client", CLIENT_GETS(MQTT_V5), BODY(0xA2, 0, 1, 0, 0, 1, 'a'), AT(0)},
        {"PINGREQ to a client", CLIENT_GETS(MQTT_V311), WIRE(0xC0, 0x00), AT(0)},
        {"DISCONNECT to a 3.1.1 client", CLIENT_GETS(MQTT_V311), WIRE(0xE0, 0x00), AT(0)},
        {"DISCONNECT to a 3.1 client", CLIENT_GETS(MQTT_V31), WIRE(0xE0, 0x00), AT(0)},
    };
    REJECTS(probes, MQTT_E_PACKET_DIRECTION, "MQTT-4.8.0-1", "MQTT-4.13.1-1");
}

static void test_err_fixed_header_flags(void **state)
{
    (void)state;
    const probe probes[] = {
        {"CONNECT 0001", SERVER_GETS(MQTT_V311), BODY(0x11, CONNECT311(0x02), CLIENT_ID_C), AT(0)},
        {"CONNECT 0010 before the version is known", SERVER_GETS(MQTT_VERSION_UNKNOWN),
         BODY(0x12, CONNECT311(0x02), CLIENT_ID_C), AT(0)},
        /* issue 9 item 13: a CONNECT is judged by its own level, not the caller's 3.1 */
        {"3.1.1 CONNECT 0010 on a 3.1 stream", SERVER_GETS(MQTT_V31), BODY(0x12, CONNECT311(0x02), CLIENT_ID_C),
         AT(0)},
        {"5.0 CONNECT 0100 on a 3.1 stream", SERVER_GETS(MQTT_V31), BODY(0x14, CONNECT5(0x02), 0, CLIENT_ID_C),
         AT(0)},
        {"CONNACK 0001", CLIENT_GETS(MQTT_V311), WIRE(0x21, 0x02, 0x00, 0x00), AT(0)},
        {"PUBACK 0001 (corpus puback_flags1)", CLIENT_GETS(MQTT_V311), WIRE(0x41, 0x02, 0x00, 0x05), AT(0)},
        {"PUBREC 1000", SERVER_GETS(MQTT_V311), WIRE(0x58, 0x02, 0x00, 0x05), AT(0)},
        {"PUBCOMP 0001", CLIENT_GETS(MQTT_V311), WIRE(0x71, 0x02, 0x00, 0x05), AT(0)},
        {"SUBACK 0010", CLIENT_GETS(MQTT_V311), WIRE(0x92, 0x03, 0, 1, 0), AT(0)},
        {"UNSUBACK 0100", CLIENT_GETS(MQTT_V311), WIRE(0xB4, 0x02, 0, 1), AT(0)},
        {"PINGREQ 0001", SERVER_GETS(MQTT_V311), WIRE(0xC1, 0x00), AT(0)},
        {"PINGRESP 1000", CLIENT_GETS(MQTT_V311), WIRE(0xD8, 0x00), AT(0)},
        {"CONNECT 1000", SERVER_GETS(MQTT_V5), BODY(0x18, CONNECT5(0x02), 0, CLIENT_ID_C), AT(0)},
        {"CONNACK 0010", CLIENT_GETS(MQTT_V5), WIRE(0x22, 0x03, 0x00, 0x00, 0x00), AT(0)},
        {"PUBACK 0010", SERVER_GETS(MQTT_V5), WIRE(0x42, 0x02, 0x00, 0x05), AT(0)},
        {"PUBREC 0001", CLIENT_GETS(MQTT_V5), WIRE(0x51, 0x02, 0x00, 0x05), AT(0)},
        {"PUBCOMP 0100", SERVER_GETS(MQTT_V5), WIRE(0x74, 0x02, 0x00, 0x05), AT(0)},
        {"SUBACK 1000", CLIENT_GETS(MQTT_V5), WIRE(0x98, 0x04, 0, 1, 0, 0), AT(0)},
        {"UNSUBACK 0001", CLIENT_GETS(MQTT_V5), WIRE(0xB1, 0x04, 0, 1, 0, 0), AT(0)},
        {"PINGREQ 1111", SERVER_GETS(MQTT_V5), WIRE(0xCF, 0x00), AT(0)},
        {"PINGRESP 0010", CLIENT_GETS(MQTT_V5), WIRE(0xD2, 0x00), AT(0)},
    };
    REJECTS(probes, MQTT_E_FIXED_HEADER_FLAGS, "MQTT-2.2.2-1", "MQTT-2.1.3-1");
}

static void test_err_pubrel_flags(void **state)
{
    (void)state;
    const probe probes[] = {
        {"PUBREL 0000 (corpus pubrel_flags0)", SERVER_GETS(MQTT_V311), WIRE(0x60, 0x02, 0x00, 0x05), AT(0)},
        {"PUBREL 0011", CLIENT_GETS(MQTT_V311), WIRE(0x63, 0x02, 0x00, 0x05), AT(0)},
        {"PUBREL 1010 (DUP)", SERVER_GETS(MQTT_V311), WIRE(0x6A, 0x02, 0x00, 0x05), AT(0)},
        {"PUBREL 0000", CLIENT_GETS(MQTT_V5), WIRE(0x60, 0x02, 0x00, 0x05), AT(0)},
        {"PUBREL 0110", SERVER_GETS(MQTT_V5), WIRE(0x66, 0x02, 0x00, 0x05), AT(0)},
        {"3.1 PUBREL at QoS 0", SERVER_GETS(MQTT_V31), WIRE(0x60, 0x02, 0x00, 0x05), AT(0)},
        {"3.1 PUBREL at QoS 2", SERVER_GETS(MQTT_V31), WIRE(0x64, 0x02, 0x00, 0x05), AT(0)},
    };
    REJECTS(probes, MQTT_E_PUBREL_FLAGS, "MQTT-3.6.1-1", "MQTT-3.6.1-1");
}

static void test_err_subscribe_flags(void **state)
{
    (void)state;
    const probe probes[] = {
        {"SUBSCRIBE 0000", SERVER_GETS(MQTT_V311), BODY(0x80, 0, 1, 0, 1, 'a', 0), AT(0)},
        {"SUBSCRIBE 0011", SERVER_GETS(MQTT_V311), BODY(0x83, 0, 1, 0, 1, 'a', 0), AT(0)},
        {"SUBSCRIBE 1010", SERVER_GETS(MQTT_V5), BODY(0x8A, 0, 1, 0, 0, 1, 'a', 0), AT(0)},
        {"3.1 SUBSCRIBE at QoS 0", SERVER_GETS(MQTT_V31), BODY(0x80, 0, 1, 0, 1, 'a', 0), AT(0)},
    };
    REJECTS(probes, MQTT_E_SUBSCRIBE_FLAGS, "MQTT-3.8.1-1", "MQTT-3.8.1-1");
}

static void test_err_unsubscribe_flags(void **state)
{
    (void)state;
    const probe probes[] = {
        {"UNSUBSCRIBE 0000", SERVER_GETS(MQTT_V311), BODY(0xA0, 0, 1, 0, 1, 'a'), AT(0)},
        {"UNSUBSCRIBE 0001", SERVER_GETS(MQTT_V5), BODY(0xA1, 0, 1, 0, 0, 1, 'a'), AT(0)},
        {"3.1 UNSUBSCRIBE at QoS 3", SERVER_GETS(MQTT_V31), BODY(0xA6, 0, 1, 0, 1, 'a'), AT(0)},
    };
    REJECTS(probes, MQTT_E_UNSUBSCRIBE_FLAGS, "MQTT-3.10.1-1", "MQTT-3.10.1-1");
}

static void test_err_disconnect_flags(void **state)
{
    (void)state;
    const probe probes[] = {
        {"DISCONNECT 0001", SERVER_GETS(MQTT_V311), WIRE(0xE1, 0x00), AT(0)},
        {"DISCONNECT 0010", SERVER_GETS(MQTT_V5), WIRE(0xE2, 0x00), AT(0)},
        {"DISCONNECT 1000 from a server", CLIENT_GETS(MQTT_V5), WIRE(0xE8, 0x01, 0x00), AT(0)},
    };
    REJECTS(probes, MQTT_E_DISCONNECT_FLAGS, "MQTT-3.14.1-1", "MQTT-3.14.1-1");
}

static void test_err_auth_flags(void **state)
{
    (void)state;
    const probe probes[] = {
        {"AUTH 0001", SERVER_GETS(MQTT_V5), WIRE(0xF1, 0x00), AT(0)},
        {"AUTH 0010", CLIENT_GETS(MQTT_V5), WIRE(0xF2, 0x02, 0x18, 0x00), AT(0)},
    };
    REJECTS(probes, MQTT_E_AUTH_FLAGS, NULL, "MQTT-3.15.1-1");
}

static void test_v31_fixed_header_flags_are_lenient(void **state)
{
    (void)state;
    /* 3.1 sends PUBREL/SUBSCRIBE/UNSUBSCRIBE at QoS 1 and may set DUP; other types ignore the flags. */
    const probe probes[] = {
        {"PUBREL with DUP", SERVER_GETS(MQTT_V31), WIRE(0x6A, 0x02, 0x00, 0x05)},
        {"SUBSCRIBE with DUP", SERVER_GETS(MQTT_V31), BODY(0x8A, 0, 1, 0, 1, 'a', 0)},
        {"PUBACK with flags", CLIENT_GETS(MQTT_V31), WIRE(0x41, 0x02, 0x00, 0x05)},
    };
    expect_all_accepted(probes, COUNT(probes));
}

static void test_err_remaining_length(void **state)
{
    (void)state;
    const probe probes[] = {
        {"PUBACK with remaining length 0 (corpus puback_rl0)", CLIENT_GETS(MQTT_V311), WIRE(0x40, 0x00), AT(1)},
        {"PUBACK with remaining length 3", CLIENT_GETS(MQTT_V311), WIRE(0x40, 0x03, 0, 1, 0), AT(1)},
        {"PUBREL with remaining length 1", SERVER_GETS(MQTT_V5), WIRE(0x62, 0x01, 0), AT(1)},
        {"CONNACK with remaining length 3", CLIENT_GETS(MQTT_V311), WIRE(0x20, 0x03, 0, 0, 0), AT(1)},
        {"CONNACK with remaining length 1", CLIENT_GETS(MQTT_V311), WIRE(0x20, 0x01, 0), AT(1)},
        {"UNSUBACK with remaining length 3", CLIENT_GETS(MQTT_V311), WIRE(0xB0, 0x03, 0, 1, 0), AT(1)},
        {"PINGREQ with a body", SERVER_GETS(MQTT_V311), WIRE(0xC0, 0x01, 0x00), AT(1)},
        {"PINGRESP with a body", CLIENT_GETS(MQTT_V5), WIRE(0xD0, 0x01, 0x00), AT(1)},
        {"3.1.1 DISCONNECT with a body", SERVER_GETS(MQTT_V311), WIRE(0xE0, 0x01, 0x00), AT(1)},
        {"byte after the CONNACK properties", CLIENT_GETS(MQTT_V5), BODY(0x20, 0, 0, 0, 0xFF), AT(5)},
        {"byte after the PUBACK properties", SERVER_GETS(MQTT_V5), BODY(0x40, 0, 1, 0x00, 0x00, 0xAA), AT(6)},
        {"byte after the DISCONNECT properties", SERVER_GETS(MQTT_V5), BODY(0xE0, 0x00, 0x00, 0x01), AT(4)},
        {"byte after the AUTH properties", CLIENT_GETS(MQTT_V5), BODY(0xF0, 0x18, 0x00, 0x01), AT(4)},
    };
    REJECTS(probes, MQTT_E_REMAINING_LENGTH, "MQTT-4.8.0-1", "MQTT-4.13.1-1");
}

static void test_err_truncated(void **state)
{
    (void)state;
    const probe probes[] = {
        {"topic length 255 in a 5-byte body (corpus topic_len_overflow)", SERVER_GETS(MQTT_V311),
         WIRE(0x30, 0x05, 0x00, 0xFF, 'a', 'b', 'c'), AT(2)},
        {"topic length byte alone", SERVER_GETS(MQTT_V311), BODY(0x30, 0x00), AT(2)},
        {"QoS 1 PUBLISH without room for the packet id", SERVER_GETS(MQTT_V311), BODY(0x32, 0, 1, 't', 0), AT(5)},
        {"protocol name cut", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x10, 0, 4, 'M', 'Q'), AT(2)},
        {"protocol level missing", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x10, MQTT_NAME), AT(8)},
        {"keep alive cut", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x10, MQTT_NAME, 4, 2, 0), AT(10)},
        {"client id longer than the packet", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x02), 0, 5, 'a'),
         AT(12)},
        {"SUBSCRIBE options byte missing", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 1, 0, 1, 'a'), AT(7)},
        {"SUBSCRIBE packet id cut", SERVER_GETS(MQTT_V311), BODY(0x82, 0), AT(2)},
        {"SUBACK packet id cut", CLIENT_GETS(MQTT_V5), BODY(0x90, 0), AT(2)},
        {"5.0 CONNACK without its reason code", CLIENT_GETS(MQTT_V5), BODY(0x20, 0x00), AT(3)},
        {"Property Length 5 with 1 byte left", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 5, 0x01), AT(5)},
        {"Message Expiry Interval cut by the Property Length", SERVER_GETS(MQTT_V5),
         BODY(0x30, 0, 1, 't', 3, 0x02, 0, 0, 0, 0), AT(7)},
        {"User Property value cut", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 6, 0x26, 0, 1, 'k', 0, 3, 'v'),
         AT(10)},
        {"Topic Alias cut at the end of the packet", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 2, 0x23, 0),
         AT(7)},
        {"Will Topic longer than the packet", SERVER_GETS(MQTT_V311),
         BODY(0x10, CONNECT311(0x06), CLIENT_ID_C, 0, 9, 'w'), AT(15)},
        {"password longer than the packet", SERVER_GETS(MQTT_V311),
         BODY(0x10, CONNECT311(0xC2), CLIENT_ID_C, 0, 1, 'u', 0, 4, 'p'), AT(18)},
    };
    REJECTS(probes, MQTT_E_TRUNCATED, "MQTT-4.8.0-1", "MQTT-4.13.1-1");
}

static void test_err_too_large(void **state)
{
    (void)state;
    const probe probes[] = {
        {"14-byte PUBLISH, limit 13", SERVER_GETS(MQTT_V311), BODY(0x32, TOPIC_AB, 0, 7, 'h', 'e', 'l', 'l', 'o'),
         AT(0), .max_packet_size = 13},
        {"2-byte PINGREQ, limit 1", SERVER_GETS(MQTT_V5), WIRE(0xC0, 0x00), AT(0), .max_packet_size = 1},
        {"limit applies before the bytes arrive", SERVER_GETS(MQTT_V311), WIRE(0x30, 0x7F), AT(0),
         .max_packet_size = 100},
        {"3-byte remaining length, limit 16384", SERVER_GETS(MQTT_V311), WIRE(0x30, 0x80, 0x80, 0x01), AT(0),
         .max_packet_size = 16384},
        {"CONNECT before the version is known", SERVER_GETS(MQTT_VERSION_UNKNOWN),
         BODY(0x10, CONNECT311(0x02), CLIENT_ID_C), AT(0), .max_packet_size = 14},
    };
    REJECTS(probes, MQTT_E_TOO_LARGE, NULL, NULL);
}

static void test_max_packet_size_is_inclusive(void **state)
{
    (void)state;
    const probe probes[] = {
        {"14-byte PUBLISH, limit 14", SERVER_GETS(MQTT_V311), BODY(0x32, TOPIC_AB, 0, 7, 'h', 'e', 'l', 'l', 'o'),
         .max_packet_size = 14},
        {"2-byte PINGREQ, limit 2", SERVER_GETS(MQTT_V5), WIRE(0xC0, 0x00), .max_packet_size = 2},
    };
    expect_all_accepted(probes, COUNT(probes));
}

static void test_too_large_multi_byte_header(void **state)
{
    (void)state;
    /* A 300-byte PUBLISH (2-byte remaining length) against limits either side of its size. */
    static uint8_t wire[303];
    wire[0] = 0x30;
    wire[1] = 0xAC; /* 300 = 0x2C + 2 * 128 */
    wire[2] = 0x02;
    wire[3] = 0;
    wire[4] = 1;
    wire[5] = 't';
    memset(wire + 6, 'x', sizeof wire - 6);
    mqtt_decode_opts opts = {.version = MQTT_V311, .role = MQTT_ROLE_SERVER, .max_packet_size = 302};
    mqtt_packet pkt;
    mqtt_error err;
    size_t used = 0;
    assert_int_equal(mqtt_decode(wire, sizeof wire, &opts, &pkt, &used, &err), MQTT_MALFORMED);
    assert_int_equal(err.code, MQTT_E_TOO_LARGE);
    assert_int_equal(err.offset, 0);
    /* Judged from the header alone. */
    assert_int_equal(mqtt_decode(wire, 3, &opts, &pkt, &used, &err), MQTT_MALFORMED);
    assert_int_equal(err.code, MQTT_E_TOO_LARGE);
    opts.max_packet_size = 303;
    assert_int_equal(mqtt_decode(wire, sizeof wire, &opts, &pkt, &used, &err), MQTT_COMPLETE);
    assert_int_equal(used, 303);
    assert_int_equal(pkt.u.publish.payload.len, 297);
}

/* ---- data representation ---- */

static void test_err_utf8_invalid(void **state)
{
    (void)state;
    const probe probes[] = {
        {"FF in a topic (corpus topic_ff)", SERVER_GETS(MQTT_V311),
         BODY(0x32, 0, 4, 'a', '/', 0xFF, 'b', 0, 7, 'h', 'e', 'l', 'l', 'o'), AT_BYTE(2, 6)},
        {"surrogate U+D800 as ED A0 80", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 5, 'a', '/', 0xED, 0xA0, 0x80),
         AT_BYTE(2, 6)},
        {"surrogate U+DFFF as ED BF BF", CLIENT_GETS(MQTT_V5), BODY(0x30, 0, 3, 0xED, 0xBF, 0xBF, 0), AT_BYTE(2, 4)},
        {"overlong '/' as C0 AF", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 3, 'a', 0xC0, 0xAF), AT_BYTE(2, 5)},
        {"overlong C1 BF", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 2, 0xC1, 0xBF, 0), AT_BYTE(2, 4)},
        {"overlong '/' as E0 80 AF", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 3, 0xE0, 0x80, 0xAF), AT_BYTE(2, 4)},
        {"overlong F0 80 80 AF", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 4, 0xF0, 0x80, 0x80, 0xAF, 0), AT_BYTE(2, 4)},
        {"above U+10FFFF as F4 90 80 80", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 4, 0xF4, 0x90, 0x80, 0x80),
         AT_BYTE(2, 4)},
        {"lead byte F5", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 5, 'a', 0xF5, 0x80, 0x80, 0x80), AT_BYTE(2, 5)},
        {"lone continuation byte", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 2, 'a', 0x80), AT_BYTE(2, 5)},
        {"2-byte sequence cut by the string end", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 2, 'a', 0xC3, 'x'),
         AT_BYTE(2, 5)},
        {"3-byte sequence cut by the string end", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 3, 'a', 0xE2, 0x82, 0),
         AT_BYTE(2, 5)},
        {"bad continuation inside a 4-byte sequence", SERVER_GETS(MQTT_V311),
         BODY(0x30, 0, 4, 0xF0, 0x9F, 0x41, 0x80), AT_BYTE(2, 4)},
        {"FF late in a 31-byte topic (wide scan)", SERVER_GETS(MQTT_V311),
         BODY(0x30, 0, 31, 's', 'e', 'n', 's', 'o', 'r', 's', '/', 'b', 'u', 'i', 'l', 'd', 'i', 'n', 'g', '-', '7',
              '/', 'f', 'l', 'o', 'o', 'r', '-', '3', '/', 't', 'e', 0xFF, 'p'),
         AT_BYTE(2, 33)},
        {"FF in a 10-byte topic", SERVER_GETS(MQTT_V311),
         BODY(0x30, 0, 10, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 0xFF), AT_BYTE(2, 13)},
        {"client id", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x02), 0, 2, 'c', 0xFF), AT_BYTE(12, 15)},
        {"client id", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x02), 0, 0, 2, 0xC0, 0x80), AT_BYTE(13, 15)},
        {"Will Topic", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x06), CLIENT_ID_C, 0, 1, 0xFE, 0, 0),
         AT_BYTE(15, 17)},
        {"User Name", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x82), CLIENT_ID_C, 0, 2, 'u', 0xED),
         AT_BYTE(15, 18)},
        {"SUBSCRIBE filter", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 1, 0, 2, 'a', 0xFF, 0), AT_BYTE(4, 7)},
        {"UNSUBSCRIBE filter", SERVER_GETS(MQTT_V5), BODY(0xA2, 0, 1, 0, 0, 1, 0x80), AT_BYTE(5, 7)},
        {"Reason String in a PUBACK", CLIENT_GETS(MQTT_V5), BODY(0x40, 0, 1, 0x00, 4, 0x1F, 0, 1, 0xFF),
         AT_BYTE(7, 9)},
        {"Content Type", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 4, 0x03, 0, 1, 0xC2), AT_BYTE(7, 9)},
        {"Response Topic (checked as UTF-8 before wildcards)", SERVER_GETS(MQTT_V5),
         BODY(0x30, 0, 1, 't', 5, 0x08, 0, 2, 'r', 0xFF), AT_BYTE(7, 10)},
        {"Authentication Method in AUTH", CLIENT_GETS(MQTT_V5), BODY(0xF0, 0x18, 4, 0x15, 0, 1, 0xFF),
         AT_BYTE(5, 7)},
    };
    REJECTS(probes, MQTT_E_UTF8_INVALID, "MQTT-1.5.3-1", "MQTT-1.5.4-1");
}

static void test_err_utf8_nul(void **state)
{
    (void)state;
    const probe probes[] = {
        {"U+0000 in a topic (corpus topic_nul)", SERVER_GETS(MQTT_V311),
         BODY(0x32, 0, 4, 'a', '/', 0x00, 'b', 0, 7, 'h', 'e', 'l', 'l', 'o'), AT_BYTE(2, 6)},
        {"U+0000 first", CLIENT_GETS(MQTT_V5), BODY(0x30, 0, 1, 0x00, 0), AT_BYTE(2, 4)},
        {"U+0000 late in a 20-byte topic (wide scan)", SERVER_GETS(MQTT_V311),
         BODY(0x30, 0, 20, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r',
              0x00, 't'),
         AT_BYTE(2, 22)},
        {"client id", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x02), 0, 2, 'c', 0x00), AT_BYTE(12, 15)},
        {"SUBSCRIBE filter", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 2, 'a', 0x00, 0), AT_BYTE(5, 8)},
        {"UNSUBSCRIBE filter", SERVER_GETS(MQTT_V311), BODY(0xA2, 0, 1, 0, 1, 0x00), AT_BYTE(4, 6)},
        {"Content Type", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 4, 0x03, 0, 1, 0x00), AT_BYTE(7, 9)},
        {"User Name", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x82), 0, CLIENT_ID_C, 0, 1, 0x00), AT_BYTE(16, 18)},
    };
    REJECTS(probes, MQTT_E_UTF8_NUL, "MQTT-1.5.3-2", "MQTT-1.5.4-2");
}

static void test_err_utf8_pair(void **state)
{
    (void)state;
    const probe probes[] = {
        {"value FF", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 7, 0x26, 0, 1, 'k', 0, 1, 0xFF), AT(6)},
        {"name with U+0000", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 7, 0x26, 0, 1, 0x00, 0, 1, 'v'), AT(6)},
        {"name with a surrogate", CLIENT_GETS(MQTT_V5),
         BODY(0x40, 0, 1, 0x00, 9, 0x26, 0, 3, 0xED, 0xA0, 0x80, 0, 1, 'v'), AT(6)},
        {"second pair bad", CLIENT_GETS(MQTT_V5),
         BODY(0x20, 0, 0, 14, 0x26, 0, 1, 'a', 0, 1, 'b', 0x26, 0, 1, 'c', 0, 1, 0xC0), AT(12)},
    };
    REJECTS(probes, MQTT_E_UTF8_PAIR, NULL, "MQTT-1.5.7-1");
}

static void test_bom_accepted_and_kept(void **state)
{
    (void)state;
    /* MQTT-1.5.3-3 / 5.0 MQTT-1.5.4-3: EF BB BF is U+FEFF and must not be skipped or stripped. */
    static const uint8_t topic[] = {'a', '/', 0xEF, 0xBB, 0xBF, 'b'};
    static const uint8_t bom_only[] = {0xEF, 0xBB, 0xBF};
    const probe in_topic = {"BOM inside a topic", SERVER_GETS(MQTT_V311),
                            BODY(0x30, 0, 6, 'a', '/', 0xEF, 0xBB, 0xBF, 'b', 'p')};
    const probe leading = {"BOM leading a 5.0 topic", CLIENT_GETS(MQTT_V5),
                           BODY(0x30, 0, 3, 0xEF, 0xBB, 0xBF, 0, 'p')};
    const probe client_id = {"BOM as client id", SERVER_GETS(MQTT_V311),
                             BODY(0x10, CONNECT311(0x02), 0, 3, 0xEF, 0xBB, 0xBF)};
    mqtt_packet pkt;
    expect_accepted(&in_topic, &pkt);
    assert_true(bytes_are(pkt.u.publish.topic, topic, sizeof topic));
    assert_true(bytes_are(pkt.u.publish.payload, "p", 1));
    expect_accepted(&leading, &pkt);
    assert_true(bytes_are(pkt.u.publish.topic, bom_only, sizeof bom_only));
    expect_accepted(&client_id, &pkt);
    assert_true(bytes_are(pkt.u.connect.client_id, bom_only, sizeof bom_only));
}

static void test_well_formed_utf8_accepted(void **state)
{
    (void)state;
    const probe probes[] = {
        {"U+00E9 (C3 A9)", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 2, 0xC3, 0xA9)},
        {"U+20AC (E2 82 AC)", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 3, 0xE2, 0x82, 0xAC)},
        {"U+D7FF (ED 9F BF), last before the surrogates", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 3, 0xED, 0x9F, 0xBF)},
        {"U+E000 (EE 80 80), first after the surrogates", SERVER_GETS(MQTT_V5),
         BODY(0x30, 0, 3, 0xEE, 0x80, 0x80, 0)},
        {"U+1F600 (F0 9F 98 80)", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 4, 0xF0, 0x9F, 0x98, 0x80)},
        {"U+10FFFF (F4 8F BF BF)", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 4, 0xF4, 0x8F, 0xBF, 0xBF)},
        {"U+0800 (E0 A0 80), the smallest 3-byte form", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 3, 0xE0, 0xA0, 0x80)},
        {"U+0080 (C2 80), the smallest 2-byte form", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 2, 0xC2, 0x80)},
        {"control characters U+0001 and U+007F", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 2, 0x01, 0x7F)},
        {"multi-byte characters in a 20-byte topic", SERVER_GETS(MQTT_V311),
         BODY(0x30, 0, 20, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 0xF0, 0x9F,
              0x98, 0x80)},
        {"'+' and '#' in a client id", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x02), 0, 2, '+', '#')},
    };
    expect_all_accepted(probes, COUNT(probes));
}

/* ---- packet identifiers ---- */

static void test_err_packet_id_zero(void **state)
{
    (void)state;
    const probe probes[] = {
        {"QoS 1 PUBLISH id 0 (corpus publish_q1_pid0)", SERVER_GETS(MQTT_V311),
         BODY(0x32, TOPIC_AB, 0, 0, 'h', 'e', 'l', 'l', 'o'), AT(7)},
        {"QoS 2 PUBLISH id 0", SERVER_GETS(MQTT_V5), BODY(0x34, 0, 1, 't', 0, 0, 0), AT(5)},
        {"QoS 1 PUBLISH id 0", SERVER_GETS(MQTT_V31), BODY(0x32, 0, 1, 't', 0, 0), AT(5)},
        {"SUBSCRIBE id 0", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 0, 0, 1, 'a', 0), AT(2)},
        {"SUBSCRIBE id 0", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 0, 0, 0, 1, 'a', 0), AT(2)},
        {"UNSUBSCRIBE id 0", SERVER_GETS(MQTT_V311), BODY(0xA2, 0, 0, 0, 1, 'a'), AT(2)},
        {"UNSUBSCRIBE id 0", SERVER_GETS(MQTT_V5), BODY(0xA2, 0, 0, 0, 0, 1, 'a'), AT(2)},
    };
    REJECTS(probes, MQTT_E_PACKET_ID_ZERO, "MQTT-2.3.1-1", "MQTT-2.2.1-3");
}

static void test_err_server_packet_id_zero(void **state)
{
    (void)state;
    const probe probes[] = {
        {"QoS 1 PUBLISH id 0 from the server", CLIENT_GETS(MQTT_V311), BODY(0x32, TOPIC_AB, 0, 0, 'x'), AT(7)},
        {"QoS 2 PUBLISH id 0 from the server", CLIENT_GETS(MQTT_V5), BODY(0x34, 0, 1, 't', 0, 0, 0), AT(5)},
    };
    REJECTS(probes, MQTT_E_SERVER_PACKET_ID_ZERO, "MQTT-2.3.1-1", "MQTT-2.2.1-4");
}

static void test_err_ack_packet_id_zero(void **state)
{
    (void)state;
    const probe probes[] = {
        {"PUBACK id 0 (corpus puback_pid0)", CLIENT_GETS(MQTT_V311), WIRE(0x40, 0x02, 0x00, 0x00), AT(2)},
        {"PUBACK id 0", SERVER_GETS(MQTT_V311), WIRE(0x40, 0x02, 0x00, 0x00), AT(2)},
        {"PUBREC id 0", SERVER_GETS(MQTT_V311), WIRE(0x50, 0x02, 0x00, 0x00), AT(2)},
        {"PUBREL id 0", CLIENT_GETS(MQTT_V311), WIRE(0x62, 0x02, 0x00, 0x00), AT(2)},
        {"PUBACK id 0 with a reason code", CLIENT_GETS(MQTT_V5), WIRE(0x40, 0x03, 0x00, 0x00, 0x10), AT(2)},
        {"PUBREC id 0", SERVER_GETS(MQTT_V5), WIRE(0x50, 0x02, 0x00, 0x00), AT(2)},
        {"PUBREL id 0", SERVER_GETS(MQTT_V5), WIRE(0x62, 0x04, 0x00, 0x00, 0x00, 0x00), AT(2)},
    };
    REJECTS(probes, MQTT_E_ACK_PACKET_ID_ZERO, "MQTT-2.3.1-6", "MQTT-2.2.1-5");
}

/*
 * Issue 9 item 16: 3.1.1 MQTT-2.3.1-6 names PUBACK, PUBREC and PUBREL only.
 * A PUBCOMP answers a PUBREL "containing the same Packet Identifier as the
 * PUBREL" (4.3.3, MQTT-4.3.3-2), whose identifier is the PUBLISH's, never 0
 * (MQTT-2.3.1-1).  5.0 MQTT-2.2.1-5 names PUBCOMP itself.
 */
static void test_err_pubcomp_packet_id_zero(void **state)
{
    (void)state;
    const probe probes[] = {
        {"PUBCOMP id 0", SERVER_GETS(MQTT_V311), WIRE(0x70, 0x02, 0x00, 0x00), AT(2)},
        {"PUBCOMP id 0", CLIENT_GETS(MQTT_V311), WIRE(0x70, 0x02, 0x00, 0x00), AT(2)},
        {"PUBCOMP id 0", SERVER_GETS(MQTT_V31), WIRE(0x70, 0x02, 0x00, 0x00), AT(2)},
        {"PUBCOMP id 0", CLIENT_GETS(MQTT_V5), WIRE(0x70, 0x02, 0x00, 0x00), AT(2)},
    };
    REJECTS(probes, MQTT_E_PUBCOMP_PACKET_ID_ZERO, "MQTT-4.3.3-2", "MQTT-2.2.1-5");
}

static void test_err_suback_packet_id_zero(void **state)
{
    (void)state;
    const probe probes[] = {
        {"SUBACK id 0", CLIENT_GETS(MQTT_V311), WIRE(0x90, 0x03, 0x00, 0x00, 0x00), AT(2)},
        {"UNSUBACK id 0", CLIENT_GETS(MQTT_V311), WIRE(0xB0, 0x02, 0x00, 0x00), AT(2)},
        {"SUBACK id 0", CLIENT_GETS(MQTT_V5), WIRE(0x90, 0x04, 0x00, 0x00, 0x00, 0x00), AT(2)},
        {"UNSUBACK id 0", CLIENT_GETS(MQTT_V5), WIRE(0xB0, 0x04, 0x00, 0x00, 0x00, 0x00), AT(2)},
    };
    REJECTS(probes, MQTT_E_SUBACK_PACKET_ID_ZERO, "MQTT-2.3.1-7", "MQTT-2.2.1-6");
}

/* ---- CONNECT ---- */

static void test_err_protocol_name(void **state)
{
    (void)state;
    const probe probes[] = {
        {"MQTX", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x10, 0, 4, 'M', 'Q', 'T', 'X', 4, 2, 0, 60, CLIENT_ID_C),
         AT(2)},
        {"lower-case mqtt", SERVER_GETS(MQTT_VERSION_UNKNOWN),
         BODY(0x10, 0, 4, 'm', 'q', 't', 't', 5, 2, 0, 60, 0, CLIENT_ID_C), AT(2)},
        {"MQIsdP", SERVER_GETS(MQTT_VERSION_UNKNOWN),
         BODY(0x10, 0, 6, 'M', 'Q', 'I', 's', 'd', 'P', 3, 2, 0, 60, CLIENT_ID_C), AT(2)},
        {"empty name", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x10, 0, 0, 4, 2, 0, 60, CLIENT_ID_C), AT(2)},
        {"MQTT with a trailing NUL", SERVER_GETS(MQTT_V311),
         BODY(0x10, 0, 5, 'M', 'Q', 'T', 'T', 0, 4, 2, 0, 60, CLIENT_ID_C), AT(2)},
    };
    REJECTS(probes, MQTT_E_PROTOCOL_NAME, "MQTT-3.1.2-1", "MQTT-3.1.2-1");
}

static void test_err_protocol_level(void **state)
{
    (void)state;
    const probe probes[] = {
        {"MQTT level 3", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x10, MQTT_NAME, 3, 2, 0, 60, CLIENT_ID_C), AT(8)},
        {"MQTT level 6", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x10, MQTT_NAME, 6, 2, 0, 60, 0, CLIENT_ID_C),
         AT(8)},
        {"MQTT level 0", SERVER_GETS(MQTT_V311), BODY(0x10, MQTT_NAME, 0, 2, 0, 60, CLIENT_ID_C), AT(8)},
        {"MQTT level 0x84 (bridge bit on 4)", SERVER_GETS(MQTT_VERSION_UNKNOWN),
         BODY(0x10, MQTT_NAME, 0x84, 2, 0, 60, CLIENT_ID_C), AT(8)},
        {"MQIsdp level 4", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x10, MQISDP_NAME, 4, 2, 0, 60, CLIENT_ID_C),
         AT(10)},
    };
    REJECTS(probes, MQTT_E_PROTOCOL_LEVEL, "MQTT-3.1.2-2", "MQTT-3.1.2-2");
}

static void test_err_connect_reserved_flag(void **state)
{
    (void)state;
    const probe probes[] = {
        {"flags 0x03", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x03), CLIENT_ID_C), AT(9)},
        {"flags 0x01", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x10, CONNECT311(0x01), CLIENT_ID_C), AT(9)},
        {"flags 0x03", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x03), 0, CLIENT_ID_C), AT(9)},
    };
    REJECTS(probes, MQTT_E_CONNECT_RESERVED_FLAG, "MQTT-3.1.2-3", "MQTT-3.1.2-3");
}

static void test_v31_connect_reserved_flag_ignored(void **state)
{
    (void)state;
    const probe p = {"3.1 flags 0x03", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x10, CONNECT31(0x03), CLIENT_ID_C)};
    mqtt_packet pkt;
    expect_accepted(&p, &pkt);
    assert_int_equal(pkt.u.connect.protocol_level, 3);
    assert_int_equal(pkt.u.connect.flags, 0x03);
    assert_true(pkt.u.connect.clean_start);
}

static void test_err_will_qos_without_will(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Will QoS 1, Will Flag 0", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x0A), CLIENT_ID_C), AT(9)},
        {"Will QoS 2, Will Flag 0", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x12), 0, CLIENT_ID_C), AT(9)},
        {"3.1.1 CONNECT, Will QoS 1, Will Flag 0, on a 3.1 stream", SERVER_GETS(MQTT_V31),
         BODY(0x10, CONNECT311(0x0A), CLIENT_ID_C), AT(9)},
    };
    REJECTS(probes, MQTT_E_WILL_QOS_WITHOUT_WILL, "MQTT-3.1.2-13", "MQTT-3.1.2-11");
}

/* Issue 9 item 14: 3.1 disregards Will QoS when the Will Flag is 0. */
static void test_v31_will_qos_without_will_disregarded(void **state)
{
    (void)state;
    const probe probes[] = {
        {"3.1 Will QoS 3, Will Flag 0", SERVER_GETS(MQTT_V31), BODY(0x10, CONNECT31(0x1A), CLIENT_ID_C)},
        {"3.1 Will QoS 1, Will Flag 0", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT31(0x0A), CLIENT_ID_C)},
    };
    mqtt_packet pkt;
    for (size_t i = 0; i < COUNT(probes); i++) {
        expect_accepted(&probes[i], &pkt);
        assert_false(pkt.u.connect.will);
    }
}

static void test_err_will_retain_without_will(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Will Retain, Will Flag 0", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x22), CLIENT_ID_C), AT(9)},
        {"Will Retain, Will Flag 0", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x20), 0, CLIENT_ID_C), AT(9)},
    };
    REJECTS(probes, MQTT_E_WILL_RETAIN_WITHOUT_WILL, "MQTT-3.1.2-15", "MQTT-3.1.2-13");
}

static void test_err_will_qos_3(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Will QoS 3", SERVER_GETS(MQTT_V311),
         BODY(0x10, CONNECT311(0x1E), CLIENT_ID_C, 0, 1, 'w', 0, 0), AT(9)},
        {"Will QoS 3", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x1E), 0, CLIENT_ID_C, 0, 0, 1, 'w', 0, 0), AT(9)},
    };
    REJECTS(probes, MQTT_E_WILL_QOS_3, "MQTT-3.1.2-14", "MQTT-3.1.2-12");
}

static void test_err_will_fields_missing(void **state)
{
    (void)state;
    const probe probes[] = {
        {"no Will Topic", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x06), CLIENT_ID_C), AT(15)},
        {"no Will Message", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x06), CLIENT_ID_C, 0, 1, 'w'), AT(18)},
        {"no Will Properties", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x06), 0, CLIENT_ID_C), AT(16)},
        {"no Will Topic", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x06), 0, CLIENT_ID_C, 0), AT(17)},
        {"no Will Payload", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x0E), 0, CLIENT_ID_C, 0, 0, 1, 'w'), AT(20)},
        {"no Will Topic", SERVER_GETS(MQTT_V31), BODY(0x10, CONNECT31(0x06), CLIENT_ID_C), AT(17)},
    };
    REJECTS(probes, MQTT_E_WILL_FIELDS_MISSING, "MQTT-3.1.2-9", "MQTT-3.1.2-9");
}

static void test_err_username_missing(void **state)
{
    (void)state;
    const probe probes[] = {
        {"no User Name", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x82), CLIENT_ID_C), AT(15)},
        {"no User Name", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x82), 0, CLIENT_ID_C), AT(16)},
        {"no User Name after the will", SERVER_GETS(MQTT_V311),
         BODY(0x10, CONNECT311(0x86), CLIENT_ID_C, 0, 1, 'w', 0, 1, 'm'), AT(21)},
    };
    REJECTS(probes, MQTT_E_USERNAME_MISSING, "MQTT-3.1.2-19", "MQTT-3.1.2-17");
}

static void test_err_password_missing(void **state)
{
    (void)state;
    const probe probes[] = {
        {"no Password", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0xC2), CLIENT_ID_C, 0, 1, 'u'), AT(18)},
        {"no Password", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0xC2), 0, CLIENT_ID_C, 0, 1, 'u'), AT(19)},
        {"no Password, no User Name", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x42), 0, CLIENT_ID_C), AT(16)},
    };
    REJECTS(probes, MQTT_E_PASSWORD_MISSING, "MQTT-3.1.2-21", "MQTT-3.1.2-19");
}

static void test_err_password_without_username(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Password Flag only", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x42), CLIENT_ID_C, 0, 1, 'p'), AT(9)},
        {"Password Flag only", SERVER_GETS(MQTT_V31), BODY(0x10, CONNECT31(0x42), CLIENT_ID_C, 0, 1, 'p'), AT(11)},
    };
    REJECTS(probes, MQTT_E_PASSWORD_WITHOUT_USERNAME, "MQTT-3.1.2-22", NULL);
}

static void test_password_without_username_accepted_in_5(void **state)
{
    (void)state;
    /* 5.0 3.1.2.9 allows a password without a user name. */
    const probe p = {"Password Flag only", SERVER_GETS(MQTT_V5),
                     BODY(0x10, CONNECT5(0x42), 0, CLIENT_ID_C, 0, 2, 'p', 'w')};
    mqtt_packet pkt;
    expect_accepted(&p, &pkt);
    assert_false(pkt.u.connect.has_username);
    assert_true(pkt.u.connect.has_password);
    assert_true(bytes_are(pkt.u.connect.password, "pw", 2));
}

/*
 * Issue 9 item 16: bytes the flags do not announce are judged by the field
 * that would be read there: a User Name (flag 0: MQTT-3.1.2-18 / 5.0
 * MQTT-3.1.2-16), a Password (flag 0: MQTT-3.1.2-20 / 5.0 MQTT-3.1.2-18),
 * or nothing at all after the Password (a Remaining Length too long).
 */
static void test_err_username_unexpected(void **state)
{
    (void)state;
    const probe probes[] = {
        {"byte after the client id", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x02), CLIENT_ID_C, 0xAA), AT(15)},
        {"will fields without the Will Flag", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0x02), 0, CLIENT_ID_C, 0, 0, 1, 'w', 0, 0), AT(16)},
        {"user name without its flag after the will", SERVER_GETS(MQTT_V311),
         BODY(0x10, CONNECT311(0x06), CLIENT_ID_C, 0, 1, 'w', 0, 1, 'm', 0, 1, 'u'), AT(21)},
        {"user name without its flag", SERVER_GETS(MQTT_V31), BODY(0x10, CONNECT31(0x02), CLIENT_ID_C, 0, 1, 'u'),
         AT(17)},
    };
    REJECTS(probes, MQTT_E_USERNAME_UNEXPECTED, "MQTT-3.1.2-18", "MQTT-3.1.2-16");
}

static void test_err_password_unexpected(void **state)
{
    (void)state;
    const probe probes[] = {
        {"password without its flag", SERVER_GETS(MQTT_V311),
         BODY(0x10, CONNECT311(0x82), CLIENT_ID_C, 0, 1, 'u', 0, 1, 'p'), AT(18)},
        {"password without its flag", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0x82), 0, CLIENT_ID_C, 0, 1, 'u', 0, 1, 'p'), AT(19)},
    };
    REJECTS(probes, MQTT_E_PASSWORD_UNEXPECTED, "MQTT-3.1.2-20", "MQTT-3.1.2-18");
}

static void test_err_connect_trailing_bytes(void **state)
{
    (void)state;
    const probe probes[] = {
        {"byte after the password", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0xC2), 0, CLIENT_ID_C, 0, 1, 'u', 0, 1, 'p', 0), AT(22)},
        {"byte after a password without user name", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0x42), 0, CLIENT_ID_C, 0, 1, 'p', 7), AT(19)},
        {"byte after the password", SERVER_GETS(MQTT_V311),
         BODY(0x10, CONNECT311(0xC2), CLIENT_ID_C, 0, 1, 'u', 0, 1, 'p', 0), AT(21)},
    };
    REJECTS(probes, MQTT_E_CONNECT_TRAILING_BYTES, "MQTT-4.8.0-1", "MQTT-4.13.1-1");
}

/* Issue 9 item 16: no Client Identifier at all is MQTT-3.1.3-3, not a generic truncation. */
static void test_err_client_id_missing(void **state)
{
    (void)state;
    const probe probes[] = {
        {"payload empty", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x02)), AT(12)},
        {"payload empty", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x10, CONNECT5(0x02), 0), AT(13)},
        {"payload empty", SERVER_GETS(MQTT_V31), BODY(0x10, CONNECT31(0x02)), AT(14)},
    };
    REJECTS(probes, MQTT_E_CLIENT_ID_MISSING, "MQTT-3.1.3-3", "MQTT-3.1.3-3");
}

/* Issue 9 item 14: a 3.1 User Name / Password flag with the field absent lets the connection continue. */
static void test_v31_flagged_credentials_may_be_absent(void **state)
{
    (void)state;
    const probe both = {"3.1 both flags, no fields", SERVER_GETS(MQTT_V31), BODY(0x10, CONNECT31(0xC2), CLIENT_ID_C)};
    mqtt_packet pkt;
    expect_accepted(&both, &pkt);
    assert_true(pkt.u.connect.has_username && pkt.u.connect.has_password);
    assert_null(pkt.u.connect.username.ptr);
    assert_null(pkt.u.connect.password.ptr);
    /* and it is written back as it came */
    uint8_t wire[WIRE_CAP], again[WIRE_CAP];
    size_t n = probe_wire(&both, wire, sizeof wire);
    assert_int_equal(mqtt_encode(&pkt, MQTT_V31, again, sizeof again), n);
    assert_memory_equal(again, wire, n);
    const probe user_only = {"3.1 both flags, user name only", SERVER_GETS(MQTT_V31),
                             BODY(0x10, CONNECT31(0xC2), CLIENT_ID_C, 0, 1, 'u')};
    expect_accepted(&user_only, &pkt);
    assert_true(bytes_are(pkt.u.connect.username, "u", 1));
    assert_null(pkt.u.connect.password.ptr);
}

/*
 * Issue 9 item 13: a CONNECT is judged by the level it carries.  This 3.1
 * CONNECT (header flags 0100, reserved Connect Flag set: both unused in 3.1)
 * decodes as 3.1 whatever version the stream started at; a 3.1.1 CONNECT
 * with a non-minimal Remaining Length is fine under -V 5.0 (only 5.0 asks
 * for the minimal form) while a 5.0 one is not under -V 3.1.1.
 */
static void test_connect_judged_by_its_own_level(void **state)
{
    (void)state;
    static const uint8_t v31[] = {0x14, 0x0f, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03,
                                  0x01, 0x00, 0x0a, 0x00, 0x01, 'p'};
    static const uint8_t v311_long_rl[] = {0x10, 0x8D, 0x00, MQTT_NAME, 4, 0x02, 0, 60, CLIENT_ID_C};
    static const uint8_t v5_long_rl[] = {0x10, 0x8E, 0x00, MQTT_NAME, 5, 0x02, 0, 60, 0, CLIENT_ID_C};
    const mqtt_version streams[] = {MQTT_VERSION_UNKNOWN, MQTT_V31, MQTT_V311, MQTT_V5};
    for (size_t i = 0; i < COUNT(streams); i++) {
        mqtt_decode_opts opts = {.version = streams[i], .role = MQTT_ROLE_SERVER};
        mqtt_packet pkt;
        mqtt_error err;
        size_t used = 0;
        assert_int_equal(mqtt_decode(v31, sizeof v31, &opts, &pkt, &used, &err), MQTT_COMPLETE);
        assert_int_equal(pkt.u.connect.protocol_level, MQTT_V31);
        assert_int_equal(used, sizeof v31);
        assert_int_equal(mqtt_decode(v311_long_rl, sizeof v311_long_rl, &opts, &pkt, &used, &err), MQTT_COMPLETE);
        assert_int_equal(pkt.u.connect.protocol_level, MQTT_V311);
        assert_int_equal(mqtt_decode(v5_long_rl, sizeof v5_long_rl, &opts, &pkt, &used, &err), MQTT_MALFORMED);
        assert_int_equal(err.code, MQTT_E_VARINT_NOT_MINIMAL);
        assert_int_equal(err.version, MQTT_V5);
        /* the stream reassembler frames before it decodes: same answers */
        uint8_t storage[64];
        mqtt_stream st;
        mqtt_stream_init(&st, storage, sizeof storage);
        mqtt_stream_append(&st, v311_long_rl, sizeof v311_long_rl);
        assert_int_equal(mqtt_stream_next(&st, &opts, &pkt, NULL, &err), MQTT_COMPLETE);
        mqtt_stream_append(&st, v31, sizeof v31);
        assert_int_equal(mqtt_stream_next(&st, &opts, &pkt, NULL, &err), MQTT_COMPLETE);
        assert_int_equal(pkt.u.connect.protocol_level, MQTT_V31);
    }
}

static void test_err_client_id_empty_persistent(void **state)
{
    (void)state;
    const probe probes[] = {
        {"empty id, CleanSession 0", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x00), 0, 0), AT(12)},
        {"empty id, CleanSession 0", SERVER_GETS(MQTT_V31), BODY(0x10, CONNECT31(0x00), 0, 0), AT(14)},
    };
    REJECTS(probes, MQTT_E_CLIENT_ID_EMPTY_PERSISTENT, "MQTT-3.1.3-7", NULL);
}

static void test_empty_client_id_accepted(void **state)
{
    (void)state;
    const probe probes[] = {
        {"5.0: empty id, Clean Start 0 (server assigns one)", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0x00), 0, 0, 0)},
        {"3.1.1: empty id, CleanSession 1", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x02), 0, 0)},
    };
    expect_all_accepted(probes, COUNT(probes));
}

static void test_connect_full_accepted(void **state)
{
    (void)state;
    const probe p = {"3.1.1 CONNECT with every field", SERVER_GETS(MQTT_VERSION_UNKNOWN),
                     BODY(0x10, CONNECT311(0xF6), CLIENT_ID_C, 0, 1, 'w', 0, 2, 'm', 'm', 0, 1, 'u', 0, 1, 'p')};
    mqtt_packet pkt;
    expect_accepted(&p, &pkt);
    const mqtt_connect *cn = &pkt.u.connect;
    assert_int_equal(cn->protocol_level, 4);
    assert_true(cn->will && cn->will_retain && cn->has_username && cn->has_password && cn->clean_start);
    assert_int_equal(cn->will_qos, 2);
    assert_int_equal(cn->keep_alive, 60);
    assert_true(bytes_are(cn->will_topic, "w", 1));
    assert_true(bytes_are(cn->will_payload, "mm", 2));
    assert_true(bytes_are(cn->username, "u", 1));
    assert_true(bytes_are(cn->password, "p", 1));
}

/* ---- CONNACK ---- */

static void test_err_connack_reserved_flags(void **state)
{
    (void)state;
    const probe probes[] = {
        {"flags 0x02", CLIENT_GETS(MQTT_V311), WIRE(0x20, 0x02, 0x02, 0x00), AT(2)},
        {"flags 0x80", CLIENT_GETS(MQTT_V311), WIRE(0x20, 0x02, 0x80, 0x00), AT(2)},
        {"flags 0x03", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x03, 0x03, 0x00, 0x00), AT(2)},
    };
    REJECTS(probes, MQTT_E_CONNACK_RESERVED_FLAGS, "MQTT-4.8.0-1", "MQTT-3.2.2-1");
}

static void test_err_connack_return_code(void **state)
{
    (void)state;
    const probe probes[] = {
        {"return code 6", CLIENT_GETS(MQTT_V311), WIRE(0x20, 0x02, 0x00, 0x06), AT(3)},
        {"5.0 code 0x80 in 3.1.1", CLIENT_GETS(MQTT_V311), WIRE(0x20, 0x02, 0x00, 0x80), AT(3)},
        {"return code 6", CLIENT_GETS(MQTT_V31), WIRE(0x20, 0x02, 0x00, 0x06), AT(3)},
        {"3.1.1 code 0x01 in 5.0", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x03, 0x00, 0x01, 0x00), AT(3)},
        {"DISCONNECT-only 0x8B in a CONNACK", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x03, 0x00, 0x8B, 0x00), AT(3)},
        {"0xFF", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x03, 0x00, 0xFF, 0x00), AT(3)},
    };
    REJECTS(probes, MQTT_E_CONNACK_RETURN_CODE, "MQTT-4.8.0-1", "MQTT-3.2.2-8");
}

static void test_err_connack_session_present(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Session Present with code 5", CLIENT_GETS(MQTT_V311), WIRE(0x20, 0x02, 0x01, 0x05), AT(2)},
        {"Session Present with 0x80", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x03, 0x01, 0x80, 0x00), AT(2)},
    };
    REJECTS(probes, MQTT_E_CONNACK_SESSION_PRESENT, "MQTT-3.2.2-4", "MQTT-3.2.2-6");
}

static void test_connack_accepted(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Session Present, accepted", CLIENT_GETS(MQTT_V311), WIRE(0x20, 0x02, 0x01, 0x00)},
        {"code 5", CLIENT_GETS(MQTT_V311), WIRE(0x20, 0x02, 0x00, 0x05)},
        {"3.1: byte 1 was never defined", CLIENT_GETS(MQTT_V31), WIRE(0x20, 0x02, 0xFF, 0x02)},
        {"0x9F Connection rate exceeded", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x03, 0x00, 0x9F, 0x00)},
    };
    expect_all_accepted(probes, COUNT(probes));
}

/* ---- PUBLISH ---- */

static void test_err_qos_3(void **state)
{
    (void)state;
    const probe probes[] = {
        {"QoS 3 (corpus publish_qos3)", SERVER_GETS(MQTT_V311), BODY(0x36, TOPIC_AB, 0, 7, 'h', 'e', 'l', 'l', 'o'),
         AT(0)},
        {"QoS 3 with DUP", CLIENT_GETS(MQTT_V311), BODY(0x3E, TOPIC_AB, 0, 7), AT(0)},
        {"QoS 3 with RETAIN", SERVER_GETS(MQTT_V5), BODY(0x37, TOPIC_AB, 0, 7, 0), AT(0)},
    };
    REJECTS(probes, MQTT_E_QOS_3, "MQTT-3.3.1-4", "MQTT-3.3.1-4");
}

static void test_err_dup_on_qos0(void **state)
{
    (void)state;
    const probe probes[] = {
        {"DUP, QoS 0", SERVER_GETS(MQTT_V311), BODY(0x38, TOPIC_AB), AT(0)},
        {"DUP, QoS 0, RETAIN", CLIENT_GETS(MQTT_V311), BODY(0x39, TOPIC_AB), AT(0)},
        {"DUP, QoS 0", SERVER_GETS(MQTT_V5), BODY(0x38, TOPIC_AB, 0), AT(0)},
    };
    REJECTS(probes, MQTT_E_DUP_ON_QOS0, "MQTT-3.3.1-2", "MQTT-3.3.1-2");
}

static void test_err_topic_name_wildcard(void **state)
{
    (void)state;
    const probe probes[] = {
        {"a/+/b (corpus topic_plus)", SERVER_GETS(MQTT_V311),
         BODY(0x32, 0, 5, 'a', '/', '+', '/', 'b', 0, 7, 'h', 'e', 'l', 'l', 'o'), AT_BYTE(2, 6)},
        {"a/# (corpus topic_hash)", SERVER_GETS(MQTT_V311), BODY(0x32, 0, 3, 'a', '/', '#', 0, 7), AT_BYTE(2, 6)},
        {"#", CLIENT_GETS(MQTT_V311), BODY(0x30, 0, 1, '#'), AT_BYTE(2, 4)},
        {"+", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, '+', 0), AT_BYTE(2, 4)},
        {"a+ (not even a valid filter)", CLIENT_GETS(MQTT_V5), BODY(0x32, 0, 2, 'a', '+', 0, 1, 0), AT_BYTE(2, 5)},
        {"'+' late in a 20-byte topic (wide scan)", SERVER_GETS(MQTT_V311),
         BODY(0x30, 0, 20, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r',
              's', '+'),
         AT_BYTE(2, 23)},
        {"'#' in a 9-byte topic", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 9, 'a', 'b', 'c', 'd', '#', 'f', 'g', 'h', 'i'),
         AT_BYTE(2, 8)},
        {"'#' after a multi-byte character", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 3, 0xC3, 0xA9, '#'),
         AT_BYTE(2, 6)},
    };
    REJECTS(probes, MQTT_E_TOPIC_NAME_WILDCARD, "MQTT-3.3.2-2", "MQTT-3.3.2-2");
}

static void test_err_topic_name_empty(void **state)
{
    (void)state;
    const probe probes[] = {
        {"empty topic (corpus topic_empty)", SERVER_GETS(MQTT_V311), BODY(0x32, 0, 0, 0, 7, 'h', 'e', 'l', 'l', 'o'),
         AT(2)},
        {"empty topic", CLIENT_GETS(MQTT_V311), BODY(0x30, 0, 0), AT(2)},
        {"empty topic, no Topic Alias", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 0, 0, 'x'), AT(2)},
        {"empty topic, other properties only", CLIENT_GETS(MQTT_V5),
         BODY(0x32, 0, 0, 0, 9, 5, 0x02, 0, 0, 0, 60), AT(2)},
    };
    REJECTS(probes, MQTT_E_TOPIC_NAME_EMPTY, "MQTT-4.7.3-1", "MQTT-4.7.3-1");
}

static void test_empty_topic_with_alias_accepted_in_5(void **state)
{
    (void)state;
    const probe p = {"empty topic, Topic Alias 3", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 0, 3, 0x23, 0, 3, 'x')};
    mqtt_packet pkt;
    expect_accepted(&p, &pkt);
    assert_int_equal(pkt.u.publish.topic.len, 0);
    mqtt_property pr;
    assert_true(mqtt_prop_find(pkt.u.publish.props, MQTT_PROP_TOPIC_ALIAS, &pr));
    assert_int_equal(pr.value, 3);
    assert_true(bytes_are(pkt.u.publish.payload, "x", 1));
}

static void test_err_topic_alias_zero(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Topic Alias 0", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 3, 0x23, 0, 0), AT(6)},
        {"Topic Alias 0 with an empty topic", CLIENT_GETS(MQTT_V5), BODY(0x30, 0, 0, 3, 0x23, 0, 0), AT(5)},
    };
    REJECTS(probes, MQTT_E_TOPIC_ALIAS_ZERO, NULL, "MQTT-3.3.2-8");
}

static void test_err_subscription_id_from_client(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Subscription Identifier 5", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 2, 0x0B, 0x05), AT(6)},
        {"after a User Property", SERVER_GETS(MQTT_V5),
         BODY(0x32, 0, 1, 't', 0, 1, 10, 0x26, 0, 1, 'k', 0, 1, 'v', 0x0B, 0x80, 0x01), AT(15)},
    };
    REJECTS(probes, MQTT_E_SUBSCRIPTION_ID_FROM_CLIENT, NULL, "MQTT-3.3.4-6");
}

static void test_err_response_topic_wildcard(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Response Topic r/#", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 6, 0x08, 0, 3, 'r', '/', '#'),
         AT_BYTE(7, 11)},
        {"Response Topic + from the server", CLIENT_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 4, 0x08, 0, 1, '+'),
         AT_BYTE(7, 9)},
        {"Response Topic in the Will Properties", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0x06), 0, CLIENT_ID_C, 5, 0x08, 0, 2, 'r', '#', 0, 1, 'w', 0, 0), AT_BYTE(18, 21)},
    };
    REJECTS(probes, MQTT_E_RESPONSE_TOPIC_WILDCARD, NULL, "MQTT-3.3.2-14");
}

static void test_publish_accepted(void **state)
{
    (void)state;
    const probe probes[] = {
        {"DUP on QoS 1", SERVER_GETS(MQTT_V311), BODY(0x3A, TOPIC_AB, 0, 7)},
        {"DUP + RETAIN on QoS 2", CLIENT_GETS(MQTT_V311), BODY(0x3D, TOPIC_AB, 0, 7)},
        {"$SYS topic", CLIENT_GETS(MQTT_V311), BODY(0x30, 0, 6, '$', 'S', 'Y', 'S', '/', 'x')},
        {"topic of one '/'", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 1, '/')},
        {"topic with a space", SERVER_GETS(MQTT_V311), BODY(0x30, 0, 3, 'a', ' ', 'b')},
        {"empty payload", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 0)},
        {"Subscription Identifiers 1 and 268435455 from the server", CLIENT_GETS(MQTT_V5),
         BODY(0x30, 0, 1, 't', 7, 0x0B, 0x01, 0x0B, 0xFF, 0xFF, 0xFF, 0x7F)},
        {"Response Topic without wildcards", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 6, 0x08, 0, 3, 'r', '/', 's')},
    };
    expect_all_accepted(probes, COUNT(probes));
}

/* ---- SUBSCRIBE / UNSUBSCRIBE ---- */

static void test_err_subscribe_empty(void **state)
{
    (void)state;
    const probe probes[] = {
        {"no filter", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 1), AT(4)},
        {"no filter", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0), AT(5)},
        {"properties, no filter", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 2, 0x0B, 1), AT(7)},
        {"no filter", SERVER_GETS(MQTT_V31), BODY(0x82, 0, 1), AT(4)},
    };
    REJECTS(probes, MQTT_E_SUBSCRIBE_EMPTY, "MQTT-3.8.3-3", "MQTT-3.8.3-2");
}

static void test_err_unsubscribe_empty(void **state)
{
    (void)state;
    const probe probes[] = {
        {"no filter", SERVER_GETS(MQTT_V311), BODY(0xA2, 0, 1), AT(4)},
        {"no filter", SERVER_GETS(MQTT_V5), BODY(0xA2, 0, 1, 0), AT(5)},
    };
    REJECTS(probes, MQTT_E_UNSUBSCRIBE_EMPTY, "MQTT-3.10.3-2", "MQTT-3.10.3-2");
}

static void test_err_subscribe_options_reserved(void **state)
{
    (void)state;
    const probe probes[] = {
        {"3.1.1 options 0x04 (5.0 No Local)", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 1, 0, 1, 'a', 0x04), AT(7)},
        {"3.1.1 options 0x80", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 1, 0, 1, 'a', 0x80), AT(7)},
        {"second entry 0xC1", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 1, 0, 1, 'a', 1, 0, 1, 'b', 0xC1), AT(11)},
        {"5.0 options 0x40", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 1, 'a', 0x40), AT(8)},
        {"5.0 options 0x80", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 1, 'a', 0x80), AT(8)},
        {"3.1 options 0x10", SERVER_GETS(MQTT_V31), BODY(0x82, 0, 1, 0, 1, 'a', 0x10), AT(7)},
    };
    REJECTS(probes, MQTT_E_SUBSCRIBE_OPTIONS_RESERVED, "MQTT-3.8.3-4", "MQTT-3.8.3-5");
}

static void test_err_subscribe_qos_3(void **state)
{
    (void)state;
    const probe probes[] = {
        {"QoS 3", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 1, 0, 1, 'a', 0x03), AT(7)},
        {"QoS 3", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 1, 'a', 0x03), AT(8)},
        {"QoS 3 with No Local", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 1, 'a', 0x07), AT(8)},
    };
    REJECTS(probes, MQTT_E_SUBSCRIBE_QOS_3, "MQTT-3.8.3-4", "MQTT-4.13.1-1");
}

static void test_err_retain_handling_3(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Retain Handling 3", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 1, 'a', 0x30), AT(8)},
        {"Retain Handling 3, QoS 2", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 1, 'a', 0x3A), AT(8)},
    };
    REJECTS(probes, MQTT_E_RETAIN_HANDLING_3, NULL, "MQTT-4.13.1-1");
}

static void test_err_no_local_shared(void **state)
{
    (void)state;
    const probe probes[] = {
        {"No Local on $share/g/a", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, SHARE_G_A, 0x04), AT(17)},
        {"second entry", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 1, 'x', 0x04, SHARE_G_A, 0x05), AT(21)},
    };
    REJECTS(probes, MQTT_E_NO_LOCAL_SHARED, NULL, "MQTT-3.8.3-4");
}

/*
 * CONTRACT (codec.h, mqtt_error.byte: "equals offset when the field as a
 * whole is at fault"): an empty filter is at fault as a whole, as an empty
 * Topic Name is (TOPIC_NAME_EMPTY reports byte == offset); the codec reports
 * the byte after the length field instead.
 */
static void test_err_topic_filter_empty(void **state)
{
    (void)state;
    const probe probes[] = {
        {"SUBSCRIBE", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 1, 0, 0, 0), AT(4)},
        {"UNSUBSCRIBE", SERVER_GETS(MQTT_V311), BODY(0xA2, 0, 1, 0, 0), AT(4)},
        {"SUBSCRIBE", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 0, 0), AT(5)},
        {"UNSUBSCRIBE second entry", SERVER_GETS(MQTT_V5), BODY(0xA2, 0, 1, 0, 0, 1, 'a', 0, 0), AT(8)},
    };
    REJECTS(probes, MQTT_E_TOPIC_FILTER_EMPTY, "MQTT-4.7.3-1", "MQTT-4.7.3-1");
}

static void test_err_topic_filter_hash(void **state)
{
    (void)state;
    const probe probes[] = {
        {"a/#/b", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 1, 0, 5, 'a', '/', '#', '/', 'b', 0), AT_BYTE(4, 8)},
        {"a#", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 1, 0, 2, 'a', '#', 0), AT_BYTE(4, 7)},
        {"#/", SERVER_GETS(MQTT_V311), BODY(0xA2, 0, 1, 0, 2, '#', '/'), AT_BYTE(4, 6)},
        {"##", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 2, '#', '#', 0), AT_BYTE(5, 7)},
        {"a/b#", SERVER_GETS(MQTT_V5), BODY(0xA2, 0, 1, 0, 0, 4, 'a', '/', 'b', '#'), AT_BYTE(5, 10)},
        {"$share/g/a/#/b", SERVER_GETS(MQTT_V5),
         BODY(0x82, 0, 1, 0, 0, 14, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a', '/', '#', '/', 'b', 0),
         AT_BYTE(5, 18)},
    };
    REJECTS(probes, MQTT_E_TOPIC_FILTER_HASH, "MQTT-4.7.1-2", "MQTT-4.7.1-1");
}

static void test_err_topic_filter_plus(void **state)
{
    (void)state;
    const probe probes[] = {
        {"a+/b", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 1, 0, 4, 'a', '+', '/', 'b', 0), AT_BYTE(4, 7)},
        {"+a", SERVER_GETS(MQTT_V311), BODY(0x82, 0, 1, 0, 2, '+', 'a', 0), AT_BYTE(4, 6)},
        {"a/b+", SERVER_GETS(MQTT_V311), BODY(0xA2, 0, 1, 0, 4, 'a', '/', 'b', '+'), AT_BYTE(4, 9)},
        {"++", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 2, '+', '+', 0), AT_BYTE(5, 7)},
        {"$share/g/a+", SERVER_GETS(MQTT_V5),
         BODY(0x82, 0, 1, 0, 0, 11, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a', '+', 0), AT_BYTE(5, 17)},
        {"3.1.1: $share/g+/a is a plain filter", SERVER_GETS(MQTT_V311),
         BODY(0x82, 0, 1, 0, 11, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '+', '/', 'a', 0), AT_BYTE(4, 14)},
    };
    REJECTS(probes, MQTT_E_TOPIC_FILTER_PLUS, "MQTT-4.7.1-3", "MQTT-4.7.1-2");
}

static void test_err_share_name(void **state)
{
    (void)state;
    /* Filter bytes start at offset 7 in these 5.0 SUBSCRIBE / UNSUBSCRIBE packets. */
    const probe probes[] = {
        {"$share//a (empty ShareName)", SERVER_GETS(MQTT_V5),
         BODY(0x82, 0, 1, 0, 0, 9, '$', 's', 'h', 'a', 'r', 'e', '/', '/', 'a', 0), AT_BYTE(5, 14)},
        {"$share/g (no filter)", SERVER_GETS(MQTT_V5),
         BODY(0x82, 0, 1, 0, 0, 8, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', 0), AT_BYTE(5, 15)},
        {"$share/g/ (empty filter)", SERVER_GETS(MQTT_V5),
         BODY(0x82, 0, 1, 0, 0, 9, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 0), AT_BYTE(5, 15)},
        {"$share/g+/a", SERVER_GETS(MQTT_V5),
         BODY(0x82, 0, 1, 0, 0, 11, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '+', '/', 'a', 0), AT_BYTE(5, 15)},
        {"$share/#/a", SERVER_GETS(MQTT_V5),
         BODY(0x82, 0, 1, 0, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', '#', '/', 'a', 0), AT_BYTE(5, 14)},
        {"$share/ (nothing at all)", SERVER_GETS(MQTT_V5),
         BODY(0x82, 0, 1, 0, 0, 7, '$', 's', 'h', 'a', 'r', 'e', '/', 0), AT_BYTE(5, 14)},
        {"UNSUBSCRIBE $share//a", SERVER_GETS(MQTT_V5),
         BODY(0xA2, 0, 1, 0, 0, 9, '$', 's', 'h', 'a', 'r', 'e', '/', '/', 'a'), AT_BYTE(5, 14)},
    };
    REJECTS(probes, MQTT_E_SHARE_NAME, NULL, "MQTT-4.8.2-2");
}

static void test_subscribe_accepted(void **state)
{
    (void)state;
    const probe probes[] = {
        {"3.1.1: $share//a is a plain filter", SERVER_GETS(MQTT_V311),
         BODY(0x82, 0, 1, 0, 9, '$', 's', 'h', 'a', 'r', 'e', '/', '/', 'a', 0)},
        {"5.0: No Local on a plain filter", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 1, 'a', 0x04)},
        {"5.0: every option bit in use", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 0, 0, 1, 'a', 0x2E)},
        {"5.0: shared with wildcards", SERVER_GETS(MQTT_V5),
         BODY(0x82, 0, 1, 0, 0, 12, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', '+', '/', '#', 0x02)},
        {"5.0: $share alone is a plain filter", SERVER_GETS(MQTT_V5),
         BODY(0x82, 0, 1, 0, 0, 6, '$', 's', 'h', 'a', 'r', 'e', 0x01)},
        {"wildcards alone", SERVER_GETS(MQTT_V311),
         BODY(0x82, 0, 1, 0, 1, '#', 0, 0, 1, '+', 1, 0, 3, '+', '/', '#', 2)},
        {"empty levels", SERVER_GETS(MQTT_V311), BODY(0xA2, 0, 1, 0, 3, '/', '+', '/')},
    };
    expect_all_accepted(probes, COUNT(probes));
}

/* ---- SUBACK / UNSUBACK ---- */

static void test_err_suback_empty(void **state)
{
    (void)state;
    const probe probes[] = {
        {"no return code", CLIENT_GETS(MQTT_V311), WIRE(0x90, 0x02, 0, 1), AT(4)},
        {"no reason code", CLIENT_GETS(MQTT_V5), WIRE(0x90, 0x03, 0, 1, 0), AT(5)},
    };
    REJECTS(probes, MQTT_E_SUBACK_EMPTY, "MQTT-3.8.4-5", "MQTT-3.8.4-6");
}

static void test_err_suback_return_code(void **state)
{
    (void)state;
    const probe probes[] = {
        {"return code 3", CLIENT_GETS(MQTT_V311), WIRE(0x90, 0x04, 0, 1, 0x00, 0x03), AT(5)},
        {"5.0 code 0x8F in 3.1.1", CLIENT_GETS(MQTT_V311), WIRE(0x90, 0x03, 0, 1, 0x8F), AT(4)},
        {"0x11 (UNSUBACK only)", CLIENT_GETS(MQTT_V5), WIRE(0x90, 0x05, 0, 1, 0, 0x01, 0x11), AT(6)},
        {"0x03", CLIENT_GETS(MQTT_V5), WIRE(0x90, 0x04, 0, 1, 0, 0x03), AT(5)},
    };
    REJECTS(probes, MQTT_E_SUBACK_RETURN_CODE, "MQTT-3.9.3-2", "MQTT-3.9.3-2");
}

static void test_err_unsuback_empty(void **state)
{
    (void)state;
    const probe probes[] = {
        {"no reason code", CLIENT_GETS(MQTT_V5), WIRE(0xB0, 0x03, 0, 1, 0), AT(5)},
    };
    REJECTS(probes, MQTT_E_UNSUBACK_EMPTY, NULL, "MQTT-3.11.3-2");
}

static void test_err_unsuback_reason_code(void **state)
{
    (void)state;
    const probe probes[] = {
        {"0x01 (SUBACK only)", CLIENT_GETS(MQTT_V5), WIRE(0xB0, 0x05, 0, 1, 0, 0x00, 0x01), AT(6)},
        {"0x97 (SUBACK only)", CLIENT_GETS(MQTT_V5), WIRE(0xB0, 0x04, 0, 1, 0, 0x97), AT(5)},
    };
    REJECTS(probes, MQTT_E_UNSUBACK_REASON_CODE, NULL, "MQTT-3.11.3-2");
}

static void test_acks_accepted(void **state)
{
    (void)state;
    const probe probes[] = {
        {"SUBACK 0, 1, 2, 0x80", CLIENT_GETS(MQTT_V311), WIRE(0x90, 0x06, 0, 1, 0, 1, 2, 0x80)},
        {"SUBACK every 5.0 code", CLIENT_GETS(MQTT_V5),
         WIRE(0x90, 0x0F, 0, 1, 0, 0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2)},
        {"UNSUBACK every 5.0 code", CLIENT_GETS(MQTT_V5),
         WIRE(0xB0, 0x0A, 0, 1, 0, 0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91)},
        {"UNSUBACK 3.1.1", CLIENT_GETS(MQTT_V311), WIRE(0xB0, 0x02, 0, 1)},
        {"PUBACK 0x10", SERVER_GETS(MQTT_V5), WIRE(0x40, 0x03, 0, 1, 0x10)},
        {"PUBREC 0x99", CLIENT_GETS(MQTT_V5), WIRE(0x50, 0x03, 0, 1, 0x99)},
        {"PUBREL 0x92", CLIENT_GETS(MQTT_V5), WIRE(0x62, 0x03, 0, 1, 0x92)},
        {"PUBCOMP 0x92", SERVER_GETS(MQTT_V5), WIRE(0x70, 0x03, 0, 1, 0x92)},
    };
    expect_all_accepted(probes, COUNT(probes));
}

/* ---- reason codes of acks, DISCONNECT, AUTH ---- */

static void test_err_puback_reason_code(void **state)
{
    (void)state;
    const probe probes[] = {
        {"0x92 (PUBREL/PUBCOMP only)", CLIENT_GETS(MQTT_V5), WIRE(0x40, 0x03, 0, 1, 0x92), AT(4)},
        {"0x01", SERVER_GETS(MQTT_V5), WIRE(0x40, 0x04, 0, 1, 0x01, 0x00), AT(4)},
    };
    REJECTS(probes, MQTT_E_PUBACK_REASON_CODE, NULL, "MQTT-3.4.2-1");
}

static void test_err_pubrec_reason_code(void **state)
{
    (void)state;
    const probe probes[] = {
        {"0x92", SERVER_GETS(MQTT_V5), WIRE(0x50, 0x03, 0, 1, 0x92), AT(4)},
        {"0x81", CLIENT_GETS(MQTT_V5), WIRE(0x50, 0x03, 0, 1, 0x81), AT(4)},
    };
    REJECTS(probes, MQTT_E_PUBREC_REASON_CODE, NULL, "MQTT-3.5.2-1");
}

static void test_err_pubrel_reason_code(void **state)
{
    (void)state;
    const probe probes[] = {
        {"0x10", SERVER_GETS(MQTT_V5), WIRE(0x62, 0x03, 0, 1, 0x10), AT(4)},
        {"0x80", CLIENT_GETS(MQTT_V5), WIRE(0x62, 0x04, 0, 1, 0x80, 0x00), AT(4)},
    };
    REJECTS(probes, MQTT_E_PUBREL_REASON_CODE, NULL, "MQTT-3.6.2-1");
}

static void test_err_pubcomp_reason_code(void **state)
{
    (void)state;
    const probe probes[] = {
        {"0x80", CLIENT_GETS(MQTT_V5), WIRE(0x70, 0x03, 0, 1, 0x80), AT(4)},
        {"0x10", SERVER_GETS(MQTT_V5), WIRE(0x70, 0x03, 0, 1, 0x10), AT(4)},
    };
    REJECTS(probes, MQTT_E_PUBCOMP_REASON_CODE, NULL, "MQTT-3.7.2-1");
}

static void test_err_disconnect_reason_code(void **state)
{
    (void)state;
    const probe probes[] = {
        {"0x8B Server shutting down from a client", SERVER_GETS(MQTT_V5), WIRE(0xE0, 0x01, 0x8B), AT(2)},
        {"0x8E Session taken over from a client", SERVER_GETS(MQTT_V5), WIRE(0xE0, 0x02, 0x8E, 0x00), AT(2)},
        {"0x9C Use another server from a client", SERVER_GETS(MQTT_V5), WIRE(0xE0, 0x01, 0x9C), AT(2)},
        {"0x05 (undefined)", CLIENT_GETS(MQTT_V5), WIRE(0xE0, 0x01, 0x05), AT(2)},
        {"0x01 (SUBACK only)", SERVER_GETS(MQTT_V5), WIRE(0xE0, 0x01, 0x01), AT(2)},
        {"0x84 (CONNACK only)", CLIENT_GETS(MQTT_V5), WIRE(0xE0, 0x01, 0x84), AT(2)},
    };
    REJECTS(probes, MQTT_E_DISCONNECT_REASON_CODE, NULL, "MQTT-3.14.2-1");
}

static void test_disconnect_sender_specific_codes_accepted(void **state)
{
    (void)state;
    const probe probes[] = {
        {"0x8B from the server", CLIENT_GETS(MQTT_V5), WIRE(0xE0, 0x01, 0x8B)},
        {"0x04 Disconnect with Will Message from the client", SERVER_GETS(MQTT_V5), WIRE(0xE0, 0x01, 0x04)},
        {"0x93 Receive Maximum exceeded from the client", SERVER_GETS(MQTT_V5), WIRE(0xE0, 0x01, 0x93)},
        {"Session Expiry Interval from the client", SERVER_GETS(MQTT_V5),
         WIRE(0xE0, 0x07, 0x00, 0x05, 0x11, 0, 0, 0, 10)},
    };
    expect_all_accepted(probes, COUNT(probes));
}

static void test_err_auth_reason_code(void **state)
{
    (void)state;
    const probe probes[] = {
        {"0x01", SERVER_GETS(MQTT_V5), WIRE(0xF0, 0x02, 0x01, 0x00), AT(2)},
        /* issue 9 item 15: no Reason Code means Success, which only a server may send */
        {"no reason code (Success) from a client", SERVER_GETS(MQTT_V5), WIRE(0xF0, 0x00), AT(2)},
        {"Success from a client", SERVER_GETS(MQTT_V5), WIRE(0xF0, 0x02, 0x00, 0x00), AT(2)},
        {"0x80 (not an AUTH code)", CLIENT_GETS(MQTT_V5), WIRE(0xF0, 0x01, 0x80), AT(2)},
    };
    REJECTS(probes, MQTT_E_AUTH_REASON_CODE, NULL, "MQTT-3.15.2-1");
}

/* ---- properties ---- */

static void test_err_property_length_missing(void **state)
{
    (void)state;
    const probe probes[] = {
        {"CONNACK of 2 bytes", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x02, 0x00, 0x00), AT(4)},
        {"QoS 1 PUBLISH", SERVER_GETS(MQTT_V5), BODY(0x32, 0, 1, 't', 0, 1), AT(7)},
        {"QoS 0 PUBLISH", CLIENT_GETS(MQTT_V5), BODY(0x30, 0, 1, 't'), AT(5)},
        {"CONNECT", SERVER_GETS(MQTT_VERSION_UNKNOWN), BODY(0x10, CONNECT5(0x02)), AT(12)},
        {"SUBSCRIBE", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1), AT(4)},
        {"UNSUBSCRIBE", SERVER_GETS(MQTT_V5), BODY(0xA2, 0, 1), AT(4)},
        {"SUBACK", CLIENT_GETS(MQTT_V5), WIRE(0x90, 0x02, 0, 1), AT(4)},
        {"UNSUBACK", CLIENT_GETS(MQTT_V5), WIRE(0xB0, 0x02, 0, 1), AT(4)},
    };
    REJECTS(probes, MQTT_E_PROPERTY_LENGTH_MISSING, NULL, "MQTT-2.2.2-1");
}

static void test_err_property_unknown(void **state)
{
    (void)state;
    const probe probes[] = {
        {"id 0x04", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 2, 0x04, 0x00), AT(6)},
        {"id 0x00", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 2, 0x00, 0x00), AT(6)},
        {"id 0x2B", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x05, 0, 0, 2, 0x2B, 0x00), AT(5)},
        {"id 0x7F", CLIENT_GETS(MQTT_V5), WIRE(0x40, 0x06, 0, 1, 0, 2, 0x7F, 0x00), AT(6)},
        {"id 128 in two bytes", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 3, 0x80, 0x01, 0x00), AT(6)},
        {"after a valid property", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 4, 0x0B, 1, 0x10, 0, 0, 1, 'a', 0), AT(7)},
    };
    REJECTS(probes, MQTT_E_PROPERTY_UNKNOWN, NULL, "MQTT-4.13.1-1");
}

static void test_err_property_not_allowed(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Topic Alias in CONNECT", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x02), 3, 0x23, 0, 1, CLIENT_ID_C),
         AT(13)},
        {"Will Delay Interval in CONNECT", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0x02), 5, 0x18, 0, 0, 0, 1, CLIENT_ID_C), AT(13)},
        {"Session Expiry Interval in the Will Properties", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0x06), 0, CLIENT_ID_C, 5, 0x11, 0, 0, 0, 1, 0, 1, 'w', 0, 0), AT(17)},
        {"Reason String in PUBLISH", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 4, 0x1F, 0, 1, 'r'), AT(6)},
        {"Topic Alias in PUBACK", CLIENT_GETS(MQTT_V5), WIRE(0x40, 0x07, 0, 1, 0, 3, 0x23, 0, 1), AT(6)},
        {"Reason String in SUBSCRIBE", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 4, 0x1F, 0, 1, 'r', 0, 1, 'a', 0),
         AT(5)},
        {"Subscription Identifier in UNSUBSCRIBE", SERVER_GETS(MQTT_V5), BODY(0xA2, 0, 1, 2, 0x0B, 1, 0, 1, 'a'),
         AT(5)},
        {"Assigned Client Identifier in DISCONNECT", CLIENT_GETS(MQTT_V5), WIRE(0xE0, 0x06, 0, 4, 0x12, 0, 1, 'x'),
         AT(4)},
        {"Session Expiry Interval in AUTH", SERVER_GETS(MQTT_V5), WIRE(0xF0, 0x07, 0x18, 5, 0x11, 0, 0, 0, 1),
         AT(4)},
        {"Request Problem Information in CONNACK", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x05, 0, 0, 2, 0x17, 1), AT(5)},
        {"Maximum QoS in CONNECT", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x02), 2, 0x24, 1, CLIENT_ID_C), AT(13)},
        {"Topic Alias Maximum in SUBACK", CLIENT_GETS(MQTT_V5), WIRE(0x90, 0x07, 0, 1, 3, 0x22, 0, 5, 0), AT(5)},
    };
    REJECTS(probes, MQTT_E_PROPERTY_NOT_ALLOWED, NULL, "MQTT-4.13.1-1");
}

static void test_err_property_duplicate(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Message Expiry Interval twice", SERVER_GETS(MQTT_V5),
         BODY(0x30, 0, 1, 't', 10, 0x02, 0, 0, 0, 1, 0x02, 0, 0, 0, 2), AT(11)},
        {"Topic Alias twice", CLIENT_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 6, 0x23, 0, 1, 0x23, 0, 1), AT(9)},
        {"Subscription Identifier twice in SUBSCRIBE", SERVER_GETS(MQTT_V5),
         BODY(0x82, 0, 1, 4, 0x0B, 1, 0x0B, 2, 0, 1, 'a', 0), AT(7)},
        {"Authentication Method twice in CONNECT", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0x02), 8, 0x15, 0, 1, 'a', 0x15, 0, 1, 'b', CLIENT_ID_C), AT(17)},
        {"Maximum QoS twice in CONNACK", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x07, 0, 0, 4, 0x24, 0, 0x24, 0), AT(7)},
        {"Reason String twice in DISCONNECT", SERVER_GETS(MQTT_V5),
         WIRE(0xE0, 0x0A, 0x00, 8, 0x1F, 0, 1, 'a', 0x1F, 0, 1, 'b'), AT(8)},
        {"Will Delay Interval twice", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0x06), 0, CLIENT_ID_C, 10, 0x18, 0, 0, 0, 1, 0x18, 0, 0, 0, 1, 0, 1, 'w', 0, 0), AT(22)},
    };
    REJECTS(probes, MQTT_E_PROPERTY_DUPLICATE, NULL, "MQTT-4.13.1-1");
}

static void test_repeatable_properties_accepted(void **state)
{
    (void)state;
    const probe probes[] = {
        {"User Property twice, same name", SERVER_GETS(MQTT_V5),
         BODY(0x30, 0, 1, 't', 14, 0x26, 0, 1, 'k', 0, 1, 'a', 0x26, 0, 1, 'k', 0, 1, 'b')},
        {"Subscription Identifier twice in a server PUBLISH", CLIENT_GETS(MQTT_V5),
         BODY(0x30, 0, 1, 't', 4, 0x0B, 1, 0x0B, 2)},
        {"Property Length 0 after a reason code", CLIENT_GETS(MQTT_V5), WIRE(0x40, 0x04, 0, 1, 0x10, 0)},
    };
    expect_all_accepted(probes, COUNT(probes));
}

static void test_err_property_value(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Payload Format Indicator 2", SERVER_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 2, 0x01, 2), AT(6)},
        {"Payload Format Indicator 2 in the Will Properties", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0x06), 0, CLIENT_ID_C, 2, 0x01, 2, 0, 1, 'w', 0, 0), AT(17)},
        {"Request Problem Information 2", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x02), 2, 0x17, 2, CLIENT_ID_C),
         AT(13)},
        {"Request Response Information 2", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0x02), 2, 0x19, 2, CLIENT_ID_C), AT(13)},
        {"Receive Maximum 0 in CONNECT", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x02), 3, 0x21, 0, 0, CLIENT_ID_C),
         AT(13)},
        {"Maximum Packet Size 0 in CONNECT", SERVER_GETS(MQTT_V5),
         BODY(0x10, CONNECT5(0x02), 5, 0x27, 0, 0, 0, 0, CLIENT_ID_C), AT(13)},
        {"Receive Maximum 0 in CONNACK", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x06, 0, 0, 3, 0x21, 0, 0), AT(5)},
        {"Maximum Packet Size 0 in CONNACK", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x08, 0, 0, 5, 0x27, 0, 0, 0, 0),
         AT(5)},
        {"Maximum QoS 2", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x05, 0, 0, 2, 0x24, 2), AT(5)},
        {"Retain Available 2", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x05, 0, 0, 2, 0x25, 2), AT(5)},
        {"Wildcard Subscription Available 2", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x05, 0, 0, 2, 0x28, 2), AT(5)},
        {"Subscription Identifier Available 2", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x05, 0, 0, 2, 0x29, 2), AT(5)},
        {"Shared Subscription Available 0xFF", CLIENT_GETS(MQTT_V5), WIRE(0x20, 0x05, 0, 0, 2, 0x2A, 0xFF), AT(5)},
        {"Subscription Identifier 0 in SUBSCRIBE", SERVER_GETS(MQTT_V5), BODY(0x82, 0, 1, 2, 0x0B, 0, 0, 1, 'a', 0),
         AT(5)},
        {"Subscription Identifier 0 in a server PUBLISH", CLIENT_GETS(MQTT_V5), BODY(0x30, 0, 1, 't', 2, 0x0B, 0),
         AT(6)},
        {"Subscription Identifier 0 in a client PUBLISH (range first)", SERVER_GETS(MQTT_V5),
         BODY(0x30, 0, 1, 't', 2, 0x0B, 0), AT(6)},
    };
    REJECTS(probes, MQTT_E_PROPERTY_VALUE, NULL, "MQTT-4.13.1-1");
}

static void test_err_auth_data_without_method(void **state)
{
    (void)state;
    const probe probes[] = {
        {"CONNECT", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x02), 4, 0x16, 0, 1, 'x', CLIENT_ID_C), AT(12)},
        {"AUTH", SERVER_GETS(MQTT_V5), WIRE(0xF0, 0x06, 0x18, 4, 0x16, 0, 1, 'x'), AT(3)},
        {"AUTH from the server", CLIENT_GETS(MQTT_V5), WIRE(0xF0, 0x06, 0x18, 4, 0x16, 0, 1, 'x'), AT(3)},
    };
    REJECTS(probes, MQTT_E_AUTH_DATA_WITHOUT_METHOD, NULL, "MQTT-4.13.1-1");
}

static void test_err_session_expiry_from_server(void **state)
{
    (void)state;
    const probe probes[] = {
        {"server DISCONNECT", CLIENT_GETS(MQTT_V5), WIRE(0xE0, 0x07, 0x00, 5, 0x11, 0, 0, 0, 10), AT(4)},
        {"server DISCONNECT, after a Reason String", CLIENT_GETS(MQTT_V5),
         WIRE(0xE0, 0x0B, 0x8B, 9, 0x1F, 0, 1, 'r', 0x11, 0, 0, 0, 0), AT(8)},
    };
    REJECTS(probes, MQTT_E_SESSION_EXPIRY_FROM_SERVER, NULL, "MQTT-3.14.2-2");
}

/*
 * Every code except OK has at least one test above: this catches a code
 * added to codec_errors.h without a probe.  Keep the list in the table's order.
 */
static void test_every_code_has_a_test_here(void **state)
{
    (void)state;
    static const mqtt_err covered[] = {
        MQTT_E_VARINT_TOO_LONG, MQTT_E_VARINT_NOT_MINIMAL, MQTT_E_PACKET_TYPE_RESERVED, MQTT_E_EXPECTED_CONNECT,
        MQTT_E_PACKET_DIRECTION, MQTT_E_FIXED_HEADER_FLAGS, MQTT_E_PUBREL_FLAGS, MQTT_E_SUBSCRIBE_FLAGS,
        MQTT_E_UNSUBSCRIBE_FLAGS, MQTT_E_DISCONNECT_FLAGS, MQTT_E_AUTH_FLAGS, MQTT_E_REMAINING_LENGTH,
        MQTT_E_TRUNCATED, MQTT_E_TOO_LARGE, MQTT_E_UTF8_INVALID, MQTT_E_UTF8_NUL, MQTT_E_UTF8_PAIR,
        MQTT_E_PACKET_ID_ZERO, MQTT_E_SERVER_PACKET_ID_ZERO, MQTT_E_ACK_PACKET_ID_ZERO,
        MQTT_E_PUBCOMP_PACKET_ID_ZERO, MQTT_E_SUBACK_PACKET_ID_ZERO, MQTT_E_PROTOCOL_NAME, MQTT_E_PROTOCOL_LEVEL, MQTT_E_CONNECT_RESERVED_FLAG,
        MQTT_E_WILL_QOS_WITHOUT_WILL, MQTT_E_WILL_RETAIN_WITHOUT_WILL, MQTT_E_WILL_QOS_3,
        MQTT_E_WILL_FIELDS_MISSING, MQTT_E_USERNAME_MISSING, MQTT_E_PASSWORD_MISSING,
        MQTT_E_PASSWORD_WITHOUT_USERNAME, MQTT_E_USERNAME_UNEXPECTED, MQTT_E_PASSWORD_UNEXPECTED,
        MQTT_E_CONNECT_TRAILING_BYTES, MQTT_E_CLIENT_ID_MISSING, MQTT_E_CLIENT_ID_EMPTY_PERSISTENT,
        MQTT_E_CONNACK_RESERVED_FLAGS, MQTT_E_CONNACK_RETURN_CODE, MQTT_E_CONNACK_SESSION_PRESENT, MQTT_E_QOS_3,
        MQTT_E_DUP_ON_QOS0, MQTT_E_TOPIC_NAME_WILDCARD, MQTT_E_TOPIC_NAME_EMPTY, MQTT_E_WILL_TOPIC_WILDCARD,
        MQTT_E_TOPIC_ALIAS_ZERO,
        MQTT_E_SUBSCRIPTION_ID_FROM_CLIENT, MQTT_E_RESPONSE_TOPIC_WILDCARD, MQTT_E_SUBSCRIBE_EMPTY,
        MQTT_E_UNSUBSCRIBE_EMPTY, MQTT_E_SUBSCRIBE_OPTIONS_RESERVED, MQTT_E_SUBSCRIBE_QOS_3,
        MQTT_E_RETAIN_HANDLING_3, MQTT_E_NO_LOCAL_SHARED, MQTT_E_TOPIC_FILTER_EMPTY, MQTT_E_TOPIC_FILTER_HASH,
        MQTT_E_TOPIC_FILTER_PLUS, MQTT_E_SHARE_NAME, MQTT_E_SUBACK_EMPTY, MQTT_E_SUBACK_RETURN_CODE,
        MQTT_E_UNSUBACK_EMPTY, MQTT_E_UNSUBACK_REASON_CODE, MQTT_E_PUBACK_REASON_CODE, MQTT_E_PUBREC_REASON_CODE,
        MQTT_E_PUBREL_REASON_CODE, MQTT_E_PUBCOMP_REASON_CODE, MQTT_E_DISCONNECT_REASON_CODE,
        MQTT_E_AUTH_REASON_CODE, MQTT_E_PROPERTY_LENGTH_MISSING, MQTT_E_PROPERTY_UNKNOWN,
        MQTT_E_PROPERTY_NOT_ALLOWED, MQTT_E_PROPERTY_DUPLICATE, MQTT_E_PROPERTY_VALUE,
        MQTT_E_AUTH_METHOD_MISSING, MQTT_E_AUTH_DATA_WITHOUT_METHOD, MQTT_E_SESSION_EXPIRY_FROM_SERVER,
    };
    assert_int_equal(COUNT(covered), MQTT_E_COUNT - 1);
    for (size_t i = 0; i < COUNT(covered); i++)
        assert_int_equal(covered[i], (mqtt_err)(i + 1));
}

/* ---- the malformed set of shared/bench/gen_corpus.py, byte for byte ---- */

typedef struct corpus_file {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    mqtt_err code_311; /* MQTT_E_OK: accepted */
    uint32_t offset;
    uint32_t byte;
    mqtt_err code_5; /* the same bytes decoded as 5.0, where the framing already decides */
} corpus_file;

#define FILE_BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static const corpus_file corpus[] = {
    {"ok_publish", FILE_BYTES(0x32, 0x0C, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x07, 0x68, 0x65, 0x6C, 0x6C, 0x6F),
     MQTT_E_OK, 0, 0, MQTT_E_OK},
    {"topic_ff",
     FILE_BYTES(0x32, 0x0D, 0x00, 0x04, 0x61, 0x2F, 0xFF, 0x62, 0x00, 0x07, 0x68, 0x65, 0x6C, 0x6C, 0x6F),
     MQTT_E_UTF8_INVALID, 2, 6, MQTT_E_OK},
    {"topic_nul",
     FILE_BYTES(0x32, 0x0D, 0x00, 0x04, 0x61, 0x2F, 0x00, 0x62, 0x00, 0x07, 0x68, 0x65, 0x6C, 0x6C, 0x6F),
     MQTT_E_UTF8_NUL, 2, 6, MQTT_E_OK},
    {"topic_plus",
     FILE_BYTES(0x32, 0x0E, 0x00, 0x05, 0x61, 0x2F, 0x2B, 0x2F, 0x62, 0x00, 0x07, 0x68, 0x65, 0x6C, 0x6C, 0x6F),
     MQTT_E_TOPIC_NAME_WILDCARD, 2, 6, MQTT_E_OK},
    {"topic_hash", FILE_BYTES(0x32, 0x0C, 0x00, 0x03, 0x61, 0x2F, 0x23, 0x00, 0x07, 0x68, 0x65, 0x6C, 0x6C, 0x6F),
     MQTT_E_TOPIC_NAME_WILDCARD, 2, 6, MQTT_E_OK},
    {"topic_empty", FILE_BYTES(0x32, 0x09, 0x00, 0x00, 0x00, 0x07, 0x68, 0x65, 0x6C, 0x6C, 0x6F),
     MQTT_E_TOPIC_NAME_EMPTY, 2, 2, MQTT_E_OK},
    {"topic_surrogate",
     FILE_BYTES(0x32, 0x0E, 0x00, 0x05, 0x61, 0x2F, 0xED, 0xA0, 0x80, 0x00, 0x07, 0x68, 0x65, 0x6C, 0x6C, 0x6F),
     MQTT_E_UTF8_INVALID, 2, 6, MQTT_E_OK},
    {"publish_qos3", FILE_BYTES(0x36, 0x0C, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x07, 0x68, 0x65, 0x6C, 0x6C, 0x6F),
     MQTT_E_QOS_3, 0, 0, MQTT_E_QOS_3},
    {"publish_q1_pid0",
     FILE_BYTES(0x32, 0x0C, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x00, 0x68, 0x65, 0x6C, 0x6C, 0x6F),
     MQTT_E_PACKET_ID_ZERO, 7, 7, MQTT_E_PACKET_ID_ZERO},
    {"ok_subscribe",
     FILE_BYTES(0x82, 0x2C, 0x00, 0x09, 0x00, 0x05, 0x61, 0x2F, 0x2B, 0x2F, 0x63, 0x01, 0x00, 0x03, 0x78, 0x2F,
                0x23, 0x00, 0x00, 0x19, 0x73, 0x65, 0x6E, 0x73, 0x6F, 0x72, 0x73, 0x2F, 0x62, 0x75, 0x69, 0x6C, 0x64,
                0x69, 0x6E, 0x67, 0x2D, 0x37, 0x2F, 0x2B, 0x2F, 0x74, 0x65, 0x6D, 0x70, 0x02),
     MQTT_E_OK, 0, 0, MQTT_E_OK},
    {"subscribe_flags80",
     FILE_BYTES(0x80, 0x2C, 0x00, 0x09, 0x00, 0x05, 0x61, 0x2F, 0x2B, 0x2F, 0x63, 0x01, 0x00, 0x03, 0x78, 0x2F,
                0x23, 0x00, 0x00, 0x19, 0x73, 0x65, 0x6E, 0x73, 0x6F, 0x72, 0x73, 0x2F, 0x62, 0x75, 0x69, 0x6C, 0x64,
                0x69, 0x6E, 0x67, 0x2D, 0x37, 0x2F, 0x2B, 0x2F, 0x74, 0x65, 0x6D, 0x70, 0x02),
     MQTT_E_SUBSCRIBE_FLAGS, 0, 0, MQTT_E_SUBSCRIBE_FLAGS},
    {"rl_5byte",
     FILE_BYTES(0x32, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x07, 0x68, 0x65, 0x6C, 0x6C,
                0x6F),
     MQTT_E_VARINT_TOO_LONG, 1, 1, MQTT_E_VARINT_TOO_LONG},
    {"rl_nonminimal",
     FILE_BYTES(0x32, 0x8C, 0x80, 0x80, 0x00, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00, 0x07, 0x68, 0x65, 0x6C, 0x6C, 0x6F),
     MQTT_E_OK, 0, 0, MQTT_E_VARINT_NOT_MINIMAL},
    {"ok_puback", FILE_BYTES(0x40, 0x02, 0x00, 0x05), MQTT_E_OK, 0, 0, MQTT_E_OK},
    {"puback_flags1", FILE_BYTES(0x41, 0x02, 0x00, 0x05), MQTT_E_FIXED_HEADER_FLAGS, 0, 0, MQTT_E_FIXED_HEADER_FLAGS},
    {"pubrel_flags0", FILE_BYTES(0x60, 0x02, 0x00, 0x05), MQTT_E_PUBREL_FLAGS, 0, 0, MQTT_E_PUBREL_FLAGS},
    {"puback_pid0", FILE_BYTES(0x40, 0x02, 0x00, 0x00), MQTT_E_ACK_PACKET_ID_ZERO, 2, 2, MQTT_E_ACK_PACKET_ID_ZERO},
    {"puback_rl0", FILE_BYTES(0x40, 0x00), MQTT_E_REMAINING_LENGTH, 1, 1, MQTT_E_REMAINING_LENGTH},
    {"topic_len_overflow", FILE_BYTES(0x30, 0x05, 0x00, 0xFF, 0x61, 0x62, 0x63), MQTT_E_TRUNCATED, 2, 2,
     MQTT_E_TRUNCATED},
};

static mqtt_status decode_file(const corpus_file *f, mqtt_version version, mqtt_packet *pkt, mqtt_error *err)
{
    mqtt_decode_opts opts = {.version = version, .role = MQTT_ROLE_SERVER, .max_packet_size = 0};
    size_t used = 0;
    memset(err, 0, sizeof *err);
    mqtt_status st = mqtt_decode(f->bytes, f->len, &opts, pkt, &used, err);
    if (st == MQTT_COMPLETE)
        assert_int_equal(used, f->len);
    return st;
}

static void test_corpus_malformed_set_311(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < COUNT(corpus); i++) {
        const corpus_file *f = &corpus[i];
        mqtt_packet pkt;
        mqtt_error err;
        mqtt_status st = decode_file(f, MQTT_V311, &pkt, &err);
        bool ok = f->code_311 == MQTT_E_OK
                      ? st == MQTT_COMPLETE
                      : st == MQTT_MALFORMED && err.code == f->code_311 && err.offset == f->offset &&
                            err.byte == f->byte;
        if (!ok) {
            print_error("malformed/%s.bin: status %d %s offset %u byte %u, expected %s offset %u byte %u\n", f->name,
                        (int)st, mqtt_err_name(err.code), (unsigned)err.offset, (unsigned)err.byte,
                        mqtt_err_name(f->code_311), (unsigned)f->offset, (unsigned)f->byte);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* As 5.0 only the framing-level and first-byte verdicts are meaningful (the bodies are 3.1.1 layouts). */
static void test_corpus_malformed_set_5_header_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < COUNT(corpus); i++) {
        const corpus_file *f = &corpus[i];
        if (f->code_5 == MQTT_E_OK)
            continue;
        mqtt_packet pkt;
        mqtt_error err;
        mqtt_status st = decode_file(f, MQTT_V5, &pkt, &err);
        if (st != MQTT_MALFORMED || err.code != f->code_5)
            fail_msg("malformed/%s.bin as 5.0: status %d %s, expected %s", f->name, (int)st, mqtt_err_name(err.code),
                     mqtt_err_name(f->code_5));
    }
}

static void test_corpus_ok_files_decode_fully(void **state)
{
    (void)state;
    mqtt_packet pkt;
    mqtt_error err;
    assert_int_equal(decode_file(&corpus[0], MQTT_V311, &pkt, &err), MQTT_COMPLETE);
    assert_true(bytes_are(pkt.u.publish.topic, "a/b", 3));
    assert_int_equal(pkt.u.publish.packet_id, 7);
    assert_true(bytes_are(pkt.u.publish.payload, "hello", 5));
    /* rl_nonminimal is the same PUBLISH with a 4-byte remaining length. */
    assert_int_equal(decode_file(&corpus[12], MQTT_V311, &pkt, &err), MQTT_COMPLETE);
    assert_int_equal(pkt.remaining_length, 12);
    assert_true(bytes_are(pkt.u.publish.payload, "hello", 5));
    assert_int_equal(decode_file(&corpus[9], MQTT_V311, &pkt, &err), MQTT_COMPLETE);
    assert_int_equal(pkt.u.subs.packet_id, 9);
    assert_int_equal(pkt.u.subs.list.count, 3);
}

/*
 * ---- where the codec differs from the specification ----
 * These expect the spec's answer and fail until the codec follows it.
 */

/*
 * 5.0 3.14.2.1: 0x04 "Disconnect with Will Message" is listed as sent by the
 * Client only, and MQTT-3.14.2-1 requires a defined code; the codec models
 * server-only DISCONNECT codes but not client-only ones, so a server's
 * DISCONNECT 0x04 passes.
 */
static void test_spec_disconnect_0x04_from_server(void **state)
{
    (void)state;
    const probe probes[] = {
        {"0x04 Disconnect with Will Message from the server", CLIENT_GETS(MQTT_V5), WIRE(0xE0, 0x01, 0x04), AT(2)},
    };
    REJECTS(probes, MQTT_E_DISCONNECT_REASON_CODE, NULL, "MQTT-3.14.2-1");
}

/*
 * 5.0 3.15.2.1: 0x19 "Re-authenticate" is listed as sent by the Client only
 * (MQTT-3.15.2-1); the codec accepts it from a server.
 */
static void test_spec_auth_0x19_from_server(void **state)
{
    (void)state;
    const probe probes[] = {
        {"0x19 Re-authenticate from the server", CLIENT_GETS(MQTT_V5), WIRE(0xF0, 0x02, 0x19, 0x00), AT(2)},
    };
    REJECTS(probes, MQTT_E_AUTH_REASON_CODE, NULL, "MQTT-3.15.2-1");
}

/*
 * The Will Topic is a Topic Name: 3.1.1 MQTT-4.7.1-1 / 5.0 MQTT-4.7.0-1
 * forbid wildcards in it and MQTT-4.7.3-1 forbids it empty.  The codec
 * checks the Will Topic as a plain UTF-8 string only.
 */
static void test_spec_will_topic_wildcard(void **state)
{
    (void)state;
    const probe probes[] = {
        {"Will Topic a/#", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x06), CLIENT_ID_C, 0, 3, 'a', '/', '#', 0, 0),
         AT_BYTE(15, 19)},
        {"Will Topic +", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x06), 0, CLIENT_ID_C, 0, 0, 1, '+', 0, 0),
         AT_BYTE(17, 19)},
    };
    REJECTS(probes, MQTT_E_WILL_TOPIC_WILDCARD, "MQTT-4.7.1-1", "MQTT-4.7.0-1");
}

static void test_err_auth_method_missing(void **state)
{
    (void)state;
    const probe probes[] = {
        {"AUTH with a Reason String only", SERVER_GETS(MQTT_V5), WIRE(0xF0, 0x05, 0x18, 3, 0x1F, 0, 0), AT(3)},
        {"AUTH from the server, empty properties", CLIENT_GETS(MQTT_V5), WIRE(0xF0, 0x02, 0x18, 0), AT(3)},
    };
    REJECTS(probes, MQTT_E_AUTH_METHOD_MISSING, NULL, "MQTT-4.13.1-1");
}

/* 3.15.2.1: only a Remaining Length of 0 omits the Property Length of an AUTH. */
static void test_spec_auth_reason_without_properties(void **state)
{
    (void)state;
    const probe probes[] = {
        {"AUTH 0x18 without Property Length", SERVER_GETS(MQTT_V5), WIRE(0xF0, 0x01, 0x18), AT(3)},
    };
    REJECTS(probes, MQTT_E_PROPERTY_LENGTH_MISSING, NULL, "MQTT-2.2.2-1");
}

/* 3.15.2.1: Success is the server's code; a client sends 0x18 or 0x19. */
static void test_spec_auth_success_from_client(void **state)
{
    (void)state;
    const probe probes[] = {
        {"AUTH 0x00 from a client", SERVER_GETS(MQTT_V5), WIRE(0xF0, 0x02, 0x00, 0), AT(2)},
    };
    REJECTS(probes, MQTT_E_AUTH_REASON_CODE, NULL, "MQTT-3.15.2-1");
}

static void test_spec_will_topic_empty(void **state)
{
    (void)state;
    const probe probes[] = {
        {"empty Will Topic", SERVER_GETS(MQTT_V311), BODY(0x10, CONNECT311(0x06), CLIENT_ID_C, 0, 0, 0, 0), AT(15)},
        {"empty Will Topic", SERVER_GETS(MQTT_V5), BODY(0x10, CONNECT5(0x06), 0, CLIENT_ID_C, 0, 0, 0, 0, 0), AT(17)},
    };
    REJECTS(probes, MQTT_E_TOPIC_NAME_EMPTY, "MQTT-4.7.3-1", "MQTT-4.7.3-1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_varint_too_long),
        cmocka_unit_test(test_err_varint_not_minimal),
        cmocka_unit_test(test_non_minimal_varint_accepted_before_5),
        cmocka_unit_test(test_err_packet_type_reserved),
        cmocka_unit_test(test_err_expected_connect),
        cmocka_unit_test(test_err_packet_direction),
        cmocka_unit_test(test_err_fixed_header_flags),
        cmocka_unit_test(test_err_pubrel_flags),
        cmocka_unit_test(test_err_subscribe_flags),
        cmocka_unit_test(test_err_unsubscribe_flags),
        cmocka_unit_test(test_err_disconnect_flags),
        cmocka_unit_test(test_err_auth_flags),
        cmocka_unit_test(test_v31_fixed_header_flags_are_lenient),
        cmocka_unit_test(test_err_remaining_length),
        cmocka_unit_test(test_err_truncated),
        cmocka_unit_test(test_err_too_large),
        cmocka_unit_test(test_max_packet_size_is_inclusive),
        cmocka_unit_test(test_too_large_multi_byte_header),
        cmocka_unit_test(test_err_utf8_invalid),
        cmocka_unit_test(test_err_utf8_nul),
        cmocka_unit_test(test_err_utf8_pair),
        cmocka_unit_test(test_bom_accepted_and_kept),
        cmocka_unit_test(test_well_formed_utf8_accepted),
        cmocka_unit_test(test_err_packet_id_zero),
        cmocka_unit_test(test_err_server_packet_id_zero),
        cmocka_unit_test(test_err_ack_packet_id_zero),
        cmocka_unit_test(test_err_pubcomp_packet_id_zero),
        cmocka_unit_test(test_err_suback_packet_id_zero),
        cmocka_unit_test(test_err_protocol_name),
        cmocka_unit_test(test_err_protocol_level),
        cmocka_unit_test(test_err_connect_reserved_flag),
        cmocka_unit_test(test_v31_connect_reserved_flag_ignored),
        cmocka_unit_test(test_err_will_qos_without_will),
        cmocka_unit_test(test_v31_will_qos_without_will_disregarded),
        cmocka_unit_test(test_err_will_retain_without_will),
        cmocka_unit_test(test_err_will_qos_3),
        cmocka_unit_test(test_err_will_fields_missing),
        cmocka_unit_test(test_err_username_missing),
        cmocka_unit_test(test_err_password_missing),
        cmocka_unit_test(test_err_password_without_username),
        cmocka_unit_test(test_password_without_username_accepted_in_5),
        cmocka_unit_test(test_err_username_unexpected),
        cmocka_unit_test(test_err_password_unexpected),
        cmocka_unit_test(test_err_connect_trailing_bytes),
        cmocka_unit_test(test_err_client_id_missing),
        cmocka_unit_test(test_v31_flagged_credentials_may_be_absent),
        cmocka_unit_test(test_connect_judged_by_its_own_level),
        cmocka_unit_test(test_err_client_id_empty_persistent),
        cmocka_unit_test(test_empty_client_id_accepted),
        cmocka_unit_test(test_connect_full_accepted),
        cmocka_unit_test(test_err_connack_reserved_flags),
        cmocka_unit_test(test_err_connack_return_code),
        cmocka_unit_test(test_err_connack_session_present),
        cmocka_unit_test(test_connack_accepted),
        cmocka_unit_test(test_err_qos_3),
        cmocka_unit_test(test_err_dup_on_qos0),
        cmocka_unit_test(test_err_topic_name_wildcard),
        cmocka_unit_test(test_err_topic_name_empty),
        cmocka_unit_test(test_empty_topic_with_alias_accepted_in_5),
        cmocka_unit_test(test_err_topic_alias_zero),
        cmocka_unit_test(test_err_subscription_id_from_client),
        cmocka_unit_test(test_err_response_topic_wildcard),
        cmocka_unit_test(test_publish_accepted),
        cmocka_unit_test(test_err_subscribe_empty),
        cmocka_unit_test(test_err_unsubscribe_empty),
        cmocka_unit_test(test_err_subscribe_options_reserved),
        cmocka_unit_test(test_err_subscribe_qos_3),
        cmocka_unit_test(test_err_retain_handling_3),
        cmocka_unit_test(test_err_no_local_shared),
        cmocka_unit_test(test_err_topic_filter_empty),
        cmocka_unit_test(test_err_topic_filter_hash),
        cmocka_unit_test(test_err_topic_filter_plus),
        cmocka_unit_test(test_err_share_name),
        cmocka_unit_test(test_subscribe_accepted),
        cmocka_unit_test(test_err_suback_empty),
        cmocka_unit_test(test_err_suback_return_code),
        cmocka_unit_test(test_err_unsuback_empty),
        cmocka_unit_test(test_err_unsuback_reason_code),
        cmocka_unit_test(test_acks_accepted),
        cmocka_unit_test(test_err_puback_reason_code),
        cmocka_unit_test(test_err_pubrec_reason_code),
        cmocka_unit_test(test_err_pubrel_reason_code),
        cmocka_unit_test(test_err_pubcomp_reason_code),
        cmocka_unit_test(test_err_disconnect_reason_code),
        cmocka_unit_test(test_disconnect_sender_specific_codes_accepted),
        cmocka_unit_test(test_err_auth_reason_code),
        cmocka_unit_test(test_err_property_length_missing),
        cmocka_unit_test(test_err_property_unknown),
        cmocka_unit_test(test_err_property_not_allowed),
        cmocka_unit_test(test_err_property_duplicate),
        cmocka_unit_test(test_repeatable_properties_accepted),
        cmocka_unit_test(test_err_property_value),
        cmocka_unit_test(test_err_auth_data_without_method),
        cmocka_unit_test(test_err_session_expiry_from_server),
        cmocka_unit_test(test_every_code_has_a_test_here),
        cmocka_unit_test(test_corpus_malformed_set_311),
        cmocka_unit_test(test_corpus_malformed_set_5_header_rules),
        cmocka_unit_test(test_corpus_ok_files_decode_fully),
        cmocka_unit_test(test_spec_disconnect_0x04_from_server),
        cmocka_unit_test(test_spec_auth_0x19_from_server),
        cmocka_unit_test(test_spec_will_topic_wildcard),
        cmocka_unit_test(test_spec_will_topic_empty),
        cmocka_unit_test(test_err_auth_method_missing),
        cmocka_unit_test(test_spec_auth_reason_without_properties),
        cmocka_unit_test(test_spec_auth_success_from_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
