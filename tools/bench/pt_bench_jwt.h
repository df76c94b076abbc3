/* HS256 JSON Web Tokens for parley-bench's per-client logins (OpenSSL HMAC-SHA256). */
#ifndef PT_BENCH_JWT_H
#define PT_BENCH_JWT_H

#include <stddef.h>

/* Writes "header.claims.signature" with claims {"sub":user,"iat":now,"exp":now+ttl} into
 * out[0..cap) (NUL-terminated). Returns its length, or 0 when it does not fit or HMAC fails. */
size_t pt_jwt_mint(char *out, size_t cap, const unsigned char *secret, size_t secret_len,
                   const char *user, long now, long ttl);

#endif
