/*
 * The network fuzzer (fuzz/net/): the PRNG and the case streams
 * are deterministic for a seed; the codec's verdict and what the spec requires
 * of each reaction; the minimiser against synthetic oracles; findings as
 * scenario files the loader accepts; a short campaign against broker-sim.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netfuzz_internal.h" /* white-box: the parts, not only the campaign */
#include "mqttspec/scenario.h"
#include "mqttspec/sim.h"

static size_t hex(const char *text, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = text; p[0] && p[1] && n < cap;) {
        if (p[0] == ' ') {
            p++;
            continue;
        }
        unsigned v;
        sscanf(p, "%2x", &v);
        out[n++] = (uint8_t)v;
        p += 2;
    }
    return n;
}

/* ---- determinism ---- */

static void test_rng_deterministic(void **state)
{
    (void)state;
    nf_rng a, b, c;
    nf_rng_seed(&a, 42, 3, 7);
    nf_rng_seed(&b, 42, 3, 7);
    nf_rng_seed(&c, 42, 3, 8);
    bool differs = false;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = nf_rng_next(&a);
        assert_true(x == nf_rng_next(&b));
        differs |= x != nf_rng_next(&c);
        uint32_t below = nf_rng_below(&a, 10);
        assert_true(below < 10);
        nf_rng_below(&b, 10);
    }
    assert_true(differs);
    assert_int_equal(nf_rng_below(&a, 0), 0);
    /* pinned: a change of the PRNG would change the cases of every seed, so that old seeds replay differently */
    nf_rng_seed(&a, 1, 0, 0);
    assert_true(nf_rng_next(&a) == 1272341434025675908ull);
}

static nf_case *new_case(void)
{
    nf_case *c = malloc(sizeof *c);
    assert_non_null(c);
    return c;
}

static void test_stream_deterministic(void **state)
{
    (void)state;
    nf_gen g1, g2, g3, g4;
    assert_int_equal(nf_gen_init(&g1, 1234, 2, MQTT_V5), 0);
    assert_int_equal(nf_gen_init(&g2, 1234, 2, MQTT_V5), 0);
    assert_int_equal(nf_gen_init(&g3, 1235, 2, MQTT_V5), 0);
    assert_int_equal(nf_gen_init(&g4, 1234, 2, MQTT_V5), 0);
    nf_case *a = new_case(), *b = new_case(), *c = new_case();
    unsigned kinds[5] = {0}, types[16] = {0}, first = 0, same_as_other_seed = 0;
    for (int i = 0; i < 3000; i++) {
        nf_gen_next(&g1, a);
        nf_gen_next(&g2, b);
        nf_gen_next(&g3, c);
        assert_int_equal(a->len, b->len);
        assert_memory_equal(a->bytes, b->bytes, a->len);
        assert_string_equal(a->mutation, b->mutation);
        assert_int_equal(a->verdict.kind, b->verdict.kind);
        assert_int_equal(a->first_connect, b->first_connect);
        assert_true(a->len > 0 && a->len <= NF_CASE_CAP);
        same_as_other_seed += a->len == c->len && memcmp(a->bytes, c->bytes, a->len) == 0;
        /* the verdict is the codec's, on the bytes as they are */
        nf_verdict v = nf_judge(a->bytes, a->len, MQTT_V5, a->first_connect);
        assert_int_equal(v.kind, a->verdict.kind);
        assert_int_equal(v.err, a->verdict.err);
        assert_true(a->verdict.start <= a->verdict.end && a->verdict.end <= a->len);
        kinds[a->verdict.kind]++;
        types[a->template_type & 15]++;
        first += a->first_connect;
        if (i % 97 == 0) { /* case i does not depend on the cases before it */
            nf_case_make(&g4, (uint64_t)i, c);
            assert_int_equal(c->len, a->len);
            assert_memory_equal(c->bytes, a->bytes, a->len);
        }
    }
    assert_true(same_as_other_seed < 300); /* another seed, other cases (a few plain PINGREQs coincide) */
    assert_true(kinds[NF_VALID] > 600);
    assert_true(kinds[NF_MALFORMED] > 600);
    assert_true(kinds[NF_STATE_ERROR] > 0);
    assert_true(first > 30);
    for (int t = MQTT_CONNECT; t <= MQTT_AUTH; t++)
        assert_true(types[t] > 0);
    free(a);
    free(b);
    free(c);
    nf_gen_free(&g1);
    nf_gen_free(&g2);
    nf_gen_free(&g3);
    nf_gen_free(&g4);
}

static bool contains(const uint8_t *p, size_t n, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, s, k) == 0)
            return true;
    return false;
}

static void load_corpus(mqs_scenario_set *set)
{
    const char *path = MQTTSPEC_SOURCE_DIR "/scenarios";
    memset(set, 0, sizeof *set);
    assert_int_equal(mqs_scenarios_discover(&path, 1, set, stderr), 0);
    assert_true(set->count > 100);
}

