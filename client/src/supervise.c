/*
 * A supervised broker (mqttspec/supervise.h): start, watch, restart, stop.
 * Everything is by pid: the broker's process group is the child's pid, so
 * stopping it never touches anything we did not start.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mqttspec/supervise.h"

#define SUP_REPORT_CAP 8192 /* the sanitizer report kept per instance */
#define SUP_LINE_CAP 1024   /* a stderr line longer than this is cut */
#define SUP_TAIL_CAP 4096   /* the last stderr bytes, for a crash without a sanitizer report */

struct mqs_sup {
    mqs_sup_opts o;
    char cmd[4096];
    char dir[1024];
    char err_path[1100];
    int port;
    pid_t pid;       /* 0 once reaped */
    int status;      /* its wait status once reaped */
    bool reported_exit, reported_san, reported_rss;
    unsigned starts;
    /* stderr scanning */
    long err_off;
    char line[SUP_LINE_CAP];
    size_t line_len;
    char report[SUP_REPORT_CAP]; /* from the first sanitizer marker on */
    size_t report_len;
    bool in_report;
    char tail[SUP_TAIL_CAP];     /* ring of the last bytes */
    size_t tail_len;
    /* memory */
    long rss_base;
    long long rss_since;
    long rss_start; /* when this instance came up */
};

/* The process group to take down if we are killed by a signal (mqs_sup_stop_on_signals). */
static volatile sig_atomic_t doomed_group;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) { nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000L}, NULL); }

/* A port the kernel says is free now (bind to 0); -1 if none. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* cmd with every {port} replaced; false if it does not fit. */
static bool expand(const char *tmpl, int port, char *out, size_t cap)
{
    char num[16];
    snprintf(num, sizeof num, "%d", port);
    size_t n = 0;
    for (const char *p = tmpl; *p; p++) {
        const char *piece = p;
        size_t len = 1;
        if (strncmp(p, "{port}", 6) == 0) {
            piece = num;
            len = strlen(num);
            p += 5;
        }
        if (n + len >= cap)
            return false;
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n] = '\0';
    return true;
}

static bool accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static void reset_instance(mqs_sup *s)
{
    s->status = 0;
    s->reported_exit = s->reported_san = s->reported_rss = false;
    s->err_off = 0;
    s->line_len = s->report_len = s->tail_len = 0;
    s->report[0] = '\0';
    s->in_report = false;
    s->rss_base = -1;
    s->rss_since = now_ms();
}

/* fork + exec /bin/sh -c CMD in its own process group, output to files. */
static int spawn(mqs_sup *s, char *err, size_t cap)
{
    char out_path[1100];
    s->starts++;
    snprintf(out_path, sizeof out_path, "%s/broker-%u.out", s->dir, s->starts);
    snprintf(s->err_path, sizeof s->err_path, "%s/broker-%u.err", s->dir, s->starts);
    int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int fe = open(s->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fo < 0 || fe < 0) {
        snprintf(err, cap, "cannot write %s: %s", fo < 0 ? out_path : s->err_path, strerror(errno));
        if (fo >= 0)
            close(fo);
        if (fe >= 0)
            close(fe);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(fo, 1);
        dup2(fe, 2);
        /* our own blocked or ignored signals must not leak into the broker */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", s->cmd, (char *)NULL);
        _exit(127);
    }
    close(fo);
    close(fe);
    if (pid < 0) {
        snprintf(err, cap, "fork: %s", strerror(errno));
        return -1;
    }
    setpgid(pid, pid); /* also here: no race with the kill below */
    s->pid = pid;
    doomed_group = pid;
    reset_instance(s);
    return 0;
}

