/* parley-device: option parsing and --help. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_cli.h"
#include "pd_client.h"

static const char usage_text[] =
    "usage: parley-device -h HOST [-p PORT] -u USER (-P PASSWORD | --token JWT) -r ROOM\n"
    "                     [--qos 0|1] [--tls --cafile FILE [--tls-name NAME]] [--id CLIENTID]\n"
    "                     [--clean] [--keepalive SECONDS] [--count N [--interval MS]]\n"
    "                     [--no-reconnect] [-v]\n"
    "\n"
    "Joins ROOM on a Parley (or plain Mosquitto) broker with libparley_device and:\n"
    "  prints each room message on stdout as   msg ROOM FROM BODY\n"
    "  and each presence change as             presence ROOM USER online|offline\n"
    "  (BODY: bytes below 0x20, 0x7f and '\\' are escaped as \\n \\r \\t \\\\ \\xHH);\n"
    "  sends each stdin line (without its newline, a trailing \\r removed) as a message;\n"
    "  empty lines are skipped; a line above 512 bytes is refused on stderr, not sent,\n"
    "  and the program goes on with the next line. At end of stdin it waits until every\n"
    "  QoS 1 message is acknowledged, disconnects and exits.\n"
    "  With --count N it ignores stdin and sends N sensor readings, one every MS ms\n"
    "  (default 1000), as {\"seq\":I,\"n\":N,\"ms\":T}, then exits the same way.\n"
    "Status and errors go to stderr, one line each, prefixed 'parley-device: '.\n"
    "\n"
    "  -h, --host HOST      broker name or IPv4/IPv6 address\n"
    "  -p, --port PORT      default 1883, or 8883 with --tls\n"
    "  -u, --user USER      username; also the sender name in the room ([A-Za-z0-9_.-]{1,64})\n"
    "  -P, --password PASS  password\n"
    "      --token JWT      a token the broker accepts (sent as the password)\n"
    "  -r, --room ROOM      room to join ([A-Za-z0-9_.-]{1,64})\n"
    "  -q, --qos 0|1        QoS of messages sent and of the room subscription (default 0)\n"
    "      --tls            connect with TLS (1.2+); the server certificate must chain to\n"
    "      --cafile FILE    this PEM CA file (required with --tls) and match the host name\n"
    "      --tls-name NAME  name to check in the server certificate instead of HOST\n"
    "  -i, --id CLIENTID    client id; with it the session is persistent (QoS 1 messages\n"
    "                       queued by the broker while away are delivered after reconnect)\n"
    "      --clean          clean session even with --id\n"
    "  -k, --keepalive S    MQTT keepalive in seconds (default 30; 0 = off). The link is\n"
    "                       declared dead when no PINGRESP comes keepalive/2 after a PINGREQ\n"
    "                       (sent after 3/4 keepalive of silence): within 1.25 x keepalive\n"
    "  -n, --count N        send N readings instead of reading stdin\n"
    "      --interval MS    time between readings (default 1000)\n"
    "      --no-reconnect   exit (code 3) when the link dies instead of reconnecting\n"
    "  -v, --verbose        more status lines on stderr (acknowledgements)\n"
    "      --help           this text\n"
    "\n"
    "After a lost link it reconnects with exponential backoff and jitter (1 s doubling to\n"
    "60 s), resends unacknowledged QoS 1 messages and joins the room again unless the\n"
    "broker kept the session. The first connection is not retried.\n"
    "\n"
    "Exit codes:\n"
    "  0  done: stdin ended or --count readings sent, all acknowledged; or SIGINT/SIGTERM\n"
    "  1  usage error (bad option, invalid user or room name)\n"
    "  2  the broker refused the connection (bad username, password or token; not authorized)\n"
    "  3  network: cannot resolve or connect, or the link died (with --no-reconnect)\n"
    "  4  the broker refused the room subscription (SUBACK failure)\n"
    "  5  TLS: CA file unreadable, handshake failed, certificate not trusted\n"
    "  6  internal error\n";

static int fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "parley-device: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'parley-device --help'.\n");
    return PD_EXIT_USAGE;
}

static bool to_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        return false;
    }
    *out = v;
    return true;
}

static bool is(const char *a, const char *shrt, const char *lng)
{
    return (shrt && !strcmp(a, shrt)) || !strcmp(a, lng);
}

int pd_cli_parse(int argc, char **argv, struct pd_cli_opts *o)
{
    long port = -1;
    bool have_interval = false;
    memset(o, 0, sizeof *o);
    o->keepalive_s = 30;
    o->interval_ms = 1000;
    o->reconnect = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (!strcmp(a, "--help")) {
            fputs(usage_text, stdout);
            return PD_EXIT_OK;
        }
        if (is(a, NULL, "--tls")) {
            o->tls = true;
            continue;
        }
        if (is(a, NULL, "--clean")) {
            o->clean = true;
            continue;
        }
        if (is(a, NULL, "--no-reconnect")) {
            o->reconnect = false;
            continue;
        }
        if (is(a, "-v", "--verbose")) {
            o->verbose = true;
            continue;
        }
        /* every other option takes a value */
        if (!v) {
            return fail(a[0] == '-' ? "option %s needs a value" : "unexpected argument %s", a);
        }
        i++;
        if (is(a, "-h", "--host")) {
            o->host = v;
        } else if (is(a, "-p", "--port")) {
            if (!to_long(v, 1, 65535, &port)) {
                return fail("bad port %s (1..65535)", v);
            }
        } else if (is(a, "-u", "--user")) {
            o->user = v;
        } else if (is(a, "-P", "--password")) {
            o->password = v;
            o->is_token = false;
        } else if (is(a, NULL, "--token")) {
            o->password = v;
            o->is_token = true;
        } else if (is(a, "-r", "--room")) {
            o->room = v;
        } else if (is(a, "-q", "--qos")) {
            if (!to_long(v, 0, 1, &n)) {
                return fail("bad QoS %s (0 or 1)", v);
            }
            o->qos = (uint8_t)n;
        } else if (is(a, NULL, "--cafile")) {
            o->cafile = v;
        } else if (is(a, NULL, "--tls-name")) {
            o->tls_name = v;
        } else if (is(a, "-i", "--id")) {
            if (!*v || strlen(v) > 65535) {
                return fail("bad client id '%s'", v);
            }
            o->client_id = v;
        } else if (is(a, "-k", "--keepalive")) {
            if (!to_long(v, 0, 65535, &n)) {
                return fail("bad keepalive %s (0..65535 seconds)", v);
            }
            o->keepalive_s = (uint16_t)n;
        } else if (is(a, "-n", "--count")) {
            if (!to_long(v, 1, 1000000000L, &o->count)) {
                return fail("bad count %s (1..1000000000)", v);
            }
        } else if (is(a, NULL, "--interval")) {
            if (!to_long(v, 0, 86400000L, &o->interval_ms)) {
                return fail("bad interval %s (0..86400000 ms)", v);
            }
            have_interval = true;
        } else {
            return fail("unknown option %s", a);
        }
    }
    if (!o->host) {
        return fail("%s", "-h HOST is required");
    }
    if (!o->user || !pd_name_valid(o->user)) {
        return fail("-u USER is required and must match [A-Za-z0-9_.-]{1,64} (got '%s')",
                    o->user ? o->user : "");
    }
    if (!o->password) {
        return fail("%s", "-P PASSWORD or --token JWT is required");
    }
    if (!o->room || !pd_name_valid(o->room)) {
        return fail("-r ROOM is required and must match [A-Za-z0-9_.-]{1,64} (got '%s')",
                    o->room ? o->room : "");
    }
    if (o->tls && !o->cafile) {
        return fail("%s", "--tls needs --cafile FILE");
    }
    if (!o->tls && (o->cafile || o->tls_name)) {
        return fail("%s", "--cafile and --tls-name need --tls");
    }
    if (have_interval && !o->count) {
        return fail("%s", "--interval needs --count");
    }
    o->port = (uint16_t)(port > 0 ? port : (o->tls ? 8883 : 1883));
    return -1;
}
