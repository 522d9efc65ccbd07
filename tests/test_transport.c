/*
 * The TCP/TLS transport over loopback only: URL parsing, a byte exchange
 * both ways, orderly close and drop as the peer sees them, refused connects,
 * deadlines (write and TLS handshake), and TLS verification outcomes.  The
 * PKI (a CA, a server certificate for localhost/127.0.0.1/::1, a client
 * certificate) is made at test time in a temporary directory and removed
 * afterwards; no key is ever committed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "mqttspec/transport.h"

enum { ERR_CAP = 256, WAIT_MS = 3000, SHORT_DEADLINE_MS = 300, DEADLINE_SLACK_MS = 700 };

static const char GREETING[] = "hello from the server";

/* ---- helpers ---- */

static mqs_url url_of(const char *text)
{
    char err[ERR_CAP] = "";
    mqs_url u;
    if (mqs_url_parse(text, &u, err, sizeof err) != 0)
        fail_msg("%s: %s", text, err);
    return u;
}

/* base ("mqtt://127.0.0.1", "mqtts://[::1]") with a port. */
static mqs_url url_port(const char *base, int port)
{
    char text[128];
    snprintf(text, sizeof text, "%s:%d", base, port);
    return url_of(text);
}

static mqs_listener *listen_on(const char *url, const mqs_tls_opts *tls)
{
    char err[ERR_CAP] = "";
    mqs_url u = url_of(url);
    mqs_listener *l = mqs_listen(&u, tls, err, sizeof err);
    if (l == NULL)
        fail_msg("listen %s: %s", url, err);
    assert_true(mqs_listener_port(l) > 0);
    return l;
}

/* Poll the listener and accept one connection before the deadline; NULL and
 * err on failure.  Safe in a thread: it asserts nothing. */
static mqs_transport *accept_until(mqs_listener *l, int64_t deadline, char *err, size_t cap)
{
    err[0] = '\0';
    while (mqs_now_ms() < deadline) {
        struct pollfd p = {.fd = mqs_listener_fd(l), .events = POLLIN};
        if (poll(&p, 1, (int)(deadline - mqs_now_ms())) <= 0)
            continue;
        mqs_transport *t = mqs_accept(l, deadline, err, cap);
        if (t != NULL || err[0] != '\0')
            return t;
    }
    snprintf(err, cap, "nothing to accept");
    return NULL;
}

/* Read until something other than MQS_IO_AGAIN, or the deadline (then MQS_IO_AGAIN). */
static ssize_t read_some(mqs_transport *t, void *buf, size_t len, int64_t deadline)
{
    for (;;) {
        if (mqs_transport_pending(t) == 0) {
            struct pollfd p = {.fd = mqs_transport_fd(t), .events = POLLIN};
            int64_t left = deadline - mqs_now_ms();
            if (left <= 0 || poll(&p, 1, (int)left) == 0)
                return MQS_IO_AGAIN;
        }
        ssize_t n = mqs_transport_read(t, buf, len);
        if (n != MQS_IO_AGAIN)
            return n;
    }
}

static void read_exact(mqs_transport *t, const char *want)
{
    char buf[64];
    size_t len = strlen(want), got = 0;
    assert_true(len <= sizeof buf);
    int64_t deadline = mqs_now_ms() + WAIT_MS;
    while (got < len) {
        ssize_t n = read_some(t, buf + got, len - got, deadline);
        if (n <= 0)
            fail_msg("read returned %zd after %zu bytes: %s", n, got, mqs_transport_error(t));
        got += (size_t)n;
    }
    assert_memory_equal(buf, want, len);
}

static void send_text(mqs_transport *t, const char *text)
{
    if (mqs_transport_write_all(t, text, strlen(text), mqs_now_ms() + WAIT_MS) != 0)
        fail_msg("write: %s", mqs_transport_error(t));
}

