/*
 * Crashes of a supervised target (mqttspec fuzz --broker-cmd): what the fuzz
 * connections wrote last is replayed against a fresh broker, connection by
 * connection in the order they opened, every byte as it was sent (our
 * CONNECTs and fuzzed ones alike), and shrunk by delta debugging -- whole
 * connections, then packets, then bytes -- while the broker still dies (or
 * its sanitizer still reports).  The result is a scenario that `mqttspec run
 * --broker-cmd ... --scenarios FILE` reproduces, and the broker's report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netfuzz_internal.h"

#define CRASH_REPLAY_WAIT_MS 300 /* for the broker to die (or report) after a replay */
#define CRASH_SCENARIO_CONNS 15 /* connection names a finding uses besides the probe */
#define CRASH_SETTLE_MS 150 /* memory findings: before the broker's RSS is read */
#define CRASH_CONN_PAUSE_MS 1 /* between connections: the target takes them in the original order */

/* ---- the input ---- */

static int add_piece(nf_cconn *c, const uint8_t *p, size_t n)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        nf_bytes *pk = realloc(c->pk, cap * sizeof *pk);
        if (!pk)
            return -1;
        c->pk = pk;
        c->cap = cap;
    }
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        return -1;
    memcpy(copy, p, n);
    c->pk[c->n++] = (nf_bytes){copy, n};
    return 0;
}

/* Length of the MQTT frame at p (fixed header + remaining length, non-minimal lengths allowed), or n when it
 * does not frame in n. */
static size_t frame_len(const uint8_t *p, size_t n)
{
    size_t len;
    mqtt_error err;
    return mqtt_frame(p, n, 0, MQTT_V311, &len, &err) == MQTT_COMPLETE ? len : n;
}

int nf_crash_add_write(nf_crash *k, unsigned conn, mqtt_version v, const uint8_t *p, size_t n)
{
    nf_cconn *c = NULL;
    for (size_t i = 0; i < k->n && !c; i++)
        if (k->c[i].key == conn)
            c = &k->c[i];
    if (!c) {
        if (k->n == k->cap) {
            size_t cap = k->cap ? k->cap * 2 : 16;
            nf_cconn *cs = realloc(k->c, cap * sizeof *cs);
            if (!cs)
                return -1;
            k->c = cs;
            k->cap = cap;
        }
        c = &k->c[k->n++];
        *c = (nf_cconn){.key = conn, .version = v};
    }
    c->last = ++k->writes;
    for (size_t at = 0; at < n;) {
        size_t len = frame_len(p + at, n - at);
        if (add_piece(c, p + at, len) < 0)
            return -1;
        at += len;
    }
    return 0;
}

static void cconn_free(nf_cconn *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->pk[i].p);
    free(c->pk);
}

void nf_crash_free(nf_crash *k)
{
    for (size_t i = 0; i < k->n; i++)
        cconn_free(&k->c[i]);
    free(k->c);
    memset(k, 0, sizeof *k);
}

static size_t crash_packets(const nf_crash *k)
{
    size_t n = 0;
    for (size_t i = 0; i < k->n; i++)
        n += k->c[i].n;
    return n;
}

static size_t crash_bytes(const nf_crash *k)
{
    size_t n = 0;
    for (size_t i = 0; i < k->n; i++)
        for (size_t j = 0; j < k->c[i].n; j++)
            n += k->c[i].pk[j].n;
    return n;
}

/* ---- the oracle: a fresh broker, the replay, did it die? ---- */

typedef struct crash_ctx {
    const nf_options *o;
    int64_t deadline;
    unsigned tries;
    int max_tries;
    long min_growth_kb; /* a memory finding: a replay reproduces it by growing the broker this much */
} crash_ctx;

/*
 * Replay k against a fresh broker.  grew (k->n entries, or NULL): which connections the broker's memory
 * grew by at least step_kb after (or, the broker lagging, after the next one).
 */
