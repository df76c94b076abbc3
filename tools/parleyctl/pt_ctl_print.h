/* parleyctl's printers for the data of control API answers (docs/parleyctl.md shows the output).
 */
#ifndef PT_CTL_PRINT_H
#define PT_CTL_PRINT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "pt_ctl.h"

/* Each prints data (borrowed) on out and returns PT_CTL_EXIT_OK, or PT_CTL_EXIT_NOANSWER with
 * nothing printed when data does not have the documented shape. */
typedef enum pt_ctl_exit (*pt_ctl_print_fn)(const cJSON *data, FILE *out);

/* listUsers: one name a line, " (admin)" after admins. */
enum pt_ctl_exit pt_ctl_print_users(const cJSON *data, FILE *out);

/* getRoom: "room:", "visibility:", then "members:" and "bans:" with one indented line each. */
enum pt_ctl_exit pt_ctl_print_room(const cJSON *data, FILE *out);

/* listRooms: one line a room, aligned columns: name, visibility, your role ("-": none). */
enum pt_ctl_exit pt_ctl_print_rooms(const cJSON *data, FILE *out);

/* checkAccess: "allowed", or "denied: REASON" and PT_CTL_EXIT_REFUSED. */
enum pt_ctl_exit pt_ctl_print_access(const cJSON *data, FILE *out);

/* checkAccess's exit status without printing (for --json): OK, REFUSED or NOANSWER. */
enum pt_ctl_exit pt_ctl_print_access_status(const cJSON *data);

#endif
