/*
 * Strict, role-aware decoding of one control packet.  Each reader checks
 * bounds before it touches a byte; each rule broken stops decoding with the
 * error of codec_errors.h and the offset of the field at fault.
 */
#include "internal.h"

typedef struct dctx {
    const uint8_t *pkt; /* first byte of the packet: offsets count from here */
    const uint8_t *p;   /* cursor */
    const uint8_t *end; /* end of the packet, or of the property block being read */
    mqtt_version v;
    mqtt_role role;
    mqtt_error *err;
} dctx;

static bool fail_byte(dctx *c, mqtt_err code, const uint8_t *field, const uint8_t *byte)
{
    c->err->code = code;
    c->err->offset = (uint32_t)(field - c->pkt);
    c->err->byte = (uint32_t)(byte - c->pkt);
    c->err->version = (uint8_t)c->v;
    c->err->packet_type = (uint8_t)(c->pkt[0] >> 4);
    return false;
}

static bool fail(dctx *c, mqtt_err code, const uint8_t *field) { return fail_byte(c, code, field, field); }

static inline bool rd_u8(dctx *c, uint8_t *v)
{
    if (c->p >= c->end)
        return fail(c, MQTT_E_TRUNCATED, c->p);
    *v = *c->p++;
    return true;
}

static inline bool rd_u16(dctx *c, uint16_t *v)
{
    if (c->end - c->p < 2)
        return fail(c, MQTT_E_TRUNCATED, c->p);
    *v = load_u16(c->p);
    c->p += 2;
    return true;
}

static inline bool rd_u32(dctx *c, uint32_t *v)
{
    if (c->end - c->p < 4)
        return fail(c, MQTT_E_TRUNCATED, c->p);
    *v = load_u32(c->p);
    c->p += 4;
    return true;
}

static bool rd_varint(dctx *c, uint32_t *v)
{
    bool minimal;
    int n = varint_read(c->p, c->end, v, &minimal);
    if (n == 0)
        return fail(c, MQTT_E_TRUNCATED, c->p);
    if (n < 0)
        return fail(c, MQTT_E_VARINT_TOO_LONG, c->p);
    if (!minimal)
        return fail(c, MQTT_E_VARINT_NOT_MINIMAL, c->p); /* varints inside packets exist in 5.0 only */
    c->p += n;
    return true;
}

/* Two-byte length + bytes (Binary Data, or a string before its UTF-8 check). */
static inline bool rd_bytes(dctx *c, mqtt_bytes *out)
{
    if (c->end - c->p < 2)
        return fail(c, MQTT_E_TRUNCATED, c->p);
    uint16_t n = load_u16(c->p);
    if (c->end - c->p - 2 < n)
        return fail(c, MQTT_E_TRUNCATED, c->p);
    out->ptr = c->p + 2;
    out->len = n;
    c->p += 2 + n;
    return true;
}

/* A UTF-8 Encoded String; the error points at the string's length field. */
static bool rd_utf8(dctx *c, mqtt_bytes *out)
{
    const uint8_t *field = c->p;
    if (!rd_bytes(c, out))
        return false;
    size_t bad = 0;
    mqtt_err e = utf8_check(out->ptr, out->len, false, &bad);
    return e ? fail_byte(c, e, field, out->ptr + bad) : true;
}

static bool at_end(dctx *c)
{
    return c->p == c->end ? true : fail(c, MQTT_E_REMAINING_LENGTH, c->p);
}

/* ---- properties ---- */

#define BIT64(id) (1ull << (id))

