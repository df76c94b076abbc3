/* /proc readings; see pt_bench_proc.h. */
#include "pt_bench_proc.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return 0;
}

int pt_proc_cpu_read(pid_t pid, struct pt_proc_cpu *out)
{
    char path[64];
    char buf[1024];
    out->sched_ns = 0;
    out->stat_ns = 0;
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if (read_file(path, buf, sizeof(buf)) != 0) {
        return -1;
    }
    /* Fields after the command name, which is in parentheses and may hold spaces. */
    const char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) {
        return -1;
    }
    long hz = sysconf(_SC_CLK_TCK);
    out->stat_ns = (uint64_t)(ut + st) * (uint64_t)(1000000000L / (hz > 0 ? hz : 100));

    snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
    DIR *d = opendir(path);
    if (d == NULL) {
        return 0;
    }
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char tpath[300];
        unsigned long long ns = 0;
        snprintf(tpath, sizeof(tpath), "/proc/%ld/task/%s/schedstat", (long)pid, e->d_name);
        if (read_file(tpath, buf, sizeof(buf)) == 0 && sscanf(buf, "%llu", &ns) == 1) {
            out->sched_ns += ns;
        }
    }
    closedir(d);
    return 0;
}

uint64_t pt_proc_rss(pid_t pid)
{
    char path[64];
    char buf[4096];
    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    if (read_file(path, buf, sizeof(buf)) != 0) {
        return 0;
    }
    const char *p = strstr(buf, "VmRSS:");
    unsigned long long kb = 0;
    if (p == NULL || sscanf(p + 6, "%llu", &kb) != 1) {
        return 0;
    }
    return (uint64_t)kb * 1024;
}
