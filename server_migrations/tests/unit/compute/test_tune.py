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

"""Steering a running migration: tune goes the way of force-complete."""

from server_migrations.compute import api as compute_api
from server_migrations.db import agent_actions
from server_migrations.db import instance_actions as db_actions
from server_migrations import exception
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.unit.compute import agent_base

# Dirties 2000 MiB/s; the simulated link sends 1024 MiB/s by default.
STUCK = {'dirty_rate_mbps': 2000, 'memory_mb': 512}


class TuneTest(agent_base.AgentTestCase):

    def setUp(self):
        super().setUp()
        self.api = compute_api.API(self.conf)
        self.api.compute_rpcapi = self.rpcapi

    def tune(self, uuid, mid, **values):
        context = self.request_context()
        self.api.live_migrate_tune(context, self.server(uuid), mid, **values)
        return db_actions.action_get_by_request_id(self.context, uuid,
                                                   context.request_id)

    def judged_stuck(self, mid):
        def stuck():
            job = self.agent.manager.job(mid)
            verdict = job and job.verdict
            return verdict is not None and verdict.converging is False
        agent_base.wait_for(stuck, what='migration %s judged stuck' % mid)

    def test_more_bandwidth_than_the_dirty_rate_makes_it_converge(self):
        uuid, mid = self.start_migration(guest=STUCK)
        self.judged_stuck(mid)
        self.assertEqual('running', self.migration(mid)['status'])
        action = self.tune(uuid, mid, bandwidth=4096)
        self.assertEqual('completed', self.wait_status(mid)['status'])
        self.assert_on_destination(uuid)
        event = self.event(action['id'])
        self.assertEqual(('compute_live_migration_tune', 'Success'),
                         (event['event'], event['result']))
        row, = sm_fixtures.agent_actions_of(self.context, action['id'])
        self.assertEqual(('live_migration_tune', {'bandwidth': 4096},
                          'done'),
                         (row['method'], agent_actions.parameters_of(row),
                          row['state']))

    def test_a_longer_pause_lets_it_complete(self):
        uuid, mid = self.start_migration(guest=STUCK)
        self.judged_stuck(mid)
        # 512 MiB at 1024 MiB/s fit in a 600 ms pause.
        self.tune(uuid, mid, max_downtime=600)
        self.assertEqual('completed', self.wait_status(mid)['status'])

    def test_refused_unless_running(self):
        uuid, mid = self.start_migration(cast=False)
        self.assertRaises(exception.InvalidMigrationState, self.tune, uuid,
                          mid, bandwidth=10)

    def test_nothing_to_tune(self):
        uuid, mid = self.start_migration(cast=False)
        self.assertRaises(exception.Invalid, self.tune, uuid, mid)

    def test_a_migration_that_ended_records_an_error(self):
        uuid, mid = self.start_migration()
        self.wait_status(mid)
        action_id = self.accept(uuid, mid, 'live_migration_tune',
                                'live_migration_tune')
        # No parameters: nothing to tune, said in the event.
        event = self.event(action_id)
        self.assertEqual('Error', event['result'])
