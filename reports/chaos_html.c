/*
 * The chaos page (include/mqttspec/chaos_html.h): header, summary tables, a
 * timeline SVG drawn here and the anomaly list, from the result JSON alone.
 * Everything a result may lack (a key, a whole array) is shown as missing,
 * never guessed.  The kinds below are presentation only (labels and colours);
 * what counts as a violation is the checker's, read from each anomaly.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "html.h"
#include "mqttspec/chaos_html.h"

/* ---- the result, read defensively ---- */

static double num_or(const cJSON *obj, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : dflt;
}

static const char *str_or(const cJSON *obj, const char *key, const char *dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : dflt;
}

static const cJSON *array_of(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

/* ---- kinds: label, summary key, colour ---- */

typedef struct chaos_kind {
    const char *name;        /* as in the result */
    const char *summary_key; /* its count in "summary"; NULL: counted from the list */
    const char *meaning;
    const char *colour;
} chaos_kind;

static const chaos_kind ANOMALY_KINDS[] = {
    {"lost", "lost", "acknowledged QoS 1/2 message never delivered to a subscriber whose session persisted", NULL},
    {"duplicate-qos2", "duplicates_qos2", "QoS 2 message delivered more than once", NULL},
    {"reorder", "reordered", "messages of one publisher on one topic delivered out of order", NULL},
    {"never-published", "never_published", "delivered message that no publisher sent", NULL},
    {"packet-id-in-use", "packet_ids_in_use", "QoS 2 PUBLISH under a packet id still awaiting PUBREL: taken for a "
     "resend, so the message it carried is not delivered", NULL},
    {"duplicate-qos1", "duplicates_qos1", "QoS 1 message delivered more than once (at least once allows it)", NULL},
    {"lost-qos0", "lost_qos0", "QoS 0 message not delivered (at most once allows it)", NULL},
    {"lost-after-restart", "lost_after_restart", "message lost across a broker restart", NULL},
    /* 5.0 shared subscriptions (--shared-groups): a count of "—" in a result without them */
    {"shared-qos2-moved", "shared_qos2_moved",
     "QoS 2 message of a shared group sent to another member after its member's session ended", NULL},
    {"duplicate-shared", "duplicates_shared", "message delivered to more than one member of a shared group", NULL},
    {"reorder-shared", "reordered_shared", "out of order within one member of a shared group (not an Ordered Topic "
     "by default)", NULL},
};
enum { N_ANOMALY_KINDS = sizeof ANOMALY_KINDS / sizeof ANOMALY_KINDS[0] };

static const chaos_kind FAULT_KINDS[] = {
    {"proxy-cut", NULL, "the fault proxy cut a connection (both directions)", "#4e79a7"},
    {"proxy-stall", NULL, "the fault proxy stalled a connection", "#59a14f"},
    {"proxy-latency", NULL, "the fault proxy added latency", "#b6992d"},
    {"client-drop", NULL, "a worker dropped its own connection abruptly", "#f28e2b"},
    {"broker-restart", NULL, "the broker was restarted (--restart-cmd)", "#e15759"},
};
enum { N_FAULT_KINDS = sizeof FAULT_KINDS / sizeof FAULT_KINDS[0] };
static const char OTHER_FAULT_COLOUR[] = "#999999";

static const char *fault_colour(const char *kind)
{
    for (size_t i = 0; i < N_FAULT_KINDS; i++)
        if (kind && strcmp(kind, FAULT_KINDS[i].name) == 0)
            return FAULT_KINDS[i].colour;
    return OTHER_FAULT_COLOUR;
}

static const char *severity_colour(const char *severity)
{
    if (severity && strcmp(severity, "violation") == 0)
        return "#d62728";
    if (severity && strcmp(severity, "allowed") == 0)
        return "#e6a100";
    return "#6b8fb3"; /* info, or unknown */
}

/* ---- page ---- */

static const char STYLE[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".meta td,.meta th{border:none;padding:1px 8px 1px 0}"
    ".v{display:inline-block;min-width:4.5em;text-align:center;border-radius:3px;font-weight:600;padding:0 4px}"
    ".v-PASS{background:#c8f0c8}.v-FAIL{background:#f4b4b4}.v-none{background:#eee}"
    ".sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-1px;margin-right:4px}"
    ".legend span.item{margin-right:1.2em;white-space:nowrap}"
    ".sev-violation{color:#b00;font-weight:600}.sev-allowed{color:#8a6400}.sev-info{color:#456}"
    "svg.timeline{max-width:100%;height:auto;border:1px solid #ddd;background:#fff}"
    "svg.timeline text{font:11px system-ui,sans-serif;fill:#444}"
    "svg.timeline .grid{stroke:#eee}svg.timeline .axis{stroke:#888}"
    "svg.timeline line.fault{stroke-width:3;stroke-opacity:.35}svg.timeline line.fault:hover{stroke-opacity:.9}"
    "svg.timeline line.fault[data-kind=broker-restart]{stroke-width:7;stroke-opacity:.5}"
    "svg.timeline circle:hover{stroke:#000;stroke-width:1.5}"
    "table.anomalies td{font-size:13px}table.anomalies td.detail{max-width:40em}"
    "td.nowrap{white-space:nowrap}.side{display:flex;flex-wrap:wrap;gap:0 3em;align-items:flex-start}";

static void begin_page(FILE *out, const cJSON *r)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>mqttspec chaos: ",
          out);
    mqs_html_text(out, str_or(r, "verdict", "?"));
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n", STYLE);
}

