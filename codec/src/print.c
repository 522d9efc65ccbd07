/*
 * One-line packet printer in the spirit of mosquitto's debug log:
 *   PUBLISH (d0, q1, r0, m7, 'a/b', ... (5 bytes))
 *
 * Fields appear in wire order (5.0 properties in [] where they sit on the
 * wire), except CONNECT, which keeps mosquitto's "id, u, p, will" order.
 * Strings, lists and property blocks are cut after a fixed number of
 * elements so a line stays readable whatever the packet holds; every cut
 * says what was left out.
 */
#include "mqttspec/codec.h"

/* Past these the line says how much was left out instead of printing it. */
enum {
    PRINT_STRING_MAX = 64, /* bytes of a string shown */
    PRINT_LIST_MAX = 16,   /* entries of a SUBSCRIBE/UNSUBSCRIBE/ack list */
    PRINT_PROPS_MAX = 16,  /* properties of one block */
};

/* A bounded text sink with snprintf semantics: counts everything, stores what fits. */
typedef struct sink {
    char *buf;
    size_t cap;
    size_t len; /* length wanted so far, may exceed cap */
} sink;

static void put_char(sink *s, char c)
{
    if (s->len + 1 < s->cap)
        s->buf[s->len] = c;
    s->len++;
}

static void put_str(sink *s, const char *str)
{
    while (*str)
        put_char(s, *str++);
}

static void put_u32(sink *s, uint32_t v)
{
    char digits[10];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        put_char(s, digits[--n]);
}

static void put_hex_byte(sink *s, uint8_t b)
{
    static const char hex[] = "0123456789abcdef";
    put_char(s, hex[b >> 4]);
    put_char(s, hex[b & 0x0f]);
}

/* "k60", "q1": mosquitto's letter-and-number fields. */
static void put_field(sink *s, const char *label, uint32_t v)
{
    put_str(s, label);
    put_u32(s, v);
}

static void put_sep(sink *s)
{
    put_str(s, ", ");
}

/* Printable ASCII as is; the quote and backslash escaped so the text reads back unambiguously. */
static void put_escaped_byte(sink *s, uint8_t b)
{
    if (b == '\'' || b == '\\') {
        put_char(s, '\\');
        put_char(s, (char)b);
    } else if (b >= 0x20 && b < 0x7f) {
        put_char(s, (char)b);
    } else {
        put_str(s, "\\x");
        put_hex_byte(s, b);
    }
}

static uint32_t shown_length(mqtt_bytes b)
{
    if (!b.ptr)
        return 0;
    return b.len < PRINT_STRING_MAX ? b.len : PRINT_STRING_MAX;
}

static void put_truncation_note(sink *s, uint32_t shown, uint32_t total)
{
    if (shown < total) {
        put_str(s, "... (");
        put_u32(s, total);
        put_str(s, " bytes)");
    }
}

/* A string without quotes, as in "user_property site=b7". */
static void put_bare(sink *s, mqtt_bytes b)
{
    uint32_t shown = shown_length(b);
    for (uint32_t i = 0; i < shown; i++)
        put_escaped_byte(s, b.ptr[i]);
    put_truncation_note(s, shown, b.len);
}

/* 'a/b', or 'aaaa'... (300 bytes) when cut. */
static void put_quoted(sink *s, mqtt_bytes b)
{
    uint32_t shown = shown_length(b);
    put_char(s, '\'');
    for (uint32_t i = 0; i < shown; i++)
        put_escaped_byte(s, b.ptr[i]);
    put_char(s, '\'');
    put_truncation_note(s, shown, b.len);
}

/* "(5 bytes)": payloads and binary data are only measured, never shown. */
static void put_size(sink *s, uint32_t n)
{
    put_char(s, '(');
    put_u32(s, n);
    put_str(s, n == 1 ? " byte)" : " bytes)");
}

static void put_more(sink *s, uint32_t left_out)
{
    put_str(s, "... (");
    put_u32(s, left_out);
    put_str(s, " more)");
}

/* "rc135 (Not authorized)"; the name only where 5.0 gives codes names. */
static void put_reason(sink *s, uint8_t code, int packet_type, bool named)
{
    put_field(s, "rc", code);
    const char *name = named ? mqtt_reason_name(code, packet_type) : NULL;
    if (name) {
        put_str(s, " (");
        put_str(s, name);
        put_char(s, ')');
    }
}

/* ---- properties ---- */

static void put_prop_key(sink *s, uint8_t id)
{
    const char *key = mqtt_prop_key(id);
    if (key) {
        put_str(s, key);
    } else {
        put_str(s, "0x");
        put_hex_byte(s, id);
    }
}

