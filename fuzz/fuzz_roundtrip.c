/*
 * fuzz_roundtrip: what mqtt_decode accepts, mqtt_encode writes back.
 *
 *   decode(input) = P  ->  encode(P) = E  ->  decode(E) = P'  ->  encode(P') = E
 *
 * plus: mqtt_encoded_size(P) is E's size and a buffer one byte short is
 * refused; E is the input itself (the wire format is canonical) except that
 * 3.1 and 3.1.1 accept a remaining length in more bytes than needed, so
 * there only the first byte and the body must match; and the JSON form of
 * P turns back into E (packet_json.h's losslessness).  The selector byte is
 * fuzz_decode's (fuzz_common.h); max_packet_size is ignored here.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static size_t encode_checked(const mqtt_packet *pkt, mqtt_version v, uint8_t **out)
{
    size_t n = mqtt_encoded_size(pkt, v);
    FUZZ_CHECK(n > 0, "a decoded packet has no encoded size");
    uint8_t *buf = malloc(n);
    if (!buf)
        abort();
    FUZZ_CHECK(mqtt_encode(pkt, v, buf, n - 1) == 0, "mqtt_encode wrote into a buffer one byte short");
    FUZZ_CHECK(mqtt_encode(pkt, v, buf, n) == n, "mqtt_encode disagrees with mqtt_encoded_size (%zu)", n);
    *out = buf;
    return n;
}

/* The input, as the packet it is: equal bytes, or equal but for a non-minimal length varint. */
static void check_canonical(const uint8_t *in, size_t in_len, const uint8_t *enc, size_t enc_len)
{
    bool minimal, enc_minimal;
    size_t hs = fuzz_header_size(in, in_len, &minimal);
    size_t ehs = fuzz_header_size(enc, enc_len, &enc_minimal);
    FUZZ_CHECK(enc_minimal, "mqtt_encode wrote a non-minimal remaining length");
    if (minimal) {
        FUZZ_CHECK(in_len == enc_len && memcmp(in, enc, in_len) == 0, "re-encoding changed the packet's bytes");
        return;
    }
    FUZZ_CHECK(in[0] == enc[0] && in_len - hs == enc_len - ehs && memcmp(in + hs, enc + ehs, in_len - hs) == 0,
               "re-encoding changed the first byte or the body");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    mqtt_decode_opts opts = fuzz_selector_opts(data[0]);
    opts.max_packet_size = 0;
    mqtt_packet pkt, again;
    mqtt_error err;
    size_t used = 0, used2 = 0;
    if (mqtt_decode(data + 1, size - 1, &opts, &pkt, &used, &err) != MQTT_COMPLETE)
        return 0;
    uint8_t *enc, *enc2;
    size_t n = encode_checked(&pkt, opts.version, &enc);
    mqtt_status st = mqtt_decode(enc, n, &opts, &again, &used2, &err);
    FUZZ_CHECK(st == MQTT_COMPLETE && used2 == n, "the re-encoded packet does not decode (status %d, %s)", (int)st,
               st == MQTT_MALFORMED ? mqtt_err_name(err.code) : "-");
    size_t n2 = encode_checked(&again, opts.version, &enc2);
    FUZZ_CHECK(n2 == n && memcmp(enc, enc2, n) == 0, "decode(encode(P)) encodes differently");
    check_canonical(data + 1, used, enc, n);
    fuzz_check_json_lossless(&pkt, opts.version, enc, n);
    free(enc);
    free(enc2);
    return 0;
}
