/* JWT logins (see pp_jwt.h).
 *
 * libjwt 1.10 checks signatures but not claims, and it trusts the token's own "alg": given no key
 * it accepts any token unverified (reporting alg "none"), and given a PEM public key it will
 * verify an HS256 token using the PEM text as the HMAC secret. So we decode and check the header
 * and payload ourselves first, refuse any alg but the verifier's one, and only then hand the
 * token and the key to jwt_decode for the signature. The claims are read from our own parse of
 * the same (now verified) payload bytes.
 */
#include "pp_jwt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define SECRET_MIN 32           /* HS256 wants a key at least as long as its 256-bit output */
#define KEY_FILE_MAX 65536      /* a secret or a PEM public key is far smaller */
#define RSA_MIN_BITS 2048       /* NIST's floor for RSA signatures */
#define NUMERIC_DATE_MAX 9.0e15 /* about 2^53: exact as a double, far beyond any real date */

struct pp_jwt {
    jwt_alg_t alg;      /* the one alg this verifier accepts */
    const char *alg_s;  /* its "alg" header value */
    unsigned char *key; /* owned: the HS256 secret, or the PEM text (libjwt parses it) */
    int key_len;
};

/* Reads path whole into a malloc'd buffer (NUL-terminated, not counted in *lenp). Returns NULL
 * with a reason naming the file in err. */
static unsigned char *read_key_file(const char *path, size_t *lenp, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    buf = malloc(KEY_FILE_MAX + 1);
    if (buf == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        fclose(f);
        return NULL;
    }
    size_t len = fread(buf, 1, KEY_FILE_MAX + 1, f);
    const char *why = ferror(f) ? "read error" : len > KEY_FILE_MAX ? "larger than 64 KiB" : NULL;
    fclose(f);
    if (why != NULL) {
        snprintf(err, errlen, "%s: %s", path, why);
        OPENSSL_cleanse(buf, KEY_FILE_MAX + 1);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    *lenp = len;
    return buf;
}

/* Picks the alg from the public key: RS256 for RSA of 2048 bits or more, ES256 for P-256.
 * Returns NULL or a reason. Parsed here only to decide and to fail early on a bad file; libjwt
 * parses the PEM again on each verify. */
static const char *pubkey_alg(const unsigned char *pem, size_t len, jwt_alg_t *alg)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey = bio == NULL ? NULL : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    const char *why = NULL;
    char group[64] = "";
    if (pkey == NULL) {
        why = "not a PEM public key (\"-----BEGIN PUBLIC KEY-----\")";
    } else if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) {
        *alg = JWT_ALG_RS256;
        if (EVP_PKEY_get_bits(pkey) < RSA_MIN_BITS) {
            why = "RSA key shorter than 2048 bits";
        }
    } else if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC) {
        *alg = JWT_ALG_ES256;
        /* ES256 is ECDSA on P-256 only (RFC 7518 3.4). */
        if (EVP_PKEY_get_group_name(pkey, group, sizeof group, NULL) != 1 ||
            strcmp(group, "prime256v1") != 0) {
            why = "EC key is not on P-256 (ES256)";
        }
    } else {
        why = "key is neither RSA nor EC";
    }
    EVP_PKEY_free(pkey);
    BIO_free(bio);
    return why;
}

