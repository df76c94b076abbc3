/* The web page at /, rendered on the server so that it works without JavaScript: a login form,
 * the rooms, a room's recent history, a form to post. bridge/www/app.js upgrades the same page
 * to the live WebSocket when JavaScript runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "pb_bridge.h"
#include "pb_frame.h"
#include "pb_http.h"
#include "pb_mqtt.h"
#include "pb_store.h"
#include "pc_name.h"

#define PAGE_HISTORY 50

/* Messages for ?error= codes (never reflect the query's text into the page). */
static const char *error_text(const char *code)
{
    static const char *const map[][2] = {
        {"login", "Wrong user name or password."},
        {"throttled", "Too many failed logins. Wait a minute and try again."},
        {"auth", "Your session has ended. Log in again."},
        {"size", "That message is too long."},
        {"empty", "Write something first."},
        {"forbidden", "You may not post in this room."},
        {"rate", "You are sending too fast. Wait a moment."},
        {"unavailable", "The chat server is not reachable right now. Try again."},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(map[i][0], code) == 0) {
            return map[i][1];
        }
    }
    return code[0] != '\0' ? "Something went wrong." : NULL;
}

static void html(struct pb_json *j, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        const char *e;
        switch (s[i]) {
        case '&':
            e = "&amp;";
            break;
        case '<':
            e = "&lt;";
            break;
        case '>':
            e = "&gt;";
            break;
        case '"':
            e = "&quot;";
            break;
        case '\'':
            e = "&#39;";
            break;
        default:
            continue;
        }
        pb_json_rawn(j, s + from, i - from);
        pb_json_raw(j, e);
        from = i + 1;
    }
    pb_json_rawn(j, s + from, n - from);
}

static void html_s(struct pb_json *j, const char *s) { html(j, s, strlen(s)); }

static void head(struct pb_json *j, const char *user, const char *room)
{
    pb_json_raw(j, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                   "<title>Parley</title><link rel=\"stylesheet\" href=\"/static/style.css\">"
                   "</head>\n<body data-user=\"");
    html_s(j, user);
    pb_json_raw(j, "\" data-room=\"");
    html_s(j, room);
    pb_json_raw(j, "\">\n<header class=\"top\"><h1>Parley</h1>");
    if (user[0] != '\0') {
        pb_json_raw(j, "<span id=\"conn\" class=\"conn\" data-state=\"static\">reload for new "
                       "messages</span><form class=\"logout\" method=\"post\" action=\"/logout\">"
                       "<span class=\"me\">");
        html_s(j, user);
        pb_json_raw(j, "</span><button type=\"submit\">Log out</button></form>");
    }
    pb_json_raw(j, "</header>\n");
}

static void notice(struct pb_json *j, const char *text)
{
    pb_json_raw(j, "<div id=\"notice\" class=\"notice\" role=\"alert\"");
    pb_json_raw(j, text == NULL ? " hidden>" : ">");
    if (text != NULL) {
        html_s(j, text);
    }
    pb_json_raw(j, "</div>\n");
}

static void respond_page(struct pb_req *r, struct pb_json *j)
{
    pb_json_raw(j, "<script src=\"/static/app.js\" defer></script>\n</body></html>\n");
    if (pb_json_ok(j)) {
        pb_http_respond(r, 200, "text/html; charset=utf-8", j->buf, j->len);
    } else {
        pb_http_error(r, 500, "page too large");
    }
}

static void login_page(struct pb_req *r, const char *err)
{
    char buf[8192];
    struct pb_json j;
    pb_json_init(&j, buf, sizeof buf);
    head(&j, "", "");
    pb_json_raw(&j, "<main class=\"login\"><form id=\"login\" method=\"post\" action=\"/login\">"
                    "<h2>Log in</h2>");
    notice(&j, err);
    pb_json_raw(&j, "<label>User name <input name=\"username\" autocomplete=\"username\" "
                    "required maxlength=\"64\" autofocus></label>"
                    "<label>Password <input name=\"password\" type=\"password\" "
                    "autocomplete=\"current-password\" required></label>"
                    "<button type=\"submit\">Log in</button></form></main>\n");
    respond_page(r, &j);
}

/* ---- the chat page: listRooms, then the room's history, then render ---- */

struct page {
    uint64_t serial;
    char user[65];
    char room[65];
    char error[32];
    cJSON *rooms; /* owned: the rooms array of the listRooms answer */
};

static void free_page(struct page *p)
{
    cJSON_Delete(p->rooms);
    free(p);
}

