/* State of one running case, shared by the engine's files. */
#ifndef MQTTSPEC_ENGINE_INTERNAL_H
#define MQTTSPEC_ENGINE_INTERNAL_H

#include <cjson/cJSON.h>

#include "mqttspec/codec.h"
#include "mqttspec/engine.h"

#define MQS_MAX_CONNS 16
/*
 * Bounds on what one connection holds of the peer's input (docs/robustness.md):
 * the stream buffer starts small and grows on demand up to the max packet size
 * (--max-packet-size); the inbox holds at most MQS_INBOX_MAX_PACKETS packets and
 * max-packet-size bytes not yet consumed by a step; one case records at most
 * MQS_CASE_MAX_RECEIVED packets.  Past a bound the case is an ERROR naming it.
 */
#define MQS_STREAM_INITIAL (64u << 10)
#define MQS_INBOX_MAX_PACKETS 256u
#define MQS_CASE_MAX_RECEIVED 2000u
#define MQS_READ_BUDGET (256u << 10) /* bytes read per connection before the loop looks at its deadlines */
#define MQS_ARENA_CAP (1u << 20)  /* scratch for building packets to send */

typedef struct inbound {
    int64_t at;    /* ms since the case started */
    cJSON *json;   /* the packet in JSON form */
    char line[240]; /* one-liner */
    size_t raw_len; /* its size on the wire, counted against the inbox bound */
} inbound;

typedef struct conn {
    char name[24];
    mqs_transport *t; /* NULL when not open */
    uint8_t *storage;
    mqtt_stream stream;
    inbound *inbox;   /* received, not yet consumed by a step */
    size_t head, count, cap;
    bool closed;      /* the peer closed (or reset) the open transport */
    int64_t closed_at, last_sent_at;
    int64_t last_received_at; /* arrival of the last packet a step took from this connection */
    cJSON *last_connect; /* template of the last CONNECT, for reconnect */
    int keep_alive_s;    /* the keep-alive in force: CONNECT's, or the CONNACK's Server Keep Alive */
    bool connack_seen;   /* a CONNACK went over this transport (client role: arrived; server role: sent) */
    int level;           /* protocol level of the CONNECT on this transport (client role: the one we sent;
                            server role: the client's); 0: none yet, -1: not one we speak */
    size_t inbox_bytes;  /* raw bytes of the packets in the inbox */
    struct mqs_scram *scram; /* 5.0 SCRAM-SHA-256 exchange of the last connect's "auth" (auth.c); NULL: none */
    char *auth_password;     /* its password, for the client-final (never recorded) */
    char *auth_user;         /* its user, for a reconnect or a re-authentication */
    /* 5.0 limits we announced on this transport (limits.c): our CONNECT's (client role) or CONNACK's (server role) */
    bool limits_known;       /* that packet went out: from then on the peer is held to them */
    uint32_t our_max_packet; /* Maximum Packet Size; 0: none announced */
    uint16_t our_alias_max;  /* Topic Alias Maximum; 0: the peer may send no Topic Alias */
    cJSON **alias_topics;    /* the peer's Topic Aliases 1..our_alias_max: the "topic" member each stands for */
} conn;

typedef struct runctx {
    const mqs_scenario *sc;
    mqs_role role;         /* the side we play: client (to a broker) or server (to a client under test) */
    mqtt_version v;        /* server role: MQTT_VERSION_UNKNOWN until the client's first CONNECT */
    const mqs_run_opts *opts;
    mqs_case *res;
    int64_t t0;            /* CLOCK_MONOTONIC ms at start */
    int64_t hard_deadline; /* t0 + timeout_ms */
    conn conns[MQS_MAX_CONNS];
    int nconns;
    cJSON *captures;
    char prefix[96];
    char cid[24];
    int step_no;           /* 1-based index in the file */
    const cJSON *step;
    bool stop;             /* a FAIL, ERROR or SKIP decided the case (or the run was interrupted) */
    bool interrupted;      /* the run was interrupted while this case ran: it is NOT RUN */
    int accepts;           /* server role: accept steps run so far */
    uint8_t *arena;
    int64_t step_started; /* CLOCK_MONOTONIC ms when the current step began */
    bool waited_out;      /* the failure being reported is a wait that ran out */
    unsigned received;     /* packets received in this case, on every connection */
} runctx;

