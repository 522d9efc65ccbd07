/*
 * mqttspec packet <-> JSON: the form scenarios use to describe packets to
 * send and reports use to show packets received.  docs/packet-json.md is the
 * field-by-field reference.
 *
 * - mqtt_packet_to_json is lossless: every packet the codec can encode (valid
 *   or not) comes out in a form mqtt_packet_from_json turns back into the same
 *   wire bytes, except that user properties interleaved with other properties
 *   come back grouped.  Bytes JSON cannot carry as text (invalid UTF-8, U+0000,
 *   non-printable payloads) use a "<field>_hex" variant.
 * - mqtt_packet_from_json is strict about the JSON (unknown fields, wrong
 *   types and out-of-range numbers are errors, so typos cannot pass silently)
 *   but permissive about MQTT: it builds invalid packets on request through
 *   explicit overrides ("flags", "connect_flags", "connack_flags", "options",
 *   "properties_hex", "subscriptions_hex", "filters_hex").
 */
#ifndef MQTTSPEC_PACKET_JSON_H
#define MQTTSPEC_PACKET_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mqttspec/codec.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The JSON form of pkt as exchanged at `version` (a CONNECT is shown in the
 * layout of the protocol level it carries, as mqtt_encode writes it).
 * pkt->flags is read as the nibble on the wire, as mqtt_decode and
 * mqtt_packet_from_json set it: a packet built by hand should set it too.
 * The result owns copies of every string; free it with cJSON_Delete.  NULL
 * if out of memory or the packet type is outside 1..15.
 */
cJSON *mqtt_packet_to_json(const mqtt_packet *pkt, mqtt_version version);

/*
 * Build *out from its JSON form for a connection at `version` (MQTT_V31,
 * MQTT_V311 or MQTT_V5).  The packet's views point into the strings of
 * `json` and into `arena` (hex-decoded bytes, property blocks, list
 * payloads), so both must outlive *out.  Returns 0, or -1 with err set to
 * "/json/pointer: message" (pointer relative to `json`, "/" for `json`
 * itself; always NUL-terminated when err_cap > 0).
 */
int mqtt_packet_from_json(const cJSON *json, mqtt_version version, mqtt_packet *out, uint8_t *arena,
                          size_t arena_cap, char *err, size_t err_cap);

/*
 * Does `actual` (normally the mqtt_packet_to_json of a received packet)
 * match `pattern`?  Objects in the pattern are subsets: a field the pattern
 * omits is "don't care", every field it names must be present and match.
 * Arrays match element-wise and must have the same length; scalars must be
 * equal (same JSON type, same value).  On mismatch, path gets the JSON
 * pointer of the first difference ("/" for the root) and why says
 * "expected X vs actual Y"; either buffer may be NULL.
 */
bool mqtt_json_match(const cJSON *pattern, const cJSON *actual, char *path, size_t path_cap, char *why,
                     size_t why_cap);

#ifdef __cplusplus
}
#endif
#endif
