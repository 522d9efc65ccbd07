/*
 * Exact subset matching of a pattern against a packet's JSON form.  The
 * engine layers any-of, ranges and captures on top; this part only answers
 * "same or not, and where first not".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_internal.h"
#include "mqttspec/packet_json.h"

/* Longest rendering of one value in a `why`, so both sides fit. */
#define SNIPPET_MAX 96

typedef struct jm {
    jx_path path; /* of the values being compared */
    char *out_path;
    size_t path_cap;
    char *why;
    size_t why_cap;
} jm;

/* Compact JSON of item for a message, shortened with "..." when long. */
static void snippet(const cJSON *item, char *buf, size_t cap)
{
    if (item == NULL) {
        snprintf(buf, cap, "(absent)");
        return;
    }
    char *text = cJSON_PrintUnformatted(item);
    if (text == NULL) {
        snprintf(buf, cap, "(?)");
        return;
    }
    if (strlen(text) >= cap)
        snprintf(buf, cap, "%.*s...", (int)(cap - 4), text);
    else
        snprintf(buf, cap, "%s", text);
    free(text);
}

/* Record the first difference; returns false for the caller to pass up. */
static bool differ(jm *m, const char *expected, const char *actual)
{
    if (m->out_path != NULL && m->path_cap > 0)
        snprintf(m->out_path, m->path_cap, "%s", jx_path_str(&m->path));
    if (m->why != NULL && m->why_cap > 0)
        snprintf(m->why, m->why_cap, "expected %s vs actual %s", expected, actual);
    return false;
}

static bool differ_values(jm *m, const cJSON *pattern, const cJSON *actual)
{
    char e[SNIPPET_MAX], a[SNIPPET_MAX];
    snippet(pattern, e, sizeof e);
    snippet(actual, a, sizeof a);
    return differ(m, e, a);
}

static bool match(jm *m, const cJSON *pattern, const cJSON *actual);

static bool match_object(jm *m, const cJSON *pattern, const cJSON *actual)
{
    for (const cJSON *p = pattern->child; p != NULL; p = p->next) {
        size_t mark = jx_path_push(&m->path, p->string);
        if (!match(m, p, cJSON_GetObjectItemCaseSensitive(actual, p->string)))
            return false;
        jx_path_pop(&m->path, mark);
    }
    return true;
}

static bool match_array(jm *m, const cJSON *pattern, const cJSON *actual)
{
    int n = cJSON_GetArraySize(pattern), an = cJSON_GetArraySize(actual);
    if (n != an) {
        char e[32], a[32];
        snprintf(e, sizeof e, "%d elements", n);
        snprintf(a, sizeof a, "%d elements", an);
        return differ(m, e, a);
    }
    const cJSON *a = actual->child;
    int i = 0;
    for (const cJSON *p = pattern->child; p != NULL; p = p->next, a = a->next, i++) {
        size_t mark = jx_path_push_index(&m->path, i);
        if (!match(m, p, a))
            return false;
        jx_path_pop(&m->path, mark);
    }
    return true;
}

/* Same JSON type, true and false counting as one type (booleans). */
static bool same_kind(const cJSON *a, const cJSON *b)
{
    if (cJSON_IsBool(a))
        return cJSON_IsBool(b);
    return (a->type & 0xFF) == (b->type & 0xFF);
}

static bool match(jm *m, const cJSON *pattern, const cJSON *actual)
{
    if (actual == NULL || !same_kind(pattern, actual))
        return differ_values(m, pattern, actual);
    if (cJSON_IsObject(pattern))
        return match_object(m, pattern, actual);
    if (cJSON_IsArray(pattern))
        return match_array(m, pattern, actual);
    bool equal = true;
    if (cJSON_IsBool(pattern))
        equal = cJSON_IsTrue(pattern) == cJSON_IsTrue(actual);
    else if (cJSON_IsNumber(pattern))
        equal = pattern->valuedouble == actual->valuedouble;
    else if (cJSON_IsString(pattern))
        equal = strcmp(pattern->valuestring, actual->valuestring) == 0;
    return equal || differ_values(m, pattern, actual);
}

bool mqtt_json_match(const cJSON *pattern, const cJSON *actual, char *path, size_t path_cap, char *why,
                     size_t why_cap)
{
    jm m = {.out_path = path, .path_cap = path_cap, .why = why, .why_cap = why_cap};
    if (path != NULL && path_cap > 0)
        path[0] = '\0';
    if (why != NULL && why_cap > 0)
        why[0] = '\0';
    if (pattern == NULL)
        return true; /* no pattern: nothing to differ from */
    return match(&m, pattern, actual);
}
