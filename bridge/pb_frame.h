/* WebSocket text frames: built once, shared by reference between every connection that sends
 * them (a room's message is framed once however many members it has). */
#ifndef PB_FRAME_H
#define PB_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pb_id.h"

struct pb_msg;

/* data holds PB_FRAME_PRE bytes of headroom (libwebsockets writes the frame header there),
 * then len bytes of JSON. */
struct pb_frame {
    uint32_t refs;
    uint32_t len;
    char id[PB_ID_MAX]; /* msg frames: the message id ("" for others or when unknown) */
    char data[];
};

extern const size_t PB_FRAME_PRE;

/* A frame holding a copy of text, one reference held by the caller. NULL: out of memory. */
struct pb_frame *pb_frame_new(const char *text, size_t len);
static inline char *pb_frame_text(struct pb_frame *f) { return f->data + PB_FRAME_PRE; }
void pb_frame_ref(struct pb_frame *f);
void pb_frame_unref(struct pb_frame *f); /* frees at zero; NULL is fine */

/* A JSON text builder over a caller's buffer; once full it stays full (check pb_json_ok). */
struct pb_json {
    char *buf;
    size_t cap;
    size_t len;
    bool full;
};
void pb_json_init(struct pb_json *j, char *buf, size_t cap);
void pb_json_raw(struct pb_json *j, const char *s);
void pb_json_rawn(struct pb_json *j, const char *s, size_t n);
void pb_json_str(struct pb_json *j, const char *s, size_t n); /* quoted, escaped */
void pb_json_cstr(struct pb_json *j, const char *s);
void pb_json_i64(struct pb_json *j, int64_t v);
bool pb_json_ok(const struct pb_json *j);

/* True when s[0..n) is well-formed UTF-8 without NUL. */
bool pb_utf8_valid(const char *s, size_t n);

/* The msg frame for m, built in scratch (cap bytes; 6 * body + 512 always suffices). A body that
 * is not UTF-8 goes as body_b64. NULL: scratch too small or out of memory. */
struct pb_frame *pb_frame_msg(const struct pb_msg *m, char *scratch, size_t cap);

#endif
