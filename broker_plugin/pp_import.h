/* plugin_opt_password_file: users from a mosquitto_passwd file become Parley users.
 *
 * At start and at every reload the file is read in full; each user it names is created, or has
 * its hash replaced when the file's differs (the admin flag is kept). The changes go through the
 * store like any control command, so they are journalled and durable. Users not in the file are
 * left alone: the file is the source of truth for the users it names, not for all users.
 */
#ifndef PP_IMPORT_H
#define PP_IMPORT_H

#include <stddef.h>

#include "pp_index.h"
#include "pp_store.h"

/* Returns the number of users created or changed (0 when the file matches the state), or -1
 * with a reason naming the file (and line) in err; on a bad file nothing is changed. */
int pp_import_password_file(struct pp_store *st, struct pp_index *idx, const char *path, char *err,
                            size_t errlen);

#endif
