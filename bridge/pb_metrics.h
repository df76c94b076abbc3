/* Counters and gauges for GET /metrics (Prometheus text). Modules bump the fields directly. */
#ifndef PB_METRICS_H
#define PB_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct pb_metrics {
    uint64_t ws_connections;  /* gauge: open WebSocket connections */
    uint64_t ws_frames_in;    /* frames received from browsers */
    uint64_t ws_msgs_out;     /* msg frames queued to browsers */
    uint64_t ws_closed_slow;  /* connections closed with 1013 */
    uint64_t ws_errors;       /* error frames sent */
    uint64_t ws_queue_frames; /* gauge: frames queued over all connections */
    uint64_t http_requests;
    uint64_t logins_ok;
    uint64_t logins_failed;
    uint64_t mqtt_in;         /* room messages received from the broker */
    uint64_t mqtt_out;        /* messages published to the broker */
    uint64_t mqtt_refused;    /* publishes the plugin refused */
    uint64_t mqtt_connected;  /* gauge 0/1 */
    uint64_t redis_connected; /* gauge 0/1 */
    uint64_t redis_writes;    /* messages written to history */
    uint64_t redis_errors;
    uint64_t spool_size; /* gauge */
    uint64_t spool_dropped;
    uint64_t fanout_in;  /* messages from other nodes */
    uint64_t fanout_out; /* messages published to other nodes */
};

/* Writes the Prometheus text exposition into buf (cap bytes). Returns the length written,
 * truncated at cap - 1 (buf is always NUL-terminated when cap > 0). */
size_t pb_metrics_render(const struct pb_metrics *m, char *buf, size_t cap);

#endif
