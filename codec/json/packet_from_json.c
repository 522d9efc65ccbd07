/*
 * JSON -> packet.  Strict about the JSON, permissive about MQTT: a field
 * name the form does not define, a wrong JSON type or a number its wire
 * field cannot hold is an error (a typo in a scenario must not pass
 * silently), but any value the wire bits can carry is accepted, and the
 * overrides ("flags", "connect_flags", "connack_flags", "options",
 * "properties_hex") build packets that break the rules on purpose.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "json_internal.h"
#include "mqttspec/packet_json.h"

#define MAX_STRING 65535u /* a 2-byte length prefix */

/* Target of empty views, so the encoder never sees a NULL pointer. */
static const uint8_t empty[1];

typedef struct fj {
    mqtt_version version; /* of the connection */
    bool v5;              /* this packet's body has the 5.0 layout */
    uint8_t type;
    uint8_t *arena;
    size_t cap;
    size_t used;
    char *err;
    size_t err_cap;
    jx_path path; /* of the object being read */
} fj;

/* A string field as given: plain text, or hex under "<key>_hex" / {"hex": ...}. */
typedef struct jtext {
    const char *plain;
    const char *hex;
    size_t hex_len; /* bytes the hex text spells */
} jtext;

/* ---- JSON pointer and errors ---- */

static size_t path_push(fj *c, const char *key) { return jx_path_push(&c->path, key); }

static size_t path_push_index(fj *c, int i) { return jx_path_push_index(&c->path, i); }

static void path_pop(fj *c, size_t mark) { jx_path_pop(&c->path, mark); }

