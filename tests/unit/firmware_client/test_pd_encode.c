/* Outgoing packets, byte for byte, through the whole client path (queue + transmit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pd_encode.h"
#include "pd_parse.h"
#include "pd_script.h"

static struct pd_script S;

#define EXPECT_OUT(...)                                                                            \
    do {                                                                                           \
        static const uint8_t want_[] = {__VA_ARGS__};                                              \
        assert_int_equal(S.out_len, sizeof want_);                                                 \
        assert_memory_equal(S.out, want_, sizeof want_);                                           \
    } while (0)

static void test_pd_encode_connect_with_will_user_password(void **state)
{
    (void)state;
    static const struct pd_will will = {"w/t", "bye", 3, 1, true};
    struct pd_connect_opts o = {"dev1", "u", "p", &will, 30, false};
    pd_script_init(&S, 512, 256);
    assert_int_equal(pd_connect(&S.c, &o, 0), PD_OK);
    assert_int_equal(pd_poll(&S.c, 0), PD_OK);
    EXPECT_OUT(0x10, 32, 0, 4, 'M', 'Q', 'T', 'T', 4, 0xEC, 0, 30, 0, 4, 'd', 'e', 'v', '1', 0, 3,
               'w', '/', 't', 0, 3, 'b', 'y', 'e', 0, 1, 'u', 0, 1, 'p');
    assert_int_equal(pd_state(&S.c), PD_ST_CONNECTING);
}

static void test_pd_encode_connect_minimal_clean(void **state)
{
    (void)state;
    struct pd_connect_opts o = {NULL, NULL, NULL, NULL, 0, true};
    pd_script_init(&S, 512, 256);
    assert_int_equal(pd_connect(&S.c, &o, 0), PD_OK);
    assert_int_equal(pd_poll(&S.c, 0), PD_OK);
    EXPECT_OUT(0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0, 0, 0);
    /* a second connect while connecting is refused */
    assert_int_equal(pd_connect(&S.c, &o, 0), PD_ERR_STATE);
}

static void test_pd_encode_connect_token_as_password(void **state)
{
    (void)state;
    struct pd_connect_opts o = {"d", "alice", "eyJ.x.y", NULL, 60, true};
    pd_script_init(&S, 512, 256);
    assert_int_equal(pd_connect(&S.c, &o, 0), PD_OK);
    assert_int_equal(pd_poll(&S.c, 0), PD_OK);
    EXPECT_OUT(0x10, 29, 0, 4, 'M', 'Q', 'T', 'T', 4, 0xC2, 0, 60, 0, 1, 'd', 0, 5, 'a', 'l', 'i',
               'c', 'e', 0, 7, 'e', 'y', 'J', '.', 'x', '.', 'y');
}

static void test_pd_encode_connect_rejects_bad_will(void **state)
{
    (void)state;
    struct pd_will will = {"", "x", 1, 0, false};
    struct pd_connect_opts o = {"d", NULL, NULL, &will, 0, true};
    pd_script_init(&S, 512, 256);
    assert_int_equal(pd_connect(&S.c, &o, 0), PD_ERR_PARAM);
    will.topic = "t";
    will.qos = 2;
    assert_int_equal(pd_connect(&S.c, &o, 0), PD_ERR_PARAM);
    assert_int_equal(pd_connect(&S.c, NULL, 0), PD_ERR_PARAM);
    assert_int_equal(pd_state(&S.c), PD_ST_IDLE);
    assert_int_equal(S.out_len, 0);
}

static void test_pd_encode_publish_qos0_qos1_retain(void **state)
{
    (void)state;
    uint16_t id = 77;
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_publish(&S.c, "a/b", "hi", 2, 0, false, &id), PD_OK);
    assert_int_equal(id, 0);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    EXPECT_OUT(0x30, 7, 0, 3, 'a', '/', 'b', 'h', 'i');
    pd_script_clear(&S);
    assert_int_equal(pd_publish(&S.c, "a/b", "hi", 2, 1, true, &id), PD_OK);
    assert_int_equal(id, 1);
    assert_int_equal(pd_poll(&S.c, 2), PD_OK);
    EXPECT_OUT(0x33, 9, 0, 3, 'a', '/', 'b', 0, 1, 'h', 'i');
    assert_int_equal(pd_inflight(&S.c), 1);
    pd_script_clear(&S);
    /* empty payload */
    assert_int_equal(pd_publish(&S.c, "a", NULL, 0, 0, false, NULL), PD_OK);
    assert_int_equal(pd_poll(&S.c, 3), PD_OK);
    EXPECT_OUT(0x30, 3, 0, 1, 'a');
}

