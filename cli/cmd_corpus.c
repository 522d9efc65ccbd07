/*
 * mqttspec corpus OUTDIR [--scenarios PATH]...: a seed corpus for anyone's MQTT
 * parser, one packet per file, from every packet the scenarios send or expect
 * (the walk of mqttspec/seed_walk.h, which also seeds our own fuzz targets).
 *   OUTDIR/3.1.1/<hash>, OUTDIR/5.0/<hash> (and OUTDIR/3.1/ if a scenario runs at 3.1)
 * Both directions go in one folder per version: a parser under test decides
 * what it accepts.  The file name is a hash of the bytes, so a packet that
 * comes up again is written once.
 */
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "data_dir.h"
#include "mqttspec/scenario.h"
#include "mqttspec/seed_walk.h"

enum { MAX_SCENARIO_PATHS = 64 };

typedef struct corpus_out {
    const char *dir;
    size_t written, existing, failed;
} corpus_out;

void cmd_corpus_usage(FILE *out)
{
    fputs("usage: mqttspec corpus OUTDIR [--scenarios DIR|FILE]...\n"
          "\n"
          "Writes a seed corpus for fuzzing an MQTT parser: every packet the scenarios send or expect, encoded,\n"
          "one per file, in OUTDIR/3.1.1/ and OUTDIR/5.0/ (OUTDIR/3.1/ too if a scenario runs at 3.1).\n"
          "Use it with libmqttspec_mutator (mqttspec/mutator.h; docs/fuzzing.md, \"A mutator for your own parser\").\n"
          "\n"
          "      --scenarios DIR|FILE  scenarios to read (repeatable; default: $MQTTSPEC_SCENARIOS, else the\n"
          "                            installed scenarios)\n"
          "      --help                this help\n"
          "Exit status: 0 written, 1 a file could not be written, 2 usage error or invalid scenarios.\n",
          out);
}

static void write_packet(void *ctx, mqtt_version v, mqtt_role receiver, const uint8_t *p, size_t n)
{
    (void)receiver;
    corpus_out *out = ctx;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", out->dir, mqtt_version_name(v));
    if (n == 0 || mqs_seed_mkdir(path, "mqttspec corpus") != 0) {
        out->failed += n != 0;
        return;
    }
    snprintf(path, sizeof path, "%s/%s/%016llx", out->dir, mqtt_version_name(v), (unsigned long long)mqs_seed_hash(p, n));
    struct stat st;
    if (stat(path, &st) == 0) { /* this packet again, from this run or an earlier one */
        out->existing++;
        return;
    }
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(p, 1, n, f) == n;
    if (f && fclose(f) != 0)
        ok = false;
    if (ok)
        out->written++;
    else
        out->failed++;
}

static int parse(int argc, char **argv, const char **outdir, const char **paths, size_t *npaths)
{
    static const struct option long_opts[] = {{"scenarios", required_argument, NULL, 's'},
                                              {"help", no_argument, NULL, 'H'},
                                              {NULL, 0, NULL, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        if (c == 'H') {
            cmd_corpus_usage(stdout);
            return 1;
        }
        if (c != 's' || *npaths == MAX_SCENARIO_PATHS) {
            cmd_corpus_usage(stderr);
            return -1;
        }
        paths[(*npaths)++] = optarg;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "mqttspec corpus: give one OUTDIR\n");
        cmd_corpus_usage(stderr);
        return -1;
    }
    *outdir = argv[optind];
    return 0;
}

int cmd_corpus(int argc, char **argv)
{
    const char *paths[MAX_SCENARIO_PATHS];
    size_t npaths = 0;
    corpus_out out = {0};
    int p = parse(argc, argv, &out.dir, paths, &npaths);
    if (p != 0)
        return p > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    static char installed[4096];
    if (npaths == 0)
        paths[npaths++] = getenv("MQTTSPEC_SCENARIOS") ? getenv("MQTTSPEC_SCENARIOS")
                                                      : data_dir_find("scenarios", installed, sizeof installed);
    mqs_scenario_set set = {0};
    int bad = mqs_scenarios_discover(paths, npaths, &set, stderr);
    if (bad || set.count == 0) {
        fprintf(stderr, "mqttspec corpus: %d scenario file(s) invalid, %zu loaded\n", bad, set.count);
        mqs_scenarios_free(&set);
        return CLI_EXIT_USAGE;
    }
    if (mqs_seed_mkdir(out.dir, "mqttspec corpus") != 0) {
        mqs_scenarios_free(&set);
        return CLI_EXIT_FAIL;
    }
    const mqs_seed_sink sink = {.ctx = &out, .packet = write_packet};
    for (size_t i = 0; i < set.count; i++)
        for (int k = 0; k < set.items[i].nversions; k++)
            mqs_seed_walk(&set.items[i], set.items[i].versions[k], &sink);
    printf("mqttspec corpus: %zu scenarios, %zu packet files written to %s (%zu packets were there already)\n",
           set.count, out.written, out.dir, out.existing);
    mqs_scenarios_free(&set);
    if (out.failed)
        fprintf(stderr, "mqttspec corpus: %zu files could not be written\n", out.failed);
    return out.failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