/* Range rules the spec states for single property values. */
static bool check_prop_value(dctx *c, int ptype, const mqtt_property *pr, const uint8_t *at)
{
    switch (pr->id) {
    case MQTT_PROP_PAYLOAD_FORMAT_INDICATOR:
    case MQTT_PROP_REQUEST_PROBLEM_INFORMATION:
    case MQTT_PROP_REQUEST_RESPONSE_INFORMATION:
    case MQTT_PROP_MAXIMUM_QOS:
    case MQTT_PROP_RETAIN_AVAILABLE:
    case MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE:
    case MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE:
    case MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE:
        return pr->value <= 1 ? true : fail(c, MQTT_E_PROPERTY_VALUE, at);
    case MQTT_PROP_RECEIVE_MAXIMUM:
    case MQTT_PROP_MAXIMUM_PACKET_SIZE:
        return pr->value != 0 ? true : fail(c, MQTT_E_PROPERTY_VALUE, at);
    case MQTT_PROP_TOPIC_ALIAS:
        return pr->value != 0 ? true : fail(c, MQTT_E_TOPIC_ALIAS_ZERO, at);
    case MQTT_PROP_SUBSCRIPTION_IDENTIFIER:
        if (pr->value == 0)
            return fail(c, MQTT_E_PROPERTY_VALUE, at);
        if (ptype == MQTT_PUBLISH && c->role == MQTT_ROLE_SERVER)
            return fail(c, MQTT_E_SUBSCRIPTION_ID_FROM_CLIENT, at);
        return true;
    case MQTT_PROP_SESSION_EXPIRY_INTERVAL:
        if (ptype == MQTT_DISCONNECT && c->role == MQTT_ROLE_CLIENT)
            return fail(c, MQTT_E_SESSION_EXPIRY_FROM_SERVER, at);
        return true;
    default:
        return true;
    }
}

static bool rd_prop_strings(dctx *c, uint8_t type, mqtt_property *pr, const uint8_t *at)
{
    if (type == MQTT_PT_BINARY)
        return rd_bytes(c, &pr->data);
    if (type == MQTT_PT_UTF8) {
        if (pr->id != MQTT_PROP_RESPONSE_TOPIC)
            return rd_utf8(c, &pr->data);
        const uint8_t *field = c->p;
        if (!rd_bytes(c, &pr->data))
            return false;
        size_t bad = 0;
        mqtt_err e = utf8_check(pr->data.ptr, pr->data.len, true, &bad);
        if (e == MQTT_E_TOPIC_NAME_WILDCARD)
            e = MQTT_E_RESPONSE_TOPIC_WILDCARD;
        return e ? fail_byte(c, e, field, pr->data.ptr + bad) : true;
    }
    /* PAIR */
    if (!rd_bytes(c, &pr->data) || !rd_bytes(c, &pr->value2))
        return false;
    if (!mqtt_utf8_valid(pr->data.ptr, pr->data.len, NULL, NULL) ||
        !mqtt_utf8_valid(pr->value2.ptr, pr->value2.len, NULL, NULL))
        return fail(c, MQTT_E_UTF8_PAIR, at);
    return true;
}

static bool rd_prop_value(dctx *c, uint8_t type, mqtt_property *pr, const uint8_t *at)
{
    uint8_t b = 0;
    uint16_t h = 0;
    switch (type) {
    case MQTT_PT_BYTE:
        if (!rd_u8(c, &b))
            return false;
        pr->value = b;
        return true;
    case MQTT_PT_U16:
        if (!rd_u16(c, &h))
            return false;
        pr->value = h;
        return true;
    case MQTT_PT_U32:
        return rd_u32(c, &pr->value);
    case MQTT_PT_VARINT:
        return rd_varint(c, &pr->value);
    default:
        return rd_prop_strings(c, type, pr, at);
    }
}

/* Properties that may repeat: User Property anywhere, Subscription Identifier in PUBLISH. */
static bool may_repeat(uint32_t id, int ptype)
{
    return id == MQTT_PROP_USER_PROPERTY || (id == MQTT_PROP_SUBSCRIPTION_IDENTIFIER && ptype == MQTT_PUBLISH);
}

static bool rd_one_prop(dctx *c, int ptype, uint64_t *seen)
{
    const uint8_t *at = c->p;
    uint32_t id;
    if (!rd_varint(c, &id))
        return false;
    uint8_t type = id < 43 ? mqtt_prop_types[id] : MQTT_PT_NONE;
    if (type == MQTT_PT_NONE)
        return fail(c, MQTT_E_PROPERTY_UNKNOWN, at);
    if (!((mqtt_prop_packets[id] >> ptype) & 1u))
        return fail(c, MQTT_E_PROPERTY_NOT_ALLOWED, at);
    if ((*seen & BIT64(id)) && !may_repeat(id, ptype))
        return fail(c, MQTT_E_PROPERTY_DUPLICATE, at);
    *seen |= BIT64(id);
    mqtt_property pr = {.id = (uint8_t)id};
    return rd_prop_value(c, type, &pr, at) && check_prop_value(c, ptype, &pr, at);
}

