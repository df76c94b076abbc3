/* parley_plugin.so: Mosquitto 2.0 plugin API v5 entry points. This file reads the options,
 * builds the plugin's parts, registers the callbacks and translates between Mosquitto's event
 * structs and the parts (pp_auth, pp_acl, pp_presence, pp_control, pp_kick); the decisions
 * themselves live in those files. Everything runs on the broker's one thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#include "pp_acl.h"
#include "pp_auth.h"
#include "pp_control.h"
#include "pp_import.h"
#include "pp_index.h"
#include "pp_jwt.h"
#include "pp_kick.h"
#include "pp_opts.h"
#include "pp_presence.h"
#include "pp_rate.h"
#include "pp_store.h"
#include "pp_throttle.h"

#define PP_EXPORT __attribute__((visibility("default")))
#define PP_CONTROL_TOPIC "$CONTROL/parley/v1"
#define PP_RESPONSE_TOPIC "$CONTROL/parley/v1/response"

struct pp_plugin {
    mosquitto_plugin_id_t *id;
    struct pp_opts opts;
    struct pp_index *index;
    struct pp_store *store;
    struct pp_jwt *jwt;
    struct pp_throttle *throttle;
    struct pp_rate *rate;
    struct pp_presence *presence;
    struct pp_kick kicks;
    struct pp_acl acl;
    struct pp_acl_cache acl_cache;
    struct pp_auth auth;
    struct pp_control_env env;
};

/* ---- glue --------------------------------------------------------------------------------- */

static void store_log(void *ctx, const char *msg)
{
    (void)ctx;
    mosquitto_log_printf(MOSQ_LOG_WARNING, "parley: %s", msg);
}

static void set_index(struct pp_plugin *pl, struct pp_index *idx)
{
    pl->index = idx;
    pl->acl.index = idx;
    pl->auth.index = idx;
    pl->env.index = idx;
}

static void queue_kick(void *ctx, const char *username)
{
    struct pp_plugin *pl = ctx;
    if (pp_kick_push(&pl->kicks, username) != 0) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "parley: out of memory queueing a kick of %s", username);
    }
}

static bool is_bridge(void *ctx, const char *username)
{
    struct pp_plugin *pl = ctx;
    return pp_acl_is_bridge(&pl->acl, username, strlen(username));
}

/* username lost its role in room (NULL: the room is gone). An admin or bridge account still
 * reads every room, so it stays present. */
static void room_left(void *ctx, const char *room, const char *username)
{
    struct pp_plugin *pl = ctx;
    if (username != NULL && pp_acl_privileged(&pl->acl, username, strlen(username))) {
        return;
    }
    pp_presence_forget(pl->presence, room, username);
}

