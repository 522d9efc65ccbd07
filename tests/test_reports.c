/*
 * reports/: the result model's helpers and the four writers.  One run holds
 * all five verdicts and strings built to break naive writers (XML and
 * Markdown specials, control bytes, bytes that are not UTF-8, backtick
 * fences); each format is rendered to memory and checked, the JSON is parsed
 * back, and the JUnit is validated by a real consumer (xmllint against
 * tests/data/junit.xsd).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "mqttspec/result.h"

#ifndef MQTTSPEC_SOURCE_DIR
#define MQTTSPEC_SOURCE_DIR "."
#endif

/* Nasty on purpose: every XML special, C0 controls, DEL, invalid and valid UTF-8, a Markdown fence and pipe. */
#define NASTY "a&b<c>d\"e'f]]>\x01\x1b[31m\x7f|`````|\xff\xc0\xaf\xed\xa0\x80\xef\xbf\xbe caf\xc3\xa9 \xf0\x9f\x98\x80"

typedef int (*writer_fn)(const mqs_run *, FILE *);

static char **string_list(const char *a, const char *b, size_t *n)
{
    char **list = calloc(2, sizeof *list);
    assert_non_null(list);
    list[0] = mqs_strdup(a);
    list[1] = mqs_strdup(b);
    *n = 2;
    return list;
}

static mqs_case *add_case(mqs_run *run, const char *id, const char *version, mqs_verdict v, const char *statement,
                          const char *message)
{
    mqs_case *c = mqs_run_add_case(run);
    assert_non_null(c);
    c->id = mqs_strdup(id);
    c->title = mqs_strdup("Title of ");
    c->file = mqs_strdup("scenarios/x.json");
    c->version = mqs_strdup(version);
    c->tags = string_list("tag-a", "tag-b", &c->ntags);
    c->spec = string_list("5.0:MQTT-4.3.3-2", "5.0:MQTT-4.3.3-3", &c->nspec);
    c->duration_ms = 1234;
    mqs_case_set(c, v, v == MQS_PASS ? 0 : 3, statement, message);
    return c;
}

static void add_fail_transcript(mqs_case *c)
{
    static const uint8_t publish[] = {0x30, 0x0c, 0x00, 0x03, 'a', '/', 'b', 'h', 'e', 'l', 'l', 'o', '!', '!'};
    uint8_t big[200];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    mqs_case_event(c, 0, MQS_EV_OPENED, "pub", NULL, NULL, 0);
    mqs_case_event(c, 12, MQS_EV_SENT, "pub", "PUBLISH (d0, q0, r0, m0, 'a/b', ... (7 bytes))", publish,
                   sizeof publish);
    mqs_case_event(c, 15, MQS_EV_RECEIVED, "pub", "PUBLISH big", big, sizeof big);
    mqs_case_event(c, 20, MQS_EV_NOTE, NULL, "note: " NASTY "\nsecond line", NULL, 0);
    mqs_case_event(c, 1500, MQS_EV_CLOSED, "pub", NULL, NULL, 0);
    mqs_case_event(c, 1501, MQS_EV_DROPPED, "sub", "by step 4", NULL, 0);
}

/* Five cases, one per verdict, over two protocol versions. */
static void build_run(mqs_run *run)
{
    memset(run, 0, sizeof *run);
    run->tool_version = mqs_strdup("0.1.0");
    run->target = mqs_strdup("mqtt://127.0.0.1:1883/?a=1&b=<2>");
    run->started_at = mqs_strdup("2024-05-01T12:00:00Z");
    run->duration_ms = 4321;

    add_case(run, "connect-basic", "3.1.1", MQS_PASS, NULL, NULL);
    mqs_case *c = add_case(run, "qos2-no-dup", "5.0", MQS_FAIL, "5.0:MQTT-4.3.3-2", "step 3: " NASTY);
    c->expected = mqs_strdup("{\n  \"type\": \"PUBREC\"\n}");
    c->actual = mqs_strdup("connection closed ``` & <eof>");
    add_fail_transcript(c);
    c = add_case(run, "keepalive-window", "5.0", MQS_WARN, "5.0:MQTT-3.1.2-22", "1.6x keep-alive, in tolerance");
    mqs_case_event(c, 90000, MQS_EV_CLOSED, "ka", "after 90.000 s", NULL, 0);
    add_case(run, "shared-sub", "5.0", MQS_SKIP, NULL, "target lacks shared subscriptions <$share>");
    c = add_case(run, "will-delay", "3.1.1", MQS_ERROR, NULL, "target unreachable: ECONNREFUSED\r\n");
    mqs_case_event(c, 3, MQS_EV_NOTE, "will", "connect failed", NULL, 0);
}

/*
 * Everything written to f, as a heap string.  A temporary file rather than
 * open_memstream: gcc -O3 takes the memstream's buffer for a pointer to the
 * local that holds it (-Wdangling-pointer).
 */
static char *slurp(FILE *f)
{
    long len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    assert_int_equal(fclose(f), 0);
    assert_int_equal(strlen(buf), (size_t)len); /* no NUL slipped into the output */
    return buf;
}

static char *render(writer_fn fn, const mqs_run *run)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(fn(run, f), 0);
    return slurp(f);
}

