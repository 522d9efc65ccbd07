/*
 * A chaos worker: one MQTT client connection, publisher or subscriber,
 * driven by the run's poll loop.  It keeps its own session state across
 * reconnections (unacknowledged PUBLISH and PUBREL, QoS 2 packet ids awaiting
 * PUBREL) and resumes it as 4.4 asks; it can drop its connection on purpose
 * at a chosen point of a QoS flow (--drop-clients).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>

#include "chaos_internal.h"

#define MAGIC "MQSC"
#define SESSION_EXPIRY_S 3600u
#define KEEP_ALIVE_S 60u
#define CONNECT_TIMEOUT_MS 3000

static const char *const drop_names[MQS_DROP_POINT_COUNT] = {
    [MQS_DROP_PUB_AFTER_PUBLISH] = "after-publish",
    [MQS_DROP_PUB_AFTER_PUBREC] = "after-pubrec",
    [MQS_DROP_PUB_AFTER_PUBREL] = "after-pubrel",
    [MQS_DROP_SUB_BEFORE_ACK] = "before-ack",
    [MQS_DROP_SUB_AFTER_PUBREL] = "before-pubcomp",
};

static const char *const drop_details[MQS_DROP_POINT_COUNT] = {
    [MQS_DROP_PUB_AFTER_PUBLISH] = "dropped after sending PUBLISH, before its PUBACK/PUBREC",
    [MQS_DROP_PUB_AFTER_PUBREC] = "dropped after PUBREC, before sending PUBREL",
    [MQS_DROP_PUB_AFTER_PUBREL] = "dropped after sending PUBREL, before its PUBCOMP",
    [MQS_DROP_SUB_BEFORE_ACK] = "dropped after receiving PUBLISH, before sending PUBACK/PUBREC",
    [MQS_DROP_SUB_AFTER_PUBREL] = "dropped after receiving PUBREL, before sending PUBCOMP",
};

const char *mqs_chaos_drop_point_name(mqs_chaos_drop_point p)
{
    return (unsigned)p < MQS_DROP_POINT_COUNT ? drop_names[p] : "?";
}

bool chaos_worker_init(chaos_worker *w, const chaos_run *run, bool is_pub, uint32_t index)
{
    memset(w, 0, sizeof *w);
    w->is_pub = is_pub;
    w->index = index;
    w->armed_drop = -1;
    w->next_pid = 1;
    w->max_qos = 2;
    w->max_flight = run->o->inflight;
    snprintf(w->name, sizeof w->name, "%s-%u", is_pub ? "pub" : "sub", index);
    snprintf(w->client_id, sizeof w->client_id, "mqttspec-chaos-%08x-%s", run->run_id, w->name);
    return true; /* buffers come when needed */
}

static void partial_free(chaos_worker *w)
{
    free(w->partial);
    w->partial = NULL;
    w->partial_len = 0;
}

static void out_free(chaos_worker *w)
{
    free(w->out);
    w->out = NULL;
    w->out_len = w->out_cap = 0;
}

void chaos_worker_free(chaos_worker *w)
{
    if (w->t)
        mqs_transport_drop(w->t);
    partial_free(w);
    out_free(w);
    free(w->flight);
    chaos_idset_clear(&w->awaiting_pubrel);
    memset(w, 0, sizeof *w);
}

int chaos_worker_fd(const chaos_worker *w)
{
    return w->t ? mqs_transport_fd(w->t) : -1;
}

short chaos_worker_events(const chaos_worker *w)
{
    if (w->state == W_TCP)
        return POLLOUT; /* the connect has ended */
    return (short)(POLLIN | (w->out_len ? POLLOUT : 0));
}

/* ---- output ---- */

/* Room for need more bytes of output, growing the buffer (doubling) up to CHAOS_OUT_CAP. */
static bool out_reserve(chaos_worker *w, size_t need)
{
    if (need > CHAOS_OUT_CAP - w->out_len)
        return false;
    size_t want = w->out_len + need;
    if (want <= w->out_cap)
        return true;
    size_t cap = w->out_cap ? w->out_cap : CHAOS_OUT_MIN;
    while (cap < want)
        cap *= 2;
    if (cap > CHAOS_OUT_CAP)
        cap = CHAOS_OUT_CAP;
    uint8_t *out = realloc(w->out, cap);
    if (!out)
        return false;
    w->out = out;
    w->out_cap = cap;
    return true;
}

