/*
 * libmqttspec_mutator: a structure-aware mutator for MQTT packets
 * (mqttspec/mutator.h).  Our own targets fuzz_decode and fuzz_roundtrip use
 * it through fuzz/custom_mutator.c; anyone's libFuzzer target can link it
 * (fuzz/mutator/example/).
 *
 * Byte-level mutation rarely gets past the first length check of a packet:
 * flipping a bit of a topic breaks the remaining length, the string length
 * or the property length long before it reaches the rule about wildcards in
 * topics.  So when the input decodes, this mutator changes one *field* of
 * the decoded packet (fixed-header flags, QoS, packet id, a Connect flag, a
 * property id or value, a string's bytes, a list entry, a reason code) and
 * re-encodes it with mqtt_encode, whose overrides (flags_override, raw
 * property blocks and list payloads) let it build invalid packets on
 * purpose.  Some mutations then lie at the byte level about what the
 * encoder wrote: the remaining length, its minimality, the packet type, a
 * string length.  What does not decode is left to the caller's byte-level
 * mutation (libFuzzer's LLVMFuzzerMutate): mqs_mutator_mutate returns 0.
 */
#include <stdlib.h>
#include <string.h>

#include "mqttspec/mutator.h"

/* ---- randomness: a deterministic function of libFuzzer's seed ---- */

typedef struct rng {
    uint32_t s;
} rng;

static uint32_t next_u32(rng *r)
{
    uint32_t x = r->s; /* xorshift32 */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    r->s = x;
    return x;
}

static uint32_t below(rng *r, uint32_t n) { return n ? next_u32(r) % n : 0; }

static bool one_in(rng *r, uint32_t n) { return below(r, n) == 0; }

/* Values next to the edges of the fields they go into. */
static uint32_t interesting(rng *r)
{
    static const uint32_t values[] = {0,     1,     2,       3,        127,       128,        255,       256,
                                      16383, 16384, 65535,   65536,    2097151,   2097152,    268435455, 268435456,
                                      0x7FFFFFFF, 0x80000000, 0xFFFFFFFF};
    return one_in(r, 4) ? next_u32(r) : values[below(r, sizeof values / sizeof values[0])];
}

/* ---- side storage for rebuilt strings, blocks and lists (views point into it) ---- */

enum { SIDE_CAP = 1u << 16 };

typedef struct side {
    uint8_t buf[SIDE_CAP];
    size_t used;
} side;

static uint8_t *side_alloc(side *s, size_t n)
{
    if (n > SIDE_CAP - s->used)
        return NULL;
    uint8_t *p = s->buf + s->used;
    s->used += n;
    return p;
}

/* ---- strings ---- */

/* Bytes that decide a rule somewhere in the codec: wildcards, levels, shares, bad UTF-8. */
static const char *const special[] = {
    "+", "#", "/", "$share/", "$share/g/", "$SYS/", "\x00", "\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80",
    "\xFF", "\xEF\xBF\xBF", "\xC2", "\xE2\x82", "\xF0\x9F\x98\x80", "\xC3\xA9", "\x7F", "\x01", "a/#/b", "+/+",
};
static const size_t special_len[] = {1, 1, 1, 7, 9, 5, 1, 2, 3, 4, 1, 3, 1, 2, 4, 2, 1, 1, 5, 3};

/* memcpy that accepts the NULL pointer of an empty view. */
static void put(uint8_t *dst, const uint8_t *src, size_t n)
{
    if (n)
        memcpy(dst, src, n);
}

/* b's bytes from index i (an empty view may have no pointer at all). */
static const uint8_t *from(mqtt_bytes b, size_t i) { return b.ptr ? b.ptr + i : NULL; }

/* A changed copy of b: special bytes inserted, a range removed, emptied or doubled. */
static mqtt_bytes mutate_string(side *sd, mqtt_bytes b, rng *r)
{
    size_t cap = (size_t)b.len * 2 + 16;
    uint8_t *out = side_alloc(sd, cap);
    if (!out)
        return b;
    size_t n = 0, at = below(r, b.len + 1);
    switch (below(r, 5)) {
    case 0: { /* insert a special sequence */
        size_t k = below(r, sizeof special / sizeof special[0]);
        put(out, b.ptr, at);
        put(out + at, (const uint8_t *)special[k], special_len[k]);
        put(out + at + special_len[k], from(b, at), b.len - at);
        n = b.len + special_len[k];
        break;
    }
    case 1: { /* remove a range */
        size_t cut = below(r, (uint32_t)(b.len - at) + 1);
        put(out, b.ptr, at);
        put(out + at, from(b, at + cut), b.len - at - cut);
        n = b.len - cut;
        break;
    }
    case 2: /* empty */
        break;
    case 3: /* doubled */
        put(out, b.ptr, b.len);
        put(out + b.len, b.ptr, b.len);
        n = (size_t)b.len * 2;
        break;
    default: /* one byte replaced */
        put(out, b.ptr, b.len);
        n = b.len;
        if (n)
            out[below(r, (uint32_t)n)] = (uint8_t)next_u32(r);
        break;
    }
    return (mqtt_bytes){out, (uint32_t)n};
}