/* A connected client/server pair over the plain listener l. */
static void plain_pair(mqs_listener *l, const char *base, mqs_transport **client, mqs_transport **server)
{
    char err[ERR_CAP] = "";
    mqs_url u = url_port(base, mqs_listener_port(l));
    *client = mqs_transport_connect(&u, NULL, mqs_now_ms() + WAIT_MS, err, sizeof err);
    if (*client == NULL)
        fail_msg("connect: %s", err);
    *server = accept_until(l, mqs_now_ms() + WAIT_MS, err, sizeof err);
    if (*server == NULL)
        fail_msg("accept: %s", err);
}

/* ---- URL parsing ---- */

static void test_url_valid(void **state)
{
    (void)state;
    static const struct {
        const char *in, *host, *port;
        bool tls;
    } cases[] = {
        {"mqtt://localhost", "localhost", "1883", false},
        {"mqtts://broker.example.com", "broker.example.com", "8883", true},
        {"mqtt://127.0.0.1:1884", "127.0.0.1", "1884", false},
        {"mqtts://[::1]:18883", "::1", "18883", true},
        {"mqtt://[::1]", "::1", "1883", false},
        {"MQTTS://Broker_1:0/", "Broker_1", "0", true},
        {"mqtt://[fe80::1%eth0]:1883", "fe80::1%eth0", "1883", false},
        {"mqtt://h:01883", "h", "1883", false},
        {"ws://localhost", "localhost", "80", false},
        {"wss://[::1]/mqtt", "::1", "443", true},
        {"ws://127.0.0.1:9001/", "127.0.0.1", "9001", false},
        {"WS://h:8080/a/b?x=1", "h", "8080", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[ERR_CAP] = "";
        mqs_url u;
        if (mqs_url_parse(cases[i].in, &u, err, sizeof err) != 0)
            fail_msg("%s: %s", cases[i].in, err);
        assert_string_equal(u.host, cases[i].host);
        assert_string_equal(u.port, cases[i].port);
        assert_int_equal(u.tls, cases[i].tls);
        assert_int_equal(u.ws, strncasecmp(cases[i].in, "ws", 2) == 0);
    }
    /* The WebSocket path: /mqtt unless the URL names one; the subprotocol offered is "mqtt". */
    static const struct {
        const char *in, *path;
    } paths[] = {{"ws://h", "/mqtt"}, {"ws://h:1/", "/"}, {"wss://h/a/b?x=1", "/a/b?x=1"}, {"mqtt://h/", ""}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        mqs_url u;
        assert_int_equal(mqs_url_parse(paths[i].in, &u, NULL, 0), 0);
        assert_string_equal(u.path, paths[i].path);
        assert_string_equal(u.ws_protocol, u.ws ? "mqtt" : "");
    }
}

static void test_url_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *in, *message;
    } cases[] = {
        {"ws://h/mqtt#x", "invalid WebSocket path"},
        {"wss://h/a b", "invalid character in WebSocket path"},
        {"ws://h:80x/mqtt", "invalid port"},
        {"http://localhost", "unsupported scheme 'http://'"},
        {"localhost:1883", "is not a URL"},
        {"mqtt://", "missing host"},
        {"mqtt://:1883", "missing host"},
        {"mqtt://h:", "missing port"},
        {"mqtt://h:65536", "invalid port"},
        {"mqtt://h:12a", "invalid port"},
        {"mqtt://h:-1", "invalid port"},
        {"mqtt://[::1", "missing ']'"},
        {"mqtt://[localhost]:1883", "is not an IPv6 address"},
        {"mqtt://::1:1883", "need brackets"},
        {"mqtt://user:pw@h", "user names and passwords"},
        {"mqtt://h/topic", "no path or query"},
        {"mqtt://h?x=1", "no path or query"},
        {"mqtt://h x", "invalid character ' '"},
        {"mqtt://[::1]x", "unexpected 'x'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[ERR_CAP] = "";
        mqs_url u;
        if (mqs_url_parse(cases[i].in, &u, err, sizeof err) == 0)
            fail_msg("%s: accepted", cases[i].in);
        if (strstr(err, cases[i].message) == NULL)
            fail_msg("%s: '%s' does not say '%s'", cases[i].in, err, cases[i].message);
    }
    char long_url[400] = "mqtt://";
    memset(long_url + 7, 'a', 300);
    mqs_url u;
    assert_int_equal(mqs_url_parse(long_url, &u, NULL, 0), -1); /* no room for a message is fine */
}

