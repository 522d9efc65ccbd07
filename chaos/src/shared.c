/*
 * Shared subscriptions in the chaos workload (docs/chaos.md, "Shared
 * subscriptions"): members of a group subscribe with "$share/<name>/<topic>"
 * (5.0 4.8.2).  The feature is optional: a CONNACK with Shared Subscription
 * Available 0 (3.2.2.3.15) or a SUBACK refusing the filter (0x9E "Shared
 * Subscriptions not supported", or any other code 0x80 or above) turns the
 * members off for the rest of the run; the result says so (a SKIP, not a
 * violation).
 */
#include <stdio.h>
#include <string.h>

#include "chaos_internal.h"

unsigned mqs_chaos_subscriber_total(const mqs_chaos_opts *o)
{
    return o->subscribers + o->shared_groups * o->shared_members;
}

void mqs_chaos_share_name(uint32_t run_id, uint32_t g, char *buf, size_t cap)
{
    snprintf(buf, cap, "mqsc%08xg%u", run_id, g);
}

void chaos_sub_filter(const chaos_run *run, const chaos_worker *w, const char *topic, char *buf, size_t cap)
{
    char share[32];
    if (w->group == MQS_CHAOS_NONE) {
        snprintf(buf, cap, "%s", topic);
        return;
    }
    mqs_chaos_share_name(run->run_id, w->group, share, sizeof share);
    snprintf(buf, cap, "$share/%s/%s", share, topic);
}

/* The first refusal is kept and noted; every member stops subscribing (one refused, all would be). */
static void refuse(chaos_run *run, chaos_worker *w, const char *how)
{
    mqs_chaos_result *r = run->r;
    if (!r->shared_refused) {
        r->shared_refused = true;
        snprintf(r->shared_refusal, sizeof r->shared_refusal, "%s", how);
        chaos_note(r, "shared subscriptions not supported by the target (%s, seen by %s): SKIP, nothing is "
                   "checked for the members of the shared groups", how, w->name);
    }
    for (unsigned i = 0; i < run->n_workers; i++) {
        if (run->w[i].group != MQS_CHAOS_NONE) {
            run->w[i].shared_off = true;
            mqs_chaos_session_void(run->ck, run->w[i].index);
        }
    }
}

bool chaos_shared_connack(chaos_run *run, chaos_worker *w, mqtt_props props)
{
    mqtt_property prop;
    if (w->group == MQS_CHAOS_NONE || w->shared_off || run->o->version != MQTT_V5)
        return !w->shared_off;
    if (mqtt_prop_find(props, MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE, &prop) && prop.value == 0) {
        refuse(run, w, "CONNACK Shared Subscription Available 0");
        return false;
    }
    return true;
}

bool chaos_shared_suback(chaos_run *run, chaos_worker *w, const mqtt_packet *p)
{
    if (w->group == MQS_CHAOS_NONE)
        return true;
    if (w->shared_off)
        return false;
    for (uint32_t i = 0; i < p->u.subs.list.len; i++) {
        uint8_t code = p->u.subs.list.ptr[i];
        if (code >= 0x80) {
            char how[96];
            const char *name = mqtt_reason_name(code, MQTT_SUBACK);
            snprintf(how, sizeof how, "SUBACK 0x%02X%s%s%s", code, name ? " (" : "", name ? name : "",
                     name ? ")" : "");
            refuse(run, w, how);
            return false;
        }
    }
    return true;
}
