#!/usr/bin/env python3
"""seeds.py - candidate seeds for the fuzz targets, taken from the tests' own
inputs: the string literals of the unit tests (each test's tables of lines,
times, levels, dates, YAML), the golden input, the shipped configs and
pipelines.

    tests/fuzz/seeds.py OUT_DIR

writes OUT_DIR/<target>/<n> for every target. scripts/fuzz.sh seeds merges
them into tests/fuzz/corpus/<target>/, keeping only those that add coverage.
"""
import os
import re
import struct
import sys

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
UNIT = os.path.join(ROOT, 'tests', 'unit')

LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
# Literals separated by blanks only are one string in C ("a" "b").
ADJACENT = re.compile(r'"(?:[^"\\\n]|\\.)*"(?:\s*"(?:[^"\\\n]|\\.)*")*')
ESCAPES = {'n': b'\n', 't': b'\t', 'r': b'\r', '0': b'\0', '\\': b'\\', '"': b'"', "'": b"'",
           'a': b'\a', 'b': b'\b', 'f': b'\f', 'v': b'\v', '?': b'?'}


def c_string(body):
    """Decodes the body of one C string literal (without quotes) to bytes."""
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != '\\':
            out += c.encode('utf-8')
            i += 1
            continue
        e = body[i + 1]
        if e == 'x':
            j = i + 2
            while j < len(body) and body[j] in '0123456789abcdefABCDEF':
                j += 1
            out.append(int(body[i + 2:j], 16) & 0xff)
            i = j
        elif e in '01234567':
            j = i + 1
            while j < len(body) and j < i + 4 and body[j] in '01234567':
                j += 1
            out.append(int(body[i + 1:j], 8) & 0xff)
            i = j
        else:
            out += ESCAPES.get(e, e.encode())
            i += 2
    return bytes(out)


def literals(path):
    """Every string of a C file, adjacent literals joined; #include lines left out."""
    text = open(path, encoding='utf-8').read()
    text = '\n'.join(line for line in text.splitlines() if not line.lstrip().startswith('#'))
    found = []
    for m in ADJACENT.finditer(text):
        found.append(b''.join(c_string(b) for b in LITERAL.findall(m.group(0))))
    return [s for s in found if s]


def unit(*parts):
    return os.path.join(UNIT, *parts)


def read(*parts):
    with open(os.path.join(ROOT, *parts), 'rb') as f:
        return f.read()


def golden_lines():
    return [l for l in read('tests', 'golden', 'pino', 'input.log').split(b'\n') if l]


def pipeline_stages(name):
    doc = yaml.safe_load(read('pipelines', name))
    return yaml.safe_dump(doc['pipeline_stages']).encode()


def stage_yamls(path):
    """The pipeline_stages texts a stage test builds (they start with "- ")."""
    return [s for s in literals(path) if s.startswith(b'- ') and b':' in s]


def push_seed(ops):
    """A push script: options, then operations (see fuzz-push.c)."""
    out = bytearray()
    out += (4096).to_bytes(3, 'little') + (300).to_bytes(2, 'little') + b'\x01' + (2000).to_bytes(2, 'little')
    out += b'\x01' + b'cluster\0eu\0'
    for op in ops:
        out += op
    return bytes(out)


def add(labels, meta, line, ts):
    b = bytearray(b'\x00' + bytes([len(labels), len(meta)]))
    for n, v in labels + meta:
        b += n + b'\0' + v + b'\0'
    b += line + b'\0' + struct.pack('<q', ts)
    return bytes(b)


def pb_varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb(field, value):
    """One protobuf field: an int is a varint, bytes length-delimited, a
    ('fixed64', n) pair eight bytes."""
    if isinstance(value, tuple):
        return pb_varint(field << 3 | 1) + struct.pack('<Q', value[1])
    if isinstance(value, int):
        return pb_varint(field << 3) + pb_varint(value & (2 ** 64 - 1))
    return pb_varint(field << 3 | 2) + pb_varint(len(value)) + value


