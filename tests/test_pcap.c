/*
 * reports/pcap.c: a case's events written as a capture file, read back here
 * byte by byte (not with libpcap, so the test does not trust the library it
 * checks the use of): the file header (magic, version, link type), every
 * record, the synthesized IPv4/TCP headers (ports, flags, sequence and
 * acknowledgement numbers, checksums), timestamps and payloads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mqttspec/pcap.h"
#include "mqttspec/result.h"

enum { LINKTYPE_RAW = 101, MAX_FRAMES = 64 };
enum { FIN = 0x01, SYN = 0x02, PSH = 0x08, ACK = 0x10 };

typedef struct frame {
    uint32_t ts_sec, ts_usec, len;
    const uint8_t *ip; /* into the file's bytes */
} frame;

typedef struct capture {
    uint8_t *data;
    size_t size;
    uint32_t magic, linktype, snaplen;
    uint16_t major, minor;
    frame frames[MAX_FRAMES];
    size_t nframes;
} capture;

static uint32_t le32(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* The frame's fields, for the checks below. */
static uint16_t src_port(const frame *f) { return be16(f->ip + 20); }
static uint16_t dst_port(const frame *f) { return be16(f->ip + 22); }
static uint32_t seq_of(const frame *f) { return be32(f->ip + 24); }
static uint32_t ack_of(const frame *f) { return be32(f->ip + 28); }
static int flags_of(const frame *f) { return f->ip[33]; }
static size_t payload_len(const frame *f) { return f->len - 40; }
static const uint8_t *payload(const frame *f) { return f->ip + 40; }

/* The one's complement sum over data that holds its own checksum: 0xffff when the checksum is right. */
static uint32_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static void assert_checksums(const frame *f)
{
    assert_int_equal(fold(sum16(0, f->ip, 20)), 0xffff);
    uint32_t tcp_len = f->len - 20;
    uint32_t pseudo = sum16(0, f->ip + 12, 8) + 6 + tcp_len;
    assert_int_equal(fold(sum16(pseudo, f->ip + 20, tcp_len)), 0xffff);
}

/* Read a pcap file written in this machine's byte order (little-endian here) and check every IPv4 header. */
static void read_capture(const char *path, capture *cap)
{
    memset(cap, 0, sizeof *cap);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    cap->data = malloc(1 << 20);
    assert_non_null(cap->data);
    cap->size = fread(cap->data, 1, 1 << 20, f);
    fclose(f);
    assert_true(cap->size >= 24);
    cap->magic = le32(cap->data);
    cap->major = le16(cap->data + 4);
    cap->minor = le16(cap->data + 6);
    cap->snaplen = le32(cap->data + 16);
    cap->linktype = le32(cap->data + 20);
    for (size_t off = 24; off < cap->size; cap->nframes++) {
        assert_true(cap->nframes < MAX_FRAMES);
        assert_true(off + 16 <= cap->size);
        frame *fr = &cap->frames[cap->nframes];
        fr->ts_sec = le32(cap->data + off);
        fr->ts_usec = le32(cap->data + off + 4);
        fr->len = le32(cap->data + off + 8);
        assert_int_equal(le32(cap->data + off + 12), fr->len); /* nothing cut off */
        fr->ip = cap->data + off + 16;
        assert_true(off + 16 + fr->len <= cap->size);
        assert_int_equal(fr->ip[0], 0x45);
        assert_int_equal(be16(fr->ip + 2), fr->len);
        assert_int_equal(fr->ip[9], 6);
        assert_int_equal(fr->ip[32] >> 4, 5); /* TCP header of 20 bytes */
        assert_checksums(fr);
        off += 16 + fr->len;
    }
}

static char path_buf[64];

static const char *temp_path(void)
{
    snprintf(path_buf, sizeof path_buf, "/tmp/test_pcap_%ld.pcap", (long)getpid());
    return path_buf;
}

static void write_case(const mqs_case *c, bool we_are_server, int64_t start_ms, capture *cap)
{
    mqs_pcap_opts o = {.we_are_server = we_are_server, .start_ms = start_ms};
    char err[256] = "";
    assert_int_equal(mqs_write_pcap(c, &o, temp_path(), err, sizeof err), 0);
    read_capture(temp_path(), cap);
    unlink(temp_path());
}

static const uint8_t connect_bytes[] = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00};
static const uint8_t connack_bytes[] = {0x20, 0x02, 0x00, 0x00};

