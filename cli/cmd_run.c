/*
 * mqttspec run / list: select scenarios, run them against a target, write
 * reports.  Exit: 0 nothing FAILed, 1 a FAIL or ERROR, 2 usage or scenario
 * errors, 3 target unreachable.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mqttspec/engine.h"
#include "embedded_sim.h"
#include "run_report.h"

#ifndef MQTTSPEC_SCENARIO_DIR
#define MQTTSPEC_SCENARIO_DIR "scenarios"
#endif
enum { EXIT_UNREACHABLE = 3 };

#define MAX_SELECT 64

typedef struct run_args {
    const char *target;
    const char *scenarios[MAX_SELECT];
    size_t nscenarios;
    unsigned versions;
    const char *ids[MAX_SELECT], *tags[MAX_SELECT], *excludes[MAX_SELECT];
    size_t nids, ntags, nexcludes;
    cli_reports reports;
    bool quiet;
    sim_quirk_set sim_quirks; /* quirks of the embedded broker-sim */
    mqs_run_opts opts;
} run_args;

void cmd_run_usage(FILE *out)
{
    fputs("usage: mqttspec run [--target mqtt://HOST:PORT|mqtts://HOST:PORT] [OPTIONS]\n"
          "       (without --target: against broker-sim, started on a free loopback port)\n"
          "       mqttspec list [SELECTION]   (id, versions, role, title)\n"
          "\n"
          "selection:\n"
          "  -V, --protocol-version V  3.1.1, 5.0 or all (default all; repeatable)\n"
          "      --id ID               scenario id or glob (repeatable)\n"
          "      --tag TAG             scenarios with this tag (repeatable)\n"
          "      --exclude PATTERN     skip ids or tags matching the glob (repeatable)\n"
          "      --scenarios DIR|FILE  where scenarios are (repeatable; default: " MQTTSPEC_SCENARIO_DIR ")\n"
          "                            run skips server-role scenarios: 'mqttspec sim --scenario' plays those\n"
          "run:\n"
          "  -j, --jobs N              cases in parallel (default 8 x cores, at most 64)\n"
          "  -u, --username USER       user name for every connection\n"
          "  -P, --pw PASS             password for every connection\n"
          "      --cafile F            CA certificates to verify the target (mqtts)\n"
          "      --cert F --key F      client certificate and key (mqtts)\n"
          "      --sni NAME            TLS server name (default: the URL host)\n"
          "      --insecure            do not verify the target's certificate\n"
          "      --lacks CAPS          capabilities the target lacks, e.g. qos2,retain (cases needing them SKIP)\n"
          "      --junit F --json F --md F   reports\n"
          "      --trace DIR           a transcript file per case\n"
          "      --sim-quirk NAME      give the embedded broker-sim this quirk (repeatable; see 'mqttspec sim --list-quirks')\n"
          "      --max-packet-size BYTES  largest packet accepted from the target (default 16777216; a bigger one\n"
          "                            is an ERROR naming this limit; see docs/robustness.md)\n"
          "  -q, --quiet               no progress line, only the summary\n"
          "\n"
          "Exit status: 0 nothing failed, 1 a FAIL or ERROR, 2 usage or scenario error, 3 target unreachable.\n",
          out);
}

static int add_select(const char **list, size_t *n, const char *value)
{
    if (*n == MAX_SELECT) {
        fprintf(stderr, "mqttspec: too many selections\n");
        return -1;
    }
    list[(*n)++] = value;
    return 0;
}

static int add_version(run_args *a, const char *value)
{
    if (strcmp(value, "all") == 0) {
        a->versions = 0;
        return 0;
    }
    mqtt_version v = mqs_version_parse(value);
    if (v == MQTT_VERSION_UNKNOWN) {
        fprintf(stderr, "mqttspec: unknown protocol version '%s' (use 3.1.1, 5.0 or all)\n", value);
        return -1;
    }
    a->versions |= 1u << v;
    return 0;
}

enum {
    OPT_ID = 256, OPT_TAG, OPT_EXCLUDE, OPT_SCENARIOS, OPT_JUNIT, OPT_JSON, OPT_MD, OPT_TRACE, OPT_CAFILE,
    OPT_CERT, OPT_KEY, OPT_SNI, OPT_INSECURE, OPT_LACKS, OPT_TARGET, OPT_SIM_QUIRK,
    OPT_MAX_PACKET
};

