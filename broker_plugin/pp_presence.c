/* Presence bookkeeping: clients (by address) with the room-reading filters they hold, and per
 * (room, user) the number of sessions reading. Two uthash tables. */
#include "pp_presence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "pc_name.h"

#define KEY_MAX (2 * PC_NAME_MAX + 2)

struct sub {
    struct sub *next;
    char room[PC_NAME_MAX + 1];
    char filter[]; /* as subscribed */
};

struct client {
    const void *id;
    char user[PC_NAME_MAX + 1];
    struct sub *subs;
    UT_hash_handle hh;
};

struct reader {        /* (room, user) -> sessions reading */
    char key[KEY_MAX]; /* "room/user" */
    unsigned count;
    UT_hash_handle hh;
};

struct pp_presence {
    pp_presence_fn fn;
    void *ctx;
    struct client *clients;
    struct reader *readers;
};

struct pp_presence *pp_presence_new(pp_presence_fn fn, void *ctx)
{
    struct pp_presence *p = calloc(1, sizeof *p);
    if (p != NULL) {
        p->fn = fn;
        p->ctx = ctx;
    }
    return p;
}

static void client_free(struct client *c)
{
    while (c->subs != NULL) {
        struct sub *s = c->subs;
        c->subs = s->next;
        free(s);
    }
    free(c);
}

void pp_presence_free(struct pp_presence *p)
{
    if (p == NULL) {
        return;
    }
    struct client *c, *ctmp;
    HASH_ITER(hh, p->clients, c, ctmp)
    {
        HASH_DEL(p->clients, c);
        client_free(c);
    }
    struct reader *r, *rtmp;
    HASH_ITER(hh, p->readers, r, rtmp)
    {
        HASH_DEL(p->readers, r);
        free(r);
    }
    free(p);
}

static size_t make_key(char *key, const char *room, const char *user)
{
    int n = snprintf(key, KEY_MAX, "%s/%s", room, user);
    return n > 0 ? (size_t)n : 0;
}

static struct reader *reader_find(const struct pp_presence *p, const char *room, const char *user)
{
    char key[KEY_MAX];
    size_t len = make_key(key, room, user);
    struct reader *r;
    HASH_FIND(hh, p->readers, key, len, r);
    return r;
}

/* +1 or -1 sessions reading room for user; reports the edges 0 -> 1 and 1 -> 0. */
static int reader_add(struct pp_presence *p, const char *room, const char *user, int delta)
{
    struct reader *r = reader_find(p, room, user);
    if (r == NULL) {
        if (delta < 0) {
            return 0;
        }
        r = calloc(1, sizeof *r);
        if (r == NULL) {
            return -1;
        }
        size_t len = make_key(r->key, room, user);
        HASH_ADD(hh, p->readers, key, len, r);
    }
    if (delta > 0) {
        if (r->count++ == 0) {
            p->fn(p->ctx, room, user, true);
        }
    } else if (--r->count == 0) {
        HASH_DEL(p->readers, r);
        free(r);
        p->fn(p->ctx, room, user, false);
    }
    return 0;
}

static bool reads_one_room(const struct pc_topic *t)
{
    if (t->room_wild || t->room_len == 0) {
        return false;
    }
    return (t->kind == PC_TOPIC_ROOM_MSG && t->user_wild) || t->kind == PC_TOPIC_ROOM_ANY;
}

static bool client_reads(const struct client *c, const char *room)
{
    for (const struct sub *s = c->subs; s != NULL; s = s->next) {
        if (strcmp(s->room, room) == 0) {
            return true;
        }
    }
    return false;
}

int pp_presence_subscribed(struct pp_presence *p, const void *client, const char *user,
                           const char *filter, const struct pc_topic *t)
{
    if (!reads_one_room(t) || user == NULL || !pc_name_valid_str(user)) {
        return 0;
    }
    struct client *c;
    HASH_FIND_PTR(p->clients, &client, c);
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        if (c == NULL) {
            return -1;
        }
        c->id = client;
        snprintf(c->user, sizeof c->user, "%s", user);
        HASH_ADD_PTR(p->clients, id, c);
    }
    for (const struct sub *s = c->subs; s != NULL; s = s->next) {
        if (strcmp(s->filter, filter) == 0) {
            return 0; /* a repeated SUBSCRIBE replaces the subscription: nothing new */
        }
    }
    size_t flen = strlen(filter);
    struct sub *s = malloc(sizeof *s + flen + 1);
    if (s == NULL) {
        return -1;
    }
    memcpy(s->room, t->room, t->room_len);
    s->room[t->room_len] = '\0';
    memcpy(s->filter, filter, flen + 1);
    bool first = !client_reads(c, s->room);
    s->next = c->subs;
    c->subs = s;
    if (first && reader_add(p, s->room, c->user, +1) != 0) {
        c->subs = s->next;
        free(s);
        return -1;
    }
    return 0;
}

/* Unlinks and frees the sub at *link; its room loses this session as a reader when no other
 * sub of c reads it. */
static void drop_sub(struct pp_presence *p, struct client *c, struct sub **link)
{
    struct sub *s = *link;
    *link = s->next;
    if (!client_reads(c, s->room)) {
        reader_add(p, s->room, c->user, -1);
    }
    free(s);
}

/* A client record lives only while it holds a sub. */
static void client_drop_if_empty(struct pp_presence *p, struct client *c)
{
    if (c->subs == NULL) {
        HASH_DEL(p->clients, c);
        client_free(c);
    }
}

void pp_presence_unsubscribed(struct pp_presence *p, const void *client, const char *filter)
{
    struct client *c;
    HASH_FIND_PTR(p->clients, &client, c);
    if (c == NULL) {
        return;
    }
    for (struct sub **link = &c->subs; *link != NULL; link = &(*link)->next) {
        if (strcmp((*link)->filter, filter) == 0) {
            drop_sub(p, c, link);
            break;
        }
    }
    client_drop_if_empty(p, c);
}

void pp_presence_disconnected(struct pp_presence *p, const void *client)
{
    struct client *c;
    HASH_FIND_PTR(p->clients, &client, c);
    if (c == NULL) {
        return;
    }
    while (c->subs != NULL) {
        drop_sub(p, c, &c->subs);
    }
    client_drop_if_empty(p, c);
}

void pp_presence_forget(struct pp_presence *p, const char *room, const char *user)
{
    struct client *c, *tmp;
    if (user != NULL && reader_find(p, room, user) == NULL) {
        return; /* not reading room: nothing to forget, no session to walk */
    }
    HASH_ITER(hh, p->clients, c, tmp)
    {
        if (user != NULL && strcmp(c->user, user) != 0) {
            continue;
        }
        /* cppcheck-suppress uninitvar ; HASH_ITER hands out initialised table entries */
        for (struct sub **link = &c->subs; *link != NULL;) {
            if (strcmp((*link)->room, room) == 0) {
                drop_sub(p, c, link); /* the last one of room reports the user gone */
            } else {
                link = &(*link)->next;
            }
        }
        client_drop_if_empty(p, c);
    }
}

unsigned pp_presence_count(const struct pp_presence *p, const char *room, const char *user)
{
    const struct reader *r = reader_find(p, room, user);
    return r != NULL ? r->count : 0;
}
