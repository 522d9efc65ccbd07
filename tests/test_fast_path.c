/*
 * mqtt_decode (the fast paths of codec/src/decode_fast.c) against
 * mqtt_decode_full (the complete decoder of decode.c), differentially: for
 * every input both must return the same status; on MQTT_COMPLETE the same
 * *consumed and the same packet, compared field by field (every field the
 * complete decoder sets for that packet type: views by pointer and length,
 * property blocks, lists with their count, has_code/has_props,
 * flags_override); on MQTT_MALFORMED the same error (code, offset, byte,
 * version).
 *
 * Inputs:
 *  - every packet of every benchmark corpus (bench/corpus.c, included below),
 *    decoded in place as the bench does, alone, and in the other role;
 *  - a few hundred hand-picked packets of every type, 3.1.1 and 5.0 (and
 *    3.1's CONNECT), each decoded at every version and in both roles with
 *    several max_packet_size values, with trailing bytes, with a
 *    non-minimal Remaining Length, truncated at every length, and with
 *    every single byte replaced by each of a few interesting values.
 *
 * Every decode of a hand-picked input runs on bytes that end right before a
 * PROT_NONE page or start right after one, so a read outside
 * [buf, buf + len) by either decoder is a SIGSEGV.
 */
/* MAP_ANONYMOUS is outside the POSIX level the project builds with. */
#define _DEFAULT_SOURCE
#define _DARWIN_C_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mqttspec/codec.h"

/* The corpus generator itself (it is a static library of bench/, which the tests do not link). */
#include "../bench/corpus.c"

/* The complete decoder: internal to the codec, but a linkable symbol. */
mqtt_status mqtt_decode_full(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out,
                             size_t *consumed, mqtt_error *err);

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum { GUARDED = 1 << 17, SCRATCH = 1 << 17 };

/* ---- statistics ---- */

typedef struct counts {
    size_t compared;
    size_t complete;
    size_t need_more;
    size_t malformed;
} counts;

static counts total_counts;

/* ---- guarded placement ---- */

static uint8_t *mapping;
static size_t mapping_len;
static uint8_t *data_start; /* first byte after the front PROT_NONE page */
static uint8_t *data_end;   /* first byte of the back PROT_NONE page */

