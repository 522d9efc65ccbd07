/*
 * Every reason the codec rejects a packet, in one table.
 *
 * X(NAME, statement in 3.1.1, statement in 5.0, citation for 3.1,
 *   5.0 reason code a receiver would send, message)
 *
 * A statement or citation is NULL when the rule does not exist in that
 * version (the code is then never returned for it).  Where the spec writes a
 * rule in prose without its own statement number, the statement given is the
 * numbered one that obliges the receiver to act on it (3.1.1 MQTT-4.8.0-1 /
 * 5.0 MQTT-4.13.1-1) and the message names the section that states the rule.
 * MQTT 3.1 has no numbered statements; its column names the section of the
 * 3.1.1 specification that restates the 3.1 rule (CF31), because the 3.1
 * document's own section numbers could not be checked against a copy of it.
 * Statement ids are checked against the lists in spec/ by tests/test_errors.c.
 */
#ifndef MQTTSPEC_CODEC_ERRORS_H
#define MQTTSPEC_CODEC_ERRORS_H

/* A 3.1 citation: the section of the 3.1.1 specification that restates the 3.1 rule. */
#define CF31(section) "cf. 3.1.1 \xc2\xa7" section /* U+00A7 SECTION SIGN in UTF-8 */

#define MQTT_ERROR_TABLE(X) \
  X(OK, NULL, NULL, NULL, 0x00, "no error") \
  /* ---- fixed header and framing ---- */ \
  X(VARINT_TOO_LONG, "MQTT-4.8.0-1", "MQTT-4.13.1-1", CF31("2.2.3"), 0x81, "variable byte integer longer than 4 bytes (2.2.3 / 1.5.5)") \
  X(VARINT_NOT_MINIMAL, NULL, "MQTT-1.5.5-1", NULL, 0x81, "variable byte integer not encoded in the minimum number of bytes") \
  X(PACKET_TYPE_RESERVED, "MQTT-4.8.0-1", "MQTT-4.13.1-1", CF31("2.2.1"), 0x81, "reserved control packet type (2.2.1 / 2.1.2)") \
  X(EXPECTED_CONNECT, "MQTT-3.1.0-1", "MQTT-3.1.0-1", CF31("3.1"), 0x82, "the first packet on a connection must be CONNECT") \
  X(PACKET_DIRECTION, "MQTT-4.8.0-1", "MQTT-4.13.1-1", CF31("2.2.1"), 0x82, "packet type may not be sent in this direction (2.2.1 / 2.1.2)") \
  X(FIXED_HEADER_FLAGS, "MQTT-2.2.2-1", "MQTT-2.1.3-1", NULL, 0x81, "reserved fixed header flags have a value other than the one listed") \
  X(PUBREL_FLAGS, "MQTT-3.6.1-1", "MQTT-3.6.1-1", CF31("3.6.1"), 0x81, "PUBREL fixed header flags are not 0010") \
  X(SUBSCRIBE_FLAGS, "MQTT-3.8.1-1", "MQTT-3.8.1-1", CF31("3.8.1"), 0x81, "SUBSCRIBE fixed header flags are not 0010") \
  X(UNSUBSCRIBE_FLAGS, "MQTT-3.10.1-1", "MQTT-3.10.1-1", CF31("3.10.1"), 0x81, "UNSUBSCRIBE fixed header flags are not 0010") \
  X(DISCONNECT_FLAGS, "MQTT-3.14.1-1", "MQTT-3.14.1-1", NULL, 0x81, "DISCONNECT fixed header flags are not 0000") \
  X(AUTH_FLAGS, NULL, "MQTT-3.15.1-1", NULL, 0x81, "AUTH fixed header flags are not 0000") \
  X(REMAINING_LENGTH, "MQTT-4.8.0-1", "MQTT-4.13.1-1", CF31("2.2.3"), 0x81, "remaining length does not fit the packet's fields") \
  X(TRUNCATED, "MQTT-4.8.0-1", "MQTT-4.13.1-1", CF31("2.2.3"), 0x81, "field runs past the end of the packet") \
  X(TOO_LARGE, NULL, NULL, NULL, 0x95, "packet larger than the receiver's limit (local limit; 5.0 Maximum Packet Size)") \
  /* ---- data representation ---- */ \
  X(UTF8_INVALID, "MQTT-1.5.3-1", "MQTT-1.5.4-1", CF31("1.5.3"), 0x81, "string is not well-formed UTF-8 (or encodes a surrogate)") \
  X(UTF8_NUL, "MQTT-1.5.3-2", "MQTT-1.5.4-2", CF31("1.5.3"), 0x81, "string contains U+0000") \
  X(UTF8_PAIR, NULL, "MQTT-1.5.7-1", NULL, 0x81, "user property name or value is not a valid UTF-8 string") \
  /* ---- packet identifiers ---- */ \
  X(PACKET_ID_ZERO, "MQTT-2.3.1-1", "MQTT-2.2.1-3", CF31("2.3.1"), 0x82, "packet identifier 0 in SUBSCRIBE, UNSUBSCRIBE or QoS>0 PUBLISH sent by a client") \
  X(SERVER_PACKET_ID_ZERO, "MQTT-2.3.1-1", "MQTT-2.2.1-4", CF31("2.3.1"), 0x82, "packet identifier 0 in a QoS>0 PUBLISH sent by the server") \
  X(ACK_PACKET_ID_ZERO, "MQTT-2.3.1-6", "MQTT-2.2.1-5", CF31("2.3.1"), 0x82, "packet identifier 0 in PUBACK, PUBREC or PUBREL cannot echo a PUBLISH identifier") \
  X(PUBCOMP_PACKET_ID_ZERO, "MQTT-4.3.3-2", "MQTT-2.2.1-5", CF31("4.3.3"), 0x82, "packet identifier 0 in PUBCOMP cannot echo a PUBREL identifier") \
  X(SUBACK_PACKET_ID_ZERO, "MQTT-2.3.1-7", "MQTT-2.2.1-6", CF31("2.3.1"), 0x82, "packet identifier 0 cannot echo a SUBSCRIBE/UNSUBSCRIBE identifier") \
  /* ---- CONNECT ---- */ \
  X(PROTOCOL_NAME, "MQTT-3.1.2-1", "MQTT-3.1.2-1", CF31("3.1.2.1"), 0x84, "protocol name is not MQTT (or MQIsdp for level 3)") \
  X(PROTOCOL_LEVEL, "MQTT-3.1.2-2", "MQTT-3.1.2-2", CF31("3.1.2.2"), 0x84, "unsupported protocol level") \
  X(CONNECT_RESERVED_FLAG, "MQTT-3.1.2-3", "MQTT-3.1.2-3", NULL, 0x81, "CONNECT reserved flag bit 0 is not 0") \
  X(WILL_QOS_WITHOUT_WILL, "MQTT-3.1.2-13", "MQTT-3.1.2-11", NULL, 0x81, "Will QoS is not 0 while Will Flag is 0") \
  X(WILL_RETAIN_WITHOUT_WILL, "MQTT-3.1.2-15", "MQTT-3.1.2-13", CF31("3.1.2.7"), 0x81, "Will Retain is 1 while Will Flag is 0") \
  X(WILL_QOS_3, "MQTT-3.1.2-14", "MQTT-3.1.2-12", CF31("3.1.2.6"), 0x81, "Will QoS is 3") \
  X(WILL_FIELDS_MISSING, "MQTT-3.1.2-9", "MQTT-3.1.2-9", CF31("3.1.2.5"), 0x81, "Will Flag is 1 but Will Topic / Will Message are missing") \
  X(USERNAME_MISSING, "MQTT-3.1.2-19", "MQTT-3.1.2-17", NULL, 0x81, "User Name Flag is 1 but the payload has no User Name") \
  X(PASSWORD_MISSING, "MQTT-3.1.2-21", "MQTT-3.1.2-19", NULL, 0x81, "Password Flag is 1 but the payload has no Password") \
  X(PASSWORD_WITHOUT_USERNAME, "MQTT-3.1.2-22", NULL, CF31("3.1.2.9"), 0x81, "Password Flag is 1 while User Name Flag is 0") \
  X(USERNAME_UNEXPECTED, "MQTT-3.1.2-18", "MQTT-3.1.2-16", CF31("3.1.2.8"), 0x81, "bytes where a User Name would be while User Name Flag is 0") \
  X(PASSWORD_UNEXPECTED, "MQTT-3.1.2-20", "MQTT-3.1.2-18", CF31("3.1.2.9"), 0x81, "bytes where a Password would be while Password Flag is 0") \
  X(CONNECT_TRAILING_BYTES, "MQTT-4.8.0-1", "MQTT-4.13.1-1", CF31("3.1.3"), 0x81, "bytes after the Password, the last CONNECT payload field (3.1.3)") \
  X(CLIENT_ID_MISSING, "MQTT-3.1.3-3", "MQTT-3.1.3-3", CF31("3.1.3.1"), 0x81, "CONNECT payload has no Client Identifier") \
  X(CLIENT_ID_EMPTY_PERSISTENT, "MQTT-3.1.3-7", NULL, CF31("3.1.3.1"), 0x85, "zero-length ClientId with CleanSession 0") \
  /* ---- CONNACK ---- */ \
  X(CONNACK_RESERVED_FLAGS, "MQTT-4.8.0-1", "MQTT-3.2.2-1", NULL, 0x81, "CONNACK acknowledge flags bits 7-1 are not 0 (3.2.2.1)") \
  X(CONNACK_RETURN_CODE, "MQTT-4.8.0-1", "MQTT-3.2.2-8", CF31("3.2.2.3"), 0x81, "CONNACK return / reason code is not a defined value (3.2.2.3)") \
  X(CONNACK_SESSION_PRESENT, "MQTT-3.2.2-4", "MQTT-3.2.2-6", NULL, 0x82, "Session Present is 1 with a non-zero return / reason code") \
  /* ---- PUBLISH ---- */ \
  X(QOS_3, "MQTT-3.3.1-4", "MQTT-3.3.1-4", CF31("3.3.1.2"), 0x81, "PUBLISH QoS is 3") \
  X(DUP_ON_QOS0, "MQTT-3.3.1-2", "MQTT-3.3.1-2", CF31("3.3.1.1"), 0x82, "DUP is 1 on a QoS 0 PUBLISH") \
  X(TOPIC_NAME_WILDCARD, "MQTT-3.3.2-2", "MQTT-3.3.2-2", CF31("3.3.2.1"), 0x90, "PUBLISH Topic Name contains a wildcard character") \
  X(TOPIC_NAME_EMPTY, "MQTT-4.7.3-1", "MQTT-4.7.3-1", CF31("4.7.3"), 0x82, "PUBLISH Topic Name is empty (5.0: allowed only with a Topic Alias)") \
  X(WILL_TOPIC_WILDCARD, "MQTT-4.7.1-1", "MQTT-4.7.0-1", CF31("4.7.1"), 0x90, "Will Topic (a Topic Name) contains a wildcard character") \
  X(TOPIC_ALIAS_ZERO, NULL, "MQTT-3.3.2-8", NULL, 0x94, "Topic Alias is 0") \
  X(SUBSCRIPTION_ID_FROM_CLIENT, NULL, "MQTT-3.3.4-6", NULL, 0x82, "PUBLISH from a client carries a Subscription Identifier") \
  X(RESPONSE_TOPIC_WILDCARD, NULL, "MQTT-3.3.2-14", NULL, 0x82, "Response Topic contains a wildcard character") \
  /* ---- SUBSCRIBE / UNSUBSCRIBE and their acks ---- */ \
  X(SUBSCRIBE_EMPTY, "MQTT-3.8.3-3", "MQTT-3.8.3-2", CF31("3.8.3"), 0x82, "SUBSCRIBE carries no Topic Filter") \
  X(UNSUBSCRIBE_EMPTY, "MQTT-3.10.3-2", "MQTT-3.10.3-2", CF31("3.10.3"), 0x82, "UNSUBSCRIBE carries no Topic Filter") \
  X(SUBSCRIBE_OPTIONS_RESERVED, "MQTT-3.8.3-4", "MQTT-3.8.3-5", CF31("3.8.3"), 0x81, "reserved bits of the subscription options byte are not 0") \
  X(SUBSCRIBE_QOS_3, "MQTT-3.8.3-4", "MQTT-4.13.1-1", CF31("3.8.3"), 0x81, "requested QoS is 3 (3.8.3.1)") \
  X(RETAIN_HANDLING_3, NULL, "MQTT-4.13.1-1", NULL, 0x82, "Retain Handling is 3 (3.8.3.1)") \
  X(NO_LOCAL_SHARED, NULL, "MQTT-3.8.3-4", NULL, 0x82, "No Local is 1 on a Shared Subscription") \
  X(TOPIC_FILTER_EMPTY, "MQTT-4.7.3-1", "MQTT-4.7.3-1", CF31("4.7.3"), 0x8F, "Topic Filter is empty") \
  X(TOPIC_FILTER_HASH, "MQTT-4.7.1-2", "MQTT-4.7.1-1", CF31("4.7.1.2"), 0x8F, "'#' is not alone in the last level of the Topic Filter") \
  X(TOPIC_FILTER_PLUS, "MQTT-4.7.1-3", "MQTT-4.7.1-2", CF31("4.7.1.3"), 0x8F, "'+' does not fill a whole level of the Topic Filter") \
  X(SHARE_NAME, NULL, "MQTT-4.8.2-2", NULL, 0x8F, "$share/ShareName/filter is malformed (ShareName empty, contains +/#, or no filter)") \
  X(SUBACK_EMPTY, "MQTT-3.8.4-5", "MQTT-3.8.4-6", CF31("3.8.4"), 0x82, "SUBACK carries no return / reason code") \
  X(SUBACK_RETURN_CODE, "MQTT-3.9.3-2", "MQTT-3.9.3-2", CF31("3.9.3"), 0x82, "SUBACK return / reason code is not a defined value") \
  X(UNSUBACK_EMPTY, NULL, "MQTT-3.11.3-2", NULL, 0x82, "UNSUBACK carries no reason code") \
  X(UNSUBACK_REASON_CODE, NULL, "MQTT-3.11.3-2", NULL, 0x82, "UNSUBACK reason code is not a defined value") \
  /* ---- reason codes of acks, DISCONNECT, AUTH (5.0) ---- */ \
  X(PUBACK_REASON_CODE, NULL, "MQTT-3.4.2-1", NULL, 0x82, "PUBACK reason code is not a defined value") \
  X(PUBREC_REASON_CODE, NULL, "MQTT-3.5.2-1", NULL, 0x82, "PUBREC reason code is not a defined value") \
  X(PUBREL_REASON_CODE, NULL, "MQTT-3.6.2-1", NULL, 0x82, "PUBREL reason code is not a defined value") \
  X(PUBCOMP_REASON_CODE, NULL, "MQTT-3.7.2-1", NULL, 0x82, "PUBCOMP reason code is not a defined value") \
  X(DISCONNECT_REASON_CODE, NULL, "MQTT-3.14.2-1", NULL, 0x82, "DISCONNECT reason code is not a defined value for this sender") \
  X(AUTH_REASON_CODE, NULL, "MQTT-3.15.2-1", NULL, 0x82, "AUTH reason code is not a defined value for this sender (Success, also when omitted, is the server's)") \
  /* ---- properties (5.0) ---- */ \
  X(PROPERTY_LENGTH_MISSING, NULL, "MQTT-2.2.2-1", NULL, 0x81, "Property Length missing where the packet requires one") \
  X(PROPERTY_UNKNOWN, NULL, "MQTT-4.13.1-1", NULL, 0x81, "unknown property identifier (2.2.2.2)") \
  X(PROPERTY_NOT_ALLOWED, NULL, "MQTT-4.13.1-1", NULL, 0x82, "property not allowed in this packet (2.2.2.2)") \
  X(PROPERTY_DUPLICATE, NULL, "MQTT-4.13.1-1", NULL, 0x82, "property appears more than once") \
  X(PROPERTY_VALUE, NULL, "MQTT-4.13.1-1", NULL, 0x82, "property value out of its allowed range") \
  X(AUTH_METHOD_MISSING, NULL, "MQTT-4.13.1-1", NULL, 0x82, "AUTH with properties but no Authentication Method (3.15.2.2.2)") \
  X(AUTH_DATA_WITHOUT_METHOD, NULL, "MQTT-4.13.1-1", NULL, 0x82, "Authentication Data without Authentication Method (3.1.2.11.10)") \
  X(SESSION_EXPIRY_FROM_SERVER, NULL, "MQTT-3.14.2-2", NULL, 0x82, "server DISCONNECT carries a Session Expiry Interval")

#endif
