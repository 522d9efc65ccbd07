/*
 * mqttspec fuzz: stateful network fuzzing of a broker (docs/network-fuzzing.md).
 * Without --target it fuzzes broker-sim, started on a free loopback port.
 * Exit: 0 the target stayed alive (findings, if any, are in --out), 1 the
 * target crashed or hung (or a finding with --fail-on-finding), 2 usage,
 * 3 target unreachable.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "cli.h"
#include "mqttspec/netfuzz.h"
#include "data_dir.h"
#include "mqttspec/scenario.h"
#include "embedded_sim.h"
#include "mqttspec/probe.h"
#include "options.h"
#include "run_report.h"
#include "supervised_fuzz.h"

enum { EXIT_UNREACHABLE = 3 };

void cmd_fuzz_usage(FILE *out)
{
    fputs("usage: mqttspec fuzz [-h HOST] [-p PORT] [-L URL | --target mqtt://HOST:PORT] --duration SECONDS [OPTIONS]\n"
          "       (without a target: against broker-sim, started on a free loopback port)\n"
          "\n"
          "  -h, --host HOST           the broker's host (default localhost when -p is given)\n"
          "  -p, --port PORT           its port (default 1883)\n"
          "  -L, --url URL             mqtt://HOST[:PORT][/TOPIC], as mosquitto's clients (the topic is ignored)\n"
          "  -d, --duration SECONDS    how long to fuzz (required; minimisation of findings comes after)\n"
          "  -s, --seed N              the cases are a function of the seed (default: random, printed)\n"
          "  -o, --out DIR             where findings go as scenario files (default ./fuzz-findings)\n"
          "  -c, --connections N       fuzz connections in parallel (default 16; a probe connection is one more)\n"
          "  -V, --protocol-version V  3.1.1 or 5.0 (also mqttv311, 311, mqttv5, 5; repeatable; default both)\n"
          "      --batch N             valid cases pipelined before a PINGREQ (default 32, at most 63)\n"
          "      --wait-ms MS          wait for a CONNACK or a batch's PINGRESP (default 2000)\n"
          "      --reaction-ms MS      wait for the reaction to a malformed case (default 1000)\n"
          "      --hang-ms MS          the probe's PINGREQ unanswered this long is a hang (default 5000)\n"
          "      --ping-ms MS          probe PINGREQ period (default 200)\n"
          "      --min-tries N         replays the minimiser may spend per finding (default 300)\n"
          "      --min-seconds S       time the minimiser may spend per finding (default 20)\n"
          "      --max-findings N      signatures minimised and written (default 50)\n"
          "      --no-verify           do not replay written scenarios with the engine\n"
          "      --fail-on-finding     exit 1 on a finding too, not only on a crash or hang\n"
          "      --scenarios DIR|FILE  session cases start inside the connections of these client-role scenarios\n"
          "                            (repeatable; default: $MQTTSPEC_SCENARIOS, else the installed set)\n"
          "      --no-sessions         no session cases\n"
          "      --stall-hold-ms MS    a client that publishes QoS 1/2 and stops reading holds each connection\n"
          "                            this long (default 3000; 0: no such client)\n"
          "      --sim-quirk NAME      give the embedded broker-sim this quirk (repeatable)\n"
          "      --broker-cmd CMD      start the broker under test ({port} in CMD: a free loopback port), watch it:\n"
          "                            a death, a sanitizer report or memory growth is a crash, replayed\n"
          "                            against fresh brokers and minimised, then fuzzing goes on\n"
          "      --broker-out DIR      its stdout and stderr (default OUT/broker)\n"
          "      --rss-bound KB        its RSS growing more within --rss-window-ms is a finding (default: off)\n"
          "      --rss-window-ms MS    (default 10000)\n"
          "      --stop-on-crash       end the campaign after the first crash is minimised (CI)\n"
          "  -q, --quiet               no progress lines\n"
          "      --help                this help\n"
          "\n"
          "Findings: one scenario per signature in DIR (replay: mqttspec run --target URL --scenarios DIR),\n"
          "DIR/summary.txt, and a line per finding on stdout.  A crash or hang writes DIR/fuzz-liveness-SEED.json.\n"
          "Exit status: 0 the target stayed alive, 1 it crashed or hung, 2 usage error, 3 target unreachable\n"
          "(or it answered no PINGREQ at all, e.g. closing every connection: nothing was fuzzed).\n",
          out);
}

typedef struct fuzz_args {
    cli_target tgt;
    bool have_seed, have_duration, fail_on_finding, stop_on_crash;
    sim_quirk_set quirks;
    mqs_sup_opts sup; /* --broker-cmd ... */
    char broker_out[1024];
    nf_options o;
    const char *scenarios[16]; /* --scenarios */
    size_t nscenarios;
    bool no_sessions;
    mqs_scenario_set sessions;
} fuzz_args;