/* ---- property blocks ---- */

enum { PROPS_MAX = 32 };

static const uint8_t known_ids[] = {0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x18, 0x19,
                                    0x1A, 0x1C, 0x1F, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A};

static uint8_t random_id(rng *r)
{
    return one_in(r, 8) ? (uint8_t)below(r, 0x80) : known_ids[below(r, sizeof known_ids)];
}

static mqtt_property random_property(side *sd, rng *r)
{
    mqtt_property p = {.id = random_id(r), .value = interesting(r)};
    static const uint8_t text[] = "a/b";
    mqtt_bytes seed = {text, 3};
    p.data = mutate_string(sd, seed, r);
    p.value2 = mutate_string(sd, seed, r);
    return p;
}

/* One change to a parsed list of properties; returns the new count. */
static size_t mutate_prop_list(side *sd, mqtt_property *ps, size_t n, rng *r)
{
    size_t i = below(r, (uint32_t)n);
    switch (n ? below(r, 7) : 0) {
    case 0: /* insert a new one */
        if (n < PROPS_MAX) {
            memmove(ps + i + 1, ps + i, (n - i) * sizeof *ps);
            ps[i] = random_property(sd, r);
            n++;
        }
        break;
    case 1: /* delete */
        memmove(ps + i, ps + i + 1, (n - i - 1) * sizeof *ps);
        n--;
        break;
    case 2: /* duplicate */
        if (n < PROPS_MAX)
            ps[n++] = ps[i];
        break;
    case 3: /* another id, same value: a type or placement mismatch */
        ps[i].id = random_id(r);
        break;
    case 4:
        ps[i].value = interesting(r);
        break;
    case 5: { /* a run of User Properties, the one property that may repeat anywhere */
        static const uint8_t k[] = "k";
        for (uint32_t m = 1 + below(r, 20); m && n < PROPS_MAX; m--)
            ps[n++] = (mqtt_property){.id = MQTT_PROP_USER_PROPERTY, .data = {k, 1}, .value2 = {k, 1}};
        break;
    }
    default:
        ps[i].data = mutate_string(sd, ps[i].data, r);
        break;
    }
    return n;
}

/* Write a property, also one whose id has no type (the id alone and a value byte). */
static void write_any_property(mqtt_writer *w, const mqtt_property *p)
{
    if (mqtt_prop_type_of(p->id) != MQTT_PT_NONE) {
        mqtt_write_property(w, p);
        return;
    }
    mqtt_write_varint(w, p->id);
    mqtt_write_u8(w, (uint8_t)p->value);
}

static mqtt_props mutate_props(side *sd, mqtt_props props, rng *r)
{
    mqtt_property ps[PROPS_MAX];
    size_t n = 0;
    mqtt_prop_iter it;
    mqtt_prop_iter_init(&it, props);
    while (n < PROPS_MAX && mqtt_prop_next(&it, &ps[n]))
        n++;
    n = mutate_prop_list(sd, ps, n, r);
    size_t free_space = SIDE_CAP - sd->used;
    mqtt_writer w;
    mqtt_writer_init(&w, sd->buf + sd->used, free_space);
    for (size_t i = 0; i < n; i++)
        write_any_property(&w, &ps[i]);
    if (w.overflow)
        return props;
    sd->used += w.len;
    return (mqtt_props){w.buf, (uint32_t)w.len};
}

/* ---- list payloads ---- */

enum { ENTRIES_MAX = 32 };

static const char *const filters[] = {"#", "+", "+/+", "a/#/b", "a+", "$share/g/t", "$share//t", "$share/g",
                                      "$share/g/#", "$SYS/#", "a//b", "/"};

static mqtt_sub_entry random_entry(rng *r)
{
    const char *f = filters[below(r, sizeof filters / sizeof filters[0])];
    mqtt_sub_entry e = {{(const uint8_t *)f, (uint32_t)strlen(f)}, (uint8_t)(one_in(r, 2) ? below(r, 3) : next_u32(r))};
    return e;
}

