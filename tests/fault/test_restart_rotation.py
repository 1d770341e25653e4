#!/usr/bin/env python3
"""Fault tests: the log is rotated while sluice is stopped. The glob names
the live file only (containers/*/*-json.log), as most setups do, so after
the restart no glob leads to the file Docker renamed to <id>-json.log.1:
sluice must find it by the device and inode its positions file recorded,
and read it on from the saved offset before the new live file.

  SIGTERM, Loki refusing   lines read and pushed but refused (503) when
                           SIGTERM comes: sluice gives up at its shutdown
                           deadline and saves positions short of them; more
                           lines go to the old file, it is renamed to .1, a
                           new live file gets more; the restart delivers
                           every line, exactly once, in the order written,
                           all under the live file's name, and lets .1 go
  SIGKILL, Loki refusing   the same, killed (the positions saved last are
                           what the restart has)
  rotated while running    Loki refusing, the live file is renamed and a new one
                           created: sluice reads the renamed file to its end and
                           lets it go, then is killed; its entry is still in the
                           positions (nothing of it was acknowledged), so the
                           restart finds the renamed file and ships every line
  deleted while stopped    the old file is renamed and then deleted (Docker's
                           max-file): its unacknowledged lines cannot come
                           back; the new file's lines arrive, nothing else,
                           and the positions entry of the old file is dropped

Usage: test_restart_rotation.py BUILD_DIR [TEST_NAME...]
"""
import os
import shutil
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import EntryReader, Timer, harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
CID = "d" * 64
WAIT = 30          # seconds any single wait may take
ACKED = 2000       # lines shipped and acknowledged before the stop
UNACKED = 2000     # lines read and refused before the stop
UNSEEN = 500       # lines written to the old file while sluice is stopped
FRESH = 1000       # lines in the new live file

CONFIG_EXTRA = {
    "server": {"graceful_shutdown_timeout": "1s"},
    "positions": {"sync_period": "200ms"},
    "target_config": {"sync_period": "1s"},
}
# Retries never run out while Loki refuses: nothing is dropped.
CLIENT_EXTRA = {"batchwait": "100ms", "batchsize": 65536,
                "backoff_config": {"min_period": "50ms", "max_period": "200ms",
                                   "max_retries": 1000000}}


def read_positions(path):
    """sluice's positions file: {(dev, ino): (offset, size or None, path)};
    {} when there is none yet."""
    return {k: (v[0], v[3], v[4]) for k, v in faultlib.read_entries(path).items()}


class Log:
    """Appends json-file lines with unique ids to a container's log."""

    def __init__(self, path):
        self.path = path
        self.next = 0

    def write(self, count, gen):
        """Appends `count` lines (generation `gen`, for the line text) in one
        write; returns their ids."""
        first = self.next
        data = b"".join(faultlib.line_for(i, gen, 20 + i % 60)
                        for i in range(first, first + count))
        with open(self.path, "ab") as f:
            f.write(data)
        self.next += count
        return range(first, self.next)


class RestartRotationTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-fault-")
        self.dir = os.path.join(self.tmp, "containers", CID)
        os.makedirs(self.dir)
        self.live = os.path.join(self.dir, CID + "-json.log")
        self.rotated = self.live + ".1"
        self.positions = os.path.join(self.tmp, "positions")
        self.config = os.path.join(self.tmp, "sluice.yaml")
        self.starts = 0

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self):
        self.starts += 1
        agent = harness.Sluice(BUILD, self.config,
                               log_path="%s.%d.log" % (self.config, self.starts))
        agent.start()
        # A failing assertion must not leave the agent running.
        self.addCleanup(lambda: agent.alive() and agent.stop(signal.SIGKILL))
        agent.wait_metrics()
        return agent

    def stop_with_lines_unacknowledged(self, rx, reader, log, sig, timer):
        """Run 1: ACKED lines shipped and saved as acknowledged, then UNACKED
        lines read while Loki refuses every push, then `sig`. Returns the
        live file's identity and the ids of both parts."""
        harness.write_config(self.config, rx.url, self.positions,
                             [(os.path.join(self.tmp, "containers", "*", "*-json.log"),
                               {"job": "fault"})],
                             pipeline_stages_yaml=faultlib.DOCKER_STAGES,
                             extra_client=CLIENT_EXTRA, extra=CONFIG_EXTRA)
        acked = log.write(ACKED, 0)
        agent = self.start()
        reader.wait_all(acked, WAIT, detail=agent.log)
        st = os.stat(self.live)
        ident, acked_end = (st.st_dev, st.st_ino), st.st_size
        harness.wait_until(
            lambda: read_positions(self.positions).get(ident, (None,))[0] == acked_end,
            WAIT, "the acknowledged offset to be saved",
            lambda: "positions: %s" % read_positions(self.positions))
        timer.mark("run 1: %d lines acknowledged" % ACKED)

        rx.set_script("503x*")
        unacked = log.write(UNACKED, 0)
        harness.wait_until(
            lambda: (agent.metric("sluice_read_lines_total") == ACKED + UNACKED
                     and rx.stats()["statuses"].get("503", 0) >= 2),
            WAIT, "sluice to read everything and be refused",
            lambda: "stats %s\n%s" % (rx.stats(), agent.log()[-2000:]))
        timer.mark("%d lines read, pushes refused" % UNACKED)
        code = agent.stop(sig, timeout=WAIT)
        self.assertEqual(code, 0 if sig == signal.SIGTERM else -sig, agent.log()[-2000:])
        timer.mark("stopped by %s" % signal.Signals(sig).name)

        # What the restart will have: the offset after part 1, and (saved
        # at the stop, or some sync period before the kill) the size seen.
        saved = read_positions(self.positions)
        self.assertIn(ident, saved)
        off, size, name = saved[ident]
        self.assertEqual((off, name), (acked_end, self.live))
        self.assertIsNotNone(size)
        self.assertGreaterEqual(size, acked_end)
        if sig == signal.SIGTERM:
            self.assertEqual(size, os.stat(self.live).st_size)
        self.assertLess(off, os.stat(self.live).st_size)
        self.assertEqual(reader.missing(unacked), list(unacked),
                         "refused lines must not have arrived")
        return ident, acked, unacked

    def rotated_while_stopped(self, sig):
        name = "restart after rotation, %s" % signal.Signals(sig).name
        timer = Timer(name)
        log = Log(self.live)
        with harness.Receiver(BUILD, self.tmp, verbose=False) as rx:
            reader = EntryReader(rx.entries_path)
            ident, acked, unacked = self.stop_with_lines_unacknowledged(rx, reader, log, sig,
                                                                       timer)
            # Stopped: the container writes on, Docker rotates (rename, new
            # file), the container writes into the new file.
            unseen = log.write(UNSEEN, 0)
            os.rename(self.live, self.rotated)
            fresh = log.write(FRESH, 1)
            self.assertNotEqual(os.stat(self.live).st_ino, ident[1])
            rx.set_script("")
            timer.mark("rotated while stopped")

            agent = self.start()
            expected = range(0, log.next)
            reader.wait_all(expected, WAIT, detail=agent.log)
            timer.mark("restart: %d lines arrived" % (UNACKED + UNSEEN + FRESH))
            # The rotated file is read to its end and let go.
            harness.wait_until(
                lambda: not [p for p in faultlib.fd_targets(agent.proc.pid)
                             if p.startswith(self.rotated)],
                WAIT, "sluice to close the rotated file",
                lambda: "open: %s" % faultlib.fd_targets(agent.proc.pid))
            self.assertEqual(agent.stop(), 0, agent.log()[-2000:])
            reader.poll()
            timer.mark("stop")

        self.assertEqual(reader.missing(expected), [])
        self.assertEqual(reader.garbage[:5], [], "lines that are not lines written")
        # Refused lines were never recorded, so nothing arrived twice.
        self.assertEqual(reader.duplicates(), 0)
        # One stream: the rotated file's lines carry the live file's name.
        self.assertEqual(list(reader.filenames.values()), [self.live])
        # In the order written: what was left of the old file, then the new.
        self.assertEqual(reader.order_breaks(), [])
        # Saved at exit: the old file's entry pruned, the new one acked.
        saved = read_positions(self.positions)
        self.assertNotIn(ident, saved)
        st = os.stat(self.live)
        self.assertEqual(saved.get((st.st_dev, st.st_ino), (None,))[0], st.st_size)
        timer.report(acked=len(acked), unacked=len(unacked), unseen=len(unseen),
                     fresh=len(fresh), received=reader.n, duplicates=reader.duplicates())

    def test_sigterm_while_loki_refuses_then_rotation(self):
        self.rotated_while_stopped(signal.SIGTERM)

    def test_sigkill_while_loki_refuses_then_rotation(self):
        self.rotated_while_stopped(signal.SIGKILL)

    def test_rotated_while_running_then_killed_before_the_ack(self):
        """Rotation while sluice runs and Loki refuses: sluice reads the
        renamed file to its end and lets it go, positions are saved a few
        times, then sluice is killed. The old file's entry must still be
        in the positions (its lines were never acknowledged), so the restart
        finds the renamed file and ships its lines."""
        timer = Timer("rotated while running, killed before the ack")
        log = Log(self.live)
        with harness.Receiver(BUILD, self.tmp, verbose=False) as rx:
            reader = EntryReader(rx.entries_path)
            harness.write_config(self.config, rx.url, self.positions,
                                 [(os.path.join(self.tmp, "containers", "*", "*-json.log"),
                                   {"job": "fault"})],
                                 pipeline_stages_yaml=faultlib.DOCKER_STAGES,
                                 # Reading pauses once a batch waits behind the
                                 # one Loki refuses: the refused lines must fit
                                 # in two batches for both files to be read.
                                 extra_client=dict(CLIENT_EXTRA, batchsize=1 << 20),
                                 extra=CONFIG_EXTRA)
            acked = log.write(ACKED, 0)
            agent = self.start()
            reader.wait_all(acked, WAIT, detail=agent.log)
            old = os.stat(self.live)
            ident = (old.st_dev, old.st_ino)
            harness.wait_until(
                lambda: read_positions(self.positions).get(ident, (None,))[0] == old.st_size,
                WAIT, "the acknowledged offset to be saved")
            rx.set_script("503x*")
            unacked = log.write(UNACKED, 0)
            os.rename(self.live, self.rotated)
            fresh = log.write(FRESH, 1)
            new = os.stat(self.live)
            harness.wait_until(
                lambda: (agent.metric("sluice_read_lines_total") == ACKED + UNACKED + FRESH
                         and not [p for p in faultlib.fd_targets(agent.proc.pid)
                                  if p.startswith(self.rotated)]
                         and (new.st_dev, new.st_ino) in read_positions(self.positions)),
                WAIT, "sluice to read both files, let the renamed one go and save positions",
                lambda: "positions %s\n%s" % (read_positions(self.positions),
                                               agent.log()[-2000:]))
            timer.mark("rotated while running: %d + %d lines read, refused"
                       % (UNACKED, FRESH))
            saved = read_positions(self.positions)
            self.assertIn(ident, saved, "the released file's entry was dropped before the ack")
            self.assertEqual(saved[ident][0], old.st_size)
            self.assertEqual(agent.stop(signal.SIGKILL, timeout=WAIT), -signal.SIGKILL)
            timer.mark("killed")

            rx.set_script("")
            agent = self.start()
            expected = range(0, log.next)
            reader.wait_all(expected, WAIT, detail=agent.log)
            self.assertEqual(agent.stop(), 0, agent.log()[-2000:])
            reader.poll()
            timer.mark("restart: every line arrived")
        self.assertEqual(reader.missing(expected), [])
        self.assertEqual(reader.duplicates(), 0)
        timer.report(acked=len(acked), unacked=len(unacked), fresh=len(fresh),
                     received=reader.n)

    def test_rotated_and_deleted_while_stopped(self):
        """Docker's max-file: the rotated file is deleted by the next
        rotation. What it held past the saved offset cannot arrive; the new
        file must, and the old file's entry must not linger."""
        timer = Timer("restart after rotation and deletion")
        log = Log(self.live)
        with harness.Receiver(BUILD, self.tmp, verbose=False) as rx:
            reader = EntryReader(rx.entries_path)
            ident, acked, unacked = self.stop_with_lines_unacknowledged(
                rx, reader, log, signal.SIGTERM, timer)
            os.rename(self.live, self.rotated)
            os.unlink(self.rotated)
            fresh = log.write(FRESH, 1)
            rx.set_script("")
            timer.mark("rotated and deleted while stopped")

            agent = self.start()
            reader.wait_all(fresh, WAIT, detail=agent.log)
            timer.mark("restart: %d new lines arrived" % FRESH)
            # Saved without the old file's entry (a positions sync later);
            # if the new file got its inode, the entry is the new file's.
            st = os.stat(self.live)
            reused = (st.st_dev, st.st_ino) == ident
            harness.wait_until(
                lambda: read_positions(self.positions).get(ident, (None,))[0] ==
                (st.st_size if reused else None), WAIT, "the deleted file's entry to go",
                lambda: "positions: %s" % read_positions(self.positions))
            self.assertEqual(agent.stop(), 0, agent.log()[-2000:])
            reader.poll()
            timer.mark("stop")

        self.assertEqual(reader.missing(fresh), [])
        self.assertEqual(reader.missing(acked), [])
        self.assertEqual(reader.duplicates(), 0)
        # Also if the new file got the old inode: its first bytes tell it is
        # another file, read from its start.
        lost = reader.missing(unacked)
        self.assertEqual(lost, list(unacked))
        timer.report(fresh=len(fresh), lost=len(lost), received=reader.n, inode_reused=reused)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
