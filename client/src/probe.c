/*
 * The pre-flight and capability probe: a few connections per version, each
 * wait bounded, that classify the target and record what it grants or
 * announces (docs/profile.md).  It speaks through the same codec and
 * transports as the engine, but as a plain synchronous client: it has no
 * scenario to follow, only questions to ask.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mqttspec/probe.h"
#include "mqttspec/scram.h"
#include "mqttspec/scenario.h"

#define PROBE_STREAM_CAP (1u << 20)
#define PROBE_DEFAULT_WAIT_MS 3000
#define PROBE_PINGS 3
#define PROBE_SESSION_EXPIRY 30 /* s: asked for the persistent-session probe, then cleared */
#define PROBE_KEEP_ALIVE 60

/* ---- one synchronous connection ---- */

typedef struct pconn {
    mqs_transport *t;
    mqtt_stream st;
    uint8_t *buf;
    mqtt_version v;
    bool closed;
    bool (*interrupted)(void);
} pconn;

typedef enum pc_result { PC_PACKET, PC_TIMEOUT, PC_CLOSED, PC_MALFORMED } pc_result;

typedef struct probe {
    const mqs_probe_opts *o;
    mqs_version_profile *vp;
    mqtt_version v;
    char prefix[64]; /* topic prefix unique to this probe and version */
    char cid[20];    /* client id base */
    int wait_ms;
    bool sys_seen, will_seen;
    bool unanswered; /* a wait ran out: the rest of the probe of this version is skipped (left unknown) */
    const char *scram_first; /* 5.0: CONNECTs carry Authentication Method SCRAM-SHA-256 and this; NULL: none */
} probe;

static int64_t deadline_in(const probe *p) { return mqs_now_ms() + p->wait_ms; }

static bool pc_open(probe *p, pconn *c, char *err, size_t err_cap)
{
    memset(c, 0, sizeof *c);
    c->v = p->v;
    c->interrupted = p->o->interrupted;
    c->buf = malloc(PROBE_STREAM_CAP);
    if (!c->buf) {
        snprintf(err, err_cap, "out of memory");
        return false;
    }
    mqtt_stream_init(&c->st, c->buf, PROBE_STREAM_CAP);
    c->t = mqs_transport_connect(&p->o->url, &p->o->tls, deadline_in(p), err, err_cap);
    return c->t != NULL;
}

static void pc_close(pconn *c, bool abrupt)
{
    if (c->t) {
        if (abrupt)
            mqs_transport_drop(c->t);
        else
            mqs_transport_close(c->t);
    }
    c->t = NULL;
    free(c->buf);
    c->buf = NULL;
}

static bool pc_send(pconn *c, const mqtt_packet *pkt)
{
    size_t n = mqtt_encoded_size(pkt, c->v);
    uint8_t *wire = n ? malloc(n) : NULL;
    bool ok = wire && mqtt_encode(pkt, c->v, wire, n) == n &&
              mqs_transport_write_all(c->t, wire, n, mqs_now_ms() + PROBE_DEFAULT_WAIT_MS) == 0;
    free(wire);
    return ok;
}

/* The next packet from the server before the deadline; views into c's buffer until the next call. */
static pc_result pc_next(pconn *c, mqtt_packet *pkt, int64_t deadline)
{
    mqtt_decode_opts opts = {c->v, MQTT_ROLE_CLIENT, 0};
    for (;;) {
        if (mqs_now_ms() >= deadline) /* a peer that never stops sending must not keep us here */
            return PC_TIMEOUT;
        mqtt_error err;
        mqtt_status st = mqtt_stream_next(&c->st, &opts, pkt, NULL, &err);
        if (st == MQTT_COMPLETE)
            return PC_PACKET;
        if (st == MQTT_MALFORMED)
            return PC_MALFORMED;
        if (c->closed)
            return PC_CLOSED;
        size_t avail;
        uint8_t *dst = mqtt_stream_space(&c->st, &avail);
        if (avail == 0)
            return PC_MALFORMED; /* larger than anything the probe asks for */
        ssize_t n = mqs_transport_read(c->t, dst, avail);
        if (n > 0) {
            mqtt_stream_commit(&c->st, (size_t)n);
            continue;
        }
        if (n == 0 || n == MQS_IO_ERROR) {
            c->closed = true;
            continue;
        }
        int64_t left = deadline - mqs_now_ms();
        if (left <= 0 || (c->interrupted && c->interrupted()))
            return PC_TIMEOUT;
        struct pollfd pfd = {.fd = mqs_transport_fd(c->t), .events = POLLIN};
        if (!mqs_transport_pending(c->t))
            poll(&pfd, 1, (int)(left > 100 ? 100 : left)); /* a tenth of a second at most: interrupts are seen */
    }
}

