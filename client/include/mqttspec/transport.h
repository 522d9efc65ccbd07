/*
 * Byte-stream transports shared by the scenario engine (client side) and
 * broker-sim (server side): plain TCP, TLS (OpenSSL), and MQTT over
 * WebSocket (RFC 6455) on either, chosen by the URL scheme.  Sockets are
 * non-blocking; the owner polls transport_fd() and calls read/write.  Every
 * call that may wait takes an absolute deadline (ms, CLOCK_MONOTONIC).
 * The first TLS context made sets SIGPIPE to SIG_IGN if it still has the
 * default action (OpenSSL writes with write(2)); plain TCP uses MSG_NOSIGNAL.
 */
#ifndef MQTTSPEC_TRANSPORT_H
#define MQTTSPEC_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t mqs_now_ms(void);

/* mqtt://HOST:PORT (default port 1883), mqtts://HOST:PORT (default 8883),
 * ws://HOST:PORT/PATH (default port 80, path /mqtt) or wss://HOST:PORT/PATH
 * (default 443); HOST may be a name, an IPv4 address or [IPv6]. */
typedef struct mqs_url {
    bool tls;
    bool ws;              /* MQTT over WebSocket */
    char host[256];
    char port[8];
    char path[256];       /* ws: the resource asked for ("/mqtt" unless the URL has a path) */
    char ws_protocol[16]; /* ws: client: the subprotocol offered; server: the one required.  "mqtt" after
                           * parsing; a client speaking MQTT 3.1 sets "mqttv3.1" (its registered name). */
} mqs_url;
int mqs_url_parse(const char *url, mqs_url *out, char *err, size_t err_cap);

typedef struct mqs_tls_opts {
    const char *cafile;   /* trust anchors; NULL: system default */
    const char *certfile; /* our certificate (client auth, or the server's) */
    const char *keyfile;
    const char *sni;      /* client: server name to send and verify; NULL: the URL host */
    bool insecure;        /* client: skip peer verification (off by default) */
} mqs_tls_opts;

typedef struct mqs_transport mqs_transport;

/* Result of read/write beyond byte counts. */
#define MQS_IO_AGAIN (-1)  /* would block: poll and retry */
#define MQS_IO_ERROR (-2)  /* connection failed or reset; see mqs_transport_error */

/* Connect (TCP, then the TLS handshake for mqtts) before the deadline.
 * NULL on failure with a message in err ("connection refused", "certificate verify failed: ..."). */
mqs_transport *mqs_transport_connect(const mqs_url *url, const mqs_tls_opts *tls, int64_t deadline_ms, char *err,
                                     size_t err_cap);
/* mqtt:// only: start a TCP connect to the first address of the URL's host and return at once (many
 * connections opened together by one poll loop).  Poll the fd for POLLOUT, then ask how it ended.
 * NULL with err when it failed at once. */
mqs_transport *mqs_transport_connect_start(const mqs_url *url, char *err, size_t err_cap);
/* 0 connected, MQS_IO_AGAIN still connecting, MQS_IO_ERROR failed (mqs_transport_error says why). */
int mqs_transport_connect_result(mqs_transport *t);
/* >0 bytes read, 0 orderly close by the peer, MQS_IO_AGAIN, or MQS_IO_ERROR. */
ssize_t mqs_transport_read(mqs_transport *t, void *buf, size_t len);
/* Write everything before the deadline. 0 on success, MQS_IO_ERROR on failure or timeout. */
int mqs_transport_write_all(mqs_transport *t, const void *buf, size_t len, int64_t deadline_ms);
/* Bytes TLS holds decrypted but not yet read (poll won't report them). */
size_t mqs_transport_pending(mqs_transport *t);
int mqs_transport_fd(const mqs_transport *t);
const char *mqs_transport_error(const mqs_transport *t);
/* Close without anything more on the wire than TCP's own FIN (no TLS close_notify either):
 * what a client that vanishes does.  Frees t. */
void mqs_transport_drop(mqs_transport *t);
/* The peer closed: end our side as well (TLS close_notify, FIN), keeping t for what is left to read.
 * A WebSocket server (RFC 6455 7.1.1) and some brokers finish a connection only once the client's side
 * is closed too. */
void mqs_transport_finish(mqs_transport *t);
/* Orderly close (TLS close_notify, then FIN).  Frees t. */
void mqs_transport_close(mqs_transport *t);

