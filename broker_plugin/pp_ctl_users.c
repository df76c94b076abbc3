/* Control commands on users: createUser, deleteUser, setPassword, listUsers. */
#include <stdlib.h>
#include <string.h>

#include "pp_ctl.h"
#include "pp_pwhash.h"

static const struct pp_user *find_user(struct pp_ctl_call *c, const char *name)
{
    const struct pp_user *u = pp_index_user_find(c->env->index, name, strlen(name));
    if (u == NULL) {
        pp_ctl_error(c, "no such user \"%s\"", name);
    }
    return u;
}

/* Hashes the "password" field into hash; false (error set) on failure. */
static bool hash_password(struct pp_ctl_call *c, char *hash, size_t len)
{
    const char *pw = pp_ctl_string(c, "password");
    if (pw == NULL) {
        return false;
    }
    if (pp_pwhash_make(pw, hash, len) != 0) {
        pp_ctl_error(c, "could not hash the password");
        return false;
    }
    return true;
}

void pp_ctl_create_user(struct pp_ctl_call *c)
{
    char hash[PP_PWHASH_MAX];
    bool admin;
    if (!pp_ctl_need_admin(c, "createUser")) {
        return;
    }
    const char *name = pp_ctl_name(c, "username");
    if (name == NULL || !pp_ctl_bool_opt(c, "admin", false, &admin)) {
        return;
    }
    if (pp_index_user_find(c->env->index, name, strlen(name)) != NULL) {
        pp_ctl_error(c, "user \"%s\" already exists", name);
        return;
    }
    if (!hash_password(c, hash, sizeof hash)) {
        return;
    }
    pp_ctl_change(
        c, &(struct pp_change){
               .op = PP_CHANGE_USER_PUT, .user = name, .password_hash = hash, .admin = admin});
}

void pp_ctl_delete_user(struct pp_ctl_call *c)
{
    if (!pp_ctl_need_admin(c, "deleteUser")) {
        return;
    }
    const char *name = pp_ctl_name(c, "username");
    if (name == NULL || find_user(c, name) == NULL) {
        return;
    }
    if (pp_ctl_change(c, &(struct pp_change){.op = PP_CHANGE_USER_DEL, .user = name}) &&
        c->env->kick_user != NULL) {
        c->env->kick_user(c->env->kick_ctx, name);
    }
}

void pp_ctl_set_password(struct pp_ctl_call *c)
{
    char hash[PP_PWHASH_MAX];
    const char *name = pp_ctl_name(c, "username");
    if (name == NULL) {
        return;
    }
    if (!c->is_admin && strcmp(name, c->caller) != 0) {
        pp_ctl_error(c, "permission denied: setPassword for another user is for admins");
        return;
    }
    const struct pp_user *u = find_user(c, name);
    if (u == NULL || !hash_password(c, hash, sizeof hash)) {
        return;
    }
    pp_ctl_change(
        c, &(struct pp_change){
               .op = PP_CHANGE_USER_PUT, .user = name, .password_hash = hash, .admin = u->admin});
}

struct user_list {
    const struct pp_user **v;
    size_t n, cap;
};

static int collect(void *ctx, const struct pp_user *u)
{
    struct user_list *l = ctx;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        const struct pp_user **nv = realloc(l->v, ncap * sizeof *nv);
        if (nv == NULL) {
            return 1;
        }
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = u;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const struct pp_user *const *)a)->name,
                  (*(const struct pp_user *const *)b)->name);
}

void pp_ctl_list_users(struct pp_ctl_call *c)
{
    if (!pp_ctl_need_admin(c, "listUsers")) {
        return;
    }
    struct user_list l = {0};
    cJSON *data = NULL;
    if (pp_index_users_each(c->env->index, collect, &l) == 0) {
        if (l.n > 1) {
            qsort(l.v, l.n, sizeof *l.v, by_name);
        }
        data = cJSON_CreateObject();
        cJSON *users = cJSON_AddArrayToObject(data, "users");
        for (size_t i = 0; users != NULL && i < l.n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToArray(users, o);
            if (cJSON_AddStringToObject(o, "username", l.v[i]->name) == NULL ||
                cJSON_AddBoolToObject(o, "admin", l.v[i]->admin) == NULL) {
                cJSON_Delete(data);
                data = NULL;
                break;
            }
        }
    }
    free(l.v);
    pp_ctl_data(c, data); /* NULL: out of memory */
}
