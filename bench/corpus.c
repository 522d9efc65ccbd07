/*
 * Benchmark corpora built with the codec's encoder; the byte-for-byte twin
 * of shared/bench/gen_corpus.py (bench/check_corpus.sh compares them).
 *
 * Every packet goes through mqtt_encode; 5.0 property blocks are written
 * with mqtt_write_property and SUBSCRIBE payloads with mqtt_write_sub_entry.
 * Only the malformed probes that the wire format itself cannot express
 * through the encoder (over-long or non-minimal Remaining Length, fields
 * overrunning the packet) are spelled as raw bytes; those that differ from
 * a well-formed packet only by their first byte are encoded, then patched.
 */
#include "corpus.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TOPIC "sensors/building-7/floor-3/temp"
#define PAYLOAD_LEN 64
#define BIG_PAYLOAD_LEN 65536
#define CORPUS_PACKETS 100000
#define BIG_PACKETS 2000

/* Bytes of a string literal, embedded NULs included, without the terminator. */
#define LIT(s) ((mqtt_bytes){(const uint8_t *)(s), (uint32_t)(sizeof(s) - 1)})

static const uint8_t empty_block[1]; /* a non-NULL pointer for empty property blocks */

/* ---- buffer ---- */

void corpus_buf_free(corpus_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

static int buf_reserve(corpus_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < extra)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

static int append_raw(corpus_buf *b, mqtt_bytes bytes)
{
    if (buf_reserve(b, bytes.len))
        return -1;
    memcpy(b->data + b->len, bytes.ptr, bytes.len);
    b->len += bytes.len;
    b->count++;
    return 0;
}

static int append_packet(corpus_buf *b, const mqtt_packet *pkt, mqtt_version version)
{
    size_t need = mqtt_encoded_size(pkt, version);
    if (need == 0 || buf_reserve(b, need))
        return -1;
    size_t n = mqtt_encode(pkt, version, b->data + b->len, b->cap - b->len);
    if (n != need)
        return -1;
    b->len += n;
    b->count++;
    return 0;
}

/* ---- shared pieces ---- */

/* Deterministic, printable-ish payload bytes (gen_corpus.py payload()). */
static void fill_payload(uint8_t *dst, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)(((seed * 31u + (unsigned)i * 7u) & 0x7Fu) | 0x20u);
}

static uint16_t next_pid(size_t i)
{
    return (uint16_t)(i % 65535u + 1u);
}

static mqtt_bytes view(const uint8_t *p, size_t n)
{
    return (mqtt_bytes){p, (uint32_t)n};
}

/* Writes the properties into w and returns the block (NULL ptr on overflow). */
static mqtt_props build_props(mqtt_writer *w, const mqtt_property *props, size_t n)
{
    size_t start = w->len;
    for (size_t i = 0; i < n; i++)
        mqtt_write_property(w, &props[i]);
    if (w->overflow)
        return (mqtt_props){NULL, 0};
    return (mqtt_props){w->buf + start, (uint32_t)(w->len - start)};
}

/* ---- packet builders ---- */

