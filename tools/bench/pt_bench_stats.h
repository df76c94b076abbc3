/* Latency histogram for parley-bench: log-linear buckets (64 per power of two, so a quantile is
 * within about 1.6% of the true value), fixed size, no allocation after init. Values in ns. */
#ifndef PT_BENCH_STATS_H
#define PT_BENCH_STATS_H

#include <stdint.h>

#define PT_HIST_SUB_BITS 6
#define PT_HIST_SUB (1u << PT_HIST_SUB_BITS)
#define PT_HIST_BUCKETS (PT_HIST_SUB * 2 + PT_HIST_SUB * 58)

struct pt_hist {
    uint64_t count;
    uint64_t min;
    uint64_t max;
    uint64_t sum;
    uint64_t buckets[PT_HIST_BUCKETS];
};

void pt_hist_init(struct pt_hist *h);
void pt_hist_add(struct pt_hist *h, uint64_t ns);
/* The value at quantile q (0..1): the midpoint of the bucket holding it (the exact max for
 * q = 1). 0 when the histogram is empty. */
uint64_t pt_hist_quantile(const struct pt_hist *h, double q);

#endif
