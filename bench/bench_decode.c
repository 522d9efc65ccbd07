/*
 * mqttspec-bench: decode throughput of the codec on the benchmark corpora.
 *
 * For each corpus: generate it in memory (bench/corpus.c), check that every
 * packet decodes with full validation and that re-encoding the decoded
 * packet reproduces its bytes exactly, then time N decode passes over the
 * whole corpus and report the best one.
 *
 * Role rule: mqtt_decode is role-aware, so each packet is decoded by the
 * side that can receive it.  Client-to-server corpora are decoded in the
 * server role, mixed_s2c in the client role.  `mixed` holds both directions:
 * a packet is decoded in the server role unless its type is one only a
 * server sends (CONNACK, SUBACK, UNSUBACK, PINGRESP), which is decoded in the
 * client role.  The choice is a 16-entry table indexed by the packet type,
 * built before timing; its lookup (a few instructions) is inside the
 * measured loop for every corpus alike.
 *
 * --decode-only runs one untimed pass over one corpus, for callgrind:
 *   valgrind --tool=callgrind --toggle-collect=bench_decode_pass \
 *       ./mqttspec-bench --decode-only --corpus publish_q0
 * counts only bench_decode_pass and what it calls, not corpus generation.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "corpus.h"

#ifndef MQTTSPEC_BUILD_TYPE
#define MQTTSPEC_BUILD_TYPE "unknown"
#endif

/* Keep the measured loop a real, uncloned symbol that callgrind can toggle on. */
#if defined(__clang__)
#define BENCH_NOINLINE __attribute__((noinline))
#elif defined(__GNUC__)
#define BENCH_NOINLINE __attribute__((noinline, noclone))
#else
#define BENCH_NOINLINE
#endif

#define DEFAULT_ITERATIONS 20

typedef struct bench_input {
    const uint8_t *data;
    size_t len;
    mqtt_decode_opts roles[2];             /* indexed by mqtt_role */
    const mqtt_decode_opts *by_type[16];   /* decode options per packet type */
} bench_input;

/* Where and why a decode pass stopped early. */
typedef struct bench_failure {
    size_t offset;
    mqtt_status status;
    mqtt_error err;
} bench_failure;

typedef struct bench_options {
    const char *corpus; /* NULL: all */
    unsigned iterations;
    bool decode_only;
} bench_options;

size_t bench_decode_pass(const bench_input *in, bench_failure *fail);

/* ---- the measured region ---- */

/* Decodes every packet of the corpus; returns the count, stopping at the first failure. */
BENCH_NOINLINE size_t bench_decode_pass(const bench_input *in, bench_failure *fail)
{
    const uint8_t *p = in->data;
    const uint8_t *end = p + in->len;
    size_t count = 0;
    mqtt_packet pkt;
    mqtt_error err;
    size_t used;
    while (p < end) {
        const mqtt_decode_opts *opts = in->by_type[p[0] >> 4];
        mqtt_status st = mqtt_decode(p, (size_t)(end - p), opts, &pkt, &used, &err);
        if (st != MQTT_COMPLETE) {
            fail->offset = (size_t)(p - in->data);
            fail->status = st;
            fail->err = err;
            return count;
        }
        p += used;
        count++;
    }
    return count;
}

/* ---- setup ---- */

static bool sent_only_by_server(unsigned type)
{
    return type == MQTT_CONNACK || type == MQTT_SUBACK || type == MQTT_UNSUBACK || type == MQTT_PINGRESP;
}

static void bench_input_init(bench_input *in, const corpus_info *c, const corpus_buf *b)
{
    memset(in, 0, sizeof(*in));
    in->data = b->data;
    in->len = b->len;
    for (int r = MQTT_ROLE_SERVER; r <= MQTT_ROLE_CLIENT; r++) {
        in->roles[r].version = c->version;
        in->roles[r].role = (mqtt_role)r;
        in->roles[r].max_packet_size = 0;
    }
    for (unsigned t = 0; t < 16; t++) {
        mqtt_role role = MQTT_ROLE_SERVER;
        if (c->direction == CORPUS_S2C || (c->direction == CORPUS_MIXED && sent_only_by_server(t)))
            role = MQTT_ROLE_CLIENT;
        in->by_type[t] = &in->roles[role];
    }
}

