/*
 * Running many cases: a fixed list of cases, workers taking the next one, in
 * three phases.  First every case in parallel, except those tagged
 * "isolated" (they may stall a broker that serialises its clients: a huge
 * remaining length, a flood); then those, one at a time; then, alone and one
 * at a time, every FAIL that a case beside it could explain: a wait that ran
 * out while the heartbeat connection saw the target stall.  A re-run that
 * passes makes the case INCONSISTENT (both attempts kept), never a FAIL.
 *
 * Liveness: a broker that crashes on a packet closes the connection, which a
 * case expecting a close would count as a PASS.  So after every case that
 * saw a close or did not pass (and at least every few seconds) the target
 * must still accept a connection.  If it does not, the cases in flight that
 * saw a close or failed are CRASHED, every case not started yet is NOT RUN,
 * and the run names the case the target went down in (settle_crash).
 */
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

#define ISOLATED_TAG "isolated"
#define STALL_MS 1000 /* a PINGRESP this late means the target stalled */
#define LIVENESS_EVERY_MS 3000 /* a case ending this long after the last check is followed by one */
#define LIVENESS_ATTEMPTS 3    /* a target is down only if this many checks in a row find no CONNACK */
#define LIVENESS_PAUSE_MS 300  /* between them: a busy target gets a moment */

/* A CRASHED case's own verdict, kept until the run decides whether the crash touched it (settle_crash). */
typedef struct own_verdict {
    mqs_verdict verdict;
    int step;
    char *statement, *message;
} own_verdict;

typedef struct job {
    const mqs_scenario *sc;
    mqtt_version v;
    mqs_case *out;
    unsigned index; /* makes {prefix} and {cid} unique to this case (and attempt) in the run */
    int64_t started, ended; /* mqs_now_ms when the case began and ended */
    bool crashed;    /* marked CRASHED; own holds what it said itself */
    own_verdict own;
} job;

/* Only a target seen alive in this run can crash: one that never answers (a saved profile, a hostile
 * peer) is left to the cases' own verdicts. */
typedef enum live_state {
    LIVE_UNKNOWN, /* not seen alive yet: the first check decides */
    LIVE_WATCHED, /* seen alive (the pre-flight, a check): a check that fails means it went down */
    LIVE_IGNORED, /* the first check got no answer: never alive, never checked again */
} live_state;

typedef struct pool {
    job *jobs;
    size_t njobs;   /* in this phase */
    size_t total;   /* shown in progress */
    atomic_size_t next;
    const mqs_run_opts *opts;
    FILE *out;               /* progress */
    int64_t t0;
    pthread_mutex_t lock;    /* guards what follows and the progress output, so lines never interleave */
    pthread_cond_t finished; /* a case finished */
    size_t done, failed;
    size_t target_done;      /* done when this phase is over */
    bool parallel;           /* this phase runs cases side by side */
    /* liveness: guarded by live_lock (one check at a time), down also read without it */
    live_state live;
    mqs_heartbeat *hb;
    mqtt_version live_v;     /* the version liveness checks speak */
    pthread_mutex_t live_lock;
    int64_t alive_at;        /* start of the last check that found the target up */
    int64_t down_at;         /* start of the check that found it down; 0 while up */
    atomic_bool down;
    char down_why[256];
    const mqs_case *found_after; /* the case whose check found the target down (compared, never read) */
    char found_id[128], found_version[8]; /* its id and version (the case may be a re-run's, freed since) */
} pool;

/* "[12/80] 2 failed, 3.4 s": the live line on a terminal, redrawn in place. */
static void draw_line(pool *p)
{
    fprintf(p->out, "\r\033[K[%zu/%zu] %zu failed, %.1f s", p->done, p->total, p->failed,
            (double)(mqs_now_ms() - p->t0) / 1000.0);
    fflush(p->out);
}

