/* The statement lists: loading, lookup, annotating a run, selecting scenarios by statement. */
#define _DEFAULT_SOURCE /* getline */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "statements.h"

/* Each list and the version prefix its ids get in scenarios and reports. */
static const struct {
    const char *file, *version;
} LISTS[] = {
    {"mqtt311_statements.tsv", "3.1.1"},
    {"mqtt5_statements.tsv", "5.0"},
};

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const stmt_entry *)a)->id, ((const stmt_entry *)b)->id);
}

/* "id\tsection\tconstrains\ttestable\tparaphrase": split in place; false for a line of another shape. */
static bool split_line(char *line, char *fields[5])
{
    line[strcspn(line, "\r\n")] = '\0';
    for (int i = 0; i < 5; i++) {
        fields[i] = line;
        char *tab = strchr(line, '\t');
        if (i < 4 && !tab)
            return false;
        if (tab) {
            *tab = '\0';
            line = tab + 1;
        }
    }
    return strncmp(fields[0], "MQTT-", 5) == 0; /* the header and anything else is not a statement */
}

static bool add_entry(stmt_list *list, size_t *cap, const char *version, char *fields[5])
{
    if (list->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        stmt_entry *items = realloc(list->items, ncap * sizeof *items);
        if (!items)
            return false;
        list->items = items;
        *cap = ncap;
    }
    size_t idlen = strlen(version) + 1 + strlen(fields[0]) + 1;
    stmt_entry e = {malloc(idlen), strdup(fields[1]), strdup(fields[4])};
    if (!e.id || !e.section || !e.text) {
        free(e.id);
        free(e.section);
        free(e.text);
        return false;
    }
    snprintf(e.id, idlen, "%s:%s", version, fields[0]);
    list->items[list->count++] = e;
    return true;
}

static bool load_one(const char *path, const char *version, stmt_list *list, size_t *cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char *line = NULL;
    size_t n = 0;
    bool ok = true;
    while (ok && getline(&line, &n, f) != -1) {
        char *fields[5];
        if (split_line(line, fields))
            ok = add_entry(list, cap, version, fields);
    }
    free(line);
    ok &= !ferror(f);
    fclose(f);
    return ok;
}

int stmt_list_load(const char *dir, stmt_list *out, FILE *errors)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    int loaded = 0;
    for (size_t i = 0; i < sizeof LISTS / sizeof LISTS[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, LISTS[i].file);
        if (load_one(path, LISTS[i].version, out, &cap))
            loaded++;
        else if (errors)
            fprintf(errors, "mqttspec: %s: cannot read the statement list: reports show statement ids only\n", path);
    }
    if (out->count)
        qsort(out->items, out->count, sizeof *out->items, entry_cmp);
    return loaded;
}

void stmt_list_free(stmt_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].id);
        free(list->items[i].section);
        free(list->items[i].text);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}

const stmt_entry *stmt_find(const stmt_list *list, const char *qualified)
{
    if (!list || !list->count || !qualified)
        return NULL;
    stmt_entry key = {(char *)qualified, NULL, NULL};
    return bsearch(&key, list->items, list->count, sizeof key, entry_cmp);
}

/* The case's first statement of its own version that the lists know, else its first known one. */
static const stmt_entry *home_statement(const stmt_list *list, const mqs_case *c)
{
    const stmt_entry *any = NULL;
    size_t vlen = c->version ? strlen(c->version) : 0;
    for (size_t i = 0; i < c->nspec; i++) {
        const stmt_entry *e = stmt_find(list, c->spec[i]);
        if (e && vlen && strncmp(c->spec[i], c->version, vlen) == 0 && c->spec[i][vlen] == ':')
            return e;
        if (!any)
            any = e;
    }
    return any;
}

static void annotate_case(const stmt_list *list, mqs_case *c)
{
    const stmt_entry *cited = stmt_find(list, c->statement);
    const stmt_entry *home = home_statement(list, c);
    free(c->statement_text);
    free(c->statement_section);
    free(c->section);
    c->statement_text = cited ? mqs_strdup(cited->text) : NULL;
    c->statement_section = cited ? mqs_strdup(cited->section) : NULL;
    c->section = home ? mqs_strdup(home->section) : NULL;
    if (!c->spec_text && c->nspec)
        c->spec_text = calloc(c->nspec, sizeof *c->spec_text);
    for (size_t i = 0; c->spec_text && i < c->nspec; i++) {
        const stmt_entry *e = stmt_find(list, c->spec[i]);
        free(c->spec_text[i]);
        c->spec_text[i] = e ? mqs_strdup(e->text) : NULL;
    }
    if (c->first_attempt)
        annotate_case(list, c->first_attempt);
}

