/* 5.0 problem information on acknowledgements: Reason String and User Property (3.1.2.11.7). */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* A client with a Maximum Packet Size below this gets no problem information: an ack with a Reason String must
 * never be what makes a packet too large (the "omit if too large" rules of every ack). */
#define SIM_PROBLEM_MIN_PACKET 65536u

mqtt_props sim_problem_props(const sim_conn *c, int type, uint8_t code, uint8_t *buf, size_t cap)
{
    bool forced = sim_quirk(c->quirks, SIM_Q_PROBLEM_INFO_IGNORED); /* MQTT-3.1.2-29 broken */
    bool allowed = c->problem_info && sim_variant(c->variants, SIM_V_PROBLEM_INFO);
    if (c->version != MQTT_V5 || code == 0 || !(forced || allowed) ||
        (c->max_packet && c->max_packet < SIM_PROBLEM_MIN_PACKET))
        return (mqtt_props){NULL, 0};
    char text[96];
    const char *name = mqtt_reason_name(code, type);
    snprintf(text, sizeof text, "broker-sim: %s", name ? name : "see the reason code");
    mqtt_writer w;
    mqtt_writer_init(&w, buf, cap);
    mqtt_property rs = {.id = MQTT_PROP_REASON_STRING, .data = {(const uint8_t *)text, (uint32_t)strlen(text)}};
    mqtt_property up = {.id = MQTT_PROP_USER_PROPERTY,
                        .data = {(const uint8_t *)"source", 6},
                        .value2 = {(const uint8_t *)"broker-sim", 10}};
    mqtt_write_property(&w, &rs);
    mqtt_write_property(&w, &up);
    return (mqtt_props){buf, (uint32_t)w.len};
}
