#!/usr/bin/python3
"""Host publish throughput of libparley_device (build/pd-bench, POSIX port) against libmosquitto
(build/mosq-bench) on one plain Mosquitto 2.0 with set_tcp_nodelay true, in the same run,
interleaved with the order rotated each repetition (../shared/BENCH-METHOD.md). Broker pinned
to CPU 1, clients to CPU 0 when there are two CPUs. Writes a markdown section (--out).

Measured per run: messages/s from the client's first publish until the broker has taken every
message (last PUBACK for QoS 1; for QoS 0 the PUBACK of a QoS 1 marker sent after them), the
client's CPU time per message (getrusage of the child) and the broker's CPU use during the run
(/proc/PID/stat). No subscriber: this is the publishing side, client plus broker ingest.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def pin(cpu):
    if shutil.which("taskset") and os.cpu_count() and os.cpu_count() >= 2:
        return ["taskset", "-c", str(cpu)]
    return []


def run_client(argv, broker_pid):
    b0 = cpu_seconds(broker_pid)
    w0 = time.monotonic()
    p = subprocess.Popen(pin(0) + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - w0
    b1 = cpu_seconds(broker_pid)
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    p.stdout.close()
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench client failed: {' '.join(argv)}\n{out}{err}")
    kv = dict(x.split("=") for x in out.split())
    n = int(kv["count"])
    return {"rate": float(kv["rate"]), "client_us": (ru.ru_utime + ru.ru_stime) * 1e6 / n,
            "broker_util": (b1 - b0) / wall}


def fmt_rate(xs):
    return f"{statistics.median(xs):,.0f} ({min(xs):,.0f}-{max(xs):,.0f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--count0", type=int, default=200000)
    ap.add_argument("--count1", type=int, default=50000)
    a = ap.parse_args()
    if os.environ.get("BENCH_QUICK"):
        a.reps, a.count0, a.count1 = 3, 50000, 10000
    window = 4  # PD_INFLIGHT_MAX's default in firmware_client/include/pd_config.h
    port = free_port()
    host = "127.0.0.1"
    pd = str(BUILD / "pd-bench")
    mq = str(BUILD / "mosq-bench")
    configs = [
        ("libparley_device", 0, "-", [pd, host, port, 0, a.count0, a.size]),
        ("libmosquitto", 0, "-", [mq, host, port, 0, a.count0, a.size, window]),
        ("libparley_device", 1, window, [pd, host, port, 1, a.count1, a.size]),
        ("libmosquitto", 1, window, [mq, host, port, 1, a.count1, a.size, window]),
        ("libmosquitto", 1, 20, [mq, host, port, 1, a.count1, a.size, 20]),
    ]
    results = {i: [] for i in range(len(configs))}
    with tempfile.TemporaryDirectory(prefix="pd-bench-") as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(f"listener {port} {host}\nallow_anonymous true\nset_tcp_nodelay true\n"
                        "log_dest none\n")
        broker = subprocess.Popen(pin(1) + ["mosquitto", "-c", str(conf)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection((host, port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or broker.poll() is not None:
                        raise SystemExit("mosquitto did not start")
                    time.sleep(0.05)
            for rep in range(a.reps):
                order = list(range(len(configs)))
                order = order[rep % len(order):] + order[:rep % len(order)]
                for i in order:
                    argv = [str(x) for x in configs[i][3]]
                    results[i].append(run_client(argv, broker.pid))
                    print(f"rep {rep + 1} {configs[i][0]} QoS {configs[i][1]}: "
                          f"{results[i][-1]['rate']:,.0f}/s", file=sys.stderr)
        finally:
            broker.terminate()
            broker.wait(timeout=10)

    def ratio(i, j):
        return statistics.median(x["rate"] / y["rate"] for x, y in zip(results[i], results[j]))

    lines = [
        "## Device client: host publish throughput (libparley_device vs libmosquitto)",
        "",
        f"`make bench-firmware` (firmware_client/cli/bench_firmware.py): one Mosquitto 2.0.11, "
        f"`set_tcp_nodelay true`, no subscriber, pinned to CPU 1, clients to CPU 0; "
        f"{a.size}-byte payloads to one topic, {a.count0:,} messages per QoS 0 run, "
        f"{a.count1:,} per QoS 1 run; {a.reps} repetitions interleaved with the order rotated; "
        "median (min-max). Rate = messages from the first publish until the broker has taken "
        "all (last PUBACK; for QoS 0 the PUBACK of a QoS 1 marker sent after them). "
        "libparley_device: `build/pd-bench` over the POSIX port (32 KiB txbuf, window "
        f"{window} = PD_INFLIGHT_MAX); libmosquitto 2.0.11: `build/mosq-bench` "
        "(mosquitto_loop, at most 256 queued packets; window set with "
        "mosquitto_max_inflight_messages_set).",
        "",
        "| client | QoS | window | messages/s | vs libmosquitto (same window) | client CPU per message | broker CPU (share of a core) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    base = {0: 1, 1: 3}
    for i, (name, qos, win, _) in enumerate(configs):
        r = results[i]
        if i == base[qos]:
            rel = "1.00x (baseline)"
        elif win == window or qos == 0:
            rel = f"{ratio(i, base[qos]):.2f}x"
        else:
            rel = "-"
        lines.append(
            f"| {name} | {qos} | {win} | {fmt_rate([x['rate'] for x in r])} | {rel} | "
            f"{statistics.median(x['client_us'] for x in r):.2f} us | "
            f"{statistics.median(x['broker_util'] for x in r) * 100:.0f}% |")
    lines += [
        "",
        "QoS 1 with a window of 4 is bound by round trips (4 messages per broker turn), not by "
        "either client's code; the window-20 row shows libmosquitto's default for scale. "
        "QoS 0 is bound by the broker's single thread when its CPU share is near 100%.",
        "",
    ]
    Path(a.out).write_text("\n".join(lines))
    print(f"bench: wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
