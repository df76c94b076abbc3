/* Parley protocol v1 helpers: names, room topics, direct messages, topic classification. */
#include <string.h>

#include "pd_queue.h"

/* [A-Za-z0-9_.-]. A macro, so each use is inlined (ch is evaluated more than once):
 * '-', '.', '/' and the digits are 0x2D..0x39, all but '/' */
#define NAME_CHAR(ch)                                                                              \
    (((ch) | 0x20u) - 'a' < 26u || ((ch) - '-' < 13u && (ch) != '/') || (ch) == '_')

static bool name_ok(const char *s, size_t n)
{
    if (n == 0u || n > PD_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned ch = (unsigned char)s[i];
        if (!NAME_CHAR(ch)) {
            return false;
        }
    }
    return true;
}

bool pd_name_valid(const char *name)
{
    size_t n = 0;
    if (!name) {
        return false;
    }
    do { /* (NUL is no name character: "" fails at once; never scans past the limit) */
        unsigned ch = (unsigned char)name[n];
        if (n == PD_NAME_MAX || !NAME_CHAR(ch)) {
            return false;
        }
    } while (name[++n]);
    return true;
}

/* rooms/{room}/msg/+ and rooms/{room}/presence/+; how as for pd_queue_sub() */
static enum pd_status room_sub(struct pd_client *c, const char *room, uint32_t how,
                               uint16_t *id_out)
{
    /* (two filters sharing parts 0 and 1, see struct pd_body) */
    struct pd_body f; /* (the (UN)SUBSCRIBE builder reads only s and id_out, qos is set below) */
    f.s[0] = "rooms/";
    f.s[1] = room;
    f.s[2] = "/msg/+";
    f.s[3] = "/presence/+";
    f.id_out = id_out;
    if (!c) {
        return PD_ERR_PARAM;
    }
    if (!pd_name_valid(room)) {
        return PD_ERR_NAME;
    }
    return pd_queue_sub(c, &f, how);
}

enum pd_status pd_room_join(struct pd_client *c, const char *room, uint8_t qos, uint16_t *id_out)
{
    return room_sub(c, room, qos, id_out);
}

enum pd_status pd_room_leave(struct pd_client *c, const char *room, uint16_t *id_out)
{
    return room_sub(c, room, PD_SUB_UNSUB, id_out);
}

/* rooms/{room}/msg/{me}, or users/{to}/inbox/{me} when how has SAY_DM; the low byte of how
 * is the QoS. One body for both: the public calls only pass their arguments on. */
#define SAY_DM 0x100u
static enum pd_status say(struct pd_client *c, const char *me, const char *a, const void *msg,
                          size_t len, uint32_t how, uint16_t *id_out)
{
    const bool dm = (how & SAY_DM) != 0u;
    struct pd_body t; /* (the PUBLISH builder reads only these) */
    t.s[0] = dm ? "users/" : "rooms/";
    t.s[1] = a;
    t.s[2] = dm ? "/inbox/" : "/msg/";
    t.s[3] = me;
    t.payload = msg;
    t.len = len;
    t.id_out = id_out;
    if (!c) {
        return PD_ERR_PARAM;
    }
    if (!pd_name_valid(a) || !pd_name_valid(me)) {
        return PD_ERR_NAME;
    }
    /* (how & 0xFF) << 1, as two shifts: no 0x1FE constant */
    return pd_queue_publish(c, &t, how << 24 >> 23);
}

enum pd_status pd_room_say(struct pd_client *c, const char *me, const char *room, const void *msg,
                           size_t len, uint8_t qos, uint16_t *id_out)
{
    return say(c, me, room, msg, len, qos, id_out);
}

enum pd_status pd_dm_send(struct pd_client *c, const char *me, const char *to, const void *msg,
                          size_t len, uint8_t qos, uint16_t *id_out)
{
    return say(c, me, to, msg, len, qos | SAY_DM, id_out);
}

static bool seg_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

enum pd_topic_kind pd_topic_parse(const char *topic, size_t len, const char **room,
                                  size_t *room_len, const char **user, size_t *user_len)
{
    const char *seg[4];
    size_t sl[4];
    unsigned n = 0;
    size_t start = 0;
    enum pd_topic_kind kind = PD_TOPIC_OTHER;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || topic[i] == '/') {
            if (n == 4u) {
                return PD_TOPIC_OTHER; /* a fifth level */
            }
            seg[n] = topic + start;
            sl[n++] = i - start;
            start = i + 1u;
        }
    }
    if (n != 4u || !name_ok(seg[1], sl[1]) || !name_ok(seg[3], sl[3])) {
        return PD_TOPIC_OTHER;
    }
    if (seg_is(seg[0], sl[0], "rooms")) {
        if (seg_is(seg[2], sl[2], "msg")) {
            kind = PD_TOPIC_MSG;
        } else if (seg_is(seg[2], sl[2], "presence")) {
            kind = PD_TOPIC_PRESENCE;
        } else if (seg_is(seg[2], sl[2], "typing")) {
            kind = PD_TOPIC_TYPING;
        }
    } else if (seg_is(seg[0], sl[0], "users") && seg_is(seg[2], sl[2], "inbox")) {
        kind = PD_TOPIC_INBOX;
    }
    if (kind != PD_TOPIC_OTHER) {
        *room = seg[1];
        *room_len = sl[1];
        *user = seg[3];
        *user_len = sl[3];
    }
    return kind;
}
