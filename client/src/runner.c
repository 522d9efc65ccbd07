/* Running many cases in parallel: a fixed list of cases, workers taking the next one. */
#include <errno.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mqttspec/engine.h"

void mqs_run_opts_init(mqs_run_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* Cases mostly wait on the network and on timers, so many per core keep the run short. */
    opts->jobs = cores > 0 ? (int)cores * 8 : 8;
    if (opts->jobs > 64)
        opts->jobs = 64;
    opts->connect_timeout_ms = 5000;
    unsigned char r[4];
    if (RAND_bytes(r, sizeof r) != 1)
        memset(r, 0, sizeof r);
    snprintf(opts->run_tag, sizeof opts->run_tag, "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
}

bool mqs_target_reachable(const mqs_run_opts *opts, char *err, size_t err_cap)
{
    mqs_transport *t = mqs_transport_connect(&opts->target.url, &opts->target.tls,
                                             mqs_now_ms() + opts->connect_timeout_ms, err, err_cap);
    if (!t)
        return false;
    mqs_transport_drop(t);
    return true;
}

typedef struct job {
    const mqs_scenario *sc;
    mqtt_version v;
    mqs_case *out;
} job;

typedef struct pool {
    job *jobs;
    size_t njobs;
    atomic_size_t next;
    const mqs_run_opts *opts;
    FILE *out;               /* progress */
    int64_t t0;
    pthread_mutex_t lock;    /* guards what follows and the progress output, so lines never interleave */
    pthread_cond_t finished; /* a case finished */
    size_t done, failed;
} pool;

/* "[12/80] 2 failed, 3.4 s": the live line on a terminal, redrawn in place. */
static void draw_line(pool *p)
{
    fprintf(p->out, "\r\033[K[%zu/%zu] %zu failed, %.1f s", p->done, p->njobs, p->failed,
            (double)(mqs_now_ms() - p->t0) / 1000.0);
    fflush(p->out);
}

static void case_finished(pool *p, const mqs_case *c)
{
    pthread_mutex_lock(&p->lock);
    p->done++;
    p->failed += c->verdict == MQS_FAIL || c->verdict == MQS_ERROR;
    if (p->opts->progress == MQS_PROGRESS_LINE) {
        draw_line(p);
    } else if (p->opts->progress == MQS_PROGRESS_LOG) {
        fprintf(p->out, "[%zu/%zu] %-5s %s (%s) %.3f s\n", p->done, p->njobs, mqs_verdict_name(c->verdict), c->id,
                c->version, (double)c->duration_ms / 1000.0);
        fflush(p->out);
    }
    pthread_cond_signal(&p->finished);
    pthread_mutex_unlock(&p->lock);
}

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->njobs)
            return NULL;
        job *j = &p->jobs[i];
        mqs_run_case(j->sc, j->v, p->opts, (unsigned)i, j->out); /* NOT RUN at once after an interrupt */
        case_finished(p, j->out);
    }
}

/* Until every case is done; on a terminal the line's elapsed time keeps moving meanwhile. */
static void wait_all(pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->done < p->njobs) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        int rc = pthread_cond_timedwait(&p->finished, &p->lock, &until);
        if (rc == ETIMEDOUT && p->opts->progress == MQS_PROGRESS_LINE) /* a finished case drew it already */
            draw_line(p);
    }
    if (p->opts->progress == MQS_PROGRESS_LINE) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
    }
    pthread_mutex_unlock(&p->lock);
}

static bool version_selected(unsigned versions, mqtt_version v)
{
    return versions == 0 || (versions & (1u << v));
}

/* Does the k-th version of sc make a case of this run? */
static bool case_selected(const mqs_scenario *sc, int k, const mqs_filter *filter, unsigned versions)
{
    return sc->role == MQS_ROLE_CLIENT && mqs_scenario_selected(sc, filter) &&
           version_selected(versions, sc->versions[k]);
}

void mqs_run_all(const mqs_scenario_set *set, const mqs_filter *filter, unsigned versions,
                 const mqs_run_opts *opts, mqs_run *run)
{
    /* Allocate every case first: the array must not move while workers write into it. */
    size_t n = 0;
    for (size_t i = 0; i < set->count; i++)
        for (int k = 0; k < set->items[i].nversions; k++)
            if (case_selected(&set->items[i], k, filter, versions))
                n++;
    job *jobs = calloc(n ? n : 1, sizeof *jobs);
    size_t first = run->ncases;
    for (size_t i = 0, j = 0; i < set->count; i++)
        for (int k = 0; k < set->items[i].nversions; k++)
            if (case_selected(&set->items[i], k, filter, versions)) {
                mqs_run_add_case(run);
                jobs[j++] = (job){&set->items[i], set->items[i].versions[k], NULL};
            }
    for (size_t j = 0; j < n; j++)
        jobs[j].out = &run->cases[first + j];

    pool p = {.jobs = jobs, .njobs = n, .opts = opts, .out = opts->progress_out ? opts->progress_out : stderr,
              .t0 = mqs_now_ms()};
    atomic_init(&p.next, 0);
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.finished, NULL);
    int nthreads = opts->jobs < 1 ? 1 : opts->jobs;
    if ((size_t)nthreads > n)
        nthreads = n ? (int)n : 1;
    pthread_t *threads = calloc((size_t)nthreads, sizeof *threads);
    int started = 0;
    while (threads && started < nthreads && pthread_create(&threads[started], NULL, worker, &p) == 0)
        started++;
    if (started == 0) /* no thread at all: this one does the work (the started ones would share it) */
        worker(&p);
    wait_all(&p);
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    pthread_cond_destroy(&p.finished);
    pthread_mutex_destroy(&p.lock);
    free(threads);
    free(jobs);
}
