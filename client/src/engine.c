/*
 * Running one case: the steps of a scenario at one protocol version.  A step
 * that sees something the scenario does not allow ends the case with FAIL
 * (or records a WARN for "should" steps), naming the step, the field, what
 * was expected and what arrived.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "match.h"
#include "mqttspec/packet_json.h"
#include "scenario_internal.h"

#define DEFAULT_WITHIN_MS 3000
#define DEFAULT_ACCEPT_MS 30000

/* ---- verdicts ---- */

/* The version statements are cited at: the case's, or (server role, before the client's CONNECT) the first listed. */
static mqtt_version citing_version(const runctx *x)
{
    return x->v != MQTT_VERSION_UNKNOWN || x->sc->nversions == 0 ? x->v : x->sc->versions[0];
}

/*
 * The rule an answer of each type is owed by, and the id prefixes of the
 * sections about it.  A step awaiting such an answer that has no "spec" of
 * its own cites the scenario's statements from those sections, or else this
 * rule: when the SUBACK of a set-up step never comes, the FAIL is about the
 * SUBACK, not about the scenario's headline that was never exercised.
 */
typedef struct response_rule {
    int type;
    const char *s311, *s5;     /* the statement, without version */
    const char *sections[2];   /* id prefixes of the statements about this answer */
} response_rule;

static const response_rule response_rules[] = {
    {MQTT_CONNACK, "MQTT-3.1.4-4", "MQTT-3.1.4-5", {"MQTT-3.1.", "MQTT-3.2."}},
    {MQTT_SUBACK, "MQTT-3.8.4-1", "MQTT-3.8.4-1", {"MQTT-3.8.", "MQTT-3.9."}},
    {MQTT_UNSUBACK, "MQTT-3.10.4-4", "MQTT-3.10.4-4", {"MQTT-3.10.", "MQTT-3.11."}},
    {MQTT_PUBACK, "MQTT-4.3.2-2", "MQTT-4.3.2-4", {"MQTT-3.4.", "MQTT-4.3.2-"}},
    {MQTT_PUBREC, "MQTT-4.3.3-2", "MQTT-4.3.3-8", {"MQTT-3.5.", "MQTT-4.3.3-"}},
    {MQTT_PUBREL, "MQTT-4.3.3-1", "MQTT-4.3.3-4", {"MQTT-3.6.", "MQTT-4.3.3-"}},
    {MQTT_PUBCOMP, "MQTT-4.3.3-2", "MQTT-4.3.3-11", {"MQTT-3.7.", "MQTT-4.3.3-"}},
    {MQTT_PINGRESP, "MQTT-3.12.4-1", "MQTT-3.12.4-1", {"MQTT-3.12.", "MQTT-3.13."}},
};

const char *mqs_response_statement(int packet_type, mqtt_version v)
{
    for (size_t i = 0; i < sizeof response_rules / sizeof response_rules[0]; i++)
        if (response_rules[i].type == packet_type)
            return v == MQTT_V5 ? response_rules[i].s5 : response_rules[i].s311;
    return NULL;
}

static const response_rule *rule_for(int type)
{
    for (size_t i = 0; i < sizeof response_rules / sizeof response_rules[0]; i++)
        if (response_rules[i].type == type)
            return &response_rules[i];
    return NULL;
}

/* The one packet type the current step waits for (a connect: CONNACK); -1 if none or several. */
static int awaited_type(runctx *x)
{
    const char *action = x->step->child->string;
    if (strcmp(action, "connect") == 0 || strcmp(action, "reconnect") == 0)
        return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(x->step, "connack")) ? -1 : MQTT_CONNACK;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(x->step, "packet");
    const cJSON *type = strcmp(action, "expect") == 0 ? cJSON_GetObjectItemCaseSensitive(p, "type") : NULL;
    return cJSON_IsString(type) ? mqtt_packet_type_by_name(type->valuestring) : -1;
}

/* Does statement "V:MQTT-x.y.z-n" belong to this version and (if rule) to one of the rule's sections? */
static bool cites(const char *stmt, const char *vprefix, const response_rule *rule)
{
    if (strncmp(stmt, vprefix, strlen(vprefix)) != 0)
        return false;
    const char *id = stmt + strlen(vprefix);
    return !rule || strncmp(id, rule->sections[0], strlen(rule->sections[0])) == 0 ||
           strncmp(id, rule->sections[1], strlen(rule->sections[1])) == 0;
}

/* The statements a failure of the current step cites for this version, comma-separated. */
static void cited_statements(runctx *x, char *out, size_t cap)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(x->step, "spec");
    const response_rule *rule = spec ? NULL : rule_for(awaited_type(x));
    if (!spec)
        spec = x->sc->spec;
    mqtt_version v = citing_version(x);
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s:", mqtt_version_name(v));
    out[0] = '\0';
    for (const cJSON *s = spec ? spec->child : NULL; s; s = s->next) {
        if (!cites(s->valuestring, prefix, rule))
            continue;
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%s", len ? ", " : "", s->valuestring);
    }
    if (!out[0] && rule)
        snprintf(out, cap, "%s%s", prefix, v == MQTT_V5 ? rule->s5 : rule->s311);
}

static bool step_is_should(runctx *x)
{
    const cJSON *sev = cJSON_GetObjectItemCaseSensitive(x->step, "severity");
    return cJSON_IsString(sev) && strcmp(sev->valuestring, "should") == 0;
}

static bool step_is_precondition(runctx *x)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x->step, "precondition"));
}

/*
 * The scenario does not apply to this peer or run (a precondition step did
 * not hold, or there is nothing to judge): the case ends with SKIP, unless a
 * WARN was already recorded.
 */
static bool case_skip(runctx *x, const char *why, const char *detail)
{
    char msg[1200];
    snprintf(msg, sizeof msg, "%s: step %d: %s%s", x->sc->file, x->step_no, why, detail);
    mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, NULL, msg, NULL, 0);
    if (x->res->verdict == MQS_PASS)
        mqs_case_set(x->res, MQS_SKIP, x->step_no, NULL, msg);
    x->stop = true;
    return false;
}

static void set_detail(runctx *x, const cJSON *expected, const char *actual)
{
    free(x->res->expected);
    free(x->res->actual);
    x->res->expected = expected ? cJSON_Print(expected) : NULL;
    x->res->actual = actual ? strdup(actual) : NULL;
}

/*
 * The step failed: "FILE: step N: FIELD expected X vs actual Y".  A "should"
 * step, or a timing inside the tolerance band (warn_only), gives WARN and the
 * case goes on; anything else is a FAIL and ends it.
 */