/* ---- in memory (tests and fuzz targets: broker-sim and the engine without sockets) ----
 * A connected transport whose other end, the peer, is the caller's.  It has no fd
 * (mqs_transport_fd is -1): mqs_transport_pending says when it has bytes (or its end of
 * stream) to read.  Closing or dropping the transport frees it; the peer stays until
 * mqs_mem_peer_free.  Writes fail once out_cap bytes wait untaken (a peer that stopped
 * reading), as a socket write times out. */
typedef struct mqs_mem_peer mqs_mem_peer;
mqs_transport *mqs_transport_mem(mqs_mem_peer **peer, size_t out_cap);
/* Bytes for the transport to read; false once either side has closed (or out of memory). */
bool mqs_mem_peer_send(mqs_mem_peer *p, const void *data, size_t len);
/* The peer closes: the transport reads what is left, then end of stream; its writes fail. */
void mqs_mem_peer_close(mqs_mem_peer *p);
/* Take up to cap bytes the transport wrote. */
size_t mqs_mem_peer_recv(mqs_mem_peer *p, void *out, size_t cap);
bool mqs_mem_peer_closed(const mqs_mem_peer *p); /* the transport side was closed or dropped */
unsigned long mqs_mem_peer_writes(const mqs_mem_peer *p); /* successful write_all calls so far */
/* Call fn after each successful write of the transport (a peer that answers as it is written to). */
void mqs_mem_peer_on_write(mqs_mem_peer *p, void (*fn)(mqs_mem_peer *p, void *ctx), void *ctx);
void mqs_mem_peer_free(mqs_mem_peer *p);

/* ---- WebSocket (ws:// and wss://) ---- */

/* Frame opcodes (RFC 6455 5.2) a scenario may send. */
#define MQS_WS_CONTINUATION 0x0
#define MQS_WS_TEXT 0x1
#define MQS_WS_BINARY 0x2
#define MQS_WS_CLOSE 0x8
#define MQS_WS_PING 0x9
#define MQS_WS_PONG 0xA

/* How mqs_transport_ws_send cuts bytes into frames: write_all sends one binary frame per call. */
typedef struct mqs_ws_send {
    int opcode;         /* MQS_WS_BINARY (0 means binary too), MQS_WS_TEXT, MQS_WS_PING ... */
    size_t frame_bytes; /* at most this many payload bytes per frame; 0: one frame */
    bool fragment;      /* the frames are fragments of one message (continuation frames), not messages */
} mqs_ws_send;

bool mqs_transport_is_ws(const mqs_transport *t);
/* Send buf as the frames `how` asks for.  Not WebSocket: a plain write_all. */
int mqs_transport_ws_send(mqs_transport *t, const void *buf, size_t len, const mqs_ws_send *how,
                          int64_t deadline_ms);
/* Client: the subprotocol the server's 101 answer selected ("" if it named none); NULL when not WebSocket. */
const char *mqs_transport_ws_protocol(const mqs_transport *t);

/* broker-sim quirks a listener's WebSocket connections show (to prove the chapter-6 scenarios catch them). */
#define MQS_WS_QUIRK_ACCEPT_TEXT 0x1u    /* text frames carry MQTT like binary ones (breaks MQTT-6.0.0-1) */
#define MQS_WS_QUIRK_FRAME_ALIGNED 0x2u  /* a data frame that is not exactly one MQTT packet is fatal (6.0.0-2) */
#define MQS_WS_QUIRK_NO_PROTOCOL 0x4u    /* the 101 answer names no subprotocol (breaks MQTT-6.0.0-4) */

/* ---- server side ---- */
typedef struct mqs_listener mqs_listener;
/* Listen on url's host:port ("0" picks an ephemeral port); tls->certfile/keyfile for mqtts,
 * and with tls->cafile a client certificate signed by it is required. */
mqs_listener *mqs_listen(const mqs_url *url, const mqs_tls_opts *tls, char *err, size_t err_cap);
int mqs_listener_fd(const mqs_listener *l);
int mqs_listener_port(const mqs_listener *l);
/* Accept one pending connection (TLS handshake completed before the deadline); NULL if none
 * (err is then "") or failed (err says why). */
mqs_transport *mqs_accept(mqs_listener *l, int64_t deadline_ms, char *err, size_t err_cap);
void mqs_listener_close(mqs_listener *l);
/* MQS_WS_QUIRK_* bits for the connections accepted from now on (a ws:// or wss:// listener). */
void mqs_listener_set_ws_quirks(mqs_listener *l, unsigned quirks);

#ifdef __cplusplus
}
#endif
#endif
