/* Human-readable status strings. */
#include "pd_client.h"

const char *pd_strerror(enum pd_status st)
{
    static const char *const msg[] = {
        "ok",
        "invalid argument",
        "not allowed in this state",
        "busy: window or transmit buffer full, retry later",
        "too big: payload above PD_MAX_PAYLOAD or packet above the buffer",
        "invalid room or user name",
        "transport error",
        "connection closed by peer",
        "timeout: no answer from the broker",
        "malformed packet",
        "protocol violation",
        "incoming packet larger than the receive buffer",
        "refused by the broker",
        "need more bytes",
    };
    unsigned i = (unsigned)st;
    return i < sizeof msg / sizeof msg[0] ? msg[i] : "unknown status";
}
