/*
 * The coverage report as a terminal listing, Markdown and JSON
 * (docs/coverage.md).  Each writer only reads the model.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "coverage.h"

static bool shown(const cov_statement *st, bool gaps_only) { return !gaps_only || st->status == COV_NEITHER; }

static bool selected(const cov_version *v, unsigned mask) { return mask & (1u << v->version); }

void cov_write_totals(FILE *out, const cov_version *v)
{
    fprintf(out, "%s: testable %zu/%zu covered, %zu justified, %zu neither; all %zu statements: %zu covered, %zu "
                 "justified, %zu neither\n",
            mqtt_version_name(v->version), v->testable.covered, v->testable.total, v->testable.justified,
            v->testable.neither, v->all.total, v->all.covered, v->all.justified, v->all.neither);
}

/* ---- text ---- */

static void text_names(FILE *out, const char *label, const cov_names *n)
{
    if (!n->count)
        return;
    fprintf(out, "%-16s %-10s", "", label);
    for (size_t i = 0; i < n->count; i++)
        fprintf(out, "%s%s", i ? ", " : "", n->items[i]);
    fputc('\n', out);
}

void cov_write_text(FILE *out, const cov_model *m, unsigned mask, bool gaps_only)
{
    for (size_t k = 0; k < COV_VERSIONS; k++) {
        const cov_version *v = &m->versions[k];
        if (!selected(v, mask))
            continue;
        fprintf(out, "== MQTT %s: %zu statements\n", mqtt_version_name(v->version), v->count);
        for (size_t i = 0; i < v->count; i++) {
            const cov_statement *st = &v->items[i];
            if (!shown(st, gaps_only))
                continue;
            fprintf(out, "%-16s %-10s %s%s\n", st->id, st->status == COV_NEITHER ? "NEITHER" : cov_status_name(st->status),
                    st->testable ? "" : "(not wire-testable) ", st->paraphrase);
            text_names(out, "scenarios", &st->scenarios);
            text_names(out, "codec", &st->codec);
            text_names(out, "quirks", &st->quirks);
            if (st->reason)
                fprintf(out, "%-16s %-10s%s\n", "", "reason", st->reason);
        }
        cov_write_totals(out, v);
    }
}

/* ---- Markdown ---- */

/* A table cell: '|' would end it, a line break would end the row. */
static void md_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n' || *s == '\r')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
}

static void md_names(FILE *out, const cov_names *n)
{
    fputs(" | ", out);
    for (size_t i = 0; i < n->count; i++)
        fprintf(out, "%s`%s`", i ? ", " : "", n->items[i]);
}

