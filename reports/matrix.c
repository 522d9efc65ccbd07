/*
 * The cross-target matrix: several runs (targets, or versions of one target)
 * side by side, as Autobahn's test suite shows them.  A row is a case (id and
 * protocol version) that any run has; rows are grouped by spec section; a
 * column is a run.  In HTML each cell links to the case's detail for that
 * run, further down the same page; Markdown gives the counts and the rows
 * where some column did not pass.
 */
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "text.h"

typedef struct matrix_row {
    const char *id, *version, *section, *title;
    const mqs_case **cells; /* one per run, NULL where the run lacks the case */
} matrix_row;

typedef struct matrix {
    matrix_row *rows;
    size_t nrows, ncols;
} matrix;

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static matrix_row *find_row(matrix *m, const mqs_case *c)
{
    for (size_t r = 0; r < m->nrows; r++)
        if (same(m->rows[r].id, c->id) && same(m->rows[r].version, c->version))
            return &m->rows[r];
    return NULL;
}

static int row_cmp(const void *a, const void *b)
{
    const matrix_row *x = a, *y = b;
    int by_section = mqs_html_section_cmp(x->section, y->section);
    if (by_section)
        return by_section;
    int by_id = strcmp(x->id ? x->id : "", y->id ? y->id : "");
    return by_id ? by_id : strcmp(x->version ? x->version : "", y->version ? y->version : "");
}

static void matrix_free(matrix *m)
{
    for (size_t r = 0; r < m->nrows; r++)
        free(m->rows[r].cells);
    free(m->rows);
}

/* Place one case; a new row for a case no earlier run had.  false when out of memory. */
static bool place(matrix *m, size_t *cap, const mqs_case *c, size_t col)
{
    matrix_row *row = find_row(m, c);
    if (!row) {
        if (m->nrows == *cap) {
            size_t ncap = *cap ? *cap * 2 : 128;
            matrix_row *rows = realloc(m->rows, ncap * sizeof *rows);
            if (!rows)
                return false;
            m->rows = rows;
            *cap = ncap;
        }
        row = &m->rows[m->nrows];
        *row = (matrix_row){c->id, c->version, c->section, c->title, calloc(m->ncols, sizeof *row->cells)};
        if (!row->cells)
            return false;
        m->nrows++;
    }
    if (!row->section) /* a run without the statement lists leaves it out; another may have it */
        row->section = c->section;
    row->cells[col] = c;
    return true;
}

static int matrix_build(const mqs_run *runs, size_t n, matrix *m)
{
    size_t cap = 0;
    *m = (matrix){NULL, 0, n};
    for (size_t col = 0; col < n; col++)
        for (size_t i = 0; i < runs[col].ncases; i++)
            if (!place(m, &cap, &runs[col].cases[i], col)) {
                matrix_free(m);
                return -1;
            }
    if (m->nrows)
        qsort(m->rows, m->nrows, sizeof *m->rows, row_cmp);
    return 0;
}

/* ---- HTML ---- */

