/* Putting packets into the transmit buffer (layout in pd_inflight.h). */
#ifndef PD_QUEUE_H
#define PD_QUEUE_H

#include <stdint.h>

#include "pd_client.h"
#include "pd_encode.h"

/* Encode one packet of this type byte into txbuf, at the end (a CONNECT: at the front, before
 * the held publishes it resends). A QoS 1 PUBLISH is held until PUBACK, a SUBSCRIBE or
 * UNSUBSCRIBE until answered; they take a window place and get a new packet id, stored in
 * *b->id_out when that is not NULL. Other packets leave once written and carry id as given
 * (0 = none); b may then be NULL.
 * A held packet must also leave, beside everything queued, room for the last CONNECT + 4
 * bytes, so a reconnect and a PUBACK or PINGREQ always fit beside what is held.
 * Returns PD_OK, PD_ERR_BUSY (window or free space short now), PD_ERR_TOO_BIG (the packet
 * exceeds PD_PACKET_MAX or the whole txbuf; a held one, its size + the last CONNECT + 4). */
enum pd_status pd_queue(struct pd_client *c, uint32_t type, uint16_t id, const struct pd_body *b);

/* pd_publish() of b (topic parts s, payload, len, id_out; nothing else read) with flags =
 * QoS << 1 | retain (the low nibble of the PUBLISH type byte); same checks and returns. */
enum pd_status pd_queue_publish(struct pd_client *c, const struct pd_body *b, uint32_t flags);

/* SUBSCRIBE (how = its QoS: above 1 is PD_ERR_PARAM) or UNSUBSCRIBE (how = PD_SUB_UNSUB)
 * of the filters in b->s (one, or two sharing parts: see struct pd_body) with b->id_out;
 * sets b->qos, reads nothing else. Same returns as pd_subscribe(). */
#define PD_SUB_UNSUB 0xFFFFFFFFu
enum pd_status pd_queue_sub(struct pd_client *c, struct pd_body *b, uint32_t how);

#endif
