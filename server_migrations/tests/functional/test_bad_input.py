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

"""Generated bad input over the whole WSGI stack: refused, cleanly.

hypothesis builds requests (paths under /servers, headers, bodies, query
strings); every answer must be a success or a compute-format fault whose
code matches its status, never a 500, and a refused request must leave
every table as it was and send no cast. Runs are derandomized, so CI sees
the same examples every time.
"""

import json
import time
from urllib import parse

import fixtures
from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
import oslo_messaging as messaging
from oslo_middleware import sizelimit
import webob

from server_migrations.api import util
from server_migrations.tests.functional.fixtures import seed
from server_migrations.tests.functional.fixtures import snapshot
from server_migrations.tests.functional.fixtures import stack

MAX_BODY = 4096
# Statuses a request of these shapes may get; anything else is a defect
# (a 500, a 503 without an outage, a WebOb 405).
EXPECTED = frozenset({200, 202, 400, 401, 403, 404, 406, 409, 413, 415})
ACCEPTED = frozenset({202})

SETTINGS = settings(
    max_examples=300, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow,
                           HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])

# Printable header text, latin-1 included (WSGI header values are
# latin-1), without the CR/LF a server would never pass on.
HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xff,
                           blacklist_characters='\x7f'),
    max_size=40)
VERSIONS = st.one_of(
    st.none(),
    st.sampled_from([
        'compute 2.1', 'compute 2.22', 'compute 2.23', 'compute 2.24',
        'compute 2.25', 'compute 2.29', 'compute 2.30', 'compute 2.58',
        'compute 2.59', 'compute 2.64', 'compute 2.65', 'compute 2.67',
        'compute 2.68', 'compute 2.79', 'compute 2.80', 'compute 2.101',
        'compute 2.102', 'compute 2.104', 'compute 2.105', 'compute latest',
        'compute 3.0', 'compute 1.1', 'compute 2.0', 'compute 2',
        'compute 2.x', 'compute', 'volume 2.80', 'compute 02.080',
        'compute 2.80, compute 2.1', 'compute 2.1,volume 3.0', 'compute  ',
        'COMPUTE 2.80', 'compute -2.1', 'compute 2.99999999999999999999']),
    HEADER_TEXT.map(lambda t: 'compute ' + t),
    HEADER_TEXT,
    # Huge numbers: int() refuses more than 4,300 digits.
    st.builds(lambda major, minor: 'compute %s.%s' % (major, minor),
              st.sampled_from(['2', '9' * 5000]),
              st.integers(min_value=4290, max_value=4310).map(
                  lambda n: '1' + '0' * n)))
CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from([
        'application/json', 'text/plain', 'application/xml', '',
        'application/json; charset=latin-1', 'APPLICATION/JSON',
        'application/vnd.openstack.compute+json', 'text/html',
        'multipart/form-data; boundary=x', ';', 'application/json;;',
        'application/x-www-form-urlencoded']),
    HEADER_TEXT)
TOKENS = st.one_of(
    st.none(),
    st.sampled_from([
        'admin:%s' % seed.PROJECT, 'admin:%s' % seed.OTHER_PROJECT,
        'member:%s' % seed.PROJECT, 'reader:%s:reader' % seed.PROJECT,
        'mgr:%s:manager,member,reader' % seed.PROJECT, 'admin', ':',
        'admin:', ':p', 'a:b:', 'a:b:,', 'a:b:c:d', '', ' ', 'admin::admin',
        'admin:%s:admin' % seed.PROJECT]),
    HEADER_TEXT)

# JSON of every shape; NaN and Infinity too (Python's json reads them).
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(),
              st.integers(min_value=-2 ** 70, max_value=2 ** 70),
              st.floats(), st.text(max_size=16)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=10)
ACTION_KEYS = st.sampled_from([
    'force_complete', 'os-migrateLive', 'migrate', 'forceComplete',
    'host', 'block_migration', 'force', 'disk_over_commit', ''])
ACTION_BODIES = st.one_of(
    st.dictionaries(ACTION_KEYS, JSON_VALUES, max_size=3),
    st.builds(lambda args: {'os-migrateLive': args},
              st.dictionaries(ACTION_KEYS | st.text(max_size=8),
                              JSON_VALUES | st.sampled_from(
                                  ['compute1', 'compute2', 'compute-down',
                                   'auto', 'True', 'nowhere']),
                              max_size=4)),
    st.builds(lambda v: {'force_complete': v}, JSON_VALUES))


