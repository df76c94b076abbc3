/* The in-memory index: three open-addressing hash tables (linear probing, FNV-1a, load factor
 * at most 0.7, doubled on insert, never resized on lookup or delete; deletes shift the cluster
 * back, so there are no tombstones and a probe stops at the first empty slot).
 *
 * Entries live in their own allocations so the pointers handed out stay valid while the
 * tables grow. A slot keeps the entry's 32-bit hash, so a probe compares names only on a hash
 * match. Memberships are keyed by (room entry, user name); their hash continues the room
 * name's hash over a separator and the user name, so pp_index_access hashes each slice once.
 * Each room chains its memberships (getRoom, room deletion), and so does each user name, stored
 * once in a fourth table whether or not the user has an account (user deletion costs as many
 * steps as the user has memberships).
 */
#include "pp_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
    uint32_t hash;
    void *ent; /* NULL: empty */
};

struct table {
    struct slot *slots;
    size_t cap; /* a power of two, or 0 before the first insert */
    size_t count;
};

struct user_ent {
    struct pp_user pub; /* first: a struct pp_user * is a struct user_ent * */
    uint32_t hash;
    uint8_t len;
};

struct mem_ent;

struct room_ent {
    struct pp_room pub; /* first */
    uint32_t hash;
    uint8_t len;
    struct mem_ent *head; /* this room's memberships and bans */
    size_t nmembers;
};

/* A user name that holds memberships or bans, whether or not it is in the user table (token-only
 * identities can be members). Each name is stored once; its memberships are chained here, so
 * deleting a user touches only that user's entries. Freed with its last membership. */
struct name_ent {
    uint32_t hash;
    uint8_t len;
    struct mem_ent *head; /* this name's memberships and bans */
    char name[PC_NAME_MAX + 1];
};

struct mem_ent {
    struct room_ent *room;
    struct name_ent *user;
    struct mem_ent *prev, *next;   /* the room's chain */
    struct mem_ent *uprev, *unext; /* the name's chain */
    uint32_t hash;
    uint8_t role; /* enum pp_role */
    bool banned;
};

struct pp_index {
    struct table users, rooms, members, names;
    size_t bytes; /* entries and strings; tables are counted from their capacity */
};

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u
#define TABLE_MIN 16

static uint32_t hash_more(uint32_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint32_t hash_name(const char *s, size_t len) { return hash_more(FNV_OFFSET, s, len); }

/* The membership key continues the room's hash; '/' cannot occur in a name. */
static uint32_t hash_member(uint32_t room_hash, const char *user, size_t len)
{
    return hash_more((room_hash ^ (unsigned char)'/') * FNV_PRIME, user, len);
}

static bool name_ok(const char *s, size_t *len)
{
    if (!pc_name_valid_str(s)) {
        return false;
    }
    *len = strlen(s);
    return true;
}

/* ---- table mechanics -------------------------------------------------------------------- */

static uint32_t ent_hash(const struct table *t, size_t i) { return t->slots[i].hash; }

/* Puts ent in the first empty slot of its probe sequence. The table has room. */
static void table_place(struct table *t, uint32_t hash, void *ent)
{
    size_t mask = t->cap - 1;
    size_t i = hash & mask;
    while (t->slots[i].ent != NULL) {
        i = (i + 1) & mask;
    }
    t->slots[i].hash = hash;
    t->slots[i].ent = ent;
}

/* Makes room for one more entry, doubling at load 0.7. 0 or PP_INDEX_ENOMEM. */
static int table_reserve(struct table *t)
{
    if (t->cap != 0 && (t->count + 1) * 10 <= t->cap * 7) {
        return PP_INDEX_OK;
    }
    size_t ncap = t->cap == 0 ? TABLE_MIN : t->cap * 2;
    struct slot *ns = calloc(ncap, sizeof *ns);
    if (ns == NULL) {
        return PP_INDEX_ENOMEM;
    }
    struct table nt = {ns, ncap, t->count};
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].ent != NULL) {
            table_place(&nt, t->slots[i].hash, t->slots[i].ent);
        }
    }
    free(t->slots);
    *t = nt;
    return PP_INDEX_OK;
}

