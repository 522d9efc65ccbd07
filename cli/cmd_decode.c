/*
 * mqttspec decode: decode and validate a byte stream of MQTT packets, one
 * line per packet, stopping at the first malformed or truncated one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "cli.h"
#include "hex.h"
#include "options.h"
#include "mqttspec/codec.h"

typedef enum input_kind {
    INPUT_STDIN_HEX,
    INPUT_ARGS_HEX,
    INPUT_FILE_BINARY,
} input_kind;

typedef struct decode_config {
    mqtt_version version; /* until a CONNECT names its own */
    bool role_given;
    mqtt_role role;
    input_kind input;
    const char *file;
    char **hex_args;
    int hex_count;
} decode_config;

void cmd_decode_usage(FILE *out)
{
    fputs("usage: mqttspec decode [-V VERSION] [--role server|client] [--file FILE | HEX...]\n"
          "\n"
          "Decode and validate MQTT packets, one line per packet, each prefixed by its\n"
          "byte offset; stop at the first malformed or truncated packet and name the\n"
          "statement it breaks.  Offsets count from the first input byte.\n"
          "\n"
          "Input: HEX arguments (\"10 0c 00 04\" or \"100c0004\", 0x prefixes allowed),\n"
          "or with no arguments hex text on standard input ('#' starts a comment),\n"
          "or the raw bytes of FILE.\n"
          "\n"
          "  -V, --protocol-version V  protocol version until a CONNECT sets it:\n"
          "                        " CLI_VERSION_NAMES "\n"
          "                        (default: a first CONNECT's level, else 3.1.1)\n"
          "  --role server|client  who receives the packets (default: server, except\n"
          "                        CONNACK, SUBACK, UNSUBACK and PINGRESP, which only a\n"
          "                        server sends and so are decoded as a client)\n"
          "  -f, --file FILE       read raw bytes from FILE ('-' for standard input)\n"
          "  --help                show this help\n"
          "\n"
          "Exit status: 0 all packets decode, 1 a packet is malformed or truncated,\n"
          "2 usage error (unknown option, bad hex, unreadable file).\n",
          out);
}

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "mqttspec decode: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
    fputs("Try 'mqttspec decode --help'.\n", stderr);
    return CLI_EXIT_USAGE;
}

static bool parse_role(const char *s, mqtt_role *out)
{
    if (strcmp(s, "server") == 0)
        *out = MQTT_ROLE_SERVER;
    else if (strcmp(s, "client") == 0)
        *out = MQTT_ROLE_CLIENT;
    else
        return false;
    return true;
}

static bool is_option(const char *arg, const char *short_name, const char *long_name)
{
    return (short_name && strcmp(arg, short_name) == 0) || strcmp(arg, long_name) == 0;
}

/* Fills cfg from argv; returns -1 to go on, else the exit status to return now. */
static int parse_args(int argc, char **argv, decode_config *cfg)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (is_option(arg, NULL, "--help")) {
            cmd_decode_usage(stdout);
            return CLI_EXIT_OK;
        }
        bool is_version = is_option(arg, "-V", "--protocol-version") || is_option(arg, NULL, "--mqtt-version");
        bool takes_value = is_version || is_option(arg, NULL, "--role") ||
                           is_option(arg, "-f", "--file");
        if (!takes_value)
            return usage_error("unknown option", arg);
        if (i + 1 >= argc)
            return usage_error("option needs a value", arg);
        const char *value = argv[++i];
        if (is_version) {
            if ((cfg->version = cli_version_parse(value)) == MQTT_VERSION_UNKNOWN)
                return usage_error("unknown MQTT version (use " CLI_VERSION_NAMES ")", value);
        } else if (is_option(arg, NULL, "--role")) {
            if (!parse_role(value, &cfg->role))
                return usage_error("unknown role (use server or client)", value);
            cfg->role_given = true;
        } else {
            cfg->file = value;
            cfg->input = INPUT_FILE_BINARY;
        }
    }
    cfg->hex_args = argv + i;
    cfg->hex_count = argc - i;
    if (cfg->hex_count > 0 && cfg->input == INPUT_FILE_BINARY)
        return usage_error("give either --file or hex bytes, not both", NULL);
    if (cfg->hex_count > 0)
        cfg->input = INPUT_ARGS_HEX;
    return -1;
}

/* ---- input ---- */

static int read_hex_args(const decode_config *cfg, byte_buf *out)
{
    for (int i = 0; i < cfg->hex_count; i++) {
        const char *arg = cfg->hex_args[i];
        hex_error err;
        if (!hex_append(out, arg, strlen(arg), &err)) {
            fprintf(stderr, "mqttspec decode: bad hex in argument '%s' at character %zu: %s\n", arg,
                    err.at + 1, err.reason);
            return CLI_EXIT_USAGE;
        }
    }
    return -1;
}

static int read_hex_stdin(byte_buf *out)
{
    byte_buf text = {0};
    hex_error err;
    int status = -1;

    if (!byte_buf_read_all(&text, stdin)) {
        fprintf(stderr, "mqttspec decode: cannot read standard input: %s\n", strerror(errno));
        status = CLI_EXIT_USAGE;
    } else if (!hex_append(out, (const char *)text.data, text.len, &err)) {
        fprintf(stderr, "mqttspec decode: bad hex on standard input at character %zu: %s\n", err.at + 1,
                err.reason);
        status = CLI_EXIT_USAGE;
    }
    byte_buf_free(&text);
    return status;
}

