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

#include <cjson/cJSON.h>

#include "bytes.h"
#include "cli.h"
#include "mqttspec/engine.h"
#include "mqttspec/probe.h"
#include "data_dir.h"
#include "embedded_sim.h"
#include "interrupt.h"
#include "options.h"
#include "run_report.h"
#include "statements.h"
#include "supervised_run.h"

enum { EXIT_UNREACHABLE = 3 };

#define MAX_SELECT 64
enum { MAX_JOBS = 64 }; /* what the help promises */

typedef struct run_args {
    const char *target; /* the resolved URL (tgt.url), or the embedded broker-sim's */
    cli_target tgt;
    const char *password_arg, *pw_file;
    char password_buf[256];
    const char *scenarios[MAX_SELECT];
    size_t nscenarios;
    unsigned versions;
    const char *ids[MAX_SELECT], *tags[MAX_SELECT], *excludes[MAX_SELECT];
    size_t nids, ntags, nexcludes;
    const char *spec_globs[MAX_SELECT], *sections[MAX_SELECT]; /* --spec, --section */
    size_t nspec_globs, nsections;
    stmt_list statements; /* spec/mqtt*_statements.tsv, loaded once: selection and the reports' statement text */
    enum { LIST_SCENARIOS, LIST_TAGS, LIST_SPEC } list_what; /* list --tags, list --spec */
    cli_reports reports;
    bool quiet;
    bool is_probe;           /* mqttspec probe: the target may be given as the argument */
    const char *profile_in;  /* --profile: use this profile instead of probing */
    const char *profile_out; /* --profile-out: save the profile */
    sim_quirk_set sim_quirks; /* quirks of the embedded broker-sim */
    sim_variant_set sim_variants; /* its legal variants */
    srun_opts sup;           /* --broker-cmd, --broker-pid, --rss-bound */
    srun *srun;
    mqs_run_opts opts;
} run_args;