struct pp_jwt *pp_jwt_new(enum pp_jwt_kind kind, const char *path, char *err, size_t errlen)
{
    size_t len = 0;
    const char *why = NULL;
    jwt_alg_t alg = JWT_ALG_HS256;
    if (path == NULL || (kind != PP_JWT_HS256 && kind != PP_JWT_PUBKEY)) {
        snprintf(err, errlen, "jwt: no key file, or an unknown kind");
        return NULL;
    }
    unsigned char *key = read_key_file(path, &len, err, errlen);
    if (key == NULL) {
        return NULL;
    }
    if (kind == PP_JWT_HS256) {
        /* `echo secret > file` adds a newline nobody means as part of the secret. */
        if (len > 0 && key[len - 1] == '\n') {
            len -= len > 1 && key[len - 2] == '\r' ? 2 : 1;
        }
        why = len < SECRET_MIN ? "HS256 secret shorter than 32 bytes" : NULL;
    } else {
        why = pubkey_alg(key, len, &alg);
    }
    struct pp_jwt *v = why == NULL ? malloc(sizeof *v) : NULL;
    if (v == NULL) {
        snprintf(err, errlen, "%s: %s", path, why != NULL ? why : "out of memory");
        OPENSSL_cleanse(key, len);
        free(key);
        return NULL;
    }
    v->alg = alg;
    v->alg_s = jwt_alg_str(alg);
    v->key = key;
    v->key_len = (int)len;
    return v;
}

void pp_jwt_free(struct pp_jwt *v)
{
    if (v == NULL) {
        return;
    }
    OPENSSL_cleanse(v->key, (size_t)v->key_len);
    free(v->key);
    free(v);
}

/* base64url digit value, or -1. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '-' ? 62 : c == '_' ? 63 : -1;
}

bool pp_jwt_looks_like_token(const char *password)
{
    size_t dots = 0, len = 0, part = 0;
    if (password == NULL) {
        return false;
    }
    for (; password[len] != '\0'; len++) {
        if (len >= PP_JWT_MAX_TOKEN) {
            return false;
        }
        if (password[len] == '.') {
            /* Header and payload may not be empty; the signature may, so that an alg "none"
             * token still comes here to be refused and logged as one. */
            if (part == 0 || ++dots > 2) {
                return false;
            }
            part = 0;
        } else if (b64url_value((unsigned char)password[len]) < 0) {
            return false;
        } else {
            part++;
        }
    }
    return dots == 2;
}

/* Decodes unpadded base64url s[0..len) into out (room for len * 3 / 4 + 1 bytes) and
 * NUL-terminates it. Returns the decoded length, or -1 for a length no encoder makes. */
static long b64url_decode(const char *s, size_t len, char *out)
{
    size_t n = 0;
    unsigned acc = 0, bits = 0;
    if (len % 4 == 1) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        int d = b64url_value((unsigned char)s[i]);
        if (d < 0) {
            return -1;
        }
        acc = (acc << 6) | (unsigned)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[n] = '\0';
    return (long)n;
}

/* Parses one token part as a JSON object. Returns NULL when it is not one; the caller frees. */
static cJSON *parse_part(const char *s, size_t len)
{
    char buf[PP_JWT_MAX_TOKEN * 3 / 4 + 1];
    long n = b64url_decode(s, len, buf);
    /* An embedded NUL would let cJSON stop early and ignore what follows. */
    if (n <= 0 || memchr(buf, '\0', (size_t)n) != NULL) {
        return NULL;
    }
    cJSON *json = cJSON_ParseWithOpts(buf, NULL, 1);
    if (json != NULL && !cJSON_IsObject(json)) {
        cJSON_Delete(json);
        return NULL;
    }
    return json;
}

/* Checks the header: alg present and the verifier's; typ, if present, "JWT" (libjwt refuses any
 * other, and we want that reported as malformed, not as a bad signature); no "crit", whose
 * extensions we would be bound to understand (RFC 7515 4.1.11). */
static enum pp_jwt_result check_header(const struct pp_jwt *v, const cJSON *h)
{
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
    const cJSON *typ = cJSON_GetObjectItemCaseSensitive(h, "typ");
    if (!cJSON_IsString(alg) ||
        (typ != NULL && (!cJSON_IsString(typ) || strcasecmp(typ->valuestring, "JWT") != 0)) ||
        cJSON_GetObjectItemCaseSensitive(h, "crit") != NULL) {
        return PP_JWT_MALFORMED;
    }
    return strcmp(alg->valuestring, v->alg_s) == 0 ? PP_JWT_OK : PP_JWT_BAD_ALG;
}

