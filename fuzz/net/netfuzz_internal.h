/*
 * The parts of the network fuzzer (fuzz/net/), shared by its files and its
 * unit test (tests/test_netfuzz.c); callers use mqttspec/netfuzz.h.
 *
 * - Cases: a deterministic stream per (seed, stream, version): case i is a
 *   function of those four values only (nf_case_make), built from a valid
 *   template packet of one type, then mutated field-aware (struct fields
 *   before encoding, or string / length / property / flag fields located in
 *   the encoded bytes) and byte-wise (flips, truncation, duplication,
 *   remaining-length rewrites).
 * - Verdict: what the strict codec, as the server, says of the case bytes.
 * - Reaction: what the target did with them (carried on, closed, said
 *   nothing), what it answered.  nf_reaction_allowed says whether the
 *   specification allows that reaction to that verdict; a reaction it does
 *   not allow is a finding, identified by its signature.
 * - Findings are minimised against the target (nf_minimise, any oracle) and
 *   written as scenario files that `mqttspec run --scenarios DIR` replays.
 * - nf_run runs a whole campaign: N pipelined fuzz connections plus a probe
 *   connection that must keep answering PINGREQ (liveness).
 */
#ifndef MQTTSPEC_NETFUZZ_INTERNAL_H
#define MQTTSPEC_NETFUZZ_INTERNAL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "mqttspec/codec.h"
#include "mqttspec/netfuzz.h"

/* ---- a PRNG of our own (xoshiro256**, seeded by splitmix64): the same on every platform ---- */

typedef struct nf_rng {
    uint64_t s[4];
} nf_rng;

/* Seed from up to three numbers (seed, stream, index): equal inputs, equal sequences. */
void nf_rng_seed(nf_rng *r, uint64_t seed, uint64_t stream, uint64_t index);
uint64_t nf_rng_next(nf_rng *r);
uint32_t nf_rng_below(nf_rng *r, uint32_t n); /* 0..n-1; 0 when n == 0 */

/* ---- the codec's verdict on some bytes, read as the server ---- */

typedef enum nf_kind {
    NF_VALID = 0,       /* every packet in the bytes decodes */
    NF_MALFORMED = 1,   /* the codec rejects a packet: err */
    NF_STATE_ERROR = 2, /* decodes, but no state allows it: a second CONNECT, an AUTH nobody negotiated */
    NF_INCOMPLETE = 3,  /* the bytes end inside a packet: the target can only wait for more */
    NF_DISCONNECT = 4,  /* a DISCONNECT (valid): the target may close, nothing after it counts */
} nf_kind;

typedef struct nf_verdict {
    nf_kind kind;
    uint8_t type;         /* packet type (first byte >> 4) of the packet that decided */
    mqtt_err err;         /* NF_MALFORMED */
    uint32_t offset;      /* NF_MALFORMED: offset of the offending field in the bytes */
    uint32_t start;       /* offset of the deciding packet: the packets before it are valid (0 when valid) */
    uint32_t end;         /* end of the deciding packet's frame when it frames, else the length: what a
                             target reads after it is another packet's business */
    mqtt_version version; /* the level the rule was judged at (a CONNECT's own level) */
    uint16_t pingreqs;    /* complete PINGREQs before the deciding packet (all of them when valid):
                             each is answered by a PINGRESP of its own */
    uint8_t connect_bits; /* a malformed first CONNECT: which refusals its bytes also call for */
} nf_verdict;

/* nf_verdict.connect_bits: a CONNECT can break several rules; the server may act on any of them. */
#define NF_CB_LEVEL 0x01 /* the protocol level is not 3, 4 or 5 */
#define NF_CB_NAME 0x02  /* the protocol name is neither MQTT nor MQIsdp */
#define NF_CB_ELSE 0x04  /* malformed even at a supported level */
#define NF_CB_V31 0x08   /* MQTT 3.1 (MQIsdp, level 3): not judged, the codec applies 3.1.1's rules to it */
#define NF_CB_EMPTY_ID 0x10 /* 3.1.1: an empty client id with CleanSession 0, which calls for CONNACK 0x02 */

