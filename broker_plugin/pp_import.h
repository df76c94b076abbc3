/* plugin_opt_password_file: users from a mosquitto_passwd file become Parley users.
 *
 * At start and at every reload the file is read in full and compared with the copy taken at the
 * last import (<state_file>.passwd-seen). Each line that is new or changed since then is applied:
 * the user is created, or their password hash replaced (the admin flag is kept). Lines unchanged
 * since the last import are not applied again, so what the control API did since (setPassword,
 * deleteUser) stands until the file itself changes for that user. Users not in the file are left
 * alone. Changes go through the store like any control command: journalled and durable.
 */
#ifndef PP_IMPORT_H
#define PP_IMPORT_H

#include <stddef.h>

#include "pp_index.h"
#include "pp_store.h"

/* Returns the number of users created or changed (0 when nothing in the file changed), or -1
 * with a reason naming the file (and line) in err; on a bad file nothing is changed. */
int pp_import_password_file(struct pp_store *st, struct pp_index *idx, const char *path, char *err,
                            size_t errlen);

#endif
