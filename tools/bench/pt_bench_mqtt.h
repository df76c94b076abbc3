/* parley-bench's MQTT 3.1.1 / 5 packet encoder and parser: just the packets a load generator
 * needs (CONNECT, CONNACK, SUBSCRIBE, SUBACK, PUBLISH, PUBACK, DISCONNECT), written into and
 * read from caller-owned buffers. No allocation, no sockets.
 */
#ifndef PT_BENCH_MQTT_H
#define PT_BENCH_MQTT_H

#include <stddef.h>
#include <stdint.h>

enum pt_mqtt_status {
    PT_MQTT_OK = 0,
    PT_MQTT_NEED_MORE = 1,  /* the buffer holds only part of a packet */
    PT_MQTT_MALFORMED = -1, /* the bytes break the protocol */
    PT_MQTT_NO_ROOM = -2,   /* the caller's output buffer is too small */
};

enum pt_mqtt_type {
    PT_MQTT_CONNECT = 1,
    PT_MQTT_CONNACK = 2,
    PT_MQTT_PUBLISH = 3,
    PT_MQTT_PUBACK = 4,
    PT_MQTT_SUBSCRIBE = 8,
    PT_MQTT_SUBACK = 9,
    PT_MQTT_PINGRESP = 13,
    PT_MQTT_DISCONNECT = 14,
};

/* One whole packet found at the start of a buffer: type, the fixed header's flag bits, and the
 * body (variable header + payload) as a slice of the caller's buffer. */
struct pt_mqtt_packet {
    unsigned type;
    unsigned flags;
    const uint8_t *body;
    size_t body_len;
    size_t total_len; /* bytes the whole packet occupies in the buffer */
};

/* A PUBLISH body decoded; topic and payload point into the packet's body. */
struct pt_mqtt_publish {
    const char *topic;
    size_t topic_len;
    unsigned qos;
    uint16_t packet_id; /* 0 for QoS 0 */
    const uint8_t *payload;
    size_t payload_len;
};

/* Finds the packet at buf[0..len). PT_MQTT_OK fills *out; PT_MQTT_NEED_MORE when the header or
 * body is incomplete; PT_MQTT_MALFORMED for a bad remaining length or a body above max_body. */
int pt_mqtt_parse(const uint8_t *buf, size_t len, size_t max_body, struct pt_mqtt_packet *out);

/* Decodes a PUBLISH packet (v5: skips the properties). OK or MALFORMED. */
int pt_mqtt_parse_publish(const struct pt_mqtt_packet *p, int v5, struct pt_mqtt_publish *out);

/* CONNACK: *code gets the return code (3.1.1) or reason code (5). OK or MALFORMED. */
int pt_mqtt_parse_connack(const struct pt_mqtt_packet *p, unsigned *code);

/* SUBACK: *packet_id and the first granted QoS / reason code in *code. OK or MALFORMED. */
int pt_mqtt_parse_suback(const struct pt_mqtt_packet *p, int v5, uint16_t *packet_id,
                         unsigned *code);

/* PUBACK: *packet_id, and *code the reason (0 when absent). OK or MALFORMED. */
int pt_mqtt_parse_puback(const struct pt_mqtt_packet *p, uint16_t *packet_id, unsigned *code);

/* Encoders: each writes one packet at out[0..cap) and returns its length, or 0 when it does not
 * fit (nothing useful is left in out then). Strings are NUL-terminated; username and password
 * may be NULL (absent). */
size_t pt_mqtt_connect(uint8_t *out, size_t cap, int v5, const char *client_id,
                       const char *username, const char *password, uint16_t keepalive);
size_t pt_mqtt_subscribe(uint8_t *out, size_t cap, int v5, uint16_t packet_id, const char *filter,
                         unsigned qos);
/* The header of a PUBLISH up to (not including) the payload; the caller appends payload_len
 * bytes of payload right after it. */
size_t pt_mqtt_publish_header(uint8_t *out, size_t cap, int v5, const char *topic, size_t topic_len,
                              unsigned qos, uint16_t packet_id, size_t payload_len);
size_t pt_mqtt_puback(uint8_t *out, size_t cap, uint16_t packet_id);
size_t pt_mqtt_disconnect(uint8_t *out, size_t cap);

#endif