static void table_insert(struct table *t, uint32_t hash, void *ent)
{
    table_place(t, hash, ent);
    t->count++;
}

/* Empties slot i and shifts the rest of its cluster back so no probe is cut short. */
static void table_remove_at(struct table *t, size_t i)
{
    size_t mask = t->cap - 1;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (t->slots[j].ent == NULL) {
            break;
        }
        size_t home = ent_hash(t, j) & mask;
        /* Move j into the hole at i unless its home lies cyclically in (i, j]. */
        bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            i = j;
        }
    }
    t->slots[i].ent = NULL;
    t->slots[i].hash = 0;
    t->count--;
}

/* ---- lookups ---------------------------------------------------------------------------- */

static size_t user_slot(const struct pp_index *idx, const char *name, size_t len, uint32_t h)
{
    const struct table *t = &idx->users;
    if (t->cap == 0) {
        return SIZE_MAX;
    }
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const struct user_ent *e = t->slots[i].ent;
        if (e == NULL) {
            return SIZE_MAX;
        }
        if (t->slots[i].hash == h && e->len == len && memcmp(e->pub.name, name, len) == 0) {
            return i;
        }
    }
}

static size_t room_slot(const struct pp_index *idx, const char *name, size_t len, uint32_t h)
{
    const struct table *t = &idx->rooms;
    if (t->cap == 0) {
        return SIZE_MAX;
    }
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const struct room_ent *e = t->slots[i].ent;
        if (e == NULL) {
            return SIZE_MAX;
        }
        if (t->slots[i].hash == h && e->len == len && memcmp(e->pub.name, name, len) == 0) {
            return i;
        }
    }
}

static size_t member_slot(const struct pp_index *idx, const struct room_ent *room, const char *user,
                          size_t len, uint32_t h)
{
    const struct table *t = &idx->members;
    if (t->cap == 0) {
        return SIZE_MAX;
    }
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const struct mem_ent *e = t->slots[i].ent;
        if (e == NULL) {
            return SIZE_MAX;
        }
        if (t->slots[i].hash == h && e->room == room && e->user->len == len &&
            memcmp(e->user->name, user, len) == 0) {
            return i;
        }
    }
}

static size_t name_slot(const struct pp_index *idx, const char *name, size_t len, uint32_t h)
{
    const struct table *t = &idx->names;
    if (t->cap == 0) {
        return SIZE_MAX;
    }
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        const struct name_ent *e = t->slots[i].ent;
        if (e == NULL) {
            return SIZE_MAX;
        }
        if (t->slots[i].hash == h && e->len == len && memcmp(e->name, name, len) == 0) {
            return i;
        }
    }
}

static bool len_ok(size_t len) { return len > 0 && len <= PC_NAME_MAX; }

const struct pp_user *pp_index_user_find(const struct pp_index *idx, const char *name, size_t len)
{
    if (!len_ok(len)) {
        return NULL;
    }
    size_t i = user_slot(idx, name, len, hash_name(name, len));
    return i == SIZE_MAX ? NULL : idx->users.slots[i].ent;
}

static struct room_ent *room_get(const struct pp_index *idx, const char *name, size_t len,
                                 uint32_t h)
{
    size_t i = room_slot(idx, name, len, h);
    return i == SIZE_MAX ? NULL : idx->rooms.slots[i].ent;
}

const struct pp_room *pp_index_room_find(const struct pp_index *idx, const char *name, size_t len)
{
    if (!len_ok(len)) {
        return NULL;
    }
    struct room_ent *r = room_get(idx, name, len, hash_name(name, len));
    return r == NULL ? NULL : &r->pub;
}

void pp_index_access(const struct pp_index *idx, const char *room, size_t room_len,
                     const char *user, size_t user_len, struct pp_access *out)
{
    out->room = NULL;
    out->role = PP_ROLE_NONE;
    out->banned = false;
    if (!len_ok(room_len)) {
        return;
    }
    uint32_t rh = hash_name(room, room_len);
    const struct room_ent *r = room_get(idx, room, room_len, rh);
    if (r == NULL) {
        return;
    }
    out->room = &r->pub;
    if (!len_ok(user_len) || r->nmembers == 0) {
        return;
    }
    size_t i = member_slot(idx, r, user, user_len, hash_member(rh, user, user_len));
    if (i != SIZE_MAX) {
        const struct mem_ent *m = idx->members.slots[i].ent;
        out->role = (enum pp_role)m->role;
        out->banned = m->banned;
    }
}

