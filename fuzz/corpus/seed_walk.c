/*
 * The scenario walk behind the seed corpora (mqttspec/seed_walk.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "match.h"
#include "mqttspec/packet_json.h"
#include "mqttspec/seed_walk.h"
#include "scenario_internal.h"

enum { ARENA_CAP = 1u << 20, STREAM_CAP = 1u << 16, CONNS_MAX = 16 };


typedef struct side {
    uint8_t bytes[STREAM_CAP];
    size_t len;
} side;

typedef struct walk {
    const mqs_scenario *sc;
    const mqs_seed_sink *sink;
    mqtt_version v;
    cJSON *captures; /* every $capture name -> 1 */
    const cJSON *last_connect[CONNS_MAX];
    const char *conn_names[CONNS_MAX];
    side c2s, s2c;
    const char *conn; /* the connection of the step being walked */
} walk;

static uint8_t arena[ARENA_CAP];

static void append(side *s, const uint8_t *p, size_t n)
{
    if (n <= STREAM_CAP - s->len) {
        memcpy(s->bytes + s->len, p, n);
        s->len += n;
    }
}

/* Bytes the `role` side receives. */
static void emit_packet(walk *w, const uint8_t *p, size_t n, mqtt_role role)
{
    w->sink->packet(w->sink->ctx, w->v, role, p, n);
    if (role == MQTT_ROLE_SERVER && w->sink->sent)
        w->sink->sent(w->sink->ctx, w->v, w->conn, p, n);
    append(role == MQTT_ROLE_SERVER ? &w->c2s : &w->s2c, p, n);
}

static void emit_json(walk *w, const cJSON *json, mqtt_role role)
{
    if (w->sink->json)
        w->sink->json(w->sink->ctx, w->v, role, json);
}

/* A packet in JSON form (template or pattern) as the engine would build it; quietly skipped if it is no packet. */
static void json_packet(walk *w, const cJSON *tmpl, mqtt_role receiver)
{
    char err[300];
    const char *prefix = w->sink->prefix ? w->sink->prefix : "mqttspec/seed/1";
    mqs_vars vars = {w->captures, prefix, w->sink->cid ? w->sink->cid : "seedcid", "mqttspec/denied"};
    cJSON *json = mqs_substitute(tmpl, &vars, err, sizeof err);
    mqtt_packet pkt;
    if (json && mqtt_packet_from_json(json, w->v, &pkt, arena, sizeof arena, err, sizeof err) == 0) {
        emit_json(w, json, receiver);
        size_t n = mqtt_encoded_size(&pkt, w->v);
        uint8_t *wire = malloc(n ? n : 1);
        if (wire && n && mqtt_encode(&pkt, w->v, wire, n) == n) {
            emit_packet(w, wire, n, receiver);
            cJSON *shown = mqtt_packet_to_json(&pkt, w->v);
            if (shown)
                emit_json(w, shown, receiver);
            cJSON_Delete(shown);
        }
        free(wire);
    }
    cJSON_Delete(json);
}

static void hex_packet(walk *w, const char *hex)
{
    size_t n = 0;
    if (mqs_hex_decode(hex, NULL, 0, &n) < 0 || n == 0 || n > ARENA_CAP)
        return;
    mqs_hex_decode(hex, arena, ARENA_CAP, &n);
    emit_packet(w, arena, n, MQTT_ROLE_SERVER);
}

/* ---- steps ---- */

static const cJSON **last_connect_of(walk *w, const char *name)
{
    for (int i = 0; i < CONNS_MAX; i++) {
        if (w->conn_names[i] && strcmp(w->conn_names[i], name) == 0)
            return &w->last_connect[i];
        if (!w->conn_names[i]) {
            w->conn_names[i] = name;
            return &w->last_connect[i];
        }
    }
    return &w->last_connect[CONNS_MAX - 1];
}

