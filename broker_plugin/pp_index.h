/* The plugin's in-memory index: users, rooms, and (room, user) memberships with a role and a
 * banned bit. It is the only thing the hot paths (auth, ACL per publish and per delivery) read.
 *
 * Lookups take (pointer, length) so callers pass slices of a topic without copying; they
 * allocate nothing and never call strlen. Changes copy their strings and may allocate (a table
 * grows on insert, never on lookup). The index is not thread-safe: the broker's thread owns it.
 */
#ifndef PP_INDEX_H
#define PP_INDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "pc_name.h" /* PC_NAME_MAX = 64 */

enum pp_role { PP_ROLE_NONE = 0, PP_ROLE_READER = 1, PP_ROLE_MEMBER = 2, PP_ROLE_OWNER = 3 };
enum pp_visibility { PP_ROOM_PUBLIC = 0, PP_ROOM_PRIVATE = 1 };

/* Return codes of the change functions. */
#define PP_INDEX_OK 0
#define PP_INDEX_ENOMEM (-1)  /* out of memory; the index is unchanged */
#define PP_INDEX_EINVAL (-2)  /* a name breaks the grammar, or a bad role/visibility value */
#define PP_INDEX_ENOROOM (-3) /* no such room */
#define PP_INDEX_ENOUSER (-4) /* no such user (user_del) */
#define PP_INDEX_ENOENT (-5)  /* no such membership or ban (member_del) */

struct pp_user { /* owned by the index; valid until the next change to this user */
    char name[PC_NAME_MAX + 1];
    char *password_hash; /* "$7$..." or "$6$..." string owned by the index; NULL = none */
    bool admin;          /* admin flag stored in state (the `admins` option adds more) */
};

struct pp_room { /* owned by the index; valid until the next change to this room */
    char name[PC_NAME_MAX + 1];
    enum pp_visibility visibility;
};

struct pp_access {              /* what one (room, user) pair may do: one lookup, no allocation */
    const struct pp_room *room; /* NULL: no such room (then role NONE, banned false) */
    enum pp_role role;          /* PP_ROLE_NONE: not a member */
    bool banned;
};

/* NULL on out-of-memory; the caller frees with pp_index_free. */
struct pp_index *pp_index_new(void);
/* Frees the index and everything in it. NULL is a no-op. */
void pp_index_free(struct pp_index *idx);

/* ---- Hot path: lookups. name[0..len) need not be NUL-terminated; a length of 0 or above
 * PC_NAME_MAX never matches. Returned pointers are borrowed from the index. */
const struct pp_user *pp_index_user_find(const struct pp_index *idx, const char *name, size_t len);
const struct pp_room *pp_index_room_find(const struct pp_index *idx, const char *name, size_t len);
/* Fills *out for (room, user): the room lookup plus one probe of the membership table. */
void pp_index_access(const struct pp_index *idx, const char *room, size_t room_len,
                     const char *user, size_t user_len, struct pp_access *out);

/* The room rule, the one place it is written (the plugin's ACL and the control API's
 * checkAccess both use it): no room -> deny; banned -> deny; private and not a member -> deny;
 * a reader may read but not write; otherwise allow (public rooms: any authenticated user).
 * Account-level rights (admins, bridge users, wildcards) are the caller's business.
 * Returns true when allowed; *reason (if reason is not NULL) gets a short static explanation. */
enum pp_op { PP_OP_READ = 0, PP_OP_WRITE = 1 };
bool pp_access_allows(const struct pp_access *a, enum pp_op op, const char **reason);

/* ---- Changes (not hot path). Names are NUL-terminated and checked against the grammar.
 * Each returns PP_INDEX_OK or a negative PP_INDEX_E* code; on error nothing changed. */

/* Inserts or updates a user (password_hash copied; NULL = no password). */
int pp_index_user_put(struct pp_index *idx, const char *name, const char *password_hash,
                      bool admin);
/* Removes a user and every membership and ban held under that name. ENOUSER if absent. */
int pp_index_user_del(struct pp_index *idx, const char *name);
/* Inserts a room or updates its visibility (members kept). */
int pp_index_room_put(struct pp_index *idx, const char *name, enum pp_visibility vis);
/* Removes a room and all its memberships and bans. ENOROOM if absent. */
int pp_index_room_del(struct pp_index *idx, const char *name);
/* Sets user's role in room (the room must exist; the user need not be in the user table, so
 * token-only identities can be members). PP_ROLE_NONE is the same as pp_index_member_del
 * except that it is not an error when there was no membership. A ban is kept. */
int pp_index_member_set(struct pp_index *idx, const char *room, const char *user,
                        enum pp_role role);
/* Removes user's role in room (a ban is kept). ENOROOM, or ENOENT when user had no role. */
int pp_index_member_del(struct pp_index *idx, const char *room, const char *user);
/* Sets or clears the banned bit (the role is kept, but a banned user may do nothing). */
int pp_index_ban_set(struct pp_index *idx, const char *room, const char *user, bool banned);

size_t pp_index_user_count(const struct pp_index *idx);
size_t pp_index_room_count(const struct pp_index *idx);
/* Number of (room, user) entries: memberships and bans (a banned member counts once). */
size_t pp_index_member_count(const struct pp_index *idx);
/* Bytes the index holds on the heap (tables, entries, strings), for reports. */
size_t pp_index_memory(const struct pp_index *idx);

/* ---- Iteration (control API, snapshots). Order is unspecified. The callback must not change
 * the index; returning non-zero stops the walk, and that value is returned (else 0). */
typedef int (*pp_index_user_fn)(void *ctx, const struct pp_user *user);
typedef int (*pp_index_room_fn)(void *ctx, const struct pp_room *room);
typedef int (*pp_index_member_fn)(void *ctx, const struct pp_room *room, const char *user,
                                  enum pp_role role, bool banned);
int pp_index_users_each(const struct pp_index *idx, pp_index_user_fn fn, void *ctx);
int pp_index_rooms_each(const struct pp_index *idx, pp_index_room_fn fn, void *ctx);
/* Memberships and bans of one room (room is NUL-terminated); ENOROOM if there is no room. */
int pp_index_members_each(const struct pp_index *idx, const char *room, pp_index_member_fn fn,
                          void *ctx);
/* Number of (room, user) entries in one room; 0 if there is no such room. */
size_t pp_index_room_member_count(const struct pp_index *idx, const char *room);

/* "owner", "member", "reader", "none"; static strings. */
const char *pp_role_name(enum pp_role role);
/* Parses "owner" | "member" | "reader" (not "none"); returns false for anything else. */
bool pp_role_parse(const char *s, enum pp_role *out);
/* "public" | "private" and back. */
const char *pp_visibility_name(enum pp_visibility vis);
bool pp_visibility_parse(const char *s, enum pp_visibility *out);

#endif
