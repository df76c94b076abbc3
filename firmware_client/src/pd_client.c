/* The session: connect, the poll loop (receive, timers, send), publish/subscribe entry points. */
#include <string.h>

#include "pd_inflight.h"
#include "pd_parse.h"
#include "pd_queue.h"

/* c->flags: 0, or one of these while a PINGRESP is awaited since wait_since */
#define F_PING 0x01u      /* the PINGREQ is queued (or sent) */
#define F_PING_OWED 0x02u /* it found no room yet: retried at every poll */

/* transmit(): all written while disconnecting (the DISCONNECT is out); ends the link with
 * PD_OK, its low 4 bits (every status is below 16) */
#define ST_BYE ((enum pd_status)0x10)

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

static void emit(struct pd_client *c, const struct pd_event *ev)
{
    if (c->on_event) {
        c->on_event(c, ev, c->user);
    }
}

/* The link is gone. txbuf keeps only the held publishes, to be written again from the start
 * once reconnected: SUBSCRIBE/UNSUBSCRIBE answers will never come, the rest was for that
 * link. */
void pd_abort(struct pd_client *c)
{
    c->state = PD_ST_IDLE;
    c->rx_len = 0;
    c->rx_skip = 0;
    c->flags = 0;
    c->tx_sent = 0;
    c->tx_part = 0;
    for (uint32_t off = 0; off < c->tx_len;) {
        uint32_t sz = pd_pkt_size(c->tx + off);
        if ((c->tx[off] & 0xF2u) == (PD_T_PUBLISH | PD_HELD)) {
            off += sz;
        } else {
            pd_txq_remove(c, off, sz);
        }
    }
}

/* The link is over: reset, tell the application once, return the reason. */
static enum pd_status fail(struct pd_client *c, enum pd_status st)
{
    struct pd_event ev = {PD_EV_DISCONNECTED, st, 0, 0, 0, false, false, false, NULL, 0, NULL, 0};
    pd_abort(c);
    emit(c, &ev);
    return st;
}

enum pd_status pd_client_init(struct pd_client *c, const struct pd_transport *tr, uint8_t *txbuf,
                              size_t txlen, uint8_t *rxbuf, size_t rxlen, pd_event_fn on_event,
                              void *user)
{
    /* 16..65535: a shift and a small compare each, no 32-bit literal */
    if ((txlen | rxlen) >> 16 || txlen < 16u || rxlen < 16u || !c || !tr || !tr->send ||
        !tr->recv || !txbuf || !rxbuf) {
        return PD_ERR_PARAM;
    }
    memset(c, 0, sizeof *c);
    c->tr = tr;
    c->tx = txbuf;
    c->tx_cap = (uint16_t)txlen;
    c->rx = rxbuf;
    c->rx_cap = (uint16_t)rxlen;
    c->on_event = on_event;
    c->user = user;
    return PD_OK;
}

enum pd_status pd_connect(struct pd_client *c, const struct pd_connect_opts *opts, uint32_t now_ms)
{
    const struct pd_will *w;
    struct pd_body b;
    enum pd_status st;
    if (!c || !opts) {
        return PD_ERR_PARAM;
    }
    w = opts->will;
    if (w && (!w->topic || !*w->topic || w->qos > 1u || (!w->payload && w->len))) {
        return PD_ERR_PARAM;
    }
    if (c->state != PD_ST_IDLE) {
        return PD_ERR_STATE;
    }
    /* (idle is only reached through pd_client_init() or pd_abort(): txbuf holds only held
     * publishes, the receive state and the flags are clear) */
    b.conn = opts; /* the CONNECT builder reads nothing else, nor does pd_queue() */
    st = pd_queue(c, PD_T_CONNECT, 0, &b);
    if (st != PD_OK) {
        return PD_ERR_TOO_BIG; /* idle, nothing drains: beside the held publishes it never fits */
    }
    c->state = PD_ST_CONNECTING;
    c->keepalive_s = opts->keepalive_s;
    c->wait_since = now_ms;
    c->last_tx = now_ms;
    c->last_rx = now_ms;
    return PD_OK;
}

