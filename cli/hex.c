#include "hex.h"

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

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static size_t skip_comment(const char *text, size_t len, size_t i)
{
    while (i < len && text[i] != '\n')
        i++;
    return i;
}

static bool has_0x_prefix(const char *text, size_t len, size_t i)
{
    return i + 1 < len && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X');
}

static bool fail(hex_error *err, size_t at, const char *reason)
{
    err->at = at;
    err->reason = reason;
    return false;
}

/* One word starting at *i; leaves *i on the first character after it. */
static bool parse_word(byte_buf *out, const char *text, size_t len, size_t *i, hex_error *err)
{
    size_t p = *i;
    if (has_0x_prefix(text, len, p))
        p += 2;
    size_t digits_at = p;
    while (p < len && !is_blank(text[p]) && text[p] != '#') {
        int hi = hex_value(text[p]);
        if (hi < 0)
            return fail(err, p, "not a hex digit");
        if (p + 1 >= len || is_blank(text[p + 1]) || text[p + 1] == '#')
            return fail(err, p, "odd number of hex digits");
        int lo = hex_value(text[p + 1]);
        if (lo < 0)
            return fail(err, p + 1, "not a hex digit");
        if (!byte_buf_push(out, (uint8_t)(hi << 4 | lo)))
            return fail(err, p, "out of memory");
        p += 2;
    }
    if (p == digits_at)
        return fail(err, *i, "0x without hex digits");
    *i = p;
    return true;
}

bool hex_append(byte_buf *out, const char *text, size_t len, hex_error *err)
{
    size_t i = 0;
    while (i < len) {
        if (is_blank(text[i]))
            i++;
        else if (text[i] == '#')
            i = skip_comment(text, len, i);
        else if (!parse_word(out, text, len, &i, err))
            return false;
    }
    return true;
}
