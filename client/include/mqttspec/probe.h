/*
 * Pre-flight and capability probe (docs/profile.md).  Before any case runs,
 * one connection per selected version classifies the target (reachable, TLS,
 * MQTT, login, version) and a few packets record what it grants or announces:
 * the profile.  The engine SKIPs exactly the steps that need an optional
 * feature the profile lacks; a MUST is never skipped.
 */
#ifndef MQTTSPEC_PROBE_H
#define MQTTSPEC_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "mqttspec/codec.h"
#include "mqttspec/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the pre-flight found for one version. */
typedef enum mqs_preflight {
    MQS_PF_OK = 0,        /* CONNACK 0: the version is served */
    MQS_PF_UNREACHABLE,   /* no TCP (or TLS) connection */
    MQS_PF_TLS_EXPECTED,  /* mqtt:// to a port that speaks TLS */
    MQS_PF_NOT_TLS,       /* mqtts:// to a port that does not speak TLS */
    MQS_PF_NOT_MQTT,      /* the reply is not a CONNACK */
    MQS_PF_LOGIN_REFUSED, /* 3.1.1 CONNACK 4/5, 5.0 0x86/0x87/0x8C */
    MQS_PF_UNSUPPORTED,   /* the version is refused (3.1.1 code 1, 5.0 0x84, a 3.1.1-style CONNACK, or a close) */
    MQS_PF_REFUSED,       /* refused for another reason (server unavailable, busy, ...) */
    MQS_PF_NOT_PROBED,    /* the version was not selected */
} mqs_preflight;
const char *mqs_preflight_name(mqs_preflight s); /* "ok", "unreachable", ... (the profile's "status") */

/* The profile of one version. */
typedef struct mqs_version_profile {
    mqtt_version version;
    mqs_preflight status;
    char reason[256];     /* one line: why status is not ok, or "" */
    int rtt_ms;           /* largest of a few PINGREQ/PINGRESP round trips; -1 unknown */
    unsigned caps_known;  /* capability bits (mqs_capability) the probe could decide */
    unsigned caps;        /* of those, the ones the target has */
    int granted[3];       /* SUBACK code for a subscription requested at QoS 0, 1, 2; -1 unknown */
    int wildcard_granted; /* a filter with + and # was granted 1/0; -1 unknown */
    /* 5.0 CONNACK properties, -1 when absent */
    int64_t maximum_qos, retain_available, wildcards_available, sub_ids_available, shared_available;
    int64_t topic_alias_maximum, receive_maximum, maximum_packet_size, server_keep_alive, session_expiry;
    /* Observed behaviour that is not optional: informational, never a reason to SKIP. */
    int session_present_after_resume; /* 1/0, -1 unknown */
    int will_published;               /* 1/0, -1 unknown */
    int sys_topics;                   /* $SYS/# delivered something within the probe: 1/0, -1 unknown */
    int anonymous_login;              /* with -u/-P given: a CONNECT without them was accepted 1/0; -1 not tried */
} mqs_version_profile;

typedef struct mqs_profile {
    char target[300];
    char probed_at[32];  /* ISO 8601 UTC; "" for a hand-written profile */
    bool from_file;
    mqs_version_profile versions[3]; /* 3.1, 3.1.1, 5.0 (index mqs_profile_slot) */
} mqs_profile;

typedef struct mqs_probe_opts {
    mqs_url url;
    mqs_tls_opts tls;
    const char *username;
    const char *password;
    const char *auth_user; /* 5.0: the SCRAM-SHA-256 user whose client-first asks for enhanced_auth; NULL: a made-up
                            * one (a refused method, 0x8C, still shows) */
    unsigned versions;     /* bitmask of 1 << mqtt_version; 0 = all three */
    int timeout_ms;        /* per wait (default 3000) */
    char run_tag[16];      /* makes the probe's client ids and topics unique */
    bool (*interrupted)(void); /* may be NULL; true: stop waiting at once (SIGINT) */
} mqs_probe_opts;

/* Index of a version in mqs_profile.versions; -1 if none. */
int mqs_profile_slot(mqtt_version v);
const mqs_version_profile *mqs_profile_get(const mqs_profile *p, mqtt_version v);
void mqs_profile_init(mqs_profile *p, const char *target);

/* Pre-flight and probe every selected version into a profile set up with mqs_profile_init. */
void mqs_probe(const mqs_probe_opts *opts, mqs_profile *out);
/* Capabilities the profile says v lacks (decided and absent). */
unsigned mqs_profile_lacks(const mqs_profile *p, mqtt_version v);
/* Why cases of v cannot run (version not served), or NULL. */
const char *mqs_profile_version_skip(const mqs_profile *p, mqtt_version v);
/* The first status that stops the whole run (unreachable, TLS, not MQTT, login), or MQS_PF_OK. */
mqs_preflight mqs_profile_fatal(const mqs_profile *p, const char **reason);

/*
 * A heartbeat beside a run: one idle connection that sends PINGREQ every
 * quarter second and records how long each PINGRESP took.  A FAIL whose wait
 * timed out while the heartbeat saw the target stall may be the work of a
 * case running beside it; only such FAILs are confirmed by a re-run alone.
 */
typedef struct mqs_heartbeat mqs_heartbeat;
/* NULL if the connection cannot be made (then every such FAIL is confirmed). */
mqs_heartbeat *mqs_heartbeat_start(const mqs_probe_opts *opts, mqtt_version v);
/* Did the target stall (a PINGRESP slower than stall_ms, or none) at any time in [from, to] (mqs_now_ms)?
 * True also when the heartbeat stopped working before `to`. */
bool mqs_heartbeat_stalled(mqs_heartbeat *hb, int64_t from, int64_t to, int stall_ms);
/* When (mqs_now_ms) the last PINGREQ that got its PINGRESP went out: the target was alive after that
 * moment.  0 if none was answered (or hb is NULL). */
int64_t mqs_heartbeat_alive_after(mqs_heartbeat *hb);
void mqs_heartbeat_stop(mqs_heartbeat *hb);

/*
 * Liveness: does the target still accept a connection?  One CONNECT (clean,
 * client id from the run tag and v) and its CONNACK within
 * opts->timeout_ms; any CONNACK counts, a refusal too.  False, with why,
 * when the connection fails or no CONNACK comes.  An interrupt (opts->interrupted)
 * ends the wait early: the caller must not read false as "down" then.
 */
bool mqs_probe_alive(const mqs_probe_opts *opts, mqtt_version v, char *why, size_t why_cap);

/* JSON form (docs/profile.md). */
cJSON *mqs_profile_to_json(const mqs_profile *p);
/* 0, or -1 with err "/pointer: message". Fields left out stay unknown. */
int mqs_profile_from_json(const cJSON *json, mqs_profile *out, char *err, size_t err_cap);
/* The profile as a few lines of text for the console. */
void mqs_profile_print(const mqs_profile *p, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
