/*
 * The HTML report: one self-contained page (inline style and script, nothing
 * fetched, so it opens from a CI artifact or a mail attachment): the run's
 * header, the verdict counts, the probed profile, then the cases grouped by
 * the spec section they belong to, verdicts coloured.  A click on a case opens
 * its detail: the statements it checks with their text, the failing step,
 * expected vs actual and the wire transcript (decoded packets and hex).
 * Filters by verdict, version and tag are a few lines of script that only
 * show or hide rows; a link may preset one (report.html#verdict=FAIL) or show
 * one case with its detail open (report.html#case=7).  The shared parts are also the matrix's (matrix.c).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "html.h"
#include "text.h"

/* Bytes of a packet shown as hex in the transcript; the rest is counted (a flood case's payload is megabytes). */
enum { HTML_HEX_MAX = 256 };

void mqs_html_text(FILE *out, const char *s)
{
    while (s && *s) {
        bool as_hex;
        size_t len = mqs_text_unit(s, MQS_TEXT_KEEP_WS, &as_hex);
        if (as_hex)
            fprintf(out, "\\x%02X", (unsigned char)*s);
        else if (*s == '<')
            fputs("&lt;", out);
        else if (*s == '>')
            fputs("&gt;", out);
        else if (*s == '&')
            fputs("&amp;", out);
        else if (*s == '"')
            fputs("&quot;", out);
        else if (*s == '\'')
            fputs("&#39;", out);
        else
            fwrite(s, 1, len, out);
        s += len;
    }
}

