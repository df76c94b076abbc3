/* Reconnect pacing: exponential backoff with "equal jitter" (half fixed, half random), so a
 * fleet that lost the broker at once does not come back at once. */
#include "pd_client.h"

#if PD_BACKOFF_MAX_MS > 131068u
#error "PD_BACKOFF_MAX_MS above 131068 ms: the jitter product would not fit in 32 bits"
#endif

uint32_t pd_reconnect_schedule(struct pd_client *c, uint32_t now_ms, uint32_t random)
{
    /* attempt stops growing once d reaches the cap, so the shift never overflows (a zero
     * minimum never reaches it: attempt then counts on, and the shift is not used) */
#if PD_BACKOFF_MIN_MS > 0
    uint32_t d = (uint32_t)PD_BACKOFF_MIN_MS << c->attempt;
#else
    uint32_t d = 0;
#endif
    uint32_t h;
    if (d > PD_BACKOFF_MAX_MS) {
        d = PD_BACKOFF_MAX_MS;
    }
    if (d != PD_BACKOFF_MAX_MS) { /* (one constant: d == the cap also stops the growth) */
        c->attempt++;
    }
    /* d/2 + a value in [0, d/2] scaled from the top 16 random bits: no division (Cortex-M0+
     * has none), no 64-bit product (d/2 + 1 < 2^16 keeps it in 32 bits). */
    h = d >> 1;
    d = h + (((random >> 16) * (h + 1u)) >> 16);
    c->retry_at = now_ms + d;
    return d;
}

bool pd_reconnect_due(const struct pd_client *c, uint32_t now_ms)
{
    /* Signed distance, so the millisecond clock may wrap. */
    return c->state == PD_ST_IDLE && (int32_t)(now_ms - c->retry_at) >= 0;
}
