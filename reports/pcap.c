/*
 * mqs_write_pcap: a case's wire events as TCP segments Wireshark reads as
 * MQTT.  The events carry only the MQTT bytes, so everything below them is
 * synthesized here: an IPv4/TCP header per segment, a three-way handshake per
 * OPENED, a FIN exchange per CLOSED or DROPPED, sequence and acknowledgement
 * numbers that follow the bytes, and valid checksums (so Wireshark's optional
 * checksum validation finds nothing to flag).  libpcap writes the file.
 */
#define _DEFAULT_SOURCE /* libpcap's headers use u_int and u_char (BSD types) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "mqttspec/pcap.h"

enum { SIDE_CLIENT = 0, SIDE_SERVER = 1 };
enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_PSH = 0x08, TCP_ACK = 0x10 };
enum { IP_HDR = 20, TCP_HDR = 20, IP_PROTO_TCP = 6, SNAPLEN = 65535 };

/* TEST-NET-1 (RFC 5737): addresses that say the headers are made up, whatever the real target was. */
static const uint8_t pw_client_addr[4] = {192, 0, 2, 1};
static const uint8_t pw_server_addr[4] = {192, 0, 2, 2};

typedef struct pw_stream {
    const char *conn;     /* the connection's name in the case (not owned) */
    uint16_t client_port;
    uint32_t next_seq[2]; /* the next sequence number each side sends */
    bool open;
} pw_stream;

typedef struct pw_writer {
    pcap_dumper_t *dumper;
    const mqs_pcap_opts *opts;
    pw_stream *streams;
    size_t nstreams, cap;
    int64_t t_ms;   /* the current event's time: never before the previous one's */
    uint16_t ip_id;
    uint8_t frame[IP_HDR + TCP_HDR + MQS_PCAP_MAX_SEGMENT];
} pw_writer;

static void pw_put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void pw_put32(uint8_t *p, uint32_t v)
{
    pw_put16(p, v >> 16);
    pw_put16(p + 2, v);
}

