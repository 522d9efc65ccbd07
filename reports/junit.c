/*
 * JUnit XML in the common (Ant / Jenkins "junit-10.xsd") shape that CI
 * servers read:
 *
 *   <testsuites name="mqttspec" tests=.. failures=.. errors=.. skipped=.. time=..>
 *     <testsuite name="mqttspec 5.0" tests=.. failures=.. errors=.. skipped=.. time=.. timestamp=..>
 *       <properties>target, tool_version</properties>
 *       <testcase classname="mqttspec.5.0.qos2" name="qos2-..." time="0.123">
 *         FAIL  -> <failure message="statement: message" type="statement">details + transcript</failure>
 *         ERROR -> <error message=".." type="ERROR">details + transcript</error>
 *         SKIP  -> <skipped message=".."/>
 *         WARN  -> passes, <system-out>WARN: statement: message + transcript</system-out>
 *         NOT RUN -> <skipped message="NOT RUN: message"/> (the run was interrupted)
 *         INCONSISTENT -> passes, <system-out>INCONSISTENT: ... + the first attempt</system-out>
 *         PASS  -> empty
 *       a case re-run alone also shows its first (parallel) attempt in its text.
 *
 * One suite per protocol version, in the order versions first appear, so a
 * CI dashboard shows 3.1.1 and 5.0 side by side.  hostname is left out: it
 * is optional, and the machine that ran the harness is not what was tested
 * (the target is a property).
 */
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Per-suite (or whole-run) tallies for the attributes. */
typedef struct tally {
    size_t tests, failures, errors, skipped;
    int64_t ms;
} tally;

static bool same_str(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/*
 * One ASCII byte as XML.  In attributes, tab and newline become character
 * references, because a parser would otherwise normalise them to spaces.
 */
static void xml_ascii(FILE *out, unsigned char b, bool attr)
{
    switch (b) {
    case '&':
        fputs("&amp;", out);
        return;
    case '<':
        fputs("&lt;", out);
        return;
    case '>':
        fputs("&gt;", out);
        return;
    case '"':
        fputs("&quot;", out);
        return;
    case '\'':
        fputs("&apos;", out);
        return;
    case '\t':
    case '\n':
        if (attr) {
            fprintf(out, "&#%u;", b);
            return;
        }
        break;
    default:
        break;
    }
    fputc(b, out);
}

/*
 * The first n bytes of s as XML 1.0 text: forbidden characters and bytes that
 * are not UTF-8 become \xNN.  n must end on a unit boundary (an ASCII byte or
 * the end of s), so no unit is cut.
 */
static void xml_put_n(FILE *out, const char *s, size_t n, bool attr)
{
    const char *end = s + n;
    while (s < end) {
        bool as_hex;
        size_t len = mqs_text_unit(s, MQS_TEXT_KEEP_WS, &as_hex);
        if (as_hex)
            fprintf(out, "\\x%02X", (unsigned char)*s);
        else if (len == 1)
            xml_ascii(out, (unsigned char)*s, attr);
        else
            fwrite(s, 1, len, out);
        s += len;
    }
}

static void xml_put(FILE *out, const char *s, bool attr)
{
    if (s)
        xml_put_n(out, s, strlen(s), attr);
}

static void xml_attr(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    xml_put(out, value, true);
    fputc('"', out);
}

/* time attributes are non-negative decimal seconds. */
static void time_attr(FILE *out, int64_t ms)
{
    char buf[32];
    mqs_text_seconds(buf, ms < 0 ? 0 : ms);
    fprintf(out, " time=\"%s\"", buf);
}

static void tally_add(tally *t, const mqs_case *c)
{
    t->tests++;
    t->failures += c->verdict == MQS_FAIL || c->verdict == MQS_CRASHED;
    t->errors += c->verdict == MQS_ERROR;
    t->skipped += c->verdict == MQS_SKIP || c->verdict == MQS_NOT_RUN;
    t->ms += c->duration_ms > 0 ? c->duration_ms : 0;
}

static void tally_attrs(FILE *out, const tally *t)
{
    fprintf(out, " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"", t->tests, t->failures,
            t->errors, t->skipped);
}

/*
 * Consumers read timestamp as xs:dateTime without a zone (the Ant schema's
 * pattern), so only the "YYYY-MM-DDTHH:MM:SS" part of started_at is kept;
 * anything else is left out rather than making the file invalid.
 */
static void timestamp_attr(FILE *out, const char *iso)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (!iso || strlen(iso) < sizeof shape - 1)
        return;
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        bool ok = shape[i] == 'd' ? iso[i] >= '0' && iso[i] <= '9' : iso[i] == shape[i];
        if (!ok)
            return;
    }
    fprintf(out, " timestamp=\"%.19s\"", iso);
}

