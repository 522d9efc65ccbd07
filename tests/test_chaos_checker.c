/* The chaos checker on synthetic event streams: every anomaly kind, and the cases that are none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mqttspec/chaos.h"

/* 1 publisher, 2 subscribers, 2 topics; both subscribers subscribed at t = 0. */
static mqs_chaos_checker *fresh(void)
{
    mqs_chaos_checker *c = mqs_chaos_checker_new(1, 2, 2, 100);
    assert_non_null(c);
    mqs_chaos_session_started(c, 0, 0);
    mqs_chaos_session_started(c, 1, 0);
    return c;
}

/* Send seq on topic 0 at qos; acknowledge it when qos > 0. */
static void send_acked(mqs_chaos_checker *c, uint32_t seq, uint8_t qos, int64_t t)
{
    assert_true(mqs_chaos_sent(c, 0, seq, 0, qos, t));
    if (qos > 0)
        mqs_chaos_acked(c, 0, seq, t + 1);
}

static void deliver_both(mqs_chaos_checker *c, uint32_t seq, uint8_t qos, int64_t t)
{
    mqs_chaos_received(c, 0, 0, seq, 0, qos, false, t);
    mqs_chaos_received(c, 1, 0, seq, 0, qos, false, t);
}

static uint64_t count(const mqs_chaos_checker *c, mqs_chaos_kind k)
{
    return mqs_chaos_counts_of(c)->by_kind[k];
}

static void clean_stream_has_no_anomaly(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    for (uint32_t seq = 0; seq < 30; seq++) {
        send_acked(c, seq, (uint8_t)(seq % 3), seq * 10);
        deliver_both(c, seq, (uint8_t)(seq % 3), seq * 10 + 5);
    }
    mqs_chaos_check(c);
    const mqs_chaos_counts *n = mqs_chaos_counts_of(c);
    assert_int_equal(n->published, 30);
    assert_int_equal(n->acknowledged, 20);
    assert_int_equal(n->delivered, 60);
    assert_int_equal(n->violations, 0);
    for (int k = 0; k < MQS_CHAOS_KIND_COUNT; k++)
        assert_int_equal(count(c, (mqs_chaos_kind)k), 0);
    size_t na;
    mqs_chaos_anomalies(c, &na);
    assert_int_equal(na, 0);
    mqs_chaos_checker_free(c);
}

static void acknowledged_message_missing_is_lost(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    send_acked(c, 0, 1, 10);
    send_acked(c, 1, 2, 20);
    mqs_chaos_received(c, 0, 0, 0, 0, 1, false, 15); /* sub-0 has seq 0, not seq 1; sub-1 has nothing */
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_LOST), 3);
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 3);
    size_t na;
    const mqs_chaos_anomaly *a = mqs_chaos_anomalies(c, &na);
    assert_int_equal(na, 3);
    assert_int_equal(a[0].kind, MQS_CHAOS_LOST);
    assert_int_equal(a[0].subscriber, 1);
    assert_int_equal(a[0].seq, 0);
    assert_string_equal(mqs_chaos_kind_statement(MQS_CHAOS_LOST, MQTT_V5), "5.0:MQTT-4.5.0-1");
    mqs_chaos_checker_free(c);
}

static void unacknowledged_or_unexpected_is_not_lost(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    assert_true(mqs_chaos_sent(c, 0, 0, 0, 1, 10)); /* never acknowledged: the broker may not have it */
    send_acked(c, 1, 1, 20);
    mqs_chaos_session_started(c, 1, 30); /* sub-1's session was not resumed after seq 1 was sent */
    mqs_chaos_received(c, 0, 0, 1, 0, 1, false, 25);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_LOST), 0);
    assert_int_equal(mqs_chaos_counts_of(c)->unchecked, 3); /* seq 0 at both, seq 1 at sub-1 */
    mqs_chaos_checker_free(c);
}

/* A clean session that ended after the message was sent (its connection lost) and began again later: the
 * message may have gone with it, even though the latest session began before the end of the run. */
static void clean_session_ended_after_send_is_not_lost(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    send_acked(c, 0, 1, 10);
    mqs_chaos_received(c, 0, 0, 0, 0, 1, false, 12);
    mqs_chaos_session_ended(c, 1, 15); /* sub-1's connection lost before seq 0 reached it */
    send_acked(c, 1, 1, 20);           /* sub-1 had no session then */
    mqs_chaos_received(c, 0, 0, 1, 0, 1, false, 22);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_LOST), 0);
    assert_int_equal(mqs_chaos_counts_of(c)->unchecked, 2);
    mqs_chaos_checker_free(c);
}

