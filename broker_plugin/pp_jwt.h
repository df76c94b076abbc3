/* JWT logins: the MQTT password field carries a signed token whose "sub" is the username.
 *
 * One verifier per plugin, made from plugin_opt_jwt_secret_file (HS256) or
 * plugin_opt_jwt_public_key_file (RS256 or ES256, PEM). The token's "alg" header must be the
 * verifier's algorithm family (an HS256 token is never checked against a public key, "none" is
 * never accepted), "sub" must equal the MQTT username, "exp" must be present and in the future
 * (with PP_JWT_LEEWAY_S seconds of leeway), and "nbf", when present, must have passed.
 */
#ifndef PP_JWT_H
#define PP_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define PP_JWT_LEEWAY_S 30
#define PP_JWT_MAX_TOKEN 4096 /* longer passwords are not tokens */

enum pp_jwt_kind { PP_JWT_HS256 = 0, PP_JWT_PUBKEY = 1 /* RS256 or ES256, decided by the key */ };

enum pp_jwt_result {
    PP_JWT_OK = 0,
    PP_JWT_MALFORMED,   /* not three base64url parts, bad JSON, missing alg */
    PP_JWT_BAD_ALG,     /* alg not allowed for this verifier */
    PP_JWT_BAD_SIG,     /* signature does not verify */
    PP_JWT_WRONG_SUB,   /* sub missing or not the username */
    PP_JWT_NO_EXP,      /* exp missing */
    PP_JWT_EXPIRED,     /* exp (plus leeway) has passed */
    PP_JWT_NOT_YET,     /* nbf (minus leeway) is in the future */
};

struct pp_jwt;

/* Reads the key file (whole file; for HS256 a trailing newline is stripped, and the secret must
 * be at least 32 bytes). Returns NULL with a reason naming the file in err. The caller frees
 * with pp_jwt_free. */
struct pp_jwt *pp_jwt_new(enum pp_jwt_kind kind, const char *path, char *err, size_t errlen);
void pp_jwt_free(struct pp_jwt *v); /* NULL is a no-op */

/* True when password has the shape of a compact JWT (two dots, base64url characters only,
 * at most PP_JWT_MAX_TOKEN bytes). Cheap; used to pick token or password checking. */
bool pp_jwt_looks_like_token(const char *password);

/* Verifies token for username at time now (seconds since the epoch). */
enum pp_jwt_result pp_jwt_verify(const struct pp_jwt *v, const char *token, const char *username,
                                 time_t now);

/* A short human-readable reason ("token expired", ...). Static string. */
const char *pp_jwt_result_str(enum pp_jwt_result r);

#endif
