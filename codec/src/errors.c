/* The error table of codec_errors.h turned into lookups. */
#include <stdio.h>

#include "internal.h"

typedef struct err_info {
    const char *name;
    const char *stmt311;
    const char *stmt5;
    uint8_t reason;
    const char *message;
} err_info;

static const err_info errors[MQTT_E_COUNT] = {
#define MQTT_X_INFO(n, s311, s5, rc, msg) {#n, s311, s5, rc, msg},
    MQTT_ERROR_TABLE(MQTT_X_INFO)
#undef MQTT_X_INFO
};

static const err_info *info(mqtt_err code)
{
    return (unsigned)code < MQTT_E_COUNT ? &errors[code] : NULL;
}

const char *mqtt_err_name(mqtt_err code)
{
    const err_info *e = info(code);
    return e ? e->name : "UNKNOWN_ERROR";
}

const char *mqtt_err_message(mqtt_err code)
{
    const err_info *e = info(code);
    return e ? e->message : "unknown error code";
}

const char *mqtt_err_statement(mqtt_err code, mqtt_version version)
{
    const err_info *e = info(code);
    if (!e)
        return NULL;
    return version == MQTT_V5 ? e->stmt5 : e->stmt311;
}

uint8_t mqtt_err_reason_code(mqtt_err code)
{
    const err_info *e = info(code);
    return e ? e->reason : 0x80;
}

size_t mqtt_err_format(const mqtt_error *err, mqtt_version version, char *buf, size_t cap)
{
    if (err->version)
        version = (mqtt_version)err->version;
    const char *stmt = mqtt_err_statement(err->code, version);
    /* 3.1 has no statement numbers of its own: its rules are cited by 3.1.1's. */
    const char *cited = version == MQTT_V5 ? "5.0" : "3.1.1";
    char where[48];
    if (err->byte != err->offset)
        snprintf(where, sizeof where, "offset %u (byte %u)", (unsigned)err->offset, (unsigned)err->byte);
    else
        snprintf(where, sizeof where, "offset %u", (unsigned)err->offset);
    int n;
    if (stmt)
        n = snprintf(buf, cap, "%s:%s at %s: %s (%s)", cited, stmt, where, mqtt_err_message(err->code),
                     mqtt_err_name(err->code));
    else
        n = snprintf(buf, cap, "%s at %s: %s (%s)", err->code == MQTT_E_TOO_LARGE ? "local limit" : "no statement in this version",
                     where, mqtt_err_message(err->code), mqtt_err_name(err->code));
    return n < 0 ? 0 : (size_t)n;
}
