/* Redis connections, the write path (XADD, then fan-out, then delivery) and the spool. */
#include "pb_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "pb_bridge.h"
#include "pb_log.h"
#include "pb_mqtt.h"
#include "pb_room.h"

#define RETRY_MIN_MS 250
#define RETRY_MAX_MS 5000
#define CONNECT_TIMEOUT_MS 1000

/* A message on its way to Redis: in flight (an XADD's privdata) or in the spool. */
struct rec {
    struct rec *next;
    pb_append_cb cb;
    uint64_t token;
    int64_t ts;
    bool delivered; /* already given to WebSockets with id "" (it was spooled) */
    char room[65];
    char from[65];
    size_t body_len;
    char body[];
};

struct pb_store {
    redisAsyncContext *cmd; /* NULL when not connected */
    redisAsyncContext *sub;
    bool cmd_up, sub_up;
    uv_timer_t retry;
    uv_timer_t watch;   /* gives up on connects that never finish */
    int64_t connect_ms; /* when the pending connects were started */
    int closing;
    unsigned retry_ms;
    struct rec *spool_head, *spool_tail;
    size_t spooled;
    size_t in_flight;
    size_t fanout_cap;
    char *fanout_buf; /* one record, sized at start from max_payload */
    char channel[128];
};

static void store_connect(struct pb_bridge *b);

/* ---- keys ---- */

static int room_key(const struct pb_bridge *b, const char *room, const char *what, char *out,
                    size_t cap)
{
    return snprintf(out, cap, "%s{%s}:%s", b->conf.redis_prefix, room, what);
}

/* ---- connection management ---- */

static void on_retry(uv_timer_t *t);

static void schedule_retry(struct pb_bridge *b)
{
    struct pb_store *s = b->store;
    if (b->closing || uv_is_active((uv_handle_t *)&s->retry)) {
        return;
    }
    uv_timer_start(&s->retry, on_retry, s->retry_ms, 0);
}

static void on_retry(uv_timer_t *t)
{
    struct pb_bridge *b = t->data;
    struct pb_store *s = b->store;
    s->retry_ms = s->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : s->retry_ms * 2;
    store_connect(b);
}

static void flush_spool(struct pb_bridge *b);
static void on_fanout(redisAsyncContext *c, void *reply, void *priv);

static void update_gauge(struct pb_bridge *b)
{
    b->metrics.redis_connected = b->store->cmd_up ? 1 : 0;
    b->metrics.spool_size = b->store->spooled;
}

static void on_connect(const redisAsyncContext *c, int status)
{
    struct pb_bridge *b = c->data;
    struct pb_store *s = b->store;
    bool is_cmd = c == s->cmd;
    if (status != REDIS_OK) {
        pb_log(PB_LOG_WARNING, "redis %s:%u: cannot connect: %s (retrying)", b->conf.redis_host,
               b->conf.redis_port, c->errstr);
        if (is_cmd) {
            s->cmd = NULL;
        } else {
            s->sub = NULL;
        }
        schedule_retry(b);
        return;
    }
    s->retry_ms = RETRY_MIN_MS;
    if (is_cmd) {
        s->cmd_up = true;
        pb_log(PB_LOG_INFO, "redis %s:%u: connected", b->conf.redis_host, b->conf.redis_port);
        flush_spool(b);
    } else {
        s->sub_up = true;
        redisAsyncCommand(s->sub, on_fanout, NULL, "SUBSCRIBE %s", s->channel);
    }
    update_gauge(b);
}

static void on_disconnect(const redisAsyncContext *c, int status)
{
    struct pb_bridge *b = c->data;
    struct pb_store *s = b->store;
    if (c == s->cmd) {
        s->cmd = NULL;
        s->cmd_up = false;
        if (!b->closing) {
            pb_log(PB_LOG_WARNING, "redis: connection lost (%s); spooling writes, retrying",
                   status == REDIS_OK ? "closed" : c->errstr);
        }
    } else {
        s->sub = NULL;
        s->sub_up = false;
    }
    update_gauge(b);
    schedule_retry(b);
}