/*
 * Property Length + properties of packet type ptype (MQTT_WILL_PROPS for will
 * properties).  *seen gets a bit per property id present.
 */
static bool rd_props(dctx *c, int ptype, mqtt_props *out, uint64_t *seen)
{
    if (c->p >= c->end)
        return fail(c, MQTT_E_PROPERTY_LENGTH_MISSING, c->p);
    const uint8_t *at = c->p;
    uint32_t len;
    if (!rd_varint(c, &len))
        return false;
    if ((size_t)(c->end - c->p) < len)
        return fail(c, MQTT_E_TRUNCATED, at);
    out->ptr = c->p;
    out->len = len;
    const uint8_t *packet_end = c->end;
    c->end = c->p + len; /* readers now stop at the block's end */
    *seen = 0;
    bool ok = true;
    while (ok && c->p < c->end)
        ok = rd_one_prop(c, ptype, seen);
    c->end = packet_end;
    if (ok && (ptype == MQTT_CONNECT || ptype == MQTT_AUTH) && (*seen & BIT64(MQTT_PROP_AUTHENTICATION_DATA)) &&
        !(*seen & BIT64(MQTT_PROP_AUTHENTICATION_METHOD)))
        return fail(c, MQTT_E_AUTH_DATA_WITHOUT_METHOD, at);
    return ok;
}

/* ---- CONNECT ---- */

static bool check_flags(dctx *c, int type, uint8_t flags);

static bool bytes_eq(mqtt_bytes b, const char *s)
{
    size_t n = strlen(s);
    return b.len == n && memcmp(b.ptr, s, n) == 0;
}

static bool rd_protocol(dctx *c, mqtt_connect *cn)
{
    const uint8_t *name_at = c->p;
    if (!rd_bytes(c, &cn->protocol_name))
        return false;
    const uint8_t *level_at = c->p;
    if (!rd_u8(c, &cn->protocol_level))
        return false;
    bool mqtt = bytes_eq(cn->protocol_name, "MQTT");
    bool isdp = bytes_eq(cn->protocol_name, "MQIsdp");
    if (!mqtt && !isdp)
        return fail(c, MQTT_E_PROTOCOL_NAME, name_at);
    uint8_t level = cn->protocol_level;
    if ((mqtt && level != MQTT_V311 && level != MQTT_V5) || (isdp && level != MQTT_V31))
        return fail(c, MQTT_E_PROTOCOL_LEVEL, level_at);
    c->v = (mqtt_version)level;
    /* The header's varint could only be judged once the level was known. */
    if (level == MQTT_V5 && c->pkt[1] & 0x80) {
        uint32_t rl;
        bool minimal = true;
        varint_read(c->pkt + 1, c->end, &rl, &minimal);
        if (!minimal)
            return fail(c, MQTT_E_VARINT_NOT_MINIMAL, c->pkt + 1);
    }
    return true;
}

static bool check_connect_flags(dctx *c, mqtt_connect *cn, const uint8_t *at)
{
    uint8_t f = cn->flags;
    cn->clean_start = f & 0x02;
    cn->will = f & 0x04;
    cn->will_qos = (f >> 3) & 0x03;
    cn->will_retain = f & 0x20;
    cn->has_password = f & 0x40;
    cn->has_username = f & 0x80;
    if ((f & 0x01) && c->v != MQTT_V31) /* 3.1 leaves the bit unspecified */
        return fail(c, MQTT_E_CONNECT_RESERVED_FLAG, at);
    if (!cn->will && cn->will_qos && c->v != MQTT_V31) /* 3.1 disregards Will QoS without a Will */
        return fail(c, MQTT_E_WILL_QOS_WITHOUT_WILL, at);
    if (!cn->will && cn->will_retain)
        return fail(c, MQTT_E_WILL_RETAIN_WITHOUT_WILL, at);
    if (cn->will && cn->will_qos == 3)
        return fail(c, MQTT_E_WILL_QOS_3, at);
    if (c->v != MQTT_V5 && cn->has_password && !cn->has_username)
        return fail(c, MQTT_E_PASSWORD_WITHOUT_USERNAME, at);
    return true;
}