/* Session cases: a scenario connection's packets (our client id and topics in them), sequence-mutated. */
static void test_session_cases(void **state)
{
    (void)state;
    mqs_scenario_set set;
    load_corpus(&set);
    nf_gen g, again;
    assert_int_equal(nf_gen_init(&g, 99, 3, MQTT_V5), 0);
    assert_int_equal(nf_gen_init(&again, 99, 3, MQTT_V5), 0);
    assert_int_equal(nf_gen_sessions(&g, &set), 0);
    assert_int_equal(nf_gen_sessions(&again, &set), 0);
    assert_true(g.nsessions > 100);
    bool topic_seen = false;
    for (size_t i = 0; i < g.nsessions; i++) {
        assert_true(g.sessions[i].npk >= 1);
        assert_int_equal(g.sessions[i].pk[0].p[0] >> 4, MQTT_CONNECT);
        for (size_t k = 1; k < g.sessions[i].npk; k++)
            topic_seen |= contains(g.sessions[i].pk[k].p, g.sessions[i].pk[k].n, g.topic_base);
    }
    assert_true(topic_seen); /* {prefix} became the stream's topic base */
    nf_case *c = new_case(), *d = new_case();
    unsigned sessions = 0, valid = 0, judged_later = 0, seq_ops = 0, with_cid = 0;
    for (uint64_t i = 0; i < 20000; i++) {
        nf_gen_next(&g, c);
        if (strncmp(c->mutation, "session:", 8) != 0)
            continue;
        sessions++;
        assert_true(c->first_connect);
        assert_int_equal(c->bytes[0] >> 4, MQTT_CONNECT);
        with_cid += contains(c->bytes, c->len, g.client_id);
        valid += c->verdict.kind == NF_VALID;
        judged_later += c->verdict.start > 0;
        seq_ops += strstr(c->mutation, ":dup") || strstr(c->mutation, ":drop") || strstr(c->mutation, ":swap") ||
                   strstr(c->mutation, ":repeat");
        nf_case_make(&again, i, d); /* the same case, whatever came before */
        assert_int_equal(d->len, c->len);
        assert_memory_equal(d->bytes, c->bytes, c->len);
    }
    assert_true(sessions > 300 && sessions < 1000); /* about 3 % */
    assert_true(valid > 20 && judged_later > 20 && seq_ops > 50);
    assert_true(with_cid > sessions / 2);
    free(c);
    free(d);
    nf_gen_free(&g);
    nf_gen_free(&again);
    mqs_scenarios_free(&set);
}

static void test_gen_connect(void **state)
{
    (void)state;
    nf_gen g;
    assert_int_equal(nf_gen_init(&g, 7, 1, MQTT_V311), 0);
    uint8_t buf[128];
    size_t n = nf_gen_connect(&g, "p", buf, sizeof buf);
    nf_verdict v = nf_judge(buf, n, MQTT_V311, true);
    assert_int_equal(v.kind, NF_VALID);
    assert_int_equal(v.type, MQTT_CONNECT);
    bool found = false;
    for (size_t i = 0; i + 15 <= n && !found; i++)
        found = memcmp(buf + i, "mqsfz000000071p", 15) == 0;
    assert_true(found);
    nf_gen_free(&g);
}

/* ---- the verdict ---- */

static void test_judge(void **state)
{
    (void)state;
    uint8_t b[256];
    size_t n = hex("30 05 00 01 61 68 69", b, sizeof b); /* PUBLISH "a" "hi" */
    nf_verdict v = nf_judge(b, n, MQTT_V311, false);
    assert_int_equal(v.kind, NF_VALID);
    assert_int_equal(v.type, MQTT_PUBLISH);
    assert_int_equal(v.end, n);

    n = hex("30 05 00 01 61 68 69 c0 00 d0 00 ff", b, sizeof b); /* + PINGREQ + PINGRESP + junk */
    v = nf_judge(b, n, MQTT_V311, false);
    assert_int_equal(v.kind, NF_MALFORMED);
    assert_int_equal(v.err, MQTT_E_PACKET_DIRECTION);
    assert_int_equal(v.type, MQTT_PINGRESP);
    assert_int_equal(v.start, 9);
    assert_int_equal(v.end, 11); /* the junk after the PINGRESP is another packet's business */
    assert_int_equal(v.pingreqs, 1);

    n = hex("10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 61", b, sizeof b);
    v = nf_judge(b, n, MQTT_V311, false); /* a second CONNECT */
    assert_int_equal(v.kind, NF_STATE_ERROR);
    v = nf_judge(b, n, MQTT_V311, true);
    assert_int_equal(v.kind, NF_VALID);
    v = nf_judge((const uint8_t *)"\xc0\x00", 2, MQTT_V311, true); /* not a CONNECT first */
    assert_int_equal(v.kind, NF_MALFORMED);
    assert_int_equal(v.err, MQTT_E_EXPECTED_CONNECT);

    n = hex("30 7f 00 01 61", b, sizeof b);
    assert_int_equal(nf_judge(b, n, MQTT_V311, false).kind, NF_INCOMPLETE);
    assert_int_equal(nf_judge((const uint8_t *)"\xe0\x00", 2, MQTT_V311, false).kind, NF_DISCONNECT);
    n = hex("f0 06 18 04 15 00 01 78", b, sizeof b); /* AUTH, but no method was agreed in CONNECT */
    assert_int_equal(nf_judge(b, n, MQTT_V5, false).kind, NF_STATE_ERROR);

    n = hex("34 05 00 01 7f 00 01", b, sizeof b); /* topic with U+007F: valid, but a receiver may close */
    assert_int_equal(nf_judge(b, n, MQTT_V311, false).kind, NF_VALID);
    assert_true(nf_may_close(b, n, MQTT_V311));
    n = hex("34 05 00 01 61 00 01", b, sizeof b);
    assert_false(nf_may_close(b, n, MQTT_V311));
    n = hex("30 07 00 01 61 03 23 00 01", b, sizeof b); /* 5.0 Topic Alias 1 */
    assert_int_equal(nf_judge(b, n, MQTT_V5, false).kind, NF_VALID);
    assert_true(nf_may_close(b, n, MQTT_V5));

    assert_int_equal(nf_packet_id((const uint8_t *)"\x62\x02\x12\x34", 4), 0x1234);
    n = hex("32 07 00 01 61 00 09 68 69", b, sizeof b);
    assert_int_equal(nf_packet_id(b, n), 9);
    assert_int_equal(nf_packet_id((const uint8_t *)"\x30\x03\x00\x01\x61", 5), -1);
}