/* Note what a PUBLISH says about the target ($SYS, our Will) and acknowledge it. */
static void on_publish(probe *p, pconn *c, const mqtt_publish *pub)
{
    char will[96];
    snprintf(will, sizeof will, "%s/will", p->prefix);
    if (pub->topic.len >= 4 && memcmp(pub->topic.ptr, "$SYS", 4) == 0)
        p->sys_seen = true;
    if (pub->topic.len == strlen(will) && memcmp(pub->topic.ptr, will, pub->topic.len) == 0)
        p->will_seen = true;
    if (pub->qos == 0)
        return;
    mqtt_packet ack = {.type = pub->qos == 1 ? MQTT_PUBACK : MQTT_PUBREC};
    ack.u.ack.packet_id = pub->packet_id;
    pc_send(c, &ack);
}

/* Wait for a packet of this type (and packet id, if non-zero); PUBLISH packets meanwhile are noted and acked. */
static pc_result pc_wait(probe *p, pconn *c, int type, uint16_t id, mqtt_packet *pkt, int64_t deadline)
{
    for (;;) {
        pc_result r = pc_next(c, pkt, deadline);
        if (r == PC_TIMEOUT)
            p->unanswered = true;
        if (r != PC_PACKET)
            return r;
        if (pkt->type == MQTT_PUBLISH)
            on_publish(p, c, &pkt->u.publish);
        else if (pkt->type == MQTT_PUBREL) {
            mqtt_packet comp = {.type = MQTT_PUBCOMP};
            comp.u.ack.packet_id = pkt->u.ack.packet_id;
            pc_send(c, &comp);
        }
        if (pkt->type != type)
            continue;
        uint16_t got = type == MQTT_SUBACK || type == MQTT_UNSUBACK ? pkt->u.subs.packet_id : pkt->u.ack.packet_id;
        if (!id || got == id || type == MQTT_CONNACK || type == MQTT_PINGRESP)
            return PC_PACKET;
    }
}

/* ---- CONNECT ---- */

typedef struct connect_args {
    const char *suffix;     /* client id = cid + suffix */
    bool clean;
    int64_t expiry;         /* 5.0 Session Expiry Interval; -1: none */
    bool will;
} connect_args;

static bool send_connect(probe *p, pconn *c, const connect_args *a)
{
    char cid[40], will_topic[96];
    uint8_t props[16 + MQS_SCRAM_MSG_MAX + 32];
    snprintf(cid, sizeof cid, "%s%s", p->cid, a->suffix);
    snprintf(will_topic, sizeof will_topic, "%s/will", p->prefix);
    mqtt_packet pkt = {.type = MQTT_CONNECT};
    mqtt_connect *cn = &pkt.u.connect;
    cn->protocol_name = p->v == MQTT_V31 ? (mqtt_bytes){(const uint8_t *)"MQIsdp", 6}
                                         : (mqtt_bytes){(const uint8_t *)"MQTT", 4};
    cn->protocol_level = (uint8_t)p->v;
    cn->clean_start = a->clean;
    cn->keep_alive = PROBE_KEEP_ALIVE;
    cn->client_id = (mqtt_bytes){(const uint8_t *)cid, (uint32_t)strlen(cid)};
    if (a->will) {
        cn->will = true;
        cn->will_topic = (mqtt_bytes){(const uint8_t *)will_topic, (uint32_t)strlen(will_topic)};
        cn->will_payload = (mqtt_bytes){(const uint8_t *)"probe", 5};
    }
    if (p->o->username) {
        cn->has_username = true;
        cn->username = (mqtt_bytes){(const uint8_t *)p->o->username, (uint32_t)strlen(p->o->username)};
    }
    if (p->o->password) {
        cn->has_password = true;
        cn->password = (mqtt_bytes){(const uint8_t *)p->o->password, (uint32_t)strlen(p->o->password)};
    }
    mqtt_writer w;
    mqtt_writer_init(&w, props, sizeof props);
    if (p->v == MQTT_V5 && a->expiry >= 0) {
        mqtt_property pr = {.id = MQTT_PROP_SESSION_EXPIRY_INTERVAL, .value = (uint32_t)a->expiry};
        mqtt_write_property(&w, &pr);
    }
    if (p->v == MQTT_V5 && p->scram_first) {
        mqtt_property m = {.id = MQTT_PROP_AUTHENTICATION_METHOD,
                           .data = {(const uint8_t *)MQS_SCRAM_METHOD, (uint32_t)strlen(MQS_SCRAM_METHOD)}};
        mqtt_property d = {.id = MQTT_PROP_AUTHENTICATION_DATA,
                           .data = {(const uint8_t *)p->scram_first, (uint32_t)strlen(p->scram_first)}};
        mqtt_write_property(&w, &m);
        mqtt_write_property(&w, &d);
    }
    cn->props = (mqtt_props){props, (uint32_t)w.len};
    return pc_send(c, &pkt);
}

/* ---- pre-flight: the first connection classifies the target ---- */

__attribute__((format(printf, 3, 4))) static mqs_preflight fail_as(probe *p, mqs_preflight s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->vp->reason, sizeof p->vp->reason, fmt, ap);
    va_end(ap);
    p->vp->status = s;
    return s;
}

