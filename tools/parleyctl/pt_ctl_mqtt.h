/* parleyctl's one round trip: connect as MQTT 5, subscribe to the control response topic, publish
 * one command batch, wait for the answer, disconnect.
 */
#ifndef PT_CTL_MQTT_H
#define PT_CTL_MQTT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define PT_CTL_CONTROL_TOPIC "$CONTROL/parley/v1"
#define PT_CTL_RESPONSE_TOPIC "$CONTROL/parley/v1/response"

enum pt_ctl_mqtt_status {
    PT_CTL_MQTT_OK = 0,
    PT_CTL_MQTT_NOMEM,
    PT_CTL_MQTT_TLS,        /* the TLS options were refused (unreadable CA file, ...) */
    PT_CTL_MQTT_CONNECT,    /* no connection: name lookup, refused, unreachable */
    PT_CTL_MQTT_AUTH,       /* the broker refused the login (CONNACK reason code) */
    PT_CTL_MQTT_SUB_DENIED, /* SUBACK refused the response topic */
    PT_CTL_MQTT_PUB_DENIED, /* PUBACK refused the command batch */
    PT_CTL_MQTT_LOST,       /* the connection ended before the answer came */
    PT_CTL_MQTT_TIMEOUT,    /* no answer within the timeout */
    PT_CTL_MQTT_BAD_REPLY   /* the answer was not {"responses":[...]} */
};

struct pt_ctl_mqtt_opts {
    const char *host;
    int port;
    const char *user;     /* may be NULL */
    const char *password; /* may be NULL; a token is a password here */
    const char *cafile;   /* NULL: plain TCP; else TLS verified against this CA */
    double timeout_s;     /* for the whole round trip after the TCP connect */
};

/* Sends batch ({"commands":[...]}, NUL-terminated) and waits for the answer.
 * On PT_CTL_MQTT_OK *reply is the parsed answer, an object whose "responses" is an array; the
 * caller frees it with cJSON_Delete. Otherwise *reply is NULL and err holds one line saying what
 * failed (never the password). Calls mosquitto_lib_init/cleanup itself. */
enum pt_ctl_mqtt_status pt_ctl_mqtt_roundtrip(const struct pt_ctl_mqtt_opts *opts,
                                              const char *batch, cJSON **reply, char *err,
                                              size_t errlen);

/* A short name for a status ("timeout", ...). Static string. */
const char *pt_ctl_mqtt_strerror(enum pt_ctl_mqtt_status st);

#endif
