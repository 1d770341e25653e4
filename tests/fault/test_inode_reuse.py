#!/usr/bin/env python3
"""Fault test: a file deleted and replaced at the same path, the new file
likely getting the old inode (ext4, xfs... hand freed inodes out again).

  while sluice is stopped   the saved position (device, inode, offset) now
                            names the new file; its first bytes differ from
                            the saved fingerprint, so it is read from 0
  while sluice runs         the file is deleted with lines it has not read
                            yet (read to its end, then released), and once
                            released a new file takes its path (and likely
                            its inode): read from 0 as well

The new files are made so that the old offset falls just after a '\\n' in
them: the offset check alone would accept it and skip their first lines.

Usage: test_inode_reuse.py BUILD_DIR [TEST_NAME...]
"""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import EntryReader, Timer, harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
CID = "e" * 64


def lines_ending_at(first_id, gen, boundary, total_lines):
    """At least total_lines json-file lines from first_id, one of which ends
    exactly at byte `boundary`. Returns (bytes, ids)."""
    short = len(faultlib.line_for(first_id, gen, 0))
    assert boundary >= 2 * short + 100, boundary
    out, size, ident, hit = [], 0, first_id, False
    while len(out) < total_lines or not hit:
        rest = boundary - size
        if not hit and rest < 2 * short + 100:
            # rest >= short + 31 here: the line before was at most short + 69.
            line = faultlib.line_for(ident, gen, rest - short)
            hit = True
        else:
            line = faultlib.line_for(ident, gen, 40 + ident % 30)
        out.append(line)
        size += len(line)
        ident += 1
    data = b"".join(out)
    assert data[boundary - 1:boundary] == b"\n"
    return data, list(range(first_id, ident))


class InodeReuseTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-fault-")
        self.dir = os.path.join(self.tmp, "containers", CID)
        os.makedirs(self.dir)
        self.path = os.path.join(self.dir, CID + "-json.log")
        # sluice's positions saves create files too, and would take the
        # freed inodes this test wants back: on another file system if there
        # is one at hand.
        self.pos_dir = None
        if os.path.isdir("/dev/shm") and os.stat("/dev/shm").st_dev != os.stat(self.tmp).st_dev:
            self.pos_dir = tempfile.mkdtemp(prefix="sluice-fault-", dir="/dev/shm")
        self.positions = os.path.join(self.pos_dir or self.tmp, "positions")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.pos_dir:
            shutil.rmtree(self.pos_dir, ignore_errors=True)

    def replace_file(self, data, old_ino):
        """Deletes the file at self.path and writes `data` there, trying a few
        times to get inode `old_ino` back. Returns whether it did."""
        for _ in range(20):
            os.unlink(self.path)
            with open(self.path, "wb") as f:
                f.write(data)
            if os.stat(self.path).st_ino == old_ino:
                return True
        return False

    def place_on_inode(self, data, ino, timeout=2.0):
        """Writes `data` at self.path, on inode `ino` if the file system
        hands it out within `timeout`: candidates are written under names
        no glob matches (sluice's own positions saves compete for freed
        inodes), and the one on `ino` is renamed into place."""
        attempts = []

        def attempt():
            name = os.path.join(self.dir, "attempt-%d" % len(attempts))
            with open(name, "wb") as f:
                f.write(data)
            attempts.append(name)
            return os.stat(name).st_ino == ino
        try:
            harness.wait_until(attempt, timeout, "inode %d again" % ino)
        except harness.WaitTimeout:
            pass
        os.rename(attempts[-1], self.path)
        for name in attempts[:-1]:
            os.unlink(name)

    def test_new_file_on_a_reused_inode_is_read_from_zero(self):
        timer = Timer("inode reuse")
        config = os.path.join(self.tmp, "sluice.yaml")
        a_ids = list(range(0, 200))
        with open(self.path, "wb") as f:
            for i in a_ids:
                f.write(faultlib.line_for(i, 0, 40 + i % 30))
        st_a = os.stat(self.path)
        reuse_notes = []

        with harness.Receiver(BUILD, self.tmp, verbose=False) as rx:
            harness.write_config(config, rx.url, self.positions,
                                 [(os.path.join(self.tmp, "containers", "*", "*-json.log"),
                                   {"job": "fault"})],
                                 pipeline_stages_yaml=faultlib.DOCKER_STAGES,
                                 extra={"positions": {"sync_period": "200ms"}})
            reader = EntryReader(rx.entries_path)

            # 1. Read A whole; a clean stop saves its position.
            with harness.Sluice(BUILD, config) as agent:
                reader.wait_all(a_ids, 30, detail=agent.log)
                self.assertEqual(agent.stop(), 0, agent.log())
            saved = faultlib.read_positions(self.positions)
            off, fp_len, fp_hash, _ = saved[(st_a.st_dev, st_a.st_ino)]
            self.assertEqual(off, st_a.st_size)
            self.assertEqual(fp_len, faultlib.FINGERPRINT_MAX)
            with open(self.path, "rb") as f:
                self.assertEqual(faultlib.fnv1a(f.read(fp_len)), fp_hash)
            timer.mark("A read, stopped")

            # 2. Stopped: A deleted, B written at the same path.
            b_data, b_ids = lines_ending_at(1000, 1, st_a.st_size, 300)
            if not self.replace_file(b_data, st_a.st_ino):
                # No reuse on this file system: make the positions say what
                # reuse would, the old entry on the new inode.
                st_b = os.stat(self.path)
                with open(self.positions, "rb") as f:
                    text = f.read()
                old = b"%d %d " % (st_a.st_dev, st_a.st_ino)
                self.assertIn(b"\n" + old, text)
                text = text.replace(b"\n" + old, b"\n%d %d " % (st_b.st_dev, st_b.st_ino))
                with open(self.positions, "wb") as f:
                    f.write(text)
                reuse_notes.append("stopped: inode not reused, simulated in the positions file")
            else:
                reuse_notes.append("stopped: inode reused")
            st_b = os.stat(self.path)
            with harness.Sluice(BUILD, config) as agent:
                reader.wait_all(b_ids, 30, detail=agent.log)
                timer.mark("B read from 0")

                # 3. Running: lines appended to the file, the file deleted at
                # once (read to its end, then released: its descriptor
                # closed), then a new one at the same path, on the freed
                # inode if the file system hands it out (other processes may
                # take it first: up to three rounds).
                more, d_ids = [], []
                cur_ino = st_b.st_ino
                for rnd in range(3):
                    extra = list(range(2000 + 1000 * rnd, 2100 + 1000 * rnd))
                    with open(self.path, "ab") as f:
                        for i in extra:
                            f.write(faultlib.line_for(i, 1, 50))
                    old_size = os.stat(self.path).st_size
                    os.unlink(self.path)
                    reader.wait_all(extra, 30, detail=agent.log)
                    harness.wait_until(
                        lambda: not [t for t in faultlib.fd_targets(agent.proc.pid)
                                     if t.startswith(self.dir)], 20, "the file to be released")
                    more += extra
                    d_data, ids = lines_ending_at(10000 + 1000 * rnd, 2, old_size, 400)
                    self.place_on_inode(d_data, cur_ino)
                    st_d = os.stat(self.path)
                    reader.wait_all(ids, 30, detail=agent.log)
                    d_ids += ids
                    reused = st_d.st_ino == cur_ino
                    cur_ino = st_d.st_ino
                    timer.mark("round %d: deleted while open, new file read from 0" % rnd)
                    if reused:
                        break
                reuse_notes.append("running: inode %s (round %d)" % (
                    "reused" if reused else "not reused", rnd))
                self.assertEqual(agent.stop(), 0, agent.log())
            reader.poll()

        expected = a_ids + b_ids + more + d_ids
        timer.report(lines=len(expected), received=reader.n, duplicates=reader.duplicates(),
                     reuse="; ".join(reuse_notes))
        self.assertEqual(reader.missing(expected), [])
        self.assertEqual(reader.duplicates(), 0)
        self.assertEqual(sorted(reader.counts), sorted(expected))
        # D's position: its own fingerprint, all of it acknowledged.
        saved = faultlib.read_positions(self.positions)
        off, fp_len, fp_hash, _ = saved[(st_d.st_dev, st_d.st_ino)]
        self.assertEqual(off, len(d_data))
        self.assertEqual(fp_hash, faultlib.fnv1a(d_data[:fp_len]))
        self.assertEqual(fp_len, faultlib.FINGERPRINT_MAX)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