/* A case of its own run (which owns and frees it). */
static mqs_case *new_case(mqs_run *run)
{
    memset(run, 0, sizeof *run);
    mqs_case *c = mqs_run_add_case(run);
    assert_non_null(c);
    return c;
}

/* OPENED, CONNECT, CONNACK, then the close named by last. */
static mqs_case *connect_case(mqs_run *run, mqs_event_kind last)
{
    mqs_case *c = new_case(run);
    mqs_case_event(c, 0, MQS_EV_OPENED, "a", "connection opened", NULL, 0);
    mqs_case_event(c, 3, MQS_EV_SENT, "a", "CONNECT", connect_bytes, sizeof connect_bytes);
    mqs_case_event(c, 4, MQS_EV_NOTE, "a", "a note has no traffic", NULL, 0);
    mqs_case_event(c, 5, MQS_EV_RECEIVED, "a", "CONNACK", connack_bytes, sizeof connack_bytes);
    mqs_case_event(c, 1250, last, "a", NULL, NULL, 0);
    return c;
}

/* The handshake: SYN, SYN-ACK, ACK on a fresh client port to 1883, the numbers following each other. */
static void assert_handshake(const capture *cap, size_t at, uint16_t client_port)
{
    const frame *syn = &cap->frames[at], *synack = &cap->frames[at + 1], *ack = &cap->frames[at + 2];
    assert_int_equal(flags_of(syn), SYN);
    assert_int_equal(src_port(syn), client_port);
    assert_int_equal(dst_port(syn), MQS_PCAP_SERVER_PORT);
    assert_int_equal(flags_of(synack), SYN | ACK);
    assert_int_equal(src_port(synack), MQS_PCAP_SERVER_PORT);
    assert_int_equal(ack_of(synack), seq_of(syn) + 1);
    assert_int_equal(flags_of(ack), ACK);
    assert_int_equal(seq_of(ack), seq_of(syn) + 1);
    assert_int_equal(ack_of(ack), seq_of(synack) + 1);
}

static void test_file_header_and_client_role(void **state)
{
    (void)state;
    mqs_run run;
    mqs_case *c = connect_case(&run, MQS_EV_DROPPED);
    capture cap;
    write_case(c, false, 1700000000123, &cap);
    assert_int_equal(cap.magic, 0xa1b2c3d4); /* pcap, microseconds */
    assert_int_equal(cap.major, 2);
    assert_int_equal(cap.minor, 4);
    assert_int_equal(cap.linktype, LINKTYPE_RAW);
    assert_true(cap.snaplen >= 65535);
    assert_int_equal(cap.nframes, 3 + 2 + 3); /* handshake, CONNECT and CONNACK, FIN exchange; no note */
    assert_handshake(&cap, 0, MQS_PCAP_FIRST_CLIENT_PORT);
    const frame *syn = &cap.frames[0], *synack = &cap.frames[1];
    const frame *conn = &cap.frames[3], *connack = &cap.frames[4];
    assert_int_equal(src_port(conn), MQS_PCAP_FIRST_CLIENT_PORT); /* we are the client: SENT from its port */
    assert_int_equal(flags_of(conn), PSH | ACK);
    assert_int_equal(seq_of(conn), seq_of(syn) + 1);
    assert_int_equal(ack_of(conn), seq_of(synack) + 1);
    assert_int_equal(payload_len(conn), sizeof connect_bytes);
    assert_memory_equal(payload(conn), connect_bytes, sizeof connect_bytes);
    assert_int_equal(src_port(connack), MQS_PCAP_SERVER_PORT);
    assert_int_equal(seq_of(connack), seq_of(synack) + 1);
    assert_int_equal(ack_of(connack), seq_of(conn) + sizeof connect_bytes);
    assert_memory_equal(payload(connack), connack_bytes, sizeof connack_bytes);
    /* DROPPED: we (the client) send the first FIN */
    const frame *fin1 = &cap.frames[5], *fin2 = &cap.frames[6], *last = &cap.frames[7];
    assert_int_equal(flags_of(fin1), FIN | ACK);
    assert_int_equal(src_port(fin1), MQS_PCAP_FIRST_CLIENT_PORT);
    assert_int_equal(seq_of(fin1), seq_of(conn) + sizeof connect_bytes);
    assert_int_equal(flags_of(fin2), FIN | ACK);
    assert_int_equal(seq_of(fin2), seq_of(connack) + sizeof connack_bytes);
    assert_int_equal(ack_of(fin2), seq_of(fin1) + 1);
    assert_int_equal(flags_of(last), ACK);
    assert_int_equal(ack_of(last), seq_of(fin2) + 1);
    /* times: the run's start plus the event's */
    assert_int_equal(syn->ts_sec, 1700000000);
    assert_int_equal(syn->ts_usec, 123000);
    assert_int_equal(conn->ts_usec, 126000);
    assert_int_equal(last->ts_sec, 1700000001);
    assert_int_equal(last->ts_usec, 373000);
    free(cap.data);
    mqs_run_free(&run);
}

