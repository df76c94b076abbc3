/* POSIX port of libparley_device: a non-blocking TCP connection (IPv4 or IPv6) with optional
 * TLS (mbedTLS, pd_posix_tls.c), exposed as a struct pd_transport.
 *
 * Life cycle: pd_posix_init() once; then per connection pd_posix_open() (resolves the host and
 * starts a non-blocking connect), pd_posix_step() whenever pd_posix_events() says so until it
 * returns PD_POSIX_READY, then hand pd_posix_transport() to pd_client_init() / pd_connect();
 * pd_posix_close() after PD_EV_DISCONNECTED or a failed open. The caller polls pd_posix_fd()
 * with the events pd_posix_events() asks for.
 *
 * Ownership: struct pd_posix is the caller's; it owns the socket and the resolver's address
 * list between open and close. The TLS context (if any) is borrowed and must outlive it.
 */
#ifndef PD_POSIX_H
#define PD_POSIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pd_transport.h"

struct addrinfo;
struct pd_posix_tls;

enum pd_posix_status {
    PD_POSIX_READY = 0,   /* connected (and TLS handshake done): use the transport */
    PD_POSIX_PENDING,     /* still connecting or handshaking: poll and call pd_posix_step() */
    PD_POSIX_ERR_RESOLVE, /* the host name did not resolve */
    PD_POSIX_ERR_CONNECT, /* every address refused or failed (errno-based message) */
    PD_POSIX_ERR_TLS,     /* TLS handshake or certificate verification failed */
    PD_POSIX_ERR_SYS      /* socket(), fcntl() or similar failed */
};

struct pd_posix {
    int fd;                        /* -1 when closed */
    int err;                       /* errno of the last failure, for messages */
    bool connecting;               /* TCP connect in progress */
    bool want_write;               /* the last send or handshake step would block on writing */
    bool want_read;                /* the handshake waits for input */
    struct addrinfo *addrs;        /* owned: freed by pd_posix_close() */
    struct addrinfo *cur;          /* the address being tried (inside addrs) */
    struct pd_posix_tls *tls;      /* borrowed; NULL = plain TCP */
    struct pd_transport transport; /* send/recv bound to this struct */
    char addr_text[64];            /* the connected address, for messages */
};

/* Sets p to the closed state. tls (may be NULL) is used by every later open. */
void pd_posix_init(struct pd_posix *p, struct pd_posix_tls *tls);

/* Resolves host (name or IPv4/IPv6 literal; blocking getaddrinfo) and starts a non-blocking
 * connect to the first address, falling back to the next ones on failure. Returns
 * PD_POSIX_PENDING (or READY), or an error with p closed again. */
enum pd_posix_status pd_posix_open(struct pd_posix *p, const char *host, uint16_t port);

/* Advances the connect and the TLS handshake. Call when the fd is ready as asked. */
enum pd_posix_status pd_posix_step(struct pd_posix *p);

/* The poll() events to wait for (POLLIN and/or POLLOUT). */
short pd_posix_events(const struct pd_posix *p);

/* True when decrypted bytes are already buffered (TLS): poll() would not show them. */
bool pd_posix_pending(const struct pd_posix *p);

int pd_posix_fd(const struct pd_posix *p);

/* The transport for libparley_device; valid while p lives. */
const struct pd_transport *pd_posix_transport(struct pd_posix *p);

/* Closes the socket (sending a TLS close_notify if possible) and frees the address list.
 * Safe on a closed p. */
void pd_posix_close(struct pd_posix *p);

/* A static message for a status, with p->err where it helps (not thread-safe). */
const char *pd_posix_strerror(const struct pd_posix *p, enum pd_posix_status st);

#endif
