/*
 * reports/chaos_html.c: the page of a `mqttspec chaos` result.  The synthetic
 * result tests/data/chaos-sample.json holds every anomaly kind and every
 * fault kind of the format, credentials in its target and markup in a
 * detail; the page must show each, leak nothing, and be well-formed for two
 * real parsers (xmllint as XML, python3's html.parser for tag balance).
 * Results that are odd or broken must still give a well-formed page.
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

#include "mqttspec/chaos_html.h"

#ifndef MQTTSPEC_SOURCE_DIR
#define MQTTSPEC_SOURCE_DIR "."
#endif

/* The kinds the result format names (docs/chaos.md): the sample must hold each. */
static const char *const ANOMALY_KINDS[] = {"lost",      "duplicate-qos2",    "duplicate-qos1",    "reorder",
                                            "never-published", "lost-qos0", "lost-after-restart"};
static const char *const FAULT_KINDS[] = {"proxy-cut", "proxy-stall", "proxy-latency", "client-drop",
                                          "broker-restart"};

static cJSON *load_sample(void)
{
    FILE *f = fopen(MQTTSPEC_SOURCE_DIR "/tests/data/chaos-sample.json", "r");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *r = cJSON_Parse(buf);
    assert_non_null(r);
    return r;
}

/* The page in a heap string (the caller frees it).  The stream's buffer pointer lives in a heap cell, not on
 * this frame: gcc -O3 otherwise takes the returned page for a pointer to a dead local (-Wdangling-pointer). */
static char *render(const cJSON *result, int *rc)
{
    char **cell = calloc(1, sizeof *cell);
    size_t len = 0;
    assert_non_null(cell);
    FILE *f = open_memstream(cell, &len);
    assert_non_null(f);
    *rc = mqs_chaos_html_write(result, f);
    assert_int_equal(fclose(f), 0);
    char *text = *cell;
    free(cell);
    return text;
}

static char *render_ok(const cJSON *result)
{
    int rc;
    char *text = render(result, &rc);
    assert_int_equal(rc, 0);
    return text;
}

static char *render_text(const char *json)
{
    cJSON *r = cJSON_Parse(json);
    assert_non_null(r);
    char *text = render_ok(r);
    cJSON_Delete(r);
    return text;
}

/* Occurrences of needle in hay (not overlapping). */
static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0, step = strlen(needle) ? strlen(needle) : 1;
    for (size_t at = 0; hay[at];) {
        const char *hit = strstr(hay + at, needle);
        if (!hit)
            break;
        n++;
        at = (size_t)(hit - hay) + step;
    }
    return n;
}

/* ---- checks by real parsers ---- */

static bool have(const char *tool)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

/* The exit status of `tool FILE` with text in FILE (a temporary file); quiet hides the tool's messages. */
static int check_with(const char *tool, const char *text, bool quiet)
{
    char path[] = "/tmp/mqttspec-chaos-html-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s '%s'%s", tool, path, quiet ? " 2>/dev/null" : "");
    int rc = system(cmd);
    unlink(path);
    return rc;
}

#define XMLLINT "xmllint --noout"
#define HTMLCHECK "python3 '" MQTTSPEC_SOURCE_DIR "/tests/html_wellformed.py'"

static void assert_well_formed(const char *page)
{
    if (have("xmllint"))
        assert_int_equal(check_with(XMLLINT, page, false), 0);
    if (have("python3"))
        assert_int_equal(check_with(HTMLCHECK, page, false), 0);
}

static void test_checkers_can_fail(void **state)
{
    (void)state;
    if (!have("xmllint") || !have("python3"))
        skip();
    const char *bad = "<!DOCTYPE html>\n<html><body><p><b>x</p></body></html>\n";
    assert_int_not_equal(check_with(XMLLINT, bad, true), 0);
    assert_int_not_equal(check_with(HTMLCHECK, bad, true), 0);
}

/* ---- the sample ---- */

