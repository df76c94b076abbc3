/* Control commands on rooms: createRoom, deleteRoom, getRoom, listRooms, checkAccess. */
#include <stdlib.h>
#include <string.h>

#include "pp_ctl.h"

static void caller_access(const struct pp_ctl_call *c, const char *room, struct pp_access *a)
{
    pp_index_access(c->env->index, room, strlen(room), c->caller, strlen(c->caller), a);
}

void pp_ctl_create_room(struct pp_ctl_call *c)
{
    enum pp_visibility vis = PP_ROOM_PUBLIC;
    if (!c->env->allow_room_create && !c->is_admin) {
        pp_ctl_error(c, "permission denied: only admins may create rooms here "
                        "(allow_room_create is false)");
        return;
    }
    const char *room = pp_ctl_name(c, "room");
    if (room == NULL) {
        return;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->cmd, "visibility");
    if (v != NULL && !pp_visibility_parse(cJSON_GetStringValue(v), &vis)) {
        pp_ctl_error(c, "field \"visibility\" must be \"public\" or \"private\"");
        return;
    }
    if (!pc_name_valid_str(c->caller)) {
        pp_ctl_error(c, "your username is not a valid member name, so you cannot own a room");
        return;
    }
    if (pp_index_room_find(c->env->index, room, strlen(room)) != NULL) {
        pp_ctl_error(c, "room \"%s\" already exists", room);
        return;
    }
    if (pp_ctl_change(
            c, &(struct pp_change){.op = PP_CHANGE_ROOM_PUT, .room = room, .visibility = vis})) {
        pp_ctl_change(c, &(struct pp_change){.op = PP_CHANGE_MEMBER_SET,
                                             .room = room,
                                             .user = c->caller,
                                             .role = PP_ROLE_OWNER});
    }
}

void pp_ctl_delete_room(struct pp_ctl_call *c)
{
    const char *room = pp_ctl_name(c, "room");
    if (room == NULL || !pp_ctl_may_manage(c, room, "deleteRoom")) {
        return;
    }
    if (pp_ctl_change(c, &(struct pp_change){.op = PP_CHANGE_ROOM_DEL, .room = room})) {
        pp_ctl_room_left(c, room, NULL);
    }
}

struct member_list {
    struct member_rec {
        const char *user;
        enum pp_role role;
        bool banned;
    } * v;
    size_t n, cap;
};

static int collect_member(void *ctx, const struct pp_room *r, const char *user, enum pp_role role,
                          bool banned)
{
    (void)r;
    struct member_list *l = ctx;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 32;
        struct member_rec *nv = realloc(l->v, ncap * sizeof *nv);
        if (nv == NULL) {
            return 1;
        }
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = (struct member_rec){user, role, banned};
    return 0;
}

static int member_by_name(const void *a, const void *b)
{
    return strcmp(((const struct member_rec *)a)->user, ((const struct member_rec *)b)->user);
}

/* {"room","visibility","members":[{"username","role"}],"bans":[...]}, sorted by name. */
static cJSON *room_json(const struct pp_index *idx, const struct pp_room *r)
{
    struct member_list l = {0};
    if (pp_index_members_each(idx, r->name, collect_member, &l) != 0) {
        free(l.v);
        return NULL;
    }
    if (l.n > 1) {
        qsort(l.v, l.n, sizeof *l.v, member_by_name);
    }
    cJSON *data = cJSON_CreateObject();
    bool ok = cJSON_AddStringToObject(data, "room", r->name) != NULL &&
              cJSON_AddStringToObject(data, "visibility", pp_visibility_name(r->visibility));
    cJSON *members = ok ? cJSON_AddArrayToObject(data, "members") : NULL;
    cJSON *bans = ok ? cJSON_AddArrayToObject(data, "bans") : NULL;
    ok = members != NULL && bans != NULL;
    for (size_t i = 0; ok && i < l.n; i++) {
        if (l.v[i].role != PP_ROLE_NONE) {
            cJSON *m = cJSON_CreateObject();
            ok = cJSON_AddItemToArray(members, m) &&
                 cJSON_AddStringToObject(m, "username", l.v[i].user) != NULL &&
                 cJSON_AddStringToObject(m, "role", pp_role_name(l.v[i].role)) != NULL;
        }
        if (ok && l.v[i].banned) {
            ok = cJSON_AddItemToArray(bans, cJSON_CreateString(l.v[i].user));
        }
    }
    free(l.v);
    if (!ok) {
        cJSON_Delete(data);
        return NULL;
    }
    return data;
}

/* getRoom: admins, anyone with a role in the room, and anyone for a public room; never a user
 * banned from it (a banned user can do nothing in the room). */
void pp_ctl_get_room(struct pp_ctl_call *c)
{
    const char *room = pp_ctl_name(c, "room");
    const struct pp_room *r = room == NULL ? NULL : pp_ctl_room(c, room);
    if (r == NULL) {
        return;
    }
    struct pp_access a;
    caller_access(c, room, &a);
    if (!c->is_admin &&
        (a.banned || (r->visibility == PP_ROOM_PRIVATE && a.role == PP_ROLE_NONE))) {
        pp_ctl_error(c, "permission denied: %s",
                     a.banned ? "you are banned from this room" : "private room and not a member");
        return;
    }
    pp_ctl_data(c, room_json(c->env->index, r));
}