/* A connection that could not be opened: the network, or TLS on one side only. */
static mqs_preflight classify_open_error(probe *p, const char *err)
{
    if (p->o->url.tls && strncmp(err, "TLS handshake", 13) == 0 && !strstr(err, "certificate"))
        return fail_as(p, MQS_PF_NOT_TLS, "the TLS handshake failed (%s): is this port plain MQTT (mqtt://)?", err);
    return fail_as(p, MQS_PF_UNREACHABLE, "%s", err);
}

/* The first bytes of a reply that is not a CONNACK: TLS, HTTP, or anything else. */
static mqs_preflight classify_not_connack(probe *p, pconn *c)
{
    const uint8_t *b = c->st.buf + c->st.start;
    size_t n = c->st.end - c->st.start;
    if (!p->o->url.tls && n >= 2 && (b[0] == 0x15 || b[0] == 0x16) && b[1] == 0x03)
        return fail_as(p, MQS_PF_TLS_EXPECTED, "the target answered with TLS records: use mqtts://%s", "");
    if (n >= 5 && memcmp(b, "HTTP/", 5) == 0)
        return fail_as(p, MQS_PF_NOT_MQTT, "the target answered HTTP, not MQTT%s", "");
    /* A 3.1.1-layout CONNACK to a 5.0 CONNECT: the server refuses the version under another specification. */
    mqtt_decode_opts o311 = {MQTT_V311, MQTT_ROLE_CLIENT, 0};
    mqtt_packet pkt;
    size_t used;
    mqtt_error err;
    if (p->v == MQTT_V5 && mqtt_decode(b, n, &o311, &pkt, &used, &err) == MQTT_COMPLETE && pkt.type == MQTT_CONNACK) {
        char why[128];
        snprintf(why, sizeof why, "3.1.1-style CONNACK, return code %u (%s)", pkt.u.connack.code,
                 mqtt_reason_name(pkt.u.connack.code, MQTT_CONNACK) ? mqtt_reason_name(pkt.u.connack.code, MQTT_CONNACK)
                                                                    : "?");
        return fail_as(p, MQS_PF_UNSUPPORTED, "a 5.0 CONNECT was answered with a %s", why);
    }
    char hex[64] = "";
    for (size_t i = 0; i < n && i < 16; i++)
        snprintf(hex + strlen(hex), sizeof hex - strlen(hex), "%02x ", b[i]);
    return fail_as(p, MQS_PF_NOT_MQTT, "the reply to CONNECT is not a CONNACK: %s", n ? hex : "(nothing)");
}

static bool is_login_refusal(mqtt_version v, uint8_t code)
{
    return v == MQTT_V5 ? code == 0x86 || code == 0x87 || code == 0x8C : code == 4 || code == 5;
}

static bool is_version_refusal(mqtt_version v, uint8_t code) { return v == MQTT_V5 ? code == 0x84 : code == 1; }

static mqs_preflight classify_connack(probe *p, const mqtt_connack *ca)
{
    char why[160];
    const char *name = mqtt_reason_name(ca->code, MQTT_CONNACK);
    snprintf(why, sizeof why, "CONNACK %s 0x%02x (%s)", p->v == MQTT_V5 ? "reason code" : "return code", ca->code,
             name ? name : "?");
    if (ca->code == 0)
        return MQS_PF_OK;
    if (is_login_refusal(p->v, ca->code))
        return fail_as(p, MQS_PF_LOGIN_REFUSED, "login refused: %s; %s", why,
                       p->o->username ? "check the user name and password given with -u/-P"
                                      : "give a user name and password with -u USER -P PASS");
    if (is_version_refusal(p->v, ca->code))
        return fail_as(p, MQS_PF_UNSUPPORTED, "version refused: %s", why);
    return fail_as(p, MQS_PF_REFUSED, "connection refused: %s", why);
}

static int64_t prop_or(mqtt_props props, uint8_t id)
{
    mqtt_property pr;
    return mqtt_prop_find(props, id, &pr) ? (int64_t)pr.value : -1;
}

static void take_connack_props(mqs_version_profile *vp, mqtt_props props)
{
    vp->maximum_qos = prop_or(props, MQTT_PROP_MAXIMUM_QOS);
    vp->retain_available = prop_or(props, MQTT_PROP_RETAIN_AVAILABLE);
    vp->wildcards_available = prop_or(props, MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE);
    vp->sub_ids_available = prop_or(props, MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE);
    vp->shared_available = prop_or(props, MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE);
    vp->topic_alias_maximum = prop_or(props, MQTT_PROP_TOPIC_ALIAS_MAXIMUM);
    vp->receive_maximum = prop_or(props, MQTT_PROP_RECEIVE_MAXIMUM);
    vp->maximum_packet_size = prop_or(props, MQTT_PROP_MAXIMUM_PACKET_SIZE);
    vp->server_keep_alive = prop_or(props, MQTT_PROP_SERVER_KEEP_ALIVE);
    vp->session_expiry = prop_or(props, MQTT_PROP_SESSION_EXPIRY_INTERVAL);
}

