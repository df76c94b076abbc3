/* Unit tests for broker_plugin/pp_index.c: the tables, their growth, and the room rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pp_index.h"

static int setup(void **state)
{
    *state = pp_index_new();
    return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    pp_index_free(*state);
    return 0;
}

static void access_of(const struct pp_index *idx, const char *room, const char *user,
                      struct pp_access *a)
{
    pp_index_access(idx, room, strlen(room), user, strlen(user), a);
}

static void test_pp_index_user_put_find_update_delete(void **state)
{
    struct pp_index *idx = *state;
    assert_null(pp_index_user_find(idx, "alice", 5));
    assert_int_equal(pp_index_user_put(idx, "alice", "$7$101$abc$def", false), PP_INDEX_OK);
    const struct pp_user *u = pp_index_user_find(idx, "alice", 5);
    assert_non_null(u);
    assert_string_equal(u->name, "alice");
    assert_string_equal(u->password_hash, "$7$101$abc$def");
    assert_false(u->admin);
    /* Update in place: same entry, new hash and flag. */
    assert_int_equal(pp_index_user_put(idx, "alice", NULL, true), PP_INDEX_OK);
    assert_ptr_equal(pp_index_user_find(idx, "alice", 5), u);
    assert_null(u->password_hash);
    assert_true(u->admin);
    assert_int_equal(pp_index_user_count(idx), 1);
    assert_int_equal(pp_index_user_del(idx, "alice"), PP_INDEX_OK);
    assert_null(pp_index_user_find(idx, "alice", 5));
    assert_int_equal(pp_index_user_del(idx, "alice"), PP_INDEX_ENOUSER);
    assert_int_equal(pp_index_user_count(idx), 0);
}

static void test_pp_index_find_takes_unterminated_slices(void **state)
{
    struct pp_index *idx = *state;
    assert_int_equal(pp_index_user_put(idx, "bob", NULL, false), PP_INDEX_OK);
    assert_int_equal(pp_index_room_put(idx, "lobby", PP_ROOM_PUBLIC), PP_INDEX_OK);
    const char topic[] = "rooms/lobby/msg/bobby";
    assert_non_null(pp_index_room_find(idx, topic + 6, 5));
    assert_non_null(pp_index_user_find(idx, topic + 16, 3)); /* "bob" of "bobby" */
    assert_null(pp_index_user_find(idx, topic + 16, 5));     /* "bobby" */
    assert_null(pp_index_room_find(idx, topic + 6, 4));      /* "lobb" */
    assert_null(pp_index_room_find(idx, topic + 6, 0));
    assert_null(pp_index_user_find(idx, topic, 65));
}

static void test_pp_index_rejects_bad_names(void **state)
{
    struct pp_index *idx = *state;
    char longname[PC_NAME_MAX + 2];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(pp_index_user_put(idx, "a/b", NULL, false), PP_INDEX_EINVAL);
    assert_int_equal(pp_index_user_put(idx, "", NULL, false), PP_INDEX_EINVAL);
    assert_int_equal(pp_index_user_put(idx, longname, NULL, false), PP_INDEX_EINVAL);
    assert_int_equal(pp_index_room_put(idx, "+", PP_ROOM_PUBLIC), PP_INDEX_EINVAL);
    assert_int_equal(pp_index_room_put(idx, "ok", (enum pp_visibility)7), PP_INDEX_EINVAL);
    assert_int_equal(pp_index_room_put(idx, "ok", PP_ROOM_PUBLIC), PP_INDEX_OK);
    assert_int_equal(pp_index_member_set(idx, "ok", "x#", PP_ROLE_MEMBER), PP_INDEX_EINVAL);
    assert_int_equal(pp_index_member_set(idx, "ok", "x", (enum pp_role)9), PP_INDEX_EINVAL);
    assert_int_equal(pp_index_user_count(idx), 0);
    assert_int_equal(pp_index_member_count(idx), 0);
}

