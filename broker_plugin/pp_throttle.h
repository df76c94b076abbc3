/* Failed-login throttling, per username and per client address.
 *
 * Each key (a username, or an address) counts its failures inside a window of `window_s`
 * seconds, opened by the first failure and reopened by the first failure after it has passed
 * (a fixed window per key: memory per key is constant whatever `limit` is, at the cost of
 * letting up to 2 * limit - 2 failures straddle a window boundary). Once a key has `limit`
 * failures, further logins under it are refused without checking credentials, for a lock-out of
 * window_s seconds from the failure that caused it; each further attempt while locked doubles
 * the lock-out (still counted from its start, capped at PP_THROTTLE_MAX_LOCK_S), and when it ends
 * the key starts afresh. A success clears the username's entry (not the address's: one good
 * account must not unlock an address that is guessing others). Tables are bounded
 * (PP_THROTTLE_MAX_KEYS each); when full, the oldest entry, meaning the one whose window or
 * lock-out ends soonest (so an expired one first, a long lock-out last), is dropped. Keys longer
 * than PP_THROTTLE_KEY_MAX bytes are truncated (valid user names and addresses are shorter).
 * limit == 0 disables throttling. Not thread-safe (the broker calls us from one thread).
 */
#ifndef PP_THROTTLE_H
#define PP_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define PP_THROTTLE_MAX_KEYS 4096
#define PP_THROTTLE_MAX_LOCK_S 3600
#define PP_THROTTLE_KEY_MAX 64

struct pp_throttle;

/* Both tables are allocated here, once. Returns NULL on out-of-memory; the caller frees with
 * pp_throttle_free. */
struct pp_throttle *pp_throttle_new(unsigned limit, unsigned window_s);
void pp_throttle_free(struct pp_throttle *t); /* NULL is a no-op */

/* True when a login for (username, address) may be checked now; false when either key is locked
 * out. A refused attempt counts as a failure for each locked key (it extends that lock; a key that
 * is not locked is not charged, so a user retrying a locked account does not lock their address).
 * *retry_s, if not NULL, gets the seconds until the longer of the two locks ends (0 when allowed).
 * username or address may be NULL (that key is not checked); t NULL or limit 0 allows all. */
bool pp_throttle_allow(struct pp_throttle *t, const char *username, const char *address, time_t now,
                       unsigned *retry_s);
/* Records the outcome of a checked login. Either key may be NULL; t NULL is a no-op. */
void pp_throttle_failed(struct pp_throttle *t, const char *username, const char *address,
                        time_t now);
void pp_throttle_succeeded(struct pp_throttle *t, const char *username, time_t now);

#endif