/* The target without user information: "mqtt://user:pw@host:1883/x" is shown as "mqtt://host:1883/x". */
static void write_target(FILE *out, const char *url)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    const char *host_end = host + strcspn(host, "/?#");
    const char *at = NULL;
    for (const char *p = host; p < host_end; p++)
        if (*p == '@')
            at = p; /* the last '@' of the authority ends the user information */
    if (!at) {
        mqs_html_text(out, url);
        return;
    }
    char scheme[32] = "";
    if (scheme_end && (size_t)(scheme_end - url) + 3 < sizeof scheme)
        snprintf(scheme, sizeof scheme, "%.*s", (int)(scheme_end - url + 3), url);
    mqs_html_text(out, scheme);
    mqs_html_text(out, at + 1);
}

static void meta_row(FILE *out, const char *label, const char *value)
{
    fprintf(out, "<tr><th>%s</th><td>", label);
    mqs_html_text(out, value);
    fputs("</td></tr>\n", out);
}

static void write_header(FILE *out, const cJSON *r)
{
    const char *verdict = str_or(r, "verdict", NULL);
    bool known = verdict && (strcmp(verdict, "PASS") == 0 || strcmp(verdict, "FAIL") == 0);
    fprintf(out, "<h1>mqttspec chaos <span class=\"v v-%s\">", known ? verdict : "none");
    mqs_html_text(out, verdict ? verdict : "no verdict");
    fputs("</span></h1>\n<table class=\"meta\">\n<tr><th>target</th><td>", out);
    write_target(out, str_or(r, "target", "?"));
    fputs("</td></tr>\n", out);
    meta_row(out, "protocol", str_or(r, "protocol", "?"));
    meta_row(out, "started", str_or(r, "started_at", "?"));
    fprintf(out, "<tr><th>elapsed</th><td>%.1f s</td></tr>\n", num_or(r, "elapsed_ms", 0) / 1000.0);
    meta_row(out, "tool", str_or(r, "mqttspec_version", "?"));
    fputs("</table>\n", out);
}

/* "4 publishers, 2 subscribers, ..." from config; only keys present are shown. */
static void write_config(FILE *out, const cJSON *r)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(r, "config");
    if (!cJSON_IsObject(c))
        return;
    static const struct {
        const char *key, *unit;
    } FIELDS[] = {{"duration_s", " s"},  {"publishers", " publishers"}, {"subscribers", " subscribers"},
                  {"topics", " topics"}, {"rate", " msg/s"},            {"size", "-byte payloads"},
                  {"quiet_ms", " ms quiet period"}};
    fputs("<p class=\"config\">workload: ", out);
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        double v = num_or(c, FIELDS[i].key, NAN);
        if (!isnan(v))
            fprintf(out, "%g%s, ", v, FIELDS[i].unit);
    }
    fputs("QoS", out);
    const cJSON *q;
    cJSON_ArrayForEach(q, cJSON_GetObjectItemCaseSensitive(c, "qos"))
    {
        if (cJSON_IsNumber(q))
            fprintf(out, " %d", q->valueint);
    }
    const cJSON *persistent = cJSON_GetObjectItemCaseSensitive(c, "persistent");
    if (cJSON_IsBool(persistent))
        fputs(cJSON_IsTrue(persistent) ? ", persistent sessions" : ", clean sessions", out);
    fputs("</p>\n", out);
}

