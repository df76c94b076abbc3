/* parleyctl's subcommand table: arguments -> one control API command, answer -> output.
 * Adding a command is adding a row; the API's fields are in docs/plugin-control.md.
 */
#include "pt_ctl_cmds.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pc_name.h"
#include "pt_ctl_print.h"

#define MAX_POS 3

/* What a positional argument is, and the JSON field it fills. */
enum arg_kind {
    ARG_NONE = 0,
    ARG_ROOM,     /* "room", a name */
    ARG_USER,     /* "username", a name */
    ARG_ROLE,     /* "role": owner, member or reader */
    ARG_ACCESS,   /* "access": read or write */
    ARG_PASSWORD, /* "password"; read from stdin when absent */
};

/* Options a command accepts after its verb. */
#define OPT_PASSWORD 0x1u   /* --password PW (else read from stdin) */
#define OPT_ADMIN 0x2u      /* --admin: "admin":true */
#define OPT_VISIBILITY 0x4u /* --private / --public: "visibility" */

struct pt_ctl_cmd {
    const char *group;
    const char *verb; /* NULL: the group is the command (access) */
    const char *label;
    const char *api;
    enum arg_kind pos[MAX_POS];
    int required; /* how many of pos[] must be given; the rest are optional */
    unsigned opts;
    pt_ctl_print_fn print; /* NULL: the command answers with nothing */
    const char *usage;
    const char *summary;
};

static const struct pt_ctl_cmd cmds[] = {
    {
        .group = "user",
        .verb = "add",
        .label = "user add",
        .api = "createUser",
        .pos = {ARG_USER},
        .required = 1,
        .opts = OPT_PASSWORD | OPT_ADMIN,
        .usage = "user add NAME [--password PW] [--admin]",
        .summary = "create a user (admin only); without --password, one line is read from stdin",
    },
    {
        .group = "user",
        .verb = "del",
        .label = "user del",
        .api = "deleteUser",
        .pos = {ARG_USER},
        .required = 1,
        .usage = "user del NAME",
        .summary = "delete a user, their memberships and bans, and cut their sessions (admin only)",
    },
    {
        .group = "user",
        .verb = "passwd",
        .label = "user passwd",
        .api = "setPassword",
        .pos = {ARG_USER, ARG_PASSWORD},
        .required = 1,
        .opts = OPT_PASSWORD,
        .usage = "user passwd NAME [PW]",
        .summary =
            "set a password (yours, or anyone's as admin); without PW, one line is read from stdin",
    },
    {
        .group = "user",
        .verb = "list",
        .label = "user list",
        .api = "listUsers",
        .pos = {ARG_NONE},
        .required = 0,
        .print = pt_ctl_print_users,
        .usage = "user list",
        .summary = "list users, one a line, admins marked \"(admin)\" (admin only)",
    },
    {
        .group = "room",
        .verb = "create",
        .label = "room create",
        .api = "createRoom",
        .pos = {ARG_ROOM},
        .required = 1,
        .opts = OPT_VISIBILITY,
        .usage = "room create ROOM [--private]",
        .summary = "create a room (public by default); you become its owner",
    },
    {
        .group = "room",
        .verb = "del",
        .label = "room del",
        .api = "deleteRoom",
        .pos = {ARG_ROOM},
        .required = 1,
        .usage = "room del ROOM",
        .summary = "delete a room with its memberships and bans (owner or admin)",
    },
    {
        .group = "room",
        .verb = "show",
        .label = "room show",
        .api = "getRoom",
        .pos = {ARG_ROOM},
        .required = 1,
        .print = pt_ctl_print_room,
        .usage = "room show ROOM",
        .summary = "show a room's visibility, members with their roles, and bans",
    },
    {
        .group = "room",
        .verb = "list",
        .label = "room list",
        .api = "listRooms",
        .pos = {ARG_NONE},
        .required = 0,
        .print = pt_ctl_print_rooms,
        .usage = "room list",
        .summary = "list the rooms you can see, with visibility and your role (\"-\": none)",
    },
    {
        .group = "room",
        .verb = "add",
        .label = "room add",
        .api = "addMember",
        .pos = {ARG_ROOM, ARG_USER, ARG_ROLE},
        .required = 2,
        .usage = "room add ROOM USER [owner|member|reader]",
        .summary = "give USER a role in ROOM (member by default; owner or admin)",
    },
    {
        .group = "room",
        .verb = "remove",
        .label = "room remove",
        .api = "removeMember",
        .pos = {ARG_ROOM, ARG_USER},
        .required = 2,
        .usage = "room remove ROOM USER",
        .summary = "take USER's role in ROOM away (owner or admin)",
    },
    {
        .group = "room",
        .verb = "role",
        .label = "room role",
        .api = "setRole",
        .pos = {ARG_ROOM, ARG_USER, ARG_ROLE},
        .required = 3,
        .usage = "room role ROOM USER owner|member|reader",
        .summary = "change a member's role (owner or admin)",
    },
    {
        .group = "room",
        .verb = "ban",
        .label = "room ban",
        .api = "ban",
        .pos = {ARG_ROOM, ARG_USER},
        .required = 2,
        .usage = "room ban ROOM USER",
        .summary = "ban USER from ROOM and cut their sessions (owner or admin)",
    },
    {
        .group = "room",
        .verb = "unban",
        .label = "room unban",
        .api = "unban",
        .pos = {ARG_ROOM, ARG_USER},
        .required = 2,
        .usage = "room unban ROOM USER",
        .summary = "lift a ban (owner or admin)",
    },
    {
        .group = "room",
        .verb = "join",
        .label = "room join",
        .api = "joinRoom",
        .pos = {ARG_ROOM},
        .required = 1,
        .usage = "room join ROOM",
        .summary = "become a member of a public room",
    },
    {
        .group = "room",
        .verb = "leave",
        .label = "room leave",
        .api = "leaveRoom",
        .pos = {ARG_ROOM},
        .required = 1,
        .usage = "room leave ROOM",
        .summary = "give up your role in a room",
    },
    {
        .group = "access",
        .verb = NULL,
        .label = "access",
        .api = "checkAccess",
        .pos = {ARG_ROOM, ARG_USER, ARG_ACCESS},
        .required = 3,
        .print = pt_ctl_print_access,
        .usage = "access ROOM USER read|write",
        .summary = "may USER read or post in ROOM? prints \"allowed\" (exit 0) or \"denied: "
                   "REASON\" (exit 1)",
    },
};

