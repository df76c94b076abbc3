/* parleyctl's subcommands: the table mapping `GROUP VERB ARGS...` to one control API command,
 * the argument checks done before connecting, and the printing of each answer.
 */
#ifndef PT_CTL_CMDS_H
#define PT_CTL_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "pt_ctl.h"

struct pt_ctl_cmd; /* one row of the table (pt_ctl_cmds.c) */

enum pt_ctl_build_status {
    PT_CTL_BUILD_OK = 0,
    PT_CTL_BUILD_HELP, /* --help was among the arguments: print pt_ctl_cmds_help_cmd, exit 0 */
    PT_CTL_BUILD_USAGE /* err says what is wrong: exit PT_CTL_EXIT_USAGE */
};

/* True when group names a group of the table ("user", "room", "access"). */
bool pt_ctl_cmds_is_group(const char *group);

/* The row for `group verb`, or NULL. A group with a single command and no verb ("access")
 * is found with verb NULL; *uses_verb says whether verb was consumed. Borrowed, static. */
const struct pt_ctl_cmd *pt_ctl_cmds_find(const char *group, const char *verb, bool *uses_verb);

/* "room add", for messages. Static string. */
const char *pt_ctl_cmds_label(const struct pt_ctl_cmd *cmd);

/* Builds the JSON command for cmd from its arguments (argv[0..argc), after the verb): names are
 * checked against the grammar, enums spelled out, and a password not given on the command line
 * is read as one line from in (with a prompt on stderr when in is a terminal). On
 * PT_CTL_BUILD_OK *command is a new object for the caller to free (it may hold a password:
 * never print it); otherwise *command is NULL and, for PT_CTL_BUILD_USAGE, err says why.
 * With in NULL the arguments are only checked: no password is read, *command may lack it. */
enum pt_ctl_build_status pt_ctl_cmds_build(const struct pt_ctl_cmd *cmd, int argc, char **argv,
                                           FILE *in, cJSON **command, char *err, size_t errlen);

/* Prints one response to cmd: its data for humans on out, or as one line of JSON when json is
 * set; an "error" goes to errout as `parleyctl: <label>: <error>`. Returns the exit status:
 * PT_CTL_EXIT_OK, PT_CTL_EXIT_REFUSED (an error, or checkAccess said not allowed), or
 * PT_CTL_EXIT_NOANSWER when the response lacks the data the command answers with. */
enum pt_ctl_exit pt_ctl_cmds_print(const struct pt_ctl_cmd *cmd, const cJSON *response, bool json,
                                   FILE *out, FILE *errout);

/* Help: every command of group (NULL: of every group), one usage line and its summary each. */
void pt_ctl_cmds_help_group(FILE *out, const char *group);

/* Help for one command: its usage line, summary and the API command it sends. */
void pt_ctl_cmds_help_cmd(FILE *out, const struct pt_ctl_cmd *cmd);

#endif
