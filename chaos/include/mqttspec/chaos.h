/*
 * mqttspec chaos: delivery guarantees under faults (docs/chaos.md).
 *
 * A workload of publishers and subscribers (non-blocking connections, one
 * poll loop), optional faults (a TCP proxy that cuts, stalls and delays;
 * clients that drop their own connection inside a QoS flow; broker restarts
 * by a user command), and a checker that compares, per publisher, topic and
 * QoS, what the broker acknowledged with what every subscriber received.
 *
 * The checker is usable on its own (tests feed it synthetic event streams).
 */
#ifndef MQTTSPEC_CHAOS_H
#define MQTTSPEC_CHAOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mqttspec/codec.h"
#include "mqttspec/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- anomalies ---- */

typedef enum mqs_chaos_kind {
    MQS_CHAOS_LOST,               /* acknowledged QoS 1/2 message missing at a subscriber whose session persisted */
    MQS_CHAOS_DUP_QOS2,           /* a QoS 2 message delivered twice */
    MQS_CHAOS_DUP_QOS1,           /* a QoS 1 message delivered twice (allowed) */
    MQS_CHAOS_REORDER,            /* a publisher's messages on one topic and QoS out of order */
    MQS_CHAOS_NEVER_PUBLISHED,    /* received but never sent */
    MQS_CHAOS_LOST_QOS0,          /* a QoS 0 message missing (allowed) */
    MQS_CHAOS_LOST_AFTER_RESTART, /* missing, and the broker restarted after it was sent (information) */
    MQS_CHAOS_REORDER_RESEND,     /* first copy after a later message, but a resend (DUP 1): allowed */
    /* shared subscriptions (5.0 4.8.2): a group of members shares one subscription */
    MQS_CHAOS_DUP_SHARED,         /* a message delivered to two members of one group, no MUST against it: allowed */
    MQS_CHAOS_SHARED_QOS2_MOVED,  /* a QoS 2 message sent to another member after its member's session ended */
    MQS_CHAOS_REORDER_SHARED,     /* out of order within one member: not an Ordered Topic by default: allowed */
    MQS_CHAOS_ID_IN_USE,          /* a QoS 2 PUBLISH under a packet id still awaiting PUBREL, another message */
    MQS_CHAOS_KIND_COUNT
} mqs_chaos_kind;

typedef enum mqs_chaos_severity {
    MQS_CHAOS_VIOLATION,
    MQS_CHAOS_ALLOWED,
    MQS_CHAOS_INFO,
} mqs_chaos_severity;

const char *mqs_chaos_kind_name(mqs_chaos_kind k);          /* "duplicate-qos2" (the JSON name) */
mqs_chaos_severity mqs_chaos_kind_severity(mqs_chaos_kind k);
const char *mqs_chaos_severity_name(mqs_chaos_severity s);  /* "violation", "allowed", "info" */
/* "5.0:MQTT-4.3.3-10": the statement an anomaly of kind k breaks at this version; NULL when none. */
const char *mqs_chaos_kind_statement(mqs_chaos_kind k, mqtt_version v);

#define MQS_CHAOS_NONE UINT32_MAX /* no publisher / subscriber / topic in an anomaly */

typedef struct mqs_chaos_anomaly {
    int64_t t_ms; /* since the start of the workload: when it was received, or (losses) sent */
    mqs_chaos_kind kind;
    uint32_t publisher, subscriber, topic; /* indexes, or MQS_CHAOS_NONE */
    uint32_t group;                        /* shared group (its member, or the whole group), or MQS_CHAOS_NONE */
    uint8_t qos;
    uint32_t seq;
    char detail[128];
} mqs_chaos_anomaly;

typedef struct mqs_chaos_counts {
    uint64_t by_kind[MQS_CHAOS_KIND_COUNT];
    uint64_t published;    /* messages sent (first transmission) */
    uint64_t acknowledged; /* QoS 1 PUBACK / QoS 2 PUBCOMP received */
    uint64_t delivered;    /* PUBLISH received by subscribers, duplicates included */
    uint64_t unchecked;    /* (message, subscriber or group) pairs not checked for loss: a session did not persist */
    uint64_t violations;   /* sum of the kinds of severity violation */
} mqs_chaos_counts;

