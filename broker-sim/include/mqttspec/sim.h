/*
 * broker-sim: a small in-memory MQTT broker (3.1, 3.1.1 and 5.0) on the
 * mqttspec codec and transport, with named quirks that break chosen rules
 * of the specification on purpose so that the scenario suite can be shown
 * to catch them.
 *
 * The broker runs one poll(2) event loop on a thread of its own:
 *
 *     sim_config cfg;
 *     sim_config_init(&cfg);
 *     sim_config_add_listener(&cfg, "mqtt://127.0.0.1:0", NULL, NULL, 0);
 *     char err[256];
 *     sim_broker *b = sim_start(&cfg, err, sizeof err);   // listening on return
 *     int port = sim_port(b, 0);                          // the port "0" picked
 *     ...                                                 // run clients against it
 *     sim_stop(b);                                        // closes everything, frees b
 *
 * Everything the broker holds (sessions, retained messages) lives in memory
 * and ends with sim_stop.  The config is copied by sim_start; the strings it
 * points to must stay valid until sim_stop.
 */
#ifndef MQTTSPEC_SIM_H
#define MQTTSPEC_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- quirks: deliberate deviations from the specification ---- */

typedef enum sim_quirk_id {
    SIM_Q_QOS2_AS_PUBACK,        /* answer a QoS 2 PUBLISH with PUBACK */
    SIM_Q_DUP_REDELIVER,         /* deliver again when a QoS 2 PUBLISH is resent before PUBREL */
    SIM_Q_NO_WILL,               /* never publish Will Messages */
    SIM_Q_WILL_ON_DISCONNECT,    /* publish the Will even after DISCONNECT (5.0: 0x00) */
    SIM_Q_KEEPALIVE_IGNORE,      /* never close a connection for keep-alive */
    SIM_Q_KEEPALIVE_3X,          /* close after 3 x Keep Alive instead of 1.5 x */
    SIM_Q_DROP_OFFLINE_QOS1,     /* do not queue QoS 1 messages for offline sessions */
    SIM_Q_KEEP_SESSION_ON_CLEAN, /* CleanSession / Clean Start 1 resumes the stored session */
    SIM_Q_WRONG_SESSION_PRESENT, /* CONNACK Session Present inverted */
    SIM_Q_RETAINED_WITHOUT_FLAG, /* retained messages sent on subscribe carry RETAIN 0 */
    SIM_Q_SUBACK_EXTRA_CODE,     /* SUBACK carries one return code more than the SUBSCRIBE has filters */
    SIM_Q_SESSIONS_NEVER_EXPIRE, /* 5.0: ignore Session Expiry Interval, keep sessions forever */
    SIM_Q_PINGREQ_UNANSWERED,    /* never send PINGRESP */
    /* acknowledgements and QoS */
    SIM_Q_PUBACK_ID_SWAPPED,          /* PUBACK carries the packet id with its bytes swapped */
    SIM_Q_PUBCOMP_MISSING,            /* PUBREL is never answered with PUBCOMP */
    SIM_Q_PUBREL_NOT_RESENT,          /* on resume, unacknowledged PUBRELs are not resent */
    SIM_Q_DUP_PROPAGATED,             /* forwards copy the DUP flag of the incoming PUBLISH */
    SIM_Q_QOS_NOT_DOWNGRADED,         /* forwards keep the published QoS, above the subscription's */
    SIM_Q_QOS_UPGRADED,               /* forwards take the subscription's QoS, above the published one */
    SIM_Q_OVERLAP_FIRST_MATCH_QOS,    /* overlapping subscriptions: the first match sets the QoS */
    /* subscriptions and matching */
    SIM_Q_NO_LOCAL_IGNORED,           /* 5.0: No Local ignored */
    SIM_Q_DOLLAR_TOPICS_MATCHED,      /* '#' and '+' at the start of a filter match '$' topics */
    SIM_Q_HASH_EXCLUDES_PARENT,       /* "a/#" does not match "a" */
    SIM_Q_SUBACK_ID_SWAPPED,          /* SUBACK carries the packet id with its bytes swapped */
    SIM_Q_RESUBSCRIBE_DUPLICATES,     /* subscribing to the same filter again adds a second subscription */
    SIM_Q_UNSUBACK_ONLY_IF_REMOVED,   /* UNSUBACK only when a subscription was removed */
    SIM_Q_UNSUBSCRIBE_BY_MATCH,       /* UNSUBSCRIBE also removes wildcard filters matching the one given */
    /* retained messages */
    SIM_Q_RETAIN_NOT_STORED,          /* RETAIN 1 messages are forwarded but never stored */
    SIM_Q_RETAIN_EMPTY_NOT_CLEARED,   /* an empty retained PUBLISH leaves the stored message */
    SIM_Q_RETAINED_NOT_RESENT,        /* subscribing again to a filter sends no retained messages */
    SIM_Q_RETAINED_QOS_NOT_DOWNGRADED, /* retained messages go out at their stored QoS, above the granted */
    SIM_Q_RETAIN_HANDLING_IGNORED,    /* 5.0: Retain Handling treated as 0 */
    SIM_Q_RETAIN_AS_PUBLISHED_IGNORED, /* 5.0: Retain As Published ignored, RETAIN always cleared on forwards */
    /* connections and sessions */
    SIM_Q_SECOND_CONNECT_IGNORED,     /* a second CONNECT is ignored, the connection stays open */
    SIM_Q_SESSION_PRESENT_ON_CLEAN,   /* Session Present 1 when CleanSession / Clean Start 1 discarded a session */
    SIM_Q_TAKEOVER_KEEPS_OLD,         /* takeover leaves the old connection open until it sends something */
    SIM_Q_DISCONNECT_EXPIRY_IGNORED,  /* 5.0: a Session Expiry Interval in DISCONNECT is ignored */
    /* wills and expiry */
    SIM_Q_WILL_RETAIN_IGNORED,        /* the Will is published with RETAIN 0 and not stored */
    SIM_Q_WILL_QOS_IGNORED,           /* the Will is published at QoS 0 whatever its Will QoS */
    SIM_Q_WILL_DELAY_IGNORED,         /* 5.0: the Will is published at once, whatever its Will Delay Interval */
    SIM_Q_MESSAGE_EXPIRY_IGNORED,     /* 5.0: Message Expiry Interval ignored and not forwarded */
    /* lenient parsing (malformed input let through) */
    SIM_Q_LENIENT_RESERVED_FLAGS,     /* a packet whose only fault is its reserved flags is ignored */
    SIM_Q_LENIENT_FIXED_LENGTH,       /* a fixed-size packet with a wrong remaining length is taken or ignored */
    SIM_Q_IGNORES_SERVER_PACKETS,     /* CONNACK, SUBACK, UNSUBACK, PINGRESP from a client are ignored */
    SIM_Q_UNEXPECTED_AUTH_IGNORED,    /* 5.0: AUTH without an Authentication Method in CONNECT is ignored */
    /* MQTT over WebSocket (ws:// and wss:// listeners only) */
    SIM_Q_WS_ACCEPT_TEXT,             /* text frames carry MQTT like binary ones */
    SIM_Q_WS_FRAME_ALIGNED,           /* a data frame must hold exactly one MQTT packet */
    SIM_Q_WS_NO_PROTOCOL,             /* the handshake answer names no subprotocol */
    /* planted crashes (the sim runs in-process: it imitates a dead broker instead of exiting) */
    SIM_Q_CRASH_ON_CLIENT_CONNACK,    /* a CONNACK from a client: close every listener and connection */
    /* 5.0 enhanced authentication and problem information */
    SIM_Q_AUTH_METHOD_OMITTED,        /* CONNACK / AUTH 0x00 ending an authentication lack the method */
    SIM_Q_REAUTH_FAILURE_KEPT_OPEN,   /* a failed re-authentication leaves the connection open */
    SIM_Q_REFUSED_CONNECT_PROCESSED,  /* after an authentication refusal the connection stays open and is served */
    SIM_Q_AUTH_METHOD_UNCHECKED,      /* an AUTH naming another method is ignored */
    SIM_Q_REFUSAL_DISCONNECT,         /* a refused CONNECT's CONNACK is followed by a DISCONNECT */
    SIM_Q_AUTH_METHOD_UNASKED,        /* CONNACK names an Authentication Method the CONNECT did not */
    SIM_Q_PROBLEM_INFO_IGNORED,       /* Request Response / Problem Information 0 ignored */
    SIM_Q_RESPONSE_PROPS_DROPPED,     /* Response Topic and Correlation Data not forwarded */
    SIM_Q_LENIENT_UTF8,               /* a PUBLISH with an ill-formed UTF-8 string is ignored, not closed on */
    /* 5.0 shared subscriptions */
    SIM_Q_SHARED_EVERY_MEMBER,        /* a message goes to every member of a shared subscription */
    SIM_Q_SHARED_FIRST_MEMBER_QOS,    /* every member gets the QoS granted to the group's first member */
    SIM_Q_SHARED_REJECTED_REDELIVERED, /* a message a member refused (0x80+) goes to another member */
    SIM_Q_SHARED_MOVED_ON_DROP,       /* an unfinished delivery goes to another member when the connection drops */
    SIM_Q_SHARED_MOVED_ON_SESSION_END, /* an unfinished QoS 2 delivery goes to another member when the session ends */
    SIM_Q_SHARED_LENIENT_NAMES,       /* "$share//f" and "$share/name" are granted as shared subscriptions */
    /* 5.0 features announced missing, then mishandled */
    SIM_Q_MAXIMUM_QOS_LAX,            /* Maximum QoS 1 announced, yet a Will QoS 2 is taken and QoS 2 SUBSCRIBE refused */
    SIM_Q_NO_RETAIN_WILL_ACCEPTED,    /* Retain Available 0 announced, yet a Will Retain 1 is taken */
    SIM_Q_MAXIMUM_QOS_UNANNOUNCED,    /* QoS 2 PUBLISH refused with DISCONNECT 0x9B, no Maximum QoS in CONNACK */
    /* flow control, ordering, packet identifiers, subscription identifiers */
    SIM_Q_REORDER,                    /* a publisher's consecutive messages routed with every pair swapped */
    SIM_Q_RECEIVE_MAXIMUM_IGNORED,    /* 5.0: the client's Receive Maximum is not honoured */
    SIM_Q_QUOTA_FREED_AT_PUBREC,      /* 5.0: a QoS 2 delivery stops counting against Receive Maximum at PUBREC */
    SIM_Q_FLOW_BLOCKS_REPLIES,        /* 5.0: no PINGRESP / SUBACK / UNSUBACK / PUBACK while the send quota is 0 */
    SIM_Q_PACKET_ID_IN_USE,           /* every QoS 1/2 delivery uses packet identifier 1, in flight or not */
    SIM_Q_SUB_ID_DROPPED,             /* 5.0: deliveries carry no Subscription Identifier */
    SIM_Q_SUB_ID_WRONG,               /* 5.0: deliveries carry each Subscription Identifier plus one */
    SIM_Q_SUB_ID_UNSOLICITED,         /* 5.0: a subscription without an identifier delivers with identifier 1 */
    SIM_Q_REJECTED_RETRANSMITTED,     /* 5.0: a delivery refused with PUBACK / PUBREC >= 0x80 stays in flight */
    SIM_Q_REJECTED_ID_KEPT,           /* 5.0: after PUBREC >= 0x80 its packet id still awaits PUBREL */
    SIM_Q_UNSUBSCRIBE_ABANDONS,       /* UNSUBSCRIBE drops deliveries in flight on the removed filter */
    SIM_Q_INFLIGHT_EXPIRED,           /* 5.0: Message Expiry applied to QoS 2 deliveries already sent */
    SIM_Q_EXPIRED_QOS2_UNCOMPLETED,   /* 5.0: PUBREL of an expired inbound QoS 2 message gets no PUBCOMP */
    /* 5.0 Topic Alias and Maximum Packet Size */
    SIM_Q_TOPIC_ALIAS_OUT_UNLIMITED,  /* aliases towards every 5.0 client, up to our own maximum, not the client's */
    SIM_Q_TOPIC_ALIAS_MAXIMUM_IGNORED, /* a client's alias above our Topic Alias Maximum is taken */
    SIM_Q_TOPIC_ALIAS_ZERO_ACCEPTED,  /* a client's PUBLISH with Topic Alias 0 is taken as if it had no alias */
    SIM_Q_TOPIC_ALIAS_OFF_BY_ONE,     /* a client's alias equal to our Topic Alias Maximum is refused */
    SIM_Q_TOPIC_ALIAS_KEPT,           /* a client's aliases survive into its next connection */
    SIM_Q_MAX_PACKET_SIZE_IGNORED,    /* packets above the client's Maximum Packet Size are sent anyway */
    SIM_Q_OVERSIZE_MESSAGE_KEPT,      /* a message too big for the client stays queued, blocking the ones after it */
    SIM_Q_ACK_PROPERTIES_OVERSIZE,    /* acks carry a Reason String and User Property even past the client's limit */
    /* strings, topics, connecting (appended: keep the order of the rows above) */
    SIM_Q_TOPIC_BOM_STRIPPED,         /* EF BB BF (U+FEFF) removed from PUBLISH Topic Names */
    SIM_Q_TOPIC_CASE_FOLDED,          /* subscription matching ignores ASCII case */
    SIM_Q_ANY_PROTOCOL_NAME,          /* a CONNECT is accepted whatever its protocol name */
    SIM_Q_PROCESSES_AFTER_REFUSAL,    /* PUBLISHes sent behind a refused CONNECT are still published */
    SIM_Q_RETAIN_QOS0_KEEPS_OLD,      /* a retained QoS 0 PUBLISH leaves an earlier retained message in place */
    SIM_Q_RETAIN_ENDS_WITH_SESSION,   /* retained messages are discarded when their publisher's session ends */
    SIM_Q_WILL_OUTLIVES_CONNECT,      /* a CONNECT with Will Flag 0 reuses the session's earlier Will */
    SIM_Q_LENIENT_WILL_FLAGS,         /* a CONNECT with Will QoS / Will Retain but Will Flag 0 is accepted */
    SIM_Q_REFUSAL_LEFT_OPEN,          /* after a refusing CONNACK the connection is left open */
    SIM_Q_DENIED_PUBLISH_UNANSWERED,  /* an unauthorized QoS 1/2 PUBLISH is neither acknowledged nor closed on */
    SIM_Q_SESSION_EXPIRY_FROM_CONNECT, /* 5.0: the Session Expiry Interval counts from CONNECT, not from the close */
    SIM_Q_UNSUBSCRIBE_DROPS_INFLIGHT, /* UNSUBSCRIBE abandons deliveries in flight that matched the filter */
    /* delivery guarantees across reconnects (what `mqttspec chaos` must catch) */
    SIM_Q_CHAOS_LOSE_ACKED_QOS1,      /* on resume, every 10th QoS 1 message queued while away is dropped */
    SIM_Q_CHAOS_QOS2_DUP_ON_RECONNECT, /* on resume, an interrupted QoS 2 delivery is also sent again as new */
    SIM_Q_CHAOS_SHARED_LOSE,          /* every 5th QoS 1 message routed to a shared group reaches no member */
    SIM_Q_CRASH_ON_MALFORMED,         /* a malformed packet: exit(1) (planted.c) */
    SIM_Q_ABORT_ON_DOLLAR_PUBLISH,    /* a client PUBLISH to a $-topic: abort() */
    SIM_Q_DEEP_TOPIC_RECURSION,       /* one stack frame per topic level: deep topics overflow the stack */
    SIM_Q_LEAK_QOS2_RESEND,           /* 1 MB leaked per QoS 2 PUBLISH resent before its PUBREL (process only) */
    SIM_Q_ALLOC_ANNOUNCED_LENGTH,     /* before CONNECT, the announced Remaining Length is allocated and kept */
    SIM_Q_LEAK_WILL_PROPERTY,         /* 1 MB leaked per CONNECT refused for a bad Will property (process only) */
    SIM_Q_COUNT
} sim_quirk_id;

