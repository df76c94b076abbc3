/* Control commands on memberships and bans: joinRoom, leaveRoom (the caller themselves),
 * addMember, removeMember, setRole, ban, unban (owners of the room and admins). */
#include <string.h>

#include "pp_ctl.h"

static void access_of(const struct pp_ctl_call *c, const char *room, const char *user,
                      struct pp_access *a)
{
    pp_index_access(c->env->index, room, strlen(room), user, strlen(user), a);
}

/* The caller's name as a member name; false (error set) when it breaks the grammar. */
static bool caller_ok(struct pp_ctl_call *c)
{
    if (!pc_name_valid_str(c->caller)) {
        pp_ctl_error(c, "your username is not a valid member name");
        return false;
    }
    return true;
}

void pp_ctl_join_room(struct pp_ctl_call *c)
{
    const char *room = pp_ctl_name(c, "room");
    const struct pp_room *r = room == NULL ? NULL : pp_ctl_room(c, room);
    if (r == NULL || !caller_ok(c)) {
        return;
    }
    struct pp_access a;
    access_of(c, room, c->caller, &a);
    if (a.banned) {
        pp_ctl_error(c, "permission denied: you are banned from room \"%s\"", room);
    } else if (a.role != PP_ROLE_NONE) {
        return; /* already in: keep the role (an owner joining stays owner) */
    } else if (r->visibility == PP_ROOM_PRIVATE) {
        pp_ctl_error(c, "permission denied: room \"%s\" is private; an owner must add you", room);
    } else {
        pp_ctl_change(c, &(struct pp_change){.op = PP_CHANGE_MEMBER_SET,
                                             .room = room,
                                             .user = c->caller,
                                             .role = PP_ROLE_MEMBER});
    }
}

/* Removes user's role in room (a is their access before); losing a private room also stops
 * them reading it, which presence must hear of. */
static void drop_role(struct pp_ctl_call *c, const char *room, const char *user,
                      const struct pp_access *a)
{
    bool priv = a->room->visibility == PP_ROOM_PRIVATE; /* read before the index changes */
    if (pp_ctl_change(c, &(struct pp_change){.op = PP_CHANGE_MEMBER_SET,
                                             .room = room,
                                             .user = user,
                                             .role = PP_ROLE_NONE}) &&
        priv) {
        pp_ctl_room_left(c, room, user);
    }
}

void pp_ctl_leave_room(struct pp_ctl_call *c)
{
    const char *room = pp_ctl_name(c, "room");
    if (room == NULL || pp_ctl_room(c, room) == NULL || !caller_ok(c)) {
        return;
    }
    struct pp_access a;
    access_of(c, room, c->caller, &a);
    if (a.role == PP_ROLE_NONE) {
        pp_ctl_error(c, "you are not a member of room \"%s\"", room);
        return;
    }
    drop_role(c, room, c->caller, &a);
}

/* Reads "room" and "username" and checks the caller may manage the room. */
static bool room_and_user(struct pp_ctl_call *c, const char *what, const char **room,
                          const char **user)
{
    *room = pp_ctl_name(c, "room");
    *user = *room == NULL ? NULL : pp_ctl_name(c, "username");
    return *user != NULL && pp_ctl_may_manage(c, *room, what);
}

void pp_ctl_add_member(struct pp_ctl_call *c)
{
    const char *room, *user;
    enum pp_role role;
    if (!room_and_user(c, "addMember", &room, &user) ||
        !pp_ctl_role(c, "role", true, PP_ROLE_MEMBER, &role)) {
        return;
    }
    /* Only known users: a typo should not make a member of nobody. */
    if (pp_index_user_find(c->env->index, user, strlen(user)) == NULL) {
        pp_ctl_error(c, "no such user \"%s\"", user);
        return;
    }
    struct pp_access a;
    access_of(c, room, user, &a);
    if (a.role != PP_ROLE_NONE) {
        pp_ctl_error(c, "\"%s\" is already a member of room \"%s\" (as %s; use setRole)", user,
                     room, pp_role_name(a.role));
        return;
    }
    pp_ctl_change(c, &(struct pp_change){
                         .op = PP_CHANGE_MEMBER_SET, .room = room, .user = user, .role = role});
}

void pp_ctl_remove_member(struct pp_ctl_call *c)
{
    const char *room, *user;
    if (!room_and_user(c, "removeMember", &room, &user)) {
        return;
    }
    struct pp_access a;
    access_of(c, room, user, &a);
    if (a.role == PP_ROLE_NONE) {
        pp_ctl_error(c, "\"%s\" is not a member of room \"%s\"", user, room);
        return;
    }
    drop_role(c, room, user, &a);
}

void pp_ctl_set_role(struct pp_ctl_call *c)
{
    const char *room, *user;
    enum pp_role role;
    if (!room_and_user(c, "setRole", &room, &user) ||
        !pp_ctl_role(c, "role", false, PP_ROLE_NONE, &role)) {
        return;
    }
    struct pp_access a;
    access_of(c, room, user, &a);
    if (a.role == PP_ROLE_NONE) {
        pp_ctl_error(c, "\"%s\" is not a member of room \"%s\" (use addMember)", user, room);
        return;
    }
    pp_ctl_change(c, &(struct pp_change){
                         .op = PP_CHANGE_MEMBER_SET, .room = room, .user = user, .role = role});
}

/* A ban needs no user entry (a token-only identity can be banned), keeps any role for when the
 * ban is lifted, and cuts the user's live sessions so no subscription outlives it. */
void pp_ctl_ban(struct pp_ctl_call *c)
{
    const char *room, *user;
    if (!room_and_user(c, "ban", &room, &user)) {
        return;
    }
    struct pp_access a;
    access_of(c, room, user, &a);
    if (!a.banned &&
        !pp_ctl_change(c,
                       &(struct pp_change){
                           .op = PP_CHANGE_BAN_SET, .room = room, .user = user, .banned = true})) {
        return;
    }
    if (c->env->kick_user != NULL) {
        c->env->kick_user(c->env->kick_ctx, user);
    }
}

void pp_ctl_unban(struct pp_ctl_call *c)
{
    const char *room, *user;
    if (!room_and_user(c, "unban", &room, &user)) {
        return;
    }
    struct pp_access a;
    access_of(c, room, user, &a);
    if (!a.banned) {
        pp_ctl_error(c, "\"%s\" is not banned from room \"%s\"", user, room);
        return;
    }
    pp_ctl_change(c, &(struct pp_change){
                         .op = PP_CHANGE_BAN_SET, .room = room, .user = user, .banned = false});
}
