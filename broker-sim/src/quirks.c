/* The quirk table: what each switch breaks, for --quirk, the README and reports. */
#include <string.h>

#include "internal.h"

static const sim_quirk_info quirk_table[SIM_Q_COUNT] = {
    [SIM_Q_QOS2_AS_PUBACK] = {"qos2-as-puback", "3.1.1:MQTT-4.3.3-2 5.0:MQTT-4.3.3-8",
                              "A QoS 2 PUBLISH is answered with PUBACK instead of PUBREC (and delivered at once)."},
    [SIM_Q_DUP_REDELIVER] = {"dup-redeliver", "3.1.1:MQTT-4.3.3-2 5.0:MQTT-4.3.3-10",
                             "A QoS 2 PUBLISH resent (DUP 1) before PUBREL is delivered to subscribers again."},
    [SIM_Q_NO_WILL] = {"no-will", "3.1.1:MQTT-3.1.2-8 5.0:MQTT-3.1.2-8", "Will Messages are never published."},
    [SIM_Q_WILL_ON_DISCONNECT] = {"will-on-disconnect", "3.1.1:MQTT-3.1.2-10 3.1.1:MQTT-3.14.4-3 5.0:MQTT-3.1.2-10 "
                                                        "5.0:MQTT-3.14.4-3",
                                  "The Will is published even after a normal DISCONNECT (5.0: reason code 0x00)."},
    [SIM_Q_KEEPALIVE_IGNORE] = {"keepalive-ignore", "3.1.1:MQTT-3.1.2-24 5.0:MQTT-3.1.2-22",
                                "Silent clients are never disconnected, whatever their Keep Alive."},
    [SIM_Q_KEEPALIVE_3X] = {"keepalive-3x", "3.1.1:MQTT-3.1.2-24 5.0:MQTT-3.1.2-22",
                            "A silent client is disconnected after 3 x Keep Alive instead of 1.5 x."},
    [SIM_Q_DROP_OFFLINE_QOS1] = {"drop-offline-qos1", "3.1.1:MQTT-3.1.2-5 5.0:MQTT-3.1.2-23",
                                 "QoS 1 messages for a session whose client is away are dropped, not queued."},
    [SIM_Q_KEEP_SESSION_ON_CLEAN] = {"keep-session-on-clean", "3.1.1:MQTT-3.1.2-6 5.0:MQTT-3.1.2-4",
                                     "CleanSession / Clean Start 1 resumes a stored session instead of discarding "
                                     "it (Session Present is still 0)."},
    [SIM_Q_WRONG_SESSION_PRESENT] = {"wrong-session-present", "3.1.1:MQTT-3.2.2-2 3.1.1:MQTT-3.2.2-3 "
                                                              "5.0:MQTT-3.2.2-3",
                                     "Session Present is inverted when CleanSession / Clean Start is 0."},
    [SIM_Q_RETAINED_WITHOUT_FLAG] = {"retained-without-flag", "3.1.1:MQTT-3.3.1-8 5.0:MQTT-3.3.1-9",
                                     "Retained messages sent because of a new subscription carry RETAIN 0."},
    [SIM_Q_SUBACK_EXTRA_CODE] = {"suback-extra-code", "3.1.1:MQTT-3.8.4-5 5.0:MQTT-3.8.4-6",
                                 "SUBACK carries one return code more than the SUBSCRIBE has Topic Filters."},
    [SIM_Q_SESSIONS_NEVER_EXPIRE] = {"sessions-never-expire", "5.0:MQTT-4.1.0-2 5.0:MQTT-3.1.2-6",
                                     "5.0: the Session Expiry Interval is ignored, sessions outlive their "
                                     "connection forever."},
    [SIM_Q_PINGREQ_UNANSWERED] = {"pingreq-unanswered", "3.1.1:MQTT-3.12.4-1 5.0:MQTT-3.12.4-1",
                                  "PINGREQ is never answered with PINGRESP."},
};

const sim_quirk_info *sim_quirk_info_of(sim_quirk_id q)
{
    return (unsigned)q < SIM_Q_COUNT ? &quirk_table[q] : NULL;
}

int sim_quirk_by_name(const char *name)
{
    for (int q = 0; q < SIM_Q_COUNT; q++)
        if (strcmp(quirk_table[q].name, name) == 0)
            return q;
    return -1;
}
