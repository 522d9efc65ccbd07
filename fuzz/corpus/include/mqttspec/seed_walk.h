/*
 * Seed packets from the scenarios: a scenario walked at one version step by
 * step, the way the engine would run it, with every packet it would send or
 * expect handed to a sink.  Used by fuzz/seeds.c (the per-target corpora of
 * our libFuzzer targets) and `mqttspec corpus` (raw packets for anyone's
 * parser); one walk, two layouts.
 *
 * connect / reconnect / disconnect steps become the packets the engine
 * builds (mqs_connect_json, mqs_disconnect_json); "send" packets and the
 * patterns of "expect", "one_of" and "connack" are substituted (every
 * captured variable reads 1) and encoded; "hex" steps are taken as they are.
 */
#ifndef MQTTSPEC_SEED_WALK_H
#define MQTTSPEC_SEED_WALK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "mqttspec/codec.h"
#include "mqttspec/scenario.h"

typedef struct mqs_seed_sink {
    void *ctx;
    /* One encoded packet, as `receiver` gets it (MQTT_ROLE_SERVER: a client sent it). Required. */
    void (*packet)(void *ctx, mqtt_version v, mqtt_role receiver, const uint8_t *bytes, size_t len);
    /* The JSON form the packet was built from, and the one the codec prints back. Optional. */
    void (*json)(void *ctx, mqtt_version v, mqtt_role receiver, const cJSON *json);
    /* At the end of the case: all a client sends (c2s) and all a server sends (s2c). Optional. */
    void (*streams)(void *ctx, mqtt_version v, const uint8_t *c2s, size_t c2s_len, const uint8_t *s2c,
                    size_t s2c_len);
    /* Each packet a client sends, with the name of the connection it travels on (a CONNECT opens one). Optional. */
    void (*sent)(void *ctx, mqtt_version v, const char *conn, const uint8_t *bytes, size_t len);
    /* What {prefix} and {cid} become; NULL: "mqttspec/seed/1" and "seedcid". */
    const char *prefix, *cid;
} mqs_seed_sink;

/* The file name a seed's bytes get: their 64-bit FNV-1a hash, so the same bytes are written once. */
uint64_t mqs_seed_hash(const uint8_t *p, size_t n);
/* mkdir that accepts a folder already there; otherwise -1 and "WHO: cannot create PATH: why" on stderr. */
int mqs_seed_mkdir(const char *path, const char *who);

/* Walk scenario sc at version v (one it declares). Not thread-safe: static buffers. */
void mqs_seed_walk(const mqs_scenario *sc, mqtt_version v, const mqs_seed_sink *sink);

#endif
