/*
 * The network fuzzer's cases: a seeded PRNG of our own, valid template
 * packets of every type, and the mutations applied to them -- to the
 * packet's fields before encoding, to fields located in the encoded bytes,
 * and to raw bytes.  Case i of a stream depends on (seed, stream, version, i)
 * only, never on what the target did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netfuzz_internal.h"

/* ---- PRNG: xoshiro256**, seeded through splitmix64 ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void nf_rng_seed(nf_rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t x = seed;
    uint64_t a = splitmix64(&x);
    x = a ^ ((stream + 1) * 0xD1B54A32D192ED03ull);
    uint64_t b = splitmix64(&x);
    x = b ^ ((index + 1) * 0x8CB92BA72F3D8DD7ull);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t nf_rng_next(nf_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t nf_rng_below(nf_rng *r, uint32_t n)
{
    return n ? (uint32_t)(((nf_rng_next(r) >> 32) * (uint64_t)n) >> 32) : 0;
}

enum { SESSION_PCT = 3 }; /* share of session cases, when the stream has sessions */

static bool chance(nf_rng *r, unsigned pct) { return nf_rng_below(r, 100) < pct; }

/* ---- byte helpers shared with the minimiser ---- */

size_t nf_splice(uint8_t *p, size_t n, size_t cap, size_t at, size_t del, const uint8_t *ins, size_t nins)
{
    if (at > n || del > n - at || n - del + nins > cap)
        return n;
    memmove(p + at + nins, p + at + del, n - at - del);
    if (nins)
        memcpy(p + at, ins, nins);
    return n - del + nins;
}

uint32_t nf_read_rl(const uint8_t *p, size_t n, size_t *hdr)
{
    uint32_t v = 0;
    size_t i = 1;
    *hdr = n ? 1 : 0;
    for (unsigned shift = 0; i < n && i <= 4; i++, shift += 7) {
        v |= (uint32_t)(p[i] & 0x7F) << shift;
        if (!(p[i] & 0x80)) {
            i++;
            break;
        }
    }
    *hdr = i > n ? n : i;
    return v;
}

size_t nf_fix_rl(uint8_t *p, size_t n, size_t cap)
{
    size_t hdr;
    if (n < 1)
        return n;
    nf_read_rl(p, n, &hdr);
    size_t body = n - hdr;
    if (body > MQTT_MAX_REMAINING_LENGTH)
        return n;
    uint8_t v[4];
    unsigned k = 0;
    uint32_t x = (uint32_t)body;
    do {
        v[k] = (uint8_t)(x & 0x7F);
        x >>= 7;
        if (x)
            v[k] |= 0x80;
        k++;
    } while (x && k < 4);
    return nf_splice(p, n, cap, 1, hdr - 1, v, k);
}

/* ---- field map ---- */

static void add_field(nf_fmap *m, const uint8_t *base, const uint8_t *at, uint32_t len, uint8_t kind)
{
    if (m->n < NF_MAX_FIELDS && at >= base)
        m->f[m->n++] = (nf_field){(uint32_t)(at - base), len, kind};
}

static void add_string(nf_fmap *m, const uint8_t *base, mqtt_bytes b)
{
    if (b.ptr && b.ptr - 2 >= base)
        add_field(m, base, b.ptr - 2, b.len, NF_F_STR);
}

static void add_props(nf_fmap *m, const uint8_t *base, mqtt_props pr)
{
    if (!pr.ptr)
        return;
    unsigned vs = mqtt_varint_size(pr.len);
    add_field(m, base, pr.ptr - vs, pr.len, NF_F_PROPS);
    const uint8_t *q = pr.ptr, *end = pr.ptr + pr.len;
    while (q < end && m->n < NF_MAX_FIELDS) {
        uint8_t id = *q;
        add_field(m, base, q, 1, NF_F_PROPID);
        q++;
        switch (mqtt_prop_type_of(id)) {
        case MQTT_PT_BYTE: q += 1; break;
        case MQTT_PT_U16: q += 2; break;
        case MQTT_PT_U32: q += 4; break;
        case MQTT_PT_VARINT:
            while (q < end && (*q & 0x80))
                q++;
            q++;
            break;
        case MQTT_PT_UTF8:
        case MQTT_PT_BINARY:
        case MQTT_PT_PAIR:
            for (int k = 0; k < (mqtt_prop_type_of(id) == MQTT_PT_PAIR ? 2 : 1) && q + 2 <= end; k++) {
                uint32_t l = (uint32_t)(q[0] << 8 | q[1]);
                if (mqtt_prop_type_of(id) != MQTT_PT_BINARY)
                    add_field(m, base, q, l, NF_F_STR);
                q += 2 + l;
            }
            break;
        default:
            return;
        }
    }
}

static void map_list(nf_fmap *m, const uint8_t *base, mqtt_list list, bool with_options)
{
    mqtt_list_iter it;
    mqtt_sub_entry e;
    mqtt_list_iter_init(&it, list, with_options);
    while (m->n < NF_MAX_FIELDS && mqtt_list_next(&it, &e)) {
        add_string(m, base, e.filter);
        if (with_options)
            add_field(m, base, e.filter.ptr + e.filter.len, 1, NF_F_OPTS);
    }
}

void nf_map_fields(const uint8_t *p, size_t n, mqtt_version version, nf_fmap *m)
{
    m->n = 0;
    mqtt_packet pkt;
    mqtt_error err;
    size_t used;
    mqtt_decode_opts o = {version, MQTT_ROLE_SERVER, 0};
    if (n && p[0] >> 4 == MQTT_CONNECT)
        o.version = MQTT_VERSION_UNKNOWN;
    if (mqtt_decode(p, n, &o, &pkt, &used, &err) != MQTT_COMPLETE) {
        o.role = MQTT_ROLE_CLIENT;
        o.version = version;
        if (mqtt_decode(p, n, &o, &pkt, &used, &err) != MQTT_COMPLETE)
            return;
    }
    size_t hdr;
    nf_read_rl(p, n, &hdr);
    switch (pkt.type) {
    case MQTT_CONNECT: {
        const mqtt_connect *c = &pkt.u.connect;
        add_string(m, p, c->protocol_name);
        if (c->protocol_name.ptr)
            add_field(m, p, c->protocol_name.ptr + c->protocol_name.len + 1, 1, NF_F_FLAGS);
        add_props(m, p, c->props);
        add_string(m, p, c->client_id);
        add_props(m, p, c->will_props);
        add_string(m, p, c->will_topic);
        if (c->has_username)
            add_string(m, p, c->username);
        break;
    }
    case MQTT_CONNACK:
        add_field(m, p, p + hdr, 1, NF_F_FLAGS);
        add_field(m, p, p + hdr + 1, 1, NF_F_CODE);
        add_props(m, p, pkt.u.connack.props);
        break;
    case MQTT_PUBLISH:
        add_string(m, p, pkt.u.publish.topic);
        if (pkt.u.publish.qos && pkt.u.publish.topic.ptr)
            add_field(m, p, pkt.u.publish.topic.ptr + pkt.u.publish.topic.len, 2, NF_F_PID);
        add_props(m, p, pkt.u.publish.props);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        add_field(m, p, p + hdr, 2, NF_F_PID);
        if (pkt.u.ack.has_code)
            add_field(m, p, p + hdr + 2, 1, NF_F_CODE);
        add_props(m, p, pkt.u.ack.props);
        break;
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        add_field(m, p, p + hdr, 2, NF_F_PID);
        add_props(m, p, pkt.u.subs.props);
        if (pkt.type == MQTT_SUBSCRIBE || pkt.type == MQTT_UNSUBSCRIBE)
            map_list(m, p, pkt.u.subs.list, pkt.type == MQTT_SUBSCRIBE);
        break;
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        if (pkt.u.disconnect.has_code)
            add_field(m, p, p + hdr, 1, NF_F_CODE);
        add_props(m, p, pkt.u.disconnect.props);
        break;
    default:
        break;
    }
}

