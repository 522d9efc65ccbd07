/*
 * broker-sim without sockets or threads (sim.h, "without sockets"): the
 * caller feeds each connection's input and takes its output through
 * in-memory transports, and moves the clock.  The broker code is the same
 * as behind a listener; only the event loop is replaced by sim_mem_run.
 */
#include <stdlib.h>

#include "internal.h"

#define SIM_MEM_OUT_CAP (4u << 20) /* output a connection holds untaken: beyond, writes fail as on a full socket */
#define SIM_MEM_MAX_TURNS 100000   /* reads per feed: far more than any input needs (bounded anyway) */

struct sim_mem {
    sim_broker *b;
    mqs_mem_peer *peers[SIM_MEM_MAX_CONNS];
    sim_conn *conns[SIM_MEM_MAX_CONNS]; /* NULL once the broker freed the connection */
    int n;
};

sim_mem *sim_mem_new(const sim_config *cfg)
{
    sim_mem *m = calloc(1, sizeof *m);
    sim_broker *b = calloc(1, sizeof *b);
    if (!m || !b) {
        free(m);
        free(b);
        return NULL;
    }
    b->cfg = *cfg;
    b->cfg.n_listeners = 0;
    b->wake[0] = b->wake[1] = -1;
    m->b = b;
    return m;
}

static bool conn_alive(const sim_mem *m, const sim_conn *c)
{
    for (const sim_conn *p = m->b->conns; p; p = p->next)
        if (p == c)
            return p->t != NULL;
    return false;
}

/* What the loop does after poll: read whatever is pending, then timers, then reap. */
static void run(sim_mem *m)
{
    for (int turn = 0; turn < SIM_MEM_MAX_TURNS; turn++) {
        bool read_any = false;
        for (int i = 0; i < m->n; i++) {
            sim_conn *c = m->conns[i];
            if (c && conn_alive(m, c) && mqs_transport_pending(c->t)) {
                sim_conn_on_readable(c);
                read_any = true;
            }
        }
        sim_run_timers(m->b);
        sim_reap(m->b);
        for (int i = 0; i < m->n; i++) /* forget the connections sim_reap freed */
            if (m->conns[i] && !conn_alive(m, m->conns[i]))
                m->conns[i] = NULL;
        if (!read_any)
            return;
    }
}

int sim_mem_connect(sim_mem *m, sim_quirk_set quirks)
{
    if (m->n == SIM_MEM_MAX_CONNS)
        return -1;
    mqs_mem_peer *peer;
    mqs_transport *t = mqs_transport_mem(&peer, SIM_MEM_OUT_CAP);
    if (!t)
        return -1;
    m->peers[m->n] = peer;
    m->conns[m->n] = sim_conn_new(m->b, t, quirks);
    return m->n++;
}

bool sim_mem_feed(sim_mem *m, int n, const uint8_t *data, size_t len)
{
    if (n < 0 || n >= m->n || !m->conns[n] || !mqs_mem_peer_send(m->peers[n], data, len))
        return false;
    run(m);
    return true;
}

void sim_mem_hangup(sim_mem *m, int n)
{
    if (n < 0 || n >= m->n)
        return;
    mqs_mem_peer_close(m->peers[n]);
    run(m);
}

void sim_mem_advance(sim_mem *m, int64_t ms)
{
    sim_clock_advance(ms);
    run(m);
}

size_t sim_mem_take(sim_mem *m, int n, uint8_t *out, size_t cap, bool *closed)
{
    if (n < 0 || n >= m->n) {
        *closed = true;
        return 0;
    }
    *closed = mqs_mem_peer_closed(m->peers[n]);
    return mqs_mem_peer_recv(m->peers[n], out, cap);
}

void sim_mem_free(sim_mem *m)
{
    if (!m)
        return;
    sim_broker_free(m->b);
    for (int i = 0; i < m->n; i++)
        mqs_mem_peer_free(m->peers[i]);
    free(m);
}
