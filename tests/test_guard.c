/*
 * No read past the end: every decode here runs on input copied so that it
 * ends exactly where a PROT_NONE page begins, so a single byte of overread
 * is a SIGSEGV, with or without sanitizers.  Valid and malformed packets of
 * both versions and roles; for each valid one also every truncated prefix,
 * every shorter remaining length (the packet ends inside a field) and a few
 * byte substitutions.  Whatever decodes is printed and its property blocks
 * and lists are walked, on the same guarded bytes.
 */
/* MAP_ANONYMOUS is outside the POSIX level the project builds with. */
#define _DEFAULT_SOURCE
#define _DARWIN_C_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mqttspec/codec.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum { GUARDED_DATA = 1 << 17, WIRE_CAP = 1 << 16, LINE_CAP = 4096 };

/* ---- the guard page ---- */

static uint8_t *mapping;
static size_t mapping_len;
static uint8_t *guard; /* first byte of the PROT_NONE page */

static int map_guard_page(void **state)
{
    (void)state;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data = (GUARDED_DATA + page - 1) / page * page;
    mapping_len = data + page;
    void *m = mmap(NULL, mapping_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    mapping = m;
    guard = mapping + data;
    return mprotect(guard, page, PROT_NONE) == 0 ? 0 : -1;
}

static int unmap_guard_page(void **state)
{
    (void)state;
    munmap(mapping, mapping_len);
    return 0;
}

/* Copy n bytes so that the last one sits right before the guard page. */
static const uint8_t *at_guard(const uint8_t *src, size_t n)
{
    assert_true(n <= GUARDED_DATA);
    uint8_t *dst = guard - n;
    if (n)
        memmove(dst, src, n);
    return dst;
}

/* ---- what the caller does with a decoded packet ---- */

/* Every byte a view points at is read into here, so no optimizer can skip the reads. */
static volatile size_t sink;

static void touch_view(mqtt_bytes b)
{
    for (uint32_t i = 0; i < b.len; i++)
        sink += b.ptr[i];
}

static void walk_props(mqtt_props props)
{
    mqtt_prop_iter it;
    mqtt_prop_iter_init(&it, props);
    mqtt_property pr;
    size_t n = 0, sum = 0;
    while (mqtt_prop_next(&it, &pr)) {
        for (uint32_t i = 0; i < pr.data.len; i++)
            sum += pr.data.ptr[i];
        for (uint32_t i = 0; i < pr.value2.len; i++)
            sum += pr.value2.ptr[i];
        n++;
    }
    if (mqtt_prop_find(props, MQTT_PROP_USER_PROPERTY, &pr))
        sum += pr.value2.len;
    sink += n + sum;
}

static void walk_list(const mqtt_packet *pkt)
{
    const mqtt_list *list = &pkt->u.subs.list;
    size_t n = 0;
    if (pkt->type == MQTT_SUBSCRIBE || pkt->type == MQTT_UNSUBSCRIBE) {
        mqtt_list_iter it;
        mqtt_list_iter_init(&it, *list, pkt->type == MQTT_SUBSCRIBE);
        mqtt_sub_entry e;
        while (mqtt_list_next(&it, &e)) {
            for (uint32_t i = 0; i < e.filter.len; i++)
                sink += e.filter.ptr[i];
            n++;
        }
        assert_int_equal(n, list->count);
    } else {
        for (uint32_t i = 0; i < list->len; i++)
            n += list->ptr[i];
    }
    sink += n;
}

static void use_decoded(const mqtt_packet *pkt, mqtt_version v)
{
    if (pkt->type == MQTT_CONNECT)
        v = (mqtt_version)pkt->u.connect.protocol_level;
    char line[LINE_CAP];
    size_t want = mqtt_print(pkt, v, line, sizeof line);
    assert_true(want > 0);
    char tiny[8];
    assert_int_equal(mqtt_print(pkt, v, tiny, sizeof tiny), want);
    assert_int_equal(mqtt_print(pkt, v, NULL, 0), want);
    switch (pkt->type) {
    case MQTT_CONNECT:
        walk_props(pkt->u.connect.props);
        walk_props(pkt->u.connect.will_props);
        touch_view(pkt->u.connect.protocol_name);
        touch_view(pkt->u.connect.client_id);
        touch_view(pkt->u.connect.will_topic);
        touch_view(pkt->u.connect.will_payload);
        touch_view(pkt->u.connect.username);
        touch_view(pkt->u.connect.password);
        break;
    case MQTT_CONNACK:
        walk_props(pkt->u.connack.props);
        break;
    case MQTT_PUBLISH:
        walk_props(pkt->u.publish.props);
        touch_view(pkt->u.publish.topic);
        touch_view(pkt->u.publish.payload);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        walk_props(pkt->u.ack.props);
        break;
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        walk_props(pkt->u.subs.props);
        walk_list(pkt);
        break;
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        walk_props(pkt->u.disconnect.props);
        break;
    default:
        break;
    }
}

typedef struct outcome {
    mqtt_status status;
    mqtt_error err;
    size_t used;
} outcome;

/* Decode n bytes placed against the guard page, and use whatever decodes. */
static outcome decode_guarded(const uint8_t *bytes, size_t n, mqtt_version v, mqtt_role role)
{
    const uint8_t *in = at_guard(bytes, n);
    mqtt_decode_opts opts = {.version = v, .role = role, .max_packet_size = 0};
    outcome o = {.status = MQTT_MALFORMED};
    mqtt_packet pkt;
    size_t frame_len = 0;
    mqtt_error frame_err;
    mqtt_status framed = mqtt_frame(in, n, 0, v, &frame_len, &frame_err);
    o.status = mqtt_decode(in, n, &opts, &pkt, &o.used, &o.err);
    if (o.status == MQTT_COMPLETE) {
        assert_int_equal(framed, MQTT_COMPLETE);
        assert_int_equal(frame_len, o.used);
        use_decoded(&pkt, v);
    } else if (o.status == MQTT_NEED_MORE) {
        assert_int_equal(framed, MQTT_NEED_MORE);
    } else {
        assert_true(o.err.code > MQTT_E_OK && o.err.code < MQTT_E_COUNT);
        assert_true(o.err.offset <= o.err.byte);
        assert_true(o.err.byte <= n);
    }
    return o;
}

/* ---- the packets ---- */

typedef struct sample {
    const char *what;
    mqtt_version version;
    mqtt_role role;
    bool valid;
    uint8_t first;
    const uint8_t *body;
    size_t len;
} sample;

#define BODY(first_byte, ...)                                                                                    \
    .first = (first_byte), .body = (const uint8_t[]){__VA_ARGS__}, .len = sizeof((const uint8_t[]){__VA_ARGS__})
#define EMPTY(first_byte) .first = (first_byte), .body = NULL, .len = 0
#define OK(v, role) (v), (role), true
#define BAD(v, role) (v), (role), false
#define SRV MQTT_ROLE_SERVER
#define CLI MQTT_ROLE_CLIENT
#define MQTT_NAME 0, 4, 'M', 'Q', 'T', 'T'

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

/* first byte + remaining length `rl` + the first rl bytes of body */
static size_t frame(uint8_t first, const uint8_t *body, size_t rl, uint8_t *out)
{
    out[0] = first;
    size_t header = 1 + put_varint(out + 1, (uint32_t)rl);
    if (rl)
        memcpy(out + header, body, rl);
    return header + rl;
}

static const sample samples[] = {
    /* 3.1.1, received by a server */
    {"CONNECT minimal", OK(MQTT_VERSION_UNKNOWN, SRV), BODY(0x10, MQTT_NAME, 4, 0x02, 0, 60, 0, 1, 'c')},
    {"CONNECT all fields", OK(MQTT_V311, SRV),
     BODY(0x10, MQTT_NAME, 4, 0xEE, 0, 60, 0, 2, 'c', 'd', 0, 3, 'w', '/', 't', 0, 2, 'm', 'm', 0, 1, 'u', 0, 3, 'p',
          'w', 'd')},
    {"CONNECT 3.1", OK(MQTT_VERSION_UNKNOWN, SRV),
     BODY(0x10, 0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 0xC2, 0, 10, 0, 1, 'c', 0, 1, 'u', 0, 0)},
    {"PUBLISH QoS 0", OK(MQTT_V311, SRV), BODY(0x30, 0, 3, 'a', '/', 'b', 'h', 'i')},
    {"PUBLISH QoS 1 empty payload", OK(MQTT_V311, SRV), BODY(0x32, 0, 3, 'a', '/', 'b', 0, 7)},
    {"PUBLISH QoS 2 DUP RETAIN", OK(MQTT_V311, SRV), BODY(0x3D, 0, 1, 't', 0, 9, 'x')},
    {"PUBACK", OK(MQTT_V311, SRV), BODY(0x40, 0, 1)},
    {"PUBREC", OK(MQTT_V311, CLI), BODY(0x50, 0, 2)},
    {"PUBREL", OK(MQTT_V311, SRV), BODY(0x62, 0, 3)},
    {"PUBCOMP", OK(MQTT_V311, CLI), BODY(0x70, 0, 4)},
    {"SUBSCRIBE", OK(MQTT_V311, SRV), BODY(0x82, 0, 1, 0, 3, 'a', '/', '+', 1, 0, 1, '#', 2)},
    {"UNSUBSCRIBE", OK(MQTT_V311, SRV), BODY(0xA2, 0, 1, 0, 3, 'a', '/', '+', 0, 1, '#')},
    {"PINGREQ", OK(MQTT_V311, SRV), EMPTY(0xC0)},
    {"DISCONNECT", OK(MQTT_V311, SRV), EMPTY(0xE0)},
    /* 3.1.1, received by a client */
    {"CONNACK", OK(MQTT_V311, CLI), BODY(0x20, 0x01, 0x00)},
    {"SUBACK", OK(MQTT_V311, CLI), BODY(0x90, 0, 1, 0, 1, 2, 0x80)},
    {"UNSUBACK", OK(MQTT_V311, CLI), BODY(0xB0, 0, 1)},
    {"PINGRESP", OK(MQTT_V311, CLI), EMPTY(0xD0)},
    {"PUBLISH from the server", OK(MQTT_V311, CLI), BODY(0x32, 0, 1, 't', 0, 1)},
    /* 5.0, received by a server */
    {"CONNECT with properties and will", OK(MQTT_VERSION_UNKNOWN, SRV),
     BODY(0x10, MQTT_NAME, 5, 0xCE, 0, 60, 8, 0x11, 0, 0, 0, 10, 0x21, 0, 5, 0, 1, 'c', 7, 0x18, 0, 0, 0, 5, 0x01,
          1, 0, 1, 'w', 0, 1, 'm', 0, 1, 'u', 0, 2, 'p', 'w')},
    {"CONNECT with auth", OK(MQTT_V5, SRV),
     BODY(0x10, MQTT_NAME, 5, 0x02, 0, 0, 11, 0x15, 0, 1, 'm', 0x16, 0, 2, 1, 2, 0x17, 1, 0, 0)},
    {"PUBLISH with properties", OK(MQTT_V5, SRV),
     BODY(0x32, 0, 1, 't', 0, 5, 17, 0x01, 1, 0x02, 0, 0, 0, 9, 0x23, 0, 2, 0x26, 0, 1, 'k', 0, 1, 'v', 'p')},
    {"PUBLISH alias only, user property last", OK(MQTT_V5, SRV),
     BODY(0x30, 0, 0, 10, 0x23, 0, 1, 0x26, 0, 1, 'k', 0, 1, 'v')},
    {"PUBLISH response topic last", OK(MQTT_V5, SRV), BODY(0x30, 0, 1, 't', 6, 0x08, 0, 3, 'r', '/', 's')},
    {"PUBACK rl 2", OK(MQTT_V5, SRV), BODY(0x40, 0, 1)},
    {"PUBACK rl 3", OK(MQTT_V5, SRV), BODY(0x40, 0, 1, 0x10)},
    {"PUBREL with reason string", OK(MQTT_V5, SRV), BODY(0x62, 0, 1, 0x92, 4, 0x1F, 0, 1, 'r')},
    {"SUBSCRIBE with properties", OK(MQTT_V5, SRV),
     BODY(0x82, 0, 1, 2, 0x0B, 7, 0, 10, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'a', 0x29)},
    {"UNSUBSCRIBE", OK(MQTT_V5, SRV), BODY(0xA2, 0, 1, 0, 0, 1, 'a')},
    {"DISCONNECT rl 0", OK(MQTT_V5, SRV), EMPTY(0xE0)},
    {"DISCONNECT with session expiry", OK(MQTT_V5, SRV), BODY(0xE0, 0x04, 5, 0x11, 0, 0, 0, 0)},
    {"AUTH", OK(MQTT_V5, SRV), BODY(0xF0, 0x19, 7, 0x15, 0, 1, 'm', 0x16, 0, 0)},
    /* 5.0, received by a client */
    {"CONNACK with properties", OK(MQTT_V5, CLI),
     BODY(0x20, 0x00, 0x00, 17, 0x24, 1, 0x12, 0, 2, 'i', 'd', 0x27, 0, 0, 1, 0, 0x26, 0, 0, 0, 0)},
    {"PUBLISH with subscription ids", OK(MQTT_V5, CLI), BODY(0x30, 0, 1, 't', 5, 0x0B, 1, 0x0B, 0x80, 0x01)},
    {"SUBACK", OK(MQTT_V5, CLI), BODY(0x90, 0, 1, 0, 0x00, 0x01, 0x97)},
    {"SUBACK with reason string", OK(MQTT_V5, CLI), BODY(0x90, 0, 1, 4, 0x1F, 0, 1, 'r', 0x00)},
    {"UNSUBACK", OK(MQTT_V5, CLI), BODY(0xB0, 0, 1, 0, 0x11)},
    {"DISCONNECT with server reference", OK(MQTT_V5, CLI), BODY(0xE0, 0x9C, 4, 0x1C, 0, 1, 's')},
    {"AUTH rl 0", OK(MQTT_V5, CLI), EMPTY(0xF0)},
    /* malformed */
    {"topic with '#'", BAD(MQTT_V311, SRV), BODY(0x30, 0, 3, 'a', '/', '#')},
    {"topic cut", BAD(MQTT_V311, SRV), BODY(0x30, 0, 9, 'a')},
    {"topic FF", BAD(MQTT_V5, SRV), BODY(0x30, 0, 2, 'a', 0xFF, 0)},
    {"topic ends inside a 4-byte character", BAD(MQTT_V311, SRV), BODY(0x30, 0, 3, 'a', 0xF0, 0x9F)},
    {"QoS 3", BAD(MQTT_V311, SRV), BODY(0x36, 0, 1, 't', 0, 1)},
    {"property length past the end", BAD(MQTT_V5, SRV), BODY(0x30, 0, 1, 't', 9, 0x01)},
    {"property varint runs off the end", BAD(MQTT_V5, CLI), BODY(0x30, 0, 1, 't', 2, 0x0B, 0x80)},
    {"property length varint runs off the end", BAD(MQTT_V5, SRV), BODY(0x30, 0, 1, 't', 0x80)},
    {"user property value cut", BAD(MQTT_V5, SRV), BODY(0x30, 0, 1, 't', 6, 0x26, 0, 1, 'k', 0, 5)},
    {"unknown property", BAD(MQTT_V5, SRV), BODY(0x30, 0, 1, 't', 1, 0x7F)},
    {"CONNECT name cut", BAD(MQTT_VERSION_UNKNOWN, SRV), BODY(0x10, 0, 4, 'M', 'Q')},
    {"CONNECT password cut", BAD(MQTT_V311, SRV), BODY(0x10, MQTT_NAME, 4, 0xC2, 0, 0, 0, 1, 'c', 0, 1, 'u', 0)},
    {"CONNECT will props cut", BAD(MQTT_V5, SRV), BODY(0x10, MQTT_NAME, 5, 0x06, 0, 0, 0, 0, 1, 'c', 5, 0x18)},
    {"SUBSCRIBE options missing", BAD(MQTT_V311, SRV), BODY(0x82, 0, 1, 0, 1, 'a')},
    {"SUBSCRIBE shared name bad", BAD(MQTT_V5, SRV),
     BODY(0x82, 0, 1, 0, 0, 8, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', 0)},
    {"SUBACK code bad", BAD(MQTT_V311, CLI), BODY(0x90, 0, 1, 3)},
    {"CONNACK cut", BAD(MQTT_V5, CLI), BODY(0x20, 0)},
    {"DISCONNECT props cut", BAD(MQTT_V5, CLI), BODY(0xE0, 0x00, 3, 0x1F, 0)},
    {"reserved type", BAD(MQTT_V5, SRV), EMPTY(0x00)},
    {"AUTH in 3.1.1", BAD(MQTT_V311, CLI), EMPTY(0xF0)},
};

/* ---- tests ---- */

static void test_samples_whole(void **state)
{
    (void)state;
    uint8_t wire[WIRE_CAP];
    for (size_t i = 0; i < COUNT(samples); i++) {
        const sample *s = &samples[i];
        size_t n = frame(s->first, s->body, s->len, wire);
        outcome o = decode_guarded(wire, n, s->version, s->role);
        if (s->valid ? (o.status != MQTT_COMPLETE || o.used != n) : o.status != MQTT_MALFORMED)
            fail_msg("%s: status %d (%s at %u)", s->what, (int)o.status, mqtt_err_name(o.err.code),
                     (unsigned)o.err.offset);
    }
}

static void test_valid_samples_every_prefix(void **state)
{
    (void)state;
    uint8_t wire[WIRE_CAP];
    for (size_t i = 0; i < COUNT(samples); i++) {
        const sample *s = &samples[i];
        if (!s->valid)
            continue;
        size_t n = frame(s->first, s->body, s->len, wire);
        for (size_t cut = 0; cut < n; cut++) {
            outcome o = decode_guarded(wire, cut, s->version, s->role);
            if (o.status == MQTT_COMPLETE)
                fail_msg("%s: a %zu-byte prefix of %zu decoded", s->what, cut, n);
        }
    }
}

/* The packet ends inside each field in turn: the remaining length says so. */
static void test_valid_samples_every_shorter_remaining_length(void **state)
{
    (void)state;
    uint8_t wire[WIRE_CAP];
    for (size_t i = 0; i < COUNT(samples); i++) {
        const sample *s = &samples[i];
        if (!s->valid)
            continue;
        for (size_t rl = 0; rl < s->len; rl++) {
            size_t n = frame(s->first, s->body, rl, wire);
            outcome o = decode_guarded(wire, n, s->version, s->role);
            assert_int_not_equal(o.status, MQTT_NEED_MORE);
        }
    }
}

static void test_valid_samples_byte_substitutions(void **state)
{
    (void)state;
    static const uint8_t replacements[] = {0x00, 0x01, 0x7F, 0x80, 0xFF};
    uint8_t wire[WIRE_CAP];
    uint8_t mutated[WIRE_CAP];
    for (size_t i = 0; i < COUNT(samples); i++) {
        const sample *s = &samples[i];
        if (!s->valid)
            continue;
        size_t n = frame(s->first, s->body, s->len, wire);
        for (size_t at = 0; at < n; at++) {
            for (size_t r = 0; r < COUNT(replacements); r++) {
                memcpy(mutated, wire, n);
                mutated[at] = replacements[r];
                decode_guarded(mutated, n, s->version, s->role);
                decode_guarded(mutated, n, MQTT_V5, (mqtt_role)!s->role);
                decode_guarded(mutated, n, MQTT_V311, s->role);
            }
        }
    }
}

/* Strings of every length around the 8- and 16-byte scan widths, ending at the guard. */
static void test_strings_ending_at_the_guard(void **state)
{
    (void)state;
    uint8_t wire[WIRE_CAP];
    uint8_t body[256];
    for (size_t len = 1; len <= 40; len++) {
        for (int variant = 0; variant < 4; variant++) {
            /* QoS 0 3.1.1 PUBLISH with an empty payload: the topic is the last field. */
            body[0] = 0;
            body[1] = (uint8_t)len;
            memset(body + 2, 'a', len);
            if (variant == 1)
                body[2 + len - 1] = 0xC3; /* a character cut by the end */
            if (variant == 2)
                body[2 + len - 1] = '#';
            if (variant == 3 && len >= 3)
                memcpy(body + 2 + len - 3, "\xE2\x82\xAC", 3); /* a whole 3-byte character last */
            size_t n = frame(0x30, body, 2 + len, wire);
            outcome o = decode_guarded(wire, n, MQTT_V311, MQTT_ROLE_SERVER);
            bool expect_ok = variant == 0 || variant == 3;
            assert_int_equal(o.status, expect_ok ? MQTT_COMPLETE : MQTT_MALFORMED);

            /* UNSUBSCRIBE: the filter is the last field (a trailing '#' is valid only after '/'). */
            uint8_t unsub[256] = {0, 1};
            memcpy(unsub + 2, body, 2 + len);
            n = frame(0xA2, unsub, 4 + len, wire);
            decode_guarded(wire, n, MQTT_V311, MQTT_ROLE_SERVER);

            /* 5.0 user property value last. */
            uint8_t props[256] = {0, 1, 't', (uint8_t)(1 + 2 + 1 + 2 + len), 0x26, 0, 1, 'k'};
            memcpy(props + 8, body, 2 + len);
            n = frame(0x30, props, 8 + 2 + len, wire);
            decode_guarded(wire, n, MQTT_V5, MQTT_ROLE_SERVER);
        }
    }
}

static void test_large_packet_at_the_guard(void **state)
{
    (void)state;
    /* A 60 KB PUBLISH with a 3-byte remaining length, and all its prefixes' framing. */
    size_t payload = 60000;
    uint8_t *body = malloc(5 + payload);
    uint8_t *wire = malloc(10 + payload);
    assert_non_null(body);
    assert_non_null(wire);
    memcpy(body, "\x00\x03" "a/b", 5);
    memset(body + 5, 'z', payload);
    size_t n = frame(0x30, body, 5 + payload, wire);
    outcome o = decode_guarded(wire, n, MQTT_V311, MQTT_ROLE_SERVER);
    assert_int_equal(o.status, MQTT_COMPLETE);
    for (size_t cut = 0; cut < 8; cut++)
        assert_int_equal(decode_guarded(wire, cut, MQTT_V311, MQTT_ROLE_SERVER).status, MQTT_NEED_MORE);
    assert_int_equal(decode_guarded(wire, n - 1, MQTT_V311, MQTT_ROLE_SERVER).status, MQTT_NEED_MORE);
    free(wire);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_whole),
        cmocka_unit_test(test_valid_samples_every_prefix),
        cmocka_unit_test(test_valid_samples_every_shorter_remaining_length),
        cmocka_unit_test(test_valid_samples_byte_substitutions),
        cmocka_unit_test(test_strings_ending_at_the_guard),
        cmocka_unit_test(test_large_packet_at_the_guard),
    };
    return cmocka_run_group_tests(tests, map_guard_page, unmap_guard_page);
}