void stmt_annotate(const stmt_list *list, mqs_run *run)
{
    if (!list || !list->count)
        return;
    for (size_t i = 0; i < run->ncases; i++)
        annotate_case(list, &run->cases[i]);
}

/* "3.8" selects "3.8" and "3.8.4..." but not "3.81": a prefix ending at a dot, a space or the end. */
static bool section_under(const char *section, const char *wanted)
{
    size_t n = strlen(wanted);
    return n && strncmp(section, wanted, n) == 0 && (section[n] == '\0' || section[n] == '.' || section[n] == ' ');
}

/* The section number in an id: "3.1.1:MQTT-3.8.4-1" -> "3.8.4" into buf. */
static void id_section(const char *qualified, char *buf, size_t cap)
{
    const char *m = strstr(qualified, "MQTT-");
    buf[0] = '\0';
    if (!m)
        return;
    snprintf(buf, cap, "%s", m + 5);
    char *dash = strchr(buf, '-');
    if (dash)
        *dash = '\0';
}

static bool glob_selects(const char *glob, const char *qualified)
{
    const char *colon = strchr(qualified, ':');
    const char *bare = colon ? colon + 1 : qualified;
    return fnmatch(glob, strchr(glob, ':') ? qualified : bare, 0) == 0;
}

bool stmt_selected(const stmt_list *list, const stmt_filter *f, const char *qualified)
{
    if (!f->nglobs && !f->nsections)
        return true;
    for (size_t i = 0; i < f->nglobs; i++)
        if (glob_selects(f->globs[i], qualified))
            return true;
    char from_id[64];
    id_section(qualified, from_id, sizeof from_id);
    const stmt_entry *e = stmt_find(list, qualified);
    for (size_t i = 0; i < f->nsections; i++)
        if (section_under(from_id, f->sections[i]) || (e && section_under(e->section, f->sections[i])))
            return true;
    return false;
}

static void each_in(const cJSON *arr, const char **seen, size_t *nseen, size_t cap,
                    void (*fn)(const char *, void *), void *ctx)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) {
        if (!cJSON_IsString(item))
            continue;
        bool dup = false;
        for (size_t i = 0; i < *nseen && !dup; i++)
            dup = strcmp(seen[i], item->valuestring) == 0;
        if (dup)
            continue;
        if (*nseen < cap)
            seen[(*nseen)++] = item->valuestring;
        fn(item->valuestring, ctx);
    }
}

void stmt_each_cited(const mqs_scenario *sc, void (*fn)(const char *id, void *ctx), void *ctx)
{
    enum { MAX_SEEN = 256 }; /* a scenario cites a handful; past this, a repeat is merely reported twice */
    const char *seen[MAX_SEEN];
    size_t nseen = 0;
    each_in(sc->spec, seen, &nseen, MAX_SEEN, fn, ctx);
    const cJSON *step;
    cJSON_ArrayForEach(step, sc->steps) {
        each_in(cJSON_GetObjectItemCaseSensitive(step, "spec"), seen, &nseen, MAX_SEEN, fn, ctx);
    }
}

typedef struct select_ctx {
    const stmt_list *list;
    const stmt_filter *filter;
    bool any;
} select_ctx;

static void select_one(const char *id, void *ctx)
{
    select_ctx *s = ctx;
    s->any = s->any || stmt_selected(s->list, s->filter, id);
}

bool stmt_scenario_selected(const stmt_list *list, const stmt_filter *f, const mqs_scenario *sc)
{
    if (!f->nglobs && !f->nsections)
        return true;
    select_ctx s = {list, f, false};
    stmt_each_cited(sc, select_one, &s);
    return s.any;
}

size_t stmt_prune(const stmt_list *list, const stmt_filter *f, mqs_scenario_set *set)
{
    size_t kept = 0;
    for (size_t i = 0; i < set->count; i++) {
        if (stmt_scenario_selected(list, f, &set->items[i]))
            set->items[kept++] = set->items[i];
        else
            mqs_scenario_free(&set->items[i]);
    }
    set->count = kept;
    return kept;
}