static void put_prop(sink *s, const mqtt_property *p)
{
    put_prop_key(s, p->id);
    switch (mqtt_prop_type_of(p->id)) {
    case MQTT_PT_BYTE:
    case MQTT_PT_U16:
    case MQTT_PT_U32:
    case MQTT_PT_VARINT:
        put_char(s, '=');
        put_u32(s, p->value);
        break;
    case MQTT_PT_UTF8:
        put_char(s, '=');
        put_quoted(s, p->data);
        break;
    case MQTT_PT_BINARY:
        put_char(s, '=');
        put_size(s, p->data.len);
        break;
    case MQTT_PT_PAIR:
        put_char(s, ' ');
        put_bare(s, p->data);
        put_char(s, '=');
        put_bare(s, p->value2);
        break;
    case MQTT_PT_NONE:
        break;
    }
}

static uint32_t count_remaining_props(mqtt_prop_iter *it)
{
    mqtt_property p;
    uint32_t n = 0;
    while (mqtt_prop_next(it, &p))
        n++;
    return n;
}

/* "[topic_alias=5, user_property site=b7]" */
static void put_props(sink *s, mqtt_props props)
{
    mqtt_prop_iter it;
    mqtt_property p;
    uint32_t n = 0;

    mqtt_prop_iter_init(&it, props);
    put_char(s, '[');
    while (mqtt_prop_next(&it, &p)) {
        if (n)
            put_sep(s);
        if (n == PRINT_PROPS_MAX) {
            put_more(s, 1 + count_remaining_props(&it));
            break;
        }
        put_prop(s, &p);
        n++;
    }
    put_char(s, ']');
}

/* ", [...]" when the block holds anything; 3.1.1 packets never carry one. */
static void put_props_field(sink *s, mqtt_props props, bool v5)
{
    if (v5 && props.len > 0 && props.ptr) {
        put_sep(s);
        put_props(s, props);
    }
}

/* ---- packets ---- */

static void put_will(sink *s, const mqtt_connect *c, bool v5)
{
    put_field(s, "will q", c->will_qos);
    put_field(s, " r", c->will_retain);
    put_char(s, ' ');
    put_quoted(s, c->will_topic);
    put_char(s, ' ');
    put_size(s, c->will_payload.len);
    if (v5 && c->will_props.len > 0 && c->will_props.ptr) {
        put_char(s, ' ');
        put_props(s, c->will_props);
    }
}

static void put_connect(sink *s, const mqtt_connect *c)
{
    bool v5 = c->protocol_level == MQTT_V5;
    put_field(s, "p", c->protocol_level);
    put_sep(s);
    put_field(s, "c", c->clean_start);
    put_sep(s);
    put_field(s, "k", c->keep_alive);
    put_props_field(s, c->props, v5);
    put_str(s, ", id ");
    put_quoted(s, c->client_id);
    put_sep(s);
    put_field(s, "u", c->has_username);
    put_sep(s);
    put_field(s, "p", c->has_password);
    if (c->will) {
        put_sep(s);
        put_will(s, c, v5);
    }
}

static void put_connack(sink *s, const mqtt_connack *c, bool v5)
{
    put_field(s, "sp", c->flags & 0x01u);
    put_sep(s);
    /* 3.1.1 return codes 1-5 have names of their own; 0 needs none. */
    put_reason(s, c->code, MQTT_CONNACK, v5 || (c->code >= 1 && mqtt_return_code_name(c->code, MQTT_CONNACK)));
    put_props_field(s, c->props, v5);
}

static void put_publish(sink *s, const mqtt_publish *p, bool v5)
{
    put_field(s, "d", p->dup);
    put_sep(s);
    put_field(s, "q", p->qos);
    put_sep(s);
    put_field(s, "r", p->retain);
    put_sep(s);
    put_field(s, "m", p->packet_id);
    put_sep(s);
    put_quoted(s, p->topic);
    put_props_field(s, p->props, v5);
    put_str(s, ", ... ");
    put_size(s, p->payload.len);
}

static void put_ack(sink *s, const mqtt_ack *a, int type, bool v5)
{
    put_field(s, "m", a->packet_id);
    if (v5 && (a->has_code || a->code != 0 || a->props.len > 0)) {
        put_sep(s);
        put_reason(s, a->code, type, true);
    }
    put_props_field(s, a->props, v5);
}

/* 5.0 subscription options beyond the QoS, only when set. */
static void put_sub_options(sink *s, uint8_t options, bool v5)
{
    put_field(s, " q", MQTT_SUBOPT_QOS(options));
    if (!v5)
        return;
    if (options & MQTT_SUBOPT_NO_LOCAL)
        put_str(s, " nl1");
    if (options & MQTT_SUBOPT_RETAIN_AS_PUBLISHED)
        put_str(s, " rap1");
    if (MQTT_SUBOPT_RETAIN_HANDLING(options))
        put_field(s, " rh", MQTT_SUBOPT_RETAIN_HANDLING(options));
}

