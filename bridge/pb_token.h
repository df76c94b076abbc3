/* Tokens: /api/login mints HS256 JWTs the plugin accepts; WebSockets and the API verify them
 * with the plugin's own verifier (broker_plugin/pp_jwt.c), so both judge a token alike. */
#ifndef PB_TOKEN_H
#define PB_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "pp_jwt.h"

struct pb_conf;

#define PB_TOKEN_MAX 1024

/* Writes a token for user valid token_ttl seconds into out; *exp gets its expiry (seconds since
 * the epoch). 0, or -1 (out too small or libjwt failed). */
int pb_token_mint(const struct pb_conf *c, const char *user, char *out, size_t cap, int64_t *exp);

/* Verifies token and writes its subject into user. PP_JWT_OK or the plugin's reason. */
enum pp_jwt_result pb_token_verify(const struct pp_jwt *v, const char *token, char user[65]);

#endif