static size_t mutate_entries(side *sd, mqtt_sub_entry *es, size_t n, rng *r)
{
    size_t i = below(r, (uint32_t)n);
    switch (n ? below(r, 6) : 0) {
    case 0:
        if (n < ENTRIES_MAX) {
            memmove(es + i + 1, es + i, (n - i) * sizeof *es);
            es[i] = random_entry(r);
            n++;
        }
        break;
    case 1:
        memmove(es + i, es + i + 1, (n - i - 1) * sizeof *es);
        n--;
        break;
    case 2: /* reserved bits, QoS 3, Retain Handling 3, No Local */
        es[i].options = (uint8_t)(one_in(r, 2) ? 1u << below(r, 8) : next_u32(r));
        break;
    case 3:
        es[i].filter = mutate_string(sd, es[i].filter, r);
        break;
    case 4: /* doubled: long lists are cut short when printed */
        for (size_t k = 0; k < n && n + k < ENTRIES_MAX; k++)
            es[n + k] = es[k];
        n = n * 2 < ENTRIES_MAX ? n * 2 : ENTRIES_MAX;
        break;
    default:
        n = 0; /* no entry at all */
        break;
    }
    return n;
}

static mqtt_list mutate_sub_list(side *sd, mqtt_list list, bool with_options, rng *r)
{
    mqtt_sub_entry es[ENTRIES_MAX];
    size_t n = 0;
    mqtt_list_iter it;
    mqtt_list_iter_init(&it, list, with_options);
    while (n < ENTRIES_MAX && mqtt_list_next(&it, &es[n]))
        n++;
    n = mutate_entries(sd, es, n, r);
    mqtt_writer w;
    mqtt_writer_init(&w, sd->buf + sd->used, SIDE_CAP - sd->used);
    for (size_t i = 0; i < n; i++)
        mqtt_write_sub_entry(&w, es[i].filter, with_options ? es[i].options : -1);
    if (w.overflow)
        return list;
    sd->used += w.len;
    return (mqtt_list){w.buf, (uint32_t)w.len, (uint32_t)n};
}

/* SUBACK / UNSUBACK reason codes: one replaced, one added, or none left. */
static mqtt_list mutate_codes(side *sd, mqtt_list list, rng *r)
{
    uint8_t *out = side_alloc(sd, (size_t)list.len + 1);
    if (!out)
        return list;
    if (list.len)
        memcpy(out, list.ptr, list.len);
    uint32_t n = list.len;
    switch (below(r, 3)) {
    case 0:
        if (n)
            out[below(r, n)] = (uint8_t)(one_in(r, 2) ? below(r, 3) : next_u32(r));
        break;
    case 1:
        out[n++] = (uint8_t)next_u32(r);
        break;
    default:
        n = 0;
        break;
    }
    return (mqtt_list){out, n, n};
}

/* ---- fields of each packet type ---- */

static uint16_t interesting_id(rng *r) { return (uint16_t)(one_in(r, 2) ? below(r, 3) : interesting(r)); }

static void mutate_connect_flags(mqtt_connect *c, rng *r)
{
    uint8_t f = (uint8_t)(one_in(r, 2) ? c->flags ^ (1u << below(r, 8)) : next_u32(r));
    c->flags = f;
    c->clean_start = f & 0x02;
    c->will = f & 0x04;
    c->will_qos = (f >> 3) & 3;
    c->will_retain = f & 0x20;
    c->has_password = f & 0x40;
    c->has_username = f & 0x80;
}

static void mutate_connect(side *sd, mqtt_connect *c, rng *r)
{
    static const char *const names[] = {"MQTT", "MQIsdp", "MQTT\0", "mqtt", "", "MQTTX"};
    static const uint8_t name_lens[] = {4, 6, 5, 4, 0, 5};
    static const uint8_t levels[] = {0, 1, 2, 3, 4, 5, 6, 0x84, 0xFF};
    switch (below(r, 7)) {
    case 0:
        mutate_connect_flags(c, r);
        break;
    case 1: {
        size_t k = below(r, sizeof names / sizeof names[0]);
        c->protocol_name = (mqtt_bytes){(const uint8_t *)names[k], name_lens[k]};
        break;
    }
    case 2:
        c->protocol_level = levels[below(r, sizeof levels)];
        break;
    case 3:
        c->client_id = mutate_string(sd, c->client_id, r);
        break;
    case 4:
        c->will_topic = mutate_string(sd, c->will_topic, r);
        break;
    case 5:
        c->username = mutate_string(sd, c->username, r);
        break;
    default:
        c->props = mutate_props(sd, c->props, r);
        c->will_props = one_in(r, 2) ? mutate_props(sd, c->will_props, r) : c->will_props;
        break;
    }
}

