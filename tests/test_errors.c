/*
 * The error table itself: every code has a unique name and a message, every
 * statement id it cites exists in the statement list of its version
 * (spec/mqtt*_statements.tsv, read at test time), only local limits cite no statement, and
 * mqtt_err_format says version, statement and offset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mqttspec/codec.h"

#ifndef MQTTSPEC_SOURCE_DIR
#error "MQTTSPEC_SOURCE_DIR must name the source tree (tests/CMakeLists.txt defines it)"
#endif

enum { MAX_IDS = 1024, MAX_ID_LEN = 32, LINE_CAP = 4096, FORMAT_CAP = 512 };

/* The first column of one statement list, and the section number of each (second column's first word). */
typedef struct id_list {
    char ids[MAX_IDS][MAX_ID_LEN];
    char sections[MAX_IDS][MAX_ID_LEN];
    size_t count;
} id_list;

static id_list ids_311;
static id_list ids_5;

static void load_ids(const char *file_name, id_list *list)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/spec/%s", MQTTSPEC_SOURCE_DIR, file_name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    char line[LINE_CAP];
    list->count = 0;
    bool header = true;
    while (fgets(line, sizeof line, f)) {
        if (header) { /* "id\tsection\t..." */
            header = false;
            continue;
        }
        size_t n = strcspn(line, "\t\r\n");
        if (n == 0)
            continue;
        assert_true(n < MAX_ID_LEN);
        assert_true(list->count < MAX_IDS);
        memcpy(list->ids[list->count], line, n);
        list->ids[list->count][n] = '\0';
        const char *section = line + n + (line[n] == '\t');
        size_t m = strcspn(section, " \t\r\n");
        assert_true(m < MAX_ID_LEN);
        memcpy(list->sections[list->count], section, m);
        list->sections[list->count][m] = '\0';
        list->count++;
    }
    fclose(f);
}

static int load_statement_lists(void **state)
{
    (void)state;
    load_ids("mqtt311_statements.tsv", &ids_311);
    load_ids("mqtt5_statements.tsv", &ids_5);
    return 0;
}

static bool list_has(const id_list *list, const char *id)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->ids[i], id) == 0)
            return true;
    return false;
}

static void test_statement_lists_loaded(void **state)
{
    (void)state;
    /* Sanity: the lists hold the well-known statements, so "not found" below means what it says. */
    assert_true(ids_311.count > 100);
    assert_true(ids_5.count > 200);
    assert_true(list_has(&ids_311, "MQTT-3.3.2-2"));
    assert_true(list_has(&ids_5, "MQTT-4.13.1-1"));
    assert_false(list_has(&ids_311, "MQTT-4.13.1-1"));
}

static void test_names_non_empty_and_unique(void **state)
{
    (void)state;
    assert_string_equal(mqtt_err_name(MQTT_E_OK), "OK");
    for (int code = 1; code < MQTT_E_COUNT; code++) {
        const char *name = mqtt_err_name((mqtt_err)code);
        assert_non_null(name);
        if (name[0] == '\0')
            fail_msg("code %d has an empty name", code);
        for (int other = 1; other < code; other++)
            if (strcmp(name, mqtt_err_name((mqtt_err)other)) == 0)
                fail_msg("codes %d and %d share the name %s", other, code, name);
    }
}

static void test_messages_non_empty(void **state)
{
    (void)state;
    for (int code = 1; code < MQTT_E_COUNT; code++) {
        const char *msg = mqtt_err_message((mqtt_err)code);
        assert_non_null(msg);
        if (strlen(msg) < 8)
            fail_msg("%s: message \"%s\" is too short to explain anything", mqtt_err_name((mqtt_err)code), msg);
    }
}

static void test_out_of_range_code(void **state)
{
    (void)state;
    assert_string_equal(mqtt_err_name(MQTT_E_COUNT), "UNKNOWN_ERROR");
    assert_non_null(mqtt_err_message(MQTT_E_COUNT));
    assert_null(mqtt_err_statement(MQTT_E_COUNT, MQTT_V5));
    assert_null(mqtt_err_statement(MQTT_E_OK, MQTT_V311));
    assert_null(mqtt_err_statement(MQTT_E_OK, MQTT_V5));
}

static void test_statements_exist_in_their_version(void **state)
{
    (void)state;
    int missing = 0;
    for (int code = 1; code < MQTT_E_COUNT; code++) {
        const char *s311 = mqtt_err_statement((mqtt_err)code, MQTT_V311);
        const char *s5 = mqtt_err_statement((mqtt_err)code, MQTT_V5);
        if (s311 && !list_has(&ids_311, s311)) {
            print_error("%s: 3.1.1 statement %s is not in mqtt311_statements.tsv\n", mqtt_err_name((mqtt_err)code),
                        s311);
            missing++;
        }
        if (s5 && !list_has(&ids_5, s5)) {
            print_error("%s: 5.0 statement %s is not in mqtt5_statements.tsv\n", mqtt_err_name((mqtt_err)code), s5);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
}

static bool has_section(const id_list *list, const char *section)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->sections[i], section) == 0)
            return true;
    return false;
}

