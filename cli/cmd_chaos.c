/*
 * mqttspec chaos: delivery guarantees under faults (docs/chaos.md).
 * Without --target it runs against broker-sim, started on a free loopback port.
 * Exit: 0 no violation, 1 violations, 2 usage, 3 target unreachable, 130/143 interrupted (no violation).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "embedded_sim.h"
#include "interrupt.h"
#include "mqttspec/chaos.h"
#include "mqttspec/chaos_html.h"
#include "options.h"
#include "run_report.h"

#ifndef MQTTSPEC_VERSION
#define MQTTSPEC_VERSION "unknown"
#endif

enum { EXIT_UNREACHABLE = 3 };

void cmd_chaos_usage(FILE *out)
{
    fputs("usage: mqttspec chaos [-h HOST] [-p PORT] [-L URL | --target URL] --duration SECONDS [OPTIONS]\n"
          "       (without a target: against broker-sim, started on a free loopback port)\n"
          "\n"
          "workload:\n"
          "  -d, --duration SECONDS    how long to publish (required)\n"
          "  -V, --protocol-version V  3.1.1 or 5.0 (also mqttv311, mqttv5; default 3.1.1)\n"
          "      --publishers N        publishing connections (default 4)\n"
          "      --subscribers N       subscribing connections, each subscribed to every topic (default 2)\n"
          "      --shared-groups N     5.0: N more groups of subscribers, each sharing one subscription to every\n"
          "                            topic ($share/NAME/TOPIC): each message must reach one member of a group\n"
          "      --shared-members M    members per shared group (default 2)\n"
          "      --topics N            topics (default 4)\n"
          "      --qos LIST            QoS levels the messages cycle through, e.g. 0,1,2 (default) or 1\n"
          "      --rate MSG/S          messages per second, all publishers together (default 1000)\n"
          "      --size BYTES          payload size (default 64, at least 32)\n"
          "      --inflight N          unacknowledged QoS 1/2 messages per publisher (default 32)\n"
          "      --persistent          persistent sessions (3.1.1 CleanSession 0, 5.0 Session Expiry 3600 s):\n"
          "                            only then is a lost acknowledged message a violation\n"
          "      --quiet-ms MS         at most this long after the workload for the last deliveries (default 2000)\n"
          "      --seed N              the faults are a function of the seed (default: random); client ids,\n"
          "                            topics and ShareNames are new each run\n"
          "faults (each optional, each logged with its time):\n"
          "      --cut-every MS        a proxy between workers and broker cuts a connection about this often\n"
          "      --stall MS            the proxy holds a connection this long, about every 2 s\n"
          "      --latency MS          the proxy delays every packet this long\n"
          "      --drop-clients LIST   workers drop their own connection at these points and resume their session:\n"
          "                            after-publish, after-pubrec, after-pubrel (publishers), before-ack,\n"
          "                            before-pubcomp (subscribers), or all\n"
          "      --drop-every MS       about this often per worker (default 1000)\n"
          "      --restart-cmd CMD     restart the broker with this shell command (needs --restart-every)\n"
          "      --restart-every S     every S seconds\n"
          "target:\n"
          "  -h, --host HOST           the broker's host (default localhost when -p is given)\n"
          "  -p, --port PORT           its port (default 1883)\n"
          "  -L, --url URL             mqtt(s)://[USER[:PASSWORD]@]HOST[:PORT], as mosquitto's clients\n"
          "      --target URL          mqtt://, mqtts://, ws:// or wss:// (the proxy: mqtt:// only)\n"
          "  -u, --username USER       user name\n"
          "  -P, --pw PASS             password (visible in ps: prefer the next two)\n"
          "      --pw-file F           the password is the first line of F (or $MQTTSPEC_PASSWORD)\n"
          "      --cafile F            CA certificates to verify the target (mqtts)\n"
          "      --insecure            do not verify the target's certificate\n"
          "      --sim-quirk NAME      give the embedded broker-sim this quirk (repeatable)\n"
          "      --sim-variant NAME    give it this legal variant (repeatable)\n"
          "output:\n"
          "      --json FILE           the result as JSON (docs/chaos.md; - for stdout)\n"
          "      --html FILE           the timeline as an HTML page (when this build has it)\n"
          "  -q, --quiet               no line per second\n"
          "      --help                this help\n"
          "\n"
          "Exit status: 0 no violation, 1 violations, 2 usage error (or a report not written), 3 target\n"
          "unreachable, 130/143 interrupted by SIGINT/SIGTERM without a violation found.\n"
          "Ctrl-C ends the workload early; the quiet period, the check and the reports still follow.\n",
          out);
}

typedef struct chaos_args {
    cli_target tgt;
    const char *username, *password_arg, *pw_file;
    char password_buf[256];
    const char *json, *html;
    bool have_duration, have_seed, quiet, have_members;
    sim_quirk_set quirks;
    sim_variant_set variants;
    mqs_chaos_opts o;
} chaos_args;

enum {
    OPT_TARGET = 256, OPT_PUBS, OPT_SUBS, OPT_TOPICS, OPT_QOS, OPT_RATE, OPT_SIZE, OPT_INFLIGHT, OPT_PERSISTENT,
    OPT_QUIET_MS, OPT_SEED, OPT_CUT, OPT_STALL, OPT_LATENCY, OPT_DROP, OPT_DROP_EVERY, OPT_RESTART_CMD,
    OPT_RESTART_EVERY, OPT_PW_FILE, OPT_CAFILE, OPT_INSECURE, OPT_SIM_QUIRK, OPT_SIM_VARIANT, OPT_JSON, OPT_HTML, OPT_HELP,
    OPT_SHARED_GROUPS, OPT_SHARED_MEMBERS
};

static const struct option long_opts[] = {
    {"target", required_argument, NULL, OPT_TARGET},     {"host", required_argument, NULL, 'h'},
    {"port", required_argument, NULL, 'p'},              {"url", required_argument, NULL, 'L'},
    {"duration", required_argument, NULL, 'd'},          {"protocol-version", required_argument, NULL, 'V'},
    {"publishers", required_argument, NULL, OPT_PUBS},   {"subscribers", required_argument, NULL, OPT_SUBS},
    {"topics", required_argument, NULL, OPT_TOPICS},     {"qos", required_argument, NULL, OPT_QOS},
    {"rate", required_argument, NULL, OPT_RATE},         {"size", required_argument, NULL, OPT_SIZE},
    {"inflight", required_argument, NULL, OPT_INFLIGHT}, {"persistent", no_argument, NULL, OPT_PERSISTENT},
    {"quiet-ms", required_argument, NULL, OPT_QUIET_MS}, {"seed", required_argument, NULL, OPT_SEED},
    {"cut-every", required_argument, NULL, OPT_CUT},     {"stall", required_argument, NULL, OPT_STALL},
    {"latency", required_argument, NULL, OPT_LATENCY},   {"drop-clients", required_argument, NULL, OPT_DROP},
    {"drop-every", required_argument, NULL, OPT_DROP_EVERY},
    {"restart-cmd", required_argument, NULL, OPT_RESTART_CMD},
    {"restart-every", required_argument, NULL, OPT_RESTART_EVERY},
    {"username", required_argument, NULL, 'u'},          {"pw", required_argument, NULL, 'P'},
    {"pw-file", required_argument, NULL, OPT_PW_FILE},   {"cafile", required_argument, NULL, OPT_CAFILE},
    {"insecure", no_argument, NULL, OPT_INSECURE},       {"sim-quirk", required_argument, NULL, OPT_SIM_QUIRK},
    {"sim-variant", required_argument, NULL, OPT_SIM_VARIANT},
    {"json", required_argument, NULL, OPT_JSON},         {"html", required_argument, NULL, OPT_HTML},
    {"quiet", no_argument, NULL, 'q'},                   {"help", no_argument, NULL, OPT_HELP},
    {"shared-groups", required_argument, NULL, OPT_SHARED_GROUPS},
    {"shared-members", required_argument, NULL, OPT_SHARED_MEMBERS},
    {NULL, 0, NULL, 0},
};

static int num_arg(const char *name, const char *value, double lo, double hi, double *out)
{
    char *end;
    double d = strtod(value, &end);
    if (!*value || *end || !(d >= lo && d <= hi)) {
        fprintf(stderr, "mqttspec: %s needs a number %g..%g\n", name, lo, hi);
        return -1;
    }
    *out = d;
    return 0;
}

static int uint_arg(const char *name, const char *value, unsigned lo, unsigned hi, unsigned *out)
{
    double d = 0;
    if (num_arg(name, value, lo, hi, &d) < 0)
        return -1;
    if (d != (double)(unsigned)d) {
        fprintf(stderr, "mqttspec: %s needs a whole number\n", name);
        return -1;
    }
    *out = (unsigned)d;
    return 0;
}

static int int_ms(const char *name, const char *value, int *out)
{
    unsigned u;
    if (uint_arg(name, value, 0, 3600000, &u) < 0)
        return -1;
    *out = (int)u;
    return 0;
}

static int qos_list(const char *arg, unsigned *mask)
{
    *mask = 0;
    for (const char *p = arg; *p; p++) {
        if (*p >= '0' && *p <= '2' && (p[1] == ',' || p[1] == '\0'))
            *mask |= 1u << (*p - '0');
        else if (*p != ',')
            goto bad;
    }
    if (*mask)
        return 0;
bad:
    fprintf(stderr, "mqttspec: --qos needs a list of 0, 1 and 2, e.g. 0,1,2\n");
    return -1;
}

static int drop_list(const char *arg, unsigned *mask)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", arg);
    *mask = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "all") == 0) {
            *mask = (1u << MQS_DROP_POINT_COUNT) - 1;
            continue;
        }
        int p = 0;
        while (p < MQS_DROP_POINT_COUNT && strcmp(tok, mqs_chaos_drop_point_name((mqs_chaos_drop_point)p)) != 0)
            p++;
        if (p == MQS_DROP_POINT_COUNT) {
            fprintf(stderr, "mqttspec: --drop-clients: unknown point '%s' (after-publish, after-pubrec, "
                    "after-pubrel, before-ack, before-pubcomp, all)\n", tok);
            return -1;
        }
        *mask |= 1u << p;
    }
    return 0;
}

static int take_workload(chaos_args *a, int opt, const char *arg)
{
    mqs_chaos_opts *o = &a->o;
    switch (opt) {
    case 'd': a->have_duration = true; return num_arg("--duration", arg, 0.1, 7 * 86400, &o->duration_s);
    case 'V': {
        mqtt_version v = cli_version_parse(arg);
        if (v != MQTT_V311 && v != MQTT_V5) {
            fprintf(stderr, "mqttspec: --protocol-version %s: chaos speaks 3.1.1 or 5.0\n", arg);
            return -1;
        }
        o->version = v;
        return 0;
    }
    case OPT_PUBS: return uint_arg("--publishers", arg, 1, 5000, &o->publishers);
    case OPT_SUBS: return uint_arg("--subscribers", arg, 0, 5000, &o->subscribers);
    /* the checker keeps 24 bytes per message and group: at most 100 groups keeps that near the rest */
    case OPT_SHARED_GROUPS: return uint_arg("--shared-groups", arg, 1, 100, &o->shared_groups);
    case OPT_SHARED_MEMBERS:
        a->have_members = true;
        return uint_arg("--shared-members", arg, 1, 1000, &o->shared_members);
    case OPT_TOPICS: return uint_arg("--topics", arg, 1, 100, &o->topics);
    case OPT_QOS: return qos_list(arg, &o->qos_mask);
    case OPT_RATE: return num_arg("--rate", arg, 0.1, 10000000, &o->rate);
    case OPT_SIZE: return uint_arg("--size", arg, MQS_CHAOS_MIN_SIZE, 65536, &o->size);
    case OPT_INFLIGHT: return uint_arg("--inflight", arg, 1, 256, &o->inflight);
    case OPT_PERSISTENT: o->persistent = true; return 0;
    case OPT_QUIET_MS: return int_ms("--quiet-ms", arg, &o->quiet_ms);
    case OPT_SEED:
        a->have_seed = true;
        return cli_seed_arg(arg, &o->seed);
    default: return 2; /* not a workload option */
    }
}