static const char STYLE[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
    ".meta td,.meta th{border:none;padding:1px 8px 1px 0}"
    ".v{display:inline-block;min-width:4.5em;text-align:center;border-radius:3px;font-weight:600;padding:0 4px}"
    ".v-PASS{background:#c8f0c8}.v-FAIL{background:#f4b4b4}.v-WARN{background:#fbe3a1}"
    ".v-SKIP{background:#dde3ea}.v-ERROR{background:#e0b0f0}.v-NOT-RUN{background:#eee}"
    ".v-INCONSISTENT{background:#b8dcf4}.v-none{background:#fff;color:#999}"
    "table.cases{width:100%}tr.case{cursor:pointer}tr.case:hover{background:#f5f8ff}"
    "tr.group th{background:#f0f0f0;font-size:1.05em}"
    "tr.detail{display:none}tr.detail.open{display:table-row}"
    ".hidden{display:none!important}"
    ".detail-body{padding:4px 8px;background:#fcfcfc}.cited{font-weight:600}"
    "pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:4px;margin:2px 0}"
    "table.transcript td{font:12px monospace;border:none;border-bottom:1px solid #eee}"
    "table.transcript td:nth-child(-n+3){white-space:nowrap}"
    "table.transcript .hex{color:#666;word-break:break-all}"
    ".filters{margin:1em 0}.filters label{margin-right:1em}"
    "table.matrix td.cell{text-align:center}table.matrix a{text-decoration:none;color:inherit}"
    "section.mdetail{border-top:1px solid #ccc;margin-top:1em}section.mdetail:target{background:#fffbe0}";

void mqs_html_begin(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    mqs_html_text(out, title);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n", STYLE);
}

/*
 * Show only what every filter admits: an element's data-* attribute holds
 * space-separated words ("FAIL", "5.0", tags) and the chosen word must be one
 * of them.  A group heading hides with its last visible case; a click on a
 * case row opens its detail row.
 */
static const char SCRIPT[] =
    "(function(){\n"
    "var names=['verdict','version','tag'];\n"
    "function has(el,attr,word){return !word||(' '+(el.getAttribute('data-'+attr)||'')+' ').indexOf(' '+word+' ')>=0;}\n"
    "function apply(){\n"
    " var want={};names.forEach(function(n){var s=document.getElementById('f-'+n);want[n]=s?s.value:'';});\n"
    " document.querySelectorAll('[data-filtered]').forEach(function(el){\n"
    "  var ok=has(el,'verdict',want.verdict)&&has(el,'version',want.version)&&has(el,'tags',want.tag);\n"
    "  el.classList.toggle('hidden',!ok);});\n"
    " groups();\n"
    "}\n"
    "function groups(){document.querySelectorAll('[data-group]').forEach(function(g){\n"
    " var any=document.querySelector('[data-in-group=\"'+g.getAttribute('data-group')+'\"]:not(.hidden)');\n"
    " g.classList.toggle('hidden',!any);});}\n"
    "names.forEach(function(n){var s=document.getElementById('f-'+n);if(s)s.addEventListener('change',apply);});\n"
    "var m=/^#(verdict|version|tag)=([A-Za-z0-9._-]+)$/.exec(location.hash);\n"
    "if(m){var s=document.getElementById('f-'+m[1]);if(s){s.value=m[2];apply();}}\n"
    "var c=/^#case=([0-9]+)$/.exec(location.hash),d=c&&document.getElementById('detail-'+c[1]);\n"
    "if(d){d.classList.add('open');\n"
    " document.querySelectorAll('[data-filtered]').forEach(function(el){\n"
    "  el.classList.toggle('hidden',el!==d&&el!==d.previousElementSibling);});\n"
    " groups();}\n"
    "document.addEventListener('click',function(ev){\n"
    " var row=ev.target.closest?ev.target.closest('tr.case'):null;if(!row||ev.target.closest('a'))return;\n"
    " var d=document.getElementById(row.getAttribute('data-detail'));if(d)d.classList.toggle('open');});\n"
    "})();\n";

void mqs_html_end(FILE *out)
{
    fprintf(out, "<script>\n%s</script>\n</body>\n</html>\n", SCRIPT);
}

const char *mqs_html_verdict_class(mqs_verdict v)
{
    return v == MQS_NOT_RUN ? "NOT-RUN" : mqs_verdict_name(v);
}

void mqs_html_verdict(FILE *out, mqs_verdict v)
{
    fprintf(out, "<span class=\"v v-%s\">%s</span>", mqs_html_verdict_class(v), mqs_verdict_name(v));
}

void mqs_html_case_data(FILE *out, const mqs_case *c)
{
    fputs(" data-filtered=\"1\" data-version=\"", out);
    mqs_html_text(out, c->version);
    fputs("\" data-tags=\"", out);
    for (size_t i = 0; i < c->ntags; i++) {
        if (i)
            fputc(' ', out);
        mqs_html_text(out, c->tags[i]);
    }
    fputc('"', out);
}

/* ---- filters ---- */

typedef struct word_set {
    const char *words[512];
    size_t n;
} word_set;

static void word_add(word_set *s, const char *w)
{
    if (!w || !*w || strchr(w, ' '))
        return; /* a word with a space could not be matched in a space-separated attribute */
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->words[i], w) == 0)
            return;
    if (s->n < sizeof s->words / sizeof s->words[0])
        s->words[s->n++] = w;
}

static int word_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void write_select(FILE *out, const char *name, const char *label, word_set *s)
{
    qsort(s->words, s->n, sizeof s->words[0], word_cmp);
    fprintf(out, "<label>%s <select id=\"f-%s\"><option value=\"\">all</option>", label, name);
    for (size_t i = 0; i < s->n; i++) {
        fputs("<option>", out);
        mqs_html_text(out, s->words[i]);
        fputs("</option>", out);
    }
    fputs("</select></label>\n", out);
}

void mqs_html_filters(FILE *out, const mqs_run *runs, size_t nruns)
{
    word_set verdicts = {0}, versions = {0}, tags = {0};
    for (size_t r = 0; r < nruns; r++)
        for (size_t i = 0; i < runs[r].ncases; i++) {
            const mqs_case *c = &runs[r].cases[i];
            word_add(&verdicts, mqs_html_verdict_class(c->verdict));
            word_add(&versions, c->version);
            for (size_t t = 0; t < c->ntags; t++)
                word_add(&tags, c->tags[t]);
        }
    fputs("<div class=\"filters\">Show: ", out);
    write_select(out, "verdict", "verdict", &verdicts);
    write_select(out, "version", "version", &versions);
    write_select(out, "tag", "tag", &tags);
    fputs("</div>\n", out);
}

/* ---- a case's detail ---- */

