/* MQTT 3.1.1 packet encoding into caller memory. Each packet body is produced by a builder
 * that runs twice: once with a NULL destination to count its bytes, once to write them, so
 * sizing and writing can never disagree. */
#ifndef PD_ENCODE_H
#define PD_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "pd_client.h"

/* Packet type bytes (type << 4 | fixed flags). */
#define PD_T_CONNECT 0x10u
#define PD_T_PUBLISH 0x30u
#define PD_T_PUBACK 0x40u
#define PD_T_SUBSCRIBE 0x82u
#define PD_T_UNSUBSCRIBE 0xA2u
#define PD_T_PINGREQ 0xC0u
#define PD_T_DISCONNECT 0xE0u
#define PD_F_DUP 0x08u
#define PD_F_RETAIN 0x01u

/* Destination cursor; p == NULL counts only. n is the byte count so far. */
struct pd_wr {
    uint8_t *p;
    uint32_t n;
};

/* What a builder writes (see pd_enc_body). */
struct pd_body {
    /* Topic parts: up to 4 NUL-terminated parts, concatenated up to the first NULL one (the
     * parts after it are never read), so room helpers build "rooms/{room}/msg/{me}" without a
     * scratch buffer. PUBLISH: the topic. (UN)SUBSCRIBE: one filter of one part ({f, NULL}),
     * or two filters sharing parts 0 and 1 ({p0, p1, t0, t1}: p0 p1 t0 and p0 p1 t1) */
    const char *s[4];
    const void *payload;                /* PUBLISH payload */
    size_t len;                         /* its length */
    const struct pd_connect_opts *conn; /* CONNECT options, else NULL */
    uint8_t qos;      /* SUBSCRIBE requested QoS of the first filter; the others get 0 */
    uint16_t *id_out; /* where pd_queue() stores the id used, or NULL */
};

/* The low n (1..4) bytes of v, most significant first. */
void pd_wr_be(struct pd_wr *w, uint32_t v, size_t n);
static inline void pd_wr_u16(struct pd_wr *w, uint32_t v) { pd_wr_be(w, v, 2); }
void pd_wr_bytes(struct pd_wr *w, const void *s, size_t n);
/* MQTT string: 2-byte length then the bytes of the concatenated parts s[i] for each bit i set
 * in mask, up to the first NULL one (parts after it, and those not in mask, are never read). */
#define PD_PARTS_ALL 0xFu
void pd_wr_parts(struct pd_wr *w, const char *const *s, unsigned mask);

/* Bytes of the fixed header of a packet with remaining length rem: 2, or 3 above 127.
 * Exact up to 16383, which covers every packet the library sends (PD_PACKET_MAX); above
 * that it undercounts, and the packet is refused as too big anyway. */
#define PD_ENC_HDR_SIZE(rem) ((rem) > 127u ? 3u : 2u)

/* Write the fixed header: type byte and remaining length (rem <= 16383, one or two bytes).
 * dst must hold PD_ENC_HDR_SIZE(rem) bytes. */
static inline void pd_enc_header(uint8_t *dst, uint32_t type, uint32_t rem)
{
    uint32_t big = rem >> 7; /* (0 up to 127: one length byte) */
    dst[0] = (uint8_t)type;
    if (big) {
        dst[2] = (uint8_t)big;
        rem |= 0x80u;
    }
    dst[1] = (uint8_t)rem;
}

/* Write (or count, when w->p is NULL) the variable header and payload of a packet whose type
 * byte is type. id is written where the packet has one (PUBLISH QoS 1, PUBACK, SUBSCRIBE,
 * UNSUBSCRIBE). b may be NULL for packets without body fields. When writing, w->p is the
 * packet's first byte, its fixed header already written, and w->n that header's size (the
 * CONNECT builder finds its flags byte from it). */
void pd_enc_body(struct pd_wr *w, uint32_t type, uint16_t id, const struct pd_body *b);

#endif
