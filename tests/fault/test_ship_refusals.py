#!/usr/bin/env python3
"""Fault tests: what Loki refuses, and what sluice refuses to send.

  400 for one batch      that batch is dropped and counted
                         (sluice_dropped_entries_total{reason="loki_refused"}),
                         never retried; everything after it arrives once
  413 for one batch      the batch is split and arrives whole: nothing lost,
                         nothing dropped, nothing twice
  413 from a body cap    (--max-body) batches are split until they fit; a
                         single entry larger than the cap is the only loss,
                         counted as refused
  max_line_size          a longer line is dropped before sending (counted as
                         line_too_long) or, with max_line_size_truncate, cut;
                         the receiver enforces the same limit and would
                         answer 400 to the whole push if it saw one

Usage: test_ship_refusals.py BUILD_DIR [TEST_NAME...]
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shiplib  # noqa: E402
from shiplib import harness  # noqa: E402

WAIT = 30  # seconds any single wait may take


def refused(metrics, url, reason=None):
    """Entries dropped because Loki refused them: the agent labels them by
    kind of refusal (reason="loki_<kind>", read from Loki's message), so all
    loki_* reasons together, or the one named."""
    return sum(v for (n, ls), v in harness.parse_metrics(metrics).items()
               if n == "sluice_dropped_entries_total" and ("host", url) in ls
               and any(k == "reason" and (x == reason if reason else x.startswith("loki_"))
                       for k, x in ls))


class RefusalTest(shiplib.FaultTest):
    def test_400_drops_that_batch_and_the_rest_arrives(self):
        w = self.watch
        path = self.container_log(1)
        first = shiplib.LineWriter(path, "a", pad=100)
        later = shiplib.LineWriter(path, "b", pad=100, ts_base=shiplib.BASE_TS_NS + 10 ** 9)
        with harness.Receiver(shiplib.BUILD, self.tmp, script="400") as rx:
            self.write_config(rx)
            with self.sluice() as agent:
                agent.wait_metrics()
                first.write(50)
                harness.wait_until(lambda: rx.stats()["statuses"].get("400") == 1, WAIT,
                                   "the refused push", lambda: str(rx.stats()))
                w.mark("the push of a-* answered 400")
                later.write(300)
                rx.wait_entries(300, timeout=WAIT)
                w.mark("b-* arrived")
                # Only then: the refused batch is not retried later either.
                harness.wait_until(lambda: agent.metric("sluice_sent_entries_total",
                                                        host=rx.url) == 300, WAIT,
                                   "the sent counter")
                m = agent.metrics()
                self.assertEqual(agent.stop(), 0)
                log = agent.log()
            stats = rx.stats()
        counts = shiplib.arrived_ids(rx)
        self.assertEqual(stats["statuses"].get("400"), 1, stats)
        self.assert_exactly_once(counts, later.ids())
        # The one refused push held all of a-* (written in one write(2)).
        self.assertEqual(refused(m, rx.url), 50)
        self.assertEqual(refused(m, rx.url, "loki_out_of_order"), 50)  # "entry too far behind"
        self.assertEqual(shiplib.metric_sum(m, "sluice_batches_refused_total", host=rx.url), 1)
        self.assertEqual(shiplib.metric_sum(m, "sluice_batch_retries_total", host=rx.url), 0)
        self.assertIn("Loki refused a batch", log)
        self.assertIn("status=400", log)
        self.assertIn("entry too far behind", log)  # Loki's own message, kept

    def test_413_once_splits_and_arrives_whole(self):
        w = self.watch
        wr = shiplib.LineWriter(self.container_log(2), "s", pad=200)
        with harness.Receiver(shiplib.BUILD, self.tmp, script="413") as rx:
            self.write_config(rx)
            with self.sluice() as agent:
                agent.wait_metrics()
                wr.write(400)
                rx.wait_entries(400, timeout=WAIT)
                w.mark("all arrived")
                harness.wait_until(lambda: agent.metric("sluice_sent_entries_total",
                                                        host=rx.url) == 400, WAIT,
                                   "the sent counter")
                m = agent.metrics()
                self.assertEqual(agent.stop(), 0)
            stats = rx.stats()
        self.assertEqual(stats["statuses"].get("413"), 1, stats)
        # The 413 push and its two halves (more pushes if the lines came in
        # more than one batch).
        self.assertGreaterEqual(stats["pushes"], 3, stats)
        self.assert_exactly_once(shiplib.arrived_ids(rx), wr.ids())
        self.assertEqual(refused(m, rx.url), 0)
        self.assertEqual(shiplib.metric_sum(m, "sluice_batches_refused_total"), 0)
        self.assertEqual(shiplib.metric_sum(m, "sluice_request_duration_seconds_count",
                                            status_code="413"), 1)

    def _body_cap(self, with_huge_line):
        """Loki's max_recv_msg_size stand-in: 1 MiB batches of barely
        compressible lines against a 100 kB body cap are split again and
        again until each part fits. A 150 kB line never fits: alone, it is
        refused (413) and counted; its neighbours arrive."""
        w = self.watch
        path = self.container_log(3)
        wr = shiplib.LineWriter(path, "m", pad=2000, random_pad=True)
        tail = shiplib.LineWriter(path, "t", pad=2000, random_pad=True,
                                  ts_base=shiplib.BASE_TS_NS + 10 ** 9)
        huge_text = "huge-0 " + os.urandom(75000).hex()
        with harness.Receiver(shiplib.BUILD, self.tmp, max_body=100000) as rx:
            self.write_config(rx, client={"batchsize": 1 << 20, "batchwait": "1s"})
            with self.sluice() as agent:
                agent.wait_metrics()
                wr.write(1500)  # about 3 MB: several full batches
                if with_huge_line:  # as Docker writes it: 16 KiB pieces
                    with open(path, "a") as f:
                        f.write(harness.docker_lines(huge_text,
                                                     ts=shiplib.BASE_TS_NS + 10 ** 9 - 1))
                tail.write(20)
                total = 1500 + 20
                rx.wait_entries(total, timeout=60)
                w.mark("all %d arrived" % total)
                harness.wait_until(
                    lambda: shiplib.metric_sum(agent.metrics(), "sluice_sent_entries_total",
                                               host=rx.url) == total
                    and (refused(agent.metrics(), rx.url) >= 1 or not with_huge_line),
                    WAIT, "the counters")
                m = agent.metrics()
                self.assertEqual(agent.stop(), 0)
                log = agent.log()
            stats = rx.stats()
        counts = shiplib.arrived_ids(rx)
        self.assert_exactly_once(counts, wr.ids() + tail.ids())
        self.assertGreaterEqual(stats["statuses"].get("413", 0), 4, stats)
        w.note("pushes %d, of which 413: %d" % (stats["pushes"], stats["statuses"].get("413", 0)))
        if with_huge_line:
            self.assertIn("status=413", log)
            # Only the huge line was dropped, not the batch it came in.
            self.assertEqual(refused(m, rx.url), 1,
                             "refusals counted per batch, not per entry refused: agent.c must "
                             "count sl_loki_client_last_report()->entries_refused")
        else:
            self.assertEqual(refused(m, rx.url), 0)

    def test_413_body_cap_splits_until_it_fits(self):
        self._body_cap(with_huge_line=False)

    def test_413_entry_alone_too_large_is_the_only_drop(self):
        self._body_cap(with_huge_line=True)

    def _long_line(self, truncate):
        w = self.watch
        limit = 1000
        path = self.container_log(4)
        before = shiplib.LineWriter(path, "p", pad=100)
        after = shiplib.LineWriter(path, "q", pad=100, ts_base=shiplib.BASE_TS_NS + 10 ** 9)
        long_text = "long-0 " + "x" * 1993  # 2000 bytes
        # The receiver refuses lines over the same limit with 400, as Loki does.
        with harness.Receiver(shiplib.BUILD, self.tmp, max_line_size=limit) as rx:
            self.write_config(rx, extra={"limits_config": {"max_line_size": limit,
                                                           "max_line_size_truncate": truncate}})
            with self.sluice() as agent:
                agent.wait_metrics()
                before.write(20)
                with open(path, "a") as f:
                    f.write(harness.docker_line(long_text, ts=shiplib.BASE_TS_NS + 10 ** 9 - 1))
                after.write(20)
                rx.wait_entries(40 + (1 if truncate else 0), timeout=WAIT)
                w.mark("arrived")
                harness.wait_until(
                    lambda: shiplib.metric_sum(agent.metrics(), "sluice_sent_entries_total") >= 40,
                    WAIT, "the sent counter")
                m = agent.metrics()
                self.assertEqual(agent.stop(), 0)
            stats = rx.stats()
            entries = rx.entries()
        counts = shiplib.arrived_ids(rx)
        self.assertNotIn("400", stats["statuses"], "a line over the limit reached Loki")
        self.assertEqual(refused(m, rx.url), 0)
        too_long = shiplib.metric_sum(m, "sluice_dropped_entries_total", reason="line_too_long")
        truncated = shiplib.metric_sum(m, "sluice_truncated_entries_total")
        if truncate:
            self.assert_exactly_once(counts, before.ids() + after.ids() + ["long-0"])
            cut = [e["line"] for e in entries if e["line"].startswith("long-0 ")]
            self.assertEqual(len(cut), 1)
            self.assertLessEqual(len(cut[0].encode()), limit)
            self.assertGreaterEqual(len(cut[0].encode()), limit - 3)
            self.assertTrue(long_text.startswith(cut[0]))
            self.assertEqual((too_long, truncated), (0, 1))
        else:
            self.assert_exactly_once(counts, before.ids() + after.ids())
            self.assertEqual((too_long, truncated), (1, 0))

    def test_line_over_max_line_size_dropped_before_sending(self):
        self._long_line(truncate=False)

    def test_line_over_max_line_size_truncated_before_sending(self):
        self._long_line(truncate=True)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
