/* parley-bench's MQTT encoder and parser; see pt_bench_mqtt.h. */
#include "pt_bench_mqtt.h"

#include <string.h>

/* Remaining length (variable byte integer) at buf[0..len). Returns bytes used, 0 when more bytes
 * are needed, -1 when malformed (more than 4 bytes). */
static int varint_get(const uint8_t *buf, size_t len, size_t *value)
{
    size_t v = 0;
    for (int i = 0; i < 4; i++) {
        if ((size_t)i >= len) {
            return 0;
        }
        v |= (size_t)(buf[i] & 0x7f) << (7 * i);
        if ((buf[i] & 0x80) == 0) {
            *value = v;
            return i + 1;
        }
    }
    return -1;
}

static size_t varint_len(size_t v) { return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4; }

static uint8_t *varint_put(uint8_t *p, size_t v)
{
    do {
        uint8_t b = (uint8_t)(v & 0x7f);
        v >>= 7;
        *p++ = (uint8_t)(v ? (b | 0x80) : b);
    } while (v);
    return p;
}

static uint8_t *u16_put(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

static uint8_t *str_put(uint8_t *p, const char *s, size_t n)
{
    p = u16_put(p, (unsigned)n);
    memcpy(p, s, n);
    return p + n;
}

int pt_mqtt_parse(const uint8_t *buf, size_t len, size_t max_body, struct pt_mqtt_packet *out)
{
    if (len < 2) {
        return PT_MQTT_NEED_MORE;
    }
    size_t rem = 0;
    int n = varint_get(buf + 1, len - 1, &rem);
    if (n < 0 || rem > max_body) {
        return PT_MQTT_MALFORMED;
    }
    if (n == 0 || len - 1 - (size_t)n < rem) {
        return PT_MQTT_NEED_MORE;
    }
    out->type = buf[0] >> 4;
    out->flags = buf[0] & 0x0f;
    out->body = buf + 1 + n;
    out->body_len = rem;
    out->total_len = 1 + (size_t)n + rem;
    return PT_MQTT_OK;
}

/* Skips a v5 property block at body[*pos..len). */
static int skip_props(const uint8_t *body, size_t len, size_t *pos)
{
    size_t plen = 0;
    int n = varint_get(body + *pos, len - *pos, &plen);
    if (n <= 0 || len - *pos - (size_t)n < plen) {
        return PT_MQTT_MALFORMED;
    }
    *pos += (size_t)n + plen;
    return PT_MQTT_OK;
}

int pt_mqtt_parse_publish(const struct pt_mqtt_packet *p, int v5, struct pt_mqtt_publish *out)
{
    const uint8_t *b = p->body;
    size_t len = p->body_len;
    if (p->type != PT_MQTT_PUBLISH || len < 2) {
        return PT_MQTT_MALFORMED;
    }
    size_t tlen = ((size_t)b[0] << 8) | b[1];
    size_t pos = 2 + tlen;
    if (pos > len) {
        return PT_MQTT_MALFORMED;
    }
    out->topic = (const char *)b + 2;
    out->topic_len = tlen;
    out->qos = (p->flags >> 1) & 3;
    out->packet_id = 0;
    if (out->qos == 3) {
        return PT_MQTT_MALFORMED;
    }
    if (out->qos > 0) {
        if (len - pos < 2) {
            return PT_MQTT_MALFORMED;
        }
        out->packet_id = (uint16_t)((b[pos] << 8) | b[pos + 1]);
        pos += 2;
    }
    if (v5 && skip_props(b, len, &pos) != PT_MQTT_OK) {
        return PT_MQTT_MALFORMED;
    }
    out->payload = b + pos;
    out->payload_len = len - pos;
    return PT_MQTT_OK;
}

int pt_mqtt_parse_connack(const struct pt_mqtt_packet *p, unsigned *code)
{
    if (p->type != PT_MQTT_CONNACK || p->body_len < 2) {
        return PT_MQTT_MALFORMED;
    }
    *code = p->body[1];
    return PT_MQTT_OK;
}

int pt_mqtt_parse_suback(const struct pt_mqtt_packet *p, int v5, uint16_t *packet_id,
                         unsigned *code)
{
    size_t pos = 2;
    if (p->type != PT_MQTT_SUBACK || p->body_len < 3) {
        return PT_MQTT_MALFORMED;
    }
    *packet_id = (uint16_t)((p->body[0] << 8) | p->body[1]);
    if (v5 && skip_props(p->body, p->body_len, &pos) != PT_MQTT_OK) {
        return PT_MQTT_MALFORMED;
    }
    if (pos >= p->body_len) {
        return PT_MQTT_MALFORMED;
    }
    *code = p->body[pos];
    return PT_MQTT_OK;
}

int pt_mqtt_parse_puback(const struct pt_mqtt_packet *p, uint16_t *packet_id, unsigned *code)
{
    if (p->type != PT_MQTT_PUBACK || p->body_len < 2) {
        return PT_MQTT_MALFORMED;
    }
    *packet_id = (uint16_t)((p->body[0] << 8) | p->body[1]);
    *code = p->body_len > 2 ? p->body[2] : 0;
    return PT_MQTT_OK;
}

size_t pt_mqtt_connect(uint8_t *out, size_t cap, int v5, const char *client_id,
                       const char *username, const char *password, uint16_t keepalive)
{
    size_t cid = strlen(client_id);
    size_t ul = username ? strlen(username) : 0;
    size_t pl = password ? strlen(password) : 0;
    if (cid > 65535 || ul > 65535 || pl > 65535) {
        return 0;
    }
    size_t rem = 10 + (v5 ? 1 : 0) + 2 + cid;
    if (username) {
        rem += 2 + ul;
    }
    if (password) {
        rem += 2 + pl;
    }
    size_t total = 1 + varint_len(rem) + rem;
    if (total > cap) {
        return 0;
    }
    uint8_t *p = out;
    *p++ = 0x10;
    p = varint_put(p, rem);
    p = str_put(p, "MQTT", 4);
    *p++ = v5 ? 5 : 4;
    *p++ = (uint8_t)(0x02 | (username ? 0x80 : 0) | (password ? 0x40 : 0));
    p = u16_put(p, keepalive);
    if (v5) {
        *p++ = 0; /* no properties */
    }
    p = str_put(p, client_id, cid);
    if (username) {
        p = str_put(p, username, ul);
    }
    if (password) {
        p = str_put(p, password, pl);
    }
    return (size_t)(p - out);
}

size_t pt_mqtt_subscribe(uint8_t *out, size_t cap, int v5, uint16_t packet_id, const char *filter,
                         unsigned qos)
{
    size_t fl = strlen(filter);
    size_t rem = 2 + (v5 ? 1 : 0) + 2 + fl + 1;
    if (fl > 65535 || 1 + varint_len(rem) + rem > cap) {
        return 0;
    }
    uint8_t *p = out;
    *p++ = 0x82;
    p = varint_put(p, rem);
    p = u16_put(p, packet_id);
    if (v5) {
        *p++ = 0;
    }
    p = str_put(p, filter, fl);
    *p++ = (uint8_t)(qos & 3);
    return (size_t)(p - out);
}

size_t pt_mqtt_publish_header(uint8_t *out, size_t cap, int v5, const char *topic, size_t topic_len,
                              unsigned qos, uint16_t packet_id, size_t payload_len)
{
    size_t rem = 2 + topic_len + (qos ? 2 : 0) + (v5 ? 1 : 0) + payload_len;
    size_t hdr = 1 + varint_len(rem) + rem - payload_len;
    if (topic_len > 65535 || rem > 268435455 || hdr > cap) {
        return 0;
    }
    uint8_t *p = out;
    *p++ = (uint8_t)(0x30 | ((qos & 3) << 1));
    p = varint_put(p, rem);
    p = str_put(p, topic, topic_len);
    if (qos) {
        p = u16_put(p, packet_id);
    }
    if (v5) {
        *p++ = 0;
    }
    return (size_t)(p - out);
}

size_t pt_mqtt_puback(uint8_t *out, size_t cap, uint16_t packet_id)
{
    if (cap < 4) {
        return 0;
    }
    out[0] = 0x40;
    out[1] = 2;
    u16_put(out + 2, packet_id);
    return 4;
}

size_t pt_mqtt_disconnect(uint8_t *out, size_t cap)
{
    if (cap < 2) {
        return 0;
    }
    out[0] = 0xe0;
    out[1] = 0;
    return 2;
}
