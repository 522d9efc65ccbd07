/* Helpers both directions of the packet <-> JSON mapping agree on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_internal.h"

mqtt_version jx_connect_version(uint8_t protocol_level, mqtt_version conn)
{
    /* As mqtt_encode lays it out: level 0 stands for the connection's version. */
    return protocol_level != 0 ? (mqtt_version)protocol_level : conn;
}

bool jx_text_ok(const uint8_t *p, size_t n)
{
    mqtt_err why;
    size_t bad_at;
    if (n == 0)
        return true;
    /* cJSON strings end at the first NUL, so a NUL could never survive as text
     * even if the validator let it through. */
    if (memchr(p, 0, n) != NULL)
        return false;
    return mqtt_utf8_valid(p, n, &why, &bad_at);
}

/* Is the code point starting at p[i] a control character other than TAB/LF/CR?
 * C1 controls (U+0080..U+009F) are the two-byte sequences C2 80..C2 9F. */
static bool is_control_at(const uint8_t *p, size_t n, size_t i)
{
    uint8_t c = p[i];
    if (c < 0x20)
        return c != '\t' && c != '\n' && c != '\r';
    if (c == 0x7F)
        return true;
    return c == 0xC2 && i + 1 < n && p[i + 1] < 0xA0;
}

bool jx_printable(const uint8_t *p, size_t n)
{
    if (!jx_text_ok(p, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if (is_control_at(p, n, i))
            return false;
    return true;
}

cJSON *jx_hex_string(const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 0x0F];
    }
    s[2 * n] = '\0';
    cJSON *item = cJSON_CreateString(s);
    free(s);
    return item;
}

static void path_append(jx_path *p, const char *s, size_t n)
{
    if (p->len + n >= sizeof p->buf)
        n = sizeof p->buf - 1 - p->len; /* a truncated pointer still locates the spot */
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = '\0';
}

size_t jx_path_push(jx_path *p, const char *key)
{
    size_t mark = p->len;
    path_append(p, "/", 1);
    for (; *key != '\0'; key++) {
        if (*key == '~')
            path_append(p, "~0", 2);
        else if (*key == '/')
            path_append(p, "~1", 2);
        else
            path_append(p, key, 1);
    }
    return mark;
}

size_t jx_path_push_index(jx_path *p, int i)
{
    char seg[16];
    snprintf(seg, sizeof seg, "%d", i);
    return jx_path_push(p, seg);
}

void jx_path_pop(jx_path *p, size_t mark)
{
    p->len = mark;
    p->buf[mark] = '\0';
}

const char *jx_path_str(const jx_path *p) { return p->len > 0 ? p->buf : "/"; }
