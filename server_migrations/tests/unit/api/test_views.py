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

"""Migration and server views: field sets per microversion, formats."""

import datetime

from server_migrations.api import microversion
from server_migrations.api import views
from server_migrations.tests import base

V = microversion.parse_version_string
ROW = {
    'id': 7, 'uuid': 'u-u-i-d', 'instance_uuid': 'server-uuid',
    'status': 'running', 'source_compute': 'c1', 'source_node': 'n1',
    'dest_compute': 'c2', 'dest_node': 'n2', 'dest_host': '10.0.0.2',
    'memory_total': 10, 'memory_processed': 0, 'memory_remaining': None,
    'disk_total': None, 'disk_processed': None, 'disk_remaining': None,
    'user_id': 'u1', 'project_id': 'p1',
    'created_at': datetime.datetime(2016, 1, 29, 13, 42, 2),
    'updated_at': None, 'migration_type': 'live-migration', 'hidden': False,
    'deleted': 0, 'deleted_at': None,
}
BASE_FIELDS = {'created_at', 'dest_compute', 'dest_host', 'dest_node',
               'disk_processed_bytes', 'disk_remaining_bytes',
               'disk_total_bytes', 'id', 'memory_processed_bytes',
               'memory_remaining_bytes', 'memory_total_bytes',
               'server_uuid', 'source_compute', 'source_node', 'status',
               'updated_at'}


class MigrationViewTestCase(base.TestCase):

    def test_fields_per_version(self):
        for text, extra in (('2.23', set()), ('2.58', set()),
                            ('2.59', {'uuid'}), ('2.79', {'uuid'}),
                            ('2.80', {'uuid', 'user_id', 'project_id'}),
                            ('2.104', {'uuid', 'user_id', 'project_id'})):
            item = views.migration(ROW, V(text))
            self.assertEqual(BASE_FIELDS | extra, set(item), text)

    def test_values(self):
        item = views.migration(ROW, V('2.80'))
        self.assertEqual('server-uuid', item['server_uuid'])
        self.assertEqual('2016-01-29T13:42:02.000000', item['created_at'])
        self.assertIsNone(item['updated_at'])
        self.assertEqual(10, item['memory_total_bytes'])
        # Zero and null counters are kept as they are.
        self.assertEqual(0, item['memory_processed_bytes'])
        self.assertIsNone(item['memory_remaining_bytes'])
        self.assertEqual(('u1', 'p1'), (item['user_id'], item['project_id']))
        self.assertEqual('u-u-i-d', item['uuid'])
        self.assertEqual(7, item['id'])

    def test_timestamp_keeps_microseconds(self):
        self.assertEqual('2020-02-03T04:05:06.000007', views.timestamp(
            datetime.datetime(2020, 2, 3, 4, 5, 6, 7)))

    def test_hidden_hosts_are_null_not_omitted(self):
        item = views.migration(ROW, V('2.80'), include_host=False)
        for field in views.HOST_FIELDS:
            self.assertIn(field, item)
            self.assertIsNone(item[field])
        self.assertEqual('running', item['status'])

    def test_index_and_show_wrappers(self):
        index = views.migrations_index([ROW], V('2.23'), False)
        self.assertEqual(['migrations'], list(index))
        self.assertIsNone(index['migrations'][0]['source_compute'])
        show = views.migration_show(ROW, V('2.23'), True)
        self.assertEqual('c1', show['migration']['source_compute'])
        hidden = views.migration_show(ROW, V('2.23'), False)
        self.assertIsNone(hidden['migration']['source_compute'])
        self.assertEqual({'migrations': []},
                         views.migrations_index([], V('2.80'), True))


class ServerViewTestCase(base.TestCase):

    def _instance(self, **values):
        instance = {'uuid': 's1', 'display_name': 'vm', 'vm_state': 'active',
                    'task_state': None, 'project_id': 'p1', 'user_id': 'u1',
                    'created_at': datetime.datetime(2020, 1, 1),
                    'updated_at': None, 'progress': None, 'locked': False,
                    'launched_at': None, 'host': 'h1', 'node': 'n1',
                    'memory_mb': 512, 'root_gb': None}
        instance.update(values)
        return instance

    def test_status(self):
        for vm, task, status in (('active', None, 'ACTIVE'),
                                 ('active', 'migrating', 'MIGRATING'),
                                 ('paused', 'migrating', 'MIGRATING'),
                                 ('paused', None, 'PAUSED'),
                                 ('stopped', None, 'SHUTOFF'),
                                 ('error', None, 'ERROR'),
                                 ('stopped', 'migrating', 'SHUTOFF')):
            self.assertEqual(status, views.server_status(
                self._instance(vm_state=vm, task_state=task)))

    def test_hosts_only_when_asked(self):
        detail = views.server_detail(self._instance(), 'http://x', True)
        self.assertEqual('h1', detail['OS-EXT-SRV-ATTR:host'])
        detail = views.server_detail(self._instance(), 'http://x', False)
        self.assertNotIn('OS-EXT-SRV-ATTR:host', detail)
        self.assertEqual('http://x/v2.1/servers/s1',
                         detail['links'][0]['href'])
        self.assertEqual('2020-01-01T00:00:00Z', detail['updated'])
        self.assertEqual((512, 0), (detail['flavor']['ram'],
                                    detail['flavor']['disk']))
        self.assertEqual(1, detail['OS-EXT-STS:power_state'])
