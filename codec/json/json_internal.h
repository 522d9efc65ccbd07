/* Shared by the packet <-> JSON files only. */
#ifndef MQTTSPEC_JSON_INTERNAL_H
#define MQTTSPEC_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mqttspec/codec.h"

/*
 * The version a CONNECT's body is laid out in: the level it carries (the
 * decoder parses it that way and the encoder writes it that way), the
 * connection's when that level is 0.  Only MQTT_V5 changes the layout.
 */
mqtt_version jx_connect_version(uint8_t protocol_level, mqtt_version conn);

/* Can these bytes be a JSON string without loss (well-formed UTF-8, no NUL)? */
bool jx_text_ok(const uint8_t *p, size_t n);
/* ... and are they also printable text (no control characters but TAB, LF, CR)? */
bool jx_printable(const uint8_t *p, size_t n);

/* Lower-case hex of p[0..n-1] as a new cJSON string; NULL if out of memory. */
cJSON *jx_hex_string(const uint8_t *p, size_t n);


/* A JSON pointer (RFC 6901) built while walking a document. */
typedef struct jx_path {
    char buf[512];
    size_t len;
} jx_path;
/* Enter member `key` (escaping '~' and '/'); returns the mark jx_path_pop restores. */
size_t jx_path_push(jx_path *p, const char *key);
size_t jx_path_push_index(jx_path *p, int i);
void jx_path_pop(jx_path *p, size_t mark);
/* The pointer, "/" for the root (an empty pointer would print as nothing). */
const char *jx_path_str(const jx_path *p);

/* Suffix for fields whose text is given as hex, e.g. "topic_hex". */
#define JX_HEX_SUFFIX "_hex"

#endif
