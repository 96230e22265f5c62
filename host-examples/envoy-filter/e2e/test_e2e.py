"""End-to-end tests of the Envoy filter: a real Envoy running the built .wasm, real MTAs behind it
(aiosmtpd recording exact bytes; Postfix, lenient about bare LF, for smuggling and BDAT), real
clients (smtplib; a raw socket only for the attacks smtplib will not send).

Run by scripts/test.d/40-envoy.sh:  python3 -m unittest -v test_e2e  (in this directory).
"""

import json
import os
import smtplib
import subprocess
import sys
import time
import unittest
import uuid
from pathlib import Path

from harness import (FILTER_DIR, Envoy, envoy_binary, Postfix, RawSmtp, Recorder, TestCA, cluster, downstream_tls,
                     listener, tcp_proxy, temp_dir, wait_for, wasm_filter, wasm_path)

POLICY = {
    "version": 1,
    "addressLists": [
        {"name": "Partners", "entries": ["partner.example", "*.gov.example"]},
        {"name": "Banks", "entries": ["bank.example"]},
    ],
    "members": {"alice@corp.example": "/Finance"},
    "orgUnits": [{"path": "/", "settings": [
        {"name": "TLS with partners", "messages": ["inbound", "outbound"],
         "addressLists": ["Partners"], "minTlsVersion": "1.2"},
        {"name": "Banks present certificates", "messages": ["inbound"], "addressLists": ["Banks"],
         "requireCaSignedCertificate": True, "minTlsVersion": "1.2"},
    ]}],
}

REJECT_PLAINTEXT = ("550 5.7.10 TLS required by policy: the connection is not encrypted with TLS "
                    "(starttls-not-supported)")
REJECT_NO_CERTIFICATE = ("550 5.7.5 TLS required by policy: the certificate is not signed by a "
                         "trusted CA (certificate-not-trusted)")
FAULT = "451 4.3.0 TLS compliance check unavailable, try again later"

# Every way a lenient reader may find a line holding only "." that a strict one does not.
SMUGGLING_VARIANTS = [b"\n.\n", b"\n.\r\n", b"\r\n.\n", b"\r.\r", b"\r\n.\r", b"\r.\r\n", b"\r.\n",
                      b"\n.\r", b"\r\n.\r\r\n"]

env = {}


def message(sender: str, to: str, body: str = "Hello.") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: test {uuid.uuid4().hex[:8]}\r\n"
            f"Date: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{uuid.uuid4().hex}@test.example>\r\n"
            f"\r\n{body}\r\n").encode()


def line(code: int, text: bytes) -> str:
    return f"{code} {text.decode()}"


def setUpModule():
    work = temp_dir("tls-compliance-e2e-")
    env["work"] = work
    env["cleanups"] = []
    try:
        _start(work)
    except Exception:
        tearDownModule()
        raise


def _start(work: Path):
    wasm = wasm_path()
    ca = TestCA(work / "ca")
    env["ca"] = ca
    server_cert, server_key = ca.leaf("mx", ["mx.corp.example", "localhost"])
    env["bank_cert"] = ca.leaf("bank-client", ["mail.bank.example"], client=True)
    import ssl
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(str(server_cert), str(server_key))

    rec = Recorder().start()
    env["cleanups"].append(rec.stop)
    rec_tls = Recorder(tls_context=server_ctx).start()
    env["cleanups"].append(rec_tls.stop)
    env["rec"], env["rec_tls"] = rec, rec_tls

    if os.geteuid() == 0:
        pf = Postfix(work / "postfix")
        env["cleanups"].append(pf.stop)
        pf.start()
        env["postfix"] = pf

    ports = {}

    def add(name, config, cluster_name, tls=None):
        from harness import free_port
        ports[name] = free_port()
        filters = [wasm_filter(config, wasm)] if config else []
        return listener(name, ports[name], filters + [tcp_proxy(cluster_name)], tls)

    inbound = {"mode": "inbound", "tlsFacts": "passthrough", "policy": POLICY}
    outbound = {"mode": "outbound", "tlsFacts": "passthrough", "policy": POLICY}
    listeners = [
        add("in_plain", inbound, "mta"),
        add("in_tls", {"mode": "inbound", "tlsFacts": "envoy", "policy": POLICY,
                       "envoyTls": {"verifiesPeerCertificate": True}}, "mta",
            downstream_tls(server_cert, server_key, ca.cert)),
        add("out_plain", outbound, "mta"),
        add("out_starttls", outbound, "mta_starttls"),
        add("in_fault", dict(inbound, faultInjection=True), "mta"),
        add("out_fault", dict(outbound, faultInjection=True), "mta"),
    ]
    clusters = [cluster("mta", rec.port), cluster("mta_starttls", rec_tls.port)]
    if "postfix" in env:
        pf = env["postfix"]
        listeners += [
            add("in_pf", inbound, "postfix"),
            add("in_pf_data", inbound, "postfix_no_chunking"),
            add("out_pf", outbound, "postfix"),
            add("bare_pf", None, "postfix"),
        ]
        clusters += [cluster("postfix", pf.port), cluster("postfix_no_chunking", pf.port_no_chunking)]
    envoy = Envoy(work / "envoy", listeners, clusters)
    env["cleanups"].append(envoy.stop)
    envoy.start()
    env["envoy"], env["ports"] = envoy, ports


