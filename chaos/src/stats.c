/* Latency histogram, random numbers and the harness's own CPU and memory. */
#include <sys/resource.h>
#include <time.h>

#include "chaos_internal.h"

/* Bucket of a value: its power of two and the next 3 bits (12 % resolution at most). */
static unsigned bucket_of(uint64_t us)
{
    if (us < 8)
        return (unsigned)us;
    unsigned msb = 63u - (unsigned)__builtin_clzll(us);
    unsigned b = msb * 8u + (unsigned)((us >> (msb - 3)) & 7u);
    return b < CHAOS_HIST_BUCKETS ? b : CHAOS_HIST_BUCKETS - 1;
}

/* The middle of a bucket, in microseconds. */
static double bucket_value(unsigned b)
{
    if (b < 8)
        return b;
    unsigned msb = b / 8u, sub = b % 8u;
    double low = (double)((8u + sub) * (1ull << (msb - 3)));
    return low + (double)(1ull << (msb - 3)) / 2.0;
}

void chaos_hist_add(chaos_hist *h, uint64_t us)
{
    h->bucket[bucket_of(us)]++;
    h->n++;
}

double chaos_hist_ms(const chaos_hist *h, double fraction)
{
    if (h->n == 0)
        return 0.0;
    uint64_t want = (uint64_t)(fraction * (double)h->n);
    if (want >= h->n)
        want = h->n - 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < CHAOS_HIST_BUCKETS; b++) {
        seen += h->bucket[b];
        if (seen > want)
            return bucket_value(b) / 1000.0;
    }
    return bucket_value(CHAOS_HIST_BUCKETS - 1) / 1000.0;
}

mqs_chaos_latency chaos_hist_latency(const chaos_hist *h)
{
    return (mqs_chaos_latency){chaos_hist_ms(h, 0.5), chaos_hist_ms(h, 0.99), chaos_hist_ms(h, 0.999)};
}

void chaos_usage(double *cpu_s, long *rss_kb)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        *cpu_s = 0;
        *rss_kb = 0;
        return;
    }
    *cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
             (double)ru.ru_stime.tv_usec / 1e6;
    *rss_kb = ru.ru_maxrss; /* Linux: kilobytes */
}

uint64_t chaos_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

int64_t chaos_jitter(uint64_t *state, int64_t mean)
{
    if (mean <= 1)
        return mean;
    return mean / 2 + (int64_t)(chaos_rand(state) % (uint64_t)mean);
}

int64_t chaos_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
