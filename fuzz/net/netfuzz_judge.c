/*
 * The differential judge of the network fuzzer: the codec's verdict on what
 * we sent, the target's reaction to it, and whether the specification allows
 * that reaction to that verdict.
 */
#include <stdio.h>
#include <string.h>

#include "netfuzz_internal.h"

const char *nf_kind_name(nf_kind k)
{
    static const char *const names[] = {"valid", "malformed", "state-error", "incomplete", "disconnect"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

const char *nf_react_name(nf_react_kind k)
{
    static const char *const names[] = {"continued", "closed", "silent"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* A first CONNECT the codec rejects: does it also have a bad protocol name or level, other faults? */
static uint8_t connect_bits(const uint8_t *p, size_t n, mqtt_err err)
{
    size_t hdr;
    nf_read_rl(p, n, &hdr);
    if (n < hdr + 2)
        return 0;
    size_t nl = (size_t)p[hdr] << 8 | p[hdr + 1], at = hdr + 2 + nl;
    uint8_t bits = 0;
    const uint8_t *name = p + hdr + 2;
    if (at > n || !((nl == 4 && memcmp(name, "MQTT", 4) == 0) || (nl == 6 && memcmp(name, "MQIsdp", 6) == 0)))
        bits |= NF_CB_NAME;
    if (at < n && (p[at] < MQTT_V31 || p[at] > MQTT_V5))
        bits |= NF_CB_LEVEL;
    if ((nl == 6 && at <= n && memcmp(name, "MQIsdp", 6) == 0) || (at < n && p[at] == MQTT_V31))
        bits |= NF_CB_V31;
    /* level, flags, keep alive, then (3.1.1) the client id's length */
    if (at + 6 <= n && p[at] == MQTT_V311 && !(p[at + 1] & 0x02) && p[at + 4] == 0 && p[at + 5] == 0)
        bits |= NF_CB_EMPTY_ID;
    if (err != MQTT_E_PROTOCOL_LEVEL || at >= n)
        return (uint8_t)(bits | NF_CB_ELSE);
    /* only the level is wrong?  The same bytes at level 4 or 5 */
    uint8_t copy[512];
    if (n > sizeof copy)
        return (uint8_t)(bits | NF_CB_ELSE);
    memcpy(copy, p, n);
    for (uint8_t level = MQTT_V311; level <= MQTT_V5; level++) {
        copy[at] = level;
        mqtt_decode_opts o = {MQTT_VERSION_UNKNOWN, MQTT_ROLE_SERVER, 0};
        mqtt_packet pkt;
        mqtt_error e;
        size_t used;
        if (mqtt_decode(copy, n, &o, &pkt, &used, &e) == MQTT_COMPLETE)
            return bits;
    }
    return (uint8_t)(bits | NF_CB_ELSE);
}

nf_verdict nf_judge(const uint8_t *p, size_t n, mqtt_version version, bool first)
{
    nf_verdict out = {NF_VALID, n ? (uint8_t)(p[0] >> 4) : 0, MQTT_E_OK, 0, 0, (uint32_t)n, version, 0, 0};
    mqtt_version cur = first ? MQTT_VERSION_UNKNOWN : version;
    size_t off = 0;
    if (n == 0) {
        out.kind = NF_INCOMPLETE;
        return out;
    }
    while (off < n) {
        mqtt_decode_opts o = {cur, MQTT_ROLE_SERVER, 0};
        mqtt_packet pkt;
        mqtt_error err;
        size_t used = 0;
        mqtt_status st = mqtt_decode(p + off, n - off, &o, &pkt, &used, &err);
        out.type = (uint8_t)(p[off] >> 4);
        out.start = (uint32_t)off;
        if (st == MQTT_NEED_MORE) {
            out.kind = NF_INCOMPLETE;
            out.offset = (uint32_t)off;
            return out;
        }
        if (st == MQTT_MALFORMED) {
            size_t flen;
            mqtt_error ferr;
            /* framed as 3.1.1 does (non-minimal lengths allowed): where the target sees the packet end */
            out.end = mqtt_frame(p + off, n - off, 0, MQTT_V311, &flen, &ferr) == MQTT_COMPLETE ? (uint32_t)(off + flen)
                                                                                               : (uint32_t)n;
            if (cur == MQTT_VERSION_UNKNOWN && p[off] >> 4 == MQTT_CONNECT)
                out.connect_bits = connect_bits(p + off, n - off, err.code);
            out.kind = NF_MALFORMED;
            out.err = err.code;
            out.offset = (uint32_t)(off + err.offset);
            if (err.version)
                out.version = (mqtt_version)err.version;
            else if (cur != MQTT_VERSION_UNKNOWN)
                out.version = cur;
            return out;
        }
        if (pkt.type == MQTT_CONNECT) {
            uint8_t level = pkt.u.connect.protocol_level;
            if (cur != MQTT_VERSION_UNKNOWN) { /* a second CONNECT: MQTT-3.1.0-2 */
                out.end = (uint32_t)(off + used);
                out.kind = NF_STATE_ERROR;
                out.offset = (uint32_t)off;
                return out;
            }
            cur = (mqtt_version)level;
            out.version = cur;
        } else if (pkt.type == MQTT_AUTH) { /* no Authentication Method was agreed in CONNECT */
            out.end = (uint32_t)(off + used);
            out.kind = NF_STATE_ERROR;
            out.offset = (uint32_t)off;
            return out;
        } else if (pkt.type == MQTT_DISCONNECT) {
            out.end = (uint32_t)(off + used);
            out.kind = NF_DISCONNECT;
            out.offset = (uint32_t)off;
            return out;
        } else if (pkt.type == MQTT_PINGREQ) {
            out.pingreqs++;
        }
        off += used;
    }
    out.type = (uint8_t)(p[0] >> 4);
    out.start = 0;
    return out;
}

/*
 * A topic of more levels than this is one a server may decline: nothing in either specification bounds the
 * levels, but a server may refuse a topic it does not accept -- 5.0 names it (0x90 Topic Name invalid: "correctly
 * formed, but is not accepted by this Client or Server"; 0x8F for filters), 3.1.1 lets a server that does not
 * perform a PUBLISH close the connection (MQTT-3.3.5-2).  mosquitto 2.0.11 closes on topics of 202 levels or more.
 */
#define NF_DEEP_LEVELS 256

static bool deep(mqtt_bytes b)
{
    unsigned levels = 1;
    for (uint32_t i = 0; b.ptr && i < b.len && levels <= NF_DEEP_LEVELS; i++)
        levels += b.ptr[i] == '/';
    return levels > NF_DEEP_LEVELS;
}

/* A code point the spec discourages (1.5.3 / 1.5.4): controls and non-characters; a receiver MAY close on them. */
static bool discouraged(mqtt_bytes b)
{
    if (!b.ptr) /* an absent field (a 3.1 User Name may be flagged yet missing) */
        return false;
    const uint8_t *p = b.ptr, *end = b.ptr + b.len;
    while (p && p < end) {
        uint32_t cp = *p;
        int extra = cp < 0x80 ? 0 : cp < 0xE0 ? 1 : cp < 0xF0 ? 2 : 3;
        if (extra)
            cp &= extra == 1 ? 0x1F : extra == 2 ? 0x0F : 0x07;
        for (int i = 0; i < extra && p + 1 + i < end; i++)
            cp = cp << 6 | (p[1 + i] & 0x3F);
        p += 1 + extra;
        if ((cp >= 0x01 && cp <= 0x1F) || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0xFDD0 && cp <= 0xFDEF) ||
            (cp & 0xFFFE) == 0xFFFE)
            return true;
    }
    return false;
}

static bool props_discouraged(mqtt_props props)
{
    mqtt_prop_iter it;
    mqtt_property pr;
    mqtt_prop_iter_init(&it, props);
    while (mqtt_prop_next(&it, &pr)) {
        mqtt_prop_type t = mqtt_prop_type_of(pr.id);
        if ((t == MQTT_PT_UTF8 || t == MQTT_PT_PAIR) && discouraged(pr.data))
            return true;
        if (t == MQTT_PT_PAIR && discouraged(pr.value2))
            return true;
    }
    return false;
}

static bool list_discouraged(mqtt_list list, bool with_options)
{
    mqtt_list_iter it;
    mqtt_sub_entry e;
    mqtt_list_iter_init(&it, list, with_options);
    while (mqtt_list_next(&it, &e))
        if (discouraged(e.filter) || deep(e.filter))
            return true;
    return false;
}

/* Does one decoded packet give the receiver a licence to close? */
static bool packet_may_close(const mqtt_packet *pkt, mqtt_version v)
{
    mqtt_property pr;
    switch (pkt->type) {
    case MQTT_CONNECT: {
        const mqtt_connect *c = &pkt->u.connect;
        /* a Maximum Packet Size too small for any CONNACK the server would send (MQTT-3.1.2-24) */
        if (mqtt_prop_find(c->props, MQTT_PROP_MAXIMUM_PACKET_SIZE, &pr) && pr.value < 128)
            return true;
        return discouraged(c->client_id) || (c->will && discouraged(c->will_topic)) ||
               (c->has_username && discouraged(c->username)) || props_discouraged(c->props) ||
               props_discouraged(c->will_props);
    }
    case MQTT_PUBLISH: {
        const mqtt_publish *p = &pkt->u.publish;
        if (discouraged(p->topic) || deep(p->topic) || props_discouraged(p->props))
            return true;
        if (v == MQTT_V5 && mqtt_prop_find(p->props, MQTT_PROP_TOPIC_ALIAS, &pr))
            return true; /* the target's Topic Alias Maximum decides */
        if (v == MQTT_V5 && mqtt_prop_find(p->props, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, &pr) && pr.value == 1) {
            mqtt_err why;
            size_t bad;
            return !mqtt_utf8_valid(p->payload.ptr, p->payload.len, &why, &bad) || discouraged(p->payload);
        }
        return false;
    }
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
        return props_discouraged(pkt->u.subs.props) || list_discouraged(pkt->u.subs.list, pkt->type == MQTT_SUBSCRIBE);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        return props_discouraged(pkt->u.ack.props);
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        return props_discouraged(pkt->u.disconnect.props);
    default:
        return false;
    }
}

/*
 * A QoS 1/2 PUBLISH whose packet id an earlier one in the same bytes had: 5.0 forbids resending on the same
 * connection ("Clients and Servers MUST NOT resend messages at any other time", MQTT-4.4.0-1) and a new
 * message must take an unused id (MQTT-2.2.1-3); 3.1.1 allows a resend (DUP 1), not a reused id
 * (MQTT-2.3.1-2).  Either way the receiver may take it for a protocol error.
 */
typedef struct seen_ids {
    uint16_t id[64];
    unsigned n;
} seen_ids;

static bool publish_id_reused(seen_ids *s, const mqtt_publish *p, mqtt_version v)
{
    if (p->qos == 0)
        return false;
    for (unsigned i = 0; i < s->n; i++)
        if (s->id[i] == p->packet_id)
            return v == MQTT_V5 || !p->dup;
    if (s->n < sizeof s->id / sizeof s->id[0])
        s->id[s->n++] = p->packet_id;
    return false;
}

bool nf_may_close(const uint8_t *p, size_t n, mqtt_version version)
{
    size_t off = 0;
    mqtt_version cur = n && p[0] >> 4 == MQTT_CONNECT ? MQTT_VERSION_UNKNOWN : version;
    seen_ids ids = {.n = 0};
    while (off < n) {
        mqtt_decode_opts o = {cur, MQTT_ROLE_SERVER, 0};
        mqtt_packet pkt;
        mqtt_error err;
        size_t used = 0;
        if (mqtt_decode(p + off, n - off, &o, &pkt, &used, &err) != MQTT_COMPLETE)
            return false;
        if (pkt.type == MQTT_CONNECT)
            cur = (mqtt_version)pkt.u.connect.protocol_level;
        if (packet_may_close(&pkt, cur))
            return true;
        if (pkt.type == MQTT_PUBLISH && publish_id_reused(&ids, &pkt.u.publish, cur))
            return true;
        off += used;
    }
    return false;
}

/* ---- reactions ---- */

void nf_reaction_init(nf_reaction *r)
{
    memset(r, 0, sizeof *r);
    r->kind = NF_R_SILENT;
    r->answer_code = r->connack_code = r->disconnect_code = -1;
}

unsigned nf_answer_mask(uint8_t t)
{
    switch (t) {
    case MQTT_CONNECT: return 1u << MQTT_CONNACK;
    case MQTT_PUBLISH: return 1u << MQTT_PUBACK | 1u << MQTT_PUBREC;
    case MQTT_PUBREC: return 1u << MQTT_PUBREL;
    case MQTT_PUBREL: return 1u << MQTT_PUBCOMP;
    case MQTT_SUBSCRIBE: return 1u << MQTT_SUBACK;
    case MQTT_UNSUBSCRIBE: return 1u << MQTT_UNSUBACK;
    case MQTT_AUTH: return 1u << MQTT_AUTH | 1u << MQTT_CONNACK;
    default: /* packets no server answers (acks, server-only types, reserved types) */
        return 1u << MQTT_CONNACK | 1u << MQTT_SUBACK | 1u << MQTT_UNSUBACK | 1u << MQTT_PUBACK | 1u << MQTT_PUBREC |
               1u << MQTT_AUTH;
    }
}

int nf_packet_id(const uint8_t *p, size_t n)
{
    size_t hdr;
    if (n < 2)
        return -1;
    nf_read_rl(p, n, &hdr);
    switch (p[0] >> 4) {
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
        return n >= hdr + 2 ? p[hdr] << 8 | p[hdr + 1] : -1;
    case MQTT_PUBLISH: {
        if (!(p[0] & 0x06) || n < hdr + 2)
            return -1;
        size_t at = hdr + 2 + (size_t)(p[hdr] << 8 | p[hdr + 1]);
        return n >= at + 2 ? p[at] << 8 | p[at + 1] : -1;
    }
    default:
        return -1;
    }
}

static int packet_id_of(const mqtt_packet *pkt)
{
    switch (pkt->type) {
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        return pkt->u.ack.packet_id;
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        return pkt->u.subs.packet_id;
    default:
        return -1;
    }
}

void nf_reaction_packet(nf_reaction *r, uint8_t culprit_type, int culprit_id, const mqtt_packet *pkt)
{
    if (pkt->type == MQTT_CONNACK && r->connack_code < 0)
        r->connack_code = pkt->u.connack.code;
    if (pkt->type == MQTT_DISCONNECT) {
        r->disconnect_code = pkt->u.disconnect.code;
        return;
    }
    if (r->answer || !(nf_answer_mask(culprit_type) & (1u << pkt->type)))
        return;
    int id = packet_id_of(pkt);
    if (culprit_id >= 0 && id >= 0 && id != culprit_id)
        return; /* an acknowledgement of some other flow */
    if (culprit_id < 0 && id >= 0 && culprit_type >= MQTT_PUBACK && culprit_type <= MQTT_PUBCOMP)
        return; /* an ack whose own id cannot be read: what answers it cannot be told from other flows */
    r->answer = pkt->type;
    switch (pkt->type) {
    case MQTT_CONNACK:
        r->answer_code = pkt->u.connack.code;
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        r->answer_code = pkt->u.ack.code;
        r->answer_id = pkt->u.ack.packet_id;
        break;
    case MQTT_SUBACK:
    case MQTT_UNSUBACK: {
        r->answer_id = pkt->u.subs.packet_id;
        const uint8_t *c = pkt->u.subs.list.ptr;
        for (uint32_t i = 0; i < pkt->u.subs.list.len; i++) {
            if (c[i] >= 0x80 && !r->suback_failure) {
                r->suback_failure = pkt->type == MQTT_SUBACK;
                r->answer_code = c[i];
            }
        }
        if (r->answer_code < 0 && pkt->u.subs.list.len)
            r->answer_code = c[0];
        break;
    }
    default:
        r->answer_code = pkt->u.disconnect.code;
        break;
    }
}

/* ---- what the spec requires ---- */

static bool filter_syntax(mqtt_err e)
{
    return e == MQTT_E_TOPIC_FILTER_HASH || e == MQTT_E_TOPIC_FILTER_PLUS || e == MQTT_E_TOPIC_FILTER_EMPTY ||
           e == MQTT_E_SHARE_NAME;
}

nf_requirement nf_required(const nf_verdict *v, bool first, mqtt_version version)
{
    bool v5 = (v->version == MQTT_V5) || (v->version != MQTT_V31 && v->version != MQTT_V311 && version == MQTT_V5);
    switch (v->kind) {
    case NF_INCOMPLETE:
    case NF_DISCONNECT:
        return NF_REQ_NONE;
    case NF_VALID:
        return first ? NF_REQ_CONNACK : NF_REQ_CONTINUE;
    case NF_STATE_ERROR:
        return first ? NF_REQ_CLOSE_ANY_CONNACK : NF_REQ_CLOSE;
    case NF_MALFORMED:
        break;
    }
    if (first && v->type == MQTT_CONNECT) {
        if (v->connect_bits & NF_CB_V31)
            return NF_REQ_NONE; /* MQTT 3.1: its own rules (flags on every packet...) are not the codec's */
        if (v->err == MQTT_E_PROTOCOL_LEVEL && !(v->connect_bits & (NF_CB_ELSE | NF_CB_NAME)))
            return version == MQTT_V5 ? NF_REQ_LEVEL_5 : NF_REQ_CONNACK_1_CLOSE;
        if (v->err == MQTT_E_CLIENT_ID_EMPTY_PERSISTENT)
            return NF_REQ_CONNACK_2_CLOSE;
        /* a bad name or level next to other faults: the server may act on either */
        if (v->err == MQTT_E_PROTOCOL_LEVEL || v->err == MQTT_E_PROTOCOL_NAME ||
            (v->connect_bits & (NF_CB_LEVEL | NF_CB_NAME | NF_CB_EMPTY_ID)))
            return NF_REQ_REFUSE_OR_CLOSE;
        return v5 ? NF_REQ_CONNACK_FAIL_OR_CLOSE : NF_REQ_CLOSE_NO_CONNACK;
    }
    if (first) /* the first packet is not a CONNECT (MQTT-3.1.0-1): close, nothing before */
        return NF_REQ_CLOSE_NO_CONNACK;
    if (filter_syntax(v->err) && v->type == MQTT_SUBSCRIBE)
        return NF_REQ_SUBACK_FAIL_OR_CLOSE;
    if (filter_syntax(v->err) && v->type == MQTT_UNSUBSCRIBE)
        return NF_REQ_UNSUBACK_OR_CLOSE;
    return NF_REQ_CLOSE;
}

/* 5.0 DISCONNECT reasons a server may give for limits of its own, whatever the packet: not the codec's business. */
static bool limit_reason(int code)
{
    static const int codes[] = {0x83, 0x87, 0x89, 0x8E, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97,
                                0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA1, 0xA2};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i] == code)
            return true;
    return false;
}

/* Closed with nothing before the close but (5.0, after a CONNACK) a DISCONNECT >= 0x80. */
static bool clean_close(const nf_reaction *r, mqtt_version version)
{
    if (r->kind != NF_R_CLOSED || r->answer)
        return false;
    return r->disconnect_code < 0 || (version == MQTT_V5 && r->disconnect_code >= 0x80);
}

bool nf_reaction_allowed(nf_requirement req, const nf_reaction *r, mqtt_version version, bool may_close)
{
    if (r->target_malformed)
        return false;
    bool closed = r->kind == NF_R_CLOSED;
    int cc = r->connack_code;
    switch (req) {
    case NF_REQ_NONE:
        return true;
    case NF_REQ_CONTINUE:
        if (r->kind == NF_R_CONTINUED)
            return true;
        return closed && (may_close || (version == MQTT_V5 && limit_reason(r->disconnect_code)));
    case NF_REQ_CLOSE:
        return clean_close(r, version);
    case NF_REQ_CLOSE_NO_CONNACK:
        return closed && cc < 0 && !r->answer && r->disconnect_code < 0;
    case NF_REQ_CONNACK_FAIL_OR_CLOSE:
        return closed && (cc < 0 || cc >= 0x80) && r->disconnect_code < 0;
    case NF_REQ_CONNACK_1_CLOSE:
        return closed && cc == 0x01;
    case NF_REQ_LEVEL_5:
        return closed && (cc < 0 || cc == 0x01 || cc == 0x84) && r->disconnect_code < 0;
    case NF_REQ_REFUSE_OR_CLOSE:
        return closed && (cc < 0 || (cc >= 1 && cc <= 5) || (version == MQTT_V5 && cc >= 0x80)) &&
               r->disconnect_code < 0;
    case NF_REQ_CONNACK_2_CLOSE:
        return closed && cc == 0x02;
    case NF_REQ_CLOSE_ANY_CONNACK:
        return closed && (r->answer == 0 || r->answer == MQTT_CONNACK) &&
               (r->disconnect_code < 0 || r->disconnect_code >= 0x80);
    case NF_REQ_SUBACK_FAIL_OR_CLOSE:
        return clean_close(r, version) ||
               (r->kind == NF_R_CONTINUED && r->answer == MQTT_SUBACK && r->suback_failure);
    case NF_REQ_UNSUBACK_OR_CLOSE:
        return clean_close(r, version) || (r->kind == NF_R_CONTINUED && r->answer == MQTT_UNSUBACK);
    case NF_REQ_CONNACK:
        return cc >= 0 || (closed && may_close);
    }
    return false;
}

/* ---- signatures ---- */

/* For a case the server must not accept, an answered PINGREQ and silence are the same finding: it kept the
 * connection open (silence mostly means it took our PINGREQ for the rest of a packet). */
static nf_react_kind react_class(nf_kind kind, nf_react_kind r)
{
    return kind != NF_VALID && r == NF_R_SILENT ? NF_R_CONTINUED : r;
}

bool nf_signature_match(const nf_signature *want, const nf_signature *got)
{
    if (want->target_malformed || got->target_malformed)
        return want->target_malformed == got->target_malformed && want->err == got->err &&
               (want->type == NF_TYPE_ANY || want->type == got->type);
    nf_react_kind rc = react_class(want->kind, want->react);
    bool kept_open = want->kind != NF_VALID && rc == NF_R_CONTINUED; /* what it answered meanwhile is detail */
    return want->kind == got->kind && want->err == got->err && rc == react_class(got->kind, got->react) &&
           (kept_open || want->answer == got->answer) && (want->type == NF_TYPE_ANY || want->type == got->type);
}

static void lower_kebab(char *s)
{
    for (; *s; s++) {
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
        else if (*s == '_' || *s == ' ')
            *s = '-';
    }
}

void nf_signature_name(const nf_signature *s, char *buf, size_t cap)
{
    const char *type = s->type == NF_TYPE_ANY ? "batch" : s->type == 0 ? "reserved" : mqtt_packet_type_name(s->type);
    if (s->target_malformed) {
        snprintf(buf, cap, "%s-target-sent-%s", type, mqtt_err_name(s->err));
    } else {
        const char *what = s->kind == NF_MALFORMED ? mqtt_err_name(s->err) : nf_kind_name(s->kind);
        bool kept_open = react_class(s->kind, s->react) == NF_R_CONTINUED && s->kind != NF_VALID;
        const char *react = kept_open ? "kept-open" : nf_react_name(s->react);
        if (s->answer && !kept_open)
            snprintf(buf, cap, "%s-%s-%s-%s", type, what, react, mqtt_packet_type_name(s->answer));
        else
            snprintf(buf, cap, "%s-%s-%s", type, what, react);
    }
    lower_kebab(buf);
}
