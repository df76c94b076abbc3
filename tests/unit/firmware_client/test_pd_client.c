/* Session behaviour over a scripted transport: partial I/O, would-block, keepalive,
 * retransmission, acknowledgements, oversize and malformed input, reconnects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pd_parse.h"
#include "pd_script.h"

static struct pd_script S;
static struct pd_script REF;

#define PKT(name, ...) static const uint8_t name[] = {__VA_ARGS__}
#define FEED(s, p) pd_script_feed((s), (p), sizeof(p))
#define EXPECT_OUT(...)                                                                            \
    do {                                                                                           \
        static const uint8_t want_[] = {__VA_ARGS__};                                              \
        assert_int_equal(S.out_len, sizeof want_);                                                 \
        assert_memory_equal(S.out, want_, sizeof want_);                                           \
    } while (0)

PKT(connack_ok, 0x20, 2, 0, 0);
PKT(connack_sp, 0x20, 2, 1, 0);
PKT(pingresp, 0xD0, 0);

/* Poll until the input is consumed and nothing is left to write (bounded). */
/* Bytes of the held packets (QoS 1 PUBLISH, SUBSCRIBE, UNSUBSCRIBE awaiting an answer) in
 * txbuf, walked packet by packet as the library lays them out. */
static size_t held_bytes(const struct pd_client *c)
{
    size_t held = 0;
    size_t off = 0;
    while (off < c->tx_len) {
        const uint8_t *p = c->tx + off;
        size_t n = p[1] & 0x80u ? 3u + (p[1] & 0x7Fu) + ((size_t)p[2] << 7) : 2u + p[1];
        if (p[0] & 0x02u) {
            held += n;
        }
        off += n;
    }
    assert_int_equal(off, c->tx_len);
    return held;
}

static void drain(struct pd_script *s, uint32_t now)
{
    for (int i = 0; i < 20000; i++) {
        assert_int_equal(pd_poll(&s->c, now), PD_OK);
        if (s->in_pos == s->in_len && s->c.tx_sent == s->c.tx_len && i > 4) {
            return;
        }
    }
    fail_msg("session did not settle");
}

/* A session in three phases, each drained: connect + subscribe + QoS 1 publish; CONNACK and
 * SUBACK in; PUBACK and an incoming QoS 1 message in. */
static void run_session_at(struct pd_script *s, size_t rchunk, size_t wchunk, int block,
                           unsigned block_at)
{
    PKT(suback, 0x90, 3, 0, 1, 1);
    PKT(puback, 0x40, 2, 0, 2);
    PKT(msg, 0x32, 9, 0, 3, 'a', '/', 'c', 0, 5, 'y', 'o');
    struct pd_connect_opts o = {"d", "u", "p", NULL, 30, true};
    pd_script_init(s, 1024, 256);
    s->recv_chunk = rchunk;
    s->send_chunk = wchunk;
    s->block_every = block;
    s->block_at = block_at;
    assert_int_equal(pd_connect(&s->c, &o, 0), PD_OK);
    assert_int_equal(pd_subscribe(&s->c, "a/+", 1, NULL), PD_OK);
    assert_int_equal(pd_publish(&s->c, "a/b", "hello", 5, 1, false, NULL), PD_OK);
    drain(s, 0);
    pd_script_feed(s, connack_ok, sizeof connack_ok);
    pd_script_feed(s, suback, sizeof suback);
    drain(s, 1);
    pd_script_feed(s, puback, sizeof puback);
    pd_script_feed(s, msg, sizeof msg);
    drain(s, 2);
    assert_int_equal(pd_state(&s->c), PD_ST_CONNECTED);
    assert_int_equal(pd_inflight(&s->c), 0);
}

static void run_session(struct pd_script *s, size_t rchunk, size_t wchunk, int block)
{
    run_session_at(s, rchunk, wchunk, block, 0);
}

static void expect_same_as_reference(void)
{
    assert_int_equal(S.out_len, REF.out_len);
    assert_memory_equal(S.out, REF.out, REF.out_len);
    assert_int_equal(S.nev, REF.nev);
    for (unsigned i = 0; i < REF.nev; i++) {
        assert_int_equal(S.evs[i].ev.type, REF.evs[i].ev.type);
        assert_int_equal(S.evs[i].ev.id, REF.evs[i].ev.id);
        assert_int_equal(S.evs[i].ev.len, REF.evs[i].ev.len);
        assert_memory_equal(S.evs[i].data, REF.evs[i].data, REF.evs[i].ev.len);
    }
}

static void test_pd_client_reference_session(void **state)
{
    (void)state;
    run_session(&REF, 0, 0, 0);
    /* CONNECT, SUBSCRIBE, PUBLISH, PUBACK(5) */
    assert_int_equal(REF.out[0], 0x10);
    assert_int_equal(REF.nev, 4);
    assert_int_equal(REF.evs[0].ev.type, PD_EV_CONNACK);
    assert_int_equal(REF.evs[1].ev.type, PD_EV_SUBACK);
    assert_int_equal(REF.evs[2].ev.type, PD_EV_PUBACK);
    assert_int_equal(REF.evs[3].ev.type, PD_EV_MESSAGE);
    assert_memory_equal(REF.evs[3].data, "yo", 2);
    assert_string_equal(REF.evs[3].topic, "a/c");
    assert_memory_equal(REF.out + REF.out_len - 4, "\x40\x02\x00\x05", 4);
    /* the receive path never asks beyond the current packet */
    assert_true(REF.max_recv_ask <= 9);
}

static void test_pd_client_one_byte_at_a_time(void **state)
{
    (void)state;
    run_session(&REF, 0, 0, 0);
    run_session(&S, 1, 1, 0);
    expect_same_as_reference();
    assert_true(S.recv_calls >= 4 + 5 + 4 + 11);
}

static void test_pd_client_would_block_at_every_point(void **state)
{
    (void)state;
    run_session(&REF, 0, 0, 0);
    for (int every = 1; every <= 7; every++) {
        run_session(&S, 1, 1, every == 1 ? 0 : every);
        expect_same_as_reference();
        run_session(&S, 3, 2, every + 1);
        expect_same_as_reference();
    }
}

static void test_pd_client_would_block_at_each_single_call(void **state)
{
    (void)state;
    unsigned calls;
    run_session(&REF, 0, 0, 0);
    run_session(&S, 1, 1, 0);
    calls = S.send_calls + S.recv_calls;
    assert_true(calls > 60); /* the session really is byte by byte */
    for (unsigned n = 1; n <= calls + 1; n++) {
        run_session_at(&S, 1, 1, 0, n);
        expect_same_as_reference();
    }
}

static void test_pd_client_every_truncation_of_every_incoming_packet(void **state)
{
    (void)state;
    PKT(p1, 0x30, 5, 0, 1, 't', 'h', 'i');
    PKT(p2, 0x32, 7, 0, 1, 't', 0, 9, 'h', 'i');
    PKT(p3, 0x90, 4, 0, 1, 0, 0x80);
    PKT(p4, 0xB0, 2, 0, 2);
    PKT(p5, 0x40, 2, 0, 3);
    const struct {
        const uint8_t *p;
        size_t n;
        enum pd_event_type t;
    } pk[] = {{p1, sizeof p1, PD_EV_MESSAGE}, {p2, sizeof p2, PD_EV_MESSAGE},
              {p3, sizeof p3, PD_EV_SUBACK},  {p4, sizeof p4, PD_EV_UNSUBACK},
              {p5, sizeof p5, PD_EV_PUBACK},  {pingresp, sizeof pingresp, PD_EV_PINGRESP}};
    for (size_t i = 0; i < sizeof pk / sizeof pk[0]; i++) {
        for (size_t k = 0; k < pk[i].n; k++) {
            pd_script_init(&S, 512, 256);
            pd_script_connect(&S, 0, 0);
            assert_int_equal(pd_subscribe(&S.c, "x", 0, NULL), PD_OK);          /* id 1 */
            assert_int_equal(pd_unsubscribe(&S.c, "x", NULL), PD_OK);           /* id 2 */
            assert_int_equal(pd_publish(&S.c, "t", "v", 1, 1, 0, NULL), PD_OK); /* id 3 */
            assert_int_equal(pd_poll(&S.c, 1), PD_OK);
            pd_script_clear(&S);
            pd_script_feed(&S, pk[i].p, k);
            assert_int_equal(pd_poll(&S.c, 2), PD_OK);
            assert_int_equal(S.nev, 0);
            assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
            pd_script_feed(&S, pk[i].p + k, pk[i].n - k);
            assert_int_equal(pd_poll(&S.c, 3), PD_OK);
            if (pk[i].t == PD_EV_PINGRESP) {
                assert_int_equal(S.nev, 0);
            } else {
                assert_int_equal(S.nev, 1);
                assert_int_equal(S.evs[0].ev.type, pk[i].t);
            }
            assert_int_equal(S.c.rx_len, 0);
        }
    }
}

static void test_pd_client_keepalive_ping_and_pingresp(void **state)
{
    (void)state;
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 10, 1000);
    assert_int_equal(pd_poll(&S.c, 1000 + 7499), PD_OK);
    assert_int_equal(S.out_len, 0);
    assert_int_equal(pd_poll(&S.c, 1000 + 7500), PD_OK);
    EXPECT_OUT(0xC0, 0);
    assert_int_equal(pd_poll(&S.c, 1000 + 7500 + 4999), PD_OK);
    FEED(&S, pingresp);
    assert_int_equal(pd_poll(&S.c, 1000 + 7500 + 4999), PD_OK);
    assert_int_equal(pd_poll(&S.c, 1000 + 7500 + 6000), PD_OK);
    assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
    /* the next one 3/4 keepalive after the last traffic (the PINGREQ at 8500; PINGRESP 13499) */
    pd_script_clear(&S);
    assert_int_equal(pd_poll(&S.c, 8500 + 7499), PD_OK);
    assert_int_equal(S.out_len, 0);
    assert_int_equal(pd_poll(&S.c, 8500 + 7500), PD_OK);
    EXPECT_OUT(0xC0, 0);
    assert_int_equal(S.nev, 0);
}

