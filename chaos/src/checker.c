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

/* One message at one shared group: who had it first, and when another member first had it too. */
typedef struct chaos_share {
    int64_t first_t, other_t; /* other_t: NOT_YET while only one member had it */
    uint32_t first_sub;       /* MQS_CHAOS_NONE: no member yet */
    uint8_t other_qos;
} chaos_share;

#define NOT_YET INT64_MIN

typedef struct chaos_pub {
    chaos_msg *msgs;
    uint8_t *rcv;        /* n * subscribers receive counts (saturating) */
    chaos_share *share;  /* n * groups */
    uint32_t n, cap;
} chaos_pub;

#define NO_EPOCH INT64_MAX /* a subscriber that expects nothing */

typedef struct chaos_ends { /* when a subscriber's sessions ended */
    int64_t *t;
    uint32_t n, cap;
} chaos_ends;
#define MAX_RESTARTS 256
#define REFUSED 0x80 /* a SUBACK failure code (3.1.1 0x80, 5.0 0x80 and above) in granted[] */

struct mqs_chaos_checker {
    unsigned pubs, subs, topics, groups;
    chaos_pub *pub;
    uint32_t *group;    /* per subscriber: its shared group, or MQS_CHAOS_NONE */
    uint64_t *firsts;   /* per subscriber: distinct messages received */
    chaos_ends *ends;   /* per subscriber, kept for members of shared groups only */
    mqs_chaos_group_counts *gcounts;
    int64_t *epoch;     /* per subscriber: since when its session has persisted */
    uint8_t *granted;   /* per (sub, topic): the QoS its SUBACK granted (2 until one says less), REFUSED */
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
    [MQS_CHAOS_DUP_SHARED] = {"duplicate-shared", MQS_CHAOS_ALLOWED},
    [MQS_CHAOS_SHARED_QOS2_MOVED] = {"shared-qos2-moved", MQS_CHAOS_VIOLATION},
    [MQS_CHAOS_REORDER_SHARED] = {"reorder-shared", MQS_CHAOS_ALLOWED},
    [MQS_CHAOS_ID_IN_USE] = {"packet-id-in-use", MQS_CHAOS_VIOLATION},
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
 * packet-id-in-use: a Server gives each new QoS > 0 PUBLISH a Packet Identifier not in use (3.1.1 2.3.1-4,
 *   5.0 2.2.1-4); one awaiting the subscriber's PUBCOMP (it had PUBREC, not yet PUBREL) is in use.
 * shared-qos2-moved (5.0 only: 3.1.1 has no shared subscriptions): a QoS 2 message whose member's session
 *   ended "MUST NOT" go "to any other subscribed Client" (4.8.2-5).  A group's loss is 4.5.0-1 as above.
 */
const char *mqs_chaos_kind_statement(mqs_chaos_kind k, mqtt_version v)
{
    static const char *const v5[MQS_CHAOS_KIND_COUNT] = {
        [MQS_CHAOS_LOST] = "5.0:MQTT-4.5.0-1",
        [MQS_CHAOS_DUP_QOS2] = "5.0:MQTT-4.3.3-10",
        [MQS_CHAOS_REORDER] = "5.0:MQTT-4.6.0-5",
        [MQS_CHAOS_SHARED_QOS2_MOVED] = "5.0:MQTT-4.8.2-5",
        [MQS_CHAOS_ID_IN_USE] = "5.0:MQTT-2.2.1-4",
    };
    static const char *const v311[MQS_CHAOS_KIND_COUNT] = {
        [MQS_CHAOS_LOST] = "3.1.1:MQTT-4.5.0-1",
        [MQS_CHAOS_DUP_QOS2] = "3.1.1:MQTT-4.3.3-2",
        [MQS_CHAOS_REORDER] = "3.1.1:MQTT-4.6.0-6",
        [MQS_CHAOS_ID_IN_USE] = "3.1.1:MQTT-2.3.1-4",
    };
    if ((unsigned)k >= MQS_CHAOS_KIND_COUNT)
        return NULL;
    return v == MQTT_V5 ? v5[k] : v311[k];
}

mqs_chaos_checker *mqs_chaos_checker_new(unsigned publishers, unsigned subscribers, unsigned topics,
                                         size_t max_anomalies)
{
    return mqs_chaos_checker_new_groups(publishers, subscribers, topics, 0, max_anomalies);
}

mqs_chaos_checker *mqs_chaos_checker_new_groups(unsigned publishers, unsigned subscribers, unsigned topics,
                                                unsigned groups, size_t max_anomalies)
{
    mqs_chaos_checker *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->pubs = publishers;
    c->subs = subscribers;
    c->topics = topics;
    c->groups = groups;
    c->max_anomalies = max_anomalies;
    size_t n_last = (size_t)subscribers * publishers * topics * 3;
    c->pub = calloc(publishers ? publishers : 1, sizeof *c->pub);
    c->epoch = malloc((subscribers ? subscribers : 1) * sizeof *c->epoch);
    c->group = malloc((subscribers ? subscribers : 1) * sizeof *c->group);
    c->firsts = calloc(subscribers ? subscribers : 1, sizeof *c->firsts);
    c->ends = calloc(subscribers ? subscribers : 1, sizeof *c->ends);
    c->gcounts = calloc(groups ? groups : 1, sizeof *c->gcounts);
    c->last_seq = calloc(n_last ? n_last : 1, sizeof *c->last_seq);
    c->granted = malloc((size_t)(subscribers ? subscribers : 1) * (topics ? topics : 1));
    c->anomalies = calloc(max_anomalies ? max_anomalies : 1, sizeof *c->anomalies);
    if (!c->pub || !c->epoch || !c->group || !c->firsts || !c->ends || !c->gcounts || !c->last_seq ||
        !c->granted || !c->anomalies) {
        mqs_chaos_checker_free(c);
        return NULL;
    }
    for (unsigned s = 0; s < subscribers; s++) {
        c->epoch[s] = NO_EPOCH;
        c->group[s] = MQS_CHAOS_NONE;
    }
    memset(c->granted, 2, (size_t)subscribers * topics);
    return c;
}

void mqs_chaos_checker_free(mqs_chaos_checker *c)
{
    if (!c)
        return;
    for (unsigned p = 0; c->pub && p < c->pubs; p++) {
        free(c->pub[p].msgs);
        free(c->pub[p].rcv);
        free(c->pub[p].share);
    }
    free(c->pub);
    free(c->epoch);
    free(c->group);
    free(c->firsts);
    for (unsigned s = 0; c->ends && s < c->subs; s++)
        free(c->ends[s].t);
    free(c->ends);
    free(c->gcounts);
    free(c->last_seq);
    free(c->granted);
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

bool mqs_chaos_member_of(mqs_chaos_checker *c, uint32_t sub, uint32_t group)
{
    if (sub >= c->subs || group >= c->groups)
        return false;
    c->group[sub] = group;
    return true;
}

unsigned mqs_chaos_groups(const mqs_chaos_checker *c)
{
    return c->groups;
}

unsigned mqs_chaos_subscriber_count(const mqs_chaos_checker *c)
{
    return c->subs;
}

uint32_t mqs_chaos_group_of(const mqs_chaos_checker *c, uint32_t sub)
{
    return sub < c->subs ? c->group[sub] : MQS_CHAOS_NONE;
}

uint64_t mqs_chaos_first_deliveries(const mqs_chaos_checker *c, uint32_t sub)
{
    return sub < c->subs ? c->firsts[sub] : 0;
}

const mqs_chaos_group_counts *mqs_chaos_group_counts_of(const mqs_chaos_checker *c, uint32_t group)
{
    return group < c->groups ? &c->gcounts[group] : NULL;
}

static bool share_grow(chaos_pub *p, unsigned groups, uint32_t cap)
{
    if (!groups)
        return true;
    chaos_share *sh = realloc(p->share, (size_t)cap * groups * sizeof *sh);
    if (!sh)
        return false;
    for (size_t i = (size_t)p->cap * groups; i < (size_t)cap * groups; i++)
        sh[i] = (chaos_share){.first_t = NOT_YET, .other_t = NOT_YET, .first_sub = MQS_CHAOS_NONE};
    p->share = sh;
    return true;
}

static bool pub_grow(chaos_pub *p, unsigned subs, unsigned groups)
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
    if (!share_grow(p, groups, cap))
        return false;
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
    if (p->n == p->cap && !pub_grow(p, c->subs, c->groups))
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
                               .seq = seq, .group = MQS_CHAOS_NONE};
}

