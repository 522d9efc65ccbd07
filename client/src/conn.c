/*
 * The connections of one case: open (client role) or accept (server role),
 * send, receive into per-connection inboxes, close.  Every byte received goes
 * through the codec's framer and strict decoder, in the role we play; every
 * wait ends at a deadline.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "mqttspec/packet_json.h"
#include "scenario_internal.h"

int64_t mqs_rel(const runctx *x) { return mqs_now_ms() - x->t0; }

mqtt_role mqs_peer_role(const runctx *x) { return x->role == MQS_ROLE_SERVER ? MQTT_ROLE_SERVER : MQTT_ROLE_CLIENT; }

conn *mqs_conn_get(runctx *x, const char *name)
{
    for (int i = 0; i < x->nconns; i++)
        if (strcmp(x->conns[i].name, name) == 0)
            return &x->conns[i];
    if (x->nconns == MQS_MAX_CONNS)
        return NULL;
    conn *c = &x->conns[x->nconns++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

static void inbox_clear(conn *c)
{
    while (c->count)
        mqs_inbox_pop(c);
    c->head = 0;
}

/* A fresh transport on c: empty stream and inbox, nothing known about the peer yet.  False: out of memory. */
static bool conn_attach(runctx *x, conn *c, mqs_transport *t, const char *note)
{
    free(c->storage); /* a buffer grown for an earlier connection's big packet is not kept */
    c->storage = malloc(MQS_STREAM_INITIAL);
    if (!c->storage) {
        mqs_transport_drop(t);
        mqs_case_error(x, "'%s': out of memory for the receive buffer", c->name);
        return false;
    }
    c->t = t;
    mqtt_stream_init(&c->stream, c->storage, MQS_STREAM_INITIAL);
    inbox_clear(c);
    mqs_limits_reset(c); /* Topic Alias mappings end with their Network Connection (MQTT-3.3.2-7) */
    c->closed = false;
    c->connack_seen = false;
    c->level = 0;
    c->last_sent_at = c->last_received_at = mqs_rel(x);
    mqs_case_event(x->res, mqs_rel(x), MQS_EV_OPENED, c->name, note, NULL, 0);
    return true;
}

bool mqs_conn_open(runctx *x, conn *c)
{
    char err[256];
    int64_t deadline = mqs_now_ms() + x->opts->connect_timeout_ms;
    if (deadline > x->hard_deadline)
        deadline = x->hard_deadline;
    if (c->t)
        mqs_conn_drop(x, c, false);
    const mqs_run_opts *o = x->opts;
    err[0] = '\0';
    mqs_url url = o->target.url;
    if (url.ws && x->v == MQTT_V31) /* 3.1 has its own registered WebSocket subprotocol name */
        snprintf(url.ws_protocol, sizeof url.ws_protocol, "%s", "mqttv3.1");
    mqs_transport *t = o->connect_hook ? o->connect_hook(o->connect_hook_ctx, c->name, err, sizeof err)
                                       : mqs_transport_connect(&url, &o->target.tls, deadline, err, sizeof err);
    if (!t) {
        mqs_case_error(x, "cannot connect '%s' to the target: %s", c->name, err);
        return false;
    }
    return conn_attach(x, c, t, "connection opened");
}

void mqs_conn_drop(runctx *x, conn *c, bool orderly)
{
    if (!c->t)
        return;
    if (orderly)
        mqs_transport_close(c->t);
    else
        mqs_transport_drop(c->t);
    c->t = NULL;
    if (!c->closed && orderly)
        mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, c->name, "we closed the connection after DISCONNECT", NULL, 0);
    else if (!c->closed)
        mqs_case_event(x->res, mqs_rel(x), MQS_EV_DROPPED, c->name, "by the scenario", NULL, 0);
    c->closed = false;
    inbox_clear(c);
}

/* ---- credentials: recorded as '*' bytes unless --show-credentials ---- */

static void mask_field(uint8_t *copy, const uint8_t *raw, size_t len, mqtt_bytes field)
{
    if (field.ptr && field.ptr >= raw && field.len <= len && (size_t)(field.ptr - raw) <= len - field.len)
        memset(copy + (field.ptr - raw), '*', field.len);
}

