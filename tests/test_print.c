/* mqtt_print: one line per packet type and version, escaping, cuts, and the snprintf contract. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mqttspec/codec.h"

enum { MAX_PACKET = 4096, MAX_LINE = 2048 };

/* ---- helpers ---- */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* "10 0c 00 04" -> bytes; the test data is trusted, so only a sanity check. */
static size_t parse_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = hex; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        int hi = hex_digit(p[0]), lo = hex_digit(p[1]);
        assert_true(hi >= 0 && lo >= 0 && n < cap);
        out[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    return n;
}

static void decode_whole(const uint8_t *bytes, size_t len, mqtt_version version, mqtt_role role, mqtt_packet *pkt)
{
    mqtt_decode_opts opts = {.version = version, .role = role, .max_packet_size = 0};
    mqtt_error err = {.code = MQTT_E_OK};
    size_t used = 0;
    mqtt_status st = mqtt_decode(bytes, len, &opts, pkt, &used, &err);
    if (st != MQTT_COMPLETE) {
        char msg[256];
        mqtt_err_format(&err, version, msg, sizeof msg);
        fail_msg("decode status %d: %s", (int)st, msg);
    }
    assert_int_equal(used, len);
}

static void expect_line(const mqtt_packet *pkt, mqtt_version version, const char *want)
{
    char line[MAX_LINE];
    size_t n = mqtt_print(pkt, version, line, sizeof line);
    assert_string_equal(line, want);
    assert_int_equal(n, strlen(want));
}

/* Decode hex as `role` receives it at `version`, then compare the printed line. */
static void expect_decoded(const char *hex, mqtt_version version, mqtt_role role, const char *want)
{
    static uint8_t bytes[MAX_PACKET];
    mqtt_packet pkt;
    size_t len = parse_hex(hex, bytes, sizeof bytes);
    decode_whole(bytes, len, version, role, &pkt);
    expect_line(&pkt, version, want);
}

#define SERVER MQTT_ROLE_SERVER
#define CLIENT MQTT_ROLE_CLIENT

/* ---- 3.1.1 ---- */

static void test_connect_311(void **state)
{
    (void)state;
    expect_decoded("10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00", MQTT_V311, SERVER,
                   "CONNECT (p4, c1, k60, id '', u0, p0)");
    expect_decoded("10 3b 00 04 4d 51 54 54 04 ce 00 3c 00 0c 62 65 6e 63 68 2d 63 6c 69 65 6e 74 00 0e 63"
                   " 6c 69 65 6e 74 73 2f 73 74 61 74 75 73 00 07 6f 66 66 6c 69 6e 65 00 04 75 73 65 72"
                   " 00 02 70 77",
                   MQTT_V311, SERVER,
                   "CONNECT (p4, c1, k60, id 'bench-client', u1, p1, will q1 r0 'clients/status' (7 bytes))");
}

static void test_connect_31(void **state)
{
    (void)state;
    expect_decoded("10 11 00 06 4d 51 49 73 64 70 03 02 00 0a 00 03 6f 6c 64", MQTT_V31, SERVER,
                   "CONNECT (p3, c1, k10, id 'old', u0, p0)");
}

static void test_connack_311(void **state)
{
    (void)state;
    expect_decoded("20 02 00 00", MQTT_V311, CLIENT, "CONNACK (sp0, rc0)");
    expect_decoded("20 02 01 00", MQTT_V311, CLIENT, "CONNACK (sp1, rc0)");
    expect_decoded("20 02 00 05", MQTT_V311, CLIENT, "CONNACK (sp0, rc5 (Connection Refused, not authorized))");
}

static void test_publish_311(void **state)
{
    (void)state;
    expect_decoded("32 0c 00 03 61 2f 62 00 07 68 65 6c 6c 6f", MQTT_V311, SERVER,
                   "PUBLISH (d0, q1, r0, m7, 'a/b', ... (5 bytes))");
    expect_decoded("31 05 00 03 61 2f 62", MQTT_V311, SERVER, "PUBLISH (d0, q0, r1, m0, 'a/b', ... (0 bytes))");
    expect_decoded("3c 06 00 01 78 ff ff 00", MQTT_V311, SERVER, "PUBLISH (d1, q2, r0, m65535, 'x', ... (1 byte))");
}

