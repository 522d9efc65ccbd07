/*
 * `mqttspec fuzz --broker-cmd CMD` (docs/fuzzing.md): the fuzzer's view of a
 * broker we started (mqttspec/supervise.h) -- its findings (death, sanitizer
 * report, memory growth), replays against fresh instances, and which crashes
 * were minimised already (one per report's first line).
 */
#ifndef MQTTSPEC_CLI_SUPERVISED_FUZZ_H
#define MQTTSPEC_CLI_SUPERVISED_FUZZ_H

#include "mqttspec/netfuzz.h"
#include "mqttspec/supervise.h"

typedef struct sfuzz sfuzz;

/* Start the broker; its URL in url.  NULL (message on stderr) if it does not come up. */
sfuzz *sfuzz_start(const mqs_sup_opts *so, char *url, size_t url_cap);
/* The callbacks nf_run uses (valid while f lives). */
const nf_supervisor *sfuzz_supervisor(sfuzz *f);
/* A fresh broker after a crash, before the campaign goes on; -1 (message on stderr) if it fails. */
int sfuzz_restart(sfuzz *f);
void sfuzz_stop(sfuzz *f);

#endif
