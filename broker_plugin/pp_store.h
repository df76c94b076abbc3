/* Durable state behind the index: a JSON snapshot plus an append-only journal beside it.
 *
 *   <path>           snapshot: {"version":1,"seq":N,"users":[...],"rooms":[...]}, written
 *                    atomically (temp file, fsync, rename, fsync of the directory)
 *   <path>.journal   one JSON object per line, one line per change, each with "seq"; lines with
 *                    seq <= the snapshot's seq are already folded in and skipped at load
 *
 * A change costs a write(2) of one short line; pp_store_commit fsyncs the journal once per
 * command batch, so a change is durable before its control response goes out. When the journal
 * passes a threshold, commit folds it into a new snapshot (see pp_store_file.c for why and how).
 * The store is used from the broker's thread only.
 */
#ifndef PP_STORE_H
#define PP_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "pp_index.h"

struct pp_store;

/* Optional log sink for warnings (e.g. a truncated last journal line that was ignored).
 * msg is borrowed for the call. Without one, warnings go to stderr. */
typedef void (*pp_store_log_fn)(void *ctx, const char *msg);

/* Opens (creating if missing) the state at path and loads it into idx, which should be empty.
 * On error returns NULL and writes a human-readable reason to err (errlen bytes), naming the file
 * and, for bad JSON, the line and column. path is copied. */
struct pp_store *pp_store_open(const char *path, struct pp_index *idx, char *err, size_t errlen);
/* Same, with a log sink for warnings (used for this open and later calls). */
struct pp_store *pp_store_open_ex(const char *path, struct pp_index *idx, pp_store_log_fn log,
                                  void *log_ctx, char *err, size_t errlen);
/* Re-reads the state into a fresh index; on success swaps it into *idx (old one freed) and
 * returns 0, else keeps the old one and returns -1 with a reason in err. (SIGHUP) */
int pp_store_reload(struct pp_store *st, struct pp_index **idx, char *err, size_t errlen);
/* Commits anything pending, then frees the store (not the index). NULL is a no-op. */
void pp_store_close(struct pp_store *st);

/* ---- Changes. The control API describes each change once, as a struct pp_change; the same
 * function applies it to the index and appends it to the journal, and load replays the journal
 * through it, so the two can never disagree. */
enum pp_change_op {
    PP_CHANGE_USER_PUT = 0, /* user, password_hash (may be NULL), admin */
    PP_CHANGE_USER_DEL,     /* user */
    PP_CHANGE_ROOM_PUT,     /* room, visibility */
    PP_CHANGE_ROOM_DEL,     /* room */
    PP_CHANGE_MEMBER_SET,   /* room, user, role (PP_ROLE_NONE removes the role) */
    PP_CHANGE_BAN_SET,      /* room, user, banned */
};
struct pp_change {
    enum pp_change_op op;
    const char *room; /* borrowed for the call */
    const char *user;
    const char *password_hash;
    bool admin;
    enum pp_visibility visibility;
    enum pp_role role;
    bool banned;
};

/* Applies ch to idx and, when st is not NULL, appends it to the journal (written, not yet
 * fsync'd). The journal line is written first: if that fails the index is left unchanged.
 * Returns 0, a negative PP_INDEX_E* code from the index, or PP_STORE_EIO (reason in err). */
#define PP_STORE_EIO (-100)
int pp_store_change(struct pp_store *st, struct pp_index *idx, const struct pp_change *ch,
                    char *err, size_t errlen);
/* Makes every change since the last commit durable (one fsync of the journal), then compacts
 * if the journal has grown past its threshold. Returns 0, or -1 with a reason in err (the
 * changes are in the index but may not be on disk; the next commit writes a full snapshot).
 * Cheap when nothing is pending. */
int pp_store_commit(struct pp_store *st, const struct pp_index *idx, char *err, size_t errlen);
/* Compaction runs in a forked child by default: the broker's thread pays for the fork (about a
 * millisecond with 100k memberships) and later for rewriting the journal's short tail, not for
 * the snapshot. false = compact synchronously inside pp_store_commit. When SIGCHLD is ignored
 * (children could not be waited for) or fork fails, compaction is synchronous anyway. */
void pp_store_set_background(struct pp_store *st, bool background);
/* Reaps a finished background compaction, if any, and drops the journal lines it folded in.
 * Cheap when there is none; pp_store_commit calls it, and the plugin's tick may. 0, or -1 with a
 * reason (the journal is then kept whole, which is still correct, and the next commit compacts
 * synchronously). */
int pp_store_poll(struct pp_store *st, char *err, size_t errlen);
/* Blocks until a background compaction in flight is done, then as pp_store_poll. */
int pp_store_wait(struct pp_store *st, char *err, size_t errlen);
/* Writes a full snapshot now (synchronously, after waiting for any background one) and empties
 * the journal. 0, or -1 with a reason in err. */
int pp_store_compact(struct pp_store *st, const struct pp_index *idx, char *err, size_t errlen);
/* Journal entries since the last snapshot, and the threshold that triggers compaction (default
 * PP_STORE_COMPACT_ENTRIES; 0 = never compact on commit). For tests and benchmarks. */
#define PP_STORE_COMPACT_ENTRIES 20000
size_t pp_store_journal_entries(const struct pp_store *st);
void pp_store_set_compact_threshold(struct pp_store *st, size_t entries);
/* The snapshot's path (borrowed). */
const char *pp_store_path(const struct pp_store *st);

#endif