static bool replay_watching(crash_ctx *x, const nf_crash *k, bool *grew, long step_kb)
{
    const nf_supervisor *sup = x->o->sup;
    char err[256];
    if (sup->restart(sup->ctx, err, sizeof err) < 0)
        return false;
    x->tries++;
    mqs_tls_opts tls;
    memset(&tls, 0, sizeof tls);
    mqs_transport **ts = calloc(k->n ? k->n : 1, sizeof *ts);
    long before = grew ? sup->growth_kb(sup->ctx) : 0;
    for (size_t i = 0; ts && i < k->n; i++) {
        ts[i] = mqs_transport_connect(&x->o->url, &tls, mqs_now_ms() + 2000, err, sizeof err);
        for (size_t j = 0; ts[i] && j < k->c[i].n; j++) {
            if (mqs_transport_write_all(ts[i], k->c[i].pk[j].p, k->c[i].pk[j].n, mqs_now_ms() + 2000) < 0)
                break; /* closed on us: the next connection goes on */
        }
        nanosleep(&(struct timespec){0, CRASH_CONN_PAUSE_MS * 1000000L}, NULL);
        long now = grew ? sup->growth_kb(sup->ctx) : 0;
        if (grew && now - before >= step_kb) {
            grew[i] = true;
            if (i)
                grew[i - 1] = true;
        }
        before = now;
    }
    if (x->min_growth_kb > 0) /* the broker reads what was written before its memory is measured */
        nanosleep(&(struct timespec){0, CRASH_SETTLE_MS * 1000000L}, NULL);
    bool crashed = x->min_growth_kb > 0 ? sup->growth_kb(sup->ctx) >= x->min_growth_kb
                                        : sup->reproduced(sup->ctx, CRASH_REPLAY_WAIT_MS);
    for (size_t i = 0; ts && i < k->n; i++)
        if (ts[i])
            mqs_transport_drop(ts[i]);
    free(ts);
    return crashed;
}

static bool replay_once(crash_ctx *x, const nf_crash *k) { return replay_watching(x, k, NULL, 0); }

/* Did the input reproduce the finding?  A memory reading is noisier than a death: a growth must show twice. */
static bool replay_crashes(crash_ctx *x, const nf_crash *k)
{
    if (!replay_once(x, k))
        return false;
    return x->min_growth_kb <= 1 || replay_once(x, k);
}

static bool budget_left(const crash_ctx *x)
{
    return (int)x->tries < x->max_tries && mqs_now_ms() < x->deadline;
}

/* ---- delta debugging: drop chunks, halving their size, while the crash stays ---- */

/* Drop connections [at, at+len) from k (already known not to matter). */
static void without_conns_known(nf_crash *k, size_t at, size_t len)
{
    for (size_t i = at; i < at + len; i++)
        cconn_free(&k->c[i]);
    memmove(k->c + at, k->c + at + len, (k->n - at - len) * sizeof *k->c);
    k->n -= len;
}

static bool without_conns(crash_ctx *x, nf_crash *k, size_t at, size_t len)
{
    nf_crash t = *k;
    nf_cconn *cs = malloc((k->n ? k->n : 1) * sizeof *cs);
    if (!cs)
        return false;
    t.c = cs;
    t.n = 0;
    for (size_t i = 0; i < k->n; i++)
        if (i < at || i >= at + len)
            cs[t.n++] = k->c[i];
    bool ok = t.n > 0 && replay_crashes(x, &t);
    if (ok)
        without_conns_known(k, at, len);
    free(cs);
    return ok;
}

static bool without_packets(crash_ctx *x, nf_crash *k, size_t ci, size_t at, size_t len)
{
    nf_cconn *c = &k->c[ci];
    nf_cconn saved = *c;
    nf_bytes *pk = malloc((c->n ? c->n : 1) * sizeof *pk);
    if (!pk)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        if (i < at || i >= at + len)
            pk[n++] = c->pk[i];
    c->pk = pk;
    c->n = n;
    bool ok = n > 0 && replay_crashes(x, k);
    *c = saved;
    if (ok) {
        for (size_t i = at; i < at + len; i++)
            free(c->pk[i].p);
        memmove(c->pk + at, c->pk + at + len, (c->n - at - len) * sizeof *c->pk);
        c->n -= len;
    }
    free(pk);
    return ok;
}

