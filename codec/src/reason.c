/* Reason codes (5.0 2.4) and 3.1.1 return codes: names and where each is defined. */
#include <strings.h>

#include "internal.h"

#define BIT(t) (1u << (t))
#define PUBACKS (BIT(MQTT_PUBACK) | BIT(MQTT_PUBREC))
#define PUBCOMPS (BIT(MQTT_PUBREL) | BIT(MQTT_PUBCOMP))

typedef struct reason_info {
    uint8_t code;
    const char *name;
    uint32_t packets;        /* packet types it is defined for (5.0) */
    uint32_t server_only;    /* packet types where only a server may send it (DISCONNECT, AUTH) */
    uint32_t client_only;    /* packet types where only a client may send it */
} reason_info;

static const reason_info reasons[] = {
    {0x00, "Success", BIT(MQTT_CONNACK) | PUBACKS | PUBCOMPS | BIT(MQTT_SUBACK) | BIT(MQTT_UNSUBACK) |
                          BIT(MQTT_DISCONNECT) | BIT(MQTT_AUTH), 0, 0},
    {0x01, "Granted QoS 1", BIT(MQTT_SUBACK), 0, 0},
    {0x02, "Granted QoS 2", BIT(MQTT_SUBACK), 0, 0},
    {0x04, "Disconnect with Will Message", BIT(MQTT_DISCONNECT), 0, BIT(MQTT_DISCONNECT)},
    {0x10, "No matching subscribers", PUBACKS, 0, 0},
    {0x11, "No subscription existed", BIT(MQTT_UNSUBACK), 0, 0},
    {0x18, "Continue authentication", BIT(MQTT_AUTH), 0, 0},
    {0x19, "Re-authenticate", BIT(MQTT_AUTH), 0, BIT(MQTT_AUTH)},
    {0x80, "Unspecified error", BIT(MQTT_CONNACK) | PUBACKS | BIT(MQTT_SUBACK) | BIT(MQTT_UNSUBACK) |
                                    BIT(MQTT_DISCONNECT), 0, 0},
    {0x81, "Malformed Packet", BIT(MQTT_CONNACK) | BIT(MQTT_DISCONNECT), 0, 0},
    {0x82, "Protocol Error", BIT(MQTT_CONNACK) | BIT(MQTT_DISCONNECT), 0, 0},
    {0x83, "Implementation specific error", BIT(MQTT_CONNACK) | PUBACKS | BIT(MQTT_SUBACK) |
                                                BIT(MQTT_UNSUBACK) | BIT(MQTT_DISCONNECT), 0, 0},
    {0x84, "Unsupported Protocol Version", BIT(MQTT_CONNACK), 0, 0},
    {0x85, "Client Identifier not valid", BIT(MQTT_CONNACK), 0, 0},
    {0x86, "Bad User Name or Password", BIT(MQTT_CONNACK), 0, 0},
    {0x87, "Not authorized", BIT(MQTT_CONNACK) | PUBACKS | BIT(MQTT_SUBACK) | BIT(MQTT_UNSUBACK) |
                                 BIT(MQTT_DISCONNECT), BIT(MQTT_DISCONNECT), 0},
    {0x88, "Server unavailable", BIT(MQTT_CONNACK), 0, 0},
    {0x89, "Server busy", BIT(MQTT_CONNACK) | BIT(MQTT_DISCONNECT), BIT(MQTT_DISCONNECT), 0},
    {0x8A, "Banned", BIT(MQTT_CONNACK), 0, 0},
    {0x8B, "Server shutting down", BIT(MQTT_DISCONNECT), BIT(MQTT_DISCONNECT), 0},
    {0x8C, "Bad authentication method", BIT(MQTT_CONNACK) | BIT(MQTT_DISCONNECT), BIT(MQTT_DISCONNECT), 0},
    {0x8D, "Keep Alive timeout", BIT(MQTT_DISCONNECT), BIT(MQTT_DISCONNECT), 0},
    {0x8E, "Session taken over", BIT(MQTT_DISCONNECT), BIT(MQTT_DISCONNECT), 0},
    {0x8F, "Topic Filter invalid", BIT(MQTT_SUBACK) | BIT(MQTT_UNSUBACK) | BIT(MQTT_DISCONNECT),
     BIT(MQTT_DISCONNECT), 0},
    {0x90, "Topic Name invalid", BIT(MQTT_CONNACK) | PUBACKS | BIT(MQTT_DISCONNECT), 0, 0},
    {0x91, "Packet Identifier in use", PUBACKS | BIT(MQTT_SUBACK) | BIT(MQTT_UNSUBACK), 0, 0},
    {0x92, "Packet Identifier not found", PUBCOMPS, 0, 0},
    {0x93, "Receive Maximum exceeded", BIT(MQTT_DISCONNECT), 0, 0},
    {0x94, "Topic Alias invalid", BIT(MQTT_DISCONNECT), 0, 0},
    {0x95, "Packet too large", BIT(MQTT_CONNACK) | BIT(MQTT_DISCONNECT), 0, 0},
    {0x96, "Message rate too high", BIT(MQTT_DISCONNECT), 0, 0},
    {0x97, "Quota exceeded", BIT(MQTT_CONNACK) | PUBACKS | BIT(MQTT_SUBACK) | BIT(MQTT_DISCONNECT), 0, 0},
    {0x98, "Administrative action", BIT(MQTT_DISCONNECT), 0, 0},
    {0x99, "Payload format invalid", BIT(MQTT_CONNACK) | PUBACKS | BIT(MQTT_DISCONNECT), 0, 0},
    {0x9A, "Retain not supported", BIT(MQTT_CONNACK) | BIT(MQTT_DISCONNECT), BIT(MQTT_DISCONNECT), 0},
    {0x9B, "QoS not supported", BIT(MQTT_CONNACK) | BIT(MQTT_DISCONNECT), BIT(MQTT_DISCONNECT), 0},
    {0x9C, "Use another server", BIT(MQTT_CONNACK) | BIT(MQTT_DISCONNECT), BIT(MQTT_DISCONNECT), 0},
    {0x9D, "Server moved", BIT(MQTT_CONNACK) | BIT(MQTT_DISCONNECT), BIT(MQTT_DISCONNECT), 0},
    {0x9E, "Shared Subscriptions not supported", BIT(MQTT_SUBACK) | BIT(MQTT_DISCONNECT),
     BIT(MQTT_DISCONNECT), 0},
    {0x9F, "Connection rate exceeded", BIT(MQTT_CONNACK) | BIT(MQTT_DISCONNECT), BIT(MQTT_DISCONNECT), 0},
    {0xA0, "Maximum connect time", BIT(MQTT_DISCONNECT), BIT(MQTT_DISCONNECT), 0},
    {0xA1, "Subscription Identifiers not supported", BIT(MQTT_SUBACK) | BIT(MQTT_DISCONNECT),
     BIT(MQTT_DISCONNECT), 0},
    {0xA2, "Wildcard Subscriptions not supported", BIT(MQTT_SUBACK) | BIT(MQTT_DISCONNECT),
     BIT(MQTT_DISCONNECT), 0},
};

