/*
 * Expected-verdict baselines (docs/baselines.md): a file of "id@version
 * VERDICT" lines, where VERDICT may list alternatives ("FAIL|WARN") and a
 * case not listed is expected to PASS.  A run compared with one prints what
 * is new, what is fixed and what is unchanged, and fails only when something
 * got worse.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"

#define BASELINE_LINE_MAX 1024

typedef struct entry {
    char key[200];      /* id@version */
    unsigned verdicts;  /* bit per mqs_verdict */
    bool seen;
} entry;

struct cli_baseline {
    entry *entries;
    size_t n, cap;
};

/* How bad a verdict is: a change to a worse rank is a regression. */
static int rank(mqs_verdict v)
{
    switch (v) {
    case MQS_WARN: return 1;
    case MQS_FAIL: return 2;
    case MQS_ERROR: return 3;
    case MQS_CRASHED: return 4;
    default: return 0; /* PASS, SKIP, INCONSISTENT, NOT RUN */
    }
}

static int verdict_by_name(const char *name)
{
    for (int v = 0; v < MQS_VERDICT_COUNT; v++)
        if (strcmp(mqs_verdict_name((mqs_verdict)v), name) == 0)
            return v;
    return -1;
}

/* "FAIL|WARN" -> bits; 0 if a name is unknown. */
static unsigned parse_verdicts(char *text)
{
    unsigned bits = 0;
    for (char *save = NULL, *tok = strtok_r(text, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
        int v = verdict_by_name(tok);
        if (v < 0)
            return 0;
        bits |= 1u << v;
    }
    return bits;
}

static bool add_entry(cli_baseline *b, const char *key, unsigned verdicts)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        entry *e = realloc(b->entries, cap * sizeof *e);
        if (!e)
            return false;
        b->entries = e;
        b->cap = cap;
    }
    entry *e = &b->entries[b->n++];
    snprintf(e->key, sizeof e->key, "%s", key);
    e->verdicts = verdicts;
    e->seen = false;
    return true;
}

/* One line: "" or a comment, else "id@version VERDICT[|VERDICT]"; false with why. */
static bool parse_line(cli_baseline *b, char *line, char *why, size_t why_cap)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char key[BASELINE_LINE_MAX], verdicts[BASELINE_LINE_MAX], extra[8];
    int n = sscanf(line, "%1023s %1023s %7s", key, verdicts, extra);
    if (n <= 0)
        return true;
    if (n != 2 || !strchr(key, '@') || strlen(key) >= sizeof b->entries->key) {
        snprintf(why, why_cap, "expected \"id@version VERDICT\"");
        return false;
    }
    char names[BASELINE_LINE_MAX];
    snprintf(names, sizeof names, "%s", verdicts);
    unsigned bits = parse_verdicts(names);
    if (!bits) {
        snprintf(why, why_cap,
                 "unknown verdict in \"%.60s\" (PASS, WARN, SKIP, FAIL, ERROR, INCONSISTENT, CRASHED, separated by |)",
                 verdicts);
        return false;
    }
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->entries[i].key, key) == 0) {
            snprintf(why, why_cap, "%s is listed twice", key);
            return false;
        }
    if (!add_entry(b, key, bits)) {
        snprintf(why, why_cap, "out of memory");
        return false;
    }
    return true;
}

int cli_baseline_load(const char *path, cli_baseline **out)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "mqttspec: --baseline %s: %s\n", path, strerror(errno));
        return -1;
    }
    cli_baseline *b = calloc(1, sizeof *b);
    char line[BASELINE_LINE_MAX], why[200];
    int lineno = 0, rc = b ? 0 : -1;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        if (!parse_line(b, line, why, sizeof why)) {
            fprintf(stderr, "mqttspec: %s:%d: %s\n", path, lineno, why);
            rc = -1;
        }
    }
    fclose(f);
    if (rc < 0) {
        cli_baseline_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

void cli_baseline_free(cli_baseline *b)
{
    if (!b)
        return;
    free(b->entries);
    free(b);
}

static entry *find(cli_baseline *b, const char *key)
{
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->entries[i].key, key) == 0)
            return &b->entries[i];
    return NULL;
}

static void expected_text(unsigned bits, char *out, size_t cap)
{
    out[0] = '\0';
    for (int v = 0; v < MQS_VERDICT_COUNT; v++)
        if (bits & (1u << v))
            snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? "|" : "", mqs_verdict_name((mqs_verdict)v));
}

/* Worst and best rank among the expected alternatives. */
static void rank_span(unsigned bits, int *lo, int *hi)
{
    *lo = 99;
    *hi = -1;
    for (int v = 0; v < MQS_VERDICT_COUNT; v++)
        if (bits & (1u << v)) {
            int r = rank((mqs_verdict)v);
            *lo = r < *lo ? r : *lo;
            *hi = r > *hi ? r : *hi;
        }
}

int cli_baseline_compare(cli_baseline *b, const mqs_run *run, bool strict, FILE *out)
{
    size_t unchanged = 0, fixed = 0, worse = 0, changed = 0;
    for (size_t i = 0; i < run->ncases; i++) {
        const mqs_case *c = &run->cases[i];
        char key[200], want[80];
        snprintf(key, sizeof key, "%s@%s", c->id, c->version);
        entry *e = find(b, key);
        unsigned bits = e ? e->verdicts : 1u << MQS_PASS;
        if (e)
            e->seen = true;
        if (c->verdict == MQS_NOT_RUN || (bits & (1u << c->verdict))) {
            unchanged++;
            continue;
        }
        int lo, hi, r = rank(c->verdict);
        rank_span(bits, &lo, &hi);
        expected_text(bits, want, sizeof want);
        const char *what = r > hi || (strict && c->verdict == MQS_WARN) ? "NEW  " : r < lo ? "FIXED" : "CHANGED";
        worse += what[0] == 'N';
        fixed += what[0] == 'F';
        changed += what[0] == 'C';
        fprintf(out, "baseline %s %s: expected %s, now %s%s%s\n", what, key, want, mqs_verdict_name(c->verdict),
                c->statement && c->statement[0] ? " " : "", c->statement ? c->statement : "");
    }
    size_t absent = 0;
    for (size_t i = 0; i < b->n; i++)
        if (!b->entries[i].seen)
            absent++;
    fprintf(out, "baseline: %zu unchanged, %zu new (worse), %zu fixed, %zu changed, %zu listed but not run\n",
            unchanged, worse, fixed, changed, absent);
    return worse ? 1 : 0;
}

int cli_baseline_write(const char *path, const mqs_run *run)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "mqttspec: --write-baseline %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "# mqttspec baseline: expected verdicts of %s (%s), written %s.\n"
               "# \"id@version VERDICT\" per line, alternatives as FAIL|WARN; a case not listed is expected to PASS.\n"
               "# Check every FAIL against the spec before you keep it (docs/baselines.md).\n",
            run->target ? run->target : "?", run->tool_version ? run->tool_version : "?",
            run->started_at ? run->started_at : "?");
    for (size_t i = 0; i < run->ncases; i++) {
        const mqs_case *c = &run->cases[i];
        if (c->verdict == MQS_PASS || c->verdict == MQS_NOT_RUN)
            continue;
        fprintf(f, "%s@%s %s", c->id, c->version, mqs_verdict_name(c->verdict));
        if (c->statement && c->statement[0])
            fprintf(f, "  # %s", c->statement);
        fputc('\n', f);
    }
    return fclose(f) == 0 ? 0 : -1;
}
