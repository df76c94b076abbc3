/* parleyctl: admin CLI over the Parley plugin's control API. Options, dispatch, exit status.
 * Run `parleyctl --help`; docs/parleyctl.md has the details.
 */
#define _GNU_SOURCE /* getopt_long */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "pc_name.h"
#include "pt_ctl.h"
#include "pt_ctl_cmds.h"
#include "pt_ctl_mqtt.h"
#include "pt_ctl_token.h"

#define DEFAULT_TIMEOUT_S 5.0
#define MAX_TIMEOUT_S 3600.0
#define DEFAULT_TTL_S 3600L
#define MAX_TTL_S (10L * 366 * 24 * 3600)
#define MAX_TOKEN_FILE 4096 /* the plugin's PP_JWT_MAX_TOKEN */

static const char usage_head[] =
    "usage: parleyctl [options] COMMAND ...\n"
    "Administer Parley's users and rooms through the plugin's control API\n"
    "(" PT_CTL_CONTROL_TOPIC "). One command per run.\n"
    "\n"
    "Options, before COMMAND:\n"
    "  -h, --host H         broker address (127.0.0.1)\n"
    "  -p, --port P         broker port (1883; 8883 with --cafile)\n"
    "  -u, --user U         log in as U (default: $PARLEY_USER)\n"
    "  -P, --password PW    password (default: $PARLEY_PASSWORD)\n"
    "      --token-file F   log in with the token in file F as the password (see token mint)\n"
    "      --cafile F       use TLS and verify the broker against the CA certificate in F\n"
    "      --timeout S      seconds to wait for the answer (5)\n"
    "      --json           print the answer's data as one line of JSON\n"
    "      --help           this text; `parleyctl GROUP --help` for one group\n";

static const char usage_token[] =
    "  token mint --secret-file F --user U [--ttl S]\n"
    "  token mint --key-file PEM --alg RS256|ES256 --user U [--ttl S]\n"
    "        sign a login token offline and print it (no broker involved)\n";

static const char usage_tail[] =
    "\n"
    "Names (users, rooms) are [A-Za-z0-9_.-]{1,64}; a bad one fails before connecting.\n"
    "A name that starts with '-' goes after \"--\": parleyctl room show -- -x\n"
    "Exit status:\n"
    "  0  done (access: allowed)\n"
    "  1  refused: the API answered with an error (printed on stderr), or access is denied\n"
    "  2  bad usage, bad name, unreadable file: nothing was sent\n"
    "  3  no answer: cannot connect, login refused, refused subscription or publish, or no\n"
    "     answer within the timeout\n";

static const char usage_token_full[] =
    "usage: parleyctl token mint --secret-file F --user U [--ttl S]\n"
    "       parleyctl token mint --key-file PEM --alg RS256|ES256 --user U [--ttl S]\n"
    "Sign a login token (JWT) offline and print it. Claims: sub = U, iat = now,\n"
    "exp = now + S seconds (default 3600). HS256 with the broker's shared secret\n"
    "(plugin_opt_jwt_secret_file; one trailing newline ignored, at least 32 bytes), or\n"
    "RS256/ES256 with the PEM private key whose public half the broker holds\n"
    "(plugin_opt_jwt_public_key_file). A negative S makes a token that has already\n"
    "expired (the broker allows 30 s of leeway); 0 is refused.\n"
    "Use the token as the MQTT password for user U (parleyctl -u U --token-file F ...).\n"
    "Exit status: 0 printed; 2 bad usage or unusable key file.\n";

struct globals {
    const char *host;
    int port; /* 0: the default for the transport */
    const char *user;
    const char *password;
    const char *token_file;
    const char *cafile;
    double timeout_s;
    bool json;
};

static int usage_error(const char *what, const char *detail)
{
    fprintf(stderr, "parleyctl: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    fprintf(stderr, "Run `parleyctl --help` for usage.\n");
    return PT_CTL_EXIT_USAGE;
}

static void full_help(FILE *out)
{
    fputs(usage_head, out);
    fputs("\nCommands:\n", out);
    pt_ctl_cmds_help_group(out, NULL);
    fputs(usage_token, out);
    fputs(usage_tail, out);
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        return false;
    }
    *out = v;
    return true;
}

/* ---- token mint ---- */

