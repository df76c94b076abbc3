/* libparley_device: a malloc-free MQTT 3.1.1 client for constrained devices (C99).
 *
 * API stability: this header is the contract the POSIX port, parley-device and the tests are
 * written against. Changes after the first commit stay source-compatible and are listed here:
 *  - private fields of struct pd_client reordered, two removed, conn_len added (recompile);
 *  - pd_disconnect() may return PD_ERR_BUSY (txbuf full);
 *  - a QoS 1 publish also returns PD_ERR_BUSY when it would not leave the last CONNECT's size
 *    + 4 bytes free (so a reconnect always fits beside held messages);
 *  - a QoS 1 publish must also leave room for a copy of the largest held packet (PD_ERR_BUSY),
 *    and returns PD_ERR_TOO_BIG when twice its size + that reserve exceeds txbuf: accepted
 *    publishes are always sent (before, one could be held and never sent);
 *  - that copy and the CONNECT are never queued together, so a QoS 1 publish reserves only the
 *    larger of them (+ 4 bytes, and 4 bytes beside the queue now): more publishes are held,
 *    PD_ERR_TOO_BIG only when its size + max(its size, the last CONNECT's) + 4 > txbuf;
 *  - held packets are written from where they are kept (no copies): a QoS 1 publish needs
 *    only its size + the last CONNECT's + 4 bytes beside what is queued; held messages follow
 *    a reconnect's CONNECT at once instead of after its CONNACK; a retransmission writes every
 *    held packet again; the window is the held packets themselves (context 68 bytes).
 *
 * Model. The caller owns everything: the struct pd_client (at most 96 bytes on a 32-bit MCU
 * with the default pd_config.h), a transmit buffer and a receive buffer, and the transport.
 * Nothing blocks and nothing allocates; the caller passes the clock (now_ms, a free-running
 * millisecond counter that may wrap) into pd_connect() and pd_poll(). pd_poll() does all I/O,
 * keepalive, retransmission and timeouts, and reports what happened through one event
 * callback. Several clients may live in one program; there is no global state.
 *
 * Buffers.
 *  - txbuf holds every outgoing packet, whole and in wire order: the QoS 1 PUBLISH packets
 *    awaiting PUBACK and the SUBSCRIBE/UNSUBSCRIBE awaiting their answer ("held") stay where
 *    they are once written, and are written again from there (retransmission, reconnect);
 *    every other packet leaves once written. After a link loss the next CONNECT goes in
 *    front of the held publishes. So a QoS 1 publish of p bytes is accepted only while
 *    queued + p + C + 4 <= txbuf (queued = every byte in txbuf now, C = the last CONNECT's
 *    size, 0 before the first pd_connect()): the reconnect and a PUBACK or PINGREQ then
 *    always fit beside what is held. Otherwise it returns PD_ERR_BUSY (retry after a later
 *    pd_poll() or a PUBACK), or PD_ERR_TOO_BIG when even alone p + C + 4 > txbuf. Size txbuf
 *    as window * largest packet + the CONNECT + 4.
 *  - rxbuf holds exactly one incoming packet. An incoming PUBLISH larger than rxbuf is read
 *    and thrown away (acknowledged if QoS 1 so the broker does not resend it), counted in
 *    pd_dropped() and reported as PD_EV_DROPPED; any other packet larger than rxbuf ends the
 *    link with PD_ERR_OVERSIZE. 5 + topic + 2 + PD_MAX_PAYLOAD bytes receive every room message.
 *  Both must be at most 65535 bytes and stay valid and untouched while the client lives.
 *
 * Callbacks. The event callback may call pd_publish(), pd_subscribe(), pd_unsubscribe(),
 * the room helpers and pd_disconnect() (they only queue bytes). It must not call pd_poll(),
 * pd_connect() or pd_client_init() on the same client. Pointers inside an event are valid
 * only during the callback.
 *
 * Sessions and reconnects. When the link dies (transport error, PINGRESP or CONNACK timeout,
 * malformed packet) the client goes to PD_ST_IDLE and emits PD_EV_DISCONNECTED with the
 * reason; the caller closes its transport. QoS 1 messages not yet acknowledged stay in
 * txbuf and are written again right behind the next CONNECT, in order (with DUP if they had
 * been written before; MQTT 3.1.1 lets a client send before the CONNACK). Subscriptions
 * are not stored by the library: when PD_EV_CONNACK reports session_present == false, the
 * application subscribes again from that callback (with a persistent session the broker kept
 * them). pd_reconnect_schedule()/pd_reconnect_due() pace the attempts.
 */