/*
 * Decode the bytes as they arrive at a server speaking `version` (first:
 * they open the connection, so they must start with its CONNECT).
 */
nf_verdict nf_judge(const uint8_t *p, size_t n, mqtt_version version, bool first);
const char *nf_kind_name(nf_kind k); /* "valid", "malformed", ... */

/* ---- cases ---- */

#define NF_CASE_CAP 73728 /* largest case: a 65 535-byte topic, floods of properties or filters, repeats */

struct mqs_scenario_set;

typedef struct nf_case {
    uint64_t index;       /* position in its stream */
    mqtt_version version; /* of the connection that carries it */
    bool first_connect;   /* the case is the connection's first packet (a CONNECT, mutated or not) */
    uint8_t template_type;
    char mutation[64];    /* what was done: "publish:string:utf8-surrogate+rl-nonminimal" */
    nf_verdict verdict;
    size_t len;
    uint8_t bytes[NF_CASE_CAP];
} nf_case;

typedef struct nf_bytes {
    uint8_t *p;
    size_t n;
} nf_bytes;

/* What a client of one scenario sends on one connection, its CONNECT first: where session cases start. */
typedef struct nf_session {
    char name[40]; /* the scenario's id, shortened */
    size_t npk;
    nf_bytes *pk;
} nf_session;

typedef struct nf_gen {
    uint64_t seed;
    unsigned stream;
    mqtt_version version;
    uint64_t next;         /* index of the next case nf_gen_next makes */
    char client_id[24];    /* of this stream's connections: "mqsfz" + seed + stream */
    char topic_base[48];   /* every topic of this stream starts with it */
    unsigned first_connect_pct; /* share of first-connect cases (default 4) */
    uint8_t *arena;        /* scratch for building packets (owned) */
    size_t arena_cap;
    nf_session *sessions;  /* from the scenario corpus (nf_gen_sessions), owned; none: no session cases */
    size_t nsessions;
    struct nf_case *tail;  /* scratch for the case that follows a session's packets */
} nf_gen;

/* 0, or -1 when out of memory.  version: MQTT_V311 or MQTT_V5. */
int nf_gen_init(nf_gen *g, uint64_t seed, unsigned stream, mqtt_version version);
void nf_gen_free(nf_gen *g);
/*
 * Session cases: every connection of every client-role scenario in set that runs at g's version, walked
 * with the stream's topic base and client id, becomes a session; a session case is a prefix of its
 * packets, sequence-mutated (a packet duplicated, dropped, swapped with the next, or repeated), followed
 * by an ordinary case, all on a connection of its own.  0, or -1 when out of memory.
 */
int nf_gen_sessions(nf_gen *g, const struct mqs_scenario_set *set);
void nf_sessions_free(nf_gen *g); /* by nf_gen_free */
/* The next case of the stream. */
void nf_gen_next(nf_gen *g, nf_case *out);
/* Case number `index` of the stream, whatever came before (nf_gen_next is nf_case_make of g->next++). */
void nf_case_make(nf_gen *g, uint64_t index, nf_case *out);
/* The valid CONNECT this stream's connections open with (client id: g->client_id + suffix). */
size_t nf_gen_connect(const nf_gen *g, const char *suffix, uint8_t *buf, size_t cap);

/* ---- the target's reaction ---- */


typedef struct nf_reaction {
    nf_react_kind kind;
    uint8_t answer;        /* type of the first packet that answers the case (PUBACK to a PUBLISH...), 0 none */
    int answer_code;       /* its reason code (SUBACK: the first failure code, else the first code), -1 none */
    bool suback_failure;   /* a SUBACK answer carried a code >= 0x80 */
    uint16_t answer_id;    /* its packet id */
    int connack_code;      /* CONNACK return / reason code, -1 none */
    int disconnect_code;   /* the target's 5.0 DISCONNECT reason code before the close, -1 none */
    bool target_malformed; /* the target sent bytes the codec rejects (client role) */
    mqtt_err target_err;
} nf_reaction;

