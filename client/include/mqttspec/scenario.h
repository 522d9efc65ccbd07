/*
 * Scenario files (scenarios/README.md): loading, validation with
 * "file: /json/pointer: message" errors, discovery, selection.
 */
#ifndef MQTTSPEC_SCENARIO_H
#define MQTTSPEC_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "mqttspec/codec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Capabilities a scenario may require (bit flags). */
typedef enum mqs_capability {
    MQS_CAP_QOS1 = 1u << 0,
    MQS_CAP_QOS2 = 1u << 1,
    MQS_CAP_RETAIN = 1u << 2,
    MQS_CAP_WILDCARDS = 1u << 3,
    MQS_CAP_SHARED_SUBSCRIPTIONS = 1u << 4,
    MQS_CAP_SUBSCRIPTION_IDENTIFIERS = 1u << 5,
    MQS_CAP_TOPIC_ALIAS = 1u << 6,
    MQS_CAP_WILL = 1u << 7,
    MQS_CAP_PERSISTENT_SESSIONS = 1u << 8,
    MQS_CAP_SESSION_EXPIRY = 1u << 9, /* 5.0: the Session Expiry Interval asked for is the one in force */
    MQS_CAP_KEEP_ALIVE = 1u << 10,    /* 5.0: no Server Keep Alive replaces the client's Keep Alive */
    /* 1u << 11: websocket (a property of the target URL) */
    MQS_CAP_ENHANCED_AUTH = 1u << 12, /* 5.0: SCRAM-SHA-256 enhanced authentication */
} mqs_capability;

/* Parse "qos2,retain" into bits; -1 and a message for an unknown name. */
int mqs_capabilities_parse(const char *list, unsigned *out, char *err, size_t err_cap);
const char *mqs_capability_name(unsigned bit);

#define MQS_MAX_VERSIONS 3

/* The side of the protocol a scenario plays ("role" in the file). */
typedef enum mqs_role {
    MQS_ROLE_CLIENT = 0, /* connects to the broker under test (the default) */
    MQS_ROLE_SERVER = 1, /* listens and plays the server for the MQTT client under test */
} mqs_role;
const char *mqs_role_name(mqs_role role); /* "client", "server" */

typedef struct mqs_scenario {
    char *file;   /* path as found */
    cJSON *root;  /* the whole document (owned) */
    const char *id;
    const char *title;
    const cJSON *spec;  /* array of "version:statement" strings */
    const cJSON *tags;  /* array of strings, may be NULL */
    const cJSON *steps; /* array of step objects */
    mqs_role role;
    /* Client role: the versions the case runs at.  Server role: the versions
     * the scenario accepts from the client under test. */
    mqtt_version versions[MQS_MAX_VERSIONS];
    int nversions;
    unsigned requires;
    int timeout_ms;
} mqs_scenario;

/* Load and validate one file.  0, or -1 with err = "file: /pointer: message". */
int mqs_scenario_load(const char *path, mqs_scenario *out, char *err, size_t err_cap);
void mqs_scenario_free(mqs_scenario *sc);

/* A set of scenarios, sorted by id. */
typedef struct mqs_scenario_set {
    mqs_scenario *items;
    size_t count;
} mqs_scenario_set;

/*
 * Load every *.json below each path (a folder, searched recursively with
 * schema.json excluded, or a single file) and check ids are unique.  Returns
 * the number of files that failed (a path that is neither a folder nor a
 * regular file counts); each error line goes to errors if not NULL.  What the
 * search leaves out goes there too, as "PATH: skipped: why", without counting
 * as a failure: *.json entries that are not regular files (FIFOs, sockets,
 * devices are never opened), and a folder or file reached again through a
 * symlink (a loop, or a second link to it: read once).
 */
int mqs_scenarios_discover(const char *const *paths, size_t npaths, mqs_scenario_set *set, FILE *errors);
void mqs_scenarios_free(mqs_scenario_set *set);

/* Selection: ids (exact or glob), tags, exclusions (glob on id or tag). */
typedef struct mqs_filter {
    const char *const *ids;
    size_t nids;
    const char *const *tags;
    size_t ntags;
    const char *const *excludes;
    size_t nexcludes;
} mqs_filter;
bool mqs_scenario_selected(const mqs_scenario *sc, const mqs_filter *f);
bool mqs_scenario_has_version(const mqs_scenario *sc, mqtt_version v);

/* "3.1.1" -> MQTT_V311 etc.; MQTT_VERSION_UNKNOWN if not one of ours. */
mqtt_version mqs_version_parse(const char *s);

#ifdef __cplusplus
}
#endif
#endif