static const struct option long_opts[] = {
    {"target", required_argument, NULL, OPT_TARGET}, {"protocol-version", required_argument, NULL, 'V'},
    {"id", required_argument, NULL, OPT_ID},         {"tag", required_argument, NULL, OPT_TAG},
    {"exclude", required_argument, NULL, OPT_EXCLUDE}, {"scenarios", required_argument, NULL, OPT_SCENARIOS},
    {"jobs", required_argument, NULL, 'j'},          {"username", required_argument, NULL, 'u'},
    {"pw", required_argument, NULL, 'P'},            {"cafile", required_argument, NULL, OPT_CAFILE},
    {"cert", required_argument, NULL, OPT_CERT},     {"key", required_argument, NULL, OPT_KEY},
    {"sni", required_argument, NULL, OPT_SNI},       {"insecure", no_argument, NULL, OPT_INSECURE},
    {"lacks", required_argument, NULL, OPT_LACKS},   {"junit", required_argument, NULL, OPT_JUNIT},
    {"json", required_argument, NULL, OPT_JSON},     {"md", required_argument, NULL, OPT_MD},
    {"trace", required_argument, NULL, OPT_TRACE},   {"quiet", no_argument, NULL, 'q'},
    {"sim-quirk", required_argument, NULL, OPT_SIM_QUIRK},
    {"max-packet-size", required_argument, NULL, OPT_MAX_PACKET},
    {"help", no_argument, NULL, 'h'},                {NULL, 0, NULL, 0},
};

static int parse_jobs(run_args *a, const char *value)
{
    char *end;
    long n = strtol(value, &end, 10);
    if (*end || n < 1 || n > 1024) {
        fprintf(stderr, "mqttspec: -j needs a number 1..1024\n");
        return -1;
    }
    a->opts.jobs = (int)n;
    return 0;
}

/* 64 bytes up to the protocol's largest packet (remaining length 268435455 + 5 header bytes). */
static int parse_max_packet(run_args *a, const char *value)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(value, &end, 10);
    if (errno || end == value || *end || value[0] == '-' || n < 64 || n > MQTT_MAX_REMAINING_LENGTH + 5ull) {
        fprintf(stderr, "mqttspec: --max-packet-size needs a number of bytes 64..%u\n", MQTT_MAX_REMAINING_LENGTH + 5u);
        return -1;
    }
    a->opts.max_packet_size = (uint32_t)n;
    return 0;
}

/* One option; -1 on a usage error, 1 for --help. */
static int take_option(run_args *a, int opt, const char *arg)
{
    char err[128];
    switch (opt) {
    case OPT_TARGET: a->target = arg; return 0;
    case 'V': return add_version(a, arg);
    case OPT_ID: return add_select(a->ids, &a->nids, arg);
    case OPT_TAG: return add_select(a->tags, &a->ntags, arg);
    case OPT_EXCLUDE: return add_select(a->excludes, &a->nexcludes, arg);
    case OPT_SCENARIOS: return add_select(a->scenarios, &a->nscenarios, arg);
    case 'j': return parse_jobs(a, arg);
    case 'u': a->opts.target.username = arg; return 0;
    case 'P': a->opts.target.password = arg; return 0;
    case OPT_CAFILE: a->opts.target.tls.cafile = arg; return 0;
    case OPT_CERT: a->opts.target.tls.certfile = arg; return 0;
    case OPT_KEY: a->opts.target.tls.keyfile = arg; return 0;
    case OPT_SNI: a->opts.target.tls.sni = arg; return 0;
    case OPT_INSECURE: a->opts.target.tls.insecure = true; return 0;
    case OPT_LACKS:
        if (mqs_capabilities_parse(arg, &a->opts.lacks, err, sizeof err) < 0) {
            fprintf(stderr, "mqttspec: --lacks: %s\n", err);
            return -1;
        }
        return 0;
    case OPT_JUNIT: a->reports.junit = arg; return 0;
    case OPT_JSON: a->reports.json = arg; return 0;
    case OPT_MD: a->reports.md = arg; return 0;
    case OPT_TRACE: a->reports.trace = arg; return 0;
    case 'q': a->quiet = true; return 0;
    case OPT_SIM_QUIRK: return embedded_sim_add_quirk(&a->sim_quirks, arg);
    case OPT_MAX_PACKET: return parse_max_packet(a, arg);
    case 'h': return 1;
    default: return -1;
    }
}

