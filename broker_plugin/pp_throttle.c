/* Failed-login throttling (see pp_throttle.h).
 *
 * Each table is a fixed pool of PP_THROTTLE_MAX_KEYS entries, chained into hash buckets and
 * allocated once with the throttle, so a flood of new names costs no allocation. A chain can be
 * at most the pool long, and eviction scans the pool: both bounded at PP_THROTTLE_MAX_KEYS steps.
 */
#include "pp_throttle.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 8192 /* a power of two, twice the pool: short chains */
#define NIL (-1)

struct entry {
    char key[PP_THROTTLE_KEY_MAX + 1]; /* "" when the entry is free */
    int next;                          /* next in the bucket chain, or in the free list */
    unsigned fails;                    /* failures in the window opened at window_start */
    time_t window_start;
    time_t lock_start;   /* locked while now < locked_until */
    time_t locked_until; /* lock_start + lock_s */
    unsigned lock_s;
};

struct table {
    struct entry e[PP_THROTTLE_MAX_KEYS];
    int bucket[BUCKETS];
    int free_head; /* NIL when the pool is full */
};

struct pp_throttle {
    unsigned limit, window_s;
    struct table users, addrs;
};

static void table_init(struct table *tb)
{
    for (int i = 0; i < BUCKETS; i++) {
        tb->bucket[i] = NIL;
    }
    for (int i = 0; i < PP_THROTTLE_MAX_KEYS; i++) {
        tb->e[i].key[0] = '\0';
        tb->e[i].next = i + 1 < PP_THROTTLE_MAX_KEYS ? i + 1 : NIL;
    }
    tb->free_head = 0;
}

struct pp_throttle *pp_throttle_new(unsigned limit, unsigned window_s)
{
    struct pp_throttle *t = malloc(sizeof *t);
    if (t == NULL) {
        return NULL;
    }
    t->limit = limit;
    t->window_s = window_s;
    table_init(&t->users);
    table_init(&t->addrs);
    return t;
}

void pp_throttle_free(struct pp_throttle *t) { free(t); }

/* The key as stored: truncated to PP_THROTTLE_KEY_MAX. */
static void key_of(const char *s, char *out)
{
    size_t n = strnlen(s, PP_THROTTLE_KEY_MAX);
    memcpy(out, s, n);
    out[n] = '\0';
}

static unsigned bucket_of(const char *key)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
        h = (h ^ *p) * 16777619u;
    }
    return h & (BUCKETS - 1);
}

static struct entry *find(struct table *tb, const char *key)
{
    for (int i = tb->bucket[bucket_of(key)]; i != NIL; i = tb->e[i].next) {
        if (strcmp(tb->e[i].key, key) == 0) {
            return &tb->e[i];
        }
    }
    return NULL;
}

static void unlink_entry(struct table *tb, struct entry *e)
{
    int idx = (int)(e - tb->e);
    int *link = &tb->bucket[bucket_of(e->key)];
    while (*link != idx) {
        link = &tb->e[*link].next;
    }
    *link = e->next;
    e->key[0] = '\0';
    e->next = tb->free_head;
    tb->free_head = idx;
}

/* When an entry stops mattering: its lock-out or its window ends. */
static time_t expires(const struct entry *e, unsigned window_s)
{
    time_t w = e->window_start + (time_t)window_s;
    return e->locked_until > w ? e->locked_until : w;
}

/* Drops the entry that stops mattering soonest, to make room. */
static void evict(struct table *tb, unsigned window_s)
{
    struct entry *victim = NULL;
    for (int i = 0; i < PP_THROTTLE_MAX_KEYS; i++) {
        struct entry *e = &tb->e[i];
        if (e->key[0] != '\0' &&
            (victim == NULL || expires(e, window_s) < expires(victim, window_s))) {
            victim = e;
        }
    }
    unlink_entry(tb, victim);
}

static struct entry *find_or_add(struct table *tb, const char *key, unsigned window_s, time_t now)
{
    struct entry *e = find(tb, key);
    if (e != NULL) {
        return e;
    }
    if (tb->free_head == NIL) {
        evict(tb, window_s);
    }
    int idx = tb->free_head;
    e = &tb->e[idx];
    tb->free_head = e->next;
    memset(e, 0, sizeof *e);
    strcpy(e->key, key);
    e->window_start = now;
    unsigned b = bucket_of(key);
    e->next = tb->bucket[b];
    tb->bucket[b] = idx;
    return e;
}

static bool locked(const struct entry *e, time_t now) { return now < e->locked_until; }

/* An attempt while locked: the lock-out doubles, from its start. */
static void extend(struct entry *e)
{
    e->lock_s = e->lock_s >= PP_THROTTLE_MAX_LOCK_S / 2 ? PP_THROTTLE_MAX_LOCK_S : e->lock_s * 2;
    e->locked_until = e->lock_start + (time_t)e->lock_s;
}

static void fail(const struct pp_throttle *t, struct entry *e, time_t now)
{
    if (locked(e, now)) {
        extend(e);
        return;
    }
    if (e->fails == 0 || now - e->window_start >= (time_t)t->window_s) {
        e->fails = 0;
        e->window_start = now;
    }
    if (++e->fails >= t->limit) {
        e->fails = 0;
        e->lock_s = t->window_s < PP_THROTTLE_MAX_LOCK_S ? t->window_s : PP_THROTTLE_MAX_LOCK_S;
        e->lock_start = now;
        e->locked_until = now + (time_t)e->lock_s;
    }
}

/* Charges a refused attempt to key if it is locked; returns the seconds left, 0 if not locked. */
static unsigned check(struct table *tb, const char *s, time_t now)
{
    char key[PP_THROTTLE_KEY_MAX + 1];
    if (s == NULL) {
        return 0;
    }
    key_of(s, key);
    struct entry *e = find(tb, key);
    if (e == NULL || !locked(e, now)) {
        return 0;
    }
    extend(e);
    /* A clock stepped back could make this exceed the cap; never report more. */
    time_t left = e->locked_until - now;
    return left > PP_THROTTLE_MAX_LOCK_S ? PP_THROTTLE_MAX_LOCK_S : (unsigned)left;
}

bool pp_throttle_allow(struct pp_throttle *t, const char *username, const char *address, time_t now,
                       unsigned *retry_s)
{
    unsigned u = 0, a = 0;
    if (t != NULL && t->limit > 0) {
        u = check(&t->users, username, now);
        a = check(&t->addrs, address, now);
    }
    if (retry_s != NULL) {
        *retry_s = u > a ? u : a;
    }
    return u == 0 && a == 0;
}

static void record_failure(struct pp_throttle *t, struct table *tb, const char *s, time_t now)
{
    char key[PP_THROTTLE_KEY_MAX + 1];
    if (s == NULL) {
        return;
    }
    key_of(s, key);
    fail(t, find_or_add(tb, key, t->window_s, now), now);
}

void pp_throttle_failed(struct pp_throttle *t, const char *username, const char *address,
                        time_t now)
{
    if (t == NULL || t->limit == 0) {
        return;
    }
    record_failure(t, &t->users, username, now);
    record_failure(t, &t->addrs, address, now);
}

void pp_throttle_succeeded(struct pp_throttle *t, const char *username, time_t now)
{
    char key[PP_THROTTLE_KEY_MAX + 1];
    (void)now; /* in the contract so a later policy (e.g. keep a lock) can use it */
    if (t == NULL || username == NULL) {
        return;
    }
    key_of(username, key);
    struct entry *e = find(&t->users, key);
    if (e != NULL) {
        unlink_entry(&t->users, e);
    }
}