static void mutate_publish(side *sd, mqtt_publish *p, rng *r)
{
    switch (below(r, 5)) {
    case 0:
        p->qos = (uint8_t)below(r, 4);
        p->dup = one_in(r, 2);
        p->retain = one_in(r, 2);
        break;
    case 1:
        p->packet_id = interesting_id(r);
        break;
    case 2:
        p->topic = mutate_string(sd, p->topic, r);
        break;
    case 3:
        p->props = mutate_props(sd, p->props, r);
        break;
    default:
        p->payload = mutate_string(sd, p->payload, r);
        break;
    }
}

/* The 5.0 tail of acks, DISCONNECT and AUTH. */
static void mutate_tail(side *sd, uint8_t *code, bool *has_code, bool *has_props, mqtt_props *props, rng *r)
{
    switch (below(r, 3)) {
    case 0:
        *code = (uint8_t)(one_in(r, 2) ? 0x80 + below(r, 0x20) : next_u32(r));
        break;
    case 1:
        *has_code = one_in(r, 2);
        *has_props = one_in(r, 2);
        if (!*has_props && one_in(r, 2))
            *props = (mqtt_props){NULL, 0};
        break;
    default:
        *props = mutate_props(sd, *props, r);
        break;
    }
}

static void mutate_subs(side *sd, mqtt_packet *pkt, rng *r)
{
    mqtt_subs *s = &pkt->u.subs;
    switch (below(r, 3)) {
    case 0:
        s->packet_id = interesting_id(r);
        break;
    case 1:
        s->props = mutate_props(sd, s->props, r);
        break;
    default:
        if (pkt->type == MQTT_SUBACK || pkt->type == MQTT_UNSUBACK)
            s->list = mutate_codes(sd, s->list, r);
        else
            s->list = mutate_sub_list(sd, s->list, pkt->type == MQTT_SUBSCRIBE, r);
        break;
    }
}

static void mutate_body(side *sd, mqtt_packet *pkt, rng *r)
{
    switch (pkt->type) {
    case MQTT_CONNECT:
        mutate_connect(sd, &pkt->u.connect, r);
        break;
    case MQTT_CONNACK:
        if (one_in(r, 2))
            pkt->u.connack.flags = (uint8_t)(one_in(r, 2) ? 1 : next_u32(r));
        else if (one_in(r, 2))
            pkt->u.connack.code = (uint8_t)next_u32(r);
        else
            pkt->u.connack.props = mutate_props(sd, pkt->u.connack.props, r);
        break;
    case MQTT_PUBLISH:
        mutate_publish(sd, &pkt->u.publish, r);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        if (one_in(r, 3))
            pkt->u.ack.packet_id = interesting_id(r);
        else
            mutate_tail(sd, &pkt->u.ack.code, &pkt->u.ack.has_code, &pkt->u.ack.has_props, &pkt->u.ack.props, r);
        break;
    case MQTT_SUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBSCRIBE:
    case MQTT_UNSUBACK:
        mutate_subs(sd, pkt, r);
        break;
    default: { /* PINGREQ, PINGRESP, DISCONNECT, AUTH */
        mqtt_disconnect *d = &pkt->u.disconnect;
        mutate_tail(sd, &d->code, &d->has_code, &d->has_props, &d->props, r);
        break;
    }
    }
}

/* ---- lies told at the byte level, after encoding ---- */

/* Write v as a varint of exactly `width` bytes (1..5); a wider one than needed is non-minimal. */
static size_t put_varint_width(uint8_t *out, uint32_t v, size_t width)
{
    for (size_t i = 0; i < width; i++) {
        out[i] = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (i + 1 < width)
            out[i] |= 0x80;
    }
    return width;
}

/* Bytes of the fixed header: type byte and the varint as far as it goes (at most 5). */
static size_t header_size(const uint8_t *buf, size_t len)
{
    size_t n = 1;
    while (n < len && n < 5)
        if (!(buf[n++] & 0x80))
            break;
    return n;
}

/* Rewrite the header of the packet in pkt[0..len): another length, width or type; body kept. */
static size_t lie_about_header(uint8_t *pkt, size_t len, size_t cap, rng *r)
{
    size_t hs = header_size(pkt, len);
    if (hs > len || hs > 5)
        return len;
    uint32_t rl = (uint32_t)(len - hs);
    size_t width = mqtt_varint_size(rl);
    switch (below(r, 3)) {
    case 0: /* the remaining length says a little more or less than there is */
        rl += (uint32_t)below(r, 7) - 3;
        width = mqtt_varint_size(rl) ? mqtt_varint_size(rl) : 4;
        break;
    case 1: /* a longer varint than needed, up to one too long */
        width = width + 1 + below(r, 5 - width);
        break;
    default: /* another packet type, same body */
        pkt[0] = (uint8_t)((pkt[0] & 0x0F) | (below(r, 16) << 4));
        return len;
    }
    size_t body = len - hs;
    if (width + 1 + body > cap)
        return len;
    memmove(pkt + 1 + width, pkt + hs, body);
    put_varint_width(pkt + 1, rl, width);
    return 1 + width + body;
}