def loki_push_request():
    """A Loki PushRequest (before snappy): two streams, a timestamp, metadata."""
    def entry(sec, nanos, line, md=()):
        e = pb(1, pb(1, sec) + pb(2, nanos)) + pb(2, line)
        for n, v in md:
            e += pb(3, pb(1, n) + pb(2, v))
        return e
    s1 = pb(1, b'{app="api", env="prod"}') + pb(2, entry(1700000000, 1, b'first', [(b'trace_id', b't1')])) + \
        pb(2, entry(1700000001, 2, b'second'))
    s2 = pb(1, b'{app="web"}') + pb(2, entry(1700000002, 0, b'{"level":"info"}'))
    return pb(1, s1) + pb(1, s2)


def otlp_any(v):
    if isinstance(v, bool):
        return pb(2, int(v))
    if isinstance(v, int):
        return pb(3, v)
    if isinstance(v, float):
        return pb_varint(4 << 3 | 1) + struct.pack('<d', v)
    if isinstance(v, dict):
        return pb(6, b''.join(pb(1, otlp_kv(k, x)) for k, x in v.items()))
    if isinstance(v, list):
        return pb(5, b''.join(pb(1, otlp_any(x)) for x in v))
    return pb(1, v if isinstance(v, bytes) else v.encode())


def otlp_kv(k, v):
    return pb(1, k.encode()) + pb(2, otlp_any(v))


def otlp_request():
    """An ExportLogsServiceRequest: index and other resource attributes, a
    scope, records with every field and bodies of each kind."""
    res = b''.join(pb(1, otlp_kv(k, v)) for k, v in
                   [('service.name', 'checkout'), ('k8s.pod.name', 'checkout-1'), ('host.name', 'n1'),
                    ('deploy', {'env': 'prod', 'zone': {'id': 3}})])
    scope = pb(1, b'app.logger') + pb(2, b'1.0') + pb(3, otlp_kv('scope.attr', True))
    recs = b''
    for body, sev in [('boom', 17), ({'b': 1.5, 'a': [1, 'x', None or 'y']}, 9), (b'\x00\xff', 0), (3, 25)]:
        lr = pb(1, ('fixed64', 1700000000000000001)) + pb(2, sev) + pb(3, b'ERROR') + \
            pb(5, otlp_any(body)) + pb(6, otlp_kv('http.status', 503)) + pb(7, 2) + \
            pb_varint(8 << 3 | 5) + struct.pack('<I', 1) + pb(9, bytes(range(1, 17))) + \
            pb(10, bytes(range(1, 9))) + pb(11, ('fixed64', 1700000000000000002))
        recs += pb(2, lr)
    rl = pb(1, res) + pb(2, pb(1, scope) + recs)
    rl2 = pb(2, pb(2, pb(5, otlp_any('no resource'))))
    return pb(1, rl) + pb(1, rl2)


