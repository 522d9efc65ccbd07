/*
 * The coverage model: statements linked to the scenarios, codec error codes
 * and broker-sim quirks that cite them, and to the reasons of
 * spec/untestable.tsv.  Every list is read from its one source (the tsv
 * files, the scenario files, the codec's X-macro table, broker-sim's quirk
 * table); nothing here repeats any of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "mqttspec/sim.h"

static const char *const list_files[COV_VERSIONS] = {"mqtt311_statements.tsv", "mqtt5_statements.tsv"};
static const mqtt_version list_versions[COV_VERSIONS] = {MQTT_V311, MQTT_V5};

const char *cov_status_name(cov_status s)
{
    static const char *const names[] = {"covered", "justified", "neither"};
    return names[s];
}

/* ---- small helpers ---- */

static int names_add(cov_names *n, const char *name)
{
    for (size_t i = 0; i < n->count; i++)
        if (strcmp(n->items[i], name) == 0)
            return 0; /* a scenario citing one statement twice (top level and a step) counts once */
    if (n->count == n->cap) {
        size_t cap = n->cap ? 2 * n->cap : 4;
        const char **items = realloc(n->items, cap * sizeof *items);
        if (!items)
            return -1;
        n->items = items;
        n->cap = cap;
    }
    n->items[n->count++] = name;
    return 0;
}

static __attribute__((format(printf, 2, 3))) int add_problem(cov_model *m, const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **problems = realloc(m->problems, (m->nproblems + 1) * sizeof *problems);
    char *copy = strdup(buf);
    if (!problems || !copy) {
        free(copy);
        if (problems)
            m->problems = problems;
        return -1;
    }
    m->problems = problems;
    m->problems[m->nproblems++] = copy;
    return 0;
}

static cov_version *version_of(cov_model *m, mqtt_version v)
{
    for (size_t i = 0; i < COV_VERSIONS; i++)
        if (m->versions[i].version == v)
            return &m->versions[i];
    return NULL;
}

const cov_version *cov_model_version(const cov_model *m, mqtt_version v)
{
    return version_of((cov_model *)m, v);
}

static cov_statement *find_statement(cov_version *v, const char *id)
{
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->items[i].id, id) == 0)
            return &v->items[i];
    return NULL;
}