/* ---- building packets ---- */

typedef struct bld {
    nf_rng *r;
    const nf_gen *g;
    mqtt_version v;
    size_t used;
    nf_case *out;
    bool unheard; /* a PUBLISH to a topic outside every filter of the stream (repeated ones: no deliveries) */
} bld;

static void note(bld *b, const char *what)
{
    size_t len = strlen(b->out->mutation);
    snprintf(b->out->mutation + len, sizeof b->out->mutation - len, "%s%s", len ? ":" : "", what);
}

static uint8_t *take(bld *b, size_t n)
{
    if (n > b->g->arena_cap - b->used)
        return NULL;
    uint8_t *p = b->g->arena + b->used;
    b->used += n;
    return p;
}

static mqtt_bytes view(bld *b, const void *p, size_t n)
{
    uint8_t *d = take(b, n);
    if (!d)
        return (mqtt_bytes){(const uint8_t *)"", 0};
    if (n)
        memcpy(d, p, n);
    return (mqtt_bytes){d, (uint32_t)n};
}

static mqtt_bytes sview(bld *b, const char *s) { return view(b, s, strlen(s)); }

static mqtt_bytes topic_of(bld *b, const char *suffix)
{
    char t[160];
    snprintf(t, sizeof t, "%s/%s", b->g->topic_base, suffix);
    return sview(b, t);
}

typedef struct istr {
    const char *name;
    const char *s;
    size_t n;
} istr;

#define IS(name, lit) {name, lit, sizeof(lit) - 1}
/* Strings every string field gets to meet: invalid UTF-8, U+0000, wildcards, shared-subscription forms. */
static const istr bad_strings[] = {
    IS("empty", ""),
    IS("nul", "\0"),
    IS("nul-inside", "a\0b"),
    IS("utf8-overlong-nul", "\xC0\x80"),
    IS("utf8-surrogate", "\xED\xA0\x80"),
    IS("utf8-ff", "\xFF"),
    IS("utf8-truncated", "a\xE2\x82"),
    IS("utf8-over-max", "\xF4\x90\x80\x80"),
    IS("utf8-continuation", "\x80"),
    IS("utf8-overlong", "\xE0\x80\xAF"),
    IS("noncharacter", "\xEF\xBF\xBF"),
    IS("bom", "\xEF\xBB\xBF" "a"),
    IS("control", "a\x01\x7F"),
    IS("c1-control", "\xC2\x80"),
    IS("plus", "a/+/b"),
    IS("hash", "a/#"),
    IS("hash-alone", "#"),
    IS("plus-alone", "+"),
    IS("hash-middle", "a/#/b"),
    IS("plus-partial", "a+/b"),
    IS("hash-partial", "a#"),
    IS("dollar", "$SYS/x"),
    IS("share", "$share/g/a"),
    IS("share-empty", "$share//a"),
    IS("share-nofilter", "$share/g"),
    IS("share-wild", "$share/+/a"),
    IS("slash", "/"),
    IS("slashes", "//"),
    IS("space", " "),
};
#define N_BAD (sizeof bad_strings / sizeof bad_strings[0])

/* Byte sequences spliced into strings that are already in the packet. */
static const istr bad_seqs[] = {
    IS("nul", "\0"),           IS("utf8-overlong-nul", "\xC0\x80"), IS("utf8-surrogate", "\xED\xB0\x80"),
    IS("utf8-ff", "\xFE"),     IS("utf8-lead", "\xE2"),             IS("utf8-continuation", "\xBF"),
    IS("plus", "+"),           IS("hash", "#"),                     IS("utf8-over-max", "\xF5\x80\x80\x80"),
};
#define N_SEQS (sizeof bad_seqs / sizeof bad_seqs[0])

/* A string field's new value: one of the bad strings (under our topic base half the time) or a long one. */
static mqtt_bytes bad_string(bld *b, bool topicish)
{
    uint32_t k = nf_rng_below(b->r, (uint32_t)N_BAD + 2);
    if (k >= N_BAD) {
        static const uint32_t lens[] = {256, 4096, 20000};
        uint32_t n = lens[nf_rng_below(b->r, 3)];
        uint8_t *d = take(b, n);
        if (!d)
            return (mqtt_bytes){(const uint8_t *)"", 0};
        memset(d, 'a', n);
        note(b, "string:long");
        return (mqtt_bytes){d, n};
    }
    const istr *s = &bad_strings[k];
    char name[40];
    snprintf(name, sizeof name, "string:%s", s->name);
    note(b, name);
    if (topicish && s->n && chance(b->r, 50)) {
        size_t base = strlen(b->g->topic_base);
        uint8_t *d = take(b, base + 1 + s->n);
        if (d) {
            memcpy(d, b->g->topic_base, base);
            d[base] = '/';
            memcpy(d + base + 1, s->s, s->n);
            return (mqtt_bytes){d, (uint32_t)(base + 1 + s->n)};
        }
    }
    return view(b, s->s, s->n);
}

/* ---- properties (5.0) ---- */

static void prop_u(mqtt_writer *w, uint8_t id, uint32_t value)
{
    mqtt_property p = {.id = id, .value = value};
    mqtt_write_property(w, &p);
}

static void prop_s(mqtt_writer *w, uint8_t id, mqtt_bytes s)
{
    mqtt_property p = {.id = id, .data = s};
    mqtt_write_property(w, &p);
}

static void prop_pair(mqtt_writer *w, mqtt_bytes k, mqtt_bytes v)
{
    mqtt_property p = {.id = MQTT_PROP_USER_PROPERTY, .data = k, .value2 = v};
    mqtt_write_property(w, &p);
}

/* Valid properties a packet of this type (MQTT_WILL_PROPS for a Will) may carry. */
static void valid_props(bld *b, mqtt_writer *w, int type)
{
    nf_rng *r = b->r;
    switch (type) {
    case MQTT_CONNECT:
        if (chance(r, 40))
            prop_u(w, MQTT_PROP_SESSION_EXPIRY_INTERVAL, nf_rng_below(r, 30));
        if (chance(r, 40))
            prop_u(w, MQTT_PROP_RECEIVE_MAXIMUM, 1 + nf_rng_below(r, 65535));
        if (chance(r, 20))
            prop_u(w, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, nf_rng_below(r, 11));
        if (chance(r, 20))
            prop_u(w, MQTT_PROP_REQUEST_PROBLEM_INFORMATION, nf_rng_below(r, 2));
        if (chance(r, 20))
            prop_u(w, MQTT_PROP_REQUEST_RESPONSE_INFORMATION, nf_rng_below(r, 2));
        break;
    case MQTT_WILL_PROPS:
        if (chance(r, 40))
            prop_u(w, MQTT_PROP_WILL_DELAY_INTERVAL, nf_rng_below(r, 2));
        if (chance(r, 30))
            prop_u(w, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, nf_rng_below(r, 2));
        if (chance(r, 30))
            prop_s(w, MQTT_PROP_CONTENT_TYPE, sview(b, "text/plain"));
        if (chance(r, 20))
            prop_s(w, MQTT_PROP_RESPONSE_TOPIC, topic_of(b, "r"));
        break;
    case MQTT_PUBLISH:
        if (chance(r, 30))
            prop_u(w, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, nf_rng_below(r, 2));
        if (chance(r, 30))
            prop_u(w, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 1 + nf_rng_below(r, 3600));
        if (chance(r, 20))
            prop_s(w, MQTT_PROP_CONTENT_TYPE, sview(b, "text/plain"));
        if (chance(r, 15))
            prop_s(w, MQTT_PROP_RESPONSE_TOPIC, topic_of(b, "r"));
        if (chance(r, 15))
            prop_s(w, MQTT_PROP_CORRELATION_DATA, sview(b, "\x01\x02"));
        if (chance(r, 3))
            prop_u(w, MQTT_PROP_TOPIC_ALIAS, 1 + nf_rng_below(r, 3));
        break;
    case MQTT_SUBSCRIBE:
        if (chance(r, 15))
            prop_u(w, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 1 + nf_rng_below(r, 1000));
        break;
    case MQTT_AUTH:
        prop_s(w, MQTT_PROP_AUTHENTICATION_METHOD, sview(b, "x"));
        break;
    default:
        if (type != MQTT_UNSUBSCRIBE && chance(r, 20))
            prop_s(w, MQTT_PROP_REASON_STRING, sview(b, "why"));
        break;
    }
    for (uint32_t i = 0, n = chance(r, 20) ? 1 + nf_rng_below(r, 3) : 0; i < n; i++)
        prop_pair(w, sview(b, "k"), sview(b, "v"));
}

