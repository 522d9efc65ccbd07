/*
 * libmqttspec_mutator: mqttspec's structure-aware mutator for MQTT
 * 3.1/3.1.1/5.0 packets, for anyone's libFuzzer target (docs/fuzzing.md,
 * "A mutator for your own parser"; fuzz/mutator/example/).
 *
 * Byte-level mutation rarely gets a packet past its first length check.
 * This mutator decodes the packet with mqttspec's codec, changes one field
 * (fixed-header flags, QoS, packet id, a Connect flag, a property's id or
 * value, a string, a subscription entry, a reason code) and encodes it
 * again, on purpose also into invalid packets (reserved flags, duplicate or
 * misplaced properties, bad UTF-8, wildcards where none may be), and
 * sometimes lies at the byte level about a length it just wrote.
 *
 *   size_t LLVMFuzzerCustomMutator(uint8_t *d, size_t n, size_t max, unsigned int seed)
 *   {
 *       size_t out = mqs_mutator_mutate(d, n, max, MQTT_V5, seed);
 *       return out ? out : LLVMFuzzerMutate(d, n, max);
 *   }
 *
 * Link: pkg-config --cflags --libs mqttspec-mutator (a static library with
 * the codec inside: a fuzz target is one binary).
 */
#ifndef MQTTSPEC_MUTATOR_H
#define MQTTSPEC_MUTATOR_H

#include <stddef.h>
#include <stdint.h>

#include "mqttspec/codec.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Mutate the one MQTT packet in packet[0..size) in place, into at most
 * max_size bytes, as a deterministic function of seed.  version: the
 * protocol version to read and write it at, or MQTT_VERSION_UNKNOWN to take
 * the first of 5.0, 3.1.1 and 3.1 at which it decodes.  Returns the new
 * size, or 0 when the bytes are no packet the codec decodes at that version
 * (in either direction) or the mutated packet would not fit: packet is then
 * unchanged, and the caller mutates it its own way (LLVMFuzzerMutate).
 * Not thread-safe (libFuzzer calls it from one thread).
 */
size_t mqs_mutator_mutate(uint8_t *packet, size_t size, size_t max_size, mqtt_version version, unsigned int seed);

#ifdef __cplusplus
}
#endif

#endif
