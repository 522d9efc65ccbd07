/*
 * 5.0 enhanced authentication played from a scenario: SCRAM-SHA-256, the one
 * method the engine speaks (mqttspec/scram.h).  The connect field
 * "auth": {"method": "SCRAM-SHA-256", "user", "password"} puts the
 * client-first into CONNECT; the scenario expects the server's AUTH and
 * CONNACK itself (capturing their Authentication Data) and hands the captures
 * to auth steps: "server_first" sends the client-final in AUTH 0x18,
 * "server_final" checks the server's signature, "reauthenticate" sends a new
 * client-first in AUTH 0x19.  The password goes into no packet and no record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "match.h"
#include "mqttspec/scram.h"
#include "scenario_internal.h"

void mqs_auth_end(conn *c)
{
    if (c->scram)
        mqs_scram_wipe(c->scram);
    free(c->scram);
    c->scram = NULL;
    if (c->auth_password)
        memset(c->auth_password, 0, strlen(c->auth_password));
    free(c->auth_password);
    c->auth_password = NULL;
    free(c->auth_user);
    c->auth_user = NULL;
}

static void hex_of(const char *text, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[(unsigned char)text[i] >> 4];
        out[2 * i + 1] = digits[(unsigned char)text[i] & 15];
    }
    out[2 * len] = '\0';
}

/* properties.authentication_method and authentication_data (hex of data) of a packet in JSON form. */
static bool set_auth_props(cJSON *pkt, const char *data, size_t len)
{
    char hex[2 * MQS_SCRAM_MSG_MAX + 1];
    cJSON *props = cJSON_GetObjectItemCaseSensitive(pkt, "properties");
    if (!props && !(props = cJSON_AddObjectToObject(pkt, "properties")))
        return false;
    hex_of(data, len, hex);
    cJSON_DeleteItemFromObjectCaseSensitive(props, "authentication_method");
    cJSON_DeleteItemFromObjectCaseSensitive(props, "authentication_data");
    return cJSON_AddStringToObject(props, "authentication_method", MQS_SCRAM_METHOD) &&
           cJSON_AddStringToObject(props, "authentication_data", hex);
}

static const char *auth_field(const cJSON *auth, const char *key, const char *dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(auth, key);
    return cJSON_IsString(it) ? it->valuestring : dflt;
}

/* A fresh exchange for user and password on c. */
static bool begin(runctx *x, conn *c, const char *user, const char *password, cJSON *tmpl)
{
    char first[MQS_SCRAM_MSG_MAX];
    c->scram = calloc(1, sizeof *c->scram);
    c->auth_password = strdup(password);
    c->auth_user = strdup(user);
    int n = c->scram && c->auth_password && c->auth_user
                ? mqs_scram_client_first(c->scram, user, NULL, first, sizeof first)
                : -1;
    if (n < 0 || !set_auth_props(tmpl, first, (size_t)n)) {
        mqs_case_error(x, "SCRAM-SHA-256: cannot build the client-first (user name too long, or out of memory)");
        return false;
    }
    return true;
}

bool mqs_auth_connect(runctx *x, conn *c, cJSON *tmpl)
{
    const cJSON *auth = cJSON_GetObjectItemCaseSensitive(x->step, "auth");
    bool again = !auth && c->auth_user && strcmp(x->step->child->string, "reconnect") == 0;
    char *user = again ? strdup(c->auth_user) : NULL, *password = again ? strdup(c->auth_password) : NULL;
    mqs_auth_end(c);
    if (again) { /* reconnect: the last connect's exchange again, with a new nonce */
        bool ok = user && password && begin(x, c, user, password, tmpl);
        if (!user || !password)
            mqs_case_error(x, "out of memory");
        if (password)
            memset(password, 0, strlen(password));
        free(user);
        free(password);
        return ok;
    }
    if (!auth)
        return true;
    if (x->v != MQTT_V5) {
        mqs_case_error(x, "\"auth\" is MQTT 5.0 enhanced authentication: give the step \"versions\": [\"5.0\"]");
        return false;
    }
    const char *u = auth_field(auth, "user", x->opts->target.auth_user);
    const char *p = auth_field(auth, "password", x->opts->target.auth_password);
    if (!u || !p) {
        mqs_case_error(x, "no SCRAM-SHA-256 user and password for the target (run --auth-user, --auth-password)");
        return false;
    }
    return begin(x, c, u, p, tmpl);
}