/* Split line at tabs into at most max fields (the last keeps any further tabs); returns the count. */
static size_t split_tabs(char *line, const char **fields, size_t max)
{
    size_t n = 0;
    fields[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == '\t') {
            *p = '\0';
            fields[n++] = p + 1;
        }
    return n;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* ---- the statement lists ---- */

static int statement_parse(cov_statement *st, char *line, const char *path, size_t lineno)
{
    const char *f[5];
    st->line = line;
    if (split_tabs(line, f, 5) != 5 || strncmp(f[0], "MQTT-", 5) != 0) {
        fprintf(stderr, "%s:%zu: expected id, section, constrains, wire_testable, paraphrase separated by tabs\n",
                path, lineno);
        return -1;
    }
    st->id = f[0];
    st->section = f[1];
    st->constrains = f[2];
    st->wire_testable = f[3];
    st->paraphrase = f[4];
    if (strcmp(f[3], "yes") != 0 && strcmp(f[3], "partly") != 0 && strcmp(f[3], "no") != 0) {
        fprintf(stderr, "%s:%zu: wire_testable is '%s', not yes, partly or no\n", path, lineno, f[3]);
        return -1;
    }
    st->testable = strcmp(f[3], "no") != 0;
    return 0;
}

static int statements_load(cov_version *v, const char *dir, const char *file)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *in = fopen(path, "r");
    if (!in) {
        fprintf(stderr, "mqttspec coverage: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0, room = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, in) != -1) {
        lineno++;
        chomp(line);
        if (lineno == 1 && strncmp(line, "id\t", 3) == 0)
            continue; /* the header */
        if (!line[0])
            continue;
        if (v->count == room) {
            room = room ? 2 * room : 128;
            cov_statement *items = realloc(v->items, room * sizeof *items);
            if (!items) {
                rc = -1;
                break;
            }
            v->items = items;
        }
        cov_statement *st = &v->items[v->count];
        memset(st, 0, sizeof *st);
        char *own = strdup(line);
        if (!own || statement_parse(st, own, path, lineno) != 0) {
            free(own);
            rc = -1;
            break;
        }
        if (find_statement(v, st->id)) {
            fprintf(stderr, "%s:%zu: %s is listed twice\n", path, lineno, st->id);
            free(own);
            rc = -1;
            break;
        }
        v->count++;
    }
    free(line);
    fclose(in);
    return rc;
}

/* ---- citations ---- */

/* Which list a citation goes to. */
typedef enum cite_kind { CITE_SCENARIO, CITE_CODEC, CITE_QUIRK } cite_kind;

static cov_names *names_of(cov_statement *st, cite_kind kind)
{
    return kind == CITE_SCENARIO ? &st->scenarios : kind == CITE_CODEC ? &st->codec : &st->quirks;
}

/*
 * Record that `name` cites statement `id` of version v; a statement the list
 * does not have is a problem reported against `where`.  MQTT 3.1 has no
 * numbered statements: a "3.1:" citation must name a 3.1.1 statement (the
 * loader's rule) but covers nothing in either list.
 */
static int cite(cov_model *m, mqtt_version v, const char *id, cite_kind kind, const char *name, const char *where)
{
    cov_version *ver = version_of(m, v == MQTT_V31 ? MQTT_V311 : v);
    cov_statement *st = ver ? find_statement(ver, id) : NULL;
    if (!st)
        return add_problem(m, "%s: %s:%s is not in spec/%s", where, mqtt_version_name(v), id,
                           list_files[v == MQTT_V5 ? 1 : 0]);
    return v == MQTT_V31 ? 0 : names_add(names_of(st, kind), name);
}

/* "5.0:MQTT-3.3.2-2" -> version and id; -1 when it does not look like one. */
static int split_ref(const char *ref, mqtt_version *v, const char **id)
{
    const char *colon = strchr(ref, ':');
    char version[8];
    size_t n = colon ? (size_t)(colon - ref) : 0;
    if (!colon || n >= sizeof version)
        return -1;
    memcpy(version, ref, n);
    version[n] = '\0';
    *v = mqs_version_parse(version);
    *id = colon + 1;
    return *v == MQTT_VERSION_UNKNOWN ? -1 : 0;
}

static int cite_array(cov_model *m, const cJSON *spec, const mqs_scenario *sc, const char *pointer)
{
    int i = 0, rc = 0;
    for (const cJSON *it = spec ? spec->child : NULL; it && rc == 0; it = it->next, i++) {
        char where[1200];
        snprintf(where, sizeof where, "%s: %s/%d", sc->file, pointer, i);
        mqtt_version v;
        const char *id;
        if (!cJSON_IsString(it) || split_ref(it->valuestring, &v, &id) != 0)
            rc = add_problem(m, "%s: not a statement reference", where);
        else
            rc = cite(m, v, id, CITE_SCENARIO, sc->id, where);
    }
    return rc;
}

/* Top-level "spec" and every step's "spec", of either role. */
static int link_scenarios(cov_model *m, const mqs_scenario_set *set)
{
    for (size_t s = 0; s < set->count; s++) {
        const mqs_scenario *sc = &set->items[s];
        if (cite_array(m, sc->spec, sc, "/spec") != 0)
            return -1;
        int k = 0;
        for (const cJSON *step = sc->steps ? sc->steps->child : NULL; step; step = step->next, k++) {
            char pointer[64];
            snprintf(pointer, sizeof pointer, "/steps/%d/spec", k);
            if (cite_array(m, cJSON_GetObjectItemCaseSensitive(step, "spec"), sc, pointer) != 0)
                return -1;
        }
    }
    return 0;
}

static int link_codec(cov_model *m)
{
    for (int code = 1; code < MQTT_E_COUNT; code++)
        for (size_t k = 0; k < COV_VERSIONS; k++) {
            const char *id = mqtt_err_statement((mqtt_err)code, list_versions[k]);
            char where[160];
            snprintf(where, sizeof where, "codec error %s", mqtt_err_name((mqtt_err)code));
            if (id && cite(m, list_versions[k], id, CITE_CODEC, mqtt_err_name((mqtt_err)code), where) != 0)
                return -1;
        }
    return 0;
}

/* Did a case of a scenario citing st, run at version v, FAIL with the quirk?  failed: ["id@version", ...]. */
static bool quirk_caught(const cJSON *failed, const cov_statement *st, mqtt_version v)
{
    const char *version = mqtt_version_name(v);
    for (const cJSON *it = cJSON_IsArray(failed) ? failed->child : NULL; it; it = it->next) {
        const char *at = cJSON_IsString(it) ? strrchr(it->valuestring, '@') : NULL;
        if (!at || strcmp(at + 1, version) != 0)
            continue;
        for (size_t i = 0; i < st->scenarios.count; i++) {
            const char *sid = st->scenarios.items[i];
            if (strlen(sid) == (size_t)(at - it->valuestring) && strncmp(sid, it->valuestring, strlen(sid)) == 0)
                return true;
        }
    }
    return false;
}

/*
 * One statement a quirk's table entry lists.  With the quirk matrix's results
 * (matrix: quirk name -> cases that FAILed with it) the quirk is linked only
 * when one of the FAILed cases is a scenario citing the statement at that
 * version: then it proves that scenario can fail.  Without them the table's
 * word is taken.
 */
static int quirk_link(cov_model *m, const cJSON *matrix, const char *quirk, const char *ref, const char *where)
{
    mqtt_version v;
    const char *id;
    if (split_ref(ref, &v, &id) != 0)
        return add_problem(m, "%s: '%s' is not a statement reference", where, ref);
    cov_version *ver = version_of(m, v);
    cov_statement *st = ver ? find_statement(ver, id) : NULL;
    if (matrix && st && !quirk_caught(cJSON_GetObjectItemCaseSensitive(matrix, quirk), st, v))
        return 0;
    return cite(m, v, id, CITE_QUIRK, quirk, where); /* an unknown id is reported there */
}

/* Each quirk's table entry lists the statements it breaks, "3.1.1:MQTT-4.3.3-2 5.0:MQTT-4.3.3-8". */
static int link_quirks(cov_model *m, const cJSON *matrix)
{
    for (int q = 0; q < SIM_Q_COUNT; q++) {
        const sim_quirk_info *info = sim_quirk_info_of((sim_quirk_id)q);
        char where[160], list[1024];
        snprintf(where, sizeof where, "broker-sim quirk %s", info->name);
        snprintf(list, sizeof list, "%s", info->statements ? info->statements : "");
        char *save = NULL;
        for (char *ref = strtok_r(list, " ", &save); ref; ref = strtok_r(NULL, " ", &save))
            if (quirk_link(m, matrix, info->name, ref, where) != 0)
                return -1;
    }
    return 0;
}

/*
 * The quirk matrix's results (ci/quirk-matrix.sh writes them):
 * {"format": "mqttspec-quirk-matrix", "quirks": {"NAME": ["case-id@3.1.1", ...], ...}}.
 * Returns the "quirks" object inside *root, or NULL after a message on stderr.
 */
static const cJSON *matrix_load(const char *path, cJSON **root)
{
    FILE *in = fopen(path, "r");
    if (!in) {
        fprintf(stderr, "mqttspec coverage: --quirk-matrix %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[8192];
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        if (len + n + 1 > cap) {
            cap = 2 * (len + n + 1);
            char *grown = realloc(text, cap);
            if (!grown)
                break;
            text = grown;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(in);
    *root = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    const cJSON *quirks = cJSON_GetObjectItemCaseSensitive(*root, "quirks");
    if (!cJSON_IsObject(quirks)) {
        fprintf(stderr, "mqttspec coverage: --quirk-matrix %s: not a quirk matrix (an object with \"quirks\")\n", path);
        return NULL;
    }
    return quirks;
}

/* ---- spec/untestable.tsv: version<TAB>id<TAB>reason ---- */

static int justify(cov_model *m, char *line, const char *path, size_t lineno)
{
    const char *f[3];
    if (split_tabs(line, f, 3) != 3 || !f[2][0]) {
        fprintf(stderr, "%s:%zu: expected version, id and reason separated by tabs\n", path, lineno);
        return -1;
    }
    mqtt_version v = mqs_version_parse(f[0]);
    cov_version *ver = version_of(m, v);
    if (!ver) {
        fprintf(stderr, "%s:%zu: version '%s' is not 3.1.1 or 5.0\n", path, lineno, f[0]);
        return -1;
    }
    cov_statement *st = find_statement(ver, f[1]);
    if (!st)
        return add_problem(m, "%s:%zu: %s:%s is not in spec/%s", path, lineno, f[0], f[1],
                           list_files[v == MQTT_V5 ? 1 : 0]);
    if (st->reason)
        return add_problem(m, "%s:%zu: %s:%s is justified twice", path, lineno, f[0], f[1]);
    /* Only what the list itself calls untestable may be justified: a testable statement is a gap until covered. */
    if (st->testable)
        return add_problem(m, "%s:%zu: %s:%s is wire-testable (%s): cover it with a scenario instead", path, lineno,
                           f[0], f[1], st->wire_testable);
    st->reason = f[2];
    return 0;
}

static int untestable_load(cov_model *m, const char *path)
{
    FILE *in = fopen(path, "r");
    if (!in) {
        fprintf(stderr, "mqttspec coverage: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, in) != -1) {
        lineno++;
        chomp(line);
        if (!line[0] || line[0] == '#')
            continue;
        char **lines = realloc(m->untestable_lines, (m->nuntestable + 1) * sizeof *lines);
        char *own = strdup(line);
        if (!lines || !own) {
            free(own);
            if (lines)
                m->untestable_lines = lines;
            rc = -1;
            break;
        }
        m->untestable_lines = lines;
        m->untestable_lines[m->nuntestable++] = own;
        rc = justify(m, own, path, lineno);
    }
    free(line);
    fclose(in);
    return rc;
}

/* ---- status and totals ---- */

static void count(cov_totals *t, cov_status s)
{
    t->total++;
    if (s == COV_COVERED)
        t->covered++;
    else if (s == COV_JUSTIFIED)
        t->justified++;
    else
        t->neither++;
}

static int classify(cov_model *m, cov_version *v)
{
    for (size_t i = 0; i < v->count; i++) {
        cov_statement *st = &v->items[i];
        bool cited = st->scenarios.count || st->codec.count;
        st->status = cited ? COV_COVERED : st->reason ? COV_JUSTIFIED : COV_NEITHER;
        /* A justification next to a citation says two things at once: keep the list short and true. */
        if (cited && st->reason &&
            add_problem(m, "%s: %s:%s is covered now: remove its justification", m->untestable_path,
                        mqtt_version_name(v->version), st->id) != 0)
            return -1;
        count(&v->all, st->status);
        if (st->testable)
            count(&v->testable, st->status);
    }
    return 0;
}

int cov_model_build(cov_model *m, const char *spec_dir, const char *untestable, const char *quirk_matrix,
                    const mqs_scenario_set *set)
{
    memset(m, 0, sizeof *m);
    m->untestable_path = untestable;
    m->quirks_from_matrix = quirk_matrix != NULL;
    for (size_t k = 0; k < COV_VERSIONS; k++) {
        m->versions[k].version = list_versions[k];
        if (statements_load(&m->versions[k], spec_dir, list_files[k]) != 0)
            return -1;
    }
    cJSON *matrix_root = NULL;
    const cJSON *matrix = quirk_matrix ? matrix_load(quirk_matrix, &matrix_root) : NULL;
    int rc = quirk_matrix && !matrix ? -1 : 0;
    if (rc == 0)
        rc = link_scenarios(m, set) != 0 || link_codec(m) != 0 || link_quirks(m, matrix) != 0 ||
                     untestable_load(m, untestable) != 0
                 ? -1
                 : 0;
    cJSON_Delete(matrix_root);
    if (rc != 0)
        return -1;
    for (size_t k = 0; k < COV_VERSIONS; k++)
        if (classify(m, &m->versions[k]) != 0)
            return -1;
    return 0;
}

void cov_model_free(cov_model *m)
{
    for (size_t k = 0; k < COV_VERSIONS; k++) {
        cov_version *v = &m->versions[k];
        for (size_t i = 0; i < v->count; i++) {
            free(v->items[i].line);
            free(v->items[i].scenarios.items);
            free(v->items[i].codec.items);
            free(v->items[i].quirks.items);
        }
        free(v->items);
    }
    for (size_t i = 0; i < m->nuntestable; i++)
        free(m->untestable_lines[i]);
    free(m->untestable_lines);
    for (size_t i = 0; i < m->nproblems; i++)
        free(m->problems[i]);
    free(m->problems);
    memset(m, 0, sizeof *m);
}
