/* mqttspec sim --scenario: the server side of server-role scenarios, for testing MQTT clients. */
#ifndef MQTTSPEC_CLI_SIM_PLAY_H
#define MQTTSPEC_CLI_SIM_PLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "run_report.h"

#define SIM_PLAY_MAX 64

typedef struct sim_play_args {
    const char *listen;                       /* mqtt://HOST:PORT or mqtts://HOST:PORT (port 0: any free port) */
    const char *certfile, *keyfile, *cafile;  /* mqtts: our certificate; cafile: require client certificates */
    const char *scenarios[SIM_PLAY_MAX];      /* files or folders */
    size_t nscenarios;
    const char *ids[SIM_PLAY_MAX];            /* selection: ids or globs */
    size_t nids;
    cli_reports reports;
} sim_play_args;

/*
 * Listen, print "listening on URL port N", then run every selected
 * server-role scenario in id order, each waiting for a client to connect.
 * Exit status as `mqttspec run`: 0, 1 (a FAIL or ERROR), 2 (usage or
 * scenario errors), 3 (cannot listen).
 */
int sim_play(const sim_play_args *a);

#endif
