/* parley-bench's connect-rate mode: `concurrency` connections at a time, each CONNECT, wait for
 * CONNACK, DISCONNECT, wait for the broker to close, then close with a reset (SO_LINGER 0) so
 * thousands of connects leave no TIME_WAIT sockets behind. Credentials (tokens included) are
 * made before the clock starts, so only the broker's work is timed.
 */
#define _GNU_SOURCE /* epoll_pwait2 */
#include "pt_bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pt_bench_mqtt.h"
#include "pt_bench_proc.h"

#define CONNECT_PKT_MAX (PT_BENCH_CRED_MAX + 2 * PT_BENCH_NAME_MAX + 64)
#define MAX_SLOTS 256

enum slot_state { SL_IDLE, SL_CONNECTING, SL_WAIT_CONNACK, SL_WAIT_CLOSE };

struct slot {
    int fd;
    enum slot_state state;
    unsigned n;     /* which connect this is */
    uint64_t start; /* ns */
    uint8_t rbuf[64];
    size_t rlen;
};

struct connect_run {
    const struct pt_bench_cfg *cfg;
    struct pt_bench_result *res;
    int ep;
    unsigned started, finished, nusers;
    uint8_t (*pkts)[CONNECT_PKT_MAX]; /* CONNECT packet per username */
    size_t *pkt_len;
    struct slot slots[MAX_SLOTS];
};

static void slot_close(struct connect_run *cr, struct slot *s)
{
    if (s->fd >= 0) {
        struct linger lg = {1, 0};
        setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        epoll_ctl(cr->ep, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
    }
    s->fd = -1;
    s->state = SL_IDLE;
    s->rlen = 0;
}

static void slot_start(struct connect_run *cr, struct slot *s)
{
    char err[200];
    if (cr->started >= cr->cfg->connect_test) {
        return;
    }
    s->fd = pt_bench_socket(cr->cfg, 0, err, sizeof(err));
    if (s->fd < 0) {
        snprintf(cr->res->error, sizeof(cr->res->error), "%s", err);
        return;
    }
    s->n = cr->started++;
    s->start = pt_bench_now_ns();
    s->state = SL_CONNECTING;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = s};
    epoll_ctl(cr->ep, EPOLL_CTL_ADD, s->fd, &ev);
}

static void slot_done(struct connect_run *cr, struct slot *s, int ok)
{
    if (ok) {
        cr->res->connects_ok++;
    } else {
        cr->res->connects_failed++;
    }
    cr->finished++;
    slot_close(cr, s);
    slot_start(cr, s);
}

