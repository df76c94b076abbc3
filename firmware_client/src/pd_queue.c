/* Sizing, room checks and placement of outgoing packets in txbuf. */
#include <string.h>

#include "pd_inflight.h"
#include "pd_queue.h"

/* Free bytes a held publish must leave beside the last CONNECT, so a PUBACK or PINGREQ can
 * always be queued (the receive path stops reading while fewer are free) and a reconnect
 * always fits. */
#define HELD_RESERVE 4u

enum pd_status pd_queue(struct pd_client *c, uint32_t type, uint16_t id, const struct pd_body *b,
                        uint16_t slot, uint16_t *id_out)
{
    struct pd_wr w = {NULL, 0};
    uint32_t total;
    uint32_t at = c->tx_len;
    int si = 0;

    if (slot) {
        si = pd_win_free(c);
        if (si < 0) {
            return PD_ERR_BUSY;
        }
        id = pd_win_next_id(c);
    }
    pd_enc_body(&w, type, id, b);
    total = 1u + pd_enc_remlen_size(w.n) + w.n;
    if (total > PD_PACKET_MAX || total > c->tx_cap) {
        return PD_ERR_TOO_BIG;
    }
    if (total + ((slot & PD_W_PENDING) ? HELD_RESERVE + c->conn_len : 0u) >
        (uint32_t)(c->tx_cap - c->tx_len)) {
        return PD_ERR_BUSY;
    }
    if (slot & PD_W_PENDING) {
        /* Open a gap at the end of the held region; the unsent queue moves up. */
        at = c->tx_held;
        memmove(c->tx + at + total, c->tx + at, c->tx_len - at);
        c->tx_held = (uint16_t)(c->tx_held + total);
        slot = (uint16_t)(slot | total);
    }
    c->tx_len = (uint16_t)(c->tx_len + total);
    w.p = c->tx + at + pd_enc_header(c->tx + at, type, w.n);
    w.n = 0;
    pd_enc_body(&w, type, id, b);
    if (slot) {
        c->win[si].id = id;
        c->win[si].info = slot;
    }
    if (id_out) {
        *id_out = id;
    }
    return PD_OK;
}

enum pd_status pd_queue_publish(struct pd_client *c, const struct pd_parts *topic,
                                const void *payload, size_t len, uint8_t qos, bool retain,
                                uint16_t *id_out)
{
    struct pd_body b = {topic, payload, len, NULL, 1, 0};
    uint32_t type = PD_T_PUBLISH | (retain ? PD_F_RETAIN : 0u);
    if (qos > 1u || (!payload && len)) {
        return PD_ERR_PARAM;
    }
    if (len > PD_MAX_PAYLOAD) {
        return PD_ERR_TOO_BIG;
    }
    if (c->state == PD_ST_DISCONNECTING || (!qos && c->state == PD_ST_IDLE)) {
        return PD_ERR_STATE;
    }
    if (id_out) {
        *id_out = 0;
    }
    /* QoS 1 (flags 0x02) is held until PUBACK; QoS 0 gets id 0, already in *id_out */
    return pd_queue(c, type | ((uint32_t)qos << 1), 0, &b, (uint16_t)(qos ? PD_W_PENDING : 0u),
                    id_out);
}

enum pd_status pd_queue_sub(struct pd_client *c, const struct pd_parts *filters, uint8_t n,
                            bool unsub, uint8_t qos, uint16_t *id_out)
{
    struct pd_body b = {filters, NULL, 0, NULL, n, qos};
    if (qos > 1u) {
        return PD_ERR_PARAM;
    }
    if (c->state != PD_ST_CONNECTED && c->state != PD_ST_CONNECTING) {
        return PD_ERR_STATE;
    }
    return pd_queue(c, unsub ? PD_T_UNSUBSCRIBE : PD_T_SUBSCRIBE, 0, &b,
                    unsub ? (PD_W_SUB | PD_W_ACK) : PD_W_SUB, id_out);
}