/* Report "pointer[/key]: message"; returns -1 so callers can `return fail(...)`. */
__attribute__((format(printf, 3, 4))) static int fail(fj *c, const char *key, const char *fmt, ...)
{
    size_t mark = key != NULL ? path_push(c, key) : c->path.len;
    if (c->err != NULL && c->err_cap > 0) {
        int n = snprintf(c->err, c->err_cap, "%s: ", jx_path_str(&c->path));
        if (n >= 0 && (size_t)n < c->err_cap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + n, c->err_cap - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    path_pop(c, mark);
    return -1;
}

/* ---- arena ---- */

static uint8_t *arena_alloc(fj *c, size_t n)
{
    if (n > c->cap - c->used)
        return NULL;
    uint8_t *p = c->arena + c->used;
    c->used += n;
    return p;
}

/* A writer over the free part of the arena; the block is kept by writer_end. */
static void writer_begin(fj *c, mqtt_writer *w) { mqtt_writer_init(w, c->arena + c->used, c->cap - c->used); }

static int writer_end(fj *c, mqtt_writer *w, const char *key, const uint8_t **ptr, uint32_t *len)
{
    if (w->overflow)
        return fail(c, key, "arena too small (%zu bytes)", c->cap);
    *ptr = w->len > 0 ? w->buf : empty;
    *len = (uint32_t)w->len;
    c->used += w->len;
    return 0;
}

/* ---- field names ---- */

static bool in_list(const char *const *names, const char *key)
{
    for (; *names != NULL; names++)
        if (strcmp(*names, key) == 0)
            return true;
    return false;
}

/*
 * Every member of obj must be named in `names`, or in `v5_names` when the
 * body has the 5.0 layout, and appear once: a JSON object that repeats a
 * key would otherwise mean whichever copy a reader happens to pick.
 */
static int check_fields(fj *c, const cJSON *obj, const char *const *names, const char *const *v5_names)
{
    for (const cJSON *m = obj->child; m != NULL; m = m->next) {
        for (const cJSON *prev = obj->child; prev != m; prev = prev->next)
            if (strcmp(prev->string, m->string) == 0)
                return fail(c, m->string, "duplicate field");
        if (in_list(names, m->string) || (c->v5 && in_list(v5_names, m->string)))
            continue;
        if (in_list(v5_names, m->string))
            return fail(c, m->string, "only in MQTT 5.0");
        return fail(c, m->string, "unknown field");
    }
    return 0;
}

/* ---- scalars ---- */

static const cJSON *member(const cJSON *obj, const char *key) { return cJSON_GetObjectItemCaseSensitive(obj, key); }

static bool as_uint(const cJSON *item, uint32_t max, uint32_t *out)
{
    if (!cJSON_IsNumber(item))
        return false;
    double d = item->valuedouble;
    if (!(d >= 0 && d <= (double)max))
        return false;
    uint32_t v = (uint32_t)d;
    if ((double)v != d)
        return false;
    *out = v;
    return true;
}

/* An optional integer field; *out keeps its default when absent. */
static int get_uint(fj *c, const cJSON *obj, const char *key, uint32_t max, uint32_t *out)
{
    const cJSON *item = member(obj, key);
    if (item != NULL && !as_uint(item, max, out))
        return fail(c, key, "must be an integer 0..%lu", (unsigned long)max);
    return 0;
}

static int get_u8(fj *c, const cJSON *obj, const char *key, uint32_t max, uint8_t *out)
{
    uint32_t v = *out;
    int rc = get_uint(c, obj, key, max, &v);
    *out = (uint8_t)v;
    return rc;
}

static int get_u16(fj *c, const cJSON *obj, const char *key, uint16_t *out)
{
    uint32_t v = *out;
    int rc = get_uint(c, obj, key, 0xFFFF, &v);
    *out = (uint16_t)v;
    return rc;
}

static int get_bool(fj *c, const cJSON *obj, const char *key, bool *out)
{
    const cJSON *item = member(obj, key);
    if (item == NULL)
        return 0;
    if (!cJSON_IsBool(item))
        return fail(c, key, "must be true or false");
    *out = cJSON_IsTrue(item);
    return 0;
}

/* ---- strings ---- */

static size_t text_len(const jtext *t) { return t->plain != NULL ? strlen(t->plain) : t->hex_len; }

/* A "_hex" value: hex text as mqtt_hex_decode reads it ("0a0b", "0a 0b", "0x0a0b"). */
static int check_hex(fj *c, const cJSON *item, const char *key, jtext *t)
{
    mqtt_hex_error why;
    if (!cJSON_IsString(item))
        return fail(c, key, "must be a string of hex digit pairs");
    if (!mqtt_hex_decode(item->valuestring, strlen(item->valuestring), NULL, 0, &t->hex_len, &why))
        return fail(c, key, "must be a string of hex digit pairs (%s at character %zu)", why.reason, why.at + 1);
    t->hex = item->valuestring;
    return 0;
}

/* "<key>" (text) or "<key>_hex"; both absent leaves t empty. */
static int get_text(fj *c, const cJSON *obj, const char *key, size_t max_len, jtext *t)
{
    char hex_key[64];
    snprintf(hex_key, sizeof hex_key, "%s" JX_HEX_SUFFIX, key);
    const cJSON *plain = member(obj, key), *hex = member(obj, hex_key);
    t->plain = t->hex = NULL;
    if (plain != NULL && hex != NULL)
        return fail(c, hex_key, "conflicts with \"%s\"", key);
    if (plain != NULL) {
        if (!cJSON_IsString(plain))
            return fail(c, key, "must be a string (or use \"%s\")", hex_key);
        t->plain = plain->valuestring;
    }
    if (hex != NULL && check_hex(c, hex, hex_key, t) < 0)
        return -1;
    if ((t->plain != NULL || t->hex != NULL) && text_len(t) > max_len)
        return fail(c, t->plain != NULL ? key : hex_key, "must be at most %zu bytes", max_len);
    return 0;
}

/* An array element with no field name to carry "_hex": "text" or {"hex": "..."}. */
static int get_element(fj *c, const cJSON *item, jtext *t)
{
    t->plain = t->hex = NULL;
    if (cJSON_IsString(item)) {
        t->plain = item->valuestring;
    } else {
        const cJSON *hex = cJSON_IsObject(item) ? member(item, "hex") : NULL;
        if (hex == NULL || cJSON_GetArraySize(item) != 1)
            return fail(c, NULL, "must be a string or {\"hex\": \"...\"}");
        if (check_hex(c, hex, "hex", t) < 0)
            return -1;
    }
    if (text_len(t) > MAX_STRING)
        return fail(c, NULL, "must be at most %u bytes", MAX_STRING);
    return 0;
}

/* A view of the text: into the JSON string, or hex-decoded into the arena. */
static int text_view(fj *c, const char *key, const jtext *t, mqtt_bytes *out)
{
    size_t n = text_len(t);
    if (t->plain != NULL) {
        out->ptr = n > 0 ? (const uint8_t *)t->plain : empty;
        out->len = (uint32_t)n;
        return 0;
    }
    uint8_t *p = arena_alloc(c, n);
    if (p == NULL)
        return fail(c, key, "arena too small (%zu bytes)", c->cap);
    mqtt_hex_decode(t->hex, strlen(t->hex), p, n, &n, NULL);
    out->ptr = n > 0 ? p : empty;
    out->len = (uint32_t)n;
    return 0;
}

/*
 * A string field into *out.  Returns 1 if given, 0 if absent (out keeps its
 * default), -1 on error.
 */
static int get_bytes(fj *c, const cJSON *obj, const char *key, size_t max_len, mqtt_bytes *out)
{
    jtext t;
    if (get_text(c, obj, key, max_len, &t) < 0)
        return -1;
    if (t.plain == NULL && t.hex == NULL)
        return 0;
    char hex_key[64];
    snprintf(hex_key, sizeof hex_key, "%s" JX_HEX_SUFFIX, key);
    return text_view(c, hex_key, &t, out) < 0 ? -1 : 1;
}

static int require_bytes(fj *c, const cJSON *obj, const char *key, size_t max_len, mqtt_bytes *out)
{
    int rc = get_bytes(c, obj, key, max_len, out);
    return rc == 0 ? fail(c, key, "required") : rc;
}

static mqtt_bytes literal(const char *s) { return (mqtt_bytes){(const uint8_t *)s, (uint32_t)strlen(s)}; }

/* A length-prefixed string written straight into a block being built. */
static void write_text(mqtt_writer *w, const jtext *t)
{
    if (t->plain != NULL) {
        mqtt_write_string(w, t->plain, strlen(t->plain));
        return;
    }
    mqtt_write_u16(w, (uint16_t)t->hex_len);
    mqtt_write_hex(w, t->hex, strlen(t->hex));
}

/* ---- properties ---- */

static uint32_t prop_max(mqtt_prop_type type)
{
    switch (type) {
    case MQTT_PT_BYTE:
        return 0xFF;
    case MQTT_PT_U16:
        return 0xFFFF;
    case MQTT_PT_VARINT:
        return MQTT_MAX_REMAINING_LENGTH;
    default:
        return 0xFFFFFFFFu;
    }
}

static void write_number(mqtt_writer *w, mqtt_prop_type type, uint32_t v)
{
    switch (type) {
    case MQTT_PT_BYTE:
        mqtt_write_u8(w, (uint8_t)v);
        break;
    case MQTT_PT_U16:
        mqtt_write_u16(w, (uint16_t)v);
        break;
    case MQTT_PT_VARINT:
        mqtt_write_varint(w, v);
        break;
    default:
        mqtt_write_u32(w, v);
    }
}

static int write_numeric(fj *c, mqtt_writer *w, uint8_t id, const cJSON *item)
{
    mqtt_prop_type type = mqtt_prop_type_of(id);
    uint32_t v;
    if (!as_uint(item, prop_max(type), &v))
        return fail(c, NULL, "must be an integer 0..%lu", (unsigned long)prop_max(type));
    mqtt_write_varint(w, id);
    write_number(w, type, v);
    return 0;
}

/* Subscription Identifier: a number, or an array since PUBLISH may carry several. */
static int write_sub_ids(fj *c, mqtt_writer *w, const cJSON *item)
{
    if (!cJSON_IsArray(item))
        return write_numeric(c, w, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, item);
    int i = 0;
    for (const cJSON *e = item->child; e != NULL; e = e->next, i++) {
        size_t mark = path_push_index(c, i);
        int rc = write_numeric(c, w, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, e);
        path_pop(c, mark);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int write_pair(fj *c, mqtt_writer *w, const cJSON *pair)
{
    jtext name, value;
    if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2)
        return fail(c, NULL, "must be a [name, value] pair");
    size_t mark = path_push_index(c, 0);
    int rc = get_element(c, pair->child, &name);
    path_pop(c, mark);
    mark = path_push_index(c, 1);
    rc = rc < 0 ? -1 : get_element(c, pair->child->next, &value);
    path_pop(c, mark);
    if (rc < 0)
        return -1;
    mqtt_write_varint(w, MQTT_PROP_USER_PROPERTY);
    write_text(w, &name);
    write_text(w, &value);
    return 0;
}

/* User properties: [[name, value], ...] in the order they go on the wire. */
static int write_user_props(fj *c, mqtt_writer *w, const cJSON *item)
{
    if (!cJSON_IsArray(item))
        return fail(c, NULL, "must be an array of [name, value] pairs");
    int i = 0;
    for (const cJSON *e = item->child; e != NULL; e = e->next, i++) {
        size_t mark = path_push_index(c, i);
        int rc = write_pair(c, w, e);
        path_pop(c, mark);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int write_string_prop(fj *c, mqtt_writer *w, uint8_t id, const cJSON *item, bool hex)
{
    jtext t = {NULL, NULL, 0};
    bool binary = mqtt_prop_type_of(id) == MQTT_PT_BINARY;
    if (hex || binary) {
        if (check_hex(c, item, NULL, &t) < 0)
            return -1;
    } else if (cJSON_IsString(item)) {
        t.plain = item->valuestring;
    } else {
        return fail(c, NULL, "must be a string (or use \"%s" JX_HEX_SUFFIX "\")", mqtt_prop_key(id));
    }
    if (text_len(&t) > MAX_STRING)
        return fail(c, NULL, "must be at most %u bytes", MAX_STRING);
    mqtt_write_varint(w, id);
    write_text(w, &t);
    return 0;
}

/*
 * The property a key names: a mqtt_prop_key, or "<key>_hex" for a UTF-8
 * string property given as hex.  -1 if it names none.
 */
static int prop_of_key(const char *key, bool *hex)
{
    int id = mqtt_prop_by_key(key);
    *hex = false;
    size_t n = strlen(key), sn = strlen(JX_HEX_SUFFIX);
    if (id >= 0 || n <= sn || n - sn >= 64 || strcmp(key + n - sn, JX_HEX_SUFFIX) != 0)
        return id;
    char base[64];
    memcpy(base, key, n - sn);
    base[n - sn] = '\0';
    id = mqtt_prop_by_key(base);
    if (id < 0 || mqtt_prop_type_of((uint8_t)id) != MQTT_PT_UTF8)
        return -1;
    *hex = true;
    return id;
}

static int write_prop_value(fj *c, mqtt_writer *w, uint8_t id, const cJSON *item, bool hex)
{
    switch (mqtt_prop_type_of(id)) {
    case MQTT_PT_PAIR:
        return write_user_props(c, w, item);
    case MQTT_PT_UTF8:
    case MQTT_PT_BINARY:
        return write_string_prop(c, w, id, item, hex);
    case MQTT_PT_VARINT:
        return write_sub_ids(c, w, item);
    default:
        return write_numeric(c, w, id, item);
    }
}

static int write_prop(fj *c, mqtt_writer *w, const cJSON *props, const cJSON *item)
{
    bool hex;
    int id = prop_of_key(item->string, &hex);
    if (id < 0)
        return fail(c, item->string, "unknown property");
    if (hex && member(props, mqtt_prop_key((uint8_t)id)) != NULL)
        return fail(c, item->string, "conflicts with \"%s\"", mqtt_prop_key((uint8_t)id));
    size_t mark = path_push(c, item->string);
    int rc = write_prop_value(c, w, (uint8_t)id, item, hex);
    path_pop(c, mark);
    return rc;
}

static int props_from_object(fj *c, const cJSON *props, mqtt_props *out)
{
    if (!cJSON_IsObject(props))
        return fail(c, "properties", "must be an object");
    mqtt_writer w;
    size_t mark = path_push(c, "properties");
    int rc = 0;
    for (const cJSON *m = props->child; rc == 0 && m != NULL; m = m->next) {
        for (const cJSON *prev = props->child; rc == 0 && prev != m; prev = prev->next)
            if (strcmp(prev->string, m->string) == 0)
                rc = fail(c, m->string, "duplicate property (use \"properties_hex\" to send one twice)");
    }
    writer_begin(c, &w);
    for (const cJSON *m = props->child; rc == 0 && m != NULL; m = m->next)
        rc = write_prop(c, &w, props, m);
    path_pop(c, mark);
    return rc < 0 ? -1 : writer_end(c, &w, "properties", &out->ptr, &out->len);
}

/* "properties" (object) or "properties_hex" (the raw block, for anything an object cannot say). */
static int get_props(fj *c, const cJSON *obj, mqtt_props *out)
{
    const cJSON *props = member(obj, "properties"), *hex = member(obj, "properties_hex");
    out->ptr = empty;
    out->len = 0;
    if (props != NULL && hex != NULL)
        return fail(c, "properties_hex", "conflicts with \"properties\"");
    if (props != NULL)
        return props_from_object(c, props, out);
    if (hex == NULL)
        return 0;
    jtext t = {NULL, NULL, 0};
    mqtt_bytes b;
    if (check_hex(c, hex, "properties_hex", &t) < 0 || text_view(c, "properties_hex", &t, &b) < 0)
        return -1;
    out->ptr = b.ptr;
    out->len = b.len;
    return 0;
}

/* ---- reason codes ---- */

/* The one code `name` stands for in this packet type (case-insensitive). */
static int code_by_name(fj *c, const cJSON *item, uint8_t *code)
{
    if (!cJSON_IsString(item))
        return fail(c, NULL, "must be a string");
    int found = -1, count = 0;
    for (int v = 0; v < 256; v++) {
        if (strcasecmp(mqtt_reason_name((uint8_t)v, c->type), item->valuestring) == 0) {
            found = v;
            count++;
        }
    }
    if (count == 0)
        return fail(c, NULL, "no %s reason code has this name", mqtt_packet_type_name(c->type));
    if (count > 1)
        return fail(c, NULL, "names more than one reason code: give the code instead");
    *code = (uint8_t)found;
    return 0;
}

/* A "reason" given alongside its code only documents it, but must not contradict it. */
static int check_reason(fj *c, const cJSON *item, uint8_t code)
{
    const char *name = mqtt_reason_name(code, c->type);
    if (!cJSON_IsString(item))
        return fail(c, NULL, "must be a string");
    if (strcasecmp(name, item->valuestring) != 0)
        return fail(c, NULL, "code %u is \"%s\"", code, name);
    return 0;
}

/* "code" and/or "reason"; *code keeps its default when both are absent. */
static int get_code(fj *c, const cJSON *obj, uint8_t *code)
{
    const cJSON *reason = member(obj, "reason");
    bool has_code = member(obj, "code") != NULL;
    if (get_u8(c, obj, "code", 0xFF, code) < 0)
        return -1;
    if (reason == NULL)
        return 0;
    size_t mark = path_push(c, "reason");
    int rc = has_code ? check_reason(c, reason, *code) : code_by_name(c, reason, code);
    path_pop(c, mark);
    return rc;
}

static int list_code(fj *c, const cJSON *item, int i, uint8_t *code)
{
    uint32_t v = 0;
    size_t mark = path_push(c, "codes");
    path_push_index(c, i);
    int rc = as_uint(item, 0xFF, &v) ? 0 : fail(c, NULL, "must be an integer 0..255");
    path_pop(c, mark);
    *code = (uint8_t)v;
    return rc;
}

static int list_reason(fj *c, const cJSON *item, int i, bool have_code, uint8_t *code)
{
    size_t mark = path_push(c, "reasons");
    path_push_index(c, i);
    int rc = have_code ? check_reason(c, item, *code) : code_by_name(c, item, code);
    path_pop(c, mark);
    return rc;
}

/* SUBACK / UNSUBACK "codes" and/or "reasons", one byte each into the list. */
static int get_code_list(fj *c, const cJSON *obj, mqtt_list *out)
{
    const cJSON *codes = member(obj, "codes"), *reasons = member(obj, "reasons");
    if (codes == NULL && reasons == NULL)
        return fail(c, "codes", "required");
    if (codes != NULL && !cJSON_IsArray(codes))
        return fail(c, "codes", "must be an array of reason codes");
    if (reasons != NULL && !cJSON_IsArray(reasons))
        return fail(c, "reasons", "must be an array of reason names");
    int n = cJSON_GetArraySize(codes != NULL ? codes : reasons);
    if (codes != NULL && reasons != NULL && cJSON_GetArraySize(reasons) != n)
        return fail(c, "reasons", "must have as many entries as \"codes\"");
    const cJSON *ci = codes != NULL ? codes->child : NULL, *ri = reasons != NULL ? reasons->child : NULL;
    mqtt_writer w;
    writer_begin(c, &w);
    for (int i = 0; i < n; i++) {
        uint8_t code = 0;
        if ((ci != NULL && list_code(c, ci, i, &code) < 0) || (ri != NULL && list_reason(c, ri, i, ci != NULL, &code) < 0))
            return -1;
        mqtt_write_u8(&w, code);
        ci = ci != NULL ? ci->next : NULL;
        ri = ri != NULL ? ri->next : NULL;
    }
    out->count = (uint32_t)n;
    return writer_end(c, &w, codes != NULL ? "codes" : "reasons", &out->ptr, &out->len);
}

/* ---- field sets ---- */

static const char *const no_fields[] = {NULL};
static const char *const header_fields[] = {"type", "flags", NULL};
static const char *const props_fields[] = {"properties", "properties_hex", NULL};
static const char *const connect_fields[] = {"type", "flags", "protocol_name", "protocol_name_hex",
                                             "protocol_level", "connect_flags", "clean_start", "keep_alive",
                                             "client_id", "client_id_hex", "will", "username", "username_hex",
                                             "password", "password_hex", NULL};
static const char *const will_fields[] = {"topic", "topic_hex", "payload", "payload_hex", "qos", "retain", NULL};
static const char *const connack_fields[] = {"type", "flags", "session_present", "connack_flags", "code", "reason",
                                             NULL};
static const char *const publish_fields[] = {"type",      "flags",   "dup",     "qos",         "retain", "topic",
                                             "topic_hex", "packet_id", "payload", "payload_hex", NULL};
static const char *const ack_fields[] = {"type", "flags", "packet_id", NULL};
static const char *const short_form_v5[] = {"code", "reason", "has_code", "has_props", "properties", "properties_hex",
                                            NULL};
static const char *const subscribe_fields[] = {"type", "flags", "packet_id", "subscriptions", "subscriptions_hex",
                                               NULL};
static const char *const entry_fields[] = {"filter", "filter_hex", "qos", "options", NULL};
static const char *const entry_v5[] = {"no_local", "retain_as_published", "retain_handling", NULL};
static const char *const suback_fields[] = {"type", "flags", "packet_id", "codes", "reasons", NULL};
static const char *const unsubscribe_fields[] = {"type", "flags", "packet_id", "filters", "filters_hex", NULL};
static const char *const unsuback_v5[] = {"codes", "reasons", "properties", "properties_hex", NULL};

/* ---- packets ---- */

static int get_packet_id(fj *c, const cJSON *obj, bool carried, uint16_t *id)
{
    if (member(obj, "packet_id") == NULL)
        return carried ? fail(c, "packet_id", "required") : 0;
    if (!carried)
        return fail(c, "packet_id", "a QoS 0 PUBLISH carries none");
    return get_u16(c, obj, "packet_id", id);
}

static int will_body(fj *c, const cJSON *will, mqtt_connect *k)
{
    k->will = true;
    k->will_payload = literal("");
    if (check_fields(c, will, will_fields, props_fields) < 0 ||
        require_bytes(c, will, "topic", MAX_STRING, &k->will_topic) < 0 ||
        get_bytes(c, will, "payload", MAX_STRING, &k->will_payload) < 0)
        return -1;
    if (get_u8(c, will, "qos", 3, &k->will_qos) < 0 || get_bool(c, will, "retain", &k->will_retain) < 0)
        return -1;
    return get_props(c, will, &k->will_props);
}

static int get_will(fj *c, const cJSON *obj, mqtt_connect *k)
{
    const cJSON *will = member(obj, "will");
    k->will_props.ptr = empty;
    if (will == NULL)
        return 0;
    if (!cJSON_IsObject(will))
        return fail(c, "will", "must be an object");
    size_t mark = path_push(c, "will");
    int rc = will_body(c, will, k);
    path_pop(c, mark);
    return rc;
}

/* Variable header fields, with the defaults that keep scenarios short. */
static int connect_header(fj *c, const cJSON *obj, mqtt_connect *k)
{
    k->protocol_name = literal(k->protocol_level == MQTT_V31 ? "MQIsdp" : "MQTT");
    k->clean_start = true;
    k->keep_alive = 60;
    if (get_bytes(c, obj, "protocol_name", MAX_STRING, &k->protocol_name) < 0 ||
        get_bool(c, obj, "clean_start", &k->clean_start) < 0 || get_u16(c, obj, "keep_alive", &k->keep_alive) < 0)
        return -1;
    return get_props(c, obj, &k->props);
}

/*
 * "username" / "password": a string sets the flag; null sets the flag with the
 * field absent, which only 3.1 allows (the decoder gives it as a NULL view).
 */
static int get_credential(fj *c, const cJSON *obj, const char *key, uint8_t level, mqtt_bytes *out, bool *flag)
{
    if (cJSON_IsNull(member(obj, key))) {
        if (jx_connect_version(level, c->version) != MQTT_V31)
            return fail(c, key, "null (flag set, field absent) exists only in MQTT 3.1");
        *out = (mqtt_bytes){NULL, 0};
        *flag = true;
        return 0;
    }
    int rc = get_bytes(c, obj, key, MAX_STRING, out);
    *flag = rc > 0;
    return rc < 0 ? -1 : 0;
}

static int connect_payload(fj *c, const cJSON *obj, mqtt_connect *k)
{
    k->client_id = literal("");
    if (get_bytes(c, obj, "client_id", MAX_STRING, &k->client_id) < 0 || get_will(c, obj, k) < 0)
        return -1;
    if (get_credential(c, obj, "username", k->protocol_level, &k->username, &k->has_username) < 0)
        return -1;
    return get_credential(c, obj, "password", k->protocol_level, &k->password, &k->has_password);
}

/* The presence bits must match the fields: the encoder writes what the fields hold. */
static int connect_flags_presence(fj *c, uint8_t f, const mqtt_connect *k)
{
    if (!(f & 0x80) != !k->has_username)
        return fail(c, "connect_flags", "User Name Flag (0x80) disagrees with \"username\" (use raw hex)");
    if (!(f & 0x40) != !k->has_password)
        return fail(c, "connect_flags", "Password Flag (0x40) disagrees with \"password\" (use raw hex)");
    if (!(f & 0x04) != !k->will)
        return fail(c, "connect_flags", "Will Flag (0x04) disagrees with \"will\" (use raw hex)");
    return 0;
}

/* Fields given next to "connect_flags" only restate bits of it. */
static int connect_flags_values(fj *c, const cJSON *obj, uint8_t f, const mqtt_connect *k)
{
    const cJSON *will = member(obj, "will");
    if (member(obj, "clean_start") != NULL && k->clean_start != ((f & 0x02) != 0))
        return fail(c, "clean_start", "disagrees with \"connect_flags\"");
    if (will == NULL)
        return 0;
    size_t mark = path_push(c, "will");
    int rc = 0;
    if (member(will, "qos") != NULL && k->will_qos != ((f >> 3) & 0x03))
        rc = fail(c, "qos", "disagrees with \"connect_flags\"");
    else if (member(will, "retain") != NULL && k->will_retain != ((f & 0x20) != 0))
        rc = fail(c, "retain", "disagrees with \"connect_flags\"");
    path_pop(c, mark);
    return rc;
}

/*
 * "connect_flags" sets the whole byte, for what the fields cannot say: the
 * reserved bit, Will QoS / Will Retain without a Will.
 */
static int apply_connect_flags(fj *c, const cJSON *obj, mqtt_connect *k)
{
    uint8_t f = 0;
    if (get_u8(c, obj, "connect_flags", 0xFF, &f) < 0 || connect_flags_presence(c, f, k) < 0 ||
        connect_flags_values(c, obj, f, k) < 0)
        return -1;
    k->clean_start = f & 0x02;
    k->will_qos = (f >> 3) & 0x03;
    k->will_retain = f & 0x20;
    k->flags = f;
    return 0;
}

static int from_connect(fj *c, const cJSON *obj, mqtt_packet *pkt)
{
    mqtt_connect *k = &pkt->u.connect;
    k->protocol_level = (uint8_t)c->version;
    if (get_u8(c, obj, "protocol_level", 0xFF, &k->protocol_level) < 0)
        return -1;
    /* The body follows the level it announces, as the decoder reads it. */
    c->v5 = jx_connect_version(k->protocol_level, c->version) == MQTT_V5;
    if (check_fields(c, obj, connect_fields, props_fields) < 0 || connect_header(c, obj, k) < 0 ||
        connect_payload(c, obj, k) < 0)
        return -1;
    k->flags = mqtt_connect_flags(k);
    return member(obj, "connect_flags") != NULL ? apply_connect_flags(c, obj, k) : 0;
}

static int from_connack(fj *c, const cJSON *obj, mqtt_packet *pkt)
{
    mqtt_connack *a = &pkt->u.connack;
    bool session_present = false;
    if (check_fields(c, obj, connack_fields, props_fields) < 0)
        return -1;
    if (member(obj, "connack_flags") != NULL && member(obj, "session_present") != NULL)
        return fail(c, "connack_flags", "conflicts with \"session_present\"");
    if (get_bool(c, obj, "session_present", &session_present) < 0)
        return -1;
    a->flags = session_present ? 0x01 : 0x00;
    if (get_u8(c, obj, "connack_flags", 0xFF, &a->flags) < 0 || get_code(c, obj, &a->code) < 0)
        return -1;
    return get_props(c, obj, &a->props);
}

static int from_publish(fj *c, const cJSON *obj, mqtt_packet *pkt)
{
    mqtt_publish *p = &pkt->u.publish;
    p->payload = literal("");
    if (check_fields(c, obj, publish_fields, props_fields) < 0 || get_bool(c, obj, "dup", &p->dup) < 0 ||
        get_u8(c, obj, "qos", 3, &p->qos) < 0 || get_bool(c, obj, "retain", &p->retain) < 0)
        return -1;
    if (require_bytes(c, obj, "topic", MAX_STRING, &p->topic) < 0 ||
        get_packet_id(c, obj, p->qos > 0, &p->packet_id) < 0 || get_props(c, obj, &p->props) < 0)
        return -1;
    return get_bytes(c, obj, "payload", MQTT_MAX_REMAINING_LENGTH, &p->payload) < 0 ? -1 : 0;
}

/* code, reason, has_code, has_props and properties of 5.0 acks, DISCONNECT and AUTH. */
static int get_short_form(fj *c, const cJSON *obj, uint8_t *code, bool *has_code, bool *has_props, mqtt_props *props)
{
    if (get_code(c, obj, code) < 0 || get_bool(c, obj, "has_code", has_code) < 0 ||
        get_bool(c, obj, "has_props", has_props) < 0)
        return -1;
    return get_props(c, obj, props);
}

static int from_ack(fj *c, const cJSON *obj, mqtt_packet *pkt)
{
    mqtt_ack *a = &pkt->u.ack;
    if (check_fields(c, obj, ack_fields, short_form_v5) < 0 || get_packet_id(c, obj, true, &a->packet_id) < 0)
        return -1;
    return get_short_form(c, obj, &a->code, &a->has_code, &a->has_props, &a->props);
}

/* The options byte: from its fields, or raw "options" to set reserved bits. */
static int get_options(fj *c, const cJSON *e, uint8_t *out)
{
    static const char *const typed[] = {"qos", "no_local", "retain_as_published", "retain_handling", NULL};
    uint8_t qos = 0, handling = 0;
    bool no_local = false, as_published = false;
    *out = 0;
    if (member(e, "options") != NULL) {
        for (const char *const *t = typed; *t != NULL; t++)
            if (member(e, *t) != NULL)
                return fail(c, "options", "conflicts with \"%s\"", *t);
        return get_u8(c, e, "options", 0xFF, out);
    }
    if (get_u8(c, e, "qos", 3, &qos) < 0 || get_bool(c, e, "no_local", &no_local) < 0 ||
        get_bool(c, e, "retain_as_published", &as_published) < 0 || get_u8(c, e, "retain_handling", 3, &handling) < 0)
        return -1;
    *out = (uint8_t)(qos | (no_local ? MQTT_SUBOPT_NO_LOCAL : 0) |
                     (as_published ? MQTT_SUBOPT_RETAIN_AS_PUBLISHED : 0) | handling << 4);
    return 0;
}

static int write_subscription(fj *c, mqtt_writer *w, const cJSON *e)
{
    jtext filter;
    uint8_t options;
    if (!cJSON_IsObject(e))
        return fail(c, NULL, "must be an object {\"filter\": ..., \"qos\": ...}");
    if (check_fields(c, e, entry_fields, entry_v5) < 0 || get_text(c, e, "filter", MAX_STRING, &filter) < 0 ||
        get_options(c, e, &options) < 0)
        return -1;
    if (filter.plain == NULL && filter.hex == NULL)
        return fail(c, "filter", "required");
    write_text(w, &filter);
    mqtt_write_u8(w, options);
    return 0;
}

static int write_filter(fj *c, mqtt_writer *w, const cJSON *e)
{
    jtext filter;
    if (get_element(c, e, &filter) < 0)
        return -1;
    write_text(w, &filter);
    return 0;
}

/* "<key>_hex": the raw list payload, for entries that do not frame (a filter without its options byte). */
static int get_list_hex(fj *c, const cJSON *hex, const char *hex_key, bool with_options, mqtt_list *out)
{
    jtext t = {NULL, NULL, 0};
    mqtt_bytes b;
    if (check_hex(c, hex, hex_key, &t) < 0 || text_view(c, hex_key, &t, &b) < 0)
        return -1;
    out->ptr = b.ptr;
    out->len = b.len;
    mqtt_list_iter it;
    mqtt_sub_entry e;
    mqtt_list_iter_init(&it, *out, with_options);
    for (out->count = 0; mqtt_list_next(&it, &e);)
        out->count++; /* whole entries only: the count is informative */
    return 0;
}

/*
 * A list payload: each element of array `key` written by `one` into the
 * arena, or the raw bytes from "<key>_hex".
 */
static int get_list(fj *c, const cJSON *obj, const char *key, int (*one)(fj *, mqtt_writer *, const cJSON *),
                    mqtt_list *out)
{
    char hex_key[64];
    snprintf(hex_key, sizeof hex_key, "%s" JX_HEX_SUFFIX, key);
    const cJSON *arr = member(obj, key), *hex = member(obj, hex_key);
    if (arr != NULL && hex != NULL)
        return fail(c, hex_key, "conflicts with \"%s\"", key);
    if (hex != NULL)
        return get_list_hex(c, hex, hex_key, c->type == MQTT_SUBSCRIBE, out);
    if (arr == NULL)
        return fail(c, key, "required");
    if (!cJSON_IsArray(arr))
        return fail(c, key, "must be an array");
    mqtt_writer w;
    writer_begin(c, &w);
    size_t mark = path_push(c, key);
    int i = 0, rc = 0;
    for (const cJSON *e = arr->child; rc == 0 && e != NULL; e = e->next, i++) {
        size_t entry = path_push_index(c, i);
        rc = one(c, &w, e);
        path_pop(c, entry);
    }
    path_pop(c, mark);
    out->count = (uint32_t)i;
    return rc < 0 ? -1 : writer_end(c, &w, key, &out->ptr, &out->len);
}

static int check_subs_fields(fj *c, const cJSON *obj)
{
    switch (c->type) {
    case MQTT_SUBSCRIBE:
        return check_fields(c, obj, subscribe_fields, props_fields);
    case MQTT_UNSUBSCRIBE:
        return check_fields(c, obj, unsubscribe_fields, props_fields);
    case MQTT_SUBACK:
        return check_fields(c, obj, suback_fields, props_fields);
    default:
        return check_fields(c, obj, ack_fields, unsuback_v5);
    }
}

static int from_subs(fj *c, const cJSON *obj, mqtt_packet *pkt)
{
    mqtt_subs *s = &pkt->u.subs;
    if (check_subs_fields(c, obj) < 0 || get_packet_id(c, obj, true, &s->packet_id) < 0 ||
        get_props(c, obj, &s->props) < 0)
        return -1;
    s->list.ptr = empty;
    switch (c->type) {
    case MQTT_SUBSCRIBE:
        return get_list(c, obj, "subscriptions", write_subscription, &s->list);
    case MQTT_UNSUBSCRIBE:
        return get_list(c, obj, "filters", write_filter, &s->list);
    case MQTT_SUBACK:
        return get_code_list(c, obj, &s->list);
    default: /* UNSUBACK: reason codes since 5.0 */
        return c->v5 ? get_code_list(c, obj, &s->list) : 0;
    }
}

static int from_disconnect(fj *c, const cJSON *obj, mqtt_packet *pkt)
{
    mqtt_disconnect *d = &pkt->u.disconnect;
    if (check_fields(c, obj, header_fields, short_form_v5) < 0)
        return -1;
    return get_short_form(c, obj, &d->code, &d->has_code, &d->has_props, &d->props);
}

static int from_body(fj *c, const cJSON *obj, mqtt_packet *pkt)
{
    switch (c->type) {
    case MQTT_CONNECT:
        return from_connect(c, obj, pkt);
    case MQTT_CONNACK:
        return from_connack(c, obj, pkt);
    case MQTT_PUBLISH:
        return from_publish(c, obj, pkt);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        return from_ack(c, obj, pkt);
    case MQTT_SUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBSCRIBE:
    case MQTT_UNSUBACK:
        return from_subs(c, obj, pkt);
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        return from_disconnect(c, obj, pkt);
    default: /* PINGREQ, PINGRESP */
        return check_fields(c, obj, header_fields, no_fields);
    }
}

static int get_type(fj *c, const cJSON *obj)
{
    const cJSON *t = member(obj, "type");
    if (t == NULL)
        return fail(c, "type", "required");
    if (!cJSON_IsString(t))
        return fail(c, "type", "must be a packet type name such as \"PUBLISH\"");
    int type = mqtt_packet_type_by_name(t->valuestring);
    if (type < MQTT_CONNECT || type > MQTT_AUTH)
        return fail(c, "type", "unknown packet type \"%s\"", t->valuestring);
    c->type = (uint8_t)type;
    return 0;
}

int mqtt_packet_from_json(const cJSON *json, mqtt_version version, mqtt_packet *out, uint8_t *arena,
                          size_t arena_cap, char *err, size_t err_cap)
{
    /* Without an arena, allocations see a zero-size one rather than offsets from NULL. */
    static uint8_t no_arena[1];
    fj c = {.version = version,
            .v5 = version == MQTT_V5,
            .arena = arena != NULL ? arena : no_arena,
            .cap = arena != NULL ? arena_cap : 0,
            .err = err,
            .err_cap = err_cap};
    if (err != NULL && err_cap > 0)
        err[0] = '\0';
    memset(out, 0, sizeof *out);
    if (version != MQTT_V31 && version != MQTT_V311 && version != MQTT_V5)
        return fail(&c, NULL, "unsupported MQTT version %d", (int)version);
    if (!cJSON_IsObject(json))
        return fail(&c, NULL, "must be an object with a \"type\"");
    if (get_type(&c, json) < 0)
        return -1;
    out->type = c.type;
    if (from_body(&c, json, out) < 0)
        return -1;
    out->flags = mqtt_fixed_header_flags(out);
    out->flags_override = member(json, "flags") != NULL;
    return get_u8(&c, json, "flags", 0x0F, &out->flags);
}
