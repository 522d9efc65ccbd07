/*
 * The WebSocket transport (ws://) over loopback: the opening handshake both
 * ways (the RFC 6455 sample key, the subprotocol), bytes through frames cut
 * any way (1-byte frames, fragments), ping answered, text frames and
 * unmasked client frames refused, the close handshake, and the broker-sim
 * quirk switches of the server side.  A client's handshake waits for the
 * server's, so the server side accepts on a thread of its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttspec/transport.h"

enum { WAIT_MS = 3000 };

typedef struct {
    mqs_listener *l;
    mqs_transport *t;
    char err[256];
    pthread_t thread;
} server;

static void *accept_thread(void *arg)
{
    server *s = arg;
    int64_t deadline = mqs_now_ms() + WAIT_MS;
    while (!s->t && mqs_now_ms() < deadline) {
        struct pollfd p = {.fd = mqs_listener_fd(s->l), .events = POLLIN};
        if (poll(&p, 1, 100) > 0) {
            s->t = mqs_accept(s->l, deadline, s->err, sizeof s->err);
            if (!s->t && s->err[0])
                break;
        }
    }
    return NULL;
}

static mqs_url url_of(const char *text)
{
    mqs_url u;
    char err[256];
    if (mqs_url_parse(text, &u, err, sizeof err) != 0)
        fail_msg("%s: %s", text, err);
    return u;
}

/* A ws listener with quirks, accepting on a thread. */
static void server_start(server *s, const char *listen_url, unsigned quirks)
{
    memset(s, 0, sizeof *s);
    mqs_url u = url_of(listen_url);
    s->l = mqs_listen(&u, NULL, s->err, sizeof s->err);
    assert_non_null(s->l);
    mqs_listener_set_ws_quirks(s->l, quirks);
    assert_int_equal(pthread_create(&s->thread, NULL, accept_thread, s), 0);
}

static void server_join(server *s) { pthread_join(s->thread, NULL); }

static void server_stop(server *s)
{
    mqs_transport_drop(s->t);
    mqs_listener_close(s->l);
}

/* Connect to the server's port with scheme://127.0.0.1:PORT/mqtt (mqtt: a raw TCP peer). */
static mqs_transport *client_connect(server *s, const char *scheme, char *err, size_t cap)
{
    char text[128];
    snprintf(text, sizeof text, "%s://127.0.0.1:%d%s", scheme, mqs_listener_port(s->l),
             strcmp(scheme, "ws") == 0 ? "/mqtt" : "");
    mqs_url u = url_of(text);
    mqs_transport *t = mqs_transport_connect(&u, NULL, mqs_now_ms() + WAIT_MS, err, cap);
    server_join(s);
    return t;
}

/* Read until n bytes came, the peer closed (0) or failed (MQS_IO_ERROR). */
static ssize_t read_n(mqs_transport *t, uint8_t *buf, size_t n)
{
    size_t got = 0;
    int64_t deadline = mqs_now_ms() + WAIT_MS;
    while (got < n && mqs_now_ms() < deadline) {
        if (!mqs_transport_pending(t)) {
            struct pollfd p = {.fd = mqs_transport_fd(t), .events = POLLIN};
            poll(&p, 1, 100);
        }
        ssize_t r = mqs_transport_read(t, buf + got, n - got);
        if (r == 0 || r == MQS_IO_ERROR)
            return r;
        if (r > 0)
            got += (size_t)r;
    }
    return (ssize_t)got;
}

static void pair(server *s, unsigned quirks, mqs_transport **client)
{
    char err[256];
    server_start(s, "ws://127.0.0.1:0/mqtt", quirks);
    *client = client_connect(s, "ws", err, sizeof err);
    if (!*client || !s->t)
        fail_msg("ws pair: client '%s', server '%s'", err, s->err);
}

