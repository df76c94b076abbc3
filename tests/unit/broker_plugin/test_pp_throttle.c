/* Unit tests for broker_plugin/pp_throttle.c: counting, lock-out and its doubling, the window,
 * per-user and per-address keys, and the bounded tables. Time is passed in, so every case is
 * exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pp_throttle.h"

#define T0 ((time_t)1700000000)
#define LIMIT 3
#define WINDOW 60

static int setup(void **state)
{
    *state = pp_throttle_new(LIMIT, WINDOW);
    return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    pp_throttle_free(*state);
    return 0;
}

static bool allow(struct pp_throttle *t, const char *user, const char *addr, time_t now)
{
    unsigned retry = 12345;
    bool ok = pp_throttle_allow(t, user, addr, now, &retry);
    assert_true(ok ? retry == 0 : retry > 0);
    return ok;
}

static void fail_n(struct pp_throttle *t, const char *user, const char *addr, time_t now, int n)
{
    for (int i = 0; i < n; i++) {
        assert_true(allow(t, user, addr, now));
        pp_throttle_failed(t, user, addr, now);
    }
}

static void test_pp_throttle_locks_after_limit_failures(void **state)
{
    struct pp_throttle *t = *state;
    fail_n(t, "alice", "10.0.0.1", T0, LIMIT - 1);
    assert_true(allow(t, "alice", "10.0.0.1", T0 + 1));
    pp_throttle_failed(t, "alice", "10.0.0.1", T0 + 1);
    assert_false(allow(t, "alice", "10.0.0.1", T0 + 2));
    assert_false(allow(t, "alice", NULL, T0 + 2));
    assert_false(allow(t, NULL, "10.0.0.1", T0 + 2));
    /* Others are untouched. */
    assert_true(allow(t, "bob", "10.0.0.2", T0 + 2));
}

/* Locked at T0 for WINDOW; each refused attempt doubles the lock from its start, up to the cap. */
static void test_pp_throttle_lock_doubles_to_cap(void **state)
{
    struct pp_throttle *t = *state;
    unsigned retry = 0;
    fail_n(t, "alice", NULL, T0, LIMIT);
    assert_false(pp_throttle_allow(t, "alice", NULL, T0 + 10, &retry));
    assert_int_equal(retry, 2 * WINDOW - 10);
    assert_false(pp_throttle_allow(t, "alice", NULL, T0 + 10, &retry));
    assert_int_equal(retry, 4 * WINDOW - 10);
    for (int i = 0; i < 10; i++) {
        assert_false(pp_throttle_allow(t, "alice", NULL, T0 + 10, &retry));
    }
    assert_int_equal(retry, PP_THROTTLE_MAX_LOCK_S - 10);
    assert_false(allow(t, "alice", NULL, T0 + PP_THROTTLE_MAX_LOCK_S - 1));
    /* The cap holds however often it is hit, and the lock ends at its start plus the cap. */
    assert_true(allow(t, "alice", NULL, T0 + PP_THROTTLE_MAX_LOCK_S));
}

/* Without further attempts, the lock lasts exactly WINDOW; then the key starts afresh. */
static void test_pp_throttle_lock_ends_and_key_starts_afresh(void **state)
{
    struct pp_throttle *t = *state;
    unsigned retry = 0;
    fail_n(t, "alice", NULL, T0, LIMIT);
    assert_true(allow(t, "alice", NULL, T0 + WINDOW));
    pp_throttle_failed(t, "alice", NULL, T0 + WINDOW);
    assert_true(allow(t, "alice", NULL, T0 + WINDOW));
    fail_n(t, "alice", NULL, T0 + WINDOW, LIMIT - 2);
    assert_true(allow(t, "alice", NULL, T0 + WINDOW));
    pp_throttle_failed(t, "alice", NULL, T0 + WINDOW + 5);
    assert_false(pp_throttle_allow(t, "alice", NULL, T0 + WINDOW + 5, &retry));
    assert_int_equal(retry, 2 * WINDOW); /* a new lock, doubled once by this attempt */
}

/* Failures older than the window are forgotten: LIMIT - 1 per window never locks. */
static void test_pp_throttle_window_forgets_old_failures(void **state)
{
    struct pp_throttle *t = *state;
    for (int w = 0; w < 5; w++) {
        fail_n(t, "alice", "10.0.0.1", T0 + w * WINDOW, LIMIT - 1);
    }
    assert_true(allow(t, "alice", "10.0.0.1", T0 + 5 * WINDOW));
    /* The window opens at the first failure: one second short of it, they still count. */
    fail_n(t, "bob", NULL, T0, LIMIT - 1);
    pp_throttle_failed(t, "bob", NULL, T0 + WINDOW - 1);
    assert_false(allow(t, "bob", NULL, T0 + WINDOW - 1));
}

