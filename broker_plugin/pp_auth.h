/* Login decisions (MOSQ_EVT_BASIC_AUTH): a user name is required; the password field carries a
 * password (checked against the user's $7$/$6$ hash) or, when a JWT verifier is configured and
 * the field looks like a token, a JWT whose sub is the user name. Failed attempts are throttled
 * per user name and per address. TLS-certificate logins (use_identity_as_username) never reach
 * here: Mosquitto takes the certificate's identity as the user name itself.
 */
#ifndef PP_AUTH_H
#define PP_AUTH_H

#include <stdbool.h>
#include <time.h>

#include "pp_index.h"
#include "pp_jwt.h"
#include "pp_throttle.h"

enum pp_auth_result {
    PP_AUTH_OK = 0,
    PP_AUTH_NO_USERNAME, /* no user name given */
    PP_AUTH_BAD_NAME,    /* user name outside [A-Za-z0-9_.-]{1,64} */
    PP_AUTH_THROTTLED,   /* too many recent failures for this user name or address */
    PP_AUTH_NO_PASSWORD, /* no password or token given */
    PP_AUTH_NO_SUCH_USER,
    PP_AUTH_BAD_PASSWORD,
    PP_AUTH_BAD_TOKEN, /* detail says why (expired, bad signature, ...) */
};

struct pp_auth { /* all borrowed; jwt and throttle may be NULL */
    const struct pp_index *index;
    const struct pp_jwt *jwt;
    struct pp_throttle *throttle;
};

/* Decides one login. address may be NULL. *detail gets a static human-readable reason for the
 * log (never shown to the client, who only learns "not authorized"). *retry_s (not NULL) is set
 * for PP_AUTH_THROTTLED. Records the outcome in the throttle. */
enum pp_auth_result pp_auth_check(const struct pp_auth *a, const char *username,
                                  const char *password, const char *address, time_t now,
                                  const char **detail, unsigned *retry_s);

const char *pp_auth_result_str(enum pp_auth_result r);

#endif
