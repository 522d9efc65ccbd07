/*
 * broker-sim's enhanced authentication (SCRAM-SHA-256, 5.0 4.12) through sim_mem:
 * the whole exchange with the configured user, the CONNECT held until it ends,
 * refusals (unknown user, wrong proof, unsupported method) and what may not
 * come during the exchange.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mqttspec/codec.h"
#include "mqttspec/scram.h"
#include "mqttspec/sim.h"

#define USER "alice"
#define PASSWORD "correct horse"

typedef struct got {
    mqtt_packet pkt;   /* the first packet the broker wrote (views into buf) */
    int n;             /* packets written */
    bool closed;
    uint8_t buf[4096];
} got;

static void take(sim_mem *m, int conn, got *g)
{
    size_t n = sim_mem_take(m, conn, g->buf, sizeof g->buf, &g->closed);
    mqtt_decode_opts o = {.version = MQTT_V5, .role = MQTT_ROLE_CLIENT};
    mqtt_error err;
    size_t used, at = 0;
    g->n = 0;
    mqtt_packet p;
    while (at < n && mqtt_decode(g->buf + at, n - at, &o, &p, &used, &err) == MQTT_COMPLETE) {
        if (g->n++ == 0)
            g->pkt = p;
        at += used;
    }
    assert_int_equal(at, n); /* every byte decodes strictly */
}

/* Send a 5.0 packet: CONNECT (client id "c") or AUTH, with method and data. */
static void send_auth_packet(sim_mem *m, int conn, int type, uint8_t code, const char *method, const char *data)
{
    uint8_t props[1024], wire[2048];
    mqtt_writer w;
    mqtt_writer_init(&w, props, sizeof props);
    mqtt_property pm = {.id = MQTT_PROP_AUTHENTICATION_METHOD, .data = {(const uint8_t *)method, (uint32_t)strlen(method)}};
    mqtt_property pd = {.id = MQTT_PROP_AUTHENTICATION_DATA, .data = {(const uint8_t *)data, (uint32_t)strlen(data)}};
    mqtt_write_property(&w, &pm);
    mqtt_write_property(&w, &pd);
    mqtt_packet pkt = {.type = (uint8_t)type};
    if (type == MQTT_CONNECT) {
        pkt.u.connect.protocol_name = (mqtt_bytes){(const uint8_t *)"MQTT", 4};
        pkt.u.connect.protocol_level = 5;
        pkt.u.connect.clean_start = true;
        pkt.u.connect.client_id = (mqtt_bytes){(const uint8_t *)"c", 1};
        pkt.u.connect.props = (mqtt_props){props, (uint32_t)w.len};
    } else {
        pkt.u.disconnect.code = code;
        pkt.u.disconnect.has_code = true;
        pkt.u.disconnect.props = (mqtt_props){props, (uint32_t)w.len};
    }
    size_t n = mqtt_encode(&pkt, MQTT_V5, wire, sizeof wire);
    assert_true(n > 0);
    sim_mem_feed(m, conn, wire, n);
}

static bool has_method(mqtt_props props)
{
    mqtt_property pr;
    return mqtt_prop_find(props, MQTT_PROP_AUTHENTICATION_METHOD, &pr) && pr.data.len == strlen(MQS_SCRAM_METHOD) &&
           memcmp(pr.data.ptr, MQS_SCRAM_METHOD, pr.data.len) == 0;
}

static mqtt_bytes auth_data(mqtt_props props)
{
    mqtt_property pr;
    assert_true(mqtt_prop_find(props, MQTT_PROP_AUTHENTICATION_DATA, &pr));
    return pr.data;
}

static sim_mem *new_sim(void)
{
    sim_config cfg;
    sim_config_init(&cfg);
    cfg.auth_user = USER;
    cfg.auth_password = PASSWORD;
    sim_mem *m = sim_mem_new(&cfg);
    assert_non_null(m);
    return m;
}

/* CONNECT with the client-first; returns the connection after the server-first, which is in *sf. */
static int start(sim_mem *m, mqs_scram *s, const char *user, got *g)
{
    char first[MQS_SCRAM_MSG_MAX];
    int c = sim_mem_connect(m, 0);
    assert_true(mqs_scram_client_first(s, user, NULL, first, sizeof first) > 0);
    send_auth_packet(m, c, MQTT_CONNECT, 0, MQS_SCRAM_METHOD, first);
    take(m, c, g);
    return c;
}

