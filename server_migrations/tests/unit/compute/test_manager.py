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

"""The migration lifecycle through casts to a real in-process agent."""

from server_migrations.tests.unit.compute import agent_base

BUSY = agent_base.BUSY


class LifecycleTest(agent_base.AgentTestCase):

    def test_migration_completes_and_moves_the_server(self):
        uuid, mid = self.start_migration()
        migration = self.wait_status(mid)
        self.assertEqual('completed', migration['status'])
        self.assertEqual(64 * 1024 * 1024, migration['memory_total'])
        self.assertEqual(0, migration['memory_remaining'])
        self.assertGreaterEqual(migration['memory_processed'],
                                migration['memory_total'])
        self.assert_on_destination(uuid)
        event = self.migration_event(uuid)
        self.assertEqual(('compute_live_migration', 'Success', self.src),
                         (event['event'], event['result'], event['host']))

    def test_block_migration_reports_disk_progress(self):
        self.conf.set_override('bandwidth_mbps', 8192, group='fake_driver')
        for block, disk in ((True, 1024 ** 3), ('auto', 1024 ** 3),
                            (False, 0)):
            _uuid, mid = self.start_migration(
                guest={'disk_gb': 1}, block_migration=block)
            migration = self.wait_status(mid)
            self.assertEqual('completed', migration['status'])
            self.assertEqual(disk, migration['disk_total'])
            self.assertEqual(disk, migration['disk_processed'])
            self.assertEqual(0, migration['disk_remaining'])

    def test_progress_moves_while_running_then_abort(self):
        uuid, mid = self.start_migration(guest=BUSY)
        first = self.wait_running_with_progress(mid)
        agent_base.wait_for(
            lambda: (self.migration(mid)['memory_processed'] >
                     first['memory_processed']), what='more progress')
        self.assertEqual('migrating', self.server(uuid)['task_state'])
        action = self.act('abort', uuid, mid)
        self.assertEqual('cancelled', self.wait_status(mid)['status'])
        self.assert_on_source(uuid)
        event = self.event(action)
        self.assertEqual(('compute_live_migration_abort', 'Success'),
                         (event['event'], event['result']))
        self.assertEqual(['live_migration_abort.start',
                          'live_migration_abort.end'],
                         self.notifier.types(mid))
        payload = self.notifier.sent[-1][1]
        self.assertEqual(uuid, payload['server']['uuid'])
        self.assertEqual('cancelled', payload['migration']['status'])
        self.assertEqual('Error', self.migration_event(uuid)['result'])

    def test_force_complete_switches_to_post_copy(self):
        uuid, mid = self.start_migration(guest=dict(BUSY, memory_mb=512))
        self.conf.set_override('bandwidth_mbps', 512, group='fake_driver')
        self.wait_running_with_progress(mid)
        action = self.act('force_complete', uuid, mid)
        event = self.event(action)
        self.assertEqual(('compute_live_migration_force_complete',
                          'Success'), (event['event'], event['result']))
        self.assertEqual('completed', self.wait_status(mid)['status'])
        self.assert_on_destination(uuid)
        self.assertEqual(['live_migration_force_complete.start',
                          'live_migration_force_complete.end'],
                         self.notifier.types(mid))

    def test_post_copy_status_is_visible(self):
        # Slow enough that post-copy lasts: the status says so meanwhile.
        self.conf.set_override('bandwidth_mbps', 5, group='fake_driver')
        uuid, mid = self.start_migration(guest=dict(BUSY, memory_mb=4096))
        self.wait_running_with_progress(mid)
        self.act('force_complete', uuid, mid)
        self.wait_status(mid, 'running (post-copy)')
        # Post-copy cannot be aborted: the abort is refused and recorded.
        action = self.act('abort', uuid, mid)
        event = self.event(action)
        self.assertEqual('Error', event['result'])
        self.assertIn('running (post-copy)', event['traceback'])
        self.assertEqual('running (post-copy)', self.migration(mid)['status'])
        # Still copying when the agent's shutdown budget runs out: it is
        # settled rather than left in flight, where the hypervisor has the
        # guest since the switch: on the destination.
        self.stop_agent(timeout=0.5)
        self.assertEqual('completed', self.migration(mid)['status'])
        self.assert_on_destination(uuid)

    def test_force_complete_pauses_without_post_copy(self):
        self.conf.set_override('permit_post_copy', False,
                               group='fake_driver')
        uuid, mid = self.start_migration(guest=BUSY)
        self.wait_running_with_progress(mid)
        action = self.act('force_complete', uuid, mid)
        self.assertEqual('Success', self.event(action)['result'])
        self.assertEqual('completed', self.wait_status(mid)['status'])
        self.assert_on_destination(uuid)
        driver = self.agent.manager.driver
        self.assertFalse(driver.is_paused(uuid))

    def test_abort_after_a_force_complete_that_did_not_help(self):
        self.conf.set_override('permit_post_copy', False,
                               group='fake_driver')
        # So slow that even a paused guest takes ages to copy.
        self.conf.set_override('bandwidth_mbps', 0.01, group='fake_driver')
        uuid, mid = self.start_migration(guest=BUSY)
        self.wait_running_with_progress(mid)
        self.assertEqual('Success', self.event(
            self.act('force_complete', uuid, mid))['result'])
        driver = self.agent.manager.driver
        self.assertTrue(driver.is_paused(uuid))
        self.assertEqual('running', self.migration(mid)['status'])
        self.assertEqual('Success', self.event(
            self.act('abort', uuid, mid))['result'])
        self.assertEqual('cancelled', self.wait_status(mid)['status'])
        self.assert_on_source(uuid)
        self.assertFalse(driver.is_paused(uuid))

    def test_abort_of_a_queued_migration(self):
        # max_concurrent_live_migrations is 1: the second one waits.
        uuid1, mid1 = self.start_migration(guest=BUSY)
        self.wait_running_with_progress(mid1)
        uuid2, mid2 = self.start_migration(guest=BUSY)
        self.wait_status(mid2, 'queued')
        action = self.act('abort', uuid2, mid2)
        self.assertEqual('Success', self.event(action)['result'])
        self.assertEqual('cancelled', self.migration(mid2)['status'])
        self.assert_on_source(uuid2)
        self.assertEqual('running', self.migration(mid1)['status'])
        self.assertEqual(['live_migration_abort.start',
                          'live_migration_abort.end'],
                         self.notifier.types(mid2))
        self.act('abort', uuid1, mid1)
        self.assertEqual('cancelled', self.wait_status(mid1)['status'])
        # The cancelled one never ran: no progress was ever written.
        self.assertIsNone(self.migration(mid2)['memory_total'])
        self.assertEqual('Error', self.migration_event(uuid2)['result'])

    def test_abort_while_preparing(self):
        runner = self.agent.manager.runner
        entered, release = agent_base.threading.Event(), \
            agent_base.threading.Event()
        real_prepare = runner._prepare

        def held_prepare(ctx, job):
            entered.set()
            release.wait(30)
            return real_prepare(ctx, job)
        runner._prepare = held_prepare
        uuid, mid = self.start_migration(guest=BUSY)
        entered.wait(30)
        self.assertEqual('preparing', self.migration(mid)['status'])
        action = self.act('abort', uuid, mid)
        self.assertEqual('Success', self.event(action)['result'])
        release.set()
        job_event = self.migration_event(uuid)
        self.assertEqual('Error', job_event['result'])
        self.assertEqual('cancelled', self.migration(mid)['status'])
        self.assertIsNone(self.migration(mid)['memory_total'])
        self.assert_on_source(uuid)

    def test_destination_not_live_fails_in_preparation(self):
        instance = self.make_server()
        migration = self.make_migration(instance, dest_compute='nowhere',
                                        dest_node='nowhere')
        self.bare_cast('live_migration', instance['uuid'], migration['id'],
                       block_migration=False)
        self.assertEqual('failed', self.wait_status(migration['id'])[
            'status'])
        self.assert_on_source(instance['uuid'])

    def test_hypervisor_failure_and_error(self):
        uuid1, mid1 = self.start_migration(
            guest=dict(BUSY, fail_after_steps=3))
        uuid2, mid2 = self.start_migration(
            guest=dict(BUSY, error_after_steps=3))
        self.assertEqual('failed', self.wait_status(mid1)['status'])
        self.assertEqual('error', self.wait_status(mid2)['status'])
        self.assert_on_source(uuid1)
        self.assert_on_source(uuid2)
        event = self.migration_event(uuid2)
        self.assertEqual('Error', event['result'])
        self.assertIn('Simulated hypervisor error', event['traceback'])
        self.assertIn('Traceback', event['traceback'])