static void test_sample_has_every_kind(void **state)
{
    (void)state;
    cJSON *r = load_sample();
    char *raw = cJSON_PrintUnformatted(r);
    for (size_t i = 0; i < sizeof ANOMALY_KINDS / sizeof *ANOMALY_KINDS; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\"kind\":\"%s\"", ANOMALY_KINDS[i]);
        assert_non_null(strstr(raw, needle));
    }
    for (size_t i = 0; i < sizeof FAULT_KINDS / sizeof *FAULT_KINDS; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\"kind\":\"%s\"", FAULT_KINDS[i]);
        assert_non_null(strstr(raw, needle));
    }
    free(raw);
    cJSON_Delete(r);
}

static void test_sample_page(void **state)
{
    (void)state;
    cJSON *r = load_sample();
    char *page = render_ok(r);
    assert_well_formed(page);
    assert_non_null(strstr(page, "<svg class=\"timeline\""));
    assert_non_null(strstr(page, "<span class=\"v v-FAIL\">FAIL</span>"));
    /* every fault is a mark and every anomaly a point, each with its hover title */
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "faults"))
    {
        char needle[128];
        snprintf(needle, sizeof needle, "<title>%.0f ms: %s", cJSON_GetObjectItem(e, "t_ms")->valuedouble,
                 cJSON_GetObjectItem(e, "kind")->valuestring);
        assert_non_null(strstr(page, needle));
    }
    assert_int_equal(count_of(page, "<line class=\"fault\""), cJSON_GetArraySize(cJSON_GetObjectItem(r, "faults")));
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "anomalies"))
    {
        char needle[128];
        snprintf(needle, sizeof needle, "<title>%.0f ms: %s (%s", cJSON_GetObjectItem(e, "t_ms")->valuedouble,
                 cJSON_GetObjectItem(e, "kind")->valuestring, cJSON_GetObjectItem(e, "severity")->valuestring);
        assert_non_null(strstr(page, needle));
    }
    assert_int_equal(count_of(page, "<circle class=\"anomaly\""),
                     cJSON_GetArraySize(cJSON_GetObjectItem(r, "anomalies")));
    /* counts per kind come from the summary, with the statement the anomalies name */
    assert_non_null(strstr(page, "<tr data-kind=\"lost\"><td>lost</td><td class=\"n\">2</td><td><span "
                                 "class=\"sev-violation\">violation</span></td><td>5.0:MQTT-3.1.2-23</td>"));
    assert_non_null(strstr(page, "<tr data-kind=\"lost-after-restart\"><td>lost-after-restart</td><td "
                                 "class=\"n\">6</td><td><span class=\"sev-info\">info</span></td><td>—</td>"));
    assert_non_null(strstr(page, "<td class=\"n\">12</td><td>the fault proxy cut a connection"));
    /* the notes say why restart losses are information */
    assert_non_null(strstr(page, "information only"));
    /* no credentials, no markup from the data */
    assert_null(strstr(page, "s3cret"));
    assert_null(strstr(page, "alice"));
    assert_non_null(strstr(page, "<td>mqtt://127.0.0.1:1883</td>"));
    assert_null(strstr(page, "</script><b>"));
    assert_non_null(strstr(page, "QoS 0 &lt;/script&gt;&lt;b&gt;not bold&lt;/b&gt; &amp; escaped"));
    assert_null(strstr(page, "<script"));
    /* nothing fetched: the one URL is the SVG namespace */
    assert_int_equal(count_of(page, "http"), count_of(page, "\"http://www.w3.org/2000/svg\""));
    assert_null(strstr(page, " src="));
    free(page);
    cJSON_Delete(r);
}

/* ---- odd and broken results ---- */

static void test_not_an_object(void **state)
{
    (void)state;
    cJSON *arr = cJSON_CreateArray();
    int rc;
    char *page = render(arr, &rc);
    assert_int_equal(rc, -1);
    free(page);
    page = render(NULL, &rc);
    assert_int_equal(rc, -1);
    free(page);
    cJSON_Delete(arr);
}

static void test_empty_result(void **state)
{
    (void)state;
    char *page = render_text("{}");
    assert_well_formed(page);
    assert_non_null(strstr(page, "<span class=\"v v-none\">no verdict</span>"));
    assert_non_null(strstr(page, "No anomaly was recorded."));
    free(page);
}