static void test_pp_throttle_success_clears_user_not_address(void **state)
{
    struct pp_throttle *t = *state;
    fail_n(t, "alice", "10.0.0.1", T0, LIMIT - 1);
    pp_throttle_succeeded(t, "alice", T0 + 1);
    /* alice starts from zero: LIMIT - 1 more failures do not lock her... */
    fail_n(t, "alice", "10.0.0.9", T0 + 2, LIMIT - 1);
    assert_true(allow(t, "alice", "10.0.0.8", T0 + 2));
    /* ...but the address kept its count, so one more failure from it locks it. */
    pp_throttle_failed(t, "mallory", "10.0.0.1", T0 + 3);
    assert_false(allow(t, "carol", "10.0.0.1", T0 + 4));
    assert_true(allow(t, "carol", "10.0.0.2", T0 + 4));
    pp_throttle_succeeded(t, "nobody", T0 + 4); /* unknown: a no-op */
    pp_throttle_succeeded(t, NULL, T0 + 4);
}

/* An address guessing many names is locked, whatever name it tries next. */
static void test_pp_throttle_address_guessing_many_users(void **state)
{
    struct pp_throttle *t = *state;
    const char *names[] = {"u1", "u2", "u3"};
    for (int i = 0; i < LIMIT; i++) {
        assert_true(allow(t, names[i], "192.0.2.7", T0 + i));
        pp_throttle_failed(t, names[i], "192.0.2.7", T0 + i);
    }
    assert_false(allow(t, "u4", "192.0.2.7", T0 + 5));
    /* The names themselves each failed once: fine from elsewhere. */
    assert_true(allow(t, "u1", "192.0.2.8", T0 + 5));
}

/* A name guessed from many addresses is locked, from any address; refusing it does not charge
 * the (unlocked) address, so the real user's address stays usable for other accounts. */
static void test_pp_throttle_user_guessed_from_many_addresses(void **state)
{
    struct pp_throttle *t = *state;
    char addr[32];
    for (int i = 0; i < LIMIT; i++) {
        snprintf(addr, sizeof addr, "198.51.100.%d", i);
        fail_n(t, "alice", addr, T0 + i, 1);
    }
    for (int i = 0; i < 10; i++) {
        assert_false(allow(t, "alice", "203.0.113.1", T0 + 10));
    }
    assert_true(allow(t, "bob", "203.0.113.1", T0 + 10));
}

/* A failure reported while locked (the two keys raced) extends the lock like a refusal. */
static void test_pp_throttle_failure_while_locked_extends(void **state)
{
    struct pp_throttle *t = *state;
    unsigned retry = 0;
    fail_n(t, "alice", NULL, T0, LIMIT);
    pp_throttle_failed(t, "alice", NULL, T0 + 1);
    assert_false(pp_throttle_allow(t, "alice", NULL, T0 + 1, &retry));
    assert_int_equal(retry, 4 * WINDOW - 1);
}

static void test_pp_throttle_limit_zero_and_null_allow_all(void **state)
{
    (void)state;
    struct pp_throttle *off = pp_throttle_new(0, WINDOW);
    assert_non_null(off);
    for (int i = 0; i < 100; i++) {
        pp_throttle_failed(off, "alice", "10.0.0.1", T0);
    }
    assert_true(allow(off, "alice", "10.0.0.1", T0));
    pp_throttle_free(off);
    assert_true(allow(NULL, "alice", "10.0.0.1", T0));
    pp_throttle_failed(NULL, "alice", "10.0.0.1", T0);
    pp_throttle_succeeded(NULL, "alice", T0);
    pp_throttle_free(NULL);
    assert_true(pp_throttle_allow(NULL, NULL, NULL, T0, NULL));
}

static void test_pp_throttle_null_keys(void **state)
{
    struct pp_throttle *t = *state;
    fail_n(t, NULL, NULL, T0, 10);
    fail_n(t, NULL, "10.0.0.1", T0, LIMIT);
    assert_false(allow(t, NULL, "10.0.0.1", T0));
    assert_true(allow(t, "alice", NULL, T0));
    assert_true(pp_throttle_allow(t, NULL, NULL, T0, NULL));
}

