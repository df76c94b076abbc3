/* Unit tests for the password-file import (pp_import.c): new and changed lines applied, lines
 * unchanged since the last import leave the control API's changes standing, a bad file changes
 * nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pp_import.h"
#include "pp_pwhash.h"

struct fixture {
    char dir[64];
    char state[128];
    char passwd[128];
    struct pp_index *idx;
    struct pp_store *st;
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    char err[256];
    strcpy(fx->dir, "/tmp/pp_import_XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        return -1;
    }
    snprintf(fx->state, sizeof fx->state, "%s/state.json", fx->dir);
    snprintf(fx->passwd, sizeof fx->passwd, "%s/passwd", fx->dir);
    fx->idx = pp_index_new();
    fx->st = pp_store_open(fx->state, fx->idx, err, sizeof err);
    if (fx->st == NULL) {
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    pp_store_close(fx->st);
    pp_index_free(fx->idx);
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
    assert_int_equal(system(cmd), 0);
    free(fx);
    return 0;
}

static const char *hash_of(struct fixture *fx, const char *user)
{
    const struct pp_user *u = pp_index_user_find(fx->idx, user, strlen(user));
    return u != NULL ? u->password_hash : NULL;
}

static void make_hash(const char *pw, char *out)
{
    assert_int_equal(pp_pwhash_make(pw, out, PP_PWHASH_MAX), 0);
}

static void test_pp_import_applies_new_and_changed_lines_only(void **state)
{
    struct fixture *fx = *state;
    char a[PP_PWHASH_MAX], b[PP_PWHASH_MAX], b2[PP_PWHASH_MAX], mine[PP_PWHASH_MAX];
    char text[1024], err[256];
    make_hash("apw", a);
    make_hash("bpw", b);
    make_hash("bpw2", b2);
    make_hash("mine", mine);
    snprintf(text, sizeof text, "# users\nalice:%s\nbob:%s\n", a, b);
    write_file(fx->passwd, text);
    assert_int_equal(pp_import_password_file(fx->st, fx->idx, fx->passwd, err, sizeof err), 2);
    assert_string_equal(hash_of(fx, "alice"), a);

    /* bob changes his password through the control API; alice is deleted. */
    struct pp_change ch = {.op = PP_CHANGE_USER_PUT, .user = "bob", .password_hash = mine};
    assert_int_equal(pp_store_change(fx->st, fx->idx, &ch, err, sizeof err), 0);
    struct pp_change del = {.op = PP_CHANGE_USER_DEL, .user = "alice"};
    assert_int_equal(pp_store_change(fx->st, fx->idx, &del, err, sizeof err), 0);

    /* The same file again (start, SIGHUP): nothing is undone. */
    assert_int_equal(pp_import_password_file(fx->st, fx->idx, fx->passwd, err, sizeof err), 0);
    assert_string_equal(hash_of(fx, "bob"), mine);
    assert_null(pp_index_user_find(fx->idx, "alice", 5));

    /* bob's line changes in the file: the file wins for him, alice stays deleted. */
    snprintf(text, sizeof text, "alice:%s\nbob:%s\ncarol:%s\n", a, b2, a);
    write_file(fx->passwd, text);
    assert_int_equal(pp_import_password_file(fx->st, fx->idx, fx->passwd, err, sizeof err), 2);
    assert_string_equal(hash_of(fx, "bob"), b2);
    assert_string_equal(hash_of(fx, "carol"), a);
    assert_null(pp_index_user_find(fx->idx, "alice", 5));
}

static void test_pp_import_bad_file_changes_nothing(void **state)
{
    struct fixture *fx = *state;
    char a[PP_PWHASH_MAX], text[512], err[256] = "";
    make_hash("apw", a);
    snprintf(text, sizeof text, "alice:%s\nbad name:%s\n", a, a);
    write_file(fx->passwd, text);
    assert_int_equal(pp_import_password_file(fx->st, fx->idx, fx->passwd, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2"));
    assert_int_equal(pp_index_user_count(fx->idx), 0);
    assert_int_equal(
        pp_import_password_file(fx->st, fx->idx, "/nonexistent/passwd", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/passwd"));
}

static void test_pp_import_survives_a_reopen(void **state)
{
    struct fixture *fx = *state;
    char a[PP_PWHASH_MAX], mine[PP_PWHASH_MAX], text[512], err[256];
    make_hash("apw", a);
    make_hash("mine", mine);
    snprintf(text, sizeof text, "alice:%s\n", a);
    write_file(fx->passwd, text);
    assert_int_equal(pp_import_password_file(fx->st, fx->idx, fx->passwd, err, sizeof err), 1);
    struct pp_change ch = {.op = PP_CHANGE_USER_PUT, .user = "alice", .password_hash = mine};
    assert_int_equal(pp_store_change(fx->st, fx->idx, &ch, err, sizeof err), 0);
    assert_int_equal(pp_store_commit(fx->st, fx->idx, err, sizeof err), 0);
    /* A restart: fresh index and store from disk, then the import a start does. */
    pp_store_close(fx->st);
    pp_index_free(fx->idx);
    fx->idx = pp_index_new();
    fx->st = pp_store_open(fx->state, fx->idx, err, sizeof err);
    assert_non_null(fx->st);
    assert_int_equal(pp_import_password_file(fx->st, fx->idx, fx->passwd, err, sizeof err), 0);
    assert_string_equal(hash_of(fx, "alice"), mine);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pp_import_applies_new_and_changed_lines_only),
        T(test_pp_import_bad_file_changes_nothing),
        T(test_pp_import_survives_a_reopen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