/*
 * First receipts only: a duplicate (QoS 1, allowed) repeats an earlier number legitimately.  A late
 * first copy marked DUP is a resend: the broker sent it before, in order, on a connection that was
 * lost, and 4.6 orders the PUBLISH packets a Server sends, not what survives a cut (its own note
 * promises receipt order only with one message in flight): counted, allowed.
 * A member of a shared group: "A Server MUST treat every Topic as an Ordered Topic when it is forwarding
 * messages on Non-shared Subscriptions" (5.0 4.6.0-6) says nothing of shared ones: counted, allowed.
 */
static void check_order(mqs_chaos_checker *c, uint32_t sub, uint32_t pub, const chaos_msg *m, uint32_t seq,
                        bool dup, int64_t t)
{
    uint32_t *last = &c->last_seq[(((size_t)sub * c->pubs + pub) * c->topics + m->topic) * 3 + m->qos];
    if (*last > seq + 1) {
        mqs_chaos_anomaly a = anomaly_at(t, pub, sub, m->topic, m->qos, seq);
        a.group = c->group[sub];
        snprintf(a.detail, sizeof a.detail, "seq %u arrived %safter seq %lld of the same publisher, topic and QoS%s",
                 seq, dup ? "as a resend (DUP 1) " : "", (long long)*last - 1,
                 a.group != MQS_CHAOS_NONE ? " (shared subscription)" : "");
        note(c, dup ? MQS_CHAOS_REORDER_RESEND
                    : a.group != MQS_CHAOS_NONE ? MQS_CHAOS_REORDER_SHARED : MQS_CHAOS_REORDER, &a);
        return;
    }
    *last = seq + 1;
}