static bool rd_will(dctx *c, mqtt_connect *cn)
{
    uint64_t seen;
    if (c->p >= c->end)
        return fail(c, MQTT_E_WILL_FIELDS_MISSING, c->p);
    if (c->v == MQTT_V5 && !rd_props(c, MQTT_WILL_PROPS, &cn->will_props, &seen))
        return false;
    if (c->p >= c->end)
        return fail(c, MQTT_E_WILL_FIELDS_MISSING, c->p);
    const uint8_t *topic_at = c->p;
    if (!rd_bytes(c, &cn->will_topic))
        return false;
    /* The Will is published to it: a Topic Name, with the rules of 4.7. */
    size_t bad = 0;
    mqtt_err e = mqtt_check_topic_name(cn->will_topic, &bad);
    if (e == MQTT_E_TOPIC_NAME_WILDCARD)
        e = MQTT_E_WILL_TOPIC_WILDCARD;
    if (e)
        return e == MQTT_E_TOPIC_NAME_EMPTY ? fail(c, e, topic_at) : fail_byte(c, e, topic_at, cn->will_topic.ptr + bad);
    if (c->p >= c->end)
        return fail(c, MQTT_E_WILL_FIELDS_MISSING, c->p);
    return rd_bytes(c, &cn->will_payload);
}

/*
 * User Name and Password as the flags announce.  3.1 lets a flagged field be
 * absent ("connections should be allowed to continue"): its view stays NULL.
 * Bytes nobody announced are judged by the field that would be read there.
 */
static bool rd_credentials(dctx *c, mqtt_connect *cn)
{
    bool v31 = c->v == MQTT_V31;
    if (cn->has_username && !(v31 && c->p == c->end)) {
        if (c->p >= c->end)
            return fail(c, MQTT_E_USERNAME_MISSING, c->p);
        if (!rd_utf8(c, &cn->username))
            return false;
    }
    if (cn->has_password && !(v31 && c->p == c->end)) {
        if (c->p >= c->end)
            return fail(c, MQTT_E_PASSWORD_MISSING, c->p);
        if (!rd_bytes(c, &cn->password))
            return false;
    }
    if (c->p == c->end)
        return true;
    if (!cn->has_username && !cn->has_password)
        return fail(c, MQTT_E_USERNAME_UNEXPECTED, c->p);
    return fail(c, cn->has_password ? MQTT_E_CONNECT_TRAILING_BYTES : MQTT_E_PASSWORD_UNEXPECTED, c->p);
}

static bool decode_connect(dctx *c, mqtt_packet *pkt)
{
    mqtt_connect *cn = &pkt->u.connect;
    memset(cn, 0, sizeof *cn);
    /* The header flags are judged by the level the CONNECT carries, not the caller's. */
    if (!rd_protocol(c, cn) || !check_flags(c, MQTT_CONNECT, pkt->flags))
        return false;
    const uint8_t *flags_at = c->p;
    uint64_t seen;
    if (!rd_u8(c, &cn->flags) || !check_connect_flags(c, cn, flags_at) || !rd_u16(c, &cn->keep_alive))
        return false;
    if (c->v == MQTT_V5 && !rd_props(c, MQTT_CONNECT, &cn->props, &seen))
        return false;
    const uint8_t *id_at = c->p;
    if (c->p == c->end)
        return fail(c, MQTT_E_CLIENT_ID_MISSING, id_at);
    if (!rd_utf8(c, &cn->client_id))
        return false;
    if (cn->client_id.len == 0 && !cn->clean_start && c->v != MQTT_V5)
        return fail(c, MQTT_E_CLIENT_ID_EMPTY_PERSISTENT, id_at);
    if (cn->will && !rd_will(c, cn))
        return false;
    return rd_credentials(c, cn);
}

/* ---- CONNACK ---- */

static bool decode_connack(dctx *c, mqtt_packet *pkt)
{
    mqtt_connack *ca = &pkt->u.connack;
    memset(ca, 0, sizeof *ca);
    if (c->v != MQTT_V5 && pkt->remaining_length != 2)
        return fail(c, MQTT_E_REMAINING_LENGTH, c->pkt + 1);
    const uint8_t *flags_at = c->p;
    if (!rd_u8(c, &ca->flags) || !rd_u8(c, &ca->code))
        return false;
    /* 3.1 used this byte for topic name compression, never defined: not checked. */
    if (c->v != MQTT_V31 && (ca->flags & 0xFE))
        return fail(c, MQTT_E_CONNACK_RESERVED_FLAGS, flags_at);
    if (!mqtt_reason_valid(ca->code, MQTT_CONNACK, true, c->v))
        return fail(c, MQTT_E_CONNACK_RETURN_CODE, flags_at + 1);
    if (c->v != MQTT_V31 && (ca->flags & 1) && ca->code)
        return fail(c, MQTT_E_CONNACK_SESSION_PRESENT, flags_at);
    uint64_t seen;
    if (c->v == MQTT_V5 && !rd_props(c, MQTT_CONNACK, &ca->props, &seen))
        return false;
    return at_end(c);
}

