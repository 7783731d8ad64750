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

"""The agent's migration jobs: executor, status swaps, events, progress."""

from concurrent import futures
import threading
import traceback
import weakref

from oslo_log import log as logging

from server_migrations import compute
from server_migrations.compute import reasons
from server_migrations.db import api as db_api
from server_migrations.db import outcomes
from server_migrations.virt import driver as virt_driver

LOG = logging.getLogger(__name__)

BINARY = compute.BINARY
RUNNING = ('running', 'running (post-copy)')
NOT_STARTED = ('accepted', 'queued', 'preparing')
ABORTABLE = NOT_STARTED + ('running',)


class Ignored(Exception):
    """A request that does not apply to the migration's current state."""


def describe(exc):
    """What an instance action event records about a failure."""
    if isinstance(exc, Ignored):
        return str(exc)
    return ''.join(traceback.format_exception(exc))


class Event:
    """An instance action event (``compute_...``) under the request's action.

    The API recorded the action with the request id that came over RPC; an
    operator reads the event's result to learn whether a 202 worked. No
    action (a cast from a test or a tool): nothing is recorded.
    """

    def __init__(self, context, instance_uuid, name, host):
        self.context = context
        self.id = None
        try:
            action = db_api.action_get_by_request_id(
                context, instance_uuid, context.request_id)
            if action is not None:
                self.id = db_api.action_event_start(
                    context, action['id'], name, host)
        except Exception:
            LOG.exception('Could not record event %s', name)

    def finish(self, ok, detail=None, details=None):
        """Close the event (if nobody did); ``details``: why, in words."""
        if self.id is None:
            return
        event_id, self.id = self.id, None
        try:
            db_api.action_event_finish(
                self.context, event_id, 'Success' if ok else 'Error',
                traceback=None if ok else detail, details=details)
        except Exception:
            LOG.exception('Could not finish event %s', event_id)


class Job:
    """One migration accepted by this agent."""

    def __init__(self, context, migration_id, instance_uuid, block_migration,
                 event):
        self.context = context
        self.migration_id = migration_id
        self.instance_uuid = instance_uuid
        self.block_migration = block_migration
        self.event = event
        self.future = None
        self.detail = None
        # Why it is ending, when something other than the copy decided
        # (an abort request, the completion timeout); the first one wins.
        self.reason = None
        self.done = threading.Event()

    def note_reason(self, reason):
        if self.reason is None:
            self.reason = reason


class Monitor(virt_driver.MigrationMonitor):
    """Writes a running migration's progress; records a post-copy switch."""

    def __init__(self, context, migration_id, job=None):
        self.context = context
        self.migration_id = migration_id
        self.job = job

    def progress(self, stats):
        try:
            db_api.migration_update_progress(self.context, self.migration_id,
                                             stats)
        except Exception:
            # A lost progress write must not break the copy itself.
            LOG.exception('Could not write progress of migration %s',
                          self.migration_id)

    def post_copy_started(self):
        db_api.migration_update(self.context, self.migration_id,
                                {'status': 'running (post-copy)'},
                                expected_status='running')

    def timed_out(self, elapsed, action):
        if self.job is not None:
            self.job.note_reason(reasons.completion_timeout(elapsed, action))


class MigrationJobs:
    """Bounded executor, job registry and the status compare-and-swaps.

    The subclass provides ``run(job)``.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._jobs = {}
        self._action_locks = weakref.WeakValueDictionary()
        self._executor = None
        self.stopping = threading.Event()
        self.unclaimed = set()

    def start_executor(self, workers):
        self.stopping.clear()
        self._executor = futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix='live-migration')

    def stop_executor(self):
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def submit(self, job):
        with self._lock:
            if self._executor is None or self.stopping.is_set():
                executor = None
            else:
                executor = self._executor
                self._jobs[job.migration_id] = job
                job.future = executor.submit(self._run_job, job)
        if executor is None:
            self.settle(job.context, job.migration_id, job.instance_uuid,
                        'cancelled', NOT_STARTED,
                        reason=reasons.AGENT_STOPPED)
            # Unless the settle closed it already.
            job.event.finish(False, reasons.AGENT_STOPPED,
                             reasons.AGENT_STOPPED)
            return
        job.future.add_done_callback(lambda _f: self._job_done(job))

    def _run_job(self, job):
        try:
            self.run(job)
        except Exception as exc:
            LOG.exception('Migration %s broke', job.migration_id)
            self.settle(job.context, job.migration_id, job.instance_uuid,
                        'error', NOT_STARTED + RUNNING,
                        reason=reasons.agent_error(exc),
                        traceback=describe(exc))

    def _job_done(self, job):
        try:
            migration = db_api.migration_get(job.context, job.migration_id)
            status = migration['status'] if migration else None
            job.event.finish(status == 'completed', job.detail or
                             'The migration ended as %s' % status)
        finally:
            with self._lock:
                if self._jobs.get(job.migration_id) is job:
                    del self._jobs[job.migration_id]
            job.done.set()

    def job(self, migration_id):
        with self._lock:
            return self._jobs.get(migration_id)

    def all_jobs(self):
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
        job = self.job(migration_id)
        if job is not None and job.future is not None:
            job.future.cancel()

    def settle(self, context, migration_id, instance_uuid, status, expected,
               dest=None, reason=None, traceback=None):
        """Move a migration to a terminal ``status`` if it is ``expected``.

        In the same transaction the server follows: on ``dest`` (the
        migration record, for success) it moves to the destination; else it
        stays where it is; its task state is cleared either way. And the
        final event of the migration's action is closed with ``reason``
        (words from ``reasons``) as its details and ``traceback``.
        :returns: ``(won, status)`` as ``db_api.migration_update``.
        """
        reason = reason or (reasons.COMPLETED if status == 'completed'
                            else reasons.ended_as(status))
        with db_api.writer(context):
            won, current = db_api.migration_update(
                context, migration_id, {'status': status},
                expected_status=expected)
            if won and dest is not None:
                db_api.instance_update(
                    context, instance_uuid,
                    {'host': dest['dest_compute'], 'node': dest['dest_node'],
                     'task_state': None})
            elif won:
                db_api.instance_update(context, instance_uuid,
                                       {'task_state': None},
                                       expected_task_state='migrating')
            if won:
                outcomes.record_end(context, migration_id, self.host,
                                    status == 'completed', reason, traceback)
        if won:
            LOG.info('Migration %(id)s is %(status)s: %(reason)s',
                     {'id': migration_id, 'status': status,
                      'reason': reason})
            job = self.job(migration_id)
            if job is not None:
                job.detail = traceback or reason
        return won, current