/* A member's first copy: the group's first, or a copy on a second member (judged at the end, when it is known
 * whether the first member's session ended in between). */
static void share_received(chaos_share *sh, uint32_t sub, uint8_t qos, int64_t t)
{
    if (sh->first_sub == MQS_CHAOS_NONE) {
        sh->first_sub = sub;
        sh->first_t = t;
    } else if (sh->other_t == NOT_YET) {
        sh->other_t = t;
        sh->other_qos = qos;
    }
}

/*
 * A message delivered again, judged by the QoS it was published at (sent) and delivered at (got), which a
 * subscription granted below the publisher's QoS makes lower.  Delivered at QoS 1: at least once allows it.
 * Published at QoS 2: the broker had it exactly once (4.3.3), so a second copy at 0 or 2 is its duplicate.
 * Published at QoS 1 and delivered at QoS 0: the publisher may send it twice (a resend after a lost PUBACK
 * is a new message to the broker), allowed.  Published at QoS 0: never sent twice, so the broker made a
 * copy; "at most once" (4.3.1) has no numbered MUST for it: reported as never published.
 */
static void note_repeat(mqs_chaos_checker *c, mqs_chaos_anomaly *a, uint8_t sent, uint8_t got, unsigned times)
{
    const char *at = got < sent ? (got ? " at QoS 1" : " at QoS 0") : "";
    if (got == 2 || (got == 0 && sent == 2)) {
        snprintf(a->detail, sizeof a->detail, "QoS 2 message delivered %u times%s", times, at);
        note(c, MQS_CHAOS_DUP_QOS2, a);
    } else if (got == 1 || sent == 1) {
        snprintf(a->detail, sizeof a->detail, "QoS %u message delivered %u times%s (at least once allows it)",
                 got == 1 ? sent : 1u, times, at);
        note(c, MQS_CHAOS_DUP_QOS1, a);
    } else {
        snprintf(a->detail, sizeof a->detail, "QoS 0 message delivered %u times but sent once", times);
        note(c, MQS_CHAOS_NEVER_PUBLISHED, a);
    }
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
    a.group = c->group[sub];
    if (*count == 0) {
        *count = 1;
        c->firsts[sub]++;
        if (c->group[sub] != MQS_CHAOS_NONE)
            share_received(&c->pub[pub].share[(size_t)seq * c->groups + c->group[sub]], sub, qos, t_ms);
        check_order(c, sub, pub, m, seq, dup, t_ms);
        return;
    }
    if (*count < UINT8_MAX)
        (*count)++;
    note_repeat(c, &a, m->qos, qos, *count);
}