void cmd_run_usage(FILE *out)
{
    fputs("usage: mqttspec run [-h HOST] [-p PORT] [-L URL | --target URL] [OPTIONS]\n"
          "       (without a target: against broker-sim, started on a free loopback port)\n"
          "       mqttspec probe URL [OPTIONS]   (pre-flight and capability probe only: the profile)\n"
          "       mqttspec list [SELECTION]   (id, versions, role, title)\n"
          "\n"
          "target:\n"
          "  -h, --host HOST           the broker's host (default localhost when -p is given)\n"
          "  -p, --port PORT           its port (default 1883)\n"
          "  -L, --url URL             mqtt(s)://[USER[:PASSWORD]@]HOST[:PORT][/TOPIC], as mosquitto's clients\n"
          "      --target URL          mqtt://HOST:PORT or mqtts://HOST:PORT\n"
          "selection:\n"
          "  -V, --protocol-version V  " CLI_VERSION_NAMES " or all (default all; repeatable)\n"
          "      --id ID               scenario id or glob (repeatable)\n"
          "      --tag TAG             scenarios with this tag (repeatable)\n"
          "      --exclude PATTERN     skip ids or tags matching the glob (repeatable)\n"
          "      --spec GLOB           scenarios citing a statement matching GLOB, e.g. 'MQTT-3.8.*' or\n"
          "                            '5.0:MQTT-3.8.*' (the scenario's or a step's spec; repeatable)\n"
          "      --section S           scenarios citing a statement of section S, e.g. 3.8 (repeatable)\n"
          "list:\n"
          "      --tags                every tag of the selection with its count\n"
          "      --spec                (without GLOB) every statement cited, with its scenarios and text\n"
          "      --scenarios DIR|FILE  where scenarios are (repeatable; default: $MQTTSPEC_SCENARIOS, else\n"
          "                            the installed set, PREFIX/share/mqttspec/scenarios)\n"
          "                            run skips server-role scenarios: 'mqttspec sim --scenario' plays those\n"
          "run:\n"
          "  -j, --jobs N              cases in parallel, 1..64 (default 8 x cores, at most 64)\n"
          "  -u, --username USER       user name for every connection\n"
          "  -P, --pw PASS             password for every connection (visible in ps: prefer the next two)\n"
          "      --pw-file F           the password is the first line of F\n"
          "                            (without -P or --pw-file: $MQTTSPEC_PASSWORD, if set)\n"
          "      --auth-user USER      5.0 enhanced authentication (SCRAM-SHA-256) user (default: broker-sim's)\n"
          "      --auth-password PASS  its password (default: broker-sim's; never recorded)\n"
          "      --show-credentials    show user names and passwords in traces and reports (default: redacted)\n"
          "      --cafile F            CA certificates to verify the target (mqtts)\n"
          "      --cert F --key F      client certificate and key (mqtts)\n"
          "      --sni NAME            TLS server name (default: the URL host)\n"
          "      --insecure            do not verify the target's certificate\n"
          "      --lacks CAPS          capabilities the target lacks, e.g. qos2,retain (cases needing them SKIP)\n"
          "      --profile F           use this profile (docs/profile.md) instead of probing the target first\n"
          "      --profile-out F       save the profile the pre-flight probe found\n"
          "      --junit F --json F --md F   reports ('-': standard output; the summary then goes to stderr)\n"
          "      --html F              one self-contained HTML report (docs/reports.md)\n"
          "      --trace DIR           a transcript file per case\n"
          "      --pcap DIR            a capture (pcap, for Wireshark) per case that did not pass (docs/pcap.md)\n"
          "      --baseline F          expected verdicts (docs/baselines.md): print what is new, fixed, unchanged;\n"
          "                            exit 1 only when something got worse\n"
          "      --write-baseline F    write this run's verdicts as a baseline\n"
          "      --strict              a WARN fails the run (with --baseline: a WARN it does not list)\n"
          "      --sim-quirk NAME      give the embedded broker-sim this quirk (repeatable; see 'mqttspec sim --list-quirks')\n"
          "      --sim-variant NAME    give it this legal variant (repeatable; see 'mqttspec sim --list-variants')\n"
          "      --denied-topic TOPIC  a Topic Name the target does not authorize PUBLISH to (cases needing one\n"
          "                            SKIP without it; the embedded broker-sim denies " EMBEDDED_SIM_DENIED_TOPIC ")\n"
          "      --broker-cmd CMD      start the broker under test, {port} in CMD a free loopback port; watch\n"
          "                            it, restart it after a crash and go on (docs/robustness.md)\n"
          "      --broker-out DIR      its stdout and stderr, broker-N.out/.err (default ./broker-logs)\n"
          "      --broker-pid PID      the broker under test runs as PID: its memory is measured per case\n"
          "      --rss-bound KB        a case during which the broker's RSS grows more is a WARN\n"
          "      --max-packet-size BYTES  largest packet accepted from the target (default 16777216; a bigger one\n"
          "                            is an ERROR naming this limit; see docs/robustness.md)\n"
          "  -q, --quiet               no progress, only the summary (progress: a live line on a terminal,\n"
          "                            else one line per finished case)\n"
          "      --help                this help\n"
          "\n"
          "SIGINT or SIGTERM stops the run: cases not finished are NOT RUN, the reports are still written.\n"
          "After a case that saw a close or failed (or 3 s after the last check) the target must still accept\n"
          "a connection: "
          "if it does not, that case is CRASHED, the cases after it NOT RUN, and the run exits 3.\n"
          "Exit status: 0 nothing failed (with --baseline: nothing got worse), 1 a FAIL or ERROR (or a regression),\n"
          "2 usage or scenario error (or nothing selected),\n"
          "3 target unreachable or crashed during the run, 130/143 interrupted by SIGINT/SIGTERM.\n",
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
    mqtt_version v = cli_version_parse(value);
    if (v == MQTT_VERSION_UNKNOWN) {
        fprintf(stderr, "mqttspec: unknown protocol version '%s' (use " CLI_VERSION_NAMES " or all)\n", value);
        return -1;
    }
    a->versions |= 1u << v;
    return 0;
}

enum {
    OPT_ID = 256, OPT_PCAP, OPT_TAG, OPT_EXCLUDE, OPT_SCENARIOS, OPT_JUNIT, OPT_JSON, OPT_MD, OPT_TRACE, OPT_CAFILE,
    OPT_CERT, OPT_KEY, OPT_SNI, OPT_INSECURE, OPT_LACKS, OPT_TARGET, OPT_SIM_QUIRK, OPT_HELP, OPT_PW_FILE,
    OPT_SHOW_CREDENTIALS, OPT_PROFILE, OPT_PROFILE_OUT, OPT_BASELINE, OPT_WRITE_BASELINE, OPT_STRICT,
    OPT_SIM_VARIANT, OPT_MAX_PACKET, OPT_DENIED_TOPIC,
    OPT_HTML, OPT_SPEC, OPT_SECTION, OPT_LIST_TAGS,
    OPT_AUTH_USER, OPT_AUTH_PASSWORD, OPT_BROKER_CMD, OPT_BROKER_OUT, OPT_BROKER_PID, OPT_RSS_BOUND
};

static const struct option long_opts[] = {
    {"target", required_argument, NULL, OPT_TARGET}, {"protocol-version", required_argument, NULL, 'V'},
    {"host", required_argument, NULL, 'h'},          {"port", required_argument, NULL, 'p'},
    {"url", required_argument, NULL, 'L'},
    {"id", required_argument, NULL, OPT_ID},         {"tag", required_argument, NULL, OPT_TAG},
    {"exclude", required_argument, NULL, OPT_EXCLUDE}, {"scenarios", required_argument, NULL, OPT_SCENARIOS},
    {"jobs", required_argument, NULL, 'j'},          {"username", required_argument, NULL, 'u'},
    {"pw", required_argument, NULL, 'P'},            {"pw-file", required_argument, NULL, OPT_PW_FILE},
    {"show-credentials", no_argument, NULL, OPT_SHOW_CREDENTIALS},
    {"cafile", required_argument, NULL, OPT_CAFILE},
    {"cert", required_argument, NULL, OPT_CERT},     {"key", required_argument, NULL, OPT_KEY},
    {"sni", required_argument, NULL, OPT_SNI},       {"insecure", no_argument, NULL, OPT_INSECURE},
    {"lacks", required_argument, NULL, OPT_LACKS},   {"junit", required_argument, NULL, OPT_JUNIT},
    {"json", required_argument, NULL, OPT_JSON},     {"md", required_argument, NULL, OPT_MD},
    {"trace", required_argument, NULL, OPT_TRACE},   {"quiet", no_argument, NULL, 'q'},
    {"pcap", required_argument, NULL, OPT_PCAP},
    {"sim-quirk", required_argument, NULL, OPT_SIM_QUIRK},
    {"sim-variant", required_argument, NULL, OPT_SIM_VARIANT},
    {"profile", required_argument, NULL, OPT_PROFILE}, {"profile-out", required_argument, NULL, OPT_PROFILE_OUT},
    {"baseline", required_argument, NULL, OPT_BASELINE}, {"write-baseline", required_argument, NULL, OPT_WRITE_BASELINE},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"max-packet-size", required_argument, NULL, OPT_MAX_PACKET},
    {"denied-topic", required_argument, NULL, OPT_DENIED_TOPIC},
    {"html", required_argument, NULL, OPT_HTML},     {"spec", required_argument, NULL, OPT_SPEC},
    {"section", required_argument, NULL, OPT_SECTION}, {"tags", no_argument, NULL, OPT_LIST_TAGS},
    {"auth-user", required_argument, NULL, OPT_AUTH_USER},
    {"auth-password", required_argument, NULL, OPT_AUTH_PASSWORD},
    {"broker-cmd", required_argument, NULL, OPT_BROKER_CMD}, {"broker-out", required_argument, NULL, OPT_BROKER_OUT},
    {"broker-pid", required_argument, NULL, OPT_BROKER_PID}, {"rss-bound", required_argument, NULL, OPT_RSS_BOUND},
    {"help", no_argument, NULL, OPT_HELP},           {NULL, 0, NULL, 0},
};

