/* The plugin's access decisions for publish, subscribe and delivery: the room namespace of
 * DESIGN.md on top of the room rule (pp_access_allows). Pure: no broker calls, so every rule is
 * unit-tested directly. Hot path: one topic parse, at most two index probes and, for a publish,
 * one rate-bucket lookup. Allocates nothing except a sender's first rate bucket.
 */
#ifndef PP_ACL_H
#define PP_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_topic.h"
#include "pp_index.h"
#include "pp_opts.h"
#include "pp_rate.h"

/* Largest typing notice: "empty or tiny". */
#define PP_ACL_TYPING_MAX 64

enum pp_acl_access {
    PP_ACL_READ = 0,  /* a delivery of topic to the client */
    PP_ACL_WRITE,     /* an incoming PUBLISH (payloadlen, retain meaningful) */
    PP_ACL_SUBSCRIBE, /* a subscription filter */
};

/* The last delivery topic parsed. Mosquitto checks one message's delivery to each subscriber
 * in turn with the same topic, so deliveries after the first compare the topic (length, then
 * bytes) instead of parsing it again. Owned by the caller; zero-initialise it. */
#define PP_ACL_CACHE_TOPIC 256
struct pp_acl_cache {
    size_t len;
    char topic[PP_ACL_CACHE_TOPIC];
    struct pc_topic parsed; /* points into topic[] */
};

/* What a decision reads; all borrowed. index may change between calls (SIGHUP reload). */
struct pp_acl {
    const struct pp_index *index;
    const struct pp_opts *opts;
    struct pp_rate *rate;       /* may be NULL: no rate limit */
    struct pp_acl_cache *cache; /* may be NULL: every delivery topic is parsed */
};

struct pp_acl_req {
    enum pp_acl_access access;
    const char *username; /* NUL-terminated; NULL is denied */
    const char *topic;    /* topic or filter, NUL-terminated */
    uint32_t payloadlen;
    bool retain;
    uint64_t now_ns; /* monotonic, for the rate limit */
};

enum pp_acl_verdict {
    PP_ACL_ALLOW = 0,
    PP_ACL_DENY,      /* not allowed by policy */
    PP_ACL_TOO_LARGE, /* a publish above max_payload (or a typing notice above the cap) */
    PP_ACL_RATE,      /* the sender's bucket is empty */
};

/* Decides req. *t receives the parsed topic (callers use it for presence; for a delivery its
 * pointers may point into the cache rather than req->topic); *reason (not NULL) a short static
 * explanation for the log. */
enum pp_acl_verdict pp_acl_check(const struct pp_acl *a, const struct pp_acl_req *req,
                                 struct pc_topic *t, const char **reason);

/* True for bridge accounts and admins (the `admins` option or the stored admin flag): they may
 * subscribe across rooms and read every room. */
bool pp_acl_privileged(const struct pp_acl *a, const char *user, size_t len);
bool pp_acl_is_bridge(const struct pp_acl *a, const char *user, size_t len);
/* Admin by option or by stored flag. */
bool pp_acl_is_admin(const struct pp_acl *a, const char *user, size_t len);

#endif
