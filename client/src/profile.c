/* The profile in JSON (docs/profile.md) and as text: saved by `probe --profile-out`, read by `run --profile`. */
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "mqttspec/probe.h"
#include "mqttspec/scenario.h"

#define PROFILE_FORMAT 1

/* The 5.0 CONNACK properties a profile records, by their JSON key (the packet JSON form's). */
typedef struct connack_field {
    const char *key;
    size_t offset;
} connack_field;
#define CF(name) {#name, offsetof(mqs_version_profile, name)}
static const connack_field connack_fields[] = {
    CF(maximum_qos),         CF(retain_available), CF(wildcards_available), CF(sub_ids_available),
    CF(shared_available),    CF(topic_alias_maximum), CF(receive_maximum),  CF(maximum_packet_size),
    CF(server_keep_alive),   CF(session_expiry),
};
#undef CF
#define N_CONNACK_FIELDS (sizeof connack_fields / sizeof connack_fields[0])

typedef struct observed_field {
    const char *key;
    size_t offset;
} observed_field;
static const observed_field observed_fields[] = {
    {"session_present_after_resume", offsetof(mqs_version_profile, session_present_after_resume)},
    {"will_published", offsetof(mqs_version_profile, will_published)},
    {"sys_topics", offsetof(mqs_version_profile, sys_topics)},
    {"anonymous_login", offsetof(mqs_version_profile, anonymous_login)},
};
#define N_OBSERVED_FIELDS (sizeof observed_fields / sizeof observed_fields[0])

static int64_t *connack_slot(mqs_version_profile *vp, size_t i)
{
    return (int64_t *)((char *)vp + connack_fields[i].offset);
}

static int *observed_slot(mqs_version_profile *vp, size_t i)
{
    return (int *)((char *)vp + observed_fields[i].offset);
}

/* Every capability bit, in table order. */
static unsigned next_capability(unsigned bit)
{
    for (bit = bit ? bit << 1 : 1; bit; bit <<= 1)
        if (strcmp(mqs_capability_name(bit), "?") != 0)
            return bit;
    return 0;
}
#define FOR_EACH_CAPABILITY(bit) for (unsigned bit = next_capability(0); bit; bit = next_capability(bit))

/* ---- to JSON ---- */

static cJSON *version_to_json(const mqs_version_profile *vp)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", mqs_preflight_name(vp->status));
    if (vp->reason[0])
        cJSON_AddStringToObject(o, "reason", vp->reason);
    if (vp->rtt_ms >= 0)
        cJSON_AddNumberToObject(o, "rtt_ms", vp->rtt_ms);
    cJSON *caps = cJSON_AddObjectToObject(o, "capabilities");
    FOR_EACH_CAPABILITY(bit)
    if (vp->caps_known & bit)
        cJSON_AddBoolToObject(caps, mqs_capability_name(bit), (vp->caps & bit) != 0);
    if (vp->granted[0] >= 0 || vp->granted[1] >= 0 || vp->granted[2] >= 0) {
        cJSON *g = cJSON_AddArrayToObject(o, "granted_qos");
        for (int q = 0; q < 3; q++)
            cJSON_AddItemToArray(g, vp->granted[q] >= 0 ? cJSON_CreateNumber(vp->granted[q]) : cJSON_CreateNull());
    }
    cJSON *connack = cJSON_CreateObject();
    for (size_t i = 0; i < N_CONNACK_FIELDS; i++) {
        int64_t value = *connack_slot((mqs_version_profile *)vp, i);
        if (value >= 0)
            cJSON_AddNumberToObject(connack, connack_fields[i].key, (double)value);
    }
    if (connack->child)
        cJSON_AddItemToObject(o, "connack", connack);
    else
        cJSON_Delete(connack);
    cJSON *observed = cJSON_CreateObject();
    for (size_t i = 0; i < N_OBSERVED_FIELDS; i++) {
        int value = *observed_slot((mqs_version_profile *)vp, i);
        if (value >= 0)
            cJSON_AddBoolToObject(observed, observed_fields[i].key, value);
    }
    if (observed->child)
        cJSON_AddItemToObject(o, "observed", observed);
    else
        cJSON_Delete(observed);
    return o;
}

