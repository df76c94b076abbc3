/* Settings: one table of names, kinds and bounds; the file and the flags go through it. */
#include "pb_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pc_name.h"

enum kind { K_STR, K_NAME, K_UINT, K_LEVEL };

struct setting {
    const char *name;
    enum kind kind;
    size_t offset;
    size_t size;       /* K_STR/K_NAME: buffer size */
    unsigned long min; /* K_UINT */
    unsigned long max;
};

#define S_STR(f)                                                                                   \
    {                                                                                              \
#f, K_STR, offsetof(struct pb_conf, f), sizeof(((struct pb_conf *)0)->f), 0, 0             \
    }
#define S_NAME(f)                                                                                  \
    {                                                                                              \
#f, K_NAME, offsetof(struct pb_conf, f), sizeof(((struct pb_conf *)0)->f), 0, 0            \
    }
#define S_UINT(f, lo, hi)                                                                          \
    {                                                                                              \
#f, K_UINT, offsetof(struct pb_conf, f), 0, lo, hi                                         \
    }

static const struct setting settings[] = {
    S_NAME(node_id),
    S_STR(mqtt_host),
    S_UINT(mqtt_port, 1, 65535),
    S_NAME(mqtt_user),
    S_STR(mqtt_password_file),
    S_STR(mqtt_client_id),
    S_UINT(mqtt_keepalive, 5, 3600),
    S_STR(redis_host),
    S_UINT(redis_port, 1, 65535),
    S_STR(redis_prefix),
    S_UINT(history_max, 1, 100000000),
    S_UINT(spool_max, 1, 10000000),
    S_STR(http_host),
    S_UINT(http_port, 1, 65535),
    S_STR(www_dir),
    S_STR(origins),
    S_STR(jwt_secret_file),
    S_UINT(token_ttl, 60, 31536000),
    S_UINT(max_payload, 1, 268435455),
    S_UINT(ws_queue_msgs, 1, 1000000),
    S_UINT(ws_queue_bytes, 1024, 1073741824),
    S_UINT(login_rate, 1, 100000),
    S_UINT(shutdown_timeout, 0, 600),
    {"log_level", K_LEVEL, offsetof(struct pb_conf, log_level), 0, 0, 0},
};

static const char *levels[] = {"error", "warning", "info", "debug"};

void pb_conf_defaults(struct pb_conf *c)
{
    memset(c, 0, sizeof *c);
    if (gethostname(c->node_id, sizeof c->node_id - 1) != 0 || !pc_name_valid_str(c->node_id)) {
        snprintf(c->node_id, sizeof c->node_id, "node-%ld", (long)getpid());
    }
    snprintf(c->mqtt_host, sizeof c->mqtt_host, "127.0.0.1");
    c->mqtt_port = 1883;
    snprintf(c->mqtt_user, sizeof c->mqtt_user, "bridge");
    c->mqtt_keepalive = 30;
    snprintf(c->redis_host, sizeof c->redis_host, "127.0.0.1");
    c->redis_port = 6379;
    snprintf(c->redis_prefix, sizeof c->redis_prefix, "parley:");
    c->history_max = 10000;
    c->spool_max = 10000;
    snprintf(c->http_host, sizeof c->http_host, "127.0.0.1");
    c->http_port = 8080;
    snprintf(c->www_dir, sizeof c->www_dir, "bridge/www");
    c->token_ttl = 3600;
    c->max_payload = 512;
    c->ws_queue_msgs = 1024;
    c->ws_queue_bytes = 1048576;
    c->login_rate = 10;
    c->shutdown_timeout = 5;
    c->log_level = 2;
}

