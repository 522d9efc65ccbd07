/*
 * mqtt_decode: success-only fast paths for every common packet, in front of
 * the complete decoder (decode.c).
 *
 * A fast path accepts a packet only when it has checked every rule the
 * complete decoder applies to that packet, and then fills *out exactly as
 * the complete decoder would.  Anything it is not sure of (3.1's lenient
 * flags, an empty 5.0 topic with an alias, AUTH, a non-minimal Remaining
 * Length, every malformed packet) goes on, in the end to the complete
 * decoder, which alone produces errors.  tests/test_fast_path.c checks that
 * both give the same result for millions of inputs, and fuzz/fuzz_decode.c
 * compares them on every input it runs.
 *
 * Shape:
 *  - mqtt_decode reads the header.  A one-byte Remaining Length (nearly all
 *    packets) with the whole packet present and within the limit goes, by a
 *    jump through a 256-entry table indexed by the first byte, to a handler
 *    for exactly that type and those flags (PUBLISH: one per flag nibble,
 *    so dup/qos/retain and the header are constants), with the packet's
 *    size in place of len: mqtt_decode_full(buf, total, ...) answers as
 *    mqtt_decode_full(buf, len, ...) does, and a handler and its fallback
 *    take the same arguments, so falling back is a jump.  First bytes
 *    without a handler go straight to the complete decoder.
 *  - First tier: the handlers.  They call nothing (no register saving,
 *    few instructions) and take the common shape: plain ASCII strings of
 *    up to 32 bytes, Success reason codes, the common properties.  Anything
 *    else goes to the second tier.
 *  - Second tier, decode_general: any header (several bytes too), then the
 *    bodies (*_body) with the complete decoder's own functions for what
 *    they do not restate (UTF-8 beyond ASCII: utf8_check; long Topic
 *    Filters: mqtt_check_topic_filter; other reason codes:
 *    mqtt_reason_valid), then the complete decoder.
 *  - Strings: SSE2 loads that lie inside the string (two overlapping ones
 *    for 8..32 bytes, no masking), or one 16-byte load masked to a short
 *    string when 16 readable bytes lie at or around it.  Topic Names: a
 *    byte is good if it is signed-positive (0x01..0x7F) and (c | 0x08) is
 *    not '+' (which catches '#' too).
 *  - 5.0 properties in general: a table per packet context gives each
 *    identifier byte its kind (not allowed, fixed size with or without a
 *    value rule, string, binary, pair, Subscription Identifier); fixed-size
 *    ones are skipped by their size, duplicates found with a bit per id.
 *  - 5.0 PUBLISH: with 16 bytes or more of payload a property can be read
 *    before its size is checked (an overrun shows at the block's end), the
 *    common ones (Payload Format Indicator, Message Expiry Interval, Topic
 *    Alias, short User Properties) go through a threaded loop (a computed
 *    goto per property with GCC and clang), duplicates are counted in a
 *    byte per property, and a User Property of up to 16 bytes is one load.
 *    opts and err are parked in the packet meanwhile (see publish5_park).
 *  - Topic Filters: SSE2 masks of '/', '+', '#' and bad bytes; a wildcard
 *    must start a level, '+' also end one, '#' come last.
 */
#include <stddef.h>

#include "internal.h"
#include "scan.h"

#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#define COLD static __attribute__((noinline, cold))
#if defined(__clang__)
#define NOINLINE static __attribute__((noinline))
#else /* noclone: a handler must keep the argument registers of the table's signature */
#define NOINLINE static __attribute__((noinline, noclone))
#endif
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define HOT static inline
#define COLD static
#define NOINLINE static
#define UNLIKELY(x) (x)
#endif

#define BIT(id) (1ull << ((id) & 63))

/* The lean 5.0 PUBLISH path needs SSE2 and 8-byte pointers (see publish5_park). */
#if defined(__SSE2__) && defined(UINTPTR_MAX) && UINTPTR_MAX == UINT64_MAX
#define PUBLISH5_LEAN 1
#endif

#if defined(__SSE2__)
/* Index of the lowest set bit of x != 0. */
HOT unsigned lowest_bit(uint32_t x)
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctz(x);
#else
    unsigned i = 0;
    while (!(x & 1u)) {
        x >>= 1;
        i++;
    }
    return i;
#endif
}
#endif

/* Is v 3.1, 3.1.1 or 5.0 (one compare; an explicit unsigned whatever the enum's type)? */
HOT bool known_version(unsigned v) { return v - MQTT_V31 <= (unsigned)(MQTT_V5 - MQTT_V31); }

/* ---- strings ---- */

/* Bytes 0..n-1 of a 16-byte block, as a movemask mask. */
static const uint16_t first_bytes[17] = {
    0x0000, 0x0001, 0x0003, 0x0007, 0x000F, 0x001F, 0x003F, 0x007F, 0x00FF,
    0x01FF, 0x03FF, 0x07FF, 0x0FFF, 0x1FFF, 0x3FFF, 0x7FFF, 0xFFFF,
};

/* The complete decoder's UTF-8 check, for strings that are not plain ASCII. */
COLD bool utf8_slow(const uint8_t *s, size_t n, bool wild)
{
    size_t bad;
    return utf8_check(s, n, wild, &bad) == MQTT_E_OK;
}

/*
 * Is s[0..n) plain ASCII: no NUL, no byte >= 0x80 (and with wild no '+' or
 * '#')?  [lo, hi) is readable memory holding the string.  No loop: strings
 * over 32 bytes, and short ones without 16 readable bytes around them, get
 * false (the second tier looks again).
 */
HOT bool plain_short(const uint8_t *lo, const uint8_t *s, size_t n, const uint8_t *hi, bool wild)
{
#if defined(__SSE2__)
    if (n <= 16) {
        if (hi - s >= 16)
            return !(scan_unusual16(s, wild) & first_bytes[n]);
        if ((size_t)(s - lo) + n >= 16)
            return !((unsigned)scan_unusual16(s + n - 16, wild) >> (16 - n));
        return false;
    }
    return n <= 32 && !scan_unusual16_32(s, n, wild);
#else
    (void)lo;
    (void)hi;
    (void)first_bytes;
    return scan_plain_ascii(s, n, wild);
#endif
}

/*
 * A UTF-8 string (with wild: a Topic Name) as the complete decoder judges
 * it.  The first tier (t1) takes short plain ASCII only and makes no call;
 * the second asks the complete decoder's own check.
 */
HOT bool text_ok(const uint8_t *lo, const uint8_t *s, size_t n, const uint8_t *hi, bool wild, bool t1)
{
    return plain_short(lo, s, n, hi, wild) || (!t1 && utf8_slow(s, n, wild));
}

/* A 2-byte length + bytes ending at or before end; NULL if it does not fit. */
HOT const uint8_t *take_bytes(const uint8_t *p, const uint8_t *end, mqtt_bytes *out)
{
    if (end - p < 2)
        return NULL;
    size_t n = load_u16(p);
    p += 2;
    if ((size_t)(end - p) < n)
        return NULL;
    out->ptr = p;
    out->len = (uint32_t)n;
    return p + n;
}

/* A 2-byte packet identifier, 0 if it is 0 (a test on the raw bytes, before the byte swap). */
HOT uint16_t packet_id_at(const uint8_t *p)
{
    uint16_t raw;
    memcpy(&raw, p, sizeof raw);
    return raw ? load_u16(p) : 0;
}

/* ---- 5.0 properties ---- */

/*
 * Property kinds.  Fixed-size values have the top bit set and the size of
 * identifier + value in the low 3 bits; PK_RULE marks a value rule (Byte:
 * 0 or 1; integers: not 0).  The others are read by prop_var.
 */