static void test_pd_client_pingresp_timeout_declares_link_dead(void **state)
{
    (void)state;
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 4, 0);
    assert_int_equal(pd_poll(&S.c, 3000), PD_OK);
    EXPECT_OUT(0xC0, 0);
    assert_int_equal(pd_poll(&S.c, 4999), PD_OK);
    assert_int_equal(pd_poll(&S.c, 5000), PD_ERR_TIMEOUT); /* 3000 + 4000/2 */
    assert_int_equal(pd_state(&S.c), PD_ST_IDLE);
    assert_int_equal(S.nev, 1);
    assert_int_equal(S.evs[0].ev.type, PD_EV_DISCONNECTED);
    assert_int_equal(S.evs[0].ev.status, PD_ERR_TIMEOUT);
    /* within 1.5 x keepalive of the last sign of life, even while we keep sending */
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 4, 0);
    for (uint32_t t = 500; t < 6000; t += 500) {
        if (pd_state(&S.c) != PD_ST_CONNECTED) {
            assert_true(t <= 6000);
            break;
        }
        assert_int_equal(pd_publish(&S.c, "t", "x", 1, 0, false, NULL), PD_OK);
        (void)pd_poll(&S.c, t);
    }
    assert_int_equal(pd_state(&S.c), PD_ST_IDLE);
    assert_int_equal(pd_script_last(&S, PD_EV_DISCONNECTED)->ev.status, PD_ERR_TIMEOUT);
}

static void test_pd_client_stuck_link_detected_even_with_full_queue(void **state)
{
    (void)state;
    static uint8_t p[200];
    pd_script_init(&S, 256, 64);
    pd_script_connect(&S, 4, 0);
    S.send_budget = 0; /* the link stops taking bytes */
    assert_int_equal(pd_publish(&S.c, "t", p, sizeof p, 0, false, NULL), PD_OK); /* 206 B */
    while (pd_publish(&S.c, "t", NULL, 0, 0, false, NULL) == PD_OK) {            /* 5 B each */
    }
    assert_int_equal(S.c.tx_len, S.c.tx_cap); /* no room even for a PINGREQ */
    assert_int_equal(pd_poll(&S.c, 3000), PD_OK);
    assert_int_equal(pd_poll(&S.c, 4999), PD_OK);
    assert_int_equal(pd_poll(&S.c, 5000), PD_ERR_TIMEOUT);
    assert_int_equal(pd_state(&S.c), PD_ST_IDLE);
}

static void test_pd_client_connack_timeout_and_refusal(void **state)
{
    (void)state;
    PKT(refused, 0x20, 2, 0, 4);
    struct pd_connect_opts o = {"d", NULL, NULL, NULL, 0, true};
    pd_script_init(&S, 512, 256);
    assert_int_equal(pd_connect(&S.c, &o, 100), PD_OK);
    assert_int_equal(pd_poll(&S.c, 100 + PD_CONNACK_TIMEOUT_MS - 1), PD_OK);
    assert_int_equal(pd_poll(&S.c, 100 + PD_CONNACK_TIMEOUT_MS), PD_ERR_TIMEOUT);
    assert_int_equal(pd_state(&S.c), PD_ST_IDLE);
    pd_script_init(&S, 512, 256);
    assert_int_equal(pd_connect(&S.c, &o, 0), PD_OK);
    FEED(&S, refused);
    assert_int_equal(pd_poll(&S.c, 1), PD_ERR_REFUSED);
    assert_int_equal(S.nev, 2);
    assert_int_equal(S.evs[0].ev.type, PD_EV_CONNACK);
    assert_int_equal(S.evs[0].ev.code, 4);
    assert_int_equal(S.evs[1].ev.type, PD_EV_DISCONNECTED);
    assert_int_equal(S.evs[1].ev.status, PD_ERR_REFUSED);
    assert_int_equal(pd_state(&S.c), PD_ST_IDLE);
}

static void test_pd_client_retransmit_with_dup(void **state)
{
    (void)state;
    PKT(puback, 0x40, 2, 0, 1);
    uint16_t id = 0;
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_publish(&S.c, "t", "m", 1, 1, false, &id), PD_OK);
    assert_int_equal(id, 1);
    assert_int_equal(pd_poll(&S.c, 1000), PD_OK);
    EXPECT_OUT(0x32, 6, 0, 1, 't', 0, 1, 'm');
    pd_script_clear(&S);
    assert_int_equal(pd_poll(&S.c, 1000 + PD_RETRY_MS - 128), PD_OK);
    assert_int_equal(S.out_len, 0);
    assert_int_equal(pd_poll(&S.c, 1000 + PD_RETRY_MS + 64), PD_OK);
    EXPECT_OUT(0x3A, 6, 0, 1, 't', 0, 1, 'm');
    pd_script_clear(&S);
    assert_int_equal(pd_poll(&S.c, 1000 + 2 * PD_RETRY_MS + 128), PD_OK);
    EXPECT_OUT(0x3A, 6, 0, 1, 't', 0, 1, 'm');
    pd_script_clear(&S);
    FEED(&S, puback);
    assert_int_equal(pd_poll(&S.c, 1000 + 2 * PD_RETRY_MS + 200), PD_OK);
    assert_int_equal(S.nev, 1);
    assert_int_equal(S.evs[0].ev.type, PD_EV_PUBACK);
    assert_int_equal(S.evs[0].ev.id, 1);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(held_bytes(&S.c), 0); /* the bytes are released */
    assert_int_equal(pd_poll(&S.c, 1000 + 5 * PD_RETRY_MS), PD_OK);
    assert_int_equal(S.out_len, 0);
}

/* A retransmission cut by would-block mid-packet, then the PUBACK of the first copy arrives:
 * it is ignored (the held bytes are being written and must finish on the wire), the copy is
 * completed, and the broker's answer to it releases the message; a later stray PUBACK for the
 * id is ignored, and nothing is sent again. */
static void test_pd_client_puback_during_half_written_retransmit(void **state)
{
    (void)state;
    PKT(puback, 0x40, 2, 0, 1);
    pd_script_init(&S, 512, 64);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_publish(&S.c, "t", "m", 1, 1, false, NULL), PD_OK);
    assert_int_equal(pd_poll(&S.c, 0), PD_OK);
    EXPECT_OUT(0x32, 6, 0, 1, 't', 0, 1, 'm');
    pd_script_clear(&S);
    S.send_budget = 3;
    assert_int_equal(pd_poll(&S.c, PD_RETRY_MS + 64), PD_OK);
    EXPECT_OUT(0x3A, 6, 0);
    FEED(&S, puback);
    S.send_budget = SIZE_MAX;
    assert_int_equal(pd_poll(&S.c, PD_RETRY_MS + 100), PD_OK);
    EXPECT_OUT(0x3A, 6, 0, 1, 't', 0, 1, 'm');
    assert_int_equal(S.nev, 0);
    assert_int_equal(pd_inflight(&S.c), 1);
    FEED(&S, puback); /* the answer to the second copy */
    assert_int_equal(pd_poll(&S.c, PD_RETRY_MS + 200), PD_OK);
    assert_int_equal(S.nev, 1);
    assert_int_equal(S.evs[0].ev.type, PD_EV_PUBACK);
    assert_int_equal(S.evs[0].ev.id, 1);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(S.c.tx_len, 0);
    pd_script_clear(&S);
    assert_int_equal(pd_poll(&S.c, 4 * PD_RETRY_MS), PD_OK);
    assert_int_equal(S.out_len, 0);
    FEED(&S, puback);
    assert_int_equal(pd_poll(&S.c, 4 * PD_RETRY_MS + 1), PD_OK);
    assert_int_equal(S.nev, 0);
    assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
}

static void test_pd_client_no_retransmit_pile_up_behind_a_slow_link(void **state)
{
    (void)state;
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 0, 0);
    S.send_budget = 0; /* the link takes nothing */
    assert_int_equal(pd_publish(&S.c, "t", "m", 1, 1, false, NULL), PD_OK);
    assert_int_equal(pd_poll(&S.c, 0), PD_OK);
    assert_int_equal(S.c.tx_len, 8); /* held, not written: no copy is ever made */
    assert_int_equal(S.c.tx_sent, 0);
    assert_int_equal(pd_poll(&S.c, 3 * PD_RETRY_MS), PD_OK);
    assert_int_equal(S.c.tx_len, 8);
    S.send_budget = SIZE_MAX;
    assert_int_equal(pd_poll(&S.c, 3 * PD_RETRY_MS), PD_OK);
    EXPECT_OUT(0x32, 6, 0, 1, 't', 0, 1, 'm');
    pd_script_clear(&S);
    assert_int_equal(pd_poll(&S.c, 4 * PD_RETRY_MS + 64), PD_OK);
    EXPECT_OUT(0x3A, 6, 0, 1, 't', 0, 1, 'm');
    assert_int_equal(S.c.tx_sent, S.c.tx_len);
}