/* ---- checker ---- */

typedef struct mqs_chaos_checker mqs_chaos_checker;

/* At most max_anomalies are kept (all are counted).  NULL if out of memory. */
mqs_chaos_checker *mqs_chaos_checker_new(unsigned publishers, unsigned subscribers, unsigned topics,
                                         size_t max_anomalies);
/* The same with `groups` shared subscription groups (5.0 4.8.2); mqs_chaos_member_of puts subscribers in them.
 * A group is judged as one: each message must reach one of its members (docs/chaos.md, "Shared subscriptions"). */
mqs_chaos_checker *mqs_chaos_checker_new_groups(unsigned publishers, unsigned subscribers, unsigned topics,
                                                unsigned groups, size_t max_anomalies);
/* Subscriber sub is a member of group (before any event for it); false if either is out of range. */
bool mqs_chaos_member_of(mqs_chaos_checker *c, uint32_t sub, uint32_t group);
void mqs_chaos_checker_free(mqs_chaos_checker *c);
/* Publisher pub sent message seq (0, 1, 2, ... without gaps) on topic at qos; false if out of memory. */
bool mqs_chaos_sent(mqs_chaos_checker *c, uint32_t pub, uint32_t seq, uint32_t topic, uint8_t qos, int64_t t_ms);
/* The broker acknowledged it (PUBACK for QoS 1, PUBCOMP for QoS 2). */
void mqs_chaos_acked(mqs_chaos_checker *c, uint32_t pub, uint32_t seq, int64_t t_ms);
/* Subscriber sub received an application message (PUBLISH, counted once per new packet: not a QoS 2
 * resend of a packet id still awaiting PUBREL).  qos and dup as delivered.  pub out of range: never
 * published. */
void mqs_chaos_received(mqs_chaos_checker *c, uint32_t sub, uint32_t pub, uint32_t seq, uint32_t topic,
                        uint8_t qos, bool dup, int64_t t_ms);
/* Subscriber sub holds a new subscription (its session was not resumed) from t_ms: messages sent from
 * then on are expected at it, those sent before are not. */
void mqs_chaos_session_started(mqs_chaos_checker *c, uint32_t sub, int64_t t_ms);
/* Subscriber sub received a QoS 2 PUBLISH (pub, seq, topic as in mqs_chaos_received) under packet id pid,
 * which still awaited the PUBREL of another message it had received (held_pub, held_seq): the Server reused a
 * Packet Identifier in use, and the subscriber takes the PUBLISH for a resend (4.3.3), not a new message. */
void mqs_chaos_id_in_use(mqs_chaos_checker *c, uint32_t sub, uint32_t pub, uint32_t seq, uint32_t topic,
                         uint16_t pid, uint32_t held_pub, uint32_t held_seq, int64_t t_ms);
/* Subscriber sub's SUBACK answered its subscription to topic with code: the QoS granted (0, 1, 2), which
 * caps the QoS its messages are owed at (a QoS 1 message granted at QoS 0 may be lost), or a failure
 * (0x80 and above): nothing on that topic is owed to it.  Until then 2 is assumed. */
void mqs_chaos_granted(mqs_chaos_checker *c, uint32_t sub, uint32_t topic, uint8_t code);
/* Subscriber sub's session ended at t_ms (or by then): a clean session whose connection was lost.  A new
 * session (mqs_chaos_session_started) also ends the one before.  What it had not received is no longer owed
 * to it; for members of shared groups the time also decides 4.8.2-5. */
void mqs_chaos_session_ended(mqs_chaos_checker *c, uint32_t sub, int64_t t_ms);
/* Subscriber sub ended the run without a live session: nothing is expected at it. */
void mqs_chaos_session_void(mqs_chaos_checker *c, uint32_t sub);
/* The broker restarted at t_ms (a message sent before it may be lost without persistence). */
void mqs_chaos_restarted(mqs_chaos_checker *c, int64_t t_ms);
/* After the quiet period: count and list the losses.  Call once. */
void mqs_chaos_check(mqs_chaos_checker *c);
const mqs_chaos_counts *mqs_chaos_counts_of(const mqs_chaos_checker *c);