cJSON *mqs_profile_to_json(const mqs_profile *p)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "mqttspec_profile", PROFILE_FORMAT);
    cJSON_AddStringToObject(root, "target", p->target);
    if (p->probed_at[0])
        cJSON_AddStringToObject(root, "probed_at", p->probed_at);
    cJSON *versions = cJSON_AddObjectToObject(root, "versions");
    for (int i = 0; i < 3; i++)
        if (p->versions[i].status != MQS_PF_NOT_PROBED)
            cJSON_AddItemToObject(versions, mqtt_version_name(p->versions[i].version),
                                  version_to_json(&p->versions[i]));
    return root;
}

/* ---- from JSON (a saved or hand-written profile) ---- */

typedef struct perr {
    char *buf;
    size_t cap;
} perr;

static int fail(perr *e, const char *path, const char *msg)
{
    snprintf(e->buf, e->cap, "%s: %s", path, msg);
    return -1;
}

static int status_from(const cJSON *s, mqs_preflight *out)
{
    for (int i = 0; i <= MQS_PF_NOT_PROBED; i++)
        if (strcmp(s->valuestring, mqs_preflight_name((mqs_preflight)i)) == 0) {
            *out = (mqs_preflight)i;
            return 0;
        }
    return -1;
}

static int caps_from(const cJSON *caps, mqs_version_profile *vp, const char *path, perr *e)
{
    char where[96];
    for (const cJSON *c = caps->child; c; c = c->next) {
        unsigned bit;
        char why[100];
        snprintf(where, sizeof where, "%s/capabilities/%s", path, c->string);
        if (mqs_capabilities_parse(c->string, &bit, why, sizeof why) < 0)
            return fail(e, where, why);
        if (!cJSON_IsBool(c))
            return fail(e, where, "must be true or false");
        vp->caps_known |= bit;
        vp->caps = cJSON_IsTrue(c) ? vp->caps | bit : vp->caps & ~bit;
    }
    return 0;
}

static int numbers_from(const cJSON *obj, mqs_version_profile *vp, const char *path, perr *e)
{
    char where[96];
    for (const cJSON *c = obj->child; c; c = c->next) {
        snprintf(where, sizeof where, "%s/connack/%s", path, c->string);
        size_t i = 0;
        while (i < N_CONNACK_FIELDS && strcmp(connack_fields[i].key, c->string) != 0)
            i++;
        if (i == N_CONNACK_FIELDS)
            return fail(e, where, "unknown CONNACK property");
        if (!cJSON_IsNumber(c) || c->valuedouble < 0 || c->valuedouble > 4294967295.0)
            return fail(e, where, "must be a number 0..4294967295");
        *connack_slot(vp, i) = (int64_t)c->valuedouble;
    }
    return 0;
}

static int version_from(const cJSON *o, mqs_version_profile *vp, const char *path, perr *e)
{
    char where[96];
    if (!cJSON_IsObject(o))
        return fail(e, path, "must be an object");
    vp->status = MQS_PF_OK;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(o, "status");
    snprintf(where, sizeof where, "%s/status", path);
    if (status && (!cJSON_IsString(status) || status_from(status, &vp->status) < 0))
        return fail(e, where, "unknown status (ok, unsupported, ...)");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(o, "reason");
    if (cJSON_IsString(reason))
        snprintf(vp->reason, sizeof vp->reason, "%s", reason->valuestring);
    const cJSON *rtt = cJSON_GetObjectItemCaseSensitive(o, "rtt_ms");
    snprintf(where, sizeof where, "%s/rtt_ms", path);
    if (rtt && (!cJSON_IsNumber(rtt) || rtt->valuedouble < 0 || rtt->valuedouble > 60000))
        return fail(e, where, "must be a number of ms (0..60000)");
    if (rtt)
        vp->rtt_ms = rtt->valueint;
    const cJSON *caps = cJSON_GetObjectItemCaseSensitive(o, "capabilities");
    const cJSON *connack = cJSON_GetObjectItemCaseSensitive(o, "connack");
    if (caps && (cJSON_IsObject(caps) ? caps_from(caps, vp, path, e) : fail(e, path, "capabilities: an object")))
        return -1;
    if (connack && (cJSON_IsObject(connack) ? numbers_from(connack, vp, path, e) : fail(e, path, "connack: an object")))
        return -1;
    return 0;
}

