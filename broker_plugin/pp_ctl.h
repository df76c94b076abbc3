/* Internal to the control API (pp_control.c and pp_ctl_<entity>.c): one handler signature, the
 * reply helpers, and the field readers every handler uses. Not for the rest of the plugin. */
#ifndef PP_CTL_H
#define PP_CTL_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "pp_control.h"

/* One command being answered. */
struct pp_ctl_call {
    const struct pp_control_env *env;
    const char *caller; /* the asking user (borrowed) */
    bool is_admin;
    const cJSON *cmd; /* the command object (borrowed from the parsed batch) */
    cJSON *resp;      /* the response being built (owned by the batch's reply) */
    bool failed;      /* an error was set: later helpers do nothing */
    bool changed;     /* a change was journalled: the batch commit must succeed for it */
};

typedef void (*pp_ctl_handler)(struct pp_ctl_call *c);

/* ---- replies: exactly one of these per command. */
/* Sets the response's "error" (printf-style). The first error wins. */
void pp_ctl_error(struct pp_ctl_call *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Sets the response's "data"; takes data (freed here if an error was already set). */
void pp_ctl_data(struct pp_ctl_call *c, cJSON *data);

/* ---- fields. Each returns NULL/false after setting a human-readable error. */
/* A required field that must be a valid room or user name. */
const char *pp_ctl_name(struct pp_ctl_call *c, const char *field);
/* A required non-empty string. */
const char *pp_ctl_string(struct pp_ctl_call *c, const char *field);
/* An optional boolean: *out = dflt when absent. */
bool pp_ctl_bool_opt(struct pp_ctl_call *c, const char *field, bool dflt, bool *out);
/* An optional role (dflt when absent) or a required one (absent is an error when !has_dflt). */
bool pp_ctl_role(struct pp_ctl_call *c, const char *field, bool has_dflt, enum pp_role dflt,
                 enum pp_role *out);

/* ---- state. */
/* Applies and journals one change; false (error set) if it failed. */
bool pp_ctl_change(struct pp_ctl_call *c, const struct pp_change *ch);
/* The room, or NULL with "no such room" set. */
const struct pp_room *pp_ctl_room(struct pp_ctl_call *c, const char *room);
/* True when the caller is an admin or an owner of room (which exists); else sets
 * "permission denied: <what> needs an owner of the room or an admin". */
bool pp_ctl_may_manage(struct pp_ctl_call *c, const char *room, const char *what);
/* Tells the plugin (env->room_left) that user (NULL: everyone) lost reading room. */
void pp_ctl_room_left(struct pp_ctl_call *c, const char *room, const char *user);
/* True when the caller is an admin; else sets "permission denied: <what> is for admins". */
bool pp_ctl_need_admin(struct pp_ctl_call *c, const char *what);

/* ---- handlers (pp_ctl_users.c, pp_ctl_rooms.c, pp_ctl_members.c). */
void pp_ctl_create_user(struct pp_ctl_call *c);
void pp_ctl_delete_user(struct pp_ctl_call *c);
void pp_ctl_set_password(struct pp_ctl_call *c);
void pp_ctl_list_users(struct pp_ctl_call *c);
void pp_ctl_create_room(struct pp_ctl_call *c);
void pp_ctl_delete_room(struct pp_ctl_call *c);
void pp_ctl_get_room(struct pp_ctl_call *c);
void pp_ctl_list_rooms(struct pp_ctl_call *c);
void pp_ctl_check_access(struct pp_ctl_call *c);
void pp_ctl_join_room(struct pp_ctl_call *c);
void pp_ctl_leave_room(struct pp_ctl_call *c);
void pp_ctl_add_member(struct pp_ctl_call *c);
void pp_ctl_remove_member(struct pp_ctl_call *c);
void pp_ctl_set_role(struct pp_ctl_call *c);
void pp_ctl_ban(struct pp_ctl_call *c);
void pp_ctl_unban(struct pp_ctl_call *c);
void pp_ctl_authenticate(struct pp_ctl_call *c); /* pp_ctl_auth.c */

#endif
