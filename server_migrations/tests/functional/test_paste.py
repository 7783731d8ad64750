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

"""Paste deployment: api-paste.ini pipelines and the plugin as a filter."""

import os
import subprocess
import sys
import textwrap

import fixtures
from keystonemiddleware import fixture as ksm_fixture
from oslo_serialization import jsonutils
from paste import deploy as paste_deploy
import webob
import webob.dec

from server_migrations.api import auth
from server_migrations.api import deploy
from server_migrations import exception
from server_migrations.tests import fixtures as sm_fixtures
from server_migrations.tests.functional.fixtures import stack

HOST_INI = """
[pipeline:host]
pipeline = %(pipeline)s hostapp

[filter:server_migrations]
paste.filter_factory = server_migrations.api.deploy:filter_factory

[filter:authtoken]
paste.filter_factory = server_migrations.api.deploy:authtoken_filter_factory

[filter:hostauth]
paste.filter_factory = %(module)s:host_auth_factory

[app:hostapp]
paste.app_factory = %(module)s:host_app_factory
"""
# The host's auth filters, in the order a correct host stack has them.
HOST_AUTH = 'authtoken hostauth'


@webob.dec.wsgify
def _host_app(req):
    """A host compute API: echoes what reached it."""
    return webob.Response(json_body={
        'host': True, 'method': req.method, 'path': req.path_info,
        'body': req.body.decode('utf-8')})


def host_app_factory(global_conf, **local_conf):
    return _host_app