/* ---- what the spec allows ---- */

static nf_reaction reaction(nf_react_kind kind, uint8_t answer, int connack, int disconnect)
{
    nf_reaction r;
    nf_reaction_init(&r);
    r.kind = kind;
    r.answer = answer;
    r.connack_code = connack;
    r.disconnect_code = disconnect;
    return r;
}

static void test_requirements(void **state)
{
    (void)state;
    nf_verdict v = {.kind = NF_MALFORMED, .type = MQTT_PUBLISH, .err = MQTT_E_UTF8_INVALID, .version = MQTT_V311};
    assert_int_equal(nf_required(&v, false, MQTT_V311), NF_REQ_CLOSE);
    nf_reaction closed = reaction(NF_R_CLOSED, 0, -1, -1), open = reaction(NF_R_CONTINUED, 0, -1, -1);
    nf_reaction closed81 = reaction(NF_R_CLOSED, 0, -1, 0x81), acked = reaction(NF_R_CLOSED, MQTT_PUBACK, -1, -1);
    assert_true(nf_reaction_allowed(NF_REQ_CLOSE, &closed, MQTT_V311, false));
    assert_false(nf_reaction_allowed(NF_REQ_CLOSE, &open, MQTT_V311, false));
    assert_false(nf_reaction_allowed(NF_REQ_CLOSE, &acked, MQTT_V311, false));
    assert_true(nf_reaction_allowed(NF_REQ_CLOSE, &closed81, MQTT_V5, false));
    assert_false(nf_reaction_allowed(NF_REQ_CLOSE, &closed81, MQTT_V311, false));

    v = (nf_verdict){.kind = NF_VALID, .type = MQTT_PUBLISH, .version = MQTT_V5};
    assert_int_equal(nf_required(&v, false, MQTT_V5), NF_REQ_CONTINUE);
    nf_reaction quota = reaction(NF_R_CLOSED, 0, -1, 0x97);
    assert_true(nf_reaction_allowed(NF_REQ_CONTINUE, &open, MQTT_V5, false));
    assert_true(nf_reaction_allowed(NF_REQ_CONTINUE, &quota, MQTT_V5, false)); /* its own limits */
    assert_false(nf_reaction_allowed(NF_REQ_CONTINUE, &closed81, MQTT_V5, false));
    assert_false(nf_reaction_allowed(NF_REQ_CONTINUE, &closed, MQTT_V311, false));
    assert_true(nf_reaction_allowed(NF_REQ_CONTINUE, &closed, MQTT_V311, true)); /* may close */

    v = (nf_verdict){.kind = NF_MALFORMED, .type = MQTT_SUBSCRIBE, .err = MQTT_E_TOPIC_FILTER_HASH, .version = MQTT_V5};
    assert_int_equal(nf_required(&v, false, MQTT_V5), NF_REQ_SUBACK_FAIL_OR_CLOSE);
    nf_reaction suback = reaction(NF_R_CONTINUED, MQTT_SUBACK, -1, -1);
    assert_false(nf_reaction_allowed(NF_REQ_SUBACK_FAIL_OR_CLOSE, &suback, MQTT_V5, false));
    suback.suback_failure = true;
    assert_true(nf_reaction_allowed(NF_REQ_SUBACK_FAIL_OR_CLOSE, &suback, MQTT_V5, false));
    v.type = MQTT_UNSUBSCRIBE;
    assert_int_equal(nf_required(&v, false, MQTT_V5), NF_REQ_UNSUBACK_OR_CLOSE);

    /* a malformed first CONNECT: 3.1.1 closes without CONNACK, 5.0 may refuse with >= 0x80 first */
    v = (nf_verdict){.kind = NF_MALFORMED, .type = MQTT_CONNECT, .err = MQTT_E_CONNECT_RESERVED_FLAG, .version = MQTT_V311};
    assert_int_equal(nf_required(&v, true, MQTT_V311), NF_REQ_CLOSE_NO_CONNACK);
    nf_reaction refused = reaction(NF_R_CLOSED, 0, 0x81, -1);
    assert_false(nf_reaction_allowed(NF_REQ_CLOSE_NO_CONNACK, &refused, MQTT_V311, false));
    v.version = MQTT_V5;
    assert_int_equal(nf_required(&v, true, MQTT_V5), NF_REQ_CONNACK_FAIL_OR_CLOSE);
    assert_true(nf_reaction_allowed(NF_REQ_CONNACK_FAIL_OR_CLOSE, &refused, MQTT_V5, false));
    v.err = MQTT_E_PROTOCOL_LEVEL;
    v.version = MQTT_V311;
    assert_int_equal(nf_required(&v, true, MQTT_V311), NF_REQ_CONNACK_1_CLOSE);
    nf_reaction accepted = reaction(NF_R_CONTINUED, MQTT_CONNACK, 0, -1);
    assert_false(nf_reaction_allowed(NF_REQ_CONNACK_1_CLOSE, &accepted, MQTT_V311, false));
    v.err = MQTT_E_CLIENT_ID_EMPTY_PERSISTENT;
    assert_int_equal(nf_required(&v, true, MQTT_V311), NF_REQ_CONNACK_2_CLOSE);

    v = (nf_verdict){.kind = NF_INCOMPLETE, .type = MQTT_PUBLISH, .version = MQTT_V311};
    assert_int_equal(nf_required(&v, false, MQTT_V311), NF_REQ_NONE);
    v = (nf_verdict){.kind = NF_STATE_ERROR, .type = MQTT_CONNECT, .version = MQTT_V311};
    assert_int_equal(nf_required(&v, false, MQTT_V311), NF_REQ_CLOSE);

    nf_reaction bad = reaction(NF_R_CONTINUED, 0, -1, -1);
    bad.target_malformed = true;
    assert_false(nf_reaction_allowed(NF_REQ_CONTINUE, &bad, MQTT_V311, false));
}