/* ---- summary ---- */

static void figure_row(FILE *out, const char *label, const cJSON *obj, const char *key, int decimals)
{
    double v = num_or(obj, key, NAN);
    fprintf(out, "<tr><th>%s</th><td class=\"n\">", label);
    if (isnan(v))
        fputs("—", out);
    else
        fprintf(out, "%.*f", decimals, v);
    fputs("</td></tr>\n", out);
}

static void write_figures(FILE *out, const cJSON *summary)
{
    const cJSON *lat = cJSON_GetObjectItemCaseSensitive(summary, "latency_ms");
    fputs("<h2>Figures</h2>\n<table class=\"figures\">\n", out);
    figure_row(out, "published", summary, "published", 0);
    figure_row(out, "acknowledged by the broker", summary, "acknowledged", 0);
    figure_row(out, "deliveries received", summary, "delivered", 0);
    figure_row(out, "throughput in (msg/s)", summary, "throughput_in_per_s", 1);
    figure_row(out, "throughput out (msg/s)", summary, "throughput_out_per_s", 1);
    figure_row(out, "latency p50 (ms)", lat, "p50", 2);
    figure_row(out, "latency p99 (ms)", lat, "p99", 2);
    figure_row(out, "latency p99.9 (ms)", lat, "p999", 2);
    figure_row(out, "connections held (max)", summary, "connections_max", 0);
    figure_row(out, "harness CPU (s)", summary, "harness_cpu_s", 2);
    figure_row(out, "harness RSS (KiB)", summary, "harness_rss_kb", 0);
    fputs("</table>\n", out);
}

/* The distinct values of field among the anomalies of kind, space-separated: "5.0:MQTT-4.3.3-6". */
static void write_distinct(FILE *out, const cJSON *anomalies, const char *kind, const char *field, bool as_class)
{
    const cJSON *seen[8];
    size_t n = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, anomalies)
    {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, field);
        if (strcmp(str_or(a, "kind", ""), kind) != 0 || !cJSON_IsString(v) || n == sizeof seen / sizeof seen[0])
            continue;
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = strcmp(seen[i]->valuestring, v->valuestring) == 0;
        if (dup)
            continue;
        seen[n++] = v;
        fputs(n > 1 ? ", " : "", out);
        if (as_class) {
            fputs("<span class=\"sev-", out);
            mqs_html_text(out, v->valuestring);
            fputs("\">", out);
        }
        mqs_html_text(out, v->valuestring);
        fputs(as_class ? "</span>" : "", out);
    }
    if (!n)
        fputs("—", out);
}

static void write_anomaly_counts(FILE *out, const cJSON *summary, const cJSON *anomalies)
{
    fputs("<h2>Anomalies</h2>\n<table class=\"counts\">\n<tr><th>kind</th><th>count</th><th>severity</th>"
          "<th>statement</th><th>what it is</th></tr>\n",
          out);
    for (size_t i = 0; i < N_ANOMALY_KINDS; i++) {
        const chaos_kind *k = &ANOMALY_KINDS[i];
        double count = num_or(summary, k->summary_key, NAN);
        fprintf(out, "<tr data-kind=\"%s\"><td>%s</td><td class=\"n\">", k->name, k->name);
        if (isnan(count))
            fputs("—", out);
        else
            fprintf(out, "%.0f", count);
        fputs("</td><td>", out);
        write_distinct(out, anomalies, k->name, "severity", true);
        fputs("</td><td>", out);
        write_distinct(out, anomalies, k->name, "statement", false);
        fprintf(out, "</td><td>%s</td></tr>\n", k->meaning);
    }
    fputs("<tr><th>violations</th><td class=\"n\">", out);
    double v = num_or(summary, "violations", NAN);
    if (isnan(v))
        fputs("—", out);
    else
        fprintf(out, "%.0f", v);
    fputs("</td><td colspan=\"3\">what the specification guarantees and the broker did not keep</td></tr>\n"
          "</table>\n",
          out);
}

