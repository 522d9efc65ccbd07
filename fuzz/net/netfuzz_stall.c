/*
 * A client that stops reading (nf_stall): it connects, reads its CONNACK,
 * subscribes to its own topics at QoS 2 and then publishes QoS 1 and 2
 * messages to them as fast as the target takes its bytes, without ever
 * reading again.  The target owes it PUBACKs, PUBRECs and the deliveries of
 * its own messages, none of which it can send once the socket is full.  A
 * broker must go on serving its other clients (the probe watches that) and
 * keep its memory bounded (--rss-bound watches that); it may close this
 * connection.  After hold_ms the connection is dropped and another opened.
 *
 * Only what the specification allows a client is sent: packet identifiers
 * are not reused, and at 5.0 no more QoS 1 and 2 PUBLISHes are unacknowledged
 * than the target's Receive Maximum (MQTT-3.3.4-7); beyond it, QoS 0.
 */
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netfuzz_internal.h"

#define STALL_BYTES_MAX (8u << 20) /* written per connection at most, then held */
#define STALL_CHUNK 32             /* PUBLISHes written per tick */
#define STALL_PAYLOAD 512
#define STALL_CONNACK_MS 2000

typedef enum { ST_CLOSED, ST_CONNACK, ST_FLOOD, ST_HOLD } stall_state;

struct nf_stall {
    const mqs_url *url;
    nf_gen *g;
    nf_stall_log log;
    void *log_ctx;
    nf_stats *stats;
    int hold_ms;
    mqs_transport *t;
    stall_state state;
    int64_t until;          /* ST_CONNACK: give up; ST_HOLD: drop; ST_CLOSED: reopen */
    unsigned conn_no;
    uint8_t in[256];        /* the CONNACK */
    size_t in_len;
    uint32_t owed_max;      /* QoS 1/2 PUBLISHes that may be unacknowledged (Receive Maximum) */
    uint32_t sent_qos;      /* QoS 1/2 PUBLISHes sent on this connection */
    uint64_t published;     /* PUBLISHes of any QoS */
    bool subscribed;
    size_t written;
    uint8_t buf[STALL_CHUNK * (STALL_PAYLOAD + 64)];
};

nf_stall *nf_stall_new(const mqs_url *url, nf_gen *g, int hold_ms, nf_stall_log log, void *ctx, nf_stats *st)
{
    nf_stall *s = calloc(1, sizeof *s);
    if (s)
        *s = (nf_stall){.url = url, .g = g, .log = log, .log_ctx = ctx, .hold_ms = hold_ms, .stats = st};
    return s;
}

static void stall_drop(nf_stall *s, int64_t now)
{
    if (s->t)
        mqs_transport_drop(s->t);
    s->t = NULL;
    s->state = ST_CLOSED;
    s->until = now + 100;
}

void nf_stall_stop(nf_stall *s)
{
    stall_drop(s, INT64_MAX - 100);
}

void nf_stall_free(nf_stall *s)
{
    if (!s)
        return;
    if (s->t)
        mqs_transport_drop(s->t);
    free(s);
}

/* Write all of it now or not at all: false (and the connection held) when the target no longer reads. */
static bool stall_write(nf_stall *s, const uint8_t *p, size_t n, int64_t now)
{
    struct pollfd pfd = {.fd = mqs_transport_fd(s->t), .events = POLLOUT};
    if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT)) {
        s->stats->stall_full += s->state == ST_FLOOD;
        s->state = ST_HOLD;
        s->until = now + s->hold_ms;
        return false;
    }
    s->log(s->log_ctx, s->conn_no, p, n);
    if (mqs_transport_write_all(s->t, p, n, now + 50) != 0) { /* closed, or full half-way: either way, hold */
        s->state = ST_HOLD;
        s->until = now + s->hold_ms;
        return false;
    }
    s->written += n;
    if (s->state == ST_FLOOD)
        s->stats->stall_bytes += n;
    return true;
}

static void stall_open(nf_stall *s, int64_t now)
{
    char err[200];
    s->t = mqs_transport_connect(s->url, &(mqs_tls_opts){0}, now + STALL_CONNACK_MS, err, sizeof err);
    if (!s->t) {
        s->until = now + 500;
        return;
    }
    s->conn_no++;
    s->state = ST_CONNACK;
    s->until = now + STALL_CONNACK_MS;
    s->in_len = 0;
    s->sent_qos = 0;
    s->written = 0;
    s->subscribed = false;
    uint8_t connect[128];
    size_t n = nf_gen_connect(s->g, "s", connect, sizeof connect);
    if (!stall_write(s, connect, n, now))
        stall_drop(s, now);
}

