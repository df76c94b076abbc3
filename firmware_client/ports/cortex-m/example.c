/* The smallest firmware that uses the whole client, for the size budget: CONNECT with a will,
 * SUBSCRIBE, UNSUBSCRIBE, PUBLISH QoS 0 and 1, the poll loop with keepalive, DISCONNECT; with
 * PD_EXAMPLE_FULL also the reconnect helper, the room helpers (join, leave, say, direct
 * message) and a plain SUBSCRIBE. The transport is a stub
 * (send swallows, recv would block); the clock is a counter a SysTick handler would bump. */
#include <stdint.h>

#include "pd_client.h"

/* The context budget: at most 96 bytes on a 32-bit MCU (fails to compile otherwise). */
typedef char pd_example_ctx_budget[sizeof(struct pd_client) <= 96u ? 1 : -1];

static volatile uint32_t ticks_ms;  /* SysTick would increment it */
static volatile uint32_t rng_value; /* a hardware RNG data register on a real part */

static int32_t stub_send(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    return (int32_t)len;
}

static int32_t stub_recv(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return PD_WOULD_BLOCK;
}

static volatile uint32_t seen;
static volatile uint8_t lost;

static void on_event(struct pd_client *c, const struct pd_event *ev, void *user)
{
    (void)user;
    if (ev->type == PD_EV_CONNACK && !ev->session_present) {
#ifdef PD_EXAMPLE_FULL
        (void)pd_room_join(c, "lab", 1, NULL);
        (void)pd_subscribe(c, "users/sensor1/inbox/+", 1, NULL);
#else
        (void)pd_subscribe(c, "rooms/lab/msg/+", 1, NULL);
#endif
    }
    if (ev->type == PD_EV_MESSAGE) {
        seen += ev->len;
    }
    if (ev->type == PD_EV_DISCONNECTED) {
        lost = 1;
    }
}

static const struct pd_transport transport = {stub_send, stub_recv, 0};
static struct pd_client client;
static uint8_t txbuf[256];
static uint8_t rxbuf[128];

int main(void)
{
    static const struct pd_will will = {"rooms/lab/msg/sensor1", "offline", 7, 1, false};
    static const struct pd_connect_opts opts = {"sensor1", "sensor1", "secret", &will, 30, false};
    uint8_t reading = 0;
    (void)pd_client_init(&client, &transport, txbuf, sizeof txbuf, rxbuf, sizeof rxbuf, on_event,
                         0);
    (void)pd_connect(&client, &opts, ticks_ms);
    for (;;) {
        uint32_t now = ticks_ms;
        (void)pd_poll(&client, now);
        if (pd_state(&client) == PD_ST_CONNECTED) {
            reading++;
            (void)pd_publish(&client, "rooms/lab/msg/sensor1", &reading, 1, reading & 1u, false,
                             NULL);
            if (reading == 100u) {
                (void)pd_unsubscribe(&client, "rooms/lab/msg/+", NULL);
            }
#ifdef PD_EXAMPLE_FULL
            (void)pd_room_say(&client, "sensor1", "lab", &reading, 1, 1, NULL);
            if (reading == 150u) {
                (void)pd_dm_send(&client, "sensor1", "operator", "hello", 5, 1, NULL);
            }
            if (reading == 200u) {
                (void)pd_room_leave(&client, "lab", NULL);
            }
#endif
            if (reading == 255u) {
                (void)pd_disconnect(&client);
            }
        }
#ifdef PD_EXAMPLE_FULL
        if (pd_state(&client) == PD_ST_IDLE) {
            if (lost) {
                lost = 0;
                (void)pd_reconnect_schedule(&client, now, rng_value);
            } else if (pd_reconnect_due(&client, now)) {
                (void)pd_connect(&client, &opts, now); /* after reopening the link */
            }
        }
#endif
    }
}
