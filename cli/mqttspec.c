/*
 * mqttspec: MQTT conformance and fuzz harness.  This file only dispatches to
 * the subcommands; each lives in its own cmd_*.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef MQTTSPEC_VERSION
#define MQTTSPEC_VERSION "unknown"
#endif

typedef struct command {
    const char *name;
    cli_command_fn run;
    const char *summary;
} command;

/* One line per subcommand; report will join them. */
static const command commands[] = {
    {"run", cmd_run, "run conformance scenarios against a broker"},
    {"list", cmd_list, "list the scenarios a selection picks"},
    {"probe", cmd_probe, "pre-flight and capability probe of a broker: its profile (docs/profile.md)"},
    {"sim", cmd_sim, "run broker-sim, the reference broker (with quirks), on a listener"},
    {"decode", cmd_decode, "decode and validate MQTT packets given as hex or a file"},
    {"report", cmd_report, "combine JSON reports of several targets into a matrix (HTML, Markdown)"},
    {"fuzz", cmd_fuzz, "stateful network fuzzing of a broker (or broker-sim); findings become scenarios"},
    {"corpus", cmd_corpus, "a seed corpus for fuzzing any MQTT parser: the scenarios' packets, one per file"},
    {"chaos", cmd_chaos, "delivery guarantees under faults: lost, duplicated, reordered messages (docs/chaos.md)"},
    {"coverage", cmd_coverage, "which statements the suite checks (scenarios, codec, quirks) and why not the rest"},
};

enum { COMMAND_COUNT = sizeof commands / sizeof commands[0] };

static void usage(FILE *out)
{
    fputs("usage: mqttspec COMMAND [OPTIONS] [ARGS]\n"
          "       mqttspec --help | --version\n"
          "\n"
          "commands:\n",
          out);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n"
          "'mqttspec COMMAND --help' describes a command.  Targets are named as in mosquitto's clients:\n"
          "-h HOST, -p PORT, -L URL, -V mqttv311|mqttv5|mqttv31 (or 3.1.1, 5.0, 3.1); help is --help.\n"
          "\n"
          "Exit status:\n"
          "  0        success: nothing failed\n"
          "  1        a check failed (a FAIL or ERROR; decode: a malformed packet; fuzz: a crash or hang)\n"
          "  2        usage error: bad option, unwritable output, scenario error, a selection with nothing to run\n"
          "  3        the target is unreachable, or (run) it stopped accepting connections: CRASHED (sim: cannot listen)\n"
          "  130/143  interrupted by SIGINT/SIGTERM (run, sim --scenario, chaos): unfinished cases NOT RUN, reports written\n",
          out);
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

static int unknown_command(const char *name)
{
    fprintf(stderr, "mqttspec: unknown %s '%s'\n", name[0] == '-' ? "option" : "command", name);
    fputs("Try 'mqttspec --help'.\n", stderr);
    return CLI_EXIT_USAGE;
}

/* "mqttspec help decode" is "mqttspec decode --help". */
static int help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    const command *cmd = find_command(argv[1]);
    if (!cmd)
        return unknown_command(argv[1]);
    char help_flag[] = "--help";
    char *args[] = {argv[1], help_flag, NULL};
    return cmd->run(2, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0)
        return help(1, argv + 1);
    if (strcmp(name, "help") == 0)
        return help(argc - 1, argv + 1);
    if (strcmp(name, "--version") == 0) {
        printf("mqttspec %s\n", MQTTSPEC_VERSION);
        return CLI_EXIT_OK;
    }
    const command *cmd = find_command(name);
    if (!cmd)
        return unknown_command(name);
    return cmd->run(argc - 1, argv + 1);
}
