/* The `file` store: a JSON snapshot plus an append-only journal (see pp_store.h for the layout).
 *
 * Why a journal: the dynamic-security plugin rewrites its whole file on every change, which with
 * 100,000 memberships costs tens of milliseconds of the broker's only thread. Here a change is a
 * write(2) of one ~100-byte line and a batch costs one fdatasync, whatever the size of the state.
 *
 * Compaction (folding the journal into a new snapshot) runs synchronously inside
 * pp_store_commit, once the journal holds PP_STORE_COMPACT_ENTRIES lines. That is a safe point:
 * the batch's responses are not yet sent and nothing else touches the index. The snapshot is
 * written with plain stdio from a sorted walk of the index (no JSON tree), which for the sizes
 * we target (100k memberships) costs a few tens of milliseconds once per 20,000 changes: about
 * a microsecond per change amortised, and no child process or thread that would have to share
 * the index with the broker. Crash safety: the snapshot records the journal sequence number it
 * includes, it replaces the old one by rename, and only then is the journal emptied; lines at
 * or below the snapshot's seq are skipped at load, so a crash between the two steps is harmless.
 */
#include "pp_store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define SNAPSHOT_VERSION 1

struct pp_store {
    char *path;    /* snapshot */
    char *jpath;   /* journal */
    char *tmppath; /* snapshot being written */
    int jfd;       /* journal, O_APPEND; -1 when it could not be opened */
    uint64_t seq;  /* last sequence number used */
    size_t jentries;
    size_t threshold;
    bool pending;       /* journal lines written since the last fsync */
    bool need_snapshot; /* a journal write or fsync failed: the next commit writes a snapshot */
    pp_store_log_fn log;
    void *log_ctx;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void warn(const struct pp_store *st, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (st->log != NULL) {
        st->log(st->log_ctx, msg);
    } else {
        fprintf(stderr, "parley: %s\n", msg);
    }
}

static char *str_concat(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s != NULL) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads a whole file. 0 and *buf (malloc'd, NUL-terminated) or -1 with errno (ENOENT...). */
static int read_file(const char *path, char **buf, size_t *len)
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

/* ---- applying a change ------------------------------------------------------------------ */

static int apply(struct pp_index *idx, const struct pp_change *ch)
{
    switch (ch->op) {
    case PP_CHANGE_USER_PUT:
        return pp_index_user_put(idx, ch->user, ch->password_hash, ch->admin);
    case PP_CHANGE_USER_DEL:
        return pp_index_user_del(idx, ch->user);
    case PP_CHANGE_ROOM_PUT:
        return pp_index_room_put(idx, ch->room, ch->visibility);
    case PP_CHANGE_ROOM_DEL:
        return pp_index_room_del(idx, ch->room);
    case PP_CHANGE_MEMBER_SET:
        return pp_index_member_set(idx, ch->room, ch->user, ch->role);
    case PP_CHANGE_BAN_SET:
        return pp_index_ban_set(idx, ch->room, ch->user, ch->banned);
    }
    return PP_INDEX_EINVAL;
}

static const char *const op_names[] = {"user_put", "user_del",   "room_put",
                                       "room_del", "member_set", "ban_set"};
#define OP_COUNT (sizeof op_names / sizeof op_names[0])

/* One journal line (with '\n'), malloc'd; NULL on out-of-memory. */
static char *journal_line(uint64_t seq, const struct pp_change *ch)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL || (size_t)ch->op >= OP_COUNT) {
        cJSON_Delete(o);
        return NULL;
    }
    bool ok = cJSON_AddNumberToObject(o, "seq", (double)seq) != NULL &&
              cJSON_AddStringToObject(o, "op", op_names[ch->op]) != NULL;
    if (ok && ch->room != NULL && ch->op != PP_CHANGE_USER_PUT && ch->op != PP_CHANGE_USER_DEL) {
        ok = cJSON_AddStringToObject(o, "room", ch->room) != NULL;
    }
    if (ok && ch->user != NULL && ch->op != PP_CHANGE_ROOM_PUT && ch->op != PP_CHANGE_ROOM_DEL) {
        ok = cJSON_AddStringToObject(o, "user", ch->user) != NULL;
    }
    switch (ch->op) {
    case PP_CHANGE_USER_PUT:
        ok = ok &&
             (ch->password_hash == NULL
                  ? cJSON_AddNullToObject(o, "password") != NULL
                  : cJSON_AddStringToObject(o, "password", ch->password_hash) != NULL) &&
             cJSON_AddBoolToObject(o, "admin", ch->admin) != NULL;
        break;
    case PP_CHANGE_ROOM_PUT:
        ok = ok && cJSON_AddStringToObject(o, "visibility", pp_visibility_name(ch->visibility));
        break;
    case PP_CHANGE_MEMBER_SET:
        ok = ok && cJSON_AddStringToObject(o, "role", pp_role_name(ch->role)) != NULL;
        break;
    case PP_CHANGE_BAN_SET:
        ok = ok && cJSON_AddBoolToObject(o, "banned", ch->banned) != NULL;
        break;
    case PP_CHANGE_USER_DEL:
    case PP_CHANGE_ROOM_DEL:
        break;
    }
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (text == NULL) {
        return NULL;
    }
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (line == NULL) {
        free(text);
        return NULL;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    return line;
}

/* Parses one journal line into *ch (strings borrowed from obj) and its seq. NULL or a reason. */
static const char *journal_parse(const cJSON *obj, struct pp_change *ch, uint64_t *seq)
{
    memset(ch, 0, sizeof *ch);
    const cJSON *jseq = cJSON_GetObjectItemCaseSensitive(obj, "seq");
    const cJSON *jop = cJSON_GetObjectItemCaseSensitive(obj, "op");
    if (!cJSON_IsObject(obj) || !cJSON_IsNumber(jseq) || jseq->valuedouble < 0 ||
        !cJSON_IsString(jop)) {
        return "not an object with a \"seq\" number and an \"op\" string";
    }
    *seq = (uint64_t)jseq->valuedouble;
    size_t op = 0;
    while (op < OP_COUNT && strcmp(op_names[op], jop->valuestring) != 0) {
        op++;
    }
    if (op == OP_COUNT) {
        return "unknown op";
    }
    ch->op = (enum pp_change_op)op;
    ch->room = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "room"));
    ch->user = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "user"));
    bool need_room = ch->op != PP_CHANGE_USER_PUT && ch->op != PP_CHANGE_USER_DEL;
    bool need_user = ch->op != PP_CHANGE_ROOM_PUT && ch->op != PP_CHANGE_ROOM_DEL;
    if ((need_room && ch->room == NULL) || (need_user && ch->user == NULL)) {
        return "missing \"room\" or \"user\"";
    }
    const cJSON *v;
    switch (ch->op) {
    case PP_CHANGE_USER_PUT:
        ch->password_hash = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "password"));
        ch->admin = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "admin"));
        break;
    case PP_CHANGE_ROOM_PUT:
        v = cJSON_GetObjectItemCaseSensitive(obj, "visibility");
        if (!pp_visibility_parse(cJSON_GetStringValue(v), &ch->visibility)) {
            return "bad \"visibility\"";
        }
        break;
    case PP_CHANGE_MEMBER_SET:
        v = cJSON_GetObjectItemCaseSensitive(obj, "role");
        if (cJSON_IsString(v) && strcmp(v->valuestring, "none") == 0) {
            ch->role = PP_ROLE_NONE;
        } else if (!pp_role_parse(cJSON_GetStringValue(v), &ch->role)) {
            return "bad \"role\"";
        }
        break;
    case PP_CHANGE_BAN_SET:
        v = cJSON_GetObjectItemCaseSensitive(obj, "banned");
        if (!cJSON_IsBool(v)) {
            return "bad \"banned\"";
        }
        ch->banned = cJSON_IsTrue(v);
        break;
    case PP_CHANGE_USER_DEL:
    case PP_CHANGE_ROOM_DEL:
        break;
    }
    return NULL;
}

