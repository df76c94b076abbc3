/* The incoming-packet parser: every packet type, every truncation, malformed input. Inputs are
 * copied into exactly-sized heap blocks so ASan catches any read past len. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "pd_parse.h"

static enum pd_status parse(const uint8_t *bytes, size_t n, struct pd_event *ev)
{
    uint8_t *copy = malloc(n ? n : 1);
    enum pd_status st;
    assert_non_null(copy);
    memcpy(copy, bytes, n);
    st = pd_parse_packet(copy, n, ev);
    /* pointers into the packet are only checked for being inside it */
    if (st == PD_OK && ev->data) {
        assert_true(ev->data >= copy && ev->data + ev->len <= copy + n);
    }
    if (st == PD_OK && ev->topic) {
        assert_true((const uint8_t *)ev->topic >= copy &&
                    (const uint8_t *)ev->topic + ev->topic_len <= copy + n);
    }
    free(copy);
    return st;
}

#define PKT(name, ...) static const uint8_t name[] = {__VA_ARGS__}

PKT(connack_ok, 0x20, 2, 0, 0);
PKT(connack_sp, 0x20, 2, 1, 0);
PKT(connack_refused, 0x20, 2, 0, 5);
PKT(pub0, 0x30, 6, 0, 3, 'a', '/', 'b', 'x');
PKT(pub1, 0x3B, 7, 0, 1, 't', 0x01, 0x02, 'h', 'i');
PKT(puback, 0x40, 2, 0xBE, 0xEF);
PKT(suback, 0x90, 4, 0, 7, 1, 0x80);
PKT(unsuback, 0xB0, 2, 0, 9);
PKT(pingresp, 0xD0, 0);

static const struct {
    const uint8_t *p;
    size_t n;
} valid[] = {{connack_ok, sizeof connack_ok},
             {connack_sp, sizeof connack_sp},
             {connack_refused, sizeof connack_refused},
             {pub0, sizeof pub0},
             {pub1, sizeof pub1},
             {puback, sizeof puback},
             {suback, sizeof suback},
             {unsuback, sizeof unsuback},
             {pingresp, sizeof pingresp}};

static void test_pd_parse_every_packet_type(void **state)
{
    (void)state;
    struct pd_event ev;
    assert_int_equal(parse(connack_ok, sizeof connack_ok, &ev), PD_OK);
    assert_int_equal(ev.type, PD_EV_CONNACK);
    assert_int_equal(ev.code, 0);
    assert_false(ev.session_present);
    assert_int_equal(ev.status, PD_OK);
    assert_int_equal(parse(connack_sp, sizeof connack_sp, &ev), PD_OK);
    assert_true(ev.session_present);
    assert_int_equal(parse(connack_refused, sizeof connack_refused, &ev), PD_OK);
    assert_int_equal(ev.code, 5);
    assert_int_equal(ev.status, PD_ERR_REFUSED);

    assert_int_equal(parse(pub0, sizeof pub0, &ev), PD_OK);
    assert_int_equal(ev.type, PD_EV_MESSAGE);
    assert_int_equal(ev.qos, 0);
    assert_int_equal(ev.topic_len, 3);
    assert_int_equal(ev.len, 1);
    assert_int_equal(ev.id, 0);
    assert_int_equal(parse(pub1, sizeof pub1, &ev), PD_OK);
    assert_int_equal(ev.qos, 1);
    assert_true(ev.dup);
    assert_true(ev.retain);
    assert_int_equal(ev.id, 0x0102);
    assert_int_equal(ev.len, 2);

    assert_int_equal(parse(puback, sizeof puback, &ev), PD_OK);
    assert_int_equal(ev.type, PD_EV_PUBACK);
    assert_int_equal(ev.id, 0xBEEF);
    assert_int_equal(parse(suback, sizeof suback, &ev), PD_OK);
    assert_int_equal(ev.type, PD_EV_SUBACK);
    assert_int_equal(ev.id, 7);
    assert_int_equal(ev.len, 2);
    assert_int_equal(ev.code, 1);
    assert_int_equal(ev.status, PD_ERR_REFUSED); /* one filter got 0x80 */
    assert_int_equal(parse(unsuback, sizeof unsuback, &ev), PD_OK);
    assert_int_equal(ev.type, PD_EV_UNSUBACK);
    assert_int_equal(ev.id, 9);
    assert_int_equal(parse(pingresp, sizeof pingresp, &ev), PD_OK);
    assert_int_equal(ev.type, PD_EV_PINGRESP);
}

static void test_pd_parse_every_truncation_needs_more(void **state)
{
    (void)state;
    struct pd_event ev;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        for (size_t k = 0; k < valid[i].n; k++) {
            assert_int_equal(parse(valid[i].p, k, &ev), PD_ERR_NEED_MORE);
        }
        assert_int_equal(parse(valid[i].p, valid[i].n, &ev), PD_OK);
    }
}

static void test_pd_parse_trailing_bytes_malformed(void **state)
{
    (void)state;
    struct pd_event ev;
    uint8_t buf[16];
    memcpy(buf, puback, sizeof puback);
    buf[sizeof puback] = 0;
    assert_int_equal(parse(buf, sizeof puback + 1, &ev), PD_ERR_MALFORMED);
}

