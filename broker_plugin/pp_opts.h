/* The plugin's options, read once from mosquitto.conf's plugin_opt_* lines (and again on
 * reload). Every option is documented in docs/plugin.md. A bad value is an error that names the
 * option, and the plugin then refuses to start, so Mosquitto stops with that message.
 */
#ifndef PP_OPTS_H
#define PP_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_name.h"

#define PP_OPTS_MAX_NAMES 64 /* entries in admins / bridge_users */

/* A comma-separated list of user names (spaces around commas allowed). */
struct pp_namelist {
    unsigned count;
    char names[PP_OPTS_MAX_NAMES][PC_NAME_MAX + 1];
    unsigned char lens[PP_OPTS_MAX_NAMES];
};

struct pp_opts {
    char *state_file;          /* required */
    char *password_file;       /* NULL: none */
    char *jwt_secret_file;     /* NULL: none (at most one of the two jwt files) */
    char *jwt_public_key_file; /* NULL: none */
    struct pp_namelist admins;
    struct pp_namelist bridge_users;
    uint32_t max_payload;      /* bytes, default 512, 1..268435455 */
    double rate;               /* messages per second per sender, default 10; 0 = no limit */
    uint32_t burst;            /* bucket size, default 20 (>= 1 when rate > 0) */
    bool allow_room_create;    /* default true */
    unsigned auth_fail_limit;  /* failures before a lock-out, default 5; 0 = no throttling */
    unsigned auth_fail_window; /* seconds, default 60 */
};

/* The options mosquitto hands the plugin, as (key, value) pairs without the plugin_opt_ prefix.
 * Kept apart from mosquitto's struct so the parser is unit-testable without the broker. */
struct pp_opt_kv {
    const char *key;
    const char *value;
};

/* Fills *o from kv[0..n) (defaults for what is absent). On error returns -1 with a message
 * naming the option in err, and *o holds nothing to free. Unknown keys are errors too (a typo
 * must not silently turn a limit off). On success the caller frees with pp_opts_free. */
int pp_opts_parse(struct pp_opts *o, const struct pp_opt_kv *kv, size_t n, char *err,
                  size_t errlen);
void pp_opts_free(struct pp_opts *o);

/* True when name[0..len) is in the list. Hot path: no allocation, compares lengths first. */
bool pp_namelist_has(const struct pp_namelist *l, const char *name, size_t len);

#endif
