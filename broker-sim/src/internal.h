/*
 * broker-sim internals.  Ownership in one picture:
 *
 *   sim_broker ─┬─ listeners
 *               ├─ conns ──── sim_conn ──(s)──▶ sim_session   (a connection serves one session)
 *               ├─ sessions ─ sim_session ─(conn)─▶ sim_conn  (NULL while the client is away)
 *               │               ├─ subs
 *               │               ├─ out: messages towards the client, in flight first, then queued
 *               │               └─ pending Will (after its connection closed, waiting for the delay)
 *               └─ retained ─ sim_retained ─▶ sim_msg
 *
 * Messages (sim_msg) are reference counted and immutable once published: one
 * publish is shared by every queue and the retained store.
 *
 * Closing: a connection that fails a write is only marked `broken`; the loop
 * closes it at a safe point (sim_reap in broker.c), so that no list being walked
 * (routing, timers) loses an element under its feet.
 */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "mqttspec/codec.h"
#include "mqttspec/sim.h"
#include "mqttspec/transport.h"

#define SIM_WRITE_TIMEOUT_MS 2000   /* a client that stops reading loses its connection */
#define SIM_ACCEPT_TIMEOUT_MS 2000  /* TLS handshake */
#define SIM_STREAM_INITIAL 4096     /* read buffer; grows up to the packet size limit */
#define SIM_READ_BUDGET (256u << 10) /* bytes read from one connection per turn of the loop */
#define SIM_EXPIRY_NEVER UINT32_MAX /* 5.0 Session Expiry Interval 0xFFFFFFFF */

typedef struct sim_conn sim_conn;
typedef struct sim_session sim_session;

/* 5.0 Topic Alias mappings of one direction of one connection: the topic of alias i (1..n-1; 0 unused). */
typedef struct sim_aliases {
    mqtt_bytes *topic; /* owned copies */
    unsigned n;
} sim_aliases;

/* An application message. */
typedef struct sim_msg {
    unsigned refs;
    mqtt_bytes topic;
    mqtt_bytes payload;
    mqtt_props props; /* 5.0 properties to forward: all but Topic Alias and Message Expiry Interval */
    uint8_t qos;
    bool retain;
    bool publisher_dup; /* the DUP flag it came in with: only the dup-propagated quirk looks at it */
    int64_t expires_at; /* ms; 0: no Message Expiry Interval */
} sim_msg;

typedef struct sim_sub {
    struct sim_sub *next;
    mqtt_bytes filter; /* owned */
    uint8_t options;   /* QoS, No Local, Retain As Published, Retain Handling */
    uint32_t sub_id;   /* 5.0 Subscription Identifier; 0: none */
    bool shared;       /* 5.0 "$share/NAME/FILTER" (4.8.2): the group is the whole filter string */
    mqtt_bytes inner;  /* what topics are matched against: FILTER of a shared one (points into filter), else filter */
    uint64_t seq;      /* order of subscribing, across the broker: shared groups list their members by it */
} sim_sub;

typedef enum sim_out_state {
    SIM_OUT_QUEUED,    /* not sent yet */
    SIM_OUT_PUBLISHED, /* PUBLISH sent, PUBACK / PUBREC awaited */
    SIM_OUT_RELEASED,  /* PUBREL sent, PUBCOMP awaited */
} sim_out_state;

/* One message on its way to one session. */
typedef struct sim_out {
    struct sim_out *next;
    sim_msg *msg;
    uint8_t qos;
    bool retain; /* the RETAIN flag to send */
    sim_out_state state;
    uint16_t packet_id;
    uint32_t *sub_ids; /* Subscription Identifiers of the matching subscriptions */
    unsigned n_sub_ids;
    mqtt_bytes share;  /* owned: the shared subscription ("$share/NAME/FILTER") it came through; empty if none */
} sim_out;

typedef struct sim_will {
    sim_msg *msg;
    uint32_t delay_s;  /* 5.0 Will Delay Interval */
    bool has_expiry;   /* 5.0 Message Expiry Interval: counted from publication, not from CONNECT */
    uint32_t expiry_s;
} sim_will;