static char *render_transcript(const mqs_case *c)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(mqs_write_transcript(c, f), 0);
    return slurp(f);
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Strict UTF-8 (RFC 3629), written independently of reports/text.c. */
static int utf8_valid(const unsigned char *s)
{
    while (*s) {
        uint32_t cp;
        int n;
        if (*s < 0x80) {
            s++;
            continue;
        } else if ((*s & 0xE0) == 0xC0) {
            cp = *s & 0x1F, n = 1;
        } else if ((*s & 0xF0) == 0xE0) {
            cp = *s & 0x0F, n = 2;
        } else if ((*s & 0xF8) == 0xF0) {
            cp = *s & 0x07, n = 3;
        } else {
            return 0;
        }
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        s += n + 1;
    }
    return 1;
}

/* No control byte but newline (and tab) in text meant for XML, Markdown or a terminal. */
static void assert_no_controls(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
            fail_msg("control byte 0x%02x at offset %td", *p, (const char *)p - s);
}

/* --- the model ----------------------------------------------------------- */

static void test_verdict_names(void **state)
{
    (void)state;
    assert_string_equal(mqs_verdict_name(MQS_PASS), "PASS");
    assert_string_equal(mqs_verdict_name(MQS_WARN), "WARN");
    assert_string_equal(mqs_verdict_name(MQS_SKIP), "SKIP");
    assert_string_equal(mqs_verdict_name(MQS_FAIL), "FAIL");
    assert_string_equal(mqs_verdict_name(MQS_ERROR), "ERROR");
    assert_string_equal(mqs_verdict_name(MQS_NOT_RUN), "NOT RUN");
    assert_string_equal(mqs_verdict_name(MQS_INCONSISTENT), "INCONSISTENT");
    assert_string_equal(mqs_verdict_name(MQS_CRASHED), "CRASHED");
    /* The summary order names every verdict exactly once. */
    unsigned seen = 0;
    for (int i = 0; i < MQS_VERDICT_COUNT; i++)
        seen |= 1u << mqs_verdict_order[i];
    assert_int_equal(seen, (1u << MQS_VERDICT_COUNT) - 1);
    assert_string_equal(mqs_verdict_name((mqs_verdict)42), "INVALID");
    assert_null(mqs_strdup(NULL));
}

static void test_add_case_grows_and_zeroes(void **state)
{
    (void)state;
    mqs_run run = {0};
    for (int i = 0; i < 10 * MQS_VERDICT_COUNT; i++) {
        mqs_case *c = mqs_run_add_case(&run);
        assert_non_null(c);
        assert_null(c->id);
        assert_int_equal(c->verdict, MQS_PASS);
        assert_int_equal(c->nevents, 0);
        char id[16];
        snprintf(id, sizeof id, "case-%d", i);
        c->id = mqs_strdup(id);
        c->verdict = (mqs_verdict)(i % MQS_VERDICT_COUNT);
    }
    assert_int_equal(run.ncases, 10 * MQS_VERDICT_COUNT);
    assert_string_equal(run.cases[49].id, "case-49");
    size_t counts[MQS_VERDICT_COUNT];
    mqs_run_count(&run, counts);
    for (int v = 0; v < MQS_VERDICT_COUNT; v++)
        assert_int_equal(counts[v], 10);
    mqs_run_free(&run);
    assert_null(run.cases);
    assert_int_equal(run.ncases, 0);
    mqs_run_free(&run); /* freeing an empty run is harmless */
}

static void test_event_copies(void **state)
{
    (void)state;
    mqs_run run = {0};
    mqs_case *c = mqs_run_add_case(&run);
    char conn[] = "sub";
    char text[] = "SUBACK (m1, 1)";
    uint8_t raw[] = {0x90, 0x03, 0x00, 0x01, 0x01};
    for (int i = 0; i < 40; i++)
        mqs_case_event(c, i, MQS_EV_RECEIVED, conn, text, raw, sizeof raw);
    mqs_case_event(c, 41, MQS_EV_NOTE, NULL, NULL, NULL, 0);
    conn[0] = 'X';
    text[0] = 'X';
    raw[0] = 0;
    assert_int_equal(c->nevents, 41);
    assert_string_equal(c->events[39].conn, "sub");
    assert_string_equal(c->events[39].text, "SUBACK (m1, 1)");
    assert_int_equal(c->events[39].raw_len, sizeof raw);
    assert_int_equal(c->events[39].raw[0], 0x90);
    assert_int_equal(c->events[39].t_ms, 39);
    assert_null(c->events[40].conn);
    assert_null(c->events[40].raw);
    mqs_run_free(&run);
}

static void test_case_set_replaces(void **state)
{
    (void)state;
    mqs_run run = {0};
    mqs_case *c = mqs_run_add_case(&run);
    mqs_case_set(c, MQS_FAIL, 2, "5.0:MQTT-1", "first");
    mqs_case_set(c, MQS_WARN, 4, c->statement, c->message); /* its own strings back in */
    assert_int_equal(c->verdict, MQS_WARN);
    assert_int_equal(c->step, 4);
    assert_string_equal(c->statement, "5.0:MQTT-1");
    assert_string_equal(c->message, "first");
    mqs_case_set(c, MQS_PASS, 0, NULL, NULL);
    assert_null(c->statement);
    assert_null(c->message);
    mqs_run_free(&run);
}

/* --- transcript ------------------------------------------------------------ */

