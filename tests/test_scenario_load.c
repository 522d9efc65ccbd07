/* Scenario loading: good files load; every kind of mistake gives "file: /pointer: message". */
#define _DEFAULT_SOURCE /* mkstemps */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mqttspec/scenario.h"

#define HEAD "{\"id\":\"t-one\",\"title\":\"t\",\"spec\":[\"3.1.1:MQTT-3.12.4-1\"],\"versions\":[\"3.1.1\",\"5.0\"],"

/* Load text from a temp file; returns 0/-1 and the error message. */
static int load_text(const char *text, char *err, size_t cap)
{
    char path[] = "/tmp/mqttspec-test-XXXXXX.json";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    mqs_scenario sc;
    int rc = mqs_scenario_load(path, &sc, err, cap);
    if (rc == 0)
        mqs_scenario_free(&sc);
    /* Drop the temp path from the message so expectations stay short. */
    const char *tail = strstr(err, ": /");
    if (rc < 0 && tail)
        memmove(err, tail + 2, strlen(tail + 2) + 1);
    unlink(path);
    return rc;
}

static void expect_error(const char *text, const char *message)
{
    char err[1024] = "";
    assert_int_equal(load_text(text, err, sizeof err), -1);
    assert_string_equal(err, message);
}

static void good_scenario_loads(void **state)
{
    (void)state;
    char err[1024] = "";
    assert_int_equal(load_text(HEAD "\"steps\":[{\"connect\":\"c\"},{\"send\":\"c\",\"packet\":{\"type\":\"PINGREQ\"}},"
                               "{\"expect\":\"c\",\"packet\":{\"type\":\"PINGRESP\"}},{\"disconnect\":\"c\"}]}",
                               err, sizeof err),
                     0);
}

static void header_errors(void **state)
{
    (void)state;
    expect_error("[]", "/: a scenario must be a JSON object");
    expect_error("{\"id\":\"Bad\"}", "/id: required: a kebab-case string such as \"qos2-inbound-flow\"");
    expect_error("{\"id\":\"a\",\"title\":\"t\",\"spec\":[\"MQTT-1.2.3-4\"]}",
                 "/spec/0: must look like \"3.1.1:MQTT-x.y.z-n\" or \"5.0:MQTT-x.y.z-n\"");
    expect_error(HEAD "\"stpes\":[]}", "/stpes: unknown field");
    expect_error("{\"id\": ", "/: invalid JSON at line 1 column 8");
}

static void step_errors(void **state)
{
    (void)state;
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"sned\":\"c\"}]}",
                 "/steps/1/sned: unknown action (first field of a step names it)");
    expect_error(HEAD "\"steps\":[{\"expect\":\"c\",\"packet\":{}}]}",
                 "/steps/0/expect: connection 'c' is not opened by an earlier step");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"send\":\"c\",\"packet\":{\"type\":\"PUBLISH\",\"qos\":7,"
                      "\"topic\":\"a\"}}]}",
                 "/steps/1/packet/qos: must be an integer 0..3 (at 3.1.1)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"expect\":\"c\",\"packet\":{\"type\":\"PUBACK\","
                      "\"pakcet_id\":1}}]}",
                 "/steps/1/packet/pakcet_id: unknown field (patterns use the packet JSON form)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"expect\":\"c\",\"packet\":{\"code\":{\"$nay\":1}}}]}",
                 "/steps/1/packet/code/$nay: unknown operator (use $any_of, $range, $capture, $absent, $present or $not)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"expect_close\":\"c\",\"window_ms\":[5,1]}]}",
                 "/steps/1/window_ms: must be [lo, hi] in ms with 0 <= lo <= hi <= 600000");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"send\":\"c\",\"hex\":\"zz\"}]}",
                 "/steps/1/hex: must be hex bytes, e.g. \"30 05 00 03 61 2b 62\"");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\",\"keep_alive\":70000}]}",
                 "/steps/0/packet/keep_alive: must be an integer 0..65535 (at 3.1.1)");
}

static void selection(void **state)
{
    (void)state;
    mqs_scenario_set set;
    const char *root = MQTTSPEC_SOURCE_DIR "/scenarios";
    assert_int_equal(mqs_scenarios_discover(&root, 1, &set, stderr), 0);
    assert_true(set.count >= 2);
    const char *ids[] = {"qos2-*"};
    const char *excludes[] = {"qos2-inbound-flow"};
    mqs_filter by_glob = {ids, 1, NULL, 0, NULL, 0};
    mqs_filter excluded = {ids, 1, NULL, 0, excludes, 1};
    size_t picked = 0, left = 0;
    for (size_t i = 0; i < set.count; i++) {
        picked += mqs_scenario_selected(&set.items[i], &by_glob);
        left += mqs_scenario_selected(&set.items[i], &excluded);
    }
    assert_true(picked >= 1);
    assert_int_equal(left, picked - 1);
    mqs_scenarios_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_scenario_loads),
        cmocka_unit_test(header_errors),
        cmocka_unit_test(step_errors),
        cmocka_unit_test(selection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
