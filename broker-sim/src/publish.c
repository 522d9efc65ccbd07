/* PUBLISH in, the QoS 1 and 2 acknowledgement flows both ways, routing, PUBLISH out. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SIM_MAX_SUB_IDS 32 /* Subscription Identifiers carried by one delivery */

static void send_ack(sim_conn *c, uint8_t type, uint16_t packet_id, uint8_t code)
{
    mqtt_packet pkt = {.type = type};
    pkt.u.ack.packet_id = packet_id;
    pkt.u.ack.code = code;
    uint8_t props[160];
    pkt.u.ack.props = sim_problem_props(c, type, code, props, sizeof props);
    sim_send(c, &pkt);
}

/* ---- inbound ---- */

/* RETAIN 1 replaces the topic's retained message, or deletes it when the payload is empty
 * (3.1.1 MQTT-3.3.1-5 / MQTT-3.3.1-10, 5.0 MQTT-3.3.1-5 / MQTT-3.3.1-6). */
static bool goes_to_retained_store(const sim_conn *c, const sim_msg *m)
{
    if (!m->retain || sim_quirk(c->quirks, SIM_Q_RETAIN_NOT_STORED))
        return false;
    if (m->qos == 0 && sim_quirk(c->quirks, SIM_Q_RETAIN_QOS0_KEEPS_OLD) && sim_retained_find(c->b, m->topic))
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

void sim_reorder_flush(sim_conn *c)
{
    sim_msg *held = c->reorder_held;
    if (!held)
        return;
    c->reorder_held = NULL;
    sim_route(c->b, held, c->s);
    sim_msg_unref(held);
}

/* The reorder quirk: the first message of each pair on a topic waits on its connection for the second, which
 * overtakes it; a message on another topic first lets the waiting one go (no order between topics to break). */
static void route_reordered(sim_conn *c, sim_msg *m)
{
    sim_msg *held = c->reorder_held;
    if (held && !sim_bytes_eq(held->topic, m->topic)) {
        sim_reorder_flush(c);
        held = NULL;
    }
    if (!held) {
        c->reorder_held = sim_msg_ref(m);
        return;
    }
    c->reorder_held = NULL;
    sim_route(c->b, m, c->s);
    sim_route(c->b, held, c->s);
    sim_msg_unref(held);
}

/* Onward delivery: the retained store and every matching subscription. */
static void deliver(sim_conn *c, sim_msg *m)
{
    if (goes_to_retained_store(c, m)) {
        sim_retained *r = sim_retain_store(c->b, m);
        if (r)
            r->publisher = c->s; /* only retain-ends-with-session looks at it */
    }
    if (sim_quirk(c->quirks, SIM_Q_REORDER))
        route_reordered(c, m);
    else
        sim_route(c->b, m, c->s);
}

/* Deliver the message; returns when it expires (ms; 0: never), for the QoS 2 state kept after it. */
static int64_t publish_message(sim_conn *c, mqtt_bytes topic, const mqtt_publish *p)
{
    sim_msg *m = message_of(c, topic, p);
    int64_t expires_at = m->expires_at;
    deliver(c, m);
    sim_msg_unref(m);
    return expires_at;
}

/* 4.3.3 method A (qos2-forward-at-pubrel): keep the message until its PUBREL. */
static void hold_until_pubrel(sim_conn *c, mqtt_bytes topic, const mqtt_publish *p)
{
    sim_msg *m = message_of(c, topic, p);
    sim_session_add_awaiting_rel(c->s, p->packet_id, m, m->expires_at);
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
            int64_t expires_at = publish_message(c, topic, p); /* delivered on receipt (4.3.3 method B) */
            sim_session_add_awaiting_rel(c->s, p->packet_id, NULL, expires_at);
        }
    } else if (p->dup && sim_quirk(c->quirks, SIM_Q_DUP_REDELIVER)) {
        publish_message(c, topic, p);
    } else {
        sim_planted_on_qos2_resend(c);
    } /* else MQTT-4.3.3-2 / 5.0 MQTT-4.3.3-10: a resend before PUBREL is not delivered again */
    send_ack(c, MQTT_PUBREC, p->packet_id, 0);
}

/* 5.0 features this server announced it lacks (max-qos-1/0, no-retain); true if the connection was closed. */
static bool refused_as_unsupported(sim_conn *c, const mqtt_publish *p)
{
    uint8_t max = sim_quirk(c->quirks, SIM_Q_MAXIMUM_QOS_UNANNOUNCED) ? 1 : sim_variant_max_qos(c->variants);
    if (p->qos > max && c->version == MQTT_V5) {
        sim_protocol_error(c, 0x9B, "PUBLISH above the Maximum QoS announced in CONNACK (3.2.2.3.4)");
        return true;
    }
    if (p->retain && sim_variant5(c->variants, c->version, SIM_V_NO_RETAIN)) {
        sim_protocol_error(c, 0x9A, "RETAIN 1 after Retain Available 0 in CONNACK (3.2.2.3.5)");
        return true;
    }
    return false;
}

