/* The JSON control API on $CONTROL/parley/v1 (shape like Mosquitto's dynamic-security plugin):
 *
 *   in:  {"commands":[{"command":"createRoom","room":"kitchen","visibility":"private",
 *                      "correlationData":"42"}, ...]}
 *   out: {"responses":[{"command":"createRoom","correlationData":"42","data":{...}}, ...]}
 *
 * Each response carries the command name, the correlationData string if one was given, and
 * either "data" (omitted when there is nothing to return) or a human-readable "error".
 * Commands and permissions: docs/plugin-control.md.
 */
#ifndef PP_CONTROL_H
#define PP_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "pp_index.h"
#include "pp_store.h"

struct pp_auth;

/* At most this many commands per batch; a longer batch is refused as a whole. */
#define PP_CONTROL_MAX_COMMANDS 100

struct pp_control_env {
    struct pp_index *index;
    struct pp_store *store; /* may be NULL in unit tests: changes not persisted */
    bool allow_room_create; /* plugin_opt_allow_room_create */
    /* Queue a kick of every live session of username (done later, from the plugin's tick).
     * May be NULL. username is borrowed for the call. */
    void (*kick_user)(void *ctx, const char *username);
    void *kick_ctx;
    /* Optional (NULL = nobody): true when username is a bridge account (plugin_opt_bridge_users).
     * Bridge accounts may run checkAccess for any user. Called with kick_ctx. */
    bool (*is_bridge)(void *ctx, const char *username);
    /* Optional: username (NULL: everyone) can no longer read room — removed from or left a
     * private room, or the room was deleted — so presence can say they are gone. Called with
     * kick_ctx after the change; strings borrowed for the call. */
    void (*room_left)(void *ctx, const char *room, const char *username);
    /* Optional (NULL: authenticate is refused): the login checks CONNECTs use, for the
     * authenticate command bridge accounts send on behalf of their clients. */
    const struct pp_auth *auth;
};

/* Runs one {"commands":[...]} batch for caller (is_admin already includes the `admins` option
 * and bridge users are NOT admins unless listed). payload[0..len) need not be NUL-terminated.
 * Returns the {"responses":[...]} JSON text, malloc'd, for the caller to free; NULL only on
 * out-of-memory. Every change in the batch is durable (journal fsync'd) before it returns. */
char *pp_control_handle(const struct pp_control_env *env, const char *caller, bool is_admin,
                        const char *payload, size_t len);

#endif
