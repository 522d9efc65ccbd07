/*
 * Reading a JSON report back.  Fields the format lists as always present may
 * still be missing from a hand-edited or older file: a missing optional field
 * is left empty, a present one of the wrong type is an error naming where.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bytes.h"
#include "mqttspec/codec.h"
#include "report_read.h"

typedef struct reader {
    const char *path;
    char *err;
    size_t cap;
} reader;

__attribute__((format(printf, 3, 4))) static int fail(reader *r, const char *pointer, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->err, r->cap, "%s: %s%s%s", r->path, pointer, pointer[0] ? ": " : "", msg);
    return -1;
}

/* A string or null field into *out (a heap copy); -1 for another type. */
static int get_str(reader *r, const cJSON *o, const char *key, const char *at, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    char pointer[300];
    snprintf(pointer, sizeof pointer, "%s/%s", at, key);
    if (!cJSON_IsString(v))
        return fail(r, pointer, "expected a string or null");
    *out = mqs_strdup(v->valuestring);
    return *out ? 0 : fail(r, pointer, "out of memory");
}

static int get_num(reader *r, const cJSON *o, const char *key, const char *at, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = 0;
    if (!v || cJSON_IsNull(v))
        return 0;
    char pointer[300];
    snprintf(pointer, sizeof pointer, "%.200s/%.90s", at, key);
    if (!cJSON_IsNumber(v))
        return fail(r, pointer, "expected a number");
    *out = (int64_t)v->valuedouble;
    return 0;
}

/* An array of strings (nulls allowed when allow_null) into a heap array of n copies. */
static int get_strings(reader *r, const cJSON *o, const char *key, const char *at, bool allow_null, char ***out,
                       size_t *n)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    *n = 0;
    if (!arr || cJSON_IsNull(arr))
        return 0;
    char pointer[300];
    snprintf(pointer, sizeof pointer, "%s/%s", at, key);
    if (!cJSON_IsArray(arr))
        return fail(r, pointer, "expected an array");
    size_t count = (size_t)cJSON_GetArraySize(arr);
    *out = calloc(count ? count : 1, sizeof **out);
    if (!*out)
        return fail(r, pointer, "out of memory");
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) {
        if (!(cJSON_IsString(item) || (allow_null && cJSON_IsNull(item))))
            return fail(r, pointer, "item %zu: expected a string", *n);
        (*out)[(*n)++] = cJSON_IsString(item) ? mqs_strdup(item->valuestring) : NULL;
    }
    return 0;
}

static int read_verdict(reader *r, const cJSON *o, const char *at, mqs_verdict *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "verdict");
    char pointer[300];
    snprintf(pointer, sizeof pointer, "%s/verdict", at);
    int verdict = mqs_verdict_parse(cJSON_GetStringValue(v));
    *out = (mqs_verdict)verdict;
    return verdict >= 0 ? 0 : fail(r, pointer, "expected a verdict (PASS, FAIL, WARN, SKIP, ERROR, NOT RUN, INCONSISTENT)");
}

static int read_event(reader *r, const cJSON *ev, const char *at, mqs_case *c)
{
    char *kind = NULL, *conn = NULL, *text = NULL, *hex = NULL;
    int64_t t_ms;
    int rc = get_num(r, ev, "t_ms", at, &t_ms) | get_str(r, ev, "kind", at, &kind) |
             get_str(r, ev, "conn", at, &conn) | get_str(r, ev, "text", at, &text) | get_str(r, ev, "hex", at, &hex);
    int k = kind ? mqs_event_kind_parse(kind) : -1;
    if (!rc && k < 0)
        rc = fail(r, at, "kind: expected sent, received, opened, closed, dropped or note");
    size_t n = 0;
    uint8_t *raw = NULL;
    if (!rc && hex && (!mqtt_hex_decode(hex, strlen(hex), NULL, 0, &n, NULL) || !(raw = malloc(n ? n : 1)) ||
                       !mqtt_hex_decode(hex, strlen(hex), raw, n, &n, NULL)))
        rc = fail(r, at, "hex: not hex");
    if (!rc)
        mqs_case_event(c, t_ms, (mqs_event_kind)k, conn, text, raw, raw ? n : 0);
    free(kind);
    free(conn);
    free(text);
    free(hex);
    free(raw);
    return rc ? -1 : 0;
}

