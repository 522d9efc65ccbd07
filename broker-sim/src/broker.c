/* The broker's lifetime and its one event loop: listeners, connections, timers. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define SIM_DEFAULT_TOPIC_ALIAS_MAXIMUM 10
#define SIM_DEFAULT_MAX_PACKET_SIZE (16u << 20) /* the engine's default limit: a 2 MB message goes through */
#define SIM_DEFAULT_MAX_QUEUED 1000
#define SIM_DEFAULT_MAX_QUEUED_BYTES (64u << 20)
#define SIM_MAX_POLL_MS 1000 /* the loop also wakes this often, timers or not */

void sim_config_init(sim_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->topic_alias_maximum = SIM_DEFAULT_TOPIC_ALIAS_MAXIMUM;
    cfg->max_packet_size = SIM_DEFAULT_MAX_PACKET_SIZE;
    cfg->max_queued_messages = SIM_DEFAULT_MAX_QUEUED;
    cfg->max_queued_bytes = SIM_DEFAULT_MAX_QUEUED_BYTES;
    cfg->auth_user = SIM_DEFAULT_AUTH_USER;
    cfg->auth_password = SIM_DEFAULT_AUTH_PASSWORD;
}

/* Moved only by sim_mem_advance (fuzz targets and tests, which run no threaded broker beside). */
static _Atomic int64_t clock_skew;

int64_t sim_now(void) { return mqs_now_ms() + clock_skew; }

void sim_clock_advance(int64_t ms) { clock_skew += ms; }

bool sim_config_add_listener(sim_config *cfg, const char *url, const char *certfile, const char *keyfile,
                             sim_quirk_set quirks)
{
    if (cfg->n_listeners == SIM_MAX_LISTENERS)
        return false;
    cfg->listeners[cfg->n_listeners++] =
        (sim_listener_config){.url = url, .certfile = certfile, .keyfile = keyfile, .quirks = quirks};
    return true;
}

/* ---- listeners ---- */

/* The WebSocket quirks live in the transport's server side: the frames never reach the broker. */
static unsigned ws_quirks(sim_quirk_set q)
{
    return (sim_quirk(q, SIM_Q_WS_ACCEPT_TEXT) ? MQS_WS_QUIRK_ACCEPT_TEXT : 0u) |
           (sim_quirk(q, SIM_Q_WS_FRAME_ALIGNED) ? MQS_WS_QUIRK_FRAME_ALIGNED : 0u) |
           (sim_quirk(q, SIM_Q_WS_NO_PROTOCOL) ? MQS_WS_QUIRK_NO_PROTOCOL : 0u);
}

static bool open_listener(sim_broker *b, const sim_listener_config *lc, char *err, size_t err_cap)
{
    mqs_url url;
    char why[256];
    if (mqs_url_parse(lc->url, &url, why, sizeof why) != 0) {
        snprintf(err, err_cap, "%s: %s", lc->url, why);
        return false;
    }
    mqs_tls_opts tls = {.certfile = lc->certfile, .keyfile = lc->keyfile, .cafile = lc->cafile};
    mqs_listener *l = mqs_listen(&url, &tls, why, sizeof why);
    if (!l) {
        snprintf(err, err_cap, "%s: %s", lc->url, why);
        return false;
    }
    mqs_listener_set_ws_quirks(l, ws_quirks(lc->quirks));
    sim_listener *sl = &b->listeners[b->n_listeners++];
    sl->l = l;
    sl->quirks = lc->quirks;
    sl->variants = lc->variants;
    sl->port = mqs_listener_port(l);
    sim_log(b, "listening on %s (port %d)", lc->url, sl->port);
    return true;
}

static void accept_all(sim_broker *b, sim_listener *sl)
{
    for (;;) {
        char err[256];
        mqs_transport *t = mqs_accept(sl->l, mqs_now_ms() + SIM_ACCEPT_TIMEOUT_MS, err, sizeof err);
        if (!t) {
            if (err[0])
                sim_log(b, "accept failed: %s", err);
            return;
        }
        sim_conn *c = sim_conn_new(b, t, sl->quirks);
        c->variants = sl->variants;
        sim_log(b, "#%u accepted on port %d", c->id, sl->port);
    }
}