class HostAuthContext:
    """A host's context filter that, like some, leaves X-Roles as sent."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        environ.setdefault('host.context', environ.get('HTTP_X_USER_ID'))
        return self.app(environ, start_response)


def host_auth_factory(global_conf, **local_conf):
    return HostAuthContext


def load_host(test, pipeline):
    ini = os.path.join(test.useFixture(fixtures.TempDir()).path,
                       'host-paste.ini')
    with open(ini, 'w') as f:
        f.write(HOST_INI % {'pipeline': pipeline, 'module': __name__})
    return paste_deploy.loadapp('config:%s' % ini, name='host',
                                global_conf=deploy.global_conf(test.conf))


class _PasteBase(stack.APITestCase):

    def setUp(self):
        super().setUp()
        self.server = sm_fixtures.make_instance(self.context)
        self.migration = sm_fixtures.make_migration(self.context,
                                                    self.server['uuid'])
        self.path = '/v2.1/servers/%s/migrations' % self.server['uuid']

    def keystone_tokens(self):
        """authtoken with an admin and a member token, and no keystone."""
        stack.register_authtoken(self.conf)
        auth = self.useFixture(ksm_fixture.AuthTokenFixture())
        auth.add_token_data(token_id='admin-token', user_id='admin',
                            project_id='p1', role_list=['admin'])
        auth.add_token_data(token_id='member-token', user_id='u2',
                            project_id='p1', role_list=['member'])


class FilterTestCase(_PasteBase):
    """The plugin in front of a separate host application."""

    def setUp(self):
        super().setUp()
        self.keystone_tokens()
        self.host = load_host(self, HOST_AUTH + ' server_migrations')
        # authtoken confirms the token and sets the identity headers.
        self.identity = {'X-Auth-Token': 'admin-token'}

    def test_host_routes_pass_through_with_body(self):
        for method, path, body in (
                ('GET', '/v2.1/servers/%s' % self.server['uuid'], None),
                ('GET', '/v2.1/servers/detail', None),
                ('POST', '/v2.1/servers/%s/action' % self.server['uuid'],
                 {'os-stop': None}),
                ('GET', '/v2.1/flavors', None),
                ('GET', '/', None)):
            resp = self.request(method, path, token=None, body=body,
                                headers=self.identity, app=self.host)
            self.assertEqual(200, resp.status_code, path)
            self.assertEqual({'host': True, 'method': method, 'path': path,
                              'body': jsonutils.dumps(body)
                              if body else ''}, resp.json_body)

    def test_migration_routes_answered_by_plugin(self):
        resp = self.request('GET', self.path, token=None,
                            headers=self.identity, app=self.host)
        self.assertEqual(200, resp.status_code)
        self.assertEqual([self.migration['id']],
                         [m['id'] for m in resp.json_body['migrations']])
        self.assertEqual('compute 2.80',
                         resp.headers['OpenStack-API-Version'])
        resp = self.request('POST', '%s/%s/action' % (
            self.path, self.migration['id']), token=None,
            headers=self.identity, app=self.host,
            body={'force_complete': None})
        self.assertEqual(202, resp.status_code)

    def test_operator_views_answered_by_plugin(self):
        uuid = self.server['uuid']
        resp = self.request('GET', '/v2.1/os-migrations', token=None,
                            headers=self.identity, app=self.host)
        self.assertEqual(200, resp.status_code)
        self.assertEqual([self.migration['id']],
                         [m['id'] for m in resp.json_body['migrations']])
        resp = self.request('GET', '/v2.1/servers/%s/os-instance-actions'
                            % uuid, token=None, headers=self.identity,
                            app=self.host)
        self.assertEqual({'instanceActions': []}, resp.json_body)
        resp = self.request('GET', '/v2.1/servers/%s/os-instance-actions/r'
                            % uuid, token=None, headers=self.identity,
                            app=self.host)
        self.assertEqual(404, resp.status_code)
        self.assertEqual('Action r not found',
                         resp.json_body['itemNotFound']['message'])
        # The standalone service's identity refusals are not the plugin's.
        resp = self.request('GET', '/v2.1/users', token=None,
                            headers=self.identity, app=self.host)
        self.assertEqual(True, resp.json_body['host'])

    def test_filter_resources_chooses_what_is_claimed(self):
        self.conf.set_override('filter_resources', ['server-migrations'],
                               group='api')
        host = load_host(self, HOST_AUTH + ' server_migrations')
        uuid = self.server['uuid']
        for path in ('/v2.1/os-migrations',
                     '/v2.1/servers/%s/os-instance-actions' % uuid):
            resp = self.request('GET', path, token=None,
                                headers=self.identity, app=host)
            self.assertEqual({'host': True, 'method': 'GET', 'path': path,
                              'body': ''}, resp.json_body)
        resp = self.request('GET', self.path, token=None,
                            headers=self.identity, app=host)
        self.assertIn('migrations', resp.json_body)

    def test_project_prefixed_migration_routes(self):
        resp = self.request('GET', self.path.replace('/v2.1', '/v2.1/p1'),
                            token=None, headers=self.identity,
                            app=self.host)
        self.assertEqual(200, resp.status_code)

    def test_unrouted_migration_paths_are_json_404(self):
        for method, path in (('PUT', self.path + '/1'),
                             ('GET', self.path + '/')):
            resp = self.request(method, path, token=None,
                                headers=self.identity, app=self.host)
            self.assertEqual(404, resp.status_code)
            self.assertIn('itemNotFound', resp.json_body)

    def test_plugin_needs_an_identity(self):
        # authtoken refuses first, in its own words (the host's stack).
        resp = self.request('GET', self.path, token=None, app=self.host)
        self.assertEqual(401, resp.status_code)
        # Without authtoken in front the plugin refuses, in ours.
        host = load_host(self, 'hostauth server_migrations')
        resp = self.request('GET', self.path, token=None, app=host)
        self.assertEqual(401, resp.status_code)
        self.assertEqual(401, resp.json_body['unauthorized']['code'])

    def test_identity_headers_alone_are_not_believed(self):
        spoofed = {'X-User-Id': 'admin', 'X-Project-Id': 'p1',
                   'X-Roles': 'admin,member,reader',
                   'X-Identity-Status': 'Confirmed'}
        resp = self.request('GET', self.path, token=None, headers=spoofed,
                            app=self.host)
        self.assertEqual(401, resp.status_code)
        # authtoken replaces what a member token's request says of itself.
        resp = self.request('GET', self.path, token='member-token',
                            headers=dict(spoofed, **{
                                'X-Auth-Token': 'member-token'}),
                            app=self.host)
        self.assertEqual(403, resp.status_code)


class PipelineOrderTestCase(_PasteBase):
    """Every order of the plugin and the host's auth filters."""

    SPOOFED = {'X-User-Id': 'admin', 'X-Project-Id': 'p1',
               'X-Roles': 'admin,member,reader',
               'X-Identity-Status': 'Confirmed'}

    def setUp(self):
        super().setUp()
        self.keystone_tokens()

    def _answers(self, app):
        def status(token, headers=None):
            return self.request('GET', self.path, token=token,
                                headers=headers, app=app).status_code
        return (status('admin-token'), status('member-token'),
                status(None, self.SPOOFED),
                status('member-token', self.SPOOFED),
                status('garbage', self.SPOOFED))

    def test_every_order(self):
        filters = ('authtoken', 'hostauth', 'server_migrations')
        orders = [(a, b, c) for a in filters for b in filters
                  for c in filters if len({a, b, c}) == 3]
        orders += [('server_migrations',), ('hostauth', 'server_migrations'),
                   ('server_migrations', 'hostauth')]
        for order in orders:
            pipeline = ' '.join(order)
            position = order.index('server_migrations')
            auth_before = [f for f in order[:position]]
            auth_after = [f for f in order[position + 1:]]
            if auth_after:
                # Refused at start-up, naming the filter it comes before.
                exc = self.assertRaises(exception.ConfigurationError,
                                        load_host, self, pipeline)
                self.assertIn('comes before', str(exc), pipeline)
                self.assertIn('Auth', str(exc), pipeline)
                continue
            answers = self._answers(load_host(self, pipeline))
            if 'authtoken' in auth_before:
                self.assertEqual((200, 403, 401, 403, 401), answers,
                                 pipeline)
            else:
                # Nothing confirmed a token: nothing is believed.
                self.assertEqual((401,) * 5, answers, pipeline)

    def test_delayed_auth_decision_fails_closed(self):
        self.conf.set_override('delay_auth_decision', True,
                               group='keystone_authtoken')
        answers = self._answers(load_host(
            self, 'authtoken hostauth server_migrations'))
        self.assertEqual((200, 403, 401, 403, 401), answers)

    def test_keystonecontext_without_authtoken_fails_closed(self):
        app = auth.KeystoneContext(webob.exc.HTTPNoContent())
        resp = self.request('GET', self.path, token=None,
                            headers=self.SPOOFED, app=app)
        self.assertEqual(401, resp.status_code)


