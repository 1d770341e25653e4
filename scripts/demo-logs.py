#!/usr/bin/env python3
"""Writes sample logs of the "W40K Scoring" API the way Docker's json-file
driver stores them, for the demo: pino JSON records (with debug lines that
the pipeline drops, trace ids, a message long enough for Docker to split at
16 KiB) and a few plain-text lines.

Usage: demo-logs.py CONTAINERS_DIR SECONDS [LINES_PER_SECOND]
Prints one JSON line when done: how many lines were written and how many
should reach Loki (info and above, plus lines without a level).
"""
import json
import os
import random
import sys
import time

LEVELS = [(10, 5), (20, 30), (30, 45), (40, 10), (50, 8), (60, 2)]
ROUTES = ["/api/v1/armies", "/api/v1/armies/42/score", "/api/v1/matches", "/api/v1/players/7"]
MESSAGES = ["request completed", "score computed", "cache miss, loading army list",
            "validating detachment rules", "mission objective scored"]


def docker_lines(text, stream, ts_ns):
    """The json-file records for one message: Docker splits at 16 KiB."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts_ns // 10**9))
    stamp += ".%09dZ" % (ts_ns % 10**9)
    data = text + "\n"
    pieces = [data[i:i + 16384] for i in range(0, len(data), 16384)]
    return "".join(json.dumps({"log": p, "stream": stream, "time": stamp},
                              ensure_ascii=False, separators=(",", ":")) + "\n" for p in pieces)


def main():
    root, seconds = sys.argv[1], float(sys.argv[2])
    rate = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    rng = random.Random(40000)
    files = []
    for name in ("w40k-api", "w40k-worker"):
        cid = "%064x" % rng.getrandbits(256)
        os.makedirs(os.path.join(root, cid), exist_ok=True)
        with open(os.path.join(root, cid, "config.v2.json"), "w") as f:
            # What Docker keeps beside the log: sluice reads the container's
            # name and Compose service from it (pipelines/pino.yaml).
            json.dump({"ID": cid, "Name": "/" + name,
                       "Config": {"Image": "w40k/" + name[5:] + ":demo",
                                  "Labels": {"com.docker.compose.project": "w40k",
                                             "com.docker.compose.service": name[5:]}}}, f)
        files.append((name, open(os.path.join(root, cid, cid + "-json.log"), "a")))

    written = expected = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for _ in range(max(1, rate // 10)):
            name, f = rng.choice(files)
            now_ns = time.time_ns()
            roll = rng.random()
            if roll < 0.02:
                f.write(docker_lines("Error: army list not found\n    at ScoreController.show"
                                     " (/app/app/Controllers/Http/ScoreController.js:41:13)",
                                     "stderr", now_ns))
                expected += 1
            else:
                level = rng.choices([l for l, _ in LEVELS], [w for _, w in LEVELS])[0]
                record = {"level": level, "time": now_ns // 10**6, "pid": 1, "hostname": name,
                          "req": {"method": rng.choice(["GET", "POST"]), "url": rng.choice(ROUTES)},
                          "trace_id": "%032x" % rng.getrandbits(128),
                          "span_id": "%016x" % rng.getrandbits(64),
                          "msg": rng.choice(MESSAGES)}
                if roll > 0.995:
                    record["msg"] = "army list export"
                    record["payload"] = "x" * 40000  # Docker splits this line in three
                f.write(docker_lines(json.dumps(record, separators=(",", ":")), "stdout", now_ns))
                expected += level >= 30
            written += 1
        for _, f in files:
            f.flush()
        time.sleep(0.1)
    for _, f in files:
        f.close()
    print(json.dumps({"written": written, "expected": expected}))


if __name__ == "__main__":
    main()
