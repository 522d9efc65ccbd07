/*
 * Sessions from the scenario corpus (nf_gen_sessions): what a client sends on
 * each connection of each client-role scenario, walked the way the seed
 * corpora are (mqttspec/seed_walk.h) but with the stream's own topic base and
 * client id, so that session cases stay in the stream's topics and resume the
 * stream's sessions.  Read once per stream when the campaign starts.
 */
#include <stdlib.h>
#include <string.h>

#include "mqttspec/scenario.h"
#include "mqttspec/seed_walk.h"
#include "netfuzz_internal.h"

enum { OPEN_MAX = 16 }; /* connections of one scenario followed at once */

typedef struct collect {
    nf_gen *g;
    const char *scenario;
    const char *open_name[OPEN_MAX]; /* connection name -> index in g->sessions of its current session */
    size_t open_index[OPEN_MAX];
    unsigned nopen;
    bool failed;
} collect;

static void ignore_packet(void *ctx, mqtt_version v, mqtt_role receiver, const uint8_t *p, size_t n)
{
    (void)ctx, (void)v, (void)receiver, (void)p, (void)n;
}

/* A new session for connection conn; NULL when the scenario has too many connections, or out of memory. */
static nf_session *new_session(collect *c, const char *conn)
{
    nf_gen *g = c->g;
    unsigned i = 0;
    while (i < c->nopen && strcmp(c->open_name[i], conn) != 0)
        i++;
    if (i == OPEN_MAX)
        return NULL;
    nf_session *grown = realloc(g->sessions, (g->nsessions + 1) * sizeof *grown);
    if (!grown) {
        c->failed = true;
        return NULL;
    }
    g->sessions = grown;
    nf_session *s = &g->sessions[g->nsessions];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", c->scenario);
    if (i == c->nopen)
        c->open_name[c->nopen++] = conn;
    c->open_index[i] = g->nsessions++;
    return s;
}

static nf_session *current_session(collect *c, const char *conn)
{
    for (unsigned i = 0; i < c->nopen; i++)
        if (strcmp(c->open_name[i], conn) == 0)
            return &c->g->sessions[c->open_index[i]];
    return NULL;
}

static void on_sent(void *ctx, mqtt_version v, const char *conn, const uint8_t *p, size_t n)
{
    (void)v;
    collect *c = ctx;
    if (c->failed || n == 0 || n > NF_CASE_CAP / 2) /* the 2 MB packets of the limit cases are no prefix */
        return;
    bool opens = p[0] >> 4 == MQTT_CONNECT;
    nf_session *s = opens ? new_session(c, conn) : current_session(c, conn);
    if (!s) /* a packet before any CONNECT of its connection is left out */
        return;
    nf_bytes *grown = realloc(s->pk, (s->npk + 1) * sizeof *grown);
    uint8_t *copy = malloc(n);
    if (!grown || !copy) {
        free(copy);
        if (grown)
            s->pk = grown;
        c->failed = true;
        return;
    }
    s->pk = grown;
    memcpy(copy, p, n);
    s->pk[s->npk++] = (nf_bytes){copy, n};
}

static bool runs_at(const mqs_scenario *sc, mqtt_version v)
{
    for (int i = 0; i < sc->nversions; i++)
        if (sc->versions[i] == v)
            return true;
    return false;
}

int nf_gen_sessions(nf_gen *g, const mqs_scenario_set *set)
{
    if (!g->tail && !(g->tail = malloc(sizeof *g->tail)))
        return -1;
    for (size_t i = 0; set && i < set->count; i++) {
        const mqs_scenario *sc = &set->items[i];
        if (sc->role != MQS_ROLE_CLIENT || !runs_at(sc, g->version))
            continue;
        collect c = {.g = g, .scenario = sc->id};
        mqs_seed_sink sink = {.ctx = &c, .packet = ignore_packet, .sent = on_sent,
                              .prefix = g->topic_base, .cid = g->client_id};
        mqs_seed_walk(sc, g->version, &sink);
        if (c.failed)
            return -1;
    }
    return 0;
}

void nf_sessions_free(nf_gen *g)
{
    for (size_t i = 0; i < g->nsessions; i++) {
        for (size_t k = 0; k < g->sessions[i].npk; k++)
            free(g->sessions[i].pk[k].p);
        free(g->sessions[i].pk);
    }
    free(g->sessions);
    free(g->tail);
    g->sessions = NULL;
    g->tail = NULL;
    g->nsessions = 0;
}
