/* The snapshot half of the file store: reading a state file into the index (every value
 * checked, errors naming the file, the position or the entry) and writing one atomically
 * (temp file, fsync, rename, fsync of the directory) from a sorted walk of the index. */
#include "pp_store_snap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define SNAPSHOT_VERSION 1

void pp_store_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Reads a whole file. 0 and *buf (malloc'd, NUL-terminated) or -1 with errno (ENOENT...). */
int pp_store_read_file(const char *path, char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    size_t cap = (size_t)sb.st_size + 1, n = 0;
    char *b = malloc(cap);
    if (b == NULL) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(b, cap * 2);
            if (nb == NULL) {
                free(b);
                close(fd);
                errno = ENOMEM;
                return -1;
            }
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, b + n, cap - n - 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            int e = errno;
            free(b);
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

/* Line and column (1-based) of byte offset off in buf. */
static void position(const char *buf, size_t off, size_t *line, size_t *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (buf[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

const char *pp_store_index_error(int rc)
{
    switch (rc) {
    case PP_INDEX_ENOMEM:
        return "out of memory";
    case PP_INDEX_EINVAL:
        return "bad name or value";
    case PP_INDEX_ENOROOM:
        return "no such room";
    case PP_INDEX_ENOUSER:
        return "no such user";
    case PP_INDEX_ENOENT:
        return "no such membership";
    default:
        return "error";
    }
}

/* A string field that must be a valid name. */
static const char *name_field(const cJSON *obj, const char *key, const char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v)) {
        *why = "missing or not a string";
        return NULL;
    }
    const char *e = pc_name_error(v->valuestring);
    if (e != NULL) {
        *why = e;
        return NULL;
    }
    return v->valuestring;
}

static int load_users(const char *path, const cJSON *users, struct pp_index *idx, char *err,
                      size_t errlen)
{
    int i = 0;
    const cJSON *u;
    cJSON_ArrayForEach(u, users)
    {
        const char *why = "not an object";
        const char *name = cJSON_IsObject(u) ? name_field(u, "username", &why) : NULL;
        if (name == NULL) {
            pp_store_errf(err, errlen, "%s: users[%d].username: %s", path, i, why);
            return -1;
        }
        const cJSON *pw = cJSON_GetObjectItemCaseSensitive(u, "password");
        const cJSON *admin = cJSON_GetObjectItemCaseSensitive(u, "admin");
        if ((pw != NULL && !cJSON_IsString(pw) && !cJSON_IsNull(pw)) ||
            (admin != NULL && !cJSON_IsBool(admin))) {
            pp_store_errf(err, errlen,
                          "%s: users[%d] (%s): \"password\" must be a string and \"admin\" "
                          "a boolean",
                          path, i, name);
            return -1;
        }
        int rc = pp_index_user_put(idx, name, cJSON_GetStringValue(pw), cJSON_IsTrue(admin));
        if (rc != PP_INDEX_OK) {
            pp_store_errf(err, errlen, "%s: users[%d] (%s): %s", path, i, name,
                          pp_store_index_error(rc));
            return -1;
        }
        i++;
    }
    return 0;
}

static int load_room(const char *path, int i, const cJSON *r, struct pp_index *idx, char *err,
                     size_t errlen)
{
    const char *why = "not an object";
    const char *name = cJSON_IsObject(r) ? name_field(r, "room", &why) : NULL;
    if (name == NULL) {
        pp_store_errf(err, errlen, "%s: rooms[%d].room: %s", path, i, why);
        return -1;
    }
    enum pp_visibility vis;
    const cJSON *members = cJSON_GetObjectItemCaseSensitive(r, "members");
    const cJSON *bans = cJSON_GetObjectItemCaseSensitive(r, "bans");
    if (!pp_visibility_parse(
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "visibility")), &vis)) {
        pp_store_errf(err, errlen,
                      "%s: rooms[%d] (%s): \"visibility\" must be \"public\" or \"private\"", path,
                      i, name);
        return -1;
    }
    if ((members != NULL && !cJSON_IsArray(members)) || (bans != NULL && !cJSON_IsArray(bans))) {
        pp_store_errf(err, errlen, "%s: rooms[%d] (%s): \"members\" and \"bans\" must be arrays",
                      path, i, name);
        return -1;
    }
    int rc = pp_index_room_put(idx, name, vis);
    int j = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, members)
    {
        if (rc != PP_INDEX_OK) {
            break;
        }
        enum pp_role role;
        const char *user = cJSON_IsObject(m) ? name_field(m, "username", &why) : NULL;
        if (user == NULL) {
            pp_store_errf(err, errlen, "%s: rooms[%d] (%s): members[%d].username: %s", path, i,
                          name, j, why);
            return -1;
        }
        if (!pp_role_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role")),
                           &role)) {
            pp_store_errf(err, errlen,
                          "%s: rooms[%d] (%s): members[%d] (%s): \"role\" must be "
                          "\"owner\", \"member\" or \"reader\"",
                          path, i, name, j, user);
            return -1;
        }
        rc = pp_index_member_set(idx, name, user, role);
        j++;
    }
    int k = 0;
    cJSON_ArrayForEach(m, bans)
    {
        if (rc != PP_INDEX_OK) {
            break;
        }
        const char *e = cJSON_IsString(m) ? pc_name_error(m->valuestring) : "not a string";
        if (e != NULL) {
            pp_store_errf(err, errlen, "%s: rooms[%d] (%s): bans[%d]: %s", path, i, name, k, e);
            return -1;
        }
        rc = pp_index_ban_set(idx, name, m->valuestring, true);
        k++;
    }
    if (rc != PP_INDEX_OK) {
        pp_store_errf(err, errlen, "%s: rooms[%d] (%s): %s", path, i, name,
                      pp_store_index_error(rc));
        return -1;
    }
    return 0;
}

