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

"""Every policy rule x persona x auth filter x policy file, over HTTP.

Each cell acts on records of its own, so one persona's accepted action
cannot change what the next one sees. The override is the one the policy
sample documents (every rule whose description says to override it with
``rule:project_manager_or_admin``, read from the sample itself) and the one
the README's Policy section writes out (read from the README).
"""

import datetime
import os
import re

import fixtures
from keystoneauth1 import fixture as ks_fixture
from keystonemiddleware import fixture as ksm_fixture
import yaml

from server_migrations.api import deploy
from server_migrations import compute
from server_migrations.db import instances as db_instances
from server_migrations.db import services as db_services
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import stack

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..')
SAMPLE = os.path.join(ROOT, 'etc', 'server-migrations', 'policy.yaml.sample')
# The Policy section that README.rst links to.
README = os.path.join(ROOT, 'doc', 'configuration.rst')
MANAGER_CHECK = 'rule:project_manager_or_admin'
PROJECT = '0123456789abcdef0123456789abcdef'
OTHER = 'fedcba9876543210fedcba9876543210'
LAUNCHED = datetime.datetime(2020, 1, 1)
ALL_ROLES = ['admin', 'manager', 'member', 'reader']

# rule -> (method, path template, body, success code)
OPERATIONS = {
    'index': ('GET', '/v2.1/servers/{server}/migrations', None, 200),
    'show': ('GET', '/v2.1/servers/{server}/migrations/{migration}', None,
             200),
    'force_complete': ('POST',
                       '/v2.1/servers/{server}/migrations/{migration}/action',
                       {'force_complete': None}, 202),
    'delete': ('DELETE', '/v2.1/servers/{server}/migrations/{migration}',
               None, 202),
    'migrate_live': ('POST', '/v2.1/servers/{ready}/action',
                     {'os-migrateLive': {'host': None,
                                         'block_migration': 'auto'}}, 202),
}
RULE_NAMES = {
    'index': 'os_compute_api:servers:migrations:index',
    'show': 'os_compute_api:servers:migrations:show',
    'force_complete': 'os_compute_api:servers:migrations:force_complete',
    'delete': 'os_compute_api:servers:migrations:delete',
    'migrate_live': 'os_compute_api:os-migrate-server:migrate_live',
}

# name -> (project or 'system' or None, roles); None: no identity at all.
PERSONAS = {
    'admin': (PROJECT, ALL_ROLES),
    'manager': (PROJECT, ['manager', 'member', 'reader']),
    'member': (PROJECT, ['member', 'reader']),
    'reader': (PROJECT, ['reader']),
    'other-admin': (OTHER, ALL_ROLES),
    'other-manager': (OTHER, ['manager', 'member', 'reader']),
    'other-member': (OTHER, ['member', 'reader']),
    'system-admin': ('system', ALL_ROLES),
    'system-reader': ('system', ['reader']),
    'no-token': (None, None),
    'bad-token': (None, None),
}
# noauth2 has no way to say "system scope".
NOAUTH2_PERSONAS = [p for p, (scope, _r) in PERSONAS.items()
                    if scope != 'system']


def documented_manager_override(sample_path=SAMPLE):
    """The rules the sample says to set to project_manager_or_admin.

    A rule's comment block precedes its commented-out default; the hint
    may be wrapped over several comment lines.
    """
    with open(sample_path) as f:
        blocks = f.read().split('\n\n')
    overrides = {}
    for block in blocks:
        lines = block.strip().splitlines()
        text = ' '.join(line.lstrip('# ').strip() for line in lines
                        if not line.startswith('#"'))
        default = [line for line in lines if line.startswith('#"')]
        if default and ('override it with "%s"' % MANAGER_CHECK) in text:
            name = re.match(r'#"([^"]+)"', default[0]).group(1)
            overrides[name] = MANAGER_CHECK
    return overrides