typedef struct mqs_chaos_group_counts {
    uint64_t messages;   /* distinct messages delivered to the group (to one member or more) */
    uint64_t lost;       /* acknowledged, expected, delivered to no member (violations) */
    uint64_t across;     /* messages delivered to more than one member */
    uint64_t unchecked;  /* not delivered, but a member's session did not persist (or unacknowledged) */
} mqs_chaos_group_counts;
unsigned mqs_chaos_groups(const mqs_chaos_checker *c);
unsigned mqs_chaos_subscriber_count(const mqs_chaos_checker *c);
/* After mqs_chaos_check; NULL for a group out of range. */
const mqs_chaos_group_counts *mqs_chaos_group_counts_of(const mqs_chaos_checker *c, uint32_t group);
/* The group of subscriber sub, or MQS_CHAOS_NONE; distinct messages it received (duplicates not counted). */
uint32_t mqs_chaos_group_of(const mqs_chaos_checker *c, uint32_t sub);
uint64_t mqs_chaos_first_deliveries(const mqs_chaos_checker *c, uint32_t sub);
/* The anomalies kept, in the order found. */
const mqs_chaos_anomaly *mqs_chaos_anomalies(const mqs_chaos_checker *c, size_t *n);

/* ---- the run ---- */

/* Points of a QoS flow where a worker drops its own connection (--drop-clients). */
typedef enum mqs_chaos_drop_point {
    MQS_DROP_PUB_AFTER_PUBLISH, /* publisher: PUBLISH sent, before its PUBACK / PUBREC */
    MQS_DROP_PUB_AFTER_PUBREC,  /* publisher: PUBREC received, before sending PUBREL */
    MQS_DROP_PUB_AFTER_PUBREL,  /* publisher: PUBREL sent, before its PUBCOMP */
    MQS_DROP_SUB_BEFORE_ACK,    /* subscriber: PUBLISH received, before sending PUBACK / PUBREC */
    MQS_DROP_SUB_AFTER_PUBREL,  /* subscriber: PUBREL received, before sending PUBCOMP */
    MQS_DROP_POINT_COUNT
} mqs_chaos_drop_point;
const char *mqs_chaos_drop_point_name(mqs_chaos_drop_point p); /* "after-publish" ... */

typedef struct mqs_chaos_opts {
    mqs_url url;              /* the broker */
    const char *target_shown; /* the target as printed and written (no credentials) */
    mqs_tls_opts tls;
    mqtt_version version;     /* MQTT_V311 or MQTT_V5 */
    const char *username, *password; /* NULL: none */
    double duration_s;
    unsigned publishers, subscribers, topics;
    unsigned qos_mask;        /* bit q: QoS q is used (messages cycle through them) */
    double rate;              /* messages per second, all publishers together */
    unsigned size;            /* payload bytes (at least MQS_CHAOS_MIN_SIZE) */
    bool persistent;          /* CleanSession 0 / Clean Start 0 + Session Expiry */
    int quiet_ms;             /* the quiet period before checking */
    unsigned inflight;        /* unacknowledged QoS 1/2 PUBLISH per publisher */
    /* faults (0 / false / NULL: off) */
    int cut_every_ms;         /* proxy: cut a random connection about this often */
    int stall_ms;             /* proxy: stall a random connection this long, about every 2 s */
    int latency_ms;           /* proxy: delay every packet this long */
    unsigned drop_mask;       /* bit p (mqs_chaos_drop_point): workers drop themselves there */
    int drop_every_ms;        /* about this often per worker (default 1000) */
    const char *restart_cmd;  /* run with /bin/sh -c */
    double restart_every_s;
    uint64_t seed;
    bool (*interrupted)(void); /* polled: true ends the workload early (then quiet period, check, report) */
    FILE *progress;           /* a line per second; NULL: quiet */
    const char *version_string; /* mqttspec's, for the JSON */
    /* 5.0 shared subscriptions: shared_groups groups of shared_members subscribers each, in addition to the
     * `subscribers` non-shared ones (subscriber indexes after theirs, group by group) */
    unsigned shared_groups, shared_members;
} mqs_chaos_opts;

