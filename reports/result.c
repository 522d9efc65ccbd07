/*
 * The result model's helpers: the engine fills a run through these, the
 * writers only read it.  Everything the model points to is a private heap
 * copy, so the engine may free or reuse its own buffers right after a call.
 */
#include <stdlib.h>
#include <string.h>

#include "mqttspec/result.h"

/* First allocation of a growing array; doubled from there. */
enum { INITIAL_CAP = 8 };

const char *mqs_verdict_name(mqs_verdict v)
{
    static const char *const names[MQS_VERDICT_COUNT] = {"PASS",  "WARN",    "SKIP",         "FAIL",
                                                         "ERROR", "NOT RUN", "INCONSISTENT", "CRASHED"};
    if ((unsigned)v >= MQS_VERDICT_COUNT)
        return "INVALID";
    return names[v];
}

int mqs_verdict_parse(const char *name)
{
    for (int v = 0; name && v < MQS_VERDICT_COUNT; v++)
        if (strcmp(name, mqs_verdict_name((mqs_verdict)v)) == 0)
            return v;
    return -1;
}

const mqs_verdict mqs_verdict_order[MQS_VERDICT_COUNT] = {MQS_PASS,  MQS_FAIL,    MQS_CRASHED,     MQS_WARN,
                                                          MQS_SKIP,  MQS_ERROR,   MQS_NOT_RUN,     MQS_INCONSISTENT};

char *mqs_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

/* Make room for one more element of size elem; false (array untouched) if out of memory. */
static bool grow(void **items, size_t count, size_t *cap, size_t elem)
{
    if (count < *cap)
        return true;
    size_t new_cap = *cap ? *cap * 2 : INITIAL_CAP;
    if (new_cap > SIZE_MAX / elem)
        return false;
    void *p = realloc(*items, new_cap * elem);
    if (!p)
        return false;
    *items = p;
    *cap = new_cap;
    return true;
}

/*
 * The array may move: a pointer returned earlier is valid only until the
 * next call.  NULL if out of memory (the run is left as it was).
 */
mqs_case *mqs_run_add_case(mqs_run *run)
{
    void *items = run->cases;
    if (!grow(&items, run->ncases, &run->cases_cap, sizeof *run->cases))
        return NULL;
    run->cases = items;
    mqs_case *c = &run->cases[run->ncases++];
    memset(c, 0, sizeof *c);
    return c;
}

static uint8_t *dup_bytes(const uint8_t *raw, size_t len)
{
    uint8_t *copy = malloc(len);
    if (copy)
        memcpy(copy, raw, len);
    return copy;
}

/*
 * The API has no error path (the engine should not have to check every
 * transcript line), so out of memory loses this one event rather than
 * storing a half-copied one.
 */
void mqs_case_event(mqs_case *c, int64_t t_ms, mqs_event_kind kind, const char *conn, const char *text,
                    const uint8_t *raw, size_t raw_len)
{
    void *items = c->events;
    if (!grow(&items, c->nevents, &c->events_cap, sizeof *c->events))
        return;
    c->events = items;

    mqs_event ev = {.t_ms = t_ms, .kind = kind};
    ev.conn = mqs_strdup(conn);
    ev.text = mqs_strdup(text);
    if (raw && raw_len) {
        ev.raw = dup_bytes(raw, raw_len);
        ev.raw_len = ev.raw ? raw_len : 0;
    }
    if ((conn && !ev.conn) || (text && !ev.text) || (raw && raw_len && !ev.raw)) {
        free(ev.conn);
        free(ev.text);
        free(ev.raw);
        return;
    }
    c->events[c->nevents++] = ev;
}

/* Copies before freeing, so a caller may pass the case's own strings back in. */
void mqs_case_set(mqs_case *c, mqs_verdict v, int step, const char *statement, const char *message)
{
    char *new_statement = mqs_strdup(statement);
    char *new_message = mqs_strdup(message);
    free(c->statement);
    free(c->message);
    c->verdict = v;
    c->step = step;
    c->statement = new_statement;
    c->message = new_message;
}

void mqs_run_count(const mqs_run *run, size_t counts[MQS_VERDICT_COUNT])
{
    memset(counts, 0, MQS_VERDICT_COUNT * sizeof counts[0]);
    for (size_t i = 0; i < run->ncases; i++) {
        unsigned v = (unsigned)run->cases[i].verdict;
        if (v < MQS_VERDICT_COUNT)
            counts[v]++;
    }
}

static void free_strings(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static void free_case(mqs_case *c)
{
    free(c->id);
    free(c->title);
    free(c->file);
    free(c->version);
    free_strings(c->tags, c->ntags);
    free_strings(c->spec, c->nspec);
    free(c->statement);
    free(c->message);
    free(c->expected);
    free(c->actual);
    free(c->statement_text);
    free(c->statement_section);
    free(c->section);
    if (c->spec_text)
        free_strings(c->spec_text, c->nspec);
    for (size_t i = 0; i < c->nevents; i++) {
        free(c->events[i].conn);
        free(c->events[i].text);
        free(c->events[i].raw);
    }
    free(c->events);
    if (c->first_attempt) {
        free_case(c->first_attempt);
        free(c->first_attempt);
    }
}

/* Frees what the run owns, not the run itself (callers usually keep it on the stack), and leaves it empty and reusable. */
void mqs_run_free(mqs_run *run)
{
    if (!run)
        return;
    for (size_t i = 0; i < run->ncases; i++)
        free_case(&run->cases[i]);
    free(run->cases);
    free(run->tool_version);
    free(run->target);
    free(run->started_at);
    free(run->profile_json);
    free(run->crash_case);
    free(run->crash_version);
    free(run->crash_reason);
    memset(run, 0, sizeof *run);
}
