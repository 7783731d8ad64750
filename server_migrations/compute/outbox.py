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

"""Outcomes the agent knows but could not write yet, retried in order.

When the copy of a migration ends while the agent's database is away, the
hypervisor's answer must still reach the records: the write is kept here
and the agent's periodic poll retries it (``flush``) until the database
takes it. Writes are retried in the order they were made, so an event is
never closed before the status change it reports.
"""

import collections
import threading

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class Outbox:

    def __init__(self):
        self._lock = threading.Lock()
        self._writes = collections.deque()

    def __len__(self):
        return len(self._writes)

    def put(self, write, what):
        """Run ``write()`` now, or keep it for ``flush`` if it fails."""
        with self._lock:
            if self._writes:
                # Earlier writes wait: keep the order.
                self._writes.append((write, what))
                return False
        try:
            write()
            return True
        except Exception as exc:
            self.defer(write, what, exc)
            return False

    def defer(self, write, what, exc=None):
        LOG.warning('Could not record %s yet (%s); it will be retried',
                    what, exc)
        with self._lock:
            self._writes.append((write, what))

    def flush(self):
        """Retry the kept writes in order; :returns: how many are left."""
        with self._lock:
            while self._writes:
                write, what = self._writes[0]
                try:
                    write()
                except Exception as exc:
                    LOG.debug('Still cannot record %s: %s', what, exc)
                    break
                self._writes.popleft()
                LOG.info('Recorded %s after a retry', what)
            return len(self._writes)