/* Open, CONNECT, classify the answer; on MQS_PF_OK, c is connected. */
static mqs_preflight connect_and_classify(probe *p, pconn *c, const connect_args *a, mqtt_connack *connack)
{
    char err[256];
    if (!pc_open(p, c, err, sizeof err))
        return classify_open_error(p, err);
    int64_t t0 = mqs_now_ms();
    if (!send_connect(p, c, a))
        return fail_as(p, MQS_PF_UNREACHABLE, "the connection failed while sending CONNECT%s", "");
    mqtt_packet pkt;
    pc_result r = pc_next(c, &pkt, deadline_in(p));
    if (r == PC_PACKET && pkt.type == MQTT_CONNACK) {
        int rtt = (int)(mqs_now_ms() - t0);
        if (rtt > p->vp->rtt_ms)
            p->vp->rtt_ms = rtt;
        *connack = pkt.u.connack;
        return classify_connack(p, connack);
    }
    if (r == PC_PACKET || r == PC_MALFORMED || c->st.end > c->st.start)
        return classify_not_connack(p, c);
    if (r == PC_CLOSED)
        return fail_as(p, MQS_PF_UNSUPPORTED, "the target closed the connection after a %s CONNECT, without CONNACK",
                       mqtt_version_name(p->v));
    return fail_as(p, MQS_PF_NOT_MQTT, "no answer to CONNECT within the probe's wait%s", "");
}

/* ---- capabilities ---- */

static void set_cap(mqs_version_profile *vp, unsigned bit, bool present)
{
    vp->caps_known |= bit;
    if (present)
        vp->caps |= bit;
    else
        vp->caps &= ~bit;
}

/* A 5.0 CONNACK property that announces a feature: absent means available (3.2.2.3). */
static bool announced(int64_t value) { return value != 0; }

static void ping_rtt(probe *p, pconn *c)
{
    for (int i = 0; i < PROBE_PINGS; i++) {
        mqtt_packet ping = {.type = MQTT_PINGREQ}, pkt;
        int64_t t0 = mqs_now_ms();
        if (!pc_send(c, &ping) || pc_wait(p, c, MQTT_PINGRESP, 0, &pkt, deadline_in(p)) != PC_PACKET)
            return;
        int rtt = (int)(mqs_now_ms() - t0);
        if (rtt > p->vp->rtt_ms)
            p->vp->rtt_ms = rtt;
    }
}

/* SUBSCRIBE at QoS 0, 1, 2, our Will topic, and a wildcard filter: what the target grants. */
static void probe_grants(probe *p, pconn *c)
{
    char f[5][96];
    uint8_t entries[640];
    mqtt_writer w;
    mqtt_writer_init(&w, entries, sizeof entries);
    for (int q = 0; q < 3; q++)
        snprintf(f[q], sizeof f[q], "%s/q%d", p->prefix, q);
    snprintf(f[3], sizeof f[3], "%s/will", p->prefix);
    snprintf(f[4], sizeof f[4], "%s/w/+/#", p->prefix);
    for (int i = 0; i < 5; i++)
        mqtt_write_sub_entry(&w, (mqtt_bytes){(const uint8_t *)f[i], (uint32_t)strlen(f[i])}, i < 3 ? i : 0);
    mqtt_packet sub = {.type = MQTT_SUBSCRIBE}, pkt;
    sub.u.subs.packet_id = 1;
    sub.u.subs.list = (mqtt_list){entries, (uint32_t)w.len, 5};
    if (!pc_send(c, &sub) || pc_wait(p, c, MQTT_SUBACK, 1, &pkt, deadline_in(p)) != PC_PACKET ||
        pkt.u.subs.list.count != 5)
        return;
    for (int q = 0; q < 3; q++)
        p->vp->granted[q] = pkt.u.subs.list.ptr[q];
    mqs_version_profile *vp = p->vp;
    bool max2 = vp->maximum_qos < 0 || vp->maximum_qos >= 2, max1 = vp->maximum_qos < 0 || vp->maximum_qos >= 1;
    set_cap(vp, MQS_CAP_QOS1, vp->granted[1] == 1 && max1);
    set_cap(vp, MQS_CAP_QOS2, vp->granted[2] == 2 && max2);
    /* A server without wildcard support refuses such filters (3.1.1 and 5.0 MQTT-3.8.3-2; 5.0 also announces it). */
    vp->wildcard_granted = pkt.u.subs.list.ptr[4] < 0x80;
}

/* $SYS/#: a broker that has such topics usually sends their retained values at once. */
static void subscribe_sys(probe *p, pconn *c)
{
    uint8_t entry[16];
    mqtt_writer w;
    mqtt_writer_init(&w, entry, sizeof entry);
    mqtt_write_sub_entry(&w, (mqtt_bytes){(const uint8_t *)"$SYS/#", 6}, 0);
    mqtt_packet sub = {.type = MQTT_SUBSCRIBE}, pkt;
    sub.u.subs.packet_id = 2;
    sub.u.subs.list = (mqtt_list){entry, (uint32_t)w.len, 1};
    if (pc_send(c, &sub))
        pc_wait(p, c, MQTT_SUBACK, 2, &pkt, deadline_in(p));
}

