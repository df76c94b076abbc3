/* Reconnect pacing: exponential backoff with "equal jitter" (half fixed, half random), so a
 * fleet that lost the broker at once does not come back at once. */
#include "pd_client.h"

#if PD_BACKOFF_MAX_MS > 131068u
#error "PD_BACKOFF_MAX_MS above 131068 ms: the jitter product would not fit in 32 bits"
#endif

uint32_t pd_reconnect_schedule(struct pd_client *c, uint32_t now_ms, uint32_t random)
{
    uint32_t d = PD_BACKOFF_MIN_MS;
    uint32_t h;
    for (unsigned i = 0; i < c->attempt; i++) {
        d <<= 1;
    }
    /* attempt stops growing once d reaches the cap, so the shift never overflows */
    if (d >= PD_BACKOFF_MAX_MS) {
        d = PD_BACKOFF_MAX_MS;
    } else {
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
