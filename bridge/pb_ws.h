/* WebSocket /ws, subprotocol parley.v1: one connection per browser tab, JSON frames
 * (docs/bridge.md), a bounded send queue, authentication by cookie or by an auth frame. */
#ifndef PB_WS_H
#define PB_WS_H

#include <stdbool.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "pb_sendq.h"

struct pb_bridge;
struct pb_member;
struct pb_frame;

#define PB_WS_MAX_FRAME 8192 /* a bigger frame closes the connection with 1009 */
#define PB_WS_MAX_ROOMS 64   /* rooms one connection may join */
#define PB_WS_REPLAY_MAX 1000

extern const struct lws_protocols pb_ws_protocol;

/* The per-connection state (libwebsockets' per-session data). */
struct pb_conn {
    struct lws *wsi;
    uint64_t serial;
    struct pb_conn *hnext;
    char user[65];
    bool authed;
    uint16_t close_code;
    const char *close_reason;
    struct pb_sendq q;
    struct pb_member *members;
    unsigned nrooms;
    char *rx;
    size_t rx_len;
};

/* Queues f on c (taking a reference) and asks for a write; a full queue closes c with 1013. */
void pb_ws_push(struct pb_bridge *b, struct pb_conn *c, struct pb_frame *f);
/* Closes c with 1013: it fell behind. Its queue is dropped at once. */
void pb_ws_overflow(struct pb_bridge *b, struct pb_conn *c);
/* The request's Origin is in the allow list, or it has none (not a browser page). */
bool pb_ws_origin_ok(struct pb_bridge *b, struct lws *wsi);
/* Closes every connection with 1001 (shutdown). */
void pb_ws_close_all(struct pb_bridge *b);
/* For pb_room: the connection's user and member list. */
const char *pb_ws_user(const struct pb_conn *c);
struct pb_member **pb_ws_members(struct pb_conn *c);

/* The registry of live sessions by serial, shared with the HTTP module: answers that come
 * after a connection is gone find nothing and are dropped. */
struct pb_sessions;
struct pb_sessions *pb_sessions_new(void);
void pb_sessions_free(struct pb_sessions *s);
uint64_t pb_sessions_add(struct pb_sessions *s, void *p);
void *pb_sessions_get(const struct pb_sessions *s, uint64_t serial);
void pb_sessions_del(struct pb_sessions *s, uint64_t serial);
/* Calls fn on every live session. */
void pb_sessions_each(const struct pb_sessions *s, void (*fn)(void *p, void *arg), void *arg);

#endif