static void write_fault_counts(FILE *out, const cJSON *faults)
{
    fputs("<h2>Faults</h2>\n<table class=\"counts\">\n<tr><th>kind</th><th>count</th><th>what it is</th></tr>\n", out);
    for (size_t i = 0; i < N_FAULT_KINDS; i++) {
        const chaos_kind *k = &FAULT_KINDS[i];
        size_t n = 0;
        const cJSON *f;
        cJSON_ArrayForEach(f, faults) n += strcmp(str_or(f, "kind", ""), k->name) == 0;
        fprintf(out, "<tr data-kind=\"%s\"><td><span class=\"sw\" style=\"background:%s\"></span>%s</td>"
                     "<td class=\"n\">%zu</td><td>%s</td></tr>\n",
                k->name, k->colour, k->name, n, k->meaning);
    }
    fputs("</table>\n", out);
}

/* ---- the timeline ---- */

/* Geometry of the SVG (user units). */
enum {
    TL_WIDTH = 1100,
    TL_LEFT = 124,
    TL_RIGHT = 20,
    TL_FAULT_ROW = 8,   /* the fault markers' strip, above the panels */
    TL_TOP = 36,        /* throughput panel */
    TL_TP_H = 170,
    TL_LAT_TOP = 246,   /* latency panel */
    TL_LAT_H = 130,
    TL_AN_TOP = 416,    /* anomaly strip: one row per kind */
    TL_AN_ROW = 16,
    TL_TICKS_MAX = 20, /* a bound on tick loops, whatever the values */
};
#define TL_PLOT_W ((double)(TL_WIDTH - TL_LEFT - TL_RIGHT))
#define TL_HEIGHT (TL_AN_TOP + N_ANOMALY_KINDS * TL_AN_ROW + 34)

typedef struct timeline {
    double t_max_ms; /* the x axis runs from 0 to this */
    FILE *out;
} timeline;

static double tl_x(const timeline *tl, double t_ms)
{
    double t = t_ms < 0 ? 0 : t_ms > tl->t_max_ms ? tl->t_max_ms : t_ms;
    return TL_LEFT + TL_PLOT_W * t / tl->t_max_ms;
}

/* A tick step of 1, 2 or 5 times a power of ten giving at most about `ticks` ticks up to max. */
static double nice_step(double max, int ticks)
{
    double raw = max / ticks, p = pow(10, floor(log10(raw)));
    return raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
}

static void tl_x_axis(const timeline *tl, double y)
{
    double step = nice_step(tl->t_max_ms / 1000.0, 12);
    fprintf(tl->out, "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n", TL_LEFT, y,
            TL_WIDTH - TL_RIGHT, y);
    for (int i = 0; i <= TL_TICKS_MAX && i * step * 1000.0 <= tl->t_max_ms + 1e-6; i++)
        fprintf(tl->out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g s</text>\n",
                tl_x(tl, i * step * 1000.0), y + 13, i * step);
}

/* A panel's frame, horizontal grid and y labels; values 0..max map to [top+h, top]. */
static void tl_panel(const timeline *tl, int top, int h, double max, const char *title)
{
    FILE *out = tl->out;
    double step = nice_step(max, 4);
    for (int i = 0; i <= TL_TICKS_MAX && i * step <= max + 1e-9; i++) {
        double v = i * step, y = top + h - h * v / max;
        fprintf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n", TL_LEFT, y,
                TL_WIDTH - TL_RIGHT, y);
        fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", TL_LEFT - 4, y + 4, v);
    }
    fprintf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", TL_LEFT, top, TL_LEFT, top + h);
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-weight=\"600\">%s</text>\n", TL_LEFT, top - 6, title);
}

/* The series' value at key (a count per interval turned into a rate, or a latency) for each point. */
typedef enum { TL_RATE, TL_LATENCY } tl_measure;

static bool tl_value(const cJSON *point, double prev_t, const char *key, tl_measure m, double *t, double *v)
{
    *t = num_or(point, "t_ms", NAN);
    if (isnan(*t))
        return false;
    if (m == TL_LATENCY) {
        *v = num_or(cJSON_GetObjectItemCaseSensitive(point, "latency_ms"), key, NAN);
    } else {
        double count = num_or(point, key, NAN), dt = *t - prev_t;
        *v = dt > 0 ? count * 1000.0 / dt : NAN; /* series counts are per interval: shown per second */
    }
    return isfinite(*v) && *v >= 0;
}