/* The n bytes of a packet of total bytes are in rx (hl of them its fixed header): all of it, or
 * the first rx_cap bytes of a PUBLISH larger than rxbuf. That one is acknowledged if QoS 1 and
 * its topic and id are inside the prefix, counted, and the rest skipped. */
static enum pd_status handle(struct pd_client *c, uint32_t hl, uint32_t n, uint32_t rem,
                             uint32_t now_ms)
{
    uint32_t over = hl + rem - n; /* bytes past the prefix of an oversize PUBLISH, else 0 */
    struct pd_event ev; /* (for a prefix its id stays 0 unless it holds a valid QoS 1 header) */
    enum pd_status st = pd_parse_body(c->rx[0], c->rx + hl, n - hl, &ev);
    c->rx_len = 0;
    if (over) {
        if (st == PD_ERR_PROTOCOL) {
            return st; /* QoS 2 */
        }
        {
            uint32_t d = c->dropped + 1u; /* saturates: 0x10000 becomes 0xFFFF */
            c->dropped = (uint16_t)(d - (d >> 16));
        }
        c->rx_skip = over;
        /* the event: type, id and len only (status is 0 for a PUBLISH; the rest cleared) */
        ev.type = PD_EV_DROPPED;
        memset(&ev.code, 0, sizeof ev - offsetof(struct pd_event, code));
        ev.len = rem;
        goto ack;
    }
    c->last_rx = now_ms;
    if (st != PD_OK) {
        return st;
    }
    if (ev.type >= PD_EV_PUBACK) { /* PUBACK, SUBACK, UNSUBACK (the parser gives no other) */
        if (!pd_win_release(c, ev.id, c->rx[0])) {
            return PD_OK; /* unknown id: nothing to release, nothing to report */
        }
    } else if (ev.type == PD_EV_PINGRESP) { /* (an owed PINGREQ is no longer needed either) */
        c->flags = 0;
        return PD_OK;
    } else if (((uint32_t)ev.type ^ c->state) > 1u) {
        /* a CONNACK (1) only while connecting (1), a PUBLISH (2) only after (2, 3) */
        return PD_ERR_PROTOCOL;
    } else if (ev.type == PD_EV_MESSAGE) {
    ack:
        if (ev.id) {                                     /* QoS 1 */
            (void)pd_queue(c, PD_T_PUBACK, ev.id, NULL); /* room is reserved */
        }
    } else if (!ev.code) { /* CONNACK */
        c->state = PD_ST_CONNECTED;
        c->attempt = 0;
    }
    emit(c, &ev);
    /* a CONNACK ends the link with PD_ERR_REFUSED on a refusal */
    return ev.type == PD_EV_CONNACK ? ev.status : PD_OK;
}

/* One transport call moving up to n bytes at buf (send when tx). Returns the bytes moved, 0
 * when the transport would block, or -(the status that ends the link). A send's count is
 * checked against n by the caller (transmit(), with what it has already written). */
static int32_t io(struct pd_client *c, bool tx, uint8_t *buf, uint32_t n)
{
    const struct pd_transport *tr = c->tr;
    int32_t r = tx ? tr->send(tr->ctx, buf, n) : tr->recv(tr->ctx, buf, n);
    if (r == PD_WOULD_BLOCK) {
        return 0;
    }
    if (r <= 0 || (!tx && (uint32_t)r > n)) {
        return -(int32_t)(r == PD_IO_CLOSED ? PD_ERR_CLOSED : PD_ERR_TRANSPORT);
    }
    return r;
}

/* Read and handle up to PD_POLL_MAX_PACKETS packets. Only the bytes of the current packet are
 * asked for, so an oversize one can be skipped without losing its successor. */
