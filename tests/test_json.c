/*
 * Packet <-> JSON: round trips of every packet type through the wire, the
 * overrides that build invalid packets, error pointers, and matching.
 *
 * Cases are written with ' for " to stay readable; jq() swaps them back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttspec/codec.h"
#include "mqttspec/packet_json.h"

#define ARENA_CAP 4096
#define WIRE_CAP 8192

/* A round-trip case: canonical JSON as mqtt_packet_to_json prints it. */
typedef struct rt_case {
    mqtt_version version;
    mqtt_role receiver; /* who decodes it: decides which packets and fields are legal */
    const char *json;
} rt_case;

#define S MQTT_ROLE_SERVER /* sent by a client */
#define C MQTT_ROLE_CLIENT /* sent by a server */

static cJSON *jq(const char *text)
{
    char *s = strdup(text);
    assert_non_null(s);
    for (char *p = s; *p != '\0'; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *j = cJSON_Parse(s);
    if (j == NULL)
        fail_msg("test JSON does not parse: %s", s);
    free(s);
    return j;
}

static void fail_json(const char *what, const cJSON *expected, const cJSON *actual)
{
    char *e = cJSON_PrintUnformatted(expected);
    char *a = actual != NULL ? cJSON_PrintUnformatted(actual) : NULL;
    print_error("%s\n  expected %s\n  actual   %s\n", what, e, a != NULL ? a : "(null)");
    free(e);
    free(a);
    fail();
}

static void from_json_ok(const cJSON *j, mqtt_version v, mqtt_packet *pkt, uint8_t *arena)
{
    char err[256];
    if (mqtt_packet_from_json(j, v, pkt, arena, ARENA_CAP, err, sizeof err) != 0) {
        char *s = cJSON_PrintUnformatted(j);
        print_error("from_json(%s): %s\n", s, err);
        free(s);
        fail();
    }
}

static size_t encode_ok(const mqtt_packet *pkt, mqtt_version v, uint8_t *wire)
{
    size_t n = mqtt_encode(pkt, v, wire, WIRE_CAP);
    assert_true(n > 0);
    assert_int_equal(n, mqtt_encoded_size(pkt, v));
    return n;
}

static void decode_ok(const uint8_t *wire, size_t n, mqtt_version v, mqtt_role role, mqtt_packet *out)
{
    mqtt_decode_opts opts = {.version = v, .role = role, .max_packet_size = 0};
    mqtt_error err = {0};
    size_t used = 0;
    mqtt_status st = mqtt_decode(wire, n, &opts, out, &used, &err);
    if (st != MQTT_COMPLETE) {
        char msg[256];
        mqtt_err_format(&err, v, msg, sizeof msg);
        fail_msg("decode: status %d: %s", (int)st, msg);
    }
    assert_int_equal(used, n);
}

/* JSON -> packet -> wire -> packet -> JSON gives the JSON back, and the JSON
 * it gives back encodes to the same bytes. */
static void round_trip(const rt_case *tc)
{
    static uint8_t arena[ARENA_CAP], arena2[ARENA_CAP], wire[WIRE_CAP], wire2[WIRE_CAP];
    cJSON *j = jq(tc->json);
    mqtt_packet pkt, dec, again;
    from_json_ok(j, tc->version, &pkt, arena);
    size_t n = encode_ok(&pkt, tc->version, wire);
    decode_ok(wire, n, tc->version, tc->receiver, &dec);
    cJSON *back = mqtt_packet_to_json(&dec, tc->version);
    if (back == NULL || !cJSON_Compare(j, back, true))
        fail_json("round trip changed the JSON", j, back);
    from_json_ok(back, tc->version, &again, arena2);
    assert_int_equal(encode_ok(&again, tc->version, wire2), n);
    assert_memory_equal(wire, wire2, n);
    cJSON_Delete(back);
    cJSON_Delete(j);
}

static void run_cases(const rt_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++)
        round_trip(&cases[i]);
}

/* ---- round trips, 3.1.1 and 3.1 ---- */

