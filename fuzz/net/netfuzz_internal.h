/* Helpers shared by the network fuzzer's files (netfuzz*.c). */
#ifndef MQTTSPEC_NETFUZZ_INTERNAL_H
#define MQTTSPEC_NETFUZZ_INTERNAL_H

#include "mqttspec/netfuzz.h"

/* Replace p[at, at+del) by ins[0, nins) within cap; returns the new length, or n unchanged if it does not fit. */
size_t nf_splice(uint8_t *p, size_t n, size_t cap, size_t at, size_t del, const uint8_t *ins, size_t nins);

/* The fixed header: type/flags byte, then a remaining length of 1..4 bytes (as many as carry a
 * continuation bit, at most 4).  *hdr: bytes of the fixed header; returns the value (0 if n < 2). */
uint32_t nf_read_rl(const uint8_t *p, size_t n, size_t *hdr);
/* Rewrite the remaining length so that it is the minimal encoding of the bytes after the header. */
size_t nf_fix_rl(uint8_t *p, size_t n, size_t cap);

/* Fields located in an encoded packet (by decoding it), for field-aware byte mutations. */
enum {
    NF_F_STR = 1,    /* off: the 2-byte length prefix; len: the string's length */
    NF_F_PROPS = 2,  /* off: the Property Length varint; len: the block's length */
    NF_F_PROPID = 3, /* off: a property identifier byte; len: 1 */
    NF_F_PID = 4,    /* off: a packet identifier; len: 2 */
    NF_F_OPTS = 5,   /* off: a subscription options byte; len: 1 */
    NF_F_CODE = 6,   /* off: a reason / return code byte; len: 1 */
    NF_F_FLAGS = 7,  /* off: CONNECT flags or CONNACK flags byte; len: 1 */
};
typedef struct nf_field {
    uint32_t off;
    uint32_t len;
    uint8_t kind;
} nf_field;
#define NF_MAX_FIELDS 96
typedef struct nf_fmap {
    nf_field f[NF_MAX_FIELDS];
    int n;
} nf_fmap;
/* Decode p (server role, then client role for server-only packets) and list its fields; n = 0 if it does not decode. */
void nf_map_fields(const uint8_t *p, size_t n, mqtt_version version, nf_fmap *m);

/* mkdir -p; 0 or -1 with errno. */
int nf_mkdir_p(const char *dir);

/* The packet types that answer a packet of type t (PUBLISH: PUBACK, PUBREC), as a bit mask of 1 << type. */
unsigned nf_answer_mask(uint8_t t);

#endif