static bool step_failed(runctx *x, bool warn_only, const char *field, const char *why, const cJSON *expected,
                        const char *actual)
{
    char detail[1000], msg[1024], stmt[256];
    bool warn = warn_only || step_is_should(x);
    snprintf(detail, sizeof detail, "%s%s%s", field ? field : "", field ? " " : "", why);
    if (step_is_precondition(x))
        return case_skip(x, "precondition not met: ", detail);
    snprintf(msg, sizeof msg, "%s: step %d: %s", x->sc->file, x->step_no, detail);
    cited_statements(x, stmt, sizeof stmt);
    mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, NULL, msg, NULL, 0);
    if (warn) {
        if (x->res->verdict == MQS_PASS) {
            mqs_case_set(x->res, MQS_WARN, x->step_no, stmt, msg);
            set_detail(x, expected, actual);
        }
        return true;
    }
    mqs_case_set(x->res, MQS_FAIL, x->step_no, stmt, msg);
    set_detail(x, expected, actual);
    if (x->waited_out) {
        x->res->waited_from = x->step_started;
        x->res->waited_to = mqs_now_ms();
    }
    x->stop = true;
    return false;
}

void mqs_case_error(runctx *x, const char *fmt, ...)
{
    /* fmt comes from this file's callers only (declared printf-like in engine_internal.h). */
    char why[512], msg[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s: step %d: %s", x->sc->file, x->step_no, why);
    mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, NULL, msg, NULL, 0);
    mqs_case_set(x->res, MQS_ERROR, x->step_no, NULL, msg);
    x->stop = true;
}

/* The target (or the client under test) sent bytes the codec rejects: the codec names the statement. */
void mqs_case_fail_codec(runctx *x, conn *c, const mqtt_error *err)
{
    char why[400], stmt[64], msg[800];
    mqtt_version v = err->version ? (mqtt_version)err->version : citing_version(x);
    mqtt_err_format(err, v, why, sizeof why);
    const char *id = mqtt_err_statement(err->code, v);
    if (id && strncmp(id, "MQTT-", 5) != 0) /* MQTT 3.1 has no numbered statements: a section is cited */
        snprintf(stmt, sizeof stmt, "%s (%s)", mqtt_version_name(v), id);
    else
        snprintf(stmt, sizeof stmt, "%s:%s", mqtt_version_name(v), id ? id : "local-limit");
    snprintf(msg, sizeof msg, "%s: step %d: [%s] malformed packet from the %s: %s", x->sc->file, x->step_no,
             c->name, x->role == MQS_ROLE_SERVER ? "client" : "target", why);
    const uint8_t *p = c->stream.buf + c->stream.start;
    size_t n = c->stream.end - c->stream.start;
    mqs_case_event(x->res, mqs_rel(x), MQS_EV_RECEIVED, c->name, "MALFORMED", p, n);
    mqs_case_set(x->res, MQS_FAIL, x->step_no, stmt, msg);
    x->stop = true;
}

void mqs_case_adopt_version(runctx *x, conn *c, int level)
{
    if (x->v != MQTT_VERSION_UNKNOWN)
        return;
    mqtt_version v = level >= MQTT_V31 && level <= MQTT_V5 ? (mqtt_version)level : MQTT_VERSION_UNKNOWN;
    free(x->res->version);
    x->res->version = mqs_strdup(v ? mqtt_version_name(v) : "unknown");
    const char *name = v ? mqtt_version_name(v) : "an unknown version";
    char note[160];
    snprintf(note, sizeof note, "the client speaks %s (protocol level %d)", name, level);
    mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, c->name, note, NULL, 0);
    if (v && mqs_scenario_has_version(x->sc, v)) {
        x->v = v;
        return;
    }
    char msg[400], accepted[64] = "";
    for (int i = 0; i < x->sc->nversions; i++)
        snprintf(accepted + strlen(accepted), sizeof accepted - strlen(accepted), "%s%s", i ? ", " : "",
                 mqtt_version_name(x->sc->versions[i]));
    snprintf(msg, sizeof msg, "%s: client spoke %s (protocol level %d); the scenario accepts %s", x->sc->file, name,
             level, accepted);
    mqs_case_set(x->res, MQS_SKIP, x->step_no, NULL, msg);
    x->stop = true;
}

/* ---- building what we send ---- */

static cJSON *substituted(runctx *x, const cJSON *tmpl)
{
    char err[200];
    mqs_vars vars = {x->captures, x->prefix, x->cid, x->opts->denied_topic};
    cJSON *out = mqs_substitute(tmpl, &vars, err, sizeof err);
    if (!out)
        mqs_case_error(x, "%s", err);
    return out;
}

/* The protocol name that goes with a level: "MQIsdp" for 3.1, "MQTT" after. */
static bool protocol_name_fits(const mqtt_connect *cn)
{
    const char *name = cn->protocol_level == MQTT_V31 ? "MQIsdp" : "MQTT";
    return cn->protocol_name.len == strlen(name) && memcmp(cn->protocol_name.ptr, name, cn->protocol_name.len) == 0;
}

/*
 * Replies are decoded at the level of the CONNECT we send; -1 marks a CONNECT
 * no version of ours describes (a level we do not speak, or a protocol name
 * that is not MQTT's): the server may then answer under another
 * specification (3.1.1 and 5.0 MQTT-3.1.2-1), so its reply is read in either
 * CONNACK layout, or as foreign bytes.
 */
static void note_connect_level(conn *c, const mqtt_packet *pkt, mqtt_status st)
{
    if (st == MQTT_NEED_MORE || pkt->type != MQTT_CONNECT)
        return;
    uint8_t level = pkt->u.connect.protocol_level;
    c->level = st == MQTT_COMPLETE && level >= MQTT_V31 && level <= MQTT_V5 && protocol_name_fits(&pkt->u.connect)
                   ? level
                   : -1;
}

/* Server role: our CONNACK is the one in force on c, and its 5.0 Server Keep Alive replaces the client's value. */
static void note_connack_sent(runctx *x, conn *c, const mqtt_packet *pkt)
{
    mqtt_property prop;
    if (x->role != MQS_ROLE_SERVER || pkt->type != MQTT_CONNACK)
        return;
    c->connack_seen = true;
    if (x->v == MQTT_V5 && mqtt_prop_find(pkt->u.connack.props, MQTT_PROP_SERVER_KEEP_ALIVE, &prop))
        c->keep_alive_s = (int)prop.value;
}

/* Encode a packet given in JSON form (after substitution) and send it. */
static bool send_json(runctx *x, conn *c, const cJSON *tmpl)
{
    cJSON *json = substituted(x, tmpl);
    if (!json)
        return false;
    mqtt_packet pkt;
    char err[300];
    uint8_t *wire = NULL;
    bool ok = false;
    if (mqtt_packet_from_json(json, x->v, &pkt, x->arena, MQS_ARENA_CAP, err, sizeof err) < 0) {
        mqs_case_error(x, "packet%s", err);
    } else {
        size_t size = mqtt_encoded_size(&pkt, x->v);
        wire = size ? malloc(size) : NULL;
        if (!wire || mqtt_encode(&pkt, x->v, wire, size) != size) {
            mqs_case_error(x, "the packet cannot be encoded");
        } else {
            char line[240];
            mqtt_print(&pkt, x->v, line, sizeof line);
            if (x->role == MQS_ROLE_CLIENT)
                note_connect_level(c, &pkt, MQTT_COMPLETE);
            note_connack_sent(x, c, &pkt);
            mqs_limits_note_sent(x, c, &pkt, x->v);
            ok = mqs_conn_send(x, c, wire, size, line);
        }
    }
    free(wire);
    cJSON_Delete(json);
    return ok;
}

