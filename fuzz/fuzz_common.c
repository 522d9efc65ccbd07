/*
 * Walks and oracles shared by the fuzz targets.  Every FUZZ_CHECK states a
 * promise of codec.h or packet_json.h; when one breaks, the input is a bug
 * reproducer (libFuzzer saves it as crash-*).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "mqttspec/packet_json.h"

void fuzz_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz oracle: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* ---- the selector byte ---- */

static const mqtt_version versions[4] = {MQTT_VERSION_UNKNOWN, MQTT_V31, MQTT_V311, MQTT_V5};
static const uint32_t max_sizes[4] = {0, 0, 16, 300};

mqtt_version fuzz_selector_version(uint8_t sel) { return versions[sel & 3]; }

mqtt_role fuzz_selector_role(uint8_t sel) { return (sel & 4) ? MQTT_ROLE_CLIENT : MQTT_ROLE_SERVER; }

mqtt_decode_opts fuzz_selector_opts(uint8_t sel)
{
    mqtt_decode_opts o = {fuzz_selector_version(sel), fuzz_selector_role(sel), max_sizes[(sel >> 3) & 3]};
    return o;
}

uint8_t fuzz_selector_make(mqtt_version v, mqtt_role role)
{
    uint8_t sel = 0;
    for (uint8_t i = 0; i < 4; i++)
        if (versions[i] == v)
            sel = i;
    return (uint8_t)(sel | (role == MQTT_ROLE_CLIENT ? 4 : 0));
}

/* ---- property blocks and lists ---- */

size_t fuzz_packet_props(const mqtt_packet *pkt, mqtt_props out[2], int types[2])
{
    types[0] = pkt->type;
    switch (pkt->type) {
    case MQTT_CONNECT:
        out[0] = pkt->u.connect.props;
        if (!pkt->u.connect.will)
            return 1;
        out[1] = pkt->u.connect.will_props;
        types[1] = MQTT_WILL_PROPS;
        return 2;
    case MQTT_CONNACK:
        out[0] = pkt->u.connack.props;
        return 1;
    case MQTT_PUBLISH:
        out[0] = pkt->u.publish.props;
        return 1;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        out[0] = pkt->u.ack.props;
        return 1;
    case MQTT_SUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBSCRIBE:
    case MQTT_UNSUBACK:
        out[0] = pkt->u.subs.props;
        return 1;
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        out[0] = pkt->u.disconnect.props;
        return 1;
    default:
        return 0;
    }
}

/* A block the decoder validated: every property known, allowed here, findable, named both ways. */
static void walk_props(mqtt_props props, int ptype)
{
    mqtt_prop_iter it;
    mqtt_property p, found;
    mqtt_prop_iter_init(&it, props);
    while (mqtt_prop_next(&it, &p)) {
        const char *key = mqtt_prop_key(p.id);
        FUZZ_CHECK(mqtt_prop_type_of(p.id) != MQTT_PT_NONE && key && mqtt_prop_name(p.id),
                   "decoded property 0x%02x has no type or name", p.id);
        FUZZ_CHECK(mqtt_prop_by_key(key) == p.id, "mqtt_prop_by_key(\"%s\") != 0x%02x", key, p.id);
        FUZZ_CHECK(mqtt_prop_allowed(p.id, ptype), "decoded property 0x%02x not allowed in type %d", p.id, ptype);
        FUZZ_CHECK(mqtt_prop_find(props, p.id, &found) && found.id == p.id, "mqtt_prop_find misses 0x%02x", p.id);
    }
    FUZZ_CHECK(it.p == it.end, "a validated property block does not iterate to its end");
}

/* Level by level, for the differential check of mqtt_topic_matches. */
static mqtt_bytes take_level(mqtt_bytes b, size_t *pos)
{
    size_t start = *pos, end = start;
    while (end < b.len && b.ptr[end] != '/')
        end++;
    *pos = end + 1; /* past the '/', or len + 1 after the last level */
    mqtt_bytes level = {b.ptr ? b.ptr + start : NULL, (uint32_t)(end - start)};
    return level;
}

static bool level_is(mqtt_bytes level, char c) { return level.len == 1 && level.ptr[0] == c; }