enum {
    OPT_TARGET = 256, OPT_BATCH, OPT_WAIT, OPT_REACTION, OPT_HANG, OPT_PING, OPT_MIN_TRIES, OPT_MIN_SECONDS, OPT_MAX_FINDINGS,
    OPT_NO_VERIFY, OPT_FAIL_ON_FINDING, OPT_SIM_QUIRK, OPT_HELP, OPT_BROKER_CMD, OPT_BROKER_OUT, OPT_RSS_BOUND,
    OPT_RSS_WINDOW, OPT_STOP_ON_CRASH, OPT_SCENARIOS, OPT_NO_SESSIONS, OPT_STALL_HOLD
};

static const struct option long_opts[] = {
    {"target", required_argument, NULL, OPT_TARGET},
    {"host", required_argument, NULL, 'h'},
    {"port", required_argument, NULL, 'p'},
    {"url", required_argument, NULL, 'L'},
    {"duration", required_argument, NULL, 'd'},
    {"seed", required_argument, NULL, 's'},
    {"out", required_argument, NULL, 'o'},
    {"connections", required_argument, NULL, 'c'},
    {"protocol-version", required_argument, NULL, 'V'},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"wait-ms", required_argument, NULL, OPT_WAIT},
    {"reaction-ms", required_argument, NULL, OPT_REACTION},
    {"hang-ms", required_argument, NULL, OPT_HANG},
    {"ping-ms", required_argument, NULL, OPT_PING},
    {"min-tries", required_argument, NULL, OPT_MIN_TRIES},
    {"min-seconds", required_argument, NULL, OPT_MIN_SECONDS},
    {"max-findings", required_argument, NULL, OPT_MAX_FINDINGS},
    {"no-verify", no_argument, NULL, OPT_NO_VERIFY},
    {"fail-on-finding", no_argument, NULL, OPT_FAIL_ON_FINDING},
    {"sim-quirk", required_argument, NULL, OPT_SIM_QUIRK},
    {"broker-cmd", required_argument, NULL, OPT_BROKER_CMD},
    {"broker-out", required_argument, NULL, OPT_BROKER_OUT},
    {"rss-bound", required_argument, NULL, OPT_RSS_BOUND},
    {"rss-window-ms", required_argument, NULL, OPT_RSS_WINDOW},
    {"stop-on-crash", no_argument, NULL, OPT_STOP_ON_CRASH},
    {"scenarios", required_argument, NULL, OPT_SCENARIOS},
    {"no-sessions", no_argument, NULL, OPT_NO_SESSIONS},
    {"stall-hold-ms", required_argument, NULL, OPT_STALL_HOLD},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* An integer option in [lo, hi]; -1 with a message otherwise. */
static int int_arg(const char *name, const char *value, long lo, long hi, int *out)
{
    long n;
    if (cli_number_arg(name, value, lo, hi, &n) < 0)
        return -1;
    *out = (int)n;
    return 0;
}