/* ---- plain TCP ---- */

static void exchange(const char *listen_url, const char *connect_base)
{
    mqs_listener *l = listen_on(listen_url, NULL);
    char err[ERR_CAP] = "x";
    char buf[8];
    /* Nothing pending: NULL with an empty message, not an error. */
    assert_null(mqs_accept(l, mqs_now_ms() + WAIT_MS, err, sizeof err));
    assert_string_equal(err, "");

    mqs_transport *c, *s;
    plain_pair(l, connect_base, &c, &s);
    assert_int_equal(mqs_transport_read(c, buf, sizeof buf), MQS_IO_AGAIN);
    send_text(c, "ping");
    read_exact(s, "ping");
    send_text(s, "pong");
    read_exact(c, "pong");
    assert_int_equal(mqs_transport_pending(c), 0);

    mqs_transport_close(s); /* orderly: the client reads end of stream */
    assert_int_equal(read_some(c, buf, sizeof buf, mqs_now_ms() + WAIT_MS), 0);
    mqs_transport_close(c);
    mqs_listener_close(l);
}

static void test_tcp_ipv4(void **state)
{
    (void)state;
    exchange("mqtt://127.0.0.1:0", "mqtt://127.0.0.1");
}

static void test_tcp_ipv6(void **state)
{
    (void)state;
    char err[ERR_CAP];
    mqs_url u = url_of("mqtt://[::1]:0");
    mqs_listener *probe = mqs_listen(&u, NULL, err, sizeof err);
    if (probe == NULL)
        skip(); /* no IPv6 loopback here */
    mqs_listener_close(probe);
    exchange("mqtt://[::1]:0", "mqtt://[::1]");
}

static void test_tcp_drop(void **state)
{
    (void)state;
    mqs_listener *l = listen_on("mqtt://127.0.0.1:0", NULL);
    mqs_transport *c, *s;
    char buf[8];
    plain_pair(l, "mqtt://127.0.0.1", &c, &s);
    mqs_transport_drop(c);
    ssize_t n = read_some(s, buf, sizeof buf, mqs_now_ms() + WAIT_MS);
    assert_true(n == 0 || n == MQS_IO_ERROR);
    mqs_transport_drop(s);
    mqs_listener_close(l);
}

static void test_tcp_refused(void **state)
{
    (void)state;
    mqs_listener *l = listen_on("mqtt://127.0.0.1:0", NULL);
    mqs_url u = url_port("mqtt://127.0.0.1", mqs_listener_port(l));
    mqs_listener_close(l); /* nobody listens there now */
    char err[ERR_CAP] = "";
    int64_t start = mqs_now_ms();
    assert_null(mqs_transport_connect(&u, NULL, start + 5000, err, sizeof err));
    assert_true(mqs_now_ms() - start < 1000);
    if (strstr(err, "refused") == NULL)
        fail_msg("unexpected message: %s", err);
}

/* Wait until a connect started without waiting has ended; its result. */
static int connect_outcome(mqs_transport *t)
{
    int64_t deadline = mqs_now_ms() + WAIT_MS;
    int rc;
    while ((rc = mqs_transport_connect_result(t)) == MQS_IO_AGAIN && mqs_now_ms() < deadline) {
        struct pollfd p = {.fd = mqs_transport_fd(t), .events = POLLOUT};
        poll(&p, 1, 100);
    }
    return rc;
}

