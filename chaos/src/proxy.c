/*
 * The fault proxy: a TCP relay between the workers and the broker, in the
 * run's own poll loop.  It frames what it relays (to delay whole packets and
 * to cut right after a chosen packet), and it cuts (both sides, abruptly),
 * stalls (holds both directions) and delays (every packet) on request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "chaos_internal.h"

#define PIPE_MAX 4096
#define DIR_CAP (256 * 1024)
#define QUEUE_MAX 4096

typedef struct chaos_dir { /* one direction of one relayed connection */
    uint8_t *buf;
    size_t len;          /* bytes held */
    size_t framed;       /* of which whole packets queued below */
    struct {
        int64_t release_ms;
        uint32_t len;
        uint8_t type;
    } q[QUEUE_MAX];
    unsigned q_head, q_n;
} chaos_dir;

typedef struct chaos_pipe {
    mqs_transport *side[2]; /* 0: the worker, 1: the broker */
    chaos_dir dir[2];       /* dir[i]: bytes read from side[i], written to side[1 - i] */
    char name[24];          /* the worker's client id suffix, once its CONNECT passed */
    int64_t stall_until;
    uint8_t cut_after_type; /* cut once a packet of this type went from cut_dir */
    int cut_dir;
    int64_t cut_deadline;
} chaos_pipe;

struct chaos_proxy {
    mqs_listener *listener;
    chaos_pipe *pipes[PIPE_MAX];
    size_t n_pipes;
    int64_t next_cut_ms, next_stall_ms;
};

static void dir_free(chaos_dir *d)
{
    free(d->buf);
}

static void pipe_close(chaos_proxy *p, size_t i)
{
    chaos_pipe *pp = p->pipes[i];
    for (int s = 0; s < 2; s++) {
        if (pp->side[s])
            mqs_transport_drop(pp->side[s]);
        dir_free(&pp->dir[s]);
    }
    free(pp);
    p->pipes[i] = p->pipes[--p->n_pipes];
}

chaos_proxy *chaos_proxy_start(chaos_run *run, char *err, size_t err_cap)
{
    chaos_proxy *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    mqs_url lurl;
    if (mqs_url_parse("mqtt://127.0.0.1:0", &lurl, err, err_cap) < 0 ||
        !(p->listener = mqs_listen(&lurl, NULL, err, err_cap))) {
        free(p);
        return NULL;
    }
    char url[64];
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", mqs_listener_port(p->listener));
    mqs_url_parse(url, &run->worker_url, err, err_cap);
    return p;
}

void chaos_proxy_free(chaos_proxy *p)
{
    if (!p)
        return;
    while (p->n_pipes)
        pipe_close(p, 0);
    mqs_listener_close(p->listener);
    free(p);
}

size_t chaos_proxy_max_fds(const chaos_proxy *p)
{
    return 1 + 2 * p->n_pipes;
}

static bool dir_full(const chaos_dir *d)
{
    return d->len >= DIR_CAP || d->q_n >= QUEUE_MAX;
}

static bool dir_ready(const chaos_dir *d, int64_t now)
{
    return d->q_n && d->q[d->q_head].release_ms <= now;
}

size_t chaos_proxy_pollfds(chaos_proxy *p, struct pollfd *fds, size_t cap)
{
    size_t n = 0;
    int64_t now = mqs_now_ms();
    fds[n++] = (struct pollfd){.fd = mqs_listener_fd(p->listener), .events = POLLIN};
    for (size_t i = 0; i < p->n_pipes && n + 2 <= cap; i++) {
        chaos_pipe *pp = p->pipes[i];
        for (int s = 0; s < 2; s++) {
            short ev = 0;
            if (!dir_full(&pp->dir[s]))
                ev |= POLLIN;
            if (pp->stall_until <= now && dir_ready(&pp->dir[1 - s], now))
                ev |= POLLOUT;
            fds[n++] = (struct pollfd){.fd = mqs_transport_fd(pp->side[s]), .events = ev};
        }
    }
    return n;
}

static void accept_one(chaos_run *run, chaos_proxy *p)
{
    char err[200];
    mqs_transport *down = mqs_accept(p->listener, mqs_now_ms() + 1000, err, sizeof err);
    if (!down)
        return;
    mqs_transport *up = p->n_pipes < PIPE_MAX
                            ? mqs_transport_connect(&run->o->url, NULL, mqs_now_ms() + 2000, err, sizeof err)
                            : NULL;
    chaos_pipe *pp = up ? calloc(1, sizeof *pp) : NULL;
    if (pp) {
        pp->dir[0].buf = malloc(DIR_CAP);
        pp->dir[1].buf = malloc(DIR_CAP);
    }
    if (!pp || !pp->dir[0].buf || !pp->dir[1].buf) {
        /* the broker is down (restarting) or we are out of room: the worker sees its connection close */
        if (pp) {
            dir_free(&pp->dir[0]);
            dir_free(&pp->dir[1]);
            free(pp);
        }
        if (up)
            mqs_transport_drop(up);
        mqs_transport_drop(down);
        return;
    }
    pp->side[0] = down;
    pp->side[1] = up;
    p->pipes[p->n_pipes++] = pp;
}

