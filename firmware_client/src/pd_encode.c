/* MQTT 3.1.1 encoders. All writes go through a pd_wr so one builder both sizes and writes. */
#include <string.h>

#include "pd_encode.h"

void pd_wr_bytes(struct pd_wr *w, const void *s, size_t n)
{
    uint32_t at = w->n;
    w->n = at + (uint32_t)n;
    if (w->p && n) {
        memcpy(w->p + at, s, n);
    }
}

void pd_wr_be(struct pd_wr *w, uint32_t v, size_t n)
{
    const uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    pd_wr_bytes(w, b + 4 - n, n);
}

void pd_wr_parts(struct pd_wr *w, const char *const *s, unsigned mask)
{
    uint8_t *p = w->p;
    uint32_t at = w->n; /* where the length goes, written once the bytes are counted */
    uint32_t n = at + 2u;
    for (; mask; mask >>= 1, s++) {
        const char *q;
        if (!(mask << 31)) { /* (bit 0 clear; a shift, no constant register) */
            continue;
        }
        q = *s;
        if (!q) {
            break;
        }
        for (; *q; q++) {
            if (p) {
                p[n] = (uint8_t)*q;
            }
            n++;
        }
    }
    w->n = n;
    if (p) { /* (the string is within the packet: below PD_PACKET_MAX) */
        n -= at + 2u;
        p[at] = (uint8_t)(n >> 8);
        p[at + 1u] = (uint8_t)n;
    }
}

/* One string (NULL: an empty one): a part list of one part, the field itself. */
#define wr_str(w, field) pd_wr_parts((w), &(field), 1u)

static void enc_connect(struct pd_wr *w, const struct pd_connect_opts *o)
{
    static const uint8_t proto[7] = {0, 4, 'M', 'Q', 'T', 'T', 4};
    const struct pd_will *will = o->will;
    uint32_t flags = (uint32_t)o->clean_session << 1;
    pd_wr_bytes(w, proto, sizeof proto);
    pd_wr_be(w, o->keepalive_s, 3); /* flags (below), keepalive */
    wr_str(w, o->client_id);        /* (NULL: an empty string, as a NULL first part) */
    if (will) {
        flags |= 0x04u | ((uint32_t)will->qos << 3) | ((uint32_t)will->retain << 5);
        wr_str(w, will->topic);
        pd_wr_u16(w, will->len);
        pd_wr_bytes(w, will->payload, will->len);
    }
    if (o->username) {
        flags |= 0x80u;
        wr_str(w, o->username);
    }
    if (o->password) {
        flags |= 0x40u;
        wr_str(w, o->password);
    }
    if (w->p) { /* (w->p is the packet: its 2- or 3-byte fixed header, then proto, flags) */
        uint8_t *p = w->p;
        p[2u + (p[1] >> 7) + sizeof proto] = (uint8_t)flags;
    }
}

void pd_enc_body(struct pd_wr *w, uint32_t type, uint16_t id, const struct pd_body *b)
{
    /* (type is one of the PD_T_ bytes, a PUBLISH with its flags) */
    if (type == PD_T_CONNECT) {
        enc_connect(w, b->conn);
        return;
    }
    if (type >> 4 == PD_T_PUBLISH >> 4) {
        pd_wr_parts(w, b->s, PD_PARTS_ALL);
        if (type & 0x06u) {
            pd_wr_u16(w, id);
        }
        pd_wr_bytes(w, b->payload, b->len);
        return;
    }
    if (type >= PD_T_PINGREQ) { /* PINGREQ, DISCONNECT */
        return;
    }
    pd_wr_u16(w, id); /* PUBACK, SUBSCRIBE, UNSUBSCRIBE */
    if (type == PD_T_PUBACK) {
        return;
    }
    /* filter 1: parts 0, 1 and 2 (mask 0x7); filter 2, when part 1 is set: 0, 1 and 3 (0xB) */
    for (unsigned skip = 3; skip + (b->s[1] != NULL) > 2u; skip--) {
        pd_wr_parts(w, b->s, 0xFu ^ 1u << skip);
        if (type == PD_T_SUBSCRIBE) {
            pd_wr_be(w, skip == 3u ? b->qos : 0u, 1);
        }
    }
}