static void print_failure(const corpus_info *c, const bench_input *in, size_t index, const bench_failure *f)
{
    char msg[256];
    const uint8_t *p = in->data + f->offset;
    mqtt_err_format(&f->err, c->version, msg, sizeof(msg));
    fprintf(stderr, "mqttspec-bench: %s: packet %zu (%s, first byte 0x%02x, corpus offset %zu) did not decode: %s\n",
            c->name, index, mqtt_packet_type_name(p[0] >> 4), p[0], f->offset,
            f->status == MQTT_NEED_MORE ? "NEED_MORE (truncated?)" : msg);
}

/* One untimed pass; true if every packet of the corpus decoded. */
static bool check_decodes(const corpus_info *c, const bench_input *in)
{
    bench_failure fail;
    memset(&fail, 0, sizeof(fail)); /* status MQTT_COMPLETE unless the pass fails */
    size_t n = bench_decode_pass(in, &fail);
    if (n == c->packets)
        return true;
    if (fail.status != MQTT_COMPLETE)
        print_failure(c, in, n, &fail);
    else
        fprintf(stderr, "mqttspec-bench: %s: decoded %zu packets, expected %zu\n", c->name, n, c->packets);
    return false;
}

/* ---- re-encode check ---- */

static bool grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (*cap >= need)
        return true;
    uint8_t *p = realloc(*buf, need);
    if (!p)
        return false;
    *buf = p;
    *cap = need;
    return true;
}

/* Encodes the decoded packet and compares with the bytes it came from. */
static bool reencode_one(const bench_input *in, const uint8_t *p, size_t used, const mqtt_packet *pkt,
                         uint8_t **scratch, size_t *cap)
{
    mqtt_version version = in->roles[0].version;
    if (!grow(scratch, cap, used + 16))
        return false;
    size_t size = mqtt_encoded_size(pkt, version);
    size_t n = mqtt_encode(pkt, version, *scratch, *cap);
    return size == used && n == used && memcmp(*scratch, p, used) == 0;
}

static bool check_reencode(const corpus_info *c, const bench_input *in)
{
    uint8_t *scratch = NULL;
    size_t cap = 0;
    bool ok = true;
    size_t off = 0;
    for (size_t i = 0; ok && off < in->len; i++) {
        mqtt_packet pkt;
        mqtt_error err;
        size_t used = 0;
        const uint8_t *p = in->data + off;
        ok = mqtt_decode(p, in->len - off, in->by_type[p[0] >> 4], &pkt, &used, &err) == MQTT_COMPLETE &&
             reencode_one(in, p, used, &pkt, &scratch, &cap);
        if (!ok)
            fprintf(stderr, "mqttspec-bench: %s: packet %zu (%s, %zu bytes at offset %zu) does not re-encode to its bytes\n",
                    c->name, i, mqtt_packet_type_name(p[0] >> 4), used, off);
        off += used;
    }
    free(scratch);
    return ok;
}

/* ---- timing ---- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Best wall time of `iterations` decode passes, in ns (0 if a pass failed). */
static uint64_t time_best(const corpus_info *c, const bench_input *in, unsigned iterations)
{
    uint64_t best = UINT64_MAX;
    for (unsigned i = 0; i < iterations; i++) {
        bench_failure fail;
        uint64_t t0 = now_ns();
        size_t n = bench_decode_pass(in, &fail);
        uint64_t dt = now_ns() - t0;
        if (n != c->packets)
            return 0;
        if (dt < best)
            best = dt;
    }
    return best ? best : 1;
}

static void print_header(unsigned iterations)
{
    printf("mqttspec-bench: mqtt_decode with full validation, best of %u pass(es) per corpus (build type %s)\n", iterations,
           MQTTSPEC_BUILD_TYPE);
#ifndef __OPTIMIZE__
    fprintf(stderr, "mqttspec-bench: WARNING: built without optimization; configure with "
                    "-DCMAKE_BUILD_TYPE=Release for meaningful figures\n");
#endif
    printf("%-12s %-5s %8s %10s %10s %8s %14s\n", "corpus", "ver", "packets", "bytes", "best ms", "ns/pkt",
           "pkts/s");
}

