/* SCRAM-SHA-256 messages and proofs (RFC 5802 section 3 and 7, RFC 7677) with OpenSSL. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttspec/scram.h"

#define SCRAM_KEY 32            /* SHA-256 output */
#define SCRAM_GS2 "n,,"         /* no channel binding, no authzid */
#define SCRAM_GS2_B64 "biws"    /* base64("n,,"): the c= attribute */
#define SCRAM_NONCE_BYTES 18    /* 24 base64 characters */
#define SCRAM_SALT_BYTES 16

static int failed(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int failed(char *err, size_t cap, const char *fmt, ...)
{
    if (err && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- primitives ---- */

static void hmac(const uint8_t *key, size_t key_len, const void *msg, size_t len, uint8_t out[SCRAM_KEY])
{
    unsigned n = SCRAM_KEY;
    HMAC(EVP_sha256(), key, (int)key_len, msg, len, out, &n);
}

static void sha256(const uint8_t *in, size_t len, uint8_t out[SCRAM_KEY]) { SHA256(in, len, out); }

/* base64 of len bytes into out (NUL-terminated); false if it does not fit. */
static bool b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    if (cap < 4 * ((len + 2) / 3) + 1)
        return false;
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return true;
}

/* Decode base64 text of len characters; the decoded length, or -1. */
static int b64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    if (len == 0 || len % 4 || cap < len / 4 * 3)
        return -1;
    int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
    if (n < 0)
        return -1;
    n -= (in[len - 1] == '=') + (in[len - 2] == '='); /* EVP_DecodeBlock counts the padding as zero bytes */
    return n;
}

/* The value of attribute `key` ("r" in "r=abc,s=...") of a SCRAM message; false if absent or too long. */
static bool attr(const char *msg, char key, char *out, size_t cap)
{
    for (const char *p = msg; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (p[0] != key || p[1] != '=')
            continue;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p - 2) : strlen(p + 2);
        if (n >= cap)
            return false;
        memcpy(out, p + 2, n);
        out[n] = '\0';
        return true;
    }
    return false;
}

/* A message from the wire as a C string: printable ASCII only (no NUL), shorter than MQS_SCRAM_MSG_MAX. */
static bool as_text(const uint8_t *in, size_t len, char out[MQS_SCRAM_MSG_MAX])
{
    if (len >= MQS_SCRAM_MSG_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (in[i] < 0x20 || in[i] > 0x7E)
            return false;
    memcpy(out, in, len);
    out[len] = '\0';
    return true;
}

/* saslname (RFC 5802 section 5.1): ',' and '=' written as "=2C" and "=3D". */
static bool name_encode(const char *user, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = user; *p; p++) {
        const char *piece = *p == ',' ? "=2C" : *p == '=' ? "=3D" : NULL;
        size_t len = piece ? 3 : 1;
        if (n + len >= cap)
            return false;
        memcpy(out + n, piece ? piece : p, len);
        n += len;
    }
    out[n] = '\0';
    return true;
}

static bool name_decode(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        char ch = *p;
        if (ch == '=') {
            if (strncmp(p, "=2C", 3) != 0 && strncmp(p, "=3D", 3) != 0)
                return false;
            ch = p[2] == 'C' ? ',' : '=';
            p += 2;
        }
        if (n + 1 >= cap)
            return false;
        out[n++] = ch;
    }
    out[n] = '\0';
    return true;
}

static bool random_b64(size_t bytes, char *out, size_t cap)
{
    uint8_t raw[32];
    return bytes <= sizeof raw && RAND_bytes(raw, (int)bytes) == 1 && b64_encode(raw, bytes, out, cap);
}

/* SaltedPassword, ClientKey, StoredKey and ServerKey (RFC 5802 section 3). */
static bool derive_keys(const char *password, const uint8_t *salt, size_t salt_len, unsigned iterations,
                        uint8_t client_key[SCRAM_KEY], uint8_t stored_key[SCRAM_KEY], uint8_t server_key[SCRAM_KEY])
{
    uint8_t salted[SCRAM_KEY];
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, (int)salt_len, (int)iterations, EVP_sha256(),
                          SCRAM_KEY, salted) != 1)
        return false;
    hmac(salted, SCRAM_KEY, "Client Key", 10, client_key);
    sha256(client_key, SCRAM_KEY, stored_key);
    hmac(salted, SCRAM_KEY, "Server Key", 10, server_key);
    OPENSSL_cleanse(salted, sizeof salted);
    return true;
}

/* AuthMessage = client-first-bare "," server-first "," client-final-without-proof. */
static bool auth_message(const mqs_scram *s, const char *final_without_proof, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s,%s,%s", s->first_bare, s->server_first, final_without_proof);
    return n > 0 && (size_t)n < cap;
}

/* ---- client ---- */