/*
 * 5.0 3.3.2.3.2: "A receiver MAY validate that the Payload is of the format indicated, and if it is not send a
 * PUBACK, PUBREC, or DISCONNECT with Reason Code of 0x99 (Payload format invalid)".  The sim refuses a QoS 1/2
 * PUBLISH whose Payload Format Indicator 1 payload is not well-formed UTF-8 (U+0000 is let pass: the rule on it
 * is about UTF-8 Encoded Strings); QoS 0 has no acknowledgement to refuse it with and is delivered.
 */
static bool payload_format_invalid(const sim_conn *c, const mqtt_publish *p)
{
    mqtt_property pr;
    if (c->version != MQTT_V5 || p->qos == 0 || !mqtt_prop_find(p->props, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, &pr) ||
        pr.value != 1)
        return false;
    mqtt_err why = MQTT_E_UTF8_INVALID;
    size_t bad_at;
    return !mqtt_utf8_valid(p->payload.ptr, p->payload.len, &why, &bad_at) && why != MQTT_E_UTF8_NUL;
}

/* Refused with 0x99: nothing is delivered; the packet identifier is free again (MQTT-4.3.3-9) unless quirked. */
static void refuse_payload(sim_conn *c, const mqtt_publish *p)
{
    sim_log(c->b, "#%u PUBLISH %u refused: Payload Format Indicator 1 but not UTF-8", c->id, p->packet_id);
    if (p->qos == 2 && sim_quirk(c->quirks, SIM_Q_REJECTED_ID_KEPT) && !sim_session_awaiting_rel(c->s, p->packet_id))
        sim_session_add_awaiting_rel(c->s, p->packet_id, NULL, 0);
    send_ack(c, p->qos == 2 ? MQTT_PUBREC : MQTT_PUBACK, p->packet_id, 0x99);
}

/* The access rule (sim_config.denied_topic): true if topic may not be published to. */
static bool is_denied(const sim_conn *c, mqtt_bytes topic)
{
    const char *d = c->b->cfg.denied_topic;
    return d && topic.len == strlen(d) && memcmp(topic.ptr, d, topic.len) == 0;
}

/* An unauthorized PUBLISH is not delivered; 3.1.1 MQTT-3.3.5-2: acknowledged "according to the normal QoS
 * rules" (or the connection closed, which this server does not choose); 5.0 3.3.5: PUBACK / PUBREC 0x87. */
static void on_denied_publish(sim_conn *c, const mqtt_publish *p)
{
    uint8_t code = c->version == MQTT_V5 ? 0x87 : 0;
    sim_log(c->b, "#%u PUBLISH to the denied topic not delivered", c->id);
    if (p->qos == 0 || sim_quirk(c->quirks, SIM_Q_DENIED_PUBLISH_UNANSWERED))
        return;
    if (p->qos == 1) {
        send_ack(c, MQTT_PUBACK, p->packet_id, code);
        return;
    }
    if (!code && !sim_session_awaiting_rel(c->s, p->packet_id))
        sim_session_add_awaiting_rel(c->s, p->packet_id, NULL, 0); /* 3.1.1: the flow goes on to PUBCOMP */
    send_ack(c, MQTT_PUBREC, p->packet_id, code);
}

/* topic-bom-stripped: the Topic Name without its EF BB BF sequences, in buf (at least topic.len bytes). */
static mqtt_bytes strip_bom(mqtt_bytes topic, uint8_t *buf)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < topic.len; i++) {
        if (i + 3 <= topic.len && memcmp(topic.ptr + i, "\xEF\xBB\xBF", 3) == 0) {
            i += 2;
            continue;
        }
        buf[n++] = topic.ptr[i];
    }
    return (mqtt_bytes){buf, n};
}

static void on_publish_topic(sim_conn *c, mqtt_bytes topic, const mqtt_publish *p)
{
    if (p->qos == 2) {
        on_publish_qos2(c, topic, p);
        return;
    }
    publish_message(c, topic, p);
}

