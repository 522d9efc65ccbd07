/*
 * Encoding.  One function writes each packet body; run on a counting writer
 * (buf == NULL) it yields the exact size, so size and bytes cannot disagree.
 */
#include "internal.h"

void mqtt_writer_init(mqtt_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : SIZE_MAX;
    w->len = 0;
    w->overflow = false;
}

void mqtt_write_bytes(mqtt_writer *w, const void *p, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = true;
        return;
    }
    if (w->buf && n)
        memcpy(w->buf + w->len, p, n);
    w->len += n;
}

void mqtt_write_u8(mqtt_writer *w, uint8_t v) { mqtt_write_bytes(w, &v, 1); }

void mqtt_write_u16(mqtt_writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    mqtt_write_bytes(w, b, 2);
}

void mqtt_write_u32(mqtt_writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    mqtt_write_bytes(w, b, 4);
}

unsigned mqtt_varint_size(uint32_t v)
{
    return v < 128u ? 1 : v < 16384u ? 2 : v < 2097152u ? 3 : v <= MQTT_MAX_REMAINING_LENGTH ? 4 : 0;
}

void mqtt_write_varint(mqtt_writer *w, uint32_t v)
{
    uint8_t b[4];
    unsigned n = 0;
    if (v > MQTT_MAX_REMAINING_LENGTH) {
        w->overflow = true;
        return;
    }
    do {
        b[n] = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    mqtt_write_bytes(w, b, n);
}

void mqtt_write_string(mqtt_writer *w, const void *p, size_t n)
{
    if (n > 0xFFFF) {
        w->overflow = true;
        return;
    }
    mqtt_write_u16(w, (uint16_t)n);
    mqtt_write_bytes(w, p, n);
}

static void write_view(mqtt_writer *w, mqtt_bytes b) { mqtt_write_string(w, b.ptr, b.len); }

void mqtt_write_property(mqtt_writer *w, const mqtt_property *prop)
{
    mqtt_write_varint(w, prop->id);
    switch (mqtt_prop_type_of(prop->id)) {
    case MQTT_PT_BYTE:
        mqtt_write_u8(w, (uint8_t)prop->value);
        break;
    case MQTT_PT_U16:
        mqtt_write_u16(w, (uint16_t)prop->value);
        break;
    case MQTT_PT_U32:
        mqtt_write_u32(w, prop->value);
        break;
    case MQTT_PT_VARINT:
        mqtt_write_varint(w, prop->value);
        break;
    case MQTT_PT_UTF8:
    case MQTT_PT_BINARY:
        write_view(w, prop->data);
        break;
    case MQTT_PT_PAIR:
        write_view(w, prop->data);
        write_view(w, prop->value2);
        break;
    default:
        w->overflow = true; /* no type: cannot be written */
    }
}

void mqtt_write_sub_entry(mqtt_writer *w, mqtt_bytes filter, int options)
{
    write_view(w, filter);
    if (options >= 0)
        mqtt_write_u8(w, (uint8_t)options);
}

static void write_props(mqtt_writer *w, mqtt_props props)
{
    mqtt_write_varint(w, props.len);
    mqtt_write_bytes(w, props.ptr, props.len);
}

/* ---- bodies ---- */

uint8_t mqtt_connect_flags(const mqtt_connect *cn)
{
    return (uint8_t)((cn->has_username ? 0x80 : 0) | (cn->has_password ? 0x40 : 0) | (cn->will_retain ? 0x20 : 0) |
                     ((cn->will_qos & 3) << 3) | (cn->will ? 0x04 : 0) | (cn->clean_start ? 0x02 : 0) |
                     (cn->flags & 0x01));
}

static void write_connect(mqtt_writer *w, const mqtt_connect *cn, mqtt_version version)
{
    uint8_t level = cn->protocol_level ? cn->protocol_level : (uint8_t)version;
    mqtt_bytes name = cn->protocol_name;
    if (!name.ptr) {
        const char *dflt = level == MQTT_V31 ? "MQIsdp" : "MQTT";
        name.ptr = (const uint8_t *)dflt;
        name.len = (uint32_t)strlen(dflt);
    }
    write_view(w, name);
    mqtt_write_u8(w, level);
    mqtt_write_u8(w, mqtt_connect_flags(cn));
    mqtt_write_u16(w, cn->keep_alive);
    if (level == MQTT_V5)
        write_props(w, cn->props);
    write_view(w, cn->client_id);
    if (cn->will) {
        if (level == MQTT_V5)
            write_props(w, cn->will_props);
        write_view(w, cn->will_topic);
        write_view(w, cn->will_payload);
    }
    /* 3.1 lets a flagged field be absent: decoding leaves its view NULL, and so it is written back. */
    bool absent_ok = level == MQTT_V31;
    if (cn->has_username && !(absent_ok && !cn->username.ptr))
        write_view(w, cn->username);
    if (cn->has_password && !(absent_ok && !cn->password.ptr))
        write_view(w, cn->password);
}

static void write_publish(mqtt_writer *w, const mqtt_publish *pub, mqtt_version version)
{
    write_view(w, pub->topic);
    if (pub->qos)
        mqtt_write_u16(w, pub->packet_id);
    if (version == MQTT_V5)
        write_props(w, pub->props);
    mqtt_write_bytes(w, pub->payload.ptr, pub->payload.len);
}

/* 5.0 reason code + properties, in the shortest form unless asked for more. */
static void write_reason_tail(mqtt_writer *w, uint8_t code, bool has_code, bool has_props, mqtt_props props)
{
    bool props_needed = has_props || props.len;
    if (props_needed || has_code || code)
        mqtt_write_u8(w, code);
    if (props_needed)
        write_props(w, props);
}

static void write_subs(mqtt_writer *w, const mqtt_subs *s, int type, mqtt_version version)
{
    mqtt_write_u16(w, s->packet_id);
    if (version == MQTT_V5)
        write_props(w, s->props);
    if (type != MQTT_UNSUBACK || version == MQTT_V5)
        mqtt_write_bytes(w, s->list.ptr, s->list.len);
}

static void write_body(mqtt_writer *w, const mqtt_packet *pkt, mqtt_version version)
{
    const mqtt_ack *a = &pkt->u.ack;
    const mqtt_disconnect *d = &pkt->u.disconnect;
    switch (pkt->type) {
    case MQTT_CONNECT:
        write_connect(w, &pkt->u.connect, version);
        break;
    case MQTT_CONNACK:
        mqtt_write_u8(w, pkt->u.connack.flags);
        mqtt_write_u8(w, pkt->u.connack.code);
        if (version == MQTT_V5)
            write_props(w, pkt->u.connack.props);
        break;
    case MQTT_PUBLISH:
        write_publish(w, &pkt->u.publish, version);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        mqtt_write_u16(w, a->packet_id);
        if (version == MQTT_V5)
            write_reason_tail(w, a->code, a->has_code, a->has_props, a->props);
        break;
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        write_subs(w, &pkt->u.subs, pkt->type, version);
        break;
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        if (version == MQTT_V5)
            write_reason_tail(w, d->code, d->has_code, d->has_props, d->props);
        break;
    default: /* PINGREQ, PINGRESP, reserved types: no body */
        break;
    }
}

uint8_t mqtt_fixed_header_flags(const mqtt_packet *pkt)
{
    if (pkt->type == MQTT_PUBLISH)
        return (uint8_t)((pkt->u.publish.dup ? 0x08 : 0) | ((pkt->u.publish.qos & 3) << 1) |
                         (pkt->u.publish.retain ? 0x01 : 0));
    if (pkt->type == MQTT_PUBREL || pkt->type == MQTT_SUBSCRIBE || pkt->type == MQTT_UNSUBSCRIBE)
        return 0x02;
    return 0;
}

static uint8_t first_byte(const mqtt_packet *pkt)
{
    uint8_t flags = pkt->flags_override ? pkt->flags & 0x0F : mqtt_fixed_header_flags(pkt);
    return (uint8_t)((pkt->type & 0x0F) << 4 | flags);
}

/* CONNECT's layout follows the level it carries. */
static mqtt_version layout_version(const mqtt_packet *pkt, mqtt_version version)
{
    if (pkt->type == MQTT_CONNECT && pkt->u.connect.protocol_level)
        return (mqtt_version)pkt->u.connect.protocol_level;
    return version;
}

static bool body_size(const mqtt_packet *pkt, mqtt_version version, size_t *out)
{
    mqtt_writer counter;
    mqtt_writer_init(&counter, NULL, 0);
    write_body(&counter, pkt, version);
    *out = counter.len;
    return !counter.overflow && counter.len <= MQTT_MAX_REMAINING_LENGTH;
}

size_t mqtt_encoded_size(const mqtt_packet *pkt, mqtt_version version)
{
    size_t body;
    if (!body_size(pkt, layout_version(pkt, version), &body))
        return 0;
    return 1 + mqtt_varint_size((uint32_t)body) + body;
}

size_t mqtt_encode(const mqtt_packet *pkt, mqtt_version version, uint8_t *buf, size_t cap)
{
    mqtt_version layout = layout_version(pkt, version);
    size_t body;
    if (!body_size(pkt, layout, &body))
        return 0;
    size_t total = 1 + mqtt_varint_size((uint32_t)body) + body;
    if (total > cap)
        return 0;
    mqtt_writer w;
    mqtt_writer_init(&w, buf, cap);
    mqtt_write_u8(&w, first_byte(pkt));
    mqtt_write_varint(&w, (uint32_t)body);
    write_body(&w, pkt, layout);
    return w.overflow ? 0 : w.len;
}