static void test_acks_311(void **state)
{
    (void)state;
    expect_decoded("40 02 00 05", MQTT_V311, SERVER, "PUBACK (m5)");
    expect_decoded("50 02 00 06", MQTT_V311, CLIENT, "PUBREC (m6)");
    expect_decoded("62 02 00 07", MQTT_V311, SERVER, "PUBREL (m7)");
    expect_decoded("70 02 00 08", MQTT_V311, CLIENT, "PUBCOMP (m8)");
}

static void test_subscribe_311(void **state)
{
    (void)state;
    expect_decoded("82 10 00 09 00 05 61 2f 2b 2f 63 01 00 03 78 2f 23 00", MQTT_V311, SERVER,
                   "SUBSCRIBE (m9, 'a/+/c' q1, 'x/#' q0)");
    expect_decoded("90 05 00 09 01 00 02", MQTT_V311, CLIENT, "SUBACK (m9, 1, 0, 2)");
    expect_decoded("90 03 00 09 80", MQTT_V311, CLIENT, "SUBACK (m9, 128 (Failure))"); /* 3.1.1 names its codes too */
}

static void test_unsubscribe_311(void **state)
{
    (void)state;
    expect_decoded("a2 0a 00 03 00 03 61 2f 62 00 01 63", MQTT_V311, SERVER, "UNSUBSCRIBE (m3, 'a/b', 'c')");
    expect_decoded("b0 02 00 03", MQTT_V311, CLIENT, "UNSUBACK (m3)");
}

static void test_empty_packets_311(void **state)
{
    (void)state;
    expect_decoded("c0 00", MQTT_V311, SERVER, "PINGREQ");
    expect_decoded("d0 00", MQTT_V311, CLIENT, "PINGRESP");
    expect_decoded("e0 00", MQTT_V311, SERVER, "DISCONNECT");
}

/* ---- 5.0 ---- */

static void test_connect_5(void **state)
{
    (void)state;
    expect_decoded("10 5b 00 04 4d 51 54 54 05 ac 00 3c 13 11 00 00 0e 10 21 00 14 26 00 04 73 69 74 65 00"
                   " 02 62 37 00 0c 62 65 6e 63 68 2d 63 6c 69 65 6e 74 12 18 00 00 00 05 03 00 0a 74 65"
                   " 78 74 2f 70 6c 61 69 6e 00 0e 63 6c 69 65 6e 74 73 2f 73 74 61 74 75 73 00 07 6f 66"
                   " 66 6c 69 6e 65 00 01 75",
                   MQTT_V5, SERVER,
                   "CONNECT (p5, c0, k60, [session_expiry_interval=3600, receive_maximum=20,"
                   " user_property site=b7], id 'bench-client', u1, p0, will q1 r1 'clients/status'"
                   " (7 bytes) [will_delay_interval=5, content_type='text/plain'])");
    /* A CONNECT is printed by its own level, whatever version the caller passes. */
    expect_decoded("10 0d 00 04 4d 51 54 54 05 02 00 3c 00 00 00", MQTT_V311, SERVER,
                   "CONNECT (p5, c1, k60, id '', u0, p0)");
}

static void test_connack_5(void **state)
{
    (void)state;
    expect_decoded("20 0f 00 00 0c 22 00 0a 12 00 06 61 75 74 6f 2d 31", MQTT_V5, CLIENT,
                   "CONNACK (sp0, rc0 (Success), [topic_alias_maximum=10, assigned_client_identifier='auto-1'])");
    expect_decoded("20 03 00 87 00", MQTT_V5, CLIENT, "CONNACK (sp0, rc135 (Not authorized))");
}

static void test_publish_5(void **state)
{
    (void)state;
    expect_decoded("32 19 00 00 00 07 11 23 00 05 09 00 04 01 02 03 04 26 00 01 6b 00 01 76 61 62 63", MQTT_V5,
                   SERVER,
                   "PUBLISH (d0, q1, r0, m7, '', [topic_alias=5, correlation_data=(4 bytes), user_property k=v],"
                   " ... (3 bytes))");
    expect_decoded("30 09 00 03 61 2f 62 03 0b 80 01", MQTT_V5, CLIENT,
                   "PUBLISH (d0, q0, r0, m0, 'a/b', [subscription_identifier=128], ... (0 bytes))");
    expect_decoded("30 06 00 03 61 2f 62 00", MQTT_V5, SERVER, "PUBLISH (d0, q0, r0, m0, 'a/b', ... (0 bytes))");
}

