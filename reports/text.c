/* Text units shared by the writers: see text.h for why. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static bool is_cont(unsigned char b)
{
    return (b & 0xC0) == 0x80;
}

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing past U+10FFFF), 0 if there is none.  s is
 * NUL-terminated and NUL is never a continuation byte, so reading ahead
 * stops at the end of the string by itself.
 */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char b = s[0];
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF)
        return is_cont(s[1]) ? 2 : 0;
    if (b >= 0xE0 && b <= 0xEF) {
        unsigned char lo = b == 0xE0 ? 0xA0 : 0x80;
        unsigned char hi = b == 0xED ? 0x9F : 0xBF;
        return s[1] >= lo && s[1] <= hi && is_cont(s[2]) ? 3 : 0;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        unsigned char lo = b == 0xF0 ? 0x90 : 0x80;
        unsigned char hi = b == 0xF4 ? 0x8F : 0xBF;
        return s[1] >= lo && s[1] <= hi && is_cont(s[2]) && is_cont(s[3]) ? 4 : 0;
    }
    return 0;
}

/* U+FFFE and U+FFFF: valid UTF-8, but XML 1.0 forbids them; shown as bytes in every format for consistency. */
static bool is_nonchar(const unsigned char *s, size_t len)
{
    return len == 3 && s[0] == 0xEF && s[1] == 0xBF && (s[2] == 0xBE || s[2] == 0xBF);
}

static bool ascii_allowed(unsigned char b, unsigned flags)
{
    if (b >= 0x20 && b < 0x7F)
        return true;
    if (flags & MQS_TEXT_KEEP_CTRL)
        return true;
    return (flags & MQS_TEXT_KEEP_WS) && (b == '\t' || b == '\n');
}

size_t mqs_text_unit(const char *s, unsigned flags, bool *as_hex)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = utf8_len(u);
    if (len == 1)
        *as_hex = !ascii_allowed(u[0], flags);
    else
        *as_hex = len == 0 || is_nonchar(u, len);
    return *as_hex ? 1 : len;
}

char *mqs_text_clean(const char *s, unsigned flags)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    if (n > (SIZE_MAX - 1) / 4)
        return NULL;
    char *out = malloc(4 * n + 1); /* "\xNN" is the widest a byte gets */
    if (!out)
        return NULL;
    char *w = out;
    while (*s) {
        bool as_hex;
        size_t len = mqs_text_unit(s, flags, &as_hex);
        if (as_hex) {
            snprintf(w, 5, "\\x%02X", (unsigned char)*s);
            w += 4;
        } else {
            memcpy(w, s, len);
            w += len;
        }
        s += len;
    }
    *w = '\0';
    return out;
}

void mqs_text_seconds(char buf[32], int64_t ms)
{
    /* Work on the magnitude as unsigned so INT64_MIN cannot overflow. */
    uint64_t mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    snprintf(buf, 32, "%s%" PRIu64 ".%03" PRIu64, ms < 0 ? "-" : "", mag / 1000, mag % 1000);
}

size_t mqs_text_backtick_run(const char *s)
{
    size_t best = 0, run = 0;
    for (; s && *s; s++) {
        run = *s == '`' ? run + 1 : 0;
        if (run > best)
            best = run;
    }
    return best;
}

char *mqs_transcript_string(const mqs_case *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return NULL;
    int rc = mqs_write_transcript(c, mem);
    if (fclose(mem) != 0 || rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

const char *mqs_event_kind_name(mqs_event_kind kind)
{
    switch (kind) {
    case MQS_EV_SENT:
        return "sent";
    case MQS_EV_RECEIVED:
        return "received";
    case MQS_EV_OPENED:
        return "opened";
    case MQS_EV_CLOSED:
        return "closed";
    case MQS_EV_DROPPED:
        return "dropped";
    case MQS_EV_NOTE:
        return "note";
    }
    return "note";
}

int mqs_event_kind_parse(const char *name)
{
    for (int k = MQS_EV_SENT; name && k <= MQS_EV_NOTE; k++)
        if (strcmp(name, mqs_event_kind_name((mqs_event_kind)k)) == 0)
            return k;
    return -1;
}
