/*
 * A finding of the network fuzzer as a scenario file: the reproducer's bytes
 * as "hex" sends, then the step that encodes what the specification requires
 * of the server (close, a refusing CONNACK, a SUBACK failure code, carry on),
 * so that `mqttspec run --scenarios DIR` FAILs on the target that showed the
 * finding and PASSes on a conforming one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "netfuzz_internal.h"

static const char *vname(mqtt_version v) { return v == MQTT_V5 ? "5.0" : "3.1.1"; }

/* The level the codec judged at, as a statement list: 3.1 and 3.1.1 share the 3.1.1 list. */
static mqtt_version judged(const nf_verdict *v, mqtt_version run)
{
    if (v->version == MQTT_V5)
        return MQTT_V5;
    if (v->version == MQTT_V31 || v->version == MQTT_V311)
        return MQTT_V311;
    return run;
}

static void add_stmt(cJSON *arr, mqtt_version v, const char *id)
{
    if (!id)
        return;
    char ref[48];
    snprintf(ref, sizeof ref, "%s:%s", vname(v), id);
    for (const cJSON *it = arr->child; it; it = it->next)
        if (strcmp(it->valuestring, ref) == 0)
            return;
    cJSON_AddItemToArray(arr, cJSON_CreateString(ref));
}

/* The statements that say what the server must do (run: the scenario's version). */
static void reaction_statements(cJSON *arr, const nf_finding *f)
{
    mqtt_version v = f->repro.version;
    bool v5 = v == MQTT_V5;
    bool second_connect = f->verdict.kind == NF_STATE_ERROR && f->verdict.type == MQTT_CONNECT;
    switch (f->req) {
    case NF_REQ_CLOSE:
    case NF_REQ_SUBACK_FAIL_OR_CLOSE:
    case NF_REQ_UNSUBACK_OR_CLOSE:
        if (second_connect)
            add_stmt(arr, v, "MQTT-3.1.0-2");
        else
            add_stmt(arr, v, v5 ? "MQTT-4.13.1-1" : "MQTT-4.8.0-1");
        break;
    case NF_REQ_CLOSE_NO_CONNACK:
        if (f->verdict.type == MQTT_CONNECT) {
            add_stmt(arr, v, "MQTT-3.1.4-1");
        } else {
            add_stmt(arr, v, v5 ? "MQTT-4.13.1-1" : "MQTT-4.8.0-1");
            add_stmt(arr, v, "MQTT-3.2.0-1");
        }
        break;
    case NF_REQ_CONNACK_FAIL_OR_CLOSE:
        add_stmt(arr, v, "MQTT-3.1.4-1");
        if (v5)
            add_stmt(arr, v, "MQTT-3.2.2-7");
        break;
    case NF_REQ_CONNACK_1_CLOSE:
    case NF_REQ_LEVEL_5:
        add_stmt(arr, v, "MQTT-3.1.2-2");
        break;
    case NF_REQ_REFUSE_OR_CLOSE:
        add_stmt(arr, v, "MQTT-3.1.4-1");
        add_stmt(arr, v, f->verdict.connect_bits & NF_CB_NAME || f->verdict.err == MQTT_E_PROTOCOL_NAME ? "MQTT-3.1.2-1"
                                                                                                        : "MQTT-3.1.2-2");
        break;
    case NF_REQ_CONNACK_2_CLOSE:
        add_stmt(arr, v, "MQTT-3.1.3-8");
        break;
    case NF_REQ_CLOSE_ANY_CONNACK:
        add_stmt(arr, v, "MQTT-3.1.0-2");
        break;
    case NF_REQ_CONNACK:
        add_stmt(arr, v, v5 ? "MQTT-3.1.4-5" : "MQTT-3.1.4-4");
        break;
    case NF_REQ_CONTINUE:
    case NF_REQ_NONE:
        add_stmt(arr, v, "MQTT-3.12.4-1");
        break;
    }
}