/* A CONNECT our codec cannot read (malformed on purpose): every occurrence of a configured credential. */
static void mask_literal(uint8_t *copy, size_t len, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    for (size_t i = 0; n && i + n <= len; i++)
        if (memcmp(copy + i, secret, n) == 0)
            memset(copy + i, '*', n);
}

/* The Authentication Data of a CONNECT or AUTH we send: every occurrence of the SCRAM user name masked
 * (a SCRAM client-first names the user; the password never travels). */
static void mask_auth_user(const runctx *x, uint8_t *copy, const uint8_t *raw, size_t len, const mqtt_packet *pkt)
{
    const char *user = x->opts->target.auth_user;
    mqtt_property pr;
    mqtt_props props = pkt->type == MQTT_CONNECT ? pkt->u.connect.props : pkt->u.disconnect.props;
    if (!user || !user[0] || !mqtt_prop_find(props, MQTT_PROP_AUTHENTICATION_DATA, &pr))
        return;
    const uint8_t *at = pr.data.ptr;
    if (!at || at < raw || pr.data.len > len || (size_t)(at - raw) > len - pr.data.len)
        return;
    mask_literal(copy + (at - raw), pr.data.len, user);
}

/* A 5.0 AUTH we send: its copy with the SCRAM user masked; NULL if there is nothing to mask or no memory. */
static uint8_t *redacted_auth(const runctx *x, const uint8_t *raw, size_t len)
{
    if (x->opts->show_credentials || !len || raw[0] >> 4 != MQTT_AUTH || x->v != MQTT_V5)
        return NULL;
    /* read as the peer reads it */
    mqtt_decode_opts opts = {x->v, x->role == MQS_ROLE_CLIENT ? MQTT_ROLE_SERVER : MQTT_ROLE_CLIENT, 0};
    mqtt_packet decoded;
    mqtt_error err;
    size_t used;
    uint8_t *copy = malloc(len);
    if (!copy || mqtt_decode(raw, len, &opts, &decoded, &used, &err) != MQTT_COMPLETE) {
        free(copy);
        return NULL;
    }
    memcpy(copy, raw, len);
    mask_auth_user(x, copy, raw, len, &decoded);
    return copy;
}

/*
 * The bytes of a CONNECT as the transcript keeps them: the User Name and
 * Password fields' bytes replaced by '*' (lengths kept, so the hex still
 * decodes).  pkt: the packet decoded from raw, or NULL to decode it here.
 * NULL when raw is no CONNECT or credentials are to be shown; the caller
 * frees the copy.
 */
static uint8_t *redacted_connect(runctx *x, const uint8_t *raw, size_t len, const mqtt_packet *pkt)
{
    if (x->opts->show_credentials || !len || raw[0] >> 4 != MQTT_CONNECT)
        return NULL;
    uint8_t *copy = malloc(len);
    if (!copy)
        return NULL;
    memcpy(copy, raw, len);
    mqtt_packet decoded;
    if (!pkt) {
        mqtt_decode_opts opts = {x->v, MQTT_ROLE_SERVER, 0}; /* read as the server we send it to reads it */
        mqtt_error err;
        size_t used;
        if (mqtt_decode(raw, len, &opts, &decoded, &used, &err) == MQTT_COMPLETE)
            pkt = &decoded;
    }
    if (pkt && pkt->type == MQTT_CONNECT) {
        if (pkt->u.connect.has_username)
            mask_field(copy, raw, len, pkt->u.connect.username);
        if (pkt->u.connect.has_password)
            mask_field(copy, raw, len, pkt->u.connect.password);
        if (pkt->u.connect.protocol_level == MQTT_V5)
            mask_auth_user(x, copy, raw, len, pkt);
    } else {
        mask_literal(copy, len, x->opts->target.password);
        mask_literal(copy, len, x->opts->target.username);
    }
    return copy;
}