static void test_pd_client_puback_for_unknown_id_is_ignored(void **state)
{
    (void)state;
    PKT(puback9, 0x40, 2, 0, 9);
    PKT(suback9, 0x90, 3, 0, 9, 0);
    PKT(unsuback1, 0xB0, 2, 0, 1);
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_publish(&S.c, "t", "m", 1, 1, false, NULL), PD_OK); /* id 1 */
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    FEED(&S, puback9);
    FEED(&S, suback9);
    FEED(&S, unsuback1); /* id 1 is a publish, not an UNSUBSCRIBE */
    assert_int_equal(pd_poll(&S.c, 2), PD_OK);
    assert_int_equal(S.nev, 0);
    assert_int_equal(pd_inflight(&S.c), 1);
    assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
}

/* An acknowledgement for a held packet that has not been written yet is stale (the broker
 * cannot have answered it): ignored, and the packet still goes out and is released by the
 * answer to it. */
static void test_pd_client_ack_before_the_packet_is_written_is_ignored(void **state)
{
    (void)state;
    PKT(puback, 0x40, 2, 0, 1);
    PKT(suback, 0x90, 3, 0, 2, 1);
    pd_script_init(&S, 512, 64);
    pd_script_connect(&S, 0, 0);
    S.send_budget = 0;
    assert_int_equal(pd_publish(&S.c, "t", "m", 1, 1, false, NULL), PD_OK); /* id 1 */
    assert_int_equal(pd_subscribe(&S.c, "s", 1, NULL), PD_OK);              /* id 2 */
    FEED(&S, puback);
    FEED(&S, suback);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    assert_int_equal(S.nev, 0);
    assert_int_equal(pd_inflight(&S.c), 2);
    S.send_budget = SIZE_MAX;
    assert_int_equal(pd_poll(&S.c, 2), PD_OK);
    EXPECT_OUT(0x32, 6, 0, 1, 't', 0, 1, 'm', 0x82, 6, 0, 2, 0, 1, 's', 1);
    FEED(&S, puback);
    FEED(&S, suback);
    assert_int_equal(pd_poll(&S.c, 3), PD_OK);
    assert_int_equal(pd_script_count(&S, PD_EV_PUBACK), 1);
    assert_int_equal(pd_script_count(&S, PD_EV_SUBACK), 1);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(S.c.tx_len, 0);
}

/* Only QoS 1 is held: a retained QoS 0 PUBLISH (type 0x31) leaves txbuf once written, takes
 * no window place and no id; a retained QoS 1 one (0x33) is held and gets DUP later. */
static void test_pd_client_retained_qos0_is_not_held(void **state)
{
    (void)state;
    uint16_t id = 9;
    pd_script_init(&S, 512, 64);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_publish(&S.c, "t", "r", 1, 0, true, &id), PD_OK);
    assert_int_equal(id, 0);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(pd_publish(&S.c, "t", "q", 1, 1, true, &id), PD_OK);
    assert_int_equal(id, 1);
    assert_int_equal(pd_poll(&S.c, 0), PD_OK);
    EXPECT_OUT(0x31, 4, 0, 1, 't', 'r', 0x33, 6, 0, 1, 't', 0, 1, 'q');
    assert_int_equal(S.c.tx_len, 8); /* only the QoS 1 one stays */
    assert_int_equal(pd_inflight(&S.c), 1);
    pd_script_clear(&S);
    assert_int_equal(pd_poll(&S.c, PD_RETRY_MS), PD_OK);
    EXPECT_OUT(0x3B, 6, 0, 1, 't', 0, 1, 'q');
}

/* A retransmission writes every held packet again, in order: the PUBLISH with DUP, a
 * SUBSCRIBE still waiting for its SUBACK as it was (DUP is reserved there). */
static void test_pd_client_retransmit_resends_every_held_packet(void **state)
{
    (void)state;
    pd_script_init(&S, 512, 64);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_publish(&S.c, "t", "m", 1, 1, false, NULL), PD_OK);
    assert_int_equal(pd_subscribe(&S.c, "s", 1, NULL), PD_OK);
    assert_int_equal(pd_publish(&S.c, "t", "x", 1, 0, false, NULL), PD_OK); /* leaves */
    assert_int_equal(pd_poll(&S.c, 0), PD_OK);
    EXPECT_OUT(0x32, 6, 0, 1, 't', 0, 1, 'm', 0x82, 6, 0, 2, 0, 1, 's', 1, 0x30, 4, 0, 1, 't', 'x');
    pd_script_clear(&S);
    assert_int_equal(pd_poll(&S.c, PD_RETRY_MS - 1), PD_OK);
    assert_int_equal(S.out_len, 0);
    assert_int_equal(pd_poll(&S.c, PD_RETRY_MS), PD_OK);
    EXPECT_OUT(0x3A, 6, 0, 1, 't', 0, 1, 'm', 0x82, 6, 0, 2, 0, 1, 's', 1);
    assert_int_equal(pd_inflight(&S.c), 2);
}

/* Each acknowledgement type releases only the slot kind that waits for it, whatever the id. */
static void test_pd_client_acks_match_only_their_kind(void **state)
{
    (void)state;
    PKT(wrong, 0x40, 2, 0, 1, 0xB0, 2, 0, 1, /* PUBACK and UNSUBACK for the SUBSCRIBE */
        0x90, 3, 0, 2, 0, 0x40, 2, 0, 2,     /* SUBACK and PUBACK for the UNSUBSCRIBE */
        0x90, 3, 0, 3, 1, 0xB0, 2, 0, 3);    /* SUBACK and UNSUBACK for the publish */
    PKT(right, 0xB0, 2, 0, 2, 0x40, 2, 0, 3, 0x90, 3, 0, 1, 1);
    uint16_t id[3];
    pd_script_init(&S, 512, 64);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_subscribe(&S.c, "s", 1, &id[0]), PD_OK);
    assert_int_equal(pd_unsubscribe(&S.c, "u", &id[1]), PD_OK);
    assert_int_equal(pd_publish(&S.c, "t", "m", 1, 1, false, &id[2]), PD_OK);
    assert_int_equal(id[0], 1);
    assert_int_equal(id[1], 2);
    assert_int_equal(id[2], 3);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    FEED(&S, wrong);
    assert_int_equal(pd_poll(&S.c, 2), PD_OK);
    assert_int_equal(S.nev, 0);
    assert_int_equal(pd_inflight(&S.c), 3);
    assert_int_equal(held_bytes(&S.c), 8 + 7 + 8); /* SUBSCRIBE, UNSUBSCRIBE, PUBLISH */
    assert_int_equal(S.c.tx_len, 8 + 7 + 8);
    FEED(&S, right);
    assert_int_equal(pd_poll(&S.c, 3), PD_OK);
    assert_int_equal(S.nev, 3);
    assert_int_equal(S.evs[0].ev.type, PD_EV_UNSUBACK);
    assert_int_equal(S.evs[0].ev.id, 2);
    assert_int_equal(S.evs[1].ev.type, PD_EV_PUBACK);
    assert_int_equal(S.evs[1].ev.id, 3);
    assert_int_equal(S.evs[2].ev.type, PD_EV_SUBACK);
    assert_int_equal(S.evs[2].ev.id, 1);
    assert_int_equal(S.evs[2].ev.code, 1);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(held_bytes(&S.c), 0);
    assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
}

static void test_pd_client_suback_failure_surfaced(void **state)
{
    (void)state;
    PKT(suback, 0x90, 4, 0, 1, 0x80, 0);
    uint16_t id;
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_room_join(&S.c, "lab", 1, &id), PD_OK);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    FEED(&S, suback);
    assert_int_equal(pd_poll(&S.c, 2), PD_OK);
    assert_int_equal(S.nev, 1);
    assert_int_equal(S.evs[0].ev.status, PD_ERR_REFUSED);
    assert_int_equal(S.evs[0].ev.code, 0x80);
    assert_int_equal(S.evs[0].ev.len, 2);
    assert_int_equal(S.evs[0].data[1], 0);
    assert_int_equal(pd_inflight(&S.c), 0);
}

static void test_pd_client_incoming_qos1_acked_and_duplicates_delivered(void **state)
{
    (void)state;
    PKT(m1, 0x32, 7, 0, 1, 't', 0x12, 0x34, 'h', 'i');
    PKT(m1dup, 0x3A, 7, 0, 1, 't', 0x12, 0x34, 'h', 'i');
    pd_script_init(&S, 512, 256);
    pd_script_connect(&S, 0, 0);
    FEED(&S, m1);
    FEED(&S, m1dup);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    EXPECT_OUT(0x40, 2, 0x12, 0x34, 0x40, 2, 0x12, 0x34);
    assert_int_equal(pd_script_count(&S, PD_EV_MESSAGE), 2);
    assert_false(S.evs[0].ev.dup);
    assert_true(S.evs[1].ev.dup);
    assert_int_equal(S.evs[1].ev.id, 0x1234);
}

static void test_pd_client_oversize_publish_dropped_and_counted(void **state)
{
    (void)state;
    static uint8_t big[300];
    PKT(after, 0x30, 4, 0, 1, 't', 'k');
    memset(big, 'z', sizeof big);
    /* QoS 1 PUBLISH, remaining length 297 (0xA9 0x02), topic "t", id 0x0102 */
    big[0] = 0x32;
    big[1] = 0xA9;
    big[2] = 0x02;
    big[3] = 0;
    big[4] = 1;
    big[5] = 't';
    big[6] = 1;
    big[7] = 2;
    pd_script_init(&S, 512, 64);
    pd_script_connect(&S, 0, 0);
    FEED(&S, big);
    FEED(&S, after);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    assert_int_equal(pd_dropped(&S.c), 1);
    assert_int_equal(S.nev, 2);
    assert_int_equal(S.evs[0].ev.type, PD_EV_DROPPED);
    assert_int_equal(S.evs[0].ev.len, 297);
    assert_int_equal(S.evs[0].ev.id, 0x0102);
    assert_int_equal(S.evs[1].ev.type, PD_EV_MESSAGE);
    assert_memory_equal(S.evs[1].data, "k", 1);
    EXPECT_OUT(0x40, 2, 1, 2);
    assert_true(S.max_recv_ask <= 64);
    assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
}