/* A CONNECT that breaks several rules: the server may act on any of them. */
static void test_connect_several_faults(void **state)
{
    (void)state;
    uint8_t b[64];
    nf_reaction closed = reaction(NF_R_CLOSED, 0, -1, -1), refused1 = reaction(NF_R_CLOSED, 0, 0x01, -1);
    /* level 6, otherwise well-formed: 3.1.1 wants CONNACK 0x01 then the close */
    size_t n = hex("10 0d 00 04 4d 51 54 54 06 02 00 3c 00 01 61", b, sizeof b);
    nf_verdict v = nf_judge(b, n, MQTT_V311, true);
    assert_int_equal(v.err, MQTT_E_PROTOCOL_LEVEL);
    assert_int_equal(v.connect_bits, NF_CB_LEVEL);
    assert_int_equal(nf_required(&v, true, MQTT_V311), NF_REQ_CONNACK_1_CLOSE);
    assert_false(nf_reaction_allowed(NF_REQ_CONNACK_1_CLOSE, &closed, MQTT_V311, false));
    /* level 0x84 and cut short after it: also malformed at any level, so a plain close will do */
    n = hex("10 07 00 04 4d 51 54 54 84", b, sizeof b);
    v = nf_judge(b, n, MQTT_V311, true);
    assert_int_equal(v.err, MQTT_E_PROTOCOL_LEVEL);
    assert_true(v.connect_bits & NF_CB_ELSE);
    assert_int_equal(nf_required(&v, true, MQTT_V311), NF_REQ_REFUSE_OR_CLOSE);
    assert_true(nf_reaction_allowed(NF_REQ_REFUSE_OR_CLOSE, &closed, MQTT_V311, false));
    assert_true(nf_reaction_allowed(NF_REQ_REFUSE_OR_CLOSE, &refused1, MQTT_V311, false));
    /* reserved fixed-header flags and level 0xff: CONNACK 0x01 for the level is as good as a close
     * (the codec reports the level: a CONNECT's header flags are judged by the level it carries) */
    n = hex("11 07 00 04 4d 51 54 54 ff", b, sizeof b);
    v = nf_judge(b, n, MQTT_V311, true);
    assert_int_equal(v.err, MQTT_E_PROTOCOL_LEVEL);
    assert_true(v.connect_bits & NF_CB_LEVEL);
    assert_int_equal(nf_required(&v, true, MQTT_V311), NF_REQ_REFUSE_OR_CLOSE);
    assert_true(nf_reaction_allowed(NF_REQ_REFUSE_OR_CLOSE, &refused1, MQTT_V311, false));
    nf_reaction accepted = reaction(NF_R_CONTINUED, MQTT_CONNACK, 0, -1);
    assert_false(nf_reaction_allowed(NF_REQ_REFUSE_OR_CLOSE, &accepted, MQTT_V311, false));
    /* password without user name, and an empty client id with CleanSession 0: CONNACK 0x02 is fair too */
    n = hex("10 0c 00 04 4d 51 54 54 04 54 54 04 00 00", b, sizeof b);
    v = nf_judge(b, n, MQTT_V311, true);
    assert_int_equal(v.err, MQTT_E_PASSWORD_WITHOUT_USERNAME);
    assert_true(v.connect_bits & NF_CB_EMPTY_ID);
    assert_int_equal(nf_required(&v, true, MQTT_V311), NF_REQ_REFUSE_OR_CLOSE);
    nf_reaction refused2 = reaction(NF_R_CLOSED, 0, 0x02, -1);
    assert_true(nf_reaction_allowed(NF_REQ_REFUSE_OR_CLOSE, &refused2, MQTT_V311, false));
    /* MQTT 3.1 (MQIsdp, level 3) with header flags 8: valid, 3.1 leaves a CONNECT's header flags unused */
    n = hex("18 0f 00 06 4d 51 49 73 64 70 03 02 a5 c3 00 01 63", b, sizeof b);
    v = nf_judge(b, n, MQTT_V311, true);
    assert_int_equal(v.kind, NF_VALID);
    assert_int_equal(v.version, MQTT_V31);
    /* a malformed 3.1 CONNECT (client id cut short): its rules are not 3.1.1's, not judged */
    n = hex("18 0e 00 06 4d 51 49 73 64 70 03 02 a5 c3 00 01", b, sizeof b);
    v = nf_judge(b, n, MQTT_V311, true);
    assert_int_equal(v.kind, NF_MALFORMED);
    assert_true(v.connect_bits & NF_CB_V31);
    assert_int_equal(nf_required(&v, true, MQTT_V311), NF_REQ_NONE);
    /* a valid 5.0 CONNECT with Maximum Packet Size 7: no CONNACK fits, closing is fair */
    n = hex("10 14 00 04 4d 51 54 54 05 02 00 3c 07 27 00 00 00 07 17 01 00 00", b, sizeof b);
    v = nf_judge(b, n, MQTT_V5, true);
    assert_int_equal(v.kind, NF_VALID);
    assert_true(nf_may_close(b, n, MQTT_V5));
    assert_true(nf_reaction_allowed(NF_REQ_CONNACK, &closed, MQTT_V5, true));
    /* a 5.0 PUBREC with a non-minimal remaining length: framed as 3.1.1 does, the trailing bytes are cut */
    n = hex("50 82 80 00 ab df 80 00", b, sizeof b);
    v = nf_judge(b, n, MQTT_V5, false);
    assert_int_equal(v.err, MQTT_E_VARINT_NOT_MINIMAL);
    assert_int_equal(v.end, 6);
}

