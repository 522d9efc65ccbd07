/*
 * The scenario engine: runs scenarios against a target and fills the result
 * model.  One case = one scenario at one protocol version.  Cases run in
 * parallel on worker threads; each case drives its connections from one
 * poll loop, and every wait has a deadline.
 *
 * Server-role scenarios ("role": "server") turn this around: the engine
 * listens, an MQTT client under test connects, and the case's version is the
 * one that client speaks.  They run one at a time on a listener the caller
 * opened (mqttspec sim --scenario), never in mqs_run_all.
 */
#ifndef MQTTSPEC_ENGINE_H
#define MQTTSPEC_ENGINE_H

#include "mqttspec/probe.h"
#include "mqttspec/result.h"
#include "mqttspec/scenario.h"
#include "mqttspec/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mqs_target {
    mqs_url url;
    mqs_tls_opts tls;
    const char *username; /* used by every connect that names none */
    const char *password;
    /* 5.0 enhanced authentication (connect steps with "auth"): the SCRAM-SHA-256 user and password */
    const char *auth_user;
    const char *auth_password;
} mqs_target;

/* How mqs_run_all shows progress on opts->progress_out. */
typedef enum mqs_progress {
    MQS_PROGRESS_NONE = 0,
    MQS_PROGRESS_LINE, /* a terminal: one live line (done/total, failures so far, elapsed), rewritten in place */
    MQS_PROGRESS_LOG,  /* a log (CI): one line per case as it finishes */
} mqs_progress;

typedef struct mqs_run_opts {
    mqs_target target;
    unsigned lacks;        /* capabilities the target lacks (--lacks): cases requiring one SKIP */
    const mqs_profile *profile; /* what the pre-flight probe found (or a saved profile); NULL: nothing known */
    int jobs;              /* parallel cases */
    mqs_progress progress;
    FILE *progress_out;    /* where progress goes (NULL: stderr) */
    /*
     * Polled by every wait of a case (at least every MQS_INTERRUPT_POLL_MS):
     * true once the run is interrupted (SIGINT/SIGTERM).  Cases in flight
     * stop where they are and, like the cases not started yet, are NOT RUN.
     * NULL: never interrupted.  Must be thread-safe (an atomic load).
     */
    bool (*interrupted)(void);
    bool show_credentials; /* record user names and passwords as sent, instead of redacted */
    const char *denied_topic; /* a Topic Name the target does not authorize PUBLISH to ({denied_topic}, the
                                 denied_topic capability); NULL: none known */
    char run_tag[16];      /* random, makes {prefix} and {cid} unique across runs */
    int connect_timeout_ms;
    mqs_listener *listener; /* server role: where the clients under test connect (not owned) */
    uint32_t max_packet_size; /* largest packet a case accepts from the peer (bytes, header included);
                                 0: MQS_MAX_PACKET_SIZE_DEFAULT.  Bigger is an ERROR naming this limit. */
    /* Tests and fuzz targets: the transport for connection conn_name instead of one to target.url
     * (e.g. mqs_transport_mem); NULL with err set to refuse.  NULL hook: the network. */
    mqs_transport *(*connect_hook)(void *ctx, const char *conn_name, char *err, size_t err_cap);
    void *connect_hook_ctx;
    /* Called by mqs_run_all on the worker just before (after = false) and just after (after = true) each
     * case runs, before its liveness check: the supervised run's memory oracle.  NULL: none. */
    void (*case_hook)(void *ctx, mqs_case *c, bool after);
    void *case_hook_ctx;
} mqs_run_opts;

enum { MQS_INTERRUPT_POLL_MS = 100 };
/* 16 MiB: far above what conformance scenarios send, small enough for 64 parallel cases (docs/robustness.md). */
#define MQS_MAX_PACKET_SIZE_DEFAULT (16u << 20)

/* Fill opts with defaults (jobs = cores, a fresh random run tag). */
void mqs_run_opts_init(mqs_run_opts *opts);

/*
 * Run one scenario at one version as case number `index` of the run.  A
 * server-role scenario ignores v (pass MQTT_VERSION_UNKNOWN): it waits on
 * opts->listener for the client under test and runs at the version of the
 * client's CONNECT.
 */
void mqs_run_case(const mqs_scenario *sc, mqtt_version v, const mqs_run_opts *opts, unsigned index, mqs_case *out);

/* Record the case as NOT RUN, with why (the target went down before it started). */
void mqs_case_not_run(const mqs_scenario *sc, mqtt_version v, const char *why, mqs_case *out);

/*
 * Run every selected client-role scenario at every selected version
 * (versions: bitmask of 1 << mqtt_version; 0 = all the scenario lists);
 * server-role scenarios are left out.  Cases come out in scenario order,
 * whatever order they finished in.  After a case that saw a close or
 * failed (and every few seconds) the target must still accept a connection:
 * if it does not, that case and those beside it are CRASHED, the rest NOT
 * RUN, and run->crash_* say which case and why.
 */
void mqs_run_all(const mqs_scenario_set *set, const mqs_filter *filter, unsigned versions,
                 const mqs_run_opts *opts, mqs_run *run);

/* Is the target reachable at all (a TCP/TLS connect)? err says why not. */
bool mqs_target_reachable(const mqs_run_opts *opts, char *err, size_t err_cap);

#ifdef __cplusplus
}
#endif
#endif
