/* The in-flight window, kept in the packets of txbuf themselves (layout in pd_inflight.h). */
#include <string.h>

#include "pd_inflight.h"
#include "pd_encode.h"

uint32_t pd_pkt_size(const uint8_t *p)
{
    uint32_t rem = p[1];
    if (rem > 127u) {
        return rem + ((uint32_t)p[2] << 7) - 125u; /* (rem & 0x7F) + 3: rem is 128..255 */
    }
    return rem + 2u;
}

/* Whether the held packet at p has this packet id (below 0x10000): it comes after the topic
 * for a PUBLISH, first for (UN)SUBSCRIBE. (Its high byte ^ id leaves the low byte only when
 * the high bytes match: no byte swap.) */
static bool held_id_is(const uint8_t *p, uint32_t id)
{
    const uint8_t *q = p + 2 + (p[1] >> 7);
    if (!(p[0] & 0x80u)) {
        q += ((uint32_t)q[0] << 8) + q[1] + 2u;
    }
    return ((uint32_t)q[0] << 8 ^ id) == q[1];
}

uint32_t pd_win_find(const struct pd_client *c, uint32_t id)
{
    const uint8_t *p = c->tx;
    const uint8_t *end = p + c->tx_len;
    uint32_t r = c->tx_len; /* (held ids are unique: at most one packet matches) */
    for (; p < end; p += pd_pkt_size(p)) {
        if ((int32_t)((uint32_t)p[0] << 30) < 0) { /* PD_HELD */
            r += 1u << 16;
            if (held_id_is(p, id)) {
                r -= (uint32_t)(end - p); /* the offset of p */
            }
        }
    }
    return r;
}

void pd_txq_remove(struct pd_client *c, uint32_t off, uint32_t n)
{
    uint32_t len = c->tx_len - n; /* bytes left */
    memmove(c->tx + off, c->tx + off + n, len - off);
    c->tx_len = (uint16_t)len;
}

bool pd_win_release(struct pd_client *c, uint16_t id, uint32_t ack)
{
    uint32_t off = pd_win_find(c, id) & 0xFFFFu;
    const uint8_t *p = c->tx + off;
    /* (only a packet wholly written can have been answered: tx_len, not found, is past it;
     * each ack's type is the one of what it answers + 1: PUBACK 4 for PUBLISH 3, SUBACK 9 for
     * SUBSCRIBE 8, UNSUBACK 11 for UNSUBSCRIBE 10) */
    if (off >= c->tx_sent || (p[0] >> 4) + 1u != ack >> 4) {
        return false;
    }
    {
        uint32_t n = pd_pkt_size(p);
        pd_txq_remove(c, off, n);
        c->tx_sent = (uint16_t)(c->tx_sent - n); /* (it lay before tx_sent) */
    }
    return true;
}
