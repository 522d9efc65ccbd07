/* 5.0 properties (2.2.2.2): types, where each may appear, iteration. */
#include "internal.h"

#define P(t) (1u << (t))
#define WILL 1u /* bit 0: Will Properties */
#define ACKS (P(MQTT_PUBACK) | P(MQTT_PUBREC) | P(MQTT_PUBREL) | P(MQTT_PUBCOMP))

const uint8_t mqtt_prop_types[43] = {
    [0x01] = MQTT_PT_BYTE,   [0x02] = MQTT_PT_U32,    [0x03] = MQTT_PT_UTF8,   [0x08] = MQTT_PT_UTF8,
    [0x09] = MQTT_PT_BINARY, [0x0B] = MQTT_PT_VARINT, [0x11] = MQTT_PT_U32,    [0x12] = MQTT_PT_UTF8,
    [0x13] = MQTT_PT_U16,    [0x15] = MQTT_PT_UTF8,   [0x16] = MQTT_PT_BINARY, [0x17] = MQTT_PT_BYTE,
    [0x18] = MQTT_PT_U32,    [0x19] = MQTT_PT_BYTE,   [0x1A] = MQTT_PT_UTF8,   [0x1C] = MQTT_PT_UTF8,
    [0x1F] = MQTT_PT_UTF8,   [0x21] = MQTT_PT_U16,    [0x22] = MQTT_PT_U16,    [0x23] = MQTT_PT_U16,
    [0x24] = MQTT_PT_BYTE,   [0x25] = MQTT_PT_BYTE,   [0x26] = MQTT_PT_PAIR,   [0x27] = MQTT_PT_U32,
    [0x28] = MQTT_PT_BYTE,   [0x29] = MQTT_PT_BYTE,   [0x2A] = MQTT_PT_BYTE,
};

const uint16_t mqtt_prop_packets[43] = {
    [0x01] = P(MQTT_PUBLISH) | WILL,
    [0x02] = P(MQTT_PUBLISH) | WILL,
    [0x03] = P(MQTT_PUBLISH) | WILL,
    [0x08] = P(MQTT_PUBLISH) | WILL,
    [0x09] = P(MQTT_PUBLISH) | WILL,
    [0x0B] = P(MQTT_PUBLISH) | P(MQTT_SUBSCRIBE),
    [0x11] = P(MQTT_CONNECT) | P(MQTT_CONNACK) | P(MQTT_DISCONNECT),
    [0x12] = P(MQTT_CONNACK),
    [0x13] = P(MQTT_CONNACK),
    [0x15] = P(MQTT_CONNECT) | P(MQTT_CONNACK) | P(MQTT_AUTH),
    [0x16] = P(MQTT_CONNECT) | P(MQTT_CONNACK) | P(MQTT_AUTH),
    [0x17] = P(MQTT_CONNECT),
    [0x18] = WILL,
    [0x19] = P(MQTT_CONNECT),
    [0x1A] = P(MQTT_CONNACK),
    [0x1C] = P(MQTT_CONNACK) | P(MQTT_DISCONNECT),
    [0x1F] = P(MQTT_CONNACK) | ACKS | P(MQTT_SUBACK) | P(MQTT_UNSUBACK) | P(MQTT_DISCONNECT) | P(MQTT_AUTH),
    [0x21] = P(MQTT_CONNECT) | P(MQTT_CONNACK),
    [0x22] = P(MQTT_CONNECT) | P(MQTT_CONNACK),
    [0x23] = P(MQTT_PUBLISH),
    [0x24] = P(MQTT_CONNACK),
    [0x25] = P(MQTT_CONNACK),
    [0x26] = P(MQTT_CONNECT) | P(MQTT_CONNACK) | P(MQTT_PUBLISH) | WILL | ACKS | P(MQTT_SUBSCRIBE) |
             P(MQTT_SUBACK) | P(MQTT_UNSUBSCRIBE) | P(MQTT_UNSUBACK) | P(MQTT_DISCONNECT) | P(MQTT_AUTH),
    [0x27] = P(MQTT_CONNECT) | P(MQTT_CONNACK),
    [0x28] = P(MQTT_CONNACK),
    [0x29] = P(MQTT_CONNACK),
    [0x2A] = P(MQTT_CONNACK),
};

typedef struct prop_names {
    uint8_t id;
    const char *name;
    const char *key;
} prop_names;