def tearDownModule():
    for cleanup in reversed(env.get("cleanups", [])):
        try:
            cleanup()
        except Exception as e:  # keep tearing down the rest
            print(f"teardown: {e}", file=sys.stderr)


class FilterTest(unittest.TestCase):
    """Dumps Envoy's log when a test fails."""

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before and "envoy" in env:
            env["envoy"].dump_log(80)
            if "postfix" in env:
                print("----- Postfix maillog (tail) -----\n" + "\n".join(env["postfix"].log().splitlines()[-30:]))
        return out

    def setUp(self):
        env["rec"].clear()
        env["rec_tls"].clear()

    def smtp(self, name: str) -> smtplib.SMTP:
        s = smtplib.SMTP("127.0.0.1", env["ports"][name], local_hostname="client.example", timeout=20)
        self.addCleanup(s.close)
        return s

    def counter(self, name: str) -> int:
        return env["envoy"].counter(f"wasmcustom.tls_compliance.{name}")


class Inbound(FilterTest):
    def test_plaintext_mail_from_a_listed_sender_is_rejected_with_550_and_never_reaches_the_mta(self):
        rejected = self.counter("rejected.starttls-not-supported")
        msg = message("Tax Office <notices@tax.gov.example>", "alice@corp.example")
        with self.assertRaises(smtplib.SMTPDataError) as e:
            self.smtp("in_plain").sendmail("notices@tax.gov.example", ["alice@corp.example"], msg)
        self.assertEqual(line(e.exception.smtp_code, e.exception.smtp_error), REJECT_PLAINTEXT)
        self.assertEqual(env["rec"].messages, [])
        self.assertEqual(self.counter("rejected.starttls-not-supported"), rejected + 1)
        env["envoy"].wait_log(r"tls-compliance: reject from=<notices@tax\.gov\.example> "
                              r"rcpt=<alice@corp\.example> failures=starttls-not-supported")

    def test_the_same_mail_over_envoy_terminated_tls_is_accepted_byte_for_byte(self):
        msg = message("Tax Office <notices@tax.gov.example>", "alice@corp.example")
        s = smtplib.SMTP_SSL("127.0.0.1", env["ports"]["in_tls"], local_hostname="client.example",
                             context=env["ca"].client_context(), timeout=20)
        self.addCleanup(s.close)
        self.assertEqual(s.sendmail("notices@tax.gov.example", ["alice@corp.example"], msg), {})
        s.quit()
        self.assertEqual(env["rec"].messages, [("notices@tax.gov.example", ["alice@corp.example"], msg)])

    def test_a_sender_that_must_present_a_ca_signed_certificate_is_rejected_without_one_and_accepted_with_one(self):
        msg = message("Treasury <treasury@bank.example>", "alice@corp.example")
        plain = smtplib.SMTP_SSL("127.0.0.1", env["ports"]["in_tls"], local_hostname="mail.bank.example",
                                 context=env["ca"].client_context(), timeout=20)
        self.addCleanup(plain.close)
        with self.assertRaises(smtplib.SMTPDataError) as e:
            plain.sendmail("treasury@bank.example", ["alice@corp.example"], msg)
        self.assertEqual(line(e.exception.smtp_code, e.exception.smtp_error), REJECT_NO_CERTIFICATE)
        self.assertEqual(env["rec"].messages, [])
        with_cert = smtplib.SMTP_SSL("127.0.0.1", env["ports"]["in_tls"], local_hostname="mail.bank.example",
                                     context=env["ca"].client_context(*env["bank_cert"]), timeout=20)
        self.addCleanup(with_cert.close)
        self.assertEqual(with_cert.sendmail("treasury@bank.example", ["alice@corp.example"], msg), {})
        self.assertEqual(env["rec"].messages, [("treasury@bank.example", ["alice@corp.example"], msg)])

    def test_an_unlisted_sender_over_plaintext_is_delivered_byte_for_byte(self):
        body = "Line one.\r\n.A line that starts with a dot.\r\n..Two dots.\r\nLast."
        msg = message("Friend <friend@elsewhere.example>", "alice@corp.example", body)
        s = self.smtp("in_plain")
        self.assertEqual(s.sendmail("friend@elsewhere.example", ["alice@corp.example"], msg), {})
        s.quit()
        self.assertEqual(env["rec"].messages, [("friend@elsewhere.example", ["alice@corp.example"], msg)])

    def test_one_thousand_recipients_are_delivered_and_a_1001st_gets_452(self):
        rcpts = [f"user{i}@corp.example" for i in range(1000)]
        msg = message("friend@elsewhere.example", "many@corp.example")
        s = self.smtp("in_plain")
        self.assertEqual(s.sendmail("friend@elsewhere.example", rcpts, msg), {})
        self.assertEqual(env["rec"].messages, [("friend@elsewhere.example", rcpts, msg)])
        env["rec"].clear()
        refused = s.sendmail("friend@elsewhere.example", rcpts + ["user1000@corp.example"], msg)
        self.assertEqual({k: line(*v) for k, v in refused.items()},
                         {"user1000@corp.example": "452 4.5.3 Error: too many recipients"})
        self.assertEqual(env["rec"].messages, [("friend@elsewhere.example", rcpts, msg)])

    def test_an_overlong_command_line_gets_500_and_never_reaches_the_mta(self):
        s = self.smtp("in_plain")
        s.ehlo()
        long_sender = "a" * 600 + "@elsewhere.example"
        self.assertEqual(line(*s.docmd(f"MAIL FROM:<{long_sender}>")), "500 5.5.2 Error: line too long")
        self.assertNotIn(long_sender, env["rec"].addresses("MAIL"))
        msg = message("friend@elsewhere.example", "alice@corp.example")
        self.assertEqual(s.sendmail("friend@elsewhere.example", ["alice@corp.example"], msg), {})
        self.assertEqual(env["rec"].addresses("MAIL"), ["friend@elsewhere.example"])

    def test_a_message_line_over_1000_octets_gets_the_message_refused_with_554(self):
        msg = message("friend@elsewhere.example", "alice@corp.example", "x" * 1500)
        with self.assertRaises(smtplib.SMTPDataError) as e:
            self.smtp("in_plain").sendmail("friend@elsewhere.example", ["alice@corp.example"], msg)
        self.assertEqual(line(e.exception.smtp_code, e.exception.smtp_error),
                         "554 5.6.0 Error: message has a line over the length limit")
        self.assertEqual(env["rec"].messages, [])

    def test_a_message_without_a_from_header_is_deferred_with_451(self):
        msg = b"Subject: no from\r\n\r\nbody\r\n"
        with self.assertRaises(smtplib.SMTPDataError) as e:
            self.smtp("in_plain").sendmail("friend@elsewhere.example", ["alice@corp.example"], msg)
        self.assertEqual(line(e.exception.smtp_code, e.exception.smtp_error),
                         "451 4.3.0 TLS compliance check needs exactly one From: mailbox, try again later")
        self.assertEqual(env["rec"].messages, [])

    def test_a_forced_fault_answers_451_and_the_message_never_reaches_the_mta(self):
        faults = self.counter("fault")
        msg = message("friend@elsewhere.example", "alice@corp.example")
        with self.assertRaises(smtplib.SMTPDataError) as e:
            self.smtp("in_fault").sendmail("friend@elsewhere.example", ["alice@corp.example"], msg)
        self.assertEqual(line(e.exception.smtp_code, e.exception.smtp_error), FAULT)
        self.assertEqual(env["rec"].messages, [])
        self.assertEqual(self.counter("fault"), faults + 1)


