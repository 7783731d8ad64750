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

"""A cast that either goes out within a deadline or never goes out.

oslo.messaging's casts have no deadline of their own: a broker that is
unreachable, or that accepts TCP but never speaks AMQP, holds the caller
for as long as kombu's connect and socket timeouts allow, and a cast given
up by the caller could still be published afterwards, when the broker
finally answers: the API would have answered 503 "nothing was changed" for
a request that is then carried out.

So the cast runs in a worker thread in two steps. First a *probe*: a
message to a routing key no queue is bound to, which the broker accepts and
drops; it opens (or checks) the pooled connection and proves the broker
takes messages now. Then, under a lock, the worker checks that the caller
has not given up and has time left, and only then publishes the real cast
over the connection that just answered. A caller that times out before
that point marks the attempt abandoned, and the real cast is never sent.
"""

import threading
import time

from oslo_log import log as logging

from server_migrations import exception

LOG = logging.getLogger(__name__)


class GuardedCast:
    """Run ``probe`` then ``send`` within ``timeout`` seconds, or neither.

    :param probe: callable that publishes a harmless message.
    :param send: callable that publishes the real cast.
    """

    def __init__(self, probe, send, timeout, what):
        self.probe = probe
        self.send = send
        self.timeout = timeout
        self.what = what
        # Time kept for the real publish after the probe answered; a
        # probe answering later than this before the deadline gives up.
        self.margin = min(1.0, timeout / 4.0)
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._abandoned = False
        self._committed = False
        self._error = None
        self._deadline = None

    def _worker(self):
        try:
            self.probe()
            with self._lock:
                late = time.monotonic() > self._deadline - self.margin
                if self._abandoned or late:
                    self._abandoned = True
                    LOG.warning('The broker answered too late; %s was not '
                                'sent', self.what)
                    raise exception.MessagingUnavailable()
                self._committed = True
            self.send()
        except Exception as exc:
            self._error = exc
        finally:
            self._done.set()

    def run(self):
        """Block until sent; raise MessagingUnavailable if not in time."""
        self._deadline = time.monotonic() + self.timeout
        worker = threading.Thread(target=self._worker, daemon=True,
                                  name='cast %s' % self.what)
        worker.start()
        if not self._done.wait(self.timeout):
            with self._lock:
                if not self._committed:
                    # The worker will see this before it publishes.
                    self._abandoned = True
                    LOG.warning('No answer from the broker within %.1f s; '
                                'giving up %s', self.timeout, self.what)
                    raise exception.MessagingUnavailable()
            # The broker answered the probe; its publish is under way on a
            # live connection and normally takes milliseconds.
            if not self._done.wait(self.margin):
                LOG.error('The publish of %s did not finish in time; it may '
                          'still be delivered', self.what)
                raise exception.MessagingUnavailable()
        if self._error is not None:
            raise self._error