/* A connect that does not wait: it completes and carries bytes; refused is reported by the result. */
static void test_tcp_connect_start(void **state)
{
    (void)state;
    mqs_listener *l = listen_on("mqtt://127.0.0.1:0", NULL);
    mqs_url u = url_port("mqtt://127.0.0.1", mqs_listener_port(l));
    char err[ERR_CAP] = "";
    mqs_transport *c = mqs_transport_connect_start(&u, err, sizeof err);
    assert_non_null(c);
    assert_int_equal(connect_outcome(c), 0);
    mqs_transport *s = accept_until(l, mqs_now_ms() + WAIT_MS, err, sizeof err);
    assert_non_null(s);
    send_text(c, GREETING);
    read_exact(s, GREETING);
    mqs_transport_drop(s);
    mqs_transport_drop(c);
    mqs_listener_close(l); /* nobody listens there now */
    c = mqs_transport_connect_start(&u, err, sizeof err);
    if (c) { /* on loopback a refusal may already come with connect(2) */
        assert_int_equal(connect_outcome(c), MQS_IO_ERROR);
        snprintf(err, sizeof err, "%s", mqs_transport_error(c));
        mqs_transport_drop(c);
    }
    if (strstr(err, "refused") == NULL)
        fail_msg("unexpected message: %s", err);
    mqs_url tls = url_of("mqtts://127.0.0.1:8883");
    assert_null(mqs_transport_connect_start(&tls, err, sizeof err));
    assert_non_null(strstr(err, "mqtt:// only"));
}

static void test_tcp_write_deadline(void **state)
{
    (void)state;
    enum { BIG = 64 << 20 }; /* far more than both socket buffers hold */
    mqs_listener *l = listen_on("mqtt://127.0.0.1:0", NULL);
    mqs_transport *c, *s;
    plain_pair(l, "mqtt://127.0.0.1", &c, &s);
    unsigned char *big = calloc(1, BIG);
    assert_non_null(big);
    int64_t start = mqs_now_ms();
    /* The server never reads, so the write must give up at the deadline. */
    assert_int_equal(mqs_transport_write_all(c, big, BIG, start + SHORT_DEADLINE_MS), MQS_IO_ERROR);
    int64_t took = mqs_now_ms() - start;
    assert_true(took >= SHORT_DEADLINE_MS && took < SHORT_DEADLINE_MS + DEADLINE_SLACK_MS);
    assert_non_null(strstr(mqs_transport_error(c), "timed out"));
    free(big);
    mqs_transport_drop(c);
    mqs_transport_drop(s);
    mqs_listener_close(l);
}

/* ---- a throwaway PKI ---- */

typedef struct pki {
    char dir[256];
    char ca[300], server_cert[300], server_key[300], client_cert[300], client_key[300];
} pki;

static pki g_pki;

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = ext != NULL && X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

typedef struct ext_spec {
    int nid;
    const char *value;
} ext_spec;

