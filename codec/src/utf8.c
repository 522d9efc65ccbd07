/*
 * UTF-8 validation (MQTT 1.5.3 / 1.5.4): well-formed, no surrogates, no
 * U+0000.  Topic Names additionally exclude '+' and '#'.  Nearly every string
 * on the wire is ASCII, so a wide scan for "anything unusual" (NUL, a byte
 * >= 0x80, a wildcard) runs first and the byte-wise validator only sees the
 * rest.  U+FEFF passes untouched (MQTT-1.5.3-3).
 */
#include "internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static inline uint64_t has_zero_byte(uint64_t x) { return (x - ONES) & ~x & HIGHS; }

/* Non-zero if any of the 8 bytes is NUL, >= 0x80, or (when asked) a wildcard. */
static inline uint64_t unusual8(const uint8_t *s, uint64_t wild_mask)
{
    uint64_t x;
    memcpy(&x, s, 8);
    uint64_t hits = has_zero_byte(x) | (x & HIGHS);
    hits |= has_zero_byte(x ^ (ONES * '+')) & wild_mask;
    hits |= has_zero_byte(x ^ (ONES * '#')) & wild_mask;
    return hits;
}

#if defined(__SSE2__)
static inline int unusual16(const uint8_t *s, __m128i wild_plus, __m128i wild_hash)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i hits = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_setzero_si128()), v);
    hits = _mm_or_si128(hits, _mm_cmpeq_epi8(v, wild_plus));
    hits = _mm_or_si128(hits, _mm_cmpeq_epi8(v, wild_hash));
    return _mm_movemask_epi8(hits);
}
#endif

/* True if s is plain ASCII with no NUL (and no wildcard when forbidden).
 * Reads only s[0..n-1]. */
static bool plain_ascii(const uint8_t *s, size_t n, bool forbid_wildcards)
{
    if (n >= 16) {
#if defined(__SSE2__)
        /* A byte no ASCII text holds (0xFF) stands in for a wildcard test we don't want. */
        __m128i plus = _mm_set1_epi8(forbid_wildcards ? '+' : (char)0xFF);
        __m128i hash = _mm_set1_epi8(forbid_wildcards ? '#' : (char)0xFF);
        size_t i = 0;
        for (; i + 16 <= n; i += 16)
            if (unusual16(s + i, plus, hash))
                return false;
        return i == n || !unusual16(s + n - 16, plus, hash);
#else
        uint64_t wild = forbid_wildcards ? HIGHS : 0;
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
            if (unusual8(s + i, wild))
                return false;
        return i == n || !unusual8(s + n - 8, wild);
#endif
    }
    if (n >= 8) {
        uint64_t wild = forbid_wildcards ? HIGHS : 0;
        return !unusual8(s, wild) && !unusual8(s + n - 8, wild);
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == 0 || c >= 0x80 || (forbid_wildcards && (c == '+' || c == '#')))
            return false;
    }
    return true;
}

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
    if (plain_ascii(s, n, forbid_wildcards))
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