static void slot_event(struct connect_run *cr, struct slot *s, uint32_t events)
{
    if (s->state == SL_CONNECTING) {
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        if (soerr != 0 || (events & (EPOLLERR | EPOLLHUP))) {
            slot_done(cr, s, 0);
            return;
        }
        unsigned u = s->n % cr->nusers;
        ssize_t w = write(s->fd, cr->pkts[u], cr->pkt_len[u]);
        if (w != (ssize_t)cr->pkt_len[u]) {
            slot_done(cr, s, 0);
            return;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
        epoll_ctl(cr->ep, EPOLL_CTL_MOD, s->fd, &ev);
        s->state = SL_WAIT_CONNACK;
        return;
    }
    ssize_t n = read(s->fd, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (s->state == SL_WAIT_CLOSE) {
        if (n <= 0) {
            slot_done(cr, s, 1);
        }
        return; /* anything the broker still sends is ignored */
    }
    if (n <= 0) {
        slot_done(cr, s, 0); /* closed before CONNACK: refused without an answer */
        return;
    }
    s->rlen += (size_t)n;
    struct pt_mqtt_packet p;
    int st = pt_mqtt_parse(s->rbuf, s->rlen, sizeof(s->rbuf), &p);
    if (st == PT_MQTT_NEED_MORE) {
        return;
    }
    unsigned code = 0xff;
    if (st != PT_MQTT_OK || pt_mqtt_parse_connack(&p, &code) != PT_MQTT_OK || code != 0) {
        slot_done(cr, s, 0);
        return;
    }
    pt_hist_add(&cr->res->lat, pt_bench_now_ns() - s->start);
    uint8_t d[2];
    pt_mqtt_disconnect(d, sizeof(d));
    if (write(s->fd, d, 2) != 2) {
        slot_done(cr, s, 1);
        return;
    }
    s->state = SL_WAIT_CLOSE;
}

static int build_packets(struct connect_run *cr)
{
    const struct pt_bench_cfg *cfg = cr->cfg;
    cr->nusers = cfg->users ? cfg->users : 1;
    if (cr->nusers > cfg->connect_test) {
        cr->nusers = cfg->connect_test;
    }
    cr->pkts = malloc((size_t)cr->nusers * sizeof(*cr->pkts));
    cr->pkt_len = malloc((size_t)cr->nusers * sizeof(size_t));
    if (!cr->pkts || !cr->pkt_len) {
        snprintf(cr->res->error, sizeof(cr->res->error), "out of memory");
        return -1;
    }
    for (unsigned u = 0; u < cr->nusers; u++) {
        char ubuf[PT_BENCH_NAME_MAX], pbuf[PT_BENCH_CRED_MAX], cid[64];
        const char *user = pt_bench_username(cfg, u, ubuf, sizeof(ubuf));
        const char *pass = pt_bench_password(cfg, user, pbuf, sizeof(pbuf));
        snprintf(cid, sizeof(cid), "pbc%ld-%u", (long)getpid(), u);
        cr->pkt_len[u] =
            pt_mqtt_connect(cr->pkts[u], CONNECT_PKT_MAX, cfg->v5, cid, user, pass, 60);
        if (cr->pkt_len[u] == 0) {
            snprintf(cr->res->error, sizeof(cr->res->error), "CONNECT too long");
            return -1;
        }
    }
    return 0;
}

int pt_bench_connect_test(const struct pt_bench_cfg *cfg, struct pt_bench_result *res)
{
    static struct connect_run cr;
    memset(&cr, 0, sizeof(cr));
    cr.cfg = cfg;
    cr.res = res;
    res->broker_cpu_s = res->broker_cpu_stat_s = -1;
    pt_hist_init(&res->lat);
    cr.ep = epoll_create1(0);
    if (cr.ep < 0 || build_packets(&cr) != 0) {
        free(cr.pkts);
        free(cr.pkt_len);
        if (cr.ep >= 0) {
            close(cr.ep);
        }
        return -1;
    }
    unsigned conc = cfg->concurrency ? cfg->concurrency : 1;
    if (conc > MAX_SLOTS) {
        conc = MAX_SLOTS;
    }
    struct pt_proc_cpu c0 = {0, 0}, c1 = {0, 0};
    struct rusage ru0, ru1;
    if (cfg->broker_pid > 0) {
        pt_proc_cpu_read(cfg->broker_pid, &c0);
    }
    getrusage(RUSAGE_SELF, &ru0);
    uint64_t t0 = pt_bench_now_ns();
    uint64_t deadline = t0 + 120000000000ull;
    for (unsigned i = 0; i < conc; i++) {
        cr.slots[i].fd = -1;
        slot_start(&cr, &cr.slots[i]);
    }
    struct epoll_event evs[MAX_SLOTS];
    while (cr.finished < cfg->connect_test && res->error[0] == '\0') {
        struct timespec to = {0, 100000000};
        int n = epoll_pwait2(cr.ep, evs, MAX_SLOTS, &to, NULL);
        for (int i = 0; i < n; i++) {
            slot_event(&cr, evs[i].data.ptr, evs[i].events);
        }
        if (pt_bench_now_ns() > deadline) {
            snprintf(res->error, sizeof(res->error), "connect test timed out after %u of %u",
                     cr.finished, cfg->connect_test);
        }
    }
    uint64_t t1 = pt_bench_now_ns();
    getrusage(RUSAGE_SELF, &ru1);
    if (cfg->broker_pid > 0 && pt_proc_cpu_read(cfg->broker_pid, &c1) == 0) {
        res->broker_cpu_s = c0.sched_ns && c1.sched_ns ? (double)(c1.sched_ns - c0.sched_ns) / 1e9
                                                       : (double)(c1.stat_ns - c0.stat_ns) / 1e9;
        res->broker_cpu_stat_s = (double)(c1.stat_ns - c0.stat_ns) / 1e9;
    }
    res->gen_cpu_s = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                     (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                     (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                     (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    res->measure_s = (double)(t1 - t0) / 1e9;
    for (unsigned i = 0; i < conc; i++) {
        slot_close(&cr, &cr.slots[i]);
    }
    free(cr.pkts);
    free(cr.pkt_len);
    close(cr.ep);
    return res->error[0] ? -1 : 0;
}
