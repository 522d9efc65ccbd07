/*
 * WebSocket layer of the transport (RFC 6455), for MQTT over WebSocket
 * (chapter 6 of MQTT 3.1.1 and 5.0): the opening handshake on both sides,
 * framing and masking, ping/pong, the close handshake.  It sits on the TCP or
 * TLS byte stream (mqs_raw_*) and offers the same non-blocking byte stream
 * above: read returns the payload of binary frames, whatever the frame cuts.
 *
 * Written here rather than on libwslay: a conformance tool must send what a
 * well-behaved library refuses or hides (text frames carrying MQTT, frames
 * cut at any byte, fragments) and must see every frame the peer sends; the
 * framing is small.  docs/websocket.md says more.
 */
#include "transport_internal.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

enum {
    HEAD_MAX = 8192,  /* an HTTP upgrade request or answer longer than this is refused */
    RX_CAP = 16384,   /* raw bytes read at once; always more than HEAD_MAX */
    CONTROL_MAX = 125, /* RFC 6455 5.5: control frame payloads */
    CONTROL_WRITE_MS = 1000,
    KEY_B64 = 24,     /* base64 of the 16-byte Sec-WebSocket-Key */
    ACCEPT_B64 = 28,  /* base64 of a SHA-1 */
};

/* The largest MQTT packet (5 header bytes + 268435455) bounds what we buffer. */
#define DATA_MAX ((size_t)268435460u)

/* Close status codes (RFC 6455 7.4.1). */
enum { CLOSE_NORMAL = 1000, CLOSE_PROTOCOL = 1002, CLOSE_UNSUPPORTED = 1003, CLOSE_TOO_BIG = 1009 };

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

struct mqs_ws {
    bool server;    /* frames we receive must be masked; ours are not */
    unsigned quirks;
    char protocol[128]; /* client: the subprotocol the server selected */
    uint8_t rx[RX_CAP];
    size_t rx_len;
    /* payload of data frames: [off, ready) may be read; ready < len only under the frame-aligned quirk */
    uint8_t *data;
    size_t data_off, data_ready, data_len, data_cap;
    /* the frame being received */
    bool in_frame, fin, masked;
    int opcode;
    uint64_t left;
    uint8_t mask[4];
    size_t mask_pos;
    uint8_t ctl[CONTROL_MAX];
    size_t ctl_len;
    int msg_opcode; /* the data message being received (its first frame's opcode), 0: none */
    bool close_sent, peer_closed, failed;
};

/* ---- small helpers ---- */

static void b64(const uint8_t *in, size_t n, char *out) { EVP_EncodeBlock((unsigned char *)out, in, (int)n); }

static void accept_for(const char *key, char out[ACCEPT_B64 + 1])
{
    char joined[128];
    uint8_t sha[SHA_DIGEST_LENGTH];
    int n = snprintf(joined, sizeof joined, "%s%s", key, ws_guid);
    SHA1((const unsigned char *)joined, (size_t)n, sha);
    b64(sha, sizeof sha, out);
}

/* The value of header `name` in an HTTP head (first match), trimmed; false when absent. */
static bool header_value(const char *head, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
        const char *p = line + 2;
        if (strncasecmp(p, name, nlen) != 0 || p[nlen] != ':')
            continue;
        p += nlen + 1;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn(p, "\r");
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        snprintf(out, cap, "%.*s", (int)n, p);
        return true;
    }
    return false;
}

/* Whether the comma-separated values of every `name` header include token. */
static bool header_has_token(const char *head, const char *name, const char *token, bool nocase)
{
    size_t nlen = strlen(name), tlen = strlen(token);
    for (const char *line = strstr(head, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
        const char *p = line + 2;
        if (strncasecmp(p, name, nlen) != 0 || p[nlen] != ':')
            continue;
        const char *end = p + strcspn(p, "\r");
        for (p += nlen + 1; p < end;) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
                p++;
            size_t n = 0;
            while (p + n < end && p[n] != ',')
                n++;
            size_t m = n;
            while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t'))
                m--;
            if (m == tlen && (nocase ? strncasecmp(p, token, m) : strncmp(p, token, m)) == 0)
                return true;
            p += n;
        }
    }
    return false;
}

static mqs_ws *ws_new(bool server)
{
    mqs_ws *ws = calloc(1, sizeof *ws);
    if (ws)
        ws->server = server;
    return ws;
}