static void test_exchange_any_cut(void **state)
{
    (void)state;
    server s;
    mqs_transport *c;
    pair(&s, 0, &c);
    assert_true(mqs_transport_is_ws(c) && mqs_transport_is_ws(s.t));
    assert_string_equal(mqs_transport_ws_protocol(c), "mqtt");
    static const uint8_t msg[] = "0123456789abcdefghij";
    uint8_t buf[64];
    const mqs_ws_send cuts[] = {{0}, {.frame_bytes = 1}, {.frame_bytes = 3, .fragment = true}, {.frame_bytes = 7}};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        assert_int_equal(mqs_transport_ws_send(c, msg, 20, &cuts[i], mqs_now_ms() + WAIT_MS), 0);
        assert_int_equal(read_n(s.t, buf, 20), 20);
        assert_memory_equal(buf, msg, 20);
    }
    /* server to client, unmasked, and a large frame (64-bit length form) */
    size_t big = 70000;
    uint8_t *out = malloc(big), *in = malloc(big);
    for (size_t i = 0; i < big; i++)
        out[i] = (uint8_t)(i * 7);
    assert_int_equal(mqs_transport_write_all(s.t, out, big, mqs_now_ms() + WAIT_MS), 0);
    assert_int_equal(read_n(c, in, big), (ssize_t)big);
    assert_memory_equal(in, out, big);
    free(out);
    free(in);
    /* a ping is answered by the layer and delivers nothing */
    const mqs_ws_send ping = {.opcode = MQS_WS_PING};
    assert_int_equal(mqs_transport_ws_send(c, "hi", 2, &ping, mqs_now_ms() + WAIT_MS), 0);
    assert_int_equal(mqs_transport_write_all(c, "x", 1, mqs_now_ms() + WAIT_MS), 0);
    assert_int_equal(read_n(s.t, buf, 1), 1);
    assert_int_equal(buf[0], 'x');
    /* orderly close: a close frame, which the server reads as end of stream */
    mqs_transport_close(c);
    assert_int_equal(read_n(s.t, buf, 1), 0);
    server_stop(&s);
}

static void test_text_frame_fails(void **state)
{
    (void)state;
    server s;
    mqs_transport *c;
    pair(&s, 0, &c);
    const mqs_ws_send text = {.opcode = MQS_WS_TEXT};
    uint8_t buf[8];
    assert_int_equal(mqs_transport_ws_send(c, "\xc0\x00", 2, &text, mqs_now_ms() + WAIT_MS), 0);
    assert_int_equal(read_n(s.t, buf, 2), MQS_IO_ERROR);
    assert_non_null(strstr(mqs_transport_error(s.t), "MQTT-6.0.0-1"));
    /* the server sent a close frame: the client reads the end of the stream */
    assert_int_equal(read_n(c, buf, 1), 0);
    mqs_transport_drop(c);
    server_stop(&s);
}

static void test_quirks(void **state)
{
    (void)state;
    server s;
    mqs_transport *c;
    uint8_t buf[8];
    pair(&s, MQS_WS_QUIRK_ACCEPT_TEXT | MQS_WS_QUIRK_NO_PROTOCOL, &c);
    assert_string_equal(mqs_transport_ws_protocol(c), "");
    const mqs_ws_send text = {.opcode = MQS_WS_TEXT};
    assert_int_equal(mqs_transport_ws_send(c, "\xc0\x00", 2, &text, mqs_now_ms() + WAIT_MS), 0);
    assert_int_equal(read_n(s.t, buf, 2), 2);
    mqs_transport_drop(c);
    server_stop(&s);

    pair(&s, MQS_WS_QUIRK_FRAME_ALIGNED, &c);
    assert_int_equal(mqs_transport_write_all(c, "\xc0\x00", 2, mqs_now_ms() + WAIT_MS), 0); /* one whole packet */
    assert_int_equal(read_n(s.t, buf, 2), 2);
    assert_int_equal(mqs_transport_write_all(c, "\xc0\x00\xc0\x00", 4, mqs_now_ms() + WAIT_MS), 0);
    assert_int_equal(read_n(s.t, buf, 4), MQS_IO_ERROR);
    mqs_transport_drop(c);
    server_stop(&s);
}

