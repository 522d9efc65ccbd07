/*
 * `mqttspec run --broker-cmd CMD` / `--broker-pid PID` (docs/robustness.md):
 * the broker under test started and watched by us (mqttspec/supervise.h),
 * its memory measured around each case, and, after a crash, restarted so
 * the cases the crash left NOT RUN run against a fresh broker.
 */
#ifndef MQTTSPEC_CLI_SUPERVISED_RUN_H
#define MQTTSPEC_CLI_SUPERVISED_RUN_H

#include <stdbool.h>
#include <sys/types.h>

#include "mqttspec/engine.h"
#include "mqttspec/supervise.h"

typedef struct srun_opts {
    const char *broker_cmd; /* --broker-cmd, or NULL */
    const char *broker_out; /* --broker-out: the broker's stdout/stderr files */
    pid_t broker_pid;       /* --broker-pid, or 0 */
    long rss_bound_kb;      /* --rss-bound: growth during a case that is flagged (WARN); 0: only recorded */
} srun_opts;

typedef struct srun srun;

/* Start the broker (with broker_cmd); its URL in url.  NULL (message on stderr) if it does not come up. */
srun *srun_start(const srun_opts *o, char *url, size_t url_cap);
/* Let the run measure the broker's RSS around each case (opts->case_hook). */
void srun_hook(srun *s, mqs_run_opts *opts);
/*
 * After mqs_run_all: add the broker's report (sanitizer lines) to each CRASHED case; with a broker of
 * our own, restart it and run the cases the crash left NOT RUN, as often as it crashes (bounded).
 */
void srun_finish(srun *s, const mqs_scenario_set *set, const mqs_filter *filter, unsigned versions,
                 const mqs_run_opts *opts, mqs_run *run);
/* Stop the broker (if ours) and free s; NULL-safe. */
void srun_stop(srun *s);

#endif
