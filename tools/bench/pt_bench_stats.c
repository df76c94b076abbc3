/* parley-bench's latency histogram; see pt_bench_stats.h. */
#include "pt_bench_stats.h"

#include <string.h>

static unsigned msb64(uint64_t v)
{
    unsigned n = 0;
    while (v >>= 1) {
        n++;
    }
    return n;
}

/* Values below 2 * SUB have a bucket each; above, each power of two [2^m, 2^(m+1)) is split
 * into SUB buckets by the SUB_BITS bits under the top one. */
static unsigned bucket_of(uint64_t v)
{
    if (v < 2 * PT_HIST_SUB) {
        return (unsigned)v;
    }
    unsigned m = msb64(v);
    unsigned shift = m - PT_HIST_SUB_BITS;
    unsigned idx = 2 * PT_HIST_SUB + (m - PT_HIST_SUB_BITS - 1) * PT_HIST_SUB +
                   (unsigned)((v >> shift) - PT_HIST_SUB);
    return idx < PT_HIST_BUCKETS ? idx : PT_HIST_BUCKETS - 1;
}

static uint64_t bucket_mid(unsigned idx)
{
    if (idx < 2 * PT_HIST_SUB) {
        return idx;
    }
    unsigned k = idx - 2 * PT_HIST_SUB;
    unsigned m = k / PT_HIST_SUB + PT_HIST_SUB_BITS + 1;
    uint64_t mant = PT_HIST_SUB + k % PT_HIST_SUB;
    unsigned shift = m - PT_HIST_SUB_BITS;
    return (mant << shift) + ((uint64_t)1 << shift) / 2;
}

void pt_hist_init(struct pt_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

void pt_hist_add(struct pt_hist *h, uint64_t ns)
{
    h->buckets[bucket_of(ns)]++;
    h->count++;
    h->sum += ns;
    if (ns < h->min) {
        h->min = ns;
    }
    if (ns > h->max) {
        h->max = ns;
    }
}

uint64_t pt_hist_quantile(const struct pt_hist *h, double q)
{
    if (h->count == 0) {
        return 0;
    }
    if (q >= 1.0) {
        return h->max;
    }
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if (rank >= h->count) {
        rank = h->count - 1;
    }
    uint64_t seen = 0;
    for (unsigned i = 0; i < PT_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen > rank) {
            uint64_t v = bucket_mid(i);
            return v > h->max ? h->max : v < h->min ? h->min : v;
        }
    }
    return h->max;
}