/* One bit per sim_quirk_id (at most 128).  A 128-bit integer (gcc and clang on 64-bit
 * targets) keeps set, test and union plain operators; past 128 quirks this becomes an array. */
__extension__ typedef unsigned __int128 sim_quirk_set;
#define SIM_QUIRK_BIT(q) ((sim_quirk_set)1u << (q))

typedef struct sim_quirk_info {
    const char *name;        /* "qos2-as-puback": what --quirk takes */
    const char *statements;  /* the statements it breaks, "3.1.1:MQTT-4.3.3-2 5.0:MQTT-4.3.3-8" */
    const char *description; /* one sentence */
} sim_quirk_info;

/* The table entry of q; NULL if q is out of range. */
const sim_quirk_info *sim_quirk_info_of(sim_quirk_id q);
/* The quirk called name, or -1. */
int sim_quirk_by_name(const char *name);
/* A planted bug (crash, leak: docs/robustness.md) rather than a deviation from a statement. */
bool sim_quirk_is_planted(sim_quirk_id q);

/* ---- variants: unusual behaviours the specification allows ---- */

/* Where a quirk breaks a rule (every scenario set must catch it), a variant
 * takes a liberty the specification grants (every scenario must accept it:
 * PASS, or SKIP naming the optional capability that is missing). */