static double tl_max(const cJSON *series, const char *const *keys, size_t nkeys, tl_measure m)
{
    double max = 0;
    for (size_t k = 0; k < nkeys; k++) {
        double prev_t = 0, t, v;
        const cJSON *p;
        cJSON_ArrayForEach(p, series)
        {
            if (tl_value(p, prev_t, keys[k], m, &t, &v) && v > max)
                max = v;
            if (!isnan(t))
                prev_t = t;
        }
    }
    double headroom = max * 1.1;
    return max <= 0 ? 1 : isfinite(headroom) ? headroom : max;
}

static void tl_line(const timeline *tl, const cJSON *series, const char *key, tl_measure m, int top, int h,
                    double max, const char *colour, const char *dash)
{
    fprintf(tl->out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s%s%s points=\"", colour,
            dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
    double prev_t = 0, t, v;
    const cJSON *p;
    cJSON_ArrayForEach(p, series)
    {
        if (tl_value(p, prev_t, key, m, &t, &v))
            fprintf(tl->out, "%.1f,%.1f ", tl_x(tl, t), top + h - h * (v > max ? max : v) / max);
        if (!isnan(t))
            prev_t = t;
    }
    fputs("\"/>\n", tl->out);
}

static void tl_faults(const timeline *tl, const cJSON *faults)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, faults)
    {
        double t = num_or(f, "t_ms", NAN);
        if (isnan(t))
            continue;
        const char *kind = str_or(f, "kind", "fault");
        double x = tl_x(tl, t);
        fprintf(tl->out, "<line class=\"fault\" data-kind=\"");
        mqs_html_text(tl->out, kind);
        fprintf(tl->out, "\" stroke=\"%s\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"><title>%.0f ms: ",
                fault_colour(kind), x, TL_FAULT_ROW, x, TL_AN_TOP + N_ANOMALY_KINDS * TL_AN_ROW, t);
        mqs_html_text(tl->out, kind);
        const char *conn = str_or(f, "connection", NULL), *detail = str_or(f, "detail", NULL);
        if (conn) {
            fputs(" on ", tl->out);
            mqs_html_text(tl->out, conn);
        }
        if (detail) {
            fputs(": ", tl->out);
            mqs_html_text(tl->out, detail);
        }
        fputs("</title></line>\n", tl->out);
    }
}

static int anomaly_row(const char *kind)
{
    for (size_t i = 0; i < N_ANOMALY_KINDS; i++)
        if (strcmp(kind, ANOMALY_KINDS[i].name) == 0)
            return (int)i;
    return -1;
}

static void tl_anomaly_title(FILE *out, const cJSON *a, double t)
{
    fprintf(out, "<title>%.0f ms: ", t);
    mqs_html_text(out, str_or(a, "kind", "?"));
    fputs(" (", out);
    mqs_html_text(out, str_or(a, "severity", "?"));
    const char *st = str_or(a, "statement", NULL);
    if (st) {
        fputs(", ", out);
        mqs_html_text(out, st);
    }
    fputs(") ", out);
    mqs_html_text(out, str_or(a, "publisher", "?"));
    fputs(" → ", out);
    mqs_html_text(out, str_or(a, "subscriber", "?"));
    fputs(" ", out);
    mqs_html_text(out, str_or(a, "topic", ""));
    double qos = num_or(a, "qos", NAN), seq = num_or(a, "seq", NAN);
    if (!isnan(qos))
        fprintf(out, " QoS %g", qos);
    if (!isnan(seq))
        fprintf(out, " seq %.0f", seq);
    fputs(": ", out);
    mqs_html_text(out, str_or(a, "detail", ""));
    fputs("</title>", out);
}

static void tl_anomalies(const timeline *tl, const cJSON *anomalies)
{
    for (size_t i = 0; i < N_ANOMALY_KINDS; i++)
        fprintf(tl->out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", TL_LEFT - 4,
                TL_AN_TOP + (int)i * TL_AN_ROW + 12, ANOMALY_KINDS[i].name);
    const cJSON *a;
    cJSON_ArrayForEach(a, anomalies)
    {
        double t = num_or(a, "t_ms", NAN);
        int row = anomaly_row(str_or(a, "kind", ""));
        if (isnan(t) || row < 0)
            continue;
        const char *sev = str_or(a, "severity", "info");
        fputs("<circle class=\"anomaly\" data-severity=\"", tl->out);
        mqs_html_text(tl->out, sev);
        fprintf(tl->out, "\" cx=\"%.1f\" cy=\"%d\" r=\"4.5\" fill=\"%s\">", tl_x(tl, t),
                TL_AN_TOP + row * TL_AN_ROW + 8, severity_colour(sev));
        tl_anomaly_title(tl->out, a, t);
        fputs("</circle>\n", tl->out);
    }
}

