/* CONNECT (accept or refuse, session takeover, Clean Start) and DISCONNECT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mqttspec/scram.h"

#define SIM_V31_MAX_CLIENT_ID 23 /* 3.1 refuses longer identifiers (CONNACK 2) */
#define SIM_MAX_CLIENT_ID 256    /* 3.1.1 and 5.0: longer identifiers are refused (MQTT-3.1.3-5 lets a server) */
#define SIM_EXPIRY_CAP_S 5       /* session-expiry-override: the longest Session Expiry Interval granted */

/* ---- refusing ---- */

void sim_send_connack(sim_conn *c, bool session_present, uint8_t code, mqtt_props props)
{
    mqtt_packet pkt = {.type = MQTT_CONNACK};
    pkt.u.connack.flags = session_present ? 1 : 0;
    pkt.u.connack.code = code;
    pkt.u.connack.props = props;
    sim_send(c, &pkt);
}

/* CONNACK with a refusal code (0: none fits, close silently), then close: the connection never served a session. */
void sim_refuse_connect(sim_conn *c, mqtt_version v, uint8_t code, const char *why)
{
    if (sim_quirk(c->quirks, SIM_Q_PROCESSES_AFTER_REFUSAL))
        sim_process_after_refusal(c, v);
    c->version = v;
    if (code)
        sim_send_connack(c, false, code, (mqtt_props){NULL, 0});
    if (code && sim_quirk(c->quirks, SIM_Q_REFUSAL_LEFT_OPEN)) {
        c->refused_open = true; /* what it sends is ignored until it closes */
        sim_log(c->b, "#%u refused (%s), left open (refusal-left-open)", c->id, why);
        return;
    }
    if (code && v == MQTT_V5 && sim_quirk(c->quirks, SIM_Q_REFUSAL_DISCONNECT))
        c->connected = true; /* the quirk: closed as if it had been accepted, DISCONNECT first (MQTT-3.14.0-1) */
    sim_conn_close(c, code, why);
}

static void refuse(sim_conn *c, mqtt_version v, uint8_t code, const char *why) { sim_refuse_connect(c, v, code, why); }

/* The refusal a 5.0 server gives for a codec error: its reason code if CONNACK may carry it. */
static uint8_t connack_code_for(mqtt_err code)
{
    uint8_t rc = mqtt_err_reason_code(code);
    return mqtt_reason_valid(rc, MQTT_CONNACK, true, MQTT_V5) ? rc : 0x81;
}

void sim_on_connect_malformed(sim_conn *c, const mqtt_packet *pkt, const mqtt_error *err)
{
    char why[256];
    uint8_t level = pkt->u.connect.protocol_level;
    mqtt_err_format(err, level == MQTT_V5 ? MQTT_V5 : MQTT_V311, why, sizeof why);
    switch (err->code) {
    case MQTT_E_PROTOCOL_LEVEL:
        /* 3.1.1 MQTT-3.1.2-2 demands return code 1 in its layout; 5.0's 0x84 is only a MAY, and the
         * client's level says nothing about which layout it reads. */
        refuse(c, MQTT_V311, 0x01, why);
        return;
    case MQTT_E_CLIENT_ID_EMPTY_PERSISTENT:
        refuse(c, MQTT_V311, 0x02, why); /* 3.1.1 MQTT-3.1.3-8 */
        return;
    case MQTT_E_PROTOCOL_NAME:
        if (sim_quirk(c->quirks, SIM_Q_ANY_PROTOCOL_NAME) && sim_accept_any_protocol_name(c))
            return;
        /* not MQTT: MQTT-3.1.2-1 lets us just close, or answer under another specification (3.1.1's CONNACK 1) */
        refuse(c, MQTT_V311, sim_variant(c->variants, SIM_V_WRONG_PROTOCOL_NAME_311) ? 0x01 : 0, why);
        return;
    default:
        if (level == MQTT_V5)
            refuse(c, MQTT_V5, connack_code_for(err->code), why);
        else
            refuse(c, MQTT_V311, 0, why); /* 3.1.1 MQTT-3.1.4-1: close without CONNACK */
        return;
    }
}