static void publish_presence(void *ctx, const char *room, const char *user, bool online)
{
    (void)ctx;
    char topic[160];
    snprintf(topic, sizeof topic, "rooms/%s/presence/%s", room, user);
    /* An empty retained message clears the retained "online". */
    int rc = mosquitto_broker_publish_copy(NULL, topic, online ? 6 : 0, online ? "online" : NULL, 1,
                                           true, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "parley: could not publish presence on %s: %s", topic,
                             mosquitto_strerror(rc));
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- callbacks ---------------------------------------------------------------------------- */

static int on_basic_auth(int event, void *event_data, void *userdata)
{
    (void)event;
    struct pp_plugin *pl = userdata;
    struct mosquitto_evt_basic_auth *ed = event_data;
    const char *address = mosquitto_client_address(ed->client);
    const char *detail;
    unsigned retry_s;
    enum pp_auth_result r = pp_auth_check(&pl->auth, ed->username, ed->password, address,
                                          time(NULL), &detail, &retry_s);
    if (r == PP_AUTH_OK) {
        return MOSQ_ERR_SUCCESS;
    }
    if (r == PP_AUTH_THROTTLED) {
        mosquitto_log_printf(
            MOSQ_LOG_NOTICE, "parley: refused login of %s from %s: %s (retry in %u s)",
            ed->username ? ed->username : "(none)", address ? address : "?", detail, retry_s);
    } else {
        mosquitto_log_printf(MOSQ_LOG_NOTICE, "parley: refused login of %s from %s: %s",
                             ed->username ? ed->username : "(none)", address ? address : "?",
                             detail);
    }
    return MOSQ_ERR_AUTH;
}

static int on_acl_check(int event, void *event_data, void *userdata)
{
    (void)event;
    struct pp_plugin *pl = userdata;
    struct mosquitto_evt_acl_check *ed = event_data;
    struct pp_acl_req req = {.username = mosquitto_client_username(ed->client),
                             .topic = ed->topic,
                             .payloadlen = ed->payloadlen,
                             .retain = ed->retain};
    switch (ed->access) {
    case MOSQ_ACL_READ:
        req.access = PP_ACL_READ;
        break;
    case MOSQ_ACL_WRITE:
        req.access = PP_ACL_WRITE;
        req.now_ns = now_ns();
        break;
    case MOSQ_ACL_SUBSCRIBE:
        req.access = PP_ACL_SUBSCRIBE;
        break;
    case MOSQ_ACL_UNSUBSCRIBE:
        /* Dropping a subscription is always allowed; presence learns of it here. */
        pp_presence_unsubscribed(pl->presence, ed->client, ed->topic);
        return MOSQ_ERR_SUCCESS;
    default:
        return MOSQ_ERR_ACL_DENIED;
    }

    struct pc_topic t;
    const char *reason;
    enum pp_acl_verdict v = pp_acl_check(&pl->acl, &req, &t, &reason);
    if (v == PP_ACL_ALLOW) {
        if (req.access == PP_ACL_SUBSCRIBE &&
            pp_presence_subscribed(pl->presence, ed->client, req.username, ed->topic, &t) != 0) {
            mosquitto_log_printf(MOSQ_LOG_ERR, "parley: out of memory tracking presence of %s",
                                 req.username);
        }
        return MOSQ_ERR_SUCCESS;
    }
    /* A delivery refused (say, to a member removed from a private room) is routine: debug. */
    static const char *const what[] = {"delivery", "publish", "subscription"};
    mosquitto_log_printf(req.access == PP_ACL_READ ? MOSQ_LOG_DEBUG : MOSQ_LOG_NOTICE,
                         "parley: denied %s of %s by %s (%s, %u bytes): %s", what[req.access],
                         ed->topic ? ed->topic : "(none)",
                         req.username ? req.username : "(anonymous)",
                         mosquitto_client_id(ed->client), (unsigned)ed->payloadlen, reason);
    return MOSQ_ERR_ACL_DENIED;
}

static int on_control(int event, void *event_data, void *userdata)
{
    (void)event;
    struct pp_plugin *pl = userdata;
    struct mosquitto_evt_control *ed = event_data;
    const char *user = mosquitto_client_username(ed->client);
    const char *client_id = mosquitto_client_id(ed->client);
    if (user == NULL || client_id == NULL) {
        return MOSQ_ERR_ACL_DENIED;
    }
    bool admin = pp_acl_is_admin(&pl->acl, user, strlen(user));
    char *resp = pp_control_handle(&pl->env, user, admin, ed->payload, ed->payloadlen);
    if (resp == NULL) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "parley: out of memory answering %s", client_id);
        return MOSQ_ERR_NOMEM;
    }
    int rc = mosquitto_broker_publish_copy(client_id, PP_RESPONSE_TOPIC, (int)strlen(resp), resp, 1,
                                           false, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "parley: could not answer %s: %s", client_id,
                             mosquitto_strerror(rc));
    }
    free(resp);
    return MOSQ_ERR_SUCCESS;
}

static void kick_now(void *ctx, const char *username)
{
    (void)ctx;
    int rc = mosquitto_kick_client_by_username(username, false);
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "parley: cut the sessions of %s%s", username,
                         rc == MOSQ_ERR_SUCCESS ? "" : " (kick failed)");
}

static int on_tick(int event, void *event_data, void *userdata)
{
    (void)event;
    (void)event_data;
    struct pp_plugin *pl = userdata;
    if (pl->kicks.count > 0) {
        pp_kick_drain(&pl->kicks, kick_now, pl);
    }
    char err[256];
    if (pp_store_poll(pl->store, err, sizeof err) != 0) {
        mosquitto_log_printf(MOSQ_LOG_WARNING, "parley: %s", err);
    }
    return MOSQ_ERR_SUCCESS;
}

