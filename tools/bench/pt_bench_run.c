/* parley-bench's publish/subscribe run: N publishers and M subscribers on one epoll loop over
 * raw non-blocking sockets. Each room's publishers stay at most `window` messages ahead of the
 * room's slowest subscriber, so the broker never drops for a full queue (Mosquitto drops QoS 0
 * beyond max_queued_messages) and what is measured is delivery, not loss.
 *
 * Payload stamp (first PT_BENCH_STAMP bytes, big-endian): 6 bytes ns since the run started,
 * 2 bytes publisher index, 4 bytes that publisher's sequence number.
 */
#define _GNU_SOURCE /* epoll_pwait2 */
#include "pt_bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "pt_bench_mqtt.h"
#include "pt_bench_proc.h"

#define RBUF_CAP (256 * 1024)
#define SUB_WBUF_CAP (64 * 1024)
#define PUB_WBUF_CAP (1024 * 1024)
#define MAX_BODY (PT_BENCH_MAX_PAYLOAD + 4096)

enum phase { PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_DONE };

struct conn {
    int fd;
    int is_pub;
    unsigned idx; /* publisher or subscriber index */
    unsigned room;
    uint8_t *rbuf, *wbuf;
    size_t rlen, wlen, woff, wcap;
    int want_out; /* EPOLLOUT armed */
    /* publisher */
    char topic[PT_BENCH_NAME_MAX];
    size_t topic_len;
    uint64_t sent;
    uint16_t next_id;
    uint64_t inflight;
    /* subscriber */
    uint64_t recv, dup;
    int64_t *last_seq; /* per publisher */
};

struct run {
    const struct pt_bench_cfg *cfg;
    struct pt_bench_result *res;
    int ep;
    struct conn *pubs, *subs;
    uint64_t *room_sent; /* messages published to each room */
    uint64_t *slack;     /* per room, recomputed each loop turn */
    uint64_t total_sent;
    unsigned rr; /* next publisher to try */
    uint64_t t0, t_measure, t_end_measure;
    enum phase phase;
    uint8_t payload[PT_BENCH_MAX_PAYLOAD];
};

static double cpu_self_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void fail(struct run *r, const char *what, unsigned idx)
{
    if (r->res->error[0] == '\0') {
        snprintf(r->res->error, sizeof(r->res->error), "%s (client %u)", what, idx);
    }
    r->phase = PH_DONE;
}

/* Blocking request/response during setup: sends out[0..n) and waits for one packet of type
 * want; leftovers stay in c->rbuf. */
static int setup_exchange(struct conn *c, const uint8_t *out, size_t n, unsigned want,
                          struct pt_mqtt_packet *pkt, char *err, size_t errlen)
{
    size_t off = 0;
    uint64_t deadline = pt_bench_now_ns() + 10000000000ull;
    while (off < n) {
        ssize_t w = write(c->fd, out + off, n - off);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(err, errlen, "write: %s", strerror(errno));
            return -1;
        }
        if (w > 0) {
            off += (size_t)w;
        }
    }
    for (;;) {
        int st = pt_mqtt_parse(c->rbuf, c->rlen, MAX_BODY, pkt);
        if (st == PT_MQTT_OK) {
            if (pkt->type == want) {
                return 0;
            }
            snprintf(err, errlen, "unexpected packet type %u during setup", pkt->type);
            return -1;
        }
        if (st == PT_MQTT_MALFORMED) {
            snprintf(err, errlen, "malformed packet during setup");
            return -1;
        }
        ssize_t rd = read(c->fd, c->rbuf + c->rlen, RBUF_CAP - c->rlen);
        if (rd == 0) {
            snprintf(err, errlen, "broker closed the connection during setup");
            return -1;
        }
        if (rd < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                snprintf(err, errlen, "read: %s", strerror(errno));
                return -1;
            }
            if (pt_bench_now_ns() > deadline) {
                snprintf(err, errlen, "no answer from the broker during setup");
                return -1;
            }
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        c->rlen += (size_t)rd;
    }
}

static void consume(struct conn *c, size_t n)
{
    memmove(c->rbuf, c->rbuf + n, c->rlen - n);
    c->rlen -= n;
}