/* A value for property id: valid most of the time, out of range (bad) on request. */
static void prop_with_value(bld *b, mqtt_writer *w, uint8_t id, bool bad)
{
    nf_rng *r = b->r;
    uint32_t v = nf_rng_below(r, 1000);
    switch (id) {
    case MQTT_PROP_PAYLOAD_FORMAT_INDICATOR:
    case MQTT_PROP_REQUEST_PROBLEM_INFORMATION:
    case MQTT_PROP_REQUEST_RESPONSE_INFORMATION:
    case MQTT_PROP_RETAIN_AVAILABLE:
    case MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE:
    case MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE:
    case MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE:
        v = bad ? 2 + nf_rng_below(r, 254) : nf_rng_below(r, 2);
        break;
    case MQTT_PROP_MAXIMUM_QOS:
        v = bad ? 2 + nf_rng_below(r, 254) : nf_rng_below(r, 2);
        break;
    case MQTT_PROP_RECEIVE_MAXIMUM:
    case MQTT_PROP_TOPIC_ALIAS:
    case MQTT_PROP_SUBSCRIPTION_IDENTIFIER:
    case MQTT_PROP_MAXIMUM_PACKET_SIZE:
        v = bad ? 0 : 1 + v;
        break;
    default:
        break;
    }
    switch (mqtt_prop_type_of(id)) {
    case MQTT_PT_UTF8:
    case MQTT_PT_BINARY:
        prop_s(w, id, bad ? bad_string(b, id == MQTT_PROP_RESPONSE_TOPIC) : sview(b, "v"));
        break;
    case MQTT_PT_PAIR:
        if (bad && chance(r, 50))
            prop_pair(w, bad_string(b, false), sview(b, "v"));
        else
            prop_pair(w, sview(b, "k"), bad ? bad_string(b, false) : sview(b, "v"));
        break;
    default:
        prop_u(w, id, v);
        break;
    }
}

static const uint8_t all_prop_ids[] = {0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x18, 0x19,
                                       0x1A, 0x1C, 0x1F, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A};
#define N_PROP_IDS (sizeof all_prop_ids / sizeof all_prop_ids[0])

/* Append one property that breaks a rule: unknown or misplaced id, duplicate, bad value, cut short. */
static void bad_prop(bld *b, mqtt_writer *w, int type)
{
    nf_rng *r = b->r;
    switch (nf_rng_below(r, 6)) {
    case 0: { /* an identifier the spec does not define */
        static const uint8_t unknown[] = {0x00, 0x04, 0x05, 0x0A, 0x0C, 0x10, 0x14, 0x1B, 0x1D, 0x20, 0x2B, 0x7F};
        uint8_t id = unknown[nf_rng_below(r, sizeof unknown)];
        uint8_t raw[3] = {id, 0x00, 0x01};
        mqtt_write_bytes(w, raw, 1 + nf_rng_below(r, 3));
        note(b, "prop:unknown-id");
        return;
    }
    case 1: { /* defined, but not allowed in this packet */
        for (int tries = 0; tries < 8; tries++) {
            uint8_t id = all_prop_ids[nf_rng_below(r, (uint32_t)N_PROP_IDS)];
            if (!mqtt_prop_allowed(id, type)) {
                prop_with_value(b, w, id, false);
                note(b, "prop:not-allowed");
                return;
            }
        }
        prop_u(w, MQTT_PROP_SERVER_KEEP_ALIVE, 5);
        note(b, "prop:not-allowed");
        return;
    }
    case 2: { /* twice a property that may appear once */
        uint8_t id = type == MQTT_PUBLISH || type == MQTT_WILL_PROPS ? MQTT_PROP_CONTENT_TYPE : MQTT_PROP_REASON_STRING;
        if (type == MQTT_CONNECT)
            id = MQTT_PROP_SESSION_EXPIRY_INTERVAL;
        if (type == MQTT_SUBSCRIBE)
            id = MQTT_PROP_SUBSCRIPTION_IDENTIFIER;
        prop_with_value(b, w, id, false);
        prop_with_value(b, w, id, false);
        note(b, "prop:duplicate");
        return;
    }
    case 3: { /* a value out of range */
        static const uint8_t ranged[] = {0x01, 0x17, 0x19, 0x21, 0x23, 0x0B, 0x27, 0x24};
        prop_with_value(b, w, ranged[nf_rng_below(r, sizeof ranged)], true);
        note(b, "prop:bad-value");
        return;
    }
    case 4: { /* a string property that is not valid UTF-8 */
        static const uint8_t strs[] = {0x03, 0x08, 0x1F, 0x26};
        prop_with_value(b, w, strs[nf_rng_below(r, sizeof strs)], true);
        return;
    }
    default: { /* the value cut short: the block ends inside it */
        uint8_t raw[2] = {MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 0x00};
        mqtt_write_bytes(w, raw, 1 + nf_rng_below(r, 2));
        note(b, "prop:truncated");
        return;
    }
    }
}

/* A property block for a packet of this type: valid, bad, or a flood of user properties. */
#define PROPS_ROOM (64u << 10)

