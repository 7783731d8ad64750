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

"""The stall policy: what is done to a migration that stopped progressing.

``[compute] live_migration_progress_timeout`` seconds without progress (a
``convergence.Verdict`` whose ``stalled_for`` reaches it) and the agent
takes ``live_migration_progress_timeout_action`` once: abort, or force the
copy to complete. The reason is noted on the job first, so the migration
ends saying why; the notification ``live_migration.stalled`` goes out
before the action.

The verdict arrives in the driver's copy or monitor thread, which must not
wait for its own job (libvirt queues a force-complete for that very
thread): the action runs in a short-lived thread of its own, bounded by
the driver's deadlines.
"""

import threading

from oslo_log import log as logging

from server_migrations.compute import notifications
from server_migrations.compute import reasons
from server_migrations.db import migrations as db_migrations
from server_migrations import migration_states as states
from server_migrations.virt import driver as virt_driver

LOG = logging.getLogger(__name__)

ABORT = 'abort'
FORCE_COMPLETE = 'force_complete'


def _spawn(target, *args):
    threading.Thread(target=target, args=args, daemon=True,
                     name='live-migration-stall').start()


class StallPolicy:
    """Called with every verdict (``jobs.Monitor``'s ``on_verdict``).

    :param timeout: seconds without progress; 0 or None: off.
    :param action: ``abort`` or ``force_complete``.
    """

    def __init__(self, timeout, action, driver, notifier, spawn=_spawn):
        self.timeout = timeout
        self.action = action
        self._driver = driver
        self._notifier = notifier
        self._spawn = spawn

    def __call__(self, context, job, verdict):
        if (not self.timeout or job.stall_handled or
                verdict.converging is not False or
                verdict.stalled_for < self.timeout):
            return
        job.stall_handled = True
        stalled_for = verdict.stalled_for
        LOG.warning('Live migration %(id)s has made no progress for %(s).1f '
                    's (dirty rate %(dirty)s B/s, transfer rate %(bps)s '
                    'B/s); action: %(action)s.',
                    {'id': job.migration_id, 's': stalled_for,
                     'dirty': verdict.dirty_rate,
                     'bps': verdict.transfer_rate, 'action': self.action})
        reason = reasons.progress_timeout(stalled_for, self.action)
        if self.action == ABORT:
            job.note_reason(reason)
        else:
            job.completed_reason = reasons.forced_after_progress_timeout(
                stalled_for)
        self._spawn(self._act, context, job, reason)

    def _act(self, context, job, reason):
        try:
            migration = db_migrations.migration_get(context, job.migration_id)
            if migration is not None and job.instance is not None:
                self._notifier.notify(context, notifications.LIVE_MIGRATION,
                                      notifications.STALLED, job.instance,
                                      migration)
        except Exception:
            LOG.exception('Could not announce the stall of migration %s',
                          job.migration_id)
        try:
            if self.action == ABORT:
                self._driver.live_migration_abort(job.instance)
                return
            result = self._driver.live_migration_force_complete(job.instance)
            if result == virt_driver.POST_COPY:
                job.post_copy = True
                db_migrations.migration_update(
                    context, job.migration_id,
                    {'status': states.RUNNING_POST_COPY},
                    expected_status=states.RUNNING)
        except Exception:
            LOG.exception('The %s of stalled migration %s failed; it goes on '
                          'as it was', self.action, job.migration_id)
            if job.reason == reason:
                job.reason = None
            job.completed_reason = None