static char *hex_of(const uint8_t *p, size_t n)
{
    char *s = malloc(n * 3 + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        snprintf(s + i * 3, 4, "%02x%s", p[i], i + 1 < n ? " " : "");
    s[n ? n * 3 - 1 : 0] = '\0';
    return s;
}

static cJSON *step_conn(const char *action) { cJSON *s = cJSON_CreateObject(); cJSON_AddStringToObject(s, action, "c"); return s; }

static void add_send_hex(cJSON *steps, const uint8_t *p, size_t n, const char *comment)
{
    cJSON *s = step_conn("send");
    char *hex = hex_of(p, n);
    cJSON_AddStringToObject(s, "hex", hex ? hex : "00");
    free(hex);
    if (comment)
        cJSON_AddStringToObject(s, "comment", comment);
    cJSON_AddItemToArray(steps, s);
}

static cJSON *type_pattern(const char *type)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", type);
    return p;
}

static cJSON *ack_ignores(void)
{
    static const char *const types[] = {"CONNACK", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBACK", "UNSUBACK", "PUBLISH"};
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        cJSON_AddItemToArray(arr, type_pattern(types[i]));
    return arr;
}

/* PINGREQ, then PINGRESP (acks and publications let pass). */
static void add_ping(cJSON *steps, const char *comment, cJSON *spec)
{
    cJSON *s = step_conn("send");
    cJSON_AddItemToObject(s, "packet", type_pattern("PINGREQ"));
    cJSON_AddItemToArray(steps, s);
    s = step_conn("expect");
    cJSON_AddItemToObject(s, "packet", type_pattern("PINGRESP"));
    cJSON_AddItemToObject(s, "ignore", ack_ignores());
    if (spec)
        cJSON_AddItemToObject(s, "spec", spec);
    if (comment)
        cJSON_AddStringToObject(s, "comment", comment);
    cJSON_AddItemToArray(steps, s);
}

static cJSON *outcome_close(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddTrueToObject(o, "close");
    return o;
}

/* {"packet": {"type": "CONNACK", "code": CODE, "session_present": false}, "then_close": true} */
static cJSON *outcome_connack(cJSON *code)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *p = type_pattern("CONNACK");
    cJSON_AddItemToObject(p, "code", code);
    cJSON_AddFalseToObject(p, "session_present");
    cJSON_AddItemToObject(o, "packet", p);
    cJSON_AddTrueToObject(o, "then_close");
    return o;
}

static cJSON *range(int lo, int hi)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateNumber(lo));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(hi));
    cJSON_AddItemToObject(r, "$range", a);
    return r;
}

static cJSON *any_of2(int a, int b)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(a));
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(b));
    cJSON_AddItemToObject(r, "$any_of", arr);
    return r;
}

/*
 * SUBSCRIBE / UNSUBSCRIBE culprit: its packet id, and (SUBSCRIBE) the SUBACK codes pattern with a failure
 * code for the entry that holds the codec's error offset.  false if the entries cannot be walked.
 */
static bool sub_shape(const uint8_t *p, size_t n, mqtt_version v, uint32_t err_off, uint16_t *pid, cJSON **codes)
{
    size_t hdr;
    nf_read_rl(p, n, &hdr);
    if (n < hdr + 2)
        return false;
    *pid = (uint16_t)(p[hdr] << 8 | p[hdr + 1]);
    size_t q = hdr + 2;
    if (v == MQTT_V5) {
        size_t vh;
        uint8_t tmp[5] = {0};
        size_t k = n - q < 4 ? n - q : 4;
        memcpy(tmp + 1, p + q, k);
        uint32_t plen = nf_read_rl(tmp, k + 1, &vh);
        q += (vh - 1) + plen;
    }
    if (!codes)
        return q <= n;
    cJSON *arr = cJSON_CreateArray();
    int entries = 0;
    bool found = false;
    while (q + 2 <= n) {
        size_t len = (size_t)p[q] << 8 | p[q + 1];
        size_t end = q + 2 + len + 1;
        bool bad = err_off >= q && err_off < end;
        found |= bad;
        cJSON_AddItemToArray(arr, bad ? (v == MQTT_V5 ? range(128, 255) : cJSON_CreateNumber(128)) : range(0, 255));
        entries++;
        q = end;
    }
    if (!found || q != n || entries == 0) {
        cJSON_Delete(arr);
        return false;
    }
    *codes = arr;
    return true;
}

