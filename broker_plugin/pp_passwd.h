/* Password checks and mosquitto_passwd files.
 *
 * Hashes are the strings mosquitto_passwd writes after "user:":
 *   $7$<iterations>$<base64 salt>$<base64 PBKDF2-HMAC-SHA512(password, salt, iterations)>
 *   $6$<base64 salt>$<base64 SHA512(password || salt)>          (mosquitto 1.x)
 * Made by pp_pwhash.c; checked here, in constant time over the digest.
 */
#ifndef PP_PASSWD_H
#define PP_PASSWD_H

#include <stdbool.h>
#include <stddef.h>

/* Longest password checked; a longer one never matches (the $6$ check hashes from a stack
 * buffer). mosquitto_passwd hashes are made from typed passwords, far shorter. */
#define PP_PASSWD_MAX_LEN 4096

/* True when password matches hash; both are borrowed. A NULL argument, a malformed hash, an
 * unknown scheme, a salt of more than 64 bytes, a digest that is not 64 bytes, an iteration count
 * outside 1..1,000,000 or a password longer than PP_PASSWD_MAX_LEN never matches. Allocates
 * nothing itself (OpenSSL's PBKDF2 may); about 60 us for a 101-iteration $7$. */
bool pp_passwd_check(const char *hash, const char *password);

/* True when hash is well formed ($7$ or $6$ as above): padded base64 that decodes, a 1..64-byte
 * salt, a 64-byte digest, iterations 1..1,000,000 without leading zeros. NULL is not valid. */
bool pp_passwd_hash_valid(const char *hash);

/* Called once per user line of a password file; user and hash are borrowed for the call.
 * Returning non-zero stops the read, and pp_passwd_file_read returns that value (so return a
 * positive value: -1 would read as a file error). */
typedef int (*pp_passwd_entry_fn)(void *ctx, const char *user, const char *hash);

/* Reads a mosquitto_passwd file: "user:hash" per line; blank lines and lines starting with '#'
 * are skipped; a trailing "\r" is tolerated. Every user name must pass the Parley name grammar
 * and every hash pp_passwd_hash_valid; the first bad line fails the whole read (nothing is
 * reported to fn for a file that fails: it is checked in full before the first call).
 * The file is read once, whole (at most 16 MiB), so the check and the calls see the same lines.
 * Returns 0, fn's non-zero value, or -1 with a reason in err ("path:line: why", or "path: why"
 * when the file cannot be read or is too large; truncated to errlen; err may be NULL). */
int pp_passwd_file_read(const char *path, pp_passwd_entry_fn fn, void *ctx, char *err,
                        size_t errlen);

#endif