static const rt_case v311_cases[] = {
    {MQTT_V311, S,
     "{'type':'CONNECT','protocol_name':'MQTT','protocol_level':4,'clean_start':true,'keep_alive':60,"
     "'client_id':'c1'}"},
    {MQTT_V311, S,
     "{'type':'CONNECT','protocol_name':'MQTT','protocol_level':4,'clean_start':false,'keep_alive':0,"
     "'client_id':'c2','will':{'topic':'w/t','payload':'bye','qos':1,'retain':true},'username':'u',"
     "'password':'p'}"},
    {MQTT_V311, S,
     "{'type':'CONNECT','protocol_name':'MQTT','protocol_level':4,'clean_start':true,'keep_alive':65535,"
     "'client_id':'','will':{'topic':'w','payload_hex':'00ff','qos':2,'retain':false},'username':'us\\u00e9r',"
     "'password_hex':'0102'}"},
    {MQTT_V311, C, "{'type':'CONNACK','session_present':true,'code':0,'reason':'Success'}"},
    {MQTT_V311, C,
     "{'type':'CONNACK','session_present':false,'code':5,'reason':'Connection Refused, not authorized'}"},
    {MQTT_V311, S, "{'type':'PUBLISH','dup':false,'qos':0,'retain':false,'topic':'a/b','payload':'hello'}"},
    {MQTT_V311, C,
     "{'type':'PUBLISH','dup':true,'qos':1,'retain':true,'topic':'a/\\u00fc','packet_id':7,"
     "'payload_hex':'00ff10'}"},
    {MQTT_V311, S,
     "{'type':'PUBLISH','dup':false,'qos':2,'retain':false,'topic':'x','packet_id':65535,"
     "'payload':'line\\nline\\ttab'}"},
    {MQTT_V311, S, "{'type':'PUBLISH','dup':false,'qos':0,'retain':false,'topic':'e','payload':''}"},
    {MQTT_V311, S, "{'type':'PUBACK','packet_id':1}"},
    {MQTT_V311, C, "{'type':'PUBREC','packet_id':2}"},
    {MQTT_V311, S, "{'type':'PUBREL','packet_id':3}"},
    {MQTT_V311, C, "{'type':'PUBCOMP','packet_id':4}"},
    {MQTT_V311, S,
     "{'type':'SUBSCRIBE','packet_id':5,'subscriptions':[{'filter':'a/+','qos':1},{'filter':'#','qos':2},"
     "{'filter':'s/x','qos':0}]}"},
    {MQTT_V311, C,
     "{'type':'SUBACK','packet_id':5,'codes':[1,2,0,128],"
     "'reasons':['Granted QoS 1','Granted QoS 2','Granted QoS 0','Unspecified error']}"},
    {MQTT_V311, S, "{'type':'UNSUBSCRIBE','packet_id':6,'filters':['a/+','#']}"},
    {MQTT_V311, C, "{'type':'UNSUBACK','packet_id':6}"},
    {MQTT_V311, S, "{'type':'PINGREQ'}"},
    {MQTT_V311, C, "{'type':'PINGRESP'}"},
    {MQTT_V311, S, "{'type':'DISCONNECT'}"},
};

static const rt_case v31_cases[] = {
    {MQTT_V31, S,
     "{'type':'CONNECT','protocol_name':'MQIsdp','protocol_level':3,'clean_start':true,'keep_alive':10,"
     "'client_id':'old','username':'u'}"},
    {MQTT_V31, S, "{'type':'PUBLISH','dup':false,'qos':1,'retain':false,'topic':'t','packet_id':9,'payload':'x'}"},
    /* 3.1 lets DUP ride on PUBREL: the decoded nibble is kept via "flags". */
    {MQTT_V31, S, "{'type':'PUBREL','flags':10,'packet_id':9}"},
};

static void test_round_trip_v311(void **state)
{
    (void)state;
    run_cases(v311_cases, sizeof v311_cases / sizeof v311_cases[0]);
}

static void test_round_trip_v31(void **state)
{
    (void)state;
    run_cases(v31_cases, sizeof v31_cases / sizeof v31_cases[0]);
}

/* ---- round trips, 5.0 ---- */

