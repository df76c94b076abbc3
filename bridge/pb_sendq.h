/* A WebSocket connection's send queue: frame references in a ring, bounded in frames and bytes.
 * The ring starts small and doubles up to the bound, so an idle connection costs a few slots. */
#ifndef PB_SENDQ_H
#define PB_SENDQ_H

#include <stddef.h>
#include <stdint.h>

struct pb_frame;

struct pb_sendq {
    struct pb_frame **ring;
    uint32_t cap, head, len;
    size_t bytes;
};

enum pb_sendq_status { PB_SENDQ_OK = 0, PB_SENDQ_FULL, PB_SENDQ_NOMEM };

/* Queues a reference to f (taken on PB_SENDQ_OK only). FULL when max_frames or max_bytes would
 * be passed. */
enum pb_sendq_status pb_sendq_push(struct pb_sendq *q, struct pb_frame *f, uint32_t max_frames,
                                   size_t max_bytes);
/* The oldest frame (borrowed), NULL when empty. */
struct pb_frame *pb_sendq_peek(const struct pb_sendq *q);
/* Drops the oldest frame's reference. */
void pb_sendq_pop(struct pb_sendq *q);
/* Drops every reference and the ring. */
void pb_sendq_clear(struct pb_sendq *q);

#endif
