/* Pattern matching of received packets (in JSON form) and template substitution. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"

void mqs_json_brief(const cJSON *j, char *out, size_t cap)
{
    if (!j) {
        snprintf(out, cap, "(absent)");
        return;
    }
    char *text = cJSON_PrintUnformatted(j);
    snprintf(out, cap, "%s", text ? text : "?");
    if (text && strlen(text) >= cap && cap > 4)
        memcpy(out + cap - 4, "...", 4);
    free(text);
}

/* ---- substitution ---- */

typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf;

static void sb_reserve(strbuf *b, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
}

static void sb_add(strbuf *b, const char *p, size_t n)
{
    sb_reserve(b, n);
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static const cJSON *capture_of(const mqs_vars *vars, const char *name, size_t n)
{
    for (const cJSON *c = vars->captures ? vars->captures->child : NULL; c; c = c->next)
        if (strlen(c->string) == n && memcmp(c->string, name, n) == 0)
            return c;
    return NULL;
}

/* Text of a captured value for insertion into a longer string. */
static void add_capture_text(strbuf *b, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        sb_add(b, v->valuestring, strlen(v->valuestring));
        return;
    }
    char *text = cJSON_PrintUnformatted(v);
    if (text)
        sb_add(b, text, strlen(text));
    free(text);
}

/* "{fill:N}": where it stands, enough 'x' to make the whole expanded string N bytes long, so a scenario can
 * reach a length limit (a 65 535-byte topic) whatever the length of {prefix}. */
#define MQS_FILL_MAX 65535u

typedef struct fill_mark {
    bool seen;
    size_t at, total; /* byte offset in the expansion, wanted length */
} fill_mark;

/* Parse "{fill:N}" at s; its length, or 0 if s does not start with one. */
static size_t fill_token(const char *s, size_t *total)
{
    if (strncmp(s, "{fill:", 6) != 0)
        return 0;
    char *end;
    unsigned long n = strtoul(s + 6, &end, 10);
    if (end == s + 6 || *end != '}')
        return 0;
    *total = n;
    return (size_t)(end + 1 - s);
}

/* Insert the fill; false (and err) if it cannot give the length asked for. */
static bool apply_fill(strbuf *b, const fill_mark *f, char *err, size_t err_cap)
{
    if (f->total > MQS_FILL_MAX || f->total < b->len) {
        snprintf(err, err_cap, "{fill:%zu}: the rest of the string has %zu bytes; the length must be %zu..%u",
                 f->total, b->len, b->len, MQS_FILL_MAX);
        return false;
    }
    size_t n = f->total - b->len, tail = b->len - f->at;
    sb_reserve(b, n);
    memmove(b->s + f->at + n, b->s + f->at, tail);
    memset(b->s + f->at, 'x', n);
    b->len += n;
    b->s[b->len] = '\0';
    return true;
}

