/* parley-device: command line options and exit codes. */
#ifndef PD_CLI_H
#define PD_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Exit codes (also in --help and docs/parley-device.md). */
enum pd_cli_exit {
    PD_EXIT_OK = 0,      /* stdin ended or --count done, every QoS 1 message acknowledged */
    PD_EXIT_USAGE = 1,   /* bad option or argument */
    PD_EXIT_REFUSED = 2, /* the broker refused the CONNECT (bad credentials, not authorized) */
    PD_EXIT_NETWORK = 3, /* could not connect, or the link died and reconnecting is off */
    PD_EXIT_JOIN = 4,    /* the broker refused to subscribe us to the room */
    PD_EXIT_TLS = 5,     /* TLS setup, handshake or certificate verification failed */
    PD_EXIT_INTERNAL = 6 /* an unexpected library error */
};

struct pd_cli_opts {
    const char *host;
    uint16_t port;
    const char *user;
    const char *password; /* -P or --token (sent in the CONNECT password field) */
    bool is_token;
    const char *room;
    uint8_t qos;
    bool tls;
    const char *cafile;
    const char *tls_name; /* name checked in the server certificate; default: host */
    const char *client_id;
    bool clean; /* clean session; default: persistent when --id is given */
    uint16_t keepalive_s;
    long count; /* 0 = read stdin */
    long interval_ms;
    bool reconnect;
    bool verbose;
};

/* Parses argv into o. Returns -1 when the program should go on, otherwise the exit code
 * (0 after --help, PD_EXIT_USAGE after an error already printed on stderr). */
int pd_cli_parse(int argc, char **argv, struct pd_cli_opts *o);

#endif