static void case_finished(pool *p, const mqs_case *c)
{
    pthread_mutex_lock(&p->lock);
    p->done++;
    p->failed += c->verdict == MQS_FAIL || c->verdict == MQS_ERROR || c->verdict == MQS_CRASHED;
    if (p->opts->progress == MQS_PROGRESS_LINE) {
        draw_line(p);
    } else if (p->opts->progress == MQS_PROGRESS_LOG) {
        fprintf(p->out, "[%zu/%zu] %-5s %s (%s) %.3f s\n", p->done, p->total, mqs_verdict_name(c->verdict), c->id,
                c->version, (double)c->duration_ms / 1000.0);
        fflush(p->out);
    }
    pthread_cond_signal(&p->finished);
    pthread_mutex_unlock(&p->lock);
}

/* ---- liveness ---- */

static bool saw_close(const mqs_case *c)
{
    for (size_t i = 0; i < c->nevents; i++)
        if (c->events[i].kind == MQS_EV_CLOSED)
            return true;
    return false;
}

/* A case the death of the target would show in: the peer closed a connection, or it did not pass. */
static bool suspect(const mqs_case *c)
{
    return saw_close(c) || c->verdict == MQS_FAIL || c->verdict == MQS_ERROR;
}

/* Does the target answer a CONNECT?  Only `attempts` failures in a row say no; an interrupt is not one. */
static bool target_alive(pool *p, int attempts, char *why, size_t cap)
{
    const mqs_run_opts *o = p->opts;
    mqs_probe_opts po = {.url = o->target.url, .tls = o->target.tls, .username = o->target.username,
                         .password = o->target.password, .timeout_ms = o->connect_timeout_ms,
                         .interrupted = o->interrupted};
    snprintf(po.run_tag, sizeof po.run_tag, "%s", o->run_tag);
    for (int attempt = 0; attempt < attempts; attempt++) {
        if (attempt)
            nanosleep(&(struct timespec){0, LIVENESS_PAUSE_MS * 1000000L}, NULL);
        if (mqs_probe_alive(&po, p->live_v, why, cap) || (o->interrupted && o->interrupted()))
            return true;
    }
    return false;
}

/* Mark the case CRASHED, keeping what it said itself in the message and in j->own. */
static void mark_crashed(pool *p, job *j)
{
    mqs_case *c = j->out;
    j->own = (own_verdict){c->verdict, c->step, mqs_strdup(c->statement), mqs_strdup(c->message)};
    j->crashed = true;
    char msg[1024];
    snprintf(msg, sizeof msg,
             "target crashed: it stopped accepting connections during this case%s (%s); the case itself ended %s%s%s",
             p->parallel ? " or one running beside it" : "", p->down_why, mqs_verdict_name(c->verdict),
             c->message ? ": " : "", c->message ? c->message : "");
    mqs_case_set(c, MQS_CRASHED, c->step, NULL, msg);
}

/*
 * After a case: check the target if the case is suspect or the last check is
 * old.  Once the target is down, a suspect case that ran before it was found
 * down is CRASHED (settle_crash may give an unaffected one its own verdict
 * back); a case that started after was not run against a live target.
 */
static void check_liveness(pool *p, job *j)
{
    mqs_case *c = j->out;
    if (c->verdict == MQS_NOT_RUN || p->live == LIVE_IGNORED)
        return;
    int64_t ended = j->ended = mqs_now_ms();
    pthread_mutex_lock(&p->live_lock);
    bool due = suspect(c) || ended - p->alive_at >= LIVENESS_EVERY_MS ||
               mqs_heartbeat_stalled(p->hb, j->started, ended, STALL_MS);
    /* A check begun after the case ended covers it; in the same millisecond it may have begun before. */
    if (!p->down_at && due && p->alive_at <= ended) {
        int64_t t = mqs_now_ms();
        bool watched = p->live == LIVE_WATCHED;
        if (target_alive(p, watched ? LIVENESS_ATTEMPTS : 1, p->down_why, sizeof p->down_why)) {
            p->alive_at = t;
            p->live = LIVE_WATCHED;
        } else if (!watched) {
            p->live = LIVE_IGNORED;
        } else {
            p->down_at = t;
            p->found_after = c;
            snprintf(p->found_id, sizeof p->found_id, "%s", c->id ? c->id : "?");
            snprintf(p->found_version, sizeof p->found_version, "%s", c->version ? c->version : "?");
            atomic_store(&p->down, true);
        }
    }
    if (p->down_at && j->started > p->down_at && c != p->found_after)
        mqs_case_set(c, MQS_NOT_RUN, 0, NULL, "target down: it crashed before this case started");
    else if (p->down_at && suspect(c))
        mark_crashed(p, j);
    pthread_mutex_unlock(&p->live_lock);
}

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->njobs)
            return NULL;
        job *j = &p->jobs[i];
        if (atomic_load(&p->down)) {
            mqs_case_not_run(j->sc, j->v, "target down: it crashed earlier in the run", j->out);
        } else {
            j->started = mqs_now_ms();
            if (p->opts->case_hook)
                p->opts->case_hook(p->opts->case_hook_ctx, j->out, false);
            mqs_run_case(j->sc, j->v, p->opts, j->index, j->out); /* NOT RUN at once after an interrupt */
            if (p->opts->case_hook)
                p->opts->case_hook(p->opts->case_hook_ctx, j->out, true);
            check_liveness(p, j);
        }
        case_finished(p, j->out);
    }
}

