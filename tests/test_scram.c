/* SCRAM-SHA-256: RFC 7677 section 3's example exchange, both sides, and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mqttspec/scram.h"

#define C_NONCE "rOprNGfwEbeRWgbNEkqO"
#define S_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define SALT "W22ZaJ0SNY7soEsUEjb6gQ=="
#define CLIENT_FIRST "n,,n=user,r=" C_NONCE
#define SERVER_FIRST "r=" C_NONCE S_NONCE ",s=" SALT ",i=4096"
#define CLIENT_FINAL "c=biws,r=" C_NONCE S_NONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static const uint8_t *u(const char *s) { return (const uint8_t *)s; }

static void test_rfc7677_client(void **state)
{
    (void)state;
    mqs_scram s;
    char out[MQS_SCRAM_MSG_MAX], err[200];
    assert_int_equal(mqs_scram_client_first(&s, "user", C_NONCE, out, sizeof out), strlen(CLIENT_FIRST));
    assert_string_equal(out, CLIENT_FIRST);
    int n = mqs_scram_client_final(&s, "pencil", u(SERVER_FIRST), strlen(SERVER_FIRST), false, out, sizeof out, err,
                                   sizeof err);
    assert_int_equal(n, strlen(CLIENT_FINAL));
    assert_string_equal(out, CLIENT_FINAL);
    assert_true(mqs_scram_client_verify(&s, u(SERVER_FINAL), strlen(SERVER_FINAL), err, sizeof err));
    const char *forged = "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    assert_false(mqs_scram_client_verify(&s, u(forged), strlen(forged), err, sizeof err));
    assert_false(mqs_scram_client_verify(&s, u("e=invalid-proof"), 15, err, sizeof err));
    mqs_scram_wipe(&s);
}

static void test_rfc7677_server(void **state)
{
    (void)state;
    mqs_scram s;
    char out[MQS_SCRAM_MSG_MAX], err[200];
    int n = mqs_scram_server_first(&s, "user", "pencil", u(CLIENT_FIRST), strlen(CLIENT_FIRST), S_NONCE, SALT, out,
                                   sizeof out, err, sizeof err);
    assert_int_equal(n, strlen(SERVER_FIRST));
    assert_string_equal(out, SERVER_FIRST);
    n = mqs_scram_server_final(&s, u(CLIENT_FINAL), strlen(CLIENT_FINAL), out, sizeof out, err, sizeof err);
    assert_int_equal(n, strlen(SERVER_FINAL));
    assert_string_equal(out, SERVER_FINAL);
}

static void test_wrong_password_and_proof(void **state)
{
    (void)state;
    mqs_scram c, s;
    char cf[MQS_SCRAM_MSG_MAX], sf[MQS_SCRAM_MSG_MAX], cfin[MQS_SCRAM_MSG_MAX], out[MQS_SCRAM_MSG_MAX], err[200];
    for (int round = 0; round < 3; round++) {
        int n = mqs_scram_client_first(&c, "a,b=c", NULL, cf, sizeof cf);
        assert_true(n > 0);
        assert_non_null(strstr(cf, "n=a=2Cb=3Dc,"));
        n = mqs_scram_server_first(&s, "a,b=c", "secret", u(cf), (size_t)n, NULL, NULL, sf, sizeof sf, err, sizeof err);
        assert_true(n > 0);
        n = mqs_scram_client_final(&c, round == 1 ? "other" : "secret", u(sf), (size_t)n, round == 2, cfin,
                                   sizeof cfin, err, sizeof err);
        assert_true(n > 0);
        n = mqs_scram_server_final(&s, u(cfin), (size_t)n, out, sizeof out, err, sizeof err);
        if (round == 0) {
            assert_true(n > 0);
            assert_true(mqs_scram_client_verify(&c, u(out), (size_t)n, err, sizeof err));
        } else {
            assert_int_equal(n, -1);
            assert_string_equal(err, "invalid proof");
        }
    }
}

static void test_malformed(void **state)
{
    (void)state;
    mqs_scram s;
    char out[MQS_SCRAM_MSG_MAX], err[200];
    const char *bad_first[] = {"", "p=tls,,n=user,r=x", "n,,r=abc", "n,,n=user", "n,,n=us=er,r=abc", "n,,n=other,r=a"};
    for (size_t i = 0; i < sizeof bad_first / sizeof bad_first[0]; i++)
        assert_int_equal(mqs_scram_server_first(&s, "user", "pencil", u(bad_first[i]), strlen(bad_first[i]), NULL,
                                                NULL, out, sizeof out, err, sizeof err),
                         -1);
    assert_true(mqs_scram_server_first(&s, "user", "pencil", u(CLIENT_FIRST), strlen(CLIENT_FIRST), S_NONCE, SALT,
                                       out, sizeof out, err, sizeof err) > 0);
    const char *bad_final[] = {"c=biws,r=" C_NONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                               "c=eSws,r=" C_NONCE S_NONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                               "c=biws,r=" C_NONCE S_NONCE ",p=AAAA", "c=biws,r=" C_NONCE S_NONCE};
    for (size_t i = 0; i < sizeof bad_final / sizeof bad_final[0]; i++)
        assert_int_equal(mqs_scram_server_final(&s, u(bad_final[i]), strlen(bad_final[i]), out, sizeof out, err,
                                                sizeof err),
                         -1);
    mqs_scram c;
    assert_true(mqs_scram_client_first(&c, "user", C_NONCE, out, sizeof out) > 0);
    const char *bad_sf[] = {"r=other,s=" SALT ",i=4096", "r=" C_NONCE ",s=" SALT ",i=4096",
                            "r=" C_NONCE "x,s=!!,i=4096", "r=" C_NONCE "x,s=" SALT ",i=0", "r=" C_NONCE "x"};
    for (size_t i = 0; i < sizeof bad_sf / sizeof bad_sf[0]; i++)
        assert_int_equal(mqs_scram_client_final(&c, "pencil", u(bad_sf[i]), strlen(bad_sf[i]), false, out, sizeof out,
                                                err, sizeof err),
                         -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7677_client),
        cmocka_unit_test(test_rfc7677_server),
        cmocka_unit_test(test_wrong_password_and_proof),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
