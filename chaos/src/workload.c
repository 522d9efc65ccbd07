/*
 * mqs_chaos_run: the poll loop that drives the workers, the proxy, the
 * broker restarts and the per-second series; then the quiet period and the
 * check.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "chaos_internal.h"

void mqs_chaos_opts_init(mqs_chaos_opts *o)
{
    memset(o, 0, sizeof *o);
    o->version = MQTT_V311;
    o->duration_s = 10;
    o->publishers = 4;
    o->subscribers = 2;
    o->topics = 4;
    o->qos_mask = 0x7;
    o->rate = 1000;
    o->size = 64;
    o->quiet_ms = 2000;
    o->inflight = 32;
    o->drop_every_ms = 1000;
    o->shared_members = 2;
}

int64_t chaos_now(const chaos_run *run)
{
    return mqs_now_ms() - run->t0_ms;
}

const char *mqs_chaos_fault_name(mqs_chaos_fault_kind k)
{
    static const char *const names[] = {"proxy-cut", "proxy-stall", "proxy-latency", "client-drop", "broker-restart"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

#define FAULTS_KEPT 100000 /* a long run with frequent faults stays bounded; the rest are counted */

void chaos_fault(chaos_run *run, mqs_chaos_fault_kind k, const char *conn, const char *fmt, ...)
{
    mqs_chaos_result *r = run->r;
    if (r->n_faults == r->cap_faults) {
        size_t cap = r->cap_faults ? r->cap_faults * 2 : 256;
        mqs_chaos_fault *f = cap <= FAULTS_KEPT ? realloc(r->faults, cap * sizeof *f) : NULL;
        if (!f) {
            r->faults_dropped++;
            return;
        }
        r->faults = f;
        r->cap_faults = cap;
    }
    mqs_chaos_fault *f = &r->faults[r->n_faults++];
    f->t_ms = chaos_now(run);
    f->kind = k;
    snprintf(f->connection, sizeof f->connection, "%s", conn ? conn : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
}

void chaos_note(mqs_chaos_result *r, const char *fmt, ...)
{
    if (r->n_notes >= sizeof r->notes / sizeof r->notes[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->n_notes++], sizeof r->notes[0], fmt, ap);
    va_end(ap);
}

/* ---- broker restarts ---- */

static void restart_reap(chaos_run *run)
{
    if (run->restart_pid <= 0)
        return;
    int status;
    pid_t got = waitpid(run->restart_pid, &status, WNOHANG);
    if (got == run->restart_pid) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            chaos_note(run->r, "--restart-cmd ended with status %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        run->restart_pid = 0;
    }
}

static void restart_tick(chaos_run *run)
{
    const mqs_chaos_opts *o = run->o;
    restart_reap(run);
    if (!o->restart_cmd || o->restart_every_s <= 0 || !run->faults_on || run->restart_pid > 0)
        return;
    int64_t t = chaos_now(run);
    if (run->next_restart_ms == 0)
        run->next_restart_ms = (int64_t)(o->restart_every_s * 1000);
    if (t < run->next_restart_ms)
        return;
    run->next_restart_ms = t + (int64_t)(o->restart_every_s * 1000);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", o->restart_cmd, (char *)NULL);
        _exit(127);
    }
    if (pid < 0) {
        chaos_note(run->r, "--restart-cmd: fork failed: %s", strerror(errno));
        return;
    }
    run->restart_pid = pid;
    mqs_chaos_restarted(run->ck, t);
    chaos_fault(run, MQS_FAULT_BROKER_RESTART, "", "restart command started");
}

/* ---- per second ---- */

static unsigned connections_up(const chaos_run *run)
{
    unsigned n = 0;
    for (unsigned i = 0; i < run->n_workers; i++)
        n += run->w[i].state > W_TCP;
    return n;
}

static void sample(chaos_run *run, int64_t t)
{
    mqs_chaos_result *r = run->r;
    if (r->n_series == r->cap_series) {
        size_t cap = r->cap_series ? r->cap_series * 2 : 64;
        mqs_chaos_sample *s = realloc(r->series, cap * sizeof *s);
        if (!s)
            return;
        r->series = s;
        r->cap_series = cap;
    }
    unsigned conns = connections_up(run);
    r->series[r->n_series++] = (mqs_chaos_sample){.t_ms = t, .sent = run->sec_sent, .received = run->sec_received,
                                                  .acked = run->sec_acked, .latency = chaos_hist_latency(&run->lat_sec),
                                                  .connections = conns};
    if (conns > r->connections_max)
        r->connections_max = conns;
    if (run->o->progress)
        fprintf(run->o->progress, "chaos: %3lld s  sent %llu/s  received %llu/s  acked %llu/s  p99 %.1f ms  "
                "%u connections\n", (long long)(t / 1000), (unsigned long long)run->sec_sent,
                (unsigned long long)run->sec_received, (unsigned long long)run->sec_acked,
                chaos_hist_ms(&run->lat_sec, 0.99), conns);
    run->sec_sent = run->sec_received = run->sec_acked = 0;
    memset(&run->lat_sec, 0, sizeof run->lat_sec);
}