/* 3.1.1 CONNACK return codes (3.2.2.3). */
static const char *const connack311[] = {
    "Connection Accepted",
    "Connection Refused, unacceptable protocol version",
    "Connection Refused, identifier rejected",
    "Connection Refused, Server unavailable",
    "Connection Refused, bad user name or password",
    "Connection Refused, not authorized",
};

static const reason_info *find(uint8_t code)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].code == code)
            return &reasons[i];
    return NULL;
}

const char *mqtt_reason_name(uint8_t code, int packet_type)
{
    if (packet_type == MQTT_CONNACK && code >= 1 && code <= 5)
        return connack311[code];
    if (code == 0x00) {
        if (packet_type == MQTT_SUBACK)
            return "Granted QoS 0";
        if (packet_type == MQTT_DISCONNECT)
            return "Normal disconnection";
    }
    const reason_info *r = find(code);
    return r ? r->name : "Unknown reason code";
}

const char *mqtt_return_code_name(uint8_t code, int packet_type)
{
    if (packet_type == MQTT_CONNACK && code <= 5)
        return connack311[code];
    if (packet_type == MQTT_SUBACK && code <= 2) {
        static const char *const granted[] = {"Success - Maximum QoS 0", "Success - Maximum QoS 1",
                                              "Success - Maximum QoS 2"};
        return granted[code];
    }
    return packet_type == MQTT_SUBACK && code == 0x80 ? "Failure" : NULL;
}

bool mqtt_reason_valid(uint8_t code, int packet_type, bool sent_by_server, mqtt_version version)
{
    if (version != MQTT_V5) {
        if (packet_type == MQTT_CONNACK)
            return code <= 5;
        if (packet_type == MQTT_SUBACK)
            return code <= 2 || code == 0x80;
        return false; /* no other 3.1.1 packet carries a code */
    }
    const reason_info *r = find(code);
    if (!r || packet_type < 0 || packet_type > 15 || !(r->packets & BIT(packet_type)))
        return false;
    /* 0x00 in AUTH ("Success") is the server's word only (3.15.2.1). */
    if (code == 0x00 && packet_type == MQTT_AUTH)
        return sent_by_server;
    if (sent_by_server)
        return !(r->client_only & BIT(packet_type));
    return !(r->server_only & BIT(packet_type));
}

static const char *const type_names[16] = {
    "RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
    "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH",
};

const char *mqtt_packet_type_name(int type)
{
    return type >= 1 && type <= 15 ? type_names[type] : "RESERVED";
}

int mqtt_packet_type_by_name(const char *name)
{
    for (int t = 1; t <= 15; t++)
        if (strcasecmp(name, type_names[t]) == 0)
            return t;
    return -1;
}
