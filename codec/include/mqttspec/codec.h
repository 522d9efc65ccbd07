/*
 * mqttspec codec: MQTT 3.1, 3.1.1 and 5.0 control packets.
 *
 * - No I/O, no allocation.  Decoding yields views (pointer + length) into the
 *   caller's input; the input must outlive the decoded packet.
 * - Decoding is strict and role-aware: every rejection carries an error code
 *   that names the normative statement it violates, and the byte offset of
 *   the offending field counted from the first byte of the packet.
 * - Encoding is size-then-serialize into a caller-owned buffer.  It checks
 *   only what the wire format cannot represent, so a test harness can build
 *   deliberately invalid packets; use mqtt_decode on the result to validate.
 */
#ifndef MQTTSPEC_CODEC_H
#define MQTTSPEC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttspec/codec_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Protocol level as carried in CONNECT. */
typedef enum mqtt_version {
    MQTT_VERSION_UNKNOWN = 0, /* only a CONNECT can be decoded: it names its own level */
    MQTT_V31 = 3,
    MQTT_V311 = 4,
    MQTT_V5 = 5,
} mqtt_version;

/* Who receives the packet being decoded; decides which packets and fields are legal. */
typedef enum mqtt_role {
    MQTT_ROLE_SERVER = 0, /* we are the server: the packet was sent by a client */
    MQTT_ROLE_CLIENT = 1, /* we are the client: the packet was sent by a server */
} mqtt_role;

typedef enum mqtt_packet_type {
    MQTT_CONNECT = 1,
    MQTT_CONNACK = 2,
    MQTT_PUBLISH = 3,
    MQTT_PUBACK = 4,
    MQTT_PUBREC = 5,
    MQTT_PUBREL = 6,
    MQTT_PUBCOMP = 7,
    MQTT_SUBSCRIBE = 8,
    MQTT_SUBACK = 9,
    MQTT_UNSUBSCRIBE = 10,
    MQTT_UNSUBACK = 11,
    MQTT_PINGREQ = 12,
    MQTT_PINGRESP = 13,
    MQTT_DISCONNECT = 14,
    MQTT_AUTH = 15, /* 5.0 only */
} mqtt_packet_type;

/* Result of decode and framing calls. */
typedef enum mqtt_status {
    MQTT_COMPLETE = 0,  /* a whole packet was consumed */
    MQTT_NEED_MORE = 1, /* the input ends inside a packet: read more and call again */
    MQTT_MALFORMED = 2, /* the input violates the spec: see the mqtt_error */
} mqtt_status;

/* Error codes: one per rule, see codec_errors.h for the statements. */
typedef enum mqtt_err {
#define MQTT_X_ENUM(name, s311, s5, c31, rc, msg) MQTT_E_##name,
    MQTT_ERROR_TABLE(MQTT_X_ENUM)
#undef MQTT_X_ENUM
        MQTT_E_COUNT
} mqtt_err;

typedef struct mqtt_error {
    mqtt_err code;
    uint32_t offset; /* byte offset of the offending field from the packet start */
    uint32_t byte;   /* offset of the exact offending byte (e.g. the '+' in a topic);
                        equals offset when the field as a whole is at fault */
    uint8_t version; /* the protocol level the rule was judged under (a CONNECT's own
                        level once read), 0 if not known; mqtt_err_format prefers it */
    uint8_t packet_type; /* type of the packet at fault, 0 if not known (framing);
                            mqtt_err_format names the section of that packet */
} mqtt_error;

const char *mqtt_err_name(mqtt_err code);    /* "TOPIC_NAME_WILDCARD" */
const char *mqtt_err_message(mqtt_err code); /* one sentence */
/*
 * "MQTT-3.3.2-2", or NULL when the rule does not exist in that version.
 * MQTT 3.1 has no numbered statements: for MQTT_V31 this is a section
 * citation instead, "cf. 3.1.1 §3.3.2.1" (the 3.1.1 section restating the
 * 3.1 rule), or NULL when 3.1 lacks the rule.
 */
const char *mqtt_err_statement(mqtt_err code, mqtt_version version);
/* The 5.0 reason code a receiver would put in CONNACK/DISCONNECT for it. */
uint8_t mqtt_err_reason_code(mqtt_err code);
/*
 * "3.1.1:MQTT-3.3.2-2 at offset 2 (byte 5): PUBLISH Topic Name contains a wildcard character (TOPIC_NAME_WILDCARD)";
 * for 3.1 "3.1 (cf. 3.1.1 §3.3.2.1) at offset 2 ...".  Rules stated once per
 * packet type (Remaining Length, properties) name the packet's section.
 */
