#!/usr/bin/python3
"""The plugin benchmark of `make bench` (issue 3, method: ../shared/BENCH-METHOD.md).

Five Mosquitto configurations, all started by this script in the same run and measured
interleaved (the order rotated in every repetition), each figure the median (min-max) over the
repetitions and, where it matters, a ratio against the no-auth baseline of the same repetition:

  noauth   Mosquitto, no authentication at all (baseline)
  pwfile   password_file + acl_file
  dynsec   the dynamic-security plugin
  parley   Parley with the small state (the bench room and users)
  parley-L Parley with 10,000 rooms, 20,000 users and 100,000 memberships loaded

Measured: saturated deliveries/s (parley-bench's window), broker CPU per 1,000 deliveries and
latency at a fixed paced load (broker on core 1, generator on core 0), connects/s with password
and JWT, RSS and start time with and without the large state, callgrind instructions per ACL
check (tools/bench/pt_bench_acl.c) and per delivery in the broker (a fixed workload).

  /usr/bin/python3 tools/bench/bench_plugin.py --out build/bench/plugin.md
  BENCH_QUICK=1 ... for a short trial run (about 1-2 minutes).

Every process started here is killed on exit; brokers listen on free ports of 127.0.0.1 only.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bench_state  # noqa: E402

BUILD = os.path.join(ROOT, "build")
BENCH = os.path.join(BUILD, "parley-bench")
PLUGIN = os.path.join(BUILD, "parley_plugin.so")
ACL_HARNESS = os.path.join(BUILD, "pt-bench-acl")
DYNSEC = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
BROKER_CORE, GEN_CORE = "1", "0"

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
N_BENCH_USERS = 100          # u0..u99: publishers first, then subscribers; connect test cycles
LARGE = dict(n_users=20000, n_rooms=10000, n_members=100000)
RATE_OPTS = ("1000000", "1000000")  # plugin_opt_rate / burst: the check runs, never refuses

if QUICK:
    REPS, SUBS, SIZES = 2, (1, 10), (100,)
    SAT_S, PACED_S, CONNECTS = 1.0, 1.5, 1500
    CG_COUNT = 2000
else:
    REPS, SUBS, SIZES = 3, (1, 10, 50), (100, 512)
    SAT_S, PACED_S, CONNECTS = 2.5, 3.0, 4000
    CG_COUNT = 5000
WARMUP_S = 0.5
# parley-bench's window: 400, not its default 500, as in the runs docs/benchmarks.md compares
# with (the generator once failed when one read() filled a subscriber's 256 KiB buffer; it now
# parses a full buffer first, so the figure is kept only to keep the setup the same).
WINDOW = 400
# Paced load: deliveries/s over all subscribers (publisher rate = this / subscribers), well
# under every configuration's saturation so each broker has idle time left.
PACED_DELIVERIES = 40000
ACL_N = 100000

CONFIGS = ["noauth", "pwfile", "dynsec", "parley", "parley-L"]
LABEL = {
    "noauth": "no auth (baseline)",
    "pwfile": "password_file + acl_file",
    "dynsec": "dynamic security",
    "parley": "Parley, small state",
    "parley-L": "Parley, large state",
    "parley-0": "Parley, no state",
}

# ---- processes: every one we start is registered and killed on the way out -------------------

_procs = []


def _kill_all():
    for p in list(_procs):
        stop_proc(p)


def stop_proc(p, timeout=10.0):
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        except ProcessLookupError:
            pass
    if p in _procs:
        _procs.remove(p)


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)


def spawn(argv, **kw):
    p = subprocess.Popen(argv, **kw)
    _procs.append(p)
    return p


def log(msg):
    print("bench-plugin: " + msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- MQTT probe: is the broker answering CONNECTs yet? ---------------------------------------

def _mqtt_str(s):
    b = s.encode()
    return len(b).to_bytes(2, "big") + b


def connect_packet(client_id, user=None, password=None):
    flags = 0x02
    payload = _mqtt_str(client_id)
    if user is not None:
        flags |= 0x80
        payload += _mqtt_str(user)
        if password is not None:
            flags |= 0x40
            payload += _mqtt_str(password)
    var = _mqtt_str("MQTT") + bytes([4, flags]) + (30).to_bytes(2, "big")
    body = var + payload
    return bytes([0x10, len(body)]) + body  # len < 128 here


def probe_connack(port, user, password, timeout=0.5):
    """CONNECT and read the CONNACK: returns its return code, or None if nothing came."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(connect_packet("probe%d" % os.getpid(), user, password))
            data = b""
            while len(data) < 4:
                chunk = s.recv(4 - len(data))
                if not chunk:
                    return None
                data += chunk
            if data[0] != 0x20:
                return None
            try:
                s.sendall(b"\xe0\x00")  # DISCONNECT
            except OSError:
                pass
            return data[3]
    except OSError:
        return None


# ---- broker configurations -------------------------------------------------------------------

