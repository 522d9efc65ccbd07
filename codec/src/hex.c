/*
 * Hex text to bytes, the one decoder for every place that takes hex: the
 * decode command, scenario files ("raw" steps) and packet JSON ("_hex").
 */
#include "internal.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

static bool ends_word(const char *text, size_t len, size_t i) { return i >= len || is_blank(text[i]) || text[i] == '#'; }

static bool hex_fail(mqtt_hex_error *err, size_t at, const char *reason)
{
    if (err) {
        err->at = at;
        err->reason = reason;
    }
    return false;
}

/* One word at *i (optional 0x, then digit pairs); bytes beyond cap are counted, not stored. */
static bool hex_word(const char *text, size_t len, size_t *i, uint8_t *out, size_t cap, size_t *n,
                     mqtt_hex_error *err)
{
    size_t p = *i;
    if (p + 1 < len && text[p] == '0' && (text[p + 1] == 'x' || text[p + 1] == 'X'))
        p += 2;
    size_t digits_at = p;
    while (!ends_word(text, len, p)) {
        int hi = hex_value(text[p]);
        if (hi < 0)
            return hex_fail(err, p, "not a hex digit");
        if (ends_word(text, len, p + 1))
            return hex_fail(err, p, "odd number of hex digits");
        int lo = hex_value(text[p + 1]);
        if (lo < 0)
            return hex_fail(err, p + 1, "not a hex digit");
        if (out && *n < cap)
            out[*n] = (uint8_t)(hi << 4 | lo);
        (*n)++;
        p += 2;
    }
    if (p == digits_at)
        return hex_fail(err, *i, "0x without hex digits");
    *i = p;
    return true;
}

bool mqtt_hex_decode(const char *text, size_t len, uint8_t *out, size_t cap, size_t *n, mqtt_hex_error *err)
{
    size_t i = 0, count = 0;
    bool ok = true;
    while (ok && i < len) {
        if (is_blank(text[i]))
            i++;
        else if (text[i] == '#')
            while (i < len && text[i] != '\n')
                i++;
        else
            ok = hex_word(text, len, &i, out, cap, &count, err);
    }
    *n = count;
    return ok;
}

void mqtt_write_hex(mqtt_writer *w, const char *text, size_t len)
{
    size_t n = 0;
    if (!mqtt_hex_decode(text, len, NULL, 0, &n, NULL)) {
        w->overflow = true; /* not hex: nothing it could stand for can be written */
        return;
    }
    if (w->overflow || (w->buf && w->cap - w->len < n)) {
        w->overflow = true;
        return;
    }
    if (w->buf)
        mqtt_hex_decode(text, len, w->buf + w->len, n, &n, NULL);
    w->len += n;
}
