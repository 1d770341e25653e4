#!/usr/bin/env python3
"""End-to-end tests: the real sluice binary tails Docker json-file logs, runs
the shipped pino pipeline and pushes to the Loki-compatible receiver.

Usage: test_agent.py BUILD_DIR [TEST_NAME...]
"""
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
SOURCE = os.environ.get("SL_SOURCE_ROOT",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PIPELINES = os.path.join(SOURCE, "pipelines")
SLUICE = os.path.join(BUILD, "src", "sluice")
LEVEL_NAMES = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}
T0_MS = 1764115200000  # pino times: a fixed start so runs are repeatable


class AgentTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-e2e-")
        self.logs = os.path.join(self.tmp, "containers")
        os.makedirs(self.logs)
        self.positions = os.path.join(self.tmp, "positions.yaml")
        self.config = os.path.join(self.tmp, "sluice.yaml")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def container_log(self, cid):
        d = os.path.join(self.logs, cid)
        os.makedirs(d, exist_ok=True)
        return os.path.join(d, cid + "-json.log")

    def write_config(self, receiver, **kw):
        glob = os.path.join(self.logs, "*", "*-json.log")
        harness.write_config(self.config, receiver.url, self.positions,
                             [(glob, {"job": "w40k"})], pipeline=None, **kw)
        if "pipeline_stages_yaml" not in kw:
            # The shipped pipeline, referenced by name as users do.
            with open(self.config) as f:
                text, n = re.subn(r'(?m)^(  - job_name: "?w40k"?)$', r"\1\n    pipeline: pino",
                                  f.read(), count=1)
            self.assertEqual(n, 1, "no job_name line in the generated config")
            with open(self.config, "w") as f:
                f.write(text)

    def sluice(self, *args):
        return harness.Sluice(BUILD, self.config, args=["-pipelines.dir=" + PIPELINES] + list(args))

    # ---------------------------------------------------------------- tests

    def test_pino_lines_over_three_containers_arrive_exactly(self):
        """10,000 pino lines over 3 containers: every entry at info or above,
        and every line without a level, arrives once, in order per stream,
        with its labels, level name, trace ids and pino's timestamp."""
        rng_levels = [10, 20, 30, 30, 30, 40, 50, 20, 60, 30]
        expected = collections.defaultdict(list)  # (container, level) -> [(ts_ns, line)]
        paths = {}
        for c in range(3):
            cid = ("%x" % (c + 10)) * 64
            paths[c] = self.container_log(cid[:64])
        files = {c: open(p, "w") for c, p in paths.items()}
        for i in range(10000):
            c = i % 3
            ms = T0_MS + i
            docker_ts = (ms + 5000) * 10**6  # the Docker time differs from pino's on purpose
            if i % 50 == 7:
                text = "plain text line %d without a level" % i
                files[c].write(harness.docker_line(text, stream="stderr", ts=docker_ts))
                expected[(c, None, "stderr")].append((docker_ts, text))
                continue
            level = rng_levels[i % len(rng_levels)]
            rec = harness.pino_record(level, "message %d" % i, ms,
                                      trace_id="%032x" % i, span_id="%016x" % i)
            text = json.dumps(rec, separators=(",", ":"))
            files[c].write(harness.docker_line(text, ts=docker_ts))
            if level >= 30:
                expected[(c, LEVEL_NAMES[level], "stdout")].append((ms * 10**6, text))
        for f in files.values():
            f.close()
        total = sum(len(v) for v in expected.values())

        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx)
            with self.sluice() as agent:
                rx.wait_entries(total, timeout=60)
                agent.wait_metrics()
                dropped = harness.parse_metrics(agent.metrics())
                self.assertEqual(agent.stop(), 0, agent.log())
            entries = rx.entries()

        self.assertEqual(len(entries), total)
        by_stream = collections.defaultdict(list)
        path_index = {p: c for c, p in paths.items()}
        for e in entries:
            labels = e["labels"]
            c = path_index[labels["filename"]]
            self.assertEqual(labels["job"], "w40k")
            key = (c, labels.get("level"), labels["stream"])
            by_stream[key].append((int(e["ts"]), e["line"]))
            if labels.get("level"):
                rec = json.loads(e["line"])
                self.assertEqual(e["metadata"].get("trace_id"), rec["trace_id"])
                self.assertEqual(e["metadata"].get("span_id"), rec["span_id"])
                self.assertNotIn("trace_id", labels)
            self.assertNotIn(labels.get("level"), ("debug", "trace"))
        self.assertEqual(set(by_stream), set(expected))
        for key, want in expected.items():
            self.assertEqual(by_stream[key], want, "stream %r" % (key,))
        below = sum(v for (name, labels), v in dropped.items()
                    if name == "sluice_dropped_entries_total"
                    and ("reason", "level_below_min") in labels)
        self.assertEqual(below, 10000 - 200 - sum(
            1 for i in range(10000) if i % 50 != 7 and rng_levels[i % 10] >= 30))

    def test_line_split_by_docker_arrives_whole(self):
        """A 100 KiB message that Docker wrote as 7 pieces arrives as one entry."""
        big = harness.pino_record(30, "army list export", T0_MS, payload="é" * 52000)
        text = json.dumps(big, ensure_ascii=False, separators=(",", ":"))
        self.assertGreater(len(text.encode()), 100 * 1024)
        path = self.container_log("a" * 64)
        with open(path, "w") as f:
            f.write(harness.docker_line(json.dumps(harness.pino_record(30, "before", T0_MS - 1)),
                                        ts=T0_MS * 10**6))
            pieces = harness.docker_lines(text, ts=T0_MS * 10**6)
            self.assertGreaterEqual(pieces.count("\n"), 7)
            f.write(pieces)
            f.write(harness.docker_line(json.dumps(harness.pino_record(30, "after", T0_MS + 1)),
                                        ts=T0_MS * 10**6))
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx)
            with self.sluice() as agent:
                rx.wait_entries(3, timeout=30)
                self.assertEqual(agent.stop(), 0)
            entries = rx.entries()
        self.assertEqual([json.loads(e["line"])["msg"] for e in entries],
                         ["before", "army list export", "after"])
        self.assertEqual(entries[1]["line"], text)

    def test_503_then_204_loses_nothing(self):
        """Loki answers 503 for a while: the agent retries with backoff and
        every entry arrives once."""
        path = self.container_log("b" * 64)
        with open(path, "w") as f:
            for i in range(3000):
                f.write(harness.docker_line(json.dumps(harness.pino_record(30, "m%d" % i, T0_MS + i))))
        with harness.Receiver(BUILD, self.tmp, script="503x6") as rx:
            self.write_config(rx, extra_client={"batchsize": 65536,
                                                "backoff_config": {"min_period": "20ms",
                                                                   "max_period": "200ms"}})
            started = time.monotonic()
            with self.sluice() as agent:
                rx.wait_entries(3000, timeout=60)
                retries = harness.parse_metrics(agent.metrics())
                self.assertEqual(agent.stop(), 0)
                log = agent.log()
            entries = rx.entries()
            stats = rx.stats()
        self.assertEqual(stats["statuses"].get("503"), 6)
        # The run of failures is told as it starts (then once every 10 s at
        # most: the six usually take well under that) and once as it ends.
        lines = log.count('msg="push failed, will retry"')
        self.assertGreaterEqual(lines, 1, log)
        self.assertLessEqual(lines, 1 + int((time.monotonic() - started) / 10), log)
        self.assertIn("status=503", log)
        self.assertIn('msg="push succeeded after failures"', log)
        self.assertIn("failures=6", log)
        self.assertEqual([json.loads(e["line"])["msg"] for e in entries],
                         ["m%d" % i for i in range(3000)])
        self.assertEqual(sum(v for (n, _), v in retries.items()
                             if n == "sluice_batch_retries_total"), 6)

    def test_400_drops_that_batch_and_goes_on(self):
        """A 400 refuses one batch for good: it is counted as dropped, not
        retried, and what follows arrives."""
        path = self.container_log("c" * 64)
        with open(path, "w") as f:
            f.write(harness.docker_line(json.dumps(harness.pino_record(30, "first", T0_MS))))
        with harness.Receiver(BUILD, self.tmp, script="400") as rx:
            self.write_config(rx)
            with self.sluice() as agent:
                agent.wait_metrics()
                harness.wait_until(lambda: rx.stats()["statuses"].get("400") == 1, 20,
                                   "the refused push")
                with open(path, "a") as f:
                    for i in range(5):
                        f.write(harness.docker_line(
                            json.dumps(harness.pino_record(40, "later %d" % i, T0_MS + 1 + i))))
                rx.wait_entries(5, timeout=20)
                m = harness.parse_metrics(agent.metrics())
                self.assertEqual(agent.stop(), 0)
                log = agent.log()
            entries = rx.entries()
            self.assertEqual(rx.stats()["statuses"].get("400"), 1)
        self.assertEqual([json.loads(e["line"])["msg"] for e in entries],
                         ["later %d" % i for i in range(5)])
        refused = sum(v for (n, labels), v in m.items() if n == "sluice_dropped_entries_total"
                      and ("reason", "loki_out_of_order") in labels)
        self.assertEqual(refused, 1)
        self.assertIn("Loki refused a batch", log)
        self.assertIn("reason=loki_out_of_order", log)

    def test_reading_waits_while_the_client_has_a_batch_waiting(self):
        """A slow Loki: reading goes no further ahead than a full batch
        waiting behind the one being sent (memory held stays near three
        batches, far below max_buffered_bytes), and every entry arrives."""
        batchsize = 256 * 1024
        block = 256 * 1024  # a read (read_size): a round stops at the end of one once full
        lines = 16000
        for c in range(2):
            with open(self.container_log(("%x" % (c + 3)) * 64), "w") as f:
                for i in range(c, lines, 2):
                    rec = harness.pino_record(30, "slow loki %d" % i, T0_MS + i, pad="x" * 400)
                    f.write(harness.docker_line(json.dumps(rec), ts=(T0_MS + i) * 10**6))
        written = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(self.logs)
                      for n in ns)
        self.assertGreater(written, 8 * 10**6)
        with harness.Receiver(BUILD, self.tmp, count_only=True, delay_ms=50) as rx:
            self.write_config(rx, extra_client={"batchsize": batchsize, "batchwait": "1s"})
            with self.sluice() as agent:
                agent.wait_metrics()
                held = []

                def all_arrived():
                    held.append(int(agent.metric("sluice_buffered_bytes") or 0))
                    return rx.stats()["entries"] >= lines
                harness.wait_until(all_arrived, 120, "%d entries" % lines,
                                   lambda: "%s; held %r" % (rx.stats(), held[-5:]))
                self.assertEqual(agent.stop(), 0, agent.log()[-2000:])
            self.assertEqual(rx.stats()["entries"], lines)
        # In flight, waiting and open batches (each at most a line over
        # batchsize), plus the lines of the block being read when the
        # waiting one was sealed.
        self.assertGreater(max(held), 0)
        self.assertLessEqual(max(held), 3 * (batchsize + 1024) + block, held)

    def test_tls_errors_are_explained_when_the_config_speaks_tls(self):
        """OpenSSL's error texts are loaded when the config speaks TLS (here
        https:// to a receiver that answers plain HTTP), and left out when it
        does not (tls-lib.h); a reload that starts speaking TLS then says that
        its TLS errors come by code."""
        path = self.container_log("e" * 64)
        with open(path, "w") as f:
            f.write(harness.docker_line(json.dumps(harness.pino_record(30, "one", T0_MS))))
        with harness.Receiver(BUILD, self.tmp) as rx:
            https = type("R", (), {"url": rx.url.replace("http://", "https://", 1)})()
            server = {"enable_runtime_reload": True, "graceful_shutdown_timeout": "100ms",
                      "http_listen_port": harness.free_port()}
            # Retries every 200 ms at most, without end: a push failure is
            # logged at once, then every 10 s, and the first one may be the
            # receiver closing before it answers (SSL_ERROR_SYSCALL, which
            # holds no OpenSSL text or code); the next logged one is not.
            retrying = {"backoff_config": {"min_period": "50ms", "max_period": "200ms",
                                           "max_retries": 1000}}
            self.write_config(https, extra={"server": server}, extra_client=retrying)
            with self.sluice() as agent:
                harness.wait_until(lambda: "wrong version number" in agent.log(), 35,
                                   "the TLS error's text in the log", lambda: agent.log()[-2000:])
                agent.stop()
                self.assertIn('msg="push failed, will retry"', agent.log())

            os.remove(self.positions)
            self.write_config(rx, extra={"server": server})
            with self.sluice() as agent:
                rx.wait_entries(1, timeout=20)
                started = time.monotonic()
                self.write_config(https, extra={"server": server}, extra_client=retrying)
                agent.proc.send_signal(signal.SIGHUP)
                harness.wait_until(lambda: 'msg="reloaded"' in agent.log(), 20,
                                   "the reload", lambda: agent.log()[-2000:])
                self.assertIn("TLS errors are reported by code", agent.log())
                with open(path, "a") as f:
                    f.write(harness.docker_line(json.dumps(harness.pino_record(30, "two", T0_MS + 1))))
                harness.wait_until(lambda: "reason(267)" in agent.log(), 35,
                                   "the TLS error by its code", lambda: agent.log()[-2000:])
                agent.stop()
                # The first failure of the run, then a line every 10 s at most
                # (several failures a second happen meanwhile).
                lines = agent.log().count("push failed, will retry")
                self.assertGreaterEqual(lines, 1)
                self.assertLessEqual(lines, 1 + int((time.monotonic() - started) / 10))

    def test_restart_resumes_from_positions(self):
        """SIGTERM saves positions; a restart ships only what was written since."""
        path = self.container_log("d" * 64)
        with open(path, "w") as f:
            for i in range(100):
                f.write(harness.docker_line(json.dumps(harness.pino_record(30, "a%d" % i, T0_MS + i))))
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx)
            with self.sluice() as agent:
                rx.wait_entries(100, timeout=20)
                self.assertEqual(agent.stop(), 0)
            self.assertTrue(os.path.exists(self.positions))
            with open(path, "a") as f:
                for i in range(100, 150):
                    f.write(harness.docker_line(
                        json.dumps(harness.pino_record(30, "a%d" % i, T0_MS + i))))
            with self.sluice() as agent:
                rx.wait_entries(150, timeout=20)
                self.assertEqual(agent.stop(), 0)
            entries = rx.entries()
        self.assertEqual([json.loads(e["line"])["msg"] for e in entries],
                         ["a%d" % i for i in range(150)])

    def test_promtail_positions_file_is_taken_over(self):
        """Moving from Promtail: pointed at Promtail's positions file, sluice
        goes on from Promtail's offsets instead of shipping everything again."""
        path = self.container_log("9" * 64)
        lines = [harness.docker_line(json.dumps(harness.pino_record(30, "p%d" % i, T0_MS + i)))
                 for i in range(10)]
        with open(path, "w") as f:
            f.write("".join(lines))
        offset = len("".join(lines[:6]).encode())
        with open(self.positions, "w") as f:
            f.write('positions:\n  %s: "%d"\n' % (path, offset))
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx)
            with self.sluice() as agent:
                rx.wait_entries(4, timeout=20)
                self.assertEqual(agent.stop(), 0)
            entries = rx.entries()
        self.assertEqual([json.loads(e["line"])["msg"] for e in entries],
                         ["p%d" % i for i in range(6, 10)])
        with open(self.positions) as f:
            self.assertTrue(f.readline().startswith("# sluice positions v"))

    def test_metrics_ready_and_status(self):
        """/metrics carries the families the README lists; /ready and / answer."""
        path = self.container_log("e" * 64)
        with open(path, "w") as f:
            f.write(harness.docker_line(json.dumps(harness.pino_record(20, "dbg", T0_MS))))
            f.write(harness.docker_line(json.dumps(harness.pino_record(30, "inf", T0_MS + 1))))
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx)
            with self.sluice() as agent:
                rx.wait_entries(1, timeout=20)
                text = agent.wait_metrics()
                harness.wait_until(
                    lambda: agent.metric("sluice_sent_entries_total", host=rx.url) == 1, 10,
                    "sluice_sent_entries_total to reach 1")
                text = agent.metrics()
                base = agent.metrics_url.rsplit("/", 1)[0]
                with urllib.request.urlopen(base + "/ready", timeout=5) as r:
                    self.assertEqual(r.status, 200)
                with urllib.request.urlopen(base + "/", timeout=5) as r:
                    self.assertIn(b"sluice", r.read())
                self.assertEqual(agent.stop(), 0)
        for family in ("sluice_build_info", "sluice_read_bytes_total", "sluice_file_bytes",
                       "sluice_read_lines_total", "sluice_sent_entries_total",
                       "sluice_dropped_entries_total", "sluice_sent_bytes_total",
                       "sluice_request_duration_seconds_bucket", "sluice_batch_retries_total",
                       "sluice_files_active"):
            self.assertIn("\n" + family, text, family)
        m = harness.parse_metrics(text)
        self.assertEqual(m[("sluice_read_lines_total", frozenset())], 2)
        self.assertEqual(m[("sluice_files_active", frozenset())], 1)
        self.assertEqual(m[("sluice_file_bytes", frozenset({("path", path)}))],
                         os.path.getsize(path))
        self.assertEqual(m[("sluice_dropped_entries_total",
                            frozenset({("job", "w40k"), ("reason", "level_below_min")}))], 1)
        self.assertGreaterEqual(m[("sluice_request_duration_seconds_count",
                                   frozenset({("host", rx.url), ("status_code", "204")}))], 1)

    def test_dry_run_prints_and_pushes_nothing(self):
        path = self.container_log("f" * 64)
        with open(path, "w") as f:
            f.write(harness.docker_line(json.dumps(harness.pino_record(
                50, "boom", T0_MS, trace_id="ab" * 16))))
            f.write(harness.docker_line(json.dumps(harness.pino_record(20, "quiet", T0_MS + 1))))
        with harness.Receiver(BUILD, self.tmp) as rx:
            self.write_config(rx)
            with self.sluice("-dry-run") as agent:
                harness.wait_until(lambda: "boom" in agent.log(), 20, "the dry-run entry")
                self.assertEqual(agent.stop(), 0)
                out = agent.log()
            self.assertEqual(rx.stats()["pushes"], 0)
        line = [l for l in out.splitlines() if "boom" in l][0]
        self.assertIn('level="error"', line)
        self.assertIn('trace_id="' + "ab" * 16 + '"', line)
        self.assertIn("2025-11-26T00:00:00.000000000Z", line)
        self.assertNotIn("quiet", out)
        self.assertFalse(os.path.exists(self.positions))