static int map_guards(void **state)
{
    (void)state;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data = (GUARDED + page - 1) / page * page;
    mapping_len = data + 2 * page;
    void *m = mmap(NULL, mapping_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    mapping = m;
    data_start = mapping + page;
    data_end = data_start + data;
    if (mprotect(mapping, page, PROT_NONE) != 0 || mprotect(data_end, page, PROT_NONE) != 0)
        return -1;
    return 0;
}

static int unmap_guards(void **state)
{
    (void)state;
    munmap(mapping, mapping_len);
    return 0;
}

/* ---- comparison ---- */

static void hexdump(const uint8_t *p, size_t n)
{
    size_t show = n < 160 ? n : 160;
    for (size_t i = 0; i < show; i++)
        fprintf(stderr, "%02x%s", p[i], (i + 1) % 32 ? " " : "\n");
    fprintf(stderr, "%s(%zu bytes)\n", show < n ? "... " : "", n);
}

#define F(x)                                                                                                     \
    do {                                                                                                         \
        if (a->x != b->x)                                                                                        \
            return #x;                                                                                           \
    } while (0)
#define VIEW(x)                                                                                                  \
    do {                                                                                                         \
        F(x.ptr);                                                                                                \
        F(x.len);                                                                                                \
    } while (0)

/* NULL if equal, else the name of the first field that differs. */
static const char *packet_diff(const mqtt_packet *a, const mqtt_packet *b)
{
    F(type);
    F(flags);
    F(flags_override);
    F(remaining_length);
    switch (a->type) {
    case MQTT_CONNECT:
        VIEW(u.connect.protocol_name);
        F(u.connect.protocol_level);
        F(u.connect.flags);
        F(u.connect.clean_start);
        F(u.connect.will);
        F(u.connect.will_qos);
        F(u.connect.will_retain);
        F(u.connect.has_username);
        F(u.connect.has_password);
        F(u.connect.keep_alive);
        VIEW(u.connect.props);
        VIEW(u.connect.client_id);
        VIEW(u.connect.will_props);
        VIEW(u.connect.will_topic);
        VIEW(u.connect.will_payload);
        VIEW(u.connect.username);
        VIEW(u.connect.password);
        break;
    case MQTT_CONNACK:
        F(u.connack.flags);
        F(u.connack.code);
        VIEW(u.connack.props);
        break;
    case MQTT_PUBLISH:
        F(u.publish.dup);
        F(u.publish.qos);
        F(u.publish.retain);
        VIEW(u.publish.topic);
        F(u.publish.packet_id);
        VIEW(u.publish.props);
        VIEW(u.publish.payload);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        F(u.ack.packet_id);
        F(u.ack.code);
        F(u.ack.has_code);
        F(u.ack.has_props);
        VIEW(u.ack.props);
        break;
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        F(u.subs.packet_id);
        VIEW(u.subs.props);
        F(u.subs.list.ptr);
        F(u.subs.list.len);
        F(u.subs.list.count);
        break;
    default: /* PINGREQ, PINGRESP, DISCONNECT, AUTH */
        F(u.disconnect.code);
        F(u.disconnect.has_code);
        F(u.disconnect.has_props);
        VIEW(u.disconnect.props);
        break;
    }
    return NULL;
}

static const char *error_diff(const mqtt_error *a, const mqtt_error *b)
{
    F(code);
    F(offset);
    F(byte);
    F(version);
    return NULL;
}

#undef F
#undef VIEW

static void mismatch(const char *what, const char *detail, const uint8_t *in, size_t len, const mqtt_decode_opts *o)
{
    fprintf(stderr, "fast path differs (%s): %s; version %d role %d max_packet_size %u; input:\n", what, detail,
            (int)o->version, (int)o->role, o->max_packet_size);
    hexdump(in, len);
    fail_msg("mqtt_decode and mqtt_decode_full differ: %s (%s)", detail, what);
}

/* Decode in with both decoders and require the same outcome. */
static void compare(const uint8_t *in, size_t len, const mqtt_decode_opts *o, const char *what)
{
    mqtt_packet a, b;
    mqtt_error ea, eb;
    size_t ca = 0x1111, cb = 0x2222;
    /* Different fill patterns: a field one decoder leaves unset shows as a difference. */
    memset(&a, 0xA5, sizeof a);
    memset(&b, 0x5A, sizeof b);
    memset(&ea, 0xA5, sizeof ea);
    memset(&eb, 0x5A, sizeof eb);
    mqtt_status sa = mqtt_decode_full(in, len, o, &a, &ca, &ea);
    mqtt_status sb = mqtt_decode(in, len, o, &b, &cb, &eb);
    total_counts.compared++;
    char detail[160];
    if (sa != sb) {
        snprintf(detail, sizeof detail, "status %d (full) vs %d (fast)", (int)sa, (int)sb);
        mismatch(what, detail, in, len, o);
    }
    if (sa == MQTT_COMPLETE) {
        total_counts.complete++;
        const char *field = packet_diff(&a, &b);
        if (ca != cb) {
            snprintf(detail, sizeof detail, "consumed %zu (full) vs %zu (fast)", ca, cb);
            mismatch(what, detail, in, len, o);
        }
        if (field) {
            snprintf(detail, sizeof detail, "packet field %s", field);
            mismatch(what, detail, in, len, o);
        }
    } else if (sa == MQTT_MALFORMED) {
        total_counts.malformed++;
        const char *field = error_diff(&ea, &eb);
        if (field) {
            snprintf(detail, sizeof detail, "error field %s (%s vs %s)", field, mqtt_err_name(ea.code),
                     mqtt_err_name(eb.code));
            mismatch(what, detail, in, len, o);
        }
    } else {
        total_counts.need_more++;
    }
}

/* compare() on a copy of in that ends right before a PROT_NONE page (or, with at_start, starts right after one). */
static void compare_guarded(const uint8_t *in, size_t len, const mqtt_decode_opts *o, bool at_start, const char *what)
{
    assert_true(len <= GUARDED);
    uint8_t *dst = at_start ? data_start : data_end - len;
    if (len)
        memmove(dst, in, len);
    compare(dst, len, o, what);
}

/* ---- the options every hand-picked input is decoded with ---- */

static const mqtt_version versions[] = {MQTT_VERSION_UNKNOWN, MQTT_V31, MQTT_V311, MQTT_V5};
static const mqtt_role roles[] = {MQTT_ROLE_SERVER, MQTT_ROLE_CLIENT};

/* Every version and role, one max_packet_size. */
static void compare_all_opts(const uint8_t *in, size_t len, uint32_t max, bool at_start, const char *what)
{
    for (size_t v = 0; v < COUNT(versions); v++)
        for (size_t r = 0; r < COUNT(roles); r++) {
            mqtt_decode_opts o = {.version = versions[v], .role = roles[r], .max_packet_size = max};
            compare_guarded(in, len, &o, at_start, what);
        }
}

/* ---- the bench corpora ---- */

static bool only_server_sends(unsigned type)
{
    return type == MQTT_CONNACK || type == MQTT_SUBACK || type == MQTT_UNSUBACK || type == MQTT_PINGRESP;
}

static void test_corpora(void **state)
{
    (void)state;
    size_t packets = 0;
    for (size_t i = 0; i < corpus_count(); i++) {
        const corpus_info *c = corpus_at(i);
        corpus_buf b;
        assert_int_equal(corpus_generate(c, &b), 0);
        size_t off = 0, n = 0;
        while (off < b.len) {
            const uint8_t *p = b.data + off;
            unsigned type = p[0] >> 4;
            mqtt_role role = MQTT_ROLE_SERVER;
            if (c->direction == CORPUS_S2C || (c->direction == CORPUS_MIXED && only_server_sends(type)))
                role = MQTT_ROLE_CLIENT;
            mqtt_decode_opts o = {.version = c->version, .role = role, .max_packet_size = 0};
            mqtt_packet pkt;
            mqtt_error err;
            size_t used = 0;
            /* As the bench decodes it: the rest of the corpus follows. */
            compare(p, b.len - off, &o, c->name);
            assert_int_equal(mqtt_decode_full(p, b.len - off, &o, &pkt, &used, &err), MQTT_COMPLETE);
            /* Alone, at its exact size, with its size as the limit and one byte under it. */
            compare(p, used, &o, c->name);
            o.max_packet_size = (uint32_t)used;
            compare(p, used, &o, c->name);
            o.max_packet_size = (uint32_t)used - 1;
            compare(p, used, &o, c->name);
            /* In the other role (mostly a direction error, which the complete decoder reports). */
            o.max_packet_size = 0;
            o.role = role == MQTT_ROLE_SERVER ? MQTT_ROLE_CLIENT : MQTT_ROLE_SERVER;
            compare(p, used, &o, c->name);
            off += used;
            n++;
        }
        assert_int_equal(n, c->packets);
        packets += n;
        corpus_buf_free(&b);
    }
    print_message("corpora: %zu packets, %zu comparisons so far\n", packets, total_counts.compared);
}

/* ---- hand-picked packets ---- */

typedef struct sample {
    uint8_t *bytes;
    size_t len;
    bool mutate; /* also every truncation and byte substitution */
} sample;

static sample *samples;
static size_t nsamples, capsamples;

static void add_sample(const uint8_t *bytes, size_t len, bool mutate)
{
    if (nsamples == capsamples) {
        capsamples = capsamples ? capsamples * 2 : 256;
        samples = realloc(samples, capsamples * sizeof *samples);
        assert_non_null(samples);
    }
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, bytes, len);
    samples[nsamples++] = (sample){copy, len, mutate};
}

/* Body writer: the codec's own bounded writer over a scratch buffer. */
static uint8_t body_buf[SCRATCH];
static uint8_t frame_buf[SCRATCH + 8];

static void body_begin(mqtt_writer *w) { mqtt_writer_init(w, body_buf, sizeof body_buf); }

static void w_str(mqtt_writer *w, const char *s) { mqtt_write_string(w, s, strlen(s)); }

static void w_bin(mqtt_writer *w, const void *p, size_t n) { mqtt_write_string(w, p, n); }

/* Frames the body with first byte and a minimal Remaining Length. */
static void add_framed(uint8_t first, const mqtt_writer *w, bool mutate)
{
    assert_false(w->overflow);
    mqtt_writer f;
    mqtt_writer_init(&f, frame_buf, sizeof frame_buf);
    mqtt_write_u8(&f, first);
    mqtt_write_varint(&f, (uint32_t)w->len);
    mqtt_write_bytes(&f, body_buf, w->len);
    assert_false(f.overflow);
    add_sample(frame_buf, f.len, mutate);
}

/* A property block: collects properties, then writes Property Length + block. */
typedef struct props {
    uint8_t buf[4096];
    mqtt_writer w;
} props;

static void props_begin(props *p) { mqtt_writer_init(&p->w, p->buf, sizeof p->buf); }

static void p_int(props *p, uint8_t id, uint32_t value)
{
    mqtt_property pr = {.id = id, .value = value};
    mqtt_write_property(&p->w, &pr);
}