/* The Internet checksum (RFC 1071): a one's complement sum of 16-bit words, folded and inverted. */
static uint32_t pw_sum16(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t pw_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static int pw_side_of_us(const pw_writer *w)
{
    return w->opts->we_are_server ? SIDE_SERVER : SIDE_CLIENT;
}

/* The IPv4 header of a frame of total bytes from side. */
static void pw_ip_header(pw_writer *w, int side, size_t total)
{
    uint8_t *ip = w->frame;
    memset(ip, 0, IP_HDR);
    ip[0] = 0x45; /* version 4, 5 words */
    pw_put16(ip + 2, (uint32_t)total);
    pw_put16(ip + 4, w->ip_id++);
    ip[6] = 0x40; /* don't fragment */
    ip[8] = 64;   /* TTL */
    ip[9] = IP_PROTO_TCP;
    memcpy(ip + 12, side == SIDE_CLIENT ? pw_client_addr : pw_server_addr, 4);
    memcpy(ip + 16, side == SIDE_CLIENT ? pw_server_addr : pw_client_addr, 4);
    pw_put16(ip + 10, pw_fold(pw_sum16(0, ip, IP_HDR)));
}

/* The TCP header after it, its checksum over the pseudo-header (addresses, protocol, length) and the segment. */
static void pw_tcp_header(pw_writer *w, const pw_stream *s, int side, int flags, size_t len)
{
    uint8_t *tcp = w->frame + IP_HDR;
    memset(tcp, 0, TCP_HDR);
    pw_put16(tcp, side == SIDE_CLIENT ? s->client_port : MQS_PCAP_SERVER_PORT);
    pw_put16(tcp + 2, side == SIDE_CLIENT ? MQS_PCAP_SERVER_PORT : s->client_port);
    pw_put32(tcp + 4, s->next_seq[side]);
    pw_put32(tcp + 8, flags & TCP_ACK ? s->next_seq[!side] : 0);
    tcp[12] = (TCP_HDR / 4) << 4;
    tcp[13] = (uint8_t)flags;
    pw_put16(tcp + 14, 65535); /* window */
    uint32_t tcp_len = (uint32_t)(TCP_HDR + len);
    uint32_t sum = pw_sum16(0, w->frame + 12, 8) + IP_PROTO_TCP + tcp_len;
    pw_put16(tcp + 16, pw_fold(pw_sum16(sum, tcp, tcp_len)));
}

/* One segment from side; SYN and FIN take one sequence number, as in TCP. */
static void pw_segment(pw_writer *w, pw_stream *s, int side, int flags, const uint8_t *data, size_t len)
{
    size_t total = IP_HDR + TCP_HDR + len;
    if (len)
        memcpy(w->frame + IP_HDR + TCP_HDR, data, len);
    pw_ip_header(w, side, total);
    pw_tcp_header(w, s, side, flags, len);
    s->next_seq[side] += (uint32_t)len + (flags & (TCP_SYN | TCP_FIN) ? 1u : 0u);
    int64_t at = w->opts->start_ms + w->t_ms;
    struct pcap_pkthdr h = {.caplen = (bpf_u_int32)total, .len = (bpf_u_int32)total};
    h.ts.tv_sec = (time_t)(at / 1000);
    h.ts.tv_usec = (suseconds_t)(at % 1000 * 1000);
    pcap_dump((u_char *)w->dumper, &h, w->frame);
}

static bool pw_same_conn(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The newest connection under this name, open or closed; NULL if there was none. */
static pw_stream *pw_find_latest(pw_writer *w, const char *conn)
{
    for (size_t i = w->nstreams; i-- > 0;)
        if (pw_same_conn(w->streams[i].conn, conn))
            return &w->streams[i];
    return NULL;
}

static pw_stream *pw_find_open(pw_writer *w, const char *conn)
{
    pw_stream *s = pw_find_latest(w, conn);
    return s && s->open ? s : NULL;
}

/* FIN from the side that closed, the other side's FIN, the last ACK. */
static void pw_close(pw_writer *w, pw_stream *s, int closer)
{
    pw_segment(w, s, closer, TCP_FIN | TCP_ACK, NULL, 0);
    pw_segment(w, s, !closer, TCP_FIN | TCP_ACK, NULL, 0);
    pw_segment(w, s, closer, TCP_ACK, NULL, 0);
    s->open = false;
}

/* A fresh TCP connection for conn, with a new client port and its handshake; NULL when out of memory. */
static pw_stream *pw_open(pw_writer *w, const char *conn)
{
    pw_stream *old = pw_find_open(w, conn);
    if (old) /* a connection opened again under its name: the engine let go of the old one */
        pw_close(w, old, pw_side_of_us(w));
    if (w->nstreams == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 4;
        pw_stream *grown = realloc(w->streams, cap * sizeof *grown);
        if (!grown)
            return NULL;
        w->streams = grown;
        w->cap = cap;
    }
    size_t n = w->nstreams++;
    pw_stream *s = &w->streams[n];
    /* Initial sequence numbers: distinct per connection and side, fixed so that two captures of a case compare. */
    uint32_t isn = (uint32_t)(n + 1) * 0x01000000u;
    *s = (pw_stream){.conn = conn, .client_port = (uint16_t)(MQS_PCAP_FIRST_CLIENT_PORT + n % 16384),
                       .next_seq = {isn, isn + 0x00800000u}, .open = true};
    pw_segment(w, s, SIDE_CLIENT, TCP_SYN, NULL, 0);
    pw_segment(w, s, SIDE_SERVER, TCP_SYN | TCP_ACK, NULL, 0);
    pw_segment(w, s, SIDE_CLIENT, TCP_ACK, NULL, 0);
    return s;
}

/* The bytes of one packet, in segments of at most MQS_PCAP_MAX_SEGMENT bytes. */
static int pw_data(pw_writer *w, const mqs_event *ev, int side)
{
    pw_stream *s = pw_find_latest(w, ev->conn);
    if (s && !s->open) /* recorded after the connection closed: the engine noted them as not sent */
        return 0;
    if (!s && !(s = pw_open(w, ev->conn))) /* bytes without an OPENED before them: open one */
        return -1;
    for (size_t off = 0; off < ev->raw_len;) {
        size_t n = ev->raw_len - off < MQS_PCAP_MAX_SEGMENT ? ev->raw_len - off : MQS_PCAP_MAX_SEGMENT;
        pw_segment(w, s, side, TCP_PSH | TCP_ACK, ev->raw + off, n);
        off += n;
    }
    return 0;
}

static int pw_event(pw_writer *w, const mqs_event *ev)
{
    int us = pw_side_of_us(w);
    pw_stream *s;
    if (ev->t_ms > w->t_ms)
        w->t_ms = ev->t_ms;
    switch (ev->kind) {
    case MQS_EV_OPENED:
        return pw_open(w, ev->conn) ? 0 : -1;
    case MQS_EV_SENT:
    case MQS_EV_RECEIVED:
        if (!ev->raw || !ev->raw_len) /* bytes withheld (a CONNECT that could not be redacted) */
            return 0;
        return pw_data(w, ev, ev->kind == MQS_EV_SENT ? us : !us);
    case MQS_EV_CLOSED:
    case MQS_EV_DROPPED:
        if ((s = pw_find_open(w, ev->conn)))
            pw_close(w, s, ev->kind == MQS_EV_DROPPED ? us : !us);
        return 0;
    case MQS_EV_NOTE: /* words, not wire traffic */
        return 0;
    }
    return 0;
}

static int pw_fail(char *err, size_t err_cap, const char *what, const char *why)
{
    snprintf(err, err_cap, "%s: %s", what, why);
    return -1;
}

int mqs_write_pcap(const mqs_case *c, const mqs_pcap_opts *o, const char *path, char *err, size_t err_cap)
{
    pcap_t *p = pcap_open_dead(DLT_RAW, SNAPLEN);
    if (!p)
        return pw_fail(err, err_cap, path, "pcap_open_dead failed");
    pw_writer *w = calloc(1, sizeof *w);
    pcap_dumper_t *d = w ? pcap_dump_open(p, path) : NULL;
    if (!d) {
        int rc = pw_fail(err, err_cap, path, w ? pcap_geterr(p) : strerror(ENOMEM));
        free(w);
        pcap_close(p);
        return rc;
    }
    w->dumper = d;
    w->opts = o;
    int rc = 0;
    for (size_t i = 0; i < c->nevents && rc == 0; i++)
        rc = pw_event(w, &c->events[i]);
    if (rc < 0)
        pw_fail(err, err_cap, path, strerror(ENOMEM));
    else if (pcap_dump_flush(d) != 0 || ferror(pcap_dump_file(d)))
        rc = pw_fail(err, err_cap, path, "write error");
    pcap_dump_close(d);
    pcap_close(p);
    free(w->streams);
    free(w);
    return rc;
}