int pp_store_snap_load(const char *path, struct pp_index *idx, uint64_t *seq, bool *missing,
                       char *err, size_t errlen)
{
    char *buf;
    size_t len;
    *seq = 0;
    *missing = false;
    if (pp_store_read_file(path, &buf, &len) != 0) {
        if (errno == ENOENT) {
            *missing = true;
            return 0;
        }
        pp_store_errf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
    size_t off = 0;
    if (root != NULL) {
        /* Only white space may follow the top-level object. */
        off = (size_t)(end - buf);
        while (off < len && buf[off] != '\0' && strchr(" \t\r\n", buf[off]) != NULL) {
            off++;
        }
        if (off < len) {
            cJSON_Delete(root);
            root = NULL;
        }
    } else {
        const char *ep = cJSON_GetErrorPtr();
        off = ep != NULL && ep >= buf && ep <= buf + len ? (size_t)(ep - buf) : 0;
    }
    if (root == NULL) {
        size_t line, col;
        position(buf, off, &line, &col);
        pp_store_errf(err, errlen, "%s: malformed JSON at line %zu, column %zu (byte %zu)", path,
                      line, col, off);
        free(buf);
        return -1;
    }
    int rc = -1;
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *jseq = cJSON_GetObjectItemCaseSensitive(root, "seq");
    const cJSON *users = cJSON_GetObjectItemCaseSensitive(root, "users");
    const cJSON *rooms = cJSON_GetObjectItemCaseSensitive(root, "rooms");
    if (!cJSON_IsObject(root)) {
        pp_store_errf(err, errlen, "%s: the top level must be an object", path);
    } else if (ver != NULL && (!cJSON_IsNumber(ver) || ver->valueint != SNAPSHOT_VERSION)) {
        pp_store_errf(err, errlen, "%s: unsupported \"version\" (this plugin reads version %d)",
                      path, SNAPSHOT_VERSION);
    } else if (jseq != NULL && (!cJSON_IsNumber(jseq) || jseq->valuedouble < 0)) {
        pp_store_errf(err, errlen, "%s: \"seq\" must be a non-negative number", path);
    } else if ((users != NULL && !cJSON_IsArray(users)) ||
               (rooms != NULL && !cJSON_IsArray(rooms))) {
        pp_store_errf(err, errlen, "%s: \"users\" and \"rooms\" must be arrays", path);
    } else if (load_users(path, users, idx, err, errlen) == 0) {
        rc = 0;
        int i = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, rooms)
        {
            if (load_room(path, i++, r, idx, err, errlen) != 0) {
                rc = -1;
                break;
            }
        }
        *seq = jseq != NULL ? (uint64_t)jseq->valuedouble : 0;
    }
    cJSON_Delete(root);
    free(buf);
#ifdef __GLIBC__
    /* The parse tree of a large state (tens of MB for 100k memberships) is gone: hand the pages
     * back rather than leave the broker's RSS at its load-time peak. */
    malloc_trim(0);
#endif
    return rc;
}

struct ptrs {
    const void **v;
    size_t n, cap;
    bool oom;
};

static void ptrs_push(struct ptrs *p, const void *x)
{
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 256;
        const void **nv = realloc(p->v, ncap * sizeof *nv);
        if (nv == NULL) {
            p->oom = true;
            return;
        }
        p->v = nv;
        p->cap = ncap;
    }
    p->v[p->n++] = x;
}

static int push_user(void *ctx, const struct pp_user *u)
{
    ptrs_push(ctx, u);
    return 0;
}

static int push_room(void *ctx, const struct pp_room *r)
{
    ptrs_push(ctx, r);
    return 0;
}

struct member_rec {
    const char *user;
    enum pp_role role;
    bool banned;
};

struct members {
    struct member_rec *v;
    size_t n, cap;
    bool oom;
};

static int push_member(void *ctx, const struct pp_room *r, const char *user, enum pp_role role,
                       bool banned)
{
    (void)r;
    struct members *m = ctx;
    if (m->n == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        struct member_rec *nv = realloc(m->v, ncap * sizeof *nv);
        if (nv == NULL) {
            m->oom = true;
            return 1;
        }
        m->v = nv;
        m->cap = ncap;
    }
    m->v[m->n++] = (struct member_rec){user, role, banned};
    return 0;
}

