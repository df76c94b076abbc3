/* libparley_device transport contract: two non-blocking functions and a context pointer.
 * The library never opens, closes or waits on a connection; the port does (see
 * firmware_client/ports/ and docs/firmware.md for lwIP, Zephyr and FreeRTOS+TCP recipes). */
#ifndef PD_TRANSPORT_H
#define PD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

/* Return values of send and recv besides a byte count. */
#define PD_WOULD_BLOCK (-1) /* nothing can move now; try again on a later pd_poll() */
#define PD_IO_CLOSED (-2)   /* the peer closed the connection (recv of 0 on a socket) */
#define PD_IO_ERROR (-3)    /* any other failure; the link is dead */

/* Write up to len (>= 1) bytes from buf. Returns the number written (1..len), PD_WOULD_BLOCK,
 * PD_IO_CLOSED or PD_IO_ERROR. 0 and any other negative value count as PD_IO_ERROR.
 * Must not block. buf is borrowed for the call only. */
typedef int32_t (*pd_send_fn)(void *ctx, const uint8_t *buf, size_t len);

/* Read up to len (>= 1) bytes into buf. Returns the number read (1..len), PD_WOULD_BLOCK,
 * PD_IO_CLOSED or PD_IO_ERROR; 0 and other negatives count as PD_IO_ERROR. Must not block.
 * The library asks only for bytes of the packet it is reading (it never reads ahead), so a
 * port may forward len to the socket as it is. */
typedef int32_t (*pd_recv_fn)(void *ctx, uint8_t *buf, size_t len);

/* Owned by the caller; pd_client_init() keeps a pointer, so it must outlive the client.
 * ctx is passed back untouched to send and recv. */
struct pd_transport {
    pd_send_fn send;
    pd_recv_fn recv;
    void *ctx;
};

#endif
