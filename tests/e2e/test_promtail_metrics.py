#!/usr/bin/env python3
"""-metrics.promtail-names: every metric the Promtail mixin queries is
exported, with the labels its queries use, so its dashboards and alerts
work unchanged. The list is the mixin's (grafana/loki 3.4,
production/promtail-mixin: dashboards.libsonnet, alerts.libsonnet,
recording_rules.libsonnet): facts about what it reads.

Usage: test_promtail_metrics.py BUILD_DIR
"""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"

# name -> labels its queries group or filter by (beyond the scrape's own
# job, namespace, cluster, instance).
MIXIN = {
    "promtail_build_info": set(),
    "promtail_targets_active_total": set(),
    "promtail_files_active_total": set(),
    "promtail_read_bytes_total": {"path"},
    "promtail_read_lines_total": {"path"},
    "promtail_file_bytes_total": {"path"},
    "promtail_request_duration_seconds_count": {"status_code"},
    "promtail_request_duration_seconds_bucket": {"status_code", "le"},
    "promtail_request_duration_seconds_sum": {"status_code"},
}
# What Promtail's client exports besides, with its label names.
CLIENT = {
    "promtail_sent_entries_total": {"host"},
    "promtail_sent_bytes_total": {"host"},
    "promtail_encoded_bytes_total": {"host"},
    "promtail_dropped_entries_total": {"host", "tenant", "reason"},
    "promtail_batch_retries_total": {"host", "tenant"},
}


class PromtailMetricsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-e2e-")
        self.logs = os.path.join(self.tmp, "logs")
        os.makedirs(self.logs)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_every_metric_the_mixin_queries(self):
        with harness.Receiver(BUILD, self.tmp, verbose=False) as rx:
            config = os.path.join(self.tmp, "sluice.yaml")
            harness.write_config(config, rx.url, os.path.join(self.tmp, "positions"),
                                 [(os.path.join(self.logs, "*.log"), {"job": "m"})])
            with open(os.path.join(self.logs, "a.log"), "w") as f:
                f.write("".join("line %d\n" % i for i in range(100)))
            with harness.Sluice(BUILD, config, args=["-metrics.promtail-names"]) as agent:
                agent.wait_metrics()
                rx.wait_entries(100)
                harness.wait_until(
                    lambda: agent.metric("promtail_sent_entries_total",
                                         host=rx.url.split("/")[2]) == 100, 10,
                    "promtail_sent_entries_total to count the push")
                samples = harness.parse_metrics(agent.metrics())
                agent.stop()
        got = {}
        for name, labels in samples:
            got.setdefault(name, set()).update(k for k, _ in labels)
        for name, labels in list(MIXIN.items()) + list(CLIENT.items()):
            self.assertIn(name, got, "%s is not exported" % name)
            self.assertTrue(labels <= got[name], "%s lacks labels %s" % (name, labels - got[name]))
        path = os.path.join(self.logs, "a.log")
        self.assertEqual(samples[("promtail_read_lines_total", frozenset({("path", path)}))], 100)
        self.assertEqual(samples[("promtail_file_bytes_total", frozenset({("path", path)}))],
                         os.path.getsize(path))
        self.assertEqual(samples[("promtail_files_active_total", frozenset())], 1)
        self.assertEqual(samples[("promtail_targets_active_total", frozenset())], 1)
        ok = [v for (n, l), v in samples.items()
              if n == "promtail_request_duration_seconds_count" and ("status_code", "204") in l]
        self.assertEqual(len(ok), 1)
        self.assertGreaterEqual(ok[0], 1)
        # The alert "PromtailFileMissing" is promtail_file_bytes_total unless
        # promtail_read_bytes_total: both are there for every file.
        files = {l for (n, l) in samples if n == "promtail_file_bytes_total"}
        self.assertEqual(files, {l for (n, l) in samples if n == "promtail_read_bytes_total"})


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