/* A certificate for key named cn, signed by issuer (NULL: self-signed). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, long serial,
                       const ext_spec *exts, size_t n_exts)
{
    X509 *x = X509_new();
    int ok = x != NULL && X509_set_version(x, X509_VERSION_3) && ASN1_INTEGER_set(X509_get_serialNumber(x), serial) &&
             X509_gmtime_adj(X509_getm_notBefore(x), -3600) && X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600) &&
             X509_set_pubkey(x, key) &&
             X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
                                        -1, 0) &&
             X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
    for (size_t i = 0; ok && i < n_exts; i++)
        ok = add_ext(x, issuer ? issuer : x, exts[i].nid, exts[i].value) == 0;
    if (!ok || X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int ok = cert ? PEM_write_X509(f, cert) : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    return (fclose(f) == 0 && ok == 1) ? 0 : -1;
}

static int make_leaf(const char *cn, const char *eku, const char *san, X509 *ca, EVP_PKEY *ca_key, long serial,
                     const char *cert_path, const char *key_path)
{
    const ext_spec exts[] = {
        {NID_basic_constraints, "critical,CA:FALSE"},
        {NID_key_usage, "critical,digitalSignature"},
        {NID_ext_key_usage, eku},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"},
        {NID_subject_alt_name, san},
    };
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *cert = key ? make_cert(key, cn, ca, ca_key, serial, exts, san ? 6 : 5) : NULL;
    int rc = cert && write_pem(cert_path, cert, NULL) == 0 && write_pem(key_path, NULL, key) == 0 ? 0 : -1;
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

static int make_pki(pki *p)
{
    static const ext_spec ca_exts[] = {
        {NID_basic_constraints, "critical,CA:TRUE"},
        {NID_key_usage, "critical,keyCertSign,cRLSign"},
        {NID_subject_key_identifier, "hash"},
    };
    EVP_PKEY *ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *ca = ca_key ? make_cert(ca_key, "mqttspec test CA", NULL, NULL, 1, ca_exts, 3) : NULL;
    int rc = ca && write_pem(p->ca, ca, NULL) == 0 &&
                     make_leaf("localhost", "serverAuth", "DNS:localhost,IP:127.0.0.1,IP:::1", ca, ca_key, 2,
                               p->server_cert, p->server_key) == 0 &&
                     make_leaf("mqttspec-client", "clientAuth", NULL, ca, ca_key, 3, p->client_cert,
                               p->client_key) == 0
                 ? 0
                 : -1;
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    return rc;
}

static void pki_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", g_pki.dir, name);
}

static int group_setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_pki.dir, sizeof g_pki.dir, "%s/mqttspec-transport-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(g_pki.dir) == NULL)
        return -1;
    pki_path(g_pki.ca, sizeof g_pki.ca, "ca.pem");
    pki_path(g_pki.server_cert, sizeof g_pki.server_cert, "server.pem");
    pki_path(g_pki.server_key, sizeof g_pki.server_key, "server.key");
    pki_path(g_pki.client_cert, sizeof g_pki.client_cert, "client.pem");
    pki_path(g_pki.client_key, sizeof g_pki.client_key, "client.key");
    return make_pki(&g_pki);
}

static int group_teardown(void **state)
{
    (void)state;
    const char *files[] = {g_pki.ca, g_pki.server_cert, g_pki.server_key, g_pki.client_cert, g_pki.client_key};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        unlink(files[i]);
    return rmdir(g_pki.dir);
}

/* ---- TLS: a server thread and a client, asserting only after both end ---- */

enum server_end { END_CLOSE, END_DROP };

typedef struct tls_case {
    /* inputs */
    const char *listen_url;
    mqs_tls_opts server;
    const char *connect_base; /* URL without the port */
    mqs_tls_opts client;
    enum server_end end;
    /* client side outcome */
    bool client_ok;
    char client_err[ERR_CAP];
    char got[sizeof GREETING];
    size_t pending; /* after reading the first 5 bytes of the greeting */
    ssize_t last;   /* the read after the greeting: 0 is end of stream */
    /* server side outcome */
    mqs_listener *l;
    bool server_ok;
    char server_err[ERR_CAP];
} tls_case;

static void *tls_server(void *arg)
{
    tls_case *c = arg;
    int64_t deadline = mqs_now_ms() + WAIT_MS;
    mqs_transport *t = accept_until(c->l, deadline, c->server_err, sizeof c->server_err);
    if (t == NULL)
        return NULL;
    c->server_ok = true;
    /* One write, one TLS record: the client reads it in two parts to see pending. */
    if (mqs_transport_write_all(t, GREETING, strlen(GREETING), deadline) != 0)
        snprintf(c->server_err, sizeof c->server_err, "%s", mqs_transport_error(t));
    if (c->end == END_CLOSE)
        mqs_transport_close(t);
    else
        mqs_transport_drop(t);
    return NULL;
}

static void tls_client(tls_case *c)
{
    mqs_url u = url_port(c->connect_base, mqs_listener_port(c->l));
    int64_t deadline = mqs_now_ms() + WAIT_MS;
    mqs_transport *t = mqs_transport_connect(&u, &c->client, deadline, c->client_err, sizeof c->client_err);
    if (t == NULL)
        return;
    c->client_ok = true;
    size_t got = 0, want = strlen(GREETING);
    ssize_t n = read_some(t, c->got, 5, deadline);
    c->pending = mqs_transport_pending(t);
    while (n > 0 && (got += (size_t)n) < want)
        n = read_some(t, c->got + got, want - got, deadline);
    char rest[16];
    c->last = n > 0 ? read_some(t, rest, sizeof rest, deadline) : n;
    snprintf(c->client_err, sizeof c->client_err, "%s", mqs_transport_error(t));
    mqs_transport_close(t);
}