enum {
    PK_NONE = 0, /* unknown, or not allowed in this packet: the complete decoder says which */
    PK_UTF8 = 1,
    PK_TOPIC = 2, /* Response Topic: UTF-8 without wildcards */
    PK_BIN = 3,
    PK_PAIR = 4,
    PK_SUBID_MANY = 5, /* Subscription Identifier in a PUBLISH to a client: repeatable */
    PK_SUBID_ONCE = 6, /* in a SUBSCRIBE */
    PK_FIXED = 0x80,
    PK_RULE = 0x40,
    PK_U8 = PK_FIXED | 2,
    PK_U16 = PK_FIXED | 3,
    PK_U32 = PK_FIXED | 5,
    PK_BOOL = PK_U8 | PK_RULE,
    PK_NZ16 = PK_U16 | PK_RULE,
    PK_NZ32 = PK_U32 | PK_RULE,
};

/* Kinds per packet context, from mqtt_prop_types, mqtt_prop_packets and the value rules of decode.c. */
#define KINDS_PUBLISH                                                                                              \
    [0x01] = PK_BOOL, [0x02] = PK_U32, [0x03] = PK_UTF8, [0x08] = PK_TOPIC, [0x09] = PK_BIN, [0x23] = PK_NZ16,     \
    [0x26] = PK_PAIR
static const uint8_t kinds_publish_from_client[256] = {KINDS_PUBLISH};
static const uint8_t kinds_publish_to_client[256] = {KINDS_PUBLISH, [0x0B] = PK_SUBID_MANY};
static const uint8_t kinds_will[256] = {
    [0x01] = PK_BOOL, [0x02] = PK_U32, [0x03] = PK_UTF8, [0x08] = PK_TOPIC,
    [0x09] = PK_BIN,  [0x18] = PK_U32, [0x26] = PK_PAIR,
};
static const uint8_t kinds_connect[256] = {
    [0x11] = PK_U32,  [0x15] = PK_UTF8, [0x16] = PK_BIN,  [0x17] = PK_BOOL, [0x19] = PK_BOOL,
    [0x21] = PK_NZ16, [0x22] = PK_U16,  [0x26] = PK_PAIR, [0x27] = PK_NZ32,
};
static const uint8_t kinds_connack[256] = {
    [0x11] = PK_U32,  [0x12] = PK_UTF8, [0x13] = PK_U16,  [0x15] = PK_UTF8, [0x16] = PK_BIN,  [0x1A] = PK_UTF8,
    [0x1C] = PK_UTF8, [0x1F] = PK_UTF8, [0x21] = PK_NZ16, [0x22] = PK_U16,  [0x24] = PK_BOOL, [0x25] = PK_BOOL,
    [0x26] = PK_PAIR, [0x27] = PK_NZ32, [0x28] = PK_BOOL, [0x29] = PK_BOOL, [0x2A] = PK_BOOL,
};
/* PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK */
static const uint8_t kinds_reason[256] = {[0x1F] = PK_UTF8, [0x26] = PK_PAIR};
static const uint8_t kinds_subscribe[256] = {[0x0B] = PK_SUBID_ONCE, [0x26] = PK_PAIR};
static const uint8_t kinds_unsubscribe[256] = {[0x26] = PK_PAIR};
static const uint8_t kinds_disconnect_from_client[256] = {
    [0x11] = PK_U32, [0x1C] = PK_UTF8, [0x1F] = PK_UTF8, [0x26] = PK_PAIR};
/* Session Expiry Interval from a server is an error (MQTT-3.14.2-2). */
static const uint8_t kinds_disconnect_from_server[256] = {[0x1C] = PK_UTF8, [0x1F] = PK_UTF8, [0x26] = PK_PAIR};

/* The value rule of a fixed-size property at p (kind k) inside a block ending at pend. */
HOT bool fixed_rule_ok(const uint8_t *p, const uint8_t *pend, unsigned k)
{
    size_t size = k & 7;
    if ((size_t)(pend - p) < size)
        return false;
    if (size == 2)
        return p[1] <= 1;
    if (size == 3)
        return (p[1] | p[2]) != 0;
    return (p[1] | p[2] | p[3] | p[4]) != 0;
}

/* A minimal Variable Byte Integer, not 0, before end. */
HOT const uint8_t *varint_nonzero(const uint8_t *p, const uint8_t *end)
{
    uint32_t v = 0;
    bool minimal = false;
    int n = varint_read(p, end, &v, &minimal);
    return n > 0 && minimal && v ? p + n : NULL;
}

/* A property of variable size (kind k) at p; [lo, hi) is readable, the block ends at pend. */
HOT const uint8_t *prop_var(const uint8_t *lo, const uint8_t *p, const uint8_t *pend, const uint8_t *hi, unsigned k,
                            unsigned id, uint64_t *seen, bool t1)
{
    mqtt_bytes a, b;
    const uint8_t *q;
    switch (k) {
    case PK_UTF8:
    case PK_TOPIC:
    case PK_BIN:
        if (*seen & BIT(id))
            return NULL;
        *seen |= BIT(id);
        q = take_bytes(p + 1, pend, &a);
        if (!q || (k != PK_BIN && !text_ok(lo, a.ptr, a.len, hi, k == PK_TOPIC, t1)))
            return NULL;
        return q;
    case PK_PAIR: /* repeatable */
        q = take_bytes(p + 1, pend, &a);
        if (!q || !(q = take_bytes(q, pend, &b)))
            return NULL;
        return text_ok(lo, a.ptr, a.len, hi, false, t1) && text_ok(lo, b.ptr, b.len, hi, false, t1) ? q : NULL;
    case PK_SUBID_ONCE:
        if (*seen & BIT(id))
            return NULL;
        *seen |= BIT(id);
        return varint_nonzero(p + 1, pend);
    case PK_SUBID_MANY:
        *seen |= BIT(id);
        return varint_nonzero(p + 1, pend);
    default:
        return NULL;
    }
}

/*
 * Property Length + properties at p, of the context whose kinds table is
 * given; hi is the end of the packet.  Returns the end of the block (NULL:
 * not for the fast path) and sets *out and *seen (a bit per identifier).
 */
HOT const uint8_t *props_block(const uint8_t *lo, const uint8_t *p, const uint8_t *hi, const uint8_t *kinds,
                               mqtt_props *out, uint64_t *seen_out, bool t1)
{
    if (p >= hi)
        return NULL;
    size_t len = *p++;
    if (UNLIKELY(len & 0x80)) { /* two bytes at most here, minimal */
        if (p >= hi || *p == 0 || (*p & 0x80))
            return NULL;
        len = (len & 0x7F) | (size_t)*p++ << 7;
    }
    if ((size_t)(hi - p) < len)
        return NULL;
    out->ptr = p;
    out->len = (uint32_t)len;
    const uint8_t *pend = p + len;
    uint64_t seen = 0;
    while (p < pend) {
        unsigned id = *p;
        unsigned k = kinds[id];
        if (k & PK_FIXED) {
            if ((k & PK_RULE) && !fixed_rule_ok(p, pend, k))
                return NULL;
            if (seen & BIT(id))
                return NULL;
            seen |= BIT(id);
            p += k & 7; /* past pend only if the block is malformed: caught below */
        } else if (!(p = prop_var(lo, p, pend, hi, k, id, &seen, t1))) {
            return NULL;
        }
    }
    if (p != pend)
        return NULL;
    *seen_out = seen;
    return pend;
}

/* ---- Topic Filters ---- */

/* The complete decoder's check. */
COLD bool filter_slow(const uint8_t *s, size_t n, bool v5)
{
    size_t bad;
    return mqtt_check_topic_filter((mqtt_bytes){s, (uint32_t)n}, v5 ? MQTT_V5 : MQTT_V311, &bad) == MQTT_E_OK;
}

