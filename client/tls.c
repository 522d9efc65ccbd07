/*
 * TLS half of the transport (OpenSSL 3): contexts, the non-blocking
 * handshake, and read/write over an SSL bound to the transport's socket.
 *
 * SIGPIPE: OpenSSL's socket BIO writes with write(2), which raises SIGPIPE
 * when the peer has gone.  Before the first TLS context is made we set
 * SIGPIPE to SIG_IGN if (and only if) it still has the default action, so a
 * vanished peer becomes EPIPE and an MQS_IO_ERROR instead of killing the
 * process; a handler the program installed itself is left alone.
 *
 * EOF: the peer closing TCP without close_notify (what an MQTT client that
 * vanishes, or a broker that drops it, does) counts as an orderly close,
 * like close_notify itself: read returns 0.  MQTT frames its own packets,
 * so truncation cannot go unnoticed above us.
 */
#include "transport_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

static void ignore_default_sigpipe(void)
{
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO)) {
        struct sigaction ign;
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        sigemptyset(&ign.sa_mask);
        sigaction(SIGPIPE, &ign, NULL);
    }
}

/* The oldest queued OpenSSL error is the most specific ("No such file or
 * directory" rather than "system lib"). */
static const char *openssl_reason(void)
{
    unsigned long e = ERR_peek_error();
    if (e != 0 && ERR_SYSTEM_ERROR(e)) /* an errno packed by OpenSSL 3: no reason string of its own */
        return strerror(ERR_GET_REASON(e));
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown OpenSSL error";
}

