/* The parley.v1 WebSocket protocol: frames in, validation, join with resume, posts, errors. */
#include "pb_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pb_bridge.h"
#include "pb_frame.h"
#include "pb_log.h"
#include "pb_mqtt.h"
#include "pb_room.h"
#include "pb_store.h"
#include "pb_token.h"
#include "pc_name.h"

#define WRITES_PER_CALLBACK 32
/* lws_write()'s close opcode: lws-write.h keeps it out of the enum ("handled by
 * lws_close_reason"), which does not work from WRITEABLE; its value is the RFC 6455 opcode 8's
 * position in lws' enum, 4. */
#define PB_WS_OPCODE_CLOSE 4

static struct pb_bridge *bridge_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

const char *pb_ws_user(const struct pb_conn *c) { return c->user; }

struct pb_member **pb_ws_members(struct pb_conn *c) { return &c->members; }

/* ---- sending ---- */

void pb_ws_overflow(struct pb_bridge *b, struct pb_conn *c)
{
    if (c->close_code != 0) {
        return;
    }
    c->close_code = 1013;
    c->close_reason = "send queue full: reading too slowly";
    b->metrics.ws_queue_frames -= c->q.len;
    pb_sendq_clear(&c->q);
    b->metrics.ws_closed_slow++;
    pb_log(PB_LOG_WARNING, "ws: %s fell behind: closed with 1013", c->user[0] ? c->user : "-");
    lws_callback_on_writable(c->wsi);
    /* A peer that reads nothing never makes the socket writable: cut it after 2 s. */
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, 2);
}

void pb_ws_push(struct pb_bridge *b, struct pb_conn *c, struct pb_frame *f)
{
    if (c->close_code != 0) {
        return;
    }
    switch (pb_sendq_push(&c->q, f, b->conf.ws_queue_msgs, b->conf.ws_queue_bytes)) {
    case PB_SENDQ_OK:
        b->metrics.ws_queue_frames++;
        lws_callback_on_writable(c->wsi);
        break;
    case PB_SENDQ_FULL:
    case PB_SENDQ_NOMEM:
        pb_ws_overflow(b, c);
        break;
    }
}

static void send_text(struct pb_bridge *b, struct pb_conn *c, const struct pb_json *j)
{
    if (!pb_json_ok(j)) {
        return;
    }
    struct pb_frame *f = pb_frame_new(j->buf, j->len);
    if (f != NULL) {
        pb_ws_push(b, c, f);
        pb_frame_unref(f);
    }
}

static void send_error(struct pb_bridge *b, struct pb_conn *c, const char *code, const char *msg,
                       const char *id, const char *room)
{
    char buf[1024];
    struct pb_json j;
    pb_json_init(&j, buf, sizeof buf);
    pb_json_raw(&j, "{\"type\":\"error\",\"code\":");
    pb_json_cstr(&j, code);
    pb_json_raw(&j, ",\"message\":");
    pb_json_cstr(&j, msg);
    if (id != NULL) {
        pb_json_raw(&j, ",\"id\":");
        pb_json_cstr(&j, id);
    }
    if (room != NULL) {
        pb_json_raw(&j, ",\"room\":");
        pb_json_cstr(&j, room);
    }
    pb_json_raw(&j, "}");
    send_text(b, c, &j);
    b->metrics.ws_errors++;
}

static void send_simple(struct pb_bridge *b, struct pb_conn *c, const char *type, const char *k,
                        const char *v)
{
    char buf[256];
    struct pb_json j;
    pb_json_init(&j, buf, sizeof buf);
    pb_json_raw(&j, "{\"type\":");
    pb_json_cstr(&j, type);
    pb_json_raw(&j, ",\"");
    pb_json_raw(&j, k);
    pb_json_raw(&j, "\":");
    pb_json_cstr(&j, v);
    pb_json_raw(&j, "}");
    send_text(b, c, &j);
}

static void send_joined(struct pb_bridge *b, struct pb_conn *c, const char *room, bool recovered,
                        size_t replayed)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf,
                     "{\"type\":\"joined\",\"room\":\"%s\",\"recovered\":%s,\"replayed\":%zu}",
                     room, recovered ? "true" : "false", replayed);
    struct pb_json j = {buf, sizeof buf, (size_t)n, false};
    send_text(b, c, &j);
}

/* ---- answers that come later: an op names the connection by serial ---- */

struct op {
    uint64_t serial;
    char room[65];
    char since[PB_ID_MAX];
    char id[65];
    bool has_id;
};

