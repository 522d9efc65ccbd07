/*
 * One client connection: bytes in through the codec's stream reassembler and
 * strict decoder, packets out through the encoder, and the rules about
 * closing (malformed input, protocol errors, keep-alive).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define SIM_CONNECT_TIMEOUT_MS 10000 /* a connection that never sends CONNECT */
#define SIM_DEFAULT_RECEIVE_MAXIMUM 65535

sim_conn *sim_conn_new(sim_broker *b, mqs_transport *t, sim_quirk_set quirks)
{
    sim_conn *c = calloc(1, sizeof *c);
    uint8_t *storage = malloc(SIM_STREAM_INITIAL);
    if (!c || !storage)
        abort();
    c->b = b;
    c->t = t;
    c->id = ++b->next_conn_id;
    c->quirks = quirks;
    mqtt_stream_init(&c->in, storage, SIM_STREAM_INITIAL);
    c->last_rx = sim_now();
    c->recv_max = SIM_DEFAULT_RECEIVE_MAXIMUM;
    c->next = b->conns;
    b->conns = c;
    return c;
}

void sim_conn_free(sim_conn *c)
{
    sim_aliases_free(&c->in_aliases);
    sim_aliases_free(&c->out_aliases);
    sim_will_free(c->will);
    sim_auth_free(c);
    if (c->reorder_held)
        sim_msg_unref(c->reorder_held);
    free(c->in.buf);
    free(c->wbuf);
    free(c);
}

/* ---- sending ---- */

static bool ensure_wbuf(sim_conn *c, size_t need)
{
    if (need <= c->wcap)
        return true;
    uint8_t *p = realloc(c->wbuf, need);
    if (!p)
        return false;
    c->wbuf = p;
    c->wcap = need;
    return true;
}

/* flow-control-blocks-replies: answers withheld while the client's send quota is used up (5.0 MQTT-3.3.4-10). */
static bool withheld_by_flow_control(const sim_conn *c, const mqtt_packet *pkt)
{
    bool answer = pkt->type == MQTT_PINGRESP || pkt->type == MQTT_SUBACK || pkt->type == MQTT_UNSUBACK ||
                  pkt->type == MQTT_PUBACK;
    return answer && c->version == MQTT_V5 && sim_quirk(c->quirks, SIM_Q_FLOW_BLOCKS_REPLIES) && c->s &&
           c->s->conn == c && sim_session_send_quota(c->s) == 0;
}

bool sim_fits_client(const sim_conn *c, const mqtt_packet *pkt, size_t *need)
{
    *need = mqtt_encoded_size(pkt, c->version);
    return *need && (!c->max_packet || *need <= c->max_packet || sim_ack_oversize_allowed(c, pkt));
}

bool sim_send(sim_conn *c, const mqtt_packet *pkt)
{
    if (!c->t || c->broken)
        return false;
    if (withheld_by_flow_control(c, pkt)) {
        sim_log(c->b, "#%u %s withheld: the client's Receive Maximum is used up", c->id,
                mqtt_packet_type_name(pkt->type));
        return true;
    }
    mqtt_packet dressed;
    uint8_t extra[512];
    if (sim_ack_dress(c, pkt, &dressed, extra, sizeof extra))
        pkt = &dressed;
    size_t need;
    if (!sim_fits_client(c, pkt, &need)) {
        sim_log(c->b, "#%u not sent: %s of %zu bytes exceeds the client's Maximum Packet Size", c->id,
                mqtt_packet_type_name(pkt->type), need);
        return false;
    }
    if (!ensure_wbuf(c, need))
        return false;
    size_t n = mqtt_encode(pkt, c->version, c->wbuf, c->wcap);
    sim_log_packet(c, "->", pkt);
    if (n == 0 || mqs_transport_write_all(c->t, c->wbuf, n, mqs_now_ms() + SIM_WRITE_TIMEOUT_MS) != 0) {
        sim_log(c->b, "#%u write failed: %s", c->id, mqs_transport_error(c->t));
        c->broken = true;
        return false;
    }
    return true;
}

/* 5.0 DISCONNECT from the server, with a Reason String when it fits the client's limit. */
static void send_disconnect(sim_conn *c, uint8_t reason, const char *why)
{
    uint8_t buf[300];
    mqtt_writer w;
    mqtt_writer_init(&w, buf, sizeof buf);
    mqtt_property rs = {.id = MQTT_PROP_REASON_STRING,
                        .data = {(const uint8_t *)why, (uint32_t)strnlen(why, sizeof buf - 8)}};
    mqtt_write_property(&w, &rs);
    mqtt_packet pkt = {.type = MQTT_DISCONNECT};
    pkt.u.disconnect.code = reason;
    pkt.u.disconnect.has_code = true;
    pkt.u.disconnect.props = (mqtt_props){buf, (uint32_t)w.len};
    if (c->max_packet && mqtt_encoded_size(&pkt, c->version) > c->max_packet)
        pkt.u.disconnect.props = (mqtt_props){NULL, 0}; /* MQTT-3.14.2-3: drop the string, not the packet */
    sim_send(c, &pkt);
}

