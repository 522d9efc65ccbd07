/*
 * The chaos checker: what was sent and acknowledged against what each
 * subscriber received.  Duplicates, order and never-published messages are
 * judged as they arrive; losses once, at the end (mqs_chaos_check).
 */
#include <stdlib.h>
#include <string.h>

#include "mqttspec/chaos.h"

enum { ACKED = 1 };

typedef struct chaos_msg {
    int64_t sent_t;
    uint32_t topic;
    uint8_t qos;
    uint8_t flags;
} chaos_msg;

typedef struct chaos_pub {
    chaos_msg *msgs;
    uint8_t *rcv; /* n * subscribers receive counts (saturating) */
    uint32_t n, cap;
} chaos_pub;

#define NO_EPOCH INT64_MAX /* a subscriber that expects nothing */
#define MAX_RESTARTS 256

struct mqs_chaos_checker {
    unsigned pubs, subs, topics;
    chaos_pub *pub;
    int64_t *epoch;     /* per subscriber: since when its session has persisted */
    uint32_t *last_seq; /* per (sub, pub, topic, qos): highest sequence number first received + 1, 0: none
                         * (zeroed by calloc: pages of pairs that never met are never touched) */
    int64_t restarts[MAX_RESTARTS];
    unsigned n_restarts;
    mqs_chaos_counts counts;
    mqs_chaos_anomaly *anomalies;
    size_t n_anomalies, max_anomalies;
    bool checked;
};

static const struct {
    const char *name;
    mqs_chaos_severity severity;
} kinds[MQS_CHAOS_KIND_COUNT] = {
    [MQS_CHAOS_LOST] = {"lost", MQS_CHAOS_VIOLATION},
    [MQS_CHAOS_DUP_QOS2] = {"duplicate-qos2", MQS_CHAOS_VIOLATION},
    [MQS_CHAOS_DUP_QOS1] = {"duplicate-qos1", MQS_CHAOS_ALLOWED},
    [MQS_CHAOS_REORDER] = {"reorder", MQS_CHAOS_VIOLATION},
    [MQS_CHAOS_NEVER_PUBLISHED] = {"never-published", MQS_CHAOS_VIOLATION},
    [MQS_CHAOS_LOST_QOS0] = {"lost-qos0", MQS_CHAOS_ALLOWED},
    [MQS_CHAOS_LOST_AFTER_RESTART] = {"lost-after-restart", MQS_CHAOS_INFO},
    [MQS_CHAOS_REORDER_RESEND] = {"reorder-resend", MQS_CHAOS_ALLOWED},
};

const char *mqs_chaos_kind_name(mqs_chaos_kind k)
{
    return (unsigned)k < MQS_CHAOS_KIND_COUNT ? kinds[k].name : "?";
}

mqs_chaos_severity mqs_chaos_kind_severity(mqs_chaos_kind k)
{
    return (unsigned)k < MQS_CHAOS_KIND_COUNT ? kinds[k].severity : MQS_CHAOS_INFO;
}

const char *mqs_chaos_severity_name(mqs_chaos_severity s)
{
    return s == MQS_CHAOS_VIOLATION ? "violation" : s == MQS_CHAOS_ALLOWED ? "allowed" : "info";
}

/*
 * lost: the Server took ownership (acknowledged) and the subscriber's session persisted: 4.5.0-1 puts the
 *   message into that session (3.1.2-5 in 3.1.1, 3.1.2-23 in 5.0 keep it across a disconnection).
 * duplicate-qos2: exactly once: a QoS 2 receiver must not deliver the message again (5.0 4.3.3-10, 3.1.1 4.3.3-2).
 * reorder: Ordered Topic: forwarded in the order received from that client, per topic and QoS.
 */
const char *mqs_chaos_kind_statement(mqs_chaos_kind k, mqtt_version v)
{
    static const char *const v5[MQS_CHAOS_KIND_COUNT] = {
        [MQS_CHAOS_LOST] = "5.0:MQTT-4.5.0-1",
        [MQS_CHAOS_DUP_QOS2] = "5.0:MQTT-4.3.3-10",
        [MQS_CHAOS_REORDER] = "5.0:MQTT-4.6.0-5",
    };
    static const char *const v311[MQS_CHAOS_KIND_COUNT] = {
        [MQS_CHAOS_LOST] = "3.1.1:MQTT-4.5.0-1",
        [MQS_CHAOS_DUP_QOS2] = "3.1.1:MQTT-4.3.3-2",
        [MQS_CHAOS_REORDER] = "3.1.1:MQTT-4.6.0-6",
    };
    if ((unsigned)k >= MQS_CHAOS_KIND_COUNT)
        return NULL;
    return v == MQTT_V5 ? v5[k] : v311[k];
}

