/* The HTTP protocol: request lifecycle, routing, answers, static files, health and metrics. */
#include "pb_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pb_bridge.h"
#include "pb_log.h"
#include "pb_metrics.h"
#include "pb_mqtt.h"
#include "pb_store.h"
#include "pb_ws.h"
#include "pc_name.h"

static struct pb_bridge *bridge_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

struct pb_req *pb_http_find(struct pb_bridge *b, uint64_t serial)
{
    return pb_sessions_get(b->http_sessions, serial);
}

void pb_http_respond(struct pb_req *r, int status, const char *ctype, const char *text, size_t len)
{
    free(r->resp);
    r->resp = malloc(LWS_PRE + len + 1);
    if (r->resp == NULL) {
        status = 500;
        len = 0;
    } else {
        memcpy(r->resp + LWS_PRE, text, len);
    }
    r->resp_len = len;
    r->status = status;
    r->ctype = ctype;
    r->ready = true;
    lws_callback_on_writable(r->wsi);
}

void pb_http_error(struct pb_req *r, int status, const char *msg)
{
    char buf[600];
    size_t n = (size_t)snprintf(buf, sizeof buf, "{\"error\":\"");
    for (const char *p = msg; *p != '\0' && n < sizeof buf - 8; p++) {
        if (*p == '"' || *p == '\\') {
            buf[n++] = '\\';
        }
        buf[n++] = (unsigned char)*p < 0x20 ? ' ' : *p;
    }
    n += (size_t)snprintf(buf + n, sizeof buf - n, "\"}");
    pb_http_respond(r, status, "application/json", buf, n);
}

void pb_http_redirect(struct pb_req *r, const char *location)
{
    snprintf(r->location, sizeof r->location, "%s", location);
    pb_http_respond(r, 303, "text/plain", "", 0);
}

/* ---- form and query decoding ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes %XX and + of s[0..n) into out (cap bytes, NUL-terminated). False on overflow. */
static bool url_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < n + 0 && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        if (o + 1 >= cap) {
            return false;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

bool pb_form_get(const char *body, size_t len, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp == NULL ? end : amp;
        if ((size_t)(stop - p) > nl && memcmp(p, name, nl) == 0 && p[nl] == '=') {
            return url_decode(p + nl + 1, (size_t)(stop - p - (ptrdiff_t)nl - 1), out, cap);
        }
        p = stop + 1;
    }
    return false;
}

bool pb_http_arg(struct pb_req *r, const char *name, char *out, size_t cap)
{
    char key[64], raw[512];
    snprintf(key, sizeof key, "%s=", name);
    const char *v = lws_get_urlarg_by_name(r->wsi, key, raw, (int)sizeof raw);
    if (v == NULL) {
        return false;
    }
    snprintf(out, cap, "%s", v); /* lws has decoded it */
    return true;
}

/* ---- authentication of a request: bearer token, else the cookie ---- */

static void authenticate(struct pb_bridge *b, struct pb_req *r)
{
    char token[PB_TOKEN_MAX];
    r->user[0] = '\0';
    int n = lws_hdr_copy(r->wsi, token, sizeof token, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (n > 7 && strncmp(token, "Bearer ", 7) == 0) {
        memmove(token, token + 7, (size_t)n - 6);
    } else {
        size_t max = sizeof token;
        if (lws_http_cookie_get(r->wsi, "parley_token", token, &max) != 0) {
            return;
        }
        token[max < sizeof token ? max : sizeof token - 1] = '\0';
    }
    char user[65];
    if (pb_token_verify(b->jwt, token, user) == PP_JWT_OK) {
        snprintf(r->user, sizeof r->user, "%s", user);
    }
}

/* ---- static files ---- */

static const char *mime_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL) {
        return "application/octet-stream";
    }
    if (strcmp(dot, ".css") == 0) {
        return "text/css";
    }
    if (strcmp(dot, ".js") == 0) {
        return "text/javascript";
    }
    if (strcmp(dot, ".html") == 0) {
        return "text/html";
    }
    if (strcmp(dot, ".svg") == 0) {
        return "image/svg+xml";
    }
    if (strcmp(dot, ".png") == 0) {
        return "image/png";
    }
    return "application/octet-stream";
}

