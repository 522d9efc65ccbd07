/*
 * Reproducers and their minimisation.  The minimiser knows nothing of
 * sockets: an oracle replays a candidate (against the target, or against a
 * model in the unit tests) and says which signature it shows.  Candidates
 * are made by dropping whole packets, then byte ranges of each packet with
 * the lengths that cover them fixed up; the codec filters out candidates
 * whose verdict changed before any oracle call is spent on them.
 */
#include <stdlib.h>
#include <string.h>

#include "netfuzz_internal.h"

/* ---- reproducers ---- */

void nf_repro_init(nf_repro *r, mqtt_version version, bool first_connect, bool culprit_last)
{
    memset(r, 0, sizeof *r);
    r->version = version;
    r->first_connect = first_connect;
    r->culprit_last = culprit_last;
}

int nf_repro_add(nf_repro *r, const uint8_t *p, size_t n)
{
    if (r->npackets == NF_REPRO_MAX)
        return -1;
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        return -1;
    if (n)
        memcpy(copy, p, n);
    r->packets[r->npackets++] = (nf_bytes){copy, n};
    return 0;
}

void nf_repro_free(nf_repro *r)
{
    for (size_t i = 0; i < r->npackets; i++)
        free(r->packets[i].p);
    r->npackets = 0;
}

int nf_repro_copy(nf_repro *dst, const nf_repro *src)
{
    nf_repro_init(dst, src->version, src->first_connect, src->culprit_last);
    for (size_t i = 0; i < src->npackets; i++) {
        if (nf_repro_add(dst, src->packets[i].p, src->packets[i].n) < 0) {
            nf_repro_free(dst);
            return -1;
        }
    }
    return 0;
}

size_t nf_repro_bytes(const nf_repro *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->npackets; i++)
        n += r->packets[i].n;
    return n;
}

const nf_bytes *nf_repro_culprit(const nf_repro *r) { return r->npackets ? &r->packets[r->npackets - 1] : NULL; }

/* ---- minimisation ---- */

#define LOCAL_CHECKS_MAX 20000 /* codec checks of candidates per minimisation */

typedef struct mctx {
    nf_oracle_fn oracle;
    void *ctx;
    const nf_signature *want;
    int tries, max_tries;
    int checks;
    nf_verdict verdicts[NF_REPRO_MAX]; /* the codec's verdict on each packet of the reproducer as found */
} mctx;

static nf_verdict judge_packet(const nf_repro *r, size_t i)
{
    return nf_judge(r->packets[i].p, r->packets[i].n, r->version, r->first_connect && i == 0);
}

/* The codec still says the same of packet i (same kind; same rule and packet type when malformed)? */
static bool verdict_kept(const nf_verdict *orig, const nf_repro *r, size_t i)
{
    nf_verdict v = judge_packet(r, i);
    return v.kind == orig->kind && v.type == orig->type && (v.kind != NF_MALFORMED || v.err == orig->err);
}

/* Ask the oracle; true if the candidate still shows the wanted signature. */
static bool reproduces(mctx *m, const nf_repro *cand)
{
    if (m->tries >= m->max_tries)
        return false;
    m->tries++;
    nf_signature got;
    return m->oracle(m->ctx, cand, &got) && nf_signature_match(m->want, &got);
}

/* Drop packet i (shifting the rest). */
static void drop_packet(nf_repro *r, size_t i)
{
    free(r->packets[i].p);
    memmove(&r->packets[i], &r->packets[i + 1], (r->npackets - i - 1) * sizeof r->packets[0]);
    r->npackets--;
}

/* Replace r by cand if cand still reproduces, else free cand. */
static bool adopt_if_reproduces(mctx *m, nf_repro *r, nf_repro *cand)
{
    if (reproduces(m, cand)) {
        nf_repro_free(r);
        *r = *cand;
        return true;
    }
    nf_repro_free(cand);
    return false;
}

/*
 * Drop whole packets: with a culprit, every packet before it at once, then
 * one by one from the end; without one (a batch the target closed on), one by
 * one from the end, keeping at least one.
 */
static void minimise_packets(mctx *m, nf_repro *r)
{
    if (r->first_connect || r->npackets < 2)
        return;
    size_t fixed = r->culprit_last ? 1 : 0;
    nf_repro cand;
    if (r->culprit_last) {
        if (nf_repro_copy(&cand, r) < 0)
            return;
        while (cand.npackets > 1)
            drop_packet(&cand, 0);
        if (adopt_if_reproduces(m, r, &cand))
            return;
    }
    for (size_t i = r->npackets - fixed; i-- > 0 && m->tries < m->max_tries;) {
        if (!r->culprit_last && r->npackets == 1)
            break;
        if (nf_repro_copy(&cand, r) < 0)
            return;
        drop_packet(&cand, i);
        adopt_if_reproduces(m, r, &cand);
    }
}