def readme_manager_override(readme_path=README):
    """The manager override as the README's Policy section writes it."""
    with open(readme_path) as f:
        text = f.read()
    section = text[text.index("To let managers of the server's project"):]
    block = section[:section.index('\n\n', section.index('::') + 3)]
    return yaml.safe_load('\n'.join(
        line.strip() for line in block.splitlines()
        if line.startswith('    "')))


def expected(persona, rule, override):
    """The status code a persona gets for a rule (and host visibility)."""
    scope, roles = PERSONAS[persona]
    if scope is None:
        return 401
    is_admin = 'admin' in roles
    if scope == 'system':
        # An admin is found every server but the rules are for project
        # tokens; without admin a token without a project owns nothing.
        return 403 if is_admin else 404
    if is_admin:
        return OPERATIONS[rule][3]
    if scope != PROJECT:
        # Another project's server is not found, before any policy check.
        return 404
    if (RULE_NAMES[rule] in override and 'manager' in roles):
        return OPERATIONS[rule][3]
    return 403


def hosts_visible(persona, override, rule='index'):
    """Who sees the host fields of the list or of one migration.

    Admins; and, unless "<rule>:host" itself is overridden, whoever an
    override opened ``rule`` ("index" or "show") to, since "<rule>:host"
    falls back to its deprecated name.
    """
    _scope, roles = PERSONAS[persona]
    if 'admin' in roles:
        return True
    if RULE_NAMES[rule] + ':host' in override:
        return override[RULE_NAMES[rule] + ':host'] == MANAGER_CHECK \
            and 'manager' in roles
    return RULE_NAMES[rule] in override and 'manager' in roles


class _MatrixBase(stack.APITestCase):

    OVERRIDE = {}

    def setUp(self):
        super().setUp()
        if self.OVERRIDE:
            path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                'policy.yaml')
            with open(path, 'w') as f:
                yaml.safe_dump(self.OVERRIDE, f)
            self.useFixture(sm_fixtures.PolicyFixture(
                self.conf, policy_file=path))
        self.useFixture(stack.RecordingComputes(self.conf, ['src', 'dst']))
        for host in ('src', 'dst'):
            db_services.service_heartbeat(self.context, host, compute.BINARY,
                                          'compute', '1.0')

    def _records(self):
        """A server with a running migration and one ready to migrate."""
        values = {'project_id': PROJECT, 'user_id': 'owner', 'host': 'src',
                  'node': 'src', 'launched_at': LAUNCHED}
        server = sm_fixtures.make_instance(self.context, **values)
        migration = sm_fixtures.make_migration(
            self.context, server['uuid'], source_compute='src',
            dest_compute='dst', source_node='src', dest_node='dst',
            dest_host='dst')
        ready = sm_fixtures.make_instance(self.context, task_state=None,
                                          **values)
        return {'server': server['uuid'], 'migration': migration['id'],
                'ready': ready['uuid']}

    def token(self, persona):
        raise NotImplementedError

    def _run(self, personas):
        mismatches = []
        cells = 0
        for persona in personas:
            for rule, (method, template, body, _ok) in OPERATIONS.items():
                records = self._records()
                resp = self.request(method, template.format(**records),
                                    token=self.token(persona), body=body)
                cells += 1
                want = expected(persona, rule, self.OVERRIDE)
                if resp.status_code != want:
                    mismatches.append('%s %s: %s, expected %s' % (
                        persona, rule, resp.status_code, want))
                if rule in ('index', 'show') and resp.status_code == 200:
                    body = resp.json_body
                    seen = (body['migrations'][0] if rule == 'index'
                            else body['migration'])['source_compute']
                    if (seen == 'src') != hosts_visible(persona,
                                                        self.OVERRIDE, rule):
                        mismatches.append('%s %s:host: source_compute '
                                          '%r' % (persona, rule, seen))
        for persona in personas:
            resp = self.request('GET', '/v2.1/servers',
                                token=self.token(persona))
            if resp.status_code == 200:
                owners = {s['id'] for s in resp.json_body['servers']}
                mismatches.extend(self._foreign(persona, owners))
        self.assertEqual([], mismatches)
        self.assertEqual(len(personas) * len(OPERATIONS), cells)

    def _foreign(self, persona, server_ids):
        """Servers listed to ``persona`` that are not of its project."""
        scope, _roles = PERSONAS[persona]
        wrong = []
        for server_id in server_ids:
            server = db_instances.instance_get(self.context, server_id)
            if server['project_id'] != scope:
                wrong.append('%s lists %s of project %s' % (
                    persona, server_id, server['project_id']))
        return wrong[:1]


