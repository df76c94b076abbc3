/* Unit tests of the bounded send queue and frame references. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pb_frame.h"
#include "pb_sendq.h"

static void test_pb_sendq_shares_one_frame_between_queues(void **state)
{
    (void)state;
    struct pb_sendq a = {0}, b = {0};
    struct pb_frame *f = pb_frame_new("hello", 5);
    assert_int_equal(pb_sendq_push(&a, f, 10, 1000), PB_SENDQ_OK);
    assert_int_equal(pb_sendq_push(&b, f, 10, 1000), PB_SENDQ_OK);
    assert_int_equal(f->refs, 3);
    pb_frame_unref(f); /* the queues keep it alive */
    assert_ptr_equal(pb_sendq_peek(&a), f);
    assert_string_equal(pb_frame_text(pb_sendq_peek(&b)), "hello");
    pb_sendq_pop(&a);
    assert_int_equal(f->refs, 1);
    pb_sendq_clear(&b); /* frees it: ASan would tell otherwise */
    assert_null(pb_sendq_peek(&a));
    assert_int_equal(a.bytes, 0);
    pb_sendq_clear(&a);
}

static void test_pb_sendq_bounds_frames_and_bytes(void **state)
{
    (void)state;
    struct pb_sendq q = {0};
    struct pb_frame *f = pb_frame_new("0123456789", 10);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(pb_sendq_push(&q, f, 20, 1000), PB_SENDQ_OK);
    }
    assert_int_equal(pb_sendq_push(&q, f, 20, 1000), PB_SENDQ_FULL); /* frames */
    assert_int_equal(q.len, 20);
    assert_int_equal(q.bytes, 200);
    pb_sendq_clear(&q);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(pb_sendq_push(&q, f, 100, 50), PB_SENDQ_OK);
    }
    assert_int_equal(pb_sendq_push(&q, f, 100, 50), PB_SENDQ_FULL); /* bytes */
    pb_sendq_clear(&q);
    assert_int_equal(f->refs, 1);
    pb_frame_unref(f);
}

static void test_pb_sendq_keeps_order_across_growth_and_wrap(void **state)
{
    (void)state;
    struct pb_sendq q = {0};
    struct pb_frame *fr[40];
    char text[8];
    for (int i = 0; i < 40; i++) {
        int n = snprintf(text, sizeof text, "%d", i);
        fr[i] = pb_frame_new(text, (size_t)n);
    }
    int next = 0;
    for (int i = 0; i < 40; i++) {
        assert_int_equal(pb_sendq_push(&q, fr[i], 64, 1 << 20), PB_SENDQ_OK);
        if (i % 3 == 2) { /* pop one every third push: the ring wraps while it grows */
            assert_ptr_equal(pb_sendq_peek(&q), fr[next++]);
            pb_sendq_pop(&q);
        }
    }
    while (pb_sendq_peek(&q) != NULL) {
        assert_ptr_equal(pb_sendq_peek(&q), fr[next++]);
        pb_sendq_pop(&q);
    }
    assert_int_equal(next, 40);
    assert_null(q.ring); /* drained after a burst: back to no ring */
    for (int i = 0; i < 40; i++) {
        assert_int_equal(fr[i]->refs, 1);
        pb_frame_unref(fr[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pb_sendq_shares_one_frame_between_queues),
        cmocka_unit_test(test_pb_sendq_bounds_frames_and_bytes),
        cmocka_unit_test(test_pb_sendq_keeps_order_across_growth_and_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