static int read_binary_file(const char *path, byte_buf *out)
{
    bool from_stdin = strcmp(path, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mqttspec decode: cannot open %s: %s\n", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    bool ok = byte_buf_read_all(out, f);
    int saved_errno = errno;
    if (!from_stdin)
        fclose(f);
    if (!ok) {
        fprintf(stderr, "mqttspec decode: cannot read %s: %s\n", path, strerror(saved_errno));
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* Returns -1 when out holds the input, else the exit status. */
static int read_input(const decode_config *cfg, byte_buf *out)
{
    switch (cfg->input) {
    case INPUT_ARGS_HEX:
        return read_hex_args(cfg, out);
    case INPUT_FILE_BINARY:
        return read_binary_file(cfg->file, out);
    case INPUT_STDIN_HEX:
        break;
    }
    return read_hex_stdin(out);
}

/* ---- decoding ---- */

/* Packets only a server sends can only be received by a client. */
static bool sent_only_by_server(uint8_t type)
{
    return type == MQTT_CONNACK || type == MQTT_SUBACK || type == MQTT_UNSUBACK || type == MQTT_PINGRESP;
}

static mqtt_role role_for(const decode_config *cfg, uint8_t first_byte)
{
    if (cfg->role_given)
        return cfg->role;
    return sent_only_by_server((uint8_t)(first_byte >> 4)) ? MQTT_ROLE_CLIENT : MQTT_ROLE_SERVER;
}

/*
 * The level byte of a CONNECT at the start of p, or 0 when it cannot be read.
 * A malformed CONNECT is judged by the statements of the level it claims.
 */
static uint8_t peek_connect_level(const uint8_t *p, size_t len)
{
    size_t i = 1;
    while (i < len && i < 4 && (p[i] & 0x80))
        i++;
    i++; /* past the last remaining-length byte */
    if (i + 2 > len)
        return 0;
    size_t name_len = (size_t)p[i] << 8 | p[i + 1];
    size_t level_at = i + 2 + name_len;
    return level_at < len ? p[level_at] : 0;
}

static mqtt_version version_for_error(const uint8_t *p, size_t len, mqtt_version current)
{
    if (len == 0 || (p[0] >> 4) != MQTT_CONNECT)
        return current;
    uint8_t level = peek_connect_level(p, len);
    return level == MQTT_V31 || level == MQTT_V311 || level == MQTT_V5 ? (mqtt_version)level : current;
}

static void print_packet(size_t offset, const mqtt_packet *pkt, mqtt_version version)
{
    char line[1024];
    size_t n = mqtt_print(pkt, version, line, sizeof line);
    char *text = line;
    if (n >= sizeof line) {
        /* Rare: the printer caps every element, but a packet may hold many. */
        char *big = malloc(n + 1);
        if (big) {
            mqtt_print(pkt, version, big, n + 1);
            text = big;
        }
    }
    printf("%6zu  %s\n", offset, text);
    if (text != line)
        free(text);
}

static void report_malformed(const uint8_t *p, size_t len, size_t offset, mqtt_error err, mqtt_version current)
{
    char msg[512];
    /* Report offsets in the whole input, like the packet offsets. */
    if (offset <= UINT32_MAX - err.offset && offset <= UINT32_MAX - err.byte) {
        err.offset += (uint32_t)offset;
        err.byte += (uint32_t)offset;
    }
    mqtt_err_format(&err, version_for_error(p, len, current), msg, sizeof msg);
    printf("error: malformed %s at offset %zu: %s\n", mqtt_packet_type_name(p[0] >> 4), offset, msg);
}

static void report_truncated(const uint8_t *p, size_t len, size_t offset, mqtt_version version)
{
    size_t total = 0;
    mqtt_error err;
    mqtt_status st = mqtt_frame(p, len, 0, version, &total, &err);
    if (st == MQTT_NEED_MORE && total > len)
        printf("error: truncated packet at offset %zu: need %zu more bytes\n", offset, total - len);
    else
        printf("error: truncated packet at offset %zu: fixed header incomplete\n", offset);
}

/* Decodes packets in sequence; a CONNECT sets the version for those after it. */
static int decode_stream(const uint8_t *buf, size_t len, const decode_config *cfg)
{
    mqtt_version version = cfg->version;
    size_t offset = 0;

    while (offset < len) {
        const uint8_t *p = buf + offset;
        size_t left = len - offset;
        mqtt_decode_opts opts = {.version = version, .role = role_for(cfg, p[0]), .max_packet_size = 0};
        mqtt_packet pkt;
        size_t used = 0;
        mqtt_error err = {.code = MQTT_E_OK};

        mqtt_status st = mqtt_decode(p, left, &opts, &pkt, &used, &err);
        if (st == MQTT_NEED_MORE) {
            report_truncated(p, left, offset, version);
            return CLI_EXIT_FAIL;
        }
        if (st != MQTT_COMPLETE) {
            report_malformed(p, left, offset, err, version);
            return CLI_EXIT_FAIL;
        }
        if (pkt.type == MQTT_CONNECT)
            version = (mqtt_version)pkt.u.connect.protocol_level;
        print_packet(offset, &pkt, version);
        offset += used;
    }
    return CLI_EXIT_OK;
}

int cmd_decode(int argc, char **argv)
{
    decode_config cfg = {.version = MQTT_V311, .role = MQTT_ROLE_SERVER, .input = INPUT_STDIN_HEX};
    int status = parse_args(argc, argv, &cfg);
    if (status >= 0)
        return status;

    byte_buf input = {0};
    status = read_input(&cfg, &input);
    if (status < 0 && input.len == 0)
        status = usage_error("no bytes to decode", NULL);
    if (status < 0)
        status = decode_stream(input.data, input.len, &cfg);
    byte_buf_free(&input);
    return status;
}
