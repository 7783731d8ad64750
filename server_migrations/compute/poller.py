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

"""The agent's poll of the database: actions no cast brought, and expiry.

Every ``[compute] action_poll_interval`` seconds (and right after start-up)
the agent retries the outcomes its database refused (the outbox), claims the
pending actions of its host that no cast delivered (the broker was away, the
cast was dropped, or the API died before sending it), and expires the
actions of hosts whose agent has been down for longer than
``[compute] action_timeout``, so that no accepted action stays pending for
ever.
"""

import datetime

from oslo_log import log as logging
from oslo_utils import timeutils

from server_migrations import action_names as names
from server_migrations import compute
from server_migrations.compute import jobs
from server_migrations.compute import reasons
from server_migrations import context as sm_context
from server_migrations.db import agent_actions
from server_migrations.db import services as db_services
from server_migrations import migration_states as states

LOG = logging.getLogger(__name__)

# Actions read per query; a full batch is followed at once by the next.
BATCH = 100


def context_for(row):
    """The context of the request that committed action ``row``."""
    ctx = sm_context.get_admin_context(request_id=row['request_id'])
    ctx.user_id = row['user_id']
    ctx.project_id = row['project_id']
    return ctx


class ActionPoller:

    def __init__(self, conf, host, manager):
        self.conf = conf
        self.host = host
        self.manager = manager

    def poll(self):
        """One round: retry writes, take missed actions, expire dead ones.

        :returns: how many actions this round carried out.
        """
        self.manager.outbox.flush()
        taken = 0
        ctx = sm_context.get_admin_context()
        while not self.manager.stopping.is_set():
            rows = agent_actions.pending_for_host(ctx, self.host, BATCH)
            round_taken = 0
            for row in rows:
                if self.manager.stopping.is_set():
                    break
                round_taken += self._take(row)
            taken += round_taken
            if len(rows) < BATCH or not round_taken:
                break  # a full batch that moved may have more behind it
        self.expire(ctx)
        return taken

    def _take(self, row):
        try:
            if not self.manager.take_action(context_for(row), row['id']):
                return 0
        except Exception:
            LOG.exception('Could not carry out action %s', row['id'])
            return 0
        LOG.info('Took action %(id)s (%(method)s of migration %(migration)s) '
                 'from the database: its cast did not arrive',
                 {'id': row['id'], 'method': row['method'],
                  'migration': row['migration_id']})
        return 1

    def expire(self, ctx):
        """Close the actions a dead agent left pending past the timeout."""
        timeout = self.conf.compute.action_timeout
        live = {s['host'] for s in db_services.service_get_live(
            ctx, compute.BINARY, self.conf.service_down_time)}
        dead = agent_actions.hosts_with_pending(ctx) - live - {self.host}
        if not dead:
            return 0
        cutoff = timeutils.utcnow() - datetime.timedelta(seconds=timeout)
        expired = 0
        for row in agent_actions.stale(ctx, cutoff, dead):
            detail = reasons.action_expired(row['host'], timeout)
            if not agent_actions.expire(ctx, row['id'], detail):
                continue  # its agent came back and claimed it
            expired += 1
            LOG.warning('Action %(id)s (%(method)s of migration '
                        '%(migration)s) expired: %(detail)s', {
                            'id': row['id'], 'method': row['method'],
                            'migration': row['migration_id'],
                            'detail': detail})
            if row['method'] == names.START:
                # Never started: the server is no longer "migrating", and
                # the migration's end closes the start's event.
                won, _status = self.manager.settle(
                    ctx, row['migration_id'], row['instance_uuid'],
                    states.ERROR, (states.ACCEPTED,), reason=detail)
                if won:
                    continue
            jobs.Event(context_for(row), row['instance_uuid'],
                       names.EVENTS[row['method']], row['host'],
                       outbox=self.manager.outbox,
                       action_id=row['action_id']).finish(False, detail,
                                                          detail)
        return expired
