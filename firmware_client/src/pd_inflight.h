/* The in-flight window and the transmit buffer layout.
 *
 * txbuf: [0, tx_held) the QoS 1 PUBLISH packets awaiting PUBACK, in slot order (a slot's
 * bytes = its info length); [tx_held, tx_len) the bytes not yet written to the transport, in
 * order. Held packets are never written from where they are kept: (re)sending one appends a
 * copy to the queue, so a PUBACK can release the bytes at once, whatever is half-written.
 * Slots in use always form a prefix of win[]. */
#ifndef PD_INFLIGHT_H
#define PD_INFLIGHT_H

#include <stdint.h>

#include "pd_client.h"

#define PD_W_LEN 0x1FFFu     /* bytes held in txbuf (publish slots) */
#define PD_W_ACK 0x2000u     /* SUBSCRIBE/UNSUBSCRIBE slot: 1 = UNSUBSCRIBE */
#define PD_W_SUB 0x4000u     /* slot waits for SUBACK/UNSUBACK, holds no bytes */
#define PD_W_PENDING 0x8000u /* publish slot must be (re)sent once connected */

/* Index of the first free slot, or -1 when the window is full. */
int pd_win_free(const struct pd_client *c);

/* A packet id not 0 and not used by any slot. */
uint16_t pd_win_next_id(struct pd_client *c);

/* Release the slot waiting for ack `want` (PD_W_SUB | flags for (UN)SUBACK, 0 for PUBACK)
 * with this id, with its held bytes. Returns true if one matched; unknown ids are ignored. */
bool pd_win_release(struct pd_client *c, uint16_t id, uint16_t want);

/* The link is gone: free SUBSCRIBE/UNSUBSCRIBE slots (their answers will never come) and
 * mark every held publish for sending after the next CONNACK. */
void pd_win_reset(struct pd_client *c);

/* Connected: mark publishes sent PD_RETRY_MS ago for resending (only when the queue is
 * empty, so copies of one message never pile up behind a slow link), then append a copy of each
 * pending one to the queue while it fits (the kept original then gets DUP, so every later
 * copy is marked as a redelivery). */
void pd_win_service(struct pd_client *c, uint32_t now_ms);

#endif