static redisAsyncContext *open_one(struct pb_bridge *b)
{
    redisAsyncContext *c = redisAsyncConnect(b->conf.redis_host, (int)b->conf.redis_port);
    if (c == NULL) {
        return NULL;
    }
    if (c->err) {
        pb_log(PB_LOG_WARNING, "redis: %s", c->errstr);
        redisAsyncFree(c);
        return NULL;
    }
    c->data = b;
    if (redisLibuvAttach(c, b->loop) != REDIS_OK) {
        redisAsyncFree(c);
        return NULL;
    }
    redisAsyncSetConnectCallback(c, on_connect);
    redisAsyncSetDisconnectCallback(c, on_disconnect);
    return c;
}

/* hiredis 0.14's libuv adapter ignores a poll error, so a refused connect never calls back:
 * a connect not done within CONNECT_TIMEOUT_MS is dropped here and tried again. */
static void on_watch(uv_timer_t *t)
{
    struct pb_bridge *b = t->data;
    struct pb_store *s = b->store;
    if (pb_now_ms() - s->connect_ms < CONNECT_TIMEOUT_MS) {
        return;
    }
    bool dropped = false;
    if (s->cmd != NULL && !s->cmd_up) {
        redisAsyncFree(s->cmd); /* never connected: no callback runs */
        s->cmd = NULL;
        dropped = true;
    }
    if (s->sub != NULL && !s->sub_up) {
        redisAsyncFree(s->sub);
        s->sub = NULL;
        dropped = true;
    }
    if (dropped) {
        pb_log(PB_LOG_WARNING, "redis %s:%u: cannot connect (retrying)", b->conf.redis_host,
               b->conf.redis_port);
        schedule_retry(b);
    }
}

static void store_connect(struct pb_bridge *b)
{
    struct pb_store *s = b->store;
    s->connect_ms = pb_now_ms();
    if (s->cmd == NULL) {
        s->cmd = open_one(b);
    }
    if (s->sub == NULL) {
        s->sub = open_one(b);
    }
    if (s->cmd == NULL || s->sub == NULL) {
        schedule_retry(b);
    }
}

int pb_store_start(struct pb_bridge *b)
{
    struct pb_store *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return -1;
    }
    s->fanout_cap = b->conf.max_payload + 512;
    s->fanout_buf = malloc(s->fanout_cap);
    if (s->fanout_buf == NULL) {
        free(s);
        return -1;
    }
    snprintf(s->channel, sizeof s->channel, "%sfanout", b->conf.redis_prefix);
    s->retry_ms = RETRY_MIN_MS;
    uv_timer_init(b->loop, &s->retry);
    uv_timer_init(b->loop, &s->watch);
    s->retry.data = s->watch.data = b;
    uv_timer_start(&s->watch, on_watch, 250, 250);
    b->store = s;
    store_connect(b);
    return 0;
}

static void free_timer(uv_handle_t *h)
{
    struct pb_store *s = h->data;
    if (--s->closing == 0) { /* both timers live in s */
        free(s->fanout_buf);
        free(s);
    }
}

void pb_store_stop(struct pb_bridge *b)
{
    struct pb_store *s = b->store;
    if (s == NULL) {
        return;
    }
    if (s->spooled > 0) {
        pb_log(PB_LOG_ERROR, "redis: stopping with %zu messages not written (Redis away)",
               s->spooled);
    }
    /* Free the contexts first: their pending callbacks see b->closing and only free. */
    if (s->cmd != NULL) {
        redisAsyncFree(s->cmd);
    }
    if (s->sub != NULL) {
        redisAsyncFree(s->sub);
    }
    while (s->spool_head != NULL) {
        struct rec *r = s->spool_head;
        s->spool_head = r->next;
        free(r);
    }
    uv_timer_stop(&s->retry);
    uv_timer_stop(&s->watch);
    s->retry.data = s->watch.data = s;
    s->closing = 2;
    uv_close((uv_handle_t *)&s->retry, free_timer);
    uv_close((uv_handle_t *)&s->watch, free_timer);
    b->store = NULL;
}

