/* Frames and the JSON text they hold. */
#include "pb_frame.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "pb_bridge.h"

const size_t PB_FRAME_PRE = LWS_PRE;

struct pb_frame *pb_frame_new(const char *text, size_t len)
{
    struct pb_frame *f = malloc(sizeof *f + LWS_PRE + len + 1);
    if (f == NULL) {
        return NULL;
    }
    f->refs = 1;
    f->len = (uint32_t)len;
    f->id[0] = '\0';
    memcpy(f->data + LWS_PRE, text, len);
    f->data[LWS_PRE + len] = '\0';
    return f;
}

void pb_frame_ref(struct pb_frame *f) { f->refs++; }

void pb_frame_unref(struct pb_frame *f)
{
    if (f != NULL && --f->refs == 0) {
        free(f);
    }
}

void pb_json_init(struct pb_json *j, char *buf, size_t cap)
{
    j->buf = buf;
    j->cap = cap;
    j->len = 0;
    j->full = cap == 0;
    if (cap > 0) {
        buf[0] = '\0';
    }
}

static void put(struct pb_json *j, const char *s, size_t n)
{
    if (j->full || j->len + n + 1 > j->cap) {
        j->full = true;
        return;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

void pb_json_rawn(struct pb_json *j, const char *s, size_t n) { put(j, s, n); }

void pb_json_raw(struct pb_json *j, const char *s) { put(j, s, strlen(s)); }

void pb_json_str(struct pb_json *j, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(j, "\"", 1);
    size_t run = 0; /* bytes copied as they are, flushed in one put */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t en = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            en = 2;
        } else if (c == '\n') {
            memcpy(esc, "\\n", 2);
            en = 2;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            en = 6;
        }
        if (en == 0) {
            run++;
            continue;
        }
        put(j, s + i - run, run);
        run = 0;
        put(j, esc, en);
    }
    put(j, s + n - run, run);
    put(j, "\"", 1);
}

void pb_json_cstr(struct pb_json *j, const char *s) { pb_json_str(j, s, strlen(s)); }

void pb_json_i64(struct pb_json *j, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, v);
    put(j, num, (size_t)n);
}

bool pb_json_ok(const struct pb_json *j) { return !j->full; }

bool pb_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        size_t need;
        unsigned min;
        if (c == 0) {
            return false;
        } else if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            need = 1, min = 0x80, c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            need = 2, min = 0x800, c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            need = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - p) <= need) {
            return false;
        }
        for (size_t k = 1; k <= need; k++) {
            if ((p[k] & 0xc0) != 0x80) {
                return false;
            }
            c = (c << 6) | (p[k] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return false;
        }
        p += need + 1;
    }
    return true;
}

struct pb_frame *pb_frame_msg(const struct pb_msg *m, char *scratch, size_t cap)
{
    struct pb_json j;
    pb_json_init(&j, scratch, cap);
    pb_json_raw(&j, "{\"type\":\"msg\",\"room\":");
    pb_json_cstr(&j, m->room);
    pb_json_raw(&j, ",\"from\":");
    pb_json_cstr(&j, m->from);
    if (pb_utf8_valid(m->body, m->body_len)) {
        pb_json_raw(&j, ",\"body\":");
        pb_json_str(&j, m->body, m->body_len);
    } else {
        size_t need = (m->body_len + 2) / 3 * 4 + 1;
        pb_json_raw(&j, ",\"body_b64\":\"");
        if (!j.full && j.len + need + 1 < j.cap) {
            int n = lws_b64_encode_string(m->body, (int)m->body_len, j.buf + j.len,
                                          (int)(j.cap - j.len));
            j.len += n > 0 ? (size_t)n : 0;
        } else {
            j.full = true;
        }
        pb_json_raw(&j, "\"");
    }
    pb_json_raw(&j, ",\"ts\":");
    pb_json_i64(&j, m->ts);
    pb_json_raw(&j, ",\"id\":");
    pb_json_cstr(&j, m->id);
    pb_json_raw(&j, "}");
    if (!pb_json_ok(&j)) {
        return NULL;
    }
    struct pb_frame *f = pb_frame_new(j.buf, j.len);
    if (f != NULL) {
        snprintf(f->id, sizeof f->id, "%s", m->id);
    }
    return f;
}
