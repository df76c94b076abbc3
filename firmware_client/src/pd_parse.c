/* Parsers trust nothing: every length is checked against len before the byte is read. */
#include <string.h>

#include "pd_parse.h"

enum pd_status pd_parse_header(const uint8_t *buf, size_t len, uint32_t *hdrlen, uint32_t *rem)
{
    return pd_header(buf, len, hdrlen, rem);
}

/* The variable header and payload of a PUBLISH: p[0..rem), type = its first byte (the flags
 * are its low nibble). ev is zeroed. On an error other fields may be set, but id stays 0 (so
 * the prefix of an oversize PUBLISH gives its packet id or 0). */
static enum pd_status parse_publish(const uint8_t *p, uint32_t rem, uint32_t type,
                                    struct pd_event *ev)
{
    uint32_t qos = (type >> 1) & 3u;
    uint32_t tl;
    uint32_t off;
    /* type >> 1 is 0x18 | DUP << 2 | QoS: QoS 3 (3, 7) and DUP on QoS 0 (4) are malformed, so
     * bits 7 - 3, 7 - 4 and 7 - 7 of 0x19 reach bit 31 */
    if ((0x19u << (type >> 1)) >> 31) {
        return PD_ERR_MALFORMED;
    }
    if (qos == 2u) {
        return PD_ERR_PROTOCOL; /* we never subscribe above QoS 1 */
    }
    if (rem < 2u) {
        return PD_ERR_MALFORMED;
    }
    /* (filled before the checks end: on an error the caller reads nothing but id) */
    ev->type = PD_EV_MESSAGE;
    ev->qos = (uint8_t)qos;
    ev->dup = (type & 0x08u) != 0u;
    ev->retain = (type & 0x01u) != 0u;
    ev->topic = (const char *)(p + 2);
    tl = pd_get_u16(p);
    ev->topic_len = (uint16_t)tl;
    off = 2u + tl + (qos << 1); /* (QoS 0 or 1 here) */
    if (off > rem) {
        return PD_ERR_MALFORMED;
    }
    { /* p[2..tl + 1], backwards; an empty topic (tl 0) fails on p[1], its length's low byte */
        uint32_t i = tl + 1u;
        do {
            uint8_t ch = p[i];
            if (ch == 0u || ch == '+' || ch == '#') {
                return PD_ERR_MALFORMED;
            }
        } while (--i > 1u);
    }
    p += off;
    if (qos) {
        ev->id = (uint16_t)pd_get_u16(p - 2);
        if (!ev->id) {
            return PD_ERR_MALFORMED;
        }
    }
    ev->data = p;
    ev->len = rem - off;
    return PD_OK;
}

/* What each packet type becomes: an event type (bits 0..2) with the least remaining length of
 * the packet (bits 3..4; exact below 3, so for all but SUBACK), or the status it is refused
 * with << 4. */
#define K_MALFORMED ((uint32_t)PD_ERR_MALFORMED << 4) /* reserved */
#define K_PROTOCOL ((uint32_t)PD_ERR_PROTOCOL << 4)   /* client-to-server and QoS 2 flows */
#define K_REFUSED 0x20u                               /* (every refusal is above) */
#define K_LEN(n) ((n) << 3)
static const uint8_t kind[16] = {
    K_MALFORMED,               /* 0 reserved */
    K_PROTOCOL,                /* 1 CONNECT */
    PD_EV_CONNACK | K_LEN(2),  /* 2 CONNACK */
    PD_EV_MESSAGE,             /* 3 PUBLISH, checked apart */
    PD_EV_PUBACK | K_LEN(2),   /* 4 PUBACK */
    K_PROTOCOL,                /* 5 PUBREC */
    K_PROTOCOL,                /* 6 PUBREL */
    K_PROTOCOL,                /* 7 PUBCOMP */
    K_PROTOCOL,                /* 8 SUBSCRIBE */
    PD_EV_SUBACK | K_LEN(3),   /* 9 SUBACK */
    K_PROTOCOL,                /* 10 UNSUBSCRIBE */
    PD_EV_UNSUBACK | K_LEN(2), /* 11 UNSUBACK */
    K_PROTOCOL,                /* 12 PINGREQ */
    PD_EV_PINGRESP,            /* 13 PINGRESP */
    K_PROTOCOL,                /* 14 DISCONNECT */
    K_MALFORMED,               /* 15 reserved */
};

enum pd_status pd_parse_body(uint32_t type, const uint8_t *p, uint32_t rem, struct pd_event *ev)
{
    uint32_t k;

    memset(ev, 0, sizeof *ev);
    k = kind[type >> 4]; /* (after the call: one value fewer to keep across it) */
    if (k == PD_EV_MESSAGE) {
        return parse_publish(p, rem, type, ev);
    }
    if (k >= K_REFUSED) {
        return (enum pd_status)(k >> 4);
    }
    /* CONNACK, PUBACK, SUBACK, UNSUBACK, PINGRESP: flags 0; PINGRESP empty, SUBACK an id and
     * at least one code, the others exactly 2 bytes (only SUBACK's least length is 3). */
    if ((type & 0x0Fu) || (rem != k >> 3 && (rem < k >> 3 || k < K_LEN(3)))) {
        return PD_ERR_MALFORMED;
    }
    k &= 7u;
    ev->type = (enum pd_event_type)k;
    if (k == PD_EV_PINGRESP) {
        return PD_OK;
    }
    if (k == PD_EV_CONNACK) {
        /* CONNACK: reserved bits 0, known return code, no session on refusal. */
        uint32_t rc = p[1];        /* (a local: ev's byte stores could alias p) */
        if (rc + 5u * p[0] > 5u) { /* (0, 0..5) or (1, 0) */
            return PD_ERR_MALFORMED;
        }
        ev->session_present = p[0] & 1u; /* (p[0] is 0 or 1 here) */
        ev->code = (uint8_t)rc;
        if (rc) {
            ev->status = PD_ERR_REFUSED;
        }
        return PD_OK;
    }
    ev->id = (uint16_t)pd_get_u16(p);
    if (!ev->id) {
        return PD_ERR_MALFORMED;
    }
    if (k == PD_EV_SUBACK) {
        /* one code per filter, each 0, 1, 2 or 0x80 */
        ev->data = p + 2;
        ev->len = rem - 2u;
        uint32_t i = rem; /* p[2..rem), backwards (rem is at least 3): p[2] is read last */
        uint32_t c;
        do {
            c = p[--i];
            if (c == 0x80u) {
                ev->status = PD_ERR_REFUSED;
            } else if (c > 2u) {
                return PD_ERR_MALFORMED;
            }
        } while (i > 2u);
        ev->code = (uint8_t)c;
    }
    return PD_OK;
}

enum pd_status pd_parse_packet(const uint8_t *buf, size_t len, struct pd_event *ev)
{
    uint32_t hl;
    uint32_t rem;
    enum pd_status st = pd_header(buf, len, &hl, &rem);
    if (st == PD_OK && (size_t)hl + rem != len) {
        st = (size_t)hl + rem > len ? PD_ERR_NEED_MORE : PD_ERR_MALFORMED;
    }
    if (st != PD_OK) {
        memset(ev, 0, sizeof *ev);
        return st;
    }
    return pd_parse_body(buf[0], buf + hl, rem, ev);
}