#ifndef PD_CLIENT_H
#define PD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pd_config.h"
#include "pd_transport.h"

/* Every result the library returns. pd_strerror() gives a static string for humans. */
enum pd_status {
    PD_OK = 0,
    PD_ERR_PARAM,     /* NULL or invalid argument (empty topic, QoS > 1, buffer too small) */
    PD_ERR_STATE,     /* not allowed in the current state (e.g. publish QoS 0 while idle) */
    PD_ERR_BUSY,      /* no room now: window full or txbuf full; retry after pd_poll() */
    PD_ERR_TOO_BIG,   /* payload above PD_MAX_PAYLOAD, or a packet above PD_PACKET_MAX or
                         larger than txbuf can ever hold (a QoS 1 publish: with the last
                         CONNECT and the reserve, see pd_publish());
                         nothing was queued */
    PD_ERR_NAME,      /* room or user name outside [A-Za-z0-9_.-]{1,64} */
    PD_ERR_TRANSPORT, /* transport send/recv failed */
    PD_ERR_CLOSED,    /* the peer closed the connection */
    PD_ERR_TIMEOUT,   /* no PINGRESP (or no CONNACK) in time: the link is dead */
    PD_ERR_MALFORMED, /* incoming bytes break MQTT 3.1.1 framing or field rules */
    PD_ERR_PROTOCOL,  /* well-formed but not allowed here (wrong flags, unexpected type) */
    PD_ERR_OVERSIZE,  /* an incoming non-PUBLISH packet larger than rxbuf */
    PD_ERR_REFUSED,   /* CONNACK refused the connection (code in the event), or a SUBACK
                         granted 0x80 to at least one filter */
    PD_ERR_NEED_MORE  /* parser only: the bytes so far are a valid prefix; read more */
};

/* Static, never NULL; "unknown status" for values outside the enum. */
const char *pd_strerror(enum pd_status st);

enum pd_state {
    PD_ST_IDLE = 0,     /* no connection; pd_connect() allowed */
    PD_ST_CONNECTING,   /* CONNECT queued or sent, waiting for CONNACK */
    PD_ST_CONNECTED,    /* CONNACK accepted */
    PD_ST_DISCONNECTING /* DISCONNECT queued; PD_ST_IDLE once it is written */
};

enum pd_event_type {
    PD_EV_CONNACK = 1, /* code = CONNACK return code (0 accepted, 1..5 refused),
                          session_present. A refusal is followed by PD_EV_DISCONNECTED. */
    PD_EV_MESSAGE,     /* an incoming PUBLISH: topic/topic_len, data/len, qos, dup, retain,
                          id (QoS 1). A duplicate QoS 1 is delivered again (at least once);
                          the PUBACK is queued before the callback runs. */
    PD_EV_PUBACK,      /* our QoS 1 publish `id` was acknowledged; its bytes are released */
    PD_EV_SUBACK,      /* SUBSCRIBE `id` answered: data/len = granted QoS per filter (0, 1 or
                          0x80 failure); code = the first; status PD_ERR_REFUSED if any 0x80 */
    PD_EV_UNSUBACK,    /* UNSUBSCRIBE `id` answered */
    PD_EV_DROPPED,     /* an incoming PUBLISH larger than rxbuf was discarded; len = its
                          remaining length, id = its packet id if QoS 1 (it was acknowledged) */
    PD_EV_DISCONNECTED /* now PD_ST_IDLE; status = why (PD_OK after pd_disconnect()) */
};

