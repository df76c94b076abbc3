/* parleyctl token mint: offline JWT signing with libjwt 1.10. */
#include "pt_ctl_token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

/* Through a volatile pointer, so the compiler cannot drop the stores as dead. */
static void wipe(void *p, size_t n)
{
    volatile unsigned char *b = p;
    while (n-- > 0) {
        *b++ = 0;
    }
}

int pt_ctl_token_alg_parse(const char *s, enum pt_ctl_token_alg *alg)
{
    if (strcmp(s, "HS256") == 0) {
        *alg = PT_CTL_TOKEN_HS256;
    } else if (strcmp(s, "RS256") == 0) {
        *alg = PT_CTL_TOKEN_RS256;
    } else if (strcmp(s, "ES256") == 0) {
        *alg = PT_CTL_TOKEN_ES256;
    } else {
        return -1;
    }
    return 0;
}

char *pt_ctl_token_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    /* One byte more than allowed, to tell "exactly max" from "too long". */
    char *buf = malloc(max + 2);
    if (buf == NULL) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t n = fread(buf, 1, max + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        snprintf(err, errlen, "%s: read error", path);
        goto fail;
    }
    if (n > max) {
        snprintf(err, errlen, "%s: longer than %zu bytes", path, max);
        goto fail;
    }
    if (n > 0 && buf[n - 1] == '\n') {
        n--;
        if (n > 0 && buf[n - 1] == '\r') {
            n--;
        }
    }
    if (n == 0) {
        snprintf(err, errlen, "%s: empty", path);
        goto fail;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    wipe(buf, max + 2);
    free(buf);
    return NULL;
}

static jwt_alg_t to_libjwt(enum pt_ctl_token_alg alg)
{
    switch (alg) {
    case PT_CTL_TOKEN_RS256:
        return JWT_ALG_RS256;
    case PT_CTL_TOKEN_ES256:
        return JWT_ALG_ES256;
    case PT_CTL_TOKEN_HS256:
    default:
        return JWT_ALG_HS256;
    }
}

enum pt_ctl_token_status pt_ctl_token_mint(const struct pt_ctl_token_req *req, char **token,
                                           char *err, size_t errlen)
{
    *token = NULL;
    size_t key_len = 0;
    char *key = pt_ctl_token_read_file(req->key_file, PT_CTL_TOKEN_MAX_KEY, &key_len, err, errlen);
    if (key == NULL) {
        return PT_CTL_TOKEN_BAD_KEY;
    }
    enum pt_ctl_token_status st = PT_CTL_TOKEN_OK;
    jwt_t *jwt = NULL;
    if (req->alg == PT_CTL_TOKEN_HS256 && key_len < PT_CTL_TOKEN_MIN_SECRET) {
        snprintf(err, errlen, "%s: secret is %zu bytes; the broker needs at least %d",
                 req->key_file, key_len, PT_CTL_TOKEN_MIN_SECRET);
        st = PT_CTL_TOKEN_BAD_KEY;
        goto out;
    }
    if (jwt_new(&jwt) != 0) {
        snprintf(err, errlen, "out of memory");
        st = PT_CTL_TOKEN_NOMEM;
        goto out;
    }
    if (jwt_add_grant(jwt, "sub", req->user) != 0 ||
        jwt_add_grant_int(jwt, "iat", (long)req->now) != 0 ||
        jwt_add_grant_int(jwt, "exp", (long)req->now + req->ttl) != 0) {
        snprintf(err, errlen, "out of memory");
        st = PT_CTL_TOKEN_NOMEM;
        goto out;
    }
    /* libjwt copies the key; for a PEM key it wants the text without the NUL. */
    if (jwt_set_alg(jwt, to_libjwt(req->alg), (const unsigned char *)key, (int)key_len) != 0) {
        snprintf(err, errlen, "%s: libjwt refused the key", req->key_file);
        st = PT_CTL_TOKEN_BAD_KEY;
        goto out;
    }
    /* For RS256/ES256 the PEM is only parsed here, when signing. */
    *token = jwt_encode_str(jwt);
    if (*token == NULL) {
        snprintf(err, errlen, "%s: cannot sign with this key (%s): %s", req->key_file,
                 jwt_alg_str(to_libjwt(req->alg)), strerror(errno));
        st = PT_CTL_TOKEN_SIGN;
    }
out:
    if (jwt != NULL) {
        jwt_free(jwt);
    }
    wipe(key, key_len);
    free(key);
    return st;
}
