/* Hex text to bytes, as typed on a command line or pasted from a capture. */
#ifndef MQTTSPEC_CLI_HEX_H
#define MQTTSPEC_CLI_HEX_H

#include <stdbool.h>
#include <stddef.h>

#include "bytes.h"

typedef struct hex_error {
    size_t at;          /* index of the offending character in the text */
    const char *reason; /* "not a hex digit", ... */
} hex_error;

/*
 * Append the bytes spelled by text: hex digit pairs, optionally grouped in
 * words ("10 0c" or "100c"), each word optionally prefixed by 0x; blank
 * space separates words and '#' starts a comment up to the end of the line.
 * A word must hold whole bytes.  On false, err says where and why.
 */
bool hex_append(byte_buf *out, const char *text, size_t len, hex_error *err);

#endif
