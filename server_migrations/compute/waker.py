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

"""One sender thread per process for the wake-up casts of the API.

A request hands its cast over and answers at once; the thread publishes the
casts one after the other on the process's broker connection. A broker that
is away or slow therefore holds no request and no extra thread: its casts
wait in a bounded queue, and when the queue is full new ones are dropped
(the agents' poll finds their actions in the database). A forked child
(a WSGI server's worker) starts its own thread on its first cast.
"""

import atexit
import os
import queue
import threading
import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# Casts waiting for the sender; beyond this a broker outage drops them.
QUEUE_SIZE = 10000
# Seconds between two warnings about dropped casts.
WARN_EVERY = 10.0
# How long a process that exits gives its queued casts to go out.
EXIT_DRAIN_SECONDS = 2.0


class Waker:
    """Runs submitted calls in order on one daemon thread."""

    def __init__(self, maxsize=QUEUE_SIZE):
        self._maxsize = maxsize
        self._lock = threading.Lock()
        self._pid = None
        self._queue = None
        self._thread = None
        self._dropped = 0
        self._failed = 0
        self._last_warning = 0.0

    def _ensure_started(self):
        pid = os.getpid()
        if self._pid == pid and self._thread.is_alive():
            return self._queue
        with self._lock:
            if self._pid != pid or not self._thread.is_alive():
                self._pid = pid
                self._queue = queue.Queue(self._maxsize)
                self._thread = threading.Thread(
                    target=self._run, args=(self._queue,), daemon=True,
                    name='rpc wake-up sender')
                self._thread.start()
                # A worker stopped gracefully sends what it has queued
                # (briefly: the agents' poll would find the actions).
                atexit.register(self.join, EXIT_DRAIN_SECONDS)
            return self._queue

    def submit(self, func, *args, what='a cast'):
        """Queue ``func(*args)``; drop it (and say so) if the queue is full.

        :returns: True if queued.
        """
        try:
            self._ensure_started().put_nowait((func, args, what))
            # Let the sender run now: a busy worker would otherwise keep
            # the GIL for up to the switch interval (5 ms) at every step of
            # the publish, and the agent would hear of the action late.
            time.sleep(0)
            return True
        except queue.Full:
            self._dropped += 1
            self._warn('%d cast(s) dropped: the broker does not keep up '
                       '(agents will poll for their actions)' % self._dropped)
            return False

    def join(self, timeout):
        """Wait until every queued call ran (tests, clean shutdown)."""
        deadline = time.monotonic() + timeout
        q = self._queue
        while q is not None and q.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def _run(self, q):
        while True:
            func, args, what = q.get()
            try:
                func(*args)
            except Exception as exc:
                self._failed += 1
                self._warn('Could not send %s (%s); %d failed so far, the '
                           'agent will find the action by polling'
                           % (what, exc, self._failed))
            finally:
                q.task_done()

    def _warn(self, message):
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY:
            self._last_warning = now
            LOG.warning(message)