#define N_CMDS (sizeof cmds / sizeof cmds[0])

bool pt_ctl_cmds_is_group(const char *group)
{
    for (size_t i = 0; i < N_CMDS; i++) {
        if (strcmp(cmds[i].group, group) == 0) {
            return true;
        }
    }
    return false;
}

const struct pt_ctl_cmd *pt_ctl_cmds_find(const char *group, const char *verb, bool *uses_verb)
{
    for (size_t i = 0; i < N_CMDS; i++) {
        const struct pt_ctl_cmd *c = &cmds[i];
        if (strcmp(c->group, group) != 0) {
            continue;
        }
        if (c->verb == NULL) {
            *uses_verb = false;
            return c;
        }
        if (verb != NULL && strcmp(c->verb, verb) == 0) {
            *uses_verb = true;
            return c;
        }
    }
    return NULL;
}

const char *pt_ctl_cmds_label(const struct pt_ctl_cmd *cmd) { return cmd->label; }

void pt_ctl_cmds_help_group(FILE *out, const char *group)
{
    for (size_t i = 0; i < N_CMDS; i++) {
        if (group == NULL || strcmp(cmds[i].group, group) == 0) {
            fprintf(out, "  %s\n        %s\n", cmds[i].usage, cmds[i].summary);
        }
    }
}

void pt_ctl_cmds_help_cmd(FILE *out, const struct pt_ctl_cmd *cmd)
{
    fprintf(out, "usage: parleyctl [options] %s\n%s.\nSends the control API command %s.\n",
            cmd->usage, cmd->summary, cmd->api);
}

/* ---- building ---- */

static const char *const roles[] = {"owner", "member", "reader", NULL};
static const char *const accesses[] = {"read", "write", NULL};

static bool in_set(const char *s, const char *const *set)
{
    for (; *set != NULL; set++) {
        if (strcmp(s, *set) == 0) {
            return true;
        }
    }
    return false;
}