/* Keys are compared whole up to PP_THROTTLE_KEY_MAX bytes. */
static void test_pp_throttle_long_keys_truncate(void **state)
{
    struct pp_throttle *t = *state;
    char a[PP_THROTTLE_KEY_MAX + 10], b[PP_THROTTLE_KEY_MAX + 10];
    memset(a, 'a', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[PP_THROTTLE_KEY_MAX + 2] = 'b'; /* differs only past the limit: the same key */
    fail_n(t, a, NULL, T0, LIMIT);
    assert_false(allow(t, b, NULL, T0));
    b[PP_THROTTLE_KEY_MAX - 1] = 'b'; /* differs inside it: another key */
    assert_true(allow(t, b, NULL, T0));
}

/* Fills the username table with `others` keys after one failure of "victim". */
static void flood(struct pp_throttle *t, int others, time_t now)
{
    char name[32];
    for (int i = 0; i < others; i++) {
        snprintf(name, sizeof name, "u%d", i);
        pp_throttle_failed(t, name, NULL, now);
    }
}

/* The table is full at PP_THROTTLE_MAX_KEYS: one more key drops the one ending soonest. */
static void test_pp_throttle_full_table_drops_oldest(void **state)
{
    struct pp_throttle *t = *state;
    /* Room for victim and the others: victim's failures are remembered. */
    fail_n(t, "victim", NULL, T0, LIMIT - 1);
    flood(t, PP_THROTTLE_MAX_KEYS - 1, T0 + 1);
    pp_throttle_failed(t, "victim", NULL, T0 + 2);
    assert_false(allow(t, "victim", NULL, T0 + 2));

    /* One key too many: victim, the oldest, is dropped and starts from zero. A long window, and
     * a second per key, so every entry ends at a different time and none is stale. */
    struct pp_throttle *t2 = pp_throttle_new(LIMIT, 10000);
    assert_non_null(t2);
    fail_n(t2, "victim", NULL, T0, LIMIT - 1);
    char name[32];
    for (int i = 0; i < PP_THROTTLE_MAX_KEYS; i++) {
        snprintf(name, sizeof name, "u%d", i);
        pp_throttle_failed(t2, name, NULL, T0 + 1 + i);
    }
    pp_throttle_failed(t2, "victim", NULL, T0 + 5000); /* re-added: u0 makes room */
    assert_true(allow(t2, "victim", NULL, T0 + 5000));
    /* The newest key is remembered (two more failures lock it); u0, the next oldest, is not. */
    snprintf(name, sizeof name, "u%d", PP_THROTTLE_MAX_KEYS - 1);
    fail_n(t2, name, NULL, T0 + 5001, LIMIT - 1);
    assert_false(allow(t2, name, NULL, T0 + 5001));
    fail_n(t2, "u0", NULL, T0 + 5001, LIMIT - 1);
    assert_true(allow(t2, "u0", NULL, T0 + 5001));
    pp_throttle_free(t2);
}

/* A long lock-out outlives a flood of fresh keys: they end sooner, so they go first. */
static void test_pp_throttle_full_table_keeps_long_lock(void **state)
{
    struct pp_throttle *t = *state;
    fail_n(t, "victim", NULL, T0, LIMIT);
    for (int i = 0; i < 3; i++) {
        assert_false(allow(t, "victim", NULL, T0 + 1)); /* lock now 8 * WINDOW */
    }
    flood(t, 2 * PP_THROTTLE_MAX_KEYS, T0 + 10);
    assert_false(allow(t, "victim", NULL, T0 + 10));
    /* And the flood itself stayed bounded and consistent: the latest keys are found. */
    char name[32];
    snprintf(name, sizeof name, "u%d", 2 * PP_THROTTLE_MAX_KEYS - 1);
    pp_throttle_failed(t, name, NULL, T0 + 11);
    pp_throttle_failed(t, name, NULL, T0 + 11);
    assert_false(allow(t, name, NULL, T0 + 11));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pp_throttle_locks_after_limit_failures, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pp_throttle_lock_doubles_to_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_throttle_lock_ends_and_key_starts_afresh, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pp_throttle_window_forgets_old_failures, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pp_throttle_success_clears_user_not_address, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pp_throttle_address_guessing_many_users, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pp_throttle_user_guessed_from_many_addresses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pp_throttle_failure_while_locked_extends, setup,
                                        teardown),
        cmocka_unit_test(test_pp_throttle_limit_zero_and_null_allow_all),
        cmocka_unit_test_setup_teardown(test_pp_throttle_null_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_throttle_long_keys_truncate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_throttle_full_table_drops_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pp_throttle_full_table_keeps_long_lock, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
