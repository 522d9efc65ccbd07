/*
 * The HTML page of a `mqttspec chaos` result (the JSON object of
 * `mqttspec chaos --json`, docs/chaos.md): one self-contained file, viewable
 * offline (inline style, an inline SVG drawn here, no script, nothing
 * fetched).  It shows the verdict and figures, the anomalies counted per kind
 * with the statements they break, a timeline (throughput in and out and
 * latency p50/p99 over time, faults as vertical marks coloured by kind,
 * anomalies as points coloured by severity, each with a hover title) and the
 * first anomalies in detail.
 *
 * The page is well-formed XML as well as HTML (every element closed), so any
 * XML parser can check it.  Strings of the result are escaped; the target's
 * user information (user:password@) is never written.
 */
#ifndef MQTTSPEC_CHAOS_HTML_H
#define MQTTSPEC_CHAOS_HTML_H

#include <stdio.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Anomalies listed in detail at most; the counts per kind come from the result's summary. */
#define MQS_CHAOS_HTML_ANOMALIES_MAX 200

/* 0 written; -1 if result is not a JSON object or writing failed. */
int mqs_chaos_html_write(const cJSON *result, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