typedef enum sim_variant_id {
    SIM_V_INFLIGHT_1,                /* at most one unacknowledged QoS 1/2 PUBLISH towards each client */
    SIM_V_MAX_QOS_1,                 /* grants QoS 1 at most; 5.0: Maximum QoS 1 in CONNACK */
    SIM_V_NO_RETAIN,                 /* 5.0: Retain Available 0 */
    SIM_V_NO_WILDCARDS,              /* wildcard filters refused (3.1.1 0x80); 5.0: Wildcard Subscription Available 0 */
    SIM_V_NO_SUBSCRIPTION_IDS,       /* 5.0: Subscription Identifiers Available 0 */
    SIM_V_SESSION_EXPIRY_OVERRIDE,   /* 5.0: CONNACK caps the Session Expiry Interval */
    SIM_V_KEEP_ALIVE_OVERRIDE,       /* 5.0: CONNACK Server Keep Alive twice the client's */
    SIM_V_WRONG_PROTOCOL_NAME_311,   /* a CONNECT not named MQTT gets a 3.1.1 CONNACK 1, then a close */
    SIM_V_QOS2_FORWARD_AT_PUBREL,    /* inbound QoS 2 delivered at PUBREL (4.3.3 method A) */
    SIM_V_CLOSE_WITHOUT_DISCONNECT,  /* 5.0: close without a DISCONNECT first */
    SIM_V_NO_ENHANCED_AUTH,          /* 5.0: every Authentication Method refused with CONNACK 0x8C */
    SIM_V_PROBLEM_INFO,              /* 5.0: Response Information and Reason Strings wherever the client allows */
    SIM_V_SHARED_FIRST_MEMBER,       /* 5.0: a shared subscription's messages go to its first connected member */
    SIM_V_NO_SHARED,                 /* 5.0: Shared Subscription Available 0 */
    SIM_V_MAX_QOS_0,                 /* grants QoS 0 only; 5.0: Maximum QoS 0 in CONNACK */
    SIM_V_COPY_PER_SUBSCRIPTION,     /* overlapping subscriptions: one copy per matching subscription */
    SIM_V_TOPIC_ALIAS_OUT,           /* 5.0: Topic Aliases towards clients that allow them */
    SIM_V_ACK_PROPERTIES,            /* 5.0: acks carry a Reason String and a User Property where they fit */
    SIM_V_COUNT
} sim_variant_id;

