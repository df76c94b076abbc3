/* GET /metrics: the counters in Prometheus' text format. */
#include "pb_metrics.h"

#include <inttypes.h>
#include <stdio.h>

struct row {
    const char *name;
    const char *type;
    const char *help;
    size_t offset;
};

#define ROW(f, t, h)                                                                               \
    {                                                                                              \
        "parley_bridge_" #f, t, h, offsetof(struct pb_metrics, f)                                  \
    }

static const struct row rows[] = {
    ROW(ws_connections, "gauge", "Open WebSocket connections."),
    ROW(ws_frames_in, "counter", "Frames received from WebSocket clients."),
    ROW(ws_msgs_out, "counter", "Message frames queued to WebSocket clients."),
    ROW(ws_closed_slow, "counter", "Connections closed with 1013 for reading too slowly."),
    ROW(ws_errors, "counter", "Error frames sent to WebSocket clients."),
    ROW(ws_queue_frames, "gauge", "Frames waiting in WebSocket send queues."),
    ROW(http_requests, "counter", "HTTP requests answered."),
    ROW(logins_ok, "counter", "Successful logins."),
    ROW(logins_failed, "counter", "Refused logins."),
    ROW(mqtt_in, "counter", "Room messages received from the broker."),
    ROW(mqtt_out, "counter", "Messages published to the broker."),
    ROW(mqtt_refused, "counter", "Publishes the broker refused."),
    ROW(mqtt_connected, "gauge", "1 when connected to the broker."),
    ROW(redis_connected, "gauge", "1 when connected to Redis."),
    ROW(redis_writes, "counter", "Messages written to Redis history."),
    ROW(redis_errors, "counter", "Redis command errors."),
    ROW(spool_size, "gauge", "Messages spooled while Redis is away."),
    ROW(spool_dropped, "counter", "Spooled messages dropped because the spool was full."),
    ROW(fanout_in, "counter", "Messages received from other bridge nodes."),
    ROW(fanout_out, "counter", "Messages published to other bridge nodes."),
};

size_t pb_metrics_render(const struct pb_metrics *m, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap == 0) {
        return 0;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint64_t v = *(const uint64_t *)(const void *)((const char *)m + rows[i].offset);
        int n = snprintf(buf + len, cap - len, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n",
                         rows[i].name, rows[i].help, rows[i].name, rows[i].type, rows[i].name, v);
        if (n < 0 || (size_t)n >= cap - len) {
            return cap - 1;
        }
        len += (size_t)n;
    }
    return len;
}