/* ---- PUBLISH ---- */

static bool check_topic_name(dctx *c, mqtt_publish *pub, const uint8_t *at, uint64_t seen)
{
    if (pub->topic.len == 0) {
        /* 5.0 3.3.2.1: an empty name is how a Topic Alias alone names the topic. */
        if (c->v == MQTT_V5 && (seen & BIT64(MQTT_PROP_TOPIC_ALIAS)))
            return true;
        return fail(c, MQTT_E_TOPIC_NAME_EMPTY, at);
    }
    size_t bad = 0;
    mqtt_err e = utf8_check(pub->topic.ptr, pub->topic.len, true, &bad);
    return e ? fail_byte(c, e, at, pub->topic.ptr + bad) : true;
}

static bool decode_publish(dctx *c, mqtt_packet *pkt)
{
    mqtt_publish *pub = &pkt->u.publish;
    uint8_t f = pkt->flags;
    pub->dup = f & 0x08;
    pub->qos = (f >> 1) & 0x03;
    pub->retain = f & 0x01;
    pub->packet_id = 0;
    pub->props.ptr = NULL;
    pub->props.len = 0;
    if (pub->qos == 3)
        return fail(c, MQTT_E_QOS_3, c->pkt);
    if (pub->dup && pub->qos == 0)
        return fail(c, MQTT_E_DUP_ON_QOS0, c->pkt);
    const uint8_t *topic_at = c->p;
    if (!rd_bytes(c, &pub->topic))
        return false;
    if (pub->qos) {
        const uint8_t *id_at = c->p;
        if (!rd_u16(c, &pub->packet_id))
            return false;
        if (pub->packet_id == 0)
            return fail(c, c->role == MQTT_ROLE_SERVER ? MQTT_E_PACKET_ID_ZERO : MQTT_E_SERVER_PACKET_ID_ZERO,
                        id_at);
    }
    uint64_t seen = 0;
    if (c->v == MQTT_V5 && !rd_props(c, MQTT_PUBLISH, &pub->props, &seen))
        return false;
    if (!check_topic_name(c, pub, topic_at, seen))
        return false;
    pub->payload.ptr = c->p;
    pub->payload.len = (uint32_t)(c->end - c->p);
    c->p = c->end;
    return true;
}

/* ---- PUBACK, PUBREC, PUBREL, PUBCOMP ---- */

static mqtt_err ack_reason_error(int type)
{
    switch (type) {
    case MQTT_PUBACK:
        return MQTT_E_PUBACK_REASON_CODE;
    case MQTT_PUBREC:
        return MQTT_E_PUBREC_REASON_CODE;
    case MQTT_PUBREL:
        return MQTT_E_PUBREL_REASON_CODE;
    case MQTT_PUBCOMP:
        return MQTT_E_PUBCOMP_REASON_CODE;
    case MQTT_DISCONNECT:
        return MQTT_E_DISCONNECT_REASON_CODE;
    default:
        return MQTT_E_AUTH_REASON_CODE;
    }
}

