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

"""Secrets stay out of logs and answers; limits and locks hold.

What a broken database answers on every route (a generic 500, nothing
internal) is the table in gabbits/no-tables.yaml.
"""

import configparser
import datetime
import json
import os
import subprocess
import sys
import textwrap

import fixtures
from keystonemiddleware import fixture as ksm_fixture
from oslo_middleware import sizelimit

from server_migrations.api import deploy
from server_migrations import compute
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import services as db_services
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import snapshot
from server_migrations.tests.functional.fixtures import stack

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..',
                                    '..'))
LAUNCHED = datetime.datetime(2020, 1, 1)
# What must never reach a client: traces, SQL, driver and module names.
INTERNALS = (b'Traceback', b'File "', b'SELECT', b'INSERT', b'UPDATE ',
             b'sqlalchemy', b'sqlite', b'pymysql', b'psycopg', b'oslo_',
             b'server_migrations', b'Error:', b'Exception', b'.py')

_LOG_SCRIPT = textwrap.dedent('''
    import json
    import sys

    import logging

    from keystonemiddleware import fixture as ksm_fixture
    import webob

    from server_migrations.api import deploy
    from server_migrations import wsgi

    config_file, token = sys.argv[1:3]
    auth = ksm_fixture.AuthTokenFixture()
    auth.setUp()
    auth.add_token_data(token_id=token, user_id='u1', project_id='p1',
                        role_list=['admin'])
    conf = wsgi.configure(['--config-file', config_file])
    app = deploy.loadapp(conf)
    # As services do at start-up: every option, secrets masked.
    conf.log_opt_values(logging.getLogger('sm.options'), logging.DEBUG)
    path = '/v2.1/servers/4cfba335-03d8-49b2-8c52-e69043d1e8fe/migrations'
    answers = []
    for method, url, tok, body in (
            ('GET', path, token, None),
            ('GET', path + '/1', token, None),
            ('POST', path + '/1/action', token, b'{"force_complete": null}'),
            ('DELETE', path + '/1', token, None),
            ('GET', '/v2.1/servers', token, None),
            ('GET', path, 'gAAAAABwrong-Secret-Token-0042', None),
            ('GET', path, None, None)):
        headers = {'OpenStack-API-Version': 'compute 2.80',
                   'Content-Type': 'application/json'}
        if tok:
            headers['X-Auth-Token'] = tok
        req = webob.Request.blank(url, method=method, headers=headers)
        if body:
            req.body = body
        resp = req.get_response(app)
        answers.append([resp.status_code, resp.body.decode('utf-8')])
    print(json.dumps(answers))
''')