/* ---- the loop ---- */

static int poll_once(chaos_run *run, struct pollfd *fds, size_t cap, int timeout_ms)
{
    size_t n = 0;
    size_t proxy_n = run->proxy ? chaos_proxy_pollfds(run->proxy, fds, cap - run->n_workers) : 0;
    n = proxy_n;
    size_t first_worker = n;
    for (unsigned i = 0; i < run->n_workers; i++) {
        int fd = chaos_worker_fd(&run->w[i]);
        fds[n++] = (struct pollfd){.fd = fd, .events = fd >= 0 ? chaos_worker_events(&run->w[i]) : 0};
    }
    int rc = poll(fds, (nfds_t)n, timeout_ms);
    if (rc < 0 && errno != EINTR)
        return -1;
    if (rc <= 0)
        return 0;
    if (run->proxy)
        chaos_proxy_handle(run, run->proxy, fds, proxy_n);
    for (unsigned i = 0; i < run->n_workers; i++) {
        chaos_worker *w = &run->w[i];
        short re = fds[first_worker + i].revents;
        if (!w->t || fds[first_worker + i].fd != chaos_worker_fd(w))
            continue;
        if (w->state == W_TCP && re)
            chaos_worker_connecting(run, w);
        else if (re & (POLLIN | POLLHUP | POLLERR))
            chaos_worker_readable(run, w);
        else if (re & POLLOUT)
            chaos_worker_flush(run, w);
    }
    return 0;
}

static double per_publisher(const chaos_run *run)
{
    return run->o->rate / (run->o->publishers ? run->o->publishers : 1);
}

static void tick_all(chaos_run *run, double *last_credit_ms)
{
    int64_t now = mqs_now_ms();
    double per_pub = per_publisher(run);
    double dt = (double)now - *last_credit_ms;
    *last_credit_ms = (double)now;
    run->connecting = 0;
    for (unsigned i = 0; i < run->n_workers; i++)
        run->connecting += run->w[i].state == W_TCP || run->w[i].state == W_CONNACK;
    for (unsigned i = 0; i < run->n_workers; i++) {
        chaos_worker *w = &run->w[i];
        if (w->is_pub && run->publishing) {
            w->credit += per_pub * dt / 1000.0;
            if (w->credit > per_pub / 10 + 1) /* no bursts to catch up after a disconnection */
                w->credit = per_pub / 10 + 1;
        }
        chaos_worker_tick(run, w, chaos_now(run));
    }
    if (run->proxy)
        chaos_proxy_tick(run, run->proxy, now);
    restart_tick(run);
}

