/*
 * 5.0 enhanced authentication (4.12) with one method, SCRAM-SHA-256, for the
 * one user of the configuration:
 *
 *   CONNECT  method, client-first      ->  AUTH 0x18 method, server-first
 *   AUTH 0x18 method, client-final     ->  CONNACK 0 method, server-final (a wrong proof: CONNACK 0x87, close)
 *   after CONNACK: AUTH 0x19 method, client-first -> AUTH 0x18 ... -> AUTH 0x00 method, server-final
 *                                                    (a wrong proof: DISCONNECT 0x87, close: MQTT-4.12.1-2)
 *
 * The CONNECT waits, re-encoded, until the exchange succeeds: nothing of it
 * (session, takeover, Will) takes effect for a client not yet authenticated.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mqttspec/scram.h"

struct sim_auth {
    mqs_scram scram;
    bool awaiting_final;  /* server-first sent: the client-final is due */
    uint8_t *connect;     /* the CONNECT waiting for the exchange to succeed; NULL once accepted */
    size_t connect_len;
};

void sim_auth_free(sim_conn *c)
{
    if (!c->auth)
        return;
    mqs_scram_wipe(&c->auth->scram);
    free(c->auth->connect);
    free(c->auth);
    c->auth = NULL;
}

static mqtt_bytes prop_bytes(mqtt_props props, uint8_t id)
{
    mqtt_property pr;
    return mqtt_prop_find(props, id, &pr) ? pr.data : (mqtt_bytes){NULL, 0};
}

static bool is_scram(mqtt_bytes method)
{
    return method.len == strlen(MQS_SCRAM_METHOD) && memcmp(method.ptr, MQS_SCRAM_METHOD, method.len) == 0;
}

/* AUTH with our method (MQTT-4.12.0-5; auth-method-omitted: none on the AUTH 0x00 ending a re-authentication)
 * and data. */
static void send_auth(sim_conn *c, uint8_t code, const char *data, size_t len)
{
    uint8_t buf[MQS_SCRAM_MSG_MAX + 64];
    mqtt_writer w;
    mqtt_writer_init(&w, buf, sizeof buf);
    mqtt_property method = {.id = MQTT_PROP_AUTHENTICATION_METHOD,
                            .data = {(const uint8_t *)MQS_SCRAM_METHOD, (uint32_t)strlen(MQS_SCRAM_METHOD)}};
    mqtt_property pdata = {.id = MQTT_PROP_AUTHENTICATION_DATA, .data = {(const uint8_t *)data, (uint32_t)len}};
    if (code != 0x00 || !sim_quirk(c->quirks, SIM_Q_AUTH_METHOD_OMITTED))
        mqtt_write_property(&w, &method);
    mqtt_write_property(&w, &pdata);
    mqtt_packet pkt = {.type = MQTT_AUTH};
    pkt.u.disconnect.code = code;
    pkt.u.disconnect.has_code = true;
    pkt.u.disconnect.props = (mqtt_props){buf, (uint32_t)w.len};
    sim_send(c, &pkt);
}

/* The server-first for a client-first (CONNECT or AUTH 0x19); false: not this user or not SCRAM. */
static bool answer_client_first(sim_conn *c, mqtt_props props)
{
    mqtt_bytes data = prop_bytes(props, MQTT_PROP_AUTHENTICATION_DATA);
    char out[MQS_SCRAM_MSG_MAX], err[160];
    const sim_config *cfg = &c->b->cfg;
    int n = mqs_scram_server_first(&c->auth->scram, cfg->auth_user ? cfg->auth_user : "",
                                   cfg->auth_password ? cfg->auth_password : "", data.ptr, data.len, NULL, NULL, out,
                                   sizeof out, err, sizeof err);
    if (n < 0) {
        sim_log(c->b, "#%u SCRAM client-first refused: %s", c->id, err);
        return false;
    }
    c->auth->awaiting_final = true;
    send_auth(c, 0x18, out, (size_t)n); /* MQTT-4.12.0-2 */
    return true;
}

/* Refuse the CONNECT: CONNACK code and close (MQTT-4.12.0-1, MQTT-4.12.0-4), or, with the quirk, served anyway. */
static void refuse(sim_conn *c, const mqtt_packet *pkt, uint8_t code, const char *why)
{
    if (sim_quirk(c->quirks, SIM_Q_REFUSED_CONNECT_PROCESSED)) {
        sim_send_connack(c, false, code, (mqtt_props){NULL, 0});
        sim_accept_connect(c, pkt, NULL, false);
        return;
    }
    sim_refuse_connect(c, MQTT_V5, code, why);
}

static void refuse_method(sim_conn *c, const mqtt_packet *pkt)
{
    refuse(c, pkt, 0x8C, "Authentication Method not supported (MQTT-4.12.0-1)");
}