/* ---- loading ---------------------------------------------------------------------------- */

static const char *index_error(int rc)
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
            set_err(err, errlen, "%s: users[%d].username: %s", path, i, why);
            return -1;
        }
        const cJSON *pw = cJSON_GetObjectItemCaseSensitive(u, "password");
        const cJSON *admin = cJSON_GetObjectItemCaseSensitive(u, "admin");
        if ((pw != NULL && !cJSON_IsString(pw) && !cJSON_IsNull(pw)) ||
            (admin != NULL && !cJSON_IsBool(admin))) {
            set_err(err, errlen,
                    "%s: users[%d] (%s): \"password\" must be a string and \"admin\" "
                    "a boolean",
                    path, i, name);
            return -1;
        }
        int rc = pp_index_user_put(idx, name, cJSON_GetStringValue(pw), cJSON_IsTrue(admin));
        if (rc != PP_INDEX_OK) {
            set_err(err, errlen, "%s: users[%d] (%s): %s", path, i, name, index_error(rc));
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
        set_err(err, errlen, "%s: rooms[%d].room: %s", path, i, why);
        return -1;
    }
    enum pp_visibility vis;
    const cJSON *members = cJSON_GetObjectItemCaseSensitive(r, "members");
    const cJSON *bans = cJSON_GetObjectItemCaseSensitive(r, "bans");
    if (!pp_visibility_parse(
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "visibility")), &vis)) {
        set_err(err, errlen, "%s: rooms[%d] (%s): \"visibility\" must be \"public\" or \"private\"",
                path, i, name);
        return -1;
    }
    if ((members != NULL && !cJSON_IsArray(members)) || (bans != NULL && !cJSON_IsArray(bans))) {
        set_err(err, errlen, "%s: rooms[%d] (%s): \"members\" and \"bans\" must be arrays", path, i,
                name);
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
            set_err(err, errlen, "%s: rooms[%d] (%s): members[%d].username: %s", path, i, name, j,
                    why);
            return -1;
        }
        if (!pp_role_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m, "role")),
                           &role)) {
            set_err(err, errlen,
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
            set_err(err, errlen, "%s: rooms[%d] (%s): bans[%d]: %s", path, i, name, k, e);
            return -1;
        }
        rc = pp_index_ban_set(idx, name, m->valuestring, true);
        k++;
    }
    if (rc != PP_INDEX_OK) {
        set_err(err, errlen, "%s: rooms[%d] (%s): %s", path, i, name, index_error(rc));
        return -1;
    }
    return 0;
}