/* Expand one string; NULL (and err) for an unknown capture or a fill that cannot be met. */
static char *expand(const char *s, const mqs_vars *vars, char *err, size_t err_cap)
{
    strbuf b = {0};
    fill_mark fill = {0};
    size_t tok;
    sb_add(&b, "", 0);
    while (*s) {
        if (!fill.seen && (tok = fill_token(s, &fill.total)) != 0) {
            fill.seen = true;
            fill.at = b.len;
            s += tok;
        } else if (strncmp(s, "{prefix}", 8) == 0) {
            sb_add(&b, vars->prefix, strlen(vars->prefix));
            s += 8;
        } else if (strncmp(s, "{denied_topic}", 14) == 0 && vars->denied_topic) {
            sb_add(&b, vars->denied_topic, strlen(vars->denied_topic));
            s += 14;
        } else if (strncmp(s, "{cid}", 5) == 0) {
            sb_add(&b, vars->cid, strlen(vars->cid));
            s += 5;
        } else if (strncmp(s, "${prefix}", 9) == 0 || strncmp(s, "${cid}", 6) == 0) {
            sb_add(&b, "$", 1); /* a '$' topic before a substitution, e.g. "${prefix}/x" */
            s++;
        } else if (s[0] == '$' && s[1] == '{' && strchr(s, '}')) {
            const char *name = s + 2, *end = strchr(s, '}');
            const cJSON *v = capture_of(vars, name, (size_t)(end - name));
            if (!v) {
                snprintf(err, err_cap, "${%.*s} was never captured", (int)(end - name), name);
                free(b.s);
                return NULL;
            }
            add_capture_text(&b, v);
            s = end + 1;
        } else {
            sb_add(&b, s, 1);
            s++;
        }
    }
    if (fill.seen && !apply_fill(&b, &fill, err, err_cap)) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* "${name}" alone: replaced by the captured value itself, keeping its JSON type. */
static const cJSON *whole_capture(const char *s, const mqs_vars *vars)
{
    size_t n = strlen(s);
    if (n < 4 || s[0] != '$' || s[1] != '{' || s[n - 1] != '}' || memchr(s + 2, '}', n - 3))
        return NULL;
    return capture_of(vars, s + 2, n - 3);
}

static cJSON *substitute_node(const cJSON *t, const mqs_vars *vars, char *err, size_t err_cap)
{
    if (cJSON_IsString(t)) {
        const cJSON *whole = whole_capture(t->valuestring, vars);
        if (whole)
            return cJSON_Duplicate(whole, true);
        char *s = expand(t->valuestring, vars, err, err_cap);
        if (!s)
            return NULL;
        cJSON *out = cJSON_CreateString(s);
        free(s);
        return out;
    }
    if (!cJSON_IsArray(t) && !cJSON_IsObject(t))
        return cJSON_Duplicate(t, false);
    cJSON *out = cJSON_IsArray(t) ? cJSON_CreateArray() : cJSON_CreateObject();
    for (const cJSON *c = t->child; c && out; c = c->next) {
        cJSON *sub = substitute_node(c, vars, err, err_cap);
        if (!sub) {
            cJSON_Delete(out);
            return NULL;
        }
        if (cJSON_IsArray(t))
            cJSON_AddItemToArray(out, sub);
        else
            cJSON_AddItemToObject(out, c->string, sub);
    }
    return out;
}

cJSON *mqs_substitute(const cJSON *tmpl, const mqs_vars *vars, char *err, size_t err_cap)
{
    return substitute_node(tmpl, vars, err, err_cap);
}

/* ---- matching ---- */

typedef struct mctx {
    cJSON *captures; /* tentative, merged on success */
    char *path;
    size_t path_cap;
    char *why;
    size_t why_cap;
} mctx;

static bool mismatch(mctx *m, const cJSON *expected, const cJSON *actual)
{
    char e[160], a[160];
    mqs_json_brief(expected, e, sizeof e);
    mqs_json_brief(actual, a, sizeof a);
    snprintf(m->why, m->why_cap, "expected %s vs actual %s", e, a);
    return false;
}

static bool mismatch_text(mctx *m, const char *expected, const cJSON *actual)
{
    char a[160];
    mqs_json_brief(actual, a, sizeof a);
    snprintf(m->why, m->why_cap, "expected %s vs actual %s", expected, a);
    return false;
}

static bool match_node(mctx *m, const cJSON *p, const cJSON *a);

static bool scalar_equal(const cJSON *p, const cJSON *a)
{
    if (cJSON_IsNumber(p))
        return cJSON_IsNumber(a) && p->valuedouble == a->valuedouble;
    if (cJSON_IsString(p))
        return cJSON_IsString(a) && strcmp(p->valuestring, a->valuestring) == 0;
    if (cJSON_IsBool(p))
        return cJSON_IsBool(a) && cJSON_IsTrue(p) == cJSON_IsTrue(a);
    return cJSON_IsNull(p) && cJSON_IsNull(a);
}

static bool match_operator(mctx *m, const cJSON *op, const cJSON *a)
{
    const char *name = op->string;
    if (strcmp(name, "$capture") == 0) {
        cJSON_DeleteItemFromObjectCaseSensitive(m->captures, op->valuestring);
        cJSON_AddItemToObject(m->captures, op->valuestring, cJSON_Duplicate(a, true));
        return true;
    }
    if (strcmp(name, "$present") == 0)
        return true; /* absence is caught by the caller */
    if (strcmp(name, "$not") == 0) {
        char ignored_path[8] = "", ignored_why[8] = "";
        cJSON *scratch = cJSON_CreateObject(); /* captures inside $not never count */
        mctx probe = {scratch, ignored_path, sizeof ignored_path, ignored_why, sizeof ignored_why};
        bool hit = match_node(&probe, op, a);
        cJSON_Delete(scratch);
        if (!hit)
            return true;
        char e[180], v[160];
        mqs_json_brief(op, v, sizeof v);
        snprintf(e, sizeof e, "anything but %s", v);
        return mismatch_text(m, e, a);
    }
    if (strcmp(name, "$range") == 0) {
        double lo = op->child->valuedouble, hi = op->child->next->valuedouble;
        if (cJSON_IsNumber(a) && a->valuedouble >= lo && a->valuedouble <= hi)
            return true;
        char e[64];
        snprintf(e, sizeof e, "a number in [%g, %g]", lo, hi);
        return mismatch_text(m, e, a);
    }
    if (strcmp(name, "$any_of") == 0) {
        for (const cJSON *alt = op->child; alt; alt = alt->next) {
            char ignored_path[8] = "", ignored_why[8] = "";
            mctx probe = {m->captures, ignored_path, sizeof ignored_path, ignored_why, sizeof ignored_why};
            if (match_node(&probe, alt, a))
                return true;
        }
        char e[160];
        mqs_json_brief(op, e, sizeof e);
        return mismatch_text(m, e, a);
    }
    return mismatch_text(m, "nothing ($absent)", a);
}

static bool is_op(const cJSON *p)
{
    return cJSON_IsObject(p) && p->child && p->child->string && p->child->string[0] == '$';
}

static size_t push(mctx *m, const char *seg)
{
    size_t old = strnlen(m->path, m->path_cap);
    if (old + 1 >= m->path_cap) /* full (a probe's small buffer): the path is only for messages */
        return old < m->path_cap ? old : m->path_cap - 1;
    snprintf(m->path + old, m->path_cap - old, "/%s", seg);
    return old;
}

static bool match_object(mctx *m, const cJSON *p, const cJSON *a)
{
    if (!cJSON_IsObject(a))
        return mismatch(m, p, a);
    for (const cJSON *f = p->child; f; f = f->next) {
        const cJSON *af = cJSON_GetObjectItemCaseSensitive(a, f->string);
        bool absent = is_op(f) && strcmp(f->child->string, "$absent") == 0;
        size_t mark = push(m, f->string);
        if (absent ? af != NULL : af == NULL) {
            return absent ? mismatch_text(m, "absent", af) : mismatch(m, f, af);
        }
        if (!absent && !match_node(m, f, af))
            return false;
        m->path[mark] = '\0';
    }
    return true;
}

static bool match_array(mctx *m, const cJSON *p, const cJSON *a)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(p) != cJSON_GetArraySize(a))
        return mismatch(m, p, a);
    int i = 0;
    for (const cJSON *pe = p->child, *ae = a->child; pe; pe = pe->next, ae = ae->next, i++) {
        char seg[16];
        snprintf(seg, sizeof seg, "%d", i);
        size_t mark = push(m, seg);
        if (!match_node(m, pe, ae))
            return false;
        m->path[mark] = '\0';
    }
    return true;
}

