"""faultlib.py - what the fault tests share (standard library only).

  LogWriter     a thread writing Docker json-file lines, each with a unique
                id, into one container's log, rotating it as Docker does
                (rename; max-file) or as logrotate's copytruncate does, and
                recording which file ("generation") and offset every id went to
  EntryReader   reads the receiver's entries file incrementally: how often
                each id arrived, and in which order per stream and per push
  read_positions, saved_offset
                sluice's positions file, and the offset a restart would use
                for a file (the fingerprint rule of src/tail/fingerprint.h)
  Timer         phase timings, printed at the end of a test

Lines: {"log":"id=00000042 g=0003 <padding>\\n","stream":"stdout","time":...}.
The id is what the tests count; the docker stage makes "id=... g=..." the
entry's line.
"""

import collections
import json
import os
import random
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402,F401  (re-exported for the tests)

T0_NS = 1764115200 * 10 ** 9  # line times: a fixed start, one ns per id

DOCKER_STAGES = "- docker: {}\n"

FNV_OFFSET = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3
FINGERPRINT_MAX = 1024


def fnv1a(data):
    """64-bit FNV-1a, as src/tail/fingerprint.c computes it."""
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def line_for(ident, gen, pad):
    """One json-file line for id `ident` in generation `gen`, with `pad`
    bytes of padding (so lines differ in length)."""
    ns = T0_NS + ident
    secs, frac = divmod(ns, 10 ** 9)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + ".%09dZ" % frac
    text = "id=%08d g=%04d %s" % (ident, gen, "x" * pad)
    return ('{"log":"%s\\n","stream":"stdout","time":"%s"}\n' % (text, stamp)).encode()


def id_of(line):
    """The id in an entry's line ("id=00000042 ...")."""
    return int(line[3:11])


class Gen:
    """One file a container's log went through: the live file from its
    creation to its rotation (rename: the same file under .1, .2 ... until it
    is deleted), or one copy made by copytruncate."""

    def __init__(self, index, path, kind):
        self.index = index         # 0, 1, ... in creation order
        self.path = path           # where it is now (None once deleted)
        self.kind = kind           # "live" or "copy"
        self.dev = self.ino = None
        self.ids = []              # ids in file order
        self.ends = []             # offset after each id's line
        self.deleted = False

    def __repr__(self):
        return "Gen(%d %s %s ids %s..%s)" % (self.index, self.kind, self.path,
                                            self.ids[:1], self.ids[-1:])


