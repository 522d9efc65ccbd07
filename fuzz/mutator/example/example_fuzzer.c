/*
 * An example: libmqttspec_mutator driving libFuzzer against YOUR MQTT parser.
 * Replace parse_packet() with a call into your parser; keep the custom
 * mutator as it is.  Build and run (fuzz/mutator/example/README.md):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address example_fuzzer.c \
 *         $(pkg-config --cflags --libs mqttspec-mutator) -o example_fuzzer
 *   mqttspec corpus seeds/          # seed packets from mqttspec's scenarios
 *   ./example_fuzzer seeds/5.0
 */
#include <stddef.h>
#include <stdint.h>

#include "mqttspec/mutator.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The parser under test: here a small stand-in that reads the fixed header
 * and, for a PUBLISH, the topic length, as a real parser would first do.
 */
static int parse_packet(const uint8_t *p, size_t n)
{
    if (n < 2)
        return -1;
    size_t at = 1, remaining = 0;
    for (unsigned shift = 0; shift < 28; shift += 7) {
        if (at >= n)
            return -1;
        uint8_t b = p[at++];
        remaining |= (size_t)(b & 0x7F) << shift;
        if (!(b & 0x80))
            break;
    }
    if (remaining > n - at)
        return -1;
    if ((p[0] >> 4) == 3) { /* PUBLISH: a topic name comes first */
        if (remaining < 2)
            return -1;
        size_t topic_len = (size_t)p[at] << 8 | p[at + 1];
        if (topic_len > remaining - 2)
            return -1;
    }
    return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    /* Structure-aware first; what does not decode as MQTT 5.0 gets libFuzzer's byte-level mutation. */
    size_t n = mqs_mutator_mutate(data, size, max_size, MQTT_V5, seed);
    return n ? n : LLVMFuzzerMutate(data, size, max_size);
}

/* Kept, so the compiler cannot drop a parse whose result nobody reads. */
volatile int parse_result;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_result = parse_packet(data, size);
    return 0;
}
