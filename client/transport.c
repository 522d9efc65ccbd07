/*
 * TCP half of the transport: clock, URL parsing, non-blocking connect,
 * listen/accept, and plain read/write.  TLS is layered on in tls.c, and
 * WebSocket (ws://, wss://) on either in ws.c.
 */
/* accept4, SOCK_NONBLOCK/SOCK_CLOEXEC and MSG_NOSIGNAL are not in POSIX. */
#define _GNU_SOURCE

#include "transport_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { LISTEN_BACKLOG = 128 };

int64_t mqs_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mqs_set_err(char *err, size_t cap, const char *fmt, ...)
{
    if (err == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

int mqs_poll_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - mqs_now_ms();
        if (left < 0)
            left = 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r > 0)
            return 1;
        if (r == 0 && left == 0)
            return 0;
        /* r == 0 before the deadline: poll rounds, so look at the clock again. */
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

/* ---- URL ---- */

static bool scheme_is(const char *s, size_t len, const char *name)
{
    return strlen(name) == len && strncasecmp(s, name, len) == 0;
}

static int parse_scheme(const char *url, size_t len, mqs_url *out, char *err, size_t cap)
{
    if (scheme_is(url, len, "mqtt") || scheme_is(url, len, "mqtts")) {
        out->tls = len == 5;
        return 0;
    }
    if (scheme_is(url, len, "ws") || scheme_is(url, len, "wss")) {
        out->ws = true;
        out->tls = len == 3;
        return 0;
    }
    mqs_set_err(err, cap, "unsupported scheme '%.*s://' (use mqtt://, mqtts://, ws:// or wss://)", (int)len, url);
    return -1;
}

/* A bracketed host must be an IPv6 address, optionally with a %zone. */
static int check_ipv6(const char *host, char *err, size_t cap)
{
    char addr[INET6_ADDRSTRLEN];
    size_t n = strcspn(host, "%");
    struct in6_addr a;
    if (n < sizeof addr) {
        memcpy(addr, host, n);
        addr[n] = '\0';
        if (inet_pton(AF_INET6, addr, &a) == 1 && (host[n] == '\0' || host[n + 1] != '\0'))
            return 0;
    }
    mqs_set_err(err, cap, "'[%s]' is not an IPv6 address", host);
    return -1;
}

static int check_name(const char *host, char *err, size_t cap)
{
    for (const char *c = host; *c; c++) {
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.' && *c != '_') {
            if (*c == ':')
                mqs_set_err(err, cap, "IPv6 addresses need brackets, e.g. mqtt://[::1]:1883");
            else
                mqs_set_err(err, cap, "invalid character '%c' in host '%s'", *c, host);
            return -1;
        }
    }
    return 0;
}

static int copy_host(const char *s, size_t len, bool bracketed, mqs_url *out, char *err, size_t cap)
{
    if (len == 0) {
        mqs_set_err(err, cap, "missing host");
        return -1;
    }
    if (len >= sizeof out->host) {
        mqs_set_err(err, cap, "host is longer than %zu characters", sizeof out->host - 1);
        return -1;
    }
    memcpy(out->host, s, len);
    out->host[len] = '\0';
    return bracketed ? check_ipv6(out->host, err, cap) : check_name(out->host, err, cap);
}

static int parse_port(const char *s, size_t len, mqs_url *out, char *err, size_t cap)
{
    unsigned long v = 0;
    if (len == 0) {
        mqs_set_err(err, cap, "missing port after ':'");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]) || (v = v * 10 + (unsigned long)(s[i] - '0')) > 65535) {
            mqs_set_err(err, cap, "invalid port '%.*s' (0-65535)", (int)len, s);
            return -1;
        }
    }
    snprintf(out->port, sizeof out->port, "%lu", v);
    return 0;
}