/* Connect, expect CONNACK 0; returns it through connack. */
static bool reconnect(probe *p, pconn *c, const connect_args *a, mqtt_connack *connack)
{
    char err[256];
    mqtt_packet pkt;
    if (!pc_open(p, c, err, sizeof err) || !send_connect(p, c, a) ||
        pc_wait(p, c, MQTT_CONNACK, 0, &pkt, deadline_in(p)) != PC_PACKET || pkt.u.connack.code != 0) {
        pc_close(c, true);
        return false;
    }
    *connack = pkt.u.connack;
    return true;
}

static void disconnect(pconn *c)
{
    mqtt_packet d = {.type = MQTT_DISCONNECT};
    pc_send(c, &d);
    pc_close(c, false);
}

/*
 * A session kept across connections: 3.1.1 CleanSession 0 must be resumed
 * (MQTT-3.1.2-4), so only the observation is recorded; 5.0 lets the server
 * shorten the Session Expiry Interval, even to 0 (3.2.2.3.2).
 */
static void probe_sessions(probe *p)
{
    pconn c;
    mqtt_connack ca = {0};
    connect_args first = {"s", p->v != MQTT_V5 ? false : true, PROBE_SESSION_EXPIRY, false};
    if (!reconnect(p, &c, &first, &ca))
        return;
    int64_t granted_expiry = p->v == MQTT_V5 ? prop_or(ca.props, MQTT_PROP_SESSION_EXPIRY_INTERVAL) : -1;
    if (p->v == MQTT_V5) {
        set_cap(p->vp, MQS_CAP_SESSION_EXPIRY, granted_expiry < 0 || granted_expiry == PROBE_SESSION_EXPIRY);
        set_cap(p->vp, MQS_CAP_PERSISTENT_SESSIONS, granted_expiry != 0);
    }
    disconnect(&c);
    connect_args again = {"s", false, PROBE_SESSION_EXPIRY, false};
    if (!reconnect(p, &c, &again, &ca))
        return;
    p->vp->session_present_after_resume = ca.flags & 1;
    disconnect(&c);
    connect_args clear = {"s", true, 0, false}; /* leave nothing behind */
    if (reconnect(p, &c, &clear, &ca))
        disconnect(&c);
}

/* A client that vanishes with a Will: does the Will reach our subscription (a MUST: only observed)? */
static void probe_will(probe *p, pconn *watcher)
{
    pconn c;
    mqtt_connack ca = {0};
    connect_args a = {"w", true, -1, true};
    if (!reconnect(p, &c, &a, &ca))
        return;
    pc_close(&c, true);
    mqtt_packet pkt;
    int64_t deadline = deadline_in(p);
    while (!p->will_seen && pc_wait(p, watcher, MQTT_PUBLISH, 0, &pkt, deadline) == PC_PACKET)
        ;
    p->vp->will_published = p->will_seen;
}

/* With credentials given: would the target take a CONNECT without them (scenarios that send raw CONNECT bytes)? */
static void probe_anonymous(probe *p)
{
    if (!p->o->username && !p->o->password)
        return;
    mqs_probe_opts anon = *p->o;
    anon.username = anon.password = NULL;
    probe q = *p;
    q.o = &anon;
    pconn c;
    mqtt_connack ca = {0};
    connect_args a = {"n", true, -1, false};
    p->vp->anonymous_login = reconnect(&q, &c, &a, &ca);
    if (p->vp->anonymous_login)
        disconnect(&c);
}

/*
 * 5.0 enhanced authentication: a CONNECT with method SCRAM-SHA-256 and the run's user.  AUTH 0x18 back: the
 * target has it; CONNACK 0x8C (Bad authentication method): it lacks it; anything else (0x87, a close) says
 * nothing certain, and the scenarios' own outcomes decide.  The exchange is not finished: we just close.
 */
static void probe_enhanced_auth(probe *p)
{
    if (p->v != MQTT_V5)
        return;
    mqs_scram scram;
    char first[MQS_SCRAM_MSG_MAX], err[256];
    const char *user = p->o->auth_user ? p->o->auth_user : "mqttspec-probe"; /* 0x8C comes for the method alone */
    if (mqs_scram_client_first(&scram, user, NULL, first, sizeof first) < 0)
        return;
    mqs_scram_wipe(&scram);
    pconn c;
    connect_args a = {"e", true, -1, false};
    probe q = *p;
    q.scram_first = first;
    mqtt_packet pkt;
    if (!pc_open(p, &c, err, sizeof err) || !send_connect(&q, &c, &a)) {
        pc_close(&c, true);
        return;
    }
    if (pc_next(&c, &pkt, deadline_in(p)) == PC_PACKET) {
        if (pkt.type == MQTT_AUTH && pkt.u.disconnect.code == 0x18)
            set_cap(p->vp, MQS_CAP_ENHANCED_AUTH, true);
        else if (pkt.type == MQTT_CONNACK && pkt.u.connack.code == 0x8C)
            set_cap(p->vp, MQS_CAP_ENHANCED_AUTH, false);
    }
    pc_close(&c, true);
}

