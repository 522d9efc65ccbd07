/*
 * Sessions: subscriptions, the outbound queue with its in-flight window
 * (the client's Receive Maximum), packet identifiers, inbound QoS 2 state,
 * and the session's end (Clean Start, expiry).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

sim_session *sim_session_find(sim_broker *b, mqtt_bytes client_id)
{
    for (sim_session *s = b->sessions; s; s = s->next)
        if (sim_bytes_eq((mqtt_bytes){(const uint8_t *)s->client_id, (uint32_t)s->client_id_len}, client_id))
            return s;
    return NULL;
}

sim_session *sim_session_new(sim_broker *b, mqtt_bytes client_id)
{
    sim_session *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    mqtt_bytes id = sim_bytes_dup(client_id);
    s->b = b;
    s->client_id = (char *)id.ptr;
    s->client_id_len = id.len;
    s->next = b->sessions;
    b->sessions = s;
    return s;
}

static void free_out(sim_out *o)
{
    sim_msg_unref(o->msg);
    free(o->sub_ids);
    free((void *)o->share.ptr);
    free(o);
}

static void free_subs(sim_session *s)
{
    while (s->subs) {
        sim_sub *sub = s->subs;
        s->subs = sub->next;
        free((void *)sub->filter.ptr);
        free(sub);
    }
}

static void unlink_session(sim_session *s)
{
    for (sim_session **pp = &s->b->sessions; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            return;
        }
}

void sim_session_end(sim_session *s)
{
    unlink_session(s);
    sim_retained_publisher_ended(s->b, s);
    if (s->conn)
        s->conn->s = NULL;
    sim_share_on_leave(s, true);
    if (s->will) {
        sim_will *w = s->will;
        s->will = NULL;
        sim_will_publish(s->b, w); /* 5.0 MQTT-3.1.2-8: the session ends before the Will Delay */
    }
    if (s->remembered_will)
        sim_msg_unref(s->remembered_will);
    free_subs(s);
    while (s->out_head) {
        sim_out *o = s->out_head;
        s->out_head = o->next;
        free_out(o);
    }
    for (size_t i = 0; i < s->n_awaiting_rel; i++)
        if (s->held_for_rel[i])
            sim_msg_unref(s->held_for_rel[i]);
    free(s->awaiting_rel);
    free(s->held_for_rel);
    free(s->rel_expires_at);
    sim_aliases_free(&s->kept_aliases);
    free(s->client_id);
    free(s);
}

void sim_session_detach(sim_session *s)
{
    if (s->expiry_s == 0) {
        sim_session_end(s);
        return;
    }
    sim_share_on_leave(s, false);
    s->expires_at = s->expiry_s == SIM_EXPIRY_NEVER ? 0 : sim_now() + (int64_t)s->expiry_s * 1000;
}

/* ---- outbound ---- */

sim_out *sim_session_find_out(sim_session *s, uint16_t packet_id)
{
    for (sim_out *o = s->out_head; o; o = o->next)
        if (o->state != SIM_OUT_QUEUED && o->packet_id == packet_id)
            return o;
    return NULL;
}

void sim_session_remove_out(sim_session *s, sim_out *o)
{
    sim_out *prev = NULL;
    for (sim_out *p = s->out_head; p && p != o; p = p->next)
        prev = p;
    if (prev)
        prev->next = o->next;
    else
        s->out_head = o->next;
    if (s->out_tail == o)
        s->out_tail = prev;
    if (o->state != SIM_OUT_QUEUED)
        s->n_inflight--;
    s->n_out--;
    s->out_bytes -= o->msg->payload.len;
    free_out(o);
}

/* The next identifier not held by a message in flight (MQTT-2.3.1-2 / 5.0 MQTT-2.2.1-3). */
static uint16_t next_packet_id(sim_session *s)
{
    if (sim_quirk(s->quirks, SIM_Q_PACKET_ID_IN_USE))
        return 1;
    for (;;) {
        s->last_packet_id = (uint16_t)(s->last_packet_id == 0xFFFF ? 1 : s->last_packet_id + 1);
        if (!sim_session_find_out(s, s->last_packet_id))
            return s->last_packet_id;
    }
}