/*
 * 3.1 has no numbered statements: its rules cite the 3.1.1 section that
 * restates them, never a statement id.  The section is one the 3.1.1 list
 * holds statements in, or one of the two that state rules the list numbers
 * elsewhere (2.2.1 Control Packet type, 2.2.3 Remaining Length: MQTT-4.8.0-1).
 */
static void test_v31_cites_sections_not_ids(void **state)
{
    (void)state;
    static const char prefix[] = "cf. 3.1.1 \xc2\xa7";
    int wrong = 0;
    for (int code = 1; code < MQTT_E_COUNT; code++) {
        const char *s31 = mqtt_err_statement((mqtt_err)code, MQTT_V31);
        if (!s31)
            continue;
        const char *section = s31 + strlen(prefix);
        bool ok = strncmp(s31, prefix, strlen(prefix)) == 0 && !strstr(s31, "MQTT-") &&
                  (has_section(&ids_311, section) || strcmp(section, "2.2.1") == 0 || strcmp(section, "2.2.3") == 0);
        if (!ok) {
            print_error("%s: 3.1 citation \"%s\"\n", mqtt_err_name((mqtt_err)code), s31);
            wrong++;
        }
        if (!mqtt_err_statement((mqtt_err)code, MQTT_V311)) {
            print_error("%s: a 3.1 rule that 3.1.1 does not restate\n", mqtt_err_name((mqtt_err)code));
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
    /* Rules 3.1 does not have (issue 9 item 14): header flags, Will QoS without a Will, missing credentials. */
    assert_null(mqtt_err_statement(MQTT_E_FIXED_HEADER_FLAGS, MQTT_V31));
    assert_null(mqtt_err_statement(MQTT_E_WILL_QOS_WITHOUT_WILL, MQTT_V31));
    assert_null(mqtt_err_statement(MQTT_E_USERNAME_MISSING, MQTT_V31));
    assert_null(mqtt_err_statement(MQTT_E_PASSWORD_MISSING, MQTT_V31));
}

static bool is_local_limit(mqtt_err code) { return code == MQTT_E_TOO_LARGE; }

static void test_only_local_limits_lack_a_statement(void **state)
{
    (void)state;
    for (int code = 1; code < MQTT_E_COUNT; code++) {
        bool any = mqtt_err_statement((mqtt_err)code, MQTT_V311) || mqtt_err_statement((mqtt_err)code, MQTT_V5);
        if (is_local_limit((mqtt_err)code)) {
            if (any)
                fail_msg("%s is a local limit but cites a statement", mqtt_err_name((mqtt_err)code));
        } else if (!any) {
            fail_msg("%s cites no statement in either version", mqtt_err_name((mqtt_err)code));
        }
    }
}

static void test_reason_codes_are_errors(void **state)
{
    (void)state;
    /* A rejection is answered with a reason code >= 0x80 (5.0 2.4). */
    for (int code = 1; code < MQTT_E_COUNT; code++)
        if (mqtt_err_reason_code((mqtt_err)code) < 0x80)
            fail_msg("%s maps to reason code 0x%02x", mqtt_err_name((mqtt_err)code),
                     mqtt_err_reason_code((mqtt_err)code));
    assert_int_equal(mqtt_err_reason_code(MQTT_E_TOO_LARGE), 0x95);
    assert_int_equal(mqtt_err_reason_code(MQTT_E_UTF8_INVALID), 0x81);
    assert_int_equal(mqtt_err_reason_code(MQTT_E_TOPIC_NAME_WILDCARD), 0x90);
}

static void expect_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

/* Formats code at (offset, byte) for version and checks prefix, id, offset and name. */
static void check_format(mqtt_err code, mqtt_version version, const char *prefix, uint32_t offset, uint32_t byte)
{
    const char *stmt = mqtt_err_statement(code, version);
    mqtt_error err = {.code = code, .offset = offset, .byte = byte};
    char out[FORMAT_CAP];
    size_t n = mqtt_err_format(&err, version, out, sizeof out);
    assert_int_equal(n, strlen(out));
    char want[128];
    snprintf(want, sizeof want, "%s%s", prefix, stmt);
    expect_contains(out, want);
    snprintf(want, sizeof want, "offset %u", (unsigned)offset);
    expect_contains(out, want);
    if (byte != offset) {
        snprintf(want, sizeof want, "(byte %u)", (unsigned)byte);
        expect_contains(out, want);
    }
    expect_contains(out, mqtt_err_name(code));
    expect_contains(out, mqtt_err_message(code));
}

static void test_format_names_version_statement_offset(void **state)
{
    (void)state;
    for (int code = 1; code < MQTT_E_COUNT; code++) {
        mqtt_err e = (mqtt_err)code;
        if (mqtt_err_statement(e, MQTT_V311)) {
            check_format(e, MQTT_V311, "3.1.1:", 17, 17);
        }
        if (mqtt_err_statement(e, MQTT_V31))
            check_format(e, MQTT_V31, "3.1 (", 3, 9);
        if (mqtt_err_statement(e, MQTT_V5))
            check_format(e, MQTT_V5, "5.0:", 42, 45);
    }
}

static void test_format_example_from_header(void **state)
{
    (void)state;
    mqtt_error err = {.code = MQTT_E_TOPIC_NAME_WILDCARD, .offset = 2, .byte = 5};
    char out[FORMAT_CAP];
    mqtt_err_format(&err, MQTT_V311, out, sizeof out);
    assert_string_equal(out, "3.1.1:MQTT-3.3.2-2 at offset 2 (byte 5): PUBLISH Topic Name contains a wildcard "
                             "character (TOPIC_NAME_WILDCARD)");
}

static void test_format_v31_example(void **state)
{
    (void)state;
    mqtt_error err = {.code = MQTT_E_PROTOCOL_LEVEL, .offset = 8, .byte = 8, .version = MQTT_V31};
    char out[FORMAT_CAP];
    mqtt_err_format(&err, MQTT_V311, out, sizeof out);
    assert_string_equal(out, "3.1 (cf. 3.1.1 \xc2\xa7" "3.1.2.2) at offset 8: unsupported protocol level (PROTOCOL_LEVEL)");
}

/* Rules every packet type states in its own section name the packet's section, not "3.x". */
static void test_format_names_the_packet_section(void **state)
{
    (void)state;
    mqtt_error err = {.code = MQTT_E_REMAINING_LENGTH, .offset = 1, .byte = 1, .version = MQTT_V311,
                      .packet_type = MQTT_PUBCOMP};
    char out[FORMAT_CAP];
    mqtt_err_format(&err, MQTT_V311, out, sizeof out);
    expect_contains(out, "(section 3.7.1)");
    err = (mqtt_error){.code = MQTT_E_PROPERTY_VALUE, .offset = 9, .byte = 9, .version = MQTT_V5,
                       .packet_type = MQTT_PUBLISH};
    mqtt_err_format(&err, MQTT_V5, out, sizeof out);
    expect_contains(out, "(section 3.3.2.3)");
    assert_null(strstr(out, "3.x"));
    err.packet_type = 0; /* unknown (framing): no section rather than a wrong one */
    mqtt_err_format(&err, MQTT_V5, out, sizeof out);
    assert_null(strstr(out, "section"));
}

static void test_format_local_limit(void **state)
{
    (void)state;
    mqtt_error err = {.code = MQTT_E_TOO_LARGE, .offset = 0, .byte = 0};
    char out[FORMAT_CAP];
    mqtt_err_format(&err, MQTT_V5, out, sizeof out);
    expect_contains(out, "offset 0");
    expect_contains(out, "TOO_LARGE");
    assert_null(strstr(out, "MQTT-"));
}

static void test_format_truncates_like_snprintf(void **state)
{
    (void)state;
    mqtt_error err = {.code = MQTT_E_UTF8_NUL, .offset = 6, .byte = 6};
    char full[FORMAT_CAP];
    size_t want = mqtt_err_format(&err, MQTT_V5, full, sizeof full);
    char small[10];
    memset(small, 'x', sizeof small);
    size_t n = mqtt_err_format(&err, MQTT_V5, small, sizeof small);
    assert_int_equal(n, want);
    assert_int_equal(small[sizeof small - 1], '\0');
    assert_memory_equal(small, full, sizeof small - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statement_lists_loaded),
        cmocka_unit_test(test_names_non_empty_and_unique),
        cmocka_unit_test(test_messages_non_empty),
        cmocka_unit_test(test_out_of_range_code),
        cmocka_unit_test(test_statements_exist_in_their_version),
        cmocka_unit_test(test_v31_cites_sections_not_ids),
        cmocka_unit_test(test_only_local_limits_lack_a_statement),
        cmocka_unit_test(test_reason_codes_are_errors),
        cmocka_unit_test(test_format_names_version_statement_offset),
        cmocka_unit_test(test_format_example_from_header),
        cmocka_unit_test(test_format_v31_example),
        cmocka_unit_test(test_format_names_the_packet_section),
        cmocka_unit_test(test_format_local_limit),
        cmocka_unit_test(test_format_truncates_like_snprintf),
    };
    return cmocka_run_group_tests(tests, load_statement_lists, NULL);
}