static void write_statements(FILE *out, const mqs_case *c)
{
    if (c->statement) {
        fputs("<p><b>Cited:</b> <span class=\"cited\">", out);
        mqs_html_text(out, c->statement);
        fputs("</span>", out);
        if (c->statement_text) {
            fputs(" &mdash; ", out);
            mqs_html_text(out, c->statement_text);
        }
        if (c->statement_section) {
            fputs(" <i>(", out);
            mqs_html_text(out, c->statement_section);
            fputs(")</i>", out);
        }
        fputs("</p>\n", out);
    }
    if (!c->nspec)
        return;
    fputs("<p><b>Statements checked:</b></p>\n<ul class=\"statements\">\n", out);
    for (size_t i = 0; i < c->nspec; i++) {
        bool cited = c->statement && strcmp(c->statement, c->spec[i]) == 0;
        fprintf(out, "<li%s><code>", cited ? " class=\"cited\"" : "");
        mqs_html_text(out, c->spec[i]);
        fputs("</code>", out);
        if (c->spec_text && c->spec_text[i]) {
            fputs(" &mdash; ", out);
            mqs_html_text(out, c->spec_text[i]);
        }
        fputs("</li>\n", out);
    }
    fputs("</ul>\n", out);
}

static void write_hex(FILE *out, const uint8_t *raw, size_t len)
{
    size_t shown = len < HTML_HEX_MAX ? len : HTML_HEX_MAX;
    for (size_t i = 0; i < shown; i++)
        fprintf(out, "%s%02x", i ? " " : "", raw[i]);
    if (shown < len)
        fprintf(out, " &hellip; (%zu bytes in all)", len);
}

static const char *direction(mqs_event_kind kind)
{
    switch (kind) {
    case MQS_EV_SENT:
        return "&rarr; sent";
    case MQS_EV_RECEIVED:
        return "&larr; received";
    case MQS_EV_OPENED:
        return "opened";
    case MQS_EV_CLOSED:
        return "closed by peer";
    case MQS_EV_DROPPED:
        return "dropped by us";
    case MQS_EV_NOTE:
        break;
    }
    return "note";
}

static void write_transcript(FILE *out, const mqs_case *c)
{
    if (!c->nevents) {
        fputs("<p>No transcript recorded.</p>\n", out);
        return;
    }
    fputs("<p><b>Transcript:</b></p>\n<table class=\"transcript\">\n", out);
    for (size_t i = 0; i < c->nevents; i++) {
        const mqs_event *ev = &c->events[i];
        char secs[32];
        mqs_text_seconds(secs, ev->t_ms);
        fprintf(out, "<tr class=\"ev ev-%s\"><td>+%s s</td><td>", mqs_event_kind_name(ev->kind), secs);
        mqs_html_text(out, ev->conn ? ev->conn : "-");
        fprintf(out, "</td><td>%s</td><td>", direction(ev->kind));
        mqs_html_text(out, ev->text);
        if (ev->raw && ev->raw_len) {
            fputs("<div class=\"hex\">", out);
            write_hex(out, ev->raw, ev->raw_len);
            fputs("</div>", out);
        }
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

static void write_pre(FILE *out, const char *label, const char *text)
{
    fprintf(out, "<p><b>%s:</b></p><pre>", label);
    mqs_html_text(out, text ? text : "(nothing recorded)");
    fputs("</pre>\n", out);
}

void mqs_html_case_detail(FILE *out, const mqs_case *c)
{
    if (c->title) {
        fputs("<p class=\"title\">", out);
        mqs_html_text(out, c->title);
        fputs("</p>\n", out);
    }
    if (c->verdict == MQS_INCONSISTENT)
        fputs("<p>Failed when run in parallel, passed when re-run alone: not a failure of the target.</p>\n", out);
    write_statements(out, c);
    if (c->step)
        fprintf(out, "<p><b>Failing step:</b> %d</p>\n", c->step);
    if (c->file) {
        fputs("<p><b>File:</b> <code>", out);
        mqs_html_text(out, c->file);
        fputs("</code></p>\n", out);
    }
    if (c->message) {
        fputs("<p class=\"message\"><b>Message:</b> ", out);
        mqs_html_text(out, c->message);
        fputs("</p>\n", out);
    }
    if (c->expected || c->actual) {
        write_pre(out, "Expected", c->expected);
        write_pre(out, "Actual", c->actual);
    }
    write_transcript(out, c);
    if (c->first_attempt) {
        fputs("<div class=\"first-attempt\"><p><b>First attempt (in parallel):</b> ", out);
        mqs_html_verdict(out, c->first_attempt->verdict);
        fputs("</p>\n", out);
        mqs_html_case_detail(out, c->first_attempt);
        fputs("</div>\n", out);
    }
}

/* ---- sections ---- */

/* The next number of a dotted section ("3.10.2 ..."), -1 past the numbers. */
static long next_number(const char **s)
{
    if (!isdigit((unsigned char)**s))
        return -1;
    char *end;
    long n = strtol(*s, &end, 10);
    *s = *end == '.' ? end + 1 : end;
    return n;
}

int mqs_html_section_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a == NULL) - (b == NULL); /* no section sorts last */
    const char *pa = a, *pb = b;
    for (;;) {
        long na = next_number(&pa), nb = next_number(&pb);
        if (na != nb)
            return na < nb ? -1 : 1;
        if (na < 0)
            return strcmp(a, b);
    }
}