bool pp_access_allows(const struct pp_access *a, enum pp_op op, const char **reason)
{
    const char *why;
    bool ok = false;
    if (a->room == NULL) {
        why = "no such room";
    } else if (a->banned) {
        why = "banned from the room";
    } else if (a->room->visibility == PP_ROOM_PRIVATE && a->role == PP_ROLE_NONE) {
        why = "private room and not a member";
    } else if (op == PP_OP_WRITE && a->role == PP_ROLE_READER) {
        why = "readers may not post";
    } else {
        ok = true;
        if (a->role != PP_ROLE_NONE) {
            why = op == PP_OP_WRITE ? "room member may post" : "room member may read";
        } else {
            why =
                op == PP_OP_WRITE ? "public room: anyone may post" : "public room: anyone may read";
        }
    }
    if (reason != NULL) {
        *reason = why;
    }
    return ok;
}

/* ---- life cycle ------------------------------------------------------------------------- */

struct pp_index *pp_index_new(void)
{
    struct pp_index *idx = calloc(1, sizeof *idx);
    return idx;
}

static void user_ent_free(struct pp_index *idx, struct user_ent *u)
{
    if (u->pub.password_hash != NULL) {
        idx->bytes -= strlen(u->pub.password_hash) + 1;
        free(u->pub.password_hash);
    }
    idx->bytes -= sizeof *u;
    free(u);
}

void pp_index_free(struct pp_index *idx)
{
    if (idx == NULL) {
        return;
    }
    for (size_t i = 0; i < idx->users.cap; i++) {
        if (idx->users.slots[i].ent != NULL) {
            user_ent_free(idx, idx->users.slots[i].ent);
        }
    }
    for (size_t i = 0; i < idx->members.cap; i++) {
        free(idx->members.slots[i].ent);
    }
    for (size_t i = 0; i < idx->names.cap; i++) {
        free(idx->names.slots[i].ent);
    }
    for (size_t i = 0; i < idx->rooms.cap; i++) {
        free(idx->rooms.slots[i].ent);
    }
    free(idx->users.slots);
    free(idx->rooms.slots);
    free(idx->members.slots);
    free(idx->names.slots);
    free(idx);
}

/* ---- users ------------------------------------------------------------------------------ */

int pp_index_user_put(struct pp_index *idx, const char *name, const char *password_hash, bool admin)
{
    size_t len;
    if (!name_ok(name, &len)) {
        return PP_INDEX_EINVAL;
    }
    char *hash_copy = NULL;
    if (password_hash != NULL) {
        size_t hl = strlen(password_hash) + 1;
        hash_copy = malloc(hl);
        if (hash_copy == NULL) {
            return PP_INDEX_ENOMEM;
        }
        memcpy(hash_copy, password_hash, hl);
    }
    uint32_t h = hash_name(name, len);
    size_t i = user_slot(idx, name, len, h);
    if (i != SIZE_MAX) {
        struct user_ent *u = idx->users.slots[i].ent;
        if (u->pub.password_hash != NULL) {
            idx->bytes -= strlen(u->pub.password_hash) + 1;
            free(u->pub.password_hash);
        }
        u->pub.password_hash = hash_copy;
        u->pub.admin = admin;
        idx->bytes += hash_copy != NULL ? strlen(hash_copy) + 1 : 0;
        return PP_INDEX_OK;
    }
    struct user_ent *u = calloc(1, sizeof *u);
    if (u == NULL || table_reserve(&idx->users) != PP_INDEX_OK) {
        free(u);
        free(hash_copy);
        return PP_INDEX_ENOMEM;
    }
    memcpy(u->pub.name, name, len + 1);
    u->pub.password_hash = hash_copy;
    u->pub.admin = admin;
    u->hash = h;
    u->len = (uint8_t)len;
    table_insert(&idx->users, h, u);
    idx->bytes += sizeof *u + (hash_copy != NULL ? strlen(hash_copy) + 1 : 0);
    return PP_INDEX_OK;
}