/* 5.0 tail shared by acks, DISCONNECT and AUTH: optional reason code, optional properties. */
static bool rd_reason_tail(dctx *c, int type, uint8_t *code, bool *has_code, bool *has_props, mqtt_props *props)
{
    *code = 0;
    *has_code = *has_props = false;
    props->ptr = NULL;
    props->len = 0;
    bool from_server = c->role == MQTT_ROLE_CLIENT;
    if (c->p == c->end) /* no Reason Code means 0x00, which must still suit the sender (AUTH Success: server only) */
        return mqtt_reason_valid(0x00, type, from_server, MQTT_V5) ? true : fail(c, ack_reason_error(type), c->p);
    const uint8_t *at = c->p;
    *code = *c->p++;
    *has_code = true;
    if (!mqtt_reason_valid(*code, type, from_server, MQTT_V5))
        return fail(c, ack_reason_error(type), at);
    /* 3.15.2.1: AUTH omits the Property Length only together with the Reason Code. */
    if (c->p == c->end && type != MQTT_AUTH)
        return true;
    uint64_t seen;
    const uint8_t *props_at = c->p;
    *has_props = true;
    if (!rd_props(c, type, props, &seen) || !at_end(c))
        return false;
    if (type == MQTT_AUTH && !(seen & BIT64(MQTT_PROP_AUTHENTICATION_METHOD))) /* 3.15.2.2.2 */
        return fail(c, MQTT_E_AUTH_METHOD_MISSING, props_at);
    return true;
}

static bool decode_ack(dctx *c, mqtt_packet *pkt)
{
    mqtt_ack *a = &pkt->u.ack;
    if (pkt->remaining_length < 2 || (c->v != MQTT_V5 && pkt->remaining_length != 2))
        return fail(c, MQTT_E_REMAINING_LENGTH, c->pkt + 1);
    const uint8_t *id_at = c->p;
    a->packet_id = load_u16(c->p);
    c->p += 2;
    if (a->packet_id == 0) /* PUBCOMP echoes the PUBREL, the others the PUBLISH */
        return fail(c, pkt->type == MQTT_PUBCOMP ? MQTT_E_PUBCOMP_PACKET_ID_ZERO : MQTT_E_ACK_PACKET_ID_ZERO, id_at);
    if (c->v != MQTT_V5) {
        a->code = 0;
        a->has_code = a->has_props = false;
        a->props.ptr = NULL;
        a->props.len = 0;
        return true;
    }
    return rd_reason_tail(c, pkt->type, &a->code, &a->has_code, &a->has_props, &a->props);
}

/* ---- SUBSCRIBE, UNSUBSCRIBE ---- */

static bool check_sub_options(dctx *c, mqtt_bytes filter, uint8_t opt, const uint8_t *at)
{
    if (c->v != MQTT_V5)
        return (opt & 0xFC) ? fail(c, MQTT_E_SUBSCRIBE_OPTIONS_RESERVED, at)
               : (opt & 3) == 3 ? fail(c, MQTT_E_SUBSCRIBE_QOS_3, at)
                                : true;
    if (opt & 0xC0)
        return fail(c, MQTT_E_SUBSCRIBE_OPTIONS_RESERVED, at);
    if ((opt & 3) == 3)
        return fail(c, MQTT_E_SUBSCRIBE_QOS_3, at);
    if (MQTT_SUBOPT_RETAIN_HANDLING(opt) == 3)
        return fail(c, MQTT_E_RETAIN_HANDLING_3, at);
    if ((opt & MQTT_SUBOPT_NO_LOCAL) && filter.len >= 7 && memcmp(filter.ptr, "$share/", 7) == 0)
        return fail(c, MQTT_E_NO_LOCAL_SHARED, at);
    return true;
}

static bool rd_filter(dctx *c, mqtt_bytes *filter)
{
    const uint8_t *at = c->p;
    if (!rd_bytes(c, filter))
        return false;
    size_t bad = 0;
    mqtt_err e = mqtt_check_topic_filter(*filter, c->v, &bad);
    if (e == MQTT_E_TOPIC_FILTER_EMPTY)
        return fail(c, e, at);
    return e ? fail_byte(c, e, at, filter->ptr + bad) : true;
}

static bool rd_packet_id(dctx *c, uint16_t *id, mqtt_err if_zero)
{
    const uint8_t *at = c->p;
    if (!rd_u16(c, id))
        return false;
    return *id ? true : fail(c, if_zero, at);
}