typedef uint32_t sim_variant_set; /* one bit per sim_variant_id (at most 32) */
#define SIM_VARIANT_BIT(v) ((sim_variant_set)1u << (v))

typedef struct sim_variant_info {
    const char *name;        /* "inflight-1": what --variant takes */
    const char *allowed_by;  /* statements or sections that allow it, "3.1.1:4.6 5.0:MQTT-3.3.4-9" */
    const char *quote;       /* the sentence of the specification that allows it */
    const char *description; /* one sentence: what the sim does */
    const char *lacks;       /* capabilities (scenario "requires" names) a probe finds missing, space-separated,
                              * each for every version ("qos2") or one ("5.0:retain"); "" none */
} sim_variant_info;

/* The table entry of v; NULL if v is out of range. */
const sim_variant_info *sim_variant_info_of(sim_variant_id v);
/* The variant called name, or -1. */
int sim_variant_by_name(const char *name);

/* ---- configuration ---- */

#define SIM_MAX_LISTENERS 8

typedef struct sim_listener_config {
    const char *url;      /* mqtt://HOST:PORT or mqtts://HOST:PORT; port 0 picks a free one */
    const char *certfile; /* mqtts: the server certificate and key */
    const char *keyfile;
    const char *cafile;   /* mqtts: if set, clients must present a certificate it signed */
    sim_quirk_set quirks; /* quirks of connections accepted here */
    sim_variant_set variants; /* legal variants of connections accepted here (set after add_listener) */
} sim_listener_config;