static const rt_case v5_cases[] = {
    {MQTT_V5, S,
     "{'type':'CONNECT','protocol_name':'MQTT','protocol_level':5,'clean_start':true,'keep_alive':60,"
     "'properties':{},'client_id':'c5'}"},
    {MQTT_V5, S,
     "{'type':'CONNECT','protocol_name':'MQTT','protocol_level':5,'clean_start':false,'keep_alive':30,"
     "'properties':{'session_expiry_interval':3600,'receive_maximum':20,'maximum_packet_size':1048576,"
     "'topic_alias_maximum':10,'request_response_information':1,'request_problem_information':0,"
     "'user_property':[['k','v'],['k','v2']],'authentication_method':'SCRAM-SHA-1',"
     "'authentication_data':'00010203'},"
     "'client_id':'c6',"
     "'will':{'topic':'w/t','payload':'gone','qos':2,'retain':true,"
     "'properties':{'will_delay_interval':5,'payload_format_indicator':1,'message_expiry_interval':60,"
     "'content_type':'text/plain','response_topic':'r/t','correlation_data':'cafe',"
     "'user_property':[['a','b']]}},"
     "'username':'user','password':'secret'}"},
    {MQTT_V5, C,
     "{'type':'CONNACK','session_present':false,'code':0,'reason':'Success',"
     "'properties':{'session_expiry_interval':0,'assigned_client_identifier':'auto-1','server_keep_alive':120,"
     "'authentication_method':'SCRAM-SHA-1','authentication_data':'ff','response_information':'resp/',"
     "'server_reference':'other:1883','reason_string':'welcome','receive_maximum':65535,"
     "'topic_alias_maximum':0,'maximum_qos':1,'retain_available':1,'user_property':[['x','y']],"
     "'maximum_packet_size':268435460,'wildcard_subscription_available':1,"
     "'subscription_identifier_available':1,'shared_subscription_available':0}}"},
    {MQTT_V5, C,
     "{'type':'CONNACK','session_present':false,'code':135,'reason':'Not authorized','properties':{}}"},
    {MQTT_V5, C,
     "{'type':'PUBLISH','dup':false,'qos':1,'retain':false,'topic':'a/b','packet_id':10,"
     "'properties':{'payload_format_indicator':1,'message_expiry_interval':30,'topic_alias':2,"
     "'response_topic':'reply/here','correlation_data':'0102','user_property':[['u1','v1'],['u2','v2']],"
     "'subscription_identifier':[1,300,268435455],'content_type':'application/json'},'payload':'{}'}"},
    {MQTT_V5, S,
     "{'type':'PUBLISH','dup':false,'qos':0,'retain':true,'topic':'','properties':{'topic_alias':3},"
     "'payload_hex':'8081'}"},
    {MQTT_V5, S, "{'type':'PUBACK','packet_id':1,'code':0,'reason':'Success','properties':{}}"},
    {MQTT_V5, S,
     "{'type':'PUBACK','packet_id':2,'code':16,'reason':'No matching subscribers',"
     "'properties':{'reason_string':'nobody','user_property':[['k','v']]}}"},
    {MQTT_V5, C, "{'type':'PUBACK','packet_id':3,'code':0,'reason':'Success','has_code':true,'properties':{}}"},
    {MQTT_V5, C, "{'type':'PUBREC','packet_id':4,'code':0,'reason':'Success','has_props':true,'properties':{}}"},
    {MQTT_V5, C, "{'type':'PUBREC','packet_id':5,'code':151,'reason':'Quota exceeded','properties':{}}"},
    {MQTT_V5, S,
     "{'type':'PUBREL','packet_id':6,'code':146,'reason':'Packet Identifier not found',"
     "'properties':{'reason_string':'lost'}}"},
    {MQTT_V5, C, "{'type':'PUBCOMP','packet_id':7,'code':0,'reason':'Success','properties':{}}"},
    {MQTT_V5, S,
     "{'type':'SUBSCRIBE','packet_id':8,'properties':{'subscription_identifier':[42],"
     "'user_property':[['s','1']]},'subscriptions':["
     "{'filter':'a/#','qos':2,'no_local':true,'retain_as_published':true,'retain_handling':2},"
     "{'filter':'b','qos':0,'no_local':false,'retain_as_published':false,'retain_handling':0}]}"},
    {MQTT_V5, C,
     "{'type':'SUBACK','packet_id':8,'properties':{'reason_string':'partly'},'codes':[2,0,143,161],"
     "'reasons':['Granted QoS 2','Granted QoS 0','Topic Filter invalid','Subscription Identifiers not supported']}"},
    {MQTT_V5, S,
     "{'type':'UNSUBSCRIBE','packet_id':9,'properties':{'user_property':[['why','done']]},'filters':['a/#','b']}"},
    {MQTT_V5, C,
     "{'type':'UNSUBACK','packet_id':9,'properties':{},'codes':[0,17],"
     "'reasons':['Success','No subscription existed']}"},
    {MQTT_V5, S, "{'type':'PINGREQ'}"},
    {MQTT_V5, C, "{'type':'PINGRESP'}"},
    {MQTT_V5, S, "{'type':'DISCONNECT','code':0,'reason':'Normal disconnection','properties':{}}"},
    {MQTT_V5, S,
     "{'type':'DISCONNECT','code':4,'reason':'Disconnect with Will Message',"
     "'properties':{'session_expiry_interval':10,'reason_string':'later'}}"},
    {MQTT_V5, C,
     "{'type':'DISCONNECT','code':156,'reason':'Use another server',"
     "'properties':{'server_reference':'b:1883'}}"},
    {MQTT_V5, S, "{'type':'DISCONNECT','code':0,'reason':'Normal disconnection','has_code':true,'properties':{}}"},
    {MQTT_V5, S,
     "{'type':'AUTH','code':24,'reason':'Continue authentication',"
     "'properties':{'authentication_method':'SCRAM-SHA-1','authentication_data':'abcdef'}}"},
    {MQTT_V5, C, "{'type':'AUTH','code':0,'reason':'Success','properties':{}}"},
};

static void test_round_trip_v5(void **state)
{
    (void)state;
    run_cases(v5_cases, sizeof v5_cases / sizeof v5_cases[0]);
}

/* Add every property key in the "properties" objects under item to seen[]. */
static void collect_props(const cJSON *item, bool *seen)
{
    for (const cJSON *m = item->child; m != NULL; m = m->next) {
        if (m->string != NULL && strcmp(m->string, "properties") == 0) {
            for (const cJSON *p = m->child; p != NULL; p = p->next) {
                int id = mqtt_prop_by_key(p->string);
                assert_true(id > 0);
                seen[id] = true;
            }
        }
        collect_props(m, seen);
    }
}

/* The 5.0 cases between them use every property the codec knows. */
static void test_every_property_covered(void **state)
{
    (void)state;
    bool seen[256] = {false};
    for (size_t i = 0; i < sizeof v5_cases / sizeof v5_cases[0]; i++) {
        cJSON *j = jq(v5_cases[i].json);
        collect_props(j, seen);
        cJSON_Delete(j);
    }
    for (int id = 1; id < 256; id++)
        if (mqtt_prop_key((uint8_t)id) != NULL && !seen[id])
            fail_msg("property %s (0x%02X) is in no round-trip case", mqtt_prop_key((uint8_t)id), id);
}

/* ---- defaults ---- */