#if defined(__SSE2__)
typedef struct filter_masks {
    uint32_t bad, slash, plus, hash; /* bit i: byte i of the filter is that */
} filter_masks;

HOT filter_masks masks16(const uint8_t *s)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    filter_masks m;
    m.bad = (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_setzero_si128()), v));
    m.slash = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')));
    m.plus = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')));
    m.hash = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('#')));
    return m;
}

/* Masks of a filter of 1..32 bytes; false if no 16 readable bytes lie around a short one. */
HOT bool filter_masks_of(const uint8_t *lo, const uint8_t *s, size_t n, const uint8_t *hi, filter_masks *m)
{
    if (n <= 16) {
        if (hi - s >= 16) {
            *m = masks16(s);
            uint32_t keep = first_bytes[n];
            m->bad &= keep;
            m->slash &= keep;
            m->plus &= keep;
            m->hash &= keep;
            return true;
        }
        if ((size_t)(s - lo) + n < 16)
            return false;
        *m = masks16(s + n - 16);
        unsigned drop = (unsigned)(16 - n);
        m->bad >>= drop;
        m->slash >>= drop;
        m->plus >>= drop;
        m->hash >>= drop;
        return true;
    }
    filter_masks a = masks16(s), b = masks16(s + n - 16);
    unsigned up = (unsigned)(n - 16);
    m->bad = a.bad | b.bad << up;
    m->slash = a.slash | b.slash << up;
    m->plus = a.plus | b.plus << up;
    m->hash = a.hash | b.hash << up;
    return true;
}
#endif

/*
 * A Topic Filter (4.7.1; 5.0 shared subscriptions 4.8.2) as the complete
 * decoder judges it: non-empty UTF-8, a wildcard fills a whole level, '#'
 * only last.  [lo, hi) is readable.
 */
HOT bool filter_ok(const uint8_t *lo, const uint8_t *s, size_t n, const uint8_t *hi, bool v5, bool t1)
{
    if (n == 0)
        return false;
#if defined(__SSE2__)
    filter_masks m;
    if (n <= 32 && filter_masks_of(lo, s, n, hi, &m) && !m.bad) {
        uint32_t last = 1u << (n - 1);
        uint32_t level_start = m.slash << 1 | 1, level_end = m.slash >> 1 | last;
        uint32_t wild = m.plus | m.hash;
        if ((wild & ~level_start) | (m.plus & ~level_end) | (m.hash & ~last))
            return false;
        if (v5 && s[0] == '$' && n >= 7 && memcmp(s, "$share/", 7) == 0) {
            /* "$share/" ShareName "/" filter: ShareName non-empty, no wildcard in it, a filter after it */
            uint32_t after = m.slash & ~0x7Fu;
            if (!after)
                return false;
            unsigned i = lowest_bit(after);
            return i > 7 && i + 1 < n && !(wild & ((2u << i) - 1));
        }
        return true;
    }
#else
    (void)lo;
    (void)hi;
#endif
    return !t1 && filter_slow(s, n, v5);
}

/* ---- packet bodies: check, fill out->u, return true; or false and the complete decoder takes over ---- */

_Static_assert(offsetof(mqtt_packet, flags) == 1 && offsetof(mqtt_packet, flags_override) == 2 &&
                   offsetof(mqtt_packet, remaining_length) == 4,
               "type, flags, flags_override, a padding byte, remaining_length");

HOT void put_header(mqtt_packet *out, unsigned first, size_t rl)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* type, flags, flags_override = false and the padding byte in one store */
    uint32_t head = (first >> 4) | (first & 0x0F) << 8;
    memcpy(out, &head, sizeof head);
#else
    out->type = (uint8_t)(first >> 4);
    out->flags = (uint8_t)(first & 0x0F);
    out->flags_override = false;
#endif
    out->remaining_length = (uint32_t)rl;
}

/* The versions whose rules the fast paths restate (3.1 follows 3.1.1 where its packets are identical). */
HOT bool v311ish(unsigned v) { return v == MQTT_V311 || v == MQTT_V31; }

/*
 * The version a caller has established for a body: VC_311 (3.1.1 or 3.1),
 * VC_5, or VC_ANY to read it from the options.  A constant, so that each
 * handler gets a body specialised for its version.
 */
enum { VC_ANY, VC_311, VC_5 };

/* Is the version one the body handles?  *v5 tells which. */
HOT bool version_class(const mqtt_decode_opts *opts, int vc, bool *v5)
{
    if (vc != VC_ANY) {
        *v5 = vc == VC_5;
        return true;
    }
    *v5 = opts->version == MQTT_V5;
    return *v5 || v311ish(opts->version);
}

/* PUBLISH flag nibbles the fast path takes: not QoS 3, no DUP on QoS 0 (bit n: nibble n, i.e. 0-5 and 10-13). */
#define PUBLISH_FLAGS_OK 0x3C3Fu

/* dup, qos and retain of each flag nibble, laid out as the three bytes of mqtt_publish that hold them. */
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

HOT bool publish_body(const uint8_t *lo, const uint8_t *p, const uint8_t *end, unsigned first,
                      const mqtt_decode_opts *opts, mqtt_publish *pub, bool t1)
{
    unsigned f = first & 0x0F;
    unsigned v = opts->version;
    if (!((PUBLISH_FLAGS_OK >> f) & 1u) || end - p < 2)
        return false;
    size_t n = load_u16(p);
    const uint8_t *t = p + 2;
    /* An empty topic is an error, or in 5.0 the Topic Alias case: both for the complete decoder. */
    if (n == 0 || (size_t)(end - t) < n || !text_ok(lo, t, n, end, true, t1))
        return false;
    p = t + n;
    uint16_t packet_id = 0;
    if (f & 0x06) {
        if (end - p < 2 || !(packet_id = load_u16(p)))
            return false;
        p += 2;
    }
    if (v == MQTT_V5) {
        uint64_t seen;
        const uint8_t *kinds = opts->role == MQTT_ROLE_SERVER ? kinds_publish_from_client : kinds_publish_to_client;
        if (!(p = props_block(lo, p, end, kinds, &pub->props, &seen, t1)))
            return false;
    } else if (v311ish(v)) {
        pub->props.ptr = NULL;
        pub->props.len = 0;
    } else {
        return false;
    }
    memcpy(&pub->dup, &publish_flag_fields[f], sizeof(publish_flag_bytes)); /* dup, qos, retain */
    pub->topic.ptr = t;
    pub->topic.len = (uint32_t)n;
    pub->packet_id = packet_id;
    pub->payload.ptr = p;
    pub->payload.len = (uint32_t)(end - p);
    return true;
}