static int64_t earlier(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static bool all_subscribed(const chaos_run *run)
{
    for (unsigned i = 0; i < run->n_workers; i++) {
        if (!run->w[i].is_pub && run->w[i].state != W_UP)
            return false;
    }
    return true;
}

/* Publishers idle, every worker up, no delivery for a while: nothing more is coming. */
static bool settled(const chaos_run *run, int64_t silence_ms)
{
    for (unsigned i = 0; i < run->n_workers; i++) {
        const chaos_worker *w = &run->w[i];
        if (w->state != W_UP || (w->is_pub && w->n_flight))
            return false;
    }
    return run->restart_pid <= 0 && chaos_now(run) - run->last_delivery_ms >= silence_ms;
}

#define IDLE_WAKE_MS 100 /* the longest poll: a restart command's end, an interruption flag are looked at this often */

/* How long poll may wait: until the next thing due (a publisher's next message, a connect, a
 * keep-alive, a sample, the end of the phase), at least 1 ms (a due worker that could not move
 * waits for I/O), at most IDLE_WAKE_MS.  The proxy times its delays and stalls to the millisecond. */
static int poll_timeout(const chaos_run *run, int64_t due)
{
    if (run->proxy)
        return 1;
    double per_pub = per_publisher(run);
    for (unsigned i = 0; i < run->n_workers; i++) {
        int64_t d = chaos_worker_due(run, &run->w[i], per_pub);
        if (d < due)
            due = d;
    }
    if (run->o->restart_cmd && run->faults_on && run->restart_pid <= 0 && run->next_restart_ms)
        due = earlier(due, run->t0_ms + run->next_restart_ms);
    int64_t left = due - mqs_now_ms();
    return left < 1 ? 1 : left > IDLE_WAKE_MS ? IDLE_WAKE_MS : (int)left;
}

static int loop_until(chaos_run *run, struct pollfd *fds, size_t cap, int64_t until_ms, int mode)
{
    double last_credit = (double)mqs_now_ms();
    int64_t next_sample = (chaos_now(run) / 1000 + 1) * 1000;
    /* nothing more is coming once nothing came for longer than a message takes (p99.9 so far) */
    int64_t silence = 300 + 3 * (int64_t)run->o->latency_ms + run->o->stall_ms +
                      (int64_t)chaos_hist_ms(&run->lat_all, 0.999);
    while (chaos_now(run) < until_ms) {
        if (mode == 0 && all_subscribed(run))
            return 0;
        if (mode == 1 && run->o->interrupted && run->o->interrupted()) {
            run->r->interrupted = true;
            return 0;
        }
        if (mode == 2 && (settled(run, silence) || chaos_now(run) - run->last_delivery_ms >= run->o->quiet_ms))
            return 0;
        int64_t due = run->t0_ms + (mode >= 1 && next_sample < until_ms ? next_sample : until_ms);
        if (mode == 2) /* when the quiet period may end */
            due = earlier(due, run->t0_ms + run->last_delivery_ms + (silence < run->o->quiet_ms ? silence
                                                                                                 : run->o->quiet_ms));
        if (poll_once(run, fds, cap, poll_timeout(run, due)) < 0)
            return -1;
        tick_all(run, &last_credit);
        if (mode >= 1 && chaos_now(run) >= next_sample) {
            sample(run, next_sample);
            next_sample += 1000;
        }
    }
    return mode == 0 ? -1 : 0;
}

/* ---- setup and end ---- */

#define QUIET_EXTRA_MS 30000 /* how much longer than --quiet-ms a quiet period waits for deliveries still coming */

static bool start_workers(chaos_run *run)
{
    const mqs_chaos_opts *o = run->o;
    unsigned subs = mqs_chaos_subscriber_total(o);
    run->n_workers = o->publishers + subs;
    run->w = calloc(run->n_workers ? run->n_workers : 1, sizeof *run->w);
    run->scratch = malloc(CHAOS_IN_CAP);
    if (!run->w || !run->scratch)
        return false;
    for (unsigned i = 0; i < run->n_workers; i++) {
        bool pub = i >= subs;
        if (!chaos_worker_init(&run->w[i], run, pub, pub ? i - subs : i))
            return false;
        run->w[i].group = pub || i < o->subscribers ? MQS_CHAOS_NONE : (i - o->subscribers) / o->shared_members;
        if (run->w[i].group != MQS_CHAOS_NONE && !mqs_chaos_member_of(run->ck, i, run->w[i].group))
            return false;
        run->w[i].state = W_DOWN;
        run->w[i].next_connect_ms = 0; /* all at once (publishers publish once every subscriber is in) */
        if (pub) /* rate clocks out of phase: publishers' messages spread over time, not all in one instant */
            run->w[i].credit = (double)run->w[i].index / o->publishers;
    }
    return true;
}

static void free_run(chaos_run *run)
{
    for (unsigned i = 0; run->w && i < run->n_workers; i++)
        chaos_worker_free(&run->w[i]);
    free(run->w);
    free(run->scratch);
    chaos_proxy_free(run->proxy);
    if (run->restart_pid > 0) {
        int status;
        waitpid(run->restart_pid, &status, 0); /* the user's command: let it finish, never kill it */
    }
}

static void utc_now(char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void end_of_run(chaos_run *run)
{
    mqs_chaos_result *r = run->r;
    for (unsigned i = 0; i < run->n_workers; i++) {
        chaos_worker *w = &run->w[i];
        if (!w->is_pub && w->state != W_UP) {
            mqs_chaos_session_void(run->ck, w->index);
            chaos_note(r, "%s was not connected at the end: nothing is checked for it", w->name);
        }
        chaos_worker_disconnect(run, w);
    }
    mqs_chaos_check(run->ck);
    r->latency = chaos_hist_latency(&run->lat_all);
    chaos_usage(&r->harness_cpu_s, &r->harness_rss_kb);
    if (mqs_chaos_counts_of(run->ck)->by_kind[MQS_CHAOS_LOST_AFTER_RESTART])
        chaos_note(r, "Losses after a broker restart are information, not violations: a Server need not keep "
                   "sessions or messages across a restart unless it persists them (MQTT 4.1 Storing state).");
}

static int setup(chaos_run *run, char *err, size_t err_cap)
{
    const mqs_chaos_opts *o = run->o;
    run->worker_url = o->url;
    bool proxied = o->cut_every_ms > 0 || o->stall_ms > 0 || o->latency_ms > 0;
    if (proxied && !(run->proxy = chaos_proxy_start(run, err, err_cap)))
        return -1;
    if (o->latency_ms > 0)
        chaos_fault(run, MQS_FAULT_PROXY_LATENCY, "", "every packet delayed %d ms", o->latency_ms);
    if (!start_workers(run)) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    /* one connection first: an unreachable target is reported as such, not as a workload of failures */
    chaos_worker *first = &run->w[0];
    if (!chaos_worker_connect(run, first, err, err_cap))
        return -1;
    chaos_worker_pin_address(run, first);
    return 0;
}

/* Mixed into the run id: client ids, topics and ShareNames are new each run even with the same --seed, so a
 * persistent session an earlier run left on the broker (expiry 3600 s) is neither resumed nor a member of
 * this run's shared groups.  The faults stay a function of the seed. */
static uint32_t run_nonce(void)
{
    unsigned char b[4];
    if (RAND_bytes(b, sizeof b) != 1)
        return (uint32_t)getpid() ^ (uint32_t)mqs_now_ms();
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int mqs_chaos_run(const mqs_chaos_opts *o, mqs_chaos_result *r, char *err, size_t err_cap)
{
    memset(r, 0, sizeof *r);
    chaos_run run = {.o = o, .r = r, .rng = o->seed ? o->seed : 1, .restart_pid = 0};
    run.run_id = r->run_id = (uint32_t)chaos_rand(&run.rng) ^ run_nonce();
    run.t0_ms = mqs_now_ms();
    utc_now(r->started_at, sizeof r->started_at);
    if (o->shared_groups && (o->version != MQTT_V5 || !o->shared_members)) {
        snprintf(err, err_cap, "shared subscriptions need MQTT 5.0 and at least one member per group");
        return -1;
    }
    r->checker = run.ck = mqs_chaos_checker_new_groups(o->publishers, mqs_chaos_subscriber_total(o), o->topics,
                                                       o->shared_groups, MQS_CHAOS_MAX_ANOMALIES);
    if (!run.ck) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    size_t cap = o->publishers + mqs_chaos_subscriber_total(o) + 1 + 2 * 4096;
    struct pollfd *fds = malloc(cap * sizeof *fds);
    if (!fds || setup(&run, err, err_cap) < 0) {
        if (!fds)
            snprintf(err, err_cap, "out of memory");
        free(fds);
        free_run(&run);
        return -1;
    }
    run.faults_on = true;
    if (loop_until(&run, fds, cap, 10000, 0) < 0) {
        snprintf(err, err_cap, "the subscribers could not subscribe within 10 s");
        free(fds);
        free_run(&run);
        return -1;
    }
    run.publishing = true;
    int64_t start = chaos_now(&run);
    loop_until(&run, fds, cap, start + (int64_t)(o->duration_s * 1000), 1);
    r->workload_ms = chaos_now(&run) - start;
    run.publishing = false;
    run.faults_on = false;
    /* The quiet period ends once everything settled, or after quiet_ms without a delivery: a slow broker
     * still delivering is waited for (up to a bound), not reported as losing messages. */
    int64_t quiet_start = chaos_now(&run);
    run.last_delivery_ms = quiet_start;
    int64_t bound = quiet_start + o->quiet_ms + QUIET_EXTRA_MS;
    loop_until(&run, fds, cap, bound, 2);
    r->delivering_ms = run.last_delivery_ms - start > r->workload_ms ? run.last_delivery_ms - start : r->workload_ms;
    if (chaos_now(&run) >= bound)
        chaos_note(r, "the quiet period ended after %lld ms with messages still arriving: some losses may be late "
                   "deliveries (a broker slower than the workload)", (long long)(bound - quiet_start));
    end_of_run(&run);
    r->elapsed_ms = chaos_now(&run);
    free(fds);
    free_run(&run);
    return 0;
}

void mqs_chaos_result_free(mqs_chaos_result *r)
{
    free(r->faults);
    free(r->series);
    mqs_chaos_checker_free(r->checker);
    memset(r, 0, sizeof *r);
}

bool mqs_chaos_passed(const mqs_chaos_result *r)
{
    return r->checker && mqs_chaos_counts_of(r->checker)->violations == 0;
}