char *mqs_inbound_text(const runctx *x, const inbound *in)
{
    static const char *const secret_keys[] = {"username", "username_hex", "password", "password_hex"};
    if (x->opts->show_credentials || !cJSON_IsObject(in->json))
        return cJSON_PrintUnformatted(in->json);
    cJSON *copy = cJSON_Duplicate(in->json, true);
    for (size_t i = 0; copy && i < sizeof secret_keys / sizeof secret_keys[0]; i++)
        if (cJSON_GetObjectItemCaseSensitive(copy, secret_keys[i]))
            cJSON_ReplaceItemInObjectCaseSensitive(copy, secret_keys[i], cJSON_CreateString("<redacted>"));
    char *text = copy ? cJSON_PrintUnformatted(copy) : NULL;
    cJSON_Delete(copy);
    return text;
}

/* Record a packet sent or received; a CONNECT's credentials redacted (pkt: raw decoded, or NULL). */
static void record_packet(runctx *x, conn *c, mqs_event_kind kind, const char *line, const uint8_t *raw, size_t len,
                          const mqtt_packet *pkt)
{
    uint8_t *redacted = redacted_connect(x, raw, len, pkt);
    if (!redacted && kind == MQS_EV_SENT)
        redacted = redacted_auth(x, raw, len);
    bool must_redact = !x->opts->show_credentials && len && raw[0] >> 4 == MQTT_CONNECT;
    if (must_redact && !redacted) /* out of memory: the bytes are lost, not shown in the clear */
        mqs_case_event(x->res, mqs_rel(x), kind, c->name, line, NULL, 0);
    else
        mqs_case_event(x->res, mqs_rel(x), kind, c->name, line, redacted ? redacted : raw, len);
    free(redacted);
}

/* Write raw as the step's "ws" member says (a send step's frame choices), else as one binary frame. */
static int ws_write(runctx *x, conn *c, const uint8_t *raw, size_t len)
{
    mqs_ws_send how;
    const char *field;
    char why[200];
    bool send_step = x->step && x->step->child && strcmp(x->step->child->string, "send") == 0;
    if (!send_step || mqs_ws_send_of(x->step, len, &how, &field, why, sizeof why) != 0 ||
        cJSON_GetObjectItemCaseSensitive(x->step, "ws") == NULL)
        return mqs_transport_write_all(c->t, raw, len, mqs_now_ms() + 5000);
    char note[160];
    int n = snprintf(note, sizeof note, "WebSocket: in %s frames",
                     how.opcode == MQS_WS_TEXT ? "text" : how.opcode == MQS_WS_PING ? "ping" : "binary");
    if (how.frame_bytes)
        n += snprintf(note + n, sizeof note - (size_t)n, " of at most %zu bytes", how.frame_bytes);
    if (how.fragment)
        snprintf(note + n, sizeof note - (size_t)n, ", fragments of one message");
    mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, c->name, note, NULL, 0);
    return mqs_transport_ws_send(c->t, raw, len, &how, mqs_now_ms() + 5000);
}

bool mqs_conn_send(runctx *x, conn *c, const uint8_t *raw, size_t len, const char *line)
{
    record_packet(x, c, MQS_EV_SENT, line, raw, len, NULL);
    c->last_sent_at = mqs_rel(x);
    if (c->closed) {
        mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, c->name, "not sent: the peer had closed the connection",
                       NULL, 0);
        return true; /* what the peer did is for the next expectation to judge */
    }
    if (ws_write(x, c, raw, len) != 0) {
        /* A broker may close while we write (e.g. after a protocol error): a fact, not a harness failure. */
        mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, c->name, "write failed: connection closed or reset",
                       NULL, 0);
    }
    return true;
}

/* ---- receiving ---- */

static uint32_t max_packet(const runctx *x)
{
    return x->opts->max_packet_size ? x->opts->max_packet_size : MQS_MAX_PACKET_SIZE_DEFAULT;
}

static const char *peer_name(const runctx *x) { return x->role == MQS_ROLE_SERVER ? "client" : "target"; }

/*
 * A peer that sends more than the scenario consumes is not by itself
 * breaking a rule (a flood the spec forbids, e.g. beyond 5.0 Receive Maximum,
 * is for the scenarios that test it): the case is an ERROR naming our bound.
 */
static void flood_error(runctx *x, conn *c, const char *what, unsigned limit)
{
    mqs_case_error(x,
                   "'%s': the %s sent more than %u %s (a bound of this harness, not a rule of the "
                   "specification; see docs/robustness.md)",
                   c->name, peer_name(x), limit, what);
}

