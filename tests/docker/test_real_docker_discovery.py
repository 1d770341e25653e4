#!/usr/bin/env python3
"""Discovery beside a real Docker engine: containers started with
Compose-style labels are found
  1. through the Engine API's socket (docker_sd_configs, relabeling
     __meta_docker_container_name into `container` and the compose service
     into `service`): one container running before sluice starts, one that
     starts later (picked up within refresh_interval), stopped and removed
     at once (its file deleted): each is read to its end and released;
  2. without the socket, from the config.v2.json Docker keeps beside each
     log (static_configs with pipelines/pino.yaml's relabel_configs, which
     give `container` and `compose_service`).
Every line at info or above arrives once, with its container and service
labels; nothing below info.

It runs its own dockerd and builds the writer's image as test_real_docker.py
does (the same helpers), and removes its containers and stops dockerd even
when it fails. Skipped (exit 77) where dockerd cannot run.

Usage: test_real_docker_discovery.py BUILD_DIR
"""
import json
import os
import shutil
import signal
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_real_docker as real  # noqa: E402
from test_real_docker import harness  # noqa: E402

BUILD = real.BUILD
WAIT = 120.0


class Arrived:
    """What the receiver holds, read incrementally: (container label, seq) ->
    (count, labels of the first)."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.got = {}

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return self.got
        end = data.rfind(b"\n") + 1
        self.offset += end
        for raw in data[:end].split(b"\n"):
            if raw:
                e = json.loads(raw)
                try:
                    seq = json.loads(e["line"])["seq"]
                except (ValueError, KeyError, TypeError):
                    continue
                key = (e["labels"].get("container"), seq)
                n, labels = self.got.get(key, (0, e["labels"]))
                self.got[key] = (n + 1, labels)
        return self.got

    def count(self, name):
        return sum(1 for k in self.poll() if k[0] == name)


def wanted(name, count):
    """The lines of a writer of @count lines that pino.yaml keeps (info+)."""
    return {(name, s) for s in range(count) if s % 6 >= 2}


def wait_for(rec, want, agent, what):
    harness.wait_until(lambda: want <= set(rec.poll()), WAIT, what,
                       lambda: "%d missing, e.g. %s\n%s" % (
                           len(want - set(rec.poll())), sorted(want - set(rec.poll()))[:5],
                           agent.log()[-3000:]))


def run_container(d, tag, name, service, count, rate):
    d.run("run", "-d", "--name", name, "--network", "none",
          "--label", "com.docker.compose.service=" + service,
          "--label", "com.docker.compose.project=w40k",
          "--log-driver", "json-file", tag, "/writer", str(count), str(rate))


def start_agent(config, pipelines):
    agent = harness.Sluice(BUILD, config, args=["-pipelines.dir", pipelines],
                           log_path=config + ".log")
    agent.start()
    agent.wait_metrics(30)
    return agent


def main():
    if os.geteuid() != 0:
        real.skip("dockerd needs root")
    if not os.path.exists(real.DOCKER) or not os.path.exists(real.DOCKERD):
        real.skip("docker.io is not installed (%s, %s)" % (real.DOCKER, real.DOCKERD))
    tmp = tempfile.mkdtemp(prefix="sl-dd-")
    d = real.Dockerd(tmp)
    suffix = "-%d" % os.getpid()
    api, worker, batch = names = [n + suffix for n in ("w40k-api", "w40k-worker",
                                                       "w40k-batch")]
    counts = {api: 3000, worker: 3000, batch: 1200}
    services = {api: "api", worker: "worker", batch: "batch"}
    agent = None
    try:
        if not d.start():
            real.skip("dockerd did not start:\n" + d.log_tail())
        tag = real.image(d, tmp)
        t0 = time.monotonic()
        pipelines = os.path.join(real.SRC, "pipelines")
        with harness.Receiver(BUILD, tmp, verbose=False) as rx:
            rec = Arrived(rx.entries_path)

            # 1. Through the socket: the config Promtail's documentation
            # gives, with the compose service as a label too.
            config = os.path.join(tmp, "socket.yaml")
            with open(config, "w") as f:
                f.write(
                    "server:\n  http_listen_address: 127.0.0.1\n  http_listen_port: %d\n"
                    "positions: {filename: %s/positions-socket.yaml}\n"
                    "clients:\n  - url: %s\n    batchwait: 200ms\n"
                    "scrape_configs:\n"
                    "  - job_name: docker\n"
                    "    docker_sd_configs:\n"
                    "      - host: unix://%s\n"
                    "        refresh_interval: 1s\n"
                    "        filters: [{name: label, values: [com.docker.compose.project=w40k]}]\n"
                    "    relabel_configs:\n"
                    "      - source_labels: ['__meta_docker_container_name']\n"
                    "        regex: '/(.*)'\n"
                    "        target_label: 'container'\n"
                    "      - source_labels: [__meta_docker_container_label_com_docker_compose_service]\n"
                    "        target_label: service\n"
                    "    pipeline: pino\n" % (harness.free_port(), tmp, rx.url, d.sock))
            # The api runs before sluice starts: found by the first list.
            run_container(d, tag, api, "api", counts[api], 300)
            agent = start_agent(config, pipelines)
            harness.wait_until(lambda: rec.count(api) > 0, WAIT, "the api's first lines",
                               lambda: agent.log()[-2000:])
            # The worker starts later: found within refresh_interval. Once
            # it is followed it ends, and is removed as soon as it has
            # stopped (its log deleted, maybe before sluice has seen it
            # stop): its file is read to the end first.
            run_container(d, tag, worker, "worker", counts[worker], 1000)
            harness.wait_until(lambda: rec.count(worker) > 0, WAIT, "the worker's first lines",
                               lambda: agent.log()[-2000:])
            d.run("wait", worker)
            d.run("rm", worker)
            wait_for(rec, wanted(worker, counts[worker]), agent, "the removed worker's lines")
            d.run("wait", api)
            wait_for(rec, wanted(api, counts[api]), agent, "the api's lines")
            harness.wait_until(
                lambda: harness.parse_metrics(agent.metrics()).get(
                    ("sluice_files_active", frozenset()), 1) == 0, WAIT,
                "the stopped containers' files to be released", lambda: agent.log()[-2000:])
            metrics = harness.parse_metrics(agent.metrics())
            removed = metrics.get(("sluice_targets_removed_total", frozenset()), 0)
            assert removed == 2, "targets removed: %s" % removed
            assert agent.stop() == 0, agent.log()[-2000:]
            socket_log = agent.log()
            d.run("rm", api)

            # 2. Without the socket: config.v2.json beside each log.
            config = os.path.join(tmp, "files.yaml")
            with open(config, "w") as f:
                f.write(
                    "server:\n  http_listen_address: 127.0.0.1\n  http_listen_port: %d\n"
                    "positions: {filename: %s/positions-files.yaml}\n"
                    "clients:\n  - url: %s\n    batchwait: 200ms\n"
                    "target_config: {sync_period: 1s}\n"
                    "scrape_configs:\n"
                    "  - job_name: files\n"
                    "    static_configs:\n"
                    "      - labels: {__path__: %s/containers/*/*-json.log}\n"
                    "    relabel_configs:\n"
                    "      - source_labels: [__meta_docker_container_label_com_docker_compose_project]\n"
                    "        regex: w40k\n"
                    "        action: keep\n"
                    "    pipeline: pino\n" % (harness.free_port(), tmp, rx.url, real.ROOT))
            agent = start_agent(config, pipelines)
            run_container(d, tag, batch, "batch", counts[batch], 1000)
            d.run("wait", batch)
            wait_for(rec, wanted(batch, counts[batch]), agent, "the batch's lines")
            assert agent.stop() == 0, agent.log()[-2000:]

        got = rec.got
        for name in names:
            keys = [k for k in got if k[0] == name]
            assert keys, "nothing from %s" % name
            for k in keys:
                labels = got[k][1]
                assert labels.get("container") == name, labels
                assert labels.get("compose_service") == services[name], labels
                if name != batch:
                    assert labels.get("service") == services[name], labels
                assert labels.get("stream") == "stdout", labels
                assert not any(n.startswith("__") for n in labels), labels
            below = [k for k in keys if k[1] % 6 < 2]
            assert not below, "lines below info from %s: %s" % (name, below[:5])
        dups = sum(n - 1 for n, _ in got.values())
        assert dups == 0, "%d lines arrived twice" % dups
        assert "log_driver" not in socket_log, socket_log
        print("real Docker discovery: through the socket, the api (running before sluice, "
              "%d lines) and the worker (started later, removed at once after it stopped, "
              "%d lines); through config.v2.json, the batch (%d lines): every line at info "
              "or above arrived once with its container and service labels, %.1f s"
              % (counts[api], counts[worker], counts[batch], time.monotonic() - t0),
              flush=True)
    finally:
        if agent is not None and agent.alive():
            agent.stop(signal.SIGKILL)
        for name in names:
            d.run("rm", "-f", name, check=False)
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
