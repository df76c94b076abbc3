/* JWT logins: the MQTT password field carries a signed token whose "sub" is the username.
 *
 * One verifier per plugin, made from plugin_opt_jwt_secret_file (HS256) or
 * plugin_opt_jwt_public_key_file (RS256 or ES256, PEM). The token's "alg" header must be the
 * verifier's algorithm family (an HS256 token is never checked against a public key, "none" is
 * never accepted), "sub" must equal the MQTT username, "exp" must be present and in the future
 * (with PP_JWT_LEEWAY_S seconds of leeway), and "nbf", when present, must have passed.
 * The header and payload are checked before the signature, so a token in the wrong alg is
 * refused as PP_JWT_BAD_ALG without ever reaching libjwt (which, left alone, would verify an
 * HS256 token using the PEM text as the secret, and accepts anything unverified given no key).
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
    /* Not three base64url parts (or longer than PP_JWT_MAX_TOKEN), header or payload not a JSON
     * object, alg missing or not a string, typ present and not "JWT", a "crit" header, exp or
     * nbf not a number in 0..9e15. Also a NULL token or verifier. */
    PP_JWT_MALFORMED,
    PP_JWT_BAD_ALG,   /* alg is not exactly the verifier's one ("HS256", "RS256" or "ES256") */
    PP_JWT_BAD_SIG,   /* signature empty or does not verify (or libjwt refused the token) */
    PP_JWT_WRONG_SUB, /* sub missing, not a string, or not the username (or username NULL) */
    PP_JWT_NO_EXP,    /* exp missing */
    PP_JWT_EXPIRED,   /* now >= exp + PP_JWT_LEEWAY_S */
    PP_JWT_NOT_YET,   /* now < nbf - PP_JWT_LEEWAY_S */
};

struct pp_jwt;

/* Reads the key file (whole file, at most 64 KiB; path is borrowed). For PP_JWT_HS256 the bytes
 * are the secret: one trailing "\n" (or "\r\n") is stripped, and at least 32 bytes must remain.
 * For PP_JWT_PUBKEY the file is a PEM "PUBLIC KEY": RSA of at least 2048 bits makes an RS256
 * verifier, EC on P-256 an ES256 one; anything else (a private key, another curve) is refused.
 * Returns the verifier, which the caller frees with pp_jwt_free, or NULL with a reason naming the
 * file in err (truncated to errlen; err may be NULL only when errlen is 0). */
struct pp_jwt *pp_jwt_new(enum pp_jwt_kind kind, const char *path, char *err, size_t errlen);
void pp_jwt_free(struct pp_jwt *v); /* NULL is a no-op */

/* True when password has the shape of a compact JWT (two dots, base64url characters only,
 * non-empty header and payload, at most PP_JWT_MAX_TOKEN bytes; the signature may be empty so
 * that an alg "none" token is refused as a token). NULL is false. Cheap, allocates nothing;
 * used to pick token or password checking. */
bool pp_jwt_looks_like_token(const char *password);

/* Verifies token for username at time now (seconds since the epoch); all borrowed. Returns
 * PP_JWT_OK or the first failure in this order: MALFORMED (shape, then JSON), BAD_ALG, BAD_SIG,
 * then the claims: WRONG_SUB, MALFORMED (exp/nbf type), NO_EXP, EXPIRED, NOT_YET. Claims are
 * judged only once the signature has verified. */
enum pp_jwt_result pp_jwt_verify(const struct pp_jwt *v, const char *token, const char *username,
                                 time_t now);

/* A short human-readable reason ("token expired", ...). Static string. */
const char *pp_jwt_result_str(enum pp_jwt_result r);

#endif
