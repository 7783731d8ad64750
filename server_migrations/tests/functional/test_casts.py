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

"""The casts the API sends over oslo.messaging's fake transport."""

import datetime

import fixtures
from oslo_db import exception as db_exc
import oslo_messaging as messaging

from server_migrations import compute
from server_migrations.db import agent_actions
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import services as db_services
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import stack

PROJECT = 'p1'
LAUNCHED = datetime.datetime(2020, 1, 1)


class _Base(stack.APITestCase):

    def setUp(self):
        super().setUp()
        self.computes = self.useFixture(stack.RecordingComputes(
            self.conf, ['src', 'dst', 'other', 'busy']))
        for host in ('src', 'dst', 'other', 'busy'):
            db_services.service_heartbeat(self.context, host, compute.BINARY,
                                          'compute', '1.0')

    def _server(self, **values):
        return sm_fixtures.make_instance(self.context, **dict(
            {'project_id': PROJECT, 'user_id': 'owner', 'host': 'src',
             'node': 'src-node', 'launched_at': LAUNCHED}, **values))

    def _migration(self, instance, **values):
        return sm_fixtures.make_migration(
            self.context, instance['uuid'],
            **dict({'source_compute': 'src', 'dest_compute': 'dst'},
                   **values))

    def _path(self, server, migration=None, action=False):
        path = '/v2.1/servers/%s/migrations' % server['uuid']
        if migration is not None:
            path += '/%s' % migration['id']
        return path + ('/action' if action else '')


