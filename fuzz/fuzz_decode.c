/*
 * fuzz_decode: mqtt_decode at every version and role, as the selector byte
 * picks (fuzz_common.h).  A decoded packet is printed, walked, and turned
 * into JSON; an error is formatted.  Oracles: mqtt_frame agrees with the
 * decoder on the packet's size, decoded views stay inside the input, errors
 * point inside it and cite a statement of the version they were judged at.
 * With selector bit 7 set, the same bytes also go to the codec's helpers as
 * arbitrary input (fuzz_poke_api: iterators over unvalidated blocks,
 * lookups, the writer).
 * Uses the structure-aware mutator (custom_mutator.c, mutator/).
 */
#include "fuzz_common.h"

/* Print buffer sizes picked by selector bits 5-6: the engine's, tiny, none at all. */
static const size_t print_caps[4] = {240, 1, 17, 0};

static void check_frame_agrees(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, size_t consumed)
{
    size_t packet_len = 0;
    mqtt_error err;
    mqtt_status st = mqtt_frame(buf, len, opts->max_packet_size, opts->version, &packet_len, &err);
    FUZZ_CHECK(st == MQTT_COMPLETE && packet_len == consumed, "decoded %zu bytes, mqtt_frame says status %d, %zu",
               consumed, (int)st, packet_len);
}

/* The complete decoder, internal to the codec but a linkable symbol. */
mqtt_status mqtt_decode_full(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out,
                             size_t *consumed, mqtt_error *err);

/* Both are equal, or the input and the names are reported. */
#define FAST_SAME(what, x, y) FUZZ_CHECK((x) == (y), "mqtt_decode and mqtt_decode_full differ in %s", what)
#define FAST_SAME_VIEW(what, x, y)                                                                                 \
    do {                                                                                                           \
        FAST_SAME(what, (x).ptr, (y).ptr);                                                                         \
        FAST_SAME(what, (x).len, (y).len);                                                                         \
    } while (0)

/*
 * Differential oracle: mqtt_decode (its fast paths) answers exactly as the
 * complete decoder: the same status, error, size and packet, field by field
 * (tests/test_fast_path.c does the same over fixed inputs).
 */
