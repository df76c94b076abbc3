/* In-flight window: fixed slots in the context, QoS 1 packet bytes at the front of txbuf. */
#include <string.h>

#include "pd_inflight.h"

#define TICK(ms) ((uint16_t)((ms) >> 6))

int pd_win_free(const struct pd_client *c)
{
    for (int i = 0; i < PD_INFLIGHT_MAX; i++) {
        if (!c->win[i].id) {
            return i;
        }
    }
    return -1;
}

uint16_t pd_win_next_id(struct pd_client *c)
{
    for (;;) {
        bool used = false;
        uint16_t id = ++c->next_id;
        for (unsigned i = 0; i < PD_INFLIGHT_MAX; i++) {
            used |= c->win[i].id == id;
        }
        if (id && !used) {
            return id;
        }
    }
}

/* Remove slot i and its n held bytes at off; later slots move down. */
static void drop_slot(struct pd_client *c, unsigned i, uint32_t off, uint32_t n)
{
    memmove(c->tx + off, c->tx + off + n, c->tx_len - off - n);
    c->tx_len = (uint16_t)(c->tx_len - n);
    c->tx_held = (uint16_t)(c->tx_held - n);
    struct pd_inflight_slot *last = &c->win[PD_INFLIGHT_MAX - 1];
    /* (a byte distance, not a slot count times 6: no multiply) */
    memmove(&c->win[i], &c->win[i + 1], (size_t)((uint8_t *)last - (uint8_t *)&c->win[i]));
    last->id = 0; /* free; its info 0, so it holds no bytes */
    last->info = 0;
}

bool pd_win_release(struct pd_client *c, uint16_t id, uint16_t want)
{
    uint32_t off = 0;
    for (unsigned i = 0; i < PD_INFLIGHT_MAX; i++) {
        struct pd_inflight_slot *s = &c->win[i];
        uint32_t n = s->info & PD_W_LEN;
        if (s->id == id && (s->info & (PD_W_SUB | PD_W_ACK)) == want) {
            drop_slot(c, i, off, n);
            return true;
        }
        off += n;
    }
    return false;
}

void pd_win_reset(struct pd_client *c)
{
    unsigned i = 0;
    while (i < PD_INFLIGHT_MAX && c->win[i].id) {
        if (c->win[i].info & PD_W_SUB) {
            drop_slot(c, i, 0, 0);
        } else {
            c->win[i++].info |= PD_W_PENDING;
        }
    }
}

void pd_win_service(struct pd_client *c, uint32_t now_ms)
{
    uint32_t off = 0;
    for (unsigned i = 0; i < PD_INFLIGHT_MAX; i++) {
        struct pd_inflight_slot *s = &c->win[i];
        uint32_t n = s->info & PD_W_LEN;
        if (n) {
            /* Due again only once earlier copies have left: a slow link does not fill the
             * queue with copies of the same message. */
            if (c->tx_len == c->tx_held &&
                (uint16_t)(TICK(now_ms) - s->sent) >= TICK(PD_RETRY_MS)) {
                s->info |= PD_W_PENDING;
            }
            if (s->info & PD_W_PENDING) {
                if (n > (uint32_t)(c->tx_cap - c->tx_len)) {
                    return; /* later, once the queue has drained */
                }
                memcpy(c->tx + c->tx_len, c->tx + off, n);
                c->tx_len = (uint16_t)(c->tx_len + n);
                c->tx[off] |= 0x08u; /* DUP on every later copy */
                s->info &= (uint16_t)~PD_W_PENDING;
                s->sent = TICK(now_ms);
            }
        }
        off += n;
    }
}
