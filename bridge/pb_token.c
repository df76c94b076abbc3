/* Minting with libjwt; verifying by reading "sub" and asking the plugin's verifier. */
#include "pb_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <jwt.h>
#include <libwebsockets.h>

#include "pb_conf.h"
#include "pc_name.h"

int pb_token_mint(const struct pb_conf *c, const char *user, char *out, size_t cap, int64_t *exp)
{
    jwt_t *jwt = NULL;
    if (jwt_new(&jwt) != 0) {
        return -1;
    }
    time_t now = time(NULL);
    long e = (long)now + (long)c->token_ttl;
    int rc = -1;
    if (jwt_set_alg(jwt, JWT_ALG_HS256, c->jwt_secret, (int)c->jwt_secret_len) == 0 &&
        jwt_add_grant(jwt, "sub", user) == 0 && jwt_add_grant_int(jwt, "iat", (long)now) == 0 &&
        jwt_add_grant_int(jwt, "exp", e) == 0) {
        char *s = jwt_encode_str(jwt);
        if (s != NULL && strlen(s) < cap) {
            memcpy(out, s, strlen(s) + 1);
            *exp = e;
            rc = 0;
        }
        free(s);
    }
    jwt_free(jwt);
    return rc;
}

/* The "sub" of the token's payload, unverified (the verifier then checks it all). */
static int read_sub(const char *token, char user[65])
{
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 == NULL ? NULL : strchr(dot1 + 1, '.');
    if (dot2 == NULL || dot2 - dot1 - 1 > 2048) {
        return -1;
    }
    char b64[2052], json[1600];
    size_t n = (size_t)(dot2 - dot1 - 1);
    memcpy(b64, dot1 + 1, n);
    while (n % 4 != 0) {
        b64[n++] = '=';
    }
    b64[n] = '\0';
    int len = lws_b64_decode_string(b64, json, (int)sizeof json - 1);
    if (len <= 0) {
        return -1;
    }
    json[len] = '\0';
    cJSON *p = cJSON_Parse(json);
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(p, "sub");
    int rc = -1;
    if (cJSON_IsString(sub) && pc_name_valid_str(sub->valuestring)) {
        snprintf(user, 65, "%s", sub->valuestring);
        rc = 0;
    }
    cJSON_Delete(p);
    return rc;
}

enum pp_jwt_result pb_token_verify(const struct pp_jwt *v, const char *token, char user[65])
{
    if (!pp_jwt_looks_like_token(token)) {
        return PP_JWT_MALFORMED;
    }
    if (read_sub(token, user) != 0) {
        user[0] = '\0';
        return PP_JWT_WRONG_SUB;
    }
    enum pp_jwt_result r = pp_jwt_verify(v, token, user, time(NULL));
    if (r != PP_JWT_OK) {
        user[0] = '\0';
    }
    return r;
}