static const prop_names names[] = {
    {0x01, "Payload Format Indicator", "payload_format_indicator"},
    {0x02, "Message Expiry Interval", "message_expiry_interval"},
    {0x03, "Content Type", "content_type"},
    {0x08, "Response Topic", "response_topic"},
    {0x09, "Correlation Data", "correlation_data"},
    {0x0B, "Subscription Identifier", "subscription_identifier"},
    {0x11, "Session Expiry Interval", "session_expiry_interval"},
    {0x12, "Assigned Client Identifier", "assigned_client_identifier"},
    {0x13, "Server Keep Alive", "server_keep_alive"},
    {0x15, "Authentication Method", "authentication_method"},
    {0x16, "Authentication Data", "authentication_data"},
    {0x17, "Request Problem Information", "request_problem_information"},
    {0x18, "Will Delay Interval", "will_delay_interval"},
    {0x19, "Request Response Information", "request_response_information"},
    {0x1A, "Response Information", "response_information"},
    {0x1C, "Server Reference", "server_reference"},
    {0x1F, "Reason String", "reason_string"},
    {0x21, "Receive Maximum", "receive_maximum"},
    {0x22, "Topic Alias Maximum", "topic_alias_maximum"},
    {0x23, "Topic Alias", "topic_alias"},
    {0x24, "Maximum QoS", "maximum_qos"},
    {0x25, "Retain Available", "retain_available"},
    {0x26, "User Property", "user_property"},
    {0x27, "Maximum Packet Size", "maximum_packet_size"},
    {0x28, "Wildcard Subscription Available", "wildcard_subscription_available"},
    {0x29, "Subscription Identifier Available", "subscription_identifier_available"},
    {0x2A, "Shared Subscription Available", "shared_subscription_available"},
};

#define NAMES_COUNT (sizeof names / sizeof names[0])

static const prop_names *name_of(uint8_t id)
{
    for (size_t i = 0; i < NAMES_COUNT; i++)
        if (names[i].id == id)
            return &names[i];
    return NULL;
}

mqtt_prop_type mqtt_prop_type_of(uint8_t id)
{
    return id < 43 ? (mqtt_prop_type)mqtt_prop_types[id] : MQTT_PT_NONE;
}

const char *mqtt_prop_name(uint8_t id)
{
    const prop_names *n = name_of(id);
    return n ? n->name : NULL;
}

const char *mqtt_prop_key(uint8_t id)
{
    const prop_names *n = name_of(id);
    return n ? n->key : NULL;
}

int mqtt_prop_by_key(const char *key)
{
    for (size_t i = 0; i < NAMES_COUNT; i++)
        if (strcmp(names[i].key, key) == 0)
            return names[i].id;
    return -1;
}

bool mqtt_prop_allowed(uint8_t id, int packet_type)
{
    if (id >= 43 || packet_type < 0 || packet_type > 15)
        return false;
    return (mqtt_prop_packets[id] >> packet_type) & 1u;
}

void mqtt_prop_iter_init(mqtt_prop_iter *it, mqtt_props props)
{
    it->p = props.ptr;
    it->end = props.ptr ? props.ptr + props.len : NULL;
}

static bool take_string(const uint8_t **p, const uint8_t *end, mqtt_bytes *out)
{
    if (end - *p < 2)
        return false;
    uint16_t n = load_u16(*p);
    if (end - *p - 2 < n)
        return false;
    out->ptr = *p + 2;
    out->len = n;
    *p += 2 + n;
    return true;
}

/* Tolerates blocks that were never validated: stops at the first thing it cannot read. */
bool mqtt_prop_next(mqtt_prop_iter *it, mqtt_property *out)
{
    const uint8_t *p = it->p, *end = it->end;
    if (!p || p >= end)
        return false;
    uint32_t id;
    bool minimal;
    int n = varint_read(p, end, &id, &minimal);
    if (n <= 0)
        return false;
    p += n;
    memset(out, 0, sizeof *out);
    out->id = (uint8_t)id;
    bool ok = true;
    switch (id < 43 ? mqtt_prop_types[id] : MQTT_PT_NONE) {
    case MQTT_PT_BYTE:
        ok = p < end;
        if (ok)
            out->value = *p++;
        break;
    case MQTT_PT_U16:
        ok = end - p >= 2;
        if (ok) {
            out->value = load_u16(p);
            p += 2;
        }
        break;
    case MQTT_PT_U32:
        ok = end - p >= 4;
        if (ok) {
            out->value = load_u32(p);
            p += 4;
        }
        break;
    case MQTT_PT_VARINT:
        n = varint_read(p, end, &out->value, &minimal);
        ok = n > 0;
        p += ok ? n : 0;
        break;
    case MQTT_PT_UTF8:
    case MQTT_PT_BINARY:
        ok = take_string(&p, end, &out->data);
        break;
    case MQTT_PT_PAIR:
        ok = take_string(&p, end, &out->data) && take_string(&p, end, &out->value2);
        break;
    default:
        ok = false;
    }
    if (!ok) {
        it->p = end;
        return false;
    }
    it->p = p;
    return true;
}

bool mqtt_prop_find(mqtt_props props, uint8_t id, mqtt_property *out)
{
    mqtt_prop_iter it;
    mqtt_prop_iter_init(&it, props);
    while (mqtt_prop_next(&it, out))
        if (out->id == id)
            return true;
    return false;
}

void mqtt_list_iter_init(mqtt_list_iter *it, mqtt_list list, bool with_options)
{
    it->p = list.ptr;
    it->end = list.ptr ? list.ptr + list.len : NULL;
    it->with_options = with_options;
}

bool mqtt_list_next(mqtt_list_iter *it, mqtt_sub_entry *out)
{
    const uint8_t *p = it->p;
    if (!p || p >= it->end || !take_string(&p, it->end, &out->filter))
        return false;
    out->options = 0;
    if (it->with_options) {
        if (p >= it->end)
            return false;
        out->options = *p++;
    }
    it->p = p;
    return true;
}