bool pb_store_up(const struct pb_bridge *b) { return b->store != NULL && b->store->cmd_up; }

size_t pb_store_unwritten(const struct pb_bridge *b)
{
    return b->store == NULL ? 0 : b->store->spooled + b->store->in_flight;
}

/* ---- fan-out out ---- */

static void publish_fanout(struct pb_bridge *b, const struct pb_fanout *f)
{
    struct pb_store *s = b->store;
    if (!s->cmd_up) {
        return;
    }
    size_t n = pb_fanout_encode(f, s->fanout_buf, s->fanout_cap);
    if (n == 0) {
        return;
    }
    redisAsyncCommand(s->cmd, NULL, NULL, "PUBLISH %s %b", s->channel, s->fanout_buf, n);
    b->metrics.fanout_out++;
}

static void fanout_msg(struct pb_bridge *b, const struct rec *r, const char *id)
{
    struct pb_fanout f = {.kind = 'm',
                          .node = b->conf.node_id,
                          .node_len = strlen(b->conf.node_id),
                          .room = r->room,
                          .room_len = strlen(r->room),
                          .user = r->from,
                          .user_len = strlen(r->from),
                          .id = id,
                          .id_len = strlen(id),
                          .ts = r->ts,
                          .body = r->body,
                          .body_len = r->body_len};
    publish_fanout(b, &f);
}

/* ---- the write path ---- */

static void deliver(struct pb_bridge *b, struct rec *r, const char *id)
{
    struct pb_msg m = {r->room, r->from, r->body, r->body_len, r->ts, id};
    pb_room_deliver(b, &m);
    if (r->cb != NULL) {
        r->cb(b, r->token, id);
        r->cb = NULL;
    }
}

static void spool(struct pb_bridge *b, struct rec *r)
{
    struct pb_store *s = b->store;
    if (!r->delivered) {
        r->delivered = true;
        deliver(b, r, "");
    }
    if (s->spooled >= b->conf.spool_max) {
        struct rec *old = s->spool_head;
        s->spool_head = old->next;
        if (s->spool_head == NULL) {
            s->spool_tail = NULL;
        }
        s->spooled--;
        b->metrics.spool_dropped++;
        pb_log(PB_LOG_ERROR, "redis: spool full (%u): dropped the oldest message of room %s",
               b->conf.spool_max, old->room);
        free(old);
    }
    r->next = NULL;
    if (s->spool_tail != NULL) {
        s->spool_tail->next = r;
    } else {
        s->spool_head = r;
    }
    s->spool_tail = r;
    s->spooled++;
    update_gauge(b);
}