/* A 5.0 reason code; the first tier takes Success (valid wherever a code is) and calls nothing. */
HOT bool reason_ok(uint8_t code, unsigned type, bool from_server, bool t1)
{
    return !code || (!t1 && mqtt_reason_valid(code, (int)type, from_server, MQTT_V5));
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP. */
HOT bool ack_body(const uint8_t *lo, const uint8_t *p, const uint8_t *end, unsigned first, unsigned type,
                  const mqtt_decode_opts *opts, mqtt_ack *a, bool t1)
{
    unsigned v = opts->version;
    size_t rl = (size_t)(end - p);
    if (first != (type << 4 | (type == MQTT_PUBREL ? 2u : 0u)) || rl < 2)
        return false;
    uint16_t packet_id = load_u16(p);
    if (!packet_id)
        return false;
    a->packet_id = packet_id;
    a->code = 0;
    a->has_code = a->has_props = false;
    a->props.ptr = NULL;
    a->props.len = 0;
    if (rl == 2)
        return v311ish(v) || v == MQTT_V5;
    if (v != MQTT_V5)
        return false;
    uint8_t code = p[2];
    if (!reason_ok(code, type, opts->role == MQTT_ROLE_CLIENT, t1))
        return false;
    a->code = code;
    a->has_code = true;
    if (rl == 3)
        return true;
    a->has_props = true;
    uint64_t seen;
    return props_block(lo, p + 3, end, kinds_reason, &a->props, &seen, t1) == end;
}

/* Subscription Options (5.0): reserved bits, QoS 3, Retain Handling 3, No Local on a shared subscription. */
HOT bool sub_options5_ok(unsigned o, const uint8_t *filter, size_t n)
{
    if ((o & 0xC0) || (o & 3) == 3 || (o & 0x30) == 0x30)
        return false;
    return !(o & MQTT_SUBOPT_NO_LOCAL) || n < 7 || memcmp(filter, "$share/", 7) != 0;
}

/* SUBSCRIBE and UNSUBSCRIBE. */
HOT bool subscribe_body(const uint8_t *lo, const uint8_t *p, const uint8_t *end, bool subscribe, int vc,
                        const mqtt_decode_opts *opts, mqtt_subs *s, bool t1)
{
    bool v5;
    if (!version_class(opts, vc, &v5) || opts->role != MQTT_ROLE_SERVER || end - p < 2)
        return false;
    uint16_t packet_id = load_u16(p);
    if (!packet_id)
        return false;
    p += 2;
    s->packet_id = packet_id;
    s->props.ptr = NULL;
    s->props.len = 0;
    if (v5) {
        uint64_t seen;
        if (!(p = props_block(lo, p, end, subscribe ? kinds_subscribe : kinds_unsubscribe, &s->props, &seen, t1)))
            return false;
    }
    if (p == end)
        return false;
    const uint8_t *list = p;
    uint32_t count = 0;
    do {
        if (end - p < 2)
            return false;
        size_t n = load_u16(p);
        const uint8_t *f = p + 2;
        if ((size_t)(end - f) < n || !filter_ok(lo, f, n, end, v5, t1))
            return false;
        p = f + n;
        if (subscribe) {
            if (p >= end)
                return false;
            unsigned o = *p++;
            if (v5 ? !sub_options5_ok(o, f, n) : o > 2)
                return false;
        }
        count++;
    } while (p < end);
    s->list.ptr = list;
    s->list.len = (uint32_t)(p - list);
    s->list.count = count;
    return true;
}

/* A SUBACK or UNSUBACK reason code (or 3.1.1 return code). */
HOT bool sub_code_ok(unsigned c, unsigned type, bool v5, bool t1)
{
    if (type == MQTT_SUBACK && c <= 2)
        return true;
    return v5 ? !t1 && mqtt_reason_valid((uint8_t)c, (int)type, true, MQTT_V5) : c == 0x80;
}

/* SUBACK and UNSUBACK. */
HOT bool suback_body(const uint8_t *lo, const uint8_t *p, const uint8_t *end, unsigned type, int vc,
                     const mqtt_decode_opts *opts, mqtt_subs *s, bool t1)
{
    bool v5;
    if (!version_class(opts, vc, &v5) || opts->role == MQTT_ROLE_SERVER || end - p < 2)
        return false;
    uint16_t packet_id = load_u16(p);
    if (!packet_id)
        return false;
    p += 2;
    s->packet_id = packet_id;
    s->props.ptr = NULL;
    s->props.len = 0;
    s->list.ptr = NULL;
    s->list.len = s->list.count = 0;
    if (v5) {
        uint64_t seen;
        if (!(p = props_block(lo, p, end, kinds_reason, &s->props, &seen, t1)))
            return false;
    } else if (type == MQTT_UNSUBACK) {
        return p == end; /* 3.1.1: the packet identifier only */
    }
    if (p == end)
        return false;
    for (const uint8_t *q = p; q < end; q++)
        if (!sub_code_ok(*q, type, v5, t1))
            return false;
    s->list.ptr = p;
    s->list.len = s->list.count = (uint32_t)(end - p);
    return true;
}

/* CONNACK. */
HOT bool connack_body(const uint8_t *lo, const uint8_t *p, const uint8_t *end, const mqtt_decode_opts *opts,
                      mqtt_connack *ca, bool t1)
{
    unsigned v = opts->version;
    size_t rl = (size_t)(end - p);
    if (opts->role == MQTT_ROLE_SERVER || rl < 2)
        return false;
    uint8_t flags = p[0], code = p[1];
    if ((flags & 0xFE) || ((flags & 1) && code))
        return false;
    ca->flags = flags;
    ca->code = code;
    ca->props.ptr = NULL;
    ca->props.len = 0;
    if (v == MQTT_V311)
        return rl == 2 && code <= 5;
    if (v != MQTT_V5 || !reason_ok(code, MQTT_CONNACK, true, t1))
        return false;
    uint64_t seen;
    return props_block(lo, p + 2, end, kinds_connack, &ca->props, &seen, t1) == end;
}

/* PINGREQ (server) and PINGRESP (client). */
HOT bool ping_body(const uint8_t *p, const uint8_t *end, bool to_server, const mqtt_decode_opts *opts,
                   mqtt_disconnect *d)
{
    unsigned v = opts->version;
    if (p != end || (opts->role == MQTT_ROLE_SERVER) != to_server || !(v311ish(v) || v == MQTT_V5))
        return false;
    memset(d, 0, sizeof *d);
    return true;
}

/* DISCONNECT. */
HOT bool disconnect_body(const uint8_t *lo, const uint8_t *p, const uint8_t *end, const mqtt_decode_opts *opts,
                         mqtt_disconnect *d, bool t1)
{
    unsigned v = opts->version;
    memset(d, 0, sizeof *d);
    if (v != MQTT_V5) /* 3.1.1: empty, and only from a client */
        return v311ish(v) && opts->role == MQTT_ROLE_SERVER && p == end;
    if (p == end)
        return true;
    bool from_server = opts->role == MQTT_ROLE_CLIENT;
    uint8_t code = *p;
    if (!reason_ok(code, MQTT_DISCONNECT, from_server, t1))
        return false;
    d->code = code;
    d->has_code = true;
    if (p + 1 == end)
        return true;
    d->has_props = true;
    uint64_t seen;
    const uint8_t *kinds = from_server ? kinds_disconnect_from_server : kinds_disconnect_from_client;
    return props_block(lo, p + 1, end, kinds, &d->props, &seen, t1) == end;
}

/* Connect Flags a 3.1.1 (bit 0) or 5.0 (bit 1) CONNECT may carry (3.1.2.3 - 3.1.2.9). */
HOT unsigned connect_flags_ok(unsigned f)
{
    if (f & 0x01)
        return 0; /* reserved */
    if (f & 0x04 ? (f & 0x18) == 0x18 : (f & 0x38) != 0)
        return 0; /* Will QoS 3; Will QoS or Will Retain without a Will */
    return (f & 0xC0) == 0x40 ? 2u : 3u; /* a password without a user name: 5.0 only */
}

/* CONNECT ("MQTT", level 4 or 5; 3.1's MQIsdp takes the complete path). */
HOT bool connect_body(const uint8_t *lo, const uint8_t *p, const uint8_t *end, const mqtt_decode_opts *opts,
                      mqtt_connect *cn, int vc, bool t1)
{
    static const uint8_t mqtt_name[6] = {0, 4, 'M', 'Q', 'T', 'T'};
    if (opts->role != MQTT_ROLE_SERVER || end - p < 10 || memcmp(p, mqtt_name, 6) != 0)
        return false;
    unsigned level = p[6], f = p[7];
    bool v5 = vc == VC_5 || (vc == VC_ANY && level == MQTT_V5);
    if (level != (v5 ? MQTT_V5 : MQTT_V311) || !((connect_flags_ok(f) >> v5) & 1u))
        return false;
    const uint8_t *q = p + 10;
    mqtt_props props = {NULL, 0}, will_props = {NULL, 0};
    mqtt_bytes id, will_topic = {NULL, 0}, will_payload = {NULL, 0}, user = {NULL, 0}, pass = {NULL, 0};
    uint64_t seen;
    if (v5) {
        if (!(q = props_block(lo, q, end, kinds_connect, &props, &seen, t1)))
            return false;
        if ((seen & BIT(MQTT_PROP_AUTHENTICATION_DATA)) && !(seen & BIT(MQTT_PROP_AUTHENTICATION_METHOD)))
            return false;
    }
    if (!(q = take_bytes(q, end, &id)) || !text_ok(lo, id.ptr, id.len, end, false, t1))
        return false;
    if (id.len == 0 && !(f & 0x02) && !v5)
        return false;
    if (f & 0x04) {
        if (v5 && !(q = props_block(lo, q, end, kinds_will, &will_props, &seen, t1)))
            return false;
        if (!(q = take_bytes(q, end, &will_topic)) || will_topic.len == 0 ||
            !text_ok(lo, will_topic.ptr, will_topic.len, end, true, t1))
            return false;
        if (!(q = take_bytes(q, end, &will_payload)))
            return false;
    }
    if ((f & 0x80) && (!(q = take_bytes(q, end, &user)) || !text_ok(lo, user.ptr, user.len, end, false, t1)))
        return false;
    if ((f & 0x40) && !(q = take_bytes(q, end, &pass)))
        return false;
    if (q != end)
        return false;
    cn->protocol_name.ptr = p + 2;
    cn->protocol_name.len = 4;
    cn->protocol_level = (uint8_t)level;
    cn->flags = (uint8_t)f;
    cn->clean_start = f & 0x02;
    cn->will = f & 0x04;
    cn->will_qos = (uint8_t)((f >> 3) & 3);
    cn->will_retain = f & 0x20;
    cn->has_password = f & 0x40;
    cn->has_username = f & 0x80;
    cn->keep_alive = load_u16(p + 8);
    cn->props = props;
    cn->client_id = id;
    cn->will_props = will_props;
    cn->will_topic = will_topic;
    cn->will_payload = will_payload;
    cn->username = user;
    cn->password = pass;
    return true;
}

/* Any packet: its body's fast path (second tier: with the complete decoder's own slow checks), if it has one. */
HOT bool any_body(const uint8_t *buf, const uint8_t *p, const uint8_t *end, const mqtt_decode_opts *opts,
                  mqtt_packet *out)
{
    unsigned first = buf[0], type = first >> 4;
    switch (type) {
    case MQTT_CONNECT:
        return first == 0x10 && connect_body(buf, p, end, opts, &out->u.connect, VC_ANY, false);
    case MQTT_CONNACK:
        return first == 0x20 && connack_body(buf, p, end, opts, &out->u.connack, false);
    case MQTT_PUBLISH:
        return publish_body(buf, p, end, first, opts, &out->u.publish, false);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        return ack_body(buf, p, end, first, type, opts, &out->u.ack, false);
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
        return first == (type << 4 | 2) &&
               subscribe_body(buf, p, end, type == MQTT_SUBSCRIBE, VC_ANY, opts, &out->u.subs, false);
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        return first == type << 4 && suback_body(buf, p, end, type, VC_ANY, opts, &out->u.subs, false);
    case MQTT_PINGREQ:
    case MQTT_PINGRESP:
        return first == type << 4 && ping_body(p, end, type == MQTT_PINGREQ, opts, &out->u.disconnect);
    case MQTT_DISCONNECT:
        return first == 0xE0 && disconnect_body(buf, p, end, opts, &out->u.disconnect, false);
    default: /* AUTH, reserved */
        return false;
    }
}

/* ---- the second tier ---- */

/*
 * The size of the fixed header at buf (2..5 bytes) and its Remaining Length,
 * or 0 if the input ends inside it, it is over 4 bytes or not minimal (the
 * complete decoder judges those).
 */
HOT size_t header_size(const uint8_t *buf, size_t len, uint32_t *rl)
{
    if (len < 2)
        return 0;
    uint32_t v = buf[1];
    if (!(v & 0x80)) {
        *rl = v;
        return 2;
    }
    if (len < 3 || !buf[2])
        return 0;
    v = (v & 0x7F) | (uint32_t)(buf[2] & 0x7F) << 7;
    if (!(buf[2] & 0x80)) {
        *rl = v;
        return 3;
    }
    if (len < 4 || !buf[3])
        return 0;
    v |= (uint32_t)(buf[3] & 0x7F) << 14;
    if (!(buf[3] & 0x80)) {
        *rl = v;
        return 4;
    }
    if (len < 5 || !buf[4] || (buf[4] & 0x80))
        return 0;
    *rl = v | (uint32_t)buf[4] << 21;
    return 5;
}

/*
 * The second tier: any header (several bytes, or under 2 bytes of input),
 * and whatever a first-tier handler passed on.  The bodies with the
 * complete decoder's own checks for what they do not restate (UTF-8 beyond
 * ASCII, long filters, reason codes other than Success), then the complete
 * decoder.
 */
NOINLINE mqtt_status decode_general(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out,
                                    size_t *consumed, mqtt_error *err)
{
    uint32_t rl = 0;
    size_t header = header_size(buf, len, &rl);
    size_t total = header + rl;
    if (header && len >= total && (!opts->max_packet_size || total <= opts->max_packet_size)) {
        const uint8_t *p = buf + header, *end = buf + total;
        bool ok = (buf[0] >> 4) == MQTT_PUBLISH ? publish_body(buf, p, end, buf[0], opts, &out->u.publish, false)
                                                : any_body(buf, p, end, opts, out);
        if (ok) {
            put_header(out, buf[0], rl);
            *consumed = total;
            return MQTT_COMPLETE;
        }
    }
    return mqtt_decode_full(buf, len, opts, out, consumed, err);
}

/* What a first-tier handler passes on: the second tier, from a cold call site. */
COLD mqtt_status second_tier(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,
                             size_t *consumed, mqtt_error *err)
{
    return decode_general(buf, total, opts, out, consumed, err);
}

/*
 * First-tier handlers, for packets with a one-byte Remaining Length, all
 * there and within the limit: total is the packet's size.  They call
 * nothing: MQTT_COMPLETE, or the same arguments to the second tier.
 */
typedef mqtt_status decode_fn(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,
                              size_t *consumed, mqtt_error *err);

#define HANDLER(name, first, ok)                                                                                   \
    NOINLINE mqtt_status name(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,    \
                              size_t *consumed, mqtt_error *err)                                                   \
    {                                                                                                              \
        const uint8_t *p = buf + 2, *end = buf + total;                                                            \
        (void)p;                                                                                                   \
        if (ok) {                                                                                                  \
            put_header(out, (first), total - 2);                                                                   \
            *consumed = total;                                                                                     \
            return MQTT_COMPLETE;                                                                                  \
        }                                                                                                          \
        return second_tier(buf, total, opts, out, consumed, err);                                               \
    }

/* Generic first-tier handlers: the shapes the lean ones below pass on. */
HANDLER(h_connack, 0x20, connack_body(buf, p, end, opts, &out->u.connack, true))
HANDLER(h_publish_any, buf[0], publish_body(buf, p, end, buf[0], opts, &out->u.publish, true))
HANDLER(h_puback_any, 0x40, ack_body(buf, p, end, 0x40, MQTT_PUBACK, opts, &out->u.ack, true))
HANDLER(h_pubrec_any, 0x50, ack_body(buf, p, end, 0x50, MQTT_PUBREC, opts, &out->u.ack, true))
HANDLER(h_pubrel_any, 0x62, ack_body(buf, p, end, 0x62, MQTT_PUBREL, opts, &out->u.ack, true))
HANDLER(h_pubcomp_any, 0x70, ack_body(buf, p, end, 0x70, MQTT_PUBCOMP, opts, &out->u.ack, true))
HANDLER(h_subscribe5, 0x82, subscribe_body(buf, p, end, true, VC_5, opts, &out->u.subs, true))
HANDLER(h_unsubscribe, 0xA2, subscribe_body(buf, p, end, false, VC_ANY, opts, &out->u.subs, true))
HANDLER(h_suback_any, 0x90, suback_body(buf, p, end, MQTT_SUBACK, VC_ANY, opts, &out->u.subs, true))
HANDLER(h_unsuback, 0xB0, suback_body(buf, p, end, MQTT_UNSUBACK, VC_ANY, opts, &out->u.subs, true))
HANDLER(h_disconnect, 0xE0, disconnect_body(buf, p, end, opts, &out->u.disconnect, true))
HANDLER(h_connect5, 0x10, connect_body(buf, p, end, opts, &out->u.connect, VC_5, true))

/* ---- lean first-tier handlers: the common shape inline, the rest passed on ---- */

/* CONNECT: 3.1.1 here, 5.0 in its own handler. */
NOINLINE mqtt_status h_connect(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,
                               size_t *consumed, mqtt_error *err)
{
    if (total >= 9 && buf[8] == MQTT_V5)
        return h_connect5(buf, total, opts, out, consumed, err);
    if (!connect_body(buf, buf + 2, buf + total, opts, &out->u.connect, VC_311, true))
        return second_tier(buf, total, opts, out, consumed, err);
    put_header(out, 0x10, total - 2);
    *consumed = total;
    return MQTT_COMPLETE;
}

_Static_assert(offsetof(mqtt_ack, code) == 2 && offsetof(mqtt_ack, has_code) == 3 &&
                   offsetof(mqtt_ack, has_props) == 4 && offsetof(mqtt_ack, props) == 8,
               "packet_id, code, has_code, has_props in the first 8 bytes of mqtt_ack");

/* PUBACK, PUBREC, PUBREL, PUBCOMP in their 2-byte form (3.1.1, 3.1, 5.0); longer 5.0 forms go on. */
HOT mqtt_status ack2(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,
                     size_t *consumed, mqtt_error *err, unsigned first, decode_fn *longer)
{
    if (total != 4)
        return longer(buf, total, opts, out, consumed, err);
    uint16_t packet_id = load_u16(buf + 2);
    if (!packet_id || !known_version(opts->version))
        return second_tier(buf, total, opts, out, consumed, err);
    put_header(out, first, 2);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t head = packet_id; /* code 0, has_code and has_props false, padding */
    memcpy(&out->u.ack, &head, sizeof head);
#else
    out->u.ack.packet_id = packet_id;
    out->u.ack.code = 0;
    out->u.ack.has_code = out->u.ack.has_props = false;
#endif
    out->u.ack.props.ptr = NULL;
    out->u.ack.props.len = 0;
    *consumed = 4;
    return MQTT_COMPLETE;
}

#define ACK_HANDLER(name, first, longer)                                                                           \
    NOINLINE mqtt_status name(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,    \
                              size_t *consumed, mqtt_error *err)                                                   \
    {                                                                                                              \
        return ack2(buf, total, opts, out, consumed, err, first, longer);                                          \
    }
ACK_HANDLER(h_puback, 0x40, h_puback_any)
ACK_HANDLER(h_pubrec, 0x50, h_pubrec_any)
ACK_HANDLER(h_pubrel, 0x62, h_pubrel_any)
ACK_HANDLER(h_pubcomp, 0x70, h_pubcomp_any)

/* PINGREQ (a client's) and PINGRESP (a server's). */
HOT mqtt_status ping(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,
                     size_t *consumed, mqtt_error *err, unsigned first, bool to_server)
{
    if (total != 2 || (opts->role == MQTT_ROLE_SERVER) != to_server || !known_version(opts->version))
        return second_tier(buf, total, opts, out, consumed, err);
    put_header(out, first, 0);
    memset(&out->u.disconnect, 0, sizeof out->u.disconnect);
    *consumed = 2;
    return MQTT_COMPLETE;
}

NOINLINE mqtt_status h_pingreq(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,
                               size_t *consumed, mqtt_error *err)
{
    return ping(buf, total, opts, out, consumed, err, 0xC0, true);
}

NOINLINE mqtt_status h_pingresp(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,
                                size_t *consumed, mqtt_error *err)
{
    return ping(buf, total, opts, out, consumed, err, 0xD0, false);
}

/* SUBSCRIBE: 3.1.1 (and 3.1) here, 5.0 in its own handler. */
NOINLINE mqtt_status h_subscribe(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,
                                 size_t *consumed, mqtt_error *err)
{
    if (!v311ish(opts->version))
        return opts->version == MQTT_V5 ? h_subscribe5(buf, total, opts, out, consumed, err)
                                        : second_tier(buf, total, opts, out, consumed, err);
    if (!subscribe_body(buf, buf + 2, buf + total, true, VC_311, opts, &out->u.subs, true))
        return second_tier(buf, total, opts, out, consumed, err);
    put_header(out, 0x82, total - 2);
    *consumed = total;
    return MQTT_COMPLETE;
}

/* SUBACK: 3.1.1 (and 3.1) here, 5.0 in the generic handler. */
NOINLINE mqtt_status h_suback(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,
                              size_t *consumed, mqtt_error *err)
{
    if (!v311ish(opts->version))
        return h_suback_any(buf, total, opts, out, consumed, err);
    if (!suback_body(buf, buf + 2, buf + total, MQTT_SUBACK, VC_311, opts, &out->u.subs, true))
        return second_tier(buf, total, opts, out, consumed, err);
    put_header(out, 0x90, total - 2);
    *consumed = total;
    return MQTT_COMPLETE;
}

#if defined(__SSE2__)
/*
 * Bytes of v that are plain ASCII other than '+' and '#' are 0xFF: a
 * signed compare with 0 leaves exactly 0x01..0x7F, and (c | 0x08) == '+'
 * finds both wildcards.
 */
HOT __m128i topic_good(__m128i v)
{
    __m128i wild = _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(SCAN_WILD_BIT)), _mm_set1_epi8(SCAN_WILD));
    return _mm_andnot_si128(wild, _mm_cmpgt_epi8(v, _mm_setzero_si128()));
}
#endif

