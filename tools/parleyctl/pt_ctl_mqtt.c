/* parleyctl's control round trip over libmosquitto, driven by our own loop.
 *
 * The callbacks only record what arrived; the next step (subscribe, publish, finish) is taken by
 * step() between mosquitto_loop calls, so no libmosquitto call is made from inside one of its
 * callbacks and a DISCONNECT queued from here is written at once.
 */
#include "pt_ctl_mqtt.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#define KEEPALIVE_S 30
#define LOOP_SLICE_MS 100

enum state {
    ST_CONNECTING,  /* TCP up, waiting for CONNACK */
    ST_SUBSCRIBING, /* SUBSCRIBE sent, waiting for SUBACK */
    ST_WAITING,     /* batch published, waiting for the response */
    ST_DONE         /* status says how it ended */
};

struct run {
    const struct pt_ctl_mqtt_opts *opts;
    const char *batch;
    enum state state;
    enum pt_ctl_mqtt_status status;
    /* What the callbacks saw. */
    bool connack_seen;
    int connack_rc;
    bool suback_seen;
    int suback_rc;
    bool puback_seen;
    int puback_rc;
    int sub_mid;
    int pub_mid;
    cJSON *reply; /* owned here until handed to the caller */
    bool reply_bad;
    char *err;
    size_t errlen;
};

const char *pt_ctl_mqtt_strerror(enum pt_ctl_mqtt_status st)
{
    switch (st) {
    case PT_CTL_MQTT_OK:
        return "ok";
    case PT_CTL_MQTT_NOMEM:
        return "out of memory";
    case PT_CTL_MQTT_TLS:
        return "TLS setup failed";
    case PT_CTL_MQTT_CONNECT:
        return "cannot connect";
    case PT_CTL_MQTT_AUTH:
        return "login refused";
    case PT_CTL_MQTT_SUB_DENIED:
        return "subscription refused";
    case PT_CTL_MQTT_PUB_DENIED:
        return "publish refused";
    case PT_CTL_MQTT_LOST:
        return "connection lost";
    case PT_CTL_MQTT_TIMEOUT:
        return "timeout";
    case PT_CTL_MQTT_BAD_REPLY:
        return "malformed answer";
    }
    return "unknown status";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void finish(struct run *r, enum pt_ctl_mqtt_status st)
{
    r->state = ST_DONE;
    r->status = st;
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    (void)mosq;
    (void)flags;
    (void)props;
    struct run *r = obj;
    r->connack_seen = true;
    r->connack_rc = rc;
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                         const int *granted, const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    struct run *r = obj;
    if (mid != r->sub_mid) {
        return;
    }
    r->suback_seen = true;
    r->suback_rc = qos_count > 0 ? granted[0] : MQTT_RC_UNSPECIFIED;
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid, int reason,
                       const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    struct run *r = obj;
    if (mid != r->pub_mid) {
        return;
    }
    r->puback_seen = true;
    r->puback_rc = reason;
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    struct run *r = obj;
    if (r->reply != NULL || r->reply_bad || strcmp(msg->topic, PT_CTL_RESPONSE_TOPIC) != 0) {
        return;
    }
    cJSON *root = cJSON_ParseWithLength(msg->payload, (size_t)msg->payloadlen);
    if (root == NULL || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "responses"))) {
        cJSON_Delete(root);
        r->reply_bad = true;
        return;
    }
    r->reply = root;
}

/* Takes the next step once the callbacks have recorded what it waits for. */
static void step(struct run *r, struct mosquitto *mosq)
{
    const struct pt_ctl_mqtt_opts *o = r->opts;
    int rc;
    switch (r->state) {
    case ST_CONNECTING:
        if (!r->connack_seen) {
            return;
        }
        if (r->connack_rc != 0) {
            snprintf(r->err, r->errlen, "%s:%d refused the login%s%s%s: %s", o->host, o->port,
                     o->user ? " as \"" : "", o->user ? o->user : "", o->user ? "\"" : "",
                     mosquitto_reason_string(r->connack_rc));
            finish(r, PT_CTL_MQTT_AUTH);
            return;
        }
        rc = mosquitto_subscribe_v5(mosq, &r->sub_mid, PT_CTL_RESPONSE_TOPIC, 1, 0, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
            snprintf(r->err, r->errlen, "cannot subscribe to %s: %s", PT_CTL_RESPONSE_TOPIC,
                     mosquitto_strerror(rc));
            finish(r, rc == MOSQ_ERR_NOMEM ? PT_CTL_MQTT_NOMEM : PT_CTL_MQTT_LOST);
            return;
        }
        r->state = ST_SUBSCRIBING;
        return;
    case ST_SUBSCRIBING:
        if (!r->suback_seen) {
            return;
        }
        if (r->suback_rc >= 0x80) {
            snprintf(r->err, r->errlen, "the broker refused the subscription to %s: %s",
                     PT_CTL_RESPONSE_TOPIC, mosquitto_reason_string(r->suback_rc));
            finish(r, PT_CTL_MQTT_SUB_DENIED);
            return;
        }
        /* Only now: an answer sent before the SUBACK could be lost. */
        rc = mosquitto_publish_v5(mosq, &r->pub_mid, PT_CTL_CONTROL_TOPIC, (int)strlen(r->batch),
                                  r->batch, 1, false, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
            snprintf(r->err, r->errlen, "cannot publish to %s: %s", PT_CTL_CONTROL_TOPIC,
                     mosquitto_strerror(rc));
            finish(r, rc == MOSQ_ERR_NOMEM ? PT_CTL_MQTT_NOMEM : PT_CTL_MQTT_LOST);
            return;
        }
        r->state = ST_WAITING;
        return;
    case ST_WAITING:
        if (r->reply != NULL) {
            finish(r, PT_CTL_MQTT_OK);
        } else if (r->reply_bad) {
            snprintf(r->err, r->errlen, "the answer on %s is not {\"responses\":[...]}",
                     PT_CTL_RESPONSE_TOPIC);
            finish(r, PT_CTL_MQTT_BAD_REPLY);
        } else if (r->puback_seen && r->puback_rc >= 0x80) {
            snprintf(r->err, r->errlen, "the broker refused the publish to %s: %s",
                     PT_CTL_CONTROL_TOPIC, mosquitto_reason_string(r->puback_rc));
            finish(r, PT_CTL_MQTT_PUB_DENIED);
        }
        return;
    case ST_DONE:
        return;
    }
}