static void test_pp_index_member_needs_room(void **state)
{
    struct pp_index *idx = *state;
    assert_int_equal(pp_index_member_set(idx, "nope", "alice", PP_ROLE_MEMBER), PP_INDEX_ENOROOM);
    assert_int_equal(pp_index_ban_set(idx, "nope", "alice", true), PP_INDEX_ENOROOM);
    assert_int_equal(pp_index_member_del(idx, "nope", "alice"), PP_INDEX_ENOROOM);
    assert_int_equal(pp_index_member_count(idx), 0);
}

static void test_pp_index_member_role_and_ban_are_independent(void **state)
{
    struct pp_index *idx = *state;
    struct pp_access a;
    assert_int_equal(pp_index_room_put(idx, "r", PP_ROOM_PRIVATE), PP_INDEX_OK);
    assert_int_equal(pp_index_member_set(idx, "r", "u", PP_ROLE_MEMBER), PP_INDEX_OK);
    assert_int_equal(pp_index_ban_set(idx, "r", "u", true), PP_INDEX_OK);
    access_of(idx, "r", "u", &a);
    assert_int_equal(a.role, PP_ROLE_MEMBER);
    assert_true(a.banned);
    assert_int_equal(pp_index_member_count(idx), 1);
    /* Removing the role keeps the ban. */
    assert_int_equal(pp_index_member_del(idx, "r", "u"), PP_INDEX_OK);
    access_of(idx, "r", "u", &a);
    assert_int_equal(a.role, PP_ROLE_NONE);
    assert_true(a.banned);
    assert_int_equal(pp_index_member_del(idx, "r", "u"), PP_INDEX_ENOENT);
    /* Clearing the ban of a non-member drops the entry. */
    assert_int_equal(pp_index_ban_set(idx, "r", "u", false), PP_INDEX_OK);
    assert_int_equal(pp_index_member_count(idx), 0);
    assert_int_equal(pp_index_room_member_count(idx, "r"), 0);
    /* A ban of someone never a member, then unbanned. */
    assert_int_equal(pp_index_ban_set(idx, "r", "v", true), PP_INDEX_OK);
    assert_int_equal(pp_index_member_count(idx), 1);
    assert_int_equal(pp_index_ban_set(idx, "r", "v", false), PP_INDEX_OK);
    assert_int_equal(pp_index_member_count(idx), 0);
    /* member_set NONE on nothing is fine; unban of nothing is fine. */
    assert_int_equal(pp_index_member_set(idx, "r", "w", PP_ROLE_NONE), PP_INDEX_OK);
    assert_int_equal(pp_index_ban_set(idx, "r", "w", false), PP_INDEX_OK);
    assert_int_equal(pp_index_member_count(idx), 0);
}

static void test_pp_index_room_del_drops_memberships(void **state)
{
    struct pp_index *idx = *state;
    struct pp_access a;
    assert_int_equal(pp_index_room_put(idx, "a", PP_ROOM_PUBLIC), PP_INDEX_OK);
    assert_int_equal(pp_index_room_put(idx, "b", PP_ROOM_PUBLIC), PP_INDEX_OK);
    for (int i = 0; i < 50; i++) {
        char u[16];
        snprintf(u, sizeof u, "u%d", i);
        assert_int_equal(pp_index_member_set(idx, "a", u, PP_ROLE_MEMBER), PP_INDEX_OK);
        assert_int_equal(pp_index_member_set(idx, "b", u, PP_ROLE_READER), PP_INDEX_OK);
    }
    assert_int_equal(pp_index_ban_set(idx, "a", "x", true), PP_INDEX_OK);
    assert_int_equal(pp_index_member_count(idx), 101);
    assert_int_equal(pp_index_room_del(idx, "a"), PP_INDEX_OK);
    assert_int_equal(pp_index_room_del(idx, "a"), PP_INDEX_ENOROOM);
    assert_int_equal(pp_index_member_count(idx), 50);
    access_of(idx, "a", "u1", &a);
    assert_null(a.room);
    access_of(idx, "b", "u1", &a);
    assert_int_equal(a.role, PP_ROLE_READER);
    /* Re-creating the room does not bring old members back. */
    assert_int_equal(pp_index_room_put(idx, "a", PP_ROOM_PRIVATE), PP_INDEX_OK);
    access_of(idx, "a", "u1", &a);
    assert_non_null(a.room);
    assert_int_equal(a.role, PP_ROLE_NONE);
    assert_false(a.banned);
}