/* Sent in the millisecond the subscriber's session began: it may have reached the broker before the
 * SUBSCRIBE did, so it is not owed; a millisecond later it is. */
static void sent_as_session_began_is_not_owed(void **state)
{
    (void)state;
    mqs_chaos_checker *c = mqs_chaos_checker_new(1, 1, 1, 10);
    assert_non_null(c);
    mqs_chaos_session_started(c, 0, 50);
    send_acked(c, 0, 1, 50);
    send_acked(c, 1, 1, 51);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_LOST), 1);
    assert_int_equal(mqs_chaos_counts_of(c)->unchecked, 1);
    mqs_chaos_checker_free(c);
}

static void qos0_loss_is_allowed(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    send_acked(c, 0, 0, 10);
    mqs_chaos_received(c, 0, 0, 0, 0, 0, false, 12);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_LOST_QOS0), 1);
    assert_int_equal(mqs_chaos_kind_severity(MQS_CHAOS_LOST_QOS0), MQS_CHAOS_ALLOWED);
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 0);
    mqs_chaos_checker_free(c);
}

static void qos2_duplicate_is_a_violation(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    send_acked(c, 0, 2, 10);
    deliver_both(c, 0, 2, 12);
    mqs_chaos_received(c, 1, 0, 0, 0, 2, false, 14);
    assert_int_equal(count(c, MQS_CHAOS_DUP_QOS2), 1);
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 1);
    assert_string_equal(mqs_chaos_kind_statement(MQS_CHAOS_DUP_QOS2, MQTT_V311), "3.1.1:MQTT-4.3.3-2");
    mqs_chaos_checker_free(c);
}

static void qos1_duplicate_is_allowed(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    send_acked(c, 0, 1, 10);
    send_acked(c, 1, 1, 11);
    deliver_both(c, 0, 1, 12);
    deliver_both(c, 1, 1, 13);
    deliver_both(c, 0, 1, 14); /* a resend after a cut: 0 1 0 is a duplicate, not a reorder */
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_DUP_QOS1), 2);
    assert_int_equal(count(c, MQS_CHAOS_REORDER), 0);
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 0);
    mqs_chaos_checker_free(c);
}

static void reorder_is_per_topic_and_qos(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    send_acked(c, 0, 1, 10);
    send_acked(c, 1, 1, 11);
    assert_true(mqs_chaos_sent(c, 0, 2, 1, 1, 12)); /* another topic: its own order */
    mqs_chaos_acked(c, 0, 2, 13);
    send_acked(c, 3, 2, 14); /* another QoS on topic 0 */
    mqs_chaos_received(c, 0, 0, 2, 1, 1, false, 15);
    mqs_chaos_received(c, 0, 0, 3, 0, 2, false, 15);
    mqs_chaos_received(c, 0, 0, 0, 0, 1, false, 16);
    mqs_chaos_received(c, 0, 0, 1, 0, 1, false, 17);
    assert_int_equal(count(c, MQS_CHAOS_REORDER), 0);
    mqs_chaos_received(c, 1, 0, 1, 0, 1, false, 18);
    mqs_chaos_received(c, 1, 0, 0, 0, 1, false, 19); /* sub-1: 1 before 0 on topic 0, QoS 1 */
    assert_int_equal(count(c, MQS_CHAOS_REORDER), 1);
    assert_int_equal(count(c, MQS_CHAOS_REORDER_RESEND), 0);
    size_t na;
    const mqs_chaos_anomaly *a = mqs_chaos_anomalies(c, &na);
    assert_int_equal(na, 1);
    assert_int_equal(a[0].subscriber, 1);
    assert_int_equal(a[0].seq, 0);
    assert_string_equal(mqs_chaos_kind_name(a[0].kind), "reorder");
    mqs_chaos_checker_free(c);
}