struct pd_client;

/* One event; lives on the library's stack for the duration of the callback. Fields not listed
 * for a type are zero. topic is not NUL-terminated. */
struct pd_event {
    enum pd_event_type type;
    enum pd_status status;
    uint16_t id;
    uint8_t code;
    uint8_t qos;
    bool session_present;
    bool dup;
    bool retain;
    const char *topic;
    uint16_t topic_len;
    const uint8_t *data;
    size_t len;
};

/* The event callback. user is the pointer given to pd_client_init(). */
typedef void (*pd_event_fn)(struct pd_client *c, const struct pd_event *ev, void *user);

/* Last will, borrowed for the pd_connect() call only (it is encoded at once). */
struct pd_will {
    const char *topic; /* NUL-terminated, non-empty */
    const void *payload;
    uint16_t len;
    uint8_t qos; /* 0 or 1 */
    bool retain;
};

/* Borrowed for the pd_connect() call only. Strings are NUL-terminated; NULL = absent. */
struct pd_connect_opts {
    const char *client_id;      /* NULL or "" lets the broker pick (needs clean_session) */
    const char *username;       /* NULL: none */
    const char *password;       /* password or token (e.g. a JWT); NULL: none */
    const struct pd_will *will; /* NULL: none */
    uint16_t keepalive_s;       /* 0 disables keepalive */
    bool clean_session;         /* false: persistent session, QoS 1 survives reconnects */
};

/* The context. Fields are private: read them through the accessors below. */
struct pd_client {
    /* Small fields first: Thumb-1 loads reach bytes only at offsets 0..31 and halfwords at
     * 0..62, so this order keeps the code on Cortex-M0+ short. */
    uint8_t state;
    uint8_t flags;
    uint8_t attempt;
    uint16_t tx_cap, tx_len;
    uint16_t tx_sent; /* txbuf bytes written and held (see the layout in pd_inflight.h) */
    uint16_t tx_part; /* bytes written of the packet at tx_sent */
    uint16_t rx_cap, rx_len;
    uint16_t keepalive_s;
    uint16_t next_id;
    uint16_t dropped;
    uint16_t conn_len; /* bytes of the last CONNECT: held packets leave room for it */
    const struct pd_transport *tr;
    pd_event_fn on_event;
    void *user;
    uint8_t *tx;
    uint8_t *rx;
    uint32_t rx_skip;    /* bytes of an oversize PUBLISH still to discard */
    uint32_t last_tx;    /* now_ms of the last byte written */
    uint32_t last_rx;    /* now_ms of the last complete packet read */
    uint32_t wait_since; /* PINGREQ or CONNECT sent at (valid when waiting) */
    uint32_t retry_at;   /* next reconnect attempt at */
    uint32_t rt_since;   /* the oldest held packet was last written at */
};

/* Prepare c. tr, txbuf, rxbuf and user are borrowed for c's whole life. txlen and rxlen must
 * be 16..65535. on_event may be NULL (events are then dropped). Resets everything, including
 * held QoS 1 messages. Returns PD_OK or PD_ERR_PARAM. */
enum pd_status pd_client_init(struct pd_client *c, const struct pd_transport *tr, uint8_t *txbuf,
                              size_t txlen, uint8_t *rxbuf, size_t rxlen, pd_event_fn on_event,
                              void *user);

/* Start an MQTT session over a transport the caller has just opened: queues CONNECT (sent by
 * pd_poll()) and enters PD_ST_CONNECTING. opts is borrowed for this call only.
 * Returns PD_OK; PD_ERR_STATE unless PD_ST_IDLE; PD_ERR_PARAM (NULL opts, bad will);
 * PD_ERR_TOO_BIG when CONNECT cannot fit in txbuf next to the held QoS 1 messages. */
