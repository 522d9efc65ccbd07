/*
 * Loading scenario files.  Everything a typo could break is checked here, at
 * load time, so a bad file costs exit 2 and a pointer to the mistake instead
 * of a false verdict later.
 */
#define _DEFAULT_SOURCE /* DT_DIR, fnmatch */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mqttspec/packet_json.h"
#include "mqttspec/scenario.h"
#include "scenario_internal.h"

/* ---- capabilities ---- */

static const char *const cap_names[] = {
    "qos1", "qos2", "retain", "wildcards", "shared_subscriptions", "subscription_identifiers",
    "topic_alias", "will", "persistent_sessions", "session_expiry", "keep_alive", "websocket",
    "enhanced_auth", "denied_topic",
};
_Static_assert(sizeof cap_names / sizeof cap_names[0] <= 32, "capabilities are bits of an unsigned");
#define CAP_COUNT (sizeof cap_names / sizeof cap_names[0])

const char *mqs_capability_name(unsigned bit)
{
    for (unsigned i = 0; i < CAP_COUNT; i++)
        if (bit == 1u << i)
            return cap_names[i];
    return "?";
}

static int capability_bit(const char *name)
{
    for (unsigned i = 0; i < CAP_COUNT; i++)
        if (strcmp(name, cap_names[i]) == 0)
            return (int)(1u << i);
    return -1;
}

int mqs_capabilities_parse(const char *list, unsigned *out, char *err, size_t err_cap)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    *out = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int bit = capability_bit(tok);
        if (bit < 0) {
            snprintf(err, err_cap, "unknown capability '%s'", tok);
            return -1;
        }
        *out |= (unsigned)bit;
    }
    return 0;
}

const char *mqs_role_name(mqs_role role) { return role == MQS_ROLE_SERVER ? "server" : "client"; }

mqtt_version mqs_version_parse(const char *s)
{
    if (strcmp(s, "3.1") == 0)
        return MQTT_V31;
    if (strcmp(s, "3.1.1") == 0)
        return MQTT_V311;
    if (strcmp(s, "5.0") == 0 || strcmp(s, "5") == 0)
        return MQTT_V5;
    return MQTT_VERSION_UNKNOWN;
}

/* ---- validation context ---- */

typedef struct vctx {
    const char *file;
    char *err;
    size_t err_cap;
    char path[512];
    const mqs_scenario *sc;
    char names[16][24]; /* connections opened so far */
    int nnames;
} vctx;

__attribute__((format(printf, 3, 4))) static int verr(vctx *v, const char *field, const char *fmt, ...);

static size_t path_push(vctx *v, const char *seg);
static void path_pop(vctx *v, size_t old);

static int verr(vctx *v, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t mark = field ? path_push(v, field) : strlen(v->path);
    snprintf(v->err, v->err_cap, "%s: %s: %s", v->file, v->path[0] ? v->path : "/", msg);
    path_pop(v, mark);
    return -1;
}

/*
 * Append "/seg" to the path, escaped as RFC 6901 says ('~' -> "~0", '/' ->
 * "~1") so the pointer names the member it means; returns the old length
 * for path_pop.  A path too long for the buffer is cut: it still locates.
 */
static size_t path_push(vctx *v, const char *seg)
{
    size_t old = strlen(v->path), n = old;
    const size_t last = sizeof v->path - 1;
    if (n < last)
        v->path[n++] = '/';
    for (; *seg && n < last; seg++) {
        if (*seg == '~' || *seg == '/') {
            if (n + 2 > last)
                break;
            v->path[n++] = '~';
            v->path[n++] = *seg == '~' ? '0' : '1';
        } else {
            v->path[n++] = *seg;
        }
    }
    v->path[n] = '\0';
    return old;
}

static size_t path_push_index(vctx *v, int i)
{
    char seg[16];
    snprintf(seg, sizeof seg, "%d", i);
    return path_push(v, seg);
}

static void path_pop(vctx *v, size_t old) { v->path[old] = '\0'; }

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static int check_keys(vctx *v, const cJSON *obj, const char *const *allowed, const char *const *common)
{
    for (const cJSON *m = obj->child; m; m = m->next)
        if (!in_list(m->string, allowed) && !(common && in_list(m->string, common)))
            return verr(v, m->string, "unknown field");
    return 0;
}

static int get_int(vctx *v, const cJSON *obj, const char *key, int lo, int hi, int *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it)
        return 0;
    /* Range first: converting a double outside int's range is undefined. */
    double d = cJSON_IsNumber(it) ? it->valuedouble : -1e300;
    if (!(d >= lo && d <= hi) || d != (double)(int)d)
        return verr(v, key, "must be an integer %d..%d", lo, hi);
    *out = (int)d;
    return 1;
}

static int check_string_enum(vctx *v, const cJSON *obj, const char *key, const char *const *values)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it)
        return 0;
    if (!cJSON_IsString(it) || !in_list(it->valuestring, values))
        return verr(v, key, "must be one of the documented values");
    return 0;
}

static int check_bool(vctx *v, const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return it && !cJSON_IsBool(it) ? verr(v, key, "must be true or false") : 0;
}

/* ---- top level ---- */

static bool kebab_case(const char *s)
{
    if (!*s || *s == '-')
        return false;
    for (const char *p = s; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || (*p == '-' && p[1] && p[1] != '-')))
            return false;
    return true;
}

/* "3.1.1:MQTT-4.3.3-2" */
static bool statement_ref(const char *s)
{
    const char *colon = strchr(s, ':');
    if (!colon || strncmp(colon + 1, "MQTT-", 5) != 0)
        return false;
    char version[8];
    size_t n = (size_t)(colon - s);
    if (n >= sizeof version)
        return false;
    memcpy(version, s, n);
    version[n] = '\0';
    if (mqs_version_parse(version) == MQTT_VERSION_UNKNOWN)
        return false;
    int a, b, c, d, used = 0;
    return sscanf(colon + 6, "%d.%d.%d-%d%n", &a, &b, &c, &d, &used) == 4 && colon[6 + used] == '\0';
}

static int check_string_array(vctx *v, const cJSON *obj, const char *key, bool required, bool (*ok)(const char *))
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!arr)
        return required ? verr(v, key, "required") : 0;
    if (!cJSON_IsArray(arr) || (required && cJSON_GetArraySize(arr) == 0))
        return verr(v, key, required ? "must be a non-empty array of strings" : "must be an array of strings");
    int i = 0;
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        if (!cJSON_IsString(it) || (ok && !ok(it->valuestring))) {
            size_t mark = path_push(v, key);
            char idx[16];
            snprintf(idx, sizeof idx, "%d", i);
            int rc = verr(v, idx, ok == statement_ref ? "must look like \"3.1.1:MQTT-x.y.z-n\" or \"5.0:MQTT-x.y.z-n\""
                                                      : "invalid value");
            path_pop(v, mark);
            return rc;
        }
    }
    return 0;
}

