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

/* Slot info: bit 0 PD_W_PENDING; bits 1..2 what the slot waits for,
 * (ack event type - PD_EV_PUBACK) << 1: 0 PUBACK, PD_W_SUB SUBACK, PD_W_UNSUB UNSUBACK;
 * bits 3..15 the bytes held in txbuf (publish slots; (UN)SUBSCRIBE slots hold none). */
#define PD_W_PENDING 0x1u /* publish slot must be (re)sent once connected */
#define PD_W_SUB 0x2u
#define PD_W_UNSUB 0x4u
#define PD_W_KIND 0x6u
#define PD_W_LEN(info) ((uint32_t)(info) >> 3)

/* The first free slot, or NULL when the window is full. */
struct pd_inflight_slot *pd_win_free(struct pd_client *c);

/* A packet id not 0 and not used by any slot. */
uint16_t pd_win_next_id(struct pd_client *c);

/* Release the slot that ack (PD_EV_PUBACK, PD_EV_SUBACK or PD_EV_UNSUBACK) answers for this
 * id, with its held bytes. Returns true if one matched; unknown ids are ignored. */
bool pd_win_release(struct pd_client *c, uint16_t id, enum pd_event_type ack);

/* The link is gone: free SUBSCRIBE/UNSUBSCRIBE slots (their answers will never come) and
 * mark every held publish for sending after the next CONNACK. */
void pd_win_reset(struct pd_client *c);

/* Connected: mark publishes sent PD_RETRY_MS ago for resending (only when the queue is
 * empty, so copies of one message never pile up behind a slow link), then append a copy of each
 * pending one to the queue while it fits (the kept original then gets DUP, so every later
 * copy is marked as a redelivery). pd_queue() keeps room for the largest held one, so each
 * fits once the queue has drained (the CONNECT of a reconnect has left it by then: copies are
 * only appended once connected, and the broker answers only a CONNECT it has read). */
void pd_win_service(struct pd_client *c, uint32_t now_ms);

#endif