static void test_pd_encode_subscribe_unsubscribe(void **state)
{
    (void)state;
    uint16_t id = 0;
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_subscribe(&S.c, "a/#", 1, &id), PD_OK);
    assert_int_equal(id, 1);
    assert_int_equal(pd_unsubscribe(&S.c, "a/#", &id), PD_OK);
    assert_int_equal(id, 2);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    EXPECT_OUT(0x82, 8, 0, 1, 0, 3, 'a', '/', '#', 1, 0xA2, 7, 0, 2, 0, 3, 'a', '/', '#');
    assert_int_equal(pd_inflight(&S.c), 2);
    assert_int_equal(pd_subscribe(&S.c, "a", 2, NULL), PD_ERR_PARAM);
    assert_int_equal(pd_subscribe(&S.c, "", 0, NULL), PD_ERR_PARAM);
    assert_int_equal(pd_unsubscribe(&S.c, NULL, NULL), PD_ERR_PARAM);
}

static void test_pd_encode_puback_pingreq_disconnect(void **state)
{
    (void)state;
    static const uint8_t pub[] = {0x32, 6, 0, 1, 't', 0x12, 0x34, 'x'};
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 10, 0);
    pd_script_feed(&S, pub, sizeof pub);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    EXPECT_OUT(0x40, 2, 0x12, 0x34);
    pd_script_clear(&S);
    assert_int_equal(pd_poll(&S.c, 7500), PD_OK); /* 3/4 of the keepalive after the PUBACK at 1 */
    assert_int_equal(S.out_len, 0);
    assert_int_equal(pd_poll(&S.c, 7501), PD_OK);
    EXPECT_OUT(0xC0, 0);
    pd_script_clear(&S);
    assert_int_equal(pd_disconnect(&S.c), PD_OK);
    assert_int_equal(pd_state(&S.c), PD_ST_DISCONNECTING);
    assert_int_equal(pd_poll(&S.c, 7501), PD_OK);
    EXPECT_OUT(0xE0, 0);
    assert_int_equal(pd_state(&S.c), PD_ST_IDLE);
    assert_int_equal(pd_script_last(&S, PD_EV_DISCONNECTED)->ev.status, PD_OK);
    assert_int_equal(pd_disconnect(&S.c), PD_ERR_STATE);
}

static void test_pd_encode_room_helpers(void **state)
{
    (void)state;
    uint16_t id = 0;
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_room_join(&S.c, "lab", 1, &id), PD_OK);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    EXPECT_OUT(0x82, 43, 0, 1, 0, 15, 'r', 'o', 'o', 'm', 's', '/', 'l', 'a', 'b', '/', 'm', 's',
               'g', '/', '+', 1, 0, 20, 'r', 'o', 'o', 'm', 's', '/', 'l', 'a', 'b', '/', 'p', 'r',
               'e', 's', 'e', 'n', 'c', 'e', '/', '+', 0);
    pd_script_clear(&S);
    assert_int_equal(pd_room_leave(&S.c, "lab", &id), PD_OK);
    assert_int_equal(id, 2);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    EXPECT_OUT(0xA2, 41, 0, 2, 0, 15, 'r', 'o', 'o', 'm', 's', '/', 'l', 'a', 'b', '/', 'm', 's',
               'g', '/', '+', 0, 20, 'r', 'o', 'o', 'm', 's', '/', 'l', 'a', 'b', '/', 'p', 'r',
               'e', 's', 'e', 'n', 'c', 'e', '/', '+');
    pd_script_clear(&S);
    assert_int_equal(pd_room_say(&S.c, "me", "lab", "yo", 2, 0, NULL), PD_OK);
    assert_int_equal(pd_dm_send(&S.c, "me", "bob", "hi", 2, 0, NULL), PD_OK);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    EXPECT_OUT(0x30, 20, 0, 16, 'r', 'o', 'o', 'm', 's', '/', 'l', 'a', 'b', '/', 'm', 's', 'g',
               '/', 'm', 'e', 'y', 'o', 0x30, 22, 0, 18, 'u', 's', 'e', 'r', 's', '/', 'b', 'o',
               'b', '/', 'i', 'n', 'b', 'o', 'x', '/', 'm', 'e', 'h', 'i');
}

