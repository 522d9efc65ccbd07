/*
 * A network fuzzing campaign (mqttspec fuzz): N fuzz connections and a probe
 * on one poll loop, then the minimisation of what was found.
 *
 * Each fuzz connection ("slot") has its own deterministic case stream and
 * sends batches: the valid cases the stream yields (up to opts->batch), then
 * a PINGREQ; once every PINGRESP of the batch is back, the first case the
 * codec does not find valid (the culprit), then a PINGREQ.  So writes are
 * pipelined and only one round trip per batch is waited for, yet every
 * reaction can be attributed: a close before the batch's PINGRESP is the
 * valid packets' doing, what happens after it is the culprit's.  A
 * connection is never reused after a culprit.
 *
 * The probe connection sends PINGREQ every opts->ping_ms; no PINGRESP (or no
 * CONNACK, or a refused connection) within opts->hang_ms is a crash or hang.
 */
#define _DEFAULT_SOURCE /* TCP_QUICKACK */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttspec/engine.h"
#include "mqttspec/scenario.h"
#include "netfuzz_internal.h"

#define IN_CAP (512u << 10)       /* largest packet we take from the target */
#define BATCH_BYTES (256u << 10)  /* a batch stops growing past this */
#define KEEP_PER_SIG 3            /* candidates kept per signature (the others are counted) */
#define MAX_SIGS 512
#define WLOG 48                   /* writes per slot kept for replaying a crash or hang exactly */
#define STALL_WLOG 640            /* ... for the client that stops reading: a whole connection's (8 MB in 17 KB) */

static const uint8_t pingreq[2] = {0xC0, 0x00};

/* ---- a connection to the target: bytes in through the codec, automatic acknowledgements ---- */

typedef struct fconn {
    mqs_transport *t;
    mqtt_stream in;
    uint8_t *buf;
    mqtt_version v;     /* level replies are decoded at */
    bool closed;        /* the target closed (or reset) it */
    bool loose_connack; /* after a fuzzed CONNECT: take the CONNACK by its bytes, in whatever layout */
    bool malformed;     /* the target sent bytes the codec rejects */
    mqtt_err merr;
    uint8_t mtype;
    /* packet ids of answers to our own acknowledgements: PUBCOMP to our PUBREL, PUBREL to our PUBREC */
    uint16_t await_comp[256], await_rel[256];
    unsigned ncomp, nrel;
} fconn;

typedef void (*on_packet_fn)(void *ctx, const mqtt_packet *pkt);

/*
 * Acknowledge at once what we read.  A target without TCP_NODELAY (mosquitto's default) holds its second
 * small write until the first is acknowledged; our delayed ACK would make that up to 40 ms per batch.
 */
