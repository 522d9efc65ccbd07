/*
 * mqttspec sim --scenario: play server-role scenarios ("role": "server") on
 * one listener against an MQTT client under test, one case after another.
 * The engine does the work (client/src, accept step); this file loads and
 * selects, opens the listener and reports like `mqttspec run`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "interrupt.h"
#include "mqttspec/engine.h"
#include "sim_play.h"
#include "data_dir.h"
#include "statements.h"

enum { EXIT_CANNOT_LISTEN = 3 }; /* the listener's counterpart of "target unreachable" */

/* Load the files; the selected server-role scenarios go to *picked (pointers into set, in id order). */
static int load(const sim_play_args *a, mqs_scenario_set *set, const mqs_scenario ***picked, size_t *npicked)
{
    int bad = mqs_scenarios_discover(a->scenarios, a->nscenarios, set, stderr);
    if (bad) {
        fprintf(stderr, "mqttspec sim: %d scenario file(s) invalid\n", bad);
        return -1;
    }
    mqs_filter filter = {a->ids, a->nids, NULL, 0, NULL, 0};
    *picked = calloc(set->count + 1, sizeof **picked);
    *npicked = 0;
    for (size_t i = 0; *picked && i < set->count; i++)
        if (set->items[i].role == MQS_ROLE_SERVER && mqs_scenario_selected(&set->items[i], &filter))
            (*picked)[(*npicked)++] = &set->items[i];
    if (*npicked == 0) {
        fprintf(stderr, "mqttspec sim: no server-role scenario selected in %s%s\n", a->scenarios[0],
                a->nscenarios > 1 ? " ..." : "");
        return -1;
    }
    return 0;
}

static mqs_listener *open_listener(const sim_play_args *a, char *url_out, size_t url_cap, int *status)
{
    mqs_url url;
    char err[300];
    if (mqs_url_parse(a->listen, &url, err, sizeof err) < 0) {
        fprintf(stderr, "mqttspec sim: --listen: %s\n", err);
        *status = CLI_EXIT_USAGE;
        return NULL;
    }
    mqs_tls_opts tls = {.cafile = a->cafile, .certfile = a->certfile, .keyfile = a->keyfile};
    mqs_listener *l = mqs_listen(&url, &tls, err, sizeof err);
    if (!l) {
        fprintf(stderr, "mqttspec sim: cannot listen on %s: %s\n", a->listen, err);
        *status = EXIT_CANNOT_LISTEN;
        return NULL;
    }
    const char *host = url.host;
    bool v6 = strchr(host, ':') != NULL;
    const char *scheme = url.ws ? (url.tls ? "wss" : "ws") : (url.tls ? "mqtts" : "mqtt");
    int n = snprintf(url_out, url_cap, "%s://%s%s%s:%d%s", scheme, v6 ? "[" : "", host, v6 ? "]" : "",
                     mqs_listener_port(l), url.path);
    if (n < 0 || (size_t)n >= url_cap) /* a host and path that long are cut in the printed URL only */
        url_out[url_cap - 1] = '\0';
    return l;
}

/* Each case waits for its own client; a line on stderr says which one is next. */
static void play_all(const mqs_scenario *const *picked, size_t n, const mqs_run_opts *opts, mqs_run *run,
                     FILE *console)
{
    for (size_t i = 0; i < n; i++) {
        if (!cli_interrupted()) /* after an interrupt the rest are NOT RUN at once */
            fprintf(stderr, "[%zu/%zu] %s: waiting for the client under test\n", i + 1, n, picked[i]->id);
        mqs_case *c = mqs_run_add_case(run);
        mqs_run_case(picked[i], MQTT_VERSION_UNKNOWN, opts, (unsigned)i, c);
        cli_print_case(c, console);
    }
}

/* Listening: announce it, run the cases, report. */
static int play(const sim_play_args *a, mqs_listener *l, const char *url, const mqs_scenario *const *picked,
                size_t n)
{
    FILE *console = cli_console(&a->reports); /* stdout, unless a report goes there */
    fprintf(console, "listening on %s port %d\n", a->listen, mqs_listener_port(l));
    fflush(console);
    mqs_run_opts opts;
    mqs_run_opts_init(&opts);
    opts.listener = l;
    opts.interrupted = cli_interrupted;
    cli_interrupt_install();
    mqs_run run;
    cli_run_start(&run, url);
    int64_t t0 = mqs_now_ms();
    play_all(picked, n, &opts, &run, console);
    run.duration_ms = mqs_now_ms() - t0;
    char dir[4096];
    stmt_list statements;
    stmt_list_load(data_dir_find("spec", dir, sizeof dir), &statements, console);
    stmt_annotate(&statements, &run);
    stmt_list_free(&statements);
    int status = cli_run_finish(&a->reports, &run, console);
    mqs_run_free(&run);
    return status;
}

int sim_play(const sim_play_args *a)
{
    mqs_scenario_set set = {0};
    const mqs_scenario **picked = NULL;
    size_t n = 0;
    int status = CLI_EXIT_USAGE;
    if (cli_reports_check(&a->reports) == 0 && load(a, &set, &picked, &n) == 0) {
        char url[300];
        mqs_listener *l = open_listener(a, url, sizeof url, &status);
        if (l) {
            status = play(a, l, url, picked, n);
            mqs_listener_close(l);
        }
    }
    free(picked);
    mqs_scenarios_free(&set);
    return status;
}
