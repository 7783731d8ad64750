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

"""Policy files: operator overrides, picked up without a restart."""

import os
import time

import fixtures
import yaml

from server_migrations.db import migrations as db_migrations
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import stack

MANAGER = 'mgr:p1:manager,member,reader'


class PolicyFileTestCase(stack.APITestCase):

    def setUp(self):
        super().setUp()
        self.policy_file = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'policy.yaml')
        self._write({})
        self.policy = self.useFixture(sm_fixtures.PolicyFixture(
            self.conf, policy_file=self.policy_file))
        server = sm_fixtures.make_instance(self.context)
        sm_fixtures.make_migration(self.context, server['uuid'])
        self.path = '/v2.1/servers/%s/migrations' % server['uuid']
        self.mtime = time.time()

    def _write(self, rules):
        with open(self.policy_file, 'w') as f:
            yaml.safe_dump(rules, f)
        # A later mtime, whatever the file system's clock granularity:
        # oslo.policy reloads a file whose mtime changed.
        if hasattr(self, 'mtime'):
            self.mtime += 10
            os.utime(self.policy_file, (self.mtime, self.mtime))

    def test_override_is_picked_up_without_restart(self):
        self.assertEqual(403, self.request('GET', self.path,
                                           token=MANAGER).status_code)
        self._write({'os_compute_api:servers:migrations:index':
                     'rule:project_manager_or_admin'})
        resp = self.request('GET', self.path, token=MANAGER)
        self.assertEqual(200, resp.status_code)
        # "index:host" follows its deprecated name "index" when only that
        # is overridden: the manager sees the hosts too.
        self.assertEqual('h1', resp.json_body['migrations'][0][
            'source_compute'])
        self._write({'os_compute_api:servers:migrations:index':
                     'rule:project_manager_or_admin',
                     'os_compute_api:servers:migrations:index:host':
                     'rule:context_is_admin'})
        resp = self.request('GET', self.path, token=MANAGER)
        self.assertEqual(200, resp.status_code)
        self.assertIsNone(resp.json_body['migrations'][0]['source_compute'])
        self._write({})
        self.assertEqual(403, self.request('GET', self.path,
                                           token=MANAGER).status_code)

    def test_show_hosts_have_their_own_rule(self):
        mid = db_migrations.migration_get_all(self.context)[0]['id']
        path = '%s/%d' % (self.path, mid)
        show = 'os_compute_api:servers:migrations:show'
        self._write({show: 'rule:project_manager_or_admin',
                     show + ':host': 'rule:context_is_admin'})
        resp = self.request('GET', path, token=MANAGER)
        self.assertEqual(200, resp.status_code)
        for field in ('source_compute', 'dest_compute', 'source_node',
                      'dest_node', 'dest_host'):
            self.assertIsNone(resp.json_body['migration'][field])
        self.assertEqual('h1', self.request('GET', path).json_body[
            'migration']['source_compute'])
        # Only "show" overridden: "show:host" follows its deprecated name.
        self._write({show: 'rule:project_manager_or_admin'})
        resp = self.request('GET', path, token=MANAGER)
        self.assertEqual('h1', resp.json_body['migration']['source_compute'])

    def _write_bytes(self, data):
        with open(self.policy_file, 'wb') as f:
            f.write(data)
        self.mtime += 10
        os.utime(self.policy_file, (self.mtime, self.mtime))

    def test_unreadable_file_keeps_the_last_good_rules(self):
        logger = self.useFixture(fixtures.FakeLogger(
            name='server_migrations.policy'))
        index = 'os_compute_api:servers:migrations:index'
        self._write({index: 'rule:project_manager_or_admin'})
        self.assertEqual(200, self.request('GET', self.path,
                                           token=MANAGER).status_code)
        for bad in (b'"%s": [\n' % index.encode(),  # malformed YAML
                    b'"%s": "\xff\xfe"\n' % index.encode(),  # not UTF-8
                    b'- a list\n'):  # not a mapping
            self._write_bytes(bad)
            for _ in range(3):
                # The override read last still applies; never a 500.
                self.assertEqual(200, self.request(
                    'GET', self.path, token=MANAGER).status_code, bad)
                self.assertEqual(200, self.request('GET',
                                                   self.path).status_code)
            self.assertIsNotNone(self.policy.enforcer.file_problem())
        # One error per change of the file, not one per request.
        errors = [line for line in logger.output.splitlines()
                  if 'cannot be read' in line]
        self.assertEqual(3, len(errors), logger.output)
        self._write({})
        self.assertEqual(403, self.request('GET', self.path,
                                           token=MANAGER).status_code)
        self.assertIsNone(self.policy.enforcer.file_problem())

    def test_unreadable_file_at_start_means_the_defaults(self):
        self._write_bytes(b'"context_is_admin": [\n')
        self.policy = self.useFixture(sm_fixtures.PolicyFixture(
            self.conf, policy_file=self.policy_file))
        self.assertEqual(200, self.request('GET', self.path).status_code)
        self.assertEqual(403, self.request('GET', self.path,
                                           token=MANAGER).status_code)

    def test_admin_is_decided_by_context_is_admin(self):
        # An operator may name another role the administrator.
        self._write({'context_is_admin': 'role:cloud-admin',
                     'os_compute_api:servers:migrations:index':
                     'rule:context_is_admin'})
        self.assertEqual(404, self.request('GET', self.path,
                                           token='admin:other').status_code)
        resp = self.request('GET', self.path,
                            token='boss:other:cloud-admin')
        self.assertEqual(200, resp.status_code)