static mqtt_packet publish_pkt(mqtt_bytes topic, mqtt_bytes payload, uint8_t qos, uint16_t pid)
{
    mqtt_packet p;
    memset(&p, 0, sizeof(p));
    p.type = MQTT_PUBLISH;
    p.flags = (uint8_t)(qos << 1);
    p.u.publish.qos = qos;
    p.u.publish.topic = topic;
    p.u.publish.packet_id = pid;
    p.u.publish.props = (mqtt_props){empty_block, 0};
    p.u.publish.payload = payload;
    return p;
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP; with_code adds the 5.0 reason code 0 and an empty property block. */
static mqtt_packet ack_pkt(uint8_t type, uint16_t pid, bool with_code)
{
    mqtt_packet p;
    memset(&p, 0, sizeof(p));
    p.type = type;
    p.flags = type == MQTT_PUBREL ? 0x2 : 0x0;
    p.u.ack.packet_id = pid;
    p.u.ack.has_code = with_code;
    p.u.ack.has_props = with_code;
    p.u.ack.props = (mqtt_props){empty_block, 0};
    return p;
}

static mqtt_packet simple_pkt(uint8_t type)
{
    mqtt_packet p;
    memset(&p, 0, sizeof(p));
    p.type = type;
    return p;
}

/* The bench CONNECT: will QoS 1, clean session, user name and password. */
static mqtt_packet connect_pkt(uint8_t level, mqtt_props props, mqtt_props will_props)
{
    mqtt_packet p = simple_pkt(MQTT_CONNECT);
    mqtt_connect *c = &p.u.connect;
    c->protocol_name = LIT("MQTT");
    c->protocol_level = level;
    c->flags = 0x80 | 0x40 | 0x08 | 0x04 | 0x02;
    c->clean_start = true;
    c->will = true;
    c->will_qos = 1;
    c->has_username = true;
    c->has_password = true;
    c->keep_alive = 60;
    c->props = props;
    c->client_id = LIT("bench-client-0000000001");
    c->will_props = will_props;
    c->will_topic = LIT("clients/benchmark/status");
    c->will_payload = LIT("offline");
    c->username = LIT("user-test");
    c->password = LIT("s3cr3t-password");
    return p;
}

static mqtt_packet subscribe_pkt(uint16_t pid, mqtt_props props, mqtt_list list)
{
    mqtt_packet p = simple_pkt(MQTT_SUBSCRIBE);
    p.flags = 0x2;
    p.u.subs.packet_id = pid;
    p.u.subs.props = props;
    p.u.subs.list = list;
    return p;
}

static mqtt_packet suback_pkt(uint16_t pid)
{
    static const uint8_t codes[] = {1, 0, 2};
    mqtt_packet p = simple_pkt(MQTT_SUBACK);
    p.u.subs.packet_id = pid;
    p.u.subs.props = (mqtt_props){empty_block, 0};
    p.u.subs.list = (mqtt_list){codes, sizeof(codes), sizeof(codes)};
    return p;
}

static mqtt_packet disconnect5_pkt(void)
{
    mqtt_packet p = simple_pkt(MQTT_DISCONNECT);
    p.u.disconnect.has_code = true;
    p.u.disconnect.has_props = true;
    p.u.disconnect.props = (mqtt_props){empty_block, 0};
    return p;
}

typedef struct sub_spec {
    mqtt_bytes filter;
    uint8_t options;
} sub_spec;

/* Writes the SUBSCRIBE entries into w; count 0 on overflow. */
static mqtt_list build_sub_list(mqtt_writer *w, const sub_spec *subs, size_t n)
{
    size_t start = w->len;
    for (size_t i = 0; i < n; i++)
        mqtt_write_sub_entry(w, subs[i].filter, subs[i].options);
    if (w->overflow)
        return (mqtt_list){NULL, 0, 0};
    return (mqtt_list){w->buf + start, (uint32_t)(w->len - start), (uint32_t)n};
}

static mqtt_list sub_list_311(mqtt_writer *w)
{
    const sub_spec subs[] = {
        {LIT("a/+/c"), 1},
        {LIT("x/#"), 0},
        {LIT("sensors/building-7/+/temp"), 2},
    };
    return build_sub_list(w, subs, sizeof(subs) / sizeof(subs[0]));
}

/* ---- 3.1.1 corpora ---- */

static int gen_publish(corpus_buf *out, size_t n, uint8_t qos, size_t payload_len)
{
    uint8_t *payload = malloc(payload_len);
    if (!payload)
        return -1;
    fill_payload(payload, payload_len, 1);
    mqtt_packet p = publish_pkt(LIT(TOPIC), view(payload, payload_len), qos, 0);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        p.u.publish.packet_id = qos ? next_pid(i) : 0;
        rc = append_packet(out, &p, MQTT_V311);
    }
    free(payload);
    return rc;
}

