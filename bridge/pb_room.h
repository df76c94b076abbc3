/* The rooms this node's WebSockets have joined, and delivery into them.
 *
 * A room exists while it has a member here. Delivery frames a message once and queues a
 * reference on each member's connection. A member joined with `since` is replaying: live
 * messages are held until the replay is in, then those the replay did not hold are released,
 * and from then on a message at or before the last replayed id is dropped (no duplicate).
 */
#ifndef PB_ROOM_H
#define PB_ROOM_H

#include <stdbool.h>
#include <stddef.h>

#include "pb_id.h"

struct pb_bridge;
struct pb_conn;
struct pb_msg;
struct pb_frame;
struct pb_room;

struct pb_member {
    struct pb_room *room;
    struct pb_conn *conn;
    struct pb_member *rnext, *rprev; /* in the room */
    struct pb_member *cnext;         /* in the connection */
    bool replaying;
    bool has_last;
    struct pb_id last; /* the last id given by the replay */
    struct pb_frame **held;
    size_t nheld, held_cap;
};

int pb_rooms_init(struct pb_bridge *b);
void pb_rooms_free(struct pb_bridge *b);

/* Adds conn to room (a valid name). The user's first member here announces presence.
 * NULL: out of memory. */
struct pb_member *pb_room_join(struct pb_bridge *b, struct pb_conn *c, const char *room,
                               bool replaying);
/* The member of conn in room, or NULL. */
struct pb_member *pb_room_find(struct pb_conn *c, const char *room);
const char *pb_room_name(const struct pb_member *m);
/* Removes the member (and announces the user's absence if it was the last). */
void pb_room_leave(struct pb_bridge *b, struct pb_member *m);
void pb_room_leave_all(struct pb_bridge *b, struct pb_conn *c);
/* Ends a replay: last is the last id the replay covered ("" if none known). Held frames after
 * it are queued in order. */
void pb_room_replay_done(struct pb_bridge *b, struct pb_member *m, const char *last);
/* How many rooms this node has, how many members. */
size_t pb_rooms_count(const struct pb_bridge *b);

/* The msg frame for m (one reference for the caller), NULL when out of memory. */
struct pb_frame *pb_room_frame(struct pb_bridge *b, const struct pb_msg *m);
void pb_room_deliver(struct pb_bridge *b, const struct pb_msg *m);
void pb_room_presence(struct pb_bridge *b, const char *room, const char *user, bool online);
void pb_room_typing(struct pb_bridge *b, const char *room, const char *user);

#endif