static int parse_jobs(run_args *a, const char *value)
{
    long n;
    if (cli_number_arg("-j", value, 1, MAX_JOBS, &n) < 0)
        return -1;
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
static int take_option(void *ctx, int opt, const char *arg)
{
    run_args *a = ctx;
    char err[128];
    switch (opt) {
    case OPT_TARGET: a->tgt.target = arg; return 0;
    case 'h': a->tgt.host = arg; return 0;
    case 'p': a->tgt.port = arg; return 0;
    case 'L': a->tgt.url_l = arg; return 0;
    case 'V': return add_version(a, arg);
    case OPT_ID: return add_select(a->ids, &a->nids, arg);
    case OPT_TAG: return add_select(a->tags, &a->ntags, arg);
    case OPT_EXCLUDE: return add_select(a->excludes, &a->nexcludes, arg);
    case OPT_SCENARIOS: return add_select(a->scenarios, &a->nscenarios, arg);
    case 'j': return parse_jobs(a, arg);
    case 'u': a->opts.target.username = arg; return 0;
    case 'P': a->password_arg = arg; return 0;
    case OPT_PW_FILE: a->pw_file = arg; return 0;
    case OPT_SHOW_CREDENTIALS: a->opts.show_credentials = true; return 0;
    case OPT_AUTH_USER: a->opts.target.auth_user = arg; return 0;
    case OPT_AUTH_PASSWORD: a->opts.target.auth_password = arg; return 0;
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
    case OPT_PCAP: a->reports.pcap = arg; return 0;
    case 'q': a->quiet = true; return 0;
    case OPT_SIM_QUIRK: return embedded_sim_add_quirk(&a->sim_quirks, arg);
    case OPT_SIM_VARIANT: return embedded_sim_add_variant(&a->sim_variants, arg);
    case OPT_PROFILE: a->profile_in = arg; return 0;
    case OPT_BASELINE: a->reports.baseline = arg; return 0;
    case OPT_WRITE_BASELINE: a->reports.write_baseline = arg; return 0;
    case OPT_STRICT: a->reports.strict = true; return 0;
    case OPT_PROFILE_OUT: a->profile_out = arg; return 0;
    case OPT_MAX_PACKET: return parse_max_packet(a, arg);
    case OPT_DENIED_TOPIC: a->opts.denied_topic = arg; return 0;
    case OPT_HTML: a->reports.html = arg; return 0;
    case OPT_SPEC: return add_select(a->spec_globs, &a->nspec_globs, arg);
    case OPT_SECTION: return add_select(a->sections, &a->nsections, arg);
    case OPT_LIST_TAGS: a->list_what = LIST_TAGS; return 0;
    case OPT_BROKER_CMD: a->sup.broker_cmd = arg; return 0;
    case OPT_BROKER_OUT: a->sup.broker_out = arg; return 0;
    case OPT_BROKER_PID: {
        long pid = 0;
        int rc = cli_number_arg("--broker-pid", arg, 1, 4194304, &pid);
        a->sup.broker_pid = rc == 0 ? (pid_t)pid : 0;
        return rc;
    }
    case OPT_RSS_BOUND: return cli_number_arg("--rss-bound", arg, 1, 1L << 30, &a->sup.rss_bound_kb);
    case OPT_HELP: return 1;
    default: return -1;
    }
}

/* TLS options need an mqtts:// target, and every file they name must be readable: usage errors, found now. */
static int check_tls(const run_args *a, bool tls_target)
{
    const mqs_tls_opts *t = &a->opts.target.tls;
    const char *given = t->cafile ? "--cafile" : t->certfile ? "--cert" : t->keyfile ? "--key" : t->sni ? "--sni"
                        : t->insecure ? "--insecure" : NULL;
    if (given && !tls_target) {
        fprintf(stderr, "mqttspec: %s needs an mqtts:// target (%s)\n", given,
                a->target ? a->target : "the embedded broker-sim speaks plain mqtt://");
        return -1;
    }
    if ((t->certfile != NULL) != (t->keyfile != NULL)) {
        fprintf(stderr, "mqttspec: --cert and --key go together\n");
        return -1;
    }
    return cli_check_input("--cafile", t->cafile) | cli_check_input("--cert", t->certfile) |
           cli_check_input("--key", t->keyfile);
}

/* Target, credentials and outputs: everything that can be checked before the first connection. */
static int check_args(run_args *a)
{
    int has_target = cli_target_resolve(&a->tgt, "run");
    if (has_target < 0)
        return -1;
    a->target = has_target ? a->tgt.url : NULL;
    if (a->tgt.has_username && !a->opts.target.username)
        a->opts.target.username = a->tgt.username;
    if (a->tgt.has_password && !a->password_arg && !a->pw_file)
        a->password_arg = a->tgt.password;
    if (cli_password(a->password_arg, a->pw_file, a->password_buf, sizeof a->password_buf,
                     &a->opts.target.password) < 0)
        return -1;
    if (!a->opts.target.auth_user) /* the embedded broker-sim's SCRAM-SHA-256 user, unless told otherwise */
        a->opts.target.auth_user = SIM_DEFAULT_AUTH_USER;
    if (!a->opts.target.auth_password)
        a->opts.target.auth_password = SIM_DEFAULT_AUTH_PASSWORD;
    if (a->sup.broker_cmd && (a->target || a->sup.broker_pid || a->sim_quirks || a->sim_variants)) {
        fprintf(stderr, "mqttspec: --broker-cmd starts the target: it goes with no target, --broker-pid or --sim-*\n");
        return -1;
    }
    if (!a->sup.broker_out)
        a->sup.broker_out = "broker-logs";
    if (a->sup.broker_cmd && cli_check_output("--broker-out", a->sup.broker_out, CLI_OUT_TREE) < 0)
        return -1;
    if (a->target && (a->sim_quirks || a->sim_variants)) {
        fprintf(stderr, "mqttspec: --sim-quirk and --sim-variant apply to the embedded broker-sim, not to a target\n");
        return -1;
    }
    mqs_url url = {0};
    char err[300];
    if (a->target && mqs_url_parse(a->target, &url, err, sizeof err) < 0) {
        fprintf(stderr, "mqttspec: target: %s\n", err);
        return -1;
    }
    unsigned before_5 = (1u << MQTT_V31) | (1u << MQTT_V311);
    if (a->opts.target.password && !a->opts.target.username && (a->versions == 0 || (a->versions & before_5))) {
        fprintf(stderr, "mqttspec: a password without a user name: in MQTT 3.1 and 3.1.1 a password needs a user "
                        "name (3.1.1 MQTT-3.1.2-22); give -u USER, or select -V 5.0 only\n");
        return -1;
    }
    return check_tls(a, url.tls) < 0 || cli_reports_check(&a->reports) < 0 ? -1 : 0;
}

static int parse_args(run_args *a, int argc, char **argv, bool is_probe)
{
    memset(a, 0, sizeof *a);
    a->is_probe = is_probe;
    mqs_run_opts_init(&a->opts);
    int rc = cli_parse_options(argc, argv, "V:j:u:P:qh:p:L:", long_opts, take_option, a);
    if (rc)
        return rc;
    if (a->is_probe && !a->tgt.target && optind < argc) /* mqttspec probe URL */
        a->tgt.target = argv[optind++];
    if (cli_no_operands(argc, argv) < 0)
        return -1;
    static char installed[4096];
    if (a->nscenarios == 0) /* the installed or source-tree set, unless MQTTSPEC_SCENARIOS names another */
        a->scenarios[a->nscenarios++] = getenv("MQTTSPEC_SCENARIOS") ? getenv("MQTTSPEC_SCENARIOS")
                                                                      : data_dir_find("scenarios", installed, sizeof installed);
    return 0;
}

/* --spec and --section: only the scenarios citing a selected statement stay in the set. */
static int select_by_statement(run_args *a, mqs_scenario_set *set)
{
    char dir[4096];
    stmt_list_load(data_dir_find("spec", dir, sizeof dir), &a->statements, stderr);
    stmt_filter sf = {a->spec_globs, a->nspec_globs, a->sections, a->nsections};
    size_t before = set->count;
    if (stmt_prune(&a->statements, &sf, set) > 0)
        return 0;
    fprintf(stderr, "mqttspec: none of the %zu scenarios cites a statement matching --spec/--section\n", before);
    return -1;
}

static int load_scenarios(run_args *a, mqs_scenario_set *set, mqs_filter *filter)
{
    int bad = mqs_scenarios_discover(a->scenarios, a->nscenarios, set, stderr);
    if (bad) {
        fprintf(stderr, "mqttspec: %d scenario file(s) invalid\n", bad);
        mqs_scenarios_free(set);
        return -1;
    }
    if (set->count == 0) {
        fprintf(stderr, "mqttspec: no scenarios found in %s%s\n", a->scenarios[0], a->nscenarios > 1 ? " ..." : "");
        mqs_scenarios_free(set);
        return -1;
    }
    if (select_by_statement(a, set) < 0) {
        mqs_scenarios_free(set);
        return -1;
    }
    *filter = (mqs_filter){a->ids, a->nids, a->tags, a->ntags, a->excludes, a->nexcludes};
    return 0;
}

/* The versions of sc this selection runs, "3.1.1,5.0"; empty if none. */
static void selected_versions(const run_args *a, const mqs_scenario *sc, char *out, size_t cap)
{
    out[0] = '\0';
    for (int k = 0; k < sc->nversions; k++)
        if (a->versions == 0 || (a->versions & (1u << sc->versions[k])))
            snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? "," : "",
                     mqtt_version_name(sc->versions[k]));
}