static bool known_version(const char *s) { return mqs_version_parse(s) != MQTT_VERSION_UNKNOWN; }
static bool known_capability(const char *s) { return capability_bit(s) >= 0; }

/* "qos1, qos2, ..." for messages. */
static const char *capability_list(char *buf, size_t cap)
{
    buf[0] = '\0';
    for (unsigned i = 0; i < CAP_COUNT; i++)
        snprintf(buf + strlen(buf), cap - strlen(buf), "%s%s", i ? ", " : "", cap_names[i]);
    return buf;
}
static bool any_string(const char *s) { return s != NULL; }

static int load_header(vctx *v, mqs_scenario *sc)
{
    static const char *const top_keys[] = {"id",   "title",    "description", "role",  "spec", "versions",
                                           "tags", "requires", "timeout_ms",  "steps", NULL};
    static const char *const roles[] = {"client", "server", NULL};
    const cJSON *root = sc->root;
    if (!cJSON_IsObject(root))
        return verr(v, NULL, "a scenario must be a JSON object");
    if (check_keys(v, root, top_keys, NULL))
        return -1;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(root, "title");
    if (!cJSON_IsString(id) || !kebab_case(id->valuestring))
        return verr(v, "id", "required: a kebab-case string such as \"qos2-inbound-flow\"");
    if (!cJSON_IsString(title) || !title->valuestring[0])
        return verr(v, "title", "required: a non-empty string");
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
    if (desc && !cJSON_IsString(desc))
        return verr(v, "description", "must be a string");
    if (check_string_enum(v, root, "role", roles) ||
        check_string_array(v, root, "spec", true, statement_ref) ||
        check_string_array(v, root, "versions", true, known_version) ||
        check_string_array(v, root, "tags", false, any_string) ||
        check_string_array(v, root, "requires", false, known_capability))
        return -1;
    sc->id = id->valuestring;
    sc->title = title->valuestring;
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(root, "role");
    sc->role = role && strcmp(role->valuestring, "server") == 0 ? MQS_ROLE_SERVER : MQS_ROLE_CLIENT;
    sc->spec = cJSON_GetObjectItemCaseSensitive(root, "spec");
    sc->tags = cJSON_GetObjectItemCaseSensitive(root, "tags");
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(root, "versions");
    for (const cJSON *it = vs->child; it && sc->nversions < MQS_MAX_VERSIONS; it = it->next)
        sc->versions[sc->nversions++] = mqs_version_parse(it->valuestring);
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(root, "requires");
    for (const cJSON *it = req ? req->child : NULL; it; it = it->next)
        sc->requires |= (unsigned)capability_bit(it->valuestring);
    sc->timeout_ms = 30000;
    if (get_int(v, root, "timeout_ms", 100, 600000, &sc->timeout_ms) < 0)
        return -1;
    sc->steps = cJSON_GetObjectItemCaseSensitive(root, "steps");
    if (!cJSON_IsArray(sc->steps) || cJSON_GetArraySize(sc->steps) == 0)
        return verr(v, "steps", "required: a non-empty array");
    return 0;
}

/* ---- packets and patterns ---- */

/* Fields whose value is text in the packet JSON form (docs/packet-json.md); every other captured value is a number. */
static bool text_field(const char *key)
{
    static const char *const keys[] = {"topic", "client_id", "payload", "username", "password", "filter",
                                       "filters", "protocol_name", "reason", "reasons", "content_type",
                                       "response_topic", "assigned_client_identifier", "authentication_method",
                                       "response_information", "server_reference", "reason_string",
                                       "user_property", NULL};
    return key && in_list(key, keys);
}

static bool is_var(const cJSON *c)
{
    return cJSON_IsString(c) && strncmp(c->valuestring, "${", 2) == 0 &&
           c->valuestring[strlen(c->valuestring) - 1] == '}';
}

/*
 * A copy of j where "${var}" strings become a value of the type the field
 * takes ("x" for text, 1 otherwise), so the packet can be checked before
 * captures exist.  An array element takes the type of the array's field.
 */
static cJSON *with_dummy_captures(const cJSON *j)
{
    cJSON *copy = cJSON_Duplicate(j, true);
    cJSON *stack[64];
    int top = 0;
    if (copy)
        stack[top++] = copy;
    while (top) {
        cJSON *n = stack[--top];
        for (cJSON *c = n->child; c; c = c->next) {
            if (is_var(c)) {
                const char *field = cJSON_IsArray(n) ? n->string : c->string;
                cJSON *dummy = text_field(field) ? cJSON_CreateString("x") : cJSON_CreateNumber(1);
                if (c->string) /* keep the key: the old item and its name are freed */
                    dummy->string = strdup(c->string);
                cJSON_ReplaceItemViaPointer(n, c, dummy);
                c = dummy;
            }
            if (c->child && top < 64)
                stack[top++] = c;
        }
    }
    return copy;
}

/*
 * Does the packet built from packet (found under key, or made of the step's
 * own fields when key is NULL) build at every version the step runs at?
 */
static int check_packet(vctx *v, const cJSON *packet, const char *key, const mqs_scenario *sc,
                        const cJSON *step)
{
    if (!cJSON_IsObject(packet))
        return verr(v, key, "must be an object (a packet in JSON form)");
    cJSON *probe = with_dummy_captures(packet);
    uint8_t *arena = malloc(1 << 20);
    int rc = 0;
    for (int i = 0; i < sc->nversions && rc == 0; i++) {
        if (!mqs_step_applies(step, sc->versions[i]))
            continue;
        mqtt_packet pkt;
        char why[300];
        if (mqtt_packet_from_json(probe, sc->versions[i], &pkt, arena, 1 << 20, why, sizeof why) < 0) {
            size_t mark = key ? path_push(v, key) : strlen(v->path);
            /* why is "/pointer: message" relative to the packet; "/: message" is the packet itself (not
             * "/:name: ...", a member whose name starts with ':') */
            const char *rel = strncmp(why, "/: ", 3) == 0 && v->path[0] ? why + 1 : why;
            snprintf(v->err, v->err_cap, "%s: %s%s (at %s)", v->file, v->path, rel,
                     mqtt_version_name(sc->versions[i]));
            path_pop(v, mark);
            rc = -1;
        }
    }
    free(arena);
    cJSON_Delete(probe);
    return rc;
}

/* Where a step's packet errors point: its "packet", or the step itself when it has none (fields given inline). */
static const char *packet_key(const cJSON *step)
{
    return cJSON_GetObjectItemCaseSensitive(step, "packet") ? "packet" : NULL;
}