static int token_main(int argc, char **argv)
{
    if (argc < 1) {
        fputs("parleyctl: missing subcommand: token\n", stderr);
        fputs(usage_token_full, stderr);
        return PT_CTL_EXIT_USAGE;
    }
    if (strcmp(argv[0], "--help") == 0) {
        fputs(usage_token_full, stdout);
        return PT_CTL_EXIT_OK;
    }
    if (strcmp(argv[0], "mint") != 0) {
        return usage_error("unknown command: token", argv[0]);
    }
    struct pt_ctl_token_req req = {.alg = PT_CTL_TOKEN_HS256, .ttl = DEFAULT_TTL_S};
    const char *secret_file = NULL;
    const char *key_file = NULL;
    const char *alg = NULL;
    const char *ttl = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0) {
            fputs(usage_token_full, stdout);
            return PT_CTL_EXIT_OK;
        }
        const char **slot = NULL;
        if (strcmp(a, "--secret-file") == 0) {
            slot = &secret_file;
        } else if (strcmp(a, "--key-file") == 0) {
            slot = &key_file;
        } else if (strcmp(a, "--alg") == 0) {
            slot = &alg;
        } else if (strcmp(a, "--user") == 0) {
            slot = &req.user;
        } else if (strcmp(a, "--ttl") == 0) {
            slot = &ttl;
        } else {
            return usage_error("token mint: unknown argument", a);
        }
        if (i + 1 >= argc) {
            return usage_error("token mint: this option needs a value", a);
        }
        *slot = argv[++i];
    }
    if (ttl != NULL && (!parse_long(ttl, -MAX_TTL_S, MAX_TTL_S, &req.ttl) || req.ttl == 0)) {
        return usage_error("token mint: --ttl must be a whole number of seconds, not 0, "
                           "within 10 years",
                           ttl);
    }
    if ((secret_file == NULL) == (key_file == NULL)) {
        return usage_error("token mint", "give exactly one of --secret-file and --key-file");
    }
    if (alg != NULL && pt_ctl_token_alg_parse(alg, &req.alg) != 0) {
        return usage_error("token mint: --alg must be HS256, RS256 or ES256", alg);
    }
    if (secret_file != NULL && req.alg != PT_CTL_TOKEN_HS256) {
        return usage_error("token mint",
                           "--secret-file signs HS256; use --key-file for RS256/ES256");
    }
    if (key_file != NULL && (alg == NULL || req.alg == PT_CTL_TOKEN_HS256)) {
        return usage_error("token mint", "--key-file needs --alg RS256 or ES256");
    }
    if (req.user == NULL) {
        return usage_error("token mint", "--user is required");
    }
    const char *why = pc_name_error(req.user);
    if (why != NULL) {
        return usage_error("token mint: bad user name", why);
    }
    req.key_file = secret_file != NULL ? secret_file : key_file;
    req.now = time(NULL);
    char err[512];
    char *token = NULL;
    if (pt_ctl_token_mint(&req, &token, err, sizeof err) != PT_CTL_TOKEN_OK) {
        fprintf(stderr, "parleyctl: token mint: %s\n", err);
        return PT_CTL_EXIT_USAGE;
    }
    printf("%s\n", token);
    free(token);
    return PT_CTL_EXIT_OK;
}

/* ---- control commands ---- */