/* sim --scenario: we are the server, so SENT leaves port 1883 and CLOSED (the peer, the client) FINs first. */
static void test_server_role(void **state)
{
    (void)state;
    mqs_run run;
    mqs_case *c = connect_case(&run, MQS_EV_CLOSED);
    capture cap;
    write_case(c, true, 0, &cap);
    assert_int_equal(cap.nframes, 8);
    assert_handshake(&cap, 0, MQS_PCAP_FIRST_CLIENT_PORT);
    assert_int_equal(src_port(&cap.frames[3]), MQS_PCAP_SERVER_PORT);
    assert_int_equal(src_port(&cap.frames[4]), MQS_PCAP_FIRST_CLIENT_PORT);
    assert_int_equal(src_port(&cap.frames[5]), MQS_PCAP_FIRST_CLIENT_PORT);
    assert_int_equal(flags_of(&cap.frames[5]), FIN | ACK);
    free(cap.data);
    mqs_run_free(&run);
}

/* The same name opened again: the old connection ends (we close it), the new one has the next port. */
static void test_reconnect_new_port(void **state)
{
    (void)state;
    mqs_run run;
    mqs_case *c = new_case(&run);
    mqs_case_event(c, 0, MQS_EV_OPENED, "a", NULL, NULL, 0);
    mqs_case_event(c, 1, MQS_EV_OPENED, "b", NULL, NULL, 0);
    mqs_case_event(c, 2, MQS_EV_OPENED, "a", NULL, NULL, 0);
    mqs_case_event(c, 3, MQS_EV_SENT, "a", NULL, connack_bytes, sizeof connack_bytes);
    capture cap;
    write_case(c, false, 0, &cap);
    assert_int_equal(cap.nframes, 3 + 3 + 3 + 3 + 1);
    assert_handshake(&cap, 0, MQS_PCAP_FIRST_CLIENT_PORT);
    assert_handshake(&cap, 3, MQS_PCAP_FIRST_CLIENT_PORT + 1);
    assert_int_equal(flags_of(&cap.frames[6]), FIN | ACK);
    assert_int_equal(src_port(&cap.frames[6]), MQS_PCAP_FIRST_CLIENT_PORT);
    assert_handshake(&cap, 9, MQS_PCAP_FIRST_CLIENT_PORT + 2);
    assert_int_equal(src_port(&cap.frames[12]), MQS_PCAP_FIRST_CLIENT_PORT + 2);
    assert_int_not_equal(seq_of(&cap.frames[0]), seq_of(&cap.frames[9])); /* a new connection, new numbers */
    free(cap.data);
    mqs_run_free(&run);
}