/* The x axis covers the run: its elapsed time, or the last event if later (or if elapsed is missing). */
static double tl_extent(const cJSON *r, const cJSON *const *arrays, size_t n)
{
    double max = num_or(r, "elapsed_ms", 0);
    for (size_t i = 0; i < n; i++) {
        const cJSON *e;
        cJSON_ArrayForEach(e, arrays[i])
        {
            double t = num_or(e, "t_ms", 0);
            if (t > max)
                max = t;
        }
    }
    return max > 0 ? max : 1000;
}

static void write_legend(FILE *out)
{
    fputs("<p class=\"legend\">"
          "<span class=\"item\"><span class=\"sw\" style=\"background:#1f77b4\"></span>in: published/s</span>"
          "<span class=\"item\"><span class=\"sw\" style=\"background:#2ca02c\"></span>out: delivered/s</span>"
          "<span class=\"item\"><span class=\"sw\" style=\"background:#9aa7b4\"></span>acknowledged/s (dashed)</span>"
          "<span class=\"item\"><span class=\"sw\" style=\"background:#9467bd\"></span>latency p50</span>"
          "<span class=\"item\"><span class=\"sw\" style=\"background:#d62728\"></span>latency p99</span>"
          "<br/>faults: ",
          out);
    for (size_t i = 0; i < N_FAULT_KINDS; i++)
        fprintf(out, "<span class=\"item\"><span class=\"sw\" style=\"background:%s\"></span>%s</span>",
                FAULT_KINDS[i].colour, FAULT_KINDS[i].name);
    fputs("<br/>anomalies: ", out);
    static const char *const SEVERITIES[] = {"violation", "allowed", "info"};
    for (size_t i = 0; i < 3; i++)
        fprintf(out, "<span class=\"item\"><span class=\"sw\" style=\"background:%s\"></span>%s</span>",
                severity_colour(SEVERITIES[i]), SEVERITIES[i]);
    fputs("</p>\n", out);
}

static void write_timeline(FILE *out, const cJSON *r)
{
    const cJSON *series = array_of(r, "series"), *faults = array_of(r, "faults"),
                *anomalies = array_of(r, "anomalies");
    const cJSON *arrays[] = {series, faults, anomalies};
    timeline tl = {tl_extent(r, arrays, 3), out};
    static const char *const RATES[] = {"sent", "received", "acked"}, *const LATENCIES[] = {"p50", "p99"};
    double rate_max = tl_max(series, RATES, 3, TL_RATE), lat_max = tl_max(series, LATENCIES, 2, TL_LATENCY);

    fputs("<h2>Timeline</h2>\n", out);
    fprintf(out, "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                 "height=\"%d\" role=\"img\" aria-label=\"throughput, latency, faults and anomalies over time\">\n",
            TL_WIDTH, TL_HEIGHT, TL_WIDTH, TL_HEIGHT);
    fputs("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", out);
    tl_panel(&tl, TL_TOP, TL_TP_H, rate_max, "throughput (messages/s)");
    tl_line(&tl, series, "acked", TL_RATE, TL_TOP, TL_TP_H, rate_max, "#9aa7b4", "5 3");
    tl_line(&tl, series, "sent", TL_RATE, TL_TOP, TL_TP_H, rate_max, "#1f77b4", NULL);
    tl_line(&tl, series, "received", TL_RATE, TL_TOP, TL_TP_H, rate_max, "#2ca02c", NULL);
    tl_x_axis(&tl, TL_TOP + TL_TP_H);
    tl_panel(&tl, TL_LAT_TOP, TL_LAT_H, lat_max, "end-to-end latency (ms)");
    tl_line(&tl, series, "p50", TL_LATENCY, TL_LAT_TOP, TL_LAT_H, lat_max, "#9467bd", NULL);
    tl_line(&tl, series, "p99", TL_LATENCY, TL_LAT_TOP, TL_LAT_H, lat_max, "#d62728", NULL);
    tl_x_axis(&tl, TL_LAT_TOP + TL_LAT_H);
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-weight=\"600\">anomalies</text>\n", TL_LEFT, TL_AN_TOP - 6);
    tl_anomalies(&tl, anomalies);
    tl_x_axis(&tl, TL_AN_TOP + N_ANOMALY_KINDS * TL_AN_ROW);
    tl_faults(&tl, faults); /* last: drawn over the lines, so their titles are what the pointer finds */
    fputs("</svg>\n", out);
    write_legend(out);
}