static const char *const pattern_keys[] = {
    "type", "flags", "dup", "qos", "retain", "topic", "topic_hex", "packet_id", "payload", "payload_hex",
    "properties", "properties_hex", "code", "reason", "codes", "reasons", "session_present", "connack_flags",
    "has_code", "has_props", "subscriptions", "subscriptions_hex", "filters", "filters_hex", "client_id", "client_id_hex", "clean_start", "keep_alive",
    "will", "username", "username_hex", "password", "password_hex", "protocol_name", "protocol_level",
    "connect_flags", NULL};
static const char *const entry_keys[] = {"filter", "filter_hex", "qos", "no_local", "retain_as_published",
                                         "retain_handling", "options", NULL};
static const char *const will_keys[] = {"topic", "topic_hex", "payload", "payload_hex", "qos", "retain",
                                        "properties", "properties_hex", NULL};
static const char *const operators[] = {"$any_of", "$range", "$capture", "$absent", "$present", "$not", NULL};

static bool is_operator(const cJSON *j)
{
    return cJSON_IsObject(j) && j->child && j->child->string && j->child->string[0] == '$';
}

static int check_operator(vctx *v, const cJSON *op)
{
    const cJSON *m = op->child;
    if (m->next || !in_list(m->string, operators))
        return verr(v, m->string, "unknown operator (use $any_of, $range, $capture, $absent, $present or $not)");
    if (strcmp(m->string, "$any_of") == 0 && !cJSON_IsArray(m))
        return verr(v, m->string, "must be an array of values");
    if (strcmp(m->string, "$range") == 0 &&
        (!cJSON_IsArray(m) || cJSON_GetArraySize(m) != 2 || !cJSON_IsNumber(m->child) ||
         !cJSON_IsNumber(m->child->next) || m->child->valuedouble > m->child->next->valuedouble))
        return verr(v, m->string, "must be [lo, hi] with lo <= hi");
    if (strcmp(m->string, "$capture") == 0 && !cJSON_IsString(m))
        return verr(v, m->string, "must be a variable name");
    if ((strcmp(m->string, "$absent") == 0 || strcmp(m->string, "$present") == 0) && !cJSON_IsTrue(m))
        return verr(v, m->string, "must be true");
    return 0;
}

static int check_pattern_object(vctx *v, const cJSON *obj, const char *const *keys);

static int check_pattern_value(vctx *v, const cJSON *val, const char *key)
{
    if (is_operator(val))
        return check_operator(v, val);
    if (strcmp(key, "properties") == 0) {
        if (!cJSON_IsObject(val))
            return verr(v, NULL, "must be an object of properties");
        for (const cJSON *p = val->child; p; p = p->next)
            if (mqtt_prop_by_key(p->string) < 0)
                return verr(v, p->string, "unknown property");
        return 0;
    }
    if (strcmp(key, "will") == 0)
        return cJSON_IsObject(val) ? check_pattern_object(v, val, will_keys) : verr(v, NULL, "must be an object");
    if (strcmp(key, "subscriptions") == 0 && cJSON_IsArray(val)) {
        int i = 0;
        for (const cJSON *e = val->child; e; e = e->next, i++) {
            size_t mark = path_push_index(v, i);
            int rc = cJSON_IsObject(e) ? check_pattern_object(v, e, entry_keys) : verr(v, NULL, "must be an object");
            path_pop(v, mark);
            if (rc)
                return rc;
        }
    }
    if (strcmp(key, "type") == 0 && (!cJSON_IsString(val) || mqtt_packet_type_by_name(val->valuestring) < 0))
        return verr(v, NULL, "unknown packet type");
    return 0;
}

static int check_pattern_object(vctx *v, const cJSON *obj, const char *const *keys)
{
    for (const cJSON *m = obj->child; m; m = m->next) {
        if (!in_list(m->string, keys))
            return verr(v, m->string, "unknown field (patterns use the packet JSON form)");
        size_t mark = path_push(v, m->string);
        int rc = check_pattern_value(v, m, m->string);
        path_pop(v, mark);
        if (rc)
            return rc;
    }
    return 0;
}

static int check_pattern(vctx *v, const cJSON *pattern, const char *key)
{
    size_t mark = path_push(v, key);
    int rc = cJSON_IsObject(pattern) ? check_pattern_object(v, pattern, pattern_keys)
                                     : verr(v, NULL, "must be an object (a packet pattern)");
    path_pop(v, mark);
    return rc;
}

/* ---- steps ---- */

static const char *const actions[] = {"connect",        "reconnect", "open", "accept", "send",       "expect",
                                      "one_of",         "expect_close", "expect_nothing", "sleep_ms", "drop",
                                      "disconnect",     "requires",  "expect_subprotocol", "auth", "expect_either",
                                      NULL};
/* Actions that open a connection to a broker (client role), and the one that takes one from a client (server role);
 * auth plays the client's side of an enhanced authentication. */
static const char *const client_only[] = {"connect", "reconnect", "open", "auth", NULL};
static const char *const server_only[] = {"accept", NULL};
static const char *const common_keys[] = {"versions", "spec", "severity", "comment", "when_equal", NULL};

