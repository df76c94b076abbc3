/* Unit tests for the plugin's access decisions (pp_acl.c) and the option parser (pp_opts.c):
 * every row of DESIGN.md's namespace table, for plain users, readers, banned users, admins and
 * bridge accounts; the payload bound at 512/513; the rate bucket; bad option values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pp_acl.h"
#include "pp_opts.h"

struct fixture {
    struct pp_index *idx;
    struct pp_opts opts;
    struct pp_rate *rate;
    struct pp_acl_cache cache;
    struct pp_acl acl;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    struct pp_opt_kv kv[] = {{"state_file", "/nonexistent/state.json"},
                             {"admins", "root, ops"},
                             {"bridge_users", "bridge"},
                             {"rate", "1"},
                             {"burst", "3"}};
    char err[256];
    if (fx == NULL || pp_opts_parse(&fx->opts, kv, 5, err, sizeof err) != 0) {
        return -1;
    }
    fx->idx = pp_index_new();
    fx->rate = pp_rate_new(fx->opts.rate, fx->opts.burst);
    if (fx->idx == NULL || fx->rate == NULL) {
        return -1;
    }
    /* lobby public (eve banned); den private: alice owner, bob member, carol reader. */
    int rc = pp_index_room_put(fx->idx, "lobby", PP_ROOM_PUBLIC) |
             pp_index_room_put(fx->idx, "den", PP_ROOM_PRIVATE) |
             pp_index_member_set(fx->idx, "den", "alice", PP_ROLE_OWNER) |
             pp_index_member_set(fx->idx, "den", "bob", PP_ROLE_MEMBER) |
             pp_index_member_set(fx->idx, "den", "carol", PP_ROLE_READER) |
             pp_index_ban_set(fx->idx, "lobby", "eve", true) |
             pp_index_user_put(fx->idx, "boss", NULL, true);
    if (rc != 0) {
        return -1;
    }
    /* Every test runs through the delivery cache, as the plugin does. */
    fx->acl =
        (struct pp_acl){.index = fx->idx, .opts = &fx->opts, .rate = fx->rate, .cache = &fx->cache};
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    pp_rate_free(fx->rate);
    pp_index_free(fx->idx);
    pp_opts_free(&fx->opts);
    free(fx);
    return 0;
}

static uint64_t clock_ns = 1000000000u;

static enum pp_acl_verdict check(void **state, enum pp_acl_access access, const char *user,
                                 const char *topic, uint32_t len)
{
    struct fixture *fx = *state;
    struct pp_acl_req req = {
        .access = access, .username = user, .topic = topic, .payloadlen = len, .now_ns = clock_ns};
    struct pc_topic t;
    const char *reason;
    enum pp_acl_verdict v = pp_acl_check(&fx->acl, &req, &t, &reason);
    assert_non_null(reason);
    return v;
}

#define ALLOW(...) assert_int_equal(check(state, __VA_ARGS__), PP_ACL_ALLOW)
#define DENY(...) assert_int_equal(check(state, __VA_ARGS__), PP_ACL_DENY)

static void test_pp_acl_public_room_anyone_reads_and_posts_as_self(void **state)
{
    ALLOW(PP_ACL_SUBSCRIBE, "zed", "rooms/lobby/msg/+", 0);
    ALLOW(PP_ACL_READ, "zed", "rooms/lobby/msg/alice", 10);
    ALLOW(PP_ACL_WRITE, "zed", "rooms/lobby/msg/zed", 10);
    ALLOW(PP_ACL_WRITE, "zed", "rooms/lobby/typing/zed", 0);
    ALLOW(PP_ACL_SUBSCRIBE, "zed", "rooms/lobby/presence/+", 0);
    ALLOW(PP_ACL_SUBSCRIBE, "zed", "rooms/lobby/#", 0);
}

static void test_pp_acl_nobody_posts_as_someone_else(void **state)
{
    DENY(PP_ACL_WRITE, "zed", "rooms/lobby/msg/alice", 10);
    DENY(PP_ACL_WRITE, "zed", "rooms/lobby/typing/alice", 0);
    DENY(PP_ACL_WRITE, "root", "rooms/lobby/msg/alice", 10); /* not even an admin */
    DENY(PP_ACL_WRITE, "zed", "users/bob/inbox/alice", 10);
    DENY(PP_ACL_WRITE, "alice", "rooms/lobby/msg/+", 10);
}

