/*
 * The in-memory transport: a connected byte stream with no socket behind it,
 * for tests and fuzz targets that drive broker-sim or the engine directly.
 * The transport side is an ordinary mqs_transport (transport.c dispatches
 * here when t->mem is set); the other side, the peer, is the caller's.
 */
#include <stdlib.h>
#include <string.h>

#include "transport_internal.h"

typedef struct mem_buf {
    uint8_t *p;
    size_t start, end, cap;
} mem_buf;

struct mqs_mem_peer {
    mem_buf to_transport;   /* what the peer sent, not yet read */
    mem_buf from_transport; /* what the transport wrote, not yet taken by the peer */
    size_t out_cap;         /* from_transport holds at most this much: then writes fail */
    bool peer_closed;
    bool transport_closed;
    unsigned long writes;
    void (*on_write)(mqs_mem_peer *p, void *ctx);
    void *on_write_ctx;
};

static bool buf_append(mem_buf *b, const void *data, size_t len)
{
    if (b->start > 0 && b->end + len > b->cap) { /* slide the unread bytes to the front first */
        memmove(b->p, b->p + b->start, b->end - b->start);
        b->end -= b->start;
        b->start = 0;
    }
    if (b->end + len > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->end + len)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            return false;
        b->p = p;
        b->cap = cap;
    }
    if (len)
        memcpy(b->p + b->end, data, len);
    b->end += len;
    return true;
}

static size_t buf_take(mem_buf *b, void *out, size_t cap)
{
    size_t n = b->end - b->start < cap ? b->end - b->start : cap;
    if (n)
        memcpy(out, b->p + b->start, n);
    b->start += n;
    if (b->start == b->end)
        b->start = b->end = 0;
    return n;
}

mqs_transport *mqs_transport_mem(mqs_mem_peer **peer, size_t out_cap)
{
    mqs_transport *t = calloc(1, sizeof *t);
    mqs_mem_peer *p = calloc(1, sizeof *p);
    if (!t || !p) {
        free(t);
        free(p);
        return NULL;
    }
    t->fd = -1;
    t->mem = p;
    p->out_cap = out_cap;
    *peer = p;
    return t;
}

bool mqs_mem_peer_send(mqs_mem_peer *p, const void *data, size_t len)
{
    return !p->transport_closed && !p->peer_closed && buf_append(&p->to_transport, data, len);
}

void mqs_mem_peer_close(mqs_mem_peer *p) { p->peer_closed = true; }

size_t mqs_mem_peer_recv(mqs_mem_peer *p, void *out, size_t cap) { return buf_take(&p->from_transport, out, cap); }

bool mqs_mem_peer_closed(const mqs_mem_peer *p) { return p->transport_closed; }

unsigned long mqs_mem_peer_writes(const mqs_mem_peer *p) { return p->writes; }

void mqs_mem_peer_on_write(mqs_mem_peer *p, void (*fn)(mqs_mem_peer *p, void *ctx), void *ctx)
{
    p->on_write = fn;
    p->on_write_ctx = ctx;
}

void mqs_mem_peer_free(mqs_mem_peer *p)
{
    if (!p)
        return;
    free(p->to_transport.p);
    free(p->from_transport.p);
    free(p);
}

/* ---- the transport side (called from transport.c) ---- */

ssize_t mqs_mem_read(mqs_transport *t, void *buf, size_t len)
{
    size_t n = buf_take(&t->mem->to_transport, buf, len);
    if (n)
        return (ssize_t)n;
    return t->mem->peer_closed ? 0 : MQS_IO_AGAIN;
}

int mqs_mem_write_all(mqs_transport *t, const void *buf, size_t len)
{
    mqs_mem_peer *p = t->mem;
    if (p->peer_closed) {
        mqs_set_err(t->err, sizeof t->err, "write: connection reset by the peer");
        return MQS_IO_ERROR;
    }
    /* A peer that does not take what was written blocks a socket's writer until it gives up: fail now. */
    if (p->from_transport.end - p->from_transport.start + len > p->out_cap ||
        !buf_append(&p->from_transport, buf, len)) {
        mqs_set_err(t->err, sizeof t->err, "write: timed out (the peer reads nothing)");
        return MQS_IO_ERROR;
    }
    p->writes++;
    if (p->on_write)
        p->on_write(p, p->on_write_ctx);
    return 0;
}

/* Unread bytes, or 1 for a pending end of stream: poll cannot see this transport, so pending must say it. */
size_t mqs_mem_pending(const mqs_transport *t)
{
    size_t n = t->mem->to_transport.end - t->mem->to_transport.start;
    return n ? n : t->mem->peer_closed;
}

void mqs_mem_release(mqs_transport *t)
{
    t->mem->transport_closed = true;
    free(t);
}
