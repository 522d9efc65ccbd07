/* Application messages: one allocation each, shared by reference count. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Properties not forwarded as they came: per hop (Topic Alias, Subscription Identifier), recomputed
 * at each send (Message Expiry Interval), or about the Will rather than its message (Will Delay). */
static bool prop_not_forwarded(uint8_t id)
{
    return id == MQTT_PROP_TOPIC_ALIAS || id == MQTT_PROP_SUBSCRIPTION_IDENTIFIER ||
           id == MQTT_PROP_MESSAGE_EXPIRY_INTERVAL || id == MQTT_PROP_WILL_DELAY_INTERVAL;
}

/* Write the forwardable properties of props (w->buf NULL: only count them). */
static void write_forwarded_props(mqtt_writer *w, mqtt_props props)
{
    mqtt_prop_iter it;
    mqtt_property pr;
    mqtt_prop_iter_init(&it, props);
    while (mqtt_prop_next(&it, &pr))
        if (!prop_not_forwarded(pr.id))
            mqtt_write_property(w, &pr);
}

sim_msg *sim_msg_new(mqtt_bytes topic, mqtt_bytes payload, mqtt_props props, uint8_t qos, bool retain)
{
    mqtt_writer count;
    mqtt_writer_init(&count, NULL, 0);
    write_forwarded_props(&count, props);
    sim_msg *m = malloc(sizeof *m + topic.len + payload.len + count.len + 1);
    if (!m)
        abort();
    uint8_t *p = (uint8_t *)(m + 1);
    memcpy(p, topic.ptr, topic.len);
    m->topic = (mqtt_bytes){p, topic.len};
    p += topic.len;
    if (payload.len)
        memcpy(p, payload.ptr, payload.len);
    m->payload = (mqtt_bytes){p, payload.len};
    p += payload.len;
    mqtt_writer w;
    mqtt_writer_init(&w, p, count.len);
    write_forwarded_props(&w, props);
    m->props = (mqtt_props){p, (uint32_t)w.len};
    m->refs = 1;
    m->qos = qos;
    m->retain = retain;
    m->publisher_dup = false;
    mqtt_property expiry;
    m->expires_at = mqtt_prop_find(props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, &expiry)
                        ? sim_now() + (int64_t)expiry.value * 1000
                        : 0;
    return m;
}

sim_msg *sim_msg_ref(sim_msg *m)
{
    m->refs++;
    return m;
}

void sim_msg_unref(sim_msg *m)
{
    if (m && --m->refs == 0)
        free(m);
}

bool sim_msg_expired(const sim_msg *m, int64_t now) { return m->expires_at && now >= m->expires_at; }

mqtt_bytes sim_bytes_dup(mqtt_bytes b)
{
    uint8_t *p = malloc(b.len + 1);
    if (!p)
        abort();
    if (b.len)
        memcpy(p, b.ptr, b.len);
    p[b.len] = '\0';
    return (mqtt_bytes){p, b.len};
}

bool sim_bytes_eq(mqtt_bytes a, mqtt_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}
