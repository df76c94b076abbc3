/* The control API: parses a batch, dispatches each command from a const table, commits the
 * batch's changes with one fsync, and prints the responses. Handlers live in pp_ctl_<entity>.c;
 * the helpers they share are below. */
#include "pp_control.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_ctl.h"

static const struct {
    const char *name;
    pp_ctl_handler fn;
} commands[] = {
    {"createUser", pp_ctl_create_user},
    {"deleteUser", pp_ctl_delete_user},
    {"setPassword", pp_ctl_set_password},
    {"listUsers", pp_ctl_list_users},
    {"createRoom", pp_ctl_create_room},
    {"deleteRoom", pp_ctl_delete_room},
    {"getRoom", pp_ctl_get_room},
    {"listRooms", pp_ctl_list_rooms},
    {"joinRoom", pp_ctl_join_room},
    {"leaveRoom", pp_ctl_leave_room},
    {"addMember", pp_ctl_add_member},
    {"removeMember", pp_ctl_remove_member},
    {"setRole", pp_ctl_set_role},
    {"ban", pp_ctl_ban},
    {"unban", pp_ctl_unban},
    {"checkAccess", pp_ctl_check_access},
    {"authenticate", pp_ctl_authenticate},
};

/* ---- replies ---------------------------------------------------------------------------- */

void pp_ctl_error(struct pp_ctl_call *c, const char *fmt, ...)
{
    char msg[256];
    if (c->failed) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->failed = true;
    cJSON_DeleteItemFromObjectCaseSensitive(c->resp, "data");
    cJSON_AddStringToObject(c->resp, "error", msg);
}

void pp_ctl_data(struct pp_ctl_call *c, cJSON *data)
{
    if (c->failed || data == NULL) {
        cJSON_Delete(data);
        if (!c->failed) {
            pp_ctl_error(c, "out of memory");
        }
        return;
    }
    cJSON_AddItemToObject(c->resp, "data", data);
}

void pp_ctl_room_left(struct pp_ctl_call *c, const char *room, const char *user)
{
    if (!c->failed && c->env->room_left != NULL) {
        c->env->room_left(c->env->kick_ctx, room, user);
    }
}

/* ---- fields ----------------------------------------------------------------------------- */

static const cJSON *field(struct pp_ctl_call *c, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(c->cmd, name);
}

const char *pp_ctl_string(struct pp_ctl_call *c, const char *name)
{
    const cJSON *v = field(c, name);
    if (c->failed) {
        return NULL;
    }
    if (v == NULL) {
        pp_ctl_error(c, "missing field \"%s\" (a string)", name);
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        pp_ctl_error(c, "field \"%s\" must be a string", name);
        return NULL;
    }
    if (v->valuestring[0] == '\0') {
        pp_ctl_error(c, "field \"%s\" must not be empty", name);
        return NULL;
    }
    return v->valuestring;
}

const char *pp_ctl_name(struct pp_ctl_call *c, const char *name)
{
    const cJSON *v = field(c, name);
    if (c->failed) {
        return NULL;
    }
    if (v == NULL) {
        pp_ctl_error(c, "missing field \"%s\" (a string)", name);
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        pp_ctl_error(c, "field \"%s\" must be a string", name);
        return NULL;
    }
    const char *why = pc_name_error(v->valuestring);
    if (why != NULL) {
        pp_ctl_error(c, "bad %s name: %s", strcmp(name, "room") == 0 ? "room" : "user", why);
        return NULL;
    }
    return v->valuestring;
}

bool pp_ctl_bool_opt(struct pp_ctl_call *c, const char *name, bool dflt, bool *out)
{
    const cJSON *v = field(c, name);
    if (c->failed) {
        return false;
    }
    if (v == NULL) {
        *out = dflt;
        return true;
    }
    if (!cJSON_IsBool(v)) {
        pp_ctl_error(c, "field \"%s\" must be true or false", name);
        return false;
    }
    *out = cJSON_IsTrue(v);
    return true;
}