def _nested(depth, opener, closer):
    return opener * depth + b'0' + closer * depth


BODIES = st.one_of(
    st.none(),
    st.sampled_from([b'{"force_complete": null}',
                     b'{"os-migrateLive": {"host": null, '
                     b'"block_migration": "auto"}}',
                     b'{"os-migrateLive": {"host": "compute2", '
                     b'"block_migration": false, "force": false}}']),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    ACTION_BODIES.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    # Invalid UTF-8 inside otherwise well-formed JSON.
    st.binary(min_size=1, max_size=8).map(
        lambda b: b'{"force_complete": "' + b'\xff' + b + b'"}'),
    st.integers(min_value=MAX_BODY - 40, max_value=MAX_BODY * 4).map(
        lambda n: b'{"force_complete": "' + b'x' * n + b'"}'),
    st.integers(min_value=1, max_value=MAX_BODY // 2 - 1).map(
        lambda n: _nested(n, b'[', b']')),
    st.integers(min_value=1, max_value=MAX_BODY // 8).map(
        lambda n: _nested(n, b'{"force_complete": ', b'}')),
    st.integers(min_value=1, max_value=MAX_BODY // 20).map(
        lambda n: b'{"os-migrateLive": ' + _nested(n, b'{"host": ', b'}') +
        b'}'),
    # Around the interpreter's recursion limit, inside a valid action.
    st.integers(min_value=900, max_value=1000).map(
        lambda n: b'{"force_complete": ' + _nested(n, b'[', b']') + b'}'),
    st.integers(min_value=900, max_value=1000).map(
        lambda n: b'{"os-migrateLive": {"host": ' + _nested(n, b'[', b']') +
        b', "block_migration": "auto"}}'))


def _path_values(env):
    """Identifiers that exist, so generated paths reach deep handlers.

    :returns: server uuids, migration ids, and (server, its migration)
        pairs, the only paths where an action can be accepted.
    """
    names = sorted((k for k in env if k.endswith('SERVER')), key=len,
                   reverse=True)
    servers = [env[k] for k in names]
    migrations = sorted({v for k, v in env.items()
                         if k.endswith('MIGRATION')})
    pairs = []
    for key, value in sorted(env.items()):
        owner = next((n for n in names if key.startswith(n + '_')), None)
        if key.endswith('_MIGRATION') and owner:
            pairs.append((env[owner], value))
    return servers, migrations, pairs


def _segment(servers, migrations):
    return st.one_of(
        st.sampled_from(servers), st.sampled_from(migrations),
        st.sampled_from(['migrations', 'action', 'detail', 'servers', '',
                         '..', '.', '%00', '%2F', '0', '-1', '1.0', '0x1',
                         '2147483648', '99999999999999999999', ' 1', '1%20',
                         '%E2%98%83', '%FF', 'v2.1', seed.PROJECT]),
        st.text(max_size=12).map(lambda t: parse.quote(t, safe='')),
        st.integers(min_value=-2 ** 66, max_value=2 ** 66).map(str))


def _paths(env):
    servers, migrations, pairs = _path_values(env)
    segment = _segment(servers, migrations)
    prefixes = st.sampled_from(
        ['', '/v2.1', '/v2.1/' + seed.PROJECT, '/v2.1/' + seed.OTHER_PROJECT,
         '/' + seed.PROJECT, '/v2.1/not-a-project', '/v2', '/v2.1/v2.1'])
    shaped = st.builds(
        lambda p, s, m, tail: '%s/servers/%s/migrations/%s%s' % (
            p, s, m, tail),
        prefixes, st.sampled_from(servers) | segment,
        st.sampled_from(migrations) | segment,
        st.sampled_from(['', '/action', '/', '/action/', '/x']))
    owned = st.builds(
        lambda p, pair, tail: '%s/servers/%s/migrations/%s%s' % (
            (p,) + pair + (tail,)),
        prefixes, st.sampled_from(pairs),
        st.sampled_from(['', '/action']))
    free = st.builds(
        lambda p, segs: p + '/servers' + ''.join('/' + s for s in segs),
        prefixes, st.lists(segment, max_size=5))
    return st.one_of(shaped, owned, free)


