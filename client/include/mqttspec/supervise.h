/*
 * A supervised broker: `mqttspec run --broker-cmd` and `mqttspec fuzz
 * --broker-cmd` start the broker under test themselves and watch the process
 * (docs/robustness.md, docs/fuzzing.md).  It lives beside the engine because
 * both the runner (client/) and the network fuzzer (fuzz/net/, which links
 * the engine) use it.
 *
 *   mqs_sup *s = mqs_sup_start(&opts, err, sizeof err);  // listening on return
 *   ... connect to 127.0.0.1:mqs_sup_port(s) ...
 *   mqs_sup_check(s, why, sizeof why);                    // crashed? sanitizer? memory?
 *   mqs_sup_restart(s, err, sizeof err);                  // a fresh broker, same port
 *   mqs_sup_stop(s);                                      // its whole process group
 *
 * The command runs through /bin/sh -c in a process group of its own (so a
 * Ctrl-C on our terminal does not reach it and stopping it stops all it
 * started); `{port}` in it becomes a free loopback port.  Its stdout and
 * stderr go to OUT_DIR/broker-N.out and OUT_DIR/broker-N.err, N counting
 * the starts.
 */
#ifndef MQTTSPEC_SUPERVISE_H
#define MQTTSPEC_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mqs_sup_opts {
    const char *cmd;     /* shell command; every "{port}" is replaced by the port */
    const char *out_dir; /* where broker-N.out / broker-N.err go (created); NULL: "." */
    int ready_ms;        /* how long the broker may take to accept a connection (default 10000) */
    long rss_bound_kb;   /* RSS growth within one window that is a finding; 0: not watched */
    int rss_window_ms;   /* that window (default 10000) */
} mqs_sup_opts;

typedef struct mqs_sup mqs_sup;

/* What mqs_sup_check saw. */
typedef enum mqs_sup_state {
    MQS_SUP_RUNNING = 0,   /* nothing to report */
    MQS_SUP_EXITED = 1,    /* the process ended (status or signal in the text) */
    MQS_SUP_SANITIZER = 2, /* a sanitizer report in its stderr, even if it still runs */
    MQS_SUP_RSS = 3,       /* its memory grew past the bound within one window */
} mqs_sup_state;

/* Start it and wait until it accepts a TCP connection; NULL with err set if it does not. */
mqs_sup *mqs_sup_start(const mqs_sup_opts *o, char *err, size_t cap);
int mqs_sup_port(const mqs_sup *s);
pid_t mqs_sup_pid(const mqs_sup *s);
unsigned mqs_sup_starts(const mqs_sup *s); /* 1 after start, +1 per restart */
const char *mqs_sup_stderr_path(const mqs_sup *s);

/* Look at the process without waiting; why says what happened (state != RUNNING).  A state is
 * reported once per broker instance: an exit after a sanitizer report comes back as EXITED later. */
mqs_sup_state mqs_sup_check(mqs_sup *s, char *why, size_t cap);
/* Is the process still there (reaps it if not)? */
bool mqs_sup_alive(mqs_sup *s);
/* Wait up to ms for the process to end by itself (a sanitizer writing its report); true if it ended. */
bool mqs_sup_wait_exit(mqs_sup *s, int ms);
/* The first lines of the sanitizer report of this instance (or, without one, the last lines of its
 * stderr), at most max_lines, joined by "\n"; "" when stderr is empty. */
void mqs_sup_report(mqs_sup *s, char *buf, size_t cap, int max_lines);
/* The resident set of its process group, in KB (/proc/PID/status VmRSS summed); -1 if unknown. */
long mqs_sup_rss_kb(const mqs_sup *s);
/* Growth of that resident set since this instance accepted its first connection, in KB; 0 if unknown. */
long mqs_sup_rss_growth_kb(const mqs_sup *s);
/* Resident set of one process in KB; -1 if unknown. */
long mqs_proc_rss_kb(pid_t pid);

/* Stop this instance (its process group: SIGTERM, then SIGKILL) and start a new one on the same port. */
int mqs_sup_restart(mqs_sup *s, char *err, size_t cap);
/* From now on SIGINT, SIGTERM and SIGHUP kill the current broker's process group, then us (for commands
 * without a graceful interrupt, such as fuzz). */
void mqs_sup_stop_on_signals(void);
/* Stop it and free s (NULL-safe). */
void mqs_sup_stop(mqs_sup *s);

#ifdef __cplusplus
}
#endif
#endif