static void on_xadd(redisAsyncContext *c, void *reply, void *priv)
{
    struct pb_bridge *b = c->data;
    struct rec *r = priv;
    redisReply *rep = reply;
    b->store->in_flight--;
    if (b->closing && rep == NULL) {
        free(r);
        return;
    }
    if (rep == NULL) {
        spool(b, r); /* the connection went away before the answer; written again later */
        return;
    }
    if (rep->type != REDIS_REPLY_STRING) {
        b->metrics.redis_errors++;
        pb_log(PB_LOG_ERROR, "redis: XADD to room %s failed: %s", r->room,
               rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
        if (!r->delivered) {
            deliver(b, r, "");
        }
        free(r);
        return;
    }
    b->metrics.redis_writes++;
    fanout_msg(b, r, rep->str);
    if (!r->delivered) {
        deliver(b, r, rep->str);
    }
    free(r);
}

static void send_xadd(struct pb_bridge *b, struct rec *r)
{
    struct pb_store *s = b->store;
    char key[160];
    char maxlen[16];
    char ts[24];
    room_key(b, r->room, "history", key, sizeof key);
    snprintf(maxlen, sizeof maxlen, "%u", b->conf.history_max);
    snprintf(ts, sizeof ts, "%" PRId64, r->ts);
    const char *argv[] = {"XADD",  key,    "MAXLEN", "~",  maxlen, "*",    "from",
                          r->from, "body", r->body,  "ts", ts,     "node", b->conf.node_id};
    size_t lens[sizeof argv / sizeof argv[0]];
    for (size_t i = 0; i < sizeof argv / sizeof argv[0]; i++) {
        lens[i] = strlen(argv[i]);
    }
    lens[9] = r->body_len;
    if (redisAsyncCommandArgv(s->cmd, on_xadd, r, (int)(sizeof argv / sizeof argv[0]), argv,
                              lens) != REDIS_OK) {
        spool(b, r);
        return;
    }
    s->in_flight++;
}

static void flush_spool(struct pb_bridge *b)
{
    struct pb_store *s = b->store;
    struct rec *r = s->spool_head;
    size_t n = s->spooled;
    s->spool_head = s->spool_tail = NULL;
    s->spooled = 0;
    if (n > 0) {
        pb_log(PB_LOG_INFO, "redis: writing %zu spooled messages", n);
    }
    while (r != NULL) {
        struct rec *next = r->next;
        send_xadd(b, r);
        r = next;
    }
    update_gauge(b);
}

void pb_store_append(struct pb_bridge *b, const struct pb_msg *m, pb_append_cb cb, uint64_t token)
{
    struct rec *r = malloc(sizeof *r + m->body_len + 1);
    if (r == NULL) {
        pb_log(PB_LOG_ERROR, "out of memory: message to room %s not stored", m->room);
        pb_room_deliver(b, m);
        if (cb != NULL) {
            cb(b, token, "");
        }
        return;
    }
    r->next = NULL;
    r->cb = cb;
    r->token = token;
    r->ts = m->ts;
    r->delivered = false;
    snprintf(r->room, sizeof r->room, "%s", m->room);
    snprintf(r->from, sizeof r->from, "%s", m->from);
    r->body_len = m->body_len;
    memcpy(r->body, m->body, m->body_len);
    r->body[m->body_len] = '\0';
    if (b->store->cmd_up && b->store->spooled == 0) {
        send_xadd(b, r);
    } else {
        spool(b, r);
    }
}

void pb_store_typing(struct pb_bridge *b, const char *room, const char *user)
{
    struct pb_fanout f = {.kind = 't',
                          .node = b->conf.node_id,
                          .node_len = strlen(b->conf.node_id),
                          .room = room,
                          .room_len = strlen(room),
                          .user = user,
                          .user_len = strlen(user)};
    publish_fanout(b, &f);
}

void pb_store_presence(struct pb_bridge *b, const char *room, const char *user, const char *source,
                       bool online)
{
    struct pb_store *s = b->store;
    if (s->cmd_up) {
        char key[160], field[160];
        room_key(b, room, "presence", key, sizeof key);
        if (strcmp(source, "ws") == 0) {
            snprintf(field, sizeof field, "%s/ws:%s", user, b->conf.node_id);
        } else {
            snprintf(field, sizeof field, "%s/%s", user, source);
        }
        if (online) {
            redisAsyncCommand(s->cmd, NULL, NULL, "HSET %s %s %lld", key, field,
                              (long long)pb_now_ms());
        } else {
            redisAsyncCommand(s->cmd, NULL, NULL, "HDEL %s %s", key, field);
        }
    }
    struct pb_fanout f = {.kind = 'p',
                          .node = b->conf.node_id,
                          .node_len = strlen(b->conf.node_id),
                          .room = room,
                          .room_len = strlen(room),
                          .user = user,
                          .user_len = strlen(user),
                          .online = online};
    publish_fanout(b, &f);
    pb_room_presence(b, room, user, online);
}

/* ---- fan-out in ---- */

static void on_fanout(redisAsyncContext *c, void *reply, void *priv)
{
    (void)priv;
    struct pb_bridge *b = c->data;
    redisReply *rep = reply;
    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3 ||
        rep->element[0]->type != REDIS_REPLY_STRING ||
        strcmp(rep->element[0]->str, "message") != 0 ||
        rep->element[2]->type != REDIS_REPLY_STRING) {
        return;
    }
    struct pb_fanout f;
    if (!pb_fanout_decode(rep->element[2]->str, rep->element[2]->len, &f)) {
        pb_log(PB_LOG_WARNING, "redis: malformed fan-out record ignored");
        return;
    }
    if (f.node_len == strlen(b->conf.node_id) && memcmp(f.node, b->conf.node_id, f.node_len) == 0) {
        return; /* our own */
    }
    char room[65], user[65], id[PB_ID_MAX];
    snprintf(room, sizeof room, "%.*s", (int)f.room_len, f.room);
    snprintf(user, sizeof user, "%.*s", (int)f.user_len, f.user);
    snprintf(id, sizeof id, "%.*s", (int)f.id_len, f.id);
    b->metrics.fanout_in++;
    switch (f.kind) {
    case 'm': {
        struct pb_msg m = {room, user, f.body, f.body_len, f.ts, id};
        pb_room_deliver(b, &m);
        pb_mqtt_republish(b, room, user, f.body, f.body_len);
        break;
    }
    case 't':
        pb_room_typing(b, room, user);
        break;
    default:
        pb_room_presence(b, room, user, f.online);
        break;
    }
}