/* A raw TCP client: the RFC 6455 sample key, then an unmasked frame the server must refuse. */
static void test_raw_handshake_and_unmasked(void **state)
{
    (void)state;
    server s;
    char err[256];
    server_start(&s, "ws://127.0.0.1:0/mqtt", 0);
    char text[64];
    snprintf(text, sizeof text, "mqtt://127.0.0.1:%d", mqs_listener_port(s.l));
    mqs_url u = url_of(text);
    mqs_transport *c = mqs_transport_connect(&u, NULL, mqs_now_ms() + WAIT_MS, err, sizeof err);
    assert_non_null(c);
    static const char req[] = "GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Protocol: mqttv3.1, mqtt\r\n\r\n";
    assert_int_equal(mqs_transport_write_all(c, req, strlen(req), mqs_now_ms() + WAIT_MS), 0);
    server_join(&s);
    assert_non_null(s.t);
    char resp[512] = "";
    ssize_t n = read_n(c, (uint8_t *)resp, 100); /* enough for the status line and Accept */
    assert_true(n > 0);
    int64_t deadline = mqs_now_ms() + 300;
    while (!strstr(resp, "\r\n\r\n") && mqs_now_ms() < deadline) {
        ssize_t r = mqs_transport_read(c, resp + n, sizeof resp - 1 - (size_t)n);
        if (r > 0)
            n += r;
    }
    assert_non_null(strstr(resp, "HTTP/1.1 101"));
    assert_non_null(strstr(resp, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    assert_non_null(strstr(resp, "Sec-WebSocket-Protocol: mqtt\r\n"));
    static const uint8_t unmasked[] = {0x82, 0x02, 0xc0, 0x00};
    assert_int_equal(mqs_transport_write_all(c, unmasked, sizeof unmasked, mqs_now_ms() + WAIT_MS), 0);
    uint8_t buf[4];
    assert_int_equal(read_n(s.t, buf, 2), MQS_IO_ERROR);
    assert_non_null(strstr(mqs_transport_error(s.t), "unmasked"));
    mqs_transport_drop(c);
    server_stop(&s);
}

/* Garbage after a good handshake: the server's frame parser fails the connection or reads on, never crashes. */
static void test_random_frames(void **state)
{
    (void)state;
    srand(12);
    for (int round = 0; round < 20; round++) {
        server s;
        char err[256], text[64];
        server_start(&s, "ws://127.0.0.1:0/mqtt", round % 2 ? MQS_WS_QUIRK_FRAME_ALIGNED : 0);
        snprintf(text, sizeof text, "mqtt://127.0.0.1:%d", mqs_listener_port(s.l));
        mqs_url u = url_of(text);
        mqs_transport *c = mqs_transport_connect(&u, NULL, mqs_now_ms() + WAIT_MS, err, sizeof err);
        assert_non_null(c);
        static const char req[] = "GET /mqtt HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                                  "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
        uint8_t junk[600];
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (uint8_t)rand();
        junk[0] = (uint8_t)(junk[0] & 0x8F); /* mostly no RSV bits: get past the first check now and then */
        junk[1] |= 0x80;                     /* masked, as a client's frames are */
        assert_int_equal(mqs_transport_write_all(c, req, strlen(req), mqs_now_ms() + WAIT_MS), 0);
        assert_int_equal(mqs_transport_write_all(c, junk, sizeof junk, mqs_now_ms() + WAIT_MS), 0);
        server_join(&s);
        assert_non_null(s.t);
        uint8_t buf[1024];
        ssize_t r = read_n(s.t, buf, sizeof buf); /* whatever it is, it returns */
        assert_true(r >= MQS_IO_ERROR);
        mqs_transport_drop(c);
        server_stop(&s);
    }
}

/* Requests for a path the listener does not serve are refused with 404. */
static void test_refused(void **state)
{
    (void)state;
    static const struct {
        const char *listen, *connect_path, *want;
    } cases[] = {
        {"ws://127.0.0.1:0/mqtt", "/other", "404"},
        {"ws://127.0.0.1:0/", "/mqtt", "404"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        server s;
        char err[256] = "", text[128];
        server_start(&s, cases[i].listen, 0);
        snprintf(text, sizeof text, "ws://127.0.0.1:%d%s", mqs_listener_port(s.l), cases[i].connect_path);
        mqs_url u = url_of(text);
        assert_null(mqs_transport_connect(&u, NULL, mqs_now_ms() + WAIT_MS, err, sizeof err));
        server_join(&s);
        assert_null(s.t);
        if (!strstr(err, cases[i].want))
            fail_msg("%s: '%s' does not say %s", text, err, cases[i].want);
        mqs_listener_close(s.l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exchange_any_cut),
        cmocka_unit_test(test_text_frame_fails),
        cmocka_unit_test(test_quirks),
        cmocka_unit_test(test_raw_handshake_and_unmasked),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_random_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
