/* Room registry (a hash of the rooms with members here) and delivery. */
#include "pb_room.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb_bridge.h"
#include "pb_frame.h"
#include "pb_log.h"
#include "pb_store.h"
#include "pb_ws.h"

#define ROOM_BUCKETS 1024

struct pb_room {
    char name[65];
    struct pb_room *hnext;
    struct pb_member *members;
};

struct pb_rooms {
    struct pb_room *bucket[ROOM_BUCKETS];
    size_t count;
    size_t scratch_cap;
    char scratch[]; /* frames are built here, then copied once to their exact size */
};

static unsigned room_hash(const char *s)
{
    unsigned h = 2166136261u;
    while (*s != '\0') {
        h = (h ^ (unsigned char)*s++) * 16777619u;
    }
    return h % ROOM_BUCKETS;
}

int pb_rooms_init(struct pb_bridge *b)
{
    size_t cap = (size_t)b->conf.max_payload * 6 + 1024;
    struct pb_rooms *r = calloc(1, sizeof *r + cap);
    if (r == NULL) {
        return -1;
    }
    r->scratch_cap = cap;
    b->rooms = r;
    return 0;
}

void pb_rooms_free(struct pb_bridge *b)
{
    /* Connections leave their rooms when they close; what is left is only the table. */
    free(b->rooms);
    b->rooms = NULL;
}

size_t pb_rooms_count(const struct pb_bridge *b) { return b->rooms == NULL ? 0 : b->rooms->count; }

static struct pb_room *room_get(struct pb_rooms *r, const char *name, bool create)
{
    unsigned h = room_hash(name);
    for (struct pb_room *it = r->bucket[h]; it != NULL; it = it->hnext) {
        if (strcmp(it->name, name) == 0) {
            return it;
        }
    }
    if (!create) {
        return NULL;
    }
    struct pb_room *it = calloc(1, sizeof *it);
    if (it == NULL) {
        return NULL;
    }
    snprintf(it->name, sizeof it->name, "%s", name);
    it->hnext = r->bucket[h];
    r->bucket[h] = it;
    r->count++;
    return it;
}

static void room_drop(struct pb_rooms *r, struct pb_room *room)
{
    struct pb_room **pp = &r->bucket[room_hash(room->name)];
    while (*pp != room) {
        pp = &(*pp)->hnext;
    }
    *pp = room->hnext;
    r->count--;
    free(room);
}

/* Other members of the room with the same user. */
static bool user_elsewhere(const struct pb_room *room, const struct pb_member *self)
{
    for (const struct pb_member *m = room->members; m != NULL; m = m->rnext) {
        if (m != self && strcmp(pb_ws_user(m->conn), pb_ws_user(self->conn)) == 0) {
            return true;
        }
    }
    return false;
}

struct pb_member *pb_room_join(struct pb_bridge *b, struct pb_conn *c, const char *name,
                               bool replaying)
{
    struct pb_room *room = room_get(b->rooms, name, true);
    struct pb_member *m = room == NULL ? NULL : calloc(1, sizeof *m);
    if (m == NULL) {
        if (room != NULL && room->members == NULL) {
            room_drop(b->rooms, room);
        }
        return NULL;
    }
    m->room = room;
    m->conn = c;
    m->replaying = replaying;
    m->rnext = room->members;
    if (room->members != NULL) {
        room->members->rprev = m;
    }
    room->members = m;
    struct pb_member **head = pb_ws_members(c);
    m->cnext = *head;
    *head = m;
    if (!user_elsewhere(room, m)) {
        pb_store_presence(b, name, pb_ws_user(c), "ws", true);
    }
    return m;
}

struct pb_member *pb_room_find(struct pb_conn *c, const char *room)
{
    for (struct pb_member *m = *pb_ws_members(c); m != NULL; m = m->cnext) {
        if (strcmp(m->room->name, room) == 0) {
            return m;
        }
    }
    return NULL;
}

const char *pb_room_name(const struct pb_member *m) { return m->room->name; }

static void drop_held(struct pb_member *m)
{
    for (size_t i = 0; i < m->nheld; i++) {
        pb_frame_unref(m->held[i]);
    }
    free(m->held);
    m->held = NULL;
    m->nheld = m->held_cap = 0;
}