static void p_str(props *p, uint8_t id, const char *s)
{
    mqtt_property pr = {.id = id, .data = {(const uint8_t *)s, (uint32_t)strlen(s)}};
    mqtt_write_property(&p->w, &pr);
}

static void p_bin(props *p, uint8_t id, const void *d, size_t n)
{
    mqtt_property pr = {.id = id, .data = {d, (uint32_t)n}};
    mqtt_write_property(&p->w, &pr);
}

static void p_pair(props *p, const char *k, const char *v)
{
    mqtt_property pr = {.id = MQTT_PROP_USER_PROPERTY,
                        .data = {(const uint8_t *)k, (uint32_t)strlen(k)},
                        .value2 = {(const uint8_t *)v, (uint32_t)strlen(v)}};
    mqtt_write_property(&p->w, &pr);
}

static void w_props(mqtt_writer *w, const props *p)
{
    assert_false(p->w.overflow);
    mqtt_write_varint(w, (uint32_t)p->w.len);
    mqtt_write_bytes(w, p->buf, p->w.len);
}

static void w_no_props(mqtt_writer *w) { mqtt_write_u8(w, 0); }

/* ---- PUBLISH ---- */

static uint8_t payload_bytes[70000];

static void add_publish(mqtt_version v, uint8_t flags, const uint8_t *topic, size_t topic_len, uint16_t pid,
                        const props *pr, size_t payload_len, bool mutate)
{
    mqtt_writer w;
    body_begin(&w);
    w_bin(&w, topic, topic_len);
    if (flags & 0x06)
        mqtt_write_u16(&w, pid);
    if (v == MQTT_V5) {
        if (pr)
            w_props(&w, pr);
        else
            w_no_props(&w);
    }
    mqtt_write_bytes(&w, payload_bytes, payload_len);
    add_framed((uint8_t)(MQTT_PUBLISH << 4 | flags), &w, mutate);
}

static void add_publish_str(mqtt_version v, uint8_t flags, const char *topic, const props *pr, size_t payload_len)
{
    add_publish(v, flags, (const uint8_t *)topic, strlen(topic), 0x1234, pr, payload_len, true);
}

static const char long_topic[] = "sensors/building-7/floor-3/temp/abcdefghijklmnop";

