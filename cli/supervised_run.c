/* The supervised run: see supervised_run.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervised_run.h"

#define SRUN_SLOTS 128      /* cases measured at once (jobs are at most 64) */
#define SRUN_RESTARTS 100   /* crashes a run may survive */
#define SRUN_REPORT_LINES 6 /* of the broker's report, in a CRASHED case's message */
#define SRUN_EXIT_WAIT_MS 3000 /* a sanitizer writes its report before the process ends */

struct srun {
    srun_opts o;
    mqs_sup *sup;
    pthread_mutex_t lock;
    struct {
        const mqs_case *c;
        long kb;
    } before[SRUN_SLOTS];
};

srun *srun_start(const srun_opts *o, char *url, size_t url_cap)
{
    srun *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->o = *o;
    pthread_mutex_init(&s->lock, NULL);
    if (o->broker_cmd) {
        char err[600];
        mqs_sup_opts so = {.cmd = o->broker_cmd, .out_dir = o->broker_out};
        if (!(s->sup = mqs_sup_start(&so, err, sizeof err))) {
            fprintf(stderr, "mqttspec: --broker-cmd: %s\n", err);
            srun_stop(s);
            return NULL;
        }
        snprintf(url, url_cap, "mqtt://127.0.0.1:%d", mqs_sup_port(s->sup));
        fprintf(stderr, "mqttspec: broker started (pid %d) on %s; its output in %s/\n", (int)mqs_sup_pid(s->sup), url,
                o->broker_out);
    }
    return s;
}

static long broker_rss(const srun *s)
{
    if (s->sup)
        return mqs_sup_rss_kb(s->sup);
    return s->o.broker_pid ? mqs_proc_rss_kb(s->o.broker_pid) : -1;
}

/* The memory oracle: RSS before and after the case; growth past the bound makes a PASS a WARN (no
 * statement of either specification bounds a server's memory, so never a FAIL). */
