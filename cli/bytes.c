#include "bytes.h"

#include <errno.h>
#include <stdlib.h>

void byte_buf_free(byte_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Doubling, so appends stay linear. */
bool byte_buf_reserve(byte_buf *b, size_t more)
{
    if (more <= b->cap - b->len)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2)
            return false;
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return false;
    b->data = p;
    b->cap = cap;
    return true;
}

bool byte_buf_push(byte_buf *b, uint8_t v)
{
    if (!byte_buf_reserve(b, 1))
        return false;
    b->data[b->len++] = v;
    return true;
}

bool byte_buf_read_all(byte_buf *b, FILE *f)
{
    for (;;) {
        if (!byte_buf_reserve(b, 4096))
            return false;
        size_t n = fread(b->data + b->len, 1, b->cap - b->len, f);
        b->len += n;
        if (n == 0)
            return !ferror(f);
    }
}

char *read_text_file(const char *path)
{
    byte_buf buf = {0};
    FILE *f = fopen(path, "r");
    bool read = f && byte_buf_read_all(&buf, f) && byte_buf_push(&buf, 0);
    int saved = errno;
    if (f)
        fclose(f);
    if (!read)
        byte_buf_free(&buf);
    errno = saved;
    return read ? (char *)buf.data : NULL;
}
