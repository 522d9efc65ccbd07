/*
 * fuzz_scenario: mqs_scenario_load on arbitrary bytes.  The loader takes a
 * path, so each input is written to one file created at start-up (in
 * /dev/shm when it exists: no disk I/O per run) and rewritten in place.
 * A scenario that loads is also queried the way the runner does (versions,
 * selection by id and tag), then freed: LSan reports what the loader leaks.
 * A refused one must name, by its JSON pointer, a member the file has.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "mqttspec/scenario.h"

static char path[64];
static int fd = -1;

static void remove_file(void) { unlink(path); }

/* The file every input goes to, created once. */
static bool open_file(void)
{
    if (fd >= 0)
        return true;
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof path, "%s/mqttspec-fuzz-%ld.json", dir, (long)getpid());
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return false;
    atexit(remove_file);
    return true;
}

static bool write_input(const uint8_t *data, size_t size)
{
    if (ftruncate(fd, 0) != 0)
        return false;
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0)
            return false;
        done += (size_t)n;
    }
    return true;
}

/* The member a JSON pointer (RFC 6901) of n bytes names in root, or NULL. */
static const cJSON *resolve(const cJSON *root, const char *pointer, size_t n)
{
    const cJSON *at = root;
    const char *p = pointer, *end = pointer + n;
    while (at && p < end && *p == '/') {
        char seg[512];
        size_t k = 0;
        for (p++; p < end && *p != '/' && k + 1 < sizeof seg; p++) {
            if (*p == '~' && p + 1 < end && (p[1] == '0' || p[1] == '1'))
                seg[k++] = *++p == '0' ? '~' : '/';
            else
                seg[k++] = *p;
        }
        seg[k] = '\0';
        at = cJSON_IsArray(at) ? cJSON_GetArrayItem(at, atoi(seg)) : cJSON_GetObjectItemCaseSensitive(at, seg);
    }
    return p == end ? at : NULL;
}

/*
 * A refused scenario names a member that is in the file ("file: /pointer:
 * message"), unless the message says it is required (missing) or speaks of
 * the whole text.  A member name may itself hold ": ", so every split counts.
 */
static void check_pointer(const uint8_t *data, size_t size, const char *err)
{
    size_t plen = strlen(path);
    if (strncmp(err, path, plen) != 0 || strncmp(err + plen, ": /", 3) != 0 || strstr(err, "required"))
        return;
    const char *pointer = err + plen + 2;
    if (strncmp(pointer, "/: ", 3) == 0 || strlen(pointer) > 400) /* the whole text, or a cut pointer */
        return;
    cJSON *root = cJSON_ParseWithLengthOpts((const char *)data, size, NULL, false);
    if (!root)
        return;
    bool found = false;
    for (const char *colon = strstr(pointer, ": "); colon && !found; colon = strstr(colon + 1, ": "))
        found = resolve(root, pointer, (size_t)(colon - pointer)) != NULL;
    cJSON_Delete(root);
    FUZZ_CHECK(found, "the error names a member that is not in the file: %s", err);
}

static void query(const mqs_scenario *sc)
{
    static const char *const ids[] = {"connect-*", "*"};
    static const char *const tags[] = {"qos2"};
    static const char *const excludes[] = {"*-reconnect*"};
    mqs_filter f = {ids, 2, tags, 1, excludes, 1};
    (void)mqs_scenario_selected(sc, &f);
    for (int v = MQTT_V31; v <= MQTT_V5; v++)
        (void)mqs_scenario_has_version(sc, (mqtt_version)v);
    for (unsigned bit = 1; bit <= MQS_CAP_PERSISTENT_SESSIONS; bit <<= 1)
        if (sc->requires & bit)
            FUZZ_CHECK(strcmp(mqs_capability_name(bit), "?") != 0, "a required capability has no name");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!open_file()) {
        perror("fuzz_scenario: cannot create the scenario file");
        abort();
    }
    if (!write_input(data, size)) {
        perror("fuzz_scenario: cannot write the scenario file");
        abort();
    }
    mqs_scenario sc;
    char err[512];
    if (mqs_scenario_load(path, &sc, err, sizeof err) == 0) {
        query(&sc);
        mqs_scenario_free(&sc);
    } else {
        FUZZ_CHECK(memchr(err, '\0', sizeof err) && err[0], "a refused scenario has no message");
        check_pointer(data, size, err);
    }
    return 0;
}