enum pd_status pd_connect(struct pd_client *c, const struct pd_connect_opts *opts, uint32_t now_ms);

/* Do everything that is due: read and dispatch up to PD_POLL_MAX_PACKETS packets, answer QoS 1
 * with PUBACK, send PINGREQ after 3/4 of the keepalive without a packet in either direction
 * (one that finds txbuf full is retried at every call until queued), declare the link dead
 * when the PINGRESP is keepalive/2 late, counted from when the PINGREQ fell due (or CONNACK
 * PD_CONNACK_TIMEOUT_MS late), write every held packet again (PUBLISH with DUP) once the
 * oldest has waited PD_RETRY_MS for its answer and the queue has drained, and write queued
 * packets until the transport would block. Call it often (every main-loop turn, or when the
 * socket is readable/writable and at least every keepalive/4).
 * Returns PD_OK, or the reason the link died during this call (the state is then
 * PD_ST_IDLE and PD_EV_DISCONNECTED was emitted). In PD_ST_IDLE it does nothing. */
enum pd_status pd_poll(struct pd_client *c, uint32_t now_ms);

/* Queue a PUBLISH. topic: NUL-terminated, non-empty, no wildcard check (the broker refuses).
 * payload (len bytes, may be NULL when len is 0) is copied: the caller may reuse it at once.
 * QoS 0 needs PD_ST_CONNECTED or PD_ST_CONNECTING. QoS 1 is accepted in any state but
 * PD_ST_DISCONNECTING: it takes a window slot and stays in txbuf until PUBACK, and goes out
 * once connected. A QoS 1 publish always leaves free in txbuf, beside everything queued, room
 * for the last CONNECT plus 4 bytes, so a reconnect and the acknowledgements always fit (see
 * Buffers above): what it accepts it can send.
 * *id_out (may be NULL) receives the packet id (0 for QoS 0).
 * Returns PD_OK, PD_ERR_PARAM, PD_ERR_TOO_BIG (nothing queued: len > PD_MAX_PAYLOAD, or the
 * packet cannot fit txbuf even with nothing queued; for QoS 1 its size + the last CONNECT's
 * + 4), PD_ERR_STATE, PD_ERR_BUSY (window or txbuf full now; retry once pd_poll() has
 * written the queue or a PUBACK has released held messages). */
enum pd_status pd_publish(struct pd_client *c, const char *topic, const void *payload, size_t len,
                          uint8_t qos, bool retain, uint16_t *id_out);

/* Queue a SUBSCRIBE for one filter at the given maximum QoS (0 or 1); the answer comes as
 * PD_EV_SUBACK with the same id. Needs PD_ST_CONNECTED or PD_ST_CONNECTING; takes a window
 * slot until the SUBACK. Returns PD_OK, PD_ERR_PARAM, PD_ERR_STATE, PD_ERR_BUSY,
 * PD_ERR_TOO_BIG. */
enum pd_status pd_subscribe(struct pd_client *c, const char *filter, uint8_t qos, uint16_t *id_out);

/* Queue an UNSUBSCRIBE for one filter; answered by PD_EV_UNSUBACK. Same returns. */
enum pd_status pd_unsubscribe(struct pd_client *c, const char *filter, uint16_t *id_out);

/* Queue DISCONNECT and enter PD_ST_DISCONNECTING; pd_poll() writes it, then goes to
 * PD_ST_IDLE with PD_EV_DISCONNECTED(PD_OK) (the will is not published). Held QoS 1 messages
 * (sent or not yet sent) are kept for the next session. Returns PD_OK, PD_ERR_STATE (not
 * connected/connecting) or PD_ERR_BUSY (txbuf full; poll and retry). */
enum pd_status pd_disconnect(struct pd_client *c);