static void test_signatures(void **state)
{
    (void)state;
    char name[128];
    nf_signature a = {MQTT_PUBLISH, NF_MALFORMED, MQTT_E_UTF8_INVALID, NF_R_CONTINUED, MQTT_PUBACK, false};
    nf_signature_name(&a, name, sizeof name);
    assert_string_equal(name, "publish-utf8-invalid-kept-open");
    nf_signature b = a;
    b.react = NF_R_SILENT; /* the same finding: the connection stayed open */
    b.answer = 0;
    assert_true(nf_signature_match(&a, &b));
    b.react = NF_R_CLOSED;
    assert_false(nf_signature_match(&a, &b));
    nf_signature batch = {NF_TYPE_ANY, NF_VALID, MQTT_E_OK, NF_R_CLOSED, 0, false};
    nf_signature_name(&batch, name, sizeof name);
    assert_string_equal(name, "batch-valid-closed");
    nf_signature one = {MQTT_SUBSCRIBE, NF_VALID, MQTT_E_OK, NF_R_CLOSED, 0, false};
    assert_true(nf_signature_match(&batch, &one));
    assert_false(nf_signature_match(&one, &(nf_signature){MQTT_PUBLISH, NF_VALID, MQTT_E_OK, NF_R_CLOSED, 0, false}));
    nf_signature closed_acked = {MQTT_PUBLISH, NF_MALFORMED, MQTT_E_UTF8_NUL, NF_R_CLOSED, MQTT_PUBACK, false};
    nf_signature_name(&closed_acked, name, sizeof name);
    assert_string_equal(name, "publish-utf8-nul-closed-puback");
}

/* ---- the minimiser, against models of a target ---- */

typedef struct model {
    int calls;
} model;

/* A target that accepts a PUBLISH whose topic holds an 0xFF byte and closes on anything else malformed. */
static bool lenient_on_ff(void *ctx, const nf_repro *r, nf_signature *got)
{
    model *m = ctx;
    m->calls++;
    const nf_bytes *k = nf_repro_culprit(r);
    nf_verdict v = nf_judge(k->p, k->n, r->version, false);
    bool ff = memchr(k->p, 0xFF, k->n) != NULL;
    *got = (nf_signature){v.type, v.kind, v.err, ff ? NF_R_CONTINUED : NF_R_CLOSED, 0, false};
    return true;
}