static enum pd_status receive(struct pd_client *c, uint32_t now_ms)
{
    unsigned done = 0;
    while (done < PD_POLL_MAX_PACKETS && (uint32_t)(c->tx_cap - c->tx_len) >= 4u) {
        /* (the room check keeps space for the PUBACK or PINGREQ this packet may need) */
        uint32_t want;
        int32_t r;
        uint8_t *dst = c->rx;
        if (c->rx_skip) {
            want = c->rx_skip < c->rx_cap ? c->rx_skip : c->rx_cap;
        } else {
            uint32_t hl = 0;  /* (set by pd_header() whenever it is read; 0 for -Wmaybe-uninit) */
            uint32_t rem = 0; /* (likewise) */
            uint32_t need;    /* bytes of the current packet rx must hold before anything happens */
            enum pd_status st = pd_header(c->rx, c->rx_len, &hl, &rem);
            if (st == PD_ERR_NEED_MORE) {
                need = c->rx_len + 1u; /* at most 5: below rx_cap */
            } else if (st != PD_OK) {
                return st;
            } else if ((need = hl + rem) > c->rx_cap) {
                if (c->rx[0] >> 4 != PD_T_PUBLISH >> 4) {
                    return PD_ERR_OVERSIZE;
                }
                need = c->rx_cap;
            }
            if (c->rx_len == need) {
                done++;
                st = handle(c, hl, need, rem, now_ms);
                if (st != PD_OK) {
                    return st;
                }
                continue;
            }
            dst += c->rx_len;
            want = need - c->rx_len;
        }
        r = io(c, false, dst, want);
        if (r <= 0) {
            return (enum pd_status)(-r);
        }
        if (c->rx_skip) {
            c->rx_skip -= (uint32_t)r;
            c->last_rx = now_ms;
        } else {
            c->rx_len = (uint16_t)(c->rx_len + r);
        }
    }
    return PD_OK;
}

/* Keepalive, CONNACK timeout and retransmission. Both timeouts measure from wait_since. */
static enum pd_status timers(struct pd_client *c, uint32_t now_ms)
{
    uint32_t t = c->keepalive_s * 1000u;
    uint32_t limit = PD_CONNACK_TIMEOUT_MS;
    if (c->state != PD_ST_CONNECTING) {
        if (c->state != PD_ST_CONNECTED) {
            return PD_OK;
        }
        /* Everything written and the oldest held packet unanswered for PD_RETRY_MS: write
         * the held ones again (only once the queue has drained, so a slow link never gets
         * copies piled up; with nothing held this sets 0 to 0). */
        if (c->tx_sent == c->tx_len && now_ms - c->rt_since >= PD_RETRY_MS) {
            c->tx_sent = 0;
        }
        if (!t) {
            return PD_OK;
        }
        if (c->flags != F_PING) { /* no PINGREQ pending, or one owed */
            if (!c->flags) {
                if (now_ms - c->last_tx < t - t / 4u && now_ms - c->last_rx < t - t / 4u) {
                    return PD_OK;
                }
                /* The PINGRESP clock starts now even if the PINGREQ finds no room: a queue
                 * that stays full that long means the link has stopped taking bytes. */
                c->wait_since = now_ms;
            }
            /* Without room it is owed and tried again at every poll, on the same clock. */
            c->flags = pd_queue(c, PD_T_PINGREQ, 0, NULL) ? F_PING_OWED : F_PING;
        }
        limit = t / 2u;
    }
    return now_ms - c->wait_since >= limit ? PD_ERR_TIMEOUT : PD_OK;
}

/* Write the queue until the transport would block, as much as it takes per call. Packets
 * wholly written leave the buffer, but held ones: they move down to tx_sent (a PUBLISH gets
 * DUP for later copies), and the rest of the queue follows them, one move per write. */