static int gen_publish_q0(corpus_buf *out)
{
    return gen_publish(out, CORPUS_PACKETS, 0, PAYLOAD_LEN);
}

static int gen_publish_q1(corpus_buf *out)
{
    return gen_publish(out, CORPUS_PACKETS, 1, PAYLOAD_LEN);
}

static int gen_publish_big(corpus_buf *out)
{
    return gen_publish(out, BIG_PACKETS, 0, BIG_PAYLOAD_LEN);
}

/* The payload and the blocks a corpus's packets point into, built once. */
typedef struct mixed_ctx {
    uint8_t payload[PAYLOAD_LEN];
    uint8_t storage[256];
    mqtt_list subs;
    mqtt_props props;         /* 5.0 PUBLISH */
    mqtt_props sub_props;     /* 5.0 SUBSCRIBE */
    mqtt_props connect_props; /* 5.0 CONNECT */
    mqtt_props will_props;    /* 5.0 CONNECT */
} mixed_ctx;

/* Packet kind k (0..9) of mixed.bin with packet identifier pid. */
static mqtt_packet mixed_packet(const mixed_ctx *ctx, unsigned k, uint16_t pid)
{
    mqtt_bytes payload = view(ctx->payload, PAYLOAD_LEN);
    mqtt_props none = {empty_block, 0};
    switch (k) {
    case 0: return connect_pkt(MQTT_V311, none, none);
    case 1: return publish_pkt(LIT(TOPIC), payload, 1, pid);
    case 2: return ack_pkt(MQTT_PUBACK, pid, false);
    case 3: return subscribe_pkt(pid, none, ctx->subs);
    case 4: return suback_pkt(pid);
    case 5: return simple_pkt(MQTT_PINGREQ);
    case 6: return publish_pkt(LIT(TOPIC), payload, 2, pid);
    case 7: return ack_pkt(MQTT_PUBREC, pid, false);
    case 8: return ack_pkt(MQTT_PUBREL, pid, false);
    default: return ack_pkt(MQTT_PUBCOMP, pid, false);
    }
}

/* Kinds only a client sends: CONNECT, SUBSCRIBE, PINGREQ. */
static bool mixed_client_only(unsigned k)
{
    return k == 0 || k == 3 || k == 5;
}

static int gen_mixed_common(corpus_buf *out, bool server_to_client_only)
{
    mixed_ctx ctx;
    mqtt_writer w;
    memset(&ctx, 0, sizeof(ctx));
    fill_payload(ctx.payload, PAYLOAD_LEN, 2);
    mqtt_writer_init(&w, ctx.storage, sizeof(ctx.storage));
    ctx.subs = sub_list_311(&w);
    if (ctx.subs.count == 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < CORPUS_PACKETS && rc == 0; i++) {
        unsigned k = (unsigned)(i % 10);
        if (server_to_client_only && mixed_client_only(k))
            continue;
        mqtt_packet p = mixed_packet(&ctx, k, next_pid(i));
        rc = append_packet(out, &p, MQTT_V311);
    }
    return rc;
}

static int gen_mixed(corpus_buf *out)
{
    return gen_mixed_common(out, false);
}

static int gen_mixed_s2c(corpus_buf *out)
{
    return gen_mixed_common(out, true);
}

/* ---- 5.0 corpora ---- */

/* Payload Format Indicator, Message Expiry Interval, Topic Alias, User Property. */
static mqtt_props publish5_props(mqtt_writer *w)
{
    mqtt_property props[4];
    memset(props, 0, sizeof(props));
    props[0].id = MQTT_PROP_PAYLOAD_FORMAT_INDICATOR;
    props[0].value = 1;
    props[1].id = MQTT_PROP_MESSAGE_EXPIRY_INTERVAL;
    props[1].value = 3600;
    props[2].id = MQTT_PROP_TOPIC_ALIAS;
    props[2].value = 5;
    props[3].id = MQTT_PROP_USER_PROPERTY;
    props[3].data = LIT("site");
    props[3].value2 = LIT("b7");
    return build_props(w, props, 4);
}