/* Queue an encoded packet; false if it does not fit (the caller treats the connection as stuck). */
static bool send_packet(chaos_run *run, chaos_worker *w, const mqtt_packet *p)
{
    size_t need = mqtt_encoded_size(p, run->o->version);
    if (!w->t || need == 0 || !out_reserve(w, need))
        return false;
    w->out_len += mqtt_encode(p, run->o->version, w->out + w->out_len, w->out_cap - w->out_len);
    return true;
}

void chaos_worker_flush(chaos_run *run, chaos_worker *w)
{
    if (!w->t || !w->out_len)
        return;
    if (run->worker_url.tls || run->worker_url.ws) {
        /* TLS and WebSocket frame what they write: the transport writes it whole. */
        if (mqs_transport_write_all(w->t, w->out, w->out_len, mqs_now_ms() + 5000) != 0) {
            chaos_worker_lost(run, w, "write failed");
            return;
        }
        out_free(w);
    } else {
        ssize_t n = send(mqs_transport_fd(w->t), w->out, w->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                chaos_worker_lost(run, w, "write failed");
            return;
        }
        memmove(w->out, w->out + n, w->out_len - (size_t)n);
        w->out_len -= (size_t)n;
        if (w->out_len == 0)
            out_free(w); /* drained: an idle connection holds no output buffer */
    }
    w->last_write_ms = mqs_now_ms();
}

/* Drop the connection now if a --drop-clients point p is armed. */
static bool drop_here(chaos_run *run, chaos_worker *w, mqs_chaos_drop_point p, uint32_t seq)
{
    if (w->armed_drop != (int)p || !run->faults_on)
        return false;
    chaos_worker_flush(run, w);
    chaos_fault(run, MQS_FAULT_CLIENT_DROP, w->name, "%s (seq %u)", drop_details[p], seq);
    w->armed_drop = -1;
    w->next_drop_ms = chaos_now(run) + chaos_jitter(&run->rng, run->o->drop_every_ms);
    chaos_worker_lost(run, w, NULL);
    return true;
}

static bool send_ack(chaos_run *run, chaos_worker *w, uint8_t type, uint16_t pid)
{
    mqtt_packet p = {.type = type};
    p.u.ack.packet_id = pid;
    return send_packet(run, w, &p);
}

/* ---- connecting ---- */

static void connect_props(const chaos_run *run, mqtt_writer *wr)
{
    if (run->o->version != MQTT_V5 || !run->o->persistent)
        return;
    mqtt_property prop = {.id = MQTT_PROP_SESSION_EXPIRY_INTERVAL, .value = SESSION_EXPIRY_S};
    mqtt_write_property(wr, &prop);
}

static bool send_connect(chaos_run *run, chaos_worker *w)
{
    uint8_t props[16];
    mqtt_writer wr;
    mqtt_writer_init(&wr, props, sizeof props);
    connect_props(run, &wr);
    mqtt_packet p = {.type = MQTT_CONNECT};
    mqtt_connect *c = &p.u.connect;
    c->protocol_name = (mqtt_bytes){(const uint8_t *)"MQTT", 4};
    c->protocol_level = (uint8_t)run->o->version;
    /* 3.1.1: a CleanSession 1 session ends with its connection, so a persistent one starts with 0 too
     * (the client ids are new each run); 5.0 starts clean and keeps the session by its expiry. */
    c->clean_start = !run->o->persistent || (!w->had_session && run->o->version == MQTT_V5);
    c->keep_alive = KEEP_ALIVE_S;
    c->props = (mqtt_props){props, (uint32_t)wr.len};
    c->client_id = (mqtt_bytes){(const uint8_t *)w->client_id, (uint32_t)strlen(w->client_id)};
    if (run->o->username) {
        c->has_username = true;
        c->username = (mqtt_bytes){(const uint8_t *)run->o->username, (uint32_t)strlen(run->o->username)};
    }
    if (run->o->password) {
        c->has_password = true;
        c->password = (mqtt_bytes){(const uint8_t *)run->o->password, (uint32_t)strlen(run->o->password)};
    }
    return send_packet(run, w, &p);
}