bool fuzz_reference_topic_match(mqtt_bytes filter, mqtt_bytes topic)
{
    bool wild_first = filter.len && (filter.ptr[0] == '+' || filter.ptr[0] == '#');
    if (topic.len && topic.ptr[0] == '$' && wild_first)
        return false; /* MQTT-4.7.2-1 */
    size_t fp = 0, tp = 0;
    while (fp <= filter.len) {
        mqtt_bytes fl = take_level(filter, &fp);
        if (level_is(fl, '#'))
            return true; /* the rest, parent level included */
        if (tp > topic.len)
            return false;
        mqtt_bytes tl = take_level(topic, &tp);
        if (level_is(fl, '+'))
            continue;
        if (fl.len != tl.len || (fl.len && memcmp(fl.ptr, tl.ptr, fl.len) != 0))
            return false;
    }
    return tp > topic.len;
}

static void check_match(mqtt_bytes filter, mqtt_bytes topic)
{
    if (mqtt_check_topic_name(topic, NULL) != MQTT_E_OK)
        return; /* only names can be published to */
    bool got = mqtt_topic_matches(filter, topic);
    FUZZ_CHECK(got == fuzz_reference_topic_match(filter, topic), "mqtt_topic_matches('%.*s', '%.*s') = %d",
               (int)filter.len, (const char *)filter.ptr, (int)topic.len, (const char *)topic.ptr, got);
}

enum { MATCH_PAIRS_MAX = 8 }; /* filters per list matched against each other: keeps it O(1) */

static void walk_filters(mqtt_list list, bool with_options, mqtt_version v)
{
    mqtt_list_iter it;
    mqtt_sub_entry e;
    mqtt_bytes filters[MATCH_PAIRS_MAX];
    uint32_t n = 0;
    mqtt_list_iter_init(&it, list, with_options);
    while (mqtt_list_next(&it, &e)) {
        FUZZ_CHECK(mqtt_check_topic_filter(e.filter, v, NULL) == MQTT_E_OK, "a decoded filter fails the check");
        if (n < MATCH_PAIRS_MAX)
            filters[n] = e.filter;
        n++;
    }
    FUZZ_CHECK(it.p == it.end && n == list.count, "list of %u entries iterates %u, not to its end", list.count, n);
    for (uint32_t i = 0; i < n && i < MATCH_PAIRS_MAX; i++)
        for (uint32_t j = 0; j < n && j < MATCH_PAIRS_MAX; j++)
            check_match(filters[i], filters[j]);
}

static void walk_codes(mqtt_list list, int type, mqtt_version v)
{
    for (uint32_t i = 0; i < list.len; i++) {
        FUZZ_CHECK(mqtt_reason_valid(list.ptr[i], type, true, v), "decoded code 0x%02x is not valid", list.ptr[i]);
        FUZZ_CHECK(mqtt_reason_name(list.ptr[i], type) != NULL, "no name for a valid code");
    }
}

static void walk_connect(const mqtt_connect *c)
{
    FUZZ_CHECK(mqtt_connect_flags(c) == c->flags, "mqtt_connect_flags 0x%02x != decoded 0x%02x",
               mqtt_connect_flags(c), c->flags);
    if (c->will)
        FUZZ_CHECK(mqtt_check_topic_name(c->will_topic, NULL) == MQTT_E_OK, "a decoded Will Topic fails the check");
}

void fuzz_walk_decoded(const mqtt_packet *pkt, mqtt_version v)
{
    mqtt_props blocks[2];
    int types[2];
    size_t n = fuzz_packet_props(pkt, blocks, types);
    for (size_t i = 0; i < n; i++)
        walk_props(blocks[i], types[i]);
    const char *name = mqtt_packet_type_name(pkt->type);
    FUZZ_CHECK(mqtt_packet_type_by_name(name) == pkt->type, "type name %s does not map back", name);
    FUZZ_CHECK(pkt->flags_override || mqtt_fixed_header_flags(pkt) == pkt->flags,
               "decoded flags 0x%x differ from the derived ones without an override", pkt->flags);
    if (pkt->type == MQTT_CONNECT) {
        walk_connect(&pkt->u.connect);
        v = (mqtt_version)pkt->u.connect.protocol_level;
    } else if (pkt->type == MQTT_PUBLISH && pkt->u.publish.topic.len) {
        check_match(pkt->u.publish.topic, pkt->u.publish.topic);
    } else if (pkt->type == MQTT_SUBSCRIBE || pkt->type == MQTT_UNSUBSCRIBE) {
        walk_filters(pkt->u.subs.list, pkt->type == MQTT_SUBSCRIBE, v);
    } else if (pkt->type == MQTT_SUBACK || pkt->type == MQTT_UNSUBACK) {
        walk_codes(pkt->u.subs.list, pkt->type, v);
    }
    FUZZ_CHECK(mqtt_encoded_size(pkt, v) > 0, "a decoded packet cannot be encoded");
}