/* What the CONNACK and the grants say, per capability; versions where a feature is mandatory always have it. */
static void derive_capabilities(probe *p)
{
    mqs_version_profile *vp = p->vp;
    bool v5 = p->v == MQTT_V5;
    set_cap(vp, MQS_CAP_RETAIN, !v5 || announced(vp->retain_available));
    set_cap(vp, MQS_CAP_WILDCARDS, vp->wildcard_granted != 0 && (!v5 || announced(vp->wildcards_available)));
    set_cap(vp, MQS_CAP_KEEP_ALIVE, !v5 || vp->server_keep_alive < 0 || vp->server_keep_alive == PROBE_KEEP_ALIVE);
    if (v5) {
        set_cap(vp, MQS_CAP_SUBSCRIPTION_IDENTIFIERS, announced(vp->sub_ids_available));
        set_cap(vp, MQS_CAP_SHARED_SUBSCRIPTIONS, announced(vp->shared_available));
        set_cap(vp, MQS_CAP_TOPIC_ALIAS, vp->topic_alias_maximum > 0);
    } else {
        set_cap(vp, MQS_CAP_PERSISTENT_SESSIONS, true);
    }
}

static void probe_version(const mqs_probe_opts *o, mqtt_version v, mqs_version_profile *vp)
{
    probe p = {.o = o, .vp = vp, .v = v, .wait_ms = o->timeout_ms > 0 ? o->timeout_ms : PROBE_DEFAULT_WAIT_MS};
    snprintf(p.prefix, sizeof p.prefix, "mqttspec/%s/probe%d", o->run_tag, (int)v);
    snprintf(p.cid, sizeof p.cid, "ms%.8sp%d", o->run_tag, (int)v);
    pconn c;
    mqtt_connack ca = {0};
    connect_args a = {"a", true, -1, false};
    vp->status = connect_and_classify(&p, &c, &a, &ca);
    if (vp->status != MQS_PF_OK) {
        pc_close(&c, true);
        return;
    }
    if (v == MQTT_V5)
        take_connack_props(vp, ca.props);
    /* Each question only if the last was answered: a broken target costs one wait, not one per question. */
    ping_rtt(&p, &c);
    if (!p.unanswered)
        probe_grants(&p, &c);
    if (!p.unanswered)
        subscribe_sys(&p, &c);
    if (!p.unanswered)
        derive_capabilities(&p);
    if (!p.unanswered)
        probe_sessions(&p);
    if (!p.unanswered)
        probe_will(&p, &c);
    if (!p.unanswered)
        probe_anonymous(&p);
    if (!p.unanswered)
        probe_enhanced_auth(&p);
    vp->sys_topics = p.sys_seen;
    disconnect(&c);
}

/* ---- the profile ---- */

static const mqtt_version slot_versions[3] = {MQTT_V31, MQTT_V311, MQTT_V5};

int mqs_profile_slot(mqtt_version v)
{
    for (int i = 0; i < 3; i++)
        if (slot_versions[i] == v)
            return i;
    return -1;
}

const mqs_version_profile *mqs_profile_get(const mqs_profile *p, mqtt_version v)
{
    int i = mqs_profile_slot(v);
    return p && i >= 0 ? &p->versions[i] : NULL;
}

static void version_profile_init(mqs_version_profile *vp, mqtt_version v)
{
    memset(vp, 0, sizeof *vp);
    vp->version = v;
    vp->status = MQS_PF_NOT_PROBED;
    vp->rtt_ms = -1;
    vp->granted[0] = vp->granted[1] = vp->granted[2] = -1;
    vp->maximum_qos = vp->retain_available = vp->wildcards_available = vp->sub_ids_available = -1;
    vp->shared_available = vp->topic_alias_maximum = vp->receive_maximum = vp->maximum_packet_size = -1;
    vp->server_keep_alive = vp->session_expiry = -1;
    vp->session_present_after_resume = vp->will_published = vp->sys_topics = vp->anonymous_login = -1;
    vp->wildcard_granted = -1;
}

void mqs_profile_init(mqs_profile *p, const char *target)
{
    memset(p, 0, sizeof *p);
    snprintf(p->target, sizeof p->target, "%s", target ? target : "");
    for (int i = 0; i < 3; i++)
        version_profile_init(&p->versions[i], slot_versions[i]);
}

/* A target that serves one version and stays silent after a CONNECT of another (mosca and 5.0) is an MQTT
 * server that does not serve that version, not something that is not MQTT. */
static void reclassify_silence(mqs_profile *out)
{
    const mqs_version_profile *served = NULL;
    for (int i = 0; i < 3 && !served; i++)
        if (out->versions[i].status == MQS_PF_OK)
            served = &out->versions[i];
    for (int i = 0; i < 3 && served; i++) {
        mqs_version_profile *vp = &out->versions[i];
        if (vp->status != MQS_PF_NOT_MQTT)
            continue;
        size_t len = strnlen(vp->reason, sizeof vp->reason - 1);
        snprintf(vp->reason + len, sizeof vp->reason - len, " (MQTT %.5s is served)",
                 mqtt_version_name(served->version));
        vp->status = MQS_PF_UNSUPPORTED;
    }
}