static void add_one_of(cJSON *steps, cJSON *outcomes, cJSON *spec)
{
    cJSON *s = step_conn("one_of");
    cJSON_AddItemToObject(s, "outcomes", outcomes);
    if (spec)
        cJSON_AddItemToObject(s, "spec", spec);
    cJSON_AddItemToArray(steps, s);
}

/* The step(s) that encode what the specification requires. */
static void add_requirement(cJSON *steps, const nf_finding *f, const nf_bytes *culprit, cJSON *spec)
{
    mqtt_version v = f->repro.version;
    cJSON *outcomes = cJSON_CreateArray();
    switch (f->req) {
    case NF_REQ_NONE:
    case NF_REQ_CONTINUE:
        cJSON_Delete(outcomes);
        add_ping(steps, "the server accepts the packet and carries on", spec);
        return;
    case NF_REQ_CONNACK: {
        cJSON_Delete(outcomes);
        cJSON *s = step_conn("expect");
        cJSON_AddItemToObject(s, "packet", type_pattern("CONNACK"));
        cJSON_AddStringToObject(s, "severity", "should");
        cJSON_AddStringToObject(s, "comment", "a refusal should come as a CONNACK with a refusing code");
        cJSON_AddItemToObject(s, "spec", spec);
        cJSON_AddItemToArray(steps, s);
        return;
    }
    case NF_REQ_CLOSE: {
        cJSON_Delete(outcomes);
        cJSON *s = step_conn("expect_close");
        cJSON_AddItemToObject(s, "spec", spec);
        cJSON_AddItemToArray(steps, s);
        return;
    }
    case NF_REQ_CLOSE_NO_CONNACK:
        cJSON_AddItemToArray(outcomes, outcome_close());
        break;
    case NF_REQ_CONNACK_FAIL_OR_CLOSE:
        cJSON_AddItemToArray(outcomes, outcome_close());
        cJSON_AddItemToArray(outcomes, outcome_connack(range(128, 255)));
        break;
    case NF_REQ_CONNACK_1_CLOSE:
        cJSON_AddItemToArray(outcomes, outcome_connack(cJSON_CreateNumber(1)));
        break;
    case NF_REQ_LEVEL_5:
        cJSON_AddItemToArray(outcomes, outcome_connack(any_of2(1, 132)));
        cJSON_AddItemToArray(outcomes, outcome_close());
        break;
    case NF_REQ_REFUSE_OR_CLOSE:
        cJSON_AddItemToArray(outcomes, outcome_close());
        if (v == MQTT_V5) {
            cJSON_AddItemToArray(outcomes, outcome_connack(cJSON_CreateNumber(1)));
            cJSON_AddItemToArray(outcomes, outcome_connack(range(128, 255)));
        } else {
            cJSON_AddItemToArray(outcomes, outcome_connack(range(1, 5)));
        }
        break;
    case NF_REQ_CONNACK_2_CLOSE:
        cJSON_AddItemToArray(outcomes, outcome_connack(cJSON_CreateNumber(2)));
        break;
    case NF_REQ_CLOSE_ANY_CONNACK: {
        cJSON_AddItemToArray(outcomes, outcome_close());
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "packet", type_pattern("CONNACK"));
        cJSON_AddTrueToObject(o, "then_close");
        cJSON_AddItemToArray(outcomes, o);
        break;
    }
    case NF_REQ_SUBACK_FAIL_OR_CLOSE:
    case NF_REQ_UNSUBACK_OR_CLOSE: {
        bool sub = f->req == NF_REQ_SUBACK_FAIL_OR_CLOSE;
        nf_verdict cv = nf_judge(culprit->p, culprit->n, v, false);
        uint16_t pid = 0;
        cJSON *codes = NULL;
        if (sub_shape(culprit->p, culprit->n, v, cv.offset, &pid, sub ? &codes : NULL)) {
            cJSON *o = cJSON_CreateObject();
            cJSON *p = type_pattern(sub ? "SUBACK" : "UNSUBACK");
            cJSON_AddNumberToObject(p, "packet_id", pid);
            if (codes)
                cJSON_AddItemToObject(p, "codes", codes);
            cJSON_AddItemToObject(o, "packet", p);
            cJSON_AddItemToArray(outcomes, o);
        }
        cJSON_AddItemToArray(outcomes, outcome_close());
        break;
    }
    }
    add_one_of(steps, outcomes, spec);
}

