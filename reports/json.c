/*
 * The JSON report: one document per run, format "mqttspec-report" version 1,
 * described field by field in docs/report-json.md.  Every key is always
 * present (null when the model has nothing) so consumers need no existence
 * checks, except "transcript", which only non-PASS cases carry to keep a
 * report of a thousand passing cases small.  All strings are valid UTF-8:
 * bytes that are not are spelled \xNN (text.h).
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "text.h"

/* Keeps control characters: cJSON escapes them as \u00XX, so they survive exactly. */
enum { JSON_TEXT = MQS_TEXT_KEEP_WS | MQS_TEXT_KEEP_CTRL };

static bool add_str(cJSON *obj, const char *key, const char *s)
{
    if (!s)
        return cJSON_AddNullToObject(obj, key) != NULL;
    char *clean = mqs_text_clean(s, JSON_TEXT);
    bool ok = clean && cJSON_AddStringToObject(obj, key, clean);
    free(clean);
    return ok;
}

/* JSON numbers are doubles: exact for any duration below 2^53 ms. */
static bool add_num(cJSON *obj, const char *key, int64_t v)
{
    return cJSON_AddNumberToObject(obj, key, (double)v) != NULL;
}

static bool add_str_array(cJSON *obj, const char *key, char *const *list, size_t n)
{
    cJSON *arr = cJSON_AddArrayToObject(obj, key);
    if (!arr)
        return false;
    for (size_t i = 0; i < n; i++) {
        char *clean = mqs_text_clean(list[i] ? list[i] : "", JSON_TEXT);
        cJSON *item = clean ? cJSON_CreateString(clean) : NULL;
        free(clean);
        if (!item || !cJSON_AddItemToArray(arr, item)) {
            cJSON_Delete(item);
            return false;
        }
    }
    return true;
}

/* Lowercase hex, no separators: "300c0004..."; NULL when there are no bytes. */
static char *hex_string(const uint8_t *raw, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    if (!raw || !len || len > (SIZE_MAX - 1) / 2)
        return NULL;
    char *hex = malloc(2 * len + 1);
    if (!hex)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = digits[raw[i] >> 4];
        hex[2 * i + 1] = digits[raw[i] & 0x0f];
    }
    hex[2 * len] = '\0';
    return hex;
}

static cJSON *event_json(const mqs_event *ev)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char *hex = hex_string(ev->raw, ev->raw_len);
    bool ok = add_num(o, "t_ms", ev->t_ms) && add_str(o, "kind", mqs_event_kind_name(ev->kind)) &&
              add_str(o, "conn", ev->conn) && add_str(o, "text", ev->text) && add_str(o, "hex", hex);
    free(hex);
    if (ok && ev->raw_len && !hex)
        ok = false; /* bytes we had but could not render: out of memory */
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static bool add_transcript(cJSON *obj, const mqs_case *c)
{
    cJSON *arr = cJSON_AddArrayToObject(obj, "transcript");
    if (!arr)
        return false;
    for (size_t i = 0; i < c->nevents; i++) {
        cJSON *ev = event_json(&c->events[i]);
        if (!ev || !cJSON_AddItemToArray(arr, ev)) {
            cJSON_Delete(ev);
            return false;
        }
    }
    return true;
}

static bool fill_case(cJSON *o, const mqs_case *c);

/* The paraphrase of each spec entry, in the same order (null where unknown); null without the spec lists. */
static bool add_spec_text(cJSON *o, const mqs_case *c)
{
    if (!c->spec_text)
        return cJSON_AddNullToObject(o, "spec_text") != NULL;
    cJSON *arr = cJSON_AddArrayToObject(o, "spec_text");
    for (size_t i = 0; arr && i < c->nspec; i++) {
        char *clean = c->spec_text[i] ? mqs_text_clean(c->spec_text[i], JSON_TEXT) : NULL;
        cJSON *item = clean ? cJSON_CreateString(clean) : cJSON_CreateNull();
        free(clean);
        if (!item || !cJSON_AddItemToArray(arr, item)) {
            cJSON_Delete(item);
            return false;
        }
    }
    return arr != NULL;
}

