/* The in-flight window and the transmit buffer layout.
 *
 * txbuf: [0, tx_held) the QoS 1 PUBLISH packets awaiting PUBACK, in slot order (a slot's
 * bytes = its info length); [tx_held, tx_len) the queue of transient packets (CONNECT,
 * SUBSCRIBE, PUBACK, QoS 0 PUBLISH...), FIFO. [tx_off, tx_end) is the rest of the packet being
 * written (tx_end == 0: none). Slots in use form a prefix of win[]. A slot whose id is 0 but
 * whose length is not is a released publish whose bytes are reclaimed by pd_win_gc() once no
 * packet is half-written. */
#ifndef PD_INFLIGHT_H
#define PD_INFLIGHT_H

#include <stdint.h>

#include "pd_client.h"

#define PD_W_LEN 0x1FFFu     /* bytes held in txbuf (publish slots) */
#define PD_W_ACK 0x2000u     /* SUBSCRIBE/UNSUBSCRIBE slot: 1 = UNSUBSCRIBE */
#define PD_W_SUB 0x4000u     /* slot waits for SUBACK/UNSUBACK, holds no bytes */
#define PD_W_PENDING 0x8000u /* publish slot must be (re)sent once connected */

/* Reclaim released slots and their bytes; keeps used slots a prefix. Only when tx_end == 0. */
void pd_win_gc(struct pd_client *c);

/* Index of the slot after the last one in use (after gc if possible), or -1 when the window
 * is full. */
int pd_win_free(struct pd_client *c);

/* A packet id not 0 and not used by any slot. */
uint16_t pd_win_next_id(struct pd_client *c);

/* Release the slot waiting for ack `want` (PD_W_SUB | flags for (UN)SUBACK, 0 for PUBACK)
 * with this id. Returns true if one matched; unknown ids are ignored. */
bool pd_win_release(struct pd_client *c, uint16_t id, uint16_t want);

/* Mark sent publishes for resending with DUP; with drop_subs, free SUB slots too (their
 * answers will never come on a new connection). When only_due, only those sent at least
 * PD_RETRY_MS before now_ms. */
void pd_win_requeue(struct pd_client *c, bool only_due, uint32_t now_ms);

/* Offset in txbuf of the first pending publish slot, clearing its flag and stamping it as
 * sent at now_ms; sets *len. Returns -1 when none. */
int32_t pd_win_take_pending(struct pd_client *c, uint32_t now_ms, uint32_t *len);

#endif
