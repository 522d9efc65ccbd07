/*
 * Packet -> JSON.  The output is the canonical form documented in
 * docs/packet-json.md: every field of the packet type is present (so a
 * report shows the whole packet and a pattern can rely on a field being
 * there), and overrides such as "flags" appear only when mqtt_encode would
 * need them to reproduce the packet, so valid packets read cleanly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_internal.h"
#include "mqttspec/packet_json.h"

/* ---- adding items; every helper returns false when out of memory ---- */

static bool add_item(cJSON *obj, const char *key, cJSON *item)
{
    if (item == NULL)
        return false;
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

static bool append_item(cJSON *arr, cJSON *item)
{
    if (item == NULL)
        return false;
    if (!cJSON_AddItemToArray(arr, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

static bool add_num(cJSON *obj, const char *key, double v) { return add_item(obj, key, cJSON_CreateNumber(v)); }

static bool add_bool(cJSON *obj, const char *key, bool v) { return add_item(obj, key, cJSON_CreateBool(v)); }

static bool add_str(cJSON *obj, const char *key, const char *s) { return add_item(obj, key, cJSON_CreateString(s)); }

/* A JSON string of bytes jx_text_ok accepted (cJSON wants them NUL-terminated). */
static cJSON *text_string(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        return NULL;
    if (n > 0)
        memcpy(s, p, n);
    s[n] = '\0';
    cJSON *item = cJSON_CreateString(s);
    free(s);
    return item;
}

/*
 * Bytes under `key` as text when `as_text` says they can be, else under
 * "<key>_hex" so nothing is lost.
 */
static bool add_bytes(cJSON *obj, const char *key, mqtt_bytes b, bool as_text)
{
    if (as_text)
        return add_item(obj, key, text_string(b.ptr, b.len));
    char hex_key[64];
    snprintf(hex_key, sizeof hex_key, "%s" JX_HEX_SUFFIX, key);
    return add_item(obj, hex_key, jx_hex_string(b.ptr, b.len));
}

/* A UTF-8 string field (topic, client id, filter...). */
static bool add_text(cJSON *obj, const char *key, mqtt_bytes b)
{
    return add_bytes(obj, key, b, jx_text_ok(b.ptr, b.len));
}

/* A binary field shown as text when it reads as text (payloads, password). */
static bool add_data(cJSON *obj, const char *key, mqtt_bytes b)
{
    return add_bytes(obj, key, b, jx_printable(b.ptr, b.len));
}

/* An element of an array with no field name to carry "_hex": a string or {"hex": "..."}. */
static cJSON *text_element(mqtt_bytes b)
{
    if (jx_text_ok(b.ptr, b.len))
        return text_string(b.ptr, b.len);
    cJSON *obj = cJSON_CreateObject();
    if (obj != NULL && !add_item(obj, "hex", jx_hex_string(b.ptr, b.len))) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

/* ---- properties ---- */

/* Bytes the property takes when written the one way mqtt_packet_from_json writes it. */
static size_t canonical_prop_size(const mqtt_property *p)
{
    size_t id = mqtt_varint_size(p->id);
    switch (mqtt_prop_type_of(p->id)) {
    case MQTT_PT_BYTE:
        return id + 1;
    case MQTT_PT_U16:
        return id + 2;
    case MQTT_PT_U32:
        return id + 4;
    case MQTT_PT_VARINT:
        return id + mqtt_varint_size(p->value);
    case MQTT_PT_UTF8:
    case MQTT_PT_BINARY:
        return id + 2 + p->data.len;
    case MQTT_PT_PAIR:
        return id + 4 + p->data.len + p->value2.len;
    default:
        return 0;
    }
}

static bool repeatable(uint8_t id) { return id == MQTT_PROP_USER_PROPERTY || id == MQTT_PROP_SUBSCRIPTION_IDENTIFIER; }

/*
 * Can the block be shown as a "properties" object and rebuilt byte for byte
 * (up to the grouping of repeated properties)?  Not if it cannot be parsed
 * to its end, names an unknown id, repeats a property that a JSON object
 * key can hold only once, or encodes a varint in more bytes than needed.
 */
static bool props_representable(mqtt_props props)
{
    uint8_t seen[256] = {0};
    mqtt_prop_iter it;
    mqtt_property p;
    mqtt_prop_iter_init(&it, props);
    const uint8_t *at = it.p;
    while (mqtt_prop_next(&it, &p)) {
        if (mqtt_prop_key(p.id) == NULL || (seen[p.id]++ && !repeatable(p.id)))
            return false;
        if ((size_t)(it.p - at) != canonical_prop_size(&p))
            return false;
        at = it.p;
    }
    return at == it.end;
}

/* The array under `key`, created on first use so repeats stay in wire order. */
static cJSON *array_in(cJSON *obj, const char *key)
{
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (arr != NULL)
        return arr;
    arr = cJSON_CreateArray();
    return add_item(obj, key, arr) ? arr : NULL;
}

static bool add_user_property(cJSON *obj, const mqtt_property *p)
{
    cJSON *arr = array_in(obj, "user_property");
    cJSON *pair = cJSON_CreateArray();
    if (arr == NULL || !append_item(arr, pair))
        return false;
    return append_item(pair, text_element(p->data)) && append_item(pair, text_element(p->value2));
}

static bool add_property(cJSON *obj, const mqtt_property *p)
{
    const char *key = mqtt_prop_key(p->id);
    if (p->id == MQTT_PROP_USER_PROPERTY)
        return add_user_property(obj, p);
    if (p->id == MQTT_PROP_SUBSCRIPTION_IDENTIFIER) {
        cJSON *arr = array_in(obj, key);
        return arr != NULL && append_item(arr, cJSON_CreateNumber(p->value));
    }
    switch (mqtt_prop_type_of(p->id)) {
    case MQTT_PT_UTF8:
        return add_text(obj, key, p->data);
    case MQTT_PT_BINARY:
        return add_item(obj, key, jx_hex_string(p->data.ptr, p->data.len));
    default:
        return add_num(obj, key, p->value);
    }
}

/* "properties": {...}, or "properties_hex" for a block an object cannot carry. */
static bool add_props(cJSON *obj, mqtt_props props)
{
    if (!props_representable(props))
        return add_item(obj, "properties_hex", jx_hex_string(props.ptr, props.len));
    cJSON *po = cJSON_CreateObject();
    if (!add_item(obj, "properties", po))
        return false;
    mqtt_prop_iter it;
    mqtt_property p;
    mqtt_prop_iter_init(&it, props);
    while (mqtt_prop_next(&it, &p))
        if (!add_property(po, &p))
            return false;
    return true;
}

/* ---- reason codes ---- */

static bool add_code(cJSON *obj, uint8_t code, int type)
{
    return add_num(obj, "code", code) && add_str(obj, "reason", mqtt_reason_name(code, type));
}

/* "codes" and the parallel "reasons" of SUBACK / UNSUBACK. */
static bool add_code_list(cJSON *obj, mqtt_list list, int type)
{
    cJSON *codes = cJSON_CreateArray();
    cJSON *names = cJSON_CreateArray();
    bool ok = add_item(obj, "codes", codes);
    ok = add_item(obj, "reasons", names) && ok;
    for (uint32_t i = 0; ok && i < list.len; i++) {
        ok = append_item(codes, cJSON_CreateNumber(list.ptr[i]));
        ok = ok && append_item(names, cJSON_CreateString(mqtt_reason_name(list.ptr[i], type)));
    }
    return ok;
}

/*
 * code, reason, properties of a 5.0 ack, DISCONNECT or AUTH.  has_code /
 * has_props show only when the wire carried more than the shortest form
 * needs, i.e. when they are what makes the encoder reproduce it.
 */
static bool add_short_form(cJSON *obj, uint8_t code, bool has_code, bool has_props, mqtt_props props, int type)
{
    bool ok = add_code(obj, code, type);
    if (has_code && code == 0 && !has_props && props.len == 0)
        ok = ok && add_bool(obj, "has_code", true);
    if (has_props && props.len == 0)
        ok = ok && add_bool(obj, "has_props", true);
    return ok && add_props(obj, props);
}

/* ---- packets ---- */

static bool add_will(cJSON *obj, const mqtt_connect *c, bool v5)
{
    cJSON *will = cJSON_CreateObject();
    if (!add_item(obj, "will", will))
        return false;
    bool ok = add_text(will, "topic", c->will_topic) && add_data(will, "payload", c->will_payload);
    ok = ok && add_num(will, "qos", c->will_qos) && add_bool(will, "retain", c->will_retain);
    return ok && (!v5 || add_props(will, c->will_props));
}

/* The name mqtt_encode writes: a packet built without one gets the default for its level. */
static mqtt_bytes protocol_name(const mqtt_connect *c, mqtt_version version)
{
    if (c->protocol_name.ptr != NULL)
        return c->protocol_name;
    const char *name = jx_connect_version(c->protocol_level, version) == MQTT_V31 ? "MQIsdp" : "MQTT";
    return (mqtt_bytes){(const uint8_t *)name, (uint32_t)strlen(name)};
}

static bool connect_to_json(cJSON *obj, const mqtt_connect *c, mqtt_version version)
{
    bool v5 = jx_connect_version(c->protocol_level, version) == MQTT_V5;
    bool ok = add_text(obj, "protocol_name", protocol_name(c, version));
    ok = ok && add_num(obj, "protocol_level", c->protocol_level);
    /* What the encoder writes that the fields below cannot show: the reserved
     * bit (the one bit it takes from c->flags), Will QoS / Retain without a Will. */
    if ((c->flags & 0x01) || (!c->will && (c->will_qos || c->will_retain)))
        ok = ok && add_num(obj, "connect_flags", mqtt_connect_flags(c));
    ok = ok && add_bool(obj, "clean_start", c->clean_start) && add_num(obj, "keep_alive", c->keep_alive);
    ok = ok && (!v5 || add_props(obj, c->props)) && add_text(obj, "client_id", c->client_id);
    ok = ok && (!c->will || add_will(obj, c, v5));
    /* 3.1 only: a flagged field may be absent (a NULL view), shown as null. */
    ok = ok && (!c->has_username || (c->username.ptr ? add_text(obj, "username", c->username)
                                                     : cJSON_AddNullToObject(obj, "username") != NULL));
    return ok && (!c->has_password || (c->password.ptr ? add_data(obj, "password", c->password)
                                                       : cJSON_AddNullToObject(obj, "password") != NULL));
}

static bool connack_to_json(cJSON *obj, const mqtt_connack *c, bool v5)
{
    /* Reserved bits cannot be told by "session_present": give the raw byte instead. */
    bool ok = (c->flags & 0xFE) ? add_num(obj, "connack_flags", c->flags)
                                : add_bool(obj, "session_present", c->flags & 0x01);
    ok = ok && add_code(obj, c->code, MQTT_CONNACK);
    return ok && (!v5 || add_props(obj, c->props));
}

static bool publish_to_json(cJSON *obj, const mqtt_publish *p, bool v5)
{
    bool ok = add_bool(obj, "dup", p->dup) && add_num(obj, "qos", p->qos) && add_bool(obj, "retain", p->retain);
    ok = ok && add_text(obj, "topic", p->topic);
    ok = ok && (p->qos == 0 || add_num(obj, "packet_id", p->packet_id));
    ok = ok && (!v5 || add_props(obj, p->props));
    return ok && add_data(obj, "payload", p->payload);
}

static bool ack_to_json(cJSON *obj, const mqtt_ack *a, int type, bool v5)
{
    bool ok = add_num(obj, "packet_id", a->packet_id);
    return ok && (!v5 || add_short_form(obj, a->code, a->has_code, a->has_props, a->props, type));
}

/* Subscription options as fields, or the raw byte when reserved bits are set. */
static bool add_options(cJSON *entry, uint8_t o, bool v5)
{
    uint8_t reserved = v5 ? 0xC0 : 0xFC;
    if (o & reserved)
        return add_num(entry, "options", o);
    bool ok = add_num(entry, "qos", MQTT_SUBOPT_QOS(o));
    if (!v5)
        return ok;
    ok = ok && add_bool(entry, "no_local", o & MQTT_SUBOPT_NO_LOCAL);
    ok = ok && add_bool(entry, "retain_as_published", o & MQTT_SUBOPT_RETAIN_AS_PUBLISHED);
    return ok && add_num(entry, "retain_handling", MQTT_SUBOPT_RETAIN_HANDLING(o));
}

/* Does the list payload parse to its end?  Only a hand-built one may not. */
static bool list_parses(mqtt_list list, bool with_options)
{
    mqtt_list_iter it;
    mqtt_sub_entry e;
    mqtt_list_iter_init(&it, list, with_options);
    while (mqtt_list_next(&it, &e))
        continue;
    return it.p == it.end;
}

static bool add_subscriptions(cJSON *obj, mqtt_list list, bool v5)
{
    if (!list_parses(list, true))
        return add_item(obj, "subscriptions_hex", jx_hex_string(list.ptr, list.len));
    cJSON *arr = cJSON_CreateArray();
    if (!add_item(obj, "subscriptions", arr))
        return false;
    mqtt_list_iter it;
    mqtt_sub_entry e;
    mqtt_list_iter_init(&it, list, true);
    while (mqtt_list_next(&it, &e)) {
        cJSON *entry = cJSON_CreateObject();
        if (!append_item(arr, entry) || !add_text(entry, "filter", e.filter) || !add_options(entry, e.options, v5))
            return false;
    }
    return true;
}

static bool add_filters(cJSON *obj, mqtt_list list)
{
    if (!list_parses(list, false))
        return add_item(obj, "filters_hex", jx_hex_string(list.ptr, list.len));
    cJSON *arr = cJSON_CreateArray();
    if (!add_item(obj, "filters", arr))
        return false;
    mqtt_list_iter it;
    mqtt_sub_entry e;
    mqtt_list_iter_init(&it, list, false);
    while (mqtt_list_next(&it, &e))
        if (!append_item(arr, text_element(e.filter)))
            return false;
    return true;
}

static bool subs_to_json(cJSON *obj, const mqtt_subs *s, int type, bool v5)
{
    bool ok = add_num(obj, "packet_id", s->packet_id);
    ok = ok && (!v5 || add_props(obj, s->props));
    switch (type) {
    case MQTT_SUBSCRIBE:
        return ok && add_subscriptions(obj, s->list, v5);
    case MQTT_UNSUBSCRIBE:
        return ok && add_filters(obj, s->list);
    case MQTT_SUBACK:
        return ok && add_code_list(obj, s->list, type);
    default: /* UNSUBACK: codes only since 5.0 */
        return ok && (!v5 || add_code_list(obj, s->list, type));
    }
}

static bool body_to_json(cJSON *obj, const mqtt_packet *pkt, mqtt_version version)
{
    bool v5 = version == MQTT_V5;
    switch (pkt->type) {
    case MQTT_CONNECT:
        return connect_to_json(obj, &pkt->u.connect, version);
    case MQTT_CONNACK:
        return connack_to_json(obj, &pkt->u.connack, v5);
    case MQTT_PUBLISH:
        return publish_to_json(obj, &pkt->u.publish, v5);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        return ack_to_json(obj, &pkt->u.ack, pkt->type, v5);
    case MQTT_SUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBSCRIBE:
    case MQTT_UNSUBACK:
        return subs_to_json(obj, &pkt->u.subs, pkt->type, v5);
    case MQTT_DISCONNECT:
    case MQTT_AUTH: {
        const mqtt_disconnect *d = &pkt->u.disconnect;
        return !v5 || add_short_form(obj, d->code, d->has_code, d->has_props, d->props, pkt->type);
    }
    default: /* PINGREQ, PINGRESP */
        return true;
    }
}

cJSON *mqtt_packet_to_json(const mqtt_packet *pkt, mqtt_version version)
{
    if (pkt->type < MQTT_CONNECT || pkt->type > MQTT_AUTH)
        return NULL;
    cJSON *obj = cJSON_CreateObject();
    if (obj == NULL)
        return NULL;
    bool ok = add_str(obj, "type", mqtt_packet_type_name(pkt->type));
    /* Shown when the encoder must be told: an override, or a decoded nibble it
     * would not derive (3.1 lets DUP ride on PUBREL, SUBSCRIBE, UNSUBSCRIBE). */
    if (pkt->flags_override || (pkt->flags & 0x0F) != mqtt_fixed_header_flags(pkt))
        ok = ok && add_num(obj, "flags", pkt->flags & 0x0F);
    if (!ok || !body_to_json(obj, pkt, version)) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}
