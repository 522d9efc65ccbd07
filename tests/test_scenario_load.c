/* Scenario loading: good files load; every kind of mistake gives "file: /pointer: message". */
#define _DEFAULT_SOURCE /* mkstemps, mkdtemp, open_memstream */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mqttspec/scenario.h"

#define HEAD "{\"id\":\"t-one\",\"title\":\"t\",\"spec\":[\"3.1.1:MQTT-3.12.4-1\"],\"versions\":[\"3.1.1\",\"5.0\"],"

/* Load len bytes from a temp file; returns 0/-1 and the error message. */
static int load_bytes(const char *text, size_t len, char *err, size_t cap)
{
    char path[] = "/tmp/mqttspec-test-XXXXXX.json";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    mqs_scenario sc;
    int rc = mqs_scenario_load(path, &sc, err, cap);
    if (rc == 0)
        mqs_scenario_free(&sc);
    /* Drop the temp path from the message so expectations stay short. */
    const char *tail = strstr(err, ": /");
    if (rc < 0 && tail)
        memmove(err, tail + 2, strlen(tail + 2) + 1);
    unlink(path);
    return rc;
}

static int load_text(const char *text, char *err, size_t cap) { return load_bytes(text, strlen(text), err, cap); }

/* The member a JSON pointer (RFC 6901) names in root, or NULL. */
static const cJSON *resolve(const cJSON *root, const char *pointer)
{
    const cJSON *at = root;
    for (const char *p = pointer; at && *p == '/';) {
        char seg[256];
        size_t n = 0;
        for (p++; *p && *p != '/' && n + 1 < sizeof seg; p++)
            seg[n++] = *p == '~' && p[1] == '1' ? (p++, '/') : *p == '~' && p[1] == '0' ? (p++, '~') : *p;
        seg[n] = '\0';
        at = cJSON_IsArray(at) ? cJSON_GetArrayItem(at, atoi(seg)) : cJSON_GetObjectItemCaseSensitive(at, seg);
    }
    return at;
}

/*
 * The error is message, and its pointer names a member that is in the file
 * (unless the message says the member is required, i.e. missing): a pointer
 * to something the author never wrote cannot be acted on.
 */
static void expect_error(const char *text, const char *message)
{
    char err[1024] = "";
    assert_int_equal(load_text(text, err, sizeof err), -1);
    assert_string_equal(err, message);
    const char *colon = strstr(err, ": ");
    assert_non_null(colon);
    char pointer[512];
    snprintf(pointer, sizeof pointer, "%.*s", (int)(colon - err), err);
    cJSON *root = cJSON_Parse(text);
    if (root && strcmp(pointer, "/") != 0 && !strstr(colon, "required"))
        assert_non_null(resolve(root, pointer));
    cJSON_Delete(root);
}

static void good_scenario_loads(void **state)
{
    (void)state;
    char err[1024] = "";
    assert_int_equal(load_text(HEAD "\"steps\":[{\"connect\":\"c\"},{\"send\":\"c\",\"packet\":{\"type\":\"PINGREQ\"}},"
                               "{\"expect\":\"c\",\"packet\":{\"type\":\"PINGRESP\"}},{\"disconnect\":\"c\"}]}",
                               err, sizeof err),
                     0);
}

static void header_errors(void **state)
{
    (void)state;
    expect_error("[]", "/: a scenario must be a JSON object");
    expect_error("{\"id\":\"Bad\"}", "/id: required: a kebab-case string such as \"qos2-inbound-flow\"");
    expect_error("{\"id\":\"a\",\"title\":\"t\",\"spec\":[\"MQTT-1.2.3-4\"]}",
                 "/spec/0: must look like \"3.1.1:MQTT-x.y.z-n\" or \"5.0:MQTT-x.y.z-n\"");
    expect_error(HEAD "\"stpes\":[]}", "/stpes: unknown field");
    expect_error("{\"id\": ", "/: invalid JSON at line 1 column 8");
}