static int serve_static(struct pb_bridge *b, struct pb_req *r, const char *name)
{
    /* Only plain names from www_dir: no '/', no "..", nothing hidden. */
    if (!pc_name_valid_str(name) || name[0] == '.') {
        pb_http_error(r, 404, "no such file");
        return 0;
    }
    char path[PB_CONF_STR + 80];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", b->conf.www_dir, name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        pb_http_error(r, 404, "no such file");
        return 0;
    }
    static const char extra[] = "cache-control: no-cache\r\n";
    int n = lws_serve_http_file(r->wsi, path, mime_of(name), extra, (int)sizeof extra - 1);
    if (n < 0 || (n > 0 && lws_http_transaction_completed(r->wsi))) {
        return -1;
    }
    return 0;
}

/* ---- routing ---- */

static void healthz(struct pb_bridge *b, struct pb_req *r)
{
    char buf[128];
    bool mq = pb_mqtt_up(b), rd = pb_store_up(b);
    int n = snprintf(buf, sizeof buf, "{\"mqtt\":\"%s\",\"redis\":\"%s\"}", mq ? "up" : "down",
                     rd ? "up" : "down");
    pb_http_respond(r, mq ? 200 : 503, "application/json", buf, (size_t)n);
}

static void metrics(struct pb_bridge *b, struct pb_req *r)
{
    char buf[8192];
    size_t n = pb_metrics_render(&b->metrics, buf, sizeof buf);
    pb_http_respond(r, 200, "text/plain; version=0.0.4", buf, n);
}

static bool origin_ok(struct pb_bridge *b, struct pb_req *r) { return pb_ws_origin_ok(b, r->wsi); }

static int route(struct pb_bridge *b, struct pb_req *r)
{
    const char *p = r->path;
    if (r->post && !origin_ok(b, r)) {
        pb_http_error(r, 403, "Origin not allowed");
        return 0;
    }
    if (r->post && r->body_too_big) {
        pb_http_error(r, 413, "request body too large");
        return 0;
    }
    if (strcmp(p, "/healthz") == 0) {
        healthz(b, r);
    } else if (strcmp(p, "/metrics") == 0) {
        metrics(b, r);
    } else if (strncmp(p, "/static/", 8) == 0 && !r->post) {
        return serve_static(b, r, p + 8);
    } else if (strcmp(p, "/api/login") == 0) {
        if (!r->post) {
            pb_http_error(r, 405, "use POST");
        } else {
            pb_api_login(b, r);
        }
    } else if (strncmp(p, "/api/", 5) == 0) {
        if (r->user[0] == '\0') {
            pb_http_error(r, 401, "a valid token is required (Authorization: Bearer, or log in)");
        } else if (strcmp(p, "/api/rooms") == 0) {
            pb_api_rooms(b, r);
        } else if (strncmp(p, "/api/rooms/", 11) == 0) {
            char room[65], what[16];
            const char *s = p + 11, *slash = strchr(s, '/');
            if (slash == NULL || slash - s > 64 || strlen(slash + 1) >= sizeof what) {
                pb_http_error(r, 404, "no such resource");
                return 0;
            }
            snprintf(room, sizeof room, "%.*s", (int)(slash - s), s);
            snprintf(what, sizeof what, "%s", slash + 1);
            if (!pc_name_valid_str(room)) {
                pb_http_error(r, 400, pc_name_error(room));
                return 0;
            }
            pb_api_room(b, r, room, what);
        } else {
            pb_http_error(r, 404, "no such resource");
        }
    } else if (strcmp(p, "/") == 0 && !r->post) {
        pb_page_get(b, r);
    } else if (strcmp(p, "/login") == 0 && r->post) {
        pb_page_login(b, r);
    } else if (strcmp(p, "/logout") == 0 && r->post) {
        pb_login_cookie(b, NULL, r->cookie, sizeof r->cookie);
        pb_http_redirect(r, "/");
    } else if (strncmp(p, "/rooms/", 7) == 0 && r->post && strlen(p) > 12 &&
               strcmp(p + strlen(p) - 5, "/send") == 0) {
        char room[65];
        size_t n = strlen(p) - 12;
        snprintf(room, sizeof room, "%.*s", (int)(n < 64 ? n : 64), p + 7);
        if (n > 64 || !pc_name_valid_str(room)) {
            pb_http_error(r, 400, "bad room name");
            return 0;
        }
        pb_page_send(b, r, room);
    } else {
        pb_http_error(r, 404, "no such page");
    }
    return 0;
}

/* ---- the libwebsockets protocol ---- */

