/* authenticate: a bridge account asks whether a username and password (or token) would log in,
 * on behalf of a client at clientAddress. The same decision a CONNECT gets (pp_auth_check), and
 * the failed-login throttle counts the client's address, not the bridge's. */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include "pp_auth.h"
#include "pp_ctl.h"

/* True for a numeric IPv4 or IPv6 address. */
static bool numeric_address(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

void pp_ctl_authenticate(struct pp_ctl_call *c)
{
    bool bridge = c->env->is_bridge != NULL && c->env->is_bridge(c->env->kick_ctx, c->caller);
    if (!bridge) {
        pp_ctl_error(c, "permission denied: authenticate is for bridge accounts");
        return;
    }
    if (c->env->auth == NULL) {
        pp_ctl_error(c, "authenticate is not available");
        return;
    }
    const char *user = pp_ctl_name(c, "username");
    const char *password = user == NULL ? NULL : pp_ctl_string(c, "password");
    const char *address = password == NULL ? NULL : pp_ctl_string(c, "clientAddress");
    if (address == NULL) {
        return;
    }
    if (!numeric_address(address)) {
        pp_ctl_error(c, "field \"clientAddress\" must be a numeric IPv4 or IPv6 address");
        return;
    }
    const char *detail;
    unsigned retry = 0;
    enum pp_auth_result r =
        pp_auth_check(c->env->auth, user, password, address, time(NULL), &detail, &retry);
    cJSON *data = cJSON_CreateObject();
    bool ok = cJSON_AddStringToObject(data, "username", user) != NULL &&
              cJSON_AddBoolToObject(data, "ok", r == PP_AUTH_OK) != NULL;
    if (ok && r == PP_AUTH_THROTTLED) {
        ok = cJSON_AddStringToObject(data, "reason", "throttled") != NULL &&
             cJSON_AddNumberToObject(data, "retryAfter", retry) != NULL;
    } else if (ok && r != PP_AUTH_OK) {
        /* Like a CONNECT: the caller learns "refused", never which part was wrong. */
        ok = cJSON_AddStringToObject(data, "reason", "invalid credentials") != NULL;
    }
    if (!ok) {
        cJSON_Delete(data);
        data = NULL;
    }
    pp_ctl_data(c, data);
}