/* A CONNECT going to the broker names the worker (its client id ends in pub-N / sub-N). */
static void learn_name(chaos_pipe *pp, const uint8_t *pkt, size_t len)
{
    mqtt_decode_opts opts = {.version = MQTT_VERSION_UNKNOWN, .role = MQTT_ROLE_SERVER};
    mqtt_packet p;
    size_t used;
    mqtt_error err;
    if (mqtt_decode(pkt, len, &opts, &p, &used, &err) != MQTT_COMPLETE)
        return;
    const mqtt_bytes *id = &p.u.connect.client_id;
    const char *dash = NULL;
    for (uint32_t i = 0; i < id->len; i++) {
        if (id->ptr[i] == '-' && i + 4 < id->len && (id->ptr[i + 1] == 'p' || id->ptr[i + 1] == 's') &&
            id->ptr[i + 4] == '-')
            dash = (const char *)id->ptr + i + 1;
    }
    if (dash)
        snprintf(pp->name, sizeof pp->name, "%.*s", (int)(id->len - (uint32_t)(dash - (const char *)id->ptr)), dash);
}

/* Queue the whole packets read so far, each released latency_ms after it arrived. */
static void frame_dir(const chaos_run *run, chaos_pipe *pp, int s)
{
    chaos_dir *d = &pp->dir[s];
    while (d->framed < d->len && d->q_n < QUEUE_MAX) {
        size_t plen = 0;
        mqtt_error err;
        mqtt_status st = mqtt_frame(d->buf + d->framed, d->len - d->framed, 0, run->o->version, &plen, &err);
        if (st == MQTT_NEED_MORE)
            break;
        if (st == MQTT_MALFORMED)
            plen = d->len - d->framed; /* not ours to judge: relay the rest as it is */
        uint8_t type = d->buf[d->framed] >> 4;
        if (s == 0 && type == MQTT_CONNECT && !pp->name[0])
            learn_name(pp, d->buf + d->framed, plen);
        unsigned slot = (d->q_head + d->q_n) % QUEUE_MAX;
        d->q[slot].release_ms = mqs_now_ms() + run->o->latency_ms;
        d->q[slot].len = (uint32_t)plen;
        d->q[slot].type = type;
        d->q_n++;
        d->framed += plen;
    }
}

/* false: the side closed or failed (the pipe is cut). */
static bool read_side(const chaos_run *run, chaos_pipe *pp, int s)
{
    chaos_dir *d = &pp->dir[s];
    if (dir_full(d))
        return true;
    ssize_t n = mqs_transport_read(pp->side[s], d->buf + d->len, DIR_CAP - d->len);
    if (n == MQS_IO_AGAIN)
        return true;
    if (n <= 0)
        return false;
    d->len += (size_t)n;
    frame_dir(run, pp, s);
    return true;
}

static void cut(chaos_run *run, chaos_proxy *p, size_t i, const char *why)
{
    chaos_fault(run, MQS_FAULT_PROXY_CUT, p->pipes[i]->name, "%s", why);
    pipe_close(p, i);
}

