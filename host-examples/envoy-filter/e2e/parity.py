"""Parity: the conformance corpus decided inside the built filter .wasm, in a real Envoy, gives the
command line's decisions, byte for byte in their JSON form (same fields, same order, same values).

The filter runs in its `evaluate` mode on one listener; its answers go upstream to a second
listener running Envoy's echo filter and come back to this script. Each case is also run through
`tls-compliance eval`. A few bad inputs check that both refuse them with the same error codes and
pointers.

Usage: TLS_COMPLIANCE_FILTER_WASM=… TLS_COMPLIANCE_CLI=… python3 parity.py
"""

import glob
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import (ROOT, Envoy, cluster, echo, free_port, listener, tcp_proxy, temp_dir,
                     wasm_filter, wasm_path)


def ordered(text: str):
    """JSON with object members kept in order, as nested lists of pairs."""
    return json.loads(text, object_pairs_hook=lambda pairs: [(k, v) for k, v in pairs])


def corpus():
    """(name, policy document, scenario) for every case: tests/corpus/cases, else the shared
    conformance examples and src/example."""
    cases = []
    files = sorted(glob.glob(str(ROOT / "tests" / "corpus" / "cases" / "*.json")))
    if files:
        for f in files:
            for c in json.loads(Path(f).read_text()):
                policy = c["policy"]
                if isinstance(policy, str):
                    policy = json.loads((ROOT / "tests" / "corpus" / "policies" / policy).read_text())
                cases.append((f"{Path(f).stem}: {c['name']}", policy, c["scenario"]))
        return cases, f"tests/corpus/cases ({len(files)} files)"
    shared = Path("/work/shared/conformance")
    example_policy = json.loads((ROOT / "src" / "example" / "policy.json").read_text())
    for s in json.loads((ROOT / "src" / "example" / "scenarios.json").read_text()):
        cases.append((f"example: {s.get('name')}", example_policy, s))
    if shared.is_dir():
        for c in json.loads((shared / "examples.json").read_text()):
            cases.append((f"shared: {c['name']}", json.loads((shared / c["policy"]).read_text()), c["scenario"]))
    return cases, "src/example and the shared conformance examples"


def bad_inputs(cases):
    """Inputs both hosts must refuse: each a (name, policy, scenario)."""
    name, policy, scenario = cases[0]
    out = [
        ("a recipient that is not an address", policy, dict(scenario, recipients=["not-an-address"])),
        ("an inbound scenario without from", policy,
         {"direction": "inbound", "recipients": ["a@b.example"]}),
        ("an array with one bad scenario", policy, [scenario, dict(scenario, direction="sideways")]),
        ("contradictory facts", policy, dict(scenario, connection={"tls": False, "version": "1.2"})),
    ]
    bad_policy = dict(policy, orgUnits=[{"path": "/", "settings": [
        {"name": "x", "messages": ["inbound"], "addressLists": ["No such list"]}]}])
    out.append(("a setting naming a missing list", bad_policy, scenario))
    return out


def cli(binary: str, policy, scenario, work: Path):
    p, s = work / "policy.json", work / "scenario.json"
    p.write_text(json.dumps(policy))
    s.write_text(json.dumps(scenario))
    r = subprocess.run([binary, "eval", str(p), str(s)], capture_output=True, text=True)
    return r.returncode, r.stdout


def errors_of(value):
    """The error kind and each error's (code, pointer), from an ordered error object."""
    d = dict(value)
    return d.get("error"), [(dict(e).get("code"), dict(e).get("pointer")) for e in d.get("errors", [])]


class Client:
    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def ask(self, policy, scenario) -> str:
        self.sock.sendall(json.dumps({"policy": policy, "scenario": scenario}).encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("the filter's listener closed the connection")
            self.buf += chunk
        answer, self.buf = self.buf.split(b"\n", 1)
        return answer.decode()


def main() -> int:
    binary = os.environ.get("TLS_COMPLIANCE_CLI")
    if not binary or not Path(binary).is_file():
        print("set TLS_COMPLIANCE_CLI to the built tls-compliance binary", file=sys.stderr)
        return 2
    cases, source = corpus()
    work = temp_dir("tls-compliance-parity-")
    whatif_port, echo_port = free_port(), free_port()
    envoy = Envoy(work / "envoy", listeners=[
        listener("whatif", whatif_port, [wasm_filter({"mode": "evaluate"}, wasm_path()), tcp_proxy("echo")]),
        listener("echo", echo_port, [echo()]),
    ], clusters=[cluster("echo", echo_port)])
    failures = []
    try:
        envoy.start()
        client = Client(whatif_port)
        for name, policy, scenario in cases:
            code, out = cli(binary, policy, scenario, work)
            answer = client.ask(policy, scenario)
            if code != 0:
                failures.append(f"{name}: the command line refused it ({code}): {out}")
            elif ordered(answer) != ordered(out):
                failures.append(f"{name}:\n  cli:    {json.dumps(json.loads(out))}\n  filter: {answer}")
        bad = bad_inputs(cases)
        for name, policy, scenario in bad:
            code, out = cli(binary, policy, scenario, work)
            answer = client.ask(policy, scenario)
            if code == 0:
                failures.append(f"bad input {name}: the command line accepted it")
            elif errors_of(ordered(answer)) != errors_of(ordered(out)):
                failures.append(f"bad input {name}:\n  cli:    {out}\n  filter: {answer}")
    except Exception:
        envoy.dump_log()
        raise
    finally:
        envoy.stop()
    if failures:
        envoy.dump_log(40)
        print("\n".join(failures))
        print(f"parity: {len(failures)} difference(s)")
        return 1
    print(f"parity: {len(cases)} cases from {source} gave the command line's decisions byte for byte "
          f"inside the built .wasm in Envoy; {len(bad)} bad inputs gave its error codes and pointers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
