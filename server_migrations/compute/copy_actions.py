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

"""What is asked of a migration once started: force-complete, abort, tune.

Each runs on one guarded path: under the migration's action lock (actions
on one migration apply in order), the driver acts first on the copy this
agent runs and the records are written after; an action that fails or does
not apply closes its event ``Error`` with the reason.
"""

import functools
import time

from oslo_log import log as logging

from server_migrations.compute import events
from server_migrations.compute import notifications
from server_migrations.compute import reasons
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations import exception
from server_migrations import migration_states as states
from server_migrations.virt import driver as virt_driver

LOG = logging.getLogger(__name__)

# How long an action waits for the copy to register with the driver (the
# status is already "running" but the driver has not started yet).
DRIVER_START_WAIT = 10.0


def finish_abort(event, status):
    """Close the event of an abort when its migration ended as ``status``."""
    if status == states.CANCELLED:
        event.finish(True)
    else:
        event.finish(False, 'The migration ended as %s before the abort '
                            'took effect' % status,
                     details=reasons.action_not_done(
                         'abort', 'the migration ended as %s' % status))


class CopyActions:
    """The actions an agent takes on the migrations it runs.

    :param jobs: the agent's ``registry.JobRegistry``.
    :param endings: the agent's ``endings.Endings``.
    """

    def __init__(self, driver, notifier, jobs, endings):
        self.driver = driver
        self.notifier = notifier
        self.jobs = jobs
        self.endings = endings

    def force_complete(self, context, instance_uuid, migration_id, event):
        """Post-copy, or pause the guest, so the copy converges."""
        self._guarded('force-complete', migration_id, event, functools.partial(
            self._force_complete, context, instance_uuid, migration_id))

    def tune(self, context, instance_uuid, migration_id, event, parameters):
        """Apply a new maximum downtime (ms) or bandwidth (MiB/s) to a copy."""
        self._guarded('tune', migration_id, event, functools.partial(
            self._tune, context, instance_uuid, migration_id, parameters))

    def abort(self, context, instance_uuid, migration_id, event):
        """Cancel a migration; the server stays on its source.

        A running copy is aborted in the driver at once; the event is closed
        by whoever settles the migration (``Job.on_end``), so no RPC thread
        waits for the copy to stop.
        """
        self._guarded('abort', migration_id, event, functools.partial(
            self._abort, context, instance_uuid, migration_id, event))

    def _guarded(self, what, migration_id, event, act):
        """Run ``act()`` under the migration's lock; close its event.

        :param act: returns True when the action is done (its event ends
            ``Success`` now), False when its event is closed later.
        """
        with self.jobs.action_lock(migration_id):
            try:
                done = act()
            except Exception as exc:
                if isinstance(exc, exception.ActionIgnored):
                    LOG.info('Ignoring %(what)s of migration %(id)s: '
                             '%(why)s', {'what': what, 'id': migration_id,
                                         'why': exc})
                else:
                    LOG.exception('The %(what)s of migration %(id)s failed',
                                  {'what': what, 'id': migration_id})
                event.finish(False, events.describe(exc),
                             reasons.action_not_done(what, exc))
                return
        if done:
            event.finish(True)

    def _force_complete(self, context, instance_uuid, migration_id):
        instance, migration, result = self._act_first(
            context, instance_uuid, migration_id, (states.RUNNING,),
            'force complete', self.driver.live_migration_force_complete)
        if result == virt_driver.POST_COPY:
            job = self.jobs.get(migration_id)
            if job is not None:
                job.post_copy = True
            db_migrations.migration_update(
                context, migration_id, {'status': states.RUNNING_POST_COPY},
                expected_status=states.RUNNING)
        LOG.info('Force-complete of migration %(id)s: %(result)s',
                 {'id': migration_id, 'result': result})
        self.notifier.notify(context, notifications.FORCE_COMPLETE, 'start',
                             instance, migration)
        self.notifier.notify(
            context, notifications.FORCE_COMPLETE, 'end', instance,
            db_migrations.migration_get(context, migration_id) or migration)
        return True

    def _tune(self, context, instance_uuid, migration_id, parameters):
        if not parameters:
            raise exception.ActionIgnored('Nothing to tune for migration %s.'
                                          % migration_id)
        self._act_first(
            context, instance_uuid, migration_id, (states.RUNNING,), 'tune',
            lambda instance: self.driver.live_migration_tune(instance,
                                                             **parameters))
        LOG.info('Tuned migration %(id)s: %(values)s',
                 {'id': migration_id, 'values': parameters})
        return True

    def _abort(self, context, instance_uuid, migration_id, event):
        job = self.jobs.get(migration_id)
        if job is None or job.instance is None:
            instance, migration = self._current(
                context, instance_uuid, migration_id, states.AGENT_ABORTABLE,
                'abort')
            if migration['status'] != states.RUNNING:
                return self._abort_not_started(context, instance, migration,
                                               event)
        # Noted before the driver call, so the copy that stops says why.
        reason = reasons.aborted_by_request(context.request_id)
        if job is not None:
            job.note_reason(reason)
        try:
            instance, migration, _result = self._act_first(
                context, instance_uuid, migration_id, (states.RUNNING,),
                'abort', self.driver.live_migration_abort)
        except Exception:
            job = self.jobs.get(migration_id)
            if job is not None and job.reason == reason:
                job.reason = None  # refused: the copy goes on
            raise
        job = self.jobs.get(migration_id)
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
            finish_abort(event, status)
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
        return False

    def _abort_not_started(self, context, instance, migration, event):
        migration_id = migration['id']
        won, status = self.endings.settle(
            context, migration_id, instance['uuid'], states.CANCELLED,
            states.NOT_STARTED,
            reason=reasons.aborted_by_request(context.request_id))
        if not won:
            if status == states.RUNNING:
                # It started meanwhile: abort the copy.
                return self._abort(context, instance['uuid'], migration_id,
                                   event)
            raise exception.ActionIgnored(
                'Migration %s is %s; cannot abort it.' % (migration_id,
                                                          status))
        self.jobs.cancel_queued(migration_id)
        self.notifier.notify(context, notifications.ABORT, 'start',
                             instance, migration)
        self.notifier.notify(
            context, notifications.ABORT, 'end', instance,
            db_migrations.migration_get(context, migration_id))
        return True

    def _act_first(self, context, instance_uuid, migration_id, statuses,
                   what, method):
        """Call ``method`` on the running copy, then check the records.

        The fast path: this agent runs the copy, so the driver acts on it
        without reading the database first. Otherwise (the copy is still
        starting, or is not ours) the records are checked first.
        :returns: ``(instance, migration, result)``.
        """
        job = self.jobs.get(migration_id)
        if job is not None and job.instance is not None:
            if job.post_copy and states.RUNNING_POST_COPY not in statuses:
                raise exception.ActionIgnored(
                    'Migration %s is running (post-copy); cannot %s it.'
                    % (migration_id, what))
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

    @staticmethod
    def _current(context, instance_uuid, migration_id, statuses, what):
        migration = db_migrations.migration_get_by_id_and_instance(
            context, migration_id, instance_uuid)
        instance = db_instances.instance_get(context, instance_uuid)
        if migration is None or instance is None:
            raise exception.ActionIgnored(
                'Migration %s of server %s not found.' % (migration_id,
                                                          instance_uuid))
        if migration['status'] not in statuses:
            raise exception.ActionIgnored('Migration %s is %s; cannot %s it.'
                                          % (migration_id,
                                             migration['status'], what))
        return instance, migration

    def _driver_call(self, migration_id, method, instance):
        """Call the driver, waiting briefly for a copy that is starting."""
        deadline = time.monotonic() + DRIVER_START_WAIT
        while True:
            try:
                return method(instance)
            except exception.NoActiveMigrationForInstance:
                job = self.jobs.get(migration_id)
                if (job is None or job.done.is_set() or
                        time.monotonic() > deadline):
                    raise
                job.done.wait(0.05)