/* ---- timers ---- */

static int64_t earliest(int64_t a, int64_t b) { return a < b ? a : b; }

/* Keep-alive expiry of every connection; returns the next deadline. */
static int64_t run_keepalive_timers(sim_broker *b, int64_t now)
{
    int64_t next = INT64_MAX;
    for (sim_conn *c = b->conns; c; c = c->next) {
        if (!c->t)
            continue;
        int64_t due = sim_keepalive_deadline(c);
        if (due <= now)
            sim_conn_close(c, 0x8D, "keep-alive timeout");
        else
            next = earliest(next, due);
    }
    return next;
}

/* Delayed Wills and expired offline sessions; returns the next deadline. */
static int64_t run_session_timers(sim_broker *b, int64_t now)
{
    int64_t next = INT64_MAX;
    sim_session **pp = &b->sessions;
    while (*pp) {
        sim_session *s = *pp;
        if (s->will && s->will_at <= now) {
            sim_will *w = s->will;
            s->will = NULL;
            sim_will_publish(b, w);
        }
        bool counting = !s->conn || sim_quirk(s->quirks, SIM_Q_SESSION_EXPIRY_FROM_CONNECT);
        if (counting && s->expires_at && s->expires_at <= now) {
            sim_log(b, "session '%s' expired", s->client_id);
            sim_session_end(s); /* unlinks s: *pp is now its successor */
            continue;
        }
        if (s->will)
            next = earliest(next, s->will_at);
        if (counting && s->expires_at)
            next = earliest(next, s->expires_at);
        pp = &s->next;
    }
    return next;
}

static int poll_timeout(int64_t next, int64_t now)
{
    if (next <= now)
        return 0;
    return next - now > SIM_MAX_POLL_MS ? SIM_MAX_POLL_MS : (int)(next - now);
}

int64_t sim_run_timers(sim_broker *b)
{
    int64_t now = sim_now();
    return earliest(run_keepalive_timers(b, now), run_session_timers(b, now));
}

/* ---- the loop ---- */

void sim_reap(sim_broker *b)
{
    sim_conn **pp = &b->conns;
    while (*pp) {
        sim_conn *c = *pp;
        if (c->t && c->broken)
            sim_conn_close(c, 0, "write failed");
        if (c->t && c->over_quota)
            sim_conn_close(c, 0x97, "slow consumer: its session's queue is full");
        if (!c->t) {
            *pp = c->next;
            sim_conn_free(c);
            continue;
        }
        pp = &c->next;
    }
}

/* A crash quirk fired: what a crashed process leaves behind.  No listener, every
 * connection reset, no Will published; the loop idles until sim_stop. */
static void play_crash(sim_broker *b)
{
    b->crash_pending = false;
    if (b->cfg.real_crashes) { /* a broker of its own (mqttspec sim): die as a real one would */
        fprintf(stderr, "broker-sim: planted crash: a CONNACK sent by a client\n");
        abort();
    }
    for (sim_session *s = b->sessions; s; s = s->next) {
        s->conn = NULL;
        sim_will_free(s->will);
        s->will = NULL;
    }
    for (size_t i = 0; i < b->n_listeners; i++) { /* first: a client that sees its close finds no listener */
        mqs_listener_close(b->listeners[i].l);
        b->listeners[i].l = NULL;
    }
    for (sim_conn *c = b->conns; c; c = c->next)
        if (c->t) {
            mqs_transport_drop(c->t);
            c->t = NULL; /* reap frees it */
        }
    sim_log(b, "crashed (crash quirk): listeners closed, connections reset");
}

static size_t count_conns(const sim_broker *b)
{
    size_t n = 0;
    for (const sim_conn *c = b->conns; c; c = c->next)
        n++;
    return n;
}

/* Readable connections in poll order; TLS may hold decrypted bytes poll cannot see. */
static void serve_conns(sim_conn **polled, struct pollfd *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sim_conn *c = polled[i];
        if (c->t && (fds[i].revents || mqs_transport_pending(c->t)))
            sim_conn_on_readable(c);
    }
}

static bool any_tls_pending(const sim_broker *b)
{
    for (const sim_conn *c = b->conns; c; c = c->next)
        if (c->t && mqs_transport_pending(c->t))
            return true;
    return false;
}

