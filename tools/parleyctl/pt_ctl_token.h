/* parleyctl token mint: signs a login token offline, the way the plugin checks it
 * (broker_plugin/pp_jwt.h): "sub" = the username, "iat" = now, "exp" = now + ttl.
 */
#ifndef PT_CTL_TOKEN_H
#define PT_CTL_TOKEN_H

#include <stddef.h>
#include <time.h>

#define PT_CTL_TOKEN_MIN_SECRET 32       /* the plugin refuses shorter HS256 secrets */
#define PT_CTL_TOKEN_MAX_KEY (64 * 1024) /* key files are small; anything bigger is a mistake */

enum pt_ctl_token_alg { PT_CTL_TOKEN_HS256 = 0, PT_CTL_TOKEN_RS256, PT_CTL_TOKEN_ES256 };

enum pt_ctl_token_status {
    PT_CTL_TOKEN_OK = 0,
    PT_CTL_TOKEN_NOMEM,
    PT_CTL_TOKEN_BAD_KEY, /* key file unreadable, empty, too long, secret too short */
    PT_CTL_TOKEN_SIGN     /* libjwt refused the key (not a PEM private key of that type) */
};

struct pt_ctl_token_req {
    enum pt_ctl_token_alg alg;
    const char *key_file; /* HS256: the shared secret file; RS256/ES256: a PEM private key */
    const char *user;     /* "sub"; a valid name (the caller checks) */
    long ttl;             /* seconds; negative makes a token that has already expired */
    time_t now;           /* "iat" */
};

/* Parses "HS256", "RS256" or "ES256" (exactly) into *alg. Returns 0, or -1 for anything else. */
int pt_ctl_token_alg_parse(const char *s, enum pt_ctl_token_alg *alg);

/* Signs the token described by req. On PT_CTL_TOKEN_OK *token is a NUL-terminated compact JWT
 * the caller frees with free(); otherwise *token is NULL and err holds a reason naming the file.
 * The key bytes are wiped from memory before returning. */
enum pt_ctl_token_status pt_ctl_token_mint(const struct pt_ctl_token_req *req, char **token,
                                           char *err, size_t errlen);

/* Reads a whole small file (at most max bytes) into a NUL-terminated buffer and cuts trailing
 * "\n" / "\r\n" (one line ending only, as the plugin does for secrets). Returns the buffer for the
 * caller to free (*len set, not counting the NUL), or NULL with a reason naming the file in err.
 * Shared with --token-file. */
char *pt_ctl_token_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen);

#endif
