/* Per-sender message rate limits: one token bucket per user name (the sender a topic names,
 * so the bridge posting for many users spends each user's own bucket).
 *
 * A bucket holds up to `burst` tokens and refills at `rate` tokens per second; each message
 * takes one. The table allocates a bucket the first time a sender posts (later checks are a hash
 * lookup and arithmetic). Past PP_RATE_MAX_BUCKETS, adding a bucket first drops every bucket that
 * has refilled to full (indistinguishable from a fresh one); buckets still draining are kept, so
 * the table outgrows the cap only while that many senders are really posting.
 */
#ifndef PP_RATE_H
#define PP_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PP_RATE_MAX_BUCKETS 65536

struct pp_rate;

/* rate == 0 disables limiting (pp_rate_take always true). NULL on out-of-memory. */
struct pp_rate *pp_rate_new(double rate, uint32_t burst);
void pp_rate_free(struct pp_rate *r); /* NULL is a no-op */

/* Takes one token from sender[0..len)'s bucket at time now_ns (monotonic). True when the
 * message may go; false when the bucket is empty (nothing is taken then). When a bucket
 * cannot be allocated the message goes (a limit is not worth refusing service for). */
bool pp_rate_take(struct pp_rate *r, const char *sender, size_t len, uint64_t now_ns);

size_t pp_rate_buckets(const struct pp_rate *r);

#endif
