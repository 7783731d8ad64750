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

"""How a migration ends: the one compare-and-swap to a terminal status.

Whatever races (an abort, a force-complete, the copy itself, a shutdown),
exactly one writer moves a migration to its terminal status, and in the
same transaction the server follows it and the migration's end is
recorded with its reason.
"""

import functools

from oslo_log import log as logging

from server_migrations import action_names as names
from server_migrations.compute import outbox as compute_outbox
from server_migrations.compute import reasons
from server_migrations.db import engine as db_engine
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import outcomes
from server_migrations import migration_states as states

LOG = logging.getLogger(__name__)


class Endings:
    """Ends the migrations of agent ``host``.

    :param jobs: the agent's ``registry.JobRegistry``: the job of a
        migration that ends is told (``Job.ended``).
    :param outbox: where a durable outcome the database refused waits.
    """

    def __init__(self, host, jobs, outbox):
        self.host = host
        self._jobs = jobs
        self._outbox = outbox

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
            if not compute_outbox.retriable(exc):
                raise
            self._outbox.defer(write, 'that migration %s is %s'
                               % (migration_id, status), exc)
            # Its events are written through the outbox too, after this
            # status change.
            self._tell_job(migration_id, status, traceback or reason)
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
                db_instances.instance_update(
                    context, instance_uuid, {'task_state': None},
                    expected_task_state=names.MIGRATING)
            if won:
                outcomes.record_end(context, migration_id, self.host,
                                    status == states.COMPLETED, reason,
                                    traceback)
        if won:
            LOG.info('Migration %(id)s is %(status)s: %(reason)s',
                     {'id': migration_id, 'status': status,
                      'reason': reason})
            self._tell_job(migration_id, status, traceback or reason)
        return won, current

    def _tell_job(self, migration_id, status, detail):
        job = self._jobs.get(migration_id)
        if job is not None:
            job.detail = detail
            job.ended(status)
