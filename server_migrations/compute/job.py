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

"""One migration accepted by an agent, and the callbacks run at its end."""

import threading

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class Job:
    """One migration accepted by this agent, queued or copying."""

    def __init__(self, context, migration_id, instance_uuid, block_migration,
                 event):
        self.context = context
        self.migration_id = migration_id
        self.instance_uuid = instance_uuid
        self.block_migration = block_migration
        self.event = event
        self.instance = None
        self.post_copy = False
        self.future = None
        self.detail = None
        self.final_status = None
        # Why it is ending, when something other than the copy decided
        # (an abort request, the completion timeout); the first one wins.
        self.reason = None
        # The reason of a "completed" that something forced (None: the
        # copy converged by itself).
        self.completed_reason = None
        # The last convergence.Verdict, and whether the stall policy acted.
        self.verdict = None
        self.stall_handled = False
        self.last_progress_notice = None
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._on_end = []

    def note_reason(self, reason):
        if self.reason is None:
            self.reason = reason

    def ended(self, status):
        """The migration reached ``status``: run the waiting callbacks."""
        with self._lock:
            self.final_status = status
            callbacks, self._on_end = self._on_end, []
        for callback in callbacks:
            _run_callback(callback, status)

    def on_end(self, callback):
        """Call ``callback(status)`` when the migration ends (now if it has).

        Abort events are closed this way, by whoever settles the migration,
        so no RPC thread waits for an aborted copy to stop.
        """
        with self._lock:
            if self.final_status is None:
                self._on_end.append(callback)
                return
            status = self.final_status
        _run_callback(callback, status)


def _run_callback(callback, status):
    try:
        callback(status)
    except Exception:
        LOG.exception('A callback at the end of a migration failed')