static bool dropped_for_offline(const sim_session *s, uint8_t qos)
{
    if (s->conn)
        return false;
    /* QoS 0 for an absent client MAY be stored (3.1.2.4): this broker does not. */
    return qos == 0 || (qos == 1 && sim_quirk(s->quirks, SIM_Q_DROP_OFFLINE_QOS1));
}

/*
 * The queue's bound: a client that does not keep up (or stays away) cannot
 * make the broker grow.  At the bound the new message is dropped; a QoS 1/2
 * one also ends the connection of a client that is there (5.0 names it with
 * 0x97 Quota exceeded; 3.1.1 lets a server close a connection at any time).
 */
static bool over_bound(sim_session *s, const sim_msg *m, uint8_t qos)
{
    const sim_config *cfg = &s->b->cfg;
    if (s->n_out < cfg->max_queued_messages && s->out_bytes + m->payload.len <= cfg->max_queued_bytes)
        return false;
    sim_log(s->b, "session '%s': queue full (%u messages, %llu bytes): QoS %u message dropped", s->client_id,
            s->n_out, (unsigned long long)s->out_bytes, qos);
    if (qos > 0 && s->conn)
        s->conn->over_quota = true;
    return true;
}

static void enqueue(sim_session *s, sim_msg *m, uint8_t qos, bool retain, const uint32_t *sub_ids,
                    unsigned n_sub_ids, mqtt_bytes share)
{
    if (dropped_for_offline(s, qos) || sim_msg_expired(m, sim_now()) || over_bound(s, m, qos))
        return;
    sim_out *o = calloc(1, sizeof *o);
    if (!o)
        abort();
    o->msg = sim_msg_ref(m);
    o->qos = qos;
    o->retain = retain;
    o->state = SIM_OUT_QUEUED;
    if (n_sub_ids) {
        o->sub_ids = malloc(n_sub_ids * sizeof *o->sub_ids);
        if (!o->sub_ids)
            abort();
        memcpy(o->sub_ids, sub_ids, n_sub_ids * sizeof *o->sub_ids);
        o->n_sub_ids = n_sub_ids;
    }
    if (share.len)
        o->share = sim_bytes_dup(share);
    if (s->out_tail)
        s->out_tail->next = o;
    else
        s->out_head = o;
    s->out_tail = o;
    s->n_out++;
    s->out_bytes += m->payload.len;
    sim_session_pump(s);
}

void sim_session_enqueue(sim_session *s, sim_msg *m, uint8_t qos, bool retain, const uint32_t *sub_ids,
                         unsigned n_sub_ids)
{
    enqueue(s, m, qos, retain, sub_ids, n_sub_ids, (mqtt_bytes){NULL, 0});
}

void sim_session_enqueue_shared(sim_session *s, sim_msg *m, uint8_t qos, bool retain, const uint32_t *sub_ids,
                                unsigned n_sub_ids, mqtt_bytes share)
{
    enqueue(s, m, qos, retain, sub_ids, n_sub_ids, share);
}

/* Unacknowledged QoS 1/2 PUBLISHes allowed towards the client: its Receive Maximum, or 1 (inflight-1). */
static unsigned inflight_window(const sim_session *s)
{
    if (sim_variant(s->variants, SIM_V_INFLIGHT_1))
        return 1;
    return sim_quirk(s->quirks, SIM_Q_RECEIVE_MAXIMUM_IGNORED) ? UINT_MAX : s->conn->recv_max;
}

/* Deliveries counted against the window: all in flight (5.0 MQTT-3.3.4-9: until PUBACK, PUBCOMP or a refusing
 * PUBREC), or with the quota-freed-at-pubrec quirk those still awaiting PUBACK / PUBREC. */