static void md_version(FILE *out, const cov_version *v, bool gaps_only)
{
    fprintf(out, "## MQTT %s\n\n", mqtt_version_name(v->version));
    fprintf(out, "Wire-testable statements (yes or partly): **%zu of %zu covered**, %zu justified, %zu neither.  \n",
            v->testable.covered, v->testable.total, v->testable.justified, v->testable.neither);
    fprintf(out, "All %zu statements: %zu covered, %zu justified, %zu neither.\n\n", v->all.total, v->all.covered,
            v->all.justified, v->all.neither);
    fputs("| statement | testable | status | paraphrase | scenarios | codec errors | quirks | reason |\n"
          "|---|---|---|---|---|---|---|---|\n",
          out);
    for (size_t i = 0; i < v->count; i++) {
        const cov_statement *st = &v->items[i];
        if (!shown(st, gaps_only))
            continue;
        fprintf(out, "| `%s` | %s | %s%s%s | ", st->id, st->wire_testable, st->status == COV_NEITHER ? "**" : "",
                cov_status_name(st->status), st->status == COV_NEITHER ? "**" : "");
        md_text(out, st->paraphrase);
        md_names(out, &st->scenarios);
        md_names(out, &st->codec);
        md_names(out, &st->quirks);
        fputs(" | ", out);
        md_text(out, st->reason ? st->reason : "");
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

void cov_write_md(FILE *out, const cov_model *m, unsigned mask, bool gaps_only)
{
    fputs("# Statement coverage\n\n"
          "Written by `mqttspec coverage --format md` (docs/coverage.md). *covered*: cited by a scenario or a "
          "codec error code; *justified*: not checkable on the wire, for the reason given (spec/untestable.tsv); "
          "*neither*: a gap. ",
          out);
    fputs(m->quirks_from_matrix ? "A quirk is listed when its table entry names the statement and a scenario citing "
                                  "the statement FAILed with it in the quirk matrix.\n\n"
                                : "A quirk is listed when broker-sim's quirk table says it breaks the statement (the "
                                  "quirk matrix's results were not given).\n\n",
          out);
    for (size_t k = 0; k < COV_VERSIONS; k++)
        if (selected(&m->versions[k], mask))
            md_version(out, &m->versions[k], gaps_only);
}

/* ---- JSON ---- */

static cJSON *json_names(const cov_names *n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n->count; i++)
        if (!cJSON_AddItemToArray(arr, cJSON_CreateString(n->items[i]))) {
            cJSON_Delete(arr);
            return NULL;
        }
    return arr;
}

static cJSON *json_totals(const cov_totals *t)
{
    cJSON *o = cJSON_CreateObject();
    if (o && cJSON_AddNumberToObject(o, "total", (double)t->total) &&
        cJSON_AddNumberToObject(o, "covered", (double)t->covered) &&
        cJSON_AddNumberToObject(o, "justified", (double)t->justified) &&
        cJSON_AddNumberToObject(o, "neither", (double)t->neither))
        return o;
    cJSON_Delete(o);
    return NULL;
}

static cJSON *json_statement(const cov_statement *st)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "id", st->id) && cJSON_AddStringToObject(o, "section", st->section) &&
              cJSON_AddStringToObject(o, "constrains", st->constrains) &&
              cJSON_AddStringToObject(o, "wire_testable", st->wire_testable) &&
              cJSON_AddStringToObject(o, "paraphrase", st->paraphrase) &&
              cJSON_AddStringToObject(o, "status", cov_status_name(st->status)) &&
              cJSON_AddItemToObject(o, "scenarios", json_names(&st->scenarios)) &&
              cJSON_AddItemToObject(o, "codec_errors", json_names(&st->codec)) &&
              cJSON_AddItemToObject(o, "quirks", json_names(&st->quirks)) &&
              (st->reason ? cJSON_AddStringToObject(o, "reason", st->reason) != NULL
                          : cJSON_AddNullToObject(o, "reason") != NULL);
    if (ok)
        return o;
    cJSON_Delete(o);
    return NULL;
}

static cJSON *json_version(const cov_version *v, bool gaps_only)
{
    cJSON *o = cJSON_CreateObject(), *totals = cJSON_CreateObject(), *items = cJSON_CreateArray();
    bool ok = o && totals && items && cJSON_AddItemToObject(totals, "testable", json_totals(&v->testable)) &&
              cJSON_AddItemToObject(totals, "all", json_totals(&v->all));
    for (size_t i = 0; ok && i < v->count; i++)
        if (shown(&v->items[i], gaps_only))
            ok = cJSON_AddItemToArray(items, json_statement(&v->items[i]));
    if (ok && cJSON_AddStringToObject(o, "version", mqtt_version_name(v->version)) &&
        cJSON_AddItemToObject(o, "totals", totals)) {
        totals = NULL;
        if (cJSON_AddItemToObject(o, "statements", items))
            return o;
        items = NULL;
    }
    cJSON_Delete(o);
    cJSON_Delete(totals);
    cJSON_Delete(items);
    return NULL;
}

int cov_write_json(FILE *out, const cov_model *m, unsigned mask, bool gaps_only)
{
    cJSON *root = cJSON_CreateObject(), *versions = cJSON_CreateArray(), *problems = cJSON_CreateArray();
    bool ok = root && versions && problems && cJSON_AddStringToObject(root, "format", "mqttspec-coverage") &&
              cJSON_AddNumberToObject(root, "format_version", 1) &&
              /* where the quirk links come from: broker-sim's table alone, or the quirk matrix's results */
              cJSON_AddStringToObject(root, "quirks_from", m->quirks_from_matrix ? "matrix" : "table");
    for (size_t k = 0; ok && k < COV_VERSIONS; k++)
        if (selected(&m->versions[k], mask))
            ok = cJSON_AddItemToArray(versions, json_version(&m->versions[k], gaps_only));
    for (size_t i = 0; ok && i < m->nproblems; i++)
        ok = cJSON_AddItemToArray(problems, cJSON_CreateString(m->problems[i]));
    if (ok && cJSON_AddItemToObject(root, "versions", versions)) {
        versions = NULL;
        if (cJSON_AddItemToObject(root, "problems", problems)) {
            problems = NULL;
            char *text = cJSON_Print(root);
            ok = text != NULL;
            if (ok)
                fprintf(out, "%s\n", text);
            free(text);
        } else
            ok = false;
    } else
        ok = false;
    cJSON_Delete(root);
    cJSON_Delete(versions);
    cJSON_Delete(problems);
    return ok ? 0 : -1;
}
