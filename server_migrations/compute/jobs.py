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
import functools
import threading
import traceback
import weakref

from oslo_log import log as logging
from oslo_utils import timeutils

from server_migrations import compute
from server_migrations.compute import convergence
from server_migrations.compute import outbox
from server_migrations.compute import reasons
from server_migrations.db import agent_actions
from server_migrations.db import convergence as db_convergence
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import outcomes
from server_migrations import migration_states as states
from server_migrations.virt import driver as virt_driver

LOG = logging.getLogger(__name__)

BINARY = compute.BINARY


class Ignored(Exception):
    """A request that does not apply to the migration's current state."""


def describe(exc):
    """What an instance action event records about a failure."""
    if isinstance(exc, Ignored):
        return str(exc)
    return ''.join(traceback.format_exception(exc))


class Event:
    """An instance action event (``compute_...``) under the request's action.

    Written after the agent acted, never before: ``open`` writes the start
    (with the time the event was created), ``finish`` the result, and with
    it closes the request's ``agent_actions`` row in the same transaction.
    A write the database refuses is handed to ``outbox`` and retried, so an
    outcome the agent knows is not lost. With no instance action (a cast
    from a test or a tool) nothing is recorded.
    """

    def __init__(self, context, instance_uuid, name, host, outbox=None,
                 action_id=None, agent_action_id=None):
        self.context = context
        self.instance_uuid = instance_uuid
        self.name = name
        self.host = host
        self.outbox = outbox
        self.action_id = action_id
        self.agent_action_id = agent_action_id
        self.start_time = timeutils.utcnow()
        self.id = None
        self.finished = False

    def open(self):
        """Write the event's start; safe to call more than once."""
        if self.id is not None or not self._find():
            return
        self.id = db_actions.action_event_start(
            self.context, self.action_id, self.name, self.host,
            start_time=self.start_time)

    def _find(self):
        """Find the action, and the event a first run wrote, if any.

        One event per action and kind: a request taken again (after an
        agent restart) reuses the event its first run wrote, which the end
        of a migration may have closed already. Reads only, before any
        write: on SQLite a transaction that reads first and writes later
        can be refused ("database is locked") instead of waiting.
        :returns: whether an event still has to be written.
        """
        if self.action_id is None:
            action = db_actions.action_get_by_request_id(
                self.context, self.instance_uuid, self.context.request_id)
            if action is None:
                return False
            self.action_id = action['id']
        for event in db_actions.action_events_get(self.context,
                                                  self.action_id):
            if event['event'] == self.name:
                self.id = event['id']
                return False
        return True

    def finish(self, ok, detail=None, details=None):
        """Record the outcome once (retried by the outbox if need be).

        :param detail: for admins: the traceback of an Error.
        :param details: why, in words (``reasons``).
        """
        if self.finished:
            return
        self.finished = True
        result = 'Success' if ok else 'Error'
        what = 'event %s of server %s' % (self.name, self.instance_uuid)
        write = functools.partial(self._write, result, detail, details)
        if self.outbox is None:
            try:
                write()
            except Exception:
                LOG.exception('Could not record %s', what)
        else:
            self.outbox.put(write, what)

    def _write(self, result, detail, details):
        create = self.id is None and self._find()
        event_id = self.id
        with db_engine.writer(self.context):
            if create:
                event_id = db_actions.action_event_start(
                    self.context, self.action_id, self.name, self.host,
                    start_time=self.start_time)
            if event_id is not None:
                # Closes it only if nobody did (the end of a migration
                # closes its start's event with the reason).
                db_actions.action_event_finish(
                    self.context, event_id, result,
                    traceback=None if result == 'Success' else detail,
                    details=details)
            if self.agent_action_id is not None:
                agent_actions.finish(self.context, self.agent_action_id,
                                     result, details or detail)
        # Only once committed: a retry after a rollback writes it again.
        self.id = event_id


class Job:
    """One migration accepted by this agent."""

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


def finish_abort(event, status):
    if status == states.CANCELLED:
        event.finish(True)
    else:
        event.finish(False, 'The migration ended as %s before the abort '
                            'took effect' % status,
                     details=reasons.action_not_done(
                         'abort', 'the migration ended as %s' % status))