/* ---- closing ---- */

void sim_conn_close(sim_conn *c, uint8_t reason, const char *why)
{
    if (!c->t)
        return;
    sim_log(c->b, "#%u closing: %s", c->id, why);
    if (reason && c->version == MQTT_V5 && c->connected && !c->broken &&
        !sim_variant(c->variants, SIM_V_CLOSE_WITHOUT_DISCONNECT))
        send_disconnect(c, reason, why);
    sim_reorder_flush(c);
    if (c->will && !c->will_discarded)
        sim_will_on_close(c);
    sim_will_free(c->will);
    c->will = NULL;
    if (c->s) {
        sim_session *s = c->s;
        sim_alias_keep(c, s);
        c->s = NULL;
        s->conn = NULL;
        sim_session_detach(s);
    }
    if (c->broken)
        mqs_transport_drop(c->t);
    else
        mqs_transport_close(c->t);
    c->t = NULL;
}

void sim_protocol_error(sim_conn *c, uint8_t reason, const char *why) { sim_conn_close(c, reason, why); }

/* The codec rejected the input: 5.0 names the reason in DISCONNECT, 3.1.1 just closes. */
static void on_malformed(sim_conn *c, const mqtt_packet *pkt, const mqtt_error *err)
{
    char why[256];
    mqtt_err_format(err, c->version == MQTT_VERSION_UNKNOWN ? MQTT_V311 : c->version, why, sizeof why);
    if (c->version == MQTT_VERSION_UNKNOWN && pkt->type == MQTT_CONNECT && err->code != MQTT_E_EXPECTED_CONNECT) {
        sim_on_connect_malformed(c, pkt, err);
        return;
    }
    uint8_t reason = mqtt_err_reason_code(err->code);
    if (!mqtt_reason_valid(reason, MQTT_DISCONNECT, true, MQTT_V5))
        reason = 0x81;
    sim_conn_close(c, reason, why);
}

/* ---- reading ---- */

static void on_pingreq(sim_conn *c)
{
    if (sim_quirk(c->quirks, SIM_Q_PINGREQ_UNANSWERED))
        return;
    mqtt_packet pkt = {.type = MQTT_PINGRESP};
    sim_send(c, &pkt);
}

static void dispatch(sim_conn *c, const mqtt_packet *pkt)
{
    if (c->refused_open)
        return;
    if (c->connected && !c->s) { /* its session went to a new connection that left it open (takeover-keeps-old) */
        sim_conn_close(c, 0x8E, "session taken over");
        return;
    }
    if (!c->connected && c->version != MQTT_VERSION_UNKNOWN && pkt->type != MQTT_AUTH) {
        /* only an enhanced authentication leaves a connection open before CONNACK (MQTT-3.1.2-30) */
        sim_protocol_error(c, 0x82, "a packet other than AUTH before CONNACK");
        return;
    }
    if (pkt->type == MQTT_CONNECT) {
        if (c->version == MQTT_VERSION_UNKNOWN)
            sim_on_connect(c, pkt);
        else if (!sim_quirk(c->quirks, SIM_Q_SECOND_CONNECT_IGNORED))
            sim_protocol_error(c, 0x82, "second CONNECT (MQTT-3.1.0-2)");
        return;
    }
    switch (pkt->type) {
    case MQTT_PUBLISH:
        sim_on_publish(c, pkt);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        sim_on_ack(c, pkt);
        break;
    case MQTT_SUBSCRIBE:
        sim_on_subscribe(c, pkt);
        break;
    case MQTT_UNSUBSCRIBE:
        sim_on_unsubscribe(c, pkt);
        break;
    case MQTT_PINGREQ:
        on_pingreq(c);
        break;
    case MQTT_DISCONNECT:
        sim_on_disconnect(c, pkt);
        break;
    default: /* AUTH */
        sim_on_auth(c, pkt);
        break;
    }
}

/* mqtt_stream_next refuses a packet larger than its storage: grow it to the size the header announces. */
static bool make_room_for_next_packet(sim_conn *c)
{
    size_t len, unread = c->in.end - c->in.start;
    mqtt_error err;
    if (mqtt_frame(c->in.buf + c->in.start, unread, c->b->cfg.max_packet_size, c->version, &len, &err) !=
            MQTT_NEED_MORE ||
        len <= c->in.cap)
        return true;
    uint8_t *p = realloc(c->in.buf, len);
    if (!p)
        return false;
    c->in.buf = p;
    c->in.cap = len;
    return true;
}

/* The codec rejected the next packet: a lenient-parsing quirk may drop it or take it repaired.
 * False: not forgiven, the packet is still unread. */
