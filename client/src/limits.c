/*
 * 5.0 limits we announce to the peer, checked on everything it sends back.
 *
 * Client role: the Maximum Packet Size and Topic Alias Maximum of the CONNECT
 * we sent bind the server (MQTT-3.1.2-24, -26, -27, MQTT-3.3.2-11); server
 * role: those of the CONNACK we sent bind the client under test
 * (MQTT-3.2.2-15, -17, -18, MQTT-3.3.2-9).  Every received packet is checked
 * whatever step is waiting, like the codec's checks, so a scenario only has to
 * announce a limit and provoke traffic.  The peer's Topic Aliases are resolved
 * here too: a PUBLISH that reuses an alias reaches the steps with the Topic
 * Name the alias stands for, so patterns match on the real topic.
 *
 * Only limits carried by packets sent from their JSON form are known; a CONNECT
 * or CONNACK sent as raw hex announces nothing to this check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

/* The statements that bind the sender of an oversized packet of each type: 5.0 lets an ack, DISCONNECT
 * or AUTH shrink by leaving out its Reason String and User Properties, and requires it to. */
typedef struct omit_rule {
    int type;
    const char *reason_string, *user_property;
} omit_rule;

static const omit_rule omit_rules[] = {
    {MQTT_CONNACK, "MQTT-3.2.2-19", "MQTT-3.2.2-20"},    {MQTT_PUBACK, "MQTT-3.4.2-2", "MQTT-3.4.2-3"},
    {MQTT_PUBREC, "MQTT-3.5.2-2", "MQTT-3.5.2-3"},       {MQTT_PUBREL, "MQTT-3.6.2-2", "MQTT-3.6.2-3"},
    {MQTT_PUBCOMP, "MQTT-3.7.2-2", "MQTT-3.7.2-3"},      {MQTT_SUBACK, "MQTT-3.9.2-1", "MQTT-3.9.2-2"},
    {MQTT_UNSUBACK, "MQTT-3.11.2-1", "MQTT-3.11.2-2"},   {MQTT_DISCONNECT, "MQTT-3.14.2-3", "MQTT-3.14.2-4"},
    {MQTT_AUTH, "MQTT-3.15.2-2", "MQTT-3.15.2-3"},
};

static const omit_rule *omit_rule_for(int type)
{
    for (size_t i = 0; i < sizeof omit_rules / sizeof omit_rules[0]; i++)
        if (omit_rules[i].type == type)
            return &omit_rules[i];
    return NULL;
}

static mqtt_props props_of(const mqtt_packet *pkt)
{
    switch (pkt->type) {
    case MQTT_CONNECT:
        return pkt->u.connect.props;
    case MQTT_CONNACK:
        return pkt->u.connack.props;
    case MQTT_PUBLISH:
        return pkt->u.publish.props;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        return pkt->u.ack.props;
    case MQTT_SUBSCRIBE:
    case MQTT_SUBACK:
    case MQTT_UNSUBSCRIBE:
    case MQTT_UNSUBACK:
        return pkt->u.subs.props;
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        return pkt->u.disconnect.props;
    default:
        return (mqtt_props){NULL, 0};
    }
}

static void forget_aliases(conn *c)
{
    if (c->alias_topics) {
        for (unsigned i = 0; i <= c->our_alias_max; i++)
            cJSON_Delete(c->alias_topics[i]);
        free(c->alias_topics);
    }
    c->alias_topics = NULL;
}

void mqs_limits_reset(conn *c)
{
    forget_aliases(c);
    c->limits_known = false;
    c->our_max_packet = 0;
    c->our_alias_max = 0;
}

void mqs_limits_note_sent(runctx *x, conn *c, const mqtt_packet *pkt, mqtt_version v)
{
    int announcing = x->role == MQS_ROLE_SERVER ? MQTT_CONNACK : MQTT_CONNECT;
    if (pkt->type != announcing || c->limits_known) /* a second CONNECT or CONNACK changes nothing agreed */
        return;
    mqs_limits_reset(c);
    c->limits_known = true; /* absent properties are limits too: no Topic Alias allowed, no size bound */
    if (v != MQTT_V5 || (pkt->type == MQTT_CONNECT && pkt->u.connect.protocol_level != MQTT_V5))
        return;
    mqtt_property pr;
    if (mqtt_prop_find(props_of(pkt), MQTT_PROP_MAXIMUM_PACKET_SIZE, &pr))
        c->our_max_packet = pr.value;
    if (mqtt_prop_find(props_of(pkt), MQTT_PROP_TOPIC_ALIAS_MAXIMUM, &pr))
        c->our_alias_max = (uint16_t)pr.value;
}

/* The peer broke a limit we announced: FAIL citing stmts (comma-separated, version-qualified). */
static bool fail_limit(runctx *x, conn *c, const char *stmts, const char *why)
{
    char msg[800];
    snprintf(msg, sizeof msg, "%s: step %d: [%s] the %s %s", x->sc->file, x->step_no, c->name,
             x->role == MQS_ROLE_SERVER ? "client" : "target", why);
    mqs_case_event(x->res, mqs_rel(x), MQS_EV_NOTE, NULL, msg, NULL, 0);
    mqs_case_set(x->res, MQS_FAIL, x->step_no, stmts, msg);
    x->stop = true;
    return false;
}

