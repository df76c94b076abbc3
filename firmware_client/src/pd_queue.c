/* Sizing, room checks and placement of outgoing packets in txbuf. */
#include <string.h>

#include "pd_inflight.h"
#include "pd_queue.h"

/* Free bytes every held packet leaves beside the held ones and the last CONNECT, so a PUBACK
 * or PINGREQ can always be queued (the receive path stops reading while fewer are free). */
#define HELD_RESERVE 4u

/* total > PD_PACKET_MAX as a shift (no 32-bit compare constant on Thumb-1) */
#define PACKET_BITS 13u
#if PD_PACKET_MAX != (1u << PACKET_BITS) - 1u
#error "PD_PACKET_MAX must be 2^PACKET_BITS - 1"
#endif

/* A packet id not 0 and not used by any held packet. */
static uint16_t next_id(struct pd_client *c)
{
    for (;;) {
        uint16_t id = ++c->next_id;
        if (id && (uint16_t)pd_win_find(c, id) == c->tx_len) {
            return id;
        }
    }
}

enum pd_status pd_queue(struct pd_client *c, uint32_t type, uint16_t id, const struct pd_body *b)
{
    struct pd_wr w = {NULL, 0};
    const uint32_t held = type >> 1 << 31; /* type & PD_HELD, as shifts (no constant register) */

    /* Type bit 1 marks the packets that are held until answered: PUBLISH QoS 1 (0x32),
     * SUBSCRIBE (0x82), UNSUBSCRIBE (0xA2). */
    if (held) {
        if (pd_win_find(c, 0) >> 16 >= PD_INFLIGHT_MAX) {
            return PD_ERR_BUSY;
        }
        id = next_id(c);
    }
    /* Two passes of one builder: count (w.p NULL), then write where the count says. */
    for (;;) {
        pd_enc_body(&w, type, id, b);
        if (w.p) {
            break;
        }
        {
            /* (PD_ENC_HDR_SIZE(w.n) + w.n, written without a branch: shorter on Thumb-1) */
            uint32_t total = w.n + 2u + (w.n > 127u);
            uint32_t len = c->tx_len;
            uint32_t at = len;
            uint32_t keep = 0; /* a held packet: the last CONNECT + the reserve */
            uint8_t *dst;
            /* Held packets stay until answered, and after a link loss the CONNECT goes in
             * front of the held publishes: so a held one leaves room for the last CONNECT and
             * the reserve beside everything queued now (held or not: the rest drains, so the
             * held bytes alone always leave that room). */
            if (held) {
                keep = c->conn_len + HELD_RESERVE;
            }
            /* too big: does not fit even with nothing held and the queue empty */
            if (total >> PACKET_BITS || total + keep > c->tx_cap) {
                return PD_ERR_TOO_BIG;
            }
            if (total + keep + len > c->tx_cap) {
                return PD_ERR_BUSY;
            }
            if (type == PD_T_CONNECT) {
                at = 0; /* before the held publishes it resends */
                c->conn_len = (uint16_t)total;
            }
            dst = c->tx + at;
            c->tx_len = (uint16_t)(len + total);
            memmove(dst + total, dst, len - at);
            pd_enc_header(dst, type, w.n);
            w.p = dst;
            w.n = total - w.n; /* the body follows the header */
        }
    }
    if (held && b->id_out) {
        *b->id_out = id;
    }
    return PD_OK;
}

enum pd_status pd_queue_publish(struct pd_client *c, const struct pd_body *b, uint32_t flags)
{
    if (!c || !b->s[0] || !*b->s[0]) { /* (pd_publish() arguments) */
        return PD_ERR_PARAM;
    }
    if (flags > 3u || (!b->payload && b->len)) { /* QoS above 1 */
        return PD_ERR_PARAM;
    }
    if (b->len > PD_MAX_PAYLOAD) {
        return PD_ERR_TOO_BIG;
    }
    if (c->state == PD_ST_DISCONNECTING || (flags < 2u && c->state == PD_ST_IDLE)) {
        return PD_ERR_STATE;
    }
    if (b->id_out) {
        *b->id_out = 0;
    }
    /* QoS 1 (flags 0x02) is held until PUBACK; QoS 0 gets id 0, already in *id_out */
    return pd_queue(c, PD_T_PUBLISH | flags, 0, b);
}

enum pd_status pd_queue_sub(struct pd_client *c, struct pd_body *b, uint32_t how)
{
    uint32_t type = PD_T_SUBSCRIBE;
    if (!c || !b->s[0] || !*b->s[0]) { /* (pd_subscribe()/pd_unsubscribe() arguments) */
        return PD_ERR_PARAM;
    }
    b->qos = (uint8_t)how; /* (not read for an UNSUBSCRIBE) */
    if (how == PD_SUB_UNSUB) {
        type = PD_T_UNSUBSCRIBE;
    } else if (how > 1u) {
        return PD_ERR_PARAM;
    }
    if (c->state != PD_ST_CONNECTED && c->state != PD_ST_CONNECTING) {
        return PD_ERR_STATE;
    }
    return pd_queue(c, type, 0, b);
}
