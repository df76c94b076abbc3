/* parley-bridge: the state every module shares, hung off one struct on one thread.
 *
 * One libuv loop runs everything: libwebsockets as a foreign loop, hiredis through its libuv
 * adapter, the libmosquitto socket on a uv_poll. No module blocks, none takes a lock. Modules
 * reach each other only through the functions their headers declare.
 */
#ifndef PB_BRIDGE_H
#define PB_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "pb_conf.h"
#include "pb_metrics.h"

struct lws_context;
struct pb_mqtt;
struct pb_store;
struct pb_rooms;
struct pb_sessions;
struct pp_jwt;

struct pb_bridge {
    struct pb_conf conf;
    uv_loop_t *loop;
    struct lws_context *lws;
    struct pb_mqtt *mqtt;
    struct pb_store *store;
    struct pb_rooms *rooms;
    struct pb_sessions *sessions;      /* WebSocket connections by serial */
    struct pb_sessions *http_sessions; /* HTTP requests waiting for an answer, by serial */
    struct pp_jwt *jwt;                /* the plugin's verifier, on jwt_secret_file */
    struct pb_metrics metrics;
    bool stopping; /* a signal came: no new WebSockets, draining what was accepted */
    bool closing;  /* tearing down: callbacks only free */
};

/* One room message as the modules pass it around; every pointer is borrowed for the call. */
struct pb_msg {
    const char *room;
    const char *from;
    const char *body;
    size_t body_len;
    int64_t ts;     /* milliseconds since the epoch, set by the bridge that first saw it */
    const char *id; /* Redis stream id; "" when the message is spooled (Redis away) */
};

/* Milliseconds since the epoch. */
int64_t pb_now_ms(void);

#endif