/* Short JSON builds the same packet as its canonical form. */
static void expect_canonical(const char *short_form, mqtt_version v, const char *canonical)
{
    static uint8_t arena[ARENA_CAP];
    cJSON *j = jq(short_form), *want = jq(canonical);
    mqtt_packet pkt;
    from_json_ok(j, v, &pkt, arena);
    cJSON *got = mqtt_packet_to_json(&pkt, v);
    if (got == NULL || !cJSON_Compare(want, got, true))
        fail_json(short_form, want, got);
    cJSON_Delete(got);
    cJSON_Delete(want);
    cJSON_Delete(j);
}

static void test_defaults(void **state)
{
    (void)state;
    expect_canonical("{'type':'CONNECT','client_id':'x'}", MQTT_V5,
                     "{'type':'CONNECT','protocol_name':'MQTT','protocol_level':5,'clean_start':true,"
                     "'keep_alive':60,'properties':{},'client_id':'x'}");
    expect_canonical("{'type':'CONNECT'}", MQTT_V31,
                     "{'type':'CONNECT','protocol_name':'MQIsdp','protocol_level':3,'clean_start':true,"
                     "'keep_alive':60,'client_id':''}");
    expect_canonical("{'type':'CONNECT','will':{'topic':'w'}}", MQTT_V311,
                     "{'type':'CONNECT','protocol_name':'MQTT','protocol_level':4,'clean_start':true,"
                     "'keep_alive':60,'client_id':'','will':{'topic':'w','payload':'','qos':0,'retain':false}}");
    expect_canonical("{'type':'publish','topic':'t'}", MQTT_V311,
                     "{'type':'PUBLISH','dup':false,'qos':0,'retain':false,'topic':'t','payload':''}");
    expect_canonical("{'type':'PUBACK','packet_id':1}", MQTT_V5,
                     "{'type':'PUBACK','packet_id':1,'code':0,'reason':'Success','properties':{}}");
    expect_canonical("{'type':'DISCONNECT','reason':'keep alive timeout'}", MQTT_V5,
                     "{'type':'DISCONNECT','code':141,'reason':'Keep Alive timeout','properties':{}}");
    expect_canonical("{'type':'SUBACK','packet_id':2,'reasons':['Granted QoS 1']}", MQTT_V311,
                     "{'type':'SUBACK','packet_id':2,'codes':[1],'reasons':['Granted QoS 1']}");
    expect_canonical("{'type':'SUBSCRIBE','packet_id':2,'subscriptions':[{'filter':'f'}]}", MQTT_V5,
                     "{'type':'SUBSCRIBE','packet_id':2,'properties':{},'subscriptions':[{'filter':'f','qos':0,"
                     "'no_local':false,'retain_as_published':false,'retain_handling':0}]}");
    /* A lone Subscription Identifier may be a number; it prints as an array. */
    expect_canonical("{'type':'PUBLISH','topic':'t','properties':{'subscription_identifier':7}}", MQTT_V5,
                     "{'type':'PUBLISH','dup':false,'qos':0,'retain':false,'topic':'t',"
                     "'properties':{'subscription_identifier':[7]},'payload':''}");
}

/* ---- what JSON can say that valid wire bytes cannot ---- */

/* JSON -> packet -> JSON keeps the form, and the packet encodes to `hex`. */
static void expect_wire(const char *json, mqtt_version v, const char *hex)
{
    static uint8_t arena[ARENA_CAP], wire[WIRE_CAP];
    cJSON *j = jq(json);
    mqtt_packet pkt;
    from_json_ok(j, v, &pkt, arena);
    cJSON *back = mqtt_packet_to_json(&pkt, v);
    if (back == NULL || !cJSON_Compare(j, back, true))
        fail_json("packet -> JSON changed the JSON", j, back);
    size_t n = encode_ok(&pkt, v, wire);
    char got[2 * WIRE_CAP + 1];
    for (size_t i = 0; i < n; i++)
        snprintf(got + 2 * i, 3, "%02x", wire[i]);
    got[2 * n] = '\0';
    if (strcmp(got, hex) != 0)
        fail_msg("%s encodes to %s, expected %s", json, got, hex);
    cJSON_Delete(back);
    cJSON_Delete(j);
}

