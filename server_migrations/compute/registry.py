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

"""The agent's job registry: its migrations, their executor and slots.

At most ``[compute] max_concurrent_live_migrations`` copies run at once
(the executor's workers); the others wait in its queue. Each job is found
by its migration's id while it is queued or running. Actions on one
migration are applied one at a time (``action_lock``).
"""

from concurrent import futures
import threading
import weakref

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class JobRegistry:
    """The running and queued ``job.Job`` of one agent, by migration id."""

    def __init__(self):
        self._lock = threading.Lock()
        self._jobs = {}
        self._action_locks = weakref.WeakValueDictionary()
        self._executor = None
        # Set while the agent stops: no job is taken or started any more.
        self.stopping = threading.Event()

    def start(self, workers):
        """Open ``workers`` slots and take jobs."""
        self.stopping.clear()
        self._executor = futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix='live-migration')

    def stop(self):
        """Drop the queue and the executor (running copies are not waited)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def submit(self, job, run, on_done):
        """Queue ``run(job)``; ``on_done(job)`` follows it, then removal.

        :returns: False, and nothing is queued, while the agent stops.
        """
        with self._lock:
            if self._executor is None or self.stopping.is_set():
                return False
            self._jobs[job.migration_id] = job
            job.future = self._executor.submit(run, job)
        job.future.add_done_callback(lambda _f: self._done(job, on_done))
        return True

    def _done(self, job, on_done):
        try:
            on_done(job)
        except Exception:
            LOG.exception('Could not close the job of migration %s',
                          job.migration_id)
        finally:
            with self._lock:
                if self._jobs.get(job.migration_id) is job:
                    del self._jobs[job.migration_id]
            job.done.set()

    def get(self, migration_id):
        """The job of ``migration_id``, or None."""
        with self._lock:
            return self._jobs.get(migration_id)

    def all(self):
        with self._lock:
            return list(self._jobs.values())

    def action_lock(self, migration_id):
        """Actions on one migration are applied one at a time, in order."""
        with self._lock:
            lock = self._action_locks.get(migration_id)
            if lock is None:
                lock = threading.Lock()
                self._action_locks[migration_id] = lock
            return lock

    def cancel_queued(self, migration_id):
        """Drop the job of ``migration_id`` from the queue, if it waits."""
        job = self.get(migration_id)
        if job is not None and job.future is not None:
            job.future.cancel()
