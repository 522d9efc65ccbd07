/* The variant table: behaviours the specification allows, each with the sentence that allows it,
 * for --variant, --list-variants, the README and ci/variant-matrix.sh. */
#include <string.h>

#include "internal.h"

static const sim_variant_info variant_table[SIM_V_COUNT] = {
    [SIM_V_INFLIGHT_1] =
        {"inflight-1", "3.1.1:4.6 5.0:MQTT-3.3.4-9",
         "3.1.1 4.6: \"If both Client and Server make sure that no more than one message is \"in-flight\" at any "
         "one time (by not sending a message until its predecessor has been acknowledged), then no QoS 1 message "
         "will be received after any later one\"; 5.0: \"The Server MUST NOT send more than Receive Maximum QoS 1 "
         "and QoS 2 PUBLISH packets for which it has not received PUBACK, PUBCOMP, or PUBREC with a Reason Code of "
         "128 or greater from the Client [MQTT-3.3.4-9]\" (an upper bound, not a promise).",
         "At most one unacknowledged QoS 1 or QoS 2 PUBLISH towards each client; further deliveries, QoS 0 ones "
         "too (5.0 4.9: the Server MAY continue to send QoS 0 PUBLISH packets, it need not), wait in order.", ""},
    [SIM_V_MAX_QOS_1] =
        {"max-qos-1", "3.1.1:MQTT-3.8.4-6 5.0:MQTT-3.8.4-8 5.0:MQTT-3.2.2-9 5.0:MQTT-3.2.2-10 5.0:MQTT-3.2.2-12",
         "\"The Server might grant a lower maximum QoS than the subscriber requested\" (3.1.1 3.8.4, 5.0 3.8.4); "
         "5.0 3.2.2.3.4: \"If a Server does not support QoS 1 or QoS 2 PUBLISH packets it MUST send a Maximum "
         "QoS in the CONNACK packet specifying the highest QoS it supports [MQTT-3.2.2-9]\" and \"It is a "
         "Protocol Error if the Server receives a PUBLISH packet with a QoS greater than the Maximum QoS it "
         "specified. In this case use DISCONNECT with Reason Code 0x9B (QoS not supported)\".",
         "SUBACK grants QoS 1 for a QoS 2 request; 5.0: CONNACK Maximum QoS 1, a QoS 2 PUBLISH gets DISCONNECT "
         "0x9B and a Will QoS 2 gets CONNACK 0x9B (3.1.1 still answers a QoS 2 PUBLISH with PUBREC).", "qos2"},
    [SIM_V_NO_RETAIN] =
        {"no-retain", "5.0:MQTT-3.2.2-13 5.0:MQTT-3.2.2-14",
         "5.0 3.2.2.3.5: \"A value of 0 means that retained messages are not supported\"; \"If the Server "
         "receives such a packet, this is a Protocol Error. The Server SHOULD send a DISCONNECT with Reason Code "
         "of 0x9A (Retain not supported)\"; a Will Retain 1 \"MUST reject the connection request. It SHOULD "
         "send CONNACK with Reason Code 0x9A (Retain not supported) [MQTT-3.2.2-13]\".",
         "5.0: CONNACK Retain Available 0; a PUBLISH with RETAIN 1 gets DISCONNECT 0x9A, a Will Retain 1 "
         "CONNACK 0x9A. 3.1.1 connections are unaffected (retained messages are mandatory there).", "5.0:retain"},
    [SIM_V_NO_WILDCARDS] =
        {"no-wildcards", "3.1.1:MQTT-3.8.3-2 5.0:3.2.2.3.12 5.0:3.9.3",
         "3.1.1 3.8.3: \"If the Server chooses not to support topic filters that contain wildcard characters it "
         "MUST reject any Subscription request whose filter contains them [MQTT-3.8.3-2]\"; 5.0 3.2.2.3.12: \"A value of 0 means that Wildcard Subscriptions are not supported\"; SUBACK Reason "
         "Code 0xA2 \"Wildcard Subscriptions not supported: The Server does not support Wildcard Subscriptions; "
         "the subscription is not accepted.\" (3.9.3).",
         "A filter with '+' or '#' is refused: 3.1.1 SUBACK 0x80; 5.0 SUBACK 0xA2 after CONNACK Wildcard "
         "Subscription Available 0.", "wildcards"},
    [SIM_V_NO_SUBSCRIPTION_IDS] =
        {"no-subscription-ids", "5.0:3.2.2.3.13",
         "5.0 3.2.2.3.13: \"A value of 0 means that Subscription Identifiers are not supported\"; \"If the "
         "Server receives a SUBSCRIBE packet containing Subscription Identifier and it does not support "
         "Subscription Identifiers, this is a Protocol Error. The Server uses DISCONNECT with Reason Code of "
         "0xA1 (Subscription Identifiers not supported)\".",
         "5.0: CONNACK Subscription Identifiers Available 0; a SUBSCRIBE with a Subscription Identifier gets "
         "DISCONNECT 0xA1.", "5.0:subscription_identifiers"},
    [SIM_V_SESSION_EXPIRY_OVERRIDE] =
        {"session-expiry-override", "5.0:3.2.2.3.2",
         "5.0 3.2.2.3.2: \"If the Session Expiry Interval is absent the value in the CONNECT Packet used. The "
         "server uses this property to inform the Client that it is using a value other than that sent by the "
         "Client in the CONNACK.\"",
         "5.0: a Session Expiry Interval above 5 s is capped at 5 s, announced in CONNACK and honoured.",
         "5.0:session_expiry"},
    [SIM_V_KEEP_ALIVE_OVERRIDE] =
        {"keep-alive-override", "5.0:MQTT-3.2.2-21",
         "5.0 3.2.2.3.14: \"If the Server sends a Server Keep Alive on the CONNACK packet, the Client MUST use "
         "this value instead of the Keep Alive value the Client sent on CONNECT [MQTT-3.2.2-21]\".",
         "5.0: a non-zero Keep Alive K is answered by Server Keep Alive 2 x K in CONNACK, which the sim "
         "enforces.", "5.0:keep_alive"},
    [SIM_V_WRONG_PROTOCOL_NAME_311] =
        {"wrong-protocol-name-311", "3.1.1:MQTT-3.1.2-1 5.0:MQTT-3.1.2-1",
         "3.1.1 3.1.2.1: \"If the protocol name is incorrect the Server MAY disconnect the Client, or it MAY "
         "continue processing the CONNECT packet in accordance with some other specification. In the latter "
         "case, the Server MUST NOT continue to process the CONNECT packet in line with this specification "
         "[MQTT-3.1.2-1]\".",
         "A CONNECT whose protocol name is not MQTT (any level, 5 included) gets the 3.1.1 CONNACK 20 02 00 01, "
         "then the connection is closed.", ""},
    [SIM_V_QOS2_FORWARD_AT_PUBREL] =
        {"qos2-forward-at-pubrel", "3.1.1:4.3.3 5.0:4.3.3",
         "3.1.1 Figure 4.3: the receiver may \"Store message\" on PUBLISH and, on PUBREL, \"Initiate onward "
         "delivery of the Application Message then discard message\" (Method A), instead of delivering on "
         "PUBLISH (Method B); 5.0 4.3.3 keeps both: the receiver MUST NOT cause duplicate delivery until PUBREL "
         "[MQTT-4.3.3-10], and when it delivers is its own.",
         "An inbound QoS 2 message is stored on PUBLISH and delivered to subscribers (and the retained store) "
         "when its PUBREL arrives.", ""},
    [SIM_V_CLOSE_WITHOUT_DISCONNECT] =
        {"close-without-disconnect", "5.0:4.13.1 5.0:MQTT-3.1.2-22 5.0:MQTT-3.1.4-3",
         "5.0 4.13.1: \"In the case of an error in any other packet it SHOULD send a DISCONNECT packet containing "
         "the reason code before closing the Network Connection\" (a SHOULD: closing alone is allowed, a "
         "scenario may WARN); keep-alive: \"it MUST disconnect the Network Connection to the Client as if the "
         "network had failed [MQTT-3.1.2-22]\"; takeover: the MUST is to \"close the Network Connection of the "
         "existing Client [MQTT-3.1.4-3]\".",
         "5.0: wherever the sim would send DISCONNECT before closing (errors, takeover, unsupported features), "
         "it just closes.", ""},
    [SIM_V_NO_ENHANCED_AUTH] =
        {"no-enhanced-auth", "5.0:4.12 5.0:MQTT-4.12.0-1",
         "5.0 4.12: \"If the Server does not support the Authentication Method supplied by the Client, it MAY send "
         "a CONNACK with a Reason Code of 0x8C (Bad authentication method) or 0x87 (Not Authorized) as described in "
         "section 4.13 and MUST close the Network Connection [MQTT-4.12.0-1]\"; the specification names no method "
         "a Server must support.",
         "5.0: every CONNECT with an Authentication Method is refused with CONNACK 0x8C and closed.",
         "5.0:enhanced_auth"},
    [SIM_V_PROBLEM_INFO] =
        {"problem-info", "5.0:3.1.2.11.6 5.0:3.1.2.11.7",
         "5.0 3.1.2.11.6: \"If the Request Response Information is 0, the Server MUST NOT return Response "
         "Information [MQTT-3.1.2-28]. If the value is 1 the Server MAY return Response Information in the "
         "CONNACK packet\"; 3.1.2.11.7: \"If the value of Request Problem Information is 1, the Server MAY "
         "return a Reason String or User Properties on any packet where it is allowed\".",
         "5.0: CONNACK carries Response Information when the CONNECT asked for it; PUBACK, PUBREC, PUBCOMP, "
         "SUBACK and UNSUBACK with a non-zero (SUBACK: >= 0x80) reason code carry a Reason String and a User "
         "Property unless the CONNECT's Request Problem Information is 0.", ""},
    [SIM_V_SHARED_FIRST_MEMBER] =
        {"shared-first-member", "5.0:4.8.2",
         "5.0 4.8.2: \"The Server is free to choose which Client it sends each message to, it can use any "
         "criteria it likes\" (the default sim takes turns).",
         "5.0: every message of a shared subscription goes to the member that subscribed first among those "
         "connected.", ""},
    [SIM_V_NO_SHARED] =
        {"no-shared", "5.0:3.2.2.3.15 5.0:3.9.3",
         "5.0 3.2.2.3.15: \"A value of 0 means that Shared Subscriptions are not supported\"; SUBACK Reason Code "
         "0x9E \"Shared Subscriptions not supported: The Server does not support Shared Subscriptions for this "
         "Client.\" (3.9.3).",
         "5.0: CONNACK Shared Subscription Available 0; a \"$share/\" filter gets SUBACK 0x9E.",
         "5.0:shared_subscriptions"},
    [SIM_V_MAX_QOS_0] =
        {"max-qos-0", "3.1.1:MQTT-3.8.4-6 5.0:MQTT-3.8.4-8 5.0:MQTT-3.2.2-9 5.0:MQTT-3.2.2-12",
         "\"The Server might grant a lower maximum QoS than the subscriber requested\" (3.1.1 3.8.4, 5.0 3.8.4); "
         "5.0 3.2.2.3.4: \"If a Server does not support QoS 1 or QoS 2 PUBLISH packets it MUST send a Maximum "
         "QoS in the CONNACK packet specifying the highest QoS it supports [MQTT-3.2.2-9]\".",
         "SUBACK grants QoS 0 for every request; 5.0: CONNACK Maximum QoS 0, a QoS 1 or 2 PUBLISH gets DISCONNECT "
         "0x9B and a Will QoS 1 or 2 CONNACK 0x9B (3.1.1 still acknowledges QoS 1 and 2 PUBLISH packets).",
         "qos1 qos2"},
    [SIM_V_COPY_PER_SUBSCRIPTION] =
        {"copy-per-subscription", "3.1.1:MQTT-3.3.5-1 5.0:MQTT-3.3.4-2 5.0:MQTT-3.3.4-5",
         "3.1.1 3.3.5 and 5.0 3.3.4: \"the Server MUST deliver the message to the Client respecting the maximum "
         "QoS of all the matching subscriptions. In addition, the Server MAY deliver further copies of the "
         "message, one for each additional matching subscription and respecting the subscription's QoS in each "
         "case\"; 5.0: \"If the Server sends multiple PUBLISH packets it MUST send, in each of them, the "
         "Subscription Identifier of the matching subscription if it has a Subscription Identifier "
         "[MQTT-3.3.4-5]\".",
         "A message matching several subscriptions of one client is delivered once per matching subscription, in "
         "the order the subscriptions were made, each copy at that subscription's QoS (at most the published "
         "one), with its Retain As Published and (5.0) its own Subscription Identifier.", ""},
    [SIM_V_TOPIC_ALIAS_OUT] =
        {"topic-alias-out", "5.0:3.3.2.3.4 5.0:MQTT-3.3.2-11",
         "5.0 3.3.2.3.4: \"The sender decides whether to use a Topic Alias and chooses the value. It sets a Topic "
         "Alias mapping by including a non-zero length Topic Name and a Topic Alias in the PUBLISH packet\"; a "
         "later PUBLISH may carry the alias and a zero length Topic Name, within the Topic Alias Maximum the "
         "client sent [MQTT-3.3.2-11].",
         "5.0: towards a client that announced a Topic Alias Maximum, every topic gets an alias (1 up to that "
         "maximum, reused round-robin); a topic already mapped goes out with its alias and an empty Topic Name.",
         ""},
    [SIM_V_ACK_PROPERTIES] =
        {"ack-properties", "5.0:3.4.2.2.2 5.0:MQTT-3.4.2-2 5.0:MQTT-3.4.2-3",
         "5.0 3.4.2.2.2 (and the same sections of CONNACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, "
         "DISCONNECT, AUTH): \"The sender uses this value to give additional information to the receiver. The sender "
         "MUST NOT send this property if it would increase the size of the PUBACK packet beyond the Maximum "
         "Packet Size specified by the receiver [MQTT-3.4.2-2]\"; User Property likewise [MQTT-3.4.2-3].",
         "5.0: CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT and AUTH carry a Reason String "
         "and a User Property, each left out where it would take the packet past the client's Maximum Packet "
         "Size.", ""},
};

uint8_t sim_variant_max_qos(sim_variant_set set)
{
    return sim_variant(set, SIM_V_MAX_QOS_0) ? 0 : sim_variant(set, SIM_V_MAX_QOS_1) ? 1 : 2;
}

_Static_assert(SIM_V_COUNT <= 32, "sim_variant_set has one bit per variant");

const sim_variant_info *sim_variant_info_of(sim_variant_id v)
{
    return (unsigned)v < SIM_V_COUNT ? &variant_table[v] : NULL;
}

int sim_variant_by_name(const char *name)
{
    for (int v = 0; v < SIM_V_COUNT; v++)
        if (strcmp(variant_table[v].name, name) == 0)
            return v;
    return -1;
}
