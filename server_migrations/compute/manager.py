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

"""The compute agent's RPC endpoint: runs, force-completes, aborts.

The manager is the only writer of a migration's status, and every change is
a compare-and-swap on the status it expects (``db_migrations.migration_update``
with ``expected_status``), done in one transaction with the matching change
of the server. Whatever races (an abort, a force-complete, the copy itself,
a shutdown), exactly one of them moves a migration to its terminal status,
and the server's ``host``/``node``/``task_state`` agree with it.
"""

import time

from oslo_log import log as logging
import oslo_messaging as messaging

from server_migrations import action_names as names
from server_migrations.compute import jobs
from server_migrations.compute import notifications
from server_migrations.compute import reasons
from server_migrations.compute import recovery
from server_migrations.compute import stall
from server_migrations.db import agent_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import services as db_services
from server_migrations import exception
from server_migrations import migration_states as states
from server_migrations.virt import driver as virt_driver

LOG = logging.getLogger(__name__)

# How long an action waits for the copy to register with the driver (the
# status is already "running" but the driver has not started yet).
DRIVER_START_WAIT = 10.0


class ComputeManager(recovery.StartStop, jobs.MigrationJobs):
    """What the agent does for the casts of topic ``compute`` to its host.

    Methods take plain ids; records are re-read here, so a late or repeated
    cast acts on the current state, never on what the sender saw. The RPC
    server sees it through ``ComputeEndpoint``.
    """

    def __init__(self, conf, host, driver=None, notifier=None):
        self.conf = conf
        self.host = host
        self.driver = driver or virt_driver.load_driver(conf, host)
        self.notifier = notifications.Notifier(conf, host, notifier)
        self.stall_policy = stall.StallPolicy(
            conf.compute.live_migration_progress_timeout,
            conf.compute.live_migration_progress_timeout_action,
            self.driver, self.notifier)
        self.progress_notices = notifications.ProgressNotices(
            self.notifier,
            conf.compute.live_migration_progress_notification_interval)
        super().__init__()

    # -- taking an action ---------------------------------------------------

    def take_action(self, context, ident):
        """Claim committed action ``ident`` for this host and carry it out.

        A cast and the poll may both bring the same action here, or a cast
        may arrive twice: only the caller that wins the claim acts.
        :returns: True if this call carried it out.
        """
        row = agent_actions.claim(context, ident, self.host)
        if row is None:
            LOG.info('Action %s is taken already or not for %s', ident,
                     self.host)
            return False
        block = row['block_migration']
        if block not in (None, 'auto'):
            block = block == 'True'
        self._dispatch(context, row['method'], row['instance_uuid'],
                       row['migration_id'], block, row)
        return True

    def take_cast(self, context, method, instance_uuid, migration_id,
                  block_migration=None, action_id=None):
        """Carry out a cast.

        With ``action_id`` (1.1) its action; else (1.0) the migration's
        pending actions of that kind, or with none a bare cast from a test
        or a tool, of which nothing is recorded.
        """
        if action_id is not None:
            self.take_action(context, action_id)
            return
        pending = agent_actions.pending_for_migration(context, migration_id,
                                                      method)
        for ident in pending:
            self.take_action(context, ident)
        if not pending:
            self._dispatch(context, method, instance_uuid, migration_id,
                           block_migration, None)

    def _dispatch(self, context, method, instance_uuid, migration_id,
                  block_migration, row):
        event = jobs.Event(
            context, instance_uuid, names.EVENTS.get(
                method, method), self.host,
            outbox=self.outbox,
            action_id=row['action_id'] if row else None,
            agent_action_id=row['id'] if row else None)
        if method == names.START:
            self.live_migration(context, instance_uuid, migration_id,
                                block_migration, event)
        elif method == names.FORCE_COMPLETE:
            self.live_migration_force_complete(context, instance_uuid,
                                               migration_id, event)
        elif method == names.ABORT:
            self.live_migration_abort(context, instance_uuid, migration_id,
                                      event)
        elif method == names.TUNE:
            self.live_migration_tune(
                context, instance_uuid, migration_id, event,
                agent_actions.parameters_of(row) if row else {})
        else:
            event.finish(False, 'Unknown action %r' % method)

    # -- live_migration ----------------------------------------------------

    def live_migration(self, context, instance_uuid, migration_id,
                       block_migration, event):
        """Accept a migration into the queue (``accepted`` → ``queued``)."""
        migration = db_migrations.migration_get_by_id_and_instance(
            context, migration_id, instance_uuid)
        if migration is None or migration['source_compute'] != self.host:
            LOG.warning('Ignoring live_migration of migration %(id)s: no '
                        'such migration of server %(uuid)s with source '
                        '%(host)s', {'id': migration_id,
                                     'uuid': instance_uuid,
                                     'host': self.host})
            event.finish(False, 'Migration %s of server %s with source %s '
                                'not found' % (migration_id, instance_uuid,
                                               self.host))
            return
        if self.stopping.is_set():
            self.settle(context, migration_id, instance_uuid, states.CANCELLED,
                        (states.ACCEPTED,), reason=reasons.AGENT_STOPPED)
            # Unless the settle closed it already.
            event.finish(False, reasons.AGENT_STOPPED, reasons.AGENT_STOPPED)
            return
        claimed = event.agent_action_id is not None
        if claimed:
            # Open before the migration can end: whoever ends it (an
            # abort, a shutdown) closes this event with the reason. Only
            # for a claimed action, which no duplicate cast can reach.
            self._open_event(event, migration_id)
        won, status = db_migrations.migration_update(
            context, migration_id, {'status': states.QUEUED},
            expected_status=states.ACCEPTED)
        if not won:
            LOG.info('Ignoring live_migration of migration %(id)s: it is '
                     'already %(status)s (duplicate or stale cast)',
                     {'id': migration_id, 'status': status})
            event.finish(False, 'Migration %s is already %s; not starting '
                                'it again' % (migration_id, status))
            return
        if not claimed:
            self._open_event(event, migration_id)
        # "auto" (microversion 2.25 and later) means: copy the disks unless
        # they are on storage both hosts share; the driver knows which.
        block = (block_migration if block_migration == 'auto'
                 else bool(block_migration))
        self.submit(jobs.Job(context, migration_id, instance_uuid, block,
                             event))

    @staticmethod
    def _open_event(event, migration_id):
        try:
            event.open()
        except Exception:
            LOG.warning('Could not record the start of migration %s yet',
                        migration_id)

    def run(self, job):
        """Prepare and run one migration (in the bounded executor)."""
        ctx = job.context
        if self.stopping.is_set():
            # Taken from the queue while the agent stops: cleanup_host
            # cancels it as not started.
            return
        won, status = db_migrations.migration_update(
            ctx, job.migration_id, {'status': states.PREPARING},
            expected_status=states.QUEUED)
        if not won:
            LOG.info('Migration %(id)s is %(status)s; not starting it',
                     {'id': job.migration_id, 'status': status})
            return
        try:
            instance, migration = self._prepare(ctx, job)
        except exception.ServerMigrationsException as exc:
            self.settle(ctx, job.migration_id, job.instance_uuid,
                        states.FAILED, (states.PREPARING,), reason=getattr(
                            exc, 'reason', None) or reasons.not_startable(
                            exc.format_message()))
            return
        won, status = db_migrations.migration_update(
            ctx, job.migration_id, {'status': states.RUNNING},
            expected_status=states.PREPARING)
        if not won:
            LOG.info('Migration %(id)s is %(status)s; not running it',
                     {'id': job.migration_id, 'status': status})
            return
        migration['status'] = states.RUNNING
        job.instance = instance
        monitor = jobs.Monitor(ctx, job.migration_id, job,
                               on_verdict=self._on_verdict)
        try:
            result = self.driver.live_migration(
                instance, migration, migration['dest_compute'],
                job.block_migration, monitor)
        except Exception as exc:
            LOG.exception('Live migration %s failed with an error',
                          job.migration_id)
            self.settle(ctx, job.migration_id, job.instance_uuid, states.ERROR,
                        states.COPYING, reason=reasons.hypervisor_error(exc),
                        traceback=jobs.describe(exc), durable=True)
            return
        if result == virt_driver.COMPLETED:
            self.settle(ctx, job.migration_id, job.instance_uuid,
                        states.COMPLETED, states.COPYING, dest=migration,
                        reason=job.completed_reason, durable=True)
        elif result == virt_driver.CANCELLED:
            self.settle(ctx, job.migration_id, job.instance_uuid,
                        states.CANCELLED, states.COPYING,
                        reason=job.reason or reasons.HYPERVISOR_CANCELLED,
                        durable=True)
        else:
            self.settle(ctx, job.migration_id, job.instance_uuid,
                        states.FAILED, states.COPYING,
                        reason=job.reason or reasons.HYPERVISOR_FAILED,
                        durable=True)

    def _on_verdict(self, context, job, verdict):
        """Each judgement of a running copy: notices, then the policy."""
        self.progress_notices(context, job, verdict,
                              db_migrations.migration_get)
        self.stall_policy(context, job, verdict)

    def _prepare(self, ctx, job):
        """Check that the move still makes sense before copying anything."""
        instance = db_instances.instance_get(ctx, job.instance_uuid)
        migration = db_migrations.migration_get(ctx, job.migration_id)
        if instance is None or migration is None:
            raise exception.ServerMigrationsException(
                'Server %s or its migration is gone.' % job.instance_uuid)
        if instance['host'] != self.host:
            raise exception.ServerMigrationsException(
                'Server %s is on %s, not on %s.' % (
                    job.instance_uuid, instance['host'], self.host))
        dest = migration['dest_compute']
        if not dest or dest == self.host:
            raise exception.ServerMigrationsException(
                'Invalid destination %r.' % dest)
        services = [s for s in db_services.service_get_live(
            ctx, jobs.BINARY, self.conf.service_down_time)
            if s['host'] == dest]
        if not services:
            exc = exception.ServerMigrationsException(
                'Destination %s is not a live compute agent.' % dest)
            exc.reason = reasons.destination_down(dest)
            raise exc
        return instance, migration

    # -- force complete ----------------------------------------------------

    def live_migration_force_complete(self, context, instance_uuid,
                                      migration_id, event):
        """Post-copy, or pause the guest, so the copy converges.

        The driver is called first, on the job this agent runs, and the
        records are written after.
        """
        with self.action_lock(migration_id):
            try:
                instance, migration, result = self._act_first(
                    context, instance_uuid, migration_id, (states.RUNNING,),
                    'force complete',
                    self.driver.live_migration_force_complete)
                if result == virt_driver.POST_COPY:
                    job = self.job(migration_id)
                    if job is not None:
                        job.post_copy = True
                    db_migrations.migration_update(
                        context, migration_id,
                        {'status': states.RUNNING_POST_COPY},
                        expected_status=states.RUNNING)
                LOG.info('Force-complete of migration %(id)s: %(result)s',
                         {'id': migration_id, 'result': result})
                self.notifier.notify(context, notifications.FORCE_COMPLETE,
                                     'start', instance, migration)
                self.notifier.notify(
                    context, notifications.FORCE_COMPLETE, 'end', instance,
                    db_migrations.migration_get(context, migration_id) or
                    migration)
            except Exception as exc:
                self._failed_action(event, 'force-complete', migration_id,
                                    exc)
                return
        event.finish(True)

    # -- tune --------------------------------------------------------------

    def live_migration_tune(self, context, instance_uuid, migration_id,
                            event, parameters):
        """Apply a new maximum downtime (ms) or bandwidth (MiB/s) to a copy.

        Act first, record after, as force-complete.
        """
        with self.action_lock(migration_id):
            try:
                if not parameters:
                    raise jobs.Ignored('Nothing to tune for migration %s.'
                                       % migration_id)
                self._act_first(
                    context, instance_uuid, migration_id, (states.RUNNING,),
                    'tune', lambda instance: self.driver.live_migration_tune(
                        instance, **parameters))
                LOG.info('Tuned migration %(id)s: %(values)s',
                         {'id': migration_id, 'values': parameters})
            except Exception as exc:
                self._failed_action(event, 'tune', migration_id, exc)
                return
        event.finish(True)

    # -- abort -------------------------------------------------------------

    def live_migration_abort(self, context, instance_uuid, migration_id,
                             event):
        """Cancel a migration; the server stays on its source.

        A running copy is aborted in the driver at once; the event is closed
        by whoever settles the migration (``Job.ended``), so no RPC thread
        waits for the copy to stop.
        """
        with self.action_lock(migration_id):
            try:
                self._abort(context, instance_uuid, migration_id, event)
            except Exception as exc:
                self._failed_action(event, 'abort', migration_id, exc)

    def _abort(self, context, instance_uuid, migration_id, event):
        job = self.job(migration_id)
        if job is None or job.instance is None:
            instance, migration = self._current(
                context, instance_uuid, migration_id, states.AGENT_ABORTABLE,
                'abort')
            if migration['status'] != states.RUNNING:
                self._abort_not_started(context, instance, migration, event)
                return
        # Noted before the driver call, so the copy that stops says why.
        reason = reasons.aborted_by_request(context.request_id)
        if job is not None:
            job.note_reason(reason)
        try:
            instance, migration, _result = self._act_first(
                context, instance_uuid, migration_id, (states.RUNNING,),
                'abort',
                self.driver.live_migration_abort)
        except Exception:
            job = self.job(migration_id)
            if job is not None and job.reason == reason:
                job.reason = None  # refused: the copy goes on
            raise
        job = self.job(migration_id)
        if job is not None and job.reason is None:
            job.note_reason(reason)  # the copy had only just started
        try:
            event.open()
        except Exception:
            LOG.warning('Could not record the start of the abort of '
                        'migration %s yet', migration_id)
        self.notifier.notify(context, notifications.ABORT, 'start',
                             instance, migration)

        def ended(status):
            jobs.finish_abort(event, status)
            self.notifier.notify(
                context, notifications.ABORT, 'end',
                db_instances.instance_get(context, instance_uuid),
                db_migrations.migration_get(context, migration_id))
        if job is not None:
            job.on_end(ended)
        else:
            # The copy ended meanwhile: the record says how.
            final = db_migrations.migration_get(context, migration_id)
            ended(final['status'] if final else None)

    def _abort_not_started(self, context, instance, migration, event):
        migration_id = migration['id']
        won, status = self.settle(
            context, migration_id, instance['uuid'], states.CANCELLED,
            states.NOT_STARTED,
            reason=reasons.aborted_by_request(context.request_id))
        if not won:
            if status == states.RUNNING:
                # It started meanwhile: abort the copy.
                self._abort(context, instance['uuid'], migration_id, event)
                return
            raise jobs.Ignored('Migration %s is %s; cannot abort it.'
                               % (migration_id, status))
        self.cancel_queued(migration_id)
        self.notifier.notify(context, notifications.ABORT, 'start',
                             instance, migration)
        self.notifier.notify(
            context, notifications.ABORT, 'end', instance,
            db_migrations.migration_get(context, migration_id))
        event.finish(True)

    def _act_first(self, context, instance_uuid, migration_id, statuses,
                   what, method):
        """Call ``method`` on the running copy, then check the records.

        The fast path: this agent runs the copy, so the driver acts on it
        without reading the database first. Otherwise (the copy is still
        starting, or is not ours) the records are checked first.
        :returns: ``(instance, migration, result)``.
        """
        job = self.job(migration_id)
        if job is not None and job.instance is not None:
            if job.post_copy and states.RUNNING_POST_COPY not in statuses:
                raise jobs.Ignored('Migration %s is running (post-copy); '
                                   'cannot %s it.' % (migration_id, what))
            try:
                result = method(job.instance)
            except exception.NoActiveMigrationForInstance:
                pass  # still starting, or just ended: the slow path says
            else:
                migration = (db_migrations.migration_get(context,
                                                         migration_id) or
                             {'id': migration_id})
                return job.instance, migration, result
        instance, migration = self._current(
            context, instance_uuid, migration_id, statuses, what)
        return instance, migration, self._driver_call(migration_id, method,
                                                      instance)

    # -- helpers -----------------------------------------------------------

    def _current(self, context, instance_uuid, migration_id, statuses,
                 what):
        migration = db_migrations.migration_get_by_id_and_instance(
            context, migration_id, instance_uuid)
        instance = db_instances.instance_get(context, instance_uuid)
        if migration is None or instance is None:
            raise jobs.Ignored('Migration %s of server %s not found.'
                               % (migration_id, instance_uuid))
        if migration['status'] not in statuses:
            raise jobs.Ignored('Migration %s is %s; cannot %s it.' % (
                migration_id, migration['status'], what))
        return instance, migration

    def _driver_call(self, migration_id, method, instance):
        """Call the driver, waiting briefly for a copy that is starting."""
        deadline = time.monotonic() + DRIVER_START_WAIT
        while True:
            try:
                return method(instance)
            except exception.NoActiveMigrationForInstance:
                job = self.job(migration_id)
                if (job is None or job.done.is_set() or
                        time.monotonic() > deadline):
                    raise
                job.done.wait(0.05)

    def _failed_action(self, event, what, migration_id, exc):
        if isinstance(exc, jobs.Ignored):
            LOG.info('Ignoring %(what)s of migration %(id)s: %(why)s',
                     {'what': what, 'id': migration_id, 'why': exc})
        else:
            LOG.exception('The %(what)s of migration %(id)s failed',
                          {'what': what, 'id': migration_id})
        event.finish(False, jobs.describe(exc),
                     reasons.action_not_done(what, exc))