/* A target that closes the connection whenever a QoS 2 PUBLISH comes. */
static bool closes_on_qos2(void *ctx, const nf_repro *r, nf_signature *got)
{
    model *m = ctx;
    m->calls++;
    bool qos2 = false;
    for (size_t i = 0; i < r->npackets; i++)
        qos2 |= r->packets[i].p[0] >> 4 == MQTT_PUBLISH && (r->packets[i].p[0] & 0x06) == 0x04;
    uint8_t type = r->npackets == 1 ? (uint8_t)(r->packets[0].p[0] >> 4) : NF_TYPE_ANY;
    *got = (nf_signature){type, NF_VALID, MQTT_E_OK, qos2 ? NF_R_CLOSED : NF_R_CONTINUED, 0, false};
    return true;
}

static void add_hex(nf_repro *r, const char *text)
{
    uint8_t b[512];
    size_t n = hex(text, b, sizeof b);
    assert_int_equal(nf_repro_add(r, b, n), 0);
}

static void test_minimise_culprit(void **state)
{
    (void)state;
    nf_repro r;
    nf_repro_init(&r, MQTT_V311, false, true);
    add_hex(&r, "30 05 00 01 61 68 69");
    add_hex(&r, "32 07 00 01 62 00 05 68 69");
    add_hex(&r, "a2 05 00 07 00 01 61");
    /* PUBLISH topic "ab\xFF" + payload "hello world" */
    add_hex(&r, "30 10 00 03 61 62 ff 68 65 6c 6c 6f 20 77 6f 72 6c 64");
    nf_signature want = {MQTT_PUBLISH, NF_MALFORMED, MQTT_E_UTF8_INVALID, NF_R_CONTINUED, 0, false};
    model m = {0};
    nf_signature got;
    assert_true(lenient_on_ff(&m, &r, &got));
    assert_true(nf_signature_match(&want, &got));
    int tries = nf_minimise(&r, &want, lenient_on_ff, &m, 300);
    assert_true(tries > 0 && tries <= 300);
    assert_int_equal(m.calls, tries + 1);
    assert_int_equal(r.npackets, 1); /* the valid packets before it do not matter */
    const nf_bytes *k = nf_repro_culprit(&r);
    nf_verdict v = nf_judge(k->p, k->n, MQTT_V311, false);
    assert_int_equal(v.err, MQTT_E_UTF8_INVALID);
    /* the smallest PUBLISH with a one-byte topic 0xFF: 30 03 00 01 ff */
    assert_int_equal(k->n, 5);
    assert_memory_equal(k->p, "\x30\x03\x00\x01\xff", 5);
    assert_true(lenient_on_ff(&m, &r, &got) && nf_signature_match(&want, &got));
    nf_repro_free(&r);
}

static void test_minimise_batch(void **state)
{
    (void)state;
    nf_repro r;
    nf_repro_init(&r, MQTT_V311, false, false);
    add_hex(&r, "30 05 00 01 61 68 69");
    add_hex(&r, "c0 00");
    add_hex(&r, "34 0a 00 01 62 00 05 68 69 68 69 21"); /* QoS 2 */
    add_hex(&r, "82 06 00 07 00 01 61 00");
    add_hex(&r, "62 02 00 05");
    nf_signature want = {NF_TYPE_ANY, NF_VALID, MQTT_E_OK, NF_R_CLOSED, 0, false};
    model m = {0};
    nf_minimise(&r, &want, closes_on_qos2, &m, 200);
    assert_int_equal(r.npackets, 1);
    assert_int_equal(r.packets[0].p[0], 0x34);
    assert_int_equal(nf_judge(r.packets[0].p, r.packets[0].n, MQTT_V311, false).kind, NF_VALID);
    assert_true(r.packets[0].n <= 7); /* 34 05 00 01 62 00 05: the payload went */
    nf_repro_free(&r);
}

static void test_minimise_budget(void **state)
{
    (void)state;
    nf_repro r;
    nf_repro_init(&r, MQTT_V311, false, true);
    add_hex(&r, "30 10 00 03 61 62 ff 68 65 6c 6c 6f 20 77 6f 72 6c 64");
    nf_signature want = {MQTT_PUBLISH, NF_MALFORMED, MQTT_E_UTF8_INVALID, NF_R_CONTINUED, 0, false};
    model m = {0};
    assert_int_equal(nf_minimise(&r, &want, lenient_on_ff, &m, 3), 3);
    assert_int_equal(m.calls, 3);
    nf_repro_free(&r);
}

/* ---- findings as scenarios ---- */

