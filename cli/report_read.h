/* A JSON report (docs/report-json.md) read back into the result model, for `mqttspec report`. */
#ifndef MQTTSPEC_CLI_REPORT_READ_H
#define MQTTSPEC_CLI_REPORT_READ_H

#include <stddef.h>

#include "mqttspec/result.h"

/*
 * Read the report in path into run (emptied first; mqs_run_free frees it).
 * 0, or -1 with err = "path: /json/pointer: message" (a missing file, not
 * JSON, not a mqttspec report, a field of the wrong type).
 */
int report_read(const char *path, mqs_run *run, char *err, size_t cap);

#endif
