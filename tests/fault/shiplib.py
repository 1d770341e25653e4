"""shiplib.py - what the ship fault tests (test_ship_*.py) share (standard library only).

  FaultTest        a unittest.TestCase with a temporary directory, a container
                   log directory and helpers to write a config and run sluice
  docker_block     Docker json-file lines, each carrying a unique id, built fast
  LineWriter       appends such lines to a container's log, counting what it wrote
  arrived_ids      ids of the entries the receiver recorded, counted
  proc_memory      VmRSS and VmHWM of a process, from /proc
  sanitized        whether a process runs under AddressSanitizer
  metric_sum       sum of a metric's samples whose labels include the given ones
  Stopwatch        named timings and notes, printed at the end of a test

Every line a test writes carries an id "<tag>-<n>" as the first word of its
log text, so a test counts exactly what arrived: each id once (exactly
once), or at least once.
"""

import collections
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
DOCKER_ONLY = "- docker: {}\n"
BASE_TS_NS = 1764115200 * 10 ** 9  # 2025-11-26T00:00:00Z: Docker times start here


def docker_block(tag, first, count, pad=0, ts_base=BASE_TS_NS, random_pad=False):
    """Docker json-file text for lines first..first+count-1 of `tag`: the log
    text of line n is "<tag>-<n> " followed by `pad` filler characters, and
    its time is ts_base + n ns (unique and increasing). The filler repeats
    (compresses well), or with random_pad is random hex (barely compresses:
    the compressed body is about as large as the lines). Returns bytes."""
    filler = ("0123456789abcdef" * (pad // 16 + 1))[:pad]
    out = []
    secs_text, secs_of = None, None
    for n in range(first, first + count):
        secs, frac = divmod(ts_base + n, 10 ** 9)
        if secs != secs_of:  # formatted once per second of timestamps
            secs_of = secs
            secs_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
        if random_pad:
            filler = os.urandom(pad // 2 + 1).hex()[:pad]
        out.append('{"log":"%s-%d %s\\n","stream":"stdout","time":"%s.%09dZ"}\n'
                   % (tag, n, filler, secs_text, frac))
    return "".join(out).encode()


class LineWriter:
    """Appends id-carrying Docker lines to one container log."""

    def __init__(self, path, tag, pad=0, random_pad=False, ts_base=BASE_TS_NS):
        self.path, self.tag, self.pad, self.random_pad = path, tag, pad, random_pad
        self.ts_base = ts_base
        self.next = 0          # next line number
        self.bytes = 0         # bytes written

    def write(self, count):
        """Appends `count` lines in one write(2); returns the bytes written."""
        data = docker_block(self.tag, self.next, count, self.pad, self.ts_base, self.random_pad)
        with open(self.path, "ab") as f:
            f.write(data)
        self.next += count
        self.bytes += len(data)
        return len(data)

    def ids(self):
        return ["%s-%d" % (self.tag, n) for n in range(self.next)]


def arrived_ids(receiver):
    """Counter of the ids (first word of the line) of every entry the
    receiver recorded, read straight from its output file (streaming, so
    hundreds of MB do not sit in memory)."""
    counts = collections.Counter()
    try:
        f = open(receiver.entries_path, "rb")
    except FileNotFoundError:
        return counts
    with f:
        for raw in f:
            if not raw.endswith(b"\n"):
                break  # being written
            line = json.loads(raw)["line"]
            counts[line.split(" ", 1)[0]] += 1
    return counts


def proc_memory(pid):
    """{'VmRSS': bytes, 'VmHWM': bytes} of a live process."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
    return out


def sanitized(pid):
    """True when the process runs with AddressSanitizer's runtime."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


def metric_sum(metrics_text, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in harness.parse_metrics(metrics_text).items()
               if n == name and want <= set(ls))


class Stopwatch:
    """Named timings since creation, printed by report()."""

    def __init__(self, name):
        self.name = name
        self.t0 = time.monotonic()
        self.marks = []
        self.notes = []

    def note(self, text):
        """A line printed after the timings."""
        self.notes.append(text)

    def mark(self, what):
        t = time.monotonic() - self.t0
        self.marks.append((what, t))
        return t

    def elapsed(self):
        return time.monotonic() - self.t0

    def report(self):
        lines = ["[%s] %7.2fs  %s" % (self.name, t, what) for what, t in self.marks]
        lines += ["[%s] %s" % (self.name, n) for n in self.notes]
        print("\n" + "\n".join(lines), file=sys.stderr, flush=True)


class FaultTest(unittest.TestCase):
    """A temporary directory with containers/<id>/<id>-json.log files, a
    positions file and a config path, removed afterwards."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-fault-")
        self.logs = os.path.join(self.tmp, "containers")
        os.makedirs(self.logs)
        self.positions = os.path.join(self.tmp, "positions.yaml")
        self.config = os.path.join(self.tmp, "sluice.yaml")
        self.watch = Stopwatch(self.id().rsplit(".", 1)[-1])

    def tearDown(self):
        self.watch.report()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def container_log(self, n):
        cid = ("%02x" % n) * 32
        d = os.path.join(self.logs, cid)
        os.makedirs(d, exist_ok=True)
        return os.path.join(d, cid + "-json.log")

    def write_config(self, receiver, client=None, extra=None, stages=DOCKER_ONLY):
        glob = os.path.join(self.logs, "*", "*-json.log")
        return harness.write_config(self.config, receiver.url, self.positions,
                                    [(glob, {"job": "fault"})], pipeline_stages_yaml=stages,
                                    extra_client=client, extra=extra)

    def sluice(self):
        return harness.Sluice(BUILD, self.config)

    def assert_exactly_once(self, counts, ids):
        """Every id in `ids` arrived exactly once, and nothing else arrived."""
        want = set(ids)
        missing = [i for i in ids if counts.get(i, 0) == 0]
        dups = {i: c for i, c in counts.items() if c > 1}
        extra = [i for i in counts if i not in want]
        self.assertEqual((len(missing), len(dups), len(extra)), (0, 0, 0),
                         "missing %d (first %s), duplicated %d (first %s), unexpected %d (%s)"
                         % (len(missing), missing[:5], len(dups), list(dups.items())[:5],
                            len(extra), extra[:5]))