static void describe_status(int status, char *buf, size_t cap)
{
    if (WIFSIGNALED(status))
        snprintf(buf, cap, "the broker was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, cap, "the broker exited with status %d", WEXITSTATUS(status));
}

bool mqs_sup_alive(mqs_sup *s)
{
    if (!s->pid)
        return false;
    int status;
    pid_t r = waitpid(s->pid, &status, WNOHANG);
    if (r == s->pid || (r < 0 && errno == ECHILD)) {
        s->status = r == s->pid ? status : 0;
        /* the rest of its group (the shell's children) goes with it */
        kill(-s->pid, SIGKILL);
        s->pid = 0;
        return false;
    }
    return true;
}

bool mqs_sup_wait_exit(mqs_sup *s, int ms)
{
    long long end = now_ms() + ms;
    while (mqs_sup_alive(s)) {
        if (now_ms() >= end)
            return false;
        sleep_ms(20);
    }
    return true;
}

/* Wait for the listener; false (err set) if the process ends or the time runs out first. */
static bool wait_ready(mqs_sup *s, char *err, size_t cap)
{
    long long end = now_ms() + (s->o.ready_ms > 0 ? s->o.ready_ms : 10000);
    while (now_ms() < end) {
        if (accepts(s->port)) {
            s->rss_start = s->rss_base = mqs_sup_rss_kb(s);
            s->rss_since = now_ms();
            return true;
        }
        if (!mqs_sup_alive(s)) {
            char what[128];
            describe_status(s->status, what, sizeof what);
            snprintf(err, cap, "%s before accepting connections on port %d (see %s)", what, s->port, s->err_path);
            return false;
        }
        sleep_ms(20);
    }
    snprintf(err, cap, "the broker accepted no connection on port %d within %d ms (see %s)", s->port,
             s->o.ready_ms > 0 ? s->o.ready_ms : 10000, s->err_path);
    return false;
}

static void kill_group(mqs_sup *s)
{
    if (!s->pid)
        return;
    kill(-s->pid, SIGTERM);
    if (!mqs_sup_wait_exit(s, 2000)) {
        kill(-s->pid, SIGKILL);
        mqs_sup_wait_exit(s, 2000);
    }
}

static void mkdir_p(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    mkdir(path, 0755); /* exists already is fine; a folder we cannot make shows when the files open */
}


static void on_fatal_signal(int sig)
{
    if (doomed_group > 0)
        kill(-(pid_t)doomed_group, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

void mqs_sup_stop_on_signals(void)
{
    signal(SIGINT, on_fatal_signal);
    signal(SIGTERM, on_fatal_signal);
    signal(SIGHUP, on_fatal_signal);
}

mqs_sup *mqs_sup_start(const mqs_sup_opts *o, char *err, size_t cap)
{
    mqs_sup *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    s->o = *o;
    snprintf(s->dir, sizeof s->dir, "%s", o->out_dir && *o->out_dir ? o->out_dir : ".");
    mkdir_p(s->dir);
    /* A port can be taken between our probe and the broker's bind: try a few. */
    for (int attempt = 0; attempt < 3; attempt++) {
        s->port = free_port();
        /* a simple command is exec'd by the shell, so its exit status and signal are the broker's own */
        bool simple = !strpbrk(o->cmd, ";&|<>()`$\n");
        memcpy(s->cmd, "exec ", simple ? 5 : 0);
        if (s->port < 0 || !expand(o->cmd, s->port, s->cmd + (simple ? 5 : 0), sizeof s->cmd - 5)) {
            snprintf(err, cap, s->port < 0 ? "no free loopback port" : "--broker-cmd is too long");
            break;
        }
        if (spawn(s, err, cap) < 0)
            break;
        if (wait_ready(s, err, cap))
            return s;
        kill_group(s);
    }
    free(s);
    return NULL;
}

int mqs_sup_port(const mqs_sup *s) { return s->port; }
pid_t mqs_sup_pid(const mqs_sup *s) { return s->pid; }
unsigned mqs_sup_starts(const mqs_sup *s) { return s->starts; }
const char *mqs_sup_stderr_path(const mqs_sup *s) { return s->err_path; }

/* The lines that begin a sanitizer's report (ASan, LSan, UBSan, TSan, MSan). */
static bool sanitizer_line(const char *l)
{
    static const char *const marks[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                                        "WARNING: ThreadSanitizer", "WARNING: MemorySanitizer",
                                        "ERROR: ThreadSanitizer", "ERROR: MemorySanitizer"};
    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
        if (strstr(l, marks[i]))
            return true;
    return false;
}

static void take_line(mqs_sup *s)
{
    s->line[s->line_len] = '\0';
    s->line_len = 0;
    if (!s->in_report && !s->report_len && sanitizer_line(s->line))
        s->in_report = true;
    if (!s->in_report)
        return;
    size_t n = strlen(s->line);
    if (s->report_len + n + 2 > SUP_REPORT_CAP)
        return;
    memcpy(s->report + s->report_len, s->line, n);
    s->report_len += n;
    s->report[s->report_len++] = '\n';
    s->report[s->report_len] = '\0';
}

static void take_tail(mqs_sup *s, const char *p, size_t n)
{
    if (n >= SUP_TAIL_CAP) {
        p += n - SUP_TAIL_CAP / 2;
        n = SUP_TAIL_CAP / 2;
    }
    if (s->tail_len + n > SUP_TAIL_CAP) {
        size_t drop = s->tail_len + n - SUP_TAIL_CAP;
        memmove(s->tail, s->tail + drop, s->tail_len - drop);
        s->tail_len -= drop;
    }
    memcpy(s->tail + s->tail_len, p, n);
    s->tail_len += n;
}

/* Read what the broker wrote to stderr since the last look. */
static void scan_stderr(mqs_sup *s)
{
    FILE *f = fopen(s->err_path, "r");
    if (!f)
        return;
    if (fseek(f, s->err_off, SEEK_SET) == 0) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            s->err_off += (long)n;
            take_tail(s, buf, n);
            for (size_t i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                    take_line(s);
                } else if (s->line_len < SUP_LINE_CAP - 1) {
                    s->line[s->line_len++] = buf[i];
                }
            }
        }
    }
    fclose(f);
}

