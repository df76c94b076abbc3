/* parley-bench: MQTT load generator for Parley's benchmarks. Options, shared helpers, report.
 * Run `parley-bench --help`.
 */
#define _GNU_SOURCE /* getopt_long */
#include "pt_bench.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "pt_bench_jwt.h"

static const char usage[] =
    "usage: parley-bench [options]\n"
    "Publish/subscribe run (default) or connect-rate test against an MQTT broker.\n"
    "  -h, --host H            broker address (127.0.0.1)\n"
    "  -p, --port P            broker port (1883)\n"
    "      --pubs N            publishers (1)\n"
    "      --subs M            subscribers (1)\n"
    "      --rooms K           rooms; client i is in room i %% K (1)\n"
    "      --size B            payload bytes, >= 12 (100)\n"
    "      --qos Q             0 or 1 for publishes and subscriptions (0)\n"
    "      --mqtt5             speak MQTT 5 (default 3.1.1)\n"
    "      --duration S        measured seconds (5)\n"
    "      --warmup S          unmeasured seconds before (0.5)\n"
    "      --count N           publish N messages in all instead of a duration\n"
    "      --drain S           at most S seconds to wait for the last deliveries (3)\n"
    "      --rate R            messages/s over all publishers (0 = as fast as the window lets)\n"
    "      --window W          most messages a room runs ahead of its slowest subscriber (500)\n"
    "      --batch-us U        sleep U us between loop turns when saturating (200)\n"
    "      --username U        one username for every client\n"
    "      --user-prefix P     client k logs in as P<user-base + k> (publishers first)\n"
    "      --user-base N       (0)\n"
    "      --password PW       password for every client\n"
    "      --token-secret-file F  each client logs in with an HS256 JWT (sub = its username)\n"
    "      --room-prefix P     {room} is P<room-base + r> (bench)\n"
    "      --room-base N       (0)\n"
    "      --topic T           publish topic template, {room} {user} (bench/{room}/{user})\n"
    "      --sub-topic T       subscription template (bench/{room}/+)\n"
    "      --broker-pid PID    report the broker's CPU (from /proc) per 1,000 deliveries\n"
    "      --connect-test N    measure connects/s: N times CONNECT, CONNACK, DISCONNECT\n"
    "      --concurrency C     connect test: connections in flight (8)\n"
    "      --users U           connect test: cycle through U usernames (100)\n"
    "      --json              one JSON object on stdout instead of text\n"
    "      --help\n"
    "Each payload starts with 12 bytes: 6 bytes ns since start, 2 bytes publisher, 4 bytes seq.\n"
    "Exit status: 0 when the run completed (lost messages are reported, not an error),\n"
    "1 when it failed (refused connection or subscription, lost connection), 2 for bad usage.\n";

uint64_t pt_bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int pt_bench_expand(char *out, size_t cap, const char *tmpl, const char *room, const char *user)
{
    size_t n = 0;
    for (const char *p = tmpl; *p; p++) {
        const char *ins = NULL;
        if (strncmp(p, "{room}", 6) == 0) {
            ins = room;
            p += 5;
        } else if (strncmp(p, "{user}", 6) == 0) {
            ins = user;
            p += 5;
        }
        size_t len = ins ? strlen(ins) : 1;
        if (n + len + 1 > cap) {
            return 0;
        }
        memcpy(out + n, ins ? ins : p, len);
        n += len;
    }
    out[n] = '\0';
    return 1;
}

const char *pt_bench_username(const struct pt_bench_cfg *cfg, unsigned k, char *buf, size_t cap)
{
    if (cfg->username) {
        return cfg->username;
    }
    if (cfg->user_prefix) {
        snprintf(buf, cap, "%s%u", cfg->user_prefix, cfg->user_base + k);
        return buf;
    }
    return NULL;
}

const char *pt_bench_password(const struct pt_bench_cfg *cfg, const char *username, char *buf,
                              size_t cap)
{
    if (cfg->secret && username) {
        if (pt_jwt_mint(buf, cap, cfg->secret, cfg->secret_len, username, (long)time(NULL), 3600) ==
            0) {
            return NULL;
        }
        return buf;
    }
    return cfg->password;
}

