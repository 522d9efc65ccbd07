/* The result of a chaos run as JSON (docs/chaos.md, "JSON"). */
#include <math.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "mqttspec/chaos.h"

/* Milliseconds with at most 3 decimals: the figures are not more precise than that. */
static double round3(double v)
{
    return round(v * 1000.0) / 1000.0;
}

static cJSON *latency_json(const mqs_chaos_latency *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "p50", round3(l->p50));
    cJSON_AddNumberToObject(o, "p99", round3(l->p99));
    cJSON_AddNumberToObject(o, "p999", round3(l->p999));
    return o;
}

static cJSON *config_json(const mqs_chaos_opts *o)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddNumberToObject(c, "duration_s", o->duration_s);
    cJSON_AddNumberToObject(c, "publishers", o->publishers);
    cJSON_AddNumberToObject(c, "subscribers", o->subscribers);
    cJSON_AddNumberToObject(c, "shared_groups", o->shared_groups);
    cJSON_AddNumberToObject(c, "shared_members", o->shared_groups ? o->shared_members : 0);
    cJSON_AddNumberToObject(c, "topics", o->topics);
    cJSON *qos = cJSON_AddArrayToObject(c, "qos");
    for (int q = 0; q < 3; q++) {
        if (o->qos_mask & (1u << q))
            cJSON_AddItemToArray(qos, cJSON_CreateNumber(q));
    }
    cJSON_AddNumberToObject(c, "rate", o->rate);
    cJSON_AddNumberToObject(c, "size", o->size);
    cJSON_AddBoolToObject(c, "persistent", o->persistent);
    cJSON_AddNumberToObject(c, "quiet_ms", o->quiet_ms);
    cJSON_AddNumberToObject(c, "inflight", o->inflight);
    cJSON_AddNumberToObject(c, "seed", (double)o->seed);
    cJSON *f = cJSON_AddObjectToObject(c, "faults");
    cJSON_AddNumberToObject(f, "proxy_cut_every_ms", o->cut_every_ms);
    cJSON_AddNumberToObject(f, "proxy_stall_ms", o->stall_ms);
    cJSON_AddNumberToObject(f, "proxy_latency_ms", o->latency_ms);
    cJSON_AddBoolToObject(f, "client_drops", o->drop_mask != 0);
    cJSON *points = cJSON_AddArrayToObject(f, "client_drop_points");
    for (int p = 0; p < MQS_DROP_POINT_COUNT; p++) {
        if (o->drop_mask & (1u << p))
            cJSON_AddItemToArray(points, cJSON_CreateString(mqs_chaos_drop_point_name((mqs_chaos_drop_point)p)));
    }
    cJSON_AddBoolToObject(f, "restart_cmd", o->restart_cmd != NULL); /* the command itself may hold secrets */
    cJSON_AddNumberToObject(f, "restart_every_s", o->restart_every_s);
    return c;
}