void nf_reaction_init(nf_reaction *r);
/*
 * A packet the target sent while we wait for its reaction to a case whose deciding packet has culprit_type
 * and (when it carries one) packet identifier culprit_id (-1: none or unknown).  An acknowledgement counts
 * as an answer only if it carries that identifier: the others belong to other flows.
 */
void nf_reaction_packet(nf_reaction *r, uint8_t culprit_type, int culprit_id, const mqtt_packet *pkt);
/* The packet identifier in the first packet of p, read from its bytes as far as they go; -1 if none. */
int nf_packet_id(const uint8_t *p, size_t n);
const char *nf_react_name(nf_react_kind k); /* "continued", "closed", "silent" */

/* What the specification requires of the target for a verdict, as one of these. */
typedef enum nf_requirement {
    NF_REQ_NONE = 0,             /* nothing to judge (incomplete bytes, DISCONNECT) */
    NF_REQ_CONTINUE,             /* valid: accept and carry on (answer PINGREQ) */
    NF_REQ_CLOSE,                /* close; 5.0: a DISCONNECT >= 0x80 may come first */
    NF_REQ_CLOSE_NO_CONNACK,     /* 3.1.1 malformed CONNECT: close without CONNACK */
    NF_REQ_CONNACK_FAIL_OR_CLOSE, /* 5.0 malformed CONNECT: CONNACK >= 0x80 then close, or close */
    NF_REQ_CONNACK_1_CLOSE,      /* 3.1.1 unsupported level: CONNACK 0x01, then close */
    NF_REQ_LEVEL_5,              /* 5.0 unsupported level: CONNACK 0x01 or 0x84 then close, or close */
    NF_REQ_REFUSE_OR_CLOSE,      /* bad protocol name or level among other faults: close, or a refusing CONNACK
                                    then close (3.1.1: 1..5; 5.0: 0x01 or >= 0x80) */
    NF_REQ_CONNACK_2_CLOSE,      /* 3.1.1 empty client id with CleanSession 0: CONNACK 0x02, then close */
    NF_REQ_CLOSE_ANY_CONNACK,    /* a valid CONNECT then a protocol error: close, a CONNACK may come first */
    NF_REQ_SUBACK_FAIL_OR_CLOSE, /* bad Topic Filter syntax in SUBSCRIBE: a failure code, or close */
    NF_REQ_UNSUBACK_OR_CLOSE,    /* bad Topic Filter syntax in UNSUBSCRIBE: UNSUBACK, or close */
    NF_REQ_CONNACK,              /* a valid first CONNECT: some CONNACK (a SHOULD when refusing) */
} nf_requirement;

nf_requirement nf_required(const nf_verdict *v, bool first, mqtt_version version);
/* Does the specification allow this reaction?  may_close: the (valid) bytes give the receiver a licence
 * to close (nf_may_close), so a close is allowed too. */
bool nf_reaction_allowed(nf_requirement req, const nf_reaction *r, mqtt_version version, bool may_close);
/*
 * Do valid bytes give the receiver a licence to close the connection?  A string with a control character
 * or a non-character (3.1.1 section 1.5.3, 5.0 section 1.5.4: the receiver MAY close), a 5.0 Topic Alias
 * (the target's Topic Alias Maximum decides), a 5.0 payload announced as UTF-8 that is not (0x99), a
 * topic or filter of more than 256 levels (a topic the server does not accept), a QoS 1/2 PUBLISH repeating the packet id of an earlier one in the bytes (5.0: no resend on the same
 * connection, MQTT-4.4.0-1; 3.1.1: a reused id without DUP, MQTT-2.3.1-2).
 */
bool nf_may_close(const uint8_t *p, size_t n, mqtt_version version);

/* ---- signatures: what makes two findings the same ---- */

#define NF_TYPE_ANY 0xFF /* signature type of a batch not yet reduced to one packet: matches any type */