/* ---- the helpers on arbitrary input ---- */

static bool inside(mqtt_bytes b, const uint8_t *lo, size_t n)
{
    return b.len == 0 || (b.ptr >= lo && (size_t)(b.ptr - lo) <= n && b.len <= n - (size_t)(b.ptr - lo));
}

static void poke_iterators(const uint8_t *p, size_t n)
{
    mqtt_props block = {n ? p : NULL, (uint32_t)n};
    mqtt_prop_iter it;
    mqtt_property pr;
    mqtt_prop_iter_init(&it, block);
    while (mqtt_prop_next(&it, &pr))
        FUZZ_CHECK(inside(pr.data, p, n) && inside(pr.value2, p, n), "mqtt_prop_next read outside the block");
    (void)mqtt_prop_find(block, n ? p[0] : 0, &pr);
    for (int with_options = 0; with_options < 2; with_options++) {
        mqtt_list list = {n ? p : NULL, (uint32_t)n, 0};
        mqtt_list_iter li;
        mqtt_sub_entry e;
        mqtt_list_iter_init(&li, list, with_options);
        while (mqtt_list_next(&li, &e))
            FUZZ_CHECK(inside(e.filter, p, n), "mqtt_list_next read outside the list");
    }
}

static void poke_lookups(const uint8_t *p)
{
    uint8_t id = p[0];
    int type = (int8_t)p[1]; /* negative and too large too */
    mqtt_version v = fuzz_selector_version(p[2] >> 1);
    (void)mqtt_prop_type_of(id);
    (void)mqtt_prop_name(id);
    (void)mqtt_prop_key(id);
    (void)mqtt_prop_allowed(id, type);
    FUZZ_CHECK(mqtt_reason_name(id, type) != NULL, "mqtt_reason_name gave NULL");
    (void)mqtt_reason_valid(id, type, p[2] & 1, v);
    FUZZ_CHECK(mqtt_packet_type_name(type) != NULL && mqtt_version_name((mqtt_version)type) != NULL,
               "a name lookup gave NULL");
    mqtt_error err = {(mqtt_err)p[3], p[1], p[2], p[0], (uint8_t)type}; /* any type: out of range names no section */
    (void)mqtt_return_code_name(id, type);
    char msg[96];
    (void)mqtt_err_format(&err, v, msg, p[3] % sizeof msg);
    FUZZ_CHECK(mqtt_err_name(err.code) && mqtt_err_message(err.code), "an error lookup gave NULL");
    (void)mqtt_err_statement(err.code, v);
    (void)mqtt_err_reason_code(err.code);
}

static void poke_names(const uint8_t *p, size_t n)
{
    char name[32];
    size_t k = n < sizeof name - 1 ? n : sizeof name - 1;
    memcpy(name, p, k);
    name[k] = '\0';
    int t = mqtt_packet_type_by_name(name);
    FUZZ_CHECK(t == -1 || (t >= MQTT_CONNECT && t <= MQTT_AUTH), "mqtt_packet_type_by_name gave %d", t);
    int id = mqtt_prop_by_key(name);
    FUZZ_CHECK(id == -1 || mqtt_prop_key((uint8_t)id) != NULL, "mqtt_prop_by_key gave %d", id);
}

/* A writer too small for what goes in: every write after the first overflow is dropped. */
static void poke_writer(const uint8_t *p, size_t n)
{
    uint8_t small[8];
    mqtt_writer w;
    mqtt_writer_init(&w, small, p[0] % sizeof small);
    uint32_t v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    (void)mqtt_varint_size(v);
    mqtt_write_varint(&w, v);
    mqtt_write_string(&w, p, n);
    mqtt_property pr = {.id = p[1], .value = v, .data = {p, (uint32_t)n}, .value2 = {p, (uint32_t)n}};
    mqtt_write_property(&w, &pr);
    mqtt_write_sub_entry(&w, pr.data, (int8_t)p[2]);
    static const uint8_t too_long[0x10000]; /* one byte more than a string can hold */
    mqtt_write_string(&w, too_long, sizeof too_long);
    FUZZ_CHECK(w.len <= w.cap, "the writer wrote %zu bytes into %zu", w.len, w.cap);
}

