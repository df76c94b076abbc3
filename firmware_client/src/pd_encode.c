/* MQTT 3.1.1 encoders. All writes go through a pd_wr so one builder both sizes and writes. */
#include <string.h>

#include "pd_encode.h"

void pd_wr_bytes(struct pd_wr *w, const void *s, size_t n)
{
    if (w->p && n) {
        memcpy(w->p + w->n, s, n);
    }
    w->n += (uint32_t)n;
}

void pd_wr_be(struct pd_wr *w, uint32_t v, size_t n)
{
    const uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    pd_wr_bytes(w, b + 4 - n, n);
}

void pd_wr_parts(struct pd_wr *w, const struct pd_parts *pt, unsigned skip)
{
    uint8_t *p = w->p;
    uint32_t at = w->n; /* where the length goes, written once the bytes are counted */
    uint32_t n = at + 2u;
    for (unsigned i = 0; i < 4u; i++) {
        const char *s = pt->s[i];
        if (i == skip) {
            continue;
        }
        if (!s) {
            break;
        }
        for (; *s; s++) {
            if (p) {
                p[n] = (uint8_t)*s;
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

static void wr_str(struct pd_wr *w, const char *s)
{
    struct pd_parts pt; /* (the parts after the first NULL are never read) */
    pt.s[0] = s;
    pt.s[1] = NULL;
    pd_wr_parts(w, &pt, PD_PARTS_ALL);
}

static void enc_connect(struct pd_wr *w, const struct pd_connect_opts *o)
{
    static const uint8_t proto[7] = {0, 4, 'M', 'Q', 'T', 'T', 4};
    const struct pd_will *will = o->will;
    uint32_t flags = o->clean_session ? 0x02u : 0u;
    if (will) {
        flags |= 0x04u | ((uint32_t)will->qos << 3) | (will->retain ? 0x20u : 0u);
    }
    if (o->username) {
        flags |= 0x80u;
    }
    if (o->password) {
        flags |= 0x40u;
    }
    pd_wr_bytes(w, proto, sizeof proto);
    pd_wr_be(w, flags << 16 | o->keepalive_s, 3); /* flags, keepalive */
    wr_str(w, o->client_id); /* (NULL: an empty string, as a NULL first part) */
    if (will) {
        wr_str(w, will->topic);
        pd_wr_u16(w, will->len);
        pd_wr_bytes(w, will->payload, will->len);
    }
    if (o->username) {
        wr_str(w, o->username);
    }
    if (o->password) {
        wr_str(w, o->password);
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
        pd_wr_parts(w, b->topics, PD_PARTS_ALL);
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
    /* filter i: parts 0, 1 and 2 + i; a second one when part 1 is set */
    for (unsigned skip = 3; skip + (b->topics->s[1] != NULL) > 2u; skip--) {
        pd_wr_parts(w, b->topics, skip);
        if (type == PD_T_SUBSCRIBE) {
            pd_wr_be(w, skip == 3u ? b->qos : 0u, 1);
        }
    }
}