struct sim_session {
    sim_session *next;
    sim_broker *b;
    char *client_id; /* NUL-terminated copy */
    size_t client_id_len;
    sim_conn *conn; /* NULL while offline */
    sim_quirk_set quirks; /* of the listener last connected through */
    sim_variant_set variants; /* of the listener last connected through */
    sim_sub *subs;
    sim_out *out_head, *out_tail;
    unsigned n_inflight; /* entries of out not QUEUED */
    uint16_t last_packet_id;
    uint16_t *awaiting_rel; /* inbound QoS 2: PUBREC sent, PUBREL not yet received */
    sim_msg **held_for_rel; /* parallel to awaiting_rel: the message, when delivered at PUBREL; else NULL */
    int64_t *rel_expires_at; /* parallel to awaiting_rel: when its message expires (ms; 0 never) */
    size_t n_awaiting_rel, cap_awaiting_rel;
    uint32_t expiry_s;   /* after the connection closes; SIM_EXPIRY_NEVER: kept forever */
    int64_t expires_at;  /* ms, while offline; 0: not counting */
    sim_will *will;      /* a Will waiting for its delay */
    sim_msg *remembered_will; /* will-outlives-connect only: the Will of its last connection that had one */
    int64_t will_at;
    uint32_t n_out;      /* entries of out, queued or in flight: bounded by cfg.max_queued_messages */
    uint64_t out_bytes;  /* their payload bytes: bounded by cfg.max_queued_bytes */
    sim_aliases kept_aliases; /* topic-alias-kept quirk only: the last connection's client aliases */
    uint32_t resumed_qos1; /* QoS 1 messages found queued on resume: chaos-lose-acked-qos1 drops every 10th */
};

struct sim_conn {
    sim_conn *next;
    sim_broker *b;
    mqs_transport *t; /* NULL once closed; the struct lives until the loop reaps it */
    unsigned id;      /* for the log */
    sim_quirk_set quirks;
    sim_variant_set variants;
    mqtt_stream in;
    mqtt_version version; /* MQTT_VERSION_UNKNOWN until CONNECT */
    bool connected;       /* CONNACK 0 sent */
    bool refused_open;  /* refusal-left-open: its CONNECT was refused but the connection stays open */
    bool broken;          /* a write failed: close at the next sim_reap */
    bool will_discarded;  /* DISCONNECT took the Will away */
    bool planted_alloc;   /* alloc-announced-length already took its memory for this connection */
    sim_session *s;
    uint16_t keep_alive; /* in force (the client's or the Server Keep Alive) */
    uint32_t connect_expiry_s; /* Session Expiry Interval the CONNECT asked for */
    int64_t last_rx;
    uint16_t recv_max;       /* client's Receive Maximum */
    uint32_t max_packet;     /* client's Maximum Packet Size; 0: none */
    sim_aliases in_aliases;  /* the client's Topic Aliases */
    sim_aliases out_aliases; /* ours towards the client */
    uint16_t alias_max_out;  /* client's Topic Alias Maximum; 0: none */
    uint16_t out_alias_last; /* the alias we assigned last (round-robin) */
    sim_will *will;          /* the Will of this connection */
    uint8_t *wbuf;           /* encode buffer */
    size_t wcap;
    bool over_quota;         /* its session's queue hit the bound: sim_reap disconnects it (5.0: 0x97) */
    struct sim_auth *auth;   /* 5.0 enhanced authentication under way or agreed (auth.c); NULL: none */
    bool problem_info;       /* 5.0 CONNECT Request Problem Information (default 1) */
    bool response_info;      /* 5.0 CONNECT Request Response Information 1 */
    sim_msg *reorder_held;   /* reorder quirk: a message waiting for the next one to overtake it */
};

typedef struct sim_retained {
    struct sim_retained *next;
    sim_msg *msg;
    const sim_session *publisher; /* the session that published it while it lasts, else NULL */
} sim_retained;

/* Whose turn it is in one shared subscription (round-robin distribution). */
typedef struct sim_share_group {
    struct sim_share_group *next;
    mqtt_bytes filter; /* owned: "$share/NAME/FILTER" */
    unsigned turn;
    unsigned qos1_routed; /* chaos-shared-lose drops every 5th */
} sim_share_group;

typedef struct sim_listener {
    mqs_listener *l;
    sim_quirk_set quirks;
    sim_variant_set variants;
    int port;
} sim_listener;

struct sim_broker {
    sim_config cfg;
    sim_listener listeners[SIM_MAX_LISTENERS];
    size_t n_listeners;
    sim_conn *conns;
    sim_session *sessions;
    sim_retained *retained;
    sim_share_group *share_groups;
    uint64_t next_sub_seq;
    int wake[2]; /* sim_stop writes, the loop polls */
    pthread_t thread;
    unsigned next_conn_id;
    unsigned next_assigned_id;
    bool crash_pending; /* a crash quirk fired: the loop plays the crash after this turn */
};