static void test_pd_encode_room_helpers_refuse_bad_names(void **state)
{
    (void)state;
    char longname[70];
    memset(longname, 'a', sizeof longname);
    longname[65] = '\0';
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_room_join(&S.c, "a/b", 0, NULL), PD_ERR_NAME);
    assert_int_equal(pd_room_join(&S.c, "", 0, NULL), PD_ERR_NAME);
    assert_int_equal(pd_room_join(&S.c, NULL, 0, NULL), PD_ERR_NAME);
    assert_int_equal(pd_room_leave(&S.c, "+", NULL), PD_ERR_NAME);
    assert_int_equal(pd_room_say(&S.c, "me", "l#", "x", 1, 0, NULL), PD_ERR_NAME);
    assert_int_equal(pd_room_say(&S.c, "m e", "lab", "x", 1, 0, NULL), PD_ERR_NAME);
    assert_int_equal(pd_room_say(&S.c, "me", longname, "x", 1, 0, NULL), PD_ERR_NAME);
    assert_int_equal(pd_dm_send(&S.c, "me", "$SYS", "x", 1, 0, NULL), PD_ERR_NAME);
    longname[64] = '\0';
    assert_true(pd_name_valid(longname));
    assert_true(pd_name_valid("A-z_0.9"));
    assert_false(pd_name_valid("caf\xc3\xa9"));
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    assert_int_equal(S.out_len, 0);
    assert_int_equal(pd_inflight(&S.c), 0);
}

static void test_pd_encode_payload_bound_512_passes_513_fails(void **state)
{
    (void)state;
    static uint8_t big[513];
    memset(big, 'z', sizeof big);
    pd_script_init(&S, 4096, 1024);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_publish(&S.c, "t", big, 513, 0, false, NULL), PD_ERR_TOO_BIG);
    assert_int_equal(pd_publish(&S.c, "t", big, 513, 1, false, NULL), PD_ERR_TOO_BIG);
    assert_int_equal(pd_room_say(&S.c, "me", "lab", big, 513, 1, NULL), PD_ERR_TOO_BIG);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    assert_int_equal(S.out_len, 0);
    assert_int_equal(pd_publish(&S.c, "t", big, 512, 0, false, NULL), PD_OK);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    /* 512 + 3 = 515 = 0x83 0x04 */
    assert_int_equal(S.out_len, 3 + 515);
    assert_int_equal(S.out[0], 0x30);
    assert_int_equal(S.out[1], 0x83);
    assert_int_equal(S.out[2], 0x04);
    assert_memory_equal(S.out + 6, big, 512);
    assert_string_equal(pd_strerror(PD_ERR_TOO_BIG),
                        "too big: payload above PD_MAX_PAYLOAD or packet above the buffer");
}

/* The fixed header as MQTT defines it for any remaining length (a reference for the parser;
 * the library itself never sends more than two length bytes). */
static uint32_t ref_header(uint8_t *dst, uint32_t type, uint32_t rem)
{
    uint32_t i = 1;
    dst[0] = (uint8_t)type;
    do {
        uint8_t b = (uint8_t)(rem & 0x7Fu);
        rem >>= 7;
        dst[i++] = (uint8_t)(rem ? (b | 0x80u) : b);
    } while (rem);
    return i;
}