struct room_list {
    const struct pp_room **v;
    size_t n, cap;
};

static int collect_room(void *ctx, const struct pp_room *r)
{
    struct room_list *l = ctx;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        const struct pp_room **nv = realloc(l->v, ncap * sizeof *nv);
        if (nv == NULL) {
            return 1;
        }
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = r;
    return 0;
}

static int room_by_name(const void *a, const void *b)
{
    return strcmp((*(const struct pp_room *const *)a)->name,
                  (*(const struct pp_room *const *)b)->name);
}

/* The user listRooms speaks about: the caller, or for admins and bridge accounts the optional
 * "username" (seen as a plain user: the bridge lists what a browser user may read). */
static bool list_rooms_viewer(struct pp_ctl_call *c, struct pp_ctl_call *view)
{
    *view = *c;
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(c->cmd, "username");
    if (u == NULL || (cJSON_IsString(u) && strcmp(u->valuestring, c->caller) == 0)) {
        return true;
    }
    const char *user = pp_ctl_name(c, "username");
    if (user == NULL) {
        return false;
    }
    bool bridge = c->env->is_bridge != NULL && c->env->is_bridge(c->env->kick_ctx, c->caller);
    if (!c->is_admin && !bridge) {
        pp_ctl_error(c, "permission denied: listRooms for another user is for admins and bridge "
                        "accounts");
        return false;
    }
    view->caller = user;
    view->is_admin = false;
    return true;
}

/* listRooms: public rooms plus the private ones the caller has a role in (admins: all), each
 * with the caller's role when there is one. */
void pp_ctl_list_rooms(struct pp_ctl_call *call)
{
    struct pp_ctl_call view;
    if (!list_rooms_viewer(call, &view)) {
        return;
    }
    const struct pp_ctl_call *c = &view;
    struct room_list l = {0};
    cJSON *data = NULL;
    if (pp_index_rooms_each(c->env->index, collect_room, &l) == 0) {
        if (l.n > 1) {
            qsort(l.v, l.n, sizeof *l.v, room_by_name);
        }
        data = cJSON_CreateObject();
        cJSON *rooms = cJSON_AddArrayToObject(data, "rooms");
        bool ok = rooms != NULL;
        for (size_t i = 0; ok && i < l.n; i++) {
            struct pp_access a;
            caller_access(c, l.v[i]->name, &a);
            bool member = a.role != PP_ROLE_NONE && !a.banned;
            if (!c->is_admin && l.v[i]->visibility == PP_ROOM_PRIVATE && !member) {
                continue;
            }
            cJSON *o = cJSON_CreateObject();
            ok = cJSON_AddItemToArray(rooms, o) &&
                 cJSON_AddStringToObject(o, "room", l.v[i]->name) != NULL &&
                 cJSON_AddStringToObject(o, "visibility", pp_visibility_name(l.v[i]->visibility)) !=
                     NULL &&
                 (a.role == PP_ROLE_NONE ||
                  cJSON_AddStringToObject(o, "role", pp_role_name(a.role)) != NULL);
        }
        if (!ok) {
            cJSON_Delete(data);
            data = NULL;
        }
    }
    free(l.v);
    pp_ctl_data(call, data);
}

/* checkAccess: the room rule the plugin's ACL applies (pp_access_allows), for admins, bridge
 * accounts, and anyone asking about themselves. A missing room is an answer, not an error. */
void pp_ctl_check_access(struct pp_ctl_call *c)
{
    const char *room = pp_ctl_name(c, "room");
    const char *user = room == NULL ? NULL : pp_ctl_name(c, "username");
    const char *access = user == NULL ? NULL : pp_ctl_string(c, "access");
    if (access == NULL) {
        return;
    }
    enum pp_op op;
    if (strcmp(access, "read") == 0) {
        op = PP_OP_READ;
    } else if (strcmp(access, "write") == 0) {
        op = PP_OP_WRITE;
    } else {
        pp_ctl_error(c, "field \"access\" must be \"read\" or \"write\"");
        return;
    }
    bool bridge = c->env->is_bridge != NULL && c->env->is_bridge(c->env->kick_ctx, c->caller);
    if (!c->is_admin && !bridge && strcmp(user, c->caller) != 0) {
        pp_ctl_error(c, "permission denied: checkAccess for another user is for admins and "
                        "bridge accounts");
        return;
    }
    struct pp_access a;
    const char *reason;
    pp_index_access(c->env->index, room, strlen(room), user, strlen(user), &a);
    bool allowed = pp_access_allows(&a, op, &reason);
    cJSON *data = cJSON_CreateObject();
    if (cJSON_AddBoolToObject(data, "allowed", allowed) == NULL ||
        cJSON_AddStringToObject(data, "reason", reason) == NULL) {
        cJSON_Delete(data);
        data = NULL;
    }
    pp_ctl_data(c, data);
}
