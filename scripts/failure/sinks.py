"""Receivers on loopback for the failure harness: a webhook sink (which also
plays a Vonage SMS gateway) and an SMTP sink. Each runs on its own asyncio loop
in a background thread and records what arrived, so missing and duplicate
deliveries can be counted. Controls (fail ratio, up/down) are plain attributes
read by the loop thread."""

import asyncio
import collections
import json
import random
import threading


class _Loop:
    """An asyncio loop in a daemon thread, for servers the harness drives."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def run(self, coro, timeout=30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


class _Arrivals:
    """What a sink received, by key: each key once is a delivery, more is a duplicate."""

    def __init__(self):
        self.lock = threading.Lock()
        self.arrivals = collections.Counter()

    def delivered(self):
        with self.lock:
            return set(self.arrivals)

    def duplicates(self):
        with self.lock:
            return sum(n - 1 for n in self.arrivals.values())


class WebhookSink(_Arrivals):
    """Answers webhooks (200, or 500 for a `fail_ratio` share of requests) and
    Vonage's `/sms/json` (a message id per request). Records every arrival by
    the delivery id (`webhook-id` header, or Vonage's `client-ref`)."""

    def __init__(self, port):
        super().__init__()  # arrivals: delivery id -> times received and answered 2xx
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.fail_ratio = 0.0
        # Seconds every answer waits (a slow receiver); 0 answers at once.
        self.delay = 0.0
        self.requests = 0
        self.refused = 0
        self._loop = _Loop()
        self._loop.run(self._start())

    async def _start(self):
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, backlog=2048)

    async def _handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                body = await reader.readexactly(length) if length else b""
                if self.delay:
                    await asyncio.sleep(self.delay)
                status, answer = self._answer(lines[0], headers, body)
                writer.write(
                    b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (status, len(answer), answer)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def _answer(self, request_line, headers, body):
        with self.lock:
            self.requests += 1
            if random.random() < self.fail_ratio:
                self.refused += 1
                return 500, b"{}"
            if " /sms/json" in request_line:
                fields = dict(pair.split("=", 1) for pair in body.decode().split("&") if "=" in pair)
                ref = fields.get("client-ref", "")
                self.arrivals[ref] += 1
                message_id = f"MSG-{ref}"
                answer = {"message-count": "1", "messages": [{"to": fields.get("to", ""), "message-id": message_id, "status": "0"}]}
                return 200, json.dumps(answer).encode()
            self.arrivals[headers.get("webhook-id", "")] += 1
            return 200, b"{}"


class SmtpSink(_Arrivals):
    """A minimal SMTP server: accepts every message, keyed by the notification
    header and the recipient. `stop()` goes down as a relay does: the port is
    closed (connections refused) and the open connections are cut; `start()`
    opens the port again."""

    def __init__(self, port):
        super().__init__()  # arrivals: (notification, recipient) -> times accepted
        self.port = port
        self._server = None
        self._writers = set()
        self._loop = _Loop()
        self.start()

    def start(self):
        async def open_port():
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

        self._loop.run(open_port())

    def stop(self):
        async def close_port():
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            await self._server.wait_closed()

        self._loop.run(close_port())

    async def _handle(self, reader, writer):
        def say(line):
            writer.write(line.encode() + b"\r\n")

        recipients, notification = [], ""
        self._writers.add(writer)
        try:
            say("220 sink ESMTP")
            while True:
                line = (await reader.readline()).decode("latin-1").rstrip("\r\n")
                if not line:
                    return
                verb = line.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    say("250 sink")
                elif verb == "MAIL":
                    recipients, notification = [], ""
                    say("250 OK")
                elif verb == "RCPT":
                    recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                    say("250 OK")
                elif verb == "DATA":
                    say("354 go on")
                    await writer.drain()
                    while True:
                        data = (await reader.readline()).decode("latin-1")
                        if data == "":
                            return  # cut before the end of the data: not received
                        if data in (".\r\n", ".\n"):
                            break
                        if data.lower().startswith("x-tocsin-notification:"):
                            notification = data.split(":", 1)[1].strip()
                    with self.lock:
                        for r in recipients:
                            self.arrivals[(notification, r)] += 1
                    say("250 OK queued")
                elif verb == "QUIT":
                    say("221 bye")
                    await writer.drain()
                    return
                else:
                    say("250 OK")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