static int setup_conn(struct run *r, struct conn *c, unsigned k)
{
    const struct pt_bench_cfg *cfg = r->cfg;
    char ubuf[PT_BENCH_NAME_MAX], pbuf[PT_BENCH_CRED_MAX], cid[64], room[PT_BENCH_NAME_MAX];
    char err[200];
    uint8_t pkt[PT_BENCH_CRED_MAX + 1024];
    struct pt_mqtt_packet p;
    const char *user = pt_bench_username(cfg, k, ubuf, sizeof(ubuf));
    const char *pass = pt_bench_password(cfg, user, pbuf, sizeof(pbuf));
    snprintf(cid, sizeof(cid), "pb%ld-%u", (long)getpid(), k);
    snprintf(room, sizeof(room), "%s%u", cfg->room_prefix, cfg->room_base + c->room);

    c->fd = pt_bench_socket(cfg, 1, err, sizeof(err));
    if (c->fd < 0) {
        fail(r, err, k);
        return -1;
    }
    size_t n = pt_mqtt_connect(pkt, sizeof(pkt), cfg->v5, cid, user, pass, 0);
    unsigned code = 0;
    if (n == 0 || setup_exchange(c, pkt, n, PT_MQTT_CONNACK, &p, err, sizeof(err)) != 0) {
        fail(r, n == 0 ? "CONNECT too long" : err, k);
        return -1;
    }
    if (pt_mqtt_parse_connack(&p, &code) != PT_MQTT_OK || code != 0) {
        snprintf(err, sizeof(err), "connection refused by the broker: code 0x%02x", code);
        fail(r, err, k);
        return -1;
    }
    consume(c, p.total_len);
    const char *u = user ? user : cid;
    if (c->is_pub) {
        if (!pt_bench_expand(c->topic, sizeof(c->topic), cfg->topic_tmpl, room, u)) {
            fail(r, "topic too long", k);
            return -1;
        }
        c->topic_len = strlen(c->topic);
        return 0;
    }
    char filter[PT_BENCH_NAME_MAX];
    uint16_t id = 0;
    if (!pt_bench_expand(filter, sizeof(filter), cfg->sub_tmpl, room, u)) {
        fail(r, "subscription filter too long", k);
        return -1;
    }
    n = pt_mqtt_subscribe(pkt, sizeof(pkt), cfg->v5, 1, filter, cfg->qos);
    if (n == 0 || setup_exchange(c, pkt, n, PT_MQTT_SUBACK, &p, err, sizeof(err)) != 0) {
        fail(r, n == 0 ? "SUBSCRIBE too long" : err, k);
        return -1;
    }
    if (pt_mqtt_parse_suback(&p, cfg->v5, &id, &code) != PT_MQTT_OK || code >= 0x80) {
        snprintf(err, sizeof(err), "subscription to %.120s refused: code 0x%02x", filter, code);
        fail(r, err, k);
        return -1;
    }
    consume(c, p.total_len);
    return 0;
}

static void arm(struct run *r, struct conn *c, int out)
{
    if (c->want_out == out) {
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = out;
}

static int flush(struct run *r, struct conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t w = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                arm(r, c, 1);
                return 0;
            }
            if (errno == EINTR) {
                continue;
            }
            fail(r, "write failed", c->idx);
            return -1;
        }
        c->woff += (size_t)w;
    }
    c->woff = c->wlen = 0;
    arm(r, c, 0);
    return 0;
}

