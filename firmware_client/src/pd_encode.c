/* MQTT 3.1.1 encoders. All writes go through a pd_wr so one builder both sizes and writes. */
#include <string.h>

#include "pd_encode.h"

void pd_wr_byte(struct pd_wr *w, uint32_t b)
{
    if (w->p) {
        w->p[w->n] = (uint8_t)b;
    }
    w->n++;
}

void pd_wr_u16(struct pd_wr *w, uint32_t v)
{
    pd_wr_byte(w, v >> 8);
    pd_wr_byte(w, v & 0xFFu);
}

void pd_wr_bytes(struct pd_wr *w, const void *s, size_t n)
{
    if (w->p && n) {
        memcpy(w->p + w->n, s, n);
    }
    w->n += (uint32_t)n;
}

void pd_wr_parts(struct pd_wr *w, const struct pd_parts *pt)
{
    size_t len[4];
    size_t total = 0;
    for (unsigned i = 0; i < 4; i++) {
        len[i] = pt->s[i] ? strlen(pt->s[i]) : 0;
        total += len[i];
    }
    /* Above 65535 the packet is far above PD_PACKET_MAX and is refused before the write pass;
     * the truncated prefix only matters in the count pass. */
    pd_wr_u16(w, (uint32_t)total & 0xFFFFu);
    for (unsigned i = 0; i < 4; i++) {
        pd_wr_bytes(w, pt->s[i], len[i]);
    }
}

static void wr_str(struct pd_wr *w, const char *s)
{
    const struct pd_parts pt = {{s, NULL, NULL, NULL}};
    pd_wr_parts(w, &pt);
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
    pd_wr_byte(w, flags);
    pd_wr_u16(w, o->keepalive_s);
    wr_str(w, o->client_id ? o->client_id : "");
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
    uint32_t kind = type & 0xF0u;
    if (kind == PD_T_CONNECT) {
        enc_connect(w, b->conn);
        return;
    }
    if (kind == PD_T_PUBLISH) {
        pd_wr_parts(w, b->topics);
        if (type & 0x06u) {
            pd_wr_u16(w, id);
        }
        pd_wr_bytes(w, b->payload, b->len);
        return;
    }
    if (kind == PD_T_PINGREQ || kind == PD_T_DISCONNECT) {
        return;
    }
    pd_wr_u16(w, id); /* PUBACK, SUBSCRIBE, UNSUBSCRIBE */
    if (kind == PD_T_PUBACK) {
        return;
    }
    for (unsigned i = 0; i < b->ntopics; i++) {
        pd_wr_parts(w, &b->topics[i]);
        if (kind == (PD_T_SUBSCRIBE & 0xF0u)) {
            pd_wr_byte(w, i ? 0u : b->qos);
        }
    }
}