static void test_acks_5(void **state)
{
    (void)state;
    expect_decoded("40 02 00 05", MQTT_V5, SERVER, "PUBACK (m5)");
    expect_decoded("40 03 00 05 10", MQTT_V5, SERVER, "PUBACK (m5, rc16 (No matching subscribers))");
    expect_decoded("40 0e 00 05 10 0a 1f 00 07 6e 6f 20 73 75 62 73", MQTT_V5, SERVER,
                   "PUBACK (m5, rc16 (No matching subscribers), [reason_string='no subs'])");
    /* A code on the wire is shown even when it is Success. */
    expect_decoded("40 04 00 05 00 00", MQTT_V5, SERVER, "PUBACK (m5, rc0 (Success))");
    expect_decoded("62 03 00 05 92", MQTT_V5, SERVER, "PUBREL (m5, rc146 (Packet Identifier not found))");
    expect_decoded("50 03 00 06 87", MQTT_V5, CLIENT, "PUBREC (m6, rc135 (Not authorized))");
    expect_decoded("70 02 00 08", MQTT_V5, CLIENT, "PUBCOMP (m8)");
}

static void test_subscribe_5(void **state)
{
    (void)state;
    expect_decoded("82 13 00 09 02 0b 03 00 05 61 2f 2b 2f 63 2d 00 03 78 2f 23 00", MQTT_V5, SERVER,
                   "SUBSCRIBE (m9, [subscription_identifier=3], 'a/+/c' q1 nl1 rap1 rh2, 'x/#' q0)");
    expect_decoded("90 06 00 09 00 01 87 00", MQTT_V5, CLIENT, "SUBACK (m9, 1, 135 (Not authorized), 0)");
}

static void test_unsubscribe_5(void **state)
{
    (void)state;
    expect_decoded("a2 08 00 03 00 00 03 61 2f 62", MQTT_V5, SERVER, "UNSUBSCRIBE (m3, 'a/b')");
    expect_decoded("b0 05 00 03 00 00 11", MQTT_V5, CLIENT, "UNSUBACK (m3, 0, 17 (No subscription existed))");
}

static void test_disconnect_auth_5(void **state)
{
    (void)state;
    expect_decoded("e0 00", MQTT_V5, SERVER, "DISCONNECT");
    expect_decoded("e0 01 00", MQTT_V5, SERVER, "DISCONNECT (rc0 (Normal disconnection))");
    expect_decoded("e0 07 00 05 11 00 00 00 00", MQTT_V5, SERVER,
                   "DISCONNECT (rc0 (Normal disconnection), [session_expiry_interval=0])");
    expect_decoded("e0 01 8e", MQTT_V5, CLIENT, "DISCONNECT (rc142 (Session taken over))");
    expect_decoded("f0 00", MQTT_V5, CLIENT, "AUTH"); /* AUTH Success (implied): from a server only */
    expect_decoded("f0 16 18 14 15 00 0b 53 43 52 41 4d 2d 53 48 41 2d 31 16 00 03 61 62 63", MQTT_V5, SERVER,
                   "AUTH (rc24 (Continue authentication), [authentication_method='SCRAM-SHA-1',"
                   " authentication_data=(3 bytes)])");
    expect_decoded("c0 00", MQTT_V5, SERVER, "PINGREQ");
}

/* ---- built with the encoder ---- */