/* All subscribing connections: the non-shared ones and the members of the shared groups. */
unsigned mqs_chaos_subscriber_total(const mqs_chaos_opts *o);
/* "mqsc0000002ag1": the ShareName of group g in run run_id (unique per run, so no earlier session joins). */
void mqs_chaos_share_name(uint32_t run_id, uint32_t g, char *buf, size_t cap);

#define MQS_CHAOS_MIN_SIZE 32 /* the payload header: magic, run, publisher, sequence, send time */
#define MQS_CHAOS_MAX_ANOMALIES 1000

void mqs_chaos_opts_init(mqs_chaos_opts *o);

typedef enum mqs_chaos_fault_kind {
    MQS_FAULT_PROXY_CUT,
    MQS_FAULT_PROXY_STALL,
    MQS_FAULT_PROXY_LATENCY,
    MQS_FAULT_CLIENT_DROP,
    MQS_FAULT_BROKER_RESTART,
} mqs_chaos_fault_kind;
const char *mqs_chaos_fault_name(mqs_chaos_fault_kind k); /* "proxy-cut" ... */

typedef struct mqs_chaos_fault {
    int64_t t_ms;
    mqs_chaos_fault_kind kind;
    char connection[24]; /* "pub-3", "sub-0", "" */
    char detail[96];
} mqs_chaos_fault;

typedef struct mqs_chaos_latency {
    double p50, p99, p999; /* milliseconds */
} mqs_chaos_latency;

typedef struct mqs_chaos_sample { /* one per second */
    int64_t t_ms;
    uint64_t sent, received, acked; /* in that second */
    mqs_chaos_latency latency;
    unsigned connections;
} mqs_chaos_sample;

typedef struct mqs_chaos_result {
    char started_at[32]; /* UTC, ISO 8601 */
    int64_t elapsed_ms;  /* workload + quiet period */
    int64_t workload_ms; /* publishing time */
    int64_t delivering_ms; /* from the start of publishing to the last delivery (at least workload_ms) */
    bool interrupted;
    mqs_chaos_fault *faults;
    size_t n_faults, cap_faults, faults_dropped;
    mqs_chaos_sample *series;
    size_t n_series, cap_series;
    mqs_chaos_latency latency;
    unsigned connections_max;
    double harness_cpu_s;
    long harness_rss_kb;
    uint64_t reconnects, session_losses;
    mqs_chaos_checker *checker; /* counts and anomalies */
    uint32_t run_id;            /* in client ids, topics and ShareNames */
    bool shared_refused;        /* the target refused shared subscriptions: nothing checked for the members */
    char shared_refusal[160];   /* how: "CONNACK Shared Subscription Available 0", "SUBACK 0x9E ..." */
    char notes[8][256];
    unsigned n_notes;
} mqs_chaos_result;

/*
 * Run the workload, the faults and the check.  0 done (see the result),
 * -1 the target could not be reached at the start (err says why).
 */
int mqs_chaos_run(const mqs_chaos_opts *o, mqs_chaos_result *r, char *err, size_t err_cap);
void mqs_chaos_result_free(mqs_chaos_result *r);
bool mqs_chaos_passed(const mqs_chaos_result *r); /* no violation */

/* The result as the JSON object of docs/chaos.md (what the HTML timeline reads); the caller
 * cJSON_Deletes it.  NULL if out of memory. */
struct cJSON;
struct cJSON *mqs_chaos_json(const mqs_chaos_opts *o, const mqs_chaos_result *r);
/* The same, written as text; false on a write error. */
bool mqs_chaos_json_write(FILE *out, const mqs_chaos_opts *o, const mqs_chaos_result *r);
/* The terminal summary. */
void mqs_chaos_summary_print(FILE *out, const mqs_chaos_opts *o, const mqs_chaos_result *r);

#ifdef __cplusplus
}
#endif
#endif
