/* TLS for the POSIX port through mbedTLS 2.28 (Debian's libmbedtls-dev): the server's
 * certificate must chain to the given CA file and match the host name.
 *
 * pd_posix_tls_new() loads the CA once; the same context serves every reconnect
 * (pd_posix.c calls start/handshake/stop per connection). */
#ifndef PD_POSIX_TLS_H
#define PD_POSIX_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_posix_tls;

/* Creates a TLS context verifying against the PEM CA file cafile, checking the server's name
 * against server_name (copied). Returns NULL and writes a reason into err (errlen bytes) on
 * failure (unreadable CA file, no random source). The caller owns the result: free it with
 * pd_posix_tls_free(). */
struct pd_posix_tls *pd_posix_tls_new(const char *cafile, const char *server_name, char *err,
                                      size_t errlen);

void pd_posix_tls_free(struct pd_posix_tls *t);

/* Used by pd_posix.c. start binds a fresh session to fd; handshake returns 0 when done,
 * 1 to retry once fd is ready (*want_write tells which way), -1 on failure;
 * send/recv follow pd_transport.h; stop sends close_notify (best effort) and unbinds. */
int pd_posix_tls_start(struct pd_posix_tls *t, int fd);
int pd_posix_tls_handshake(struct pd_posix_tls *t, bool *want_write);
int32_t pd_posix_tls_send(struct pd_posix_tls *t, const uint8_t *buf, size_t len, bool *want_write);
int32_t pd_posix_tls_recv(struct pd_posix_tls *t, uint8_t *buf, size_t len, bool *want_write);
size_t pd_posix_tls_avail(const struct pd_posix_tls *t);
void pd_posix_tls_stop(struct pd_posix_tls *t);

/* The reason of the last failure ("certificate verify failed: ..."), static per context. */
const char *pd_posix_tls_error(const struct pd_posix_tls *t);

#endif
