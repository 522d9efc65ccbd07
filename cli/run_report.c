/* Reports, traces and the summary of a run, shared by `mqttspec run` and `mqttspec sim --scenario`. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "run_report.h"

#ifndef MQTTSPEC_VERSION
#define MQTTSPEC_VERSION "unknown"
#endif

static int write_report(const char *path, int (*writer)(const mqs_run *, FILE *), const mqs_run *run)
{
    if (!path)
        return 0;
    FILE *f = fopen(path, "w");
    if (!f || writer(run, f) != 0) {
        fprintf(stderr, "mqttspec: cannot write %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

static int write_traces(const char *dir, const mqs_run *run)
{
    if (!dir)
        return 0;
    mkdir(dir, 0777);
    for (size_t i = 0; i < run->ncases; i++) {
        const mqs_case *c = &run->cases[i];
        char path[4096];
        snprintf(path, sizeof path, "%s/%s@%s.txt", dir, c->id, c->version);
        FILE *f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "mqttspec: cannot write %s: %s\n", path, strerror(errno));
            return -1;
        }
        int rc = mqs_write_case_trace(c, f);
        if (fclose(f) != 0 || rc != 0) {
            fprintf(stderr, "mqttspec: cannot write %s\n", path);
            return -1;
        }
    }
    return 0;
}

/* Non-PASS cases one per line, then the totals. */
static void print_summary(const mqs_run *run, FILE *out)
{
    size_t counts[MQS_VERDICT_COUNT];
    mqs_run_count(run, counts);
    for (size_t i = 0; i < run->ncases; i++) {
        const mqs_case *c = &run->cases[i];
        if (c->verdict == MQS_PASS)
            continue;
        fprintf(out, "%-5s %s (%s)%s%s\n      %s\n", mqs_verdict_name(c->verdict), c->id, c->version,
                c->statement && c->statement[0] ? " " : "", c->statement ? c->statement : "",
                c->message ? c->message : "");
        const mqs_case *first = c->first_attempt;
        if (first)
            fprintf(out, "      first attempt (in parallel): %s%s%s: %s\n", mqs_verdict_name(first->verdict),
                    first->statement ? " " : "", first->statement ? first->statement : "",
                    first->message ? first->message : "");
    }
    fprintf(out, "%zu cases in %.1f s against %s\n", run->ncases, (double)run->duration_ms / 1000.0, run->target);
    fprintf(out, "%zu passed, %zu failed, %zu skipped, %zu warned, %zu errors", counts[MQS_PASS], counts[MQS_FAIL],
            counts[MQS_SKIP], counts[MQS_WARN], counts[MQS_ERROR]);
    if (counts[MQS_INCONSISTENT])
        fprintf(out, ", %zu inconsistent (failed in parallel, passed alone)", counts[MQS_INCONSISTENT]);
    if (counts[MQS_NOT_RUN])
        fprintf(out, ", %zu not run (interrupted)", counts[MQS_NOT_RUN]);
    fputc('\n', out);
}

void cli_run_start(mqs_run *run, const char *target)
{
    memset(run, 0, sizeof *run);
    run->tool_version = mqs_strdup(MQTTSPEC_VERSION);
    run->target = mqs_strdup(target);
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    run->started_at = mqs_strdup(stamp);
}

void cli_print_case(const mqs_case *c, FILE *out)
{
    fprintf(out, "%-5s %s (%s)\n", mqs_verdict_name(c->verdict), c->id, c->version);
    fflush(out);
}

int cli_run_finish(const cli_reports *r, const mqs_run *run, FILE *out)
{
    int rc = write_report(r->junit, mqs_write_junit, run) | write_report(r->json, mqs_write_json, run) |
             write_report(r->md, mqs_write_markdown, run) | write_traces(r->trace, run);
    print_summary(run, out);
    size_t counts[MQS_VERDICT_COUNT];
    mqs_run_count(run, counts);
    if (rc)
        return CLI_EXIT_USAGE;
    return counts[MQS_FAIL] || counts[MQS_ERROR] ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
