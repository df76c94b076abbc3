/* Login decisions: name, throttle, then token or password. */
#include "pp_auth.h"

#include <string.h>

#include "pc_name.h"
#include "pp_passwd.h"

const char *pp_auth_result_str(enum pp_auth_result r)
{
    switch (r) {
    case PP_AUTH_OK:
        return "accepted";
    case PP_AUTH_NO_USERNAME:
        return "no user name";
    case PP_AUTH_BAD_NAME:
        return "user name outside [A-Za-z0-9_.-]{1,64}";
    case PP_AUTH_THROTTLED:
        return "too many failed logins, locked out for now";
    case PP_AUTH_NO_PASSWORD:
        return "no password or token";
    case PP_AUTH_NO_SUCH_USER:
        return "no such user";
    case PP_AUTH_BAD_PASSWORD:
        return "wrong password";
    case PP_AUTH_BAD_TOKEN:
        return "token refused";
    }
    return "refused";
}

static enum pp_auth_result check_credentials(const struct pp_auth *a, const char *username,
                                             const char *password, time_t now, const char **detail)
{
    if (password == NULL || password[0] == '\0') {
        return PP_AUTH_NO_PASSWORD;
    }
    if (a->jwt != NULL && pp_jwt_looks_like_token(password)) {
        enum pp_jwt_result jr = pp_jwt_verify(a->jwt, password, username, now);
        if (jr != PP_JWT_OK) {
            *detail = pp_jwt_result_str(jr);
            return PP_AUTH_BAD_TOKEN;
        }
        return PP_AUTH_OK;
    }
    const struct pp_user *u = pp_index_user_find(a->index, username, strlen(username));
    if (u == NULL) {
        return PP_AUTH_NO_SUCH_USER;
    }
    if (u->password_hash == NULL || !pp_passwd_check(u->password_hash, password)) {
        return PP_AUTH_BAD_PASSWORD;
    }
    return PP_AUTH_OK;
}

enum pp_auth_result pp_auth_check(const struct pp_auth *a, const char *username,
                                  const char *password, const char *address, time_t now,
                                  const char **detail, unsigned *retry_s)
{
    enum pp_auth_result r;
    *detail = NULL;
    *retry_s = 0;
    if (username == NULL || username[0] == '\0') {
        r = PP_AUTH_NO_USERNAME;
    } else if (!pc_name_valid_str(username)) {
        r = PP_AUTH_BAD_NAME;
    } else if (a->throttle != NULL &&
               !pp_throttle_allow(a->throttle, username, address, now, retry_s)) {
        *detail = pp_auth_result_str(PP_AUTH_THROTTLED);
        return PP_AUTH_THROTTLED;
    } else {
        r = check_credentials(a, username, password, now, detail);
    }
    if (*detail == NULL) {
        *detail = pp_auth_result_str(r);
    }
    if (a->throttle != NULL) {
        if (r == PP_AUTH_OK) {
            pp_throttle_succeeded(a->throttle, username, now);
        } else {
            /* Bad names count against the address only: they are no account to lock. */
            pp_throttle_failed(a->throttle,
                               r == PP_AUTH_BAD_NAME || r == PP_AUTH_NO_USERNAME ? NULL : username,
                               address, now);
        }
    }
    return r;
}
