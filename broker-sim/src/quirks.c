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
    /* acknowledgements and QoS */
    [SIM_Q_PUBACK_ID_SWAPPED] = {"puback-id-swapped", "3.1.1:MQTT-2.3.1-6 3.1.1:MQTT-4.3.2-2 5.0:MQTT-2.2.1-5 "
                                                      "5.0:MQTT-4.3.2-4",
                                 "PUBACK carries the PUBLISH's packet identifier with its two bytes swapped "
                                 "(an endianness slip)."},
    [SIM_Q_PUBCOMP_MISSING] = {"pubcomp-missing", "3.1.1:MQTT-4.3.3-2 5.0:MQTT-4.3.3-11",
                               "PUBREL is never answered with PUBCOMP (the message is still delivered)."},
    [SIM_Q_PUBREL_NOT_RESENT] = {"pubrel-not-resent", "3.1.1:MQTT-4.4.0-1 5.0:MQTT-4.4.0-1",
                                 "On session resume only unacknowledged PUBLISH packets are resent, not PUBREL."},
    [SIM_Q_DUP_PROPAGATED] = {"dup-propagated", "3.1.1:MQTT-3.3.1-3 5.0:MQTT-3.3.1-3",
                              "A QoS 1 or 2 PUBLISH that came in with DUP 1 is forwarded with DUP 1 on its first "
                              "delivery."},
    [SIM_Q_QOS_NOT_DOWNGRADED] = {"qos-not-downgraded", "3.1.1:MQTT-3.8.4-6 5.0:MQTT-3.8.4-8",
                                  "Messages are forwarded at the QoS they were published with, even above the "
                                  "QoS the subscription granted (Wills included)."},
    [SIM_Q_QOS_UPGRADED] = {"qos-upgraded", "3.1.1:MQTT-3.8.4-6 5.0:MQTT-3.8.4-8",
                            "Messages are forwarded at the subscription's QoS, even above the QoS they were "
                            "published with (like mosquitto's non-conforming upgrade_outgoing_qos)."},
    [SIM_Q_OVERLAP_FIRST_MATCH_QOS] = {"overlap-first-match-qos", "3.1.1:MQTT-3.3.5-1 5.0:MQTT-3.3.4-2",
                                       "With overlapping subscriptions the first matching one sets the QoS, not "
                                       "the highest."},
    /* subscriptions and matching */
    [SIM_Q_NO_LOCAL_IGNORED] = {"no-local-ignored", "5.0:MQTT-3.8.3-3",
                                "5.0: No Local is ignored, a client receives its own messages."},
    [SIM_Q_DOLLAR_TOPICS_MATCHED] = {"dollar-topics-matched", "3.1.1:MQTT-4.7.2-1 5.0:MQTT-4.7.2-1",
                                     "Filters starting with '#' or '+' also match Topic Names starting with '$'."},
    [SIM_Q_HASH_EXCLUDES_PARENT] = {"hash-excludes-parent", "3.1.1:MQTT-4.5.0-1 5.0:MQTT-4.5.0-1",
                                    "A trailing '#' matches child levels only: \"a/#\" does not match \"a\"."},
    [SIM_Q_SUBACK_ID_SWAPPED] = {"suback-id-swapped", "3.1.1:MQTT-3.8.4-2 3.1.1:MQTT-2.3.1-7 5.0:MQTT-3.8.4-2 "
                                                      "5.0:MQTT-2.2.1-6",
                                 "SUBACK carries the SUBSCRIBE's packet identifier with its two bytes swapped."},
    [SIM_Q_RESUBSCRIBE_DUPLICATES] = {"resubscribe-duplicates", "3.1.1:MQTT-3.8.4-3 5.0:MQTT-3.8.4-3",
                                      "Subscribing again to an identical filter adds a second subscription instead "
                                      "of replacing the first."},
    [SIM_Q_UNSUBACK_ONLY_IF_REMOVED] = {"unsuback-only-if-removed", "3.1.1:MQTT-3.10.4-5 5.0:MQTT-3.10.4-5",
                                        "UNSUBACK is sent only when the UNSUBSCRIBE removed at least one "
                                        "subscription."},
    [SIM_Q_UNSUBSCRIBE_BY_MATCH] = {"unsubscribe-by-match", "3.1.1:MQTT-3.10.4-1 5.0:MQTT-3.10.4-1",
                                    "UNSUBSCRIBE also removes wildcard subscriptions that match the filter given, "
                                    "not only the identical one."},
    /* retained messages */
    [SIM_Q_RETAIN_NOT_STORED] = {"retain-not-stored", "3.1.1:MQTT-3.3.1-5 5.0:MQTT-3.3.1-5",
                                 "A PUBLISH with RETAIN 1 is forwarded but never stored as the retained message."},
    [SIM_Q_RETAIN_EMPTY_NOT_CLEARED] = {"retain-empty-not-cleared", "3.1.1:MQTT-3.3.1-10 5.0:MQTT-3.3.1-6",
                                        "A retained PUBLISH with an empty payload is forwarded but leaves the "
                                        "stored retained message in place."},
    [SIM_Q_RETAINED_NOT_RESENT] = {"retained-not-resent", "3.1.1:MQTT-3.8.4-3 5.0:MQTT-3.8.4-4",
                                   "Subscribing again to an existing filter sends no retained messages (as if "
                                   "Retain Handling were always 1)."},
    [SIM_Q_RETAINED_QOS_NOT_DOWNGRADED] = {"retained-qos-not-downgraded", "3.1.1:MQTT-3.8.4-6 5.0:MQTT-3.8.4-8",
                                           "Retained messages sent on subscribing keep their stored QoS, even "
                                           "above the QoS the subscription granted."},
    [SIM_Q_RETAIN_HANDLING_IGNORED] = {"retain-handling-ignored", "5.0:MQTT-3.3.1-10 5.0:MQTT-3.3.1-11",
                                       "5.0: Retain Handling is ignored, retained messages are sent on every "
                                       "subscribe."},
    [SIM_Q_RETAIN_AS_PUBLISHED_IGNORED] = {"retain-as-published-ignored", "5.0:MQTT-3.3.1-13",
                                           "5.0: Retain As Published is ignored, forwards always have RETAIN 0."},
    /* connections and sessions */
    [SIM_Q_SECOND_CONNECT_IGNORED] = {"second-connect-ignored", "3.1.1:MQTT-3.1.0-2 5.0:MQTT-3.1.0-2",
                                      "A second CONNECT on a connection is ignored instead of closing it."},
    [SIM_Q_SESSION_PRESENT_ON_CLEAN] = {"session-present-on-clean", "3.1.1:MQTT-3.2.2-1 5.0:MQTT-3.2.2-2",
                                        "CleanSession / Clean Start 1 discards a stored session but answers "
                                        "Session Present 1."},
    [SIM_Q_TAKEOVER_KEEPS_OLD] = {"takeover-keeps-old", "3.1.1:MQTT-3.1.4-2 5.0:MQTT-3.1.4-3",
                                  "A second connection with the same Client Identifier takes the session, but the "
                                  "old connection stays open until it sends a packet."},
    [SIM_Q_DISCONNECT_EXPIRY_IGNORED] = {"disconnect-expiry-ignored", "5.0:MQTT-3.1.2-23 5.0:MQTT-4.1.0-2",
                                         "5.0: a Session Expiry Interval in DISCONNECT is ignored, the CONNECT's "
                                         "stays in force."},
    /* wills and expiry */
    [SIM_Q_WILL_RETAIN_IGNORED] = {"will-retain-ignored", "3.1.1:MQTT-3.1.2-17 5.0:MQTT-3.1.2-15",
                                   "Will Retain is ignored: the Will is published as a non-retained message."},
    [SIM_Q_WILL_QOS_IGNORED] = {"will-qos-ignored", "3.1.1:MQTT-3.1.2-8 3.1.1:MQTT-3.8.4-6 5.0:MQTT-3.1.2-8 "
                                                    "5.0:MQTT-3.8.4-8",
                                "Will QoS is ignored: the Will is published at QoS 0."},
    [SIM_Q_WILL_DELAY_IGNORED] = {"will-delay-ignored", "5.0:MQTT-3.1.2-8 5.0:MQTT-3.1.3-9",
                                  "5.0: the Will Delay Interval is ignored, the Will is published as soon as the "
                                  "connection closes."},
    [SIM_Q_MESSAGE_EXPIRY_IGNORED] = {"message-expiry-ignored", "5.0:MQTT-3.3.2-5 5.0:MQTT-3.3.2-6",
                                      "5.0: the Message Expiry Interval of a PUBLISH is ignored: the message never "
                                      "expires and is forwarded without it."},
    /* lenient parsing: malformed input a conforming server closes the connection on */
    [SIM_Q_LENIENT_RESERVED_FLAGS] = {"lenient-reserved-flags", "3.1.1:MQTT-2.2.2-2 3.1.1:MQTT-3.6.1-1 "
                                                                "3.1.1:MQTT-3.8.1-1 3.1.1:MQTT-3.10.1-1 "
                                                                "3.1.1:MQTT-3.14.1-1 5.0:MQTT-2.1.3-1 "
                                                                "5.0:MQTT-3.6.1-1 5.0:MQTT-3.8.1-1 5.0:MQTT-3.10.1-1 "
                                                                "5.0:MQTT-3.14.1-1 5.0:MQTT-3.15.1-1",
                                      "A packet whose only fault is its reserved fixed-header flags is ignored "
                                      "instead of closing the connection."},
    [SIM_Q_LENIENT_FIXED_LENGTH] = {"lenient-fixed-length", "3.1.1:MQTT-4.8.0-1 5.0:MQTT-4.13.1-1",
                                    "A PUBACK, PUBREC, PUBREL, PUBCOMP, PINGREQ or DISCONNECT with a wrong "
                                    "Remaining Length is taken without its extra bytes, or ignored when too short."},
    [SIM_Q_IGNORES_SERVER_PACKETS] = {"ignores-server-packets", "3.1.1:MQTT-4.8.0-1 5.0:MQTT-4.13.1-1",
                                      "A CONNACK, SUBACK, UNSUBACK or PINGRESP sent by a client is ignored "
                                      "instead of closing the connection."},
    [SIM_Q_UNEXPECTED_AUTH_IGNORED] = {"unexpected-auth-ignored", "5.0:MQTT-4.13.1-1",
                                       "5.0: an AUTH from a client whose CONNECT had no Authentication Method is "
                                       "ignored instead of closing the connection."},
    /* MQTT over WebSocket: effective on ws:// and wss:// listeners only */
    [SIM_Q_WS_ACCEPT_TEXT] = {"ws-accept-text", "3.1.1:MQTT-6.0.0-1 5.0:MQTT-6.0.0-1",
                              "WebSocket: a text frame is read as MQTT bytes instead of closing the connection."},
    [SIM_Q_WS_FRAME_ALIGNED] = {"ws-frame-aligned", "3.1.1:MQTT-6.0.0-2 5.0:MQTT-6.0.0-2",
                                "WebSocket: each data message is taken for exactly one MQTT packet; one holding "
                                "several packets or part of one closes the connection."},
    [SIM_Q_WS_NO_PROTOCOL] = {"ws-no-protocol", "3.1.1:MQTT-6.0.0-4 5.0:MQTT-6.0.0-4",
                              "WebSocket: the handshake answer selects no subprotocol (no Sec-WebSocket-Protocol "
                              "header)."},
    /* planted crashes: no statement is broken, `mqttspec run` reports the case as CRASHED */
    [SIM_Q_CRASH_ON_CLIENT_CONNACK] = {"crash-on-client-connack", "",
                                       "A CONNACK sent by a client crashes the broker: every listener and "
                                       "connection is closed at once, no Will is published, nothing is accepted "
                                       "until the broker is restarted."},
    [SIM_Q_CRASH_ON_MALFORMED] = {"crash-on-malformed", "",
                                  "A malformed packet makes the broker exit (as its own process: exit status 1; "
                                  "embedded: every listener and connection closes)."},
    [SIM_Q_ABORT_ON_DOLLAR_PUBLISH] = {"abort-on-dollar-publish", "",
                                       "A PUBLISH from a client to a topic starting with $ fails an assertion: "
                                       "abort() (embedded: every listener and connection closes)."},
    [SIM_Q_DEEP_TOPIC_RECURSION] = {"deep-topic-recursion", "",
                                    "A PUBLISH topic is walked recursively, one 1 KB stack frame per level: tens of "
                                    "thousands of levels overflow the stack (embedded: beyond 5000 levels every "
                                    "listener and connection closes)."},
    /* planted resource bugs: only as a process of its own (mqttspec sim), seen by --broker-cmd's memory oracle */
    [SIM_Q_LEAK_QOS2_RESEND] = {"leak-qos2-resend", "",
                                "Each QoS 2 PUBLISH resent before its PUBREL leaks 1 MB (as its own process "
                                "only: `run --broker-cmd --rss-bound` sees it)."},
    [SIM_Q_ALLOC_ANNOUNCED_LENGTH] = {"alloc-announced-length", "",
                                      "Before CONNECT, the Remaining Length a packet announces is allocated at "
                                      "once (up to 16 MB) and never freed (as its own process only)."},
    [SIM_Q_LEAK_WILL_PROPERTY] = {"leak-will-property", "",
                                  "A CONNECT refused because of a malformed property (a Will property among them) "
                                  "leaks 1 MB (as its own process only)."},
};

_Static_assert(SIM_Q_COUNT <= 64, "sim_quirk_set has one bit per quirk");

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
