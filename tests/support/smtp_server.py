#!/usr/bin/env python3
"""A real SMTP server for vitals' integration tests, built on aiosmtpd.

Started by tests/support/smtp.rs on a free port (it writes the port it got to
DIR/port). It records every command with whether the connection was
encrypted at that moment (DIR/transcript.jsonl), and every accepted message
as JSON (DIR/messages/NNN.json): the envelope, and the message parsed by
Python's own e-mail package (decoded subject, headers, each MIME part).

Modes: starttls (STARTTLS offered and required before anything else, AUTH
only after it), implicit (TLS from the first byte), plain (no TLS at all, and
AUTH offered anyway, to tempt a client into sending its password).
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import ssl
import sys

try:
    from aiosmtpd.smtp import SMTP, AuthResult
except ImportError:
    sys.stderr.write(
        "aiosmtpd is not installed: run `python3 -m pip install aiosmtpd` "
        "(./scripts/test.sh does it)\n"
    )
    sys.exit(3)


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


class Recorder(SMTP):
    """aiosmtpd's SMTP, writing each command to the transcript before running it."""

    def __init__(self, handler, transcript, **kwargs):
        super().__init__(handler, **kwargs)
        self._transcript = transcript
        for name, method in list(self._smtp_methods.items()):
            self._smtp_methods[name] = self._recording(name, method)

    def encrypted(self):
        if self._tls_protocol is not None:
            return True
        return self.transport is not None and self.transport.get_extra_info("sslcontext") is not None

    def _recording(self, name, method):
        async def run(arg):
            event = {"command": name, "arg": arg or "", "tls": self.encrypted()}
            with open(self._transcript, "a", encoding="utf-8") as f:
                f.write(json.dumps(event) + "\n")
            return await method(arg)

        return run


class Handler:
    def __init__(self, args):
        self.messages = os.path.join(args.dir, "messages")
        os.makedirs(self.messages, exist_ok=True)
        self.reject = set(args.reject)
        self.fqdn_helo = args.helo_policy == "fqdn"
        self.tempfail_left = args.tempfail
        self.accepted = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # Postfix's reject_non_fqdn_helo_hostname, refused at RCPT as its
        # default smtpd_delay_reject=yes does, in its words.
        name = session.host_name or ""
        if self.fqdn_helo and not (name.startswith("[") or "." in name.strip(".")):
            return f"504 5.5.2 <{name}>: Helo command rejected: need fully-qualified hostname"
        if address in self.reject:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail_left > 0:
            self.tempfail_left -= 1
            return "451 4.3.0 Temporary failure, please try again later"
        self.accepted += 1
        raw = envelope.original_content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = [
            {"content_type": part.get_content_type(), "content": part.get_content()}
            for part in msg.walk()
            if not part.is_multipart()
        ]
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": server.encrypted(),
            "authenticated": bool(session.authenticated),
            "subject": str(msg["subject"]),
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "message_id": str(msg["message-id"] or ""),
            "in_reply_to": str(msg["in-reply-to"] or ""),
            "references": str(msg["references"] or ""),
            "content_type": msg.get_content_type(),
            "parts": parts,
            "raw": raw.decode("utf-8", "replace"),
        }
        path = os.path.join(self.messages, f"{self.accepted:03}.json")
        write_atomically(path, json.dumps(record))
        return f"250 2.0.0 Ok: queued as VITALS{self.accepted}"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            user is not None
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return check


async def serve(args):
    loop = asyncio.get_running_loop()
    context = None
    if args.mode != "plain":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    handler = Handler(args)
    transcript = os.path.join(args.dir, "transcript.jsonl")
    options = dict(
        hostname="vitals-test-smtp",
        authenticator=authenticator(args.user, args.password),
        auth_required=args.user is not None,
        loop=loop,
    )
    if args.mode == "starttls":
        options.update(tls_context=context, require_starttls=True, auth_require_tls=True)
    else:
        # implicit: the socket itself is TLS; plain: AUTH offered in the clear on purpose.
        options.update(auth_require_tls=False)

    def factory():
        return Recorder(handler, transcript, **options)

    server = await loop.create_server(
        factory,
        host="127.0.0.1",
        port=0,
        ssl=context if args.mode == "implicit" else None,
    )
    port = server.sockets[0].getsockname()[1]
    write_atomically(os.path.join(args.dir, "port"), str(port))
    await server.serve_forever()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--dir", required=True)
    p.add_argument("--mode", choices=["starttls", "implicit", "plain"], default="starttls")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--reject", action="append", default=[], help="answer RCPT for this address with 550")
    p.add_argument("--tempfail", type=int, default=0, help="answer the first N DATA with 451")
    p.add_argument(
        "--helo-policy",
        choices=["any", "fqdn"],
        default="any",
        help="fqdn: refuse a HELO/EHLO name that is not fully qualified, as Postfix's "
        "reject_non_fqdn_helo_hostname does",
    )
    asyncio.run(serve(p.parse_args()))


if __name__ == "__main__":
    main()
