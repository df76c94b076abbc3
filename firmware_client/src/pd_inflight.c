/* In-flight window: fixed slots in the context, QoS 1 packet bytes at the front of txbuf. */
#include <string.h>

#include "pd_inflight.h"

#define TICK(ms) ((uint16_t)((ms) >> 6))

/* (the loops walk slot pointers: indexing 6-byte slots would multiply on Cortex-M0+) */
#define WIN_END(c) ((c)->win + PD_INFLIGHT_MAX)

struct pd_inflight_slot *pd_win_free(struct pd_client *c)
{
    for (struct pd_inflight_slot *s = c->win; s < WIN_END(c); s++) {
        if (!s->id) {
            return s;
        }
    }
    return NULL;
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

/* Remove slot s and its n held bytes at off; later slots move down. */
static void drop_slot(struct pd_client *c, struct pd_inflight_slot *s, uint32_t off, uint32_t n)
{
    struct pd_inflight_slot *last = WIN_END(c) - 1;
    memmove(c->tx + off, c->tx + off + n, c->tx_len - off - n);
    c->tx_len = (uint16_t)(c->tx_len - n);
    c->tx_held = (uint16_t)(c->tx_held - n);
    /* (a byte distance, not a slot count times 6: no multiply) */
    memmove(s, s + 1, (size_t)((uint8_t *)last - (uint8_t *)s));
    last->id = 0; /* free; its info 0, so it holds no bytes */
    last->info = 0;
}

bool pd_win_release(struct pd_client *c, uint16_t id, enum pd_event_type ack)
{
    uint32_t off = 0;
    uint32_t want = ((uint32_t)ack - PD_EV_PUBACK) << 1; /* the slot kind it answers */
    for (struct pd_inflight_slot *s = c->win; s < WIN_END(c); s++) {
        uint32_t n = PD_W_LEN(s->info);
        if (s->id == id && (s->info & PD_W_KIND) == want) {
            drop_slot(c, s, off, n);
            return true;
        }
        off += n;
    }
    return false;
}

void pd_win_reset(struct pd_client *c)
{
    struct pd_inflight_slot *s = c->win;
    while (s < WIN_END(c) && s->id) {
        if (s->info & PD_W_KIND) {
            drop_slot(c, s, 0, 0);
        } else {
            s++->info |= PD_W_PENDING;
        }
    }
}

void pd_win_service(struct pd_client *c, uint32_t now_ms)
{
    uint32_t off = 0;
    for (unsigned i = 0; i < PD_INFLIGHT_MAX; i++) {
        struct pd_inflight_slot *s = &c->win[i];
        uint32_t n = PD_W_LEN(s->info);
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