static bool without_bytes(crash_ctx *x, nf_crash *k, size_t ci, size_t pi, size_t at, size_t len)
{
    nf_bytes *b = &k->c[ci].pk[pi];
    nf_bytes saved = *b;
    uint8_t *p = malloc(b->n);
    if (!p)
        return false;
    memcpy(p, b->p, at);
    memcpy(p + at, b->p + at + len, b->n - at - len);
    *b = (nf_bytes){p, b->n - len};
    bool ok = b->n > 0 && replay_crashes(x, k);
    if (ok) {
        free(saved.p);
    } else {
        free(p);
        *b = saved;
    }
    return ok;
}

typedef enum { LEVEL_CONNS, LEVEL_PACKETS, LEVEL_BYTES } level;

static size_t level_len(const nf_crash *k, level lv, size_t ci, size_t pi)
{
    return lv == LEVEL_CONNS ? k->n : lv == LEVEL_PACKETS ? k->c[ci].n : k->c[ci].pk[pi].n;
}

static void ddmin(crash_ctx *x, nf_crash *k, level lv, size_t ci, size_t pi)
{
    for (size_t chunk = level_len(k, lv, ci, pi) / 2; chunk >= 1 && budget_left(x); chunk /= 2) {
        for (size_t at = 0; at < level_len(k, lv, ci, pi) && budget_left(x);) {
            size_t len = chunk;
            if (at + len > level_len(k, lv, ci, pi))
                len = level_len(k, lv, ci, pi) - at;
            bool dropped = lv == LEVEL_CONNS     ? without_conns(x, k, at, len)
                           : lv == LEVEL_PACKETS ? without_packets(x, k, ci, at, len)
                                                 : without_bytes(x, k, ci, pi, at, len);
            if (!dropped)
                at += len;
        }
    }
}

/* The likeliest single culprits first: the connections written to last before the crash, each alone. */
#define CRASH_SUSPECTS 4
static void try_last_alone(crash_ctx *x, nf_crash *k)
{
    for (int tries = 0; tries < CRASH_SUSPECTS && k->n > 1 && budget_left(x); tries++) {
        size_t best = 0;
        uint64_t below = UINT64_MAX;
        for (int skip = 0; skip <= tries; skip++) { /* the (tries+1)-th most recent */
            best = k->n;
            for (size_t i = 0; i < k->n; i++)
                if (k->c[i].last < below && (best == k->n || k->c[i].last > k->c[best].last))
                    best = i;
            if (best == k->n)
                return;
            below = k->c[best].last;
        }
        /* keep connection best alone: drop those after it, then those before */
        size_t after = k->n - best - 1;
        nf_crash t = *k;
        t.c = &k->c[best];
        t.n = 1;
        if (!replay_crashes(x, &t))
            continue;
        if (after)
            without_conns_known(k, best + 1, after);
        if (best)
            without_conns_known(k, 0, best);
        return;
    }
}

/*
 * A memory finding spread over many connections (a leak per refused CONNECT): replay the whole input once,
 * reading the broker's memory after each connection, and try the connections after which it grew by a
 * step (a 32nd of the bound) on their own.
 */
static void try_memory_steps(crash_ctx *x, nf_crash *k)
{
    long step = x->o->sup->memory_bound_kb / 32;
    bool *grew = calloc(k->n ? k->n : 1, sizeof *grew);
    if (!grew || step <= 0 || k->n < 2 || !budget_left(x)) {
        free(grew);
        return;
    }
    replay_watching(x, k, grew, step);
    nf_crash t = *k;
    t.c = calloc(k->n, sizeof *t.c);
    t.n = 0;
    for (size_t i = 0; t.c && i < k->n; i++)
        if (grew[i])
            t.c[t.n++] = k->c[i];
    if (t.c && t.n && t.n < k->n && replay_crashes(x, &t)) {
        for (size_t i = k->n; i-- > 0;) /* from the end: the indices before i stay valid */
            if (!grew[i])
                without_conns_known(k, i, 1);
    }
    free(t.c);
    free(grew);
}

