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

"""The API stack on PostgreSQL and MariaDB: ids, claims and RabbitMQ."""

import datetime
import threading

from oslo_utils import uuidutils

from server_migrations.api import deploy
from server_migrations import compute
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import migrations as db_migrations
from server_migrations.db import services as db_services
from server_migrations import rpc
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import stack
from server_migrations.tests.integration import backends

LAUNCHED = datetime.datetime(2020, 1, 1)


class _APIOnBackend:
    """Mixed into one test case per backend."""

    def setUp(self):
        super().setUp()
        self.computes = self.useFixture(stack.RecordingComputes(
            self.conf, ['src', 'dst']))
        for host in ('src', 'dst'):
            db_services.service_heartbeat(self.context, host, compute.BINARY,
                                          'compute', '1.0')
        self.server = sm_fixtures.make_instance(
            self.context, host='src', node='src', launched_at=LAUNCHED)
        self.migration = sm_fixtures.make_migration(
            self.context, self.server['uuid'], source_compute='src',
            dest_compute='dst',
            created_at=datetime.datetime(2020, 1, 2, 3, 4, 5, 123456))
        self.base = '/v2.1/servers/%s/migrations' % self.server['uuid']

    def test_ids_that_are_not_integers_are_not_found(self):
        mid = self.migration['id']
        for bad in ('abc', '%dabc' % mid, '1e3', '-1', '0x1',
                    '99999999999999999999', "1' OR '1'='1"):
            show = self.request('GET', '%s/%s' % (self.base, bad))
            self.assertEqual(404, show.status_code, bad)
            self.assertEqual(
                'In-progress live migration %s is not found for server %s.'
                % (bad, self.server['uuid']),
                show.json_body['itemNotFound']['message'])
            force = self.request('POST', '%s/%s/action' % (self.base, bad),
                                 body={'force_complete': None})
            self.assertEqual(400, force.status_code, bad)
            abort = self.request('DELETE', '%s/%s' % (self.base, bad))
            self.assertEqual(404, abort.status_code, bad)
        self.assertEqual([], self.computes.endpoints['src'].casts)

    def test_show_keeps_microseconds(self):
        resp = self.request('GET', '%s/%s' % (self.base,
                                              self.migration['id']))
        self.assertEqual(200, resp.status_code)
        self.assertEqual('2020-01-02T03:04:05.123456',
                         resp.json_body['migration']['created_at'])

    def test_actions_cast_and_record(self):
        mid = self.migration['id']
        resp = self.request('POST', '%s/%s/action' % (self.base, mid),
                            body={'force_complete': None})
        self.assertEqual(202, resp.status_code)
        self.assertEqual('live_migration_force_complete',
                         self.computes.wait_for_cast('src')[0][0])
        self.assertEqual(['live_migration_force_complete'], [
            a['action'] for a in db_actions.actions_get(self.context,
                                                        self.server['uuid'])])

    def test_live_migrate_claim(self):
        idle = sm_fixtures.make_instance(self.context, host='src',
                                         node='src', task_state=None,
                                         launched_at=LAUNCHED)
        path = '/v2.1/servers/%s/action' % idle['uuid']
        body = {'os-migrateLive': {'host': None, 'block_migration': 'auto'}}
        self.assertEqual(202, self.request('POST', path,
                                           body=body).status_code)
        self.assertEqual(409, self.request('POST', path,
                                           body=body).status_code)
        self.assertEqual(1, len(db_migrations.migration_get_all(
            self.context, instance_uuid=idle['uuid'])))

    def test_concurrent_live_migrations_one_wins(self):
        idle = sm_fixtures.make_instance(self.context, host='src',
                                         node='src', task_state=None,
                                         launched_at=LAUNCHED)
        path = '/v2.1/servers/%s/action' % idle['uuid']
        body = {'os-migrateLive': {'host': 'dst', 'block_migration': False}}
        barrier = threading.Barrier(4)
        statuses = []

        def migrate():
            barrier.wait(30)
            statuses.append(self.request('POST', path,
                                         body=body).status_code)

        threads = [threading.Thread(target=migrate) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual([202, 409, 409, 409], sorted(statuses))
        self.assertEqual(1, len(db_migrations.migration_get_all(
            self.context, instance_uuid=idle['uuid'])))
        self.assertEqual(['live-migration'], [
            a['action'] for a in db_actions.actions_get(self.context,
                                                        idle['uuid'])])


class TestAPIMySQL(_APIOnBackend, backends.ProvisionedDatabase,
                   stack.APITestCase):
    FIXTURE = sm_fixtures.MySQLDatabase


class TestAPIPostgreSQL(_APIOnBackend,
                        backends.ProvisionedDatabase, stack.APITestCase):
    FIXTURE = sm_fixtures.PostgresqlDatabase


class TestAPIRabbitMQ(backends.ProvisionedDatabase, stack.APITestCase):
    """Casts through the real broker, and a broker that is not there."""

    FIXTURE = sm_fixtures.MySQLDatabase

    def _setup(self, transport_url):
        self.conf.set_override('transport_url', transport_url)
        self.conf.set_override('cast_timeout', 5, group='api')
        # Host names of this run only: nothing else consumes them.
        self.src = 'src-%s' % uuidutils.generate_uuid()
        # The base class's app made a fake:/ transport for this conf.
        rpc.reset()
        self.app = deploy.loadapp(self.conf)
        self.server = sm_fixtures.make_instance(
            self.context, host=self.src, node=self.src, launched_at=LAUNCHED)
        self.migration = sm_fixtures.make_migration(
            self.context, self.server['uuid'], source_compute=self.src)
        return '/v2.1/servers/%s/migrations/%s' % (
            self.server['uuid'], self.migration['id'])

    def test_casts_arrive(self):
        path = self._setup('rabbit://guest:guest@127.0.0.1:5672/')
        computes = self.useFixture(stack.RecordingComputes(self.conf,
                                                           [self.src]))
        resp = self.request('POST', path + '/action',
                            body={'force_complete': None})
        self.assertEqual(202, resp.status_code)
        method, kwargs, ctxt = computes.wait_for_cast(self.src, 30)[0]
        self.assertEqual('live_migration_force_complete', method)
        self.assertEqual({'instance_uuid': self.server['uuid'],
                          'migration_id': self.migration['id']}, kwargs)
        self.assertEqual('admin', ctxt.user_id)

    def test_broker_down_still_accepts_and_keeps_the_action(self):
        # The action is committed; the agent takes it from the database.
        path = self._setup('rabbit://guest:guest@127.0.0.1:1/')
        resp = self.request('DELETE', path)
        self.assertEqual(202, resp.status_code)
        [action] = db_actions.actions_get(self.context, self.server['uuid'])
        [row] = sm_fixtures.agent_actions_of(self.context,
                                             action['id'])
        self.assertEqual(('live_migration_abort', self.src, 'pending'),
                         (row['method'], row['host'], row['state']))