static int check_conn_name(vctx *v, const cJSON *step, bool opens)
{
    const cJSON *name = step->child;
    if (!cJSON_IsString(name) || !name->valuestring[0] || strlen(name->valuestring) > 16)
        return verr(v, name->string, "must name a connection (1-16 characters)");
    for (const char *p = name->valuestring; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return verr(v, name->string, "connection names use letters, digits and _");
    for (int i = 0; i < v->nnames; i++)
        if (strcmp(v->names[i], name->valuestring) == 0)
            return 0;
    if (!opens)
        return verr(v, name->string, "connection '%s' is not opened by an earlier step", name->valuestring);
    if (v->nnames >= 16)
        return verr(v, name->string, "at most 16 connections per scenario");
    snprintf(v->names[v->nnames++], sizeof v->names[0], "%s", name->valuestring);
    return 0;
}

/* "auth": {"method": "SCRAM-SHA-256", "user": U, "password": P}: the one method the engine plays. */
static int check_auth_field(vctx *v, const cJSON *step)
{
    static const char *const keys[] = {"method", "user", "password", NULL};
    const cJSON *auth = cJSON_GetObjectItemCaseSensitive(step, "auth");
    if (!auth)
        return 0;
    if (!cJSON_IsObject(auth))
        return verr(v, "auth", "must be an object {\"method\": \"SCRAM-SHA-256\", \"user\", \"password\"}");
    for (const cJSON *it = auth->child; it; it = it->next)
        if (!in_list(it->string, keys) || !cJSON_IsString(it))
            return verr(v, "auth", "unknown or non-string member \"%s\" (method, user, password)", it->string);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(auth, "method");
    if (!cJSON_IsString(m) || strcmp(m->valuestring, "SCRAM-SHA-256") != 0)
        return verr(v, "auth", "\"method\" must be \"SCRAM-SHA-256\" (the one method the engine plays)");
    return 0;
}

/* {"auth": NAME, "server_first": "${sf}" [, "wrong_proof": true]} | {"server_final": "${v}"} |
 * {"reauthenticate": true [, "user": U]}: one move of the client's side of SCRAM-SHA-256. */
static int check_auth_step(vctx *v, const cJSON *step)
{
    static const char *const keys[] = {"auth", "server_first", "wrong_proof", "server_final", "reauthenticate", "user",
                                       NULL};
    if (check_keys(v, step, keys, common_keys) || check_conn_name(v, step, false))
        return -1;
    const cJSON *sf = cJSON_GetObjectItemCaseSensitive(step, "server_first");
    const cJSON *fin = cJSON_GetObjectItemCaseSensitive(step, "server_final");
    const cJSON *re = cJSON_GetObjectItemCaseSensitive(step, "reauthenticate");
    const cJSON *wrong = cJSON_GetObjectItemCaseSensitive(step, "wrong_proof");
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(step, "user");
    if ((sf != NULL) + (fin != NULL) + (re != NULL) != 1)
        return verr(v, "auth", "needs exactly one of server_first, server_final, reauthenticate");
    if ((sf && !cJSON_IsString(sf)) || (fin && !cJSON_IsString(fin)))
        return verr(v, sf ? "server_first" : "server_final", "must be a string: a captured Authentication Data");
    if (re && !cJSON_IsTrue(re))
        return verr(v, "reauthenticate", "must be true");
    if (wrong && (!sf || !cJSON_IsBool(wrong)))
        return verr(v, "wrong_proof", "a boolean, with server_first only");
    if (user && (!re || !cJSON_IsString(user)))
        return verr(v, "user", "a string, with reauthenticate only");
    return 0;
}

static int check_connect_step(vctx *v, const cJSON *step)
{
    static const char *const keys[] = {"connect", "reconnect", "client_id", "clean_start", "keep_alive",
                                       "username", "password", "will", "properties", "connack", "packet", "auth", NULL};
    if (check_keys(v, step, keys, common_keys) || check_conn_name(v, step, true) || check_auth_field(v, step))
        return -1;
    const cJSON *connack = cJSON_GetObjectItemCaseSensitive(step, "connack");
    if (connack && !cJSON_IsNull(connack) && check_pattern(v, connack, "connack"))
        return -1;
    /* The CONNECT it will send must build at every version it runs at.  Without
     * "packet" it is made of the step's own fields: errors point at those. */
    cJSON *connect = mqs_connect_json(step, NULL);
    int rc = connect ? check_packet(v, connect, packet_key(step), v->sc, step) : verr(v, NULL, "out of memory");
    cJSON_Delete(connect);
    return rc;
}

/* A non-empty array of patterns under key ("packets", "ignore"). */
static int check_pattern_list(vctx *v, const cJSON *list, const char *key)
{
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
        return verr(v, key, "must be a non-empty array of patterns");
    size_t mark = path_push(v, key);
    int i = 0, rc = 0;
    for (const cJSON *p = list->child; p && !rc; p = p->next, i++) {
        char idx[16];
        snprintf(idx, sizeof idx, "%d", i);
        rc = check_pattern(v, p, idx);
    }
    path_pop(v, mark);
    return rc;
}

/* [lo, hi] with 0 <= lo <= hi <= max: bounded so that the engine's int arithmetic cannot overflow. */
static bool number_pair(const cJSON *w, double max)
{
    return cJSON_IsArray(w) && cJSON_GetArraySize(w) == 2 && cJSON_IsNumber(w->child) &&
           cJSON_IsNumber(w->child->next) && w->child->valuedouble >= 0 &&
           w->child->valuedouble <= w->child->next->valuedouble && w->child->next->valuedouble <= max;
}

/* Keep-alive windows are factors of a keep-alive of at most 65535 s, in int milliseconds. */
#define MAX_KEEP_ALIVE_FACTOR 10

/* The timing fields shared by expect and expect_close: window_ms or keep_alive_window, tolerance_ms, since, early. */
static int check_window(vctx *v, const cJSON *step)
{
    static const char *const since[] = {"step", "last_sent", "last_received", NULL};
    static const char *const early[] = {"fail", "warn", NULL};
    int ms;
    if (get_int(v, step, "tolerance_ms", 0, 600000, &ms) < 0 || check_string_enum(v, step, "since", since) ||
        check_string_enum(v, step, "early", early))
        return -1;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(step, "window_ms");
    if (w && !number_pair(w, 600000))
        return verr(v, "window_ms", "must be [lo, hi] in ms with 0 <= lo <= hi <= 600000");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(step, "keep_alive_window");
    if (k && (w || !number_pair(k, MAX_KEEP_ALIVE_FACTOR)))
        return verr(v, "keep_alive_window",
                    "must be [lo, hi] factors (0..10) of the keep-alive in force, without window_ms");
    return 0;
}

static bool has_window(const cJSON *step)
{
    return cJSON_GetObjectItemCaseSensitive(step, "window_ms") ||
           cJSON_GetObjectItemCaseSensitive(step, "keep_alive_window");
}

static int check_expect_step(vctx *v, const cJSON *step)
{
    static const char *const keys[] = {"expect", "packet", "packets", "any_order", "within_ms", "ignore",
                                       "window_ms", "keep_alive_window", "tolerance_ms", "since", "early",
                                       "precondition", "allow_missing", NULL};
    int ms;
    if (check_keys(v, step, keys, common_keys) || check_conn_name(v, step, false) ||
        get_int(v, step, "within_ms", 1, 600000, &ms) < 0 || check_bool(v, step, "any_order") ||
        check_bool(v, step, "precondition") || check_bool(v, step, "allow_missing") || check_window(v, step))
        return -1;
    const cJSON *one = cJSON_GetObjectItemCaseSensitive(step, "packet");
    const cJSON *many = cJSON_GetObjectItemCaseSensitive(step, "packets");
    const cJSON *ignore = cJSON_GetObjectItemCaseSensitive(step, "ignore");
    if (!one == !many)
        return verr(v, NULL, "needs exactly one of \"packet\" or \"packets\"");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "allow_missing")) &&
        (!many || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(step, "any_order"))))
        return verr(v, "allow_missing", "needs \"packets\" in their order (not \"packet\", not any_order)");
    if (many && has_window(step))
        return verr(v, "packets", "a timing window (window_ms, keep_alive_window) needs a single \"packet\"");
    if (ignore && check_pattern_list(v, ignore, "ignore"))
        return -1;
    return one ? check_pattern(v, one, "packet") : check_pattern_list(v, many, "packets");
}

