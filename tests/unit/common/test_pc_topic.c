#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pc_name.h"
#include "pc_topic.h"

static enum pc_topic_kind parse(const char *t, int filter, struct pc_topic *o)
{
    return pc_topic_parse(t, strlen(t), filter != 0, o);
}

static void test_pc_name_accepts_grammar_and_refuses_rest(void **state)
{
    (void)state;
    char long_name[70];
    memset(long_name, 'a', sizeof long_name);
    long_name[64] = '\0';
    assert_true(pc_name_valid_str("alice"));
    assert_true(pc_name_valid_str("A-z_0.9"));
    assert_true(pc_name_valid_str(long_name));
    long_name[64] = 'a';
    long_name[65] = '\0';
    assert_false(pc_name_valid_str(long_name));
    assert_string_equal(pc_name_error(long_name), "name is longer than 64 characters");
    assert_false(pc_name_valid_str(""));
    assert_false(pc_name_valid_str(NULL));
    assert_false(pc_name_valid_str("a b"));
    assert_false(pc_name_valid_str("a/b"));
    assert_false(pc_name_valid_str("a+"));
    assert_false(pc_name_valid_str("#"));
    assert_false(pc_name_valid_str("$SYS"));
    assert_false(pc_name_valid_str("caf\xc3\xa9"));
    assert_false(pc_name_valid("ab\0c", 4));
    assert_null(pc_name_error("ok"));
}

static void test_pc_topic_room_msg_names_room_and_sender(void **state)
{
    (void)state;
    struct pc_topic t;
    assert_int_equal(parse("rooms/lobby/msg/alice", 0, &t), PC_TOPIC_ROOM_MSG);
    assert_int_equal(t.room_len, 5);
    assert_memory_equal(t.room, "lobby", 5);
    assert_int_equal(t.user_len, 5);
    assert_memory_equal(t.user, "alice", 5);
    assert_false(t.room_wild || t.user_wild);
    assert_int_equal(parse("rooms/lobby/typing/bob", 0, &t), PC_TOPIC_ROOM_TYPING);
    assert_int_equal(parse("rooms/lobby/presence/bob", 0, &t), PC_TOPIC_ROOM_PRESENCE);
}

static void test_pc_topic_rejects_malformed_room_topics(void **state)
{
    (void)state;
    struct pc_topic t;
    assert_int_equal(parse("rooms/lobby/msg", 0, &t), PC_TOPIC_INVALID);
    assert_int_equal(parse("rooms/lobby/msg/", 0, &t), PC_TOPIC_INVALID);
    assert_int_equal(parse("rooms//msg/alice", 0, &t), PC_TOPIC_INVALID);
    assert_int_equal(parse("rooms/lobby/msg/alice/x", 0, &t), PC_TOPIC_INVALID);
    assert_int_equal(parse("rooms/lobby/other/alice", 0, &t), PC_TOPIC_INVALID);
    assert_int_equal(parse("rooms/lo by/msg/alice", 0, &t), PC_TOPIC_INVALID);
    assert_int_equal(parse("rooms/+/msg/alice", 0, &t), PC_TOPIC_INVALID);
    assert_int_equal(parse("rooms/lobby/msg/+", 0, &t), PC_TOPIC_INVALID);
    assert_int_equal(parse("rooms/a/b/c/d/e/f/g", 0, &t), PC_TOPIC_INVALID);
    assert_null(t.room);
    assert_int_equal(parse("sensors/x", 0, &t), PC_TOPIC_OTHER);
    assert_int_equal(parse("roomsx/lobby/msg/a", 0, &t), PC_TOPIC_OTHER);
    assert_int_equal(parse("", 0, &t), PC_TOPIC_INVALID);
}

static void test_pc_topic_filters_mark_wild_levels(void **state)
{
    (void)state;
    struct pc_topic t;
    assert_int_equal(parse("rooms/lobby/msg/+", 1, &t), PC_TOPIC_ROOM_MSG);
    assert_false(t.room_wild);
    assert_true(t.user_wild);
    assert_null(t.user);
    assert_int_equal(parse("rooms/+/msg/+", 1, &t), PC_TOPIC_ROOM_MSG);
    assert_true(t.room_wild);
    assert_int_equal(parse("rooms/lobby/#", 1, &t), PC_TOPIC_ROOM_ANY);
    assert_false(t.room_wild);
    assert_true(t.user_wild);
    assert_int_equal(parse("rooms/lobby/+/bob", 1, &t), PC_TOPIC_ROOM_ANY);
    assert_false(t.user_wild);
    assert_int_equal(parse("rooms/#", 1, &t), PC_TOPIC_ROOM_ANY);
    assert_true(t.room_wild);
    assert_int_equal(parse("rooms/lobby/msg/#", 1, &t), PC_TOPIC_ROOM_MSG);
    assert_true(t.user_wild);
    assert_int_equal(parse("#", 1, &t), PC_TOPIC_ROOT_WILD);
    assert_int_equal(parse("+/lobby/msg/x", 1, &t), PC_TOPIC_ROOT_WILD);
    assert_int_equal(parse("+", 1, &t), PC_TOPIC_ROOT_WILD);
    assert_int_equal(parse("rooms/lobby/msg/#/x", 1, &t), PC_TOPIC_INVALID);
}

static void test_pc_topic_user_inbox_and_control(void **state)
{
    (void)state;
    struct pc_topic t;
    assert_int_equal(parse("users/bob/inbox/alice", 0, &t), PC_TOPIC_USER_INBOX);
    assert_memory_equal(t.user, "bob", 3);
    assert_memory_equal(t.from, "alice", 5);
    assert_int_equal(parse("users/bob/inbox/+", 1, &t), PC_TOPIC_USER_INBOX);
    assert_true(t.from_wild);
    assert_false(t.user_wild);
    assert_int_equal(parse("users/bob/#", 1, &t), PC_TOPIC_USER_INBOX);
    assert_true(t.from_wild);
    assert_int_equal(parse("users/+/inbox/alice", 1, &t), PC_TOPIC_USER_INBOX);
    assert_true(t.user_wild);
    assert_int_equal(parse("users/bob/outbox/alice", 0, &t), PC_TOPIC_INVALID);
    assert_int_equal(parse("$CONTROL/parley/v1", 0, &t), PC_TOPIC_CONTROL);
    assert_int_equal(parse("$CONTROL/parley/v1/response", 1, &t), PC_TOPIC_CONTROL_RESPONSE);
    assert_int_equal(parse("$CONTROL/parley/v2", 0, &t), PC_TOPIC_OTHER);
    assert_string_equal(pc_topic_kind_name(PC_TOPIC_USER_INBOX), "user-inbox");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pc_name_accepts_grammar_and_refuses_rest),
        cmocka_unit_test(test_pc_topic_room_msg_names_room_and_sender),
        cmocka_unit_test(test_pc_topic_rejects_malformed_room_topics),
        cmocka_unit_test(test_pc_topic_filters_mark_wild_levels),
        cmocka_unit_test(test_pc_topic_user_inbox_and_control),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