class CastTestCase(_Base):

    def test_force_complete_cast_to_source_compute(self):
        server = self._server(host='other')
        migration = self._migration(server, source_compute='src')
        resp = self.request('POST', self._path(server, migration, True),
                            body={'force_complete': None})
        self.assertEqual(202, resp.status_code)
        casts = self.computes.wait_for_cast('src')
        self.assertEqual(1, len(casts))
        method, kwargs, ctxt = casts[0]
        self.assertEqual('live_migration_force_complete', method)
        self.assertEqual({'instance_uuid': server['uuid'],
                          'migration_id': migration['id']}, kwargs)
        self.assertEqual('admin', ctxt.user_id)
        self.assertEqual([], self.computes.endpoints['other'].casts)
        actions = db_actions.actions_get(self.context, server['uuid'])
        self.assertEqual(['live_migration_force_complete'],
                         [a['action'] for a in actions])
        self.assertEqual(ctxt.request_id, actions[0]['request_id'])
        # The cast names the committed action it wakes the agent up for.
        row = agent_actions.get(self.context,
                                self.computes.endpoints['src'].action_ids[0])
        self.assertEqual((actions[0]['id'], 'src', 'pending'),
                         (row['action_id'], row['host'], row['state']))

    def test_force_complete_falls_back_to_instance_host(self):
        server = self._server(host='other')
        migration = self._migration(server, source_compute=None)
        resp = self.request('POST', self._path(server, migration, True),
                            body={'force_complete': None})
        self.assertEqual(202, resp.status_code)
        method, kwargs, _ctxt = self.computes.wait_for_cast('other')[0]
        self.assertEqual('live_migration_force_complete', method)
        self.assertEqual(migration['id'], kwargs['migration_id'])

    def test_abort_cast_to_instance_host(self):
        server = self._server(host='other')
        migration = self._migration(server, source_compute='src')
        resp = self.request('DELETE', self._path(server, migration))
        self.assertEqual(202, resp.status_code)
        method, kwargs, _ctxt = self.computes.wait_for_cast('other')[0]
        self.assertEqual('live_migration_abort', method)
        self.assertEqual({'instance_uuid': server['uuid'],
                          'migration_id': migration['id']}, kwargs)
        self.assertEqual([], self.computes.endpoints['src'].casts)
        self.assertEqual(
            ['live_migration_cancel'],
            [a['action'] for a in db_actions.actions_get(self.context,
                                                         server['uuid'])])

    def test_rejected_requests_send_nothing(self):
        server = self._server()
        queued = self._migration(server, status='queued')
        for method, path, body, version in (
                ('POST', self._path(server, queued, True),
                 {'force_complete': None}, '2.80'),
                ('DELETE', self._path(server, queued), None, '2.64'),
                ('POST', self._path(server, queued, True),
                 {'force_complete': {}}, '2.80')):
            resp = self.request(method, path, body=body, version=version)
            self.assertEqual(400, resp.status_code, resp.body)
        self.assertEqual({'src': [], 'dst': [], 'other': [], 'busy': []},
                         self.computes.all_casts())
        self.assertEqual([], db_actions.actions_get(self.context,
                                                    server['uuid']))

    def test_live_migrate_to_requested_host(self):
        server = self._server(task_state=None)
        resp = self.request(
            'POST', '/v2.1/servers/%s/action' % server['uuid'],
            body={'os-migrateLive': {'host': 'dst',
                                     'block_migration': 'auto'}})
        self.assertEqual(202, resp.status_code, resp.body)
        self.assertEqual(b'', resp.body)
        method, kwargs, _ctxt = self.computes.wait_for_cast('src')[0]
        self.assertEqual('live_migration', method)
        migration = db_migrations.migration_get(self.context,
                                                kwargs['migration_id'])
        self.assertEqual({'instance_uuid': server['uuid'],
                          'migration_id': migration['id'],
                          'block_migration': 'auto'}, kwargs)
        expected = {'status': 'accepted', 'migration_type': 'live-migration',
                    'source_compute': 'src', 'source_node': 'src-node',
                    'dest_compute': 'dst', 'dest_node': 'dst',
                    'dest_host': 'dst', 'user_id': 'admin',
                    'project_id': 'p1', 'instance_uuid': server['uuid']}
        self.assertEqual(expected, {k: migration[k] for k in expected})
        instance = db_instances.instance_get(self.context, server['uuid'])
        self.assertEqual('migrating', instance['task_state'])
        self.assertEqual(['live-migration'], [
            a['action'] for a in db_actions.actions_get(self.context,
                                                        server['uuid'])])

    def test_live_migrate_old_body_sends_a_boolean(self):
        server = self._server(task_state=None)
        resp = self.request(
            'POST', '/v2.1/servers/%s/action' % server['uuid'],
            version='2.24',
            body={'os-migrateLive': {'host': 'dst',
                                     'block_migration': 'True',
                                     'disk_over_commit': False}})
        self.assertEqual(202, resp.status_code, resp.body)
        _method, kwargs, _ctxt = self.computes.wait_for_cast('src')[0]
        self.assertIs(True, kwargs['block_migration'])

    def _scheduled_migration(self):
        """Live-migrate a server of src to no host; the migration cast."""
        server = self._server(task_state=None)
        resp = self.request(
            'POST', '/v2.1/servers/%s/action' % server['uuid'],
            body={'os-migrateLive': {'host': None,
                                     'block_migration': False}})
        self.assertEqual(202, resp.status_code, resp.body)
        _method, kwargs, _ctxt = self.computes.wait_for_cast('src')[0]
        return db_migrations.migration_get(self.context,
                                           kwargs['migration_id'])

    def test_live_migrate_picks_least_loaded_live_host(self):
        # "busy" and "dst" carry in-flight migrations; "other" has none.
        elsewhere = self._server(host='busy')
        self._migration(elsewhere, source_compute='busy',
                        dest_compute='dst')
        migration = self._scheduled_migration()
        self.assertEqual('other', migration['dest_compute'])

    def test_live_migrate_ties_go_by_host_name(self):
        migration = self._scheduled_migration()
        self.assertEqual('busy', migration['dest_compute'])


