/*
 * mqttspec sim: run broker-sim until SIGINT or SIGTERM; or, with --scenario,
 * play server-role scenarios against an MQTT client under test (sim_play.c).
 * Prints "listening on URL port N" per listener once it accepts
 * connections (N is the real port when the URL asked for port 0).
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "mqttspec/sim.h"
#include "sim_play.h"

static void usage(FILE *out)
{
    fputs("usage: mqttspec sim --listen URL [--cert F --key F [--cafile F]] [--quirk NAME]... [--variant NAME]...\n"
          "                    [OPTIONS]\n"
          "       mqttspec sim [-h HOST] -p PORT [OPTIONS]   (one more listener: mqtt://HOST:PORT, HOST 127.0.0.1)\n"
          "\n"
          "  --listen URL             mqtt://HOST:PORT or mqtts://HOST:PORT (port 0: any free port; repeatable)\n"
          "  -h, --host HOST          -p, --port PORT: a plain listener, as mosquitto -p\n"
          "  --cert F --key F         server certificate and key of the mqtts listener before them\n"
          "  --cafile F               require client certificates signed by this CA (that listener)\n"
          "  --quirk NAME             break one rule on purpose (repeatable): after a --listen for that\n"
          "                           listener only, before any --listen for all of them\n"
          "  --variant NAME           behave in an unusual way the specification allows (repeatable; placed\n"
          "                           like --quirk)\n"
          "  --server-keep-alive S    5.0: announce and enforce Server Keep Alive S seconds\n"
          "  --topic-alias-max N      5.0: Topic Alias Maximum announced (default 10, 0 for none)\n"
          "  --auth-user U            5.0 enhanced authentication: the SCRAM-SHA-256 user (default \"" SIM_DEFAULT_AUTH_USER "\")\n"
          "  --auth-password P        its password (default: the one `mqttspec run` assumes; never printed)\n"
          "  --max-packet-size N      largest packet accepted (default 16777216); the read buffer of a\n"
          "                           connection grows up to it, never beyond\n"
          "  --max-queued N           messages queued or in flight per session (default 1000); at the bound\n"
          "                           new QoS 0 messages are dropped, a QoS 1/2 one is dropped and its\n"
          "                           connected subscriber disconnected (5.0: 0x97 Quota exceeded)\n"
          "  --max-queued-bytes N     the same bound on their payload bytes (default 67108864)\n"
          "  --deny-topic TOPIC       PUBLISH to TOPIC is not authorized: not delivered, acknowledged\n"
          "                           normally (5.0: PUBACK/PUBREC 0x87); give 'run --denied-topic TOPIC'\n"
          "  -v, --verbose            log every packet and event to stderr\n"
          "  --list-quirks            print the quirk table and exit\n"
          "  --list-variants          print the variant table (with the spec sentence allowing each) and exit\n"
          "  --help                   this help\n"
          "  Exit status: 0 stopped by SIGINT or SIGTERM, 2 usage error, 3 cannot listen (e.g. the port is busy).\n"
          "\n"
          "usage: mqttspec sim --listen URL --scenario FILE|DIR [--id ID]... [--cert F --key F [--cafile F]]\n"
          "                    [--junit F] [--json F] [--md F] [--trace DIR] [--pcap DIR] [--baseline F]\n"
          "\n"
          "  Test an MQTT client instead: no broker-sim; the server-role scenarios (\"role\": \"server\",\n"
          "  scenarios/client-tests/) run one after another on the listener, each waiting for the client\n"
          "  under test to connect (start one client per case: a case drops its connections when it\n"
          "  ends).  --scenario and --id are repeatable; reports as 'mqttspec run'.\n"
          "  Exit status: 0 nothing failed, 1 a FAIL or ERROR, 2 usage or scenario error, 3 cannot listen,\n"
          "  130/143 interrupted by SIGINT/SIGTERM (the cases not finished are NOT RUN; reports still written).\n",
          out);
}

static void list_quirks(void)
{
    for (int q = 0; q < SIM_Q_COUNT; q++) {
        const sim_quirk_info *qi = sim_quirk_info_of((sim_quirk_id)q);
        printf("%-24s %s\n%-24s %s\n", qi->name, qi->description, "",
               qi->statements[0] ? qi->statements : "(no statement: a planted crash, `run` reports CRASHED)");
    }
}

static void list_variants(void)
{
    for (int v = 0; v < SIM_V_COUNT; v++) {
        const sim_variant_info *vi = sim_variant_info_of((sim_variant_id)v);
        printf("%-24s %s\n%-24s allowed by %s: %s\n", vi->name, vi->description, "", vi->allowed_by, vi->quote);
        if (vi->lacks[0])
            printf("%-24s lacks: %s\n", "", vi->lacks);
    }
}

typedef struct cli {
    sim_config cfg;
    sim_quirk_set global_quirks;
    sim_variant_set global_variants;
    const char *broker_option; /* the last option only broker-sim takes (not --scenario mode) */
    sim_play_args play;        /* --scenario mode */
    const char *host, *port;   /* -h / -p: one more plain listener */
    char host_port_url[300];
} cli;