static struct op *new_op(const struct pb_conn *c, const char *room)
{
    struct op *o = calloc(1, sizeof *o);
    if (o != NULL) {
        o->serial = c->serial;
        snprintf(o->room, sizeof o->room, "%s", room);
    }
    return o;
}

static struct pb_conn *op_conn(struct pb_bridge *b, const struct op *o)
{
    struct pb_conn *c = pb_sessions_get(b->sessions, o->serial);
    return c != NULL && c->close_code == 0 ? c : NULL;
}

static const char *op_id(const struct op *o) { return o->has_id ? o->id : NULL; }

/* Reads a checkAccess answer: 1 allowed, 0 denied (reason set), -1 no answer. */
static int access_answer(const cJSON *resp, const char **reason)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(resp, "data");
    const cJSON *allowed = cJSON_GetObjectItemCaseSensitive(data, "allowed");
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(data, "reason");
    *reason = cJSON_IsString(why) ? why->valuestring : "not allowed";
    if (!cJSON_IsBool(allowed)) {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(resp, "error");
        *reason = cJSON_IsString(err) ? err->valuestring : "no answer from the broker";
        return -1;
    }
    return cJSON_IsTrue(allowed) ? 1 : 0;
}

static void on_resume(struct pb_bridge *b, uint64_t token, enum pb_store_status st,
                      const struct pb_entry *e, size_t n, bool recovered, const char *last)
{
    (void)last;
    struct op *o = (struct op *)(uintptr_t)token;
    struct pb_conn *c = op_conn(b, o);
    struct pb_member *m = c == NULL ? NULL : pb_room_find(c, o->room);
    if (m == NULL) {
        free(o);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct pb_msg msg = {o->room, e[i].from, e[i].body, e[i].body_len, e[i].ts, e[i].id};
        struct pb_frame *f = pb_room_frame(b, &msg);
        if (f != NULL) {
            pb_ws_push(b, c, f);
            pb_frame_unref(f);
        }
    }
    /* From now on nothing at or before the cursor (or the last replayed) comes twice. When the
     * gap is not whole and nothing was replayed, the cursor may be from a lost stream: keep all. */
    const char *upto = n > 0 ? e[n - 1].id : (recovered ? o->since : "");
    bool ok = st == PB_STORE_OK;
    send_joined(b, c, o->room, ok && recovered, n);
    pb_room_replay_done(b, m, upto);
    free(o);
}

static void on_join_access(struct pb_bridge *b, uint64_t token, const cJSON *resp)
{
    struct op *o = (struct op *)(uintptr_t)token;
    struct pb_conn *c = op_conn(b, o);
    if (c == NULL) {
        free(o);
        return;
    }
    const char *reason;
    int a = resp == NULL ? -1 : access_answer(resp, &reason);
    if (a != 1) {
        send_error(b, c, a == 0 ? "forbidden" : "unavailable",
                   a == 0 ? reason : "the broker did not answer; try again", NULL, o->room);
        free(o);
        return;
    }
    if (pb_room_find(c, o->room) != NULL) { /* two joins crossed */
        send_joined(b, c, o->room, true, 0);
        free(o);
        return;
    }
    if (c->nrooms >= PB_WS_MAX_ROOMS) {
        send_error(b, c, "bad_frame", "too many rooms joined on one connection", NULL, o->room);
        free(o);
        return;
    }
    bool resume = o->since[0] != '\0';
    struct pb_member *m = pb_room_join(b, c, o->room, resume);
    if (m == NULL) {
        send_error(b, c, "internal", "out of memory", NULL, o->room);
        free(o);
        return;
    }
    c->nrooms++;
    if (!resume) {
        send_joined(b, c, o->room, true, 0);
        free(o);
        return;
    }
    if (pb_store_resume(b, o->room, o->since, PB_WS_REPLAY_MAX, on_resume,
                        (uint64_t)(uintptr_t)o) != 0) {
        /* Redis away: live messages flow, the gap cannot be known to be whole. */
        send_joined(b, c, o->room, false, 0);
        pb_room_replay_done(b, m, "");
        free(o);
    }
}

static void on_post_access(struct pb_bridge *b, uint64_t token, const cJSON *resp)
{
    struct op *o = (struct op *)(uintptr_t)token;
    struct pb_conn *c = op_conn(b, o);
    if (c != NULL) {
        const char *reason;
        int a = resp == NULL ? -1 : access_answer(resp, &reason);
        if (a == 0) {
            send_error(b, c, "forbidden", reason, op_id(o), o->room);
        } else {
            send_error(b, c, "rate_limited",
                       "the broker refused the message: too many messages, slow down", op_id(o),
                       o->room);
        }
    }
    free(o);
}

