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

"""End to end in one process: the HTTP API, two agents, the fake hypervisor.

Everything a client sees goes through the real WSGI stack; the agents run
over oslo.messaging's fake transport, as in the all-in-one demo.
"""

import datetime
import json
import os
import threading

import fixtures
import openstack
from oslo_utils import uuidutils

from server_migrations.compute import service
from server_migrations.db import migrations as db_migrations
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import stack
from server_migrations.tests import utils

BUSY = {'dirty_rate_mbps': 100000}
LAUNCHED = datetime.datetime(2020, 1, 1)


wait_for = utils.wait_for


class AgentsTestCase(stack.APITestCase):

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.guests_file = os.path.join(tmp, 'guests.json')
        self.guests = {}
        self._write_guests()
        self.conf.set_override('guests_file', self.guests_file,
                               group='fake_driver')
        suffix = uuidutils.generate_uuid()[:8]
        self.src, self.dst = 'src-' + suffix, 'dst-' + suffix
        for host in (self.src, self.dst):
            agent = service.ComputeService(self.conf, host=host)
            agent.start()
            self.addCleanup(agent.stop)

    def _write_guests(self):
        with open(self.guests_file, 'w') as stream:
            json.dump(self.guests, stream)

    def server(self, guest=None):
        instance = sm_fixtures.make_instance(
            self.context, user_id='owner', host=self.src, node=self.src,
            task_state=None, launched_at=LAUNCHED, memory_mb=64, root_gb=1)
        if guest:
            self.guests[instance['uuid']] = guest
            self._write_guests()
        return instance['uuid']

    def migrate(self, uuid, host, version='2.80'):
        resp = self.request('POST', '/v2.1/servers/%s/action' % uuid,
                            version=version,
                            body={'os-migrateLive': {
                                'host': host, 'block_migration': 'auto'}})
        self.assertEqual(202, resp.status_code, resp.text)

    def migrations(self, uuid):
        resp = self.request('GET', '/v2.1/servers/%s/migrations' % uuid)
        self.assertEqual(200, resp.status_code, resp.text)
        return resp.json['migrations']

    def in_progress(self, uuid, status='running'):
        def found():
            for item in self.migrations(uuid):
                if item['status'] == status and (
                        status != 'running' or
                        item['memory_processed_bytes']):
                    return item
        return wait_for(found, what='a %s migration' % status)

    def final_status(self, migration_id):
        def ended():
            status = db_migrations.migration_get(self.context,
                                                 migration_id)['status']
            return status in ('completed', 'cancelled', 'failed',
                              'error') and status
        return wait_for(ended, what='the end of migration %s' % migration_id)

    def where(self, uuid):
        resp = self.request('GET', '/v2.1/servers/%s' % uuid)
        self.assertEqual(200, resp.status_code, resp.text)
        server = resp.json['server']
        return (server['OS-EXT-SRV-ATTR:host'],
                server['OS-EXT-STS:task_state'])

    def force_complete(self, uuid, migration_id, version='2.80'):
        return self.request(
            'POST', '/v2.1/servers/%s/migrations/%s/action' % (
                uuid, migration_id), version=version,
            body={'force_complete': None})

    def abort(self, uuid, migration_id, version='2.80'):
        return self.request('DELETE', '/v2.1/servers/%s/migrations/%s' % (
            uuid, migration_id), version=version)


class EndToEndTest(AgentsTestCase):

    def test_progress_then_force_complete(self):
        uuid = self.server(guest=BUSY)
        self.migrate(uuid, self.dst)
        first = self.in_progress(uuid)
        self.assertEqual(64 * 1024 * 1024, first['memory_total_bytes'])
        self.assertEqual(1024 ** 3, first['disk_total_bytes'])
        wait_for(lambda: self.migrations(uuid)[0]['memory_processed_bytes'] >
                 first['memory_processed_bytes'], what='more progress')
        self.assertEqual((self.src, 'migrating'), self.where(uuid))
        self.assertEqual(202, self.force_complete(uuid, first['id'])
                         .status_code)
        self.assertEqual('completed', self.final_status(first['id']))
        self.assertEqual((self.dst, None), self.where(uuid))
        self.assertEqual([], self.migrations(uuid))

    def test_abort_running_keeps_the_server(self):
        uuid = self.server(guest=BUSY)
        self.migrate(uuid, self.dst)
        migration = self.in_progress(uuid)
        self.assertEqual(202, self.abort(uuid, migration['id']).status_code)
        self.assertEqual('cancelled', self.final_status(migration['id']))
        self.assertEqual((self.src, None), self.where(uuid))

    def test_abort_queued_needs_2_65(self):
        first = self.server(guest=BUSY)
        self.migrate(first, self.dst)
        running = self.in_progress(first)
        second = self.server(guest=BUSY)
        self.migrate(second, self.dst)
        queued = self.in_progress(second, 'queued')
        self.assertEqual(400, self.abort(second, queued['id'],
                                         version='2.64').status_code)
        self.assertEqual(202, self.abort(second, queued['id'],
                                         version='2.65').status_code)
        self.assertEqual('cancelled', self.final_status(queued['id']))
        self.assertEqual((self.src, None), self.where(second))
        self.assertEqual(202, self.abort(first, running['id']).status_code)
        self.assertEqual('cancelled', self.final_status(running['id']))

    def test_concurrent_abort_and_force_complete(self):
        uuid = self.server(guest=BUSY)
        self.migrate(uuid, self.dst)
        migration = self.in_progress(uuid)
        answers = []
        calls = [threading.Thread(target=lambda f=f: answers.append(
            f(uuid, migration['id']).status_code))
            for f in (self.abort, self.force_complete)]
        for call in calls:
            call.start()
        for call in calls:
            call.join(30)
        self.assertEqual([202, 202], answers)
        status = self.final_status(migration['id'])
        expected = {'completed': (self.dst, None),
                    'cancelled': (self.src, None)}
        self.assertIn(status, expected)
        self.assertEqual(expected[status], self.where(uuid))


class OpenStackSDKTest(AgentsTestCase):
    """The issue's "done when": openstacksdk drives real migrations."""

    def setUp(self):
        super().setUp()
        http = self.useFixture(sm_fixtures.HTTPServer(self.app))
        self.sdk = openstack.connect(
            auth_type='admin_token',
            auth={'endpoint': http.url, 'token': 'admin:p1'},
            compute_api_version='2.80', load_yaml_config=False,
            load_envvars=False)

    def _running(self, uuid):
        def found():
            for item in self.sdk.compute.server_migrations(uuid):
                if item.status == 'running' and item.memory_processed_bytes:
                    return item
        return wait_for(found, what='a running migration')

    def test_live_migrate_force_complete_and_abort(self):
        uuid = self.server(guest=BUSY)
        self.sdk.compute.live_migrate_server(uuid, host=self.dst,
                                             block_migration='auto')
        migration = self._running(uuid)
        self.sdk.compute.force_complete_server_migration(migration.id, uuid)
        self.assertEqual('completed', self.final_status(migration.id))
        self.assertEqual(self.dst, self.sdk.compute.get_server(
            uuid).compute_host)
        # Back to the source, then changed minds: abort.
        self.sdk.compute.live_migrate_server(uuid, host=self.src,
                                             block_migration='auto')
        migration = self._running(uuid)
        self.sdk.compute.abort_server_migration(migration.id, uuid,
                                                ignore_missing=False)
        self.assertEqual('cancelled', self.final_status(migration.id))
        self.assertEqual(self.dst, self.sdk.compute.get_server(
            uuid).compute_host)
