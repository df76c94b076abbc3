/* A scripted transport and event recorder for libparley_device unit tests. */
#ifndef PD_SCRIPT_H
#define PD_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "pd_client.h"

#define PD_SCRIPT_MAX 70000
#define PD_SCRIPT_EVENTS 64

struct pd_rec_event {
    struct pd_event ev;
    char topic[128];
    uint8_t data[600];
};

struct pd_script {
    /* incoming bytes, handed out by recv */
    uint8_t in[PD_SCRIPT_MAX];
    size_t in_len, in_pos;
    /* outgoing bytes, collected from send */
    uint8_t out[PD_SCRIPT_MAX];
    size_t out_len;
    size_t recv_chunk;  /* max bytes per recv call (0 = unlimited) */
    size_t send_chunk;  /* max bytes per send call (0 = unlimited) */
    int block_every;    /* if > 0: every call whose count % block_every == 0 would-blocks */
    unsigned block_at;  /* if > 0: the call (send and recv counted together) with this number
                           would-blocks */
    size_t send_budget; /* bytes send may still accept before would-block; SIZE_MAX = inf */
    int32_t recv_fail;  /* if non-zero, recv returns this when no input is left */
    int32_t send_fail;  /* if non-zero, send returns this */
    unsigned recv_calls, send_calls;
    size_t max_recv_ask; /* largest len recv was asked for */
    struct pd_transport tr;
    struct pd_client c;
    uint8_t tx[4096];
    uint8_t rx[1024];
    struct pd_rec_event evs[PD_SCRIPT_EVENTS];
    unsigned nev;
};

/* Reset s, init its client with txlen/rxlen (<= sizeof buffers). */
void pd_script_init(struct pd_script *s, size_t txlen, size_t rxlen);
/* Append incoming bytes. */
void pd_script_feed(struct pd_script *s, const void *bytes, size_t n);
/* Forget the sent bytes and recorded events. */
void pd_script_clear(struct pd_script *s);
/* Connect with a minimal CONNECT (client id "d", keepalive ka) and accept it at now_ms. */
void pd_script_connect(struct pd_script *s, uint16_t ka, uint32_t now_ms);
/* Number of recorded events of a type. */
unsigned pd_script_count(const struct pd_script *s, enum pd_event_type t);
/* Last recorded event of a type, or NULL. */
const struct pd_rec_event *pd_script_last(const struct pd_script *s, enum pd_event_type t);

#endif