/* Unlinks and frees membership entry at slot i of the members table. */
static void member_remove_at(struct pp_index *idx, size_t i)
{
    struct mem_ent *m = idx->members.slots[i].ent;
    struct room_ent *r = m->room;
    if (m->prev != NULL) {
        m->prev->next = m->next;
    } else {
        r->head = m->next;
    }
    if (m->next != NULL) {
        m->next->prev = m->prev;
    }
    r->nmembers--;
    struct name_ent *n = m->user;
    if (m->uprev != NULL) {
        m->uprev->unext = m->unext;
    } else {
        n->head = m->unext;
    }
    if (m->unext != NULL) {
        m->unext->uprev = m->uprev;
    }
    table_remove_at(&idx->members, i);
    idx->bytes -= sizeof *m;
    free(m);
    if (n->head == NULL) {
        table_remove_at(&idx->names, name_slot(idx, n->name, n->len, n->hash));
        idx->bytes -= sizeof *n;
        free(n);
    }
}

int pp_index_user_del(struct pp_index *idx, const char *name)
{
    size_t len;
    if (!name_ok(name, &len)) {
        return PP_INDEX_EINVAL;
    }
    size_t i = user_slot(idx, name, len, hash_name(name, len));
    if (i == SIZE_MAX) {
        return PP_INDEX_ENOUSER;
    }
    struct user_ent *u = idx->users.slots[i].ent;
    table_remove_at(&idx->users, i);
    user_ent_free(idx, u);
    /* The name's own chain: as many steps as the user has memberships and bans. */
    size_t k = name_slot(idx, name, len, hash_name(name, len));
    if (k != SIZE_MAX) {
        const struct name_ent *n = idx->names.slots[k].ent;
        bool more = true;
        while (more) {
            const struct mem_ent *m = n->head;
            more = m->unext != NULL; /* removing the last one frees n */
            member_remove_at(idx, member_slot(idx, m->room, name, len, m->hash));
        }
    }
    return PP_INDEX_OK;
}

/* ---- rooms ------------------------------------------------------------------------------ */

int pp_index_room_put(struct pp_index *idx, const char *name, enum pp_visibility vis)
{
    size_t len;
    if (!name_ok(name, &len) || (vis != PP_ROOM_PUBLIC && vis != PP_ROOM_PRIVATE)) {
        return PP_INDEX_EINVAL;
    }
    uint32_t h = hash_name(name, len);
    struct room_ent *r = room_get(idx, name, len, h);
    if (r != NULL) {
        r->pub.visibility = vis;
        return PP_INDEX_OK;
    }
    r = calloc(1, sizeof *r);
    if (r == NULL || table_reserve(&idx->rooms) != PP_INDEX_OK) {
        free(r);
        return PP_INDEX_ENOMEM;
    }
    memcpy(r->pub.name, name, len + 1);
    r->pub.visibility = vis;
    r->hash = h;
    r->len = (uint8_t)len;
    table_insert(&idx->rooms, h, r);
    idx->bytes += sizeof *r;
    return PP_INDEX_OK;
}

int pp_index_room_del(struct pp_index *idx, const char *name)
{
    size_t len;
    if (!name_ok(name, &len)) {
        return PP_INDEX_EINVAL;
    }
    uint32_t h = hash_name(name, len);
    size_t i = room_slot(idx, name, len, h);
    if (i == SIZE_MAX) {
        return PP_INDEX_ENOROOM;
    }
    struct room_ent *r = idx->rooms.slots[i].ent;
    while (r->head != NULL) {
        struct mem_ent *m = r->head;
        size_t k = member_slot(idx, r, m->user->name, m->user->len, m->hash);
        member_remove_at(idx, k);
    }
    table_remove_at(&idx->rooms, i);
    idx->bytes -= sizeof *r;
    free(r);
    return PP_INDEX_OK;
}

/* ---- memberships and bans --------------------------------------------------------------- */

/* Finds the room and the (room, user) slot. ENOROOM/EINVAL, or 0 with *slot SIZE_MAX if there
 * is no entry yet. */
