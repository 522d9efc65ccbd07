/*
 * fuzz_json: mqtt_packet_from_json on arbitrary JSON, then what the engine
 * does with a packet it sends (client/src/engine.c send_json: encoded size,
 * encode, print) and what it does with one it receives (decode, print,
 * to_json) -- the decode may refuse the packet: JSON builds invalid ones on
 * purpose.
 *
 * Input: a selector byte (bits 0-1: 0 or 3 = 5.0, 1 = 3.1, 2 = 3.1.1;
 * bit 2: the role that decodes the encoded packet), then JSON text.
 * Oracles: mqtt_encode writes exactly mqtt_encoded_size bytes, and the
 * packet survives to_json -> from_json byte for byte (packet_json.h).  The
 * input is also matched, as a pattern, against the packet's JSON form.
 */
#include <stdlib.h>

#include "fuzz_common.h"
#include "mqttspec/packet_json.h"

enum { ARENA_CAP = 1u << 20 }; /* the engine's MQS_ARENA_CAP */

static mqtt_version json_version(uint8_t sel)
{
    static const mqtt_version v[4] = {MQTT_V5, MQTT_V31, MQTT_V311, MQTT_V5};
    return v[sel & 3];
}

/* The bytes as the peer would receive them: decoded leniently, walked when valid. */
static void receive(const uint8_t *wire, size_t n, mqtt_version v, mqtt_role role)
{
    mqtt_decode_opts opts = {v, role, 0};
    mqtt_packet pkt;
    mqtt_error err;
    size_t used;
    mqtt_status st = mqtt_decode(wire, n, &opts, &pkt, &used, &err);
    if (st == MQTT_MALFORMED) {
        fuzz_check_error(&err, &opts, n);
        return;
    }
    FUZZ_CHECK(st == MQTT_COMPLETE && used == n, "an encoded packet is incomplete (status %d)", (int)st);
    fuzz_walk_decoded(&pkt, v);
    fuzz_check_print(&pkt, v, 32);
    fuzz_check_to_json(&pkt, v);
}

/*
 * The input as a pattern against the packet's own JSON form, and the other
 * way round: mqtt_json_match with patterns nobody wrote for it (the engine
 * matches what arrives against patterns from scenario files).
 */
static void match_both_ways(const cJSON *input, const mqtt_packet *pkt, mqtt_version v)
{
    cJSON *shown = mqtt_packet_to_json(pkt, v);
    if (!shown)
        return;
    char path[64], why[128];
    (void)mqtt_json_match(input, shown, path, sizeof path, why, sizeof why);
    (void)mqtt_json_match(shown, input, NULL, 0, NULL, 0);
    cJSON_Delete(shown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t arena[ARENA_CAP];
    if (size < 1)
        return 0;
    mqtt_version v = json_version(data[0]);
    mqtt_role role = (data[0] & 4) ? MQTT_ROLE_CLIENT : MQTT_ROLE_SERVER;
    cJSON *json = cJSON_ParseWithLength((const char *)data + 1, size - 1);
    if (!json)
        return 0;
    mqtt_packet pkt;
    char err[300];
    if (mqtt_packet_from_json(json, v, &pkt, arena, sizeof arena, err, sizeof err) == 0) {
        size_t n = mqtt_encoded_size(&pkt, v);
        uint8_t *wire = malloc(n ? n : 1);
        if (!wire)
            abort();
        FUZZ_CHECK(mqtt_encode(&pkt, v, wire, n) == n, "mqtt_encode disagrees with mqtt_encoded_size (%zu)", n);
        char line[240];
        mqtt_print(&pkt, v, line, sizeof line);
        match_both_ways(json, &pkt, v);
        if (n) {
            fuzz_check_json_lossless(&pkt, v, wire, n);
            receive(wire, n, v, role);
        }
        free(wire);
    }
    cJSON_Delete(json);
    return 0;
}
