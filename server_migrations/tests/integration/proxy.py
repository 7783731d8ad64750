# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""A loopback TCP proxy the tests can cut and restore.

Put between a process and a shared service (RabbitMQ, PostgreSQL), it
stands for an outage of that service without touching the service other
tests and sessions use: ``cut()`` resets every relayed connection and
closes new ones at once; ``restore()`` relays again.
"""

import socket
import threading


class CuttableProxy:

    def __init__(self, target_port, target_host='127.0.0.1'):
        self.target = (target_host, target_port)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._up = True
        self._lock = threading.Lock()
        self._live = set()
        self._stop = threading.Event()
        self._spawn(self._accept_loop)

    def _spawn(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()

    def _accept_loop(self):
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                client, _addr = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            with self._lock:
                self.accepted += 1
                up = self._up
            if not up:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, 5)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._live.update((client, upstream))
            self._spawn(self._pipe, client, upstream)
            self._spawn(self._pipe, upstream, client)

    def _pipe(self, source, sink):
        try:
            source.settimeout(None)
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                _close(sock)
                with self._lock:
                    self._live.discard(sock)

    def cut(self):
        """The service is gone: reset what is open, refuse what comes."""
        with self._lock:
            self._up = False
            live = list(self._live)
            self._live.clear()
        for sock in live:
            _close(sock)

    def restore(self):
        with self._lock:
            self._up = True

    def close(self):
        self._stop.set()
        self.cut()
        _close(self.sock)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
