#!/usr/bin/env python3
"""End-to-end tests of the stages that hold, release, pace and count, on the
real binary against the receiver: multiline (released by the next first
line, by max_wait_time on the loop's timer, at shutdown; the position never
past a held line, through a crash), cri's partial lines, tenant (one push
per tenant, X-Scope-OrgID per entry), metrics on /metrics, limit's pace, and
-inspect.

Usage: test_stages.py BUILD_DIR [TEST_NAME...]
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
SLUICE = os.path.join(BUILD, "src", "sluice")

MULTILINE_TENANT = """
- multiline:
    firstline: '^\\d{4}-\\d{2}-\\d{2} '
    max_wait_time: %s
- regex:
    expression: '^\\S+ (?P<level>[A-Z]+) tenant=(?P<tenant>\\w+)'
- labels:
    level:
- tenant:
    source: tenant
"""


class StagesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-stages-")
        self.logs = os.path.join(self.tmp, "logs")
        os.makedirs(self.logs)
        self.positions = os.path.join(self.tmp, "positions.yaml")
        self.config = os.path.join(self.tmp, "sluice.yaml")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def append(self, name, text):
        path = os.path.join(self.logs, name)
        with open(path, "a") as f:
            f.write(text)
        return path

    def write_config(self, rx, stages, extra_client=None, extra=None):
        harness.write_config(self.config, rx.url, self.positions,
                             [(os.path.join(self.logs, "*.log"), {"job": "app"})],
                             pipeline_stages_yaml=stages, extra_client=extra_client, extra=extra)

    def unacked(self, agent, path):
        return agent.metric("sluice_file_unacked_bytes", path=path)

    # ---------------------------------------------------------------- tests

    def test_multiline_blocks_and_tenants(self):
        """Stack traces joined into one entry each; each block pushed with the
        tenant its first line names (one push per tenant), the others with
        the client's tenant_id; the last block goes when max_wait_time has
        passed, with sluice still running and no line after it."""
        blocks = [
            ["2026-01-05 ERROR tenant=acme failed to charge", "\tat Billing.charge(Billing.java:42)",
             "\tat Main.main(Main.java:7)"],
            ["2026-01-05 INFO tenant=globex started"],
            ["2026-01-05 ERROR tenant=acme boom", "Caused by: java.io.IOException: gone",
             "\t... 3 more"],
            ["2026-01-05 WARN no tenant here", "  detail"],
        ]
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx, MULTILINE_TENANT % "500ms", extra_client={"tenant_id": "fallback"})
            path = self.append("app.log", "a line before any block\n")
            with harness.Sluice(BUILD, self.config) as agent:
                rx.wait_entries(1, timeout=20)
                self.append("app.log", "".join(l + "\n" for b in blocks for l in b))
                entries = rx.wait_entries(1 + len(blocks), timeout=20)
                self.assertTrue(agent.alive())
                self.assertEqual(len(rx.entries()), 1 + len(blocks))
                harness.wait_until(lambda: self.unacked(agent, path) == 0, 20,
                                   "every byte acknowledged", agent.log)
                self.assertEqual(agent.stop(), 0)
        self.assertEqual(entries[0]["line"], "a line before any block")
        self.assertEqual(entries[0]["tenant"], "fallback")
        got = {e["line"]: e for e in entries[1:]}
        for b in blocks:
            self.assertIn("\n".join(b), got)
        self.assertEqual(got["\n".join(blocks[0])]["tenant"], "acme")
        self.assertEqual(got["\n".join(blocks[0])]["labels"]["level"], "ERROR")
        self.assertEqual(got["\n".join(blocks[1])]["tenant"], "globex")
        self.assertEqual(got["\n".join(blocks[2])]["tenant"], "acme")
        self.assertEqual(got["\n".join(blocks[3])]["tenant"], "fallback")
        for e in entries:
            self.assertNotIn("__tenant_id__", e["labels"])
        # The acme blocks came in one push, apart from globex's.
        self.assertEqual(got["\n".join(blocks[0])]["push"], got["\n".join(blocks[2])]["push"])
        self.assertNotEqual(got["\n".join(blocks[0])]["push"], got["\n".join(blocks[1])]["push"])

    def test_held_block_keeps_position_through_a_crash(self):
        """While a block is held its file's position stays at the block's first
        line: killed with SIGKILL then, sluice reads the block again at its
        next start and ships it whole, once; a SIGTERM ships what is held."""
        first = "2026-01-05 INFO tenant=acme done\n"
        held = "2026-01-05 ERROR tenant=acme boom\n\tat X.y(X.java:1)\n"
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx, MULTILINE_TENANT % "1h")
            path = self.append("app.log", first + held)
            agent = harness.Sluice(BUILD, self.config).start()
            try:
                agent.wait_metrics()
                rx.wait_entries(1, timeout=20)
                # Acknowledged up to the held block's first line, not past it.
                harness.wait_until(lambda: self.unacked(agent, path) == len(held), 20,
                                   "the position at the held block", agent.log)
            finally:
                self.assertEqual(agent.stop(sig=signal.SIGKILL), -signal.SIGKILL)
            self.assertEqual([e["line"] for e in rx.entries()], [first.rstrip("\n")])

            # Restarted: the block is read again from its first line and is
            # held again; a SIGTERM ships it.
            self.append("app.log", "\t... 1 more\n")
            with harness.Sluice(BUILD, self.config) as agent:
                agent.wait_metrics()
                harness.wait_until(lambda: self.unacked(agent, path) is not None and
                                   self.unacked(agent, path) == len(held) + len("\t... 1 more\n"),
                                   20, "the block read and held again", agent.log)
                self.assertEqual(len(rx.entries()), 1)
                self.assertEqual(agent.stop(), 0)
            entries = rx.wait_entries(2, timeout=20)
            self.assertEqual([e["line"] for e in entries],
                             [first.rstrip("\n"), held + "\t... 1 more"])

            # Nothing is held or unacknowledged any more: a restart sends nothing again.
            self.append("app.log", "2026-01-05 INFO tenant=acme later\n")
            with harness.Sluice(BUILD, self.config) as agent:
                agent.wait_metrics()
                harness.wait_until(lambda: agent.alive() and self.unacked(agent, path) is not None
                                   and self.unacked(agent, path) == len("2026-01-05 INFO tenant=acme later\n"),
                                   20, "the last block held", agent.log)
                self.assertEqual(agent.stop(), 0)
            entries = rx.wait_entries(3, timeout=20)
        self.assertEqual([e["line"] for e in entries],
                         [first.rstrip("\n"), held + "\t... 1 more", "2026-01-05 INFO tenant=acme later"])

    def test_cri_partial_lines(self):
        """cri: partial lines joined per stream, the stream label set, the
        time taken from the line."""
        lines = [
            "2026-01-05T10:00:00.000000001Z stdout P first half, ",
            "2026-01-05T10:00:00.000000002Z stderr F an error",
            "2026-01-05T10:00:00.000000003Z stdout P second part, ",
            "2026-01-05T10:00:00.000000004Z stdout F end",
        ]
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx, "- cri: {}\n")
            self.append("pod.log", "".join(l + "\n" for l in lines))
            with harness.Sluice(BUILD, self.config) as agent:
                entries = rx.wait_entries(2, timeout=20)
                self.assertEqual(agent.stop(), 0)
            entries = rx.entries()
        self.assertEqual(len(entries), 2)
        by_stream = {e["labels"]["stream"]: e for e in entries}
        self.assertEqual(by_stream["stderr"]["line"], "an error")
        self.assertEqual(by_stream["stdout"]["line"], "first half, second part, end")
        self.assertEqual(by_stream["stdout"]["ts"], "1767607200000000004")

    def test_metrics_stage_on_metrics_endpoint(self):
        """The metrics stage's counter, gauge and histogram are on /metrics
        under promtail_custom_ (or the prefix given), per label set."""
        stages = """
