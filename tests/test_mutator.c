/*
 * libmqttspec_mutator (mqttspec/mutator.h): what a user's fuzz target relies on.
 * A packet the codec decodes is changed, within max_size, the same way for the
 * same seed; bytes that are no packet come back untouched with 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mqttspec/mutator.h"

/* 5.0 PUBLISH QoS 1, topic "a/b", packet id 7, no properties, payload "hi". */
static const uint8_t publish5[] = {0x32, 0x0a, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x07, 0x00, 'h', 'i'};

static void test_changes_a_packet_within_bounds(void **state)
{
    (void)state;
    int changed = 0, mutated = 0;
    for (unsigned seed = 1; seed <= 2000; seed++) {
        uint8_t buf[64];
        memcpy(buf, publish5, sizeof publish5);
        size_t n = mqs_mutator_mutate(buf, sizeof publish5, sizeof buf, MQTT_V5, seed);
        assert_true(n <= sizeof buf);
        if (n) {
            mutated++;
            changed += n != sizeof publish5 || memcmp(buf, publish5, n) != 0;
        }
    }
    /* Every seed decodes the same valid packet, so every call mutates; nearly all change something. */
    assert_int_equal(mutated, 2000);
    assert_true(changed > 1800);
}

static void test_deterministic_per_seed(void **state)
{
    (void)state;
    uint8_t a[64], b[64];
    memcpy(a, publish5, sizeof publish5);
    memcpy(b, publish5, sizeof publish5);
    size_t na = mqs_mutator_mutate(a, sizeof publish5, sizeof a, MQTT_V5, 12345);
    size_t nb = mqs_mutator_mutate(b, sizeof publish5, sizeof b, MQTT_V5, 12345);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
}

static void test_no_packet_left_alone(void **state)
{
    (void)state;
    uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03};
    uint8_t copy[sizeof junk];
    memcpy(copy, junk, sizeof junk);
    assert_int_equal(mqs_mutator_mutate(junk, sizeof junk, 64, MQTT_V5, 99), 0);
    assert_memory_equal(junk, copy, sizeof junk);
}

static void test_unknown_version_finds_one(void **state)
{
    (void)state;
    /* 3.1.1 SUBSCRIBE id 1, "x" QoS 0: a 5.0 reader wants a property length, a 3.1.1 reader decodes it. */
    uint8_t sub[32] = {0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'x', 0x00};
    size_t n = mqs_mutator_mutate(sub, 8, sizeof sub, MQTT_VERSION_UNKNOWN, 7);
    assert_true(n > 0 && n <= sizeof sub);
}

static void test_tiny_room_refused(void **state)
{
    (void)state;
    uint8_t buf[sizeof publish5];
    memcpy(buf, publish5, sizeof publish5);
    assert_int_equal(mqs_mutator_mutate(buf, sizeof publish5, 4, MQTT_V5, 1), 0);
    assert_memory_equal(buf, publish5, sizeof publish5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changes_a_packet_within_bounds),
        cmocka_unit_test(test_deterministic_per_seed),
        cmocka_unit_test(test_no_packet_left_alone),
        cmocka_unit_test(test_unknown_version_finds_one),
        cmocka_unit_test(test_tiny_room_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
