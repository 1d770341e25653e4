#!/usr/bin/env python3
"""Big nodes: sluice with many files, and with one very busy file. Prints:

  files      N containers' json-file logs, each with a few lines, one
             directory each (Docker's layout), all followed by one sluice:
             start-up (to /ready, and until every existing line arrived),
             RSS once settled, idle CPU per second (nothing written), a few
             busy files, the time from a new file's first line to the
             receiver, and the cost of a positions save (the journal's
             flush counter and the sync period's whole save);
  firehose   one file written as fast as the writer can, up to RATE MB/s,
             for SECONDS s: lines/s shipped per CPU second, and whether
             reading keeps up (how far behind sluice is when writing stops);
  line size  lines/s and CPU against line size, 100 B to 64 KiB.

Run against the receiver in counting mode, docker stage only (the pino
pipeline's cost is tests/bench/run-bench.py's).

Usage: bench-nodes.py BUILD_DIR [files|firehose|linesize|all] [N_FILES ...]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def docker_line(text, ns):
    secs, frac = divmod(ns, 10 ** 9)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + ".%09dZ" % frac
    return ('{"log":%s,"stream":"stdout","time":"%s"}\n'
            % (json.dumps(text + "\n"), stamp)).encode()


class Setup:
    def __init__(self, build, tmp, extra=None):
        self.build = build
        self.tmp = tmp
        self.logs = os.path.join(tmp, "containers")
        os.makedirs(self.logs, exist_ok=True)
        self.extra = extra or {}

    def container(self, i):
        cid = "%064x" % (i + 1)
        d = os.path.join(self.logs, cid)
        os.makedirs(d, exist_ok=True)
        return os.path.join(d, cid + "-json.log")

    def config(self, rx):
        path = os.path.join(self.tmp, "sluice.yaml")
        harness.write_config(path, rx.url, os.path.join(self.tmp, "positions.yaml"),
                             [(os.path.join(self.logs, "*", "*-json.log"), {"job": "bench"})],
                             pipeline_stages_yaml="- docker: {}\n",
                             extra_client={"batchwait": "200ms", "batchsize": 1048576},
                             extra=self.extra)
        return path


def wait_entries(rx, n, timeout=600):
    harness.wait_until(lambda: rx.stats()["entries"] >= n, timeout, "%d entries" % n)


def bench_files(build, n_files):
    tmp = tempfile.mkdtemp(prefix="sluice-nodes-")
    try:
        s = Setup(build, tmp, {"positions": {"sync_period": "10s"},
                               "target_config": {"sync_period": "10s"}})
        ns = 1764115200 * 10 ** 9
        paths = [s.container(i) for i in range(n_files)]
        for i, p in enumerate(paths):
            with open(p, "wb") as f:
                f.write(b"".join(docker_line("file %d line %d" % (i, k), ns + k) for k in range(3)))
        with harness.Receiver(build, tmp, count_only=True, verbose=False) as rx:
            with harness.Sluice(build, s.config(rx)) as agent:
                t0 = time.monotonic()
                agent.wait_metrics(300)
                ready = time.monotonic() - t0
                wait_entries(rx, 3 * n_files)
                shipped = time.monotonic() - t0
                pid = agent.proc.pid
                rss_settled = status_kib(pid, "VmRSS")
                # Idle: nothing written for 10 s.
                c0, w0 = cpu_seconds(pid), time.monotonic()
                time.sleep(10)
                idle = (cpu_seconds(pid) - c0) / (time.monotonic() - w0)
                # A few busy files: 10 of them, 100 lines/s each, 10 s.
                busy = paths[:10]
                c0, w0, sent = cpu_seconds(pid), time.monotonic(), rx.stats()["entries"]
                fds = [open(p, "ab", buffering=0) for p in busy]
                for tick in range(100):
                    for j, f in enumerate(fds):
                        f.write(b"".join(docker_line("busy %d %d %d" % (j, tick, k), ns + k)
                                         for k in range(10)))
                    time.sleep(0.1)     # the writers' pace
                for f in fds:
                    f.close()
                wait_entries(rx, sent + 10 * 100 * 10)
                busy_cpu = (cpu_seconds(pid) - c0) / (time.monotonic() - w0)
                # New files: time from the write to the receiver's count.
                latencies = []
                for k in range(10):
                    before = rx.stats()["entries"]
                    p = s.container(n_files + k)
                    t = time.monotonic()
                    with open(p, "wb") as f:
                        f.write(docker_line("new file %d" % k, ns))
                    wait_entries(rx, before + 1, 60)
                    latencies.append(time.monotonic() - t)
                m = harness.parse_metrics(agent.metrics())
                flushes = m.get(("sluice_positions_flushes_total", frozenset()), 0)
                saves = m.get(("sluice_positions_saves_total", frozenset()), 0)
                rss_end = status_kib(pid, "VmRSS")
                hwm = status_kib(pid, "VmHWM")
                agent.stop()
        psize = os.path.getsize(os.path.join(tmp, "positions.yaml"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("files: %d containers, 3 lines each, then 10 busy (100 lines/s each)" % n_files)
    print("  ready after             %.2f s; every existing line shipped after %.2f s"
          % (ready, shipped))
    print("  RSS settled             %.1f MiB (%.1f KiB per file); at the end %.1f MiB, peak %.1f MiB"
          % (rss_settled / 1024, rss_settled / n_files, rss_end / 1024, hwm / 1024))
    print("  idle CPU                %.2f%% of a core" % (idle * 100))
    print("  10 busy files           %.2f%% of a core" % (busy_cpu * 100))
    print("  new file to receiver    median %.0f ms, max %.0f ms"
          % (sorted(latencies)[len(latencies) // 2] * 1e3, max(latencies) * 1e3))
    print("  positions               %d journal flushes, %d whole saves, file %d KiB"
          % (flushes, saves, psize // 1024))


def bench_firehose(build, rate_mb=100, seconds=10):
    tmp = tempfile.mkdtemp(prefix="sluice-nodes-")
    try:
        s = Setup(build, tmp)
        path = s.container(0)
        open(path, "wb").close()
        block = b"".join(docker_line('{"level":30,"msg":"request done","i":%d,"pad":"%s"}'
                                     % (k, "x" * 200), 1764115200 * 10 ** 9 + k)
                         for k in range(4000))
        per_block = 4000
        with harness.Receiver(build, tmp, count_only=True, verbose=False) as rx:
            with harness.Sluice(build, s.config(rx)) as agent:
                agent.wait_metrics()
                pid = agent.proc.pid
                c0 = cpu_seconds(pid)
                t0 = time.monotonic()
                written = lines = 0
                with open(path, "ab", buffering=0) as f:
                    while time.monotonic() - t0 < seconds:
                        f.write(block)
                        written += len(block)
                        lines += per_block
                        ahead = t0 + written / (rate_mb * 1e6) - time.monotonic()
                        if ahead > 0:
                            time.sleep(ahead)   # the writer's pace
                wrote_s = time.monotonic() - t0
                behind = lines - rx.stats()["entries"]
                wait_entries(rx, lines)
                total_s = time.monotonic() - t0
                cpu = cpu_seconds(pid) - c0
                hwm = status_kib(pid, "VmHWM")
                agent.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("firehose: one file, %.0f MB written in %.1f s (%.0f MB/s, %d lines of %d B)"
          % (written / 1e6, wrote_s, written / 1e6 / wrote_s, lines, len(block) // per_block))
    print("  shipped all after       %.1f s; %d lines (%.1f s of writing) behind when writing stopped"
          % (total_s, behind, behind / (lines / wrote_s)))
    print("  throughput              %.0f lines/s, %.0f lines per CPU second, peak RSS %.1f MiB"
          % (lines / total_s, lines / cpu, hwm / 1024))


def bench_linesize(build):
    print("line size: 20 MB of lines of each size, one file, docker stage")
    print("  %8s %12s %12s %10s" % ("bytes", "lines/s", "MB/s", "CPU s/GB"))
    for size in (100, 1000, 4096, 16384, 65536):
        tmp = tempfile.mkdtemp(prefix="sluice-nodes-")
        try:
            s = Setup(build, tmp, {"limits_config": {"max_line_size": 0}})
            path = s.container(0)
            n = max(200, 20_000_000 // size)
            with open(path, "wb") as f:
                for k in range(n):
                    f.write(docker_line("x" * (size - 60), 1764115200 * 10 ** 9 + k))
            nbytes = os.path.getsize(path)
            with harness.Receiver(build, tmp, count_only=True, verbose=False) as rx:
                t0 = time.monotonic()
                with harness.Sluice(build, s.config(rx)) as agent:
                    wait_entries(rx, n)
                    el = time.monotonic() - t0
                    cpu = cpu_seconds(agent.proc.pid)
                    agent.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print("  %8d %12.0f %12.1f %10.2f" % (size, n / el, nbytes / 1e6 / el, cpu / (nbytes / 1e9)))


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    what = sys.argv[2] if len(sys.argv) > 2 else "all"
    counts = [int(x) for x in sys.argv[3:]] or [100, 1000, 10000]
    if what in ("files", "all"):
        for n in counts:
            bench_files(build, n)
    if what in ("firehose", "all"):
        bench_firehose(build)
    if what in ("linesize", "all"):
        bench_linesize(build)


if __name__ == "__main__":
    main()
