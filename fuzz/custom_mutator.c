/*
 * libFuzzer's custom mutator for fuzz_decode and fuzz_roundtrip, whose inputs
 * are a selector byte + one packet (fuzz_common.h): the packet goes to
 * libmqttspec_mutator at the selector's version; one input in eight keeps
 * libFuzzer's own byte-level mutation, one in eight is the same bytes read
 * at another version or role.  MQTTSPEC_FUZZ_BYTES_ONLY=1 in the environment
 * turns the structure-aware part off (libFuzzer's mutation only): the
 * with/without comparison of docs/fuzzing.md (fuzz/mutator-compare.sh).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "mqttspec/mutator.h"

static bool bytes_only(void)
{
    static int cached = -1;
    if (cached < 0) {
        const char *v = getenv("MQTTSPEC_FUZZ_BYTES_ONLY");
        cached = v && strcmp(v, "1") == 0;
    }
    return cached;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    uint32_t pick = seed * 2654435761u; /* spread the seed's bits for the two choices below */
    if (bytes_only() || size < 3 || max_size < 8 || (pick >> 29) == 0)
        return LLVMFuzzerMutate(data, size, max_size);
    if (((pick >> 26) & 7) == 0) {
        data[0] ^= (uint8_t)(1u << ((pick >> 8) % 5));
        return size;
    }
    size_t n = mqs_mutator_mutate(data + 1, size - 1, max_size - 1, fuzz_selector_version(data[0]), seed);
    return n ? n + 1 : LLVMFuzzerMutate(data, size, max_size);
}
