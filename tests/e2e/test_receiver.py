"""test_receiver.py - the Loki stand-in answers and records as Loki would.

Run: python3 test_receiver.py BUILD_ROOT   (meson test does, suite e2e).
The receiver is the oracle of every end-to-end test, so it is tested here on
its own, with the push client and raw HTTP, before anything trusts it.
"""

import json
import os
import random
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Receiver, post, push_file, write_entries  # noqa: E402

BUILD = None  # set from argv in main


def entry(labels, ts, line, metadata=None, stream=None):
    e = {"ts": str(ts), "line": line}
    if stream is not None:
        e["stream"] = stream
    else:
        e["labels"] = labels
    if metadata is not None:
        e["metadata"] = metadata
    return e


def json_push(streams):
    """A Loki JSON push body: streams = [(labels, [[ts, line(, md)], ...]), ...]."""
    return json.dumps({"streams": [{"stream": l, "values": v} for l, v in streams]})


JSON_HEADERS = {"Content-Type": "application/json"}


class ReceiverTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="sl-e2e-receiver-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def push(self, rcv, entries, name="in.jsonl", **kw):
        path = os.path.join(self.tmp, name)
        write_entries(path, entries)
        return push_file(BUILD, rcv.url, path, **kw)

    # -- recording --

    def test_entries_recorded_exactly(self):
        long_line = "".join(chr(0x41 + i % 26) for i in range(100_000))
        sent = [
            entry({"job": "w40k", "container": "api"}, 1700000000123456789, "héllo wörld ✓ 日本",
                  {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}),
            entry({"job": "w40k", "container": "api"}, 1700000000123456790, long_line),
            entry({"job": "w40k", "level": "warn"}, 1700000001000000000, 'quote " and \\ and\ttab'),
            entry({"job": "esc", "path": 'a"b\\c\nd'}, 5, ""),
        ]
        with Receiver(BUILD, self.tmp) as rcv:
            status, body, code = self.push(rcv, sent, tenant="team-a")
            self.assertEqual((status, code), (204, 0), body)
            got = rcv.wait_entries(4, timeout=10)
            stats = rcv.stats()
        self.assertEqual(len(got), 4)
        # Streams are grouped in order of first appearance; entries keep file order.
        self.assertEqual([e["line"] for e in got], [s["line"] for s in sent])
        for sent_e, got_e in zip(sent, got):
            self.assertEqual(got_e["labels"], sent_e["labels"])
            self.assertEqual(got_e["ts"], sent_e["ts"])
            self.assertEqual(got_e["metadata"], sent_e.get("metadata", {}))
            self.assertEqual(got_e["push"], 1)
            self.assertEqual(got_e["tenant"], "team-a")
            self.assertNotIn("invalid_utf8", got_e)
        self.assertEqual(got[0]["stream"], '{container="api", job="w40k"}')
        self.assertEqual(got[2]["stream"], '{job="w40k", level="warn"}')
        self.assertEqual(got[3]["stream"], '{job="esc", path="a\\"b\\\\c\\nd"}')
        self.assertEqual(stats["pushes"], 1)
        self.assertEqual(stats["entries"], 4)
        self.assertEqual(stats["streams"], 3)
        self.assertEqual(stats["statuses"], {"204": 1})
        self.assertEqual(stats["line_bytes"], sum(len(s["line"].encode()) for s in sent))
        self.assertEqual(stats["user_agents"], {"sluice-push-client/1": 1})

    def test_line_with_nul_and_invalid_utf8(self):
        # A line is bytes: NUL is kept; invalid UTF-8 is flagged, not dropped.
        with Receiver(BUILD, self.tmp) as rcv:
            status, body, _ = self.push(rcv, [entry({"job": "x"}, 1, "a\u0000b")])
            self.assertEqual(status, 204, body)
            # \xff cannot be written through a JSON input file; a label escape can.
            status, body, _ = self.push(rcv, [entry(None, 2, "ok", stream='{job="\\xff"}')],
                                        name="bad.jsonl")
            self.assertEqual(status, 204, body)
            got = rcv.wait_entries(2)
        self.assertEqual(got[0]["line"], "a\u0000b")
        self.assertEqual(got[1]["labels"], {"job": "\ufffd"})
        self.assertTrue(got[1]["invalid_utf8"])

    def test_label_text_parsed_like_loki(self):
        cases = [
            ('{job="a"}', {"job": "a"}),
            ('  { job = "a" , b="2", }  ', {"job": "a", "b": "2"}),
            ('{job="\\x41\\101\\u00e9\\U0001F600"}', {"job": "AAé\U0001F600"}),
            ('{job="\\a\\b\\f\\n\\r\\t\\v\\\\\\""}', {"job": "\a\b\f\n\r\t\v\\\""}),
            ('{_x1="", Y="z"}', {"_x1": "", "Y": "z"}),
        ]
        with Receiver(BUILD, self.tmp) as rcv:
            for i, (text, want) in enumerate(cases):
                status, body, _ = self.push(rcv, [entry(None, i + 1, f"l{i}", stream=text)],
                                            name=f"c{i}.jsonl")
                self.assertEqual(status, 204, f"{text!r}: {body}")
            got = rcv.wait_entries(len(cases))
        for (text, want), got_e in zip(cases, got):
            self.assertEqual(got_e["labels"], want, text)
            self.assertEqual(got_e["stream"], text, "the stream text is recorded as sent")

    def test_json_push_recorded_like_protobuf(self):
        sent = [entry({"job": "j", "app": "web"}, 10, "one", {"trace_id": "t1"}),
                entry({"job": "j", "app": "web"}, 11, "two ✓")]
        with Receiver(BUILD, self.tmp) as rcv:
            status, body, _ = self.push(rcv, sent, json_body=True)
            self.assertEqual(status, 204, body)
            got = rcv.wait_entries(2)
        self.assertEqual([(g["stream"], g["ts"], g["line"], g["metadata"]) for g in got],
                         [('{app="web", job="j"}', "10", "one", {"trace_id": "t1"}),
                          ('{app="web", job="j"}', "11", "two ✓", {})])

    def test_count_only_writes_nothing_but_counts(self):
        with Receiver(BUILD, self.tmp, count_only=True) as rcv:
            status, body, _ = self.push(rcv, [entry({"job": "b"}, i, f"line {i}") for i in range(50)])
            self.assertEqual(status, 204, body)
            stats = rcv.wait_entries(50)
            self.assertEqual(stats["entries"], 50)
            self.assertEqual(rcv.entries(), [])
        self.assertFalse(os.path.exists(rcv.entries_path))

    # -- refusals --

    def test_invalid_labels_refused_with_400(self):
        cases = [
            ("{job=x}", "expected a double-quoted value"),
            ("{}", "at least one label pair is required"),
            ('{9job="x"}', "expected a label name"),
            ('{job="a", job="b"}', "duplicate label name"),
            ('{job=~"a"}', "only '=' matchers"),
            ('{job="a"', "expected '}'"),
            ('job="a"', "expected '{'"),
            ('{job="\\q"}', "unknown escape"),
            ('{job="\\ud800"}', "not a valid code point"),
            ('{' + ", ".join(f'l{i}="v"' for i in range(16)) + '}', "16 label names; limit 15"),
        ]
        with Receiver(BUILD, self.tmp) as rcv:
            for i, (text, message) in enumerate(cases):
                status, body, code = self.push(rcv, [entry(None, 1, "x", stream=text)],
                                               name=f"bad{i}.jsonl")
                self.assertEqual((status, code), (400, 1), text)
                self.assertIn(message, body, text)
            status, _, body = post(rcv.url, json_push([({"job-name": "x"}, [["1", "x"]])]),
                                   JSON_HEADERS)
            self.assertEqual(status, 400)
            self.assertIn("invalid label name", body)
            stats = rcv.stats()
        self.assertEqual(stats["entries"], 0)
        self.assertEqual(stats["statuses"], {"400": len(cases) + 1})
        self.assertEqual(rcv.entries(), [])

    def test_partial_acceptance_like_loki(self):
        """Loki validates stream by stream: a push with one bad stream gets a 400
        naming it, and the other streams are stored all the same."""
        long_value = "r" * 3000
        many = {f"l{i:02d}": "v" for i in range(20)}
        sent = [
            entry({"job": "ok"}, 1, "fine 1"),
            entry({"job": "x", "route": long_value}, 2, "long value"),
            entry({"job": "ok"}, 3, "fine 2"),
            entry(many, 4, "many labels a"),
            entry(many, 5, "many labels b"),
            entry({"job": "big"}, 6, "y" * (256 * 1024 + 1)),
            entry({"job": "big"}, 7, "small beside the big line"),
            # 15 names and service_name: Loki does not count service_name.
            entry(dict({f"m{i:02d}": "v" for i in range(15)}, service_name="s"), 8, "sixteen with service_name"),
        ]
        with Receiver(BUILD, self.tmp) as rcv:
            status, body, code = self.push(rcv, sent)
            got = rcv.wait_entries(4)
            stats = rcv.stats()
        self.assertEqual((status, code), (400, 1), body)
        self.assertEqual(sorted(e["line"] for e in got),
                         ["fine 1", "fine 2", "sixteen with service_name", "small beside the big line"])
        self.assertEqual(stats["entries"], 4)
        self.assertEqual(stats["statuses"], {"400": 1})
        # Loki's messages, one per refused stream (not per entry) or line, grouped:
        # three distinct ones, each "1 errors like: ".
        self.assertEqual(body.count("1 errors like: "), 3, body[:300])
        self.assertIn("stream '{job=\"x\", route=\"%s\"}' has label value too long: '%s'"
                      % (long_value, long_value), body)
        self.assertIn("has 20 label names; limit 15", body)
        self.assertIn("Max entry size '262144' bytes exceeded for stream '{job=\"big\"}' while adding an "
                      "entry with length '262145' bytes", body)

    def test_missing_content_type_is_400(self):
        # http.client, not urllib.request: urllib adds a form Content-Type to every POST.
        with Receiver(BUILD, self.tmp) as rcv:
            status, headers, body = post(rcv.url, json_push([({"job": "x"}, [["1", "x"]])]))
            self.assertEqual(status, 400)
            self.assertIn("Content-Type", body)
            status, _, body = post(rcv.url, b"x", {"Content-Type": "text/plain"})
            self.assertEqual(status, 415, body)
            status, _, body = post(rcv.url, b"x", {"Content-Type": "application/json",
                                                  "Content-Encoding": "gzip"})
            self.assertEqual(status, 415, body)
            self.assertIn("gzip", body)
            status, _, body = post(rcv.url, b"not snappy", {"Content-Type": "application/x-protobuf"})
            self.assertEqual(status, 400, body)
            status, _, body = post(rcv.url, json_push([]), JSON_HEADERS)
            self.assertEqual(status, 422, body)
            self.assertEqual(rcv.stats()["entries"], 0)

    def test_body_over_max_body_is_413(self):
        with Receiver(BUILD, self.tmp, max_body=1024) as rcv:
            rand = random.Random(7)  # incompressible enough that snappy keeps it over 1 KiB
            big = [entry({"job": "x"}, 1, "".join(rand.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                                                  for _ in range(4000)))]
            status, body, _ = self.push(rcv, big, name="big.jsonl")
            self.assertEqual(status, 413, body)
            self.assertIn("exceeds the limit of 1024 bytes", body)
            status, body, _ = self.push(rcv, [entry({"job": "x"}, 2, "small")], name="small.jsonl")
            self.assertEqual(status, 204, body)
            got = rcv.wait_entries(1)
            self.assertEqual([e["line"] for e in got], ["small"])
            self.assertEqual(rcv.stats()["statuses"], {"413": 1, "204": 1})

    def test_line_over_max_line_size_is_400(self):
        with Receiver(BUILD, self.tmp) as rcv:
            status, body, _ = self.push(rcv, [entry({"job": "x"}, 1, "y" * (256 * 1024 + 1))])
            self.assertEqual(status, 400, body)
            self.assertIn("Max entry size '262144' bytes exceeded", body)
            status, body, _ = self.push(rcv, [entry({"job": "x"}, 1, "y" * (256 * 1024))],
                                        name="edge.jsonl")
            self.assertEqual(status, 204, body)

    # -- scripted answers --

    def test_script_answers_in_order_then_204(self):
        body = json_push([({"job": "s"}, [["7", "scripted"]])])
        with Receiver(BUILD, self.tmp, script="503x2,429:retry-after=2,400") as rcv:
            answers = []
            for _ in range(6):
                status, headers, text = post(rcv.url, body, JSON_HEADERS)
                answers.append((status, headers.get("retry-after")))
            self.assertEqual(answers, [(503, None), (503, None), (429, "2"), (400, None),
                                       (204, None), (204, None)])
            got = rcv.wait_entries(2)
            stats = rcv.stats()
        # Only the 2xx answers recorded, tagged with their push number.
        self.assertEqual([(e["line"], e["push"]) for e in got], [("scripted", 5), ("scripted", 6)])
        self.assertEqual(stats["statuses"], {"503": 2, "429": 1, "400": 1, "204": 2})
        self.assertEqual(stats["pushes"], 6)
        self.assertEqual(stats["entries"], 2)

    def test_invalid_push_does_not_use_up_the_script(self):
        with Receiver(BUILD, self.tmp, script="503") as rcv:
            status, _, _ = post(rcv.url, json_push([({"job": "x"}, [["1", "x"]])]))  # no CT
            self.assertEqual(status, 400)
            status, _, _ = post(rcv.url, json_push([({"job": "x"}, [["1", "x"]])]), JSON_HEADERS)
            self.assertEqual(status, 503)

    def test_control_switches_script_at_run_time(self):
        sent = [entry({"job": "c"}, 1, "x")]
        with Receiver(BUILD, self.tmp) as rcv:
            self.assertEqual(self.push(rcv, sent)[0], 204)
            rcv.set_script("503x*")
            for _ in range(3):
                self.assertEqual(self.push(rcv, sent)[0], 503)
            rcv.set_script("")
            self.assertEqual(self.push(rcv, sent)[0], 204)
            with self.assertRaises(RuntimeError):
                rcv.set_script("99")
            self.assertEqual(rcv.wait_entries(2)[1]["push"], 5)

    def test_close_answer_drops_the_connection(self):
        with Receiver(BUILD, self.tmp, script="close") as rcv:
            status, err, code = self.push(rcv, [entry({"job": "x"}, 1, "x")])
            self.assertEqual((status, code), (None, 2), err)
            self.assertEqual(self.push(rcv, [entry({"job": "x"}, 1, "x")])[0], 204)
            stats = rcv.stats()
        self.assertEqual(stats["closed"], 1)
        self.assertEqual(stats["entries"], 1)

    def test_delay_holds_the_answer(self):
        with Receiver(BUILD, self.tmp, script="204:delay-ms=400") as rcv:
            start = time.monotonic()
            status, _, _ = self.push(rcv, [entry({"job": "x"}, 1, "x")])
            slow = time.monotonic() - start
            start = time.monotonic()
            self.push(rcv, [entry({"job": "x"}, 2, "x")])
            fast = time.monotonic() - start
        self.assertEqual(status, 204)
        self.assertGreaterEqual(slow, 0.4)
        self.assertLess(fast, 0.4)

    def test_delayed_answer_does_not_block_stats_or_stop(self):
        with Receiver(BUILD, self.tmp, delay_ms=60_000) as rcv:
            path = os.path.join(self.tmp, "slow.jsonl")
            write_entries(path, [entry({"job": "x"}, 1, "x")])
            client = harness.subprocess.Popen(
                [os.path.join(BUILD, "tests", "receiver", "sluice-push-client"), rcv.url, path],
                stdout=harness.subprocess.DEVNULL, stderr=harness.subprocess.DEVNULL)
            try:
                rcv.wait_pushes(1, timeout=10)  # /stats answers while the push waits
                start = time.monotonic()
                self.assertEqual(rcv.stop(timeout=10), 0)
                self.assertLess(time.monotonic() - start, 10)
            finally:
                client.wait(timeout=30)

    def test_closed_for_ms_refuses_then_accepts(self):
        with Receiver(BUILD, self.tmp, closed_for_ms=2000) as rcv:
            status, err, code = self.push(rcv, [entry({"job": "x"}, 1, "early")])
            self.assertEqual((status, code), (None, 2))
            self.assertIn("connect", err.lower())
            rcv.wait_ready(timeout=10)
            self.assertEqual(self.push(rcv, [entry({"job": "x"}, 2, "late")])[0], 204)
            self.assertEqual([e["line"] for e in rcv.wait_entries(1)], ["late"])

    def test_other_endpoints(self):
        with Receiver(BUILD, self.tmp) as rcv:
            status, body = harness._get(rcv.base_url + "/ready")
            self.assertEqual((status, body), (200, "ready\n"))
            with self.assertRaises(harness.urllib.error.HTTPError) as cm:
                harness._get(rcv.base_url + "/nope")
            self.assertEqual(cm.exception.code, 404)
            with self.assertRaises(harness.urllib.error.HTTPError) as cm:
                harness._get(rcv.url)
            self.assertEqual(cm.exception.code, 405)
            self.assertEqual(rcv.stats()["pushes"], 0)