/* Positions j < at whose 2-byte (or 1-byte varint) value could be a length covering [at, at+del). */
static int covering_lengths(const uint8_t *p, size_t hdr, size_t at, size_t del, size_t out[4], bool wide[4])
{
    int n = 0;
    for (size_t j = at; j-- > hdr && n < 4;) {
        if (j + 2 <= at) {
            size_t l = (size_t)p[j] << 8 | p[j + 1];
            if (l >= del && j + 2 + l >= at + del && l < 65536) {
                out[n] = j;
                wide[n++] = true;
                continue;
            }
        }
        if (n < 4 && j + 1 <= at && p[j] < 0x80 && p[j] >= del && j + 1 + p[j] >= at + del) {
            out[n] = j;
            wide[n++] = false;
        }
    }
    return n;
}

/* Try the variants of removing [at, at+del) from packet i; true (and r updated) if one reproduces. */
static bool try_removal(mctx *m, nf_repro *r, size_t i, size_t at, size_t del)
{
    const nf_bytes *pk = &r->packets[i];
    size_t hdr;
    nf_read_rl(pk->p, pk->n, &hdr);
    size_t lens[4];
    bool wide[4];
    int nl = covering_lengths(pk->p, hdr, at, del, lens, wide);
    /* variant -1: raw; 0: remaining length fixed; 1..nl: and a covering length decremented */
    for (int v = 0; v <= nl + 1 && m->tries < m->max_tries; v++) {
        if (m->checks++ >= LOCAL_CHECKS_MAX)
            return false;
        uint8_t *buf = malloc(pk->n + 8);
        if (!buf)
            return false;
        memcpy(buf, pk->p, pk->n);
        if (v >= 1 && v <= nl) {
            size_t j = lens[v - 1];
            if (wide[v - 1]) {
                size_t l = ((size_t)buf[j] << 8 | buf[j + 1]) - del;
                buf[j] = (uint8_t)(l >> 8);
                buf[j + 1] = (uint8_t)l;
            } else {
                buf[j] = (uint8_t)(buf[j] - del);
            }
        }
        size_t n = nf_splice(buf, pk->n, pk->n + 8, at, del, NULL, 0);
        if (v <= nl)
            n = nf_fix_rl(buf, n, pk->n + 8);
        nf_repro cand;
        if (n == 0 || nf_repro_copy(&cand, r) < 0) {
            free(buf);
            return false;
        }
        free(cand.packets[i].p);
        cand.packets[i] = (nf_bytes){buf, n};
        if (verdict_kept(&m->verdicts[i], &cand, i) && reproduces(m, &cand)) {
            nf_repro_free(r);
            *r = cand;
            return true;
        }
        nf_repro_free(&cand);
    }
    return false;
}

static void minimise_bytes(mctx *m, nf_repro *r, size_t i)
{
    size_t hdr;
    nf_read_rl(r->packets[i].p, r->packets[i].n, &hdr);
    for (size_t chunk = (r->packets[i].n - hdr) / 2; m->tries < m->max_tries && m->checks < LOCAL_CHECKS_MAX;) {
        if (chunk == 0)
            chunk = 1;
        bool progress = false;
        for (size_t at = hdr; at + chunk <= r->packets[i].n && m->tries < m->max_tries;) {
            if (try_removal(m, r, i, at, chunk))
                progress = true;
            else
                at += chunk;
            nf_read_rl(r->packets[i].p, r->packets[i].n, &hdr);
            if (at < hdr)
                at = hdr;
        }
        if (chunk == 1 && !progress)
            break;
        if (!progress || chunk > 1)
            chunk = chunk > 1 ? chunk / 2 : 1;
    }
}

int nf_minimise(nf_repro *r, const nf_signature *want, nf_oracle_fn oracle, void *ctx, int max_tries)
{
    mctx m;
    memset(&m, 0, sizeof m);
    m.oracle = oracle;
    m.ctx = ctx;
    m.want = want;
    m.max_tries = max_tries;
    minimise_packets(&m, r);
    for (size_t i = 0; i < r->npackets; i++)
        m.verdicts[i] = judge_packet(r, i);
    /* the packet the reaction is judged on first, then the others */
    for (size_t k = 0; k < r->npackets && m.tries < m.max_tries; k++) {
        size_t i = r->npackets - 1 - k;
        minimise_bytes(&m, r, i);
    }
    return m.tries;
}