/* {"expect_either": "a", "packet": P, "or": {"b": Q, ...}, "capture_conn": "who", "within_ms": N} */
static int check_expect_either_step(vctx *v, const cJSON *step)
{
    static const char *const keys[] = {"expect_either", "packet", "or", "capture_conn", "within_ms", NULL};
    int ms;
    if (check_keys(v, step, keys, common_keys) || check_conn_name(v, step, false) ||
        get_int(v, step, "within_ms", 1, 600000, &ms) < 0)
        return -1;
    const cJSON *packet = cJSON_GetObjectItemCaseSensitive(step, "packet");
    const cJSON *others = cJSON_GetObjectItemCaseSensitive(step, "or");
    const cJSON *var = cJSON_GetObjectItemCaseSensitive(step, "capture_conn");
    if (!packet)
        return verr(v, "packet", "required: the pattern for the step's own connection");
    if (check_pattern(v, packet, "packet"))
        return -1;
    if (!cJSON_IsObject(others) || !others->child)
        return verr(v, "or", "required: {\"CONNECTION\": pattern, ...}, at least one other connection");
    if (var && (!cJSON_IsString(var) || !var->valuestring[0]))
        return verr(v, "capture_conn", "must be a variable name (a string)");
    size_t mark = path_push(v, "or");
    int rc = 0;
    for (const cJSON *o = others->child; o && !rc; o = o->next) {
        bool known = false;
        for (int i = 0; i < v->nnames; i++)
            known |= strcmp(v->names[i], o->string) == 0;
        rc = known ? check_pattern(v, o, o->string)
                   : verr(v, o->string, "connection '%s' is not opened by an earlier step", o->string);
        if (!rc && strcmp(o->string, step->child->valuestring) == 0)
            rc = verr(v, o->string, "is the step's own connection");
    }
    path_pop(v, mark);
    return rc;
}

static int check_outcome(vctx *v, const cJSON *o)
{
    static const char *const keys[] = {"packet", "then_close", "close", "nothing", "then_end", "then_skip", NULL};
    if (!cJSON_IsObject(o))
        return verr(v, NULL, "must be an object");
    if (check_keys(v, o, keys, NULL) || check_bool(v, o, "then_close") || check_bool(v, o, "close") ||
        check_bool(v, o, "nothing") || check_bool(v, o, "then_end"))
        return -1;
    const cJSON *skip = cJSON_GetObjectItemCaseSensitive(o, "then_skip");
    char caps[400];
    if (skip && (!cJSON_IsString(skip) || !known_capability(skip->valuestring)))
        return verr(v, "then_skip", "must name a capability (%s)", capability_list(caps, sizeof caps));
    if (skip && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "then_end")))
        return verr(v, "then_skip", "an outcome either ends the case (then_end) or skips it (then_skip), not both");
    const cJSON *packet = cJSON_GetObjectItemCaseSensitive(o, "packet");
    int kinds = (packet != NULL) + cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "close")) +
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "nothing"));
    if (kinds != 1)
        return verr(v, NULL, "an outcome is {\"packet\": ...}, {\"close\": true} or {\"nothing\": true}");
    return packet ? check_pattern(v, packet, "packet") : 0;
}

static int check_one_of_step(vctx *v, const cJSON *step)
{
    static const char *const keys[] = {"one_of", "outcomes", "within_ms", "precondition", NULL};
    int ms;
    if (check_keys(v, step, keys, common_keys) || check_conn_name(v, step, false) ||
        get_int(v, step, "within_ms", 1, 600000, &ms) < 0 || check_bool(v, step, "precondition"))
        return -1;
    const cJSON *outcomes = cJSON_GetObjectItemCaseSensitive(step, "outcomes");
    if (!cJSON_IsArray(outcomes) || cJSON_GetArraySize(outcomes) < 1)
        return verr(v, "outcomes", "required: a non-empty array");
    size_t mark = path_push(v, "outcomes");
    int i = 0, rc = 0;
    for (const cJSON *o = outcomes->child; o && !rc; o = o->next, i++) {
        size_t m2 = path_push_index(v, i);
        rc = check_outcome(v, o);
        path_pop(v, m2);
    }
    path_pop(v, mark);
    return rc;
}

static int check_close_step(vctx *v, const cJSON *step)
{
    static const char *const keys[] = {"expect_close", "within_ms", "window_ms", "keep_alive_window", "tolerance_ms",
                                       "since", "early", NULL};
    int ms;
    if (check_keys(v, step, keys, common_keys) || check_conn_name(v, step, false) ||
        get_int(v, step, "within_ms", 1, 600000, &ms) < 0)
        return -1;
    return check_window(v, step);
}

static int check_accept_step(vctx *v, const cJSON *step)
{
    static const char *const keys[] = {"accept", "within_ms", "precondition", NULL};
    int ms;
    return check_keys(v, step, keys, common_keys) || check_conn_name(v, step, true) ||
                   get_int(v, step, "within_ms", 1, 600000, &ms) < 0 || check_bool(v, step, "precondition")
               ? -1
               : 0;
}

/* {"requires": ["qos2"]}: the case goes on only on a target that has these capabilities. */
static int check_requires_step(vctx *v, const cJSON *step)
{
    static const char *const keys[] = {"requires", NULL};
    if (check_keys(v, step, keys, common_keys) || check_string_array(v, step, "requires", true, known_capability))
        return -1;
    return cJSON_GetArraySize(step->child) ? 0 : verr(v, "requires", "must list at least one capability");
}

static int check_simple_step(vctx *v, const cJSON *step, const char *action)
{
    int ms;
    if (strcmp(action, "sleep_ms") == 0) {
        static const char *const keys[] = {"sleep_ms", NULL};
        return check_keys(v, step, keys, common_keys) || get_int(v, step, "sleep_ms", 0, 600000, &ms) < 0 ? -1 : 0;
    }
    if (strcmp(action, "expect_nothing") == 0) {
        static const char *const keys[] = {"expect_nothing", "for_ms", NULL};
        if (check_keys(v, step, keys, common_keys) || check_conn_name(v, step, false))
            return -1;
        int rc = get_int(v, step, "for_ms", 1, 600000, &ms);
        return rc < 0 ? -1 : rc == 0 ? verr(v, "for_ms", "required") : 0;
    }
    if (strcmp(action, "drop") == 0) {
        static const char *const keys[] = {"drop", NULL};
        return check_keys(v, step, keys, common_keys) || check_conn_name(v, step, false) ? -1 : 0;
    }
    if (strcmp(action, "open") == 0) {
        static const char *const keys[] = {"open", NULL};
        return check_keys(v, step, keys, common_keys) || check_conn_name(v, step, true) ? -1 : 0;
    }
    /* disconnect */
    static const char *const keys[] = {"disconnect", "packet", NULL};
    if (check_keys(v, step, keys, common_keys) || check_conn_name(v, step, false))
        return -1;
    cJSON *pkt = mqs_disconnect_json(step);
    int rc = pkt ? check_packet(v, pkt, packet_key(step), v->sc, step) : verr(v, NULL, "out of memory");
    cJSON_Delete(pkt);
    return rc;
}