/* The CONNACK: accepted, and (5.0) its Receive Maximum. */
static void stall_connack(nf_stall *s, int64_t now)
{
    ssize_t r = mqs_transport_read(s->t, s->in + s->in_len, sizeof s->in - s->in_len);
    if (r == MQS_IO_AGAIN)
        return;
    if (r <= 0) {
        stall_drop(s, now);
        return;
    }
    s->in_len += (size_t)r;
    mqtt_decode_opts o = {s->g->version, MQTT_ROLE_CLIENT, 0};
    mqtt_packet pkt;
    mqtt_error e;
    size_t used;
    mqtt_status st = mqtt_decode(s->in, s->in_len, &o, &pkt, &used, &e);
    if (st == MQTT_NEED_MORE && s->in_len < sizeof s->in)
        return;
    if (st != MQTT_COMPLETE || pkt.type != MQTT_CONNACK || pkt.u.connack.code != 0) {
        stall_drop(s, now);
        return;
    }
    mqtt_property rm;
    s->owed_max = 65535;
    if (s->g->version == MQTT_V5 && mqtt_prop_find(pkt.u.connack.props, MQTT_PROP_RECEIVE_MAXIMUM, &rm))
        s->owed_max = rm.value;
    s->state = ST_FLOOD;
    s->stats->stall_connections++;
}

static size_t stall_subscribe(nf_stall *s)
{
    char filter[96];
    snprintf(filter, sizeof filter, "%s/stall/#", s->g->topic_base);
    uint8_t list[128];
    mqtt_writer w;
    mqtt_writer_init(&w, list, sizeof list);
    mqtt_write_sub_entry(&w, (mqtt_bytes){(const uint8_t *)filter, (uint32_t)strlen(filter)}, 2 /* QoS 2 */);
    mqtt_packet pkt = {.type = MQTT_SUBSCRIBE};
    pkt.u.subs.packet_id = 1;
    pkt.u.subs.list = (mqtt_list){list, (uint32_t)w.len, 1};
    pkt.u.subs.props = (mqtt_props){(const uint8_t *)"", 0};
    return mqtt_encode(&pkt, s->g->version, s->buf, sizeof s->buf);
}

/*
 * One PUBLISH, QoS 0, 1 and 2 in turn (QoS 1 and 2 while the target's Receive Maximum and the packet ids
 * allow, else 0).  The QoS 0 ones come back to us at QoS 0, outside any in-flight window: they are what
 * fills the target's side of the socket.
 */
static size_t stall_publish(nf_stall *s, uint8_t *out, size_t cap)
{
    static const uint8_t payload[STALL_PAYLOAD];
    char topic[96];
    snprintf(topic, sizeof topic, "%s/stall/%u", s->g->topic_base, (unsigned)(s->published % 8));
    uint8_t qos = (uint8_t)(s->published++ % 3);
    if (s->sent_qos >= s->owed_max || s->sent_qos >= 65534)
        qos = 0;
    mqtt_packet pkt = {.type = MQTT_PUBLISH};
    pkt.u.publish.qos = qos;
    pkt.u.publish.packet_id = qos ? (uint16_t)(s->sent_qos + 2) : 0; /* 1 is the SUBSCRIBE's */
    pkt.u.publish.topic = (mqtt_bytes){(const uint8_t *)topic, (uint32_t)strlen(topic)};
    pkt.u.publish.payload = (mqtt_bytes){payload, sizeof payload};
    pkt.u.publish.props = (mqtt_props){(const uint8_t *)"", 0};
    s->sent_qos += qos > 0;
    return mqtt_encode(&pkt, s->g->version, out, cap);
}

static void stall_flood(nf_stall *s, int64_t now)
{
    size_t n = s->subscribed ? 0 : stall_subscribe(s);
    s->subscribed = true;
    uint32_t before = s->sent_qos;
    uint64_t published = s->published;
    for (int i = 0; i < STALL_CHUNK; i++)
        n += stall_publish(s, s->buf + n, sizeof s->buf - n);
    if (!stall_write(s, s->buf, n, now)) {
        s->sent_qos = before; /* nothing of it is known to have gone */
        s->published = published;
        return;
    }
    if (s->written >= STALL_BYTES_MAX) {
        s->state = ST_HOLD;
        s->until = now + s->hold_ms;
    }
}

void nf_stall_tick(nf_stall *s, int64_t now)
{
    switch (s->state) {
    case ST_CLOSED:
        if (now >= s->until)
            stall_open(s, now);
        return;
    case ST_CONNACK:
        if (now >= s->until)
            stall_drop(s, now);
        else
            stall_connack(s, now);
        return;
    case ST_FLOOD:
        stall_flood(s, now);
        return;
    case ST_HOLD:
        if (now >= s->until)
            stall_drop(s, now);
        return;
    }
}