static mqtt_props props_for(bld *b, int type, unsigned bad_pct)
{
    /* the block's room is taken first: the strings its properties take from the arena come after it */
    uint8_t *buf = take(b, PROPS_ROOM);
    if (!buf)
        return (mqtt_props){NULL, 0};
    mqtt_writer w;
    mqtt_writer_init(&w, buf, PROPS_ROOM);
    bool flood = chance(b->r, 2);
    if (flood) {
        uint32_t n = 1000 + nf_rng_below(b->r, 3000);
        static const uint8_t pair[] = {0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v'};
        for (uint32_t i = 0; i < n && !w.overflow; i++)
            mqtt_write_bytes(&w, pair, sizeof pair);
        note(b, "props:user-property-flood");
    } else {
        valid_props(b, &w, type);
    }
    if (!flood && chance(b->r, bad_pct))
        bad_prop(b, &w, type);
    if (w.overflow)
        return (mqtt_props){NULL, 0};
    return (mqtt_props){buf, (uint32_t)w.len};
}

/* ---- templates ---- */

static uint16_t pid(nf_rng *r) { return (uint16_t)(1 + nf_rng_below(r, 65535)); }

static const char *const topic_words[] = {"a", "b", "x/y", "q/1", "deep/er/t"};

/* A valid topic under our base with thousands of levels: brokers that walk levels recursively have
 * overflowed their stack on such topics (a Topic Name may hold up to 32 767 levels). */
static mqtt_bytes deep_topic(bld *b)
{
    /* base + "/l" per level stays below 65 535 bytes: the base is under 48 bytes (nf_gen.topic_base) */
    static const uint32_t levels[] = {1000, 9000, 20000, 32000};
    uint32_t n = levels[nf_rng_below(b->r, sizeof levels / sizeof levels[0])];
    size_t base = strlen(b->g->topic_base), len = base + 2 * (size_t)n;
    uint8_t *d = take(b, len);
    if (!d)
        return topic_of(b, "a");
    memcpy(d, b->g->topic_base, base);
    for (size_t i = base; i < len; i += 2) {
        d[i] = '/';
        d[i + 1] = 'l';
    }
    char what[32];
    snprintf(what, sizeof what, "deep-topic-%u", (unsigned)n);
    note(b, what);
    return (mqtt_bytes){d, (uint32_t)len};
}
static const char *const filter_words[] = {"a", "+", "#", "+/y", "x/+", "q/#", "b"};

static mqtt_bytes payload(bld *b)
{
    uint32_t n = chance(b->r, 10) ? nf_rng_below(b->r, 1500) : nf_rng_below(b->r, 24);
    uint8_t *d = take(b, n);
    if (!d)
        return (mqtt_bytes){(const uint8_t *)"", 0};
    for (uint32_t i = 0; i < n; i++)
        d[i] = (uint8_t)('a' + nf_rng_below(b->r, 26));
    return (mqtt_bytes){d, n};
}

/* A Will with exactly one property, each Will property in turn, its value valid or not: brokers have
 * leaked or crashed on one will property alone. */
static void will_single_property(bld *b, mqtt_connect *c)
{
    static const uint8_t will_ids[] = {MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL,
                                       MQTT_PROP_CONTENT_TYPE,             MQTT_PROP_RESPONSE_TOPIC,
                                       MQTT_PROP_CORRELATION_DATA,         MQTT_PROP_WILL_DELAY_INTERVAL,
                                       MQTT_PROP_USER_PROPERTY};
    uint8_t id = will_ids[nf_rng_below(b->r, sizeof will_ids)];
    bool bad = chance(b->r, 50);
    uint8_t *buf = take(b, PROPS_ROOM);
    if (!buf)
        return;
    mqtt_writer w;
    mqtt_writer_init(&w, buf, PROPS_ROOM);
    prop_with_value(b, &w, id, bad);
    if (w.overflow)
        return;
    c->will = true;
    c->will_topic = topic_of(b, "will");
    c->will_payload = sview(b, "gone");
    c->will_props = (mqtt_props){buf, (uint32_t)w.len};
    char what[40];
    snprintf(what, sizeof what, "will:one-property-%02x%s", id, bad ? "-bad" : "");
    note(b, what);
}

static void tmpl_connect(bld *b, mqtt_packet *pkt, bool mutate)
{
    nf_rng *r = b->r;
    mqtt_connect *c = &pkt->u.connect;
    c->protocol_level = (uint8_t)b->v;
    c->clean_start = !chance(r, 10);
    c->keep_alive = chance(r, 80) ? 60 : (uint16_t)nf_rng_below(r, 65536);
    char id[40];
    snprintf(id, sizeof id, "%sc", b->g->client_id);
    c->client_id = sview(b, id);
    if (chance(r, 30)) {
        c->will = true;
        c->will_topic = topic_of(b, "will");
        c->will_payload = sview(b, "gone");
        c->will_qos = (uint8_t)nf_rng_below(r, 3);
        c->will_retain = chance(r, 10);
    }
    if (chance(r, 20)) {
        c->has_username = true;
        c->username = sview(b, "user");
        if (chance(r, 60)) {
            c->has_password = true;
            c->password = sview(b, "pw");
        }
    }
    if (b->v == MQTT_V5) {
        c->props = props_for(b, MQTT_CONNECT, mutate ? 20 : 0);
        if (c->will)
            c->will_props = props_for(b, MQTT_WILL_PROPS, mutate ? 20 : 0);
    }
    if (!mutate)
        return;
    switch (nf_rng_below(r, b->v == MQTT_V5 ? 11 : 10)) {
    case 10:
        will_single_property(b, c);
        break;
    case 0:
        c->flags |= 0x01;
        note(b, "connect:reserved-flag");
        break;
    case 1:
        c->will = false;
        c->will_qos = (uint8_t)(1 + nf_rng_below(r, 3));
        c->will_retain = chance(r, 50);
        note(b, "connect:will-flags-without-will");
        break;
    case 2:
        c->will = true;
        c->will_topic = topic_of(b, "will");
        c->will_payload = sview(b, "gone");
        c->will_qos = 3;
        note(b, "connect:will-qos-3");
        break;
    case 3:
        c->has_username = false;
        c->has_password = true;
        c->password = sview(b, "pw");
        note(b, "connect:password-without-username");
        break;
    case 4: {
        static const istr names[] = {IS("MQIsdp", "MQIsdp"), IS("MQTX", "MQTX"), IS("mqtt", "mqtt"),
                                     IS("MQTT-nul", "MQTT\0"), IS("empty", ""), IS("MQTTMQTT", "MQTTMQTT")};
        const istr *n = &names[nf_rng_below(r, sizeof names / sizeof names[0])];
        c->protocol_name = view(b, n->s, n->n);
        if (chance(r, 30))
            c->protocol_level = (uint8_t)(3 + nf_rng_below(r, 3));
        note(b, "connect:protocol-name");
        break;
    }
    case 5: {
        static const uint8_t levels[] = {0, 1, 2, 3, 6, 7, 0x84, 0xFF};
        c->protocol_level = levels[nf_rng_below(r, sizeof levels)];
        if (c->protocol_level == 0)
            c->protocol_level = 0x80; /* 0 would mean "the version" to the encoder */
        note(b, "connect:protocol-level");
        break;
    }
    case 6:
        c->client_id = bad_string(b, false);
        if (chance(r, 40)) {
            c->client_id = sview(b, "");
            c->clean_start = false;
            note(b, "connect:empty-client-id-persistent");
        }
        break;
    case 7:
        c->will = true;
        c->will_topic = bad_string(b, true);
        c->will_payload = sview(b, "gone");
        if (b->v == MQTT_V5 && !c->will_props.ptr)
            c->will_props = props_for(b, MQTT_WILL_PROPS, 0);
        note(b, "will-topic");
        break;
    case 8:
        c->has_username = true;
        c->username = bad_string(b, false);
        note(b, "username");
        break;
    default:
        if (b->v == MQTT_V5) {
            c->will = true;
            c->will_topic = topic_of(b, "will");
            c->will_payload = sview(b, "gone");
            c->will_props = props_for(b, MQTT_WILL_PROPS, 100);
            note(b, "will-properties");
        } else {
            c->keep_alive = (uint16_t)nf_rng_below(r, 65536);
            note(b, "connect:keep-alive");
        }
        break;
    }
}

/* An entry of a flood of filters: each its own, matching no topic we publish or retain.  Wildcards here
 * would bring back every retained message once per entry (MQTT-3.8.4-3), thousands of deliveries a broker
 * may rightly end with its queue bound. */
static mqtt_bytes flood_filter(bld *b, unsigned i)
{
    char t[24];
    snprintf(t, sizeof t, "flood/%u", i);
    return topic_of(b, t);
}

/* The entries are written into a buffer of their own, so strings taken from the arena meanwhile stay intact. */
static mqtt_list make_list(bld *b, bool subscribe, unsigned count, bool bad)
{
    /* Reserve the space first, then build the entry strings after it. */
    size_t room = count * 64 + 70000; /* a deep filter takes up to 64 KiB */
    if (room > b->g->arena_cap - b->used)
        return (mqtt_list){NULL, 0, 0};
    uint8_t *buf = take(b, room);
    size_t mark = b->used;
    mqtt_writer w;
    mqtt_writer_init(&w, buf, room);
    unsigned bad_at = bad ? nf_rng_below(b->r, count) : count;
    for (unsigned i = 0; i < count && !w.overflow; i++) {
        b->used = mark; /* entry strings are copied into the list: their scratch is reused */
        mqtt_bytes f = i == bad_at             ? bad_string(b, true)
                       : count < 4 && chance(b->r, 1) ? deep_topic(b)
                       : count > 100                  ? flood_filter(b, i)
                                                      : topic_of(b, filter_words[nf_rng_below(b->r, 7)]);
        int opts = -1;
        if (subscribe) {
            opts = (int)nf_rng_below(b->r, 3);
            if (b->v == MQTT_V5)
                opts |= (int)(nf_rng_below(b->r, 4) << 2) | (int)(nf_rng_below(b->r, 3) << 4);
        }
        mqtt_write_sub_entry(&w, f, opts);
    }
    if (w.overflow)
        return (mqtt_list){NULL, 0, 0};
    return (mqtt_list){buf, (uint32_t)w.len, count};
}

static void tmpl_publish(bld *b, mqtt_packet *pkt, bool mutate)
{
    nf_rng *r = b->r;
    mqtt_publish *p = &pkt->u.publish;
    p->qos = (uint8_t)nf_rng_below(r, 3);
    p->retain = chance(r, 5);
    p->dup = p->qos && chance(r, 10);
    p->topic = topic_of(b, topic_words[nf_rng_below(r, 5)]);
    if (b->unheard) {
        char t[80];
        snprintf(t, sizeof t, "mqsfz-unheard/%s", b->g->topic_base);
        p->topic = sview(b, t);
        /* a subscription to "#" (a valid filter the fuzzer makes) hears it anyway: QoS 2 resends of one id
         * are delivered once; QoS 0 deliveries a broker may drop; repeated QoS 1 would be new messages */
        if (p->qos == 1)
            p->qos = 2;
    } else if (chance(r, 1)) { /* never retained: every later wildcard subscription of the stream would get it again */
        p->topic = deep_topic(b);
        p->retain = false;
    }
    p->packet_id = pid(r);
    p->payload = p->retain && chance(r, 80) ? sview(b, "") : payload(b);
    if (b->v == MQTT_V5)
        p->props = props_for(b, MQTT_PUBLISH, mutate ? 25 : 0);
    if (!mutate)
        return;
    switch (nf_rng_below(r, 8)) {
    case 0:
    case 1:
    case 2:
        p->topic = bad_string(b, true);
        break;
    case 3:
        pkt->flags_override = true;
        pkt->flags = (uint8_t)(0x06 | nf_rng_below(r, 2) << 3 | nf_rng_below(r, 2));
        note(b, "publish:qos-3");
        break;
    case 4:
        p->qos = 0;
        p->dup = true;
        note(b, "publish:dup-on-qos0");
        break;
    case 5:
        p->qos = (uint8_t)(1 + nf_rng_below(r, 2));
        p->packet_id = 0;
        note(b, "publish:packet-id-0");
        break;
    case 6:
        p->topic = sview(b, "");
        note(b, "publish:empty-topic");
        break;
    default:
        if (b->v == MQTT_V5) {
            /* a Subscription Identifier (server to client only) or a Topic Alias of 0 */
            uint8_t *buf = take(b, p->props.len + 16);
            mqtt_writer w;
            mqtt_writer_init(&w, buf, buf ? p->props.len + 16 : 0);
            mqtt_write_bytes(&w, p->props.ptr, p->props.len);
            if (chance(r, 50)) {
                prop_u(&w, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 1 + nf_rng_below(r, 100));
                note(b, "publish:subscription-identifier");
            } else {
                prop_u(&w, MQTT_PROP_TOPIC_ALIAS, 0);
                note(b, "publish:topic-alias-0");
            }
            if (buf && !w.overflow)
                p->props = (mqtt_props){buf, (uint32_t)w.len};
        } else {
            p->qos = 2;
            p->packet_id = 1; /* the same id again and again: QoS 2 ids never released */
            note(b, "publish:qos2-id-reuse");
        }
        break;
    }
}

static void tmpl_subs(bld *b, mqtt_packet *pkt, bool mutate)
{
    nf_rng *r = b->r;
    bool sub = pkt->type == MQTT_SUBSCRIBE;
    mqtt_subs *s = &pkt->u.subs;
    s->packet_id = pid(r);
    unsigned count = 1 + nf_rng_below(r, 3);
    unsigned what = mutate ? nf_rng_below(r, 8) : 99;
    if (what == 5) {
        count = chance(r, 50) ? 0 : 200 + nf_rng_below(r, 1800);
        note(b, count ? "list:flood" : "list:empty");
    }
    if (b->v == MQTT_V5)
        s->props = props_for(b, pkt->type, what == 6 ? 100 : 0);
    s->list = make_list(b, sub, count, what <= 2);
    if (what == 3) {
        s->packet_id = 0;
        note(b, "packet-id-0");
    } else if (what == 4 && sub && s->list.len) {
        /* options byte of the last entry: reserved bits, QoS 3, Retain Handling 3 */
        uint8_t *o = (uint8_t *)s->list.ptr + s->list.len - 1;
        static const uint8_t bad_opts[] = {0x03, 0x40, 0x80, 0xC0, 0x30, 0x33, 0xFF};
        *o = bad_opts[nf_rng_below(r, sizeof bad_opts)];
        note(b, "subscribe:options");
    } else if (what == 7 && sub && b->v == MQTT_V5) {
        /* No Local on a shared subscription */
        uint8_t *buf = take(b, 64);
        if (buf) {
            mqtt_writer w;
            mqtt_writer_init(&w, buf, 64);
            mqtt_write_sub_entry(&w, sview(b, "$share/g/mqsfz"), 0x04 | (int)nf_rng_below(r, 3));
            s->list = (mqtt_list){buf, (uint32_t)w.len, 1};
        }
        note(b, "subscribe:no-local-shared");
    } else if (what == 7) {
        pkt->flags_override = true;
        pkt->flags = (uint8_t)nf_rng_below(r, 16);
        note(b, "flags");
    }
}

static void tmpl_ack(bld *b, mqtt_packet *pkt, bool mutate)
{
    nf_rng *r = b->r;
    mqtt_ack *a = &pkt->u.ack;
    /* above the ids a broker gives its own deliveries on short-lived sessions: an ack of ours for one of
     * those (a PUBACK for a QoS 2 delivery) is a protocol error no codec can see */
    a->packet_id = (uint16_t)(32768 + nf_rng_below(r, 32768));
    if (b->v == MQTT_V5 && chance(r, 50)) {
        static const uint8_t ok_codes[] = {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99};
        a->code = pkt->type == MQTT_PUBREL || pkt->type == MQTT_PUBCOMP ? (chance(r, 50) ? 0x92 : 0x00)
                                                                        : ok_codes[nf_rng_below(r, sizeof ok_codes)];
        a->has_code = true;
        if (chance(r, 30)) {
            a->props = props_for(b, pkt->type, 0);
            a->has_props = true;
        }
    }
    if (!mutate)
        return;
    switch (nf_rng_below(r, 4)) {
    case 0:
        a->packet_id = 0;
        note(b, "packet-id-0");
        break;
    case 1:
        if (b->v == MQTT_V5) {
            a->code = (uint8_t)nf_rng_below(r, 256);
            a->has_code = true;
            note(b, "reason-code");
            break;
        }
        /* fall through */
    case 2:
        pkt->flags_override = true;
        pkt->flags = (uint8_t)nf_rng_below(r, 16);
        note(b, "flags");
        break;
    default:
        if (b->v == MQTT_V5) {
            a->has_code = a->has_props = true;
            a->props = props_for(b, pkt->type, 100);
        } else {
            pkt->flags_override = true;
            pkt->flags = pkt->type == MQTT_PUBREL ? 0 : 2;
            note(b, "flags");
        }
        break;
    }
}

/* Reason codes a server sends: every defined one per packet, and an undefined one now and then. */
static const uint8_t connack_codes[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86,
                                        0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D,
                                        0x9F};
static const uint8_t suback_codes[] = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
static const uint8_t unsuback_codes[] = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};