/* Find the encoded length field of string s in pkt and make it lie. */
static void lie_about_string(uint8_t *pkt, size_t len, mqtt_bytes s, rng *r)
{
    if (s.len == 0 || s.len > 0xFFFF)
        return;
    for (size_t i = 1; i + 2 + s.len <= len; i++) {
        if (pkt[i] == (uint8_t)(s.len >> 8) && pkt[i + 1] == (uint8_t)s.len && memcmp(pkt + i + 2, s.ptr, s.len) == 0) {
            uint16_t lie = one_in(r, 4) ? 0xFFFF : (uint16_t)(s.len + below(r, 7) - 3);
            pkt[i] = (uint8_t)(lie >> 8);
            pkt[i + 1] = (uint8_t)lie;
            return;
        }
    }
}

/* A string of the packet worth lying about, if it has one. */
static mqtt_bytes some_string(const mqtt_packet *pkt)
{
    if (pkt->type == MQTT_PUBLISH)
        return pkt->u.publish.topic;
    if (pkt->type == MQTT_CONNECT)
        return pkt->u.connect.client_id;
    if (pkt->type == MQTT_SUBSCRIBE || pkt->type == MQTT_UNSUBSCRIBE) {
        mqtt_list_iter it;
        mqtt_sub_entry e;
        mqtt_list_iter_init(&it, pkt->u.subs.list, pkt->type == MQTT_SUBSCRIBE);
        if (mqtt_list_next(&it, &e))
            return e.filter;
    }
    return (mqtt_bytes){NULL, 0};
}

/* ---- the entry point ---- */

/* Decoded at version v in either role (a client-sent or a server-sent packet). */
static bool decode_any_role(const uint8_t *buf, size_t len, mqtt_version v, mqtt_packet *pkt)
{
    static const mqtt_role roles[2] = {MQTT_ROLE_SERVER, MQTT_ROLE_CLIENT};
    for (int i = 0; i < 2; i++) {
        mqtt_decode_opts opts = {v, roles[i], 0}; /* no size limit: mutate also what one would refuse */
        mqtt_error err;
        size_t used;
        if (mqtt_decode(buf, len, &opts, pkt, &used, &err) == MQTT_COMPLETE)
            return true;
    }
    return false;
}

/* The version the packet decodes at: v itself, or with v unknown the first of 5.0, 3.1.1, 3.1. */
static bool decode_at(const uint8_t *buf, size_t len, mqtt_version *v, mqtt_packet *pkt)
{
    static const mqtt_version tries[3] = {MQTT_V5, MQTT_V311, MQTT_V31};
    if (*v != MQTT_VERSION_UNKNOWN)
        return decode_any_role(buf, len, *v, pkt);
    for (int i = 0; i < 3; i++) {
        if (decode_any_role(buf, len, tries[i], pkt)) {
            *v = tries[i];
            return true;
        }
    }
    return false;
}

size_t mqs_mutator_mutate(uint8_t *packet, size_t size, size_t max_size, mqtt_version version, unsigned int seed)
{
    static side sd;
    if (!packet || size < 2 || max_size < 7)
        return 0;
    rng r = {seed ? seed : 0x9E3779B9u};
    sd.used = 0;
    /* The packet's views point into this copy, so encoding into `packet` cannot overwrite them. */
    uint8_t *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, packet, size);
    mqtt_packet pkt;
    size_t out = 0;
    if (decode_at(copy, size, &version, &pkt)) {
        if (one_in(&r, 6)) {
            pkt.flags = (uint8_t)below(&r, 16);
            pkt.flags_override = true;
        } else {
            mutate_body(&sd, &pkt, &r);
        }
        size_t need = mqtt_encoded_size(&pkt, version); /* size first: a packet that does not fit stays as it was */
        out = need && need <= max_size ? mqtt_encode(&pkt, version, packet, max_size) : 0;
        if (out && one_in(&r, 5))
            out = lie_about_header(packet, out, max_size, &r);
        else if (out && one_in(&r, 5))
            lie_about_string(packet, out, some_string(&pkt), &r);
    }
    free(copy);
    return out;
}