/* The value after option argv[*i]; NULL (and a message) if missing. */
static const char *value_of(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "mqttspec sim: %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

static bool parse_number(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v > max) {
        fprintf(stderr, "mqttspec sim: %s: '%s' is not a number up to %lu\n", opt, s, max);
        return false;
    }
    *out = v;
    return true;
}

static sim_listener_config *last_listener(cli *o, const char *opt)
{
    if (o->cfg.n_listeners == 0) {
        fprintf(stderr, "mqttspec sim: %s belongs after a --listen\n", opt);
        return NULL;
    }
    return &o->cfg.listeners[o->cfg.n_listeners - 1];
}

static bool add_select(const char **list, size_t *n, const char *value)
{
    if (*n == SIM_PLAY_MAX) {
        fprintf(stderr, "mqttspec sim: too many --scenario or --id options\n");
        return false;
    }
    list[(*n)++] = value;
    return true;
}

/* The options of --scenario mode; -1 if opt is not one of them. */
static int play_option(cli *o, const char *opt, const char *v)
{
    sim_play_args *p = &o->play;
    if (strcmp(opt, "--scenario") == 0)
        return add_select(p->scenarios, &p->nscenarios, v);
    if (strcmp(opt, "--id") == 0)
        return add_select(p->ids, &p->nids, v);
    const char **report = strcmp(opt, "--junit") == 0  ? &p->reports.junit
                          : strcmp(opt, "--json") == 0 ? &p->reports.json
                          : strcmp(opt, "--md") == 0   ? &p->reports.md
                          : strcmp(opt, "--trace") == 0 ? &p->reports.trace
                          : strcmp(opt, "--pcap") == 0 ? &p->reports.pcap
                          : strcmp(opt, "--baseline") == 0 ? &p->reports.baseline
                                                        : NULL;
    if (!report)
        return -1;
    *report = v;
    return 1;
}

static bool add_quirk(cli *o, const char *name)
{
    int q = sim_quirk_by_name(name);
    if (q < 0) {
        fprintf(stderr, "mqttspec sim: unknown quirk '%s' (see --list-quirks)\n", name);
        return false;
    }
    if (o->cfg.n_listeners)
        o->cfg.listeners[o->cfg.n_listeners - 1].quirks |= SIM_QUIRK_BIT(q);
    else
        o->global_quirks |= SIM_QUIRK_BIT(q);
    return true;
}

static bool add_variant(cli *o, const char *name)
{
    int v = sim_variant_by_name(name);
    if (v < 0) {
        fprintf(stderr, "mqttspec sim: unknown variant '%s' (see --list-variants)\n", name);
        return false;
    }
    if (o->cfg.n_listeners)
        o->cfg.listeners[o->cfg.n_listeners - 1].variants |= SIM_VARIANT_BIT(v);
    else
        o->global_variants |= SIM_VARIANT_BIT(v);
    return true;
}

