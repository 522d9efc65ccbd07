/* What steps turn into on the wire, shared by the loader (to check it) and the engine (to send it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_internal.h"

bool mqs_step_applies(const cJSON *step, mqtt_version v)
{
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(step, "versions");
    if (!versions)
        return true;
    for (const cJSON *it = versions->child; it; it = it->next)
        if (cJSON_IsString(it) && strcmp(it->valuestring, mqtt_version_name(v)) == 0)
            return true;
    return false;
}

/* Fields of a connect step that go into the CONNECT packet as they are. */
static const char *const connect_fields[] = {"client_id", "clean_start", "keep_alive", "username",
                                             "password",  "will",        "properties"};

static void copy_field(cJSON *dst, const cJSON *src, const char *key)
{
    const cJSON *it = src ? cJSON_GetObjectItemCaseSensitive(src, key) : NULL;
    if (!it)
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(dst, key);
    cJSON_AddItemToObject(dst, key, cJSON_Duplicate(it, true));
}

cJSON *mqs_connect_json(const cJSON *step, const cJSON *prev)
{
    const cJSON *packet = cJSON_GetObjectItemCaseSensitive(step, "packet");
    if (!packet && prev)
        packet = cJSON_GetObjectItemCaseSensitive(prev, "packet");
    if (packet)
        return cJSON_Duplicate(packet, true);
    cJSON *out = cJSON_CreateObject();
    if (!out)
        return NULL;
    cJSON_AddStringToObject(out, "type", "CONNECT");
    /* The default client id is unique to the run, scenario and connection. */
    char id[64];
    snprintf(id, sizeof id, "{cid}%s", step->child->valuestring);
    cJSON_AddStringToObject(out, "client_id", id);
    for (size_t i = 0; i < sizeof connect_fields / sizeof connect_fields[0]; i++) {
        copy_field(out, prev, connect_fields[i]);
        copy_field(out, step, connect_fields[i]);
    }
    return out;
}

cJSON *mqs_disconnect_json(const cJSON *step)
{
    const cJSON *packet = cJSON_GetObjectItemCaseSensitive(step, "packet");
    cJSON *out = packet ? cJSON_Duplicate(packet, true) : cJSON_CreateObject();
    if (out && !cJSON_GetObjectItemCaseSensitive(out, "type"))
        cJSON_AddStringToObject(out, "type", "DISCONNECT");
    return out;
}

int mqs_hex_decode(const char *text, uint8_t *out, size_t cap, size_t *n)
{
    bool ok = mqtt_hex_decode(text, strlen(text), out, out ? cap : 0, n, NULL);
    return ok && (!out || *n <= cap) ? 0 : -1;
}

/* {"ws": {"frame": "binary"|"text"|"ping", "frame_bytes": N, "fragment": true}}: how a send goes into
 * WebSocket frames.  A ping carries the bytes as its payload (at most 125, one frame). */
int mqs_ws_send_of(const cJSON *step, size_t len, mqs_ws_send *how, const char **field, char *err, size_t cap)
{
    static const struct {
        const char *name;
        int opcode;
    } frames[] = {{"binary", MQS_WS_BINARY}, {"text", MQS_WS_TEXT}, {"ping", MQS_WS_PING}};
    memset(how, 0, sizeof *how);
    const cJSON *ws = cJSON_GetObjectItemCaseSensitive(step, "ws");
    *field = "ws";
    if (!ws)
        return 0;
    if (!cJSON_IsObject(ws))
        return snprintf(err, cap, "must be an object: {\"frame\", \"frame_bytes\", \"fragment\"}"), -1;
    for (const cJSON *it = ws->child; it; it = it->next) {
        if (strcmp(it->string, "frame") == 0 && cJSON_IsString(it)) {
            for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++)
                if (strcmp(it->valuestring, frames[i].name) == 0)
                    how->opcode = frames[i].opcode;
            if (how->opcode == 0)
                return *field = "ws/frame", snprintf(err, cap, "must be \"binary\", \"text\" or \"ping\""), -1;
        } else if (strcmp(it->string, "frame_bytes") == 0 && cJSON_IsNumber(it) && it->valuedouble >= 1 &&
                   it->valuedouble <= 1e9 && it->valuedouble == (double)it->valueint) {
            how->frame_bytes = (size_t)it->valueint;
        } else if (strcmp(it->string, "fragment") == 0 && cJSON_IsBool(it)) {
            how->fragment = cJSON_IsTrue(it);
        } else {
            *field = "ws";
            return snprintf(err, cap, "unknown or invalid member \"%s\" (frame: binary|text|ping, frame_bytes: "
                                      "integer >= 1, fragment: boolean)", it->string), -1;
        }
    }
    if (how->opcode == MQS_WS_PING && (how->frame_bytes || how->fragment || len > 125))
        return snprintf(err, cap, "a ping is one frame of at most 125 bytes"), -1;
    return 0;
}
