/*
 * The statements the engine cites on its own (not taken from a scenario):
 * the rule that owes each kind of answer.  Each must exist in spec/ (the tsv lists) and
 * every answer type must have one, so a FAIL never cites a made-up id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine_internal.h"

static bool listed(const char *id, mqtt_version v)
{
    char path[600], line[1024];
    snprintf(path, sizeof path, "%s/%s", MQTTSPEC_SPEC_DIR,
             v == MQTT_V5 ? "mqtt5_statements.tsv" : "mqtt311_statements.tsv");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    bool found = false;
    size_t n = strlen(id);
    while (!found && fgets(line, sizeof line, f))
        found = strncmp(line, id, n) == 0 && line[n] == '\t';
    fclose(f);
    return found;
}

static void answers_cite_listed_statements(void **state)
{
    (void)state;
    static const int answers[] = {MQTT_CONNACK, MQTT_SUBACK,  MQTT_UNSUBACK, MQTT_PUBACK,
                                  MQTT_PUBREC,  MQTT_PUBREL, MQTT_PUBCOMP,  MQTT_PINGRESP};
    static const mqtt_version versions[] = {MQTT_V311, MQTT_V5};
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
        for (size_t k = 0; k < 2; k++) {
            const char *id = mqs_response_statement(answers[i], versions[k]);
            assert_non_null(id);
            if (!listed(id, versions[k]))
                fail_msg("%s:%s (answer %s) is not in spec/", mqtt_version_name(versions[k]), id,
                         mqtt_packet_type_name(answers[i]));
        }
}

static void requests_cite_nothing(void **state)
{
    (void)state;
    assert_null(mqs_response_statement(MQTT_PUBLISH, MQTT_V311));
    assert_null(mqs_response_statement(MQTT_SUBSCRIBE, MQTT_V5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_cite_listed_statements),
        cmocka_unit_test(requests_cite_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
