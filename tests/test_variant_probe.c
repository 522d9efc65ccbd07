/*
 * broker-sim's legal variants against the pre-flight probe: each variant's
 * table entry names the capabilities it takes away ("lacks"), per version;
 * the probe, run against the sim with that variant alone, must find exactly
 * those missing beyond what the sim never offers (ci/variant-matrix.sh
 * declares them with --lacks, as the probe would).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mqttspec/probe.h"
#include "mqttspec/scenario.h"
#include "mqttspec/sim.h"

/* The capabilities a "lacks" string gives version v ("qos2 5.0:retain"). */
static unsigned lacks_at(const char *lacks, mqtt_version v)
{
    char buf[256], err[128];
    snprintf(buf, sizeof buf, "%s", lacks);
    unsigned out = 0;
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *colon = strchr(tok, ':');
        if (colon) {
            *colon = '\0';
            if (mqs_version_parse(tok) != v)
                continue;
            tok = colon + 1;
        }
        unsigned bits;
        if (mqs_capabilities_parse(tok, &bits, err, sizeof err) < 0)
            fail_msg("lacks '%s': %s", lacks, err);
        out |= bits;
    }
    return out;
}

/* The probe's profile of broker-sim with these variants on its only listener. */
static void probe_sim(sim_variant_set variants, mqs_profile *prof)
{
    sim_config cfg;
    sim_config_init(&cfg);
    sim_config_add_listener(&cfg, "mqtt://127.0.0.1:0", NULL, NULL, 0);
    cfg.listeners[0].variants = variants;
    char err[256], url[64];
    sim_broker *b = sim_start(&cfg, err, sizeof err);
    if (!b)
        fail_msg("sim_start: %s", err);
    snprintf(url, sizeof url, "mqtt://127.0.0.1:%d", sim_port(b, 0));
    mqs_probe_opts o = {0};
    assert_int_equal(mqs_url_parse(url, &o.url, err, sizeof err), 0);
    snprintf(o.run_tag, sizeof o.run_tag, "vp%u", (unsigned)variants);
    mqs_profile_init(prof, url);
    mqs_probe(&o, prof);
    sim_stop(b);
}

static void test_probe_finds_what_each_variant_lacks(void **state)
{
    (void)state;
    static const mqtt_version versions[] = {MQTT_V311, MQTT_V5};
    mqs_profile plain;
    probe_sim(0, &plain);
    for (int v = 0; v < SIM_V_COUNT; v++) {
        const sim_variant_info *vi = sim_variant_info_of((sim_variant_id)v);
        mqs_profile prof;
        probe_sim(SIM_VARIANT_BIT(v), &prof);
        for (size_t i = 0; i < sizeof versions / sizeof *versions; i++) {
            mqtt_version ver = versions[i];
            unsigned found = mqs_profile_lacks(&prof, ver) & ~mqs_profile_lacks(&plain, ver);
            unsigned table = lacks_at(vi->lacks, ver);
            if (found != table)
                fail_msg("variant %s at %s: the probe finds lacking 0x%x, the table says 0x%x ('%s')", vi->name,
                         mqtt_version_name(ver), found, table, vi->lacks);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_finds_what_each_variant_lacks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