- regex:
    expression: 'status=(?P<status>\\d+) took=(?P<took>\\S+)'
- labels:
    status:
- metrics:
    lines_total:
      type: Counter
      description: "all lines"
      config: {match_all: true, action: inc}
    took_seconds:
      type: Histogram
      description: "request time"
      source: took
      config: {buckets: [0.1, 1]}
    last_took:
      type: Gauge
      prefix: app_
      source: took
      config: {action: set}
"""
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx, stages)
            self.append("web.log", "status=200 took=50ms\nstatus=200 took=0.5\nstatus=500 took=2s\n")
            with harness.Sluice(BUILD, self.config) as agent:
                rx.wait_entries(3, timeout=20)
                text = agent.metrics()
                m = harness.parse_metrics(text)
                self.assertEqual(agent.stop(), 0)
        base = {("job", "app"), ("filename", os.path.join(self.logs, "web.log"))}
        ok = frozenset(base | {("status", "200")})
        err = frozenset(base | {("status", "500")})
        self.assertIn("# TYPE promtail_custom_lines_total counter", text)
        self.assertIn("# HELP promtail_custom_lines_total all lines", text)
        self.assertEqual(m[("promtail_custom_lines_total", ok)], 2)
        self.assertEqual(m[("promtail_custom_lines_total", err)], 1)
        self.assertEqual(m[("promtail_custom_took_seconds_bucket", ok | {("le", "0.1")})], 1)
        self.assertEqual(m[("promtail_custom_took_seconds_bucket", ok | {("le", "1")})], 2)
        self.assertEqual(m[("promtail_custom_took_seconds_count", err)], 1)
        self.assertAlmostEqual(m[("promtail_custom_took_seconds_sum", ok)], 0.55)
        self.assertEqual(m[("app_last_took", err)], 2)

    def test_limit_without_drop_paces_reading(self):
        """limit without drop: every line arrives, at the rate (5 a second
        past a burst of 5: 20 lines take 3 s; sluice lets a round take a
        line or two ahead of its token, so at least 2.4 s)."""
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx, "- limit: {rate: 5, burst: 5}\n")
            self.append("fast.log", "".join("line %d\n" % i for i in range(20)))
            with harness.Sluice(BUILD, self.config) as agent:
                entries = rx.wait_entries(20, timeout=60)
                self.assertEqual(agent.stop(), 0)
        self.assertEqual([e["line"] for e in entries], ["line %d" % i for i in range(20)])
        # Entries carry the time they were read (no timestamp stage).
        spread = int(entries[-1]["ts"]) - int(entries[0]["ts"])
        self.assertGreaterEqual(spread, 2_400_000_000, spread)

    def test_inspect(self):
        """-inspect (Promtail's flag) prints, on stderr, what each stage
        changed; with -dry-run the entries go to stdout."""
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx, "- regex:\n    expression: 'level=(?P<level>\\w+)'\n"
                                  "- labels:\n    level:\n")
        self.append("app.log", "level=info hello\n")
        out_path = os.path.join(self.tmp, "out.txt")
        err_path = os.path.join(self.tmp, "err.txt")

        def err_text():
            with open(err_path) as f:
                return f.read()

        with open(out_path, "w") as out, open(err_path, "w") as err:
            proc = subprocess.Popen([SLUICE, "-config.file=" + self.config, "-dry-run", "-inspect"],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        try:
            harness.wait_until(lambda: "[inspect: labels stage]" in err_text(), 20,
                               "the labels stage's report", err_text)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(20), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        with open(out_path) as f:
            out = f.read()
        err = err_text()
        self.assertIn("[inspect: regex stage]: ", err)
        self.assertIn('{stages.Entry}.Extracted["level"]:\n\t+: info', err)
        self.assertIn('[inspect: labels stage]: \n{stages.Entry}.Entry.Labels["level"]:\n\t+: info', err)
        self.assertIn('level="info"', out)
        self.assertIn("level=info hello", out)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
