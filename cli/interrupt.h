/*
 * SIGINT and SIGTERM during `run` and `sim --scenario`: the first one only
 * raises a flag that the engine polls (cases stop, the rest are NOT RUN, the
 * reports are still written); a second one ends the process at once.
 */
#ifndef MQTTSPEC_CLI_INTERRUPT_H
#define MQTTSPEC_CLI_INTERRUPT_H

#include <stdbool.h>

/* Catch SIGINT and SIGTERM from now on. */
void cli_interrupt_install(void);
/* Has one arrived?  (Thread-safe: for mqs_run_opts.interrupted.) */
bool cli_interrupted(void);
/* The exit status it asks for: 128 + the signal (130 SIGINT, 143 SIGTERM); 0 if none arrived. */
int cli_interrupt_status(void);

#endif