static void test_transcript_lines(void **state)
{
    (void)state;
    mqs_run run;
    build_run(&run);
    char *t = render_transcript(&run.cases[1]);
    assert_non_null(strstr(t, "+     0.000 s  [pub] == opened\n"));
    assert_non_null(strstr(t, "+     0.012 s  [pub] -> PUBLISH (d0, q0, r0, m0, 'a/b', ... (7 bytes))\n"
                              "               30 0c 00 03 61 2f 62 68 65 6c 6c 6f 21 21\n"));
    assert_non_null(strstr(t, "+     0.015 s  [pub] <- PUBLISH big\n               00 01 02"));
    assert_non_null(strstr(t, " 3e 3f ... 136 more bytes\n"));
    assert_non_null(strstr(t, "+     0.020 s  [-] ## note: a&b<c>d\"e'f]]>\\x01\\x1B[31m\\x7F"));
    assert_non_null(strstr(t, "\\xFF\\xC0\\xAF\\xED\\xA0\\x80\\xEF\\xBF\\xBE caf\xc3\xa9 \xf0\x9f\x98\x80\\x0Asecond"));
    assert_non_null(strstr(t, "+     1.500 s  [pub] == closed by peer\n"));
    assert_non_null(strstr(t, "+     1.501 s  [sub] == dropped (no DISCONNECT): by step 4\n"));
    assert_int_equal(count_of(t, "\n"), 8); /* six events, two hex lines */
    assert_no_controls(t);
    assert_true(utf8_valid((const unsigned char *)t));
    free(t);
    mqs_run_free(&run);
}

/* --- JUnit ----------------------------------------------------------------- */

static void test_junit_content(void **state)
{
    (void)state;
    mqs_run run;
    build_run(&run);
    char *x = render(mqs_write_junit, &run);
    assert_true(utf8_valid((const unsigned char *)x));
    assert_no_controls(x);
    assert_non_null(strstr(x, "<testsuites name=\"mqttspec\" tests=\"5\" failures=\"1\" errors=\"1\" skipped=\"1\""
                              " time=\"4.321\">"));
    assert_non_null(strstr(x, "<testsuite name=\"mqttspec 3.1.1\" tests=\"2\" failures=\"0\" errors=\"1\""
                              " skipped=\"0\" time=\"2.468\" timestamp=\"2024-05-01T12:00:00\">"));
    assert_non_null(strstr(x, "<testsuite name=\"mqttspec 5.0\" tests=\"3\" failures=\"1\" errors=\"0\""
                              " skipped=\"1\""));
    assert_non_null(strstr(x, "<testcase classname=\"mqttspec.3.1.1.connect\" name=\"connect-basic\""
                              " time=\"1.234\"/>"));
    assert_non_null(strstr(x, "<failure message=\"5.0:MQTT-4.3.3-2: step 3: a&amp;b&lt;c&gt;d&quot;e&apos;f]]&gt;"
                              "\\x01\\x1B[31m\\x7F|`````|\\xFF"));
    assert_non_null(strstr(x, "type=\"5.0:MQTT-4.3.3-2\">"));
    assert_non_null(strstr(x, "expected: {\n  &quot;type&quot;: &quot;PUBREC&quot;\n}\n"
                              "actual:   connection closed ``` &amp; &lt;eof&gt;\n"));
    assert_non_null(strstr(x, "transcript:\n+     0.000 s  [pub] == opened\n"));
    assert_non_null(strstr(x, "<system-out>WARN: 5.0:MQTT-3.1.2-22: 1.6x keep-alive, in tolerance\n"));
    assert_non_null(strstr(x, "<skipped message=\"target lacks shared subscriptions &lt;$share&gt;\"/>"));
    assert_non_null(strstr(x, "<error message=\"target unreachable: ECONNREFUSED\\x0D&#10;\" type=\"ERROR\">"));
    assert_non_null(strstr(x, "<property name=\"target\" value=\"mqtt://127.0.0.1:1883/?a=1&amp;b=&lt;2&gt;\"/>"));
    assert_int_equal(count_of(x, "<testcase "), 5);
    assert_int_equal(count_of(x, "<testsuite "), 2);
    free(x);
    mqs_run_free(&run);
}

static int have_xmllint(void)
{
    return system("command -v xmllint >/dev/null 2>&1") == 0;
}

/* Writes text to a fresh temporary file; returns its path (static buffer). */
static const char *temp_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/mqttspec-junit-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    return path;
}

/* xmllint's exit status validating text against tests/data/junit.xsd; quiet hides its messages. */
static int xmllint_validate(const char *text, bool quiet)
{
    const char *path = temp_file(text);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "xmllint --noout --schema '%s/tests/data/junit.xsd' '%s'%s", MQTTSPEC_SOURCE_DIR, path,
             quiet ? " >/dev/null 2>&1" : "");
    int rc = system(cmd);
    unlink(path);
    return rc;
}

static void test_junit_validates(void **state)
{
    (void)state;
    if (!have_xmllint()) {
        print_message("xmllint not found: JUnit schema validation skipped\n");
        skip();
    }
    /* The check must be able to fail, or passing it means nothing. */
    assert_int_not_equal(xmllint_validate("<testsuites><testsuite tests=\"1\"/></testsuites>", true), 0);

    mqs_run run;
    build_run(&run);
    char *x = render(mqs_write_junit, &run);
    assert_int_equal(xmllint_validate(x, false), 0);
    free(x);
    mqs_run_free(&run);

    mqs_run empty = {0};
    x = render(mqs_write_junit, &empty);
    assert_int_equal(xmllint_validate(x, false), 0);
    free(x);
}

/* --- JSON ------------------------------------------------------------------ */

static const cJSON *member(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item)
        fail_msg("missing key \"%s\"", key);
    return item;
}

static double number(const cJSON *obj, const char *key)
{
    const cJSON *item = member(obj, key);
    assert_true(cJSON_IsNumber(item));
    return item->valuedouble;
}