static int parse_globals(int argc, char **argv, struct globals *g)
{
    static const struct option longopts[] = {
        {"host", required_argument, NULL, 'h'},
        {"port", required_argument, NULL, 'p'},
        {"user", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'P'},
        {"token-file", required_argument, NULL, 'T'},
        {"cafile", required_argument, NULL, 'C'},
        {"timeout", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    opterr = 0; /* our own messages */
    int c;
    long port;
    char *end;
    /* "+": stop at COMMAND, so its own options are left for it. */
    while ((c = getopt_long(argc, argv, "+:h:p:u:P:", longopts, NULL)) != -1) {
        switch (c) {
        case 'h':
            g->host = optarg;
            break;
        case 'p':
            if (!parse_long(optarg, 1, 65535, &port)) {
                return usage_error("--port must be 1-65535", optarg);
            }
            g->port = (int)port;
            break;
        case 'u':
            g->user = optarg;
            break;
        case 'P':
            g->password = optarg;
            break;
        case 'T':
            g->token_file = optarg;
            break;
        case 'C':
            g->cafile = optarg;
            break;
        case 't':
            errno = 0;
            g->timeout_s = strtod(optarg, &end);
            if (errno != 0 || end == optarg || *end != '\0' || !isfinite(g->timeout_s) ||
                g->timeout_s <= 0 || g->timeout_s > MAX_TIMEOUT_S) {
                return usage_error("--timeout must be a number of seconds above 0, at most 3600",
                                   optarg);
            }
            break;
        case 'j':
            g->json = true;
            break;
        case 'H':
            full_help(stdout);
            return -1;
        case ':':
            return usage_error("this option needs a value", argv[optind - 1]);
        default:
            return usage_error("unknown option", argv[optind - 1]);
        }
    }
    return PT_CTL_EXIT_OK;
}

/* Picks user and password (or token) from the options and the environment. *secret is set when
 * the password was read from a file and must be freed. */
static int resolve_login(struct globals *g, char **secret)
{
    *secret = NULL;
    if (g->user == NULL) {
        g->user = getenv("PARLEY_USER");
    }
    if (g->user == NULL || g->user[0] == '\0') {
        return usage_error("no user to log in as", "give -u USER or set PARLEY_USER");
    }
    const char *why = pc_name_error(g->user);
    if (why != NULL) {
        return usage_error("bad user name for -u", why);
    }
    if (g->password != NULL && g->token_file != NULL) {
        return usage_error("give -P or --token-file, not both", NULL);
    }
    if (g->token_file != NULL) {
        char err[512];
        size_t len;
        *secret = pt_ctl_token_read_file(g->token_file, MAX_TOKEN_FILE, &len, err, sizeof err);
        if (*secret == NULL) {
            return usage_error("--token-file", err);
        }
        g->password = *secret;
    }
    if (g->password == NULL) {
        g->password = getenv("PARLEY_PASSWORD");
    }
    if (g->password == NULL || g->password[0] == '\0') {
        return usage_error("no password",
                           "give -P PASSWORD, --token-file F or set PARLEY_PASSWORD");
    }
    return PT_CTL_EXIT_OK;
}

/* The batch text for one command, tagged with corr; NULL when out of memory. Caller frees. */
static char *make_batch(cJSON *command, const char *corr)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *list = root ? cJSON_AddArrayToObject(root, "commands") : NULL;
    if (list == NULL || cJSON_AddStringToObject(command, "correlationData", corr) == NULL ||
        !cJSON_AddItemReferenceToArray(list, command)) {
        cJSON_Delete(root);
        return NULL;
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root); /* the reference, not command */
    return text;
}

/* Zeroes a string holding a password before it is freed. */
static void wipe_str(char *s)
{
    if (s != NULL) {
        volatile char *p = s;
        while (*p != '\0') {
            *p++ = '\0';
        }
    }
}

/* Checks the reply belongs to our one command and prints it; returns the exit status. */
static int report(const struct pt_ctl_cmd *cmd, const cJSON *reply, const char *corr, bool json)
{
    const cJSON *responses = cJSON_GetObjectItemCaseSensitive(reply, "responses");
    const cJSON *r = cJSON_GetArrayItem(responses, 0);
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(r, "correlationData");
    bool ours = cJSON_GetArraySize(responses) == 1 && cJSON_IsString(rc) &&
                strcmp(rc->valuestring, corr) == 0;
    /* A batch refused as a whole answers with one untagged error: report it as ours. */
    bool whole_batch = cJSON_GetArraySize(responses) == 1 && rc == NULL &&
                       cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "error"));
    if (!ours && !whole_batch) {
        fprintf(stderr, "parleyctl: %s: the answer does not match the request\n",
                pt_ctl_cmds_label(cmd));
        return PT_CTL_EXIT_NOANSWER;
    }
    return pt_ctl_cmds_print(cmd, r, json, stdout, stderr);
}