static void end_request(struct pb_bridge *b, struct pb_req *r)
{
    if (r->serial != 0) {
        pb_sessions_del(b->http_sessions, r->serial);
        r->serial = 0;
    }
    free(r->body);
    free(r->resp);
    r->body = NULL;
    r->resp = NULL;
}

static int begin_request(struct pb_bridge *b, struct pb_req *r, struct lws *wsi, const char *uri)
{
    end_request(b, r);
    memset(r, 0, sizeof *r);
    r->wsi = wsi;
    r->serial = pb_sessions_add(b->http_sessions, r);
    if (r->serial == 0) {
        return -1;
    }
    snprintf(r->path, sizeof r->path, "%s", uri);
    r->post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
    lws_get_peer_simple(wsi, r->addr, sizeof r->addr);
    authenticate(b, r);
    b->metrics.http_requests++;
    return 0;
}

/* A POST without a body gets no BODY_COMPLETION from libwebsockets: route it at once. */
static bool empty_body(struct lws *wsi)
{
    char len[24];
    int n = lws_hdr_copy(wsi, len, sizeof len, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    return n <= 0 || strcmp(len, "0") == 0;
}

static int write_answer(struct pb_req *r)
{
    if (!r->ready) {
        return 0;
    }
    if (!r->headers_sent) {
        unsigned char hdr[LWS_PRE + 3072];
        unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
        if (lws_add_http_common_headers(r->wsi, (unsigned)r->status, r->ctype, r->resp_len, &p,
                                        end) ||
            lws_add_http_header_by_name(r->wsi, (const unsigned char *)"cache-control:",
                                        (const unsigned char *)"no-store", 8, &p, end) ||
            (r->location[0] &&
             lws_add_http_header_by_name(
                 r->wsi, (const unsigned char *)"location:", (unsigned char *)r->location,
                 (int)strlen(r->location), &p, end)) ||
            (r->cookie[0] && lws_add_http_header_by_name(
                                 r->wsi, (const unsigned char *)"set-cookie:",
                                 (unsigned char *)r->cookie, (int)strlen(r->cookie), &p, end)) ||
            lws_finalize_write_http_header(r->wsi, start, &p, end)) {
            return -1;
        }
        r->headers_sent = true;
        if (r->resp_len > 0) {
            lws_callback_on_writable(r->wsi);
            return 0;
        }
    } else if (lws_write(r->wsi, r->resp + LWS_PRE, r->resp_len, LWS_WRITE_HTTP_FINAL) !=
               (int)r->resp_len) {
        return -1;
    }
    r->ready = false;
    if (lws_http_transaction_completed(r->wsi)) {
        return -1;
    }
    return 0;
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    struct pb_req *r = user;
    struct pb_bridge *b = bridge_of(wsi);
    if (r == NULL && reason != LWS_CALLBACK_HTTP) {
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        if (r == NULL) {
            pb_log(PB_LOG_ERROR, "http: no session data for %s", (const char *)in);
            return -1;
        }
        if (begin_request(b, r, wsi, in) != 0) {
            return -1;
        }
        if (r->post && !empty_body(wsi)) {
            return 0; /* routed when the body is in */
        }
        if (r->post && (r->body = calloc(1, 1)) == NULL) {
            return -1;
        }
        return route(b, r);
    case LWS_CALLBACK_HTTP_BODY:
        if (r->body_len + len > PB_HTTP_MAX_BODY) {
            r->body_too_big = true;
            return 0;
        }
        if (r->body == NULL) {
            r->body = malloc(PB_HTTP_MAX_BODY + 1);
            if (r->body == NULL) {
                return -1;
            }
        }
        memcpy(r->body + r->body_len, in, len);
        r->body_len += len;
        r->body[r->body_len] = '\0';
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (r->body == NULL) {
            r->body = calloc(1, 1);
            if (r->body == NULL) {
                return -1;
            }
        }
        return route(b, r);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return write_answer(r);
    case LWS_CALLBACK_HTTP_FILE_COMPLETION:
        if (lws_http_transaction_completed(wsi)) {
            return -1;
        }
        return 0;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL: /* lws frees the session data after this */
    case LWS_CALLBACK_CLOSED_HTTP:
        end_request(b, r);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

const struct lws_protocols pb_http_protocol = {
    "http", http_callback, sizeof(struct pb_req), 0, 0, NULL, 0,
};
