/*
 * SCRAM-SHA-256 (RFC 5802 with RFC 7677's hash) as an MQTT 5.0 enhanced
 * authentication method, both sides: the engine plays the client, broker-sim
 * the server.  Over MQTT the four messages travel as Authentication Data:
 * client-first in CONNECT, server-first in AUTH 0x18, client-final in AUTH
 * 0x18, server-final in CONNACK 0x00 (or AUTH 0x00 after a re-authentication
 * started with AUTH 0x19).  No channel binding (GS2 header "n,,"); names and
 * passwords are used as given (no SASLprep: keep them ASCII).
 * The state holds key material: wipe it with mqs_scram_wipe.
 */
#ifndef MQTTSPEC_SCRAM_H
#define MQTTSPEC_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MQS_SCRAM_METHOD "SCRAM-SHA-256"
#define MQS_SCRAM_ITERATIONS 4096 /* RFC 7677: at least 4096 */
#define MQS_SCRAM_MSG_MAX 512     /* longest message either side builds or accepts */

typedef struct mqs_scram {
    char first_bare[MQS_SCRAM_MSG_MAX];   /* client-first-message-bare, "n=user,r=nonce" */
    char server_first[MQS_SCRAM_MSG_MAX]; /* "r=nonce,s=salt,i=count" */
    char nonce[128];                      /* the client's nonce, then the combined one */
    uint8_t stored_key[32];               /* server: H(ClientKey) of the configured password */
    uint8_t server_key[32];               /* both: HMAC(SaltedPassword, "Server Key") */
    uint8_t server_signature[32];         /* after the client-final: what the server-final must carry */
} mqs_scram;

/* Client: "n,,n=USER,r=NONCE" into out; nonce NULL: a fresh random one.  Length, or -1 if it does not fit. */
int mqs_scram_client_first(mqs_scram *s, const char *user, const char *nonce, char *out, size_t cap);
/* Client: the client-final for server_first ("c=biws,r=...,p=PROOF"); wrong_proof: a proof that cannot verify
 * (to test a server's refusal).  Length, or -1 with why the server-first is unusable in err. */
int mqs_scram_client_final(mqs_scram *s, const char *password, const uint8_t *server_first, size_t len,
                           bool wrong_proof, char *out, size_t cap, char *err, size_t err_cap);
/* Client: does server_final ("v=SIGNATURE") prove the server knows the password?  false: why in err. */
bool mqs_scram_client_verify(const mqs_scram *s, const uint8_t *server_final, size_t len, char *err,
                             size_t err_cap);

/* Server: the server-first for client_first, for the one user it knows; nonce and salt NULL: random ones.
 * Length, or -1 (malformed message, another user) with the reason in err. */
int mqs_scram_server_first(mqs_scram *s, const char *user, const char *password, const uint8_t *client_first,
                           size_t len, const char *nonce, const char *salt_b64, char *out, size_t cap, char *err,
                           size_t err_cap);
/* Server: check the client-final; the server-final ("v=...") into out.  Length, or -1 (bad proof, wrong nonce,
 * malformed) with the reason in err. */
int mqs_scram_server_final(mqs_scram *s, const uint8_t *client_final, size_t len, char *out, size_t cap, char *err,
                           size_t err_cap);

/* Forget the key material. */
void mqs_scram_wipe(mqs_scram *s);

#ifdef __cplusplus
}
#endif
#endif