class Outbound(FilterTest):
    def test_one_recipient_is_refused_at_rcpt_while_the_others_are_delivered(self):
        msg = message("Alice <alice@corp.example>", "bob@partner.example, carol@other.example")
        s = self.smtp("out_plain")
        refused = s.sendmail("alice@corp.example",
                             ["bob@partner.example", "carol@other.example", "dave@another.example"], msg)
        self.assertEqual({k: line(*v) for k, v in refused.items()}, {"bob@partner.example": REJECT_PLAINTEXT})
        self.assertEqual(env["rec"].messages,
                         [("alice@corp.example", ["carol@other.example", "dave@another.example"], msg)])
        self.assertNotIn("bob@partner.example", env["rec"].addresses("RCPT"))
        env["envoy"].wait_log(r"tls-compliance: bounce sender=<alice@corp\.example> rcpt=<bob@partner\.example>")

    def test_pipelined_recipients_get_their_replies_in_order(self):
        c = RawSmtp(env["ports"]["out_plain"])
        self.addCleanup(c.close)
        c.reply()
        c.cmd("EHLO client.example")
        c.send(b"MAIL FROM:<alice@corp.example>\r\nRCPT TO:<carol@other.example>\r\n"
               b"RCPT TO:<x@a.gov.example>\r\nRCPT TO:<dave@another.example>\r\nDATA\r\n")
        replies = [c.reply() for _ in range(5)]
        self.assertEqual(replies, ["250 2.1.0 Ok", "250 2.1.5 Ok", REJECT_PLAINTEXT, "250 2.1.5 Ok",
                                   "354 End data with <CR><LF>.<CR><LF>"])
        msg = message("alice@corp.example", "several")
        c.send(msg + b".\r\n")
        self.assertEqual(c.reply(), "250 2.0.0 Ok: queued")
        self.assertEqual(env["rec"].messages,
                         [("alice@corp.example", ["carol@other.example", "dave@another.example"], msg)])

    def test_starttls_command_injection_is_discarded_before_the_mta(self):
        discarded = self.counter("discarded")
        ca = env["ca"]
        c = RawSmtp(env["ports"]["out_starttls"])
        self.addCleanup(c.close)
        c.reply()
        self.assertIn("STARTTLS", c.cmd("EHLO client.example"))
        c.send(b"STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\nRCPT TO:<victim@corp.example>\r\n")
        self.assertEqual(c.reply(), "220 Ready to start TLS")
        c.starttls(ca.client_context())
        c.cmd("EHLO client.example")
        self.assertEqual(c.cmd("MAIL FROM:<alice@corp.example>"), "250 2.1.0 Ok")
        self.assertEqual(c.cmd("RCPT TO:<carol@other.example>"), "250 2.1.5 Ok")
        self.assertEqual(c.cmd("DATA"), "354 End data with <CR><LF>.<CR><LF>")
        msg = message("alice@corp.example", "carol@other.example")
        c.send(msg + b".\r\n")
        self.assertEqual(c.reply(), "250 2.0.0 Ok: queued")
        rec = env["rec_tls"]
        self.assertEqual(rec.addresses("MAIL"), ["alice@corp.example"])
        self.assertEqual(rec.addresses("RCPT"), ["carol@other.example"])
        self.assertEqual(rec.messages, [("alice@corp.example", ["carol@other.example"], msg)])
        self.assertEqual(self.counter("discarded"), discarded + 1)
        env["envoy"].wait_log(r'tls-compliance: discard bytes=\d+ reason="client bytes pipelined after STARTTLS')
        env["envoy"].wait_log(r"tls-compliance: starttls version=1\.3")

    def test_a_forced_fault_answers_451_at_rcpt_and_nothing_reaches_the_mta(self):
        msg = message("alice@corp.example", "carol@other.example")
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as e:
            self.smtp("out_fault").sendmail("alice@corp.example", ["carol@other.example"], msg)
        self.assertEqual({k: line(*v) for k, v in e.exception.recipients.items()},
                         {"carol@other.example": FAULT})
        self.assertEqual(env["rec"].addresses("RCPT"), [])
        self.assertEqual(env["rec"].messages, [])
        env["envoy"].wait_log(r'tls-compliance: fault message="fault injection is on')