static void quick_ack(fconn *c)
{
#ifdef TCP_QUICKACK
    int one = 1;
    (void)setsockopt(mqs_transport_fd(c->t), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#else
    (void)c;
#endif
}


static int fconn_open(fconn *c, const mqs_url *url, mqtt_version v, int64_t deadline, char *err, size_t cap)
{
    if (!c->buf && !(c->buf = malloc(IN_CAP))) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    mqs_tls_opts tls;
    memset(&tls, 0, sizeof tls);
    c->t = mqs_transport_connect(url, &tls, deadline, err, cap);
    if (c->t)
        quick_ack(c);
    mqtt_stream_init(&c->in, c->buf, IN_CAP);
    c->v = v;
    c->closed = c->loose_connack = c->malformed = false;
    c->ncomp = c->nrel = 0;
    return c->t ? 0 : -1;
}

static void fconn_drop(fconn *c)
{
    if (c->t)
        mqs_transport_drop(c->t);
    c->t = NULL;
}

static void fconn_free(fconn *c)
{
    fconn_drop(c);
    free(c->buf);
    c->buf = NULL;
}

static bool fconn_write(fconn *c, const uint8_t *p, size_t n)
{
    if (!c->t || c->closed)
        return false;
    return mqs_transport_write_all(c->t, p, n, mqs_now_ms() + 1000) == 0;
}

static void await_id(uint16_t *set, unsigned *n, uint16_t id)
{
    if (*n == 256) { /* forget the oldest */
        memmove(set, set + 1, 255 * sizeof *set);
        (*n)--;
    }
    set[(*n)++] = id;
}

static bool take_id(uint16_t *set, unsigned *n, uint16_t id)
{
    for (unsigned i = 0; i < *n; i++) {
        if (set[i] == id) {
            memmove(set + i, set + i + 1, (*n - i - 1) * sizeof *set);
            (*n)--;
            return true;
        }
    }
    return false;
}

/* Acknowledge what the target sends us, as a client must (so its flows and in-flight windows move on). */
static void auto_ack(fconn *c, const mqtt_packet *pkt)
{
    uint8_t a[4] = {0, 2, 0, 0};
    uint16_t id;
    if (pkt->type == MQTT_PUBLISH && pkt->u.publish.qos == 1) {
        a[0] = 0x40;
        id = pkt->u.publish.packet_id;
    } else if (pkt->type == MQTT_PUBLISH && pkt->u.publish.qos == 2) {
        a[0] = 0x50;
        id = pkt->u.publish.packet_id;
        await_id(c->await_rel, &c->nrel, id);
    } else if (pkt->type == MQTT_PUBREC) {
        a[0] = 0x62;
        id = pkt->u.ack.packet_id;
        await_id(c->await_comp, &c->ncomp, id);
    } else if (pkt->type == MQTT_PUBREL) {
        a[0] = 0x70;
        id = pkt->u.ack.packet_id;
    } else {
        return;
    }
    a[2] = (uint8_t)(id >> 8);
    a[3] = (uint8_t)id;
    fconn_write(c, a, sizeof a);
}

/* A packet that answers one of our automatic acknowledgements, not a case. */
static bool auto_answer(fconn *c, const mqtt_packet *pkt)
{
    if (pkt->type == MQTT_PUBCOMP)
        return take_id(c->await_comp, &c->ncomp, pkt->u.ack.packet_id);
    if (pkt->type == MQTT_PUBREL)
        return take_id(c->await_rel, &c->nrel, pkt->u.ack.packet_id);
    return false;
}

static void fconn_parse(fconn *c, on_packet_fn fn, void *ctx)
{
    while (c->t && !c->malformed) {
        const uint8_t *p = c->in.buf + c->in.start;
        size_t have = c->in.end - c->in.start;
        if (c->loose_connack) {
            size_t len;
            mqtt_error e;
            mqtt_status fs = mqtt_frame(p, have, 0, MQTT_V311, &len, &e);
            if (fs == MQTT_NEED_MORE)
                return;
            if (fs == MQTT_COMPLETE && p[0] >> 4 == MQTT_CONNACK && len >= 4) {
                mqtt_packet pk;
                memset(&pk, 0, sizeof pk);
                pk.type = MQTT_CONNACK;
                pk.u.connack.flags = p[2];
                pk.u.connack.code = p[3];
                c->in.start += len;
                c->loose_connack = false;
                fn(ctx, &pk);
                continue;
            }
            c->loose_connack = false;
        }
        mqtt_decode_opts o = {c->v, MQTT_ROLE_CLIENT, 0};
        mqtt_packet pkt;
        mqtt_bytes raw;
        mqtt_error err;
        mqtt_status st = mqtt_stream_next(&c->in, &o, &pkt, &raw, &err);
        if (st == MQTT_NEED_MORE)
            return;
        if (st == MQTT_MALFORMED) {
            c->malformed = true;
            c->merr = err.code;
            c->mtype = have ? (uint8_t)(p[0] >> 4) : 0;
            return;
        }
        auto_ack(c, &pkt);
        fn(ctx, &pkt);
    }
}

/*
 * Read what arrived, at most IN_CAP bytes (then back to the caller's poll
 * loop and its deadlines: a target that never stops sending must not hold
 * us here), and hand each packet to fn; sets c->closed at the end of the stream.
 */
static void fconn_read(fconn *c, on_packet_fn fn, void *ctx)
{
    if (c->t)
        quick_ack(c);
    for (size_t budget = IN_CAP; budget > 0 && c->t && !c->closed && !c->malformed;) {
        size_t avail;
        uint8_t *dst = mqtt_stream_space(&c->in, &avail);
        if (avail == 0) { /* a packet larger than we hold: treat as gone */
            c->closed = true;
            return;
        }
        ssize_t n = mqs_transport_read(c->t, dst, avail < budget ? avail : budget);
        if (n == MQS_IO_AGAIN)
            return;
        if (n <= 0) {
            fconn_parse(c, fn, ctx);
            c->closed = true;
            return;
        }
        budget -= (size_t)n;
        mqtt_stream_commit(&c->in, (size_t)n);
        fconn_parse(c, fn, ctx);
    }
}

/* ---- candidates: reactions the spec does not allow, by signature ---- */

typedef struct cand {
    unsigned slot;
    mqtt_version v;
    bool first_connect; /* the connection began with the culprit (a fuzzed CONNECT) */
    bool culprit_last;  /* the reaction is judged on the culprit's deciding packet, after the rest was answered */
    bool with_culprit;  /* the last index is the culprit case */
    bool head_only;     /* ... of which only the valid packets before its deciding one were sent */
    uint64_t idx[NF_REPRO_MAX]; /* case indices, in the order sent */
    size_t nidx;
} cand;

typedef struct sigent {
    nf_signature sig;
    char name[128];
    unsigned seen;
    cand kept[KEEP_PER_SIG];
    unsigned nkept;
} sigent;

/* ---- the campaign ---- */

typedef enum sstate { S_IDLE, S_CONNACK, S_READY, S_PING1, S_REACT, S_FIRST } sstate;

typedef struct slot {
    struct fz *owner;
    unsigned id;
    nf_gen gen;
    fconn c;
    sstate st;
    int64_t deadline, retry_at;
    nf_case *next, *culprit;
    bool has_next, has_culprit;
    size_t culprit_off; /* the culprit's bytes before this went with the batch (valid packets) */
    bool first_conn;    /* this connection began with a fuzzed CONNECT */
    bool refused;       /* ... which a CONNACK refused */
    uint8_t *batch;
    size_t batch_len;
    uint64_t idx[NF_REPRO_MAX]; /* valid cases of the batch in flight */
    size_t nidx;
    unsigned pings_expected, pings_seen;
    bool state_dep;
    nf_reaction react;
    unsigned conn_no; /* connections this slot opened */
    struct wlog {
        uint64_t seq;  /* order among every slot's writes */
        unsigned conn; /* conn_no of the connection written to */
        uint8_t *p;
        size_t n;
    } *wlog;          /* the last writes, a ring of wcap */
    unsigned nwlog, wcap;
} slot;

typedef struct probe {
    fconn c;
    nf_gen gen;
    int st; /* 0 closed, 1 waiting for CONNACK, 2 connected */
    bool outstanding;
    int64_t since, next_ping;
} probe;

typedef struct fz {
    const nf_options *o;
    nf_stats *st;
    slot *slots;
    int nslots;
    probe pr;
    fconn rc;            /* replays */
    nf_gen rgen[6];      /* CONNECTs of replays, by version */
    int replay_failures; /* in a row */
    int64_t min_deadline; /* the minimiser's oracle says "no" after this */
    sigent *sigs;
    unsigned nsigs;
    bool stop;
    int64_t t0;
    FILE *summary;
    uint64_t wseq;      /* writes logged */
    nf_crash crash;     /* what the connections wrote last, taken when the target stopped answering */
    nf_stall *stall;    /* the client that stops reading; its writes are logged in slots[nslots] */
    int64_t next_watch; /* supervised: when to ask the supervisor next */
} fz;

static void add_candidate(fz *f, slot *s, const nf_signature *sig, bool culprit_last, bool with_culprit,
                          bool head_only)
{
    f->st->candidates++;
    char name[128];
    nf_signature_name(sig, name, sizeof name);
    sigent *e = NULL;
    for (unsigned i = 0; i < f->nsigs && !e; i++)
        if (strcmp(f->sigs[i].name, name) == 0)
            e = &f->sigs[i];
    if (!e) {
        if (f->nsigs == MAX_SIGS)
            return;
        e = &f->sigs[f->nsigs++];
        memset(e, 0, sizeof *e);
        e->sig = *sig;
        snprintf(e->name, sizeof e->name, "%s", name);
        if (!f->o->quiet)
            fprintf(f->o->err, "candidate %s (%s, stream %u)\n", name, mqtt_version_name(s->gen.version), s->id);
    }
    e->seen++;
    if (e->nkept == KEEP_PER_SIG)
        return;
    cand *c = &e->kept[e->nkept++];
    memset(c, 0, sizeof *c);
    c->slot = s->id;
    c->v = s->gen.version;
    c->first_connect = s->first_conn;
    c->culprit_last = culprit_last;
    c->with_culprit = with_culprit;
    c->head_only = head_only;
    for (size_t i = 0; i < s->nidx && c->nidx < NF_REPRO_MAX - 2; i++)
        c->idx[c->nidx++] = s->idx[i];
    if (with_culprit)
        c->idx[c->nidx++] = s->culprit->index;
}


static void slot_drop(slot *s)
{
    fconn_drop(&s->c);
    s->st = S_IDLE;
}

static void liveness_fail(fz *f, const char *why);

/* ---- judging ---- */

static void judge_culprit(fz *f, slot *s)
{
    bool first = s->st == S_FIRST;
    nf_case *k = s->culprit;
    nf_requirement req = nf_required(&k->verdict, first, s->c.v);
    f->st->judged++;
    f->st->reactions[s->react.kind]++;
    if (s->c.malformed) {
        s->react.target_malformed = true;
        s->react.target_err = s->c.merr;
    }
    bool may_close = k->verdict.kind == NF_VALID && nf_may_close(k->bytes, k->verdict.end, s->c.v);
    if (!nf_reaction_allowed(req, &s->react, s->c.v, may_close)) {
        nf_signature sig = {k->verdict.type, k->verdict.kind, k->verdict.err, s->react.kind, s->react.answer, false};
        if (s->react.target_malformed)
            sig = (nf_signature){s->c.mtype, k->verdict.kind, s->c.merr, s->react.kind, 0, true};
        add_candidate(f, s, &sig, !first, true, false);
    }
    slot_drop(s); /* never reused after a culprit */
}

/* The batch's valid packets did not all get through: closed, silent, or the target sent garbage. */
static void judge_batch_failure(fz *f, slot *s)
{
    bool head = s->has_culprit && s->culprit_off > 0;
    if (s->first_conn) {
        /* a fuzzed CONNECT that the codec finds valid, and what followed: refusing it is the target's right
         * (a CONNACK 0x80 / 0x01..0x05); a close without one is not judged here */
    } else if (s->c.malformed) {
        nf_signature sig = {s->c.mtype, NF_VALID, s->c.merr, s->react.kind, 0, true};
        add_candidate(f, s, &sig, false, head, head);
    } else if (!nf_reaction_allowed(NF_REQ_CONTINUE, &s->react, s->c.v, s->state_dep)) {
        nf_signature sig = {NF_TYPE_ANY, NF_VALID, MQTT_E_OK, s->react.kind, 0, false};
        add_candidate(f, s, &sig, false, head, head);
    }
    slot_drop(s);
}

/* ---- sending ---- */

/* Keep a copy of the write, to replay a crash or hang exactly (a batch is one write: a few per second). */
static void log_write(fz *f, slot *s, const uint8_t *p, size_t n)
{
    struct wlog *w = &s->wlog[s->nwlog++ % s->wcap];
    uint8_t *copy = realloc(w->p, n ? n : 1);
    if (!copy)
        return;
    memcpy(copy, p, n);
    *w = (struct wlog){.seq = ++f->wseq, .conn = s->conn_no, .p = copy, .n = n};
}

static bool slot_write(fz *f, slot *s, const uint8_t *p, size_t n)
{
    log_write(f, s, p, n);
    f->st->bytes += n;
    return fconn_write(&s->c, p, n);
}

static void on_slot_packet(void *ctx, const mqtt_packet *pkt);
static void slot_closed(fz *f, slot *s);

/* A write failed: the target closed or reset; read what it said before, then handle the close. */
static void write_failed(fz *f, slot *s)
{
    fconn_read(&s->c, on_slot_packet, s);
    s->c.closed = true;
    slot_closed(f, s);
}

/* The culprit's deciding packet (and what follows it), then a PINGREQ. */
static void start_culprit(fz *f, slot *s)
{
    nf_case *k = s->culprit;
    const uint8_t *tail = k->bytes + s->culprit_off;
    nf_requirement req = nf_required(&k->verdict, false, s->c.v);
    if (req == NF_REQ_NONE) { /* incomplete bytes or a DISCONNECT: nothing to judge, only to survive */
        slot_write(f, s, tail, k->len - s->culprit_off);
        slot_drop(s);
        return;
    }
    size_t n = k->verdict.end - s->culprit_off; /* bytes after the deciding packet are left out */
    memcpy(s->batch, tail, n);
    memcpy(s->batch + n, pingreq, 2);
    s->pings_expected = 1;
    s->pings_seen = 0;
    nf_reaction_init(&s->react);
    s->st = S_REACT;
    s->deadline = mqs_now_ms() + f->o->reaction_ms;
    if (!slot_write(f, s, s->batch, n + 2))
        write_failed(f, s);
}

static void next_case(slot *s)
{
    if (!s->has_next) {
        nf_gen_next(&s->gen, s->next);
        s->has_next = true;
    }
}

static void take_as_culprit(slot *s)
{
    nf_case *tmp = s->culprit;
    s->culprit = s->next;
    s->next = tmp;
    s->has_culprit = true;
    s->has_next = false;
    s->culprit_off = 0;
}

static void begin_batch(slot *s)
{
    s->batch_len = 0;
    s->nidx = 0;
    s->has_culprit = false;
    s->culprit_off = 0;
    s->pings_expected = 1;
    s->pings_seen = 0;
    s->state_dep = false;
    nf_reaction_init(&s->react);
}

/* Pipeline the batch (and the valid head of the culprit, if any) and its PINGREQ. */
static void write_batch(fz *f, slot *s)
{
    memcpy(s->batch + s->batch_len, pingreq, 2);
    s->st = S_PING1;
    s->deadline = mqs_now_ms() + f->o->wait_ms;
    if (!slot_write(f, s, s->batch, s->batch_len + 2))
        write_failed(f, s);
}

static void send_batch(fz *f, slot *s)
{
    begin_batch(s);
    size_t max = (size_t)f->o->batch < NF_REPRO_MAX - 2 ? (size_t)f->o->batch : NF_REPRO_MAX - 2;
    for (;;) {
        next_case(s);
        nf_case *k = s->next;
        if (k->first_connect)
            break;
        if (k->verdict.kind != NF_VALID) {
            take_as_culprit(s);
            f->st->cases++;
            /* the valid packets in front of its deciding one travel with the batch */
            s->culprit_off = k->verdict.start;
            memcpy(s->batch + s->batch_len, k->bytes, s->culprit_off);
            s->batch_len += s->culprit_off;
            s->pings_expected += k->verdict.pingreqs;
            s->state_dep |= s->culprit_off && nf_may_close(k->bytes, s->culprit_off, k->version);
            break;
        }
        if (s->nidx == max || s->batch_len + k->len > BATCH_BYTES)
            break;
        memcpy(s->batch + s->batch_len, k->bytes, k->len);
        s->batch_len += k->len;
        s->idx[s->nidx++] = k->index;
        s->pings_expected += k->verdict.pingreqs;
        s->state_dep |= nf_may_close(k->bytes, k->len, k->version);
        s->has_next = false;
        f->st->cases++;
        f->st->valid++;
    }
    if (s->batch_len == 0 && !s->has_culprit) { /* a first-connect case is next: it needs a new connection */
        slot_drop(s);
        return;
    }
    if (s->batch_len == 0) {
        start_culprit(f, s);
        return;
    }
    write_batch(f, s);
}

/* A new connection: our valid CONNECT, or the next case if it is a first-connect one. */
static void slot_open(fz *f, slot *s)
{
    int64_t now = mqs_now_ms();
    if (now < s->retry_at)
        return;
    char err[256];
    if (fconn_open(&s->c, &f->o->url, s->gen.version, now + f->o->wait_ms, err, sizeof err) < 0) {
        s->retry_at = now + 100;
        return;
    }
    f->st->connections++;
    s->conn_no++;
    s->first_conn = s->refused = false;
    next_case(s);
    if (!s->next->first_connect) {
        uint8_t connect[128];
        size_t n = nf_gen_connect(&s->gen, "", connect, sizeof connect);
        s->st = S_CONNACK;
        s->deadline = now + f->o->wait_ms;
        if (!slot_write(f, s, connect, n))
            write_failed(f, s);
        return;
    }
    begin_batch(s);
    take_as_culprit(s);
    f->st->cases++;
    s->first_conn = true;
    nf_case *k = s->culprit;
    mqtt_version lv = k->verdict.version;
    s->c.v = lv >= MQTT_V31 && lv <= MQTT_V5 ? lv : s->gen.version;
    s->c.loose_connack = true;
    bool judged_later = k->verdict.kind == NF_MALFORMED || k->verdict.kind == NF_STATE_ERROR;
    if (k->verdict.start > 0 && judged_later) {
        /* a valid CONNECT (and valid packets) in front of the deciding packet: they go as a batch */
        s->culprit_off = k->verdict.start;
        memcpy(s->batch, k->bytes, s->culprit_off);
        s->batch_len = s->culprit_off;
        s->pings_expected += k->verdict.pingreqs;
        write_batch(f, s);
        return;
    }
    if (nf_required(&k->verdict, true, s->c.v) == NF_REQ_NONE) {
        slot_write(f, s, k->bytes, k->len);
        slot_drop(s);
        return;
    }
    memcpy(s->batch, k->bytes, k->verdict.end);
    memcpy(s->batch + k->verdict.end, pingreq, 2);
    s->pings_expected = k->verdict.pingreqs + 1u;
    s->st = S_FIRST;
    s->deadline = now + f->o->wait_ms;
    if (!slot_write(f, s, s->batch, k->verdict.end + 2))
        write_failed(f, s);
}

/* ---- receiving ---- */

static void on_slot_packet(void *ctx, const mqtt_packet *pkt)
{
    slot *s = ctx;
    fz *f = s->owner;
    if (auto_answer(&s->c, pkt))
        return;
    switch (s->st) {
    case S_CONNACK:
        if (pkt->type != MQTT_CONNACK)
            return;
        if (pkt->u.connack.code == 0) {
            s->st = S_READY;
        } else {
            f->st->stalls++;
            slot_drop(s);
        }
        return;
    case S_PING1:
        if (pkt->type == MQTT_DISCONNECT)
            s->react.disconnect_code = pkt->u.disconnect.code;
        if (pkt->type == MQTT_CONNACK && pkt->u.connack.code != 0)
            s->refused = true;
        if (pkt->type == MQTT_PINGRESP && ++s->pings_seen >= s->pings_expected) {
            f->st->batches++;
            if (s->has_culprit)
                start_culprit(f, s);
            else
                s->st = S_READY;
        }
        return;
    case S_REACT:
    case S_FIRST:
        if (pkt->type == MQTT_PINGRESP && ++s->pings_seen >= s->pings_expected) {
            s->react.kind = NF_R_CONTINUED;
            judge_culprit(f, s);
            return;
        }
        nf_reaction_packet(&s->react, s->culprit->verdict.type,
                           nf_packet_id(s->culprit->bytes + s->culprit_off, s->culprit->len - s->culprit_off), pkt);
        return;
    default:
        return;
    }
}

static void slot_closed(fz *f, slot *s)
{
    s->react.kind = NF_R_CLOSED;
    switch (s->st) {
    case S_PING1:
        judge_batch_failure(f, s);
        return;
    case S_REACT:
    case S_FIRST:
        judge_culprit(f, s);
        return;
    default:
        slot_drop(s);
        return;
    }
}

static void slot_after_read(fz *f, slot *s)
{
    if (!s->c.t)
        return;
    if (s->c.malformed) {
        if (s->st == S_REACT || s->st == S_FIRST) {
            judge_culprit(f, s);
        } else if (s->st == S_PING1) {
            judge_batch_failure(f, s);
        } else {
            s->nidx = 0;
            s->has_culprit = false;
            slot_drop(s);
        }
        return;
    }
    if (s->c.closed)
        slot_closed(f, s);
}

static void slot_deadline(fz *f, slot *s, int64_t now)
{
    if (s->st == S_IDLE || s->st == S_READY || now < s->deadline)
        return;
    s->react.kind = NF_R_SILENT;
    switch (s->st) {
    case S_PING1:
        f->st->stalls++;
        judge_batch_failure(f, s);
        return;
    case S_REACT:
    case S_FIRST:
        judge_culprit(f, s);
        return;
    default:
        f->st->stalls++;
        slot_drop(s);
        return;
    }
}

/* ---- the probe: is the target still there? ---- */

static void on_probe_packet(void *ctx, const mqtt_packet *pkt)
{
    fz *f = ctx;
    probe *p = &f->pr;
    int64_t now = mqs_now_ms();
    if (pkt->type == MQTT_CONNACK && p->st == 1) {
        if (pkt->u.connack.code != 0) {
            char why[96];
            snprintf(why, sizeof why, "the probe's CONNECT was refused with CONNACK 0x%02x", pkt->u.connack.code);
            liveness_fail(f, why);
            return;
        }
        p->st = 2;
        p->outstanding = false;
        p->next_ping = now;
    } else if (pkt->type == MQTT_PINGRESP && p->outstanding) {
        int64_t lat = now - p->since;
        if (lat > f->st->probe_max_ms)
            f->st->probe_max_ms = lat;
        f->st->probe_pings++;
        p->outstanding = false;
        p->next_ping = now + f->o->ping_ms;
    }
}

static void probe_tick(fz *f)
{
    probe *p = &f->pr;
    int64_t now = mqs_now_ms();
    if (p->st == 0) {
        char err[200], why[256];
        if (fconn_open(&p->c, &f->o->url, p->gen.version, now + f->o->hang_ms, err, sizeof err) < 0) {
            snprintf(why, sizeof why, "the probe cannot connect: %s", err);
            liveness_fail(f, why);
            return;
        }
        uint8_t connect[128];
        size_t n = nf_gen_connect(&p->gen, "p", connect, sizeof connect);
        p->st = 1;
        p->since = now;
        if (!fconn_write(&p->c, connect, n))
            p->c.closed = true;
        return;
    }
    char why[128];
    if (p->st == 1 && now - p->since > f->o->hang_ms) {
        snprintf(why, sizeof why, "the probe got no CONNACK within %lld ms", (long long)(now - p->since));
        liveness_fail(f, why);
        return;
    }
    if (p->st == 2 && !p->outstanding && now >= p->next_ping) {
        p->outstanding = true;
        p->since = now;
        if (!fconn_write(&p->c, pingreq, 2))
            p->c.closed = true;
    }
    if (p->st == 2 && p->outstanding && now - p->since > f->o->hang_ms) {
        snprintf(why, sizeof why, "the probe got no PINGRESP for %lld ms", (long long)(now - p->since));
        liveness_fail(f, why);
    }
}

static void probe_read(fz *f)
{
    probe *p = &f->pr;
    fconn_read(&p->c, on_probe_packet, f);
    if (p->c.malformed) {
        char why[256];
        snprintf(why, sizeof why, "the probe received a packet the codec rejects: %s", mqtt_err_message(p->c.merr));
        liveness_fail(f, why);
        return;
    }
    if (p->c.closed && !f->stop) { /* closed on us: connect again at the next tick (refused: a crash) */
        fconn_drop(&p->c);
        p->st = 0;
    }
}

/* ---- a crash or hang: stop, and write what was sent last ---- */

static void collect_crash(fz *f, nf_crash *k);

/* Everything the fuzz connections wrote last, replayed exactly, then a connection that must get PINGRESP. */
static void write_liveness_scenario(fz *f)
{
    char id[96];
    snprintf(id, sizeof id, "fuzz-liveness-%llu", (unsigned long long)f->o->seed);
    collect_crash(f, &f->crash);
    nf_crash_write(f->o, &f->crash, id, f->st->liveness_why,
                   "Not minimised: the target is down (`--broker-cmd` lets the fuzzer restart it and minimise).",
                   f->st->liveness_file, sizeof f->st->liveness_file);
}

static void liveness_fail(fz *f, const char *why)
{
    if (f->st->liveness_failed)
        return;
    f->st->liveness_failed = true;
    snprintf(f->st->liveness_why, sizeof f->st->liveness_why, "%s", why);
    f->stop = true;
    write_liveness_scenario(f);
}

/* ---- the loop ---- */

static void progress(fz *f, int64_t now, int64_t *last)
{
    if (f->o->quiet || now - *last < 5000)
        return;
    *last = now;
    double secs = (double)(now - f->t0) / 1000.0;
    fprintf(f->o->err, "[%4.0f s] %llu cases (%.0f/s), %llu judged one by one, %llu connections, %u signatures, "
                       "probe: %llu PINGRESPs, slowest %lld ms\n",
            secs, (unsigned long long)f->st->cases, secs > 0 ? (double)f->st->cases / secs : 0.0,
            (unsigned long long)f->st->judged, (unsigned long long)f->st->connections, f->nsigs,
            (unsigned long long)f->st->probe_pings, (long long)f->st->probe_max_ms);
}

/* Supervised: the broker's own signs (death, sanitizer report, memory) every 100 ms. */
static void watch(fz *f, int64_t now)
{
    if (!f->o->sup || f->stop || now < f->next_watch)
        return;
    f->next_watch = now + 100;
    char why[256];
    if (f->o->sup->finding(f->o->sup->ctx, why, sizeof why))
        liveness_fail(f, why);
}

/* Slots with a write log: the fuzz slots, and the stall client's log after them. */
static int logged_slots(const fz *f)
{
    return f->nslots + (f->stall ? 1 : 0);
}

/* Every slot's logged writes, connection by connection, in the order they were written. */
static void collect_crash(fz *f, nf_crash *k)
{
    for (;;) {
        slot *best = NULL;
        struct wlog *bw = NULL;
        for (int i = 0; i < logged_slots(f); i++)
            for (unsigned j = 0; j < f->slots[i].wcap; j++) {
                struct wlog *w = &f->slots[i].wlog[j];
                if (w->seq && (!bw || w->seq < bw->seq)) {
                    bw = w;
                    best = &f->slots[i];
                }
            }
        if (!bw)
            return;
        nf_crash_add_write(k, best->id * 100000u + bw->conn, best->gen.version, bw->p, bw->n);
        bw->seq = 0;
    }
}

static void campaign(fz *f)
{
    int64_t end = f->t0 + (int64_t)(f->o->duration_s * 1000.0);
    struct pollfd *pfd = calloc((size_t)f->nslots + 1, sizeof *pfd);
    int *who = calloc((size_t)f->nslots + 1, sizeof *who);
    int64_t last = f->t0;
    while (pfd && who && !f->stop) {
        int64_t now = mqs_now_ms();
        if (now >= end)
            break;
        for (int i = 0; i < f->nslots && !f->stop; i++) {
            slot *s = &f->slots[i];
            if (s->st == S_IDLE)
                slot_open(f, s);
            if (s->st == S_READY)
                send_batch(f, s);
        }
        probe_tick(f);
        if (f->stall)
            nf_stall_tick(f->stall, now);
        watch(f, now);
        if (f->stop)
            break;
        int n = 0;
        for (int i = 0; i < f->nslots; i++) {
            if (f->slots[i].c.t) {
                pfd[n] = (struct pollfd){.fd = mqs_transport_fd(f->slots[i].c.t), .events = POLLIN};
                who[n++] = i;
            }
        }
        if (f->pr.c.t) {
            pfd[n] = (struct pollfd){.fd = mqs_transport_fd(f->pr.c.t), .events = POLLIN};
            who[n++] = -1;
        }
        if (poll(pfd, (nfds_t)n, 5) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n && !f->stop; i++) {
            if (!pfd[i].revents)
                continue;
            if (who[i] < 0) {
                probe_read(f);
                continue;
            }
            slot *s = &f->slots[who[i]];
            fconn_read(&s->c, on_slot_packet, s);
            slot_after_read(f, s);
        }
        now = mqs_now_ms();
        for (int i = 0; i < f->nslots; i++)
            slot_deadline(f, &f->slots[i], now);
        progress(f, now, &last);
    }
    free(pfd);
    free(who);
    f->st->seconds = (double)(mqs_now_ms() - f->t0) / 1000.0;
    for (int i = 0; i < f->nslots; i++)
        slot_drop(&f->slots[i]);
    fconn_drop(&f->pr.c);
    if (f->stall)
        nf_stall_stop(f->stall);
    f->st->signatures = f->nsigs;
}

/* ---- replaying one reproducer on a fresh connection ---- */

typedef struct rstate {
    fconn *c;
    int phase; /* 0: our CONNECT, 1: the packets before the culprit, 2: the culprit */
    unsigned expected, seen;
    bool connack_ok, done;
    uint8_t culprit_type;
    int culprit_id;
    nf_reaction react;
} rstate;

static void on_replay_packet(void *ctx, const mqtt_packet *pkt)
{
    rstate *rs = ctx;
    if (auto_answer(rs->c, pkt) || rs->done)
        return;
    if (rs->phase == 0) {
        if (pkt->type == MQTT_CONNACK) {
            rs->connack_ok = pkt->u.connack.code == 0;
            rs->done = true;
        }
        return;
    }
    if (pkt->type == MQTT_PINGRESP && ++rs->seen >= rs->expected) {
        rs->done = true;
        return;
    }
    if (rs->phase == 1) {
        if (pkt->type == MQTT_DISCONNECT)
            rs->react.disconnect_code = pkt->u.disconnect.code;
        return;
    }
    nf_reaction_packet(&rs->react, rs->culprit_type, rs->culprit_id, pkt);
}

static void replay_wait(rstate *rs, int64_t deadline)
{
    while (!rs->done && rs->c->t && !rs->c->closed && !rs->c->malformed) {
        int64_t left = deadline - mqs_now_ms();
        if (left <= 0)
            return;
        struct pollfd p = {.fd = mqs_transport_fd(rs->c->t), .events = POLLIN};
        if (poll(&p, 1, left > 100 ? 100 : (int)left) < 0 && errno != EINTR)
            return;
        fconn_read(rs->c, on_replay_packet, rs);
    }
}

/* Write packets [from, to) of r, then a PINGREQ; returns the PINGRESPs to expect. */
static unsigned write_packets(fconn *c, const nf_repro *r, size_t from, size_t to, bool first)
{
    size_t total = 2;
    unsigned pings = 1;
    for (size_t i = from; i < to; i++) {
        total += r->packets[i].n;
        pings += nf_judge(r->packets[i].p, r->packets[i].n, r->version, first && i == 0).pingreqs;
    }
    uint8_t *buf = malloc(total);
    if (!buf)
        return pings;
    size_t at = 0;
    for (size_t i = from; i < to; i++) {
        memcpy(buf + at, r->packets[i].p, r->packets[i].n);
        at += r->packets[i].n;
    }
    memcpy(buf + at, pingreq, 2);
    fconn_write(c, buf, total);
    free(buf);
    return pings;
}

static bool replay(fz *f, const nf_repro *r, nf_signature *sig, nf_reaction *react_out)
{
    fconn *c = &f->rc;
    char err[256];
    int64_t now = mqs_now_ms();
    if (fconn_open(c, &f->o->url, r->version, now + f->o->wait_ms, err, sizeof err) < 0) {
        f->replay_failures++;
        return false;
    }
    f->replay_failures = 0;
    rstate rs;
    memset(&rs, 0, sizeof rs);
    rs.c = c;
    nf_reaction_init(&rs.react);
    memset(sig, 0, sizeof *sig);
    if (!r->first_connect) {
        uint8_t connect[128];
        size_t n = nf_gen_connect(&f->rgen[r->version], "r", connect, sizeof connect);
        fconn_write(c, connect, n);
        replay_wait(&rs, mqs_now_ms() + f->o->wait_ms);
        if (!rs.connack_ok) {
            fconn_drop(c);
            return false;
        }
    }
    size_t n = r->npackets;
    size_t prefix = r->culprit_last ? n - 1 : r->first_connect ? 0 : n;
    mqtt_version tv = r->version; /* the level the packets after a CONNECT are read at */
    if (r->first_connect) {
        nf_verdict cv = nf_judge(r->packets[0].p, r->packets[0].n, r->version, true);
        tv = cv.version >= MQTT_V31 && cv.version <= MQTT_V5 ? cv.version : r->version;
        c->loose_connack = true;
        c->v = tv;
    }
    if (prefix > 0) {
        rs.phase = 1;
        rs.done = false;
        rs.seen = 0;
        rs.expected = write_packets(c, r, 0, prefix, r->first_connect);
        replay_wait(&rs, mqs_now_ms() + f->o->wait_ms);
        if (!rs.done || !r->culprit_last) {
            rs.react.kind = rs.done ? NF_R_CONTINUED : c->closed ? NF_R_CLOSED : NF_R_SILENT;
            uint8_t type = n == 1 && !r->culprit_last && r->packets[0].n ? (uint8_t)(r->packets[0].p[0] >> 4) : NF_TYPE_ANY;
            *sig = (nf_signature){type, NF_VALID, MQTT_E_OK, rs.react.kind, 0, false};
            goto out;
        }
    }
    {
        const nf_bytes *k = nf_repro_culprit(r);
        bool first = r->first_connect && !r->culprit_last;
        nf_verdict v = nf_judge(k->p, k->n, tv, first);
        rs.phase = 2;
        rs.done = false;
        rs.seen = 0;
        rs.culprit_type = v.type;
        rs.culprit_id = nf_packet_id(k->p, k->n);
        nf_reaction_init(&rs.react);
        nf_repro one = *r;
        one.packets[0] = *k;
        one.npackets = 1;
        one.version = tv;
        rs.expected = write_packets(c, &one, 0, 1, first);
        replay_wait(&rs, mqs_now_ms() + (first ? f->o->wait_ms : f->o->reaction_ms));
        rs.react.kind = rs.done ? NF_R_CONTINUED : c->closed ? NF_R_CLOSED : NF_R_SILENT;
        *sig = (nf_signature){v.type, v.kind, v.err, rs.react.kind, rs.react.answer, false};
    }
out:
    if (c->malformed) {
        sig->target_malformed = true;
        sig->err = c->merr;
        sig->type = c->mtype;
        rs.react.target_malformed = true;
        rs.react.target_err = c->merr;
    }
    if (react_out)
        *react_out = rs.react;
    fconn_drop(c);
    return true;
}

static bool oracle(void *ctx, const nf_repro *r, nf_signature *got)
{
    fz *f = ctx;
    return mqs_now_ms() < f->min_deadline && replay(f, r, got, NULL);
}

/* ---- from candidates to findings ---- */

static int build_repro(fz *f, const cand *c, nf_repro *r, nf_case *tmp)
{
    slot *s = &f->slots[c->slot];
    nf_repro_init(r, c->v, c->first_connect, c->culprit_last);
    for (size_t i = 0; i < c->nidx; i++) {
        nf_case_make(&s->gen, c->idx[i], tmp);
        size_t start = tmp->verdict.start, end = tmp->verdict.end;
        bool culprit = c->with_culprit && i + 1 == c->nidx;
        int rc;
        if (culprit && c->head_only) {
            rc = nf_repro_add(r, tmp->bytes, start);
        } else if (culprit && c->culprit_last && start > 0) {
            rc = nf_repro_add(r, tmp->bytes, start);
            rc = rc < 0 ? rc : nf_repro_add(r, tmp->bytes + start, end - start);
        } else {
            rc = nf_repro_add(r, tmp->bytes, culprit ? end : tmp->len);
        }
        if (rc < 0)
            return -1;
    }
    return r->npackets ? 0 : -1;
}

static void summary_line(fz *f, const char *line)
{
    fprintf(f->o->out, "%s\n", line);
    if (f->summary)
        fprintf(f->summary, "%s\n", line);
}

/* Run the written scenario with the engine against the target: its verdict. */
static void verify(fz *f, nf_finding *fd, const char *path)
{
    mqs_scenario sc;
    char err[600];
    if (mqs_scenario_load(path, &sc, err, sizeof err) < 0) {
        snprintf(fd->replay, sizeof fd->replay, "INVALID");
        fprintf(f->o->err, "mqttspec fuzz: %s\n", err);
        return;
    }
    mqs_run_opts ro;
    mqs_run_opts_init(&ro);
    ro.target.url = f->o->url;
    ro.jobs = 1;
    mqs_run run;
    memset(&run, 0, sizeof run);
    mqs_case *c = mqs_run_add_case(&run);
    if (c) {
        mqs_run_case(&sc, fd->repro.version, &ro, 0, c);
        snprintf(fd->replay, sizeof fd->replay, "%s", mqs_verdict_name(c->verdict));
        char tpath[700];
        snprintf(tpath, sizeof tpath, "%.*s.txt", (int)(strlen(path) - 5), path);
        FILE *t = fopen(tpath, "w");
        if (t) {
            mqs_write_transcript(c, t);
            fclose(t);
        }
    }
    mqs_run_free(&run);
    mqs_scenario_free(&sc);
}

static bool any_may_close(const nf_repro *r)
{
    for (size_t i = 0; i < r->npackets; i++)
        if (nf_may_close(r->packets[i].p, r->packets[i].n, r->version))
            return true;
    return false;
}

/* Minimise one reproduced candidate and write it; false if it does not show the signature any more. */
static bool finish_candidate(fz *f, const sigent *e, const cand *c, nf_repro *r, size_t orig, char (*done)[128],
                             unsigned *ndone, nf_case *tmp)
{
    nf_finding fd;
    memset(&fd, 0, sizeof fd);
    f->min_deadline = mqs_now_ms() + (int64_t)f->o->min_seconds * 1000;
    fd.tries = nf_minimise(r, &e->sig, oracle, f, f->o->min_tries);
    nf_signature got;
    nf_reaction react;
    if (!replay(f, r, &got, &react) || !nf_signature_match(&e->sig, &got))
        return false;
    bool judged_one = c->culprit_last || c->first_connect;
    bool first = c->first_connect && !c->culprit_last;
    const nf_bytes *k = nf_repro_culprit(r);
    fd.sig = got;
    fd.reaction = react;
    fd.verdict = judged_one || r->npackets == 1 ? nf_judge(k->p, k->n, r->version, first)
                                                : (nf_verdict){.kind = NF_VALID, .type = NF_TYPE_ANY, .version = r->version};
    fd.req = judged_one ? nf_required(&fd.verdict, first, r->version) : NF_REQ_CONTINUE;
    bool may_close = judged_one ? fd.verdict.kind == NF_VALID && nf_may_close(k->p, k->n, r->version) : any_may_close(r);
    if (!got.target_malformed && nf_reaction_allowed(fd.req, &react, r->version, may_close))
        return false;
    char name[128];
    nf_signature_name(&got, name, sizeof name);
    for (unsigned i = 0; i < *ndone; i++)
        if (strcmp(done[i], name) == 0)
            return true; /* the same finding as one written already */
    snprintf(done[(*ndone)++], 128, "%s", name);
    fd.repro = *r;
    fd.seed = f->o->seed;
    fd.stream = c->slot;
    fd.case_index = c->idx[c->nidx - 1];
    nf_case_make(&f->slots[c->slot].gen, fd.case_index, tmp);
    snprintf(fd.mutation, sizeof fd.mutation, "%s", tmp->mutation);
    fd.original_bytes = orig;
    fd.seen = e->seen;
    char path[700], line[2000];
    if (nf_finding_write(&fd, f->o->out_dir, path, sizeof path) < 0) {
        fprintf(f->o->err, "mqttspec fuzz: cannot write %s: %s\n", path, strerror(errno));
        return true;
    }
    if (f->o->verify)
        verify(f, &fd, path);
    bool confirmed = !f->o->verify || strcmp(fd.replay, "FAIL") == 0 || strcmp(fd.replay, "WARN") == 0;
    if (!confirmed) { /* the engine's replay passed: keep it apart, it would pass on this target */
        char dir[600], moved[800];
        snprintf(dir, sizeof dir, "%s/unconfirmed", f->o->out_dir);
        nf_mkdir_p(dir);
        snprintf(moved, sizeof moved, "%s/%s", dir, strrchr(path, '/') + 1);
        rename(path, moved);
        char tpath[700], tmoved[900];
        snprintf(tpath, sizeof tpath, "%.*s.txt", (int)(strlen(path) - 5), path);
        snprintf(tmoved, sizeof tmoved, "%.*s.txt", (int)(strlen(moved) - 5), moved);
        rename(tpath, tmoved);
        snprintf(path, sizeof path, "%.*s", (int)(sizeof path - 1), moved);
    } else {
        f->st->findings++;
    }
    nf_finding_summary(&fd, line, sizeof line);
    char full[2800];
    snprintf(full, sizeof full, "%s%s -> %s", confirmed ? "finding " : "unconfirmed ", line, path);
    summary_line(f, full);
    return true;
}

static void process_candidates(fz *f)
{
    nf_case *tmp = malloc(sizeof *tmp);
    char (*done)[128] = calloc(MAX_SIGS, 128);
    unsigned ndone = 0, attempted = 0;
    /* The rare kinds first, so that --max-findings never leaves them out: what the codec finds valid and
     * the target refused, and what the target sent malformed; then answers before a close; then
     * what the target let pass (the commonest), each group in the order first seen. */
    unsigned *order = calloc(f->nsigs ? f->nsigs : 1, sizeof *order), n = 0;
    for (int prio = 0; order && prio < 3; prio++) {
        for (unsigned i = 0; i < f->nsigs; i++) {
            const nf_signature *g = &f->sigs[i].sig;
            int p = g->target_malformed || g->kind == NF_VALID ? 0 : g->react == NF_R_CLOSED ? 1 : 2;
            if (p == prio)
                order[n++] = i;
        }
    }
    for (unsigned oi = 0; tmp && done && order && oi < n; oi++) {
        sigent *e = &f->sigs[order[oi]];
        if (attempted == (unsigned)f->o->max_findings) {
            char line[300];
            snprintf(line, sizeof line, "skipped %s (seen %u times): --max-findings reached", e->name, e->seen);
            summary_line(f, line);
            continue;
        }
        attempted++;
        bool handled = false;
        for (unsigned j = 0; j < e->nkept && !handled; j++) {
            const cand *c = &e->kept[j];
            nf_repro r;
            nf_signature got;
            if (build_repro(f, c, &r, tmp) < 0) {
                nf_repro_free(&r);
                continue;
            }
            size_t orig = nf_repro_bytes(&r);
            if (replay(f, &r, &got, NULL) && nf_signature_match(&e->sig, &got))
                handled = finish_candidate(f, e, c, &r, orig, done, &ndone, tmp);
            nf_repro_free(&r);
            if (f->replay_failures >= 3) {
                char why[200];
                snprintf(why, sizeof why, "the target stopped accepting connections while %s was replayed", e->name);
                liveness_fail(f, why);
                break;
            }
        }
        if (f->st->liveness_failed)
            break;
        if (!handled) {
            f->st->unreproduced++;
            char line[300];
            snprintf(line, sizeof line, "not reproduced on a fresh connection: %s (seen %u times)", e->name, e->seen);
            summary_line(f, line);
        }
    }
    free(order);
    free(done);
    free(tmp);
}

/* ---- entry point ---- */

void nf_options_init(nf_options *o)
{
    memset(o, 0, sizeof *o);
    o->duration_s = 60;
    o->out_dir = "fuzz-findings";
    o->connections = 16;
    o->batch = 32;
    o->wait_ms = 2000;
    o->reaction_ms = 1000;
    o->ping_ms = 200;
    o->hang_ms = 5000;
    o->min_tries = 300;
    o->min_seconds = 20;
    o->max_findings = 50;
    o->verify = true;
    o->stall_hold_ms = 3000;
    o->out = stdout;
    o->err = stderr;
}

static void stall_logged(void *ctx, unsigned conn, const uint8_t *p, size_t n)
{
    fz *f = ctx;
    slot *log = &f->slots[f->nslots];
    log->conn_no = conn;
    log_write(f, log, p, n);
}

/* The client that stops reading, unless o->stall_hold_ms is 0; its write log is slots[nslots]. */
static int start_stall(fz *f, mqtt_version v)
{
    if (f->o->stall_hold_ms <= 0)
        return 0;
    slot *log = &f->slots[f->nslots];
    log->owner = f;
    log->id = (unsigned)f->nslots;
    log->wcap = STALL_WLOG;
    if (!(log->wlog = calloc(STALL_WLOG, sizeof *log->wlog)))
        return -1;
    if (nf_gen_init(&log->gen, f->o->seed, 1002, v) < 0)
        return -1;
    f->stall = nf_stall_new(&f->o->url, &log->gen, f->o->stall_hold_ms, stall_logged, f, f->st);
    return f->stall ? 0 : -1;
}

static void free_fz(fz *f)
{
    nf_stall_free(f->stall);
    for (int i = 0; f->slots && i <= f->nslots; i++) { /* slots[nslots]: the stall client's write log */
        slot *s = &f->slots[i];
        fconn_free(&s->c);
        nf_gen_free(&s->gen);
        free(s->next);
        free(s->culprit);
        free(s->batch);
        for (unsigned j = 0; j < s->wcap; j++)
            free(s->wlog[j].p);
        free(s->wlog);
    }
    free(f->slots);
    fconn_free(&f->pr.c);
    nf_gen_free(&f->pr.gen);
    fconn_free(&f->rc);
    for (int v = 0; v < 6; v++)
        nf_gen_free(&f->rgen[v]);
    free(f->sigs);
    nf_crash_free(&f->crash);
    if (f->summary)
        fclose(f->summary);
}

int nf_run(const nf_options *o, nf_stats *st)
{
    memset(st, 0, sizeof *st);
    fz f;
    memset(&f, 0, sizeof f);
    f.o = o;
    f.st = st;
    mqtt_version vers[2];
    int nv = 0;
    if (!o->versions || (o->versions & (1u << MQTT_V311)))
        vers[nv++] = MQTT_V311;
    if (!o->versions || (o->versions & (1u << MQTT_V5)))
        vers[nv++] = MQTT_V5;
    if (nv == 0 || o->connections < 1) {
        fprintf(o->err, "mqttspec fuzz: nothing to fuzz (versions 3.1.1 and 5.0 only, at least one connection)\n");
        return -1;
    }
    char err[256];
    mqs_tls_opts tls;
    memset(&tls, 0, sizeof tls);
    mqs_transport *t = mqs_transport_connect(&o->url, &tls, mqs_now_ms() + 5000, err, sizeof err);
    if (!t) {
        fprintf(o->err, "mqttspec fuzz: target %s:%s unreachable: %s\n", o->url.host, o->url.port, err);
        return -1;
    }
    mqs_transport_drop(t);
    f.nslots = o->connections;
    f.slots = calloc((size_t)f.nslots + 1, sizeof *f.slots);
    f.sigs = calloc(MAX_SIGS, sizeof *f.sigs);
    bool ok = f.slots && f.sigs;
    for (int i = 0; ok && i < f.nslots; i++) {
        slot *s = &f.slots[i];
        s->owner = &f;
        s->id = (unsigned)i;
        ok = nf_gen_init(&s->gen, o->seed, (unsigned)i, vers[i % nv]) == 0;
        ok = ok && (!o->sessions || nf_gen_sessions(&s->gen, o->sessions) == 0);
        s->next = malloc(sizeof *s->next);
        s->culprit = malloc(sizeof *s->culprit);
        s->batch = malloc(BATCH_BYTES + NF_CASE_CAP + 4);
        s->wcap = WLOG;
        s->wlog = calloc(WLOG, sizeof *s->wlog);
        ok = ok && s->next && s->culprit && s->batch && s->wlog;
    }
    ok = ok && nf_gen_init(&f.pr.gen, o->seed, 1000, vers[0]) == 0;
    ok = ok && start_stall(&f, vers[0]) == 0;
    ok = ok && nf_gen_init(&f.rgen[MQTT_V311], o->seed, 1001, MQTT_V311) == 0;
    ok = ok && nf_gen_init(&f.rgen[MQTT_V5], o->seed, 1001, MQTT_V5) == 0;
    if (!ok) {
        fprintf(o->err, "mqttspec fuzz: out of memory\n");
        free_fz(&f);
        return -1;
    }
    f.t0 = mqs_now_ms();
    campaign(&f);
    if (st->liveness_failed && o->sup)
        nf_crash_process(o, &f.crash, st);
    if (!st->liveness_failed && f.nsigs) {
        char path[600];
        nf_mkdir_p(o->out_dir);
        snprintf(path, sizeof path, "%s/summary.txt", o->out_dir);
        f.summary = fopen(path, "w");
        process_candidates(&f);
    }
    free_fz(&f);
    return st->liveness_failed ? 1 : 0;
}