static void case_hook(void *ctx, mqs_case *c, bool after)
{
    srun *s = ctx;
    long kb = broker_rss(s);
    pthread_mutex_lock(&s->lock);
    long before = -1;
    for (int i = 0; i < SRUN_SLOTS; i++) {
        if (!after && !s->before[i].c) {
            s->before[i].c = c;
            s->before[i].kb = kb;
            break;
        }
        if (after && s->before[i].c == c) {
            before = s->before[i].kb;
            s->before[i].c = NULL;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (!after || before < 0 || kb < 0)
        return;
    char note[200];
    snprintf(note, sizeof note, "broker RSS %ld KB before the case, %ld KB after (%+ld KB)", before, kb, kb - before);
    mqs_case_event(c, c->duration_ms, MQS_EV_NOTE, NULL, note, NULL, 0);
    if (s->o.rss_bound_kb > 0 && kb - before > s->o.rss_bound_kb && c->verdict == MQS_PASS) {
        char msg[300];
        snprintf(msg, sizeof msg, "the broker's resident memory grew by %ld KB during this case (%ld KB -> %ld KB), "
                                  "beyond --rss-bound %ld KB (cases beside it in parallel count too: -j 1 to "
                                  "attribute it)",
                 kb - before, before, kb, s->o.rss_bound_kb);
        mqs_case_set(c, MQS_WARN, 0, NULL, msg);
    }
}

void srun_hook(srun *s, mqs_run_opts *opts)
{
    if (!s || (!s->sup && !s->o.broker_pid))
        return;
    opts->case_hook = case_hook;
    opts->case_hook_ctx = s;
}

/* "msg; the broker's report: line | line" for every CRASHED case of run not annotated yet. */
static void annotate_crashes(srun *s, mqs_run *run)
{
    char lines[1800], why[256], report[2100];
    mqs_sup_wait_exit(s->sup, SRUN_EXIT_WAIT_MS);
    mqs_sup_state st = mqs_sup_check(s->sup, why, sizeof why);
    if (st == MQS_SUP_SANITIZER) /* its first line is in the report below: say how the process ended */
        st = mqs_sup_check(s->sup, why, sizeof why);
    if (st == MQS_SUP_RUNNING || st == MQS_SUP_SANITIZER)
        snprintf(why, sizeof why, "the broker still runs");
    mqs_sup_report(s->sup, lines, sizeof lines, SRUN_REPORT_LINES);
    for (char *p = lines; *p; p++)
        if (*p == '\n')
            *p = '|';
    snprintf(report, sizeof report, "%s; %s", why, lines[0] ? lines : "nothing on its stderr");
    for (size_t i = 0; i < run->ncases; i++) {
        mqs_case *c = &run->cases[i];
        if (c->verdict != MQS_CRASHED || (c->message && strstr(c->message, "the broker's report:")))
            continue;
        size_t n = strlen(c->message ? c->message : "") + strlen(report) + 64;
        char *msg = malloc(n);
        if (!msg)
            continue;
        snprintf(msg, n, "%s; the broker's report: %s", c->message ? c->message : "target crashed", report);
        mqs_case_set(c, MQS_CRASHED, c->step, c->statement, msg);
        free(msg);
    }
}

static bool left_by_crash(const mqs_case *c)
{
    return c->verdict == MQS_NOT_RUN && c->message && strncmp(c->message, "target down", 11) == 0;
}

static mqs_case *find_case(mqs_run *run, const char *id, const char *version)
{
    for (size_t i = 0; i < run->ncases; i++)
        if (left_by_crash(&run->cases[i]) && strcmp(run->cases[i].id, id) == 0 &&
            strcmp(run->cases[i].version, version) == 0)
            return &run->cases[i];
    return NULL;
}

/* The scenarios of set restricted to the versions the crash left NOT RUN (shallow copies). */
static size_t left_set(const mqs_scenario_set *set, mqs_run *run, mqs_scenario_set *out)
{
    out->items = calloc(set->count ? set->count : 1, sizeof *out->items);
    out->count = 0;
    size_t cases = 0;
    for (size_t i = 0; out->items && i < set->count; i++) {
        mqs_scenario sc = set->items[i];
        sc.nversions = 0;
        for (int k = 0; k < set->items[i].nversions; k++)
            if (find_case(run, sc.id, mqtt_version_name(set->items[i].versions[k])))
                sc.versions[sc.nversions++] = set->items[i].versions[k];
        if (sc.nversions) {
            out->items[out->count++] = sc;
            cases += (size_t)sc.nversions;
        }
    }
    return cases;
}

/* Put the re-run's results in place of the NOT RUN cases they stand for. */
static void take_results(mqs_run *run, mqs_run *again)
{
    for (size_t k = 0; k < again->ncases; k++) {
        mqs_case *old = find_case(run, again->cases[k].id, again->cases[k].version);
        if (!old)
            continue;
        mqs_case tmp = *old;
        *old = again->cases[k];
        again->cases[k] = tmp; /* freed with again */
    }
}

void srun_finish(srun *s, const mqs_scenario_set *set, const mqs_filter *filter, unsigned versions,
                 const mqs_run_opts *opts, mqs_run *run)
{
    if (!s || !s->sup || !run->crash_case)
        return;
    annotate_crashes(s, run);
    for (int round = 0; round < SRUN_RESTARTS && !(opts->interrupted && opts->interrupted()); round++) {
        mqs_scenario_set left;
        size_t n = left_set(set, run, &left);
        char err[600];
        if (n == 0 || mqs_sup_restart(s->sup, err, sizeof err) < 0) {
            if (n)
                fprintf(stderr, "mqttspec: --broker-cmd: restart failed: %s\n", err);
            free(left.items);
            return;
        }
        fprintf(stderr, "mqttspec: broker restarted (pid %d, start %u): running the %zu cases left\n",
                (int)mqs_sup_pid(s->sup), mqs_sup_starts(s->sup), n);
        mqs_run again;
        memset(&again, 0, sizeof again);
        mqs_run_all(&left, filter, versions, opts, &again);
        bool crashed = again.crash_case != NULL;
        if (crashed)
            annotate_crashes(s, &again);
        take_results(run, &again);
        mqs_run_free(&again);
        free(left.items);
        if (!crashed)
            return;
    }
}

void srun_stop(srun *s)
{
    if (!s)
        return;
    mqs_sup_stop(s->sup);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