/* One option (and its value); false on a usage error. */
static bool parse_option(cli *o, int argc, char **argv, int *i)
{
    const char *opt = argv[*i], *v;
    unsigned long n;
    sim_listener_config *l;
    if (strcmp(opt, "-v") == 0 || strcmp(opt, "--verbose") == 0) {
        o->cfg.log = stderr;
        o->broker_option = opt;
        return true;
    }
    if (!(v = value_of(argc, argv, i)))
        return false;
    if (strcmp(opt, "-h") == 0 || strcmp(opt, "--host") == 0 || strcmp(opt, "-p") == 0 ||
        strcmp(opt, "--port") == 0) {
        *(opt[1] == 'h' || opt[2] == 'h' ? &o->host : &o->port) = v;
        return true;
    }
    int played = play_option(o, opt, v);
    if (played >= 0)
        return played > 0;
    if (strcmp(opt, "--listen") != 0 && strcmp(opt, "--cert") != 0 && strcmp(opt, "--key") != 0 &&
        strcmp(opt, "--cafile") != 0)
        o->broker_option = opt;
    if (strcmp(opt, "--listen") == 0) {
        if (sim_config_add_listener(&o->cfg, v, NULL, NULL, 0))
            return true;
        fprintf(stderr, "mqttspec sim: at most %d listeners\n", SIM_MAX_LISTENERS);
        return false;
    }
    if (strcmp(opt, "--quirk") == 0)
        return add_quirk(o, v);
    if (strcmp(opt, "--variant") == 0)
        return add_variant(o, v);
    if (strcmp(opt, "--cert") == 0 || strcmp(opt, "--key") == 0 || strcmp(opt, "--cafile") == 0) {
        if (!(l = last_listener(o, opt)))
            return false;
        if (strcmp(opt, "--cert") == 0)
            l->certfile = v;
        else if (strcmp(opt, "--key") == 0)
            l->keyfile = v;
        else
            l->cafile = v;
        return true;
    }
    if (strcmp(opt, "--auth-user") == 0 || strcmp(opt, "--auth-password") == 0) {
        *(opt[7] == 'u' ? &o->cfg.auth_user : &o->cfg.auth_password) = v;
        return true;
    }
    if (strcmp(opt, "--server-keep-alive") == 0 && parse_number(opt, v, 65535, &n)) {
        o->cfg.server_keep_alive = (uint16_t)n;
        return true;
    }
    if (strcmp(opt, "--topic-alias-max") == 0 && parse_number(opt, v, 65535, &n)) {
        o->cfg.topic_alias_maximum = (uint16_t)n;
        return true;
    }
    if (strcmp(opt, "--max-packet-size") == 0 && parse_number(opt, v, 268435460, &n) && n > 0) {
        o->cfg.max_packet_size = (uint32_t)n;
        return true;
    }
    if (strcmp(opt, "--max-queued") == 0 && parse_number(opt, v, UINT32_MAX, &n) && n > 0) {
        o->cfg.max_queued_messages = (uint32_t)n;
        return true;
    }
    if (strcmp(opt, "--max-queued-bytes") == 0 && parse_number(opt, v, ULONG_MAX, &n) && n > 0) {
        o->cfg.max_queued_bytes = n;
        return true;
    }
    if (strcmp(opt, "--deny-topic") == 0) {
        o->cfg.denied_topic = v;
        return true;
    }
    fprintf(stderr, "mqttspec sim: bad option '%s'\n", opt);
    return false;
}

/* Wait for SIGINT or SIGTERM; the mask is set before the loop thread starts, so it inherits it. */
static void block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

