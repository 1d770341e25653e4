#!/usr/bin/env python3
"""Fault test: crash loop. While a writer thread writes 200,000 lines into a
container's log and rotates it (Docker's rename scheme, max-file 3), sluice
is killed with SIGKILL at 20 random moments and started again. Every line
must arrive at least once, and the duplicates must all come from what was
not acknowledged at some kill.

Usage: test_crash_loop.py BUILD_DIR [TEST_NAME...]
Environment: SL_FAULT_SEED overrides the random seed (printed).
"""
import bisect
import os
import random
import shutil
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import EntryReader, LogWriter, Timer, harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
SEED = int(os.environ.get("SL_FAULT_SEED", "20251126"))
LINES = 200_000
KILLS = 20
RATE = 12_000            # lines/s: the writing (about 17 s) spans the kills
SYNC_PERIOD = 0.1        # positions.sync_period, s
SLACK = 0.4              # s: a save's own time and the loop's lateness
ROTATE_BYTES = 2 << 20
CID = "c" * 64

# What a kill can leave unacknowledged, and so what a restart may send
# again. sluice's saved position of a file is at most sync_period old
# (positions.sync_period, 100 ms here), and a position only ever moves to
# a batch's mark once Loki answered for that batch. So at a kill, the lines
# delivered but not covered by the saved positions are
#   (a) those acknowledged since the last save: what was pushed in the last
#       sync_period (plus one save's duration), and
#   (b) those in a batch the receiver recorded but whose answer sluice had
#       not processed yet: at most the batches in flight and buffered, which
#       limits_config.max_buffered_bytes caps (1 MiB here, plus the 256 KiB
#       batch being filled and one 1 MiB read budget of overshoot).
# Everything after the saved position of a file is read again at the
# restart (the fingerprint still matches: the files are the same), so the
# test computes, at each kill, exactly this window: the ids the receiver
# holds whose line ends past the position a restart would use for its file.
# The duplicates of the whole run may not exceed the sum of the windows, and
# every duplicated id must lie in as many windows as it has extra copies.
# And the windows themselves must be what (a) and (b) allow: a line in the
# window of kill k arrived within SYNC_PERIOD + SLACK before the kill (it
# was not saved yet), or was in the window of kill k-1 already (the sluice
# started in between was killed before it saved past it; saved positions
# never move back). A sluice that saved late, or not at all, fails this.
CONFIG_EXTRA = {
    "server": {"disable": True},
    "positions": {"sync_period": "%dms" % (SYNC_PERIOD * 1000)},
    "target_config": {"sync_period": "1s"},
    "limits_config": {"max_buffered_bytes": 1 << 20},
}
CLIENT_EXTRA = {"batchwait": "100ms", "batchsize": 262144,
                "backoff_config": {"min_period": "50ms", "max_period": "500ms"}}


class CrashLoopTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-fault-")
        self.dir = os.path.join(self.tmp, "containers", CID)
        os.makedirs(self.dir)
        self.live = os.path.join(self.dir, CID + "-json.log")
        self.positions = os.path.join(self.tmp, "positions")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def fully_acked(self, gen):
        """Whether sluice's saved positions cover all of `gen`."""
        off = faultlib.saved_offset(faultlib.read_positions(self.positions), gen)
        return off is not None and gen.ends and off >= gen.ends[-1]

    def wait_acked(self, gen):
        """The writer's before_delete: Docker would delete the oldest file
        now, acknowledged or not. A file deleted while sluice is down and
        not yet read is lost to any agent, so the writer waits until sluice
        saved the whole file as acknowledged (it may be killed and restarted
        meanwhile)."""
        harness.wait_until(lambda: self.fully_acked(gen), 60,
                           "positions to cover %r before it is deleted" % (gen,))

    def test_sigkill_loop_loses_nothing(self):
        rng = random.Random(SEED)
        print("crash loop: seed %d (SL_FAULT_SEED to repeat)" % SEED, flush=True)
        timer = Timer("crash loop")
        config = os.path.join(self.tmp, "sluice.yaml")
        windows = []            # per kill: ids delivered but past the saved position
        window_bytes = []       # per kill: their bytes in the files
        recent = []             # per kill: arrivals in the SYNC_PERIOD + SLACK before it
        samples = [(time.monotonic(), 0)]   # (time, arrivals so far)
        last_kill = 0.0
        push_at_kill = []       # the receiver's last push number at each kill
        starts = 0

        with harness.Receiver(BUILD, self.tmp, verbose=False) as rx:
            harness.write_config(config, rx.url, self.positions,
                                 [(os.path.join(self.tmp, "containers", "*", "*-json.log*"),
                                   {"job": "fault"})],
                                 pipeline_stages_yaml=faultlib.DOCKER_STAGES,
                                 extra_client=CLIENT_EXTRA, extra=CONFIG_EXTRA)
            reader = EntryReader(rx.entries_path)

            def start():
                nonlocal starts
                starts += 1
                agent = harness.Sluice(BUILD, config,
                                       log_path="%s.%02d.log" % (config, starts))
                return agent.start()

            agent = start()
            writer = LogWriter(self.live, LINES, ROTATE_BYTES, max_files=3, mode="rename",
                               rate=RATE, seed=SEED, before_delete=self.wait_acked)
            writer.start()
            timer.mark("start")

            for k in range(KILLS):
                # A random moment (fault injection, not a wait for a
                # condition); arrivals are sampled meanwhile.
                deadline = time.monotonic() + rng.uniform(0.2, 1.0)
                while time.monotonic() < deadline:
                    samples.append((time.monotonic(), reader.poll()))
                    time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
                self.assertTrue(agent.alive(), "sluice died by itself:\n" + agent.log())
                killed_at = time.monotonic()
                self.assertEqual(agent.stop(signal.SIGKILL), -signal.SIGKILL)
                # What the receiver holds once the killed process's last
                # request is done with (recorded whole, or not at all): its
                # counters unchanged for 150 ms.
                last = [None, 0.0]

                def quiet():
                    s = rx.stats()
                    key, now = (s["pushes"], s["entries"]), time.monotonic()
                    if key != last[0]:
                        last[0], last[1] = key, now
                    return now - last[1] >= 0.15
                harness.wait_until(quiet, 5, "the receiver to settle")
                with writer.io_lock:
                    reader.poll()
                    positions = faultlib.read_positions(self.positions)
                    window, nbytes = [], 0
                    with writer.lock:
                        for gen in writer.gens:
                            off = faultlib.saved_offset(positions, gen)
                            if off is None:
                                continue
                            prev = 0
                            for i, end in zip(gen.ids, gen.ends):
                                if end > off and reader.counts[i]:
                                    window.append(i)
                                    nbytes += end - prev
                                prev = end
                windows.append(window)
                window_bytes.append(nbytes)
                # Arrivals since the last sample before the interval began
                # (a conservative count: the interval is widened, not cut).
                since = max(last_kill, killed_at - SYNC_PERIOD - SLACK)
                before = max(n for t, n in samples if t <= since)
                recent.append(reader.n - before)
                samples.append((time.monotonic(), reader.n))
                last_kill = time.monotonic()
                push_at_kill.append(max((p for seq in reader.by_stream.values()
                                         for _, p in seq), default=0))
                # Down for a random while, up to a rotation's worth of lines.
                time.sleep(rng.uniform(0.0, 0.2))
                agent = start()
            timer.mark("%d kills" % KILLS)

            harness.wait_until(writer.done.is_set, 120, "the writer")
            self.assertIsNone(writer.error)
            timer.mark("write")
            reader.wait_all(writer.expected_ids(), 120, detail=agent.log)
            timer.mark("arrive")
            self.assertEqual(agent.stop(), 0, agent.log())
            reader.poll()

        expected = writer.expected_ids()
        self.assertEqual(reader.missing(expected), [])
        dups = reader.duplicates()
        bound = sum(len(w) for w in windows)
        timer.report(lines=LINES, received=reader.n, duplicates=dups, window_sum=bound,
                     windows="/".join(str(len(w)) for w in windows),
                     max_window_kib=max(window_bytes) // 1024,
                     rotations=writer.rotations, starts=starts)
        self.assertLessEqual(dups, bound, "more duplicates than was unacknowledged at the kills")
        for k, w in enumerate(windows):
            allowed = recent[k] + (len(windows[k - 1]) if k else 0)
            self.assertLessEqual(len(w), allowed,
                                 "kill %d: %d lines unsaved, but only %d arrived in the last "
                                 "%.1f s (+ %d unsaved at the kill before)" % (
                                     k, len(w), recent[k], SYNC_PERIOD + SLACK,
                                     len(windows[k - 1]) if k else 0))
        # Every extra copy of an id is explained by a kill that found it
        # delivered but not saved.
        in_windows = {}
        for w in windows:
            for i in w:
                in_windows[i] = in_windows.get(i, 0) + 1
        unexplained = [i for i, c in reader.counts.items() if c - 1 > in_windows.get(i, 0)]
        self.assertEqual(unexplained[:20], [], "%d duplicated ids no kill explains"
                         % len(unexplained))
        # Within one run of sluice, each file's lines arrive in the order
        # written (re-sends after a restart go back, by design).
        breaks = []
        for stream, seq in reader.by_stream.items():
            last = {}
            for ident, push in seq:
                session = bisect.bisect_left(push_at_kill, push)
                key = (session, writer.gen_of[ident].index)
                if key in last and ident < last[key]:
                    breaks.append((stream, session, last[key], ident))
                last[key] = ident
        self.assertEqual(breaks[:10], [])


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
