#!/usr/bin/env python3
"""Checks what packaging/ ships: every YAML and JSON file parses, the
configs embedded in the examples pass `sluice -check-config`, the files the
Dockerfile copies exist, and every metric that the dashboard and the alert
rules query is one that a running sluice exports.

Usage: test_packaging.py BUILD_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
SOURCE = os.environ.get("SL_SOURCE_ROOT",
                        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PKG = os.path.join(SOURCE, "packaging")
SLUICE = os.path.join(BUILD, "src", "sluice")


def check_config(text, tmp):
    path = os.path.join(tmp, "embedded.yaml")
    with open(path, "w") as f:
        f.write(text)
    return subprocess.run([SLUICE, "-config.file", path, "-check-config",
                           "-pipelines.dir", os.path.join(SOURCE, "pipelines")],
                          capture_output=True, text=True, timeout=30)


class PackagingTest(unittest.TestCase):
    def test_yaml_files_parse(self):
        for root, _, files in os.walk(PKG):
            for name in files:
                if name.endswith((".yaml", ".yml")):
                    with open(os.path.join(root, name)) as f:
                        docs = list(yaml.safe_load_all(f))
                    self.assertTrue(docs, name)

    def test_kubernetes_configmap_config_is_valid(self):
        with open(os.path.join(PKG, "kubernetes", "sidecar.yaml")) as f:
            docs = list(yaml.safe_load_all(f))
        cm = [d for d in docs if d["kind"] == "ConfigMap"][0]
        with tempfile.TemporaryDirectory() as tmp:
            p = check_config(cm["data"]["sluice.yaml"], tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        deploy = [d for d in docs if d["kind"] == "Deployment"][0]
        sidecar = [c for c in deploy["spec"]["template"]["spec"]["containers"]
                   if c["name"] == "sluice"][0]
        self.assertEqual(sidecar["readinessProbe"]["httpGet"]["path"], "/ready")

    def test_resource_limits(self):
        """The examples bound sluice's memory and CPU (sized from the
        benchmark, README "Performance and sizing"), with room above the
        peak RSS the benchmark measures (17 MiB)."""
        with open(os.path.join(PKG, "compose", "docker-compose.yaml")) as f:
            svc = yaml.safe_load(f)["services"]["sluice"]
        self.assertEqual(svc["mem_limit"], "64m")
        self.assertGreater(float(svc["cpus"]), 0)
        with open(os.path.join(PKG, "kubernetes", "sidecar.yaml")) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        deploy = [d for d in docs if d["kind"] == "Deployment"][0]
        c = [c for c in deploy["spec"]["template"]["spec"]["containers"] if c["name"] == "sluice"][0]
        self.assertEqual(c["resources"]["limits"]["memory"], "64Mi")
        self.assertIn("cpu", c["resources"]["limits"])
        self.assertIn("cpu", c["resources"]["requests"])

    def test_kubernetes_daemonset(self):
        """The DaemonSet: its ConfigMap's config (the Helm chart's job) passes
        -check-config as shipped; RBAC reads pods and nodes; the logs are mounted
        read-only and positions on the host; HOSTNAME is the node's name
        (the pod field selector uses it); probes ask /ready."""
        with open(os.path.join(PKG, "kubernetes", "daemonset.yaml")) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        kinds = {d["kind"]: d for d in docs}
        text = kinds["ConfigMap"]["data"]["sluice.yaml"]
        with tempfile.TemporaryDirectory() as tmp:
            p = check_config(text, tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        config = yaml.safe_load(kinds["ConfigMap"]["data"]["sluice.yaml"])
        job = config["scrape_configs"][0]
        self.assertEqual(job["kubernetes_sd_configs"], [{"role": "pod"}])
        self.assertIn("__path__", [r.get("target_label") for r in job["relabel_configs"]])
        self.assertEqual(job["pipeline_stages"], [{"cri": {}}])  # the Helm chart's
        rules = kinds["ClusterRole"]["rules"][0]
        self.assertEqual(set(rules["resources"]), {"pods", "nodes"})
        self.assertEqual(set(rules["verbs"]), {"get", "list", "watch"})
        spec = kinds["DaemonSet"]["spec"]["template"]["spec"]
        self.assertEqual(spec["serviceAccountName"], kinds["ServiceAccount"]["metadata"]["name"])
        c = spec["containers"][0]
        env = {e["name"]: e for e in c["env"]}
        self.assertEqual(env["HOSTNAME"]["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName")
        self.assertEqual(c["readinessProbe"]["httpGet"]["path"], "/ready")
        mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
        for path in ("/var/log/pods", "/var/lib/docker/containers"):
            self.assertTrue(mounts[path].get("readOnly"), path)
        volumes = {v["name"]: v for v in spec["volumes"]}
        positions_dir = os.path.dirname(config["positions"]["filename"])
        pos_mount = [m for m in c["volumeMounts"] if m["mountPath"] == positions_dir][0]
        self.assertIn("hostPath", volumes[pos_mount["name"]])
        self.assertIn("requests", c["resources"])
        self.assertIn("limits", c["resources"])

    def test_dockerfile_copies_what_exists(self):
        with open(os.path.join(PKG, "Dockerfile")) as f:
            text = f.read()
        for src in re.findall(r"^COPY (?!--from)(\S+)", text, re.M):
            self.assertTrue(os.path.exists(os.path.join(SOURCE, src)), src)
        self.assertIn("/etc/sluice/sluice.yaml", text)
        self.assertIn("/etc/sluice/pipelines", text)

    def test_systemd_unit_flags(self):
        with open(os.path.join(PKG, "systemd", "sluice.service")) as f:
            unit = f.read()
        for line in re.findall(r"^Exec\w+=(.*)$", unit, re.M):
            argv = line.split()
            self.assertEqual(argv[0], "/usr/bin/sluice")
            argv = [SLUICE] + [a.replace("/etc/sluice/sluice.yaml",
                                         os.path.join(SOURCE, "conf", "sluice.yaml"))
                               for a in argv[1:]]
            if "-check-config" not in argv:
                argv.append("-check-config")
            argv += ["-pipelines.dir", os.path.join(SOURCE, "pipelines")]
            p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)

    def test_dashboard_and_alerts_query_exported_metrics(self):
        with open(os.path.join(PKG, "monitoring", "dashboard.json")) as f:
            dash = json.load(f)
        exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
        with open(os.path.join(PKG, "monitoring", "alerts.yaml")) as f:
            rules = yaml.safe_load(f)
        exprs += [r["expr"] for g in rules["groups"] for r in g["rules"]]
        wanted = set()
        for e in exprs:
            wanted.update(re.findall(r"\b(sluice_[a-z_]+)", e))
        self.assertTrue(wanted)

        tmp = tempfile.mkdtemp(prefix="sluice-pkg-")
        try:
            log = os.path.join(tmp, "a", "a-json.log")
            os.makedirs(os.path.dirname(log))
            with open(log, "w") as f:
                f.write(harness.docker_line("hello"))
            with harness.Receiver(BUILD, tmp, verbose=False) as rx:
                config = os.path.join(tmp, "sluice.yaml")
                harness.write_config(config, rx.url, os.path.join(tmp, "pos"),
                                     [(os.path.join(tmp, "*", "*-json.log"), {"job": "j"})])
                with harness.Sluice(BUILD, config) as agent:
                    rx.wait_entries(1, timeout=20)
                    harness.wait_until(lambda: "sluice_request_duration_seconds_count"
                                       in agent.metrics(), 10, "a push in the metrics")
                    text = agent.metrics()
                    agent.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        exported = set(re.findall(r"^(sluice_[a-z_]+)", text, re.M))
        self.assertEqual(wanted - exported, set(), "queried but not exported")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]], verbosity=2)
