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

"""Stale, duplicate and concurrent casts end in one consistent outcome."""

import threading

import fixtures
import oslo_messaging as messaging

from server_migrations.compute import manager
from server_migrations.db import instance_actions as db_actions
from server_migrations import rpc
from server_migrations.tests.unit.compute import agent_base

BUSY = agent_base.BUSY


class StaleCastTest(agent_base.AgentTestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(level='INFO'))

    def test_casts_about_an_ended_migration_are_ignored(self):
        uuid, mid = self.start_migration()
        self.assertEqual('completed', self.wait_status(mid)['status'])
        before = self.migration(mid)
        # A replayed start: logged and ignored, no second migration.
        self.bare_cast('live_migration', uuid, mid,
                       block_migration=False)
        agent_base.wait_for(lambda: 'duplicate or stale cast' in
                            self.log.output, what='the ignored cast')
        for action in ('abort', 'force_complete'):
            event = self.event(self.act(action, uuid, mid))
            self.assertEqual('Error', event['result'])
            self.assertIn('is completed; cannot', event['traceback'])
        self.assertEqual(before, self.migration(mid))
        self.assert_on_destination(uuid)
        self.assertEqual([], self.notifier.types(mid))

    def test_duplicate_start_of_a_running_migration(self):
        uuid, mid = self.start_migration(guest=BUSY)
        self.wait_running_with_progress(mid)
        self.bare_cast('live_migration', uuid, mid,
                       block_migration=False)
        agent_base.wait_for(lambda: 'duplicate or stale cast' in
                            self.log.output, what='the ignored cast')
        self.assertEqual('running', self.migration(mid)['status'])
        self.act('abort', uuid, mid)
        self.assertEqual('cancelled', self.wait_status(mid)['status'])
        self.assert_on_source(uuid)

    def test_force_complete_of_a_queued_migration_is_refused(self):
        uuid1, mid1 = self.start_migration(guest=BUSY)
        self.wait_running_with_progress(mid1)
        uuid2, mid2 = self.start_migration(guest=BUSY)
        self.wait_status(mid2, 'queued')
        event = self.event(self.act('force_complete', uuid2, mid2))
        self.assertEqual('Error', event['result'])
        self.assertIn('is queued; cannot force complete', event['traceback'])
        self.assertEqual('queued', self.migration(mid2)['status'])
        self.act('abort', uuid1, mid1)
        self.wait_running_with_progress(mid2)
        self.act('abort', uuid2, mid2)
        self.assertEqual('cancelled', self.wait_status(mid2)['status'])

    def test_unknown_or_foreign_migrations_are_ignored(self):
        instance = self.make_server()
        other = self.make_server()
        mine = self.make_migration(instance)
        # A migration of another server, and one whose source is elsewhere.
        event = self.event(self.act('abort', other['uuid'], mine['id']))
        self.assertIn('not found', event['traceback'])
        elsewhere = self.make_migration(other, source_compute='elsewhere')
        self.bare_cast('live_migration', other['uuid'], elsewhere['id'],
                       block_migration=False)
        self.bare_cast('live_migration', other['uuid'], 999999,
                       block_migration=False)
        agent_base.wait_for(lambda: self.log.output.count(
            'no such migration') == 2, what='two ignored casts')
        self.assertEqual('accepted', self.migration(elsewhere['id'])[
            'status'])
        self.assertEqual('accepted', self.migration(mine['id'])['status'])


class ConcurrentActionsTest(agent_base.AgentTestCase):

    def _race(self, uuid, mid):
        casts = [threading.Thread(target=self.act, args=(name, uuid, mid))
                 for name in ('abort', 'force_complete')]
        for thread in casts:
            thread.start()
        for thread in casts:
            thread.join(30)
        return self.wait_status(mid)['status']

    def test_abort_and_force_complete_end_in_one_consistent_status(self):
        self.conf.set_override('max_concurrent_live_migrations', 4,
                               group='compute')
        self.stop_agent()
        self.start_agent()
        for permit in (True, False):
            self.conf.set_override('permit_post_copy', permit,
                                   group='fake_driver')
            started = [self.start_migration(guest=BUSY) for _ in range(4)]
            for _uuid, mid in started:
                self.wait_running_with_progress(mid)
            for uuid, mid in started:
                status = self._race(uuid, mid)
                self.assertIn(status, ('completed', 'cancelled'))
                if status == 'completed':
                    self.assert_on_destination(uuid)
                else:
                    self.assert_on_source(uuid)
                results = {
                    a['action']: self.event(a['id'])['result']
                    for a in db_actions.actions_get(self.context, uuid)[1:]}
                # The abort worked exactly when the migration was
                # cancelled; a force-complete that lost found nothing.
                self.assertEqual(
                    'Success' if status == 'cancelled' else 'Error',
                    results['live_migration_cancel'])
                if status == 'completed':
                    self.assertEqual(
                        'Success', results['live_migration_force_complete'])


class EndpointTest(agent_base.AgentTestCase):

    def test_only_the_four_casts_are_exposed(self):
        endpoint = manager.ComputeEndpoint(self.agent.manager)
        public = sorted(name for name in dir(endpoint)
                        if not name.startswith('_') and name != 'target')
        self.assertEqual(['live_migration', 'live_migration_abort',
                          'live_migration_force_complete',
                          'live_migration_tune'], public)
        self.assertEqual('1.2', endpoint.target.version)

    def test_internal_methods_cannot_be_cast(self):
        log = self.useFixture(fixtures.FakeLogger(level='INFO'))
        target = messaging.Target(topic='compute', version='1.0')
        client = rpc.get_client(self.conf, target)
        client.prepare(server=self.src).cast(self.request_context(),
                                             'cleanup_host')
        agent_base.wait_for(lambda: 'cleanup_host' in log.output,
                            what='the refused cast')
        self.assertFalse(self.agent.manager.stopping.is_set())
        uuid, mid = self.start_migration()
        self.assertEqual('completed', self.wait_status(mid)['status'])