bool pp_ctl_role(struct pp_ctl_call *c, const char *name, bool has_dflt, enum pp_role dflt,
                 enum pp_role *out)
{
    const cJSON *v = field(c, name);
    if (c->failed) {
        return false;
    }
    if (v == NULL && has_dflt) {
        *out = dflt;
        return true;
    }
    if (v == NULL) {
        pp_ctl_error(c, "missing field \"%s\" (\"owner\", \"member\" or \"reader\")", name);
        return false;
    }
    if (!pp_role_parse(cJSON_GetStringValue(v), out)) {
        pp_ctl_error(c, "field \"%s\" must be \"owner\", \"member\" or \"reader\"", name);
        return false;
    }
    return true;
}

/* ---- state ------------------------------------------------------------------------------ */

bool pp_ctl_change(struct pp_ctl_call *c, const struct pp_change *ch)
{
    char err[256];
    if (c->failed) {
        return false;
    }
    int rc = pp_store_change(c->env->store, c->env->index, ch, err, sizeof err);
    if (c->env->store != NULL) {
        c->changed = true; /* journalled (or tried to be): the commit decides */
    }
    if (rc != 0) {
        pp_ctl_error(c, "could not save the change: %s", err);
        return false;
    }
    return true;
}

const struct pp_room *pp_ctl_room(struct pp_ctl_call *c, const char *room)
{
    if (c->failed) {
        return NULL;
    }
    const struct pp_room *r = pp_index_room_find(c->env->index, room, strlen(room));
    if (r == NULL) {
        pp_ctl_error(c, "no such room \"%s\"", room);
    }
    return r;
}

bool pp_ctl_need_admin(struct pp_ctl_call *c, const char *what)
{
    if (c->failed) {
        return false;
    }
    if (!c->is_admin) {
        pp_ctl_error(c, "permission denied: %s is for admins", what);
        return false;
    }
    return true;
}

bool pp_ctl_may_manage(struct pp_ctl_call *c, const char *room, const char *what)
{
    if (pp_ctl_room(c, room) == NULL) {
        return false;
    }
    if (c->is_admin) {
        return true;
    }
    struct pp_access a;
    pp_index_access(c->env->index, room, strlen(room), c->caller, strlen(c->caller), &a);
    if (a.role != PP_ROLE_OWNER || a.banned) {
        pp_ctl_error(c, "permission denied: %s needs an owner of the room or an admin", what);
        return false;
    }
    return true;
}

/* ---- the batch -------------------------------------------------------------------------- */

static cJSON *new_response(const char *command)
{
    cJSON *r = cJSON_CreateObject();
    if (r != NULL && cJSON_AddStringToObject(r, "command", command) == NULL) {
        cJSON_Delete(r);
        r = NULL;
    }
    return r;
}

/* A reply made of one error, for a batch that could not be read at all. */
static char *batch_error(const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "responses");
    cJSON *r = new_response("unknown");
    char *text = NULL;
    if (list != NULL && r != NULL && cJSON_AddStringToObject(r, "error", msg) != NULL) {
        cJSON_AddItemToArray(list, r);
        r = NULL;
        text = cJSON_PrintUnformatted(root);
    }
    cJSON_Delete(r);
    cJSON_Delete(root);
    return text;
}

/* Answers one element of "commands" into resp (whose "command" is already set). */
static void run_command(const struct pp_control_env *env, const char *caller, bool is_admin,
                        const cJSON *cmd, cJSON *resp, bool *changed)
{
    struct pp_ctl_call c = {env, caller, is_admin, cmd, resp, false, false};
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(cmd, "command");
    const cJSON *corr = cJSON_GetObjectItemCaseSensitive(cmd, "correlationData");
    if (corr != NULL) {
        if (cJSON_IsString(corr)) {
            cJSON_AddStringToObject(resp, "correlationData", corr->valuestring);
        } else {
            pp_ctl_error(&c, "field \"correlationData\" must be a string");
            return;
        }
    }
    if (!cJSON_IsObject(cmd)) {
        pp_ctl_error(&c, "a command must be an object");
        return;
    }
    if (name == NULL) {
        pp_ctl_error(&c, "missing field \"command\" (a string)");
        return;
    }
    if (!cJSON_IsString(name)) {
        pp_ctl_error(&c, "field \"command\" must be a string");
        return;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, name->valuestring) == 0) {
            commands[i].fn(&c);
            *changed = c.changed;
            return;
        }
    }
    pp_ctl_error(&c, "unknown command \"%.64s\"", name->valuestring);
}

