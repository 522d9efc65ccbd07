/* Patterns (scenarios/README.md "Patterns") and substitutions. */
#ifndef MQTTSPEC_MATCH_H
#define MQTTSPEC_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct mqs_vars {
    const cJSON *captures; /* object: name -> value */
    const char *prefix;    /* {prefix} */
    const char *cid;       /* {cid} */
    const char *denied_topic; /* {denied_topic}; NULL: none (a case using it requires denied_topic) */
} mqs_vars;

/* A deep copy of tmpl with {prefix}, {cid} and ${var} replaced.  NULL and a
 * message in err when a ${var} was never captured. */
cJSON *mqs_substitute(const cJSON *tmpl, const mqs_vars *vars, char *err, size_t err_cap);

/*
 * Match actual against pattern.  Captures are added to `captures` only when
 * the whole pattern matches.  On mismatch: path = JSON pointer of the first
 * difference, why = "expected X vs actual Y".
 */
bool mqs_pattern_match(const cJSON *pattern, const cJSON *actual, cJSON *captures, char *path, size_t path_cap,
                       char *why, size_t why_cap);

/* Compact JSON text of j, cut to fit (for messages). */
void mqs_json_brief(const cJSON *j, char *out, size_t cap);

#endif
