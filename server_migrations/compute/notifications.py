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

"""Notifications the agent emits about force-complete, abort and stalls."""

import datetime
import time

from oslo_log import log as logging

from server_migrations import migration_states as states
from server_migrations import rpc

LOG = logging.getLogger(__name__)

FORCE_COMPLETE = 'live_migration_force_complete'
ABORT = 'live_migration_abort'
# A running migration: live_migration.stalled (the stall policy acts).
LIVE_MIGRATION = 'live_migration'
STALLED = 'stalled'
# ... and live_migration.progress every so often while it runs.
PROGRESS = 'progress'

_SERVER_FIELDS = ('uuid', 'display_name', 'project_id', 'user_id', 'host',
                  'node', 'vm_state', 'task_state')
_MIGRATION_FIELDS = ('id', 'uuid', 'instance_uuid', 'status',
                     'migration_type', 'source_compute', 'source_node',
                     'dest_compute', 'dest_node', 'dest_host',
                     *states.PROGRESS_FIELDS, 'created_at', 'updated_at')


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def payload(instance, migration):
    """The JSON-able payload: the server and the migration."""
    return {
        'server': {k: _plain(instance.get(k)) for k in _SERVER_FIELDS},
        'migration': {k: _plain(migration.get(k)) for k in _MIGRATION_FIELDS},
    }


def convergence_payload(instance, migration, verdict):
    """``payload`` plus the agent's verdict (``compute.convergence``)."""
    body = payload(instance, migration)
    body['convergence'] = dict(verdict._asdict())
    return body


class ProgressNotices:
    """Sends ``live_migration.progress`` at most every ``interval`` s.

    Called with every verdict of a running migration; 0 turns it off.
    """

    def __init__(self, notifier, interval, clock=time.monotonic):
        self._notifier = notifier
        self.interval = interval
        self._clock = clock

    def __call__(self, context, job, verdict, migration_get):
        if not self.interval or job.instance is None:
            return
        now = self._clock()
        if (job.last_progress_notice is not None and
                now - job.last_progress_notice < self.interval):
            return
        job.last_progress_notice = now
        migration = migration_get(context, job.migration_id)
        if migration is not None:
            self._notifier.send(context, '%s.%s' % (LIVE_MIGRATION, PROGRESS),
                                convergence_payload(job.instance, migration,
                                                    verdict))


class Notifier:
    """Sends ``<event>.start`` / ``<event>.end`` at INFO priority.

    A notification that cannot be sent is logged and dropped: it must never
    change the outcome of the operation it describes.
    """

    def __init__(self, conf, host, notifier=None):
        self._notifier = notifier or rpc.get_notifier(
            conf, publisher_id='server-migrations-compute.%s' % host)

    def notify(self, context, event, phase, instance, migration):
        self.send(context, '%s.%s' % (event, phase),
                  payload(instance, migration))

    def send(self, context, event_type, body):
        try:
            self._notifier.info(context, event_type, body)
        except Exception:
            LOG.exception('Could not send notification %s', event_type)