int pt_bench_socket(const struct pt_bench_cfg *cfg, int blocking_connect, char *err, size_t errlen)
{
    struct addrinfo hints, *ai = NULL;
    char port[16];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%d", cfg->port);
    int rc = getaddrinfo(cfg->host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", cfg->host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        freeaddrinfo(ai);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc != 0 && errno != EINPROGRESS) {
        snprintf(err, errlen, "connect to %s:%d: %s", cfg->host, cfg->port, strerror(errno));
        close(fd);
        return -1;
    }
    if (rc != 0 && blocking_connect) {
        /* Wait for the connection with a short poll loop (setup only). */
        uint64_t deadline = pt_bench_now_ns() + 5000000000ull;
        for (;;) {
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            struct sockaddr_storage peer;
            socklen_t pl = sizeof(peer);
            if (getpeername(fd, (struct sockaddr *)&peer, &pl) == 0) {
                break;
            }
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            if (soerr != 0 || pt_bench_now_ns() > deadline) {
                snprintf(err, errlen, "connect to %s:%d: %s", cfg->host, cfg->port,
                         soerr ? strerror(soerr) : "timed out");
                close(fd);
                return -1;
            }
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        }
    }
    return fd;
}

static int read_secret(const char *path, struct pt_bench_cfg *cfg)
{
    static unsigned char secret[4096];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "parley-bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = fread(secret, 1, sizeof(secret), f);
    fclose(f);
    while (n > 0 && (secret[n - 1] == '\n' || secret[n - 1] == '\r')) {
        n--; /* a trailing newline is not part of the secret */
    }
    if (n == 0) {
        fprintf(stderr, "parley-bench: %s: empty secret\n", path);
        return -1;
    }
    cfg->secret = secret;
    cfg->secret_len = n;
    return 0;
}

