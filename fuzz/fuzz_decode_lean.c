/*
 * fuzz_decode_lean: mqtt_decode alone, at the selector's version and role
 * (fuzz_common.h), with the structure-aware mutator; no oracle but the
 * sanitizers and the decoder's own view bounds check.  The throughput target
 * for long campaigns on the decoder (fuzz-fast preset, docs/fuzzing.md):
 * fuzz_decode's oracles (printing, JSON, the differential decoder, the API
 * walks) cost more than the decode itself, so they stay there.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    mqtt_decode_opts opts = fuzz_selector_opts(data[0]);
    mqtt_packet pkt;
    mqtt_error err;
    size_t used = 0;
    if (mqtt_decode(data + 1, size - 1, &opts, &pkt, &used, &err) == MQTT_COMPLETE)
        FUZZ_CHECK(used >= 2 && used <= size - 1, "decoded %zu of %zu bytes", used, size - 1);
    return 0;
}
