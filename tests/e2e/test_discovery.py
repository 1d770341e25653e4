#!/usr/bin/env python3
"""End-to-end tests of discovery: the real sluice binary, the receiver, and
containers described the way Docker describes them (config.v2.json beside
each log without the socket; a fake Docker Engine API on a unix socket; a
fake Kubernetes API).

Usage: test_discovery.py BUILD_DIR [TEST_NAME...]
"""
import collections
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
SOURCE = os.environ.get("SL_SOURCE_ROOT",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PIPELINES = os.path.join(SOURCE, "pipelines")
T0_MS = 1764115200000


def write_json(path, doc):
    """Writes @doc as Docker does: a temporary file renamed over the old one."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.rename(tmp, path)


def config_v2(cid, name, service, image="w40k/app:1"):
    return {"ID": cid, "Name": "/" + name, "State": {"Running": True},
            "Config": {"Image": image,
                       "Labels": {"com.docker.compose.project": "w40k",
                                  "com.docker.compose.service": service}},
            "Image": "sha256:" + "0" * 64,
            "NetworkSettings": {"Networks": {"none": {"NetworkID": "n0", "IPAddress": ""}}},
            "LogPath": ""}


def pino_line(i, msg, stream="stdout"):
    rec = harness.pino_record(30, msg, T0_MS + i)
    return harness.docker_line(json.dumps(rec, separators=(",", ":")), stream=stream,
                               ts=(T0_MS + i) * 10**6)


class DiscoveryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-disc-")
        self.containers = os.path.join(self.tmp, "containers")
        os.makedirs(self.containers)
        self.positions = os.path.join(self.tmp, "positions.yaml")
        self.config = os.path.join(self.tmp, "sluice.yaml")

    def tearDown(self):
        if not os.environ.get("SL_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def container(self, cid, name, service):
        d = os.path.join(self.containers, cid)
        os.makedirs(d, exist_ok=True)
        doc = config_v2(cid, name, service)
        doc["LogPath"] = os.path.join(d, cid + "-json.log")
        write_json(os.path.join(d, "config.v2.json"), doc)
        return doc["LogPath"]

    def sluice(self):
        return harness.Sluice(BUILD, self.config, args=["-pipelines.dir=" + PIPELINES])

    def test_config_v2_json_labels_static_targets(self):
        """Without the socket: each container's config.v2.json gives its
        files the __meta_docker_* labels; pipelines/pino.yaml's relabel_configs
        make `container` and `compose_service` of them, a job rule drops
        sluice's own container, and a container renamed while running gets
        its new name on the lines written after."""
        api = self.container("a" * 64, "w40k-api", "api")
        worker = self.container("b" * 64, "w40k-worker", "worker")
        me = self.container("c" * 64, "sluice-1", "sluice")
        bare = os.path.join(self.containers, "d" * 64, "d" * 64 + "-json.log")
        os.makedirs(os.path.dirname(bare))
        with open(api, "w") as f:
            f.write("".join(pino_line(i, "api %d" % i) for i in range(50)))
            f.write(pino_line(50, "api stderr", stream="stderr"))
        with open(worker, "w") as f:
            f.write("".join(pino_line(i, "worker %d" % i) for i in range(30)))
        with open(me, "w") as f:
            f.write("".join(pino_line(i, "sluice %d" % i) for i in range(10)))
        with open(bare, "w") as f:
            f.write(pino_line(0, "no config.v2.json"))

        with harness.Receiver(BUILD, self.tmp) as rx:
            harness.write_config(
                self.config, rx.url, self.positions,
                [{"glob": os.path.join(self.containers, "*", "*-json.log"),
                  "labels": {"env": "test"}, "job_name": "docker"}])
            with open(self.config, "a") as f:
                f.write("    pipeline: pino\n"
                        "    relabel_configs:\n"
                        "      - source_labels: [__meta_docker_container_name]\n"
                        "        regex: /sluice.*\n"
                        "        action: drop\n"
                        "target_config:\n"
                        "  sync_period: 200ms\n")
            with self.sluice() as agent:
                rx.wait_entries(51 + 30 + 1, timeout=30)
                # Renamed (docker rename): config.v2.json is rewritten.
                doc = config_v2("a" * 64, "w40k-api-blue", "api")
                write_json(os.path.join(os.path.dirname(api), "config.v2.json"), doc)
                harness.wait_until(lambda: self._meta_changes(agent) >= 1, 10,
                                   "the rename to be noticed", agent.log)
                with open(api, "a") as f:
                    f.write(pino_line(60, "api after rename"))
                entries = rx.wait_entries(51 + 30 + 1 + 1, timeout=30)
                self.assertEqual(agent.stop(), 0, agent.log())

        by = collections.Counter((e["labels"].get("container"), e["labels"].get("compose_service"),
                                  e["labels"]["stream"]) for e in entries)
        self.assertEqual(by, {("w40k-api", "api", "stdout"): 50,
                              ("w40k-api", "api", "stderr"): 1,
                              ("w40k-worker", "worker", "stdout"): 30,
                              (None, None, "stdout"): 1,
                              ("w40k-api-blue", "api", "stdout"): 1})
        for e in entries:
            self.assertEqual(e["labels"]["job"], "docker")
            self.assertEqual(e["labels"]["env"], "test")
            self.assertFalse(any(k.startswith("__") for k in e["labels"]))
        self.assertFalse(any("sluice " in e["line"] for e in entries))

    @staticmethod
    def _meta_changes(agent):
        """config.v2.json files found changed (and their targets relabeled)."""
        m = harness.parse_metrics(agent.metrics())
        return m.get(("sluice_container_meta_changes_total", frozenset()), 0)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