static void title_of(const nf_finding *f, char *buf, size_t cap)
{
    const char *type = f->verdict.type ? mqtt_packet_type_name(f->verdict.type) : "A reserved packet type";
    const char *what = f->verdict.kind == NF_MALFORMED ? mqtt_err_message(f->verdict.err) : nf_kind_name(f->verdict.kind);
    if (f->sig.target_malformed) {
        snprintf(buf, cap, "After the bytes found by the fuzzer the server sends nothing malformed (it sent: %s)",
                 mqtt_err_message(f->reaction.target_err));
        return;
    }
    switch (f->req) {
    case NF_REQ_CONTINUE:
    case NF_REQ_NONE:
        snprintf(buf, cap, "A %s the codec finds valid is accepted: the connection stays open and PINGREQ is answered",
                 type);
        break;
    case NF_REQ_CONNACK:
        snprintf(buf, cap, "A valid CONNECT found by the fuzzer is answered with a CONNACK");
        break;
    case NF_REQ_SUBACK_FAIL_OR_CLOSE:
        snprintf(buf, cap, "%s (%s): a SUBACK failure code for it, or the connection is closed", type, what);
        break;
    case NF_REQ_UNSUBACK_OR_CLOSE:
        snprintf(buf, cap, "%s (%s): UNSUBACK, or the connection is closed", type, what);
        break;
    case NF_REQ_CLOSE_ANY_CONNACK:
    case NF_REQ_CLOSE:
        snprintf(buf, cap, "%s (%s) makes the server close the connection", type,
                 f->verdict.kind == NF_STATE_ERROR ? (f->verdict.type == MQTT_CONNECT ? "a second CONNECT"
                                                                                       : "no AUTH was negotiated")
                                                   : what);
        break;
    default:
        snprintf(buf, cap, "A malformed CONNECT (%s) is refused and the connection closed", what);
        break;
    }
}

static void describe_reaction(const nf_reaction *r, char *buf, size_t cap)
{
    char extra[128] = "";
    if (r->connack_code >= 0)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "CONNACK 0x%02x", r->connack_code);
    if (r->answer && r->answer != MQTT_CONNACK)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%s%s 0x%02x", extra[0] ? ", " : "",
                 mqtt_packet_type_name(r->answer), r->answer_code < 0 ? 0 : r->answer_code);
    if (r->disconnect_code >= 0)
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%sDISCONNECT 0x%02x", extra[0] ? ", " : "",
                 r->disconnect_code);
    const char *what = r->kind == NF_R_CONTINUED ? "carried on (answered the PINGREQ sent after it)"
                       : r->kind == NF_R_CLOSED  ? "closed the connection"
                                                 : "kept the connection open without answering the PINGREQ sent after it";
    if (r->target_malformed)
        snprintf(buf, cap, "sent a packet the codec rejects: %s (%s)", mqtt_err_message(r->target_err),
                 mqtt_err_name(r->target_err));
    else
        snprintf(buf, cap, "%s%s%s%s", what, extra[0] ? " (it sent " : "", extra, extra[0] ? " first)" : "");
}