static const char *string(const cJSON *obj, const char *key)
{
    const cJSON *item = member(obj, key);
    assert_true(cJSON_IsString(item));
    return item->valuestring;
}

static void check_json_summary(const cJSON *root)
{
    const cJSON *sum = member(root, "summary");
    static const char *const keys[] = {"PASS", "FAIL", "WARN", "SKIP", "ERROR"};
    for (size_t i = 0; i < 5; i++)
        assert_true(number(sum, keys[i]) == 1);
    assert_true(number(sum, "NOT RUN") == 0);
    assert_true(number(sum, "INCONSISTENT") == 0);
    assert_true(number(sum, "total") == 5);
}

static void check_json_fail_case(const cJSON *c)
{
    assert_string_equal(string(c, "id"), "qos2-no-dup");
    assert_string_equal(string(c, "version"), "5.0");
    assert_string_equal(string(c, "verdict"), "FAIL");
    assert_string_equal(string(c, "statement"), "5.0:MQTT-4.3.3-2");
    assert_true(number(c, "step") == 3);
    assert_true(number(c, "duration_ms") == 1234);
    assert_string_equal(string(c, "expected"), "{\n  \"type\": \"PUBREC\"\n}");
    /* Controls survive exactly (JSON escapes them); bytes that are not UTF-8 become \xNN text. */
    assert_string_equal(string(c, "message"), "step 3: a&b<c>d\"e'f]]>\x01\x1b[31m\x7f|`````|"
                                              "\\xFF\\xC0\\xAF\\xED\\xA0\\x80\\xEF\\xBF\\xBE caf\xc3\xa9 \xf0\x9f\x98\x80");
    assert_int_equal(cJSON_GetArraySize(member(c, "tags")), 2);
    assert_string_equal(cJSON_GetArrayItem(member(c, "spec"), 1)->valuestring, "5.0:MQTT-4.3.3-3");

    const cJSON *tr = member(c, "transcript");
    assert_int_equal(cJSON_GetArraySize(tr), 6);
    const cJSON *sent = cJSON_GetArrayItem(tr, 1);
    assert_true(number(sent, "t_ms") == 12);
    assert_string_equal(string(sent, "kind"), "sent");
    assert_string_equal(string(sent, "conn"), "pub");
    assert_string_equal(string(sent, "hex"), "300c0003612f6268656c6c6f2121");
    const cJSON *note = cJSON_GetArrayItem(tr, 3);
    assert_string_equal(string(note, "kind"), "note");
    assert_true(cJSON_IsNull(member(note, "conn")));
    assert_true(cJSON_IsNull(member(note, "hex")));
    assert_int_equal(strlen(string(cJSON_GetArrayItem(tr, 2), "hex")), 400); /* not capped */
}

static void test_json_round_trip(void **state)
{
    (void)state;
    mqs_run run;
    build_run(&run);
    char *j = render(mqs_write_json, &run);
    assert_true(utf8_valid((const unsigned char *)j));
    cJSON *root = cJSON_Parse(j);
    assert_non_null(root);
    assert_string_equal(string(root, "format"), "mqttspec-report");
    assert_true(number(root, "format_version") == 1);
    assert_string_equal(string(root, "tool_version"), "0.1.0");
    assert_string_equal(string(root, "target"), "mqtt://127.0.0.1:1883/?a=1&b=<2>");
    assert_string_equal(string(root, "started_at"), "2024-05-01T12:00:00Z");
    assert_true(number(root, "duration_ms") == 4321);
    check_json_summary(root);

    const cJSON *cases = member(root, "cases");
    assert_int_equal(cJSON_GetArraySize(cases), 5);
    const cJSON *pass = cJSON_GetArrayItem(cases, 0);
    assert_string_equal(string(pass, "verdict"), "PASS");
    assert_true(cJSON_IsNull(member(pass, "statement")));
    assert_true(cJSON_IsNull(member(pass, "expected")));
    assert_null(cJSON_GetObjectItemCaseSensitive(pass, "transcript")); /* PASS carries none */
    check_json_fail_case(cJSON_GetArrayItem(cases, 1));
    for (int i = 2; i < 5; i++)
        assert_true(cJSON_IsArray(member(cJSON_GetArrayItem(cases, i), "transcript")));
    assert_string_equal(string(cJSON_GetArrayItem(cases, 4), "verdict"), "ERROR");
    cJSON_Delete(root);
    free(j);
    mqs_run_free(&run);
}

/* --- Markdown -------------------------------------------------------------- */