bool mqs_send_json(runctx *x, conn *c, const cJSON *tmpl) { return send_json(x, c, tmpl); }

bool mqs_step_fail(runctx *x, const char *field, const char *why, const cJSON *expected, const char *actual)
{
    return step_failed(x, false, field, why, expected, actual);
}

/*
 * A CONNECT given as raw bytes cannot take the target's credentials; on a
 * target that refuses anonymous logins the case cannot run as written.
 */
static bool raw_connect_needs_login(runctx *x, const uint8_t *raw, size_t n)
{
    const mqs_version_profile *vp = x->opts->profile ? mqs_profile_get(x->opts->profile, x->v) : NULL;
    return n && raw[0] >> 4 == MQTT_CONNECT && x->role == MQS_ROLE_CLIENT &&
           (x->opts->target.username || x->opts->target.password) && vp && vp->anonymous_login == 0;
}

static bool send_hex(runctx *x, conn *c, const char *hex)
{
    size_t n = 0;
    mqs_hex_decode(hex, NULL, 0, &n);
    uint8_t *raw = malloc(n ? n : 1);
    if (!raw) {
        mqs_case_error(x, "out of memory");
        return false;
    }
    mqs_hex_decode(hex, raw, n, &n);
    if (raw_connect_needs_login(x, raw, n)) {
        free(raw);
        return case_skip(x, "this case sends a CONNECT of its own bytes, without the user name and password given "
                            "with -u/-P, and the target refuses anonymous logins (found by the probe)",
                         "");
    }
    /* Say what the bytes are, as our codec reads them in the peer's role. */
    char line[300] = "raw bytes";
    mqtt_decode_opts opts = {x->v, x->role == MQS_ROLE_SERVER ? MQTT_ROLE_CLIENT : MQTT_ROLE_SERVER, 0};
    mqtt_packet pkt;
    mqtt_error err;
    size_t used;
    mqtt_status st = mqtt_decode(raw, n, &opts, &pkt, &used, &err);
    if (x->role == MQS_ROLE_CLIENT && n && raw[0] >> 4 == MQTT_CONNECT) {
        pkt.type = MQTT_CONNECT; /* a malformed CONNECT still decides how replies are read */
        note_connect_level(c, &pkt, st == MQTT_COMPLETE ? st : MQTT_MALFORMED);
    }
    if (st == MQTT_COMPLETE) {
        mqtt_print(&pkt, x->v, line, sizeof line);
    } else if (st == MQTT_MALFORMED) {
        char why[240];
        mqtt_err_format(&err, x->v, why, sizeof why);
        snprintf(line, sizeof line, "raw bytes, malformed on purpose: %s", why);
    }
    bool ok = mqs_conn_send(x, c, raw, n, line);
    free(raw);
    return ok;
}

/* ---- expectations ---- */

static const char *step_conn_name(runctx *x) { return x->step->child->valuestring; }

static int within_ms(runctx *x, const char *key, int dflt)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(x->step, key);
    return cJSON_IsNumber(w) ? w->valueint : dflt;
}

/* What arrived instead, for messages: the packet's one-liner and JSON, or the close. */
static void describe_actual(runctx *x, conn *c, char *out, size_t cap, int waited_ms)
{
    inbound *in = mqs_inbox_peek(c);
    x->waited_out = !in && !c->closed;
    if (in) {
        char *json = mqs_inbound_text(x, in);
        snprintf(out, cap, "%s %s", in->line, json ? json : "");
        free(json);
    } else if (c->closed) {
        snprintf(out, cap, "connection closed by the peer");
    } else {
        snprintf(out, cap, "nothing within %d ms", waited_ms);
    }
}

/* Match the pattern against the first packet waiting on c; consumes it on success. */
static bool take_matching(runctx *x, conn *c, const cJSON *pattern, char *path, size_t path_cap, char *why,
                          size_t why_cap)
{
    inbound *in = mqs_inbox_peek(c);
    if (!in || !mqs_pattern_match(pattern, in->json, x->captures, path, path_cap, why, why_cap))
        return false;
    c->last_received_at = in->at;
    mqs_inbox_pop(c);
    return true;
}

/* Complete a pattern from a step: substitutions, and "type" defaulted where the step implies it. */
static cJSON *pattern_of(runctx *x, const cJSON *tmpl, const char *default_type)
{
    cJSON *p = substituted(x, tmpl);
    if (p && default_type && !cJSON_GetObjectItemCaseSensitive(p, "type"))
        cJSON_AddStringToObject(p, "type", default_type);
    return p;
}

/* Does json match the pattern (an object), or any of the patterns (an array)? */
static bool matches_any(const cJSON *patterns, const cJSON *json)
{
    if (cJSON_IsObject(patterns))
        return mqs_pattern_match(patterns, json, NULL, NULL, 0, NULL, 0);
    for (const cJSON *p = patterns ? patterns->child : NULL; p; p = p->next)
        if (mqs_pattern_match(p, json, NULL, NULL, 0, NULL, 0))
            return true;
    return false;
}

/* Drop the packets at the head of c's inbox that match an "ignore" pattern and none the step awaits. */
static bool drop_ignored(runctx *x, conn *c, const cJSON *ignore, const cJSON *awaited)
{
    bool dropped = false;
    inbound *in;
    while (ignore && (in = mqs_inbox_peek(c)) && matches_any(ignore, in->json) && !matches_any(awaited, in->json)) {
        char note[300];
        snprintf(note, sizeof note, "ignored: %s", in->line);
        mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, c->name, note, NULL, 0);
        c->last_received_at = in->at;
        mqs_inbox_pop(c);
        dropped = true;
    }
    return dropped;
}

/* Wait until c has a packet that is not to be ignored, is closed, or the deadline passes. */
static void wait_packet(runctx *x, conn *c, int64_t deadline, const cJSON *ignore, const cJSON *awaited)
{
    do
        mqs_conn_wait(x, c, deadline);
    while (!x->stop && drop_ignored(x, c, ignore, awaited));
}

/* After the wait: take the packet if it matches the pattern, else fail the step saying what came instead. */
static bool take_or_fail(runctx *x, conn *c, const cJSON *pattern, int waited_ms)
{
    if (x->stop)
        return false;
    char path[256] = "", why[1400] = "", actual[900];
    if (take_matching(x, c, pattern, path, sizeof path, why, sizeof why))
        return true;
    describe_actual(x, c, actual, sizeof actual, waited_ms);
    if (!mqs_inbox_peek(c)) {
        char e[400];
        mqs_json_brief(pattern, e, sizeof e);
        snprintf(why, sizeof why, "expected %s vs actual %s", e, actual);
        return step_failed(x, false, "packet", why, pattern, actual);
    }
    return step_failed(x, false, path, why, pattern, actual);
}