static void test_pp_index_user_del_drops_memberships_and_bans(void **state)
{
    struct pp_index *idx = *state;
    struct pp_access a;
    assert_int_equal(pp_index_user_put(idx, "eve", NULL, false), PP_INDEX_OK);
    assert_int_equal(pp_index_user_put(idx, "ann", NULL, false), PP_INDEX_OK);
    for (int i = 0; i < 30; i++) {
        char r[16];
        snprintf(r, sizeof r, "room%d", i);
        assert_int_equal(pp_index_room_put(idx, r, PP_ROOM_PRIVATE), PP_INDEX_OK);
        assert_int_equal(pp_index_member_set(idx, r, "eve", PP_ROLE_OWNER), PP_INDEX_OK);
        assert_int_equal(pp_index_member_set(idx, r, "ann", PP_ROLE_MEMBER), PP_INDEX_OK);
    }
    assert_int_equal(pp_index_ban_set(idx, "room3", "eve", true), PP_INDEX_OK);
    assert_int_equal(pp_index_member_count(idx), 60);
    assert_int_equal(pp_index_user_del(idx, "eve"), PP_INDEX_OK);
    assert_int_equal(pp_index_member_count(idx), 30);
    access_of(idx, "room3", "eve", &a);
    assert_int_equal(a.role, PP_ROLE_NONE);
    assert_false(a.banned);
    access_of(idx, "room3", "ann", &a);
    assert_int_equal(a.role, PP_ROLE_MEMBER);
    assert_int_equal(pp_index_room_member_count(idx, "room3"), 1);
}

static void test_pp_index_members_without_account(void **state)
{
    struct pp_index *idx = *state;
    struct pp_access a;
    char r[16];
    for (int i = 0; i < 3; i++) {
        snprintf(r, sizeof r, "r%d", i);
        assert_int_equal(pp_index_room_put(idx, r, PP_ROOM_PRIVATE), PP_INDEX_OK);
        assert_int_equal(pp_index_member_set(idx, r, "ghost", PP_ROLE_MEMBER), PP_INDEX_OK);
    }
    assert_int_equal(pp_index_ban_set(idx, "r1", "ghost", true), PP_INDEX_OK);
    /* No account: user_del says so and leaves the memberships alone. */
    assert_int_equal(pp_index_user_del(idx, "ghost"), PP_INDEX_ENOUSER);
    assert_int_equal(pp_index_member_count(idx), 3);
    /* Emptying the name and filling it again (its entry is freed and made anew). */
    assert_int_equal(pp_index_member_del(idx, "r0", "ghost"), PP_INDEX_OK);
    assert_int_equal(pp_index_member_del(idx, "r2", "ghost"), PP_INDEX_OK);
    assert_int_equal(pp_index_member_del(idx, "r1", "ghost"), PP_INDEX_OK);
    assert_int_equal(pp_index_ban_set(idx, "r1", "ghost", false), PP_INDEX_OK);
    assert_int_equal(pp_index_member_count(idx), 0);
    assert_int_equal(pp_index_member_set(idx, "r2", "ghost", PP_ROLE_READER), PP_INDEX_OK);
    pp_index_access(idx, "r2", 2, "ghost", 5, &a);
    assert_int_equal(a.role, PP_ROLE_READER);
    /* An account made later covers the memberships made before it. */
    assert_int_equal(pp_index_user_put(idx, "ghost", NULL, false), PP_INDEX_OK);
    assert_int_equal(pp_index_user_del(idx, "ghost"), PP_INDEX_OK);
    assert_int_equal(pp_index_member_count(idx), 0);
    /* A user with no memberships deletes cleanly. */
    assert_int_equal(pp_index_user_put(idx, "plain", NULL, false), PP_INDEX_OK);
    assert_int_equal(pp_index_user_del(idx, "plain"), PP_INDEX_OK);
}

struct count_ctx {
    int users, rooms, members, banned;
};

