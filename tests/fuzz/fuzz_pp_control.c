/* libFuzzer target over the plugin's untrusted inputs: a control batch (pp_control_handle on an
 * index with users, rooms and members, no store) and the same bytes as a topic and a filter
 * through pp_acl_check for a plain user and a bridge account. Any crash, leak, overread or UB
 * is a bug; the reply must always be a JSON object with "responses". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pp_acl.h"
#include "pp_control.h"

static struct pp_index *seed_index(void)
{
    struct pp_index *idx = pp_index_new();
    if (idx == NULL) {
        abort();
    }
    pp_index_user_put(idx, "admin", NULL, true);
    pp_index_user_put(idx, "alice", NULL, false);
    pp_index_user_put(idx, "bob", NULL, false);
    pp_index_room_put(idx, "lobby", PP_ROOM_PUBLIC);
    pp_index_room_put(idx, "den", PP_ROOM_PRIVATE);
    pp_index_member_set(idx, "den", "alice", PP_ROLE_OWNER);
    pp_index_member_set(idx, "den", "bob", PP_ROLE_READER);
    pp_index_ban_set(idx, "lobby", "eve", true);
    return idx;
}

static void no_kick(void *ctx, const char *username)
{
    (void)ctx;
    (void)username;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pp_index *idx = seed_index();
    struct pp_control_env env = {.index = idx, .allow_room_create = true, .kick_user = no_kick};
    const char *caller = size > 0 && (data[0] & 1) ? "admin" : "alice";
    char *reply = pp_control_handle(&env, caller, caller[0] == 'a' && caller[1] == 'd',
                                    (const char *)data, size);
    if (reply == NULL) {
        abort();
    }
    cJSON *j = cJSON_Parse(reply);
    if (j == NULL || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "responses"))) {
        abort();
    }
    cJSON_Delete(j);
    free(reply);

    /* The same bytes as a topic (NUL-terminated copy, as Mosquitto hands them over). */
    char *topic = malloc(size + 1);
    if (topic == NULL) {
        abort();
    }
    memcpy(topic, data, size);
    topic[size] = '\0';
    struct pp_opt_kv kv[] = {{"state_file", "unused"}, {"bridge_users", "bridge"}};
    struct pp_opts opts;
    char err[128];
    if (pp_opts_parse(&opts, kv, 2, err, sizeof err) != 0) {
        abort();
    }
    struct pp_rate *rate = pp_rate_new(10, 20);
    struct pp_acl acl = {.index = idx, .opts = &opts, .rate = rate};
    const char *users[] = {"alice", "bridge", "eve"};
    for (int access = PP_ACL_READ; access <= PP_ACL_SUBSCRIBE; access++) {
        for (size_t u = 0; u < 3; u++) {
            struct pp_acl_req req = {.access = (enum pp_acl_access)access,
                                     .username = users[u],
                                     .topic = topic,
                                     .payloadlen = (uint32_t)size};
            struct pc_topic t;
            const char *reason;
            pp_acl_check(&acl, &req, &t, &reason);
            if (reason == NULL) {
                abort();
            }
        }
    }
    pp_rate_free(rate);
    pp_opts_free(&opts);
    free(topic);
    pp_index_free(idx);
    return 0;
}