@unittest.skipUnless(os.geteuid() == 0, "Postfix's master must run as root")
class BehindPostfix(FilterTest):
    def setUp(self):
        super().setUp()
        env["postfix"].clear()

    def _smuggle(self, port: int, variant: bytes, inbound: bool) -> list:
        """One session carrying a smuggling attempt; returns the senders Postfix queued."""
        sender = "friend@elsewhere.example" if inbound else "alice@corp.example"
        c = RawSmtp(port)
        self.addCleanup(c.close)
        c.reply()
        c.cmd("EHLO client.example")
        self.assertTrue(c.cmd(f"MAIL FROM:<{sender}>").startswith("250"))
        self.assertTrue(c.cmd("RCPT TO:<bob@corp.example>").startswith("250"))
        self.assertTrue(c.cmd("DATA").startswith("354"))
        c.send(f"From: {sender}\r\nSubject: smuggling\r\n\r\nbefore".encode() + variant
               + b"MAIL FROM:<smuggled@evil.example>\r\nRCPT TO:<victim@corp.example>\r\nDATA\r\n"
               + b"From: smuggled@evil.example\r\n\r\nsmuggled\r\n.\r\n")
        replies = [c.reply()]
        c.send(b"QUIT\r\n")
        try:
            while True:
                replies.append(c.reply())
        except (ConnectionError, OSError):
            pass
        env["postfix"].wait_idle()
        return env["postfix"].senders()

    def test_smuggling_variants_never_reach_a_lenient_postfix_as_commands(self):
        pf = env["postfix"]
        control = {}
        for v in SMUGGLING_VARIANTS:
            pf.clear()
            control[v] = "smuggled@evil.example" in self._smuggle(env["ports"]["bare_pf"], v, inbound=False)
        # The upstream is really vulnerable: without the filter, the classic variant smuggles.
        print("\nwithout the filter, smuggled through Postfix: "
              + ", ".join(repr(v) for v, smuggled in control.items() if smuggled), file=sys.stderr)
        self.assertTrue(control[b"\n.\n"], f"control results: {control}")
        for name, inbound in [("out_pf", False), ("in_pf_data", True), ("in_pf", True)]:
            for v in SMUGGLING_VARIANTS:
                with self.subTest(listener=name, variant=v):
                    pf.clear()
                    senders = self._smuggle(env["ports"][name], v, inbound)
                    sender = "friend@elsewhere.example" if inbound else "alice@corp.example"
                    self.assertEqual(senders, [sender])
                    delivered = pf.delivered()
                    self.assertEqual(len(delivered), 1)
                    self.assertIn(b"smuggled", delivered[0])

    def test_an_accepted_inbound_message_reaches_postfix_through_bdat_or_data(self):
        pf = env["postfix"]
        for name, verb in [("in_pf", "bdat=1"), ("in_pf_data", "data=1")]:
            with self.subTest(listener=name):
                pf.clear()
                body = "Dots:\r\n.one\r\n..two\r\nend"
                msg = message("Friend <friend@elsewhere.example>", "bob@corp.example", body)
                s = self.smtp(name)
                self.assertEqual(s.sendmail("friend@elsewhere.example", ["bob@corp.example"], msg), {})
                s.quit()
                pf.wait_idle()
                wait_for(lambda: "disconnect from" in pf.log(), 10, "Postfix's disconnect line")
                delivered = pf.delivered()
                self.assertEqual(len(delivered), 1)
                self.assertTrue(delivered[0].endswith(msg.replace(b"\r\n", b"\n")), delivered[0])
                disconnect = [l for l in pf.log().splitlines() if "disconnect from" in l][-1]
                self.assertIn(verb, disconnect)

    def test_a_rejected_inbound_message_never_enters_postfixs_queue(self):
        pf = env["postfix"]
        msg = message("notices@tax.gov.example", "bob@corp.example")
        s = self.smtp("in_pf")
        with self.assertRaises(smtplib.SMTPDataError) as e:
            s.sendmail("notices@tax.gov.example", ["bob@corp.example"], msg)
        self.assertEqual(line(e.exception.smtp_code, e.exception.smtp_error), REJECT_PLAINTEXT)
        s.quit()
        wait_for(lambda: "disconnect from" in pf.log(), 10, "Postfix's disconnect line")
        # Postfix opened a queue file at MAIL FROM; the RSET dropped it before any content.
        self.assertNotRegex(pf.log(), r"cleanup\[\d+\]: \w+: message-id|qmgr\[\d+\]: \w+: from=")
        # The client's DATA reached Postfix as NOOP; no DATA or BDAT ever did.
        disconnect = [l for l in pf.log().splitlines() if "disconnect from" in l][-1]
        self.assertIn(" noop=1 ", disconnect)
        self.assertNotRegex(disconnect, r" (data|bdat)=")
        self.assertEqual(pf.delivered(), [])


