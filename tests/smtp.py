"""A mail server for tests: SMTP on loopback that keeps the messages it receives."""
from __future__ import annotations

import socket
from email import message_from_string, policy


class Inbox:
    """A local SMTP server on loopback that keeps what it receives and refuses mail to
    the addresses in `refuse`."""

    def __init__(self, refuse=()):
        from aiosmtpd.controller import Controller

        self.messages = []
        refused = set(refuse)

        class Handler:
            async def handle_RCPT(inner, server, session, envelope, address, options):  # noqa: N802,N805
                if address in refused:
                    return "550 5.1.1 no such mailbox"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(inner, server, session, envelope):  # noqa: N805
                self.messages.append(message_from_string(
                    envelope.content.decode("utf-8", "replace"), policy=policy.default))
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def port(self):
        return self.controller.port

    def to(self):
        return [m["To"] for m in self.messages]