/*
 * Non-zero unless the n bytes at t (8 <= n <= 32; others: non-zero) are
 * plain ASCII without wildcards.  Every load lies inside the string
 * (overlapping loads), so nothing needs masking and nothing around the
 * string is read.
 */
HOT unsigned topic_hits(const uint8_t *t, size_t n)
{
#if defined(__SSE2__)
    __m128i good;
    if (n > 16) {
        if (n > 32)
            return 1;
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)t);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(t + n - 16));
        __m128i zero = _mm_setzero_si128(), bit = _mm_set1_epi8(SCAN_WILD_BIT), wc = _mm_set1_epi8(SCAN_WILD);
        __m128i wild = _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(a, bit), wc), _mm_cmpeq_epi8(_mm_or_si128(b, bit), wc));
        good = _mm_andnot_si128(wild, _mm_and_si128(_mm_cmpgt_epi8(a, zero), _mm_cmpgt_epi8(b, zero)));
    } else {
        if (n < 8)
            return 1;
        good = topic_good(_mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)t),
                                             _mm_loadl_epi64((const __m128i *)(const void *)(t + n - 8))));
    }
    return (unsigned)_mm_movemask_epi8(good) ^ 0xFFFFu;
#else
    return n >= 8 && n <= 32 ? !scan_plain_ascii(t, n, true) : 1u;