/* ---- the anomaly list ---- */

static void cell_text(FILE *out, const cJSON *a, const char *key)
{
    fputs("<td class=\"nowrap\">", out);
    mqs_html_text(out, str_or(a, key, "—"));
    fputs("</td>", out);
}

static void cell_num(FILE *out, const cJSON *a, const char *key)
{
    double v = num_or(a, key, NAN);
    if (isnan(v))
        fputs("<td class=\"n\">—</td>", out);
    else
        fprintf(out, "<td class=\"n\">%.0f</td>", v);
}

static void write_anomaly_list(FILE *out, const cJSON *anomalies, const cJSON *summary)
{
    int listed = anomalies ? cJSON_GetArraySize(anomalies) : 0;
    fputs("<h2>Anomaly list</h2>\n", out);
    if (!listed) {
        fputs("<p>No anomaly was recorded.</p>\n", out);
        return;
    }
    int shown = listed < MQS_CHAOS_HTML_ANOMALIES_MAX ? listed : MQS_CHAOS_HTML_ANOMALIES_MAX;
    fprintf(out, "<p>The first %d of the %d anomalies the result lists", shown, listed);
    double violations = num_or(summary, "violations", NAN);
    if (!isnan(violations))
        fprintf(out, " (the checker counted %.0f violations in all; the counts above are complete)", violations);
    fputs(".</p>\n<table class=\"anomalies\">\n<tr><th>t (ms)</th><th>kind</th><th>severity</th><th>statement</th>"
          "<th>publisher</th><th>subscriber</th><th>topic</th><th>QoS</th><th>seq</th><th>detail</th></tr>\n",
          out);
    int n = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, anomalies)
    {
        if (n++ == shown)
            break;
        fputs("<tr>", out);
        cell_num(out, a, "t_ms");
        cell_text(out, a, "kind");
        fputs("<td class=\"sev-", out);
        mqs_html_text(out, str_or(a, "severity", "info"));
        fputs("\">", out);
        mqs_html_text(out, str_or(a, "severity", "—"));
        fputs("</td>", out);
        cell_text(out, a, "statement");
        cell_text(out, a, "publisher");
        cell_text(out, a, "subscriber");
        cell_text(out, a, "topic");
        cell_num(out, a, "qos");
        cell_num(out, a, "seq");
        fputs("<td class=\"detail\">", out);
        mqs_html_text(out, str_or(a, "detail", ""));
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

static void write_notes(FILE *out, const cJSON *r)
{
    const cJSON *notes = array_of(r, "notes"), *note;
    if (!notes || !cJSON_GetArraySize(notes))
        return;
    fputs("<h2>Notes</h2>\n<ul class=\"notes\">\n", out);
    cJSON_ArrayForEach(note, notes)
    {
        if (!cJSON_IsString(note))
            continue;
        fputs("<li>", out);
        mqs_html_text(out, note->valuestring);
        fputs("</li>\n", out);
    }
    fputs("</ul>\n", out);
}

int mqs_chaos_html_write(const cJSON *result, FILE *out)
{
    if (!cJSON_IsObject(result) || !out)
        return -1;
    const cJSON *summary = cJSON_GetObjectItemCaseSensitive(result, "summary");
    const cJSON *anomalies = array_of(result, "anomalies");
    begin_page(out, result);
    write_header(out, result);
    write_config(out, result);
    write_anomaly_counts(out, summary, anomalies);
    write_notes(out, result);
    write_timeline(out, result);
    fputs("<div class=\"side\">\n<div>\n", out);
    write_fault_counts(out, array_of(result, "faults"));
    fputs("</div>\n<div>\n", out);
    write_figures(out, summary);
    fputs("</div>\n</div>\n", out);
    write_anomaly_list(out, anomalies, summary);
    fputs("<p><small>Written by mqttspec; self-contained, nothing is fetched. Hover a fault mark or an anomaly "
          "point for its details.</small></p>\n</body>\n</html>\n",
          out);
    return ferror(out) ? -1 : 0;
}