void mqs_probe(const mqs_probe_opts *opts, mqs_profile *out)
{
    /* every version some scenario runs at: a 3.1 case needs its capabilities probed too */
    unsigned versions = opts->versions ? opts->versions : (1u << MQTT_V31) | (1u << MQTT_V311) | (1u << MQTT_V5);
    for (int i = 0; i < 3; i++) {
        mqtt_version v = slot_versions[i];
        if ((versions & (1u << v)) && !(opts->interrupted && opts->interrupted()))
            probe_version(opts, v, &out->versions[i]);
    }
    reclassify_silence(out);
    time_t now = time(NULL);
    strftime(out->probed_at, sizeof out->probed_at, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
}

unsigned mqs_profile_lacks(const mqs_profile *p, mqtt_version v)
{
    const mqs_version_profile *vp = mqs_profile_get(p, v);
    return vp ? vp->caps_known & ~vp->caps : 0;
}

const char *mqs_profile_version_skip(const mqs_profile *p, mqtt_version v)
{
    const mqs_version_profile *vp = mqs_profile_get(p, v);
    if (!vp || vp->status == MQS_PF_OK || vp->status == MQS_PF_NOT_PROBED)
        return NULL;
    return vp->reason[0] ? vp->reason : mqs_preflight_name(vp->status);
}

/*
 * What stops the whole run: a refused login anywhere (the user forgot -u/-P),
 * or no version served at all (unreachable, TLS mismatch, not MQTT).  A
 * version refused while another is served only SKIPs that version's cases.
 */
mqs_preflight mqs_profile_fatal(const mqs_profile *p, const char **reason)
{
    const mqs_version_profile *first_bad = NULL;
    bool any_ok = false;
    for (int i = 0; i < 3; i++) {
        const mqs_version_profile *vp = &p->versions[i];
        if (vp->status == MQS_PF_LOGIN_REFUSED) {
            *reason = vp->reason;
            return vp->status;
        }
        any_ok |= vp->status == MQS_PF_OK;
        if (!first_bad && vp->status != MQS_PF_OK && vp->status != MQS_PF_NOT_PROBED)
            first_bad = vp;
    }
    if (any_ok || !first_bad)
        return MQS_PF_OK;
    *reason = first_bad->reason;
    return first_bad->status;
}

static const char *const preflight_names[] = {"ok",         "unreachable",   "tls-expected", "not-tls", "not-mqtt",
                                              "login-refused", "unsupported", "refused",      "not-probed"};

const char *mqs_preflight_name(mqs_preflight s)
{
    return (unsigned)s < sizeof preflight_names / sizeof preflight_names[0] ? preflight_names[s] : "?";
}

/* ---- liveness ---- */

bool mqs_probe_alive(const mqs_probe_opts *opts, mqtt_version v, char *why, size_t why_cap)
{
    mqs_version_profile vp;
    version_profile_init(&vp, v);
    probe p = {.o = opts, .vp = &vp, .v = v, .wait_ms = opts->timeout_ms > 0 ? opts->timeout_ms : PROBE_DEFAULT_WAIT_MS};
    snprintf(p.prefix, sizeof p.prefix, "mqttspec/%s/alive", opts->run_tag);
    snprintf(p.cid, sizeof p.cid, "ms%.8sl%d", opts->run_tag, (int)v);
    pconn c;
    char err[256];
    if (!pc_open(&p, &c, err, sizeof err)) {
        snprintf(why, why_cap, "a new connection fails: %s", err);
        pc_close(&c, true);
        return false;
    }
    connect_args a = {"", true, -1, false};
    mqtt_packet pkt;
    pc_result r = send_connect(&p, &c, &a) ? pc_next(&c, &pkt, deadline_in(&p)) : PC_CLOSED;
    /* Any CONNACK, even a refusal, is an answer from a live server. */
    bool alive = r == PC_PACKET && pkt.type == MQTT_CONNACK;
    if (alive && pkt.u.connack.code == 0)
        disconnect(&c);
    else
        pc_close(&c, true);
    if (!alive)
        snprintf(why, why_cap, "a new connection %s",
                 r == PC_TIMEOUT ? "gets no CONNACK within the wait"
                 : r == PC_CLOSED ? "is closed without CONNACK"
                                  : "gets an answer to CONNECT that is not a CONNACK");
    return alive;
}

/* ---- heartbeat ---- */

#define HEARTBEAT_EVERY_MS 250
#define HEARTBEAT_MAX_PINGS 4096 /* a quarter second each: about 17 minutes of run, then it stops recording */

typedef struct ping_record {
    int64_t sent, answered; /* answered 0: never */
} ping_record;

struct mqs_heartbeat {
    mqs_probe_opts opts;
    mqs_version_profile vp;
    probe p;
    pconn c;
    pthread_t thread;
    atomic_bool stop;
    pthread_mutex_t lock;
    int64_t started; /* its CONNECT went out: stalls before that are not seen */
    ping_record pings[HEARTBEAT_MAX_PINGS];
    size_t n;
    int64_t died_at; /* the connection failed; 0 while alive */
};

static void *heartbeat_main(void *arg)
{
    mqs_heartbeat *hb = arg;
    mqtt_connack ca = {0};
    connect_args a = {"b", true, -1, false};
    bool up = reconnect(&hb->p, &hb->c, &a, &ca); /* the run does not wait for this: it starts at once */
    pthread_mutex_lock(&hb->lock);
    if (up) /* CONNECT and CONNACK are the first round trip: the record starts with the run */
        hb->pings[hb->n++] = (ping_record){hb->started, mqs_now_ms()};
    else
        hb->died_at = mqs_now_ms();
    pthread_mutex_unlock(&hb->lock);
    if (!up)
        return NULL;
    while (!atomic_load(&hb->stop) && hb->n < HEARTBEAT_MAX_PINGS) {
        mqtt_packet ping = {.type = MQTT_PINGREQ}, pkt;
        int64_t sent = mqs_now_ms();
        pthread_mutex_lock(&hb->lock);
        hb->pings[hb->n++] = (ping_record){sent, 0};
        pthread_mutex_unlock(&hb->lock);
        pc_result r = pc_send(&hb->c, &ping) ? PC_TIMEOUT : PC_CLOSED;
        /* Wait for the answer however long it takes (that is the measurement), but keep checking stop. */
        while (r == PC_TIMEOUT && !atomic_load(&hb->stop))
            r = pc_wait(&hb->p, &hb->c, MQTT_PINGRESP, 0, &pkt, mqs_now_ms() + HEARTBEAT_EVERY_MS);
        if (r != PC_PACKET) {
            pthread_mutex_lock(&hb->lock);
            if (r != PC_TIMEOUT)
                hb->died_at = mqs_now_ms();
            pthread_mutex_unlock(&hb->lock);
            break;
        }
        pthread_mutex_lock(&hb->lock);
        hb->pings[hb->n - 1].answered = mqs_now_ms();
        pthread_mutex_unlock(&hb->lock);
        int64_t next = sent + HEARTBEAT_EVERY_MS;
        while (!atomic_load(&hb->stop) && mqs_now_ms() < next) {
            int64_t left = next - mqs_now_ms();
            struct pollfd pfd = {.fd = -1};
            poll(&pfd, 0, (int)(left > 50 ? 50 : left));
        }
    }
    return NULL;
}

mqs_heartbeat *mqs_heartbeat_start(const mqs_probe_opts *opts, mqtt_version v)
{
    mqs_heartbeat *hb = calloc(1, sizeof *hb);
    if (!hb)
        return NULL;
    hb->opts = *opts;
    version_profile_init(&hb->vp, v);
    hb->p = (probe){.o = &hb->opts, .vp = &hb->vp, .v = v, .wait_ms = PROBE_DEFAULT_WAIT_MS};
    snprintf(hb->p.prefix, sizeof hb->p.prefix, "mqttspec/%s/heartbeat", opts->run_tag);
    snprintf(hb->p.cid, sizeof hb->p.cid, "ms%.8sh%d", opts->run_tag, (int)v);
    atomic_init(&hb->stop, false);
    pthread_mutex_init(&hb->lock, NULL);
    hb->started = mqs_now_ms();
    if (pthread_create(&hb->thread, NULL, heartbeat_main, hb) != 0) {
        pthread_mutex_destroy(&hb->lock);
        free(hb);
        return NULL;
    }
    return hb;
}

bool mqs_heartbeat_stalled(mqs_heartbeat *hb, int64_t from, int64_t to, int stall_ms)
{
    if (!hb)
        return true;
    pthread_mutex_lock(&hb->lock);
    bool stalled = hb->died_at && hb->died_at < to;
    for (size_t i = 0; i < hb->n && !stalled; i++) {
        const ping_record *r = &hb->pings[i];
        int64_t end = r->answered ? r->answered : mqs_now_ms();
        /* a ping that was outstanding during [from, to] for longer than stall_ms */
        stalled = end - r->sent > stall_ms && r->sent < to && end > from;
    }
    bool covered = hb->started <= from;
    pthread_mutex_unlock(&hb->lock);
    return stalled || !covered;
}

int64_t mqs_heartbeat_alive_after(mqs_heartbeat *hb)
{
    if (!hb)
        return 0;
    pthread_mutex_lock(&hb->lock);
    int64_t t = 0;
    for (size_t i = hb->n; i-- > 0 && !t;)
        if (hb->pings[i].answered)
            t = hb->pings[i].sent;
    pthread_mutex_unlock(&hb->lock);
    return t;
}

void mqs_heartbeat_stop(mqs_heartbeat *hb)
{
    if (!hb)
        return;
    atomic_store(&hb->stop, true);
    pthread_join(hb->thread, NULL);
    if (hb->c.t && !hb->died_at)
        disconnect(&hb->c);
    else
        pc_close(&hb->c, true);
    pthread_mutex_destroy(&hb->lock);
    free(hb);
}
