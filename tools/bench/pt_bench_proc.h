/* What parley-bench reads about the broker from /proc. */
#ifndef PT_BENCH_PROC_H
#define PT_BENCH_PROC_H

#include <stdint.h>
#include <sys/types.h>

struct pt_proc_cpu {
    uint64_t sched_ns; /* sum over the process's threads of /proc/PID/task/TID/schedstat's
                        * run time (ns); 0 when the kernel does not provide it */
    uint64_t stat_ns;  /* utime + stime from /proc/PID/stat, in ns (clock-tick resolution) */
};

/* Reads the CPU time pid has used so far. Returns 0, or -1 when the process is gone. */
int pt_proc_cpu_read(pid_t pid, struct pt_proc_cpu *out);

/* The process's resident set size in bytes (VmRSS), or 0 when unknown. */
uint64_t pt_proc_rss(pid_t pid);

#endif
