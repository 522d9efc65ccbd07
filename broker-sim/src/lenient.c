/*
 * The lenient-parsing quirks: malformed packets a sloppy broker lets through
 * where a conforming one closes the connection.  Nothing here reads fields by
 * hand: each quirk repairs exactly one fault in the packet (its flags nibble,
 * its Remaining Length) and asks the codec again, so a packet with a second
 * fault is still closed on.
 */
#include <string.h>

#include "internal.h"

static bool is_flags_error(mqtt_err code)
{
    switch (code) {
    case MQTT_E_FIXED_HEADER_FLAGS:
    case MQTT_E_PUBREL_FLAGS:
    case MQTT_E_SUBSCRIBE_FLAGS:
    case MQTT_E_UNSUBSCRIBE_FLAGS:
    case MQTT_E_DISCONNECT_FLAGS:
    case MQTT_E_AUTH_FLAGS:
        return true;
    default:
        return false;
    }
}

/* The flags every packet type but PUBLISH must carry (3.1.1 2.2.2, 5.0 2.1.3). */
static uint8_t listed_flags(unsigned type)
{
    return type == MQTT_PUBREL || type == MQTT_SUBSCRIBE || type == MQTT_UNSUBSCRIBE ? 0x2 : 0x0;
}

/* The packets whose size the spec fixes (3.1.1) or bounds without a payload (5.0). */
static bool is_fixed_size(unsigned type)
{
    return (type >= MQTT_PUBACK && type <= MQTT_PUBCOMP) || type == MQTT_PINGREQ || type == MQTT_DISCONNECT;
}

static bool decodes(const uint8_t *p, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out)
{
    size_t used;
    mqtt_error err;
    memset(out, 0, sizeof *out);
    return mqtt_decode(p, len, opts, out, &used, &err) == MQTT_COMPLETE && used == len;
}

/* lenient-reserved-flags: a packet that decodes once its flags are the listed ones is dropped. */
static sim_lenient forgive_flags(uint8_t *p, size_t len, const mqtt_decode_opts *opts)
{
    uint8_t orig = p[0];
    p[0] = (uint8_t)((orig & 0xF0) | listed_flags(orig >> 4));
    mqtt_packet pkt;
    bool ok = decodes(p, len, opts, &pkt);
    p[0] = orig;
    return ok ? SIM_LENIENT_DROP : SIM_LENIENT_NO;
}

/* lenient-fixed-length: the longest prefix of the body that decodes is taken (extra bytes ignored);
 * a body too short for any is dropped.  Decoded into scratch, which must outlive the packet's use. */
static sim_lenient forgive_length(const uint8_t *p, size_t len, const mqtt_decode_opts *opts,
                                  uint8_t scratch[SIM_LENIENT_MAX], mqtt_packet *out)
{
    if (len > SIM_LENIENT_MAX || len < 2 || p[1] & 0x80)
        return SIM_LENIENT_NO; /* only small packets with a one-byte Remaining Length */
    for (size_t rl = len - 2; rl-- > 0;) {
        scratch[0] = p[0];
        scratch[1] = (uint8_t)rl;
        memcpy(scratch + 2, p + 2, rl);
        if (decodes(scratch, rl + 2, opts, out))
            return SIM_LENIENT_TAKE;
    }
    return SIM_LENIENT_DROP;
}

/* shared-lenient-names: a SUBSCRIBE whose only fault is a malformed "$share/" filter is decoded with every
 * "$share/" disguised as "$Share/" (an ordinary filter), then restored: *out's views point into p, which now reads
 * as sent again, so the filters reach sim_on_subscribe as the client wrote them. */
static sim_lenient forgive_share_name(uint8_t *p, size_t len, const mqtt_decode_opts *opts, mqtt_packet *out)
{
    static const char prefix[] = "$share/";
    size_t n = sizeof prefix - 1;
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(p + i, prefix, n) == 0)
            p[i + 1] = 'S';
    bool ok = decodes(p, len, opts, out);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(p + i, "$Share/", n) == 0)
            p[i + 1] = 's';
    return ok ? SIM_LENIENT_TAKE : SIM_LENIENT_NO;
}

