/*
 * mqtt_decode: success-only fast paths for the packets that make up nearly
 * all traffic (PUBLISH, the four acks, SUBSCRIBE, SUBACK, PINGREQ,
 * PINGRESP), in front of the complete decoder (decode.c).
 *
 * A fast path accepts a packet only when it has checked every rule the
 * complete decoder applies to that packet, and then fills *out exactly as
 * the complete decoder would.  Anything it is not sure of (non-ASCII text,
 * multi-byte varints inside properties, 3.1's lenient flags, an empty 5.0
 * topic with an alias, every malformed packet) goes to the complete decoder,
 * which alone produces errors.  tests/test_fast_path.c checks that both give
 * the same result.
 *
 * Style: cursors travel by value and each reader returns the advanced cursor
 * (NULL: not for the fast path), so the compiler keeps them in registers.
 * PUBLISH is inlined into mqtt_decode; the rarer packets and 5.0 properties
 * are out of line so they do not widen its frame.
 */
#include <stddef.h>

#include "internal.h"
#include "scan.h"

#define HOT static inline __attribute__((always_inline))
#define COLD static __attribute__((noinline))
#define PROP_BIT(id) (1ull << (id))

/* A 2-byte length + bytes ending at or before end. */
HOT const uint8_t *take_bytes(const uint8_t *p, const uint8_t *end, mqtt_bytes *out)
{
    if (end - p < 2)
        return NULL;
    uint32_t n = load_u16(p);
    p += 2;
    if ((size_t)(end - p) < n)
        return NULL;
    out->ptr = p;
    out->len = n;
    return p + n;
}

/* A string made only of plain ASCII: valid UTF-8, no NUL (and no wildcard with wild). */
HOT const uint8_t *take_plain(const uint8_t *p, const uint8_t *end, bool wild, mqtt_bytes *out)
{
    p = take_bytes(p, end, out);
    return p && scan_plain_ascii(out->ptr, out->len, wild) ? p : NULL;
}

/* ---- 5.0 PUBLISH properties ---- */

/* Ids with a value rule in a PUBLISH (the others need none beyond their type). */
#define PUBLISH_VALUE_RULES                                                                                        \
    (PROP_BIT(MQTT_PROP_PAYLOAD_FORMAT_INDICATOR) | PROP_BIT(MQTT_PROP_TOPIC_ALIAS) |                              \
     PROP_BIT(MQTT_PROP_SUBSCRIPTION_IDENTIFIER))
#define PUBLISH_REPEATABLE (PROP_BIT(MQTT_PROP_USER_PROPERTY) | PROP_BIT(MQTT_PROP_SUBSCRIPTION_IDENTIFIER))

HOT const uint8_t *prop_value(const uint8_t *p, const uint8_t *end, uint8_t id, uint32_t *value)
{
    mqtt_bytes a, b;
    switch (mqtt_prop_types[id]) {
    case MQTT_PT_BYTE:
        if (p >= end)
            return NULL;
        *value = *p;
        return p + 1;
    case MQTT_PT_U16:
        if (end - p < 2)
            return NULL;
        *value = load_u16(p);
        return p + 2;
    case MQTT_PT_U32:
        if (end - p < 4)
            return NULL;
        *value = load_u32(p);
        return p + 4;
    case MQTT_PT_VARINT: /* one byte here; longer ones take the complete path */
        if (p >= end || (*p & 0x80))
            return NULL;
        *value = *p;
        return p + 1;
    case MQTT_PT_BINARY:
        return take_bytes(p, end, &a);
    case MQTT_PT_UTF8:
        return take_plain(p, end, id == MQTT_PROP_RESPONSE_TOPIC, &a);
    case MQTT_PT_PAIR:
        p = take_plain(p, end, false, &a);
        return p ? take_plain(p, end, false, &b) : NULL;
    default:
        return NULL;
    }
}

HOT bool publish_value_ok(mqtt_role role, uint8_t id, uint32_t value)
{
    switch (id) {
    case MQTT_PROP_PAYLOAD_FORMAT_INDICATOR:
        return value <= 1;
    case MQTT_PROP_TOPIC_ALIAS:
        return value != 0;
    default: /* Subscription Identifier: non-zero, and never from a client */
        return value != 0 && role == MQTT_ROLE_CLIENT;
    }
}

