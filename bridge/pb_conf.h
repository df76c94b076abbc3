/* parley-bridge settings: a file of "setting value" lines, then --setting value flags.
 * docs/bridge.md lists every setting with its default. */
#ifndef PB_CONF_H
#define PB_CONF_H

#include <stdbool.h>
#include <stddef.h>

#define PB_CONF_STR 256
#define PB_SECRET_MAX 1024

struct pb_conf {
    char node_id[65];
    char mqtt_host[PB_CONF_STR];
    unsigned mqtt_port;
    char mqtt_user[65];
    char mqtt_password_file[PB_CONF_STR];
    char mqtt_password[PB_CONF_STR]; /* read from mqtt_password_file */
    char mqtt_client_id[PB_CONF_STR];
    unsigned mqtt_keepalive;
    char redis_host[PB_CONF_STR];
    unsigned redis_port;
    char redis_prefix[65];
    unsigned history_max;
    unsigned spool_max;
    char http_host[PB_CONF_STR];
    unsigned http_port;
    char www_dir[PB_CONF_STR];
    char origins[1024]; /* comma-separated; "" until pb_conf_finish fills the default */
    char jwt_secret_file[PB_CONF_STR];
    unsigned char jwt_secret[PB_SECRET_MAX]; /* read from jwt_secret_file */
    size_t jwt_secret_len;
    unsigned token_ttl;
    unsigned max_payload;
    unsigned ws_queue_msgs;
    unsigned ws_queue_bytes;
    unsigned login_rate;
    unsigned shutdown_timeout;
    int log_level; /* 0 error, 1 warning, 2 info, 3 debug */
};

/* Fills every default. */
void pb_conf_defaults(struct pb_conf *c);

/* Sets one setting from its text. Returns 0, or -1 with a message naming the setting in err. */
int pb_conf_set(struct pb_conf *c, const char *name, const char *value, char *err, size_t errlen);

/* Reads a settings file. Returns 0, or -1 with "file:line: message" in err. */
int pb_conf_load(struct pb_conf *c, const char *path, char *err, size_t errlen);

/* After every setting: reads the secret files and fills derived defaults. 0 or -1 and err. */
int pb_conf_finish(struct pb_conf *c, char *err, size_t errlen);

/* True when origin (not NUL-terminated, len bytes) is in the allow list. */
bool pb_conf_origin_allowed(const struct pb_conf *c, const char *origin, size_t len);

/* The help text for --help. */
const char *pb_conf_usage(void);

#endif