static bool decode_sub_unsub(dctx *c, mqtt_packet *pkt)
{
    mqtt_subs *s = &pkt->u.subs;
    bool subscribe = pkt->type == MQTT_SUBSCRIBE;
    uint64_t seen;
    s->props.ptr = NULL;
    s->props.len = 0;
    if (!rd_packet_id(c, &s->packet_id, MQTT_E_PACKET_ID_ZERO))
        return false;
    if (c->v == MQTT_V5 && !rd_props(c, pkt->type, &s->props, &seen))
        return false;
    if (c->p == c->end)
        return fail(c, subscribe ? MQTT_E_SUBSCRIBE_EMPTY : MQTT_E_UNSUBSCRIBE_EMPTY, c->p);
    s->list.ptr = c->p;
    s->list.count = 0;
    while (c->p < c->end) {
        mqtt_bytes filter;
        uint8_t opt = 0;
        if (!rd_filter(c, &filter))
            return false;
        const uint8_t *opt_at = c->p;
        if (subscribe && (!rd_u8(c, &opt) || !check_sub_options(c, filter, opt, opt_at)))
            return false;
        s->list.count++;
    }
    s->list.len = (uint32_t)(c->p - s->list.ptr);
    return true;
}

/* ---- SUBACK, UNSUBACK ---- */

static bool decode_sub_ack(dctx *c, mqtt_packet *pkt)
{
    mqtt_subs *s = &pkt->u.subs;
    bool suback = pkt->type == MQTT_SUBACK;
    uint64_t seen;
    s->props.ptr = NULL;
    s->props.len = 0;
    s->list.ptr = NULL;
    s->list.len = s->list.count = 0;
    if (!suback && c->v != MQTT_V5 && pkt->remaining_length != 2)
        return fail(c, MQTT_E_REMAINING_LENGTH, c->pkt + 1);
    if (!rd_packet_id(c, &s->packet_id, MQTT_E_SUBACK_PACKET_ID_ZERO))
        return false;
    if (c->v == MQTT_V5 && !rd_props(c, pkt->type, &s->props, &seen))
        return false;
    if (!suback && c->v != MQTT_V5)
        return true;
    if (c->p == c->end)
        return fail(c, suback ? MQTT_E_SUBACK_EMPTY : MQTT_E_UNSUBACK_EMPTY, c->p);
    for (const uint8_t *q = c->p; q < c->end; q++)
        if (!mqtt_reason_valid(*q, pkt->type, true, c->v))
            return fail(c, suback ? MQTT_E_SUBACK_RETURN_CODE : MQTT_E_UNSUBACK_REASON_CODE, q);
    s->list.ptr = c->p;
    s->list.len = s->list.count = (uint32_t)(c->end - c->p);
    c->p = c->end;
    return true;
}

/* ---- PINGREQ, PINGRESP, DISCONNECT, AUTH ---- */

static bool decode_empty_or_reason(dctx *c, mqtt_packet *pkt)
{
    mqtt_disconnect *d = &pkt->u.disconnect;
    bool tail = c->v == MQTT_V5 && (pkt->type == MQTT_DISCONNECT || pkt->type == MQTT_AUTH);
    if (!tail) {
        memset(d, 0, sizeof *d);
        return pkt->remaining_length == 0 ? true : fail(c, MQTT_E_REMAINING_LENGTH, c->pkt + 1);
    }
    return rd_reason_tail(c, pkt->type, &d->code, &d->has_code, &d->has_props, &d->props);
}

/* ---- dispatch ---- */

#define T(t) (1u << (t))
/* Who may receive each type (2.2.1 / 2.1.2 "Direction of flow"). */
static const uint16_t server_receives = T(MQTT_CONNECT) | T(MQTT_PUBLISH) | T(MQTT_PUBACK) | T(MQTT_PUBREC) |
                                        T(MQTT_PUBREL) | T(MQTT_PUBCOMP) | T(MQTT_SUBSCRIBE) |
                                        T(MQTT_UNSUBSCRIBE) | T(MQTT_PINGREQ) | T(MQTT_DISCONNECT) | T(MQTT_AUTH);
static const uint16_t client_receives = T(MQTT_CONNACK) | T(MQTT_PUBLISH) | T(MQTT_PUBACK) | T(MQTT_PUBREC) |
                                        T(MQTT_PUBREL) | T(MQTT_PUBCOMP) | T(MQTT_SUBACK) | T(MQTT_UNSUBACK) |
                                        T(MQTT_PINGRESP) | T(MQTT_DISCONNECT) | T(MQTT_AUTH);

