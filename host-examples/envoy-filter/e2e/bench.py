"""Load benchmark: parallel SMTP transactions through one Envoy, on listeners with the same
tcp_proxy to the same MTA, without the filter and with it (inbound, outbound), in turn in one run.

Reports the throughput ratio (filter / no filter), Envoy's CPU time per transaction on each
listener, and the .wasm size (raw and gzipped). Prints a Markdown section for BENCHMARKS.md.

Usage: TLS_COMPLIANCE_FILTER_WASM=… python3 bench.py [--seconds 10] [--rounds 3]
                                                      [--connections 32] [--processes 2]
"""

import argparse
import asyncio
import gzip
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from harness import Envoy, cluster, free_port, listener, tcp_proxy, temp_dir, wait_for, wasm_filter, wasm_path, _accepts

POLICY = {
    "version": 1,
    "addressLists": [{"name": "Partners", "entries": ["partner.example", "*.gov.example"]}],
    "orgUnits": [{"path": "/", "settings": [
        {"name": "TLS with partners", "messages": ["inbound", "outbound"], "addressLists": ["Partners"]}]}],
}

BODY = ("From: Friend <friend@elsewhere.example>\r\nTo: alice@corp.example\r\nSubject: load\r\n"
        "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <load@test.example>\r\n\r\n"
        + "".join(f"line {i:04d} of a message of about two kilobytes, for the load test\r\n" for i in range(30))
        ).encode()

MTA = """
import asyncio, sys
from aiosmtpd.controller import Controller
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok"
c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]), ready_timeout=10)
c.start()
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.read()
c.stop()
"""


async def transaction(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def reply() -> bytes:
        while True:
            line = await reader.readline()
            if not line:
                raise ConnectionError("closed")
            if line[3:4] != b"-":
                return line

    try:
        await reply()
        for cmd in (b"EHLO load.example\r\n", b"MAIL FROM:<friend@elsewhere.example>\r\n",
                    b"RCPT TO:<alice@corp.example>\r\n", b"DATA\r\n"):
            writer.write(cmd)
            await reply()
        writer.write(BODY + b".\r\n")
        r = await reply()
        if not r.startswith(b"250"):
            raise RuntimeError(f"message refused: {r!r}")
        writer.write(b"QUIT\r\n")
        await reply()
    finally:
        writer.close()


async def load(port: int, connections: int, seconds: float) -> int:
    done = 0
    deadline = time.monotonic() + seconds

    async def worker():
        nonlocal done
        while time.monotonic() < deadline:
            await transaction(port)
            done += 1

    await asyncio.gather(*(worker() for _ in range(connections)))
    return done


def load_process(args):
    port, connections, seconds = args
    return asyncio.run(load(port, connections, seconds))


def run_phase(envoy: Envoy, port: int, processes: int, connections: int, seconds: float):
    cpu0, t0 = envoy.cpu_seconds(), time.monotonic()
    with multiprocessing.Pool(processes) as pool:
        counts = pool.map(load_process, [(port, connections // processes, seconds)] * processes)
    elapsed, cpu = time.monotonic() - t0, envoy.cpu_seconds() - cpu0
    n = sum(counts)
    return n / elapsed, cpu / n * 1e6  # transactions per second, Envoy CPU µs per transaction


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--envoy-log-level", default="info")
    args = ap.parse_args()

    wasm = wasm_path()
    raw = wasm.read_bytes()
    work = temp_dir("tls-compliance-bench-")
    mta_port = free_port()
    mta = subprocess.Popen([sys.executable, "-c", MTA, str(mta_port)], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
    envoy = None
    names = ["without the filter", "filter, inbound", "filter, outbound"]
    try:
        assert mta.stdout.readline().strip() == "ready"
        wait_for(lambda: _accepts(mta_port), 10, "the MTA")
        ports = [free_port() for _ in names]
        filters = [
            [],
            [wasm_filter({"mode": "inbound", "tlsFacts": "passthrough", "policy": POLICY}, wasm)],
            [wasm_filter({"mode": "outbound", "tlsFacts": "passthrough", "policy": POLICY}, wasm)],
        ]
        envoy = Envoy(work / "envoy", listeners=[
            listener(f"l{i}", port, f + [tcp_proxy("mta")]) for i, (port, f) in enumerate(zip(ports, filters))
        ], clusters=[cluster("mta", mta_port)], log_level=args.envoy_log_level).start()
        for port in ports:  # warm up every path (V8 compiles lazily)
            run_phase(envoy, port, 1, 4, 1)
        results = {n: [] for n in names}
        for _ in range(args.rounds):
            for name, port in zip(names, ports):
                results[name].append(run_phase(envoy, port, args.processes, args.connections, args.seconds))
        accepted = envoy.counter("wasmcustom.tls_compliance.accepted")
        delivered = envoy.counter("wasmcustom.tls_compliance.delivered")
    finally:
        if envoy:
            envoy.stop()
        mta.stdin.close()
        mta.wait(10)

    tps = {k: statistics.mean(r[0] for r in v) for k, v in results.items()}
    cpu = {k: statistics.mean(r[1] for r in v) for k, v in results.items()}
    base = names[0]
    gz = len(gzip.compress(raw, 9))
    rows = "\n".join(
        f"| {n} | {tps[n]:,.0f} | {' / '.join(f'{r[0]:,.0f}' for r in results[n])} | "
        f"{tps[n] / tps[base]:.2f}× | {cpu[n]:,.0f} µs | {cpu[base] / cpu[n]:.2f}× |"
        for n in names)
    print(f"""## Envoy filter

Loopback load of parallel SMTP transactions (connect, EHLO, MAIL, RCPT, DATA with a
{len(BODY):,}-octet message, QUIT) through one Envoy 1.40 (`--concurrency 1`, V8, log level
`{args.envoy_log_level}`) to an aiosmtpd sink. Three listeners with the same `tcp_proxy` and
cluster: without the filter, with it inbound, with it outbound (passthrough facts, a policy none of
the load's addresses is listed in, so every message goes through). {args.rounds} rounds of
{args.seconds:g} s on each listener in turn, {args.connections} connections from {args.processes}
client processes, all in one run (`host-examples/envoy-filter/e2e/bench.py`). {platform.machine()},
{os.cpu_count()} cores, shared by the clients, the sink, Envoy and whatever else runs.

| listener | transactions/s (mean) | per round | throughput ratio | Envoy CPU per transaction | Envoy-bound ratio |
|---|---|---|---|---|---|
{rows}

- *Throughput ratio*: transactions/s against the listener without the filter, measured end to end.
- *Envoy-bound ratio*: the ratio of Envoy's CPU per transaction, that is the throughput ratio when
  Envoy's worker is what limits the load.
- The filter's own cost: {cpu[names[1]] - cpu[base]:,.0f} µs (inbound) and
  {cpu[names[2]] - cpu[base]:,.0f} µs (outbound) of Envoy CPU per transaction.
- Messages accepted inbound during the run: {accepted:,}; recipients delivered outbound: {delivered:,}.
- `.wasm` size: {len(raw):,} octets, **{gz:,} octets gzipped** (target ≤ 300 KB); profile
  `wasm-filter` (`opt-level = "z"`, LTO, one codegen unit, `panic = "abort"`, stripped).
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