static void test_pd_encode_remaining_length_edges(void **state)
{
    (void)state;
    static const struct {
        uint32_t v;
        uint8_t n;
        uint8_t b[4];
    } t[] = {{0, 1, {0}},
             {127, 1, {0x7F}},
             {128, 2, {0x80, 0x01}},
             {PD_PACKET_MAX - 3, 2, {0xFC, 0x3F}},
             {16383, 2, {0xFF, 0x7F}},
             {16384, 3, {0x80, 0x80, 0x01}},
             {2097151, 3, {0xFF, 0xFF, 0x7F}},
             {2097152, 4, {0x80, 0x80, 0x80, 0x01}},
             {268435455, 4, {0xFF, 0xFF, 0xFF, 0x7F}}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint8_t buf[5];
        uint32_t hl = 0;
        uint32_t rem = 0;
        assert_int_equal(ref_header(buf, 0x30, t[i].v), 1u + t[i].n);
        assert_memory_equal(buf + 1, t[i].b, t[i].n);
        if (t[i].v <= 16383u) { /* the library's own header writer, up to its bound */
            uint8_t mine[3] = {0, 0, 0};
            assert_int_equal(PD_ENC_HDR_SIZE(t[i].v), 1u + t[i].n);
            pd_enc_header(mine, 0x30, t[i].v);
            assert_memory_equal(mine, buf, 1u + t[i].n);
        }
        assert_int_equal(pd_parse_header(buf, 1u + t[i].n, &hl, &rem), PD_OK);
        assert_int_equal(hl, 1u + t[i].n);
        assert_int_equal(rem, t[i].v);
        for (uint32_t k = 0; k < 1u + t[i].n; k++) {
            assert_int_equal(pd_parse_header(buf, k, &hl, &rem), PD_ERR_NEED_MORE);
        }
    }
}

static void test_pd_encode_remaining_length_127_128_through_client(void **state)
{
    (void)state;
    static uint8_t p[200];
    memset(p, 'q', sizeof p);
    pd_script_init(&S, 1024, 256);
    pd_script_connect(&S, 0, 0);
    /* topic "t" (3 bytes) + payload 124 = 127; + 125 = 128 */
    assert_int_equal(pd_publish(&S.c, "t", p, 124, 0, false, NULL), PD_OK);
    assert_int_equal(pd_publish(&S.c, "t", p, 125, 0, false, NULL), PD_OK);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    assert_int_equal(S.out_len, 2 + 127 + 3 + 128);
    assert_int_equal(S.out[1], 0x7F);
    assert_int_equal(S.out[129], 0x30);
    assert_int_equal(S.out[130], 0x80);
    assert_int_equal(S.out[131], 0x01);
}

static void test_pd_encode_too_big_for_buffer(void **state)
{
    (void)state;
    static uint8_t p[512];
    pd_script_init(&S, 64, 64);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_publish(&S.c, "t", p, 100, 0, false, NULL), PD_ERR_TOO_BIG);
    /* A held publish stays in txbuf until answered, and a reconnect's CONNECT (15 B) goes in
     * front of it, so it needs room for itself, the CONNECT and 4 bytes: 39 bytes of payload
     * (46 B) need 65 */
    assert_int_equal(pd_publish(&S.c, "t", p, 39, 1, false, NULL), PD_ERR_TOO_BIG);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(S.c.tx_len, 0);
    assert_int_equal(pd_publish(&S.c, "t", p, 38, 1, false, NULL), PD_OK); /* 45 + 15 + 4 */
    /* the next one fits alone but not beside the first: busy */
    assert_int_equal(pd_publish(&S.c, "t", p, 0, 1, false, NULL), PD_ERR_BUSY); /* 7 B */
    assert_int_equal(pd_inflight(&S.c), 1);
    /* so a reconnect always fits beside the held messages */
    pd_abort(&S.c);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_inflight(&S.c), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pd_encode_connect_with_will_user_password),
        cmocka_unit_test(test_pd_encode_connect_minimal_clean),
        cmocka_unit_test(test_pd_encode_connect_token_as_password),
        cmocka_unit_test(test_pd_encode_connect_rejects_bad_will),
        cmocka_unit_test(test_pd_encode_publish_qos0_qos1_retain),
        cmocka_unit_test(test_pd_encode_subscribe_unsubscribe),
        cmocka_unit_test(test_pd_encode_puback_pingreq_disconnect),
        cmocka_unit_test(test_pd_encode_room_helpers),
        cmocka_unit_test(test_pd_encode_room_helpers_refuse_bad_names),
        cmocka_unit_test(test_pd_encode_payload_bound_512_passes_513_fails),
        cmocka_unit_test(test_pd_encode_remaining_length_edges),
        cmocka_unit_test(test_pd_encode_remaining_length_127_128_through_client),
        cmocka_unit_test(test_pd_encode_too_big_for_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