/* Session Expiry Interval, Receive Maximum, Topic Alias Maximum. */
static mqtt_props connect5_props(mqtt_writer *w)
{
    mqtt_property props[3];
    memset(props, 0, sizeof(props));
    props[0].id = MQTT_PROP_SESSION_EXPIRY_INTERVAL;
    props[0].value = 300;
    props[1].id = MQTT_PROP_RECEIVE_MAXIMUM;
    props[1].value = 20;
    props[2].id = MQTT_PROP_TOPIC_ALIAS_MAXIMUM;
    props[2].value = 10;
    return build_props(w, props, 3);
}

/* A block holding one property with an integer value. */
static mqtt_props int_prop(mqtt_writer *w, uint8_t id, uint32_t value)
{
    mqtt_property prop;
    memset(&prop, 0, sizeof(prop));
    prop.id = id;
    prop.value = value;
    return build_props(w, &prop, 1);
}

static mqtt_list sub_list_5(mqtt_writer *w)
{
    const sub_spec subs[] = {
        {LIT("a/+/c"), 0x01 | MQTT_SUBOPT_NO_LOCAL},
        {LIT("x/#"), MQTT_SUBOPT_RETAIN_AS_PUBLISHED}, /* QoS 0 */
        {LIT("$share/g/sensors/+/temp"), 0x02},
    };
    return build_sub_list(w, subs, sizeof(subs) / sizeof(subs[0]));
}

/* Builds every block the 5.0 corpora use; 0 on success. */
static int mixed5_ctx_init(mixed_ctx *ctx, unsigned seed)
{
    mqtt_writer w;
    memset(ctx, 0, sizeof(*ctx));
    fill_payload(ctx->payload, PAYLOAD_LEN, seed);
    mqtt_writer_init(&w, ctx->storage, sizeof(ctx->storage));
    ctx->props = publish5_props(&w);
    ctx->connect_props = connect5_props(&w);
    ctx->will_props = int_prop(&w, MQTT_PROP_WILL_DELAY_INTERVAL, 5);
    ctx->sub_props = int_prop(&w, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 7);
    ctx->subs = sub_list_5(&w);
    return w.overflow || ctx->subs.count == 0 ? -1 : 0;
}

static mqtt_packet publish5_pkt(const mixed_ctx *ctx, uint8_t qos, uint16_t pid)
{
    mqtt_packet p = publish_pkt(LIT(TOPIC), view(ctx->payload, PAYLOAD_LEN), qos, pid);
    p.u.publish.props = ctx->props;
    return p;
}

/* Packet kind k (0..7) of mixed5.bin with packet identifier pid. */
static mqtt_packet mixed5_packet(const mixed_ctx *ctx, unsigned k, uint16_t pid)
{
    switch (k) {
    case 0: return connect_pkt(MQTT_V5, ctx->connect_props, ctx->will_props);
    case 1: return publish5_pkt(ctx, 1, pid);
    case 2: return ack_pkt(MQTT_PUBACK, pid, true);
    case 3: return subscribe_pkt(pid, ctx->sub_props, ctx->subs);
    case 4: return publish5_pkt(ctx, 2, pid);
    case 5: return ack_pkt(MQTT_PUBREC, pid, true);
    case 6: return ack_pkt(MQTT_PUBREL, pid, true);
    default: return disconnect5_pkt();
    }
}

static int gen_publish5_q1(corpus_buf *out)
{
    mixed_ctx ctx;
    if (mixed5_ctx_init(&ctx, 3))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < CORPUS_PACKETS && rc == 0; i++) {
        mqtt_packet p = publish5_pkt(&ctx, 1, next_pid(i));
        rc = append_packet(out, &p, MQTT_V5);
    }
    return rc;
}