int pb_conf_set(struct pb_conf *c, const char *name, const char *value, char *err, size_t errlen)
{
    const struct setting *s = NULL;
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        if (strcmp(settings[i].name, name) == 0) {
            s = &settings[i];
        }
    }
    if (s == NULL) {
        snprintf(err, errlen, "%s: unknown setting", name);
        return -1;
    }
    char *field = (char *)c + s->offset;
    switch (s->kind) {
    case K_NAME:
        if (!pc_name_valid_str(value)) {
            snprintf(err, errlen, "%s: %s (got \"%s\")", name, pc_name_error(value), value);
            return -1;
        }
        /* fall through */
    case K_STR:
        if (strlen(value) >= s->size) {
            snprintf(err, errlen, "%s: longer than %zu bytes", name, s->size - 1);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case K_UINT: {
        char *end;
        errno = 0;
        unsigned long v = strtoul(value, &end, 10);
        if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || v < s->min ||
            v > s->max) {
            snprintf(err, errlen, "%s: must be a whole number from %lu to %lu (got \"%s\")", name,
                     s->min, s->max, value);
            return -1;
        }
        *(unsigned *)(void *)field = (unsigned)v;
        return 0;
    }
    case K_LEVEL:
        for (int i = 0; i < 4; i++) {
            if (strcmp(levels[i], value) == 0) {
                c->log_level = i;
                return 0;
            }
        }
        snprintf(err, errlen, "%s: must be error, warning, info or debug (got \"%s\")", name,
                 value);
        return -1;
    }
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
    return s;
}

int pb_conf_load(struct pb_conf *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048];
    char msg[512];
    unsigned lineno = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#') {
            continue;
        }
        char *sp = s + strcspn(s, " \t");
        if (*sp == '\0') {
            snprintf(err, errlen, "%s:%u: %s: missing value", path, lineno, s);
            rc = -1;
            break;
        }
        *sp = '\0';
        if (pb_conf_set(c, s, trim(sp + 1), msg, sizeof msg) != 0) {
            snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

/* Reads a whole small file into buf; strips one trailing newline. Returns its length or -1. */
static long read_secret(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(buf, 1, cap, f);
    int bad = ferror(f) || n == cap;
    fclose(f);
    if (bad) {
        return -1;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }
    return (long)n;
}

int pb_conf_finish(struct pb_conf *c, char *err, size_t errlen)
{
    if (c->jwt_secret_file[0] == '\0') {
        snprintf(err, errlen, "jwt_secret_file: required (the plugin's HS256 secret)");
        return -1;
    }
    long n = read_secret(c->jwt_secret_file, c->jwt_secret, sizeof c->jwt_secret);
    if (n < 0) {
        snprintf(err, errlen, "jwt_secret_file: %s: cannot read it (or it is over %d bytes)",
                 c->jwt_secret_file, PB_SECRET_MAX - 1);
        return -1;
    }
    if (n < 32) {
        snprintf(err, errlen, "jwt_secret_file: %s: secret is shorter than 32 bytes",
                 c->jwt_secret_file);
        return -1;
    }
    c->jwt_secret_len = (size_t)n;
    if (c->mqtt_password_file[0] != '\0') {
        unsigned char pw[PB_CONF_STR];
        n = read_secret(c->mqtt_password_file, pw, sizeof pw - 1);
        if (n < 0) {
            snprintf(err, errlen, "mqtt_password_file: %s: cannot read it", c->mqtt_password_file);
            return -1;
        }
        pw[n] = '\0';
        size_t first = strcspn((char *)pw, "\r\n");
        pw[first] = '\0';
        memcpy(c->mqtt_password, pw, first + 1);
    }
    if (c->mqtt_client_id[0] == '\0') {
        snprintf(c->mqtt_client_id, sizeof c->mqtt_client_id, "parley-bridge-%s", c->node_id);
    }
    if (c->origins[0] == '\0') {
        snprintf(c->origins, sizeof c->origins, "http://127.0.0.1:%u,http://localhost:%u",
                 c->http_port, c->http_port);
    }
    return 0;
}

bool pb_conf_origin_allowed(const struct pb_conf *c, const char *origin, size_t len)
{
    const char *p = c->origins;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        if ((n == 1 && p[0] == '*') || (n == len && memcmp(p, origin, len) == 0)) {
            return true;
        }
        p += n;
        if (*p == ',') {
            p++;
        }
    }
    return false;
}

const char *pb_conf_usage(void)
{
    return "usage: parley-bridge [-c FILE] [--SETTING VALUE ...]\n"
           "  -c FILE        settings file (\"setting value\" lines; # comments)\n"
           "  --SETTING VAL  overrides the file; settings (docs/bridge.md):\n"
           "    node_id mqtt_host mqtt_port mqtt_user mqtt_password_file mqtt_client_id\n"
           "    mqtt_keepalive redis_host redis_port redis_prefix history_max spool_max\n"
           "    http_host http_port www_dir origins jwt_secret_file token_ttl max_payload\n"
           "    ws_queue_msgs ws_queue_bytes login_rate shutdown_timeout log_level\n"
           "  -h, --help     this text\n";
}