static int on_disconnect(int event, void *event_data, void *userdata)
{
    (void)event;
    struct pp_plugin *pl = userdata;
    struct mosquitto_evt_disconnect *ed = event_data;
    pp_presence_disconnected(pl->presence, ed->client);
    return MOSQ_ERR_SUCCESS;
}

/* The JWT verifier the options ask for (*out NULL when neither JWT option is set). 0, or -1
 * with a reason naming the option in err. */
static int jwt_load(const struct pp_opts *o, struct pp_jwt **out, char *err, size_t errlen)
{
    bool hs = o->jwt_secret_file != NULL;
    const char *path = hs ? o->jwt_secret_file : o->jwt_public_key_file;
    char why[400];
    *out = NULL;
    if (path == NULL) {
        return 0;
    }
    *out = pp_jwt_new(hs ? PP_JWT_HS256 : PP_JWT_PUBKEY, path, why, sizeof why);
    if (*out == NULL) {
        snprintf(err, errlen, "plugin_opt_%s: %s", hs ? "jwt_secret_file" : "jwt_public_key_file",
                 why);
        return -1;
    }
    return 0;
}

/* Re-reads the state file, the password file and the JWT key (SIGHUP). Each part that fails
 * keeps what it had, and says why. */
static int on_reload(int event, void *event_data, void *userdata)
{
    (void)event;
    (void)event_data;
    struct pp_plugin *pl = userdata;
    char err[512];
    struct pp_index *idx = pl->index;
    if (pp_store_reload(pl->store, &idx, err, sizeof err) != 0) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "parley: reload kept the old state: %s", err);
    } else {
        set_index(pl, idx);
    }
    if (pl->opts.password_file != NULL &&
        pp_import_password_file(pl->store, pl->index, pl->opts.password_file, err, sizeof err) <
            0) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "parley: reload: %s", err);
    }
    struct pp_jwt *j;
    if (jwt_load(&pl->opts, &j, err, sizeof err) != 0) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "parley: reload kept the old JWT key: %s", err);
    } else if (j != NULL) {
        pp_jwt_free(pl->jwt);
        pl->jwt = j;
        pl->auth.jwt = j;
    }
    mosquitto_log_printf(MOSQ_LOG_NOTICE,
                         "parley: reloaded: %zu users, %zu rooms, %zu memberships and bans",
                         pp_index_user_count(pl->index), pp_index_room_count(pl->index),
                         pp_index_member_count(pl->index));
    return MOSQ_ERR_SUCCESS;
}

/* ---- life cycle --------------------------------------------------------------------------- */

static const struct {
    int event;
    MOSQ_FUNC_generic_callback cb;
    const char *data;
} callbacks[] = {
    {MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL},       {MOSQ_EVT_ACL_CHECK, on_acl_check, NULL},
    {MOSQ_EVT_CONTROL, on_control, PP_CONTROL_TOPIC}, {MOSQ_EVT_TICK, on_tick, NULL},
    {MOSQ_EVT_DISCONNECT, on_disconnect, NULL},       {MOSQ_EVT_RELOAD, on_reload, NULL},
};
#define N_CALLBACKS (sizeof callbacks / sizeof callbacks[0])

static void plugin_free(struct pp_plugin *pl)
{
    if (pl == NULL) {
        return;
    }
    pp_kick_clear(&pl->kicks);
    pp_store_close(pl->store);
    pp_index_free(pl->index);
    pp_jwt_free(pl->jwt);
    pp_throttle_free(pl->throttle);
    pp_rate_free(pl->rate);
    pp_presence_free(pl->presence);
    pp_opts_free(&pl->opts);
    free(pl);
}

