/*
 * mqtt_hex_decode, the one hex decoder (decode command, scenario "raw"
 * steps, packet JSON "_hex" values), and mqtt_write_hex.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mqttspec/codec.h"

static size_t decode_ok(const char *text, uint8_t *out, size_t cap)
{
    size_t n = 0;
    mqtt_hex_error err = {0, NULL};
    if (!mqtt_hex_decode(text, strlen(text), out, cap, &n, &err))
        fail_msg("\"%s\": %s at %zu", text, err.reason, err.at);
    return n;
}

static void expect_bad(const char *text, size_t at, const char *reason)
{
    size_t n;
    mqtt_hex_error err = {0, NULL};
    assert_false(mqtt_hex_decode(text, strlen(text), NULL, 0, &n, &err));
    assert_int_equal(err.at, at);
    assert_string_equal(err.reason, reason);
}

static void test_forms(void **state)
{
    (void)state;
    static const uint8_t want[] = {0x10, 0x0c, 0xab, 0xCD};
    uint8_t out[8];
    const char *forms[] = {"100cabcd", "10 0c AB cd", "0x100c 0xabCD", "10\t0c # a comment\nabcd", "  100C\nABCD  "};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        memset(out, 0, sizeof out);
        assert_int_equal(decode_ok(forms[i], out, sizeof out), sizeof want);
        assert_memory_equal(out, want, sizeof want);
    }
    assert_int_equal(decode_ok("", out, sizeof out), 0);
    assert_int_equal(decode_ok("# only a comment", out, sizeof out), 0);
}

static void test_counts_beyond_cap(void **state)
{
    (void)state;
    uint8_t out[2] = {0, 0};
    assert_int_equal(decode_ok("01 02 03 04", out, sizeof out), 4);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[1], 2);
    assert_int_equal(decode_ok("01 02 03", NULL, 0), 3);
}

static void test_errors(void **state)
{
    (void)state;
    expect_bad("10 0g", 4, "not a hex digit");
    expect_bad("zz", 0, "not a hex digit");
    expect_bad("100", 2, "odd number of hex digits");
    expect_bad("10 0x", 3, "0x without hex digits");
    expect_bad("ab#c\n1", 5, "odd number of hex digits");
    size_t n;
    assert_false(mqtt_hex_decode("1", 1, NULL, 0, &n, NULL)); /* err may be NULL */
}

static void test_write_hex(void **state)
{
    (void)state;
    uint8_t buf[4];
    mqtt_writer w;
    mqtt_writer_init(&w, NULL, 0);
    mqtt_write_hex(&w, "0a 0b 0c", 8);
    assert_int_equal(w.len, 3);
    assert_false(w.overflow);
    mqtt_writer_init(&w, buf, sizeof buf);
    mqtt_write_u8(&w, 0x01);
    mqtt_write_hex(&w, "0a0b0c", 6);
    assert_false(w.overflow);
    assert_int_equal(w.len, 4);
    assert_memory_equal(buf, ((const uint8_t[]){0x01, 0x0a, 0x0b, 0x0c}), 4);
    mqtt_write_hex(&w, "ff", 2);
    assert_true(w.overflow); /* no room */
    mqtt_writer_init(&w, buf, sizeof buf);
    mqtt_write_hex(&w, "f", 1);
    assert_true(w.overflow); /* not hex */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_counts_beyond_cap),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_write_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