static void test_encoded_connect_roundtrip(void **state)
{
    (void)state;
    static const char client_id[] = "bench-client", will_topic[] = "clients/status", will_msg[] = "offline";
    mqtt_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = MQTT_CONNECT;
    mqtt_connect *c = &pkt.u.connect;
    c->protocol_name = (mqtt_bytes){(const uint8_t *)"MQTT", 4};
    c->protocol_level = MQTT_V311;
    c->clean_start = true;
    c->will = true;
    c->will_qos = 1;
    c->keep_alive = 60;
    c->client_id = (mqtt_bytes){(const uint8_t *)client_id, sizeof client_id - 1};
    c->will_topic = (mqtt_bytes){(const uint8_t *)will_topic, sizeof will_topic - 1};
    c->will_payload = (mqtt_bytes){(const uint8_t *)will_msg, sizeof will_msg - 1};
    c->flags = 0x02 | 0x04 | 0x08;

    uint8_t wire[256];
    size_t n = mqtt_encode(&pkt, MQTT_V311, wire, sizeof wire);
    assert_true(n > 0);
    mqtt_packet back;
    decode_whole(wire, n, MQTT_V311, SERVER, &back);
    expect_line(&back, MQTT_V311, "CONNECT (p4, c1, k60, id 'bench-client', u0, p0, will q1 r0 'clients/status' (7 bytes))");
}

/* ---- strings, cuts, odd input ---- */

static void test_escaping(void **state)
{
    (void)state;
    /* UTF-8 bytes, a quote and a backslash in a valid topic. */
    expect_decoded("30 0f 00 0c 63 61 66 c3 a9 2f 69 74 27 73 5c 78 70", MQTT_V311, SERVER,
                   "PUBLISH (d0, q0, r0, m0, 'caf\\xc3\\xa9/it\\'s\\\\x', ... (1 byte))");

    /* Bytes no decoder would accept still print safely. */
    static const uint8_t odd[] = {0x00, 0x01, 0x1f, 0x7f, 0xff};
    mqtt_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = MQTT_PUBLISH;
    pkt.u.publish.topic = (mqtt_bytes){odd, sizeof odd};
    expect_line(&pkt, MQTT_V311, "PUBLISH (d0, q0, r0, m0, '\\x00\\x01\\x1f\\x7f\\xff', ... (0 bytes))");
}

static void test_long_string_is_cut(void **state)
{
    (void)state;
    uint8_t topic[100];
    memset(topic, 'a', sizeof topic);
    mqtt_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = MQTT_PUBLISH;
    pkt.u.publish.topic = (mqtt_bytes){topic, sizeof topic};
    pkt.u.publish.payload = (mqtt_bytes){topic, 10};

    char want[256];
    snprintf(want, sizeof want, "PUBLISH (d0, q0, r0, m0, '%.64s'... (100 bytes), ... (10 bytes))", (const char *)topic);
    expect_line(&pkt, MQTT_V311, want);
}

static size_t put_string(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    p[0] = (uint8_t)(n >> 8);
    p[1] = (uint8_t)n;
    memcpy(p + 2, s, n);
    return 2 + n;
}

static void test_long_list_is_cut(void **state)
{
    (void)state;
    uint8_t list[20 * 4];
    size_t len = 0;
    for (int i = 0; i < 20; i++) {
        char filter[2] = {(char)('a' + i), 0};
        len += put_string(list + len, filter);
        list[len++] = (uint8_t)(i % 3);
    }
    mqtt_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = MQTT_SUBSCRIBE;
    pkt.flags = 2;
    pkt.u.subs.packet_id = 1;
    pkt.u.subs.list = (mqtt_list){list, (uint32_t)len, 20};

    char line[MAX_LINE];
    mqtt_print(&pkt, MQTT_V311, line, sizeof line);
    assert_non_null(strstr(line, "SUBSCRIBE (m1, 'a' q0, 'b' q1, 'c' q2, "));
    assert_non_null(strstr(line, ", 'p' q0, ... (4 more))"));
    assert_null(strstr(line, "'q'"));

    /* The same list as SUBACK codes. */
    pkt.type = MQTT_SUBACK;
    pkt.flags = 0;
    uint8_t codes[20] = {0};
    pkt.u.subs.list = (mqtt_list){codes, sizeof codes, sizeof codes};
    mqtt_print(&pkt, MQTT_V311, line, sizeof line);
    assert_string_equal(line, "SUBACK (m1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ... (4 more))");
}