static bool check_size(runctx *x, conn *c, const mqtt_packet *pkt, size_t raw_len)
{
    if (!c->our_max_packet || raw_len <= c->our_max_packet)
        return true;
    char stmts[200], why[300];
    snprintf(stmts, sizeof stmts, "5.0:%s", x->role == MQS_ROLE_SERVER ? "MQTT-3.2.2-15" : "MQTT-3.1.2-24");
    const omit_rule *rule = omit_rule_for(pkt->type);
    mqtt_property pr;
    if (rule && mqtt_prop_find(props_of(pkt), MQTT_PROP_REASON_STRING, &pr))
        snprintf(stmts + strlen(stmts), sizeof stmts - strlen(stmts), ", 5.0:%s", rule->reason_string);
    if (rule && mqtt_prop_find(props_of(pkt), MQTT_PROP_USER_PROPERTY, &pr))
        snprintf(stmts + strlen(stmts), sizeof stmts - strlen(stmts), ", 5.0:%s", rule->user_property);
    snprintf(why, sizeof why, "sent a %s of %zu bytes, above the Maximum Packet Size of %u we announced in %s",
             mqtt_packet_type_name(pkt->type), raw_len, c->our_max_packet,
             x->role == MQS_ROLE_SERVER ? "CONNACK" : "CONNECT");
    return fail_limit(x, c, stmts, why);
}

/* The JSON member naming the topic: "topic", or "topic_hex" for bytes that are not text. */
static cJSON *topic_member(cJSON *json)
{
    cJSON *t = cJSON_GetObjectItemCaseSensitive(json, "topic");
    return t ? t : cJSON_GetObjectItemCaseSensitive(json, "topic_hex");
}

/* Set (non-empty Topic Name) or apply (empty one) the mapping of alias on this transport. */
static bool resolve_alias(runctx *x, conn *c, const mqtt_packet *pkt, uint16_t alias, cJSON *json)
{
    if (!c->alias_topics && !(c->alias_topics = calloc((size_t)c->our_alias_max + 1, sizeof *c->alias_topics))) {
        mqs_case_error(x, "'%s': out of memory for Topic Aliases", c->name);
        return false;
    }
    cJSON *member = topic_member(json);
    if (pkt->u.publish.topic.len) {
        cJSON *copy = member ? cJSON_Duplicate(member, true) : NULL;
        if (!copy) {
            mqs_case_error(x, "'%s': out of memory for Topic Aliases", c->name);
            return false;
        }
        cJSON_Delete(c->alias_topics[alias]);
        c->alias_topics[alias] = copy;
        return true;
    }
    const cJSON *mapped = c->alias_topics[alias];
    if (!mapped) {
        char why[200];
        snprintf(why, sizeof why,
                 "sent a PUBLISH with an empty Topic Name and Topic Alias %u, which it never mapped on this "
                 "Network Connection",
                 alias);
        return fail_limit(x, c, "5.0:MQTT-3.3.2-7", why);
    }
    cJSON *copy = cJSON_Duplicate(mapped, true);
    if (!copy) {
        mqs_case_error(x, "'%s': out of memory for Topic Aliases", c->name);
        return false;
    }
    if (member)
        cJSON_DeleteItemFromObjectCaseSensitive(json, member->string);
    cJSON_AddItemToObject(json, copy->string, copy);
    return true;
}

static bool check_alias(runctx *x, conn *c, const mqtt_packet *pkt, cJSON *json)
{
    mqtt_property pr;
    if (pkt->type != MQTT_PUBLISH || !mqtt_prop_find(pkt->u.publish.props, MQTT_PROP_TOPIC_ALIAS, &pr))
        return true;
    bool server = x->role == MQS_ROLE_SERVER;
    char why[300];
    if (c->our_alias_max == 0) {
        snprintf(why, sizeof why, "sent Topic Alias %u although our %s announced no Topic Alias Maximum", pr.value,
                 server ? "CONNACK" : "CONNECT");
        return fail_limit(x, c, server ? "5.0:MQTT-3.2.2-18" : "5.0:MQTT-3.1.2-27", why);
    }
    if (pr.value > c->our_alias_max) {
        snprintf(why, sizeof why, "sent Topic Alias %u, above the Topic Alias Maximum %u our %s announced",
                 pr.value, c->our_alias_max, server ? "CONNACK" : "CONNECT");
        return fail_limit(x, c, server ? "5.0:MQTT-3.2.2-17, 5.0:MQTT-3.3.2-9" : "5.0:MQTT-3.1.2-26, 5.0:MQTT-3.3.2-11",
                          why);
    }
    return resolve_alias(x, c, pkt, (uint16_t)pr.value, json);
}

bool mqs_limits_check_received(runctx *x, conn *c, const mqtt_packet *pkt, mqtt_version v, size_t raw_len,
                               cJSON *json)
{
    if (!c->limits_known || v != MQTT_V5)
        return true;
    return check_size(x, c, pkt, raw_len) && check_alias(x, c, pkt, json);
}