typedef struct nf_signature {
    uint8_t type;     /* packet type of the deciding packet (first byte >> 4), or NF_TYPE_ANY */
    nf_kind kind;
    mqtt_err err;
    nf_react_kind react;
    uint8_t answer;   /* first answer packet type, 0 none */
    bool target_malformed;
} nf_signature;

/* Same finding?  A signature of type NF_TYPE_ANY matches any type. */
bool nf_signature_match(const nf_signature *want, const nf_signature *got);
/* "publish-utf8-invalid-continued-puback" (lowercase, kebab-case). */
void nf_signature_name(const nf_signature *s, char *buf, size_t cap);

/* ---- reproducers and the minimiser ---- */


/*
 * What to send to reproduce a finding, on one connection:
 *   first_connect: packets[0] is the connection's first packet (no CONNECT of ours before it);
 *   culprit_last:  packets[0..n-2], PINGREQ, (answered), packets[n-1], PINGREQ;
 *   otherwise:     packets[0..n-1], PINGREQ.
 */
typedef struct nf_repro {
    mqtt_version version;
    bool first_connect;
    bool culprit_last;
    size_t npackets;
    nf_bytes packets[NF_REPRO_MAX];
} nf_repro;

void nf_repro_init(nf_repro *r, mqtt_version version, bool first_connect, bool culprit_last);
/* Append a copy; -1 when full or out of memory. */
int nf_repro_add(nf_repro *r, const uint8_t *p, size_t n);
int nf_repro_copy(nf_repro *dst, const nf_repro *src);
void nf_repro_free(nf_repro *r);
size_t nf_repro_bytes(const nf_repro *r);
/* The packet the reaction is judged on (the last one). */
const nf_bytes *nf_repro_culprit(const nf_repro *r);

/* Replays r against the target (or a model of it) and says what signature it shows; false if it could not run. */
typedef bool (*nf_oracle_fn)(void *ctx, const nf_repro *r, nf_signature *got);

/*
 * Shrink r while the oracle keeps showing a signature matching `want`:
 * drop whole packets (not the culprit), then remove byte ranges of each
 * packet, with the remaining length -- and a string or property length that
 * covers the range -- fixed up, or raw.  A candidate is sent to the oracle
 * only if the codec's verdict on it is unchanged.  At most max_tries oracle
 * calls; returns how many were made.
 */
int nf_minimise(nf_repro *r, const nf_signature *want, nf_oracle_fn oracle, void *ctx, int max_tries);

/* ---- findings ---- */

typedef struct nf_finding {
    nf_signature sig;
    nf_repro repro;
    nf_verdict verdict;   /* of the culprit */
    nf_reaction reaction;
    nf_requirement req;
    uint64_t seed;
    unsigned stream;
    uint64_t case_index;
    char mutation[64];
    size_t original_bytes; /* before minimisation */
    unsigned seen;         /* cases with this signature */
    int tries;             /* oracle calls the minimiser made */
    char replay[16];       /* verdict of `mqttspec run` on the written scenario ("FAIL"), "" if not run */
} nf_finding;

/* The scenario (JSON) that replays the finding: id "fuzz-<signature>-<seed>". */
cJSON *nf_finding_scenario(const nf_finding *f);
/* Write it to DIR/<id>.json (DIR is created); 0, or -1 with errno. */
int nf_finding_write(const nf_finding *f, const char *dir, char *path, size_t path_cap);
/* One line: id, version, packet, the codec's verdict, the reaction, what the spec requires. */
void nf_finding_summary(const nf_finding *f, char *buf, size_t cap);

/* ---- helpers of the files ---- */


/* Replace p[at, at+del) by ins[0, nins) within cap; returns the new length, or n unchanged if it does not fit. */
size_t nf_splice(uint8_t *p, size_t n, size_t cap, size_t at, size_t del, const uint8_t *ins, size_t nins);

/* The fixed header: type/flags byte, then a remaining length of 1..4 bytes (as many as carry a
 * continuation bit, at most 4).  *hdr: bytes of the fixed header; returns the value (0 if n < 2). */