static void print_row(const corpus_info *c, const corpus_buf *b, uint64_t best_ns)
{
    double ns = (double)best_ns;
    printf("%-12s %-5s %8zu %10zu %10.3f %8.1f %14.0f\n", c->name, mqtt_version_name(c->version), b->count, b->len,
           ns / 1e6, ns / (double)b->count, (double)b->count * 1e9 / ns);
}

/* ---- driver ---- */

/* Generates, checks and times one corpus; 0 on success. */
static int run_corpus(const corpus_info *c, const bench_options *o)
{
    corpus_buf b;
    bench_input in;
    if (corpus_generate(c, &b) != 0) {
        fprintf(stderr, "mqttspec-bench: %s: corpus generation failed (encoder)\n", c->name);
        return 1;
    }
    bench_input_init(&in, c, &b);
    int rc = 1;
    if (o->decode_only) {
        bench_failure fail;
        size_t n = bench_decode_pass(&in, &fail);
        if (n == c->packets) {
            printf("%s: %zu packets, %zu bytes decoded\n", c->name, n, b.len);
            rc = 0;
        } else {
            check_decodes(c, &in); /* reports the failure */
        }
    } else if (check_decodes(c, &in) && check_reencode(c, &in)) {
        uint64_t best = time_best(c, &in, o->iterations);
        if (best) {
            print_row(c, &b, best);
            rc = 0;
        }
    }
    corpus_buf_free(&b);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: mqttspec-bench [--corpus NAME] [--iterations N] [--decode-only]\n"
               "  --corpus NAME    run one corpus (default: all)\n"
               "  --iterations N   timed passes per corpus, the best is reported (default %d)\n"
               "  --decode-only    one untimed decode pass over --corpus NAME, no re-encode check\n"
               "                   (for callgrind --toggle-collect=bench_decode_pass)\n"
               "corpora:\n",
            DEFAULT_ITERATIONS);
    for (size_t i = 0; i < corpus_count(); i++)
        fprintf(f, "  %-12s %s\n", corpus_at(i)->name, corpus_at(i)->description);
}

static bool parse_uint(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v == 0 || v > 1000000ul || s[0] == '-')
        return false;
    *out = (unsigned)v;
    return true;
}

/* 0 on success, 1 for --help, 2 on a usage error (reported). */
static int parse_args(int argc, char **argv, bench_options *o)
{
    o->corpus = NULL;
    o->iterations = DEFAULT_ITERATIONS;
    o->decode_only = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (strcmp(a, "--decode-only") == 0) {
            o->decode_only = true;
        } else if (strcmp(a, "--corpus") == 0 && value && corpus_find(value)) {
            o->corpus = argv[++i];
        } else if (strcmp(a, "--iterations") == 0 && value && parse_uint(value, &o->iterations)) {
            i++;
        } else {
            bool takes_value = strcmp(a, "--corpus") == 0 || strcmp(a, "--iterations") == 0;
            fprintf(stderr, "mqttspec-bench: bad argument: %s %s\n", a, takes_value && value ? value : "");
            return 2;
        }
    }
    if (o->decode_only && !o->corpus) {
        fprintf(stderr, "mqttspec-bench: --decode-only needs --corpus NAME\n");
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_options o;
    int rc = parse_args(argc, argv, &o);
    if (rc == 1) {
        usage(stdout);
        return 0;
    }
    if (rc != 0) {
        fprintf(stderr, "mqttspec-bench: see --help for the options and corpora\n");
        return 2;
    }
    if (!o.decode_only)
        print_header(o.iterations);
    if (o.corpus)
        return run_corpus(corpus_find(o.corpus), &o);
    int failed = 0;
    for (size_t i = 0; i < corpus_count(); i++)
        failed |= run_corpus(corpus_at(i), &o);
    return failed ? 1 : 0;
}
