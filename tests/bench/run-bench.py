#!/usr/bin/env python3
"""The benchmark: sluice against the receiver in counting mode.

Generates LINES Docker json-file lines of realistic pino records over several
containers (a level mix with plenty of debug, ~2% plain text), runs the real
sluice binary with the shipped pino pipeline until the receiver has counted
every entry that should arrive, and prints:
  lines/s, MB/s of input, CPU seconds per million lines, peak RSS
measured on the sluice process alone (/proc/PID/stat and VmHWM).

With --smaps it also prints, once every entry is counted, sluice's resident
memory by mapping (the heap, anonymous memory, the binary and each shared
library): where the peak RSS goes.

With --instructions sluice runs under valgrind's callgrind and the figure is
the instructions it executed per line, start to stop: a count that does not
drift with the machine's speed, as CPU seconds on a shared VM do (by 40%
from one day to the next). Two builds are compared by it exactly; CPU
seconds compare only in interleaved runs. About 80x slower: 200k lines
take a quarter of a minute. The callgrind profile is kept when
--callgrind-out=FILE is given (callgrind_annotate FILE reads it).

Usage: run-bench.py [--smaps] [--instructions [--callgrind-out=FILE]]
                    BUILD_DIR [LINES] [CONTAINERS]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cpu_seconds(pid):
    """(user, system) CPU seconds of the process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick  # utime, stime


def minor_faults(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[7])


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def rss_by_mapping(pid):
    """{mapping name: resident KiB} from /proc/PID/smaps; anonymous
    mappings are summed under "[anon]"."""
    rss, name = {}, None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            fields = line.split()
            if not fields[0].endswith(":"):
                name = fields[5] if len(fields) > 5 else "[anon]"
            elif fields[0] == "Rss:":
                rss[name] = rss.get(name, 0) + int(fields[1])
    return rss


def callgrind_total(path):
    """The instructions counted in a callgrind output file."""
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError("no totals in " + path)


def main():
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    smaps = "--smaps" in flags
    instructions = "--instructions" in flags
    keep_out = next((f.split("=", 1)[1] for f in flags if f.startswith("--callgrind-out=")), None)
    unknown = [f for f in flags if f not in ("--smaps", "--instructions")
               and not f.startswith("--callgrind-out=")]
    if unknown:
        sys.exit("run-bench.py: unknown option %s" % unknown[0])
    build = os.path.abspath(args[0] if len(args) > 0 else "build")
    lines = int(args[1]) if len(args) > 1 else 1000000
    containers = int(args[2]) if len(args) > 2 else 4
    tmp = tempfile.mkdtemp(prefix="sluice-bench-")
    try:
        logs = os.path.join(tmp, "containers")
        gen = subprocess.run([os.path.join(build, "tests", "bench", "sluice-bench-gen"), logs,
                              str(lines), str(containers)],
                             check=True, capture_output=True, text=True)
        info = json.loads(gen.stdout)
        expected = info["at_or_above_info"]
        with harness.Receiver(build, tmp, count_only=True, verbose=False) as rx:
            config = os.path.join(tmp, "sluice.yaml")
            harness.write_config(config, rx.url, os.path.join(tmp, "positions.yaml"),
                                 [(os.path.join(logs, "*", "*-json.log"), {"job": "w40k"})],
                                 extra_client={"batchwait": "1s", "batchsize": 1048576})
            with open(config) as f:
                text, n = re.subn(r'(?m)^(  - job_name: "?w40k"?)$', r"\1\n    pipeline: pino",
                                  f.read(), count=1)
            assert n == 1, "no job_name line in the generated config"
            with open(config, "w") as f:
                f.write(text)
            agent = harness.Sluice(build, config,
                                   args=["-pipelines.dir=" + os.path.join(SOURCE, "pipelines")])
            cg_out = keep_out or os.path.join(tmp, "callgrind.out")
            if instructions:
                agent.argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + cg_out,
                              ] + agent.argv
            start = time.monotonic()
            with agent:
                pid = agent.proc.pid
                harness.wait_until(lambda: rx.stats()["entries"] >= expected, 600,
                                   "the receiver to count %d entries" % expected,
                                   lambda: agent.log()[-2000:])
                elapsed = time.monotonic() - start
                user, system = cpu_seconds(pid)
                cpu = user + system
                rss = peak_rss_kib(pid)
                faults = minor_faults(pid)
                by_mapping = rss_by_mapping(pid) if smaps else {}
                stats = rx.stats()
                agent.stop(timeout=120.0 if instructions else 10.0)
            total_instructions = callgrind_total(cg_out) if instructions else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    mb = info["bytes"] / 1e6
    print("sluice benchmark: %d lines (%.1f MB of Docker json-file logs) over %d containers"
          % (lines, mb, containers))
    print("  entries shipped     %d (info and above, plus plain-text lines); %d pushes"
          % (stats["entries"], stats["pushes"]))
    print("  wall time           %.2f s (start to last entry counted)" % elapsed)
    print("  throughput          %.0f lines/s, %.1f MB/s of input" % (lines / elapsed, mb / elapsed))
    if instructions:
        print("  instructions        %.3f G in all, %.0f per line (callgrind, start to stop)"
              % (total_instructions / 1e9, total_instructions / lines))
        print("  (CPU, RSS and faults below are valgrind's, not sluice's own)")
    print("  CPU                 %.2f s in all, %.2f s per million lines (user %.2f, system %.2f)"
          % (cpu, cpu / lines * 1e6, user / lines * 1e6, system / lines * 1e6))
    print("  peak RSS            %.1f MiB" % (rss / 1024))
    print("  page faults         %d (minor)" % faults)
    if by_mapping:
        print("  resident at the end, by mapping (KiB):")
        for name, kib in sorted(by_mapping.items(), key=lambda kv: -kv[1]):
            if kib >= 64:
                print("    %7d  %s" % (kib, os.path.basename(name) if name.startswith("/") else name))


if __name__ == "__main__":
    main()