/* A captured Authentication Data (hex string) as bytes; -1 if it is not one. */
static int data_of(const cJSON *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    if (!cJSON_IsString(hex) || mqs_hex_decode(hex->valuestring, out, cap, &n) != 0)
        return -1;
    return (int)n;
}

/* AUTH with our method and data: 0x18 continue, 0x19 re-authenticate. */
static bool send_auth(runctx *x, conn *c, int code, const char *data, size_t len)
{
    cJSON *pkt = cJSON_CreateObject();
    bool ok = pkt && cJSON_AddStringToObject(pkt, "type", "AUTH") && cJSON_AddNumberToObject(pkt, "code", code) &&
              set_auth_props(pkt, data, len);
    if (!ok)
        mqs_case_error(x, "out of memory");
    ok = ok && mqs_send_json(x, c, pkt);
    cJSON_Delete(pkt);
    return ok;
}

static bool client_final(runctx *x, conn *c, const cJSON *server_first, bool wrong_proof)
{
    uint8_t sf[MQS_SCRAM_MSG_MAX];
    char out[MQS_SCRAM_MSG_MAX], err[200], why[300];
    int n = data_of(server_first, sf, sizeof sf);
    if (n < 0) {
        mqs_case_error(x, "auth: \"server_first\" must be the hex of a captured Authentication Data");
        return false;
    }
    n = mqs_scram_client_final(c->scram, c->auth_password, sf, (size_t)n, wrong_proof, out, sizeof out, err,
                               sizeof err);
    if (n < 0) {
        snprintf(why, sizeof why, "the SCRAM-SHA-256 server-first cannot be answered: %s", err);
        return mqs_step_fail(x, "server_first", why, NULL, err);
    }
    return send_auth(x, c, 0x18, out, (size_t)n);
}

static bool verify_server_final(runctx *x, conn *c, const cJSON *server_final)
{
    uint8_t sf[MQS_SCRAM_MSG_MAX];
    char err[200], why[300];
    int n = data_of(server_final, sf, sizeof sf);
    if (n < 0) {
        mqs_case_error(x, "auth: \"server_final\" must be the hex of a captured Authentication Data");
        return false;
    }
    if (mqs_scram_client_verify(c->scram, sf, (size_t)n, err, sizeof err))
        return true;
    snprintf(why, sizeof why, "SCRAM-SHA-256 (RFC 5802 section 3): %s", err);
    return mqs_step_fail(x, "server_final", why, NULL, err);
}

static bool reauthenticate(runctx *x, conn *c, const cJSON *auth_user)
{
    char first[MQS_SCRAM_MSG_MAX];
    const char *user = cJSON_IsString(auth_user) ? auth_user->valuestring : c->auth_user;
    int n = user ? mqs_scram_client_first(c->scram, user, NULL, first, sizeof first) : -1;
    if (n < 0) {
        mqs_case_error(x, "SCRAM-SHA-256: cannot build the client-first");
        return false;
    }
    return send_auth(x, c, 0x19, first, (size_t)n);
}

bool mqs_step_auth(runctx *x, conn *c)
{
    if (!c->scram) {
        mqs_case_error(x, "connection '%s' was not connected with \"auth\"", c->name);
        return false;
    }
    char err[200];
    mqs_vars vars = {x->captures, x->prefix, x->cid, x->opts->denied_topic};
    cJSON *step = mqs_substitute(x->step, &vars, err, sizeof err);
    if (!step) {
        mqs_case_error(x, "%s", err);
        return false;
    }
    const cJSON *sf = cJSON_GetObjectItemCaseSensitive(step, "server_first");
    const cJSON *fin = cJSON_GetObjectItemCaseSensitive(step, "server_final");
    bool ok = sf    ? client_final(x, c, sf, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "wrong_proof")))
              : fin ? verify_server_final(x, c, fin)
                    : reauthenticate(x, c, cJSON_GetObjectItemCaseSensitive(step, "user"));
    cJSON_Delete(step);
    return ok;
}