/* err = "<what>: <why>" for a failed SSL call that returned SSL_get_error() == code. */
static void describe_failure(SSL *ssl, int code, const char *what, char *err, size_t cap)
{
    unsigned long e = ERR_peek_error();
    if (code == SSL_ERROR_SSL && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED)
        mqs_set_err(err, cap, "%s: %s (%s)", what, openssl_reason(),
                    X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
    else if (code == SSL_ERROR_SSL)
        mqs_set_err(err, cap, "%s: %s", what, openssl_reason());
    else if (code == SSL_ERROR_SYSCALL && errno != 0)
        mqs_set_err(err, cap, "%s: %s", what, strerror(errno));
    else if (code == SSL_ERROR_SYSCALL || code == SSL_ERROR_ZERO_RETURN)
        mqs_set_err(err, cap, "%s: connection closed by peer", what);
    else
        mqs_set_err(err, cap, "%s: SSL error %d", what, code);
    ERR_clear_error();
}

static short want_events(int code)
{
    if (code == SSL_ERROR_WANT_READ)
        return POLLIN;
    if (code == SSL_ERROR_WANT_WRITE)
        return POLLOUT;
    return 0;
}

static int handshake(SSL *ssl, int fd, int64_t deadline_ms, char *err, size_t cap)
{
    for (;;) {
        /* SSL_get_error is only right if the thread's error queue was empty before the call. */
        ERR_clear_error();
        errno = 0;
        int r = SSL_do_handshake(ssl);
        if (r == 1)
            return 0;
        int code = SSL_get_error(ssl, r);
        short ev = want_events(code);
        if (ev == 0) {
            describe_failure(ssl, code, "TLS handshake", err, cap);
            return -1;
        }
        int p = mqs_poll_fd(fd, ev, deadline_ms);
        if (p <= 0) {
            mqs_set_err(err, cap, "TLS handshake: %s", p == 0 ? "timed out" : strerror(errno));
            return -1;
        }
    }
}

static SSL_CTX *ctx_new(const SSL_METHOD *method, char *err, size_t cap)
{
    ignore_default_sigpipe();
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (ctx == NULL) {
        mqs_set_err(err, cap, "TLS: %s", openssl_reason());
        ERR_clear_error();
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* write_all retries from wherever the last partial write stopped. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ctx;
}

/* Our own certificate and key; the key may live in the certificate's file. */
static int load_identity(SSL_CTX *ctx, const mqs_tls_opts *o, char *err, size_t cap)
{
    const char *key = o->keyfile ? o->keyfile : o->certfile;
    if (o->certfile == NULL) {
        if (o->keyfile == NULL)
            return 0;
        mqs_set_err(err, cap, "TLS key %s given without a certificate", o->keyfile);
        return -1;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, o->certfile) != 1)
        mqs_set_err(err, cap, "TLS certificate %s: %s", o->certfile, openssl_reason());
    else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        mqs_set_err(err, cap, "TLS key %s: %s", key, openssl_reason());
    else if (SSL_CTX_check_private_key(ctx) != 1)
        mqs_set_err(err, cap, "TLS key %s does not match certificate %s", key, o->certfile);
    else
        return 0;
    ERR_clear_error();
    return -1;
}

/* The system trust store takes tens of milliseconds to parse, so it is
 * loaded once per process and shared (X509_STORE lookups are thread-safe)
 * by every context that wants it. */
static pthread_once_t system_store_once = PTHREAD_ONCE_INIT;
static X509_STORE *system_store;
static unsigned long system_store_error;

static void load_system_store(void)
{
    X509_STORE *st = X509_STORE_new();
    if (st == NULL || X509_STORE_set_default_paths(st) != 1) {
        system_store_error = ERR_peek_error();
        X509_STORE_free(st);
        ERR_clear_error();
        return;
    }
    system_store = st;
}

static int use_system_store(SSL_CTX *ctx, char *err, size_t cap)
{
    pthread_once(&system_store_once, load_system_store);
    if (system_store != NULL) {
        SSL_CTX_set1_cert_store(ctx, system_store);
        return 0;
    }
    mqs_set_err(err, cap, "TLS: cannot load the system trust store: %s",
                system_store_error ? ERR_reason_error_string(system_store_error) : "unknown OpenSSL error");
    return -1;
}

/* cafile may name a PEM bundle or a hashed directory (c_rehash); NULL: the system store. */
static int load_trust(SSL_CTX *ctx, const char *cafile, char *err, size_t cap)
{
    struct stat st;
    int ok;
    if (cafile == NULL)
        return use_system_store(ctx, err, cap);
    if (stat(cafile, &st) != 0) {
        mqs_set_err(err, cap, "TLS CA %s: %s", cafile, strerror(errno));
        return -1;
    }
    ok = S_ISDIR(st.st_mode) ? SSL_CTX_load_verify_dir(ctx, cafile) : SSL_CTX_load_verify_file(ctx, cafile);
    if (ok == 1)
        return 0;
    mqs_set_err(err, cap, "TLS CA %s: %s", cafile, openssl_reason());
    ERR_clear_error();
    return -1;
}

static const mqs_tls_opts no_opts;

SSL_CTX *mqs_tls_client_ctx(const mqs_tls_opts *opts, char *err, size_t cap)
{
    const mqs_tls_opts *o = opts ? opts : &no_opts;
    SSL_CTX *ctx = ctx_new(TLS_client_method(), err, cap);
    if (ctx == NULL)
        return NULL;
    SSL_CTX_set_verify(ctx, o->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    if ((!o->insecure && load_trust(ctx, o->cafile, err, cap) != 0) || load_identity(ctx, o, err, cap) != 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static bool is_ip_literal(const char *name)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

/* SNI only for names (RFC 6066 forbids IP literals); the certificate must
 * match the name, or carry the IP address in its subjectAltName. */
static int set_peer_name(SSL *ssl, const char *name, bool verify, char *err, size_t cap)
{
    bool ip = is_ip_literal(name);
    int ok = 1;
    if (!ip)
        ok = SSL_set_tlsext_host_name(ssl, name);
    if (ok == 1 && verify)
        ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) : SSL_set1_host(ssl, name);
    if (ok == 1)
        return 0;
    mqs_set_err(err, cap, "TLS: cannot use '%s' as the server name: %s", name, openssl_reason());
    ERR_clear_error();
    return -1;
}

SSL *mqs_tls_connect(SSL_CTX *ctx, int fd, const char *name, const mqs_tls_opts *opts, int64_t deadline_ms,
                     char *err, size_t cap)
{
    const mqs_tls_opts *o = opts ? opts : &no_opts;
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        mqs_set_err(err, cap, "TLS: %s", openssl_reason());
        ERR_clear_error();
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_connect_state(ssl);
    if (set_peer_name(ssl, o->sni ? o->sni : name, !o->insecure, err, cap) != 0 ||
        handshake(ssl, fd, deadline_ms, err, cap) != 0) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

SSL_CTX *mqs_tls_server_ctx(const mqs_tls_opts *opts, char *err, size_t cap)
{
    static const unsigned char sid_ctx[] = "mqttspec";
    if (opts == NULL || opts->certfile == NULL) {
        mqs_set_err(err, cap, "an mqtts:// listener needs a certificate and key");
        return NULL;
    }
    SSL_CTX *ctx = ctx_new(TLS_server_method(), err, cap);
    if (ctx == NULL)
        return NULL;
    if (load_identity(ctx, opts, err, cap) != 0 || (opts->cafile && load_trust(ctx, opts->cafile, err, cap) != 0)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (opts->cafile) {
        /* A CA on the server side means: require client certificates it signed. */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        /* Without a session id context, resumption with client auth fails outright. */
        SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    }
    return ctx;
}

SSL *mqs_tls_accept(SSL_CTX *ctx, int fd, int64_t deadline_ms, char *err, size_t cap)
{
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        mqs_set_err(err, cap, "TLS: %s", openssl_reason());
        ERR_clear_error();
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_accept_state(ssl);
    if (handshake(ssl, fd, deadline_ms, err, cap) != 0) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

/* Fatal: record why, and remember that OpenSSL allows no more I/O on ssl. */
static int fail(mqs_transport *t, int code, const char *what)
{
    describe_failure(t->ssl, code, what, t->err, sizeof t->err);
    t->tls_dead = true;
    return MQS_IO_ERROR;
}

ssize_t mqs_tls_read(mqs_transport *t, void *buf, size_t len)
{
    size_t n = 0;
    ERR_clear_error();
    errno = 0;
    if (SSL_read_ex(t->ssl, buf, len, &n) == 1)
        return (ssize_t)n;
    int code = SSL_get_error(t->ssl, 0);
    switch (code) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: /* e.g. a TLS 1.3 key update reply; the next read finishes it */
        return MQS_IO_AGAIN;
    case SSL_ERROR_ZERO_RETURN: /* close_notify, or EOF under SSL_OP_IGNORE_UNEXPECTED_EOF */
        return 0;
    case SSL_ERROR_SYSCALL:
        if (errno == 0) { /* EOF without close_notify (older reporting) */
            t->tls_dead = true;
            return 0;
        }
        return fail(t, code, "read");
    case SSL_ERROR_SSL:
        if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
            ERR_clear_error();
            t->tls_dead = true;
            return 0;
        }
        return fail(t, code, "read");
    default:
        return fail(t, code, "read");
    }
}

int mqs_tls_write_all(mqs_transport *t, const void *buf, size_t len, int64_t deadline_ms)
{
    const unsigned char *p = buf;
    if (t->tls_dead) {
        mqs_set_err(t->err, sizeof t->err, "write: the TLS connection has failed");
        return MQS_IO_ERROR;
    }
    while (len > 0) {
        size_t n = 0;
        ERR_clear_error();
        errno = 0;
        if (SSL_write_ex(t->ssl, p, len, &n) == 1) {
            p += n;
            len -= n;
            continue;
        }
        int code = SSL_get_error(t->ssl, 0);
        short ev = want_events(code);
        if (ev == 0)
            return fail(t, code, "write");
        int r = mqs_poll_fd(t->fd, ev, deadline_ms);
        if (r <= 0) {
            mqs_set_err(t->err, sizeof t->err, "write: %s", r == 0 ? "timed out" : strerror(errno));
            return MQS_IO_ERROR;
        }
    }
    return 0;
}

/* SSL_pending counts decrypted bytes of the current record.  A further
 * record already read from the socket but not yet decrypted is just as
 * invisible to poll, so report at least 1 then: the caller reads again. */
size_t mqs_tls_pending(mqs_transport *t)
{
    int n = SSL_pending(t->ssl);
    if (n > 0)
        return (size_t)n;
    return SSL_has_pending(t->ssl) ? 1 : 0;
}

void mqs_tls_shutdown(mqs_transport *t)
{
    if (t->tls_dead)
        return;
    ERR_clear_error();
    /* One call queues and tries to send close_notify; we do not wait for the peer's. */
    (void)SSL_shutdown(t->ssl);
    ERR_clear_error();
}