mqs_chaos_checker *mqs_chaos_checker_new(unsigned publishers, unsigned subscribers, unsigned topics,
                                         size_t max_anomalies)
{
    mqs_chaos_checker *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->pubs = publishers;
    c->subs = subscribers;
    c->topics = topics;
    c->max_anomalies = max_anomalies;
    size_t n_last = (size_t)subscribers * publishers * topics * 3;
    c->pub = calloc(publishers ? publishers : 1, sizeof *c->pub);
    c->epoch = malloc((subscribers ? subscribers : 1) * sizeof *c->epoch);
    c->last_seq = calloc(n_last ? n_last : 1, sizeof *c->last_seq);
    c->anomalies = calloc(max_anomalies ? max_anomalies : 1, sizeof *c->anomalies);
    if (!c->pub || !c->epoch || !c->last_seq || !c->anomalies) {
        mqs_chaos_checker_free(c);
        return NULL;
    }
    for (unsigned s = 0; s < subscribers; s++)
        c->epoch[s] = NO_EPOCH;
    return c;
}

void mqs_chaos_checker_free(mqs_chaos_checker *c)
{
    if (!c)
        return;
    for (unsigned p = 0; c->pub && p < c->pubs; p++) {
        free(c->pub[p].msgs);
        free(c->pub[p].rcv);
    }
    free(c->pub);
    free(c->epoch);
    free(c->last_seq);
    free(c->anomalies);
    free(c);
}

static void note(mqs_chaos_checker *c, mqs_chaos_kind k, const mqs_chaos_anomaly *a)
{
    c->counts.by_kind[k]++;
    if (kinds[k].severity == MQS_CHAOS_VIOLATION)
        c->counts.violations++;
    if (c->n_anomalies < c->max_anomalies) {
        c->anomalies[c->n_anomalies] = *a;
        c->anomalies[c->n_anomalies].kind = k;
        c->n_anomalies++;
    }
}

static bool pub_grow(chaos_pub *p, unsigned subs)
{
    uint32_t cap = p->cap ? p->cap * 2 : 16; /* many publishers, few messages each: start small */
    chaos_msg *m = realloc(p->msgs, (size_t)cap * sizeof *m);
    if (!m)
        return false;
    p->msgs = m;
    uint8_t *r = realloc(p->rcv, (size_t)cap * (subs ? subs : 1));
    if (!r)
        return false;
    memset(r + (size_t)p->cap * subs, 0, (size_t)(cap - p->cap) * subs);
    p->rcv = r;
    p->cap = cap;
    return true;
}

bool mqs_chaos_sent(mqs_chaos_checker *c, uint32_t pub, uint32_t seq, uint32_t topic, uint8_t qos, int64_t t_ms)
{
    if (pub >= c->pubs)
        return false;
    chaos_pub *p = &c->pub[pub];
    if (seq != p->n) /* dense sequence numbers: the harness's own bug, never the broker's */
        return false;
    if (p->n == p->cap && !pub_grow(p, c->subs))
        return false;
    p->msgs[p->n++] = (chaos_msg){.sent_t = t_ms, .topic = topic, .qos = qos};
    c->counts.published++;
    return true;
}

void mqs_chaos_acked(mqs_chaos_checker *c, uint32_t pub, uint32_t seq, int64_t t_ms)
{
    (void)t_ms;
    if (pub >= c->pubs || seq >= c->pub[pub].n || (c->pub[pub].msgs[seq].flags & ACKED))
        return;
    c->pub[pub].msgs[seq].flags |= ACKED;
    c->counts.acknowledged++;
}

static mqs_chaos_anomaly anomaly_at(int64_t t, uint32_t pub, uint32_t sub, uint32_t topic, uint8_t qos, uint32_t seq)
{
    return (mqs_chaos_anomaly){.t_ms = t, .publisher = pub, .subscriber = sub, .topic = topic, .qos = qos,
                               .seq = seq};
}

/*
 * First receipts only: a duplicate (QoS 1, allowed) repeats an earlier number legitimately.  A late
 * first copy marked DUP is a resend: the broker sent it before, in order, on a connection that was
 * lost, and 4.6 orders the PUBLISH packets a Server sends, not what survives a cut (its own note
 * promises receipt order only with one message in flight): counted, allowed.
 */
static void check_order(mqs_chaos_checker *c, uint32_t sub, uint32_t pub, const chaos_msg *m, uint32_t seq,
                        bool dup, int64_t t)
{
    uint32_t *last = &c->last_seq[(((size_t)sub * c->pubs + pub) * c->topics + m->topic) * 3 + m->qos];
    if (*last > seq + 1) {
        mqs_chaos_anomaly a = anomaly_at(t, pub, sub, m->topic, m->qos, seq);
        snprintf(a.detail, sizeof a.detail, "seq %u arrived %safter seq %lld of the same publisher, topic and QoS",
                 seq, dup ? "as a resend (DUP 1) " : "", (long long)*last - 1);
        note(c, dup ? MQS_CHAOS_REORDER_RESEND : MQS_CHAOS_REORDER, &a);
        return;
    }
    *last = seq + 1;
}