COLD const uint8_t *publish_props(const uint8_t *p, const uint8_t *end, mqtt_role role, mqtt_props *out)
{
    if (p >= end || (*p & 0x80))
        return NULL;
    uint32_t len = *p++;
    if ((size_t)(end - p) < len)
        return NULL;
    out->ptr = p;
    out->len = len;
    const uint8_t *pend = p + len;
    uint64_t seen = 0;
    while (p < pend) {
        uint8_t id = *p++;
        if (id >= 43 || !((mqtt_prop_packets[id] >> MQTT_PUBLISH) & 1u)) /* also ids >= 0x80 */
            return NULL;
        uint64_t bit = PROP_BIT(id);
        if (seen & bit & ~PUBLISH_REPEATABLE)
            return NULL;
        seen |= bit;
        uint32_t value = 0;
        p = prop_value(p, pend, id, &value);
        if (!p || ((bit & PUBLISH_VALUE_RULES) && !publish_value_ok(role, id, value)))
            return NULL;
    }
    return pend;
}

/* ---- PUBLISH ---- */

/* PUBLISH flag nibbles the fast path takes: not QoS 3, no DUP on QoS 0 (bit n: nibble n, i.e. 0-5 and 10-13). */
#define PUBLISH_FLAGS_OK 0x3C3Fu

HOT bool fast_publish(const uint8_t *p, const uint8_t *end, uint8_t flags, const mqtt_decode_opts *opts,
                      mqtt_publish *pub)
{
    uint8_t qos = (flags >> 1) & 3;
    if (!((PUBLISH_FLAGS_OK >> flags) & 1u))
        return false;
    p = take_plain(p, end, true, &pub->topic);
    if (!p || pub->topic.len == 0)
        return false;
    pub->packet_id = 0;
    if (qos) {
        if (end - p < 2 || !(pub->packet_id = load_u16(p)))
            return false;
        p += 2;
    }
    pub->props.ptr = NULL;
    pub->props.len = 0;
    if (opts->version == MQTT_V5 && !(p = publish_props(p, end, opts->role, &pub->props)))
        return false;
    pub->dup = flags & 0x08;
    pub->qos = qos;
    pub->retain = flags & 0x01;
    pub->payload.ptr = p;
    pub->payload.len = (uint32_t)(end - p);
    return true;
}

/* ---- the others ---- */

/* PUBACK, PUBREC, PUBREL, PUBCOMP: the 2-byte form, and 5.0's "Success, no properties" 4-byte form. */
static bool fast_ack(const uint8_t *p, const uint8_t *end, mqtt_version v, mqtt_packet *out)
{
    mqtt_ack *a = &out->u.ack;
    size_t rl = (size_t)(end - p);
    bool long_success = v == MQTT_V5 && rl == 4 && p[2] == 0 && p[3] == 0;
    if ((rl != 2 && !long_success) || out->flags != (out->type == MQTT_PUBREL ? 0x02 : 0x00))
        return false;
    a->packet_id = load_u16(p);
    a->code = 0;
    a->has_code = a->has_props = long_success;
    a->props.ptr = long_success ? p + 4 : NULL;
    a->props.len = 0;
    return a->packet_id != 0;
}

/* 3.1.1 SUBSCRIBE (5.0 ones take the complete path). */
static bool fast_subscribe(const uint8_t *p, const uint8_t *end, mqtt_packet *out)
{
    mqtt_subs *s = &out->u.subs;
    if (out->flags != 0x02 || end - p < 3 || !(s->packet_id = load_u16(p)))
        return false;
    p += 2;
    s->props.ptr = NULL;
    s->props.len = 0;
    s->list.ptr = p;
    s->list.count = 0;
    while (p < end) {
        mqtt_bytes filter;
        size_t bad;
        p = take_plain(p, end, false, &filter);
        if (!p || filter.len == 0 || p >= end || mqtt_check_wildcards(filter.ptr, filter.len, &bad) != MQTT_E_OK)
            return false;
        uint8_t opt = *p++;
        if ((opt & 0xFC) || (opt & 3) == 3)
            return false;
        s->list.count++;
    }
    s->list.len = (uint32_t)(p - s->list.ptr);
    return true;
}

/* 3.1.1 SUBACK: return codes 0, 1, 2 or 0x80. */
static bool fast_suback(const uint8_t *p, const uint8_t *end, mqtt_packet *out)
{
    mqtt_subs *s = &out->u.subs;
    if (out->flags != 0 || end - p < 3 || !(s->packet_id = load_u16(p)))
        return false;
    for (const uint8_t *q = p + 2; q < end; q++)
        if (*q > 2 && *q != 0x80)
            return false;
    s->props.ptr = NULL;
    s->props.len = 0;
    s->list.ptr = p + 2;
    s->list.len = s->list.count = (uint32_t)(end - p - 2);
    return true;
}