static const char *requirement_text(nf_requirement req)
{
    switch (req) {
    case NF_REQ_NONE: return "nothing in particular";
    case NF_REQ_CONTINUE: return "accept it and carry on";
    case NF_REQ_CLOSE: return "close the connection (5.0: a DISCONNECT >= 0x80 may come first)";
    case NF_REQ_CLOSE_NO_CONNACK: return "close the connection without a CONNACK";
    case NF_REQ_CONNACK_FAIL_OR_CLOSE: return "close the connection, a CONNACK >= 0x80 may come first";
    case NF_REQ_CONNACK_1_CLOSE: return "CONNACK 0x01, then close";
    case NF_REQ_LEVEL_5: return "close, a CONNACK 0x01 or 0x84 may come first";
    case NF_REQ_REFUSE_OR_CLOSE: return "close, a refusing CONNACK (3.1.1: 1..5, 5.0: 0x01 or >= 0x80) may come first";
    case NF_REQ_CONNACK_2_CLOSE: return "CONNACK 0x02, then close";
    case NF_REQ_CLOSE_ANY_CONNACK: return "close the connection (a CONNACK for the first CONNECT may come first)";
    case NF_REQ_SUBACK_FAIL_OR_CLOSE: return "a SUBACK failure code for the bad filter, or close";
    case NF_REQ_UNSUBACK_OR_CLOSE: return "UNSUBACK, or close";
    case NF_REQ_CONNACK: return "answer with a CONNACK (SHOULD, when refusing)";
    }
    return "?";
}

static void codec_text(const nf_finding *f, char *buf, size_t cap)
{
    if (f->verdict.kind != NF_MALFORMED) {
        snprintf(buf, cap, "%s", f->verdict.kind == NF_STATE_ERROR
                                     ? (f->verdict.type == MQTT_CONNECT ? "valid, but a second CONNECT (MQTT-3.1.0-2)"
                                                                        : "valid, but no AUTH exchange was negotiated")
                                     : nf_kind_name(f->verdict.kind));
        return;
    }
    mqtt_error e = {f->verdict.err, f->verdict.offset, f->verdict.offset, (uint8_t)f->verdict.version,
                    f->verdict.type};
    mqtt_err_format(&e, judged(&f->verdict, f->repro.version), buf, cap);
}

static void scenario_id(const nf_finding *f, char *buf, size_t cap)
{
    char sig[128];
    nf_signature_name(&f->sig, sig, sizeof sig);
    snprintf(buf, cap, "fuzz-%s-%llu", sig, (unsigned long long)f->seed);
}