/* 5.0: a Will this server announced it cannot publish (MQTT-3.2.2-12, MQTT-3.2.2-13); true if refused. */
static bool refused_will(sim_conn *c, const mqtt_connect *cn)
{
    mqtt_version v = (mqtt_version)cn->protocol_level;
    if (!cn->will)
        return false;
    if (v == MQTT_V5 && cn->will_qos > sim_variant_max_qos(c->variants)) {
        refuse(c, v, 0x9B, "Will QoS above the Maximum QoS announced (MQTT-3.2.2-12)");
        return true;
    }
    if (cn->will_retain && sim_variant5(c->variants, v, SIM_V_NO_RETAIN)) {
        refuse(c, v, 0x9A, "Will Retain 1 without retained messages (MQTT-3.2.2-13)");
        return true;
    }
    return false;
}

/* Checks the codec leaves to the receiver; true if the CONNECT was refused. */
static bool refused_by_content(sim_conn *c, const mqtt_connect *cn)
{
    mqtt_version v = (mqtt_version)cn->protocol_level;
    size_t bad;
    if (cn->will && mqtt_check_topic_name(cn->will_topic, &bad) != MQTT_E_OK) {
        refuse(c, v, v == MQTT_V5 ? 0x90 : 0, "Will Topic is not a valid Topic Name");
        return true;
    }
    if (v == MQTT_V31 && (cn->client_id.len == 0 || cn->client_id.len > SIM_V31_MAX_CLIENT_ID)) {
        refuse(c, v, 0x02, "3.1 Client Identifier must have 1 to 23 characters");
        return true;
    }
    if (v != MQTT_V31 && cn->client_id.len > SIM_MAX_CLIENT_ID) {
        /* 3.1.1 MQTT-3.1.3-5 / 5.0 MQTT-3.1.3-5 oblige a server to take 1 to 23 characters only: a limit above */
        refuse(c, v, v == MQTT_V5 ? 0x85 : 0x02, "Client Identifier longer than this server allows");
        return true;
    }
    return refused_will(c, cn);
}

/* ---- accepting ---- */

/* The client's 5.0 limits on what we send. */
static void take_client_limits(sim_conn *c, const mqtt_connect *cn)
{
    mqtt_property pr;
    if (mqtt_prop_find(cn->props, MQTT_PROP_RECEIVE_MAXIMUM, &pr))
        c->recv_max = (uint16_t)pr.value;
    if (mqtt_prop_find(cn->props, MQTT_PROP_MAXIMUM_PACKET_SIZE, &pr))
        c->max_packet = pr.value;
    c->problem_info = !mqtt_prop_find(cn->props, MQTT_PROP_REQUEST_PROBLEM_INFORMATION, &pr) || pr.value != 0;
    c->response_info = mqtt_prop_find(cn->props, MQTT_PROP_REQUEST_RESPONSE_INFORMATION, &pr) && pr.value == 1;
    if (mqtt_prop_find(cn->props, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, &pr))
        c->alias_max_out = (uint16_t)pr.value;
}

static uint32_t session_expiry_asked(const sim_conn *c, const mqtt_connect *cn)
{
    if (c->version != MQTT_V5)
        return cn->clean_start ? 0 : SIM_EXPIRY_NEVER;
    mqtt_property pr;
    return mqtt_prop_find(cn->props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, &pr) ? pr.value : 0;
}

/* The Session Expiry Interval this server uses: the one asked, or capped (session-expiry-override). */
static uint32_t session_expiry_granted(const sim_conn *c, uint32_t asked)
{
    if (sim_variant5(c->variants, c->version, SIM_V_SESSION_EXPIRY_OVERRIDE) && asked > SIM_EXPIRY_CAP_S)
        return SIM_EXPIRY_CAP_S;
    return asked;
}

/* The Keep Alive in force: the client's, the configured Server Keep Alive, or twice the client's
 * (keep-alive-override; a client's 0 stays 0). */
static uint16_t keep_alive_in_force(const sim_conn *c, uint16_t asked)
{
    if (c->version != MQTT_V5)
        return asked;
    if (c->b->cfg.server_keep_alive)
        return c->b->cfg.server_keep_alive;
    if (sim_variant(c->variants, SIM_V_KEEP_ALIVE_OVERRIDE) && asked)
        return asked > 0x7FFF ? 0xFFFF : (uint16_t)(asked * 2);
    return asked;
}

