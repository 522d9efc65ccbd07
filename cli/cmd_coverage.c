/*
 * mqttspec coverage: which statements the suite checks, and why the others
 * cannot be (docs/coverage.md).  Exit: 0 report written (and checks passed),
 * 1 a check failed, 2 usage or a data file that cannot be read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "coverage.h"
#include "data_dir.h"
#include "options.h"

#define MAX_SCENARIO_PATHS 16

typedef enum check_mode {
    CHECK_NONE,
    CHECK_REFS,     /* only broken references fail */
    CHECK_TESTABLE, /* ... and a wire-testable statement neither covered nor justified */
    CHECK_ALL,      /* ... and any statement neither covered nor justified */
} check_mode;

typedef enum out_format { FORMAT_TEXT, FORMAT_MD, FORMAT_JSON } out_format;

typedef struct coverage_args {
    unsigned mask; /* 1u << version for each version reported */
    out_format format;
    bool format_given, gaps_only;
    const char *out, *floor, *untestable, *quirk_matrix;
    check_mode check;
    const char *scenarios[MAX_SCENARIO_PATHS];
    size_t nscenarios;
} coverage_args;

void cmd_coverage_usage(FILE *out)
{
    fputs("usage: mqttspec coverage [-V 3.1.1|5.0] [--format text|md|json] [--out F] [--check[=MODE]] [--floor F]\n"
          "\n"
          "For every statement of the MQTT 3.1.1 and 5.0 lists (spec/): its paraphrase, the scenarios and codec\n"
          "error codes that cite it, the broker-sim quirks that break it, and for a statement\n"
          "nothing cites, the reason it cannot be checked on the wire (spec/untestable.tsv).  Totals per\n"
          "version: covered / justified / neither, over the wire-testable statements and over all.\n"
          "\n"
          "  -V, --protocol-version V  3.1.1 or 5.0 (also mqttv311, mqttv5; default both)\n"
          "      --format F            text (default), md or json\n"
          "  -o, --out F               write the report to F (default standard output)\n"
          "      --gaps                list only the statements neither covered nor justified\n"
          "      --check[=MODE]        exit 1 on a cited or justified id that is not in the lists, a\n"
          "                            justification of a wire-testable or covered statement, and by MODE:\n"
          "                            all (default) any statement neither covered nor justified,\n"
          "                            testable  a wire-testable statement neither covered nor justified,\n"
          "                            refs      nothing more\n"
          "      --floor F             exit 1 when a version's covered or covered+justified count is below\n"
          "                            the one recorded in F (ci/coverage-floor.txt); implies --check=refs\n"
          "                            With --check or --floor and no --format or --out, only the totals are printed.\n"
          "      --scenarios DIR|FILE  scenarios to read (repeatable; default: $MQTTSPEC_SCENARIOS, else the\n"
          "                            installed set)\n"
          "      --untestable F        the justifications (default: spec/untestable.tsv of the installed data)\n"
          "      --quirk-matrix F      the quirk matrix's results (JSON, from ci/quirk-matrix.sh): list a quirk\n"
          "                            only where a scenario citing the statement FAILed with it (default: the\n"
          "                            quirk table's word alone)\n"
          "      --help                this help\n"
          "\n"
          "Exit status: 0 report written and checks passed, 1 a check failed, 2 usage error or an unreadable\n"
          "or malformed list.\n",
          out);
}

static __attribute__((format(printf, 1, 2))) int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mqttspec coverage: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'mqttspec coverage --help'.\n", stderr);
    return -1;
}

static int parse_version(coverage_args *a, const char *value)
{
    mqtt_version v = cli_version_parse(value);
    if (v != MQTT_V311 && v != MQTT_V5)
        return usage_error("-V '%s': the statement lists are those of 3.1.1 and 5.0 (3.1 has no numbered statements)",
                           value);
    a->mask |= 1u << v;
    return 0;
}

static int parse_format(coverage_args *a, const char *value)
{
    static const char *const names[] = {"text", "md", "json"};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(value, names[i]) == 0) {
            a->format = (out_format)i;
            a->format_given = true;
            return 0;
        }
    return usage_error("--format '%s': use text, md or json", value);
}

static int parse_check(coverage_args *a, const char *value)
{
    if (!value || strcmp(value, "all") == 0)
        a->check = CHECK_ALL;
    else if (strcmp(value, "testable") == 0)
        a->check = CHECK_TESTABLE;
    else if (strcmp(value, "refs") == 0)
        a->check = CHECK_REFS;
    else
        return usage_error("--check=%s: use all, testable or refs", value);
    return 0;
}

enum { OPT_FORMAT = 256, OPT_CHECK, OPT_FLOOR, OPT_GAPS, OPT_SCENARIOS, OPT_UNTESTABLE, OPT_QUIRK_MATRIX, OPT_HELP };