int mqs_scram_client_first(mqs_scram *s, const char *user, const char *nonce, char *out, size_t cap)
{
    char name[256];
    memset(s, 0, sizeof *s);
    if (nonce)
        snprintf(s->nonce, sizeof s->nonce, "%s", nonce);
    else if (!random_b64(SCRAM_NONCE_BYTES, s->nonce, sizeof s->nonce))
        return -1;
    if (!name_encode(user, name, sizeof name))
        return -1;
    int n = snprintf(s->first_bare, sizeof s->first_bare, "n=%s,r=%s", name, s->nonce);
    if (n < 0 || (size_t)n >= sizeof s->first_bare)
        return -1;
    n = snprintf(out, cap, "%s%s", SCRAM_GS2, s->first_bare);
    return n > 0 && (size_t)n < cap ? n : -1;
}

/* The salt and iteration count of a server-first; -1 and err if unusable. */
static int read_server_first(mqs_scram *s, const char *sf, uint8_t *salt, size_t salt_cap, unsigned *iterations,
                             char *err, size_t err_cap)
{
    char nonce[sizeof s->nonce], salt_b64[128], count[16];
    if (!attr(sf, 'r', nonce, sizeof nonce) || !attr(sf, 's', salt_b64, sizeof salt_b64) ||
        !attr(sf, 'i', count, sizeof count))
        return failed(err, err_cap, "server-first lacks r=, s= or i=: '%s'", sf);
    if (strncmp(nonce, s->nonce, strlen(s->nonce)) != 0 || strlen(nonce) == strlen(s->nonce))
        return failed(err, err_cap, "server-first nonce does not extend the client's nonce");
    int salt_len = b64_decode(salt_b64, strlen(salt_b64), salt, salt_cap);
    char *end;
    unsigned long i = strtoul(count, &end, 10);
    if (salt_len <= 0 || *end || i == 0 || i > 1000000)
        return failed(err, err_cap, "server-first salt or iteration count unusable: '%s'", sf);
    snprintf(s->nonce, sizeof s->nonce, "%s", nonce);
    *iterations = (unsigned)i;
    return salt_len;
}

int mqs_scram_client_final(mqs_scram *s, const char *password, const uint8_t *server_first, size_t len,
                           bool wrong_proof, char *out, size_t cap, char *err, size_t err_cap)
{
    uint8_t salt[96], client_key[SCRAM_KEY], stored_key[SCRAM_KEY], signature[SCRAM_KEY], proof[SCRAM_KEY];
    unsigned iterations = 0; /* set by read_server_first whenever it returns a salt */
    if (!as_text(server_first, len, s->server_first))
        return failed(err, err_cap, "server-first is not printable ASCII of at most %d bytes", MQS_SCRAM_MSG_MAX - 1);
    int salt_len = read_server_first(s, s->server_first, salt, sizeof salt, &iterations, err, err_cap);
    if (salt_len < 0)
        return -1;
    if (!derive_keys(password, salt, (size_t)salt_len, iterations, client_key, stored_key, s->server_key))
        return failed(err, err_cap, "PBKDF2 failed");
    char without_proof[256], msg[3 * MQS_SCRAM_MSG_MAX], proof_b64[64];
    snprintf(without_proof, sizeof without_proof, "c=%s,r=%s", SCRAM_GS2_B64, s->nonce);
    if (!auth_message(s, without_proof, msg, sizeof msg))
        return failed(err, err_cap, "messages too long");
    hmac(stored_key, SCRAM_KEY, msg, strlen(msg), signature);
    for (int i = 0; i < SCRAM_KEY; i++)
        proof[i] = client_key[i] ^ signature[i];
    if (wrong_proof)
        proof[0] ^= 0xFF;
    hmac(s->server_key, SCRAM_KEY, msg, strlen(msg), s->server_signature);
    b64_encode(proof, SCRAM_KEY, proof_b64, sizeof proof_b64);
    OPENSSL_cleanse(client_key, sizeof client_key);
    int n = snprintf(out, cap, "%s,p=%s", without_proof, proof_b64);
    return n > 0 && (size_t)n < cap ? n : failed(err, err_cap, "client-final does not fit");
}

bool mqs_scram_client_verify(const mqs_scram *s, const uint8_t *server_final, size_t len, char *err,
                             size_t err_cap)
{
    char text[MQS_SCRAM_MSG_MAX], v[64], e[64];
    uint8_t sig[48];
    if (!as_text(server_final, len, text))
        return failed(err, err_cap, "server-final is not printable ASCII"), false;
    if (attr(text, 'e', e, sizeof e))
        return failed(err, err_cap, "server-final reports an error: e=%s", e), false;
    if (!attr(text, 'v', v, sizeof v) || b64_decode(v, strlen(v), sig, sizeof sig) != SCRAM_KEY)
        return failed(err, err_cap, "server-final has no v= with a 32-byte signature: '%s'", text), false;
    if (CRYPTO_memcmp(sig, s->server_signature, SCRAM_KEY) != 0)
        return failed(err, err_cap, "the server signature in the server-final does not verify"), false;
    return true;
}

/* ---- server ---- */

