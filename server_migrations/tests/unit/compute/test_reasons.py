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

"""Every way a migration ends records why, on its action's final event."""

from server_migrations.compute import job as compute_job
from server_migrations.compute import monitor as compute_monitor
from server_migrations.compute import reasons
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import migrations as db_migrations
from server_migrations.db import outcomes
from server_migrations.tests.unit.compute import agent_base

BUSY = agent_base.BUSY


class _Base(agent_base.AgentTestCase):

    def final_event(self, uuid, mid):
        """The closed compute_live_migration event of the migration."""
        migration = self.migration(mid)
        action = outcomes.migration_action(self.context, migration)
        self.assertIsNotNone(action)
        events = [e for e in db_actions.action_events_get(self.context,
                                                          action['id'])
                  if e['event'] == 'compute_live_migration']
        self.assertEqual(1, len(events), events)
        self.assertIsNotNone(events[0]['finish_time'])
        return events[0]


class ReasonTest(_Base):

    def test_completed(self):
        uuid, mid = self.start_migration()
        self.assertEqual('completed', self.wait_status(mid)['status'])
        event = self.final_event(uuid, mid)
        self.assertEqual(('Success', 'completed', None),
                         (event['result'], event['details'],
                          event['traceback']))
        self.assertEqual('completed',
                         outcomes.migration_reason(self.context,
                                                   self.migration(mid)))

    def test_aborted_while_running_names_the_request(self):
        uuid, mid = self.start_migration(guest=BUSY)
        self.wait_running_with_progress(mid)
        self.act('abort', uuid, mid)
        request_id = db_actions.actions_get(
            self.context, uuid)[-1]['request_id']
        self.assertEqual('cancelled', self.wait_status(mid)['status'])
        event = self.final_event(uuid, mid)
        self.assertEqual('aborted by request %s' % request_id,
                         event['details'])
        self.assertEqual('Error', event['result'])
        # Admins see the reason as the traceback before 2.84.
        self.assertEqual(event['details'], event['traceback'])

    def test_cancelled_after_post_copy_was_recorded_is_an_error(self):
        # Not something a hypervisor should do, but if it reports a copy
        # cancelled after post-copy was recorded, the migration must still
        # end (post-copy may not become cancelled) with the server where
        # the hypervisor left it.
        uuid, mid = self.start_migration(guest=BUSY)
        self.wait_running_with_progress(mid)
        won, _status = db_migrations.migration_update(
            self.context, mid, {'status': 'running (post-copy)'},
            expected_status='running')
        self.assertTrue(won)
        self.agent.manager.driver.live_migration_abort(self.server(uuid))
        self.assertEqual('error', self.wait_status(mid)['status'])
        self.assert_on_source(uuid)
        event = self.final_event(uuid, mid)
        self.assertEqual(('Error', reasons.CANCELLED_IN_POST_COPY),
                         (event['result'], event['details']))

    def test_aborted_while_queued_names_the_request(self):
        self.conf.set_override('bandwidth_mbps', 1, group='fake_driver')
        _first, first_mid = self.start_migration(guest=BUSY)
        self.wait_status(first_mid, 'running')
        uuid, mid = self.start_migration(guest=BUSY)
        self.wait_status(mid, 'queued')
        action_id = self.act('abort', uuid, mid)
        self.assertEqual('cancelled', self.wait_status(mid)['status'])
        request_id = db_actions.actions_get(
            self.context, uuid)[-1]['request_id']
        self.assertEqual(action_id, db_actions.actions_get(self.context,
                                                           uuid)[-1]['id'])
        self.assertEqual('aborted by request %s' % request_id,
                         self.final_event(uuid, mid)['details'])

    def test_hypervisor_error_keeps_the_traceback_for_admins(self):
        uuid, mid = self.start_migration(guest=dict(BUSY,
                                                    error_after_steps=2))
        self.assertEqual('error', self.wait_status(mid)['status'])
        event = self.final_event(uuid, mid)
        self.assertTrue(event['details'].startswith(
            'hypervisor error: Simulated hypervisor error'), event)
        self.assertIn('Traceback', event['traceback'])

    def test_hypervisor_failure(self):
        uuid, mid = self.start_migration(guest=dict(BUSY,
                                                    fail_after_steps=2))
        self.assertEqual('failed', self.wait_status(mid)['status'])
        self.assertEqual(reasons.HYPERVISOR_FAILED,
                         self.final_event(uuid, mid)['details'])

    def test_destination_agent_down(self):
        instance = self.make_server()
        migration = self.make_migration(instance, dest_compute='nowhere',
                                        dest_node='nowhere')
        self.accept(instance['uuid'], migration['id'], 'live-migration',
                    'live_migration', block_migration=False)
        self.assertEqual('failed',
                         self.wait_status(migration['id'])['status'])
        self.assertEqual('destination agent down (nowhere)',
                         self.final_event(instance['uuid'],
                                          migration['id'])['details'])

    def test_stopped_agent_cancels_a_queued_one(self):
        self.conf.set_override('bandwidth_mbps', 1, group='fake_driver')
        _first, first_mid = self.start_migration(guest=BUSY)
        self.wait_status(first_mid, 'running')
        uuid, mid = self.start_migration(guest=BUSY)
        self.wait_status(mid, 'queued')
        self.stop_agent()
        self.assertEqual(reasons.AGENT_STOPPED,
                         self.final_event(uuid, mid)['details'])
        self.assertEqual(reasons.AGENT_STOPPED_ABORTED,
                         self.final_event(_first, first_mid)['details'])


class RestartReasonTest(_Base):

    START_AGENT = False

    def test_agent_restarted_while_running(self):
        instance = self.make_server()
        migration = self.make_migration(instance, status='running')
        # What the previous run left: the action and its open event.
        ctx = self.request_context()
        action_id = db_actions.action_start(ctx, instance['uuid'],
                                            'live-migration')
        db_actions.action_event_start(ctx, action_id, 'compute_live_migration',
                                      self.src)
        self.start_agent()
        self.assertEqual('error', self.migration(migration['id'])['status'])
        event = self.final_event(instance['uuid'], migration['id'])
        # With where the hypervisor says the guest is.
        self.assertEqual(
            ('Error', reasons.AGENT_RESTARTED + '; the hypervisor runs the '
             'server on the source'), (event['result'], event['details']))
        action = db_actions.actions_get(self.context, instance['uuid'])[0]
        self.assertEqual('Error', action['message'])

    def test_without_an_action_nothing_is_recorded(self):
        instance = self.make_server()
        migration = self.make_migration(instance, status='running')
        self.start_agent()
        self.assertEqual('error', self.migration(migration['id'])['status'])
        self.assertEqual([], db_actions.actions_get(self.context,
                                                    instance['uuid']))


class TimeoutReasonTest(agent_base.AgentTestCase):

    START_AGENT = False

    def test_timeout_noted_by_the_monitor_is_the_reason(self):
        job = compute_job.Job(self.context, 1, 'uuid', False, None)
        monitor = compute_monitor.Monitor(self.context, 1, job)
        monitor.timed_out(812.4, 'abort')
        monitor.timed_out(900, 'force_complete')  # the first one wins
        self.assertEqual('completion timeout after 812 s, action abort',
                         job.reason)
