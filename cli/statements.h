/*
 * The project's statement lists (spec/mqtt311_statements.tsv, spec/mqtt5_statements.tsv):
 * what each normative statement says and its section, read once at run time.
 * Reports show the text next to every FAIL and WARN (the run is annotated after
 * it finished, writers only print); `--spec` and `--section` select scenarios
 * by the statements they cite.
 */
#ifndef MQTTSPEC_CLI_STATEMENTS_H
#define MQTTSPEC_CLI_STATEMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mqttspec/result.h"
#include "mqttspec/scenario.h"

typedef struct stmt_entry {
    char *id;      /* version-qualified: "3.1.1:MQTT-3.8.4-1" */
    char *section; /* "3.8.4 Response" */
    char *text;    /* the paraphrase */
} stmt_entry;

typedef struct stmt_list {
    stmt_entry *items; /* sorted by id */
    size_t count;
} stmt_list;

/*
 * Load both lists from dir (the "spec" data folder).  A missing or unreadable
 * list leaves it out after one line on errors (if not NULL): the run goes on,
 * the reports just lack the text.  Returns the number of lists read.
 */
int stmt_list_load(const char *dir, stmt_list *out, FILE *errors);
void stmt_list_free(stmt_list *list);
/* The entry of a version-qualified id, NULL if the lists do not have it. */
const stmt_entry *stmt_find(const stmt_list *list, const char *qualified);

/* Fill statement_text, statement_section, section and spec_text of every case (and first attempt) of the run. */
void stmt_annotate(const stmt_list *list, mqs_run *run);

/* Selection by the statements a scenario cites (its `spec` and its steps' `spec`). */
typedef struct stmt_filter {
    const char *const *globs; /* --spec: glob on the id, version-qualified or not ("MQTT-3.8.*") */
    size_t nglobs;
    const char *const *sections; /* --section: "3.8" picks 3.8, 3.8.4, ... */
    size_t nsections;
} stmt_filter;

/* Does the filter select this statement?  true when the filter is empty. */
bool stmt_selected(const stmt_list *list, const stmt_filter *f, const char *qualified);
/* Does sc cite a statement the filter selects?  true when the filter is empty. */
bool stmt_scenario_selected(const stmt_list *list, const stmt_filter *f, const mqs_scenario *sc);
/* Drop (and free) the scenarios the filter does not select; how many remain. */
size_t stmt_prune(const stmt_list *list, const stmt_filter *f, mqs_scenario_set *set);

/* Every statement sc cites, each once (scenario's spec, then its steps'): calls fn(id, ctx). */
void stmt_each_cited(const mqs_scenario *sc, void (*fn)(const char *id, void *ctx), void *ctx);

#endif