static bool fast_ping(const uint8_t *p, const uint8_t *end, mqtt_packet *out)
{
    if (out->flags != 0 || p != end)
        return false;
    memset(&out->u.disconnect, 0, sizeof out->u.disconnect);
    return true;
}

static bool fast_other(const uint8_t *p, const uint8_t *end, const mqtt_decode_opts *opts, mqtt_packet *out)
{
    bool server = opts->role == MQTT_ROLE_SERVER;
    bool v311 = opts->version == MQTT_V311;
    switch (out->type) {
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        return fast_ack(p, end, opts->version, out);
    case MQTT_SUBSCRIBE:
        return server && v311 && fast_subscribe(p, end, out);
    case MQTT_SUBACK:
        return !server && v311 && fast_suback(p, end, out);
    case MQTT_PINGREQ:
        return server && fast_ping(p, end, out);
    case MQTT_PINGRESP:
        return !server && fast_ping(p, end, out);
    default:
        return false;
    }
}

/* The packet header: total size, or 0 when the complete path must judge it. */
static size_t header_size(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, uint32_t *rl)
{
    bool minimal;
    int n = varint_read(buf + 1, buf + len, rl, &minimal);
    if (n <= 0 || (!minimal && opts->version == MQTT_V5))
        return 0;
    size_t total = 1 + (size_t)n + *rl;
    return len < total || (opts->max_packet_size && total > opts->max_packet_size) ? 0 : 1 + (size_t)n;
}

static void set_header(mqtt_packet *out, uint8_t first, uint32_t rl)
{
    out->type = first >> 4;
    out->flags = first & 0x0F;
    out->flags_override = false;
    out->remaining_length = rl;
}

/* Everything but a 3.1.1 PUBLISH with a one-byte length: a fast path if there is one, else the complete one. */
COLD mqtt_status decode_general(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out,
                                size_t *consumed, mqtt_error *err)
{
    uint32_t rl;
    size_t header = len >= 2 && opts->version >= MQTT_V311 ? header_size(buf, len, opts, &rl) : 0;
    if (header) {
        set_header(out, buf[0], rl);
        const uint8_t *p = buf + header, *end = p + rl;
        bool ok = out->type == MQTT_PUBLISH ? fast_publish(p, end, out->flags, opts, &out->u.publish)
                                            : fast_other(p, end, opts, out);
        if (ok) {
            *consumed = header + rl;
            return MQTT_COMPLETE;
        }
    }
    return mqtt_decode_full(buf, len, opts, out, consumed, err);
}

/* Index (bit n) of the flag nibbles a PUBLISH may carry: not QoS 3, no DUP on QoS 0. */
static const uint8_t publish_flags_ok[16] = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0};

/*
 * dup, qos and retain of each PUBLISH flag nibble, laid out as the three
 * bytes of mqtt_publish that hold them, so one store sets all three.
 */
typedef struct publish_flag_bytes {
    uint8_t b[4];
} publish_flag_bytes;
#define PFB(n) {{(n) >> 3 & 1, (n) >> 1 & 3, (n) & 1, 0}}
static const publish_flag_bytes publish_flag_fields[16] = {
    PFB(0), PFB(1), PFB(2),  PFB(3),  PFB(4),  PFB(5),  PFB(6),  PFB(7),
    PFB(8), PFB(9), PFB(10), PFB(11), PFB(12), PFB(13), PFB(14), PFB(15),
};
_Static_assert(offsetof(mqtt_publish, qos) == offsetof(mqtt_publish, dup) + 1 &&
                   offsetof(mqtt_publish, retain) == offsetof(mqtt_publish, dup) + 2 &&
                   offsetof(mqtt_publish, topic) >= offsetof(mqtt_publish, dup) + 4 && sizeof(bool) == 1,
               "dup, qos, retain are three adjacent bytes followed by padding");

/* Is a packet of total bytes within the caller's limit (0: none)?  One compare: 0 - 1 wraps to no limit. */
HOT bool within_limit(size_t total, uint32_t max_packet_size)
{
    return (uint32_t)(total - 1) <= (uint32_t)(max_packet_size - 1);
}