static void render(struct pb_bridge *b, struct page *p, const struct pb_entry *e, size_t n,
                   bool history_ok)
{
    struct pb_req *r = pb_http_find(b, p->serial);
    if (r == NULL) {
        return;
    }
    size_t cap = 16384 + n * ((size_t)b->conf.max_payload * 6 + 512);
    char *buf = malloc(cap);
    if (buf == NULL) {
        pb_http_error(r, 500, "out of memory");
        return;
    }
    struct pb_json j;
    pb_json_init(&j, buf, cap);
    head(&j, p->user, p->room);
    pb_json_raw(&j, "<main class=\"chat\">\n<nav class=\"rooms\"><h2>Rooms</h2><ul id=\"rooms\">");
    const cJSON *it;
    cJSON_ArrayForEach(it, p->rooms)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "room");
        const cJSON *vis = cJSON_GetObjectItemCaseSensitive(it, "visibility");
        if (!cJSON_IsString(name)) {
            continue;
        }
        pb_json_raw(&j, "<li><a href=\"/?room=");
        html_s(&j, name->valuestring);
        pb_json_raw(&j, strcmp(name->valuestring, p->room) == 0 ? "\" class=\"current\"" : "\"");
        pb_json_raw(&j, " data-room=\"");
        html_s(&j, name->valuestring);
        pb_json_raw(&j, "\">#");
        html_s(&j, name->valuestring);
        if (cJSON_IsString(vis) && strcmp(vis->valuestring, "private") == 0) {
            pb_json_raw(&j, " <small>private</small>");
        }
        pb_json_raw(&j, "</a></li>");
    }
    pb_json_raw(&j, "</ul></nav>\n<section class=\"room\">");
    if (p->room[0] == '\0') {
        pb_json_raw(&j, "<h2>No rooms</h2>");
        notice(&j, "You are in no room yet. Ask an owner to add you.");
        pb_json_raw(&j, "</section>\n</main>\n");
        respond_page(r, &j);
        free(buf);
        return;
    }
    pb_json_raw(&j, "<h2 id=\"room-title\">#");
    html_s(&j, p->room);
    pb_json_raw(&j, "</h2>");
    const char *err = error_text(p->error);
    notice(&j, err != NULL ? err
                           : (history_ok ? NULL
                                         : "History is unavailable right now (storage is "
                                           "not reachable)."));
    pb_json_raw(&j, "<ol id=\"messages\" class=\"messages\" aria-live=\"polite\">");
    for (size_t i = 0; i < n; i++) {
        char when[16];
        time_t t = (time_t)(e[i].ts / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%H:%M", &tm);
        pb_json_raw(&j, "<li class=\"msg\" data-id=\"");
        html_s(&j, e[i].id);
        pb_json_raw(&j, "\" data-ts=\"");
        pb_json_i64(&j, e[i].ts);
        pb_json_raw(&j, "\"><span class=\"from\">");
        html_s(&j, e[i].from);
        pb_json_raw(&j, "</span> <time>");
        pb_json_raw(&j, when);
        pb_json_raw(&j, "</time><p class=\"body\">");
        if (pb_utf8_valid(e[i].body, e[i].body_len)) {
            html(&j, e[i].body, e[i].body_len);
        } else {
            pb_json_raw(&j, "<em>(binary data)</em>");
        }
        pb_json_raw(&j, "</p></li>");
    }
    pb_json_raw(&j, "</ol>\n<div id=\"typing\" class=\"typing\" aria-live=\"polite\"></div>"
                    "<form id=\"send\" class=\"send\" method=\"post\" action=\"/rooms/");
    html_s(&j, p->room);
    char max[16];
    snprintf(max, sizeof max, "%u", b->conf.max_payload);
    pb_json_raw(&j, "/send\"><input id=\"body\" name=\"body\" autocomplete=\"off\" required "
                    "maxlength=\"");
    pb_json_raw(&j, max);
    pb_json_raw(&j, "\" placeholder=\"Message #");
    html_s(&j, p->room);
    pb_json_raw(&j, "\"><button type=\"submit\">Send</button></form>"
                    "<p class=\"nojs\"><a href=\"/?room=");
    html_s(&j, p->room);
    pb_json_raw(&j, "\">Refresh</a> to see new messages.</p></section>\n"
                    "<aside class=\"people\"><h2>Online</h2><ul id=\"people\"></ul></aside>\n"
                    "</main>\n");
    respond_page(r, &j);
    free(buf);
}

static void on_history(struct pb_bridge *b, uint64_t token, enum pb_store_status st,
                       const struct pb_entry *e, size_t n, bool more)
{
    (void)more;
    struct page *p = (struct page *)(uintptr_t)token;
    render(b, p, e, n, st == PB_STORE_OK);
    free_page(p);
}

static void on_rooms(struct pb_bridge *b, uint64_t token, const cJSON *resp)
{
    struct page *p = (struct page *)(uintptr_t)token;
    struct pb_req *r = pb_http_find(b, p->serial);
    const cJSON *rooms =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "data"), "rooms");
    if (r == NULL || !cJSON_IsArray(rooms)) {
        if (r != NULL) {
            pb_http_error(r, 503, "the broker is not reachable; reload in a moment");
        }
        free_page(p);
        return;
    }
    p->rooms = cJSON_Duplicate(rooms, true);
    /* The asked room if the user may read it, else lobby, else the first one. */
    const char *pick = NULL, *first = NULL, *lobby = NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, rooms)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "room");
        if (!cJSON_IsString(name)) {
            continue;
        }
        first = first ? first : name->valuestring;
        lobby = strcmp(name->valuestring, "lobby") == 0 ? name->valuestring : lobby;
        pick = strcmp(name->valuestring, p->room) == 0 ? name->valuestring : pick;
    }
    pick = pick ? pick : (lobby ? lobby : first);
    snprintf(p->room, sizeof p->room, "%s", pick ? pick : "");
    struct pb_range range = {.limit = PAGE_HISTORY};
    if (p->room[0] == '\0' || pb_store_range(b, p->room, &range, on_history, token) != 0) {
        render(b, p, NULL, 0, p->room[0] == '\0');
        free_page(p);
    }
}