int mqs_scram_server_first(mqs_scram *s, const char *user, const char *password, const uint8_t *client_first,
                           size_t len, const char *nonce, const char *salt_b64, char *out, size_t cap, char *err,
                           size_t err_cap)
{
    char cf[MQS_SCRAM_MSG_MAX], enc_name[256], name[256], cnonce[72], own[48], salt_text[64];
    uint8_t salt[48], client_key[SCRAM_KEY];
    memset(s, 0, sizeof *s);
    if (!as_text(client_first, len, cf) || strncmp(cf, SCRAM_GS2, strlen(SCRAM_GS2)) != 0)
        return failed(err, err_cap, "client-first does not start with the GS2 header \"n,,\"");
    snprintf(s->first_bare, sizeof s->first_bare, "%s", cf + strlen(SCRAM_GS2));
    if (strncmp(s->first_bare, "n=", 2) != 0 || !attr(s->first_bare, 'n', enc_name, sizeof enc_name) ||
        !attr(s->first_bare, 'r', cnonce, sizeof cnonce) || !cnonce[0] || !name_decode(enc_name, name, sizeof name))
        return failed(err, err_cap, "client-first is not \"n,,n=NAME,r=NONCE\"");
    if (strcmp(name, user) != 0)
        return failed(err, err_cap, "unknown user");
    if (nonce)
        snprintf(own, sizeof own, "%s", nonce);
    else if (!random_b64(SCRAM_NONCE_BYTES, own, sizeof own))
        return failed(err, err_cap, "no random bytes");
    if (salt_b64)
        snprintf(salt_text, sizeof salt_text, "%s", salt_b64);
    else if (!random_b64(SCRAM_SALT_BYTES, salt_text, sizeof salt_text))
        return failed(err, err_cap, "no random bytes");
    int salt_len = b64_decode(salt_text, strlen(salt_text), salt, sizeof salt);
    if (salt_len <= 0 || !derive_keys(password, salt, (size_t)salt_len, MQS_SCRAM_ITERATIONS, client_key,
                                      s->stored_key, s->server_key))
        return failed(err, err_cap, "salt or PBKDF2 failed");
    OPENSSL_cleanse(client_key, sizeof client_key);
    snprintf(s->nonce, sizeof s->nonce, "%s%s", cnonce, own);
    snprintf(s->server_first, sizeof s->server_first, "r=%s,s=%s,i=%d", s->nonce, salt_text, MQS_SCRAM_ITERATIONS);
    int n = snprintf(out, cap, "%s", s->server_first);
    return n > 0 && (size_t)n < cap ? n : failed(err, err_cap, "server-first does not fit");
}

int mqs_scram_server_final(mqs_scram *s, const uint8_t *client_final, size_t len, char *out, size_t cap, char *err,
                           size_t err_cap)
{
    char text[MQS_SCRAM_MSG_MAX], cb[16], nonce[sizeof s->nonce], proof_b64[64], msg[3 * MQS_SCRAM_MSG_MAX];
    uint8_t proof[48], signature[SCRAM_KEY], client_key[SCRAM_KEY], stored[SCRAM_KEY];
    if (!as_text(client_final, len, text) || !attr(text, 'c', cb, sizeof cb) || !attr(text, 'r', nonce, sizeof nonce) ||
        !attr(text, 'p', proof_b64, sizeof proof_b64))
        return failed(err, err_cap, "client-final is not \"c=...,r=...,p=...\"");
    if (strcmp(cb, SCRAM_GS2_B64) != 0 || strcmp(nonce, s->nonce) != 0)
        return failed(err, err_cap, "client-final channel binding or nonce differs from the exchange's");
    char *p = strstr(text, ",p=");
    if (!p || b64_decode(proof_b64, strlen(proof_b64), proof, sizeof proof) != SCRAM_KEY)
        return failed(err, err_cap, "client-final proof is not 32 bytes of base64");
    *p = '\0'; /* client-final-message-without-proof */
    if (!auth_message(s, text, msg, sizeof msg))
        return failed(err, err_cap, "messages too long");
    hmac(s->stored_key, SCRAM_KEY, msg, strlen(msg), signature);
    for (int i = 0; i < SCRAM_KEY; i++)
        client_key[i] = proof[i] ^ signature[i];
    sha256(client_key, SCRAM_KEY, stored);
    OPENSSL_cleanse(client_key, sizeof client_key);
    if (CRYPTO_memcmp(stored, s->stored_key, SCRAM_KEY) != 0)
        return failed(err, err_cap, "invalid proof");
    hmac(s->server_key, SCRAM_KEY, msg, strlen(msg), s->server_signature);
    char sig_b64[64];
    b64_encode(s->server_signature, SCRAM_KEY, sig_b64, sizeof sig_b64);
    int n = snprintf(out, cap, "v=%s", sig_b64);
    return n > 0 && (size_t)n < cap ? n : failed(err, err_cap, "server-final does not fit");
}

void mqs_scram_wipe(mqs_scram *s) { OPENSSL_cleanse(s, sizeof *s); }