static int take_option(void *ctx, int opt, const char *arg)
{
    chaos_args *a = ctx;
    int rc = take_workload(a, opt, arg);
    if (rc != 2)
        return rc;
    mqs_chaos_opts *o = &a->o;
    switch (opt) {
    case OPT_TARGET: a->tgt.target = arg; return 0;
    case 'h': a->tgt.host = arg; return 0;
    case 'p': a->tgt.port = arg; return 0;
    case 'L': a->tgt.url_l = arg; return 0;
    case OPT_CUT: return int_ms("--cut-every", arg, &o->cut_every_ms);
    case OPT_STALL: return int_ms("--stall", arg, &o->stall_ms);
    case OPT_LATENCY: return int_ms("--latency", arg, &o->latency_ms);
    case OPT_DROP: return drop_list(arg, &o->drop_mask);
    case OPT_DROP_EVERY: return int_ms("--drop-every", arg, &o->drop_every_ms);
    case OPT_RESTART_CMD: o->restart_cmd = arg; return 0;
    case OPT_RESTART_EVERY: return num_arg("--restart-every", arg, 0.1, 86400, &o->restart_every_s);
    case 'u': a->username = arg; return 0;
    case 'P': a->password_arg = arg; return 0;
    case OPT_PW_FILE: a->pw_file = arg; return 0;
    case OPT_CAFILE: o->tls.cafile = arg; return cli_check_input("--cafile", arg);
    case OPT_INSECURE: o->tls.insecure = true; return 0;
    case OPT_SIM_QUIRK: return embedded_sim_add_quirk(&a->quirks, arg);
    case OPT_SIM_VARIANT: return embedded_sim_add_variant(&a->variants, arg);
    case OPT_JSON: a->json = arg; return 0;
    case OPT_HTML: a->html = arg; return 0;
    case 'q': a->quiet = true; return 0;
    case OPT_HELP: return 1;
    default: return -1;
    }
}