void fuzz_poke_api(const uint8_t *p, size_t n)
{
    poke_iterators(p, n);
    if (n < 4)
        return;
    poke_lookups(p);
    poke_names(p, n);
    poke_writer(p, n);
}

/* ---- views ---- */

static void check_view(const uint8_t *ptr, uint32_t n, const uint8_t *lo, size_t len, const char *what)
{
    if (n == 0)
        return;
    FUZZ_CHECK(ptr && ptr >= lo && (size_t)(ptr - lo) <= len && n <= len - (size_t)(ptr - lo),
               "%s view (%u bytes) lies outside the packet", what, n);
}

#define VIEW(b, what) check_view((b).ptr, (b).len, lo, len, what)

static void check_connect_views(const mqtt_connect *c, const uint8_t *lo, size_t len)
{
    VIEW(c->protocol_name, "protocol name");
    VIEW(c->props, "CONNECT properties");
    VIEW(c->client_id, "client id");
    VIEW(c->will_props, "will properties");
    VIEW(c->will_topic, "will topic");
    VIEW(c->will_payload, "will payload");
    VIEW(c->username, "username");
    VIEW(c->password, "password");
}

void fuzz_check_views(const mqtt_packet *pkt, const uint8_t *lo, size_t len)
{
    switch (pkt->type) {
    case MQTT_CONNECT:
        check_connect_views(&pkt->u.connect, lo, len);
        break;
    case MQTT_CONNACK:
        VIEW(pkt->u.connack.props, "CONNACK properties");
        break;
    case MQTT_PUBLISH:
        VIEW(pkt->u.publish.topic, "topic");
        VIEW(pkt->u.publish.props, "PUBLISH properties");
        VIEW(pkt->u.publish.payload, "payload");
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        VIEW(pkt->u.ack.props, "ack properties");
        break;
    case MQTT_SUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBSCRIBE:
    case MQTT_UNSUBACK:
        VIEW(pkt->u.subs.props, "properties");
        VIEW(pkt->u.subs.list, "list");
        break;
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        VIEW(pkt->u.disconnect.props, "properties");
        break;
    default:
        break;
    }
}

#undef VIEW

/* ---- printing, errors, JSON ---- */

void fuzz_check_print(const mqtt_packet *pkt, mqtt_version version, size_t small_cap)
{
    char line[240]; /* the engine's buffer (client/src/conn.c parse_received) */
    size_t want = mqtt_print(pkt, version, line, sizeof line);
    FUZZ_CHECK(strlen(line) == (want < sizeof line ? want : sizeof line - 1), "mqtt_print cut the line wrongly");
    /* Then an exact-size heap buffer, so ASan sees a write one past it; none at all for size 0. */
    char *small = small_cap ? malloc(small_cap) : NULL;
    if (small_cap && !small)
        return;
    FUZZ_CHECK(mqtt_print(pkt, version, small, small_cap) == want, "mqtt_print length depends on the buffer");
    if (small_cap) {
        size_t kept = want < small_cap ? want : small_cap - 1;
        FUZZ_CHECK(strlen(small) == kept && memcmp(small, line, kept < sizeof line ? kept : sizeof line - 1) == 0,
                   "mqtt_print into %zu bytes is not a prefix of the line", small_cap);
    }
    free(small);
}

static bool cites_statement(mqtt_err code, mqtt_version v)
{
    if (v == MQTT_VERSION_UNKNOWN) /* only a CONNECT, by its own level: either version's rule */
        return mqtt_err_statement(code, MQTT_V311) || mqtt_err_statement(code, MQTT_V5);
    return mqtt_err_statement(code, v) != NULL;
}