/* The next packet on c must match pattern within ms (packets matching ignore pass meanwhile). */
static bool expect_one(runctx *x, conn *c, const cJSON *pattern, int ms, const cJSON *ignore)
{
    wait_packet(x, c, mqs_now_ms() + ms, ignore, pattern);
    return take_or_fail(x, c, pattern, ms);
}

/* Several packets in any order: each arriving packet must match one still awaited. */
static bool expect_any_order(runctx *x, conn *c, cJSON *patterns, int ms, const cJSON *ignore)
{
    int64_t deadline = mqs_now_ms() + ms;
    int n = cJSON_GetArraySize(patterns);
    bool done[64] = {false};
    for (int matched = 0; matched < n && n <= 64;) {
        wait_packet(x, c, deadline, ignore, patterns);
        if (x->stop)
            return false;
        bool hit = false;
        for (int i = 0; i < n && !hit; i++)
            if (!done[i] && take_matching(x, c, cJSON_GetArrayItem(patterns, i), NULL, 0, NULL, 0))
                hit = done[i] = true;
        if (hit) {
            matched++;
            continue;
        }
        char actual[900], why[1600];
        describe_actual(x, c, actual, sizeof actual, ms);
        cJSON *missing = cJSON_CreateArray();
        for (int i = 0; i < n; i++)
            if (!done[i])
                cJSON_AddItemToArray(missing, cJSON_Duplicate(cJSON_GetArrayItem(patterns, i), true));
        char e[600];
        mqs_json_brief(missing, e, sizeof e);
        snprintf(why, sizeof why, "expected one of %s (any order) vs actual %s", e, actual);
        bool r = step_failed(x, false, "packets", why, missing, actual);
        cJSON_Delete(missing);
        return r;
    }
    return true;
}

/*
 * "allow_missing": the packets that come must match the patterns in their order, but any pattern may go
 * unmatched (QoS 0 is "at most once": a message may be lost, never reordered).  The step ends at the last
 * pattern or at the deadline; a packet matching none of the patterns still to come FAILs it.
 */
static bool expect_in_order_allow_missing(runctx *x, conn *c, cJSON *patterns, int ms, const cJSON *ignore)
{
    int64_t deadline = mqs_now_ms() + ms;
    int n = cJSON_GetArraySize(patterns), next = 0, missed = 0;
    while (next < n) {
        wait_packet(x, c, deadline, ignore, patterns);
        if (x->stop)
            return false;
        if (!mqs_inbox_peek(c))
            break; /* the rest never came: allowed */
        int hit = -1;
        for (int i = next; i < n && hit < 0; i++)
            if (take_matching(x, c, cJSON_GetArrayItem(patterns, i), NULL, 0, NULL, 0))
                hit = i;
        if (hit < 0) {
            char actual[900], why[1600], e[600];
            describe_actual(x, c, actual, sizeof actual, ms);
            cJSON *rest = cJSON_CreateArray();
            for (int i = next; i < n; i++)
                cJSON_AddItemToArray(rest, cJSON_Duplicate(cJSON_GetArrayItem(patterns, i), true));
            mqs_json_brief(rest, e, sizeof e);
            snprintf(why, sizeof why, "expected one of %s (in this order, any may be missing) vs actual %s", e,
                     actual);
            bool r = step_failed(x, false, "packets", why, rest, actual);
            cJSON_Delete(rest);
            return r;
        }
        missed += hit - next;
        next = hit + 1;
    }
    missed += n - next;
    if (missed) {
        char note[120];
        snprintf(note, sizeof note, "%d of %d awaited packets did not come (allowed: allow_missing)", missed, n);
        mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, c->name, note, NULL, 0);
    }
    return true;
}

/* ---- timing windows (expect and expect_close) ---- */

/*
 * The upper edge of every timing window also allows the measured round trip
 * (a close or packet timed from our send reaches us one round trip after
 * the peer's clock started and fired) and this much for poll wake-ups and
 * thread scheduling on a loaded machine (docs: scenarios/README.md).
 */
#define SCHEDULING_ALLOWANCE_MS 250

typedef struct window {
    bool set;
    int lo, hi, tolerance;
    int slack;         /* round trip + scheduling allowance, added to hi */
    bool early_warns;
    int64_t since;     /* ms since the case started that the window counts from */
    const char *from;  /* what `since` is, for messages */
    bool since_peer;   /* `since` is the peer's last packet ("last_received") */
} window;

/* "since": the step's start (default), our last packet on c, or the last packet a step took from c. */
static void window_origin(runctx *x, conn *c, window *w)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(x->step, "since");
    const char *since = cJSON_IsString(s) ? s->valuestring : "step";
    if (strcmp(since, "last_sent") == 0) {
        w->since = c->last_sent_at;
        w->from = "our last packet";
    } else if (strcmp(since, "last_received") == 0) {
        w->since = c->last_received_at;
        w->from = "the peer's last packet";
        w->since_peer = true;
    } else {
        w->since = mqs_rel(x);
        w->from = "the step started";
    }
}

/* "keep_alive_window": [f_lo, f_hi] -> the window in ms for the keep-alive in force on c. */
static void keep_alive_window(runctx *x, conn *c, window *w)
{
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(x->step, "keep_alive_window");
    if (!k)
        return;
    w->set = true;
    w->lo = (int)(k->child->valuedouble * c->keep_alive_s * 1000.0);
    w->hi = (int)(k->child->next->valuedouble * c->keep_alive_s * 1000.0);
    char note[128];
    snprintf(note, sizeof note, "keep-alive in force on %s: %d s, window %d..%d ms", c->name, c->keep_alive_s, w->lo,
             w->hi);
    mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, c->name, note, NULL, 0);
}

static window window_of(runctx *x, conn *c)
{
    window w = {0};
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(x->step, "window_ms");
    const cJSON *early = cJSON_GetObjectItemCaseSensitive(x->step, "early");
    w.tolerance = within_ms(x, "tolerance_ms", 500);
    w.early_warns = cJSON_IsString(early) && strcmp(early->valuestring, "warn") == 0;
    if (arr) {
        w.set = true;
        w.lo = arr->child->valueint;
        w.hi = arr->child->next->valueint;
    }
    keep_alive_window(x, c, &w);
    window_origin(x, c, &w);
    const mqs_version_profile *vp = x->opts->profile ? mqs_profile_get(x->opts->profile, x->v) : NULL;
    w.slack = (vp && vp->rtt_ms > 0 ? vp->rtt_ms : 0) + SCHEDULING_ALLOWANCE_MS;
    return w;
}

/* A keep_alive_window with keep-alive 0 in force (5.0 Server Keep Alive 0, or the client's own 0): nothing to time. */
static bool keep_alive_off(runctx *x, const conn *c)
{
    return cJSON_GetObjectItemCaseSensitive(x->step, "keep_alive_window") && c->keep_alive_s == 0;
}

