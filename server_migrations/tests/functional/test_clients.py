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

"""Real clients against the API served on a loopback port.

openstacksdk, python-novaclient and the openstack CLI talk HTTP to
server-migrations-api's server (noauth2, SQLite, fake:/ transport); the
recording agents prove what each action cast.
"""

import json
import os
import subprocess
import sys

import fixtures
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from novaclient import client as nova_client
import openstack

from server_migrations import context
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import migrations as db_migrations
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import stack

TOKEN = 'admin:p1'


class ClientsTestCase(stack.APITestCase):

    def setUp(self):
        super().setUp()
        self.computes = self.useFixture(stack.RecordingComputes(
            self.conf, ['src', 'other']))
        http = self.useFixture(sm_fixtures.HTTPServer(self.app))
        self.url = http.url
        self.server = sm_fixtures.make_instance(
            self.context, host='other', node='other', display_name='vm1')
        self.migration = sm_fixtures.make_migration(
            self.context, self.server['uuid'], source_compute='src',
            source_node='src', dest_compute='dst', dest_node='dst',
            dest_host='10.0.0.2', memory_total=100, memory_processed=40,
            memory_remaining=60)
        self.ended = sm_fixtures.make_migration(
            self.context, self.server['uuid'], status='cancelled',
            source_compute='other', source_node='other', dest_compute='src',
            dest_node='src', dest_host=None, user_id='u2')
        for row in (self.migration, self.ended):
            # Updated since (changes-since reads updated_at).
            db_migrations.migration_update(self.context, row['id'], {})
        # Its action, and the agent's final event saying why it ended.
        ctx = context.RequestContext(user_id='u2', project_id='p1',
                                     request_id='req-abc')
        action_id = db_actions.action_start(ctx, self.server['uuid'],
                                            'live-migration')
        event_id = db_actions.action_event_start(ctx, action_id,
                                                 'compute_live_migration',
                                                 'other')
        db_actions.action_event_finish(ctx, event_id, 'Error',
                                       traceback='Traceback ...',
                                       details='aborted by request req-def')

    def _sdk(self, version):
        return openstack.connect(
            auth_type='admin_token',
            auth={'endpoint': self.url, 'token': TOKEN},
            compute_api_version=version, load_yaml_config=False,
            load_envvars=False)

    def _assert_cast(self, host, method):
        casts = self.computes.wait_for_cast(host)
        self.assertEqual(method, casts[-1][0])
        self.assertEqual({'instance_uuid': self.server['uuid'],
                          'migration_id': self.migration['id']},
                         casts[-1][1])

    def test_openstacksdk(self):
        uuid, mid = self.server['uuid'], self.migration['id']
        for version in ('2.23', '2.59', '2.80'):
            conn = self._sdk(version)
            listed = list(conn.compute.server_migrations(uuid))
            self.assertEqual([mid], [m.id for m in listed])
            got = conn.compute.get_server_migration(mid, uuid,
                                                    ignore_missing=False)
            self.assertEqual('running', got.status)
            self.assertEqual(uuid, got.server_uuid)
            self.assertEqual(100, got.memory_total_bytes)
            self.assertEqual('src', got.source_compute)
            if version == '2.23':
                self.assertIsNone(got.uuid)
                self.assertIsNone(got.user_id)
            else:
                self.assertEqual(self.migration['uuid'], got.uuid)
            if version == '2.80':
                self.assertEqual('u1', got.user_id)
                self.assertEqual('p1', got.project_id)
        conn = self._sdk('2.80')
        self.assertIsNone(conn.compute.force_complete_server_migration(
            mid, uuid))
        self._assert_cast('src', 'live_migration_force_complete')
        self.assertIsNone(conn.compute.abort_server_migration(
            mid, uuid, ignore_missing=False))
        self._assert_cast('other', 'live_migration_abort')
        exc = self.assertRaises(
            openstack.exceptions.NotFoundException,
            conn.compute.get_server_migration, 9999, uuid,
            ignore_missing=False)
        self.assertIn('In-progress live migration 9999 is not found',
                      str(exc))

    def test_novaclient(self):
        uuid, mid = self.server['uuid'], self.migration['id']
        sess = ks_session.Session(auth=token_endpoint.Token(self.url, TOKEN))
        for version in ('2.23', '2.59', '2.80'):
            nova = nova_client.Client(version, session=sess)
            listed = nova.server_migrations.list(uuid)
            self.assertEqual([mid], [m.id for m in listed])
            self.assertTrue(listed.request_ids[0].startswith('req-'))
            got = nova.server_migrations.get(uuid, mid).to_dict()
            self.assertEqual('running', got['status'])
            self.assertEqual(version == '2.80', 'user_id' in got)
            self.assertEqual(version != '2.23', 'uuid' in got)
        nova = nova_client.Client('2.80', session=sess)
        nova.server_migrations.live_migrate_force_complete(uuid, mid)
        self._assert_cast('src', 'live_migration_force_complete')
        nova.server_migrations.live_migration_abort(uuid, mid)
        self._assert_cast('other', 'live_migration_abort')

    def _openstack(self, *args):
        env = {'PATH': os.environ.get('PATH', ''),
               'HOME': self.useFixture(fixtures.TempDir()).path,
               'OS_IDENTITY_API_VERSION': '3',
               'OS_IDENTITY_ENDPOINT_OVERRIDE': self.url}
        cmd = [sys.executable, '-m', 'openstackclient.shell',
               '--os-auth-type', 'admin_token', '--os-endpoint', self.url,
               '--os-token', TOKEN] + list(args)
        return subprocess.run(cmd, env=env, capture_output=True, text=True,
                              timeout=120)

    def test_openstack_cli(self):
        uuid, mid = self.server['uuid'], self.migration['id']
        result = self._openstack('server', 'show', 'vm1', '-f', 'json')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual('MIGRATING', json.loads(result.stdout)['status'])
        result = self._openstack('server', 'migration', 'show', uuid,
                                 self.migration['uuid'], '-f', 'json')
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('"Status": "running"', result.stdout)
        result = self._openstack('server', 'migration', 'force', 'complete',
                                 uuid, str(mid))
        self.assertEqual(0, result.returncode, result.stderr)
        self._assert_cast('src', 'live_migration_force_complete')
        result = self._openstack('server', 'migration', 'abort', uuid,
                                 str(mid))
        self.assertEqual(0, result.returncode, result.stderr)
        self._assert_cast('other', 'live_migration_abort')

    # -- GET /os-migrations and os-instance-actions ----------------------

    def test_openstacksdk_operator_views(self):
        uuid = self.server['uuid']
        conn = self._sdk('2.80')
        listed = list(conn.compute.migrations(instance_uuid=uuid))
        self.assertEqual([self.migration['id'], self.ended['id']],
                         sorted(m.id for m in listed))
        ended = [m for m in listed if m.id == self.ended['id']][0]
        self.assertEqual(('cancelled', 'u2', 'live-migration'),
                         (ended.status, ended.user_id,
                          ended.migration_type))
        self.assertEqual(['running'], [m.status for m in
                                       conn.compute.migrations(
                                           host='src', status='running')])
        actions = list(conn.compute.server_actions(uuid))
        self.assertEqual(['req-abc'], [a.request_id for a in actions])
        conn = self._sdk('2.84')
        action = conn.compute.get_server_action('req-abc', uuid)
        self.assertEqual('live-migration', action.action)
        self.assertEqual('aborted by request req-def',
                         action.events[0].details)
        self.assertEqual('Error', action.events[0].result)

    def test_novaclient_operator_views(self):
        uuid = self.server['uuid']
        sess = ks_session.Session(auth=token_endpoint.Token(self.url, TOKEN))
        nova = nova_client.Client('2.80', session=sess)
        listed = nova.migrations.list(instance_uuid=uuid)
        self.assertEqual(2, len(listed))
        self.assertEqual({'running', 'cancelled'},
                         {m.status for m in listed})
        nova = nova_client.Client('2.84', session=sess)
        actions = nova.instance_action.list(uuid)
        self.assertEqual(['req-abc'], [a.request_id for a in actions])
        action = nova.instance_action.get(uuid, 'req-abc')
        self.assertEqual('aborted by request req-def',
                         action.events[0]['details'])

    def _openstack_json(self, *args):
        result = self._openstack(*(args + ('-f', 'json')))
        self.assertEqual(0, result.returncode, result.stderr)
        return json.loads(result.stdout)

    def test_openstack_cli_operator_views(self):
        uuid = self.server['uuid']
        rows = self._openstack_json('server', 'migration', 'list',
                                    '--server', uuid)
        self.assertEqual({'running', 'cancelled'},
                         {r['Status'] for r in rows})
        for flags, statuses in (
                (('--host', 'src'), {'running', 'cancelled'}),
                (('--status', 'cancelled'), {'cancelled'}),
                (('--type', 'live-migration'), {'running', 'cancelled'}),
                (('--limit', '1'), {'cancelled'}),
                (('--marker', self.ended['uuid']), {'running'}),
                (('--changes-since', '2000-01-01T00:00:00Z'),
                 {'running', 'cancelled'}),
                (('--user', 'u2'), {'cancelled'}),
                (('--project', 'p1'), {'running', 'cancelled'})):
            rows = self._openstack_json('server', 'migration', 'list',
                                        '--server', uuid, *flags)
            self.assertEqual(statuses, {r['Status'] for r in rows}, flags)
        rows = self._openstack_json('server', 'event', 'list', 'vm1')
        self.assertEqual(['req-abc'], [r['Request ID'] for r in rows])
        shown = self._openstack_json('server', 'event', 'show', 'vm1',
                                     'req-abc')
        self.assertEqual('aborted by request req-def',
                         shown['events'][0]['details'])
