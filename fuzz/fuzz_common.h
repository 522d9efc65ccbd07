/*
 * Shared by the libFuzzer targets of fuzz/: how an input's first byte picks
 * the decoder options, the walks that touch every field of a decoded packet,
 * and the oracles (checks that abort() when the codec contradicts itself).
 *
 * Binary inputs of fuzz_decode, fuzz_roundtrip and fuzz_stream start with a
 * selector byte (fuzz/README.md, "Input formats"):
 *
 *   bits 0-1  version: 0 unknown (CONNECT only), 1 = 3.1, 2 = 3.1.1, 3 = 5.0
 *   bit  2    role: 0 server (decodes what a client sends), 1 client
 *   bits 3-4  max_packet_size: 0 or 1 = none, 2 = 16, 3 = 300
 *   bits 5-7  free for the target (print buffer size, stream storage...)
 */
#ifndef MQTTSPEC_FUZZ_COMMON_H
#define MQTTSPEC_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttspec/codec.h"

/* libFuzzer's entry points (declared here so -Wmissing-prototypes holds). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

/* Abort with a message: libFuzzer then saves the input as crash-*. */
__attribute__((noreturn, format(printf, 1, 2))) void fuzz_die(const char *fmt, ...);
#define FUZZ_CHECK(cond, ...)                                                                                  \
    do {                                                                                                       \
        if (!(cond))                                                                                           \
            fuzz_die(__VA_ARGS__);                                                                             \
    } while (0)

/* ---- the selector byte ---- */

mqtt_version fuzz_selector_version(uint8_t sel);
mqtt_role fuzz_selector_role(uint8_t sel);
mqtt_decode_opts fuzz_selector_opts(uint8_t sel);
/* The selector byte for these options (max_packet_size none, free bits 0); the seed tools use it. */
uint8_t fuzz_selector_make(mqtt_version v, mqtt_role role);

/* ---- walking a decoded packet ---- */

/* The property blocks a packet carries (at most two: CONNECT's and its Will's). */
size_t fuzz_packet_props(const mqtt_packet *pkt, mqtt_props out[2], int types[2]);

/*
 * Touch every field of a packet mqtt_decode accepted at `version`: iterate
 * every property block and list to its end, look each property up by id,
 * name and key, match filters against topics, and check that the codec's
 * own views agree (a validated block or list parses exactly to its end).
 */
void fuzz_walk_decoded(const mqtt_packet *pkt, mqtt_version version);

/* Every view of a decoded packet lies inside the packet's bytes [pkt_start, pkt_start + len). */
void fuzz_check_views(const mqtt_packet *pkt, const uint8_t *pkt_start, size_t len);

/* mqtt_print at several buffer sizes: same wanted length, NUL-terminated prefix of the full line. */
void fuzz_check_print(const mqtt_packet *pkt, mqtt_version version, size_t small_cap);

/* An error mqtt_decode returned for an input of `size` bytes: in range, formats, cites a statement. */
void fuzz_check_error(const mqtt_error *err, const mqtt_decode_opts *opts, size_t size);

/* mqtt_packet_to_json; the JSON must match itself as a pattern; freed. */
void fuzz_check_to_json(const mqtt_packet *pkt, mqtt_version version);

/*
 * packet_json.h promises: to_json then from_json gives back the same wire
 * bytes, except that repeated properties interleaved with others come back
 * grouped.  `wire` is mqtt_encode(pkt, version).  Compares the bytes exactly
 * when no property block needs grouping, else the sizes.
 */
void fuzz_check_json_lossless(const mqtt_packet *pkt, mqtt_version version, const uint8_t *wire, size_t wire_len);

/* Does a repeated property of this block have another property between two of its occurrences? */
bool fuzz_props_interleaved(mqtt_props props);

/* Header size of the packet at buf (1 + varint bytes) and whether the varint is minimal. */
size_t fuzz_header_size(const uint8_t *buf, size_t len, bool *minimal);

/*
 * The codec's helpers on arbitrary bytes, as a caller may hand them any:
 * the property and list iterators over blocks nobody validated (they must
 * stop inside the block), the lookups with ids, codes, types and names no
 * table holds, the writer past its capacity.
 */
void fuzz_poke_api(const uint8_t *p, size_t n);

/* A reference Topic Filter matcher, written for clarity, level by level. */
bool fuzz_reference_topic_match(mqtt_bytes filter, mqtt_bytes topic);

#endif