/* A late first copy marked DUP was sent before (lost with a connection): its first transmission kept the order. */
static void late_resend_is_allowed(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    send_acked(c, 0, 1, 10);
    send_acked(c, 1, 1, 11);
    mqs_chaos_received(c, 0, 0, 1, 0, 1, false, 20);
    mqs_chaos_received(c, 0, 0, 0, 0, 1, true, 21);
    assert_int_equal(count(c, MQS_CHAOS_REORDER), 0);
    assert_int_equal(count(c, MQS_CHAOS_REORDER_RESEND), 1);
    assert_int_equal(mqs_chaos_kind_severity(MQS_CHAOS_REORDER_RESEND), MQS_CHAOS_ALLOWED);
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 0);
    mqs_chaos_checker_free(c);
}

static void never_published(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    send_acked(c, 0, 1, 10);
    mqs_chaos_received(c, 0, 0, 7, 0, 1, false, 12);                          /* a sequence number not sent */
    mqs_chaos_received(c, 0, 5, 0, 0, 1, false, 12);                          /* a publisher that does not exist */
    mqs_chaos_received(c, 0, 0, 0, 1, 1, false, 12);                          /* sent on topic 0, received on 1 */
    mqs_chaos_received(c, 1, MQS_CHAOS_NONE, 0, MQS_CHAOS_NONE, 1, false, 12); /* not our payload at all */
    assert_int_equal(count(c, MQS_CHAOS_NEVER_PUBLISHED), 4);
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 4);
    mqs_chaos_checker_free(c);
}

static void loss_after_restart_is_information(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    send_acked(c, 0, 1, 10);
    send_acked(c, 1, 2, 20);
    send_acked(c, 2, 0, 21);
    mqs_chaos_restarted(c, 30);
    mqs_chaos_session_started(c, 1, 40); /* sub-1 lost its session in the restart */
    send_acked(c, 3, 1, 50);
    deliver_both(c, 3, 1, 55);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_LOST_AFTER_RESTART), 5); /* 0, 1 at both; 2 (QoS 0) at sub-0 */
    assert_int_equal(count(c, MQS_CHAOS_LOST), 0);
    assert_int_equal(mqs_chaos_kind_severity(MQS_CHAOS_LOST_AFTER_RESTART), MQS_CHAOS_INFO);
    assert_null(mqs_chaos_kind_statement(MQS_CHAOS_LOST_AFTER_RESTART, MQTT_V5));
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 0);
    assert_true(mqs_chaos_counts_of(c)->unchecked == 1); /* QoS 0 seq 2 at sub-1, whose session ended */
    mqs_chaos_checker_free(c);
}

/* A subscription granted below the publisher's QoS: owed at the lower QoS (3.8.4); refused: nothing owed. */
static void grants_cap_what_is_owed(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    mqs_chaos_granted(c, 0, 0, 0);    /* sub-0 took topic 0 at QoS 0 */
    mqs_chaos_granted(c, 1, 0, 0x87); /* sub-1 was refused it (5.0 Not authorized) */
    send_acked(c, 0, 1, 10);
    send_acked(c, 1, 2, 11);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_LOST), 0);
    assert_int_equal(count(c, MQS_CHAOS_LOST_QOS0), 2); /* both at sub-0 */
    assert_int_equal(mqs_chaos_counts_of(c)->unchecked, 2); /* both at sub-1 */
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 0);
    mqs_chaos_checker_free(c);

    c = fresh();
    mqs_chaos_granted(c, 0, 0, 1); /* QoS 1 granted: an acknowledged QoS 2 message is still owed */
    send_acked(c, 0, 2, 10);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_LOST), 2);
    mqs_chaos_checker_free(c);
}

/* A repeated delivery is judged by the QoS it was published at as well as the one it came at. */
static void repeats_by_published_and_delivered_qos(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    send_acked(c, 0, 1, 10);
    send_acked(c, 1, 2, 11);
    send_acked(c, 2, 0, 12);
    for (int i = 0; i < 2; i++) {
        mqs_chaos_received(c, 0, 0, 0, 0, 0, false, 20 + i); /* QoS 1 at QoS 0 twice: a publisher resend */
        mqs_chaos_received(c, 0, 0, 1, 0, 0, false, 20 + i); /* QoS 2 at QoS 0 twice: the broker's copy */
        mqs_chaos_received(c, 0, 0, 2, 0, 0, false, 20 + i); /* QoS 0 twice: never sent twice */
        mqs_chaos_received(c, 1, 0, 1, 0, 1, i > 0, 20 + i); /* QoS 2 at QoS 1 twice: at least once */
    }
    assert_int_equal(count(c, MQS_CHAOS_DUP_QOS1), 2);
    assert_int_equal(count(c, MQS_CHAOS_DUP_QOS2), 1);
    assert_int_equal(count(c, MQS_CHAOS_NEVER_PUBLISHED), 1);
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 2);
    mqs_chaos_checker_free(c);
}