/* MQTT-3.1.4-3 (5.0) / MQTT-3.1.4-2 (3.1.1): the client id is connected elsewhere: close that connection. */
static void take_over(const sim_conn *c, sim_session *s)
{
    sim_conn *old = s->conn;
    sim_log(s->b, "session '%s' taken over from #%u", s->client_id, old->id);
    if (sim_quirk(c->quirks, SIM_Q_TAKEOVER_KEEPS_OLD)) {
        old->s = NULL; /* open and serving nothing: dispatch closes it at its next packet */
        s->conn = NULL;
        return;
    }
    sim_conn_close(old, 0x8E, "session taken over");
}

/* Clean Start handling; returns the session to serve, whether it is a resumed one (present) and whether
 * one was stored at all (existed, even if Clean Start then discarded it). */
static sim_session *open_session(sim_conn *c, mqtt_bytes client_id, bool clean_start, bool *present, bool *existed)
{
    sim_broker *b = c->b;
    sim_session *s = sim_session_find(b, client_id);
    if (s && s->conn) {
        take_over(c, s);
        s = sim_session_find(b, client_id); /* closing may have ended it */
    }
    *existed = s != NULL;
    if (s && clean_start && !sim_quirk(c->quirks, SIM_Q_KEEP_SESSION_ON_CLEAN)) {
        sim_session_end(s); /* publishes a Will still waiting for its delay: the session ends */
        s = NULL;
    }
    *present = s != NULL;
    if (s) {
        sim_will_free(s->will); /* MQTT-3.1.3-9: the client is back before its Will was due */
        s->will = NULL;
        return s;
    }
    return sim_session_new(b, client_id);
}

/* An empty client id is given one of ours (5.0: announced in CONNACK). */
static mqtt_bytes assign_client_id(sim_conn *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "sim-%u-%u", c->id, ++c->b->next_assigned_id);
    return (mqtt_bytes){(const uint8_t *)buf, (uint32_t)strlen(buf)};
}

static void write_u_prop(mqtt_writer *w, uint8_t id, uint32_t value)
{
    mqtt_property pr = {.id = id, .value = value};
    mqtt_write_property(w, &pr);
}

/* What the CONNACK tells the client about its own requests (5.0). */
typedef struct sim_connack_view {
    mqtt_bytes assigned_id;   /* empty: the client chose its identifier */
    uint16_t asked_keep_alive;
    uint32_t asked_expiry, granted_expiry;
    const mqtt_bytes *auth_data; /* enhanced authentication: its last data (server-final); NULL: none */
} sim_connack_view;

/* The optional features the variants take away, announced as 0 (or Maximum QoS 1). */
static void write_variant_props(const sim_conn *c, mqtt_writer *w)
{
    if (sim_quirk(c->quirks, SIM_Q_MAXIMUM_QOS_LAX))
        write_u_prop(w, MQTT_PROP_MAXIMUM_QOS, 1);
    else if (sim_variant_max_qos(c->variants) < 2)
        write_u_prop(w, MQTT_PROP_MAXIMUM_QOS, sim_variant_max_qos(c->variants));
    if (sim_variant(c->variants, SIM_V_NO_RETAIN) || sim_quirk(c->quirks, SIM_Q_NO_RETAIN_WILL_ACCEPTED))
        write_u_prop(w, MQTT_PROP_RETAIN_AVAILABLE, 0);
    if (sim_variant(c->variants, SIM_V_NO_WILDCARDS))
        write_u_prop(w, MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE, 0);
    if (sim_variant(c->variants, SIM_V_NO_SUBSCRIPTION_IDS))
        write_u_prop(w, MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE, 0);
    if (sim_variant(c->variants, SIM_V_NO_SHARED))
        write_u_prop(w, MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE, 0);
}

static void write_string_prop(mqtt_writer *w, uint8_t id, const char *text)
{
    mqtt_property pr = {.id = id, .data = {(const uint8_t *)text, (uint32_t)strlen(text)}};
    mqtt_write_property(w, &pr);
}