static void minimise(crash_ctx *x, nf_crash *k)
{
    if (x->min_growth_kb > 0)
        try_memory_steps(x, k);
    try_last_alone(x, k);
    ddmin(x, k, LEVEL_CONNS, 0, 0);
    for (size_t ci = 0; ci < k->n && budget_left(x); ci++)
        ddmin(x, k, LEVEL_PACKETS, ci, 0);
    for (size_t ci = 0; ci < k->n && budget_left(x); ci++)
        for (size_t pi = 0; pi < k->c[ci].n && budget_left(x); pi++)
            ddmin(x, k, LEVEL_BYTES, ci, pi);
    ddmin(x, k, LEVEL_CONNS, 0, 0); /* smaller packets may have made a connection unnecessary */
}

/* ---- the finding: a scenario and the broker's report ---- */

static char *hex_of_bytes(const nf_bytes *b)
{
    char *hex = malloc(b->n * 2 + 1);
    for (size_t i = 0; hex && i < b->n; i++)
        snprintf(hex + i * 2, 3, "%02x", b->p[i]);
    if (hex && !b->n)
        hex[0] = '\0';
    return hex;
}

static void add_step(cJSON *steps, const char *action, const char *conn)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, action, conn);
    cJSON_AddItemToArray(steps, s);
}

static cJSON *crash_scenario(const nf_options *o, const nf_crash *k, const char *id, const char *why,
                             const char *how)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "id", id);
    cJSON_AddStringToObject(root, "title", "The server keeps answering PINGREQ after these bytes (what the fuzzer "
                                           "sent before the target stopped answering)");
    char desc[1400];
    snprintf(desc, sizeof desc,
             "Found by `mqttspec fuzz%s --seed %llu`: %s. The steps open %zu connection(s) and send their bytes as "
             "the fuzzer did, in the order they opened (CONNECTs included, fuzzed ones too), then a new connection "
             "must get its CONNACK and PINGRESP. %s%s",
             o->sup ? " --broker-cmd ..." : "", (unsigned long long)o->seed, why, k->n, how,
             k->n > CRASH_SCENARIO_CONNS ? " More connections than a scenario names: each name is reused, which "
                                           "closes the connection it named before."
                                         : "");
    cJSON_AddStringToObject(root, "description", desc);
    mqtt_version v = k->n ? k->c[0].version : MQTT_V311;
    cJSON *spec = cJSON_CreateArray();
    char ref[40];
    snprintf(ref, sizeof ref, "%s:MQTT-3.12.4-1", mqtt_version_name(v));
    cJSON_AddItemToArray(spec, cJSON_CreateString(ref));
    cJSON_AddItemToObject(root, "spec", spec);
    cJSON *versions = cJSON_CreateArray();
    cJSON_AddItemToArray(versions, cJSON_CreateString(mqtt_version_name(v)));
    cJSON_AddItemToObject(root, "versions", versions);
    cJSON *tags = cJSON_CreateArray();
    cJSON_AddItemToArray(tags, cJSON_CreateString("fuzz"));
    cJSON_AddItemToArray(tags, cJSON_CreateString("crash"));
    cJSON_AddItemToArray(tags, cJSON_CreateString("isolated"));
    cJSON_AddItemToObject(root, "tags", tags);
    cJSON *steps = cJSON_CreateArray();
    for (size_t i = 0; i < k->n; i++) {
        char name[32];
        /* a scenario names at most 16 connections (the probe is one): past 15, a name is opened again,
         * which closes its earlier connection (said in the description) */
        snprintf(name, sizeof name, "c%zu", i % CRASH_SCENARIO_CONNS + 1);
        add_step(steps, "open", name);
        for (size_t j = 0; j < k->c[i].n; j++) {
            char *hex = hex_of_bytes(&k->c[i].pk[j]);
            cJSON *s = cJSON_CreateObject();
            cJSON_AddStringToObject(s, "send", name);
            cJSON_AddStringToObject(s, "hex", hex ? hex : "");
            cJSON_AddItemToArray(steps, s);
            free(hex);
        }
    }
    add_step(steps, "connect", "probe");
    cJSON *ping = cJSON_CreateObject();
    cJSON_AddStringToObject(ping, "send", "probe");
    cJSON *pkt = cJSON_CreateObject();
    cJSON_AddStringToObject(pkt, "type", "PINGREQ");
    cJSON_AddItemToObject(ping, "packet", pkt);
    cJSON_AddItemToArray(steps, ping);
    cJSON *pong = cJSON_CreateObject();
    cJSON_AddStringToObject(pong, "expect", "probe");
    pkt = cJSON_CreateObject();
    cJSON_AddStringToObject(pkt, "type", "PINGRESP");
    cJSON_AddItemToObject(pong, "packet", pkt);
    cJSON_AddNumberToObject(pong, "within_ms", o->hang_ms);
    cJSON_AddItemToArray(steps, pong);
    cJSON_AddItemToObject(root, "steps", steps);
    return root;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    fputc('\n', f);
    return fclose(f);
}

