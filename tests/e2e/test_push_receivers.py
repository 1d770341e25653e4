#!/usr/bin/env python3
"""End-to-end tests of the push receivers: the real sluice binary listens
with loki_push_api and otlp_logs, runs what is pushed through the job's
pipeline and ships it to the Loki stand-in; a push is answered 2xx only once
the stand-in has acknowledged its entries.

Usage: test_push_receivers.py BUILD_DIR [TEST_NAME...]
"""
import http.client
import json
import os
import random
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Receiver, Sluice, post, push_file, write_entries  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"


# ---- OTLP protobuf, encoded by hand (the wire format is small) ----

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, wire, payload):
    key = _varint(num << 3 | wire)
    if wire == 0:
        return key + _varint(payload)
    if wire == 1:
        return key + struct.pack("<Q", payload)
    if wire == 5:
        return key + struct.pack("<I", payload)
    return key + _varint(len(payload)) + payload


def _s(x):
    return x.encode() if isinstance(x, str) else x


def pb_any(v):
    if isinstance(v, bool):
        return _field(2, 0, int(v))
    if isinstance(v, int):
        return _field(3, 0, v & (2 ** 64 - 1))
    if isinstance(v, float):
        return _field(4, 1, struct.unpack("<Q", struct.pack("<d", v))[0])
    if isinstance(v, dict):
        return _field(6, 2, b"".join(_field(1, 2, pb_kv(k, x)) for k, x in v.items()))
    if isinstance(v, list):
        return _field(5, 2, b"".join(_field(1, 2, pb_any(x)) for x in v))
    return _field(1, 2, _s(v))


def pb_kv(k, v):
    return _field(1, 2, _s(k)) + _field(2, 2, pb_any(v))


def pb_otlp(resources):
    """resources: [(resource attrs dict, scope name, [record dict, ...]), ...];
    a record: time, observed, severity, severity_text, body, attrs, trace_id, span_id (bytes)."""
    out = b""
    for attrs, scope, records in resources:
        res = b"".join(_field(1, 2, pb_kv(k, v)) for k, v in attrs.items())
        recs = b""
        for r in records:
            lr = b""
            if r.get("time"):
                lr += _field(1, 1, r["time"])
            if r.get("severity"):
                lr += _field(2, 0, r["severity"])
            if r.get("severity_text"):
                lr += _field(3, 2, _s(r["severity_text"]))
            if "body" in r:
                lr += _field(5, 2, pb_any(r["body"]))
            for k, v in r.get("attrs", {}).items():
                lr += _field(6, 2, pb_kv(k, v))
            if r.get("trace_id"):
                lr += _field(9, 2, r["trace_id"])
            if r.get("span_id"):
                lr += _field(10, 2, r["span_id"])
            if r.get("observed"):
                lr += _field(11, 1, r["observed"])
            recs += _field(2, 2, lr)
        sl = _field(1, 2, _field(1, 2, _s(scope))) + recs
        out += _field(1, 2, _field(1, 2, res) + _field(2, 2, sl))
    return out


def loki_json(streams):
    return json.dumps({"streams": [{"stream": l, "values": v} for l, v in streams]})


class PushTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-push-")
        self.positions = os.path.join(self.tmp, "positions.yaml")
        self.config = os.path.join(self.tmp, "sluice.yaml")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, rcv_url, jobs, extra_client=None, extra=None, http_port=None):
        """jobs: list of scrape_config dicts. Written whole, then renamed into
        place (a reload never reads half a file)."""
        doc = dict(extra or {})
        doc["scrape_configs"] = jobs
        tmp = self.config + ".new"
        harness.write_config(tmp, rcv_url, self.positions, [], extra_client=extra_client,
                             extra=doc, http_port=http_port)
        os.rename(tmp, self.config)

    def loki_job(self, port, **kw):
        job = {"job_name": "push", "loki_push_api": {
            "server": {"http_listen_address": "127.0.0.1", "http_listen_port": port},
            "labels": {"pushserver": "push1"}, "use_incoming_timestamp": True}}
        job["loki_push_api"].update(kw.pop("push", {}))
        job.update(kw)
        return job

    def otlp_job(self, port, **kw):
        job = {"job_name": "otel", "otlp_logs": {
            "server": {"http_listen_address": "127.0.0.1", "http_listen_port": port}}}
        job["otlp_logs"].update(kw.pop("push", {}))
        job.update(kw)
        return job

    def wait_listening(self, sl, port):
        def up():
            if not sl.alive():
                raise RuntimeError("sluice exited:\n" + sl.log())
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1) as r:
                    return r.status == 200
            except OSError:
                return False
        harness.wait_until(up, 30, "the push receiver", sl.log)

    # -- Loki's push API --

    def test_loki_protobuf_and_json_pushes_arrive_through_the_pipeline(self):
        port = harness.free_port()
        with Receiver(BUILD, self.tmp) as rcv:
            self.write(rcv.url, [self.loki_job(port, pipeline_stages=harness.RawYaml(
                "- json:\n    expressions: {lvl: level}\n- labels: {lvl: }\n"))])
            with Sluice(BUILD, self.config) as sl:
                self.wait_listening(sl, port)
                path = os.path.join(self.tmp, "in.jsonl")
                write_entries(path, [
                    {"labels": {"app": "api", "__internal": "x"}, "ts": "1700000000000000001",
                     "line": '{"level":"warn","msg":"a"}', "metadata": {"trace_id": "abc"}},
                    {"labels": {"app": "api", "__internal": "x"}, "ts": "1700000000000000002",
                     "line": '{"level":"info","msg":"b"}'},
                ])
                status, body, _ = push_file(BUILD, f"http://127.0.0.1:{port}/loki/api/v1/push",
                                            path)
                self.assertEqual(status, 204, body)
                # Answered only once the stand-in has them: no waiting needed.
                got = rcv.entries()
                self.assertEqual(len(got), 2, got)
                self.assertEqual(got[0]["labels"], {"app": "api", "pushserver": "push1",
                                                    "lvl": "warn"})
                self.assertEqual(got[0]["ts"], "1700000000000000001")
                self.assertEqual(got[0]["metadata"], {"trace_id": "abc"})
                self.assertEqual(got[1]["labels"]["lvl"], "info")

                status, _, body = post(f"http://127.0.0.1:{port}/loki/api/v1/push",
                                       loki_json([({"app": "web"}, [
                                           ["1700000000000000003", "plain", {"k": "v"}]])]),
                                       {"Content-Type": "application/json"})
                self.assertEqual(status, 204, body)
                got = rcv.entries()
                self.assertEqual(got[2]["labels"], {"app": "web", "pushserver": "push1"})
                self.assertEqual(got[2]["metadata"], {"k": "v"})
                self.assertEqual(got[2]["line"], "plain")

                status, _, body = post(f"http://127.0.0.1:{port}/promtail/api/v1/raw",
                                       "one\r\n\ntwo\n", {})
                self.assertEqual(status, 204, body)
                got = rcv.entries()[3:]
                self.assertEqual([e["line"] for e in got], ["one", "two"])
                self.assertEqual(got[0]["labels"], {"pushserver": "push1"})
                self.assertEqual(sl.metric("sluice_push_requests_total", job="push",
                                           outcome="accepted"), 3)

    def test_relabel_configs_on_pushed_streams(self):
        """A push job's relabel_configs run over each pushed stream's labels
        (the receiver's labels set first), as Promtail's push target does;
        a stream they drop is counted and the streams beside it go on
        (Promtail stops the whole request there)."""
        port = harness.free_port()
        rules = [
            {"source_labels": ["app"], "regex": "noisy", "action": "drop"},
            {"source_labels": ["app", "pushserver"], "separator": "@", "regex": "(.+)@(.+)",
             "target_label": "service", "replacement": "$1-$2"},
            {"regex": "env", "action": "labeldrop"},
            {"source_labels": ["__tier"], "target_label": "tier"},
        ]
        with Receiver(BUILD, self.tmp) as rcv:
            self.write(rcv.url, [self.loki_job(port, relabel_configs=rules)])
            with Sluice(BUILD, self.config) as sl:
                self.wait_listening(sl, port)
                status, _, body = post(f"http://127.0.0.1:{port}/loki/api/v1/push",
                                       loki_json([
                                           ({"app": "noisy", "env": "prod"}, [["1700000000000000001", "n"]]),
                                           ({"app": "web", "env": "prod", "__tier": "front"},
                                            [["1700000000000000002", "w"]]),
                                       ]), {"Content-Type": "application/json"})
                self.assertEqual(status, 204, body)
                got = rcv.entries()
                self.assertEqual([e["line"] for e in got], ["w"])
                self.assertEqual(got[0]["labels"], {"app": "web", "pushserver": "push1",
                                                    "service": "web-push1", "tier": "front"})
                self.assertEqual(sl.metric("sluice_dropped_entries_total", job="push",
                                           reason="relabel_dropped"), 1)

    def test_incoming_timestamp_replaced_by_default(self):
        port = harness.free_port()
        with Receiver(BUILD, self.tmp) as rcv:
            self.write(rcv.url, [self.loki_job(port, push={"use_incoming_timestamp": False})])
            with Sluice(BUILD, self.config) as sl:
                self.wait_listening(sl, port)
                before = time.time_ns()
                status, _, body = post(f"http://127.0.0.1:{port}/loki/api/v1/push",
                                       loki_json([({"app": "web"}, [["1000", "x"]])]),
                                       {"Content-Type": "application/json"})
                self.assertEqual(status, 204, body)
                ts = int(rcv.entries()[0]["ts"])
                self.assertGreaterEqual(ts, before)

    # -- OTLP --

    def test_otlp_json_mapped_as_loki_maps_it(self):
        port = harness.free_port()
        with Receiver(BUILD, self.tmp) as rcv:
            self.write(rcv.url, [self.otlp_job(port, pipeline_stages=harness.RawYaml(
                "- level:\n    source: level\n    min: info\n- labels: {level: }\n"))])
            with Sluice(BUILD, self.config) as sl:
                self.wait_listening(sl, port)
                body = {"resourceLogs": [{
                    "resource": {"attributes": [
                        {"key": "service.name", "value": {"stringValue": "checkout"}},
                        {"key": "k8s.pod.name", "value": {"stringValue": "checkout-1"}},
                        {"key": "host.name", "value": {"stringValue": "node-7"}}]},
                    "scopeLogs": [{"scope": {"name": "app.logger"}, "logRecords": [
                        {"timeUnixNano": "1700000000000000001", "severityNumber": 17,
                         "severityText": "ERROR", "body": {"stringValue": "boom"},
                         "traceId": "5b8efff798038103d269b633813fc60c",
                         "spanId": "eee19b7ec3c1b174",
                         "attributes": [{"key": "http.status", "value": {"intValue": "503"}}]},
                        {"timeUnixNano": "1700000000000000002", "severityNumber": 5,
                         "body": {"stringValue": "debug line"}},
                        {"timeUnixNano": "1700000000000000003", "severityNumber": "SEVERITY_NUMBER_INFO",
                         "body": {"kvlistValue": {"values": [
                             {"key": "b", "value": {"doubleValue": 1.5}},
                             {"key": "a", "value": {"boolValue": True}}]}}},
                    ]}]}]}
                status, headers, text = post(f"http://127.0.0.1:{port}/v1/logs", json.dumps(body),
                                             {"Content-Type": "application/json"})
                self.assertEqual(status, 200, text)
                self.assertEqual(headers.get("content-type"), "application/json")
                got = rcv.entries()
                self.assertEqual(len(got), 2, got)  # the debug record is dropped by the pipeline
                e = got[0]
                self.assertEqual(e["labels"], {"service_name": "checkout",
                                               "k8s_pod_name": "checkout-1", "level": "error"})
                self.assertEqual(e["line"], "boom")
                self.assertEqual(e["ts"], "1700000000000000001")
                self.assertEqual(e["metadata"], {
                    "http_status": "503", "severity_number": "17", "severity_text": "ERROR",
                    "trace_id": "5b8efff798038103d269b633813fc60c", "span_id": "eee19b7ec3c1b174",
                    "host_name": "node-7", "scope_name": "app.logger"})
                self.assertEqual(got[1]["line"], '{"a":true,"b":1.5}')
                self.assertEqual(got[1]["labels"]["level"], "info")

    def test_otlp_protobuf(self):
        port = harness.free_port()
        with Receiver(BUILD, self.tmp) as rcv:
            self.write(rcv.url, [self.otlp_job(port)])
            with Sluice(BUILD, self.config) as sl:
                self.wait_listening(sl, port)
                body = pb_otlp([({"k8s.container.name": "worker", "deployment.environment": "prod"},
                                 "job", [{"time": 1700000000000000009, "severity": 9,
                                          "body": "hello", "trace_id": bytes(range(1, 17)),
                                          "span_id": bytes(range(1, 9)),
                                          "attrs": {"user": {"id": 7}}}])])
                status, headers, text = post(f"http://127.0.0.1:{port}/v1/logs", body,
                                             {"Content-Type": "application/x-protobuf"})
                self.assertEqual(status, 200, text)
                e = rcv.entries()[0]
                # No service.name: service_name from k8s.container.name, as Loki does.
                self.assertEqual(e["labels"], {"k8s_container_name": "worker",
                                               "deployment_environment": "prod",
                                               "service_name": "worker"})
                self.assertEqual(e["metadata"]["trace_id"], bytes(range(1, 17)).hex())
                self.assertEqual(e["metadata"]["span_id"], bytes(range(1, 9)).hex())
                self.assertEqual(e["metadata"]["user_id"], "7")
                self.assertEqual(e["metadata"]["scope_name"], "job")

    # -- durability --

    def test_answered_only_after_loki_acknowledged(self):
        port = harness.free_port()
        with Receiver(BUILD, self.tmp, script="503x*") as rcv:
            self.write(rcv.url, [self.loki_job(port, push={"ack_timeout": "1s"})],
                       extra_client={"backoff_config": {"min_period": "100ms",
                                                        "max_period": "200ms"}})
            with Sluice(BUILD, self.config) as sl:
                self.wait_listening(sl, port)
                url = f"http://127.0.0.1:{port}/loki/api/v1/push"
                body = loki_json([({"app": "web"}, [["1700000000000000001", "kept"]])])
                status, headers, text = post(url, body, {"Content-Type": "application/json"})
                self.assertEqual(status, 503, text)
                self.assertEqual(headers.get("retry-after"), "1")
                self.assertIn("not acknowledged", text)
                rcv.set_script("")
                # The sender sends it again, as told; once Loki has the entry, 204.
                status, _, text = post(url, body, {"Content-Type": "application/json"})
                self.assertEqual(status, 204, text)
                lines = [e["line"] for e in rcv.entries()]
                self.assertIn("kept", lines)
                self.assertEqual(sl.metric("sluice_push_requests_total", job="push",
                                           outcome="timed_out"), 1)

    def test_empty_push_and_all_dropped_answered_at_once(self):
        port = harness.free_port()
        with Receiver(BUILD, self.tmp) as rcv:
            # A long batchwait: an answer that waited for a batch would take 30 s.
            self.write(rcv.url, [self.loki_job(port, pipeline_stages=harness.RawYaml(
                "- drop:\n    expression: drop-me\n"))], extra_client={"batchwait": "30s"})
            with Sluice(BUILD, self.config) as sl:
                self.wait_listening(sl, port)
                url = f"http://127.0.0.1:{port}/loki/api/v1/push"
                status, _, text = post(url, '{"streams": []}', {"Content-Type": "application/json"})
                self.assertEqual(status, 204, text)
                status, _, text = post(url, loki_json([({"a": "b"}, [["1", "drop-me"]])]),
                                       {"Content-Type": "application/json"})
                self.assertEqual(status, 204, text)
                self.assertEqual(rcv.stats()["pushes"], 0)

    # -- reload --

    def test_reload_keeps_listeners_of_jobs_that_stay(self):
        port, otlp_port, new_port = harness.free_port(), harness.free_port(), harness.free_port()
        http_port = harness.free_port()
        url = f"http://127.0.0.1:{port}/loki/api/v1/push"
        with Receiver(BUILD, self.tmp) as rcv:
            extra = {"server": {"enable_runtime_reload": True}}
            self.write(rcv.url, [self.loki_job(port), self.otlp_job(otlp_port)], extra=extra,
                       http_port=http_port)
            with Sluice(BUILD, self.config) as sl:
                self.wait_listening(sl, port)
                self.wait_listening(sl, otlp_port)
                # A keep-alive connection opened before the reload.
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    conn.request("POST", "/loki/api/v1/push",
                                 loki_json([({"app": "a"}, [["1700000000000000001", "before"]])]),
                                 {"Content-Type": "application/json"})
                    resp = conn.getresponse()
                    resp.read()
                    self.assertEqual(resp.status, 204)
                    # The job that stays gets new labels and a pipeline, the OTLP job
                    # goes, a new job comes.
                    stay = self.loki_job(port, push={"labels": {"pushserver": "push2"}},
                                         pipeline_stages=harness.RawYaml(
                                             "- static_labels: {stage: v2}\n"))
                    added = self.loki_job(new_port, job_name="added",
                                          push={"labels": {"pushserver": "added"}})
                    self.write(rcv.url, [stay, added], extra=extra, http_port=http_port)
                    sl.proc.send_signal(signal.SIGHUP)
                    harness.wait_until(
                        lambda: sl.metric("sluice_config_reloads_total", result="success") == 1,
                        30, "the reload", sl.log)
                    # The same connection goes on, served by the new job.
                    conn.request("POST", "/loki/api/v1/push",
                                 loki_json([({"app": "a"}, [["1700000000000000002", "after"]])]),
                                 {"Content-Type": "application/json"})
                    resp = conn.getresponse()
                    resp.read()
                    self.assertEqual(resp.status, 204)
                finally:
                    conn.close()
                self.wait_listening(sl, new_port)
                status, _, text = post(f"http://127.0.0.1:{new_port}/loki/api/v1/push",
                                       loki_json([({"app": "n"}, [["1700000000000000003", "new"]])]),
                                       {"Content-Type": "application/json"})
                self.assertEqual(status, 204, text)
                with self.assertRaises(ConnectionRefusedError):
                    post(f"http://127.0.0.1:{otlp_port}/v1/logs", "{}",
                         {"Content-Type": "application/json"})
                got = {e["line"]: e["labels"] for e in rcv.entries()}
                self.assertEqual(got["before"], {"app": "a", "pushserver": "push1"})
                self.assertEqual(got["after"], {"app": "a", "pushserver": "push2", "stage": "v2"})
                self.assertEqual(got["new"], {"app": "n", "pushserver": "added"})
                # The listener that stayed kept its counts.
                self.assertEqual(sl.metric("sluice_push_requests_total", job="push",
                                           outcome="accepted"), 2)

                # A job that moves to a port another listener holds is refused: the
                # running config goes on.
                clash = self.loki_job(new_port, push={"labels": {"pushserver": "x"}})
                clash2 = self.loki_job(new_port, job_name="added")
                self.write(rcv.url, [clash, clash2], extra=extra, http_port=http_port)
                sl.proc.send_signal(signal.SIGHUP)
                harness.wait_until(
                    lambda: sl.metric("sluice_config_reloads_total", result="failure") == 1,
                    30, "the refused reload", sl.log)
                self.assertIn("both listen on", sl.log())
                status, _, text = post(url, loki_json([({"app": "a"}, [["1700000000000000004", "still"]])]),
                                       {"Content-Type": "application/json"})
                self.assertEqual(status, 204, text)
                # A clean exit (under the sanitizers: no leak of the servers moved
                # between jobs).
                self.assertEqual(sl.stop(), 0, sl.log())

    # -- crash --

    def test_sigkill_loses_no_acknowledged_push(self):
        """Senders push while the stand-in is slow; sluice is killed with
        SIGKILL mid-way. Every push answered 2xx before the kill must be at
        the stand-in, once; after a restart the senders send again what was
        not answered 2xx, and everything arrives."""
        port, http_port = harness.free_port(), harness.free_port()
        url = f"http://127.0.0.1:{port}/loki/api/v1/push"
        senders, per_sender, lines = 4, 40, 5
        with Receiver(BUILD, self.tmp, delay_ms=30) as rcv:
            self.write(rcv.url, [self.loki_job(port)], http_port=http_port,
                       extra_client={"batchwait": "50ms"})
            acked = [[] for _ in range(senders)]   # push numbers answered 2xx, per sender
            next_push = [0] * senders
            stop = threading.Event()

            def body(t, n):
                return loki_json([({"sender": str(t)}, [[str(1700000000000000000 + n * 10 + k),
                                                        f"s{t}-p{n}-l{k}"] for k in range(lines)])])

            def sender(t):
                while next_push[t] < per_sender and not stop.is_set():
                    n = next_push[t]
                    try:
                        status, _, _ = post(url, body(t, n), {"Content-Type": "application/json"},
                                            timeout=30)
                    except OSError:
                        return  # sluice is gone: try again after the restart
                    if 200 <= status < 300:
                        acked[t].append(n)
                        next_push[t] += 1
                    elif status != 503:
                        raise AssertionError(f"push answered {status}")

            def run_senders():
                threads = [threading.Thread(target=sender, args=(t,)) for t in range(senders)]
                for th in threads:
                    th.start()
                return threads

            with Sluice(BUILD, self.config) as sl:
                self.wait_listening(sl, port)
                threads = run_senders()
                harness.wait_until(lambda: sum(map(len, acked)) >= senders * per_sender // 4, 60,
                                   "a quarter of the pushes acknowledged", sl.log)
                sl.proc.kill()
                sl.proc.wait(10)
                for th in threads:
                    th.join(60)
                    self.assertFalse(th.is_alive())
            before = {(t, n) for t in range(senders) for n in acked[t]}
            self.assertLess(len(before), senders * per_sender, "the kill came too late to matter")
            got = [e["line"] for e in rcv.entries()]
            for t, n in before:
                for k in range(lines):
                    self.assertEqual(got.count(f"s{t}-p{n}-l{k}"), 1,
                                     f"acknowledged push s{t}-p{n} line {k}")

            with Sluice(BUILD, self.config) as sl:
                self.wait_listening(sl, port)
                for th in run_senders():
                    th.join(120)
                    self.assertFalse(th.is_alive())
            self.assertEqual(next_push, [per_sender] * senders)
            got = [e["line"] for e in rcv.entries()]
            missing = [f"s{t}-p{n}-l{k}" for t in range(senders) for n in range(per_sender)
                       for k in range(lines) if f"s{t}-p{n}-l{k}" not in got]
            self.assertEqual(missing, [])
            sys.stderr.write(f"[sigkill] acknowledged before the kill: {len(before)} of "
                             f"{senders * per_sender} pushes; lines received {len(got)}, "
                             f"sent again and received twice {len(got) - len(set(got))}\n")

    # -- limits and garbage --

    def test_garbage_limits_and_connections(self):
        port, otlp_port = harness.free_port(), harness.free_port()
        with Receiver(BUILD, self.tmp) as rcv:
            self.write(rcv.url, [
                self.loki_job(port, push={"max_body_size": 4096, "max_entries_per_push": 3,
                                          "server": {"http_listen_address": "127.0.0.1",
                                                     "http_listen_port": port,
                                                     "http_listen_conn_limit": 4}}),
                self.otlp_job(otlp_port)])
            with Sluice(BUILD, self.config) as sl:
                self.wait_listening(sl, port)
                url = f"http://127.0.0.1:{port}/loki/api/v1/push"
                rnd = random.Random(7)
                for i in range(200):
                    junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 600)))
                    ctype = rnd.choice(["application/x-protobuf", "application/json",
                                        "text/plain"])
                    status, _, text = post(url, junk, {"Content-Type": ctype})
                    self.assertIn(status, (400, 413), (i, text))
                    self.assertTrue(text.strip(), "a refusal says why")
                status, _, text = post(url, '{"streams": [{"stream": {"a": "b"}, "values": [["x", "y"]]}]}',
                                       {"Content-Type": "application/json"})
                self.assertEqual(status, 400)
                self.assertIn("timestamp", text)
                status, _, text = post(url, "x" * 5000, {"Content-Type": "application/json"})
                self.assertEqual(status, 413, text)
                status, _, text = post(url, loki_json([({"a": "b"}, [[str(i), "l"] for i in range(4)])]),
                                       {"Content-Type": "application/json"})
                self.assertEqual(status, 413, text)
                self.assertIn("more than 3 entries", text)
                status, _, text = post(url, "{}", {"Content-Type": "application/json",
                                                   "Content-Encoding": "br"})
                self.assertEqual(status, 415, text)
                # Garbage at OTLP's endpoint too, as protobuf and as JSON.
                otlp_url = f"http://127.0.0.1:{otlp_port}/v1/logs"
                self.wait_listening(sl, otlp_port)
                for i in range(100):
                    junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 600)))
                    ctype = rnd.choice(["application/x-protobuf", "application/json"])
                    if ctype == "application/json" and i % 2:
                        junk = b'{"resourceLogs": [{"scopeLogs": [{"logRecords": [' + junk
                    status, _, text = post(otlp_url, junk, {"Content-Type": ctype})
                    # Random bytes may happen to be a valid (empty) request.
                    self.assertIn(status, (200, 400), (i, text))
                status, headers, text = post(otlp_url, "{", {"Content-Type": "application/json"})
                self.assertEqual(status, 400, text)
                self.assertEqual(json.loads(text)["code"], 3)
                self.assertIn("invalid JSON", json.loads(text)["message"])
                # Bytes that are not HTTP at all, the connection closed at once: the
                # server goes on. (A connection whose end arrives with its last bytes
                # may stay open on the server's side until its idle timeout:
                # libmicrohttpd reads no further once a read comes back short.)
                for i in range(20):
                    with socket.create_connection(("127.0.0.1", otlp_port), timeout=10) as raw:
                        raw.sendall(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 2000))))
                status, _, text = post(otlp_url, "{}", {"Content-Type": "application/json"})
                self.assertEqual(status, 200, text)
                # Past the connection limit, a connection is not served (libmicrohttpd
                # stops accepting; it waits in the kernel's queue) until one closes.
                held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(4)]
                extra = socket.create_connection(("127.0.0.1", port), timeout=5)
                try:
                    for s in held:  # the four are served
                        s.sendall(b"GET /ready HTTP/1.1\r\nHost: x\r\n\r\n")
                        self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 200"))
                    extra.sendall(b"GET /ready HTTP/1.1\r\nHost: x\r\n\r\n")
                    extra.settimeout(1.0)
                    with self.assertRaises(socket.timeout):
                        extra.recv(100)
                    held.pop().close()
                    extra.settimeout(5)
                    self.assertTrue(extra.recv(100).startswith(b"HTTP/1.1 200"))
                finally:
                    for s in held:
                        s.close()
                    extra.close()
                # Still serving, and nothing of the garbage reached Loki.
                status, _, text = post(url, loki_json([({"app": "ok"}, [["1700000000000000001", "fine"]])]),
                                       {"Content-Type": "application/json"})
                self.assertEqual(status, 204, text)
                self.assertEqual([e["line"] for e in rcv.entries()], ["fine"])
                self.assertTrue(sl.alive())
                self.assertEqual(sl.stop(), 0, sl.log())


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