class HarnessHelpersTest(unittest.TestCase):
    """The fixture writers other tests build on."""

    def test_docker_line(self):
        line = harness.docker_line({"level": 30, "msg": "hi"}, ts=1700000000123450000)
        self.assertTrue(line.endswith("\n"))
        self.assertEqual(json.loads(line), {"log": '{"level":30,"msg":"hi"}\n', "stream": "stdout",
                                            "time": "2023-11-14T22:13:20.12345Z"})
        self.assertEqual(json.loads(harness.docker_line("x", "stderr", ts=0))["time"],
                         "1970-01-01T00:00:00Z")

    def test_docker_split(self):
        text = "ab" * 20000
        pieces = harness.docker_split(text)
        self.assertEqual([len(p) for p in pieces], [16384, 16384, 40000 - 32768 + 1])
        self.assertEqual("".join(pieces), text + "\n")
        self.assertTrue(all(not p.endswith("\n") for p in pieces[:-1]))
        self.assertEqual(harness.docker_split("x" * 16384), ["x" * 16384, "\n"])
        self.assertEqual(harness.docker_split("é" * 10, piece=5), ["éé", "éé", "éé", "éé", "éé\n"])
        lines = harness.docker_lines(text, ts=1).splitlines()
        self.assertEqual("".join(json.loads(l)["log"] for l in lines), text + "\n")

    def test_pino_record(self):
        rec = harness.pino_record("warn", "careful", 1700000000123, trace_id="abc", user="u1")
        self.assertEqual(list(rec), ["level", "time", "pid", "hostname", "trace_id", "user", "msg"])
        self.assertEqual(rec["level"], 40)

    def test_write_config(self):
        path = os.path.join(tempfile.gettempdir(), f"sl-cfg-{os.getpid()}.yaml")
        try:
            text = harness.write_config(
                path, "http://127.0.0.1:1/loki/api/v1/push", "/tmp/pos.yaml",
                [("/logs/*.log", {"job": "api", "env": "dev"})],
                pipeline_stages_yaml="- docker: {}\n- json:\n    expressions:\n      msg: msg\n",
                extra_client={"tenant_id": "t"}, http_port=9080)
        finally:
            os.unlink(path)
        self.assertIn("  http_listen_port: 9080\n", text)
        self.assertIn('  - url: "http://127.0.0.1:1/loki/api/v1/push"\n', text)
        self.assertIn('    tenant_id: "t"\n', text)
        self.assertIn('      - labels:\n          __path__: "/logs/*.log"\n          job: "api"\n', text)
        self.assertIn("    pipeline_stages:\n      - docker: {}\n      - json:\n"
                      "          expressions:\n", text)

    def test_parse_metrics(self):
        m = harness.parse_metrics('# HELP x y\nsl_a_total 3\nsl_b{job="a\\"b",x="1"} 2.5\n')
        self.assertEqual(m[("sl_a_total", frozenset())], 3.0)
        self.assertEqual(m[("sl_b", frozenset({("job", 'a"b'), ("x", "1")}))], 2.5)


def main():
    global BUILD
    BUILD = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SL_BUILD_ROOT")
    if not BUILD:
        sys.exit("usage: test_receiver.py BUILD_ROOT")
    for exe in ("sluice-receiver", "sluice-push-client"):
        if not os.access(os.path.join(BUILD, "tests", "receiver", exe), os.X_OK):
            sys.exit(f"{exe} is not built under {BUILD}/tests/receiver")
    unittest.main(argv=[sys.argv[0], "-v"])


if __name__ == "__main__":
    main()