/*
 * Backpressure: with this much received and not yet taken by a step, c is neither parsed nor read until a
 * step takes some.  The peer's bytes wait in its socket: to the peer we are a client that stops reading
 * (the inbox holds at most the bound plus one packet).
 */
static bool inbox_full(const runctx *x, const conn *c)
{
    return c->count >= MQS_INBOX_MAX_PACKETS || c->inbox_bytes >= max_packet(x);
}

/* Queue a received packet for the steps; false (the case decided) out of memory. */
static bool inbox_push(runctx *x, conn *c, cJSON *json, const char *line, size_t raw_len)
{
    if (!json) {
        mqs_case_error(x, "'%s': out of memory converting a received packet", c->name);
        return false;
    }
    if (c->head + c->count == c->cap) {
        if (c->head > 0) { /* reuse consumed slots before growing */
            memmove(c->inbox, c->inbox + c->head, c->count * sizeof *c->inbox);
            c->head = 0;
        } else {
            size_t cap = c->cap ? c->cap * 2 : 16;
            inbound *grown = realloc(c->inbox, cap * sizeof *c->inbox);
            if (!grown) {
                cJSON_Delete(json);
                mqs_case_error(x, "'%s': out of memory queueing a received packet", c->name);
                return false;
            }
            c->inbox = grown;
            c->cap = cap;
        }
    }
    inbound *in = &c->inbox[c->head + c->count++];
    in->at = mqs_rel(x);
    in->json = json;
    in->raw_len = raw_len;
    c->inbox_bytes += raw_len;
    snprintf(in->line, sizeof in->line, "%s", line);
    return true;
}

inbound *mqs_inbox_peek(conn *c) { return c->count ? &c->inbox[c->head] : NULL; }

void mqs_inbox_pop(conn *c)
{
    if (!c->count)
        return;
    cJSON_Delete(c->inbox[c->head].json);
    c->inbox_bytes -= c->inbox[c->head].raw_len;
    c->head++;
    c->count--;
    if (!c->count)
        c->head = 0;
}

static void mark_closed(runctx *x, conn *c, const char *why)
{
    if (c->closed)
        return;
    c->closed = true;
    c->closed_at = mqs_rel(x);
    mqs_case_event(x->res, c->closed_at, MQS_EV_CLOSED, c->name, why, NULL, 0);
    mqs_transport_finish(c->t); /* as a client would: the peer may wait for our side to close (wss, mosquitto) */
}

/* 5.0: a Server Keep Alive in CONNACK replaces the client's value (MQTT-3.2.2-21). */
static void note_server_keep_alive(conn *c, const mqtt_packet *pkt)
{
    mqtt_property prop;
    if (pkt->type == MQTT_CONNACK) /* a refusal does not count: no DISCONNECT may follow it (5.0 MQTT-3.14.0-1) */
        c->connack_seen = pkt->u.connack.code < 0x80;
    if (pkt->type == MQTT_CONNACK && mqtt_prop_find(pkt->u.connack.props, MQTT_PROP_SERVER_KEEP_ALIVE, &prop))
        c->keep_alive_s = (int)prop.value;
}

/* Server role: the client's CONNECT sets the level its later packets are read at, and its keep-alive. */
static void note_client_connect(runctx *x, conn *c, const mqtt_packet *pkt)
{
    if (pkt->type != MQTT_CONNECT)
        return;
    int level = pkt->u.connect.protocol_level;
    c->level = level >= MQTT_V31 && level <= MQTT_V5 ? level : -1;
    c->keep_alive_s = pkt->u.connect.keep_alive;
    mqs_case_adopt_version(x, c, level);
}

/*
 * After a CONNECT at a level we do not speak (a conformance probe), the
 * server may answer in the 3.1.1 layout (3.1.1 MQTT-3.1.2-2) or the 5.0 one
 * (0x84): a CONNACK that decodes in either is what it is.
 */
