#!/usr/bin/env python3
"""Fault tests: stopping sluice loses nothing and repeats nothing.

  SIGTERM under load     a writer appends continuously; sluice exits 0
                         within graceful_shutdown_timeout (plus slack) after
                         pushing what it read; a restart sends what follows:
                         every line arrives exactly once over both runs (the
                         receiver acknowledged every push before the exit, so
                         any duplicate would be sluice re-sending acked lines)
  SIGTERM, Loki down     with graceful_shutdown_timeout 2s, sluice gives up
                         waiting after 2 s and exits 0; the next start (Loki
                         up) delivers every line, exactly once
  second SIGTERM         exits at once, even with 30 s of deadline left; the
                         next start delivers everything

Usage: test_ship_shutdown.py BUILD_DIR [TEST_NAME...]
"""
import os
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shiplib  # noqa: E402
from shiplib import harness  # noqa: E402

WAIT = 60          # seconds any single wait may take
EXIT_SLACK = 1.5   # seconds allowed past a deadline for exiting


class Writer(threading.Thread):
    """Appends `per_round` lines to each container log every 10 ms until
    stopped."""

    def __init__(self, writers, per_round=50):
        super().__init__(daemon=True)
        self.writers = writers
        self.per_round = per_round
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            for w in self.writers:
                w.write(self.per_round)
            self.halt.wait(0.01)

    def stop(self):
        self.halt.set()
        self.join(5)

    def lines(self):
        return sum(w.next for w in self.writers)


def signal_and_time(agent, sig=signal.SIGTERM):
    """Sends `sig`; returns the monotonic time it was sent."""
    t = time.monotonic()
    agent.proc.send_signal(sig)
    return t


