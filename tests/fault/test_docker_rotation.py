#!/usr/bin/env python3
"""Fault test: Docker's json-file rotation, byte for byte, around kills and
stops of sluice.

Docker's driver with max-size, max-file and compress rotates a container's
log like this: the oldest generation (NAME.{max-file - 1}, or .gz) is
removed, NAME.k becomes NAME.k+1, the live file becomes NAME.1, a new live
file is created, and with compress NAME.1 is gzipped into a new file
NAME.1.gz (its gzip header carrying {"lastTime": ...}) and NAME.1 removed.
DockerLog below does exactly that, at speed.

Two cases, each with and without compression, sluice at its defaults
(positions.sync_period 10s):
  - SIGKILL at random moments, restarted after a random pause during which
    the container goes on writing (and rotating);
  - SIGTERM, then 0 to 3 rotations while stopped, then a start.
The writer is held still while sluice is killed or stopped and while it
starts (until /ready), so the test knows which lines were on disk at each
start. Every line on disk then must arrive. A line in a generation Docker
deleted while sluice was down, before it was delivered, cannot arrive: the
test requires sluice to report each such file it knew of (in its log and
counters), and never to report a file still on disk.

Usage: test_docker_rotation.py BUILD_DIR [TEST_NAME...]
Environment: SL_FAULT_SEED overrides the random seed (printed).
"""
import json
import os
import random
import re
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import EntryReader, Timer, harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
SEED = int(os.environ.get("SL_FAULT_SEED", "20261205"))
CID = "d" * 64
MAX_SIZE = 192 << 10     # bytes: a rotation every ~1,400 lines
MAX_FILE = 3
WAIT = 60.0
LOST_RE = re.compile(r'file deleted while sluice was stopped.*?path="([^"]*)" device=(\d+) '
                     r'inode=(\d+) offset=(\d+) (bytes_lost|bytes_lost_at_least)=(\d+)')

CONFIG_EXTRA = {
    "positions": {"sync_period": "10s"},     # the default: the journal does the rest
    "target_config": {"sync_period": "1s"},
    "limits_config": {"max_buffered_bytes": 1 << 20},
}
CLIENT_EXTRA = {"batchwait": "100ms", "batchsize": 131072,
                "backoff_config": {"min_period": "50ms", "max_period": "500ms"}}