long mqs_proc_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* pgid of a process from /proc/PID/stat (field 5, after the parenthesised name); -1 if unknown. */
static long proc_pgid(const char *pid)
{
    char path[300], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *rp = strrchr(buf, ')');
    int ppid;
    long pgid;
    char st;
    if (!rp || sscanf(rp + 1, " %c %d %ld", &st, &ppid, &pgid) != 3)
        return -1;
    return pgid;
}

long mqs_sup_rss_kb(const mqs_sup *s)
{
    if (!s->pid)
        return -1;
    DIR *d = opendir("/proc");
    if (!d)
        return mqs_proc_rss_kb(s->pid);
    long sum = 0;
    bool any = false;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]) || proc_pgid(e->d_name) != (long)s->pid)
            continue;
        long kb = mqs_proc_rss_kb((pid_t)atol(e->d_name));
        if (kb >= 0) {
            sum += kb;
            any = true;
        }
    }
    closedir(d);
    return any ? sum : -1;
}

/* RSS growth past the bound within one window; the window restarts at each look past its end. */
static bool rss_grew(mqs_sup *s, char *why, size_t cap)
{
    if (s->o.rss_bound_kb <= 0 || s->reported_rss)
        return false;
    long long t = now_ms();
    long kb = mqs_sup_rss_kb(s);
    if (kb < 0)
        return false;
    if (s->rss_base < 0 || kb < s->rss_base) {
        s->rss_base = kb;
        s->rss_since = t;
        return false;
    }
    int window = s->o.rss_window_ms > 0 ? s->o.rss_window_ms : 10000;
    if (kb - s->rss_base > s->o.rss_bound_kb) {
        snprintf(why, cap, "the broker's resident memory grew by %ld KB (from %ld KB to %ld KB) within %lld ms, "
                           "beyond the bound of %ld KB",
                 kb - s->rss_base, s->rss_base, kb, t - s->rss_since, s->o.rss_bound_kb);
        s->reported_rss = true;
        return true;
    }
    if (t - s->rss_since >= window) {
        s->rss_base = kb;
        s->rss_since = t;
    }
    return false;
}

long mqs_sup_rss_growth_kb(const mqs_sup *s)
{
    long kb = mqs_sup_rss_kb(s);
    return kb >= 0 && s->rss_start >= 0 ? kb - s->rss_start : 0;
}

mqs_sup_state mqs_sup_check(mqs_sup *s, char *why, size_t cap)
{
    bool alive = mqs_sup_alive(s);
    scan_stderr(s);
    if (s->report_len && !s->reported_san) {
        s->reported_san = true;
        const char *nl = strchr(s->report, '\n');
        snprintf(why, cap, "sanitizer report in the broker's stderr: %.*s", nl ? (int)(nl - s->report) : 200,
                 s->report);
        return MQS_SUP_SANITIZER;
    }
    if (!alive && !s->reported_exit) {
        s->reported_exit = true;
        describe_status(s->status, why, cap);
        return MQS_SUP_EXITED;
    }
    if (alive && rss_grew(s, why, cap))
        return MQS_SUP_RSS;
    return MQS_SUP_RUNNING;
}

void mqs_sup_report(mqs_sup *s, char *buf, size_t cap, int max_lines)
{
    scan_stderr(s);
    const char *src = s->report;
    char tail[SUP_TAIL_CAP + 1];
    if (!s->report_len) {
        /* no sanitizer: the last lines of stderr */
        memcpy(tail, s->tail, s->tail_len);
        tail[s->tail_len] = '\0';
        size_t n = s->tail_len;
        while (n > 0 && tail[n - 1] == '\n')
            tail[--n] = '\0';
        int lines = 0;
        src = tail;
        for (size_t i = n; i > 0; i--)
            if (tail[i - 1] == '\n' && ++lines == max_lines) {
                src = tail + i;
                break;
            }
    }
    size_t out = 0;
    int lines = 0;
    if (cap)
        buf[0] = '\0';
    for (const char *p = src; *p && lines < max_lines && out + 1 < cap; p++) {
        if (*p == '\n') {
            lines++;
            if (lines == max_lines || !p[1])
                break;
        }
        buf[out++] = *p;
        buf[out] = '\0';
    }
}

int mqs_sup_restart(mqs_sup *s, char *err, size_t cap)
{
    kill_group(s);
    /* the same port: the run's URL stays valid (a listener in TIME_WAIT may need a moment) */
    for (int attempt = 0; attempt < 5; attempt++) {
        if (spawn(s, err, cap) < 0)
            return -1;
        if (wait_ready(s, err, cap))
            return 0;
        kill_group(s);
        sleep_ms(200);
    }
    return -1;
}

void mqs_sup_stop(mqs_sup *s)
{
    if (!s)
        return;
    kill_group(s);
    doomed_group = 0;
    free(s);
}