static int count_user(void *ctx, const struct pp_user *u)
{
    (void)u;
    ((struct count_ctx *)ctx)->users++;
    return 0;
}

static int count_room(void *ctx, const struct pp_room *r)
{
    (void)r;
    ((struct count_ctx *)ctx)->rooms++;
    return 0;
}

static int count_member(void *ctx, const struct pp_room *r, const char *user, enum pp_role role,
                        bool banned)
{
    (void)r;
    (void)user;
    (void)role;
    ((struct count_ctx *)ctx)->members++;
    ((struct count_ctx *)ctx)->banned += banned;
    return 0;
}

static int stop_at_first(void *ctx, const struct pp_room *r)
{
    (void)ctx;
    (void)r;
    return 42;
}

static void test_pp_index_iteration_visits_each_once(void **state)
{
    struct pp_index *idx = *state;
    struct count_ctx c = {0};
    for (int i = 0; i < 100; i++) {
        char n[16];
        snprintf(n, sizeof n, "n%d", i);
        assert_int_equal(pp_index_user_put(idx, n, NULL, false), PP_INDEX_OK);
        assert_int_equal(pp_index_room_put(idx, n, PP_ROOM_PUBLIC), PP_INDEX_OK);
        assert_int_equal(pp_index_member_set(idx, "n0", n, PP_ROLE_MEMBER), PP_INDEX_OK);
    }
    assert_int_equal(pp_index_ban_set(idx, "n0", "n5", true), PP_INDEX_OK);
    assert_int_equal(pp_index_ban_set(idx, "n0", "zz", true), PP_INDEX_OK);
    assert_int_equal(pp_index_users_each(idx, count_user, &c), 0);
    assert_int_equal(pp_index_rooms_each(idx, count_room, &c), 0);
    assert_int_equal(pp_index_members_each(idx, "n0", count_member, &c), 0);
    assert_int_equal(pp_index_members_each(idx, "none", count_member, &c), PP_INDEX_ENOROOM);
    assert_int_equal(c.users, 100);
    assert_int_equal(c.rooms, 100);
    assert_int_equal(c.members, 101);
    assert_int_equal(c.banned, 2);
    assert_int_equal(pp_index_rooms_each(idx, stop_at_first, NULL), 42);
}

/* Every role x ban x visibility combination, read and write, through the one rule. */
static void test_pp_index_access_rule_matrix(void **state)
{
    struct pp_index *idx = *state;
    static const enum pp_role roles[] = {PP_ROLE_NONE, PP_ROLE_READER, PP_ROLE_MEMBER,
                                         PP_ROLE_OWNER};
    const char *reason = NULL;
    for (int vis = 0; vis < 2; vis++) {
        for (size_t ri = 0; ri < 4; ri++) {
            for (int ban = 0; ban < 2; ban++) {
                struct pp_access a;
                assert_int_equal(pp_index_room_put(idx, "r", (enum pp_visibility)vis), 0);
                assert_int_equal(pp_index_member_set(idx, "r", "u", roles[ri]), 0);
                assert_int_equal(pp_index_ban_set(idx, "r", "u", ban != 0), 0);
                access_of(idx, "r", "u", &a);
                assert_non_null(a.room);
                assert_int_equal(a.room->visibility, vis);
                assert_int_equal(a.role, roles[ri]);
                assert_int_equal(a.banned, ban != 0);
                bool member = roles[ri] != PP_ROLE_NONE;
                bool may_read = !ban && (vis == PP_ROOM_PUBLIC || member);
                bool may_write = may_read && roles[ri] != PP_ROLE_READER;
                assert_int_equal(pp_access_allows(&a, PP_OP_READ, &reason), may_read);
                assert_non_null(reason);
                assert_int_equal(pp_access_allows(&a, PP_OP_WRITE, &reason), may_write);
                if (ban) {
                    assert_string_equal(reason, "banned from the room");
                }
                assert_int_equal(pp_index_room_del(idx, "r"), 0);
            }
        }
    }
    struct pp_access none;
    access_of(idx, "r", "u", &none);
    assert_null(none.room);
    assert_false(pp_access_allows(&none, PP_OP_READ, &reason));
    assert_string_equal(reason, "no such room");
    assert_int_equal(pp_index_member_count(idx), 0);
}