/* Judge when `what` happened (t_at: ms since the case started) against the window. */
static bool judge_time(runctx *x, const window *w, int64_t t_at, const char *what)
{
    int64_t t = t_at - w->since;
    char why[300];
    if (t >= w->lo && t <= w->hi + w->slack)
        return true;
    bool early = t < w->lo;
    bool in_band = early ? t >= w->lo - w->tolerance : t <= w->hi + w->slack + w->tolerance;
    snprintf(why, sizeof why,
             "expected the %s %d..%d ms after %s (+%d ms round trip and scheduling) vs actual %lld ms (tolerance %d ms)",
             what, w->lo, w->hi, w->from, w->slack, (long long)t, w->tolerance);
    bool close = strcmp(what, "close") == 0;
    x->waited_out = !early; /* late: a stalled target would explain it as well as a slow one */
    char actual[64];
    snprintf(actual, sizeof actual, "%s after %lld ms", close ? "closed" : "arrived", (long long)t);
    return step_failed(x, in_band || (early && w->early_warns), close ? "close time" : "time", why, NULL, actual);
}

/*
 * expect with a window: the packet must arrive by hi + tolerance after the
 * origin, and is then timed.  Counting from the peer's last packet, an
 * ignored packet that arrives meanwhile moves the origin (keep-alive counts
 * from whatever the client sent last).
 */
static bool expect_timed(runctx *x, conn *c, const cJSON *pattern, const cJSON *ignore)
{
    if (keep_alive_off(x, c))
        return case_skip(x, "keep-alive 0 in force: the peer need not send anything, there is nothing to time", "");
    window w = window_of(x, c);
    do {
        if (w.since_peer)
            w.since = c->last_received_at;
        mqs_conn_wait(x, c, x->t0 + w.since + w.hi + w.slack + w.tolerance + 1);
    } while (!x->stop && drop_ignored(x, c, ignore, pattern));
    if (!take_or_fail(x, c, pattern, (int)(mqs_rel(x) - w.since)))
        return false;
    return judge_time(x, &w, c->last_received_at, "packet");
}

static bool step_expect(runctx *x, conn *c)
{
    int ms = within_ms(x, "within_ms", DEFAULT_WITHIN_MS);
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(x->step, "packet");
    const cJSON *ignore_j = cJSON_GetObjectItemCaseSensitive(x->step, "ignore");
    cJSON *pattern = pattern_of(x, one ? one : cJSON_GetObjectItemCaseSensitive(x->step, "packets"), NULL);
    cJSON *ignore = ignore_j ? pattern_of(x, ignore_j, NULL) : NULL;
    bool ok = pattern && (!ignore_j || ignore);
    if (!ok) {
        /* a ${var} that was never captured: already an ERROR */
    } else if (one && (cJSON_GetObjectItemCaseSensitive(x->step, "window_ms") ||
                       cJSON_GetObjectItemCaseSensitive(x->step, "keep_alive_window"))) {
        ok = expect_timed(x, c, pattern, ignore);
    } else if (one) {
        ok = expect_one(x, c, pattern, ms, ignore);
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x->step, "any_order"))) {
        ok = expect_any_order(x, c, pattern, ms, ignore);
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x->step, "allow_missing"))) {
        ok = expect_in_order_allow_missing(x, c, pattern, ms, ignore);
    } else {
        int64_t deadline = mqs_now_ms() + ms;
        for (cJSON *p = pattern->child; p && ok; p = p->next)
            ok = expect_one(x, c, p, (int)(deadline - mqs_now_ms() > 0 ? deadline - mqs_now_ms() : 0), ignore);
    }
    cJSON_Delete(pattern);
    cJSON_Delete(ignore);
    return ok;
}

/*
 * {"expect_either": "a", "packet": P, "or": {"b": Q}, "capture_conn": "who"}: the first packet to arrive on
 * any of these connections must match that connection's pattern.  For a message the peer may send on any of
 * several (one member of a shared subscription); "capture_conn" stores the name of the one it came on, for
 * "when_equal" in later steps.
 */
static bool step_expect_either(runctx *x, conn *c)
{
    conn *cs[MQS_MAX_CONNS] = {c};
    const cJSON *tmpl[MQS_MAX_CONNS] = {cJSON_GetObjectItemCaseSensitive(x->step, "packet")};
    int n = 1;
    const cJSON *others = cJSON_GetObjectItemCaseSensitive(x->step, "or");
    for (const cJSON *o = others ? others->child : NULL; o && n < MQS_MAX_CONNS; o = o->next, n++) {
        cs[n] = mqs_conn_get(x, o->string);
        tmpl[n] = o;
        if (!cs[n] || !cs[n]->t) {
            mqs_case_error(x, "connection '%s' is not open", o->string);
            return false;
        }
    }
    int ms = within_ms(x, "within_ms", DEFAULT_WITHIN_MS);
    int k = mqs_conns_wait(x, cs, n, mqs_now_ms() + ms);
    if (x->stop)
        return false;
    if (k < 0) {
        char why[300];
        snprintf(why, sizeof why, "expected a packet on '%s' or another connection of the step vs actual nothing "
                                  "within %d ms", c->name, ms);
        x->waited_out = true;
        return step_failed(x, false, "packet", why, NULL, "nothing");
    }
    cJSON *pattern = pattern_of(x, tmpl[k], NULL);
    bool ok = pattern && take_or_fail(x, cs[k], pattern, ms);
    cJSON_Delete(pattern);
    const cJSON *var = cJSON_GetObjectItemCaseSensitive(x->step, "capture_conn");
    if (ok && cJSON_IsString(var)) {
        cJSON_DeleteItemFromObjectCaseSensitive(x->captures, var->valuestring);
        cJSON_AddStringToObject(x->captures, var->valuestring, cs[k]->name);
    }
    return ok;
}

/* In 5.0 a peer may send DISCONNECT with a reason code >= 0x80 before it closes (4.13). */
static bool closing_disconnect(runctx *x, const conn *c, const inbound *in)
{
    mqtt_version v = c->level > 0 ? (mqtt_version)c->level : x->v;
    if (v != MQTT_V5 || !c->connack_seen) /* never before a CONNACK: MQTT-3.14.0-1 */
        return false;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in->json, "type");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(in->json, "code");
    return cJSON_IsString(type) && strcmp(type->valuestring, "DISCONNECT") == 0 && cJSON_IsNumber(code) &&
           code->valueint >= 0x80;
}

/* Wait for the close, letting a closing DISCONNECT pass.  True if closed; *other set if something else came. */
static bool wait_close(runctx *x, conn *c, int64_t deadline, bool *other)
{
    *other = false;
    for (;;) {
        mqs_conn_wait(x, c, deadline);
        inbound *in = mqs_inbox_peek(c);
        if (x->stop)
            return false;
        if (in && closing_disconnect(x, c, in)) {
            mqs_inbox_pop(c);
            continue;
        }
        if (in) {
            *other = true;
            return false;
        }
        return c->closed;
    }
}