void mqs_ws_free(mqs_ws *ws)
{
    if (ws)
        free(ws->data);
    free(ws);
}

/* ---- frames out ---- */

static int write_frame(mqs_transport *t, int opcode, bool fin, const uint8_t *payload, size_t len,
                       int64_t deadline_ms)
{
    uint8_t *frame = malloc(len + 14);
    if (frame == NULL) {
        mqs_set_err(t->err, sizeof t->err, "out of memory");
        return MQS_IO_ERROR;
    }
    size_t h = 0;
    frame[h++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
    uint8_t maskbit = t->ws->server ? 0 : 0x80; /* RFC 6455 5.3: a client masks every frame */
    if (len < 126) {
        frame[h++] = (uint8_t)(maskbit | len);
    } else if (len <= 0xFFFF) {
        frame[h++] = maskbit | 126;
        frame[h++] = (uint8_t)(len >> 8);
        frame[h++] = (uint8_t)len;
    } else {
        frame[h++] = maskbit | 127;
        for (int i = 7; i >= 0; i--)
            frame[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    uint8_t key[4] = {0};
    if (maskbit && RAND_bytes(key, sizeof key) != 1) {
        free(frame);
        mqs_set_err(t->err, sizeof t->err, "WebSocket: no random bytes for the frame mask");
        return MQS_IO_ERROR;
    }
    if (maskbit) {
        memcpy(frame + h, key, sizeof key);
        h += sizeof key;
    }
    for (size_t i = 0; i < len; i++)
        frame[h + i] = payload[i] ^ key[i % 4];
    int rc = mqs_raw_write_all(t, frame, h + len, deadline_ms);
    free(frame);
    return rc;
}

/* A close frame with a status code (none when code is 0), once. */
static void send_close(mqs_transport *t, int code)
{
    if (t->ws->close_sent)
        return;
    t->ws->close_sent = true;
    uint8_t body[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    (void)write_frame(t, MQS_WS_CLOSE, true, body, code ? 2 : 0, mqs_now_ms() + CONTROL_WRITE_MS);
}

int mqs_ws_write(mqs_transport *t, const void *buf, size_t len, const mqs_ws_send *how, int64_t deadline_ms)
{
    int opcode = how && how->opcode ? how->opcode : MQS_WS_BINARY;
    size_t step = how && how->frame_bytes ? how->frame_bytes : len;
    bool fragment = how && how->fragment;
    const uint8_t *p = buf;
    size_t off = 0;
    do {
        size_t n = len - off < step ? len - off : step;
        bool first = off == 0, last = off + n == len;
        int op = fragment && !first ? MQS_WS_CONTINUATION : opcode;
        if (write_frame(t, op, fragment ? last : true, p + off, n, deadline_ms) != 0)
            return MQS_IO_ERROR;
        off += n;
    } while (off < len);
    return 0;
}

void mqs_ws_close(mqs_transport *t)
{
    if (!t->ws->failed && !t->ws->peer_closed)
        send_close(t, CLOSE_NORMAL);
}

/* ---- frames in ---- */

/* Fail the WebSocket connection (RFC 6455 7.1.7): say why, send a close frame, read nothing more. */
static void ws_fail(mqs_transport *t, int code, const char *why)
{
    mqs_set_err(t->err, sizeof t->err, "WebSocket: %s", why);
    t->ws->failed = true;
    send_close(t, code);
}

/* Room for n more payload bytes. */
static bool data_reserve(mqs_ws *ws, size_t n)
{
    if (ws->data_off > 0 && ws->data_off == ws->data_len) {
        ws->data_off = ws->data_ready = ws->data_len = 0;
    } else if (ws->data_off > 0 && ws->data_len + n > ws->data_cap) {
        memmove(ws->data, ws->data + ws->data_off, ws->data_len - ws->data_off);
        ws->data_len -= ws->data_off;
        ws->data_ready -= ws->data_off;
        ws->data_off = 0;
    }
    if (ws->data_len + n <= ws->data_cap)
        return true;
    if (ws->data_len + n > DATA_MAX)
        return false;
    size_t cap = ws->data_cap ? ws->data_cap : 4096;
    while (cap < ws->data_len + n)
        cap *= 2;
    uint8_t *d = realloc(ws->data, cap);
    if (d == NULL)
        return false;
    ws->data = d;
    ws->data_cap = cap;
    return true;
}

/* 0 when the bytes are exactly one MQTT packet by its fixed header's Remaining Length. */
static int one_mqtt_packet(const uint8_t *p, size_t n)
{
    size_t len = 0, i = 1;
    for (unsigned shift = 0; i < n && i <= 4; i++, shift += 7) {
        len |= (size_t)(p[i] & 0x7F) << shift;
        if (!(p[i] & 0x80))
            return n == i + 1 + len ? 0 : -1;
    }
    return -1;
}

/* A data message is complete: its bytes become readable (the frame-aligned quirk reads them as one packet). */
static void message_done(mqs_transport *t)
{
    mqs_ws *ws = t->ws;
    if ((ws->quirks & MQS_WS_QUIRK_FRAME_ALIGNED) &&
        one_mqtt_packet(ws->data + ws->data_ready, ws->data_len - ws->data_ready) != 0) {
        ws->data_len = ws->data_ready; /* the quirk: a message is taken for one whole packet or nothing */
        ws_fail(t, CLOSE_PROTOCOL, "a frame that is not exactly one MQTT packet (broker-sim quirk ws_frame_aligned)");
        return;
    }
    ws->data_ready = ws->data_len;
    ws->msg_opcode = 0;
}

static void control_done(mqs_transport *t)
{
    mqs_ws *ws = t->ws;
    if (ws->opcode == MQS_WS_PING) {
        if (!ws->close_sent)
            (void)write_frame(t, MQS_WS_PONG, true, ws->ctl, ws->ctl_len, mqs_now_ms() + CONTROL_WRITE_MS);
    } else if (ws->opcode == MQS_WS_CLOSE) {
        /* Echo the status code (RFC 6455 5.5.1); the connection is over for MQTT either way. */
        int code = ws->ctl_len >= 2 ? ws->ctl[0] << 8 | ws->ctl[1] : 0;
        send_close(t, code);
        ws->peer_closed = true;
    }
}

static void frame_done(mqs_transport *t)
{
    mqs_ws *ws = t->ws;
    ws->in_frame = false;
    if (ws->opcode >= MQS_WS_CLOSE)
        control_done(t);
    else if (ws->fin)
        message_done(t);
}

static bool opcode_known(int op) { return op <= MQS_WS_BINARY || (op >= MQS_WS_CLOSE && op <= MQS_WS_PONG); }

/* Check a frame header's rules; NULL when it is acceptable. */
static const char *header_problem(const mqs_ws *ws, uint8_t b0, uint8_t b1, uint64_t len, int *code)
{
    int op = b0 & 0x0F;
    *code = CLOSE_PROTOCOL;
    if (b0 & 0x70)
        return "a frame with RSV bits set (no extension was negotiated)";
    if (!opcode_known(op))
        return "a frame with a reserved opcode";
    if (op >= MQS_WS_CLOSE && (!(b0 & 0x80) || len > CONTROL_MAX))
        return "a fragmented or oversized control frame";
    if (ws->server && !(b1 & 0x80))
        return "an unmasked frame from the client (RFC 6455 5.1)";
    if (!ws->server && (b1 & 0x80))
        return "a masked frame from the server (RFC 6455 5.1)";
    if (op == MQS_WS_CONTINUATION && ws->msg_opcode == 0)
        return "a continuation frame outside a fragmented message";
    if ((op == MQS_WS_TEXT || op == MQS_WS_BINARY) && ws->msg_opcode != 0)
        return "a new data frame inside a fragmented message";
    if (op == MQS_WS_TEXT && !(ws->quirks & MQS_WS_QUIRK_ACCEPT_TEXT)) {
        *code = CLOSE_UNSUPPORTED;
        return "a text frame: MQTT travels in binary frames only and the connection is closed (MQTT-6.0.0-1)";
    }
    if (op < MQS_WS_CLOSE && len > DATA_MAX) {
        *code = CLOSE_TOO_BIG;
        return "a data frame larger than any MQTT packet";
    }
    return NULL;
}

/* Parse a frame header at p: bytes used, 0 when incomplete, -1 on a violation (failed). */
static int parse_header(mqs_transport *t, const uint8_t *p, size_t n)
{
    mqs_ws *ws = t->ws;
    if (n < 2)
        return 0;
    size_t h = 2;
    uint64_t len = p[1] & 0x7F;
    size_t ext = len == 126 ? 2 : len == 127 ? 8 : 0;
    if (n < h + ext + ((p[1] & 0x80) ? 4 : 0))
        return 0;
    if (ext) {
        len = 0;
        for (size_t i = 0; i < ext; i++)
            len = len << 8 | p[h + i];
        h += ext;
    }
    int code;
    const char *why = header_problem(ws, p[0], p[1], len, &code);
    if (why) {
        ws_fail(t, code, why);
        return -1;
    }
    ws->masked = p[1] & 0x80;
    if (ws->masked) {
        memcpy(ws->mask, p + h, 4);
        h += 4;
    }
    ws->opcode = p[0] & 0x0F;
    ws->fin = p[0] & 0x80;
    ws->left = len;
    ws->mask_pos = 0;
    ws->ctl_len = 0;
    ws->in_frame = true;
    if (ws->opcode == MQS_WS_TEXT || ws->opcode == MQS_WS_BINARY)
        ws->msg_opcode = ws->opcode;
    return (int)h;
}

static int take_payload(mqs_transport *t, const uint8_t *p, size_t n)
{
    mqs_ws *ws = t->ws;
    uint8_t *dst;
    if (ws->opcode >= MQS_WS_CLOSE) {
        dst = ws->ctl + ws->ctl_len;
        ws->ctl_len += n;
    } else {
        if (!data_reserve(ws, n)) {
            ws_fail(t, CLOSE_TOO_BIG, "out of memory for a frame's payload");
            return -1;
        }
        dst = ws->data + ws->data_len;
        ws->data_len += n;
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = ws->masked ? p[i] ^ ws->mask[ws->mask_pos++ % 4] : p[i];
    ws->left -= n;
    return 0;
}

/* Consume every complete header and all payload bytes in rx. */
static void parse_rx(mqs_transport *t)
{
    mqs_ws *ws = t->ws;
    size_t pos = 0;
    while (!ws->failed && !ws->peer_closed) {
        if (!ws->in_frame) {
            int h = parse_header(t, ws->rx + pos, ws->rx_len - pos);
            if (h <= 0)
                break;
            pos += (size_t)h;
        } else {
            size_t n = ws->rx_len - pos;
            if (n > ws->left)
                n = (size_t)ws->left;
            if (take_payload(t, ws->rx + pos, n) != 0)
                break;
            pos += n;
        }
        if (ws->in_frame && ws->left == 0)
            frame_done(t);
        else if (pos == ws->rx_len)
            break;
    }
    memmove(ws->rx, ws->rx + pos, ws->rx_len - pos);
    ws->rx_len -= pos;
}

ssize_t mqs_ws_read(mqs_transport *t, void *buf, size_t len)
{
    mqs_ws *ws = t->ws;
    for (;;) {
        size_t ready = ws->data_ready - ws->data_off;
        if (ready > 0) { /* what came before a failure or a close is still delivered first */
            size_t n = ready < len ? ready : len;
            memcpy(buf, ws->data + ws->data_off, n);
            ws->data_off += n;
            return (ssize_t)n;
        }
        if (ws->failed)
            return MQS_IO_ERROR;
        if (ws->peer_closed)
            return 0;
        ssize_t n = mqs_raw_read(t, ws->rx + ws->rx_len, sizeof ws->rx - ws->rx_len);
        if (n <= 0)
            return n; /* TCP closed without a close frame counts as closed: MQTT frames its own packets */
        ws->rx_len += (size_t)n;
        parse_rx(t);
    }
}

size_t mqs_ws_pending(mqs_transport *t)
{
    return t->ws->data_ready - t->ws->data_off + mqs_raw_pending(t);
}

const char *mqs_ws_protocol(const mqs_transport *t) { return t->ws->protocol; }

/* ---- opening handshake ---- */

/* Read an HTTP head (through the empty line) into head; what follows it goes to ws->rx. */
static int read_head(mqs_transport *t, mqs_ws *ws, char *head, int64_t deadline_ms, char *err, size_t cap)
{
    size_t len = 0;
    for (;;) {
        ssize_t n = mqs_raw_read(t, head + len, HEAD_MAX - 1 - len);
        if (n == MQS_IO_AGAIN) {
            if (mqs_raw_pending(t) > 0)
                continue;
            int r = mqs_poll_fd(t->fd, POLLIN, deadline_ms);
            if (r <= 0) {
                mqs_set_err(err, cap, "WebSocket handshake: %s", r == 0 ? "timed out" : strerror(errno));
                return -1;
            }
            continue;
        }
        if (n <= 0) {
            mqs_set_err(err, cap, "WebSocket handshake: %s",
                        n == 0 ? "connection closed by peer" : mqs_transport_error(t));
            return -1;
        }
        len += (size_t)n;
        head[len] = '\0';
        char *end = strstr(head, "\r\n\r\n");
        if (end) {
            size_t used = (size_t)(end + 4 - head);
            memcpy(ws->rx, head + used, len - used);
            ws->rx_len = len - used;
            end[2] = '\0'; /* keep the last header's CRLF: header lookups go line by line */
            return 0;
        }
        if (len == HEAD_MAX - 1) {
            mqs_set_err(err, cap, "WebSocket handshake: HTTP head longer than %d bytes", HEAD_MAX);
            return -1;
        }
    }
}

static int check_answer(const char *head, const char *key, const char *offered, mqs_ws *ws, char *err, size_t cap)
{
    char accept[ACCEPT_B64 + 1], got[128];
    if (strncmp(head, "HTTP/1.1 101", 12) != 0) {
        mqs_set_err(err, cap, "WebSocket handshake refused: %.*s", (int)strcspn(head, "\r"), head);
        return -1;
    }
    if (!header_has_token(head, "Upgrade", "websocket", true) || !header_has_token(head, "Connection", "upgrade", true)) {
        mqs_set_err(err, cap, "WebSocket handshake: 101 answer without Upgrade: websocket / Connection: Upgrade");
        return -1;
    }
    accept_for(key, accept);
    if (!header_value(head, "Sec-WebSocket-Accept", got, sizeof got) || strcmp(got, accept) != 0) {
        mqs_set_err(err, cap, "WebSocket handshake: wrong or missing Sec-WebSocket-Accept");
        return -1;
    }
    if (header_value(head, "Sec-WebSocket-Protocol", got, sizeof got) && strcmp(got, offered) != 0) {
        /* RFC 6455 4.1: a subprotocol we did not offer fails the connection. */
        mqs_set_err(err, cap, "WebSocket handshake: the server selected subprotocol '%s', not offered", got);
        return -1;
    }
    snprintf(ws->protocol, sizeof ws->protocol, "%s", header_value(head, "Sec-WebSocket-Protocol", got, sizeof got) ? got : "");
    return 0;
}

int mqs_ws_client_handshake(mqs_transport *t, const mqs_url *url, int64_t deadline_ms, char *err, size_t cap)
{
    uint8_t raw[16];
    char key[KEY_B64 + 1], req[1024];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        mqs_set_err(err, cap, "WebSocket handshake: no random bytes for the key");
        return -1;
    }
    b64(raw, sizeof raw, key);
    const char *proto = url->ws_protocol[0] ? url->ws_protocol : "mqtt";
    bool v6 = strchr(url->host, ':') != NULL;
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n",
                     url->path[0] ? url->path : "/", v6 ? "[" : "", url->host, v6 ? "]" : "", url->port, key, proto);
    mqs_ws *ws = ws_new(false);
    char *head = malloc(HEAD_MAX);
    int rc = -1;
    if (ws == NULL || head == NULL)
        mqs_set_err(err, cap, "out of memory");
    else if (mqs_raw_write_all(t, req, (size_t)n, deadline_ms) != 0)
        mqs_set_err(err, cap, "WebSocket handshake: %s", mqs_transport_error(t));
    else if (read_head(t, ws, head, deadline_ms, err, cap) == 0 && check_answer(head, key, proto, ws, err, cap) == 0)
        rc = 0;
    free(head);
    if (rc == 0) {
        t->ws = ws;
        parse_rx(t); /* frames that came right behind the answer */
    } else {
        mqs_ws_free(ws);
    }
    return rc;
}

static void http_refuse(mqs_transport *t, const char *status, const char *extra)
{
    char resp[256];
    int n = snprintf(resp, sizeof resp, "HTTP/1.1 %s\r\n%sContent-Length: 0\r\nConnection: close\r\n\r\n", status,
                     extra);
    (void)mqs_raw_write_all(t, resp, (size_t)n, mqs_now_ms() + CONTROL_WRITE_MS);
}

/* The subprotocol we select: the listener's, or mqttv3.1 for an MQTT 3.1 client; NULL when none is offered. */
static const char *select_protocol(const char *head, const mqs_listener *l)
{
    if (header_has_token(head, "Sec-WebSocket-Protocol", l->ws_protocol, false))
        return l->ws_protocol;
    if (header_has_token(head, "Sec-WebSocket-Protocol", "mqttv3.1", false))
        return "mqttv3.1";
    return NULL;
}

/* Check the upgrade request; NULL when it is acceptable, else the HTTP status to answer (why in err). */
static const char *check_request(const char *head, const mqs_listener *l, char *key, const char **proto, char *err,
                                 size_t cap)
{
    char v[256];
    size_t plen = strlen(l->path);
    if (strncmp(head, "GET ", 4) != 0) {
        mqs_set_err(err, cap, "WebSocket handshake: not a GET request");
        return "405 Method Not Allowed";
    }
    if (strncmp(head + 4, l->path, plen) != 0 || (head[4 + plen] != ' ' && head[4 + plen] != '?')) {
        mqs_set_err(err, cap, "WebSocket handshake: request for %.*s, not %s", (int)strcspn(head + 4, " \r"), head + 4,
                    l->path);
        return "404 Not Found";
    }
    if (!header_has_token(head, "Upgrade", "websocket", true) || !header_has_token(head, "Connection", "upgrade", true)) {
        mqs_set_err(err, cap, "WebSocket handshake: request without Upgrade: websocket / Connection: Upgrade");
        return "400 Bad Request";
    }
    if (!header_value(head, "Sec-WebSocket-Version", v, sizeof v) || strcmp(v, "13") != 0) {
        mqs_set_err(err, cap, "WebSocket handshake: Sec-WebSocket-Version is not 13");
        return "426 Upgrade Required";
    }
    if (!header_value(head, "Sec-WebSocket-Key", v, sizeof v) || strlen(v) != KEY_B64) {
        mqs_set_err(err, cap, "WebSocket handshake: missing or malformed Sec-WebSocket-Key");
        return "400 Bad Request";
    }
    memcpy(key, v, KEY_B64 + 1);
    if ((*proto = select_protocol(head, l)) == NULL) {
        mqs_set_err(err, cap, "WebSocket handshake: the client offered no '%s' subprotocol (MQTT-6.0.0-3)",
                    l->ws_protocol);
        return "400 Bad Request";
    }
    return NULL;
}

int mqs_ws_server_handshake(mqs_transport *t, const mqs_listener *l, int64_t deadline_ms, char *err, size_t cap)
{
    mqs_ws *ws = ws_new(true);
    char *head = malloc(HEAD_MAX);
    char key[KEY_B64 + 1], accept[ACCEPT_B64 + 1], resp[512], proto_line[64] = "";
    const char *proto = NULL, *refuse = NULL;
    int rc = -1;
    if (ws == NULL || head == NULL) {
        mqs_set_err(err, cap, "out of memory");
    } else if (read_head(t, ws, head, deadline_ms, err, cap) == 0) {
        if ((refuse = check_request(head, l, key, &proto, err, cap)) != NULL) {
            http_refuse(t, refuse, strncmp(refuse, "426", 3) == 0 ? "Sec-WebSocket-Version: 13\r\n" : "");
        } else {
            accept_for(key, accept);
            if (!(l->ws_quirks & MQS_WS_QUIRK_NO_PROTOCOL))
                snprintf(proto_line, sizeof proto_line, "Sec-WebSocket-Protocol: %s\r\n", proto);
            int n = snprintf(resp, sizeof resp,
                             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Accept: %s\r\n%s\r\n",
                             accept, proto_line);
            if (mqs_raw_write_all(t, resp, (size_t)n, deadline_ms) == 0)
                rc = 0;
            else
                mqs_set_err(err, cap, "WebSocket handshake: %s", mqs_transport_error(t));
        }
    }
    free(head);
    if (rc != 0) {
        mqs_ws_free(ws);
        return -1;
    }
    ws->quirks = l->ws_quirks;
    t->ws = ws;
    parse_rx(t);
    return 0;
}