size_t mqtt_err_format(const mqtt_error *err, mqtt_version version, char *buf, size_t cap);

/* A view into the input (decode) or into caller memory (encode). */
typedef struct mqtt_bytes {
    const uint8_t *ptr;
    uint32_t len;
} mqtt_bytes;

/*
 * A 5.0 property block: the properties as on the wire, without the leading
 * Property Length.  Decoding validates the whole block; iterate with
 * mqtt_prop_next or look one up with mqtt_prop_find.
 */
typedef struct mqtt_props {
    const uint8_t *ptr;
    uint32_t len;
} mqtt_props;

/*
 * A list payload as on the wire: SUBSCRIBE (filter + options byte per entry),
 * UNSUBSCRIBE (filters), SUBACK / UNSUBACK (one reason code byte per entry).
 */
typedef struct mqtt_list {
    const uint8_t *ptr;
    uint32_t len;
    uint32_t count;
} mqtt_list;

/* ---- properties ---- */

typedef enum mqtt_prop_id {
    MQTT_PROP_PAYLOAD_FORMAT_INDICATOR = 0x01,
    MQTT_PROP_MESSAGE_EXPIRY_INTERVAL = 0x02,
    MQTT_PROP_CONTENT_TYPE = 0x03,
    MQTT_PROP_RESPONSE_TOPIC = 0x08,
    MQTT_PROP_CORRELATION_DATA = 0x09,
    MQTT_PROP_SUBSCRIPTION_IDENTIFIER = 0x0B,
    MQTT_PROP_SESSION_EXPIRY_INTERVAL = 0x11,
    MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER = 0x12,
    MQTT_PROP_SERVER_KEEP_ALIVE = 0x13,
    MQTT_PROP_AUTHENTICATION_METHOD = 0x15,
    MQTT_PROP_AUTHENTICATION_DATA = 0x16,
    MQTT_PROP_REQUEST_PROBLEM_INFORMATION = 0x17,
    MQTT_PROP_WILL_DELAY_INTERVAL = 0x18,
    MQTT_PROP_REQUEST_RESPONSE_INFORMATION = 0x19,
    MQTT_PROP_RESPONSE_INFORMATION = 0x1A,
    MQTT_PROP_SERVER_REFERENCE = 0x1C,
    MQTT_PROP_REASON_STRING = 0x1F,
    MQTT_PROP_RECEIVE_MAXIMUM = 0x21,
    MQTT_PROP_TOPIC_ALIAS_MAXIMUM = 0x22,
    MQTT_PROP_TOPIC_ALIAS = 0x23,
    MQTT_PROP_MAXIMUM_QOS = 0x24,
    MQTT_PROP_RETAIN_AVAILABLE = 0x25,
    MQTT_PROP_USER_PROPERTY = 0x26,
    MQTT_PROP_MAXIMUM_PACKET_SIZE = 0x27,
    MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28,
    MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29,
    MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE = 0x2A,
} mqtt_prop_id;

typedef enum mqtt_prop_type {
    MQTT_PT_NONE = 0, /* not a property */
    MQTT_PT_BYTE,
    MQTT_PT_U16,
    MQTT_PT_U32,
    MQTT_PT_VARINT,
    MQTT_PT_UTF8,
    MQTT_PT_BINARY,
    MQTT_PT_PAIR,
} mqtt_prop_type;

/* Pseudo packet type for the Will Properties of a CONNECT. */
#define MQTT_WILL_PROPS 0

typedef struct mqtt_property {
    uint8_t id;
    uint32_t value;   /* BYTE, U16, U32, VARINT */
    mqtt_bytes data;  /* UTF8, BINARY, and the name of a PAIR */
    mqtt_bytes value2; /* the value of a PAIR */
} mqtt_property;

mqtt_prop_type mqtt_prop_type_of(uint8_t id);
const char *mqtt_prop_name(uint8_t id); /* "Topic Alias"; NULL if unknown */
const char *mqtt_prop_key(uint8_t id);  /* "topic_alias" (JSON form); NULL if unknown */
int mqtt_prop_by_key(const char *key);  /* id, or -1 */
/* May property `id` appear in `packet_type` (MQTT_WILL_PROPS for will properties)? */
bool mqtt_prop_allowed(uint8_t id, int packet_type);