/* Drop the connection at once, without DISCONNECT (the broker publishes the will): state
 * PD_ST_IDLE, queue emptied, held QoS 1 kept. No event. Use it after the caller's own
 * transport failure detection. */
void pd_abort(struct pd_client *c);

enum pd_state pd_state(const struct pd_client *c);
/* Incoming PUBLISH packets dropped because they were larger than rxbuf (saturates). */
uint16_t pd_dropped(const struct pd_client *c);
/* Window slots in use (QoS 1 publishes + SUBSCRIBE/UNSUBSCRIBE awaiting answers). */
unsigned pd_inflight(const struct pd_client *c);

/* ---- Reconnect helper ----
 * After PD_EV_DISCONNECTED (or a failed transport open), call pd_reconnect_schedule() with a
 * random 32-bit value from the caller's source (hardware RNG, ADC noise...). The n-th
 * consecutive call schedules the next attempt after a delay drawn in [d/2, d],
 * d = min(PD_BACKOFF_MAX_MS, PD_BACKOFF_MIN_MS << n); an accepted CONNACK resets n.
 * Returns the delay in ms. pd_reconnect_due() is true once that time has come and the client
 * is idle: then open the transport and call pd_connect(). Unacknowledged QoS 1 messages are
 * resent automatically after the next accepted CONNACK; resubscribe in PD_EV_CONNACK when
 * session_present is false. */
uint32_t pd_reconnect_schedule(struct pd_client *c, uint32_t now_ms, uint32_t random);
bool pd_reconnect_due(const struct pd_client *c, uint32_t now_ms);

/* ---- Parley helpers (topics of protocol v1, DESIGN.md) ----
 * Names must match [A-Za-z0-9_.-]{1,64}, else PD_ERR_NAME and nothing is queued. Other
 * returns as pd_subscribe()/pd_publish(). */

/* True when name (NUL-terminated) is a valid Parley room or user name; NULL is invalid. */
bool pd_name_valid(const char *name);

/* One SUBSCRIBE with two filters: rooms/{room}/msg/+ (at qos) and rooms/{room}/presence/+
 * (QoS 0). The SUBACK carries two granted codes. */
enum pd_status pd_room_join(struct pd_client *c, const char *room, uint8_t qos, uint16_t *id_out);

/* One UNSUBSCRIBE for the same two filters. */
enum pd_status pd_room_leave(struct pd_client *c, const char *room, uint16_t *id_out);

/* Publish to rooms/{room}/msg/{me}; me must be the username the broker knows us by. */
enum pd_status pd_room_say(struct pd_client *c, const char *me, const char *room, const void *msg,
                           size_t len, uint8_t qos, uint16_t *id_out);

/* Direct message: publish to users/{to}/inbox/{me}. */
enum pd_status pd_dm_send(struct pd_client *c, const char *me, const char *to, const void *msg,
                          size_t len, uint8_t qos, uint16_t *id_out);

/* What an incoming topic means in the Parley namespace. */
enum pd_topic_kind {
    PD_TOPIC_OTHER = 0, /* not a Parley room or inbox topic */
    PD_TOPIC_MSG,       /* rooms/{room}/msg/{user} */
    PD_TOPIC_PRESENCE,  /* rooms/{room}/presence/{user} (empty payload = left) */
    PD_TOPIC_TYPING,    /* rooms/{room}/typing/{user} */
    PD_TOPIC_INBOX      /* users/{user}/inbox/{from}: room = the inbox owner, user = from */
};

/* Split topic[0..len) (need not be NUL-terminated, e.g. ev->topic). On a Parley topic, sets
 * room/room_len and user/user_len to slices of topic (both valid names). Never reads past
 * len. out pointers must not be NULL. */
enum pd_topic_kind pd_topic_parse(const char *topic, size_t len, const char **room,
                                  size_t *room_len, const char **user, size_t *user_len);

#endif
