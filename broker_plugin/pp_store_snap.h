/* Internal to the file store (pp_store_file.c, pp_store_snap.c): the snapshot format.
 *
 *   {"version":1,"seq":N,
 *    "users":[{"username":"alice","password":"$7$...","admin":false}, ...],
 *    "rooms":[{"room":"den","visibility":"private",
 *              "members":[{"username":"alice","role":"owner"}],"bans":["eve"]}, ...]}
 *
 * "seq" is the last journal sequence number the snapshot includes. Every key but the names is
 * optional on input (password null/absent = none, admin false, empty lists, seq 0).
 */
#ifndef PP_STORE_SNAP_H
#define PP_STORE_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pp_index.h"

/* printf into err[0..errlen) (nothing if err is NULL). */
void pp_store_errf(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Reads a whole file into *buf (malloc'd, NUL-terminated, caller frees). 0, or -1 with errno
 * (ENOENT when it does not exist). */
int pp_store_read_file(const char *path, char **buf, size_t *len);
/* fsyncs the directory holding path (after a rename into it). 0 or -1 with errno. */
int pp_store_fsync_dir(const char *path);
/* A short text for a PP_INDEX_E* code. Static string. */
const char *pp_store_index_error(int rc);

/* Loads the snapshot at path into idx. A missing file is an empty state (*seq 0, *missing
 * true). 0, or -1 with a reason naming the file and the position or entry. On error idx may
 * hold part of the state. */
int pp_store_snap_load(const char *path, struct pp_index *idx, uint64_t *seq, bool *missing,
                       char *err, size_t errlen);
/* Writes idx with seq to tmppath, fsyncs it, renames it over path and fsyncs the directory.
 * 0, or -1 with a reason (the old snapshot is then untouched). */
int pp_store_snap_save(const char *path, const char *tmppath, const struct pp_index *idx,
                       uint64_t seq, char *err, size_t errlen);

#endif