static void test_pp_acl_bridge_posts_for_users_under_their_rules(void **state)
{
    ALLOW(PP_ACL_WRITE, "bridge", "rooms/lobby/msg/alice", 10);
    ALLOW(PP_ACL_WRITE, "bridge", "rooms/den/msg/bob", 10);
    DENY(PP_ACL_WRITE, "bridge", "rooms/den/msg/carol", 10); /* reader */
    DENY(PP_ACL_WRITE, "bridge", "rooms/den/msg/zed", 10);   /* not a member */
    DENY(PP_ACL_WRITE, "bridge", "rooms/lobby/msg/eve", 10); /* banned */
    ALLOW(PP_ACL_WRITE, "bridge", "users/bob/inbox/alice", 10);
}

static void test_pp_acl_private_room_members_only(void **state)
{
    ALLOW(PP_ACL_SUBSCRIBE, "bob", "rooms/den/msg/+", 0);
    ALLOW(PP_ACL_WRITE, "bob", "rooms/den/msg/bob", 5);
    DENY(PP_ACL_SUBSCRIBE, "zed", "rooms/den/msg/+", 0);
    DENY(PP_ACL_READ, "zed", "rooms/den/msg/bob", 5);
    DENY(PP_ACL_WRITE, "zed", "rooms/den/msg/zed", 5);
    DENY(PP_ACL_SUBSCRIBE, "zed", "rooms/den/presence/+", 0);
}

static void test_pp_acl_reader_reads_but_does_not_post(void **state)
{
    ALLOW(PP_ACL_SUBSCRIBE, "carol", "rooms/den/msg/+", 0);
    ALLOW(PP_ACL_READ, "carol", "rooms/den/msg/bob", 5);
    DENY(PP_ACL_WRITE, "carol", "rooms/den/msg/carol", 5);
    DENY(PP_ACL_WRITE, "carol", "rooms/den/typing/carol", 0);
}

static void test_pp_acl_banned_user_does_nothing(void **state)
{
    DENY(PP_ACL_SUBSCRIBE, "eve", "rooms/lobby/msg/+", 0);
    DENY(PP_ACL_READ, "eve", "rooms/lobby/msg/bob", 5);
    DENY(PP_ACL_WRITE, "eve", "rooms/lobby/msg/eve", 5);
}

static void test_pp_acl_no_such_room_denied(void **state)
{
    DENY(PP_ACL_SUBSCRIBE, "alice", "rooms/nope/msg/+", 0);
    DENY(PP_ACL_WRITE, "alice", "rooms/nope/msg/alice", 5);
    DENY(PP_ACL_WRITE, "root", "rooms/nope/msg/root", 5);
}

static void test_pp_acl_wildcards_across_rooms_only_for_privileged(void **state)
{
    const char *filters[] = {"#",         "+/lobby/msg/+",  "rooms/#", "rooms/+/msg/+",
                             "rooms/+/#", "users/+/inbox/+"};
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        DENY(PP_ACL_SUBSCRIBE, "alice", filters[i], 0);
        ALLOW(PP_ACL_SUBSCRIBE, "bridge", filters[i], 0);
        ALLOW(PP_ACL_SUBSCRIBE, "root", filters[i], 0);
        ALLOW(PP_ACL_SUBSCRIBE, "boss", filters[i], 0); /* stored admin flag */
    }
    ALLOW(PP_ACL_READ, "bridge", "rooms/den/msg/bob", 5);
    ALLOW(PP_ACL_READ, "ops", "rooms/den/msg/bob", 5);
}

static void test_pp_acl_presence_is_written_by_the_broker_only(void **state)
{
    DENY(PP_ACL_WRITE, "alice", "rooms/lobby/presence/alice", 6);
    DENY(PP_ACL_WRITE, "bridge", "rooms/lobby/presence/alice", 6);
    ALLOW(PP_ACL_READ, "alice", "rooms/lobby/presence/bob", 6);
}

static void test_pp_acl_inbox_owner_only(void **state)
{
    ALLOW(PP_ACL_SUBSCRIBE, "bob", "users/bob/inbox/+", 0);
    ALLOW(PP_ACL_SUBSCRIBE, "bob", "users/bob/#", 0);
    ALLOW(PP_ACL_READ, "bob", "users/bob/inbox/alice", 5);
    DENY(PP_ACL_SUBSCRIBE, "alice", "users/bob/inbox/+", 0);
    DENY(PP_ACL_READ, "alice", "users/bob/inbox/zed", 5);
    ALLOW(PP_ACL_WRITE, "alice", "users/bob/inbox/alice", 5);
}