/* An outcome with "then_end": allowed, and nothing after it applies: the case ends with its verdict so far. */
static void end_case_here(runctx *x)
{
    char note[200];
    snprintf(note, sizeof note, "step %d: an allowed outcome after which the scenario has nothing more to check",
             x->step_no);
    mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, NULL, note, NULL, 0);
    x->stop = true;
}

/* A then_skip outcome: allowed, and what follows needs a capability the target just showed it lacks. */
static bool skip_for_capability(runctx *x, const char *cap, const char *seen)
{
    char why[400];
    snprintf(why, sizeof why, "the target lacks %s (an allowed outcome: %s)", cap, seen);
    return case_skip(x, why, "");
}

static bool outcome_matches(runctx *x, conn *c, const cJSON *o, int64_t deadline)
{
    /* The wait before the outcomes ran to the deadline unless something happened. */
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "nothing")))
        return !mqs_inbox_peek(c) && !c->closed;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "close"))) {
        bool other;
        inbound *in = mqs_inbox_peek(c);
        if (in && !closing_disconnect(x, c, in))
            return false;
        return wait_close(x, c, deadline, &other);
    }
    cJSON *pattern = pattern_of(x, cJSON_GetObjectItemCaseSensitive(o, "packet"), NULL);
    bool ok = pattern && take_matching(x, c, pattern, NULL, 0, NULL, 0);
    cJSON_Delete(pattern);
    if (ok && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "then_close"))) {
        bool other;
        ok = wait_close(x, c, deadline, &other);
    }
    return ok;
}

static bool step_one_of(runctx *x, conn *c)
{
    int ms = within_ms(x, "within_ms", DEFAULT_WITHIN_MS);
    int64_t deadline = mqs_now_ms() + ms;
    const cJSON *outcomes = cJSON_GetObjectItemCaseSensitive(x->step, "outcomes");
    mqs_conn_wait(x, c, deadline);
    if (x->stop)
        return false;
    for (const cJSON *o = outcomes->child; o; o = o->next) {
        char seen[300] = "";
        inbound *in = mqs_inbox_peek(c);
        if (in)
            snprintf(seen, sizeof seen, "%s", in->line);
        if (!outcome_matches(x, c, o, deadline))
            continue;
        const cJSON *skip = cJSON_GetObjectItemCaseSensitive(o, "then_skip");
        if (cJSON_IsString(skip))
            return skip_for_capability(x, skip->valuestring, seen[0] ? seen : "the outcome that says so");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "then_end")))
            end_case_here(x);
        return true;
    }
    if (x->stop)
        return false;
    char actual[900], e[600], why[1600];
    describe_actual(x, c, actual, sizeof actual, ms);
    cJSON *expected = substituted(x, outcomes);
    mqs_json_brief(expected, e, sizeof e);
    snprintf(why, sizeof why, "expected one of %s vs actual %s", e, actual);
    bool r = step_failed(x, false, "outcome", why, expected, actual);
    cJSON_Delete(expected);
    return r;
}

/* ---- closing ---- */

static bool step_expect_close(runctx *x, conn *c)
{
    if (keep_alive_off(x, c)) {
        /* The server turned keep-alive off (5.0 Server Keep Alive 0): there is no close to time. */
        mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, c->name, "keep-alive 0 in force: no close expected", NULL, 0);
        return true;
    }
    window w = window_of(x, c);
    int ms = w.set ? w.hi + w.slack + w.tolerance : within_ms(x, "within_ms", DEFAULT_WITHIN_MS);
    int64_t deadline = x->t0 + w.since + ms + 1;
    bool other;
    if (wait_close(x, c, deadline, &other))
        return w.set ? judge_time(x, &w, c->closed_at, "close") : true;
    if (x->stop)
        return false;
    char actual[900], why[1100];
    describe_actual(x, c, actual, sizeof actual, (int)(mqs_rel(x) - w.since));
    snprintf(why, sizeof why, "expected the connection closed within %d ms vs actual %s", ms, actual);
    return step_failed(x, false, "close", why, NULL, actual);
}

static bool step_expect_nothing(runctx *x, conn *c)
{
    int ms = within_ms(x, "for_ms", 1000);
    mqs_pump_until(x, mqs_now_ms() + ms);
    if (x->stop)
        return false;
    if (!mqs_inbox_peek(c) && !c->closed)
        return true;
    char actual[900], why[1100];
    describe_actual(x, c, actual, sizeof actual, ms);
    snprintf(why, sizeof why, "expected nothing for %d ms vs actual %s", ms, actual);
    return step_failed(x, false, "packet", why, NULL, actual);
}

/* ---- connecting ---- */

/* Add a credential field the CONNECT does not set itself; a fixed "connect_flags" byte gets its flag bit too. */
static void add_credential(cJSON *tmpl, const char *key, const char *value, int flag_bit)
{
    if (!value || cJSON_GetObjectItemCaseSensitive(tmpl, key))
        return;
    cJSON_AddStringToObject(tmpl, key, value);
    cJSON *flags = cJSON_GetObjectItemCaseSensitive(tmpl, "connect_flags");
    if (cJSON_IsNumber(flags))
        cJSON_SetNumberValue(flags, (double)(flags->valueint | flag_bit));
}

/*
 * The CONNECT template of this step: the step's fields over the last
 * connect's, plus the target's credentials wherever the CONNECT does not set
 * its own (a password only next to a user name in 3.1/3.1.1: MQTT-3.1.2-22).
 */
static cJSON *connect_template(runctx *x, conn *c, bool reconnect)
{
    cJSON *tmpl = mqs_connect_json(x->step, reconnect ? c->last_connect : NULL);
    const mqs_target *t = &x->opts->target;
    if (!tmpl)
        return NULL;
    add_credential(tmpl, "username", t->username, 0x80);
    if (x->v == MQTT_V5 || cJSON_GetObjectItemCaseSensitive(tmpl, "username"))
        add_credential(tmpl, "password", t->password, 0x40);
    return tmpl;
}

static bool step_connect(runctx *x, conn *c, bool reconnect)
{
    cJSON *tmpl = connect_template(x, c, reconnect);
    if (!tmpl || !mqs_auth_connect(x, c, tmpl) || !mqs_conn_open(x, c) || !send_json(x, c, tmpl)) {
        cJSON_Delete(tmpl);
        return false;
    }
    cJSON_Delete(c->last_connect);
    c->last_connect = tmpl;
    const cJSON *ka = cJSON_GetObjectItemCaseSensitive(tmpl, "keep_alive");
    c->keep_alive_s = cJSON_IsNumber(ka) ? ka->valueint : 60; /* the JSON form's default */
    const cJSON *connack = cJSON_GetObjectItemCaseSensitive(x->step, "connack");
    if (cJSON_IsNull(connack))
        return true;
    cJSON *dflt = cJSON_Parse("{\"code\": 0}");
    cJSON *pattern = pattern_of(x, connack ? connack : dflt, "CONNACK");
    bool ok = pattern && expect_one(x, c, pattern, DEFAULT_WITHIN_MS, NULL);
    cJSON_Delete(pattern);
    cJSON_Delete(dflt);
    return ok;
}

