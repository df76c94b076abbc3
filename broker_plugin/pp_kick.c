/* A FIFO of user names to kick at the next tick. */
#include "pp_kick.h"

#include <stdlib.h>
#include <string.h>

struct pp_kick_entry {
    struct pp_kick_entry *next;
    char name[];
};

int pp_kick_push(struct pp_kick *q, const char *username)
{
    for (const struct pp_kick_entry *e = q->head; e != NULL; e = e->next) {
        if (strcmp(e->name, username) == 0) {
            return 0;
        }
    }
    size_t len = strlen(username);
    struct pp_kick_entry *e = malloc(sizeof *e + len + 1);
    if (e == NULL) {
        return -1;
    }
    memcpy(e->name, username, len + 1);
    e->next = NULL;
    if (q->tail != NULL) {
        q->tail->next = e;
    } else {
        q->head = e;
    }
    q->tail = e;
    q->count++;
    return 0;
}

void pp_kick_drain(struct pp_kick *q, void (*fn)(void *ctx, const char *username), void *ctx)
{
    struct pp_kick_entry *e = q->head;
    q->head = q->tail = NULL;
    q->count = 0;
    while (e != NULL) {
        struct pp_kick_entry *next = e->next;
        fn(ctx, e->name);
        free(e);
        e = next;
    }
}

void pp_kick_clear(struct pp_kick *q)
{
    struct pp_kick_entry *e = q->head;
    while (e != NULL) {
        struct pp_kick_entry *next = e->next;
        free(e);
        e = next;
    }
    q->head = q->tail = NULL;
    q->count = 0;
}