/* Shared subscriptions are a 5.0 feature (4.8.2); 3.1.1 has none ("$share/..." would be an ordinary filter). */
static int check_shared(const chaos_args *a)
{
    const mqs_chaos_opts *o = &a->o;
    if (a->have_members && !o->shared_groups) {
        fprintf(stderr, "mqttspec: --shared-members needs --shared-groups\n");
        return -1;
    }
    if (o->shared_groups && o->version != MQTT_V5) {
        fprintf(stderr, "mqttspec: --shared-groups needs -V 5.0: MQTT 3.1.1 has no shared subscriptions\n");
        return -1;
    }
    if (mqs_chaos_subscriber_total(o) == 0 || mqs_chaos_subscriber_total(o) > 4000) {
        fprintf(stderr, "mqttspec: chaos needs 1..4000 subscribers (--subscribers, --shared-groups x "
                "--shared-members)\n");
        return -1;
    }
    return 0;
}

static int check_args(chaos_args *a)
{
    if (!a->have_duration) {
        fprintf(stderr, "mqttspec: chaos needs --duration SECONDS\n");
        return -1;
    }
    if (cli_target_resolve(&a->tgt, "chaos") < 0)
        return -1;
    if (a->tgt.url[0] && (a->quirks || a->variants)) {
        fprintf(stderr, "mqttspec: --sim-quirk and --sim-variant apply to the embedded broker-sim, not to a target\n");
        return -1;
    }
    if (check_shared(a) < 0)
        return -1;
    if ((a->o.restart_cmd != NULL) != (a->o.restart_every_s > 0)) {
        fprintf(stderr, "mqttspec: --restart-cmd and --restart-every go together\n");
        return -1;
    }
    if (a->tgt.has_username && !a->username)
        a->username = a->tgt.username;
    if (a->tgt.has_password && !a->password_arg && !a->pw_file)
        a->password_arg = a->tgt.password;
    if (cli_password(a->password_arg, a->pw_file, a->password_buf, sizeof a->password_buf, &a->o.password) < 0)
        return -1;
    a->o.username = a->username;
    if ((a->json && strcmp(a->json, "-") != 0 && cli_check_output("--json", a->json, CLI_OUT_FILE) < 0) ||
        (a->html && cli_check_output("--html", a->html, CLI_OUT_FILE) < 0))
        return -1;
    return 0;
}