class Files:
    """Credentials and state for every configuration, written once per run."""

    def __init__(self, d):
        self.dir = d = os.path.abspath(d)
        self.users = bench_state.bench_users(N_BENCH_USERS)
        self.passwd = os.path.join(d, "passwd")
        self.acl = os.path.join(d, "acl")
        self.dynsec = os.path.join(d, "dynsec.json")
        self.state_small = os.path.join(d, "state-small.json")
        self.state_large = os.path.join(d, "state-large.json")
        self.jwt_secret = os.path.join(d, "jwt.secret")
        t = time.monotonic()
        bench_state.write_passwd(self.passwd, self.users)
        bench_state.write_acl(self.acl)
        bench_state.write_dynsec(self.dynsec, self.users)
        self.small_counts = bench_state.write_parley_state(self.state_small, self.users)
        self.large_counts = bench_state.write_parley_state(self.state_large, self.users, **LARGE)
        with open(self.jwt_secret, "wb") as f:
            f.write(os.urandom(32).hex().encode())  # 64 bytes of secret
        os.chmod(self.jwt_secret, 0o600)
        self.gen_s = time.monotonic() - t
        self.large_bytes = os.path.getsize(self.state_large)


def conf_text(kind, port, files, workdir, copy=True):
    lines = ["# %s (written by tools/bench/bench_plugin.py)" % LABEL[kind],
             "listener %d 127.0.0.1" % port,
             "set_tcp_nodelay true",
             "persistence false",
             "log_dest file %s" % os.path.join(workdir, "mosquitto.log"),
             "log_type error",
             "log_type warning",
             "log_type notice"]
    if os.geteuid() == 0:
        lines.append("user root")
    if kind == "noauth":
        lines.append("allow_anonymous true")
        return "\n".join(lines) + "\n"
    lines.append("allow_anonymous false")
    if kind == "pwfile":
        lines += ["password_file %s" % files.passwd, "acl_file %s" % files.acl]
    elif kind == "dynsec":
        cfg = os.path.join(workdir, "dynsec.json")
        if copy:
            shutil.copyfile(files.dynsec, cfg)
        lines += ["plugin %s" % DYNSEC, "plugin_opt_config_file %s" % cfg]
    else:
        state = os.path.join(workdir, "state.json")
        src = {"parley": files.state_small, "parley-L": files.state_large,
               "parley-0": None}[kind]
        if src is not None and copy:
            shutil.copyfile(src, state)
        lines += ["plugin %s" % PLUGIN,
                  "plugin_opt_state_file %s" % state,
                  "plugin_opt_jwt_secret_file %s" % files.jwt_secret,
                  "plugin_opt_rate %s" % RATE_OPTS[0],
                  "plugin_opt_burst %s" % RATE_OPTS[1]]
    return "\n".join(lines) + "\n"