static void run_tls_case(tls_case *c)
{
    char err[ERR_CAP] = "";
    mqs_url u = url_of(c->listen_url);
    c->l = mqs_listen(&u, &c->server, err, sizeof err);
    if (c->l == NULL)
        fail_msg("listen: %s", err);
    pthread_t server;
    assert_int_equal(pthread_create(&server, NULL, tls_server, c), 0);
    tls_client(c);
    pthread_join(server, NULL);
    mqs_listener_close(c->l);
}

static tls_case tls_base(void)
{
    tls_case c = {
        .listen_url = "mqtts://127.0.0.1:0",
        .server = {.certfile = g_pki.server_cert, .keyfile = g_pki.server_key},
        .connect_base = "mqtts://127.0.0.1",
        .client = {.cafile = g_pki.ca},
    };
    return c;
}

static void assert_tls_ok(const tls_case *c, ssize_t last)
{
    if (!c->client_ok || !c->server_ok)
        fail_msg("client: %s / server: %s", c->client_err, c->server_err);
    assert_string_equal(c->got, GREETING);
    assert_int_equal(c->pending, strlen(GREETING) - 5);
    assert_int_equal(c->last, last);
}

static void assert_client_failed(const tls_case *c, const char *message)
{
    assert_false(c->client_ok);
    if (strstr(c->client_err, message) == NULL)
        fail_msg("client: '%s' does not say '%s'", c->client_err, message);
    assert_false(c->server_ok); /* the client's alert ended the server's handshake */
}

static void test_tls_verified_sni(void **state)
{
    (void)state;
    tls_case c = tls_base();
    c.client.sni = "localhost";
    run_tls_case(&c);
    assert_tls_ok(&c, 0);
}

static void test_tls_verified_ip(void **state)
{
    (void)state;
    tls_case c = tls_base(); /* no SNI: the IP address is checked against subjectAltName */
    run_tls_case(&c);
    assert_tls_ok(&c, 0);
}

static void test_tls_verified_name(void **state)
{
    (void)state;
    tls_case c = tls_base();
    c.connect_base = "mqtts://localhost"; /* also tries ::1 first where localhost has it */
    run_tls_case(&c);
    assert_tls_ok(&c, 0);
}

static void test_tls_drop_is_end_of_stream(void **state)
{
    (void)state;
    tls_case c = tls_base();
    c.end = END_DROP; /* FIN without close_notify */
    run_tls_case(&c);
    assert_tls_ok(&c, 0);
}

static void test_tls_untrusted(void **state)
{
    (void)state;
    tls_case c = tls_base();
    c.client.cafile = NULL; /* the system store does not know our CA */
    run_tls_case(&c);
    assert_client_failed(&c, "TLS handshake: certificate verify failed (");
}

static void test_tls_insecure(void **state)
{
    (void)state;
    tls_case c = tls_base();
    c.client.cafile = NULL;
    c.client.insecure = true;
    run_tls_case(&c);
    assert_tls_ok(&c, 0);
}

static void test_tls_wrong_name(void **state)
{
    (void)state;
    tls_case c = tls_base();
    c.client.sni = "wrong.example";
    run_tls_case(&c);
    assert_client_failed(&c, "certificate verify failed (hostname mismatch)");

    tls_case ip = tls_base();
    ip.client.sni = "127.0.0.2";
    run_tls_case(&ip);
    assert_client_failed(&ip, "certificate verify failed (IP address mismatch)");
}

