/*
 * fuzz_sim: broker-sim's per-connection input, through its socket-free
 * entry point (sim_mem_*: the broker's own code over in-memory transports,
 * no thread): several connections, arbitrary bytes, hang-ups, and a clock
 * that jumps (keep-alive, Will delay, session and message expiry fire).
 *
 * Input: two config bytes (byte 0: a quirk, or none; byte 1: the queue
 * bound 1..16 and the max packet size 64 B..8 KiB, small so the bounds are
 * reached), then operations:
 *   op & 7 = 0..3  feed: [op][len] then len bytes to connection op >> 3
 *            4     open another connection
 *            5     the client of connection op >> 3 hangs up
 *            6     the clock moves on by (op >> 3) * 250 ms
 *            7     feed the rest of the input to connection 0
 * A feed to a connection that does not exist yet opens it first.
 *
 * Oracles: no crash, leak or sanitizer report; what the broker writes is
 * whole MQTT packets (the framing of every byte it sent is complete); without
 * a quirk, each of them decodes strictly in the client role at 3.1, 3.1.1 or
 * 5.0 (the harness does not know which level a connection's CONNECT chose).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "mqttspec/sim.h"

enum { OUT_BUF = 8 << 20 };

static uint8_t out[OUT_BUF];

/* A conforming broker-sim only sends packets that decode at one of the levels it speaks. */
static bool decodes_somewhere(const uint8_t *p, size_t len)
{
    static const mqtt_version levels[] = {MQTT_V31, MQTT_V311, MQTT_V5};
    for (size_t i = 0; i < 3; i++) {
        mqtt_decode_opts o = {levels[i], MQTT_ROLE_CLIENT, 0};
        mqtt_packet pkt;
        mqtt_error err;
        size_t used;
        if (mqtt_decode(p, len, &o, &pkt, &used, &err) == MQTT_COMPLETE && used == len)
            return true;
    }
    return false;
}

/* Everything the broker wrote to connection n frames into complete packets (that decode, without quirks). */
static void check_output(sim_mem *m, int n, bool strict)
{
    bool closed;
    size_t len = sim_mem_take(m, n, out, sizeof out, &closed);
    size_t at = 0;
    while (at < len) {
        size_t pkt_len;
        mqtt_error err;
        mqtt_status st = mqtt_frame(out + at, len - at, 0, MQTT_V311, &pkt_len, &err);
        FUZZ_CHECK(st == MQTT_COMPLETE, "broker-sim wrote a partial or unframed packet at byte %zu of %zu", at, len);
        FUZZ_CHECK(!strict || decodes_somewhere(out + at, pkt_len),
                   "broker-sim without quirks wrote a packet no level decodes (type %u, %zu bytes)", out[at] >> 4,
                   pkt_len);
        at += pkt_len;
    }
}

static sim_mem *new_sim(const uint8_t *data)
{
    sim_config cfg;
    sim_config_init(&cfg);
    cfg.max_queued_messages = 1u + (data[1] & 0x0f);
    cfg.max_packet_size = 64u << (data[1] >> 4 & 7);
    cfg.max_queued_bytes = 4096;
    sim_mem *m = sim_mem_new(&cfg);
    if (!m)
        abort();
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    sim_mem *m = new_sim(data);
    sim_quirk_set quirks = data[0] < SIM_Q_COUNT ? SIM_QUIRK_BIT(data[0]) : 0;
    int nconns = 0;
    size_t i = 2;
    while (i < size) {
        uint8_t op = data[i++];
        int n = op >> 3 & 7;
        switch (op & 7) {
        case 4:
            if (sim_mem_connect(m, quirks) >= 0)
                nconns++;
            break;
        case 5:
            if (n < nconns)
                sim_mem_hangup(m, n);
            break;
        case 6:
            sim_mem_advance(m, (int64_t)n * 250);
            break;
        case 7:
            n = 0;
            /* fall through: the rest of the input as one feed */
        default: {
            size_t len = (op & 7) == 7 ? size - i : (i < size ? data[i++] : 0);
            if (len > size - i)
                len = size - i;
            while (n >= nconns && sim_mem_connect(m, quirks) >= 0)
                nconns++;
            if (n < nconns)
                sim_mem_feed(m, n, data + i, len);
            i += len;
        }
        }
        for (int c = 0; c < nconns; c++)
            check_output(m, c, quirks == 0);
    }
    sim_mem_free(m);
    return 0;
}
