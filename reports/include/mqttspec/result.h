/*
 * The result model: what a run produced, independent of how it is shown.
 * The engine fills it; reports/ writes it as JUnit XML, JSON, Markdown and
 * plain transcripts.  All strings are owned (heap) and freed by mqs_run_free.
 */
#ifndef MQTTSPEC_RESULT_H
#define MQTTSPEC_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mqs_verdict {
    MQS_PASS = 0,  /* every step matched an allowed outcome */
    MQS_WARN = 1,  /* a SHOULD was broken, or a timing fell in the tolerance band */
    MQS_SKIP = 2,  /* the target lacks a capability the scenario requires */
    MQS_FAIL = 3,  /* a MUST was broken: cites the statement, has a transcript */
    MQS_ERROR = 4, /* the harness could not run the case */
    MQS_NOT_RUN = 5, /* the run was interrupted before the case finished */
    MQS_INCONSISTENT = 6, /* failed when run in parallel, passed when re-run alone: never a FAIL */
    MQS_CRASHED = 7,  /* the target stopped accepting connections during the case: never a PASS */
} mqs_verdict;
#define MQS_VERDICT_COUNT 8

const char *mqs_verdict_name(mqs_verdict v); /* "PASS" ... "NOT RUN", "INCONSISTENT", "CRASHED" */

/* Every verdict once, in the order a reader scans counts (good news, bad news, the rest): for summaries. */
extern const mqs_verdict mqs_verdict_order[MQS_VERDICT_COUNT];
/* The verdict that name spells (as mqs_verdict_name writes it); -1 for none. */
int mqs_verdict_parse(const char *name);

typedef enum mqs_event_kind {
    MQS_EV_SENT,      /* a packet we sent */
    MQS_EV_RECEIVED,  /* a packet the peer sent */
    MQS_EV_OPENED,    /* transport connected */
    MQS_EV_CLOSED,    /* the peer closed the connection (or reset it) */
    MQS_EV_DROPPED,   /* we closed without DISCONNECT */
    MQS_EV_NOTE,      /* anything else worth reading: a malformed packet, a step boundary */
} mqs_event_kind;

/* Event kind as a lowercase word, as the JSON report spells it: "sent", "received", ... */
const char *mqs_event_kind_name(mqs_event_kind kind);
/* The kind that name spells; -1 for none. */
int mqs_event_kind_parse(const char *name);

typedef struct mqs_event {
    int64_t t_ms;     /* since the case started */
    mqs_event_kind kind;
    char *conn;       /* connection name from the scenario */
    char *text;       /* decoded one-liner, or the note */
    uint8_t *raw;     /* bytes on the wire (SENT/RECEIVED), may be NULL */
    size_t raw_len;
} mqs_event;

typedef struct mqs_case {
    char *id;         /* scenario id */
    char *title;
    char *file;       /* scenario file, as given to the runner */
    char *version;    /* "3.1.1" or "5.0" */
    char **tags;
    size_t ntags;
    char **spec;      /* statements the scenario checks, version-qualified */
    size_t nspec;
    mqs_verdict verdict;
    int step;         /* 1-based step that decided a non-PASS verdict, 0 if none */
    char *statement;  /* the statement a FAIL/WARN cites, e.g. "3.1.1:MQTT-4.3.3-2" */
    char *message;    /* "FILE: step N: FIELD expected X vs actual Y", or why SKIP/ERROR */
    char *expected;   /* what the failing step expected (JSON), may be NULL */
    char *actual;     /* what arrived instead (JSON or "connection closed"), may be NULL */
    int64_t duration_ms;
    mqs_event *events;
    size_t nevents;
    size_t events_cap;
    /*
     * Owned, NULL normally: when the case was re-run alone, the first
     * (parallel) attempt's result, which every writer shows next to the
     * re-run's (its verdict, message and transcript).
     */
    struct mqs_case *first_attempt;
    /* A FAIL decided by a wait that ran out (nothing came, or too late): when that wait ran, in
     * CLOCK_MONOTONIC ms; 0 otherwise.  The runner re-runs such a case alone if the target stalled meanwhile. */
    int64_t waited_from, waited_to;
    /*
     * What the statements say, filled after the run from the spec lists
     * (spec/mqtt*_statements.tsv) so writers only print; each NULL when unknown.
     * statement_text, statement_section: the paraphrase and the section
     * ("3.8.4 Response") of `statement`.  section: where the case belongs,
     * whatever its verdict (so runs line up): the section of its first
     * statement of its own version.  spec_text: nspec entries (or NULL), the
     * paraphrase of each spec[i].
     */
    char *statement_text;
    char *statement_section;
    char *section;
    char **spec_text;
} mqs_case;

typedef struct mqs_run {
    char *tool_version;
    char *target;     /* URL */
    char *started_at; /* ISO 8601 UTC */
    char *profile_json; /* the target's profile (docs/profile.md) as JSON text; NULL if none */
    int64_t duration_ms;
    mqs_case *cases;
    size_t ncases;
    size_t cases_cap;
    /*
     * Owned, NULL while the target stayed up: the case during which the target
     * was found down (its id and version; the cases after it are NOT RUN) and
     * why (what the liveness check saw).
     */
    char *crash_case;
    char *crash_version;
    char *crash_reason;
} mqs_run;

/* Helpers the engine uses to fill the model (they copy their arguments). */
mqs_case *mqs_run_add_case(mqs_run *run);
void mqs_case_event(mqs_case *c, int64_t t_ms, mqs_event_kind kind, const char *conn, const char *text,
                    const uint8_t *raw, size_t raw_len);
void mqs_case_set(mqs_case *c, mqs_verdict v, int step, const char *statement, const char *message);
void mqs_run_free(mqs_run *run);
void mqs_run_count(const mqs_run *run, size_t counts[MQS_VERDICT_COUNT]);
char *mqs_strdup(const char *s); /* NULL-safe */

/* Writers; 0 on success, -1 on an I/O error. */
int mqs_write_junit(const mqs_run *run, FILE *out);
int mqs_write_json(const mqs_run *run, FILE *out);
int mqs_write_markdown(const mqs_run *run, FILE *out);
/* One self-contained HTML page (inline CSS and JS, nothing fetched): counts, profile, cases by section. */
int mqs_write_html(const mqs_run *run, FILE *out);
/*
 * A cross-target matrix (Autobahn style) of n runs, e.g. JSON reports read
 * back: rows are the cases (id and version) of any run, grouped by section,
 * columns the runs, headed by labels[i].  HTML: each cell a verdict linking to
 * that case's detail further down the same page.  Markdown: the counts per
 * column and the rows where some column did not pass.
 */
int mqs_write_matrix_html(const mqs_run *runs, const char *const *labels, size_t n, FILE *out);
int mqs_write_matrix_markdown(const mqs_run *runs, const char *const *labels, size_t n, FILE *out);
/* The transcript of one case, as text: one line per event, with time, connection, direction, one-liner and hex. */
int mqs_write_transcript(const mqs_case *c, FILE *out);
/*
 * A case as a trace file: "id (version): VERDICT", the statement and message,
 * the transcript, then the same for the first attempt when there was one.
 */
int mqs_write_case_trace(const mqs_case *c, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
