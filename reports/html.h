/*
 * Shared by the HTML writers only (the run report, html.c; the matrix,
 * matrix.c).  Every string from the model goes through mqs_html_text: the
 * five characters HTML reacts to become entities, bytes that are not clean
 * UTF-8 become \xNN, so hostile text (a topic "</script><b>") stays text.
 * The page script reads no model data: it only toggles classes on elements
 * whose data-* attributes were written escaped like any other text.
 */
#ifndef MQTTSPEC_REPORTS_HTML_H
#define MQTTSPEC_REPORTS_HTML_H

#include <stdio.h>

#include "mqttspec/result.h"

/* s escaped for element content and quoted attribute values; nothing for NULL. */
void mqs_html_text(FILE *out, const char *s);
/* The document up to and including <body>, with the shared style sheet; title is escaped. */
void mqs_html_begin(FILE *out, const char *title);
/* The filter script and </body></html>. */
void mqs_html_end(FILE *out);
/* A verdict badge: <span class="v v-FAIL">FAIL</span>. */
void mqs_html_verdict(FILE *out, mqs_verdict v);
/* The verdict as a class-safe word: "PASS", "NOT-RUN", ... */
const char *mqs_html_verdict_class(mqs_verdict v);
/* A case's detail: statements (text), failing step, message, expected vs actual, transcript, first attempt. */
void mqs_html_case_detail(FILE *out, const mqs_case *c);
/* The filter bar: selects for verdict, version and tag, offering what the runs hold. */
void mqs_html_filters(FILE *out, const mqs_run *runs, size_t nruns);
/* data-tags=" a b " data-version="5.0" for an element the filters act on (data-verdict is the caller's). */
void mqs_html_case_data(FILE *out, const mqs_case *c);
/* Order of section headings: by their numbers ("3.8.4" before "3.10"), cases without a section last. */
int mqs_html_section_cmp(const char *a, const char *b);

#endif
