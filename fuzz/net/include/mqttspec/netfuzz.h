/*
 * Network fuzzing of a live MQTT broker (mqttspec fuzz; docs/network-fuzzing.md):
 * what a caller needs to run a campaign.  How the campaign works -- case
 * streams, the codec's verdict, the reaction oracle, signatures, the
 * minimiser, findings as scenarios -- is fuzz/net/netfuzz_internal.h.
 */
#ifndef MQTTSPEC_NETFUZZ_H
#define MQTTSPEC_NETFUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mqttspec/transport.h"

struct mqs_scenario_set;

#ifdef __cplusplus
extern "C" {
#endif

/* Packets a reproducer holds: a batch (nf_options.batch) is at most one less, its culprit the last. */
#define NF_REPRO_MAX 64

/* What the target did with a case (nf_stats.reactions counts each). */
typedef enum nf_react_kind {
    NF_R_CONTINUED = 0, /* it answered the PINGREQ sent after the bytes: it carried on */
    NF_R_CLOSED = 1,    /* it closed the connection (maybe after DISCONNECT or CONNACK) */
    NF_R_SILENT = 2,    /* neither, within the wait */
} nf_react_kind;

/* ---- a supervised target (mqttspec fuzz --broker-cmd): the fuzzer asks the caller, who runs it ---- */

typedef struct nf_supervisor {
    void *ctx;
    /* Has the broker died, written a sanitizer report or grown past its memory bound?  why when true. */
    bool (*finding)(void *ctx, char *why, size_t cap);
    /* After a replay: did it do so again (waits up to wait_ms for a death or a report)? */
    bool (*reproduced)(void *ctx, int wait_ms);
    /* The broker's report (sanitizer lines, else the last lines of its stderr); key: its first line, which
     * tells one bug from another.  false if this key was minimised already (a duplicate). */
    bool (*report)(void *ctx, char *buf, size_t cap, char *key, size_t key_cap);
    /* Was the finding memory growth (the broker still runs)? */
    bool (*memory)(void *ctx);
    /* How much the broker's memory grew since it (re)started, in KB: a memory finding reproduces when a
     * replay grows it past the bound (with a margin) when the whole input did, else by half as much. */
    long (*growth_kb)(void *ctx);
    long memory_bound_kb; /* the growth that is a finding (--rss-bound); 0: not watched */
    /* A fresh broker at the same address; -1 if it does not come up. */
    int (*restart)(void *ctx, char *err, size_t cap);
} nf_supervisor;

/* ---- a campaign ---- */

typedef struct nf_options {
    mqs_url url;
    double duration_s;
    uint64_t seed;
    const char *out_dir;
    int connections;     /* fuzz connections (the probe is one more) */
    unsigned versions;   /* bitmask of 1 << mqtt_version */
    int batch;           /* valid cases pipelined before a PINGREQ (default 32) */
    int wait_ms;         /* for CONNACK and the batch's PINGRESP (default 2000) */
    int reaction_ms;     /* for the reaction to a judged case (default 1000) */
    int ping_ms;         /* probe PINGREQ period (default 200) */
    int hang_ms;         /* probe silence that makes a hang (default 5000) */
    int min_tries;       /* oracle calls per finding (default 300) */
    int min_seconds;     /* time the minimiser may spend per finding (default 20) */
    int max_findings;    /* findings minimised and written (default 50) */
    bool verify;         /* replay each written scenario with the engine (default true) */
    bool quiet;          /* no progress lines */
    FILE *out;           /* summary lines (stdout) */
    FILE *err;           /* progress (stderr) */
    const nf_supervisor *sup; /* NULL: the target is not ours to watch or restart */
    const struct mqs_scenario_set *sessions; /* client-role scenarios session cases start from; NULL: none */
    int stall_hold_ms;   /* a client that stops reading while owed acknowledgements holds each connection this
                            long (default 3000); 0: no such client */
} nf_options;

void nf_options_init(nf_options *o);

typedef struct nf_stats {
    double seconds;          /* fuzzing time (minimisation not included) */
    uint64_t cases;          /* cases written to the target */
    uint64_t valid;          /* of which the codec found valid */
    uint64_t judged;         /* cases whose reaction was judged one by one */
    uint64_t reactions[3];   /* of which: continued, closed, silent (nf_react_kind) */
    uint64_t bytes;          /* bytes written */
    uint64_t connections;    /* fuzz connections opened */
    uint64_t batches;        /* batches whose PINGRESP came back */
    uint64_t candidates;     /* reactions the spec does not allow (before de-duplication) */
    uint64_t stalls;         /* connections dropped for not answering within wait_ms */
    uint64_t stall_connections; /* the non-reading client's connections that got their CONNACK */
    uint64_t stall_bytes;    /* ... and the bytes the target took from them */
    uint64_t stall_full;     /* ... of which the target stopped taking bytes (socket full) */
    uint64_t probe_pings;    /* PINGRESPs the probe got */
    int64_t probe_max_ms;    /* slowest PINGRESP */
    unsigned signatures;     /* distinct signatures among the candidates */
    unsigned findings;       /* findings written */
    unsigned unreproduced;   /* signatures that did not reproduce on a fresh connection */
    bool liveness_failed;
    char liveness_why[256];
    char liveness_file[512];
    /* supervised: the crash minimised and written (crash_file), or why not (crash_file empty) */
    char crash_file[512];
    char crash_key[256];
    unsigned crash_conns, crash_packets; /* what the reproducer kept */
    size_t crash_bytes;
    unsigned crash_tries;
    bool crash_duplicate; /* the same report as a crash minimised before: not minimised again */
} nf_stats;

/* 0: no crash or hang (findings may exist); 1: liveness failed; -1: setup error (message on o->err). */
int nf_run(const nf_options *o, nf_stats *st);

#ifdef __cplusplus
}
#endif
#endif
