/*
 * The traceability model behind `mqttspec coverage` (docs/coverage.md): every
 * statement of the project's lists (spec/mqtt311_statements.tsv,
 * spec/mqtt5_statements.tsv) linked to what cites it: scenarios (top-level and
 * step "spec"), codec error codes (codec_errors.h), broker-sim quirks (their
 * table), and for the rest the reason in spec/untestable.tsv.
 */
#ifndef MQTTSPEC_CLI_COVERAGE_H
#define MQTTSPEC_CLI_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mqttspec/codec.h"
#include "mqttspec/scenario.h"

/* A growing list of borrowed strings (scenario ids, error names, quirk names). */
typedef struct cov_names {
    const char **items;
    size_t count, cap;
} cov_names;

typedef enum cov_status {
    COV_COVERED,   /* cited by a scenario or a codec error code */
    COV_JUSTIFIED, /* not cited, with a reason in spec/untestable.tsv */
    COV_NEITHER,   /* a gap */
} cov_status;
const char *cov_status_name(cov_status s); /* "covered", "justified", "neither" */

typedef struct cov_statement {
    char *line; /* the tsv line, split in place into the five fields below */
    const char *id, *section, *constrains, *wire_testable, *paraphrase;
    bool testable;       /* wire_testable is "yes" or "partly" */
    const char *reason;  /* from untestable.tsv, or NULL */
    cov_names scenarios; /* ids of the scenarios citing it */
    cov_names codec;     /* names of the codec error codes citing it */
    cov_names quirks;    /* broker-sim quirks whose table entry lists it (and, with the matrix, that FAILed a citing case) */
    cov_status status;
} cov_statement;

/* Totals over a set of statements. */
typedef struct cov_totals {
    size_t total, covered, justified, neither;
} cov_totals;

typedef struct cov_version {
    mqtt_version version; /* MQTT_V311 or MQTT_V5 */
    cov_statement *items;
    size_t count;
    cov_totals testable, all;
} cov_version;

#define COV_VERSIONS 2

typedef struct cov_model {
    cov_version versions[COV_VERSIONS]; /* 3.1.1, 5.0 */
    bool quirks_from_matrix;            /* quirks linked by the matrix's results, not the table alone */
    const char *untestable_path;        /* as given */
    char **untestable_lines;            /* its lines, owned (reasons point into them) */
    size_t nuntestable;
    /* Broken references: one line each ("where: what"); --check fails on any. */
    char **problems;
    size_t nproblems;
} cov_model;

/*
 * Load the statement lists from spec_dir, link scenarios, codec errors and
 * quirks, then apply untestable (a path).  With quirk_matrix (the results
 * ci/quirk-matrix.sh writes as JSON, or NULL) a quirk is linked to a
 * statement only when a case of a scenario citing it FAILed with the quirk;
 * without, when the quirk's table entry lists it.  0, or -1 after a
 * "file:line: message" on stderr for a file that cannot be read or parsed
 * (not for a wrong reference: those are model problems).
 */
int cov_model_build(cov_model *m, const char *spec_dir, const char *untestable, const char *quirk_matrix,
                    const mqs_scenario_set *set);
void cov_model_free(cov_model *m);

/* The version's entry, or NULL for one the lists do not cover (3.1). */
const cov_version *cov_model_version(const cov_model *m, mqtt_version v);

/* ---- reports (coverage_report.c); only the versions whose bit (1u << version) is in mask ---- */
void cov_write_text(FILE *out, const cov_model *m, unsigned mask, bool gaps_only);
void cov_write_md(FILE *out, const cov_model *m, unsigned mask, bool gaps_only);
/* 0, or -1 when out of memory. */
int cov_write_json(FILE *out, const cov_model *m, unsigned mask, bool gaps_only);
/* "3.1.1: testable 102/126 covered, 0 justified, 24 neither; all 102 covered, 15 justified, 24 neither of 141" */
void cov_write_totals(FILE *out, const cov_version *v);

#endif
