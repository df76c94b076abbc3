/* parley-bridge: settings, the loop, the libwebsockets context on it, start and clean stop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <mosquitto.h>
#include <uv.h>

#include "pb_bridge.h"
#include "pb_http.h"
#include "pb_log.h"
#include "pb_mqtt.h"
#include "pb_room.h"
#include "pb_store.h"
#include "pb_ws.h"

#define DRAIN_TICK_MS 50

static const struct lws_protocols protocols[] = {
    {"http", NULL, 0, 0, 0, NULL, 0}, /* replaced by pb_http_protocol at start */
    {"parley.v1", NULL, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

struct runtime {
    struct pb_bridge b;
    uv_signal_t sigint, sigterm;
    uv_timer_t drain;
    int64_t deadline_ms;
    int64_t started_stop_ms;
};

/* Reads -c FILE first, then every --setting value (or --setting=value) over it. */
static int configure(struct pb_conf *c, int argc, char **argv)
{
    char err[600];
    pb_conf_defaults(c);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(pb_conf_usage(), stdout);
            exit(0);
        }
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "parley-bridge: -c needs a file\n%s", pb_conf_usage());
                return -1;
            }
            if (pb_conf_load(c, argv[++i], err, sizeof err) != 0) {
                fprintf(stderr, "parley-bridge: cannot start: %s\n", err);
                return -1;
            }
        }
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--", 2) != 0) {
            fprintf(stderr, "parley-bridge: unexpected argument \"%s\"\n%s", argv[i],
                    pb_conf_usage());
            return -1;
        }
        char name[64];
        const char *value;
        const char *eq = strchr(argv[i], '=');
        if (eq != NULL) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - argv[i] - 2), argv[i] + 2);
            value = eq + 1;
        } else if (i + 1 < argc) {
            snprintf(name, sizeof name, "%s", argv[i] + 2);
            value = argv[++i];
        } else {
            fprintf(stderr, "parley-bridge: cannot start: %s: missing value\n", argv[i] + 2);
            return -1;
        }
        if (pb_conf_set(c, name, value, err, sizeof err) != 0) {
            fprintf(stderr, "parley-bridge: cannot start: %s\n", err);
            return -1;
        }
    }
    if (pb_conf_finish(c, err, sizeof err) != 0) {
        fprintf(stderr, "parley-bridge: cannot start: %s\n", err);
        return -1;
    }
    return 0;
}

static void teardown(struct runtime *rt)
{
    struct pb_bridge *b = &rt->b;
    b->closing = true;
    uv_close((uv_handle_t *)&rt->sigint, NULL);
    uv_close((uv_handle_t *)&rt->sigterm, NULL);
    uv_close((uv_handle_t *)&rt->drain, NULL);
    pb_mqtt_stop(b);
    pb_store_stop(b);
    lws_context_destroy(b->lws); /* its connections close: they leave their rooms */
    b->lws = NULL;
}

static void on_drain(uv_timer_t *t)
{
    struct runtime *rt = t->data;
    struct pb_bridge *b = &rt->b;
    int64_t now = pb_now_ms();
    size_t left = pb_store_unwritten(b);
    /* Give the 1001 closes a moment to go out, then wait for Redis (bounded). */
    if (now - rt->started_stop_ms < 200 || (left > 0 && now < rt->deadline_ms)) {
        return;
    }
    if (left > 0) {
        pb_log(PB_LOG_ERROR, "shutdown: %zu messages still not written after %u s", left,
               b->conf.shutdown_timeout);
    }
    uv_timer_stop(t);
    teardown(rt);
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct runtime *rt = s->data;
    struct pb_bridge *b = &rt->b;
    if (b->stopping) {
        return;
    }
    pb_log(PB_LOG_INFO, "%s: stopping (%zu messages to write)",
           signum == SIGINT ? "SIGINT" : "SIGTERM", pb_store_unwritten(b));
    b->stopping = true;
    pb_ws_close_all(b);
    rt->started_stop_ms = pb_now_ms();
    rt->deadline_ms = rt->started_stop_ms + (int64_t)b->conf.shutdown_timeout * 1000;
    uv_timer_start(&rt->drain, on_drain, DRAIN_TICK_MS, DRAIN_TICK_MS);
}

static void lws_log(int level, const char *line)
{
    size_t n = strlen(line);
    pb_log(level == LLL_ERR ? PB_LOG_ERROR : PB_LOG_WARNING, "lws: %.*s",
           (int)(n && line[n - 1] == '\n' ? n - 1 : n), line);
}

int main(int argc, char **argv)
{
    static struct runtime rt; /* one per process; its handles must outlive every callback */
    struct pb_bridge *b = &rt.b;
    if (configure(&b->conf, argc, argv) != 0) {
        return 2;
    }
    pb_log_set_level(b->conf.log_level);
    signal(SIGPIPE, SIG_IGN);
    char err[300];
    b->jwt = pp_jwt_new(PP_JWT_HS256, b->conf.jwt_secret_file, err, sizeof err);
    if (b->jwt == NULL) {
        fprintf(stderr, "parley-bridge: cannot start: jwt_secret_file: %s\n", err);
        return 2;
    }
    b->loop = uv_default_loop();
    b->sessions = pb_sessions_new();
    b->http_sessions = pb_sessions_new();
    mosquitto_lib_init();
    if (b->sessions == NULL || b->http_sessions == NULL || pb_rooms_init(b) != 0 ||
        pb_store_start(b) != 0 || pb_mqtt_start(b) != 0) {
        fprintf(stderr, "parley-bridge: cannot start: out of memory\n");
        return 1;
    }

    struct lws_protocols protos[3];
    memcpy(protos, protocols, sizeof protos);
    protos[0] = pb_http_protocol;
    protos[1] = pb_ws_protocol;
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
    void *loops[] = {b->loop};
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = (int)b->conf.http_port;
    info.iface = b->conf.http_host;
    info.protocols = protos;
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DISABLE_IPV6;
    info.foreign_loops = loops;
    info.user = b;
    info.timeout_secs = 20;
    info.ka_time = 0;
    b->lws = lws_create_context(&info);
    if (b->lws == NULL) {
        fprintf(stderr, "parley-bridge: cannot start: http_port: cannot listen on %s:%u\n",
                b->conf.http_host, b->conf.http_port);
        return 1;
    }

    uv_signal_init(b->loop, &rt.sigint);
    uv_signal_init(b->loop, &rt.sigterm);
    uv_timer_init(b->loop, &rt.drain);
    rt.sigint.data = rt.sigterm.data = rt.drain.data = &rt;
    uv_signal_start(&rt.sigint, on_signal, SIGINT);
    uv_signal_start(&rt.sigterm, on_signal, SIGTERM);
    pb_log(PB_LOG_INFO, "node %s listening on http://%s:%u (WebSocket /ws, parley.v1)",
           b->conf.node_id, b->conf.http_host, b->conf.http_port);

    uv_run(b->loop, UV_RUN_DEFAULT);

    pb_rooms_free(b);
    pb_sessions_free(b->sessions);
    pb_sessions_free(b->http_sessions);
    pp_jwt_free(b->jwt);
    mosquitto_lib_cleanup();
    if (uv_loop_close(b->loop) != 0) {
        pb_log(PB_LOG_WARNING, "shutdown: handles left open on the loop");
    }
    pb_log(PB_LOG_INFO, "stopped");
    return 0;
}