static void on_posted(struct pb_bridge *b, uint64_t token, enum pb_post_status st, const char *id)
{
    struct op *o = (struct op *)(uintptr_t)token;
    struct pb_conn *c = op_conn(b, o);
    if (c == NULL) {
        free(o);
        return;
    }
    if (st == PB_POST_OK) {
        char buf[256];
        struct pb_json j;
        pb_json_init(&j, buf, sizeof buf);
        pb_json_raw(&j, "{\"type\":\"ack\"");
        if (o->has_id) {
            pb_json_raw(&j, ",\"id\":");
            pb_json_cstr(&j, o->id);
        }
        pb_json_raw(&j, ",\"room\":");
        pb_json_cstr(&j, o->room);
        pb_json_raw(&j, ",\"msgid\":");
        pb_json_cstr(&j, id);
        pb_json_raw(&j, "}");
        send_text(b, c, &j);
        free(o);
    } else if (st == PB_POST_REFUSED) {
        /* The PUBACK says only "refused": ask the plugin whether it is the room or the rate. */
        pb_control_call(b, pb_control_check_access(c->user, o->room, "write"), on_post_access,
                        token);
    } else {
        send_error(b, c, "unavailable", "the broker is not reachable; the message was not sent",
                   op_id(o), o->room);
        free(o);
    }
}

/* ---- frames in ---- */

static const char *str_field(const cJSON *f, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The "room" field, checked; NULL after sending the error. */
static const char *room_field(struct pb_bridge *b, struct pb_conn *c, const cJSON *f,
                              const char *id)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, "room");
    if (!cJSON_IsString(v)) {
        send_error(b, c, "bad_frame", "missing field \"room\" (a string)", id, NULL);
        return NULL;
    }
    if (!pc_name_valid_str(v->valuestring)) {
        send_error(b, c, "bad_room", pc_name_error(v->valuestring), id, NULL);
        return NULL;
    }
    return v->valuestring;
}

static void frame_auth(struct pb_bridge *b, struct pb_conn *c, const cJSON *f)
{
    const char *token = str_field(f, "token");
    if (token == NULL) {
        send_error(b, c, "bad_frame", "missing field \"token\" (a string)", NULL, NULL);
        return;
    }
    if (c->authed) {
        send_error(b, c, "bad_frame", "already authenticated", NULL, NULL);
        return;
    }
    char user[65];
    enum pp_jwt_result r = pb_token_verify(b->jwt, token, user);
    if (r != PP_JWT_OK) {
        send_error(b, c, "unauthorized", pp_jwt_result_str(r), NULL, NULL);
        return;
    }
    snprintf(c->user, sizeof c->user, "%s", user);
    c->authed = true;
    send_simple(b, c, "ready", "user", c->user);
}

static void frame_join(struct pb_bridge *b, struct pb_conn *c, const cJSON *f)
{
    const char *room = room_field(b, c, f, NULL);
    if (room == NULL) {
        return;
    }
    const cJSON *since = cJSON_GetObjectItemCaseSensitive(f, "since");
    struct pb_id id;
    if (since != NULL && !cJSON_IsNull(since) &&
        (!cJSON_IsString(since) ||
         (since->valuestring[0] != '\0' && !pb_id_parse(since->valuestring, &id)))) {
        send_error(b, c, "bad_frame",
                   "field \"since\" must be a message id like \"1733430000000-0\"", NULL, room);
        return;
    }
    if (pb_room_find(c, room) != NULL) {
        send_joined(b, c, room, true, 0);
        return;
    }
    struct op *o = new_op(c, room);
    if (o == NULL) {
        send_error(b, c, "internal", "out of memory", NULL, room);
        return;
    }
    if (cJSON_IsString(since)) {
        snprintf(o->since, sizeof o->since, "%s", since->valuestring);
    }
    pb_control_call(b, pb_control_check_access(c->user, room, "read"), on_join_access,
                    (uint64_t)(uintptr_t)o);
}

static void frame_leave(struct pb_bridge *b, struct pb_conn *c, const cJSON *f)
{
    const char *room = room_field(b, c, f, NULL);
    if (room == NULL) {
        return;
    }
    struct pb_member *m = pb_room_find(c, room);
    if (m == NULL) {
        send_error(b, c, "not_joined", "not in this room", NULL, room);
        return;
    }
    char name[65];
    snprintf(name, sizeof name, "%s", room);
    pb_room_leave(b, m);
    c->nrooms--;
    send_simple(b, c, "left", "room", name);
}