/* Iterate a property block that mqtt_decode validated (or that you built). */
typedef struct mqtt_prop_iter {
    const uint8_t *p;
    const uint8_t *end;
} mqtt_prop_iter;
void mqtt_prop_iter_init(mqtt_prop_iter *it, mqtt_props props);
bool mqtt_prop_next(mqtt_prop_iter *it, mqtt_property *out);
/* First property with this id; false if absent. */
bool mqtt_prop_find(mqtt_props props, uint8_t id, mqtt_property *out);

/* ---- list payloads ---- */

/* Subscription options byte (5.0 layout; 3.1.1 uses only the QoS bits). */
#define MQTT_SUBOPT_QOS(o) ((o) & 0x03)
#define MQTT_SUBOPT_NO_LOCAL 0x04
#define MQTT_SUBOPT_RETAIN_AS_PUBLISHED 0x08
#define MQTT_SUBOPT_RETAIN_HANDLING(o) (((o) >> 4) & 0x03)

typedef struct mqtt_sub_entry {
    mqtt_bytes filter;
    uint8_t options; /* for UNSUBSCRIBE entries: 0 */
} mqtt_sub_entry;

typedef struct mqtt_list_iter {
    const uint8_t *p;
    const uint8_t *end;
    bool with_options; /* SUBSCRIBE */
} mqtt_list_iter;
/* Iterate SUBSCRIBE (with_options) or UNSUBSCRIBE entries. */
void mqtt_list_iter_init(mqtt_list_iter *it, mqtt_list list, bool with_options);
bool mqtt_list_next(mqtt_list_iter *it, mqtt_sub_entry *out);

/* ---- packets ---- */

typedef struct mqtt_connect {
    mqtt_bytes protocol_name;
    uint8_t protocol_level;
    /* The raw Connect Flags byte.  Encoding computes the byte from the fields
     * below and takes only bit 0 (reserved) from here. */
    uint8_t flags;
    bool clean_start; /* CleanSession in 3.1/3.1.1 */
    bool will;
    uint8_t will_qos;
    bool will_retain;
    bool has_username;
    bool has_password;
    uint16_t keep_alive;
    mqtt_props props; /* 5.0 */
    mqtt_bytes client_id;
    mqtt_props will_props; /* 5.0 */
    mqtt_bytes will_topic;
    mqtt_bytes will_payload;
    /* 3.1 lets a flagged User Name / Password be absent: decoding leaves such a
     * view NULL, and encoding a level-3 CONNECT writes a flagged NULL view as absent. */
    mqtt_bytes username;
    mqtt_bytes password;
} mqtt_connect;

typedef struct mqtt_connack {
    uint8_t flags; /* Connect Acknowledge Flags; bit 0 = Session Present */
    uint8_t code;  /* return code (3.1/3.1.1) or reason code (5.0) */
    mqtt_props props;
} mqtt_connack;

typedef struct mqtt_publish {
    bool dup;
    uint8_t qos;
    bool retain;
    mqtt_bytes topic;
    uint16_t packet_id; /* QoS > 0 only */
    mqtt_props props;   /* 5.0 */
    mqtt_bytes payload;
} mqtt_publish;

/* PUBACK, PUBREC, PUBREL, PUBCOMP. */
typedef struct mqtt_ack {
    uint16_t packet_id;
    uint8_t code; /* 5.0 reason code, 0 when absent */
    /* 5.0 allows short forms; these record what was on the wire so that
     * re-encoding reproduces it. Encoding writes the shortest form that
     * carries `code` and `props` unless these ask for more. */
    bool has_code;
    bool has_props;
    mqtt_props props;
} mqtt_ack;

/* SUBSCRIBE, UNSUBSCRIBE, SUBACK, UNSUBACK. */
typedef struct mqtt_subs {
    uint16_t packet_id;
    mqtt_props props; /* 5.0 */
    mqtt_list list;   /* entries (SUBSCRIBE/UNSUBSCRIBE) or reason codes (acks) */
} mqtt_subs;

/* DISCONNECT and AUTH (5.0 fields; both are empty in 3.1.1). */
typedef struct mqtt_disconnect {
    uint8_t code;
    bool has_code;
    bool has_props;
    mqtt_props props;
} mqtt_disconnect;