static uint8_t server_code(nf_rng *r, const uint8_t *codes, size_t n)
{
    return chance(r, 10) ? (uint8_t)nf_rng_below(r, 256) : codes[nf_rng_below(r, (uint32_t)n)];
}

/* A packet only a server sends, sent by us (the client): with each reason code, Session Present either way. */
static void tmpl_server_only(bld *b, mqtt_packet *pkt)
{
    nf_rng *r = b->r;
    mqtt_props none = {(const uint8_t *)"", 0};
    switch (pkt->type) {
    case MQTT_CONNACK:
        pkt->u.connack.flags = (uint8_t)chance(r, 30);
        pkt->u.connack.code = server_code(r, connack_codes, sizeof connack_codes);
        if (b->v == MQTT_V5)
            pkt->u.connack.props = chance(r, 30) ? props_for(b, MQTT_CONNACK, 0) : none;
        break;
    case MQTT_SUBACK:
    case MQTT_UNSUBACK: {
        bool sub = pkt->type == MQTT_SUBACK;
        pkt->u.subs.packet_id = pid(r);
        if (b->v == MQTT_V5)
            pkt->u.subs.props = chance(r, 30) ? props_for(b, pkt->type, 0) : none;
        if (!sub && b->v != MQTT_V5)
            break; /* a 3.1.1 UNSUBACK has no payload */
        uint8_t *code = take(b, 1);
        if (code) {
            *code = sub ? server_code(r, suback_codes, sizeof suback_codes)
                        : server_code(r, unsuback_codes, sizeof unsuback_codes);
            pkt->u.subs.list = (mqtt_list){code, 1, 1};
        }
        break;
    }
    default:
        break;
    }
    note(b, "server-only");
}