/* The connection is up: the MQTT session starts with CONNECT. */
static bool begin_mqtt(chaos_run *run, chaos_worker *w, char *err, size_t err_cap)
{
    partial_free(w);
    out_free(w);
    w->state = W_CONNACK;
    if (!send_connect(run, w)) {
        chaos_worker_lost(run, w, "CONNECT does not fit");
        snprintf(err, err_cap, "CONNECT cannot be encoded");
        return false;
    }
    chaos_worker_flush(run, w);
    return true;
}

bool chaos_worker_connect(chaos_run *run, chaos_worker *w, char *err, size_t err_cap)
{
    w->t = mqs_transport_connect(&run->worker_url, &run->o->tls, mqs_now_ms() + CONNECT_TIMEOUT_MS, err, err_cap);
    return w->t && begin_mqtt(run, w, err, err_cap);
}

/* Plain TCP connects without waiting (W_TCP until its socket is writable); TLS and WebSocket, whose
 * handshakes the transport runs to their end, connect as before. */
static bool connect_start(chaos_run *run, chaos_worker *w, char *err, size_t err_cap)
{
    if (run->worker_url.tls || run->worker_url.ws)
        return chaos_worker_connect(run, w, err, err_cap);
    if (!(w->t = mqs_transport_connect_start(&run->worker_url, err, err_cap)))
        return false;
    w->state = W_TCP;
    w->connect_by_ms = mqs_now_ms() + CONNECT_TIMEOUT_MS;
    return true;
}

void chaos_worker_connecting(chaos_run *run, chaos_worker *w)
{
    int rc = mqs_transport_connect_result(w->t);
    if (rc == MQS_IO_AGAIN && mqs_now_ms() < w->connect_by_ms)
        return;
    char err[200];
    if (rc != 0 || !begin_mqtt(run, w, err, sizeof err)) {
        /* a failed attempt, not a lost connection: retried as a failed blocking connect was */
        if (w->t)
            mqs_transport_drop(w->t);
        w->t = NULL;
        w->state = W_DOWN;
        w->next_connect_ms = chaos_now(run) + 100;
    }
}

/* Where workers connect from now on: the address the first connection reached, as a numeric
 * host (mqs_transport_connect_start tries only the first address a name resolves to). */
void chaos_worker_pin_address(chaos_run *run, const chaos_worker *first)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    char host[sizeof run->worker_url.host];
    if (run->worker_url.tls || run->worker_url.ws || !first->t ||
        getpeername(mqs_transport_fd(first->t), (struct sockaddr *)&sa, &len) != 0 ||
        getnameinfo((struct sockaddr *)&sa, len, host, sizeof host, NULL, 0, NI_NUMERICHOST) != 0)
        return;
    memcpy(run->worker_url.host, host, sizeof host);
}

void chaos_worker_lost(chaos_run *run, chaos_worker *w, const char *why)
{
    (void)why;
    if (w->t && !w->is_pub && !run->o->persistent && w->state != W_CONNACK)
        mqs_chaos_session_ended(run->ck, w->index, chaos_now(run)); /* a clean session ends with its connection */
    if (w->t) {
        mqs_transport_drop(w->t);
        w->t = NULL;
        run->r->reconnects++;
    }
    w->state = W_DOWN;
    partial_free(w);
    out_free(w);
    w->next_connect_ms = chaos_now(run) + 20 + (int64_t)(chaos_rand(&run->rng) % 100);
}

void chaos_worker_disconnect(chaos_run *run, chaos_worker *w)
{
    if (!w->t)
        return;
    mqtt_packet p = {.type = MQTT_DISCONNECT};
    send_packet(run, w, &p);
    chaos_worker_flush(run, w);
    mqs_transport_close(w->t);
    w->t = NULL;
    w->state = W_DOWN;
}

/* ---- publisher ---- */

