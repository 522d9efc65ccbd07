/* Patterns, captures and substitutions of the scenario engine (client/src/match.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "match.h"

static bool matches(const char *pattern, const char *actual, cJSON *captures, char *path, char *why)
{
    cJSON *p = cJSON_Parse(pattern), *a = cJSON_Parse(actual);
    assert_non_null(p);
    assert_non_null(a);
    bool ok = mqs_pattern_match(p, a, captures, path, 256, why, 512);
    cJSON_Delete(p);
    cJSON_Delete(a);
    return ok;
}

static void omitted_fields_are_dont_care(void **state)
{
    (void)state;
    char path[256], why[512];
    assert_true(matches("{\"type\":\"PUBACK\"}", "{\"type\":\"PUBACK\",\"packet_id\":7}", NULL, path, why));
    assert_false(matches("{\"type\":\"PUBACK\",\"packet_id\":8}", "{\"type\":\"PUBACK\",\"packet_id\":7}", NULL,
                         path, why));
    assert_string_equal(path, "/packet_id");
    assert_string_equal(why, "expected 8 vs actual 7");
}

static void missing_field_and_type_mismatch(void **state)
{
    (void)state;
    char path[256], why[512];
    assert_false(matches("{\"qos\":1}", "{\"type\":\"PUBLISH\"}", NULL, path, why));
    assert_string_equal(path, "/qos");
    assert_false(matches("{\"qos\":\"1\"}", "{\"qos\":1}", NULL, path, why));
    assert_false(matches("{\"dup\":false}", "{\"dup\":0}", NULL, path, why));
}

static void arrays_match_elementwise_with_equal_length(void **state)
{
    (void)state;
    char path[256], why[512];
    assert_true(matches("{\"codes\":[2,1]}", "{\"codes\":[2,1]}", NULL, path, why));
    assert_false(matches("{\"codes\":[2]}", "{\"codes\":[2,1]}", NULL, path, why));
    assert_false(matches("{\"codes\":[2,0]}", "{\"codes\":[2,1]}", NULL, path, why));
    assert_string_equal(path, "/codes/1");
}

static void operators(void **state)
{
    (void)state;
    char path[256], why[512];
    assert_true(matches("{\"code\":{\"$any_of\":[2,133]}}", "{\"code\":133}", NULL, path, why));
    assert_false(matches("{\"code\":{\"$any_of\":[2,133]}}", "{\"code\":0}", NULL, path, why));
    assert_true(matches("{\"n\":{\"$range\":[1,3]}}", "{\"n\":3}", NULL, path, why));
    assert_false(matches("{\"n\":{\"$range\":[1,3]}}", "{\"n\":4}", NULL, path, why));
    assert_non_null(strstr(why, "a number in [1, 3]"));
    assert_true(matches("{\"properties\":{\"topic_alias\":{\"$absent\":true}}}", "{\"properties\":{}}", NULL, path,
                        why));
    assert_false(matches("{\"properties\":{\"topic_alias\":{\"$absent\":true}}}",
                         "{\"properties\":{\"topic_alias\":3}}", NULL, path, why));
    assert_true(matches("{\"packet_id\":{\"$present\":true}}", "{\"packet_id\":3}", NULL, path, why));
    assert_false(matches("{\"packet_id\":{\"$present\":true}}", "{}", NULL, path, why));
    assert_true(matches("{\"packet_id\":{\"$not\":7}}", "{\"packet_id\":8}", NULL, path, why));
    assert_false(matches("{\"packet_id\":{\"$not\":7}}", "{\"packet_id\":7}", NULL, path, why));
    assert_string_equal(why, "expected anything but 7 vs actual 7");
    assert_false(matches("{\"qos\":{\"$not\":{\"$any_of\":[1,2]}}}", "{\"qos\":2}", NULL, path, why));
}

static void captures_only_on_a_full_match(void **state)
{
    (void)state;
    char path[256], why[512];
    cJSON *captures = cJSON_CreateObject();
    assert_false(matches("{\"packet_id\":{\"$capture\":\"pid\"},\"qos\":2}", "{\"packet_id\":9,\"qos\":1}", captures,
                         path, why));
    assert_null(cJSON_GetObjectItem(captures, "pid"));
    assert_true(matches("{\"packet_id\":{\"$capture\":\"pid\"},\"qos\":1}", "{\"packet_id\":9,\"qos\":1}", captures,
                        path, why));
    assert_int_equal(cJSON_GetObjectItem(captures, "pid")->valueint, 9);
    cJSON_Delete(captures);
}

static void substitution_keeps_types_and_expands_text(void **state)
{
    (void)state;
    cJSON *captures = cJSON_Parse("{\"pid\": 42, \"name\": \"x\"}");
    mqs_vars vars = {captures, "mqttspec/abc/1", "msabc", "acl/denied"};
    cJSON *tmpl = cJSON_Parse("{\"packet_id\":\"${pid}\",\"topic\":\"{prefix}/t/${name}\",\"client_id\":\"{cid}sub\","
                              "\"list\":[\"${pid}\"],\"denied\":\"{denied_topic}\"}");
    char err[128];
    cJSON *out = mqs_substitute(tmpl, &vars, err, sizeof err);
    assert_non_null(out);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(out, "packet_id")));
    assert_int_equal(cJSON_GetObjectItem(out, "packet_id")->valueint, 42);
    assert_string_equal(cJSON_GetObjectItem(out, "topic")->valuestring, "mqttspec/abc/1/t/x");
    assert_string_equal(cJSON_GetObjectItem(out, "client_id")->valuestring, "msabcsub");
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(out, "list"), 0)->valueint, 42);
    assert_string_equal(cJSON_GetObjectItem(out, "denied")->valuestring, "acl/denied");
    cJSON_Delete(out);
    cJSON *bad = cJSON_Parse("{\"packet_id\":\"${nope}\"}");
    assert_null(mqs_substitute(bad, &vars, err, sizeof err));
    assert_string_equal(err, "${nope} was never captured");
    cJSON_Delete(bad);
    cJSON_Delete(tmpl);
    cJSON_Delete(captures);
}

/* {fill:N} pads at its position to N bytes in all, after the other substitutions; too short a target fails. */
static void fill_pads_to_the_length_asked(void **state)
{
    (void)state;
    mqs_vars vars = {NULL, "mqttspec/abc/1", "msabc", NULL};
    cJSON *tmpl = cJSON_Parse("{\"topic\":\"{prefix}/{fill:65535}/end\",\"short\":\"ab{fill:3}\","
                              "\"same\":\"{fill:2}ab\"}");
    char err[160];
    cJSON *out = mqs_substitute(tmpl, &vars, err, sizeof err);
    assert_non_null(out);
    const char *topic = cJSON_GetObjectItem(out, "topic")->valuestring;
    assert_int_equal(strlen(topic), 65535);
    assert_memory_equal(topic, "mqttspec/abc/1/xxx", 18);
    assert_string_equal(topic + 65535 - 4, "/end");
    assert_string_equal(cJSON_GetObjectItem(out, "short")->valuestring, "abx");
    assert_string_equal(cJSON_GetObjectItem(out, "same")->valuestring, "ab");
    cJSON_Delete(out);
    cJSON_Delete(tmpl);
    cJSON *bad = cJSON_Parse("{\"topic\":\"{prefix}{fill:4}\"}");
    assert_null(mqs_substitute(bad, &vars, err, sizeof err));
    assert_non_null(strstr(err, "{fill:4}"));
    cJSON_Delete(bad);
    bad = cJSON_Parse("{\"topic\":\"{fill:65536}\"}");
    assert_null(mqs_substitute(bad, &vars, err, sizeof err));
    cJSON_Delete(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(omitted_fields_are_dont_care),
        cmocka_unit_test(missing_field_and_type_mismatch),
        cmocka_unit_test(arrays_match_elementwise_with_equal_length),
        cmocka_unit_test(operators),
        cmocka_unit_test(captures_only_on_a_full_match),
        cmocka_unit_test(substitution_keeps_types_and_expands_text),
        cmocka_unit_test(fill_pads_to_the_length_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
