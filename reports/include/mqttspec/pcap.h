/*
 * One case's wire events as a capture file Wireshark dissects as MQTT
 * (docs/pcap.md): every connection of the case becomes a TCP connection with
 * synthesized IPv4/TCP headers, written with libpcap (link type RAW, IPv4).
 */
#ifndef MQTTSPEC_PCAP_H
#define MQTTSPEC_PCAP_H

#include <stdbool.h>
#include <stdint.h>

#include "mqttspec/result.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The server's port in every capture: the one Wireshark dissects as MQTT without options. */
#define MQS_PCAP_SERVER_PORT 1883
/* The first client port; each connection opened in a case gets the next one. */
#define MQS_PCAP_FIRST_CLIENT_PORT 49152
/* The largest TCP payload of one synthesized segment: a longer packet spans several. */
#define MQS_PCAP_MAX_SEGMENT 65495

typedef struct mqs_pcap_opts {
    bool we_are_server; /* false: we are the MQTT client (mqttspec run); true: sim --scenario */
    int64_t start_ms;   /* the time event t_ms 0 is shown at, in ms since the Unix epoch (the run's start) */
} mqs_pcap_opts;

/*
 * Write case c's SENT and RECEIVED bytes, opens and closes to a new pcap file
 * at path.  0 on success; -1 with a reason in err (libpcap's, or the system's).
 */
int mqs_write_pcap(const mqs_case *c, const mqs_pcap_opts *o, const char *path, char *err, size_t err_cap);

#ifdef __cplusplus
}
#endif
#endif
