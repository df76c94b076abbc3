/* MQTT 3.1.1 parsing of packets a broker sends to a client. Incremental: PD_ERR_NEED_MORE
 * (a valid prefix) is distinct from PD_ERR_MALFORMED; nothing is read at or past len. */
#ifndef PD_PARSE_H
#define PD_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "pd_client.h"

/* ev->type value pd_parse_packet() uses for PINGRESP (not a public event). */
#define PD_EV_PINGRESP ((enum pd_event_type)0)

/* Largest remaining length MQTT can express (4 bytes of 7 bits). */
#define PD_REMLEN_MAX 268435455u

/* Big-endian 16-bit value at p (2 bytes, caller checked they exist). A sum in 32 bits: as a
 * uint16_t OR GCC rebuilds it as a byte-swapped load (rev16) plus a zero extension. */
static inline uint32_t pd_get_u16(const uint8_t *p) { return (uint32_t)p[0] * 256u + p[1]; }

/* Parse the fixed header at buf[0..len). On PD_OK sets *hdrlen (2..5) and *rem.
 * Returns PD_OK, PD_ERR_NEED_MORE (len too short to tell), PD_ERR_MALFORMED (a fourth
 * length byte with its continuation bit set). */
enum pd_status pd_parse_header(const uint8_t *buf, size_t len, uint32_t *hdrlen, uint32_t *rem);

/* pd_parse_header() inline, for the receive loop (out of line it costs a call and two
 * variables in memory there). */
static inline enum pd_status pd_header(const uint8_t *buf, size_t len, uint32_t *hdrlen,
                                       uint32_t *rem)
{
    uint32_t v = 0;
    for (uint32_t i = 1; i < 5; i++) {
        if (i >= len) {
            return PD_ERR_NEED_MORE;
        }
        v |= (uint32_t)(buf[i] & 0x7Fu) << (7u * (i - 1u));
        if (!(buf[i] & 0x80u)) {
            *hdrlen = i + 1u;
            *rem = v;
            return PD_OK;
        }
    }
    return PD_ERR_MALFORMED;
}

/* pd_parse_packet() once the fixed header is known: type is its first byte and p[0..rem)
 * the rest of the packet (all of it). Same checks, *ev and returns, but never
 * PD_ERR_NEED_MORE. On the first bytes of an oversize PUBLISH (rem = how many there are) it
 * finds the packet id: ev->id is 0 unless the topic and a valid id are inside. */
enum pd_status pd_parse_body(uint32_t type, const uint8_t *p, uint32_t rem, struct pd_event *ev);

/* Validate the complete packet buf[0..len) (len = header + remaining length exactly) and
 * describe it in *ev (all fields reset first; topic/data point into buf; meaningful only on
 * PD_OK). Checks the fixed flags of each type, exact lengths, CONNACK codes, topic bounds and
 * characters, packet id non-zero, SUBACK codes. Returns PD_OK, PD_ERR_NEED_MORE (len shorter
 * than the header announces), PD_ERR_MALFORMED, or PD_ERR_PROTOCOL (a type a broker must not
 * send to a QoS 0/1 client: CONNECT, SUBSCRIBE, QoS 2 flows, ...). */
enum pd_status pd_parse_packet(const uint8_t *buf, size_t len, struct pd_event *ev);

#endif