/* "statement (what it says): message", each part left out when missing. */
static void write_headline(FILE *out, const mqs_case *c, bool attr)
{
    xml_put(out, c->statement, attr);
    if (c->statement && c->statement_text) {
        fputs(" (", out);
        xml_put(out, c->statement_text, attr);
        fputc(')', out);
    }
    if (c->statement && c->message)
        fputs(": ", out);
    xml_put(out, c->message, attr);
}

static void write_transcript(FILE *out, const mqs_case *c)
{
    if (!c->nevents)
        return;
    char *text = mqs_transcript_string(c);
    fputs("\ntranscript:\n", out);
    xml_put(out, text ? text : "(out of memory rendering the transcript)\n", false);
    free(text);
}

static void write_details(FILE *out, const mqs_case *c);

/* A case re-run alone: what its first (parallel) attempt gave, after the re-run's own details. */
static void write_first_attempt(FILE *out, const mqs_case *c)
{
    if (!c->first_attempt)
        return;
    fprintf(out, "\nfirst attempt (in parallel): %s: ", mqs_verdict_name(c->first_attempt->verdict));
    write_details(out, c->first_attempt);
}

/* The body of <failure>/<error>/<system-out>: the headline, then what a reader needs to judge it. */
static void write_details(FILE *out, const mqs_case *c)
{
    write_headline(out, c, false);
    fputc('\n', out);
    if (c->statement_section) {
        fputs("section: ", out);
        xml_put(out, c->statement_section, false);
        fputc('\n', out);
    }
    if (c->step)
        fprintf(out, "step: %d\n", c->step);
    if (c->file) {
        fputs("file: ", out);
        xml_put(out, c->file, false);
        fputc('\n', out);
    }
    if (c->expected || c->actual) {
        fputs("expected: ", out);
        xml_put(out, c->expected ? c->expected : "(nothing recorded)", false);
        fputs("\nactual:   ", out);
        xml_put(out, c->actual ? c->actual : "(nothing recorded)", false);
        fputc('\n', out);
    }
    write_transcript(out, c);
    write_first_attempt(out, c);
}

/* <failure>/<error>: message is the headline, type the statement (or the verdict when none is cited). */
static void write_problem(FILE *out, const mqs_case *c, const char *element)
{
    fprintf(out, "      <%s message=\"", element);
    write_headline(out, c, true);
    fputc('"', out);
    xml_attr(out, "type", c->statement ? c->statement : mqs_verdict_name(c->verdict));
    fputc('>', out);
    write_details(out, c);
    fprintf(out, "</%s>\n", element);
}

/* <system-out> of a passing (or skipped) testcase: a label, then the details. */
static void write_system_out(FILE *out, const mqs_case *c, const char *label)
{
    fprintf(out, "      <system-out>%s", label);
    write_details(out, c);
    fputs("</system-out>\n", out);
}

