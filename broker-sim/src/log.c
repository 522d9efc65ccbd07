/* The optional trace: one line per packet and per broker event. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

void sim_log(const sim_broker *b, const char *fmt, ...)
{
    if (!b->cfg.log)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(b->cfg.log, "sim %lld ", (long long)mqs_now_ms());
    vfprintf(b->cfg.log, fmt, ap);
    fputc('\n', b->cfg.log);
    fflush(b->cfg.log);
    va_end(ap);
}

void sim_log_packet(const sim_conn *c, const char *dir, const mqtt_packet *pkt)
{
    if (!c->b->cfg.log)
        return;
    char line[512];
    mqtt_print(pkt, c->version, line, sizeof line);
    sim_log(c->b, "#%u %s %s", c->id, dir, line);
}
