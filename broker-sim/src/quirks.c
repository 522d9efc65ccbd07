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
    /* 5.0 enhanced authentication (SCRAM-SHA-256) and problem information */
    [SIM_Q_AUTH_METHOD_OMITTED] = {"auth-method-omitted", "5.0:MQTT-4.12.0-5",
                                   "5.0: the CONNACK that ends a successful enhanced authentication, and the AUTH "
                                   "0x00 that ends a re-authentication, carry no Authentication Method."},
    [SIM_Q_REAUTH_FAILURE_KEPT_OPEN] = {"reauth-failure-kept-open", "5.0:MQTT-4.12.1-2",
                                        "5.0: a re-authentication whose proof is wrong is answered with nothing and "
                                        "the connection stays open, still authenticated."},
    [SIM_Q_REFUSED_CONNECT_PROCESSED] = {"refused-connect-processed", "5.0:MQTT-3.1.4-6 5.0:MQTT-4.12.0-1 "
                                                                      "5.0:MQTT-4.12.0-4",
                                         "5.0: a CONNECT refused for its authentication (CONNACK 0x8C unsupported "
                                         "method, 0x87 wrong proof) leaves the connection open, and what the client "
                                         "sends next is served as if the CONNECT had been accepted."},
    [SIM_Q_AUTH_METHOD_UNCHECKED] = {"auth-method-unchecked", "5.0:MQTT-4.12.1-1 5.0:MQTT-4.13.1-1",
                                     "5.0: an AUTH naming another Authentication Method than the CONNECT's is "
                                     "ignored instead of closing the connection."},
    [SIM_Q_REFUSAL_DISCONNECT] = {"refusal-disconnect", "5.0:MQTT-3.14.0-1",
                                  "5.0: the CONNACK refusing a CONNECT is followed by a DISCONNECT with the same "
                                  "reason code before the close."},
    [SIM_Q_AUTH_METHOD_UNASKED] = {"auth-method-unasked", "5.0:MQTT-4.12.0-6",
                                   "5.0: CONNACK carries Authentication Method SCRAM-SHA-256 although the CONNECT "
                                   "had none."},
    [SIM_Q_PROBLEM_INFO_IGNORED] = {"problem-info-ignored", "5.0:MQTT-3.1.2-28 5.0:MQTT-3.1.2-29",
                                    "5.0: Request Response Information 0 and Request Problem Information 0 are "
                                    "ignored: CONNACK carries Response Information; PUBACK, PUBREC, PUBCOMP, "
                                    "SUBACK and UNSUBACK with a non-zero (SUBACK: >= 0x80) reason code carry a "
                                    "Reason String and a User Property."},
    [SIM_Q_RESPONSE_PROPS_DROPPED] = {"response-props-dropped", "5.0:MQTT-3.3.2-15 5.0:MQTT-3.3.2-16",
                                      "5.0: Response Topic and Correlation Data are left out of forwarded "
                                      "PUBLISH packets (Wills included)."},
    [SIM_Q_LENIENT_UTF8] = {"lenient-utf8", "5.0:MQTT-1.5.4-1 5.0:MQTT-3.3.2-13 5.0:MQTT-3.3.2-19",
                            "5.0: a PUBLISH with a string that is not well-formed UTF-8 (Topic Name, Response "
                            "Topic, Content Type ...) is ignored instead of closing the connection."},
    /* 5.0 shared subscriptions (4.8.2) */
    [SIM_Q_SHARED_EVERY_MEMBER] = {"shared-every-member", "5.0:MQTT-4.8.2-3",
                                   "5.0: a message matching a shared subscription goes to every member, not to one "
                                   "of them (4.8.2: it is \"only sent to the Client attached to one of these "
                                   "Sessions\")."},
    [SIM_Q_SHARED_FIRST_MEMBER_QOS] = {"shared-first-member-qos", "5.0:MQTT-4.8.2-3",
                                       "5.0: every member of a shared subscription gets its messages at the QoS "
                                       "granted to the member that subscribed first, not its own."},
    [SIM_Q_SHARED_REJECTED_REDELIVERED] = {"shared-rejected-redelivered", "5.0:MQTT-4.8.2-6",
                                           "5.0: a shared-subscription message a member refuses with PUBACK or "
                                           "PUBREC 0x80 or above is sent to another member."},
    [SIM_Q_SHARED_MOVED_ON_DROP] = {"shared-moved-on-drop", "5.0:MQTT-4.8.2-4",
                                    "5.0: when a member's connection drops, its unfinished shared-subscription "
                                    "deliveries go to another member (QoS 2 too) and are not resent on resume."},
    [SIM_Q_SHARED_MOVED_ON_SESSION_END] = {"shared-moved-on-session-end", "5.0:MQTT-4.8.2-5",
                                           "5.0: when a member's session ends, its unfinished QoS 2 "
                                           "shared-subscription deliveries go to another member."},
    [SIM_Q_SHARED_LENIENT_NAMES] = {"shared-lenient-names", "5.0:MQTT-4.8.2-1 5.0:MQTT-4.8.2-2",
                                    "5.0: \"$share//F\" (empty ShareName) and \"$share/NAME\" (no Topic Filter) "
                                    "are granted as shared subscriptions."},
    /* 5.0 features announced missing, then mishandled */
    [SIM_Q_MAXIMUM_QOS_LAX] = {"maximum-qos-lax", "5.0:MQTT-3.2.2-10 5.0:MQTT-3.2.2-12",
                               "5.0: CONNACK announces Maximum QoS 1, yet a CONNECT with Will QoS 2 is accepted and a "
                               "SUBSCRIBE requesting QoS 2 is refused with SUBACK 0x80."},
    [SIM_Q_NO_RETAIN_WILL_ACCEPTED] = {"no-retain-will-accepted", "5.0:MQTT-3.2.2-13",
                                       "5.0: CONNACK announces Retain Available 0, yet a CONNECT with Will Retain 1 "
                                       "is accepted."},
    [SIM_Q_MAXIMUM_QOS_UNANNOUNCED] = {"maximum-qos-unannounced", "5.0:MQTT-3.2.2-9",
                                       "5.0: a QoS 2 PUBLISH is refused with DISCONNECT 0x9B (QoS not supported) "
                                       "though the CONNACK announced no Maximum QoS (that is, QoS 2)."},
    /* flow control, ordering, packet identifiers, subscription identifiers */
    [SIM_Q_REORDER] = {"reorder", "3.1.1:MQTT-4.6.0-5 3.1.1:MQTT-4.6.0-6 5.0:MQTT-4.6.0-5 5.0:MQTT-4.6.0-6",
                       "A publisher's messages on a topic are routed with every two consecutive ones swapped (the "
                       "first of a pair waits for the second, for a message on another topic, or for its "
                       "publisher's connection to close), at every QoS."},
    [SIM_Q_RECEIVE_MAXIMUM_IGNORED] = {"receive-maximum-ignored", "5.0:MQTT-3.3.4-9 5.0:MQTT-4.9.0-2",
                                       "5.0: the client's Receive Maximum is ignored, every queued QoS 1/2 delivery "
                                       "goes out at once."},
    [SIM_Q_QUOTA_FREED_AT_PUBREC] = {"quota-freed-at-pubrec", "5.0:MQTT-3.3.4-9 5.0:MQTT-4.9.0-2",
                                     "5.0: a QoS 2 delivery stops counting against the client's Receive Maximum "
                                     "when the client's PUBREC (success) arrives, not at PUBCOMP."},
    [SIM_Q_FLOW_BLOCKS_REPLIES] = {"flow-control-blocks-replies", "5.0:MQTT-3.3.4-10 5.0:MQTT-4.9.0-3",
                                   "5.0: while the client's Receive Maximum is used up, PINGRESP, SUBACK, UNSUBACK "
                                   "and PUBACK are not sent."},
    [SIM_Q_PACKET_ID_IN_USE] = {"packet-id-in-use", "3.1.1:MQTT-4.3.2-1 5.0:MQTT-4.3.2-1",
                                "Every QoS 1/2 delivery gets packet identifier 1, even while another delivery "
                                "holds it."},
    [SIM_Q_SUB_ID_DROPPED] = {"subscription-id-dropped", "5.0:MQTT-3.3.4-3 5.0:MQTT-3.3.4-4 5.0:MQTT-3.3.4-5",
                              "5.0: deliveries never carry the Subscription Identifiers of the subscriptions that "
                              "matched."},
    [SIM_Q_SUB_ID_WRONG] = {"subscription-id-wrong", "5.0:MQTT-3.3.4-3 5.0:MQTT-3.3.4-4 5.0:MQTT-3.3.4-5",
                            "5.0: deliveries carry each matching subscription's Subscription Identifier plus one."},
    [SIM_Q_SUB_ID_UNSOLICITED] = {"subscription-id-unsolicited", "5.0:MQTT-3.3.4-4 5.0:MQTT-3.3.4-5",
                                  "5.0: a matching subscription made without a Subscription Identifier adds "
                                  "identifier 1 to the delivery."},
    [SIM_Q_REJECTED_RETRANSMITTED] = {"rejected-retransmitted", "5.0:MQTT-4.4.0-2",
                                      "5.0: a delivery the client refused with PUBACK or PUBREC 0x80 or above stays "
                                      "unacknowledged and is resent when the session resumes."},
    [SIM_Q_REJECTED_ID_KEPT] = {"rejected-id-kept", "5.0:MQTT-4.3.3-9",
                                "5.0: after refusing a QoS 2 PUBLISH with PUBREC 0x99, its packet identifier is "
                                "still taken as awaiting PUBREL: a new PUBLISH reusing it is treated as a resend "
                                "and not delivered."},
    [SIM_Q_UNSUBSCRIBE_ABANDONS] = {"unsubscribe-abandons-inflight", "3.1.1:MQTT-3.10.4-3 5.0:MQTT-3.10.4-3",
                                    "UNSUBSCRIBE also forgets the QoS 1/2 deliveries in flight on the removed "
                                    "filter: their acknowledgements find nothing (no PUBREL follows a PUBREC)."},
    [SIM_Q_INFLIGHT_EXPIRED] = {"inflight-expired", "5.0:MQTT-4.3.3-7",
                                "5.0: a QoS 2 delivery already sent whose Message Expiry Interval ran out is "
                                "dropped when the session resumes instead of being resent."},
    [SIM_Q_EXPIRED_QOS2_UNCOMPLETED] = {"expired-qos2-uncompleted", "5.0:MQTT-4.3.3-13",
                                        "5.0: the PUBREL of an inbound QoS 2 message whose Message Expiry Interval "
                                        "ran out before it is not answered with PUBCOMP."},
    /* 5.0 Topic Alias and Maximum Packet Size */
    [SIM_Q_TOPIC_ALIAS_OUT_UNLIMITED] = {"topic-alias-out-unlimited", "5.0:MQTT-3.1.2-26 5.0:MQTT-3.1.2-27 "
                                                                    "5.0:MQTT-3.3.2-11",
                                         "5.0: Topic Aliases go to every client, numbered up to the sim's own "
                                         "maximum, whatever Topic Alias Maximum the client announced (none too)."},
    [SIM_Q_TOPIC_ALIAS_MAXIMUM_IGNORED] = {"topic-alias-maximum-ignored", "5.0:MQTT-4.13.1-1",
                                           "5.0: a client's Topic Alias above the Topic Alias Maximum of the "
                                           "CONNACK is taken instead of closing the connection."},
    [SIM_Q_TOPIC_ALIAS_ZERO_ACCEPTED] = {"topic-alias-zero-accepted", "5.0:MQTT-4.13.1-1",
                                         "5.0: a client's PUBLISH with Topic Alias 0 (malformed, MQTT-3.3.2-8) is "
                                         "taken as if it carried no alias instead of closing the connection."},
    [SIM_Q_TOPIC_ALIAS_OFF_BY_ONE] = {"topic-alias-off-by-one", "5.0:MQTT-3.3.2-12",
                                      "5.0: a client's Topic Alias equal to the Topic Alias Maximum of the CONNACK "
                                      "is refused (DISCONNECT 0x94) as if it were above it."},
    [SIM_Q_TOPIC_ALIAS_KEPT] = {"topic-alias-kept", "5.0:MQTT-3.3.2-7",
                                "5.0: the Topic Aliases a client set stay mapped on its next connection (same "
                                "session)."},
    [SIM_Q_MAX_PACKET_SIZE_IGNORED] = {"max-packet-size-ignored", "5.0:MQTT-3.1.2-24",
                                       "5.0: packets larger than the client's Maximum Packet Size are sent anyway."},
    [SIM_Q_OVERSIZE_MESSAGE_KEPT] = {"oversize-message-kept", "5.0:MQTT-3.1.2-25",
                                     "5.0: a message too big for the client's Maximum Packet Size is not sent but "
                                     "stays queued, holding back every later message to that client."},
    [SIM_Q_ACK_PROPERTIES_OVERSIZE] = {"ack-properties-oversize", "5.0:MQTT-3.2.2-19 5.0:MQTT-3.2.2-20 "
                                                                  "5.0:MQTT-3.4.2-2 5.0:MQTT-3.4.2-3 "
                                                                  "5.0:MQTT-3.5.2-2 5.0:MQTT-3.5.2-3 "
                                                                  "5.0:MQTT-3.6.2-2 5.0:MQTT-3.6.2-3 "
                                                                  "5.0:MQTT-3.7.2-2 5.0:MQTT-3.7.2-3 "
                                                                  "5.0:MQTT-3.9.2-1 5.0:MQTT-3.9.2-2 "
                                                                  "5.0:MQTT-3.11.2-1 5.0:MQTT-3.11.2-2 "
                                                                  "5.0:MQTT-3.15.2-2 5.0:MQTT-3.15.2-3",
                                       "5.0: CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK and AUTH carry a "
                                       "Reason String and a User Property even where that makes them larger than "
                                       "the client's Maximum Packet Size."},
    /* strings, topics, connecting */
    [SIM_Q_TOPIC_BOM_STRIPPED] = {"topic-bom-stripped", "3.1.1:MQTT-1.5.3-3 5.0:MQTT-1.5.4-3",
                                  "The bytes EF BB BF (U+FEFF) are stripped from the Topic Name of a PUBLISH before "
                                  "it is matched and forwarded."},
    [SIM_Q_TOPIC_CASE_FOLDED] = {"topic-case-folded", "3.1.1:MQTT-4.7.3-4 5.0:MQTT-4.7.3-4",
                                 "Subscription matching ignores ASCII case: \"a/B\" matches the filter \"a/b\"."},
    [SIM_Q_ANY_PROTOCOL_NAME] = {"any-protocol-name", "3.1.1:MQTT-3.1.2-1 5.0:MQTT-3.1.2-1",
                                 "A CONNECT whose protocol name is not MQTT (nor MQIsdp at level 3) is accepted "
                                 "as if it were."},
    [SIM_Q_PROCESSES_AFTER_REFUSAL] = {"processes-after-refusal", "3.1.1:MQTT-3.1.4-5 5.0:MQTT-3.1.4-6",
                                       "After refusing a CONNECT, PUBLISH packets the client sent behind it in the "
                                       "same read are still published (and retained)."},
    [SIM_Q_RETAIN_QOS0_KEEPS_OLD] = {"retain-qos0-keeps-old", "3.1.1:MQTT-3.3.1-7 5.0:MQTT-3.3.1-5",
                                     "A retained QoS 0 PUBLISH is forwarded but leaves an earlier retained message "
                                     "of its topic in place."},
    [SIM_Q_RETAIN_ENDS_WITH_SESSION] = {"retain-ends-with-session", "3.1.1:MQTT-3.1.2-7",
                                        "Retained messages are discarded when the session of the client that "
                                        "published them ends (as if they were session state)."},
    [SIM_Q_WILL_OUTLIVES_CONNECT] = {"will-outlives-connect", "3.1.1:MQTT-3.1.2-12",
                                     "A CONNECT with Will Flag 0 that resumes a session keeps the Will of the "
                                     "session's earlier connection: it is published when the new connection "
                                     "closes abruptly."},
    [SIM_Q_LENIENT_WILL_FLAGS] = {"lenient-will-flags", "3.1.1:MQTT-3.1.2-11 3.1.1:MQTT-3.1.4-1 5.0:MQTT-3.1.2-11 "
                                                        "5.0:MQTT-3.1.4-1",
                                  "A CONNECT with Will QoS or Will Retain set while Will Flag is 0 is accepted (the "
                                  "bits ignored) instead of closing the connection."},
    [SIM_Q_REFUSAL_LEFT_OPEN] = {"refusal-left-open", "3.1.1:MQTT-3.2.2-5 5.0:MQTT-3.2.2-7 5.0:MQTT-3.1.4-2",
                                 "After a CONNACK that refuses the connection (non-zero return code, 5.0 0x80 or "
                                 "above) the connection is left open (what the client sends is ignored)."},
    [SIM_Q_DENIED_PUBLISH_UNANSWERED] = {"denied-publish-unanswered", "3.1.1:MQTT-3.3.5-2",
                                         "A QoS 1 or 2 PUBLISH to the denied topic (sim --deny-topic) is dropped "
                                         "without an acknowledgement, and the connection stays open."},
    [SIM_Q_SESSION_EXPIRY_FROM_CONNECT] = {"session-expiry-from-connect", "5.0:MQTT-4.1.0-1",
                                           "5.0: the Session Expiry Interval is counted from the CONNECT: a session "
                                           "whose interval runs out while its connection is open is discarded "
                                           "(subscriptions gone, the connection closed at its next packet)."},
    [SIM_Q_UNSUBSCRIBE_DROPS_INFLIGHT] = {"unsubscribe-drops-inflight", "3.1.1:MQTT-3.10.4-3 5.0:MQTT-3.10.4-3",
                                          "UNSUBSCRIBE abandons the QoS 1 and 2 deliveries in flight whose topic "
                                          "matched the removed filter: a later PUBREC or PUBACK for them is "
                                          "ignored."},
    /* delivery guarantees across reconnects: what `mqttspec chaos` must catch */
    [SIM_Q_CHAOS_LOSE_ACKED_QOS1] = {"chaos-lose-acked-qos1", "3.1.1:MQTT-3.1.2-5 5.0:MQTT-3.1.2-23",
                                     "On session resume, every 10th QoS 1 message queued for the client while it "
                                     "was away (counted over the session's life) is dropped unsent, although its "
                                     "publisher had its PUBACK."},
    [SIM_Q_CHAOS_QOS2_DUP_ON_RECONNECT] = {"chaos-qos2-dup-on-reconnect", "3.1.1:MQTT-4.4.0-1 3.1.1:MQTT-4.3.3-1 "
                                                                          "5.0:MQTT-4.4.0-1 5.0:MQTT-4.3.3-6",
                                           "On session resume, a QoS 2 message whose delivery was interrupted is "
                                           "completed as usual and also sent again as a new message (new packet "
                                           "identifier, DUP 0)."},
    [SIM_Q_CHAOS_SHARED_LOSE] = {"chaos-shared-lose", "5.0:MQTT-4.5.0-1",
                                 "5.0: every 5th QoS 1 message routed to a shared subscription group (counted per "
                                 "group) is delivered to no member, although its publisher had its PUBACK."},
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

_Static_assert(SIM_Q_COUNT <= 8 * sizeof(sim_quirk_set), "sim_quirk_set has one bit per quirk");

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