/* ---- the run report ---- */

static void write_header(FILE *out, const mqs_run *run)
{
    char secs[32];
    mqs_text_seconds(secs, run->duration_ms);
    fputs("<h1>mqttspec report</h1>\n<table class=\"meta\">\n<tr><th>Target</th><td id=\"target\">", out);
    mqs_html_text(out, run->target ? run->target : "(unknown)");
    fputs("</td></tr>\n<tr><th>Started</th><td>", out);
    mqs_html_text(out, run->started_at ? run->started_at : "(unknown)");
    fprintf(out, "</td></tr>\n<tr><th>Duration</th><td>%s s</td></tr>\n<tr><th>Tool</th><td>mqttspec ", secs);
    mqs_html_text(out, run->tool_version ? run->tool_version : "(unknown)");
    fputs("</td></tr>\n</table>\n", out);
}

static void write_counts(FILE *out, const mqs_run *run)
{
    size_t n[MQS_VERDICT_COUNT];
    mqs_run_count(run, n);
    fputs("<h2>Summary</h2>\n<table class=\"counts\" id=\"summary\"><tr>", out);
    for (size_t i = 0; i < MQS_VERDICT_COUNT; i++) {
        fputs("<th>", out);
        mqs_html_verdict(out, mqs_verdict_order[i]);
        fputs("</th>", out);
    }
    fputs("<th>total</th></tr>\n<tr>", out);
    for (size_t i = 0; i < MQS_VERDICT_COUNT; i++)
        fprintf(out, "<td data-count=\"%s\">%zu</td>", mqs_html_verdict_class(mqs_verdict_order[i]),
                n[mqs_verdict_order[i]]);
    fprintf(out, "<td data-count=\"total\">%zu</td></tr>\n</table>\n", run->ncases);
}

static void write_profile_caps(FILE *out, const cJSON *caps)
{
    bool any = false;
    for (const cJSON *c = caps ? caps->child : NULL; c; c = c->next)
        if (cJSON_IsFalse(c)) {
            fputs(any ? ", " : "", out);
            mqs_html_text(out, c->string);
            any = true;
        }
    if (!any)
        fputs("&mdash;", out);
}

