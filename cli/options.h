/*
 * Options several subcommands share, spelled as mosquitto's clients spell
 * them: -h/--host, -p/--port, -L URL, -V mqttv311|mqttv5|mqttv31|311|5|31|3.1.1|5.0|3.1,
 * and where the password comes from (-P, --pw-file, MQTTSPEC_PASSWORD).
 */
#ifndef MQTTSPEC_CLI_OPTIONS_H
#define MQTTSPEC_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttspec/codec.h"
#include "mqttspec/transport.h"

/* The accepted spellings, for help texts and messages. */
#define CLI_VERSION_NAMES "mqttv311|mqttv5|mqttv31|311|5|31|3.1.1|5.0|3.1"

/* -V's value; MQTT_VERSION_UNKNOWN if it is none of CLI_VERSION_NAMES. */
mqtt_version cli_version_parse(const char *s);

/* Where the target comes from: --target URL, -L URL, or -h HOST / -p PORT. */
typedef struct cli_target {
    const char *target, *url_l, *host, *port; /* as given, each may be NULL */
    char url[300];      /* the resolved mqtt[s]://HOST:PORT */
    char username[256]; /* from -L's user[:password]@, when given there */
    char password[256];
    bool has_username, has_password;
} cli_target;

/*
 * Resolve t->url from the options (1), or say there is none (0: the caller's
 * default, e.g. the embedded broker-sim); -1 after one line on stderr (two
 * ways of naming the target, a bad port, a URL that does not parse, port 0).
 */
int cli_target_resolve(cli_target *t, const char *prog);

/*
 * The password to use: -P's value, else the first line of --pw-file, else
 * $MQTTSPEC_PASSWORD (the last two keep it out of `ps`); NULL for none.
 * buf holds a password read from the file.  -1 after one line on stderr
 * (-P with --pw-file, an unreadable file).
 */
int cli_password(const char *given, const char *pw_file, char *buf, size_t cap, const char **out);

struct option;

/*
 * getopt_long over argv from its start, each option handed to take(ctx, opt, optarg); stops at take's
 * first non-zero result (1: --help, -1: an error it said on stderr) and returns it, else 0.  optind is
 * then the first operand.
 */
int cli_parse_options(int argc, char **argv, const char *shortopts, const struct option *longopts,
                      int (*take)(void *ctx, int opt, const char *arg), void *ctx);

/* -1 after one line on stderr if an operand is left at optind, else 0. */
int cli_no_operands(int argc, char **argv);

/* An integer option in [lo, hi]; -1 after "mqttspec: NAME needs a number LO..HI" otherwise. */
int cli_number_arg(const char *name, const char *value, long lo, long hi, long *out);

/* --seed's value: a non-negative integer (decimal, 0x hex); -1 after a message otherwise. */
int cli_seed_arg(const char *value, uint64_t *out);

/* A seed for --seed's default: 32 random bits (short to type; fuzz's client ids and topics carry all of it). */
uint64_t cli_random_seed(void);

/* A file the run will read (--cafile, --cert, --key): -1 after one line on stderr if it cannot be read. */
int cli_check_input(const char *option, const char *path);

#endif
