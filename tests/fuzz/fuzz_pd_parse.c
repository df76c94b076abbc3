/* libFuzzer target over libparley_device's incoming-packet path.
 *
 * Input: byte 0 configures the run (bits 0-2: receive buffer size, bits 3-4: recv chunking,
 * bit 5: start connected, bit 6: echo messages back as QoS 1, bit 7: send side would-blocks),
 * the rest is the byte stream the broker sends. Each input is also handed to
 * pd_parse_packet() as one exactly-sized packet, so ASan sees any read past its end. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pd_client.h"
#include "pd_parse.h"

struct fz {
    const uint8_t *in;
    size_t len, pos;
    size_t chunk;
    int send_block;
    unsigned calls;
    struct pd_client c;
    int echo;
};

static int32_t fz_send(void *ctx, const uint8_t *buf, size_t len)
{
    struct fz *f = ctx;
    (void)buf;
    if (len == 0) {
        abort(); /* the contract: never asked for 0 bytes */
    }
    f->calls++;
    if (f->send_block && (f->calls & 3u) == 0) {
        return PD_WOULD_BLOCK;
    }
    return (int32_t)(len > 7 && f->send_block ? 7 : len);
}

static int32_t fz_recv(void *ctx, uint8_t *buf, size_t len)
{
    struct fz *f = ctx;
    size_t n = f->len - f->pos;
    if (len == 0) {
        abort();
    }
    if (n == 0) {
        return PD_WOULD_BLOCK;
    }
    if (n > len) {
        n = len;
    }
    if (f->chunk && n > f->chunk) {
        n = f->chunk;
    }
    memcpy(buf, f->in + f->pos, n);
    f->pos += n;
    return (int32_t)n;
}

static void fz_event(struct pd_client *c, const struct pd_event *ev, void *user)
{
    struct fz *f = user;
    volatile uint8_t sink = 0;
    if (ev->topic) {
        for (size_t i = 0; i < ev->topic_len; i++) {
            sink ^= (uint8_t)ev->topic[i]; /* touch every byte the event claims */
        }
    }
    if (ev->data) {
        for (size_t i = 0; i < ev->len; i++) {
            sink ^= ev->data[i];
        }
    }
    (void)sink;
    if (f->echo && ev->type == PD_EV_MESSAGE) {
        (void)pd_publish(c, "echo", ev->data, ev->len, 1, false, NULL);
    }
    if (f->echo && ev->type == PD_EV_CONNACK) {
        (void)pd_room_join(c, "lab", 1, NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t rx_sizes[8] = {16, 17, 32, 64, 100, 256, 600, 2048};
    static const size_t chunks[4] = {0, 1, 3, 64};
    static const uint8_t connack[4] = {0x20, 2, 0, 0};
    struct fz f;
    struct pd_transport tr = {fz_send, fz_recv, &f};
    struct pd_connect_opts o = {"fz", NULL, NULL, NULL, 5, true};
    struct pd_event ev;
    uint8_t *tx = malloc(1024);
    uint8_t *rx;
    uint8_t *stream;
    uint8_t *exact;
    size_t rxlen;
    uint8_t cfg;

    if (size == 0 || !tx) {
        free(tx);
        return 0;
    }
    exact = malloc(size - 1 ? size - 1 : 1);
    if (exact) {
        memcpy(exact, data + 1, size - 1);
        (void)pd_parse_packet(exact, size - 1, &ev);
        free(exact);
    }

    cfg = data[0];
    rxlen = rx_sizes[cfg & 7u];
    rx = malloc(rxlen);
    stream = malloc(size + sizeof connack);
    if (!rx || !stream) {
        free(tx);
        free(rx);
        free(stream);
        return 0;
    }
    memset(&f, 0, sizeof f);
    f.len = 0;
    if (cfg & 0x20u) {
        memcpy(stream, connack, sizeof connack);
        f.len = sizeof connack;
    }
    memcpy(stream + f.len, data + 1, size - 1);
    f.len += size - 1;
    f.in = stream;
    f.chunk = chunks[(cfg >> 3) & 3u];
    f.echo = (cfg & 0x40u) != 0;
    f.send_block = (cfg & 0x80u) != 0;
    if (pd_client_init(&f.c, &tr, tx, 1024, rx, rxlen, fz_event, &f) != PD_OK) {
        abort();
    }
    (void)pd_connect(&f.c, &o, 0);
    /* Enough polls for the whole stream even one byte at a time; time moves so keepalive,
     * retransmission and timeouts run too. */
    for (uint32_t i = 0, now = 0; i < 4u * f.len + 16u && pd_state(&f.c) != PD_ST_IDLE; i++) {
        now += 97u;
        (void)pd_poll(&f.c, now);
        if (f.pos == f.len && i > 8u) {
            break;
        }
    }
    if (f.c.rx_len > rxlen || f.c.tx_len > 1024u || f.c.tx_sent > f.c.tx_len) {
        abort(); /* the buffers' bookkeeping stays inside them */
    }
    /* txbuf is whole packets end to end, tx_sent on a boundary, tx_part inside its packet */
    for (size_t off = 0, n; off < f.c.tx_len; off += n) {
        n = tx[off + 1] & 0x80u ? 3u + (tx[off + 1] & 0x7Fu) + ((size_t)tx[off + 2] << 7)
                                : 2u + tx[off + 1];
        if (off + n > f.c.tx_len || (off < f.c.tx_sent && off + n > f.c.tx_sent) ||
            (off == f.c.tx_sent && f.c.tx_part >= n)) {
            abort();
        }
    }
    if (f.c.tx_sent == f.c.tx_len && f.c.tx_part) {
        abort();
    }
    free(tx);
    free(rx);
    free(stream);
    return 0;
}