/* The terminal summary says why a restart's losses are not a verdict, and only when there are some. */
static char *summary_of(mqs_chaos_checker *c, uint64_t session_losses)
{
    mqs_chaos_opts o = {.version = MQTT_V5, .target_shown = "mqtt://127.0.0.1:1883"};
    mqs_chaos_result r = {.checker = c, .session_losses = session_losses};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    mqs_chaos_summary_print(f, &o, &r);
    fclose(f);
    return text;
}

static void summary_explains_restart_losses(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    send_acked(c, 0, 1, 10);
    mqs_chaos_restarted(c, 30);
    mqs_chaos_check(c);
    char *text = summary_of(c, 2);
    assert_non_null(strstr(text, "why lost-after-restart is information: 2 messages were not delivered"));
    assert_non_null(strstr(text, "2 sessions were not resumed"));
    assert_non_null(strstr(text, "verdict: PASS"));
    free(text);
    mqs_chaos_checker_free(c);

    c = fresh();
    send_acked(c, 0, 1, 10);
    deliver_both(c, 0, 1, 12);
    mqs_chaos_check(c);
    text = summary_of(c, 0);
    assert_null(strstr(text, "why lost-after-restart"));
    free(text);
    mqs_chaos_checker_free(c);
}

static void void_session_expects_nothing(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    send_acked(c, 0, 1, 10);
    mqs_chaos_received(c, 0, 0, 0, 0, 1, false, 12);
    mqs_chaos_session_void(c, 1);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_LOST), 0);
    assert_int_equal(mqs_chaos_counts_of(c)->unchecked, 1);
    mqs_chaos_checker_free(c);
}

static void anomalies_are_capped_counts_are_not(void **state)
{
    (void)state;
    mqs_chaos_checker *c = mqs_chaos_checker_new(1, 1, 1, 2);
    mqs_chaos_session_started(c, 0, 0);
    for (uint32_t seq = 0; seq < 5; seq++)
        send_acked(c, seq, 1, seq + 1);
    mqs_chaos_check(c);
    size_t na;
    mqs_chaos_anomalies(c, &na);
    assert_int_equal(na, 2);
    assert_int_equal(count(c, MQS_CHAOS_LOST), 5);
    mqs_chaos_checker_free(c);
}

static void sequence_gaps_and_bad_ids_are_refused(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh();
    assert_false(mqs_chaos_sent(c, 0, 1, 0, 1, 0)); /* seq 0 first */
    assert_false(mqs_chaos_sent(c, 3, 0, 0, 1, 0)); /* no publisher 3 */
    mqs_chaos_acked(c, 0, 9, 0);                    /* acknowledging the unknown is ignored */
    mqs_chaos_received(c, 9, 0, 0, 0, 1, false, 0);        /* so is an unknown subscriber */
    assert_int_equal(mqs_chaos_counts_of(c)->acknowledged, 0);
    assert_int_equal(mqs_chaos_counts_of(c)->delivered, 0);
    mqs_chaos_checker_free(c);
}

/* ---- shared subscriptions: 1 publisher; sub-0 alone, sub-1 and sub-2 one group; all subscribed at t = 0 ---- */

static mqs_chaos_checker *fresh_group(void)
{
    mqs_chaos_checker *c = mqs_chaos_checker_new_groups(1, 3, 1, 1, 100);
    assert_non_null(c);
    assert_true(mqs_chaos_member_of(c, 1, 0));
    assert_true(mqs_chaos_member_of(c, 2, 0));
    assert_false(mqs_chaos_member_of(c, 3, 0)); /* no sub-3 */
    assert_false(mqs_chaos_member_of(c, 0, 1)); /* no group 1 */
    for (uint32_t s = 0; s < 3; s++)
        mqs_chaos_session_started(c, s, 0);
    return c;
}