static void test_many_properties_are_cut(void **state)
{
    (void)state;
    uint8_t props[20 * 8];
    size_t len = 0;
    for (int i = 0; i < 20; i++) {
        char name[2] = {(char)('a' + i), 0};
        props[len++] = MQTT_PROP_USER_PROPERTY;
        len += put_string(props + len, name);
        len += put_string(props + len, "v");
    }
    mqtt_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.type = MQTT_PUBACK;
    pkt.u.ack.packet_id = 2;
    pkt.u.ack.props = (mqtt_props){props, (uint32_t)len};

    char line[MAX_LINE];
    mqtt_print(&pkt, MQTT_V5, line, sizeof line);
    assert_non_null(strstr(line, "PUBACK (m2, rc0 (Success), [user_property a=v, user_property b=v, "));
    assert_non_null(strstr(line, "user_property p=v, ... (4 more)])"));
    /* 3.1.1 packets have no properties to show. */
    mqtt_print(&pkt, MQTT_V311, line, sizeof line);
    assert_string_equal(line, "PUBACK (m2)");
}

static void test_odd_packets(void **state)
{
    (void)state;
    mqtt_packet pkt;
    memset(&pkt, 0, sizeof pkt);
    expect_line(&pkt, MQTT_V311, "RESERVED");
    pkt.type = 200;
    expect_line(&pkt, MQTT_V5, "RESERVED");

    char line[16];
    assert_int_equal(mqtt_print(NULL, MQTT_V311, line, sizeof line), strlen("(null)"));
    assert_string_equal(line, "(null)");
}

/* ---- the snprintf contract ---- */

static void test_truncation_contract(void **state)
{
    (void)state;
    static const char hex[] = "10 3b 00 04 4d 51 54 54 04 ce 00 3c 00 0c 62 65 6e 63 68 2d 63 6c 69 65 6e 74 00 0e"
                              " 63 6c 69 65 6e 74 73 2f 73 74 61 74 75 73 00 07 6f 66 66 6c 69 6e 65 00 04 75 73"
                              " 65 72 00 02 70 77";
    uint8_t bytes[128];
    mqtt_packet pkt;
    decode_whole(bytes, parse_hex(hex, bytes, sizeof bytes), MQTT_V311, SERVER, &pkt);

    char full[MAX_LINE];
    size_t want = mqtt_print(&pkt, MQTT_V311, full, sizeof full);
    assert_int_equal(want, strlen(full));
    assert_int_equal(mqtt_print(&pkt, MQTT_V311, NULL, 0), want);

    for (size_t cap = 0; cap <= want + 2; cap++) {
        char buf[MAX_LINE];
        memset(buf, '#', sizeof buf);
        assert_int_equal(mqtt_print(&pkt, MQTT_V311, buf, cap), want);
        if (cap > 0) {
            size_t kept = want < cap ? want : cap - 1;
            assert_int_equal(buf[kept], '\0');
            assert_memory_equal(buf, full, kept);
        }
        for (size_t i = cap; i < cap + 8; i++)
            assert_int_equal(buf[i], '#'); /* nothing written past cap */
    }
}

static void test_version_names(void **state)
{
    (void)state;
    assert_string_equal(mqtt_version_name(MQTT_V31), "3.1");
    assert_string_equal(mqtt_version_name(MQTT_V311), "3.1.1");
    assert_string_equal(mqtt_version_name(MQTT_V5), "5.0");
    assert_string_equal(mqtt_version_name(MQTT_VERSION_UNKNOWN), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_311),
        cmocka_unit_test(test_connect_31),
        cmocka_unit_test(test_connack_311),
        cmocka_unit_test(test_publish_311),
        cmocka_unit_test(test_acks_311),
        cmocka_unit_test(test_subscribe_311),
        cmocka_unit_test(test_unsubscribe_311),
        cmocka_unit_test(test_empty_packets_311),
        cmocka_unit_test(test_connect_5),
        cmocka_unit_test(test_connack_5),
        cmocka_unit_test(test_publish_5),
        cmocka_unit_test(test_acks_5),
        cmocka_unit_test(test_subscribe_5),
        cmocka_unit_test(test_unsubscribe_5),
        cmocka_unit_test(test_disconnect_auth_5),
        cmocka_unit_test(test_encoded_connect_roundtrip),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_long_string_is_cut),
        cmocka_unit_test(test_long_list_is_cut),
        cmocka_unit_test(test_many_properties_are_cut),
        cmocka_unit_test(test_odd_packets),
        cmocka_unit_test(test_truncation_contract),
        cmocka_unit_test(test_version_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