/* A usage error when the selection gives nothing to do, with the reason; role: the role the command runs. */
static int check_selection(const run_args *a, const mqs_scenario_set *set, const mqs_filter *filter, bool any_role)
{
    size_t matched = 0, of_role = 0, cases = 0;
    char versions[32];
    for (size_t i = 0; i < set->count; i++) {
        const mqs_scenario *sc = &set->items[i];
        if (!mqs_scenario_selected(sc, filter))
            continue;
        matched++;
        if (!any_role && sc->role != MQS_ROLE_CLIENT)
            continue;
        of_role++;
        selected_versions(a, sc, versions, sizeof versions);
        cases += versions[0] != '\0';
    }
    if (cases)
        return 0;
    if (!matched)
        fprintf(stderr, "mqttspec: no scenario matches the selection (--id, --tag, --exclude, --spec, --section) among the %zu in %s%s\n",
                set->count, a->scenarios[0], a->nscenarios > 1 ? " ..." : "");
    else if (!of_role)
        fprintf(stderr, "mqttspec: the %zu selected scenario(s) are server-role (they test MQTT clients): "
                        "play them with 'mqttspec sim --listen URL --scenario ...'\n", matched);
    else
        fprintf(stderr, "mqttspec: none of the %zu selected scenario(s) runs at the protocol version(s) given with -V\n",
                of_role);
    return -1;
}

