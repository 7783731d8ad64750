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

"""The stall policy: a migration without progress is aborted or forced."""

from server_migrations.compute import convergence
from server_migrations.compute import job as compute_job
from server_migrations.compute import stall
from server_migrations.db import convergence as db_convergence
from server_migrations.db import outcomes
from server_migrations.tests.unit.compute import agent_base

BUSY = agent_base.BUSY


def verdict(converging, stalled_for):
    return convergence.Verdict(converging, None, stalled_for, 3, 2.0, 1.0,
                               None)


class PolicyTest(agent_base.AgentTestCase):
    """When the policy acts, without a copy."""

    START_AGENT = False

    def setUp(self):
        super().setUp()
        self.spawned = []
        self.job = compute_job.Job(self.context, 1, 'uuid', False, None)

    def stall_policy(self, timeout, action='abort'):
        return stall.StallPolicy(timeout, action, driver=None,
                                 notifier=None,
                                 spawn=lambda *a: self.spawned.append(a))

    def test_off(self):
        self.stall_policy(0)(self.context, self.job, verdict(False, 1e6))
        self.assertEqual([], self.spawned)
        self.assertIsNone(self.job.reason)

    def test_waits_for_the_timeout_and_a_negative_verdict(self):
        policy = self.stall_policy(30)
        policy(self.context, self.job, verdict(False, 29.9))
        policy(self.context, self.job, verdict(None, 0))
        policy(self.context, self.job, verdict(True, 0))
        self.assertEqual([], self.spawned)

    def test_acts_once_and_notes_the_reason(self):
        policy = self.stall_policy(30)
        policy(self.context, self.job, verdict(False, 30.2))
        policy(self.context, self.job, verdict(False, 90))
        self.assertEqual(1, len(self.spawned))
        self.assertEqual('no progress for 30 s (not converging), action '
                         'abort', self.job.reason)

    def test_force_complete_is_the_reason_of_the_completion(self):
        policy = self.stall_policy(30, 'force_complete')
        policy(self.context, self.job, verdict(False, 31))
        self.assertIsNone(self.job.reason)
        self.assertEqual('completed after no progress for 31 s (not '
                         'converging), action force_complete',
                         self.job.completed_reason)


class StalledMigrationTest(agent_base.AgentTestCase):
    """With the simulated hypervisor, a guest that dirties too fast."""

    START_AGENT = False

    def run_stalled(self, action):
        self.conf_fixture.config(live_migration_progress_timeout=1,
                                 live_migration_progress_timeout_action=action,
                                 group='compute')
        self.start_agent()
        uuid, mid = self.start_migration(guest=BUSY)
        final = self.wait_status(mid)
        reason = outcomes.migration_reason(self.context, final)
        self.assertIn('live_migration.stalled', self.notifier.types(mid))
        return uuid, final, reason

    def test_aborted_with_the_reason(self):
        uuid, final, reason = self.run_stalled('abort')
        self.assertEqual('cancelled', final['status'])
        self.assertRegex(reason, r'^no progress for \d+ s \(not converging\)'
                                 r', action abort$')
        self.assert_on_source(uuid)

    def test_forced_to_complete_with_the_reason(self):
        uuid, final, reason = self.run_stalled('force_complete')
        self.assertEqual('completed', final['status'])
        self.assertRegex(reason, r'^completed after no progress for \d+ s')
        self.assert_on_destination(uuid)


class ProgressNoticeTest(agent_base.AgentTestCase):
    """live_migration.progress and the verdict kept for the operator."""

    START_AGENT = False

    def test_progress_notice_carries_the_verdict(self):
        self.conf_fixture.config(
            live_migration_progress_notification_interval=1,
            group='compute')
        self.start_agent()
        uuid, mid = self.start_migration(guest=BUSY)
        agent_base.wait_for(
            lambda: 'live_migration.progress' in self.notifier.types(mid),
            what='a progress notification')
        body = [p for t, p in self.notifier.sent
                if t == 'live_migration.progress'][0]
        self.assertEqual(mid, body['migration']['id'])
        self.assertEqual({'converging', 'eta', 'stalled_for', 'iteration',
                          'dirty_rate', 'transfer_rate',
                          'expected_downtime'}, set(body['convergence']))
        # The operator's tools read the same verdict from the database.
        agent_base.wait_for(
            lambda: (db_convergence.get(self.context, mid) or {}).get(
                'converging') is False, what='a stored verdict')
        self.act('abort', uuid, mid)
        self.assertEqual('cancelled', self.wait_status(mid)['status'])

    def test_off_by_default(self):
        self.start_agent()
        _uuid, mid = self.start_migration()
        self.wait_status(mid)
        self.assertNotIn('live_migration.progress', self.notifier.types(mid))
        self.assertIsNotNone(db_convergence.get(self.context, mid))
