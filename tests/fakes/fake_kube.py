#!/usr/bin/env python3
"""A fake Kubernetes API (pods only), for sluice's kubernetes_sd tests.

Usage: fake_kube.py --state FILE [--requests FILE] [--port N]
Prints "ready <port>" once it listens on 127.0.0.1.

Serves, as the Kubernetes API does:
  GET /api/v1/pods and /api/v1/namespaces/<ns>/pods
      ?labelSelector=a=b,c!=d,e &fieldSelector=spec.nodeName=n,metadata.namespace=x
      &limit=N&continue=TOKEN           a PodList with metadata.resourceVersion
      &watch=1&resourceVersion=RV&timeoutSeconds=S
                                        newline-delimited watch events
                                        (ADDED, MODIFIED, DELETED; ERROR with a
                                        Status of code 410 when RV is too old)

The state is a JSON file that the test rewrites (atomically):
  {"rv": 12,                  the current resourceVersion (raise it at each change)
   "pods": [pod, ...],        the pods now (metadata.resourceVersion is set here)
   "token": "t",              if set, requests need "Authorization: Bearer t"
   "compacted": 5,            watches from a resourceVersion below this: 410 Gone
   "gone_as_status": false,   answer that 410 as the HTTP status instead of an event
   "close_watches": 0,        raise it to end every watch in progress
   "list_status": 200}        answer lists with this status
The fake keeps every state it has seen by resourceVersion, so a watch from
RV gets the changes since that state: a pod that stops matching the
selectors (moved to another node) is DELETED, one that starts matching is
ADDED, as the API's watch cache does.
"""
import argparse
import json
import os
import socketserver
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

POLL = 0.02


class Store:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.history = {}   # rv -> {key: pod}
        self.current = {}

    def read(self):
        try:
            with open(self.path) as f:
                st = json.load(f)
        except (OSError, ValueError):
            st = {}
        with self.lock:
            rv = int(st.get("rv", 1))
            pods = {}
            for p in st.get("pods", []):
                p = json.loads(json.dumps(p))
                p.setdefault("metadata", {}).setdefault("resourceVersion", str(rv))
                m = p["metadata"]
                pods[m.get("namespace", "default") + "/" + m["name"]] = p
            self.history.setdefault(rv, pods)
            self.current = st
            return st, rv, pods

    def at(self, rv):
        """The state at resourceVersion rv (the last one seen at or before it)."""
        with self.lock:
            older = [r for r in self.history if r <= rv]
            return self.history[max(older)] if older else None


def parse_selector(s):
    out = []
    for part in filter(None, (s or "").split(",")):
        if "!=" in part:
            k, v = part.split("!=", 1)
            out.append((k.strip(), "!=", v.strip()))
        elif "==" in part or "=" in part:
            k, v = part.replace("==", "=").split("=", 1)
            out.append((k.strip(), "=", v.strip()))
        else:
            out.append((part.strip(), "exists", None))
    return out


def field_of(pod, key):
    node = pod
    for k in key.split("."):
        node = node.get(k, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, str) else ""


def matches(pod, ns, labels, fields):
    m = pod.get("metadata", {})
    if ns and m.get("namespace") != ns:
        return False
    have = m.get("labels", {})
    for k, op, v in labels:
        if op == "exists" and k not in have:
            return False
        if op == "=" and have.get(k) != v:
            return False
        if op == "!=" and have.get(k) == v:
            return False
    for k, op, v in fields:
        got = field_of(pod, k)
        if (op == "=" and got != v) or (op == "!=" and got == v):
            return False
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, doc, close=False):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def status(self, code, reason, message):
        return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
                "reason": reason, "message": message}

    def do_GET(self):
        store = self.server.store
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        if self.server.requests_path:
            with open(self.server.requests_path, "a") as f:
                f.write("GET %s %s\n" % (url.path, "watch" if q.get("watch") else "list"))
        st, rv, pods = store.read()
        token = st.get("token")
        if token and self.headers.get("Authorization") != "Bearer " + token:
            return self.send_json(401, self.status(401, "Unauthorized", "Unauthorized"))
        parts = url.path.strip("/").split("/")
        if parts[:2] != ["api", "v1"] or parts[-1] != "pods":
            return self.send_json(404, self.status(404, "NotFound", "not found"))
        ns = parts[3] if len(parts) == 5 and parts[2] == "namespaces" else None
        labels = parse_selector(q.get("labelSelector"))
        fields = parse_selector(q.get("fieldSelector"))
        if q.get("watch") in ("1", "true"):
            return self.watch(ns, labels, fields, q)
        if st.get("list_status", 200) != 200:
            code = st["list_status"]
            return self.send_json(code, self.status(code, "InternalError", "failing as told"))
        items = [p for k, p in sorted(pods.items()) if matches(p, ns, labels, fields)]
        start = int(q.get("continue") or 0)
        limit = int(q.get("limit") or 0) or len(items)
        page = items[start:start + limit]
        cont = str(start + limit) if start + limit < len(items) else ""
        self.send_json(200, {"kind": "PodList", "apiVersion": "v1",
                             "metadata": {"resourceVersion": str(rv), "continue": cont},
                             "items": page})

    def watch(self, ns, labels, fields, q):
        store = self.server.store
        st, rv, _ = store.read()
        since = int(q.get("resourceVersion") or rv)
        base = store.at(since)
        if since < int(st.get("compacted", 0)) or base is None:
            gone = self.status(410, "Expired", "too old resource version: %d" % since)
            if st.get("gone_as_status"):
                return self.send_json(410, gone, close=True)
            base = None
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        if base is None:
            self.event("ERROR", gone)
            return
        seen = {k: p for k, p in base.items() if matches(p, ns, labels, fields)}
        close_mark = st.get("close_watches", 0)
        deadline = time.monotonic() + int(q.get("timeoutSeconds") or 300)
        at = since
        try:
            while time.monotonic() < deadline:
                st, rv, pods = store.read()
                if st.get("close_watches", 0) != close_mark:
                    return
                if rv > at:
                    now = {k: p for k, p in pods.items() if matches(p, ns, labels, fields)}
                    for k in sorted(set(seen) | set(now)):
                        if k not in now:
                            gone_pod = json.loads(json.dumps(seen[k]))
                            gone_pod["metadata"]["resourceVersion"] = str(rv)
                            self.event("DELETED", gone_pod)
                        elif k not in seen:
                            self.event("ADDED", now[k])
                        elif json.dumps(now[k], sort_keys=True) != json.dumps(seen[k], sort_keys=True):
                            self.event("MODIFIED", now[k])
                    seen, at = now, rv
                time.sleep(POLL)
        except (BrokenPipeError, ConnectionResetError):
            return

    def event(self, kind, obj):
        self.wfile.write((json.dumps({"type": kind, "object": obj}) + "\n").encode())
        self.wfile.flush()


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that hung up (sluice stopping, a watch cut short) is
        # not an error of the fake's.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--requests")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.store = Store(args.state)
    srv.requests_path = args.requests
    print("ready %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
