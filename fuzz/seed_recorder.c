/*
 * Seed recorder: linked into copies of the codec's unit tests with
 * -Wl,--wrap=<function>, it saves every input the tests hand to the codec
 * as a fuzz seed, then calls the real function.  So the hundreds of probes
 * of tests/test_validation.c (one per rule, plus near misses) and the
 * packets of the round-trip, framing and JSON tests become seed corpora
 * without anyone copying them out by hand, and stay in step with the tests.
 *
 * Compiled with REC_DECODE (mqtt_decode -> fuzz_decode/ and fuzz_roundtrip/,
 * selector byte + bytes), REC_JSON (mqtt_packet_from_json -> fuzz_json/,
 * version byte + JSON text) and/or REC_SCENARIO (mqs_scenario_load ->
 * fuzz_scenario/, the file's bytes).  Seeds go below $MQTTSPEC_FUZZ_SEED_DIR;
 * without it the wrappers only pass calls through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

enum { SEED_MAX = 1u << 16 }; /* larger inputs (the 2 MB packet tests) are no use as seeds */

/* FNV-1a: the file name, so a seed recorded twice is stored once. */
static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* Hashes saved so far: the framing tests decode the same packets thousands of times. */
enum { SEEN_CAP = 1u << 16 };
static uint64_t seen[SEEN_CAP];

static bool already_saved(uint64_t h)
{
    h |= 1; /* 0 marks a free slot */
    for (size_t i = h % SEEN_CAP, n = 0; n < SEEN_CAP; i = (i + 1) % SEEN_CAP, n++) {
        if (seen[i] == h)
            return true;
        if (seen[i] == 0) {
            seen[i] = h;
            return false;
        }
    }
    return true; /* full: enough seeds */
}

/* Writes prefix (0 or 1 byte) + data into $MQTTSPEC_FUZZ_SEED_DIR/<dir>/<hash>. */
static void save(const char *dir, const uint8_t *prefix, size_t prefix_len, const void *data, size_t len)
{
    const char *root = getenv("MQTTSPEC_FUZZ_SEED_DIR");
    if (!root || len > SEED_MAX)
        return;
    uint8_t *buf = malloc(prefix_len + len + 1);
    if (!buf)
        return;
    if (prefix_len)
        memcpy(buf, prefix, prefix_len);
    if (len)
        memcpy(buf + prefix_len, data, len);
    size_t n = prefix_len + len;
    uint64_t h = fnv1a(buf, n) ^ fnv1a((const uint8_t *)dir, strlen(dir));
    if (already_saved(h)) {
        free(buf);
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, dir);
    mkdir(root, 0777);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s/rec-%016llx", root, dir, (unsigned long long)fnv1a(buf, n));
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, n, f);
        fclose(f);
    }
    free(buf);
}

#ifdef REC_DECODE
mqtt_status __real_mqtt_decode(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out,
                               size_t *consumed, mqtt_error *err);
mqtt_status __wrap_mqtt_decode(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out,
                               size_t *consumed, mqtt_error *err);

mqtt_status __wrap_mqtt_decode(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out,
                               size_t *consumed, mqtt_error *err)
{
    uint8_t sel = fuzz_selector_make(opts->version, opts->role);
    /* Only the first packet: the stream tests hand over whatever follows it too; and
     * no packet cut short (the guard-page tests decode every prefix): libFuzzer cuts by itself. */
    size_t total = 0;
    mqtt_error ferr;
    mqtt_status st = mqtt_frame(buf, len, opts->max_packet_size, opts->version, &total, &ferr);
    if (st == MQTT_COMPLETE)
        len = total;
    if (st != MQTT_NEED_MORE) {
        save("fuzz_decode", &sel, 1, buf, len);
        save("fuzz_roundtrip", &sel, 1, buf, len);
    }
    return __real_mqtt_decode(buf, len, opts, out, consumed, err);
}
#endif

#ifdef REC_JSON
#include "mqttspec/packet_json.h"

int __real_mqtt_packet_from_json(const cJSON *json, mqtt_version version, mqtt_packet *out, uint8_t *arena,
                                 size_t arena_cap, char *err, size_t err_cap);
int __wrap_mqtt_packet_from_json(const cJSON *json, mqtt_version version, mqtt_packet *out, uint8_t *arena,
                                 size_t arena_cap, char *err, size_t err_cap);

/* fuzz_json's selector: bits 0-1 pick 5.0 (0), 3.1 (1), 3.1.1 (2). */
static uint8_t json_selector(mqtt_version v) { return v == MQTT_V31 ? 1 : v == MQTT_V311 ? 2 : 0; }

int __wrap_mqtt_packet_from_json(const cJSON *json, mqtt_version version, mqtt_packet *out, uint8_t *arena,
                                 size_t arena_cap, char *err, size_t err_cap)
{
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;
    if (text) {
        uint8_t sel = json_selector(version);
        save("fuzz_json", &sel, 1, text, strlen(text));
        free(text);
    }
    return __real_mqtt_packet_from_json(json, version, out, arena, arena_cap, err, err_cap);
}
#endif

#ifdef REC_SCENARIO
#include "mqttspec/scenario.h"

int __real_mqs_scenario_load(const char *path, mqs_scenario *out, char *err, size_t err_cap);
int __wrap_mqs_scenario_load(const char *path, mqs_scenario *out, char *err, size_t err_cap);

int __wrap_mqs_scenario_load(const char *path, mqs_scenario *out, char *err, size_t err_cap)
{
    FILE *f = fopen(path, "rb");
    if (f) {
        static uint8_t buf[SEED_MAX];
        size_t n = fread(buf, 1, sizeof buf, f);
        if (feof(f))
            save("fuzz_scenario", NULL, 0, buf, n);
        fclose(f);
    }
    return __real_mqs_scenario_load(path, out, err, err_cap);
}
#endif
