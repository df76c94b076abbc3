/* The bridge's MQTT 5 session: libmosquitto without its threads, its socket on a uv_poll, its
 * housekeeping (keepalive) on a 1 s uv_timer. */
#include "pb_mqtt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "pb_bridge.h"
#include "pb_log.h"
#include "pb_room.h"
#include "pb_store.h"
#include "pc_name.h"

#define CONTROL_TOPIC "$CONTROL/parley/v1"
#define CONTROL_RESPONSE "$CONTROL/parley/v1/response"
#define CONTROL_TIMEOUT_MS 5000
#define POST_TIMEOUT_MS 10000
#define RETRY_MIN_MS 500
#define RETRY_MAX_MS 30000
#define SESSION_EXPIRY_S 86400

/* A browser user's post waiting for its PUBACK. cb NULL: its sender was already answered
 * (timeout or lost connection); a late PUBACK still persists and delivers it. */
struct post {
    pb_post_cb cb;
    uint64_t token;
    int64_t sent_ms;
    char room[65];
    char user[65];
    size_t len;
    char body[];
};

struct ctl {
    struct ctl *next;
    unsigned long serial;
    pb_control_cb cb;
    uint64_t token;
    int64_t deadline_ms;
};

struct pb_mqtt {
    struct mosquitto *mosq;
    struct pb_bridge *b;
    uv_poll_t *poll; /* NULL when not connected */
    uv_timer_t tick;
    uv_timer_t retry;
    unsigned retry_ms;
    bool up;             /* CONNACK accepted */
    struct post **posts; /* by message id, 65536 slots */
    struct ctl *ctls;
    unsigned long ctl_serial;
    int closing;
};

static void poll_update(struct pb_mqtt *q);

/* ---- the socket on the loop ---- */

static void free_poll(uv_handle_t *h) { free(h); }

static void poll_close(struct pb_mqtt *q)
{
    if (q->poll != NULL) {
        uv_poll_stop(q->poll);
        uv_close((uv_handle_t *)q->poll, free_poll);
        q->poll = NULL;
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct pb_mqtt *q = h->data;
    if (status < 0 || (events & UV_READABLE)) {
        mosquitto_loop_read(q->mosq, 1); /* errors reach on_disconnect */
    }
    if (q->poll != NULL && (events & UV_WRITABLE)) {
        mosquitto_loop_write(q->mosq, 1);
    }
    poll_update(q);
}

static void poll_update(struct pb_mqtt *q)
{
    if (q->poll == NULL) {
        return;
    }
    int ev = UV_READABLE | (mosquitto_want_write(q->mosq) ? UV_WRITABLE : 0);
    uv_poll_start(q->poll, ev, on_poll);
}

static void on_retry(uv_timer_t *t);

static void schedule_retry(struct pb_mqtt *q)
{
    if (q->b->closing || uv_is_active((uv_handle_t *)&q->retry)) {
        return;
    }
    uv_timer_start(&q->retry, on_retry, q->retry_ms, 0);
    q->retry_ms = q->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : q->retry_ms * 2;
}

static void try_connect(struct pb_mqtt *q)
{
    struct pb_bridge *b = q->b;
    mosquitto_property *props = NULL;
    mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, SESSION_EXPIRY_S);
    /* A blocking TCP connect: immediate on loopback and on a LAN; the CONNECT and everything
     * after it are non-blocking. */
    int rc = mosquitto_connect_bind_v5(q->mosq, b->conf.mqtt_host, (int)b->conf.mqtt_port,
                                       (int)b->conf.mqtt_keepalive, NULL, props);
    mosquitto_property_free_all(&props);
    if (rc != MOSQ_ERR_SUCCESS) {
        pb_log(PB_LOG_WARNING, "mqtt %s:%u: cannot connect: %s (retrying in %u ms)",
               b->conf.mqtt_host, b->conf.mqtt_port,
               rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc), q->retry_ms);
        schedule_retry(q);
        return;
    }
    q->poll = malloc(sizeof *q->poll);
    if (q->poll == NULL || uv_poll_init_socket(b->loop, q->poll, mosquitto_socket(q->mosq)) != 0) {
        free(q->poll);
        q->poll = NULL;
        mosquitto_disconnect(q->mosq);
        schedule_retry(q);
        return;
    }
    q->poll->data = q;
    poll_update(q);
}

static void on_retry(uv_timer_t *t) { try_connect(t->data); }

/* ---- pending posts and control calls ---- */

