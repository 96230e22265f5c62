"""Prints a real session transcript for the README: swaks through a real Envoy running the built
filter (the example envoy.yaml's filter configurations) to aiosmtpd, then the filter's log lines
and counters.

Usage: TLS_COMPLIANCE_FILTER_WASM=… python3 transcript.py
"""

import re
import subprocess
import sys

from harness import Envoy, Recorder, cluster, free_port, listener, tcp_proxy, temp_dir, wasm_filter, wasm_path

POLICY = {
    "version": 1,
    "addressLists": [{"name": "Partners", "entries": ["partner.example", "*.gov.example"]}],
    "members": {"alice@corp.example": "/Finance"},
    "orgUnits": [{"path": "/", "settings": [
        {"name": "TLS with partners", "messages": ["inbound", "outbound"],
         "addressLists": ["Partners"], "minTlsVersion": "1.2"}]}],
}


def swaks(port: int, sender: str, to: str, header_from: str) -> str:
    r = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{port}", "--helo", "mail.sender.example", "--from", sender,
         "--to", to, "--header", f"From: {header_from}", "--header", "Subject: quarterly figures",
         "--body", "Figures attached.", "--add-header", "Date: Sun, 29 Nov 2026 10:00:00 +0000",
         "--add-header", "Message-Id: <transcript@sender.example>", "--suppress-data"],
        capture_output=True, text=True)
    return r.stdout


def main() -> int:
    work = temp_dir("tls-compliance-transcript-")
    rec = Recorder(hostname="mx.corp.example").start()
    inbound, outbound = free_port(), free_port()
    envoy = Envoy(work / "envoy", listeners=[
        listener("smtp_inbound", inbound, [wasm_filter(
            {"mode": "inbound", "tlsFacts": "passthrough", "policy": POLICY}, wasm_path()), tcp_proxy("mta")]),
        listener("smtp_outbound", outbound, [wasm_filter(
            {"mode": "outbound", "tlsFacts": "passthrough", "policy": POLICY}, wasm_path()), tcp_proxy("mta")]),
    ], clusters=[cluster("mta", rec.port)])
    try:
        envoy.start()
        print("### Inbound, plaintext, from a listed sender: rejected at the end of DATA\n")
        print("```\n$ swaks --server 127.0.0.1:" + str(inbound) + " --from notices@tax.gov.example "
              "--to alice@corp.example --header 'From: Tax Office <notices@tax.gov.example>' …")
        print(swaks(inbound, "notices@tax.gov.example", "alice@corp.example",
                    "Tax Office <notices@tax.gov.example>").rstrip() + "\n```\n")
        print("### Outbound, plaintext: the listed recipient is refused at RCPT TO, the other is delivered\n")
        print("```\n$ swaks --server 127.0.0.1:" + str(outbound) + " --from alice@corp.example "
              "--to bob@partner.example,carol@other.example …")
        print(swaks(outbound, "alice@corp.example", "bob@partner.example,carol@other.example",
                    "Alice <alice@corp.example>").rstrip() + "\n```\n")
        print(f"The MTA behind Envoy received {len(rec.messages)} message: "
              + "; ".join(f"from <{m[0]}> to {', '.join('<%s>' % r for r in m[1])}" for m in rec.messages) + ".\n")
        envoy.wait_log(r"tls-compliance: bounce")
        print("### Envoy's log (the filter's lines)\n\n```")
        for line in envoy.log().splitlines():
            m = re.search(r"\]\[wasm\] .*?: (tls-compliance: .*)$", line)
            if m:
                level = re.search(r"\]\[(\w+)\]\[wasm\]", line).group(1)
                print(f"[{level}] {m.group(1)}")
        print("```\n\n### Counters (`/stats?filter=tls_compliance`, non-zero)\n\n```")
        for name, value in sorted(envoy.stats("wasmcustom.tls_compliance").items()):
            if value:
                print(f"{name}: {value}")
        print("```")
    finally:
        envoy.stop()
        rec.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