/* ---- queries ---- */

/* Reads an XRANGE reply's entries into e (at most cap). Returns how many were well formed. */
static size_t read_entries(const redisReply *rep, struct pb_entry *e, size_t cap, bool reverse)
{
    size_t take = rep->elements < cap ? rep->elements : cap;
    size_t n = 0;
    for (size_t i = 0; i < take; i++) {
        const redisReply *it = rep->element[reverse ? take - 1 - i : i];
        if (it->type != REDIS_REPLY_ARRAY || it->elements != 2 ||
            it->element[0]->type != REDIS_REPLY_STRING ||
            it->element[1]->type != REDIS_REPLY_ARRAY) {
            continue;
        }
        struct pb_entry x = {it->element[0]->str, "", "", 0, 0};
        const redisReply *kv = it->element[1];
        for (size_t k = 0; k + 1 < kv->elements; k += 2) {
            const redisReply *key = kv->element[k], *val = kv->element[k + 1];
            if (key->type != REDIS_REPLY_STRING || val->type != REDIS_REPLY_STRING) {
                continue;
            }
            if (strcmp(key->str, "from") == 0) {
                x.from = val->str;
            } else if (strcmp(key->str, "body") == 0) {
                x.body = val->str;
                x.body_len = val->len;
            } else if (strcmp(key->str, "ts") == 0) {
                x.ts = strtoll(val->str, NULL, 10);
            }
        }
        e[n++] = x;
    }
    return n;
}

#define RANGE_MAX 200

struct query {
    void (*fn)(void);
    uint64_t token;
    unsigned limit;
    bool reverse;
    char since[PB_ID_MAX];
    bool recovered;
    char last[PB_ID_MAX];
};

static struct query *new_query(void (*fn)(void), uint64_t token, unsigned limit)
{
    struct query *q = calloc(1, sizeof *q);
    if (q != NULL) {
        q->fn = fn;
        q->token = token;
        q->limit = limit;
    }
    return q;
}

static void on_range(redisAsyncContext *c, void *reply, void *priv)
{
    struct pb_bridge *b = c->data;
    struct query *q = priv;
    redisReply *rep = reply;
    pb_range_cb cb = (pb_range_cb)q->fn;
    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
        if (!b->closing) {
            cb(b, q->token, rep == NULL ? PB_STORE_UNAVAILABLE : PB_STORE_ERROR, NULL, 0, false);
        }
        free(q);
        return;
    }
    struct pb_entry e[RANGE_MAX];
    /* We asked for limit + 1: one more means there is more. XREVRANGE answers newest first;
     * read_entries takes the newest `limit` and turns them oldest first. */
    size_t n = read_entries(rep, e, q->limit, q->reverse);
    bool more = rep->elements > q->limit;
    cb(b, q->token, PB_STORE_OK, e, n, more);
    free(q);
}