static void put48(uint8_t *p, uint64_t v)
{
    for (int i = 5; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static int publish_one(struct run *r, struct conn *c, uint64_t now)
{
    const struct pt_bench_cfg *cfg = r->cfg;
    if (c->wcap - c->wlen < cfg->size + c->topic_len + 16) {
        return 0;
    }
    uint16_t id = 0;
    if (cfg->qos) {
        if (c->inflight >= cfg->window) {
            return 0;
        }
        id = c->next_id;
        c->next_id = (uint16_t)(c->next_id == 65535 ? 1 : c->next_id + 1);
        c->inflight++;
    }
    uint8_t *p = c->wbuf + c->wlen;
    size_t h = pt_mqtt_publish_header(p, c->wcap - c->wlen, cfg->v5, c->topic, c->topic_len,
                                      cfg->qos, id, cfg->size);
    memcpy(p + h, r->payload, cfg->size);
    put48(p + h, now - r->t0);
    p[h + 6] = (uint8_t)(c->idx >> 8);
    p[h + 7] = (uint8_t)c->idx;
    uint32_t seq = (uint32_t)c->sent;
    p[h + 8] = (uint8_t)(seq >> 24);
    p[h + 9] = (uint8_t)(seq >> 16);
    p[h + 10] = (uint8_t)(seq >> 8);
    p[h + 11] = (uint8_t)seq;
    c->wlen += h + cfg->size;
    c->sent++;
    r->room_sent[c->room]++;
    r->total_sent++;
    if (r->phase == PH_MEASURE) {
        r->res->published++;
    }
    return 1;
}

/* How many more messages room may take before its slowest subscriber is window behind. */
static uint64_t room_slack(const struct run *r, unsigned room)
{
    uint64_t min_recv = UINT64_MAX;
    for (unsigned j = 0; j < r->cfg->subs; j++) {
        const struct conn *s = &r->subs[j];
        if (s->room == room && s->recv - s->dup < min_recv) {
            min_recv = s->recv - s->dup;
        }
    }
    if (min_recv == UINT64_MAX) {
        return UINT64_MAX; /* nobody listens: the broker queues nothing */
    }
    uint64_t ahead = r->room_sent[room] - min_recv;
    return ahead >= r->cfg->window ? 0 : r->cfg->window - ahead;
}

/* Publishes what is due (paced) or what the window allows (saturated), round robin. Returns
 * true when it stopped because of the window or a full buffer rather than the pace. */
static int publish_due(struct run *r, uint64_t now)
{
    const struct pt_bench_cfg *cfg = r->cfg;
    uint64_t due = UINT64_MAX;
    if (cfg->rate > 0) {
        uint64_t target = (uint64_t)((double)(now - r->t0) * cfg->rate / 1e9) + 1;
        due = target > r->total_sent ? target - r->total_sent : 0;
    }
    if (cfg->count && due > cfg->count - r->total_sent) {
        due = cfg->count - r->total_sent;
    }
    for (unsigned i = 0; i < cfg->rooms; i++) {
        r->slack[i] = room_slack(r, i);
    }
    int blocked = 0;
    unsigned stuck = 0;
    while (due > 0 && stuck < cfg->pubs) {
        struct conn *c = &r->pubs[r->rr];
        r->rr = (r->rr + 1) % cfg->pubs;
        uint64_t *sl = &r->slack[c->room];
        if (*sl == 0 || !publish_one(r, c, now)) {
            stuck++;
            blocked = 1;
            continue;
        }
        stuck = 0;
        if (*sl != UINT64_MAX) {
            (*sl)--;
        }
        if (due != UINT64_MAX) {
            due--;
        }
    }
    for (unsigned i = 0; i < cfg->pubs; i++) {
        if (r->pubs[i].wlen > r->pubs[i].woff && !r->pubs[i].want_out) {
            flush(r, &r->pubs[i]);
        }
    }
    return blocked;
}

static void on_publish(struct run *r, struct conn *c, const struct pt_mqtt_publish *m, uint64_t now)
{
    if (m->payload_len < PT_BENCH_STAMP) {
        c->recv++;
        c->dup++;
        r->res->stray++;
        return;
    }
    const uint8_t *p = m->payload;
    uint64_t ts = 0;
    for (int i = 0; i < 6; i++) {
        ts = (ts << 8) | p[i];
    }
    unsigned pub = ((unsigned)p[6] << 8) | p[7];
    int64_t seq =
        (int64_t)(((uint32_t)p[8] << 24) | ((uint32_t)p[9] << 16) | ((uint32_t)p[10] << 8) | p[11]);
    c->recv++;
    if (pub >= r->cfg->pubs || r->pubs[pub].room != c->room) {
        r->res->stray++;
        c->dup++; /* not part of this room's stream: keep it out of the window arithmetic */
        return;
    }
    if (seq <= c->last_seq[pub]) {
        c->dup++;
    } else {
        c->last_seq[pub] = seq;
    }
    if (r->phase == PH_MEASURE) {
        r->res->deliveries++;
        uint64_t sent = r->t0 + ts;
        pt_hist_add(&r->res->lat, now > sent ? now - sent : 0);
    }
}

static void on_readable(struct run *r, struct conn *c, uint64_t now)
{
    for (;;) {
        if (c->rlen == RBUF_CAP) {
            /* Full: parse first. A packet is at most MAX_BODY (< RBUF_CAP) bytes, so the buffer
             * holds at least one whole packet; epoll is level-triggered and reports the rest. */
            break;
        }
        ssize_t n = read(c->fd, c->rbuf + c->rlen, RBUF_CAP - c->rlen);
        if (n == 0) {
            fail(r,
                 c->is_pub ? "broker closed a publisher's connection"
                           : "broker closed a subscriber's connection",
                 c->idx);
            return;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                fail(r, "read failed", c->idx);
            }
            break;
        }
        c->rlen += (size_t)n;
        if ((size_t)n < RBUF_CAP / 2) {
            break; /* the socket is most likely drained; epoll says when there is more */
        }
    }
    size_t off = 0;
    struct pt_mqtt_packet p;
    while (off < c->rlen) {
        int st = pt_mqtt_parse(c->rbuf + off, c->rlen - off, MAX_BODY, &p);
        if (st == PT_MQTT_NEED_MORE) {
            break;
        }
        if (st != PT_MQTT_OK) {
            fail(r, "malformed packet from the broker", c->idx);
            return;
        }
        if (p.type == PT_MQTT_PUBLISH && !c->is_pub) {
            struct pt_mqtt_publish m;
            if (pt_mqtt_parse_publish(&p, r->cfg->v5, &m) != PT_MQTT_OK) {
                fail(r, "malformed PUBLISH", c->idx);
                return;
            }
            if (m.qos == 1) {
                if (c->wcap - c->wlen < 4) {
                    break; /* answer the rest after the PUBACKs are out */
                }
                c->wlen += pt_mqtt_puback(c->wbuf + c->wlen, c->wcap - c->wlen, m.packet_id);
            }
            on_publish(r, c, &m, now);
        } else if (p.type == PT_MQTT_PUBACK && c->is_pub) {
            uint16_t id;
            unsigned code;
            if (pt_mqtt_parse_puback(&p, &id, &code) == PT_MQTT_OK) {
                if (c->inflight) {
                    c->inflight--;
                }
                if (code >= 0x80) {
                    r->res->refused++;
                }
            }
        }
        off += p.total_len;
    }
    consume(c, off);
    if (c->wlen > c->woff) {
        flush(r, c);
    }
}

static int alloc_conns(struct run *r)
{
    const struct pt_bench_cfg *cfg = r->cfg;
    r->pubs = calloc(cfg->pubs, sizeof(struct conn));
    r->subs = calloc(cfg->subs ? cfg->subs : 1, sizeof(struct conn));
    r->room_sent = calloc(cfg->rooms, sizeof(uint64_t));
    r->slack = calloc(cfg->rooms, sizeof(uint64_t));
    if (!r->pubs || !r->subs || !r->room_sent || !r->slack) {
        return -1;
    }
    for (unsigned i = 0; i < cfg->pubs + cfg->subs; i++) {
        int is_pub = i < cfg->pubs;
        struct conn *c = is_pub ? &r->pubs[i] : &r->subs[i - cfg->pubs];
        c->fd = -1;
        c->is_pub = is_pub;
        c->idx = is_pub ? i : i - cfg->pubs;
        c->room = c->idx % cfg->rooms;
        c->next_id = 1;
        c->wcap = is_pub ? PUB_WBUF_CAP : SUB_WBUF_CAP;
        c->rbuf = malloc(RBUF_CAP);
        c->wbuf = malloc(c->wcap);
        if (!c->rbuf || !c->wbuf) {
            return -1;
        }
        if (!is_pub) {
            c->last_seq = malloc(cfg->pubs * sizeof(int64_t));
            if (!c->last_seq) {
                return -1;
            }
            for (unsigned k = 0; k < cfg->pubs; k++) {
                c->last_seq[k] = -1;
            }
        }
    }
    return 0;
}

static void free_conns(struct run *r)
{
    for (unsigned i = 0; r->pubs && i < r->cfg->pubs; i++) {
        if (r->pubs[i].fd >= 0) {
            close(r->pubs[i].fd);
        }
        free(r->pubs[i].rbuf);
        free(r->pubs[i].wbuf);
    }
    for (unsigned i = 0; r->subs && i < r->cfg->subs; i++) {
        if (r->subs[i].fd >= 0) {
            close(r->subs[i].fd);
        }
        free(r->subs[i].rbuf);
        free(r->subs[i].wbuf);
        free(r->subs[i].last_seq);
    }
    free(r->pubs);
    free(r->subs);
    free(r->room_sent);
    free(r->slack);
}

static int all_received(const struct run *r)
{
    for (unsigned j = 0; j < r->cfg->subs; j++) {
        const struct conn *s = &r->subs[j];
        if (s->recv - s->dup < r->room_sent[s->room]) {
            return 0;
        }
    }
    for (unsigned i = 0; r->cfg->qos && i < r->cfg->pubs; i++) {
        if (r->pubs[i].inflight) {
            return 0;
        }
    }
    return 1;
}

static void sample_cpu(const struct run *r, struct pt_proc_cpu *cpu, double *self)
{
    *self = cpu_self_s();
    if (r->cfg->broker_pid <= 0 || pt_proc_cpu_read(r->cfg->broker_pid, cpu) != 0) {
        cpu->sched_ns = cpu->stat_ns = 0;
    }
}

static void event_loop(struct run *r)
{
    const struct pt_bench_cfg *cfg = r->cfg;
    struct pt_bench_result *res = r->res;
    struct epoll_event evs[128];
    struct pt_proc_cpu cpu0 = {0, 0}, cpu1 = {0, 0};
    double self0 = 0, self1 = 0;
    uint64_t drain_deadline = 0;
    r->t0 = pt_bench_now_ns();
    r->phase = cfg->warmup > 0 && !cfg->count ? PH_WARMUP : PH_MEASURE;
    r->t_measure = r->t0 + (r->phase == PH_WARMUP ? (uint64_t)(cfg->warmup * 1e9) : 0);
    r->t_end_measure = cfg->count ? UINT64_MAX : r->t_measure + (uint64_t)(cfg->duration * 1e9);
    if (r->phase == PH_MEASURE) {
        sample_cpu(r, &cpu0, &self0);
    }
    while (r->phase != PH_DONE) {
        uint64_t now = pt_bench_now_ns();
        if (r->phase == PH_WARMUP && now >= r->t_measure) {
            r->phase = PH_MEASURE;
            sample_cpu(r, &cpu0, &self0);
        }
        if (r->phase == PH_MEASURE &&
            (now >= r->t_end_measure ||
             (cfg->count && r->total_sent >= cfg->count && all_received(r)))) {
            sample_cpu(r, &cpu1, &self1);
            r->t_end_measure = now;
            r->phase = PH_DRAIN;
            drain_deadline = now + (uint64_t)(cfg->drain * 1e9);
        }
        if (r->phase == PH_DRAIN && (all_received(r) || now >= drain_deadline)) {
            r->phase = PH_DONE;
            break;
        }
        int blocked = 0;
        int publishing = r->phase != PH_DRAIN && (!cfg->count || r->total_sent < cfg->count);
        if (publishing) {
            blocked = publish_due(r, now);
        }
        /* How long to wait for events: until the next paced message, else briefly. */
        int64_t wait_ns = 10000000;
        if (publishing && !blocked) {
            if (cfg->rate > 0) {
                uint64_t next = r->t0 + (uint64_t)((double)r->total_sent * 1e9 / cfg->rate);
                wait_ns = next > now ? (int64_t)(next - now) : 0;
            } else {
                wait_ns = 0;
            }
        }
        if (cfg->batch_us && cfg->rate <= 0 && r->phase != PH_DRAIN) {
            /* Saturating: let deliveries pile up so one read() returns many. */
            struct timespec ts = {0, (long)cfg->batch_us * 1000};
            nanosleep(&ts, NULL);
            wait_ns = blocked ? 1000000 : 0;
        }
        struct timespec to = {(time_t)(wait_ns / 1000000000), (long)(wait_ns % 1000000000)};
        int n = epoll_pwait2(r->ep, evs, 128, &to, NULL);
        if (n < 0 && errno != EINTR) {
            fail(r, "epoll_pwait2 failed", 0);
            break;
        }
        now = pt_bench_now_ns();
        for (int i = 0; i < n && r->phase != PH_DONE; i++) {
            struct conn *c = evs[i].data.ptr;
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                on_readable(r, c, now);
            }
            if ((evs[i].events & EPOLLOUT) && r->phase != PH_DONE) {
                flush(r, c);
                if (!c->is_pub && c->rlen) {
                    on_readable(r, c, now); /* parse what waited for PUBACK room */
                }
            }
        }
    }
    if (cpu1.sched_ns == 0 && cpu1.stat_ns == 0 && self1 == 0) {
        sample_cpu(r, &cpu1, &self1);
        if (r->t_end_measure == UINT64_MAX || r->t_end_measure > pt_bench_now_ns()) {
            r->t_end_measure = pt_bench_now_ns();
        }
    }
    res->measure_s = (double)(r->t_end_measure - r->t_measure) / 1e9;
    res->gen_cpu_s = self1 - self0;
    if (cfg->broker_pid > 0) {
        res->broker_cpu_s = cpu0.sched_ns && cpu1.sched_ns
                                ? (double)(cpu1.sched_ns - cpu0.sched_ns) / 1e9
                                : (double)(cpu1.stat_ns - cpu0.stat_ns) / 1e9;
        res->broker_cpu_stat_s = (double)(cpu1.stat_ns - cpu0.stat_ns) / 1e9;
    }
}

