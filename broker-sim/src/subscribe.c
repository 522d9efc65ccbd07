/* SUBSCRIBE and UNSUBSCRIBE, and the retained messages a subscription brings. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- retained store ---- */

sim_retained *sim_retained_find(sim_broker *b, mqtt_bytes topic)
{
    for (sim_retained *r = b->retained; r; r = r->next)
        if (sim_bytes_eq(r->msg->topic, topic))
            return r;
    return NULL;
}

void sim_retained_publisher_ended(sim_broker *b, const sim_session *s)
{
    bool drop = sim_quirk(s->quirks, SIM_Q_RETAIN_ENDS_WITH_SESSION);
    sim_retained **pp = &b->retained;
    while (*pp) {
        sim_retained *r = *pp;
        if (r->publisher != s) {
            pp = &r->next;
            continue;
        }
        r->publisher = NULL;
        if (!drop) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        sim_msg_unref(r->msg);
        free(r);
    }
}

sim_retained *sim_retain_store(sim_broker *b, sim_msg *m)
{
    sim_retained **pp = &b->retained;
    while (*pp && !sim_bytes_eq((*pp)->msg->topic, m->topic))
        pp = &(*pp)->next;
    if (*pp) { /* replaced, or removed by an empty payload (3.1.1 MQTT-3.3.1-10 / 5.0 MQTT-3.3.1-6) */
        sim_retained *old = *pp;
        *pp = old->next;
        sim_msg_unref(old->msg);
        free(old);
    }
    if (m->payload.len == 0)
        return NULL; /* never stored (MQTT-3.3.1-11 / 5.0 MQTT-3.3.1-7) */
    sim_retained *r = malloc(sizeof *r);
    if (!r)
        abort();
    r->msg = sim_msg_ref(m);
    r->publisher = NULL;
    r->next = b->retained;
    b->retained = r;
    return r;
}

void sim_retained_free_all(sim_broker *b)
{
    while (b->retained) {
        sim_retained *r = b->retained;
        b->retained = r->next;
        sim_msg_unref(r->msg);
        free(r);
    }
}

/* Retained messages matching a new subscription, RETAIN 1 (3.1.1 MQTT-3.3.1-8 / 5.0 MQTT-3.3.1-9). */
static void send_retained(sim_session *s, const sim_sub *sub)
{
    bool flag = !sim_quirk(s->quirks, SIM_Q_RETAINED_WITHOUT_FLAG);
    int64_t now = sim_now();
    uint8_t granted = MQTT_SUBOPT_QOS(sub->options);
    bool keep_qos = sim_quirk(s->quirks, SIM_Q_RETAINED_QOS_NOT_DOWNGRADED);
    for (sim_retained *r = s->b->retained; r; r = r->next) {
        if (sim_msg_expired(r->msg, now) || !sim_filter_matches(s->quirks, sub->filter, r->msg->topic))
            continue;
        /* the lower of stored and granted QoS (3.1.1 MQTT-3.8.4-6 / 5.0 MQTT-3.8.4-8) */
        uint8_t qos = (keep_qos || r->msg->qos < granted) ? r->msg->qos : granted;
        sim_session_enqueue(s, r->msg, qos, flag, &sub->sub_id, sub->sub_id ? 1 : 0);
    }
}

/* ---- SUBSCRIBE ---- */

/* A 5.0 shared subscription?  *inner: what topics are matched against.  In 3.1.1 "$share/..." is an ordinary
 * filter. */
static bool is_shared(const sim_conn *c, mqtt_bytes filter, mqtt_bytes *inner)
{
    if (c->version == MQTT_V5 && sim_share_parse(filter, inner))
        return true;
    *inner = filter;
    return false;
}

static bool has_wildcard(mqtt_bytes f) { return memchr(f.ptr, '+', f.len) || memchr(f.ptr, '#', f.len); }

/* The reason code refusing one filter, or 0 to accept it. */
static uint8_t refusal_of(const sim_conn *c, mqtt_bytes filter, uint8_t options)
{
    mqtt_bytes inner;
    if (c->version != MQTT_V5) /* 3.1.1 MQTT-3.8.3-2: without wildcard support such a filter is refused */
        return sim_variant(c->variants, SIM_V_NO_WILDCARDS) && has_wildcard(filter) ? 0x80 : 0;
    if (is_shared(c, filter, &inner) && sim_variant(c->variants, SIM_V_NO_SHARED))
        return 0x9E; /* Shared Subscriptions not supported (announced in CONNACK) */
    if (MQTT_SUBOPT_QOS(options) == 2 && sim_quirk(c->quirks, SIM_Q_MAXIMUM_QOS_LAX))
        return 0x80; /* MQTT-3.2.2-10 broken: Maximum QoS 1 announced, the QoS 2 request refused */
    if (sim_variant(c->variants, SIM_V_NO_WILDCARDS) && has_wildcard(filter))
        return 0xA2; /* Wildcard Subscriptions not supported (announced in CONNACK) */
    return 0;
}

