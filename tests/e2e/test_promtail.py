#!/usr/bin/env python3
"""End-to-end tests of Promtail's keys on the real binary: the readline
limit (drop and wait), max_streams, drop_rate_limited_batches, headers,
server.log_format json, the start-up warnings for keys without effect, and
the refusal of what sluice does not support.

Usage: test_promtail.py BUILD_DIR [TEST_NAME...]
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
SOURCE = os.environ.get("SL_SOURCE_ROOT",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SLUICE = os.path.join(BUILD, "src", "sluice")
CONFIGS = os.path.join(SOURCE, "tests", "promtail-configs")


def dropped(metrics_text, reason):
    """The sum of sluice_dropped_entries_total samples with this reason."""
    return sum(v for (name, labels), v in harness.parse_metrics(metrics_text).items()
               if name == "sluice_dropped_entries_total" and ("reason", reason) in labels)


class PromtailKeysTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-promtail-")
        self.logs = os.path.join(self.tmp, "logs")
        os.makedirs(self.logs)
        self.positions = os.path.join(self.tmp, "positions.yaml")
        self.config = os.path.join(self.tmp, "sluice.yaml")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write_lines(self, name, lines):
        path = os.path.join(self.logs, name)
        with open(path, "w") as f:
            f.writelines(l + "\n" for l in lines)
        return path

    def write_config(self, rx, stages=None, extra=None, extra_client=None):
        harness.write_config(self.config, rx.url, self.positions,
                             [(os.path.join(self.logs, "*.log"), {"job": "app"})],
                             pipeline_stages_yaml=stages, extra=extra,
                             extra_client=extra_client)

    def wait_dropped(self, agent, reason, n):
        return harness.wait_until(lambda: dropped(agent.metrics(), reason) >= n, 20,
                                  f"{n} entries dropped as {reason}", agent.log)

    def test_readline_rate_drop(self):
        """readline_rate_drop: entries over the bucket are dropped and counted
        as Promtail's global_rate_limiter_drop; the burst goes through."""
        self.write_lines("a.log", ["line %d" % i for i in range(50)])
        with harness.Receiver(BUILD, self.tmp) as rx:
            # One token per 1000 s: only the burst of 5 can pass.
            self.write_config(rx, extra={"limits_config": {
                "readline_rate_enabled": True, "readline_rate": 0.001, "readline_burst": 5}})
            with harness.Sluice(BUILD, self.config) as agent:
                rx.wait_entries(5, timeout=20)
                agent.wait_metrics()
                self.wait_dropped(agent, "global_rate_limiter_drop", 45)
                self.assertEqual(agent.metric("sluice_dropped_entries_total", job="app",
                                              reason="global_rate_limiter_drop"), 45)
                self.assertEqual(agent.stop(), 0, agent.log())
            self.assertEqual([e["line"] for e in rx.entries()], ["line %d" % i for i in range(5)])

    def test_readline_rate_wait(self):
        """readline_rate_drop: false: nothing is dropped, and reading holds off
        so 60 lines at 20/s with a burst of 10 take at least 2.5 s."""
        self.write_lines("a.log", ["line %02d" % i for i in range(60)])
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx, extra={"limits_config": {
                "readline_rate_enabled": True, "readline_rate": 20, "readline_burst": 10,
                "readline_rate_drop": False}})
            start = time.monotonic()
            with harness.Sluice(BUILD, self.config) as agent:
                rx.wait_entries(60, timeout=60)
                took = time.monotonic() - start
                agent.wait_metrics()
                self.assertEqual(dropped(agent.metrics(), "global_rate_limiter_drop"), 0)
                self.assertEqual(agent.stop(), 0, agent.log())
            self.assertEqual([e["line"] for e in rx.entries()],
                             ["line %02d" % i for i in range(60)])
        # A lower bound only: a slow machine takes longer, never shorter.
        # (60 - 10) / 20 = 2.5 s, less the few lines a read round may take
        # ahead of the bucket.
        self.assertGreaterEqual(took, 2.0)

    def test_max_streams(self):
        """max_streams: 2: entries of a third stream in a batch are dropped as
        stream_limited; everything is either sent or counted."""
        self.write_lines("a.log", [json.dumps({"user": "u%d" % (i % 5), "n": i})
                                   for i in range(50)])
        stages = "- json:\n    expressions: {user: user}\n- labels:\n    user:\n"
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx, stages=stages, extra={"limits_config": {"max_streams": 2}})
            with harness.Sluice(BUILD, self.config) as agent:
                agent.wait_metrics()
                harness.wait_until(
                    lambda: len(rx.entries()) + dropped(agent.metrics(), "stream_limited") >= 50,
                    20, "50 entries sent or dropped", agent.log)
                n_dropped = dropped(agent.metrics(), "stream_limited")
                self.assertEqual(agent.stop(), 0, agent.log())
            entries = rx.entries()
            self.assertEqual(len(entries) + n_dropped, 50)
            self.assertGreater(n_dropped, 0)
            if rx.stats()["pushes"] == 1:
                self.assertEqual(len({e["labels"]["user"] for e in entries}), 2)

    def test_drop_rate_limited_batches(self):
        """A 429 drops the batch (reason rate_limited) instead of retrying it;
        the next batch is sent."""
        with harness.Receiver(BUILD, self.tmp, script="429") as rx:
            self.write_config(rx, extra_client={"drop_rate_limited_batches": True})
            path = self.write_lines("a.log", ["first %d" % i for i in range(3)])
            with harness.Sluice(BUILD, self.config) as agent:
                agent.wait_metrics()
                self.wait_dropped(agent, "rate_limited", 3)
                with open(path, "a") as f:
                    f.write("second\n")
                rx.wait_entries(1, timeout=20)
                self.assertEqual(agent.stop(), 0, agent.log())
            self.assertEqual([e["line"] for e in rx.entries()], ["second"])
            self.assertEqual(rx.stats()["statuses"], {"429": 1, "204": 1})

    def test_headers_and_user_agent(self):
        """Configured headers go with the pushes; the User-Agent stays sluice's."""
        self.write_lines("a.log", ["hello"])
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx, extra_client={"headers": {"X-Team": "payments",
                                                             "User-Agent": "custom"}})
            with harness.Sluice(BUILD, self.config) as agent:
                rx.wait_entries(1, timeout=20)
                self.assertEqual(agent.stop(), 0, agent.log())
            agents = rx.stats()["user_agents"]
            self.assertEqual(len(agents), 1)
            self.assertTrue(next(iter(agents)).startswith("sluice/"), agents)
            self.assertIn("clients[0].headers.User-Agent", agent.log())

    def test_log_format_json_and_warnings(self):
        """server.log_format: json makes every line of sluice's log a JSON
        object; keys without effect get one warning each at start-up."""
        self.write_lines("a.log", ["hello"])
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx, extra={"server": {"log_format": "json",
                                                    "grpc_listen_port": 9095,
                                                    "http_server_idle_timeout": "2m"}})
            with harness.Sluice(BUILD, self.config) as agent:
                rx.wait_entries(1, timeout=20)
                self.assertEqual(agent.stop(), 0, agent.log())
            lines = [l for l in agent.log().splitlines() if l.strip()]
        records = [json.loads(l) for l in lines]
        for r in records:
            self.assertIn(r["level"], ("debug", "info", "warn", "error"))
            self.assertTrue(r["ts"].endswith("Z"))
        warned = [r for r in records if r["msg"].startswith("config key accepted without effect")]
        self.assertEqual([r["key"] for r in warned],
                         ["server.grpc_listen_port", "server.http_server_idle_timeout"])
        self.assertEqual(warned[0]["file"], self.config)
        self.assertIn("gRPC", warned[0]["reason"])
        self.assertTrue(any(r["msg"] == "sluice started" for r in records))


class PromtailConfigsTest(unittest.TestCase):
    """-check-config on the Promtail-shaped configurations: warnings on
    stderr for the ones that load, "not supported" for the refused ones."""

    def run_check(self, path):
        with tempfile.TemporaryDirectory() as pipes:
            return subprocess.run([SLUICE, "-config.file", path, "-pipelines.dir", pipes,
                                   "-check-config"], capture_output=True, text=True, timeout=30)

    def test_refused_source(self):
        p = self.run_check(os.path.join(CONFIGS, "journal.yaml"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("journal.yaml:15:5: scrape_configs[0].journal: ", p.stderr)
        self.assertIn("not supported", p.stderr)
        self.assertIn("Moving from Promtail", p.stderr)

    def test_loads_with_warnings(self):
        path = os.path.join(CONFIGS, "local-config.yaml")
        p = self.run_check(path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("valid", p.stdout)
        self.assertEqual(p.stderr.count("warning:"), 1, p.stderr)
        self.assertIn(path + ":6:3: server.grpc_listen_port: has no effect", p.stderr)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
