/* The terminal summary of a chaos run. */
#include "mqttspec/chaos.h"

#define SHOWN_PER_KIND 3 /* examples printed per anomaly kind; all are in --json */

static bool shared_kind(mqs_chaos_kind k)
{
    return k == MQS_CHAOS_DUP_SHARED || k == MQS_CHAOS_SHARED_QOS2_MOVED || k == MQS_CHAOS_REORDER_SHARED;
}

static void print_counts(FILE *out, const mqs_chaos_opts *o, const mqs_chaos_counts *c)
{
    for (int k = 0; k < MQS_CHAOS_KIND_COUNT; k++) {
        if (shared_kind((mqs_chaos_kind)k) && !o->shared_groups)
            continue; /* a run without shared groups cannot have them */
        const char *st = mqs_chaos_kind_statement((mqs_chaos_kind)k, o->version);
        fprintf(out, "  %-20s %10llu  %-9s %s\n", mqs_chaos_kind_name((mqs_chaos_kind)k),
                (unsigned long long)c->by_kind[k], mqs_chaos_severity_name(mqs_chaos_kind_severity((mqs_chaos_kind)k)),
                st ? st : "");
    }
}

static void print_examples(FILE *out, const mqs_chaos_result *r)
{
    size_t n;
    const mqs_chaos_anomaly *a = mqs_chaos_anomalies(r->checker, &n);
    unsigned shown[MQS_CHAOS_KIND_COUNT] = {0};
    for (size_t i = 0; i < n; i++) {
        if (mqs_chaos_kind_severity(a[i].kind) != MQS_CHAOS_VIOLATION || shown[a[i].kind]++ >= SHOWN_PER_KIND)
            continue;
        char to[24];
        if (a[i].subscriber == MQS_CHAOS_NONE && a[i].group != MQS_CHAOS_NONE)
            snprintf(to, sizeof to, "share-%u", a[i].group);
        else
            snprintf(to, sizeof to, "sub-%u", a[i].subscriber);
        fprintf(out, "  %8.3f s  %-15s pub-%u -> %s topic %u QoS %u seq %u: %s\n", (double)a[i].t_ms / 1000.0,
                mqs_chaos_kind_name(a[i].kind), a[i].publisher, to, a[i].topic, a[i].qos, a[i].seq, a[i].detail);
    }
}

/* Why an information count is not a verdict, where the run has one: a reader of the summary alone should
 * not take lost messages for a failure (docs/chaos.md, "What is not a violation"). */
static void print_why_information(FILE *out, const mqs_chaos_result *r, const mqs_chaos_counts *c)
{
    unsigned long long lost = c->by_kind[MQS_CHAOS_LOST_AFTER_RESTART];
    if (!lost)
        return;
    fprintf(out, "  why lost-after-restart is information: %llu messages were not delivered, each sent before a broker "
            "restart; MQTT keeps a session while the Server has it (4.1 Storing state), and whether sessions survive "
            "a restart is the broker's choice (persistence): %llu sessions were not resumed in this run\n",
            lost, (unsigned long long)r->session_losses);
}

static void print_faults(FILE *out, const mqs_chaos_result *r)
{
    unsigned per_kind[5] = {0};
    for (size_t i = 0; i < r->n_faults; i++)
        per_kind[r->faults[i].kind < 5 ? r->faults[i].kind : 0]++;
    fprintf(out, "faults: %u proxy cuts, %u proxy stalls, %u client drops, %u broker restarts; %llu reconnections, "
            "%llu sessions not resumed\n", per_kind[MQS_FAULT_PROXY_CUT], per_kind[MQS_FAULT_PROXY_STALL],
            per_kind[MQS_FAULT_CLIENT_DROP], per_kind[MQS_FAULT_BROKER_RESTART], (unsigned long long)r->reconnects,
            (unsigned long long)r->session_losses);
}

/* A line per shared group: what its members received and what the check found. */
static void print_groups(FILE *out, const mqs_chaos_opts *o, const mqs_chaos_result *r)
{
    if (!o->shared_groups)
        return;
    if (r->shared_refused) {
        fprintf(out, "shared subscriptions: SKIP, not supported by the target (%s): nothing checked for the %u "
                "members\n", r->shared_refusal, o->shared_groups * o->shared_members);
        return;
    }
    fprintf(out, "shared subscriptions: %u groups of %u members (each message to one member of each group):\n",
            o->shared_groups, o->shared_members);
    for (uint32_t g = 0; g < mqs_chaos_groups(r->checker); g++) {
        const mqs_chaos_group_counts *gc = mqs_chaos_group_counts_of(r->checker, g);
        fprintf(out, "  share-%u: %llu messages (", g, (unsigned long long)gc->messages);
        const char *sep = "";
        for (uint32_t s = 0; s < mqs_chaos_subscriber_count(r->checker); s++) {
            if (mqs_chaos_group_of(r->checker, s) != g)
                continue;
            fprintf(out, "%ssub-%u %llu", sep, s, (unsigned long long)mqs_chaos_first_deliveries(r->checker, s));
            sep = ", ";
        }
        fprintf(out, "), %llu lost, %llu on more than one member, %llu not checked\n", (unsigned long long)gc->lost,
                (unsigned long long)gc->across, (unsigned long long)gc->unchecked);
    }
}

void mqs_chaos_summary_print(FILE *out, const mqs_chaos_opts *o, const mqs_chaos_result *r)
{
    const mqs_chaos_counts *c = mqs_chaos_counts_of(r->checker);
    double s = r->workload_ms > 0 ? (double)r->workload_ms / 1000.0 : 1.0;
    double s_out = r->delivering_ms > 0 ? (double)r->delivering_ms / 1000.0 : 1.0;
    fprintf(out, "\nmqttspec chaos: %s, MQTT %s, %.1f s of workload%s\n", o->target_shown ? o->target_shown : "",
            mqtt_version_name(o->version), (double)r->workload_ms / 1000.0, r->interrupted ? " (interrupted)" : "");
    fprintf(out, "messages: %llu published, %llu acknowledged, %llu delivered; %llu (message, subscriber) pairs "
            "not checked (session not kept)\n", (unsigned long long)c->published,
            (unsigned long long)c->acknowledged, (unsigned long long)c->delivered, (unsigned long long)c->unchecked);
    print_faults(out, r);
    print_groups(out, o, r);
    fprintf(out, "anomalies:\n");
    print_counts(out, o, c);
    print_examples(out, r);
    print_why_information(out, r, c);
    fprintf(out, "throughput: %.0f msg/s in, %.0f msg/s out; latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms\n",
            (double)c->published / s, (double)c->delivered / s_out, r->latency.p50, r->latency.p99, r->latency.p999);
    fprintf(out, "harness: %u connections at most, %.2f s CPU, %ld KB RSS (peak)\n", r->connections_max,
            r->harness_cpu_s, r->harness_rss_kb);
    for (unsigned i = 0; i < r->n_notes; i++)
        fprintf(out, "note: %s\n", r->notes[i]);
    fprintf(out, "verdict: %s (%llu violations)\n", mqs_chaos_passed(r) ? "PASS" : "FAIL",
            (unsigned long long)c->violations);
}
