/*
 * UTF-8 validation (MQTT 1.5.3 / 1.5.4): well-formed, no surrogates, no
 * U+0000.  Topic Names additionally exclude '+' and '#'.  Nearly every string
 * on the wire is ASCII, so a wide scan for "anything unusual" (NUL, a byte
 * >= 0x80, a wildcard) runs first and the byte-wise validator only sees the
 * rest.  U+FEFF passes untouched (MQTT-1.5.3-3).
 */
#include "internal.h"
#include "scan.h"

/* Length of the well-formed sequence starting at s[0] (a lead byte >= 0x80), or 0. */
static size_t multibyte_len(const uint8_t *s, size_t left)
{
    uint8_t c = s[0];
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* U+D800..U+DFFF surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (left < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return need;
}

mqtt_err utf8_check(const uint8_t *s, size_t n, bool forbid_wildcards, size_t *bad_at)
{
    if (scan_plain_ascii(s, n, forbid_wildcards))
        return MQTT_E_OK;
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c < 0x80) {
            if (c == 0) {
                *bad_at = i;
                return MQTT_E_UTF8_NUL;
            }
            if (forbid_wildcards && (c == '+' || c == '#')) {
                *bad_at = i;
                return MQTT_E_TOPIC_NAME_WILDCARD;
            }
            i++;
            continue;
        }
        size_t len = multibyte_len(s + i, n - i);
        if (!len) {
            *bad_at = i;
            return MQTT_E_UTF8_INVALID;
        }
        i += len;
    }
    return MQTT_E_OK;
}

bool mqtt_utf8_valid(const uint8_t *s, size_t n, mqtt_err *why, size_t *bad_at)
{
    size_t at = 0;
    mqtt_err e = utf8_check(s, n, false, &at);
    if (why)
        *why = e;
    if (bad_at)
        *bad_at = at;
    return e == MQTT_E_OK;
}
