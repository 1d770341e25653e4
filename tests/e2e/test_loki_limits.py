#!/usr/bin/env python3
"""Loki's limits, enforced before sending, end to end: a pipeline makes the
request path a label, as a new user would, and among 2,000 lines 20 have a
3,000-byte path and 20 more labels than Loki takes (15 names). The receiver
validates like Loki 3.4 with its default limits (stream by stream, a 400
naming what it refused, the rest stored).

Usage: test_loki_limits.py BUILD_DIR [TEST_NAME...]
"""
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
LINES = 2000
EXTRA = ["a%02d" % i for i in range(1, 20)]  # 19 more labels: 23 names in all

STAGES = """\
- docker: {}
- json:
    expressions:
      route:
      %s
- labels:
    route:
    %s
""" % ("\n      ".join(f"{n}:" for n in EXTRA), "\n    ".join(f"{n}:" for n in EXTRA))


def line_of(i):
    """(record, kind): kind is "long" (a 3,000-byte route), "many" (23 label
    names) or "ok"."""
    rec = {"level": 30, "time": 1764115200000 + i, "msg": "request %d" % i, "route": "/users/%d" % (i % 7)}
    if i % 100 == 3:
        rec["route"] = "/" + ("x%04d" % i) * 600  # 3,000 bytes, one per line
        return rec, "long"
    if i % 100 == 53:
        rec.update({n: "v" for n in EXTRA})
        return rec, "many"
    return rec, "ok"


def metric(m, name, reason):
    return sum(v for (n, labels), v in m.items() if n == name and ("reason", reason) in labels)


class LokiLimitsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-e2e-limits-")
        d = os.path.join(self.tmp, "containers", "c" * 64)
        os.makedirs(d)
        self.log = os.path.join(d, "c" * 64 + "-json.log")
        self.kinds = {}
        with open(self.log, "w") as f:
            for i in range(LINES):
                rec, kind = line_of(i)
                self.kinds["request %d" % i] = kind
                f.write(harness.docker_line(rec))
        self.config = os.path.join(self.tmp, "sluice.yaml")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_agent(self, want_entries, limits=None):
        glob = os.path.join(self.tmp, "containers", "*", "*-json.log")
        with harness.Receiver(BUILD, self.tmp) as rx:
            harness.write_config(self.config, rx.url, os.path.join(self.tmp, "positions.yaml"),
                                 [(glob, {"job": "api"})], pipeline_stages_yaml=STAGES,
                                 extra={"limits_config": limits} if limits else None)
            with harness.Sluice(BUILD, self.config) as agent:
                agent.wait_metrics()
                rx.wait_entries(want_entries, timeout=60)
                # Every line is answered for before the counters are read.
                harness.wait_until(lambda: harness.parse_metrics(agent.metrics()).get(
                    ("sluice_batches_pending", frozenset({("host", rx.url)}))) == 0, 30, "batches done")
                m = harness.parse_metrics(agent.metrics())
                self.assertEqual(agent.stop(), 0, agent.log())
                log = agent.log()
            return rx.entries(), rx.stats(), m, log

    def by_kind(self, entries):
        out = {"ok": [], "long": [], "many": []}
        for e in entries:
            out[self.kinds[json.loads(e["line"])["msg"]]].append(e)
        return out

    def test_lines_over_the_limits_arrive_with_their_labels_cut(self):
        """By default every line reaches Loki: a 3,000-byte route is cut to
        2,048 bytes, the label names past 15 are left out, and both are counted
        by reason; the lines beside them are untouched and nothing is refused."""
        entries, stats, m, _ = self.run_agent(LINES)
        self.assertEqual(len(entries), LINES)
        self.assertEqual(stats["statuses"].get("400"), None, stats)
        kinds = self.by_kind(entries)
        self.assertEqual([len(kinds[k]) for k in ("ok", "long", "many")], [1960, 20, 20])
        for e in kinds["long"]:
            rec = json.loads(e["line"])
            self.assertEqual(e["labels"]["route"], rec["route"][:2048])
        for e in kinds["many"]:
            self.assertEqual(len(e["labels"]), 15, e["labels"])
            # The target's and the docker stage's labels come first and stay.
            for name in ("job", "filename", "stream", "route"):
                self.assertIn(name, e["labels"])
        for e in kinds["ok"]:
            self.assertEqual(set(e["labels"]), {"job", "filename", "stream", "route"})
        self.assertEqual(metric(m, "sluice_label_limited_entries_total", "label_value_too_long"), 20)
        self.assertEqual(metric(m, "sluice_label_limited_entries_total", "max_label_names_per_series"), 20)
        self.assertEqual(sum(v for (n, _), v in m.items() if n == "sluice_dropped_entries_total"), 0)

    def test_drop_over_label_limits(self):
        """With drop_over_label_limits those 40 lines are dropped and counted by
        reason; the 1,960 beside them arrive."""
        entries, stats, m, _ = self.run_agent(LINES - 40, {"drop_over_label_limits": True})
        self.assertEqual(len(entries), LINES - 40)
        self.assertEqual(len(self.by_kind(entries)["ok"]), LINES - 40)
        self.assertEqual(metric(m, "sluice_dropped_entries_total", "label_value_too_long"), 20)
        self.assertEqual(metric(m, "sluice_dropped_entries_total", "max_label_names_per_series"), 20)
        self.assertEqual(stats["statuses"].get("400"), None, stats)

    def test_partial_acceptance_counts_what_loki_refused(self):
        """With sluice's own limits off, Loki (the receiver) refuses those
        streams with a 400 that names them and stores the rest: sluice counts
        the 40 refused entries, not the batches they came in."""
        entries, stats, m, log = self.run_agent(LINES - 40, {"max_label_value_length": 0,
                                                             "max_label_names_per_series": 0})
        self.assertEqual(len(entries), LINES - 40)
        self.assertEqual(len(self.by_kind(entries)["ok"]), LINES - 40)
        self.assertGreaterEqual(stats["statuses"].get("400", 0), 1, stats)
        self.assertEqual(metric(m, "sluice_dropped_entries_total", "loki_invalid_labels"), 40)
        sent = sum(v for (n, _), v in m.items() if n == "sluice_sent_entries_total")
        self.assertEqual(sent, LINES - 40)
        self.assertIn("Loki refused a batch, whole or in part", log)
        self.assertIn("accepted=", log)
        self.assertIn("reason=loki_invalid_labels", log)
        # Loki's long quotes are shortened, so the log says what was refused.
        self.assertIn("has label value too long", log)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