/* Until every case is done; on a terminal the line's elapsed time keeps moving meanwhile. */
static void wait_all(pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->done < p->target_done) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        int rc = pthread_cond_timedwait(&p->finished, &p->lock, &until);
        if (rc == ETIMEDOUT && p->opts->progress == MQS_PROGRESS_LINE && p->done < p->target_done)
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

static bool has_tag(const mqs_scenario *sc, const char *tag)
{
    for (const cJSON *t = sc->tags ? sc->tags->child : NULL; t; t = t->next)
        if (cJSON_IsString(t) && strcmp(t->valuestring, tag) == 0)
            return true;
    return false;
}

/* Run these jobs on up to nthreads workers; progress counts on from where the pool is. */
static void run_phase(pool *p, job *jobs, size_t n, int nthreads)
{
    p->jobs = jobs;
    p->njobs = n;
    atomic_store(&p->next, 0);
    p->target_done = p->done + n;
    if ((size_t)nthreads > n)
        nthreads = n ? (int)n : 1;
    p->parallel = nthreads > 1;
    pthread_t *threads = calloc((size_t)nthreads, sizeof *threads);
    int started = 0;
    while (threads && started < nthreads && pthread_create(&threads[started], NULL, worker, p) == 0)
        started++;
    if (started == 0) /* no thread at all: this one does the work */
        worker(p);
    wait_all(p);
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    free(threads);
}

/* The first version the profile says the target serves; MQTT_VERSION_UNKNOWN if none. */
static mqtt_version served_version(const mqs_run_opts *opts)
{
    static const mqtt_version order[] = {MQTT_V311, MQTT_V5, MQTT_V31};
    for (size_t i = 0; opts->profile && i < 3; i++) {
        const mqs_version_profile *vp = mqs_profile_get(opts->profile, order[i]);
        if (vp && vp->status == MQS_PF_OK)
            return order[i];
    }
    return MQTT_VERSION_UNKNOWN;
}

/* The heartbeat beside the run, on the first version the target serves; NULL if none could be made. */
static mqs_heartbeat *start_heartbeat(const mqs_run_opts *opts)
{
    mqtt_version v = served_version(opts);
    if (v == MQTT_VERSION_UNKNOWN)
        return NULL;
    mqs_probe_opts po = {.url = opts->target.url, .tls = opts->target.tls, .username = opts->target.username,
                         .password = opts->target.password, .interrupted = opts->interrupted};
    snprintf(po.run_tag, sizeof po.run_tag, "%s", opts->run_tag);
    return mqs_heartbeat_start(&po, v);
}

/* How much a case looks like the crash's cause: the packet it sent last before the peer closed a
 * connection is malformed (the codec, as the server, rejects it), and the close followed it soon. */
typedef struct suspicion {
    bool malformed;
    int64_t gap_ms; /* INT64_MAX: no close followed a packet of the case */
} suspicion;

static bool more_suspect(suspicion a, suspicion b)
{
    return a.malformed != b.malformed ? a.malformed : a.gap_ms < b.gap_ms;
}

static bool malformed_bytes(const mqs_event *sent, mqtt_version v)
{
    mqtt_decode_opts opts = {v, MQTT_ROLE_SERVER, 0};
    mqtt_packet pkt;
    size_t used;
    mqtt_error err;
    return sent->raw && mqtt_decode(sent->raw, sent->raw_len, &opts, &pkt, &used, &err) == MQTT_MALFORMED;
}