/* Bytes 0..n-1 of a 16-byte block, as a movemask mask. */
static const uint16_t first_bytes[17] = {
    0x0000, 0x0001, 0x0003, 0x0007, 0x000F, 0x001F, 0x003F, 0x007F, 0x00FF,
    0x01FF, 0x03FF, 0x07FF, 0x0FFF, 0x1FFF, 0x3FFF, 0x7FFF, 0xFFFF,
};

/*
 * The inline path has already stored *consumed = total: whatever decodes
 * this packet decodes exactly its total bytes, and *consumed means nothing
 * unless the result is MQTT_COMPLETE.  So the cold paths take no consumed.
 */
COLD mqtt_status full_after_store(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,
                                  mqtt_error *err)
{
    size_t consumed;
    return mqtt_decode_full(buf, total, opts, out, &consumed, err);
}

/* Any 3.1.1 PUBLISH the inline path did not take: the general fast path, else the complete decoder. */
COLD mqtt_status publish311_general(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts,
                                    mqtt_packet *out, mqtt_error *err)
{
    set_header(out, buf[0], (uint32_t)(total - 2));
    if (!fast_publish(buf + 2, buf + total, out->flags, opts, &out->u.publish))
        return full_after_store(buf, total, opts, out, err);
    return MQTT_COMPLETE;
}

#if defined(__SSE2__)
/*
 * Is the topic at buf + 4 (n bytes, 1..32) plain ASCII without wildcards?
 * Up to 16 bytes: one 16-byte load, masked to the topic, when the packet
 * holds 16 bytes from there; 16..32 bytes: two overlapping loads.  -1: not
 * a shape this handles.
 */
HOT int topic_short_plain(const uint8_t *buf, size_t n, size_t total)
{
    const uint8_t *t = buf + 4;
    if (n <= 16 && total >= 20)
        return (_mm_movemask_epi8(scan_hits16(t, true)) & first_bytes[n]) == 0;
    if (n >= 16 && n <= 32)
        return !scan_unusual16_32(t, n, true);
    return -1;
}
#else
HOT int topic_short_plain(const uint8_t *buf, size_t n, size_t total)
{
    (void)total;
    (void)first_bytes;
    return n >= 16 && n <= 32 ? !scan_unusual16_32(buf + 4, n, true) : -1;
}
#endif

/*
 * The common case inline: a 3.1.1 PUBLISH with a one-byte remaining length
 * and a topic of up to 32 bytes.  Its exits are tail calls, and once the
 * whole packet is known to be there the rest of the decoder gets exactly its
 * bytes (total), so few values stay live and no registers need saving.
 */
mqtt_status mqtt_decode(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out,
                        size_t *consumed, mqtt_error *err)
{
    /* Type PUBLISH and a one-byte remaining length: the top nibble of byte 0, the top bit of byte 1. */
    uint16_t head = 0;
    if (len >= 2)
        head = (uint16_t)(buf[0] | buf[1] << 8);
    if (len < 2 || (head & 0x80F0) != (MQTT_PUBLISH << 4) || opts->version != MQTT_V311)
        return decode_general(buf, len, opts, out, consumed, err);
    size_t total = 2 + (size_t)(head >> 8);
    if (len < total || !within_limit(total, opts->max_packet_size))
        return mqtt_decode_full(buf, len, opts, out, consumed, err);
    *consumed = total;
    uint8_t flags = buf[0] & 0x0F;
    if (total < 4 || !publish_flags_ok[flags])
        return full_after_store(buf, total, opts, out, err);
    size_t n = load_u16(buf + 2);
    int plain = n && n + 4 <= total ? topic_short_plain(buf, n, total) : -1;
    if (plain <= 0)
        return plain < 0 ? publish311_general(buf, total, opts, out, err) : full_after_store(buf, total, opts, out, err);
    size_t at = n + 4;
    uint16_t packet_id = 0;
    if (flags & 0x06) { /* QoS 1 or 2 */
        if (at + 2 > total || !(packet_id = load_u16(buf + at)))
            return full_after_store(buf, total, opts, out, err);
        at += 2;
    }
    set_header(out, buf[0], (uint32_t)(total - 2));
    mqtt_publish *pub = &out->u.publish;
    memcpy(&pub->dup, &publish_flag_fields[flags], sizeof(publish_flag_bytes)); /* dup, qos, retain */
    pub->topic.ptr = buf + 4;
    pub->topic.len = (uint32_t)n;
    pub->packet_id = packet_id;
    pub->props.ptr = NULL;
    pub->props.len = 0;
    pub->payload.ptr = buf + at;
    pub->payload.len = (uint32_t)(total - at);
    return MQTT_COMPLETE;
}