class Monitor(virt_driver.MigrationMonitor):
    """Writes a running migration's progress; records a post-copy switch.

    Each reading also goes to a ``convergence.Tracker``; its verdict is
    kept on the job and handed to ``on_verdict(context, job, verdict)``
    (the stall policy), if given.
    """

    def __init__(self, context, migration_id, job=None, on_verdict=None,
                 tracker=None):
        self.context = context
        self.migration_id = migration_id
        self.job = job
        self.on_verdict = on_verdict
        self.tracker = tracker or convergence.Tracker()

    def progress(self, stats):
        verdict = self.tracker.update(stats)
        try:
            # One transaction for the counters and the verdict: an agent
            # with hundreds of migrations writes this every step of each.
            with db_engine.writer(self.context):
                db_migrations.migration_update_progress(
                    self.context, self.migration_id, stats)
                db_convergence.record(self.context, self.migration_id,
                                      verdict)
        except Exception:
            # A lost progress write must not break the copy itself.
            LOG.exception('Could not write progress of migration %s',
                          self.migration_id)
        if self.job is None:
            return
        self.job.verdict = verdict
        if self.on_verdict is not None:
            try:
                self.on_verdict(self.context, self.job, verdict)
            except Exception:
                LOG.exception('Could not judge the progress of migration %s',
                              self.migration_id)

    def post_copy_started(self):
        if self.job is not None:
            self.job.post_copy = True
        db_migrations.migration_update(self.context, self.migration_id,
                                       {'status': states.RUNNING_POST_COPY},
                                       expected_status=states.RUNNING)

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
        self.outbox = outbox.Outbox()

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
                        states.CANCELLED, states.NOT_STARTED,
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
                        states.ERROR, states.IN_FLIGHT,
                        reason=reasons.agent_error(exc),
                        traceback=describe(exc))

    def _job_done(self, job):
        try:
            status = job.final_status
            if status is None:
                # Another writer (an abort before the start, a restart)
                # ended it: the record says how.
                migration = db_migrations.migration_get(job.context,
                                                        job.migration_id)
                status = migration['status'] if migration else None
            job.event.finish(status == states.COMPLETED, job.detail or
                             'The migration ended as %s' % status)
        except Exception:
            LOG.exception('Could not read how migration %s ended',
                          job.migration_id)
            job.event.finish(False, job.detail or 'The migration ended')
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
               dest=None, reason=None, traceback=None, durable=False):
        """Move a migration to a terminal ``status`` if it is ``expected``.

        In the same transaction the server follows: on ``dest`` (the
        migration record, for success) it moves to the destination; else it
        stays where it is; its task state is cleared either way. And the
        final event of the migration's action is closed with ``reason``
        (words from ``reasons``) as its details and ``traceback``.

        :param durable: the outcome comes from the hypervisor and must not
            be lost: if the database refuses the write, it is kept in the
            outbox and retried until it is taken.
        :returns: ``(won, status)`` as ``db_migrations.migration_update``;
            ``(None, None)`` when a durable write was deferred.
        """
        reason = reason or (reasons.COMPLETED if status == states.COMPLETED
                            else reasons.ended_as(status))
        write = functools.partial(self._settle, context, migration_id,
                                  instance_uuid, status, expected, dest,
                                  reason, traceback)
        if not durable:
            return write()
        try:
            return write()
        except Exception as exc:
            if not outbox.retriable(exc):
                raise
            self.outbox.defer(write, 'that migration %s is %s'
                              % (migration_id, status), exc)
            job = self.job(migration_id)
            if job is not None:
                # Its events are written through the outbox too, after
                # this status change.
                job.detail = traceback or reason
                job.ended(status)
            return None, None

    def _settle(self, context, migration_id, instance_uuid, status, expected,
                dest, reason, traceback):
        with db_engine.writer(context):
            won, current = db_migrations.migration_update(
                context, migration_id, {'status': status},
                expected_status=expected)
            if won and dest is not None:
                db_instances.instance_update(
                    context, instance_uuid,
                    {'host': dest['dest_compute'], 'node': dest['dest_node'],
                     'task_state': None})
            elif won:
                db_instances.instance_update(context, instance_uuid,
                                             {'task_state': None},
                                             expected_task_state='migrating')
            if won:
                outcomes.record_end(context, migration_id, self.host,
                                    status == states.COMPLETED, reason,
                                    traceback)
        if won:
            LOG.info('Migration %(id)s is %(status)s: %(reason)s',
                     {'id': migration_id, 'status': status,
                      'reason': reason})
            job = self.job(migration_id)
            if job is not None:
                job.detail = traceback or reason
                job.ended(status)
        return won, current