static int control_main(struct globals *g, int argc, char **argv)
{
    const char *group = argv[0];
    const char *verb = argc > 1 ? argv[1] : NULL;
    if (!pt_ctl_cmds_is_group(group)) {
        return usage_error("unknown command", group);
    }
    bool uses_verb = false;
    const struct pt_ctl_cmd *cmd = pt_ctl_cmds_find(group, verb, &uses_verb);
    if (cmd == NULL) {
        if (verb != NULL && strcmp(verb, "--help") == 0) {
            printf("usage: parleyctl [options] %s VERB ...\n", group);
            pt_ctl_cmds_help_group(stdout, group);
            return PT_CTL_EXIT_OK;
        }
        fprintf(stderr, "parleyctl: %s %s\n",
                verb ? "unknown command:" : "missing subcommand:", verb ? verb : group);
        fprintf(stderr, "usage: parleyctl [options] %s VERB ...\n", group);
        pt_ctl_cmds_help_group(stderr, group);
        return PT_CTL_EXIT_USAGE;
    }
    int skip = uses_verb ? 2 : 1;
    char err[512];
    cJSON *command = NULL;
    /* A first pass without stdin: --help and bad names need no login, and a password is only
     * read from stdin once the login is known to be complete. */
    enum pt_ctl_build_status bs =
        pt_ctl_cmds_build(cmd, argc - skip, argv + skip, NULL, &command, err, sizeof err);
    cJSON_Delete(command);
    command = NULL;
    if (bs == PT_CTL_BUILD_HELP) {
        pt_ctl_cmds_help_cmd(stdout, cmd);
        return PT_CTL_EXIT_OK;
    }
    if (bs == PT_CTL_BUILD_USAGE) {
        fprintf(stderr, "parleyctl: %s: %s\n", pt_ctl_cmds_label(cmd), err);
        pt_ctl_cmds_help_cmd(stderr, cmd);
        return PT_CTL_EXIT_USAGE;
    }
    char *secret = NULL;
    int st = resolve_login(g, &secret);
    if (st != PT_CTL_EXIT_OK) {
        return st;
    }
    bs = pt_ctl_cmds_build(cmd, argc - skip, argv + skip, stdin, &command, err, sizeof err);
    if (bs != PT_CTL_BUILD_OK) {
        fprintf(stderr, "parleyctl: %s: %s\n", pt_ctl_cmds_label(cmd), err);
        st = PT_CTL_EXIT_USAGE;
        goto out;
    }
    char corr[48];
    snprintf(corr, sizeof corr, "parleyctl-%ld-%ld", (long)getpid(), (long)time(NULL));
    char *batch = make_batch(command, corr);
    if (batch == NULL) {
        fprintf(stderr, "parleyctl: out of memory\n");
        st = PT_CTL_EXIT_NOANSWER;
        goto out;
    }
    struct pt_ctl_mqtt_opts mo = {
        .host = g->host,
        .port = g->port != 0 ? g->port : (g->cafile != NULL ? 8883 : 1883),
        .user = g->user,
        .password = g->password,
        .cafile = g->cafile,
        .timeout_s = g->timeout_s,
    };
    cJSON *reply = NULL;
    enum pt_ctl_mqtt_status ms = pt_ctl_mqtt_roundtrip(&mo, batch, &reply, err, sizeof err);
    wipe_str(batch);
    free(batch);
    if (ms != PT_CTL_MQTT_OK) {
        fprintf(stderr, "parleyctl: %s\n", err);
        st = ms == PT_CTL_MQTT_TLS ? PT_CTL_EXIT_USAGE : PT_CTL_EXIT_NOANSWER;
        goto out;
    }
    st = report(cmd, reply, corr, g->json);
    cJSON_Delete(reply);
out:
    if (command != NULL) {
        cJSON *pw = cJSON_GetObjectItemCaseSensitive(command, "password");
        if (cJSON_IsString(pw)) {
            wipe_str(pw->valuestring);
        }
    }
    cJSON_Delete(command);
    wipe_str(secret);
    free(secret);
    return st;
}

int main(int argc, char **argv)
{
    struct globals g = {.host = "127.0.0.1", .timeout_s = DEFAULT_TIMEOUT_S};
    int st = parse_globals(argc, argv, &g);
    if (st != PT_CTL_EXIT_OK) {
        return st < 0 ? PT_CTL_EXIT_OK : st; /* -1: --help was printed */
    }
    if (optind >= argc) {
        return usage_error("no command given", NULL);
    }
    if (strcmp(argv[optind], "help") == 0) {
        full_help(stdout);
        return PT_CTL_EXIT_OK;
    }
    if (strcmp(argv[optind], "token") == 0) {
        return token_main(argc - optind - 1, argv + optind + 1);
    }
    st = control_main(&g, argc - optind, argv + optind);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "parleyctl: cannot write the output: %s\n", strerror(errno));
        return st == PT_CTL_EXIT_OK ? PT_CTL_EXIT_REFUSED : st;
    }
    return st;
}