static void frame_send(struct pb_bridge *b, struct pb_conn *c, const cJSON *f)
{
    const cJSON *idv = cJSON_GetObjectItemCaseSensitive(f, "id");
    if (idv != NULL && (!cJSON_IsString(idv) || strlen(idv->valuestring) > 64)) {
        send_error(b, c, "bad_frame", "field \"id\" must be a string of at most 64 bytes", NULL,
                   NULL);
        return;
    }
    const char *id = idv == NULL ? NULL : idv->valuestring;
    const char *room = room_field(b, c, f, id);
    if (room == NULL) {
        return;
    }
    const char *body = str_field(f, "body");
    if (body == NULL) {
        send_error(b, c, "bad_frame", "missing field \"body\" (a string)", id, room);
        return;
    }
    size_t len = strlen(body);
    if (len == 0) {
        send_error(b, c, "bad_frame", "field \"body\" must not be empty", id, room);
        return;
    }
    if (len > b->conf.max_payload) {
        char msg[128];
        snprintf(msg, sizeof msg, "message is %zu bytes; the limit is %u", len,
                 b->conf.max_payload);
        send_error(b, c, "too_large", msg, id, room);
        return;
    }
    struct op *o = new_op(c, room);
    if (o == NULL) {
        send_error(b, c, "internal", "out of memory", id, room);
        return;
    }
    if (id != NULL) {
        snprintf(o->id, sizeof o->id, "%s", id);
        o->has_id = true;
    }
    pb_mqtt_post(b, room, c->user, body, len, on_posted, (uint64_t)(uintptr_t)o);
}

static void frame_typing(struct pb_bridge *b, struct pb_conn *c, const cJSON *f)
{
    const char *room = room_field(b, c, f, NULL);
    if (room == NULL) {
        return;
    }
    if (pb_room_find(c, room) == NULL) {
        send_error(b, c, "not_joined", "join the room first", NULL, room);
        return;
    }
    pb_mqtt_typing(b, room, c->user);
    pb_room_typing(b, room, c->user);
    pb_store_typing(b, room, c->user);
}

static void handle_frame(struct pb_bridge *b, struct pb_conn *c, const char *text, size_t len)
{
    b->metrics.ws_frames_in++;
    if (!pb_utf8_valid(text, len)) {
        send_error(b, c, "bad_json", "frame is not valid UTF-8", NULL, NULL);
        return;
    }
    cJSON *f = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(f)) {
        send_error(b, c, "bad_json", f == NULL ? "not JSON" : "a frame must be a JSON object", NULL,
                   NULL);
        cJSON_Delete(f);
        return;
    }
    const char *type = str_field(f, "type");
    if (type == NULL) {
        send_error(b, c, "bad_frame", "missing field \"type\" (a string)", NULL, NULL);
    } else if (strcmp(type, "auth") == 0) {
        frame_auth(b, c, f);
    } else if (!c->authed && (strcmp(type, "join") == 0 || strcmp(type, "leave") == 0 ||
                              strcmp(type, "send") == 0 || strcmp(type, "typing") == 0)) {
        send_error(b, c, "not_authenticated", "send an auth frame first", NULL, NULL);
    } else if (strcmp(type, "join") == 0) {
        frame_join(b, c, f);
    } else if (strcmp(type, "leave") == 0) {
        frame_leave(b, c, f);
    } else if (strcmp(type, "send") == 0) {
        frame_send(b, c, f);
    } else if (strcmp(type, "typing") == 0) {
        frame_typing(b, c, f);
    } else {
        char msg[96];
        snprintf(msg, sizeof msg, "unknown frame type \"%.40s\"", type);
        send_error(b, c, "bad_frame", msg, NULL, NULL);
    }
    cJSON_Delete(f);
}

/* ---- the libwebsockets protocol ---- */

/* The parley_token cookie of the upgrade request, verified; true when it names a user. */
static bool cookie_login(struct pb_bridge *b, struct pb_conn *c)
{
    char token[PB_TOKEN_MAX];
    size_t max = sizeof token;
    if (lws_http_cookie_get(c->wsi, "parley_token", token, &max) != 0) {
        return false;
    }
    token[max < sizeof token ? max : sizeof token - 1] = '\0';
    char user[65];
    if (pb_token_verify(b->jwt, token, user) != PP_JWT_OK) {
        return false;
    }
    snprintf(c->user, sizeof c->user, "%s", user);
    return true;
}

bool pb_ws_origin_ok(struct pb_bridge *b, struct lws *wsi)
{
    char origin[256];
    int n = lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN);
    if (n <= 0) {
        return lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) == 0;
    }
    return pb_conf_origin_allowed(&b->conf, origin, (size_t)n);
}