static void topic_name(const chaos_run *run, uint32_t topic, char *buf, size_t cap)
{
    snprintf(buf, cap, "mqttspec-chaos/%08x/%u", run->run_id, topic);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool send_publish(chaos_run *run, chaos_worker *w, const chaos_flight *f, bool dup)
{
    uint8_t payload[65536];
    char topic[64];
    size_t size = run->o->size < sizeof payload ? run->o->size : sizeof payload;
    memset(payload, 'x', size);
    memcpy(payload, MAGIC, 4);
    put32(payload + 4, run->run_id);
    put32(payload + 8, w->index);
    put32(payload + 12, f->seq);
    put32(payload + 16, (uint32_t)((uint64_t)f->send_ns >> 32));
    put32(payload + 20, (uint32_t)f->send_ns);
    put32(payload + 24, f->topic);
    payload[28] = f->qos;
    topic_name(run, f->topic, topic, sizeof topic);
    mqtt_packet p = {.type = MQTT_PUBLISH};
    p.u.publish.qos = f->qos;
    p.u.publish.dup = dup;
    p.u.publish.packet_id = f->pid;
    p.u.publish.topic = (mqtt_bytes){(const uint8_t *)topic, (uint32_t)strlen(topic)};
    p.u.publish.payload = (mqtt_bytes){payload, (uint32_t)size};
    return send_packet(run, w, &p);
}

static uint16_t free_pid(chaos_worker *w)
{
    for (;;) {
        uint16_t pid = w->next_pid++;
        if (w->next_pid == 0)
            w->next_pid = 1;
        bool used = false;
        for (unsigned i = 0; i < w->n_flight && !used; i++)
            used = w->flight[i].pid == pid;
        if (!used)
            return pid;
    }
}

/* The QoS of message seq: the chosen levels in turn, capped by the broker's Maximum QoS. */
static uint8_t qos_of(const chaos_run *run, const chaos_worker *w, uint32_t seq)
{
    uint8_t levels[3];
    unsigned n = 0;
    for (uint8_t q = 0; q < 3; q++) {
        if (run->o->qos_mask & (1u << q))
            levels[n++] = q;
    }
    uint8_t q = n ? levels[seq % n] : 0;
    return q > w->max_qos ? w->max_qos : q;
}

/* Whether the next message may go now, credit aside (else an acknowledgement or a write must come first). */
static bool may_publish(const chaos_run *run, const chaos_worker *w)
{
    if (qos_of(run, w, w->next_seq) > 0 && w->n_flight >= w->max_flight)
        return false;
    /* the connection is slow (a stalled proxy): wait, as a client with a full socket would */
    return w->t && w->out_len <= CHAOS_OUT_CAP / 2;
}

static bool publish_one(chaos_run *run, chaos_worker *w)
{
    uint32_t seq = w->next_seq;
    chaos_flight f = {.seq = seq, .qos = qos_of(run, w, seq), .send_ns = chaos_now_ns()};
    f.topic = (uint32_t)((seq + w->index) % run->o->topics);
    if (!may_publish(run, w))
        return false;
    if (f.qos > 0 && !w->flight && !(w->flight = malloc(run->o->inflight * sizeof *w->flight)))
        return false;
    if (f.qos > 0)
        f.pid = free_pid(w);
    if (!send_publish(run, w, &f, false))
        return false;
    mqs_chaos_sent(run->ck, w->index, seq, f.topic, f.qos, chaos_now(run));
    w->next_seq++;
    run->sec_sent++;
    if (f.qos > 0) {
        w->flight[w->n_flight++] = f;
        drop_here(run, w, MQS_DROP_PUB_AFTER_PUBLISH, seq);
    }
    return true;
}

static int find_flight(const chaos_worker *w, uint16_t pid, uint8_t qos, bool released)
{
    for (unsigned i = 0; i < w->n_flight; i++) {
        if (w->flight[i].pid == pid && w->flight[i].qos == qos && w->flight[i].released == released)
            return (int)i;
    }
    return -1;
}

static void flight_done(chaos_run *run, chaos_worker *w, unsigned i, bool acked)
{
    if (acked) {
        mqs_chaos_acked(run->ck, w->index, w->flight[i].seq, chaos_now(run));
        run->sec_acked++;
        run->total_acked++;
    }
    memmove(&w->flight[i], &w->flight[i + 1], (w->n_flight - i - 1) * sizeof w->flight[0]);
    w->n_flight--;
}

/* A QoS 2 PUBLISH answered with PUBACK (seen from RabbitMQ 3.10): its flow is broken, so the message is
 * neither acknowledged nor resent (no loss verdict on it), and the publisher is not left waiting for a PUBREC
 * that will not come. */
static void qos2_answered_with_puback(chaos_run *run, chaos_worker *w, unsigned i)
{
    if (!w->qos2_puback_noted) {
        w->qos2_puback_noted = true;
        chaos_note(run->r, "%s: the broker answered a QoS 2 PUBLISH (packet id %u) with PUBACK, not PUBREC "
                   "(%s:MQTT-3.3.4-1): such messages count as unacknowledged; --qos 0,1 tests what it supports",
                   w->name, w->flight[i].pid, mqtt_version_name(run->o->version));
    }
    flight_done(run, w, i, false);
}

static void on_pub_ack(chaos_run *run, chaos_worker *w, const mqtt_packet *p)
{
    uint16_t pid = p->u.ack.packet_id;
    bool failed = p->u.ack.code >= 0x80; /* 5.0: refused; not acknowledged, not resent (4.4.0-2) */
    int i;
    switch (p->type) {
    case MQTT_PUBACK:
        if ((i = find_flight(w, pid, 1, false)) >= 0)
            flight_done(run, w, (unsigned)i, !failed);
        else if ((i = find_flight(w, pid, 2, false)) >= 0)
            qos2_answered_with_puback(run, w, (unsigned)i);
        break;
    case MQTT_PUBREC:
        if ((i = find_flight(w, pid, 2, false)) < 0)
            break;
        if (failed) {
            flight_done(run, w, (unsigned)i, false);
            break;
        }
        w->flight[i].released = true;
        if (drop_here(run, w, MQS_DROP_PUB_AFTER_PUBREC, w->flight[i].seq))
            break;
        send_ack(run, w, MQTT_PUBREL, pid);
        drop_here(run, w, MQS_DROP_PUB_AFTER_PUBREL, w->flight[i].seq);
        break;
    case MQTT_PUBCOMP:
        if ((i = find_flight(w, pid, 2, true)) >= 0)
            flight_done(run, w, (unsigned)i, true);
        break;
    default:
        break;
    }
}

/* Session present: resend what is unacknowledged, in order (4.4.0-1, 4.6.0-1); else it is gone. */
static void pub_resume(chaos_run *run, chaos_worker *w, bool session_present)
{
    if (!session_present || !run->o->persistent) {
        if (w->n_flight && run->o->persistent) {
            run->r->session_losses++;
            chaos_note(run->r, "%s: the broker did not resume its session (Session Present 0): %u unacknowledged "
                       "messages abandoned, not resent", w->name, w->n_flight);
        }
        w->n_flight = 0;
        return;
    }
    for (unsigned i = 0; i < w->n_flight; i++) {
        const chaos_flight *f = &w->flight[i];
        if (f->released)
            send_ack(run, w, MQTT_PUBREL, f->pid);
        else
            send_publish(run, w, f, true);
    }
}

/* ---- subscriber ---- */

static bool send_subscribe(chaos_run *run, chaos_worker *w)
{
    uint8_t list[4096];
    mqtt_writer wr;
    mqtt_writer_init(&wr, list, sizeof list);
    uint8_t qos = run->o->qos_mask & 4 ? 2 : run->o->qos_mask & 2 ? 1 : 0;
    for (uint32_t t = 0; t < run->o->topics; t++) {
        char topic[64], filter[96];
        topic_name(run, t, topic, sizeof topic);
        chaos_sub_filter(run, w, topic, filter, sizeof filter);
        mqtt_write_sub_entry(&wr, (mqtt_bytes){(const uint8_t *)filter, (uint32_t)strlen(filter)}, qos);
    }
    if (wr.overflow)
        return false;
    mqtt_packet p = {.type = MQTT_SUBSCRIBE};
    p.u.subs.packet_id = 1;
    p.u.subs.list = (mqtt_list){list, (uint32_t)wr.len, run->o->topics};
    return send_packet(run, w, &p);
}

/* Which message a payload is (publisher << 32 | sequence number), or NOT_OURS. */
#define NOT_OURS UINT64_MAX
static uint64_t message_tag(const chaos_run *run, const mqtt_publish *pub)
{
    const uint8_t *d = pub->payload.ptr;
    if (pub->payload.len < MQS_CHAOS_MIN_SIZE || memcmp(d, MAGIC, 4) != 0 || get32(d + 4) != run->run_id)
        return NOT_OURS;
    return (uint64_t)get32(d + 8) << 32 | get32(d + 12);
}

static void record_delivery(chaos_run *run, chaos_worker *w, const mqtt_publish *pub)
{
    const uint8_t *d = pub->payload.ptr;
    run->last_delivery_ms = chaos_now(run);
    run->sec_received++;
    run->total_received++;
    uint64_t tag = message_tag(run, pub);
    if (tag == NOT_OURS) {
        mqs_chaos_received(run->ck, w->index, MQS_CHAOS_NONE, 0, MQS_CHAOS_NONE, pub->qos, pub->dup,
                           chaos_now(run));
        return;
    }
    int64_t sent_ns = (int64_t)((uint64_t)get32(d + 16) << 32 | get32(d + 20));
    int64_t lat_ns = chaos_now_ns() - sent_ns;
    if (lat_ns >= 0) {
        chaos_hist_add(&run->lat_all, (uint64_t)lat_ns / 1000);
        chaos_hist_add(&run->lat_sec, (uint64_t)lat_ns / 1000);
    }
    mqs_chaos_received(run->ck, w->index, (uint32_t)(tag >> 32), (uint32_t)tag, get32(d + 24), pub->qos, pub->dup,
                       chaos_now(run));
}

/* A QoS 2 PUBLISH under a packet id still awaiting PUBREL: a resend (4.3.3 receiver), not a new message.  If it
 * carries another message than the one received under that id, the broker reused an id in use. */
static void on_qos2_resend(chaos_run *run, chaos_worker *w, const mqtt_publish *pub, uint64_t held)
{
    uint64_t tag = message_tag(run, pub);
    if (tag == held || tag == NOT_OURS || held == NOT_OURS)
        return;
    const uint8_t *d = pub->payload.ptr;
    mqs_chaos_id_in_use(run->ck, w->index, (uint32_t)(tag >> 32), (uint32_t)tag, get32(d + 24), pub->packet_id,
                        (uint32_t)(held >> 32), (uint32_t)held, chaos_now(run));
}

static void on_sub_publish(chaos_run *run, chaos_worker *w, const mqtt_packet *p)
{
    const mqtt_publish *pub = &p->u.publish;
    uint32_t seq = pub->payload.len >= 16 ? get32(pub->payload.ptr + 12) : 0;
    uint64_t held;
    if (pub->qos == 2 && chaos_idset_find(&w->awaiting_pubrel, pub->packet_id, &held)) {
        on_qos2_resend(run, w, pub, held);
    } else {
        if (pub->qos == 2 && !chaos_idset_add(&w->awaiting_pubrel, pub->packet_id, message_tag(run, pub)))
            chaos_note(run->r, "%s: out of memory: a resend of packet id %u may count as a second delivery",
                       w->name, pub->packet_id);
        record_delivery(run, w, pub);
    }
    if (pub->qos == 0 || drop_here(run, w, MQS_DROP_SUB_BEFORE_ACK, seq))
        return;
    send_ack(run, w, pub->qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, pub->packet_id);
}

static void on_sub_pubrel(chaos_run *run, chaos_worker *w, uint16_t pid)
{
    chaos_idset_del(&w->awaiting_pubrel, pid);
    if (drop_here(run, w, MQS_DROP_SUB_AFTER_PUBREL, pid))
        return;
    send_ack(run, w, MQTT_PUBCOMP, pid);
}

static void sub_resume(chaos_run *run, chaos_worker *w, bool session_present)
{
    if (run->o->persistent && session_present && w->had_session) {
        w->state = W_UP;
        return;
    }
    if (run->o->persistent && w->had_session) {
        run->r->session_losses++;
        chaos_note(run->r, "%s: the broker did not resume its session (Session Present 0): messages sent before "
                   "are not expected at it", w->name);
    }
    chaos_idset_clear(&w->awaiting_pubrel);
    w->state = send_subscribe(run, w) ? W_SUBACK : W_DOWN;
}

/* ---- input ---- */

static void on_connack(chaos_run *run, chaos_worker *w, const mqtt_packet *p)
{
    const mqtt_connack *ca = &p->u.connack;
    if (ca->code != 0) {
        chaos_note(run->r, "%s: CONNACK refused the connection (code 0x%02x)", w->name, ca->code);
        chaos_worker_lost(run, w, "refused");
        w->next_connect_ms = chaos_now(run) + 1000;
        return;
    }
    bool present = ca->flags & 1;
    mqtt_property prop;
    if (run->o->version == MQTT_V5 && mqtt_prop_find(ca->props, MQTT_PROP_MAXIMUM_QOS, &prop))
        w->max_qos = (uint8_t)prop.value;
    if (run->o->version == MQTT_V5 && mqtt_prop_find(ca->props, MQTT_PROP_RECEIVE_MAXIMUM, &prop) &&
        prop.value < run->o->inflight)
        w->max_flight = prop.value;
    if (w->is_pub) {
        pub_resume(run, w, present);
        w->state = W_UP;
    } else if (!chaos_shared_connack(run, w, ca->props)) {
        w->state = W_UP; /* a member of a shared group the target refused: connected, subscribed to nothing */
    } else {
        sub_resume(run, w, present);
    }
    w->had_session = true;
}

/* What the SUBACK granted, topic by topic (the SUBSCRIBE lists them in order): a lower QoS caps what is owed,
 * a refusal owes nothing (a plain subscriber's is noted; a shared member's makes the group unsupported). */
static void record_grants(chaos_run *run, chaos_worker *w, const mqtt_packet *p)
{
    bool noted = false;
    for (uint32_t i = 0; i < p->u.subs.list.len && i < run->o->topics; i++) {
        uint8_t code = p->u.subs.list.ptr[i];
        mqs_chaos_granted(run->ck, w->index, i, code);
        if (code >= 0x80 && w->group == MQS_CHAOS_NONE && !noted) {
            noted = true;
            chaos_note(run->r, "%s: SUBACK refused its subscription to topic %u (0x%02X): nothing sent there is "
                       "expected at it", w->name, i, code);
        }
    }
}

static void on_packet(chaos_run *run, chaos_worker *w, const mqtt_packet *p)
{
    if (p->type == MQTT_CONNACK && w->state == W_CONNACK) {
        on_connack(run, w, p);
    } else if (p->type == MQTT_SUBACK && w->state == W_SUBACK) {
        record_grants(run, w, p);
        if (chaos_shared_suback(run, w, p))
            mqs_chaos_session_started(run->ck, w->index, chaos_now(run));
        w->state = W_UP;
    } else if (p->type == MQTT_DISCONNECT) {
        chaos_worker_lost(run, w, "DISCONNECT from the broker");
    } else if (w->is_pub) {
        on_pub_ack(run, w, p);
    } else if (p->type == MQTT_PUBLISH) {
        on_sub_publish(run, w, p);
    } else if (p->type == MQTT_PUBREL) {
        on_sub_pubrel(run, w, p->u.ack.packet_id);
    }
}

/* Decode and handle the complete packets in s; false if the connection ended meanwhile. */
static bool take_packets(chaos_run *run, chaos_worker *w, mqtt_stream *s)
{
    mqtt_decode_opts opts = {.version = run->o->version, .role = MQTT_ROLE_CLIENT};
    mqtt_packet p;
    mqtt_bytes raw;
    mqtt_error err;
    mqtt_status st = MQTT_NEED_MORE;
    while (w->t && (st = mqtt_stream_next(s, &opts, &p, &raw, &err)) == MQTT_COMPLETE)
        on_packet(run, w, &p);
    if (w->t && st == MQTT_MALFORMED) {
        char why[200];
        mqtt_err_format(&err, run->o->version, why, sizeof why);
        chaos_note(run->r, "%s: malformed packet from the broker: %s", w->name, why);
        chaos_worker_lost(run, w, "malformed");
    }
    return w->t != NULL;
}

/* Keep the incomplete packet left in s (exactly its bytes; nothing when there is none). */
static bool keep_partial(chaos_worker *w, const mqtt_stream *s)
{
    size_t left = s->end - s->start;
    if (left == 0) {
        partial_free(w);
        return true;
    }
    uint8_t *p = realloc(w->partial, left);
    if (!p)
        return false;
    memcpy(p, s->buf + s->start, left);
    w->partial = p;
    w->partial_len = left;
    return true;
}

void chaos_worker_readable(chaos_run *run, chaos_worker *w)
{
    for (int rounds = 0; w->t && rounds < 16; rounds++) {
        /* the run's scratch buffer: what was kept of an incomplete packet, then what the socket has */
        mqtt_stream s;
        mqtt_stream_init(&s, run->scratch, CHAOS_IN_CAP);
        if (w->partial_len)
            mqtt_stream_append(&s, w->partial, w->partial_len);
        size_t avail;
        uint8_t *space = mqtt_stream_space(&s, &avail);
        if (avail == 0)
            break;
        ssize_t n = mqs_transport_read(w->t, space, avail);
        if (n == MQS_IO_AGAIN)
            break;
        if (n <= 0) {
            chaos_worker_lost(run, w, n == 0 ? "closed by the peer" : "read failed");
            return;
        }
        mqtt_stream_commit(&s, (size_t)n);
        if (!take_packets(run, w, &s))
            return;
        if (!keep_partial(w, &s)) {
            chaos_note(run->r, "%s: out of memory for an incomplete packet: connection dropped", w->name);
            chaos_worker_lost(run, w, "out of memory");
            return;
        }
    }
    chaos_worker_flush(run, w);
}

/* ---- time ---- */

static int64_t earlier(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static unsigned drop_points_of(const chaos_run *run, const chaos_worker *w)
{
    return run->o->drop_mask & (w->is_pub ? 0x7u : 0x18u);
}

int64_t chaos_worker_due(const chaos_run *run, const chaos_worker *w, double per_pub)
{
    int64_t now = mqs_now_ms();
    switch (w->state) {
    case W_DOWN: /* with every connect slot taken, a slot freed (I/O) comes first */
        return run->connecting < CHAOS_MAX_CONNECTING ? run->t0_ms + w->next_connect_ms : INT64_MAX;
    case W_TCP:
        return w->connect_by_ms;
    case W_CONNACK:
    case W_SUBACK:
        return INT64_MAX;
    case W_UP:
        break;
    }
    int64_t due = w->last_write_ms + (int64_t)KEEP_ALIVE_S * 500 + 1;
    if (drop_points_of(run, w) && run->faults_on && w->armed_drop < 0)
        due = earlier(due, w->next_drop_ms ? run->t0_ms + w->next_drop_ms : now);
    if (w->is_pub && run->publishing && may_publish(run, w) && per_pub > 0) {
        double wait_ms = w->credit >= 1.0 ? 0 : (1.0 - w->credit) * 1000.0 / per_pub;
        due = earlier(due, now + (int64_t)ceil(wait_ms));
    }
    return due;
}

static void maybe_arm_drop(chaos_run *run, chaos_worker *w, int64_t now)
{
    unsigned mine = drop_points_of(run, w);
    if (!mine || !run->faults_on || w->armed_drop >= 0)
        return;
    if (w->next_drop_ms == 0)
        w->next_drop_ms = now + chaos_jitter(&run->rng, run->o->drop_every_ms);
    if (now < w->next_drop_ms)
        return;
    int pick;
    do
        pick = (int)(chaos_rand(&run->rng) % MQS_DROP_POINT_COUNT);
    while (!(mine & (1u << pick)));
    w->armed_drop = pick;
}

void chaos_worker_tick(chaos_run *run, chaos_worker *w, int64_t now)
{
    if (w->state == W_DOWN) {
        char err[200];
        if (now < w->next_connect_ms || run->connecting >= CHAOS_MAX_CONNECTING)
            return;
        run->connecting++;
        if (!connect_start(run, w, err, sizeof err))
            w->next_connect_ms = now + 100;
        return;
    }
    if (w->state == W_TCP) {
        if (mqs_now_ms() >= w->connect_by_ms)
            chaos_worker_connecting(run, w); /* gives up */
        return;
    }
    if (w->state != W_UP)
        return;
    if (!run->faults_on)
        w->armed_drop = -1;
    maybe_arm_drop(run, w, now);
    if (w->is_pub && run->publishing) {
        while (w->t && w->credit >= 1.0 && publish_one(run, w))
            w->credit -= 1.0;
    }
    if (w->t && mqs_now_ms() - w->last_write_ms > (int64_t)KEEP_ALIVE_S * 500) {
        mqtt_packet ping = {.type = MQTT_PINGREQ};
        send_packet(run, w, &ping);
    }
    chaos_worker_flush(run, w);
}