class BrokerDownTestCase(_Base):
    """A broker that does not take the message: the 202 still holds.

    The action is committed before the cast; the agent takes it from the
    database when the cast is lost.
    """

    def setUp(self):
        super().setUp()
        self.useFixture(mock_cast_failure())

    def _pending(self, host):
        return agent_actions.pending_for_host(self.context, host)

    def test_force_complete_is_accepted_and_kept(self):
        server = self._server()
        migration = self._migration(server)
        resp = self.request('POST', self._path(server, migration, True),
                            body={'force_complete': None})
        self.assertEqual(202, resp.status_code)
        [row] = self._pending('src')
        self.assertEqual(('live_migration_force_complete', migration['id']),
                         (row['method'], row['migration_id']))
        [action] = db_actions.actions_get(self.context, server['uuid'])
        self.assertEqual(action['id'], row['action_id'])

    def test_abort_is_accepted_and_kept(self):
        server = self._server()
        migration = self._migration(server)
        resp = self.request('DELETE', self._path(server, migration))
        self.assertEqual(202, resp.status_code)
        self.assertEqual(['live_migration_abort'],
                         [r['method'] for r in self._pending('src')])

    def test_live_migrate_is_accepted_and_kept(self):
        server = self._server(task_state=None)
        resp = self.request(
            'POST', '/v2.1/servers/%s/action' % server['uuid'],
            body={'os-migrateLive': {'host': 'dst',
                                     'block_migration': 'auto'}})
        self.assertEqual(202, resp.status_code)
        [migration] = db_migrations.migration_get_all(
            self.context, instance_uuid=server['uuid'])
        self.assertEqual('accepted', migration['status'])
        [row] = self._pending('src')
        self.assertEqual(('live_migration', migration['id'], 'auto'),
                         (row['method'], row['migration_id'],
                          row['block_migration']))


class DatabaseDownTestCase(_Base):
    """A database that does not take the action: 503, nothing changed."""

    def _refuse(self):
        def refuse(*args, **kwargs):
            raise db_exc.DBConnectionError('database went away')
        self.useFixture(fixtures.MonkeyPatch(
            'server_migrations.db.agent_actions.create', refuse))

    def test_actions_503_and_nothing_recorded_or_cast(self):
        server = self._server()
        migration = self._migration(server)
        self._refuse()
        for method, path, body in (
                ('POST', self._path(server, migration, True),
                 {'force_complete': None}),
                ('DELETE', self._path(server, migration), None)):
            resp = self.request(method, path, body=body)
            self.assertEqual(503, resp.status_code, resp.body)
            self.assertEqual('serviceUnavailable', list(resp.json_body)[0])
        self.assertEqual([], db_actions.actions_get(self.context,
                                                    server['uuid']))
        self.assertEqual([], self.computes.all_casts()['src'])

    def test_live_migrate_503_changes_nothing(self):
        server = self._server(task_state=None)
        self._refuse()
        resp = self.request(
            'POST', '/v2.1/servers/%s/action' % server['uuid'],
            body={'os-migrateLive': {'host': 'dst',
                                     'block_migration': 'auto'}})
        self.assertEqual(503, resp.status_code, resp.body)
        instance = db_instances.instance_get(self.context, server['uuid'])
        self.assertIsNone(instance['task_state'])
        self.assertEqual([], db_migrations.migration_get_all(
            self.context, instance_uuid=server['uuid']))
        self.assertEqual([], db_actions.actions_get(self.context,
                                                    server['uuid']))


def mock_cast_failure():
    """Every cast fails as a broker that never confirms would."""
    return fixtures.MockPatch(
        'oslo_messaging.rpc.client._BaseCallContext.cast',
        side_effect=messaging.MessagingTimeout('broker did not confirm'))


class NoValidHostTestCase(stack.APITestCase):

    def test_no_other_live_host(self):
        db_services.service_heartbeat(self.context, 'src', compute.BINARY,
                                      'compute', '1.0')
        server = sm_fixtures.make_instance(
            self.context, project_id=PROJECT, host='src', node='src',
            task_state=None, launched_at=LAUNCHED)
        resp = self.request(
            'POST', '/v2.1/servers/%s/action' % server['uuid'],
            body={'os-migrateLive': {'host': None,
                                     'block_migration': 'auto'}})
        self.assertEqual(400, resp.status_code)
        self.assertEqual('No valid host was found. There are not enough '
                         'hosts available.',
                         resp.json_body['badRequest']['message'])
        self.assertIsNone(db_instances.instance_get(
            self.context, server['uuid'])['task_state'])