/* pd_dropped() stops at 65535; every drop is still reported. */
static void test_pd_client_dropped_count_saturates(void **state)
{
    (void)state;
    /* QoS 0 PUBLISH of 18 bytes (topic "t", 13 payload bytes) into a 16-byte rxbuf */
    PKT(big, 0x30, 16, 0, 1, 't', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
    pd_script_init(&S, 64, 16);
    pd_script_connect(&S, 0, 0);
    for (unsigned i = 0; i < 65537u; i++) {
        S.in_len = S.in_pos = 0;
        pd_script_clear(&S);
        FEED(&S, big);
        assert_int_equal(pd_poll(&S.c, i), PD_OK);
        assert_int_equal(S.nev, 1);
        assert_int_equal(S.evs[0].ev.type, PD_EV_DROPPED);
        assert_int_equal(pd_dropped(&S.c), i < 65535u ? i + 1u : 65535u);
    }
    assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
}

static void test_pd_client_remaining_length_edges_incoming(void **state)
{
    (void)state;
    static const uint32_t rems[] = {127, 128, 16383, 16384};
    static uint8_t pkt[16400];
    PKT(after, 0x30, 4, 0, 1, 't', 'k');
    for (size_t i = 0; i < sizeof rems / sizeof rems[0]; i++) {
        uint32_t rem = rems[i];
        uint32_t hl = 1;
        uint32_t v = rem;
        memset(pkt, 'p', sizeof pkt);
        pkt[0] = 0x30;
        do {
            pkt[hl++] = (uint8_t)((v & 0x7F) | (v > 127 ? 0x80 : 0));
            v >>= 7;
        } while (v);
        pkt[hl] = 0;
        pkt[hl + 1] = 1;
        pkt[hl + 2] = 't';
        pd_script_init(&S, 512, 1024);
        pd_script_connect(&S, 0, 0);
        pd_script_feed(&S, pkt, hl + rem);
        FEED(&S, after);
        drain(&S, 1);
        assert_int_equal(S.nev, 2);
        if (rem < 1024) {
            assert_int_equal(S.evs[0].ev.type, PD_EV_MESSAGE);
            assert_int_equal(S.evs[0].ev.len, rem - 3);
        } else {
            assert_int_equal(S.evs[0].ev.type, PD_EV_DROPPED);
            assert_int_equal(S.evs[0].ev.len, rem);
        }
        assert_int_equal(S.evs[1].ev.type, PD_EV_MESSAGE);
        assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
    }
    /* remaining length 0 (PINGRESP fine, PUBLISH malformed) and the maximum */
    pd_script_init(&S, 512, 1024);
    pd_script_connect(&S, 0, 0);
    PKT(maxpub, 0x30, 0xFF, 0xFF, 0xFF, 0x7F, 0, 1, 't');
    FEED(&S, pingresp);
    FEED(&S, maxpub);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    assert_int_equal(S.nev, 0); /* still reading the first 1024 bytes */
    assert_int_equal(S.c.rx_len, 8);
    PKT(zero, 0x30, 0);
    pd_script_init(&S, 512, 1024);
    pd_script_connect(&S, 0, 0);
    FEED(&S, zero);
    assert_int_equal(pd_poll(&S.c, 1), PD_ERR_MALFORMED);
}

static void test_pd_client_max_remaining_length_dropped(void **state)
{
    (void)state;
    static uint8_t pkt[64];
    memset(pkt, 'p', sizeof pkt);
    pkt[0] = 0x30;
    pkt[1] = 0xFF;
    pkt[2] = 0xFF;
    pkt[3] = 0xFF;
    pkt[4] = 0x7F;
    pkt[5] = 0;
    pkt[6] = 1;
    pkt[7] = 't';
    pd_script_init(&S, 512, 32);
    pd_script_connect(&S, 0, 0);
    FEED(&S, pkt);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    assert_int_equal(S.nev, 1);
    assert_int_equal(S.evs[0].ev.type, PD_EV_DROPPED);
    assert_int_equal(S.evs[0].ev.len, 268435455u);
    assert_int_equal(S.c.rx_skip, 268435455u + 5u - 64u);
    assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
}

static void test_pd_client_malformed_and_unexpected_packets_end_the_link(void **state)
{
    (void)state;
    PKT(bad_len, 0x30, 0x80, 0x80, 0x80, 0x80, 0x01);
    PKT(bad_flags, 0x41, 2, 0, 1);
    PKT(qos2, 0x34, 5, 0, 1, 't', 0, 1);
    PKT(subscribe, 0x82, 6, 0, 1, 0, 1, 't', 0);
    PKT(big_suback, 0x90, 100);
    const struct {
        const uint8_t *p;
        size_t n;
        enum pd_status st;
    } cases[] = {{bad_len, sizeof bad_len, PD_ERR_MALFORMED},
                 {bad_flags, sizeof bad_flags, PD_ERR_MALFORMED},
                 {qos2, sizeof qos2, PD_ERR_PROTOCOL},
                 {subscribe, sizeof subscribe, PD_ERR_PROTOCOL},
                 {connack_ok, sizeof connack_ok, PD_ERR_PROTOCOL}, /* second CONNACK */
                 {big_suback, sizeof big_suback, PD_ERR_OVERSIZE}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pd_script_init(&S, 512, 64);
        pd_script_connect(&S, 0, 0);
        pd_script_feed(&S, cases[i].p, cases[i].n);
        assert_int_equal(pd_poll(&S.c, 1), cases[i].st);
        assert_int_equal(pd_state(&S.c), PD_ST_IDLE);
        assert_int_equal(S.nev, 1);
        assert_int_equal(S.evs[0].ev.status, cases[i].st);
        assert_string_not_equal(pd_strerror(cases[i].st), "unknown status");
    }
    /* a PUBLISH before CONNACK */
    PKT(pub, 0x30, 3, 0, 1, 't');
    struct pd_connect_opts o = {"d", NULL, NULL, NULL, 0, true};
    pd_script_init(&S, 512, 64);
    assert_int_equal(pd_connect(&S.c, &o, 0), PD_OK);
    FEED(&S, pub);
    assert_int_equal(pd_poll(&S.c, 1), PD_ERR_PROTOCOL);
}

static void test_pd_client_transport_errors(void **state)
{
    (void)state;
    pd_script_init(&S, 512, 64);
    pd_script_connect(&S, 0, 0);
    S.recv_fail = PD_IO_CLOSED;
    assert_int_equal(pd_poll(&S.c, 1), PD_ERR_CLOSED);
    pd_script_init(&S, 512, 64);
    pd_script_connect(&S, 0, 0);
    S.recv_fail = 0; /* recv 0 counts as an error */
    S.recv_fail = PD_IO_ERROR;
    assert_int_equal(pd_poll(&S.c, 1), PD_ERR_TRANSPORT);
    pd_script_init(&S, 512, 64);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_publish(&S.c, "t", "x", 1, 0, false, NULL), PD_OK);
    S.send_fail = -77;
    assert_int_equal(pd_poll(&S.c, 1), PD_ERR_TRANSPORT);
    assert_int_equal(pd_script_last(&S, PD_EV_DISCONNECTED)->ev.status, PD_ERR_TRANSPORT);
    /* poll when idle does nothing */
    assert_int_equal(pd_poll(&S.c, 2), PD_OK);
}

static void test_pd_client_resend_unacked_after_reconnect(void **state)
{
    (void)state;
    struct pd_connect_opts o = {"d", NULL, NULL, NULL, 0, false};
    uint16_t id;
    pd_script_init(&S, 512, 64);
    assert_int_equal(pd_connect(&S.c, &o, 0), PD_OK);
    FEED(&S, connack_ok);
    assert_int_equal(pd_poll(&S.c, 0), PD_OK);
    assert_int_equal(pd_publish(&S.c, "t", "a", 1, 1, false, &id), PD_OK);
    assert_int_equal(id, 1);
    assert_int_equal(pd_subscribe(&S.c, "s", 1, NULL), PD_OK); /* id 2, never answered */
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    pd_script_clear(&S);
    S.recv_fail = PD_IO_CLOSED;
    assert_int_equal(pd_poll(&S.c, 2), PD_ERR_CLOSED);
    assert_int_equal(pd_inflight(&S.c), 1); /* the publish stays, the subscribe is gone */
    /* queued while offline: sent after the next CONNECT, without DUP */
    assert_int_equal(pd_publish(&S.c, "t", "b", 1, 1, false, &id), PD_OK);
    assert_int_equal(pd_publish(&S.c, "t", "c", 1, 0, false, NULL), PD_ERR_STATE);
    assert_int_equal(pd_subscribe(&S.c, "t", 0, NULL), PD_ERR_STATE);
    assert_int_equal(id, 3);
    S.recv_fail = 0;
    pd_script_clear(&S);
    assert_int_equal(pd_connect(&S.c, &o, 10), PD_OK);
    /* the held messages follow the CONNECT at once, in order (MQTT 3.1.1 3.1.4: a client
     * need not wait for the CONNACK), the one sent before with DUP */
    assert_int_equal(pd_poll(&S.c, 10), PD_OK);
    EXPECT_OUT(0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x00, 0, 0, 0, 1, 'd', 0x3A, 6, 0, 1, 't', 0,
               1, 'a', 0x32, 6, 0, 1, 't', 0, 3, 'b');
    pd_script_clear(&S);
    FEED(&S, connack_sp);
    assert_int_equal(pd_poll(&S.c, 11), PD_OK);
    assert_true(S.evs[0].ev.session_present);
    assert_int_equal(S.out_len, 0);
    assert_int_equal(pd_inflight(&S.c), 2);
}