#endif
}

#if defined(PUBLISH5_LEAN)
/*
 * For each name length 1..10 of a User Property: the bytes of the property
 * (0x26, length, name, length, value) that are zero in a well-formed one
 * with a value under 256 bytes: the high bytes of the two lengths.
 */
#define UPZ(n1) (1u << 1 | 1u << (3 + (n1)))
typedef struct user_property_masks {
    uint32_t zeros[11]; /* by name length; for 0 a value no 16-bit mask equals */
    uint32_t first[17]; /* first_bytes */
} user_property_masks;
#define USER_PROPERTY_MASKS                                                                                        \
    {                                                                                                              \
        {0x10000, UPZ(1), UPZ(2), UPZ(3), UPZ(4), UPZ(5), UPZ(6), UPZ(7), UPZ(8), UPZ(9), UPZ(10)},                \
            {0x0000, 0x0001, 0x0003, 0x0007, 0x000F, 0x001F, 0x003F, 0x007F, 0x00FF, 0x01FF, 0x03FF, 0x07FF,       \
             0x0FFF, 0x1FFF, 0x3FFF, 0x7FFF, 0xFFFF},                                                              \
    }
#if !defined(__GNUC__)
static const user_property_masks upm = USER_PROPERTY_MASKS;
#endif

/*
 * A User Property at p of at most 16 bytes with a non-empty name and value,
 * both plain ASCII, 16 bytes readable from p: one load, and its unusual
 * bytes must be exactly the zero high bytes of the two lengths (an empty
 * name or value adds a zero, a NUL or a byte >= 0x80 in them adds its own).
 * One running past the block [p, pend) shows at the end of the loop.
 */
