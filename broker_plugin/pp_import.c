/* Imports a mosquitto_passwd file into the state (see pp_import.h). */
#include "pp_import.h"

#include <stdio.h>
#include <string.h>

#include "pp_passwd.h"

struct import {
    struct pp_store *st;
    struct pp_index *idx;
    int changed;
    char *err;
    size_t errlen;
};

static int import_one(void *ctx, const char *user, const char *hash)
{
    struct import *im = ctx;
    const struct pp_user *u = pp_index_user_find(im->idx, user, strlen(user));
    if (u != NULL && u->password_hash != NULL && strcmp(u->password_hash, hash) == 0) {
        return 0;
    }
    struct pp_change ch = {.op = PP_CHANGE_USER_PUT,
                           .user = user,
                           .password_hash = hash,
                           .admin = u != NULL && u->admin};
    char why[256];
    int rc = pp_store_change(im->st, im->idx, &ch, why, sizeof why);
    if (rc != 0) {
        snprintf(im->err, im->errlen, "importing user %s: %s", user,
                 rc == PP_STORE_EIO ? why : "out of memory");
        return -1;
    }
    im->changed++;
    return 0;
}

int pp_import_password_file(struct pp_store *st, struct pp_index *idx, const char *path, char *err,
                            size_t errlen)
{
    struct import im = {.st = st, .idx = idx, .err = err, .errlen = errlen};
    int rc = pp_passwd_file_read(path, import_one, &im, err, errlen);
    if (im.changed > 0) {
        char why[256];
        if (pp_store_commit(st, idx, why, sizeof why) != 0 && rc == 0) {
            snprintf(err, errlen, "%s: %s", path, why);
            return -1;
        }
    }
    return rc == 0 ? im.changed : -1;
}