static void test_hex_and_overrides(void **state)
{
    (void)state;
    /* Not UTF-8 / containing U+0000: the *_hex variants carry the bytes. */
    expect_wire("{'type':'PUBLISH','dup':false,'qos':0,'retain':false,'topic_hex':'61ff','payload':'p'}", MQTT_V311,
                "3005" "0002" "61ff" "70");
    expect_wire("{'type':'PUBLISH','dup':false,'qos':0,'retain':false,'topic_hex':'610062','payload':''}",
                MQTT_V311, "3005" "0003610062");
    expect_wire("{'type':'CONNECT','protocol_name':'MQTT','protocol_level':4,'clean_start':true,'keep_alive':60,"
                "'client_id_hex':'c0'}",
                MQTT_V311, "100d" "00044d515454" "04" "02" "003c" "0001c0");
    expect_wire("{'type':'UNSUBSCRIBE','packet_id':1,'filters':['a',{'hex':'fe'}]}", MQTT_V311,
                "a208" "0001" "000161" "0001fe");
    expect_wire("{'type':'SUBSCRIBE','packet_id':1,'subscriptions':[{'filter_hex':'ff','qos':1}]}", MQTT_V311,
                "8206" "0001" "0001ff" "01");
    expect_wire("{'type':'AUTH','code':0,'reason':'Success','properties':{'user_property':[[{'hex':'00'},'v']],"
                "'authentication_method_hex':'ff'}}",
                MQTT_V5, "f00d" "00" "0b" "2600010000" "0176" "150001ff");
    /* Fixed-header flags, connect flags, options and property blocks forced. */
    expect_wire("{'type':'PUBREL','flags':0,'packet_id':1}", MQTT_V311, "60020001");
    expect_wire("{'type':'PINGREQ','flags':15}", MQTT_V311, "cf00");
    expect_wire("{'type':'PUBLISH','flags':6,'dup':false,'qos':1,'retain':false,'topic':'t','packet_id':1,"
                "'payload':''}",
                MQTT_V311, "3605" "000174" "0001");
    expect_wire("{'type':'PUBLISH','dup':false,'qos':3,'retain':false,'topic':'t','packet_id':1,'payload':''}",
                MQTT_V311, "3605" "000174" "0001");
    expect_wire("{'type':'CONNECT','protocol_name':'MQTT','protocol_level':4,'connect_flags':11,"
                "'clean_start':true,'keep_alive':60,'client_id':'a'}",
                MQTT_V311, "100d" "00044d515454" "04" "0b" "003c" "000161");
    expect_wire("{'type':'CONNACK','connack_flags':254,'code':0,'reason':'Success'}", MQTT_V311, "2002fe00");
    expect_wire("{'type':'SUBSCRIBE','packet_id':1,'subscriptions':[{'filter':'a','options':4}]}", MQTT_V311,
                "8206" "0001" "000161" "04");
    expect_wire("{'type':'SUBSCRIBE','packet_id':1,'properties':{},'subscriptions':[{'filter':'a','options':195}]}",
                MQTT_V5, "8207" "0001" "00" "000161" "c3");
    expect_wire("{'type':'PUBLISH','dup':false,'qos':0,'retain':false,'topic':'t','properties_hex':'23000123000263',"
                "'payload':''}",
                MQTT_V5, "300b" "000174" "07" "23000123000263");
    expect_wire("{'type':'CONNECT','protocol_name':'MQTT','protocol_level':5,'clean_start':true,'keep_alive':60,"
                "'properties_hex':'7f','client_id':''}",
                MQTT_V5, "100e" "00044d515454" "05" "02" "003c" "017f" "0000");
    /* A protocol level other than 5 lays the CONNECT out as 3.1.1, whatever the connection. */
    expect_wire("{'type':'CONNECT','protocol_name':'MQTT','protocol_level':4,'clean_start':true,'keep_alive':60,"
                "'client_id':''}",
                MQTT_V5, "100c" "00044d515454" "04" "02" "003c" "0000");
    expect_wire("{'type':'CONNECT','protocol_name':'XYZ','protocol_level':99,'clean_start':true,'keep_alive':60,"
                "'client_id':''}",
                MQTT_V5, "100b" "000358595a" "63" "02" "003c" "0000");
    /* List payloads that do not frame: a filter without its options byte, a cut filter. */
    expect_wire("{'type':'SUBSCRIBE','packet_id':1,'subscriptions_hex':'000161'}", MQTT_V311, "8205" "0001" "000161");
    expect_wire("{'type':'UNSUBSCRIBE','packet_id':1,'properties':{},'filters_hex':'000261'}", MQTT_V5,
                "a206" "0001" "00" "000261");
    /* AUTH has no body before 5.0. */
    expect_wire("{'type':'AUTH'}", MQTT_V311, "f000");
}

/* Decoded packets with a non-representable property block show it raw. */
static void test_properties_hex_from_wire(void **state)
{
    (void)state;
    static uint8_t arena[ARENA_CAP];
    /* Two Topic Aliases: an object holds a key once, so the block is shown raw. */
    cJSON *j = jq("{'type':'PUBLISH','topic':'t','properties_hex':'2300012300020b01'}");
    mqtt_packet pkt;
    from_json_ok(j, MQTT_V5, &pkt, arena);
    cJSON *back = mqtt_packet_to_json(&pkt, MQTT_V5);
    assert_non_null(back);
    const cJSON *ph = cJSON_GetObjectItemCaseSensitive(back, "properties_hex");
    assert_true(cJSON_IsString(ph));
    assert_string_equal(ph->valuestring, "2300012300020b01");
    assert_null(cJSON_GetObjectItemCaseSensitive(back, "properties"));
    cJSON_Delete(back);
    cJSON_Delete(j);
    /* A block that parses cleanly is shown as an object. */
    j = jq("{'type':'PUBLISH','topic':'t','properties_hex':'230001'}");
    from_json_ok(j, MQTT_V5, &pkt, arena);
    back = mqtt_packet_to_json(&pkt, MQTT_V5);
    const cJSON *ta = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(back, "properties"),
                                                       "topic_alias");
    assert_true(cJSON_IsNumber(ta));
    assert_int_equal(ta->valueint, 1);
    cJSON_Delete(back);
    cJSON_Delete(j);
}

/*
 * "_hex" values are read by the codec's one hex decoder (mqtt_hex_decode), as
 * the decode command and scenario "raw" steps read hex: spaces and 0x allowed.
 */