typedef struct mqtt_packet {
    uint8_t type;  /* mqtt_packet_type */
    uint8_t flags; /* low nibble of the first byte */
    /* Encoding derives the fixed-header flags (PUBLISH: from dup/qos/retain;
     * others: the value the spec lists) unless this asks to write `flags`
     * as given, to build reserved-flag violations. Decoding sets it false. */
    bool flags_override;
    uint32_t remaining_length; /* set by decoding; encoding computes it */
    union {
        mqtt_connect connect;
        mqtt_connack connack;
        mqtt_publish publish;
        mqtt_ack ack;
        mqtt_subs subs;
        mqtt_disconnect disconnect; /* also AUTH */
    } u;
} mqtt_packet;

const char *mqtt_packet_type_name(int type); /* "PUBLISH"; "RESERVED" if out of range */
int mqtt_packet_type_by_name(const char *name); /* case-insensitive; -1 if unknown */

/* ---- framing ---- */

#define MQTT_MAX_REMAINING_LENGTH 268435455u

/*
 * Look at the start of a byte stream.  On MQTT_COMPLETE, *packet_len is the
 * size of the first packet (header included).  On MQTT_NEED_MORE,
 * *packet_len is the total size if the header is complete already, else 0.
 * max_packet_size 0 means the protocol maximum.
 */
mqtt_status mqtt_frame(const uint8_t *buf, size_t len, uint32_t max_packet_size, mqtt_version version,
                       size_t *packet_len, mqtt_error *err);

/* Options for mqtt_decode. */
typedef struct mqtt_decode_opts {
    mqtt_version version; /* MQTT_VERSION_UNKNOWN: only CONNECT accepted */
    mqtt_role role;
    uint32_t max_packet_size; /* 0: protocol maximum */
} mqtt_decode_opts;

/*
 * Decode and validate the first packet of buf.  MQTT_COMPLETE sets *consumed
 * to its size (on other results *consumed may change and means nothing).  A CONNECT is parsed by the level it carries, whatever
 * opts->version says (its level is out->u.connect.protocol_level).
 */
mqtt_status mqtt_decode(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out,
                        size_t *consumed, mqtt_error *err);

/*
 * A stream reassembler over caller-owned storage: append what the socket
 * gave, then take packets until MQTT_NEED_MORE.  Splitting the input at any
 * byte yields the same packets.  Packets are views into storage and stay
 * valid until the next mqtt_stream_append.
 */
typedef struct mqtt_stream {
    uint8_t *buf;
    size_t cap;
    size_t start; /* first byte not yet handed out */
    size_t end;   /* one past the last byte appended */
} mqtt_stream;
void mqtt_stream_init(mqtt_stream *s, uint8_t *storage, size_t cap);
/* Copies as much of data as fits (moving unread bytes to the front first); returns bytes taken. */
size_t mqtt_stream_append(mqtt_stream *s, const uint8_t *data, size_t len);
/* Space for a direct read(2) into the buffer, after compacting; commit with mqtt_stream_commit. */
uint8_t *mqtt_stream_space(mqtt_stream *s, size_t *avail);
void mqtt_stream_commit(mqtt_stream *s, size_t n);
mqtt_status mqtt_stream_next(mqtt_stream *s, const mqtt_decode_opts *opts, mqtt_packet *out, mqtt_bytes *raw,
                             mqtt_error *err);

/* ---- encoding ---- */

/*
 * Bytes needed to encode pkt at this version (0 if it cannot be represented:
 * a field over 65535 bytes or a remaining length over 268435455).
 * For CONNECT the level written is pkt->u.connect.protocol_level.
 */
size_t mqtt_encoded_size(const mqtt_packet *pkt, mqtt_version version);
/* The fixed-header flags the spec lists for pkt's type (PUBLISH: from dup/qos/retain). */
uint8_t mqtt_fixed_header_flags(const mqtt_packet *pkt);
/* The Connect Flags byte the fields of c describe (bit 0, reserved, taken from c->flags). */
uint8_t mqtt_connect_flags(const mqtt_connect *c);
/* Encode into buf; returns bytes written, or 0 if cap is too small or the packet cannot be represented. */
size_t mqtt_encode(const mqtt_packet *pkt, mqtt_version version, uint8_t *buf, size_t cap);