int mqs_profile_from_json(const cJSON *json, mqs_profile *out, char *err, size_t err_cap)
{
    perr e = {err, err_cap};
    const cJSON *target = cJSON_GetObjectItemCaseSensitive(json, "target");
    mqs_profile_init(out, cJSON_IsString(target) ? target->valuestring : "");
    out->from_file = true;
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(json, "versions");
    if (!cJSON_IsObject(json) || !cJSON_IsObject(versions))
        return fail(&e, "/versions", "required: an object keyed by version (\"3.1.1\", \"5.0\")");
    for (const cJSON *v = versions->child; v; v = v->next) {
        char path[64];
        snprintf(path, sizeof path, "/versions/%s", v->string);
        int slot = mqs_profile_slot(mqs_version_parse(v->string));
        if (slot < 0)
            return fail(&e, path, "unknown version (3.1, 3.1.1, 5.0)");
        if (version_from(v, &out->versions[slot], path, &e) < 0)
            return -1;
    }
    return 0;
}

/* ---- text ---- */

static void print_version(const mqs_version_profile *vp, FILE *out)
{
    fprintf(out, "  MQTT %-5s %s", mqtt_version_name(vp->version), mqs_preflight_name(vp->status));
    if (vp->reason[0])
        fprintf(out, ": %s", vp->reason);
    if (vp->rtt_ms >= 0)
        fprintf(out, " (rtt %d ms)", vp->rtt_ms);
    fputc('\n', out);
    if (vp->status != MQS_PF_OK)
        return;
    fputs("    has:", out);
    FOR_EACH_CAPABILITY(bit)
    if (vp->caps_known & vp->caps & bit)
        fprintf(out, " %s", mqs_capability_name(bit));
    fputs("\n    lacks:", out);
    FOR_EACH_CAPABILITY(bit)
    if (vp->caps_known & ~vp->caps & bit)
        fprintf(out, " %s", mqs_capability_name(bit));
    fputc('\n', out);
    if (vp->granted[0] >= 0)
        fprintf(out, "    granted QoS for requests at 0/1/2: %d/%d/%d\n", vp->granted[0], vp->granted[1],
                vp->granted[2]);
    for (size_t i = 0; i < N_CONNACK_FIELDS; i++) {
        int64_t value = *connack_slot((mqs_version_profile *)vp, i);
        if (value >= 0)
            fprintf(out, "    CONNACK %s: %lld\n", connack_fields[i].key, (long long)value);
    }
    for (size_t i = 0; i < N_OBSERVED_FIELDS; i++) {
        int value = *observed_slot((mqs_version_profile *)vp, i);
        if (value >= 0)
            fprintf(out, "    observed %s: %s\n", observed_fields[i].key, value ? "yes" : "no");
    }
}

void mqs_profile_print(const mqs_profile *p, FILE *out)
{
    fprintf(out, "profile of %s%s%s\n", p->target, p->from_file ? " (from a file)" : "",
            p->probed_at[0] ? "" : "");
    for (int i = 0; i < 3; i++)
        if (p->versions[i].status != MQS_PF_NOT_PROBED)
            print_version(&p->versions[i], out);
}