static int parse_args(chaos_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    mqs_chaos_opts_init(&a->o);
    int rc = cli_parse_options(argc, argv, "d:V:h:p:L:u:P:q", long_opts, take_option, a);
    if (rc)
        return rc;
    if (cli_no_operands(argc, argv) < 0)
        return -1;
    return check_args(a);
}

static int write_json(const chaos_args *a, const mqs_chaos_result *r)
{
    bool to_stdout = strcmp(a->json, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(a->json, "w");
    bool ok = f && mqs_chaos_json_write(f, &a->o, r);
    if (f && !to_stdout)
        ok = (fclose(f) == 0) && ok;
    if (!ok)
        fprintf(stderr, "mqttspec: --json %s: cannot write\n", a->json);
    return ok ? 0 : -1;
}

/* --html: the timeline page (reports/, mqttspec/chaos_html.h) from the same JSON tree --json writes. */
static int write_html(const chaos_args *a, const mqs_chaos_result *r)
{
    cJSON *json = mqs_chaos_json(&a->o, r);
    FILE *f = fopen(a->html, "w");
    bool ok = json && f && mqs_chaos_html_write(json, f) == 0;
    if (f)
        ok = (fclose(f) == 0) && ok;
    cJSON_Delete(json);
    if (!ok)
        fprintf(stderr, "mqttspec: --html %s: cannot write\n", a->html);
    return ok ? 0 : -1;
}

static int run_chaos(chaos_args *a, const char *url, bool embedded)
{
    char err[300];
    if (mqs_url_parse(url, &a->o.url, err, sizeof err) < 0) {
        fprintf(stderr, "mqttspec: target: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if ((a->o.url.tls || a->o.url.ws) && (a->o.cut_every_ms || a->o.stall_ms || a->o.latency_ms)) {
        fprintf(stderr, "mqttspec: the fault proxy (--cut-every, --stall, --latency) relays mqtt:// only\n");
        return CLI_EXIT_USAGE;
    }
    a->o.target_shown = url;
    a->o.version_string = MQTTSPEC_VERSION;
    a->o.interrupted = cli_interrupted;
    a->o.progress = a->quiet ? NULL : stderr;
    printf("mqttspec chaos: target %s%s, MQTT %s, %g s, %u publishers, %u subscribers, %u topics, %g msg/s, seed "
           "%llu\n", url, embedded ? " (embedded broker-sim)" : "", mqtt_version_name(a->o.version),
           a->o.duration_s, a->o.publishers, a->o.subscribers, a->o.topics, a->o.rate,
           (unsigned long long)a->o.seed);
    if (a->o.shared_groups)
        printf("mqttspec chaos: %u shared groups of %u members each\n", a->o.shared_groups, a->o.shared_members);
    fflush(stdout);
    mqs_chaos_result r;
    if (mqs_chaos_run(&a->o, &r, err, sizeof err) < 0) {
        fprintf(stderr, "mqttspec: target %s unreachable: %s\n", url, err);
        mqs_chaos_result_free(&r);
        return EXIT_UNREACHABLE;
    }
    mqs_chaos_summary_print(stdout, &a->o, &r);
    int out_rc = 0;
    if (a->json)
        out_rc |= write_json(a, &r);
    if (a->html)
        out_rc |= write_html(a, &r);
    /* violations found are the answer even when interrupted; otherwise an interrupted run says so (130/143) */
    int rc = !mqs_chaos_passed(&r) ? CLI_EXIT_FAIL : r.interrupted ? cli_interrupt_status() : CLI_EXIT_OK;
    mqs_chaos_result_free(&r);
    return rc == CLI_EXIT_OK && out_rc ? CLI_EXIT_USAGE : rc;
}

int cmd_chaos(int argc, char **argv)
{
    chaos_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc) {
        if (rc > 0)
            cmd_chaos_usage(stdout);
        return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    if (!a.have_seed)
        a.o.seed = cli_random_seed();
    sim_broker *sim = NULL;
    char url[300];
    if (a.tgt.url[0])
        snprintf(url, sizeof url, "%s", a.tgt.url);
    else if (!(sim = embedded_sim_start_variants(a.quirks, a.variants, url, sizeof url)))
        return EXIT_UNREACHABLE;
    cli_interrupt_install();
    rc = run_chaos(&a, url, sim != NULL);
    if (sim)
        sim_stop(sim);
    return rc;
}