void pb_room_leave(struct pb_bridge *b, struct pb_member *m)
{
    struct pb_room *room = m->room;
    struct pb_conn *c = m->conn;
    bool announce = !user_elsewhere(room, m);
    if (m->rprev != NULL) {
        m->rprev->rnext = m->rnext;
    } else {
        room->members = m->rnext;
    }
    if (m->rnext != NULL) {
        m->rnext->rprev = m->rprev;
    }
    struct pb_member **pp = pb_ws_members(c);
    while (*pp != m) {
        pp = &(*pp)->cnext;
    }
    *pp = m->cnext;
    char name[65], user[65];
    snprintf(name, sizeof name, "%s", room->name);
    snprintf(user, sizeof user, "%s", pb_ws_user(c));
    drop_held(m);
    free(m);
    if (room->members == NULL) {
        room_drop(b->rooms, room);
    }
    if (announce) {
        pb_store_presence(b, name, user, "ws", false);
    }
}

void pb_room_leave_all(struct pb_bridge *b, struct pb_conn *c)
{
    struct pb_member **head = pb_ws_members(c);
    while (*head != NULL) {
        pb_room_leave(b, *head);
    }
}

/* Is the frame one this member has already had through its replay? */
static bool replayed(const struct pb_member *m, const struct pb_frame *f)
{
    struct pb_id id;
    return m->has_last && f->id[0] != '\0' && pb_id_parse(f->id, &id) &&
           pb_id_cmp(id, m->last) <= 0;
}

void pb_room_replay_done(struct pb_bridge *b, struct pb_member *m, const char *last)
{
    m->replaying = false;
    m->has_last = last[0] != '\0' && pb_id_parse(last, &m->last);
    for (size_t i = 0; i < m->nheld; i++) {
        if (!replayed(m, m->held[i])) {
            pb_ws_push(b, m->conn, m->held[i]);
        }
    }
    drop_held(m);
}

static void hold(struct pb_bridge *b, struct pb_member *m, struct pb_frame *f)
{
    if (m->nheld == m->held_cap) {
        size_t ncap = m->held_cap == 0 ? 8 : m->held_cap * 2;
        struct pb_frame **h =
            ncap > b->conf.ws_queue_msgs ? NULL : realloc(m->held, ncap * sizeof *h);
        if (h == NULL) {
            pb_ws_overflow(b, m->conn); /* more arrived during the replay than it may queue */
            return;
        }
        m->held = h;
        m->held_cap = ncap;
    }
    pb_frame_ref(f);
    m->held[m->nheld++] = f;
}

struct pb_frame *pb_room_frame(struct pb_bridge *b, const struct pb_msg *m)
{
    return pb_frame_msg(m, b->rooms->scratch, b->rooms->scratch_cap);
}

void pb_room_deliver(struct pb_bridge *b, const struct pb_msg *msg)
{
    struct pb_room *room = room_get(b->rooms, msg->room, false);
    if (room == NULL) {
        return;
    }
    struct pb_frame *f = pb_room_frame(b, msg);
    if (f == NULL) {
        pb_log(PB_LOG_ERROR, "room %s: cannot frame a message (out of memory)", msg->room);
        return;
    }
    for (struct pb_member *m = room->members; m != NULL; m = m->rnext) {
        if (m->replaying) {
            hold(b, m, f);
        } else if (!replayed(m, f)) {
            pb_ws_push(b, m->conn, f);
            b->metrics.ws_msgs_out++;
        }
    }
    pb_frame_unref(f);
}

static void deliver_text(struct pb_bridge *b, const char *room_name, const char *text, size_t len)
{
    struct pb_room *room = room_get(b->rooms, room_name, false);
    if (room == NULL) {
        return;
    }
    struct pb_frame *f = pb_frame_new(text, len);
    if (f == NULL) {
        return;
    }
    for (struct pb_member *m = room->members; m != NULL; m = m->rnext) {
        pb_ws_push(b, m->conn, f);
    }
    pb_frame_unref(f);
}

void pb_room_presence(struct pb_bridge *b, const char *room, const char *user, bool online)
{
    char text[256];
    int n = snprintf(text, sizeof text,
                     "{\"type\":\"presence\",\"room\":\"%s\",\"user\":\"%s\",\"status\":\"%s\"}",
                     room, user, online ? "online" : "offline");
    deliver_text(b, room, text, (size_t)n); /* names need no escaping: the grammar allows none */
}

void pb_room_typing(struct pb_bridge *b, const char *room, const char *user)
{
    char text[256];
    int n = snprintf(text, sizeof text, "{\"type\":\"typing\",\"room\":\"%s\",\"user\":\"%s\"}",
                     room, user);
    deliver_text(b, room, text, (size_t)n);
}