void sim_auth_connect(sim_conn *c, const mqtt_packet *pkt)
{
    mqtt_bytes method = prop_bytes(pkt->u.connect.props, MQTT_PROP_AUTHENTICATION_METHOD);
    if (!is_scram(method) || sim_variant(c->variants, SIM_V_NO_ENHANCED_AUTH)) {
        refuse_method(c, pkt);
        return;
    }
    c->auth = calloc(1, sizeof *c->auth);
    size_t len = mqtt_encoded_size(pkt, MQTT_V5);
    if (!c->auth || !len || !(c->auth->connect = malloc(len)) ||
        mqtt_encode(pkt, MQTT_V5, c->auth->connect, len) != len) {
        sim_refuse_connect(c, MQTT_V5, 0x97, "out of memory");
        return;
    }
    c->auth->connect_len = len;
    if (!answer_client_first(c, pkt->u.connect.props))
        sim_refuse_connect(c, MQTT_V5, 0x87, "SCRAM-SHA-256: unknown user or malformed client-first");
}

/* The CONNECT held for the exchange, decoded again (views into c->auth->connect); false if it does not decode. */
static bool held_connect(sim_conn *c, mqtt_packet *pkt)
{
    mqtt_decode_opts opts = {.version = MQTT_V5, .role = MQTT_ROLE_SERVER, .max_packet_size = 0};
    mqtt_error err;
    size_t used;
    return mqtt_decode(c->auth->connect, c->auth->connect_len, &opts, pkt, &used, &err) == MQTT_COMPLETE;
}

static void refuse_held_connect(sim_conn *c, uint8_t code, const char *why)
{
    mqtt_packet pkt;
    if (held_connect(c, &pkt))
        refuse(c, &pkt, code, why);
    else
        sim_refuse_connect(c, MQTT_V5, code, why);
}

/* The exchange under CONNECT succeeded: accept the CONNECT it held, with the server-final in CONNACK. */
static void accept_held_connect(sim_conn *c, const char *server_final, size_t len)
{
    mqtt_packet pkt;
    uint8_t *held = c->auth->connect;
    if (!held_connect(c, &pkt)) {
        sim_refuse_connect(c, MQTT_V5, 0x80, "the held CONNECT no longer decodes");
        return;
    }
    mqtt_bytes data = {(const uint8_t *)server_final, (uint32_t)len};
    sim_accept_connect(c, &pkt, &data, true);
    free(held); /* sim_accept_connect copied what it keeps */
    if (c->auth)
        c->auth->connect = NULL;
}

/* The client-final: proof checked; the server-final goes in CONNACK, or in AUTH 0x00 after a re-authentication. */
static void on_client_final(sim_conn *c, mqtt_props props)
{
    mqtt_bytes data = prop_bytes(props, MQTT_PROP_AUTHENTICATION_DATA);
    char out[MQS_SCRAM_MSG_MAX], err[160];
    c->auth->awaiting_final = false;
    int n = mqs_scram_server_final(&c->auth->scram, data.ptr, data.len, out, sizeof out, err, sizeof err);
    if (n < 0) {
        sim_log(c->b, "#%u SCRAM client-final refused: %s", c->id, err);
        if (!c->connected)
            refuse_held_connect(c, 0x87, "authentication failed (MQTT-4.12.0-4)");
        else if (!sim_quirk(c->quirks, SIM_Q_REAUTH_FAILURE_KEPT_OPEN))
            sim_conn_close(c, 0x87, "re-authentication failed (MQTT-4.12.1-2)");
        return;
    }
    if (c->connected)
        send_auth(c, 0x00, out, (size_t)n);
    else
        accept_held_connect(c, out, (size_t)n);
}

void sim_on_auth(sim_conn *c, const mqtt_packet *pkt)
{
    const mqtt_disconnect *a = &pkt->u.disconnect;
    if (!c->auth) { /* no Authentication Method in CONNECT (MQTT-4.12.0-7 is the client's; 4.13.1 ours) */
        if (!sim_quirk(c->quirks, SIM_Q_UNEXPECTED_AUTH_IGNORED))
            sim_protocol_error(c, 0x82, "AUTH without an Authentication Method in CONNECT");
        return;
    }
    if (!is_scram(prop_bytes(a->props, MQTT_PROP_AUTHENTICATION_METHOD))) {
        if (sim_quirk(c->quirks, SIM_Q_AUTH_METHOD_UNCHECKED))
            return; /* dropped as if it had not come */
        sim_protocol_error(c, 0x82, "AUTH with another Authentication Method than CONNECT's (MQTT-4.12.0-5)");
        return;
    }
    if (a->code == 0x18 && c->auth->awaiting_final) {
        on_client_final(c, a->props);
        return;
    }
    if (a->code == 0x19 && c->connected && !c->auth->awaiting_final) {
        if (!answer_client_first(c, a->props))
            sim_conn_close(c, 0x87, "re-authentication refused: unknown user or malformed client-first");
        return;
    }
    sim_protocol_error(c, 0x82, "AUTH out of turn in the SCRAM-SHA-256 exchange");
}
