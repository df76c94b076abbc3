/* pd-bench: publish throughput of libparley_device over the POSIX port.
 *
 *   pd-bench HOST PORT QOS COUNT SIZE
 *
 * Connects (clean session, no credentials), publishes COUNT messages of SIZE bytes to
 * bench/pd at QOS as fast as the library's window and buffer allow, and prints one line:
 *   "count=N seconds=S rate=R" (messages per second).
 * The clock runs from the first publish to the moment the broker has taken every message:
 * the last PUBACK for QoS 1; for QoS 0 the PUBACK of one extra QoS 1 marker sent after them
 * (TCP keeps order, so the broker has read all before it). Each payload starts with a
 * monotonic timestamp (8 bytes) and a sequence number (4 bytes). */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pd_client.h"
#include "pd_posix.h"

struct bench {
    unsigned long acked;
    bool marker_acked;
    uint16_t marker_id;
    bool failed;
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void on_event(struct pd_client *c, const struct pd_event *ev, void *user)
{
    struct bench *b = user;
    (void)c;
    if (ev->type == PD_EV_PUBACK) {
        if (b->marker_id && ev->id == b->marker_id) {
            b->marker_acked = true;
        } else {
            b->acked++;
        }
    } else if ((ev->type == PD_EV_DISCONNECTED && ev->status != PD_OK) ||
               (ev->type == PD_EV_CONNACK && ev->code)) {
        b->failed = true;
        fprintf(stderr, "pd-bench: link ended: %s\n", pd_strerror(ev->status));
    }
}

static void wait_fd(struct pd_posix *net, int timeout_ms)
{
    struct pollfd p;
    p.fd = pd_posix_fd(net);
    p.events = pd_posix_events(net);
    p.revents = 0;
    (void)poll(&p, 1, timeout_ms);
}

int main(int argc, char **argv)
{
    static uint8_t txbuf[32768];
    static uint8_t rxbuf[1024];
    static uint8_t payload[PD_MAX_PAYLOAD];
    struct pd_posix net;
    struct pd_client c;
    struct bench b;
    struct pd_connect_opts co;
    enum pd_posix_status ps;
    unsigned long count;
    unsigned long sent = 0;
    size_t size;
    uint8_t qos;
    uint64_t t0;
    uint64_t t1;
    if (argc != 6) {
        fprintf(stderr, "usage: pd-bench HOST PORT QOS COUNT SIZE\n");
        return 1;
    }
    qos = (uint8_t)atoi(argv[3]);
    count = strtoul(argv[4], NULL, 10);
    size = (size_t)strtoul(argv[5], NULL, 10);
    if (qos > 1 || size < 12 || size > PD_MAX_PAYLOAD || !count) {
        fprintf(stderr, "pd-bench: QOS 0|1, SIZE 12..%u, COUNT >= 1\n", (unsigned)PD_MAX_PAYLOAD);
        return 1;
    }
    memset(&b, 0, sizeof b);
    pd_posix_init(&net, NULL);
    ps = pd_posix_open(&net, argv[1], (uint16_t)atoi(argv[2]));
    while (ps == PD_POSIX_PENDING) {
        wait_fd(&net, 1000);
        ps = pd_posix_step(&net);
    }
    if (ps != PD_POSIX_READY) {
        fprintf(stderr, "pd-bench: connect: %s\n", pd_posix_strerror(&net, ps));
        return 3;
    }
    if (pd_client_init(&c, pd_posix_transport(&net), txbuf, sizeof txbuf, rxbuf, sizeof rxbuf,
                       on_event, &b) != PD_OK) {
        return 6;
    }
    memset(&co, 0, sizeof co);
    co.client_id = "pd-bench";
    co.keepalive_s = 60;
    co.clean_session = true;
    (void)pd_connect(&c, &co, (uint32_t)(now_us() / 1000u));
    while (pd_state(&c) == PD_ST_CONNECTING && !b.failed) {
        (void)pd_poll(&c, (uint32_t)(now_us() / 1000u));
        wait_fd(&net, 100);
    }
    if (b.failed || pd_state(&c) != PD_ST_CONNECTED) {
        return 2;
    }
    memset(payload, 'x', sizeof payload);
    t0 = now_us();
    while (!b.failed) {
        bool busy = false;
        uint32_t ms = (uint32_t)(now_us() / 1000u);
        while (sent < count) {
            uint64_t ts = now_us();
            uint32_t seq = (uint32_t)sent;
            memcpy(payload, &ts, 8);
            memcpy(payload + 8, &seq, 4);
            if (pd_publish(&c, "bench/pd", payload, size, qos, false, NULL) != PD_OK) {
                busy = true;
                break;
            }
            sent++;
        }
        if (sent == count && qos == 0 && !b.marker_id) {
            if (pd_publish(&c, "bench/pd", payload, size, 1, false, &b.marker_id) != PD_OK) {
                busy = true;
            }
        }
        (void)pd_poll(&c, ms);
        if (qos ? b.acked == count : b.marker_acked) {
            break;
        }
        /* Sleep only when something must come first: the socket taking bytes, a PUBACK
         * freeing a window slot, or the final acknowledgements. A txbuf that pd_poll() just
         * emptied needs no wait. */
        if (net.want_write || sent == count || (busy && pd_inflight(&c) >= PD_INFLIGHT_MAX)) {
            wait_fd(&net, 100);
        }
    }
    t1 = now_us();
    if (b.failed) {
        return 3;
    }
    while (pd_state(&c) != PD_ST_IDLE) {
        if (pd_state(&c) == PD_ST_CONNECTED) {
            (void)pd_disconnect(&c); /* PD_ERR_BUSY: retried after the next poll */
        }
        (void)pd_poll(&c, (uint32_t)(now_us() / 1000u));
        if (pd_state(&c) != PD_ST_IDLE) {
            wait_fd(&net, 100);
        }
    }
    pd_posix_close(&net);
    printf("count=%lu seconds=%.6f rate=%.0f\n", count, (double)(t1 - t0) / 1e6,
           (double)count * 1e6 / (double)(t1 - t0));
    return 0;
}