void sim_on_publish(sim_conn *c, const mqtt_packet *pkt)
{
    const mqtt_publish *p = &pkt->u.publish;
    mqtt_bytes topic;
    if (refused_as_unsupported(c, p) || !sim_alias_resolve(c, p, &topic) || sim_planted_on_publish(c, topic))
        return;
    if (is_denied(c, topic)) {
        on_denied_publish(c, p);
        return;
    }
    if (payload_format_invalid(c, p) && !sim_session_awaiting_rel(c->s, p->packet_id)) {
        refuse_payload(c, p);
        return;
    }
    if (sim_quirk(c->quirks, SIM_Q_TOPIC_BOM_STRIPPED) && topic.len) {
        uint8_t *buf = malloc(topic.len);
        if (!buf)
            abort();
        on_publish_topic(c, strip_bom(topic, buf), p); /* the message keeps a copy of its topic */
        free(buf);
    } else {
        on_publish_topic(c, topic, p);
    }
    if (p->qos == 2)
        return;
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
    if (a->code >= 0x80 && sim_quirk(c->quirks, SIM_Q_REJECTED_RETRANSMITTED))
        return; /* kept in flight: resent on resume, against 5.0 MQTT-4.4.0-2 */
    if (a->code >= 0x80 && o->share.len && sim_quirk(c->quirks, SIM_Q_SHARED_REJECTED_REDELIVERED))
        sim_share_hand_over(c->s, o); /* MQTT-4.8.2-6 broken: a refused message goes to another member */
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
        if (sim_quirk(c->quirks, SIM_Q_REJECTED_RETRANSMITTED))
            return; /* kept in flight: resent on resume, against 5.0 MQTT-4.4.0-2 */
        if (o->share.len && sim_quirk(c->quirks, SIM_Q_SHARED_REJECTED_REDELIVERED))
            sim_share_hand_over(c->s, o);
        sim_session_remove_out(c->s, o);
        sim_session_pump(c->s);
        return;
    }
    o->state = SIM_OUT_RELEASED;
    send_ack(c, MQTT_PUBREL, a->packet_id, 0);
    if (sim_quirk(c->quirks, SIM_Q_QUOTA_FREED_AT_PUBREC))
        sim_session_pump(c->s); /* the window it counts no longer holds this one */
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
    bool expired = false;
    bool known = sim_session_take_awaiting_rel(c->s, a->packet_id, &held, &expired);
    if (expired && sim_quirk(c->quirks, SIM_Q_EXPIRED_QOS2_UNCOMPLETED)) {
        if (held)
            sim_msg_unref(held);
        return; /* the expired message took its flow with it, against 5.0 MQTT-4.3.3-13 */
    }
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

/* topic-case-folded: match both lower-cased (ASCII only). */
static bool matches_folding_case(mqtt_bytes filter, mqtt_bytes topic)
{
    uint8_t *f = malloc(filter.len + 1), *t = malloc(topic.len + 1);
    if (!f || !t)
        abort();
    for (uint32_t i = 0; i < filter.len; i++)
        f[i] = (uint8_t)tolower(filter.ptr[i]);
    for (uint32_t i = 0; i < topic.len; i++)
        t[i] = (uint8_t)tolower(topic.ptr[i]);
    bool match = mqtt_topic_matches((mqtt_bytes){f, filter.len}, (mqtt_bytes){t, topic.len});
    free(f);
    free(t);
    return match;
}

bool sim_filter_matches(sim_quirk_set quirks, mqtt_bytes filter, mqtt_bytes topic)
{
    if (sim_quirk(quirks, SIM_Q_HASH_EXCLUDES_PARENT) && is_hash_parent(filter, topic))
        return false;
    if (mqtt_topic_matches(filter, topic))
        return true;
    if (sim_quirk(quirks, SIM_Q_TOPIC_CASE_FOLDED) && matches_folding_case(filter, topic))
        return true;
    return sim_quirk(quirks, SIM_Q_DOLLAR_TOPICS_MATCHED) && matches_ignoring_dollar(filter, topic);
}

/* The Subscription Identifier a delivery carries for a subscription made with sub_id (0: none), bent by the quirks. */
static uint32_t sub_id_sent(sim_quirk_set quirks, uint32_t sub_id)
{
    if (sim_quirk(quirks, SIM_Q_SUB_ID_DROPPED))
        return 0;
    if (sub_id && sim_quirk(quirks, SIM_Q_SUB_ID_WRONG))
        return sub_id % MQTT_MAX_REMAINING_LENGTH + 1;
    if (!sub_id && sim_quirk(quirks, SIM_Q_SUB_ID_UNSOLICITED))
        return 1;
    return sub_id;
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
    uint32_t id = sub_id_sent(s->quirks, sub->sub_id);
    if (id && out->n_sub_ids < SIM_MAX_SUB_IDS)
        out->sub_ids[out->n_sub_ids++] = id;
}