/* The QoS granted: as asked, or at most 1 or 0 (max-qos-1/0: "the Server might grant a lower maximum QoS"). */
static uint8_t granted_qos(const sim_conn *c, uint8_t options)
{
    uint8_t asked = MQTT_SUBOPT_QOS(options), max = sim_variant_max_qos(c->variants);
    return asked > max ? max : asked;
}

static sim_sub *find_sub(sim_session *s, mqtt_bytes filter)
{
    for (sim_sub *sub = s->subs; sub; sub = sub->next)
        if (sim_bytes_eq(sub->filter, filter))
            return sub;
    return NULL;
}

/* Add or replace (MQTT-3.8.4-3) one subscription; returns it and whether it is new. */
static sim_sub *subscribe_one(sim_conn *c, const mqtt_sub_entry *e, uint32_t sub_id, bool *is_new)
{
    sim_session *s = c->s;
    sim_sub *sub = sim_quirk(s->quirks, SIM_Q_RESUBSCRIBE_DUPLICATES) ? NULL : find_sub(s, e->filter);
    *is_new = sub == NULL;
    if (!sub) {
        if (!(sub = calloc(1, sizeof *sub)))
            abort();
        sub->filter = sim_bytes_dup(e->filter);
        sub->shared = is_shared(c, sub->filter, &sub->inner);
        sub->seq = ++c->b->next_sub_seq;
        sim_sub **tail = &s->subs;
        while (*tail)
            tail = &(*tail)->next;
        *tail = sub;
    }
    sub->options = e->options;
    sub->sub_id = sub_id;
    return sub;
}

/* Retain Handling: 0 always, 1 only for a new subscription, 2 never (5.0 3.8.3.1); 3.1.1 is always 0. */
static bool wants_retained(sim_quirk_set quirks, const sim_sub *sub, bool is_new)
{
    if (sub->shared)
        return false; /* 5.0 3.3.1.3: retained messages go to a new Non-shared Subscription only */
    unsigned rh = sim_quirk(quirks, SIM_Q_RETAIN_HANDLING_IGNORED) ? 0 : MQTT_SUBOPT_RETAIN_HANDLING(sub->options);
    if (rh == 0 && !is_new && sim_quirk(quirks, SIM_Q_RETAINED_NOT_RESENT))
        return false; /* 3.1.1 MQTT-3.8.4-3 / 5.0 MQTT-3.8.4-4: a replaced subscription gets them again */
    return rh == 0 || (rh == 1 && is_new);
}

static void send_suback(sim_conn *c, uint16_t packet_id, const uint8_t *codes, uint32_t n)
{
    mqtt_packet pkt = {.type = MQTT_SUBACK};
    pkt.u.subs.packet_id = packet_id;
    pkt.u.subs.list = (mqtt_list){codes, n, n};
    uint8_t worst = 0, props[160];
    for (uint32_t i = 0; i < n; i++)
        worst = codes[i] >= 0x80 ? codes[i] : worst;
    pkt.u.subs.props = sim_problem_props(c, MQTT_SUBACK, worst, props, sizeof props);
    sim_send(c, &pkt);
}

void sim_on_subscribe(sim_conn *c, const mqtt_packet *pkt)
{
    const mqtt_subs *req = &pkt->u.subs;
    sim_session *s = c->s;
    mqtt_property pr;
    uint32_t sub_id = mqtt_prop_find(req->props, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, &pr) ? pr.value : 0;
    if (sub_id && sim_variant5(c->variants, c->version, SIM_V_NO_SUBSCRIPTION_IDS)) {
        sim_protocol_error(c, 0xA1, "Subscription Identifier after Subscription Identifiers Available 0 (3.2.2.3.13)");
        return;
    }
    uint32_t n = req->list.count;
    uint8_t *codes = calloc((size_t)n + 1, 1);
    sim_sub **retained_for = calloc(n, sizeof *retained_for);
    if (!codes || !retained_for)
        abort();
    mqtt_list_iter it;
    mqtt_sub_entry e;
    mqtt_list_iter_init(&it, req->list, true);
    for (uint32_t i = 0; i < n && mqtt_list_next(&it, &e); i++) {
        if ((codes[i] = refusal_of(c, e.filter, e.options)) != 0)
            continue;
        codes[i] = granted_qos(c, e.options);
        e.options = (uint8_t)((e.options & ~0x03u) | codes[i]); /* deliveries use the granted QoS */
        bool is_new;
        sim_sub *sub = subscribe_one(c, &e, sub_id, &is_new);
        if (wants_retained(c->quirks, sub, is_new))
            retained_for[i] = sub;
    }
    bool extra = sim_quirk(c->quirks, SIM_Q_SUBACK_EXTRA_CODE);
    if (extra)
        codes[n] = codes[n - 1]; /* the decoder guarantees n >= 1 (MQTT-3.8.3-3) */
    uint16_t id = sim_quirk(c->quirks, SIM_Q_SUBACK_ID_SWAPPED) ? sim_swap16(req->packet_id) : req->packet_id;
    send_suback(c, id, codes, extra ? n + 1 : n);
    for (uint32_t i = 0; i < req->list.count; i++)
        if (retained_for[i])
            send_retained(s, retained_for[i]);
    free(codes);
    free(retained_for);
}

