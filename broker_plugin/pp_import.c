/* Imports a mosquitto_passwd file into the state (see pp_import.h). The "seen" copy is the
 * file's content at the last import, in the same format, written atomically. */
#include "pp_import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uthash.h>

#include "pc_name.h"
#include "pp_passwd.h"

struct seen {
    char user[PC_NAME_MAX + 1];
    char *hash;
    UT_hash_handle hh;
};

struct import {
    struct pp_store *st;
    struct pp_index *idx;
    struct seen *before; /* the last import's lines */
    FILE *out;           /* the new seen copy being written */
    int changed;
    char *err;
    size_t errlen;
};

static void seen_free(struct seen **table)
{
    struct seen *s, *tmp;
    HASH_ITER(hh, *table, s, tmp)
    {
        HASH_DEL(*table, s);
        free(s->hash);
        free(s);
    }
}

static int seen_add(void *ctx, const char *user, const char *hash)
{
    struct seen **table = ctx;
    struct seen *s = calloc(1, sizeof *s);
    if (s == NULL || (s->hash = strdup(hash)) == NULL) {
        free(s);
        return -1;
    }
    snprintf(s->user, sizeof s->user, "%s", user);
    HASH_ADD_STR(*table, user, s);
    return 0;
}

static int import_one(void *ctx, const char *user, const char *hash)
{
    struct import *im = ctx;
    if (fprintf(im->out, "%s:%s\n", user, hash) < 0) {
        snprintf(im->err, im->errlen, "writing the import copy: %s", strerror(errno));
        return -1;
    }
    struct seen *s;
    HASH_FIND_STR(im->before, user, s);
    if (s != NULL && strcmp(s->hash, hash) == 0) {
        return 0; /* unchanged in the file since the last import: the state owns it */
    }
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

/* Opens <state>.passwd-seen.tmp for writing, owner-only. */
static FILE *open_tmp(const char *tmp)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        close(fd);
    }
    return f;
}

int pp_import_password_file(struct pp_store *st, struct pp_index *idx, const char *path, char *err,
                            size_t errlen)
{
    char seen_path[4096], tmp_path[4100];
    snprintf(seen_path, sizeof seen_path, "%s.passwd-seen", pp_store_path(st));
    snprintf(tmp_path, sizeof tmp_path, "%s.tmp", seen_path);

    struct import im = {.st = st, .idx = idx, .err = err, .errlen = errlen};
    char why[512];
    /* A missing or unreadable copy only means every line counts as new. */
    if (access(seen_path, F_OK) == 0 &&
        pp_passwd_file_read(seen_path, seen_add, &im.before, why, sizeof why) != 0) {
        seen_free(&im.before);
    }
    im.out = open_tmp(tmp_path);
    if (im.out == NULL) {
        snprintf(err, errlen, "%s: %s", tmp_path, strerror(errno));
        seen_free(&im.before);
        return -1;
    }
    int rc = pp_passwd_file_read(path, import_one, &im, err, errlen);
    seen_free(&im.before);
    bool wrote = fflush(im.out) == 0 && fsync(fileno(im.out)) == 0;
    wrote = fclose(im.out) == 0 && wrote;
    if (im.changed > 0 && pp_store_commit(st, idx, why, sizeof why) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        rc = -1;
    }
    if (rc != 0 || !wrote || rename(tmp_path, seen_path) != 0) {
        if (rc == 0) {
            snprintf(err, errlen, "%s: %s", seen_path, strerror(errno));
        }
        unlink(tmp_path);
        return -1;
    }
    return im.changed;
}
