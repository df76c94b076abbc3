/* TLS for the POSIX port: mbedTLS 2.28, client side, CA verification required. */
#include "pd_posix_tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "pd_transport.h"

struct pd_posix_tls {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    bool ssl_live; /* ssl is set up for a connection */
    int fd;
    char *server_name; /* owned */
    char err[512];
};

/* mbedTLS BIO callbacks over our non-blocking socket. */
static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    const struct pd_posix_tls *t = ctx;
    ssize_t n;
    do {
        n = send(t->fd, buf, len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return MBEDTLS_ERR_SSL_WANT_WRITE;
        }
        return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
                                                     : MBEDTLS_ERR_NET_SEND_FAILED;
    }
    return (int)n;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    const struct pd_posix_tls *t = ctx;
    ssize_t n;
    do {
        n = recv(t->fd, buf, len, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return MBEDTLS_ERR_SSL_WANT_READ;
        }
        return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
    }
    return (int)n; /* 0 = EOF: mbedTLS reports it as an error or close */
}

static void set_err(struct pd_posix_tls *t, const char *what, int rc)
{
    char msg[160];
    mbedtls_strerror(rc, msg, sizeof msg);
    snprintf(t->err, sizeof t->err, "%s: %s (-0x%04x)", what, msg, (unsigned)-rc);
}

struct pd_posix_tls *pd_posix_tls_new(const char *cafile, const char *server_name, char *err,
                                      size_t errlen)
{
    static const char pers[] = "parley-device";
    struct pd_posix_tls *t = calloc(1, sizeof *t);
    int rc;
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_ssl_init(&t->ssl);
    t->fd = -1;
    t->server_name = strdup(server_name);
    if (!t->server_name) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
                               (const unsigned char *)pers, sizeof pers - 1);
    if (rc != 0) {
        set_err(t, "random source", rc);
        goto fail_msg;
    }
    rc = mbedtls_x509_crt_parse_file(&t->ca, cafile);
    if (rc != 0) {
        char what[200];
        snprintf(what, sizeof what, "CA file %s", cafile);
        set_err(t, what, rc);
        goto fail_msg;
    }
    rc = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                     MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc != 0) {
        set_err(t, "TLS config", rc);
        goto fail_msg;
    }
    mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
    mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
    mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3); /* TLS 1.2 */
    return t;
fail_msg:
    snprintf(err, errlen, "%s", t->err);
fail:
    pd_posix_tls_free(t);
    return NULL;
}

void pd_posix_tls_free(struct pd_posix_tls *t)
{
    if (!t) {
        return;
    }
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    free(t->server_name);
    free(t);
}

int pd_posix_tls_start(struct pd_posix_tls *t, int fd)
{
    int rc;
    if (t->ssl_live) {
        pd_posix_tls_stop(t);
    }
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_init(&t->ssl);
    rc = mbedtls_ssl_setup(&t->ssl, &t->conf);
    if (rc == 0) {
        rc = mbedtls_ssl_set_hostname(&t->ssl, t->server_name);
    }
    if (rc != 0) {
        set_err(t, "TLS setup", rc);
        return -1;
    }
    t->fd = fd;
    mbedtls_ssl_set_bio(&t->ssl, t, bio_send, bio_recv, NULL);
    t->ssl_live = true;
    t->err[0] = '\0';
    return 0;
}

int pd_posix_tls_handshake(struct pd_posix_tls *t, bool *want_write)
{
    int rc = mbedtls_ssl_handshake(&t->ssl);
    *want_write = false;
    if (rc == 0) {
        return 0;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ) {
        return 1;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        *want_write = true;
        return 1;
    }
    if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        char why[200];
        uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);
        int n = mbedtls_x509_crt_verify_info(why, sizeof why, "", flags);
        /* verify_info ends each reason with a newline: keep one line */
        for (int i = 0; i < n && why[i]; i++) {
            if (why[i] == '\n') {
                why[i] = i + 1 < n && why[i + 1] ? ';' : '\0';
            }
        }
        snprintf(t->err, sizeof t->err, "server certificate not trusted: %s", why);
        return -1;
    }
    set_err(t, "TLS handshake", rc);
    return -1;
}

int32_t pd_posix_tls_send(struct pd_posix_tls *t, const uint8_t *buf, size_t len, bool *want_write)
{
    int rc = mbedtls_ssl_write(&t->ssl, buf, len);
    *want_write = false;
    if (rc > 0) {
        return (int32_t)rc;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        *want_write = true;
        return PD_WOULD_BLOCK;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ) {
        return PD_WOULD_BLOCK;
    }
    set_err(t, "TLS write", rc);
    return rc == MBEDTLS_ERR_NET_CONN_RESET ? PD_IO_CLOSED : PD_IO_ERROR;
}

int32_t pd_posix_tls_recv(struct pd_posix_tls *t, uint8_t *buf, size_t len, bool *want_write)
{
    int rc = mbedtls_ssl_read(&t->ssl, buf, len);
    if (rc > 0) {
        return (int32_t)rc;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ) {
        return PD_WOULD_BLOCK;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        *want_write = true;
        return PD_WOULD_BLOCK;
    }
    if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_NET_CONN_RESET) {
        return PD_IO_CLOSED;
    }
    set_err(t, "TLS read", rc);
    return PD_IO_ERROR;
}

size_t pd_posix_tls_avail(const struct pd_posix_tls *t)
{
    return t->ssl_live ? mbedtls_ssl_get_bytes_avail(&t->ssl) : 0;
}

void pd_posix_tls_stop(struct pd_posix_tls *t)
{
    if (t->ssl_live) {
        (void)mbedtls_ssl_close_notify(&t->ssl); /* best effort on a non-blocking socket */
        mbedtls_ssl_session_reset(&t->ssl);
        t->ssl_live = false;
    }
    t->fd = -1;
}

const char *pd_posix_tls_error(const struct pd_posix_tls *t)
{
    return t->err[0] ? t->err : "TLS failure";
}
