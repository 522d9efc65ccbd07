/* Reports, traces and the summary of a run, shared by `mqttspec run` and `mqttspec sim --scenario`. */
#define _DEFAULT_SOURCE /* realpath */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mqttspec/pcap.h"
#include "interrupt.h"
#include "baseline.h"
#include "run_report.h"

#ifndef MQTTSPEC_VERSION
#define MQTTSPEC_VERSION "unknown"
#endif

/* "-" is standard output. */
static bool is_stdout(const char *path)
{
    return path && strcmp(path, "-") == 0;
}

static int write_report(const char *path, int (*writer)(const mqs_run *, FILE *), const mqs_run *run)
{
    if (!path)
        return 0;
    if (is_stdout(path))
        return writer(run, stdout) == 0 && fflush(stdout) == 0 ? 0 : -1;
    FILE *f = fopen(path, "w");
    if (!f || writer(run, f) != 0) {
        fprintf(stderr, "mqttspec: cannot write %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* The run's start in ms since the epoch, for the captures' clock; 0 if started_at is unreadable. */
static int64_t run_start_ms(const mqs_run *run)
{
    struct tm tm = {0};
    if (!run->started_at || sscanf(run->started_at, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    return t == (time_t)-1 ? 0 : (int64_t)t * 1000;
}

static int write_pcap(const char *dir, const mqs_case *c, const char *suffix, const mqs_pcap_opts *o)
{
    char path[4096], err[4400];
    snprintf(path, sizeof path, "%s/%s@%s%s.pcap", dir, c->id, c->version, suffix);
    if (mqs_write_pcap(c, o, path, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "mqttspec: cannot write a capture: %s\n", err);
    return -1;
}

/* --pcap DIR: a capture of every case that did not pass, and of a first attempt that did not either. */
static int write_pcaps(const cli_reports *r, const mqs_run *run)
{
    if (!r->pcap)
        return 0;
    mkdir(r->pcap, 0777);
    mqs_pcap_opts o = {.we_are_server = r->server_role, .start_ms = run_start_ms(run)};
    for (size_t i = 0; i < run->ncases; i++) {
        const mqs_case *c = &run->cases[i];
        bool never_started = c->verdict == MQS_NOT_RUN && c->nevents == 0; /* no traffic, no file */
        if (c->verdict != MQS_PASS && !never_started && write_pcap(r->pcap, c, "", &o) < 0)
            return -1;
        if (c->first_attempt && c->first_attempt->verdict != MQS_PASS &&
            write_pcap(r->pcap, c->first_attempt, ".first-attempt", &o) < 0)
            return -1;
    }
    return 0;
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

/* What the cited statement says, on the verdict's line: ": text [section]". */
static void print_statement_text(const mqs_case *c, FILE *out)
{
    if (!c->statement || !c->statement_text)
        return;
    fprintf(out, ": %s", c->statement_text);
    if (c->statement_section)
        fprintf(out, " [%s]", c->statement_section);
}
enum { EXIT_TARGET_DOWN = 3 }; /* the target stopped accepting connections during the run */

/* Cases that did not pass (or run) one per line, then the totals. */
static void print_summary(const mqs_run *run, FILE *out)
{
    size_t counts[MQS_VERDICT_COUNT];
    mqs_run_count(run, counts);
    for (size_t i = 0; i < run->ncases; i++) {
        const mqs_case *c = &run->cases[i];
        if (c->verdict == MQS_PASS || c->verdict == MQS_NOT_RUN) /* NOT RUN: the count says it */
            continue;
        fprintf(out, "%-5s %s (%s)%s%s", mqs_verdict_name(c->verdict), c->id, c->version,
                c->statement && c->statement[0] ? " " : "", c->statement ? c->statement : "");
        print_statement_text(c, out);
        fprintf(out, "\n      %s\n", c->message ? c->message : "");
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
    if (counts[MQS_CRASHED])
        fprintf(out, ", %zu crashed", counts[MQS_CRASHED]);
    if (counts[MQS_NOT_RUN])
        fprintf(out, ", %zu not run (%s)", counts[MQS_NOT_RUN], run->crash_case ? "target down" : "interrupted");
    fputc('\n', out);
    if (run->crash_case)
        fprintf(out, "target crashed during %s (%s): %s\n", run->crash_case,
                run->crash_version ? run->crash_version : "?", run->crash_reason ? run->crash_reason : "");
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

FILE *cli_console(const cli_reports *r)
{
    return is_stdout(r->junit) || is_stdout(r->json) || is_stdout(r->md) || is_stdout(r->html) ? stderr : stdout;
}

/* The folder path is in (".", "/" or everything before the last '/'). */
static void parent_of(const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s", path);
    char *slash = strrchr(out, '/');
    while (slash && slash > out && slash[1] == '\0') { /* "dir/" names dir */
        *slash = '\0';
        slash = strrchr(out, '/');
    }
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
}

/*
 * An existing path must be a writable file (or folder); a new one needs a
 * writable folder to be made in: its parent, or (CLI_OUT_TREE, created with
 * its parents) the nearest folder that exists.
 */
static bool path_writable(const char *path, cli_out kind, char *why, size_t why_cap)
{
    bool want_dir = kind != CLI_OUT_FILE;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (want_dir != S_ISDIR(st.st_mode)) {
            snprintf(why, why_cap, "%s", want_dir ? "not a folder" : "is a folder");
            return false;
        }
        if (access(path, want_dir ? W_OK | X_OK : W_OK) != 0) {
            snprintf(why, why_cap, "%s", strerror(errno));
            return false;
        }
        return true;
    }
    if (errno != ENOENT && errno != ENOTDIR) {
        snprintf(why, why_cap, "%s", strerror(errno));
        return false;
    }
    char parent[4096];
    parent_of(path, parent, sizeof parent);
    while (kind == CLI_OUT_TREE && stat(parent, &st) != 0 && errno == ENOENT && strcmp(parent, ".") != 0 &&
           strcmp(parent, "/") != 0) {
        char up[4096];
        parent_of(parent, up, sizeof up);
        snprintf(parent, sizeof parent, "%s", up);
    }
    if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode) || access(parent, W_OK | X_OK) != 0) {
        snprintf(why, why_cap, "folder %.200s is missing or not writable", parent);
        return false;
    }
    return true;
}

int cli_check_output(const char *option, const char *path, cli_out kind)
{
    char why[300];
    if (path && !is_stdout(path) && !path_writable(path, kind, why, sizeof why)) {
        fprintf(stderr, "mqttspec: %s %s: cannot write there: %s\n", option, path, why);
        return -1;
    }
    return 0;
}

/* The absolute form of a path whose folder exists ("./r.json" and "r.json" agree); the path itself otherwise. */
static void canonical(const char *path, char *out, size_t cap)
{
    char parent[4096], real[PATH_MAX];
    parent_of(path, parent, sizeof parent);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (*base && realpath(parent, real))
        snprintf(out, cap, "%s/%s", strcmp(real, "/") == 0 ? "" : real, base);
    else
        snprintf(out, cap, "%s", path);
}

/* Two options naming one file, however spelled. */
static bool same_path(const char *a, const char *b)
{
    if (is_stdout(a) || is_stdout(b))
        return is_stdout(a) && is_stdout(b);
    char ca[4096 + 256], cb[4096 + 256];
    canonical(a, ca, sizeof ca);
    canonical(b, cb, sizeof cb);
    return strcmp(ca, cb) == 0;
}

int cli_reports_check(const cli_reports *r)
{
    cli_baseline *b = NULL;
    if (r->baseline && cli_baseline_load(r->baseline, &b) < 0)
        return -1;
    cli_baseline_free(b);
    if (is_stdout(r->pcap)) {
        fprintf(stderr, "mqttspec: --pcap needs a folder, not '-'\n");
        return -1;
    }
    if (cli_check_output("--write-baseline", r->write_baseline, CLI_OUT_FILE) < 0 ||
        cli_check_output("--pcap", r->pcap, CLI_OUT_DIR) < 0)
        return -1;
    const char *const paths[] = {r->junit, r->json, r->md, r->html, r->trace};
    static const char *const options[] = {"--junit", "--json", "--md", "--html", "--trace"};
    enum { N = sizeof paths / sizeof paths[0] };
    for (size_t i = 0; i < N; i++) {
        for (size_t j = 0; j < i; j++)
            if (paths[i] && paths[j] && same_path(paths[i], paths[j])) {
                fprintf(stderr, "mqttspec: %s and %s both name %s: each report needs its own %s\n", options[j],
                        options[i], paths[i], is_stdout(paths[i]) ? "stream" : "file");
                return -1;
            }
        if (i == N - 1 && is_stdout(paths[i])) {
            fprintf(stderr, "mqttspec: --trace needs a folder, not '-'\n");
            return -1;
        }
        if (cli_check_output(options[i], paths[i], i == N - 1 ? CLI_OUT_DIR : CLI_OUT_FILE) < 0)
            return -1;
    }
    return 0;
}

/* With --baseline the exit status says whether anything got worse, not whether anything failed. */
static int compare_with_baseline(const cli_reports *r, const mqs_run *run, FILE *out)
{
    cli_baseline *b;
    if (cli_baseline_load(r->baseline, &b) < 0)
        return CLI_EXIT_USAGE;
    int worse = cli_baseline_compare(b, run, r->strict, out);
    cli_baseline_free(b);
    return worse ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cli_run_finish(const cli_reports *r, const mqs_run *run, FILE *out)
{
    int rc = write_report(r->junit, mqs_write_junit, run) | write_report(r->json, mqs_write_json, run) |
             write_report(r->md, mqs_write_markdown, run) | write_report(r->html, mqs_write_html, run) |
             write_traces(r->trace, run) | write_pcaps(r, run);
    print_summary(run, out);
    size_t counts[MQS_VERDICT_COUNT];
    mqs_run_count(run, counts);
    int interrupted = cli_interrupt_status();
    if (interrupted) {
        fprintf(out, "interrupted: %zu cases not run%s\n", counts[MQS_NOT_RUN],
                rc ? "" : "; the reports hold every case");
        return interrupted;
    }
    if (r->write_baseline && cli_baseline_write(r->write_baseline, run) < 0)
        rc = -1;
    if (rc)
        return CLI_EXIT_USAGE;
    if (run->crash_case) /* as for an unreachable target: nothing after the crash was tested */
        return EXIT_TARGET_DOWN;
    if (r->baseline)
        return compare_with_baseline(r, run, out);
    /* NOT RUN comes only from an interrupt; INCONSISTENT passed alone: neither fails the run. */
    bool failed = counts[MQS_FAIL] || counts[MQS_ERROR] || counts[MQS_CRASHED] || (r->strict && counts[MQS_WARN]);
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
