/* The parts of mqs_chaos_run, shared by the files of chaos/src only. */
#ifndef MQTTSPEC_CHAOS_INTERNAL_H
#define MQTTSPEC_CHAOS_INTERNAL_H

#include <poll.h>
#include <sys/types.h>

#include "mqttspec/chaos.h"

/* ---- latency histogram: 8 buckets per power of two of microseconds ---- */
#define CHAOS_HIST_BUCKETS 512
typedef struct chaos_hist {
    uint64_t bucket[CHAOS_HIST_BUCKETS];
    uint64_t n;
} chaos_hist;
void chaos_hist_add(chaos_hist *h, uint64_t us);
double chaos_hist_ms(const chaos_hist *h, double fraction); /* the fraction-quantile in ms; 0 when empty */
mqs_chaos_latency chaos_hist_latency(const chaos_hist *h);
void chaos_usage(double *cpu_s, long *rss_kb); /* this process: user + system CPU, peak RSS */

/* ---- a tiny random generator (xorshift64*): the run is a function of the seed ---- */
uint64_t chaos_rand(uint64_t *state);
int64_t chaos_jitter(uint64_t *state, int64_t mean); /* uniform in [mean/2, 3*mean/2] */

/* ---- a set of packet ids (idset.c): sorted, grown on demand, freed when empty; each id carries a tag
 * (what the subscriber received under it: publisher and sequence number) ---- */
typedef struct chaos_idset {
    uint16_t *ids;
    uint64_t *tags;
    uint32_t n, cap;
} chaos_idset;
bool chaos_idset_find(const chaos_idset *s, uint16_t id, uint64_t *tag); /* false: not in the set */
bool chaos_idset_add(chaos_idset *s, uint16_t id, uint64_t tag); /* false: out of memory */
void chaos_idset_del(chaos_idset *s, uint16_t id);
void chaos_idset_clear(chaos_idset *s);

/* ---- workers: one MQTT client connection each ---- */
typedef enum chaos_wstate { W_DOWN, W_TCP, W_CONNACK, W_SUBACK, W_UP } chaos_wstate; /* W_TCP: connect in progress */

typedef struct chaos_flight {
    uint16_t pid;
    uint8_t qos;
    bool released; /* QoS 2: PUBREC received, PUBREL sent */
    uint32_t seq;
    uint32_t topic;
    int64_t send_ns;
} chaos_flight;

#define CHAOS_MAX_INFLIGHT 256
#define CHAOS_OUT_CAP (64 * 1024)  /* the most a worker queues for writing */
#define CHAOS_OUT_MIN 512          /* its first output allocation (a PUBLISH of the default size fits) */
#define CHAOS_IN_CAP (256 * 1024)  /* the largest packet a worker takes */
/* Connects and CONNECTs in flight at once: below the broker's listen backlog (broker-sim's is 128),
 * whose overflow drops SYNs that come back only after TCP's 1 s retransmission: with 256,
 * 1000 connections to mosquitto took 1.1 s, with 64 0.1 s. */
#define CHAOS_MAX_CONNECTING 64

/* Idle, a worker holds no buffer: input is read into the run's scratch buffer and only an
 * incomplete packet is kept (partial); output is allocated while bytes wait to be written. */
typedef struct chaos_worker {
    bool is_pub;
    uint32_t index;
    char name[16];      /* pub-3, sub-0 */
    char client_id[64];
    mqs_transport *t;
    chaos_wstate state;
    bool had_session;   /* a session was established before (resume it when persistent) */
    int64_t next_connect_ms;
    int64_t connect_by_ms; /* W_TCP: give up at this time (mqs_now_ms) */
    int64_t last_write_ms;
    uint8_t *partial;   /* the start of a packet not yet complete */
    size_t partial_len;
    uint8_t *out;       /* bytes not yet written */
    size_t out_len, out_cap;
    /* publisher */
    chaos_flight *flight; /* run->o->inflight entries, allocated at the first QoS 1/2 message */
    unsigned n_flight, max_flight;
    uint16_t next_pid;
    uint32_t next_seq;
    double credit;       /* messages it may send now (rate) */
    uint8_t max_qos;     /* 5.0 CONNACK Maximum QoS */
    bool qos2_puback_noted; /* the target answered a QoS 2 PUBLISH with PUBACK (said once) */
    /* subscriber */
    chaos_idset awaiting_pubrel; /* QoS 2 packet ids received, PUBREL not yet */
    /* --drop-clients */
    int64_t next_drop_ms;
    int armed_drop;      /* mqs_chaos_drop_point, -1: none */
    /* shared subscriptions (shared.c) */
    uint32_t group;      /* the shared group of a subscriber, or MQS_CHAOS_NONE */
    bool shared_off;     /* the target refused them: subscribe no more, expect nothing */
} chaos_worker;

