/*
 * The Markdown report, for humans (a PR comment, a CI job summary): the
 * counts, one table row per case, then a section per non-PASS case with the
 * message, expected vs actual as a diff block and the wire transcript.
 *
 * Text from the model is never trusted to be Markdown: inline text has the
 * punctuation Markdown reacts to backslash-escaped and newlines turned into
 * <br> (a table row or a heading must stay one line); code blocks get a fence
 * longer than any run of backticks inside them.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "text.h"

/* ASCII punctuation that could start markup inside a line or a table cell. */
static const char MD_SPECIAL[] = "\\`*_[]<>|#~&";

static void md_ascii(FILE *out, char ch)
{
    if (ch == '\n')
        fputs("<br>", out);
    else if (ch == '\t')
        fputc(' ', out);
    else {
        if (strchr(MD_SPECIAL, ch))
            fputc('\\', out);
        fputc(ch, out);
    }
}

static void md_inline(FILE *out, const char *s)
{
    while (s && *s) {
        bool as_hex;
        size_t len = mqs_text_unit(s, MQS_TEXT_KEEP_WS, &as_hex);
        if (as_hex)
            fprintf(out, "\\\\x%02X", (unsigned char)*s); /* "\\x01" renders as \x01 */
        else if (len == 1)
            md_ascii(out, *s);
        else
            fwrite(s, 1, len, out);
        s += len;
    }
}

void mqs_md_inline(FILE *out, const char *s)
{
    md_inline(out, s);
}

static void write_fence(FILE *out, size_t len, const char *info)
{
    for (size_t i = 0; i < len; i++)
        fputc('`', out);
    fprintf(out, "%s\n", info);
}

/* Three backticks, or one more than the longest run inside the block. */
static size_t fence_len(const char *a, const char *b)
{
    size_t run = mqs_text_backtick_run(a);
    size_t run_b = mqs_text_backtick_run(b);
    if (run_b > run)
        run = run_b;
    return run >= 3 ? run + 1 : 3;
}

/* Each line of the (already clean) text, prefixed; the prefix marks it for diff highlighting. */
static void write_prefixed_lines(FILE *out, const char *prefix, const char *text)
{
    do {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        fputs(prefix, out);
        fwrite(text, 1, len, out);
        fputc('\n', out);
        text = nl ? nl + 1 : NULL;
    } while (text && *text);
}

static void write_header(FILE *out, const mqs_run *run)
{
    char secs[32];
    mqs_text_seconds(secs, run->duration_ms);
    fputs("# mqttspec report\n\n- **Target:** ", out);
    md_inline(out, run->target ? run->target : "(unknown)");
    fputs("\n- **Started:** ", out);
    md_inline(out, run->started_at ? run->started_at : "(unknown)");
    fprintf(out, "\n- **Duration:** %s s\n- **Tool:** mqttspec ", secs);
    md_inline(out, run->tool_version ? run->tool_version : "(unknown)");
    if (run->crash_case) {
        fputs("\n- **Target crashed:** during case ", out);
        md_inline(out, run->crash_case);
        fputs(" (", out);
        md_inline(out, run->crash_version ? run->crash_version : "?");
        fputs("): ", out);
        md_inline(out, run->crash_reason ? run->crash_reason : "(no reason recorded)");
        fputs("; the cases after it were not run", out);
    }
    fputs("\n\n", out);
}

/* One line per probed version: its status, round trip, and the capabilities it lacks. */
static void write_profile(FILE *out, const mqs_run *run)
{
    cJSON *profile = run->profile_json ? cJSON_Parse(run->profile_json) : NULL;
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(profile, "versions");
    if (!versions || !versions->child) {
        cJSON_Delete(profile);
        return;
    }
    fputs("## Target profile\n\n", out);
    for (const cJSON *v = versions->child; v; v = v->next) {
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(v, "status");
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(v, "reason");
        const cJSON *rtt = cJSON_GetObjectItemCaseSensitive(v, "rtt_ms");
        fputs("- **MQTT ", out);
        md_inline(out, v->string);
        fputs(":** ", out);
        md_inline(out, cJSON_IsString(status) ? status->valuestring : "?");
        if (cJSON_IsString(reason)) {
            fputs(" (", out);
            md_inline(out, reason->valuestring);
            fputs(")", out);
        }
        if (cJSON_IsNumber(rtt))
            fprintf(out, ", round trip %d ms", rtt->valueint);
        const cJSON *caps = cJSON_GetObjectItemCaseSensitive(v, "capabilities");
        bool any = false;
        for (const cJSON *c = caps ? caps->child : NULL; c; c = c->next)
            if (cJSON_IsFalse(c)) {
                fputs(any ? ", " : "; lacks: ", out);
                md_inline(out, c->string);
                any = true;
            }
        fputs("\n", out);
    }
    fputs("\n", out);
    cJSON_Delete(profile);
}