static unsigned counted_inflight(const sim_session *s)
{
    if (!sim_quirk(s->quirks, SIM_Q_QUOTA_FREED_AT_PUBREC))
        return s->n_inflight;
    unsigned n = 0;
    for (const sim_out *o = s->out_head; o; o = o->next)
        n += o->state == SIM_OUT_PUBLISHED;
    return n;
}

unsigned sim_session_send_quota(const sim_session *s)
{
    unsigned used = counted_inflight(s), window = inflight_window(s);
    return used < window ? window - used : 0;
}

/* Send one queued entry; false if the window is full or the connection failed. */
static bool send_queued(sim_session *s, sim_out *o)
{
    sim_conn *c = s->conn;
    /* inflight-1 holds everything, QoS 0 too, behind an unacknowledged QoS 1/2 message (as ejabberd does):
     * a server MAY go on sending QoS 0 meanwhile (5.0 4.9), it need not. */
    if (o->qos == 0 && s->n_inflight && sim_variant(s->variants, SIM_V_INFLIGHT_1))
        return false;
    if (o->qos > 0) {
        if (sim_session_send_quota(s) == 0)
            return false;
        o->packet_id = next_packet_id(s);
        o->state = SIM_OUT_PUBLISHED;
        s->n_inflight++;
    }
    bool sent = sim_send_publish(c, o, false);
    if (c->broken)
        return false; /* a QoS > 0 message stays in flight and is resent on resume */
    if (!sent && sim_quirk(s->quirks, SIM_Q_OVERSIZE_MESSAGE_KEPT)) { /* not discarded: it blocks the queue */
        if (o->qos > 0) {
            o->state = SIM_OUT_QUEUED;
            s->n_inflight--;
        }
        return false;
    }
    if (!sent || o->qos == 0)
        sim_session_remove_out(s, o); /* QoS 0 is done; too big for the client: MQTT-3.1.2-25 discards it */
    return true;
}

void sim_session_pump(sim_session *s)
{
    if (!s->conn || !s->conn->connected)
        return;
    int64_t now = sim_now();
    sim_out *o = s->out_head;
    while (o) {
        sim_out *next = o->next;
        if (o->state == SIM_OUT_QUEUED) {
            if (sim_msg_expired(o->msg, now))
                sim_session_remove_out(s, o);
            else if (!send_queued(s, o))
                return; /* keep the order: nothing overtakes a message that waits */
        }
        o = next;
    }
}

/* chaos-lose-acked-qos1: every 10th QoS 1 message that waited unsent for the client is lost on resume. */
static void lose_queued_qos1(sim_session *s)
{
    for (sim_out *o = s->out_head, *next; o; o = next) {
        next = o->next;
        if (o->qos != 1 || o->state != SIM_OUT_QUEUED || ++s->resumed_qos1 % 10 != 0)
            continue;
        sim_log(s->b, "session '%s': chaos-lose-acked-qos1 drops a queued QoS 1 message", s->client_id);
        sim_session_remove_out(s, o);
    }
}

/* chaos-qos2-dup-on-reconnect: each QoS 2 delivery in flight is queued once more as a new message.
 * The entries in flight are gathered first: enqueueing sends, and sending may free queued QoS 0 entries. */
static void requeue_inflight_qos2(sim_session *s)
{
    size_t n = 0;
    for (const sim_out *o = s->out_head; o; o = o->next)
        n += o->qos == 2 && o->state != SIM_OUT_QUEUED;
    sim_out **inflight = n ? malloc(n * sizeof *inflight) : NULL;
    if (n && !inflight)
        abort();
    n = 0;
    for (sim_out *o = s->out_head; o; o = o->next)
        if (o->qos == 2 && o->state != SIM_OUT_QUEUED)
            inflight[n++] = o;
    for (size_t i = 0; i < n; i++) /* in flight, so not freed meanwhile: only an acknowledgement frees them */
        sim_session_enqueue(s, inflight[i]->msg, 2, inflight[i]->retain, inflight[i]->sub_ids,
                            inflight[i]->n_sub_ids);
    free(inflight);
}

