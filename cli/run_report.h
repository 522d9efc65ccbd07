/* What `run` and `sim --scenario` do with a finished run: reports, traces, the summary, the exit status. */
#ifndef MQTTSPEC_CLI_RUN_REPORT_H
#define MQTTSPEC_CLI_RUN_REPORT_H

#include <stdio.h>

#include "mqttspec/result.h"

typedef struct cli_reports {
    const char *junit, *json, *md; /* report files, each may be NULL */
    const char *trace;             /* a transcript file per case in this folder, may be NULL */
} cli_reports;

/* A run header: the tool version, the target (or listener) and the start time. */
void cli_run_start(mqs_run *run, const char *target);
/* One line for a finished case: "PASS  id (3.1.1)". */
void cli_print_case(const mqs_case *c, FILE *out);
/*
 * Write the reports and print the summary (non-PASS cases, then the totals)
 * to out.  CLI_EXIT_OK, CLI_EXIT_FAIL (a FAIL or ERROR) or CLI_EXIT_USAGE (a
 * report could not be written).
 */
int cli_run_finish(const cli_reports *r, const mqs_run *run, FILE *out);

#endif