/* The end of an enhanced authentication: the method again (MQTT-4.12.0-5) and the server's last data. */
static void write_auth_props(const sim_conn *c, const mqtt_bytes *auth_data, mqtt_writer *w)
{
    if (!auth_data) {
        if (sim_quirk(c->quirks, SIM_Q_AUTH_METHOD_UNASKED)) /* MQTT-4.12.0-6 broken */
            write_string_prop(w, MQTT_PROP_AUTHENTICATION_METHOD, MQS_SCRAM_METHOD);
        return;
    }
    if (!sim_quirk(c->quirks, SIM_Q_AUTH_METHOD_OMITTED))
        write_string_prop(w, MQTT_PROP_AUTHENTICATION_METHOD, MQS_SCRAM_METHOD);
    mqtt_property pr = {.id = MQTT_PROP_AUTHENTICATION_DATA, .data = *auth_data};
    mqtt_write_property(w, &pr);
}

/* 5.0 CONNACK properties: what this server differs in from the defaults a client assumes. */
static mqtt_props connack_props(const sim_conn *c, const sim_connack_view *view, uint8_t *buf, size_t cap)
{
    const sim_config *cfg = &c->b->cfg;
    mqtt_writer w;
    mqtt_writer_init(&w, buf, cap);
    if (view->assigned_id.len) {
        mqtt_property pr = {.id = MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, .data = view->assigned_id};
        mqtt_write_property(&w, &pr);
    }
    if (cfg->server_keep_alive || c->keep_alive != view->asked_keep_alive)
        write_u_prop(&w, MQTT_PROP_SERVER_KEEP_ALIVE, c->keep_alive);
    if (view->granted_expiry != view->asked_expiry)
        write_u_prop(&w, MQTT_PROP_SESSION_EXPIRY_INTERVAL, view->granted_expiry);
    write_variant_props(c, &w);
    if (cfg->topic_alias_maximum)
        write_u_prop(&w, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, cfg->topic_alias_maximum);
    if (cfg->max_packet_size)
        write_u_prop(&w, MQTT_PROP_MAXIMUM_PACKET_SIZE, cfg->max_packet_size);
    write_auth_props(c, view->auth_data, &w);
    if (sim_quirk(c->quirks, SIM_Q_PROBLEM_INFO_IGNORED) ||
        (c->response_info && sim_variant(c->variants, SIM_V_PROBLEM_INFO))) {
        /* 3.2.2.3.15: the basis of response topics; no format is defined */
        mqtt_property pr = {.id = MQTT_PROP_RESPONSE_INFORMATION, .data = {(const uint8_t *)"mqttspec/responses", 18}};
        mqtt_write_property(&w, &pr);
    }
    return (mqtt_props){buf, (uint32_t)w.len};
}

/* A success CONNACK with these properties may be sent to this client (sim_send's size rule). */
static bool connack_fits(const sim_conn *c, mqtt_props props)
{
    mqtt_packet pkt = {.type = MQTT_CONNACK};
    pkt.u.connack.props = props;
    size_t need;
    return sim_fits_client(c, &pkt, &need);
}

/* CONNACK Session Present: 1 only when Clean Start 0 resumed a stored session
 * (3.1.1 MQTT-3.2.2-1..3, 5.0 MQTT-3.2.2-2 / MQTT-3.2.2-3). */
static bool session_present_flag(const sim_conn *c, bool clean_start, bool present, bool existed)
{
    if (clean_start)
        return existed && sim_quirk(c->quirks, SIM_Q_SESSION_PRESENT_ON_CLEAN);
    return present != sim_quirk(c->quirks, SIM_Q_WRONG_SESSION_PRESENT);
}

static void bind_session(sim_conn *c, sim_session *s, uint32_t expiry_s)
{
    c->s = s;
    s->conn = c;
    s->quirks = c->quirks;
    s->variants = c->variants;
    s->expires_at = 0;
    sim_alias_restore(c, s);
    bool never = c->version == MQTT_V5 && sim_quirk(c->quirks, SIM_Q_SESSIONS_NEVER_EXPIRE);
    s->expiry_s = never ? SIM_EXPIRY_NEVER : expiry_s;
    c->connect_expiry_s = expiry_s;
    if (c->version == MQTT_V5 && sim_quirk(c->quirks, SIM_Q_SESSION_EXPIRY_FROM_CONNECT) && expiry_s &&
        s->expiry_s != SIM_EXPIRY_NEVER)
        s->expires_at = sim_now() + (int64_t)expiry_s * 1000; /* run_session_timers ends it even while connected */
}