static void test_pd_client_window_full_is_busy(void **state)
{
    (void)state;
    PKT(puback2, 0x40, 2, 0, 2);
    pd_script_init(&S, 1024, 64);
    pd_script_connect(&S, 0, 0);
    for (int i = 0; i < PD_INFLIGHT_MAX; i++) {
        assert_int_equal(pd_publish(&S.c, "t", "x", 1, 1, false, NULL), PD_OK);
    }
    assert_int_equal(pd_publish(&S.c, "t", "x", 1, 1, false, NULL), PD_ERR_BUSY);
    assert_int_equal(pd_subscribe(&S.c, "t", 1, NULL), PD_ERR_BUSY);
    assert_int_equal(pd_publish(&S.c, "t", "x", 1, 0, false, NULL), PD_OK); /* QoS 0: no slot */
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    FEED(&S, puback2);
    assert_int_equal(pd_poll(&S.c, 2), PD_OK);
    assert_int_equal(pd_inflight(&S.c), PD_INFLIGHT_MAX - 1);
    assert_int_equal(pd_publish(&S.c, "t", "y", 1, 1, false, NULL), PD_OK);
    assert_int_equal(pd_inflight(&S.c), PD_INFLIGHT_MAX);
    /* held bytes = remaining publishes, in slot order */
    assert_int_equal(held_bytes(&S.c), PD_INFLIGHT_MAX * 8);
    assert_int_equal(S.c.tx[(PD_INFLIGHT_MAX - 1) * 8 + 7], 'y');
}

static void test_pd_client_qos1_inserted_while_queue_half_written(void **state)
{
    (void)state;
    pd_script_init(&S, 512, 64);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_publish(&S.c, "t", "abc", 3, 0, false, NULL), PD_OK);
    S.send_budget = 3;
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    assert_int_equal(pd_publish(&S.c, "t", "q", 1, 1, false, NULL), PD_OK);
    S.send_budget = SIZE_MAX;
    assert_int_equal(pd_poll(&S.c, 2), PD_OK);
    EXPECT_OUT(0x30, 6, 0, 1, 't', 'a', 'b', 'c', 0x32, 6, 0, 1, 't', 0, 1, 'q');
}

static void feed_puback(struct pd_script *s, uint16_t id)
{
    const uint8_t ack[] = {0x40, 2, (uint8_t)(id >> 8), (uint8_t)id};
    pd_script_feed(s, ack, sizeof ack);
}

/* Walk what was written: count each QoS 1 PUBLISH by packet id in copies[] (ids below 256)
 * and forget the bytes. Every write in these tests completes, so out holds whole packets. */
static void count_publishes(struct pd_script *s, unsigned copies[256])
{
    size_t i = 0;
    while (i < s->out_len) {
        size_t rem = 0;
        size_t hl = 1;
        unsigned shift = 0;
        do {
            rem |= (size_t)(s->out[i + hl] & 0x7Fu) << shift;
            shift += 7;
        } while (s->out[i + hl++] & 0x80u);
        if ((s->out[i] & 0xF6u) == 0x32u) { /* PUBLISH QoS 1, any DUP and retain */
            const uint8_t *v = s->out + i + hl;
            size_t tl = (size_t)v[0] << 8 | v[1];
            unsigned id = (unsigned)v[2 + tl] << 8 | v[3 + tl];
            assert_true(id < 256);
            copies[id]++;
        }
        i += hl + rem;
    }
    assert_int_equal(i, s->out_len);
    s->out_len = 0;
}

/* The room rule: a held packet of T bytes leaves, beside everything queued, room for the last
 * CONNECT (C bytes) and 4 more (a PUBACK or PINGREQ), since after a link loss the CONNECT goes
 * in front of the held publishes: PD_ERR_TOO_BIG when T + C + 4 > txbuf (nothing queued, id
 * 0), PD_ERR_BUSY when it does not fit beside what is queued now. 64-byte txbuf, 15-byte
 * CONNECT: 45 B is the largest. */
static void test_pd_client_qos1_room_rule(void **state)
{
    (void)state;
    static uint8_t p[64];
    unsigned copies[256] = {0};
    uint16_t id = 7;
    uint16_t first;
    pd_script_init(&S, 64, 64);
    pd_script_connect(&S, 0, 0); /* 15-byte CONNECT */
    assert_int_equal(pd_publish(&S.c, "t", p, 39, 1, false, &id), PD_ERR_TOO_BIG); /* 46 B */
    assert_int_equal(id, 0);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(S.c.tx_len, 0);
    for (uint32_t t = 0; t <= 100000; t += 500) {
        assert_int_equal(pd_poll(&S.c, t), PD_OK);
    }
    assert_int_equal(S.out_len, 0);
    /* 45 B fits (45 + 15 + 4 = 64); the next, even empty, would not beside it: busy until the
     * first is acknowledged, then accepted and sent; QoS 0 needs only the free bytes */
    assert_int_equal(pd_publish(&S.c, "t", p, 38, 1, false, &first), PD_OK);
    assert_int_equal(pd_publish(&S.c, "t", p, 0, 1, false, &id), PD_ERR_BUSY);
    assert_int_equal(pd_inflight(&S.c), 1);
    assert_int_equal(held_bytes(&S.c), 45);
    assert_int_equal(pd_publish(&S.c, "t", p, 12, 0, false, NULL), PD_OK); /* 17 B: 62 */
    assert_int_equal(pd_publish(&S.c, "t", p, 1, 0, false, NULL), PD_ERR_BUSY);
    assert_int_equal(pd_poll(&S.c, 100001), PD_OK);
    count_publishes(&S, copies);
    assert_int_equal(copies[first], 1);
    assert_int_equal(S.c.tx_len, 45); /* written; held until its PUBACK */
    assert_int_equal(pd_publish(&S.c, "t", p, 0, 1, false, &id), PD_ERR_BUSY);
    feed_puback(&S, first);
    assert_int_equal(pd_poll(&S.c, 100002), PD_OK);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(pd_publish(&S.c, "t", p, 38, 1, false, &id), PD_OK);
    assert_int_equal(pd_poll(&S.c, 100003), PD_OK);
    count_publishes(&S, copies);
    assert_int_equal(copies[id], 1);
}

/* A publish exactly at the limit goes out, is retransmitted with DUP, is resent after a
 * reconnect right behind the CONNECT (which fits in front of it), and its PUBACK releases it.
 * Before the first pd_connect() the CONNECT's size is unknown (0): T + 4 <= txbuf. */
static void test_pd_client_qos1_at_the_boundary_goes_out(void **state)
{
    (void)state;
    static uint8_t p[64];
    struct pd_connect_opts o = {"d", NULL, NULL, NULL, 0, true};
    uint16_t id;
    pd_script_init(&S, 64, 64);
    pd_script_connect(&S, 0, 0);
    memset(p, 'b', sizeof p);
    assert_int_equal(pd_publish(&S.c, "t", p, 38, 1, false, &id), PD_OK); /* 45 B */
    assert_int_equal(pd_poll(&S.c, 0), PD_OK);
    assert_int_equal(S.out_len, 45);
    assert_int_equal(S.out[0], 0x32);
    assert_memory_equal(S.out + 7, p, 38);
    pd_script_clear(&S);
    assert_int_equal(pd_poll(&S.c, PD_RETRY_MS + 64), PD_OK);
    assert_int_equal(S.out_len, 45);
    assert_int_equal(S.out[0], 0x3A);
    pd_script_clear(&S);
    pd_abort(&S.c);
    assert_int_equal(pd_connect(&S.c, &o, PD_RETRY_MS + 100), PD_OK);
    assert_int_equal(S.c.tx_len, 15 + 45);
    assert_int_equal(pd_poll(&S.c, PD_RETRY_MS + 100), PD_OK);
    assert_int_equal(S.out_len, 15 + 45);
    assert_int_equal(S.out[0], 0x10);
    assert_int_equal(S.out[15], 0x3A);
    assert_memory_equal(S.out + 15 + 7, p, 38);
    FEED(&S, connack_ok);
    feed_puback(&S, id);
    assert_int_equal(pd_poll(&S.c, PD_RETRY_MS + 101), PD_OK);
    assert_int_equal(pd_script_count(&S, PD_EV_PUBACK), 1);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(S.c.tx_len, 0);

    /* idle before the first pd_connect(): 60 + 4 = 64 is taken; here the CONNECT (15 B) then
     * does not fit beside it, and a smaller one leaves room for it */
    pd_script_init(&S, 64, 64);
    assert_int_equal(pd_publish(&S.c, "t", p, 54, 1, false, NULL), PD_ERR_TOO_BIG); /* 61 B */
    assert_int_equal(pd_publish(&S.c, "t", p, 53, 1, false, NULL), PD_OK);          /* 60 B */
    assert_int_equal(pd_connect(&S.c, &o, 0), PD_ERR_TOO_BIG);
    pd_script_init(&S, 64, 64); /* (the application's way out: start over) */
    assert_int_equal(pd_publish(&S.c, "t", p, 23, 1, false, &id), PD_OK); /* 30 B */
    assert_int_equal(pd_connect(&S.c, &o, 0), PD_OK);
    assert_int_equal(pd_poll(&S.c, 0), PD_OK);
    assert_int_equal(S.out_len, 15 + 30);
    assert_int_equal(S.out[15], 0x32);
    FEED(&S, connack_ok);
    feed_puback(&S, id);
    assert_int_equal(pd_poll(&S.c, 2), PD_OK);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(S.c.tx_len, 0);
}