/* The response's "command": the one asked for if it is a known name, else "unknown". */
static const char *command_name(const cJSON *cmd)
{
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cmd, "command"));
    for (size_t i = 0; name != NULL && i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return commands[i].name;
        }
    }
    return "unknown";
}

char *pp_control_handle(const struct pp_control_env *env, const char *caller, bool is_admin,
                        const char *payload, size_t len)
{
    const char *end = NULL;
    if (caller == NULL) {
        /* The plugin admits no anonymous client; refuse rather than trust that here. */
        return batch_error("the control API needs an authenticated user");
    }
    cJSON *batch = cJSON_ParseWithLengthOpts(payload, len, &end, false);
    if (batch != NULL) {
        /* Only white space may follow the object. */
        size_t rest = (size_t)(end - payload);
        while (rest < len && payload[rest] != '\0' && strchr(" \t\r\n", payload[rest]) != NULL) {
            rest++;
        }
        if (rest < len) {
            cJSON_Delete(batch);
            return batch_error("malformed JSON at byte %zu", rest);
        }
    } else {
        const char *ep = cJSON_GetErrorPtr();
        size_t off =
            ep != NULL && ep >= payload && ep <= payload + len ? (size_t)(ep - payload) : 0;
        return batch_error("malformed JSON at byte %zu", off);
    }
    const cJSON *cmds = cJSON_GetObjectItemCaseSensitive(batch, "commands");
    if (!cJSON_IsObject(batch) || !cJSON_IsArray(cmds)) {
        cJSON_Delete(batch);
        return batch_error("expected {\"commands\":[...]}");
    }
    int n = cJSON_GetArraySize(cmds);
    if (n > PP_CONTROL_MAX_COMMANDS) {
        cJSON_Delete(batch);
        return batch_error("too many commands in one batch: %d (at most %d)", n,
                           PP_CONTROL_MAX_COMMANDS);
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "responses");
    /* Which responses carry a change, so a failed commit can turn them into errors. */
    bool changed[PP_CONTROL_MAX_COMMANDS] = {false};
    int i = 0;
    const cJSON *cmd;
    bool oom = list == NULL;
    cJSON_ArrayForEach(cmd, cmds)
    {
        cJSON *resp = oom ? NULL : new_response(command_name(cmd));
        if (resp == NULL) {
            oom = true;
            break;
        }
        cJSON_AddItemToArray(list, resp);
        run_command(env, caller, is_admin, cmd, resp, &changed[i]);
        i++;
    }
    char err[256];
    if (env->store != NULL && pp_store_commit(env->store, env->index, err, sizeof err) != 0) {
        /* The changes are in the index but maybe not on disk: say so on each of them. */
        int k = 0;
        cJSON *resp;
        cJSON_ArrayForEach(resp, list)
        {
            if (k < i && changed[k] && !cJSON_HasObjectItem(resp, "error")) {
                cJSON_DeleteItemFromObjectCaseSensitive(resp, "data");
                char msg[320];
                snprintf(msg, sizeof msg, "applied, but not saved to disk: %s", err);
                cJSON_AddStringToObject(resp, "error", msg);
            }
            k++;
        }
        fprintf(stderr, "parley: control: %s\n", err);
    }
    char *text = oom ? NULL : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    cJSON_Delete(batch);
    return text;
}
