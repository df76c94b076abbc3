/* The `file` store: a JSON snapshot plus an append-only journal (see pp_store.h for the layout).
 *
 * Why a journal: the dynamic-security plugin rewrites its whole file on every change, which with
 * 100,000 memberships costs tens of milliseconds of the broker's only thread. Here a change is a
 * write(2) of one ~100-byte line and a batch costs one fdatasync, whatever the size of the state.
 *
 * Compaction (folding the journal into a new snapshot) starts in pp_store_commit once the journal
 * holds PP_STORE_COMPACT_ENTRIES lines. It runs in a forked child, like Redis's BGSAVE: the
 * child has a copy-on-write image of the index as of the fork, writes the snapshot (about 45 ms
 * for 100k memberships) and exits; the broker goes on appending to the journal meanwhile. When
 * the child is reaped, the journal is replaced by the lines written since the fork (by byte
 * offset, so the rewrite costs only that tail). No thread shares the index with the broker.
 * Crash safety: the snapshot records the journal sequence number it includes and replaces the
 * old one by rename; lines at or below the snapshot's seq are skipped at load. So the pair on
 * disk is valid at every step: old snapshot + whole journal, new snapshot + whole journal, new
 * snapshot + tail.
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
#include <signal.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "pp_store_snap.h"

struct pp_store {
    char *path;    /* snapshot */
    char *jpath;   /* journal */
    char *tmppath; /* snapshot being written */
    int jfd;       /* journal, O_APPEND; -1 when it could not be opened */
    off_t jsize;   /* bytes of whole lines in the journal */
    uint64_t seq;  /* last sequence number used */
    size_t jentries;
    size_t threshold;
    bool pending;       /* journal lines written since the last fsync */
    bool need_snapshot; /* a journal write or fsync failed: the next commit writes a snapshot */
    bool background;    /* compact in a forked child */
    pid_t child;        /* the compacting child, or 0 */
    off_t child_jsize;  /* journal bytes the child's snapshot includes */
    size_t child_jentries;
    char *jtmppath; /* journal tail being written */
    pp_store_log_fn log;
    void *log_ctx;
};

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

/* Replays the journal over idx. A bad last line (a write cut short by a crash) is ignored with a
 * warning and cut off the file; a bad line before the last is an error. */