/* One line from in, without its line ending; NULL with a reason in err. Caller frees. */
static char *read_password(FILE *in, const char *user, char *err, size_t errlen)
{
    if (isatty(fileno(in))) {
        fprintf(stderr, "password for %s: ", user != NULL ? user : "the user");
        fflush(stderr);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, in);
    if (n < 0) {
        free(line);
        snprintf(err, errlen, "no password given and none on stdin");
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
        line[--n] = '\0';
    }
    if (n == 0) {
        free(line);
        snprintf(err, errlen, "the password must not be empty");
        return NULL;
    }
    return line;
}

static bool check_name(const char *what, const char *s, char *err, size_t errlen)
{
    const char *why = pc_name_error(s);
    if (why != NULL) {
        snprintf(err, errlen, "bad %s name \"%.80s%s\": %s", what, s, strlen(s) > 80 ? "..." : "",
                 why);
        return false;
    }
    return true;
}

/* Checks one positional argument and adds its field to command. */
static bool add_positional(cJSON *command, enum arg_kind kind, const char *v, char *err,
                           size_t errlen)
{
    const char *field = NULL;
    switch (kind) {
    case ARG_ROOM:
        if (!check_name("room", v, err, errlen)) {
            return false;
        }
        field = "room";
        break;
    case ARG_USER:
        if (!check_name("user", v, err, errlen)) {
            return false;
        }
        field = "username";
        break;
    case ARG_ROLE:
        if (!in_set(v, roles)) {
            snprintf(err, errlen, "the role must be owner, member or reader, not \"%.64s\"", v);
            return false;
        }
        field = "role";
        break;
    case ARG_ACCESS:
        if (!in_set(v, accesses)) {
            snprintf(err, errlen, "the access must be read or write, not \"%.64s\"", v);
            return false;
        }
        field = "access";
        break;
    case ARG_PASSWORD:
        if (v[0] == '\0') {
            snprintf(err, errlen, "the password must not be empty");
            return false;
        }
        field = "password";
        break;
    case ARG_NONE:
        return true;
    }
    if (cJSON_AddStringToObject(command, field, v) == NULL) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    return true;
}

struct parsed {
    const char *pos[MAX_POS];
    int npos;
    const char *password; /* from --password, borrowed from argv */
    bool admin;
    const char *visibility;
};

/* Splits argv into positionals and the options cmd accepts; "--" ends the options, so a name
 * that starts with "-" can still be given. */
static enum pt_ctl_build_status parse_args(const struct pt_ctl_cmd *cmd, int argc, char **argv,
                                           struct parsed *p, char *err, size_t errlen)
{
    int max_pos = 0;
    while (max_pos < MAX_POS && cmd->pos[max_pos] != ARG_NONE) {
        max_pos++;
    }
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && strncmp(a, "--", 2) == 0) {
            if (strcmp(a, "--help") == 0) {
                return PT_CTL_BUILD_HELP;
            }
            if ((cmd->opts & OPT_ADMIN) && strcmp(a, "--admin") == 0) {
                p->admin = true;
            } else if ((cmd->opts & OPT_VISIBILITY) && strcmp(a, "--private") == 0) {
                p->visibility = "private";
            } else if ((cmd->opts & OPT_VISIBILITY) && strcmp(a, "--public") == 0) {
                p->visibility = "public";
            } else if ((cmd->opts & OPT_PASSWORD) && strncmp(a, "--password=", 11) == 0) {
                p->password = a + 11;
            } else if ((cmd->opts & OPT_PASSWORD) && strcmp(a, "--password") == 0) {
                if (i + 1 >= argc) {
                    snprintf(err, errlen, "--password needs a value");
                    return PT_CTL_BUILD_USAGE;
                }
                p->password = argv[++i];
            } else {
                snprintf(err, errlen, "unknown option %.64s", a);
                return PT_CTL_BUILD_USAGE;
            }
            continue;
        }
        if (p->npos >= max_pos) {
            snprintf(err, errlen, "unexpected argument \"%.64s\"%s", a,
                     a[0] == '-' ? " (options such as -u go before the command)" : "");
            return PT_CTL_BUILD_USAGE;
        }
        p->pos[p->npos++] = a;
    }
    if (p->npos < cmd->required) {
        snprintf(err, errlen, "missing arguments");
        return PT_CTL_BUILD_USAGE;
    }
    return PT_CTL_BUILD_OK;
}

