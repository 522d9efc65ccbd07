/*
 * 5.0 Topic Aliases both ways and what a client's Maximum Packet Size lets
 * through: the client's aliases (one table per connection, MQTT-3.3.2-7),
 * the aliases we use towards a client (topic-alias-out variant, within the
 * Topic Alias Maximum it sent, MQTT-3.3.2-11), and the optional Reason String
 * and User Property of our acks (ack-properties variant), each left out when
 * it would take the packet past the client's limit (MQTT-3.4.2-2 and the like).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SIM_ACK_USER_PROPERTY_NAME "origin"
#define SIM_ACK_USER_PROPERTY_VALUE "mqttspec broker-sim"

void sim_aliases_free(sim_aliases *a)
{
    for (unsigned i = 0; i < a->n; i++)
        free((void *)a->topic[i].ptr);
    free(a->topic);
    *a = (sim_aliases){NULL, 0};
}

/* ---- the client's aliases ---- */

/* Slots for aliases 0..max: our Topic Alias Maximum, or every value (topic-alias-maximum-ignored). */
static unsigned in_alias_slots(const sim_conn *c)
{
    if (sim_quirk(c->quirks, SIM_Q_TOPIC_ALIAS_MAXIMUM_IGNORED))
        return 65536u;
    return c->b->cfg.topic_alias_maximum + (sim_quirk(c->quirks, SIM_Q_TOPIC_ALIAS_OFF_BY_ONE) ? 0u : 1u);
}

bool sim_alias_resolve(sim_conn *c, const mqtt_publish *p, mqtt_bytes *topic)
{
    mqtt_property pr;
    *topic = p->topic;
    if (c->version != MQTT_V5 || !mqtt_prop_find(p->props, MQTT_PROP_TOPIC_ALIAS, &pr))
        return true;
    if (pr.value >= in_alias_slots(c)) {
        sim_protocol_error(c, 0x94, "Topic Alias above the Topic Alias Maximum (3.3.2.3.4)");
        return false;
    }
    sim_aliases *a = &c->in_aliases;
    if (!a->topic) {
        a->n = in_alias_slots(c);
        if (!(a->topic = calloc(a->n, sizeof *a->topic)))
            abort();
    }
    mqtt_bytes *slot = &a->topic[pr.value];
    if (p->topic.len) {
        free((void *)slot->ptr);
        *slot = sim_bytes_dup(p->topic);
        return true;
    }
    if (!slot->ptr) {
        sim_protocol_error(c, 0x82, "Topic Alias that this connection never set (3.3.2.3.4)");
        return false;
    }
    *topic = *slot;
    return true;
}

/* topic-alias-kept: a closing connection leaves its aliases to its session, for the next one. */
void sim_alias_keep(sim_conn *c, sim_session *s)
{
    if (!sim_quirk(c->quirks, SIM_Q_TOPIC_ALIAS_KEPT) || !c->in_aliases.topic)
        return;
    sim_aliases_free(&s->kept_aliases);
    s->kept_aliases = c->in_aliases;
    c->in_aliases = (sim_aliases){NULL, 0};
}

void sim_alias_restore(sim_conn *c, sim_session *s)
{
    if (!sim_quirk(c->quirks, SIM_Q_TOPIC_ALIAS_KEPT) || !s->kept_aliases.topic || c->in_aliases.topic)
        return;
    c->in_aliases = s->kept_aliases;
    s->kept_aliases = (sim_aliases){NULL, 0};
}

/* ---- our aliases towards the client ---- */

/* The highest alias we use towards c; 0: none. */
static unsigned out_alias_limit(const sim_conn *c)
{
    if (c->version != MQTT_V5)
        return 0;
    if (sim_quirk(c->quirks, SIM_Q_TOPIC_ALIAS_OUT_UNLIMITED))
        return c->b->cfg.topic_alias_maximum; /* ours, not the client's: the deviation */
    return sim_variant(c->variants, SIM_V_TOPIC_ALIAS_OUT) ? c->alias_max_out : 0;
}

sim_alias_choice sim_alias_choose(sim_conn *c, mqtt_bytes topic)
{
    unsigned limit = out_alias_limit(c);
    if (!limit || !topic.len)
        return (sim_alias_choice){0, false};
    sim_aliases *a = &c->out_aliases;
    if (!a->topic) {
        a->n = limit + 1;
        if (!(a->topic = calloc(a->n, sizeof *a->topic)))
            abort();
    }
    for (unsigned i = 1; i < a->n; i++)
        if (a->topic[i].ptr && sim_bytes_eq(a->topic[i], topic))
            return (sim_alias_choice){(uint16_t)i, true};
    c->out_alias_last = (uint16_t)(c->out_alias_last % limit + 1); /* round-robin over 1..limit */
    return (sim_alias_choice){c->out_alias_last, false};
}

