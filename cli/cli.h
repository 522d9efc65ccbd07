/* The mqttspec command: one entry point per subcommand. */
#ifndef MQTTSPEC_CLI_H
#define MQTTSPEC_CLI_H

#include <stdio.h>

/* Exit statuses shared by every subcommand (0 ok, 1 findings, 2 usage; 3 unreachable and 128 + signal are per command). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAIL = 1,
    CLI_EXIT_USAGE = 2,
};

/* A subcommand gets argv from its own name on (argv[0] is "decode"). */
typedef int (*cli_command_fn)(int argc, char **argv);

int cmd_decode(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_probe(int argc, char **argv);
void cmd_run_usage(FILE *out);
int cmd_sim(int argc, char **argv);
void cmd_decode_usage(FILE *out);
int cmd_fuzz(int argc, char **argv);
void cmd_fuzz_usage(FILE *out);
int cmd_chaos(int argc, char **argv);
void cmd_chaos_usage(FILE *out);
int cmd_coverage(int argc, char **argv);
void cmd_coverage_usage(FILE *out);
int cmd_report(int argc, char **argv);
void cmd_corpus_usage(FILE *out);
int cmd_corpus(int argc, char **argv);
void cmd_report_usage(FILE *out);

#endif