typedef struct chaos_proxy chaos_proxy;

/* The state of one run. */
typedef struct chaos_run {
    const mqs_chaos_opts *o;
    mqs_chaos_result *r;
    mqs_chaos_checker *ck;
    uint64_t rng;
    uint32_t run_id;
    int64_t t0_ms;
    mqs_url worker_url; /* the broker, or the proxy in front of it */
    chaos_worker *w;
    unsigned n_workers;
    uint8_t *scratch;    /* CHAOS_IN_CAP: every worker reads into it (one read at a time) */
    unsigned connecting; /* workers between connect and CONNACK, at most CHAOS_MAX_CONNECTING */
    chaos_proxy *proxy;
    bool faults_on;      /* off during the quiet period */
    bool publishing;
    int64_t last_delivery_ms;
    chaos_hist lat_all, lat_sec;
    uint64_t sec_sent, sec_received, sec_acked;
    uint64_t total_received, total_acked;
    pid_t restart_pid;
    int64_t next_restart_ms;
} chaos_run;

int64_t chaos_now(const chaos_run *run); /* ms since the start */
int64_t chaos_now_ns(void);
void chaos_fault(chaos_run *run, mqs_chaos_fault_kind k, const char *conn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void chaos_note(mqs_chaos_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* worker.c */
bool chaos_worker_init(chaos_worker *w, const chaos_run *run, bool is_pub, uint32_t index);
void chaos_worker_free(chaos_worker *w);
/* Connect now, waiting for it (false: the TCP connection failed, err says why). */
bool chaos_worker_connect(chaos_run *run, chaos_worker *w, char *err, size_t err_cap);
/* W_TCP: the socket is writable or failed: CONNECT, or back to W_DOWN to retry. */
void chaos_worker_connecting(chaos_run *run, chaos_worker *w);
void chaos_worker_pin_address(chaos_run *run, const chaos_worker *first);
void chaos_worker_readable(chaos_run *run, chaos_worker *w);
void chaos_worker_tick(chaos_run *run, chaos_worker *w, int64_t now_ms);
/* When w next needs a tick (mqs_now_ms; may be past), INT64_MAX when only I/O can move it;
 * per_pub: each publisher's messages per second. */
int64_t chaos_worker_due(const chaos_run *run, const chaos_worker *w, double per_pub);
void chaos_worker_flush(chaos_run *run, chaos_worker *w);
void chaos_worker_lost(chaos_run *run, chaos_worker *w, const char *why);
void chaos_worker_disconnect(chaos_run *run, chaos_worker *w); /* the orderly end */
short chaos_worker_events(const chaos_worker *w);
int chaos_worker_fd(const chaos_worker *w);

/* shared.c: a subscriber in a shared group (5.0 4.8.2) */
/* The SUBSCRIBE entry for topic: "$share/<name>/<topic>" for a member, the topic itself otherwise. */
void chaos_sub_filter(const chaos_run *run, const chaos_worker *w, const char *topic, char *buf, size_t cap);
/* A member's CONNACK: false when it says Shared Subscription Available 0 (then nothing is subscribed). */
bool chaos_shared_connack(chaos_run *run, chaos_worker *w, mqtt_props props);
/* A SUBACK: false when a member's shared subscription was refused (then it expects nothing). */
bool chaos_shared_suback(chaos_run *run, chaos_worker *w, const mqtt_packet *p);

/* proxy.c: a TCP proxy in the run's poll loop */
chaos_proxy *chaos_proxy_start(chaos_run *run, char *err, size_t err_cap); /* sets run->worker_url */
void chaos_proxy_free(chaos_proxy *p);
size_t chaos_proxy_pollfds(chaos_proxy *p, struct pollfd *fds, size_t cap); /* fills, returns count */
void chaos_proxy_handle(chaos_run *run, chaos_proxy *p, const struct pollfd *fds, size_t n);
void chaos_proxy_tick(chaos_run *run, chaos_proxy *p, int64_t now_ms);
size_t chaos_proxy_max_fds(const chaos_proxy *p);

#endif
