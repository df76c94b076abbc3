/* The bridge's MQTT 5 session with the broker: libmosquitto driven from the uv loop.
 *
 * Persistent session, QoS 1 subscriptions with no-local to rooms/+/msg/+, rooms/+/typing/+ and
 * rooms/+/presence/+, reconnect with backoff. Posts for browser users go out on their behalf
 * and their PUBACK decides the answer; control commands travel on $CONTROL/parley/v1.
 */
#ifndef PB_MQTT_H
#define PB_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct pb_bridge;

enum pb_post_status { PB_POST_OK = 0, PB_POST_REFUSED, PB_POST_UNAVAILABLE };

/* status PB_POST_OK: the plugin accepted it and it is persisted or spooled (id "" if spooled). */
typedef void (*pb_post_cb)(struct pb_bridge *b, uint64_t token, enum pb_post_status status,
                           const char *id);
/* response: one element of "responses", borrowed; NULL when the broker is away or 5 s passed. */
typedef void (*pb_control_cb)(struct pb_bridge *b, uint64_t token, const cJSON *response);

/* Creates the session and starts connecting. 0, or -1 (logged). */
int pb_mqtt_start(struct pb_bridge *b);
/* Disconnects and frees; pending callbacks are called with UNAVAILABLE / NULL. */
void pb_mqtt_stop(struct pb_bridge *b);
bool pb_mqtt_up(const struct pb_bridge *b);

/* QoS 1 publish of body to rooms/{room}/msg/{user}; cb is called exactly once (also when this
 * returns -1: then synchronously with PB_POST_UNAVAILABLE). */
int pb_mqtt_post(struct pb_bridge *b, const char *room, const char *user, const char *body,
                 size_t len, pb_post_cb cb, uint64_t token);
/* QoS 0 publish to rooms/{room}/typing/{user}. */
int pb_mqtt_typing(struct pb_bridge *b, const char *room, const char *user);
/* Republishes a message that came from another node into our broker (QoS 1, no answer). */
int pb_mqtt_republish(struct pb_bridge *b, const char *room, const char *user, const char *body,
                      size_t len);
/* Sends {"commands":[command]}; takes command. cb exactly once. */
int pb_control_call(struct pb_bridge *b, cJSON *command, pb_control_cb cb, uint64_t token);
/* A new checkAccess command (for pb_control_call) about user in room, access "read"/"write". */
cJSON *pb_control_check_access(const char *user, const char *room, const char *access);

#endif