static enum pd_status transmit(struct pd_client *c, uint32_t now_ms)
{
    while (c->tx_sent < c->tx_len) {
        uint8_t *q = c->tx + c->tx_sent;
        uint8_t *end = c->tx + c->tx_len;
        uint8_t *keep = q;
        uint32_t left = (uint32_t)(end - q) - c->tx_part;
        int32_t r = io(c, true, q + c->tx_part, left);
        uint32_t done;
        if (r <= 0) {
            return (enum pd_status)(-r);
        }
        if ((uint32_t)r > left) {
            return PD_ERR_TRANSPORT;
        }
        c->last_tx = now_ms;
        done = c->tx_part + (uint32_t)r;
        for (uint32_t n; done && done >= (n = pd_pkt_size(q)); done -= n, q += n) {
            if (q[0] & PD_HELD) {
                if (keep == c->tx) {
                    c->rt_since = now_ms; /* the oldest held packet went out */
                }
                q[0] |= (q[0] >> 1) & PD_F_DUP; /* among held ones bit 4 marks a PUBLISH */
                memmove(keep, q, n);
                keep += n;
            }
        }
        memmove(keep, q, (size_t)(end - q));
        c->tx_len = (uint16_t)(c->tx_len - (q - keep));
        c->tx_sent = (uint16_t)(keep - c->tx);
        c->tx_part = (uint16_t)done;
    }
    return c->state == PD_ST_DISCONNECTING ? ST_BYE : PD_OK;
}

enum pd_status pd_poll(struct pd_client *c, uint32_t now_ms)
{
    enum pd_status st;
    if (c->state == PD_ST_IDLE) {
        return PD_OK;
    }
    /* (once idle the queue is empty, so transmit() has nothing to do) */
    st = receive(c, now_ms);
    if (st == PD_OK) {
        st = timers(c, now_ms);
    }
    if (st == PD_OK) {
        st = transmit(c, now_ms);
    }
    if (st != PD_OK) {
        return fail(c, (enum pd_status)(st & 0x0Fu)); /* (ST_BYE: PD_OK) */
    }
    return PD_OK;
}

enum pd_status pd_publish(struct pd_client *c, const char *topic, const void *payload, size_t len,
                          uint8_t qos, bool retain, uint16_t *id_out)
{
    struct pd_body t; /* (the PUBLISH builder reads only these; no part after a NULL one) */
    t.s[0] = topic;
    t.s[1] = NULL;
    t.payload = payload;
    t.len = len;
    t.id_out = id_out;
    return pd_queue_publish(c, &t, (uint32_t)qos << 1 | retain); /* (it checks c, topic first) */
}

/* pd_subscribe() (how = its QoS) or pd_unsubscribe() (how = PD_SUB_UNSUB): out of line, the
 * two entry points are each a call (inlined into both it costs 4 B more on Cortex-M0+) */
static NOINLINE enum pd_status sub(struct pd_client *c, const char *filter, uint32_t how,
                                   uint16_t *id_out)
{
    struct pd_body t; /* (the (UN)SUBSCRIBE builder reads only these; no part after a NULL one) */
    t.s[0] = filter;
    t.s[1] = NULL;
    t.id_out = id_out;
    return pd_queue_sub(c, &t, how); /* (it checks c and filter first) */
}

enum pd_status pd_subscribe(struct pd_client *c, const char *filter, uint8_t qos, uint16_t *id_out)
{
    return sub(c, filter, qos, id_out);
}

enum pd_status pd_unsubscribe(struct pd_client *c, const char *filter, uint16_t *id_out)
{
    return sub(c, filter, PD_SUB_UNSUB, id_out);
}

enum pd_status pd_disconnect(struct pd_client *c)
{
    enum pd_status st;
    if (c->state != PD_ST_CONNECTED && c->state != PD_ST_CONNECTING) {
        return PD_ERR_STATE;
    }
    st = pd_queue(c, PD_T_DISCONNECT, 0, NULL);
    if (st == PD_OK) {
        c->state = PD_ST_DISCONNECTING;
    }
    return st;
}

enum pd_state pd_state(const struct pd_client *c) { return (enum pd_state)c->state; }

uint16_t pd_dropped(const struct pd_client *c) { return c->dropped; }

unsigned pd_inflight(const struct pd_client *c) { return pd_win_find(c, 0) >> 16; }