static void tmpl_disconnect(bld *b, mqtt_packet *pkt, bool mutate)
{
    nf_rng *r = b->r;
    mqtt_disconnect *d = &pkt->u.disconnect;
    if (b->v == MQTT_V5) {
        if (pkt->type == MQTT_AUTH) {
            d->code = 0x18;
            d->has_code = d->has_props = true;
            d->props = props_for(b, MQTT_AUTH, 0);
        } else if (chance(r, 40)) {
            static const uint8_t codes[] = {0x00, 0x04, 0x80, 0x81, 0x83, 0x93};
            d->code = codes[nf_rng_below(r, sizeof codes)];
            d->has_code = true;
        }
        if (mutate && chance(r, 50)) {
            d->code = (uint8_t)nf_rng_below(r, 256);
            d->has_code = true;
            note(b, "reason-code");
            return;
        }
    }
    if (mutate) {
        pkt->flags_override = true;
        pkt->flags = (uint8_t)(1 + nf_rng_below(r, 15));
        note(b, "flags");
    }
}

/* ---- byte-level mutations of the encoded packet ---- */

static const nf_field *pick_field(bld *b, const nf_fmap *m, uint8_t kind)
{
    int idx[NF_MAX_FIELDS], n = 0;
    for (int i = 0; i < m->n; i++)
        if (m->f[i].kind == kind)
            idx[n++] = i;
    return n ? &m->f[idx[nf_rng_below(b->r, (uint32_t)n)]] : NULL;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Field-aware: change a field found by decoding the packet. false if no such field. */
static bool field_op(bld *b, nf_case *c, const nf_fmap *m)
{
    nf_rng *r = b->r;
    const nf_field *f;
    switch (nf_rng_below(r, 7)) {
    case 0: /* a string's length prefix */
        if (!(f = pick_field(b, m, NF_F_STR)))
            return false;
        {
            uint32_t choices[5] = {0, 0xFFFF, f->len + 1, f->len ? f->len - 1 : 1, f->len + (uint32_t)c->len};
            put16(c->bytes + f->off, choices[nf_rng_below(r, 5)] & 0xFFFF);
        }
        note(b, "len16");
        return true;
    case 1:
    case 2: { /* bad bytes spliced into a string (its length and the remaining length follow) */
        if (!(f = pick_field(b, m, NF_F_STR)))
            return false;
        const istr *s = &bad_seqs[nf_rng_below(r, (uint32_t)N_SEQS)];
        size_t at = f->off + 2 + (f->len ? nf_rng_below(r, f->len + 1) : 0);
        bool replace = f->len && at < f->off + 2u + f->len && chance(r, 50);
        size_t del = replace ? 1 : 0;
        size_t n = nf_splice(c->bytes, c->len, NF_CASE_CAP, at, del, (const uint8_t *)s->s, s->n);
        if (n == c->len && s->n != del)
            return false;
        c->len = n;
        put16(c->bytes + f->off, (f->len - (uint32_t)del + (uint32_t)s->n) & 0xFFFF);
        c->len = nf_fix_rl(c->bytes, c->len, NF_CASE_CAP);
        char name[40];
        snprintf(name, sizeof name, "str:%s", s->name);
        note(b, name);
        return true;
    }
    case 3: { /* a property identifier */
        if (!(f = pick_field(b, m, NF_F_PROPID)))
            return false;
        c->bytes[f->off] = chance(r, 50) ? all_prop_ids[nf_rng_below(r, (uint32_t)N_PROP_IDS)]
                                         : (uint8_t)nf_rng_below(r, 256);
        note(b, "prop-id");
        return true;
    }
    case 4: { /* a property length */
        if (!(f = pick_field(b, m, NF_F_PROPS)))
            return false;
        uint8_t v = c->bytes[f->off];
        static const int deltas[] = {1, -1, 2, 64};
        int nv = chance(r, 25) ? 0 : (int)v + deltas[nf_rng_below(r, 4)];
        c->bytes[f->off] = (uint8_t)(nv < 0 ? 0 : nv);
        note(b, "prop-len");
        return true;
    }
    case 5: { /* options byte, packet id, reason code or flags byte */
        static const uint8_t kinds[] = {NF_F_OPTS, NF_F_PID, NF_F_CODE, NF_F_FLAGS};
        uint8_t kind = kinds[nf_rng_below(r, 4)];
        if (!(f = pick_field(b, m, kind)))
            return false;
        if (kind == NF_F_PID)
            put16(c->bytes + f->off, chance(r, 70) ? 0 : nf_rng_below(r, 65536));
        else
            c->bytes[f->off] = (uint8_t)nf_rng_below(r, 256);
        note(b, kind == NF_F_OPTS ? "options" : kind == NF_F_PID ? "packet-id" : kind == NF_F_CODE ? "code" : "flag-byte");
        return true;
    }
    default: { /* the type / flags nibbles */
        if (chance(r, 50)) {
            c->bytes[0] = (uint8_t)(nf_rng_below(r, 16) << 4 | (c->bytes[0] & 0x0F));
            note(b, "type");
        } else {
            c->bytes[0] = (uint8_t)((c->bytes[0] & 0xF0) | nf_rng_below(r, 16));
            note(b, "flags");
        }
        return true;
    }
    }
}

/* Remaining-length encodings: non-minimal, five bytes, beyond the maximum, more or less than the body. */
static void rl_op(bld *b, nf_case *c)
{
    nf_rng *r = b->r;
    size_t hdr;
    uint32_t rl = nf_read_rl(c->bytes, c->len, &hdr);
    uint8_t v[6];
    size_t k = 0;
    switch (nf_rng_below(r, 7)) {
    case 0: { /* the same value in more bytes than needed */
        unsigned want = mqtt_varint_size(rl) + 1 + nf_rng_below(r, 4 - (mqtt_varint_size(rl) < 4 ? mqtt_varint_size(rl) : 3));
        if (want > 4)
            want = 4;
        uint32_t x = rl;
        for (k = 0; k < want; k++) {
            v[k] = (uint8_t)(x & 0x7F);
            x >>= 7;
            if (k + 1 < want)
                v[k] |= 0x80;
        }
        note(b, "rl-nonminimal");
        break;
    }
    case 1: /* five bytes */
        memcpy(v, "\xFF\xFF\xFF\xFF\x01", 5);
        k = 5;
        note(b, "rl-5-bytes");
        break;
    case 2: /* four bytes all with the continuation bit: never ends */
        memcpy(v, "\x80\x80\x80\x80", 4);
        k = 4;
        note(b, "rl-overflow");
        break;
    case 3: /* the maximum, with a short body */
        memcpy(v, "\xFF\xFF\xFF\x7F", 4);
        k = 4;
        note(b, "rl-huge");
        break;
    default: { /* off by a little */
        static const int deltas[] = {1, -1, 2, -2, 100};
        int d = deltas[nf_rng_below(r, 5)];
        uint32_t x = (uint32_t)((int64_t)rl + d < 0 ? 0 : (int64_t)rl + d);
        do {
            v[k] = (uint8_t)(x & 0x7F);
            x >>= 7;
            if (x)
                v[k] |= 0x80;
            k++;
        } while (x && k < 4);
        note(b, d > 0 ? "rl-longer" : "rl-shorter");
        break;
    }
    }
    c->len = nf_splice(c->bytes, c->len, NF_CASE_CAP, 1, hdr - 1, v, k);
}

/* Raw bytes: flips, interesting values, truncation, duplication, junk. */
static void raw_op(bld *b, nf_case *c)
{
    nf_rng *r = b->r;
    if (c->len < 2)
        return;
    size_t hdr;
    nf_read_rl(c->bytes, c->len, &hdr);
    switch (nf_rng_below(r, 6)) {
    case 0: {
        size_t at = nf_rng_below(r, (uint32_t)c->len);
        c->bytes[at] ^= (uint8_t)(1u << nf_rng_below(r, 8));
        note(b, "flip");
        break;
    }
    case 1: {
        static const uint8_t vals[] = {0x00, 0xFF, 0x7F, 0x80, 0xC0, 0x2B, 0x23, 0x01, 0xFE};
        size_t at = nf_rng_below(r, (uint32_t)c->len);
        c->bytes[at] = vals[nf_rng_below(r, sizeof vals)];
        note(b, "byte");
        break;
    }
    case 2: { /* cut the end off; half the time the remaining length follows */
        size_t keep = 1 + nf_rng_below(r, (uint32_t)c->len - 1);
        c->len = keep;
        if (chance(r, 50) && keep > hdr) {
            c->len = nf_fix_rl(c->bytes, c->len, NF_CASE_CAP);
            note(b, "truncate-rl");
        } else {
            note(b, "truncate");
        }
        break;
    }
    case 3: { /* duplicate a range of the body */
        if (c->len <= hdr)
            break;
        size_t a = hdr + nf_rng_below(r, (uint32_t)(c->len - hdr));
        size_t l = 1 + nf_rng_below(r, (uint32_t)(c->len - a));
        uint8_t tmp[256];
        if (l > sizeof tmp)
            l = sizeof tmp;
        memcpy(tmp, c->bytes + a, l);
        c->len = nf_splice(c->bytes, c->len, NF_CASE_CAP, a, 0, tmp, l);
        c->len = nf_fix_rl(c->bytes, c->len, NF_CASE_CAP);
        note(b, "duplicate");
        break;
    }
    case 4: { /* trailing junk, counted in the remaining length or not */
        uint8_t junk[16];
        size_t l = 1 + nf_rng_below(r, sizeof junk);
        for (size_t i = 0; i < l; i++)
            junk[i] = (uint8_t)nf_rng_below(r, 256);
        c->len = nf_splice(c->bytes, c->len, NF_CASE_CAP, c->len, 0, junk, l);
        if (chance(r, 70)) {
            c->len = nf_fix_rl(c->bytes, c->len, NF_CASE_CAP);
            note(b, "append-rl");
        } else {
            note(b, "append");
        }
        break;
    }
    default: { /* remove a range of the body, remaining length fixed */
        if (c->len <= hdr)
            break;
        size_t a = hdr + nf_rng_below(r, (uint32_t)(c->len - hdr));
        size_t l = 1 + nf_rng_below(r, (uint32_t)(c->len - a));
        c->len = nf_splice(c->bytes, c->len, NF_CASE_CAP, a, l, NULL, 0);
        c->len = nf_fix_rl(c->bytes, c->len, NF_CASE_CAP);
        note(b, "remove");
        break;
    }
    }
}

/* ---- the generator ---- */

int nf_gen_init(nf_gen *g, uint64_t seed, unsigned stream, mqtt_version version)
{
    memset(g, 0, sizeof *g);
    g->seed = seed;
    g->stream = stream;
    g->version = version;
    g->first_connect_pct = 4;
    snprintf(g->client_id, sizeof g->client_id, "mqsfz%08x%u", (unsigned)(seed & 0xFFFFFFFFu), stream);
    snprintf(g->topic_base, sizeof g->topic_base, "mqsfz/%08x/%u", (unsigned)(seed & 0xFFFFFFFFu), stream);
    g->arena_cap = 1u << 20;
    g->arena = malloc(g->arena_cap);
    return g->arena ? 0 : -1;
}

void nf_gen_free(nf_gen *g)
{
    nf_sessions_free(g);
    free(g->arena);
    g->arena = NULL;
}

size_t nf_gen_connect(const nf_gen *g, const char *suffix, uint8_t *buf, size_t cap)
{
    char id[48];
    snprintf(id, sizeof id, "%s%s", g->client_id, suffix ? suffix : "");
    mqtt_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = MQTT_CONNECT;
    pkt.u.connect.protocol_level = (uint8_t)g->version;
    pkt.u.connect.clean_start = true;
    pkt.u.connect.keep_alive = 60;
    pkt.u.connect.client_id = (mqtt_bytes){(const uint8_t *)id, (uint32_t)strlen(id)};
    pkt.u.connect.props = (mqtt_props){(const uint8_t *)"", 0};
    return mqtt_encode(&pkt, g->version, buf, cap);
}

/* Packet types and their weights (per 1000) for cases after the CONNECT. */
static const struct {
    uint8_t type;
    unsigned weight;
} type_weights[] = {
    {MQTT_PUBLISH, 330},     {MQTT_SUBSCRIBE, 120}, {MQTT_UNSUBSCRIBE, 80}, {MQTT_PUBACK, 40},
    {MQTT_PUBREC, 40},       {MQTT_PUBREL, 50},     {MQTT_PUBCOMP, 30},     {MQTT_PINGREQ, 60},
    {MQTT_DISCONNECT, 20},   {MQTT_CONNECT, 20},    {MQTT_CONNACK, 25},     {MQTT_SUBACK, 25},
    {MQTT_UNSUBACK, 15},     {MQTT_PINGRESP, 25},   {MQTT_AUTH, 15},        {0, 25}, /* 0: reserved types */
    {MQTT_PUBLISH + 16, 80}, /* a plain valid PUBLISH, for throughput and state */
};

static uint8_t pick_type(nf_rng *r, mqtt_version v)
{
    unsigned total = 0;
    for (size_t i = 0; i < sizeof type_weights / sizeof type_weights[0]; i++)
        total += type_weights[i].weight;
    for (;;) {
        unsigned x = nf_rng_below(r, total);
        for (size_t i = 0; i < sizeof type_weights / sizeof type_weights[0]; i++) {
            if (x < type_weights[i].weight) {
                uint8_t t = type_weights[i].type;
                if (t == MQTT_AUTH && v != MQTT_V5)
                    break; /* pick again */
                return t;
            }
            x -= type_weights[i].weight;
        }
    }
}

/* A valid packet sent many times over in one case: QoS 2 resends before PUBREL, pings or PUBRELs in a row
 * (state that grows with repetition is where brokers leak).  At most 1000 times: a replay's engine records
 * 2000 packets per case (docs/robustness.md); a connection's later cases repeat again.
 * Not SUBSCRIBE: each one brings the retained messages again, an amplification the fuzzer cannot drain. */
static void repeat_op(bld *b, nf_case *c)
{
    static const uint32_t times[] = {2, 3, 10, 50, 200, 1000};
    uint32_t k = times[nf_rng_below(b->r, sizeof times / sizeof times[0])];
    if (c->len == 0)
        return;
    if (k > NF_CASE_CAP / c->len)
        k = (uint32_t)(NF_CASE_CAP / c->len);
    if (k < 2)
        return;
    for (uint32_t i = 1; i < k; i++)
        memcpy(c->bytes + i * c->len, c->bytes, c->len);
    c->len *= k;
    char what[24];
    snprintf(what, sizeof what, "repeat-%u", (unsigned)k);
    note(b, what);
}

static bool repeatable(uint8_t type)
{
    return type == MQTT_PUBLISH || type == MQTT_UNSUBSCRIBE || type == MQTT_PUBREL || type == MQTT_PINGREQ;
}

static void session_case(bld *b, nf_case *out);

/* may_first: the case may be a connection's first packet (a CONNECT or a session case). */
static void build_case(bld *b, nf_case *out, bool may_first)
{
    nf_rng *r = b->r;
    if (may_first && b->g->nsessions && chance(r, SESSION_PCT)) {
        session_case(b, out);
        return;
    }
    mqtt_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    bool first = may_first && chance(r, b->g->first_connect_pct);
    uint8_t type = first ? MQTT_CONNECT : pick_type(r, b->v);
    bool plain = type == MQTT_PUBLISH + 16;
    if (plain)
        type = MQTT_PUBLISH;
    bool reserved = type == 0;
    if (reserved)
        type = MQTT_PINGREQ;
    /* How: 0 none, 1 fields before encoding, 2 fields/bytes after, 3 both */
    unsigned how = plain ? 0 : nf_rng_below(r, 100) < 30 ? 0 : nf_rng_below(r, 100) < 55 ? 1 : chance(r, 75) ? 2 : 3;
    if (first && !how && chance(r, 50))
        how = 1;
    /* repeated PUBLISHes go where no subscription of ours hears them: else each brings back a delivery
     * per matching subscription, a flood the broker may rightly end (its session's queue bound) */
    bool repeat = how == 0 && !first && !reserved && repeatable(type) && chance(r, 4);
    b->unheard = repeat && type == MQTT_PUBLISH;
    pkt.type = type;
    out->first_connect = first;
    out->template_type = type;
    note(b, mqtt_packet_type_name(type));
    bool fields = how == 1 || how == 3;
    switch (type) {
    case MQTT_CONNECT:
        if (!first)
            note(b, "second");
        tmpl_connect(b, &pkt, fields);
        break;
    case MQTT_PUBLISH:
        tmpl_publish(b, &pkt, fields);
        break;
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
        tmpl_subs(b, &pkt, fields);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        tmpl_ack(b, &pkt, fields);
        break;
    case MQTT_CONNACK:
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
    case MQTT_PINGRESP:
        tmpl_server_only(b, &pkt);
        break;
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        tmpl_disconnect(b, &pkt, fields);
        break;
    default: /* PINGREQ */
        if (fields) {
            pkt.flags_override = true;
            pkt.flags = (uint8_t)(1 + nf_rng_below(r, 15));
            note(b, "flags");
        }
        break;
    }
    out->len = mqtt_encode(&pkt, b->v, out->bytes, NF_CASE_CAP);
    if (out->len == 0) { /* too big to represent: fall back to a PINGREQ with a lying length */
        memcpy(out->bytes, "\xC0\x02\x00\x00", 4);
        out->len = 4;
        note(b, "unencodable");
    }
    if (reserved) {
        out->bytes[0] = (uint8_t)((chance(r, 50) ? 0x00 : 0xF0) | nf_rng_below(r, 16));
        if (chance(r, 50))
            out->len = nf_splice(out->bytes, out->len, NF_CASE_CAP, out->len, 0, (const uint8_t *)"\x00\x01", 2);
        out->len = nf_fix_rl(out->bytes, out->len, NF_CASE_CAP);
        note(b, "reserved-type");
    }
    if (repeat)
        repeat_op(b, out);
    if (how >= 2) {
        unsigned ops = chance(r, 80) ? 1 : 2;
        for (unsigned i = 0; i < ops; i++) {
            nf_fmap map;
            unsigned k = nf_rng_below(r, 100);
            nf_map_fields(out->bytes, out->len, b->v, &map);
            if (k < 55 && map.n && field_op(b, out, &map))
                continue;
            if (k < 70)
                rl_op(b, out);
            else
                raw_op(b, out);
        }
    }
}

/* ---- session cases: a scenario's connection cut short, its packets in another order, then a case ---- */

typedef struct seq_item {
    uint16_t pk;    /* index into the session's packets */
    uint16_t times; /* sent this many times in a row */
} seq_item;

enum { SEQ_MAX = 256 };

/* Mutate the sequence after its CONNECT (item 0): duplicate, drop, swap with the next, repeat. */
static void sequence_op(bld *b, seq_item *it, size_t *n)
{
    static const uint16_t times[] = {2, 3, 10, 50, 200, 1000};
    if (*n < 2)
        return;
    size_t i = 1 + nf_rng_below(b->r, (uint32_t)(*n - 1));
    switch (nf_rng_below(b->r, 5)) {
    case 0:
        if (*n == SEQ_MAX)
            return;
        memmove(it + i + 1, it + i, (*n - i) * sizeof *it);
        (*n)++;
        note(b, "dup");
        return;
    case 1:
        memmove(it + i, it + i + 1, (*n - i - 1) * sizeof *it);
        (*n)--;
        note(b, "drop");
        return;
    case 2:
        if (i + 1 == *n)
            return;
        seq_item t = it[i];
        it[i] = it[i + 1];
        it[i + 1] = t;
        note(b, "swap");
        return;
    case 3:
        it[i].times = times[nf_rng_below(b->r, sizeof times / sizeof times[0])];
        note(b, "repeat");
        return;
    default:
        return;
    }
}

/* Append the sequence's packets to out, as many as fit. */
static void sequence_write(const nf_session *s, const seq_item *it, size_t n, nf_case *out)
{
    for (size_t i = 0; i < n; i++) {
        const nf_bytes *p = &s->pk[it[i].pk];
        for (unsigned t = 0; t < it[i].times && p->n <= NF_CASE_CAP - out->len; t++) {
            memcpy(out->bytes + out->len, p->p, p->n);
            out->len += p->n;
        }
    }
}

static void session_case(bld *b, nf_case *out)
{
    const nf_gen *g = b->g;
    const nf_session *s = &g->sessions[nf_rng_below(b->r, (uint32_t)g->nsessions)];
    size_t keep = 1 + nf_rng_below(b->r, (uint32_t)(s->npk < SEQ_MAX ? s->npk : SEQ_MAX));
    seq_item it[SEQ_MAX];
    for (size_t i = 0; i < keep; i++)
        it[i] = (seq_item){(uint16_t)i, 1};
    out->first_connect = true;
    out->template_type = MQTT_CONNECT;
    note(b, "session");
    note(b, s->name);
    if (chance(b->r, 50))
        sequence_op(b, it, &keep);
    sequence_write(s, it, keep, out);
    if (chance(b->r, 25))
        return; /* the session's own packets only */
    nf_case *tail = g->tail;
    bld tb = {b->r, g, b->v, b->used, tail, false};
    tail->mutation[0] = '\0';
    tail->len = 0;
    build_case(&tb, tail, false);
    if (tail->len > NF_CASE_CAP - out->len)
        return;
    memcpy(out->bytes + out->len, tail->bytes, tail->len);
    out->len += tail->len;
    out->template_type = tail->template_type;
    note(b, tail->mutation);
}

void nf_case_make(nf_gen *g, uint64_t index, nf_case *out)
{
    nf_rng r;
    nf_rng_seed(&r, g->seed, ((uint64_t)g->stream << 8) | (uint64_t)g->version, index);
    bld b = {&r, g, g->version, 0, out, false};
    out->index = index;
    out->version = g->version;
    out->mutation[0] = '\0';
    out->len = 0;
    build_case(&b, out, true);
    for (char *p = out->mutation; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    out->verdict = nf_judge(out->bytes, out->len, g->version, out->first_connect);
}

void nf_gen_next(nf_gen *g, nf_case *out) { nf_case_make(g, g->next++, out); }
