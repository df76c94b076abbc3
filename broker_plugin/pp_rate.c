/* Token buckets keyed by sender name (uthash). */
#include "pp_rate.h"

#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "pc_name.h"

struct bucket {
    char name[PC_NAME_MAX + 1];
    double tokens;
    uint64_t last_ns;
    UT_hash_handle hh;
};

struct pp_rate {
    double rate;
    double burst;
    struct bucket *table;
};

struct pp_rate *pp_rate_new(double rate, uint32_t burst)
{
    struct pp_rate *r = calloc(1, sizeof *r);
    if (r != NULL) {
        r->rate = rate;
        r->burst = burst > 0 ? (double)burst : 1.0;
    }
    return r;
}

void pp_rate_free(struct pp_rate *r)
{
    if (r == NULL) {
        return;
    }
    struct bucket *b, *tmp;
    HASH_ITER(hh, r->table, b, tmp)
    {
        HASH_DEL(r->table, b);
        free(b);
    }
    free(r);
}

static void refill(const struct pp_rate *r, struct bucket *b, uint64_t now_ns)
{
    if (now_ns > b->last_ns) {
        b->tokens += (double)(now_ns - b->last_ns) * 1e-9 * r->rate;
        if (b->tokens > r->burst) {
            b->tokens = r->burst;
        }
        b->last_ns = now_ns;
    }
}

/* Drops every bucket that is full again: forgetting it changes no later answer. */
static void sweep(struct pp_rate *r, uint64_t now_ns)
{
    struct bucket *b, *tmp;
    HASH_ITER(hh, r->table, b, tmp)
    {
        /* cppcheck-suppress uninitvar ; HASH_ITER hands out initialised table entries */
        refill(r, b, now_ns);
        if (b->tokens >= r->burst) {
            HASH_DEL(r->table, b);
            free(b);
        }
    }
}

bool pp_rate_take(struct pp_rate *r, const char *sender, size_t len, uint64_t now_ns)
{
    if (r->rate <= 0 || len == 0 || len > PC_NAME_MAX) {
        return true;
    }
    struct bucket *b;
    HASH_FIND(hh, r->table, sender, len, b);
    if (b == NULL) {
        if (HASH_COUNT(r->table) >= PP_RATE_MAX_BUCKETS) {
            sweep(r, now_ns);
        }
        b = calloc(1, sizeof *b);
        if (b == NULL) {
            return true;
        }
        memcpy(b->name, sender, len);
        b->tokens = r->burst;
        b->last_ns = now_ns;
        HASH_ADD(hh, r->table, name, len, b);
    } else {
        refill(r, b, now_ns);
    }
    if (b->tokens < 1.0) {
        return false;
    }
    b->tokens -= 1.0;
    return true;
}

size_t pp_rate_buckets(const struct pp_rate *r) { return HASH_COUNT(r->table); }
