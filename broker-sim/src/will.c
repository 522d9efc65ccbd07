/* Will Messages: kept with the connection, published when it closes without DISCONNECT 0x00,
 * at once or after the 5.0 Will Delay Interval (or when the session ends, if sooner). */
#include <stdlib.h>

#include "internal.h"

sim_will *sim_will_from_connect(const mqtt_connect *cn, mqtt_version v, sim_quirk_set quirks)
{
    sim_will *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    mqtt_props props = v == MQTT_V5 ? cn->will_props : (mqtt_props){NULL, 0};
    /* The Will is published with its Will QoS and Will Retain (3.1.1 MQTT-3.1.2-17 / 5.0 MQTT-3.1.2-15) */
    uint8_t qos = sim_quirk(quirks, SIM_Q_WILL_QOS_IGNORED) ? 0 : cn->will_qos;
    bool retain = cn->will_retain && !sim_quirk(quirks, SIM_Q_WILL_RETAIN_IGNORED);
    w->msg = sim_msg_new(cn->will_topic, cn->will_payload, props, qos, retain);
    mqtt_property pr;
    if (mqtt_prop_find(props, MQTT_PROP_WILL_DELAY_INTERVAL, &pr))
        w->delay_s = pr.value;
    if (mqtt_prop_find(props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, &pr)) {
        w->has_expiry = true;
        w->expiry_s = pr.value;
    }
    return w;
}

void sim_will_free(sim_will *w)
{
    if (!w)
        return;
    sim_msg_unref(w->msg);
    free(w);
}

void sim_will_on_close(sim_conn *c)
{
    sim_will *w = c->will;
    c->will = NULL;
    if (sim_quirk(c->quirks, SIM_Q_NO_WILL)) {
        sim_will_free(w);
        return;
    }
    if (w->delay_s == 0 || !c->s || sim_quirk(c->quirks, SIM_Q_WILL_DELAY_IGNORED)) {
        sim_will_publish(c->b, w);
        return;
    }
    sim_session *s = c->s;
    sim_will_free(s->will);
    s->will = w;
    s->will_at = sim_now() + (int64_t)w->delay_s * 1000;
    sim_log(c->b, "#%u Will of '%s' due in %u s", c->id, s->client_id, w->delay_s);
}

void sim_will_publish(sim_broker *b, sim_will *w)
{
    sim_msg *m = w->msg;
    m->expires_at = w->has_expiry ? sim_now() + (int64_t)w->expiry_s * 1000 : 0;
    sim_log(b, "publishing Will on '%.*s'", (int)m->topic.len, (const char *)m->topic.ptr);
    if (m->retain)
        sim_retain_store(b, m);
    sim_route(b, m, NULL);
    sim_will_free(w);
}

void sim_will_outlives_connect(sim_conn *c, sim_session *s)
{
    if (!sim_quirk(c->quirks, SIM_Q_WILL_OUTLIVES_CONNECT))
        return;
    if (c->will) {
        if (s->remembered_will)
            sim_msg_unref(s->remembered_will);
        s->remembered_will = sim_msg_ref(c->will->msg);
        return;
    }
    if (!s->remembered_will)
        return;
    if (!(c->will = calloc(1, sizeof *c->will)))
        abort();
    c->will->msg = sim_msg_ref(s->remembered_will);
}
