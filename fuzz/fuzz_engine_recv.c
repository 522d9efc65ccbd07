/*
 * fuzz_engine_recv: the engine's receive path without a socket.  The engine
 * (client/src/conn.c) reads into mqtt_stream_space, commits, and takes
 * packets with mqtt_stream_next in the client role; each packet is printed,
 * recorded in the case transcript (reports/) and converted to JSON for the
 * inbox; a malformed one is formatted and cited; bytes left at the close are
 * noted.  This file repeats that sequence of calls, function by function:
 *
 *   read_once        <- client/src/conn.c  read_conn
 *   parse_received   <- client/src/conn.c  parse_received
 *   fail_codec       <- client/src/engine.c mqs_case_fail_codec
 *   note_leftover    <- client/src/conn.c  note_leftover
 *
 * When those change, change these.  (Linking conn.c itself would pull the
 * transports and the event loop.)  At the end the transcript and the JSON
 * report are written to /dev/null, as a run would write them.
 *
 * Input: a selector byte (bit 0: 3.1.1 or 5.0, the engine's versions), two
 * read sizes (byte * 16 + 1, used in turn), then what the broker sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "fuzz_common.h"
#include "mqttspec/packet_json.h"
#include "mqttspec/result.h"

enum { HEADER = 3 };

typedef struct recv_ctx {
    mqtt_version v;
    mqtt_stream stream;
    mqs_case *res;
    bool stop;
} recv_ctx;

static void fail_codec(recv_ctx *x, const mqtt_error *err)
{
    char why[400], stmt[64], msg[800];
    mqtt_err_format(err, x->v, why, sizeof why);
    const char *id = mqtt_err_statement(err->code, x->v);
    snprintf(stmt, sizeof stmt, "%s:%s", mqtt_version_name(x->v), id ? id : "local-limit");
    snprintf(msg, sizeof msg, "fuzz.json: step 1: [c] malformed packet from the target: %s", why);
    const uint8_t *p = x->stream.buf + x->stream.start;
    size_t n = x->stream.end - x->stream.start;
    mqs_case_event(x->res, 0, MQS_EV_RECEIVED, "c", "MALFORMED", p, n);
    mqs_case_set(x->res, MQS_FAIL, 1, stmt, msg);
    x->stop = true;
}

static void parse_received(recv_ctx *x)
{
    mqtt_decode_opts opts = {x->v, MQTT_ROLE_CLIENT, 0};
    for (;;) {
        mqtt_packet pkt;
        mqtt_bytes raw;
        mqtt_error err;
        mqtt_status st = mqtt_stream_next(&x->stream, &opts, &pkt, &raw, &err);
        if (st == MQTT_NEED_MORE)
            return;
        if (st == MQTT_MALFORMED) {
            fail_codec(x, &err);
            return;
        }
        char line[240];
        mqtt_print(&pkt, x->v, line, sizeof line);
        mqs_case_event(x->res, 0, MQS_EV_RECEIVED, "c", line, raw.ptr, raw.len);
        cJSON_Delete(mqtt_packet_to_json(&pkt, x->v)); /* the inbox holds it until a step consumes it */
    }
}

static void note_leftover(recv_ctx *x)
{
    size_t left = x->stream.end - x->stream.start;
    if (left) {
        char note[96];
        snprintf(note, sizeof note, "%zu bytes of an incomplete packet were left when the connection closed", left);
        mqs_case_event(x->res, 0, MQS_EV_NOTE, "c", note, x->stream.buf + x->stream.start, left);
    }
}

/* One read(2) of up to `want` bytes from what the broker sent; false when the peer has closed. */
static bool read_once(recv_ctx *x, const uint8_t **in, size_t *left, size_t want)
{
    size_t avail;
    uint8_t *dst = mqtt_stream_space(&x->stream, &avail);
    if (avail == 0) { /* the engine reports an ERROR: a packet over its limit (here the whole storage) */
        mqs_case_set(x->res, MQS_ERROR, 1, NULL, "'c': the target announced a packet larger than the limit");
        return false;
    }
    size_t n = want < avail ? want : avail;
    n = n < *left ? n : *left;
    if (n == 0) { /* EOF */
        parse_received(x);
        note_leftover(x);
        mqs_case_event(x->res, 0, MQS_EV_CLOSED, "c", "the peer closed the connection", NULL, 0);
        return false;
    }
    memcpy(dst, *in, n);
    *in += n;
    *left -= n;
    mqtt_stream_commit(&x->stream, n);
    parse_received(x);
    return !x->stop;
}

static void write_reports(const mqs_run *run)
{
    static FILE *null_out;
    if (!null_out && !(null_out = fopen("/dev/null", "w")))
        abort();
    FUZZ_CHECK(mqs_write_transcript(&run->cases[0], null_out) == 0, "the transcript cannot be written");
    FUZZ_CHECK(mqs_write_json(run, null_out) == 0, "the JSON report cannot be written");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *storage;
    if (size < HEADER)
        return 0;
    if (!storage && !(storage = malloc(MQS_MAX_PACKET_SIZE_DEFAULT)))
        abort();
    mqs_run run = {0};
    recv_ctx x = {.v = (data[0] & 1) ? MQTT_V5 : MQTT_V311, .res = mqs_run_add_case(&run)};
    if (!x.res)
        abort();
    mqtt_stream_init(&x.stream, storage, MQS_MAX_PACKET_SIZE_DEFAULT);
    const uint8_t *in = data + HEADER;
    size_t left = size - HEADER;
    for (size_t turn = 0; read_once(&x, &in, &left, (size_t)data[1 + turn % 2] * 16 + 1); turn++)
        continue;
    write_reports(&run);
    mqs_run_free(&run);
    return 0;
}
