/* parley-bench: configuration, results and the pieces shared by its modes. */
#ifndef PT_BENCH_H
#define PT_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pt_bench_stats.h"

#define PT_BENCH_STAMP 12 /* bytes of each payload that carry timestamp, publisher, seq */
#define PT_BENCH_MAX_PAYLOAD 65536
#define PT_BENCH_MAX_CLIENTS 10000
#define PT_BENCH_NAME_MAX 256  /* usernames, client ids, topics after expansion */
#define PT_BENCH_CRED_MAX 1024 /* passwords and tokens */

struct pt_bench_cfg {
    const char *host;
    int port;
    unsigned pubs, subs, rooms;
    size_t size;                    /* payload bytes, at least PT_BENCH_STAMP */
    unsigned qos;                   /* 0 or 1, publish and subscribe */
    int v5;                         /* MQTT 5 instead of 3.1.1 */
    double duration, warmup, drain; /* seconds */
    uint64_t count;                 /* total messages instead of a duration (0: use duration) */
    double rate;                    /* messages per second over all publishers; 0 = as fast as the
                                     * window allows */
    unsigned window;         /* most messages a room may be ahead of its slowest subscriber */
    unsigned batch_us;       /* sleep between loop turns when saturating */
    const char *username;    /* one username for every client (NULL: see user_prefix) */
    const char *user_prefix; /* client k logs in as <prefix><user_base + k> */
    unsigned user_base;
    const char *password;        /* same password for everyone */
    const unsigned char *secret; /* HS256 secret: each client gets its own token */
    size_t secret_len;
    const char *room_prefix; /* {room} = <room_prefix><room_base + r> */
    unsigned room_base;
    const char *topic_tmpl; /* publish topic, with {room} and {user} */
    const char *sub_tmpl;   /* subscription filter, with {room} and {user} */
    pid_t broker_pid;       /* 0: no broker figures */
    unsigned connect_test;  /* > 0: connect-rate mode with this many connects */
    unsigned concurrency;   /* connect-rate mode: connections in flight */
    unsigned users;         /* connect-rate mode: cycle through this many usernames */
    int json;
};

struct pt_bench_result {
    double measure_s;    /* length of the measured window */
    uint64_t published;  /* messages published in the window */
    uint64_t deliveries; /* messages received by subscribers in the window */
    uint64_t published_total, received_total, expected_total, lost, dup, stray, refused;
    struct pt_hist lat;  /* latency of deliveries received in the window */
    double broker_cpu_s; /* broker CPU in the window (-1: unknown) */
    double broker_cpu_stat_s;
    double gen_cpu_s; /* this process's CPU in the window */
    uint64_t connects_ok, connects_failed;
    char error[256]; /* non-empty when the run failed */
};

uint64_t pt_bench_now_ns(void);
/* Expands {room} and {user} in tmpl into out[0..cap); false when it does not fit. */
int pt_bench_expand(char *out, size_t cap, const char *tmpl, const char *room, const char *user);
/* Username of client k (NULL when clients log in without one). */
const char *pt_bench_username(const struct pt_bench_cfg *cfg, unsigned k, char *buf, size_t cap);
/* Password (or minted token) for username; NULL when none. */
const char *pt_bench_password(const struct pt_bench_cfg *cfg, const char *username, char *buf,
                              size_t cap);
/* A connected, non-blocking TCP socket with TCP_NODELAY to the broker, or -1 (reason in err).
 * blocking_connect: wait for the connection (else it may still be in progress). */
int pt_bench_socket(const struct pt_bench_cfg *cfg, int blocking_connect, char *err, size_t errlen);

int pt_bench_run(const struct pt_bench_cfg *cfg, struct pt_bench_result *res);
int pt_bench_connect_test(const struct pt_bench_cfg *cfg, struct pt_bench_result *res);

#endif