class ShutdownTest(shiplib.FaultTest):
    def config_with(self, url_receiver, graceful):
        self.write_config(url_receiver, client={
            "batchwait": "100ms", "batchsize": 256 * 1024, "timeout": "2s",
            "backoff_config": {"min_period": "50ms", "max_period": "500ms"}},
            extra={"server": {"graceful_shutdown_timeout": graceful}})

    def _sigterm_under_load(self, delay_ms, per_round, before_signal):
        w = self.watch
        graceful = 5.0
        writers = [shiplib.LineWriter(self.container_log(c), "w%d" % c, pad=200)
                   for c in range(2)]
        with harness.Receiver(shiplib.BUILD, self.tmp, verbose=False,
                              delay_ms=delay_ms) as rx:
            self.config_with(rx, "%ds" % graceful)
            writer = Writer(writers, per_round)
            with self.sluice() as agent:
                agent.wait_metrics()
                writer.start()
                rx.wait_entries(before_signal, timeout=WAIT)
                w.mark("under load: %d entries arrived, %d lines written"
                       % (rx.stats()["entries"], writer.lines()))
                sent_at = signal_and_time(agent)
                code = agent.wait_exit(timeout=graceful + EXIT_SLACK)
                took = time.monotonic() - sent_at
                w.mark("SIGTERM: exit %d after %.3fs (graceful_shutdown_timeout %.0fs)"
                       % (code, took, graceful))
                log = agent.log()
            self.assertEqual(code, 0, log[-2000:])
            self.assertLess(took, graceful + EXIT_SLACK)
            self.assertNotIn("shutdown deadline reached", log)
            first_run = rx.stats()["entries"]
            # The receiver has answered every push: nothing is in flight.
            counts = shiplib.arrived_ids(rx)
            self.assertEqual(sum(counts.values()), first_run)
            self.assertEqual([i for i, n in counts.items() if n > 1], [],
                             "duplicates within the first run")
            writer.stop()
            ids = [i for wr in writers for i in wr.ids()]
            w.mark("writer stopped: %d lines, %d arrived in the first run"
                   % (len(ids), first_run))
            self.assertLess(first_run, len(ids), "the writer must outlast the first run")

            with self.sluice() as agent:
                rx.wait_entries(len(ids), timeout=WAIT)
                w.mark("restart: all %d lines arrived" % len(ids))
                self.assertEqual(agent.stop(), 0)
            counts = shiplib.arrived_ids(rx)
        self.assert_exactly_once(counts, ids)
        w.note("first run %d entries, second run %d, duplicates 0, missing 0"
               % (first_run, len(ids) - first_run))

    def test_sigterm_under_load_then_restart_exactly_once(self):
        self._sigterm_under_load(delay_ms=None, per_round=50, before_signal=20000)

    def test_sigterm_with_push_in_flight_then_restart_exactly_once(self):
        """The receiver takes 100 ms per push, so the signal most likely
        lands while one is in flight: sluice waits for its answer and sends
        the open batch before exiting."""
        self._sigterm_under_load(delay_ms=100, per_round=10, before_signal=3000)

    def test_sigterm_while_loki_down_exits_after_deadline_then_delivers(self):
        w = self.watch
        graceful = 2.0
        wr = shiplib.LineWriter(self.container_log(1), "d", pad=200)

        class Down:  # nothing listens there: connections are refused
            url = "http://127.0.0.1:%d/loki/api/v1/push" % harness.free_port()

        self.config_with(Down, "%ds" % graceful)
        with self.sluice() as agent:
            agent.wait_metrics()
            wr.write(3000)
            # With Loki down, reading pauses once a batch waits behind the
            # one being retried (the 3000 lines make three batches): what
            # is not read stays on disk for the restart.
            harness.wait_until(
                lambda: (lambda m: shiplib.metric_sum(m, "sluice_read_lines_total") >= 1000
                         and shiplib.metric_sum(m, "sluice_batch_retries_total") >= 2)(
                    agent.metrics()), WAIT, "sluice reading two batches and retrying")
            w.mark("two batches read, pushes failing")
            sent_at = signal_and_time(agent)
            code = agent.wait_exit(timeout=graceful + EXIT_SLACK + 5)
            took = time.monotonic() - sent_at
            w.mark("SIGTERM: exit %d after %.3fs (graceful_shutdown_timeout %.0fs)"
                   % (code, took, graceful))
            log = agent.log()
        self.assertEqual(code, 0, log[-2000:])
        self.assertGreaterEqual(took, graceful - 0.1, "it must keep trying until the deadline")
        self.assertLess(took, graceful + EXIT_SLACK)
        self.assertIn("shutdown deadline reached", log)

        with harness.Receiver(shiplib.BUILD, self.tmp) as rx:
            self.config_with(rx, "%ds" % graceful)
            with self.sluice() as agent:
                rx.wait_entries(3000, timeout=WAIT)
                w.mark("restart with Loki up: all arrived")
                self.assertEqual(agent.stop(), 0)
            counts = shiplib.arrived_ids(rx)
        self.assert_exactly_once(counts, wr.ids())

    def test_second_sigterm_exits_at_once(self):
        w = self.watch
        graceful = 30.0
        wr = shiplib.LineWriter(self.container_log(1), "e", pad=200)
        # Loki is down for the first run: the receiver refuses connections.
        with harness.Receiver(shiplib.BUILD, self.tmp, closed_for_ms=600000) as rx_down:
            self.config_with(rx_down, "%ds" % graceful)
            with self.sluice() as agent:
                agent.wait_metrics()
                wr.write(500)
                harness.wait_until(
                    lambda: shiplib.metric_sum(agent.metrics(), "sluice_read_lines_total") == 500,
                    WAIT, "sluice reading everything")
                agent.proc.send_signal(signal.SIGTERM)
                harness.wait_until(lambda: "stopping:" in agent.log(), WAIT,
                                   "the first SIGTERM to be handled")
                self.assertTrue(agent.alive(), "with 30 s of deadline left it must still try")
                w.mark("first SIGTERM handled, still trying")
                sent_at = signal_and_time(agent)
                code = agent.wait_exit(timeout=EXIT_SLACK + 5)
                took = time.monotonic() - sent_at
                w.mark("second SIGTERM: exit %d after %.3fs" % (code, took))
                log = agent.log()
        self.assertEqual(code, 0, log[-2000:])
        self.assertLess(took, EXIT_SLACK)
        self.assertIn("second stop signal", log)

        with harness.Receiver(shiplib.BUILD, self.tmp) as rx:
            self.config_with(rx, "5s")
            with self.sluice() as agent:
                rx.wait_entries(500, timeout=WAIT)
                w.mark("restart with Loki up: all arrived")
                self.assertEqual(agent.stop(), 0)
            counts = shiplib.arrived_ids(rx)
        self.assert_exactly_once(counts, wr.ids())


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
