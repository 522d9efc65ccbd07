/* The embedded broker-sim: the default target of run and fuzz. */
#include <stdio.h>

#include "embedded_sim.h"

int embedded_sim_add_quirk(sim_quirk_set *set, const char *name)
{
    int q = sim_quirk_by_name(name);
    if (q < 0) {
        fprintf(stderr, "mqttspec: unknown quirk '%s' (see 'mqttspec sim --list-quirks')\n", name);
        return -1;
    }
    *set |= SIM_QUIRK_BIT(q);
    return 0;
}

int embedded_sim_add_variant(sim_variant_set *set, const char *name)
{
    int v = sim_variant_by_name(name);
    if (v < 0) {
        fprintf(stderr, "mqttspec: unknown variant '%s' (see 'mqttspec sim --list-variants')\n", name);
        return -1;
    }
    *set |= SIM_VARIANT_BIT(v);
    return 0;
}

sim_broker *embedded_sim_start(sim_quirk_set quirks, char *url, size_t url_cap)
{
    return embedded_sim_start_variants(quirks, 0, url, url_cap);
}

sim_broker *embedded_sim_start_variants(sim_quirk_set quirks, sim_variant_set variants, char *url, size_t url_cap)
{
    sim_config cfg;
    char err[300];
    sim_config_init(&cfg);
    sim_config_add_listener(&cfg, "mqtt://127.0.0.1:0", NULL, NULL, quirks);
    cfg.listeners[0].variants = variants;
    cfg.denied_topic = EMBEDDED_SIM_DENIED_TOPIC;
    sim_broker *b = sim_start(&cfg, err, sizeof err);
    if (!b) {
        fprintf(stderr, "mqttspec: cannot start the embedded broker-sim: %s\n", err);
        return NULL;
    }
    snprintf(url, url_cap, "mqtt://127.0.0.1:%d", sim_port(b, 0));
    return b;
}