static bool match_node(mctx *m, const cJSON *p, const cJSON *a)
{
    if (is_op(p))
        return match_operator(m, p->child, a);
    if (cJSON_IsObject(p))
        return match_object(m, p, a);
    if (cJSON_IsArray(p))
        return match_array(m, p, a);
    return scalar_equal(p, a) ? true : mismatch(m, p, a);
}

bool mqs_pattern_match(const cJSON *pattern, const cJSON *actual, cJSON *captures, char *path, size_t path_cap,
                       char *why, size_t why_cap)
{
    char scratch_path[256], scratch_why[512];
    mctx m = {cJSON_CreateObject(), path ? path : scratch_path, path ? path_cap : sizeof scratch_path,
              why ? why : scratch_why, why ? why_cap : sizeof scratch_why};
    m.path[0] = '\0';
    bool ok = match_node(&m, pattern, actual);
    if (ok && captures) {
        for (cJSON *c = m.captures->child; c; c = c->next) {
            cJSON_DeleteItemFromObjectCaseSensitive(captures, c->string);
            cJSON_AddItemToObject(captures, c->string, cJSON_Duplicate(c, true));
        }
    }
    if (!m.path[0] && !ok)
        snprintf(m.path, m.path_cap, "/");
    cJSON_Delete(m.captures);
    return ok;
}
