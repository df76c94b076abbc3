/* parleyctl's human-readable output: one printer per kind of "data" the control API answers
 * with (docs/plugin-control.md). Each checks the whole shape before printing a line, so a
 * malformed answer prints nothing on stdout.
 */
#include "pt_ctl_print.h"

#include <stdbool.h>
#include <string.h>

static const char *str_field(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

enum pt_ctl_exit pt_ctl_print_users(const cJSON *data, FILE *out)
{
    const cJSON *users = cJSON_GetObjectItemCaseSensitive(data, "users");
    if (!cJSON_IsArray(users)) {
        return PT_CTL_EXIT_NOANSWER;
    }
    const cJSON *u;
    cJSON_ArrayForEach(u, users)
    {
        if (str_field(u, "username") == NULL) {
            return PT_CTL_EXIT_NOANSWER;
        }
    }
    cJSON_ArrayForEach(u, users)
    {
        bool admin = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "admin"));
        fprintf(out, "%s%s\n", str_field(u, "username"), admin ? " (admin)" : "");
    }
    return PT_CTL_EXIT_OK;
}

enum pt_ctl_exit pt_ctl_print_room(const cJSON *data, FILE *out)
{
    const char *room = str_field(data, "room");
    const char *vis = str_field(data, "visibility");
    const cJSON *members = cJSON_GetObjectItemCaseSensitive(data, "members");
    const cJSON *bans = cJSON_GetObjectItemCaseSensitive(data, "bans");
    if (room == NULL || vis == NULL || !cJSON_IsArray(members) || !cJSON_IsArray(bans)) {
        return PT_CTL_EXIT_NOANSWER;
    }
    const cJSON *b;
    cJSON_ArrayForEach(b, bans)
    {
        if (!cJSON_IsString(b)) {
            return PT_CTL_EXIT_NOANSWER;
        }
    }
    int width = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, members)
    {
        const char *name = str_field(m, "username");
        if (name == NULL || str_field(m, "role") == NULL) {
            return PT_CTL_EXIT_NOANSWER;
        }
        int len = (int)strlen(name);
        width = len > width ? len : width;
    }
    fprintf(out, "room: %s\nvisibility: %s\n", room, vis);
    fprintf(out, "members:%s\n", cJSON_GetArraySize(members) == 0 ? " none" : "");
    cJSON_ArrayForEach(m, members)
    {
        fprintf(out, "  %-*s  %s\n", width, str_field(m, "username"), str_field(m, "role"));
    }
    fprintf(out, "bans:%s\n", cJSON_GetArraySize(bans) == 0 ? " none" : "");
    cJSON_ArrayForEach(b, bans) { fprintf(out, "  %s\n", b->valuestring); }
    return PT_CTL_EXIT_OK;
}

enum pt_ctl_exit pt_ctl_print_rooms(const cJSON *data, FILE *out)
{
    const cJSON *rooms = cJSON_GetObjectItemCaseSensitive(data, "rooms");
    if (!cJSON_IsArray(rooms)) {
        return PT_CTL_EXIT_NOANSWER;
    }
    int width = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, rooms)
    {
        const char *name = str_field(r, "room");
        if (name == NULL || str_field(r, "visibility") == NULL) {
            return PT_CTL_EXIT_NOANSWER;
        }
        int len = (int)strlen(name);
        width = len > width ? len : width;
    }
    cJSON_ArrayForEach(r, rooms)
    {
        const char *role = str_field(r, "role");
        fprintf(out, "%-*s  %-7s  %s\n", width, str_field(r, "room"), str_field(r, "visibility"),
                role != NULL ? role : "-");
    }
    return PT_CTL_EXIT_OK;
}

enum pt_ctl_exit pt_ctl_print_access(const cJSON *data, FILE *out)
{
    const cJSON *allowed = cJSON_GetObjectItemCaseSensitive(data, "allowed");
    if (!cJSON_IsBool(allowed)) {
        return PT_CTL_EXIT_NOANSWER;
    }
    if (cJSON_IsTrue(allowed)) {
        fprintf(out, "allowed\n");
        return PT_CTL_EXIT_OK;
    }
    const char *reason = str_field(data, "reason");
    fprintf(out, "denied: %s\n", reason != NULL ? reason : "(no reason given)");
    return PT_CTL_EXIT_REFUSED;
}

enum pt_ctl_exit pt_ctl_print_access_status(const cJSON *data)
{
    const cJSON *allowed = cJSON_GetObjectItemCaseSensitive(data, "allowed");
    if (!cJSON_IsBool(allowed)) {
        return PT_CTL_EXIT_NOANSWER;
    }
    return cJSON_IsTrue(allowed) ? PT_CTL_EXIT_OK : PT_CTL_EXIT_REFUSED;
}
