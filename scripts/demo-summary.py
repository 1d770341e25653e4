#!/usr/bin/env python3
"""Prints what the demo shipped: waits (bounded) until sluice reports every
expected entry as sent, then summarises from the receiver's record (or from
sluice's own metrics when pushing to a real Loki).

Usage: demo-summary.py DEMO_DIR SLUICE_HTTP_PORT STATS_JSON
"""
import collections
import json
import os
import re
import sys
import time
import urllib.request


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port, timeout=2) as r:
        return r.read().decode()


def total(text, name):
    pattern = re.compile(r"^%s(\{[^}]*\})? (\S+)$" % re.escape(name), re.M)
    return sum(float(m.group(2)) for m in pattern.finditer(text))


def main():
    demo, port, stats = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    expected = stats["expected"]
    deadline = time.monotonic() + 30
    text = ""
    while time.monotonic() < deadline:
        try:
            text = metrics(port)
            if total(text, "sluice_sent_entries_total") >= expected:
                break
        except OSError:
            pass
        time.sleep(0.2)

    sent = total(text, "sluice_sent_entries_total")
    print()
    print("==> written: %d log lines (%d at info or above, or without a level)"
          % (stats["written"], expected))
    print("==> sluice: %d lines read, %d entries sent, %d dropped by the pipeline"
          % (total(text, "sluice_read_lines_total"), sent,
             total(text, "sluice_dropped_entries_total")))
    received = os.path.join(demo, "received.jsonl")
    if os.path.exists(received):
        with open(received) as f:
            entries = [json.loads(l) for l in f if l.strip()]
        levels = collections.Counter(e["labels"].get("level", "(no level)") for e in entries)
        print("==> the receiver holds %d entries, by level:" % len(entries))
        for level, n in sorted(levels.items()):
            print("      %-12s %6d" % (level, n))
        streams = collections.Counter(
            "{container=\"%s\", compose_service=\"%s\"}" % (
                e["labels"].get("container", ""), e["labels"].get("compose_service", ""))
            for e in entries)
        print("==> by container (labels from each container's config.v2.json):")
        for name, n in sorted(streams.items()):
            print("      %-50s %6d" % (name, n))
        print("==> a few of them (labels, structured metadata, line):")
        shown = [e for e in entries if e.get("metadata")][:3] + \
                [e for e in entries if not e["labels"].get("level")][:1]
        for e in shown:
            print("    " + e["stream"])
            if e.get("metadata"):
                print("      trace_id=%s span_id=%s" % (e["metadata"].get("trace_id"),
                                                       e["metadata"].get("span_id")))
            line = e["line"]
            print("      " + (line if len(line) < 160 else line[:157] + "..."))
    print("==> metrics: http://127.0.0.1:%s/metrics (status page: http://127.0.0.1:%s/)"
          % (port, port))
    if sent < expected:
        print("!!  only %d of %d expected entries were sent within 30 s" % (sent, expected))
        sys.exit(1)


if __name__ == "__main__":
    main()
