#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pd_script.h"

static int32_t s_send(void *ctx, const uint8_t *buf, size_t len)
{
    struct pd_script *s = ctx;
    size_t n = len;
    assert_true(len >= 1);
    s->send_calls++;
    if (s->send_fail) {
        return s->send_fail;
    }
    if (s->block_every > 0 && s->send_calls % (unsigned)s->block_every == 0) {
        return PD_WOULD_BLOCK;
    }
    if (s->block_at && s->send_calls + s->recv_calls == s->block_at) {
        return PD_WOULD_BLOCK;
    }
    if (s->send_chunk && n > s->send_chunk) {
        n = s->send_chunk;
    }
    if (n > s->send_budget) {
        n = s->send_budget;
    }
    if (n == 0) {
        return PD_WOULD_BLOCK;
    }
    assert_true(s->out_len + n <= sizeof s->out);
    memcpy(s->out + s->out_len, buf, n);
    s->out_len += n;
    if (s->send_budget != SIZE_MAX) {
        s->send_budget -= n;
    }
    return (int32_t)n;
}

static int32_t s_recv(void *ctx, uint8_t *buf, size_t len)
{
    struct pd_script *s = ctx;
    size_t n = s->in_len - s->in_pos;
    assert_true(len >= 1);
    s->recv_calls++;
    if (len > s->max_recv_ask) {
        s->max_recv_ask = len;
    }
    if (s->block_every > 0 && s->recv_calls % (unsigned)s->block_every == 0) {
        return PD_WOULD_BLOCK;
    }
    if (s->block_at && s->send_calls + s->recv_calls == s->block_at) {
        return PD_WOULD_BLOCK;
    }
    if (n == 0) {
        return s->recv_fail ? s->recv_fail : PD_WOULD_BLOCK;
    }
    if (n > len) {
        n = len;
    }
    if (s->recv_chunk && n > s->recv_chunk) {
        n = s->recv_chunk;
    }
    memcpy(buf, s->in + s->in_pos, n);
    s->in_pos += n;
    return (int32_t)n;
}

static void s_event(struct pd_client *c, const struct pd_event *ev, void *user)
{
    struct pd_script *s = user;
    struct pd_rec_event *r;
    assert_ptr_equal(c, &s->c);
    assert_true(s->nev < PD_SCRIPT_EVENTS);
    r = &s->evs[s->nev++];
    memset(r, 0, sizeof *r);
    r->ev = *ev;
    if (ev->topic) {
        assert_true(ev->topic_len < sizeof r->topic);
        memcpy(r->topic, ev->topic, ev->topic_len);
    }
    if (ev->data && ev->len <= sizeof r->data) {
        memcpy(r->data, ev->data, ev->len);
    }
    r->ev.topic = NULL;
    r->ev.data = NULL;
}

void pd_script_init(struct pd_script *s, size_t txlen, size_t rxlen)
{
    memset(s, 0, sizeof *s);
    s->send_budget = SIZE_MAX;
    s->tr.send = s_send;
    s->tr.recv = s_recv;
    s->tr.ctx = s;
    assert_true(txlen <= sizeof s->tx && rxlen <= sizeof s->rx);
    assert_int_equal(pd_client_init(&s->c, &s->tr, s->tx, txlen, s->rx, rxlen, s_event, s), PD_OK);
}

void pd_script_feed(struct pd_script *s, const void *bytes, size_t n)
{
    assert_true(s->in_len + n <= sizeof s->in);
    memcpy(s->in + s->in_len, bytes, n);
    s->in_len += n;
}

void pd_script_clear(struct pd_script *s)
{
    s->out_len = 0;
    s->nev = 0;
}

void pd_script_connect(struct pd_script *s, uint16_t ka, uint32_t now_ms)
{
    static const uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
    struct pd_connect_opts o;
    memset(&o, 0, sizeof o);
    o.client_id = "d";
    o.keepalive_s = ka;
    o.clean_session = true;
    assert_int_equal(pd_connect(&s->c, &o, now_ms), PD_OK);
    assert_int_equal(pd_state(&s->c), PD_ST_CONNECTING);
    pd_script_feed(s, connack, sizeof connack);
    assert_int_equal(pd_poll(&s->c, now_ms), PD_OK);
    assert_int_equal(pd_state(&s->c), PD_ST_CONNECTED);
    pd_script_clear(s);
}

unsigned pd_script_count(const struct pd_script *s, enum pd_event_type t)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->nev; i++) {
        n += s->evs[i].ev.type == t;
    }
    return n;
}

const struct pd_rec_event *pd_script_last(const struct pd_script *s, enum pd_event_type t)
{
    for (unsigned i = s->nev; i-- > 0;) {
        if (s->evs[i].ev.type == t) {
            return &s->evs[i];
        }
    }
    return NULL;
}