/* Is sc in the selection at one of the versions asked for? */
static bool listed(const run_args *a, const mqs_scenario *sc, const mqs_filter *filter)
{
    char versions[32];
    selected_versions(a, sc, versions, sizeof versions);
    return mqs_scenario_selected(sc, filter) && versions[0];
}

static void list_scenarios(const run_args *a, const mqs_scenario_set *set, const mqs_filter *filter)
{
    for (size_t i = 0; i < set->count; i++) {
        const mqs_scenario *sc = &set->items[i];
        char versions[32];
        selected_versions(a, sc, versions, sizeof versions);
        if (listed(a, sc, filter))
            printf("%-44s %-10s %-6s %s\n", sc->id, versions, mqs_role_name(sc->role), sc->title);
    }
}

/* A name and the scenarios (or how many) that carry it: one row of list --tags or list --spec. */
typedef struct list_row {
    const char *name;
    size_t count;
    char ids[4096];
} list_row;

typedef struct list_rows {
    list_row *rows;
    size_t n, cap;
    const run_args *a;
    const char *scenario; /* the id being added */
} list_rows;

static int row_cmp(const void *x, const void *y)
{
    return strcmp(((const list_row *)x)->name, ((const list_row *)y)->name);
}

/* A statement "5.0:MQTT-..." of a version -V selected (any, without -V). */
static bool of_versions(const run_args *a, const char *qualified)
{
    char version[16];
    const char *colon = strchr(qualified, ':');
    if (a->versions == 0 || !colon || (size_t)(colon - qualified) >= sizeof version)
        return true;
    snprintf(version, sizeof version, "%.*s", (int)(colon - qualified), qualified);
    mqtt_version v = mqs_version_parse(version);
    return v == MQTT_VERSION_UNKNOWN || (a->versions & (1u << v));
}