static bool check_type(dctx *c, int type)
{
    if (c->v == MQTT_VERSION_UNKNOWN)
        return type == MQTT_CONNECT ? true : fail(c, MQTT_E_EXPECTED_CONNECT, c->pkt);
    if (type == 0 || (type == MQTT_AUTH && c->v != MQTT_V5))
        return fail(c, MQTT_E_PACKET_TYPE_RESERVED, c->pkt);
    uint16_t allowed = c->role == MQTT_ROLE_SERVER ? server_receives : client_receives;
    if (c->role == MQTT_ROLE_CLIENT && c->v != MQTT_V5)
        allowed &= (uint16_t)~T(MQTT_DISCONNECT); /* a 3.1.1 server never sends DISCONNECT */
    return (allowed & T(type)) ? true : fail(c, MQTT_E_PACKET_DIRECTION, c->pkt);
}

static mqtt_err flags_error(int type)
{
    switch (type) {
    case MQTT_PUBREL:
        return MQTT_E_PUBREL_FLAGS;
    case MQTT_SUBSCRIBE:
        return MQTT_E_SUBSCRIBE_FLAGS;
    case MQTT_UNSUBSCRIBE:
        return MQTT_E_UNSUBSCRIBE_FLAGS;
    case MQTT_DISCONNECT:
        return MQTT_E_DISCONNECT_FLAGS;
    case MQTT_AUTH:
        return MQTT_E_AUTH_FLAGS;
    default:
        return MQTT_E_FIXED_HEADER_FLAGS;
    }
}

static bool check_flags(dctx *c, int type, uint8_t flags)
{
    bool qos1_type = type == MQTT_PUBREL || type == MQTT_SUBSCRIBE || type == MQTT_UNSUBSCRIBE;
    if (type == MQTT_PUBLISH)
        return true;
    if (c->v == MQTT_V31) {
        /* 3.1 sends these three at QoS 1 and may set DUP on them; other flags are unused. */
        return !qos1_type || (flags & 0x06) == 0x02 ? true : fail(c, flags_error(type), c->pkt);
    }
    uint8_t required = qos1_type ? 0x02 : 0x00;
    return flags == required ? true : fail(c, flags_error(type), c->pkt);
}

static bool decode_body(dctx *c, mqtt_packet *pkt)
{
    int type = pkt->type;
    if (!check_type(c, type) || (type != MQTT_CONNECT && !check_flags(c, type, pkt->flags)))
        return false;
    switch (type) {
    case MQTT_CONNECT:
        return decode_connect(c, pkt);
    case MQTT_CONNACK:
        return decode_connack(c, pkt);
    case MQTT_PUBLISH:
        return decode_publish(c, pkt);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        return decode_ack(c, pkt);
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
        return decode_sub_unsub(c, pkt);
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        return decode_sub_ack(c, pkt);
    default:
        return decode_empty_or_reason(c, pkt);
    }
}

mqtt_status mqtt_decode_full(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out,
                             size_t *consumed, mqtt_error *err)
{
    size_t header, total;
    uint32_t rl;
    if (len >= 2 && !(buf[1] & 0x80)) { /* the common one-byte length */
        rl = buf[1];
        header = 2;
        total = 2 + (size_t)rl;
        if (opts->max_packet_size && total > opts->max_packet_size) {
            err->code = MQTT_E_TOO_LARGE;
            err->offset = err->byte = 0;
            err->version = (uint8_t)opts->version;
            err->packet_type = (uint8_t)(buf[0] >> 4);
            return MQTT_MALFORMED;
        }
        if (len < total)
            return MQTT_NEED_MORE;
    } else {
        mqtt_status st = mqtt_frame(buf, len, opts->max_packet_size, opts->version, &total, err);
        if (st != MQTT_COMPLETE)
            return st;
        header = 2;
        while (buf[header - 1] & 0x80)
            header++;
        rl = (uint32_t)(total - header);
    }
    out->type = buf[0] >> 4;
    out->flags = buf[0] & 0x0F;
    out->flags_override = false;
    out->remaining_length = rl;
    dctx c = {buf, buf + header, buf + total, opts->version, opts->role, err};
    if (!decode_body(&c, out))
        return MQTT_MALFORMED;
    /* 3.1 may set DUP on PUBREL/SUBSCRIBE/UNSUBSCRIBE: keep it so re-encoding gives the same bytes. */
    out->flags_override = out->type != MQTT_PUBLISH && out->flags != mqtt_fixed_header_flags(out);
    *consumed = total;
    return MQTT_COMPLETE;
}
