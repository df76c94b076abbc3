/* Unit tests for presence bookkeeping (pp_presence.c) and the kick queue (pp_kick.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pp_kick.h"
#include "pp_presence.h"

struct log {
    char text[1024]; /* "+room/user " or "-room/user " per edge */
};

static void record(void *ctx, const char *room, const char *user, bool online)
{
    struct log *l = ctx;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%c%s/%s ", online ? '+' : '-', room, user);
}

static int sub(struct pp_presence *p, const void *client, const char *user, const char *filter)
{
    struct pc_topic t;
    pc_topic_parse(filter, strlen(filter), true, &t);
    return pp_presence_subscribed(p, client, user, filter, &t);
}

static void test_pp_presence_first_subscription_online_last_offline(void **state)
{
    (void)state;
    struct log l = {""};
    struct pp_presence *p = pp_presence_new(record, &l);
    int a, b; /* two sessions of alice */
    assert_int_equal(sub(p, &a, "alice", "rooms/lobby/msg/+"), 0);
    assert_string_equal(l.text, "+lobby/alice ");
    assert_int_equal(sub(p, &a, "alice", "rooms/lobby/msg/+"), 0); /* repeated: nothing */
    assert_int_equal(sub(p, &b, "alice", "rooms/lobby/#"), 0);     /* second session */
    assert_int_equal(pp_presence_count(p, "lobby", "alice"), 2);
    assert_string_equal(l.text, "+lobby/alice ");
    pp_presence_unsubscribed(p, &a, "rooms/lobby/msg/+");
    assert_string_equal(l.text, "+lobby/alice ");
    pp_presence_disconnected(p, &b);
    assert_string_equal(l.text, "+lobby/alice -lobby/alice ");
    assert_int_equal(pp_presence_count(p, "lobby", "alice"), 0);
    pp_presence_free(p);
}

static void test_pp_presence_ignores_filters_that_do_not_read_one_room(void **state)
{
    (void)state;
    struct log l = {""};
    struct pp_presence *p = pp_presence_new(record, &l);
    int a;
    const char *filters[] = {"rooms/+/msg/+",
                             "rooms/#",
                             "#",
                             "rooms/lobby/msg/bob",
                             "rooms/lobby/typing/+",
                             "users/alice/inbox/+",
                             "rooms/lobby/presence/+"};
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        assert_int_equal(sub(p, &a, "alice", filters[i]), 0);
    }
    assert_string_equal(l.text, "");
    pp_presence_disconnected(p, &a);
    assert_string_equal(l.text, "");
    pp_presence_free(p);
}

static void test_pp_presence_two_filters_one_room_one_session(void **state)
{
    (void)state;
    struct log l = {""};
    struct pp_presence *p = pp_presence_new(record, &l);
    int a;
    sub(p, &a, "alice", "rooms/lobby/msg/+");
    sub(p, &a, "alice", "rooms/lobby/#");
    sub(p, &a, "alice", "rooms/den/msg/+");
    assert_int_equal(pp_presence_count(p, "lobby", "alice"), 1);
    pp_presence_unsubscribed(p, &a, "rooms/lobby/#");
    assert_string_equal(l.text, "+lobby/alice +den/alice ");
    pp_presence_unsubscribed(p, &a, "rooms/nothing/msg/+"); /* not held: no-op */
    pp_presence_unsubscribed(p, &a, "rooms/lobby/msg/+");
    assert_string_equal(l.text, "+lobby/alice +den/alice -lobby/alice ");
    pp_presence_disconnected(p, &a);
    assert_string_equal(l.text, "+lobby/alice +den/alice -lobby/alice -den/alice ");
    pp_presence_disconnected(p, &a); /* already gone: no-op */
    pp_presence_free(p);
}

static void test_pp_presence_free_with_live_sessions_calls_nothing(void **state)
{
    (void)state;
    struct log l = {""};
    struct pp_presence *p = pp_presence_new(record, &l);
    int a;
    sub(p, &a, "alice", "rooms/lobby/msg/+");
    l.text[0] = '\0';
    pp_presence_free(p); /* ASan: nothing leaks */
    assert_string_equal(l.text, "");
}

static void test_pp_presence_forget_one_user_or_a_whole_room(void **state)
{
    (void)state;
    struct log l = {""};
    struct pp_presence *p = pp_presence_new(record, &l);
    int a1, a2, b;
    sub(p, &a1, "alice", "rooms/den/msg/+");
    sub(p, &a2, "alice", "rooms/den/#");
    sub(p, &a2, "alice", "rooms/lobby/msg/+");
    sub(p, &b, "bob", "rooms/den/msg/+");
    l.text[0] = '\0';
    pp_presence_forget(p, "den", "alice"); /* both sessions stop counting, once offline */
    assert_string_equal(l.text, "-den/alice ");
    assert_int_equal(pp_presence_count(p, "den", "alice"), 0);
    assert_int_equal(pp_presence_count(p, "lobby", "alice"), 1);
    pp_presence_unsubscribed(p, &a1, "rooms/den/msg/+"); /* already forgotten: nothing */
    pp_presence_forget(p, "den", NULL);
    assert_string_equal(l.text, "-den/alice -den/bob ");
    pp_presence_disconnected(p, &a2);
    assert_string_equal(l.text, "-den/alice -den/bob -lobby/alice ");
    pp_presence_disconnected(p, &b); /* bob's record went with his last room */
    assert_string_equal(l.text, "-den/alice -den/bob -lobby/alice ");
    pp_presence_free(p);
}

static void collect(void *ctx, const char *name)
{
    strcat((char *)ctx, name);
    strcat((char *)ctx, ",");
}

static void test_pp_kick_queue_in_order_without_duplicates(void **state)
{
    (void)state;
    struct pp_kick q = {0};
    char out[64] = "";
    assert_int_equal(pp_kick_push(&q, "bob"), 0);
    assert_int_equal(pp_kick_push(&q, "eve"), 0);
    assert_int_equal(pp_kick_push(&q, "bob"), 0);
    assert_int_equal(q.count, 2);
    pp_kick_drain(&q, collect, out);
    assert_string_equal(out, "bob,eve,");
    assert_int_equal(q.count, 0);
    assert_null(q.head);
    pp_kick_push(&q, "zed");
    pp_kick_clear(&q);
    assert_null(q.head);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pp_presence_first_subscription_online_last_offline),
        cmocka_unit_test(test_pp_presence_ignores_filters_that_do_not_read_one_room),
        cmocka_unit_test(test_pp_presence_two_filters_one_room_one_session),
        cmocka_unit_test(test_pp_presence_free_with_live_sessions_calls_nothing),
        cmocka_unit_test(test_pp_presence_forget_one_user_or_a_whole_room),
        cmocka_unit_test(test_pp_kick_queue_in_order_without_duplicates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