class LogWriter(threading.Thread):
    """Writes `n_lines` lines to `path`, one write(2) per line as Docker
    does, at about `rate` lines/s (None: as fast as it can), and rotates the
    log once it holds `rotate_bytes`:

      mode "rename"        Docker's json-file max-size/max-file: .(k-1) ->
                           .k for k = max_files-1..2 (the rename over the
                           oldest deletes it), live -> .1, a new live file
      mode "copytruncate"  logrotate: older copies shifted the same way, the
                           live file copied to .1, then truncated to 0; the
                           writer keeps its O_APPEND descriptor. The copy and
                           the truncation happen in this thread, so no line
                           is written between them (lines written there are
                           in neither file: logrotate's own loss, not sluice's)

    before_delete(gen): called (in this thread) before a rotation deletes
    `gen`; it may wait, e.g. until sluice acknowledged the whole file.
    Ids start at `first_id`. Everything written is recorded in `gens` (under
    `lock`): id -> generation and offset. `io_lock` is held while the writer
    touches files (not while before_delete waits): holding it gives a test
    a moment when files and records agree."""

    def __init__(self, path, n_lines, rotate_bytes, max_files=3, mode="rename", rate=None,
                 seed=1, first_id=0, before_delete=None, pad=(20, 140)):
        super().__init__(daemon=True)
        self.path = path
        self.n_lines = n_lines
        self.rotate_bytes = rotate_bytes
        self.max_files = max_files
        self.mode = mode
        self.rate = rate
        self.rng = random.Random(seed)
        self.first_id = first_id
        self.before_delete = before_delete
        self.pad = pad
        self.lock = threading.Lock()
        self.io_lock = threading.Lock()
        self.gens = []
        self.gen_of = {}           # id -> Gen
        self.end_of = {}           # id -> offset after its line in its live file
        self.rotations = 0
        self.error = None
        self.written = 0
        self.done = threading.Event()
        self.started_at = self.finished_at = None

    # -- files --

    def _rotated(self, k):
        return self.path if k == 0 else "%s.%d" % (self.path, k)

    def _new_live(self):
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o644)
        st = os.fstat(fd)
        with self.lock:
            g = Gen(len(self.gens), self.path, "live")
            g.dev, g.ino = st.st_dev, st.st_ino
            self.gens.append(g)
        return fd, g

    def _at(self, path):
        for g in self.gens:
            if g.path == path and not g.deleted:
                return g
        return None

    def _may_delete(self, victim):
        """Runs before_delete(victim) without holding io_lock."""
        if victim is None or not self.before_delete:
            return
        self.io_lock.release()
        try:
            self.before_delete(victim)
        finally:
            self.io_lock.acquire()

    def _shift(self):
        """Renames .(k-1) -> .k down to .1 -> .2; the oldest is deleted."""
        for k in range(self.max_files - 1, 1, -1):
            src, dst = self._rotated(k - 1), self._rotated(k)
            if not os.path.exists(src):
                continue
            victim = self._at(dst)
            self._may_delete(victim)
            os.rename(src, dst)
            with self.lock:
                if victim is not None:
                    victim.deleted, victim.path = True, None
                moved = self._at(src)
                if moved is not None:
                    moved.path = dst

    def _rotate(self, fd, gen):
        self.rotations += 1
        if self.max_files <= 1:
            raise ValueError("max_files must be at least 2")
        if self.mode == "rename":
            os.close(fd)
            victim = self._at(self._rotated(1)) if self.max_files == 2 else None
            self._may_delete(victim)
            self._shift()
            os.rename(self.path, self._rotated(1))
            with self.lock:
                if victim is not None:
                    victim.deleted, victim.path = True, None
                gen.path = self._rotated(1)
            return self._new_live()
        # copytruncate: the copy is a new generation holding the same ids.
        self._shift()
        tmp = self._rotated(1)
        with open(self.path, "rb") as src, open(tmp, "wb") as dst:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                dst.write(chunk)
        st = os.stat(tmp)
        with self.lock:
            copy = Gen(len(self.gens), tmp, "copy")
            copy.dev, copy.ino = st.st_dev, st.st_ino
            copy.ids, copy.ends = list(gen.ids), list(gen.ends)
            self.gens.append(copy)
        os.truncate(self.path, 0)
        with self.lock:
            # The live file starts over: what follows is a new generation
            # of the same inode.
            g = Gen(len(self.gens), self.path, "live")
            g.dev, g.ino = gen.dev, gen.ino
            gen.path, gen.deleted = None, True
            self.gens.append(g)
        return fd, g

    # -- the thread --

    def run(self):
        self.started_at = time.monotonic()
        try:
            with self.io_lock:
                fd, gen = self._new_live()
            size = 0
            for i in range(self.n_lines):
                ident = self.first_id + i
                data = line_for(ident, gen.index, self.rng.randint(*self.pad))
                with self.io_lock:
                    os.write(fd, data)
                    size += len(data)
                    with self.lock:
                        gen.ids.append(ident)
                        gen.ends.append(size)
                        self.gen_of[ident] = gen
                        self.end_of[ident] = size
                    self.written = i + 1
                    if size >= self.rotate_bytes and i + 1 < self.n_lines:
                        fd, gen = self._rotate(fd, gen)
                        size = 0
                if self.rate and i % 200 == 199:
                    # Load shaping, not a wait for a condition: keep to the rate.
                    ahead = (i + 1) / self.rate - (time.monotonic() - self.started_at)
                    if ahead > 0:
                        time.sleep(ahead)
            os.close(fd)
        except BaseException as e:  # reported by the test
            self.error = e
        finally:
            self.finished_at = time.monotonic()
            self.done.set()

    def expected_ids(self):
        return range(self.first_id, self.first_id + self.n_lines)


