/* Logins: a per-address attempt budget here, the credentials judged by the plugin's
 * authenticate control command (which throttles on the real client address), a token minted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pb_bridge.h"
#include "pb_http.h"
#include "pb_log.h"
#include "pb_mqtt.h"

#define LIMIT_SLOTS 256

/* Attempts per client address in the current minute; a small table, oldest slot reused. */
struct slot {
    char addr[64];
    int64_t window_ms;
    unsigned count;
};
static struct slot slots[LIMIT_SLOTS]; /* the bridge runs one loop on one thread */

static bool attempt_allowed(const char *addr, unsigned per_minute)
{
    int64_t now = pb_now_ms();
    struct slot *s = NULL, *oldest = &slots[0];
    for (size_t i = 0; i < LIMIT_SLOTS && s == NULL; i++) {
        if (strcmp(slots[i].addr, addr) == 0) {
            s = &slots[i];
        } else if (slots[i].window_ms < oldest->window_ms) {
            oldest = &slots[i];
        }
    }
    if (s == NULL) {
        s = oldest;
        snprintf(s->addr, sizeof s->addr, "%s", addr);
        s->window_ms = now;
        s->count = 0;
    }
    if (now - s->window_ms >= 60000) {
        s->window_ms = now;
        s->count = 0;
    }
    return ++s->count <= per_minute;
}

struct login {
    uint64_t serial;
    pb_login_cb cb;
    char user[65];
};

static void on_authenticate(struct pb_bridge *b, uint64_t token, const cJSON *resp)
{
    struct login *l = (struct login *)(uintptr_t)token;
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(resp, "error");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(resp, "data");
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(data, "ok");
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(data, "reason");
    if (resp == NULL) {
        l->cb(b, l->serial, 503, "the broker is not reachable", NULL, NULL, 0);
    } else if (cJSON_IsTrue(ok) && !cJSON_IsString(err)) {
        char tok[PB_TOKEN_MAX];
        int64_t exp;
        if (pb_token_mint(&b->conf, l->user, tok, sizeof tok, &exp) != 0) {
            l->cb(b, l->serial, 500, "cannot make a token", NULL, NULL, 0);
        } else {
            b->metrics.logins_ok++;
            l->cb(b, l->serial, 200, "", l->user, tok, exp);
        }
    } else {
        bool throttled = (cJSON_IsString(why) && strcmp(why->valuestring, "throttled") == 0) ||
                         (cJSON_IsString(err) && strstr(err->valuestring, "too many") != NULL);
        b->metrics.logins_failed++;
        if (throttled) {
            l->cb(b, l->serial, 429, "too many failed logins; wait a minute", NULL, NULL, 0);
        } else {
            l->cb(b, l->serial, 401, "wrong user name or password", NULL, NULL, 0);
        }
        if (cJSON_IsString(err) && strstr(err->valuestring, "only bridge") != NULL) {
            pb_log(PB_LOG_ERROR, "login: the plugin says: %s", err->valuestring);
        }
    }
    free(l);
}

void pb_login_start(struct pb_bridge *b, struct pb_req *r, const char *user, const char *password,
                    pb_login_cb cb)
{
    if (!attempt_allowed(r->addr, b->conf.login_rate)) {
        b->metrics.logins_failed++;
        cb(b, r->serial, 429, "too many login attempts from your address; wait a minute", NULL,
           NULL, 0);
        return;
    }
    struct login *l = calloc(1, sizeof *l);
    if (l == NULL) {
        cb(b, r->serial, 500, "out of memory", NULL, NULL, 0);
        return;
    }
    l->serial = r->serial;
    l->cb = cb;
    snprintf(l->user, sizeof l->user, "%s", user);
    cJSON *cmd = cJSON_CreateObject();
    cJSON_AddStringToObject(cmd, "command", "authenticate");
    cJSON_AddStringToObject(cmd, "username", user);
    cJSON_AddStringToObject(cmd, "password", password);
    cJSON_AddStringToObject(cmd, "clientAddress", r->addr);
    pb_control_call(b, cmd, on_authenticate, (uint64_t)(uintptr_t)l);
}

void pb_login_cookie(const struct pb_bridge *b, const char *token, char *out, size_t cap)
{
    if (token == NULL) {
        snprintf(out, cap, "parley_token=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    } else {
        snprintf(out, cap, "parley_token=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%u", token,
                 b->conf.token_ttl);
    }
}
