/* Kicks queued for the plugin's tick. A control command that deletes or bans a user must cut
 * their live sessions, but kicking from inside the control callback could disconnect the very
 * client whose command is being answered before its reply goes out; so commands only queue the
 * name, and the tick (MOSQ_EVT_TICK) kicks. */
#ifndef PP_KICK_H
#define PP_KICK_H

#include <stddef.h>

struct pp_kick {
    struct pp_kick_entry *head; /* owned; FIFO */
    struct pp_kick_entry *tail;
    size_t count;
};

/* Queues username (copied). A name already queued is not queued twice. -1 on out-of-memory. */
int pp_kick_push(struct pp_kick *q, const char *username);
/* Calls fn for each queued name in order, emptying the queue. name borrowed for the call. */
void pp_kick_drain(struct pp_kick *q, void (*fn)(void *ctx, const char *username), void *ctx);
/* Frees what is queued without calling anything. */
void pp_kick_clear(struct pp_kick *q);

#endif
