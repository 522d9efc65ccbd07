/*
 * The installed layout is PREFIX/bin/mqttspec next to PREFIX/share/mqttspec/.
 * The data is looked up relative to the running binary (/proc/self/exe), not
 * at a path compiled in, so an installed tree still works when it is moved,
 * packaged, or its source tree is gone.
 */
#define _DEFAULT_SOURCE /* realpath */
#include "data_dir.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * cli/CMakeLists.txt defines MQTTSPEC_DATA_FROM_BINDIR (the install layout,
 * e.g. "../share/mqttspec"), MQTTSPEC_BUILD_DIR and MQTTSPEC_SOURCE_DIR
 * (where this build came from).
 */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder of the running binary, resolved (symlinks included: a link in /usr/local/bin finds its real prefix). */
static bool exe_dir(char *buf, size_t cap)
{
    char *real = realpath("/proc/self/exe", NULL);
    if (!real)
        return false;
    char *slash = strrchr(real, '/');
    bool ok = slash && (size_t)(slash - real) < cap;
    if (ok)
        snprintf(buf, cap, "%.*s", (int)(slash - real), real);
    free(real);
    return ok;
}

/* Is dir inside the build tree this binary was built in? */
static bool in_build_tree(const char *dir)
{
    char *build = realpath(MQTTSPEC_BUILD_DIR, NULL);
    size_t n = build ? strlen(build) : 0;
    bool inside = build && strncmp(dir, build, n) == 0 && (dir[n] == '/' || dir[n] == '\0');
    free(build);
    return inside;
}

const char *data_dir_find(const char *what, char *buf, size_t cap)
{
    char bin[PATH_MAX];
    if (!exe_dir(bin, sizeof bin)) { /* no /proc: the conventional prefix */
        snprintf(buf, cap, "/usr/local/share/mqttspec/%s", what);
        return buf;
    }
    char installed[PATH_MAX + 64];
    snprintf(installed, sizeof installed, "%s/%s/%s", bin, MQTTSPEC_DATA_FROM_BINDIR, what);
    char *tidy = realpath(installed, NULL); /* PREFIX/share/..., not PREFIX/bin/../share/... */
    if (tidy && is_dir(tidy)) {
        snprintf(buf, cap, "%s", tidy);
        free(tidy);
        return buf;
    }
    free(tidy);
    if (in_build_tree(bin)) {
        snprintf(buf, cap, "%s/%s", MQTTSPEC_SOURCE_DIR, what);
        return buf;
    }
    snprintf(buf, cap, "%s", installed);
    return buf;
}