/* Each message at exactly one member (either): no anomaly, and nothing lost for the member that lacks it. */
static void shared_one_member_each_is_clean(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh_group();
    for (uint32_t seq = 0; seq < 9; seq++) {
        send_acked(c, seq, (uint8_t)(seq % 3), seq * 10);
        mqs_chaos_received(c, 0, 0, seq, 0, (uint8_t)(seq % 3), false, seq * 10 + 2);
        mqs_chaos_received(c, 1 + seq % 2, 0, seq, 0, (uint8_t)(seq % 3), false, seq * 10 + 3);
    }
    mqs_chaos_check(c);
    const mqs_chaos_counts *n = mqs_chaos_counts_of(c);
    for (int k = 0; k < MQS_CHAOS_KIND_COUNT; k++)
        assert_int_equal(count(c, (mqs_chaos_kind)k), 0);
    assert_int_equal(n->unchecked, 0);
    assert_int_equal(mqs_chaos_groups(c), 1);
    assert_int_equal(mqs_chaos_group_of(c, 1), 0);
    assert_int_equal(mqs_chaos_group_of(c, 0), MQS_CHAOS_NONE);
    assert_int_equal(mqs_chaos_group_counts_of(c, 0)->messages, 9);
    assert_int_equal(mqs_chaos_group_counts_of(c, 0)->across, 0);
    assert_null(mqs_chaos_group_counts_of(c, 1));
    assert_int_equal(mqs_chaos_first_deliveries(c, 1), 5);
    assert_int_equal(mqs_chaos_first_deliveries(c, 2), 4);
    mqs_chaos_checker_free(c);
}

/* An acknowledged QoS 1/2 message at no member of a group whose members all kept their sessions is lost
 * (one anomaly for the group, not one per member); a QoS 0 one is allowed. */
static void shared_loss_to_the_group(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh_group();
    send_acked(c, 0, 1, 10);
    send_acked(c, 1, 2, 20);
    send_acked(c, 2, 0, 30);
    for (uint32_t seq = 0; seq < 3; seq++)
        mqs_chaos_received(c, 0, 0, seq, 0, (uint8_t)(seq == 2 ? 0 : seq + 1), false, 40 + seq);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_LOST), 2);
    assert_int_equal(count(c, MQS_CHAOS_LOST_QOS0), 1);
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 2);
    assert_int_equal(mqs_chaos_group_counts_of(c, 0)->lost, 2);
    size_t na;
    const mqs_chaos_anomaly *a = mqs_chaos_anomalies(c, &na);
    assert_int_equal(na, 3);
    assert_int_equal(a[0].kind, MQS_CHAOS_LOST);
    assert_int_equal(a[0].group, 0);
    assert_int_equal(a[0].subscriber, MQS_CHAOS_NONE);
    assert_int_equal(a[0].seq, 0);
    mqs_chaos_checker_free(c);
}

/* A member whose session did not persist may have been the one chosen: the group's loss is not judged. */
static void shared_loss_unchecked_when_a_member_lost_its_session(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh_group();
    send_acked(c, 0, 1, 10);
    send_acked(c, 1, 1, 20);
    mqs_chaos_session_started(c, 2, 15); /* sub-2's session was not resumed after seq 0 was sent */
    mqs_chaos_received(c, 0, 0, 0, 0, 1, false, 30);
    mqs_chaos_received(c, 0, 0, 1, 0, 1, false, 31);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_LOST), 1); /* seq 1, sent after sub-2's new session began */
    assert_int_equal(mqs_chaos_counts_of(c)->unchecked, 1);
    assert_int_equal(mqs_chaos_group_counts_of(c, 0)->unchecked, 1);
    size_t na;
    const mqs_chaos_anomaly *a = mqs_chaos_anomalies(c, &na);
    assert_int_equal(na, 1);
    assert_int_equal(a[0].seq, 1);
    mqs_chaos_session_void(c, 1);
    mqs_chaos_checker_free(c);
}

/* Two members with the same message: allowed (no MUST), counted; QoS 2 included while the first member's
 * session lasted.  A second copy at one member is still that member's duplicate. */