def targets():
    t = {}
    stage_tests = [unit('stages', f) for f in sorted(os.listdir(unit('stages')))
                   if f.startswith('test-stage-') and f.endswith('.c')]

    docker = literals(unit('stages', 'test-stage-docker.c'))
    t['pipeline'] = [read('tests', 'golden', 'pino', 'input.log')] + golden_lines() + \
        [s for s in docker if s.startswith(b'{')]
    t['docker'] = golden_lines() + docker + [b'\n'.join(golden_lines()[:4])]

    t['stages'] = []
    for path in stage_tests:
        lines = [s for s in literals(path) if not s.startswith(b'- ')][:40]
        for y in stage_yamls(path):
            t['stages'].append(y + b'\n#--\n' + b'\n'.join(lines))
    for name in sorted(os.listdir(os.path.join(ROOT, 'pipelines'))):
        t['stages'].append(pipeline_stages(name) + b'\n#--\n' + b'\n'.join(golden_lines()))

    scan = literals(unit('stages', 'test-json-scan.c')) + literals(unit('stages', 'test-stage-json.c'))
    t['json-diff'] = scan
    t['json-scan'] = [b'level;msg;req.method;a.b;a\n' + s for s in scan]

    t['time'] = literals(unit('stages', 'test-time-parse.c')) + \
        literals(unit('stages', 'test-stage-timestamp.c'))
    t['level'] = literals(unit('pipeline', 'test-level.c')) + literals(unit('stages', 'test-stage-level.c'))
    t['retry-after'] = literals(unit('ship', 'test-retry-after.c'))

    label_lits = literals(unit('core', 'test-labels.c'))
    t['labels'] = label_lits + [b'\n'.join(b'%s=%s' % (n, v) for n, v in
                                           zip(label_lits[::2], label_lits[1::2]))]

    refusal = literals(unit('ship', 'test-loki-refusal.c'))
    streams = b'\n'.join([b'{job="api", route="/ok"}', b'{job="x"}', b'{job="test1"}', b'{job="test2"}'])
    t['loki-refusal'] = [streams + b'\n#--\n' + m for m in refusal if b"'" in m] + \
        [streams + b'\n#--\n' + b'; '.join(m for m in refusal if b"'" in m)]

    confs = [read('conf', f) for f in sorted(os.listdir(os.path.join(ROOT, 'conf'))) if f.endswith('.yaml')]
    config_lits = [s for s in literals(unit('config', 'test-config.c'))
                   if b'clients' in s or b'scrape_configs' in s or b'server' in s]
    with_pipe = (b'clients:\n  - url: http://loki:3100/loki/api/v1/push\n'
                 b'scrape_configs:\n  - job_name: api\n    pipeline: p\n'
                 b'    static_configs:\n      - labels:\n          __path__: /var/log/*.log\n')
    t['config'] = confs + config_lits + [with_pipe + b'\n#--\n' + read('pipelines', f)
                                         for f in sorted(os.listdir(os.path.join(ROOT, 'pipelines')))]

    requests = []
    for m in re.finditer(r'\{ "([A-Z]+)", "([^"]*)"', open(unit('metrics', 'test-http-server.c')).read()):
        requests.append(b'%s %s HTTP/1.1\r\nHost: x\r\n\r\n' % (m.group(1).encode(), m.group(2).encode()))
    requests.append(b'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /ready HTTP/1.1\r\nHost: x\r\n\r\n')
    requests.append(b'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello')
    requests.append(b'GET / HTTP/1.0\r\n\r\n')
    t['http'] = requests

    # relabel: each rule list of the relabel tests with the labels written
    # before it (the case's input), and the shipped rules with labels of a
    # container and a pod.
    t['relabel'] = []
    before = []
    for lit in literals(unit('discovery', 'test-relabel.c')):
        if lit.startswith(b'- ') and b':' in lit:
            pairs = before[-12:]
            labels = b'\n'.join(n + b'=' + v for n, v in zip(pairs[::2], pairs[1::2]))
            t['relabel'].append(lit + b'\n#--\n' + labels)
            before = []
        elif b'\n' not in lit and len(lit) < 80:
            before.append(lit)
    meta = (b'__meta_docker_container_name=/w40k-api\n'
            b'__meta_docker_container_label_com_docker_compose_service=api\n'
            b'__meta_kubernetes_namespace=w40k\n__meta_kubernetes_pod_name=api-5d8f9c7b6d-x2x9k\n'
            b'__meta_kubernetes_pod_uid=0b1c\n__meta_kubernetes_pod_container_name=api\n'
            b'__meta_kubernetes_pod_controller_name=api-5d8f9c7b6d\n'
            b'__meta_kubernetes_pod_label_app=api\n__address__=10.1.0.7:80\n')
    daemonset = [d for d in yaml.safe_load_all(read('packaging', 'kubernetes', 'daemonset.yaml'))
                 if d and d.get('kind') == 'ConfigMap'][0]
    for sc in yaml.safe_load(daemonset['data']['sluice.yaml'])['scrape_configs']:
        t['relabel'].append(yaml.safe_dump(sc['relabel_configs']).encode() + b'\n#--\n' + meta)
    t['relabel'].append(yaml.safe_dump(yaml.safe_load(read('pipelines', 'pino.yaml'))['relabel_configs'])
                        .encode() + b'\n#--\n' + meta)

    # kube-watch: the JSON objects of the pod and watch tests, as one body
    # (whole, then in pieces).
    events = [s for s in literals(unit('discovery', 'test-kube-watch.c')) +
              literals(unit('discovery', 'test-pod-meta.c')) if s.startswith(b'{')]
    t['kube-watch'] = [b'\x00' + b'\n'.join(events) + b'\n', b'\x2a' + b'\n'.join(events) + b'\n'] + \
        [b'\x07' + e + b'\n' for e in events]

    # docker-api: Prometheus' container and network lists, and the
    # inspections of the docker-meta tests.
    lists = read('tests', 'unit', 'discovery', 'data', 'dockerprom', 'containers.json')
    nets = read('tests', 'unit', 'discovery', 'data', 'dockerprom', 'networks.json')
    inspections = [s for s in literals(unit('discovery', 'test-docker-meta.c')) if s.startswith(b'{')]
    t['docker-api'] = [lists + b'\n#--\n' + nets] + \
        [lists + b'\n#--\n' + nets + b'\n#--\n' + i + b'\n#--\n{"NetworkMode":"host",'
         b'"LogConfig":{"Type":"json-file"}}' for i in inspections] + \
        [b'[]\n#--\n[]\n#--\n' + i for i in inspections]

    lines = golden_lines()
    t['push'] = [
        push_seed([add([(b'job', b'api'), (b'level', b'info')], [(b'trace_id', b'4bf9')], lines[0], 1000),
                   add([(b'job', b'api')], [], b'second', 999), b'\x02\x01', b'\x04']),
        push_seed([add([(b'job', b'a\n"b')], [], l, i) for i, l in enumerate(lines[:6])] + [b'\x03\xff']),
        push_seed([add([], [], b'no labels', 5), add([(b'__path__', b'/x')], [], b'internal only', 6),
                   add([(b'job', b'x')], [], b'y' * 400, 0), b'\x04']),
    ]
    push_lits = literals(unit('receive', 'test-push-request.c'))
    loki_json = [l for l in push_lits if b'"streams"' in l]
    label_texts = [l for l in push_lits if l.startswith(b'{') and b'"streams"' not in l] + \
        [l for l in push_lits if l.startswith(b' {') or l.startswith(b'up{')]
    t['push-request'] = [b'\x02' + j for j in loki_json] + [b'\x03' + j for j in loki_json[:8]] + \
        [b'\x0a' + j for j in loki_json[:8]] + \
        [b'\x01' + loki_push_request(), b'\x09' + loki_push_request(), b'\x00' + loki_push_request()] + \
        [b'\x04application/json; charset=utf-8\n\n' + loki_json[0],
         b'\x04application/x-protobuf\nsnappy\n' + loki_push_request()] + \
        [b'\x05one\r\n\ntwo\n\r\n{"json": 1}\r\r\nlast', b'\x06a\nb\n', b'\x0d1\n2\n3\n4'] + \
        [b'\x07' + l for l in label_texts]

    otlp_lits = literals(unit('receive', 'test-otlp.c'))
    otlp_json = [l for l in otlp_lits if b'resourceLogs' in l]
    t['otlp'] = [b'\x01' + j for j in otlp_json] + [b'\x03' + j for j in otlp_json[:6]] + \
        [b'\x00' + otlp_request(), b'\x02' + otlp_request(), b'\x04' + otlp_request(), b'\x00']
    return t


def main():
    out = sys.argv[1]
    for name, seeds in targets().items():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        for i, s in enumerate(dict.fromkeys(seeds)):
            with open(os.path.join(d, '%04d' % i), 'wb') as f:
                f.write(s)


if __name__ == '__main__':
    main()
