/* The bounded send queue. */
#include "pb_sendq.h"

#include <stdlib.h>
#include <string.h>

#include "pb_frame.h"

#define SENDQ_FIRST 8

static int grow(struct pb_sendq *q, uint32_t max_frames)
{
    uint32_t ncap = q->cap == 0 ? SENDQ_FIRST : q->cap * 2;
    if (ncap > max_frames) {
        ncap = max_frames;
    }
    struct pb_frame **r = malloc(sizeof *r * ncap);
    if (r == NULL) {
        return -1;
    }
    for (uint32_t i = 0; i < q->len; i++) {
        r[i] = q->ring[(q->head + i) % q->cap];
    }
    free(q->ring);
    q->ring = r;
    q->cap = ncap;
    q->head = 0;
    return 0;
}

enum pb_sendq_status pb_sendq_push(struct pb_sendq *q, struct pb_frame *f, uint32_t max_frames,
                                   size_t max_bytes)
{
    if (q->len >= max_frames || q->bytes + f->len > max_bytes) {
        return PB_SENDQ_FULL;
    }
    if (q->len == q->cap && grow(q, max_frames) != 0) {
        return PB_SENDQ_NOMEM;
    }
    pb_frame_ref(f);
    q->ring[(q->head + q->len) % q->cap] = f;
    q->len++;
    q->bytes += f->len;
    return PB_SENDQ_OK;
}

struct pb_frame *pb_sendq_peek(const struct pb_sendq *q)
{
    return q->len == 0 ? NULL : q->ring[q->head];
}

void pb_sendq_pop(struct pb_sendq *q)
{
    if (q->len == 0) {
        return;
    }
    struct pb_frame *f = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    q->bytes -= f->len;
    pb_frame_unref(f);
    if (q->len == 0 && q->cap > SENDQ_FIRST) {
        free(q->ring); /* a burst is over: an idle connection goes back to a few bytes */
        q->ring = NULL;
        q->cap = 0;
        q->head = 0;
    }
}

void pb_sendq_clear(struct pb_sendq *q)
{
    while (q->len > 0) {
        pb_sendq_pop(q);
    }
    free(q->ring);
    memset(q, 0, sizeof *q);
}