/* Large and small held publishes, alternating, the application retrying on PD_ERR_BUSY: every
 * one is accepted in time, written, and released by its PUBACK, even though the broker's first
 * PUBACK for each is lost (so each must be retransmitted). */
static void test_pd_client_qos1_large_then_small_cannot_wedge(void **state)
{
    (void)state;
    static uint8_t p[64];
    struct pd_connect_opts o = {"d", NULL, NULL, NULL, 0, true};
    unsigned copies[256] = {0};
    const unsigned want = 1 + 2 * PD_INFLIGHT_MAX;
    unsigned accepted = 0;
    unsigned acked = 0;
    uint32_t t = 0;
    pd_script_init(&S, 100, 64);
    pd_script_connect(&S, 0, 0);
    pd_abort(&S.c); /* the link is lost: they wait for the next session */
    /* 47 B, then 10 B beside it (47 + 10 + 15 + 4 = 76), then no second 47 B (123 > 100) */
    assert_int_equal(pd_publish(&S.c, "t", p, 40, 1, false, NULL), PD_OK);
    assert_int_equal(pd_publish(&S.c, "t", p, 3, 1, false, NULL), PD_OK);
    assert_int_equal(pd_publish(&S.c, "t", p, 40, 1, false, NULL), PD_ERR_BUSY);
    accepted = 2;
    assert_int_equal(pd_inflight(&S.c), 2);
    assert_int_equal(pd_connect(&S.c, &o, t), PD_OK);
    FEED(&S, connack_ok);
    for (; t <= 100000 && acked < want; t += 250) {
        enum pd_status st = PD_OK;
        while (accepted < want && st == PD_OK) {
            st = pd_publish(&S.c, "t", p, accepted & 1u ? 3u : 40u, 1, false, NULL);
            accepted += st == PD_OK;
            assert_true(st == PD_OK || st == PD_ERR_BUSY);
        }
        assert_int_equal(pd_poll(&S.c, t), PD_OK);
        count_publishes(&S, copies);
        for (unsigned id = 1; id < 256; id++) {
            if (copies[id] == 2) { /* acknowledge the second copy only */
                feed_puback(&S, (uint16_t)id);
                copies[id]++;
            }
        }
        acked += pd_script_count(&S, PD_EV_PUBACK);
        pd_script_clear(&S);
    }
    assert_int_equal(accepted, want);
    assert_int_equal(acked, want);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(S.c.tx_len, 0);
    assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
}

/* The sensor of docs/firmware.md: 256-byte txbuf, 70-byte CONNECT (with a will), 60-byte
 * readings. Offline the held readings may fill txbuf up to held + CONNECT + 4 = 256 (three,
 * though a window slot is free). Then a reconnect: the CONNECT goes in front and out first,
 * the readings right behind it; the PUBACK for an incoming QoS 1 and a PINGREQ are still
 * queued beside them; every held reading is acknowledged. */
static void test_pd_client_qos1_held_to_the_limit_then_reconnect(void **state)
{
    (void)state;
    static const struct pd_will will = {"rooms/lab/msg/sensor1", "offline", 7, 1, false};
    const struct pd_connect_opts o = {"sensor1", "sensor1", "secret", &will, 30, false};
    PKT(msg, 0x32, 9, 0, 3, 'a', '/', 'c', 0, 9, 'y', 'o');
    static uint8_t p[64];
    unsigned copies[256] = {0};
    uint16_t ids[3];
    uint32_t t = 1000;
    pd_script_init(&S, 256, 128);
    assert_int_equal(pd_connect(&S.c, &o, 0), PD_OK);
    assert_int_equal(pd_poll(&S.c, 0), PD_OK);
    assert_int_equal(S.out_len, 70);
    FEED(&S, connack_ok);
    assert_int_equal(pd_poll(&S.c, 0), PD_OK);
    S.recv_fail = PD_IO_CLOSED;
    assert_int_equal(pd_poll(&S.c, 1), PD_ERR_CLOSED); /* the link is lost */
    S.recv_fail = 0;
    pd_script_clear(&S);
    /* offline: two 60 B readings, then 63 B would need 183 + 70 + 4 = 257: busy; 62 B is
     * exactly at the limit (182 + 70 + 4 = 256), and then nothing more */
    assert_int_equal(pd_room_say(&S.c, "sensor1", "lab", p, 33, 1, &ids[0]), PD_OK);
    assert_int_equal(pd_room_say(&S.c, "sensor1", "lab", p, 33, 1, &ids[1]), PD_OK);
    assert_int_equal(held_bytes(&S.c), 120);
    assert_int_equal(pd_room_say(&S.c, "sensor1", "lab", p, 36, 1, NULL), PD_ERR_BUSY);
    assert_int_equal(pd_room_say(&S.c, "sensor1", "lab", p, 35, 1, &ids[2]), PD_OK);
    assert_int_equal(held_bytes(&S.c), 182);
    assert_int_equal(pd_publish(&S.c, "t", NULL, 0, 1, false, NULL), PD_ERR_BUSY);
    assert_int_equal(pd_inflight(&S.c), 3);
    /* the CONNECT fits in front of them and goes out first, in two writes */
    assert_int_equal(pd_connect(&S.c, &o, t), PD_OK);
    assert_int_equal(S.c.tx_len, 70 + 182);
    S.send_budget = 40;
    assert_int_equal(pd_poll(&S.c, t), PD_OK);
    assert_int_equal(S.out_len, 40);
    S.send_budget = SIZE_MAX;
    assert_int_equal(pd_poll(&S.c, t), PD_OK);
    assert_int_equal(S.out_len, 70 + 182);
    assert_int_equal(S.out[0], 0x10);
    assert_int_equal(S.out[70], 0x32); /* never sent before: no DUP */
    memmove(S.out, S.out + 70, 182);
    S.out_len = 182;
    count_publishes(&S, copies);
    assert_int_equal(S.c.tx_sent, S.c.tx_len);
    assert_int_equal(S.c.tx_len, 182);
    /* CONNACK while the link takes nothing; 3/4 keepalive after the last write, an incoming
     * QoS 1: its PUBACK and the PINGREQ are queued beside the held readings */
    FEED(&S, connack_sp);
    S.send_budget = 0;
    assert_int_equal(pd_poll(&S.c, t + 1), PD_OK);
    assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
    assert_int_equal(pd_script_count(&S, PD_EV_CONNACK), 1);
    FEED(&S, msg);
    t += 22500;
    assert_int_equal(pd_poll(&S.c, t), PD_OK);
    assert_int_equal(pd_script_count(&S, PD_EV_MESSAGE), 1);
    assert_int_equal(S.c.tx_len, 182 + 4 + 2);
    S.send_budget = SIZE_MAX;
    assert_int_equal(pd_poll(&S.c, ++t), PD_OK);
    assert_int_equal(S.out_len, 4 + 2);
    assert_memory_equal(S.out, "\x40\x02\x00\x09\xC0\x00", 6);
    S.out_len = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(copies[ids[i]], 1);
        feed_puback(&S, ids[i]);
    }
    FEED(&S, pingresp);
    assert_int_equal(pd_poll(&S.c, ++t), PD_OK);
    assert_int_equal(pd_script_count(&S, PD_EV_PUBACK), 3);
    assert_int_equal(pd_inflight(&S.c), 0);
    assert_int_equal(S.c.tx_len, 0);
    /* the PINGRESP was taken: no timeout keepalive/2 later */
    assert_int_equal(pd_poll(&S.c, t + 16000), PD_OK);
    assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
}

/* 64-byte txbuf, keepalive 4 s: at the poll where the PINGREQ falls due (3 s without a write)
 * a held 30-byte publish, a queued 30-byte QoS 0 one and the PUBACK for an incoming QoS 1
 * (4 B) fill txbuf exactly (30 + 30 + 4 = 64), and the link takes nothing at that moment.
 * resend: the held one was resent behind the CONNECT of a reconnect (CONNACK and the message
 * arrive together, 3 s after that write), so only the QoS 0 and the PUBACK wait; otherwise
 * it was made on an idle link and waits too. Returns the due time; the PINGREQ is owed, the
 * PINGRESP clock runs. */