static int replay_journal(struct pp_store *st, struct pp_index *idx, uint64_t snap_seq, char *err,
                          size_t errlen)
{
    char *buf;
    size_t len;
    st->jentries = 0;
    if (pp_store_read_file(st->jpath, &buf, &len) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        pp_store_errf(err, errlen, "%s: cannot read: %s", st->jpath, strerror(errno));
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
                    pp_store_errf(err, errlen, "%s: cannot cut the truncated entry: %s", st->jpath,
                                  strerror(errno));
                    rc = -1;
                }
                break;
            }
            pp_store_errf(err, errlen, "%s: line %zu: %s", st->jpath, lineno, why);
            rc = -1;
            break;
        }
        if (seq > snap_seq) {
            int arc = apply(idx, &ch);
            if (arc == PP_INDEX_ENOMEM) {
                cJSON_Delete(obj);
                pp_store_errf(err, errlen, "%s: line %zu: out of memory", st->jpath, lineno);
                rc = -1;
                break;
            }
            if (arc != PP_INDEX_OK) {
                /* The same change failed when it was made; it changes nothing now either. */
                warn(st, "%s: line %zu: %s %s: %s (skipped)", st->jpath, lineno, op_names[ch.op],
                     ch.room != NULL ? ch.room : ch.user, pp_store_index_error(arc));
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
    if (pp_store_snap_load(st->path, idx, &snap_seq, missing, err, errlen) != 0) {
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
    struct stat sb;
    if (st->jfd < 0 || fstat(st->jfd, &sb) != 0) {
        pp_store_errf(err, errlen, "%s: cannot open: %s", st->jpath, strerror(errno));
        return -1;
    }
    st->jsize = sb.st_size;
    return 0;
}

struct pp_store *pp_store_open_ex(const char *path, struct pp_index *idx, pp_store_log_fn log,
                                  void *log_ctx, char *err, size_t errlen)
{
    struct pp_store *st = calloc(1, sizeof *st);
    if (st == NULL) {
        pp_store_errf(err, errlen, "out of memory");
        return NULL;
    }
    st->jfd = -1;
    st->threshold = PP_STORE_COMPACT_ENTRIES;
    st->background = true;
    st->log = log;
    st->log_ctx = log_ctx;
    st->path = str_concat(path, "");
    st->jpath = str_concat(path, ".journal");
    st->tmppath = str_concat(path, ".tmp");
    st->jtmppath = str_concat(path, ".journal.tmp");
    if (st->path == NULL || st->jpath == NULL || st->tmppath == NULL || st->jtmppath == NULL) {
        pp_store_errf(err, errlen, "out of memory");
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
    if (pp_store_commit(st, *idx, cerr, sizeof cerr) != 0 ||
        pp_store_wait(st, cerr, sizeof cerr) != 0) {
        warn(st, "before reload: %s", cerr);
    }
    struct pp_index *fresh = pp_index_new();
    if (fresh == NULL) {
        pp_store_errf(err, errlen, "out of memory");
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
    char werr[256];
    if (pp_store_wait(st, werr, sizeof werr) != 0) {
        warn(st, "at close: %s", werr);
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
    free(st->jtmppath);
    free(st);
}

/* ---- changes and commits ---------------------------------------------------------------- */

int pp_store_change(struct pp_store *st, struct pp_index *idx, const struct pp_change *ch,
                    char *err, size_t errlen)
{
    if (st != NULL) {
        char *line = journal_line(st->seq + 1, ch);
        if (line == NULL) {
            pp_store_errf(err, errlen, "out of memory");
            return PP_INDEX_ENOMEM;
        }
        size_t n = strlen(line);
        int wrc = st->jfd < 0 ? -1 : write_all(st->jfd, line, n);
        int e = st->jfd < 0 ? EBADF : errno;
        free(line);
        if (wrc != 0) {
            /* Cut any partial line, so later lines do not follow garbage; if even that fails,
             * load ignores a bad last line. The next commit writes a full snapshot. */
            if (st->jfd >= 0 && ftruncate(st->jfd, st->jsize) != 0) {
                warn(st, "%s: cannot cut a failed write: %s", st->jpath, strerror(errno));
            }
            st->need_snapshot = true;
            pp_store_errf(err, errlen, "%s: cannot write: %s", st->jpath, strerror(e));
            return PP_STORE_EIO;
        }
        st->jsize += (off_t)n;
        st->seq++;
        st->jentries++;
        st->pending = true;
    }
    int rc = apply(idx, ch);
    if (rc != PP_INDEX_OK) {
        pp_store_errf(err, errlen, "%s", pp_store_index_error(rc));
    }
    return rc;
}

/* ---- background compaction -------------------------------------------------------------- */

/* Whether a child could be waited for: not when SIGCHLD is ignored (children are then reaped by
 * the kernel and waitpid cannot report how they ended). */
static bool children_waitable(void)
{
    struct sigaction sa;
    if (sigaction(SIGCHLD, NULL, &sa) != 0) {
        return false;
    }
    return sa.sa_handler != SIG_IGN && (sa.sa_flags & SA_NOCLDWAIT) == 0;
}

/* Starts a compaction: in a child when possible, else synchronously. */
static int compact_start(struct pp_store *st, const struct pp_index *idx, char *err, size_t errlen)
{
    if (!st->background || !children_waitable()) {
        return pp_store_compact(st, idx, err, errlen);
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        warn(st, "cannot fork to compact (%s); compacting here", strerror(errno));
        return pp_store_compact(st, idx, err, errlen);
    }
    if (pid == 0) {
        /* The child: its copy of the index is frozen at the fork. It must not outlive the broker:
         * a restarted broker may be writing the same files. */
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        if (getppid() != parent) {
            _exit(1);
        }
        /* Write, then leave without running the broker's exit handlers or flushing its stdio. */
        _exit(pp_store_snap_save(st->path, st->tmppath, idx, st->seq, NULL, 0) == 0 ? 0 : 1);
    }
    st->child = pid;
    st->child_jsize = st->jsize;
    st->child_jentries = st->jentries;
    return 0;
}

/* Reads the journal from byte off to its end into *buf (malloc'd). 0, or -1 with errno. */
static int read_tail(const char *path, off_t off, char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
        }
        errno = e;
        return -1;
    }
    size_t want = sb.st_size > off ? (size_t)(sb.st_size - off) : 0, n = 0;
    char *b = malloc(want + 1);
    while (b != NULL && n < want) {
        ssize_t r = pread(fd, b + n, want - n, off + (off_t)n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    if (b == NULL || n < want) {
        free(b);
        errno = b == NULL ? ENOMEM : EIO;
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* The child's snapshot holds the journal's first child_jsize bytes: keep only the rest. The
 * cost is that of the lines written since the fork, not of the whole journal. */
static int drop_journal_head(struct pp_store *st, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    if (read_tail(st->jpath, st->child_jsize, &buf, &len) != 0) {
        pp_store_errf(err, errlen, "%s: cannot read: %s", st->jpath, strerror(errno));
        return -1;
    }
    int fd = open(st->jtmppath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = -1;
    if (fd < 0) {
        pp_store_errf(err, errlen, "%s: cannot create: %s", st->jtmppath, strerror(errno));
    } else if (write_all(fd, buf, len) != 0 || fdatasync(fd) != 0) {
        pp_store_errf(err, errlen, "%s: cannot write: %s", st->jtmppath, strerror(errno));
    } else if (rename(st->jtmppath, st->jpath) != 0 || pp_store_fsync_dir(st->jpath) != 0) {
        pp_store_errf(err, errlen, "%s: cannot replace the journal: %s", st->jtmppath,
                      strerror(errno));
    } else {
        rc = 0;
    }
    if (fd >= 0) {
        close(fd);
    }
    if (rc != 0) {
        unlink(st->jtmppath);
    }
    free(buf);
    if (rc == 0 && open_journal(st, err, errlen) == 0) {
        st->jentries -= st->child_jentries;
        return 0;
    }
    return -1;
}

/* Reaps the child (waiting for it when block) and folds its result in. */
static int compact_finish(struct pp_store *st, bool block, char *err, size_t errlen)
{
    if (st->child == 0) {
        return 0;
    }
    int status = 0;
    pid_t r;
    do {
        r = waitpid(st->child, &status, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
        return 0; /* still writing */
    }
    st->child = 0;
    if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* Nothing lost: the journal is whole. Compact here at the next commit instead. */
        st->need_snapshot = true;
        pp_store_errf(err, errlen, "%s: background snapshot failed (%s)", st->path,
                      r < 0 ? strerror(errno) : "child exited with an error");
        return -1;
    }
    if (drop_journal_head(st, err, errlen) != 0) {
        st->need_snapshot = true;
        return -1;
    }
    return 0;
}

int pp_store_poll(struct pp_store *st, char *err, size_t errlen)
{
    return compact_finish(st, false, err, errlen);
}

int pp_store_wait(struct pp_store *st, char *err, size_t errlen)
{
    return compact_finish(st, true, err, errlen);
}

void pp_store_set_background(struct pp_store *st, bool background) { st->background = background; }

int pp_store_commit(struct pp_store *st, const struct pp_index *idx, char *err, size_t errlen)
{
    if (st == NULL) {
        return 0;
    }
    if (st->pending && !st->need_snapshot) {
        if (fdatasync(st->jfd) != 0) {
            pp_store_errf(err, errlen, "%s: fsync failed: %s", st->jpath, strerror(errno));
            st->need_snapshot = true;
        } else {
            st->pending = false;
        }
    }
    char cerr[256];
    if (pp_store_poll(st, cerr, sizeof cerr) != 0) {
        warn(st, "%s", cerr);
    }
    if (st->need_snapshot) {
        if (pp_store_compact(st, idx, cerr, sizeof cerr) != 0) {
            pp_store_errf(err, errlen, "%s", cerr);
            return -1;
        }
    } else if (st->threshold > 0 && st->jentries >= st->threshold && st->child == 0) {
        if (compact_start(st, idx, cerr, sizeof cerr) != 0) {
            pp_store_errf(err, errlen, "%s", cerr);
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

int pp_store_compact(struct pp_store *st, const struct pp_index *idx, char *err, size_t errlen)
{
    char werr[256];
    if (pp_store_wait(st, werr, sizeof werr) != 0) {
        warn(st, "%s", werr); /* whatever it left, the snapshot below supersedes */
    }
    if (pp_store_snap_save(st->path, st->tmppath, idx, st->seq, err, errlen) != 0) {
        return -1;
    }
    /* The snapshot now holds everything up to st->seq: the journal can go. */
    if (st->jfd >= 0 && (ftruncate(st->jfd, 0) != 0 || fdatasync(st->jfd) != 0)) {
        pp_store_errf(err, errlen, "%s: cannot empty: %s", st->jpath, strerror(errno));
        return -1;
    }
    st->jsize = 0;
    st->jentries = 0;
    st->pending = false;
    st->need_snapshot = false;
    return 0;
}