void sim_alias_commit(sim_conn *c, sim_alias_choice ch, mqtt_bytes topic)
{
    if (!ch.alias || ch.mapped)
        return;
    mqtt_bytes *slot = &c->out_aliases.topic[ch.alias];
    free((void *)slot->ptr);
    *slot = sim_bytes_dup(topic);
}

/* ---- optional ack properties ---- */

static bool is_ack(uint8_t type)
{
    switch (type) {
    case MQTT_CONNACK:
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        return true;
    default:
        return false;
    }
}

static mqtt_props *props_field(mqtt_packet *pkt)
{
    switch (pkt->type) {
    case MQTT_CONNACK:
        return &pkt->u.connack.props;
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        return &pkt->u.subs.props;
    case MQTT_DISCONNECT:
    case MQTT_AUTH: /* AUTH shares DISCONNECT's reason code and properties */
        pkt->u.disconnect.has_props = true;
        return &pkt->u.disconnect.props;
    default:
        pkt->u.ack.has_props = true;
        return &pkt->u.ack.props;
    }
}

/* The packet's properties plus a Reason String (unless it has one) and/or our User Property. */
static void write_extras(mqtt_writer *w, const mqtt_packet *pkt, mqtt_props own, bool reason, bool user)
{
    mqtt_property pr;
    mqtt_write_bytes(w, own.ptr, own.len);
    if (reason && !mqtt_prop_find(own, MQTT_PROP_REASON_STRING, &pr)) {
        const char *name = mqtt_packet_type_name(pkt->type);
        static const char tail[] = " sent by mqttspec broker-sim, which adds this Reason String where it fits";
        char text[128];
        size_t n = strlen(name);
        memcpy(text, name, n);
        memcpy(text + n, tail, sizeof tail);
        pr = (mqtt_property){.id = MQTT_PROP_REASON_STRING, .data = {(const uint8_t *)text, (uint32_t)strlen(text)}};
        mqtt_write_property(w, &pr);
    }
    if (user) {
        pr = (mqtt_property){.id = MQTT_PROP_USER_PROPERTY,
                             .data = {(const uint8_t *)SIM_ACK_USER_PROPERTY_NAME, sizeof SIM_ACK_USER_PROPERTY_NAME - 1},
                             .value2 = {(const uint8_t *)SIM_ACK_USER_PROPERTY_VALUE,
                                        sizeof SIM_ACK_USER_PROPERTY_VALUE - 1}};
        mqtt_write_property(w, &pr);
    }
}

static bool fits(const sim_conn *c, const mqtt_packet *pkt)
{
    return !c->max_packet || mqtt_encoded_size(pkt, c->version) <= c->max_packet;
}

bool sim_ack_dress(const sim_conn *c, const mqtt_packet *pkt, mqtt_packet *out, uint8_t *buf, size_t cap)
{
    bool oversize = sim_quirk(c->quirks, SIM_Q_ACK_PROPERTIES_OVERSIZE) && pkt->type != MQTT_DISCONNECT;
    if (c->version != MQTT_V5 || !is_ack(pkt->type) ||
        !(oversize || sim_variant(c->variants, SIM_V_ACK_PROPERTIES)))
        return false;
    /* Request Problem Information 0: only CONNACK and DISCONNECT may carry them (MQTT-3.1.2-29) */
    if (!oversize && !c->problem_info && pkt->type != MQTT_CONNACK && pkt->type != MQTT_DISCONNECT)
        return false;
    /* Both, else the Reason String alone, else the User Property alone (MQTT-3.x.2-y: each one that fits). */
    static const bool tries[3][2] = {{true, true}, {true, false}, {false, true}};
    for (size_t i = 0; i < 3; i++) {
        *out = *pkt;
        mqtt_props *field = props_field(out);
        mqtt_writer w;
        mqtt_writer_init(&w, buf, cap);
        write_extras(&w, out, *field, tries[i][0], tries[i][1]);
        if (w.overflow)
            return false;
        *field = (mqtt_props){buf, (uint32_t)w.len};
        if (oversize || fits(c, out))
            return true;
    }
    return false;
}

bool sim_ack_oversize_allowed(const sim_conn *c, const mqtt_packet *pkt)
{
    if (sim_quirk(c->quirks, SIM_Q_MAX_PACKET_SIZE_IGNORED))
        return true;
    return sim_quirk(c->quirks, SIM_Q_ACK_PROPERTIES_OVERSIZE) && is_ack(pkt->type) && pkt->type != MQTT_DISCONNECT;
}
