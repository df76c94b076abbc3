/* mosq-bench: the same measurement as pd-bench with libmosquitto (the baseline).
 *
 *   mosq-bench HOST PORT QOS COUNT SIZE WINDOW
 *
 * MQTT 3.1.1, clean session, COUNT messages of SIZE bytes to bench/mosq at QOS, with at most
 * WINDOW QoS 1 messages in flight (mosquitto_max_inflight_messages_set). The clock runs from
 * the first publish to the last PUBACK (QoS 1) or the PUBACK of one QoS 1 marker sent after
 * the QoS 0 messages. Publishing is paced by the outgoing queue: at most 256 packets wait in
 * libmosquitto's queue before mosquitto_loop() writes them, so memory stays bounded like the
 * device library's. Prints "count=N seconds=S rate=R". */
#include <mosquitto.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mb {
    unsigned long acked;
    int marker_mid;
    bool marker_acked;
    bool connected;
    int connack;
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void on_connect(struct mosquitto *m, void *user, int rc)
{
    struct mb *b = user;
    (void)m;
    b->connack = rc;
    b->connected = rc == 0;
}

static void on_publish(struct mosquitto *m, void *user, int mid)
{
    struct mb *b = user;
    (void)m;
    if (b->marker_mid && mid == b->marker_mid) {
        b->marker_acked = true;
    } else {
        b->acked++;
    }
}

int main(int argc, char **argv)
{
    static char payload[4096];
    struct mosquitto *m;
    struct mb b;
    unsigned long count;
    unsigned long sent = 0;
    unsigned long window;
    size_t size;
    int qos;
    uint64_t t0;
    uint64_t t1;
    int rc;
    if (argc != 7) {
        fprintf(stderr, "usage: mosq-bench HOST PORT QOS COUNT SIZE WINDOW\n");
        return 1;
    }
    qos = atoi(argv[3]);
    count = strtoul(argv[4], NULL, 10);
    size = (size_t)strtoul(argv[5], NULL, 10);
    window = strtoul(argv[6], NULL, 10);
    if (qos < 0 || qos > 1 || size < 12 || size > sizeof payload || !count || !window) {
        fprintf(stderr, "mosq-bench: bad arguments\n");
        return 1;
    }
    memset(&b, 0, sizeof b);
    mosquitto_lib_init();
    m = mosquitto_new("mosq-bench", true, &b);
    if (!m) {
        return 6;
    }
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_max_inflight_messages_set(m, (unsigned)window);
    mosquitto_connect_callback_set(m, on_connect);
    mosquitto_publish_callback_set(m, on_publish);
    rc = mosquitto_connect(m, argv[1], atoi(argv[2]), 60);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mosq-bench: connect: %s\n", mosquitto_strerror(rc));
        return 3;
    }
    while (!b.connected) {
        rc = mosquitto_loop(m, 1000, 1);
        if (rc != MOSQ_ERR_SUCCESS || b.connack) {
            fprintf(stderr, "mosq-bench: no CONNACK: %s\n", mosquitto_strerror(rc));
            return 2;
        }
    }
    memset(payload, 'x', sizeof payload);
    t0 = now_us();
    for (;;) {
        /* QoS 1 beyond the window waits in libmosquitto's queue; keep that queue bounded */
        unsigned long done = qos ? b.acked : sent;
        unsigned long limit = (qos ? done + window : sent) + 256u;
        while (sent < count && sent < limit) {
            uint64_t ts = now_us();
            uint32_t seq = (uint32_t)sent;
            memcpy(payload, &ts, 8);
            memcpy(payload + 8, &seq, 4);
            rc = mosquitto_publish(m, NULL, "bench/mosq", (int)size, payload, qos, false);
            if (rc != MOSQ_ERR_SUCCESS) {
                fprintf(stderr, "mosq-bench: publish: %s\n", mosquitto_strerror(rc));
                return 3;
            }
            sent++;
            if (!qos && sent % 256u == 0) {
                break;
            }
        }
        if (sent == count && !qos && !b.marker_mid) {
            rc = mosquitto_publish(m, &b.marker_mid, "bench/mosq", (int)size, payload, 1, false);
            if (rc != MOSQ_ERR_SUCCESS) {
                return 3;
            }
        }
        if (qos ? b.acked == count : b.marker_acked) {
            break;
        }
        rc = mosquitto_loop(m, sent == count || qos ? 100 : 0, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "mosq-bench: loop: %s\n", mosquitto_strerror(rc));
            return 3;
        }
    }
    t1 = now_us();
    mosquitto_disconnect(m);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
    printf("count=%lu seconds=%.6f rate=%.0f\n", count, (double)(t1 - t0) / 1e6,
           (double)count * 1e6 / (double)(t1 - t0));
    return 0;
}