static suspicion suspicion_of(const job *j)
{
    const mqs_case *c = j->out;
    suspicion best = {false, INT64_MAX};
    for (size_t i = 0; i < c->nevents; i++) {
        const mqs_event *e = &c->events[i];
        if (e->kind != MQS_EV_CLOSED)
            continue;
        for (size_t k = i; k-- > 0;) {
            const mqs_event *sent = &c->events[k];
            if (sent->kind == MQS_EV_SENT && sent->conn && e->conn && strcmp(sent->conn, e->conn) == 0) {
                suspicion s = {malformed_bytes(sent, j->v), e->t_ms - sent->t_ms};
                if (more_suspect(s, best))
                    best = s;
                break;
            }
        }
    }
    return best;
}

/*
 * Cases in parallel: the ones marked CRASHED include cases whose connection
 * the target closed on its own before it went down.  A case that ended
 * before the last proof that the target was alive (a liveness check, a
 * PINGRESP on the heartbeat) was not touched by the crash: it gets its own
 * verdict back.  Of the others, the one named is the likeliest cause: one
 * whose connection closed after it sent a malformed packet, and of those the
 * one closed soonest after it sent (the crash answers the killer's packet;
 * the rest were idle or waiting): a guess when several ran, and the reason
 * says so.
 */
static void settle_crash(const pool *p, job *jobs, size_t n, mqs_run *run)
{
    if (!p->down_at)
        return;
    int64_t alive = mqs_heartbeat_alive_after(p->hb);
    if (alive > p->down_at) /* the heartbeat's connection outlived new ones: prove nothing past down_at */
        alive = p->down_at;
    if (alive < p->alive_at)
        alive = p->alive_at;
    const job *named = NULL;
    size_t crashed = 0;
    for (size_t i = 0; i < n; i++) {
        job *j = &jobs[i];
        if (!j->crashed)
            continue;
        mqs_case *c = j->out;
        if (j->ended < alive) {
            mqs_case_set(c, j->own.verdict, j->own.step, j->own.statement, j->own.message);
        } else {
            crashed++;
            mqs_case_event(c, c->duration_ms, MQS_EV_NOTE, NULL, "liveness: the target no longer accepts connections",
                           NULL, 0);
            if (!named || more_suspect(suspicion_of(j), suspicion_of(named)))
                named = j;
        }
        free(j->own.statement);
        free(j->own.message);
        j->crashed = false;
    }
    char why[512];
    snprintf(why, sizeof why, "%s", p->down_why);
    if (crashed > 1)
        snprintf(why + strlen(why), sizeof why - strlen(why),
                 "; a guess among the %zu cases running when it went down (the likeliest: its connection closed "
                 "soonest after it sent a malformed packet): run the CRASHED cases with -j 1 to know which",
                 crashed);
    run->crash_case = mqs_strdup(named ? named->out->id : p->found_id);
    run->crash_version = mqs_strdup(named ? named->out->version : p->found_version);
    run->crash_reason = mqs_strdup(why);
}

/* A FAIL by a wait that ran out while the target stalled (or while nobody watched it) may be interference. */
static bool needs_confirmation(const job *j, mqs_heartbeat *hb)
{
    const mqs_case *c = j->out;
    return c->verdict == MQS_FAIL && c->waited_from && !has_tag(j->sc, ISOLATED_TAG) &&
           mqs_heartbeat_stalled(hb, c->waited_from, c->waited_to, STALL_MS);
}

/* The re-run alone replaces the case; the first attempt stays attached.  Passing alone: INCONSISTENT. */
static void take_rerun(mqs_case *out, mqs_case *rerun)
{
    mqs_case *first = malloc(sizeof *first);
    if (!first) {
        mqs_case_set(rerun, MQS_ERROR, 0, NULL, "out of memory while keeping a re-run's first attempt");
        return;
    }
    *first = *out;
    *out = *rerun;
    out->first_attempt = first;
    if (out->verdict == MQS_PASS || out->verdict == MQS_WARN || out->verdict == MQS_SKIP) {
        char msg[600];
        snprintf(msg, sizeof msg, "failed when run beside other cases (%s), %s when run alone: see both attempts",
                 first->message ? first->message : "FAIL", mqs_verdict_name(out->verdict));
        mqs_case_set(out, MQS_INCONSISTENT, first->step, first->statement, msg);
    }
}