/* A packet longer than one segment spans several, numbered back to back; bytes without OPENED open a connection. */
static void test_long_packet_and_implicit_open(void **state)
{
    (void)state;
    size_t n = MQS_PCAP_MAX_SEGMENT + 1000;
    uint8_t *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (uint8_t)(i * 7);
    mqs_run run;
    mqs_case *c = new_case(&run);
    mqs_case_event(c, 0, MQS_EV_RECEIVED, "a", NULL, big, n);
    mqs_case_event(c, 1, MQS_EV_SENT, "a", "bytes withheld", NULL, 0);
    capture cap;
    write_case(c, false, 0, &cap);
    assert_int_equal(cap.nframes, 3 + 2);
    assert_handshake(&cap, 0, MQS_PCAP_FIRST_CLIENT_PORT);
    const frame *s1 = &cap.frames[3], *s2 = &cap.frames[4];
    assert_int_equal(payload_len(s1), MQS_PCAP_MAX_SEGMENT);
    assert_int_equal(payload_len(s2), 1000);
    assert_int_equal(seq_of(s2), seq_of(s1) + MQS_PCAP_MAX_SEGMENT);
    assert_memory_equal(payload(s1), big, MQS_PCAP_MAX_SEGMENT);
    assert_memory_equal(payload(s2), big + MQS_PCAP_MAX_SEGMENT, 1000);
    free(big);
    free(cap.data);
    mqs_run_free(&run);
}

/* An event earlier than the one before it (a close time noted late) does not make the clock go back. */
static void test_time_never_goes_back(void **state)
{
    (void)state;
    mqs_run run;
    mqs_case *c = new_case(&run);
    mqs_case_event(c, 0, MQS_EV_OPENED, "a", NULL, NULL, 0);
    mqs_case_event(c, 900, MQS_EV_SENT, "a", NULL, connack_bytes, sizeof connack_bytes);
    mqs_case_event(c, 400, MQS_EV_CLOSED, "a", NULL, NULL, 0);
    capture cap;
    write_case(c, false, 0, &cap);
    assert_int_equal(cap.nframes, 7);
    for (size_t i = 1; i < cap.nframes; i++)
        assert_true(cap.frames[i].ts_sec * 1000000ull + cap.frames[i].ts_usec >=
                    cap.frames[i - 1].ts_sec * 1000000ull + cap.frames[i - 1].ts_usec);
    free(cap.data);
    mqs_run_free(&run);
}

/* Bytes recorded after the peer closed never reached the wire (the engine notes "not sent"): not in the capture. */
static void test_nothing_after_close(void **state)
{
    (void)state;
    mqs_run run;
    mqs_case *c = connect_case(&run, MQS_EV_CLOSED);
    mqs_case_event(c, 1300, MQS_EV_SENT, "a", NULL, connect_bytes, sizeof connect_bytes);
    mqs_case_event(c, 1301, MQS_EV_DROPPED, "a", NULL, NULL, 0);
    capture cap;
    write_case(c, false, 0, &cap);
    assert_int_equal(cap.nframes, 8);
    assert_int_equal(flags_of(&cap.frames[7]), ACK);
    free(cap.data);
    mqs_run_free(&run);
}

static void test_unwritable_path(void **state)
{
    (void)state;
    mqs_run run;
    mqs_case *c = connect_case(&run, MQS_EV_DROPPED);
    mqs_pcap_opts o = {0};
    char err[256] = "";
    assert_int_equal(mqs_write_pcap(c, &o, "/nonexistent-folder/x.pcap", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-folder/x.pcap"));
    mqs_run_free(&run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_header_and_client_role),
        cmocka_unit_test(test_server_role),
        cmocka_unit_test(test_reconnect_new_port),
        cmocka_unit_test(test_long_packet_and_implicit_open),
        cmocka_unit_test(test_time_never_goes_back),
        cmocka_unit_test(test_nothing_after_close),
        cmocka_unit_test(test_unwritable_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