void mqs_chaos_id_in_use(mqs_chaos_checker *c, uint32_t sub, uint32_t pub, uint32_t seq, uint32_t topic,
                         uint16_t pid, uint32_t held_pub, uint32_t held_seq, int64_t t_ms)
{
    if (sub >= c->subs)
        return;
    mqs_chaos_anomaly a = anomaly_at(t_ms, pub < c->pubs ? pub : MQS_CHAOS_NONE, sub, topic, 2, seq);
    a.group = c->group[sub];
    snprintf(a.detail, sizeof a.detail, "packet id %u still awaited the PUBREL of pub-%u seq %u: taken for a resend",
             pid, held_pub, held_seq);
    note(c, MQS_CHAOS_ID_IN_USE, &a);
}

void mqs_chaos_granted(mqs_chaos_checker *c, uint32_t sub, uint32_t topic, uint8_t code)
{
    if (sub < c->subs && topic < c->topics)
        c->granted[(size_t)sub * c->topics + topic] = code >= 0x80 ? REFUSED : code > 2 ? 2 : code;
}

void mqs_chaos_session_ended(mqs_chaos_checker *c, uint32_t sub, int64_t t_ms)
{
    if (sub >= c->subs)
        return;
    c->epoch[sub] = NO_EPOCH; /* what it had not received went with the session; a new one owes from its start */
    if (c->group[sub] == MQS_CHAOS_NONE)
        return;
    chaos_ends *e = &c->ends[sub];
    if (e->n == e->cap) {
        uint32_t cap = e->cap ? e->cap * 2 : 16;
        int64_t *t = realloc(e->t, cap * sizeof *t);
        if (!t)
            return; /* out of memory: a move is missed, never invented */
        e->t = t;
        e->cap = cap;
    }
    e->t[e->n++] = t_ms;
}

void mqs_chaos_session_started(mqs_chaos_checker *c, uint32_t sub, int64_t t_ms)
{
    if (sub >= c->subs)
        return;
    if (c->epoch[sub] != NO_EPOCH)
        mqs_chaos_session_ended(c, sub, t_ms); /* by now at the latest */
    c->epoch[sub] = t_ms;
}