/* The rest after host and port: ws:// takes a path (default /mqtt); MQTT URLs nothing but an optional "/". */
static int parse_path(const char *end, mqs_url *out, char *err, size_t cap)
{
    if (!out->ws) {
        if (*end != '\0' && strcmp(end, "/") != 0) {
            mqs_set_err(err, cap, "unexpected '%s' after host and port (MQTT URLs have no path or query)", end);
            return -1;
        }
        return 0;
    }
    if (*end == '\0') {
        strcpy(out->path, "/mqtt");
        return 0;
    }
    if (*end != '/' || strchr(end, '#') != NULL || strlen(end) >= sizeof out->path) {
        mqs_set_err(err, cap, "invalid WebSocket path '%s' (expected /PATH, at most %zu characters, no #fragment)", end,
                    sizeof out->path - 1);
        return -1;
    }
    for (const char *c = end; *c; c++) {
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7F) {
            mqs_set_err(err, cap, "invalid character in WebSocket path '%s' (percent-encode it)", end);
            return -1;
        }
    }
    strcpy(out->path, end);
    return 0;
}

/* host[:port] or [v6][:port], then the path. */
static int parse_authority(const char *s, mqs_url *out, char *err, size_t cap)
{
    const char *end = s + strcspn(s, "/?#");
    const char *host = s, *p;
    size_t host_len;
    if (memchr(s, '@', (size_t)(end - s)) != NULL) {
        mqs_set_err(err, cap, "user names and passwords in the URL are not supported");
        return -1;
    }
    if (*s == '[') {
        const char *close = memchr(s, ']', (size_t)(end - s));
        if (close == NULL) {
            mqs_set_err(err, cap, "missing ']' after IPv6 address");
            return -1;
        }
        host = s + 1;
        host_len = (size_t)(close - host);
        p = close + 1;
    } else {
        const char *colon = memchr(s, ':', (size_t)(end - s));
        /* A second colon means an unbracketed IPv6 address: copy_host says so. */
        if (colon != NULL && memchr(colon + 1, ':', (size_t)(end - colon - 1)) != NULL)
            colon = NULL;
        host_len = (size_t)((colon ? colon : end) - s);
        p = colon ? colon : end;
    }
    if (copy_host(host, host_len, *s == '[', out, err, cap) != 0)
        return -1;
    if (p < end && *p != ':') {
        mqs_set_err(err, cap, "unexpected '%c' after the host", *p);
        return -1;
    }
    if (p < end && parse_port(p + 1, (size_t)(end - p - 1), out, err, cap) != 0)
        return -1;
    return parse_path(end, out, err, cap);
}

