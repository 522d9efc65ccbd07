/* Shared by the codec's own files only. */
#ifndef MQTTSPEC_CODEC_INTERNAL_H
#define MQTTSPEC_CODEC_INTERNAL_H

#include <string.h>

#include "mqttspec/codec.h"

static inline uint16_t load_u16(const uint8_t *p)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint16_t v;
    memcpy(&v, p, 2);
    return __builtin_bswap16(v);
#else
    return (uint16_t)((p[0] << 8) | p[1]);
#endif
}
static inline uint32_t load_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/*
 * Decode a variable byte integer at p (at most 4 bytes, not past end).
 * Returns bytes used, 0 if the input ends inside it, -1 if longer than 4
 * bytes.  *minimal tells whether it used the fewest bytes possible.
 */
static inline int varint_read(const uint8_t *p, const uint8_t *end, uint32_t *value, bool *minimal)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (p + i >= end)
            return 0;
        uint8_t b = p[i];
        v |= (uint32_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            *value = v;
            *minimal = (i == 0) || b != 0;
            return i + 1;
        }
    }
    return -1;
}

/* Scan a string that must be a Topic Name (wildcards forbidden) or any UTF-8
 * string (wildcards allowed): returns MQTT_E_OK or the rule broken, *bad_at the index. */
mqtt_err utf8_check(const uint8_t *s, size_t n, bool forbid_wildcards, size_t *bad_at);

/* '+' and '#' placement in a Topic Filter (4.7.1); *bad_at is the index of the bad wildcard. */
mqtt_err mqtt_check_wildcards(const uint8_t *s, size_t n, size_t *bad_at);

/* The complete, reference decoder; mqtt_decode tries faster paths for common packets first. */
mqtt_status mqtt_decode_full(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out,
                             size_t *consumed, mqtt_error *err);

/* Property identifier -> bitmask of packet types it may appear in (bit 0: will). */
extern const uint16_t mqtt_prop_packets[43];
extern const uint8_t mqtt_prop_types[43];

#endif