class NoAuth2Mixin:

    def token(self, persona):
        if persona == 'no-token':
            return None
        if persona == 'bad-token':
            return 'not-a-noauth2-token'
        scope, roles = PERSONAS[persona]
        return '%s-user:%s:%s' % (persona, scope, ','.join(roles))

    def test_matrix(self):
        self._run(NOAUTH2_PERSONAS)


class KeystoneMixin:

    def setUp(self):
        super().setUp()
        auth = self.useFixture(ksm_fixture.AuthTokenFixture())
        for persona, (scope, roles) in PERSONAS.items():
            if scope is None:
                continue
            if scope == 'system':
                token = ks_fixture.V3Token(user_id=persona + '-user')
                token.set_system_scope()
                for role in roles:
                    token.add_role(name=role)
                auth.add_token(token, token_id=persona + '-token')
            else:
                auth.add_token_data(token_id=persona + '-token',
                                    user_id=persona + '-user',
                                    project_id=scope, role_list=roles)
        stack.register_authtoken(self.conf)
        self.conf.set_override('auth_strategy', 'keystone', group='api')
        self.app = deploy.loadapp(self.conf)

    def token(self, persona):
        if persona == 'no-token':
            return None
        return persona + '-token'

    def test_matrix(self):
        self._run(list(PERSONAS))


class NoAuth2DefaultsTestCase(NoAuth2Mixin, _MatrixBase):
    pass


class NoAuth2ManagerOverrideTestCase(NoAuth2Mixin, _MatrixBase):
    OVERRIDE = documented_manager_override()


class NoAuth2ReadmeOverrideTestCase(NoAuth2Mixin, _MatrixBase):
    OVERRIDE = readme_manager_override()


class KeystoneDefaultsTestCase(KeystoneMixin, _MatrixBase):
    pass


class KeystoneManagerOverrideTestCase(KeystoneMixin, _MatrixBase):
    OVERRIDE = documented_manager_override()


class KeystoneReadmeOverrideTestCase(KeystoneMixin, _MatrixBase):
    OVERRIDE = readme_manager_override()


class SampleOverrideTestCase(stack.APITestCase):
    """The overrides read from the sample and from the README."""

    def test_readme_documents_the_manager_override(self):
        self.assertEqual({
            'os_compute_api:servers:migrations:index': MANAGER_CHECK,
            'os_compute_api:servers:migrations:index:host':
                'rule:context_is_admin',
            'os_compute_api:servers:migrations:force_complete':
                MANAGER_CHECK,
            'os_compute_api:servers:migrations:delete': MANAGER_CHECK,
        }, readme_manager_override())

    def test_sample_documents_the_manager_override(self):
        self.assertEqual({
            'os_compute_api:servers:migrations:force_complete':
                MANAGER_CHECK,
            'os_compute_api:servers:migrations:delete': MANAGER_CHECK,
            'os_compute_api:servers:migrations:index': MANAGER_CHECK,
            'os_compute_api:servers:migrations:show': MANAGER_CHECK,
            'os_compute_api:os-migrate-server:migrate_live': MANAGER_CHECK,
            # Managers listing their own project's migrations.
            'os_compute_api:os-migrations:index': MANAGER_CHECK,
        }, documented_manager_override())