int pb_store_range(struct pb_bridge *b, const char *room, const struct pb_range *r, pb_range_cb cb,
                   uint64_t token)
{
    struct pb_store *s = b->store;
    if (!s->cmd_up) {
        return -1;
    }
    unsigned limit = r->limit == 0 ? 50 : (r->limit > RANGE_MAX ? RANGE_MAX : r->limit);
    struct query *q = new_query((void (*)(void))cb, token, limit);
    if (q == NULL) {
        return -1;
    }
    char key[160], lo[PB_ID_MAX + 1], hi[PB_ID_MAX + 1];
    room_key(b, room, "history", key, sizeof key);
    snprintf(lo, sizeof lo, r->after[0] ? "(%s" : "-", r->after);
    snprintf(hi, sizeof hi, r->before[0] ? "(%s" : "+", r->before);
    int rc;
    if (r->after[0] != '\0') {
        rc = redisAsyncCommand(s->cmd, on_range, q, "XRANGE %s %s %s COUNT %u", key, lo, hi,
                               limit + 1);
    } else {
        q->reverse = true;
        rc = redisAsyncCommand(s->cmd, on_range, q, "XREVRANGE %s %s %s COUNT %u", key, hi, lo,
                               limit + 1);
    }
    if (rc != REDIS_OK) {
        free(q);
        return -1;
    }
    return 0;
}

/* Resume: XINFO STREAM tells whether the gap is whole, then XRANGE gives it. Both go on the
 * command connection, after every XADD already sent. */
static const redisReply *info_field(const redisReply *rep, const char *name)
{
    for (size_t i = 0; i + 1 < rep->elements; i += 2) {
        if (rep->element[i]->type == REDIS_REPLY_STRING &&
            strcmp(rep->element[i]->str, name) == 0) {
            return rep->element[i + 1];
        }
    }
    return NULL;
}

static void on_resume_range(redisAsyncContext *c, void *reply, void *priv)
{
    struct pb_bridge *b = c->data;
    struct query *q = priv;
    redisReply *rep = reply;
    pb_resume_cb cb = (pb_resume_cb)q->fn;
    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
        if (!b->closing) {
            cb(b, q->token, rep == NULL ? PB_STORE_UNAVAILABLE : PB_STORE_ERROR, NULL, 0, false,
               "");
        }
        free(q);
        return;
    }
    struct pb_entry *e = calloc(q->limit + 1, sizeof *e);
    if (e == NULL) {
        cb(b, q->token, PB_STORE_ERROR, NULL, 0, false, "");
        free(q);
        return;
    }
    size_t n = read_entries(rep, e, q->limit + 1, false);
    if (n > q->limit) {
        cb(b, q->token, PB_STORE_OK, NULL, 0, false, q->last); /* too many missed: reload */
    } else {
        cb(b, q->token, PB_STORE_OK, e, n, q->recovered, q->last);
    }
    free(e);
    free(q);
}

