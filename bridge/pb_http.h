/* HTTP: the JSON API under /api, the web page at / (works without JavaScript), its forms,
 * /static/ files, /healthz and /metrics. One request at a time per connection (keep-alive). */
#ifndef PB_HTTP_H
#define PB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "pb_token.h"

struct pb_bridge;

#define PB_HTTP_MAX_BODY 16384

extern const struct lws_protocols pb_http_protocol;

/* One request; libwebsockets' per-session data of the HTTP protocol. */
struct pb_req {
    struct lws *wsi;
    uint64_t serial; /* 0 between requests */
    bool post;
    char path[256];
    char addr[64];
    char user[65]; /* from a bearer token or the cookie; "" when none */
    char *body;
    size_t body_len;
    bool body_too_big;
    /* the answer */
    bool ready, headers_sent;
    int status;
    const char *ctype;
    char location[300];
    char cookie[PB_TOKEN_MAX + 128];
    unsigned char *resp; /* LWS_PRE bytes of headroom, then resp_len bytes */
    size_t resp_len;
};

/* Sets the answer (copies text) and asks to write it. */
void pb_http_respond(struct pb_req *r, int status, const char *ctype, const char *text, size_t len);
/* {"error": msg} with status. */
void pb_http_error(struct pb_req *r, int status, const char *msg);
/* 303 to location. */
void pb_http_redirect(struct pb_req *r, const char *location);
/* The request a later answer belongs to, or NULL when its connection has gone. */
struct pb_req *pb_http_find(struct pb_bridge *b, uint64_t serial);

/* Routes (pb_api.c, pb_page.c). */
void pb_api_login(struct pb_bridge *b, struct pb_req *r);
void pb_api_rooms(struct pb_bridge *b, struct pb_req *r);
void pb_api_room(struct pb_bridge *b, struct pb_req *r, const char *room, const char *what);
void pb_page_get(struct pb_bridge *b, struct pb_req *r);
void pb_page_login(struct pb_bridge *b, struct pb_req *r);
void pb_page_send(struct pb_bridge *b, struct pb_req *r, const char *room);

/* A new listRooms command: the rooms user may read (the bridge asks on the user's behalf). */
struct cJSON;
struct cJSON *pb_api_list_rooms(const char *user);

/* Reads field name from an application/x-www-form-urlencoded body, decoded. False if absent. */
bool pb_form_get(const char *body, size_t len, const char *name, char *out, size_t cap);
/* A query argument of the request, decoded; false if absent. */
bool pb_http_arg(struct pb_req *r, const char *name, char *out, size_t cap);

/* Checks username/password through the plugin's authenticate command, then mints a token.
 * cb gets status 200 (token, exp set), 401, 429 or 503 with a message. */
typedef void (*pb_login_cb)(struct pb_bridge *b, uint64_t serial, int status, const char *msg,
                            const char *user, const char *token, int64_t exp);
void pb_login_start(struct pb_bridge *b, struct pb_req *r, const char *user, const char *password,
                    pb_login_cb cb);
/* The Set-Cookie value for a token (or a clearing one when token is NULL). */
void pb_login_cookie(const struct pb_bridge *b, const char *token, char *out, size_t cap);

#endif