void sim_on_connect(sim_conn *c, const mqtt_packet *pkt)
{
    const mqtt_connect *cn = &pkt->u.connect;
    mqtt_property pr;
    c->version = (mqtt_version)cn->protocol_level;
    if (refused_by_content(c, cn))
        return;
    if (c->version == MQTT_V5) /* in force from the CONNECT on: the AUTH packets of an exchange keep them too */
        take_client_limits(c, cn);
    if (c->version == MQTT_V5 && mqtt_prop_find(cn->props, MQTT_PROP_AUTHENTICATION_METHOD, &pr))
        sim_auth_connect(c, pkt); /* accepted (sim_accept_connect) once the exchange succeeds */
    else
        sim_accept_connect(c, pkt, NULL, true);
}

void sim_accept_connect(sim_conn *c, const mqtt_packet *pkt, const mqtt_bytes *auth_data, bool ack)
{
    const mqtt_connect *cn = &pkt->u.connect;
    c->keep_alive = keep_alive_in_force(c, cn->keep_alive);
    char assigned[48];
    mqtt_bytes client_id = cn->client_id;
    mqtt_bytes assigned_id = {NULL, 0};
    if (client_id.len == 0)
        client_id = assigned_id = assign_client_id(c, assigned, sizeof assigned);
    uint32_t asked_expiry = session_expiry_asked(c, cn), granted_expiry = session_expiry_granted(c, asked_expiry);
    uint8_t props[400];
    sim_connack_view view = {assigned_id, cn->keep_alive, asked_expiry, granted_expiry, auth_data};
    mqtt_props ack_props = c->version == MQTT_V5 ? connack_props(c, &view, props, sizeof props) : (mqtt_props){NULL, 0};
    if (ack && !connack_fits(c, ack_props)) {
        /* the properties it must carry (an Assigned Client Identifier, MQTT-3.2.2-16) would break the client's
         * Maximum Packet Size (MQTT-3.1.2-25): refuse with a CONNACK that fits instead of serving a session */
        refuse(c, c->version, 0x80, "our CONNACK would exceed the client's Maximum Packet Size");
        return;
    }
    bool present, existed;
    sim_session *s = open_session(c, client_id, cn->clean_start, &present, &existed);
    bind_session(c, s, granted_expiry);
    c->will = cn->will ? sim_will_from_connect(cn, c->version, c->quirks) : NULL;
    sim_will_outlives_connect(c, s);
    bool flag = session_present_flag(c, cn->clean_start, present, existed);
    if (ack)
        sim_send_connack(c, flag, 0, ack_props);
    c->connected = true;
    sim_log(c->b, "#%u client '%s' %s session (%s)", c->id, s->client_id, present ? "resumes its" : "starts a new",
            mqtt_version_name(c->version));
    if (present)
        sim_session_resend(s);
    sim_session_pump(s);
}

/* ---- DISCONNECT ---- */

/* 5.0: a Session Expiry Interval in DISCONNECT replaces the CONNECT's, except that 0 cannot become non-zero. */
static bool take_disconnect_expiry(sim_conn *c, const mqtt_disconnect *d)
{
    mqtt_property pr;
    if (!mqtt_prop_find(d->props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, &pr))
        return true;
    if (c->connect_expiry_s == 0 && pr.value != 0)
        return false;
    if (!sim_quirk(c->quirks, SIM_Q_SESSIONS_NEVER_EXPIRE) && !sim_quirk(c->quirks, SIM_Q_DISCONNECT_EXPIRY_IGNORED))
        c->s->expiry_s = session_expiry_granted(c, pr.value); /* session-expiry-override caps this one too */
    return true;
}

void sim_on_disconnect(sim_conn *c, const mqtt_packet *pkt)
{
    const mqtt_disconnect *d = &pkt->u.disconnect;
    if (c->version == MQTT_V5 && !take_disconnect_expiry(c, d)) {
        sim_protocol_error(c, 0x82, "DISCONNECT sets a Session Expiry Interval after CONNECT had 0 (3.14.2.2.2)");
        return;
    }
    /* Only 0x00 (3.1.1: any DISCONNECT) discards the Will; 0x04 and errors keep it. */
    bool discard = c->version != MQTT_V5 || d->code == 0x00;
    c->will_discarded = discard && !sim_quirk(c->quirks, SIM_Q_WILL_ON_DISCONNECT);
    sim_conn_close(c, 0, "DISCONNECT");
}