static void test_pp_acl_payload_bound_512_passes_513_refused(void **state)
{
    ALLOW(PP_ACL_WRITE, "alice", "rooms/lobby/msg/alice", 512);
    assert_int_equal(check(state, PP_ACL_WRITE, "bob", "rooms/lobby/msg/bob", 513),
                     PP_ACL_TOO_LARGE);
    assert_int_equal(check(state, PP_ACL_WRITE, "bob", "users/alice/inbox/bob", 513),
                     PP_ACL_TOO_LARGE);
    assert_int_equal(check(state, PP_ACL_WRITE, "bob", "rooms/lobby/typing/bob", 65),
                     PP_ACL_TOO_LARGE);
}

static void test_pp_acl_rate_burst_then_refill(void **state)
{
    clock_ns += 10000000000u; /* a fresh bucket of 3 at 1/s */
    for (int i = 0; i < 3; i++) {
        ALLOW(PP_ACL_WRITE, "rita", "rooms/lobby/msg/rita", 5);
    }
    assert_int_equal(check(state, PP_ACL_WRITE, "rita", "rooms/lobby/msg/rita", 5), PP_ACL_RATE);
    /* Direct messages spend the same bucket; typing does not. */
    assert_int_equal(check(state, PP_ACL_WRITE, "rita", "users/bob/inbox/rita", 5), PP_ACL_RATE);
    ALLOW(PP_ACL_WRITE, "rita", "rooms/lobby/typing/rita", 0);
    /* Refused messages take no token: one second later exactly one more goes. */
    clock_ns += 1000000000u;
    ALLOW(PP_ACL_WRITE, "rita", "rooms/lobby/msg/rita", 5);
    assert_int_equal(check(state, PP_ACL_WRITE, "rita", "rooms/lobby/msg/rita", 5), PP_ACL_RATE);
    /* Another sender has a bucket of their own; an oversize message takes no token. */
    assert_int_equal(check(state, PP_ACL_WRITE, "sam", "rooms/lobby/msg/sam", 600),
                     PP_ACL_TOO_LARGE);
    for (int i = 0; i < 3; i++) {
        ALLOW(PP_ACL_WRITE, "sam", "rooms/lobby/msg/sam", 5);
    }
}

static void test_pp_acl_retained_room_messages_refused(void **state)
{
    struct fixture *fx = *state;
    struct pp_acl_req req = {.access = PP_ACL_WRITE,
                             .username = "alice",
                             .topic = "rooms/lobby/msg/alice",
                             .payloadlen = 3,
                             .retain = true,
                             .now_ns = clock_ns};
    struct pc_topic t;
    const char *reason;
    assert_int_equal(pp_acl_check(&fx->acl, &req, &t, &reason), PP_ACL_DENY);
    assert_string_equal(reason, "retained messages are not allowed in rooms");
}

static void test_pp_acl_control_topics(void **state)
{
    ALLOW(PP_ACL_WRITE, "zed", "$CONTROL/parley/v1", 40);
    DENY(PP_ACL_SUBSCRIBE, "zed", "$CONTROL/parley/v1", 0);
    ALLOW(PP_ACL_SUBSCRIBE, "zed", "$CONTROL/parley/v1/response", 0);
    DENY(PP_ACL_WRITE, "zed", "$CONTROL/parley/v1/response", 4);
}

static void test_pp_acl_outside_namespace_and_malformed_denied(void **state)
{
    DENY(PP_ACL_WRITE, "alice", "sensors/temp", 3);
    DENY(PP_ACL_SUBSCRIBE, "alice", "$SYS/#", 0);
    DENY(PP_ACL_WRITE, "alice", "rooms/lob by/msg/alice", 3);
    DENY(PP_ACL_WRITE, "alice", "rooms/lobby/msg/alice/extra", 3);
    DENY(PP_ACL_WRITE, "alice", "rooms/lobby/shout/alice", 3);
    DENY(PP_ACL_WRITE, "alice", "rooms//msg/alice", 3);
    DENY(PP_ACL_SUBSCRIBE, "alice", "rooms/\xff\xfe/msg/+", 0);
    char longroom[128] = "rooms/";
    memset(longroom + 6, 'a', 65);
    strcpy(longroom + 71, "/msg/alice");
    DENY(PP_ACL_WRITE, "alice", longroom, 3);
    DENY(PP_ACL_WRITE, NULL, "rooms/lobby/msg/alice", 3);
    /* A certificate identity outside the name rule reaches the ACL unchecked: nothing for it. */
    DENY(PP_ACL_SUBSCRIBE, "al ice", "rooms/lobby/msg/+", 0);
    DENY(PP_ACL_READ, "al ice", "rooms/lobby/msg/bob", 3);
    DENY(PP_ACL_SUBSCRIBE, "al ice", "$CONTROL/parley/v1/response", 0);
    DENY(PP_ACL_WRITE, "al ice", "$CONTROL/parley/v1", 10);
    DENY(PP_ACL_SUBSCRIBE, "", "rooms/lobby/msg/+", 0);
}