/* Phase 3: confirm, alone and one at a time, the FAILs that interference could explain. */
static void confirm_fails(pool *p, job *jobs, size_t n, mqs_heartbeat *hb)
{
    job *again = calloc(n ? n : 1, sizeof *again);
    mqs_case *reruns = calloc(n ? n : 1, sizeof *reruns);
    mqs_case **origin = calloc(n ? n : 1, sizeof *origin);
    size_t m = 0;
    for (size_t i = 0; again && reruns && origin && i < n; i++)
        if (needs_confirmation(&jobs[i], hb)) {
            origin[m] = jobs[i].out;
            again[m] = jobs[i];
            again[m].out = &reruns[m];
            again[m].index = jobs[i].index + (unsigned)n; /* fresh topics and client ids */
            m++;
        }
    if (m && p->opts->progress != MQS_PROGRESS_NONE)
        fprintf(p->out, "%sconfirming %zu FAIL(s) by running each alone\n",
                p->opts->progress == MQS_PROGRESS_LINE ? "\r\033[K" : "", m);
    p->total += m;
    run_phase(p, again, m, 1);
    for (size_t k = 0; k < m; k++) {
        take_rerun(origin[k], &reruns[k]);
        free(again[k].own.statement); /* a re-run alone that CRASHED stays so: nothing to settle */
        free(again[k].own.message);
    }
    free(origin);
    free(again);
    free(reruns);
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
                jobs[j] = (job){.sc = &set->items[i], .v = set->items[i].versions[k], .index = (unsigned)j};
                j++;
            }
    for (size_t j = 0; j < n; j++)
        jobs[j].out = &run->cases[first + j];
    /* Shared and isolated cases, each group in file order. */
    job *ordered = calloc(n ? n : 1, sizeof *ordered);
    size_t nshared = 0, nisolated = 0;
    for (size_t j = 0; j < n; j++)
        if (!has_tag(jobs[j].sc, ISOLATED_TAG))
            ordered[nshared++] = jobs[j];
    for (size_t j = 0; j < n; j++)
        if (has_tag(jobs[j].sc, ISOLATED_TAG))
            ordered[nshared + nisolated++] = jobs[j];

    pool p = {.total = n, .opts = opts, .out = opts->progress_out ? opts->progress_out : stderr, .t0 = mqs_now_ms()};
    atomic_init(&p.next, 0);
    atomic_init(&p.down, false);
    pthread_mutex_init(&p.lock, NULL);
    pthread_mutex_init(&p.live_lock, NULL);
    pthread_cond_init(&p.finished, NULL);
    mqs_heartbeat *hb = start_heartbeat(opts);
    p.hb = hb;
    p.live_v = served_version(opts);
    if (p.live_v == MQTT_VERSION_UNKNOWN) /* no profile: the version cases speak most */
        p.live_v = versions == (1u << MQTT_V5) ? MQTT_V5 : MQTT_V311;
    if (opts->profile && !opts->profile->from_file && served_version(opts) != MQTT_VERSION_UNKNOWN) {
        p.live = LIVE_WATCHED; /* the pre-flight has just found it up */
        p.alive_at = p.t0;
    }
    run_phase(&p, ordered, nshared, opts->jobs < 1 ? 1 : opts->jobs);
    run_phase(&p, ordered + nshared, nisolated, 1);
    bool interrupted = opts->interrupted && opts->interrupted();
    if (!interrupted && !atomic_load(&p.down)) /* a down target cannot confirm anything */
        confirm_fails(&p, ordered, nshared, hb);
    settle_crash(&p, ordered, n, run);
    mqs_heartbeat_stop(hb);
    pthread_cond_destroy(&p.finished);
    pthread_mutex_destroy(&p.live_lock);
    pthread_mutex_destroy(&p.lock);
    free(ordered);
    free(jobs);
}