/* ---- broker.c ---- */
/* The clock every timer of the sim reads: the process clock plus what sim_mem_advance added. */
int64_t sim_now(void);
void sim_clock_advance(int64_t ms);
/* Keep-alive expiry, delayed Wills and offline session expiry due now; returns the next deadline. */
int64_t sim_run_timers(sim_broker *b);
/* Close connections marked broken or over quota, free the closed ones. */
void sim_reap(sim_broker *b);
/* Free everything (no Will is published). */
void sim_broker_free(sim_broker *b);

/* ---- planted.c: crash quirks (docs/fuzzing.md); true when the packet must not be handled further ---- */
bool sim_planted_on_malformed(sim_conn *c, const mqtt_error *err);
bool sim_planted_on_publish(sim_conn *c, mqtt_bytes topic);
/* Resource bugs: a QoS 2 PUBLISH resent before PUBREL; bytes buffered before CONNECT. */
void sim_planted_on_qos2_resend(sim_conn *c);
void sim_planted_before_connect(sim_conn *c);

/* ---- quirks.c ---- */
static inline bool sim_quirk(sim_quirk_set set, sim_quirk_id q) { return (set & SIM_QUIRK_BIT(q)) != 0; }
/* A packet identifier with its bytes swapped: the *-id-swapped quirks' endianness slip. */
static inline uint16_t sim_swap16(uint16_t v) { return (uint16_t)((v << 8) | (v >> 8)); }

/* ---- variants.c ---- */
static inline bool sim_variant(sim_variant_set set, sim_variant_id v) { return (set & SIM_VARIANT_BIT(v)) != 0; }
/* The highest QoS granted and (5.0) announced as Maximum QoS: 2, or 1 / 0 with max-qos-1 / max-qos-0. */
uint8_t sim_variant_max_qos(sim_variant_set set);
/* A variant that only a 5.0 connection shows (announced in its CONNACK). */
static inline bool sim_variant5(sim_variant_set set, mqtt_version version, sim_variant_id v)
{
    return version == MQTT_V5 && sim_variant(set, v);
}

/* ---- lenient.c ---- */
/* What a lenient-parsing quirk makes of a packet the codec rejected. */
typedef enum sim_lenient {
    SIM_LENIENT_NO,   /* not forgiven: close as usual */
    SIM_LENIENT_DROP, /* skip the packet as if it had not come */
    SIM_LENIENT_TAKE, /* handle the repaired packet the call decoded */
} sim_lenient;
#define SIM_LENIENT_MAX 64 /* largest packet lenient-fixed-length repairs */
/* p: the whole framed packet (len bytes, restored on return), err: why the codec rejected it.
 * TAKE: *out is decoded from scratch or p and valid while both are. */
sim_lenient sim_lenient_parse(sim_quirk_set quirks, uint8_t *p, size_t len, const mqtt_decode_opts *opts,
                              const mqtt_error *err, uint8_t scratch[SIM_LENIENT_MAX], mqtt_packet *out);