static int parse_args(run_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    mqs_run_opts_init(&a->opts);
    optind = 1;
    opterr = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "V:j:u:P:qh", long_opts, NULL)) != -1) {
        int rc = take_option(a, opt, optarg);
        if (rc)
            return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "mqttspec: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (a->nscenarios == 0) /* the installed or source-tree set, unless MQTTSPEC_SCENARIOS names another */
        a->scenarios[a->nscenarios++] = getenv("MQTTSPEC_SCENARIOS") ? getenv("MQTTSPEC_SCENARIOS") : MQTTSPEC_SCENARIO_DIR;
    return 0;
}

static int load_scenarios(const run_args *a, mqs_scenario_set *set, mqs_filter *filter)
{
    int bad = mqs_scenarios_discover(a->scenarios, a->nscenarios, set, stderr);
    if (bad) {
        fprintf(stderr, "mqttspec: %d scenario file(s) invalid\n", bad);
        return -1;
    }
    if (set->count == 0) {
        fprintf(stderr, "mqttspec: no scenarios found in %s%s\n", a->scenarios[0], a->nscenarios > 1 ? " ..." : "");
        return -1;
    }
    *filter = (mqs_filter){a->ids, a->nids, a->tags, a->ntags, a->excludes, a->nexcludes};
    return 0;
}

int cmd_list(int argc, char **argv)
{
    run_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc) {
        cmd_run_usage(rc > 0 ? stdout : stderr);
        return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    mqs_scenario_set set;
    mqs_filter filter;
    if (load_scenarios(&a, &set, &filter) < 0)
        return CLI_EXIT_USAGE;
    for (size_t i = 0; i < set.count; i++) {
        const mqs_scenario *sc = &set.items[i];
        if (!mqs_scenario_selected(sc, &filter))
            continue;
        char versions[32] = "";
        for (int k = 0; k < sc->nversions; k++)
            if (a.versions == 0 || (a.versions & (1u << sc->versions[k])))
                snprintf(versions + strlen(versions), sizeof versions - strlen(versions), "%s%s",
                         versions[0] ? "," : "", mqtt_version_name(sc->versions[k]));
        if (versions[0])
            printf("%-44s %-10s %-6s %s\n", sc->id, versions, mqs_role_name(sc->role), sc->title);
    }
    mqs_scenarios_free(&set);
    return CLI_EXIT_OK;
}

static int run_against(run_args *a, char *err, size_t err_cap);

/* No --target: broker-sim on a free loopback port of this process, the default target. */
static sim_broker *start_embedded_sim(run_args *a, char *url, size_t url_cap)
{
    sim_broker *b = embedded_sim_start(a->sim_quirks, url, url_cap);
    if (b)
        a->target = url;
    return b;
}

int cmd_run(int argc, char **argv)
{
    run_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc) {
        cmd_run_usage(rc > 0 ? stdout : stderr);
        return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    char err[300], sim_url[64];
    sim_broker *sim = NULL;
    if (a.target && a.sim_quirks) {
        fprintf(stderr, "mqttspec: --sim-quirk applies to the embedded broker-sim, not to --target\n");
        return CLI_EXIT_USAGE;
    }
    if (!a.target && !(sim = start_embedded_sim(&a, sim_url, sizeof sim_url)))
        return EXIT_UNREACHABLE;
    rc = run_against(&a, err, sizeof err);
    if (sim)
        sim_stop(sim);
    return rc;
}

/* Everything after the target is known. */
static int run_against(run_args *a, char *err, size_t err_cap)
{
    if (mqs_url_parse(a->target, &a->opts.target.url, err, err_cap) < 0) {
        fprintf(stderr, "mqttspec: --target: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    mqs_scenario_set set;
    mqs_filter filter;
    if (load_scenarios(a, &set, &filter) < 0)
        return CLI_EXIT_USAGE;
    if (!mqs_target_reachable(&a->opts, err, err_cap)) {
        fprintf(stderr, "mqttspec: target %s unreachable: %s\n", a->target, err);
        mqs_scenarios_free(&set);
        return EXIT_UNREACHABLE;
    }
    a->opts.progress = !a->quiet && isatty(STDERR_FILENO) && !getenv("CI");
    mqs_run run;
    cli_run_start(&run, a->target);
    int64_t t0 = mqs_now_ms();
    mqs_run_all(&set, &filter, a->versions, &a->opts, &run);
    run.duration_ms = mqs_now_ms() - t0;
    int rc = cli_run_finish(&a->reports, &run, stdout);
    mqs_run_free(&run);
    mqs_scenarios_free(&set);
    return rc;
}