cJSON *nf_finding_scenario(const nf_finding *f)
{
    const nf_repro *r = &f->repro;
    if (r->npackets == 0)
        return NULL;
    char id[200], title[400], desc[2000], codec[400], react[300];
    scenario_id(f, id, sizeof id);
    title_of(f, title, sizeof title);
    codec_text(f, codec, sizeof codec);
    describe_reaction(&f->reaction, react, sizeof react);
    snprintf(desc, sizeof desc,
             "Found by `mqttspec fuzz --seed %llu` (stream %u, case %llu, mutation %s); minimised from %zu to %zu "
             "bytes in %d replays. The codec: %s. The target %s. The specification requires the server to: %s.",
             (unsigned long long)f->seed, f->stream, (unsigned long long)f->case_index, f->mutation,
             f->original_bytes, nf_repro_bytes(r), f->tries, codec, react, requirement_text(f->req));

    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "id", id);
    cJSON_AddStringToObject(root, "title", title);
    cJSON_AddStringToObject(root, "description", desc);
    cJSON *spec = cJSON_CreateArray();
    if (f->sig.target_malformed)
        add_stmt(spec, r->version, mqtt_err_statement(f->reaction.target_err, r->version));
    else if (f->verdict.kind == NF_MALFORMED)
        add_stmt(spec, judged(&f->verdict, r->version),
                 mqtt_err_statement(f->verdict.err, judged(&f->verdict, r->version)));
    cJSON *step_spec = cJSON_CreateArray();
    reaction_statements(step_spec, f);
    for (const cJSON *it = step_spec->child; it; it = it->next) {
        bool dup = false;
        for (const cJSON *jt = spec->child; jt && !dup; jt = jt->next)
            dup = strcmp(jt->valuestring, it->valuestring) == 0;
        if (!dup)
            cJSON_AddItemToArray(spec, cJSON_CreateString(it->valuestring));
    }
    if (f->verdict.kind == NF_MALFORMED && judged(&f->verdict, r->version) == r->version)
        add_stmt(step_spec, r->version, mqtt_err_statement(f->verdict.err, r->version));
    cJSON_AddItemToObject(root, "spec", spec);
    cJSON *versions = cJSON_CreateArray();
    cJSON_AddItemToArray(versions, cJSON_CreateString(vname(r->version)));
    cJSON_AddItemToObject(root, "versions", versions);
    cJSON *tags = cJSON_CreateArray();
    cJSON_AddItemToArray(tags, cJSON_CreateString("fuzz"));
    cJSON_AddItemToArray(tags, cJSON_CreateString(f->verdict.kind == NF_MALFORMED ? "malformed" : nf_kind_name(f->verdict.kind)));
    cJSON_AddItemToObject(root, "tags", tags);

    cJSON *steps = cJSON_CreateArray();
    cJSON_AddItemToArray(steps, step_conn(r->first_connect ? "open" : "connect"));
    const nf_bytes *culprit = nf_repro_culprit(r);
    if (r->culprit_last && r->npackets > 1) {
        size_t total = 0;
        for (size_t i = 0; i + 1 < r->npackets; i++)
            total += r->packets[i].n;
        uint8_t *all = malloc(total ? total : 1);
        size_t at = 0;
        for (size_t i = 0; all && i + 1 < r->npackets; i++) {
            memcpy(all + at, r->packets[i].p, r->packets[i].n);
            at += r->packets[i].n;
        }
        if (all)
            add_send_hex(steps, all, total, "packets the codec finds valid, sent before the one at fault");
        free(all);
        add_ping(steps, "they are accepted", NULL);
    }
    if (r->culprit_last || r->first_connect) {
        add_send_hex(steps, culprit->p, culprit->n, "the packet at fault");
    } else {
        for (size_t i = 0; i < r->npackets; i++)
            add_send_hex(steps, r->packets[i].p, r->packets[i].n, NULL);
    }
    add_requirement(steps, f, culprit, step_spec);
    cJSON_AddItemToObject(root, "steps", steps);
    return root;
}

int nf_mkdir_p(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0777) < 0 && errno != EEXIST ? -1 : 0;
}

int nf_finding_write(const nf_finding *f, const char *dir, char *path, size_t path_cap)
{
    cJSON *doc = nf_finding_scenario(f);
    if (!doc) {
        errno = EINVAL;
        return -1;
    }
    char id[200];
    scenario_id(f, id, sizeof id);
    snprintf(path, path_cap, "%s/%s.json", dir, id);
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text || nf_mkdir_p(dir) < 0) {
        free(text);
        return -1;
    }
    FILE *out = fopen(path, "w");
    int rc = out && fputs(text, out) >= 0 && fputc('\n', out) != EOF ? 0 : -1;
    if (out && fclose(out) != 0)
        rc = -1;
    free(text);
    return rc;
}

void nf_finding_summary(const nf_finding *f, char *buf, size_t cap)
{
    char id[200], codec[400], react[300];
    scenario_id(f, id, sizeof id);
    codec_text(f, codec, sizeof codec);
    describe_reaction(&f->reaction, react, sizeof react);
    const nf_bytes *c = nf_repro_culprit(&f->repro);
    snprintf(buf, cap, "%s [%s] %s%s, %zu bytes (from %zu), seen %u times: codec: %s; target: %s; spec: %s%s%s", id,
             vname(f->repro.version), c && c->n ? mqtt_packet_type_name(c->p[0] >> 4) : "?",
             f->repro.first_connect ? " as first packet" : "", nf_repro_bytes(&f->repro), f->original_bytes, f->seen,
             codec, react, requirement_text(f->req), f->replay[0] ? "; replay: " : "", f->replay);
}