typedef struct sim_config {
    sim_listener_config listeners[SIM_MAX_LISTENERS];
    size_t n_listeners;
    uint16_t server_keep_alive;   /* 5.0: announce and enforce this Server Keep Alive; 0: the client's */
    uint16_t topic_alias_maximum; /* 5.0: Topic Alias Maximum announced in CONNACK; 0: no aliases */
    uint32_t max_packet_size;     /* largest packet accepted (5.0: announced in CONNACK) */
    /* An access rule: PUBLISH to this Topic Name is not authorized (3.1.1 MQTT-3.3.5-2: acknowledged normally,
     * not delivered; 5.0: PUBACK / PUBREC 0x87 Not authorized); NULL: everything is allowed. */
    const char *denied_topic;
    FILE *log;                    /* one line per packet and event; NULL: silent */
    /* Per session: messages towards the client, queued or in flight, at most.  At the bound a new QoS 0
     * message for it is dropped, and so is a QoS 1/2 one, whose arrival also disconnects a connected slow
     * consumer (5.0: DISCONNECT 0x97 Quota exceeded).  The session's queue stays as it was. */
    uint32_t max_queued_messages;
    uint64_t max_queued_bytes; /* the same bound on the payload bytes of those messages */
    /* 5.0 enhanced authentication: the one user of the SCRAM-SHA-256 method (never printed). */
    const char *auth_user;
    const char *auth_password;
    /* Planted crash quirks really crash the process (abort, stack overflow, exit): `mqttspec sim`, a
     * broker of its own.  false (embedded): they close every listener and connection instead. */
    bool real_crashes;
} sim_config;

