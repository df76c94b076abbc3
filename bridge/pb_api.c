/* The JSON API: /api/login, /api/rooms, /api/rooms/{room}/messages and /presence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pb_bridge.h"
#include "pb_frame.h"
#include "pb_http.h"
#include "pb_mqtt.h"
#include "pb_store.h"
#include "pc_name.h"

/* ---- login ---- */

static void on_login(struct pb_bridge *b, uint64_t serial, int status, const char *msg,
                     const char *user, const char *token, int64_t exp)
{
    struct pb_req *r = pb_http_find(b, serial);
    if (r == NULL) {
        return;
    }
    if (status != 200) {
        pb_http_error(r, status, msg);
        return;
    }
    char buf[PB_TOKEN_MAX + 200];
    int n = snprintf(buf, sizeof buf, "{\"user\":\"%s\",\"token\":\"%s\",\"expires\":%lld}", user,
                     token, (long long)exp);
    pb_login_cookie(b, token, r->cookie, sizeof r->cookie);
    pb_http_respond(r, 200, "application/json", buf, (size_t)n);
}

void pb_api_login(struct pb_bridge *b, struct pb_req *r)
{
    cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(j, "username");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "password");
    if (!cJSON_IsObject(j) || !cJSON_IsString(u) || !cJSON_IsString(p)) {
        pb_http_error(r, 400, "send {\"username\": \"...\", \"password\": \"...\"}");
    } else if (!pc_name_valid_str(u->valuestring)) {
        pb_http_error(r, 400, pc_name_error(u->valuestring));
    } else if (p->valuestring[0] == '\0') {
        pb_http_error(r, 400, "password must not be empty");
    } else {
        pb_login_start(b, r, u->valuestring, p->valuestring, on_login);
    }
    cJSON_Delete(j);
}

/* ---- rooms ---- */