static int take_option(void *ctx, int opt, const char *arg)
{
    fuzz_args *a = ctx;
    char *end;
    switch (opt) {
    case OPT_TARGET: a->tgt.target = arg; return 0;
    case 'h': a->tgt.host = arg; return 0;
    case 'p': a->tgt.port = arg; return 0;
    case 'L': a->tgt.url_l = arg; return 0;
    case 'd': {
        double d = strtod(arg, &end);
        if (!*arg || *end || d <= 0 || d > 7 * 86400) {
            fprintf(stderr, "mqttspec: --duration needs seconds (0 < d <= 604800)\n");
            return -1;
        }
        a->o.duration_s = d;
        a->have_duration = true;
        return 0;
    }
    case 's':
        a->have_seed = true;
        return cli_seed_arg(arg, &a->o.seed);
    case 'o': a->o.out_dir = arg; return 0;
    case 'c': return int_arg("--connections", arg, 1, 256, &a->o.connections);
    case 'V': {
        mqtt_version v = cli_version_parse(arg);
        if (v != MQTT_V311 && v != MQTT_V5) {
            fprintf(stderr, "mqttspec: --protocol-version %s: fuzz speaks 3.1.1 or 5.0\n", arg);
            return -1;
        }
        a->o.versions |= 1u << v;
        return 0;
    }
    case OPT_BATCH: return int_arg("--batch", arg, 1, NF_REPRO_MAX - 1, &a->o.batch);
    case OPT_WAIT: return int_arg("--wait-ms", arg, 10, 600000, &a->o.wait_ms);
    case OPT_REACTION: return int_arg("--reaction-ms", arg, 10, 600000, &a->o.reaction_ms);
    case OPT_HANG: return int_arg("--hang-ms", arg, 100, 600000, &a->o.hang_ms);
    case OPT_PING: return int_arg("--ping-ms", arg, 10, 60000, &a->o.ping_ms);
    case OPT_MIN_TRIES: return int_arg("--min-tries", arg, 0, 100000, &a->o.min_tries);
    case OPT_MIN_SECONDS: return int_arg("--min-seconds", arg, 0, 3600, &a->o.min_seconds);
    case OPT_MAX_FINDINGS: return int_arg("--max-findings", arg, 0, 10000, &a->o.max_findings);
    case OPT_NO_VERIFY: a->o.verify = false; return 0;
    case OPT_FAIL_ON_FINDING: a->fail_on_finding = true; return 0;
    case OPT_SIM_QUIRK: return embedded_sim_add_quirk(&a->quirks, arg);
    case OPT_BROKER_CMD: a->sup.cmd = arg; return 0;
    case OPT_BROKER_OUT: a->sup.out_dir = arg; return 0;
    case OPT_RSS_BOUND: {
        int kb = 0;
        int rc = int_arg("--rss-bound", arg, 1, 1 << 30, &kb);
        if (rc == 0)
            a->sup.rss_bound_kb = kb;
        return rc;
    }
    case OPT_STOP_ON_CRASH: a->stop_on_crash = true; return 0;
    case OPT_NO_SESSIONS: a->no_sessions = true; return 0;
    case OPT_STALL_HOLD: return int_arg("--stall-hold-ms", arg, 0, 600000, &a->o.stall_hold_ms);
    case OPT_SCENARIOS:
        if (a->nscenarios == sizeof a->scenarios / sizeof a->scenarios[0]) {
            fprintf(stderr, "mqttspec: too many --scenarios\n");
            return -1;
        }
        a->scenarios[a->nscenarios++] = arg;
        return 0;
    case OPT_RSS_WINDOW: return int_arg("--rss-window-ms", arg, 100, 3600000, &a->sup.rss_window_ms);
    case 'q': a->o.quiet = true; return 0;
    case OPT_HELP: return 1;
    default: return -1;
    }
}

