/*
 * Wide scans for "anything unusual" in a string: NUL, a byte >= 0x80, and
 * (for Topic Names) '+' or '#'.  Nearly every string on the wire is plain
 * ASCII, so one of these answers for it in a handful of instructions and only
 * the rest go to the byte-wise UTF-8 validator.  Inline: the hot paths of
 * decoding call them with a constant `wild`.
 */
#ifndef MQTTSPEC_CODEC_SCAN_H
#define MQTTSPEC_CODEC_SCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The scans sit on the hottest path; a call would cost more than the scan. */
#define SCAN_INLINE static inline __attribute__((always_inline))

#define SCAN_ONES64 0x0101010101010101ull
#define SCAN_HIGHS64 0x8080808080808080ull
#define SCAN_ONES32 0x01010101u
#define SCAN_HIGHS32 0x80808080u

/* Non-zero iff some byte of x is zero (exact as a yes/no answer). */
SCAN_INLINE uint64_t scan_zero64(uint64_t x) { return (x - SCAN_ONES64) & ~x & SCAN_HIGHS64; }
SCAN_INLINE uint32_t scan_zero32(uint32_t x) { return (x - SCAN_ONES32) & ~x & SCAN_HIGHS32; }

/* '+' is 0x2B and '#' 0x23: they differ only in bit 3, so one compare of (c | 0x08) with 0x2B finds both. */
#define SCAN_WILD_BIT 0x08
#define SCAN_WILD 0x2B

SCAN_INLINE uint64_t scan_unusual64(const uint8_t *s, bool wild)
{
    uint64_t x;
    memcpy(&x, s, 8);
    uint64_t hits = scan_zero64(x) | (x & SCAN_HIGHS64);
    if (wild)
        hits |= scan_zero64((x | (SCAN_ONES64 * SCAN_WILD_BIT)) ^ (SCAN_ONES64 * SCAN_WILD));
    return hits;
}

SCAN_INLINE uint32_t scan_unusual32(const uint8_t *s, bool wild)
{
    uint32_t x;
    memcpy(&x, s, 4);
    uint32_t hits = scan_zero32(x) | (x & SCAN_HIGHS32);
    if (wild)
        hits |= scan_zero32((x | (SCAN_ONES32 * SCAN_WILD_BIT)) ^ (SCAN_ONES32 * SCAN_WILD));
    return hits;
}

#if defined(__SSE2__)
/* Bytes of v that are NUL, >= 0x80 or (with wild) a wildcard have their high bit set. */
SCAN_INLINE __m128i scan_hits_v(__m128i v, bool wild)
{
    __m128i hits = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_setzero_si128()), v);
    if (wild)
        hits = _mm_or_si128(hits, _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(SCAN_WILD_BIT)),
                                                 _mm_set1_epi8(SCAN_WILD)));
    return hits;
}

/* The same for the 16 bytes at s. */
SCAN_INLINE __m128i scan_hits16(const uint8_t *s, bool wild)
{
    return scan_hits_v(_mm_loadu_si128((const __m128i *)(const void *)s), wild);
}

SCAN_INLINE int scan_unusual16(const uint8_t *s, bool wild) { return _mm_movemask_epi8(scan_hits16(s, wild)); }

/*
 * 16 <= n <= 32: two overlapping blocks, one verdict.  A NUL in either is a
 * zero in their unsigned minimum, a high bit in either one in their OR.
 */
SCAN_INLINE int scan_unusual16_32(const uint8_t *s, size_t n, bool wild)
{
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
    __m128i hits = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(a, b), _mm_setzero_si128()), _mm_or_si128(a, b));
    if (wild) {
        __m128i bit = _mm_set1_epi8(SCAN_WILD_BIT), wc = _mm_set1_epi8(SCAN_WILD);
        hits = _mm_or_si128(hits, _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(a, bit), wc),
                                               _mm_cmpeq_epi8(_mm_or_si128(b, bit), wc)));
    }
    return _mm_movemask_epi8(hits);
}
#else
SCAN_INLINE int scan_unusual16(const uint8_t *s, bool wild)
{
    return (scan_unusual64(s, wild) | scan_unusual64(s + 8, wild)) != 0;
}

SCAN_INLINE int scan_unusual16_32(const uint8_t *s, size_t n, bool wild)
{
    return scan_unusual16(s, wild) | scan_unusual16(s + n - 16, wild);
}
#endif

/* True if s[0..n-1] is ASCII without NUL (and, with wild, without '+' and '#').
 * Reads nothing outside s[0..n-1]: short strings use overlapping loads. */
SCAN_INLINE bool scan_plain_ascii(const uint8_t *s, size_t n, bool wild)
{
    if (n >= 16 && n <= 32)
        return !scan_unusual16_32(s, n, wild);
    if (n > 32) {
        size_t i = 0;
        for (; i + 16 <= n; i += 16)
            if (scan_unusual16(s + i, wild))
                return false;
        return i == n || !scan_unusual16(s + n - 16, wild);
    }
    if (n >= 8)
        return !(scan_unusual64(s, wild) | scan_unusual64(s + n - 8, wild));
    if (n >= 4)
        return !(scan_unusual32(s, wild) | scan_unusual32(s + n - 4, wild));
    for (size_t i = 0; i < n; i++)
        if (s[i] == 0 || s[i] >= 0x80 || (wild && (s[i] == '+' || s[i] == '#')))
            return false;
    return true;
}

#endif