QUERIES = st.one_of(
    st.none(),
    st.lists(st.tuples(
        st.sampled_from(['all_tenants', 'name', 'limit', 'marker',
                         'hidden', 'status', 'x']) | st.text(max_size=6),
        st.text(max_size=12)), max_size=4).map(parse.urlencode),
    st.sampled_from(['&&', '=', 'a', '%zz', 'all_tenants', '?', '%00=%00',
                     'a=%ff', '%c3%28=1', 'name=%ed%a0%80']),
    # Any bytes, percent-escaped (not only what urlencode makes of text)...
    st.binary(max_size=12).map(
        lambda b: parse.quote_from_bytes(b, safe='=&')),
    # ... and raw, as a WSGI server hands them over (latin-1).
    st.binary(max_size=12).map(lambda b: b.decode('latin-1')))
METHODS = st.sampled_from(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD',
                           'OPTIONS', 'TRACE', 'BREW'])


class BadInputTestCase(stack.APITestCase):

    def setUp(self):
        super().setUp()
        self.conf.register_opts(sizelimit.OPTS, group='oslo_middleware')
        self.conf.set_override('max_request_body_size', MAX_BODY,
                               group='oslo_middleware')
        self.env = seed.seed(self.context)
        hosts = list(seed.LIVE_HOSTS) + [seed.DOWN_HOST]
        self.computes = self.useFixture(stack.RecordingComputes(
            self.conf, hosts))
        self.sent = []
        real_cast = messaging.rpc.client._BaseCallContext.cast

        def spy(call_context, ctxt, method, **kwargs):
            # Counted on the sending side: exact and synchronous.
            self.sent.append(method)
            return real_cast(call_context, ctxt, method, **kwargs)
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_messaging.rpc.client._BaseCallContext.cast', spy))
        self.accepted = 0
        self.before = snapshot.database()

    def _send(self, method, path, query, headers, body):
        req = webob.Request.blank(path, method=method)
        if query:
            req.environ['QUERY_STRING'] = query
        for name, value in headers.items():
            if value is not None:
                req.headers[name] = value
        if body is not None:
            req.body = body
        return req.get_response(self.app)

    def _check(self, method, resp, sent_before):
        status = resp.status_code
        self.assertIn(status, EXPECTED, resp.body[:500])
        if method == 'HEAD':
            # HTTP: a HEAD answer has the headers of a GET and no body.
            self.assertEqual(b'', resp.body)
        if status >= 400:
            if method != 'HEAD':
                self.assertEqual([], snapshot.fault_problems(
                    status, resp.headers, resp.body))
            self.assertEqual(sent_before, len(self.sent),
                             'a refused request sent a cast')
            self.assertEqual(self.before, snapshot.database(),
                             'a refused request changed the database')
        elif status in ACCEPTED:
            self.accepted += 1
            self.assertEqual(sent_before + 1, len(self.sent))
            self.assertEqual(b'', resp.body)
            # Accepted actions write their records: the new baseline.
            self.before = snapshot.database()
        elif method != 'HEAD':
            self.assertIsInstance(resp.json_body, dict)
            self.assertEqual(sent_before, len(self.sent))

    def _request_strategy(self):
        return st.tuples(METHODS, _paths(self.env), QUERIES,
                         st.fixed_dictionaries({
                             'OpenStack-API-Version': VERSIONS,
                             'X-OpenStack-Nova-API-Version': st.one_of(
                                 st.none(), st.sampled_from(
                                     ['2.80', '2.1', 'latest', 'x'])),
                             'Content-Type': CONTENT_TYPES,
                             'X-Auth-Token': TOKENS,
                             'Accept': st.none() | st.sampled_from(
                                 ['application/json', 'text/html',
                                  'application/xml', '*/*'])}),
                         BODIES)

    def _run(self, strategy):
        @SETTINGS
        @given(strategy)
        def check(request):
            method, path, query, headers, body = request
            sent_before = len(self.sent)
            self._check(method, self._send(method, path, query, headers, body),
                        sent_before)
        check()
        self._wait_delivered()

    def _wait_delivered(self, timeout=10):
        """Every cast the API sent reached an agent; none was invented."""
        deadline = time.monotonic() + timeout
        while True:
            received = sorted(m for casts in self.computes.all_casts()
                              .values() for m, _kw, _ctxt in casts)
            if len(received) >= len(self.sent) or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.01)
        self.assertEqual(sorted(self.sent), received)

    def test_anything_under_servers(self):
        self._run(self._request_strategy())

    def test_bodies_of_migration_actions(self):
        _servers, _migrations, pairs = _path_values(self.env)
        admin = {'X-Auth-Token': 'admin:%s' % seed.PROJECT,
                 'OpenStack-API-Version': 'compute 2.80',
                 'Content-Type': 'application/json'}
        strategy = st.tuples(
            st.just('POST'),
            st.sampled_from(pairs).map(
                lambda p: '/v2.1/servers/%s/migrations/%s/action' % p),
            st.none(), st.just(admin),
            # Half valid, so that accepted actions are among the examples.
            st.one_of(BODIES, st.just(b'{"force_complete": null}')))
        self._run(strategy)

    def test_bodies_of_server_actions(self):
        servers, _migrations, _pairs = _path_values(self.env)
        strategy = st.tuples(
            st.just('POST'),
            st.builds('/v2.1/servers/{}/action'.format,
                      st.sampled_from(servers)),
            st.none(),
            st.fixed_dictionaries({
                'X-Auth-Token': st.just('admin:%s' % seed.PROJECT),
                'OpenStack-API-Version': VERSIONS,
                'Content-Type': st.just('application/json')}),
            BODIES)
        self._run(strategy)

    def test_headers_and_queries_of_reads(self):
        servers, _migrations, pairs = _path_values(self.env)
        strategy = st.tuples(
            st.sampled_from(['GET', 'DELETE']),
            st.one_of(
                st.builds('/v2.1/servers/{}/migrations'.format,
                          st.sampled_from(servers)),
                st.sampled_from(pairs).map(
                    lambda p: '/v2.1/servers/%s/migrations/%s' % p),
                st.sampled_from(['/v2.1/servers', '/v2.1/servers/detail'])),
            QUERIES,
            st.fixed_dictionaries({'OpenStack-API-Version': VERSIONS,
                                   'X-Auth-Token': st.one_of(
                                       TOKENS, st.just('admin:' +
                                                       seed.PROJECT)),
                                   'Content-Type': CONTENT_TYPES}),
            st.none())
        self._run(strategy)