static void answer_post(struct pb_mqtt *q, struct post *p, enum pb_post_status st, const char *id)
{
    if (p->cb != NULL) {
        pb_post_cb cb = p->cb;
        p->cb = NULL;
        cb(q->b, p->token, st, id);
    }
}

static void on_stored(struct pb_bridge *b, uint64_t token, const char *id)
{
    struct post *p = (struct post *)(uintptr_t)token;
    answer_post(b->mqtt, p, PB_POST_OK, id);
    free(p);
}

static void expire(struct pb_mqtt *q, bool all)
{
    int64_t now = pb_now_ms();
    for (struct ctl **pp = &q->ctls; *pp != NULL;) {
        struct ctl *c = *pp;
        if (all || now >= c->deadline_ms) {
            *pp = c->next;
            c->cb(q->b, c->token, NULL);
            free(c);
        } else {
            pp = &c->next;
        }
    }
    for (unsigned mid = 0; mid < 65536; mid++) {
        struct post *p = q->posts[mid];
        if (p != NULL && p->cb != NULL && (all || now - p->sent_ms >= POST_TIMEOUT_MS)) {
            answer_post(q, p, PB_POST_UNAVAILABLE, "");
        }
    }
}

static void on_tick(uv_timer_t *t)
{
    struct pb_mqtt *q = t->data;
    if (q->poll != NULL) {
        mosquitto_loop_misc(q->mosq);
        poll_update(q);
    }
    expire(q, false);
}

/* ---- libmosquitto callbacks ---- */

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    (void)props;
    struct pb_mqtt *q = obj;
    struct pb_bridge *b = q->b;
    if (rc != 0) {
        pb_log(PB_LOG_ERROR, "mqtt: the broker refused the bridge account %s: %s",
               b->conf.mqtt_user, mosquitto_reason_string(rc));
        return; /* the broker closes; on_disconnect retries */
    }
    q->up = true;
    q->retry_ms = RETRY_MIN_MS;
    b->metrics.mqtt_connected = 1;
    pb_log(PB_LOG_INFO, "mqtt %s:%u: connected as %s (session %s)", b->conf.mqtt_host,
           b->conf.mqtt_port, b->conf.mqtt_user, (flags & 1) ? "resumed" : "new");
    char *subs[] = {"rooms/+/msg/+", "rooms/+/typing/+", "rooms/+/presence/+"};
    mosquitto_subscribe_multiple(m, NULL, 3, subs, 1, MQTT_SUB_OPT_NO_LOCAL, NULL);
    mosquitto_subscribe_v5(m, NULL, CONTROL_RESPONSE, 0, 0, NULL);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *props)
{
    (void)m;
    (void)props;
    struct pb_mqtt *q = obj;
    bool was_up = q->up;
    q->up = false;
    q->b->metrics.mqtt_connected = 0;
    poll_close(q);
    if (q->b->closing) {
        return;
    }
    if (was_up) {
        pb_log(PB_LOG_WARNING, "mqtt: connection lost (%s); reconnecting",
               mosquitto_reason_string(rc));
    }
    expire(q, true); /* nothing can answer them now */
    schedule_retry(q);
}

static void on_publish(struct mosquitto *m, void *obj, int mid, int reason,
                       const mosquitto_property *props)
{
    (void)m;
    (void)props;
    struct pb_mqtt *q = obj;
    if (mid < 0 || mid > 65535 || q->posts[mid] == NULL) {
        return; /* a republish or a typing notice */
    }
    struct post *p = q->posts[mid];
    q->posts[mid] = NULL;
    if (reason >= 0x80) {
        q->b->metrics.mqtt_refused++;
        answer_post(q, p, PB_POST_REFUSED, "");
        free(p);
        return;
    }
    struct pb_msg msg = {p->room, p->user, p->body, p->len, pb_now_ms(), ""};
    pb_store_append(q->b, &msg, on_stored, (uint64_t)(uintptr_t)p);
}

static void on_control_response(struct pb_mqtt *q, const char *payload, int len)
{
    cJSON *root = cJSON_ParseWithLength(payload, (size_t)len);
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(root, "responses");
    const cJSON *r;
    cJSON_ArrayForEach(r, resp)
    {
        const cJSON *cd = cJSON_GetObjectItemCaseSensitive(r, "correlationData");
        if (!cJSON_IsString(cd) || strncmp(cd->valuestring, "pb-", 3) != 0) {
            continue;
        }
        unsigned long serial = strtoul(cd->valuestring + 3, NULL, 10);
        for (struct ctl **pp = &q->ctls; *pp != NULL; pp = &(*pp)->next) {
            if ((*pp)->serial == serial) {
                struct ctl *c = *pp;
                *pp = c->next;
                c->cb(q->b, c->token, r);
                free(c);
                break;
            }
        }
    }
    cJSON_Delete(root);
}