def gzip_docker(src, dst, last_time):
    """Docker's compressFile: a new file `dst` holding `src` gzipped, with
    {"lastTime": ...} as the header's extra field, written in two parts (a
    reader may see it half written), then `src` removed."""
    with open(src, "rb") as f:
        data = f.read()
    extra = json.dumps({"lastTime": last_time}).encode()
    header = (b"\x1f\x8b\x08\x04" + struct.pack("<I", int(time.time())) + b"\x00\xff"
              + struct.pack("<H", len(extra)) + extra)
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = co.compress(data) + co.flush()
    trailer = struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        os.write(fd, header + body[:len(body) // 2])
        os.write(fd, body[len(body) // 2:] + trailer)
    finally:
        os.close(fd)
    os.unlink(src)


class Generation:
    """One live file of the container, from its creation to its deletion."""

    def __init__(self, index, created):
        self.index = index
        self.created = created      # monotonic time of its creation
        self.dev = self.ino = None  # the live file's (a .gz copy has its own)
        self.ids = []
        self.ends = []
        self.deleted = None         # monotonic time of its deletion


class DockerLog(threading.Thread):
    """Writes `n_lines` json-file lines (one write each) at about `rate`
    lines/s, rotating as Docker does (see the top). `io_lock` is held while
    a line is written or a rotation made: holding it stops the container."""

    def __init__(self, path, n_lines, compress, rate=None, seed=1, first_id=0):
        super().__init__(daemon=True)
        self.path = path
        self.n_lines = n_lines
        self.compress = compress
        self.rate = rate
        self.rng = random.Random(seed)
        self.next_id = first_id
        self.io_lock = threading.Lock()
        self.gens = []
        self.fd = None
        self.size = 0
        self.rotations = 0
        self.error = None
        self._new_live()

    def _gen_path(self, k):
        return "%s.%d%s" % (self.path, k, ".gz" if self.compress else "")

    def _new_live(self):
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        st = os.fstat(self.fd)
        g = Generation(len(self.gens), time.monotonic())
        g.dev, g.ino = st.st_dev, st.st_ino
        self.gens.append(g)
        self.size = 0

    def rotate(self):
        """Docker's rotate(): called with io_lock held."""
        last = self._gen_path(MAX_FILE - 1)
        if os.path.exists(last):
            os.unlink(last)
            self.gens[-MAX_FILE].deleted = time.monotonic()
        for k in range(MAX_FILE - 1, 1, -1):
            if os.path.exists(self._gen_path(k - 1)):
                os.rename(self._gen_path(k - 1), self._gen_path(k))
        os.close(self.fd)
        os.rename(self.path, self.path + ".1")
        self._new_live()
        if self.compress:
            gzip_docker(self.path + ".1", self.path + ".1.gz",
                        time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime()))
        self.rotations += 1

    def write_one(self):
        """One line, rotating first when the live file is full. io_lock held."""
        if self.size >= MAX_SIZE:
            self.rotate()
        g = self.gens[-1]
        line = faultlib.line_for(self.next_id, g.index, self.rng.randint(20, 160))
        os.write(self.fd, line)
        self.size += len(line)
        g.ids.append(self.next_id)
        g.ends.append(self.size)
        self.next_id += 1

    def write_until_rotations(self, n):
        """Writes (no pacing) until `n` more rotations happened and the new
        live file has a few lines."""
        target = self.rotations + n
        with self.io_lock:
            while self.rotations < target:
                self.write_one()
            for _ in range(20):
                self.write_one()

    def run(self):
        try:
            t0 = time.monotonic()
            for i in range(self.n_lines):
                with self.io_lock:
                    self.write_one()
                if self.rate:
                    # Rate control of the fake container, not a wait.
                    ahead = t0 + (i + 1) / self.rate - time.monotonic()
                    if ahead > 0:
                        time.sleep(ahead)
        except Exception as e:  # surfaced by the test
            self.error = e

    def gen_of(self):
        return {i: g for g in self.gens for i in g.ids}


class DockerRotationTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-fault-")
        self.dir = os.path.join(self.tmp, "containers", CID)
        os.makedirs(self.dir)
        self.live = os.path.join(self.dir, CID + "-json.log")
        self.positions = os.path.join(self.tmp, "positions")
        self.config = os.path.join(self.tmp, "sluice.yaml")
        self.starts = 0
        self.agents = []

    def tearDown(self):
        for a in self.agents:
            if a.alive():
                a.stop(signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self):
        self.starts += 1
        agent = harness.Sluice(BUILD, self.config,
                               log_path="%s.%02d.log" % (self.config, self.starts))
        agent.start()
        self.agents.append(agent)
        harness.wait_until(lambda: self.ready(agent), WAIT, "sluice to be ready",
                           lambda: agent.log()[-2000:])
        return agent

    @staticmethod
    def ready(agent):
        if not agent.alive():
            raise AssertionError("sluice exited:\n" + agent.log()[-2000:])
        try:
            return harness._get(agent.metrics_url.replace("/metrics", "/ready"),
                                timeout=1.0)[0] == 200
        except Exception:
            return False

    def settle(self, reader):
        """What the receiver holds once a killed sluice's last request is
        done with: its count unchanged for 200 ms."""
        last, since = reader.poll(), time.monotonic()
        deadline = since + WAIT
        while time.monotonic() - since < 0.2:
            self.assertLess(time.monotonic(), deadline, "receiver never settled")
            time.sleep(0.02)
            n = reader.poll()
            if n != last:
                last, since = n, time.monotonic()

    @staticmethod
    def reported(agent):
        """(dev, ino) -> (path, offset, kind, bytes) of the lost-file
        warnings in an agent's log."""
        out = {}
        for m in LOST_RE.finditer(agent.log()):
            out[(int(m.group(2)), int(m.group(3)))] = (m.group(1), int(m.group(4)),
                                                       m.group(5), int(m.group(6)))
        return out

    def check_downtime(self, log, reader, down_from, down_to, agent_after, since=None):
        """Lines of generations deleted during [down_from, down_to] that had
        not arrived by then are lost; returns them. The generations sluice
        knew of (created well before it went down) with such lines must be
        reported by the sluice that started at down_to; nothing else but
        generations deleted meanwhile may be.

        With `since` (when the sluice killed at down_from started): a
        generation Docker deleted while that sluice ran, before it had read
        all of it (it falls behind on a loaded machine), was still open and
        readable, but the kill closed it: its missing lines are lost too, and
        the next sluice may report it."""
        lost, must, may = [], set(), set()
        for g in log.gens:
            if g.deleted is None or g.deleted > down_to:
                continue
            missing = [i for i in g.ids if reader.counts[i] == 0]
            if g.deleted < down_from:
                if since is None or g.deleted < since or not missing:
                    continue
                lost.extend(missing)
                may.add((g.dev, g.ino))
                continue
            lost.extend(missing)
            if g.created < down_from - 0.2:
                may.add((g.dev, g.ino))
                if missing:
                    must.add((g.dev, g.ino))
        got = set(self.reported(agent_after))
        self.assertTrue(must <= got, "lost files not reported: %s (reported %s)\n%s"
                        % (must - got, got, agent_after.log()[-3000:]))
        self.assertTrue(got <= may, "reported files not lost: %s\n%s"
                        % (got - may, agent_after.log()[-3000:]))
        return lost

    def write_config(self, rx):
        harness.write_config(self.config, rx.url, self.positions,
                             [(os.path.join(self.tmp, "containers", "*", "*-json.log"),
                               {"job": "docker"})],
                             pipeline_stages_yaml=faultlib.DOCKER_STAGES,
                             extra_client=CLIENT_EXTRA, extra=CONFIG_EXTRA)

    def kills(self, compress):
        rng = random.Random(SEED + compress)
        print("docker rotation, kills, compress=%s: seed %d" % (compress, SEED), flush=True)
        timer = Timer("docker rotation: SIGKILL, compress=%s" % compress)
        lost = []
        with harness.Receiver(BUILD, self.tmp, verbose=False) as rx:
            self.write_config(rx)
            reader = EntryReader(rx.entries_path)
            log = DockerLog(self.live, 30_000, compress, rate=2_500, seed=SEED)
            agent = self.start()
            started = time.monotonic()
            log.start()
            for _ in range(8):
                time.sleep(rng.uniform(0.3, 1.2))   # a random moment: fault injection
                with log.io_lock:
                    self.assertEqual(agent.stop(signal.SIGKILL), -signal.SIGKILL)
                    self.settle(reader)
                    down_from = time.monotonic()
                time.sleep(rng.uniform(0.1, 1.0))   # the container writes on meanwhile
                with log.io_lock:
                    down_to = time.monotonic()
                    agent = self.start()
                lost += self.check_downtime(log, reader, down_from, down_to, agent, since=started)
                started = down_to
            log.join(WAIT)
            self.assertIsNone(log.error)
            self.assertFalse(log.is_alive())
            expected = [i for i in range(log.next_id) if i not in set(lost)]
            reader.wait_all(expected, WAIT, detail=lambda: agent.log()[-2000:])
            self.assertEqual(agent.stop(), 0, agent.log()[-2000:])
            reader.poll()
        self.assertEqual(reader.missing(expected), [])
        self.assertEqual(reader.garbage[:5], [])
        timer.report(lines=log.next_id, rotations=log.rotations, kills=8, lost=len(lost),
                     duplicates=reader.duplicates())

    def test_sigkill_while_docker_rotates(self):
        self.kills(False)

    def test_sigkill_while_docker_rotates_and_compresses(self):
        self.kills(True)

    def stops(self, compress):
        timer = Timer("docker rotation: stops, compress=%s" % compress)
        with harness.Receiver(BUILD, self.tmp, verbose=False) as rx:
            self.write_config(rx)
            reader = EntryReader(rx.entries_path)
            log = DockerLog(self.live, 0, compress, seed=SEED)
            with log.io_lock:
                for _ in range(300):
                    log.write_one()
            agent = self.start()
            total_lost = []
            expected = range(log.next_id)
            for rotations in (0, 1, 2, 3, 2, 3):
                reader.wait_all(expected, WAIT, detail=lambda: agent.log()[-2000:])
                self.assertEqual(agent.stop(), 0, agent.log()[-2000:])
                self.settle(reader)
                down_from = time.monotonic()
                log.write_until_rotations(rotations)
                down_to = time.monotonic()
                agent = self.start()
                lost = self.check_downtime(log, reader, down_from, down_to, agent)
                total_lost += lost
                expected = [i for i in range(log.next_id) if i not in set(total_lost)]
                reader.wait_all(expected, WAIT, detail=lambda: agent.log()[-2000:])
                # Three rotations delete the file that was live at the stop
                # (max-file 3), after it grew: reported, with what sluice
                # knew of it (everything acknowledged: at least 0 bytes).
                rep = self.reported(agent)
                self.assertEqual(len(rep), 1 if rotations == 3 else 0, rep)
                for path, offset, kind, nbytes in rep.values():
                    self.assertEqual((path, kind, nbytes), (self.live, "bytes_lost_at_least", 0))
                    self.assertGreater(len(lost), 0)
                self.assertEqual(agent.metric("sluice_files_lost_total"), len(rep))
                self.assertEqual(agent.metric("sluice_lost_bytes_total"), 0)
                timer.mark("%d rotations while stopped: %d lost" % (rotations, len(lost)))
            self.assertEqual(agent.stop(), 0, agent.log()[-2000:])
            reader.poll()
        self.assertEqual(reader.missing(expected), [])
        # A graceful stop leaves nothing unacknowledged: nothing twice.
        self.assertEqual(reader.duplicates(), 0)
        self.assertEqual(reader.order_breaks(), [])
        timer.report(lines=log.next_id, rotations=log.rotations, lost=len(total_lost))

    def test_stops_across_rotations(self):
        self.stops(False)

    def test_stops_across_compressed_rotations(self):
        self.stops(True)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