static mqtt_status decode_unknown_level_connack(conn *c, mqtt_packet *pkt, mqtt_bytes *raw, mqtt_version *as)
{
    static const mqtt_version layouts[] = {MQTT_V311, MQTT_V5};
    for (size_t i = 0; i < 2; i++) {
        mqtt_decode_opts opts = {layouts[i], MQTT_ROLE_CLIENT, 0};
        mqtt_error ignored;
        mqtt_stream probe = c->stream;
        if (mqtt_stream_next(&probe, &opts, pkt, raw, &ignored) == MQTT_COMPLETE && pkt->type == MQTT_CONNACK) {
            c->stream = probe;
            *as = layouts[i];
            return MQTT_COMPLETE;
        }
    }
    return MQTT_MALFORMED;
}

/*
 * After a CONNECT no version of ours describes, bytes that are no CONNACK
 * may belong to another specification the server chose to answer under
 * (MQTT-3.1.2-1): they are shown, never judged as malformed MQTT.
 */
static void take_foreign_bytes(runctx *x, conn *c)
{
    size_t n = c->stream.end - c->stream.start;
    mqs_case_event(x->res, mqs_rel(x), MQS_EV_RECEIVED, c->name,
                   "bytes that are no MQTT CONNACK (allowed after a CONNECT under another specification)",
                   c->stream.buf + c->stream.start, n);
    c->stream.start = c->stream.end;
}

/*
 * Server role: a first CONNECT at a protocol level we do not speak is no
 * fault of the client, only a version the scenario cannot play: it decides
 * the case's version like any other (which SKIPs the case).
 */
static bool unknown_level_connect(runctx *x, conn *c, const mqtt_error *err)
{
    if (x->role != MQS_ROLE_SERVER || c->level != 0 || x->v != MQTT_VERSION_UNKNOWN ||
        err->code != MQTT_E_PROTOCOL_LEVEL || c->stream.start + err->offset >= c->stream.end)
        return false;
    mqs_case_adopt_version(x, c, c->stream.buf[c->stream.start + err->offset]);
    return true;
}

/*
 * Client role: replies are judged at the level of the CONNECT actually sent
 * on this connection.  Server role: until the client's CONNECT arrives only a
 * CONNECT is legal (MQTT-3.1.0-1), which the codec reads at the level it names.
 */
static mqtt_version reply_version(runctx *x, const conn *c)
{
    if (c->level > 0)
        return (mqtt_version)c->level;
    return x->role == MQS_ROLE_SERVER ? MQTT_VERSION_UNKNOWN : x->v;
}

/*
 * The packet at the head of the stream may be bigger than the buffer is now:
 * grow the buffer to hold it, up to our limit.  A packet over the limit is an
 * ERROR naming the limit and its option as soon as its header announces it
 * (both 3.1.1 and 5.0 allow up to 268435455 bytes of remaining length: it is
 * our bound, never the peer's fault, unless it asked for a smaller one).
 */
static bool make_room(runctx *x, conn *c, mqtt_version v)
{
    size_t len;
    mqtt_error ignored;
    mqtt_stream *s = &c->stream;
    if (mqtt_frame(s->buf + s->start, s->end - s->start, 0, v, &len, &ignored) != MQTT_NEED_MORE || len <= s->cap)
        return true;
    if (len > max_packet(x)) {
        mqs_case_error(x,
                       "'%s': the %s announced a packet of %zu bytes, more than this harness accepts (%u bytes; "
                       "raise it with --max-packet-size)",
                       c->name, peer_name(x), len, max_packet(x));
        return false;
    }
    size_t cap = s->cap * 2 > len ? s->cap * 2 : len;
    if (cap > max_packet(x))
        cap = max_packet(x);
    uint8_t *grown = realloc(c->storage, cap);
    if (!grown) {
        mqs_case_error(x, "'%s': out of memory growing the receive buffer to %zu bytes", c->name, cap);
        return false;
    }
    c->storage = s->buf = grown;
    s->cap = cap;
    return true;
}

/* Record one received packet and queue it; false when the case is decided (a bound, out of memory). */
static bool take_packet(runctx *x, conn *c, const mqtt_packet *pkt, mqtt_version v, const mqtt_bytes *raw)
{
    char line[240];
    mqtt_print(pkt, v, line, sizeof line);
    record_packet(x, c, MQS_EV_RECEIVED, line, raw->ptr, raw->len, pkt);
    if (++x->received > MQS_CASE_MAX_RECEIVED) { /* bounds the transcript when steps keep ignoring packets */
        flood_error(x, c, "packets in this case", MQS_CASE_MAX_RECEIVED);
        return false;
    }
    cJSON *json = mqtt_packet_to_json(pkt, v);
    if (json && !mqs_limits_check_received(x, c, pkt, v, raw->len, json)) {
        cJSON_Delete(json);
        return false;
    }
    if (!inbox_push(x, c, json, line, raw->len))
        return false;
    if (x->role == MQS_ROLE_SERVER)
        note_client_connect(x, c, pkt);
    else
        note_server_keep_alive(c, pkt);
    return true;
}