static void add_row(const char *name, void *ctx)
{
    list_rows *r = ctx;
    stmt_filter sf = {r->a->spec_globs, r->a->nspec_globs, r->a->sections, r->a->nsections};
    if (r->a->list_what == LIST_SPEC && (!stmt_selected(&r->a->statements, &sf, name) || !of_versions(r->a, name)))
        return; /* list --spec --section 3.8 -V 5.0: the 5.0 statements of 3.8 only */
    size_t i = 0;
    while (i < r->n && strcmp(r->rows[i].name, name) != 0)
        i++;
    if (i == r->n) {
        if (r->n == r->cap) {
            size_t ncap = r->cap ? r->cap * 2 : 64;
            list_row *rows = realloc(r->rows, ncap * sizeof *rows);
            if (!rows)
                return;
            r->rows = rows;
            r->cap = ncap;
        }
        r->rows[r->n++] = (list_row){.name = name};
    }
    list_row *row = &r->rows[i];
    row->count++;
    size_t len = strlen(row->ids);
    snprintf(row->ids + len, sizeof row->ids - len, "%s%s", len ? " " : "", r->scenario);
}

/* list --tags: each tag and how many selected scenarios carry it; list --spec: each statement cited and by whom. */
static void list_names(run_args *a, const mqs_scenario_set *set, const mqs_filter *filter)
{
    list_rows r = {.a = a};
    for (size_t i = 0; i < set->count; i++) {
        const mqs_scenario *sc = &set->items[i];
        if (!listed(a, sc, filter))
            continue;
        r.scenario = sc->id;
        if (a->list_what == LIST_SPEC) {
            stmt_each_cited(sc, add_row, &r);
            continue;
        }
        const cJSON *tag;
        cJSON_ArrayForEach(tag, sc->tags) {
            if (cJSON_IsString(tag))
                add_row(tag->valuestring, &r);
        }
    }
    if (r.n)
        qsort(r.rows, r.n, sizeof *r.rows, row_cmp);
    for (size_t i = 0; i < r.n; i++) {
        if (a->list_what == LIST_TAGS) {
            printf("%-24s %zu\n", r.rows[i].name, r.rows[i].count);
            continue;
        }
        const stmt_entry *e = stmt_find(&a->statements, r.rows[i].name);
        printf("%-24s %s\n", r.rows[i].name, r.rows[i].ids);
        if (e)
            printf("    %s [%s]\n", e->text, e->section);
    }
    free(r.rows);
}

/*
 * `list --spec` alone (no GLOB after it: the end, or another option) asks for
 * the statement listing; with a GLOB it selects, as in run.  Takes the bare
 * one out of argv (into args) before getopt sees it.
 */
static int take_bare_spec(int argc, char **argv, char **args, bool *bare)
{
    int n = 0;
    *bare = false;
    for (int i = 0; i < argc; i++) {
        bool last_or_option = i + 1 == argc || argv[i + 1][0] == '-';
        if (i > 0 && strcmp(argv[i], "--spec") == 0 && last_or_option && strcmp(argv[i - 1], "--spec") != 0)
            *bare = true;
        else
            args[n++] = argv[i];
    }
    args[n] = NULL;
    return n;
}

