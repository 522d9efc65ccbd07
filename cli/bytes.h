/* A growable byte buffer for command input. */
#ifndef MQTTSPEC_CLI_BYTES_H
#define MQTTSPEC_CLI_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct byte_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} byte_buf;

void byte_buf_free(byte_buf *b);
bool byte_buf_push(byte_buf *b, uint8_t v);
/* Room for `more` bytes after len; false if memory runs out. */
bool byte_buf_reserve(byte_buf *b, size_t more);
/* Appends everything up to end of file; false on a read or memory error. */
bool byte_buf_read_all(byte_buf *b, FILE *f);
/* The whole file as a NUL-terminated string (free it); NULL if it cannot be read (errno says why). */
char *read_text_file(const char *path);

#endif