static void step_errors(void **state)
{
    (void)state;
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"sned\":\"c\"}]}",
                 "/steps/1/sned: unknown action (first field of a step names it)");
    expect_error(HEAD "\"steps\":[{\"expect\":\"c\",\"packet\":{}}]}",
                 "/steps/0/expect: connection 'c' is not opened by an earlier step");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"send\":\"c\",\"packet\":{\"type\":\"PUBLISH\",\"qos\":7,"
                      "\"topic\":\"a\"}}]}",
                 "/steps/1/packet/qos: must be an integer 0..3 (at 3.1.1)");
    /* a member name starting with ':' is still a member of the packet (found by fuzz_scenario) */
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"send\":\"c\",\"packet\":{\"type\":\"PUBLISH\",\"qos\":1,"
                      "\":acket_id\":7,\"topic\":\"a\"}}]}",
                 "/steps/1/packet/:acket_id: unknown field (at 3.1.1)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"expect\":\"c\",\"packet\":{\"type\":\"PUBACK\","
                      "\"pakcet_id\":1}}]}",
                 "/steps/1/packet/pakcet_id: unknown field (patterns use the packet JSON form)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"expect\":\"c\",\"packet\":{\"code\":{\"$nay\":1}}}]}",
                 "/steps/1/packet/code/$nay: unknown operator (use $any_of, $range, $capture, $absent, $present or $not)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"expect_close\":\"c\",\"window_ms\":[5,1]}]}",
                 "/steps/1/window_ms: must be [lo, hi] in ms with 0 <= lo <= hi <= 600000");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"send\":\"c\",\"hex\":\"zz\"}]}",
                 "/steps/1/hex: must be hex bytes, e.g. \"30 05 00 03 61 2b 62\"");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\",\"keep_alive\":70000}]}",
                 "/steps/0/keep_alive: must be an integer 0..65535 (at 3.1.1)");
    /* enhanced authentication: the one method the engine plays, one move per auth step */
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\",\"auth\":{\"method\":\"PLAIN\"}}]}",
                 "/steps/0/auth: \"method\" must be \"SCRAM-SHA-256\" (the one method the engine plays)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\",\"auth\":{\"method\":\"SCRAM-SHA-256\",\"pw\":\"x\"}}]}",
                 "/steps/0/auth: unknown or non-string member \"pw\" (method, user, password)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"auth\":\"c\",\"server_first\":\"${a}\","
                      "\"server_final\":\"${b}\"}]}",
                 "/steps/1/auth: needs exactly one of server_first, server_final, reauthenticate");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"auth\":\"c\",\"server_final\":\"${b}\",\"wrong_proof\":true}]}",
                 "/steps/1/wrong_proof: a boolean, with server_first only");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"expect\":\"c\",\"allow_missing\":true,"
                      "\"packet\":{\"type\":\"PUBLISH\"}}]}",
                 "/steps/1/allow_missing: needs \"packets\" in their order (not \"packet\", not any_order)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"expect\":\"c\",\"allow_missing\":true,\"any_order\":true,"
                      "\"packets\":[{\"type\":\"PUBLISH\"}]}]}",
                 "/steps/1/allow_missing: needs \"packets\" in their order (not \"packet\", not any_order)");
}

/* A packet built from a step's own fields is blamed on those fields, not on a "packet" the file does not have. */
static void errors_point_into_the_file(void **state)
{
    (void)state;
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\",\"will\":{\"topic\":\"w\",\"qos\":9}}]}",
                 "/steps/0/will/qos: must be an integer 0..3 (at 3.1.1)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\",\"client_id\":7}]}",
                 "/steps/0/client_id: must be a string (or use \"client_id_hex\") (at 3.1.1)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\",\"packet\":{\"type\":\"CONNECT\",\"keep_alive\":-1}}]}",
                 "/steps/0/packet/keep_alive: must be an integer 0..65535 (at 3.1.1)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\"},{\"send\":\"c\",\"packet\":{\"qos\":1}}]}",
                 "/steps/1/packet/type: required (at 3.1.1)");
    /* A member named twice: which one counts would depend on the reader (found by fuzz_scenario). */
    expect_error(HEAD "\"steps\":\"x\",\"steps\":[{\"connect\":\"c\"}]}",
                 "/steps: named twice in this object (a member must be unique)");
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\",\"keep_alive\":1,\"keep_alive\":2}]}",
                 "/steps/0/keep_alive: named twice in this object (a member must be unique)");
    /* Member names with '/' and '~' are escaped (RFC 6901), so the pointer names them. */
    expect_error(HEAD "\"a/b~c\":1,\"steps\":[{\"connect\":\"c\"}]}", "/a~1b~0c: unknown field");
}

#define HINT "; bytes that are not text go in a _hex field"
#define SEND_TOPIC(t)                                                                                                \
    HEAD "\"steps\":[{\"connect\":\"c\"},{\"send\":\"c\",\"packet\":{\"type\":\"PUBLISH\",\"topic\":\"" t "\"}}]}"