/* The SCRAM-SHA-256 user of a sim whose configuration names none (`mqttspec run` defaults to it too). */
#define SIM_DEFAULT_AUTH_USER "mqttspec"
#define SIM_DEFAULT_AUTH_PASSWORD "mqttspec-scram"


/* Defaults: no listener, no Server Keep Alive, 10 topic aliases, 16 MiB packets, no log, at most 1000
 * messages and 64 MiB queued per session, the SIM_DEFAULT_AUTH_* SCRAM user. */
void sim_config_init(sim_config *cfg);
/* Append a listener; false if the table is full.  TLS files may be NULL for mqtt://. */
bool sim_config_add_listener(sim_config *cfg, const char *url, const char *certfile, const char *keyfile,
                             sim_quirk_set quirks);

/* ---- running ---- */

typedef struct sim_broker sim_broker;

/* Open every listener and start the event loop on its own thread.
 * NULL on failure, with the reason in err ("mqtt://127.0.0.1:1: bind: Permission denied"). */
sim_broker *sim_start(const sim_config *cfg, char *err, size_t err_cap);
/* The TCP port listener i (in configuration order) is bound to; -1 if there is none. */
int sim_port(const sim_broker *b, size_t listener);
/* Stop the loop, close every connection (no Will is published) and free everything. */
void sim_stop(sim_broker *b);

/* ---- without sockets (fuzz targets and tests) ----
 *
 * The same broker driven by the caller, on no thread and no socket: each
 * connection's transport is an in-memory pipe.  sim_mem_feed hands bytes to
 * the connection as if the client had sent them, runs what they cause (and
 * the timers due), and sim_mem_take collects what the broker wrote to any
 * connection.  Timers run on the process clock (mqs_now_ms) plus the skew
 * given to sim_mem_advance, so a fuzz target can make keep-alives and
 * expiries fire without sleeping.  That skew is shared by every broker-sim
 * of the process: do not run a threaded one (sim_start) beside.
 */
typedef struct sim_mem sim_mem;
sim_mem *sim_mem_new(const sim_config *cfg); /* listeners in cfg are ignored; NULL if out of memory */
/* A new client connection (as if accepted); its number, or -1 past SIM_MEM_MAX_CONNS. */
int sim_mem_connect(sim_mem *m, sim_quirk_set quirks);
#define SIM_MEM_MAX_CONNS 8
/* Bytes from client n; false if that connection is closed (or n is not one). */
bool sim_mem_feed(sim_mem *m, int n, const uint8_t *data, size_t len);
/* The client of connection n closes its side. */
void sim_mem_hangup(sim_mem *m, int n);
/* Move the broker's clock forward by ms and run the timers that come due. */
void sim_mem_advance(sim_mem *m, int64_t ms);
/* What the broker wrote to connection n since the last call, up to cap bytes; *closed: the broker closed it. */
size_t sim_mem_take(sim_mem *m, int n, uint8_t *out, size_t cap, bool *closed);
void sim_mem_free(sim_mem *m);

#ifdef __cplusplus
}
#endif
#endif
