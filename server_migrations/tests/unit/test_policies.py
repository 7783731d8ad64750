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

"""Policy defaults: admin only for every API rule."""

from server_migrations import context as sm_context
from server_migrations import exception
from server_migrations import policies
from server_migrations.policies import migrate_server
from server_migrations.policies import server_migrations
from server_migrations.tests import base

RULES = (server_migrations.INDEX, server_migrations.INDEX_HOST,
         server_migrations.SHOW, server_migrations.FORCE_COMPLETE,
         server_migrations.DELETE, migrate_server.MIGRATE_LIVE)


class PolicyDefaultsTestCase(base.TestCase):

    def _context(self, roles, project='p1'):
        return sm_context.RequestContext(user_id='u', project_id=project,
                                         roles=roles)

    def test_every_rule_is_registered_and_documented(self):
        names = {r.name for r in policies.list_rules()}
        for rule in RULES:
            self.assertIn(rule, names)

    def test_admin_only(self):
        target = {'project_id': 'p1'}
        admin = self._context(['admin', 'manager', 'member', 'reader'])
        other_admin = self._context(['admin'], project='p2')
        for rule in RULES:
            self.assertTrue(admin.can(rule, target))
            self.assertTrue(other_admin.can(rule, target))
            for roles in (['manager', 'member', 'reader'], ['member'],
                          ['reader']):
                self.assertRaises(exception.PolicyNotAuthorized,
                                  self._context(roles).can, rule, target)
                self.assertFalse(self._context(roles).can(rule, target,
                                                          fatal=False))

    def test_forbidden_message(self):
        exc = self.assertRaises(
            exception.PolicyNotAuthorized, self._context(['member']).can,
            migrate_server.MIGRATE_LIVE, {'project_id': 'p1'})
        self.assertEqual("Policy doesn't allow os_compute_api:"
                         "os-migrate-server:migrate_live to be performed.",
                         exc.format_message())

    def test_system_scope_is_denied(self):
        system_admin = sm_context.RequestContext(
            user_id='u', roles=['admin'], system_scope='all')
        self.assertFalse(system_admin.can(migrate_server.MIGRATE_LIVE,
                                          {'project_id': 'p1'}, fatal=False))