/* Splits rooms/{room}/{kind}/{user}; false unless both names are valid. */
static bool split_topic(const char *topic, char room[65], char kind[16], char user[65])
{
    if (strncmp(topic, "rooms/", 6) != 0) {
        return false;
    }
    const char *r = topic + 6, *s1 = strchr(r, '/');
    const char *s2 = s1 == NULL ? NULL : strchr(s1 + 1, '/');
    if (s2 == NULL || strchr(s2 + 1, '/') != NULL || s1 - r > 64 || s2 - s1 - 1 >= 16 ||
        !pc_name_valid(r, (size_t)(s1 - r)) || !pc_name_valid_str(s2 + 1)) {
        return false;
    }
    snprintf(room, 65, "%.*s", (int)(s1 - r), r);
    snprintf(kind, 16, "%.*s", (int)(s2 - s1 - 1), s1 + 1);
    snprintf(user, 65, "%s", s2 + 1);
    return true;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    (void)m;
    (void)props;
    struct pb_mqtt *q = obj;
    struct pb_bridge *b = q->b;
    if (strcmp(msg->topic, CONTROL_RESPONSE) == 0) {
        on_control_response(q, msg->payload, msg->payloadlen);
        return;
    }
    char room[65], kind[16], user[65];
    if (!split_topic(msg->topic, room, kind, user)) {
        pb_log(PB_LOG_DEBUG, "mqtt: ignored topic %s", msg->topic);
        return;
    }
    if (strcmp(kind, "msg") == 0) {
        b->metrics.mqtt_in++;
        struct pb_msg pm = {room, user, msg->payload, (size_t)msg->payloadlen, pb_now_ms(), ""};
        pb_store_append(b, &pm, NULL, 0);
    } else if (strcmp(kind, "typing") == 0) {
        pb_room_typing(b, room, user);
        pb_store_typing(b, room, user);
    } else if (strcmp(kind, "presence") == 0 && strcmp(user, b->conf.mqtt_user) != 0) {
        pb_store_presence(b, room, user, "mqtt", msg->payloadlen > 0);
    }
}

/* ---- the API ---- */

