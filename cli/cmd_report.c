/*
 * mqttspec report --matrix [LABEL=]A.json ... --html OUT [--md OUT]: JSON
 * reports (docs/report-json.md) of several targets or versions combined into
 * one Autobahn-style matrix.  mqttspec report --chaos RESULT.json --html OUT:
 * a saved `mqttspec chaos --json` result as its timeline page (docs/chaos.md).
 * Exit: 0 written, 2 usage or a report that cannot be read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bytes.h"
#include "cli.h"
#include "mqttspec/chaos_html.h"
#include "report_read.h"
#include "run_report.h"

enum { MAX_COLUMNS = 64, LABEL_MAX = 128 };

typedef struct report_args {
    bool matrix;
    const char *chaos; /* --chaos RESULT.json */
    const char *html, *md;
    const char *files[MAX_COLUMNS];
    char labels[MAX_COLUMNS][LABEL_MAX]; /* given as LABEL=FILE, else filled from the report's target */
    size_t n;
} report_args;

void cmd_report_usage(FILE *out)
{
    fputs("usage: mqttspec report --matrix [LABEL=]REPORT.json ... --html OUT [--md OUT]\n"
          "       mqttspec report --chaos RESULT.json --html OUT\n"
          "\n"
          "Combines JSON reports ('mqttspec run --json F') of several targets, or versions of one, into a\n"
          "matrix: a row per case (grouped by spec section), a column per report, each cell a verdict\n"
          "linking to the case's message and transcript on the same page.\n"
          "\n"
          "      --matrix              the matrix of the REPORT files given (up to 64)\n"
          "      --chaos F             the timeline page of a saved 'mqttspec chaos --json' result (--html only)\n"
          "      --html F              the matrix as one self-contained HTML page\n"
          "      --md F                a Markdown summary: counts per column, the cases not passed everywhere\n"
          "                            (either may be '-': standard output)\n"
          "      --help                this help\n"
          "A column is headed by LABEL when given as LABEL=FILE, else by the report's target.\n"
          "Exit status: 0 written, 2 usage error or a report that cannot be read.\n",
          out);
}

/* "LABEL=FILE" gives the column a label; an argument that names an existing file is that file, '=' or not. */
static int add_file(report_args *a, const char *arg)
{
    if (a->n == MAX_COLUMNS) {
        fprintf(stderr, "mqttspec report: at most %d reports\n", MAX_COLUMNS);
        return -1;
    }
    const char *eq = strchr(arg, '=');
    a->labels[a->n][0] = '\0';
    if (eq && eq != arg && access(arg, F_OK) != 0) {
        snprintf(a->labels[a->n], LABEL_MAX, "%.*s", (int)(eq - arg), arg);
        arg = eq + 1;
    }
    a->files[a->n++] = arg;
    return 0;
}

enum { OPT_MATRIX = 256, OPT_CHAOS, OPT_HTML, OPT_MD, OPT_HELP };

static int parse_args(report_args *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"matrix", no_argument, NULL, OPT_MATRIX}, {"html", required_argument, NULL, OPT_HTML},
        {"md", required_argument, NULL, OPT_MD},   {"help", no_argument, NULL, OPT_HELP},
        {"chaos", required_argument, NULL, OPT_CHAOS},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    optind = 1;
    opterr = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_MATRIX: a->matrix = true; break;
        case OPT_CHAOS: a->chaos = optarg; break;
        case OPT_HTML: a->html = optarg; break;
        case OPT_MD: a->md = optarg; break;
        case OPT_HELP: return 1;
        default: return -1;
        }
    }
    for (int i = optind; i < argc; i++)
        if (add_file(a, argv[i]) < 0)
            return -1;
    const char *why = a->chaos && a->matrix ? "--chaos and --matrix are separate reports: give one"
                      : a->chaos && (a->n || a->md || !a->html) ? "--chaos RESULT.json takes --html OUT and nothing else"
                      : a->chaos ? NULL
                      : !a->matrix ? "give --matrix or --chaos"
                      : !a->n     ? "give the JSON reports to combine"
                      : !a->html && !a->md ? "give --html OUT and/or --md OUT"
                      : a->html && a->md && strcmp(a->html, a->md) == 0 ? "--html and --md name the same file"
                                                                         : NULL;
    if (why) {
        fprintf(stderr, "mqttspec report: %s\n", why);
        return -1;
    }
    return cli_check_output("--html", a->html, CLI_OUT_FILE) < 0 || cli_check_output("--md", a->md, CLI_OUT_FILE) < 0
               ? -1
               : 0;
}

