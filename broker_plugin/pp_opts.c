/* plugin_opt_* parsing: one table of options, one parser per value type. */
#include "pp_opts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_type { T_PATH, T_NAMES, T_U32, T_RATE, T_BOOL };

static const struct opt_def {
    const char *key;
    enum opt_type type;
    size_t offset;
    uint32_t min, max; /* T_U32 */
} defs[] = {
    {"state_file", T_PATH, offsetof(struct pp_opts, state_file), 0, 0},
    {"password_file", T_PATH, offsetof(struct pp_opts, password_file), 0, 0},
    {"jwt_secret_file", T_PATH, offsetof(struct pp_opts, jwt_secret_file), 0, 0},
    {"jwt_public_key_file", T_PATH, offsetof(struct pp_opts, jwt_public_key_file), 0, 0},
    {"admins", T_NAMES, offsetof(struct pp_opts, admins), 0, 0},
    {"bridge_users", T_NAMES, offsetof(struct pp_opts, bridge_users), 0, 0},
    {"max_payload", T_U32, offsetof(struct pp_opts, max_payload), 1, 268435455},
    {"rate", T_RATE, offsetof(struct pp_opts, rate), 0, 0},
    {"burst", T_U32, offsetof(struct pp_opts, burst), 1, 1000000},
    {"allow_room_create", T_BOOL, offsetof(struct pp_opts, allow_room_create), 0, 0},
    {"auth_fail_limit", T_U32, offsetof(struct pp_opts, auth_fail_limit), 0, 1000000},
    {"auth_fail_window", T_U32, offsetof(struct pp_opts, auth_fail_window), 1, 86400},
};

static int fail(char *err, size_t errlen, const char *key, const char *value, const char *why)
{
    snprintf(err, errlen, "plugin_opt_%s: %s (got \"%s\")", key, why, value);
    return -1;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    char *end;
    if (*s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parse_names(const char *s, struct pp_namelist *l)
{
    l->count = 0;
    while (*s != '\0') {
        while (*s == ' ' || *s == ',') {
            s++;
        }
        const char *start = s;
        while (*s != '\0' && *s != ',' && *s != ' ') {
            s++;
        }
        size_t len = (size_t)(s - start);
        if (len == 0) {
            continue;
        }
        if (!pc_name_valid(start, len) || l->count == PP_OPTS_MAX_NAMES) {
            return -1;
        }
        memcpy(l->names[l->count], start, len);
        l->names[l->count][len] = '\0';
        l->lens[l->count] = (unsigned char)len;
        l->count++;
    }
    return 0;
}

static int parse_one(struct pp_opts *o, const struct opt_def *d, const char *v, char *err,
                     size_t errlen)
{
    char *base = (char *)o + d->offset;
    switch (d->type) {
    case T_PATH: {
        char **p = (char **)(void *)base;
        if (*v == '\0') {
            return fail(err, errlen, d->key, v, "must be a file path");
        }
        free(*p);
        *p = strdup(v);
        if (*p == NULL) {
            return fail(err, errlen, d->key, v, "out of memory");
        }
        return 0;
    }
    case T_NAMES:
        if (parse_names(v, (struct pp_namelist *)(void *)base) != 0) {
            return fail(err, errlen, d->key, v,
                        "must be a comma-separated list of at most 64 names "
                        "[A-Za-z0-9_.-]{1,64}");
        }
        return 0;
    case T_U32: {
        if (parse_u32(v, d->min, d->max, (uint32_t *)(void *)base) != 0) {
            char why[96];
            snprintf(why, sizeof why, "must be a whole number from %u to %u", (unsigned)d->min,
                     (unsigned)d->max);
            return fail(err, errlen, d->key, v, why);
        }
        return 0;
    }
    case T_RATE: {
        char *end;
        errno = 0;
        double r = strtod(v, &end);
        if (*v == '\0' || *end != '\0' || errno != 0 || !isfinite(r) || r < 0 || r > 1e9) {
            return fail(err, errlen, d->key, v,
                        "must be messages per second, a number from 0 (no limit) to 1e9");
        }
        *(double *)(void *)base = r;
        return 0;
    }
    case T_BOOL: {
        bool *b = (bool *)(void *)base;
        if (strcmp(v, "true") == 0) {
            *b = true;
        } else if (strcmp(v, "false") == 0) {
            *b = false;
        } else {
            return fail(err, errlen, d->key, v, "must be true or false");
        }
        return 0;
    }
    }
    return -1;
}

int pp_opts_parse(struct pp_opts *o, const struct pp_opt_kv *kv, size_t n, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->max_payload = 512;
    o->rate = 10;
    o->burst = 20;
    o->allow_room_create = true;
    o->auth_fail_limit = 5;
    o->auth_fail_window = 60;

    for (size_t i = 0; i < n; i++) {
        const struct opt_def *d = NULL;
        for (size_t k = 0; k < sizeof defs / sizeof defs[0]; k++) {
            if (strcmp(kv[i].key, defs[k].key) == 0) {
                d = &defs[k];
                break;
            }
        }
        if (d == NULL) {
            snprintf(err, errlen,
                     "plugin_opt_%s: unknown option (see docs/plugin.md for the options)",
                     kv[i].key);
            pp_opts_free(o);
            return -1;
        }
        if (parse_one(o, d, kv[i].value != NULL ? kv[i].value : "", err, errlen) != 0) {
            pp_opts_free(o);
            return -1;
        }
    }
    if (o->state_file == NULL) {
        snprintf(err, errlen,
                 "plugin_opt_state_file: required (where users, rooms and "
                 "memberships are kept, e.g. /var/lib/mosquitto/parley.json)");
        pp_opts_free(o);
        return -1;
    }
    if (o->jwt_secret_file != NULL && o->jwt_public_key_file != NULL) {
        snprintf(err, errlen,
                 "plugin_opt_jwt_secret_file and plugin_opt_jwt_public_key_file: "
                 "give one or the other, not both");
        pp_opts_free(o);
        return -1;
    }
    return 0;
}

void pp_opts_free(struct pp_opts *o)
{
    free(o->state_file);
    free(o->password_file);
    free(o->jwt_secret_file);
    free(o->jwt_public_key_file);
    o->state_file = o->password_file = o->jwt_secret_file = o->jwt_public_key_file = NULL;
}

bool pp_namelist_has(const struct pp_namelist *l, const char *name, size_t len)
{
    for (unsigned i = 0; i < l->count; i++) {
        if (l->lens[i] == len && memcmp(l->names[i], name, len) == 0) {
            return true;
        }
    }
    return false;
}
