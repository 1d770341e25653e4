#!/usr/bin/env python3
"""Secrets never show: a config with a password in a client URL, basic_auth,
a bearer token, a header carrying a key and a proxy password runs against
the receiver (which refuses some pushes, so errors are logged with their
client), and its log, its status page, its metrics, -print-config,
-print-config-stderr, -check-config and a config error must not hold any of
them.

Usage: test_secrets.py BUILD_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build"
SECRETS = ["urlPassw0rd-7f3a", "basicPassw0rd-91c2", "bearerT0ken-55de", "headerK3y-0b7e",
           "pr0xyPass-c4d1"]


class SecretsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-e2e-")
        self.logs = os.path.join(self.tmp, "logs")
        os.makedirs(self.logs)
        self.exe = os.path.join(BUILD, "src", "sluice")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def assertClean(self, text, where):
        for s in SECRETS:
            self.assertNotIn(s, text, "%s shows a secret" % where)

    def config(self, rx_url, port):
        host = rx_url.split("://", 1)[1]
        return ("server:\n  http_listen_address: 127.0.0.1\n  http_listen_port: %d\n"
                "positions: {filename: %s/positions}\n"
                "clients:\n"
                "  - url: http://loki-user:%s@%s\n"
                "    backoff_config: {min_period: 50ms, max_period: 100ms, max_retries: 2}\n"
                "  - url: %s\n"
                "    basic_auth: {username: bob, password: %s}\n"
                "    headers: {X-Api-Key: %s}\n"
                "    backoff_config: {min_period: 50ms, max_period: 100ms, max_retries: 2}\n"
                "  - url: %s\n"
                "    bearer_token: %s\n"
                "    proxy_url: http://proxyuser:%s@127.0.0.1:9\n"
                "    no_proxy: 127.0.0.1\n"
                "    backoff_config: {min_period: 50ms, max_period: 100ms, max_retries: 2}\n"
                "scrape_configs:\n"
                "  - job_name: s\n"
                "    static_configs: [{labels: {__path__: %s/*.log}}]\n"
                % (port, self.tmp, SECRETS[0], host, rx_url, SECRETS[1], SECRETS[3], rx_url,
                   SECRETS[2], SECRETS[4], self.logs))

    def test_no_secret_anywhere(self):
        port = harness.free_port()
        with harness.Receiver(BUILD, self.tmp, verbose=False) as rx:
            path = os.path.join(self.tmp, "sluice.yaml")
            with open(path, "w") as f:
                f.write(self.config(rx.url, port))
            out = subprocess.run([self.exe, "-config.file", path, "-print-config"],
                                 capture_output=True, text=True, check=True)
            self.assertIn("<secret>", out.stdout)
            self.assertIn("url: http://", out.stdout)
            self.assertClean(out.stdout + out.stderr, "-print-config")
            out = subprocess.run([self.exe, "-config.file", path, "-check-config"],
                                 capture_output=True, text=True, check=True)
            self.assertClean(out.stdout + out.stderr, "-check-config")

            # Refusals and retries are logged with the client's URL.
            rx.set_script("401,503,400")
            with open(os.path.join(self.logs, "a.log"), "w") as f:
                f.write("".join("line %d\n" % i for i in range(50)))
            with harness.Sluice(BUILD, path, args=["-print-config-stderr", "-log.level", "debug"]) \
                    as agent:
                agent.wait_metrics()
                harness.wait_until(lambda: rx.stats()["pushes"] >= 4, 30, "pushes")
                status = harness._get("http://127.0.0.1:%d/" % port)[1]
                metrics = agent.metrics()
                self.assertIn("<secret>", agent.log())
                self.assertEqual(agent.stop(), 0)
                log = agent.log()
            self.assertClean(status, "the status page")
            self.assertClean(metrics, "/metrics")
            self.assertClean(log, "the log")
            self.assertIn("127.0.0.1", status)

            # A config error quoting the bad URL.
            with open(path, "w") as f:
                f.write("clients:\n  - url: ftp://u:%s@host/x\n" % SECRETS[0])
            out = subprocess.run([self.exe, "-config.file", path, "-check-config"],
                                 capture_output=True, text=True)
            self.assertEqual(out.returncode, 1)
            self.assertClean(out.stdout + out.stderr, "a config error")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