static int gen_mixed5(corpus_buf *out)
{
    mixed_ctx ctx;
    if (mixed5_ctx_init(&ctx, 4))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < CORPUS_PACKETS && rc == 0; i++) {
        mqtt_packet p = mixed5_packet(&ctx, (unsigned)(i % 8), next_pid(i));
        rc = append_packet(out, &p, MQTT_V5);
    }
    return rc;
}

/* ---- corpus table ---- */

static const corpus_info corpora[] = {
    {"publish_q0", "3.1.1 PUBLISH QoS 0, topic 31 B, payload 64 B", MQTT_V311, CORPUS_C2S, CORPUS_PACKETS,
     gen_publish_q0},
    {"publish_q1", "3.1.1 PUBLISH QoS 1, packet ids cycling 1..65535", MQTT_V311, CORPUS_C2S, CORPUS_PACKETS,
     gen_publish_q1},
    {"mixed", "3.1.1, 10 kinds cycling, both directions", MQTT_V311, CORPUS_MIXED, CORPUS_PACKETS, gen_mixed},
    {"mixed_s2c", "mixed minus CONNECT/SUBSCRIBE/PINGREQ (server to client)", MQTT_V311, CORPUS_S2C,
     CORPUS_PACKETS / 10 * 7, gen_mixed_s2c},
    {"publish_big", "3.1.1 PUBLISH QoS 0, payload 64 KiB", MQTT_V311, CORPUS_C2S, BIG_PACKETS, gen_publish_big},
    {"publish5_q1", "5.0 PUBLISH QoS 1 with 4 properties, payload 64 B", MQTT_V5, CORPUS_C2S, CORPUS_PACKETS,
     gen_publish5_q1},
    {"mixed5", "5.0, 8 kinds cycling (client to server)", MQTT_V5, CORPUS_C2S, CORPUS_PACKETS, gen_mixed5},
};

size_t corpus_count(void)
{
    return sizeof(corpora) / sizeof(corpora[0]);
}

const corpus_info *corpus_at(size_t i)
{
    return i < corpus_count() ? &corpora[i] : NULL;
}

const corpus_info *corpus_find(const char *name)
{
    for (size_t i = 0; i < corpus_count(); i++)
        if (strcmp(corpora[i].name, name) == 0)
            return &corpora[i];
    return NULL;
}

int corpus_generate(const corpus_info *c, corpus_buf *out)
{
    memset(out, 0, sizeof(*out));
    if (c->generate(out) != 0 || out->count != c->packets) {
        corpus_buf_free(out);
        return -1;
    }
    return 0;
}

/* ---- malformed probes ---- */

typedef enum malformed_kind {
    MAL_PUBLISH,   /* QoS 1 PUBLISH of "hello" to topic `bytes` with identifier pid */
    MAL_SUBSCRIBE, /* the 3.1.1 bench SUBSCRIBE with identifier pid */
    MAL_ACK,       /* ack of type `type` with identifier pid */
    MAL_RAW,       /* `bytes` as they are */
} malformed_kind;

typedef struct malformed_def {
    const char *name;
    malformed_kind kind;
    mqtt_bytes bytes;
    uint8_t type;
    uint16_t pid;
    uint8_t first_byte; /* non-zero: overwrite the encoded first byte */
} malformed_def;

/* Hex escapes end where a string literal does: "\xff" "b" is two bytes. */
#define RAW_PUBLISH_BODY "\x00\x03" "a/b" "\x00\x07" "hello"