HOT const uint8_t *user_property16(const uint8_t *p, const user_property_masks *upm)
{
    size_t n1 = load_u16(p + 1);
    if (n1 > 10)
        return NULL;
    size_t size = 5 + n1 + load_u16(p + 3 + n1);
    if (size > 16)
        return NULL;
    /* bytes 0x01..0x7F are the signed positive ones */
    __m128i good = _mm_cmpgt_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), _mm_setzero_si128());
    unsigned hits = ~(unsigned)_mm_movemask_epi8(good) & upm->first[size];
    return hits == upm->zeros[n1] ? p + size : NULL;
}

#if !defined(__GNUC__) /* the portable loop; GCC and clang thread it in publish5_loop */
/*
 * The common properties of a 5.0 PUBLISH (Payload Format Indicator, Message
 * Expiry Interval, Topic Alias, short User Properties; anything else makes
 * it false and the generic path looks again), block [p, pend), with at
 * least 16 bytes of the packet after it (the payload), so that a property
 * can be read before its size is checked (one running past the block shows
 * at the end) and a short one needs one 16-byte load.
 */
HOT bool publish5_props(const uint8_t *p, const uint8_t *pend)
{
    unsigned seen = 0; /* bit 1: Payload Format Indicator, 2: Message Expiry Interval, 3: Topic Alias */
    while (p < pend) {
        unsigned id = *p;
        if (id == MQTT_PROP_USER_PROPERTY) {
            if (!(p = user_property16(p, &upm)))
                return false;
        } else if (id == MQTT_PROP_PAYLOAD_FORMAT_INDICATOR) {
            if (p[1] > 1 || (seen & 2u))
                return false;
            seen |= 2u;
            p += 2;
        } else if (id == MQTT_PROP_MESSAGE_EXPIRY_INTERVAL) {
            if (seen & 4u)
                return false;
            seen |= 4u;
            p += 5;
        } else if (id == MQTT_PROP_TOPIC_ALIAS) {
            if (!(p[1] | p[2]) || (seen & 8u))
                return false;
            seen |= 8u;
            p += 3;
        } else {
            return false;
        }
    }
    return p == pend;
}
#endif
#endif

/*
 * The lean 5.0 PUBLISH path (SSE2, 8-byte pointers) parks opts and err in
 * the payload view (its pointer; its length and the padding after it)
 * while it checks the packet, so that its fallbacks need only out: few
 * values stay live, no register is saved, and the property loop has the
 * registers to itself.  The view gets its real value at the end, on
 * success.
 */
#if defined(PUBLISH5_LEAN)
_Static_assert(offsetof(mqtt_bytes, len) + sizeof(uint64_t) <= sizeof(mqtt_bytes) && sizeof(uintptr_t) <= 8,
               "a view's length and its padding hold a pointer");

HOT void publish5_park(mqtt_publish *pub, const mqtt_decode_opts *opts, mqtt_error *err)
{
    uint64_t e = (uintptr_t)err;
    pub->payload.ptr = (const uint8_t *)(const void *)opts;
    memcpy(&pub->payload.len, &e, sizeof e);
}

/* The parked opts, read through a volatile lvalue of the field's own type. */
HOT const void *publish5_unpark_opts(const mqtt_publish *pub)
{
    return *(const uint8_t *const volatile *)&pub->payload.ptr;
}

/* The parked err, read byte by byte through volatile lvalues (the length field and its padding). */
HOT uintptr_t publish5_unpark_err(const mqtt_publish *pub)
{
    const volatile unsigned char *b = (const volatile unsigned char *)&pub->payload.len;
    unsigned char bytes[sizeof(uint64_t)];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = b[i];
    uint64_t e;
    memcpy(&e, bytes, sizeof e);
    return (uintptr_t)e;
}

/*
 * A 5.0 PUBLISH the fast path does not take: decode it with the generic
 * handler.  *consumed is stored already, out->u.publish.topic.ptr is
 * buf + 4, the one-byte Remaining Length gives the size, and the parked
 * opts and err are read back through volatile loads (so that the compiler
 * cannot keep the originals in registers instead).
 */
COLD mqtt_status publish5_retry(mqtt_packet *out)
{
    const mqtt_decode_opts *opts = publish5_unpark_opts(&out->u.publish);
    mqtt_error *err = (mqtt_error *)publish5_unpark_err(&out->u.publish);
    const uint8_t *buf = out->u.publish.topic.ptr - 4;
    size_t consumed;
    return h_publish_any(buf, (size_t)buf[1] + 2, opts, out, &consumed, err);
}

/* Occurrence counters of the fixed-size properties, a byte each: a second one sets a bit of REPEATED. */
#define COUNT_PAYLOAD_FORMAT 0x000001u
#define COUNT_MESSAGE_EXPIRY 0x000100u
#define COUNT_TOPIC_ALIAS 0x010000u
#define REPEATED 0xFEFEFEu

/*
 * The property block [p, pend) of a 5.0 PUBLISH whose other fields
 * publish5 has stored, with 16 bytes or more of the packet after it: see
 * publish5_props.  Threaded with GCC and clang (a computed goto per
 * property, from a table of all 256 identifier bytes).
 */