static int member_locate(const struct pp_index *idx, const char *room, const char *user,
                         struct room_ent **r, size_t *ulen, uint32_t *mh, size_t *slot)
{
    size_t rlen;
    if (!name_ok(room, &rlen) || !name_ok(user, ulen)) {
        return PP_INDEX_EINVAL;
    }
    uint32_t rh = hash_name(room, rlen);
    *r = room_get(idx, room, rlen, rh);
    if (*r == NULL) {
        return PP_INDEX_ENOROOM;
    }
    *mh = hash_member(rh, user, *ulen);
    *slot = member_slot(idx, *r, user, *ulen, *mh);
    return PP_INDEX_OK;
}

static int member_new(struct pp_index *idx, struct room_ent *r, const char *user, size_t ulen,
                      uint32_t mh, enum pp_role role, bool banned)
{
    uint32_t nh = hash_name(user, ulen);
    size_t k = name_slot(idx, user, ulen, nh);
    struct name_ent *n = k == SIZE_MAX ? NULL : idx->names.slots[k].ent;
    struct name_ent *fresh = NULL;
    if (n == NULL) {
        fresh = calloc(1, sizeof *fresh);
        if (fresh == NULL || table_reserve(&idx->names) != PP_INDEX_OK) {
            free(fresh);
            return PP_INDEX_ENOMEM;
        }
        n = fresh;
    }
    struct mem_ent *m = calloc(1, sizeof *m);
    if (m == NULL || table_reserve(&idx->members) != PP_INDEX_OK) {
        free(m);
        free(fresh);
        return PP_INDEX_ENOMEM;
    }
    if (fresh != NULL) {
        fresh->hash = nh;
        fresh->len = (uint8_t)ulen;
        memcpy(fresh->name, user, ulen + 1);
        table_insert(&idx->names, nh, fresh);
        idx->bytes += sizeof *fresh;
    }
    m->room = r;
    m->user = n;
    m->hash = mh;
    m->role = (uint8_t)role;
    m->banned = banned;
    m->next = r->head;
    if (r->head != NULL) {
        r->head->prev = m;
    }
    r->head = m;
    r->nmembers++;
    m->unext = n->head;
    if (n->head != NULL) {
        n->head->uprev = m;
    }
    n->head = m;
    table_insert(&idx->members, mh, m);
    idx->bytes += sizeof *m;
    return PP_INDEX_OK;
}

int pp_index_member_set(struct pp_index *idx, const char *room, const char *user, enum pp_role role)
{
    if (role != PP_ROLE_NONE && role != PP_ROLE_READER && role != PP_ROLE_MEMBER &&
        role != PP_ROLE_OWNER) {
        return PP_INDEX_EINVAL;
    }
    struct room_ent *r;
    size_t ulen, slot;
    uint32_t mh;
    int rc = member_locate(idx, room, user, &r, &ulen, &mh, &slot);
    if (rc != PP_INDEX_OK) {
        return rc;
    }
    if (slot == SIZE_MAX) {
        return role == PP_ROLE_NONE ? PP_INDEX_OK : member_new(idx, r, user, ulen, mh, role, false);
    }
    struct mem_ent *m = idx->members.slots[slot].ent;
    if (role == PP_ROLE_NONE && !m->banned) {
        member_remove_at(idx, slot);
    } else {
        m->role = (uint8_t)role;
    }
    return PP_INDEX_OK;
}

int pp_index_member_del(struct pp_index *idx, const char *room, const char *user)
{
    struct room_ent *r;
    size_t ulen, slot;
    uint32_t mh;
    int rc = member_locate(idx, room, user, &r, &ulen, &mh, &slot);
    if (rc != PP_INDEX_OK) {
        return rc;
    }
    if (slot == SIZE_MAX ||
        ((struct mem_ent *)idx->members.slots[slot].ent)->role == PP_ROLE_NONE) {
        return PP_INDEX_ENOENT;
    }
    return pp_index_member_set(idx, room, user, PP_ROLE_NONE);
}

