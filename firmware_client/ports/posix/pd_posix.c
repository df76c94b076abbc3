/* POSIX transport: non-blocking TCP over IPv4/IPv6, optionally wrapped in TLS. */
#include "pd_posix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pd_posix_tls.h"

static int32_t tcp_send(void *ctx, const uint8_t *buf, size_t len)
{
    struct pd_posix *p = ctx;
    ssize_t n;
    if (p->tls) {
        return pd_posix_tls_send(p->tls, buf, len, &p->want_write);
    }
    do {
        n = send(p->fd, buf, len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            p->want_write = true;
            return PD_WOULD_BLOCK;
        }
        p->err = errno;
        return errno == EPIPE || errno == ECONNRESET ? PD_IO_CLOSED : PD_IO_ERROR;
    }
    p->want_write = false;
    return (int32_t)n;
}

static int32_t tcp_recv(void *ctx, uint8_t *buf, size_t len)
{
    struct pd_posix *p = ctx;
    ssize_t n;
    if (p->tls) {
        return pd_posix_tls_recv(p->tls, buf, len, &p->want_write);
    }
    do {
        n = recv(p->fd, buf, len, 0);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
        return PD_IO_CLOSED;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return PD_WOULD_BLOCK;
        }
        p->err = errno;
        return errno == ECONNRESET ? PD_IO_CLOSED : PD_IO_ERROR;
    }
    return (int32_t)n;
}

void pd_posix_init(struct pd_posix *p, struct pd_posix_tls *tls)
{
    memset(p, 0, sizeof *p);
    p->fd = -1;
    p->tls = tls;
    p->transport.send = tcp_send;
    p->transport.recv = tcp_recv;
    p->transport.ctx = p;
}

static void close_fd(struct pd_posix *p)
{
    if (p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
    p->connecting = false;
    p->want_write = false;
    p->want_read = false;
}

static void note_addr(struct pd_posix *p, const struct addrinfo *ai)
{
    char ip[INET6_ADDRSTRLEN];
    const void *a;
    unsigned port;
    if (ai->ai_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)ai->ai_addr;
        a = &s6->sin6_addr;
        port = ntohs(s6->sin6_port);
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)ai->ai_addr;
        a = &s4->sin_addr;
        port = ntohs(s4->sin_port);
    }
    if (!inet_ntop(ai->ai_family, a, ip, sizeof ip)) {
        strcpy(ip, "?");
    }
    snprintf(p->addr_text, sizeof p->addr_text, ai->ai_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
             port);
}

/* Starts a connect to p->cur or the next address that accepts one. */
static enum pd_posix_status try_addresses(struct pd_posix *p)
{
    for (; p->cur; p->cur = p->cur->ai_next) {
        int one = 1;
        int fl;
        close_fd(p);
        note_addr(p, p->cur);
        p->fd = socket(p->cur->ai_family, p->cur->ai_socktype, p->cur->ai_protocol);
        if (p->fd < 0) {
            p->err = errno;
            continue;
        }
        fl = fcntl(p->fd, F_GETFL);
        if (fl < 0 || fcntl(p->fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
            fcntl(p->fd, F_SETFD, FD_CLOEXEC) < 0) {
            p->err = errno;
            close_fd(p);
            return PD_POSIX_ERR_SYS;
        }
        /* MQTT packets are small and latency matters: no Nagle delay */
        (void)setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(p->fd, p->cur->ai_addr, p->cur->ai_addrlen) == 0) {
            p->connecting = false;
            return pd_posix_step(p);
        }
        if (errno == EINPROGRESS || errno == EINTR) {
            p->connecting = true;
            return PD_POSIX_PENDING;
        }
        p->err = errno;
    }
    close_fd(p);
    return PD_POSIX_ERR_CONNECT;
}

enum pd_posix_status pd_posix_open(struct pd_posix *p, const char *host, uint16_t port)
{
    struct addrinfo hints;
    char service[8];
    int rc;
    pd_posix_close(p);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    snprintf(service, sizeof service, "%u", (unsigned)port);
    rc = getaddrinfo(host, service, &hints, &p->addrs);
    if (rc == EAI_NONAME || rc == EAI_FAIL || rc == EAI_AGAIN) {
        /* AI_ADDRCONFIG hides loopback-only families on hosts without other addresses */
        hints.ai_flags = 0;
        rc = getaddrinfo(host, service, &hints, &p->addrs);
    }
    if (rc != 0) {
        p->addrs = NULL;
        p->err = rc;
        return PD_POSIX_ERR_RESOLVE;
    }
    p->cur = p->addrs;
    return try_addresses(p);
}

enum pd_posix_status pd_posix_step(struct pd_posix *p)
{
    if (p->fd < 0) {
        return PD_POSIX_ERR_CONNECT;
    }
    if (p->connecting) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        struct pollfd pfd;
        pfd.fd = p->fd;
        pfd.events = POLLOUT;
        pfd.revents = 0;
        if (poll(&pfd, 1, 0) == 0) {
            return PD_POSIX_PENDING;
        }
        if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) {
            soerr = errno;
        }
        if (soerr == EINPROGRESS) {
            return PD_POSIX_PENDING;
        }
        if (soerr != 0) {
            /* this address failed: go on with the next one */
            p->err = soerr;
            p->cur = p->cur->ai_next;
            return try_addresses(p);
        }
        p->connecting = false;
        if (p->tls && pd_posix_tls_start(p->tls, p->fd) != 0) {
            close_fd(p);
            return PD_POSIX_ERR_TLS;
        }
    }
    if (p->tls) {
        int r = pd_posix_tls_handshake(p->tls, &p->want_write);
        if (r < 0) {
            pd_posix_tls_stop(p->tls);
            close_fd(p);
            return PD_POSIX_ERR_TLS;
        }
        p->want_read = r > 0 && !p->want_write;
        if (r > 0) {
            return PD_POSIX_PENDING;
        }
    }
    p->want_write = false;
    p->want_read = false;
    return PD_POSIX_READY;
}

short pd_posix_events(const struct pd_posix *p)
{
    if (p->connecting) {
        return POLLOUT;
    }
    /* Always read: input is what tells us the link is alive (or closed). */
    return (short)(POLLIN | (p->want_write ? POLLOUT : 0));
}

bool pd_posix_pending(const struct pd_posix *p)
{
    return p->tls && p->fd >= 0 && !p->connecting && pd_posix_tls_avail(p->tls) > 0;
}

int pd_posix_fd(const struct pd_posix *p) { return p->fd; }

const struct pd_transport *pd_posix_transport(struct pd_posix *p) { return &p->transport; }

void pd_posix_close(struct pd_posix *p)
{
    if (p->tls && p->fd >= 0 && !p->connecting) {
        pd_posix_tls_stop(p->tls);
    }
    close_fd(p);
    if (p->addrs) {
        freeaddrinfo(p->addrs);
        p->addrs = NULL;
    }
    p->cur = NULL;
}

const char *pd_posix_strerror(const struct pd_posix *p, enum pd_posix_status st)
{
    switch (st) {
    case PD_POSIX_READY:
        return "connected";
    case PD_POSIX_PENDING:
        return "connecting";
    case PD_POSIX_ERR_RESOLVE:
        return gai_strerror(p->err);
    case PD_POSIX_ERR_CONNECT:
    case PD_POSIX_ERR_SYS:
        return strerror(p->err);
    case PD_POSIX_ERR_TLS:
        return p->tls ? pd_posix_tls_error(p->tls) : "TLS failure";
    }
    return "unknown error";
}