static void write_case_body(FILE *out, const mqs_case *c)
{
    switch (c->verdict) {
    case MQS_FAIL:
    case MQS_CRASHED: /* a finding about the target, not a fault of the harness */
        write_problem(out, c, "failure");
        break;
    case MQS_ERROR:
        write_problem(out, c, "error");
        break;
    case MQS_SKIP:
    case MQS_NOT_RUN:
        fprintf(out, "      <skipped message=\"%s", c->verdict == MQS_NOT_RUN ? "NOT RUN: " : "");
        write_headline(out, c, true);
        fputs("\"/>\n", out);
        if (c->first_attempt)
            write_system_out(out, c, "");
        break;
    case MQS_WARN:
        write_system_out(out, c, "WARN: ");
        break;
    case MQS_INCONSISTENT:
        write_system_out(out, c, "INCONSISTENT (failed in parallel, passed alone; not a failure): ");
        break;
    case MQS_PASS:
    default:
        if (c->first_attempt)
            write_system_out(out, c, "");
        break;
    }
}

/* classname "mqttspec.<version>.<prefix>": the id's group (qos2-, will-, ...) becomes the class, as CI UIs group by it. */
static void classname_attr(FILE *out, const mqs_case *c)
{
    const char *id = c->id ? c->id : "unnamed";
    const char *dash = strchr(id, '-');
    fputs(" classname=\"mqttspec.", out);
    xml_put(out, c->version ? c->version : "unknown", true);
    fputc('.', out);
    xml_put_n(out, id, dash ? (size_t)(dash - id) : strlen(id), true);
    fputc('"', out);
}

static void write_case(FILE *out, const mqs_case *c)
{
    fputs("    <testcase", out);
    classname_attr(out, c);
    xml_attr(out, "name", c->id ? c->id : "unnamed");
    time_attr(out, c->duration_ms);
    if (c->verdict == MQS_PASS && !c->first_attempt) {
        fputs("/>\n", out);
        return;
    }
    fputs(">\n", out);
    write_case_body(out, c);
    fputs("    </testcase>\n", out);
}

static void write_properties(FILE *out, const mqs_run *run)
{
    if (!run->target && !run->tool_version)
        return;
    fputs("    <properties>\n", out);
    if (run->target) {
        fputs("      <property name=\"target\"", out);
        xml_attr(out, "value", run->target);
        fputs("/>\n", out);
    }
    if (run->tool_version) {
        fputs("      <property name=\"tool_version\"", out);
        xml_attr(out, "value", run->tool_version);
        fputs("/>\n", out);
    }
    fputs("    </properties>\n", out);
}

static void write_suite(FILE *out, const mqs_run *run, const char *version)
{
    tally t = {0};
    for (size_t i = 0; i < run->ncases; i++)
        if (same_str(run->cases[i].version, version))
            tally_add(&t, &run->cases[i]);

    fputs("  <testsuite name=\"mqttspec ", out);
    xml_put(out, version ? version : "unknown", true);
    fputc('"', out);
    tally_attrs(out, &t);
    time_attr(out, t.ms);
    timestamp_attr(out, run->started_at);
    fputs(">\n", out);
    write_properties(out, run);
    for (size_t i = 0; i < run->ncases; i++)
        if (same_str(run->cases[i].version, version))
            write_case(out, &run->cases[i]);
    fputs("  </testsuite>\n", out);
}

/* True for the first case of its version: that is where its suite is written. */
static bool first_of_version(const mqs_run *run, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (same_str(run->cases[j].version, run->cases[i].version))
            return false;
    return true;
}

int mqs_write_junit(const mqs_run *run, FILE *out)
{
    tally all = {0};
    for (size_t i = 0; i < run->ncases; i++)
        tally_add(&all, &run->cases[i]);

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mqttspec\"", out);
    tally_attrs(out, &all);
    time_attr(out, run->duration_ms);
    fputs(">\n", out);
    for (size_t i = 0; i < run->ncases; i++)
        if (first_of_version(run, i))
            write_suite(out, run, run->cases[i].version);
    fputs("</testsuites>\n", out);
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