static const malformed_def malformed[] = {
    {"ok_publish", MAL_PUBLISH, LIT("a/b"), 0, 7, 0},
    {"topic_ff", MAL_PUBLISH, LIT("a/\xff" "b"), 0, 7, 0},
    {"topic_nul", MAL_PUBLISH, LIT("a/\x00" "b"), 0, 7, 0},
    {"topic_plus", MAL_PUBLISH, LIT("a/+/b"), 0, 7, 0},
    {"topic_hash", MAL_PUBLISH, LIT("a/#"), 0, 7, 0},
    {"topic_empty", MAL_PUBLISH, LIT(""), 0, 7, 0},
    {"topic_surrogate", MAL_PUBLISH, LIT("a/\xed\xa0\x80"), 0, 7, 0}, /* encoded U+D800 */
    {"publish_qos3", MAL_PUBLISH, LIT("a/b"), 0, 7, 0x36},
    {"publish_q1_pid0", MAL_PUBLISH, LIT("a/b"), 0, 0, 0},
    {"ok_subscribe", MAL_SUBSCRIBE, LIT(""), 0, 9, 0},
    {"subscribe_flags80", MAL_SUBSCRIBE, LIT(""), 0, 9, 0x80}, /* reserved flags 0000, not 0010 */
    /* 5-byte Remaining Length (0x80 0x80 0x80 0x80 0x01) on a tiny PUBLISH */
    {"rl_5byte", MAL_RAW, LIT("\x32\x80\x80\x80\x80\x01" RAW_PUBLISH_BODY), 0, 0, 0},
    /* non-minimal 4-byte encoding of the body length 12 */
    {"rl_nonminimal", MAL_RAW, LIT("\x32\x8c\x80\x80\x00" RAW_PUBLISH_BODY), 0, 0, 0},
    {"ok_puback", MAL_ACK, LIT(""), MQTT_PUBACK, 5, 0},
    {"puback_flags1", MAL_ACK, LIT(""), MQTT_PUBACK, 5, 0x41}, /* reserved flags non-zero */
    {"pubrel_flags0", MAL_ACK, LIT(""), MQTT_PUBREL, 5, 0x60}, /* PUBREL must be 0x62 */
    {"puback_pid0", MAL_ACK, LIT(""), MQTT_PUBACK, 0, 0},
    {"puback_rl0", MAL_RAW, LIT("\x40\x00"), 0, 0, 0}, /* PUBACK with Remaining Length 0 */
    /* QoS 0 PUBLISH whose topic length (255) overruns the Remaining Length (5) */
    {"topic_len_overflow", MAL_RAW, LIT("\x30\x05\x00\xff" "abc"), 0, 0, 0},
};

size_t corpus_malformed_count(void)
{
    return sizeof(malformed) / sizeof(malformed[0]);
}

const char *corpus_malformed_name(size_t i)
{
    return i < corpus_malformed_count() ? malformed[i].name : NULL;
}

static int malformed_encode(const malformed_def *m, corpus_buf *out)
{
    uint8_t storage[64];
    mqtt_writer w;
    mqtt_packet p;
    switch (m->kind) {
    case MAL_PUBLISH:
        p = publish_pkt(m->bytes, LIT("hello"), 1, m->pid);
        return append_packet(out, &p, MQTT_V311);
    case MAL_SUBSCRIBE:
        mqtt_writer_init(&w, storage, sizeof(storage));
        p = subscribe_pkt(m->pid, (mqtt_props){empty_block, 0}, sub_list_311(&w));
        return p.u.subs.list.count ? append_packet(out, &p, MQTT_V311) : -1;
    case MAL_ACK:
        p = ack_pkt(m->type, m->pid, false);
        return append_packet(out, &p, MQTT_V311);
    default:
        return append_raw(out, m->bytes);
    }
}

int corpus_malformed_generate(size_t i, corpus_buf *out)
{
    memset(out, 0, sizeof(*out));
    if (i >= corpus_malformed_count())
        return -1;
    if (malformed_encode(&malformed[i], out) != 0) {
        corpus_buf_free(out);
        return -1;
    }
    if (malformed[i].first_byte)
        out->data[0] = malformed[i].first_byte;
    return 0;
}
