/*
 * Shared between the TCP half (transport.c) and the TLS half (tls.c) of the
 * transport; nothing outside client/transport*.c and tls.c includes this.
 */
#ifndef MQTTSPEC_TRANSPORT_INTERNAL_H
#define MQTTSPEC_TRANSPORT_INTERNAL_H

#include "mqttspec/transport.h"

#include <openssl/ssl.h>

#if defined(__GNUC__)
#define MQS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MQS_PRINTF(fmt, args)
#endif

typedef struct mqs_ws mqs_ws; /* WebSocket state: ws.c */

struct mqs_transport {
    int fd;
    SSL *ssl;       /* NULL: plain TCP */
    mqs_ws *ws;     /* NULL: MQTT bytes straight on TCP/TLS */
    bool tls_dead;  /* a fatal TLS error happened: OpenSSL forbids SSL_shutdown after it */
    char err[256];
    mqs_mem_peer *mem; /* the in-memory transport (transport_mem.c): no fd, no TLS */
};

struct mqs_listener {
    int fd;
    int port;
    SSL_CTX *ctx; /* NULL: plain TCP */
    bool ws;
    unsigned ws_quirks;
    char path[256];
    char ws_protocol[16];
};

/* snprintf into err when the caller gave room for it (err may be NULL). */
void mqs_set_err(char *err, size_t cap, const char *fmt, ...) MQS_PRINTF(3, 4);

/* Wait for events on fd until the absolute deadline: 1 ready (or error/hangup,
 * which the next I/O call reports), 0 deadline passed, -1 poll failed (errno). */
int mqs_poll_fd(int fd, short events, int64_t deadline_ms);

/* transport_mem.c: the transport side of an in-memory transport. */
ssize_t mqs_mem_read(mqs_transport *t, void *buf, size_t len);
int mqs_mem_write_all(mqs_transport *t, const void *buf, size_t len);
size_t mqs_mem_pending(const mqs_transport *t);
void mqs_mem_release(mqs_transport *t); /* frees t; the peer stays */

/* Client context: trust anchors (unless opts->insecure), our certificate. */
SSL_CTX *mqs_tls_client_ctx(const mqs_tls_opts *opts, char *err, size_t cap);
/* Client TLS on a connected socket: SNI and peer name check for `name` (or
 * opts->sni), handshake before the deadline.  NULL with err on failure; the
 * caller still owns ctx and fd. */
SSL *mqs_tls_connect(SSL_CTX *ctx, int fd, const char *name, const mqs_tls_opts *opts, int64_t deadline_ms,
                     char *err, size_t cap);
/* Server context for a listener: certificate and key, and client
 * certificates required and verified when opts->cafile is set. */
SSL_CTX *mqs_tls_server_ctx(const mqs_tls_opts *opts, char *err, size_t cap);
/* Server handshake on an accepted socket before the deadline. */
SSL *mqs_tls_accept(SSL_CTX *ctx, int fd, int64_t deadline_ms, char *err, size_t cap);

ssize_t mqs_tls_read(mqs_transport *t, void *buf, size_t len);
int mqs_tls_write_all(mqs_transport *t, const void *buf, size_t len, int64_t deadline_ms);
size_t mqs_tls_pending(mqs_transport *t);
/* Send close_notify once without waiting for the peer's. */
void mqs_tls_shutdown(mqs_transport *t);

/* The stream under the WebSocket layer: TCP or TLS bytes (same results as mqs_transport_read/write_all). */
ssize_t mqs_raw_read(mqs_transport *t, void *buf, size_t len);
int mqs_raw_write_all(mqs_transport *t, const void *buf, size_t len, int64_t deadline_ms);
size_t mqs_raw_pending(mqs_transport *t);

/* WebSocket layer (ws.c).  The handshakes run before the deadline and set t->ws; -1 with err on failure. */
int mqs_ws_client_handshake(mqs_transport *t, const mqs_url *url, int64_t deadline_ms, char *err, size_t cap);
int mqs_ws_server_handshake(mqs_transport *t, const mqs_listener *l, int64_t deadline_ms, char *err, size_t cap);
ssize_t mqs_ws_read(mqs_transport *t, void *buf, size_t len);
int mqs_ws_write(mqs_transport *t, const void *buf, size_t len, const mqs_ws_send *how, int64_t deadline_ms);
size_t mqs_ws_pending(mqs_transport *t);
/* Send a close frame (1000) unless one went already; waits at most a short while. */
void mqs_ws_close(mqs_transport *t);
const char *mqs_ws_protocol(const mqs_transport *t);
void mqs_ws_free(mqs_ws *ws);

#endif