class Broker:
    def __init__(self, kind, files, root, valgrind=None):
        self.kind = kind
        self.files = files
        self.workdir = os.path.abspath(tempfile.mkdtemp(prefix=kind + "-", dir=root))
        self.port = free_port()
        self.conf = os.path.join(self.workdir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write(conf_text(kind, self.port, files, self.workdir))
        self.valgrind = valgrind
        self.proc = None
        self.start_s = None

    @property
    def pid(self):
        return self.proc.pid

    def start(self, timeout=60.0):
        argv = ["taskset", "-c", BROKER_CORE]
        if self.valgrind:
            argv += self.valgrind
        argv += [MOSQUITTO, "-c", self.conf]
        out = open(os.path.join(self.workdir, "stderr"), "w")
        t0 = time.monotonic()
        self.proc = spawn(argv, stdout=out, stderr=subprocess.STDOUT, cwd=self.workdir)
        out.close()
        user, pw = (None, None) if self.kind == "noauth" else ("u0", bench_state.BENCH_PASSWORD)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("%s: mosquitto exited (%d): %s" % (
                    self.kind, self.proc.returncode, self.log_tail()))
            rc = probe_connack(self.port, user, pw)
            if rc is not None:
                self.start_s = time.monotonic() - t0
                self.connack_rc = rc
                break
            if time.monotonic() - t0 > timeout:
                raise RuntimeError("%s: no CONNACK within %.0f s" % (self.kind, timeout))
            time.sleep(0.002)
        return self.start_s

    def rss(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def log_tail(self, n=2000):
        text = ""
        for name in ("stderr", "mosquitto.log"):
            try:
                with open(os.path.join(self.workdir, name)) as f:
                    text += f.read()
            except OSError:
                pass
        return text[-n:]

    def ready_line(self):
        m = re.search(r"parley: ready: .*", self.log_tail(100000))
        return m.group(0) if m else None

    def stop(self):
        if self.proc is not None:
            stop_proc(self.proc, timeout=60.0 if self.valgrind else 10.0)
            self.proc = None


# ---- the load generator ----------------------------------------------------------------------

def gen_args(kind, port, pid):
    # Credentials for every configuration (noauth ignores them), so the clients are the same.
    return ["taskset", "-c", GEN_CORE, BENCH, "-h", "127.0.0.1", "-p", str(port), "--json",
            "--broker-pid", str(pid), "--user-prefix", "u",
            "--password", bench_state.BENCH_PASSWORD]


PUBSUB_ARGS = ["--pubs", "1", "--rooms", "1", "--qos", "0",
               "--room-prefix", "bench", "--topic", "rooms/{room}/msg/{user}",
               "--sub-topic", "rooms/{room}/msg/+"]


def run_gen(argv, timeout):
    p = spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_proc(p)
        raise RuntimeError("parley-bench timed out: %s" % " ".join(argv))
    finally:
        if p in _procs:
            _procs.remove(p)
    try:
        r = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError("parley-bench (%d): %s %s" % (p.returncode, out.decode()[-500:],
                                                         err.decode()[-500:]))
    if p.returncode != 0 or r.get("error"):
        raise RuntimeError("parley-bench failed (%d): %s" % (p.returncode, r.get("error")))
    return r


RETRIES = []  # (what, error) of runs that failed once and were run again


def pubsub(broker, subs, size, rate=0.0, duration=SAT_S, count=None, timeout=120):
    try:
        return _pubsub(broker, subs, size, rate, duration, count, timeout)
    except RuntimeError as e:
        what = "%s %d sub(s) %d B %s" % (broker.kind, subs, size,
                                         "paced" if rate else "count" if count else "saturated")
        log("run failed, once more: %s: %s" % (what, e))
        RETRIES.append((what, str(e)))
        return _pubsub(broker, subs, size, rate, duration, count, timeout)


def _pubsub(broker, subs, size, rate, duration, count, timeout):
    argv = gen_args(broker.kind, broker.port, broker.pid) + PUBSUB_ARGS + [
        "--subs", str(subs), "--size", str(size), "--window", str(WINDOW)]
    if count is not None:
        argv += ["--count", str(count), "--warmup", "0", "--drain", "30"]
    else:
        argv += ["--duration", str(duration), "--warmup", str(WARMUP_S)]
    if rate:
        argv += ["--rate", "%g" % rate]
    return run_gen(argv, timeout)


def connect_test(broker, jwt):
    argv = ["taskset", "-c", GEN_CORE, BENCH, "-h", "127.0.0.1", "-p", str(broker.port),
            "--json", "--broker-pid", str(broker.pid), "--connect-test", str(CONNECTS),
            "--concurrency", "8", "--users", str(N_BENCH_USERS)]
    if broker.kind != "noauth":
        argv += ["--user-prefix", "u"]
        if jwt:
            argv += ["--token-secret-file", broker.files.jwt_secret]
        else:
            argv += ["--password", bench_state.BENCH_PASSWORD]
    return run_gen(argv, 120)


# ---- statistics and formatting ---------------------------------------------------------------

def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_num(x, digits=0):
    if x != x:
        return "–"
    if digits == 0:
        return "{:,.0f}".format(x)
    return "{:,.{d}f}".format(x, d=digits)


def cpu_pct(rs):
    """The broker's CPU share over repetitions rs, as median (min-max) percent."""
    return mmm([r.get("broker_util", float("nan")) for r in rs], 0, 100.0) + "%"


def mmm(xs, digits=0, scale=1.0):
    xs = [x * scale for x in xs]
    if not xs:
        return "–"
    if len(xs) == 1:
        return fmt_num(xs[0], digits)
    return "%s (%s–%s)" % (fmt_num(med(xs), digits), fmt_num(min(xs), digits),
                           fmt_num(max(xs), digits))


def rotate(seq, k):
    k %= len(seq)
    return seq[k:] + seq[:k]


# ---- callgrind -------------------------------------------------------------------------------

def callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError("no totals in " + path)


def callgrind_by_fn(path):
    """Self cost per function (callgrind_annotate), {name: Ir}."""
    out = subprocess.run(["callgrind_annotate", "--threshold=100", "--auto=no",
                          "--inclusive=no", path],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    res = {}
    total = None
    for line in out.decode(errors="replace").splitlines():
        if "PROGRAM TOTALS" in line:
            total = int(line.split()[0].replace(",", ""))
            continue
        m = re.match(r"\s*([\d,]+)\s+(?:\([ \d.]+%\)\s+)?(\S.*)$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        name = m.group(2).strip()
        if ":" not in name:
            continue
        if total and int(m.group(1).replace(",", "")) >= 0.99 * total:
            continue  # main and its callers: on the stack at a mid-run dump, not self cost
        res[name] = res.get(name, 0) + int(m.group(1).replace(",", ""))
    return res


def short_fn(name):
    # "/work/main/common/pc_topic.c:pc_topic_parse [/work/main/build/pt-bench-acl]"
    fn = name.split(" [")[0]
    file_, _, func = fn.rpartition(":")
    obj = name.split(" [")[1].rstrip("]") if " [" in name else ""
    return func, os.path.basename(file_), os.path.basename(obj)


def acl_callgrind(tmp):
    """Instructions per pp_acl_check: (Ir(2N) - Ir(N)) / N, with a per-function breakdown."""
    res = {}
    for mode in ("read", "fanout", "write"):
        totals, fns = [], []
        for n in (ACL_N, 2 * ACL_N):
            out = os.path.join(tmp, "acl-%s-%d.cg" % (mode, n))
            p = spawn(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                       ACL_HARNESS, mode, str(n)],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            o, e = p.communicate(timeout=300)
            _procs.remove(p)
            if p.returncode != 0:
                raise RuntimeError("pt-bench-acl %s %d: %s %s" % (mode, n, o.decode(),
                                                                   e.decode()[-400:]))
            totals.append(callgrind_total(out))
            fns.append(callgrind_by_fn(out))
            harness_line = o.decode().strip()
        per = (totals[1] - totals[0]) / ACL_N
        diff = {}
        for k in set(fns[0]) | set(fns[1]):
            d = (fns[1].get(k, 0) - fns[0].get(k, 0)) / ACL_N
            if d >= 1:
                diff[k] = d
        native = []
        for _ in range(3):
            o = subprocess.run(["taskset", "-c", BROKER_CORE, ACL_HARNESS, mode, str(30 * ACL_N)],
                               stdout=subprocess.PIPE, check=True, timeout=120).stdout.decode()
            native.append(float(re.search(r"([\d.]+) ns per check", o).group(1)))
        res[mode] = {"per_check": per, "totals": totals, "fns": diff, "line": harness_line,
                     "native_ns": native}
    return res


def broker_callgrind(kind, files, tmp, subs=10, size=100):
    """Broker instructions per delivery for a fixed workload: callgrind counters zeroed, COUNT
    messages to `subs` subscribers, dumped; again with 2 x COUNT; the difference / (COUNT x subs)
    leaves out start-up, connects and subscriptions. Self cost summed per object file."""
    tmp = os.path.abspath(tmp)
    out = os.path.join(tmp, "broker-%s.cg" % kind)
    b = Broker(kind, files, tmp, valgrind=["valgrind", "--tool=callgrind",
                                           "--callgrind-out-file=" + out + ".%p"])
    try:
        b.start(timeout=300)
        dumps = []
        for i, n in enumerate((CG_COUNT, 2 * CG_COUNT)):
            subprocess.run(["callgrind_control", "--zero", str(b.pid)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
            r = pubsub(b, subs, size, count=n, timeout=600)
            subprocess.run(["callgrind_control", "--dump=run%d" % i, str(b.pid)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
            dumps.append((n, r))
    finally:
        b.stop()
    files_ = sorted(f for f in os.listdir(tmp) if f.startswith(os.path.basename(out) + "."))
    # One file per dump (".<pid>.<n>"), then the final one at exit (".<pid>").
    parts = [os.path.join(tmp, f) for f in files_ if re.search(r"\.\d+\.\d+$", f)]
    parts.sort(key=lambda f: int(f.rsplit(".", 1)[1]))
    if len(parts) < 2:
        raise RuntimeError("callgrind dumps missing for %s: %s" % (kind, files_))
    tot = [callgrind_total(p) for p in parts[-2:]]
    by = [callgrind_by_fn(p) for p in parts[-2:]]
    deliveries = [r["received"] for _, r in dumps]
    d_deliv = deliveries[1] - deliveries[0]
    per_obj = {}
    per_fn = {}
    for k in set(by[0]) | set(by[1]):
        d = by[1].get(k, 0) - by[0].get(k, 0)
        func, _, obj = short_fn(k)
        per_obj[obj] = per_obj.get(obj, 0) + d
        per_fn[(func, obj)] = d
    lost = sum(r["lost"] for _, r in dumps)
    return {"per_delivery": (tot[1] - tot[0]) / d_deliv, "deliveries": deliveries,
            "per_obj": {k: v / d_deliv for k, v in per_obj.items()},
            "per_fn": {k: v / d_deliv for k, v in per_fn.items()}, "lost": lost}


# ---- the run ---------------------------------------------------------------------------------

def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ver = subprocess.run([MOSQUITTO, "-h"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout.decode().splitlines()
    def git(*a):
        return subprocess.run(["git", "-C", ROOT] + list(a), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL).stdout.decode().strip()
    dirty = git("status", "--porcelain", "--", "broker_plugin", "common")
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "dirty": len(dirty.splitlines()) if dirty else 0,
            "nproc": os.cpu_count(), "model": model, "uname": " ".join(os.uname()[2:5:2]),
            "mosquitto": ver[0] if ver else "?",
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--no-broker-callgrind", action="store_true")
    args = ap.parse_args()
    for path in (BENCH, PLUGIN, ACL_HARNESS):
        if not os.access(path, os.X_OK if path != PLUGIN else os.R_OK):
            sys.exit("bench-plugin: %s missing (make bench builds it)" % path)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    os.makedirs(os.path.join(BUILD, "bench"), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="bench-plugin-", dir=os.path.join(BUILD, "bench"))
    t_run = time.monotonic()
    try:
        files = Files(tmp)
        log("state and credentials written in %.1f s (large state %d bytes: %s)" % (
            files.gen_s, files.large_bytes, files.large_counts))
        data = run_all(files, tmp, args)
        data["wall_s"] = time.monotonic() - t_run
        data["files"] = files
        text = report(data)
        with open(args.out, "w") as f:
            f.write(text)
        with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
            json.dump(jsonable({k: v for k, v in data.items() if k != "files"}), f, indent=1)
        log("wrote %s in %.0f s" % (args.out, data["wall_s"]))
    finally:
        _kill_all()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def jsonable(x):
    """The raw results for build/bench/plugin.json: tuple keys joined with '/'."""
    if isinstance(x, dict):
        return {("/".join(str(p) for p in (k if isinstance(k, tuple) else (k,))))
                if not isinstance(k, str) else k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    return x


def run_all(files, tmp, args):
    cells = [(s, z) for z in SIZES for s in SUBS]
    sat = {}    # (cell, kind) -> [result per rep]
    paced = {}
    conn = {}   # (kind, "password"|"jwt"|"anonymous") -> [result]
    start = {}  # kind -> [seconds]
    rss = {}    # kind -> [bytes after start]
    rss_after = {}
    ready = {}
    for rep in range(REPS):
        order = rotate(CONFIGS, rep)
        log("repetition %d/%d, order %s" % (rep + 1, REPS, " ".join(order)))
        # Start-up: every configuration once, plus Parley without state (start time, RSS).
        brokers = {}
        try:
            for kind in rotate(CONFIGS + ["parley-0"], rep):
                b = Broker(kind, files, tmp)
                start.setdefault(kind, []).append(b.start())
                time.sleep(0.3)
                rss.setdefault(kind, []).append(b.rss())
                if kind.startswith("parley"):
                    ready[kind] = b.ready_line()
                if kind == "parley-0":
                    b.stop()
                else:
                    brokers[kind] = b
            for cell in cells:
                for kind in order:
                    r = pubsub(brokers[kind], cell[0], cell[1])
                    sat.setdefault((cell, kind), []).append(r)
                log("  saturated %d sub(s) %d B: %s" % (cell[0], cell[1], ", ".join(
                    "%s %.0f/s" % (k, sat[(cell, k)][-1]["deliveries_per_s"]) for k in order)))
            for cell in cells:
                for kind in order:
                    r = pubsub(brokers[kind], cell[0], cell[1],
                               rate=PACED_DELIVERIES / cell[0], duration=PACED_S)
                    paced.setdefault((cell, kind), []).append(r)
                log("  paced %d sub(s) %d B: %s" % (cell[0], cell[1], ", ".join(
                    "%s %.3f ms/1k" % (k, paced[(cell, k)][-1]["broker_cpu_ms_per_1000"])
                    for k in order)))
            for kind in order:
                modes = ["anonymous"] if kind == "noauth" else ["password"]
                if kind.startswith("parley"):
                    modes.append("jwt")
                for m in modes:
                    conn.setdefault((kind, m), []).append(connect_test(brokers[kind], m == "jwt"))
            log("  connects: " + ", ".join("%s/%s %.0f/s" % (k, m, v[-1]["connects_per_s"])
                                           for (k, m), v in conn.items()))
            for kind in order:
                rss_after.setdefault(kind, []).append(brokers[kind].rss())
        finally:
            for b in brokers.values():
                b.stop()
    log("callgrind: ACL check harness")
    acl = acl_callgrind(tmp)
    bcg = {}
    if not args.no_broker_callgrind:
        for kind in (["noauth", "dynsec", "parley-L"] if QUICK else CONFIGS):
            log("callgrind: broker %s, %d and %d messages to 10 subscribers" % (
                kind, CG_COUNT, 2 * CG_COUNT))
            bcg[kind] = broker_callgrind(kind, files, tmp)
    return {"cells": cells, "sat": sat, "paced": paced, "conn": conn, "start": start, "rss": rss,
            "rss_after": rss_after, "ready": ready, "acl": acl, "bcg": bcg,
            "machine": machine()}


# ---- the report ------------------------------------------------------------------------------

def ratios(per_rep, base, key):
    return [r[key] / b[key] for r, b in zip(per_rep, base) if b[key]]


def report(d):
    m = d["machine"]
    files = d["files"]
    cells = d["cells"]
    L = []
    w = L.append
    w("## Broker plugin: Parley against Mosquitto's own authentication")
    w("")
    w("Measured %s on %d cores (%s), %s, kernel %s; `tools/bench/bench_plugin.py`%s, %d "
      "repetitions, %.0f s in all." % (m["date"], m["nproc"], m["model"], m["mosquitto"],
                                        m["uname"], " (BENCH_QUICK=1: trial run, fewer cells)"
                                        if QUICK else "", REPS, d["wall_s"]))
    w("Source: commit %s%s." % (m["commit"], " with %d uncommitted change(s) under broker_plugin/ "
                                "and common/ (the working tree was measured)" % m["dirty"]
                                if m["dirty"] else ""))
    w("Every figure: median (min–max) over the repetitions; the configurations run interleaved, "
      "the order rotated in each repetition; ratios are taken against the no-auth baseline of "
      "the same repetition. Broker pinned to core %s, `parley-bench` to core %s; "
      "`set_tcp_nodelay true`, `persistence false`, QoS 0, 1 publisher, 1 room." % (
          BROKER_CORE, GEN_CORE))
    w("")
    w("| config | what |")
    w("| --- | --- |")
    w("| noauth | Mosquitto, `allow_anonymous true`, no plugin (baseline) |")
    w("| pwfile | `password_file` (%d `$7$` users) + `acl_file` (`pattern write rooms/+/msg/%%u`, "
      "`pattern read rooms/+/msg/+`) |" % (N_BENCH_USERS + 1))
    w("| dynsec | `mosquitto_dynamic_security.so`, %d clients, one role allowing "
      "`rooms/+/msg/+` (send, receive, subscribe) |" % (N_BENCH_USERS + 1))
    sc, lc = files.small_counts, files.large_counts
    w("| parley | Parley, small state: %d users, %d room, %d memberships; rate/burst %s/%s "
      "(checked, never refusing), HS256 secret |" % (sc["users"], sc["rooms"], sc["members"],
                                                    *RATE_OPTS))
    w("| parley-L | Parley, large state: %s users, %s rooms, %s memberships (%s-byte snapshot), "
      "same options |" % (fmt_num(lc["users"]), fmt_num(lc["rooms"]), fmt_num(lc["members"]),
                         fmt_num(files.large_bytes)))
    w("")
    w("Clients log in as `u0`, `u1`, ... (publisher first) with a password (none for noauth); "
      "the publisher posts to `rooms/bench0/msg/u0`, subscribers subscribe "
      "`rooms/bench0/msg/+`; in Parley `bench0` is a private room whose members are the %d "
      "bench users, so every publish and every delivery runs the full room check." %
      N_BENCH_USERS)

    # --- throughput
    w("")
    w("### Throughput, saturated")
    w("")
    w("Deliveries/s with the publisher at most %d messages ahead of the slowest subscriber "
      "(`--window %d`), %.1f s measured after %.1f s warm-up. Broker utilisation is its CPU "
      "over the measured time (100%% = one core). Ratio = config / noauth in the same "
      "repetition." % (WINDOW, WINDOW, SAT_S, WARMUP_S))
    w("")
    w("| subs | payload | config | deliveries/s | ratio vs noauth | broker CPU | lost |")
    w("| ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for cell in cells:
        base = d["sat"][(cell, "noauth")]
        for kind in CONFIGS:
            rs = d["sat"][(cell, kind)]
            w("| %d | %d B | %s | %s | %s | %s | %d |" % (
                cell[0], cell[1], kind, mmm([r["deliveries_per_s"] for r in rs]),
                "1" if kind == "noauth" else mmm(ratios(rs, base, "deliveries_per_s"), 3),
                cpu_pct(rs),
                sum(r["lost"] for r in rs)))

    # --- paced
    w("")
    w("### Broker CPU per delivery and latency, paced")
    w("")
    w("Publisher paced at %s deliveries/s in all (%s messages/s to 1 subscriber, and so on), "
      "%.1f s measured. CPU = broker utime + stime (per-thread schedstat) over the measured "
      "time, per 1,000 deliveries; the ratio is against noauth in the same repetition (the "
      "figure the goal is about: throughput at saturation is the inverse of it). Latency: "
      "publish to delivery, every message." % (fmt_num(PACED_DELIVERIES),
                                               fmt_num(PACED_DELIVERIES), PACED_S))
    w("")
    w("| subs | payload | config | broker ms / 1,000 deliveries | ratio vs noauth | broker CPU "
      "| p50 µs | p99 µs | lost |")
    w("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for cell in cells:
        base = d["paced"][(cell, "noauth")]
        for kind in CONFIGS:
            rs = d["paced"][(cell, kind)]
            w("| %d | %d B | %s | %s | %s | %s | %s | %s | %d |" % (
                cell[0], cell[1], kind, mmm([r["broker_cpu_ms_per_1000"] for r in rs], 3),
                "1" if kind == "noauth" else mmm(ratios(rs, base, "broker_cpu_ms_per_1000"), 3),
                cpu_pct(rs),
                mmm([r["lat_p50_us"] for r in rs]), mmm([r["lat_p99_us"] for r in rs]),
                sum(r["lost"] for r in rs)))

    # --- summary against the goal
    w("")
    w("### Against the goal (Parley with the large state >= 0.95 x noauth, above dynsec)")
    w("")
    w("Throughput-equivalent = noauth's CPU per delivery / the config's, at the paced load "
      "(1.000 = as fast as no auth); saturated ratio as measured. Medians over the cells above.")
    w("")
    w("| config | paced throughput-equivalent, median over cells (worst cell) | saturated "
      "ratio, median over cells (worst cell) |")
    w("| --- | ---: | ---: |")
    goal = {}
    for kind in CONFIGS[1:]:
        eq, sr = [], []
        for cell in cells:
            eq.append(1.0 / med(ratios(d["paced"][(cell, kind)], d["paced"][(cell, "noauth")],
                                       "broker_cpu_ms_per_1000")))
            sr.append(med(ratios(d["sat"][(cell, kind)], d["sat"][(cell, "noauth")],
                                 "deliveries_per_s")))
        goal[kind] = (med(eq), min(eq), med(sr), min(sr))
        w("| %s | %.3f (%.3f) | %.3f (%.3f) |" % ((kind,) + goal[kind]))

    # --- connects
    w("")
    w("### Connects per second")
    w("")
    w("`parley-bench --connect-test %d --concurrency 8 --users %d`: CONNECT, CONNACK, "
      "DISCONNECT, 8 in flight, cycling through %d users. Password: `$7$` PBKDF2-SHA512 with "
      "101 iterations in every config; JWT: HS256, minted once per user before the test." % (
          CONNECTS, N_BENCH_USERS, N_BENCH_USERS))
    w("")
    w("| config | credentials | connects/s | broker ms / 1,000 connects | broker CPU | failed |")
    w("| --- | --- | ---: | ---: | ---: | ---: |")
    for kind in CONFIGS:
        for mode in ("anonymous", "password", "jwt"):
            rs = d["conn"].get((kind, mode))
            if not rs:
                continue
            w("| %s | %s | %s | %s | %s | %d |" % (
                kind, mode, mmm([r["connects_per_s"] for r in rs]),
                mmm([r["broker_cpu_ms_per_1000"] for r in rs], 1),
                cpu_pct(rs),
                sum(r["connects_failed"] for r in rs)))

    # --- memory and start
    w("")
    w("### Memory and start-up")
    w("")
    w("RSS: `VmRSS` of `/proc/PID/status` 0.3 s after the broker first answered a CONNECT, and "
      "after the repetition's runs (all clients gone). Start: wall time from starting "
      "`mosquitto` until its first CONNACK (a probe connecting every 2 ms); the state's load "
      "time is Parley's start time minus that of Parley without state (state file absent, "
      "created empty).")
    w("")
    w("| config | RSS at start | RSS after the runs | start until first CONNACK |")
    w("| --- | ---: | ---: | ---: |")
    for kind in CONFIGS + ["parley-0"]:
        w("| %s | %s KiB | %s | %s ms |" % (
            kind, mmm([x / 1024 for x in d["rss"][kind]]),
            (mmm([x / 1024 for x in d["rss_after"][kind]]) + " KiB") if kind in d["rss_after"]
            else "–", mmm(d["start"][kind], 1, 1000.0)))
    load = [a - b for a, b in zip(d["start"]["parley-L"], d["start"]["parley-0"])]
    load_s = [a - b for a, b in zip(d["start"]["parley"], d["start"]["parley-0"])]
    drss = [a - b for a, b in zip(d["rss"]["parley-L"], d["rss"]["parley-0"])]
    w("")
    w("- Large state: load time **%s ms** (start with it minus start without state, per "
      "repetition), RSS **+%s KiB** over Parley without state (%s bytes per membership "
      "counting users and rooms in). Small state: %s ms." % (
          mmm(load, 1, 1000.0), mmm([x / 1024 for x in drss]),
          fmt_num(med(drss) / LARGE["n_members"]), mmm(load_s, 1, 1000.0)))
    load_ls = [a - b for a, b in zip(d["start"]["parley-L"], d["start"]["parley"])]
    w("- Large minus small state: %s ms. (Parley without state starts a little slower than "
      "with the small one: it creates and syncs the empty state file.)" % mmm(load_ls, 1, 1000.0))
    for kind in ("parley-0", "parley", "parley-L"):
        if d["ready"].get(kind):
            w("- %s logged `%s`" % (kind, d["ready"][kind]))

    # --- callgrind ACL
    acl = d["acl"]
    w("")
    w("### Instructions per ACL check (callgrind)")
    w("")
    w("`build/pt-bench-acl` (tools/bench/pt_bench_acl.c) links the plugin's decision modules "
      "(pp_acl.o, pp_index.o, pp_opts.o, pp_rate.o, common/pc_*.o: the -O2 objects of the .so), "
      "builds the large index in memory (10,000 rooms, half private, 20,000 users, 100,000 "
      "memberships) and runs N allowed `pp_acl_check` calls cycling over 1,024 (room, member) "
      "pairs. `valgrind --tool=callgrind build/pt-bench-acl read|fanout|write N` with N = %s and 2N; "
      "per check = (Ir(2N) − Ir(N)) / N, so the index build cancels. Deterministic: the same "
      "binary gives the same count." % fmt_num(ACL_N))
    w("")
    w("Also run natively (`taskset -c %s build/pt-bench-acl read|fanout|write %d`, 3 times): wall time "
      "per check of the hot loop, warm caches; a lower bound for the same check inside the "
      "broker." % (BROKER_CORE, 30 * ACL_N))
    w("")
    w("| check | instructions per check | native ns per check | where they go (self Ir per "
      "check) |")
    w("| --- | ---: | ---: | --- |")
    for mode, what in (("read", "READ: delivery of `rooms/R/msg/S` to a member of R, a new "
                                "message each time (first subscriber)"),
                       ("fanout", "READ, fan-out: each message to the 10 members of R in turn "
                                  "(the delivery cache; what most deliveries cost)"),
                       ("write", "WRITE: 100-byte publish to `rooms/R/msg/S` by S, rate "
                                 "bucket charged")):
        r = acl[mode]
        top = sorted(r["fns"].items(), key=lambda kv: -kv[1])[:7]
        w("| %s | **%s** | %s | %s |" % (what, fmt_num(r["per_check"]), mmm(r["native_ns"], 1),
                                         ", ".join(
            "%s %s" % (short_fn(k)[0], fmt_num(v)) for k, v in top)))

    # --- callgrind broker
    if d["bcg"]:
        w("")
        w("### Broker instructions per delivery (callgrind)")
        w("")
        w("Mosquitto under `valgrind --tool=callgrind`, counters zeroed (`callgrind_control "
          "--zero`) after start-up; %s messages of 100 B to 10 subscribers, dumped; again with "
          "%s; per delivery = ΔIr / Δdeliveries, so start-up, connects and subscriptions cancel. "
          "Split by the object the instructions run in." % (fmt_num(CG_COUNT),
                                                           fmt_num(2 * CG_COUNT)))
        w("")
        w("| config | Ir per delivery | ratio vs noauth | mosquitto | libc | plugin .so | "
          "other | lost |")
        w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        base = d["bcg"].get("noauth")
        for kind, r in d["bcg"].items():
            po = r["per_obj"]
            mosq = po.get("mosquitto", 0)
            libc = sum(v for k, v in po.items() if k.startswith("libc"))
            plug = sum(v for k, v in po.items() if "parley_plugin" in k or "dynamic_security" in k)
            other = r["per_delivery"] - mosq - libc - plug
            w("| %s | %s | %s | %s | %s | %s | %s | %d |" % (
                kind, fmt_num(r["per_delivery"]),
                "%.3f" % (r["per_delivery"] / base["per_delivery"]) if base else "–",
                fmt_num(mosq), fmt_num(libc), fmt_num(plug), fmt_num(other), r["lost"]))
        for kind, r in d["bcg"].items():
            if kind == "noauth" or not base:
                continue
            diffs = []
            for k, v in r["per_fn"].items():
                dv = v - base["per_fn"].get(k, 0)
                if abs(dv) >= 20:
                    diffs.append((dv, k))
            diffs.sort(reverse=True)
            w("")
            w("- %s over noauth, per delivery, largest differences (self Ir, function [object]):"
              " %s" % (kind, "; ".join("%s [%s] %+.0f" % (k[0], k[1], dv)
                                       for dv, k in diffs[:10])))

    if RETRIES:
        w("")
        w("Runs that failed and were run again (the figure above is the second run): " +
          "; ".join("%s (%s)" % r for r in RETRIES) + ".")

    # --- verdict
    w("")
    w("### Verdict")
    w("")
    eqL, eqLmin, srL, srLmin = goal["parley-L"]
    eqD, eqDmin, srD, srDmin = goal["dynsec"]
    w("- Measured wall-clock CPU: Parley with the large state runs at %.3f of the baseline's "
      "throughput by CPU per delivery at the paced load (median over cells; worst cell %.3f) "
      "and %.3f by saturated throughput (worst cell %.3f); dynamic security %.3f and %.3f. "
      "Single runs here scatter by about ±5-10%% (see the min–max columns), so differences of "
      "a few per cent between configurations are not resolved by these figures." % (
          eqL, eqLmin, srL, srLmin, eqD, srD))
    acl = d["acl"]
    rd, wr = med(acl["read"]["native_ns"]), med(acl["write"]["native_ns"])
    est = []
    for cell in cells:
        rs = d["sat"][(cell, "noauth")]
        base_ns = med([1e9 * r.get("broker_util", 1.0) / r["deliveries_per_s"] for r in rs])
        extra = rd + wr / cell[0]
        est.append((cell, base_ns, extra, base_ns / (base_ns + extra)))
    w("- Estimate from the deterministic parts: one READ check per delivery (%.0f ns in the hot "
      "loop) plus one WRITE check per publish (%.0f ns, shared by the subscribers), against "
      "noauth's measured broker CPU per delivery at saturation: %s. This counts the check "
      "with warm caches; inside the broker it runs with colder ones, so the real cost is "
      "somewhat higher." % (rd, wr, "; ".join(
          "%d sub(s) %d B: %.0f ns + %.0f ns -> %.3f" % (c[0], c[1], b_, x, e)
          for c, b_, x, e in est)))
    bcg = d["bcg"]
    if "noauth" in bcg and "parley-L" in bcg:
        base = bcg["noauth"]["per_delivery"]
        pl = bcg["parley-L"]["per_delivery"] - base
        line = ("- Instructions (callgrind, user space only; the kernel's share of a delivery, "
                "the socket writes, is not counted): Parley with the large state adds %.0f "
                "instructions per delivery to Mosquitto's %.0f (x%.3f)" % (
                    pl, base, bcg["parley-L"]["per_delivery"] / base))
        if "dynsec" in bcg:
            ds = bcg["dynsec"]["per_delivery"] - base
            line += ("; dynamic security adds %.0f (x%.3f). By instruction count Parley's "
                     "per-delivery check is %s dynamic security's in this setup (one role, one "
                     "wildcard rule: the cheapest dynsec configuration)" % (
                         ds, bcg["dynsec"]["per_delivery"] / base,
                         "cheaper than" if pl < ds else "more expensive than"))
        w(line + ".")
    w("- Goal (>= 0.95 x baseline, aim 0.98, with the large state): %s by the measured CPU per "
      "delivery (%.3f); %s by the estimate (worst cell %.3f)." % (
          "met" if eqL >= 0.95 else "not met", eqL,
          "met" if min(e[3] for e in est) >= 0.95 else "not met", min(e[3] for e in est)))
    w("- Above dynamic security: %s by the measured CPU per delivery (Parley-L %.3f, dynsec "
      "%.3f) and %s by saturated throughput (%.3f, %.3f), within the noise above%s." % (
          "yes" if eqL > eqD else "no", eqL, eqD, "yes" if srL > srD else "no", srL, srD,
          "; by instructions per delivery, no" if ("dynsec" in bcg and "parley-L" in bcg and
                                                  bcg["parley-L"]["per_delivery"] >
                                                  bcg["dynsec"]["per_delivery"]) else ""))
    w("")
    w("### How it was run")
    w("")
    w("```sh")
    w("make bench            # or: make bench-plugin; BENCH_QUICK=1 for a trial run")
    w("# each broker:")
    w("taskset -c %s mosquitto -c <config>" % BROKER_CORE)
    w("# saturated:")
    w("taskset -c %s build/parley-bench -h 127.0.0.1 -p PORT --json --broker-pid PID "
      "--user-prefix u --password benchpw %s --subs M --size B --window %d --duration %g "
      "--warmup %g" % (GEN_CORE, " ".join(PUBSUB_ARGS), WINDOW, SAT_S, WARMUP_S))
    w("# paced: the same with --rate %d/M --duration %g" % (PACED_DELIVERIES, PACED_S))
    w("# connects:")
    w("taskset -c %s build/parley-bench ... --connect-test %d --concurrency 8 --users %d "
      "--user-prefix u (--password benchpw | --token-secret-file jwt.secret)" % (
          GEN_CORE, CONNECTS, N_BENCH_USERS))
    w("valgrind --tool=callgrind build/pt-bench-acl read|fanout|write %d   # and %d" % (ACL_N, 2 * ACL_N))
    w("```")
    w("")
    w("Configurations (PORT and paths filled in per run; credentials and state by "
      "tools/bench/bench_state.py):")
    w("")
    w("```")
    for kind in CONFIGS:
        txt = conf_text_preview(kind)
        w(txt.rstrip())
        w("")
    w("```")
    return "\n".join(L).rstrip() + "\n"


def conf_text_preview(kind):
    """conf_text with placeholder paths, for the report."""
    class F:
        passwd, acl, dynsec, jwt_secret = "passwd", "acl", "dynsec.json", "jwt.secret"
        state_small = state_large = None
    lines = conf_text(kind, 0, F, "WORKDIR", copy=False).replace("listener 0 ", "listener PORT ")
    return re.sub(r"/[^ \n]*/build/parley_plugin.so", "build/parley_plugin.so", lines)


if __name__ == "__main__":
    main()