/* SUBSCRIBE ('a/+/c' q1) and UNSUBSCRIBE ('a/+/c') entries. */
static void put_filters(sink *s, mqtt_list list, bool with_options, bool v5)
{
    mqtt_list_iter it;
    mqtt_sub_entry e;
    uint32_t n = 0;

    mqtt_list_iter_init(&it, list, with_options);
    while (mqtt_list_next(&it, &e)) {
        put_sep(s);
        if (n == PRINT_LIST_MAX) {
            uint32_t left = 1;
            while (mqtt_list_next(&it, &e))
                left++;
            put_more(s, left);
            return;
        }
        put_quoted(s, e.filter);
        if (with_options)
            put_sub_options(s, e.options, v5);
        n++;
    }
}

/* SUBACK's granted QoS and UNSUBACK's Success read well as bare numbers; failures get names (3.1.1: 0x80). */
static const char *ack_code_name(uint8_t code, int type, bool v5)
{
    if (!v5)
        return code == 0x80 ? mqtt_return_code_name(code, type) : NULL;
    if (code == 0 || (type != MQTT_UNSUBACK && code < 0x80))
        return NULL;
    return mqtt_reason_name(code, type);
}

/* SUBACK / UNSUBACK codes: "1, 0, 135 (Not authorized)". */
static void put_ack_codes(sink *s, mqtt_list list, int type, bool v5)
{
    uint32_t n = list.ptr ? list.len : 0;
    for (uint32_t i = 0; i < n; i++) {
        put_sep(s);
        if (i == PRINT_LIST_MAX) {
            put_more(s, n - i);
            return;
        }
        uint8_t code = list.ptr[i];
        const char *name = ack_code_name(code, type, v5);
        put_u32(s, code);
        if (name) {
            put_str(s, " (");
            put_str(s, name);
            put_char(s, ')');
        }
    }
}

static void put_subs(sink *s, const mqtt_subs *sub, int type, bool v5)
{
    put_field(s, "m", sub->packet_id);
    put_props_field(s, sub->props, v5);
    if (type == MQTT_SUBSCRIBE || type == MQTT_UNSUBSCRIBE)
        put_filters(s, sub->list, type == MQTT_SUBSCRIBE, v5);
    else
        put_ack_codes(s, sub->list, type, v5);
}

/* DISCONNECT and AUTH: empty in 3.1.1 and in 5.0's shortest form. */
static bool has_disconnect_fields(const mqtt_disconnect *d, bool v5)
{
    return v5 && (d->has_code || d->code != 0 || d->props.len > 0);
}

static void put_disconnect(sink *s, const mqtt_disconnect *d, int type)
{
    put_reason(s, d->code, type, true);
    put_props_field(s, d->props, true);
}

/* The part between the parentheses, for the packets has_body accepts. */
static void put_body(sink *s, const mqtt_packet *pkt, bool v5)
{
    switch (pkt->type) {
    case MQTT_CONNECT:
        put_connect(s, &pkt->u.connect);
        break;
    case MQTT_CONNACK:
        put_connack(s, &pkt->u.connack, v5);
        break;
    case MQTT_PUBLISH:
        put_publish(s, &pkt->u.publish, v5);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        put_ack(s, &pkt->u.ack, pkt->type, v5);
        break;
    case MQTT_SUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBSCRIBE:
    case MQTT_UNSUBACK:
        put_subs(s, &pkt->u.subs, pkt->type, v5);
        break;
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        put_disconnect(s, &pkt->u.disconnect, pkt->type);
        break;
    default:
        break; /* PINGREQ, PINGRESP, reserved types: nothing to show */
    }
}

static bool has_body(const mqtt_packet *pkt, bool v5)
{
    switch (pkt->type) {
    case MQTT_CONNECT:
    case MQTT_CONNACK:
    case MQTT_PUBLISH:
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
    case MQTT_SUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBSCRIBE:
    case MQTT_UNSUBACK:
        return true;
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        return has_disconnect_fields(&pkt->u.disconnect, v5);
    default:
        return false;
    }
}

static void finish(sink *s)
{
    if (s->cap > 0)
        s->buf[s->len < s->cap ? s->len : s->cap - 1] = '\0';
}

size_t mqtt_print(const mqtt_packet *pkt, mqtt_version version, char *buf, size_t cap)
{
    sink s = {buf, buf ? cap : 0, 0};

    if (!pkt) {
        put_str(&s, "(null)");
    } else {
        bool v5 = version == MQTT_V5;
        put_str(&s, mqtt_packet_type_name(pkt->type));
        if (has_body(pkt, v5)) {
            put_str(&s, " (");
            put_body(&s, pkt, v5);
            put_char(&s, ')');
        }
    }
    finish(&s);
    return s.len;
}

const char *mqtt_version_name(mqtt_version v)
{
    switch (v) {
    case MQTT_V31:
        return "3.1";
    case MQTT_V311:
        return "3.1.1";
    case MQTT_V5:
        return "5.0";
    default:
        return "unknown";
    }
}