static int read_transcript(reader *r, const cJSON *o, const char *at, mqs_case *c)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "transcript");
    if (!arr || cJSON_IsNull(arr))
        return 0;
    if (!cJSON_IsArray(arr))
        return fail(r, at, "transcript: expected an array");
    size_t i = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, arr) {
        char pointer[300];
        snprintf(pointer, sizeof pointer, "%s/transcript/%zu", at, i++);
        if (!cJSON_IsObject(ev))
            return fail(r, pointer, "expected an object");
        if (read_event(r, ev, pointer, c) < 0)
            return -1;
    }
    return 0;
}

static int read_case(reader *r, const cJSON *o, const char *at, mqs_case *c);

static int read_first_attempt(reader *r, const cJSON *o, const char *at, mqs_case *c)
{
    const cJSON *first = cJSON_GetObjectItemCaseSensitive(o, "first_attempt");
    if (!first || cJSON_IsNull(first))
        return 0;
    char pointer[300];
    snprintf(pointer, sizeof pointer, "%s/first_attempt", at);
    if (!cJSON_IsObject(first))
        return fail(r, pointer, "expected an object or null");
    if (!(c->first_attempt = calloc(1, sizeof *c->first_attempt)))
        return fail(r, pointer, "out of memory");
    return read_case(r, first, pointer, c->first_attempt);
}

static int read_case(reader *r, const cJSON *o, const char *at, mqs_case *c)
{
    int64_t step;
    size_t nspec_text;
    if (get_str(r, o, "id", at, &c->id) || get_str(r, o, "title", at, &c->title) ||
        get_str(r, o, "file", at, &c->file) || get_str(r, o, "version", at, &c->version) ||
        get_strings(r, o, "tags", at, false, &c->tags, &c->ntags) ||
        get_strings(r, o, "spec", at, false, &c->spec, &c->nspec) || read_verdict(r, o, at, &c->verdict) ||
        get_num(r, o, "step", at, &step) || get_str(r, o, "statement", at, &c->statement) ||
        get_str(r, o, "message", at, &c->message) || get_str(r, o, "expected", at, &c->expected) ||
        get_str(r, o, "actual", at, &c->actual) || get_num(r, o, "duration_ms", at, &c->duration_ms) ||
        get_str(r, o, "statement_text", at, &c->statement_text) || get_str(r, o, "statement_section", at, &c->statement_section) ||
        get_str(r, o, "section", at, &c->section) ||
        get_strings(r, o, "spec_text", at, true, &c->spec_text, &nspec_text))
        return -1;
    c->step = (int)step;
    if (c->spec_text && nspec_text != c->nspec)
        return fail(r, at, "spec_text: %zu entries for %zu in spec", nspec_text, c->nspec);
    if (!c->id)
        return fail(r, at, "id: missing");
    return read_transcript(r, o, at, c) < 0 || read_first_attempt(r, o, at, c) < 0 ? -1 : 0;
}

static int read_run(reader *r, const cJSON *root, mqs_run *run)
{
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsString(format) || strcmp(format->valuestring, "mqttspec-report") != 0)
        return fail(r, "/format", "not a mqttspec report (expected \"mqttspec-report\")");
    const cJSON *profile = cJSON_GetObjectItemCaseSensitive(root, "profile");
    if (cJSON_IsObject(profile))
        run->profile_json = cJSON_PrintUnformatted(profile);
    if (get_str(r, root, "tool_version", "", &run->tool_version) || get_str(r, root, "target", "", &run->target) ||
        get_str(r, root, "started_at", "", &run->started_at) || get_num(r, root, "duration_ms", "", &run->duration_ms))
        return -1;
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
    if (!cJSON_IsArray(cases))
        return fail(r, "/cases", "expected an array");
    size_t i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, cases) {
        char pointer[64];
        snprintf(pointer, sizeof pointer, "/cases/%zu", i++);
        if (!cJSON_IsObject(o))
            return fail(r, pointer, "expected an object");
        mqs_case *c = mqs_run_add_case(run);
        if (!c)
            return fail(r, pointer, "out of memory");
        if (read_case(r, o, pointer, c) < 0)
            return -1;
    }
    return 0;
}

int report_read(const char *path, mqs_run *run, char *err, size_t cap)
{
    reader r = {path, err, cap};
    memset(run, 0, sizeof *run);
    char *text = read_text_file(path);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    int rc;
    if (!text)
        rc = fail(&r, "", "cannot read the file");
    else if (!root)
        rc = fail(&r, "", "not JSON");
    else if (!cJSON_IsObject(root))
        rc = fail(&r, "", "expected an object");
    else
        rc = read_run(&r, root, run);
    cJSON_Delete(root);
    free(text);
    return rc;
}