static void on_rooms(struct pb_bridge *b, uint64_t serial, const cJSON *resp)
{
    struct pb_req *r = pb_http_find(b, serial);
    if (r == NULL) {
        return;
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(resp, "data");
    const cJSON *rooms = cJSON_GetObjectItemCaseSensitive(data, "rooms");
    if (!cJSON_IsArray(rooms)) {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(resp, "error");
        pb_http_error(r, resp == NULL ? 503 : 500,
                      resp == NULL ? "the broker is not reachable"
                                   : (cJSON_IsString(err) ? err->valuestring : "bad answer"));
        return;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(out, "rooms");
    const cJSON *it;
    cJSON_ArrayForEach(it, rooms) { cJSON_AddItemToArray(arr, cJSON_Duplicate(it, true)); }
    char *text = cJSON_PrintUnformatted(out);
    cJSON_Delete(out);
    if (text == NULL) {
        pb_http_error(r, 500, "out of memory");
        return;
    }
    pb_http_respond(r, 200, "application/json", text, strlen(text));
    free(text);
}

cJSON *pb_api_list_rooms(const char *user)
{
    cJSON *cmd = cJSON_CreateObject();
    cJSON_AddStringToObject(cmd, "command", "listRooms");
    cJSON_AddStringToObject(cmd, "username", user);
    return cmd;
}

void pb_api_rooms(struct pb_bridge *b, struct pb_req *r)
{
    pb_control_call(b, pb_api_list_rooms(r->user), on_rooms, r->serial);
}

/* ---- one room: access first, then Redis ---- */

struct room_q {
    uint64_t serial;
    char room[65];
    bool presence;
    struct pb_range range;
};

static void write_entries(struct pb_json *j, const struct pb_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pb_json_raw(j, i == 0 ? "{\"id\":" : ",{\"id\":");
        pb_json_cstr(j, e[i].id);
        pb_json_raw(j, ",\"from\":");
        pb_json_cstr(j, e[i].from);
        if (pb_utf8_valid(e[i].body, e[i].body_len)) {
            pb_json_raw(j, ",\"body\":");
            pb_json_str(j, e[i].body, e[i].body_len);
        } else {
            pb_json_raw(j, ",\"body\":null,\"binary\":true");
        }
        pb_json_raw(j, ",\"ts\":");
        pb_json_i64(j, e[i].ts);
        pb_json_raw(j, "}");
    }
}

static void on_range(struct pb_bridge *b, uint64_t token, enum pb_store_status st,
                     const struct pb_entry *e, size_t n, bool more)
{
    struct room_q *q = (struct room_q *)(uintptr_t)token;
    struct pb_req *r = pb_http_find(b, q->serial);
    if (r != NULL && st != PB_STORE_OK) {
        pb_http_error(r, 503, "history is unavailable: Redis is not reachable");
    } else if (r != NULL) {
        size_t cap = 256 + n * ((size_t)b->conf.max_payload * 6 + 256);
        char *buf = malloc(cap);
        struct pb_json j;
        pb_json_init(&j, buf, buf == NULL ? 0 : cap);
        pb_json_raw(&j, "{\"room\":");
        pb_json_cstr(&j, q->room);
        pb_json_raw(&j, ",\"messages\":[");
        write_entries(&j, e, n);
        pb_json_raw(&j, more ? "],\"more\":true}" : "],\"more\":false}");
        if (pb_json_ok(&j)) {
            pb_http_respond(r, 200, "application/json", j.buf, j.len);
        } else {
            pb_http_error(r, 500, "out of memory");
        }
        free(buf);
    }
    free(q);
}

static void on_users(struct pb_bridge *b, uint64_t token, enum pb_store_status st,
                     const char *const *users, size_t n)
{
    struct room_q *q = (struct room_q *)(uintptr_t)token;
    struct pb_req *r = pb_http_find(b, q->serial);
    if (r != NULL && st != PB_STORE_OK) {
        pb_http_error(r, 503, "presence is unavailable: Redis is not reachable");
    } else if (r != NULL) {
        size_t cap = 128 + n * 70;
        char *buf = malloc(cap);
        struct pb_json j;
        pb_json_init(&j, buf, buf == NULL ? 0 : cap);
        pb_json_raw(&j, "{\"room\":");
        pb_json_cstr(&j, q->room);
        pb_json_raw(&j, ",\"users\":[");
        for (size_t i = 0; i < n; i++) {
            if (i > 0) {
                pb_json_raw(&j, ",");
            }
            pb_json_cstr(&j, users[i]);
        }
        pb_json_raw(&j, "]}");
        if (pb_json_ok(&j)) {
            pb_http_respond(r, 200, "application/json", j.buf, j.len);
        } else {
            pb_http_error(r, 500, "out of memory");
        }
        free(buf);
    }
    free(q);
}

static void on_room_access(struct pb_bridge *b, uint64_t token, const cJSON *resp)
{
    struct room_q *q = (struct room_q *)(uintptr_t)token;
    struct pb_req *r = pb_http_find(b, q->serial);
    if (r == NULL) {
        free(q);
        return;
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(resp, "data");
    const cJSON *allowed = cJSON_GetObjectItemCaseSensitive(data, "allowed");
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(data, "reason");
    if (resp == NULL) {
        pb_http_error(r, 503, "the broker is not reachable");
    } else if (!cJSON_IsTrue(allowed)) {
        char msg[200];
        snprintf(msg, sizeof msg, "you may not read room %s: %s", q->room,
                 cJSON_IsString(why) ? why->valuestring : "not allowed");
        pb_http_error(
            r, cJSON_IsString(why) && strcmp(why->valuestring, "no such room") == 0 ? 404 : 403,
            msg);
    } else if (q->presence) {
        if (pb_store_users(b, q->room, on_users, token) == 0) {
            return;
        }
        pb_http_error(r, 503, "presence is unavailable: Redis is not reachable");
    } else {
        if (pb_store_range(b, q->room, &q->range, on_range, token) == 0) {
            return;
        }
        pb_http_error(r, 503, "history is unavailable: Redis is not reachable");
    }
    free(q);
}

/* Reads ?after= ?before= ?limit=; false after answering 400. */
static bool read_range(struct pb_req *r, struct pb_range *range)
{
    char v[PB_ID_MAX];
    struct pb_id id;
    memset(range, 0, sizeof *range);
    range->limit = 50;
    if (pb_http_arg(r, "after", v, sizeof v) && v[0] != '\0') {
        if (!pb_id_parse(v, &id)) {
            pb_http_error(r, 400, "after: not a message id");
            return false;
        }
        snprintf(range->after, sizeof range->after, "%s", v);
    }
    if (pb_http_arg(r, "before", v, sizeof v) && v[0] != '\0') {
        if (!pb_id_parse(v, &id)) {
            pb_http_error(r, 400, "before: not a message id");
            return false;
        }
        snprintf(range->before, sizeof range->before, "%s", v);
    }
    if (pb_http_arg(r, "limit", v, sizeof v)) {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end != '\0' || n < 1 || n > 200) {
            pb_http_error(r, 400, "limit: a number from 1 to 200");
            return false;
        }
        range->limit = (unsigned)n;
    }
    return true;
}

void pb_api_room(struct pb_bridge *b, struct pb_req *r, const char *room, const char *what)
{
    bool presence = strcmp(what, "presence") == 0;
    if (!presence && strcmp(what, "messages") != 0) {
        pb_http_error(r, 404, "no such resource");
        return;
    }
    struct room_q *q = calloc(1, sizeof *q);
    if (q == NULL) {
        pb_http_error(r, 500, "out of memory");
        return;
    }
    if (!presence && !read_range(r, &q->range)) {
        free(q);
        return;
    }
    q->serial = r->serial;
    q->presence = presence;
    snprintf(q->room, sizeof q->room, "%s", room);
    pb_control_call(b, pb_control_check_access(r->user, room, "read"), on_room_access,
                    (uint64_t)(uintptr_t)q);
}