static int parse_args(fuzz_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    nf_options_init(&a->o);
    int rc = cli_parse_options(argc, argv, "d:s:o:c:V:qh:p:L:", long_opts, take_option, a);
    if (rc)
        return rc;
    if (cli_no_operands(argc, argv) < 0)
        return -1;
    if (!a->have_duration) {
        fprintf(stderr, "mqttspec: fuzz needs --duration SECONDS\n");
        return -1;
    }
    if (cli_target_resolve(&a->tgt, "fuzz") < 0)
        return -1;
    if (a->no_sessions && a->nscenarios) {
        fprintf(stderr, "mqttspec: --scenarios and --no-sessions contradict each other\n");
        return -1;
    }
    if (a->stop_on_crash && !a->sup.cmd) {
        fprintf(stderr, "mqttspec: --stop-on-crash goes with --broker-cmd\n");
        return -1;
    }
    if (a->sup.cmd && (a->tgt.url[0] || a->quirks)) {
        fprintf(stderr, "mqttspec: --broker-cmd starts the target: it goes with no target and no --sim-quirk\n");
        return -1;
    }
    if (a->tgt.url[0] && a->quirks) {
        fprintf(stderr, "mqttspec: --sim-quirk applies to the embedded broker-sim, not to a target\n");
        return -1;
    }
    /* Findings are the point of fuzzing: an output folder that cannot be written is found now, not after the run. */
    if (cli_check_output("--out", a->o.out_dir, CLI_OUT_TREE) < 0)
        return -1;
    if (a->sup.cmd && !a->sup.out_dir) {
        snprintf(a->broker_out, sizeof a->broker_out, "%s/broker", a->o.out_dir);
        a->sup.out_dir = a->broker_out;
    }
    return a->sup.cmd && cli_check_output("--broker-out", a->sup.out_dir, CLI_OUT_TREE) < 0 ? -1 : 0;
}

/*
 * The same pre-flight as run (docs/profile.md): a target that is not MQTT, or
 * refuses our login, stops here with exit 3; versions it does not serve are
 * not fuzzed.
 */
static int preflight(fuzz_args *a, const char *url)
{
    mqs_probe_opts po = {.url = a->o.url, .versions = a->o.versions, .interrupted = NULL};
    mqs_profile profile;
    mqs_profile_init(&profile, url);
    mqs_probe(&po, &profile);
    const char *why = "";
    mqs_preflight fatal = mqs_profile_fatal(&profile, &why);
    if (fatal != MQS_PF_OK) {
        fprintf(stderr, fatal == MQS_PF_UNREACHABLE ? "mqttspec: target %s unreachable: %s\n" : "mqttspec: %s: %s\n",
                url, why);
        return EXIT_UNREACHABLE;
    }
    static const mqtt_version ours[] = {MQTT_V311, MQTT_V5};
    for (size_t i = 0; i < 2; i++) {
        const char *skip = mqs_profile_version_skip(&profile, ours[i]);
        if (skip && (a->o.versions & (1u << ours[i]))) {
            printf("mqttspec fuzz: not fuzzing MQTT %s: %s\n", mqtt_version_name(ours[i]), skip);
            a->o.versions &= ~(1u << ours[i]);
        }
    }
    return 0;
}

static void print_stall(const nf_options *o, const nf_stats *st)
{
    if (o->stall_hold_ms > 0)
        printf("mqttspec fuzz: a client that stops reading: %llu connections, %llu bytes taken, the target stopped "
               "taking them %llu times\n",
               (unsigned long long)st->stall_connections, (unsigned long long)st->stall_bytes,
               (unsigned long long)st->stall_full);
}

/*
 * --broker-cmd: campaigns one after another until the time is up.  A crash ends a campaign: it is
 * minimised against fresh brokers (nf_run), the broker restarted, and the next campaign goes on with the
 * next seed.  Exit 1 if any crash was found.
 */