static int num(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "parley-bench: --%s: expected a number in [%g, %g], got \"%s\"\n", opt, lo,
                hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

enum {
    O_PUBS = 256,
    O_SUBS,
    O_ROOMS,
    O_SIZE,
    O_QOS,
    O_V5,
    O_DURATION,
    O_WARMUP,
    O_COUNT,
    O_DRAIN,
    O_RATE,
    O_WINDOW,
    O_BATCH,
    O_USERNAME,
    O_UPREFIX,
    O_UBASE,
    O_PASSWORD,
    O_SECRET,
    O_RPREFIX,
    O_RBASE,
    O_TOPIC,
    O_SUBTOPIC,
    O_PID,
    O_CONNTEST,
    O_CONC,
    O_USERS,
    O_JSON,
    O_HELP
};

static int parse_args(int argc, char **argv, struct pt_bench_cfg *cfg)
{
    static const struct option longs[] = {{"host", required_argument, NULL, 'h'},
                                          {"port", required_argument, NULL, 'p'},
                                          {"pubs", required_argument, NULL, O_PUBS},
                                          {"subs", required_argument, NULL, O_SUBS},
                                          {"rooms", required_argument, NULL, O_ROOMS},
                                          {"size", required_argument, NULL, O_SIZE},
                                          {"qos", required_argument, NULL, O_QOS},
                                          {"mqtt5", no_argument, NULL, O_V5},
                                          {"duration", required_argument, NULL, O_DURATION},
                                          {"warmup", required_argument, NULL, O_WARMUP},
                                          {"count", required_argument, NULL, O_COUNT},
                                          {"drain", required_argument, NULL, O_DRAIN},
                                          {"rate", required_argument, NULL, O_RATE},
                                          {"window", required_argument, NULL, O_WINDOW},
                                          {"batch-us", required_argument, NULL, O_BATCH},
                                          {"username", required_argument, NULL, O_USERNAME},
                                          {"user-prefix", required_argument, NULL, O_UPREFIX},
                                          {"user-base", required_argument, NULL, O_UBASE},
                                          {"password", required_argument, NULL, O_PASSWORD},
                                          {"token-secret-file", required_argument, NULL, O_SECRET},
                                          {"room-prefix", required_argument, NULL, O_RPREFIX},
                                          {"room-base", required_argument, NULL, O_RBASE},
                                          {"topic", required_argument, NULL, O_TOPIC},
                                          {"sub-topic", required_argument, NULL, O_SUBTOPIC},
                                          {"broker-pid", required_argument, NULL, O_PID},
                                          {"connect-test", required_argument, NULL, O_CONNTEST},
                                          {"concurrency", required_argument, NULL, O_CONC},
                                          {"users", required_argument, NULL, O_USERS},
                                          {"json", no_argument, NULL, O_JSON},
                                          {"help", no_argument, NULL, O_HELP},
                                          {NULL, 0, NULL, 0}};
    int o;
    double v = 0;
    while ((o = getopt_long(argc, argv, "h:p:", longs, NULL)) != -1) {
        const char *name = "";
        for (const struct option *l = longs; l->name; l++) {
            if (l->val == o) {
                name = l->name;
            }
        }
        int rc = 0;
        switch (o) {
        case 'h':
            cfg->host = optarg;
            break;
        case 'p':
            rc = num(name, optarg, 1, 65535, &v);
            cfg->port = (int)v;
            break;
        case O_PUBS:
            rc = num(name, optarg, 1, 65535, &v);
            cfg->pubs = (unsigned)v;
            break;
        case O_SUBS:
            rc = num(name, optarg, 0, PT_BENCH_MAX_CLIENTS, &v);
            cfg->subs = (unsigned)v;
            break;
        case O_ROOMS:
            rc = num(name, optarg, 1, 100000, &v);
            cfg->rooms = (unsigned)v;
            break;
        case O_SIZE:
            rc = num(name, optarg, PT_BENCH_STAMP, PT_BENCH_MAX_PAYLOAD, &v);
            cfg->size = (size_t)v;
            break;
        case O_QOS:
            rc = num(name, optarg, 0, 1, &v);
            cfg->qos = (unsigned)v;
            break;
        case O_V5:
            cfg->v5 = 1;
            break;
        case O_DURATION:
            rc = num(name, optarg, 0.01, 86400, &cfg->duration);
            break;
        case O_WARMUP:
            rc = num(name, optarg, 0, 3600, &cfg->warmup);
            break;
        case O_COUNT:
            rc = num(name, optarg, 1, 4e9, &v);
            cfg->count = (uint64_t)v;
            break;
        case O_DRAIN:
            rc = num(name, optarg, 0, 3600, &cfg->drain);
            break;
        case O_RATE:
            rc = num(name, optarg, 0, 1e8, &cfg->rate);
            break;
        case O_WINDOW:
            rc = num(name, optarg, 1, 60000, &v);
            cfg->window = (unsigned)v;
            break;
        case O_BATCH:
            rc = num(name, optarg, 0, 100000, &v);
            cfg->batch_us = (unsigned)v;
            break;
        case O_USERNAME:
            cfg->username = optarg;
            break;
        case O_UPREFIX:
            cfg->user_prefix = optarg;
            break;
        case O_UBASE:
            rc = num(name, optarg, 0, 1e9, &v);
            cfg->user_base = (unsigned)v;
            break;
        case O_PASSWORD:
            cfg->password = optarg;
            break;
        case O_SECRET:
            rc = read_secret(optarg, cfg);
            break;
        case O_RPREFIX:
            cfg->room_prefix = optarg;
            break;
        case O_RBASE:
            rc = num(name, optarg, 0, 1e9, &v);
            cfg->room_base = (unsigned)v;
            break;
        case O_TOPIC:
            cfg->topic_tmpl = optarg;
            break;
        case O_SUBTOPIC:
            cfg->sub_tmpl = optarg;
            break;
        case O_PID:
            rc = num(name, optarg, 1, 1e9, &v);
            cfg->broker_pid = (pid_t)v;
            break;
        case O_CONNTEST:
            rc = num(name, optarg, 1, 1e8, &v);
            cfg->connect_test = (unsigned)v;
            break;
        case O_CONC:
            rc = num(name, optarg, 1, 256, &v);
            cfg->concurrency = (unsigned)v;
            break;
        case O_USERS:
            rc = num(name, optarg, 1, 1e6, &v);
            cfg->users = (unsigned)v;
            break;
        case O_JSON:
            cfg->json = 1;
            break;
        case O_HELP:
            fputs(usage, stdout);
            exit(0);
        default:
            fputs(usage, stderr);
            return -1;
        }
        if (rc != 0) {
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "parley-bench: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    if (cfg->pubs + cfg->subs > PT_BENCH_MAX_CLIENTS) {
        fprintf(stderr, "parley-bench: at most %d clients\n", PT_BENCH_MAX_CLIENTS);
        return -1;
    }
    if (cfg->secret && !cfg->username && !cfg->user_prefix) {
        fprintf(stderr, "parley-bench: --token-secret-file needs --username or --user-prefix\n");
        return -1;
    }
    return 0;
}

static void report_text(const struct pt_bench_cfg *cfg, const struct pt_bench_result *r)
{
    double us = 1e3;
    if (cfg->connect_test) {
        printf("parley-bench: connect test, %u connects, concurrency %u, %s\n", cfg->connect_test,
               cfg->concurrency,
               cfg->secret     ? "JWT"
               : cfg->password ? "password"
                               : "no credentials");
        printf("  ok %llu, failed %llu in %.3f s: %.0f connects/s\n",
               (unsigned long long)r->connects_ok, (unsigned long long)r->connects_failed,
               r->measure_s, (double)r->connects_ok / r->measure_s);
        printf("  CONNACK latency p50 %.0f us, p99 %.0f us, max %.0f us\n",
               (double)pt_hist_quantile(&r->lat, 0.5) / us,
               (double)pt_hist_quantile(&r->lat, 0.99) / us, (double)r->lat.max / us);
    } else {
        printf("parley-bench: %u pub -> %u sub, %u room(s), %zu B, QoS %u, ", cfg->pubs, cfg->subs,
               cfg->rooms, cfg->size, cfg->qos);
        if (cfg->rate > 0) {
            printf("paced at %.0f msg/s", cfg->rate);
        } else {
            printf("saturated (window %u)", cfg->window);
        }
        printf(", %.2f s measured\n", r->measure_s);
        printf("  published %llu (%.0f/s), deliveries %llu (%.0f/s)\n",
               (unsigned long long)r->published, (double)r->published / r->measure_s,
               (unsigned long long)r->deliveries, (double)r->deliveries / r->measure_s);
        printf("  latency p50 %.0f us, p99 %.0f us, max %.0f us (%llu samples)\n",
               (double)pt_hist_quantile(&r->lat, 0.5) / us,
               (double)pt_hist_quantile(&r->lat, 0.99) / us, (double)r->lat.max / us,
               (unsigned long long)r->lat.count);
        printf("  in all: published %llu, expected %llu, received %llu, lost %llu, duplicates "
               "%llu, stray %llu, refused %llu\n",
               (unsigned long long)r->published_total, (unsigned long long)r->expected_total,
               (unsigned long long)r->received_total, (unsigned long long)r->lost,
               (unsigned long long)r->dup, (unsigned long long)r->stray,
               (unsigned long long)r->refused);
    }
    if (r->broker_cpu_s >= 0) {
        double per = cfg->connect_test ? (double)r->connects_ok : (double)r->deliveries;
        printf("  broker CPU %.3f s (%.0f%% of one core), %.3f ms per 1,000 %s\n", r->broker_cpu_s,
               100.0 * r->broker_cpu_s / r->measure_s, per > 0 ? r->broker_cpu_s * 1e6 / per : 0,
               cfg->connect_test ? "connects" : "deliveries");
    }
    printf("  generator CPU %.3f s (%.0f%% of one core)\n", r->gen_cpu_s,
           100.0 * r->gen_cpu_s / r->measure_s);
    if (r->error[0]) {
        printf("  FAILED: %s\n", r->error);
    }
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            printf("\\%c", *s);
        } else if ((unsigned char)*s < 0x20) {
            printf("\\u%04x", *s);
        } else {
            putchar(*s);
        }
    }
    putchar('"');
}