static void write_summary(FILE *out, const mqs_run *run)
{
    size_t n[MQS_VERDICT_COUNT];
    mqs_run_count(run, n);
    fputs("## Summary\n\n|", out);
    for (size_t i = 0; i < MQS_VERDICT_COUNT; i++)
        fprintf(out, " %s |", mqs_verdict_name(mqs_verdict_order[i]));
    fputs(" total |\n|", out);
    for (size_t i = 0; i <= MQS_VERDICT_COUNT; i++)
        fputs("---:|", out);
    fputs("\n|", out);
    for (size_t i = 0; i < MQS_VERDICT_COUNT; i++)
        fprintf(out, " %zu |", n[mqs_verdict_order[i]]);
    fprintf(out, " %zu |\n\n", run->ncases);
}

static void write_case_table(FILE *out, const mqs_run *run)
{
    fputs("## Cases\n\n| id | version | verdict | statement |\n|---|---|---|---|\n", out);
    for (size_t i = 0; i < run->ncases; i++) {
        const mqs_case *c = &run->cases[i];
        fputs("| ", out);
        md_inline(out, c->id);
        fputs(" | ", out);
        md_inline(out, c->version);
        fprintf(out, " | %s | ", mqs_verdict_name(c->verdict));
        md_inline(out, c->statement);
        fputs(" |\n", out);
    }
    fputc('\n', out);
}

/* "- **Label:** value" when there is a value. */
static void write_field(FILE *out, const char *label, const char *value)
{
    if (!value)
        return;
    fprintf(out, "- **%s:** ", label);
    md_inline(out, value);
    fputc('\n', out);
}

static void write_spec_list(FILE *out, const mqs_case *c)
{
    if (!c->nspec)
        return;
    fputs("- **Checks:** ", out);
    for (size_t i = 0; i < c->nspec; i++) {
        if (i)
            fputs(", ", out);
        md_inline(out, c->spec[i]);
    }
    fputc('\n', out);
}

static void write_diff(FILE *out, const mqs_case *c)
{
    if (!c->expected && !c->actual)
        return;
    char *exp = mqs_text_clean(c->expected ? c->expected : "(nothing recorded)", MQS_TEXT_KEEP_WS);
    char *act = mqs_text_clean(c->actual ? c->actual : "(nothing recorded)", MQS_TEXT_KEEP_WS);
    size_t fence = fence_len(exp, act);
    write_fence(out, fence, "diff");
    fputs("--- expected\n+++ actual\n", out);
    write_prefixed_lines(out, "-", exp ? exp : "(out of memory)");
    write_prefixed_lines(out, "+", act ? act : "(out of memory)");
    write_fence(out, fence, "");
    fputc('\n', out);
    free(exp);
    free(act);
}

/* The transcript text is already one clean line per event (transcript.c). */
static void write_transcript_block(FILE *out, const mqs_case *c)
{
    if (!c->nevents) {
        fputs("No transcript recorded.\n\n", out);
        return;
    }
    char *text = mqs_transcript_string(c);
    size_t fence = fence_len(text, NULL);
    fputs("**Transcript:**\n\n", out);
    write_fence(out, fence, "");
    fputs(text ? text : "(out of memory rendering the transcript)\n", out);
    write_fence(out, fence, "");
    fputc('\n', out);
    free(text);
}

/* Statement, step, file, message, diff and transcript of one attempt. */
static void write_attempt(FILE *out, const mqs_case *c)
{
    write_field(out, "Statement", c->statement);
    write_field(out, "It says", c->statement ? c->statement_text : NULL);
    write_field(out, "Section", c->statement ? c->statement_section : NULL);
    if (c->step)
        fprintf(out, "- **Step:** %d\n", c->step);
    write_field(out, "File", c->file);
    write_spec_list(out, c);
    fputs("\n**Message:** ", out);
    md_inline(out, c->message ? c->message : "(none)");
    fputs("\n\n", out);
    write_diff(out, c);
    write_transcript_block(out, c);
}

static void write_case_details(FILE *out, const mqs_case *c)
{
    fprintf(out, "### %s ", mqs_verdict_name(c->verdict));
    md_inline(out, c->id ? c->id : "unnamed");
    fputs(" (", out);
    md_inline(out, c->version ? c->version : "unknown");
    fputs(")\n\n", out);
    if (c->title) {
        md_inline(out, c->title);
        fputs("\n\n", out);
    }
    if (c->verdict == MQS_INCONSISTENT)
        fputs("Failed when run in parallel, passed when re-run alone: not a failure of the target.\n\n", out);
    write_attempt(out, c);
    if (c->first_attempt) {
        fprintf(out, "#### First attempt (in parallel): %s\n\n", mqs_verdict_name(c->first_attempt->verdict));
        write_attempt(out, c->first_attempt);
    }
}

int mqs_write_markdown(const mqs_run *run, FILE *out)
{
    write_header(out, run);
    write_profile(out, run);
    write_summary(out, run);
    write_case_table(out, run);
    bool heading = false;
    for (size_t i = 0; i < run->ncases; i++) {
        if (run->cases[i].verdict == MQS_PASS && !run->cases[i].first_attempt)
            continue;
        if (!heading)
            fputs("## Details\n\n", out);
        heading = true;
        write_case_details(out, &run->cases[i]);
    }
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