/* 0 to go on, 1 after --help, -1 after a usage error. */
static int parse_args(int argc, char **argv, coverage_args *a)
{
    static const struct option long_opts[] = {
        {"protocol-version", required_argument, NULL, 'V'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"out", required_argument, NULL, 'o'},
        {"gaps", no_argument, NULL, OPT_GAPS},
        {"check", optional_argument, NULL, OPT_CHECK},
        {"floor", required_argument, NULL, OPT_FLOOR},
        {"scenarios", required_argument, NULL, OPT_SCENARIOS},
        {"untestable", required_argument, NULL, OPT_UNTESTABLE},
        {"quirk-matrix", required_argument, NULL, OPT_QUIRK_MATRIX},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int opt, rc = 0;
    optind = 1;
    opterr = 0;
    while (rc == 0 && (opt = getopt_long(argc, argv, ":V:o:", long_opts, NULL)) != -1) {
        switch (opt) {
        case 'V': rc = parse_version(a, optarg); break;
        case OPT_FORMAT: rc = parse_format(a, optarg); break;
        case 'o': a->out = optarg; break;
        case OPT_GAPS: a->gaps_only = true; break;
        case OPT_CHECK: rc = parse_check(a, optarg); break;
        case OPT_FLOOR: a->floor = optarg; break;
        case OPT_UNTESTABLE: a->untestable = optarg; break;
        case OPT_QUIRK_MATRIX: a->quirk_matrix = optarg; break;
        case OPT_SCENARIOS:
            if (a->nscenarios == MAX_SCENARIO_PATHS)
                return usage_error("%s", "too many --scenarios");
            a->scenarios[a->nscenarios++] = optarg;
            break;
        case OPT_HELP: cmd_coverage_usage(stdout); return 1;
        case ':': return usage_error("%s needs a value", argv[optind - 1]);
        default: return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (rc == 0 && optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (rc == 0 && a->floor && a->check == CHECK_NONE)
        a->check = CHECK_REFS;
    return rc;
}

/* ---- checks ---- */

/* Broken references, then by mode the statements neither covered nor justified; returns how many failed. */
static size_t check_statements(const cov_model *m, const coverage_args *a)
{
    size_t bad = m->nproblems;
    for (size_t i = 0; i < m->nproblems; i++)
        fprintf(stderr, "coverage: %s\n", m->problems[i]);
    for (size_t k = 0; k < COV_VERSIONS && a->check >= CHECK_TESTABLE; k++) {
        const cov_version *v = &m->versions[k];
        if (!(a->mask & (1u << v->version)))
            continue;
        for (size_t i = 0; i < v->count; i++) {
            const cov_statement *st = &v->items[i];
            if (st->status != COV_NEITHER || (a->check == CHECK_TESTABLE && !st->testable))
                continue;
            fprintf(stderr, "coverage: %s:%s (%s) is neither covered nor justified\n", mqtt_version_name(v->version),
                    st->id, st->wire_testable);
            bad++;
        }
    }
    return bad;
}

/* One floor line, "VERSION COVERED ACCOUNTED": 0 held, 1 dropped, -1 malformed.  Adds the version to *seen. */
static int check_floor_line(const cov_model *m, const coverage_args *a, char *line, const char *path, size_t lineno,
                            unsigned *seen)
{
    char version[16];
    size_t covered, accounted;
    if (sscanf(line, "%15s %zu %zu", version, &covered, &accounted) != 3) {
        fprintf(stderr, "%s:%zu: expected VERSION COVERED COVERED+JUSTIFIED\n", path, lineno);
        return -1;
    }
    const cov_version *v = cov_model_version(m, mqs_version_parse(version));
    if (!v) {
        fprintf(stderr, "%s:%zu: version '%s' is not 3.1.1 or 5.0\n", path, lineno, version);
        return -1;
    }
    *seen |= 1u << v->version;
    if (!(a->mask & (1u << v->version)))
        return 0;
    size_t now_covered = v->all.covered, now_accounted = v->all.covered + v->all.justified;
    int dropped = now_covered < covered || now_accounted < accounted;
    fprintf(dropped ? stderr : stdout, "coverage: %s floor %zu covered, %zu covered+justified; now %zu, %zu%s\n",
            version, covered, accounted, now_covered, now_accounted,
            dropped                                                 ? ": DROPPED below the floor"
            : now_covered > covered || now_accounted > accounted ? ": raise the floor in the file"
                                                                    : "");
    return dropped;
}

/* 0 every version at or above its floor, 1 a drop, -1 an unreadable or malformed file. */
static int check_floor(const cov_model *m, const coverage_args *a)
{
    FILE *in = fopen(a->floor, "r");
    if (!in) {
        fprintf(stderr, "mqttspec coverage: --floor %s: %s\n", a->floor, strerror(errno));
        return -1;
    }
    char line[256];
    size_t lineno = 0;
    int rc = 0;
    unsigned seen = 0;
    while (rc >= 0 && fgets(line, sizeof line, in)) {
        lineno++;
        if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
            continue;
        int r = check_floor_line(m, a, line, a->floor, lineno, &seen);
        rc = r < 0 ? -1 : (rc | r);
    }
    fclose(in);
    /* A version without its line would pass unguarded: a deleted line must not lower the floor quietly. */
    for (size_t k = 0; k < COV_VERSIONS && rc >= 0; k++) {
        mqtt_version v = m->versions[k].version;
        if ((a->mask & (1u << v)) && !(seen & (1u << v))) {
            fprintf(stderr, "%s: no floor for %s\n", a->floor, mqtt_version_name(v));
            rc = -1;
        }
    }
    return rc;
}

/* ---- the report ---- */

static int write_report(const cov_model *m, const coverage_args *a)
{
    FILE *out = a->out && strcmp(a->out, "-") != 0 ? fopen(a->out, "w") : stdout;
    if (!out) {
        fprintf(stderr, "mqttspec coverage: --out %s: %s\n", a->out, strerror(errno));
        return -1;
    }
    int rc = 0;
    if (a->format == FORMAT_TEXT)
        cov_write_text(out, m, a->mask, a->gaps_only);
    else if (a->format == FORMAT_MD)
        cov_write_md(out, m, a->mask, a->gaps_only);
    else
        rc = cov_write_json(out, m, a->mask, a->gaps_only);
    if (out != stdout && fclose(out) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "mqttspec coverage: could not write the report\n");
    return rc;
}

static int load_scenarios(coverage_args *a, mqs_scenario_set *set)
{
    static char installed[4096];
    if (a->nscenarios == 0)
        a->scenarios[a->nscenarios++] = getenv("MQTTSPEC_SCENARIOS") ? getenv("MQTTSPEC_SCENARIOS")
                                                                      : data_dir_find("scenarios", installed, sizeof installed);
    int bad = mqs_scenarios_discover(a->scenarios, a->nscenarios, set, stderr);
    if (bad) {
        fprintf(stderr, "mqttspec coverage: %d scenario file(s) invalid\n", bad);
        return -1;
    }
    return 0;
}

/*
 * The totals, one line per version, where the report does not already give
 * them: a text report ends with them; an md or json report on standard
 * output leaves them to standard error, so the output stays one document.
 */
static void print_totals(const cov_model *m, const coverage_args *a, bool report_on_stdout)
{
    if (report_on_stdout && a->format == FORMAT_TEXT)
        return;
    for (size_t k = 0; k < COV_VERSIONS; k++)
        if (a->mask & (1u << m->versions[k].version))
            cov_write_totals(report_on_stdout ? stderr : stdout, &m->versions[k]);
}

static int run_coverage(coverage_args *a, const cov_model *m)
{
    /* A check alone prints only totals and problems: the whole listing would bury them in a CI log. */
    bool report = a->check == CHECK_NONE || a->format_given || a->out;
    if (report && write_report(m, a) != 0)
        return CLI_EXIT_USAGE;
    print_totals(m, a, report && (!a->out || strcmp(a->out, "-") == 0));
    if (a->check == CHECK_NONE) {
        for (size_t i = 0; i < m->nproblems; i++)
            fprintf(stderr, "coverage: warning: %s\n", m->problems[i]);
        return CLI_EXIT_OK;
    }
    size_t bad = check_statements(m, a);
    int floor = a->floor ? check_floor(m, a) : 0;
    if (floor < 0)
        return CLI_EXIT_USAGE;
    if (bad)
        fprintf(stderr, "coverage: check failed: %zu problem(s)\n", bad);
    if (floor)
        fprintf(stderr, "coverage: check failed: coverage dropped below the floor in %s\n", a->floor);
    if (bad || floor)
        return CLI_EXIT_FAIL;
    return CLI_EXIT_OK;
}

int cmd_coverage(int argc, char **argv)
{
    coverage_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (!a.mask)
        a.mask = (1u << MQTT_V311) | (1u << MQTT_V5);
    char spec_dir[4096], untestable[4200];
    data_dir_find("spec", spec_dir, sizeof spec_dir);
    if (!a.untestable) {
        snprintf(untestable, sizeof untestable, "%s/untestable.tsv", spec_dir);
        a.untestable = untestable;
    }
    mqs_scenario_set set = {0};
    cov_model m;
    memset(&m, 0, sizeof m);
    rc = CLI_EXIT_USAGE;
    if (load_scenarios(&a, &set) == 0 && cov_model_build(&m, spec_dir, a.untestable, a.quirk_matrix, &set) == 0)
        rc = run_coverage(&a, &m);
    cov_model_free(&m);
    mqs_scenarios_free(&set);
    return rc;
}
