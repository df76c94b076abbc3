/* Access decisions. Order inside each case: cheap account checks, then the room rule, then
 * size, then rate (last, so a refused message never spends a token). */
#include "pp_acl.h"

#include <string.h>

#include "pc_name.h"

static const char bad_name[] = "user name outside [A-Za-z0-9_.-]{1,64}";

bool pp_acl_is_bridge(const struct pp_acl *a, const char *user, size_t len)
{
    return pp_namelist_has(&a->opts->bridge_users, user, len);
}

bool pp_acl_is_admin(const struct pp_acl *a, const char *user, size_t len)
{
    if (pp_namelist_has(&a->opts->admins, user, len)) {
        return true;
    }
    const struct pp_user *u = pp_index_user_find(a->index, user, len);
    return u != NULL && u->admin;
}

bool pp_acl_privileged(const struct pp_acl *a, const char *user, size_t len)
{
    return pp_acl_is_bridge(a, user, len) || pp_acl_is_admin(a, user, len);
}

static bool same(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

static enum pp_acl_verdict deny(const char **reason, const char *why)
{
    *reason = why;
    return PP_ACL_DENY;
}

/* Reading a room (subscribe or delivery). */
static enum pp_acl_verdict room_read(const struct pp_acl *a, const struct pc_topic *t,
                                     const char *user, size_t ulen, const char **reason)
{
    if (t->room_wild) {
        if (pp_acl_privileged(a, user, ulen)) {
            *reason = "privileged account: all rooms";
            return PP_ACL_ALLOW;
        }
        return deny(reason, "wildcards across rooms are for admin and bridge accounts");
    }
    struct pp_access acc;
    pp_index_access(a->index, t->room, t->room_len, user, ulen, &acc);
    if (pp_access_allows(&acc, PP_OP_READ, reason)) {
        /* A member's name is in the index, so it passed the name rule there; only a reader of a
         * public room without a role can be a TLS identity outside it. */
        if (acc.role == PP_ROLE_NONE && !pc_name_valid(user, ulen)) {
            return deny(reason, bad_name);
        }
        return PP_ACL_ALLOW;
    }
    if (acc.room != NULL && pp_acl_privileged(a, user, ulen)) {
        *reason = "privileged account: all rooms";
        return PP_ACL_ALLOW;
    }
    return PP_ACL_DENY;
}

/* A post's sender is the topic's last level: the poster, or a bridge account posting for them.
 * Nothing posted is retained. False (reason set) otherwise. */
static bool sender_ok(const struct pp_acl *a, const struct pp_acl_req *req, const char *sender,
                      size_t slen, const char *user, size_t ulen, const char *retained,
                      const char **reason)
{
    if (!same(sender, slen, user, ulen) && !pp_acl_is_bridge(a, user, ulen)) {
        *reason = "the topic's last level must be your own user name";
        return false;
    }
    if (req->retain) {
        *reason = retained;
        return false;
    }
    return true;
}

/* The payload bound, then the sender's rate: last, so a refused message spends no token.
 * *reason is left as it is when the post may go. */
static enum pp_acl_verdict bound_and_rate(const struct pp_acl *a, const struct pp_acl_req *req,
                                          const char *sender, size_t slen, const char **reason)
{
    if (req->payloadlen > a->opts->max_payload) {
        *reason = "message larger than max_payload";
        return PP_ACL_TOO_LARGE;
    }
    if (a->rate != NULL && !pp_rate_take(a->rate, sender, slen, req->now_ns)) {
        *reason = "sender above the message rate";
        return PP_ACL_RATE;
    }
    return PP_ACL_ALLOW;
}

/* Posting to rooms/{room}/msg|typing/{sender}. */
static enum pp_acl_verdict room_write(const struct pp_acl *a, const struct pp_acl_req *req,
                                      const struct pc_topic *t, const char *user, size_t ulen,
                                      const char **reason)
{
    if (!sender_ok(a, req, t->user, t->user_len, user, ulen,
                   "retained messages are not allowed in rooms", reason)) {
        return PP_ACL_DENY;
    }
    struct pp_access acc;
    pp_index_access(a->index, t->room, t->room_len, t->user, t->user_len, &acc);
    if (!pp_access_allows(&acc, PP_OP_WRITE, reason)) {
        if (acc.room == NULL || acc.banned || !pp_acl_is_admin(a, t->user, t->user_len)) {
            return PP_ACL_DENY;
        }
        *reason = "admin";
    }
    if (t->kind == PC_TOPIC_ROOM_TYPING) {
        if (req->payloadlen > PP_ACL_TYPING_MAX) {
            *reason = "typing notices are at most 64 bytes";
            return PP_ACL_TOO_LARGE;
        }
        return PP_ACL_ALLOW; /* never stored, not counted against the rate */
    }
    return bound_and_rate(a, req, t->user, t->user_len, reason);
}

static enum pp_acl_verdict inbox(const struct pp_acl *a, const struct pp_acl_req *req,
                                 const struct pc_topic *t, const char *user, size_t ulen,
                                 const char **reason)
{
    if (req->access != PP_ACL_WRITE) {
        /* users/{user}/inbox/...: only {user} (or a privileged account) may read it. */
        if (!t->user_wild && same(t->user, t->user_len, user, ulen)) {
            *reason = "own inbox";
            return PP_ACL_ALLOW;
        }
        if (pp_acl_privileged(a, user, ulen)) {
            *reason = "privileged account: all inboxes";
            return PP_ACL_ALLOW;
        }
        return deny(reason, "only the inbox's owner may read it");
    }
    if (!sender_ok(a, req, t->from, t->from_len, user, ulen,
                   "retained direct messages are not allowed", reason)) {
        return PP_ACL_DENY;
    }
    *reason = "direct message";
    return bound_and_rate(a, req, t->from, t->from_len, reason);
}

/* A delivery's topic: from the cache when it is the one parsed last. */
static void parse_delivery(struct pp_acl_cache *c, const char *topic, struct pc_topic *t)
{
    size_t len = strlen(topic);
    if (c == NULL || len == 0 || len >= sizeof c->topic) { /* (an empty cache has len 0) */
        pc_topic_parse(topic, len, false, t);
        return;
    }
    if (len != c->len || memcmp(topic, c->topic, len) != 0) {
        memcpy(c->topic, topic, len);
        c->topic[len] = '\0';
        c->len = len;
        pc_topic_parse(c->topic, len, false, &c->parsed);
    }
    *t = c->parsed;
}

enum pp_acl_verdict pp_acl_check(const struct pp_acl *a, const struct pp_acl_req *req,
                                 struct pc_topic *t, const char **reason)
{
    *reason = "";
    if (req->username == NULL || req->topic == NULL) {
        memset(t, 0, sizeof *t); /* (the parser fills it on every other path) */
        return deny(reason, "no user name");
    }
    /* Password and token logins were checked against the name rule already; a TLS identity
     * (use_identity_as_username) was not: Mosquitto 2.0.11 asks no plugin about it. Writes and
     * subscriptions check it here; a delivery (the hot path) comes only after a subscription
     * that passed, but for a public room's reader without a role, which room_read checks. */
    size_t ulen = strlen(req->username);
    if (req->access != PP_ACL_READ && !pc_name_valid(req->username, ulen)) {
        return deny(reason, bad_name);
    }
    if (req->access == PP_ACL_READ) {
        parse_delivery(a->cache, req->topic, t);
    } else {
        pc_topic_parse(req->topic, strlen(req->topic), req->access == PP_ACL_SUBSCRIBE, t);
    }

    switch (t->kind) {
    case PC_TOPIC_ROOM_MSG:
    case PC_TOPIC_ROOM_TYPING:
        if (req->access == PP_ACL_WRITE) {
            return room_write(a, req, t, req->username, ulen, reason);
        }
        return room_read(a, t, req->username, ulen, reason);
    case PC_TOPIC_ROOM_PRESENCE:
        if (req->access == PP_ACL_WRITE) {
            return deny(reason, "presence is published by the broker only");
        }
        return room_read(a, t, req->username, ulen, reason);
    case PC_TOPIC_ROOM_ANY:
        return room_read(a, t, req->username, ulen, reason);
    case PC_TOPIC_USER_INBOX:
        return inbox(a, req, t, req->username, ulen, reason);
    case PC_TOPIC_ROOT_WILD:
        if (pp_acl_privileged(a, req->username, ulen)) {
            *reason = "privileged account: all topics";
            return PP_ACL_ALLOW;
        }
        return deny(reason, "wildcards across rooms are for admin and bridge accounts");
    case PC_TOPIC_CONTROL:
        /* Anyone authenticated may send a batch; each command checks its own rights. Nobody
         * may subscribe to it: the batches of others are not theirs to read. */
        if (req->access == PP_ACL_WRITE) {
            *reason = "control API";
            return PP_ACL_ALLOW;
        }
        return deny(reason, "control requests are not readable");
    case PC_TOPIC_CONTROL_RESPONSE:
        /* Responses are published to the asking client only, so reading is safe. */
        if (req->access == PP_ACL_WRITE) {
            return deny(reason, "control responses come from the broker only");
        }
        *reason = "control responses";
        return PP_ACL_ALLOW;
    case PC_TOPIC_INVALID:
        return deny(reason, "malformed room or user topic (names are [A-Za-z0-9_.-]{1,64})");
    case PC_TOPIC_OTHER:
        break;
    }
    return deny(reason, "outside the Parley namespace");
}