/*
 * A bounded writer for building property blocks and list payloads.  With
 * buf == NULL it only counts (this is how encoding sizes a packet).
 */
typedef struct mqtt_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow; /* a write did not fit, or a value cannot be represented
                      (string over 65535 bytes, varint over 268435455); later writes are dropped */
} mqtt_writer;
void mqtt_writer_init(mqtt_writer *w, uint8_t *buf, size_t cap);
void mqtt_write_u8(mqtt_writer *w, uint8_t v);
void mqtt_write_u16(mqtt_writer *w, uint16_t v);
void mqtt_write_u32(mqtt_writer *w, uint32_t v);
void mqtt_write_varint(mqtt_writer *w, uint32_t v);
void mqtt_write_bytes(mqtt_writer *w, const void *p, size_t n);     /* raw */
void mqtt_write_string(mqtt_writer *w, const void *p, size_t n);    /* 2-byte length + bytes */
void mqtt_write_property(mqtt_writer *w, const mqtt_property *prop); /* id + value by its type */
/* One SUBSCRIBE entry (filter + options) or, with options < 0, an UNSUBSCRIBE entry. */
void mqtt_write_sub_entry(mqtt_writer *w, mqtt_bytes filter, int options);
/* The bytes hex text spells (mqtt_hex_decode syntax), raw; text that is not hex sets overflow. */
void mqtt_write_hex(mqtt_writer *w, const char *text, size_t len);

/* ---- helpers shared with the engine and broker-sim ---- */

/* Where and why hex text is not well formed. */
typedef struct mqtt_hex_error {
    size_t at;          /* index of the offending character */
    const char *reason; /* "not a hex digit", "odd number of hex digits", "0x without hex digits" */
} mqtt_hex_error;

/*
 * Hex text to bytes, as typed on a command line, pasted from a capture or
 * written in a scenario: hex digit pairs, optionally grouped in words
 * ("10 0c" or "100c"), each word optionally prefixed by 0x; blank space
 * separates words and '#' starts a comment up to the end of the line.  A
 * word holds whole bytes.  Stores at most cap bytes into out (NULL: only
 * count); *n is the number of bytes the text spells, also beyond cap.  On
 * false (err may be NULL) err says where and why.
 */
bool mqtt_hex_decode(const char *text, size_t len, uint8_t *out, size_t cap, size_t *n, mqtt_hex_error *err);

/* Size of a variable byte integer (1..4), 0 if v > 268435455. */
unsigned mqtt_varint_size(uint32_t v);
/* Is s well-formed UTF-8 without surrogates and without U+0000?  On false *bad_at is the byte index. */
bool mqtt_utf8_valid(const uint8_t *s, size_t n, mqtt_err *why, size_t *bad_at);
/* Topic Name (no wildcards, non-empty) and Topic Filter syntax checks, UTF-8 included. */
mqtt_err mqtt_check_topic_name(mqtt_bytes topic, size_t *bad_at);
mqtt_err mqtt_check_topic_filter(mqtt_bytes filter, mqtt_version version, size_t *bad_at);
/* Does topic name match filter (wildcards; '$' topics not matched by leading wildcards)? */
bool mqtt_topic_matches(mqtt_bytes filter, mqtt_bytes topic);

/* Reason code name in the context of a packet type ("Granted QoS 1" vs "Normal disconnection"). */
const char *mqtt_reason_name(uint8_t code, int packet_type);
/* 3.1 / 3.1.1 CONNACK and SUBACK return code name ("Connection Refused, not authorized",
 * "Failure"); NULL if the code is not one of them. */
const char *mqtt_return_code_name(uint8_t code, int packet_type);
/* Is code a defined reason/return code for packet_type from this sender at this version
 * (covers 3.1.1 CONNACK and SUBACK return codes too)? */
bool mqtt_reason_valid(uint8_t code, int packet_type, bool sent_by_server, mqtt_version version);

/* ---- printing ---- */

/*
 * One line in the spirit of mosquitto's debug log, e.g.
 *   PUBLISH (d0, q1, r0, m7, 'a/b', ... (5 bytes))
 * Always NUL-terminates when cap > 0; returns the length it wanted.
 */
size_t mqtt_print(const mqtt_packet *pkt, mqtt_version version, char *buf, size_t cap);
const char *mqtt_version_name(mqtt_version v); /* "3.1", "3.1.1", "5.0" */

#ifdef __cplusplus
}
#endif
#endif