void mqs_chaos_received(mqs_chaos_checker *c, uint32_t sub, uint32_t pub, uint32_t seq, uint32_t topic,
                        uint8_t qos, bool dup, int64_t t_ms)
{
    if (sub >= c->subs)
        return;
    c->counts.delivered++;
    mqs_chaos_anomaly a = anomaly_at(t_ms, pub < c->pubs ? pub : MQS_CHAOS_NONE, sub, topic, qos, seq);
    if (pub >= c->pubs || seq >= c->pub[pub].n || c->pub[pub].msgs[seq].topic != topic) {
        snprintf(a.detail, sizeof a.detail, "no publisher of this run sent publisher %u seq %u on topic %u", pub,
                 seq, topic);
        note(c, MQS_CHAOS_NEVER_PUBLISHED, &a);
        return;
    }
    const chaos_msg *m = &c->pub[pub].msgs[seq];
    uint8_t *count = &c->pub[pub].rcv[(size_t)seq * c->subs + sub];
    if (*count == 0) {
        *count = 1;
        check_order(c, sub, pub, m, seq, dup, t_ms);
        return;
    }
    if (*count < UINT8_MAX)
        (*count)++;
    if (qos == 2) {
        snprintf(a.detail, sizeof a.detail, "QoS 2 message delivered %u times", *count);
        note(c, MQS_CHAOS_DUP_QOS2, &a);
    } else if (qos == 1) {
        snprintf(a.detail, sizeof a.detail, "QoS 1 message delivered %u times (at least once allows it)", *count);
        note(c, MQS_CHAOS_DUP_QOS1, &a);
    } else {
        /* A QoS 0 message twice: never sent twice, so the broker made a copy; the
         * spec's "at most once" (4.3.1) has no numbered MUST for it: reported as never published. */
        snprintf(a.detail, sizeof a.detail, "QoS 0 message delivered %u times but sent once", *count);
        note(c, MQS_CHAOS_NEVER_PUBLISHED, &a);
    }
}

void mqs_chaos_session_started(mqs_chaos_checker *c, uint32_t sub, int64_t t_ms)
{
    if (sub < c->subs)
        c->epoch[sub] = t_ms;
}

void mqs_chaos_session_void(mqs_chaos_checker *c, uint32_t sub)
{
    if (sub < c->subs)
        c->epoch[sub] = NO_EPOCH;
}

void mqs_chaos_restarted(mqs_chaos_checker *c, int64_t t_ms)
{
    if (c->n_restarts < MAX_RESTARTS)
        c->restarts[c->n_restarts++] = t_ms;
}

static bool restart_after(const mqs_chaos_checker *c, int64_t t)
{
    for (unsigned i = 0; i < c->n_restarts; i++) {
        if (c->restarts[i] >= t)
            return true;
    }
    return false;
}

/* One message that subscriber sub never received. */
static void judge_missing(mqs_chaos_checker *c, uint32_t pub, uint32_t seq, uint32_t sub)
{
    const chaos_msg *m = &c->pub[pub].msgs[seq];
    bool acked = m->flags & ACKED;
    bool expected = m->sent_t >= c->epoch[sub];
    bool restart = restart_after(c, m->sent_t);
    mqs_chaos_anomaly a = anomaly_at(m->sent_t, pub, sub, m->topic, m->qos, seq);
    if (restart && (acked || (expected && m->qos == 0))) {
        snprintf(a.detail, sizeof a.detail, "%s message not delivered; the broker restarted after it was sent",
                 acked ? "acknowledged" : "QoS 0");
        note(c, MQS_CHAOS_LOST_AFTER_RESTART, &a);
    } else if (!expected) {
        c->counts.unchecked++;
    } else if (m->qos == 0) {
        snprintf(a.detail, sizeof a.detail, "QoS 0 message not delivered (at most once allows it)");
        note(c, MQS_CHAOS_LOST_QOS0, &a);
    } else if (acked) {
        snprintf(a.detail, sizeof a.detail, "acknowledged QoS %u message never delivered to a subscriber whose "
                 "session lasted", m->qos);
        note(c, MQS_CHAOS_LOST, &a);
    } else {
        c->counts.unchecked++; /* never acknowledged: the broker may not have it */
    }
}

void mqs_chaos_check(mqs_chaos_checker *c)
{
    if (c->checked)
        return;
    c->checked = true;
    for (uint32_t p = 0; p < c->pubs; p++) {
        for (uint32_t seq = 0; seq < c->pub[p].n; seq++) {
            for (uint32_t s = 0; s < c->subs; s++) {
                if (c->pub[p].rcv[(size_t)seq * c->subs + s] == 0)
                    judge_missing(c, p, seq, s);
            }
        }
    }
}

const mqs_chaos_counts *mqs_chaos_counts_of(const mqs_chaos_checker *c)
{
    return &c->counts;
}

const mqs_chaos_anomaly *mqs_chaos_anomalies(const mqs_chaos_checker *c, size_t *n)
{
    *n = c->n_anomalies;
    return c->anomalies;
}
