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

"""Policy defaults (admin only for every API rule) and file reloads."""

import os
import time

import fixtures
from oslo_policy import policy as oslo_policy
import yaml

from server_migrations import context as sm_context
from server_migrations import exception
from server_migrations import policies
from server_migrations.policies import migrate_server
from server_migrations.policies import server_migrations
from server_migrations import policy
from server_migrations.tests import base
from server_migrations.tests import fixtures as sm_fixtures

RULES = (server_migrations.INDEX, server_migrations.INDEX_HOST,
         server_migrations.SHOW, server_migrations.SHOW_HOST,
         server_migrations.FORCE_COMPLETE,
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


class PolicyFileOncePerRequestTestCase(base.TestCase):
    """The policy file is looked at on the first check of each request."""

    def setUp(self):
        super().setUp()
        self.policy_file = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'policy.yaml')
        self.mtime = time.time()
        self._write({})
        self.policy = self.useFixture(sm_fixtures.PolicyFixture(
            self.conf, policy_file=self.policy_file))
        self.manager = sm_context.RequestContext(
            user_id='u', project_id='p1', roles=['manager', 'member'])
        self.target = {'project_id': 'p1'}

    def _write(self, rules):
        with open(self.policy_file, 'w') as f:
            yaml.safe_dump(rules, f)
        # A later mtime whatever the file system's clock granularity.
        self.mtime += 10
        os.utime(self.policy_file, (self.mtime, self.mtime))

    def _allowed(self):
        return self.manager.can(server_migrations.INDEX, self.target,
                                fatal=False)

    def test_change_applies_from_the_next_request(self):
        policy.new_request()
        self.assertFalse(self._allowed())
        self._write({server_migrations.INDEX:
                     'rule:project_manager_or_admin'})
        # Same request: the rules it started with.
        self.assertFalse(self._allowed())
        policy.new_request()
        self.assertTrue(self._allowed())
        self.assertTrue(self._allowed())
        self._write({})
        policy.new_request()
        self.assertFalse(self._allowed())

    def test_registering_a_rule_reloads(self):
        policy.new_request()
        self.assertFalse(self._allowed())
        self._write({'extra': 'role:manager'})
        self.policy.enforcer.register_default(
            oslo_policy.RuleDefault('extra', 'role:admin'))
        # Not a new request, but the registered rules changed: the file is
        # read again and its override of the new rule applies.
        self.assertTrue(policy.authorize(self.manager, 'extra', self.target,
                                         fatal=False))

    def test_unchanged_file_is_not_read_again(self):
        policy.new_request()
        self.assertFalse(self._allowed())
        # An invalid file would be logged and ignored on a reload; with an
        # unchanged mtime oslo.policy does not even read it.
        os.utime(self.policy_file, (self.mtime, self.mtime))
        policy.new_request()
        self.assertFalse(self._allowed())