uint32_t nf_read_rl(const uint8_t *p, size_t n, size_t *hdr);
/* Rewrite the remaining length so that it is the minimal encoding of the bytes after the header. */
size_t nf_fix_rl(uint8_t *p, size_t n, size_t cap);

/* Fields located in an encoded packet (by decoding it), for field-aware byte mutations. */
enum {
    NF_F_STR = 1,    /* off: the 2-byte length prefix; len: the string's length */
    NF_F_PROPS = 2,  /* off: the Property Length varint; len: the block's length */
    NF_F_PROPID = 3, /* off: a property identifier byte; len: 1 */
    NF_F_PID = 4,    /* off: a packet identifier; len: 2 */
    NF_F_OPTS = 5,   /* off: a subscription options byte; len: 1 */
    NF_F_CODE = 6,   /* off: a reason / return code byte; len: 1 */
    NF_F_FLAGS = 7,  /* off: CONNECT flags or CONNACK flags byte; len: 1 */
};
typedef struct nf_field {
    uint32_t off;
    uint32_t len;
    uint8_t kind;
} nf_field;
#define NF_MAX_FIELDS 96
typedef struct nf_fmap {
    nf_field f[NF_MAX_FIELDS];
    int n;
} nf_fmap;
/* Decode p (server role, then client role for server-only packets) and list its fields; n = 0 if it does not decode. */
void nf_map_fields(const uint8_t *p, size_t n, mqtt_version version, nf_fmap *m);

/* ---- crashes of a supervised target (netfuzz_crash.c) ---- */

/* What the fuzz connections wrote last, connection by connection, in the order they opened: replayed
 * exactly (fresh connections, raw bytes, our CONNECTs and fuzzed ones alike) it should crash the target. */
typedef struct nf_cconn {
    unsigned key;  /* which connection (as nf_crash_add_write's conn) */
    uint64_t last; /* when it was written to last (nf_crash.writes at the time) */
    mqtt_version version;
    size_t n, cap;
    nf_bytes *pk; /* packets as framed from the writes; a tail that does not frame is one piece */
} nf_cconn;
typedef struct nf_crash {
    uint64_t writes; /* writes added */
    size_t n, cap;
    nf_cconn *c;
} nf_crash;

/* Append a write to connection number conn (a new connection when conn differs from the last one's). */
int nf_crash_add_write(nf_crash *k, unsigned conn, mqtt_version v, const uint8_t *p, size_t n);
void nf_crash_free(nf_crash *k);
/* Write k as the scenario OUT/ID.json (why: what the target did; how: a sentence on what was done with k);
 * its path in path.  0, or -1 (path empty). */
int nf_crash_write(const nf_options *o, const nf_crash *k, const char *id, const char *why, const char *how,
                   char *path, size_t cap);
/* Minimise k against the supervised target (delta debugging over connections, packets, bytes), write it
 * as a scenario and the broker's report next to it; fills st->crash_*. */
void nf_crash_process(const nf_options *o, nf_crash *k, nf_stats *st);

/* ---- a client that stops reading while the target owes it acknowledgements (netfuzz_stall.c) ---- */

typedef struct nf_stall nf_stall;
/* Each write, before it is made (for replaying a crash): conn counts the stall's connections. */
typedef void (*nf_stall_log)(void *ctx, unsigned conn, const uint8_t *p, size_t n);
/* g: the stream whose client id ("s" appended), topic base and version it uses.  NULL when out of memory. */
nf_stall *nf_stall_new(const mqs_url *url, nf_gen *g, int hold_ms, nf_stall_log log, void *ctx, nf_stats *st);
/* Open, read the CONNACK, write, hold or drop: never blocks for more than a moment. */
void nf_stall_tick(nf_stall *s, int64_t now);
void nf_stall_stop(nf_stall *s); /* drop the connection, open no other */
void nf_stall_free(nf_stall *s);

/* mkdir -p; 0 or -1 with errno. */
int nf_mkdir_p(const char *dir);

/* The packet types that answer a packet of type t (PUBLISH: PUBACK, PUBREC), as a bit mask of 1 << type. */
unsigned nf_answer_mask(uint8_t t);

#endif