class DemoTest(unittest.TestCase):
    def test_demo_streams_are_named_after_their_containers(self):
        """scripts/demo.sh's setup (conf/demo.yaml, pipelines/pino.yaml, the
        containers scripts/demo-logs.py writes): every stream carries
        `container` and `compose_service`, from config.v2.json."""
        with tempfile.TemporaryDirectory() as tmp:
            containers = os.path.join(tmp, "containers")
            os.makedirs(containers)
            with harness.Receiver(BUILD, tmp, verbose=False) as rx:
                port = harness.free_port()
                env = dict(os.environ, SLUICE_DEMO_DIR=tmp, SLUICE_HTTP_PORT=str(port),
                           LOKI_URL=rx.url)
                p = subprocess.Popen([SLUICE, "-config.file", os.path.join(SOURCE, "conf",
                                                                         "demo.yaml"),
                                      "-config.expand-env=true", "-pipelines.dir", PIPELINES],
                                     env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
                try:
                    out = subprocess.run([sys.executable,
                                          os.path.join(SOURCE, "scripts", "demo-logs.py"),
                                          containers, "1"], capture_output=True, text=True,
                                         check=True, timeout=60).stdout
                    want = json.loads(out.strip().splitlines()[-1])["expected"]
                    entries = rx.wait_entries(want, timeout=30)
                finally:
                    p.send_signal(signal.SIGTERM)
                    _, err = p.communicate(timeout=30)
                self.assertEqual(p.returncode, 0, err[-2000:])
        streams = collections.Counter((e["labels"].get("container"),
                                       e["labels"].get("compose_service")) for e in entries)
        self.assertEqual(set(streams), {("w40k-api", "api"), ("w40k-worker", "worker")},
                         streams)


class CommandLineTest(unittest.TestCase):
    def run_sluice(self, *args):
        return subprocess.run([SLUICE] + list(args), capture_output=True, text=True, timeout=30)

    def test_check_config_on_shipped_configs(self):
        for name in sorted(os.listdir(os.path.join(SOURCE, "conf"))):
            if not name.endswith(".yaml"):
                continue
            env = dict(os.environ, SLUICE_DEMO_DIR="/tmp/demo",
                       LOKI_URL="http://127.0.0.1:3100/loki/api/v1/push")
            p = subprocess.run([SLUICE, "-config.file", os.path.join(SOURCE, "conf", name),
                                "-config.expand-env=true", "-pipelines.dir", PIPELINES,
                                "-check-config"], capture_output=True, text=True, env=env,
                               timeout=30)
            self.assertEqual(p.returncode, 0, name + ": " + p.stderr)

    def test_check_config_on_every_shipped_pipeline(self):
        with tempfile.TemporaryDirectory() as tmp:
            for name in sorted(os.listdir(PIPELINES)):
                if not name.endswith(".yaml"):
                    continue
                cfg = os.path.join(tmp, "c.yaml")
                with open(cfg, "w") as f:
                    f.write("clients: [{url: 'http://127.0.0.1:1/loki/api/v1/push'}]\n"
                            "scrape_configs:\n  - job_name: j\n"
                            "    static_configs: [{labels: {__path__: /x/*.log}}]\n"
                            "    pipeline: %s\n" % name[:-5])
                p = self.run_sluice("-config.file=" + cfg, "-pipelines.dir=" + PIPELINES,
                                    "-check-config")
                self.assertEqual(p.returncode, 0, name + ": " + p.stderr)

    def test_bad_config_names_file_line_and_key(self):
        with tempfile.TemporaryDirectory() as tmp:
            cfg = os.path.join(tmp, "bad.yaml")
            with open(cfg, "w") as f:
                f.write("clients:\n  - url: http://127.0.0.1:1/loki/api/v1/push\n"
                        "    batchwait: soon\n"
                        "scrape_configs:\n  - job_name: j\n"
                        "    static_configs: [{labels: {__path__: /x/*.log}}]\n")
            p = self.run_sluice("-config.file", cfg, "-check-config")
            self.assertEqual(p.returncode, 1)
            self.assertIn(cfg + ":3:", p.stderr)
            self.assertIn("batchwait", p.stderr)
            with open(cfg, "w") as f:
                f.write("clients:\n  - url: http://127.0.0.1:1/loki/api/v1/push\n"
                        "scrape_configs:\n  - job_name: j\n"
                        "    static_configs: [{labels: {__path__: /x/*.log}}]\n"
                        "    pipeline_stages:\n      - json: {expresions: {a: b}}\n")
            p = self.run_sluice("-config.file", cfg, "-check-config")
            self.assertEqual(p.returncode, 1)
            self.assertIn(cfg + ":7:", p.stderr)
            self.assertIn("expresions", p.stderr)

    def test_version_help_and_usage(self):
        p = self.run_sluice("-version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^sluice \d+\.\d+\.\d+")
        p = self.run_sluice("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("-config.file", p.stdout)
        p = self.run_sluice("-help", "stages")
        self.assertIn("docker", p.stdout)
        p = self.run_sluice("-no-such-flag")
        self.assertEqual(p.returncode, 2)
        p = self.run_sluice()
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