static void test_pp_acl_delivery_cache_follows_the_topic(void **state)
{
    struct fixture *fx = *state;
    /* An empty cache holds no topic: "" is parsed (invalid), not answered from it. */
    struct pp_acl_req req = {.access = PP_ACL_READ, .username = "zed", .topic = ""};
    struct pc_topic t;
    const char *reason;
    assert_int_equal(pp_acl_check(&fx->acl, &req, &t, &reason), PP_ACL_DENY);
    assert_int_equal(t.kind, PC_TOPIC_INVALID);
    /* The same topic for several subscribers, then another, then back: each answer is the one
     * a fresh parse gives. */
    ALLOW(PP_ACL_READ, "bob", "rooms/den/msg/alice", 5);
    DENY(PP_ACL_READ, "zed", "rooms/den/msg/alice", 5);
    ALLOW(PP_ACL_READ, "carol", "rooms/den/msg/alice", 5);
    ALLOW(PP_ACL_READ, "zed", "rooms/lobby/msg/alice", 5);
    DENY(PP_ACL_READ, "eve", "rooms/lobby/msg/alice", 5);
    DENY(PP_ACL_READ, "zed", "rooms/den/msg/alice", 5);
    /* A prefix of the cached topic, and one too long to cache, are parsed afresh. */
    DENY(PP_ACL_READ, "zed", "rooms/den/msg", 5);
    char longtopic[PP_ACL_CACHE_TOPIC + 16] = "rooms/lobby/msg/";
    memset(longtopic + 16, 'a', sizeof longtopic - 17);
    DENY(PP_ACL_READ, "zed", longtopic, 5); /* the sender level is over 64 characters */
    ALLOW(PP_ACL_READ, "zed", "rooms/lobby/msg/alice", 5);
    assert_string_equal(fx->cache.topic, "rooms/lobby/msg/alice");
    /* Without a cache the answers are the same. */
    fx->acl.cache = NULL;
    DENY(PP_ACL_READ, "zed", "rooms/den/msg/alice", 5);
    ALLOW(PP_ACL_READ, "zed", "rooms/lobby/msg/alice", 5);
}

static void test_pp_rate_table_drops_full_buckets_past_the_cap(void **state)
{
    (void)state;
    struct pp_rate *r = pp_rate_new(1, 2);
    char name[16];
    for (int i = 0; i < PP_RATE_MAX_BUCKETS; i++) {
        int n = snprintf(name, sizeof name, "u%d", i);
        assert_true(pp_rate_take(r, name, (size_t)n, 0));
    }
    assert_int_equal(pp_rate_buckets(r), PP_RATE_MAX_BUCKETS);
    assert_true(pp_rate_take(r, "u7", 2, 0)); /* u7 now empty: it must survive the sweep */
    assert_false(pp_rate_take(r, "u7", 2, 0));
    /* 1.5 s later everyone else is full again (1 token used of 2, 1/s), u7 is not. */
    assert_true(pp_rate_take(r, "newcomer", 8, 1500000000u));
    assert_int_equal(pp_rate_buckets(r), 2);
    assert_false(pp_rate_take(r, "u7", 2, 1500000000u) && pp_rate_take(r, "u7", 2, 1500000000u));
    pp_rate_free(r);
}

/* ---- options ----------------------------------------------------------------------------- */

static void expect_opts_error(const char *key, const char *value, const char *needle)
{
    struct pp_opt_kv kv[] = {{"state_file", "/tmp/s.json"}, {key, value}};
    struct pp_opts o;
    char err[256] = "";
    assert_int_equal(pp_opts_parse(&o, kv, 2, err, sizeof err), -1);
    if (strstr(err, needle) == NULL) {
        fail_msg("error for %s=%s: \"%s\" lacks \"%s\"", key, value, err, needle);
    }
}