static void test_wrong_types(void **state)
{
    (void)state;
    char *page = render_text(
        "{\"verdict\":\"<b>\",\"target\":7,\"elapsed_ms\":\"x\",\"config\":[1],"
        "\"series\":[1,{\"t_ms\":\"a\"},{\"t_ms\":0,\"sent\":5},{\"t_ms\":-5,\"sent\":1},{\"t_ms\":1000,\"sent\":null,"
        "\"latency_ms\":3},{\"t_ms\":2000,\"sent\":1e308,\"received\":-4}],"
        "\"faults\":[{\"t_ms\":1e12,\"kind\":\"\\\"><x>\"},{\"kind\":\"proxy-cut\"},null],"
        "\"anomalies\":[{\"t_ms\":5,\"kind\":\"no-such-kind\"},{\"t_ms\":6,\"kind\":\"lost\",\"qos\":\"one\"},3],"
        "\"summary\":{\"lost\":\"two\",\"latency_ms\":[]},\"notes\":[1,\"<i>n</i>\"]}");
    assert_well_formed(page);
    assert_null(strstr(page, "<x>"));
    assert_null(strstr(page, "<i>n"));
    assert_non_null(strstr(page, "v-none\">&lt;b&gt;</span>"));
    /* missing or non-finite numbers are left out, never printed as nan or inf */
    assert_null(strstr(page, "nan"));
    assert_null(strstr(page, "inf<"));
    assert_null(strstr(page, " inf"));
    free(page);
}

static void test_target_user_info_never_shown(void **state)
{
    (void)state;
    static const struct {
        const char *target, *shown;
    } CASES[] = {
        {"mqtts://u:p@w@broker:8883/x?y", "<td>mqtts://broker:8883/x?y</td>"},
        {"user:pass@host:1883", "<td>host:1883</td>"},
        {"ws://host/mqtt@path", "<td>ws://host/mqtt@path</td>"}, /* an '@' after the authority is no user info */
        {"mqtt://127.0.0.1:1883", "<td>mqtt://127.0.0.1:1883</td>"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "target", CASES[i].target);
        char *page = render_ok(r);
        assert_non_null(strstr(page, CASES[i].shown));
        free(page);
        cJSON_Delete(r);
    }
}

/* Series counts are per interval: 500 messages in half a second is 1000/s, so the axis reaches 1000. */
static void test_rates_per_second(void **state)
{
    (void)state;
    char *page = render_text("{\"elapsed_ms\":1500,\"series\":[{\"t_ms\":1000,\"sent\":500},"
                             "{\"t_ms\":1500,\"sent\":500}]}");
    assert_non_null(strstr(page, "text-anchor=\"end\">1000</text>"));
    assert_null(strstr(page, "text-anchor=\"end\">1500</text>"));
    free(page);
}

static void test_anomaly_list_capped(void **state)
{
    (void)state;
    cJSON *r = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(r, "anomalies");
    for (int i = 0; i < MQS_CHAOS_HTML_ANOMALIES_MAX + 50; i++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddNumberToObject(a, "t_ms", i);
        cJSON_AddStringToObject(a, "kind", "duplicate-qos1");
        cJSON_AddStringToObject(a, "severity", "allowed");
        cJSON_AddItemToArray(list, a);
    }
    char *page = render_ok(r);
    assert_int_equal(count_of(page, "<tr><td class=\"n\">"), MQS_CHAOS_HTML_ANOMALIES_MAX);
    assert_int_equal(count_of(page, "<circle class=\"anomaly\""), MQS_CHAOS_HTML_ANOMALIES_MAX + 50);
    char needle[96];
    snprintf(needle, sizeof needle, "The first %d of the %d anomalies", MQS_CHAOS_HTML_ANOMALIES_MAX,
             MQS_CHAOS_HTML_ANOMALIES_MAX + 50);
    assert_non_null(strstr(page, needle));
    free(page);
    cJSON_Delete(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkers_can_fail),
        cmocka_unit_test(test_sample_has_every_kind),
        cmocka_unit_test(test_sample_page),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_empty_result),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_target_user_info_never_shown),
        cmocka_unit_test(test_rates_per_second),
        cmocka_unit_test(test_anomaly_list_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
