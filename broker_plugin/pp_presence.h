/* Presence: who is reading which room, from the subscriptions the plugin sees.
 *
 * A client "reads" room R while it holds an accepted subscription to rooms/R/msg/+ (or another
 * filter that covers R's messages without crossing rooms: rooms/R/#, rooms/R/+/+). A user is
 * online in R while at least one of their sessions reads R. The first reader makes the plugin
 * publish retained "online" on rooms/R/presence/{user}; when the last one unsubscribes or
 * disconnects, an empty retained message clears it. Mosquitto 2.0.11 has no SUBSCRIBE or
 * UNSUBSCRIBE event, so the plugin calls this from its subscribe and unsubscribe ACL checks and
 * from MOSQ_EVT_DISCONNECT. Not the hot path: a subscription allocates its record.
 */
#ifndef PP_PRESENCE_H
#define PP_PRESENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "pc_topic.h"

/* Called when a user comes online in a room or goes offline; strings borrowed for the call. */
typedef void (*pp_presence_fn)(void *ctx, const char *room, const char *user, bool online);

struct pp_presence;

struct pp_presence *pp_presence_new(pp_presence_fn fn, void *ctx); /* NULL on out-of-memory */
void pp_presence_free(struct pp_presence *p);                      /* no callbacks; NULL ok */

/* client identifies the session (its address is the key; never dereferenced). filter is the
 * subscription filter as given and t its parse (pc_topic_parse with is_filter). Filters that do
 * not read exactly one room are ignored, and so is a filter the client already holds. Returns
 * -1 on out-of-memory (presence for that subscription is then not tracked), else 0. */
int pp_presence_subscribed(struct pp_presence *p, const void *client, const char *user,
                           const char *filter, const struct pc_topic *t);
/* The client dropped filter (a no-op when it did not hold it). */
void pp_presence_unsubscribed(struct pp_presence *p, const void *client, const char *filter);
/* The session ended: every room it read is released. */
void pp_presence_disconnected(struct pp_presence *p, const void *client);

/* user (NULL: everyone) may no longer read room (removed from a private room, or the room was
 * deleted): every session of theirs stops counting as a reader of room, and those who were
 * online there go offline. Their subscriptions stay in the broker (deliveries are refused by the
 * ACL); if they may read the room again, presence returns when they subscribe again. */
void pp_presence_forget(struct pp_presence *p, const char *room, const char *user);

/* Sessions reading room for user (tests, getRoom later). */
unsigned pp_presence_count(const struct pp_presence *p, const char *room, const char *user);

#endif