int mqs_url_parse(const char *url, mqs_url *out, char *err, size_t err_cap)
{
    if (out == NULL || url == NULL) {
        mqs_set_err(err, err_cap, "no URL");
        return -1;
    }
    memset(out, 0, sizeof *out);
    const char *sep = strstr(url, "://");
    if (sep == NULL) {
        mqs_set_err(err, err_cap, "'%s' is not a URL: expected mqtt[s]://HOST[:PORT] or ws[s]://HOST[:PORT][/PATH]",
                    url);
        return -1;
    }
    if (parse_scheme(url, (size_t)(sep - url), out, err, err_cap) != 0)
        return -1;
    strcpy(out->port, out->ws ? (out->tls ? "443" : "80") : (out->tls ? "8883" : "1883"));
    if (out->ws)
        strcpy(out->ws_protocol, "mqtt");
    if (parse_authority(sep + 3, out, err, err_cap) != 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

/* ---- TCP ---- */

static void addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t cap)
{
    char host[NI_MAXHOST], port[NI_MAXSERV];
    if (getnameinfo(sa, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        snprintf(buf, cap, "(unknown address)");
    else if (sa->sa_family == AF_INET6)
        snprintf(buf, cap, "[%s]:%s", host, port);
    else
        snprintf(buf, cap, "%s:%s", host, port);
}

static void set_nodelay(int fd)
{
    int one = 1;
    /* MQTT packets are small and latency-sensitive; failure only costs latency. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Of a socket whose non-blocking connect has ended (writable): 0 connected, else the errno it failed with. */
static int connect_outcome(int fd)
{
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
        return errno;
    return soerr;
}

/* 0 once the non-blocking connect has completed, else the errno it failed with. */
static int wait_connected(int fd, int64_t deadline_ms)
{
    int r = mqs_poll_fd(fd, POLLOUT, deadline_ms);
    if (r == 0)
        return ETIMEDOUT;
    return r < 0 ? errno : connect_outcome(fd);
}

/* A socket connecting to ai: connected before deadline_ms, or (wait false) only started.  -1 with err. */
static int try_connect(const struct addrinfo *ai, bool wait, int64_t deadline_ms, char *err, size_t cap)
{
    char where[NI_MAXHOST + NI_MAXSERV + 4];
    addr_text(ai->ai_addr, ai->ai_addrlen, where, sizeof where);
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        mqs_set_err(err, cap, "connect %s: socket: %s", where, strerror(errno));
        return -1;
    }
    int e = 0;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        e = errno != EINPROGRESS && errno != EINTR ? errno : wait ? wait_connected(fd, deadline_ms) : 0;
    if (e != 0) {
        mqs_set_err(err, cap, "connect %s: %s", where, e == ETIMEDOUT ? "timed out" : strerror(e));
        close(fd);
        return -1;
    }
    set_nodelay(fd);
    return fd;
}

/* Try each resolved address in turn.  Each gets an equal share of the time
 * left, so one black-holed address cannot eat the budget of the others.
 * (getaddrinfo itself has no deadline; for the loopback and literal
 * addresses used in practice it does not wait.) */
static struct addrinfo *resolve(const char *host, const char *port, char *err, size_t cap)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *list = NULL;
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        mqs_set_err(err, cap, "resolve %s: %s", host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return NULL;
    }
    return list;
}

static int tcp_connect(const char *host, const char *port, int64_t deadline_ms, char *err, size_t cap)
{
    struct addrinfo *list = resolve(host, port, err, cap);
    if (list == NULL)
        return -1;
    int left = 0, fd = -1;
    for (const struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next)
        left++;
    for (const struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next, left--) {
        int64_t now = mqs_now_ms();
        if (now >= deadline_ms) {
            mqs_set_err(err, cap, "connect %s port %s: timed out", host, port);
            break;
        }
        fd = try_connect(ai, true, now + (deadline_ms - now) / left, err, cap);
    }
    freeaddrinfo(list);
    return fd;
}

static mqs_transport *transport_new(int fd, SSL *ssl, char *err, size_t cap)
{
    mqs_transport *t = calloc(1, sizeof *t);
    if (t == NULL) {
        mqs_set_err(err, cap, "out of memory");
        SSL_free(ssl);
        close(fd);
        return NULL;
    }
    t->fd = fd;
    t->ssl = ssl;
    return t;
}

/* The TLS context is built first so a bad CA or key file is reported
 * without touching the network. */
mqs_transport *mqs_transport_connect(const mqs_url *url, const mqs_tls_opts *tls, int64_t deadline_ms, char *err,
                                     size_t err_cap)
{
    if (url == NULL) {
        mqs_set_err(err, err_cap, "no URL");
        return NULL;
    }
    SSL_CTX *ctx = NULL;
    if (url->tls && (ctx = mqs_tls_client_ctx(tls, err, err_cap)) == NULL)
        return NULL;
    int fd = tcp_connect(url->host, url->port, deadline_ms, err, err_cap);
    SSL *ssl = NULL;
    if (fd >= 0 && ctx != NULL && (ssl = mqs_tls_connect(ctx, fd, url->host, tls, deadline_ms, err, err_cap)) == NULL) {
        close(fd);
        fd = -1;
    }
    SSL_CTX_free(ctx); /* the SSL holds its own reference */
    mqs_transport *t = fd < 0 ? NULL : transport_new(fd, ssl, err, err_cap);
    if (t && url->ws && mqs_ws_client_handshake(t, url, deadline_ms, err, err_cap) != 0) {
        mqs_transport_drop(t);
        return NULL;
    }
    return t;
}

/* Only the first address: a caller that opens many connections resolves once, to the address
 * that answered a blocking connect, and gives it here as a numeric host. */
mqs_transport *mqs_transport_connect_start(const mqs_url *url, char *err, size_t err_cap)
{
    if (url == NULL || url->tls || url->ws) {
        mqs_set_err(err, err_cap, "a connect without waiting is for mqtt:// only");
        return NULL;
    }
    struct addrinfo *ai = resolve(url->host, url->port, err, err_cap);
    if (ai == NULL)
        return NULL;
    int fd = try_connect(ai, false, 0, err, err_cap);
    freeaddrinfo(ai);
    return fd < 0 ? NULL : transport_new(fd, NULL, err, err_cap);
}

int mqs_transport_connect_result(mqs_transport *t)
{
    struct pollfd p = {.fd = t->fd, .events = POLLOUT};
    int r = poll(&p, 1, 0);
    if (r == 0 || (r < 0 && errno == EINTR))
        return MQS_IO_AGAIN;
    int soerr = r < 0 ? errno : connect_outcome(t->fd);
    if (soerr != 0) {
        mqs_set_err(t->err, sizeof t->err, "connect: %s", strerror(soerr));
        return MQS_IO_ERROR;
    }
    return 0;
}

static ssize_t plain_read(mqs_transport *t, void *buf, size_t len)
{
    for (;;) {
        ssize_t n = recv(t->fd, buf, len, 0);
        if (n >= 0)
            return n;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return MQS_IO_AGAIN;
        if (errno != EINTR) {
            mqs_set_err(t->err, sizeof t->err, "read: %s", strerror(errno));
            return MQS_IO_ERROR;
        }
    }
}

ssize_t mqs_raw_read(mqs_transport *t, void *buf, size_t len)
{
    /* recv of 0 bytes returns 0, which would read as "peer closed". */
    if (len == 0)
        return MQS_IO_AGAIN;
    if (t->mem)
        return mqs_mem_read(t, buf, len);
    return t->ssl ? mqs_tls_read(t, buf, len) : plain_read(t, buf, len);
}

ssize_t mqs_transport_read(mqs_transport *t, void *buf, size_t len)
{
    if (len == 0)
        return MQS_IO_AGAIN;
    return t->ws ? mqs_ws_read(t, buf, len) : mqs_raw_read(t, buf, len);
}

static int plain_write_all(mqs_transport *t, const unsigned char *p, size_t len, int64_t deadline_ms)
{
    while (len > 0) {
        /* MSG_NOSIGNAL: a peer that has gone away gives EPIPE, not a fatal SIGPIPE. */
        ssize_t n = send(t->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            mqs_set_err(t->err, sizeof t->err, "write: %s", strerror(errno));
            return MQS_IO_ERROR;
        }
        int r = mqs_poll_fd(t->fd, POLLOUT, deadline_ms);
        if (r <= 0) {
            mqs_set_err(t->err, sizeof t->err, "write: %s", r == 0 ? "timed out" : strerror(errno));
            return MQS_IO_ERROR;
        }
    }
    return 0;
}

int mqs_raw_write_all(mqs_transport *t, const void *buf, size_t len, int64_t deadline_ms)
{
    if (t->mem)
        return mqs_mem_write_all(t, buf, len);
    return t->ssl ? mqs_tls_write_all(t, buf, len, deadline_ms) : plain_write_all(t, buf, len, deadline_ms);
}

int mqs_transport_write_all(mqs_transport *t, const void *buf, size_t len, int64_t deadline_ms)
{
    return t->ws ? mqs_ws_write(t, buf, len, NULL, deadline_ms) : mqs_raw_write_all(t, buf, len, deadline_ms);
}

size_t mqs_raw_pending(mqs_transport *t)
{
    if (t->mem)
        return mqs_mem_pending(t);
    return t->ssl ? mqs_tls_pending(t) : 0;
}

size_t mqs_transport_pending(mqs_transport *t)
{
    return t->ws ? mqs_ws_pending(t) : mqs_raw_pending(t);
}

bool mqs_transport_is_ws(const mqs_transport *t)
{
    return t && t->ws;
}

int mqs_transport_ws_send(mqs_transport *t, const void *buf, size_t len, const mqs_ws_send *how, int64_t deadline_ms)
{
    if (t->ws)
        return mqs_ws_write(t, buf, len, how, deadline_ms);
    if (how && how->opcode && how->opcode != MQS_WS_BINARY) {
        mqs_set_err(t->err, sizeof t->err, "not a WebSocket connection: no frame opcode to choose");
        return MQS_IO_ERROR;
    }
    return mqs_raw_write_all(t, buf, len, deadline_ms);
}

const char *mqs_transport_ws_protocol(const mqs_transport *t)
{
    return t && t->ws ? mqs_ws_protocol(t) : NULL;
}

int mqs_transport_fd(const mqs_transport *t)
{
    return t ? t->fd : -1;
}

const char *mqs_transport_error(const mqs_transport *t)
{
    return t ? t->err : "";
}

void mqs_transport_drop(mqs_transport *t)
{
    if (t == NULL)
        return;
    if (t->mem) {
        mqs_mem_release(t);
        return;
    }
    /* SSL_free writes nothing; close() sends the FIN (or RST if unread data remains). */
    mqs_ws_free(t->ws);
    SSL_free(t->ssl);
    close(t->fd);
    free(t);
}

void mqs_transport_finish(mqs_transport *t)
{
    if (t == NULL || t->mem || t->fd < 0)
        return;
    if (t->ssl)
        mqs_tls_shutdown(t);
    shutdown(t->fd, SHUT_WR); /* our FIN: a peer that waits for it (a WebSocket server after its close) finishes */
}

void mqs_transport_close(mqs_transport *t)
{
    if (t == NULL)
        return;
    if (t->ws)
        mqs_ws_close(t);
    if (t->ssl)
        mqs_tls_shutdown(t);
    mqs_transport_drop(t);
}

/* ---- server side ---- */

static int bind_listen(const struct addrinfo *ai, char *err, size_t cap)
{
    char where[NI_MAXHOST + NI_MAXSERV + 4];
    addr_text(ai->ai_addr, ai->ai_addrlen, where, sizeof where);
    int one = 1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        mqs_set_err(err, cap, "listen %s: %s", where, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((const struct sockaddr_in *)&ss)->sin_port);
}

static int tcp_listen(const char *host, const char *port, char *err, size_t cap)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *list = NULL;
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        mqs_set_err(err, cap, "resolve %s: %s", host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (const struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next)
        fd = bind_listen(ai, err, cap);
    freeaddrinfo(list);
    return fd;
}

mqs_listener *mqs_listen(const mqs_url *url, const mqs_tls_opts *tls, char *err, size_t err_cap)
{
    if (url == NULL) {
        mqs_set_err(err, err_cap, "no URL");
        return NULL;
    }
    SSL_CTX *ctx = NULL;
    if (url->tls && (ctx = mqs_tls_server_ctx(tls, err, err_cap)) == NULL)
        return NULL;
    mqs_listener *l = calloc(1, sizeof *l);
    int fd = l ? tcp_listen(url->host, url->port, err, err_cap) : -1;
    if (fd < 0) {
        if (l == NULL)
            mqs_set_err(err, err_cap, "out of memory");
        free(l);
        SSL_CTX_free(ctx);
        return NULL;
    }
    l->fd = fd;
    l->port = local_port(fd);
    l->ctx = ctx;
    l->ws = url->ws;
    snprintf(l->path, sizeof l->path, "%s", url->path);
    snprintf(l->ws_protocol, sizeof l->ws_protocol, "%s", url->ws_protocol[0] ? url->ws_protocol : "mqtt");
    return l;
}

int mqs_listener_fd(const mqs_listener *l)
{
    return l ? l->fd : -1;
}

int mqs_listener_port(const mqs_listener *l)
{
    return l ? l->port : -1;
}

/* Nothing pending (or a connection that vanished while queued) is not an
 * error: NULL with an empty err, so the caller just polls again. */
mqs_transport *mqs_accept(mqs_listener *l, int64_t deadline_ms, char *err, size_t err_cap)
{
    mqs_set_err(err, err_cap, "%s", "");
    int fd;
    do
        fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
            mqs_set_err(err, err_cap, "accept: %s", strerror(errno));
        return NULL;
    }
    set_nodelay(fd);
    SSL *ssl = NULL;
    if (l->ctx && (ssl = mqs_tls_accept(l->ctx, fd, deadline_ms, err, err_cap)) == NULL) {
        close(fd);
        return NULL;
    }
    mqs_transport *t = transport_new(fd, ssl, err, err_cap);
    if (t && l->ws && mqs_ws_server_handshake(t, l, deadline_ms, err, err_cap) != 0) {
        mqs_transport_drop(t);
        return NULL;
    }
    return t;
}

void mqs_listener_set_ws_quirks(mqs_listener *l, unsigned quirks)
{
    if (l)
        l->ws_quirks = quirks;
}

void mqs_listener_close(mqs_listener *l)
{
    if (l == NULL)
        return;
    close(l->fd);
    SSL_CTX_free(l->ctx);
    free(l);
}
