/* The error table of codec_errors.h turned into lookups. */
#include <stdio.h>

#include "internal.h"

typedef struct err_info {
    const char *name;
    const char *stmt311;
    const char *stmt5;
    const char *cite31;
    uint8_t reason;
    const char *message;
} err_info;

static const err_info errors[MQTT_E_COUNT] = {
#define MQTT_X_INFO(n, s311, s5, c31, rc, msg) {#n, s311, s5, c31, rc, msg},
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
    return version == MQTT_V5 ? e->stmt5 : version == MQTT_V31 ? e->cite31 : e->stmt311;
}

uint8_t mqtt_err_reason_code(mqtt_err code)
{
    const err_info *e = info(code);
    return e ? e->reason : 0x80;
}

/* 5.0 section of each packet type's properties (CONNECT: and of the Will Properties). */
static const char *const props_section[16] = {
    NULL,       "3.1.2.11 / 3.1.3.2", "3.2.2.3",  "3.3.2.3",  "3.4.2.2", "3.5.2.2", "3.6.2.2", "3.7.2.2",
    "3.8.2.1",  "3.9.2.1",            "3.10.2.1", "3.11.2.1", NULL,      NULL,      "3.14.2.2", "3.15.2.2",
};

/* " (section 3.4.1)" for rules every packet type states in its own section; "" otherwise. */
static void packet_section(const mqtt_error *err, char *buf, size_t cap)
{
    unsigned type = err->packet_type;
    buf[0] = '\0';
    if (type < 1 || type > 15)
        return;
    if (err->code == MQTT_E_REMAINING_LENGTH) /* each packet's "Fixed Header" section */
        snprintf(buf, cap, " (section 3.%u.1)", type);
    else if ((err->code == MQTT_E_PROPERTY_DUPLICATE || err->code == MQTT_E_PROPERTY_VALUE) && props_section[type])
        snprintf(buf, cap, " (section %s)", props_section[type]);
}

/* "3.1.1:MQTT-3.3.2-2", "3.1 (cf. 3.1.1 §3.3.2.1)", or NULL without a statement. */
static const char *citation(mqtt_err code, mqtt_version version, char *buf, size_t cap)
{
    const char *stmt = mqtt_err_statement(code, version);
    if (!stmt)
        return NULL;
    if (version == MQTT_V31)
        snprintf(buf, cap, "3.1 (%s)", stmt);
    else
        snprintf(buf, cap, "%s:%s", version == MQTT_V5 ? "5.0" : "3.1.1", stmt);
    return buf;
}

size_t mqtt_err_format(const mqtt_error *err, mqtt_version version, char *buf, size_t cap)
{
    if (err->version)
        version = (mqtt_version)err->version;
    char cited[64], where[48], section[40];
    const char *cite = citation(err->code, version, cited, sizeof cited);
    if (!cite)
        cite = err->code == MQTT_E_TOO_LARGE ? "local limit" : "no statement in this version";
    if (err->byte != err->offset)
        snprintf(where, sizeof where, "offset %u (byte %u)", (unsigned)err->offset, (unsigned)err->byte);
    else
        snprintf(where, sizeof where, "offset %u", (unsigned)err->offset);
    packet_section(err, section, sizeof section);
    int n = snprintf(buf, cap, "%s at %s: %s%s (%s)", cite, where, mqtt_err_message(err->code), section,
                     mqtt_err_name(err->code));
    return n < 0 ? 0 : (size_t)n;
}