/* Take every complete packet out of the stream (bounded: until the inbox is full). */
static void parse_packets(runctx *x, conn *c, bool bounded)
{
    while (!x->stop && !(bounded && inbox_full(x, c))) {
        mqtt_version v = reply_version(x, c);
        mqtt_decode_opts opts = {v, mqs_peer_role(x), 0};
        mqtt_packet pkt;
        mqtt_bytes raw;
        mqtt_error err;
        if (!make_room(x, c, v))
            return;
        mqtt_status st = mqtt_stream_next(&c->stream, &opts, &pkt, &raw, &err);
        if (st == MQTT_MALFORMED && x->role == MQS_ROLE_CLIENT && c->level < 0 && !c->connack_seen) {
            st = decode_unknown_level_connack(c, &pkt, &raw, &v);
            if (st == MQTT_MALFORMED) {
                take_foreign_bytes(x, c);
                return;
            }
        }
        if (st == MQTT_NEED_MORE)
            return;
        if (st == MQTT_MALFORMED) {
            if (!unknown_level_connect(x, c, &err))
                mqs_case_fail_codec(x, c, &err);
            return;
        }
        if (v == MQTT_VERSION_UNKNOWN) /* a client's first CONNECT: shown at the level it names */
            v = (mqtt_version)pkt.u.connect.protocol_level;
        if (!take_packet(x, c, &pkt, v, &raw))
            return;
    }
}

/* Take the complete packets out of the stream, as far as the inbox bound lets us. */
static void parse_received(runctx *x, conn *c) { parse_packets(x, c, true); }

/* The codec keeps unparsed bytes; a truncated packet at close is worth saying. */
static void note_leftover(runctx *x, conn *c)
{
    size_t left = c->stream.end - c->stream.start;
    if (left) {
        char note[96];
        snprintf(note, sizeof note, "%zu bytes of an incomplete packet were left when the connection closed", left);
        mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, c->name, note, c->stream.buf + c->stream.start, left);
    }
}

/*
 * One read on c, of at most MQS_READ_BUDGET bytes, then back to the event
 * loop: a peer that never stops sending must not keep us from our deadlines.
 */
static void read_conn(runctx *x, conn *c)
{
    size_t avail;
    uint8_t *dst = mqtt_stream_space(&c->stream, &avail);
    if (avail == 0) { /* make_room sized the buffer for the packet at its head: cannot happen */
        mqs_case_error(x, "'%s': receive buffer full (%zu bytes) with no complete packet", c->name, c->stream.cap);
        return;
    }
    ssize_t n = mqs_transport_read(c->t, dst, avail < MQS_READ_BUDGET ? avail : MQS_READ_BUDGET);
    if (n == MQS_IO_AGAIN)
        return;
    if (n == 0 || n == MQS_IO_ERROR) {
        parse_packets(x, c, false); /* the last of them, whatever the inbox holds: no more will come */
        note_leftover(x, c);
        mark_closed(x, c, n == 0 ? "the peer closed the connection" : "the connection was reset");
        return;
    }
    mqtt_stream_commit(&c->stream, (size_t)n);
    parse_received(x, c);
}

bool mqs_case_interrupted(runctx *x)
{
    if (!x->stop && x->opts->interrupted && x->opts->interrupted()) {
        x->interrupted = true;
        x->stop = true;
    }
    return x->interrupted;
}

/*
 * One poll over the open connections, reading what arrives, for at most
 * until-now ms (in slices, so an interrupt is seen within
 * MQS_INTERRUPT_POLL_MS); extra_fd (the listener), when >= 0, also ends the wait.
 */