static void check_fast_path_agrees(const uint8_t *buf, size_t len, const mqtt_decode_opts *opts, mqtt_status st,
                                   const mqtt_packet *b, size_t consumed, const mqtt_error *eb)
{
    mqtt_packet a;
    mqtt_error ea;
    size_t ca = 0;
    mqtt_status sa = mqtt_decode_full(buf, len, opts, &a, &ca, &ea);
    FAST_SAME("status", sa, st);
    if (sa == MQTT_MALFORMED) {
        FAST_SAME("error code", ea.code, eb->code);
        FAST_SAME("error offset", ea.offset, eb->offset);
        FAST_SAME("error byte", ea.byte, eb->byte);
        FAST_SAME("error version", ea.version, eb->version);
    }
    if (sa != MQTT_COMPLETE)
        return;
    FAST_SAME("consumed", ca, consumed);
    FAST_SAME("type", a.type, b->type);
    FAST_SAME("flags", a.flags, b->flags);
    FAST_SAME("flags_override", a.flags_override, b->flags_override);
    FAST_SAME("remaining_length", a.remaining_length, b->remaining_length);
    switch (a.type) {
    case MQTT_CONNECT: {
        const mqtt_connect *x = &a.u.connect, *y = &b->u.connect;
        FAST_SAME_VIEW("protocol_name", x->protocol_name, y->protocol_name);
        FAST_SAME("protocol_level", x->protocol_level, y->protocol_level);
        FAST_SAME("connect flags", x->flags, y->flags);
        FAST_SAME("clean_start", x->clean_start, y->clean_start);
        FAST_SAME("will", x->will, y->will);
        FAST_SAME("will_qos", x->will_qos, y->will_qos);
        FAST_SAME("will_retain", x->will_retain, y->will_retain);
        FAST_SAME("has_username", x->has_username, y->has_username);
        FAST_SAME("has_password", x->has_password, y->has_password);
        FAST_SAME("keep_alive", x->keep_alive, y->keep_alive);
        FAST_SAME_VIEW("connect props", x->props, y->props);
        FAST_SAME_VIEW("client_id", x->client_id, y->client_id);
        FAST_SAME_VIEW("will_props", x->will_props, y->will_props);
        FAST_SAME_VIEW("will_topic", x->will_topic, y->will_topic);
        FAST_SAME_VIEW("will_payload", x->will_payload, y->will_payload);
        FAST_SAME_VIEW("username", x->username, y->username);
        FAST_SAME_VIEW("password", x->password, y->password);
        break;
    }
    case MQTT_CONNACK:
        FAST_SAME("connack flags", a.u.connack.flags, b->u.connack.flags);
        FAST_SAME("connack code", a.u.connack.code, b->u.connack.code);
        FAST_SAME_VIEW("connack props", a.u.connack.props, b->u.connack.props);
        break;
    case MQTT_PUBLISH:
        FAST_SAME("dup", a.u.publish.dup, b->u.publish.dup);
        FAST_SAME("qos", a.u.publish.qos, b->u.publish.qos);
        FAST_SAME("retain", a.u.publish.retain, b->u.publish.retain);
        FAST_SAME_VIEW("topic", a.u.publish.topic, b->u.publish.topic);
        FAST_SAME("publish packet_id", a.u.publish.packet_id, b->u.publish.packet_id);
        FAST_SAME_VIEW("publish props", a.u.publish.props, b->u.publish.props);
        FAST_SAME_VIEW("payload", a.u.publish.payload, b->u.publish.payload);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        FAST_SAME("ack packet_id", a.u.ack.packet_id, b->u.ack.packet_id);
        FAST_SAME("ack code", a.u.ack.code, b->u.ack.code);
        FAST_SAME("ack has_code", a.u.ack.has_code, b->u.ack.has_code);
        FAST_SAME("ack has_props", a.u.ack.has_props, b->u.ack.has_props);
        FAST_SAME_VIEW("ack props", a.u.ack.props, b->u.ack.props);
        break;
    case MQTT_SUBSCRIBE:
    case MQTT_UNSUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        FAST_SAME("subs packet_id", a.u.subs.packet_id, b->u.subs.packet_id);
        FAST_SAME_VIEW("subs props", a.u.subs.props, b->u.subs.props);
        FAST_SAME("list ptr", a.u.subs.list.ptr, b->u.subs.list.ptr);
        FAST_SAME("list len", a.u.subs.list.len, b->u.subs.list.len);
        FAST_SAME("list count", a.u.subs.list.count, b->u.subs.list.count);
        break;
    default:
        FAST_SAME("reason code", a.u.disconnect.code, b->u.disconnect.code);
        FAST_SAME("has_code", a.u.disconnect.has_code, b->u.disconnect.has_code);
        FAST_SAME("has_props", a.u.disconnect.has_props, b->u.disconnect.has_props);
        FAST_SAME_VIEW("props", a.u.disconnect.props, b->u.disconnect.props);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    const uint8_t *buf = data + 1;
    size_t len = size - 1;
    if (sel & 0x80) /* half the inputs: the lookups cost as much as the decode */
        fuzz_poke_api(buf, len);
    mqtt_decode_opts opts = fuzz_selector_opts(sel);
    mqtt_packet pkt;
    mqtt_error err;
    size_t consumed = 0;
    mqtt_status st = mqtt_decode(buf, len, &opts, &pkt, &consumed, &err);
    check_fast_path_agrees(buf, len, &opts, st, &pkt, consumed, &err);
    if (st == MQTT_MALFORMED) {
        fuzz_check_error(&err, &opts, len);
        return 0;
    }
    if (st != MQTT_COMPLETE)
        return 0;
    FUZZ_CHECK(consumed >= 2 && consumed <= len, "consumed %zu of %zu", consumed, len);
    check_frame_agrees(buf, len, &opts, consumed);
    fuzz_check_views(&pkt, buf, consumed);
    /* The shown version: a CONNECT decoded before one was known is shown at its own level. */
    mqtt_version shown = opts.version;
    fuzz_walk_decoded(&pkt, shown);
    fuzz_check_print(&pkt, shown, print_caps[(sel >> 5) & 3]);
    fuzz_check_to_json(&pkt, shown);
    return 0;
}