class SecretsNotLoggedTestCase(stack.APITestCase):
    """The real start-up path, debug logging to a file, real failures."""

    SECRETS = {
        'db': 'Db-Passw0rd-7731', 'rabbit': 'Rabbit-Passw0rd-5530',
        'keystone': 'Ks-Passw0rd-9912',
        'token': 'gAAAAABgood-Secret-Token-0001',
        'bad_token': 'gAAAAABwrong-Secret-Token-0042',
    }

    def test_passwords_and_tokens_never_in_logs(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        log_file = os.path.join(tmp, 'api.log')
        config = os.path.join(tmp, 'server-migrations.conf')
        with open(config, 'w') as f:
            # Port 9 (discard) refuses on loopback: the database and the
            # broker are down, so their errors are logged too.
            f.write(textwrap.dedent('''
                [DEFAULT]
                debug = True
                log_file = %(log)s
                transport_url = rabbit://sm:%(rabbit)s@127.0.0.1:9/
                [database]
                connection = mysql+pymysql://sm:%(db)s@127.0.0.1:9/sm
                max_retries = 0
                [api]
                auth_strategy = keystone
                [keystone_authtoken]
                www_authenticate_uri = http://keystone.example/identity
                auth_type = password
                auth_url = http://127.0.0.1:9/identity
                username = server-migrations
                password = %(keystone)s
            ''' % dict(self.SECRETS, log=log_file)))
        script = os.path.join(tmp, 'serve.py')
        with open(script, 'w') as f:
            f.write(_LOG_SCRIPT)
        env = dict(os.environ, PYTHONPATH=ROOT,
                   OS_SERVER_MIGRATIONS_CONFIG_DIR=tmp,
                   OS_SERVER_MIGRATIONS_CONFIG_FILES='none.conf')
        proc = subprocess.run(
            [sys.executable, script, config, self.SECRETS['token']],
            capture_output=True, env=env, timeout=120, cwd=tmp)
        self.assertEqual(0, proc.returncode, proc.stderr[-3000:])
        answers = json.loads(proc.stdout.decode().strip().splitlines()[-1])
        self.assertEqual([503, 503, 503, 503, 503, 401, 401],
                         [code for code, _body in answers])
        with open(log_file) as f:
            logged = f.read()
        # The log is not empty: the failures were written there.
        self.assertIn('Database unavailable', logged)
        self.assertIn('database.connection', logged)
        self.assertIn('transport_url', logged)
        self.assertIn('keystone_authtoken.password', logged)
        for name, secret in self.SECRETS.items():
            self.assertNotIn(secret, logged, name)
            self.assertNotIn(secret.encode(), proc.stderr, name)
            for _code, body in answers:
                self.assertNotIn(secret, body, name)
        for _code, body in answers:
            for internal in INTERNALS:
                self.assertNotIn(internal.decode(), body)


class BodySizeLimitTestCase(stack.APITestCase):
    """The production paste pipeline enforces [oslo_middleware]."""

    def setUp(self):
        super().setUp()
        self.conf.register_opts(sizelimit.OPTS, group='oslo_middleware')
        self.conf.set_override('max_request_body_size', 1024,
                               group='oslo_middleware')
        self.app = stack.paste_app(self.conf, 'server-migrations-api-noauth2')
        server = sm_fixtures.make_instance(self.context,
                                           launched_at=LAUNCHED)
        self.path = '/v2.1/servers/%s/migrations/1/action' % server['uuid']

    def test_limit_is_the_configured_one(self):
        # 1024 bytes pass the size check (and fail later as a bad body);
        # one more byte is refused before anything reads it.
        at_limit = b'{"force_complete": "' + b'x' * 1002 + b'"}'
        self.assertEqual(1024, len(at_limit))
        resp = self.request('POST', self.path, body=at_limit)
        self.assertEqual(400, resp.status_code, resp.body)
        over = b'{"force_complete": "' + b'x' * 1003 + b'"}'
        resp = self.request('POST', self.path, body=over)
        self.assertEqual(413, resp.status_code)
        self.assertEqual({'overLimit': {'code': 413,
                                        'message': 'Request is too large.'}},
                         resp.json_body)


class LockedServerTestCase(stack.APITestCase):
    """Only admins act on a locked server, whatever policy allows."""

    def setUp(self):
        super().setUp()
        manager = 'rule:project_manager_or_admin'
        self.useFixture(sm_fixtures.PolicyFixture(self.conf)).set_rules({
            'os_compute_api:servers:migrations:force_complete': manager,
            'os_compute_api:servers:migrations:delete': manager,
            'os_compute_api:os-migrate-server:migrate_live': manager})
        self.computes = self.useFixture(stack.RecordingComputes(
            self.conf, ['h1', 'h2']))
        for host in ('h1', 'h2'):
            db_services.service_heartbeat(self.context, host, compute.BINARY,
                                          'compute', '1.0')

    def _locked(self, task_state):
        server = sm_fixtures.make_instance(
            self.context, task_state=task_state, launched_at=LAUNCHED,
            locked=True, locked_by='owner')
        migration = sm_fixtures.make_migration(self.context, server['uuid'])
        base = '/v2.1/servers/%s' % server['uuid']
        return server, {
            'force_complete': ('POST', '%s/migrations/%s/action' % (
                base, migration['id']), {'force_complete': None}),
            'abort': ('DELETE', '%s/migrations/%s' % (base, migration['id']),
                      None),
        }, ('POST', base + '/action',
            {'os-migrateLive': {'host': 'h2', 'block_migration': 'auto'}})

    def test_non_admin_gets_409_and_nothing_changes(self):
        server, actions, _start = self._locked('migrating')
        idle, _actions, start = self._locked(None)
        before = snapshot.database()
        # The reference words a lock on abort as an invalid state (sic).
        abort_message = ("Instance %s is in an invalid state for 'abort "
                         "live migration'" % server['uuid'])
        for (method, url, body), message in (
                (actions['force_complete'],
                 'Instance %s is locked' % server['uuid']),
                (actions['abort'], abort_message),
                (start, 'Instance %s is locked' % idle['uuid'])):
            resp = self.request(method, url, body=body,
                                token='mgr:p1:manager,member,reader')
            self.assertEqual(409, resp.status_code, url)
            self.assertEqual(
                {'conflictingRequest': {'code': 409, 'message': message}},
                resp.json_body)
        self.assertEqual(before, snapshot.database())
        self.assertEqual({'h1': [], 'h2': []}, self.computes.all_casts())

    def test_admin_acts_on_a_locked_server(self):
        server, actions, _start = self._locked('migrating')
        idle, _actions, start = self._locked(None)
        for method, url, body in list(actions.values()) + [start]:
            resp = self.request(method, url, token='admin:p1', body=body)
            self.assertEqual(202, resp.status_code, resp.body)
        self.assertEqual(2, len(db_actions.actions_get(self.context,
                                                       server['uuid'])))
        self.assertEqual(1, len(db_actions.actions_get(self.context,
                                                       idle['uuid'])))


class NoAuth2NotByDefaultTestCase(stack.APITestCase):
    """Dev auth is only ever reached by asking for it by name."""

    def setUp(self):
        super().setUp()
        stack.register_authtoken(self.conf)
        # keystonemiddleware never reaches a keystone: no token is valid.
        self.useFixture(ksm_fixture.AuthTokenFixture())
        self.server = sm_fixtures.make_instance(self.context)
        self.path = '/v2.1/servers/%s/migrations' % self.server['uuid']

    def keystone_apps(self):
        """The keystone pipeline, loaded by name and by deploy.loadapp."""
        self.conf.set_override('auth_strategy', 'keystone', group='api')
        return {'paste': stack.paste_app(self.conf, 'server-migrations-api'),
                'loadapp': deploy.loadapp(self.conf)}

    def test_default_auth_strategy_is_keystone(self):
        conf = self.useFixture(sm_fixtures.ConfFixture()).conf
        conf.clear_override('auth_strategy', group='api')
        self.assertEqual('keystone', conf.api.auth_strategy)

    def test_production_pipeline_has_no_noauth2(self):
        parser = configparser.ConfigParser()
        parser.read(stack.PASTE_INI)
        pipelines = {s.split(':', 1)[1]: parser[s]['pipeline'].split()
                     for s in parser.sections()
                     if s.startswith('pipeline:')}
        self.assertIn('authtoken', pipelines['server-migrations-api'])
        self.assertNotIn('noauth2', pipelines['server-migrations-api'])
        with_noauth2 = [n for n, p in pipelines.items() if 'noauth2' in p]
        self.assertEqual(['server-migrations-api-noauth2'], with_noauth2)
        self.assertNotIn('composite:main', parser.sections())
        self.assertNotIn('pipeline:main', parser.sections())

    def test_noauth2_tokens_are_refused_by_the_default_pipelines(self):
        apps = self.keystone_apps()
        for name, app in apps.items():
            for token in ('admin:p1', 'admin:p1:admin', 'admin'):
                resp = self.request('GET', self.path, token=token, app=app)
                self.assertEqual(401, resp.status_code, (name, token))
                self.assertEqual(401,
                                 resp.json_body['unauthorized']['code'])

    def test_server_header_names_no_interpreter(self):
        # WSGI servers add their own Server header only when the
        # application set none (the stdlib's names the Python version).
        apps = self.keystone_apps()
        for name, app in apps.items():
            for path, token in (('/', None), (self.path, None),
                                (self.path, 'unknown')):
                resp = self.request('GET', path, token=token, app=app)
                self.assertEqual(['server-migrations'],
                                 resp.headers.getall('Server'), name)
