/* The expect_either step: what the loader accepts and the errors it gives, "file: /pointer: message". */
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

#define HEAD                                                                                                          \
    "{\"id\":\"t-either\",\"title\":\"t\",\"spec\":[\"5.0:MQTT-4.8.2-3\"],\"versions\":[\"5.0\"],\"steps\":["     \
    "{\"connect\":\"a\"},{\"connect\":\"b\"},"

/* Load the scenario HEAD + steps + "]}"; 0 or -1 with the message after the file name in err. */
static int load_steps(const char *steps, char *err, size_t cap)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%s]}", HEAD, steps);
    char path[] = "/tmp/mqttspec-either-XXXXXX.json";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    mqs_scenario sc;
    err[0] = '\0';
    int rc = mqs_scenario_load(path, &sc, err, cap);
    if (rc == 0)
        mqs_scenario_free(&sc);
    const char *tail = strstr(err, ": /");
    if (rc < 0 && tail)
        memmove(err, tail + 2, strlen(tail + 2) + 1);
    unlink(path);
    return rc;
}

static void expect_error(const char *steps, const char *want)
{
    char err[512];
    assert_int_equal(load_steps(steps, err, sizeof err), -1);
    if (strcmp(err, want) != 0)
        fail_msg("expected \"%s\", got \"%s\"", want, err);
}

static void a_good_step_loads(void **state)
{
    (void)state;
    char err[512];
    int rc = load_steps("{\"expect_either\":\"a\",\"packet\":{\"type\":\"PUBLISH\",\"qos\":0},"
                        "\"or\":{\"b\":{\"type\":\"PUBLISH\",\"packet_id\":{\"$capture\":\"p\"}}},"
                        "\"capture_conn\":\"to\",\"within_ms\":500},"
                        "{\"send\":\"b\",\"packet\":{\"type\":\"PUBACK\",\"packet_id\":\"${p}\"},"
                        "\"when_equal\":[\"${to}\",\"b\"]}",
                        err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
}

static void mistakes_are_named(void **state)
{
    (void)state;
    expect_error("{\"expect_either\":\"a\",\"or\":{\"b\":{\"type\":\"PUBLISH\"}}}",
                 "/steps/2/packet: required: the pattern for the step's own connection");
    expect_error("{\"expect_either\":\"a\",\"packet\":{\"type\":\"PUBLISH\"}}",
                 "/steps/2/or: required: {\"CONNECTION\": pattern, ...}, at least one other connection");
    expect_error("{\"expect_either\":\"a\",\"packet\":{\"type\":\"PUBLISH\"},\"or\":{}}",
                 "/steps/2/or: required: {\"CONNECTION\": pattern, ...}, at least one other connection");
    expect_error("{\"expect_either\":\"a\",\"packet\":{\"type\":\"PUBLISH\"},\"or\":{\"c\":{\"type\":\"PUBLISH\"}}}",
                 "/steps/2/or/c: connection 'c' is not opened by an earlier step");
    expect_error("{\"expect_either\":\"a\",\"packet\":{\"type\":\"PUBLISH\"},\"or\":{\"a\":{\"type\":\"PUBLISH\"}}}",
                 "/steps/2/or/a: is the step's own connection");
    expect_error("{\"expect_either\":\"a\",\"packet\":{\"type\":\"PUBLISH\"},\"or\":{\"b\":{\"type\":\"NOPE\"}}}",
                 "/steps/2/or/b/type: unknown packet type");
    expect_error("{\"expect_either\":\"a\",\"packet\":{\"type\":\"PUBLISH\"},\"or\":{\"b\":{}},\"capture_conn\":7}",
                 "/steps/2/capture_conn: must be a variable name (a string)");
    expect_error("{\"expect_either\":\"z\",\"packet\":{\"type\":\"PUBLISH\"},\"or\":{\"b\":{}}}",
                 "/steps/2/expect_either: connection 'z' is not opened by an earlier step");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_good_step_loads),
        cmocka_unit_test(mistakes_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