static void report_json(const struct pt_bench_cfg *cfg, const struct pt_bench_result *r)
{
    double per = cfg->connect_test ? (double)r->connects_ok : (double)r->deliveries;
    printf("{\"mode\":\"%s\",\"pubs\":%u,\"subs\":%u,\"rooms\":%u,\"size\":%zu,\"qos\":%u,"
           "\"mqtt5\":%s,\"rate\":%.0f,\"window\":%u,\"measure_s\":%.6f,",
           cfg->connect_test ? "connect" : "pubsub", cfg->pubs, cfg->subs, cfg->rooms, cfg->size,
           cfg->qos, cfg->v5 ? "true" : "false", cfg->rate, cfg->window, r->measure_s);
    printf("\"published\":%llu,\"deliveries\":%llu,\"msgs_per_s\":%.1f,\"deliveries_per_s\":%.1f,",
           (unsigned long long)r->published, (unsigned long long)r->deliveries,
           (double)r->published / r->measure_s, (double)r->deliveries / r->measure_s);
    printf("\"published_total\":%llu,\"expected\":%llu,\"received\":%llu,\"lost\":%llu,"
           "\"dup\":%llu,\"stray\":%llu,\"refused\":%llu,",
           (unsigned long long)r->published_total, (unsigned long long)r->expected_total,
           (unsigned long long)r->received_total, (unsigned long long)r->lost,
           (unsigned long long)r->dup, (unsigned long long)r->stray,
           (unsigned long long)r->refused);
    printf("\"connects_ok\":%llu,\"connects_failed\":%llu,\"connects_per_s\":%.1f,",
           (unsigned long long)r->connects_ok, (unsigned long long)r->connects_failed,
           (double)r->connects_ok / r->measure_s);
    printf("\"lat_samples\":%llu,\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_max_us\":%.1f,",
           (unsigned long long)r->lat.count, (double)pt_hist_quantile(&r->lat, 0.5) / 1e3,
           (double)pt_hist_quantile(&r->lat, 0.99) / 1e3, (double)r->lat.max / 1e3);
    if (r->broker_cpu_s >= 0) {
        printf("\"broker_cpu_s\":%.6f,\"broker_cpu_stat_s\":%.3f,\"broker_util\":%.4f,"
               "\"broker_cpu_ms_per_1000\":%.5f,",
               r->broker_cpu_s, r->broker_cpu_stat_s, r->broker_cpu_s / r->measure_s,
               per > 0 ? r->broker_cpu_s * 1e6 / per : 0.0);
    }
    printf("\"gen_cpu_s\":%.4f,\"gen_util\":%.4f,\"error\":", r->gen_cpu_s,
           r->gen_cpu_s / r->measure_s);
    if (r->error[0]) {
        json_str(r->error);
    } else {
        fputs("null", stdout);
    }
    puts("}");
}

int main(int argc, char **argv)
{
    struct pt_bench_cfg cfg = {
        .host = "127.0.0.1",
        .port = 1883,
        .pubs = 1,
        .subs = 1,
        .rooms = 1,
        .size = 100,
        .duration = 5,
        .warmup = 0.5,
        .drain = 3,
        .window = 500,
        .batch_us = 200,
        .room_prefix = "bench",
        .topic_tmpl = "bench/{room}/{user}",
        .sub_tmpl = "bench/{room}/+",
        .concurrency = 8,
        .users = 100,
    };
    if (parse_args(argc, argv, &cfg) != 0) {
        return 2;
    }
    static struct pt_bench_result res;
    int rc = cfg.connect_test ? pt_bench_connect_test(&cfg, &res) : pt_bench_run(&cfg, &res);
    if (res.measure_s <= 0) {
        res.measure_s = 1e-9;
    }
    if (cfg.json) {
        report_json(&cfg, &res);
    } else {
        report_text(&cfg, &res);
    }
    if (rc != 0 && !cfg.json) {
        fprintf(stderr, "parley-bench: %s\n", res.error);
    }
    return rc == 0 ? 0 : 1;
}