static void connect_step(walk *w, const cJSON *step)
{
    const cJSON **prev = last_connect_of(w, step->child->valuestring);
    cJSON *connect = mqs_connect_json(step, *prev);
    *prev = step;
    if (connect)
        json_packet(w, connect, MQTT_ROLE_SERVER);
    cJSON_Delete(connect);
    const cJSON *pattern = cJSON_GetObjectItemCaseSensitive(step, "connack");
    cJSON *connack = cJSON_IsObject(pattern) ? cJSON_Duplicate(pattern, true) : cJSON_CreateObject();
    if (connack && !cJSON_GetObjectItemCaseSensitive(connack, "type"))
        cJSON_AddStringToObject(connack, "type", "CONNACK");
    if (connack)
        json_packet(w, connack, MQTT_ROLE_CLIENT);
    cJSON_Delete(connack);
}

static void expected_packets(walk *w, const cJSON *step)
{
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(step, "packet");
    const cJSON *many = cJSON_GetObjectItemCaseSensitive(step, "packets");
    const cJSON *outcomes = cJSON_GetObjectItemCaseSensitive(step, "outcomes");
    if (one)
        json_packet(w, one, MQTT_ROLE_CLIENT);
    for (const cJSON *it = many ? many->child : NULL; it; it = it->next)
        json_packet(w, it, MQTT_ROLE_CLIENT);
    for (const cJSON *it = outcomes ? outcomes->child : NULL; it; it = it->next) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(it, "packet");
        if (p)
            json_packet(w, p, MQTT_ROLE_CLIENT);
    }
}

static void run_step(walk *w, const cJSON *step)
{
    const char *action = step->child ? step->child->string : "";
    w->conn = cJSON_IsString(step->child) ? step->child->valuestring : "";
    if (strcmp(action, "connect") == 0 || strcmp(action, "reconnect") == 0) {
        connect_step(w, step);
    } else if (strcmp(action, "send") == 0) {
        const cJSON *packet = cJSON_GetObjectItemCaseSensitive(step, "packet");
        const cJSON *hex = cJSON_GetObjectItemCaseSensitive(step, "hex");
        if (packet)
            json_packet(w, packet, MQTT_ROLE_SERVER);
        else if (cJSON_IsString(hex))
            hex_packet(w, hex->valuestring);
    } else if (strcmp(action, "disconnect") == 0) {
        cJSON *pkt = mqs_disconnect_json(step);
        if (pkt)
            json_packet(w, pkt, MQTT_ROLE_SERVER);
        cJSON_Delete(pkt);
    } else if (strcmp(action, "expect") == 0 || strcmp(action, "one_of") == 0) {
        expected_packets(w, step);
    }
}

/* Every {"$capture": "name"} of the document, as name -> 1. */
static void collect_captures(const cJSON *j, cJSON *captures)
{
    for (const cJSON *it = j ? j->child : NULL; it; it = it->next) {
        if (it->string && strcmp(it->string, "$capture") == 0 && cJSON_IsString(it) &&
            !cJSON_GetObjectItemCaseSensitive(captures, it->valuestring))
            cJSON_AddNumberToObject(captures, it->valuestring, 1);
        collect_captures(it, captures);
    }
}

void mqs_seed_walk(const mqs_scenario *sc, mqtt_version v, const mqs_seed_sink *sink)
{
    static walk w;
    memset(&w, 0, sizeof w);
    w.sc = sc;
    w.sink = sink;
    w.v = v;
    w.captures = cJSON_CreateObject();
    collect_captures(sc->root, w.captures);
    for (const cJSON *step = sc->steps->child; step; step = step->next)
        if (mqs_step_applies(step, v))
            run_step(&w, step);
    if (sink->streams)
        sink->streams(sink->ctx, v, w.c2s.bytes, w.c2s.len, w.s2c.bytes, w.s2c.len);
    cJSON_Delete(w.captures);
}

uint64_t mqs_seed_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

int mqs_seed_mkdir(const char *path, const char *who)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "%s: cannot create %s: %s\n", who, path, strerror(errno));
    return -1;
}