/* Reads a NumericDate claim. Returns 1 when present and sane, 0 when absent, -1 otherwise. */
static int numeric_date(const cJSON *payload, const char *name, double *out)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(payload, name);
    if (c == NULL) {
        return 0;
    }
    /* Bounded, so "1e999" (infinity to cJSON) cannot mean "never expires". */
    if (!cJSON_IsNumber(c) || !(c->valuedouble >= 0 && c->valuedouble <= NUMERIC_DATE_MAX)) {
        return -1;
    }
    *out = c->valuedouble;
    return 1;
}

/* The claims, read after the signature has verified. */
static enum pp_jwt_result check_claims(const cJSON *payload, const char *username, time_t now)
{
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(payload, "sub");
    double exp = 0, nbf = 0;
    if (!cJSON_IsString(sub) || username == NULL || strcmp(sub->valuestring, username) != 0) {
        return PP_JWT_WRONG_SUB;
    }
    int has_exp = numeric_date(payload, "exp", &exp);
    int has_nbf = numeric_date(payload, "nbf", &nbf);
    if (has_exp < 0 || has_nbf < 0) {
        return PP_JWT_MALFORMED;
    }
    if (has_exp == 0) {
        return PP_JWT_NO_EXP;
    }
    if ((double)now >= exp + PP_JWT_LEEWAY_S) {
        return PP_JWT_EXPIRED;
    }
    if (has_nbf && (double)now + PP_JWT_LEEWAY_S < nbf) {
        return PP_JWT_NOT_YET;
    }
    return PP_JWT_OK;
}

/* libjwt's word on the signature, with its reported alg checked once more: were it ever to
 * decode without verifying (as it does with no key), the alg would not be ours. */
static enum pp_jwt_result check_signature(const struct pp_jwt *v, const char *token)
{
    jwt_t *j = NULL;
    if (jwt_decode(&j, token, v->key, v->key_len) != 0 || j == NULL) {
        jwt_free(j);
        return PP_JWT_BAD_SIG;
    }
    enum pp_jwt_result r = jwt_get_alg(j) == v->alg ? PP_JWT_OK : PP_JWT_BAD_ALG;
    jwt_free(j);
    return r;
}

enum pp_jwt_result pp_jwt_verify(const struct pp_jwt *v, const char *token, const char *username,
                                 time_t now)
{
    if (v == NULL || !pp_jwt_looks_like_token(token)) {
        return PP_JWT_MALFORMED;
    }
    const char *dot1 = strchr(token, '.');
    const char *dot2 = strchr(dot1 + 1, '.');
    cJSON *header = parse_part(token, (size_t)(dot1 - token));
    cJSON *payload = parse_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    enum pp_jwt_result r = PP_JWT_MALFORMED;
    if (header != NULL && payload != NULL) {
        r = check_header(v, header);
    }
    if (r == PP_JWT_OK) {
        /* An empty signature is never valid for HS/RS/ES; said here, not left to libjwt. */
        r = dot2[1] == '\0' ? PP_JWT_BAD_SIG : check_signature(v, token);
    }
    if (r == PP_JWT_OK) {
        r = check_claims(payload, username, now);
    }
    cJSON_Delete(header);
    cJSON_Delete(payload);
    return r;
}

const char *pp_jwt_result_str(enum pp_jwt_result r)
{
    switch (r) {
    case PP_JWT_OK:
        return "token valid";
    case PP_JWT_MALFORMED:
        return "token malformed";
    case PP_JWT_BAD_ALG:
        return "token alg not allowed";
    case PP_JWT_BAD_SIG:
        return "token signature invalid";
    case PP_JWT_WRONG_SUB:
        return "token sub is not the username";
    case PP_JWT_NO_EXP:
        return "token has no exp";
    case PP_JWT_EXPIRED:
        return "token expired";
    case PP_JWT_NOT_YET:
        return "token not yet valid (nbf)";
    }
    return "unknown token result";
}