void sim_session_resend(sim_session *s)
{
    if (sim_quirk(s->quirks, SIM_Q_CHAOS_LOSE_ACKED_QOS1))
        lose_queued_qos1(s);
    int64_t now = sim_now();
    sim_out *next;
    for (sim_out *o = s->out_head; o && s->conn && !s->conn->broken; o = next) {
        next = o->next;
        if (o->state == SIM_OUT_PUBLISHED && o->qos == 2 && sim_quirk(s->quirks, SIM_Q_INFLIGHT_EXPIRED) &&
            sim_msg_expired(o->msg, now)) {
            sim_session_remove_out(s, o); /* against 5.0 MQTT-4.3.3-7: expiry no longer applies once sent */
        } else if (o->state == SIM_OUT_PUBLISHED) {
            sim_send_publish(s->conn, o, true);
        } else if (o->state == SIM_OUT_RELEASED && !sim_quirk(s->quirks, SIM_Q_PUBREL_NOT_RESENT)) {
            mqtt_packet pkt = {.type = MQTT_PUBREL};
            pkt.u.ack.packet_id = o->packet_id;
            sim_send(s->conn, &pkt);
        }
    }
    if (sim_quirk(s->quirks, SIM_Q_CHAOS_QOS2_DUP_ON_RECONNECT))
        requeue_inflight_qos2(s);
}

/* ---- inbound QoS 2 ---- */

bool sim_session_awaiting_rel(const sim_session *s, uint16_t packet_id)
{
    for (size_t i = 0; i < s->n_awaiting_rel; i++)
        if (s->awaiting_rel[i] == packet_id)
            return true;
    return false;
}

void sim_session_add_awaiting_rel(sim_session *s, uint16_t packet_id, sim_msg *held, int64_t expires_at)
{
    if (s->n_awaiting_rel == s->cap_awaiting_rel) {
        size_t cap = s->cap_awaiting_rel ? s->cap_awaiting_rel * 2 : 8;
        uint16_t *p = realloc(s->awaiting_rel, cap * sizeof *p);
        if (p)
            s->awaiting_rel = p;
        sim_msg **h = p ? realloc(s->held_for_rel, cap * sizeof *h) : NULL;
        if (h)
            s->held_for_rel = h;
        int64_t *e = h ? realloc(s->rel_expires_at, cap * sizeof *e) : NULL;
        if (!e)
            abort();
        s->rel_expires_at = e;
        s->cap_awaiting_rel = cap;
    }
    s->held_for_rel[s->n_awaiting_rel] = held ? sim_msg_ref(held) : NULL;
    s->rel_expires_at[s->n_awaiting_rel] = expires_at;
    s->awaiting_rel[s->n_awaiting_rel++] = packet_id;
}

bool sim_session_take_awaiting_rel(sim_session *s, uint16_t packet_id, sim_msg **held, bool *expired)
{
    for (size_t i = 0; i < s->n_awaiting_rel; i++)
        if (s->awaiting_rel[i] == packet_id) {
            sim_msg *m = s->held_for_rel[i];
            if (held)
                *held = m;
            else if (m)
                sim_msg_unref(m);
            if (expired)
                *expired = s->rel_expires_at[i] && s->rel_expires_at[i] <= sim_now();
            s->n_awaiting_rel--;
            s->awaiting_rel[i] = s->awaiting_rel[s->n_awaiting_rel];
            s->held_for_rel[i] = s->held_for_rel[s->n_awaiting_rel];
            s->rel_expires_at[i] = s->rel_expires_at[s->n_awaiting_rel];
            return true;
        }
    if (held)
        *held = NULL;
    return false;
}