static void test_pd_parse_bad_remaining_length(void **state)
{
    (void)state;
    struct pd_event ev;
    uint32_t hl;
    uint32_t rem;
    PKT(five, 0x30, 0x80, 0x80, 0x80, 0x80, 0x01);
    assert_int_equal(pd_parse_header(five, sizeof five, &hl, &rem), PD_ERR_MALFORMED);
    assert_int_equal(parse(five, sizeof five, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(five, 5, &ev), PD_ERR_MALFORMED);
    /* a length that says more than is there: need more, not malformed */
    PKT(short_pub, 0x30, 0x05, 0, 1, 'a');
    assert_int_equal(parse(short_pub, sizeof short_pub, &ev), PD_ERR_NEED_MORE);
}

static void test_pd_parse_wrong_flags(void **state)
{
    (void)state;
    struct pd_event ev;
    PKT(connack_f, 0x21, 2, 0, 0);
    PKT(puback_f, 0x42, 2, 0, 1);
    PKT(suback_f, 0x98, 3, 0, 1, 0);
    PKT(unsuback_f, 0xB2, 2, 0, 1);
    PKT(pingresp_f, 0xD1, 0);
    PKT(pub_q3, 0x36, 5, 0, 1, 't', 0, 1);
    PKT(pub_dup_q0, 0x38, 3, 0, 1, 't');
    PKT(pub_q2, 0x34, 5, 0, 1, 't', 0, 1);
    assert_int_equal(parse(connack_f, sizeof connack_f, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(puback_f, sizeof puback_f, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(suback_f, sizeof suback_f, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(unsuback_f, sizeof unsuback_f, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pingresp_f, sizeof pingresp_f, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pub_q3, sizeof pub_q3, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pub_dup_q0, sizeof pub_dup_q0, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pub_q2, sizeof pub_q2, &ev), PD_ERR_PROTOCOL);
}

static void test_pd_parse_field_rules(void **state)
{
    (void)state;
    struct pd_event ev;
    PKT(connack_len3, 0x20, 3, 0, 0, 0);
    PKT(connack_rsv, 0x20, 2, 2, 0);
    PKT(connack_code6, 0x20, 2, 0, 6);
    PKT(connack_sp_refused, 0x20, 2, 1, 4);
    PKT(puback_id0, 0x40, 2, 0, 0);
    PKT(puback_len3, 0x40, 3, 0, 1, 0);
    PKT(suback_nocodes, 0x90, 2, 0, 1);
    PKT(suback_code3, 0x90, 3, 0, 1, 3);
    PKT(pingresp_len1, 0xD0, 1, 0);
    PKT(pub_empty_topic, 0x30, 3, 0, 0, 'x');
    PKT(pub_topic_over, 0x30, 4, 0, 5, 'a', 'b');
    PKT(pub_wild_plus, 0x30, 4, 0, 2, 'a', '+');
    PKT(pub_wild_hash, 0x30, 3, 0, 1, '#');
    PKT(pub_nul, 0x30, 4, 0, 2, 'a', 0);
    PKT(pub_id0, 0x32, 5, 0, 1, 't', 0, 0);
    PKT(pub_q1_noid, 0x32, 4, 0, 1, 't', 0);
    PKT(pub_rem0, 0x30, 0);
    PKT(pub_rem1, 0x30, 1, 0);
    assert_int_equal(parse(connack_len3, sizeof connack_len3, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(connack_rsv, sizeof connack_rsv, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(connack_code6, sizeof connack_code6, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(connack_sp_refused, sizeof connack_sp_refused, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(puback_id0, sizeof puback_id0, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(puback_len3, sizeof puback_len3, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(suback_nocodes, sizeof suback_nocodes, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(suback_code3, sizeof suback_code3, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pingresp_len1, sizeof pingresp_len1, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pub_empty_topic, sizeof pub_empty_topic, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pub_topic_over, sizeof pub_topic_over, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pub_wild_plus, sizeof pub_wild_plus, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pub_wild_hash, sizeof pub_wild_hash, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pub_nul, sizeof pub_nul, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pub_id0, sizeof pub_id0, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pub_q1_noid, sizeof pub_q1_noid, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pub_rem0, sizeof pub_rem0, &ev), PD_ERR_MALFORMED);
    assert_int_equal(parse(pub_rem1, sizeof pub_rem1, &ev), PD_ERR_MALFORMED);
}

static void test_pd_parse_types_a_broker_must_not_send(void **state)
{
    (void)state;
    struct pd_event ev;
    for (unsigned t = 0; t < 16; t++) {
        uint8_t p[4] = {(uint8_t)(t << 4), 2, 0, 1};
        enum pd_status st = parse(p, sizeof p, &ev);
        switch (t) {
        case 0:
        case 15:
            assert_int_equal(st, PD_ERR_MALFORMED);
            break;
        case 1:
        case 5:
        case 6:
        case 7:
        case 8:
        case 10:
        case 12:
        case 14:
            assert_int_equal(st, PD_ERR_PROTOCOL);
            break;
        case 2:  /* CONNACK refused with code 1 */
        case 4:  /* PUBACK id 1 */
        case 11: /* UNSUBACK id 1 */
            assert_int_equal(st, PD_OK);
            break;
        default: /* PUBLISH and SUBACK too short, PINGRESP too long */
            assert_int_equal(st, PD_ERR_MALFORMED);
        }
    }
}

static void test_pd_parse_status_strings(void **state)
{
    (void)state;
    for (int s = PD_OK; s <= PD_ERR_NEED_MORE; s++) {
        assert_non_null(pd_strerror((enum pd_status)s));
        assert_string_not_equal(pd_strerror((enum pd_status)s), "unknown status");
    }
    assert_string_equal(pd_strerror((enum pd_status)99), "unknown status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pd_parse_every_packet_type),
        cmocka_unit_test(test_pd_parse_every_truncation_needs_more),
        cmocka_unit_test(test_pd_parse_trailing_bytes_malformed),
        cmocka_unit_test(test_pd_parse_bad_remaining_length),
        cmocka_unit_test(test_pd_parse_wrong_flags),
        cmocka_unit_test(test_pd_parse_field_rules),
        cmocka_unit_test(test_pd_parse_types_a_broker_must_not_send),
        cmocka_unit_test(test_pd_parse_status_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