/* Users and rooms start with their name, so one comparison sorts both. */
static int cmp_named(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_member(const void *a, const void *b)
{
    return strcmp(((const struct member_rec *)a)->user, ((const struct member_rec *)b)->user);
}

/* A JSON string; names are plain, but a password hash is written escaped all the same. */
static void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
            fputc(*p, f);
        } else if (*p < 0x20) {
            fprintf(f, "\\u%04x", *p);
        } else {
            fputc(*p, f);
        }
    }
    fputc('"', f);
}

static int write_rooms(FILE *f, const struct pp_index *idx, const struct ptrs *rooms)
{
    struct members m = {0};
    int rc = 0;
    for (size_t i = 0; i < rooms->n && rc == 0; i++) {
        const struct pp_room *r = rooms->v[i];
        m.n = 0;
        pp_index_members_each(idx, r->name, push_member, &m);
        if (m.oom) {
            rc = -1;
            break;
        }
        if (m.n > 1) {
            qsort(m.v, m.n, sizeof *m.v, cmp_member);
        }
        fprintf(f, "%s\n  {\"room\":", i ? "," : "");
        put_json_string(f, r->name);
        fprintf(f, ",\"visibility\":\"%s\",\"members\":[", pp_visibility_name(r->visibility));
        size_t k = 0;
        for (size_t j = 0; j < m.n; j++) {
            if (m.v[j].role != PP_ROLE_NONE) {
                fprintf(f, "%s{\"username\":", k++ ? "," : "");
                put_json_string(f, m.v[j].user);
                fprintf(f, ",\"role\":\"%s\"}", pp_role_name(m.v[j].role));
            }
        }
        fputs("],\"bans\":[", f);
        k = 0;
        for (size_t j = 0; j < m.n; j++) {
            if (m.v[j].banned) {
                fputs(k++ ? "," : "", f);
                put_json_string(f, m.v[j].user);
            }
        }
        fputs("]}", f);
    }
    free(m.v);
    return rc;
}

static int write_snapshot(FILE *f, const struct pp_index *idx, uint64_t seq)
{
    struct ptrs users = {0}, rooms = {0};
    pp_index_users_each(idx, push_user, &users);
    pp_index_rooms_each(idx, push_room, &rooms);
    int rc = -1;
    if (!users.oom && !rooms.oom) {
        if (users.n > 1) {
            qsort(users.v, users.n, sizeof *users.v, cmp_named);
        }
        if (rooms.n > 1) {
            qsort(rooms.v, rooms.n, sizeof *rooms.v, cmp_named);
        }
        fprintf(f, "{\"version\":%d,\"seq\":%" PRIu64 ",\n\"users\":[", SNAPSHOT_VERSION, seq);
        for (size_t i = 0; i < users.n; i++) {
            const struct pp_user *u = users.v[i];
            fprintf(f, "%s\n  {\"username\":", i ? "," : "");
            put_json_string(f, u->name);
            fputs(",\"password\":", f);
            if (u->password_hash != NULL) {
                put_json_string(f, u->password_hash);
            } else {
                fputs("null", f);
            }
            fprintf(f, ",\"admin\":%s}", u->admin ? "true" : "false");
        }
        fputs("],\n\"rooms\":[", f);
        rc = write_rooms(f, idx, &rooms);
        fputs("]}\n", f);
    }
    free(users.v);
    free(rooms.v);
    return rc;
}

int pp_store_fsync_dir(const char *path)
{
    char *dir = strdup(path);
    if (dir == NULL) {
        return -1;
    }
    char *slash = strrchr(dir, '/');
    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == dir) {
        dir[1] = '\0';
    } else {
        *slash = '\0';
    }
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    free(dir);
    if (fd < 0) {
        return -1;
    }
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int pp_store_snap_save(const char *path, const char *tmppath, const struct pp_index *idx,
                       uint64_t seq, char *err, size_t errlen)
{
    int fd = open(tmppath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        pp_store_errf(err, errlen, "%s: cannot create: %s", tmppath, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        pp_store_errf(err, errlen, "%s: %s", tmppath, strerror(errno));
        close(fd);
        unlink(tmppath);
        return -1;
    }
    int wrc = write_snapshot(f, idx, seq);
    bool ok = wrc == 0 && fflush(f) == 0 && !ferror(f) && fsync(fd) == 0;
    int e = wrc != 0 ? ENOMEM : errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        pp_store_errf(err, errlen, "%s: cannot write: %s", tmppath, strerror(e));
        unlink(tmppath);
        return -1;
    }
    if (rename(tmppath, path) != 0) {
        pp_store_errf(err, errlen, "%s: cannot rename to %s: %s", tmppath, path, strerror(errno));
        unlink(tmppath);
        return -1;
    }
    if (pp_store_fsync_dir(path) != 0) {
        pp_store_errf(err, errlen, "%s: cannot fsync its directory: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