/* Loads the snapshot into idx. A missing file is an empty state (*seq 0, *missing true). */
static int load_snapshot(const char *path, struct pp_index *idx, uint64_t *seq, bool *missing,
                         char *err, size_t errlen)
{
    char *buf;
    size_t len;
    *seq = 0;
    *missing = false;
    if (read_file(path, &buf, &len) != 0) {
        if (errno == ENOENT) {
            *missing = true;
            return 0;
        }
        set_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
    if (root == NULL) {
        size_t line, col;
        size_t off = end != NULL && end >= buf && end <= buf + len ? (size_t)(end - buf) : 0;
        const char *ep = cJSON_GetErrorPtr();
        if (ep != NULL && ep >= buf && ep <= buf + len) {
            off = (size_t)(ep - buf);
        }
        position(buf, off, &line, &col);
        set_err(err, errlen, "%s: malformed JSON at line %zu, column %zu (byte %zu)", path, line,
                col, off);
        free(buf);
        return -1;
    }
    int rc = -1;
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *jseq = cJSON_GetObjectItemCaseSensitive(root, "seq");
    const cJSON *users = cJSON_GetObjectItemCaseSensitive(root, "users");
    const cJSON *rooms = cJSON_GetObjectItemCaseSensitive(root, "rooms");
    if (!cJSON_IsObject(root)) {
        set_err(err, errlen, "%s: the top level must be an object", path);
    } else if (ver != NULL && (!cJSON_IsNumber(ver) || ver->valueint != SNAPSHOT_VERSION)) {
        set_err(err, errlen, "%s: unsupported \"version\" (this plugin reads version %d)", path,
                SNAPSHOT_VERSION);
    } else if (jseq != NULL && (!cJSON_IsNumber(jseq) || jseq->valuedouble < 0)) {
        set_err(err, errlen, "%s: \"seq\" must be a non-negative number", path);
    } else if ((users != NULL && !cJSON_IsArray(users)) ||
               (rooms != NULL && !cJSON_IsArray(rooms))) {
        set_err(err, errlen, "%s: \"users\" and \"rooms\" must be arrays", path);
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
    return rc;
}

/* Replays the journal over idx. A bad last line (a write cut short by a crash) is ignored with a
 * warning and cut off the file; a bad line before the last is an error. */
static int replay_journal(struct pp_store *st, struct pp_index *idx, uint64_t snap_seq, char *err,
                          size_t errlen)
{
    char *buf;
    size_t len;
    st->jentries = 0;
    if (read_file(st->jpath, &buf, &len) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        set_err(err, errlen, "%s: cannot read: %s", st->jpath, strerror(errno));
        return -1;
    }
    size_t off = 0, lineno = 0;
    int rc = 0;
    while (off < len) {
        lineno++;
        const char *nl = memchr(buf + off, '\n', len - off);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        bool last = nl == NULL || end + 1 >= len;
        cJSON *obj = nl != NULL ? cJSON_ParseWithLength(buf + off, end - off) : NULL;
        struct pp_change ch;
        uint64_t seq = 0;
        const char *why = obj == NULL ? (nl == NULL ? "no end of line" : "malformed JSON")
                                      : journal_parse(obj, &ch, &seq);
        if (why != NULL) {
            cJSON_Delete(obj);
            if (last) {
                warn(st, "%s: line %zu: ignoring a truncated last entry (%s; a write cut short?)",
                     st->jpath, lineno, why);
                if (truncate(st->jpath, (off_t)off) != 0) {
                    set_err(err, errlen, "%s: cannot cut the truncated entry: %s", st->jpath,
                            strerror(errno));
                    rc = -1;
                }
                break;
            }
            set_err(err, errlen, "%s: line %zu: %s", st->jpath, lineno, why);
            rc = -1;
            break;
        }
        if (seq > snap_seq) {
            int arc = apply(idx, &ch);
            if (arc == PP_INDEX_ENOMEM) {
                cJSON_Delete(obj);
                set_err(err, errlen, "%s: line %zu: out of memory", st->jpath, lineno);
                rc = -1;
                break;
            }
            if (arc != PP_INDEX_OK) {
                /* The same change failed when it was made; it changes nothing now either. */
                warn(st, "%s: line %zu: %s %s: %s (skipped)", st->jpath, lineno, op_names[ch.op],
                     ch.room != NULL ? ch.room : ch.user, index_error(arc));
            }
        }
        if (seq > st->seq) {
            st->seq = seq;
        }
        st->jentries++;
        cJSON_Delete(obj);
        off = end + 1;
    }
    free(buf);
    return rc;
}

/* Loads snapshot then journal into idx; sets st->seq. */
static int load_all(struct pp_store *st, struct pp_index *idx, bool *missing, char *err,
                    size_t errlen)
{
    uint64_t snap_seq;
    if (load_snapshot(st->path, idx, &snap_seq, missing, err, errlen) != 0) {
        return -1;
    }
    st->seq = snap_seq;
    return replay_journal(st, idx, snap_seq, err, errlen);
}

static int open_journal(struct pp_store *st, char *err, size_t errlen)
{
    if (st->jfd >= 0) {
        close(st->jfd);
    }
    st->jfd = open(st->jpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (st->jfd < 0) {
        set_err(err, errlen, "%s: cannot open: %s", st->jpath, strerror(errno));
        return -1;
    }
    return 0;
}

struct pp_store *pp_store_open_ex(const char *path, struct pp_index *idx, pp_store_log_fn log,
                                  void *log_ctx, char *err, size_t errlen)
{
    struct pp_store *st = calloc(1, sizeof *st);
    if (st == NULL) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    st->jfd = -1;
    st->threshold = PP_STORE_COMPACT_ENTRIES;
    st->log = log;
    st->log_ctx = log_ctx;
    st->path = str_concat(path, "");
    st->jpath = str_concat(path, ".journal");
    st->tmppath = str_concat(path, ".tmp");
    if (st->path == NULL || st->jpath == NULL || st->tmppath == NULL) {
        set_err(err, errlen, "out of memory");
        goto fail;
    }
    bool missing;
    if (load_all(st, idx, &missing, err, errlen) != 0) {
        goto fail;
    }
    if (open_journal(st, err, errlen) != 0) {
        goto fail;
    }
    /* A missing state file is created now, so a bad path fails at start, not at the first
     * change. */
    if (missing && pp_store_compact(st, idx, err, errlen) != 0) {
        goto fail;
    }
    return st;
fail:
    pp_store_close(st);
    return NULL;
}

struct pp_store *pp_store_open(const char *path, struct pp_index *idx, char *err, size_t errlen)
{
    return pp_store_open_ex(path, idx, NULL, NULL, err, errlen);
}

int pp_store_reload(struct pp_store *st, struct pp_index **idx, char *err, size_t errlen)
{
    char cerr[256];
    if (pp_store_commit(st, *idx, cerr, sizeof cerr) != 0) {
        warn(st, "before reload: %s", cerr);
    }
    struct pp_index *fresh = pp_index_new();
    if (fresh == NULL) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    uint64_t old_seq = st->seq;
    size_t old_entries = st->jentries;
    bool missing;
    if (load_all(st, fresh, &missing, err, errlen) != 0 || open_journal(st, err, errlen) != 0) {
        st->seq = old_seq;
        st->jentries = old_entries;
        pp_index_free(fresh);
        return -1;
    }
    if (missing) {
        /* The file went away: keep what we have rather than start empty, and write it back. */
        pp_index_free(fresh);
        st->seq = old_seq;
        warn(st, "%s: missing at reload; writing the current state back", st->path);
        return pp_store_compact(st, *idx, err, errlen);
    }
    pp_index_free(*idx);
    *idx = fresh;
    return 0;
}

void pp_store_close(struct pp_store *st)
{
    if (st == NULL) {
        return;
    }
    if (st->jfd >= 0) {
        if (st->pending && fdatasync(st->jfd) != 0) {
            warn(st, "%s: fsync failed at close: %s", st->jpath, strerror(errno));
        }
        close(st->jfd);
    }
    free(st->path);
    free(st->jpath);
    free(st->tmppath);
    free(st);
}

/* ---- changes and commits ---------------------------------------------------------------- */

int pp_store_change(struct pp_store *st, struct pp_index *idx, const struct pp_change *ch,
                    char *err, size_t errlen)
{
    if (st != NULL) {
        char *line = journal_line(st->seq + 1, ch);
        if (line == NULL) {
            set_err(err, errlen, "out of memory");
            return PP_INDEX_ENOMEM;
        }
        int wrc = st->jfd < 0 ? -1 : write_all(st->jfd, line, strlen(line));
        int e = st->jfd < 0 ? EBADF : errno;
        free(line);
        if (wrc != 0) {
            /* A partial line may be on disk; load ignores it if it stays last, and the next
             * commit replaces the journal by a snapshot anyway. */
            st->need_snapshot = true;
            set_err(err, errlen, "%s: cannot write: %s", st->jpath, strerror(e));
            return PP_STORE_EIO;
        }
        st->seq++;
        st->jentries++;
        st->pending = true;
    }
    int rc = apply(idx, ch);
    if (rc != PP_INDEX_OK) {
        set_err(err, errlen, "%s", index_error(rc));
    }
    return rc;
}

int pp_store_commit(struct pp_store *st, const struct pp_index *idx, char *err, size_t errlen)
{
    if (st == NULL) {
        return 0;
    }
    if (st->pending && !st->need_snapshot) {
        if (fdatasync(st->jfd) != 0) {
            set_err(err, errlen, "%s: fsync failed: %s", st->jpath, strerror(errno));
            st->need_snapshot = true;
        } else {
            st->pending = false;
        }
    }
    if (st->need_snapshot || (st->threshold > 0 && st->jentries >= st->threshold)) {
        char cerr[256];
        if (pp_store_compact(st, idx, cerr, sizeof cerr) != 0) {
            set_err(err, errlen, "%s", cerr);
            return -1;
        }
    }
    return st->need_snapshot ? -1 : 0;
}

size_t pp_store_journal_entries(const struct pp_store *st) { return st->jentries; }

void pp_store_set_compact_threshold(struct pp_store *st, size_t entries)
{
    st->threshold = entries;
}

const char *pp_store_path(const struct pp_store *st) { return st->path; }

/* ---- snapshots -------------------------------------------------------------------------- */

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

static int fsync_dir(const char *path)
{
    char *dir = str_concat(path, "");
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

int pp_store_compact(struct pp_store *st, const struct pp_index *idx, char *err, size_t errlen)
{
    int fd = open(st->tmppath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        set_err(err, errlen, "%s: cannot create: %s", st->tmppath, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        set_err(err, errlen, "%s: %s", st->tmppath, strerror(errno));
        close(fd);
        unlink(st->tmppath);
        return -1;
    }
    int wrc = write_snapshot(f, idx, st->seq);
    bool ok = wrc == 0 && fflush(f) == 0 && !ferror(f) && fsync(fd) == 0;
    int e = wrc != 0 ? ENOMEM : errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        set_err(err, errlen, "%s: cannot write: %s", st->tmppath, strerror(e));
        unlink(st->tmppath);
        return -1;
    }
    if (rename(st->tmppath, st->path) != 0) {
        set_err(err, errlen, "%s: cannot rename to %s: %s", st->tmppath, st->path, strerror(errno));
        unlink(st->tmppath);
        return -1;
    }
    if (fsync_dir(st->path) != 0) {
        set_err(err, errlen, "%s: cannot fsync its directory: %s", st->path, strerror(errno));
        return -1;
    }
    /* The snapshot now holds everything up to st->seq: the journal can go. */
    if (st->jfd >= 0 && (ftruncate(st->jfd, 0) != 0 || fdatasync(st->jfd) != 0)) {
        set_err(err, errlen, "%s: cannot empty: %s", st->jpath, strerror(errno));
        return -1;
    }
    st->jentries = 0;
    st->pending = false;
    st->need_snapshot = false;
    return 0;
}