static int check_send_step(vctx *v, const cJSON *step)
{
    static const char *const keys[] = {"send", "packet", "hex", "ws", NULL};
    if (check_keys(v, step, keys, common_keys) || check_conn_name(v, step, false))
        return -1;
    const cJSON *packet = cJSON_GetObjectItemCaseSensitive(step, "packet");
    const cJSON *hex = cJSON_GetObjectItemCaseSensitive(step, "hex");
    if (!packet == !hex)
        return verr(v, NULL, "needs exactly one of \"packet\" or \"hex\"");
    size_t n = 0;
    if (hex && (!cJSON_IsString(hex) || mqs_hex_decode(hex->valuestring, NULL, 0, &n) < 0 || n == 0))
        return verr(v, "hex", "must be hex bytes, e.g. \"30 05 00 03 61 2b 62\"");
    mqs_ws_send how;
    const char *field;
    char why[200];
    if (mqs_ws_send_of(step, n, &how, &field, why, sizeof why) < 0) {
        const char *slash = strchr(field, '/'); /* "ws/frame": a member of the ws object */
        if (!slash)
            return verr(v, field, "%s", why);
        size_t mark = path_push(v, "ws");
        int rc = verr(v, slash + 1, "%s", why);
        path_pop(v, mark);
        return rc;
    }
    if (how.opcode == MQS_WS_PING && packet)
        return verr(v, "ws", "a ping carries \"hex\" bytes, not a packet");
    if (hex)
        return 0;
    return check_packet(v, packet, "packet", v->sc, step);
}

/* {"expect_subprotocol": NAME, "protocol": "mqtt"}: the WebSocket subprotocol the server selected. */
static int check_subprotocol_step(vctx *v, const cJSON *step)
{
    static const char *const keys[] = {"expect_subprotocol", "protocol", NULL};
    if (check_keys(v, step, keys, common_keys) || check_conn_name(v, step, false))
        return -1;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(step, "protocol");
    return cJSON_IsString(p) && p->valuestring[0] ? 0 : verr(v, "protocol", "required: the subprotocol name");
}

static int check_step_common(vctx *v, const cJSON *step)
{
    static const char *const severities[] = {"must", "should", NULL};
    if (check_string_array(v, step, "versions", false, known_version) ||
        check_string_array(v, step, "spec", false, statement_ref) ||
        check_string_enum(v, step, "severity", severities))
        return -1;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(step, "when_equal");
    if (w && (!cJSON_IsArray(w) || cJSON_GetArraySize(w) != 2 || !cJSON_IsString(w->child) ||
              strncmp(w->child->valuestring, "${", 2) != 0))
        return verr(v, "when_equal", "must be [\"${var}\", value]: the step runs only when the captured value equals it");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(step, "comment");
    return c && !cJSON_IsString(c) ? verr(v, "comment", "must be a string") : 0;
}

static int check_step(vctx *v, const cJSON *step)
{
    if (!cJSON_IsObject(step) || !step->child)
        return verr(v, NULL, "a step is an object whose first field names its action");
    const char *action = step->child->string;
    if (!in_list(action, actions))
        return verr(v, action, "unknown action (first field of a step names it)");
    if (v->sc->role == MQS_ROLE_SERVER && in_list(action, client_only))
        return verr(v, action, "not in a server-role scenario: the client under test connects (use accept)");
    if (v->sc->role == MQS_ROLE_CLIENT && in_list(action, server_only))
        return verr(v, action, "only in a server-role scenario (\"role\": \"server\")");
    if (check_step_common(v, step))
        return -1;
    if (strcmp(action, "accept") == 0)
        return check_accept_step(v, step);
    if (strcmp(action, "connect") == 0 || strcmp(action, "reconnect") == 0)
        return check_connect_step(v, step);
    if (strcmp(action, "send") == 0)
        return check_send_step(v, step);
    if (strcmp(action, "expect") == 0)
        return check_expect_step(v, step);
    if (strcmp(action, "one_of") == 0)
        return check_one_of_step(v, step);
    if (strcmp(action, "expect_either") == 0)
        return check_expect_either_step(v, step);
    if (strcmp(action, "expect_close") == 0)
        return check_close_step(v, step);
    if (strcmp(action, "requires") == 0)
        return check_requires_step(v, step);
    if (strcmp(action, "expect_subprotocol") == 0)
        return check_subprotocol_step(v, step);
    if (strcmp(action, "auth") == 0)
        return check_auth_step(v, step);
    return check_simple_step(v, step, action);
}

static int load_steps(vctx *v, const mqs_scenario *sc)
{
    size_t mark = path_push(v, "steps");
    int i = 0, rc = 0;
    for (const cJSON *step = sc->steps->child; step && !rc; step = step->next, i++) {
        size_t m2 = path_push_index(v, i);
        rc = check_step(v, step);
        path_pop(v, m2);
    }
    path_pop(v, mark);
    return rc;
}

/* ---- files ---- */

/* The largest scenario file read (the biggest shipped one is ~160 KB): a bound, not a format rule. */
#define MQS_SCENARIO_MAX_BYTES (16u << 20)

