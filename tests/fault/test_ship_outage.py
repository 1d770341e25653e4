#!/usr/bin/env python3
"""Fault test: a long Loki outage loses nothing and keeps memory bounded.

The receiver (Loki's stand-in) refuses connections for 30 s, then answers
503 for 10 s, then 429 with Retry-After: 1 four times, then accepts. Meanwhile
about 500 MB of Docker logs are written to two containers. Every line must
arrive exactly once, and sluice's peak RSS must stay under a bound derived
from limits_config.max_buffered_bytes.

Exactly once, not just at least once: the receiver records entries only
when it answers 2xx; refused connections, 503 and 429 record nothing, and it
answers every push at once, so no request times out after being stored. The
only source of duplicates would be sluice sending an accepted batch again,
which is what the test must rule out.

Usage: test_ship_outage.py BUILD_DIR [TEST_NAME...]
"""
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shiplib  # noqa: E402
from shiplib import harness  # noqa: E402

MiB = 1 << 20
CLOSED_S = 30            # connections refused
ERROR_503_S = 10         # then 503 for this long
RETRY_AFTER_S = 1        # then 429 with this Retry-After ...
N_429 = 4                # ... this many times, then 204
TOTAL_BYTES = 500 * 10 ** 6
CONTAINERS = 2
ROUNDS = 10              # the logs are written in this many rounds ...
ROUND_EVERY_S = 1.5      # ... this far apart, all while connections are refused
PAD = 4000               # filler per line: lines of about 4 KB
MAX_BUFFERED = 16 * MiB  # limits_config.max_buffered_bytes
BATCHSIZE = 1 * MiB      # clients[].batchsize
BACKOFF_MAX_S = 5        # backoff_config.max_period
# The RSS bound, above the RSS sluice has once started (its code, libraries,
# the tailer's read buffers, curl):
#   max_buffered_bytes        the lines held in batches (the cap is checked
#                             before each read) ...
#   + 1 MiB                   ... plus one read budget read past the cap
#   + 4 x batchsize           the head batch encoded (protobuf copy + snappy
#                             output), the open batch, arena chunk slack
#   + 16 MiB                  fixed: per-entry arrays, malloc fragmentation,
#                             the 1 MiB tailer line cap per file, metrics
# Independent of what is written: 500 MB of logs must not move it.
RSS_SLACK = MAX_BUFFERED + 1 * MiB + 4 * BATCHSIZE + 16 * MiB


class Sampler(threading.Thread):
    """Samples sluice's VmRSS every 50 ms and its buffered bytes gauge every
    0.5 s, keeping the maxima, until stopped."""

    def __init__(self, agent):
        super().__init__(daemon=True)
        self.agent = agent
        self.max_rss = 0
        self.max_buffered = 0
        self.samples = 0
        self.errors = []
        self._halt = threading.Event()

    def run(self):
        last_metrics = 0.0
        while not self._halt.is_set():
            try:
                self.max_rss = max(self.max_rss, shiplib.proc_memory(self.agent.proc.pid)["VmRSS"])
                self.samples += 1
                if time.monotonic() - last_metrics >= 0.5:
                    last_metrics = time.monotonic()
                    b = self.agent.metric("sluice_buffered_bytes")
                    self.max_buffered = max(self.max_buffered, int(b or 0))
            except (OSError, ValueError) as e:  # the process or its server went away
                self.errors.append(repr(e))
            self._halt.wait(0.05)

    def stop(self):
        self._halt.set()
        self.join(5)