/* The first (parallel) attempt of a case re-run alone: a case object of its own, with its transcript; else null. */
static bool add_first_attempt(cJSON *o, const mqs_case *c)
{
    if (!c->first_attempt)
        return cJSON_AddNullToObject(o, "first_attempt") != NULL;
    cJSON *first = cJSON_AddObjectToObject(o, "first_attempt");
    return first && fill_case(first, c->first_attempt);
}

static bool fill_case(cJSON *o, const mqs_case *c)
{
    bool ok = add_str(o, "id", c->id) && add_str(o, "title", c->title) && add_str(o, "file", c->file) &&
              add_str(o, "version", c->version) && add_str_array(o, "tags", c->tags, c->ntags) &&
              add_str_array(o, "spec", c->spec, c->nspec) && add_str(o, "verdict", mqs_verdict_name(c->verdict)) &&
              add_num(o, "step", c->step) && add_str(o, "statement", c->statement) &&
              add_str(o, "message", c->message) && add_str(o, "expected", c->expected) &&
              add_str(o, "actual", c->actual) && add_num(o, "duration_ms", c->duration_ms) &&
              add_first_attempt(o, c) && add_str(o, "statement_text", c->statement_text) &&
              add_str(o, "statement_section", c->statement_section) && add_str(o, "section", c->section) &&
              add_spec_text(o, c);
    if (ok && c->verdict != MQS_PASS)
        ok = add_transcript(o, c);
    return ok;
}

static bool add_cases(cJSON *root, const mqs_run *run)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "cases");
    if (!arr)
        return false;
    for (size_t i = 0; i < run->ncases; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            return false;
        }
        if (!fill_case(o, &run->cases[i]))
            return false;
    }
    return true;
}

/* Counts in the order a reader scans them (mqs_verdict_order), not the enum's order. */
static bool add_summary(cJSON *root, const mqs_run *run)
{
    size_t counts[MQS_VERDICT_COUNT];
    mqs_run_count(run, counts);
    cJSON *o = cJSON_AddObjectToObject(root, "summary");
    if (!o)
        return false;
    for (size_t i = 0; i < MQS_VERDICT_COUNT; i++)
        if (!add_num(o, mqs_verdict_name(mqs_verdict_order[i]), (int64_t)counts[mqs_verdict_order[i]]))
            return false;
    return add_num(o, "total", (int64_t)run->ncases);
}

/* The target's profile, as the probe wrote it (docs/profile.md). */
static bool add_profile(cJSON *root, const mqs_run *run)
{
    if (!run->profile_json)
        return true;
    cJSON *profile = cJSON_Parse(run->profile_json);
    return profile && cJSON_AddItemToObject(root, "profile", profile);
}

/* Which case the target went down in, and why; absent while it stayed up. */
static bool add_crash(cJSON *root, const mqs_run *run)
{
    if (!run->crash_case)
        return true;
    cJSON *o = cJSON_AddObjectToObject(root, "target_crashed");
    return o && add_str(o, "case", run->crash_case) && add_str(o, "version", run->crash_version) &&
           add_str(o, "reason", run->crash_reason);
}

static cJSON *run_json(const mqs_run *run)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    bool ok = add_str(root, "format", "mqttspec-report") && add_num(root, "format_version", 1) &&
              add_str(root, "tool_version", run->tool_version) && add_str(root, "target", run->target) &&
              add_str(root, "started_at", run->started_at) && add_num(root, "duration_ms", run->duration_ms) &&
              add_profile(root, run) && add_crash(root, run) && add_summary(root, run) && add_cases(root, run);
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int mqs_write_json(const mqs_run *run, FILE *out)
{
    cJSON *root = run_json(run);
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return -1;
    int rc = fputs(text, out) < 0 || fputc('\n', out) == EOF ? -1 : 0;
    cJSON_free(text);
    if (fflush(out) != 0 || ferror(out))
        rc = -1;
    return rc;
}