static bool step_disconnect(runctx *x, conn *c)
{
    cJSON *pkt = mqs_disconnect_json(x->step);
    bool ok = pkt && send_json(x, c, pkt);
    cJSON_Delete(pkt);
    if (ok)
        mqs_conn_drop(x, c, true);
    return ok;
}

/* ---- server role: the client under test connects ---- */

/*
 * accept: wait for the client under test to connect.  The case's timeout_ms
 * counts from the first connection, so waiting for someone to start the
 * client does not eat into it.  Nobody connecting is a harness error (no
 * rule makes a client connect), or a SKIP for a precondition accept (a
 * client need not reconnect).
 */
static bool step_accept(runctx *x, conn *c)
{
    int ms = within_ms(x, "within_ms", DEFAULT_ACCEPT_MS);
    int64_t deadline = mqs_now_ms() + ms;
    bool first = x->accepts++ == 0;
    if (first && x->hard_deadline < deadline + 1)
        x->hard_deadline = deadline + 1;
    int rc = mqs_conn_accept(x, c, deadline);
    if (first)
        x->hard_deadline = mqs_now_ms() + x->sc->timeout_ms;
    if (rc != 0)
        return rc > 0;
    char why[200];
    snprintf(why, sizeof why, "no client connected within %d ms", ms);
    if (!step_is_precondition(x)) {
        mqs_case_error(x, "%s", why);
        return false;
    }
    return case_skip(x, "precondition not met: ", why);
}

/* ---- capabilities ---- */

/* The websocket capability: the target URL is ws:// or wss:// (0 or its bit); denied_topic: the run was
 * told a topic the target does not authorize (run --denied-topic, or the embedded broker-sim's). */
static unsigned url_lacks(const mqs_run_opts *opts)
{
    unsigned ws = 0, denied = 0;
    char err[64];
    mqs_capabilities_parse("websocket", &ws, err, sizeof err);
    mqs_capabilities_parse("denied_topic", &denied, err, sizeof err);
    return (opts->target.url.ws ? 0 : ws) | (opts->denied_topic ? 0 : denied);
}

/* Capabilities the target lacks at version v: declared (--lacks), found by the probe, or the URL's. */
static unsigned target_lacks(const mqs_run_opts *opts, mqtt_version v)
{
    return opts->lacks | url_lacks(opts) | (opts->profile ? mqs_profile_lacks(opts->profile, v) : 0);
}

/* "the target lacks: qos2 retain (probed)"; false if nothing in `needed` is missing. */
static bool describe_missing(const mqs_run_opts *opts, mqtt_version v, unsigned needed, char *msg, size_t cap)
{
    unsigned missing = needed & target_lacks(opts, v);
    if (!missing)
        return false;
    snprintf(msg, cap, "the target lacks:");
    for (unsigned bit = 1; bit; bit <<= 1)
        if (missing & bit)
            snprintf(msg + strlen(msg), cap - strlen(msg), " %s", mqs_capability_name(bit));
    const char *how = missing == url_lacks(opts) ? "the target URL is not ws:// or wss://"
                      : (missing & opts->lacks) == missing ? "declared with --lacks"
                      : opts->profile && opts->profile->from_file ? "per the profile given"
                                                                 : "found by the probe";
    snprintf(msg + strlen(msg), cap - strlen(msg), " (%s)", how);
    return true;
}

/* Cases that cannot run at all on this target: a version it does not serve, a capability it lacks. */
static bool skipped_before_start(const mqs_scenario *sc, mqtt_version v, const mqs_run_opts *opts, mqs_case *out)
{
    char msg[300];
    const char *why = opts->profile && sc->role == MQS_ROLE_CLIENT ? mqs_profile_version_skip(opts->profile, v) : NULL;
    if (why) {
        snprintf(msg, sizeof msg, "the target does not serve MQTT %s: %s", mqtt_version_name(v), why);
        mqs_case_set(out, MQS_SKIP, 0, NULL, msg);
        return true;
    }
    if (!describe_missing(opts, v, sc->requires, msg, sizeof msg))
        return false;
    mqs_case_set(out, MQS_SKIP, 0, NULL, msg);
    return true;
}

/* {"requires": [...]}: the rest of the case needs these capabilities. */
static bool step_requires(runctx *x)
{
    unsigned needed = 0;
    char err[100];
    for (const cJSON *it = x->step->child->child; it; it = it->next) {
        unsigned bit = 0;
        if (mqs_capabilities_parse(it->valuestring, &bit, err, sizeof err) == 0)
            needed |= bit;
    }
    char msg[300];
    if (!describe_missing(x->opts, x->v, needed, msg, sizeof msg))
        return true;
    return case_skip(x, msg, "");
}

/* {"expect_subprotocol": NAME, "protocol": P}: the server's handshake answer selected P. */
static bool step_expect_subprotocol(runctx *x, conn *c)
{
    const char *want = cJSON_GetObjectItemCaseSensitive(x->step, "protocol")->valuestring;
    const char *got = mqs_transport_ws_protocol(c->t);
    if (!got) {
        mqs_case_error(x, "connection '%s' is not a WebSocket connection", c->name);
        return false;
    }
    if (strcmp(got, want) == 0)
        return true;
    char actual[160], why[300];
    if (got[0])
        snprintf(actual, sizeof actual, "'%s'", got);
    else
        snprintf(actual, sizeof actual, "none (no Sec-WebSocket-Protocol in the 101 answer)");
    snprintf(why, sizeof why, "expected the WebSocket subprotocol '%s' vs actual %s", want, actual);
    cJSON *expected = cJSON_CreateString(want);
    bool ok = step_failed(x, false, "subprotocol", why, expected, actual);
    cJSON_Delete(expected);
    return ok;
}

/* ---- dispatch ---- */

static bool run_step(runctx *x)
{
    const char *action = x->step->child->string;
    if (strcmp(action, "sleep_ms") == 0) {
        mqs_pump_until(x, mqs_now_ms() + x->step->child->valueint);
        return !x->stop;
    }
    if (strcmp(action, "requires") == 0)
        return step_requires(x);
    conn *c = mqs_conn_get(x, step_conn_name(x));
    if (!c) {
        mqs_case_error(x, "too many connections");
        return false;
    }
    if (strcmp(action, "connect") == 0 || strcmp(action, "reconnect") == 0)
        return step_connect(x, c, action[0] == 'r');
    if (strcmp(action, "open") == 0)
        return mqs_conn_open(x, c);
    if (strcmp(action, "accept") == 0)
        return step_accept(x, c);
    if (!c->t && strcmp(action, "drop") != 0) {
        mqs_case_error(x, "connection '%s' is not open", c->name);
        return false;
    }
    if (strcmp(action, "send") == 0) {
        const cJSON *hex = cJSON_GetObjectItemCaseSensitive(x->step, "hex");
        return hex ? send_hex(x, c, hex->valuestring)
                   : send_json(x, c, cJSON_GetObjectItemCaseSensitive(x->step, "packet"));
    }
    if (strcmp(action, "expect") == 0)
        return step_expect(x, c);
    if (strcmp(action, "expect_either") == 0)
        return step_expect_either(x, c);
    if (strcmp(action, "one_of") == 0)
        return step_one_of(x, c);
    if (strcmp(action, "expect_close") == 0)
        return step_expect_close(x, c);
    if (strcmp(action, "expect_nothing") == 0)
        return step_expect_nothing(x, c);
    if (strcmp(action, "expect_subprotocol") == 0)
        return step_expect_subprotocol(x, c);
    if (strcmp(action, "auth") == 0)
        return mqs_step_auth(x, c);
    if (strcmp(action, "drop") == 0) {
        mqs_conn_drop(x, c, false);
        return true;
    }
    return step_disconnect(x, c);
}