/* Builds every part from the options; on error returns NULL with a reason in err. */
static struct pp_plugin *plugin_new(struct mosquitto_opt *options, int option_count, char *err,
                                    size_t errlen)
{
    struct pp_plugin *pl = calloc(1, sizeof *pl);
    struct pp_opt_kv *kv = calloc((size_t)(option_count > 0 ? option_count : 1), sizeof *kv);
    if (pl == NULL || kv == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    for (int i = 0; i < option_count; i++) {
        kv[i].key = options[i].key;
        kv[i].value = options[i].value;
    }
    if (pp_opts_parse(&pl->opts, kv, (size_t)option_count, err, errlen) != 0) {
        goto fail;
    }
    free(kv);
    kv = NULL;

    const struct pp_opts *o = &pl->opts;
    pl->index = pp_index_new();
    pl->presence = pp_presence_new(publish_presence, pl);
    pl->rate = pp_rate_new(o->rate, o->burst);
    pl->throttle =
        o->auth_fail_limit > 0 ? pp_throttle_new(o->auth_fail_limit, o->auth_fail_window) : NULL;
    if (pl->index == NULL || pl->presence == NULL || pl->rate == NULL ||
        (o->auth_fail_limit > 0 && pl->throttle == NULL)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    char why[400];
    pl->store = pp_store_open_ex(o->state_file, pl->index, store_log, pl, why, sizeof why);
    if (pl->store == NULL) {
        snprintf(err, errlen, "plugin_opt_state_file: %s", why);
        goto fail;
    }
    if (o->password_file != NULL &&
        pp_import_password_file(pl->store, pl->index, o->password_file, why, sizeof why) < 0) {
        snprintf(err, errlen, "plugin_opt_password_file: %s", why);
        goto fail;
    }
    if (jwt_load(o, &pl->jwt, err, errlen) != 0) {
        goto fail;
    }
    pl->acl = (struct pp_acl){
        .index = pl->index, .opts = &pl->opts, .rate = pl->rate, .cache = &pl->acl_cache};
    pl->auth = (struct pp_auth){.index = pl->index, .jwt = pl->jwt, .throttle = pl->throttle};
    pl->env = (struct pp_control_env){.index = pl->index,
                                      .store = pl->store,
                                      .allow_room_create = o->allow_room_create,
                                      .kick_user = queue_kick,
                                      .kick_ctx = pl,
                                      .is_bridge = is_bridge,
                                      .room_left = room_left,
                                      .auth = &pl->auth};
    return pl;
fail:
    free(kv);
    plugin_free(pl);
    return NULL;
}

PP_EXPORT int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
    for (int i = 0; i < supported_version_count; i++) {
        if (supported_versions[i] == 5) {
            return 5;
        }
    }
    return -1;
}

PP_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
                                    struct mosquitto_opt *options, int option_count)
{
    char err[600];
    struct pp_plugin *pl = plugin_new(options, option_count, err, sizeof err);
    if (pl == NULL) {
        /* Said twice: the log may not be open yet, and stderr is what a person starting
         * mosquitto by hand sees. */
        fprintf(stderr, "parley: cannot start: %s\n", err);
        mosquitto_log_printf(MOSQ_LOG_ERR, "parley: cannot start: %s", err);
        return MOSQ_ERR_INVAL;
    }
    pl->id = identifier;
    for (size_t i = 0; i < N_CALLBACKS; i++) {
        int rc = mosquitto_callback_register(identifier, callbacks[i].event, callbacks[i].cb,
                                             callbacks[i].data, pl);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "parley: cannot register callback %d: %s\n", callbacks[i].event,
                    mosquitto_strerror(rc));
            for (size_t k = 0; k < i; k++) {
                mosquitto_callback_unregister(identifier, callbacks[k].event, callbacks[k].cb,
                                              callbacks[k].data);
            }
            plugin_free(pl);
            return rc;
        }
    }
    *userdata = pl;
    mosquitto_log_printf(
        MOSQ_LOG_NOTICE,
        "parley: ready: %zu users, %zu rooms, %zu memberships and bans; max_payload %u, "
        "rate %g/s burst %u, JWT %s",
        pp_index_user_count(pl->index), pp_index_room_count(pl->index),
        pp_index_member_count(pl->index), (unsigned)pl->opts.max_payload, pl->opts.rate,
        (unsigned)pl->opts.burst,
        pl->jwt == NULL ? "off" : (pl->opts.jwt_secret_file ? "HS256" : "public key"));
    return MOSQ_ERR_SUCCESS;
}

PP_EXPORT int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options,
                                       int option_count)
{
    (void)options;
    (void)option_count;
    struct pp_plugin *pl = userdata;
    if (pl == NULL) {
        return MOSQ_ERR_SUCCESS;
    }
    for (size_t i = 0; i < N_CALLBACKS; i++) {
        mosquitto_callback_unregister(pl->id, callbacks[i].event, callbacks[i].cb,
                                      callbacks[i].data);
    }
    plugin_free(pl);
    return MOSQ_ERR_SUCCESS;
}