/* conn.c */
int64_t mqs_rel(const runctx *x);
/* How the codec reads what the peer sends us: as a server reads a client's packets, or the other way round. */
mqtt_role mqs_peer_role(const runctx *x);
conn *mqs_conn_get(runctx *x, const char *name);
bool mqs_conn_open(runctx *x, conn *c);
/* Server role: take the next client connection from the listener before the deadline.
 * 1 accepted, 0 nobody connected in time, -1 a harness error (the case is then ERROR). */
int mqs_conn_accept(runctx *x, conn *c, int64_t deadline);
void mqs_conn_drop(runctx *x, conn *c, bool orderly);
bool mqs_conn_send(runctx *x, conn *c, const uint8_t *raw, size_t len, const char *line);
/* Has the run been interrupted (opts->interrupted)?  Then the undecided case stops: x->stop and x->interrupted. */
bool mqs_case_interrupted(runctx *x);
/* Wait until c has a packet, is closed, or the deadline (absolute ms) passes. */
void mqs_conn_wait(runctx *x, conn *c, int64_t deadline);
/* Wait until one of cs has a packet or is closed, or the deadline passes: the index of the one whose first
 * waiting packet arrived earliest (else of a closed one), or -1. */
int mqs_conns_wait(runctx *x, conn *const *cs, int n, int64_t deadline);
/* Read whatever arrives on any connection until the deadline. */
void mqs_pump_until(runctx *x, int64_t deadline);
inbound *mqs_inbox_peek(conn *c);
/* A received packet's JSON as text for a report: a CONNECT's user name and password "<redacted>" (heap; NULL if out of memory). */
char *mqs_inbound_text(const runctx *x, const inbound *in);
void mqs_inbox_pop(conn *c);
void mqs_conns_free(runctx *x);

/* auth.c: 5.0 enhanced authentication played from a scenario (SCRAM-SHA-256) */
/* The step's "auth" connect field: start an exchange on c, the client-first into the CONNECT template's
 * properties; true if there is none.  False: the case is ERROR. */
bool mqs_auth_connect(runctx *x, conn *c, cJSON *tmpl);
/* {"auth": NAME, "server_first" | "server_final" | "reauthenticate"} */
bool mqs_step_auth(runctx *x, conn *c);
void mqs_auth_end(conn *c);
/* limits.c */
/* Forget the limits and the peer's Topic Aliases (a new transport, or the case is over). */
void mqs_limits_reset(conn *c);
/* We sent pkt at v on c: a CONNECT (client role) or CONNACK (server role) sets the limits the peer must keep. */
void mqs_limits_note_sent(runctx *x, conn *c, const mqtt_packet *pkt, mqtt_version v);
/* Hold a received packet to those limits (FAIL, false, when it breaks one); a PUBLISH's Topic Alias is
 * resolved into json's topic. */
bool mqs_limits_check_received(runctx *x, conn *c, const mqtt_packet *pkt, mqtt_version v, size_t raw_len,
                               cJSON *json);

/* engine.c */
/* Encode a packet given in JSON form (after substitution) and send it on c. */
bool mqs_send_json(runctx *x, conn *c, const cJSON *tmpl);
/* The current step failed (FAIL, or WARN for a "should" step): why, what was expected (may be NULL). */
bool mqs_step_fail(runctx *x, const char *field, const char *why, const cJSON *expected, const char *actual);
/* The statement that owes an answer of this packet type (CONNACK, SUBACK, PUBACK ...) at v, without the
 * version prefix; NULL for a type that answers nothing. */
const char *mqs_response_statement(int packet_type, mqtt_version v);
__attribute__((format(printf, 2, 3))) void mqs_case_error(runctx *x, const char *fmt, ...);
void mqs_case_fail_codec(runctx *x, conn *c, const mqtt_error *err);
/* Server role: the client's CONNECT named its protocol level; the first one decides the case's version
 * (the case SKIPs when the scenario does not accept it). */
void mqs_case_adopt_version(runctx *x, conn *c, int level);

#endif
