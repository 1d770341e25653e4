#!/usr/bin/env python3
"""Fault test: two Lokis, one down for 60 s.

sluice sends every entry to every client. A client that is down holds its
batches (and retries them) while the other goes on: positions are shared,
so they move only to what both have acknowledged, and reading goes on
while the memory the clients hold stays under limits_config
.max_buffered_bytes. Past that budget reading pauses for all clients until
the down one drains (the files are the buffer); nothing is lost either way.

  within the budget: a container writes 200 lines/s for the whole outage
    (about 2 MB against a 16 MiB budget). The healthy receiver must have
    every line within 3 s of its writing throughout; once the other comes
    back it must get every line too; neither gets a line twice.
  past the budget: the same with max_buffered_bytes at 256 KiB and a
    20 s outage: the healthy receiver falls behind once the budget is
    held (reading paused: the documented guarantee), and both have every
    line once the outage ends.

Usage: test_two_clients.py BUILD_DIR [TEST_NAME...]
"""
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import EntryReader, LogWriter, Timer, harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
RATE = 200               # lines/s
LAG_S = 3.0              # the healthy receiver's bound while within budget
WAIT = 60.0
CID = "e" * 64


class TwoClientsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-fault-")
        self.dir = os.path.join(self.tmp, "containers", CID)
        os.makedirs(self.dir)
        self.live = os.path.join(self.dir, CID + "-json.log")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_outage(self, name, outage_s, max_buffered, expect_pause):
        timer = Timer(name)
        rx_tmp = [os.path.join(self.tmp, "rx%d" % i) for i in (1, 2)]
        for d in rx_tmp:
            os.makedirs(d)
        with harness.Receiver(BUILD, rx_tmp[0], verbose=False) as up, \
                harness.Receiver(BUILD, rx_tmp[1], verbose=False) as down:
            config = os.path.join(self.tmp, "sluice.yaml")
            client = {"batchwait": "200ms", "batchsize": 65536,
                      "backoff_config": {"min_period": "100ms", "max_period": "1s"}}
            harness.write_config(
                config, up.url, os.path.join(self.tmp, "positions"),
                [(os.path.join(self.tmp, "containers", "*", "*-json.log"), {"job": "two"})],
                pipeline_stages_yaml=faultlib.DOCKER_STAGES, extra_client=client,
                extra={"clients": [dict(client, url=up.url), dict(client, url=down.url)],
                       "limits_config": {"max_buffered_bytes": max_buffered}})
            r_up, r_down = EntryReader(up.entries_path), EntryReader(down.entries_path)
            down.set_script("closex*")
            n_lines = int(RATE * (outage_s + 4))
            writer = LogWriter(self.live, n_lines, 1 << 40, rate=RATE, seed=7)
            with harness.Sluice(BUILD, config) as agent:
                agent.wait_metrics()
                t0 = time.monotonic()
                writer.start()
                samples = []    # (time, ids written LAG_S before, all of them arrived)
                worst_lag = 0.0
                while time.monotonic() - t0 < outage_s:
                    time.sleep(0.5)     # sampling period
                    now = time.monotonic()
                    r_up.poll()
                    written = writer.written
                    # The oldest line written that has not arrived at the
                    # healthy receiver: how far behind it is.
                    first_missing = next((i for i in range(written) if not r_up.counts[i]),
                                         None)
                    if first_missing is not None:
                        lag = (written - first_missing) / RATE
                        worst_lag = max(worst_lag, lag)
                    samples.append((now - t0, written, first_missing))
                held = agent.metric("sluice_buffered_bytes")
                timer.mark("%ds outage: healthy receiver at most %.1f s behind, %d bytes held"
                           % (outage_s, worst_lag, held))
                if expect_pause:
                    self.assertGreater(worst_lag, LAG_S * 2,
                                       "reading did not pause past the budget: %s" % samples[-5:])
                else:
                    self.assertLessEqual(worst_lag, LAG_S,
                                         "the healthy receiver fell behind: %s" % samples)
                down.set_script("")
                writer.join(WAIT + outage_s)
                expected = range(writer.written)
                r_up.wait_all(expected, WAIT, detail=lambda: agent.log()[-2000:])
                r_down.wait_all(expected, WAIT, detail=lambda: agent.log()[-2000:])
                timer.mark("back: %d lines at both" % writer.written)
                self.assertEqual(agent.stop(), 0, agent.log()[-2000:])
            r_up.poll()
            r_down.poll()
        self.assertEqual(r_up.missing(expected), [])
        self.assertEqual(r_down.missing(expected), [])
        # Each receiver answered every push it recorded: nothing twice.
        self.assertEqual(r_up.duplicates(), 0)
        self.assertEqual(r_down.duplicates(), 0)
        timer.report(lines=writer.written, worst_lag_s=round(worst_lag, 1))

    def test_one_down_within_the_budget_the_other_goes_on(self):
        self.run_outage("two clients, one down 60 s, within budget", 60, 16 << 20, False)

    def test_one_down_past_the_budget_reading_pauses(self):
        self.run_outage("two clients, one down 20 s, past a 256 KiB budget", 20, 256 << 10,
                        True)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