/* ---- one case ---- */

/*
 * Server role: a step limited to some versions can only be placed once the
 * client's CONNECT has said which version it speaks; wait for it on the
 * step's connection.
 */
static void await_version(runctx *x)
{
    if (x->role != MQS_ROLE_SERVER || x->v != MQTT_VERSION_UNKNOWN ||
        !cJSON_GetObjectItemCaseSensitive(x->step, "versions") || !cJSON_IsString(x->step->child))
        return;
    conn *c = NULL;
    for (int i = 0; i < x->nconns && !c; i++)
        if (strcmp(x->conns[i].name, x->step->child->valuestring) == 0)
            c = &x->conns[i];
    if (!c || !c->t)
        return;
    int64_t deadline = mqs_now_ms() + DEFAULT_WITHIN_MS;
    while (!x->stop && x->v == MQTT_VERSION_UNKNOWN && !c->closed && c->count == 0 && mqs_now_ms() < deadline)
        mqs_conn_wait(x, c, deadline);
    if (!x->stop && x->v == MQTT_VERSION_UNKNOWN)
        mqs_case_error(x, "this step is for some versions only, and the client sent no CONNECT within %d ms to say "
                          "which it speaks",
                       DEFAULT_WITHIN_MS);
}

/* "when_equal": ["${var}", value]: the step runs only when the captured value equals it. */
static bool condition_holds(runctx *x)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(x->step, "when_equal");
    if (!w)
        return true;
    cJSON *both = substituted(x, w); /* a variable never captured is an ERROR */
    bool equal = both && cJSON_Compare(both->child, both->child->next, true);
    if (both && !equal) {
        char note[160];
        snprintf(note, sizeof note, "step %d: skipped: %s is not the value it runs for", x->step_no,
                 w->child->valuestring);
        mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, NULL, note, NULL, 0);
    }
    cJSON_Delete(both);
    return equal;
}

static void fill_case_header(mqs_case *out, const mqs_scenario *sc, mqtt_version v)
{
    out->id = mqs_strdup(sc->id);
    out->title = mqs_strdup(sc->title);
    out->file = mqs_strdup(sc->file);
    out->version = mqs_strdup(mqtt_version_name(v));
    out->ntags = sc->tags ? (size_t)cJSON_GetArraySize(sc->tags) : 0;
    out->tags = calloc(out->ntags + 1, sizeof *out->tags);
    for (size_t i = 0; i < out->ntags; i++)
        out->tags[i] = mqs_strdup(cJSON_GetArrayItem(sc->tags, (int)i)->valuestring);
    out->nspec = (size_t)cJSON_GetArraySize(sc->spec);
    out->spec = calloc(out->nspec + 1, sizeof *out->spec);
    for (size_t i = 0; i < out->nspec; i++)
        out->spec[i] = mqs_strdup(cJSON_GetArrayItem(sc->spec, (int)i)->valuestring);
}

static void init_ctx(runctx *x, const mqs_scenario *sc, mqtt_version v, const mqs_run_opts *opts, unsigned index,
                     mqs_case *out)
{
    memset(x, 0, sizeof *x);
    x->sc = sc;
    x->role = sc->role;
    x->v = sc->role == MQS_ROLE_SERVER ? MQTT_VERSION_UNKNOWN : v; /* server role: the client's CONNECT decides */
    x->opts = opts;
    x->res = out;
    x->t0 = mqs_now_ms();
    x->hard_deadline = x->t0 + sc->timeout_ms;
    x->captures = cJSON_CreateObject();
    x->arena = malloc(MQS_ARENA_CAP);
    /* Unique per run and case: parallel cases and earlier runs never share topics or sessions. */
    snprintf(x->prefix, sizeof x->prefix, "mqttspec/%s/%u", opts->run_tag, index);
    snprintf(x->cid, sizeof x->cid, "ms%.8s%04x", opts->run_tag, index & 0xFFFF);
}

void mqs_case_not_run(const mqs_scenario *sc, mqtt_version v, const char *why, mqs_case *out)
{
    fill_case_header(out, sc, v);
    mqs_case_set(out, MQS_NOT_RUN, 0, NULL, why);
}

void mqs_run_case(const mqs_scenario *sc, mqtt_version v, const mqs_run_opts *opts, unsigned index, mqs_case *out)
{
    if (sc->role == MQS_ROLE_SERVER)
        v = MQTT_VERSION_UNKNOWN; /* "unknown" in the report until the client's CONNECT names it */
    fill_case_header(out, sc, v);
    out->verdict = MQS_PASS;
    if (opts->interrupted && opts->interrupted()) {
        mqs_case_set(out, MQS_NOT_RUN, 0, NULL, "the run was interrupted before this case started");
        return;
    }
    if (skipped_before_start(sc, v, opts, out))
        return;
    runctx x;
    init_ctx(&x, sc, v, opts, index, out);
    int i = 0;
    for (const cJSON *step = sc->steps->child; step && !x.stop; step = step->next) {
        x.step_no = ++i;
        x.step = step;
        x.step_started = mqs_now_ms();
        await_version(&x);
        if (x.stop || !mqs_step_applies(step, x.v) || !condition_holds(&x))
            continue;
        char note[128];
        snprintf(note, sizeof note, "step %d: %s %s", i, step->child->string,
                 cJSON_IsString(step->child) ? step->child->valuestring : "");
        mqs_case_event(out, mqs_rel(&x), MQS_EV_NOTE, NULL, note, NULL, 0);
        run_step(&x);
        if (!x.stop && mqs_now_ms() >= x.hard_deadline)
            mqs_case_error(&x, "the case ran past its timeout of %d ms", sc->timeout_ms);
    }
    if (x.interrupted) {
        char why[96];
        snprintf(why, sizeof why, "the run was interrupted during step %d", x.step_no);
        mqs_case_event(out, mqs_rel(&x), MQS_EV_NOTE, NULL, why, NULL, 0);
        mqs_case_set(out, MQS_NOT_RUN, x.step_no, NULL, why);
    }
    out->duration_ms = mqs_rel(&x);
    mqs_conns_free(&x);
    cJSON_Delete(x.captures);
    free(x.arena);
}