/* Did sub's session end at some time in [from, to]? */
static bool ended_between(const mqs_chaos_checker *c, uint32_t sub, int64_t from, int64_t to)
{
    const chaos_ends *e = &c->ends[sub];
    for (uint32_t i = 0; i < e->n; i++) {
        if (e->t[i] >= from && e->t[i] <= to)
            return true;
    }
    return false;
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

/*
 * Was sub's session there from t to the end of the run?  Only then is a message sent at t owed to it: a
 * session that ended (a clean one, with its connection) took what it had not received with it.  Strictly
 * after its start: times are in milliseconds, and a PUBLISH written in the millisecond the SUBACK was read
 * may have been written before it (the broker then had it before the SUBSCRIBE).
 */
static bool session_held(const mqs_chaos_checker *c, uint32_t sub, int64_t t)
{
    return c->epoch[sub] != NO_EPOCH && t > c->epoch[sub];
}

/* What a message missing at a subscriber (or at every member of a group) is, by what it was owed. */
typedef enum { MISSING_AFTER_RESTART, MISSING_UNCHECKED, MISSING_QOS0, MISSING_LOST } missing_kind;

/* The QoS message m is owed to sub at: what it was published at, at most what sub's SUBACK granted for
 * its topic (the Server delivers at the lower of the two, 3.1.1 3.8.4 / 5.0 3.8.4), or REFUSED. */
static uint8_t owed_qos(const mqs_chaos_checker *c, uint32_t sub, const chaos_msg *m)
{
    uint8_t g = c->granted[(size_t)sub * c->topics + m->topic];
    return g == REFUSED ? REFUSED : m->qos < g ? m->qos : g;
}

/* expected: the subscriber's session (every member's) held from the message's sending on; q: owed_qos. */
static missing_kind classify_missing(const mqs_chaos_checker *c, const chaos_msg *m, bool expected, uint8_t q)
{
    if (q == REFUSED)
        return MISSING_UNCHECKED; /* the Server refused the subscription: nothing is owed */
    bool acked = m->flags & ACKED;
    if (restart_after(c, m->sent_t) && (acked || (expected && q == 0)))
        return MISSING_AFTER_RESTART;
    if (!expected)
        return MISSING_UNCHECKED;
    if (q == 0)
        return MISSING_QOS0;
    return acked ? MISSING_LOST : MISSING_UNCHECKED; /* never acknowledged: the broker may not have it */
}

/* One message that subscriber sub never received. */
static void judge_missing(mqs_chaos_checker *c, uint32_t pub, uint32_t seq, uint32_t sub)
{
    const chaos_msg *m = &c->pub[pub].msgs[seq];
    mqs_chaos_anomaly a = anomaly_at(m->sent_t, pub, sub, m->topic, m->qos, seq);
    uint8_t q = owed_qos(c, sub, m);
    switch (classify_missing(c, m, session_held(c, sub, m->sent_t), q)) {
    case MISSING_AFTER_RESTART:
        snprintf(a.detail, sizeof a.detail, "%s message not delivered; the broker restarted after it was sent",
                 m->flags & ACKED ? "acknowledged" : "QoS 0");
        note(c, MQS_CHAOS_LOST_AFTER_RESTART, &a);
        return;
    case MISSING_UNCHECKED:
        c->counts.unchecked++;
        return;
    case MISSING_QOS0:
        snprintf(a.detail, sizeof a.detail, "QoS %u message%s not delivered (at most once allows it)", m->qos,
                 m->qos ? " the subscription took at QoS 0" : "");
        note(c, MQS_CHAOS_LOST_QOS0, &a);
        return;
    case MISSING_LOST:
        snprintf(a.detail, sizeof a.detail, "acknowledged QoS %u message never delivered to a subscriber whose "
                 "session lasted%s", m->qos, q < m->qos ? " (its subscription granted QoS 1)" : "");
        note(c, MQS_CHAOS_LOST, &a);
        return;
    }
}

/* Did every member of group g hold its session from t on?  Then whichever member the Server chose kept the
 * message (4.5.0-1 puts it in that session); otherwise the chosen one may be a session that ended. */
static bool group_expects(const mqs_chaos_checker *c, uint32_t g, int64_t t)
{
    unsigned members = 0;
    for (uint32_t s = 0; s < c->subs; s++) {
        if (c->group[s] != g)
            continue;
        if (!session_held(c, s, t))
            return false;
        members++;
    }
    return members > 0;
}

/* The QoS a message is owed to group g at: the lowest any member was granted (REFUSED if all refused). */
static uint8_t group_owed_qos(const mqs_chaos_checker *c, uint32_t g, const chaos_msg *m)
{
    uint8_t q = REFUSED;
    for (uint32_t s = 0; s < c->subs; s++) {
        uint8_t qs = c->group[s] == g ? owed_qos(c, s, m) : REFUSED;
        if (qs != REFUSED && (q == REFUSED || qs < q))
            q = qs;
    }
    return q;
}

/* A message no member of group g received. */
static void judge_group_missing(mqs_chaos_checker *c, uint32_t pub, uint32_t seq, uint32_t g)
{
    const chaos_msg *m = &c->pub[pub].msgs[seq];
    mqs_chaos_anomaly a = anomaly_at(m->sent_t, pub, MQS_CHAOS_NONE, m->topic, m->qos, seq);
    a.group = g;
    switch (classify_missing(c, m, group_expects(c, g, m->sent_t), group_owed_qos(c, g, m))) {
    case MISSING_AFTER_RESTART:
        snprintf(a.detail, sizeof a.detail, "%s message delivered to no member of the group; the broker restarted "
                 "after it was sent", m->flags & ACKED ? "acknowledged" : "QoS 0");
        note(c, MQS_CHAOS_LOST_AFTER_RESTART, &a);
        return;
    case MISSING_UNCHECKED:
        c->counts.unchecked++;
        c->gcounts[g].unchecked++;
        return;
    case MISSING_QOS0:
        snprintf(a.detail, sizeof a.detail, "QoS 0 message delivered to no member (at most once allows it)");
        note(c, MQS_CHAOS_LOST_QOS0, &a);
        return;
    case MISSING_LOST:
        snprintf(a.detail, sizeof a.detail, "acknowledged QoS %u message delivered to no member of the group, "
                 "though every member's session lasted", m->qos);
        note(c, MQS_CHAOS_LOST, &a);
        c->gcounts[g].lost++;
        return;
    }
}

/*
 * A message that reached two members.  QoS 2: if the first member's session had ended after its copy, before
 * the other member's (its connection lost with a clean session, or a new session begun), 4.8.2-5 forbade it.  Otherwise no MUST forbids it: QoS 1
 * "MAY" go to another member once the connection is lost (4.8.2), and for QoS 0 and a QoS 2 whose first
 * member kept its session the spec's "only sent to ... one" is not a numbered requirement: allowed, counted.
 */
static void judge_group_copies(mqs_chaos_checker *c, uint32_t pub, uint32_t seq, uint32_t g, const chaos_share *sh)
{
    const chaos_msg *m = &c->pub[pub].msgs[seq];
    bool moved = sh->other_qos == 2 && ended_between(c, sh->first_sub, sh->first_t, sh->other_t);
    mqs_chaos_anomaly a = anomaly_at(sh->other_t, pub, MQS_CHAOS_NONE, m->topic, sh->other_qos, seq);
    a.group = g;
    c->gcounts[g].across++;
    if (moved) {
        snprintf(a.detail, sizeof a.detail, "QoS 2 message of sub-%u (at %lld ms) sent to another member after "
                 "sub-%u's session ended", sh->first_sub, (long long)sh->first_t, sh->first_sub);
        note(c, MQS_CHAOS_SHARED_QOS2_MOVED, &a);
    } else {
        snprintf(a.detail, sizeof a.detail, "QoS %u message delivered to more than one member (sub-%u first)",
                 sh->other_qos, sh->first_sub);
        note(c, MQS_CHAOS_DUP_SHARED, &a);
    }
}

static void check_groups(mqs_chaos_checker *c, uint32_t p, uint32_t seq)
{
    for (uint32_t g = 0; g < c->groups; g++) {
        const chaos_share *sh = &c->pub[p].share[(size_t)seq * c->groups + g];
        if (sh->first_sub == MQS_CHAOS_NONE) {
            judge_group_missing(c, p, seq, g);
            continue;
        }
        c->gcounts[g].messages++;
        if (sh->other_t != NOT_YET)
            judge_group_copies(c, p, seq, g, sh);
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
                if (c->group[s] == MQS_CHAOS_NONE && c->pub[p].rcv[(size_t)seq * c->subs + s] == 0)
                    judge_missing(c, p, seq, s);
            }
            check_groups(c, p, seq);
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