/* One turn: wait for input or the next timer, serve it; false once sim_stop asked. */
static bool loop_once(sim_broker *b, int64_t next_timer)
{
    size_t n_conns = count_conns(b), n_fixed = 1 + b->n_listeners;
    struct pollfd *fds = calloc(n_fixed + n_conns, sizeof *fds);
    sim_conn **polled = calloc(n_conns + 1, sizeof *polled);
    if (!fds || !polled)
        abort();
    fds[0] = (struct pollfd){.fd = b->wake[0], .events = POLLIN};
    for (size_t i = 0; i < b->n_listeners; i++)
        fds[1 + i] = (struct pollfd){.fd = b->listeners[i].l ? mqs_listener_fd(b->listeners[i].l) : -1,
                                     .events = POLLIN}; /* none after a crash quirk */
    size_t i = 0;
    for (sim_conn *c = b->conns; c; c = c->next, i++) {
        polled[i] = c;
        fds[n_fixed + i] = (struct pollfd){.fd = mqs_transport_fd(c->t), .events = POLLIN};
    }
    int64_t now = sim_now();
    int timeout = any_tls_pending(b) ? 0 : poll_timeout(next_timer, now);
    int rc = poll(fds, n_fixed + n_conns, timeout);
    bool stop = rc > 0 && fds[0].revents;
    if (rc > 0 && !stop) {
        for (size_t l = 0; l < b->n_listeners; l++)
            if (fds[1 + l].revents)
                accept_all(b, &b->listeners[l]);
        serve_conns(polled, fds + n_fixed, n_conns);
    } else if (rc == 0 && any_tls_pending(b)) {
        serve_conns(polled, fds + n_fixed, n_conns);
    }
    free(fds);
    free(polled);
    if (b->crash_pending)
        play_crash(b);
    sim_reap(b);
    return !stop;
}

static void *loop_main(void *arg)
{
    sim_broker *b = arg;
    int64_t next_timer = INT64_MAX;
    while (loop_once(b, next_timer)) {
        next_timer = sim_run_timers(b);
        sim_reap(b);
    }
    return NULL;
}

/* ---- start / stop ---- */

/* A stopping broker publishes no Will: sessions and connections just go. */
void sim_broker_free(sim_broker *b)
{
    for (sim_session *s = b->sessions; s; s = s->next) {
        s->conn = NULL;
        sim_will_free(s->will);
        s->will = NULL;
    }
    while (b->conns) {
        sim_conn *c = b->conns;
        b->conns = c->next;
        if (c->t)
            mqs_transport_drop(c->t);
        sim_conn_free(c);
    }
    while (b->sessions)
        sim_session_end(b->sessions);
    sim_retained_free_all(b);
    sim_share_free_all(b);
    for (size_t i = 0; i < b->n_listeners; i++)
        mqs_listener_close(b->listeners[i].l);
    if (b->wake[0] >= 0) {
        close(b->wake[0]);
        close(b->wake[1]);
    }
    free(b);
}

sim_broker *sim_start(const sim_config *cfg, char *err, size_t err_cap)
{
    sim_broker *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    b->cfg = *cfg;
    b->wake[0] = b->wake[1] = -1;
    if (pipe(b->wake) != 0) {
        snprintf(err, err_cap, "pipe: %s", strerror(errno));
        b->wake[0] = b->wake[1] = -1;
        sim_broker_free(b);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_listeners; i++)
        if (!open_listener(b, &cfg->listeners[i], err, err_cap)) {
            sim_broker_free(b);
            return NULL;
        }
    int rc = pthread_create(&b->thread, NULL, loop_main, b);
    if (rc != 0) {
        snprintf(err, err_cap, "pthread_create: %s", strerror(rc));
        sim_broker_free(b);
        return NULL;
    }
    return b;
}

int sim_port(const sim_broker *b, size_t listener)
{
    return listener < b->n_listeners ? b->listeners[listener].port : -1;
}

void sim_stop(sim_broker *b)
{
    if (!b)
        return;
    ssize_t w;
    do
        w = write(b->wake[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(b->thread, NULL);
    sim_broker_free(b);
}