static bool statement_listed(const char *ref)
{
    const char *colon = strchr(ref, ':');
    assert_non_null(colon);
    char path[600], line[1024];
    snprintf(path, sizeof path, "%s/%s", MQTTSPEC_SPEC_DIR,
             strncmp(ref, "5.0:", 4) == 0 ? "mqtt5_statements.tsv" : "mqtt311_statements.tsv");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    bool found = false;
    size_t n = strlen(colon + 1);
    while (!found && fgets(line, sizeof line, f))
        found = strncmp(line, colon + 1, n) == 0 && line[n] == '\t';
    fclose(f);
    return found;
}

static char *tmpdir(void)
{
    char *d = strdup("/tmp/mqs-netfuzz-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void rm_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Write the finding, load it back with the engine's loader, return the document. */
static cJSON *write_and_load(const nf_finding *f, const char *dir, const char *want_id)
{
    char path[700], err[600];
    assert_int_equal(nf_finding_write(f, dir, path, sizeof path), 0);
    mqs_scenario sc;
    if (mqs_scenario_load(path, &sc, err, sizeof err) < 0)
        fail_msg("%s", err);
    assert_string_equal(sc.id, want_id);
    assert_int_equal(sc.nversions, 1);
    assert_int_equal(sc.versions[0], f->repro.version);
    for (const cJSON *s = sc.spec->child; s; s = s->next)
        if (!statement_listed(s->valuestring))
            fail_msg("%s cites %s, not in spec/", want_id, s->valuestring);
    cJSON *doc = cJSON_Duplicate(sc.root, true);
    mqs_scenario_free(&sc);
    char line[2000];
    nf_finding_summary(f, line, sizeof line);
    assert_non_null(strstr(line, want_id));
    return doc;
}

static const cJSON *step(const cJSON *doc, int i) { return cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "steps"), i); }

static void test_finding_scenarios(void **state)
{
    (void)state;
    char *dir = tmpdir();
    nf_finding f;
    memset(&f, 0, sizeof f);
    f.seed = 99;
    f.seen = 3;
    snprintf(f.mutation, sizeof f.mutation, "publish:string:utf8-ff");

    /* a malformed PUBLISH the target accepted, after a valid one: connect, hex, ping, hex, expect_close */
    nf_repro_init(&f.repro, MQTT_V311, false, true);
    add_hex(&f.repro, "30 05 00 01 61 68 69");
    add_hex(&f.repro, "30 03 00 01 ff");
    f.verdict = nf_judge((const uint8_t *)"\x30\x03\x00\x01\xff", 5, MQTT_V311, false);
    nf_reaction_init(&f.reaction);
    f.reaction.kind = NF_R_CONTINUED;
    f.req = nf_required(&f.verdict, false, MQTT_V311);
    f.sig = (nf_signature){MQTT_PUBLISH, NF_MALFORMED, f.verdict.err, NF_R_CONTINUED, 0, false};
    cJSON *doc = write_and_load(&f, dir, "fuzz-publish-utf8-invalid-kept-open-99");
    assert_non_null(cJSON_GetObjectItem(step(doc, 0), "connect"));
    assert_string_equal(cJSON_GetObjectItem(step(doc, 1), "hex")->valuestring, "30 05 00 01 61 68 69");
    assert_non_null(cJSON_GetObjectItem(step(doc, 3), "expect"));
    assert_string_equal(cJSON_GetObjectItem(step(doc, 4), "hex")->valuestring, "30 03 00 01 ff");
    assert_non_null(cJSON_GetObjectItem(step(doc, 5), "expect_close"));
    cJSON_Delete(doc);
    nf_repro_free(&f.repro);

    /* a SUBSCRIBE with a bad filter (5.0): SUBACK with a failure code for that entry, or close */
    nf_repro_init(&f.repro, MQTT_V5, false, true);
    uint8_t sub[64];
    size_t n = hex("82 0e 00 07 00 00 03 61 2f 62 00 00 03 23 2f 61 00", sub, sizeof sub);
    add_hex(&f.repro, "82 0e 00 07 00 00 03 61 2f 62 00 00 03 23 2f 61 00");
    f.verdict = nf_judge(sub, n, MQTT_V5, false);
    assert_int_equal(f.verdict.err, MQTT_E_TOPIC_FILTER_HASH);
    f.req = nf_required(&f.verdict, false, MQTT_V5);
    f.sig = (nf_signature){MQTT_SUBSCRIBE, NF_MALFORMED, f.verdict.err, NF_R_CONTINUED, 0, false};
    doc = write_and_load(&f, dir, "fuzz-subscribe-topic-filter-hash-kept-open-99");
    const cJSON *one_of = step(doc, 2);
    const cJSON *outcomes = cJSON_GetObjectItem(one_of, "outcomes");
    assert_int_equal(cJSON_GetArraySize(outcomes), 2);
    const cJSON *pattern = cJSON_GetObjectItem(cJSON_GetArrayItem(outcomes, 0), "packet");
    assert_int_equal(cJSON_GetObjectItem(pattern, "packet_id")->valueint, 7);
    const cJSON *codes = cJSON_GetObjectItem(pattern, "codes");
    assert_int_equal(cJSON_GetArraySize(codes), 2); /* the first entry any code, the second a failure */
    assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(codes, 1), "$range"), 0)->valueint, 128);
    cJSON_Delete(doc);
    nf_repro_free(&f.repro);

    /* a malformed first CONNECT (3.1.1): open, hex, close without CONNACK */
    nf_repro_init(&f.repro, MQTT_V311, true, false);
    add_hex(&f.repro, "10 0d 00 04 4d 51 54 54 04 03 00 3c 00 01 61");
    f.verdict = nf_judge(f.repro.packets[0].p, f.repro.packets[0].n, MQTT_V311, true);
    assert_int_equal(f.verdict.err, MQTT_E_CONNECT_RESERVED_FLAG);
    f.req = nf_required(&f.verdict, true, MQTT_V311);
    f.reaction.kind = NF_R_CONTINUED;
    f.reaction.connack_code = 0;
    f.sig = (nf_signature){MQTT_CONNECT, NF_MALFORMED, f.verdict.err, NF_R_CONTINUED, 0, false};
    doc = write_and_load(&f, dir, "fuzz-connect-connect-reserved-flag-kept-open-99");
    assert_non_null(cJSON_GetObjectItem(step(doc, 0), "open"));
    assert_non_null(cJSON_GetObjectItem(step(doc, 2), "one_of"));
    cJSON_Delete(doc);
    nf_repro_free(&f.repro);

    /* a valid packet the target closed on: it must answer a PINGREQ after it */
    nf_repro_init(&f.repro, MQTT_V5, false, false);
    add_hex(&f.repro, "30 06 00 01 61 00 68 69");
    f.verdict = nf_judge(f.repro.packets[0].p, f.repro.packets[0].n, MQTT_V5, false);
    assert_int_equal(f.verdict.kind, NF_VALID);
    f.req = NF_REQ_CONTINUE;
    nf_reaction_init(&f.reaction);
    f.reaction.kind = NF_R_CLOSED;
    f.sig = (nf_signature){MQTT_PUBLISH, NF_VALID, MQTT_E_OK, NF_R_CLOSED, 0, false};
    doc = write_and_load(&f, dir, "fuzz-publish-valid-closed-99");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(step(doc, 3), "packet"), "type")->valuestring,
                        "PINGRESP");
    cJSON_Delete(doc);
    nf_repro_free(&f.repro);
    rm_dir(dir);
    free(dir);
}

