/* Live sessions by serial: a chained hash, one node per session. Serials never repeat, so an
 * answer for a closed session cannot reach a new one that took its memory. */
#include <stdlib.h>

#include "pb_ws.h"

#define SESS_BUCKETS 4096

struct node {
    struct node *next;
    uint64_t serial;
    void *p;
};

struct pb_sessions {
    uint64_t last;
    struct node *bucket[SESS_BUCKETS];
};

struct pb_sessions *pb_sessions_new(void) { return calloc(1, sizeof(struct pb_sessions)); }

void pb_sessions_free(struct pb_sessions *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < SESS_BUCKETS; i++) {
        while (s->bucket[i] != NULL) {
            struct node *n = s->bucket[i];
            s->bucket[i] = n->next;
            free(n);
        }
    }
    free(s);
}

uint64_t pb_sessions_add(struct pb_sessions *s, void *p)
{
    struct node *n = malloc(sizeof *n);
    if (n == NULL) {
        return 0;
    }
    n->serial = ++s->last;
    n->p = p;
    n->next = s->bucket[n->serial % SESS_BUCKETS];
    s->bucket[n->serial % SESS_BUCKETS] = n;
    return n->serial;
}

void *pb_sessions_get(const struct pb_sessions *s, uint64_t serial)
{
    for (struct node *n = s->bucket[serial % SESS_BUCKETS]; n != NULL; n = n->next) {
        if (n->serial == serial) {
            return n->p;
        }
    }
    return NULL;
}

void pb_sessions_del(struct pb_sessions *s, uint64_t serial)
{
    for (struct node **pp = &s->bucket[serial % SESS_BUCKETS]; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->serial == serial) {
            struct node *n = *pp;
            *pp = n->next;
            free(n);
            return;
        }
    }
}

void pb_sessions_each(const struct pb_sessions *s, void (*fn)(void *p, void *arg), void *arg)
{
    for (size_t i = 0; i < SESS_BUCKETS; i++) {
        for (struct node *n = s->bucket[i]; n != NULL; n = n->next) {
            fn(n->p, arg);
        }
    }
}