static void test_markdown_content(void **state)
{
    (void)state;
    mqs_run run;
    build_run(&run);
    char *m = render(mqs_write_markdown, &run);
    assert_true(utf8_valid((const unsigned char *)m));
    assert_no_controls(m);
    assert_non_null(strstr(m, "- **Target:** mqtt://127.0.0.1:1883/?a=1\\&b=\\<2\\>\n"));
    assert_non_null(strstr(m, "| PASS | FAIL | CRASHED | WARN | SKIP | ERROR | NOT RUN | INCONSISTENT | total |\n"
                              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
                              "| 1 | 1 | 0 | 1 | 1 | 1 | 0 | 0 | 5 |\n"));
    assert_non_null(strstr(m, "| connect-basic | 3.1.1 | PASS |  |\n"));
    assert_non_null(strstr(m, "| qos2-no-dup | 5.0 | FAIL | 5.0:MQTT-4.3.3-2 |\n"));
    assert_int_equal(count_of(m, "\n### "), 4); /* every non-PASS case, not the PASS one */
    assert_null(strstr(m, "### PASS"));
    /* The pipe and backticks of the message cannot break out of the paragraph. */
    assert_non_null(strstr(m, "**Message:** step 3: a\\&b\\<c\\>d\"e'f\\]\\]\\>\\\\x01\\\\x1B\\[31m\\\\x7F\\|"
                              "\\`\\`\\`\\`\\`\\|"));
    /* A diff block whose fence outgrows the ``` inside it. */
    assert_non_null(strstr(m, "````diff\n--- expected\n+++ actual\n-{\n-  \"type\": \"PUBREC\"\n-}\n"
                              "+connection closed ``` & <eof>\n````\n"));
    /* The transcript's note holds five backticks: its fence has six. */
    assert_non_null(strstr(m, "**Transcript:**\n\n``````\n+     0.000 s  [pub] == opened\n"));
    assert_non_null(strstr(m, "**Message:** target unreachable: ECONNREFUSED\\\\x0D<br>\n"));
    free(m);
    mqs_run_free(&run);
}

/* --- interrupted and re-run cases ----------------------------------------- */

/* A first (parallel) attempt that FAILed, with its own transcript. */
static mqs_case *failed_first_attempt(const char *id)
{
    mqs_case *first = calloc(1, sizeof *first);
    assert_non_null(first);
    first->id = mqs_strdup(id);
    first->version = mqs_strdup("5.0");
    mqs_case_set(first, MQS_FAIL, 2, "5.0:MQTT-3.3.4-1", "parallel: no PUBACK within 500 ms");
    mqs_case_event(first, 7, MQS_EV_SENT, "pub", "PUBLISH first-attempt", (const uint8_t *)"\x32\x00", 2);
    return first;
}

/*
 * An interrupted run with re-runs: a PASS, an INCONSISTENT case and a FAIL that
 * both failed in parallel first, and a case the interrupt left NOT RUN.
 */
static void build_retry_run(mqs_run *run)
{
    memset(run, 0, sizeof *run);
    run->target = mqs_strdup("mqtt://127.0.0.1:1883");
    run->started_at = mqs_strdup("2024-05-01T12:00:00Z");
    add_case(run, "connect-basic", "5.0", MQS_PASS, NULL, NULL);
    mqs_case *c = add_case(run, "qos1-flaky", "5.0", MQS_INCONSISTENT, NULL, "passed when re-run alone");
    mqs_case_event(c, 3, MQS_EV_SENT, "pub", "PUBLISH re-run", (const uint8_t *)"\x32\x01", 2);
    c->first_attempt = failed_first_attempt("qos1-flaky");
    c = add_case(run, "qos1-broken", "5.0", MQS_FAIL, "5.0:MQTT-3.3.4-1", "alone: no PUBACK");
    c->first_attempt = failed_first_attempt("qos1-broken");
    add_case(run, "will-late", "5.0", MQS_NOT_RUN, NULL, "the run was interrupted");
}

static void test_retry_junit(void **state)
{
    (void)state;
    mqs_run run;
    build_retry_run(&run);
    char *x = render(mqs_write_junit, &run);
    /* NOT RUN counts as skipped, INCONSISTENT as passed: CI servers know no other kinds. */
    assert_non_null(strstr(x, "<testsuites name=\"mqttspec\" tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\""));
    assert_non_null(strstr(x, "<skipped message=\"NOT RUN: the run was interrupted\"/>"));
    assert_non_null(strstr(x, "<system-out>INCONSISTENT (failed in parallel, passed alone; not a failure): "
                              "passed when re-run alone\n"));
    assert_int_equal(count_of(x, "first attempt (in parallel): FAIL: 5.0:MQTT-3.3.4-1: parallel: no PUBACK"), 2);
    assert_int_equal(count_of(x, "PUBLISH first-attempt"), 2);
    assert_int_equal(count_of(x, "<failure "), 1);
    if (have_xmllint())
        assert_int_equal(xmllint_validate(x, false), 0);
    free(x);
    mqs_run_free(&run);
}

static void test_retry_json(void **state)
{
    (void)state;
    mqs_run run;
    build_retry_run(&run);
    char *j = render(mqs_write_json, &run);
    cJSON *root = cJSON_Parse(j);
    assert_non_null(root);
    const cJSON *sum = member(root, "summary");
    assert_true(number(sum, "NOT RUN") == 1);
    assert_true(number(sum, "INCONSISTENT") == 1);
    assert_true(number(sum, "total") == 4);
    const cJSON *cases = member(root, "cases");
    assert_true(cJSON_IsNull(member(cJSON_GetArrayItem(cases, 0), "first_attempt")));
    const cJSON *flaky = cJSON_GetArrayItem(cases, 1);
    assert_string_equal(string(flaky, "verdict"), "INCONSISTENT");
    const cJSON *first = member(flaky, "first_attempt");
    assert_string_equal(string(first, "verdict"), "FAIL");
    assert_string_equal(string(first, "message"), "parallel: no PUBACK within 500 ms");
    assert_true(cJSON_IsNull(member(first, "first_attempt")));
    const cJSON *tr = member(first, "transcript");
    assert_int_equal(cJSON_GetArraySize(tr), 1);
    assert_string_equal(string(cJSON_GetArrayItem(tr, 0), "hex"), "3200");
    assert_string_equal(string(cJSON_GetArrayItem(cases, 3), "verdict"), "NOT RUN");
    cJSON_Delete(root);
    free(j);
    mqs_run_free(&run);
}