/* The PUBLISH properties, one block each (the caller's array). */
static size_t publish_prop_sets(props *sets, size_t cap)
{
    static const uint8_t corr[] = {0x00, 0xFF, 0x10, 0x80, 0x00};
    size_t n = 0;
#define NEXT (assert_true(n < cap), props_begin(&sets[n]), &sets[n++])
    props *p;
    p = NEXT; /* empty */
    p = NEXT;
    p_int(p, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 0);
    p = NEXT;
    p_int(p, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1);
    p = NEXT;
    p_int(p, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 0);
    p = NEXT;
    p_int(p, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 3600);
    p = NEXT;
    p_str(p, MQTT_PROP_CONTENT_TYPE, "text/plain; charset=utf-8");
    p = NEXT;
    p_str(p, MQTT_PROP_CONTENT_TYPE, "");
    p = NEXT;
    p_str(p, MQTT_PROP_CONTENT_TYPE, "t\xc3\xa9xt");
    p = NEXT;
    p_str(p, MQTT_PROP_RESPONSE_TOPIC, "resp/client-7");
    p = NEXT;
    p_str(p, MQTT_PROP_RESPONSE_TOPIC, "r");
    p = NEXT;
    p_bin(p, MQTT_PROP_CORRELATION_DATA, corr, sizeof corr);
    p = NEXT;
    p_bin(p, MQTT_PROP_CORRELATION_DATA, corr, 0);
    p = NEXT;
    p_int(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 1);
    p = NEXT;
    p_int(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 127);
    p = NEXT;
    p_int(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 128);
    p = NEXT;
    p_int(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 16384);
    p = NEXT;
    p_int(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 268435455);
    p = NEXT;
    p_int(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 5);
    p_int(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 300);
    p = NEXT;
    p_int(p, MQTT_PROP_TOPIC_ALIAS, 1);
    p = NEXT;
    p_int(p, MQTT_PROP_TOPIC_ALIAS, 65535);
    p = NEXT;
    p_pair(p, "site", "b7");
    p = NEXT;
    p_pair(p, "", "");
    p = NEXT;
    p_pair(p, "a", "1");
    p_pair(p, "a", "2");
    p_pair(p, "a-rather-long-user-property-name", "and-a-value-longer-than-sixteen");
    p = NEXT;
    p_pair(p, "\xc3\xbc", "\xe6\x97\xa5");
    p = NEXT; /* the bench's four */
    p_int(p, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1);
    p_int(p, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 3600);
    p_int(p, MQTT_PROP_TOPIC_ALIAS, 5);
    p_pair(p, "site", "b7");
    p = NEXT; /* every PUBLISH property */
    p_pair(p, "k", "v");
    p_int(p, MQTT_PROP_TOPIC_ALIAS, 9);
    p_bin(p, MQTT_PROP_CORRELATION_DATA, corr, sizeof corr);
    p_str(p, MQTT_PROP_RESPONSE_TOPIC, "reply/here");
    p_int(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 77);
    p_str(p, MQTT_PROP_CONTENT_TYPE, "application/json");
    p_int(p, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 0x01020304);
    p_int(p, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 0);
    p = NEXT; /* a block over 127 bytes: two-byte Property Length */
    p_pair(p, "long", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    p = NEXT; /* properties PUBLISH may not carry */
    p_int(p, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 1);
    p = NEXT;
    p_int(p, MQTT_PROP_RECEIVE_MAXIMUM, 1);
    p = NEXT;
    p_str(p, MQTT_PROP_REASON_STRING, "x");
#undef NEXT
    return n;
}

static void hp_publish(void)
{
    for (size_t i = 0; i < sizeof payload_bytes; i++)
        payload_bytes[i] = (uint8_t)(i * 7 + 3);
    static const mqtt_version pv[] = {MQTT_V311, MQTT_V5};
    for (size_t vi = 0; vi < COUNT(pv); vi++) {
        mqtt_version v = pv[vi];
        /* Topics of 1..40 bytes, QoS 0/1/2, DUP and retain in turn. */
        for (size_t len = 1; len <= 40; len++) {
            uint8_t qos = (uint8_t)(len % 3);
            uint8_t flags = (uint8_t)(qos << 1 | (len & 1) | (qos && len % 5 == 4 ? 0x08 : 0));
            add_publish(v, flags, (const uint8_t *)long_topic, len, (uint16_t)(len * 1000 + 1), NULL,
                        (len * 13) % 80, true);
        }
        /* Every flag nibble (QoS 3 and DUP on QoS 0 are malformed), one topic. */
        for (uint8_t f = 0; f < 16; f++)
            add_publish_str(v, f, "a/b", NULL, 5);
        static const char *const odd_topics[] = {
            "/",           "a//b",          "$SYS/broker/load", "\xc3\xa9",        "a/\xc3\xa9/b",
            "\xe6\x97\xa5\xe6\x9c\xac/\xe6\xb8\xa9\xe5\xba\xa6", "x\xf0\x9f\x98\x80y", "a b",
            "del\x7f",     "x",             "sensors/building-7/floor-3/temp-\xc3\xa9\xc3\xa9\xc3\xa9",
        };
        for (size_t i = 0; i < COUNT(odd_topics); i++)
            add_publish_str(v, 0x02, odd_topics[i], NULL, 10);
        /* Payload sizes, the larger ones with a 2- and 3-byte Remaining Length (not mutated). */
        add_publish_str(v, 0x00, "a/b", NULL, 0);
        add_publish_str(v, 0x02, "a/b", NULL, 0);
        add_publish(v, 0x00, (const uint8_t *)long_topic, 31, 0, NULL, 200, true);
        add_publish(v, 0x04, (const uint8_t *)long_topic, 31, 7, NULL, 20000, false);
        add_publish(v, 0x00, (const uint8_t *)long_topic, 31, 0, NULL, 65536, false);
    }
    /* 5.0 properties: each PUBLISH property alone, together, the bench's set, a long block. */
    static props sets[40];
    size_t n = publish_prop_sets(sets, COUNT(sets));
    for (size_t i = 0; i < n; i++) {
        add_publish_str(MQTT_V5, 0x02, "sensors/building-7/floor-3/temp", &sets[i], 64);
        add_publish_str(MQTT_V5, 0x00, "a", &sets[i], 0);
        add_publish_str(MQTT_V5, 0x0D, "t/\xc3\xa9", &sets[i], 3);
    }
    /* An empty topic with a Topic Alias (5.0), and without one. */
    props alias;
    props_begin(&alias);
    p_int(&alias, MQTT_PROP_TOPIC_ALIAS, 5);
    add_publish_str(MQTT_V5, 0x02, "", &alias, 8);
    add_publish_str(MQTT_V5, 0x02, "", NULL, 8);
    add_publish_str(MQTT_V311, 0x00, "", NULL, 8);
}

/* ---- CONNECT ---- */

typedef struct connect_spec {
    mqtt_version level;
    uint8_t flags;
    const char *client_id;
    const props *props;
    const props *will_props;
    const char *will_topic;
} connect_spec;

static void add_connect(const connect_spec *c, bool mutate)
{
    mqtt_writer w;
    body_begin(&w);
    w_str(&w, c->level == MQTT_V31 ? "MQIsdp" : "MQTT");
    mqtt_write_u8(&w, (uint8_t)c->level);
    mqtt_write_u8(&w, c->flags);
    mqtt_write_u16(&w, 60);
    if (c->level == MQTT_V5) {
        if (c->props)
            w_props(&w, c->props);
        else
            w_no_props(&w);
    }
    w_str(&w, c->client_id);
    if (c->flags & 0x04) {
        if (c->level == MQTT_V5) {
            if (c->will_props)
                w_props(&w, c->will_props);
            else
                w_no_props(&w);
        }
        w_str(&w, c->will_topic ? c->will_topic : "clients/benchmark/status");
        w_str(&w, "offline");
    }
    if (c->flags & 0x80)
        w_str(&w, "user-test");
    if (c->flags & 0x40)
        w_bin(&w, "s3cr3t\0pass", 11);
    add_framed(MQTT_CONNECT << 4, &w, mutate);
}

static void hp_connect(void)
{
    static const mqtt_version levels[] = {MQTT_V31, MQTT_V311, MQTT_V5};
    static const char *const ids[] = {"bench-client-0000000001", "c", "", "a-client-identifier-of-forty-bytes-long!",
                                      "cli\xc3\xa9nt"};
    static const uint8_t wills[] = {0x00, 0x04, 0x0C | 0x20, 0x14, 0x1C};
    size_t k = 0;
    for (size_t l = 0; l < COUNT(levels); l++)
        for (size_t wi = 0; wi < COUNT(wills); wi++)
            for (uint8_t cred = 0; cred < 4; cred++)
                for (uint8_t clean = 0; clean < 2; clean++, k++) {
                    connect_spec c = {.level = levels[l],
                                      .flags = (uint8_t)(wills[wi] | (cred & 1 ? 0x80 : 0) | (cred & 2 ? 0x40 : 0) |
                                                         (clean ? 0x02 : 0)),
                                      .client_id = ids[k % COUNT(ids)]};
                    add_connect(&c, true);
                }
    /* Will topics. */
    static const char *const will_topics[] = {"w", "a/+/b", "", "w/\xc3\xa9", "will/topic/that/is/longer/than/32/bytes"};
    for (size_t l = 1; l < COUNT(levels); l++)
        for (size_t i = 0; i < COUNT(will_topics); i++) {
            connect_spec c = {.level = levels[l], .flags = 0xC6, .client_id = "c", .will_topic = will_topics[i]};
            add_connect(&c, true);
        }
    /* 5.0 CONNECT properties, one at a time and together, and will properties. */
    static props cp[16], wp[12];
    size_t ncp = 0, nwp = 0;
    props_begin(&cp[ncp++]);
    props_begin(&cp[ncp]);
    p_int(&cp[ncp++], MQTT_PROP_SESSION_EXPIRY_INTERVAL, 300);
    props_begin(&cp[ncp]);
    p_int(&cp[ncp++], MQTT_PROP_RECEIVE_MAXIMUM, 20);
    props_begin(&cp[ncp]);
    p_int(&cp[ncp++], MQTT_PROP_TOPIC_ALIAS_MAXIMUM, 0);
    props_begin(&cp[ncp]);
    p_int(&cp[ncp++], MQTT_PROP_MAXIMUM_PACKET_SIZE, 1024);
    props_begin(&cp[ncp]);
    p_int(&cp[ncp++], MQTT_PROP_REQUEST_PROBLEM_INFORMATION, 1);
    props_begin(&cp[ncp]);
    p_int(&cp[ncp++], MQTT_PROP_REQUEST_RESPONSE_INFORMATION, 0);
    props_begin(&cp[ncp]);
    p_str(&cp[ncp], MQTT_PROP_AUTHENTICATION_METHOD, "SCRAM-SHA-1");
    p_bin(&cp[ncp++], MQTT_PROP_AUTHENTICATION_DATA, "\x00\x01", 2);
    props_begin(&cp[ncp]);
    p_bin(&cp[ncp++], MQTT_PROP_AUTHENTICATION_DATA, "\x00\x01", 2); /* data without method */
    props_begin(&cp[ncp]);
    p_pair(&cp[ncp++], "client", "bench");
    props_begin(&cp[ncp]); /* the bench's three */
    p_int(&cp[ncp], MQTT_PROP_SESSION_EXPIRY_INTERVAL, 300);
    p_int(&cp[ncp], MQTT_PROP_RECEIVE_MAXIMUM, 20);
    p_int(&cp[ncp++], MQTT_PROP_TOPIC_ALIAS_MAXIMUM, 10);
    props_begin(&cp[ncp]);
    p_int(&cp[ncp++], MQTT_PROP_TOPIC_ALIAS, 1); /* not allowed in CONNECT */
    props_begin(&wp[nwp++]);
    props_begin(&wp[nwp]);
    p_int(&wp[nwp++], MQTT_PROP_WILL_DELAY_INTERVAL, 5);
    props_begin(&wp[nwp]);
    p_int(&wp[nwp++], MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1);
    props_begin(&wp[nwp]);
    p_int(&wp[nwp++], MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 10);
    props_begin(&wp[nwp]);
    p_str(&wp[nwp++], MQTT_PROP_CONTENT_TYPE, "text/plain");
    props_begin(&wp[nwp]);
    p_str(&wp[nwp++], MQTT_PROP_RESPONSE_TOPIC, "r/t");
    props_begin(&wp[nwp]);
    p_bin(&wp[nwp++], MQTT_PROP_CORRELATION_DATA, "\x01\x00", 2);
    props_begin(&wp[nwp]);
    p_pair(&wp[nwp++], "w", "1");
    props_begin(&wp[nwp]);
    p_int(&wp[nwp++], MQTT_PROP_SESSION_EXPIRY_INTERVAL, 5); /* not a will property */
    for (size_t i = 0; i < ncp; i++) {
        /* wp[nwp - 1] is not a will property: pair every CONNECT property set with a valid will set */
        connect_spec c = {.level = MQTT_V5, .flags = 0xCE, .client_id = "bench-client-0000000001", .props = &cp[i],
                          .will_props = &wp[i % (nwp - 1)]};
        add_connect(&c, true);
        c.flags = 0xC2; /* no will */
        add_connect(&c, true);
    }
    for (size_t i = 0; i < nwp; i++) {
        connect_spec c = {.level = MQTT_V5, .flags = 0x06, .client_id = "", .will_props = &wp[i]};
        add_connect(&c, true);
    }
}

/* ---- CONNACK ---- */

static void hp_connack(void)
{
    for (uint8_t sp = 0; sp < 2; sp++)
        for (uint8_t code = 0; code <= 5; code++) {
            mqtt_writer w;
            body_begin(&w);
            mqtt_write_u8(&w, sp);
            mqtt_write_u8(&w, code);
            add_framed(MQTT_CONNACK << 4, &w, code < 2);
        }
    static const uint8_t codes5[] = {0x00, 0x80, 0x87, 0x9F};
    props pr[6];
    for (size_t i = 0; i < COUNT(pr); i++)
        props_begin(&pr[i]);
    p_int(&pr[1], MQTT_PROP_SESSION_EXPIRY_INTERVAL, 30);
    p_str(&pr[2], MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, "auto-4711");
    p_int(&pr[3], MQTT_PROP_SERVER_KEEP_ALIVE, 30);
    p_int(&pr[3], MQTT_PROP_MAXIMUM_QOS, 1);
    p_int(&pr[3], MQTT_PROP_RETAIN_AVAILABLE, 0);
    p_int(&pr[3], MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE, 1);
    p_int(&pr[3], MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE, 1);
    p_int(&pr[3], MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE, 0);
    p_int(&pr[4], MQTT_PROP_RECEIVE_MAXIMUM, 10);
    p_int(&pr[4], MQTT_PROP_TOPIC_ALIAS_MAXIMUM, 10);
    p_int(&pr[4], MQTT_PROP_MAXIMUM_PACKET_SIZE, 65536);
    p_str(&pr[4], MQTT_PROP_RESPONSE_INFORMATION, "resp/");
    p_str(&pr[4], MQTT_PROP_SERVER_REFERENCE, "other:1883");
    p_str(&pr[4], MQTT_PROP_REASON_STRING, "ok");
    p_pair(&pr[4], "a", "b");
    p_str(&pr[5], MQTT_PROP_AUTHENTICATION_METHOD, "m");
    p_bin(&pr[5], MQTT_PROP_AUTHENTICATION_DATA, "d", 1);
    for (uint8_t sp = 0; sp < 2; sp++)
        for (size_t c = 0; c < COUNT(codes5); c++)
            for (size_t i = 0; i < COUNT(pr); i++) {
                mqtt_writer w;
                body_begin(&w);
                mqtt_write_u8(&w, sp);
                mqtt_write_u8(&w, codes5[c]);
                w_props(&w, &pr[i]);
                add_framed(MQTT_CONNACK << 4, &w, sp == 0 && (c == 0 || i == 4));
            }
}

/* ---- PUBACK, PUBREC, PUBREL, PUBCOMP ---- */

static void hp_acks(void)
{
    static const uint16_t pids[] = {1, 0x1234, 0xFFFF};
    static const uint8_t codes[] = {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x92, 0x97, 0x99, 0x04};
    props none, rs, up, both;
    props_begin(&none);
    props_begin(&rs);
    p_str(&rs, MQTT_PROP_REASON_STRING, "because");
    props_begin(&up);
    p_pair(&up, "k", "v");
    props_begin(&both);
    p_str(&both, MQTT_PROP_REASON_STRING, "a reason string longer than 16");
    p_pair(&both, "key", "value");
    const props *sets[] = {&none, &rs, &up, &both};
    for (uint8_t type = MQTT_PUBACK; type <= MQTT_PUBCOMP; type++) {
        uint8_t first = (uint8_t)(type << 4 | (type == MQTT_PUBREL ? 2 : 0));
        for (size_t i = 0; i < COUNT(pids); i++) {
            mqtt_writer w;
            body_begin(&w);
            mqtt_write_u16(&w, pids[i]);
            add_framed(first, &w, true);
        }
        for (size_t c = 0; c < COUNT(codes); c++) {
            mqtt_writer w;
            body_begin(&w);
            mqtt_write_u16(&w, 7);
            mqtt_write_u8(&w, codes[c]);
            add_framed(first, &w, c < 3);
            for (size_t s = 0; s < COUNT(sets); s++) {
                body_begin(&w);
                mqtt_write_u16(&w, 7);
                mqtt_write_u8(&w, codes[c]);
                w_props(&w, sets[s]);
                add_framed(first, &w, c < 2 || s == 3);
            }
        }
    }
}

/* ---- SUBSCRIBE, UNSUBSCRIBE ---- */

static const char *const filters[] = {
    "a",
    "#",
    "+",
    "a/+",
    "+/a",
    "a/#",
    "+/+/+",
    "/",
    "//",
    "/#",
    "+/#",
    "a/+/c",
    "x/#",
    "sensors/building-7/+/temp",
    "abcdefghijklmn/+",
    "abcdefghijklmno/+",
    "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/+",
    "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/+/#",
    "sensors/building-7/floor-3/+/temperature/#",
    "a+",
    "+a",
    "a/#/b",
    "##",
    "\xc3\xa9/+",
    "$share/g/a/+",
    "$share/group/sensors/+/temp",
    "$share/g/#",
    "$share//a",
    "$share/g",
    "$share/g/",
    "$share/+/a",
    "$SYS/#",
};

static void add_sub(uint8_t type, mqtt_version v, const char *const *fs, size_t n, const uint8_t *opts,
                    const props *pr, bool mutate)
{
    mqtt_writer w;
    body_begin(&w);
    mqtt_write_u16(&w, 0x0A0B);
    if (v == MQTT_V5) {
        if (pr)
            w_props(&w, pr);
        else
            w_no_props(&w);
    }
    for (size_t i = 0; i < n; i++)
        mqtt_write_sub_entry(&w, (mqtt_bytes){(const uint8_t *)fs[i], (uint32_t)strlen(fs[i])},
                             type == MQTT_SUBSCRIBE ? opts[i] : -1);
    add_framed((uint8_t)(type << 4 | 2), &w, mutate);
}

static void hp_subscribe(void)
{
    static const char *const bench[] = {"a/+/c", "x/#", "sensors/building-7/+/temp"};
    static const uint8_t bench_opts[] = {1, 0, 2};
    static const uint8_t opts5[] = {0x00, 0x01 | 0x04, 0x02 | 0x08, 0x10, 0x21, 0x2E, 0x05};
    props subid, subid_big, up;
    props_begin(&subid);
    p_int(&subid, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 7);
    props_begin(&subid_big);
    p_int(&subid_big, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 200000);
    p_pair(&subid_big, "x", "y");
    props_begin(&up);
    p_pair(&up, "x", "y");
    static const mqtt_version sv[] = {MQTT_V311, MQTT_V5};
    for (size_t vi = 0; vi < COUNT(sv); vi++) {
        mqtt_version v = sv[vi];
        add_sub(MQTT_SUBSCRIBE, v, bench, COUNT(bench), bench_opts, v == MQTT_V5 ? &subid : NULL, true);
        add_sub(MQTT_UNSUBSCRIBE, v, bench, COUNT(bench), bench_opts, NULL, true);
        for (size_t i = 0; i < COUNT(filters); i++) {
            uint8_t o[1] = {(uint8_t)(v == MQTT_V5 ? opts5[i % COUNT(opts5)] : i % 3)};
            add_sub(MQTT_SUBSCRIBE, v, &filters[i], 1, o, NULL, true);
            add_sub(MQTT_UNSUBSCRIBE, v, &filters[i], 1, o, i % 3 ? NULL : &up, true);
        }
        /* Every filter in one packet (some are invalid: the first bad one decides). */
        uint8_t all_opts[COUNT(filters)];
        for (size_t i = 0; i < COUNT(filters); i++)
            all_opts[i] = (uint8_t)(i % 3);
        add_sub(MQTT_SUBSCRIBE, v, filters, 14, all_opts, v == MQTT_V5 ? &subid_big : NULL, true);
        add_sub(MQTT_UNSUBSCRIBE, v, filters, 14, all_opts, v == MQTT_V5 ? &up : NULL, true);
    }
    /* Every options byte on one filter, both versions. */
    for (unsigned o = 0; o < 256; o++) {
        uint8_t ob[1] = {(uint8_t)o};
        add_sub(MQTT_SUBSCRIBE, MQTT_V311, bench, 1, ob, NULL, false);
        add_sub(MQTT_SUBSCRIBE, MQTT_V5, bench, 1, ob, NULL, false);
        static const char *const shared[] = {"$share/g/a"};
        add_sub(MQTT_SUBSCRIBE, MQTT_V5, shared, 1, ob, NULL, false);
    }
}

/* ---- SUBACK, UNSUBACK ---- */

static void add_codes(uint8_t type, mqtt_version v, const uint8_t *codes, size_t n, const props *pr, bool mutate)
{
    mqtt_writer w;
    body_begin(&w);
    mqtt_write_u16(&w, 0x0102);
    if (v == MQTT_V5) {
        if (pr)
            w_props(&w, pr);
        else
            w_no_props(&w);
    }
    mqtt_write_bytes(&w, codes, n);
    add_framed((uint8_t)(type << 4), &w, mutate);
}

static void hp_suback(void)
{
    static const uint8_t sub311[] = {1, 0, 2, 0x80};
    static const uint8_t sub5[] = {0, 1, 2, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
    static const uint8_t unsub5[] = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
    props rs;
    props_begin(&rs);
    p_str(&rs, MQTT_PROP_REASON_STRING, "granted");
    p_pair(&rs, "a", "b");
    add_codes(MQTT_SUBACK, MQTT_V311, sub311, 3, NULL, true);
    add_codes(MQTT_SUBACK, MQTT_V311, sub311, COUNT(sub311), NULL, true);
    add_codes(MQTT_SUBACK, MQTT_V5, sub5, COUNT(sub5), NULL, true);
    add_codes(MQTT_SUBACK, MQTT_V5, sub5, 3, &rs, true);
    add_codes(MQTT_UNSUBACK, MQTT_V311, sub311, 0, NULL, true);
    add_codes(MQTT_UNSUBACK, MQTT_V5, unsub5, COUNT(unsub5), NULL, true);
    add_codes(MQTT_UNSUBACK, MQTT_V5, unsub5, 1, &rs, true);
    for (unsigned c = 0; c < 256; c++) {
        uint8_t one[1] = {(uint8_t)c};
        add_codes(MQTT_SUBACK, MQTT_V311, one, 1, NULL, false);
        add_codes(MQTT_SUBACK, MQTT_V5, one, 1, NULL, false);
        add_codes(MQTT_UNSUBACK, MQTT_V5, one, 1, NULL, false);
    }
}

/* ---- PINGREQ, PINGRESP, DISCONNECT, AUTH ---- */

static void hp_empty_and_reason(void)
{
    mqtt_writer w;
    static const uint8_t firsts[] = {0xC0, 0xD0, 0xE0, 0xF0};
    for (size_t i = 0; i < COUNT(firsts); i++) {
        body_begin(&w);
        add_framed(firsts[i], &w, true);
    }
    props none, dprops, aprops;
    props_begin(&none);
    props_begin(&dprops);
    p_int(&dprops, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 0);
    p_str(&dprops, MQTT_PROP_REASON_STRING, "bye");
    p_str(&dprops, MQTT_PROP_SERVER_REFERENCE, "elsewhere");
    p_pair(&dprops, "k", "v");
    props_begin(&aprops);
    p_str(&aprops, MQTT_PROP_AUTHENTICATION_METHOD, "SCRAM-SHA-1");
    p_bin(&aprops, MQTT_PROP_AUTHENTICATION_DATA, "\x00\x01\x02", 3);
    static const uint8_t dcodes[] = {0x00, 0x04, 0x80, 0x8E, 0x8B, 0x93};
    for (size_t c = 0; c < COUNT(dcodes); c++) {
        body_begin(&w);
        mqtt_write_u8(&w, dcodes[c]);
        add_framed(0xE0, &w, true);
        body_begin(&w);
        mqtt_write_u8(&w, dcodes[c]);
        w_props(&w, &none);
        add_framed(0xE0, &w, true);
        body_begin(&w);
        mqtt_write_u8(&w, dcodes[c]);
        w_props(&w, &dprops);
        add_framed(0xE0, &w, c < 2);
    }
    static const uint8_t acodes[] = {0x00, 0x18, 0x19};
    for (size_t c = 0; c < COUNT(acodes); c++) {
        body_begin(&w);
        mqtt_write_u8(&w, acodes[c]);
        w_props(&w, &aprops);
        add_framed(0xF0, &w, true);
    }
}

/*
 * Properties twice (an error unless the property may repeat), in every
 * context with a fast path, and the shapes the lean 5.0 PUBLISH path takes
 * with small payloads (it reads ahead of the property block).
 */
static void hp_repeats_and_shapes(void)
{
    static const struct {
        uint8_t id;
        uint32_t value;
        const char *text;
    } once[] = {
        {MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1, NULL}, {MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 60, NULL},
        {MQTT_PROP_TOPIC_ALIAS, 3, NULL},              {MQTT_PROP_CONTENT_TYPE, 0, "ct"},
        {MQTT_PROP_RESPONSE_TOPIC, 0, "rt"},           {MQTT_PROP_CORRELATION_DATA, 0, "cd"},
        {MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 9, NULL},  {MQTT_PROP_USER_PROPERTY, 0, "up"},
    };
    for (size_t i = 0; i < COUNT(once); i++)
        for (size_t j = 0; j < COUNT(once); j++) {
            props pr;
            props_begin(&pr);
            const size_t pick[3] = {i, j, i};
            for (size_t k = 0; k < 3; k++) {
                if (once[pick[k]].id == MQTT_PROP_USER_PROPERTY)
                    p_pair(&pr, once[pick[k]].text, "v");
                else if (once[pick[k]].text && once[pick[k]].id == MQTT_PROP_CORRELATION_DATA)
                    p_bin(&pr, once[pick[k]].id, once[pick[k]].text, 2);
                else if (once[pick[k]].text)
                    p_str(&pr, once[pick[k]].id, once[pick[k]].text);
                else
                    p_int(&pr, once[pick[k]].id, once[pick[k]].value);
            }
            add_publish_str(MQTT_V5, 0x02, "sensors/building-7", &pr, 20);
        }
    /* Other contexts: CONNECT, will, acks, SUBSCRIBE, DISCONNECT, CONNACK. */
    props twice;
    props_begin(&twice);
    p_int(&twice, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 1);
    p_int(&twice, MQTT_PROP_RECEIVE_MAXIMUM, 1);
    p_int(&twice, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 2);
    connect_spec c = {.level = MQTT_V5, .flags = 0x02, .client_id = "c", .props = &twice};
    add_connect(&c, true);
    props will_twice;
    props_begin(&will_twice);
    p_int(&will_twice, MQTT_PROP_WILL_DELAY_INTERVAL, 1);
    p_int(&will_twice, MQTT_PROP_WILL_DELAY_INTERVAL, 1);
    connect_spec w = {.level = MQTT_V5, .flags = 0x06, .client_id = "c", .will_props = &will_twice};
    add_connect(&w, true);
    props rs_twice;
    props_begin(&rs_twice);
    p_str(&rs_twice, MQTT_PROP_REASON_STRING, "a");
    p_str(&rs_twice, MQTT_PROP_REASON_STRING, "b");
    for (uint8_t type = MQTT_PUBACK; type <= MQTT_PUBCOMP; type++) {
        mqtt_writer wr;
        body_begin(&wr);
        mqtt_write_u16(&wr, 1);
        mqtt_write_u8(&wr, 0);
        w_props(&wr, &rs_twice);
        add_framed((uint8_t)(type << 4 | (type == MQTT_PUBREL ? 2 : 0)), &wr, true);
    }
    props subid_twice;
    props_begin(&subid_twice);
    p_int(&subid_twice, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 1);
    p_int(&subid_twice, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 2);
    static const char *const one_filter[] = {"a/+"};
    static const uint8_t one_opt[] = {1};
    add_sub(MQTT_SUBSCRIBE, MQTT_V5, one_filter, 1, one_opt, &subid_twice, true);
    mqtt_writer wr;
    body_begin(&wr);
    mqtt_write_u8(&wr, 0);
    w_props(&wr, &rs_twice);
    add_framed(0xE0, &wr, true);
    body_begin(&wr);
    mqtt_write_u8(&wr, 0);
    mqtt_write_u8(&wr, 0);
    w_props(&wr, &rs_twice);
    add_framed(0x20, &wr, true);
    /* Lean shapes: topics of 8..32 plain bytes, QoS 0/1/2, packet identifier 0, payloads of 0..20 bytes. */
    static props bench;
    props_begin(&bench);
    p_int(&bench, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1);
    p_int(&bench, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 3600);
    p_int(&bench, MQTT_PROP_TOPIC_ALIAS, 5);
    p_pair(&bench, "site", "b7");
    static const size_t topic_lens[] = {8, 12, 16, 17, 31, 32};
    for (size_t t = 0; t < COUNT(topic_lens); t++)
        for (uint8_t qos = 0; qos < 3; qos++)
            for (size_t pl = 0; pl <= 20; pl += (pl < 4 || pl > 14) ? 1 : 5) {
                uint8_t flags = (uint8_t)(qos << 1);
                add_publish(MQTT_V5, flags, (const uint8_t *)long_topic, topic_lens[t], 7, &bench, pl, pl % 4 == 0);
                add_publish(MQTT_V311, flags, (const uint8_t *)long_topic, topic_lens[t], 7, NULL, pl, false);
                if (qos) { /* packet identifier 0 */
                    add_publish(MQTT_V5, flags, (const uint8_t *)long_topic, topic_lens[t], 0, &bench, pl, false);
                    add_publish(MQTT_V311, flags, (const uint8_t *)long_topic, topic_lens[t], 0, NULL, pl, false);
                }
            }
}

static void hp_samples(void)
{
    if (nsamples)
        return;
    hp_repeats_and_shapes();
    hp_publish();
    hp_connect();
    hp_connack();
    hp_acks();
    hp_subscribe();
    hp_suback();
    hp_empty_and_reason();
    for (size_t i = 0; i < corpus_malformed_count(); i++) {
        corpus_buf b;
        assert_int_equal(corpus_malformed_generate(i, &b), 0);
        add_sample(b.data, b.len, true);
        corpus_buf_free(&b);
    }
}

/* Bytes of a packet's fixed header. */
static size_t header_len(const uint8_t *p, size_t len)
{
    size_t h = 2;
    while (h <= len && h < 6 && (p[h - 1] & 0x80))
        h++;
    return h;
}

/* ---- the tests over the hand-picked packets ---- */

static uint8_t work[SCRATCH + 64];

static void test_samples_as_is(void **state)
{
    (void)state;
    hp_samples();
    size_t before = total_counts.compared;
    for (size_t i = 0; i < nsamples; i++) {
        const sample *s = &samples[i];
        uint32_t len = (uint32_t)s->len;
        const uint32_t limits[] = {0, 1, 2, len - 1, len, len + 1, 127, 128, 129, 16384, UINT32_MAX};
        for (size_t l = 0; l < COUNT(limits); l++) {
            compare_all_opts(s->bytes, s->len, limits[l], false, "as is");
            compare_all_opts(s->bytes, s->len, limits[l], true, "as is");
        }
        /* Trailing bytes: zeros, 0xFF, another packet. */
        static const uint8_t fills[] = {0x00, 0xFF, 0x30};
        for (size_t f = 0; f < COUNT(fills); f++) {
            memcpy(work, s->bytes, s->len);
            memset(work + s->len, fills[f], 40);
            compare_all_opts(work, s->len + 40, 0, false, "trailing bytes");
        }
        /* A non-minimal Remaining Length (2, 3 and 4 bytes) where the value allows it. */
        size_t h = header_len(s->bytes, s->len);
        uint32_t rl = (uint32_t)(s->len - h);
        for (size_t n = h; n <= 4 && s->len - h + 1 + n <= sizeof work; n++) {
            size_t k = 0;
            work[k++] = s->bytes[0];
            uint32_t v = rl;
            for (size_t b = 0; b < n; b++) {
                work[k++] = (uint8_t)((v & 0x7F) | (b + 1 < n ? 0x80 : 0));
                v >>= 7;
            }
            if (v)
                continue; /* does not fit */
            memcpy(work + k, s->bytes + h, rl);
            compare_all_opts(work, k + rl, 0, n & 1, "non-minimal remaining length");
        }
    }
    print_message("as is: %zu samples, %zu comparisons\n", nsamples, total_counts.compared - before);
}

static void test_samples_truncated(void **state)
{
    (void)state;
    hp_samples();
    size_t before = total_counts.compared;
    for (size_t i = 0; i < nsamples; i++) {
        const sample *s = &samples[i];
        /* Every length for packets up to 300 bytes; around the header and the end for bigger ones. */
        for (size_t n = 0; n < s->len; n++) {
            if (s->len > 300 && n > 64 && n + 64 < s->len && n % 997)
                continue;
            compare_all_opts(s->bytes, n, 0, false, "truncated");
            compare_all_opts(s->bytes, n, 0, true, "truncated");
        }
    }
    print_message("truncated: %zu comparisons\n", total_counts.compared - before);
}

static void test_samples_substituted(void **state)
{
    (void)state;
    hp_samples();
    static const uint8_t values[] = {0x00, 0x01, 0x23, 0x2B, 0x2F, 0x7F, 0x80, 0xFF};
    size_t before = total_counts.compared, mutated = 0;
    for (size_t i = 0; i < nsamples; i++) {
        const sample *s = &samples[i];
        if (!s->mutate)
            continue;
        size_t upto = s->len < 320 ? s->len : 320;
        memcpy(work, s->bytes, s->len);
        for (size_t pos = 0; pos < upto; pos++) {
            uint8_t orig = work[pos];
            for (size_t v = 0; v < COUNT(values); v++) {
                if (values[v] == orig)
                    continue;
                work[pos] = values[v];
                compare_all_opts(work, s->len, 0, (pos + v) & 1, "substituted");
                mutated++;
            }
            work[pos] = orig;
            /* Two bytes at once: a length or packet identifier of 0 or 0xFFFF. */
            if (pos + 1 < upto) {
                uint8_t orig2 = work[pos + 1];
                for (unsigned v = 0; v < 2; v++) {
                    work[pos] = work[pos + 1] = v ? 0xFF : 0x00;
                    compare_all_opts(work, s->len, 0, (pos + v) & 1, "two bytes substituted");
                    mutated++;
                }
                work[pos] = orig;
                work[pos + 1] = orig2;
            }
        }
    }
    print_message("substituted: %zu mutated inputs, %zu comparisons\n", mutated, total_counts.compared - before);
}

/* A sweep of the second byte and the flags nibble on short packets: every header the dispatch may see. */
static void test_headers(void **state)
{
    (void)state;
    size_t before = total_counts.compared;
    for (unsigned b0 = 0; b0 < 256; b0++)
        for (unsigned rl = 0; rl < 8; rl++) {
            uint8_t pkt[16] = {(uint8_t)b0, (uint8_t)rl, 0x00, 0x01, 'a', 0x00, 0x02, 0x00};
            compare_all_opts(pkt, 2 + rl, 0, rl & 1, "header sweep");
        }
    print_message("headers: %zu comparisons\n", total_counts.compared - before);
}

static void test_summary(void **state)
{
    (void)state;
    print_message("total: %zu comparisons (%zu complete, %zu need more, %zu malformed)\n", total_counts.compared,
                  total_counts.complete, total_counts.need_more, total_counts.malformed);
    for (size_t i = 0; i < nsamples; i++)
        free(samples[i].bytes);
    free(samples);
    samples = NULL;
    nsamples = capsamples = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpora),          cmocka_unit_test(test_samples_as_is),
        cmocka_unit_test(test_samples_truncated), cmocka_unit_test(test_samples_substituted),
        cmocka_unit_test(test_headers),          cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, map_guards, unmap_guards);
}
