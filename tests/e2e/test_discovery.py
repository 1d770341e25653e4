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
import signal
import subprocess
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
FAKES = os.path.join(SOURCE, "tests", "fakes")


class FakeDocker:
    """tests/fakes/fake_docker.py on a unix socket, its state a file."""

    def __init__(self, tmp):
        self.socket = os.path.join(tmp, "docker.sock")
        self.state_path = os.path.join(tmp, "docker-state.json")
        self.requests = os.path.join(tmp, "docker-requests.log")
        self.containers = {}
        self.fail = {}
        self.write()
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(FAKES, "fake_docker.py"), "--socket", self.socket,
             "--state", self.state_path, "--requests", self.requests],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        if self.proc.stdout.readline().strip() != b"ready":
            raise RuntimeError("the fake Docker API did not start")

    def write(self):
        write_json(self.state_path, {"containers": list(self.containers.values()),
                                     "fail": self.fail})

    def run(self, cid, name, service, log_path, driver="json-file"):
        self.containers[cid] = {"Id": cid, "Name": "/" + name, "Image": "w40k/app:1",
                                "Labels": {"com.docker.compose.project": "w40k",
                                           "com.docker.compose.service": service},
                                "LogPath": log_path, "LogDriver": driver}
        self.write()

    def stop(self, cid):
        del self.containers[cid]
        self.write()

    def count(self, needle):
        try:
            with open(self.requests) as f:
                return f.read().count(needle)
        except FileNotFoundError:
            return 0

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()


class FakeKube:
    """tests/fakes/fake_kube.py on 127.0.0.1, its state a file."""

    def __init__(self, tmp):
        self.state_path = os.path.join(tmp, "kube-state.json")
        self.requests = os.path.join(tmp, "kube-requests.log")
        self.rv = 1
        self.pods = {}
        self.extra = {}
        self.write()
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(FAKES, "fake_kube.py"), "--state", self.state_path,
             "--requests", self.requests], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != b"ready":
            raise RuntimeError("the fake Kubernetes API did not start")
        self.url = "http://127.0.0.1:%d" % int(line[1])

    def write(self):
        self.rv += 1
        write_json(self.state_path, dict({"rv": self.rv, "token": "t0k",
                                          "pods": list(self.pods.values())}, **self.extra))

    def pod(self, ns, name, uid, node, app, containers):
        self.pods[(ns, name)] = {
            "metadata": {"name": name, "namespace": ns, "uid": uid,
                         "labels": {"app": app},
                         "ownerReferences": [{"kind": "ReplicaSet", "name": app + "-5d8f9c7b6d",
                                              "controller": True}]},
            "spec": {"nodeName": node,
                     "containers": [{"name": c, "image": c + ":1"} for c in containers]},
            "status": {"phase": "Running", "podIP": "10.1.0.7", "hostIP": "10.0.0.1",
                       "conditions": [{"type": "Ready", "status": "True"}]}}
        self.write()

    def delete(self, ns, name):
        del self.pods[(ns, name)]
        self.write()

    def count(self, needle):
        try:
            with open(self.requests) as f:
                return f.read().count(needle)
        except FileNotFoundError:
            return 0

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()


def cri_line(text, stream="stdout"):
    return "2026-01-01T00:00:00.000000000Z %s F %s\n" % (stream, text)


def fds_of(pid):
    """(descriptors that are not sockets, sockets, inotify watches) of @pid."""
    files = sockets = watches = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:"):
            sockets += 1
            continue
        files += 1
        if "inotify" in target:
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                watches += sum(1 for line in f if line.startswith("inotify wd:"))
    return files, sockets, watches