static int receive(struct pb_bridge *b, struct pb_conn *c, const char *in, size_t len)
{
    if (lws_frame_is_binary(c->wsi)) {
        if (lws_is_final_fragment(c->wsi)) {
            send_error(b, c, "bad_frame", "frames are JSON text, not binary", NULL, NULL);
        }
        return 0;
    }
    bool first = lws_is_first_fragment(c->wsi), last = lws_is_final_fragment(c->wsi);
    if (first && last && c->rx == NULL) {
        handle_frame(b, c, in, len);
        return 0;
    }
    if (c->rx_len + len > PB_WS_MAX_FRAME) {
        return -1;
    }
    if (c->rx == NULL) {
        c->rx = malloc(PB_WS_MAX_FRAME);
        if (c->rx == NULL) {
            return -1;
        }
        c->rx_len = 0;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (last) {
        handle_frame(b, c, c->rx, c->rx_len);
        free(c->rx);
        c->rx = NULL;
        c->rx_len = 0;
    }
    return 0;
}

static int write_some(struct pb_bridge *b, struct pb_conn *c)
{
    if (c->close_code != 0) {
        /* The close frame is written here: returning -1 after lws_close_reason() from a
         * WRITEABLE callback drops the connection without one (libwebsockets 4.1). */
        unsigned char frame[LWS_PRE + 125];
        size_t n = strlen(c->close_reason);
        n = n > 120 ? 120 : n;
        frame[LWS_PRE] = (unsigned char)(c->close_code >> 8);
        frame[LWS_PRE + 1] = (unsigned char)(c->close_code & 0xff);
        memcpy(frame + LWS_PRE + 2, c->close_reason, n);
        lws_write(c->wsi, frame + LWS_PRE, n + 2, (enum lws_write_protocol)PB_WS_OPCODE_CLOSE);
        return -1;
    }
    for (int i = 0; i < WRITES_PER_CALLBACK; i++) {
        struct pb_frame *f = pb_sendq_peek(&c->q);
        if (f == NULL) {
            return 0;
        }
        if (lws_write(c->wsi, (unsigned char *)pb_frame_text(f), f->len, LWS_WRITE_TEXT) <
            (int)f->len) {
            return -1;
        }
        pb_sendq_pop(&c->q);
        b->metrics.ws_queue_frames--;
        if (lws_send_pipe_choked(c->wsi)) {
            break;
        }
    }
    if (c->q.len > 0) {
        lws_callback_on_writable(c->wsi);
    }
    return 0;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    struct pb_conn *c = user;
    struct pb_bridge *b = bridge_of(wsi);
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        char uri[64];
        const char *why = b->stopping ? "shutting down" : NULL;
        if (why == NULL && (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 ||
                            strcmp(uri, "/ws") != 0)) {
            why = "not /ws";
        }
        if (why == NULL && !pb_ws_origin_ok(b, wsi)) {
            why = "Origin not allowed";
        }
        if (why != NULL) {
            pb_log(PB_LOG_INFO, "ws: upgrade refused (%s)", why);
            return 1;
        }
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        c->wsi = wsi;
        c->serial = pb_sessions_add(b->sessions, c);
        if (c->serial == 0) {
            return -1;
        }
        b->metrics.ws_connections++;
        if (cookie_login(b, c)) {
            c->authed = true;
            send_simple(b, c, "ready", "user", c->user);
        }
        return 0;
    case LWS_CALLBACK_RECEIVE:
        if (receive(b, c, in, len) != 0) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                             (unsigned char *)"frame too large", 15);
            return -1;
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return write_some(b, c);
    case LWS_CALLBACK_CLOSED:
        if (c->serial != 0) {
            pb_room_leave_all(b, c);
            b->metrics.ws_queue_frames -= c->q.len;
            pb_sendq_clear(&c->q);
            free(c->rx);
            c->rx = NULL;
            pb_sessions_del(b->sessions, c->serial);
            c->serial = 0;
            b->metrics.ws_connections--;
        }
        return 0;
    default:
        return 0;
    }
}

static void close_one(void *p, void *arg)
{
    (void)arg;
    struct pb_conn *c = p;
    if (c->close_code != 0) {
        return;
    }
    c->close_code = LWS_CLOSE_STATUS_GOINGAWAY;
    c->close_reason = "server shutting down";
    lws_callback_on_writable(c->wsi);
}

void pb_ws_close_all(struct pb_bridge *b) { pb_sessions_each(b->sessions, close_one, NULL); }

const struct lws_protocols pb_ws_protocol = {
    "parley.v1", ws_callback, sizeof(struct pb_conn), 2048, 0, NULL, 0,
};
