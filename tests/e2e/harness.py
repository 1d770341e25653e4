"""harness.py - helpers for the end-to-end and fault tests (standard library only).

What a test gets from here:
  Receiver      the Loki stand-in (tests/receiver/sluice-receiver) as a context manager
  push_file     push a JSON-lines file with tests/receiver/sluice-push-client
  post          one raw HTTP POST (status, headers, body), no defaults added
  Sluice        the agent binary (build/src/sluice) as a context manager
  write_config  a Promtail-shaped sluice config, from Python values
  docker_line, docker_split, docker_lines, rfc3339nano, pino_record
                the bytes Docker's json-file driver and pino would write
  wait_until    poll a condition with a bounded deadline

Every wait is bounded and polls at a short interval: no fixed sleeps. A wait
that times out raises WaitTimeout with what it saw and the tail of the
process's log, so a failing test says why.
"""

import datetime
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

POLL_INTERVAL = 0.02


class WaitTimeout(AssertionError):
    """A bounded wait ran out. An AssertionError, so unittest reports it as a failure."""


def wait_until(predicate, timeout, what, detail=None):
    """Polls predicate() until it returns a true value, which is returned.

    Raises WaitTimeout after `timeout` seconds, naming `what` and adding
    detail() (if given) to the message."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            msg = f"timed out after {timeout:.1f}s waiting for {what}"
            if detail is not None:
                msg += "\n" + detail()
            raise WaitTimeout(msg)
        time.sleep(POLL_INTERVAL)


def _tail(path, lines=20):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def post(url, body, headers=None, timeout=10.0):
    """POSTs `body` (bytes or str) to `url` with exactly `headers` (none added:
    urllib would add a Content-Type, http.client does not). Returns
    (status, headers dict with lowercase names, body text)."""
    if isinstance(body, str):
        body = body.encode()
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        path = parsed.path + ("?" + parsed.query if parsed.query else "")
        conn.request("POST", path or "/", body=body, headers=headers or {})
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, text
    finally:
        conn.close()


def _get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.status, resp.read().decode("utf-8", "replace")


class Receiver:
    """The Loki stand-in, started on a free port of 127.0.0.1.

        with Receiver(build_dir, tmp, script="503x2") as rcv:
            ... push to rcv.url ...
            rcv.wait_entries(10, timeout=10)

    build_dir: the meson build root; tmp: a directory for the port file, the
    entries file (`entries_path`) and the receiver's log (`log_path`).
    script, delay_ms, max_body, max_line_size, closed_for_ms: the receiver's
    options of the same names (None: its default). count_only: benchmark
    mode, entries are counted but not written. verbose: one log line per
    push (off for benchmarks). args: more arguments.
    The receiver must exit 0 on SIGTERM: leaving the block raises if not."""

    def __init__(self, build_dir, tmp, script=None, count_only=False, delay_ms=None,
                 max_body=None, max_line_size=None, closed_for_ms=None, args=(),
                 name="receiver", start_timeout=10.0, verbose=True):
        self.exe = os.path.join(build_dir, "tests", "receiver", "sluice-receiver")
        self.tmp = tmp
        self.name = name
        self.count_only = count_only
        self.closed_for_ms = closed_for_ms
        self.port_path = os.path.join(tmp, name + ".port")
        self.entries_path = os.path.join(tmp, name + "-entries.jsonl")
        self.log_path = os.path.join(tmp, name + ".log")
        self.start_timeout = start_timeout
        self.argv = [self.exe, "--listen", "127.0.0.1:0", "--port-file", self.port_path,
                     "--out", self.entries_path]
        if verbose:
            self.argv.append("--verbose")
        if count_only:
            self.argv.append("--count-only")
        for flag, value in (("--script", script), ("--delay-ms", delay_ms),
                            ("--max-body", max_body), ("--max-line-size", max_line_size),
                            ("--closed-for-ms", closed_for_ms)):
            if value is not None:
                self.argv += [flag, str(value)]
        self.argv += list(args)
        self.proc = None
        self.port = None
        self._offset = 0
        self._entries = []

    # -- lifecycle --

    def start(self):
        """Starts the receiver and waits (bounded) until it answers /ready;
        with closed_for_ms, only until its port is known."""
        for path in (self.port_path, self.entries_path):
            if os.path.exists(path):
                os.unlink(path)
        self._offset, self._entries = 0, []
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)

        def port_known():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} at start:\n"
                                   + _tail(self.log_path))
            try:
                with open(self.port_path) as f:
                    text = f.read().strip()
            except FileNotFoundError:
                return None
            return int(text) if text else None

        self.port = wait_until(port_known, self.start_timeout, f"{self.name}'s port file",
                               lambda: _tail(self.log_path))
        if not self.closed_for_ms:
            self.wait_ready(self.start_timeout)
        return self

    def wait_ready(self, timeout=10.0):
        """Waits until GET /ready answers 200."""
        def ready():
            try:
                return _get(self.base_url + "/ready", timeout=1.0)[0] == 200
            except (OSError, urllib.error.URLError):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n"
                                       + _tail(self.log_path))
                return False
        wait_until(ready, timeout, f"{self.name} to answer /ready", lambda: _tail(self.log_path))

    def stop(self, timeout=10.0):
        """Sends SIGTERM and waits; returns the exit code (kills after timeout)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._log.close()
                raise RuntimeError(f"{self.name} did not stop within {timeout}s on SIGTERM:\n"
                                   + _tail(self.log_path))
        self._log.close()
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        code = self.stop()
        if exc_type is None and code != 0:
            raise RuntimeError(f"{self.name} exited with {code}:\n" + _tail(self.log_path))
        return False

    # -- addresses --

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self):
        """The push URL, as a client's `url:` in sluice's config."""
        return self.base_url + "/loki/api/v1/push"

    # -- what arrived --

    def entries(self):
        """The entries recorded so far, parsed, in arrival order (a line still
        being written is left out). Reads only what was added since the last
        call; returns a new list each time."""
        try:
            with open(self.entries_path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return []
        complete = data[:data.rfind(b"\n") + 1]
        self._offset += len(complete)
        self._entries += [json.loads(line) for line in complete.split(b"\n") if line]
        return list(self._entries)

    def stats(self):
        """GET /stats: {"pushes", "entries", "bytes", "line_bytes", "streams",
        "closed", "statuses": {"204": n, ...}, "user_agents": {...}}."""
        return json.loads(_get(self.base_url + "/stats")[1])

    def set_script(self, spec):
        """Replaces the script of answers (POST /control); '' means 204 from now on."""
        status, _, body = post(self.base_url + "/control", spec)
        if status != 204:
            raise RuntimeError(f"{self.name} refused script {spec!r}: {status} {body}")

    def log(self):
        """The receiver's stderr so far (one line per push)."""
        return _tail(self.log_path, lines=10 ** 9)

    def wait_entries(self, n, timeout=10.0):
        """Waits until at least n entries arrived; returns entries() (in
        count-only mode, the /stats counters)."""
        # The receiver counts a push's entries and flushes them to the file
        # under one lock, so once /stats shows n the file holds them.
        def detail():
            got = "" if self.count_only else f"last entries: {self.entries()[-3:]}\n"
            return f"stats: {self.stats()}\n{got}log:\n{_tail(self.log_path)}"
        stats = wait_until(lambda: (lambda s: s if s["entries"] >= n else None)(self.stats()),
                           timeout, f"{n} entries at {self.name}", detail)
        return stats if self.count_only else self.entries()

    def wait_pushes(self, n, timeout=10.0):
        """Waits until at least n pushes were answered (any status); returns stats()."""
        return wait_until(lambda: (lambda s: s if s["pushes"] >= n else None)(self.stats()),
                          timeout, f"{n} pushes at {self.name}",
                          lambda: f"stats: {self.stats()}\nlog:\n{_tail(self.log_path)}")


def push_file(build_dir, url, path, tenant=None, json_body=False, user_agent=None, timeout=30.0):
    """Pushes the JSON-lines file `path` with sluice-push-client. Returns
    (status or None if no answer came, body text, exit code)."""
    argv = [os.path.join(build_dir, "tests", "receiver", "sluice-push-client"), url, path]
    if tenant is not None:
        argv += ["--tenant", tenant]
    if json_body:
        argv.append("--json")
    if user_agent is not None:
        argv += ["--user-agent", user_agent]
    done = subprocess.run(argv, capture_output=True, timeout=timeout)
    out = done.stdout.decode("utf-8", "replace")
    first, _, rest = out.partition("\n")
    status = int(first) if first.strip().isdigit() else None
    return status, rest if status is not None else done.stderr.decode("utf-8", "replace"), \
        done.returncode


def write_entries(path, entries):
    """Writes entries (dicts shaped like the receiver's output) as JSON lines."""
    with open(path, "w", encoding="utf-8") as f:
        for e in entries:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")


# ---- what Docker and pino write ----

def _to_ns(ts):
    """ns since the epoch from None (now), int ns, float seconds or a datetime."""
    if ts is None:
        return time.time_ns()
    if isinstance(ts, datetime.datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=datetime.timezone.utc)
        delta = ts - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return (delta.days * 86400 + delta.seconds) * 10 ** 9 + delta.microseconds * 1000
    if isinstance(ts, float):
        return int(round(ts * 1e9))
    return int(ts)


def rfc3339nano(ts=None, fixed=False):
    """The time as Go's time.RFC3339Nano in UTC, which Docker's json-file
    driver writes: trailing zeros of the fraction dropped (no fraction at all
    on a whole second). fixed=True keeps all nine digits. ts: None (now),
    int ns, float seconds or datetime."""
    ns = _to_ns(ts)
    secs, frac = divmod(ns, 10 ** 9)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    digits = f"{frac:09d}"
    if not fixed:
        digits = digits.rstrip("0")
    return base + ("." + digits if digits else "") + "Z"


def docker_line(obj_or_text, stream="stdout", ts=None, newline=True):
    """One line of a json-file log, ending in "\\n": {"log": text + "\\n",
    "stream": ..., "time": RFC3339Nano}. A dict or list is written as compact
    JSON first (as pino would). newline=False leaves the log text without
    its "\\n", as Docker writes every piece but the last of a long message."""
    if isinstance(obj_or_text, (dict, list)):
        text = json.dumps(obj_or_text, separators=(",", ":"), ensure_ascii=False)
    else:
        text = obj_or_text
    record = {"log": text + ("\n" if newline else ""), "stream": stream, "time": rfc3339nano(ts)}
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"


def docker_split(text, piece=16384):
    """The `log` values Docker writes for message `text` (without its
    newline): pieces of `piece` bytes of UTF-8, every one but the last
    without a newline, the last ending in "\\n". A cut is moved back to a
    character boundary (Docker cuts bytes anywhere, which the tests avoid).
    A message of exactly k pieces gets a last piece of just "\\n"."""
    data = text.encode("utf-8")
    pieces = []
    while len(data) >= piece:
        cut = piece
        while 0 < cut < len(data) and (data[cut] & 0xC0) == 0x80:
            cut -= 1
        pieces.append(data[:cut].decode("utf-8"))
        data = data[cut:]
    pieces.append(data.decode("utf-8") + "\n")
    return pieces


def docker_lines(obj_or_text, stream="stdout", ts=None, piece=16384):
    """The json-file lines for one message, split as Docker does (all pieces
    carry the same time)."""
    if isinstance(obj_or_text, (dict, list)):
        text = json.dumps(obj_or_text, separators=(",", ":"), ensure_ascii=False)
    else:
        text = obj_or_text
    stamp = rfc3339nano(ts)
    out = []
    for p in docker_split(text, piece):
        record = {"log": p, "stream": stream, "time": stamp}
        out.append(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
    return "".join(out)


PINO_LEVELS = {"trace": 10, "debug": 20, "info": 30, "warn": 40, "error": 50, "fatal": 60}


def pino_record(level, msg, time_ms, trace_id=None, pid=1, hostname="app-1", **fields):
    """A pino log record (a dict in pino's key order: level, time, pid,
    hostname, extra fields, msg). level: a pino number or name."""
    record = {"level": PINO_LEVELS.get(level, level), "time": time_ms, "pid": pid,
              "hostname": hostname}
    if trace_id is not None:
        record["trace_id"] = trace_id
    record.update(fields)
    record["msg"] = msg
    return record


# ---- sluice ----

def free_port():
    """A TCP port free on 127.0.0.1 right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def _yaml_scalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return repr(v)
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(str(v), ensure_ascii=False)


def _yaml_key(k):
    k = str(k)
    if _PLAIN_KEY.match(k) and k not in ("true", "false", "null", "yes", "no", "on", "off"):
        return k
    return json.dumps(k, ensure_ascii=False)


def to_yaml(value, indent=0):
    """Block-style YAML for dicts, lists and scalars (strings double-quoted)."""
    pad = " " * indent
    lines = []
    if isinstance(value, dict):
        if not value:
            return pad + "{}\n"
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{_yaml_key(k)}:\n{to_yaml(v, indent + 2)}")
            elif isinstance(v, (dict, list)):
                lines.append(f"{pad}{_yaml_key(k)}: {'{}' if isinstance(v, dict) else '[]'}\n")
            elif isinstance(v, RawYaml):
                lines.append(f"{pad}{_yaml_key(k)}:\n{v.indented(indent + 2)}")
            else:
                lines.append(f"{pad}{_yaml_key(k)}: {_yaml_scalar(v)}\n")
        return "".join(lines)
    if isinstance(value, list):
        if not value:
            return pad + "[]\n"
        for item in value:
            if isinstance(item, (dict, list)) and item:
                body = to_yaml(item, indent + 2)
                lines.append(pad + "- " + body[indent + 2:])
            else:
                lines.append(pad + "- " + to_yaml(item, 0).strip() + "\n")
        return "".join(lines)
    if isinstance(value, RawYaml):
        return value.indented(indent)
    return pad + _yaml_scalar(value) + "\n"


class RawYaml:
    """YAML text inserted as written (re-indented), e.g. a pipelines/*.yaml list."""

    def __init__(self, text):
        self.text = text

    def indented(self, indent):
        lines = self.text.splitlines()
        body = [l for l in lines if l.strip()]
        common = min((len(l) - len(l.lstrip(" ")) for l in body), default=0)
        return "".join(" " * indent + l[common:] + "\n" if l.strip() else "\n" for l in lines)


def _merge(base, extra):
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v
    return base


def write_config(path, receiver_url, positions_path, globs_with_labels,
                 pipeline_stages_yaml=None, pipeline=None, extra_client=None, extra=None,
                 http_port=None):
    """Writes a Promtail-shaped sluice config to `path` and returns its text.

    globs_with_labels: [(glob, {"job": ..., ...}), ...] or {glob: labels};
      each becomes one scrape_config (job_name = its "job" label, else jobN)
      with static_configs [{labels: {__path__: glob, **labels}}]. An item
      may also be a dict {"glob", "labels", "job_name", "pipeline_stages"}
      to give that job its own stages (YAML text or a list).
    pipeline_stages_yaml: YAML text of a stage list ("- docker: {}" lines),
      used for every job; pipeline: the same as a Python list.
    extra_client / extra: merged into the client entry / the top level
      (dicts merge deeply).
    http_port: server.http_listen_port; None picks a free port now, so that
      Sluice.metrics() knows where to look (0 lets sluice pick, unknown here).
    """
    if http_port is None:
        http_port = free_port()
    items = globs_with_labels.items() if isinstance(globs_with_labels, dict) else globs_with_labels
    scrape_configs = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            glob, labels = item["glob"], dict(item.get("labels", {}))
            job_name = item.get("job_name")
            stages = item.get("pipeline_stages")
        else:
            glob, labels = item[0], dict(item[1])
            job_name, stages = None, None
        if stages is None:
            stages = pipeline_stages_yaml if pipeline_stages_yaml is not None else pipeline
        sc = {"job_name": job_name or labels.get("job", f"job{i}"),
              "static_configs": [{"labels": {"__path__": glob, **labels}}]}
        if isinstance(stages, str):
            sc["pipeline_stages"] = RawYaml(stages)
        elif stages:
            sc["pipeline_stages"] = stages
        scrape_configs.append(sc)
    client = _merge({"url": receiver_url, "batchwait": "200ms", "batchsize": 1048576},
                    dict(extra_client or {}))
    doc = {
        "server": {"http_listen_address": "127.0.0.1", "http_listen_port": http_port},
        "positions": {"filename": positions_path, "sync_period": "1s"},
        "clients": [client],
        "scrape_configs": scrape_configs,
    }
    _merge(doc, dict(extra or {}))
    text = to_yaml(doc)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return text


def _config_port(config_path):
    """server.http_listen_port from a config written by write_config."""
    with open(config_path, encoding="utf-8") as f:
        m = re.search(r"^\s*http_listen_port:\s*(\d+)\s*$", f.read(), re.M)
    return int(m.group(1)) if m else None


def parse_metrics(text):
    """Prometheus text exposition -> {(name, frozenset of (label, value)): float}."""
    out = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = line_re.match(line)
        if not m:
            continue
        labels = frozenset(
            (k, v.encode().decode("unicode_escape")) for k, v in label_re.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


class Sluice:
    """The agent (build_dir/src/sluice -config.file=PATH [args]) as a context manager.

    Its stdout and stderr go to `log_path` (config_path + ".log" unless
    given). Leaving the block stops it with SIGTERM (kill after a bound)."""

    def __init__(self, build_dir, config_path, args=(), log_path=None, env=None):
        self.exe = os.path.join(build_dir, "src", "sluice")
        self.config_path = config_path
        self.argv = [self.exe, "-config.file=" + config_path] + list(args)
        self.log_path = log_path or config_path + ".log"
        self.env = env
        self.proc = None
        self.port = _config_port(config_path)

    def start(self):
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, **(self.env or {}))
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=env)
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        elif self.proc is not None:
            self._log.close()
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Sends `sig` and waits up to `timeout` s; returns the exit code
        (negative: killed by that signal). Kills and raises if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._log.close()
                raise WaitTimeout(f"sluice did not exit within {timeout}s of signal {sig}:\n"
                                  + _tail(self.log_path))
        self._log.close()
        return self.proc.returncode

    def wait_exit(self, timeout=10.0):
        """Waits for the process to exit by itself; returns the exit code."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise WaitTimeout(f"sluice still running after {timeout}s:\n" + _tail(self.log_path))

    def log(self):
        """Everything sluice printed so far."""
        return _tail(self.log_path, lines=10 ** 9)

    @property
    def metrics_url(self):
        if not self.port:
            raise RuntimeError("the config has no fixed server.http_listen_port; "
                               "write it with write_config(http_port=None)")
        return f"http://127.0.0.1:{self.port}/metrics"

    def metrics(self, timeout=5.0):
        """GET /metrics text."""
        return _get(self.metrics_url, timeout=timeout)[1]

    def wait_metrics(self, timeout=10.0):
        """Waits until /metrics answers; returns its text."""
        def up():
            if not self.alive():
                raise RuntimeError(f"sluice exited with {self.proc.returncode}:\n"
                                   + _tail(self.log_path))
            try:
                return self.metrics(timeout=1.0)
            except (OSError, urllib.error.URLError):
                return None
        return wait_until(up, timeout, "sluice's /metrics", lambda: _tail(self.log_path))

    def metric(self, name, **labels):
        """The value of one sample (labels must match exactly), or None."""
        return parse_metrics(self.metrics()).get((name, frozenset(labels.items())))