/* Line and column of a byte of text, for messages people can act on. */
static void line_column(const char *text, const char *at, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; at && p < at; p++) {
        if (*p == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/*
 * The whole file as a NUL-terminated string, *len its size.  Opened without
 * blocking and checked to be a regular file before a byte is read: a FIFO or
 * a device named *.json must not hang or flood the loader.
 */
static char *read_file(const char *path, size_t *len, char *err, size_t err_cap)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_cap, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0)
        snprintf(err, err_cap, "%s: cannot stat: %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        snprintf(err, err_cap, "%s: not a regular file", path);
    else if ((uintmax_t)st.st_size > MQS_SCENARIO_MAX_BYTES)
        snprintf(err, err_cap, "%s: larger than %u bytes, not a scenario", path, MQS_SCENARIO_MAX_BYTES);
    else if (!(buf = malloc((size_t)st.st_size + 1)))
        snprintf(err, err_cap, "%s: out of memory", path);
    size_t size = buf ? (size_t)st.st_size : 0, n = 0;
    bool ok = buf != NULL;
    while (ok && n < size) {
        ssize_t got = read(fd, buf + n, size - n);
        if (got > 0)
            n += (size_t)got;
        else if (got == 0)
            break; /* it shrank meanwhile: what is there */
        else if (errno != EINTR) {
            snprintf(err, err_cap, "%s: cannot read: %s", path, strerror(errno));
            ok = false;
        }
    }
    close(fd);
    if (!ok) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Depth of [ and { open before at (outside strings), to tell "too deep" from other syntax errors. */
static int depth_at(const char *text, const char *at)
{
    int depth = 0;
    bool in_string = false;
    for (const char *p = text; p < at && *p; p++) {
        if (in_string) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_string = false;
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == '[' || *p == '{') {
            depth++;
        } else if (*p == ']' || *p == '}') {
            depth--;
        }
    }
    return depth;
}

static void parse_error(const char *path, const char *text, const char *at, char *err, size_t err_cap)
{
    int line, col;
    line_column(text, at, &line, &col);
    if (at && (*at == '[' || *at == '{') && depth_at(text, at) >= CJSON_NESTING_LIMIT)
        snprintf(err, err_cap, "%s: /: nested too deeply (more than %d levels) at line %d column %d", path,
                 CJSON_NESTING_LIMIT, line, col);
    else
        snprintf(err, err_cap, "%s: /: invalid JSON at line %d column %d", path, line, col);
}

/*
 * cJSON ends a string at "\u0000", so a scenario saying "a\u0000b" would
 * silently send "a".  Before parsing, each such escape becomes C0 80 (the
 * overlong form of U+0000, never valid UTF-8), so check_strings finds the
 * string and names it.  Outside strings a backslash is a syntax error, which
 * the parse of the original text reports; escapes are skipped whole so "\\u0000"
 * (a backslash, then text) is left alone.  NULL if there is none to mark.
 */
static char *mark_nul_escapes(const char *text, size_t len)
{
    if (!strstr(text, "\\u0000"))
        return NULL;
    char *out = malloc(len + 1), *o = out;
    if (!out)
        return NULL;
    for (const char *p = text; *p;) {
        if (p[0] == '\\' && strncmp(p + 1, "u0000", 5) == 0) {
            *o++ = (char)0xC0;
            *o++ = (char)0x80;
            p += 6;
        } else if (p[0] == '\\' && p[1]) {
            *o++ = *p++;
            *o++ = *p++;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* A string of the file (key or value) is UTF-8 without U+0000, or an error at its pointer. */
static int check_text(vctx *v, const char *s, const char *what)
{
    mqtt_err why;
    size_t at;
    if (mqtt_utf8_valid((const uint8_t *)s, strlen(s), &why, &at))
        return 0;
    const char *hint = what[0] ? "" : "; bytes that are not text go in a _hex field";
    if ((uint8_t)s[at] == 0xC0 && (uint8_t)s[at + 1] == 0x80)
        return verr(v, NULL, "%scontains U+0000 (at byte %zu)%s", what, at, hint);
    return verr(v, NULL, "%sis not valid UTF-8 (at byte %zu)%s", what, at, hint);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * An object names each member once: with a name twice, which one counts
 * would depend on the reader (the loader takes the first), and a pointer
 * could not say which is meant.  Sorted, so a huge object costs n log n.
 */
static int check_unique_names(vctx *v, const cJSON *obj)
{
    size_t n = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        n++;
    if (n < 2)
        return 0;
    const char **names = malloc(n * sizeof *names);
    if (!names)
        return verr(v, NULL, "out of memory");
    n = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        names[n++] = c->string;
    qsort(names, n, sizeof *names, by_string);
    const char *twice = NULL;
    for (size_t i = 1; i < n && !twice; i++)
        if (strcmp(names[i], names[i - 1]) == 0)
            twice = names[i];
    int rc = twice ? verr(v, twice, "named twice in this object (a member must be unique)") : 0;
    free(names);
    return rc;
}

/*
 * Every string and member name in the file is well-formed UTF-8 without
 * U+0000: what goes on the wire as text is what the file says, and a broker
 * is never blamed for rejecting bytes the scenario got wrong.  Raw bytes are
 * written as hex, which this check passes.  Member names are unique.
 */
static int check_strings(vctx *v, const cJSON *node)
{
    if (cJSON_IsString(node) && check_text(v, node->valuestring, ""))
        return -1;
    int i = 0;
    /* A bad member name has no pointer of its own: the object holding it is named. */
    for (const cJSON *c = node->child; c; c = c->next)
        if (c->string && check_text(v, c->string, "a member name "))
            return -1;
    if (cJSON_IsObject(node) && check_unique_names(v, node))
        return -1;
    for (const cJSON *c = node->child; c; c = c->next, i++) {
        size_t mark = c->string ? path_push(v, c->string) : path_push_index(v, i);
        int rc = check_strings(v, c);
        path_pop(v, mark);
        if (rc)
            return rc;
    }
    return 0;
}

/* Parse text: a tree, or NULL with "file: /: ..." (a position for syntax, a pointer for bad strings). */
static cJSON *parse_scenario(const char *path, const char *text, size_t len, char *err, size_t err_cap)
{
    if (strlen(text) != len) { /* cJSON would stop reading at the NUL */
        int line, col;
        line_column(text, text + strlen(text), &line, &col);
        snprintf(err, err_cap, "%s: /: a NUL byte at line %d column %d (not JSON text)", path, line, col);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, true);
    if (!root) {
        parse_error(path, text, end ? end : cJSON_GetErrorPtr(), err, err_cap);
        return NULL;
    }
    char *marked = mark_nul_escapes(text, len);
    if (marked) { /* parses as the original did: only string contents changed */
        cJSON *again = cJSON_ParseWithOpts(marked, NULL, true);
        free(marked);
        if (again) {
            cJSON_Delete(root);
            root = again;
        }
    }
    vctx v = {.file = path, .err = err, .err_cap = err_cap};
    if (check_strings(&v, root)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int mqs_scenario_load(const char *path, mqs_scenario *out, char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    if (err_cap)
        err[0] = '\0';
    size_t len = 0;
    char *text = read_file(path, &len, err, err_cap);
    if (!text)
        return -1;
    out->root = parse_scenario(path, text, len, err, err_cap);
    free(text);
    if (!out->root)
        return -1;
    out->file = strdup(path);
    vctx v = {.file = path, .err = err, .err_cap = err_cap, .sc = out};
    if (!out->file) {
        verr(&v, NULL, "out of memory");
        mqs_scenario_free(out);
        return -1;
    }
    if (load_header(&v, out) || load_steps(&v, out)) {
        mqs_scenario_free(out);
        return -1;
    }
    return 0;
}

void mqs_scenario_free(mqs_scenario *sc)
{
    cJSON_Delete(sc->root);
    free(sc->file);
    memset(sc, 0, sizeof *sc);
}

bool mqs_scenario_has_version(const mqs_scenario *sc, mqtt_version v)
{
    for (int i = 0; i < sc->nversions; i++)
        if (sc->versions[i] == v)
            return true;
    return false;
}

/* ---- discovery and selection ---- */

typedef struct path_list {
    char **items;
    size_t count, cap;
} path_list;

static bool path_list_add(path_list *l, const char *path)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return false;
        l->items = items;
        l->cap = cap;
    }
    char *copy = strdup(path);
    if (!copy)
        return false;
    l->items[l->count++] = copy;
    return true;
}

static bool is_scenario_file(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".json") == 0 && strcmp(name, "schema.json") != 0 && name[0] != '.';
}

/*
 * What discovery has seen, by device and inode: a folder or file reached a
 * second time (a symlink loop, or two links to one place) is not read again,
 * so a loop ends and no scenario is loaded twice.
 */
typedef struct seen_node {
    dev_t dev;
    ino_t ino;
    char *path; /* where it was first seen, for the note */
} seen_node;

typedef struct walker {
    path_list files;
    seen_node *seen;
    size_t nseen, seen_cap;
    FILE *notes;
    int failures; /* out of memory, a root that is no folder or regular file */
} walker;

/* Walks deeper than this are cut (with a note): no scenario tree is that deep, a runaway one may be. */
#define MQS_WALK_MAX_DEPTH 32

/* NULL if (dev, ino) is new (and now recorded), else the path it was first seen at. */
static const char *seen_before(walker *w, const struct stat *st, const char *path)
{
    for (size_t i = 0; i < w->nseen; i++)
        if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino)
            return w->seen[i].path;
    if (w->nseen == w->seen_cap) {
        size_t cap = w->seen_cap ? w->seen_cap * 2 : 64;
        seen_node *grown = realloc(w->seen, cap * sizeof *grown);
        if (!grown)
            return NULL; /* worst case a file is read twice: the duplicate id is reported */
        w->seen = grown;
        w->seen_cap = cap;
    }
    char *copy = strdup(path);
    if (copy)
        w->seen[w->nseen++] = (seen_node){st->st_dev, st->st_ino, copy};
    return NULL;
}

static void note(walker *w, const char *path, const char *what, const char *other)
{
    if (w->notes)
        fprintf(w->notes, "%s: skipped: %s%s\n", path, what, other ? other : "");
}

static void walk(walker *w, const char *dir, int depth);

/* One entry of a folder: a sub-folder to walk, a scenario file to load, or something to skip. */
static void walk_entry(walker *w, const char *path, const char *name, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0) { /* a dangling symlink, or one in a loop of symlinks */
        if (is_scenario_file(name) || errno == ELOOP)
            note(w, path, strerror(errno), NULL);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        const char *first = seen_before(w, &st, path);
        if (first)
            note(w, path, "the same folder as ", first);
        else
            walk(w, path, depth + 1);
        return;
    }
    if (!is_scenario_file(name))
        return;
    if (!S_ISREG(st.st_mode)) { /* a FIFO would block the loader, a device feed it forever */
        note(w, path, "not a regular file", NULL);
        return;
    }
    const char *first = seen_before(w, &st, path);
    if (first)
        note(w, path, "the same file as ", first);
    else if (!path_list_add(&w->files, path))
        w->failures++;
}

static void walk(walker *w, const char *dir, int depth)
{
    if (depth > MQS_WALK_MAX_DEPTH) {
        note(w, dir, "folders nested too deeply", NULL);
        return;
    }
    DIR *d = opendir(dir);
    if (!d) {
        note(w, dir, strerror(errno), NULL);
        return;
    }
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) {
            note(w, dir, "a path too long below it", NULL);
            continue;
        }
        walk_entry(w, path, e->d_name, depth);
    }
    closedir(d);
}

/* A path given by the user: a folder to search, or a scenario file (any name). */
static void walk_root(walker *w, const char *root)
{
    struct stat st;
    if (stat(root, &st) != 0) {
        if (w->notes)
            fprintf(w->notes, "%s: cannot read scenarios: %s\n", root, strerror(errno));
        w->failures++;
        return;
    }
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
        if (w->notes)
            fprintf(w->notes, "%s: not a folder or a regular file\n", root);
        w->failures++;
        return;
    }
    const char *first = seen_before(w, &st, root);
    if (first)
        note(w, root, S_ISDIR(st.st_mode) ? "the same folder as " : "the same file as ", first);
    else if (S_ISDIR(st.st_mode))
        walk(w, root, 0);
    else if (!path_list_add(&w->files, root))
        w->failures++;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const mqs_scenario *)a)->id, ((const mqs_scenario *)b)->id);
}