class EntryReader:
    """Reads the receiver's entries file as it grows. For every id: how many
    times it arrived; per stream (the labels text): ids in arrival order,
    with the push they came in."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.counts = collections.Counter()
        self.by_stream = collections.defaultdict(list)   # stream -> [(id, push)]
        self.filenames = {}                               # stream -> filename label
        self.garbage = []                                 # lines without an id
        self.n = 0

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return self.n
        end = data.rfind(b"\n") + 1
        self.offset += end
        for raw in data[:end].split(b"\n"):
            if not raw:
                continue
            e = json.loads(raw)
            try:
                ident = id_of(e["line"])
            except ValueError:
                self.garbage.append(e["line"])
                continue
            self.counts[ident] += 1
            self.by_stream[e["stream"]].append((ident, e["push"]))
            self.filenames[e["stream"]] = e["labels"].get("filename")
            self.n += 1
        return self.n

    def missing(self, expected):
        return [i for i in expected if self.counts[i] == 0]

    def duplicates(self):
        """Extra arrivals: sum of (count - 1) over ids seen more than once."""
        return sum(c - 1 for c in self.counts.values() if c > 1)

    def wait_all(self, expected, timeout, what="every line", detail=None):
        """Waits (bounded) until every id in `expected` arrived at least once."""
        expected = list(expected)
        pending = set(expected)

        def done():
            self.poll()
            for i in list(pending):
                if self.counts[i]:
                    pending.discard(i)
            return not pending
        harness.wait_until(done, timeout, what, lambda: "%d ids missing, first %s%s" % (
            len(pending), sorted(pending)[:10], "\n" + detail() if detail else ""))

    def order_breaks(self, gen_of=None):
        """Places where ids went backwards within a stream, ignoring second
        and later arrivals of an id (re-sends). With gen_of, only within one
        generation (one file), which is what a file's order promises."""
        breaks = []
        for stream, seq in self.by_stream.items():
            seen = set()
            last = {}
            for ident, push in seq:
                if ident in seen:
                    continue
                seen.add(ident)
                key = gen_of[ident].index if gen_of else None
                if key in last and ident < last[key]:
                    breaks.append((stream, last[key], ident, push))
                last[key] = ident
        return breaks


def read_entries(path):
    """sluice's positions file as a restart would load it (the snapshot,
    then the journal's records applied in order; a record that is not whole
    ends the replay): {(dev, ino): (offset, fp_len, fp_hash, size, path)},
    size None when not known; {} when there is none yet. (A v5 entry's state,
    "d" for done, is not returned.)"""
    out = {}
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return out
    lines = data.split(b"\n")
    version = lines[0].decode()
    fields = {"v5": 7, "v4": 6, "v3": 6, "v2": 5}.get(version[-2:], 3)
    complete = lines[1:-1] if lines[-1] else lines[1:]
    for raw in complete:
        if not raw or raw.startswith(b"#"):
            continue
        if raw.startswith(b"- "):
            parts = raw.split(b" ")
            out.pop((int(parts[1]), int(parts[2])), None)
            continue
        if raw.startswith(b"+ "):
            raw = raw[2:]
        parts = raw.split(b" ", fields)
        dev, ino, off = int(parts[0]), int(parts[1]), int(parts[2])
        if fields > 3:
            size = None
            if fields >= 6 and parts[5] != b"-":
                size = int(parts[5])
            out[(dev, ino)] = (off, int(parts[3]), int(parts[4], 16), size,
                               parts[fields].decode())
        else:
            out[(dev, ino)] = (off, 0, FNV_OFFSET, None, parts[3].decode())
    return out


def read_positions(path):
    """read_entries() as {(dev, ino): (offset, fp_len, fp_hash, path)}."""
    return {k: (v[0], v[1], v[2], v[4]) for k, v in read_entries(path).items()}


def saved_offset(positions, gen):
    """The offset a restart would resume `gen` at: its entry's offset when
    the file's first bytes still hash to the entry's fingerprint, else 0.
    None when the file is gone (nothing would read it again)."""
    if gen.deleted or gen.path is None:
        return None
    entry = positions.get((gen.dev, gen.ino))
    if entry is None:
        return 0
    off, fp_len, fp_hash, _ = entry
    try:
        with open(gen.path, "rb") as f:
            head = f.read(fp_len)
    except FileNotFoundError:
        return None
    if len(head) < fp_len or fnv1a(head) != fp_hash:
        return 0
    return off


def fd_targets(pid):
    """What the process's descriptors point to (readlink of /proc/PID/fd/*)."""
    out = []
    d = "/proc/%d/fd" % pid
    for name in os.listdir(d):
        try:
            out.append(os.readlink(os.path.join(d, name)))
        except OSError:
            pass
    return out


class Timer:
    """Named phase durations, printed as one line at the end."""

    def __init__(self, name):
        self.name = name
        self.t0 = self.last = time.monotonic()
        self.phases = []

    def mark(self, phase):
        now = time.monotonic()
        self.phases.append((phase, now - self.last))
        self.last = now

    def report(self, **extra):
        total = time.monotonic() - self.t0
        parts = ", ".join("%s %.2fs" % p for p in self.phases)
        more = "".join(", %s=%s" % kv for kv in extra.items())
        print("[%s] total %.2fs: %s%s" % (self.name, total, parts, more), flush=True)
