/* parley-device: a device CLI on libparley_device and its POSIX port. One thread, one poll()
 * loop over the socket and stdin; the library gets a monotonic clock on every turn. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pd_cli.h"
#include "pd_client.h"
#include "pd_posix.h"
#include "pd_posix_tls.h"

#define CLI_TXBUF 16384u /* (window + 1) x ~660 B room PUBLISH + CONNECT with a long token */
#define CLI_RXBUF 2048u  /* any room message: 5 + topic (<= 143) + 2 + 512 */
#define CLI_INBUF 4096u  /* stdin bytes not yet turned into messages */
#define CLI_TICK_MS 100  /* longest poll() sleep: timers are checked at least this often */
#define CLI_OPEN_TIMEOUT_MS 10000u

enum link { LINK_DOWN, LINK_OPENING, LINK_MQTT };

struct app {
    struct pd_cli_opts o;
    struct pd_client c;
    struct pd_posix net;
    struct pd_posix_tls *tls; /* owned */
    enum link link;
    uint32_t open_at;
    char client_id[40]; /* generated when --id is not given */
    /* set by the event callback, acted on by the main loop */
    bool lost;
    enum pd_status lost_status;
    bool mqtt_up;     /* CONNACK accepted on the current link */
    bool ever_up;     /* some link was accepted: reconnecting is allowed */
    bool need_join;   /* (re)subscribe to the room when possible */
    uint16_t join_id; /* SUBSCRIBE awaiting its SUBACK, 0 = none */
    bool joined;      /* the SUBACK for the room came back */
    int exit_code;    /* >= 0: leave the loop with this code */
    bool disconnecting;
    /* stdin */
    bool stdin_eof;
    uint8_t in[CLI_INBUF];
    size_t in_len;
    bool skipping; /* inside an over-long line */
    size_t skip_len;
    unsigned long line_no;
    /* --count */
    long sent_readings;
    uint32_t next_reading;
    bool readings_started;
    uint32_t start_ms;
    unsigned long acked;
    bool blocked; /* the last message found txbuf or the window full */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static uint32_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static uint32_t random32(void)
{
    uint32_t r = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, &r, sizeof r) != (ssize_t)sizeof r) {
        r = (uint32_t)getpid() * 2654435761u ^ now_ms();
    }
    if (fd >= 0) {
        close(fd);
    }
    return r;
}