void pb_page_get(struct pb_bridge *b, struct pb_req *r)
{
    char err[32] = "";
    pb_http_arg(r, "error", err, sizeof err);
    if (r->user[0] == '\0') {
        login_page(r, error_text(err));
        return;
    }
    struct page *p = calloc(1, sizeof *p);
    if (p == NULL) {
        pb_http_error(r, 500, "out of memory");
        return;
    }
    p->serial = r->serial;
    snprintf(p->user, sizeof p->user, "%s", r->user);
    snprintf(p->error, sizeof p->error, "%s", err);
    char room[65];
    if (pb_http_arg(r, "room", room, sizeof room) && pc_name_valid_str(room)) {
        snprintf(p->room, sizeof p->room, "%s", room);
    }
    pb_control_call(b, pb_api_list_rooms(r->user), on_rooms, (uint64_t)(uintptr_t)p);
}

/* ---- the forms ---- */

static void on_form_login(struct pb_bridge *b, uint64_t serial, int status, const char *msg,
                          const char *user, const char *token, int64_t exp)
{
    (void)msg;
    (void)user;
    (void)exp;
    struct pb_req *r = pb_http_find(b, serial);
    if (r == NULL) {
        return;
    }
    if (status == 200) {
        pb_login_cookie(b, token, r->cookie, sizeof r->cookie);
        pb_http_redirect(r, "/");
    } else {
        pb_http_redirect(r, status == 429
                                ? "/?error=throttled"
                                : (status == 401 ? "/?error=login" : "/?error=unavailable"));
    }
}

void pb_page_login(struct pb_bridge *b, struct pb_req *r)
{
    char user[65], pw[256];
    if (!pb_form_get(r->body, r->body_len, "username", user, sizeof user) ||
        !pb_form_get(r->body, r->body_len, "password", pw, sizeof pw) || !pc_name_valid_str(user) ||
        pw[0] == '\0') {
        pb_http_redirect(r, "/?error=login");
        return;
    }
    pb_login_start(b, r, user, pw, on_form_login);
}

struct form_post {
    uint64_t serial;
    char room[65];
    char user[65];
};

static void back_to_room(struct pb_req *r, const char *room, const char *error)
{
    char loc[200];
    snprintf(loc, sizeof loc, "/?room=%s%s%s", room, error ? "&error=" : "", error ? error : "");
    pb_http_redirect(r, loc);
}

static void on_form_access(struct pb_bridge *b, uint64_t token, const cJSON *resp)
{
    struct form_post *f = (struct form_post *)(uintptr_t)token;
    struct pb_req *r = pb_http_find(b, f->serial);
    const cJSON *allowed =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "data"), "allowed");
    if (r != NULL) {
        back_to_room(r, f->room, cJSON_IsFalse(allowed) ? "forbidden" : "rate");
    }
    free(f);
}

static void on_form_posted(struct pb_bridge *b, uint64_t token, enum pb_post_status st,
                           const char *id)
{
    (void)id;
    struct form_post *f = (struct form_post *)(uintptr_t)token;
    struct pb_req *r = pb_http_find(b, f->serial);
    if (r != NULL && st == PB_POST_REFUSED) {
        pb_control_call(b, pb_control_check_access(f->user, f->room, "write"), on_form_access,
                        token);
        return;
    }
    if (r != NULL) {
        back_to_room(r, f->room, st == PB_POST_OK ? NULL : "unavailable");
    }
    free(f);
}

void pb_page_send(struct pb_bridge *b, struct pb_req *r, const char *room)
{
    if (r->user[0] == '\0') {
        pb_http_redirect(r, "/?error=auth");
        return;
    }
    size_t cap = (size_t)b->conf.max_payload + 2;
    char *body = malloc(cap);
    if (body == NULL) {
        pb_http_error(r, 500, "out of memory");
        return;
    }
    bool got = pb_form_get(r->body, r->body_len, "body", body, cap);
    struct form_post *f = got && body[0] != '\0' ? calloc(1, sizeof *f) : NULL;
    if (!got && strstr(r->body, "body=") != NULL) {
        back_to_room(r, room, "size");
    } else if (!got || body[0] == '\0') {
        back_to_room(r, room, "empty");
    } else if (strlen(body) > b->conf.max_payload) {
        back_to_room(r, room, "size");
    } else if (f == NULL) {
        pb_http_error(r, 500, "out of memory");
    } else {
        f->serial = r->serial;
        snprintf(f->room, sizeof f->room, "%s", room);
        snprintf(f->user, sizeof f->user, "%s", r->user);
        pb_mqtt_post(b, room, r->user, body, strlen(body), on_form_posted, (uint64_t)(uintptr_t)f);
        f = NULL;
    }
    free(f);
    free(body);
}