/* One row per probed version (docs/profile.md): status, reason, round trip, capabilities it lacks. */
static void write_profile(FILE *out, const mqs_run *run)
{
    cJSON *profile = run->profile_json ? cJSON_Parse(run->profile_json) : NULL;
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(profile, "versions");
    if (!versions || !versions->child) {
        cJSON_Delete(profile);
        return;
    }
    fputs("<h2>Target profile</h2>\n<table class=\"profile\" id=\"profile\">\n"
          "<tr><th>MQTT</th><th>status</th><th>round trip</th><th>lacks</th></tr>\n",
          out);
    for (const cJSON *v = versions->child; v; v = v->next) {
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(v, "status");
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(v, "reason");
        const cJSON *rtt = cJSON_GetObjectItemCaseSensitive(v, "rtt_ms");
        fputs("<tr><td>", out);
        mqs_html_text(out, v->string);
        fputs("</td><td>", out);
        mqs_html_text(out, cJSON_IsString(status) ? status->valuestring : "?");
        if (cJSON_IsString(reason)) {
            fputs(" (", out);
            mqs_html_text(out, reason->valuestring);
            fputc(')', out);
        }
        fputs("</td><td>", out);
        if (cJSON_IsNumber(rtt))
            fprintf(out, "%d ms", rtt->valueint);
        fputs("</td><td>", out);
        write_profile_caps(out, cJSON_GetObjectItemCaseSensitive(v, "capabilities"));
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
    cJSON_Delete(profile);
}

static int case_cmp(const void *a, const void *b)
{
    const mqs_case *x = *(const mqs_case *const *)a, *y = *(const mqs_case *const *)b;
    int by_section = mqs_html_section_cmp(x->section, y->section);
    if (by_section)
        return by_section;
    int by_id = strcmp(x->id ? x->id : "", y->id ? y->id : "");
    return by_id ? by_id : strcmp(x->version ? x->version : "", y->version ? y->version : "");
}

static bool same_section(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void write_case_rows(FILE *out, const mqs_case *c, size_t n, size_t group)
{
    fprintf(out, "<tr class=\"case\" id=\"case-%zu\" data-detail=\"detail-%zu\" data-verdict=\"%s\" data-in-group=\"%zu\"",
            n, n, mqs_html_verdict_class(c->verdict), group);
    mqs_html_case_data(out, c);
    fputs("><td>", out);
    mqs_html_verdict(out, c->verdict);
    fputs("</td><td class=\"id\">", out);
    mqs_html_text(out, c->id ? c->id : "unnamed");
    fputs("</td><td>", out);
    mqs_html_text(out, c->version);
    fputs("</td><td class=\"statement\">", out);
    if (c->statement) {
        fputs("<code>", out);
        mqs_html_text(out, c->statement);
        fputs("</code>", out);
    }
    if (c->statement && c->statement_text) {
        fputs("<br><small>", out);
        mqs_html_text(out, c->statement_text);
        fputs("</small>", out);
    }
    fputs("</td><td>", out);
    mqs_html_text(out, c->title);
    fprintf(out, "</td></tr>\n<tr class=\"detail\" id=\"detail-%zu\" data-verdict=\"%s\" data-in-group=\"%zu\"", n,
            mqs_html_verdict_class(c->verdict), group);
    mqs_html_case_data(out, c);
    fputs("><td colspan=\"5\"><div class=\"detail-body\">\n", out);
    mqs_html_case_detail(out, c);
    fputs("</div></td></tr>\n", out);
}

/* Every case, grouped under its section's heading; a click on a row opens its detail. */
static int write_cases(FILE *out, const mqs_run *run)
{
    const mqs_case **order = malloc((run->ncases ? run->ncases : 1) * sizeof *order);
    if (!order)
        return -1;
    for (size_t i = 0; i < run->ncases; i++)
        order[i] = &run->cases[i];
    qsort(order, run->ncases, sizeof *order, case_cmp);
    fputs("<h2>Cases by spec section</h2>\n", out);
    mqs_html_filters(out, run, 1);
    fputs("<table class=\"cases\" id=\"cases\">\n"
          "<thead><tr><th>verdict</th><th>case</th><th>version</th><th>statement cited (what it says)</th><th>title</th></tr></thead>\n"
          "<tbody>\n",
          out);
    size_t group = 0;
    for (size_t i = 0; i < run->ncases; i++) {
        if (i == 0 || !same_section(order[i]->section, order[i - 1]->section)) {
            group++;
            fprintf(out, "<tr class=\"group\" data-group=\"%zu\"><th colspan=\"5\">", group);
            mqs_html_text(out, order[i]->section ? order[i]->section : "(no section)");
            fputs("</th></tr>\n", out);
        }
        write_case_rows(out, order[i], i, group);
    }
    fputs("</tbody>\n</table>\n", out);
    free(order);
    return 0;
}

int mqs_write_html(const mqs_run *run, FILE *out)
{
    mqs_html_begin(out, "mqttspec report");
    write_header(out, run);
    write_counts(out, run);
    write_profile(out, run);
    int rc = write_cases(out, run);
    mqs_html_end(out);
    return rc || fflush(out) != 0 || ferror(out) ? -1 : 0;
}