static void pump_once(runctx *x, int64_t until, int extra_fd)
{
    struct pollfd pfd[MQS_MAX_CONNS + 1];
    conn *who[MQS_MAX_CONNS];
    int n = 0, timeout;
    bool buffered = false;
    for (int i = 0; i < x->nconns; i++) {
        conn *c = &x->conns[i];
        if (!c->t || c->closed || inbox_full(x, c))
            continue;
        parse_received(x, c); /* what was held back while the inbox was full */
        if (x->stop || inbox_full(x, c))
            continue;
        buffered |= mqs_transport_pending(c->t) > 0;
        pfd[n] = (struct pollfd){.fd = mqs_transport_fd(c->t), .events = POLLIN};
        who[n++] = c;
    }
    if (extra_fd >= 0)
        pfd[n] = (struct pollfd){.fd = extra_fd, .events = POLLIN};
    if (mqs_case_interrupted(x))
        return;
    int64_t left = until - mqs_now_ms();
    if (left > MQS_INTERRUPT_POLL_MS)
        left = MQS_INTERRUPT_POLL_MS;
    timeout = buffered || left < 0 ? 0 : (int)left;
    if (poll(pfd, (nfds_t)(n + (extra_fd >= 0)), timeout) < 0 && !buffered)
        return;
    for (int i = 0; i < n && !x->stop; i++)
        if (pfd[i].revents || mqs_transport_pending(who[i]->t))
            read_conn(x, who[i]);
}

static int64_t clamp(runctx *x, int64_t deadline)
{
    return deadline < x->hard_deadline ? deadline : x->hard_deadline;
}

void mqs_conn_wait(runctx *x, conn *c, int64_t deadline)
{
    deadline = clamp(x, deadline);
    while (!x->stop && c->count == 0 && !c->closed && mqs_now_ms() < deadline)
        pump_once(x, deadline, -1);
}

int mqs_conns_wait(runctx *x, conn *const *cs, int n, int64_t deadline)
{
    deadline = clamp(x, deadline);
    for (;;) {
        int first = -1;
        for (int i = 0; i < n; i++)
            if (cs[i]->count && (first < 0 || mqs_inbox_peek(cs[i])->at < mqs_inbox_peek(cs[first])->at))
                first = i;
        if (first >= 0)
            return first;
        for (int i = 0; i < n; i++)
            if (cs[i]->closed)
                return i;
        if (x->stop || mqs_now_ms() >= deadline)
            return -1;
        pump_once(x, deadline, -1);
    }
}

void mqs_pump_until(runctx *x, int64_t deadline)
{
    deadline = clamp(x, deadline);
    do
        pump_once(x, deadline, -1);
    while (!x->stop && mqs_now_ms() < deadline);
}

int mqs_conn_accept(runctx *x, conn *c, int64_t deadline)
{
    mqs_listener *l = x->opts->listener;
    if (!l) {
        mqs_case_error(x, "a server-role scenario needs a listener (mqttspec sim --listen URL --scenario ...)");
        return -1;
    }
    if (c->t)
        mqs_conn_drop(x, c, false);
    deadline = clamp(x, deadline);
    char err[256];
    for (;;) {
        /* The TLS handshake, if any, gets the time left to the deadline (at least a second). */
        int64_t now = mqs_now_ms();
        mqs_transport *t = mqs_accept(l, deadline > now + 1000 ? deadline : now + 1000, err, sizeof err);
        if (t)
            return conn_attach(x, c, t, "the client under test connected") ? 1 : -1;
        if (err[0]) /* a failed TLS handshake is a fact about the client: note it, keep waiting */
            mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, c->name, err, NULL, 0);
        if (x->stop || mqs_now_ms() >= deadline)
            return x->stop ? -1 : 0;
        pump_once(x, deadline, mqs_listener_fd(l)); /* meanwhile, whatever arrives on other connections */
    }
}

void mqs_conns_free(runctx *x)
{
    for (int i = 0; i < x->nconns; i++) {
        conn *c = &x->conns[i];
        if (c->t)
            mqs_transport_drop(c->t);
        inbox_clear(c);
        mqs_limits_reset(c);
        free(c->inbox);
        free(c->storage);
        cJSON_Delete(c->last_connect);
        mqs_auth_end(c);
    }
    x->nconns = 0;
}
