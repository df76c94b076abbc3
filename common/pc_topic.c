#include "pc_topic.h"

#include "pc_name.h"

#include <string.h>

#define CONTROL_TOPIC "$CONTROL/parley/v1"
#define CONTROL_RESPONSE_TOPIC "$CONTROL/parley/v1/response"

/* Levels of the topic, at most five are looked at; a sixth makes the topic too deep. */
#define MAX_LEVELS 5

struct level {
    const char *s;
    size_t len;
};

static bool level_is(const struct level *l, const char *lit)
{
    size_t n = strlen(lit);
    return l->len == n && memcmp(l->s, lit, n) == 0;
}

static bool level_plus(const struct level *l) { return l->len == 1 && l->s[0] == '+'; }

static bool level_hash(const struct level *l) { return l->len == 1 && l->s[0] == '#'; }

/* Splits into at most MAX_LEVELS levels; returns the count, or MAX_LEVELS + 1 when deeper. */
static int split(const char *t, size_t len, struct level *lv)
{
    int n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || t[i] == '/') {
            if (n == MAX_LEVELS) {
                return MAX_LEVELS + 1;
            }
            lv[n].s = t + start;
            lv[n].len = i - start;
            n++;
            start = i + 1;
        }
    }
    return n;
}

/* A named level: a valid name, or (in a filter) '+'. '#' is handled by the callers since it
 * also covers the levels after it. Sets *wild for '+'. */
static bool named_level(const struct level *l, bool is_filter, bool *wild)
{
    if (is_filter && level_plus(l)) {
        *wild = true;
        return true;
    }
    *wild = false;
    return pc_name_valid(l->s, l->len);
}

static enum pc_topic_kind parse_rooms(const struct level *lv, int n, bool f, struct pc_topic *o)
{
    /* rooms/# */
    if (n == 2 && f && level_hash(&lv[1])) {
        o->room_wild = o->user_wild = true;
        return PC_TOPIC_ROOM_ANY;
    }
    if (n < 3 || !named_level(&lv[1], f, &o->room_wild)) {
        return PC_TOPIC_INVALID;
    }
    o->room = o->room_wild ? NULL : lv[1].s;
    o->room_len = o->room_wild ? 0 : lv[1].len;

    enum pc_topic_kind kind;
    if (level_is(&lv[2], "msg")) {
        kind = PC_TOPIC_ROOM_MSG;
    } else if (level_is(&lv[2], "typing")) {
        kind = PC_TOPIC_ROOM_TYPING;
    } else if (level_is(&lv[2], "presence")) {
        kind = PC_TOPIC_ROOM_PRESENCE;
    } else if (f && level_plus(&lv[2])) {
        kind = PC_TOPIC_ROOM_ANY;
    } else if (f && level_hash(&lv[2]) && n == 3) {
        o->user_wild = true;
        return PC_TOPIC_ROOM_ANY;
    } else {
        return PC_TOPIC_INVALID;
    }

    if (n == 3) {
        return PC_TOPIC_INVALID; /* rooms/{room}/msg with no user level */
    }
    if (n != 4) {
        return PC_TOPIC_INVALID;
    }
    if (f && level_hash(&lv[3])) {
        o->user_wild = true;
    } else if (!named_level(&lv[3], f, &o->user_wild)) {
        return PC_TOPIC_INVALID;
    }
    if (!o->user_wild) {
        o->user = lv[3].s;
        o->user_len = lv[3].len;
    }
    return kind;
}

static enum pc_topic_kind parse_users(const struct level *lv, int n, bool f, struct pc_topic *o)
{
    if (n < 3 || !named_level(&lv[1], f, &o->room_wild)) {
        return PC_TOPIC_INVALID;
    }
    /* For users/ the second level is the inbox owner; a '+' there crosses users. */
    if (!o->room_wild) {
        o->user = lv[1].s;
        o->user_len = lv[1].len;
    } else {
        o->user_wild = true;
    }
    o->room_wild = false;
    if (f && n == 3 && level_hash(&lv[2])) {
        o->from_wild = true;
        return PC_TOPIC_USER_INBOX;
    }
    if (!level_is(&lv[2], "inbox") && !(f && level_plus(&lv[2]))) {
        return PC_TOPIC_INVALID;
    }
    if (n != 4) {
        return PC_TOPIC_INVALID;
    }
    if (f && level_hash(&lv[3])) {
        o->from_wild = true;
    } else if (!named_level(&lv[3], f, &o->from_wild)) {
        return PC_TOPIC_INVALID;
    }
    if (!o->from_wild) {
        o->from = lv[3].s;
        o->from_len = lv[3].len;
    }
    return PC_TOPIC_USER_INBOX;
}

enum pc_topic_kind pc_topic_parse(const char *topic, size_t len, bool is_filter,
                                  struct pc_topic *out)
{
    struct level lv[MAX_LEVELS];
    memset(out, 0, sizeof *out);
    out->kind = PC_TOPIC_OTHER;
    if (topic == NULL || len == 0) {
        out->kind = PC_TOPIC_INVALID;
        return out->kind;
    }
    if (len == sizeof CONTROL_TOPIC - 1 && memcmp(topic, CONTROL_TOPIC, len) == 0) {
        out->kind = PC_TOPIC_CONTROL;
        return out->kind;
    }
    if (len == sizeof CONTROL_RESPONSE_TOPIC - 1 &&
        memcmp(topic, CONTROL_RESPONSE_TOPIC, len) == 0) {
        out->kind = PC_TOPIC_CONTROL_RESPONSE;
        return out->kind;
    }
    if (is_filter && (topic[0] == '#' || (topic[0] == '+' && (len == 1 || topic[1] == '/')))) {
        out->kind = PC_TOPIC_ROOT_WILD;
        return out->kind;
    }

    int n = split(topic, len, lv);
    if (level_is(&lv[0], "rooms")) {
        out->kind = n > MAX_LEVELS ? PC_TOPIC_INVALID : parse_rooms(lv, n, is_filter, out);
    } else if (level_is(&lv[0], "users")) {
        out->kind = n > MAX_LEVELS ? PC_TOPIC_INVALID : parse_users(lv, n, is_filter, out);
    }
    if (out->kind == PC_TOPIC_INVALID || out->kind == PC_TOPIC_OTHER) {
        enum pc_topic_kind k = out->kind;
        memset(out, 0, sizeof *out);
        out->kind = k;
    }
    return out->kind;
}

const char *pc_topic_kind_name(enum pc_topic_kind kind)
{
    switch (kind) {
    case PC_TOPIC_OTHER:
        return "other";
    case PC_TOPIC_INVALID:
        return "invalid";
    case PC_TOPIC_ROOT_WILD:
        return "root-wildcard";
    case PC_TOPIC_ROOM_MSG:
        return "room-msg";
    case PC_TOPIC_ROOM_TYPING:
        return "room-typing";
    case PC_TOPIC_ROOM_PRESENCE:
        return "room-presence";
    case PC_TOPIC_ROOM_ANY:
        return "room-any";
    case PC_TOPIC_USER_INBOX:
        return "user-inbox";
    case PC_TOPIC_CONTROL:
        return "control";
    case PC_TOPIC_CONTROL_RESPONSE:
        return "control-response";
    }
    return "unknown";
}