class ComputeEndpoint:
    """What the RPC server exposes: the three casts, nothing else.

    oslo.messaging dispatches to every public method of an endpoint; the
    manager's own (start-up, shutdown, status swaps) must not be callable
    from the bus. From 1.1 each cast names its committed action
    (``action_id``); a 1.0 cast is matched to the migration's pending ones.
    """

    target = messaging.Target(version='1.2')

    def __init__(self, manager):
        self._manager = manager

    def live_migration(self, context, instance_uuid, migration_id,
                       block_migration, action_id=None):
        self._manager.take_cast(context, names.START, instance_uuid,
                                migration_id, block_migration, action_id)

    def live_migration_force_complete(self, context, instance_uuid,
                                      migration_id, action_id=None):
        self._manager.take_cast(context, names.FORCE_COMPLETE, instance_uuid,
                                migration_id, action_id=action_id)

    def live_migration_abort(self, context, instance_uuid, migration_id,
                             action_id=None):
        self._manager.take_cast(context, names.ABORT, instance_uuid,
                                migration_id, action_id=action_id)

    def live_migration_tune(self, context, instance_uuid, migration_id,
                            action_id=None):
        """1.2: its values are in the action's row."""
        self._manager.take_cast(context, names.TUNE, instance_uuid,
                                migration_id, action_id=action_id)
