/* In-flight window: fixed slots in the context, QoS 1 packet bytes at the front of txbuf. */
#include <string.h>

#include "pd_inflight.h"

#define TICK(ms) ((uint16_t)((ms) >> 6))

void pd_win_gc(struct pd_client *c)
{
    uint32_t off = 0;
    unsigned j = 0;
    for (unsigned i = 0; i < PD_INFLIGHT_MAX; i++) {
        struct pd_inflight_slot s = c->win[i];
        uint32_t n = s.info & PD_W_LEN;
        if (!s.id) {
            if (n) {
                memmove(c->tx + off, c->tx + off + n, c->tx_len - off - n);
                c->tx_len = (uint16_t)(c->tx_len - n);
                c->tx_held = (uint16_t)(c->tx_held - n);
            }
            continue;
        }
        c->win[j++] = s;
        off += n;
    }
    for (; j < PD_INFLIGHT_MAX; j++) {
        memset(&c->win[j], 0, sizeof c->win[j]);
    }
}

int pd_win_free(struct pd_client *c)
{
    /* The slot after the last one in use, never a hole: publish bytes sit in txbuf in slot
     * order and a new publish's bytes go at the end of the held region. */
    int i = PD_INFLIGHT_MAX;
    if (!c->tx_end) {
        pd_win_gc(c);
    }
    while (i > 0 && !c->win[i - 1].id && !c->win[i - 1].info) {
        i--;
    }
    return i < PD_INFLIGHT_MAX ? i : -1;
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

bool pd_win_release(struct pd_client *c, uint16_t id, uint16_t want)
{
    for (unsigned i = 0; i < PD_INFLIGHT_MAX; i++) {
        struct pd_inflight_slot *s = &c->win[i];
        if (s->id == id && (s->info & (PD_W_SUB | PD_W_ACK)) == want) {
            s->id = 0;
            s->info &= PD_W_LEN; /* bytes stay until gc */
            return true;
        }
    }
    return false;
}

void pd_win_requeue(struct pd_client *c, bool only_due, uint32_t now_ms)
{
    uint32_t off = 0;
    for (unsigned i = 0; i < PD_INFLIGHT_MAX; i++) {
        struct pd_inflight_slot *s = &c->win[i];
        uint32_t n = s->info & PD_W_LEN;
        if (s->info & PD_W_SUB) {
            if (!only_due) {
                memset(s, 0, sizeof *s);
            }
        } else if (s->id && !(s->info & PD_W_PENDING) &&
                   (!only_due || (uint16_t)(TICK(now_ms) - s->sent) >= TICK(PD_RETRY_MS))) {
            c->tx[off] |= 0x08u; /* DUP: this packet was sent before */
            s->info |= PD_W_PENDING;
        }
        off += n;
    }
}

int32_t pd_win_take_pending(struct pd_client *c, uint32_t now_ms, uint32_t *len)
{
    uint32_t off = 0;
    for (unsigned i = 0; i < PD_INFLIGHT_MAX; i++) {
        struct pd_inflight_slot *s = &c->win[i];
        uint32_t n = s->info & PD_W_LEN;
        if (s->id && (s->info & PD_W_PENDING)) {
            s->info &= (uint16_t)~PD_W_PENDING;
            s->sent = TICK(now_ms);
            *len = n;
            return (int32_t)off;
        }
        off += n;
    }
    return -1;
}