static void shared_two_members_is_allowed(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh_group();
    send_acked(c, 0, 1, 10);
    send_acked(c, 1, 2, 20);
    for (uint32_t seq = 0; seq < 2; seq++) {
        mqs_chaos_received(c, 0, 0, seq, 0, (uint8_t)(seq + 1), false, 30 + seq);
        mqs_chaos_received(c, 1, 0, seq, 0, (uint8_t)(seq + 1), false, 40 + seq);
        mqs_chaos_received(c, 2, 0, seq, 0, (uint8_t)(seq + 1), true, 50 + seq);
    }
    assert_int_equal(count(c, MQS_CHAOS_DUP_QOS2), 0);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_DUP_SHARED), 2);
    assert_int_equal(count(c, MQS_CHAOS_SHARED_QOS2_MOVED), 0);
    assert_int_equal(count(c, MQS_CHAOS_LOST), 0);
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 0);
    assert_int_equal(mqs_chaos_group_counts_of(c, 0)->across, 2);
    assert_int_equal(mqs_chaos_kind_severity(MQS_CHAOS_DUP_SHARED), MQS_CHAOS_ALLOWED);
    mqs_chaos_received(c, 1, 0, 1, 0, 2, false, 60); /* sub-1 again: a QoS 2 duplicate at one session */
    assert_int_equal(count(c, MQS_CHAOS_DUP_QOS2), 1);
    mqs_chaos_checker_free(c);
}

/* A QoS 2 message at another member after the first member's session ended (4.8.2-5); QoS 1 may move. */
static void shared_qos2_moved_after_session_end(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh_group();
    send_acked(c, 0, 2, 10);
    send_acked(c, 1, 1, 11);
    mqs_chaos_received(c, 0, 0, 0, 0, 2, false, 15); /* the non-shared sub-0 has both */
    mqs_chaos_received(c, 0, 0, 1, 0, 1, false, 16);
    mqs_chaos_received(c, 1, 0, 0, 0, 2, false, 20);
    mqs_chaos_received(c, 1, 0, 1, 0, 1, false, 21);
    mqs_chaos_session_started(c, 1, 30); /* sub-1's session ended and a new one began */
    mqs_chaos_received(c, 2, 0, 0, 0, 2, false, 40);
    mqs_chaos_received(c, 2, 0, 1, 0, 1, false, 41);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_SHARED_QOS2_MOVED), 1);
    assert_int_equal(count(c, MQS_CHAOS_DUP_SHARED), 1);
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 1);
    assert_string_equal(mqs_chaos_kind_statement(MQS_CHAOS_SHARED_QOS2_MOVED, MQTT_V5), "5.0:MQTT-4.8.2-5");
    size_t na;
    const mqs_chaos_anomaly *a = mqs_chaos_anomalies(c, &na);
    assert_int_equal(na, 2);
    assert_int_equal(a[0].kind, MQS_CHAOS_SHARED_QOS2_MOVED);
    assert_int_equal(a[0].seq, 0);
    assert_int_equal(a[0].t_ms, 40);
    mqs_chaos_checker_free(c);
}

/* The same QoS 2 copies with the session renewed only after the second copy: not shown to be moved. */
static void shared_qos2_copy_before_session_end_is_not_moved(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh_group();
    send_acked(c, 0, 2, 10);
    mqs_chaos_received(c, 1, 0, 0, 0, 2, false, 20);
    mqs_chaos_received(c, 2, 0, 0, 0, 2, false, 25);
    mqs_chaos_session_started(c, 1, 30);
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_SHARED_QOS2_MOVED), 0);
    assert_int_equal(count(c, MQS_CHAOS_DUP_SHARED), 1);
    mqs_chaos_checker_free(c);
}

/* A clean session ends with its connection: a QoS 2 copy on another member after that is moved (4.8.2-5), even
 * before the first member is back; one at the same member's new session is not a copy across members. */