/* ---- a campaign against broker-sim ---- */

static void test_campaign_broker_sim(void **state)
{
    (void)state;
    sim_config cfg;
    sim_config_init(&cfg);
    sim_config_add_listener(&cfg, "mqtt://127.0.0.1:0", NULL, NULL, 0);
    char err[256], url[64];
    sim_broker *b = sim_start(&cfg, err, sizeof err);
    assert_non_null(b);
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", sim_port(b, 0));
    char *dir = tmpdir();
    nf_options o;
    nf_options_init(&o);
    assert_int_equal(mqs_url_parse(url, &o.url, err, sizeof err), 0);
    o.duration_s = 1.5;
    o.seed = 5;
    o.connections = 4;
    o.out_dir = dir;
    o.quiet = true;
    o.out = stderr;
    mqs_scenario_set set;
    load_corpus(&set);
    o.sessions = &set; /* session cases too */
    nf_stats st;
    assert_int_equal(nf_run(&o, &st), 0);
    mqs_scenarios_free(&set);
    assert_false(st.liveness_failed);
    assert_true(st.cases > 1000);
    assert_true(st.valid > 0 && st.judged > 0);
    assert_true(st.probe_pings >= 3);
    assert_true(st.stall_connections >= 1 && st.stall_bytes > 100000); /* the client that stops reading ran */
    /* broker-sim decides with the same codec: nothing to find */
    assert_int_equal(st.findings, 0);
    assert_int_equal(st.candidates, 0);
    sim_stop(b);
    rm_dir(dir);
    free(dir);
}

/* A target that is not there is a setup error, not a crash. */
static void test_campaign_unreachable(void **state)
{
    (void)state;
    nf_options o;
    nf_options_init(&o);
    char err[128];
    assert_int_equal(mqs_url_parse("mqtt://127.0.0.1:1", &o.url, err, sizeof err), 0);
    o.duration_s = 1;
    o.quiet = true;
    FILE *sink = fopen("/dev/null", "w");
    o.err = o.out = sink;
    nf_stats st;
    assert_int_equal(nf_run(&o, &st), -1);
    fclose(sink);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_deterministic),   cmocka_unit_test(test_stream_deterministic),
        cmocka_unit_test(test_gen_connect),         cmocka_unit_test(test_session_cases),         cmocka_unit_test(test_judge),
        cmocka_unit_test(test_requirements),        cmocka_unit_test(test_connect_several_faults),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_minimise_culprit),    cmocka_unit_test(test_minimise_batch),
        cmocka_unit_test(test_minimise_budget),     cmocka_unit_test(test_finding_scenarios),
        cmocka_unit_test(test_campaign_broker_sim), cmocka_unit_test(test_campaign_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
