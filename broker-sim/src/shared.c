/*
 * 5.0 Shared Subscriptions (4.8.2): "$share/{ShareName}/{filter}".  Every
 * session subscribed with the same whole filter string is a member of one
 * group, and each matching message goes to one member: the connected ones
 * take turns (or, with the shared-first-member variant, the first of them
 * always gets it).  A group with nobody connected queues for its first member.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SHARE_PREFIX "$share/"
#define SHARE_PREFIX_LEN 7

bool sim_share_parse(mqtt_bytes filter, mqtt_bytes *inner)
{
    *inner = (mqtt_bytes){NULL, 0};
    if (filter.len < SHARE_PREFIX_LEN || memcmp(filter.ptr, SHARE_PREFIX, SHARE_PREFIX_LEN) != 0)
        return false;
    const uint8_t *name = filter.ptr + SHARE_PREFIX_LEN;
    size_t left = filter.len - SHARE_PREFIX_LEN;
    const uint8_t *slash = memchr(name, '/', left);
    if (slash)
        *inner = (mqtt_bytes){slash + 1, (uint32_t)(left - (size_t)(slash - name) - 1)};
    return true;
}

/* ---- members ---- */

typedef struct member {
    sim_session *s;
    const sim_sub *sub;
} member;

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const member *)a)->sub->seq, y = ((const member *)b)->sub->seq;
    return x < y ? -1 : x > y;
}

/* The sessions subscribed to this shared filter, but except, in the order they subscribed (heap, *n of them). */
static member *members_of(sim_broker *b, mqtt_bytes filter, const sim_session *except, size_t *n)
{
    size_t cap = 0;
    member *ms = NULL;
    *n = 0;
    for (sim_session *s = b->sessions; s; s = s->next) {
        for (const sim_sub *sub = s->subs; sub && s != except; sub = sub->next) {
            if (!sub->shared || !sim_bytes_eq(sub->filter, filter))
                continue;
            if (*n == cap) {
                cap = cap ? cap * 2 : 8;
                if (!(ms = realloc(ms, cap * sizeof *ms)))
                    abort();
            }
            ms[(*n)++] = (member){s, sub};
        }
    }
    if (*n > 1)
        qsort(ms, *n, sizeof *ms, by_seq);
    return ms;
}

static sim_share_group *group_of(sim_broker *b, mqtt_bytes filter)
{
    for (sim_share_group *g = b->share_groups; g; g = g->next)
        if (sim_bytes_eq(g->filter, filter))
            return g;
    sim_share_group *g = calloc(1, sizeof *g);
    if (!g)
        abort();
    g->filter = sim_bytes_dup(filter);
    g->next = b->share_groups;
    b->share_groups = g;
    return g;
}

static bool is_connected(const member *m) { return m->s->conn && m->s->conn->connected && !m->s->conn->broken; }

/* The member that gets the next message (4.8.2: "The Server is free to choose which Client"). */
static const member *choose(sim_broker *b, const member *ms, size_t n, mqtt_bytes filter)
{
    size_t connected = 0;
    for (size_t i = 0; i < n; i++)
        connected += is_connected(&ms[i]);
    if (connected == 0)
        return &ms[0]; /* nobody there: it waits in the first member's session (if that keeps one) */
    size_t k = 0;
    if (!sim_variant(ms[0].s->variants, SIM_V_SHARED_FIRST_MEMBER))
        k = group_of(b, filter)->turn++ % connected;
    for (size_t i = 0; i < n; i++)
        if (is_connected(&ms[i]) && k-- == 0)
            return &ms[i];
    return &ms[0];
}

/* MQTT-4.8.2-3: the member's own granted QoS (or, shared-first-member-qos, the first member's). */
static void deliver(const member *to, const member *first, sim_msg *m, mqtt_bytes filter)
{
    const sim_sub *sub = sim_quirk(to->s->quirks, SIM_Q_SHARED_FIRST_MEMBER_QOS) ? first->sub : to->sub;
    uint8_t granted = MQTT_SUBOPT_QOS(sub->options);
    uint8_t qos = m->qos < granted ? m->qos : granted;
    bool retain = m->retain && (to->sub->options & MQTT_SUBOPT_RETAIN_AS_PUBLISHED);
    sim_session_enqueue_shared(to->s, m, qos, retain, &to->sub->sub_id, to->sub->sub_id ? 1 : 0, filter);
}