static bool collect_matches(const sim_session *s, const sim_msg *m, bool own_message, sim_match *out)
{
    bool any = false;
    memset(out, 0, sizeof *out);
    for (const sim_sub *sub = s->subs; sub; sub = sub->next) {
        if (sub->shared || !sim_filter_matches(s->quirks, sub->filter, m->topic))
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

/* copy-per-subscription: one delivery per matching subscription, each on its own terms (3.3.5 / 5.0 3.3.4). */
static void route_copies(sim_session *s, sim_msg *m, bool own_message)
{
    for (const sim_sub *sub = s->subs; sub; sub = sub->next) {
        if (!sim_filter_matches(s->quirks, sub->filter, m->topic) ||
            (own_message && (sub->options & MQTT_SUBOPT_NO_LOCAL) && !sim_quirk(s->quirks, SIM_Q_NO_LOCAL_IGNORED)))
            continue;
        sim_match mt;
        memset(&mt, 0, sizeof mt);
        merge_match(s, sub, true, &mt);
        sim_session_enqueue(s, m, forward_qos(s, m->qos, mt.qos), m->retain && mt.retain_as_published, mt.sub_ids,
                            mt.n_sub_ids);
    }
}

void sim_route(sim_broker *b, sim_msg *m, const sim_session *from)
{
    for (sim_session *s = b->sessions; s; s = s->next) {
        if (sim_variant(s->variants, SIM_V_COPY_PER_SUBSCRIPTION)) {
            route_copies(s, m, s == from);
            continue;
        }
        sim_match mt;
        if (!collect_matches(s, m, s == from, &mt))
            continue;
        /* 3.1.1 MQTT-3.3.1-9 / 5.0 MQTT-3.3.1-12: a forward clears RETAIN unless Retain As Published */
        sim_session_enqueue(s, m, forward_qos(s, m->qos, mt.qos), m->retain && mt.retain_as_published, mt.sub_ids,
                            mt.n_sub_ids);
    }
    sim_share_route(b, m); /* shared subscriptions get their copy apart (4.8.2) */
}

/* ---- outbound PUBLISH ---- */

/* The message's properties as published, or without Response Topic and Correlation Data (the quirk). */
static void write_forwarded_props(mqtt_writer *w, mqtt_props props, bool drop_response)
{
    if (!drop_response) {
        mqtt_write_bytes(w, props.ptr, props.len);
        return;
    }
    mqtt_prop_iter it;
    mqtt_property pr;
    mqtt_prop_iter_init(&it, props);
    while (mqtt_prop_next(&it, &pr))
        if (pr.id != MQTT_PROP_RESPONSE_TOPIC && pr.id != MQTT_PROP_CORRELATION_DATA)
            mqtt_write_property(w, &pr);
}

/* The message's properties, its remaining Message Expiry Interval and our Subscription Identifiers. */
static void write_publish_props(mqtt_writer *w, const sim_out *o, int64_t now, bool drop_response)
{
    const sim_msg *m = o->msg;
    write_forwarded_props(w, m->props, drop_response);
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
        bool drop = sim_quirk(c->quirks, SIM_Q_RESPONSE_PROPS_DROPPED);
        write_publish_props(&w, o, now, drop);
        if (w.len && !(props = malloc(w.len)))
            abort();
        mqtt_writer_init(&w, props, w.len);
        write_publish_props(&w, o, now, drop);
        p->props = (mqtt_props){props, (uint32_t)w.len};
    }
    sim_alias_choice alias = sim_alias_choose(c, p->topic);
    uint8_t alias_prop[3] = {MQTT_PROP_TOPIC_ALIAS, (uint8_t)(alias.alias >> 8), (uint8_t)alias.alias};
    uint8_t *with_alias = NULL;
    if (alias.alias) { /* the message's own properties never hold a Topic Alias (msg.c) */
        if (!(with_alias = malloc(p->props.len + sizeof alias_prop)))
            abort();
        memcpy(with_alias, alias_prop, sizeof alias_prop);
        if (p->props.len)
            memcpy(with_alias + sizeof alias_prop, p->props.ptr, p->props.len);
        p->props = (mqtt_props){with_alias, p->props.len + (uint32_t)sizeof alias_prop};
        if (alias.mapped)
            p->topic = (mqtt_bytes){(const uint8_t *)"", 0};
    }
    bool sent = sim_send(c, &pkt);
    if (sent)
        sim_alias_commit(c, alias, o->msg->topic);
    free(with_alias);
    free(props);
    return sent;
}
