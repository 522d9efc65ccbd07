/*
 * The supervised broker (client/src/supervise.c) with stand-in brokers written in Python: it comes up on
 * the port it was given, a sanitizer line in its stderr is a finding while it still runs, a death by a
 * signal is named, a command that never listens fails to start with its status; and the crash replay's
 * framing (fuzz/net/netfuzz_crash.c) splits writes into packets.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../fuzz/net/netfuzz_internal.h"
#include "mqttspec/supervise.h"

/* A listener on {port}; after 0.3 s it runs AFTER (Python statements), then sleeps. */
#define STANDIN(after)                                                                                          \
    "exec python3 -c \"import socket,sys,os,time,signal; s=socket.socket(); "                                  \
    "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',{port})); s.listen(); "     \
    "time.sleep(0.3); " after "; time.sleep(30)\""

static char out_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(out_dir, sizeof out_dir, "/tmp/mqttspec-test-supervise-%d", (int)getpid());
    return 0;
}

/* Poll check until it reports something other than RUNNING, for up to 5 s. */
static mqs_sup_state wait_state(mqs_sup *s, char *why, size_t cap)
{
    for (int i = 0; i < 250; i++) {
        mqs_sup_state st = mqs_sup_check(s, why, cap);
        if (st != MQS_SUP_RUNNING)
            return st;
        nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
    }
    return MQS_SUP_RUNNING;
}

static void test_sanitizer_report_while_running(void **state)
{
    (void)state;
    char err[600], why[300], report[1000];
    mqs_sup_opts o = {
        .cmd = STANDIN("sys.stderr.write('noise\\\\n==1==ERROR: AddressSanitizer: heap-use-after-free on x\\\\n"
                       "    #0 0x1 in f a.c:1\\\\n'); sys.stderr.flush()"),
        .out_dir = out_dir};
    mqs_sup *s = mqs_sup_start(&o, err, sizeof err);
    assert_non_null(s);
    assert_true(mqs_sup_port(s) > 0);
    assert_int_equal(wait_state(s, why, sizeof why), MQS_SUP_SANITIZER);
    assert_non_null(strstr(why, "heap-use-after-free"));
    assert_true(mqs_sup_alive(s)); /* a finding even though it still runs */
    assert_true(mqs_sup_rss_kb(s) > 0);
    mqs_sup_report(s, report, sizeof report, 5);
    assert_non_null(strstr(report, "==1==ERROR: AddressSanitizer"));
    assert_non_null(strstr(report, "#0 0x1 in f"));
    assert_null(strstr(report, "noise")); /* the report starts at the sanitizer's line */
    pid_t pid = mqs_sup_pid(s);
    mqs_sup_stop(s);
    assert_int_equal(kill(pid, 0), -1); /* stopped by its process group */
}

static void test_signal_then_restart(void **state)
{
    (void)state;
    char err[600], why[300];
    mqs_sup_opts o = {.cmd = STANDIN("os.kill(os.getpid(), signal.SIGSEGV)"), .out_dir = out_dir};
    mqs_sup *s = mqs_sup_start(&o, err, sizeof err);
    assert_non_null(s);
    int port = mqs_sup_port(s);
    assert_int_equal(wait_state(s, why, sizeof why), MQS_SUP_EXITED);
    assert_non_null(strstr(why, "signal 11"));
    assert_false(mqs_sup_alive(s));
    assert_int_equal(mqs_sup_restart(s, err, sizeof err), 0);
    assert_int_equal(mqs_sup_port(s), port); /* the same address after a restart */
    assert_int_equal(mqs_sup_starts(s), 2);
    assert_true(mqs_sup_alive(s));
    mqs_sup_stop(s);
}

static void test_never_listens(void **state)
{
    (void)state;
    char err[600];
    mqs_sup_opts o = {.cmd = "echo no broker here >&2; exit 3", .out_dir = out_dir, .ready_ms = 3000};
    assert_null(mqs_sup_start(&o, err, sizeof err));
    assert_non_null(strstr(err, "exited with status 3"));
}

static void test_crash_framing(void **state)
{
    (void)state;
    static const uint8_t w1[] = {0x10, 0x02, 0x00, 0x00, 0xC0, 0x00, 0x30}; /* 2 packets and a stray byte */
    static const uint8_t w2[] = {0xE0, 0x00};
    nf_crash k = {0};
    assert_int_equal(nf_crash_add_write(&k, 7, MQTT_V311, w1, sizeof w1), 0);
    assert_int_equal(nf_crash_add_write(&k, 9, MQTT_V5, w2, sizeof w2), 0);
    assert_int_equal(nf_crash_add_write(&k, 7, MQTT_V311, w2, sizeof w2), 0); /* the first connection again */
    assert_int_equal(k.n, 2);
    assert_int_equal(k.c[0].n, 4);
    assert_int_equal(k.c[0].pk[0].n, 4);
    assert_int_equal(k.c[0].pk[1].n, 2);
    assert_int_equal(k.c[0].pk[2].n, 1);
    assert_int_equal(k.c[0].pk[3].n, 2);
    assert_int_equal(k.c[1].version, MQTT_V5);
    assert_true(k.c[0].last > k.c[1].last); /* written to last */
    nf_crash_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sanitizer_report_while_running, setup),
        cmocka_unit_test_setup(test_signal_then_restart, setup),
        cmocka_unit_test_setup(test_never_listens, setup),
        cmocka_unit_test(test_crash_framing),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", out_dir); /* the stand-ins' output files */
    if (out_dir[0] && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", out_dir);
    return failed;
}