class OutageTest(shiplib.FaultTest):
    def test_outage_503_429_then_recovery_loses_nothing(self):
        w = self.watch
        writers = [shiplib.LineWriter(self.container_log(c), "c%d" % c, PAD)
                   for c in range(CONTAINERS)]
        line_bytes = len(shiplib.docker_block("c0", 10 ** 6, 1, PAD))
        per_round = TOTAL_BYTES // (ROUNDS * CONTAINERS * line_bytes)

        rx = harness.Receiver(shiplib.BUILD, self.tmp, script="503x*",
                              closed_for_ms=CLOSED_S * 1000)
        rx.start()
        try:
            opens_at = time.monotonic() + CLOSED_S
            w.mark("receiver bound, refusing connections")
            self.write_config(rx, client={
                "batchwait": "200ms", "batchsize": BATCHSIZE, "timeout": "5s",
                "backoff_config": {"min_period": "100ms", "max_period": "%ds" % BACKOFF_MAX_S}},
                extra={"limits_config": {"max_buffered_bytes": MAX_BUFFERED}})
            with self.sluice() as agent:
                agent.wait_metrics()
                base_rss = shiplib.proc_memory(agent.proc.pid)["VmRSS"]
                sanitized = shiplib.sanitized(agent.proc.pid)
                bound = base_rss + RSS_SLACK
                w.mark("sluice up, RSS %.1f MiB, bound %.1f MiB" % (base_rss / MiB, bound / MiB))
                sampler = Sampler(agent)
                sampler.start()

                # The writer: paced rounds while Loki is unreachable.
                for r in range(ROUNDS):
                    round_at = time.monotonic()
                    for wr in writers:
                        wr.write(per_round)
                    pause = ROUND_EVERY_S - (time.monotonic() - round_at)
                    if pause > 0 and r + 1 < ROUNDS:
                        time.sleep(pause)  # pacing the writer, not waiting for sluice
                written = sum(wr.bytes for wr in writers)
                ids = [i for wr in writers for i in wr.ids()]
                w.mark("wrote %.0f MB, %d lines" % (written / 1e6, len(ids)))
                self.assertGreaterEqual(written, TOTAL_BYTES * 0.98)
                self.assertLess(time.monotonic(), opens_at - 2,
                                "the logs must be written while Loki refuses connections")

                # Connections refused: sluice retries and holds at most its cap.
                rx.wait_ready(timeout=CLOSED_S + 15)
                w.mark("receiver accepting connections (503 from now on)")
                m = agent.metrics()
                refused_tries = shiplib.metric_sum(m, "sluice_request_duration_seconds_count",
                                                   status_code="error")
                self.assertGreaterEqual(refused_tries, 3, "connection refused must be retried")
                self.assertEqual(rx.stats()["entries"], 0)
                unread = shiplib.metric_sum(m, "sluice_file_unread_bytes")
                self.assertGreater(unread, written - MAX_BUFFERED - 8 * MiB,
                                   "reading must stop at max_buffered_bytes: the files are the buffer")

                # 503 for ERROR_503_S (at least two of them answered).
                phase_end = time.monotonic() + ERROR_503_S
                harness.wait_until(
                    lambda: time.monotonic() >= phase_end
                    and rx.stats()["statuses"].get("503", 0) >= 2,
                    ERROR_503_S + 2 * BACKOFF_MAX_S + 5, "the 503 phase",
                    lambda: str(rx.stats()))
                n503 = rx.stats()["statuses"].get("503", 0)
                w.mark("503 answered %d times" % n503)

                # 429 with Retry-After: sluice waits what Loki asks, not its backoff.
                rx.set_script("429x%d:retry-after=%d" % (N_429, RETRY_AFTER_S))
                seen_429 = []

                def note_429():
                    n = rx.stats()["statuses"].get("429", 0)
                    while len(seen_429) < n:
                        seen_429.append(time.monotonic())
                    return n >= N_429
                harness.wait_until(note_429, N_429 * (RETRY_AFTER_S + 1) + 2 * BACKOFF_MAX_S + 5,
                                   "the 429 phase", lambda: str(rx.stats()))
                w.mark("429 answered %d times" % N_429)
                gaps = [b - a for a, b in zip(seen_429, seen_429[1:])]
                for g in gaps:
                    self.assertGreaterEqual(g, RETRY_AFTER_S - 0.1, "gaps %r" % gaps)
                    self.assertLess(g, RETRY_AFTER_S + 0.6, "gaps %r" % gaps)
                outage_hwm = shiplib.proc_memory(agent.proc.pid)["VmHWM"]

                # Recovery: everything arrives.
                rx.wait_entries(len(ids), timeout=300)
                w.mark("all %d entries arrived" % len(ids))
                final_hwm = shiplib.proc_memory(agent.proc.pid)["VmHWM"]
                m = agent.metrics()
                sampler.stop()
                self.assertEqual(agent.stop(), 0, agent.log()[-2000:])
                w.mark("sluice stopped")
        finally:
            code = rx.stop()
        self.assertEqual(code, 0)

        counts = shiplib.arrived_ids(rx)
        w.mark("counted arrivals")
        self.assert_exactly_once(counts, ids)
        self.assertEqual(shiplib.metric_sum(m, "sluice_dropped_entries_total", host=rx.url), 0)
        self.assertEqual(shiplib.metric_sum(m, "sluice_sent_entries_total"), len(ids))
        w.note("RSS at start %.1f MiB; peak during the outage %.1f MiB, overall %.1f MiB "
                 "(bound %.1f MiB); sampled max RSS %.1f MiB over %d samples; "
                 "max sluice_buffered_bytes %.1f MiB (cap %.1f MiB); 429 gaps %s"
                 % (base_rss / MiB, outage_hwm / MiB, final_hwm / MiB, bound / MiB,
                    sampler.max_rss / MiB, sampler.samples, sampler.max_buffered / MiB,
                    MAX_BUFFERED / MiB, ", ".join("%.2fs" % g for g in gaps)))
        self.assertLessEqual(sampler.max_buffered, MAX_BUFFERED + 1 * MiB + 64 * 1024)
        if sanitized:
            w.note("sluice runs under AddressSanitizer: its shadow memory and quarantine "
                   "void the RSS bound, which is not checked")
            return
        self.assertLess(outage_hwm, bound)
        self.assertLess(final_hwm, bound)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
