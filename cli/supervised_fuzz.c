/* The supervised fuzz target: see supervised_fuzz.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "supervised_fuzz.h"

#define SFUZZ_KEYS 64          /* distinct crashes remembered */
#define SFUZZ_REPORT_LINES 40  /* of the broker's report, written beside the finding */
#define SFUZZ_EXIT_WAIT_MS 1000 /* a sanitizer finishes its report before the process ends */

struct sfuzz {
    mqs_sup *sup;
    nf_supervisor cb;
    char last_why[256]; /* what the supervisor saw last (exit status, sanitizer, memory) */
    mqs_sup_state last;
    char keys[SFUZZ_KEYS][256];
    int nkeys;
};

/* A state change of the broker, remembered for the report. */
static mqs_sup_state look(sfuzz *f, char *why, size_t cap)
{
    mqs_sup_state st = mqs_sup_check(f->sup, why, cap);
    if (st != MQS_SUP_RUNNING) {
        snprintf(f->last_why, sizeof f->last_why, "%s", why);
        f->last = st;
    }
    return st;
}

static bool cb_finding(void *ctx, char *why, size_t cap)
{
    return look(ctx, why, cap) != MQS_SUP_RUNNING;
}

static bool cb_reproduced(void *ctx, int wait_ms)
{
    sfuzz *f = ctx;
    char why[256];
    for (int waited = 0; waited <= wait_ms; waited += 20) {
        if (look(f, why, sizeof why) != MQS_SUP_RUNNING)
            return true;
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    }
    return false;
}

/* The line of the report that names the bug: its first sanitizer line, else its last line. */
static void key_line(const char *report, char *key, size_t cap)
{
    const char *line = report;
    if (!strstr(report, "Sanitizer") && !strstr(report, "runtime error:")) {
        /* the broker's last words, not the shell's "Aborted" after them */
        const char *crash = strstr(report, "crash");
        const char *nl = strrchr(report, '\n');
        line = crash ? crash : nl ? nl + 1 : report;
        while (line > report && line[-1] != '\n')
            line--;
    }
    size_t n = strcspn(line, "\n");
    /* "... (UTF8_INVALID)": the same bug reached through another packet; a sanitizer's "#0 0x..." differs
     * by address only.  Both are cut so one bug is minimised once. */
    const char *paren = memchr(line, '(', n);
    if (paren && !strstr(report, "Sanitizer"))
        n = (size_t)(paren - line);
    snprintf(key, cap, "%.*s", (int)(n < 200 ? n : 200), line);
}

static bool cb_report(void *ctx, char *buf, size_t cap, char *key, size_t key_cap)
{
    sfuzz *f = ctx;
    char why[256], line[256];
    if (f->last != MQS_SUP_RSS) /* a memory finding still runs: nothing to wait for */
        mqs_sup_wait_exit(f->sup, SFUZZ_EXIT_WAIT_MS);
    look(f, why, sizeof why);
    mqs_sup_report(f->sup, buf, cap, SFUZZ_REPORT_LINES);
    key_line(buf, line, sizeof line);
    snprintf(key, key_cap, "%s%s%s", f->last_why[0] ? f->last_why : "the broker stopped answering",
             line[0] ? ": " : "", line);
    for (int i = 0; i < f->nkeys; i++)
        if (strcmp(f->keys[i], key) == 0)
            return false;
    if (f->nkeys < SFUZZ_KEYS)
        snprintf(f->keys[f->nkeys++], sizeof f->keys[0], "%s", key);
    return true;
}

static bool cb_memory(void *ctx) { return ((sfuzz *)ctx)->last == MQS_SUP_RSS; }
static long cb_growth(void *ctx) { return mqs_sup_rss_growth_kb(((sfuzz *)ctx)->sup); }

static int cb_restart(void *ctx, char *err, size_t cap)
{
    sfuzz *f = ctx;
    f->last_why[0] = '\0';
    f->last = MQS_SUP_RUNNING;
    return mqs_sup_restart(f->sup, err, cap);
}

sfuzz *sfuzz_start(const mqs_sup_opts *so, char *url, size_t url_cap)
{
    sfuzz *f = calloc(1, sizeof *f);
    char err[600];
    if (!f || !(f->sup = mqs_sup_start(so, err, sizeof err))) {
        fprintf(stderr, "mqttspec: --broker-cmd: %s\n", f ? err : "out of memory");
        free(f);
        return NULL;
    }
    mqs_sup_stop_on_signals();
    f->cb = (nf_supervisor){.ctx = f, .finding = cb_finding, .reproduced = cb_reproduced, .report = cb_report,
                            .memory = cb_memory, .growth_kb = cb_growth, .restart = cb_restart,
                            .memory_bound_kb = so->rss_bound_kb};
    snprintf(url, url_cap, "mqtt://127.0.0.1:%d", mqs_sup_port(f->sup));
    return f;
}

const nf_supervisor *sfuzz_supervisor(sfuzz *f) { return &f->cb; }

int sfuzz_restart(sfuzz *f)
{
    char err[600];
    if (cb_restart(f, err, sizeof err) < 0) {
        fprintf(stderr, "mqttspec: --broker-cmd: restart failed: %s\n", err);
        return -1;
    }
    return 0;
}

void sfuzz_stop(sfuzz *f)
{
    if (!f)
        return;
    mqs_sup_stop(f->sup);
    free(f);
}