int nf_crash_write(const nf_options *o, const nf_crash *k, const char *id, const char *why, const char *how,
                   char *path, size_t cap)
{
    cJSON *doc = crash_scenario(o, k, id, why, how);
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    nf_mkdir_p(o->out_dir);
    int rc = -1;
    if (text && snprintf(path, cap, "%s/%s.json", o->out_dir, id) < (int)cap)
        rc = write_text(path, text);
    free(text);
    if (rc < 0 && cap)
        path[0] = '\0';
    return rc;
}

void nf_crash_process(const nf_options *o, nf_crash *k, nf_stats *st)
{
    const nf_supervisor *sup = o->sup;
    char report[4096], key[256];
    bool fresh = sup->report(sup->ctx, report, sizeof report, key, sizeof key);
    snprintf(st->crash_key, sizeof st->crash_key, "%s", key);
    if (!fresh || !k->n) {
        st->crash_duplicate = fresh == false;
        return;
    }
    crash_ctx x = {.o = o, .max_tries = o->min_tries, .deadline = mqs_now_ms() + (int64_t)o->min_seconds * 1000};
    if (!o->quiet)
        fprintf(o->err, "crash: %s; replaying %zu connections (%zu packets, %zu bytes) against fresh brokers\n", key,
                k->n, crash_packets(k), crash_bytes(k));
    if (sup->memory(sup->ctx)) {
        x.min_growth_kb = 1; /* the whole input: any growth, measured below */
        replay_crashes(&x, k);
        /* the minimised input must still break the bound, so that `run --rss-bound` flags it too */
        long whole = sup->growth_kb(sup->ctx), past_bound = sup->memory_bound_kb + sup->memory_bound_kb / 8;
        x.min_growth_kb = sup->memory_bound_kb > 0 && whole >= past_bound ? past_bound : whole / 2;
        /* a fresh broker's first sessions grow it by some hundred KB: less than a quarter of the bound proves
         * nothing (a replay that needs less is not minimised: below it, any input would do) */
        if (x.min_growth_kb < sup->memory_bound_kb / 4)
            x.min_growth_kb = sup->memory_bound_kb / 4;
        if (!o->quiet)
            fprintf(o->err, "crash: a memory finding; the whole input grows a fresh broker by %ld KB: minimising "
                            "while a replay grows it by at least %ld KB\n",
                    whole, x.min_growth_kb);
    }
    bool reproduced = x.min_growth_kb >= 0 && replay_crashes(&x, k);
    if (reproduced)
        minimise(&x, k);
    st->crash_tries = x.tries;
    st->crash_conns = (unsigned)k->n;
    st->crash_packets = (unsigned)crash_packets(k);
    st->crash_bytes = crash_bytes(k);
    char id[96], path[sizeof st->crash_file];
    snprintf(id, sizeof id, "fuzz-crash-%llu", (unsigned long long)o->seed);
    nf_crash_write(o, k, id, key,
                   reproduced ? "Minimised against fresh brokers by delta debugging. Replay: mqttspec run "
                                "--broker-cmd CMD --scenarios THIS_FILE."
                              : "It did NOT crash a fresh broker again: not minimised.",
                   st->crash_file, sizeof st->crash_file);
    if (snprintf(path, sizeof path, "%s/%s.report.txt", o->out_dir, id) >= (int)sizeof path)
        return;
    write_text(path, report);
    if (!reproduced)
        st->crash_file[0] = '\0'; /* written for the record, but not a reproducer */
}
