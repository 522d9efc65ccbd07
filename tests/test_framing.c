/*
 * mqtt_frame and mqtt_stream: a stream of ~20 varied packets (3.1.1 and 5.0,
 * both directions, 1- to 3-byte remaining lengths) split in two at every
 * byte position, fed byte by byte, through small storage and through
 * mqtt_stream_space/commit must yield exactly the packets one-shot decoding
 * finds.  Plus NEED_MORE reports, limits, and malformed input in a stream.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mqttspec/codec.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define STR(s) ((mqtt_bytes){(const uint8_t *)(s), (uint32_t)(sizeof(s) - 1)})

enum { MAX_PACKETS = 32, STREAM_CAP = 32768, BLOCK_CAP = 256 };

/* How the receiver decodes one packet of the sequence. */
typedef struct expected_packet {
    size_t offset; /* in the concatenated stream */
    size_t len;
    uint8_t type;
    mqtt_decode_opts opts;
} expected_packet;

typedef struct sequence {
    uint8_t bytes[STREAM_CAP];
    size_t len;
    expected_packet packets[MAX_PACKETS];
    size_t count;
    uint8_t payload[20000];
    uint8_t props[4][BLOCK_CAP];
    uint8_t list[2][BLOCK_CAP];
} sequence;

static sequence *seq; /* built once by the group setup */

/* ---- building the sequence ---- */

static void add_expected(sequence *s, size_t len, mqtt_version v, mqtt_role role)
{
    assert_true(s->count < MAX_PACKETS);
    expected_packet *e = &s->packets[s->count++];
    e->offset = s->len;
    e->len = len;
    e->type = s->bytes[s->len] >> 4;
    e->opts = (mqtt_decode_opts){.version = v, .role = role, .max_packet_size = 0};
    s->len += len;
}

static void add_encoded(sequence *s, const mqtt_packet *p, mqtt_version v, mqtt_role role)
{
    size_t n = mqtt_encode(p, v, s->bytes + s->len, sizeof s->bytes - s->len);
    assert_true(n > 0);
    add_expected(s, n, v, role);
}