static void finish(sim_mem *m, int c, mqs_scram *s, const char *password, bool wrong, got *g, int code)
{
    char final[MQS_SCRAM_MSG_MAX], err[200];
    mqtt_bytes sf = auth_data(g->pkt.u.disconnect.props);
    assert_true(mqs_scram_client_final(s, password, sf.ptr, sf.len, wrong, final, sizeof final, err, sizeof err) > 0);
    send_auth_packet(m, c, MQTT_AUTH, (uint8_t)code, MQS_SCRAM_METHOD, final);
    take(m, c, g);
}

static void test_exchange_and_reauthentication(void **state)
{
    (void)state;
    sim_mem *m = new_sim();
    mqs_scram s;
    got g;
    char err[200];
    int c = start(m, &s, USER, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.pkt.type, MQTT_AUTH);
    assert_int_equal(g.pkt.u.disconnect.code, 0x18); /* MQTT-4.12.0-2 */
    assert_true(has_method(g.pkt.u.disconnect.props)); /* MQTT-4.12.0-5 */
    finish(m, c, &s, PASSWORD, false, &g, 0x18);
    assert_int_equal(g.pkt.type, MQTT_CONNACK);
    assert_int_equal(g.pkt.u.connack.code, 0);
    assert_true(has_method(g.pkt.u.connack.props));
    mqtt_bytes fin = auth_data(g.pkt.u.connack.props);
    assert_true(mqs_scram_client_verify(&s, fin.ptr, fin.len, err, sizeof err));
    /* re-authentication: AUTH 0x19 ... AUTH 0x00 */
    char first[MQS_SCRAM_MSG_MAX];
    assert_true(mqs_scram_client_first(&s, USER, NULL, first, sizeof first) > 0);
    send_auth_packet(m, c, MQTT_AUTH, 0x19, MQS_SCRAM_METHOD, first);
    take(m, c, &g);
    assert_int_equal(g.pkt.type, MQTT_AUTH);
    assert_int_equal(g.pkt.u.disconnect.code, 0x18);
    finish(m, c, &s, PASSWORD, false, &g, 0x18);
    assert_int_equal(g.pkt.type, MQTT_AUTH);
    assert_int_equal(g.pkt.u.disconnect.code, 0x00);
    fin = auth_data(g.pkt.u.disconnect.props);
    assert_true(mqs_scram_client_verify(&s, fin.ptr, fin.len, err, sizeof err));
    /* a failed re-authentication: DISCONNECT 0x87 and close (MQTT-4.12.1-2) */
    assert_true(mqs_scram_client_first(&s, USER, NULL, first, sizeof first) > 0);
    send_auth_packet(m, c, MQTT_AUTH, 0x19, MQS_SCRAM_METHOD, first);
    take(m, c, &g);
    finish(m, c, &s, PASSWORD, true, &g, 0x18);
    assert_int_equal(g.pkt.type, MQTT_DISCONNECT);
    assert_int_equal(g.pkt.u.disconnect.code, 0x87);
    assert_true(g.closed);
    mqs_scram_wipe(&s);
    sim_mem_free(m);
}

static void test_refusals(void **state)
{
    (void)state;
    sim_mem *m = new_sim();
    mqs_scram s;
    got g;
    start(m, &s, "mallory", &g); /* unknown user */
    assert_int_equal(g.pkt.type, MQTT_CONNACK);
    assert_int_equal(g.pkt.u.connack.code, 0x87);
    assert_true(g.closed);
    int c = start(m, &s, USER, &g); /* wrong password: MQTT-4.12.0-4 */
    finish(m, c, &s, "wrong", false, &g, 0x18);
    assert_int_equal(g.pkt.type, MQTT_CONNACK);
    assert_int_equal(g.pkt.u.connack.code, 0x87);
    assert_int_equal(g.n, 1); /* no DISCONNECT after a refused CONNACK (MQTT-3.14.0-1) */
    assert_true(g.closed);
    c = sim_mem_connect(m, 0); /* unsupported method: MQTT-4.12.0-1 */
    send_auth_packet(m, c, MQTT_CONNECT, 0, "KERBEROS", "x");
    take(m, c, &g);
    assert_int_equal(g.pkt.u.connack.code, 0x8C);
    assert_true(g.closed);
    c = start(m, &s, USER, &g); /* anything but AUTH during the exchange closes */
    static const uint8_t ping[] = {0xC0, 0x00};
    sim_mem_feed(m, c, ping, sizeof ping);
    take(m, c, &g);
    assert_int_equal(g.n, 0);
    assert_true(g.closed);
    c = start(m, &s, USER, &g); /* another method in the AUTH: protocol error */
    send_auth_packet(m, c, MQTT_AUTH, 0x18, "OTHER", "x");
    take(m, c, &g);
    assert_true(g.closed);
    mqs_scram_wipe(&s);
    sim_mem_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exchange_and_reauthentication),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