/* A column without a label is headed by its target; a target heading two columns gets its column number too. */
static void fill_labels(report_args *a, const mqs_run *runs)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->labels[i][0])
            continue;
        const char *target = runs[i].target ? runs[i].target : a->files[i];
        bool shared = false;
        for (size_t j = 0; j < a->n && !shared; j++)
            shared = j != i && !a->labels[j][0] && runs[j].target && runs[i].target &&
                     strcmp(runs[j].target, runs[i].target) == 0;
        if (shared)
            snprintf(a->labels[i], LABEL_MAX, "%s #%zu", target, i + 1);
        else
            snprintf(a->labels[i], LABEL_MAX, "%s", target);
    }
}

typedef int (*matrix_writer)(const mqs_run *, const char *const *, size_t, FILE *);

static int write_out(const char *path, matrix_writer writer, const mqs_run *runs, const char *const *labels,
                     size_t n)
{
    if (!path)
        return 0;
    bool to_stdout = strcmp(path, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(path, "w");
    int rc = f ? writer(runs, labels, n, f) : -1;
    if (f && !to_stdout && fclose(f) != 0)
        rc = -1;
    if (rc)
        fprintf(stderr, "mqttspec report: cannot write %s: %s\n", path, strerror(errno));
    return rc;
}

/* The saved chaos result as JSON; NULL with the reason on stderr. */
static cJSON *read_chaos_result(const char *path)
{
    char *text = read_text_file(path);
    const char *unreadable = text ? NULL : strerror(errno);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    const char *why = unreadable ? unreadable : !root ? "not JSON" : !cJSON_IsObject(root) ? "expected an object" : NULL;
    if (!why && !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "series")))
        why = "/series: expected an array (is this a 'mqttspec chaos --json' result?)";
    if (why) {
        fprintf(stderr, "mqttspec report: %s: %s\n", path, why);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static int chaos_page(const report_args *a)
{
    cJSON *result = read_chaos_result(a->chaos);
    if (!result)
        return CLI_EXIT_USAGE;
    bool to_stdout = strcmp(a->html, "-") == 0;
    FILE *f = to_stdout ? stdout : fopen(a->html, "w");
    int rc = f ? mqs_chaos_html_write(result, f) : -1;
    if (f && !to_stdout && fclose(f) != 0)
        rc = -1;
    if (rc)
        fprintf(stderr, "mqttspec report: cannot write %s: %s\n", a->html, strerror(errno));
    cJSON_Delete(result);
    return rc ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
    report_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc) {
        if (rc > 0)
            cmd_report_usage(stdout);
        return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    if (a.chaos)
        return chaos_page(&a);
    mqs_run *runs = calloc(a.n, sizeof *runs);
    if (!runs)
        return CLI_EXIT_USAGE;
    size_t loaded = 0;
    char err[600];
    rc = CLI_EXIT_OK;
    for (; loaded < a.n; loaded++)
        if (report_read(a.files[loaded], &runs[loaded], err, sizeof err) < 0) {
            fprintf(stderr, "mqttspec report: %s\n", err);
            mqs_run_free(&runs[loaded]);
            rc = CLI_EXIT_USAGE;
            break;
        }
    if (rc == CLI_EXIT_OK) {
        fill_labels(&a, runs);
        const char *labels[MAX_COLUMNS];
        for (size_t i = 0; i < a.n; i++)
            labels[i] = a.labels[i];
        if (write_out(a.html, mqs_write_matrix_html, runs, labels, a.n) ||
            write_out(a.md, mqs_write_matrix_markdown, runs, labels, a.n))
            rc = CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < loaded; i++)
        mqs_run_free(&runs[i]);
    free(runs);
    return rc;
}