/* The target went down during a case that expected a close: CRASHED, the rest NOT RUN, the run names the case. */
static void build_crashed_run(mqs_run *run)
{
    memset(run, 0, sizeof *run);
    run->target = mqs_strdup("mqtt://127.0.0.1:1883");
    run->started_at = mqs_strdup("2024-05-01T12:00:00Z");
    add_case(run, "connect-basic", "3.1.1", MQS_PASS, NULL, NULL);
    add_case(run, "client-sends-connack", "3.1.1", MQS_CRASHED, NULL, "target crashed: connection refused");
    add_case(run, "connect-basic", "5.0", MQS_NOT_RUN, NULL, "not run: the target is down");
    run->crash_case = mqs_strdup("client-sends-connack");
    run->crash_version = mqs_strdup("3.1.1");
    run->crash_reason = mqs_strdup("a new connection fails: Connection refused");
}

static void test_crashed_run(void **state)
{
    (void)state;
    mqs_run run;
    build_crashed_run(&run);
    char *j = render(mqs_write_json, &run);
    cJSON *root = cJSON_Parse(j);
    assert_non_null(root);
    const cJSON *crash = member(root, "target_crashed");
    assert_string_equal(string(crash, "case"), "client-sends-connack");
    assert_string_equal(string(crash, "version"), "3.1.1");
    assert_string_equal(string(crash, "reason"), "a new connection fails: Connection refused");
    assert_true(number(member(root, "summary"), "CRASHED") == 1);
    assert_string_equal(string(cJSON_GetArrayItem(member(root, "cases"), 1), "verdict"), "CRASHED");
    cJSON_Delete(root);
    free(j);
    /* A crash is a failure of the target for CI servers, not a harness error. */
    char *x = render(mqs_write_junit, &run);
    assert_non_null(strstr(x, "tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""));
    assert_non_null(strstr(x, "<failure message=\"target crashed: connection refused\" type=\"CRASHED\">"));
    if (have_xmllint())
        assert_int_equal(xmllint_validate(x, false), 0);
    free(x);
    char *m = render(mqs_write_markdown, &run);
    assert_non_null(strstr(m, "- **Target crashed:** during case client-sends-connack (3.1.1): "));
    assert_non_null(strstr(m, "| 1 | 0 | 1 | 0 | 0 | 0 | 1 | 0 | 3 |\n"));
    free(m);
    mqs_run_free(&run);
    /* A run that stayed up says nothing of a crash. */
    build_retry_run(&run);
    j = render(mqs_write_json, &run);
    root = cJSON_Parse(j);
    assert_null(cJSON_GetObjectItemCaseSensitive(root, "target_crashed"));
    cJSON_Delete(root);
    free(j);
    mqs_run_free(&run);
}

static void test_retry_markdown_and_trace(void **state)
{
    (void)state;
    mqs_run run;
    build_retry_run(&run);
    char *m = render(mqs_write_markdown, &run);
    assert_non_null(strstr(m, "| 1 | 1 | 0 | 0 | 0 | 0 | 1 | 1 | 4 |\n"));
    assert_non_null(strstr(m, "### INCONSISTENT qos1-flaky (5.0)\n"));
    assert_non_null(strstr(m, "### NOT RUN will-late (5.0)\n"));
    assert_int_equal(count_of(m, "#### First attempt (in parallel): FAIL\n"), 2);
    assert_int_equal(count_of(m, "PUBLISH first-attempt"), 2);
    free(m);

    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(mqs_write_case_trace(&run.cases[1], f), 0);
    char *t = slurp(f);
    assert_non_null(strstr(t, "qos1-flaky (5.0): INCONSISTENT\npassed when re-run alone\n\n"));
    assert_non_null(strstr(t, "PUBLISH re-run"));
    assert_non_null(strstr(t, "\nfirst attempt (in parallel): FAIL 5.0:MQTT-3.3.4-1\nparallel: no PUBACK"));
    assert_true(strstr(t, "PUBLISH first-attempt") > strstr(t, "first attempt (in parallel)"));
    free(t);
    mqs_run_free(&run);
}

/* --- shared behaviour ------------------------------------------------------ */

static void test_empty_run(void **state)
{
    (void)state;
    mqs_run run = {0};
    char *x = render(mqs_write_junit, &run);
    assert_non_null(strstr(x, "<testsuites name=\"mqttspec\" tests=\"0\""));
    free(x);
    char *j = render(mqs_write_json, &run);
    cJSON *root = cJSON_Parse(j);
    assert_non_null(root);
    assert_true(number(member(root, "summary"), "total") == 0);
    assert_true(cJSON_IsNull(member(root, "target")));
    cJSON_Delete(root);
    free(j);
    char *m = render(mqs_write_markdown, &run);
    assert_null(strstr(m, "## Details"));
    free(m);
}

/* A stream that cannot be written must give -1, not a silently short report. */
static void test_write_errors_reported(void **state)
{
    (void)state;
    mqs_run run;
    build_run(&run);
    FILE *ro = fopen("/dev/null", "r");
    assert_non_null(ro);
    assert_int_equal(mqs_write_junit(&run, ro), -1);
    assert_int_equal(mqs_write_json(&run, ro), -1);
    assert_int_equal(mqs_write_markdown(&run, ro), -1);
    assert_int_equal(mqs_write_html(&run, ro), -1);
    assert_int_equal(mqs_write_transcript(&run.cases[1], ro), -1);
    fclose(ro);
    mqs_run_free(&run);
}

/* --- HTML: the run report and the matrix ------------------------------------ */

/* Hostile text that would end the page's script or open markup if a writer forgot to escape. */
#define HOSTILE "</script><b>bold</b><img src=x onerror=alert(1)>"

/* What the CLI fills from the statement lists after a run, here by hand; sections in an order only numbers sort right. */
static void annotate(mqs_run *run)
{
    static const char *const sections[] = {"3.10 Ten", "3.8 Eight", NULL, "3.8 Eight", "4.7 Seven"};
    for (size_t i = 0; i < run->ncases; i++) {
        mqs_case *c = &run->cases[i];
        c->section = mqs_strdup(sections[i % 5]);
        c->spec_text = calloc(c->nspec, sizeof *c->spec_text);
        assert_non_null(c->spec_text);
        c->spec_text[0] = mqs_strdup("first says " HOSTILE);
        if (c->statement) {
            c->statement_text = mqs_strdup("the statement says " HOSTILE);
            c->statement_section = mqs_strdup("4.3.3 QoS 2");
        }
    }
}

static void assert_order(const char *page, const char *a, const char *b)
{
    const char *pa = strstr(page, a), *pb = strstr(page, b);
    assert_non_null(pa);
    assert_non_null(pb);
    assert_true(pa < pb);
}

static void test_html_report(void **state)
{
    (void)state;
    mqs_run run;
    build_run(&run);
    annotate(&run);
    char *page = render(mqs_write_html, &run);
    assert_true(utf8_valid((const unsigned char *)page));
    assert_no_controls(page);
    assert_true(strncmp(page, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(page, "</html>\n"));
    /* Self-contained: one inline script and style, nothing fetched. */
    assert_int_equal(count_of(page, "<script"), 1);
    assert_int_equal(count_of(page, "</script>"), 1);
    assert_int_equal(count_of(page, "<style>"), 1);
    assert_null(strstr(page, " src=\""));
    assert_null(strstr(page, " href=\"http"));
    assert_null(strstr(page, "http://"));
    assert_null(strstr(page, "https://"));
    /* Hostile model text is text. */
    assert_null(strstr(page, "<b>bold"));
    assert_null(strstr(page, "<img"));
    assert_non_null(strstr(page, "&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert_non_null(strstr(page, "a&amp;b&lt;c&gt;d&quot;e&#39;f"));
    assert_non_null(strstr(page, "\\x01"));
    assert_non_null(strstr(page, "mqtt://127.0.0.1:1883/?a=1&amp;b=&lt;2&gt;"));
    /* Counts, a row and a detail per case, filters offering what the run holds. */
    assert_non_null(strstr(page, "<td data-count=\"FAIL\">1</td>"));
    assert_non_null(strstr(page, "<td data-count=\"total\">5</td>"));
    assert_int_equal(count_of(page, "<tr class=\"case\""), 5);
    assert_int_equal(count_of(page, "<tr class=\"detail\""), 5);
    assert_non_null(strstr(page, "<select id=\"f-verdict\">"));
    assert_non_null(strstr(page, "<option>tag-a</option>"));
    assert_non_null(strstr(page, "<option>3.1.1</option><option>5.0</option>"));
    assert_non_null(strstr(page, "data-verdict=\"FAIL\" data-in-group"));
    /* Sections by number, a case without one last. */
    assert_order(page, ">3.8 Eight</th>", ">3.10 Ten</th>");
    assert_order(page, ">3.10 Ten</th>", ">4.7 Seven</th>");
    assert_order(page, ">4.7 Seven</th>", ">(no section)</th>");
    assert_int_equal(count_of(page, ">3.8 Eight</th>"), 1); /* its two cases under one heading */
    /* The failing case's detail: cited statement with its text, step, expected vs actual, decoded packets and hex. */
    assert_non_null(strstr(page, "<span class=\"cited\">5.0:MQTT-4.3.3-2</span> &mdash; the statement says &lt;/script"));
    assert_non_null(strstr(page, "<p><b>Failing step:</b> 3</p>"));
    assert_non_null(strstr(page, "<pre>{\n  &quot;type&quot;: &quot;PUBREC&quot;\n}</pre>"));
    assert_non_null(strstr(page, "PUBLISH (d0, q0, r0, m0, &#39;a/b&#39;"));
    assert_non_null(strstr(page, "<div class=\"hex\">30 0c 00 03 61 2f 62"));
    free(page);
    mqs_run_free(&run);
}

static void test_html_hex_capped(void **state)
{
    (void)state;
    mqs_run run = {0};
    mqs_case *c = add_case(&run, "flood", "5.0", MQS_FAIL, "5.0:MQTT-4.3.3-2", "big");
    uint8_t *big = calloc(1, 100000);
    assert_non_null(big);
    mqs_case_event(c, 1, MQS_EV_SENT, "pub", "PUBLISH huge", big, 100000);
    free(big);
    char *page = render(mqs_write_html, &run);
    assert_non_null(strstr(page, "(100000 bytes in all)"));
    assert_true(strlen(page) < 20000);
    free(page);
    mqs_run_free(&run);
}

static int write_matrix_html(const mqs_run *runs, FILE *out)
{
    static const char *const labels[] = {"plain", "quirk " HOSTILE};
    return mqs_write_matrix_html(runs, labels, 2, out);
}

static int write_matrix_md(const mqs_run *runs, FILE *out)
{
    static const char *const labels[] = {"plain", "quirk|x"};
    return mqs_write_matrix_markdown(runs, labels, 2, out);
}

/* Two runs: the second lacks one case, has one the first lacks, and fails one the first passed. */
static void build_two_runs(mqs_run runs[2])
{
    build_run(&runs[0]);
    annotate(&runs[0]);
    memset(&runs[1], 0, sizeof runs[1]);
    runs[1].target = mqs_strdup("mqtt://other:1883");
    add_case(&runs[1], "connect-basic", "3.1.1", MQS_FAIL, "3.1.1:MQTT-3.2.0-1", "no CONNACK");
    add_case(&runs[1], "only-here", "5.0", MQS_PASS, NULL, NULL);
}

static void test_matrix_html(void **state)
{
    (void)state;
    mqs_run runs[2];
    build_two_runs(runs);
    char *page = render(write_matrix_html, runs);
    assert_true(utf8_valid((const unsigned char *)page));
    assert_int_equal(count_of(page, "</script>"), 1);
    assert_null(strstr(page, "<b>bold"));
    assert_non_null(strstr(page, "<th>quirk &lt;/script&gt;"));
    /* 6 rows (5 + only-here), connect-basic twice (in both runs). */
    assert_int_equal(count_of(page, "<tr class=\"mrow\""), 6);
    assert_int_equal(count_of(page, "<td class=\"cell v-none\">"), 5); /* 4 missing from run 2, 1 from run 1 */
    assert_int_equal(count_of(page, "<section class=\"mdetail\""), 7);
    /* Every link has its target on the page. */
    size_t links = 0;
    for (const char *p = strstr(page, "<a href=\"#m-"); p; p = strstr(p + 1, "<a href=\"#m-")) {
        char anchor[64];
        const char *start = p + strlen("<a href=\"#"), *end = strchr(start, '"');
        assert_non_null(end);
        snprintf(anchor, sizeof anchor, "id=\"%.*s\"", (int)(end - start), start);
        assert_non_null(strstr(page, anchor));
        links++;
    }
    assert_int_equal(links, 7);
    /* connect-basic's row: PASS for plain, FAIL for the other, and the row is found by either filter. */
    assert_non_null(strstr(page, "data-verdict=\"PASS FAIL\""));
    assert_non_null(strstr(page, ">PASS</a></td><td class=\"cell v-FAIL\"><a href="));
    free(page);
    mqs_run_free(&runs[0]);
    mqs_run_free(&runs[1]);
}

static void test_matrix_markdown(void **state)
{
    (void)state;
    mqs_run runs[2];
    build_two_runs(runs);
    char *md = render(write_matrix_md, runs);
    assert_non_null(strstr(md, "| quirk\\|x | mqtt://other:1883 |"));
    assert_non_null(strstr(md, "| 3.10 Ten | connect-basic | 3.1.1 | PASS | FAIL |"));
    assert_non_null(strstr(md, "| only-here | 5.0 | - | PASS |"));
    assert_non_null(strstr(md, "0 of 6 cases passed in every column and are not listed."));
    free(md);
    mqs_run_free(&runs[0]);
    mqs_run_free(&runs[1]);
}

/* The statement text reaches every format: JSON fields, JUnit's message, Markdown, the trace. */
static void test_statement_text_everywhere(void **state)
{
    (void)state;
    mqs_run run;
    build_run(&run);
    annotate(&run);
    char *json = render(mqs_write_json, &run);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    const cJSON *fail = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "cases"), 1);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(fail, "statement_text")), "the statement says " HOSTILE);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(fail, "section")), "3.8 Eight");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(fail, "statement_section")), "4.3.3 QoS 2");
    const cJSON *spec_text = cJSON_GetObjectItem(fail, "spec_text");
    assert_int_equal(cJSON_GetArraySize(spec_text), 2);
    assert_true(cJSON_IsNull(cJSON_GetArrayItem(spec_text, 1)));
    cJSON_Delete(root);
    free(json);
    char *junit = render(mqs_write_junit, &run);
    assert_non_null(strstr(junit, "message=\"5.0:MQTT-4.3.3-2 (the statement says &lt;/script&gt;"));
    assert_non_null(strstr(junit, "section: 4.3.3 QoS 2\n"));
    free(junit);
    char *md = render(mqs_write_markdown, &run);
    assert_non_null(strstr(md, "- **It says:** the statement says \\<"));
    assert_non_null(strstr(md, "- **Section:** 4.3.3 QoS 2"));
    free(md);
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(mqs_write_case_trace(&run.cases[1], f), 0);
    char *trace = slurp(f);
    assert_non_null(strstr(trace, "\nthe statement says </script><b>bold</b><img src=x onerror=alert(1)> (4.3.3 QoS 2)\n"));
    free(trace);
    mqs_run_free(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict_names),
        cmocka_unit_test(test_add_case_grows_and_zeroes),
        cmocka_unit_test(test_event_copies),
        cmocka_unit_test(test_case_set_replaces),
        cmocka_unit_test(test_transcript_lines),
        cmocka_unit_test(test_junit_content),
        cmocka_unit_test(test_junit_validates),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_markdown_content),
        cmocka_unit_test(test_retry_junit),
        cmocka_unit_test(test_retry_json),
        cmocka_unit_test(test_retry_markdown_and_trace),
        cmocka_unit_test(test_crashed_run),
        cmocka_unit_test(test_empty_run),
        cmocka_unit_test(test_write_errors_reported),
        cmocka_unit_test(test_html_report),
        cmocka_unit_test(test_html_hex_capped),
        cmocka_unit_test(test_matrix_html),
        cmocka_unit_test(test_matrix_markdown),
        cmocka_unit_test(test_statement_text_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
