/*
 * fuzz_stream: mqtt_stream fed in pieces gives what one-shot decoding of
 * the same bytes gives (codec.h: "Splitting the input at any byte yields
 * the same packets").
 *
 * Input: selector byte (fuzz_common.h; bits 5-6 pick the storage size,
 * bit 7 feeds through mqtt_stream_space/commit, as the engine's read_conn
 * does, instead of mqtt_stream_append), four piece sizes (byte + 1,
 * used in turn), then the byte stream.
 *
 * The reference walks the whole input packet by packet: mqtt_frame finds
 * the packet; a packet longer than the storage can never be held, which
 * the stream reports as TOO_LARGE; otherwise mqtt_decode decides.  The
 * stream must yield the same packets (raw bytes), then the same final
 * status and error, and keep exactly the unconsumed bytes on NEED_MORE.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

enum { HEADER = 5, MAX_PACKETS = 4096 };

/* What the reference expects: packets as (offset, length), then a final status. */
typedef struct expected {
    size_t off[MAX_PACKETS], len[MAX_PACKETS];
    size_t count;
    size_t consumed;
    mqtt_status final;
    mqtt_error err;
} expected;

static void reference(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, size_t cap, expected *ex)
{
    size_t off = 0;
    ex->count = 0;
    for (;;) {
        size_t plen = 0, used = 0;
        mqtt_packet pkt;
        mqtt_status st = mqtt_frame(buf + off, len - off, opts->max_packet_size, opts->version, &plen, &ex->err);
        if (st != MQTT_MALFORMED && plen > cap) {
            ex->err = (mqtt_error){.code = MQTT_E_TOO_LARGE};
            st = MQTT_MALFORMED;
        } else if (st == MQTT_COMPLETE) {
            st = mqtt_decode(buf + off, len - off, opts, &pkt, &used, &ex->err);
        }
        if (st != MQTT_COMPLETE || ex->count == MAX_PACKETS) { /* COMPLETE here: too many to follow */
            ex->final = st;
            ex->consumed = off;
            return;
        }
        ex->off[ex->count] = off;
        ex->len[ex->count++] = used;
        off += used;
    }
}

/* One piece into the stream; returns the bytes it took. */
static size_t feed(mqtt_stream *s, const uint8_t *p, size_t n, bool direct)
{
    if (!direct)
        return mqtt_stream_append(s, p, n);
    size_t avail;
    uint8_t *dst = mqtt_stream_space(s, &avail);
    size_t take = n < avail ? n : avail;
    memcpy(dst, p, take);
    mqtt_stream_commit(s, take);
    return take;
}

static void check_final(const mqtt_stream *s, mqtt_status st, const mqtt_error *err, const expected *ex,
                        size_t got, size_t len)
{
    FUZZ_CHECK(got == ex->count, "stream yielded %zu packets, one-shot %zu", got, ex->count);
    FUZZ_CHECK(st == ex->final, "stream ends with status %d, one-shot %d", (int)st, (int)ex->final);
    if (st == MQTT_MALFORMED)
        FUZZ_CHECK(err->code == ex->err.code && err->offset == ex->err.offset && err->byte == ex->err.byte,
                   "stream error %s@%u, one-shot %s@%u", mqtt_err_name(err->code), err->offset,
                   mqtt_err_name(ex->err.code), ex->err.offset);
    else
        FUZZ_CHECK(s->end - s->start == len - ex->consumed, "stream keeps %zu bytes, %zu are unconsumed",
                   s->end - s->start, len - ex->consumed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER)
        return 0;
    uint8_t sel = data[0];
    const uint8_t *pieces = data + 1, *buf = data + HEADER;
    size_t len = size - HEADER;
    static const size_t caps[4] = {0, 8, 64, 1024}; /* 0: room for the whole input */
    size_t cap = caps[(sel >> 5) & 3] ? caps[(sel >> 5) & 3] : len + 8;
    bool direct = sel & 0x80;
    mqtt_decode_opts opts = fuzz_selector_opts(sel);

    static expected ex;
    reference(buf, len, &opts, cap, &ex);
    if (ex.final == MQTT_COMPLETE)
        return 0;

    uint8_t *storage = malloc(cap); /* exact size: ASan sees any write past it */
    if (!storage)
        abort();
    mqtt_stream s;
    mqtt_stream_init(&s, storage, cap);
    size_t pos = 0, got = 0, turn = 0;
    mqtt_status st;
    mqtt_error err;
    for (;;) {
        size_t want = (size_t)pieces[turn++ % 4] + 1, took = 0;
        if (pos < len)
            took = feed(&s, buf + pos, want < len - pos ? want : len - pos, direct);
        pos += took;
        mqtt_packet pkt;
        mqtt_bytes raw;
        while ((st = mqtt_stream_next(&s, &opts, &pkt, &raw, &err)) == MQTT_COMPLETE) {
            FUZZ_CHECK(got < ex.count, "stream yields a packet one-shot decoding does not");
            FUZZ_CHECK(raw.len == ex.len[got] && memcmp(raw.ptr, buf + ex.off[got], raw.len) == 0,
                       "packet %zu differs from one-shot decoding", got);
            got++;
        }
        if (st == MQTT_MALFORMED || pos == len)
            break;
        FUZZ_CHECK(took > 0, "stream takes no bytes but asks for more (storage %zu)", cap);
    }
    check_final(&s, st, &err, &ex, got, len);
    free(storage);
    return 0;
}