/* ---- UNSUBSCRIBE ---- */

/* Only the character-for-character identical filter is removed (MQTT-3.10.4-1). */
static bool unsubscribe_hits(sim_quirk_set quirks, mqtt_bytes sub_filter, mqtt_bytes filter)
{
    return sim_bytes_eq(sub_filter, filter) ||
           (sim_quirk(quirks, SIM_Q_UNSUBSCRIBE_BY_MATCH) && mqtt_topic_matches(sub_filter, filter));
}

/* unsubscribe-abandons-inflight: forget the deliveries in flight that the removed filter matched. */
static void abandon_inflight(sim_session *s, mqtt_bytes filter)
{
    sim_out *next;
    for (sim_out *o = s->out_head; o; o = next) {
        next = o->next;
        if (o->state != SIM_OUT_QUEUED && sim_filter_matches(s->quirks, filter, o->msg->topic))
            sim_session_remove_out(s, o);
    }
}

static bool unsubscribe_one(sim_session *s, mqtt_bytes filter)
{
    if (sim_quirk(s->quirks, SIM_Q_UNSUBSCRIBE_ABANDONS))
        abandon_inflight(s, filter);
    bool removed = false;
    sim_sub **pp = &s->subs;
    while (*pp) {
        sim_sub *sub = *pp;
        if (!unsubscribe_hits(s->quirks, sub->filter, filter)) {
            pp = &sub->next;
            continue;
        }
        *pp = sub->next;
        free((void *)sub->filter.ptr);
        free(sub);
        removed = true;
    }
    return removed;
}

/* unsubscribe-drops-inflight: forget the deliveries in flight that filter matched. */
static void drop_inflight_of(sim_session *s, mqtt_bytes filter)
{
    sim_out *o = s->out_head;
    while (o) {
        sim_out *next = o->next;
        if (o->state != SIM_OUT_QUEUED && sim_filter_matches(0, filter, o->msg->topic))
            sim_session_remove_out(s, o);
        o = next;
    }
}

void sim_on_unsubscribe(sim_conn *c, const mqtt_packet *pkt)
{
    const mqtt_subs *req = &pkt->u.subs;
    uint32_t n = req->list.count;
    uint8_t *codes = calloc(n ? n : 1, 1);
    if (!codes)
        abort();
    mqtt_list_iter it;
    mqtt_sub_entry e;
    bool any_removed = false;
    mqtt_list_iter_init(&it, req->list, false);
    for (uint32_t i = 0; i < n && mqtt_list_next(&it, &e); i++) {
        bool removed = unsubscribe_one(c->s, e.filter);
        if (removed && sim_quirk(c->quirks, SIM_Q_UNSUBSCRIBE_DROPS_INFLIGHT))
            drop_inflight_of(c->s, e.filter);
        codes[i] = removed ? 0x00 : 0x11; /* 0x11: No subscription existed */
        any_removed |= removed;
    }
    /* MQTT-3.10.4-5: UNSUBACK even when nothing was removed */
    if (!any_removed && sim_quirk(c->quirks, SIM_Q_UNSUBACK_ONLY_IF_REMOVED)) {
        free(codes);
        return;
    }
    mqtt_packet ack = {.type = MQTT_UNSUBACK};
    ack.u.subs.packet_id = req->packet_id;
    ack.u.subs.list = (mqtt_list){codes, n, n};
    uint8_t worst = 0, props[160];
    for (uint32_t i = 0; i < n; i++)
        worst = codes[i] ? codes[i] : worst;
    ack.u.subs.props = sim_problem_props(c, MQTT_UNSUBACK, worst, props, sizeof props);
    sim_send(c, &ack);
    free(codes);
}