/* Many inserts and deletes through growth: every entry stays findable, deleted ones vanish. */
static void test_pp_index_grow_and_delete_keep_probes_whole(void **state)
{
    struct pp_index *idx = *state;
    char n[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(n, sizeof n, "user%d", i);
        assert_int_equal(pp_index_user_put(idx, n, "$7$x", i % 7 == 0), PP_INDEX_OK);
    }
    for (int i = 0; i < 5000; i += 3) {
        snprintf(n, sizeof n, "user%d", i);
        assert_int_equal(pp_index_user_del(idx, n), PP_INDEX_OK);
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(n, sizeof n, "user%d", i);
        const struct pp_user *u = pp_index_user_find(idx, n, strlen(n));
        if (i % 3 == 0) {
            assert_null(u);
        } else {
            assert_non_null(u);
            assert_string_equal(u->name, n);
            assert_int_equal(u->admin, i % 7 == 0);
        }
    }
    assert_int_equal(pp_index_user_count(idx), 5000 - 1667);
}

/* The sizes the plugin must hold: 20,000 users, 10,000 rooms, 100,000 memberships. */
static void test_pp_index_holds_100k_memberships(void **state)
{
    struct pp_index *idx = *state;
    char u[32], r[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(u, sizeof u, "user%05d", i);
        assert_int_equal(pp_index_user_put(idx, u, "$7$101$c2FsdHNhbHRzYWx0$aGFzaA==", false), 0);
    }
    for (int i = 0; i < 10000; i++) {
        snprintf(r, sizeof r, "room%05d", i);
        assert_int_equal(pp_index_room_put(idx, r, i % 2 ? PP_ROOM_PRIVATE : PP_ROOM_PUBLIC), 0);
    }
    for (int i = 0; i < 100000; i++) {
        snprintf(r, sizeof r, "room%05d", i % 10000);
        snprintf(u, sizeof u, "user%05d", (i % 10000 + (i / 10000) * 1999) % 20000);
        assert_int_equal(pp_index_member_set(idx, r, u, (enum pp_role)(1 + i % 3)), 0);
    }
    assert_int_equal(pp_index_user_count(idx), 20000);
    assert_int_equal(pp_index_room_count(idx), 10000);
    assert_int_equal(pp_index_member_count(idx), 100000);
    for (int i = 0; i < 100000; i += 997) {
        struct pp_access a;
        snprintf(r, sizeof r, "room%05d", i % 10000);
        snprintf(u, sizeof u, "user%05d", (i % 10000 + (i / 10000) * 1999) % 20000);
        access_of(idx, r, u, &a);
        assert_non_null(a.room);
        assert_int_equal(a.role, 1 + i % 3);
    }
    print_message("index with 20k users, 10k rooms, 100k memberships: %zu bytes\n",
                  pp_index_memory(idx));
}

static void test_pp_index_names_round_trip(void **state)
{
    (void)state;
    enum pp_role role;
    enum pp_visibility vis;
    assert_true(pp_role_parse("owner", &role));
    assert_int_equal(role, PP_ROLE_OWNER);
    assert_true(pp_role_parse("reader", &role));
    assert_string_equal(pp_role_name(role), "reader");
    assert_false(pp_role_parse("none", &role));
    assert_false(pp_role_parse("Owner", &role));
    assert_false(pp_role_parse(NULL, &role));
    assert_true(pp_visibility_parse("private", &vis));
    assert_string_equal(pp_visibility_name(vis), "private");
    assert_false(pp_visibility_parse("secret", &vis));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pp_index_user_put_find_update_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_index_find_takes_unterminated_slices, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pp_index_rejects_bad_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_index_member_needs_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_index_member_role_and_ban_are_independent, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pp_index_room_del_drops_memberships, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_index_user_del_drops_memberships_and_bans, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pp_index_members_without_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_index_iteration_visits_each_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_index_access_rule_matrix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_index_grow_and_delete_keep_probes_whole, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pp_index_holds_100k_memberships, setup, teardown),
        cmocka_unit_test(test_pp_index_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
