/* Reconnect pacing: exponential backoff with "equal jitter" (half fixed, half random), so a
 * fleet that lost the broker at once does not come back at once. */
#include "pd_client.h"

uint32_t pd_reconnect_schedule(struct pd_client *c, uint32_t now_ms, uint32_t random)
{
    uint32_t d = PD_BACKOFF_MIN_MS;
    for (unsigned i = 0; i < c->attempt && d < PD_BACKOFF_MAX_MS; i++) {
        d <<= 1;
    }
    if (d > PD_BACKOFF_MAX_MS) {
        d = PD_BACKOFF_MAX_MS;
    }
    d = d / 2u + random % (d / 2u + 1u);
    if (c->attempt != 0xFFu) {
        c->attempt++;
    }
    c->retry_at = now_ms + d;
    return d;
}

bool pd_reconnect_due(const struct pd_client *c, uint32_t now_ms)
{
    /* Signed distance, so the millisecond clock may wrap. */
    return c->state == PD_ST_IDLE && (int32_t)(now_ms - c->retry_at) >= 0;
}
