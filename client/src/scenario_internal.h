/* Shared between the scenario loader and the engine. */
#ifndef MQTTSPEC_SCENARIO_INTERNAL_H
#define MQTTSPEC_SCENARIO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mqttspec/codec.h"
#include "mqttspec/transport.h"

/* Does the step run at this version (its "versions" field, if any)? */
bool mqs_step_applies(const cJSON *step, mqtt_version v);
/* The CONNECT packet (JSON form) a connect/reconnect step sends; prev supplies
 * the fields of the last connect of that connection (reconnect), may be NULL. */
cJSON *mqs_connect_json(const cJSON *step, const cJSON *prev);
/* The DISCONNECT packet (JSON form) of a disconnect step. */
cJSON *mqs_disconnect_json(const cJSON *step);
/* Hex text to bytes (out may be NULL to count); 0, or -1 if not hex. */
int mqs_hex_decode(const char *text, uint8_t *out, size_t cap, size_t *n);
/* A send step's "ws" object as frame choices (zeroed when absent: one binary frame); -1 with the
 * offending member in *field and why in err.  len: the bytes to send. */
int mqs_ws_send_of(const cJSON *step, size_t len, mqs_ws_send *how, const char **field, char *err, size_t cap);

#endif
