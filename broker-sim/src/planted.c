/*
 * Planted bugs: crash quirks that imitate what brokers' security advisories
 * list (docs/fuzzing.md), so the supervised fuzzer and `run --broker-cmd`
 * can be shown to find them.  Run as its own process (`mqttspec sim`,
 * cfg.real_crashes) the sim really dies: abort(), a stack overflow, exit(1).
 * Embedded in mqttspec (the default target, the quirk matrix) it imitates
 * the crash instead: every listener and connection closes (play_crash), so
 * the run that hosts it survives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DEEP_TOPIC_LEVELS 5000 /* the imitation's threshold; the real recursion overflows near 8000 levels */

/* Die as a real broker would, or imitate it; what goes to stderr like a broker's last words. */
static void planted_crash(sim_conn *c, const char *what, int how)
{
    if (!c->b->cfg.real_crashes) {
        sim_log(c->b, "planted crash: %s", what);
        c->b->crash_pending = true;
        return;
    }
    fprintf(stderr, "broker-sim: planted crash: %s\n", what);
    fflush(stderr);
    if (how == 'e')
        exit(1);
    abort();
}

#define LEAK_BYTES (1u << 20)          /* per leak: far above a broker's usual growth per case */
#define ANNOUNCED_MAX (16u << 20)      /* alloc-announced-length takes at most this per connection */
#define ANNOUNCED_MIN (64u << 10)      /* ... and only for packets announcing more than this */

#define LEAK_TOTAL_MAX (256u << 20) /* the planted leaks stop here: a finding, not a machine out of memory */

/* Memory that is never freed, touched so it counts in the resident set. */
static void leak(size_t n)
{
    static size_t leaked;
    if (leaked + n > LEAK_TOTAL_MAX)
        return;
    leaked += n;
    void *p = malloc(n);
    if (p)
        memset(p, 0xA5, n);
    /* p is lost on purpose: the planted leak */
}

void sim_planted_on_qos2_resend(sim_conn *c)
{
    if (c->b->cfg.real_crashes && sim_quirk(c->quirks, SIM_Q_LEAK_QOS2_RESEND))
        leak(LEAK_BYTES);
}

/* The Remaining Length the buffered packet announces; 0 if it does not say yet. */
static size_t announced_length(const sim_conn *c)
{
    const uint8_t *p = c->in.buf + c->in.start;
    size_t n = c->in.end - c->in.start, rl = 0;
    for (size_t i = 1; i < n && i <= 4; i++) {
        rl |= (size_t)(p[i] & 0x7F) << (7 * (i - 1));
        if (!(p[i] & 0x80))
            return rl;
    }
    return 0;
}

void sim_planted_before_connect(sim_conn *c)
{
    if (!c->b->cfg.real_crashes || !sim_quirk(c->quirks, SIM_Q_ALLOC_ANNOUNCED_LENGTH) || c->planted_alloc ||
        c->version != MQTT_VERSION_UNKNOWN)
        return;
    size_t rl = announced_length(c);
    if (rl <= ANNOUNCED_MIN)
        return;
    c->planted_alloc = true;
    leak(rl < ANNOUNCED_MAX ? rl : ANNOUNCED_MAX);
}

bool sim_planted_on_malformed(sim_conn *c, const mqtt_error *err)
{
    sim_planted_before_connect(c); /* a packet too large for us: the planted bug allocated it first */
    if (c->b->cfg.real_crashes && sim_quirk(c->quirks, SIM_Q_LEAK_WILL_PROPERTY) &&
        c->version == MQTT_VERSION_UNKNOWN && strstr(mqtt_err_name(err->code), "PROPERTY"))
        leak(LEAK_BYTES);
    if (!sim_quirk(c->quirks, SIM_Q_CRASH_ON_MALFORMED))
        return false;
    char what[160];
    snprintf(what, sizeof what, "exit on a malformed packet (%s)", mqtt_err_name(err->code));
    planted_crash(c, what, 'e');
    return true;
}

/* One stack frame per topic level, each with a buffer the compiler must keep: the recursion that a
 * topic with tens of thousands of levels turns into a stack overflow. */
static size_t count_levels(const uint8_t *p, size_t n, volatile unsigned depth)
{
    volatile char frame[1024];
    frame[depth % sizeof frame] = (char)depth;
    const uint8_t *slash = memchr(p, '/', n);
    if (!slash)
        return 1 + (size_t)(frame[depth % sizeof frame] != (char)depth);
    return 1 + count_levels(slash + 1, n - (size_t)(slash + 1 - p), depth + 1);
}

static size_t levels_of(mqtt_bytes topic)
{
    size_t levels = 1;
    for (size_t i = 0; i < topic.len; i++)
        levels += topic.ptr[i] == '/';
    return levels;
}

bool sim_planted_on_publish(sim_conn *c, mqtt_bytes topic)
{
    if (sim_quirk(c->quirks, SIM_Q_ABORT_ON_DOLLAR_PUBLISH) && topic.len > 0 && topic.ptr[0] == '$') {
        planted_crash(c, "assertion: a client PUBLISH to a $-topic", 'a');
        return true;
    }
    if (sim_quirk(c->quirks, SIM_Q_DEEP_TOPIC_RECURSION)) {
        if (c->b->cfg.real_crashes) {
            count_levels(topic.ptr, topic.len, 0); /* overflows the stack on deep topics */
        } else if (levels_of(topic) > DEEP_TOPIC_LEVELS) {
            planted_crash(c, "stack overflow: a topic with tens of thousands of levels", 'a');
            return true;
        }
    }
    return false;
}

bool sim_quirk_is_planted(sim_quirk_id q)
{
    switch (q) {
    case SIM_Q_CRASH_ON_CLIENT_CONNACK:
    case SIM_Q_CRASH_ON_MALFORMED:
    case SIM_Q_ABORT_ON_DOLLAR_PUBLISH:
    case SIM_Q_DEEP_TOPIC_RECURSION:
    case SIM_Q_LEAK_QOS2_RESEND:
    case SIM_Q_ALLOC_ANNOUNCED_LENGTH:
    case SIM_Q_LEAK_WILL_PROPERTY:
        return true;
    default:
        return false;
    }
}