enum pt_ctl_build_status pt_ctl_cmds_build(const struct pt_ctl_cmd *cmd, int argc, char **argv,
                                           FILE *in, cJSON **command, char *err, size_t errlen)
{
    struct parsed p = {.npos = 0};
    *command = NULL;
    enum pt_ctl_build_status st = parse_args(cmd, argc, argv, &p, err, errlen);
    if (st != PT_CTL_BUILD_OK) {
        return st;
    }
    cJSON *c = cJSON_CreateObject();
    char *read_pw = NULL;
    if (c == NULL || cJSON_AddStringToObject(c, "command", cmd->api) == NULL) {
        snprintf(err, errlen, "out of memory");
        goto usage;
    }
    const char *user = NULL;
    bool have_password = p.password != NULL;
    for (int i = 0; i < p.npos; i++) {
        if (cmd->pos[i] == ARG_PASSWORD) {
            if (have_password) {
                snprintf(err, errlen, "give the password once");
                goto usage;
            }
            have_password = true;
        }
        if (cmd->pos[i] == ARG_USER) {
            user = p.pos[i];
        }
        if (!add_positional(c, cmd->pos[i], p.pos[i], err, errlen)) {
            goto usage;
        }
    }
    /* Names first, so a bad name fails before anything is read from stdin. */
    if ((cmd->opts & OPT_PASSWORD) && !have_password && in != NULL) {
        read_pw = read_password(in, user, err, errlen);
        if (read_pw == NULL) {
            goto usage;
        }
        p.password = read_pw;
    }
    if (p.password != NULL && !add_positional(c, ARG_PASSWORD, p.password, err, errlen)) {
        goto usage;
    }
    if (p.admin && cJSON_AddTrueToObject(c, "admin") == NULL) {
        snprintf(err, errlen, "out of memory");
        goto usage;
    }
    if ((cmd->opts & OPT_VISIBILITY) &&
        cJSON_AddStringToObject(c, "visibility", p.visibility ? p.visibility : "public") == NULL) {
        snprintf(err, errlen, "out of memory");
        goto usage;
    }
    if (read_pw != NULL) {
        memset(read_pw, 0, strlen(read_pw));
        free(read_pw);
    }
    *command = c;
    return PT_CTL_BUILD_OK;
usage:
    if (read_pw != NULL) {
        memset(read_pw, 0, strlen(read_pw));
        free(read_pw);
    }
    cJSON_Delete(c);
    return PT_CTL_BUILD_USAGE;
}

enum pt_ctl_exit pt_ctl_cmds_print(const struct pt_ctl_cmd *cmd, const cJSON *response, bool json,
                                   FILE *out, FILE *errout)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(response, "error");
    if (error != NULL) {
        fprintf(errout, "parleyctl: %s: %s\n", cmd->label,
                cJSON_IsString(error) ? error->valuestring : "(error that is not a string)");
        return PT_CTL_EXIT_REFUSED;
    }
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(response, "data");
    if (cmd->print != NULL && !cJSON_IsObject(data)) {
        fprintf(errout, "parleyctl: %s: the answer carries no data\n", cmd->label);
        return PT_CTL_EXIT_NOANSWER;
    }
    if (data == NULL) {
        return PT_CTL_EXIT_OK; /* nothing to report, as the API says */
    }
    enum pt_ctl_exit st;
    if (json) {
        char *text = cJSON_PrintUnformatted(data);
        if (text == NULL) {
            fprintf(errout, "parleyctl: %s: out of memory\n", cmd->label);
            return PT_CTL_EXIT_NOANSWER;
        }
        fprintf(out, "%s\n", text);
        free(text);
        st = cmd->print == pt_ctl_print_access ? pt_ctl_print_access_status(data) : PT_CTL_EXIT_OK;
    } else if (cmd->print != NULL) {
        st = cmd->print(data, out);
    } else {
        st = PT_CTL_EXIT_OK; /* data we did not expect: nothing to show */
    }
    if (st == PT_CTL_EXIT_NOANSWER) {
        fprintf(errout, "parleyctl: %s: the answer's data is not in the expected form\n",
                cmd->label);
    }
    return st;
}
