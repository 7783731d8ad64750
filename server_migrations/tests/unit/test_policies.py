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


class PolicyDecisionsTestCase(base.TestCase):
    """Decisions are kept per (rule, credentials, target), never shared."""

    def setUp(self):
        super().setUp()
        self.policy_file = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'policy.yaml')
        self.mtime = time.time()
        # Rules that look at each credential a decision may depend on.
        self._write({
            server_migrations.INDEX:
                'role:manager and project_id:%(project_id)s',
            server_migrations.INDEX_HOST: 'user_id:u1',
            server_migrations.SHOW: 'role:reader',
        })
        self.policy = self.useFixture(sm_fixtures.PolicyFixture(
            self.conf, policy_file=self.policy_file))
        self.enforcer = self.policy.enforcer
        original = oslo_policy.Enforcer.authorize
        self.checks = []

        def counted(enforcer, rule, *args, **kwargs):
            self.checks.append(rule)
            return original(enforcer, rule, *args, **kwargs)

        self.useFixture(fixtures.MockPatchObject(
            oslo_policy.Enforcer, 'authorize', counted))

    def _write(self, rules):
        with open(self.policy_file, 'w') as f:
            yaml.safe_dump(rules, f)
        self.mtime += 10
        os.utime(self.policy_file, (self.mtime, self.mtime))

    def _context(self, user='u1', project='p1', roles=('manager',),
                 **kwargs):
        return sm_context.RequestContext(user_id=user, project_id=project,
                                         roles=list(roles), **kwargs)

    def _can(self, context, rule, project='p1'):
        return context.can(rule, {'project_id': project}, fatal=False)

    def test_each_decision_made_once_then_kept(self):
        manager = self._context()
        policy.new_request()
        self.assertTrue(self._can(manager, server_migrations.INDEX))
        policy.new_request()
        self.assertTrue(self._can(self._context(),
                                  server_migrations.INDEX))
        self.assertEqual([server_migrations.INDEX], self.checks)

    def test_no_decision_leaks_between_callers(self):
        # (context, rule, target project, expected), each asked twice in
        # turn: the second round comes from the kept decisions and must
        # give each caller its own answer.
        cases = [
            (self._context(), server_migrations.INDEX, 'p1', True),
            # Another project in the token, same target: denied.
            (self._context(project='p2'), server_migrations.INDEX, 'p1',
             False),
            # Same caller, another target project: denied.
            (self._context(), server_migrations.INDEX, 'p2', False),
            # Another role: denied.
            (self._context(roles=['member']), server_migrations.INDEX,
             'p1', False),
            (self._context(roles=['member', 'manager']),
             server_migrations.INDEX, 'p1', True),
            # Another user: denied.
            (self._context(), server_migrations.INDEX_HOST, 'p1', True),
            (self._context(user='u2'), server_migrations.INDEX_HOST, 'p1',
             False),
            # System scope: the same role, but a token of the wrong scope
            # for a project rule.
            (self._context(roles=['reader']), server_migrations.SHOW, 'p1',
             True),
            (self._context(project=None, roles=['reader'],
                           system_scope='all'),
             server_migrations.SHOW, 'p1', False),
        ]
        for _ in range(2):
            policy.new_request()
            for context, rule, project, expected in cases:
                self.assertEqual(expected, self._can(context, rule, project),
                                 (context.to_policy_values(), rule, project))
        self.assertEqual(len(cases), len(self.checks))
        # A denial kept is still raised when fatal.
        self.assertRaises(exception.PolicyNotAuthorized,
                          self._context(user='u2').can,
                          server_migrations.INDEX_HOST, {'project_id': 'p1'})

    def test_is_admin_is_part_of_the_key(self):
        user = self._context(roles=['member'])
        admin = self._context(roles=['member'], is_admin=True)
        policy.new_request()
        self._can(user, server_migrations.INDEX)
        self._can(admin, server_migrations.INDEX)
        self.assertEqual(2, len(self.checks))

    def test_file_change_forgets_decisions(self):
        manager = self._context()
        policy.new_request()
        self.assertTrue(self._can(manager, server_migrations.INDEX))
        self._write({server_migrations.INDEX: 'role:admin'})
        # The request that made the decision keeps its rules.
        self.assertTrue(self._can(manager, server_migrations.INDEX))
        policy.new_request()
        self.assertFalse(self._can(manager, server_migrations.INDEX))
        self._write({})
        policy.new_request()
        # The defaults again: admin only.
        self.assertFalse(self._can(manager, server_migrations.INDEX))
        self.assertTrue(self._can(self._context(roles=['admin']),
                                  server_migrations.INDEX))

    def test_bad_file_keeps_the_decisions_of_the_last_good_rules(self):
        manager = self._context()
        policy.new_request()
        self.assertTrue(self._can(manager, server_migrations.INDEX))
        with open(self.policy_file, 'w') as f:
            f.write('{not yaml: [')
        self.mtime += 10
        os.utime(self.policy_file, (self.mtime, self.mtime))
        policy.new_request()
        self.assertTrue(self._can(manager, server_migrations.INDEX))
        self.assertIsNotNone(self.enforcer.bad_file)

    def test_set_rules_forgets_decisions(self):
        manager = self._context()
        policy.new_request()
        self.assertTrue(self._can(manager, server_migrations.INDEX))
        self.policy.set_rules({server_migrations.INDEX: '!'})
        self.assertFalse(self._can(manager, server_migrations.INDEX))

    def test_decisions_are_bounded(self):
        self.enforcer.max_decisions = 3
        policy.new_request()
        for n in range(10):
            self._can(self._context(user='u%d' % n),
                      server_migrations.INDEX_HOST)
            self.assertLessEqual(len(self.enforcer._decisions), 3)
        self.assertTrue(self._can(self._context(),
                                  server_migrations.INDEX_HOST))
        self.assertFalse(self._can(self._context(user='u9'),
                                   server_migrations.INDEX_HOST))
