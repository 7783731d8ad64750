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

"""Agent start-up and shutdown: nothing is left "in flight" by a restart."""

import time

from oslo_log import log as logging

from server_migrations.compute import reasons
from server_migrations import context as sm_context
from server_migrations.db import agent_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations import migration_states as states
from server_migrations.virt import driver as virt_driver

LOG = logging.getLogger(__name__)

_WHERE = {virt_driver.ON_SOURCE: 'the hypervisor runs the server on the '
                                 'source',
          virt_driver.ON_DESTINATION: 'the hypervisor runs the server on '
                                      'the destination',
          virt_driver.UNKNOWN: 'the hypervisor could not tell where the '
                               'server runs'}


class StartStop:
    """Mixed into the manager: ``driver``, ``conf``, ``host``, the jobs."""

    def init_host(self):
        """Connect the driver, start the executor, settle leftovers.

        Leftovers are what a previous run of this agent left in flight.
        """
        self.driver.init_host()
        self.start_executor(
            self.conf.compute.max_concurrent_live_migrations)
        self.reconcile()

    def cleanup_host(self, timeout=25.0):
        """Cancel queued migrations, abort running ones, within timeout."""
        deadline = time.monotonic() + timeout
        self.stopping.set()
        for job in self.all_jobs():
            won, status = self.settle(
                job.context, job.migration_id, job.instance_uuid,
                states.CANCELLED, states.NOT_STARTED,
                reason=reasons.AGENT_STOPPED)
            if won:
                self.cancel_queued(job.migration_id)
            elif status == states.RUNNING:
                job.note_reason(reasons.AGENT_STOPPED_ABORTED)
                instance = db_instances.instance_get(job.context,
                                                     job.instance_uuid)
                try:
                    self.driver.live_migration_abort(instance)
                except Exception as exc:
                    LOG.warning('Could not abort migration %(id)s at '
                                'shutdown: %(exc)s',
                                {'id': job.migration_id, 'exc': exc})
        for job in self.all_jobs():
            job.done.wait(max(0.0, deadline - time.monotonic()))
        for job in self.all_jobs():
            # Still copying after the deadline: nobody will finish it.
            migration = db_migrations.migration_get(
                job.context, job.migration_id)
            if migration is not None:
                self.settle_lost(job.context, migration,
                                 reasons.AGENT_STOPPED_RUNNING, timeout=1.0)
        self.stop_executor()
        self.driver.cleanup_host()

    def reconcile(self):
        """Settle the migrations this host was running before it started.

        Their copy died with the previous process: they end as ``error``
        with the server on its source. An ``accepted`` one waits for its
        start action, which the poll takes (claims the previous run left
        open are released first); one with no such action was started by
        a request that is lost, and ends as ``error`` too.
        """
        ctx = sm_context.get_admin_context()
        released = agent_actions.release_claims(ctx, self.host)
        if released:
            LOG.warning('%d action(s) claimed by the previous run of %s '
                        'were not finished; taking them again', released,
                        self.host)
        for migration in db_migrations.migrations_in_flight_by_host(
                ctx, self.host):
            if (migration['source_compute'] != self.host or
                    migration['migration_type'] != states.LIVE_MIGRATION):
                continue
            if migration['status'] == states.ACCEPTED:
                if agent_actions.pending_for_migration(
                        ctx, migration['id'], 'live_migration'):
                    continue
                won, _status = self.settle(
                    ctx, migration['id'], migration['instance_uuid'],
                    states.ERROR, (states.ACCEPTED,),
                    reason=reasons.START_REQUEST_LOST)
                if won:
                    LOG.warning('Migration %s was accepted but its start '
                                'request is lost; it is now "error"',
                                migration['id'])
                continue
            self.settle_lost(ctx, migration, reasons.AGENT_RESTARTED)

    def settle_lost(self, ctx, migration, reason, timeout=None):
        """Settle a migration whose copy this agent no longer watches.

        The hypervisor says where the guest is (the driver stops a copy
        that can still be stopped): on the destination the migration is
        ``completed``; on the source, ``error``. When it cannot tell, a
        migration in post-copy ends ``error`` with the server on the
        destination (the guest ran there from the switch on), any other
        ``error`` on the source.
        """
        instance = db_instances.instance_get(ctx, migration['instance_uuid'])
        where = virt_driver.UNKNOWN
        if instance is not None:
            try:
                where = self.driver.recover_migration(instance, migration,
                                                      timeout=timeout)
            except Exception:
                LOG.exception('Could not ask the hypervisor where server %s '
                              'is', migration['instance_uuid'])
        post_copy = migration['status'] == states.RUNNING_POST_COPY
        if where == virt_driver.ON_DESTINATION:
            status, dest = states.COMPLETED, migration
        elif where == virt_driver.UNKNOWN and post_copy:
            status, dest = states.ERROR, migration
        else:
            status, dest = states.ERROR, None
        won, _status = self.settle(
            ctx, migration['id'], migration['instance_uuid'], status,
            (migration['status'],), dest=dest,
            reason='%s; %s' % (reason, _WHERE[where]))
        if won:
            LOG.warning('Migration %(id)s was %(was)s when this agent lost '
                        'it; it is now "%(status)s", the server on the '
                        '%(side)s (hypervisor: %(where)s)',
                        {'id': migration['id'], 'was': migration['status'],
                         'status': status, 'where': where,
                         'side': 'destination' if dest else 'source'})
        return won
