/* Unit tests of the bridge's pure parts: stream ids, the fan-out record, JSON and UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pb_bridge.h"
#include "pb_frame.h"
#include "pb_id.h"
#include "pb_store.h"

static void test_pb_id_parse_and_compare_numerically(void **state)
{
    (void)state;
    struct pb_id a, b;
    assert_true(pb_id_parse("9-0", &a));
    assert_true(pb_id_parse("10-0", &b));
    assert_true(pb_id_cmp(a, b) < 0); /* as text "9-0" > "10-0" */
    assert_true(pb_id_parse("1733430000000-5", &a));
    assert_int_equal(a.ms, 1733430000000ULL);
    assert_int_equal(a.seq, 5);
    assert_true(pb_id_parse("42", &b));
    assert_int_equal(b.seq, 0);
    assert_int_equal(pb_id_cmp(a, a), 0);
}

static void test_pb_id_refuses_malformed(void **state)
{
    (void)state;
    struct pb_id x;
    const char *bad[] = {"",
                         "-",
                         "1-",
                         "-1",
                         "1-2-3",
                         "a-1",
                         "1 -2",
                         "99999999999999999999999-0",
                         "18446744073709551616-0",
                         "1-x",
                         "+1-0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(pb_id_parse(bad[i], &x));
    }
    assert_true(pb_id_parse("18446744073709551615-18446744073709551615", &x));
}

static void test_pb_fanout_round_trip_with_binary_body(void **state)
{
    (void)state;
    const char body[] = {'h', 'i', '\n', 0, (char)0xff, 'x'};
    struct pb_fanout f = {.kind = 'm',
                          .node = "n1",
                          .node_len = 2,
                          .room = "lobby",
                          .room_len = 5,
                          .user = "bob",
                          .user_len = 3,
                          .id = "1-2",
                          .id_len = 3,
                          .ts = 1733430000123,
                          .body = body,
                          .body_len = sizeof body};
    char buf[256];
    size_t n = pb_fanout_encode(&f, buf, sizeof buf);
    assert_true(n > sizeof body);
    struct pb_fanout g;
    assert_true(pb_fanout_decode(buf, n, &g));
    assert_int_equal(g.kind, 'm');
    assert_memory_equal(g.room, "lobby", 5);
    assert_int_equal(g.room_len, 5);
    assert_memory_equal(g.user, "bob", 3);
    assert_memory_equal(g.id, "1-2", 3);
    assert_int_equal(g.ts, 1733430000123);
    assert_int_equal(g.body_len, sizeof body);
    assert_memory_equal(g.body, body, sizeof body);
    /* too small a buffer is refused, never cut */
    assert_int_equal(pb_fanout_encode(&f, buf, 20), 0);
}

static void test_pb_fanout_decode_refuses_garbage(void **state)
{
    (void)state;
    struct pb_fanout g;
    const char *bad[] = {"",
                         "m",
                         "x\nn\nr\nu\n1\n\n0\n",
                         "m\n\nr\nu\n1\n\n0\n",
                         "m\nn\n\nu\n1\n\n0\n",
                         "m\nn\nr\nu\n\n\n0\n",
                         "m\nn\nr\nu\n1x\n\n0\n",
                         "m\nn\nr\nu\n1\n\n2\n",
                         "m\nn\nr\nu\n1\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(pb_fanout_decode(bad[i], strlen(bad[i]), &g));
    }
    const char *pres = "p\nn\nr\nu\n0\n\n1\n";
    assert_true(pb_fanout_decode(pres, strlen(pres), &g));
    assert_true(g.online);
    assert_int_equal(g.body_len, 0);
}

static void test_pb_json_escapes_and_stays_full(void **state)
{
    (void)state;
    char buf[64];
    struct pb_json j;
    pb_json_init(&j, buf, sizeof buf);
    pb_json_str(&j, "a\"b\\c\n\x01\x7f", 8);
    assert_true(pb_json_ok(&j));
    assert_string_equal(buf, "\"a\\\"b\\\\c\\n\\u0001\\u007f\"");
    char small[8];
    pb_json_init(&j, small, sizeof small);
    pb_json_raw(&j, "12345678"); /* needs 9 with the NUL */
    assert_false(pb_json_ok(&j));
    pb_json_raw(&j, "1");
    assert_false(pb_json_ok(&j)); /* once full, stays full */
}

static void test_pb_utf8_valid_rejects_overlong_surrogates_nul(void **state)
{
    (void)state;
    assert_true(pb_utf8_valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15));
    assert_false(pb_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(pb_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(pb_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(pb_utf8_valid("a\0b", 3));
    assert_false(pb_utf8_valid("\xe2\x82", 2)); /* cut short */
    assert_false(pb_utf8_valid("\xff", 1));
}

static void test_pb_frame_msg_uses_body_b64_for_binary(void **state)
{
    (void)state;
    char scratch[512];
    struct pb_msg m = {"lobby", "bob", "\xff\x00z", 3, 5, "1-0"};
    struct pb_frame *f = pb_frame_msg(&m, scratch, sizeof scratch);
    assert_non_null(f);
    assert_string_equal(pb_frame_text(f), "{\"type\":\"msg\",\"room\":\"lobby\",\"from\":\"bob\","
                                          "\"body_b64\":\"/wB6\",\"ts\":5,\"id\":\"1-0\"}");
    assert_string_equal(f->id, "1-0");
    pb_frame_unref(f);
    struct pb_msg t = {"lobby", "bob", "say \"hi\"", 8, 6, ""};
    f = pb_frame_msg(&t, scratch, sizeof scratch);
    assert_string_equal(pb_frame_text(f), "{\"type\":\"msg\",\"room\":\"lobby\",\"from\":\"bob\","
                                          "\"body\":\"say \\\"hi\\\"\",\"ts\":6,\"id\":\"\"}");
    pb_frame_unref(f);
    assert_null(pb_frame_msg(&t, scratch, 20)); /* scratch too small: no frame, no overflow */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pb_id_parse_and_compare_numerically),
        cmocka_unit_test(test_pb_id_refuses_malformed),
        cmocka_unit_test(test_pb_fanout_round_trip_with_binary_body),
        cmocka_unit_test(test_pb_fanout_decode_refuses_garbage),
        cmocka_unit_test(test_pb_json_escapes_and_stays_full),
        cmocka_unit_test(test_pb_utf8_valid_rejects_overlong_surrogates_nul),
        cmocka_unit_test(test_pb_frame_msg_uses_body_b64_for_binary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