NOINLINE mqtt_status publish5_loop(const uint8_t *p, const uint8_t *pend, mqtt_packet *out, uint64_t payload_len)
{
#if defined(__GNUC__)
    /* One table (one base register): the label for each identifier byte, the User Property masks. */
    static const struct {
        const void *next[256];
        user_property_masks upm;
    } t = {
        {
            [0] = &&fail,
            [MQTT_PROP_PAYLOAD_FORMAT_INDICATOR] = &&payload_format,
            [MQTT_PROP_MESSAGE_EXPIRY_INTERVAL] = &&message_expiry,
            [MQTT_PROP_MESSAGE_EXPIRY_INTERVAL + 1 ... MQTT_PROP_TOPIC_ALIAS - 1] = &&fail,
            [MQTT_PROP_TOPIC_ALIAS] = &&topic_alias,
            [MQTT_PROP_TOPIC_ALIAS + 1 ... MQTT_PROP_USER_PROPERTY - 1] = &&fail,
            [MQTT_PROP_USER_PROPERTY] = &&user_property,
            [MQTT_PROP_USER_PROPERTY + 1 ... 255] = &&fail,
        },
        USER_PROPERTY_MASKS,
    };
    uint32_t count = 0;
step: /* 16 readable bytes after the block: the identifier can be read before the end is checked */
    {
        unsigned id = *p;
        if (p >= pend)
            goto done;
        goto *t.next[id];
    }
payload_format:
    if (p[1] > 1)
        goto fail;
    count += COUNT_PAYLOAD_FORMAT;
    p += 2;
    goto step;
message_expiry:
    count += COUNT_MESSAGE_EXPIRY;
    p += 5;
    goto step;
topic_alias:
    if (!(p[1] | p[2]))
        goto fail;
    count += COUNT_TOPIC_ALIAS;
    p += 3;
    goto step;
user_property:
    if (!(p = user_property16(p, &t.upm)))
        goto fail;
    goto step;
done:
    if (p != pend || (count & REPEATED))
        goto fail;
#else
    if (!publish5_props(p, pend))
        goto fail;
#endif
    out->u.publish.payload.ptr = pend;
    memcpy(&out->u.publish.payload.len, &payload_len, sizeof payload_len); /* padding included */
    return MQTT_COMPLETE;
fail:
    return publish5_retry(out);
}

/*
 * A 5.0 PUBLISH with flag nibble f (a constant), a one-byte Remaining
 * Length, a topic of 8..32 bytes, a one-byte Property Length and 16 bytes
 * or more of payload: every field but the two parking places is stored,
 * then the property loop decides.
 */
HOT mqtt_status publish5(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,
                         size_t *consumed, mqtt_error *err, unsigned f)
{
    mqtt_publish *pub = &out->u.publish;
    if (total < 4)
        return h_publish_any(buf, total, opts, out, consumed, err);
    *consumed = total;
    pub->topic.ptr = buf + 4;
    publish5_park(pub, opts, err);
    /* Fields are stored as soon as they are known, so that their values need not stay live. */
    put_header(out, MQTT_PUBLISH << 4 | f, total - 2);
    memcpy(&pub->dup, &publish_flag_fields[f], sizeof(publish_flag_bytes)); /* dup, qos, retain */
    size_t n = load_u16(buf + 2);
    pub->topic.len = (uint32_t)n;
    size_t at = n + 4 + (f & 0x06 ? 2 : 0); /* where the Property Length is */
    if (at >= total || topic_hits(buf + 4, n))
        return publish5_retry(out);
    uint16_t packet_id = 0;
    if ((f & 0x06) && !(packet_id = packet_id_at(buf + at - 2)))
        return publish5_retry(out);
    pub->packet_id = packet_id;
    size_t len = buf[at]; /* 0x80 and more (a second byte) fail the size check: total <= 129 */
    if (at + 17 + len > total)
        return publish5_retry(out);
    const uint8_t *p = buf + at + 1;
    pub->props.ptr = p;
    pub->props.len = (uint32_t)len;
    return publish5_loop(p, p + len, out, total - at - 1 - len);
}

#define PUBLISH5(f) publish5(buf, total, opts, out, consumed, err, f)
#else
#define PUBLISH5(f) h_publish_any(buf, total, opts, out, consumed, err)
#endif

/*
 * A 3.1.1 PUBLISH with flag nibble f (a constant: one handler per first
 * byte; 3.1 and others go on, 5.0 was routed before), a one-byte Remaining
 * Length and a topic of 8..32 bytes; anything else goes on to h_publish_any
 * and the second tier.
 */
HOT mqtt_status publish311(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts, mqtt_packet *out,
                           size_t *consumed, mqtt_error *err, unsigned f)
{
    if (UNLIKELY(opts->version != MQTT_V311) || total < 4)
        return h_publish_any(buf, total, opts, out, consumed, err);
    mqtt_publish *pub = &out->u.publish;
    size_t n = load_u16(buf + 2);
    size_t at = n + 4 + (f & 0x06 ? 2 : 0); /* where the payload starts */
    if (at > total || topic_hits(buf + 4, n))
        return h_publish_any(buf, total, opts, out, consumed, err);
    uint16_t packet_id = 0;
    if ((f & 0x06) && !(packet_id = packet_id_at(buf + at - 2)))
        return second_tier(buf, total, opts, out, consumed, err);
    put_header(out, MQTT_PUBLISH << 4 | f, total - 2);
    memcpy(&pub->dup, &publish_flag_fields[f], sizeof(publish_flag_bytes)); /* dup, qos, retain */
    pub->topic.ptr = buf + 4;
    pub->topic.len = (uint32_t)n;
    pub->packet_id = packet_id;
    pub->props.ptr = NULL;
    pub->props.len = 0;
    pub->payload.ptr = buf + at;
    pub->payload.len = (uint32_t)(total - at);
    *consumed = total;
    return MQTT_COMPLETE;
}

#define PUBLISH_HANDLER(f)                                                                                         \
    NOINLINE mqtt_status h_publish_##f(const uint8_t *buf, size_t total, const mqtt_decode_opts *opts,             \
                                       mqtt_packet *out, size_t *consumed, mqtt_error *err)                        \
    {                                                                                                              \
        if (opts->version == MQTT_V5)                                                                              \
            return PUBLISH5(f);                                                                                    \
        return publish311(buf, total, opts, out, consumed, err, f);                                                \
    }
PUBLISH_HANDLER(0)
PUBLISH_HANDLER(1)
PUBLISH_HANDLER(2)
PUBLISH_HANDLER(3)
PUBLISH_HANDLER(4)
PUBLISH_HANDLER(5)
PUBLISH_HANDLER(10)
PUBLISH_HANDLER(11)
PUBLISH_HANDLER(12)
PUBLISH_HANDLER(13)

/* By first byte: types with their required flags (PUBLISH: every valid flag nibble); the rest is the complete decoder's. */
#define FULL mqtt_decode_full
#define FULL4 FULL, FULL, FULL, FULL
#define FULL13 FULL4, FULL4, FULL4, FULL
#define FULL14 FULL13, FULL
#define FULL15 FULL14, FULL
#define FULL16 FULL15, FULL
static decode_fn *const by_first_byte[256] = {
    /* 0x00 */ FULL16,
    /* 0x10 */ h_connect, FULL15,
    /* 0x20 */ h_connack, FULL15,
    /* 0x30 */ h_publish_0, h_publish_1, h_publish_2, h_publish_3, h_publish_4, h_publish_5, FULL, FULL, FULL, FULL,
    h_publish_10, h_publish_11, h_publish_12, h_publish_13, FULL, FULL,
    /* 0x40 */ h_puback, FULL15,
    /* 0x50 */ h_pubrec, FULL15,
    /* 0x60 */ FULL, FULL, h_pubrel, FULL13,
    /* 0x70 */ h_pubcomp, FULL15,
    /* 0x80 */ FULL, FULL, h_subscribe, FULL13,
    /* 0x90 */ h_suback, FULL15,
    /* 0xA0 */ FULL, FULL, h_unsubscribe, FULL13,
    /* 0xB0 */ h_unsuback, FULL15,
    /* 0xC0 */ h_pingreq, FULL15,
    /* 0xD0 */ h_pingresp, FULL15,
    /* 0xE0 */ h_disconnect, FULL15,
    /* 0xF0 */ FULL16,
};


mqtt_status mqtt_decode(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out,
                        size_t *consumed, mqtt_error *err)
{
    size_t rl;
    if (len < 2 || ((rl = buf[1]) & 0x80))
        return decode_general(buf, len, opts, out, consumed, err);
    uint32_t max = opts->max_packet_size;
    if (UNLIKELY(len < rl + 2) || UNLIKELY(max && rl + 2 > max))
        return mqtt_decode_full(buf, len, opts, out, consumed, err);
    return by_first_byte[buf[0]](buf, rl + 2, opts, out, consumed, err);
}