static void test_pp_opts_defaults(void **state)
{
    (void)state;
    struct pp_opt_kv kv[] = {{"state_file", "/tmp/s.json"}};
    struct pp_opts o;
    char err[256];
    assert_int_equal(pp_opts_parse(&o, kv, 1, err, sizeof err), 0);
    assert_int_equal(o.max_payload, 512);
    assert_true(o.rate == 10.0);
    assert_int_equal(o.burst, 20);
    assert_true(o.allow_room_create);
    assert_int_equal(o.auth_fail_limit, 5);
    assert_int_equal(o.auth_fail_window, 60);
    assert_null(o.password_file);
    assert_int_equal(o.admins.count, 0);
    pp_opts_free(&o);
}

static void test_pp_opts_bad_values_name_the_option(void **state)
{
    (void)state;
    expect_opts_error("max_payload", "0", "plugin_opt_max_payload");
    expect_opts_error("max_payload", "512k", "plugin_opt_max_payload");
    expect_opts_error("max_payload", "-1", "whole number");
    expect_opts_error("rate", "fast", "plugin_opt_rate");
    expect_opts_error("rate", "-2", "plugin_opt_rate");
    expect_opts_error("burst", "0", "plugin_opt_burst");
    expect_opts_error("allow_room_create", "yes", "plugin_opt_allow_room_create: must be true");
    expect_opts_error("admins", "ok,bad/name", "plugin_opt_admins");
    expect_opts_error("auth_fail_window", "0", "plugin_opt_auth_fail_window");
    expect_opts_error("max_paylod", "10", "plugin_opt_max_paylod: unknown option");
    expect_opts_error("jwt_secret_file", "", "plugin_opt_jwt_secret_file");
    struct pp_opt_kv none[] = {{"max_payload", "10"}};
    struct pp_opts o;
    char err[256];
    assert_int_equal(pp_opts_parse(&o, none, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "plugin_opt_state_file: required"));
    struct pp_opt_kv both[] = {
        {"state_file", "s"}, {"jwt_secret_file", "a"}, {"jwt_public_key_file", "b"}};
    assert_int_equal(pp_opts_parse(&o, both, 3, err, sizeof err), -1);
    assert_non_null(strstr(err, "not both"));
}

static void test_pp_opts_name_lists(void **state)
{
    (void)state;
    struct pp_opt_kv kv[] = {{"state_file", "s"}, {"admins", " a1 ,b.2,,c-3 "}};
    struct pp_opts o;
    char err[256];
    assert_int_equal(pp_opts_parse(&o, kv, 2, err, sizeof err), 0);
    assert_int_equal(o.admins.count, 3);
    assert_true(pp_namelist_has(&o.admins, "b.2", 3));
    assert_true(pp_namelist_has(&o.admins, "c-3xyz", 3));
    assert_false(pp_namelist_has(&o.admins, "a", 1));
    assert_false(pp_namelist_has(&o.admins, "a1x", 3));
    pp_opts_free(&o);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pp_acl_public_room_anyone_reads_and_posts_as_self),
        T(test_pp_acl_nobody_posts_as_someone_else),
        T(test_pp_acl_bridge_posts_for_users_under_their_rules),
        T(test_pp_acl_private_room_members_only),
        T(test_pp_acl_reader_reads_but_does_not_post),
        T(test_pp_acl_banned_user_does_nothing),
        T(test_pp_acl_no_such_room_denied),
        T(test_pp_acl_wildcards_across_rooms_only_for_privileged),
        T(test_pp_acl_presence_is_written_by_the_broker_only),
        T(test_pp_acl_inbox_owner_only),
        T(test_pp_acl_payload_bound_512_passes_513_refused),
        T(test_pp_acl_rate_burst_then_refill),
        T(test_pp_acl_retained_room_messages_refused),
        T(test_pp_acl_control_topics),
        T(test_pp_acl_outside_namespace_and_malformed_denied),
        T(test_pp_acl_delivery_cache_follows_the_topic),
        cmocka_unit_test(test_pp_rate_table_drops_full_buckets_past_the_cap),
        cmocka_unit_test(test_pp_opts_defaults),
        cmocka_unit_test(test_pp_opts_bad_values_name_the_option),
        cmocka_unit_test(test_pp_opts_name_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