/* --scenario mode: one listener, no broker-sim options. */
static int play_scenarios(cli *o)
{
    if (o->cfg.n_listeners != 1 || o->broker_option) {
        if (o->broker_option)
            fprintf(stderr, "mqttspec sim: %s is a broker-sim option, not one of --scenario mode\n", o->broker_option);
        else
            fprintf(stderr, "mqttspec sim: --scenario needs exactly one --listen\n");
        return CLI_EXIT_USAGE;
    }
    const sim_listener_config *l = &o->cfg.listeners[0];
    o->play.listen = l->url;
    o->play.certfile = l->certfile;
    o->play.keyfile = l->keyfile;
    o->play.cafile = l->cafile;
    o->play.reports.server_role = true; /* captures: what we sent goes from the server */
    return sim_play(&o->play);
}

/* -h/-p: the listener mosquitto -p would open, added after the --listen ones. */
static bool add_host_port(cli *o)
{
    if (!o->host && !o->port)
        return true;
    char *end;
    long port = o->port ? strtol(o->port, &end, 10) : 1883;
    if (o->port && (!*o->port || *end || port < 0 || port > 65535)) {
        fprintf(stderr, "mqttspec sim: -p %s: a port is 0..65535 (0: any free port)\n", o->port);
        return false;
    }
    const char *host = o->host ? o->host : "127.0.0.1";
    bool v6 = strchr(host, ':') != NULL;
    snprintf(o->host_port_url, sizeof o->host_port_url, "mqtt://%s%s%s:%ld", v6 ? "[" : "", host, v6 ? "]" : "", port);
    if (sim_config_add_listener(&o->cfg, o->host_port_url, NULL, NULL, 0))
        return true;
    fprintf(stderr, "mqttspec sim: at most %d listeners\n", SIM_MAX_LISTENERS);
    return false;
}

/*
 * With -v the broker's log already says where it listens; when stdout is the
 * same file as the log (a terminal), our line would say it a second time.
 * A script reading stdout for the port still gets it.
 */
static bool announce_on_stdout(const cli *o)
{
    struct stat out, log;
    if (!o->cfg.log || fstat(fileno(stdout), &out) != 0 || fstat(fileno(o->cfg.log), &log) != 0)
        return true;
    return out.st_dev != log.st_dev || out.st_ino != log.st_ino;
}

int cmd_sim(int argc, char **argv)
{
    cli o = {0};
    sim_config_init(&o.cfg);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--list-quirks") == 0) {
            list_quirks();
            return 0;
        }
        if (strcmp(argv[i], "--list-variants") == 0) {
            list_variants();
            return 0;
        }
        if (!parse_option(&o, argc, argv, &i))
            return 2;
    }
    if (!add_host_port(&o))
        return 2;
    if (o.play.nscenarios)
        return play_scenarios(&o);
    if (o.play.nids || o.play.reports.junit || o.play.reports.json || o.play.reports.md || o.play.reports.trace ||
        o.play.reports.pcap) {
        fprintf(stderr, "mqttspec sim: --id and the report options need --scenario\n");
        return 2;
    }
    if (o.cfg.n_listeners == 0) {
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < o.cfg.n_listeners; i++) {
        o.cfg.listeners[i].quirks |= o.global_quirks;
        o.cfg.listeners[i].variants |= o.global_variants;
    }
    o.cfg.real_crashes = true; /* a broker of its own: a planted crash quirk really crashes it */
    sigset_t stop;
    block_stop_signals(&stop);
    char err[512];
    sim_broker *b = sim_start(&o.cfg, err, sizeof err);
    if (!b) {
        fprintf(stderr, "mqttspec sim: cannot listen: %s\n", err);
        return 3;
    }
    for (size_t i = 0; i < o.cfg.n_listeners && announce_on_stdout(&o); i++)
        printf("listening on %s port %d\n", o.cfg.listeners[i].url, sim_port(b, i));
    fflush(stdout);
    int sig;
    sigwait(&stop, &sig);
    sim_stop(b);
    return 0;
}
