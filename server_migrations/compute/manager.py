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
a compare-and-swap on the status it expects (``db_api.migration_update``
with ``expected_status``), done in one transaction with the matching change
of the server. Whatever races (an abort, a force-complete, the copy itself,
a shutdown), exactly one of them moves a migration to its terminal status,
and the server's ``host``/``node``/``task_state`` agree with it.
"""

import time

from oslo_log import log as logging
import oslo_messaging as messaging

from server_migrations.compute import jobs
from server_migrations.compute import notifications
from server_migrations.compute import recovery
from server_migrations.db import api as db_api
from server_migrations import exception
from server_migrations.virt import driver as virt_driver

LOG = logging.getLogger(__name__)

# How long an action waits for the copy to register with the driver (the
# status is already "running" but the driver has not started yet), and
# for an aborted copy to stop.
DRIVER_START_WAIT = 10.0
ABORT_SETTLE_WAIT = 30.0


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
        super().__init__()

    # -- live_migration ----------------------------------------------------

    def live_migration(self, context, instance_uuid, migration_id,
                       block_migration):
        """Accept a migration into the queue (``accepted`` → ``queued``)."""
        migration = db_api.migration_get_by_id_and_instance(
            context, migration_id, instance_uuid)
        if migration is None or migration['source_compute'] != self.host:
            LOG.warning('Ignoring live_migration of migration %(id)s: no '
                        'such migration of server %(uuid)s with source '
                        '%(host)s', {'id': migration_id,
                                     'uuid': instance_uuid,
                                     'host': self.host})
            return
        if self.stopping.is_set():
            self.settle(context, migration_id, instance_uuid, 'cancelled',
                        ('accepted',))
            return
        won, status = db_api.migration_update(
            context, migration_id, {'status': 'queued'},
            expected_status='accepted')
        if not won:
            LOG.info('Ignoring live_migration of migration %(id)s: it is '
                     'already %(status)s (duplicate or stale cast)',
                     {'id': migration_id, 'status': status})
            return
        event = jobs.Event(context, instance_uuid, 'compute_live_migration',
                           self.host)
        # "auto" (microversion 2.25 and later) means: copy the disks unless
        # they are on storage both hosts share; the driver knows which.
        block = (block_migration if block_migration == 'auto'
                 else bool(block_migration))
        self.submit(jobs.Job(context, migration_id, instance_uuid, block,
                             event))

    def run(self, job):
        """Prepare and run one migration (in the bounded executor)."""
        ctx = job.context
        won, status = db_api.migration_update(
            ctx, job.migration_id, {'status': 'preparing'},
            expected_status='queued')
        if not won:
            LOG.info('Migration %(id)s is %(status)s; not starting it',
                     {'id': job.migration_id, 'status': status})
            return
        try:
            instance, migration = self._prepare(ctx, job)
        except exception.ServerMigrationsException as exc:
            self.settle(ctx, job.migration_id, job.instance_uuid, 'failed',
                        ('preparing',), detail=exc.format_message())
            return
        won, status = db_api.migration_update(
            ctx, job.migration_id, {'status': 'running'},
            expected_status='preparing')
        if not won:
            LOG.info('Migration %(id)s is %(status)s; not running it',
                     {'id': job.migration_id, 'status': status})
            return
        migration['status'] = 'running'
        monitor = jobs.Monitor(ctx, job.migration_id)
        try:
            result = self.driver.live_migration(
                instance, migration, migration['dest_compute'],
                job.block_migration, monitor)
        except Exception as exc:
            LOG.exception('Live migration %s failed with an error',
                          job.migration_id)
            self.settle(ctx, job.migration_id, job.instance_uuid, 'error',
                        jobs.RUNNING, detail=jobs.describe(exc))
            return
        if result == virt_driver.COMPLETED:
            self.settle(ctx, job.migration_id, job.instance_uuid,
                        'completed', jobs.RUNNING, dest=migration)
        elif result == virt_driver.CANCELLED:
            self.settle(ctx, job.migration_id, job.instance_uuid,
                        'cancelled', jobs.RUNNING)
        else:
            self.settle(ctx, job.migration_id, job.instance_uuid, 'failed',
                        jobs.RUNNING, detail='The hypervisor reported the '
                                             'migration as %s' % result)

    def _prepare(self, ctx, job):
        """Check that the move still makes sense before copying anything."""
        instance = db_api.instance_get(ctx, job.instance_uuid)
        migration = db_api.migration_get(ctx, job.migration_id)
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
        services = [s for s in db_api.service_get_live(
            ctx, jobs.BINARY, self.conf.service_down_time)
            if s['host'] == dest]
        if not services:
            raise exception.ServerMigrationsException(
                'Destination %s is not a live compute agent.' % dest)
        return instance, migration

    # -- force complete ----------------------------------------------------

    def live_migration_force_complete(self, context, instance_uuid,
                                      migration_id):
        """Post-copy, or pause the guest, so the copy converges."""
        event = jobs.Event(context, instance_uuid,
                           'compute_live_migration_force_complete', self.host)
        with self.action_lock(migration_id):
            try:
                instance, migration = self._current(
                    context, instance_uuid, migration_id, ('running',),
                    'force complete')
                self.notifier.notify(context, notifications.FORCE_COMPLETE,
                                     'start', instance, migration)
                result = self._driver_call(
                    migration_id, self.driver.live_migration_force_complete,
                    instance)
                if result == virt_driver.POST_COPY:
                    db_api.migration_update(
                        context, migration_id,
                        {'status': 'running (post-copy)'},
                        expected_status='running')
                LOG.info('Force-complete of migration %(id)s: %(result)s',
                         {'id': migration_id, 'result': result})
                self.notifier.notify(
                    context, notifications.FORCE_COMPLETE, 'end', instance,
                    db_api.migration_get(context, migration_id) or migration)
            except Exception as exc:
                self._failed_action(event, 'force-complete', migration_id,
                                    exc)
                return
        event.finish(True)

    # -- abort -------------------------------------------------------------

    def live_migration_abort(self, context, instance_uuid, migration_id):
        """Cancel a migration; the server stays on its source."""
        event = jobs.Event(context, instance_uuid,
                           'compute_live_migration_abort', self.host)
        with self.action_lock(migration_id):
            try:
                self._abort(context, instance_uuid, migration_id)
            except Exception as exc:
                self._failed_action(event, 'abort', migration_id, exc)
                return
        event.finish(True)

    def _abort(self, context, instance_uuid, migration_id):
        instance, migration = self._current(
            context, instance_uuid, migration_id, jobs.ABORTABLE, 'abort')
        self.notifier.notify(context, notifications.ABORT, 'start',
                             instance, migration)
        status = migration['status']
        if status != 'running':
            won, status = self.settle(
                context, migration_id, instance_uuid, 'cancelled',
                jobs.NOT_STARTED, detail='Aborted before it started')
            if won:
                self.cancel_queued(migration_id)
                self.notifier.notify(
                    context, notifications.ABORT, 'end', instance,
                    db_api.migration_get(context, migration_id))
                return
            if status != 'running':
                raise jobs.Ignored('Migration %s is %s; cannot abort it.'
                                   % (migration_id, status))
        self._driver_call(migration_id, self.driver.live_migration_abort,
                          instance)
        job = self.job(migration_id)
        if job is not None:
            job.done.wait(ABORT_SETTLE_WAIT)
        final = db_api.migration_get(context, migration_id)
        if final['status'] != 'cancelled':
            raise jobs.Ignored('Migration %s ended as %s despite the abort.'
                               % (migration_id, final['status']))
        self.notifier.notify(context, notifications.ABORT, 'end',
                             db_api.instance_get(context, instance_uuid),
                             final)

    # -- helpers -----------------------------------------------------------

    def _current(self, context, instance_uuid, migration_id, statuses,
                 what):
        migration = db_api.migration_get_by_id_and_instance(
            context, migration_id, instance_uuid)
        instance = db_api.instance_get(context, instance_uuid)
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
        event.finish(False, jobs.describe(exc))


class ComputeEndpoint:
    """What the RPC server exposes: the three casts, nothing else.

    oslo.messaging dispatches to every public method of an endpoint; the
    manager's own (start-up, shutdown, status swaps) must not be callable
    from the bus.
    """

    target = messaging.Target(version='1.0')

    def __init__(self, manager):
        self._manager = manager

    def live_migration(self, context, instance_uuid, migration_id,
                       block_migration):
        self._manager.live_migration(context, instance_uuid, migration_id,
                                     block_migration)

    def live_migration_force_complete(self, context, instance_uuid,
                                      migration_id):
        self._manager.live_migration_force_complete(context, instance_uuid,
                                                    migration_id)

    def live_migration_abort(self, context, instance_uuid, migration_id):
        self._manager.live_migration_abort(context, instance_uuid,
                                           migration_id)
