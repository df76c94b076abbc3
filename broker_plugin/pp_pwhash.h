/* Password hashing in mosquitto_passwd's "$7$" format, for users made through the control API:
 *
 *   $7$<iterations>$<base64 of the 12-byte salt>$<base64 of PBKDF2-HMAC-SHA512(password, salt)>
 *
 * (Checking a hash is pp_passwd.c's job; this file only makes them.)
 */
#ifndef PP_PWHASH_H
#define PP_PWHASH_H

#include <stddef.h>

#define PP_PWHASH_ITERATIONS 101 /* what mosquitto_passwd 2.0 writes */
#define PP_PWHASH_SALT_LEN 12
#define PP_PWHASH_MAX 160 /* bytes a hash needs, NUL included ("$7$101$" + 16 + "$" + 88) */

/* Hashes password with a fresh random salt into out (outlen >= PP_PWHASH_MAX).
 * Returns 0, or -1 when the random source or OpenSSL fails or out is too small. */
int pp_pwhash_make(const char *password, char *out, size_t outlen);

/* Same with a given salt and iteration count (tests, and matching known hashes). */
int pp_pwhash_make_salted(const char *password, const unsigned char *salt, size_t salt_len,
                          int iterations, char *out, size_t outlen);

#endif