int pb_mqtt_start(struct pb_bridge *b)
{
    struct pb_mqtt *q = calloc(1, sizeof *q);
    if (q == NULL) {
        return -1;
    }
    q->posts = calloc(65536, sizeof *q->posts);
    q->mosq = mosquitto_new(b->conf.mqtt_client_id, false, q);
    if (q->posts == NULL || q->mosq == NULL) {
        pb_log(PB_LOG_ERROR, "mqtt: cannot create the session (out of memory)");
        free(q->posts);
        mosquitto_destroy(q->mosq);
        free(q);
        return -1;
    }
    q->b = b;
    q->retry_ms = RETRY_MIN_MS;
    mosquitto_int_option(q->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_username_pw_set(q->mosq, b->conf.mqtt_user,
                              b->conf.mqtt_password[0] ? b->conf.mqtt_password : NULL);
    mosquitto_connect_v5_callback_set(q->mosq, on_connect);
    mosquitto_disconnect_v5_callback_set(q->mosq, on_disconnect);
    mosquitto_publish_v5_callback_set(q->mosq, on_publish);
    mosquitto_message_v5_callback_set(q->mosq, on_message);
    uv_timer_init(b->loop, &q->tick);
    uv_timer_init(b->loop, &q->retry);
    q->tick.data = q->retry.data = q;
    uv_timer_start(&q->tick, on_tick, 1000, 1000);
    b->mqtt = q;
    try_connect(q);
    return 0;
}

static void free_mqtt(uv_handle_t *h)
{
    struct pb_mqtt *q = h->data;
    if (--q->closing == 0) {
        free(q);
    }
}

void pb_mqtt_stop(struct pb_bridge *b)
{
    struct pb_mqtt *q = b->mqtt;
    if (q == NULL) {
        return;
    }
    expire(q, true);
    if (q->poll != NULL) {
        mosquitto_disconnect(q->mosq);
        poll_close(q);
    }
    for (unsigned mid = 0; mid < 65536; mid++) {
        free(q->posts[mid]);
    }
    free(q->posts);
    mosquitto_destroy(q->mosq);
    uv_timer_stop(&q->tick);
    uv_timer_stop(&q->retry);
    q->closing = 2; /* the two timers live in q: freed when both are closed */
    uv_close((uv_handle_t *)&q->tick, free_mqtt);
    uv_close((uv_handle_t *)&q->retry, free_mqtt);
    b->mqtt = NULL;
}

bool pb_mqtt_up(const struct pb_bridge *b) { return b->mqtt != NULL && b->mqtt->up; }

static int publish(struct pb_mqtt *q, int *mid, const char *topic, const void *body, size_t len,
                   int qos)
{
    int rc = mosquitto_publish_v5(q->mosq, mid, topic, (int)len, body, qos, false, NULL);
    poll_update(q);
    return rc;
}

int pb_mqtt_post(struct pb_bridge *b, const char *room, const char *user, const char *body,
                 size_t len, pb_post_cb cb, uint64_t token)
{
    struct pb_mqtt *q = b->mqtt;
    struct post *p = q->up ? malloc(sizeof *p + len + 1) : NULL;
    if (p == NULL) {
        cb(b, token, PB_POST_UNAVAILABLE, "");
        return -1;
    }
    p->cb = cb;
    p->token = token;
    p->sent_ms = pb_now_ms();
    snprintf(p->room, sizeof p->room, "%s", room);
    snprintf(p->user, sizeof p->user, "%s", user);
    p->len = len;
    memcpy(p->body, body, len);
    p->body[len] = '\0';
    char topic[160];
    snprintf(topic, sizeof topic, "rooms/%s/msg/%s", room, user);
    int mid = 0;
    if (publish(q, &mid, topic, body, len, 1) != MOSQ_ERR_SUCCESS || mid < 0 || mid > 65535) {
        free(p);
        cb(b, token, PB_POST_UNAVAILABLE, "");
        return -1;
    }
    free(q->posts[mid]); /* a record left by a PUBACK that never came: its mid is reused */
    q->posts[mid] = p;
    b->metrics.mqtt_out++;
    return 0;
}

int pb_mqtt_typing(struct pb_bridge *b, const char *room, const char *user)
{
    char topic[160];
    snprintf(topic, sizeof topic, "rooms/%s/typing/%s", room, user);
    return b->mqtt->up && publish(b->mqtt, NULL, topic, "", 0, 0) == MOSQ_ERR_SUCCESS ? 0 : -1;
}

int pb_mqtt_republish(struct pb_bridge *b, const char *room, const char *user, const char *body,
                      size_t len)
{
    char topic[160];
    snprintf(topic, sizeof topic, "rooms/%s/msg/%s", room, user);
    if (!b->mqtt->up || publish(b->mqtt, NULL, topic, body, len, 1) != MOSQ_ERR_SUCCESS) {
        pb_log(PB_LOG_WARNING,
               "mqtt: a message from another node to room %s not republished "
               "(broker away)",
               room);
        return -1;
    }
    b->metrics.mqtt_out++;
    return 0;
}

int pb_control_call(struct pb_bridge *b, cJSON *command, pb_control_cb cb, uint64_t token)
{
    struct pb_mqtt *q = b->mqtt;
    struct ctl *c = q->up ? calloc(1, sizeof *c) : NULL;
    char *text = NULL;
    if (c != NULL) {
        char cd[32];
        c->serial = ++q->ctl_serial;
        snprintf(cd, sizeof cd, "pb-%lu", c->serial);
        cJSON_AddStringToObject(command, "correlationData", cd);
        cJSON *root = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(root, "commands");
        cJSON_AddItemToArray(arr, command);
        command = NULL;
        text = cJSON_PrintUnformatted(root);
        cJSON_Delete(root);
    }
    cJSON_Delete(command);
    if (text == NULL ||
        publish(q, NULL, CONTROL_TOPIC, text, strlen(text), 1) != MOSQ_ERR_SUCCESS) {
        free(text);
        free(c);
        cb(b, token, NULL);
        return -1;
    }
    free(text);
    c->cb = cb;
    c->token = token;
    c->deadline_ms = pb_now_ms() + CONTROL_TIMEOUT_MS;
    c->next = q->ctls;
    q->ctls = c;
    return 0;
}

cJSON *pb_control_check_access(const char *user, const char *room, const char *access)
{
    cJSON *cmd = cJSON_CreateObject();
    cJSON_AddStringToObject(cmd, "command", "checkAccess");
    cJSON_AddStringToObject(cmd, "username", user);
    cJSON_AddStringToObject(cmd, "room", room);
    cJSON_AddStringToObject(cmd, "access", access);
    return cmd;
}
