/* Finding packet boundaries in a byte stream, and a reassembly buffer. */
#include "internal.h"

static mqtt_status frame_fail(mqtt_error *err, mqtt_err code, uint32_t offset)
{
    err->code = code;
    err->offset = offset;
    err->byte = offset;
    err->version = 0; /* set by the caller that knows it */
    err->packet_type = 0;
    return MQTT_MALFORMED;
}

mqtt_status mqtt_frame(const uint8_t *buf, size_t len, uint32_t max_packet_size, mqtt_version version,
                       size_t *packet_len, mqtt_error *err)
{
    *packet_len = 0;
    if (len < 2)
        return MQTT_NEED_MORE;
    uint32_t rl;
    bool minimal;
    int n = varint_read(buf + 1, buf + len, &rl, &minimal);
    if (n < 0) {
        frame_fail(err, MQTT_E_VARINT_TOO_LONG, 1);
        err->version = (uint8_t)version;
        return MQTT_MALFORMED;
    }
    if (n == 0)
        return MQTT_NEED_MORE;
    /* A CONNECT is judged by the level it carries: the decoder checks it once that is read. */
    if (!minimal && version == MQTT_V5 && (buf[0] >> 4) != MQTT_CONNECT) {
        frame_fail(err, MQTT_E_VARINT_NOT_MINIMAL, 1);
        err->version = MQTT_V5;
        return MQTT_MALFORMED;
    }
    size_t total = 1 + (size_t)n + rl;
    if (max_packet_size && total > max_packet_size)
        return frame_fail(err, MQTT_E_TOO_LARGE, 0);
    *packet_len = total;
    return len >= total ? MQTT_COMPLETE : MQTT_NEED_MORE;
}

void mqtt_stream_init(mqtt_stream *s, uint8_t *storage, size_t cap)
{
    s->buf = storage;
    s->cap = cap;
    s->start = 0;
    s->end = 0;
}

static void compact(mqtt_stream *s)
{
    if (s->start == 0)
        return;
    memmove(s->buf, s->buf + s->start, s->end - s->start);
    s->end -= s->start;
    s->start = 0;
}

uint8_t *mqtt_stream_space(mqtt_stream *s, size_t *avail)
{
    compact(s);
    *avail = s->cap - s->end;
    return s->buf + s->end;
}

void mqtt_stream_commit(mqtt_stream *s, size_t n)
{
    s->end += n <= s->cap - s->end ? n : s->cap - s->end;
}

size_t mqtt_stream_append(mqtt_stream *s, const uint8_t *data, size_t len)
{
    size_t avail;
    uint8_t *dst = mqtt_stream_space(s, &avail);
    size_t n = len < avail ? len : avail;
    memcpy(dst, data, n);
    s->end += n;
    return n;
}

mqtt_status mqtt_stream_next(mqtt_stream *s, const mqtt_decode_opts *opts, mqtt_packet *out, mqtt_bytes *raw,
                             mqtt_error *err)
{
    const uint8_t *p = s->buf + s->start;
    size_t len = s->end - s->start;
    size_t packet_len;
    mqtt_status st = mqtt_frame(p, len, opts->max_packet_size, opts->version, &packet_len, err);
    if (st == MQTT_NEED_MORE && packet_len > s->cap)
        return frame_fail(err, MQTT_E_TOO_LARGE, 0); /* could never fit in this storage */
    if (st != MQTT_COMPLETE)
        return st;
    size_t used = 0;
    st = mqtt_decode(p, len, opts, out, &used, err);
    if (st == MQTT_COMPLETE) {
        s->start += used;
        if (raw) {
            raw->ptr = p;
            raw->len = (uint32_t)used;
        }
    }
    return st;
}
