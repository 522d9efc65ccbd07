/* What `run` and `sim --scenario` do with a finished run: reports, traces, the summary, the exit status. */
#ifndef MQTTSPEC_CLI_RUN_REPORT_H
#define MQTTSPEC_CLI_RUN_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "mqttspec/result.h"

typedef struct cli_reports {
    const char *junit, *json, *md; /* report files, each may be NULL; "-" is standard output */
    const char *trace;             /* a transcript file per case in this folder, may be NULL */
    const char *pcap;              /* a capture file per case that did not pass in this folder, may be NULL */
    bool server_role;              /* we played the server (sim --scenario): for the direction in captures */
    const char *baseline;          /* compare the verdicts with these expected ones (exit 1 only if worse) */
    const char *write_baseline;    /* write the verdicts as a baseline */
    bool strict;                   /* a WARN fails the run (or, with a baseline, a WARN it does not list) */
    const char *html;              /* the self-contained HTML report, may be NULL */
} cli_reports;

/*
 * Usage checks before the first connection: every report path writable (or
 * "-", standard output, for one of junit/json/md), no path given to two of
 * them.  -1 after one line on stderr.
 */
int cli_reports_check(const cli_reports *r);
typedef enum cli_out {
    CLI_OUT_FILE, /* written with fopen */
    CLI_OUT_DIR,  /* a folder, created if missing (its parent must exist) */
    CLI_OUT_TREE, /* a folder, created with its missing parents */
} cli_out;
/* One output path: writable, or creatable; "-" passes.  -1 after one line on stderr. */
int cli_check_output(const char *option, const char *path, cli_out kind);
/* Where the console summary goes: stdout, or stderr when a report is written to stdout. */
FILE *cli_console(const cli_reports *r);

/* A run header: the tool version, the target (or listener) and the start time. */
void cli_run_start(mqs_run *run, const char *target);
/* One line for a finished case: "PASS  id (3.1.1)". */
void cli_print_case(const mqs_case *c, FILE *out);
/*
 * Write the reports and print the summary (non-PASS cases, then the totals)
 * to out.  CLI_EXIT_OK, CLI_EXIT_FAIL (a FAIL or ERROR), CLI_EXIT_USAGE (a
 * report could not be written), or 128 + the signal after an interrupt.
 */
int cli_run_finish(const cli_reports *r, const mqs_run *run, FILE *out);

#endif