static uint32_t ping_due_with_txbuf_full(int resend, uint16_t *id)
{
    static const uint8_t p[25];
    PKT(msg, 0x32, 9, 0, 3, 'a', '/', 'c', 0, 9, 'y', 'o');
    const struct pd_connect_opts o = {"d", NULL, NULL, NULL, 4, false};
    uint32_t t = 3000;
    pd_script_init(&S, 64, 64);
    pd_script_connect(&S, 4, 0);
    assert_int_equal(pd_publish(&S.c, "t", p, 23, 1, false, id), PD_OK); /* 30 B */
    assert_int_equal(held_bytes(&S.c), 30);
    if (resend) {
        assert_int_equal(pd_poll(&S.c, 0), PD_OK); /* sent once */
        assert_int_equal(S.out_len, 30);
        S.recv_fail = PD_IO_CLOSED;
        assert_int_equal(pd_poll(&S.c, 1), PD_ERR_CLOSED);
        S.recv_fail = 0;
        assert_int_equal(pd_connect(&S.c, &o, 1000), PD_OK);
        assert_int_equal(pd_poll(&S.c, 1000), PD_OK); /* the CONNECT and the resend */
        assert_int_equal(S.out_len, 30 + 15 + 30);
        assert_int_equal(S.out[45], 0x3A);
        assert_int_equal(S.c.tx_sent, S.c.tx_len);
        FEED(&S, connack_sp);
        t = 4000;
    }
    pd_script_clear(&S);
    FEED(&S, msg);
    S.send_budget = 0;
    assert_int_equal(pd_publish(&S.c, "t", p, 25, 0, false, NULL), PD_OK); /* 30 B */
    assert_int_equal(pd_poll(&S.c, t), PD_OK);
    assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
    assert_int_equal(pd_script_count(&S, PD_EV_MESSAGE), 1);
    assert_int_equal(S.c.tx_len, S.c.tx_cap); /* held + QoS 0 + PUBACK: no room for PINGREQ */
    return t;
}

static void test_pd_client_pingreq_without_room_is_retried(void **state)
{
    (void)state;
    for (int resend = 0; resend < 2; resend++) {
        uint16_t id;
        uint32_t t = ping_due_with_txbuf_full(resend, &id);
        /* what waits: the held publish (unless resent already), the QoS 0, the PUBACK */
        const size_t w = resend ? 30 + 4 : 30 + 30 + 4;
        /* the link takes the bytes and they go out; the queue was still full when the
         * PINGREQ was retried in this poll, so it follows at the next one */
        S.send_budget = SIZE_MAX;
        assert_int_equal(pd_poll(&S.c, t + 1), PD_OK);
        assert_int_equal(S.out_len, w);
        assert_int_equal(S.out[0], resend ? 0x30 : 0x32);
        assert_memory_equal(S.out + w - 4, "\x40\x02\x00\x09", 4);
        assert_int_equal(pd_poll(&S.c, t + 2), PD_OK);
        assert_int_equal(S.out_len, w + 2);
        assert_memory_equal(S.out + w, "\xC0\x00", 2);
        assert_int_equal(pd_poll(&S.c, t + 3), PD_OK);
        assert_int_equal(S.out_len, w + 2); /* once */
        /* the PINGRESP (and the PUBACK) come: the link stays up past keepalive/2 and on */
        FEED(&S, pingresp);
        feed_puback(&S, id);
        assert_int_equal(pd_poll(&S.c, t + 1000), PD_OK);
        assert_int_equal(pd_script_count(&S, PD_EV_PUBACK), 1);
        assert_int_equal(pd_poll(&S.c, t + 2000), PD_OK);
        assert_int_equal(pd_poll(&S.c, t + 3500), PD_OK);
        assert_int_equal(pd_state(&S.c), PD_ST_CONNECTED);
        assert_int_equal(S.out_len, w + 2 + 2); /* the next PINGREQ, 3 s after the last */
        assert_memory_equal(S.out + w + 2, "\xC0\x00", 2);
        assert_int_equal(pd_script_count(&S, PD_EV_DISCONNECTED), 0);
    }
}

/* The retries keep the PINGRESP deadline of the first attempt: a link that takes no bytes is
 * dead keepalive/2 after the PINGREQ fell due however often it is polled, and so is one that
 * takes the queue only late and then never answers. */
static void test_pd_client_owed_pingreq_keeps_the_deadline(void **state)
{
    (void)state;
    for (int late = 0; late < 2; late++) {
        uint16_t id;
        uint32_t t = ping_due_with_txbuf_full(0, &id);
        for (uint32_t dt = 100; dt < 2000; dt += 100) {
            if (late && dt == 1900) {
                S.send_budget = SIZE_MAX;
            }
            assert_int_equal(pd_poll(&S.c, t + dt), PD_OK);
        }
        assert_int_equal(S.out_len, late ? 64 : 0);
        assert_int_equal(pd_poll(&S.c, t + 1950), PD_OK);
        if (late) {
            assert_int_equal(S.out_len, 64 + 2);
            assert_memory_equal(S.out + 64, "\xC0\x00", 2);
        }
        assert_int_equal(pd_poll(&S.c, t + 1999), PD_OK);
        assert_int_equal(pd_poll(&S.c, t + 2000), PD_ERR_TIMEOUT);
        assert_int_equal(pd_state(&S.c), PD_ST_IDLE);
        assert_int_equal(pd_script_last(&S, PD_EV_DISCONNECTED)->ev.status, PD_ERR_TIMEOUT);
    }
}

static void echo(struct pd_client *c, const struct pd_event *ev, void *user)
{
    (void)user;
    if (ev->type == PD_EV_MESSAGE) {
        assert_int_equal(pd_publish(c, "echo", ev->data, ev->len, 0, false, NULL), PD_OK);
    }
}

static void test_pd_client_callback_may_publish(void **state)
{
    (void)state;
    PKT(m, 0x30, 5, 0, 1, 't', 'h', 'i');
    pd_script_init(&S, 512, 64);
    pd_script_connect(&S, 0, 0);
    S.c.on_event = echo;
    FEED(&S, m);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    EXPECT_OUT(0x30, 8, 0, 4, 'e', 'c', 'h', 'o', 'h', 'i');
}

static void test_pd_client_init_checks(void **state)
{
    (void)state;
    static uint8_t tx[64], rx[64];
    struct pd_client c;
    struct pd_transport bad = {NULL, NULL, NULL};
    pd_script_init(&S, 64, 64);
    assert_int_equal(pd_client_init(NULL, &S.tr, tx, 64, rx, 64, NULL, NULL), PD_ERR_PARAM);
    assert_int_equal(pd_client_init(&c, &bad, tx, 64, rx, 64, NULL, NULL), PD_ERR_PARAM);
    assert_int_equal(pd_client_init(&c, &S.tr, tx, 15, rx, 64, NULL, NULL), PD_ERR_PARAM);
    assert_int_equal(pd_client_init(&c, &S.tr, tx, 64, rx, 70000, NULL, NULL), PD_ERR_PARAM);
    assert_int_equal(pd_client_init(&c, &S.tr, tx, 65536, rx, 64, NULL, NULL), PD_ERR_PARAM);
    assert_int_equal(pd_client_init(&c, &S.tr, tx, 64, rx, 65536, NULL, NULL), PD_ERR_PARAM);
    /* the bounds themselves (init only records the sizes; c is not used after this) */
    assert_int_equal(pd_client_init(&c, &S.tr, tx, 65535, rx, 16, NULL, NULL), PD_OK);
    assert_int_equal(pd_client_init(&c, &S.tr, NULL, 64, rx, 64, NULL, NULL), PD_ERR_PARAM);
    assert_int_equal(pd_client_init(&c, &S.tr, tx, 64, rx, 64, NULL, NULL), PD_OK);
    assert_int_equal(pd_state(&c), PD_ST_IDLE);
    assert_int_equal(pd_publish(NULL, "t", NULL, 0, 0, false, NULL), PD_ERR_PARAM);
    assert_int_equal(pd_publish(&c, "t", NULL, 1, 1, false, NULL), PD_ERR_PARAM);
    assert_int_equal(pd_publish(&c, "t", "x", 1, 2, false, NULL), PD_ERR_PARAM);
}

static void test_pd_client_disconnect_then_reconnect_keeps_held(void **state)
{
    (void)state;
    pd_script_init(&S, 512, 64);
    pd_script_connect(&S, 0, 0);
    assert_int_equal(pd_publish(&S.c, "t", "a", 1, 1, false, NULL), PD_OK);
    assert_int_equal(pd_disconnect(&S.c), PD_OK);
    assert_int_equal(pd_publish(&S.c, "t", "a", 1, 1, false, NULL), PD_ERR_STATE);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    /* queued before the DISCONNECT, the QoS 1 goes out first; unanswered, it stays held */
    EXPECT_OUT(0x32, 6, 0, 1, 't', 0, 1, 'a', 0xE0, 0);
    assert_int_equal(pd_state(&S.c), PD_ST_IDLE);
    assert_int_equal(pd_inflight(&S.c), 1);
    pd_abort(&S.c);
    assert_int_equal(pd_inflight(&S.c), 1);
}

static void test_pd_client_reconnect_backoff(void **state)
{
    (void)state;
    pd_script_init(&S, 512, 64);
    uint32_t d = pd_reconnect_schedule(&S.c, 1000, 0);
    assert_int_equal(d, PD_BACKOFF_MIN_MS / 2);
    assert_false(pd_reconnect_due(&S.c, 1000 + d - 1));
    assert_true(pd_reconnect_due(&S.c, 1000 + d));
    d = pd_reconnect_schedule(&S.c, 0, 0xFFFFFFFFu);
    assert_true(d >= PD_BACKOFF_MIN_MS && d <= 2 * PD_BACKOFF_MIN_MS);
    for (int i = 0; i < 40; i++) {
        d = pd_reconnect_schedule(&S.c, 0, (uint32_t)i * 2654435761u);
        assert_true(d <= PD_BACKOFF_MAX_MS);
    }
    assert_true(d >= PD_BACKOFF_MAX_MS / 2);
    /* the clock may wrap */
    d = pd_reconnect_schedule(&S.c, 0xFFFFFF00u, 7);
    assert_false(pd_reconnect_due(&S.c, 0xFFFFFFF0u));
    assert_true(pd_reconnect_due(&S.c, 0xFFFFFF00u + d));
    /* an accepted CONNACK starts over */
    pd_script_connect(&S, 0, 0);
    assert_false(pd_reconnect_due(&S.c, 0xFFFFFF00u + d)); /* not idle */
    pd_abort(&S.c);
    assert_int_equal(pd_reconnect_schedule(&S.c, 0, 0), PD_BACKOFF_MIN_MS / 2);
}