void fuzz_check_error(const mqtt_error *err, const mqtt_decode_opts *opts, size_t size)
{
    FUZZ_CHECK(err->code > MQTT_E_OK && err->code < MQTT_E_COUNT, "error code %d out of range", (int)err->code);
    FUZZ_CHECK(err->offset <= size && err->byte <= size && err->byte >= err->offset,
               "%s: offset %u byte %u outside the %zu-byte input", mqtt_err_name(err->code), err->offset, err->byte,
               size);
    FUZZ_CHECK(err->version == 0 || err->version == MQTT_V31 || err->version == MQTT_V311 || err->version == MQTT_V5,
               "error version %u", err->version);
    mqtt_version judged = err->version ? (mqtt_version)err->version : opts->version;
    FUZZ_CHECK(err->code == MQTT_E_TOO_LARGE || cites_statement(err->code, judged),
               "%s returned at version %d, where it cites no statement", mqtt_err_name(err->code), (int)judged);
    char msg[400];
    size_t n = mqtt_err_format(err, opts->version, msg, sizeof msg);
    FUZZ_CHECK(n > 0 && n < sizeof msg && mqtt_err_message(err->code), "mqtt_err_format gave %zu bytes", n);
    (void)mqtt_err_reason_code(err->code);
}

void fuzz_check_to_json(const mqtt_packet *pkt, mqtt_version version)
{
    cJSON *json = mqtt_packet_to_json(pkt, version);
    if (!json)
        return; /* out of memory: libFuzzer's -rss_limit_mb / -malloc_limit_mb report that */
    char path[128], why[256];
    FUZZ_CHECK(mqtt_json_match(json, json, path, sizeof path, why, sizeof why), "JSON does not match itself at %s: %s",
               path, why);
    cJSON_Delete(json);
}

bool fuzz_props_interleaved(mqtt_props props)
{
    uint32_t last_at[256];
    memset(last_at, 0xFF, sizeof last_at);
    mqtt_prop_iter it;
    mqtt_property p;
    uint32_t i = 0;
    mqtt_prop_iter_init(&it, props);
    for (; mqtt_prop_next(&it, &p); i++) {
        if (last_at[p.id] != UINT32_MAX && last_at[p.id] != i - 1)
            return true;
        last_at[p.id] = i;
    }
    return false;
}

static bool any_block_interleaved(const mqtt_packet *pkt)
{
    mqtt_props blocks[2];
    int types[2];
    size_t n = fuzz_packet_props(pkt, blocks, types);
    for (size_t i = 0; i < n; i++)
        if (fuzz_props_interleaved(blocks[i]))
            return true;
    return false;
}

enum { JSON_ARENA_CAP = 1u << 20 };

void fuzz_check_json_lossless(const mqtt_packet *pkt, mqtt_version version, const uint8_t *wire, size_t wire_len)
{
    static uint8_t arena[JSON_ARENA_CAP];
    if (wire_len > JSON_ARENA_CAP / 4)
        return; /* hex fields and rebuilt blocks need at most about twice the packet */
    /* from_json needs the connection's version; a CONNECT read before one was known names its own. */
    mqtt_version jv = version;
    if (pkt->type == MQTT_CONNECT && pkt->u.connect.protocol_level >= MQTT_V31 &&
        pkt->u.connect.protocol_level <= MQTT_V5)
        jv = version == MQTT_VERSION_UNKNOWN ? (mqtt_version)pkt->u.connect.protocol_level : version;
    if (jv != MQTT_V31 && jv != MQTT_V311 && jv != MQTT_V5)
        return;
    cJSON *json = mqtt_packet_to_json(pkt, jv);
    if (!json)
        return;
    mqtt_packet back;
    char err[300];
    FUZZ_CHECK(mqtt_packet_from_json(json, jv, &back, arena, sizeof arena, err, sizeof err) == 0,
               "to_json output refused by from_json: %s", err);
    size_t size = mqtt_encoded_size(&back, jv);
    uint8_t *again = malloc(size ? size : 1);
    FUZZ_CHECK(again && mqtt_encode(&back, jv, again, size) == size, "from_json(to_json(p)) cannot be encoded");
    if (any_block_interleaved(pkt))
        FUZZ_CHECK(size == wire_len, "JSON round trip changed the size (%zu -> %zu)", wire_len, size);
    else
        FUZZ_CHECK(size == wire_len && memcmp(again, wire, size) == 0, "JSON round trip changed the bytes");
    free(again);
    cJSON_Delete(json);
}

size_t fuzz_header_size(const uint8_t *buf, size_t len, bool *minimal)
{
    size_t n = 1;
    *minimal = true;
    while (n < len && n < 5) {
        uint8_t b = buf[n++];
        if (!(b & 0x80)) {
            *minimal = n == 2 || b != 0;
            break;
        }
    }
    return n;
}