/* Strings are sent as the file says: invalid UTF-8 and U+0000 are the file's mistake, not the broker's. */
static void text_is_utf8_without_nul(void **state)
{
    (void)state;
    expect_error(SEND_TOPIC("a\\u0000b"), "/steps/1/packet/topic: contains U+0000 (at byte 1)" HINT);
    expect_error(SEND_TOPIC("a\xff"), "/steps/1/packet/topic: is not valid UTF-8 (at byte 1)" HINT);
    /* An encoded surrogate, an overlong '/', a truncated sequence. */
    expect_error(SEND_TOPIC("\xed\xa0\x80"), "/steps/1/packet/topic: is not valid UTF-8 (at byte 0)" HINT);
    expect_error(SEND_TOPIC("a\xc0\xaf"), "/steps/1/packet/topic: is not valid UTF-8 (at byte 1)" HINT);
    expect_error(HEAD "\"description\":\"x\xe2\x82\"}", "/description: is not valid UTF-8 (at byte 1)" HINT);
    /* Everywhere in the file: array elements, member names. */
    expect_error(HEAD "\"tags\":[\"ok\",\"b\\u0000\"],\"steps\":[]}", "/tags/1: contains U+0000 (at byte 1)" HINT);
    expect_error(HEAD "\"steps\":[{\"connect\":\"c\",\"wi\\u0000ll\":{}}]}",
                 "/steps/0: a member name contains U+0000 (at byte 2)");
    /* Not U+0000: an escaped backslash followed by "u0000"; valid multi-byte text passes. */
    char err[1024] = "";
    assert_int_equal(load_text(SEND_TOPIC("a\\\\u0000 \xc3\xa9 \xf0\x9f\x98\x80"), err, sizeof err), 0);
    /* Bytes that are not text are written as hex and sent as they are. */
    assert_int_equal(load_text(HEAD "\"steps\":[{\"connect\":\"c\"},{\"send\":\"c\",\"packet\":{\"type\":\"PUBLISH\","
                                    "\"topic_hex\":\"6100ff\",\"payload_hex\":\"00c0\"}}]}",
                               err, sizeof err),
                     0);
}

