#!/usr/bin/env python3
"""A fake Docker Engine API on a unix socket, for sluice's docker_sd tests.

Usage: fake_docker.py --socket PATH --state FILE [--requests FILE]

Serves, as Docker's API reference documents them (versioned paths such as
/v1.41/containers/json too):
  GET /_ping                      OK
  GET /version                    {"ApiVersion": "1.41", ...}
  GET /containers/json            the running containers of the state,
                                  with ?filters={"name":[..],"label":[..],"id":[..]}
  GET /containers/<id>/json       one container's inspection (also by name);
                                  404 {"message": "No such container: <id>"}
  GET /networks                   the networks of the state

The state is a JSON file read again at every request, so a test changes
what Docker says by rewriting it (atomically: write and rename):
  {"containers": [{"Id", "Name" ("/x"), "Image", "ImageID", "Labels": {},
                   "LogPath", "LogDriver" (default "json-file"),
                   "NetworkMode", "Networks": {name: {"NetworkID", "IPAddress"}},
                   "Ports": [{"PrivatePort", "PublicPort", "IP", "Type"}],
                   "Running" (default true)}],
   "networks": [{"Id", "Name", "Scope", "Internal", "Ingress", "Labels": {}}],
   "fail": {"/containers/json": 500, ...}}
Each request is appended to --requests as a line "METHOD PATH", so a test
can count them. Standard library only.
"""
import argparse
import json
import os
import re
import socketserver
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler

API_VERSION = "1.41"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "unix"

    def log_message(self, fmt, *args):
        pass

    def state(self):
        try:
            with open(self.server.state_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def send_json(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Api-Version", API_VERSION)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path = re.sub(r"^/v1\.\d+", "", url.path)
        query = urllib.parse.parse_qs(url.query)
        if self.server.requests_path:
            with open(self.server.requests_path, "a") as f:
                f.write("GET %s\n" % path)
        st = self.state()
        fail = st.get("fail", {}).get(path)
        if fail:
            return self.send_json(fail, {"message": "failing as told"})
        containers = [c for c in st.get("containers", []) if c.get("Running", True)]
        if path == "/_ping":
            body = b"OK"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            return self.wfile.write(body)
        if path == "/version":
            return self.send_json(200, {"ApiVersion": API_VERSION, "Version": "20.10.24-fake"})
        if path == "/containers/json":
            filters = json.loads(query.get("filters", ["{}"])[0] or "{}")
            return self.send_json(200, [list_entry(c) for c in containers
                                        if matches(c, filters)])
        m = re.match(r"^/containers/([^/]+)/json$", path)
        if m:
            key = urllib.parse.unquote(m.group(1))
            for c in st.get("containers", []):
                if c["Id"] == key or c["Id"].startswith(key) or c["Name"] == "/" + key:
                    return self.send_json(200, inspection(c))
            return self.send_json(404, {"message": "No such container: " + key})
        if path == "/networks":
            return self.send_json(200, [network(n) for n in st.get("networks", [])])
        return self.send_json(404, {"message": "page not found"})


def matches(c, filters):
    """Docker's list filters: name (a regular expression on the name), label
    (a key, or key=value), id (a prefix); values of one filter are ORed,
    filters are ANDed."""
    if isinstance(filters, dict):
        filters = {k: (list(v) if isinstance(v, (list, dict)) else [v]) for k, v in filters.items()}
    for key, values in filters.items():
        if key == "name":
            ok = any(re.search(v, c["Name"].lstrip("/")) for v in values)
        elif key == "label":
            labels = c.get("Labels", {})
            ok = any((labels.get(v.split("=", 1)[0]) == v.split("=", 1)[1]) if "=" in v
                     else v in labels for v in values)
        elif key == "id":
            ok = any(c["Id"].startswith(v) for v in values)
        else:
            ok = True
        if not ok:
            return False
    return True


def list_entry(c):
    return {
        "Id": c["Id"], "Names": [c["Name"]], "Image": c.get("Image", "fake:latest"),
        "ImageID": c.get("ImageID", "sha256:" + "1" * 64), "Command": "/app",
        "Created": 1764115200, "Ports": c.get("Ports", []), "Labels": c.get("Labels", {}),
        "State": "running", "Status": "Up 1 second",
        "HostConfig": {"NetworkMode": c.get("NetworkMode", "bridge")},
        "NetworkSettings": {"Networks": networks_of(c)}, "Mounts": [],
    }


def networks_of(c):
    nets = c.get("Networks")
    if nets is None:
        nets = {"bridge": {"NetworkID": "net-bridge", "IPAddress": "172.17.0.2"}}
    return {k: dict({"IPAMConfig": None, "Links": None, "Aliases": None, "EndpointID": "e",
                     "Gateway": "", "IPPrefixLen": 16, "MacAddress": ""}, **v)
            for k, v in nets.items()}


def inspection(c):
    ports = {}
    for p in c.get("Ports", []):
        key = "%d/%s" % (p["PrivatePort"], p.get("Type", "tcp"))
        ports[key] = ([{"HostIp": p.get("IP", ""), "HostPort": str(p["PublicPort"])}]
                      if p.get("PublicPort") else None)
    return {
        "Id": c["Id"], "Created": "2026-01-01T00:00:00Z", "Path": "/app", "Args": [],
        "State": {"Status": "running" if c.get("Running", True) else "exited",
                  "Running": c.get("Running", True), "Pid": 4242},
        "Image": c.get("ImageID", "sha256:" + "1" * 64), "Name": c["Name"],
        "LogPath": c.get("LogPath", ""),
        "HostConfig": {"NetworkMode": c.get("NetworkMode", "bridge"),
                       "LogConfig": {"Type": c.get("LogDriver", "json-file"), "Config": {}}},
        "Config": {"Image": c.get("Image", "fake:latest"), "Labels": c.get("Labels", {}),
                   "Hostname": c["Id"][:12]},
        "NetworkSettings": {"Ports": ports, "Networks": networks_of(c)},
    }


def network(n):
    return {"Name": n["Name"], "Id": n["Id"], "Created": "2026-01-01T00:00:00Z",
            "Scope": n.get("Scope", "local"), "Driver": "bridge", "EnableIPv6": False,
            "Internal": n.get("Internal", False), "Attachable": False,
            "Ingress": n.get("Ingress", False), "Labels": n.get("Labels", {})}


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 256  # as a daemon's backlog: many clients at once

    def handle_error(self, request, client_address):
        # A client that hung up (sluice stopping, a watch cut short) is
        # not an error of the fake's.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--requests")
    args = ap.parse_args()
    try:
        os.unlink(args.socket)
    except FileNotFoundError:
        pass
    srv = Server(args.socket, Handler)
    srv.state_path = args.state
    srv.requests_path = args.requests
    print("ready", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