static void test_hex_syntax_shared(void **state)
{
    (void)state;
    static uint8_t arena[ARENA_CAP], wire[WIRE_CAP];
    static const uint8_t want[] = {0x30, 0x05, 0x00, 0x02, 0x61, 0xff, 0x70};
    cJSON *j = jq("{'type':'PUBLISH','topic_hex':'0x61 ff','payload_hex':'70 # p'}");
    mqtt_packet pkt;
    from_json_ok(j, MQTT_V311, &pkt, arena);
    size_t n = encode_ok(&pkt, MQTT_V311, wire);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(wire, want, n);
    cJSON_Delete(j);
}

/* 3.1 lets a flagged User Name / Password be absent: JSON null, both ways (issue 9 item 14). */
static void test_v31_absent_credentials(void **state)
{
    (void)state;
    expect_wire("{'type':'CONNECT','protocol_name':'MQIsdp','protocol_level':3,'clean_start':true,'keep_alive':60,"
                "'client_id':'c','username':null,'password':null}",
                MQTT_V31, "100f" "00064d5149736470" "03" "c2" "003c" "000163");
}

/* ---- errors ---- */

static void expect_error_cap(const char *json, mqtt_version v, size_t arena_cap, const char *message)
{
    static uint8_t arena[ARENA_CAP];
    char err[256];
    cJSON *j = jq(json);
    mqtt_packet pkt;
    assert_true(arena_cap <= ARENA_CAP);
    if (mqtt_packet_from_json(j, v, &pkt, arena, arena_cap, err, sizeof err) == 0)
        fail_msg("%s was accepted; expected \"%s\"", json, message);
    if (strcmp(err, message) != 0)
        fail_msg("%s\n  error    %s\n  expected %s", json, err, message);
    cJSON_Delete(j);
}

