/* The Parley topic namespace (protocol v1), parsed once per check without allocating.
 *
 *   rooms/{room}/msg/{user}      rooms/{room}/typing/{user}     rooms/{room}/presence/{user}
 *   users/{user}/inbox/{from}    $CONTROL/parley/v1             $CONTROL/parley/v1/response
 *
 * The same parser reads topics (publish, delivery) and subscription filters. In a filter a
 * level may be '+' and the last level may be '#'; the *_wild flags say which named levels a
 * filter leaves open. A '#' covers every level from where it stands, so "rooms/lobby/#" is
 * PC_TOPIC_ROOM_ANY with user_wild set.
 */
#ifndef PC_TOPIC_H
#define PC_TOPIC_H

#include <stdbool.h>
#include <stddef.h>

enum pc_topic_kind {
    PC_TOPIC_OTHER = 0, /* outside the namespace (denied unless configured otherwise) */
    PC_TOPIC_INVALID,   /* under rooms/ or users/ but malformed: bad name, bad level */
    PC_TOPIC_ROOT_WILD, /* filter whose first level is '+' or '#': crosses everything */
    PC_TOPIC_ROOM_MSG,
    PC_TOPIC_ROOM_TYPING,
    PC_TOPIC_ROOM_PRESENCE,
    PC_TOPIC_ROOM_ANY,         /* filter: rooms/{room}/+/... or rooms/{room}/# or rooms/# */
    PC_TOPIC_USER_INBOX,       /* users/{user}/inbox/{from}, or users/{user}/# */
    PC_TOPIC_CONTROL,          /* $CONTROL/parley/v1 */
    PC_TOPIC_CONTROL_RESPONSE, /* $CONTROL/parley/v1/response */
};

struct pc_topic {
    enum pc_topic_kind kind;
    const char *room; /* rooms/: the room. Points into the parsed string; not NUL-terminated */
    size_t room_len;
    const char *user; /* rooms/: the sender (last level); users/: the inbox owner */
    size_t user_len;
    const char *from; /* users/: the sender (last level) */
    size_t from_len;
    bool room_wild; /* rooms/: the room level is '+' or '#' (a filter across rooms) */
    bool user_wild; /* the user level is '+' or covered by '#' */
    bool from_wild; /* users/: the from level is '+' or covered by '#' */
};

/* Parses topic[0..len) into *out. Never fails: anything unexpected is PC_TOPIC_OTHER or
 * PC_TOPIC_INVALID. Wildcards are only recognised when is_filter is true; in a topic name
 * '+' and '#' make it PC_TOPIC_INVALID under rooms/ and users/. Returns out->kind. */
enum pc_topic_kind pc_topic_parse(const char *topic, size_t len, bool is_filter,
                                  struct pc_topic *out);

/* A short name for a kind, for logs ("room-msg", "user-inbox", ...). Static string. */
const char *pc_topic_kind_name(enum pc_topic_kind kind);

#endif
