#!/usr/bin/env python3
"""Fault tests: how long sluice keeps retrying, and what a retry can repeat.

  max_retries N          a batch that fails 1 + N times is given up: its
                         entries are counted as dropped with
                         reason="max_retries"; what follows arrives
  timeout                a push that times out is sent again. The receiver
                         stored it before answering too late (as a slow Loki
                         does), so its entries arrive twice: delivery is at
                         least once. (Loki drops the second copy: same
                         stream, timestamp and line.) Nothing is lost.

Usage: test_ship_retries.py BUILD_DIR [TEST_NAME...]
"""
import collections
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shiplib  # noqa: E402
from shiplib import harness  # noqa: E402

WAIT = 30


class RetryTest(shiplib.FaultTest):
    def test_max_retries_gives_up_counts_and_goes_on(self):
        w = self.watch
        path = self.container_log(1)
        first = shiplib.LineWriter(path, "g", pad=100)
        later = shiplib.LineWriter(path, "h", pad=100, ts_base=shiplib.BASE_TS_NS + 10 ** 9)
        with harness.Receiver(shiplib.BUILD, self.tmp, script="503x3") as rx:
            self.write_config(rx, client={"backoff_config": {
                "min_period": "20ms", "max_period": "100ms", "max_retries": 2}})
            with self.sluice() as agent:
                agent.wait_metrics()
                first.write(40)
                harness.wait_until(
                    lambda: agent.metric("sluice_dropped_entries_total", host=rx.url,
                                         reason="max_retries") == 40,
                    WAIT, "the batch given up", lambda: agent.log()[-1500:])
                w.mark("given up after %d answers 503" % rx.stats()["statuses"].get("503", 0))
                later.write(60)
                rx.wait_entries(60, timeout=WAIT)
                w.mark("what followed arrived")
                m = agent.metrics()
                self.assertEqual(agent.stop(), 0)
                log = agent.log()
            stats = rx.stats()
        self.assertEqual(stats["statuses"].get("503"), 3, stats)  # 1 + max_retries
        self.assert_exactly_once(shiplib.arrived_ids(rx), later.ids())
        self.assertEqual(shiplib.metric_sum(m, "sluice_batch_retries_total", host=rx.url), 2)
        self.assertIn("giving up on a batch after max_retries", log)

    def test_timeout_is_retried_at_least_once(self):
        w = self.watch
        wr = shiplib.LineWriter(self.container_log(2), "t", pad=100)
        # The first push is stored, then answered after 3 s; sluice gives up
        # waiting after 1 s and sends it again.
        with harness.Receiver(shiplib.BUILD, self.tmp, script="204:delay-ms=3000") as rx:
            self.write_config(rx, client={"timeout": "1s", "backoff_config": {
                "min_period": "50ms", "max_period": "200ms"}})
            with self.sluice() as agent:
                agent.wait_metrics()
                wr.write(100)
                harness.wait_until(lambda: set(shiplib.arrived_ids(rx)) >= set(wr.ids()), WAIT,
                                   "every line at least once", lambda: str(rx.stats()))
                w.mark("every line arrived")
                harness.wait_until(
                    lambda: agent.metric("sluice_sent_entries_total", host=rx.url) == 100,
                    WAIT, "the batch acknowledged")
                m = agent.metrics()
                self.assertEqual(agent.stop(), 0)
            entries = rx.entries()
        counts = collections.Counter(e["line"].split(" ", 1)[0] for e in entries)
        pushes_of = collections.defaultdict(set)
        for e in entries:
            pushes_of[e["line"].split(" ", 1)[0]].add(e["push"])
        self.assertEqual(set(counts), set(wr.ids()), "nothing lost, nothing foreign")
        twice = [i for i, n in counts.items() if n == 2]
        self.assertEqual([i for i, n in counts.items() if n > 2], [])
        # The duplicates are exactly the entries of the timed-out first push.
        self.assertTrue(twice, "the timed-out push must have been stored and sent again")
        self.assertEqual({i for i in counts if 1 in pushes_of[i]}, set(twice))
        self.assertGreaterEqual(shiplib.metric_sum(m, "sluice_request_duration_seconds_count",
                                                   status_code="error"), 1)
        self.assertGreaterEqual(shiplib.metric_sum(m, "sluice_batch_retries_total"), 1)
        self.assertEqual(shiplib.metric_sum(m, "sluice_dropped_entries_total", host=rx.url), 0)
        w.note("%d of %d lines arrived twice (the timed-out push), none lost"
               % (len(twice), len(counts)))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