static int supervised_campaign(fuzz_args *a, sfuzz *sup, nf_stats *st)
{
    double total = a->o.duration_s, left = total; /* wall time: minimising and restarting count too */
    int64_t t0 = mqs_now_ms();
    uint64_t seed0 = a->o.seed;
    unsigned crashes = 0, minimised = 0;
    double fuzzed = 0; /* seconds spent fuzzing, minimisation left out: the time to find */
    for (unsigned round = 0; left > 0.5; round++) {
        a->o.duration_s = left;
        a->o.seed = seed0 + round;
        int rc = nf_run(&a->o, st);
        if (rc < 0)
            return EXIT_UNREACHABLE;
        left = total - (double)(mqs_now_ms() - t0) / 1000.0;
        fuzzed += st->seconds;
        printf("mqttspec fuzz: seed %llu: %llu cases in %.1f s, %u findings\n", (unsigned long long)a->o.seed,
               (unsigned long long)st->cases, st->seconds, st->findings);
        print_stall(&a->o, st);
        if (!st->liveness_failed)
            break;
        crashes++;
        if (st->crash_duplicate)
            printf("mqttspec fuzz: CRASH after %.1f s of fuzzing (seen before, not minimised again): %s\n",
                   fuzzed, st->crash_key);
        else if (st->crash_file[0]) {
            minimised++;
            printf("mqttspec fuzz: CRASH after %.1f s of fuzzing: %s\nmqttspec fuzz: minimised in %u replays to %u "
                   "connection(s), %u packet(s), %zu bytes: %s (the broker's report beside it)\n",
                   fuzzed, st->crash_key, st->crash_tries, st->crash_conns, st->crash_packets,
                   st->crash_bytes, st->crash_file);
        } else
            printf("mqttspec fuzz: CRASH after %.1f s of fuzzing, NOT reproduced on a fresh broker (%u replays): %s; "
                   "cases: %s\n",
                   fuzzed, st->crash_tries, st->crash_key, st->liveness_file);
        fflush(stdout);
        if (a->stop_on_crash && st->crash_file[0])
            break;
        if (sfuzz_restart(sup) < 0)
            return EXIT_UNREACHABLE;
    }
    printf("mqttspec fuzz: %u crashes, %u minimised and written to %s\n", crashes, minimised, a->o.out_dir);
    return crashes ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/*
 * The scenarios session cases start from.  Named with --scenarios, they must load (exit 2 otherwise); the
 * default set is used when it is there, with a note when it is not.
 */
static int fuzz_target(fuzz_args *a);

static int load_sessions(fuzz_args *a)
{
    static char installed[4096];
    if (a->no_sessions)
        return 0;
    bool named = a->nscenarios > 0;
    if (!named)
        a->scenarios[a->nscenarios++] = getenv("MQTTSPEC_SCENARIOS") ? getenv("MQTTSPEC_SCENARIOS")
                                                                      : data_dir_find("scenarios", installed, sizeof installed);
    FILE *errors = named ? stderr : NULL;
    int bad = mqs_scenarios_discover(a->scenarios, a->nscenarios, &a->sessions, errors);
    if (named && (bad || a->sessions.count == 0)) {
        fprintf(stderr, "mqttspec: --scenarios: %d file(s) invalid, %zu loaded\n", bad, a->sessions.count);
        return -1;
    }
    if (a->sessions.count == 0) {
        printf("mqttspec fuzz: no session cases (no scenarios found; --scenarios DIR names them)\n");
        return 0;
    }
    a->o.sessions = &a->sessions;
    size_t client_role = 0;
    for (size_t i = 0; i < a->sessions.count; i++)
        client_role += a->sessions.items[i].role == MQS_ROLE_CLIENT;
    printf("mqttspec fuzz: session cases start inside the connections of %zu client-role scenarios\n", client_role);
    return 0;
}

int cmd_fuzz(int argc, char **argv)
{
    fuzz_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc) {
        if (rc > 0)
            cmd_fuzz_usage(stdout);
        return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    if (!a.have_seed)
        a.o.seed = cli_random_seed();
    if (load_sessions(&a) < 0) {
        mqs_scenarios_free(&a.sessions);
        return CLI_EXIT_USAGE;
    }
    rc = fuzz_target(&a);
    mqs_scenarios_free(&a.sessions);
    return rc;
}

static int fuzz_target(fuzz_args *a)
{
    int rc;
    sim_broker *sim = NULL;
    char url[300], err[300];
    sfuzz *sup = NULL;
    if (a->sup.cmd) {
        if (!(sup = sfuzz_start(&a->sup, url, sizeof url)))
            return EXIT_UNREACHABLE;
        a->o.sup = sfuzz_supervisor(sup);
    } else if (a->tgt.url[0]) {
        snprintf(url, sizeof url, "%s", a->tgt.url);
    } else if (!(sim = embedded_sim_start(a->quirks, url, sizeof url))) {
        return EXIT_UNREACHABLE;
    }
    if (mqs_url_parse(url, &a->o.url, err, sizeof err) < 0) {
        fprintf(stderr, "mqttspec: --target: %s\n", err);
        if (sim)
            sim_stop(sim);
        sfuzz_stop(sup);
        return CLI_EXIT_USAGE;
    }
    if (a->o.url.tls) {
        fprintf(stderr, "mqttspec: fuzz speaks mqtt:// and ws:// only (no TLS)\n");
        if (sim)
            sim_stop(sim);
        sfuzz_stop(sup);
        return CLI_EXIT_USAGE;
    }
    if ((rc = preflight(a, url)) != 0) {
        if (sim)
            sim_stop(sim);
        sfuzz_stop(sup);
        return rc;
    }
    printf("mqttspec fuzz: target %s%s%s, seed %llu, %.0f s, %d connections, versions %s\n", url,
           sim ? " (embedded broker-sim)" : "", sup ? " (supervised: --broker-cmd)" : "", (unsigned long long)a->o.seed, a->o.duration_s, a->o.connections,
           a->o.versions == (1u << MQTT_V311) ? "3.1.1" : a->o.versions == (1u << MQTT_V5) ? "5.0" : "3.1.1 and 5.0");
    fflush(stdout);
    nf_stats st;
    if (sup) {
        rc = supervised_campaign(a, sup, &st);
        sfuzz_stop(sup);
        return rc;
    }
    rc = nf_run(&a->o, &st);
    if (sim)
        sim_stop(sim);
    if (rc < 0)
        return EXIT_UNREACHABLE;
    printf("mqttspec fuzz: %llu cases in %.1f s = %.0f cases/s (%llu valid, pipelined in %llu batches; %llu judged one "
           "by one), %llu connections, %llu bytes; probe: %llu PINGRESPs, slowest %lld ms\n",
           (unsigned long long)st.cases, st.seconds, st.seconds > 0 ? (double)st.cases / st.seconds : 0.0,
           (unsigned long long)st.valid, (unsigned long long)st.batches, (unsigned long long)st.judged,
           (unsigned long long)st.connections, (unsigned long long)st.bytes, (unsigned long long)st.probe_pings,
           (long long)st.probe_max_ms);
    print_stall(&a->o, &st);
    printf("mqttspec fuzz: reactions to the cases judged one by one: %llu carried on, %llu closed, %llu silent; %llu "
           "connections stalled\n",
           (unsigned long long)st.reactions[NF_R_CONTINUED], (unsigned long long)st.reactions[NF_R_CLOSED],
           (unsigned long long)st.reactions[NF_R_SILENT], (unsigned long long)st.stalls);
    printf("mqttspec fuzz: %llu reactions the spec does not allow, %u signatures: %u findings written to %s, %u not "
           "reproduced; seed %llu\n",
           (unsigned long long)st.candidates, st.signatures, st.findings, a->o.out_dir, st.unreproduced,
           (unsigned long long)a->o.seed);
    if (st.batches == 0 && st.probe_pings == 0) {
        /* Not one PINGRESP, to the probe or after a batch: every connection ended (or stalled) unanswered. */
        printf("mqttspec fuzz: NOTHING FUZZED: the target accepted %llu connections but answered no PINGREQ "
               "(closed or silent before its CONNACK?)\n",
               (unsigned long long)st.connections);
        return EXIT_UNREACHABLE;
    }
    if (st.liveness_failed) {
        printf("mqttspec fuzz: LIVENESS FAILED: %s%s%s\n", st.liveness_why, st.liveness_file[0] ? "; cases: " : "",
               st.liveness_file);
        return CLI_EXIT_FAIL;
    }
    return a->fail_on_finding && st.findings ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