static void expect_error(const char *json, mqtt_version v, const char *message)
{
    expect_error_cap(json, v, ARENA_CAP, message);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("{'type':'PUBLISH','topic':'a','qoss':1}", MQTT_V311, "/qoss: unknown field");
    expect_error("{'type':'PUBLISH','topic':5}", MQTT_V311, "/topic: must be a string (or use \"topic_hex\")");
    expect_error("{'type':'PUBLISH','topic':'a','qos':4}", MQTT_V311, "/qos: must be an integer 0..3");
    expect_error("{'type':'PUBLISH','topic':'a','qos':1.5}", MQTT_V311, "/qos: must be an integer 0..3");
    expect_error("{'type':'PUBLISH','topic':'a','qos':'1'}", MQTT_V311, "/qos: must be an integer 0..3");
    expect_error("{'type':'PUBLISH','topic':'a','retain':1}", MQTT_V311, "/retain: must be true or false");
    expect_error("{'type':'PUBLISH','topic':'a','properties':{'topic_alias':1,'bogus':2}}", MQTT_V5,
                 "/properties/bogus: unknown property");
    expect_error("{'type':'PUBLISH','topic':'a','properties':{'topic_alias':70000}}", MQTT_V5,
                 "/properties/topic_alias: must be an integer 0..65535");
    expect_error("{'type':'PUBLISH','topic':'a','properties':{'user_property':[['k','v'],['k']]}}", MQTT_V5,
                 "/properties/user_property/1: must be a [name, value] pair");
    expect_error("{'type':'PUBLISH','topic':'a','properties':{'user_property':[['k',{'hex':'zz'}]]}}", MQTT_V5,
                 "/properties/user_property/0/1/hex: must be a string of hex digit pairs (not a hex digit at character 1)");
    expect_error("{'type':'PUBLISH','topic':'a','properties':{'subscription_identifier':[1,268435456]}}", MQTT_V5,
                 "/properties/subscription_identifier/1: must be an integer 0..268435455");
    expect_error("{'type':'PUBLISH','topic':'a','properties':{'correlation_data':'xyz'}}", MQTT_V5,
                 "/properties/correlation_data: must be a string of hex digit pairs (not a hex digit at character 1)");
    expect_error("{'type':'PUBLISH','topic':'a','properties':{'content_type':'a','content_type_hex':'61'}}",
                 MQTT_V5, "/properties/content_type_hex: conflicts with \"content_type\"");
    expect_error("{'type':'PUBLISH','topic':'a','properties':{'a/b~c':1}}", MQTT_V5,
                 "/properties/a~1b~0c: unknown property");
    expect_error("{'type':'PUBLISH','topic':'a','properties':{'topic_alias':1}}", MQTT_V311,
                 "/properties: only in MQTT 5.0");
    expect_error_cap("{'type':'PUBLISH','topic':'a','properties':{'response_topic':'some/long/topic'}}", MQTT_V5, 8,
                     "/properties: arena too small (8 bytes)");
    expect_error_cap("{'type':'PUBLISH','topic':'a','payload_hex':'0001020304'}", MQTT_V5, 4,
                     "/payload_hex: arena too small (4 bytes)");
    expect_error_cap("{'type':'UNSUBSCRIBE','packet_id':1,'filters':['abc']}", MQTT_V311, 2,
                     "/filters: arena too small (2 bytes)");
    expect_error("{'type':'FOO'}", MQTT_V311, "/type: unknown packet type \"FOO\"");
    expect_error("{'type':'CONNECT','client_id':'c','username':null}", MQTT_V311,
                 "/username: null (flag set, field absent) exists only in MQTT 3.1");
    expect_error("{'topic':'a'}", MQTT_V311, "/type: required");
    expect_error("[1]", MQTT_V311, "/: must be an object with a \"type\"");
    expect_error("{'type':'PUBLISH','topic':'a','qos':1}", MQTT_V311, "/packet_id: required");
    expect_error("{'type':'PUBLISH','topic':'a','packet_id':1}", MQTT_V311,
                 "/packet_id: a QoS 0 PUBLISH carries none");
    expect_error("{'type':'PUBLISH','qos':0}", MQTT_V311, "/topic: required");
    expect_error("{'type':'PUBLISH','topic':'a','topic_hex':'61'}", MQTT_V311, "/topic_hex: conflicts with \"topic\"");
    expect_error("{'type':'PUBLISH','topic':'a','payload_hex':'abc'}", MQTT_V311,
                 "/payload_hex: must be a string of hex digit pairs (odd number of hex digits at character 3)");
    expect_error("{'type':'PUBACK','packet_id':1,'code':0}", MQTT_V311, "/code: only in MQTT 5.0");
    expect_error("{'type':'PUBACK','packet_id':1,'code':16,'reason':'Success'}", MQTT_V5,
                 "/reason: code 16 is \"No matching subscribers\"");
    expect_error("{'type':'PUBACK','packet_id':1,'reason':'Unknown reason code'}", MQTT_V5,
                 "/reason: names more than one reason code: give the code instead");
    expect_error("{'type':'PUBACK','packet_id':1,'reason':'nope'}", MQTT_V5,
                 "/reason: no PUBACK reason code has this name");
    expect_error("{'type':'SUBSCRIBE','packet_id':1,'subscriptions':[{'filter':'a'},{'filter':'b','qos':-1}]}",
                 MQTT_V311, "/subscriptions/1/qos: must be an integer 0..3");
    expect_error("{'type':'SUBSCRIBE','packet_id':1,'subscriptions':[{'filter':'a','no_local':true}]}", MQTT_V311,
                 "/subscriptions/0/no_local: only in MQTT 5.0");
    expect_error("{'type':'SUBSCRIBE','packet_id':1,'subscriptions':[{'filter':'a','qos':1,'options':1}]}",
                 MQTT_V311, "/subscriptions/0/options: conflicts with \"qos\"");
    expect_error("{'type':'SUBSCRIBE','packet_id':1,'subscriptions':[{'qos':1}]}", MQTT_V311,
                 "/subscriptions/0/filter: required");
    expect_error("{'type':'UNSUBSCRIBE','packet_id':1,'filters':['a',2]}", MQTT_V311,
                 "/filters/1: must be a string or {\"hex\": \"...\"}");
    expect_error("{'type':'SUBACK','packet_id':1,'codes':[0,256]}", MQTT_V311, "/codes/1: must be an integer 0..255");
    expect_error("{'type':'SUBACK','packet_id':1,'codes':[0],'reasons':['Granted QoS 0','x']}", MQTT_V311,
                 "/reasons: must have as many entries as \"codes\"");
    expect_error("{'type':'SUBACK','packet_id':1}", MQTT_V311, "/codes: required");
    expect_error("{'type':'UNSUBSCRIBE','packet_id':1,'filters':[],'filters_hex':''}", MQTT_V311,
                 "/filters_hex: conflicts with \"filters\"");
    expect_error("{'type':'CONNECT','will':{'topic':'w','qos':1,'retian':true}}", MQTT_V311,
                 "/will/retian: unknown field");
    expect_error("{'type':'CONNECT','will':{'payload':'x'}}", MQTT_V311, "/will/topic: required");
    expect_error("{'type':'CONNECT','connect_flags':128}", MQTT_V311,
                 "/connect_flags: User Name Flag (0x80) disagrees with \"username\" (use raw hex)");
    expect_error("{'type':'CONNECT','connect_flags':0,'clean_start':true}", MQTT_V311,
                 "/clean_start: disagrees with \"connect_flags\"");
    expect_error("{'type':'CONNECT','keep_alive':65536}", MQTT_V311, "/keep_alive: must be an integer 0..65535");
    expect_error("{'type':'CONNACK','session_present':true,'connack_flags':1}", MQTT_V311,
                 "/connack_flags: conflicts with \"session_present\"");
    expect_error("{'type':'PINGREQ','flags':16}", MQTT_V311, "/flags: must be an integer 0..15");
    expect_error("{'type':'PINGREQ','packet_id':1}", MQTT_V311, "/packet_id: unknown field");
    expect_error("{'type':'PINGREQ','type':'PINGREQ'}", MQTT_V311, "/type: duplicate field");
    expect_error("{'type':'PUBLISH','topic':'a','properties':{'topic_alias':1,'topic_alias':2}}", MQTT_V5,
                 "/properties/topic_alias: duplicate property (use \"properties_hex\" to send one twice)");
}