static void syntax_errors_say_what_and_where(void **state)
{
    (void)state;
    /* cJSON would stop reading at a NUL byte and accept what comes before. */
    static const char nul[] = "{\"id\":\"a\"}\n\0junk";
    char err[1024] = "";
    assert_int_equal(load_bytes(nul, sizeof nul - 1, err, sizeof err), -1);
    assert_string_equal(err, "/: a NUL byte at line 2 column 1 (not JSON text)");
    /* cJSON stops at CJSON_NESTING_LIMIT levels: said as such, at the bracket that goes one too deep. */
    char deep[4096];
    int n = snprintf(deep, sizeof deep, "{\"steps\":");
    for (int i = 0; i < 1001; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    assert_int_equal(load_text(deep, err, sizeof err), -1);
    assert_string_equal(err, "/: nested too deeply (more than 1000 levels) at line 1 column 1009");
    /* 999 levels parse; brackets inside strings are no nesting. */
    n = snprintf(deep, sizeof deep, "{\"x\":");
    for (int i = 0; i < 998; i++)
        deep[n++] = '[';
    for (int i = 0; i < 998; i++)
        deep[n++] = ']';
    snprintf(deep + n, sizeof deep - (size_t)n, "}");
    expect_error(deep, "/x: unknown field");
    expect_error("{\"id\": \"[[[[\", ", "/: invalid JSON at line 1 column 16");
}

static void selection(void **state)
{
    (void)state;
    mqs_scenario_set set;
    const char *root = MQTTSPEC_SOURCE_DIR "/scenarios";
    assert_int_equal(mqs_scenarios_discover(&root, 1, &set, stderr), 0);
    assert_true(set.count >= 2);
    const char *ids[] = {"qos2-*"};
    const char *excludes[] = {"qos2-inbound-flow"};
    mqs_filter by_glob = {ids, 1, NULL, 0, NULL, 0};
    mqs_filter excluded = {ids, 1, NULL, 0, excludes, 1};
    size_t picked = 0, left = 0;
    for (size_t i = 0; i < set.count; i++) {
        picked += mqs_scenario_selected(&set.items[i], &by_glob);
        left += mqs_scenario_selected(&set.items[i], &excluded);
    }
    assert_true(picked >= 1);
    assert_int_equal(left, picked - 1);
    mqs_scenarios_free(&set);
}

/* ---- discovery ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void at(char *buf, size_t cap, const char *dir, const char *name) { snprintf(buf, cap, "%s/%s", dir, name); }

/* Discover root; returns the failure count, the notes in *notes (to free) and the ids found in set. */
static int discover(const char *root, mqs_scenario_set *set, char **notes)
{
    size_t len = 0;
    FILE *out = open_memstream(notes, &len);
    assert_non_null(out);
    int failures = mqs_scenarios_discover(&root, 1, set, out);
    fclose(out);
    return failures;
}

#define SCENARIO(id) "{\"id\":\"" id "\",\"title\":\"t\",\"spec\":[\"3.1.1:MQTT-3.12.4-1\"],\"versions\":[\"3.1.1\"]," \
                     "\"steps\":[{\"connect\":\"c\"}]}"

/*
 * A FIFO named *.json is never opened (it would block for ever), a socket or
 * a symlink loop does not hang or repeat the walk, and a scenario reached
 * through two links loads once.  alarm() turns a hang into a failure.
 */
static void discovery_skips_what_is_not_a_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/mqttspec-discover-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[512];
    write_file(dir, "a.json", SCENARIO("disc-a"));
    at(p, sizeof p, dir, "sub");
    assert_int_equal(mkdir(p, 0700), 0);
    write_file(p, "b.json", SCENARIO("disc-b"));
    at(p, sizeof p, dir, "fifo.json");
    assert_int_equal(mkfifo(p, 0600), 0);
    at(p, sizeof p, dir, "loop");
    assert_int_equal(symlink(".", p), 0);
    at(p, sizeof p, dir, "sub/up");
    assert_int_equal(symlink("..", p), 0);
    at(p, sizeof p, dir, "again.json");
    assert_int_equal(symlink("a.json", p), 0);
    at(p, sizeof p, dir, "dangling.json");
    assert_int_equal(symlink("nowhere.json", p), 0);
    at(p, sizeof p, dir, "self.json");
    assert_int_equal(symlink("self.json", p), 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(sock >= 0);
    at(sa.sun_path, sizeof sa.sun_path, dir, "sock.json");
    assert_int_equal(bind(sock, (struct sockaddr *)&sa, sizeof sa), 0);

    alarm(20);
    mqs_scenario_set set;
    char *notes = NULL;
    assert_int_equal(discover(dir, &set, &notes), 0);
    assert_int_equal(set.count, 2);
    assert_string_equal(set.items[0].id, "disc-a");
    assert_string_equal(set.items[1].id, "disc-b");
    mqs_scenarios_free(&set);
    assert_non_null(strstr(notes, "/fifo.json: skipped: not a regular file\n"));
    assert_non_null(strstr(notes, "/sock.json: skipped: not a regular file\n"));
    assert_non_null(strstr(notes, "/dangling.json: skipped: No such file or directory\n"));
    assert_non_null(strstr(notes, "/self.json: skipped: Too many levels of symbolic links\n"));
    at(p, sizeof p, dir, "loop: skipped: the same folder as ");
    assert_non_null(strstr(notes, p));
    at(p, sizeof p, dir, "sub/up: skipped: the same folder as ");
    assert_non_null(strstr(notes, p));
    assert_non_null(strstr(notes, "skipped: the same file as "));
    free(notes);

    /* A FIFO given by name is an error, and still not opened; loading it directly does not block either. */
    at(p, sizeof p, dir, "fifo.json");
    assert_int_equal(discover(p, &set, &notes), 1);
    assert_int_equal(set.count, 0);
    mqs_scenarios_free(&set);
    assert_non_null(strstr(notes, ": not a folder or a regular file\n"));
    free(notes);
    mqs_scenario sc;
    char err[1024];
    assert_int_equal(mqs_scenario_load(p, &sc, err, sizeof err), -1);
    assert_non_null(strstr(err, "fifo.json: not a regular file"));

    /* A root that does not exist is an error, not an empty set. */
    at(p, sizeof p, dir, "missing");
    assert_int_equal(discover(p, &set, &notes), 1);
    mqs_scenarios_free(&set);
    assert_non_null(strstr(notes, "/missing: cannot read scenarios: No such file or directory\n"));
    free(notes);
    alarm(0);

    close(sock);
    static const char *const names[] = {"a.json", "sub/b.json", "sub/up", "sub", "fifo.json", "loop", "again.json",
                                        "dangling.json", "self.json", "sock.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        at(p, sizeof p, dir, names[i]);
        assert_int_equal(strcmp(names[i], "sub") == 0 ? rmdir(p) : unlink(p), 0);
    }
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_scenario_loads),
        cmocka_unit_test(header_errors),
        cmocka_unit_test(step_errors),
        cmocka_unit_test(errors_point_into_the_file),
        cmocka_unit_test(text_is_utf8_without_nul),
        cmocka_unit_test(syntax_errors_say_what_and_where),
        cmocka_unit_test(selection),
        cmocka_unit_test(discovery_skips_what_is_not_a_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