int mqs_scenarios_discover(const char *const *roots, size_t nroots, mqs_scenario_set *set, FILE *errors)
{
    walker w = {.notes = errors};
    for (size_t r = 0; r < nroots; r++)
        walk_root(&w, roots[r]);
    for (size_t i = 0; i < w.nseen; i++)
        free(w.seen[i].path);
    free(w.seen);
    path_list paths = w.files;
    set->items = calloc(paths.count ? paths.count : 1, sizeof *set->items);
    set->count = 0;
    int failures = w.failures;
    if (!set->items) {
        if (errors)
            fprintf(errors, "mqttspec: out of memory loading %zu scenario files\n", paths.count);
        failures++;
    }
    for (size_t i = 0; i < paths.count; i++) {
        char err[1024];
        if (set->items && mqs_scenario_load(paths.items[i], &set->items[set->count], err, sizeof err) == 0) {
            set->count++;
        } else if (set->items) {
            failures++;
            if (errors)
                fprintf(errors, "%s\n", err);
        }
        free(paths.items[i]);
    }
    free(paths.items);
    if (set->count)
        qsort(set->items, set->count, sizeof *set->items, by_id);
    for (size_t i = 1; i < set->count; i++) {
        if (strcmp(set->items[i].id, set->items[i - 1].id) == 0) {
            failures++;
            if (errors)
                fprintf(errors, "%s: /id: \"%s\" is also the id of %s\n", set->items[i].file, set->items[i].id,
                        set->items[i - 1].file);
        }
    }
    return failures;
}

void mqs_scenarios_free(mqs_scenario_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        mqs_scenario_free(&set->items[i]);
    free(set->items);
    set->items = NULL;
    set->count = 0;
}

static bool has_tag(const mqs_scenario *sc, const char *pattern)
{
    for (const cJSON *t = sc->tags ? sc->tags->child : NULL; t; t = t->next)
        if (fnmatch(pattern, t->valuestring, 0) == 0)
            return true;
    return false;
}

bool mqs_scenario_selected(const mqs_scenario *sc, const mqs_filter *f)
{
    bool id_ok = f->nids == 0, tag_ok = f->ntags == 0;
    for (size_t i = 0; i < f->nids && !id_ok; i++)
        id_ok = fnmatch(f->ids[i], sc->id, 0) == 0;
    for (size_t i = 0; i < f->ntags && !tag_ok; i++)
        tag_ok = has_tag(sc, f->tags[i]);
    for (size_t i = 0; i < f->nexcludes; i++)
        if (fnmatch(f->excludes[i], sc->id, 0) == 0 || has_tag(sc, f->excludes[i]))
            return false;
    return id_ok && tag_ok;
}