static bool forgive_malformed(sim_conn *c, const mqtt_decode_opts *opts, const mqtt_error *err)
{
    uint8_t *p = c->in.buf + c->in.start;
    size_t len;
    mqtt_error ferr;
    if (!c->quirks ||
        mqtt_frame(p, c->in.end - c->in.start, opts->max_packet_size, opts->version, &len, &ferr) != MQTT_COMPLETE)
        return false;
    uint8_t scratch[SIM_LENIENT_MAX];
    mqtt_packet pkt;
    sim_lenient how = sim_lenient_parse(c->quirks, p, len, opts, err, scratch, &pkt);
    if (how == SIM_LENIENT_NO)
        return false;
    c->in.start += len;
    c->last_rx = mqs_now_ms();
    if (how == SIM_LENIENT_DROP) {
        sim_log(c->b, "#%u ignored a malformed packet of type %u (lenient quirk)", c->id, (unsigned)(p[0] >> 4));
        return true;
    }
    sim_log_packet(c, "<-", &pkt);
    dispatch(c, &pkt);
    return true;
}

/* Handle every complete packet buffered; stops when the connection closes. */
static void handle_buffered_packets(sim_conn *c)
{
    while (c->t && !c->broken && c->in.start < c->in.end) {
        if (!make_room_for_next_packet(c)) {
            sim_conn_close(c, 0x97, "out of memory");
            return;
        }
        mqtt_decode_opts opts = {
            .version = c->version, .role = MQTT_ROLE_SERVER, .max_packet_size = c->b->cfg.max_packet_size};
        mqtt_packet pkt;
        mqtt_error err;
        memset(&pkt, 0, sizeof pkt);
        mqtt_status st = mqtt_stream_next(&c->in, &opts, &pkt, NULL, &err);
        if (st == MQTT_NEED_MORE) {
            sim_planted_before_connect(c);
            return;
        }
        if (st == MQTT_MALFORMED) {
            if (sim_quirk(c->quirks, SIM_Q_CRASH_ON_CLIENT_CONNACK) && err.code == MQTT_E_PACKET_DIRECTION &&
                c->in.buf[c->in.start] >> 4 == MQTT_CONNACK) {
                c->b->crash_pending = true; /* the loop tears everything down after this turn */
                return;
            }
            if (sim_planted_on_malformed(c, &err))
                return;
            if (forgive_malformed(c, &opts, &err))
                continue;
            on_malformed(c, &pkt, &err);
            return;
        }
        c->last_rx = sim_now();
        sim_log_packet(c, "<-", &pkt);
        dispatch(c, &pkt);
    }
}

/* Read buffer full with no complete packet in it yet: double it, never past the packet size limit. */
static bool grow_stream(sim_conn *c)
{
    size_t cap = c->in.cap * 2;
    if (cap > c->b->cfg.max_packet_size)
        cap = c->b->cfg.max_packet_size;
    if (cap <= c->in.cap)
        return false;
    uint8_t *p = realloc(c->in.buf, cap);
    if (!p)
        return false;
    c->in.buf = p;
    c->in.cap = cap;
    return true;
}

/*
 * One read of at most SIM_READ_BUDGET bytes, then back to the loop: a client
 * that never stops sending must not starve the others, nor the timers.
 */
void sim_conn_on_readable(sim_conn *c)
{
    if (!c->t || c->broken)
        return;
    size_t avail;
    uint8_t *space = mqtt_stream_space(&c->in, &avail);
    if (avail == 0) { /* cannot happen while make_room_for_next_packet sizes the buffer: stay bounded anyway */
        if (!grow_stream(c)) {
            sim_conn_close(c, 0x95, "read buffer full");
            return;
        }
        space = mqtt_stream_space(&c->in, &avail);
    }
    ssize_t n = mqs_transport_read(c->t, space, avail < SIM_READ_BUDGET ? avail : SIM_READ_BUDGET);
    if (n == MQS_IO_AGAIN)
        return;
    if (n <= 0) {
        c->broken = true; /* nothing can be written to a peer that is gone */
        sim_conn_close(c, 0, n == 0 ? "closed by the client" : mqs_transport_error(c->t));
        return;
    }
    mqtt_stream_commit(&c->in, (size_t)n);
    handle_buffered_packets(c);
}

int64_t sim_keepalive_deadline(const sim_conn *c)
{
    if (!c->connected)
        return c->last_rx + SIM_CONNECT_TIMEOUT_MS;
    if (c->keep_alive == 0 || sim_quirk(c->quirks, SIM_Q_KEEPALIVE_IGNORE))
        return INT64_MAX;
    int64_t factor_x2 = sim_quirk(c->quirks, SIM_Q_KEEPALIVE_3X) ? 6 : 3; /* 1.5 x, in halves */
    /* exactly 1.5 x Keep Alive after the last packet we read (3.1.1 MQTT-3.1.2-24, 5.0 MQTT-3.1.2-22) */
    return c->last_rx + (int64_t)c->keep_alive * 1000 * factor_x2 / 2;
}