/* After parse_args: its rc as the command's exit status (1: --help, printed here; <0: usage error). */
static int parsed_exit(int rc)
{
    if (rc > 0)
        cmd_run_usage(stdout);
    return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

int cmd_list(int argc, char **argv)
{
    run_args a;
    char **args = calloc((size_t)argc + 1, sizeof *args);
    bool bare_spec;
    if (!args)
        return CLI_EXIT_USAGE;
    int rc = parse_args(&a, take_bare_spec(argc, argv, args, &bare_spec), args, false);
    free(args);
    if (rc)
        return parsed_exit(rc);
    if (bare_spec)
        a.list_what = LIST_SPEC;
    mqs_scenario_set set;
    mqs_filter filter;
    if (load_scenarios(&a, &set, &filter) < 0) {
        stmt_list_free(&a.statements);
        return CLI_EXIT_USAGE;
    }
    rc = check_selection(&a, &set, &filter, true) < 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    if (rc == CLI_EXIT_OK && a.list_what == LIST_SCENARIOS)
        list_scenarios(&a, &set, &filter);
    else if (rc == CLI_EXIT_OK)
        list_names(&a, &set, &filter);
    mqs_scenarios_free(&set);
    stmt_list_free(&a.statements);
    return rc;
}

static int run_against(run_args *a, const mqs_scenario_set *set, const mqs_filter *filter);

int cmd_run(int argc, char **argv)
{
    run_args a;
    int rc = parse_args(&a, argc, argv, false);
    if (rc)
        return parsed_exit(rc);
    if (check_args(&a) < 0)
        return CLI_EXIT_USAGE;
    if (a.list_what != LIST_SCENARIOS) {
        fprintf(stderr, "mqttspec: --tags belongs to 'mqttspec list'\n");
        return CLI_EXIT_USAGE;
    }
    cli_interrupt_install(); /* from here on an interrupt still ends with reports (of NOT RUN cases) */
    mqs_scenario_set set;
    mqs_filter filter;
    if (load_scenarios(&a, &set, &filter) < 0) {
        stmt_list_free(&a.statements);
        return CLI_EXIT_USAGE;
    }
    if (check_selection(&a, &set, &filter, false) < 0) {
        mqs_scenarios_free(&set);
        stmt_list_free(&a.statements);
        return CLI_EXIT_USAGE;
    }
    char sim_url[64];
    sim_broker *sim = NULL;
    if (a.sup.broker_cmd || a.sup.broker_pid) {
        if (!(a.srun = srun_start(&a.sup, sim_url, sizeof sim_url))) {
            mqs_scenarios_free(&set);
            stmt_list_free(&a.statements);
            return EXIT_UNREACHABLE;
        }
        if (a.sup.broker_cmd)
            a.target = sim_url;
    }
    if (!a.target) { /* broker-sim on a free loopback port of this process, the default target */
        if (!(sim = embedded_sim_start_variants(a.sim_quirks, a.sim_variants, sim_url, sizeof sim_url))) {
            mqs_scenarios_free(&set);
            stmt_list_free(&a.statements);
            return EXIT_UNREACHABLE;
        }
        a.target = sim_url;
        if (!a.opts.denied_topic)
            a.opts.denied_topic = EMBEDDED_SIM_DENIED_TOPIC;
    }
    rc = run_against(&a, &set, &filter);
    if (sim)
        sim_stop(sim);
    srun_stop(a.srun);
    mqs_scenarios_free(&set);
    stmt_list_free(&a.statements);
    return rc;
}

/* ---- pre-flight ---- */

static char *profile_text(const mqs_profile *p)
{
    cJSON *json = mqs_profile_to_json(p);
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;
    cJSON_Delete(json);
    return text;
}

/* --profile F: a saved or hand-written profile; exit 2 if it cannot be used. */
static int load_profile(const char *path, const char *target, mqs_profile *out)
{
    char *text = read_text_file(path);
    cJSON *json = text ? cJSON_Parse(text) : NULL;
    char err[300] = "";
    if (!text)
        snprintf(err, sizeof err, "cannot read the file");
    else if (!json)
        snprintf(err, sizeof err, "not JSON");
    else if (mqs_profile_from_json(json, out, err, sizeof err) == 0)
        snprintf(out->target, sizeof out->target, "%s", target);
    int rc = err[0] ? CLI_EXIT_USAGE : 0;
    if (rc)
        fprintf(stderr, "mqttspec: --profile %s: %s\n", path, err);
    cJSON_Delete(json);
    free(text);
    return rc;
}

static int save_profile(const char *path, const mqs_profile *p)
{
    char *text = profile_text(p);
    FILE *f = text ? fopen(path, "w") : NULL;
    int bad = !f || fprintf(f, "%s\n", text) < 0;
    if (f)
        bad |= fclose(f) != 0;
    free(text);
    if (bad)
        fprintf(stderr, "mqttspec: cannot write %s\n", path);
    return bad ? CLI_EXIT_USAGE : 0;
}

/*
 * Classify the target and find what it has before any case runs: a refused
 * login or a target that serves no version stops here with exit 3; a version
 * it does not serve SKIPs that version's cases (the engine asks the profile).
 */
static int preflight(run_args *a, mqs_profile *profile)
{
    int rc;
    char err[300];
    if (a->profile_in) {
        if ((rc = load_profile(a->profile_in, a->target, profile)))
            return rc;
        if (!mqs_target_reachable(&a->opts, err, sizeof err)) {
            fprintf(stderr, "mqttspec: target %s unreachable: %s\n", a->target, err);
            return EXIT_UNREACHABLE;
        }
    } else {
        mqs_probe_opts po = {.url = a->opts.target.url, .tls = a->opts.target.tls,
                             .username = a->opts.target.username, .password = a->opts.target.password,
                             .auth_user = a->opts.target.auth_user,
                             .versions = a->versions};
        snprintf(po.run_tag, sizeof po.run_tag, "%s", a->opts.run_tag);
        po.interrupted = a->opts.interrupted;
        mqs_profile_init(profile, a->target);
        mqs_probe(&po, profile);
        if (a->opts.interrupted && a->opts.interrupted())
            return 0; /* the run goes on only to mark every case NOT RUN and write the reports */
    }
    const char *why = "";
    mqs_preflight fatal = mqs_profile_fatal(profile, &why);
    if (fatal == MQS_PF_UNREACHABLE) {
        fprintf(stderr, "mqttspec: target %s unreachable: %s\n", a->target, why);
        return EXIT_UNREACHABLE;
    }
    if (fatal != MQS_PF_OK) {
        fprintf(stderr, "mqttspec: %s: %s\n", a->target, why);
        return EXIT_UNREACHABLE;
    }
    if (a->profile_out && (rc = save_profile(a->profile_out, profile)))
        return rc;
    return 0;
}

/* mqttspec probe URL: the pre-flight and capability probe alone, printed (and saved with --profile-out). */
int cmd_probe(int argc, char **argv)
{
    run_args a;
    int rc = parse_args(&a, argc, argv, true);
    if (rc)
        return parsed_exit(rc);
    if (check_args(&a) < 0)
        return CLI_EXIT_USAGE;
    char err[300];
    if (!a.target) {
        fprintf(stderr, "mqttspec probe: give the target: mqttspec probe mqtt://HOST:PORT (or -h HOST -p PORT)\n");
        return CLI_EXIT_USAGE;
    }
    if (mqs_url_parse(a.target, &a.opts.target.url, err, sizeof err) < 0) {
        fprintf(stderr, "mqttspec: target: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    mqs_profile profile;
    a.profile_in = NULL;
    rc = preflight(&a, &profile);
    mqs_profile_print(&profile, stdout);
    return rc;
}

/* Everything after the target is known and the selection checked. */
static int run_against(run_args *a, const mqs_scenario_set *set, const mqs_filter *filter)
{
    char err[300];
    if (mqs_url_parse(a->target, &a->opts.target.url, err, sizeof err) < 0) {
        fprintf(stderr, "mqttspec: target: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    a->opts.interrupted = cli_interrupted; /* the pre-flight's waits see an interrupt too */
    mqs_profile profile;
    int rc = preflight(a, &profile);
    if (rc)
        return rc;
    a->opts.profile = &profile;
    FILE *console = cli_console(&a->reports);
    a->opts.progress = a->quiet ? MQS_PROGRESS_NONE : isatty(fileno(console)) ? MQS_PROGRESS_LINE : MQS_PROGRESS_LOG;
    a->opts.progress_out = console;
    mqs_run run;
    cli_run_start(&run, a->target);
    run.profile_json = profile_text(&profile);
    int64_t t0 = mqs_now_ms();
    srun_hook(a->srun, &a->opts);
    mqs_run_all(set, filter, a->versions, &a->opts, &run);
    srun_finish(a->srun, set, filter, a->versions, &a->opts, &run);
    run.duration_ms = mqs_now_ms() - t0;
    stmt_annotate(&a->statements, &run);
    rc = cli_run_finish(&a->reports, &run, console);
    mqs_run_free(&run);
    return rc;
}
