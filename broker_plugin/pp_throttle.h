/* Failed-login throttling, per username and per client address.
 *
 * Each key (a username, or an address) has a count of failures inside a sliding window of
 * `window_s` seconds. Once a key has `limit` failures, further logins under it are refused
 * without checking credentials, for a lock-out that starts at window_s and doubles with each
 * further failed attempt while locked (capped at PP_THROTTLE_MAX_LOCK_S). A success clears the
 * username's count (not the address's: one good account must not unlock an address that is
 * guessing others). Tables are bounded (PP_THROTTLE_MAX_KEYS each); when full, the oldest
 * entry is dropped. limit == 0 disables throttling.
 */
#ifndef PP_THROTTLE_H
#define PP_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define PP_THROTTLE_MAX_KEYS 4096
#define PP_THROTTLE_MAX_LOCK_S 3600

struct pp_throttle;

/* NULL on out-of-memory. */
struct pp_throttle *pp_throttle_new(unsigned limit, unsigned window_s);
void pp_throttle_free(struct pp_throttle *t); /* NULL is a no-op */

/* True when a login for (username, address) may be checked now; false when either key is locked
 * out. A refused attempt counts as a failure (it extends the lock). *retry_s, if not NULL, gets
 * the seconds until the longer of the two locks ends. username or address may be NULL. */
bool pp_throttle_allow(struct pp_throttle *t, const char *username, const char *address, time_t now,
                       unsigned *retry_s);
/* Records the outcome of a checked login. */
void pp_throttle_failed(struct pp_throttle *t, const char *username, const char *address,
                        time_t now);
void pp_throttle_succeeded(struct pp_throttle *t, const char *username, time_t now);

#endif