static void write_columns(FILE *out, const mqs_run *runs, const char *const *labels, size_t n)
{
    fputs("<h2>Targets</h2>\n<table class=\"columns\" id=\"columns\">\n<tr><th>column</th><th>target</th>"
          "<th>tool</th><th>started</th>",
          out);
    for (size_t i = 0; i < MQS_VERDICT_COUNT; i++) {
        fputs("<th>", out);
        mqs_html_verdict(out, mqs_verdict_order[i]);
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
    for (size_t col = 0; col < n; col++) {
        size_t counts[MQS_VERDICT_COUNT];
        mqs_run_count(&runs[col], counts);
        fputs("<tr><th>", out);
        mqs_html_text(out, labels[col]);
        fputs("</th><td>", out);
        mqs_html_text(out, runs[col].target);
        fputs("</td><td>", out);
        mqs_html_text(out, runs[col].tool_version);
        fputs("</td><td>", out);
        mqs_html_text(out, runs[col].started_at);
        fputs("</td>", out);
        for (size_t i = 0; i < MQS_VERDICT_COUNT; i++)
            fprintf(out, "<td>%zu</td>", counts[mqs_verdict_order[i]]);
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
}

/* data-verdict holds every verdict of the row, so "FAIL" shows the rows where any column failed. */
static void write_row_verdicts(FILE *out, const matrix_row *row, size_t ncols)
{
    fputs(" data-verdict=\"", out);
    for (size_t col = 0; col < ncols; col++)
        if (row->cells[col])
            fprintf(out, "%s%s", col ? " " : "", mqs_html_verdict_class(row->cells[col]->verdict));
    fputc('"', out);
}

static void write_row(FILE *out, const matrix *m, size_t r, size_t group)
{
    const matrix_row *row = &m->rows[r];
    const mqs_case *any = NULL;
    for (size_t col = 0; col < m->ncols && !any; col++)
        any = row->cells[col];
    fprintf(out, "<tr class=\"mrow\" id=\"row-%zu\" data-in-group=\"%zu\"", r, group);
    write_row_verdicts(out, row, m->ncols);
    mqs_html_case_data(out, any);
    fputs("><td class=\"id\" title=\"", out);
    mqs_html_text(out, row->title);
    fputs("\">", out);
    mqs_html_text(out, row->id ? row->id : "unnamed");
    fputs("</td><td>", out);
    mqs_html_text(out, row->version);
    fputs("</td>", out);
    for (size_t col = 0; col < m->ncols; col++) {
        const mqs_case *c = row->cells[col];
        if (!c) {
            fputs("<td class=\"cell v-none\">&mdash;</td>", out);
            continue;
        }
        fprintf(out, "<td class=\"cell v-%s\"><a href=\"#m-%zu-%zu\">%s</a></td>", mqs_html_verdict_class(c->verdict),
                r, col, mqs_verdict_name(c->verdict));
    }
    fputs("</tr>\n", out);
}

static void write_grid(FILE *out, const matrix *m, const char *const *labels)
{
    fputs("<table class=\"matrix\" id=\"matrix\">\n<thead><tr><th>case</th><th>version</th>", out);
    for (size_t col = 0; col < m->ncols; col++) {
        fputs("<th>", out);
        mqs_html_text(out, labels[col]);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
    size_t group = 0;
    for (size_t r = 0; r < m->nrows; r++) {
        if (r == 0 || !same(m->rows[r].section, m->rows[r - 1].section)) {
            group++;
            fprintf(out, "<tr class=\"group\" data-group=\"%zu\"><th colspan=\"%zu\">", group, m->ncols + 2);
            mqs_html_text(out, m->rows[r].section ? m->rows[r].section : "(no section)");
            fputs("</th></tr>\n", out);
        }
        write_row(out, m, r, group);
    }
    fputs("</tbody>\n</table>\n", out);
}

static void write_details(FILE *out, const matrix *m, const char *const *labels)
{
    fputs("<h2>Details</h2>\n", out);
    for (size_t r = 0; r < m->nrows; r++)
        for (size_t col = 0; col < m->ncols; col++) {
            const mqs_case *c = m->rows[r].cells[col];
            if (!c)
                continue;
            fprintf(out, "<section class=\"mdetail\" id=\"m-%zu-%zu\"><h3>", r, col);
            mqs_html_verdict(out, c->verdict);
            fputc(' ', out);
            mqs_html_text(out, c->id);
            fputs(" (", out);
            mqs_html_text(out, c->version);
            fputs(") &mdash; ", out);
            mqs_html_text(out, labels[col]);
            fprintf(out, " <a href=\"#row-%zu\">&uarr; matrix</a></h3>\n", r);
            mqs_html_case_detail(out, c);
            fputs("</section>\n", out);
        }
}

int mqs_write_matrix_html(const mqs_run *runs, const char *const *labels, size_t n, FILE *out)
{
    matrix m;
    if (matrix_build(runs, n, &m) < 0)
        return -1;
    mqs_html_begin(out, "mqttspec matrix");
    fputs("<h1>mqttspec matrix</h1>\n", out);
    write_columns(out, runs, labels, n);
    fprintf(out, "<h2>Cases by spec section</h2>\n<p>%zu cases; a verdict links to its detail.</p>\n", m.nrows);
    mqs_html_filters(out, runs, n);
    write_grid(out, &m, labels);
    write_details(out, &m, labels);
    mqs_html_end(out);
    matrix_free(&m);
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}

/* ---- Markdown ---- */

static void md_counts(FILE *out, const mqs_run *runs, const char *const *labels, size_t n)
{
    fputs("| column | target | started |", out);
    for (size_t i = 0; i < MQS_VERDICT_COUNT; i++)
        fprintf(out, " %s |", mqs_verdict_name(mqs_verdict_order[i]));
    fputs("\n|---|---|---|", out);
    for (size_t i = 0; i < MQS_VERDICT_COUNT; i++)
        fputs("---:|", out);
    fputc('\n', out);
    for (size_t col = 0; col < n; col++) {
        size_t counts[MQS_VERDICT_COUNT];
        mqs_run_count(&runs[col], counts);
        fputs("| ", out);
        mqs_md_inline(out, labels[col]);
        fputs(" | ", out);
        mqs_md_inline(out, runs[col].target);
        fputs(" | ", out);
        mqs_md_inline(out, runs[col].started_at);
        fputs(" |", out);
        for (size_t i = 0; i < MQS_VERDICT_COUNT; i++)
            fprintf(out, " %zu |", counts[mqs_verdict_order[i]]);
        fputc('\n', out);
    }
    fputc('\n', out);
}

/* Every column has the case and passed it: the Markdown summary counts such rows instead of listing them. */
static bool row_all_pass(const matrix_row *row, size_t ncols)
{
    for (size_t col = 0; col < ncols; col++)
        if (!row->cells[col] || row->cells[col]->verdict != MQS_PASS)
            return false;
    return true;
}

static void md_grid(FILE *out, const matrix *m, const char *const *labels)
{
    fputs("| section | case | version |", out);
    for (size_t col = 0; col < m->ncols; col++) {
        fputc(' ', out);
        mqs_md_inline(out, labels[col]);
        fputs(" |", out);
    }
    fputs("\n|---|---|---|", out);
    for (size_t col = 0; col < m->ncols; col++)
        fputs("---|", out);
    fputc('\n', out);
    size_t all_pass = 0;
    for (size_t r = 0; r < m->nrows; r++) {
        const matrix_row *row = &m->rows[r];
        if (row_all_pass(row, m->ncols)) {
            all_pass++;
            continue;
        }
        fputs("| ", out);
        mqs_md_inline(out, row->section ? row->section : "(no section)");
        fputs(" | ", out);
        mqs_md_inline(out, row->id);
        fputs(" | ", out);
        mqs_md_inline(out, row->version);
        fputs(" |", out);
        for (size_t col = 0; col < m->ncols; col++)
            fprintf(out, " %s |", row->cells[col] ? mqs_verdict_name(row->cells[col]->verdict) : "-");
        fputc('\n', out);
    }
    fprintf(out, "\n%zu of %zu cases passed in every column and are not listed.\n", all_pass, m->nrows);
}

int mqs_write_matrix_markdown(const mqs_run *runs, const char *const *labels, size_t n, FILE *out)
{
    matrix m;
    if (matrix_build(runs, n, &m) < 0)
        return -1;
    fputs("# mqttspec matrix\n\n", out);
    md_counts(out, runs, labels, n);
    md_grid(out, &m, labels);
    matrix_free(&m);
    return fflush(out) != 0 || ferror(out) ? -1 : 0;
}
