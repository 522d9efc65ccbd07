/* The embedded broker-sim that run and fuzz use when no --target is given. */
#ifndef MQTTSPEC_CLI_EMBEDDED_SIM_H
#define MQTTSPEC_CLI_EMBEDDED_SIM_H

#include <stddef.h>

#include "mqttspec/sim.h"

/* --sim-quirk NAME: add the quirk to *set; -1 (with a message) for an unknown name. */
int embedded_sim_add_quirk(sim_quirk_set *set, const char *name);
/* --sim-variant NAME: add the legal variant to *set; -1 (with a message) for an unknown name. */
int embedded_sim_add_variant(sim_variant_set *set, const char *name);
/* The Topic Name the embedded broker-sim does not authorize PUBLISH to (run's {denied_topic}). */
#define EMBEDDED_SIM_DENIED_TOPIC "mqttspec/denied"

/* Start broker-sim on a free loopback port, its URL in url; NULL (with a message) on failure. */
sim_broker *embedded_sim_start(sim_quirk_set quirks, char *url, size_t url_cap);
/* The same with legal variants (mqttspec run --sim-variant). */
sim_broker *embedded_sim_start_variants(sim_quirk_set quirks, sim_variant_set variants, char *url, size_t url_cap);

#endif
