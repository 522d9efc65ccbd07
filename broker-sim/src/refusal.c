/* Two quirks about refusing a CONNECT: any-protocol-name (a CONNECT not named MQTT is accepted) and
 * processes-after-refusal (what the client sent behind a refused CONNECT is still published). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The unread bytes of c's stream, past a CONNECT still at their head (a malformed one is left unread). */
static mqtt_bytes after_connect(const sim_conn *c)
{
    const uint8_t *p = c->in.buf + c->in.start;
    size_t n = c->in.end - c->in.start, len;
    mqtt_error err;
    if (n && p[0] >> 4 == MQTT_CONNECT && mqtt_frame(p, n, 0, MQTT_VERSION_UNKNOWN, &len, &err) == MQTT_COMPLETE) {
        p += len;
        n -= len;
    }
    return (mqtt_bytes){p, (uint32_t)n};
}

void sim_process_after_refusal(sim_conn *c, mqtt_version v)
{
    mqtt_bytes rest = after_connect(c);
    mqtt_decode_opts opts = {.version = v == MQTT_V5 ? MQTT_V5 : MQTT_V311, .role = MQTT_ROLE_SERVER};
    size_t used;
    mqtt_packet pkt;
    mqtt_error err;
    while (rest.len && mqtt_decode(rest.ptr, rest.len, &opts, &pkt, &used, &err) == MQTT_COMPLETE) {
        if (pkt.type == MQTT_PUBLISH && pkt.u.publish.topic.len) {
            const mqtt_publish *p = &pkt.u.publish;
            sim_msg *m = sim_msg_new(p->topic, p->payload, (mqtt_props){NULL, 0}, p->qos, p->retain);
            sim_log(c->b, "#%u publishing behind a refused CONNECT (processes-after-refusal)", c->id);
            if (m->retain)
                sim_retain_store(c->b, m);
            sim_route(c->b, m, NULL);
            sim_msg_unref(m);
        }
        rest.ptr += used;
        rest.len -= (uint32_t)used;
    }
}

/* The CONNECT at the head of c's stream with its protocol name replaced by the one of its level, in a new
 * buffer (*out, to free); false if it cannot be rebuilt. */
static bool renamed_connect(const sim_conn *c, uint8_t **out, size_t *out_len, size_t *orig_len)
{
    const uint8_t *p = c->in.buf + c->in.start;
    size_t n = c->in.end - c->in.start, len;
    mqtt_error err;
    if (mqtt_frame(p, n, 0, MQTT_VERSION_UNKNOWN, &len, &err) != MQTT_COMPLETE)
        return false;
    size_t hdr = 2;
    while (hdr < len && (p[hdr - 1] & 0x80))
        hdr++;
    if (hdr + 2 > len)
        return false;
    size_t name_len = (size_t)p[hdr] << 8 | p[hdr + 1];
    if (hdr + 2 + name_len + 1 > len)
        return false;
    const char *name = p[hdr + 2 + name_len] == MQTT_V31 ? "MQIsdp" : "MQTT";
    size_t tail = len - hdr - 2 - name_len, body = 2 + strlen(name) + tail;
    uint8_t *buf = malloc(5 + body);
    if (!buf)
        abort();
    mqtt_writer w;
    mqtt_writer_init(&w, buf, 5 + body);
    mqtt_write_u8(&w, p[0]);
    mqtt_write_varint(&w, (uint32_t)body);
    mqtt_write_string(&w, name, strlen(name));
    mqtt_write_bytes(&w, p + hdr + 2 + name_len, tail);
    *out = buf;
    *out_len = w.len;
    *orig_len = len;
    return true;
}

bool sim_accept_any_protocol_name(sim_conn *c)
{
    uint8_t *buf;
    size_t len, orig;
    if (!renamed_connect(c, &buf, &len, &orig))
        return false;
    mqtt_decode_opts opts = {.version = MQTT_VERSION_UNKNOWN, .role = MQTT_ROLE_SERVER};
    mqtt_packet pkt;
    size_t used;
    mqtt_error err;
    bool ok = mqtt_decode(buf, len, &opts, &pkt, &used, &err) == MQTT_COMPLETE;
    if (ok) {
        c->in.start += orig; /* taken: the packets behind it are read as usual */
        sim_log(c->b, "#%u CONNECT accepted under a foreign protocol name (any-protocol-name)", c->id);
        sim_on_connect(c, &pkt); /* keeps copies of what it needs from buf */
    }
    free(buf);
    return ok;
}
