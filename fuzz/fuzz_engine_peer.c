/*
 * fuzz_engine_peer: the engine itself (mqs_run_case: conn.c's read loop,
 * stream growth, inbox and flood bounds, the steps, the verdicts) running a
 * real scenario against a peer that sends arbitrary bytes at arbitrary
 * points of the conversation.  The peer is an in-memory transport
 * (mqs_transport_mem) handed to the engine through connect_hook: no socket,
 * no thread, the peer answers as the engine writes to it.
 *
 * Input: a selector byte (bit 0: 3.1.1 or 5.0), then chunks of
 *   [header] [length] [length bytes]
 * header bits 0-1: released once the engine has written that many packets
 * on the connection (0: at once, before our CONNECT); bit 4: the peer closes
 * after this chunk; bits 5-6: which connection the engine opens (in order:
 * sub, pub, a reconnect...) it belongs to.  A peer whose chunks are all out
 * closes too (the input ended), so that the engine need not wait for its
 * deadline to learn that nothing more will come.
 *
 * Oracles: no crash, leak or sanitizer report; a decided case has a verdict
 * and a message; the case never runs far past its timeout (the read loop
 * yields to its deadlines); the reports can be written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "mqttspec/engine.h"
#include "mqttspec/result.h"

enum { MAX_OPENS = 4, MAX_CHUNKS = 64, OUT_CAP = 1 << 20, SLACK_MS = 3000 };

/* Short waits: a silent peer costs at most the case's 100 ms timeout. */
static const char SCENARIO[] =
    "{\"id\": \"fuzz-peer\", \"title\": \"the engine against an arbitrary peer\", \"spec\": [\"3.1.1:MQTT-3.3.4-1\", \"5.0:MQTT-3.3.4-1\"],"
    " \"versions\": [\"3.1.1\", \"5.0\"],"
    " \"timeout_ms\": 100, \"steps\": ["
    " {\"connect\": \"sub\"},"
    " {\"send\": \"sub\", \"packet\": {\"type\": \"SUBSCRIBE\", \"packet_id\": 1,"
    "   \"subscriptions\": [{\"filter\": \"{prefix}/t\", \"qos\": 1}]}},"
    " {\"expect\": \"sub\", \"packet\": {\"type\": \"SUBACK\", \"packet_id\": 1}, \"within_ms\": 20,"
    "   \"ignore\": [{\"type\": \"PUBLISH\"}]},"
    " {\"connect\": \"pub\"},"
    " {\"send\": \"pub\", \"packet\": {\"type\": \"PUBLISH\", \"qos\": 1, \"packet_id\": 2, \"topic\": \"{prefix}/t\","
    "   \"payload\": \"x\"}},"
    " {\"expect\": \"pub\", \"packet\": {\"type\": \"PUBACK\", \"packet_id\": 2}, \"within_ms\": 20},"
    " {\"expect\": \"sub\", \"packet\": {\"type\": \"PUBLISH\", \"packet_id\": {\"$capture\": \"pid\"}},"
    "   \"within_ms\": 20},"
    " {\"send\": \"sub\", \"packet\": {\"type\": \"PUBACK\", \"packet_id\": \"${pid}\"}},"
    " {\"expect_nothing\": \"sub\", \"for_ms\": 5},"
    " {\"disconnect\": \"pub\"},"
    " {\"reconnect\": \"pub\"},"
    " {\"expect_close\": \"sub\", \"within_ms\": 10}"
    "]}";

typedef struct chunk {
    const uint8_t *p;
    size_t len;
    unsigned after_writes;
    bool close;
    int open; /* which opening it belongs to */
} chunk;

typedef struct peer_ctx {
    chunk chunks[MAX_CHUNKS];
    size_t n;
    mqs_mem_peer *peers[MAX_OPENS];
    size_t next[MAX_OPENS]; /* next chunk index to consider, per opening */
    int opened;
} peer_ctx;

static mqs_scenario scenario;

/* Release the chunks of opening k that are due after the engine's writes so far. */
static void release(peer_ctx *x, int k)
{
    mqs_mem_peer *p = x->peers[k];
    unsigned long writes = mqs_mem_peer_writes(p);
    for (size_t i = x->next[k]; i < x->n; i = ++x->next[k]) {
        chunk *c = &x->chunks[i];
        if (c->open != k)
            continue;
        if (c->after_writes > writes)
            return;
        mqs_mem_peer_send(p, c->p, c->len);
        if (c->close)
            break;
    }
    mqs_mem_peer_close(p);
    x->next[k] = x->n;
}

static void on_write(mqs_mem_peer *p, void *ctx)
{
    peer_ctx *x = ctx;
    for (int k = 0; k < x->opened; k++)
        if (x->peers[k] == p)
            release(x, k);
}

static mqs_transport *connect_hook(void *ctx, const char *conn_name, char *err, size_t err_cap)
{
    (void)conn_name;
    peer_ctx *x = ctx;
    if (x->opened == MAX_OPENS) {
        snprintf(err, err_cap, "connection refused");
        return NULL;
    }
    int k = x->opened;
    mqs_transport *t = mqs_transport_mem(&x->peers[k], OUT_CAP);
    if (!t) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    x->opened++;
    mqs_mem_peer_on_write(x->peers[k], on_write, x);
    release(x, k);
    return t;
}

static void parse_chunks(peer_ctx *x, const uint8_t *data, size_t size)
{
    size_t i = 0;
    while (i + 2 <= size && x->n < MAX_CHUNKS) {
        uint8_t h = data[i];
        size_t len = data[i + 1];
        i += 2;
        if (len > size - i)
            len = size - i;
        x->chunks[x->n++] = (chunk){data + i, len, h & 3, (h & 0x10) != 0, (h >> 5) & 3};
        i += len;
    }
}

static void load_scenario(void)
{
    char path[] = "/tmp/fuzz_engine_peer_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f || fputs(SCENARIO, f) < 0 || fclose(f) != 0)
        fuzz_die("cannot write the scenario to %s", path);
    char err[512];
    int rc = mqs_scenario_load(path, &scenario, err, sizeof err);
    unlink(path);
    if (rc != 0)
        fuzz_die("the built-in scenario does not load: %s", err);
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
    if (size < 1)
        return 0;
    if (!scenario.steps)
        load_scenario();
    static peer_ctx x;
    memset(&x, 0, sizeof x);
    parse_chunks(&x, data + 1, size - 1);
    mqs_run_opts opts;
    mqs_run_opts_init(&opts);
    opts.connect_hook = connect_hook;
    opts.connect_hook_ctx = &x;
    mqs_run run = {0};
    mqs_case *c = mqs_run_add_case(&run);
    if (!c)
        abort();
    mqs_run_case(&scenario, (data[0] & 1) ? MQTT_V5 : MQTT_V311, &opts, 0, c);
    FUZZ_CHECK(c->verdict < MQS_VERDICT_COUNT, "invalid verdict %d", (int)c->verdict);
    FUZZ_CHECK(c->verdict == MQS_PASS || c->verdict == MQS_SKIP || c->message, "a %s without a message",
               mqs_verdict_name(c->verdict));
    FUZZ_CHECK(c->duration_ms <= scenario.timeout_ms + SLACK_MS, "the case ran %lld ms, past its timeout of %d ms",
               (long long)c->duration_ms, scenario.timeout_ms);
    write_reports(&run);
    mqs_run_free(&run);
    for (int k = 0; k < x.opened; k++)
        mqs_mem_peer_free(x.peers[k]);
    return 0;
}
