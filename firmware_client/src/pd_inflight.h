/* The transmit buffer: every outgoing packet, in wire order, and the in-flight window.
 *
 * txbuf [0, tx_len) holds whole packets as they go on the wire. [0, tx_sent) are packets that
 * have been written and wait for their answer: the QoS 1 PUBLISH packets awaiting PUBACK and
 * the SUBSCRIBE/UNSUBSCRIBE awaiting SUBACK/UNSUBACK ("held" packets: bit 1 of their type
 * byte, 0x32, 0x82, 0xA2, is set; no other packet the library sends has it). From tx_sent on
 * come the packets not yet (fully) written; tx_part bytes of the one at tx_sent are. Held
 * packets are (re)sent from where they are kept, never copied; every other packet leaves the
 * buffer once written. The window is the set of held packets: their ids are in their bytes,
 * so there is no slot table. */
#ifndef PD_INFLIGHT_H
#define PD_INFLIGHT_H

#include <stdint.h>

#include "pd_client.h"

#define PD_HELD 0x02u /* type byte bit 1: the packet waits for an answer once written */

/* Bytes of the packet at p (header + remaining length; the library writes at most 2 length
 * bytes). */
uint32_t pd_pkt_size(const uint8_t *p);

/* Walk txbuf. Returns the number of held packets << 16 | the offset of the held packet with
 * this packet id (tx_len if none; id 0 never matches). */
uint32_t pd_win_find(const struct pd_client *c, uint32_t id);

/* Take the n bytes of the packet at off out of txbuf (later packets move down; tx_sent is the
 * caller's to mend). */
void pd_txq_remove(struct pd_client *c, uint32_t off, uint32_t n);

/* Release the held packet that the acknowledgement with type byte ack (PUBACK, SUBACK or
 * UNSUBACK) answers for this id. Returns true if one matched; unknown ids and other kinds are
 * ignored, and so is an answer for a packet not wholly written since the last rewind or reconnect:
 * a stale one, or the answer to an earlier copy of a packet being written again at this moment (its
 * bytes must finish on the wire, and the broker answers that copy too). */
bool pd_win_release(struct pd_client *c, uint16_t id, uint32_t ack);

#endif