def sanitized_build():
    """Whether the sluice under test is linked with AddressSanitizer."""
    with open(os.path.join(BUILD, "src", "sluice"), "rb") as f:
        return b"libasan.so" in f.read()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


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

    def sluice(self, env=None):
        return harness.Sluice(BUILD, self.config, args=["-pipelines.dir=" + PIPELINES], env=env)

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

    def docker_config(self, rx, fake, refresh="200ms", extra=None, http_port=None,
                      more_relabel="", globs=()):
        harness.write_config(self.config, rx.url, self.positions, list(globs), extra=extra,
                             http_port=http_port)
        with open(self.config) as f:
            text = f.read().replace("scrape_configs: []", "scrape_configs:")
        if "scrape_configs:" not in text:
            text += "scrape_configs:\n"
        text += ("  - job_name: docker\n"
                 "    docker_sd_configs:\n"
                 "      - host: unix://%s\n"
                 "        refresh_interval: %s\n"
                 "    relabel_configs:\n"
                 "      - source_labels: [__meta_docker_container_name]\n"
                 "        regex: /(.*)\n"
                 "        target_label: container\n"
                 "      - source_labels: [__meta_docker_container_label_com_docker_compose_service]\n"
                 "        target_label: service\n"
                 "      - source_labels: [__meta_docker_container_log_stream]\n"
                 "        target_label: logstream\n"
                 "%s"
                 "    pipeline_stages:\n"
                 "      - docker: {}\n" % (fake.socket, refresh, more_relabel))
        with open(self.config, "w") as f:
            f.write(text)

    def test_docker_sd_follows_containers_through_the_api(self):
        """docker_sd_configs against the fake Engine API: containers that
        start are followed by their LogPath within refresh_interval, with
        the relabeled container, service and logstream labels; a rotated log
        is read on; a container that stops is read to its end; another log
        driver is warned about once; every line arrives once."""
        fake = FakeDocker(self.tmp)
        try:
            logs = {}
            for cid, name in (("a" * 64, "w40k-api"), ("b" * 64, "w40k-worker")):
                d = os.path.join(self.containers, cid)
                os.makedirs(d)
                logs[name] = os.path.join(d, cid + "-json.log")
                with open(logs[name], "w") as f:
                    f.write("".join(pino_line(i, "%s %d" % (name, i)) for i in range(20)))
                fake.run(cid, name, name[5:], logs[name])
            fake.run("c" * 64, "journald-app", "j", "", driver="journald")
            with harness.Receiver(BUILD, self.tmp) as rx:
                self.docker_config(rx, fake)
                with self.sluice() as agent:
                    rx.wait_entries(40, timeout=30)
                    # A new container, picked up within refresh_interval.
                    cid = "e" * 64
                    d = os.path.join(self.containers, cid)
                    os.makedirs(d)
                    logs["w40k-new"] = os.path.join(d, cid + "-json.log")
                    with open(logs["w40k-new"], "w") as f:
                        f.write(pino_line(0, "new 0"))
                        f.write(pino_line(1, "new err", stream="stderr"))
                    fake.run(cid, "w40k-new", "new", logs["w40k-new"])
                    rx.wait_entries(42, timeout=30)
                    # Rotation as json-file does it: renamed, then a new file.
                    api = logs["w40k-api"]
                    with open(api, "a") as f:
                        f.write(pino_line(20, "w40k-api 20"))
                    os.rename(api, api + ".1")
                    with open(api, "w") as f:
                        f.write(pino_line(21, "w40k-api 21"))
                    rx.wait_entries(44, timeout=30)
                    # The worker writes its last lines and stops; then it is
                    # removed (its directory deleted) once sluice let go.
                    with open(logs["w40k-worker"], "a") as f:
                        f.write("".join(pino_line(i, "w40k-worker %d" % i) for i in range(20, 30)))
                    fake.stop("b" * 64)
                    entries = rx.wait_entries(54, timeout=30)
                    harness.wait_until(
                        lambda: self._metric(agent, "sluice_targets_removed_total") >= 1, 10,
                        "the stopped container's target to go", agent.log)
                    harness.wait_until(
                        lambda: self._metric(agent, "sluice_files_active") == 2, 10,
                        "the stopped container's file to be released", agent.log)
                    log = agent.log()
                    self.assertEqual(agent.stop(), 0, log)
        finally:
            fake.close()
        self.assertEqual(log.count('log_driver="journald"'), 1, log)
        by = collections.Counter((e["labels"]["container"], e["labels"]["service"],
                                  e["labels"]["logstream"]) for e in entries)
        self.assertEqual(by, {("w40k-api", "api", "stdout"): 22,
                              ("w40k-worker", "worker", "stdout"): 30,
                              ("w40k-new", "new", "stdout"): 1,
                              ("w40k-new", "new", "stderr"): 1})
        lines = [json.loads(e["line"])["msg"] for e in entries]
        self.assertEqual(len(lines), len(set(lines)), "a line arrived twice")
        for e in entries:
            self.assertEqual(e["labels"]["stream"], e["labels"]["logstream"])
            self.assertNotIn("job", e["labels"])  # Promtail adds none for discovered targets
        # Inspected once per container, listed at every refresh.
        self.assertEqual(fake.count("GET /containers/%s/json" % ("a" * 64)), 1)

    def test_reload_keeps_discovered_targets(self):
        """A reload (SIGHUP) with other relabeling: the containers found
        through the API go on from where they were (their files are not
        opened again), the lines written after it carry the new labels, and
        none is lost or sent twice. A static job the new config drops lets
        its open file go."""
        fake = FakeDocker(self.tmp)
        port = harness.free_port()
        extra = {"server": {"enable_runtime_reload": True}}
        other = os.path.join(self.tmp, "other", "app.log")
        os.makedirs(os.path.dirname(other))
        with open(other, "w") as f:
            f.write(pino_line(0, "other 0"))
        static = [(os.path.join(self.tmp, "other", "*.log"), {"job": "other"})]
        try:
            logs = {}
            for cid, name in (("a" * 64, "w40k-api"), ("b" * 64, "w40k-worker")):
                d = os.path.join(self.containers, cid)
                os.makedirs(d)
                logs[name] = os.path.join(d, cid + "-json.log")
                with open(logs[name], "w") as f:
                    f.write("".join(pino_line(i, "%s %d" % (name, i)) for i in range(20)))
                fake.run(cid, name, name[5:], logs[name])
            with harness.Receiver(BUILD, self.tmp) as rx:
                self.docker_config(rx, fake, extra=extra, http_port=port, globs=static)
                with self.sluice() as agent:
                    rx.wait_entries(41, timeout=30)
                    opened = self._metric(agent, "sluice_files_opened_total")
                    self.assertEqual(opened, 3)
                    self.docker_config(rx, fake, extra=extra, http_port=port,
                                       more_relabel="      - target_label: config\n"
                                                    "        replacement: v2\n")
                    agent.proc.send_signal(signal.SIGHUP)
                    harness.wait_until(
                        lambda: agent.metric("sluice_config_reloads_total",
                                             result="success") == 1,
                        30, "the reload to take effect", agent.log)
                    for name, path in logs.items():
                        with open(path, "a") as f:
                            f.write("".join(pino_line(i, "%s %d" % (name, i))
                                            for i in range(20, 30)))
                    with open(other, "a") as f:
                        f.write(pino_line(1, "other 1"))
                    entries = rx.wait_entries(61, timeout=30)
                    # Refreshes after the reload find the same containers.
                    n = fake.count("GET /containers/json")
                    harness.wait_until(lambda: fake.count("GET /containers/json") >= n + 2,
                                       30, "two refreshes after the reload", agent.log)
                    self.assertEqual(self._metric(agent, "sluice_files_opened_total"), opened)
                    self.assertEqual(self._metric(agent, "sluice_targets_active"), 2)
                    log = agent.log()
                    self.assertEqual(agent.stop(), 0, log)
                entries = rx.entries()
        finally:
            fake.close()
        by = collections.Counter((e["labels"].get("container"), e["labels"].get("config"))
                                 for e in entries)
        self.assertEqual(by, {("w40k-api", None): 20, ("w40k-api", "v2"): 10,
                              ("w40k-worker", None): 20, ("w40k-worker", "v2"): 10,
                              (None, None): 1})
        self.assertNotIn("other 1", "".join(e["line"] for e in entries))
        lines = [e["line"] for e in entries]
        self.assertEqual(len(lines), len(set(lines)), "a line arrived twice")

    def test_docker_sd_churn_of_200_containers(self):
        """200 containers start, log and stop (and are removed) in waves of
        20: every line arrives once, and sluice's descriptors and memory
        come back to where they were after the first waves."""
        fake = FakeDocker(self.tmp)
        waves, per_wave, lines_per = 10, 20, 5
        env = None
        if sanitized_build():
            # AddressSanitizer keeps freed memory in quarantine (256 MiB)
            # instead of reusing it: without it, RSS measures what is held.
            env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
                   ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0"}
        try:
            with harness.Receiver(BUILD, self.tmp) as rx:
                self.docker_config(rx, fake, refresh="100ms")
                with self.sluice(env=env) as agent:
                    agent.wait_metrics()
                    pid = agent.proc.pid
                    total = 0
                    marks = []
                    for w in range(waves):
                        ids = []
                        for k in range(per_wave):
                            cid = "%032x%032x" % (w, k)
                            d = os.path.join(self.containers, cid)
                            os.makedirs(d)
                            path = os.path.join(d, cid + "-json.log")
                            with open(path, "w") as f:
                                f.write("".join(pino_line(i, "w%d c%d l%d" % (w, k, i))
                                                for i in range(lines_per)))
                            fake.run(cid, "churn-%d-%d" % (w, k), "churn", path)
                            ids.append(cid)
                        total += per_wave * lines_per
                        rx.wait_entries(total, timeout=60)
                        for cid in ids:
                            fake.stop(cid)
                        harness.wait_until(
                            lambda: self._metric(agent, "sluice_targets_active") == 0, 30,
                            "the wave's targets to go", agent.log)
                        harness.wait_until(
                            lambda: self._metric(agent, "sluice_files_active") == 0, 30,
                            "the wave's files to be released", agent.log)
                        for cid in ids:  # docker rm
                            shutil.rmtree(os.path.join(self.containers, cid))
                        marks.append(fds_of(pid) + (rss_kib(pid),))
                    entries = rx.entries()
                    self.assertEqual(agent.stop(), 0, agent.log())
        finally:
            fake.close()
        self.assertEqual(len(entries), total)
        self.assertEqual(len({e["line"] for e in entries}), total)
        # The positions of removed containers' files went once acknowledged.
        with open(self.positions) as f:
            self.assertNotIn(self.containers, f.read())
        # After every wave: the same files (give or take the positions
        # journal's descriptor, closed and opened again around a whole save)
        # and inotify watches open
        # (none of the removed containers'; 20 a wave would leak), sockets
        # within curl's few kept connections, and memory flat within 2 MiB
        # from the third wave on.
        self.assertLessEqual(max(m[0] for m in marks) - min(m[0] for m in marks), 1, marks)
        self.assertEqual({m[2] for m in marks}, {marks[0][2]}, marks)
        self.assertLessEqual(max(m[1] for m in marks) - min(m[1] for m in marks), 2, marks)
        self.assertLess(marks[-1][3] - marks[2][3], 2048, marks)

    def pod_log(self, ns, name, uid, container, text):
        """Appends a line to the pod container's kubelet log (0.log)."""
        d = os.path.join(self.tmp, "pods", "%s_%s_%s" % (ns, name, uid), container)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "0.log"), "a") as f:
            f.write(cri_line(text))

    def test_kubernetes_sd_helm_shaped_config(self):
        """kubernetes_sd_configs (role pod) against the fake Kubernetes API,
        with the relabeling the Promtail Helm chart renders: the files of
        this node's pods under a /var/log/pods-shaped tree are followed with
        namespace, pod, container, app and job labels; a pod that comes is
        picked up from the watch, one that goes (deleted, or moved to
        another node) is read to its end and released; the server closing
        the watch, or answering 410 Gone, loses nothing."""
        helm = os.path.join(SOURCE, "packaging", "kubernetes", "daemonset.yaml")
        relabel = self._helm_relabel(helm).replace("/var/log/pods", os.path.join(self.tmp, "pods"))
        kube = FakeKube(self.tmp)
        try:
            kube.pod("shop", "api-5d8f9c7b6d-x2x9z", "uid-api", "node-a", "api", ["api", "envoy"])
            kube.pod("shop", "api-5d8f9c7b6d-q1w2e", "uid-other", "node-b", "api", ["api"])
            for c in ("api", "envoy"):
                self.pod_log("shop", "api-5d8f9c7b6d-x2x9z", "uid-api", c, "%s 1" % c)
            self.pod_log("shop", "api-5d8f9c7b6d-q1w2e", "uid-other", "api", "other node")
            with harness.Receiver(BUILD, self.tmp) as rx:
                harness.write_config(self.config, rx.url, self.positions, [])
                with open(self.config) as f:
                    text = f.read().replace("scrape_configs: []", "scrape_configs:")
                text += ("  - job_name: kubernetes-pods\n"
                         "    kubernetes_sd_configs:\n"
                         "      - role: pod\n"
                         "        api_server: %s\n"
                         "        bearer_token: t0k\n" % kube.url) + relabel
                with open(self.config, "w") as f:
                    f.write(text)
                agent = harness.Sluice(BUILD, self.config, args=["-pipelines.dir=" + PIPELINES],
                                       env={"HOSTNAME": "node-a"})
                with agent:
                    rx.wait_entries(2, timeout=30)
                    # A new pod on this node: its log is followed.
                    kube.pod("web", "web-0", "uid-web", "node-a", "web", ["nginx"])
                    self.pod_log("web", "web-0", "uid-web", "nginx", "nginx 1")
                    rx.wait_entries(3, timeout=30)
                    # The server closes the watch; a later pod still comes.
                    kube.extra["close_watches"] = 1
                    kube.pod("web", "web-1", "uid-web1", "node-a", "web", ["nginx"])
                    self.pod_log("web", "web-1", "uid-web1", "nginx", "nginx web-1")
                    rx.wait_entries(4, timeout=30)
                    # 410 Gone: listed again.
                    kube.extra.update({"close_watches": 2, "compacted": kube.rv + 1})
                    self.pod_log("web", "web-0", "uid-web", "nginx", "nginx 2")
                    kube.write()
                    harness.wait_until(lambda: kube.count(" list") >= 2, 15, "a second list")
                    rx.wait_entries(5, timeout=30)
                    # Deleted: its last line is still read, then its file goes.
                    self.pod_log("web", "web-0", "uid-web", "nginx", "nginx last")
                    kube.delete("web", "web-0")
                    rx.wait_entries(6, timeout=30)
                    # Moved to another node: the same.
                    self.pod_log("web", "web-1", "uid-web1", "nginx", "web-1 last")
                    kube.pods[("web", "web-1")]["spec"]["nodeName"] = "node-b"
                    kube.write()
                    entries = rx.wait_entries(7, timeout=30)
                    harness.wait_until(
                        lambda: self._metric(agent, "sluice_files_active") == 2, 15,
                        "the gone pods' files to be released", agent.log)
                    self.assertEqual(agent.stop(), 0, agent.log())
        finally:
            kube.close()
        got = sorted((e["labels"]["namespace"], e["labels"]["pod"], e["labels"]["container"],
                      e["labels"]["app"], e["labels"]["job"], e["line"].split(" F ", 1)[1])
                     for e in entries)
        self.assertEqual(got, [
            ("shop", "api-5d8f9c7b6d-x2x9z", "api", "api", "shop/api", "api 1"),
            ("shop", "api-5d8f9c7b6d-x2x9z", "envoy", "api", "shop/api", "envoy 1"),
            ("web", "web-0", "nginx", "web", "web/web", "nginx 1"),
            ("web", "web-0", "nginx", "web", "web/web", "nginx 2"),
            ("web", "web-0", "nginx", "web", "web/web", "nginx last"),
            ("web", "web-1", "nginx", "web", "web/web", "nginx web-1"),
            ("web", "web-1", "nginx", "web", "web/web", "web-1 last"),
        ])
        for e in entries:
            self.assertEqual(e["labels"]["node_name"], "node-a")
            self.assertFalse(any(k.startswith("__") for k in e["labels"]))

    def test_pod_labels_from_kubelet_paths_without_the_api(self):
        """static_configs over a /var/log/pods-shaped tree: namespace, pod,
        pod_uid and container come from each file's path."""
        self.pod_log("shop", "api-1", "0b6e8f52", "api", "hello")
        self.pod_log("kube-system", "dns-2", "77aa", "coredns", "dns")
        with harness.Receiver(BUILD, self.tmp) as rx:
            harness.write_config(self.config, rx.url, self.positions,
                                 [{"glob": os.path.join(self.tmp, "pods", "*", "*", "*.log"),
                                   "labels": {}, "job_name": "pods"}])
            with self.sluice() as agent:
                entries = rx.wait_entries(2, timeout=30)
                self.assertEqual(agent.stop(), 0, agent.log())
        got = sorted(tuple(e["labels"].get(k) for k in ("namespace", "pod", "pod_uid",
                                                          "container", "job"))
                     for e in entries)
        self.assertEqual(got, [("kube-system", "dns-2", "77aa", "coredns", "pods"),
                               ("shop", "api-1", "0b6e8f52", "api", "pods")])

    @staticmethod
    def _helm_relabel(path):
        """The kubernetes-pods job's relabel_configs from the DaemonSet's
        ConfigMap, as YAML for a scrape config's keys (indented 4)."""
        import yaml
        with open(path) as f:
            docs = list(yaml.safe_load_all(f))
        cm = next(d for d in docs if d and d.get("kind") == "ConfigMap")
        config = yaml.safe_load(cm["data"]["sluice.yaml"])
        job = next(j for j in config["scrape_configs"] if j["job_name"] == "kubernetes-pods")
        text = yaml.safe_dump({"relabel_configs": job["relabel_configs"]}, sort_keys=False)
        return "".join("    " + line + "\n" for line in text.splitlines())

    @staticmethod
    def _metric(agent, name):
        return harness.parse_metrics(agent.metrics()).get((name, frozenset()), 0)

    @staticmethod
    def _meta_changes(agent):
        """config.v2.json files found changed (and their targets relabeled)."""
        m = harness.parse_metrics(agent.metrics())
        return m.get(("sluice_container_meta_changes_total", frozenset()), 0)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
