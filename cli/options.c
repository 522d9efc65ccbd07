/* Shared options: see options.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "options.h"

mqtt_version cli_version_parse(const char *s)
{
    static const struct {
        const char *name;
        mqtt_version v;
    } names[] = {
        {"mqttv311", MQTT_V311}, {"311", MQTT_V311}, {"3.1.1", MQTT_V311}, {"mqttv5", MQTT_V5}, {"5", MQTT_V5},
        {"5.0", MQTT_V5},        {"mqttv31", MQTT_V31}, {"31", MQTT_V31},   {"3.1", MQTT_V31},
    };
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].v;
    return MQTT_VERSION_UNKNOWN;
}

/* 1..65535, digits only. */
static bool port_valid(const char *p)
{
    char *end;
    if (!p || !*p || strspn(p, "0123456789") != strlen(p))
        return false;
    long n = strtol(p, &end, 10);
    return n >= 1 && n <= 65535;
}

/* Copy n bytes of s into dst (capacity cap), NUL-terminated; false if they do not fit. */
static bool copy_n(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return true;
}

/* mosquitto's -L: mqtt(s)://[user[:password]@]host[:port][/topic]; the topic means nothing to us. */
static int split_url_l(cli_target *t, const char *prog)
{
    const char *u = t->url_l;
    const char *auth = strstr(u, "://");
    if (!auth) {
        fprintf(stderr, "mqttspec %s: -L %s: expected mqtt(s)://[USER[:PASSWORD]@]HOST[:PORT][/TOPIC]\n", prog, u);
        return -1;
    }
    auth += 3;
    size_t auth_len = strcspn(auth, "/");
    const char *at = memchr(auth, '@', auth_len);
    bool ok = true;
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        size_t user_len = colon ? (size_t)(colon - auth) : (size_t)(at - auth);
        ok = copy_n(t->username, sizeof t->username, auth, user_len);
        t->has_username = true;
        if (colon) {
            ok = ok && copy_n(t->password, sizeof t->password, colon + 1, (size_t)(at - colon - 1));
            t->has_password = true;
        }
    }
    const char *host = at ? at + 1 : auth;
    int n = snprintf(t->url, sizeof t->url, "%.*s%.*s", (int)(auth - u), u, (int)(auth + auth_len - host), host);
    if (!ok || n < 0 || (size_t)n >= sizeof t->url) {
        fprintf(stderr, "mqttspec %s: -L: too long\n", prog);
        return -1;
    }
    return 0;
}

static int build_url(cli_target *t, const char *prog)
{
    if (t->target && t->url_l) {
        fprintf(stderr, "mqttspec %s: --target and -L both name the target: give one\n", prog);
        return -1;
    }
    if ((t->target || t->url_l) && (t->host || t->port)) {
        fprintf(stderr, "mqttspec %s: -h/-p and %s both name the target: give one\n", prog,
                t->target ? "--target" : "-L");
        return -1;
    }
    if (t->port && !port_valid(t->port)) {
        fprintf(stderr, "mqttspec %s: -p %s: a port is 1..65535\n", prog, t->port);
        return -1;
    }
    if (t->url_l)
        return split_url_l(t, prog);
    const char *src = t->target;
    if (!src) {
        const char *host = t->host ? t->host : "localhost";
        bool v6 = strchr(host, ':') != NULL;
        snprintf(t->url, sizeof t->url, "mqtt://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "",
                 t->port ? t->port : "1883");
        return 0;
    }
    if (strlen(src) >= sizeof t->url) {
        fprintf(stderr, "mqttspec %s: --target: too long\n", prog);
        return -1;
    }
    snprintf(t->url, sizeof t->url, "%s", src);
    return 0;
}

int cli_target_resolve(cli_target *t, const char *prog)
{
    t->url[0] = '\0';
    if (!t->target && !t->url_l && !t->host && !t->port)
        return 0;
    if (build_url(t, prog) < 0)
        return -1;
    mqs_url url;
    char err[300];
    if (mqs_url_parse(t->url, &url, err, sizeof err) < 0) {
        fprintf(stderr, "mqttspec %s: target %s: %s\n", prog, t->url, err);
        return -1;
    }
    if (!port_valid(url.port)) {
        fprintf(stderr, "mqttspec %s: target %s: port %s cannot be connected to (a port is 1..65535)\n", prog,
                t->url, url.port);
        return -1;
    }
    return 1;
}

int cli_password(const char *given, const char *pw_file, char *buf, size_t cap, const char **out)
{
    *out = NULL;
    if (given && pw_file) {
        fprintf(stderr, "mqttspec: -P and --pw-file both give the password: give one\n");
        return -1;
    }
    if (given) {
        *out = given;
        return 0;
    }
    if (!pw_file) {
        *out = getenv("MQTTSPEC_PASSWORD");
        return 0;
    }
    FILE *f = fopen(pw_file, "r");
    if (!f) {
        fprintf(stderr, "mqttspec: --pw-file %s: %s\n", pw_file, strerror(errno));
        return -1;
    }
    buf[0] = '\0';
    if (!fgets(buf, (int)cap, f) && ferror(f)) {
        fprintf(stderr, "mqttspec: --pw-file %s: cannot read it\n", pw_file);
        fclose(f);
        return -1;
    }
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0'; /* the first line, without its end */
    *out = buf;
    return 0;
}

int cli_check_input(const char *option, const char *path)
{
    if (path && access(path, R_OK) != 0) {
        fprintf(stderr, "mqttspec: %s %s: %s\n", option, path, strerror(errno));
        return -1;
    }
    return 0;
}

int cli_parse_options(int argc, char **argv, const char *shortopts, const struct option *longopts,
                      int (*take)(void *ctx, int opt, const char *arg), void *ctx)
{
    optind = 1;
    opterr = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        int rc = take(ctx, opt, optarg);
        if (rc)
            return rc;
    }
    return 0;
}

int cli_no_operands(int argc, char **argv)
{
    if (optind < argc) {
        fprintf(stderr, "mqttspec: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

uint64_t cli_random_seed(void)
{
    unsigned char r[4];
    if (RAND_bytes(r, sizeof r) != 1)
        return 1;
    return (uint64_t)r[0] << 24 | (uint64_t)r[1] << 16 | (uint64_t)r[2] << 8 | r[3];
}

int cli_number_arg(const char *name, const char *value, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (!*value || *end || errno || n < lo || n > hi) {
        fprintf(stderr, "mqttspec: %s needs a number %ld..%ld\n", name, lo, hi);
        return -1;
    }
    *out = n;
    return 0;
}

int cli_seed_arg(const char *value, uint64_t *out)
{
    char *end;
    unsigned long long s = strtoull(value, &end, 0);
    if (!*value || *end || value[0] == '-') {
        fprintf(stderr, "mqttspec: --seed needs a non-negative integer\n");
        return -1;
    }
    *out = s;
    return 0;
}
