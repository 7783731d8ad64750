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

"""Running a migration: accepted, queued, preparing, copying, ended.

The agent is the only writer of a migration's status, and every change is
a compare-and-swap on the status it expects (``db_migrations.migration_update``
with ``expected_status``); the terminal one goes through ``endings``.
"""

from oslo_log import log as logging

from server_migrations import compute
from server_migrations.compute import events
from server_migrations.compute import job as compute_job
from server_migrations.compute import monitor as compute_monitor
from server_migrations.compute import notifications
from server_migrations.compute import reasons
from server_migrations.compute import stall
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import services as db_services
from server_migrations import exception
from server_migrations import migration_states as states
from server_migrations.virt import driver as virt_driver

LOG = logging.getLogger(__name__)


class Runner:
    """Takes the migrations of agent ``host`` from start request to end.

    :param jobs: the agent's ``registry.JobRegistry``.
    :param endings: the agent's ``endings.Endings``.
    """

    def __init__(self, conf, host, driver, notifier, jobs, endings):
        self.conf = conf
        self.host = host
        self.driver = driver
        self.jobs = jobs
        self.endings = endings
        self.stall_policy = stall.StallPolicy(
            conf.compute.live_migration_progress_timeout,
            conf.compute.live_migration_progress_timeout_action,
            driver, notifier)
        self.progress_notices = notifications.ProgressNotices(
            notifier,
            conf.compute.live_migration_progress_notification_interval)

    def accept(self, context, instance_uuid, migration_id, block_migration,
               event):
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
        if self.jobs.stopping.is_set():
            self._not_taken(context, migration_id, instance_uuid, event,
                            (states.ACCEPTED,))
            return
        claimed = event.agent_action_id is not None
        if claimed:
            # Open before the migration can end: whoever ends it (an
            # abort, a shutdown) closes this event with the reason. Only
            # for a claimed action, which no duplicate cast can reach.
            _open(event, migration_id)
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
            _open(event, migration_id)
        # "auto" (microversion 2.25 and later) means: copy the disks unless
        # they are on storage both hosts share; the driver knows which.
        block = (block_migration if block_migration == 'auto'
                 else bool(block_migration))
        job = compute_job.Job(context, migration_id, instance_uuid, block,
                              event)
        if not self.jobs.submit(job, self._run_job, self._job_done):
            self._not_taken(context, migration_id, instance_uuid, event,
                            states.NOT_STARTED)

    def _not_taken(self, context, migration_id, instance_uuid, event,
                   expected):
        """The agent stops: the migration is cancelled, not started."""
        self.endings.settle(context, migration_id, instance_uuid,
                            states.CANCELLED, expected,
                            reason=reasons.AGENT_STOPPED)
        # Unless the settle closed it already.
        event.finish(False, reasons.AGENT_STOPPED, reasons.AGENT_STOPPED)

    def _run_job(self, job):
        try:
            self.run(job)
        except Exception as exc:
            LOG.exception('Migration %s broke', job.migration_id)
            self.endings.settle(job.context, job.migration_id,
                                job.instance_uuid, states.ERROR,
                                states.IN_FLIGHT,
                                reason=reasons.agent_error(exc),
                                traceback=events.describe(exc))

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

    def run(self, job):
        """Prepare and run one migration (in the bounded executor)."""
        ctx = job.context
        if self.jobs.stopping.is_set():
            # Taken from the queue while the agent stops: cancelled as not
            # started here, before its job closes the event (the stop
            # would do it too, but may reach this job only later).
            self.endings.settle(ctx, job.migration_id, job.instance_uuid,
                                states.CANCELLED, states.NOT_STARTED,
                                reason=reasons.AGENT_STOPPED)
            return
        if not self._swap(job, states.QUEUED, states.PREPARING, 'starting'):
            return
        try:
            instance, migration = self._prepare(ctx, job)
        except exception.ServerMigrationsException as exc:
            self.endings.settle(
                ctx, job.migration_id, job.instance_uuid, states.FAILED,
                (states.PREPARING,), reason=getattr(exc, 'reason', None) or
                reasons.not_startable(exc.format_message()))
            return
        if not self._swap(job, states.PREPARING, states.RUNNING, 'running'):
            return
        migration['status'] = states.RUNNING
        job.instance = instance
        monitor = compute_monitor.Monitor(ctx, job.migration_id, job,
                                          on_verdict=self._on_verdict)
        try:
            result = self.driver.live_migration(
                instance, migration, migration['dest_compute'],
                job.block_migration, monitor)
        except Exception as exc:
            LOG.exception('Live migration %s failed with an error',
                          job.migration_id)
            self._end(job, states.ERROR, reason=reasons.hypervisor_error(exc),
                      traceback=events.describe(exc))
            return
        if result == virt_driver.COMPLETED:
            self._end(job, states.COMPLETED, dest=migration,
                      reason=job.completed_reason)
        elif result == virt_driver.CANCELLED:
            won, current = self._end(
                job, states.CANCELLED,
                reason=job.reason or reasons.HYPERVISOR_CANCELLED)
            if won is False and current == states.RUNNING_POST_COPY:
                # Recorded as post-copy, which cannot be cancelled, yet the
                # hypervisor says the copy was: never leave it in flight.
                self._end(job, states.ERROR,
                          reason=reasons.CANCELLED_IN_POST_COPY)
        else:
            self._end(job, states.FAILED,
                      reason=job.reason or reasons.HYPERVISOR_FAILED)

    @staticmethod
    def _swap(job, expected, status, doing):
        """``expected`` → ``status``; :returns: whether it moved."""
        won, current = db_migrations.migration_update(
            job.context, job.migration_id, {'status': status},
            expected_status=expected)
        if not won:
            LOG.info('Migration %(id)s is %(status)s; not %(doing)s it',
                     {'id': job.migration_id, 'status': current,
                      'doing': doing})
        return won

    def _end(self, job, status, **kwargs):
        """The hypervisor's outcome of a copy: durable.

        :returns: ``(won, status)`` as ``Endings.settle``.
        """
        return self.endings.settle(job.context, job.migration_id,
                                   job.instance_uuid, status, states.COPYING,
                                   durable=True, **kwargs)

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
            ctx, compute.BINARY, self.conf.service_down_time)
            if s['host'] == dest]
        if not services:
            exc = exception.ServerMigrationsException(
                'Destination %s is not a live compute agent.' % dest)
            exc.reason = reasons.destination_down(dest)
            raise exc
        return instance, migration


def _open(event, migration_id):
    try:
        event.open()
    except Exception:
        LOG.warning('Could not record the start of migration %s yet',
                    migration_id)