/* chaos-shared-lose: the message was acknowledged (the caller did or will), and goes nowhere. */
static bool lost_by_quirk(sim_broker *b, const member *first, const sim_msg *m, mqtt_bytes filter)
{
    if (m->qos != 1 || !sim_quirk(first->s->quirks, SIM_Q_CHAOS_SHARED_LOSE) ||
        ++group_of(b, filter)->qos1_routed % 5 != 0)
        return false;
    sim_log(b, "chaos-shared-lose drops a QoS 1 message for '%.*s'", (int)filter.len, (const char *)filter.ptr);
    return true;
}

static void route_group(sim_broker *b, sim_msg *m, mqtt_bytes filter)
{
    size_t n;
    member *ms = members_of(b, filter, NULL, &n);
    if (n && lost_by_quirk(b, &ms[0], m, filter)) {
        /* nobody gets it */
    } else if (n && sim_quirk(ms[0].s->quirks, SIM_Q_SHARED_EVERY_MEMBER)) {
        for (size_t i = 0; i < n; i++)
            deliver(&ms[i], &ms[0], m, filter);
    } else if (n) {
        deliver(choose(b, ms, n, filter), &ms[0], m, filter);
    }
    free(ms);
}

static bool seen_before(const mqtt_bytes *done, size_t n, mqtt_bytes filter)
{
    for (size_t i = 0; i < n; i++)
        if (sim_bytes_eq(done[i], filter))
            return true;
    return false;
}

void sim_share_route(sim_broker *b, sim_msg *m)
{
    mqtt_bytes *done = NULL;
    size_t n = 0, cap = 0;
    for (sim_session *s = b->sessions; s; s = s->next) {
        for (const sim_sub *sub = s->subs; sub; sub = sub->next) {
            if (!sub->shared || !sim_filter_matches(s->quirks, sub->inner, m->topic) ||
                seen_before(done, n, sub->filter))
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                if (!(done = realloc(done, cap * sizeof *done)))
                    abort();
            }
            done[n++] = sub->filter;
            route_group(b, m, sub->filter);
        }
    }
    free(done);
}

/* ---- deliveries that leave their member (the quirks only: a conforming server never moves them) ---- */

void sim_share_hand_over(sim_session *s, const sim_out *o)
{
    size_t n;
    member *ms = members_of(s->b, o->share, s, &n);
    if (n)
        deliver(choose(s->b, ms, n, o->share), &ms[0], o->msg, o->share);
    free(ms);
}

/* Should this unfinished delivery leave s now?  Connection lost: everything sent and unacknowledged;
 * session ended: QoS 2 (MQTT-4.8.2-5 is about QoS 2). */
static bool moves(const sim_session *s, const sim_out *o, bool session_ends)
{
    if (!o->share.len || o->state == SIM_OUT_QUEUED)
        return false;
    if (session_ends)
        return o->qos == 2 && sim_quirk(s->quirks, SIM_Q_SHARED_MOVED_ON_SESSION_END);
    return sim_quirk(s->quirks, SIM_Q_SHARED_MOVED_ON_DROP);
}

void sim_share_on_leave(sim_session *s, bool session_ends)
{
    sim_out *o = s->out_head;
    while (o) {
        sim_out *next = o->next;
        if (moves(s, o, session_ends)) {
            sim_share_hand_over(s, o);
            sim_session_remove_out(s, o);
        }
        o = next;
    }
}

void sim_share_free_all(sim_broker *b)
{
    while (b->share_groups) {
        sim_share_group *g = b->share_groups;
        b->share_groups = g->next;
        free((void *)g->filter.ptr);
        free(g);
    }
}