static void add_raw(sequence *s, const uint8_t *bytes, size_t n, mqtt_version v, mqtt_role role)
{
    assert_true(s->len + n <= sizeof s->bytes);
    memcpy(s->bytes + s->len, bytes, n);
    add_expected(s, n, v, role);
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

static mqtt_list build_entries(uint8_t *buf, const char *const *filters, const int *options, size_t n)
{
    mqtt_writer w;
    mqtt_writer_init(&w, buf, BLOCK_CAP);
    for (size_t i = 0; i < n; i++)
        mqtt_write_sub_entry(&w, (mqtt_bytes){(const uint8_t *)filters[i], (uint32_t)strlen(filters[i])},
                             options ? options[i] : -1);
    assert_false(w.overflow);
    return (mqtt_list){buf, (uint32_t)w.len, (uint32_t)n};
}

static void add_v311_packets(sequence *s)
{
    const mqtt_version v = MQTT_V311;
    mqtt_packet p = {.type = MQTT_CONNECT};
    p.u.connect = (mqtt_connect){.clean_start = true, .has_username = true, .keep_alive = 30,
                                 .client_id = STR("framing"), .username = STR("u")};
    add_encoded(s, &p, v, MQTT_ROLE_SERVER);
    s->packets[s->count - 1].opts.version = MQTT_VERSION_UNKNOWN; /* the first packet names its level */

    p = (mqtt_packet){.type = MQTT_PUBLISH};
    p.u.publish = (mqtt_publish){.topic = STR("a/b"), .payload = STR("hello")};
    add_encoded(s, &p, v, MQTT_ROLE_SERVER);

    p.u.publish = (mqtt_publish){.qos = 1, .packet_id = 1, .topic = STR("big/one"), .payload = {s->payload, 300}};
    add_encoded(s, &p, v, MQTT_ROLE_SERVER); /* 2-byte remaining length */

    static const char *const filters[] = {"a/+", "b/#"};
    static const int options[] = {1, 2};
    p = (mqtt_packet){.type = MQTT_SUBSCRIBE};
    p.u.subs = (mqtt_subs){.packet_id = 2, .list = build_entries(s->list[0], filters, options, 2)};
    add_encoded(s, &p, v, MQTT_ROLE_SERVER);

    p = (mqtt_packet){.type = MQTT_PINGREQ};
    add_encoded(s, &p, v, MQTT_ROLE_SERVER);

    p = (mqtt_packet){.type = MQTT_PUBACK};
    p.u.ack.packet_id = 1;
    add_encoded(s, &p, v, MQTT_ROLE_CLIENT);

    static const uint8_t granted[] = {1, 0x80};
    p = (mqtt_packet){.type = MQTT_SUBACK};
    p.u.subs = (mqtt_subs){.packet_id = 2, .list = {granted, 2, 2}};
    add_encoded(s, &p, v, MQTT_ROLE_CLIENT);

    p = (mqtt_packet){.type = MQTT_PUBLISH};
    p.u.publish = (mqtt_publish){.qos = 2, .retain = true, .packet_id = 3, .topic = STR("big/two"),
                                 .payload = {s->payload, sizeof s->payload}};
    add_encoded(s, &p, v, MQTT_ROLE_CLIENT); /* 3-byte remaining length */

    p = (mqtt_packet){.type = MQTT_PUBREL};
    p.u.ack.packet_id = 3;
    add_encoded(s, &p, v, MQTT_ROLE_SERVER);

    static const uint8_t puback_non_minimal[] = {0x40, 0x82, 0x80, 0x00, 0x00, 0x09}; /* 3.1.1 allows it */
    add_raw(s, puback_non_minimal, sizeof puback_non_minimal, v, MQTT_ROLE_CLIENT);

    p = (mqtt_packet){.type = MQTT_PINGRESP};
    add_encoded(s, &p, v, MQTT_ROLE_CLIENT);
}

static void add_v5_packets(sequence *s)
{
    const mqtt_version v = MQTT_V5;
    static const mqtt_property connect_props[] = {{.id = MQTT_PROP_SESSION_EXPIRY_INTERVAL, .value = 60},
                                                  {.id = MQTT_PROP_RECEIVE_MAXIMUM, .value = 10}};
    mqtt_packet p = {.type = MQTT_CONNECT};
    p.u.connect = (mqtt_connect){.protocol_level = MQTT_V5, .clean_start = true, .will = true, .will_qos = 1,
                                 .client_id = STR("framing-5"), .will_topic = STR("w"), .will_payload = STR("gone"),
                                 .props = build_props(s->props[0], connect_props, COUNT(connect_props))};
    add_encoded(s, &p, v, MQTT_ROLE_SERVER);
    s->packets[s->count - 1].opts.version = MQTT_VERSION_UNKNOWN;

    static const mqtt_property connack_props[] = {{.id = MQTT_PROP_TOPIC_ALIAS_MAXIMUM, .value = 5},
                                                  {.id = MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, .data = STR("x")}};
    p = (mqtt_packet){.type = MQTT_CONNACK};
    p.u.connack.props = build_props(s->props[1], connack_props, COUNT(connack_props));
    add_encoded(s, &p, v, MQTT_ROLE_CLIENT);

    static const mqtt_property publish_props[] = {
        {.id = MQTT_PROP_SUBSCRIPTION_IDENTIFIER, .value = 1},
        {.id = MQTT_PROP_SUBSCRIPTION_IDENTIFIER, .value = 300},
        {.id = MQTT_PROP_USER_PROPERTY, .data = STR("k"), .value2 = STR("v")},
    };
    p = (mqtt_packet){.type = MQTT_PUBLISH};
    p.u.publish = (mqtt_publish){.qos = 1, .packet_id = 10, .topic = STR("five/x"), .payload = {s->payload, 130},
                                 .props = build_props(s->props[2], publish_props, COUNT(publish_props))};
    add_encoded(s, &p, v, MQTT_ROLE_CLIENT);

    p = (mqtt_packet){.type = MQTT_PUBACK};
    p.u.ack.packet_id = 10;
    add_encoded(s, &p, v, MQTT_ROLE_SERVER);

    p = (mqtt_packet){.type = MQTT_PUBREC};
    p.u.ack = (mqtt_ack){.packet_id = 11, .code = 0x10};
    add_encoded(s, &p, v, MQTT_ROLE_CLIENT);

    static const char *const filters[] = {"$share/g/a/#", "b"};
    static const int options[] = {0x02, 0x2D};
    p = (mqtt_packet){.type = MQTT_SUBSCRIBE};
    p.u.subs = (mqtt_subs){.packet_id = 12, .list = build_entries(s->list[1], filters, options, 2)};
    add_encoded(s, &p, v, MQTT_ROLE_SERVER);

    static const uint8_t unsuback_codes[] = {0x00, 0x11};
    p = (mqtt_packet){.type = MQTT_UNSUBACK};
    p.u.subs = (mqtt_subs){.packet_id = 13, .list = {unsuback_codes, 2, 2}};
    add_encoded(s, &p, v, MQTT_ROLE_CLIENT);

    static const mqtt_property auth_props[] = {{.id = MQTT_PROP_AUTHENTICATION_METHOD, .data = STR("m")}};
    p = (mqtt_packet){.type = MQTT_AUTH};
    p.u.disconnect = (mqtt_disconnect){.code = 0x18,
                                       .props = build_props(s->props[3], auth_props, COUNT(auth_props))};
    add_encoded(s, &p, v, MQTT_ROLE_SERVER);

    p = (mqtt_packet){.type = MQTT_DISCONNECT};
    add_encoded(s, &p, v, MQTT_ROLE_SERVER);

    p.u.disconnect = (mqtt_disconnect){.code = 0x8B, .has_props = true};
    add_encoded(s, &p, v, MQTT_ROLE_CLIENT);
}

static int build_sequence(void **state)
{
    (void)state;
    seq = calloc(1, sizeof *seq);
    if (!seq)
        return -1;
    for (size_t i = 0; i < sizeof seq->payload; i++)
        seq->payload[i] = (uint8_t)(i * 13 + 1);
    add_v311_packets(seq);
    add_v5_packets(seq);
    static const uint8_t bye[] = {0xE0, 0x00};
    add_raw(seq, bye, sizeof bye, MQTT_V311, MQTT_ROLE_SERVER);
    return 0;
}

static int free_sequence(void **state)
{
    (void)state;
    free(seq);
    seq = NULL;
    return 0;
}

/* ---- checking what a stream yields ---- */

typedef struct yield_log {
    size_t next; /* index of the next expected packet */
} yield_log;

static void check_yielded(yield_log *log, const mqtt_packet *pkt, mqtt_bytes raw)
{
    assert_true(log->next < seq->count);
    const expected_packet *e = &seq->packets[log->next];
    if (raw.len != e->len || pkt->type != e->type || memcmp(raw.ptr, seq->bytes + e->offset, e->len) != 0)
        fail_msg("packet %zu: got type %d, %u bytes; expected %s, %zu bytes", log->next, pkt->type,
                 (unsigned)raw.len, mqtt_packet_type_name(e->type), e->len);
    log->next++;
}

/* Take every complete packet; the stream must then report NEED_MORE, never MALFORMED. */
static void drain(mqtt_stream *s, yield_log *log)
{
    for (;;) {
        const mqtt_decode_opts *opts =
            log->next < seq->count ? &seq->packets[log->next].opts : &seq->packets[seq->count - 1].opts;
        mqtt_packet pkt;
        mqtt_bytes raw = {NULL, 0};
        mqtt_error err = {.code = MQTT_E_OK};
        mqtt_status st = mqtt_stream_next(s, opts, &pkt, &raw, &err);
        if (st == MQTT_NEED_MORE)
            return;
        if (st != MQTT_COMPLETE)
            fail_msg("packet %zu: MALFORMED %s at offset %u", log->next, mqtt_err_name(err.code),
                     (unsigned)err.offset);
        assert_true(raw.ptr >= s->buf && raw.ptr + raw.len <= s->buf + s->cap); /* a view into storage */
        check_yielded(log, &pkt, raw);
    }
}

/* Append all of data, draining whenever the storage is full. */
static void feed(mqtt_stream *s, const uint8_t *data, size_t len, yield_log *log)
{
    while (len) {
        size_t taken = mqtt_stream_append(s, data, len);
        data += taken;
        len -= taken;
        drain(s, log);
        if (!taken) /* the storage is full and nothing could be drained */
            fail_msg("stream stuck with %zu bytes left to feed", len);
    }
}

static void test_one_shot_decode_finds_the_sequence(void **state)
{
    (void)state;
    assert_true(seq->count >= 20);
    size_t at = 0;
    for (size_t i = 0; i < seq->count; i++) {
        const expected_packet *e = &seq->packets[i];
        size_t frame_len = 0, used = 0;
        mqtt_error err;
        assert_int_equal(mqtt_frame(seq->bytes + at, seq->len - at, 0, e->opts.version, &frame_len, &err),
                         MQTT_COMPLETE);
        assert_int_equal(frame_len, e->len);
        mqtt_packet pkt;
        mqtt_status st = mqtt_decode(seq->bytes + at, seq->len - at, &e->opts, &pkt, &used, &err);
        if (st != MQTT_COMPLETE)
            fail_msg("packet %zu (%s): %s at %u", i, mqtt_packet_type_name(e->type), mqtt_err_name(err.code),
                     (unsigned)err.offset);
        assert_int_equal(at, e->offset);
        assert_int_equal(used, e->len);
        assert_int_equal(pkt.type, e->type);
        at += used;
    }
    assert_int_equal(at, seq->len);
    /* The sequence has 1-, 2- and 3-byte remaining lengths. */
    bool seen[4] = {false, false, false, false};
    for (size_t i = 0; i < seq->count; i++) {
        size_t header = 1;
        while (seq->bytes[seq->packets[i].offset + header] & 0x80)
            header++;
        seen[header] = true;
    }
    assert_true(seen[1] && seen[2] && seen[3]);
}

static void test_split_at_every_byte(void **state)
{
    (void)state;
    uint8_t *storage = malloc(seq->len);
    assert_non_null(storage);
    for (size_t cut = 0; cut <= seq->len; cut++) {
        mqtt_stream s;
        mqtt_stream_init(&s, storage, seq->len);
        yield_log log = {0};
        feed(&s, seq->bytes, cut, &log);
        feed(&s, seq->bytes + cut, seq->len - cut, &log);
        if (log.next != seq->count)
            fail_msg("cut at %zu: %zu of %zu packets", cut, log.next, seq->count);
        assert_int_equal(s.start, s.end);
    }
    free(storage);
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    uint8_t *storage = malloc(seq->len);
    assert_non_null(storage);
    mqtt_stream s;
    mqtt_stream_init(&s, storage, seq->len);
    yield_log log = {0};
    for (size_t i = 0; i < seq->len; i++) {
        size_t before = log.next;
        feed(&s, seq->bytes + i, 1, &log);
        /* A packet comes out exactly when its last byte arrives. */
        bool last_byte_of_packet = before < seq->count &&
                                   i + 1 == seq->packets[before].offset + seq->packets[before].len;
        assert_int_equal(log.next, before + (last_byte_of_packet ? 1 : 0));
    }
    assert_int_equal(log.next, seq->count);
    free(storage);
}

static size_t largest_packet(void)
{
    size_t largest = 0;
    for (size_t i = 0; i < seq->count; i++)
        if (seq->packets[i].len > largest)
            largest = seq->packets[i].len;
    return largest;
}

static void test_small_storage_compacts(void **state)
{
    (void)state;
    /* Storage just big enough for the largest packet, fed in uneven chunks. */
    size_t cap = largest_packet();
    uint8_t *storage = malloc(cap);
    assert_non_null(storage);
    static const size_t chunks[] = {1, 7, 2, 64, 3, 1000, 5, 129};
    mqtt_stream s;
    mqtt_stream_init(&s, storage, cap);
    yield_log log = {0};
    size_t at = 0;
    for (size_t i = 0; at < seq->len; i++) {
        size_t n = chunks[i % COUNT(chunks)];
        if (n > seq->len - at)
            n = seq->len - at;
        feed(&s, seq->bytes + at, n, &log);
        at += n;
    }
    assert_int_equal(log.next, seq->count);
    free(storage);
}

static void test_space_and_commit(void **state)
{
    (void)state;
    /* The read(2) path: ask for space, copy at most what is offered, commit. */
    size_t cap = largest_packet() + 10;
    uint8_t *storage = malloc(cap);
    assert_non_null(storage);
    mqtt_stream s;
    mqtt_stream_init(&s, storage, cap);
    yield_log log = {0};
    size_t at = 0, round = 0;
    while (at < seq->len) {
        size_t avail = 0;
        uint8_t *dst = mqtt_stream_space(&s, &avail);
        assert_ptr_equal(dst, storage + s.end);
        assert_int_equal(avail, cap - s.end);
        assert_int_equal(s.start, 0); /* space() compacts first */
        size_t want = (round++ % 5) * 997 + 1;
        size_t n = want < avail ? want : avail;
        if (n > seq->len - at)
            n = seq->len - at;
        memcpy(dst, seq->bytes + at, n);
        mqtt_stream_commit(&s, n);
        at += n;
        drain(&s, &log);
    }
    assert_int_equal(log.next, seq->count);

    /* Committing more than the space offered stops at the end of the storage. */
    size_t avail = 0;
    mqtt_stream_space(&s, &avail);
    mqtt_stream_commit(&s, avail + 100);
    assert_int_equal(s.end, cap);
    free(storage);
}

/* ---- mqtt_frame ---- */

static void test_frame_need_more_reports(void **state)
{
    (void)state;
    static const uint8_t publish_200[] = {0x30, 0xC8, 0x01, 0x00}; /* remaining length 200, 4 of 203 bytes */
    size_t len = 99;
    mqtt_error err;
    assert_int_equal(mqtt_frame(publish_200, 0, 0, MQTT_V311, &len, &err), MQTT_NEED_MORE);
    assert_int_equal(len, 0);
    assert_int_equal(mqtt_frame(publish_200, 1, 0, MQTT_V311, &len, &err), MQTT_NEED_MORE);
    assert_int_equal(len, 0);
    len = 99;
    assert_int_equal(mqtt_frame(publish_200, 2, 0, MQTT_V311, &len, &err), MQTT_NEED_MORE);
    assert_int_equal(len, 0); /* header still incomplete */
    assert_int_equal(mqtt_frame(publish_200, 3, 0, MQTT_V311, &len, &err), MQTT_NEED_MORE);
    assert_int_equal(len, 203); /* header complete: total known */
    assert_int_equal(mqtt_frame(publish_200, 4, 0, MQTT_V5, &len, &err), MQTT_NEED_MORE);
    assert_int_equal(len, 203);

    static const uint8_t two_pings[] = {0xC0, 0x00, 0xC0, 0x00};
    assert_int_equal(mqtt_frame(two_pings, sizeof two_pings, 0, MQTT_V311, &len, &err), MQTT_COMPLETE);
    assert_int_equal(len, 2);

    /* mqtt_decode agrees on every prefix of a complete packet. */
    for (size_t n = 0; n < seq->packets[2].len; n++) {
        mqtt_packet pkt;
        size_t used = 0;
        assert_int_equal(mqtt_decode(seq->bytes + seq->packets[2].offset, n, &seq->packets[2].opts, &pkt, &used, &err),
                         MQTT_NEED_MORE);
    }
}

static void test_frame_errors(void **state)
{
    (void)state;
    size_t len = 0;
    mqtt_error err;
    static const uint8_t five_byte_length[] = {0x30, 0x80, 0x80, 0x80, 0x80, 0x01};
    assert_int_equal(mqtt_frame(five_byte_length, 4, 0, MQTT_V311, &len, &err), MQTT_NEED_MORE);
    assert_int_equal(mqtt_frame(five_byte_length, 5, 0, MQTT_V311, &len, &err), MQTT_MALFORMED);
    assert_int_equal(err.code, MQTT_E_VARINT_TOO_LONG);
    assert_int_equal(err.offset, 1);

    static const uint8_t non_minimal[] = {0xC0, 0x80, 0x00};
    assert_int_equal(mqtt_frame(non_minimal, 3, 0, MQTT_V311, &len, &err), MQTT_COMPLETE);
    assert_int_equal(len, 3);
    assert_int_equal(mqtt_frame(non_minimal, 3, 0, MQTT_V5, &len, &err), MQTT_MALFORMED);
    assert_int_equal(err.code, MQTT_E_VARINT_NOT_MINIMAL);
    assert_int_equal(err.offset, 1);

    static const uint8_t announces_1000[] = {0x30, 0xE8, 0x07};
    assert_int_equal(mqtt_frame(announces_1000, 3, 1003, MQTT_V311, &len, &err), MQTT_NEED_MORE);
    assert_int_equal(len, 1003);
    assert_int_equal(mqtt_frame(announces_1000, 3, 1002, MQTT_V311, &len, &err), MQTT_MALFORMED);
    assert_int_equal(err.code, MQTT_E_TOO_LARGE);
    assert_int_equal(err.offset, 0);

    static const uint8_t largest[] = {0x30, 0xFF, 0xFF, 0xFF, 0x7F};
    assert_int_equal(mqtt_frame(largest, 5, 0, MQTT_V5, &len, &err), MQTT_NEED_MORE);
    assert_int_equal(len, 5 + (size_t)MQTT_MAX_REMAINING_LENGTH);
}

/* ---- mqtt_stream limits and errors ---- */

static void test_stream_too_large_for_storage(void **state)
{
    (void)state;
    uint8_t storage[64];
    mqtt_stream s;
    mqtt_stream_init(&s, storage, sizeof storage);
    mqtt_decode_opts opts = {.version = MQTT_V311, .role = MQTT_ROLE_SERVER, .max_packet_size = 0};
    mqtt_packet pkt;
    mqtt_bytes raw;
    mqtt_error err;

    /* 2 + 63 bytes can never fit in 64: reported as soon as the header is in. */
    static const uint8_t too_big_header[] = {0x30, 63, 0x00, 0x01, 't'};
    assert_int_equal(mqtt_stream_append(&s, too_big_header, 1), 1);
    assert_int_equal(mqtt_stream_next(&s, &opts, &pkt, &raw, &err), MQTT_NEED_MORE);
    assert_int_equal(mqtt_stream_append(&s, too_big_header + 1, sizeof too_big_header - 1), 4);
    assert_int_equal(mqtt_stream_next(&s, &opts, &pkt, &raw, &err), MQTT_MALFORMED);
    assert_int_equal(err.code, MQTT_E_TOO_LARGE);
    assert_int_equal(err.offset, 0);

    /* 2 + 62 bytes fit exactly. */
    uint8_t exact[64];
    exact[0] = 0x30;
    exact[1] = 62;
    exact[2] = 0;
    exact[3] = 1;
    exact[4] = 't';
    memset(exact + 5, 'p', sizeof exact - 5);
    mqtt_stream_init(&s, storage, sizeof storage);
    assert_int_equal(mqtt_stream_append(&s, exact, sizeof exact), sizeof exact);
    assert_int_equal(mqtt_stream_append(&s, exact, 1), 0); /* full */
    assert_int_equal(mqtt_stream_next(&s, &opts, &pkt, &raw, &err), MQTT_COMPLETE);
    assert_int_equal(raw.len, 64);
    assert_int_equal(pkt.u.publish.payload.len, 59);
    assert_int_equal(mqtt_stream_next(&s, &opts, &pkt, &raw, &err), MQTT_NEED_MORE);

    /* The receiver's own limit applies in a stream as well. */
    opts.max_packet_size = 10;
    mqtt_stream_init(&s, storage, sizeof storage);
    assert_int_equal(mqtt_stream_append(&s, exact, 3), 3);
    assert_int_equal(mqtt_stream_next(&s, &opts, &pkt, &raw, &err), MQTT_MALFORMED);
    assert_int_equal(err.code, MQTT_E_TOO_LARGE);
}

static void test_stream_malformed_packet_stays_put(void **state)
{
    (void)state;
    uint8_t storage[64];
    mqtt_stream s;
    mqtt_stream_init(&s, storage, sizeof storage);
    mqtt_decode_opts opts = {.version = MQTT_V311, .role = MQTT_ROLE_SERVER, .max_packet_size = 0};
    static const uint8_t ping_then_bad[] = {0xC0, 0x00, 0x30, 0x04, 0x00, 0x02, 'a', '#'};
    assert_int_equal(mqtt_stream_append(&s, ping_then_bad, sizeof ping_then_bad), sizeof ping_then_bad);
    mqtt_packet pkt;
    mqtt_bytes raw;
    mqtt_error err;
    assert_int_equal(mqtt_stream_next(&s, &opts, &pkt, &raw, &err), MQTT_COMPLETE);
    assert_int_equal(pkt.type, MQTT_PINGREQ);
    for (int again = 0; again < 2; again++) {
        assert_int_equal(mqtt_stream_next(&s, &opts, &pkt, &raw, &err), MQTT_MALFORMED);
        assert_int_equal(err.code, MQTT_E_TOPIC_NAME_WILDCARD);
        assert_int_equal(err.offset, 2); /* counted from the packet, not the stream */
        assert_int_equal(err.byte, 5);
        assert_int_equal(s.start, 2);
    }
}

static void test_stream_raw_may_be_null(void **state)
{
    (void)state;
    uint8_t storage[8];
    mqtt_stream s;
    mqtt_stream_init(&s, storage, sizeof storage);
    mqtt_decode_opts opts = {.version = MQTT_V5, .role = MQTT_ROLE_CLIENT, .max_packet_size = 0};
    static const uint8_t pingresp[] = {0xD0, 0x00};
    mqtt_stream_append(&s, pingresp, sizeof pingresp);
    mqtt_packet pkt;
    mqtt_error err;
    assert_int_equal(mqtt_stream_next(&s, &opts, &pkt, NULL, &err), MQTT_COMPLETE);
    assert_int_equal(pkt.type, MQTT_PINGRESP);
    assert_int_equal(mqtt_stream_next(&s, &opts, &pkt, NULL, &err), MQTT_NEED_MORE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_shot_decode_finds_the_sequence),
        cmocka_unit_test(test_split_at_every_byte),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_small_storage_compacts),
        cmocka_unit_test(test_space_and_commit),
        cmocka_unit_test(test_frame_need_more_reports),
        cmocka_unit_test(test_frame_errors),
        cmocka_unit_test(test_stream_too_large_for_storage),
        cmocka_unit_test(test_stream_malformed_packet_stays_put),
        cmocka_unit_test(test_stream_raw_may_be_null),
    };
    return cmocka_run_group_tests(tests, build_sequence, free_sequence);
}