int pt_bench_run(const struct pt_bench_cfg *cfg, struct pt_bench_result *res)
{
    static struct run r; /* large (payload template); one run per process */
    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    r.res = res;
    r.ep = -1;
    res->broker_cpu_s = res->broker_cpu_stat_s = -1;
    pt_hist_init(&res->lat);
    for (size_t i = 0; i < cfg->size; i++) {
        r.payload[i] = (uint8_t)('a' + i % 26);
    }
    if (alloc_conns(&r) != 0) {
        snprintf(res->error, sizeof(res->error), "out of memory");
        free_conns(&r);
        return -1;
    }
    r.ep = epoll_create1(0);
    /* Subscribers first, so nothing published is missed. */
    for (unsigned k = 0; k < cfg->pubs + cfg->subs && res->error[0] == '\0'; k++) {
        unsigned order = k < cfg->subs ? cfg->pubs + k : k - cfg->subs;
        struct conn *c = order < cfg->pubs ? &r.pubs[order] : &r.subs[order - cfg->pubs];
        if (setup_conn(&r, c, order) == 0) {
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
            epoll_ctl(r.ep, EPOLL_CTL_ADD, c->fd, &ev);
        }
    }
    if (res->error[0] == '\0') {
        event_loop(&r);
    }
    res->published_total = r.total_sent;
    for (unsigned j = 0; j < cfg->subs; j++) {
        const struct conn *s = &r.subs[j];
        uint64_t uniq = s->recv - s->dup;
        res->received_total += s->recv;
        res->expected_total += r.room_sent[s->room];
        res->dup += s->dup;
        if (uniq < r.room_sent[s->room]) {
            res->lost += r.room_sent[s->room] - uniq;
        }
    }
    res->dup -= res->stray; /* strays were kept apart as dup for the window; report them once */
    free_conns(&r);
    if (r.ep >= 0) {
        close(r.ep);
    }
    return res->error[0] ? -1 : 0;
}