static void test_tls_client_certificate(void **state)
{
    (void)state;
    tls_case c = tls_base();
    c.server.cafile = g_pki.ca; /* the listener requires a client certificate */
    c.client.certfile = g_pki.client_cert;
    c.client.keyfile = g_pki.client_key;
    run_tls_case(&c);
    assert_tls_ok(&c, 0);

    tls_case none = tls_base();
    none.server.cafile = g_pki.ca;
    run_tls_case(&none);
    /* TLS 1.3: the client may finish its handshake before the server rejects it. */
    assert_false(none.server_ok);
    assert_non_null(strstr(none.server_err, "certificate"));
    assert_true(!none.client_ok || none.last <= 0);
    assert_string_equal(none.got, "");
}

static void test_tls_ipv6(void **state)
{
    (void)state;
    char err[ERR_CAP];
    mqs_url u = url_of("mqtt://[::1]:0");
    mqs_listener *probe = mqs_listen(&u, NULL, err, sizeof err);
    if (probe == NULL)
        skip();
    mqs_listener_close(probe);
    tls_case c = tls_base();
    c.listen_url = "mqtts://[::1]:0";
    c.connect_base = "mqtts://[::1]";
    run_tls_case(&c);
    assert_tls_ok(&c, 0);
}

static void test_tls_handshake_deadline(void **state)
{
    (void)state;
    /* A plain TCP listener that never accepts: the kernel completes the TCP
     * connect, nobody ever answers the ClientHello. */
    mqs_listener *l = listen_on("mqtt://127.0.0.1:0", NULL);
    mqs_url u = url_port("mqtts://127.0.0.1", mqs_listener_port(l));
    mqs_tls_opts o = {.insecure = true};
    char err[ERR_CAP] = "";
    int64_t start = mqs_now_ms();
    assert_null(mqs_transport_connect(&u, &o, start + SHORT_DEADLINE_MS, err, sizeof err));
    int64_t took = mqs_now_ms() - start;
    assert_true(took >= SHORT_DEADLINE_MS && took < SHORT_DEADLINE_MS + DEADLINE_SLACK_MS);
    assert_string_equal(err, "TLS handshake: timed out");
    mqs_listener_close(l);
}

static void test_tls_bad_files(void **state)
{
    (void)state;
    char err[ERR_CAP] = "";
    /* Reported before any connect: the port does not matter. */
    mqs_url u = url_port("mqtts://127.0.0.1", 1);
    mqs_tls_opts o = {.cafile = "/nonexistent/ca.pem"};
    assert_null(mqs_transport_connect(&u, &o, mqs_now_ms() + WAIT_MS, err, sizeof err));
    assert_non_null(strstr(err, "TLS CA /nonexistent/ca.pem: No such file or directory"));

    mqs_tls_opts mismatch = {.certfile = g_pki.server_cert, .keyfile = g_pki.client_key, .insecure = true};
    assert_null(mqs_transport_connect(&u, &mismatch, mqs_now_ms() + WAIT_MS, err, sizeof err));
    assert_non_null(strstr(err, "TLS key "));

    mqs_url lu = url_of("mqtts://127.0.0.1:0");
    assert_null(mqs_listen(&lu, NULL, err, sizeof err));
    assert_non_null(strstr(err, "needs a certificate"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_valid),
        cmocka_unit_test(test_url_invalid),
        cmocka_unit_test(test_tcp_ipv4),
        cmocka_unit_test(test_tcp_ipv6),
        cmocka_unit_test(test_tcp_drop),
        cmocka_unit_test(test_tcp_refused),
        cmocka_unit_test(test_tcp_connect_start),
        cmocka_unit_test(test_tcp_write_deadline),
        cmocka_unit_test(test_tls_verified_sni),
        cmocka_unit_test(test_tls_verified_ip),
        cmocka_unit_test(test_tls_verified_name),
        cmocka_unit_test(test_tls_drop_is_end_of_stream),
        cmocka_unit_test(test_tls_untrusted),
        cmocka_unit_test(test_tls_insecure),
        cmocka_unit_test(test_tls_wrong_name),
        cmocka_unit_test(test_tls_client_certificate),
        cmocka_unit_test(test_tls_ipv6),
        cmocka_unit_test(test_tls_handshake_deadline),
        cmocka_unit_test(test_tls_bad_files),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
