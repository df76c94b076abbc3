/* Redis: history (a stream per room), presence (a hash per room), fan-out between nodes.
 *
 * Two hiredis async connections on the bridge's loop: one for commands (pipelined, replies in
 * order, so a resume's XRANGE is ordered after every XADD sent before it) and one subscribed to
 * the fan-out channel. While Redis is away messages are delivered live with id "" and kept in a
 * bounded spool, written in order when it is back.
 */
#ifndef PB_STORE_H
#define PB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pb_id.h"

struct pb_bridge;
struct pb_msg;

enum pb_store_status { PB_STORE_OK = 0, PB_STORE_UNAVAILABLE, PB_STORE_ERROR };

/* One history entry; every pointer is borrowed for the callback. */
struct pb_entry {
    const char *id;
    const char *from;
    const char *body;
    size_t body_len;
    int64_t ts;
};

/* after/before: exclusive stream ids, "" = open. Without after: the newest `limit` entries
 * before `before`. Entries always come oldest first. */
struct pb_range {
    char after[PB_ID_MAX];
    char before[PB_ID_MAX];
    unsigned limit;
};

typedef void (*pb_append_cb)(struct pb_bridge *b, uint64_t token, const char *id);
typedef void (*pb_range_cb)(struct pb_bridge *b, uint64_t token, enum pb_store_status st,
                            const struct pb_entry *e, size_t n, bool more);
/* recovered: every entry after since is in e. last: the stream's last id ("" if none). */
typedef void (*pb_resume_cb)(struct pb_bridge *b, uint64_t token, enum pb_store_status st,
                             const struct pb_entry *e, size_t n, bool recovered, const char *last);
typedef void (*pb_users_cb)(struct pb_bridge *b, uint64_t token, enum pb_store_status st,
                            const char *const *users, size_t n);

/* Allocates b->store and starts connecting. 0, or -1 (out of memory). */
int pb_store_start(struct pb_bridge *b);
/* Closes both connections and frees b->store; what is still spooled is counted in the log. */
void pb_store_stop(struct pb_bridge *b);
bool pb_store_up(const struct pb_bridge *b);
/* Messages accepted but not yet confirmed written (spooled or in flight). */
size_t pb_store_unwritten(const struct pb_bridge *b);

/* Writes m to its room's stream, then (with the id) publishes it to other nodes, delivers it to
 * this node's WebSockets (pb_room_deliver) and calls cb (may be NULL). Redis away: delivered and
 * cb'd at once with id "", spooled. m is copied. */
void pb_store_append(struct pb_bridge *b, const struct pb_msg *m, pb_append_cb cb, uint64_t token);
/* Tells other nodes someone types (nothing is stored). */
void pb_store_typing(struct pb_bridge *b, const char *room, const char *user);
/* Records presence (source "mqtt" or "ws"), tells other nodes and this node's WebSockets. */
void pb_store_presence(struct pb_bridge *b, const char *room, const char *user, const char *source,
                       bool online);

/* History queries. Each returns 0 and calls cb once later, or -1 when Redis is away (no cb). */
int pb_store_range(struct pb_bridge *b, const char *room, const struct pb_range *r, pb_range_cb cb,
                   uint64_t token);
/* Entries after since, at most limit of them (more: recovered false, none given). */
int pb_store_resume(struct pb_bridge *b, const char *room, const char *since, unsigned limit,
                    pb_resume_cb cb, uint64_t token);
int pb_store_users(struct pb_bridge *b, const char *room, pb_users_cb cb, uint64_t token);

/* The fan-out wire format, exposed for the unit test: a record of '\n'-separated fields. */
struct pb_fanout {
    char kind; /* 'm' message, 't' typing, 'p' presence */
    const char *node, *room, *user, *id;
    size_t node_len, room_len, user_len, id_len;
    int64_t ts;
    bool online;
    const char *body;
    size_t body_len;
};
/* Encodes into buf; returns the length, or 0 when cap is too small. */
size_t pb_fanout_encode(const struct pb_fanout *f, char *buf, size_t cap);
/* Decodes; pointers point into buf. False when malformed. */
bool pb_fanout_decode(const char *buf, size_t len, struct pb_fanout *f);

#endif
