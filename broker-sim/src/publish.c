/* PUBLISH in, the QoS 1 and 2 acknowledgement flows both ways, routing, PUBLISH out. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SIM_MAX_SUB_IDS 32 /* Subscription Identifiers carried by one delivery */

static void send_ack(sim_conn *c, uint8_t type, uint16_t packet_id, uint8_t code)
{
    mqtt_packet pkt = {.type = type};
    pkt.u.ack.packet_id = packet_id;
    pkt.u.ack.code = code;
    sim_send(c, &pkt);
}

/* ---- inbound ---- */

/* 5.0 Topic Alias (client to server): set or look up; false if the connection was closed for it. */
static bool resolve_topic_alias(sim_conn *c, const mqtt_publish *p, mqtt_bytes *topic)
{
    mqtt_property pr;
    *topic = p->topic;
    if (c->version != MQTT_V5 || !mqtt_prop_find(p->props, MQTT_PROP_TOPIC_ALIAS, &pr))
        return true;
    uint16_t max = c->b->cfg.topic_alias_maximum;
    if (pr.value > max) {
        sim_protocol_error(c, 0x94, "Topic Alias above the Topic Alias Maximum (MQTT-3.3.2-9)");
        return false;
    }
    if (!c->aliases && !(c->aliases = calloc((size_t)max + 1, sizeof *c->aliases)))
        abort();
    mqtt_bytes *slot = &c->aliases[pr.value];
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

/* RETAIN 1 replaces the topic's retained message, or deletes it when the payload is empty
 * (3.1.1 MQTT-3.3.1-5 / MQTT-3.3.1-10, 5.0 MQTT-3.3.1-5 / MQTT-3.3.1-6). */
static bool goes_to_retained_store(const sim_conn *c, const sim_msg *m)
{
    if (!m->retain || sim_quirk(c->quirks, SIM_Q_RETAIN_NOT_STORED))
        return false;
    return m->payload.len > 0 || !sim_quirk(c->quirks, SIM_Q_RETAIN_EMPTY_NOT_CLEARED);
}

static sim_msg *message_of(const sim_conn *c, mqtt_bytes topic, const mqtt_publish *p)
{
    mqtt_props props = c->version == MQTT_V5 ? p->props : (mqtt_props){NULL, 0};
    sim_msg *m = sim_msg_new(topic, p->payload, props, p->qos, p->retain);
    m->publisher_dup = p->dup;
    if (sim_quirk(c->quirks, SIM_Q_MESSAGE_EXPIRY_IGNORED))
        m->expires_at = 0; /* never expires; sim_msg_new already left the interval out of the forwarded props */
    return m;
}

/* Onward delivery: the retained store and every matching subscription. */
static void deliver(sim_conn *c, sim_msg *m)
{
    if (goes_to_retained_store(c, m))
        sim_retain_store(c->b, m);
    sim_route(c->b, m, c->s);
}

static void publish_message(sim_conn *c, mqtt_bytes topic, const mqtt_publish *p)
{
    sim_msg *m = message_of(c, topic, p);
    deliver(c, m);
    sim_msg_unref(m);
}

/* 4.3.3 method A (qos2-forward-at-pubrel): keep the message until its PUBREL. */
static void hold_until_pubrel(sim_conn *c, mqtt_bytes topic, const mqtt_publish *p)
{
    sim_msg *m = message_of(c, topic, p);
    sim_session_add_awaiting_rel(c->s, p->packet_id, m);
    sim_msg_unref(m);
}

static void on_publish_qos2(sim_conn *c, mqtt_bytes topic, const mqtt_publish *p)
{
    if (sim_quirk(c->quirks, SIM_Q_QOS2_AS_PUBACK)) {
        publish_message(c, topic, p);
        send_ack(c, MQTT_PUBACK, p->packet_id, 0);
        return;
    }
    if (!sim_session_awaiting_rel(c->s, p->packet_id)) {
        if (sim_variant(c->variants, SIM_V_QOS2_FORWARD_AT_PUBREL)) {
            hold_until_pubrel(c, topic, p);
        } else {
            publish_message(c, topic, p); /* delivered on receipt (4.3.3 method B) */
            sim_session_add_awaiting_rel(c->s, p->packet_id, NULL);
        }
    } else if (p->dup && sim_quirk(c->quirks, SIM_Q_DUP_REDELIVER)) {
        publish_message(c, topic, p);
    } else {
        sim_planted_on_qos2_resend(c);
    } /* else MQTT-4.3.3-2 / 5.0 MQTT-4.3.3-10: a resend before PUBREL is not delivered again */
    send_ack(c, MQTT_PUBREC, p->packet_id, 0);
}

/* 5.0 features this server announced it lacks (max-qos-1, no-retain); true if the connection was closed. */
static bool refused_as_unsupported(sim_conn *c, const mqtt_publish *p)
{
    if (p->qos == 2 && sim_variant5(c->variants, c->version, SIM_V_MAX_QOS_1)) {
        sim_protocol_error(c, 0x9B, "QoS 2 PUBLISH above the Maximum QoS 1 announced in CONNACK (3.2.2.3.4)");
        return true;
    }
    if (p->retain && sim_variant5(c->variants, c->version, SIM_V_NO_RETAIN)) {
        sim_protocol_error(c, 0x9A, "RETAIN 1 after Retain Available 0 in CONNACK (3.2.2.3.5)");
        return true;
    }
    return false;
}

void sim_on_publish(sim_conn *c, const mqtt_packet *pkt)
{
    const mqtt_publish *p = &pkt->u.publish;
    mqtt_bytes topic;
    if (refused_as_unsupported(c, p) || !resolve_topic_alias(c, p, &topic) || sim_planted_on_publish(c, topic))
        return;
    if (p->qos == 2) {
        on_publish_qos2(c, topic, p);
        return;
    }
    publish_message(c, topic, p);
    if (p->qos == 1)
        send_ack(c, MQTT_PUBACK,
                 sim_quirk(c->quirks, SIM_Q_PUBACK_ID_SWAPPED) ? sim_swap16(p->packet_id) : p->packet_id, 0);
}

/* ---- acknowledgements ---- */

static void on_puback(sim_conn *c, const mqtt_ack *a)
{
    sim_out *o = sim_session_find_out(c->s, a->packet_id);
    if (!o || o->qos != 1)
        return; /* unknown identifier: nothing to release */
    sim_session_remove_out(c->s, o);
    sim_session_pump(c->s);
}

static void on_pubrec(sim_conn *c, const mqtt_ack *a)
{
    sim_out *o = sim_session_find_out(c->s, a->packet_id);
    if (!o || o->qos != 2) {
        if (c->version == MQTT_V5)
            send_ack(c, MQTT_PUBREL, a->packet_id, 0x92); /* Packet Identifier not found */
        return;
    }
    if (a->code >= 0x80) { /* 5.0: the client refused the message; the flow ends here */
        sim_session_remove_out(c->s, o);
        sim_session_pump(c->s);
        return;
    }
    o->state = SIM_OUT_RELEASED;
    send_ack(c, MQTT_PUBREL, a->packet_id, 0);
}

static void on_pubcomp(sim_conn *c, const mqtt_ack *a)
{
    sim_out *o = sim_session_find_out(c->s, a->packet_id);
    if (!o || o->state != SIM_OUT_RELEASED)
        return;
    sim_session_remove_out(c->s, o);
    sim_session_pump(c->s);
}

static void on_pubrel(sim_conn *c, const mqtt_ack *a)
{
    sim_msg *held;
    bool known = sim_session_take_awaiting_rel(c->s, a->packet_id, &held);
    if (held) { /* qos2-forward-at-pubrel: 4.3.3 method A delivers now */
        deliver(c, held);
        sim_msg_unref(held);
    }
    if (sim_quirk(c->quirks, SIM_Q_PUBCOMP_MISSING))
        return; /* done on our side; the client waits for a PUBCOMP that never comes */
    send_ack(c, MQTT_PUBCOMP, a->packet_id, known || c->version != MQTT_V5 ? 0x00 : 0x92);
}

void sim_on_ack(sim_conn *c, const mqtt_packet *pkt)
{
    switch (pkt->type) {
    case MQTT_PUBACK:
        on_puback(c, &pkt->u.ack);
        break;
    case MQTT_PUBREC:
        on_pubrec(c, &pkt->u.ack);
        break;
    case MQTT_PUBREL:
        on_pubrel(c, &pkt->u.ack);
        break;
    default:
        on_pubcomp(c, &pkt->u.ack);
        break;
    }
}

/* ---- routing ---- */

/* What a session's matching subscriptions ask for, merged into one delivery (3.3.5 / 5.0 3.3.4). */
typedef struct sim_match {
    uint8_t qos;
    bool retain_as_published;
    uint32_t sub_ids[SIM_MAX_SUB_IDS];
    unsigned n_sub_ids;
} sim_match;

/* "a/#" against "a": the parent level, which a trailing '#' matches too (4.7.1.2). */
static bool is_hash_parent(mqtt_bytes filter, mqtt_bytes topic)
{
    return filter.len >= 2 && topic.len == filter.len - 2 && memcmp(filter.ptr + topic.len, "/#", 2) == 0 &&
           memcmp(filter.ptr, topic.ptr, topic.len) == 0;
}

/* The '$' rule (MQTT-4.7.2-1) undone: a leading wildcard level matches a '$' level like any other. */
static bool matches_ignoring_dollar(mqtt_bytes filter, mqtt_bytes topic)
{
    if (topic.len == 0 || topic.ptr[0] != '$' || filter.len == 0 || (filter.ptr[0] != '+' && filter.ptr[0] != '#'))
        return false;
    uint8_t *plain = malloc(topic.len);
    if (!plain)
        abort();
    memcpy(plain, topic.ptr, topic.len);
    plain[0] = '_'; /* the filter's first level is a wildcard: which character stands here does not matter */
    bool match = mqtt_topic_matches(filter, (mqtt_bytes){plain, topic.len});
    free(plain);
    return match;
}

bool sim_filter_matches(sim_quirk_set quirks, mqtt_bytes filter, mqtt_bytes topic)
{
    if (sim_quirk(quirks, SIM_Q_HASH_EXCLUDES_PARENT) && is_hash_parent(filter, topic))
        return false;
    if (mqtt_topic_matches(filter, topic))
        return true;
    return sim_quirk(quirks, SIM_Q_DOLLAR_TOPICS_MATCHED) && matches_ignoring_dollar(filter, topic);
}

/* Fold one more matching subscription into the delivery. */
static void merge_match(const sim_session *s, const sim_sub *sub, bool first, sim_match *out)
{
    uint8_t qos = MQTT_SUBOPT_QOS(sub->options);
    /* 3.1.1 MQTT-3.3.5-1 / 5.0 MQTT-3.3.4-2: the highest QoS of all matching subscriptions */
    if (qos > out->qos && (first || !sim_quirk(s->quirks, SIM_Q_OVERLAP_FIRST_MATCH_QOS)))
        out->qos = qos;
    if ((sub->options & MQTT_SUBOPT_RETAIN_AS_PUBLISHED) && !sim_quirk(s->quirks, SIM_Q_RETAIN_AS_PUBLISHED_IGNORED))
        out->retain_as_published = true;
    if (sub->sub_id && out->n_sub_ids < SIM_MAX_SUB_IDS)
        out->sub_ids[out->n_sub_ids++] = sub->sub_id;
}

static bool collect_matches(const sim_session *s, const sim_msg *m, bool own_message, sim_match *out)
{
    bool any = false;
    memset(out, 0, sizeof *out);
    for (const sim_sub *sub = s->subs; sub; sub = sub->next) {
        if (!sim_filter_matches(s->quirks, sub->filter, m->topic))
            continue;
        if (own_message && (sub->options & MQTT_SUBOPT_NO_LOCAL) && !sim_quirk(s->quirks, SIM_Q_NO_LOCAL_IGNORED))
            continue; /* 5.0 MQTT-3.8.3-3 */
        merge_match(s, sub, !any, out);
        any = true;
    }
    return any;
}

/* The lower of the published QoS and the one the subscriptions granted (3.1.1 MQTT-3.8.4-6 / 5.0 MQTT-3.8.4-8). */
static uint8_t forward_qos(const sim_session *s, uint8_t published, uint8_t granted)
{
    if (sim_quirk(s->quirks, SIM_Q_QOS_NOT_DOWNGRADED))
        return published;
    if (sim_quirk(s->quirks, SIM_Q_QOS_UPGRADED))
        return granted;
    return published < granted ? published : granted;
}

void sim_route(sim_broker *b, sim_msg *m, const sim_session *from)
{
    for (sim_session *s = b->sessions; s; s = s->next) {
        sim_match mt;
        if (!collect_matches(s, m, s == from, &mt))
            continue;
        /* 3.1.1 MQTT-3.3.1-9 / 5.0 MQTT-3.3.1-12: a forward clears RETAIN unless Retain As Published */
        sim_session_enqueue(s, m, forward_qos(s, m->qos, mt.qos), m->retain && mt.retain_as_published, mt.sub_ids,
                            mt.n_sub_ids);
    }
}

/* ---- outbound PUBLISH ---- */

/* The message's properties, its remaining Message Expiry Interval and our Subscription Identifiers. */
static void write_publish_props(mqtt_writer *w, const sim_out *o, int64_t now)
{
    const sim_msg *m = o->msg;
    mqtt_write_bytes(w, m->props.ptr, m->props.len);
    if (m->expires_at) {
        int64_t left_ms = m->expires_at > now ? m->expires_at - now : 0;
        mqtt_property pr = {.id = MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, .value = (uint32_t)((left_ms + 999) / 1000)};
        mqtt_write_property(w, &pr);
    }
    for (unsigned i = 0; i < o->n_sub_ids; i++) {
        mqtt_property pr = {.id = MQTT_PROP_SUBSCRIPTION_IDENTIFIER, .value = o->sub_ids[i]};
        mqtt_write_property(w, &pr);
    }
}

bool sim_send_publish(sim_conn *c, const sim_out *o, bool dup)
{
    mqtt_packet pkt = {.type = MQTT_PUBLISH};
    mqtt_publish *p = &pkt.u.publish;
    /* DUP tells whether this send is a retransmission, not what the publisher sent (MQTT-3.3.1-3) */
    p->dup = dup || (o->qos > 0 && o->msg->publisher_dup && sim_quirk(c->quirks, SIM_Q_DUP_PROPAGATED));
    p->qos = o->qos;
    p->retain = o->retain;
    p->topic = o->msg->topic;
    p->packet_id = o->qos ? o->packet_id : 0;
    p->payload = o->msg->payload;
    uint8_t *props = NULL;
    if (c->version == MQTT_V5) {
        int64_t now = sim_now();
        mqtt_writer w;
        mqtt_writer_init(&w, NULL, 0);
        write_publish_props(&w, o, now);
        if (w.len && !(props = malloc(w.len)))
            abort();
        mqtt_writer_init(&w, props, w.len);
        write_publish_props(&w, o, now);
        p->props = (mqtt_props){props, (uint32_t)w.len};
    }
    bool sent = sim_send(c, &pkt);
    free(props);
    return sent;
}