static void shared_qos2_moved_after_clean_session_lost(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh_group();
    send_acked(c, 0, 2, 10);
    send_acked(c, 1, 2, 11);
    mqs_chaos_received(c, 0, 0, 0, 0, 2, false, 12);
    mqs_chaos_received(c, 0, 0, 1, 0, 2, false, 13);
    mqs_chaos_received(c, 1, 0, 0, 0, 2, false, 20);
    mqs_chaos_received(c, 2, 0, 1, 0, 2, false, 21);
    mqs_chaos_session_ended(c, 1, 20); /* the drop right after receiving seq 0 (same millisecond) */
    mqs_chaos_received(c, 2, 0, 0, 0, 2, false, 25);
    mqs_chaos_session_ended(c, 2, 35);
    mqs_chaos_session_started(c, 2, 40);
    mqs_chaos_received(c, 1, 0, 1, 0, 2, false, 30); /* seq 1 at sub-1 after sub-2 had it, before sub-2 lost it (35) */
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_SHARED_QOS2_MOVED), 1);
    assert_int_equal(count(c, MQS_CHAOS_DUP_SHARED), 1);
    size_t na;
    const mqs_chaos_anomaly *a = mqs_chaos_anomalies(c, &na);
    assert_int_equal(na, 3); /* first the reorder-shared at sub-2 (1 then 0), allowed, found on receipt */
    assert_int_equal(a[0].kind, MQS_CHAOS_REORDER_SHARED);
    assert_int_equal(a[1].kind, MQS_CHAOS_SHARED_QOS2_MOVED);
    assert_int_equal(a[1].seq, 0);
    assert_int_equal(a[2].kind, MQS_CHAOS_DUP_SHARED);
    assert_int_equal(a[2].seq, 1);
    mqs_chaos_checker_free(c);
}

/* Order across members is no one's promise; within one member of a shared subscription it is not an Ordered
 * Topic by default (5.0 4.6.0-6 covers non-shared subscriptions): counted as reorder-shared, allowed. */
static void shared_order_is_not_a_violation(void **state)
{
    (void)state;
    mqs_chaos_checker *c = fresh_group();
    for (uint32_t seq = 0; seq < 4; seq++) {
        send_acked(c, seq, 1, 10 + seq);
        mqs_chaos_received(c, 0, 0, seq, 0, 1, false, 15 + seq); /* the non-shared sub-0 has all, in order */
    }
    mqs_chaos_received(c, 2, 0, 3, 0, 1, false, 20); /* sub-2 gets 3 first, sub-1 then 0, 1 */
    mqs_chaos_received(c, 1, 0, 0, 0, 1, false, 21);
    mqs_chaos_received(c, 1, 0, 1, 0, 1, false, 22);
    assert_int_equal(count(c, MQS_CHAOS_REORDER_SHARED), 0);
    mqs_chaos_received(c, 2, 0, 2, 0, 1, false, 23); /* within sub-2: 3 then 2 */
    mqs_chaos_check(c);
    assert_int_equal(count(c, MQS_CHAOS_REORDER_SHARED), 1);
    assert_int_equal(count(c, MQS_CHAOS_REORDER), 0);
    assert_int_equal(mqs_chaos_counts_of(c)->violations, 0);
    mqs_chaos_checker_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_stream_has_no_anomaly),
        cmocka_unit_test(acknowledged_message_missing_is_lost),
        cmocka_unit_test(unacknowledged_or_unexpected_is_not_lost),
        cmocka_unit_test(clean_session_ended_after_send_is_not_lost),
        cmocka_unit_test(sent_as_session_began_is_not_owed),
        cmocka_unit_test(qos0_loss_is_allowed),
        cmocka_unit_test(qos2_duplicate_is_a_violation),
        cmocka_unit_test(qos1_duplicate_is_allowed),
        cmocka_unit_test(reorder_is_per_topic_and_qos),
        cmocka_unit_test(late_resend_is_allowed),
        cmocka_unit_test(never_published),
        cmocka_unit_test(loss_after_restart_is_information),
        cmocka_unit_test(summary_explains_restart_losses),
        cmocka_unit_test(grants_cap_what_is_owed),
        cmocka_unit_test(repeats_by_published_and_delivered_qos),
        cmocka_unit_test(void_session_expects_nothing),
        cmocka_unit_test(anomalies_are_capped_counts_are_not),
        cmocka_unit_test(sequence_gaps_and_bad_ids_are_refused),
        cmocka_unit_test(shared_one_member_each_is_clean),
        cmocka_unit_test(shared_loss_to_the_group),
        cmocka_unit_test(shared_loss_unchecked_when_a_member_lost_its_session),
        cmocka_unit_test(shared_two_members_is_allowed),
        cmocka_unit_test(shared_qos2_moved_after_session_end),
        cmocka_unit_test(shared_qos2_copy_before_session_end_is_not_moved),
        cmocka_unit_test(shared_qos2_moved_after_clean_session_lost),
        cmocka_unit_test(shared_order_is_not_a_violation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
