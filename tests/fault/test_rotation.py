#!/usr/bin/env python3
"""Fault tests: rotation under load. The real sluice follows one container's
json-file log while a writer thread appends 200,000 lines, each with a
unique id, and rotates the log every 2 MiB; the receiver must end up with
every line.

  rename                 Docker's max-size/max-file (x-json.log -> .1 -> .2,
                         the oldest deleted by the rename over it), glob on
                         the live name only: every line exactly once, in
                         order per stream (a rotated file's last lines come
                         before its successor's first ones)
  rename, rotated names  the same with a glob matching the rotated names too
                         (*-json.log*): nothing read twice
  copytruncate           logrotate's copy-then-truncate, glob matching the
                         copies: every line at least once; duplicates counted
  copytruncate, slow looks  the same in poll mode with a 300 ms period and a
                         small file: the live file is truncated and written
                         past sluice's offset again between two looks, which
                         only its first bytes (the fingerprint) can tell
  poll mode              rename rotation with target_config.poll (no
                         inotify): every line exactly once

Usage: test_rotation.py BUILD_DIR [TEST_NAME...]
"""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import EntryReader, LogWriter, Timer, harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
LINES = 200_000
ROTATE_BYTES = 2 << 20
CID = "f" * 64


class RotationTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-fault-")
        self.dir = os.path.join(self.tmp, "containers", CID)
        os.makedirs(self.dir)
        self.live = os.path.join(self.dir, CID + "-json.log")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_rotation(self, name, mode, glob, poll=False, rate=None, lines=LINES,
                     rotate_bytes=ROTATE_BYTES, max_files=3, poll_period="100ms"):
        """Runs sluice against the receiver while a LogWriter writes `lines`
        lines with `mode` rotation; returns (reader, writer) once every id
        arrived and sluice stopped (SIGTERM, exit 0)."""
        timer = Timer(name)
        config = os.path.join(self.tmp, "sluice.yaml")
        extra = {"positions": {"sync_period": "500ms"},
                 "target_config": {"sync_period": "1s", "poll": poll,
                                   "poll_period": poll_period}}
        with harness.Receiver(BUILD, self.tmp, verbose=False) as rx:
            harness.write_config(config, rx.url, os.path.join(self.tmp, "positions"),
                                 [(os.path.join(self.tmp, "containers", "*", glob),
                                   {"job": "fault"})],
                                 pipeline_stages_yaml=faultlib.DOCKER_STAGES, extra=extra)
            reader = EntryReader(rx.entries_path)
            with harness.Sluice(BUILD, config) as agent:
                agent.wait_metrics()
                timer.mark("start")
                writer = LogWriter(self.live, lines, rotate_bytes, max_files=max_files,
                                   mode=mode, rate=rate, seed=7)
                writer.start()
                harness.wait_until(writer.done.is_set, 120, "the writer")
                self.assertIsNone(writer.error)
                timer.mark("write %d lines, %d rotations" % (lines, writer.rotations))
                reader.wait_all(writer.expected_ids(), 120, detail=agent.log)
                timer.mark("arrive")
                metrics = harness.parse_metrics(agent.metrics())
                self.assertEqual(agent.stop(), 0, agent.log())
            reader.poll()
            timer.mark("stop")
        self.assertEqual(reader.missing(writer.expected_ids()), [])
        self.assertEqual(reader.garbage[:5], [], "lines that are not lines written")
        # Saved at exit after a prune: only files that are there, under the
        # name they have now (rotated names included), fully acknowledged.
        positions = faultlib.read_positions(os.path.join(self.tmp, "positions"))
        self.assertTrue(positions)
        for (dev, ino), (off, _, _, path) in positions.items():
            st = os.stat(path)
            self.assertEqual((st.st_dev, st.st_ino, st.st_size), (dev, ino, off), path)
        self.timer, self.metrics = timer, metrics
        return reader, writer

    def metric(self, name):
        return int(self.metrics.get((name, frozenset()), -1))

    def report(self, reader, writer, **extra):
        self.timer.report(lines=len(writer.expected_ids()), received=reader.n, duplicates=reader.duplicates(),
                          rotations=writer.rotations, files=len(writer.gens),
                          gone=sum(1 for g in writer.gens if g.deleted),
                          streams=len(reader.by_stream),
                          sluice_rotations=self.metric("sluice_file_rotations_total"),
                          sluice_truncations=self.metric("sluice_file_truncations_total"),
                          **extra)

    def test_rename_rotation_exactly_once_in_order(self):
        """Docker deletes the oldest file without asking anyone: safe here
        because sluice opened every file when it appeared (an inotify event
        away) and follows it by its descriptor. What no agent can read is a
        file renamed out of the glob before it was ever seen (see the poll
        mode run, and the crash loop, where sluice is down at times)."""
        reader, writer = self.run_rotation("rename", "rename", "*-json.log")
        self.report(reader, writer)
        self.assertEqual(reader.duplicates(), 0)
        # One stream (the live name): ids in the order written, across files.
        self.assertEqual(len(reader.by_stream), 1)
        self.assertEqual(reader.order_breaks(), [])
        self.assertGreaterEqual(writer.rotations, 10)

    def test_rename_rotation_with_rotated_names_globbed_reads_nothing_twice(self):
        reader, writer = self.run_rotation("rename, rotated names", "rename", "*-json.log*")
        self.report(reader, writer)
        self.assertEqual(reader.duplicates(), 0)
        self.assertEqual(reader.order_breaks(writer.gen_of), [])
        # Files were opened under their live name, and kept when renamed.
        self.assertEqual(len(reader.by_stream), 1)
        self.assertEqual(reader.order_breaks(), [])

    def check_copytruncate(self, name, reader, writer):
        live = [s for s, f in reader.filenames.items() if f == self.live]
        copies = [s for s in reader.by_stream if s not in live]
        seen_live = set(i for s in live for i, _ in reader.by_stream[s])
        from_copies_only = sum(1 for i in writer.expected_ids() if i not in seen_live)
        self.report(reader, writer, copies_streams=len(copies),
                    read_only_from_a_copy=from_copies_only)
        print("%s: %d of %d lines arrived twice (read from the live file and again from "
              "its copy); %d arrived only from a copy (the live file was truncated before "
              "sluice read them)" % (name, reader.duplicates(), len(writer.expected_ids()),
                                     from_copies_only), flush=True)
        # The live file is read in order, and from 0 again after each
        # truncation: of every generation of its content, what was read from
        # the live file is a beginning (up to where sluice was when the
        # file was truncated), never a middle (which reading on from the old
        # offset would give). Two truncations with no look between (sluice a
        # whole file behind) are one for sluice: the content between is read
        # from its copy only.
        self.assertEqual(len(live), 1)
        self.assertEqual(reader.order_breaks(), [])
        for g in writer.gens:
            if g.kind == "live":
                got = [i for i in g.ids if i in seen_live]
                self.assertEqual(got, g.ids[:len(got)],
                                 "generation %d of the live file was not read from its start"
                                 % g.index)
        self.assertGreaterEqual(self.metric("sluice_file_truncations_total"), 1)
        self.assertLessEqual(self.metric("sluice_file_truncations_total"), writer.rotations)
        # Nothing arrives more than twice: once live, once from one copy.
        self.assertLessEqual(max(reader.counts.values()), 2)

    def test_copytruncate_at_least_once(self):
        """copytruncate races by nature: lines written between the copy and
        the truncation are in neither file (the writer does both, so here
        there are none), and a glob on the live name alone loses whatever
        sluice had not read when the file was truncated. So the copies are
        globbed too: each is a new file, read from 0, and what sluice had
        already read from the live file arrives again from the copy. Nothing
        may be missing; the duplicates are counted and printed."""
        reader, writer = self.run_rotation("copytruncate", "copytruncate", "*-json.log*")
        self.check_copytruncate("copytruncate", reader, writer)

    def test_copytruncate_regrown_between_looks(self):
        """Poll mode, a look every 300 ms, a 256 KiB file copied and truncated
        about every 90 ms (copies kept): at a look the live file has been
        truncated many times and is often longer than the offset sluice had
        read to. Reading on from there would hand out the middle of new
        content (and a broken first line); the first bytes tell."""
        reader, writer = self.run_rotation("copytruncate, slow looks", "copytruncate",
                                           "*-json.log*", poll=True, rate=20_000,
                                           lines=60_000, rotate_bytes=256 << 10,
                                           max_files=1000, poll_period="300ms")
        self.check_copytruncate("copytruncate, slow looks", reader, writer)

    def test_poll_mode_rename_rotation_exactly_once(self):
        """No inotify: sl_tailer_poll every 100 ms. With a glob on the live
        name only, a file must live longer than one poll period to be seen
        at all, so the writer keeps to 50,000 lines/s (about 0.3 s per 2 MiB
        file)."""
        reader, writer = self.run_rotation("poll mode", "rename", "*-json.log", poll=True,
                                           rate=50_000)
        self.report(reader, writer)
        self.assertEqual(reader.duplicates(), 0)
        self.assertEqual(reader.order_breaks(), [])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