static cJSON *faults_json(const mqs_chaos_result *r)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < r->n_faults; i++) {
        const mqs_chaos_fault *f = &r->faults[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "t_ms", (double)f->t_ms);
        cJSON_AddStringToObject(o, "kind", mqs_chaos_fault_name(f->kind));
        cJSON_AddStringToObject(o, "connection", f->connection);
        cJSON_AddStringToObject(o, "detail", f->detail);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static cJSON *series_json(const mqs_chaos_result *r)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < r->n_series; i++) {
        const mqs_chaos_sample *s = &r->series[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "t_ms", (double)s->t_ms);
        cJSON_AddNumberToObject(o, "sent", (double)s->sent);
        cJSON_AddNumberToObject(o, "received", (double)s->received);
        cJSON_AddNumberToObject(o, "acked", (double)s->acked);
        cJSON_AddItemToObject(o, "latency_ms", latency_json(&s->latency));
        cJSON_AddNumberToObject(o, "connections", s->connections);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static void add_index(cJSON *o, const char *key, const char *prefix, uint32_t i)
{
    if (i == MQS_CHAOS_NONE) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%s%u", prefix, i);
    cJSON_AddStringToObject(o, key, buf);
}

static cJSON *anomalies_json(const mqs_chaos_opts *opts, const mqs_chaos_result *r)
{
    cJSON *a = cJSON_CreateArray();
    size_t n;
    const mqs_chaos_anomaly *an = mqs_chaos_anomalies(r->checker, &n);
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        const char *st = mqs_chaos_kind_statement(an[i].kind, opts->version);
        cJSON_AddNumberToObject(o, "t_ms", (double)an[i].t_ms);
        cJSON_AddStringToObject(o, "kind", mqs_chaos_kind_name(an[i].kind));
        cJSON_AddStringToObject(o, "severity", mqs_chaos_severity_name(mqs_chaos_kind_severity(an[i].kind)));
        if (st)
            cJSON_AddStringToObject(o, "statement", st);
        else
            cJSON_AddNullToObject(o, "statement");
        add_index(o, "publisher", "pub-", an[i].publisher);
        add_index(o, "subscriber", "sub-", an[i].subscriber);
        add_index(o, "group", "share-", an[i].group);
        /* the topic as the workers name it, without the run's id */
        add_index(o, "topic", "chaos/", an[i].topic);
        cJSON_AddNumberToObject(o, "qos", an[i].qos);
        cJSON_AddNumberToObject(o, "seq", an[i].seq);
        cJSON_AddStringToObject(o, "detail", an[i].detail);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

static double per_s(uint64_t n, int64_t ms)
{
    return ms > 0 ? round3((double)n * 1000.0 / (double)ms) : 0.0;
}

static cJSON *summary_json(const mqs_chaos_result *r)
{
    const mqs_chaos_counts *c = mqs_chaos_counts_of(r->checker);
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "published", (double)c->published);
    cJSON_AddNumberToObject(s, "acknowledged", (double)c->acknowledged);
    cJSON_AddNumberToObject(s, "delivered", (double)c->delivered);
    cJSON_AddNumberToObject(s, "lost", (double)c->by_kind[MQS_CHAOS_LOST]);
    cJSON_AddNumberToObject(s, "lost_qos0", (double)c->by_kind[MQS_CHAOS_LOST_QOS0]);
    cJSON_AddNumberToObject(s, "duplicates_qos1", (double)c->by_kind[MQS_CHAOS_DUP_QOS1]);
    cJSON_AddNumberToObject(s, "duplicates_qos2", (double)c->by_kind[MQS_CHAOS_DUP_QOS2]);
    cJSON_AddNumberToObject(s, "reordered", (double)c->by_kind[MQS_CHAOS_REORDER]);
    cJSON_AddNumberToObject(s, "reordered_resends", (double)c->by_kind[MQS_CHAOS_REORDER_RESEND]);
    cJSON_AddNumberToObject(s, "never_published", (double)c->by_kind[MQS_CHAOS_NEVER_PUBLISHED]);
    cJSON_AddNumberToObject(s, "lost_after_restart", (double)c->by_kind[MQS_CHAOS_LOST_AFTER_RESTART]);
    cJSON_AddNumberToObject(s, "duplicates_shared", (double)c->by_kind[MQS_CHAOS_DUP_SHARED]);
    cJSON_AddNumberToObject(s, "shared_qos2_moved", (double)c->by_kind[MQS_CHAOS_SHARED_QOS2_MOVED]);
    cJSON_AddNumberToObject(s, "reordered_shared", (double)c->by_kind[MQS_CHAOS_REORDER_SHARED]);
    cJSON_AddNumberToObject(s, "packet_ids_in_use", (double)c->by_kind[MQS_CHAOS_ID_IN_USE]);
    cJSON_AddNumberToObject(s, "violations", (double)c->violations);
    cJSON_AddNumberToObject(s, "unchecked", (double)c->unchecked);
    cJSON_AddNumberToObject(s, "throughput_in_per_s", per_s(c->published, r->workload_ms));
    cJSON_AddNumberToObject(s, "throughput_out_per_s", per_s(c->delivered, r->delivering_ms));
    cJSON_AddNumberToObject(s, "delivering_ms", (double)r->delivering_ms);
    cJSON_AddItemToObject(s, "latency_ms", latency_json(&r->latency));
    cJSON_AddNumberToObject(s, "connections_max", r->connections_max);
    cJSON_AddNumberToObject(s, "reconnects", (double)r->reconnects);
    cJSON_AddNumberToObject(s, "session_losses", (double)r->session_losses);
    cJSON_AddNumberToObject(s, "harness_cpu_s", round3(r->harness_cpu_s));
    cJSON_AddNumberToObject(s, "harness_rss_kb", (double)r->harness_rss_kb);
    cJSON_AddNumberToObject(s, "faults_not_listed", (double)r->faults_dropped);
    return s;
}

/* One shared group: its members, what each received and what the checker found for the group. */
static cJSON *group_json(const mqs_chaos_result *r, uint32_t g)
{
    const mqs_chaos_checker *ck = r->checker;
    const mqs_chaos_group_counts *gc = mqs_chaos_group_counts_of(ck, g);
    cJSON *o = cJSON_CreateObject();
    char name[32];
    add_index(o, "name", "share-", g);
    mqs_chaos_share_name(r->run_id, g, name, sizeof name);
    cJSON_AddStringToObject(o, "share_name", name);
    cJSON *members = cJSON_AddArrayToObject(o, "members");
    cJSON *per = cJSON_AddArrayToObject(o, "delivered_per_member");
    for (uint32_t s = 0; s < mqs_chaos_subscriber_count(ck); s++) {
        if (mqs_chaos_group_of(ck, s) != g)
            continue;
        snprintf(name, sizeof name, "sub-%u", s);
        cJSON_AddItemToArray(members, cJSON_CreateString(name));
        cJSON_AddItemToArray(per, cJSON_CreateNumber((double)mqs_chaos_first_deliveries(ck, s)));
    }
    cJSON_AddNumberToObject(o, "messages", (double)gc->messages);
    cJSON_AddNumberToObject(o, "lost", (double)gc->lost);
    cJSON_AddNumberToObject(o, "across_members", (double)gc->across);
    cJSON_AddNumberToObject(o, "unchecked", (double)gc->unchecked);
    return o;
}

/* "shared": only with --shared-groups (the output of other runs is unchanged). */
static void add_shared(cJSON *root, const mqs_chaos_opts *o, const mqs_chaos_result *r)
{
    if (!o->shared_groups)
        return;
    cJSON *sh = cJSON_AddObjectToObject(root, "shared");
    cJSON_AddBoolToObject(sh, "supported", !r->shared_refused);
    if (r->shared_refused)
        cJSON_AddStringToObject(sh, "refusal", r->shared_refusal);
    else
        cJSON_AddNullToObject(sh, "refusal");
    cJSON *groups = cJSON_AddArrayToObject(sh, "groups");
    for (uint32_t g = 0; g < mqs_chaos_groups(r->checker); g++)
        cJSON_AddItemToArray(groups, group_json(r, g));
}

cJSON *mqs_chaos_json(const mqs_chaos_opts *o, const mqs_chaos_result *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "tool", "mqttspec chaos");
    cJSON_AddStringToObject(root, "mqttspec_version", o->version_string ? o->version_string : "unknown");
    cJSON_AddStringToObject(root, "target", o->target_shown ? o->target_shown : "");
    cJSON_AddStringToObject(root, "protocol", mqtt_version_name(o->version));
    cJSON_AddItemToObject(root, "config", config_json(o));
    cJSON_AddStringToObject(root, "started_at", r->started_at);
    cJSON_AddNumberToObject(root, "elapsed_ms", (double)r->elapsed_ms);
    cJSON_AddBoolToObject(root, "interrupted", r->interrupted);
    cJSON_AddItemToObject(root, "faults", faults_json(r));
    cJSON_AddItemToObject(root, "series", series_json(r));
    cJSON_AddItemToObject(root, "anomalies", anomalies_json(o, r));
    cJSON_AddItemToObject(root, "summary", summary_json(r));
    add_shared(root, o, r);
    cJSON_AddStringToObject(root, "verdict", mqs_chaos_passed(r) ? "PASS" : "FAIL");
    cJSON *notes = cJSON_AddArrayToObject(root, "notes");
    for (unsigned i = 0; i < r->n_notes; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(r->notes[i]));
    return root;
}

bool mqs_chaos_json_write(FILE *out, const mqs_chaos_opts *o, const mqs_chaos_result *r)
{
    cJSON *root = mqs_chaos_json(o, r);
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return false;
    bool ok = fputs(text, out) >= 0 && fputc('\n', out) != EOF;
    free(text);
    return ok;
}