class BadInputClassesTestCase(stack.APITestCase):
    """Each class of input that once reached a 500, on every route.

    Sweeps too long for a table; the fixed cases (a query that is not
    UTF-8 on every read) are in gabbits/not-utf8.yaml.
    """

    def setUp(self):
        super().setUp()
        self.env = seed.seed(self.context)
        servers, _migrations, pairs = _path_values(self.env)
        self.reads = ['/', '/v2.1', '/v2.1/', '/v2.1/servers',
                      '/v2.1/servers/detail',
                      '/v2.1/servers/%s' % servers[0],
                      '/v2.1/servers/%s/migrations' % servers[0],
                      '/v2.1/servers/%s/migrations/%s' % pairs[0]]
        self.actions = ['/v2.1/servers/%s/migrations/%s/action' % pairs[0],
                        '/v2.1/servers/%s/action' % servers[0]]

    def _fault(self, resp, code):
        self.assertEqual(code, resp.status_code, resp.body[:300])
        self.assertEqual([], snapshot.fault_problems(
            resp.status_code, resp.headers, resp.body))
        return resp.json_body

    def test_huge_version_numbers(self):
        for digits in (4299, 4300, 4301, 10000):
            huge = '1' + '0' * digits
            for value in ('2.' + huge, huge + '.1'):
                for path in self.reads:
                    resp = self.request('GET', path, version=value)
                    if path in ('/', ''):
                        # The root document reads no version.
                        self.assertEqual(200, resp.status_code)
                        continue
                    self.assertIn(resp.status_code, (400, 406))
                    self._fault(resp, resp.status_code)
                resp = self.request('GET', self.reads[3], version=None,
                                    headers={'X-OpenStack-Nova-API-Version':
                                             value})
                self.assertIn(resp.status_code, (400, 406))

    def test_depth_sweep(self):
        for depth in list(range(1, 40)) + list(range(900, 1010)):
            nested = _nested(depth, b'[', b']')
            for path, body in (
                    (self.actions[0], b'{"force_complete": %s}' % nested),
                    (self.actions[1], b'{"os-migrateLive": {"host": %s, '
                                      b'"block_migration": "auto"}}'
                                      % nested),
                    (self.actions[1], nested)):
                resp = self.request('POST', path, body=body)
                # A one-element list as the whole body is "no such
                # action" (404), as the reference answers, until it is
                # too deep to be a body at all.
                self._fault(resp, 404 if (
                    body == nested and depth < util.MAX_JSON_DEPTH) else 400)