/* topic-alias-zero-accepted: a small PUBLISH whose fault is Topic Alias 0 is taken as if it had no alias.
 * The three property bytes 23 00 00 become 03 00 00, an empty Content Type of the same size, decoded into
 * scratch (a packet that already has a Content Type still fails). */
static sim_lenient forgive_alias_zero(const uint8_t *p, size_t len, const mqtt_decode_opts *opts,
                                      const mqtt_error *err, uint8_t scratch[SIM_LENIENT_MAX], mqtt_packet *out)
{
    size_t at = err->offset;
    if (len > SIM_LENIENT_MAX || at + 3 > len || p[at] != MQTT_PROP_TOPIC_ALIAS)
        return SIM_LENIENT_NO;
    memcpy(scratch, p, len);
    scratch[at] = MQTT_PROP_CONTENT_TYPE;
    return decodes(scratch, len, opts, out) ? SIM_LENIENT_TAKE : SIM_LENIENT_NO;
}

/* lenient-will-flags: a CONNECT with Will QoS or Will Retain set but Will Flag 0 is taken with them cleared. */
static sim_lenient forgive_will_flags(const uint8_t *p, size_t len, const mqtt_decode_opts *opts,
                                      uint8_t scratch[SIM_LENIENT_MAX], mqtt_packet *out)
{
    if (len > SIM_LENIENT_MAX || len < 2 || p[1] & 0x80)
        return SIM_LENIENT_NO; /* a one-byte Remaining Length keeps the offsets simple */
    size_t flags_at = 2 + 2 + ((size_t)p[2] << 8 | p[3]) + 1; /* past the protocol name and level */
    if (flags_at >= len)
        return SIM_LENIENT_NO;
    memcpy(scratch, p, len);
    scratch[flags_at] &= (uint8_t)~0x38; /* Will QoS and Will Retain */
    return decodes(scratch, len, opts, out) ? SIM_LENIENT_TAKE : SIM_LENIENT_NO;
}

sim_lenient sim_lenient_parse(sim_quirk_set quirks, uint8_t *p, size_t len, const mqtt_decode_opts *opts,
                              const mqtt_error *err, uint8_t scratch[SIM_LENIENT_MAX], mqtt_packet *out)
{
    unsigned type = p[0] >> 4;
    if (sim_quirk(quirks, SIM_Q_LENIENT_RESERVED_FLAGS) && is_flags_error(err->code))
        return forgive_flags(p, len, opts);
    if (sim_quirk(quirks, SIM_Q_LENIENT_FIXED_LENGTH) && is_fixed_size(type) &&
        (err->code == MQTT_E_REMAINING_LENGTH || err->code == MQTT_E_TRUNCATED))
        return forgive_length(p, len, opts, scratch, out);
    if (sim_quirk(quirks, SIM_Q_SHARED_LENIENT_NAMES) && type == MQTT_SUBSCRIBE && err->code == MQTT_E_SHARE_NAME)
        return forgive_share_name(p, len, opts, out);
    if (sim_quirk(quirks, SIM_Q_LENIENT_WILL_FLAGS) && type == MQTT_CONNECT &&
        (err->code == MQTT_E_WILL_QOS_WITHOUT_WILL || err->code == MQTT_E_WILL_RETAIN_WITHOUT_WILL))
        return forgive_will_flags(p, len, opts, scratch, out);
    if (sim_quirk(quirks, SIM_Q_IGNORES_SERVER_PACKETS) && err->code == MQTT_E_PACKET_DIRECTION)
        return SIM_LENIENT_DROP;
    if (sim_quirk(quirks, SIM_Q_LENIENT_UTF8) && type == MQTT_PUBLISH && opts->version == MQTT_V5 &&
        (err->code == MQTT_E_UTF8_INVALID || err->code == MQTT_E_UTF8_NUL))
        return SIM_LENIENT_DROP;
    if (sim_quirk(quirks, SIM_Q_TOPIC_ALIAS_ZERO_ACCEPTED) && type == MQTT_PUBLISH &&
        err->code == MQTT_E_TOPIC_ALIAS_ZERO)
        return forgive_alias_zero(p, len, opts, err, scratch, out);
    return SIM_LENIENT_NO;
}
