/* Putting packets into the transmit buffer (layout in pd_inflight.h). */
#ifndef PD_QUEUE_H
#define PD_QUEUE_H

#include <stdint.h>

#include "pd_client.h"
#include "pd_encode.h"

/* Encode one packet into txbuf. slot 0: transient packet, queued at the end, carrying id as
 * given (0 = none). slot PD_W_PENDING: QoS 1 PUBLISH, held until PUBACK, new packet id.
 * slot PD_W_SUB (| PD_W_ACK for UNSUBSCRIBE): takes a window slot until answered, new id.
 * The id used is stored in *id_out when id_out is not NULL.
 * Returns PD_OK, PD_ERR_BUSY (window or free space short now), PD_ERR_TOO_BIG (the packet
 * exceeds PD_PACKET_MAX or the whole txbuf). */
enum pd_status pd_queue(struct pd_client *c, uint32_t type, uint16_t id, const struct pd_body *b,
                        uint16_t slot, uint16_t *id_out);

/* pd_publish() with a topic made of parts; same checks and returns. */
enum pd_status pd_queue_publish(struct pd_client *c, const struct pd_parts *topic,
                                const void *payload, size_t len, uint8_t qos, bool retain,
                                uint16_t *id_out);

/* SUBSCRIBE (unsub false, at qos) or UNSUBSCRIBE of n filters; same returns as
 * pd_subscribe(). */
enum pd_status pd_queue_sub(struct pd_client *c, const struct pd_parts *filters, uint8_t n,
                            bool unsub, uint8_t qos, uint16_t *id_out);

#endif