/* The jitter is scaled from the random value without a division: the extremes of the random
 * source give exactly d/2 and d at every step of the backoff. */
/* The full delays (top random bits all set) double from the minimum up to the cap, then stay
 * there however many attempts follow. */
static void test_pd_client_reconnect_backoff_sequence(void **state)
{
    (void)state;
    uint32_t want = PD_BACKOFF_MIN_MS;
    pd_script_init(&S, 512, 64);
    for (unsigned i = 0; i < 1000; i++) {
        uint32_t d = pd_reconnect_schedule(&S.c, 0, 0xFFFFFFFFu);
        uint32_t full = want < PD_BACKOFF_MAX_MS ? want : PD_BACKOFF_MAX_MS;
        /* d/2 + the top 16 random bits scaled to [0, d/2]: full, or 1 ms below it */
        assert_true(d <= full && d + 1u >= full);
        if (want < PD_BACKOFF_MAX_MS) {
            want <<= 1;
        }
    }
}

static void test_pd_client_reconnect_jitter_bounds(void **state)
{
    (void)state;
    pd_script_init(&S, 512, 64);
    for (unsigned i = 0; i < 10; i++) {
        uint32_t d = PD_BACKOFF_MIN_MS << i;
        if (d > PD_BACKOFF_MAX_MS) {
            d = PD_BACKOFF_MAX_MS;
        }
        assert_int_equal(pd_reconnect_schedule(&S.c, 0, 0xFFFFFFFFu), d);
    }
    pd_script_init(&S, 512, 64);
    for (unsigned i = 0; i < 10; i++) {
        uint32_t d = PD_BACKOFF_MIN_MS << i;
        uint32_t r = pd_reconnect_schedule(&S.c, 0, i & 1u ? 0u : 0x80000000u);
        if (d > PD_BACKOFF_MAX_MS) {
            d = PD_BACKOFF_MAX_MS;
        }
        if (i & 1u) {
            assert_int_equal(r, d / 2u);
        } else { /* the middle of the random range lands in the middle of [d/2, d] */
            assert_true(r >= d / 2u + d / 4u - 1u && r <= d / 2u + d / 4u + 1u);
        }
    }
}

static void test_pd_client_two_clients_in_one_program(void **state)
{
    (void)state;
    PKT(m, 0x30, 5, 0, 1, 't', 'h', 'i');
    pd_script_init(&S, 512, 64);
    pd_script_init(&REF, 256, 32);
    pd_script_connect(&S, 10, 0);
    pd_script_connect(&REF, 20, 0);
    assert_int_equal(pd_publish(&S.c, "a", "1", 1, 1, false, NULL), PD_OK);
    assert_int_equal(pd_publish(&REF.c, "b", "2", 1, 0, false, NULL), PD_OK);
    pd_script_feed(&REF, m, sizeof m);
    assert_int_equal(pd_poll(&S.c, 1), PD_OK);
    assert_int_equal(pd_poll(&REF.c, 1), PD_OK);
    EXPECT_OUT(0x32, 6, 0, 1, 'a', 0, 1, '1');
    assert_int_equal(REF.out_len, 6);
    assert_int_equal(REF.out[0], 0x30);
    assert_int_equal(S.nev, 0);
    assert_int_equal(REF.nev, 1);
    assert_int_equal(pd_inflight(&S.c), 1);
    assert_int_equal(pd_inflight(&REF.c), 0);
    /* each keeps its own keepalive */
    PKT(ack, 0x40, 2, 0, 1);
    pd_script_feed(&S, ack, sizeof ack);
    assert_int_equal(pd_poll(&S.c, 2), PD_OK);
    assert_int_equal(pd_inflight(&S.c), 0);
    pd_script_clear(&S);
    pd_script_clear(&REF);
    assert_int_equal(pd_poll(&S.c, 7502), PD_OK);
    assert_int_equal(pd_poll(&REF.c, 7502), PD_OK);
    EXPECT_OUT(0xC0, 0);
    assert_int_equal(REF.out_len, 0);
}

static void test_pd_client_topic_parse(void **state)
{
    (void)state;
    const char *r;
    const char *u;
    size_t rl;
    size_t ul;
    static const char t1[] = "rooms/lab/msg/alice";
    assert_int_equal(pd_topic_parse(t1, strlen(t1), &r, &rl, &u, &ul), PD_TOPIC_MSG);
    assert_int_equal(rl, 3);
    assert_memory_equal(r, "lab", 3);
    assert_int_equal(ul, 5);
    assert_memory_equal(u, "alice", 5);
    static const char t2[] = "rooms/lab/presence/bob";
    assert_int_equal(pd_topic_parse(t2, strlen(t2), &r, &rl, &u, &ul), PD_TOPIC_PRESENCE);
    static const char t3[] = "rooms/lab/typing/bob";
    assert_int_equal(pd_topic_parse(t3, strlen(t3), &r, &rl, &u, &ul), PD_TOPIC_TYPING);
    static const char t4[] = "users/bob/inbox/alice";
    assert_int_equal(pd_topic_parse(t4, strlen(t4), &r, &rl, &u, &ul), PD_TOPIC_INBOX);
    assert_memory_equal(u, "alice", 5);
    static const char *const other[] = {"rooms/lab/msg",
                                        "rooms/lab/msg/a/b",
                                        "rooms//msg/a",
                                        "rooms/lab/msgs/a",
                                        "room/lab/msg/a",
                                        "users/b/outbox/a",
                                        "rooms/l b/msg/a",
                                        "",
                                        "/",
                                        "rooms/lab/msg/"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        assert_int_equal(pd_topic_parse(other[i], strlen(other[i]), &r, &rl, &u, &ul),
                         PD_TOPIC_OTHER);
    }
    /* never reads past len: the tail beyond len is not part of the topic */
    assert_int_equal(pd_topic_parse(t1, 15, &r, &rl, &u, &ul), PD_TOPIC_MSG);
    assert_int_equal(ul, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pd_client_reference_session),
        cmocka_unit_test(test_pd_client_one_byte_at_a_time),
        cmocka_unit_test(test_pd_client_would_block_at_every_point),
        cmocka_unit_test(test_pd_client_would_block_at_each_single_call),
        cmocka_unit_test(test_pd_client_every_truncation_of_every_incoming_packet),
        cmocka_unit_test(test_pd_client_keepalive_ping_and_pingresp),
        cmocka_unit_test(test_pd_client_pingresp_timeout_declares_link_dead),
        cmocka_unit_test(test_pd_client_stuck_link_detected_even_with_full_queue),
        cmocka_unit_test(test_pd_client_connack_timeout_and_refusal),
        cmocka_unit_test(test_pd_client_retransmit_with_dup),
        cmocka_unit_test(test_pd_client_puback_during_half_written_retransmit),
        cmocka_unit_test(test_pd_client_no_retransmit_pile_up_behind_a_slow_link),
        cmocka_unit_test(test_pd_client_puback_for_unknown_id_is_ignored),
        cmocka_unit_test(test_pd_client_ack_before_the_packet_is_written_is_ignored),
        cmocka_unit_test(test_pd_client_retransmit_resends_every_held_packet),
        cmocka_unit_test(test_pd_client_retained_qos0_is_not_held),
        cmocka_unit_test(test_pd_client_acks_match_only_their_kind),
        cmocka_unit_test(test_pd_client_suback_failure_surfaced),
        cmocka_unit_test(test_pd_client_incoming_qos1_acked_and_duplicates_delivered),
        cmocka_unit_test(test_pd_client_oversize_publish_dropped_and_counted),
        cmocka_unit_test(test_pd_client_dropped_count_saturates),
        cmocka_unit_test(test_pd_client_remaining_length_edges_incoming),
        cmocka_unit_test(test_pd_client_max_remaining_length_dropped),
        cmocka_unit_test(test_pd_client_malformed_and_unexpected_packets_end_the_link),
        cmocka_unit_test(test_pd_client_transport_errors),
        cmocka_unit_test(test_pd_client_resend_unacked_after_reconnect),
        cmocka_unit_test(test_pd_client_window_full_is_busy),
        cmocka_unit_test(test_pd_client_qos1_inserted_while_queue_half_written),
        cmocka_unit_test(test_pd_client_qos1_room_rule),
        cmocka_unit_test(test_pd_client_qos1_at_the_boundary_goes_out),
        cmocka_unit_test(test_pd_client_qos1_large_then_small_cannot_wedge),
        cmocka_unit_test(test_pd_client_qos1_held_to_the_limit_then_reconnect),
        cmocka_unit_test(test_pd_client_pingreq_without_room_is_retried),
        cmocka_unit_test(test_pd_client_owed_pingreq_keeps_the_deadline),
        cmocka_unit_test(test_pd_client_callback_may_publish),
        cmocka_unit_test(test_pd_client_init_checks),
        cmocka_unit_test(test_pd_client_disconnect_then_reconnect_keeps_held),
        cmocka_unit_test(test_pd_client_reconnect_backoff),
        cmocka_unit_test(test_pd_client_reconnect_backoff_sequence),
        cmocka_unit_test(test_pd_client_reconnect_jitter_bounds),
        cmocka_unit_test(test_pd_client_two_clients_in_one_program),
        cmocka_unit_test(test_pd_client_topic_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