static void on_resume_info(redisAsyncContext *c, void *reply, void *priv)
{
    struct pb_bridge *b = c->data;
    struct query *q = priv;
    redisReply *rep = reply;
    (void)b;
    if (rep == NULL) {
        return; /* the XRANGE's callback answers and frees q */
    }
    /* No stream (an error reply): nothing to replay and nothing known. */
    q->recovered = false;
    q->last[0] = '\0';
    if (rep->type == REDIS_REPLY_ARRAY) {
        const redisReply *last = info_field(rep, "last-generated-id");
        const redisReply *del = info_field(rep, "max-deleted-entry-id");
        const redisReply *added = info_field(rep, "entries-added");
        const redisReply *length = info_field(rep, "length");
        const redisReply *first = info_field(rep, "recorded-first-entry-id");
        struct pb_id since, l, d = {0, 0}, f = {0, 0};
        if (last != NULL && last->type == REDIS_REPLY_STRING && pb_id_parse(last->str, &l) &&
            pb_id_parse(q->since, &since)) {
            snprintf(q->last, sizeof q->last, "%s", last->str);
            if (del != NULL && del->type == REDIS_REPLY_STRING) {
                pb_id_parse(del->str, &d);
            }
            if (first != NULL && first->type == REDIS_REPLY_STRING) {
                pb_id_parse(first->str, &f);
            }
            /* XDEL records max-deleted-entry-id, but MAXLEN trimming does not (Redis 7.0): when
             * entries are gone (added > length), the gap is whole only if the cursor is at or
             * after the first entry still held. */
            bool trimmed = added != NULL && length != NULL && added->type == REDIS_REPLY_INTEGER &&
                           length->type == REDIS_REPLY_INTEGER && added->integer > length->integer;
            q->recovered = pb_id_cmp(since, l) <= 0 && pb_id_cmp(d, since) <= 0 &&
                           (!trimmed || pb_id_cmp(f, since) <= 0);
        }
    }
    /* the XRANGE was sent right after the XINFO (pipelined); nothing to do until it answers */
}

int pb_store_resume(struct pb_bridge *b, const char *room, const char *since, unsigned limit,
                    pb_resume_cb cb, uint64_t token)
{
    struct pb_store *s = b->store;
    if (!s->cmd_up) {
        return -1;
    }
    struct query *q = new_query((void (*)(void))cb, token, limit);
    if (q == NULL) {
        return -1;
    }
    snprintf(q->since, sizeof q->since, "%s", since);
    char key[160];
    room_key(b, room, "history", key, sizeof key);
    if (redisAsyncCommand(s->cmd, on_resume_info, q, "XINFO STREAM %s", key) != REDIS_OK) {
        free(q);
        return -1;
    }
    /* The query is freed by the XRANGE's callback, which always comes after the XINFO's (one
     * connection, replies in order; on disconnect both get NULL, in order). */
    redisAsyncCommand(s->cmd, on_resume_range, q, "XRANGE %s (%s + COUNT %u", key, since,
                      limit + 1);
    return 0;
}

static void on_users(redisAsyncContext *c, void *reply, void *priv)
{
    struct pb_bridge *b = c->data;
    struct query *q = priv;
    redisReply *rep = reply;
    pb_users_cb cb = (pb_users_cb)q->fn;
    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
        if (!b->closing) {
            cb(b, q->token, rep == NULL ? PB_STORE_UNAVAILABLE : PB_STORE_ERROR, NULL, 0);
        }
        free(q);
        return;
    }
    /* Fields are "user/source"; a user present two ways is listed once. */
    const char **users = calloc(rep->elements + 1, sizeof *users);
    size_t n = 0;
    for (size_t i = 0; users != NULL && i < rep->elements; i++) {
        redisReply *f = rep->element[i];
        if (f->type != REDIS_REPLY_STRING) {
            continue;
        }
        char *slash = strchr(f->str, '/');
        if (slash != NULL) {
            *slash = '\0'; /* the reply is ours until this callback returns */
        }
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++) {
            seen = strcmp(users[k], f->str) == 0;
        }
        if (!seen) {
            users[n++] = f->str;
        }
    }
    cb(b, q->token, users == NULL ? PB_STORE_ERROR : PB_STORE_OK, users, n);
    free(users);
    free(q);
}

int pb_store_users(struct pb_bridge *b, const char *room, pb_users_cb cb, uint64_t token)
{
    struct pb_store *s = b->store;
    if (!s->cmd_up) {
        return -1;
    }
    struct query *q = new_query((void (*)(void))cb, token, 0);
    if (q == NULL) {
        return -1;
    }
    char key[160];
    room_key(b, room, "presence", key, sizeof key);
    if (redisAsyncCommand(s->cmd, on_users, q, "HKEYS %s", key) != REDIS_OK) {
        free(q);
        return -1;
    }
    return 0;
}
