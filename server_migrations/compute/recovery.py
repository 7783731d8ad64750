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

from server_migrations.compute import jobs
from server_migrations import context as sm_context
from server_migrations.db import agent_actions
from server_migrations.db import api as db_api

LOG = logging.getLogger(__name__)


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
                'cancelled', jobs.NOT_STARTED,
                detail='The compute agent stopped')
            if won:
                self.cancel_queued(job.migration_id)
            elif status == 'running':
                instance = db_api.instance_get(job.context,
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
            self.settle(job.context, job.migration_id, job.instance_uuid,
                        'error', jobs.RUNNING,
                        detail='The compute agent stopped mid-migration')
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
        for migration in db_api.migrations_in_flight_by_host(ctx, self.host):
            if (migration['source_compute'] != self.host or
                    migration['migration_type'] != 'live-migration'):
                continue
            if migration['status'] == 'accepted':
                if agent_actions.pending_for_migration(
                        ctx, migration['id'], 'live_migration'):
                    continue
                detail = 'Its start request was lost'
            else:
                detail = 'The compute agent restarted mid-migration'
                instance = db_api.instance_get(ctx,
                                               migration['instance_uuid'])
                if instance is not None:
                    try:
                        self.driver.live_migration_abort(instance)
                    except Exception:
                        LOG.debug('Nothing to abort for %s',
                                  instance['uuid'])
            won, _status = self.settle(
                ctx, migration['id'], migration['instance_uuid'], 'error',
                (migration['status'],), detail=detail)
            if won:
                LOG.warning('Migration %(id)s was %(status)s when this agent '
                            'stopped; it is now "error": %(why)s',
                            {'id': migration['id'],
                             'status': migration['status'], 'why': detail})