/* err may be NULL, and a short err buffer is cut, never overrun. */
static void test_error_buffers(void **state)
{
    (void)state;
    static uint8_t arena[ARENA_CAP];
    cJSON *j = jq("{'type':'PUBLISH','topic':'a','qoss':1}");
    mqtt_packet pkt;
    char err[8];
    assert_int_equal(mqtt_packet_from_json(j, MQTT_V311, &pkt, arena, sizeof arena, NULL, 0), -1);
    memset(err, 'x', sizeof err);
    assert_int_equal(mqtt_packet_from_json(j, MQTT_V311, &pkt, arena, sizeof arena, err, sizeof err), -1);
    assert_string_equal(err, "/qoss: ");
    assert_int_equal(mqtt_packet_from_json(j, MQTT_VERSION_UNKNOWN, &pkt, arena, sizeof arena, NULL, 0), -1);
    cJSON_Delete(j);
}

/* ---- matching ---- */

/* Match pattern against the JSON form of `actual_json` as received. */
static bool match(const char *pattern, const char *actual, char *path, char *why)
{
    cJSON *p = jq(pattern), *a = jq(actual);
    bool ok = mqtt_json_match(p, a, path, 128, why, 256);
    cJSON_Delete(p);
    cJSON_Delete(a);
    return ok;
}

static const char publish_actual[] =
    "{'type':'PUBLISH','dup':false,'qos':1,'retain':false,'topic':'a/b','packet_id':7,"
    "'properties':{'user_property':[['k','v']],'a/b':1},'payload':'hi'}";

static void test_match_positive(void **state)
{
    (void)state;
    char path[128], why[256];
    assert_true(match("{}", publish_actual, path, why));
    assert_true(match("{'type':'PUBLISH','topic':'a/b'}", publish_actual, path, why));
    assert_true(match("{'properties':{}}", publish_actual, path, why));
    assert_true(match("{'properties':{'user_property':[['k','v']]}}", publish_actual, path, why));
    assert_true(match("{'qos':1.0,'retain':false,'payload':'hi'}", publish_actual, path, why));
    assert_string_equal(path, "");
    assert_string_equal(why, "");
    /* A real packet against the pattern a scenario would write. */
    static uint8_t arena[ARENA_CAP];
    mqtt_packet pkt;
    cJSON *j = jq("{'type':'SUBACK','packet_id':3,'codes':[1,128]}"), *pat = jq("{'type':'SUBACK','codes':[1,128]}");
    from_json_ok(j, MQTT_V311, &pkt, arena);
    cJSON *actual = mqtt_packet_to_json(&pkt, MQTT_V311);
    assert_true(mqtt_json_match(pat, actual, NULL, 0, NULL, 0));
    cJSON_Delete(actual);
    cJSON_Delete(pat);
    cJSON_Delete(j);
}

static void expect_mismatch(const char *pattern, const char *actual, const char *want_path, const char *want_why)
{
    char path[128], why[256];
    if (match(pattern, actual, path, why))
        fail_msg("%s matched", pattern);
    if (strcmp(path, want_path) != 0 || strcmp(why, want_why) != 0)
        fail_msg("%s\n  got      %s: %s\n  expected %s: %s", pattern, path, why, want_path, want_why);
}

static void test_match_negative(void **state)
{
    (void)state;
    expect_mismatch("{'qos':2}", publish_actual, "/qos", "expected 2 vs actual 1");
    expect_mismatch("{'type':'PUBACK'}", publish_actual, "/type", "expected \"PUBACK\" vs actual \"PUBLISH\"");
    expect_mismatch("{'retain':0}", publish_actual, "/retain", "expected 0 vs actual false");
    expect_mismatch("{'retain':true}", publish_actual, "/retain", "expected true vs actual false");
    expect_mismatch("{'payload_hex':'6869'}", publish_actual, "/payload_hex", "expected \"6869\" vs actual (absent)");
    expect_mismatch("{'properties':{'user_property':[['k','v'],['k','w']]}}", publish_actual,
                    "/properties/user_property", "expected 2 elements vs actual 1 elements");
    expect_mismatch("{'properties':{'user_property':[['k','w']]}}", publish_actual, "/properties/user_property/0/1",
                    "expected \"w\" vs actual \"v\"");
    expect_mismatch("{'properties':{'a/b':2}}", publish_actual, "/properties/a~1b", "expected 2 vs actual 1");
    expect_mismatch("{'properties':[]}", publish_actual, "/properties",
                    "expected [] vs actual {\"user_property\":[[\"k\",\"v\"]],\"a/b\":1}");
    expect_mismatch("{'topic':null}", publish_actual, "/topic", "expected null vs actual \"a/b\"");
    expect_mismatch("[1]", publish_actual, "/", "expected [1] vs actual {\"type\":\"PUBLISH\",\"dup\":false,\"qos\":1,"
                                                "\"retain\":false,\"topic\":\"a/b\",\"packet_id\":7,"
                                                "\"properties...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_v311),
        cmocka_unit_test(test_round_trip_v31),
        cmocka_unit_test(test_round_trip_v5),
        cmocka_unit_test(test_every_property_covered),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_hex_and_overrides),
        cmocka_unit_test(test_properties_hex_from_wire),
        cmocka_unit_test(test_hex_syntax_shared),
        cmocka_unit_test(test_v31_absent_credentials),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_buffers),
        cmocka_unit_test(test_match_positive),
        cmocka_unit_test(test_match_negative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
