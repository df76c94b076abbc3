/* libparley_device compile-time configuration. Every value may be overridden with -D on the
 * compiler command line; the library and every file using pd_client.h must agree on them
 * (the context struct's size depends on PD_INFLIGHT_MAX). */
#ifndef PD_CONFIG_H
#define PD_CONFIG_H

/* Largest application payload pd_publish() and the room helpers accept, in bytes. A publish
 * above it returns PD_ERR_TOO_BIG and sends nothing. Matches the broker plugin's max_payload. */
#ifndef PD_MAX_PAYLOAD
#define PD_MAX_PAYLOAD 512
#endif

/* In-flight window: how many QoS 1 publishes, SUBSCRIBEs and UNSUBSCRIBEs may await their
 * acknowledgement at once. They are kept in txbuf, so the window costs no context; txbuf's
 * size bounds it too. Range 1..255. */
#ifndef PD_INFLIGHT_MAX
#define PD_INFLIGHT_MAX 4
#endif

/* When the oldest unacknowledged QoS 1 PUBLISH (or SUBSCRIBE/UNSUBSCRIBE) was last written
 * this long ago and the queue has drained, every held packet is written again (PUBLISH with
 * DUP set). */
#ifndef PD_RETRY_MS
#define PD_RETRY_MS 5000u
#endif

/* A CONNECT without CONNACK for this long declares the link dead (PD_ERR_TIMEOUT). */
#ifndef PD_CONNACK_TIMEOUT_MS
#define PD_CONNACK_TIMEOUT_MS 10000u
#endif

/* Reconnect backoff: the n-th consecutive attempt waits a delay drawn in [d/2, d] where
 * d = min(PD_BACKOFF_MAX_MS, PD_BACKOFF_MIN_MS << n). PD_BACKOFF_MAX_MS at most 131068 (the
 * jitter is scaled with a 32-bit multiply, no division). */
#ifndef PD_BACKOFF_MIN_MS
#define PD_BACKOFF_MIN_MS 1000u
#endif
#ifndef PD_BACKOFF_MAX_MS
#define PD_BACKOFF_MAX_MS 60000u
#endif

/* pd_poll() handles at most this many incoming packets per call, so one chatty peer cannot
 * starve the rest of the firmware's main loop. */
#ifndef PD_POLL_MAX_PACKETS
#define PD_POLL_MAX_PACKETS 8
#endif

/* Room and user names: [A-Za-z0-9_.-]{1,PD_NAME_MAX}, as in the Parley namespace. */
#define PD_NAME_MAX 64

/* Largest packet the library ever holds in the transmit buffer (13-bit slot length). */
#define PD_PACKET_MAX 8191u

#endif
