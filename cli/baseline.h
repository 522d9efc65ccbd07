/* Expected-verdict baselines for CI (docs/baselines.md): run --baseline F, --write-baseline F, --strict. */
#ifndef MQTTSPEC_CLI_BASELINE_H
#define MQTTSPEC_CLI_BASELINE_H

#include <stdbool.h>
#include <stdio.h>

#include "mqttspec/result.h"

typedef struct cli_baseline cli_baseline;

/* Parse a baseline file; -1 after one line on stderr ("FILE:LINE: why"). */
int cli_baseline_load(const char *path, cli_baseline **out);
void cli_baseline_free(cli_baseline *b);
/*
 * Print what is new (worse than the baseline), fixed (better), changed (as
 * bad, differently) and unchanged, one line per difference, then the counts.
 * 1 if anything got worse (with strict, also a WARN the baseline does not
 * list), else 0.
 */
int cli_baseline_compare(cli_baseline *b, const mqs_run *run, bool strict, FILE *out);
/* Every case that did not PASS, as a baseline; -1 after one line on stderr. */
int cli_baseline_write(const char *path, const mqs_run *run);

#endif