/* ---- log.c ---- */
void sim_log(const sim_broker *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_log_packet(const sim_conn *c, const char *dir, const mqtt_packet *pkt);

/* ---- msg.c ---- */
/* A message from a PUBLISH (or Will) with topic; props are the 5.0 properties as received. */
sim_msg *sim_msg_new(mqtt_bytes topic, mqtt_bytes payload, mqtt_props props, uint8_t qos, bool retain);
sim_msg *sim_msg_ref(sim_msg *m);
void sim_msg_unref(sim_msg *m);
bool sim_msg_expired(const sim_msg *m, int64_t now);
mqtt_bytes sim_bytes_dup(mqtt_bytes b);
bool sim_bytes_eq(mqtt_bytes a, mqtt_bytes b);

/* ---- conn.c ---- */
sim_conn *sim_conn_new(sim_broker *b, mqs_transport *t, sim_quirk_set quirks);
void sim_conn_on_readable(sim_conn *c);
/* pkt encodes, and within the client's Maximum Packet Size (or a quirk lets it exceed it); *need: its size. */
bool sim_fits_client(const sim_conn *c, const mqtt_packet *pkt, size_t *need);
/* Encode and write; false if it could not go out (connection broken, or over the client's limit). */
bool sim_send(sim_conn *c, const mqtt_packet *pkt);
/* 5.0: DISCONNECT with this reason code first; then close (the Will is published unless discarded). */
void sim_conn_close(sim_conn *c, uint8_t reason, const char *why);
void sim_conn_free(sim_conn *c);
/* Milliseconds from now until this connection's keep-alive runs out; INT64_MAX if none. */
int64_t sim_keepalive_deadline(const sim_conn *c);
/* A protocol violation the codec did not see: 5.0 DISCONNECT with code, then close. */
void sim_protocol_error(sim_conn *c, uint8_t reason, const char *why);

/* ---- limits.c ---- */
void sim_aliases_free(sim_aliases *a);
/* The Topic Name of a client's PUBLISH, through its Topic Alias; false if the connection was closed for it. */
bool sim_alias_resolve(sim_conn *c, const mqtt_publish *p, mqtt_bytes *topic);
/* topic-alias-kept quirk: hand the client's aliases to its session when c closes, back on its next connection. */
void sim_alias_keep(sim_conn *c, sim_session *s);
void sim_alias_restore(sim_conn *c, sim_session *s);
/* The alias for a PUBLISH towards c: alias 0 none; mapped: the topic can be left out. */
typedef struct sim_alias_choice {
    uint16_t alias;
    bool mapped;
} sim_alias_choice;
sim_alias_choice sim_alias_choose(sim_conn *c, mqtt_bytes topic);
/* The PUBLISH that set a new mapping went out: remember it. */
void sim_alias_commit(sim_conn *c, sim_alias_choice ch, mqtt_bytes topic);
/* ack-properties: *out is pkt with a Reason String and User Property where they fit (props in buf); false:
 * send pkt as it is. */
bool sim_ack_dress(const sim_conn *c, const mqtt_packet *pkt, mqtt_packet *out, uint8_t *buf, size_t cap);
/* A quirk lets this packet past the client's Maximum Packet Size. */
bool sim_ack_oversize_allowed(const sim_conn *c, const mqtt_packet *pkt);

/* ---- connect.c ---- */
void sim_on_connect(sim_conn *c, const mqtt_packet *pkt);
/* Accept a CONNECT: open its session and send CONNACK 0, with auth_data (not NULL) the Authentication Method
 * and this Authentication Data too; ack false: no CONNACK at all (refused-connect-processed). */
void sim_accept_connect(sim_conn *c, const mqtt_packet *pkt, const mqtt_bytes *auth_data, bool ack);
/* CONNACK with a refusal code (0: none fits, close silently), then close. */
void sim_refuse_connect(sim_conn *c, mqtt_version v, uint8_t code, const char *why);
void sim_send_connack(sim_conn *c, bool session_present, uint8_t code, mqtt_props props);
void sim_on_connect_malformed(sim_conn *c, const mqtt_packet *pkt, const mqtt_error *err);
void sim_on_disconnect(sim_conn *c, const mqtt_packet *pkt);

/* ---- auth.c: 5.0 enhanced authentication, SCRAM-SHA-256 ---- */
/* A CONNECT with an Authentication Method: refuse it, or answer AUTH 0x18 and hold it until the exchange ends. */
void sim_auth_connect(sim_conn *c, const mqtt_packet *pkt);
void sim_on_auth(sim_conn *c, const mqtt_packet *pkt);
void sim_auth_free(sim_conn *c);

/* ---- problem.c ---- */
/* 5.0 properties of an ack with this reason code: a Reason String and a User Property where the problem-info
 * variant (or the problem-info-ignored quirk) adds them; else none. */
mqtt_props sim_problem_props(const sim_conn *c, int type, uint8_t code, uint8_t *buf, size_t cap);

/* ---- session.c ---- */
sim_session *sim_session_find(sim_broker *b, mqtt_bytes client_id);
sim_session *sim_session_new(sim_broker *b, mqtt_bytes client_id);
/* Discard a session: its subscriptions, queue and any pending Will (published first). */
void sim_session_end(sim_session *s);
/* Its connection closed: end it, or keep it (until its expiry). */
void sim_session_detach(sim_session *s);
/* Queue a message for the session and send what the flow control allows. */
void sim_session_enqueue(sim_session *s, sim_msg *m, uint8_t qos, bool retain, const uint32_t *sub_ids,
                         unsigned n_sub_ids);
/* The same for a delivery through a shared subscription (share: its "$share/NAME/FILTER", copied). */
void sim_session_enqueue_shared(sim_session *s, sim_msg *m, uint8_t qos, bool retain, const uint32_t *sub_ids,
                                unsigned n_sub_ids, mqtt_bytes share);
/* Send queued messages while the client's Receive Maximum allows. */
void sim_session_pump(sim_session *s);
/* On resume: resend unacknowledged PUBLISH (DUP 1) and PUBREL, in order. */
void sim_session_resend(sim_session *s);
sim_out *sim_session_find_out(sim_session *s, uint16_t packet_id);
void sim_session_remove_out(sim_session *s, sim_out *o);
bool sim_session_awaiting_rel(const sim_session *s, uint16_t packet_id);
/* held: the message to deliver at PUBREL (qos2-forward-at-pubrel), or NULL when it was delivered already;
 * expires_at: when the message expires (ms; 0 never), for the expired-qos2-uncompleted quirk. */
void sim_session_add_awaiting_rel(sim_session *s, uint16_t packet_id, sim_msg *held, int64_t expires_at);
/* false if packet_id was not awaiting PUBREL; *held (if given) gets the held message, owned by the caller;
 * *expired (if given): its message has expired by now. */
bool sim_session_take_awaiting_rel(sim_session *s, uint16_t packet_id, sim_msg **held, bool *expired);
/* QoS 1/2 PUBLISHes the client's Receive Maximum (or inflight-1) still allows now; 0: the send quota is used up. */
unsigned sim_session_send_quota(const sim_session *s);

/* ---- publish.c ---- */
void sim_on_publish(sim_conn *c, const mqtt_packet *pkt);
void sim_on_ack(sim_conn *c, const mqtt_packet *pkt);
/* Does the subscription filter match topic (mqtt_topic_matches, bent by the matching quirks)? */
bool sim_filter_matches(sim_quirk_set quirks, mqtt_bytes filter, mqtt_bytes topic);
/* Deliver m to every matching subscription; from is the publishing session (No Local), or NULL. */
void sim_route(sim_broker *b, sim_msg *m, const sim_session *from);
/* reorder quirk: route the message c still holds back (its connection is closing). */
void sim_reorder_flush(sim_conn *c);
/* Write one PUBLISH for o to the session's connection. */
bool sim_send_publish(sim_conn *c, const sim_out *o, bool dup);

/* ---- subscribe.c ---- */
void sim_on_subscribe(sim_conn *c, const mqtt_packet *pkt);
void sim_on_unsubscribe(sim_conn *c, const mqtt_packet *pkt);
/* Store (or, with an empty payload, delete) the topic's retained message; the entry stored, or NULL. */
sim_retained *sim_retain_store(sim_broker *b, sim_msg *m);
sim_retained *sim_retained_find(sim_broker *b, mqtt_bytes topic);
/* The session s ends: forget it as a publisher (retain-ends-with-session: drop what it retained). */
void sim_retained_publisher_ended(sim_broker *b, const sim_session *s);
void sim_retained_free_all(sim_broker *b);

/* ---- shared.c: 5.0 shared subscriptions (4.8.2) ---- */
/* Is filter "$share/NAME/FILTER"?  *inner: its FILTER.  The codec has refused a malformed one (MQTT-4.8.2-1,
 * MQTT-4.8.2-2; No Local on one, MQTT-3.8.3-4) unless shared-lenient-names let it through: then *inner is what
 * follows the first '/' after "$share/", or empty. */
bool sim_share_parse(mqtt_bytes filter, mqtt_bytes *inner);
/* Deliver m to one member of every shared subscription its topic matches. */
void sim_share_route(sim_broker *b, sim_msg *m);
/* o (a shared delivery) goes to a member other than s, if there is one. */
void sim_share_hand_over(sim_session *s, const sim_out *o);
/* s's connection dropped (session_ends: s itself ends): what the shared-moved-* quirks do with its deliveries. */
void sim_share_on_leave(sim_session *s, bool session_ends);
void sim_share_free_all(sim_broker *b);

/* ---- will.c ---- */
sim_will *sim_will_from_connect(const mqtt_connect *cn, mqtt_version v, sim_quirk_set quirks);
void sim_will_free(sim_will *w);
/* The connection closed without discarding its Will: publish it now or after its delay. */
void sim_will_on_close(sim_conn *c);
void sim_will_publish(sim_broker *b, sim_will *w);
/* refusal.c: processes-after-refusal publishes the PUBLISHes buffered behind a refused CONNECT (read at v);
 * any-protocol-name takes the CONNECT at the head of the stream under its proper name (false: cannot). */
void sim_process_after_refusal(sim_conn *c, mqtt_version v);
bool sim_accept_any_protocol_name(sim_conn *c);
/* will-outlives-connect: the session remembers its last Will and gives it to a connection with Will Flag 0. */
void sim_will_outlives_connect(sim_conn *c, sim_session *s);

#endif