static void status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void status(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("parley-device: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Writes a body with the escapes --help promises. */
static void put_body(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = d[i];
        if (ch == '\\') {
            fputs("\\\\", stdout);
        } else if (ch == '\n') {
            fputs("\\n", stdout);
        } else if (ch == '\r') {
            fputs("\\r", stdout);
        } else if (ch == '\t') {
            fputs("\\t", stdout);
        } else if (ch < 0x20u || ch == 0x7fu) {
            printf("\\x%02x", ch);
        } else {
            putchar(ch);
        }
    }
}

static void print_message(const struct pd_event *ev)
{
    const char *room;
    const char *user;
    size_t room_len;
    size_t user_len;
    enum pd_topic_kind k =
        pd_topic_parse(ev->topic, ev->topic_len, &room, &room_len, &user, &user_len);
    if (k == PD_TOPIC_MSG) {
        printf("msg %.*s %.*s ", (int)room_len, room, (int)user_len, user);
        put_body(ev->data, ev->len);
        putchar('\n');
    } else if (k == PD_TOPIC_PRESENCE) {
        printf("presence %.*s %.*s ", (int)room_len, room, (int)user_len, user);
        if (ev->len == 0) {
            fputs("offline", stdout);
        } else {
            put_body(ev->data, ev->len);
        }
        putchar('\n');
    } else {
        status("message on %.*s ignored (not a room topic)", (int)ev->topic_len, ev->topic);
    }
    fflush(stdout);
}

static const char *connack_text(uint8_t code)
{
    switch (code) {
    case 1:
        return "unacceptable protocol version";
    case 2:
        return "client identifier rejected";
    case 3:
        return "server unavailable";
    case 4:
        return "bad username or password";
    case 5:
        return "not authorized";
    default:
        return "unknown reason";
    }
}

static void on_event(struct pd_client *c, const struct pd_event *ev, void *user)
{
    struct app *a = user;
    (void)c;
    switch (ev->type) {
    case PD_EV_CONNACK:
        if (ev->code) {
            status("connection refused by the broker: %s (CONNACK %u)", connack_text(ev->code),
                   (unsigned)ev->code);
            a->exit_code = PD_EXIT_REFUSED;
            break;
        }
        status("connected to %s as %s (session present: %s)", a->net.addr_text, a->o.user,
               ev->session_present ? "yes" : "no");
        a->mqtt_up = true;
        /* A kept session kept the subscription; the first link of this run always joins. */
        if (!ev->session_present || !a->ever_up) {
            a->need_join = true;
        }
        a->ever_up = true;
        break;
    case PD_EV_MESSAGE:
        print_message(ev);
        break;
    case PD_EV_PUBACK:
        a->acked++;
        if (a->o.verbose) {
            status("acknowledged id %u", (unsigned)ev->id);
        }
        break;
    case PD_EV_SUBACK:
        if (ev->id != a->join_id) {
            break;
        }
        a->join_id = 0;
        if (ev->status == PD_ERR_REFUSED) {
            status("the broker refused to join room %s (SUBACK 0x%02x)", a->o.room,
                   (unsigned)(ev->len ? ev->data[0] : ev->code));
            a->exit_code = PD_EXIT_JOIN;
            break;
        }
        a->joined = true;
        status("joined room %s (granted QoS %u)", a->o.room, (unsigned)ev->code);
        break;
    case PD_EV_UNSUBACK:
        break;
    case PD_EV_DROPPED:
        status("dropped an incoming message: packet of %lu bytes, above the receive buffer",
               (unsigned long)ev->len);
        break;
    case PD_EV_DISCONNECTED:
        a->lost = true;
        a->lost_status = ev->status;
        break;
    }
}

/* Open the transport (first connection or a due reconnect). */
static void start_open(struct app *a, uint32_t now)
{
    enum pd_posix_status st = pd_posix_open(&a->net, a->o.host, a->o.port);
    a->link = LINK_OPENING;
    a->open_at = now;
    if (st != PD_POSIX_PENDING && st != PD_POSIX_READY) {
        status("cannot connect to %s port %u: %s", a->o.host, (unsigned)a->o.port,
               pd_posix_strerror(&a->net, st));
        a->link = LINK_DOWN;
        pd_posix_close(&a->net);
        if (!a->ever_up) {
            a->exit_code = st == PD_POSIX_ERR_TLS ? PD_EXIT_TLS : PD_EXIT_NETWORK;
        } else {
            status("reconnecting in %lu ms",
                   (unsigned long)pd_reconnect_schedule(&a->c, now, random32()));
        }
    }
}

static void link_failed(struct app *a, uint32_t now, const char *what, int code)
{
    pd_posix_close(&a->net);
    a->link = LINK_DOWN;
    a->mqtt_up = false;
    a->joined = false;
    a->join_id = 0;
    if (!a->o.reconnect || !a->ever_up) {
        unsigned n = pd_inflight(&a->c);
        if (n) {
            status("%u message(s) or requests not acknowledged", n);
        }
        a->exit_code = code;
        return;
    }
    status("%s; reconnecting in %lu ms", what,
           (unsigned long)pd_reconnect_schedule(&a->c, now, random32()));
}

/* The transport is up: advance it; when ready, start the MQTT session. */
static void step_open(struct app *a, uint32_t now)
{
    enum pd_posix_status st = pd_posix_step(&a->net);
    struct pd_connect_opts co;
    enum pd_status ps;
    char why[300];
    if (st == PD_POSIX_PENDING) {
        if (now - a->open_at >= CLI_OPEN_TIMEOUT_MS) {
            snprintf(why, sizeof why, "connecting to %s timed out", a->net.addr_text);
            status("%s", why);
            link_failed(a, now, "connect timeout", PD_EXIT_NETWORK);
        }
        return;
    }
    if (st != PD_POSIX_READY) {
        snprintf(why, sizeof why, "cannot connect to %s port %u: %s", a->o.host,
                 (unsigned)a->o.port, pd_posix_strerror(&a->net, st));
        status("%s", why);
        link_failed(a, now, "connect failed",
                    st == PD_POSIX_ERR_TLS ? PD_EXIT_TLS : PD_EXIT_NETWORK);
        return;
    }
    memset(&co, 0, sizeof co);
    co.client_id = a->o.client_id ? a->o.client_id : a->client_id;
    co.username = a->o.user;
    co.password = a->o.password;
    co.keepalive_s = a->o.keepalive_s;
    co.clean_session = a->o.clean || !a->o.client_id;
    ps = pd_connect(&a->c, &co, now);
    if (ps != PD_OK) {
        status("cannot start the MQTT session: %s", pd_strerror(ps));
        pd_posix_close(&a->net);
        a->link = LINK_DOWN;
        a->exit_code = PD_EXIT_INTERNAL;
        return;
    }
    a->link = LINK_MQTT;
}

/* The library reported the end of the link (inside pd_poll); act on it here. */
static void handle_lost(struct app *a, uint32_t now)
{
    enum pd_status st = a->lost_status;
    bool was_up = a->mqtt_up;
    a->lost = false;
    if (st == PD_OK && a->disconnecting) {
        pd_posix_close(&a->net);
        a->link = LINK_DOWN;
        if (a->exit_code < 0) {
            a->exit_code = PD_EXIT_OK;
        }
        return;
    }
    if (a->exit_code >= 0) { /* refused CONNACK, already reported */
        pd_posix_close(&a->net);
        a->link = LINK_DOWN;
        return;
    }
    if (st == PD_ERR_TIMEOUT) {
        status(was_up ? "link dead: no PINGRESP within keepalive/2 of the PINGREQ (%s)"
                      : "link dead: no CONNACK in time (%s)",
               pd_strerror(st));
    } else {
        status("link lost: %s", pd_strerror(st));
    }
    link_failed(a, now, "link lost", PD_EXIT_NETWORK);
}

/* Queue one message to the room. Returns true when it was consumed (sent or refused for
 * good), false to retry later (window or buffer full, or not connected). */
static bool send_line(struct app *a, const uint8_t *d, size_t n)
{
    uint16_t id = 0;
    enum pd_status st = pd_room_say(&a->c, a->o.user, a->o.room, d, n, a->o.qos, &id);
    if (st == PD_OK) {
        return true;
    }
    if (st == PD_ERR_BUSY || st == PD_ERR_STATE) {
        a->blocked = st == PD_ERR_BUSY;
        return false;
    }
    status("line %lu not sent: %s", a->line_no, pd_strerror(st));
    return true;
}

/* Turns buffered stdin bytes into messages, until one has to wait. */
static void drain_input(struct app *a)
{
    while (a->in_len > 0 || (a->stdin_eof && a->skipping)) {
        uint8_t *nl = memchr(a->in, '\n', a->in_len);
        size_t line = nl ? (size_t)(nl - a->in) : a->in_len;
        size_t used = nl ? line + 1 : line;
        if (!nl && !a->stdin_eof && !a->skipping && a->in_len <= PD_MAX_PAYLOAD + 1u) {
            return; /* could still become a valid line: wait for the rest */
        }
        if (a->skipping || line > PD_MAX_PAYLOAD + 1u) {
            if (!a->skipping) {
                a->skipping = true;
                a->skip_len = 0;
                a->line_no++;
            }
            a->skip_len += line;
            memmove(a->in, a->in + used, a->in_len - used);
            a->in_len -= used;
            if (nl || a->stdin_eof) {
                status("line %lu refused: %lu bytes, above the %u-byte message limit; not sent",
                       a->line_no, (unsigned long)a->skip_len, (unsigned)PD_MAX_PAYLOAD);
                a->skipping = false;
            }
            continue;
        }
        {
            size_t body = line;
            if (body > 0 && a->in[body - 1] == '\r') {
                body--;
            }
            if (body > PD_MAX_PAYLOAD) {
                a->line_no++;
                status("line %lu refused: %lu bytes, above the %u-byte message limit; not sent",
                       a->line_no, (unsigned long)body, (unsigned)PD_MAX_PAYLOAD);
            } else if (body > 0) {
                a->line_no++;
                if (!send_line(a, a->in, body)) {
                    a->line_no--;
                    return;
                }
            } else {
                a->line_no++; /* empty line: skipped */
            }
        }
        memmove(a->in, a->in + used, a->in_len - used);
        a->in_len -= used;
    }
}

static void read_stdin(struct app *a)
{
    ssize_t n;
    if (a->in_len == sizeof a->in) {
        return;
    }
    n = read(STDIN_FILENO, a->in + a->in_len, sizeof a->in - a->in_len);
    if (n > 0) {
        a->in_len += (size_t)n;
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        a->stdin_eof = true;
    }
}

static void send_readings(struct app *a, uint32_t now)
{
    char body[96];
    if (!a->readings_started) {
        if (!a->mqtt_up) {
            return;
        }
        a->readings_started = true;
        a->start_ms = now;
        a->next_reading = now;
    }
    while (a->sent_readings < a->o.count && (int32_t)(now - a->next_reading) >= 0) {
        int len = snprintf(body, sizeof body, "{\"seq\":%ld,\"n\":%ld,\"ms\":%lu}",
                           a->sent_readings + 1, a->o.count, (unsigned long)(now - a->start_ms));
        uint16_t id = 0;
        enum pd_status st =
            pd_room_say(&a->c, a->o.user, a->o.room, body, (size_t)len, a->o.qos, &id);
        if (st == PD_ERR_BUSY || st == PD_ERR_STATE) {
            a->blocked = st == PD_ERR_BUSY;
            return; /* a reading waits rather than getting lost */
        }
        if (st != PD_OK) {
            status("reading %ld not sent: %s", a->sent_readings + 1, pd_strerror(st));
            a->exit_code = PD_EXIT_INTERNAL;
            return;
        }
        a->sent_readings++;
        a->next_reading += (uint32_t)a->o.interval_ms;
    }
}

/* Work the application does on each turn once the library has run. */
static void produce(struct app *a, uint32_t now)
{
    a->blocked = false;
    if (a->mqtt_up && a->need_join && !a->disconnecting) {
        enum pd_status st = pd_room_join(&a->c, a->o.room, a->o.qos, &a->join_id);
        if (st == PD_OK) {
            a->need_join = false;
        } else if (st != PD_ERR_BUSY) {
            status("cannot join room %s: %s", a->o.room, pd_strerror(st));
            a->exit_code = PD_EXIT_INTERNAL;
            return;
        }
    }
    if (a->disconnecting) {
        return;
    }
    if (a->o.count) {
        send_readings(a, now);
    } else {
        drain_input(a);
    }
}

static bool all_sent(const struct app *a)
{
    if (a->o.count) {
        return a->sent_readings >= a->o.count;
    }
    return a->stdin_eof && a->in_len == 0 && !a->skipping;
}

/* Time until the next thing that is due, capped at CLI_TICK_MS. */
static int poll_timeout(const struct app *a, uint32_t now)
{
    int t = CLI_TICK_MS;
    if (a->link == LINK_MQTT && pd_posix_pending(&a->net)) {
        return 0;
    }
    /* A full txbuf that the last pd_poll() emptied into the socket needs no wait; a full
     * window waits for a PUBACK (POLLIN), a full socket for POLLOUT. */
    if (a->blocked && a->link == LINK_MQTT && !a->net.want_write &&
        pd_inflight(&a->c) < PD_INFLIGHT_MAX) {
        return 0;
    }
    if (a->o.count && a->readings_started && a->sent_readings < a->o.count &&
        pd_state(&a->c) != PD_ST_IDLE) {
        int32_t d = (int32_t)(a->next_reading - now);
        if (d < t) {
            t = d < 0 ? 0 : (int)d;
        }
    }
    return t;
}

static int run(struct app *a)
{
    uint32_t now = now_ms();
    start_open(a, now);
    while (a->exit_code < 0) {
        struct pollfd pfd[2];
        nfds_t nfd = 0;
        int in_i = -1;
        now = now_ms();
        if (stop_requested && !a->disconnecting) {
            if (a->link == LINK_MQTT && pd_state(&a->c) != PD_ST_IDLE &&
                pd_disconnect(&a->c) == PD_OK) {
                a->disconnecting = true;
                status("interrupted: disconnecting");
            } else {
                return PD_EXIT_OK;
            }
        }
        if (a->link == LINK_DOWN && a->exit_code < 0 && pd_reconnect_due(&a->c, now)) {
            start_open(a, now);
        }
        if (a->link == LINK_OPENING) {
            step_open(a, now);
        }
        if (a->link == LINK_MQTT) {
            (void)pd_poll(&a->c, now);
            if (a->lost) {
                handle_lost(a, now);
            }
        }
        if (a->exit_code >= 0) {
            break;
        }
        produce(a, now);
        if (a->exit_code >= 0) {
            break;
        }
        if (a->mqtt_up && !a->disconnecting && all_sent(a) && pd_inflight(&a->c) == 0 &&
            a->join_id == 0) {
            if (pd_disconnect(&a->c) == PD_OK) {
                a->disconnecting = true;
                if (a->o.verbose) {
                    status("all sent (%lu acknowledged): disconnecting", a->acked);
                }
            }
        }
        if (a->link == LINK_MQTT) {
            (void)pd_poll(&a->c, now); /* write what produce() queued */
            if (a->lost) {
                handle_lost(a, now);
                continue;
            }
        }
        if (a->link != LINK_DOWN && pd_posix_fd(&a->net) >= 0) {
            pfd[nfd].fd = pd_posix_fd(&a->net);
            pfd[nfd].events = pd_posix_events(&a->net);
            nfd++;
        }
        /* stdin is read only when its bytes can go somewhere: backpressure to the writer */
        if (!a->o.count && !a->stdin_eof && a->in_len < sizeof a->in &&
            (a->in_len == 0 || !memchr(a->in, '\n', a->in_len)) && !a->disconnecting) {
            pfd[nfd].fd = STDIN_FILENO;
            pfd[nfd].events = POLLIN;
            in_i = (int)nfd++;
        }
        if (poll(pfd, nfd, poll_timeout(a, now)) < 0 && errno != EINTR) {
            status("poll: %s", strerror(errno));
            return PD_EXIT_INTERNAL;
        }
        if (in_i >= 0 && (pfd[in_i].revents & (POLLIN | POLLHUP | POLLERR))) {
            read_stdin(a);
        }
    }
    return a->exit_code;
}

int main(int argc, char **argv)
{
    static struct app app; /* large buffers: not on the stack */
    static uint8_t txbuf[CLI_TXBUF];
    static uint8_t rxbuf[CLI_RXBUF];
    struct sigaction sa;
    int rc = pd_cli_parse(argc, argv, &app.o);
    if (rc >= 0) {
        return rc;
    }
    app.exit_code = -1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    snprintf(app.client_id, sizeof app.client_id, "pd-%.12s-%lu", app.o.user,
             (unsigned long)getpid());
    if (app.o.tls) {
        char err[300];
        app.tls = pd_posix_tls_new(app.o.cafile, app.o.tls_name ? app.o.tls_name : app.o.host, err,
                                   sizeof err);
        if (!app.tls) {
            status("TLS: %s", err);
            return PD_EXIT_TLS;
        }
    }
    pd_posix_init(&app.net, app.tls);
    if (pd_client_init(&app.c, pd_posix_transport(&app.net), txbuf, sizeof txbuf, rxbuf,
                       sizeof rxbuf, on_event, &app) != PD_OK) {
        status("cannot initialise the client");
        pd_posix_tls_free(app.tls);
        return PD_EXIT_INTERNAL;
    }
    rc = run(&app);
    pd_posix_close(&app.net);
    pd_posix_tls_free(app.tls);
    return rc;
}