#define TLS_HINT                                                                                   \
    "TLS failed (is the broker's certificate signed by the --cafile CA, and issued for the host "  \
    "name given with -h?)"

static const char *connect_error(int rc, int err_no)
{
    if (rc == MOSQ_ERR_ERRNO) {
        return strerror(err_no);
    }
    if (rc == MOSQ_ERR_TLS) {
        return TLS_HINT;
    }
    if (rc == MOSQ_ERR_EAI) {
        return "cannot resolve the host name";
    }
    return mosquitto_strerror(rc);
}

/* Connects and runs the exchange; the caller owns and destroys mosq. */
static void run_exchange(struct run *r, struct mosquitto *mosq)
{
    const struct pt_ctl_mqtt_opts *o = r->opts;
    double deadline = now_s() + o->timeout_s;
    int rc = mosquitto_connect_bind_v5(mosq, o->host, o->port, KEEPALIVE_S, NULL, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        snprintf(r->err, r->errlen, "cannot connect to %s:%d: %s", o->host, o->port,
                 connect_error(rc, errno));
        finish(r, rc == MOSQ_ERR_NOMEM ? PT_CTL_MQTT_NOMEM : PT_CTL_MQTT_CONNECT);
        return;
    }
    while (r->state != ST_DONE) {
        double left = deadline - now_s();
        if (left <= 0) {
            snprintf(r->err, r->errlen,
                     "no answer from %s:%d within %g s (is parley_plugin.so loaded there?)",
                     o->host, o->port, o->timeout_s);
            finish(r, PT_CTL_MQTT_TIMEOUT);
            break;
        }
        int slice = left * 1000 < LOOP_SLICE_MS ? (int)(left * 1000) + 1 : LOOP_SLICE_MS;
        rc = mosquitto_loop(mosq, slice, 1);
        int loop_errno = errno;
        step(r, mosq);
        if (rc != MOSQ_ERR_SUCCESS && r->state != ST_DONE) {
            /* A TLS failure shows up here, on the first read after the TCP connect. */
            snprintf(r->err, r->errlen, "connection to %s:%d %s: %s", o->host, o->port,
                     r->state == ST_CONNECTING ? "closed before the login was answered"
                                               : "lost before the answer",
                     connect_error(rc, loop_errno));
            finish(r, r->state == ST_CONNECTING ? PT_CTL_MQTT_CONNECT : PT_CTL_MQTT_LOST);
            return;
        }
    }
    /* Leave cleanly whenever the session is still up (answered, timed out, refused topic), so
     * the broker logs a DISCONNECT rather than a dropped socket. Written at once: we are not
     * inside a callback. */
    if (r->status != PT_CTL_MQTT_LOST && r->status != PT_CTL_MQTT_CONNECT && r->connack_seen &&
        r->connack_rc == 0) {
        mosquitto_disconnect_v5(mosq, MQTT_RC_NORMAL_DISCONNECTION, NULL);
    }
}

enum pt_ctl_mqtt_status pt_ctl_mqtt_roundtrip(const struct pt_ctl_mqtt_opts *opts,
                                              const char *batch, cJSON **reply, char *err,
                                              size_t errlen)
{
    struct run r = {
        .opts = opts, .batch = batch, .state = ST_CONNECTING, .err = err, .errlen = errlen};
    *reply = NULL;
    err[0] = '\0';
    mosquitto_lib_init();
    struct mosquitto *mosq = mosquitto_new(NULL, true, &r);
    if (mosq == NULL) {
        snprintf(err, errlen, "cannot create the MQTT client: %s", strerror(errno));
        mosquitto_lib_cleanup();
        return PT_CTL_MQTT_NOMEM;
    }
    mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(mosq, on_connect);
    mosquitto_subscribe_v5_callback_set(mosq, on_subscribe);
    mosquitto_publish_v5_callback_set(mosq, on_publish);
    mosquitto_message_v5_callback_set(mosq, on_message);
    int rc = mosquitto_username_pw_set(mosq, opts->user, opts->password);
    if (rc != MOSQ_ERR_SUCCESS) {
        snprintf(err, errlen, "cannot set the login: %s", mosquitto_strerror(rc));
        finish(&r, PT_CTL_MQTT_NOMEM);
        goto out;
    }
    if (opts->cafile != NULL) {
        rc = mosquitto_tls_set(mosq, opts->cafile, NULL, NULL, NULL, NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
            snprintf(err, errlen, "--cafile %s: %s", opts->cafile,
                     rc == MOSQ_ERR_INVAL ? "cannot read it" : mosquitto_strerror(rc));
            finish(&r, PT_CTL_MQTT_TLS);
            goto out;
        }
    }
    run_exchange(&r, mosq);
out:
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();
    if (r.status == PT_CTL_MQTT_OK) {
        *reply = r.reply;
    } else {
        cJSON_Delete(r.reply);
    }
    return r.status;
}
