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

"""What the driver reports of a running copy: progress, post-copy, timeout.

``Monitor`` is handed to the driver with each copy it starts.
"""

from oslo_log import log as logging

from server_migrations.compute import convergence
from server_migrations.compute import reasons
from server_migrations.db import convergence as db_convergence
from server_migrations.db import engine as db_engine
from server_migrations.db import migrations as db_migrations
from server_migrations import migration_states as states
from server_migrations.virt import driver as virt_driver

LOG = logging.getLogger(__name__)


class Monitor(virt_driver.MigrationMonitor):
    """Writes a running migration's progress; records a post-copy switch.

    Each reading also goes to a ``convergence.Tracker``; its verdict is
    kept on the job and handed to ``on_verdict(context, job, verdict)``
    (the stall policy), if given.
    """

    def __init__(self, context, migration_id, job=None, on_verdict=None,
                 tracker=None):
        self.context = context
        self.migration_id = migration_id
        self.job = job
        self.on_verdict = on_verdict
        self.tracker = tracker or convergence.Tracker()

    def progress(self, stats):
        verdict = self.tracker.update(stats)
        try:
            # One transaction for the counters and the verdict: an agent
            # with hundreds of migrations writes this every step of each.
            with db_engine.writer(self.context):
                db_migrations.migration_update_progress(
                    self.context, self.migration_id, stats)
                db_convergence.record(self.context, self.migration_id,
                                      verdict)
        except Exception:
            # A lost progress write must not break the copy itself.
            LOG.exception('Could not write progress of migration %s',
                          self.migration_id)
        if self.job is None:
            return
        self.job.verdict = verdict
        if self.on_verdict is not None:
            try:
                self.on_verdict(self.context, self.job, verdict)
            except Exception:
                LOG.exception('Could not judge the progress of migration %s',
                              self.migration_id)

    def post_copy_started(self):
        if self.job is not None:
            self.job.post_copy = True
        db_migrations.migration_update(self.context, self.migration_id,
                                       {'status': states.RUNNING_POST_COPY},
                                       expected_status=states.RUNNING)

    def timed_out(self, elapsed, action):
        if self.job is not None:
            self.job.note_reason(reasons.completion_timeout(elapsed, action))
