#!/usr/bin/env python3
"""Fault test: reloading the config under load loses no line and sends none
twice.

A container writes 30,000 lines at 3,000 lines/s while the config is
reloaded six times: by SIGHUP and by POST /reload (server
.enable_runtime_reload), changing a label, the batch settings, the
pipeline, adding a glob and a second Loki, and once with a config that does
not load (a typo: refused with its file, line and key, counted, the running
config goes on). Every line must arrive exactly once at the first receiver,
with the labels of the config that was running when it was read; the
second receiver gets every line from when it was added.

Usage: test_reload.py BUILD_DIR [TEST_NAME...]
"""
import os
import shutil
import signal
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import EntryReader, LogWriter, Timer, harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
WAIT = 60.0
LINES = 30_000
RATE = 3_000
CID = "f" * 64


class ReloadTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-fault-")
        self.dir = os.path.join(self.tmp, "containers", CID)
        os.makedirs(self.dir)
        self.live = os.path.join(self.dir, CID + "-json.log")
        self.config = os.path.join(self.tmp, "sluice.yaml")
        self.port = harness.free_port()

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, rx_urls, stage="v1", batchwait="200ms", extra_glob=False, typo=False):
        """Writes the config: every client in rx_urls, a `stage` label set by
        a static_labels stage (so a reload that changes the pipeline shows),
        optionally a second glob, optionally a typo."""
        clients = [{"url": u, "batchwait": batchwait, "batchsize": 65536,
                    "backoff_config": {"min_period": "50ms", "max_period": "500ms"}}
                   for u in rx_urls]
        globs = [(os.path.join(self.tmp, "containers", "*", "*-json.log"), {"job": "reload"})]
        if extra_glob:
            globs.append((os.path.join(self.tmp, "other", "*.log"), {"job": "other"}))
        stages = "- docker: {}\n- static_labels: {stage: %s}\n" % stage
        extra = {"clients": clients,
                 "server": {"enable_runtime_reload": True, "http_listen_port": self.port}}
        if typo:
            extra["target_config"] = {"sync_preiod": "1s"}
        tmp = self.config + ".new"
        harness.write_config(tmp, rx_urls[0], os.path.join(self.tmp, "positions"), globs,
                             pipeline_stages_yaml=stages, extra=extra, http_port=self.port)
        os.rename(tmp, self.config)

    def post_reload(self):
        req = urllib.request.Request("http://127.0.0.1:%d/reload" % self.port, data=b"",
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def wait_reloaded(self, agent, n):
        harness.wait_until(
            lambda: agent.metric("sluice_config_reloads_total", result="success") == n, WAIT,
            "reload %d to take effect" % n, lambda: agent.log()[-2000:])

    def test_reloads_under_load_lose_and_double_nothing(self):
        timer = Timer("reload under load")
        d1, d2 = os.path.join(self.tmp, "rx1"), os.path.join(self.tmp, "rx2")
        os.makedirs(d1)
        os.makedirs(d2)
        os.makedirs(os.path.join(self.tmp, "other"))
        with harness.Receiver(BUILD, d1, verbose=False) as rx, \
                harness.Receiver(BUILD, d2, verbose=False) as rx2:
            self.write([rx.url])
            reader, reader2 = EntryReader(rx.entries_path), EntryReader(rx2.entries_path)
            writer = LogWriter(self.live, LINES, 1 << 40, rate=RATE, seed=3)
            with harness.Sluice(BUILD, self.config) as agent:
                agent.wait_metrics()
                writer.start()
                # 1: a label changed by the pipeline, by SIGHUP.
                harness.wait_until(lambda: reader.poll() > 2000, WAIT, "lines before reload 1")
                self.write([rx.url], stage="v2")
                agent.proc.send_signal(signal.SIGHUP)
                self.wait_reloaded(agent, 1)
                # 2: batch settings and a new glob, over HTTP.
                harness.wait_until(lambda: reader.poll() > 6000, WAIT, "lines before reload 2")
                self.write([rx.url], stage="v3", batchwait="50ms", extra_glob=True)
                status, body = self.post_reload()
                self.assertEqual(status, 200, body)
                self.wait_reloaded(agent, 2)
                with open(os.path.join(self.tmp, "other", "x.log"), "wb") as f:
                    f.write(faultlib.line_for(10 ** 7, 99, 10))
                # 3: a config that does not load: refused, counted, the
                # running one goes on.
                self.write([rx.url], stage="bad", typo=True)
                status, body = self.post_reload()
                self.assertEqual(status, 500, body)
                self.assertIn("target_config.sync_preiod", body)
                self.assertIn("did you mean", body)
                self.assertEqual(agent.metric("sluice_config_reload_success"), 0)
                self.assertEqual(agent.metric("sluice_config_reloads_total", result="failure"), 1)
                agent.proc.send_signal(signal.SIGHUP)
                harness.wait_until(
                    lambda: agent.metric("sluice_config_reloads_total", result="failure") == 2,
                    WAIT, "the second refusal")
                # 4: a second Loki.
                harness.wait_until(lambda: reader.poll() > 12000, WAIT, "lines before reload 4")
                self.write([rx.url, rx2.url], stage="v4", extra_glob=True)
                agent.proc.send_signal(signal.SIGHUP)
                self.wait_reloaded(agent, 3)
                added_at = writer.written
                self.assertEqual(agent.metric("sluice_config_reload_success"), 1)
                # 5, 6: two more in quick succession (the second may find the
                # first under way: refused as busy, or taken after it).
                self.write([rx.url, rx2.url], stage="v5", extra_glob=True)
                agent.proc.send_signal(signal.SIGHUP)
                self.wait_reloaded(agent, 4)
                self.write([rx.url, rx2.url], stage="v6", extra_glob=True)
                status, body = self.post_reload()
                self.assertEqual(status, 200, body)
                self.wait_reloaded(agent, 5)
                writer.join(WAIT)
                expected = list(range(writer.written))
                reader.wait_all(expected, WAIT, detail=lambda: agent.log()[-2000:])
                reader2.wait_all(range(added_at + RATE, writer.written), WAIT,
                                 detail=lambda: agent.log()[-2000:])
                self.assertEqual(agent.stop(), 0, agent.log()[-2000:])
                log = agent.log()
            reader.poll()
            entries = rx.entries()
        self.assertEqual(reader.missing(expected), [])
        self.assertEqual(reader.duplicates(), 0, "lines sent twice across reloads")
        self.assertIn('reload refused', log)
        stages = {e["labels"].get("stage") for e in entries}
        self.assertEqual(stages - {"v1", "v2", "v3", "v4", "v5", "v6"}, set(), stages)
        self.assertTrue({"v1", "v2", "v6"} <= stages, stages)
        self.assertIn("other", {e["labels"].get("job") for e in entries})
        # A line's label is the config's that read it: stages never go back.
        order = [int(e["labels"]["stage"][1:]) for e in entries
                 if e["labels"].get("job") == "reload"]
        self.assertEqual(order, sorted(order))
        timer.report(lines=writer.written, second_receiver=reader2.n)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