int pp_index_ban_set(struct pp_index *idx, const char *room, const char *user, bool banned)
{
    struct room_ent *r;
    size_t ulen, slot;
    uint32_t mh;
    int rc = member_locate(idx, room, user, &r, &ulen, &mh, &slot);
    if (rc != PP_INDEX_OK) {
        return rc;
    }
    if (slot == SIZE_MAX) {
        return banned ? member_new(idx, r, user, ulen, mh, PP_ROLE_NONE, true) : PP_INDEX_OK;
    }
    struct mem_ent *m = idx->members.slots[slot].ent;
    if (!banned && m->role == PP_ROLE_NONE) {
        member_remove_at(idx, slot);
    } else {
        m->banned = banned;
    }
    return PP_INDEX_OK;
}

/* ---- counts and iteration --------------------------------------------------------------- */

size_t pp_index_user_count(const struct pp_index *idx) { return idx->users.count; }

size_t pp_index_room_count(const struct pp_index *idx) { return idx->rooms.count; }

size_t pp_index_member_count(const struct pp_index *idx) { return idx->members.count; }

size_t pp_index_memory(const struct pp_index *idx)
{
    return sizeof *idx + idx->bytes +
           (idx->users.cap + idx->rooms.cap + idx->members.cap + idx->names.cap) *
               sizeof(struct slot);
}

int pp_index_users_each(const struct pp_index *idx, pp_index_user_fn fn, void *ctx)
{
    for (size_t i = 0; i < idx->users.cap; i++) {
        const struct user_ent *u = idx->users.slots[i].ent;
        if (u != NULL) {
            int rc = fn(ctx, &u->pub);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

int pp_index_rooms_each(const struct pp_index *idx, pp_index_room_fn fn, void *ctx)
{
    for (size_t i = 0; i < idx->rooms.cap; i++) {
        const struct room_ent *r = idx->rooms.slots[i].ent;
        if (r != NULL) {
            int rc = fn(ctx, &r->pub);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

int pp_index_members_each(const struct pp_index *idx, const char *room, pp_index_member_fn fn,
                          void *ctx)
{
    size_t len;
    if (!name_ok(room, &len)) {
        return PP_INDEX_EINVAL;
    }
    const struct room_ent *r = room_get(idx, room, len, hash_name(room, len));
    if (r == NULL) {
        return PP_INDEX_ENOROOM;
    }
    for (const struct mem_ent *m = r->head; m != NULL; m = m->next) {
        int rc = fn(ctx, &r->pub, m->user->name, (enum pp_role)m->role, m->banned);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

size_t pp_index_room_member_count(const struct pp_index *idx, const char *room)
{
    size_t len;
    if (!name_ok(room, &len)) {
        return 0;
    }
    const struct room_ent *r = room_get(idx, room, len, hash_name(room, len));
    return r == NULL ? 0 : r->nmembers;
}

/* ---- names ------------------------------------------------------------------------------ */

const char *pp_role_name(enum pp_role role)
{
    switch (role) {
    case PP_ROLE_OWNER:
        return "owner";
    case PP_ROLE_MEMBER:
        return "member";
    case PP_ROLE_READER:
        return "reader";
    case PP_ROLE_NONE:
        break;
    }
    return "none";
}

bool pp_role_parse(const char *s, enum pp_role *out)
{
    static const struct {
        const char *name;
        enum pp_role role;
    } roles[] = {{"owner", PP_ROLE_OWNER}, {"member", PP_ROLE_MEMBER}, {"reader", PP_ROLE_READER}};
    for (size_t i = 0; s != NULL && i < sizeof roles / sizeof roles[0]; i++) {
        if (strcmp(s, roles[i].name) == 0) {
            *out = roles[i].role;
            return true;
        }
    }
    return false;
}

const char *pp_visibility_name(enum pp_visibility vis)
{
    return vis == PP_ROOM_PRIVATE ? "private" : "public";
}

bool pp_visibility_parse(const char *s, enum pp_visibility *out)
{
    if (s != NULL && strcmp(s, "public") == 0) {
        *out = PP_ROOM_PUBLIC;
        return true;
    }
    if (s != NULL && strcmp(s, "private") == 0) {
        *out = PP_ROOM_PRIVATE;
        return true;
    }
    return false;
}