class PasteIniTestCase(_PasteBase):
    """The shipped api-paste.ini."""

    def setUp(self):
        super().setUp()
        stack.register_authtoken(self.conf)

    def test_noauth2_pipeline(self):
        app = stack.paste_app(self.conf, 'server-migrations-api-noauth2')
        resp = self.request('GET', self.path, token='admin:p1', app=app)
        self.assertEqual(200, resp.status_code)
        self.assertIn('x-compute-request-id', resp.headers)
        resp = self.request('GET', self.path, token=None, app=app)
        self.assertEqual(401, resp.status_code)
        self.assertIn('unauthorized', resp.json_body)
        resp = self.request('GET', '/v2.1', token=None, app=app)
        self.assertEqual(200, resp.status_code)
        self.assertEqual('2.104', resp.json_body['version']['version'])

    def test_keystone_pipeline(self):
        auth = self.useFixture(ksm_fixture.AuthTokenFixture())
        auth.add_token_data(token_id='admin-token', user_id='u1',
                            project_id='p1', role_list=['admin'])
        auth.add_token_data(token_id='member-token', user_id='u2',
                            project_id='p1', role_list=['member'])
        self.conf.set_override('auth_strategy', 'keystone', group='api')
        app = stack.paste_app(self.conf, 'server-migrations-api')
        resp = self.request('GET', self.path, token='admin-token', app=app)
        self.assertEqual(200, resp.status_code, resp.body)
        resp = self.request('GET', self.path, token='member-token', app=app)
        self.assertEqual(403, resp.status_code)
        for token in (None, 'unknown-token'):
            resp = self.request('GET', self.path, token=token, app=app)
            self.assertEqual(401, resp.status_code)
            self.assertEqual('application/json; charset=UTF-8',
                             resp.headers['Content-Type'])
            self.assertEqual(
                {'unauthorized': {
                    'code': 401,
                    'message': 'The request you have made requires '
                               'authentication.'}}, resp.json_body)
            self.assertEqual('compute 2.80',
                             resp.headers['OpenStack-API-Version'])
            self.assertIn('keystone.example',
                          resp.headers['WWW-Authenticate'])
        # Discovery needs no token.
        resp = self.request('GET', '/v2.1/', token=None, app=app)
        self.assertEqual(200, resp.status_code)

    def test_loadapp_follows_auth_strategy(self):
        auth = self.useFixture(ksm_fixture.AuthTokenFixture())
        auth.add_token_data(token_id='admin-token', user_id='u1',
                            project_id='p1', role_list=['admin'])
        self.conf.set_override('auth_strategy', 'keystone', group='api')
        app = deploy.loadapp(self.conf)
        self.assertEqual(200, self.request('GET', self.path,
                                           token='admin-token',
                                           app=app).status_code)
        self.assertEqual(401, self.request('GET', self.path, token=None,
                                           app=app).status_code)

    def test_a_configuration_lost_on_the_way_is_refused(self):
        # The service's own configuration reaches every factory ...
        factory = deploy.faultwrap_filter_factory(
            deploy.global_conf(self.conf))
        self.assertIs(self.conf, factory(lambda e, s: []).conf)
        # ... and one that paste turned into plain text is an error, never
        # a quiet read of some other configuration file.
        self.assertRaises(exception.ConfigurationError,
                          deploy.faultwrap_filter_factory,
                          {deploy.CONF_KEY: ''})


class OwnConfigTestCase(stack.APITestCase):
    """A factory loaded by another paste loader reads its config files."""

    def test_config_file_entry_of_the_section(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        config = os.path.join(tmp, 'sm.conf')
        with open(config, 'w') as f:
            f.write('[DEFAULT]\nuse_stderr = false\n'
                    '[api]\nmax_microversion = 2.90\n')
        ini = os.path.join(tmp, 'host-paste.ini')
        with open(ini, 'w') as f:
            f.write(textwrap.dedent('''
                [pipeline:host]
                pipeline = versions hostapp
                [filter:versions]
                paste.filter_factory = %s:versions_filter_factory
                config_file = %s
                [app:hostapp]
                paste.app_factory = %s:host_app_factory
            ''' % (deploy.__name__, config, __name__)))
        # Its own process: reading config files also sets up logging.
        code = textwrap.dedent('''
            import sys
            from paste import deploy
            import webob
            app = deploy.loadapp('config:' + sys.argv[1], name='host')
            resp = webob.Request.blank('/v2.1').get_response(app)
            print(resp.json_body['version']['version'])
        ''')
        result = subprocess.run([sys.executable, '-c', code, ini],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual('2.90', result.stdout.strip().splitlines()[-1])
