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

"""The one loopback TCP proxy every fault test puts in front of a service.

Put between a process and a shared service (RabbitMQ, PostgreSQL,
MariaDB), it stands for a bad day of that service without touching the
service other tests and sessions use:

* ``cut()``: the service is gone; relayed connections are reset and new
  ones closed at once (``restore()`` relays again);
* ``black_hole()``: packets go nowhere; connections stay open, nothing is
  relayed either way and new ones are accepted but never answered, as in
  a partition or a failover (``restore()`` closes the held connections,
  as the peers would time them out, and relays again);
* ``hold``: every new connection is relayed only after that many seconds
  (a service that answers, but too late).
"""

import socket
import threading

RELAY, CUT, BLACK_HOLE = 'relay', 'cut', 'black-hole'


class FaultProxy:

    def __init__(self, target_port, target_host='127.0.0.1', hold=0):
        self.target = (target_host, target_port)
        self.hold = hold
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.relayed = 0
        self._mode = RELAY
        self._lock = threading.Lock()
        self._live = set()
        self._held = set()
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
                mode = self._mode
                if mode == BLACK_HOLE:
                    self._held.add(client)
            if mode == CUT:
                _close(client)
            elif mode == RELAY:
                self._spawn(self._relay, client)

    def _relay(self, client):
        if self.hold and self._stop.wait(self.hold):
            _close(client)
            return
        try:
            upstream = socket.create_connection(self.target, 5)
        except OSError:
            _close(client)
            return
        with self._lock:
            self.relayed += 1
            self._live.update((client, upstream))
        self._spawn(self._pipe, client, upstream)
        self._pipe(upstream, client)

    def _pipe(self, source, sink):
        try:
            source.settimeout(None)
            while True:
                data = source.recv(65536)
                if not data:
                    break
                with self._lock:
                    mode = self._mode
                if mode == BLACK_HOLE:
                    # Swallowed; the connection stays open, silent.
                    continue
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
            self._mode = CUT
            live = list(self._live | self._held)
            self._live.clear()
            self._held.clear()
        for sock in live:
            _close(sock)

    def black_hole(self):
        """Nothing goes through any more, and nothing says so."""
        with self._lock:
            self._mode = BLACK_HOLE

    def restore(self):
        with self._lock:
            held = list(self._held)
            self._held.clear()
            if self._mode == BLACK_HOLE:
                # Connections that lost bytes cannot go on.
                held += list(self._live)
                self._live.clear()
            self._mode = RELAY
        for sock in held:
            _close(sock)

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