/* Write released packets of dir[s] to the other side; false: that side failed, or a cut was armed here. */
static bool write_dir(chaos_pipe *pp, int s, bool *cut_now)
{
    chaos_dir *d = &pp->dir[s];
    int64_t now = mqs_now_ms();
    size_t n = 0;
    unsigned k = 0;
    bool hit = false;
    while (k < d->q_n && d->q[(d->q_head + k) % QUEUE_MAX].release_ms <= now && !hit) {
        unsigned slot = (d->q_head + k) % QUEUE_MAX;
        n += d->q[slot].len;
        hit = pp->cut_after_type && pp->cut_dir == s && d->q[slot].type == pp->cut_after_type;
        k++;
    }
    if (n == 0)
        return true;
    ssize_t w = send(mqs_transport_fd(pp->side[1 - s]), d->buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    size_t done = (size_t)w;
    memmove(d->buf, d->buf + done, d->len - done);
    d->len -= done;
    d->framed -= done;
    while (d->q_n && done >= d->q[d->q_head].len) {
        done -= d->q[d->q_head].len;
        d->q_head = (d->q_head + 1) % QUEUE_MAX;
        d->q_n--;
    }
    if (d->q_n && done) /* a packet written in part: the rest stays queued */
        d->q[d->q_head].len -= (uint32_t)done;
    if (hit && (size_t)w == n)
        *cut_now = true;
    return true;
}

void chaos_proxy_handle(chaos_run *run, chaos_proxy *p, const struct pollfd *fds, size_t n)
{
    if (n && (fds[0].revents & POLLIN))
        accept_one(run, p);
    /* fds[1 + 2i + s] belongs to pipe i as it was when the poll set was built; pipes only close below */
    size_t n_pipes = (n - 1) / 2;
    for (size_t i = n_pipes; i-- > 0;) {
        if (i >= p->n_pipes)
            continue;
        chaos_pipe *pp = p->pipes[i];
        bool alive = true, cut_now = false;
        for (int s = 0; s < 2 && alive; s++) {
            short re = fds[1 + 2 * i + (size_t)s].revents;
            if (re & (POLLIN | POLLHUP | POLLERR))
                alive = read_side(run, pp, s);
        }
        int64_t now = mqs_now_ms();
        for (int s = 0; s < 2 && alive && pp->stall_until <= now; s++)
            alive = write_dir(pp, s, &cut_now);
        if (cut_now) {
            static const char *const after[16] = {[MQTT_PUBLISH] = "PUBLISH", [MQTT_PUBACK] = "PUBACK",
                                                  [MQTT_PUBREC] = "PUBREC", [MQTT_PUBREL] = "PUBREL",
                                                  [MQTT_PUBCOMP] = "PUBCOMP"};
            char why[96];
            snprintf(why, sizeof why, "cut right after relaying %s to the %s", after[pp->cut_after_type & 15],
                     pp->cut_dir == 0 ? "broker" : "client");
            cut(run, p, i, why);
        } else if (!alive) {
            pipe_close(p, i); /* one side closed: the other sees it too, as on a real network */
        }
    }
}

static void arm_cut(chaos_run *run, chaos_proxy *p, int64_t now)
{
    size_t i = (size_t)(chaos_rand(&run->rng) % p->n_pipes);
    chaos_pipe *pp = p->pipes[i];
    static const struct {
        uint8_t type;
        int dir;
    } points[] = {{MQTT_PUBLISH, 0}, {MQTT_PUBLISH, 1}, {MQTT_PUBACK, 1}, {MQTT_PUBREC, 1},
                  {MQTT_PUBREL, 0},  {MQTT_PUBREC, 0},  {MQTT_PUBCOMP, 1}, {0, 0}};
    unsigned k = (unsigned)(chaos_rand(&run->rng) % (sizeof points / sizeof points[0]));
    if (points[k].type == 0) { /* a cut at a random moment */
        cut(run, p, i, "cut at a random moment");
        return;
    }
    pp->cut_after_type = points[k].type;
    pp->cut_dir = points[k].dir;
    pp->cut_deadline = now + 1000;
}

void chaos_proxy_tick(chaos_run *run, chaos_proxy *p, int64_t now)
{
    const mqs_chaos_opts *o = run->o;
    int64_t t = chaos_now(run);
    for (size_t i = p->n_pipes; i-- > 0;) {
        if (p->pipes[i]->cut_after_type && p->pipes[i]->cut_deadline <= now)
            cut(run, p, i, "cut (the packet it waited for did not come within 1 s)");
    }
    if (!run->faults_on || p->n_pipes == 0)
        return;
    if (o->cut_every_ms > 0) {
        if (p->next_cut_ms == 0)
            p->next_cut_ms = t + chaos_jitter(&run->rng, o->cut_every_ms);
        if (t >= p->next_cut_ms) {
            arm_cut(run, p, now);
            p->next_cut_ms = t + chaos_jitter(&run->rng, o->cut_every_ms);
        }
    }
    if (o->stall_ms > 0 && p->n_pipes) {
        if (p->next_stall_ms == 0)
            p->next_stall_ms = t + chaos_jitter(&run->rng, 2000);
        if (t >= p->next_stall_ms) {
            chaos_pipe *pp = p->pipes[chaos_rand(&run->rng) % p->n_pipes];
            pp->stall_until = now + o->stall_ms;
            chaos_fault(run, MQS_FAULT_PROXY_STALL, pp->name, "both directions held for %d ms", o->stall_ms);
            p->next_stall_ms = t + o->stall_ms + chaos_jitter(&run->rng, 2000);
        }
    }
}