class Configuration(unittest.TestCase):
    def _validate(self, config: Path, cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run([envoy_binary(), "--mode", "validate", "-c", str(config), "-l", "info"],
                              cwd=cwd, capture_output=True, text=True, timeout=120)

    def test_the_example_envoy_yaml_validates(self):
        work = temp_dir("tls-compliance-validate-")
        wasm_dir = work / "target" / "wasm32-wasip1" / "wasm-filter"
        wasm_dir.mkdir(parents=True)
        (wasm_dir / "tls_compliance_envoy_filter.wasm").symlink_to(wasm_path())
        ca = TestCA(work / "ca")
        cert, key = ca.leaf("mx", ["mx.corp.example"])
        certs = work / "host-examples" / "envoy-filter" / "certs"
        certs.mkdir(parents=True)
        (certs / "mx.corp.example.pem").symlink_to(cert)
        (certs / "mx.corp.example.key").symlink_to(key)
        r = self._validate(FILTER_DIR / "envoy.yaml", work)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("OK", r.stdout + r.stderr)

    def test_a_bad_configuration_fails_envoy_validate_and_says_why(self):
        work = temp_dir("tls-compliance-validate-")
        bad = dict(POLICY, orgUnits=[{"path": "/", "settings": [
            {"name": "x", "messages": ["inbound"], "addressLists": ["Missing"]}]}])
        config = {"static_resources": {"listeners": [listener("smtp", 10025, [
            wasm_filter({"mode": "inbound", "policy": bad}, wasm_path()), tcp_proxy("mta")])],
            "clusters": [cluster("mta", 10026)]}}
        path = work / "bad.json"
        path.write_text(json.dumps(config))
        r = self._validate(path, work)
        self.assertNotEqual(r.returncode, 0)
        out = r.stdout + r.stderr
        self.assertIn("tls-compliance: configuration refused", out)
        self.assertIn("/policy/orgUnits/0/settings/0/addressLists/0", out)

    def test_a_bad_live_configuration_is_refused_and_the_listener_keeps_its_old_one(self):
        work = temp_dir("tls-compliance-lds-")
        rec = Recorder().start()
        self.addCleanup(rec.stop)
        from harness import free_port
        port = free_port()
        lds = work / "lds.json"

        def publish(config):
            resource = listener("smtp", port, [wasm_filter(config, wasm_path()), tcp_proxy("mta")])
            resource["@type"] = "type.googleapis.com/envoy.config.listener.v3.Listener"
            tmp = work / "lds.tmp"
            tmp.write_text(json.dumps({"resources": [resource]}))
            os.rename(tmp, lds)

        publish({"mode": "outbound", "policy": POLICY})
        envoy = Envoy(work / "envoy", clusters=[cluster("mta", rec.port)], lds_path=lds)
        self.addCleanup(envoy.stop)
        try:
            envoy.start()
            wait_for(lambda: envoy.counter("listener_manager.lds.update_success") >= 1, 30, "the first LDS update")
            wait_for(lambda: envoy.counter("listener_manager.total_listeners_active") >= 1, 30, "the listener")

            def bob_is_refused():
                s = smtplib.SMTP("127.0.0.1", port, timeout=20)
                try:
                    return "bob@partner.example" in s.sendmail(
                        "alice@corp.example", ["bob@partner.example", "carol@other.example"],
                        message("alice@corp.example", "bob"))
                finally:
                    s.close()

            self.assertTrue(bob_is_refused())
            bad = dict(POLICY, addressLists=[])   # the settings now name lists that do not exist
            publish({"mode": "outbound", "policy": bad})
            wait_for(lambda: envoy.counter("listener_manager.lds.update_rejected") >= 1, 30, "the rejected update")
            envoy.wait_log(r"tls-compliance: configuration refused: .*unknown-address-list")
            self.assertTrue(bob_is_refused(), "the old configuration no longer applies")
            publish({"mode": "outbound", "policy": dict(POLICY, orgUnits=[])})
            wait_for(lambda: envoy.counter("listener_manager.lds.update_success") >= 2, 30, "the good update")
            wait_for(lambda: not bob_is_refused(), 30, "the new configuration to apply")
        except Exception:
            envoy.dump_log(80)
            raise


if __name__ == "__main__":
    unittest.main(verbosity=2)
