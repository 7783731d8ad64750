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

"""Microversion parsing, the version list and the handler windows."""

import webob

from server_migrations.api import microversion
from server_migrations.api import router
from server_migrations import exception
from server_migrations.tests import base


class ParseTestCase(base.TestCase):

    def _extract(self, headers):
        version = microversion.requested_version(headers, self.conf)
        microversion.check_range(version)
        return version

    def test_no_header_is_the_minimum(self):
        self.assertEqual((2, 1), tuple(self._extract({})))

    def test_latest_is_the_configured_maximum(self):
        headers = {'OpenStack-API-Version': 'compute latest'}
        self.assertEqual((2, 104), tuple(self._extract(headers)))
        self.conf.set_override('max_microversion', '2.90', group='api')
        self.assertEqual((2, 90), tuple(self._extract(headers)))

    def test_range_follows_the_configured_maximum(self):
        self.conf.set_override('max_microversion', '2.90', group='api')
        exc = self.assertRaises(
            exception.VersionNotAcceptable, self._extract,
            {'OpenStack-API-Version': 'compute 2.91'})
        self.assertEqual('Version 2.91 is not supported by the API. '
                         'Minimum is 2.1 and maximum is 2.90.',
                         exc.format_message())
        self.assertEqual((2, 91), tuple(exc.version))

    def test_legacy_header(self):
        self.assertEqual((2, 59), tuple(self._extract(
            {'X-OpenStack-Nova-API-Version': '2.59'})))

    def test_standard_header_wins(self):
        self.assertEqual((2, 23), tuple(self._extract(
            {'OpenStack-API-Version': 'compute 2.23',
             'X-OpenStack-Nova-API-Version': '2.59'})))

    def test_malformed(self):
        for text in ('2.a', 'LATEST', '2.01', '02.1', '2', '2.1.0', 'v2.1',
                     '2.', '-2.1'):
            exc = self.assertRaises(
                exception.InvalidAPIVersionString, self._extract,
                {'OpenStack-API-Version': 'compute %s' % text})
            self.assertEqual(400, exc.code)

    def test_out_of_range(self):
        for text in ('2.0', '2.105', '3.0', '1.1'):
            self.assertRaises(exception.VersionNotAcceptable, self._extract,
                              {'OpenStack-API-Version': 'compute %s' % text})

    def test_request_headers_parsed_once_per_value(self):
        def headers(**values):
            return webob.Request.blank('/', headers=values).headers
        first = self._extract(headers(**{'OpenStack-API-Version':
                                         'compute 2.80'}))
        self.assertIs(first, self._extract(headers(**{
            'OpenStack-API-Version': 'compute 2.80'})))
        self.assertEqual((2, 80), tuple(first))
        for values, expected in (
                ({'OpenStack-API-Version': 'compute 2.59'}, (2, 59)),
                ({'X-OpenStack-Nova-API-Version': '2.23'}, (2, 23)),
                ({'OpenStack-API-Version': 'compute 2.30',
                  'X-OpenStack-Nova-API-Version': '2.23'}, (2, 30)),
                ({}, (2, 1))):
            self.assertEqual(expected, tuple(self._extract(headers(
                **values))))
            self.assertEqual(expected, tuple(self._extract(values)))
        # The configured maximum is part of what was decided.
        self.conf.set_override('max_microversion', '2.70', group='api')
        self.assertRaises(exception.VersionNotAcceptable, self._extract,
                          headers(**{'OpenStack-API-Version':
                                     'compute 2.80'}))
        # Malformed headers are refused every time, never kept.
        for _ in range(2):
            self.assertRaises(exception.InvalidAPIVersionString,
                              self._extract, headers(**{
                                  'OpenStack-API-Version': 'compute 2.x'}))

    def test_response_headers(self):
        response = webob.Response(headerlist=microversion.response_headers(
            microversion.parse_version_string('2.80')))
        self.assertEqual('compute 2.80',
                         response.headers['OpenStack-API-Version'])
        self.assertEqual('2.80',
                         response.headers['X-OpenStack-Nova-API-Version'])
        self.assertEqual(['OpenStack-API-Version',
                          'X-OpenStack-Nova-API-Version'],
                         response.headers.getall('Vary'))


class VersionListTestCase(base.TestCase):

    def test_versions_ascend_and_are_unique(self):
        parsed = [tuple(microversion.parse_version_string(v))
                  for v in microversion.VERSIONS]
        self.assertEqual(sorted(set(parsed)), parsed)

    def test_default_maximum_is_beyond_every_change(self):
        self.assertGreaterEqual(
            tuple(microversion.max_version(self.conf)),
            tuple(microversion.parse_version_string(
                microversion.VERSIONS[-1])))

    def test_predicates_at_their_boundaries(self):
        cases = ((microversion.include_uuid, '2.59'),
                 (microversion.include_user_and_project, '2.80'),
                 (microversion.abort_in_queue, '2.65'),
                 (microversion.strict_query, '2.102'),
                 (microversion.block_migration_auto, '2.25'),
                 (microversion.migrate_live_force, '2.30'))
        for predicate, first in cases:
            major, minor = first.split('.')
            before = microversion.parse_version_string(
                '%s.%d' % (major, int(minor) - 1))
            self.assertFalse(predicate(before), first)
            self.assertTrue(predicate(
                microversion.parse_version_string(first)), first)
        self.assertTrue(microversion.migrate_live_force(
            microversion.parse_version_string('2.67')))
        self.assertFalse(microversion.migrate_live_force(
            microversion.parse_version_string('2.68')))


class WindowsTestCase(base.TestCase):

    def test_no_two_windows_of_a_route_overlap(self):
        checked = 0
        for path, methods in router.ROUTE_DECLARATIONS.items():
            for method, handler in methods.items():
                windows = sorted(microversion.VERSIONED_METHODS[
                    handler.versioned_name])
                self.assertTrue(windows,
                                '%s %s has no window' % (method, path))
                for (_lo, hi, _f), (lo2, _hi2, _f2) in zip(windows,
                                                           windows[1:]):
                    self.assertLess(hi, lo2, '%s %s windows overlap' % (
                        method, path))
                checked += 1
        self.assertEqual(15, checked)

    def test_operation_minimums(self):
        minimums = {}
        for path, methods in router.ROUTE_DECLARATIONS.items():
            for method, handler in methods.items():
                windows = microversion.VERSIONED_METHODS[
                    handler.versioned_name]
                minimums[(method, path)] = min(w[0] for w in windows)
        prefix = '/servers/{server_id}/migrations'
        self.assertEqual((2, 23), minimums[('GET', prefix)])
        self.assertEqual((2, 23), minimums[('GET', prefix +
                                            '/{migration_id}')])
        self.assertEqual((2, 24), minimums[('DELETE', prefix +
                                            '/{migration_id}')])
        self.assertEqual((2, 22), minimums[('POST', prefix +
                                            '/{migration_id}/action')])

    def test_overlap_is_detected(self):
        # The check above would see an overlapping pair.
        @microversion.version_handler('2.1', '2.30')
        def probe(req):
            return 'old'

        @microversion.version_handler('2.30')  # noqa: F811
        def probe(req):  # noqa: F811
            return 'new'

        windows = sorted(microversion.VERSIONED_METHODS[
            probe.versioned_name])
        self.addCleanup(microversion.VERSIONED_METHODS.pop,
                        probe.versioned_name)
        self.assertFalse(windows[0][1] < windows[1][0])

    def test_dispatch_by_window(self):
        @microversion.version_handler('2.1', '2.29')
        def pick(req):
            return 'old'

        @microversion.version_handler('2.30')  # noqa: F811
        def pick(req):  # noqa: F811
            return 'new'

        self.addCleanup(microversion.VERSIONED_METHODS.pop,
                        pick.versioned_name)
        req = webob.Request.blank('/')
        for text, expected in (('2.29', 'old'), ('2.30', 'new'),
                               ('2.104', 'new')):
            req.environ[microversion.ENVIRON_KEY] = (
                microversion.parse_version_string(text))
            self.assertEqual(expected, pick(req))

    def test_below_the_window_is_not_found(self):
        @microversion.version_handler('2.50')
        def late(req):
            return 'ok'

        self.addCleanup(microversion.VERSIONED_METHODS.pop,
                        late.versioned_name)
        req = webob.Request.blank('/')
        req.environ[microversion.ENVIRON_KEY] = (
            microversion.parse_version_string('2.49'))
        exc = self.assertRaises(exception.NotFound, late, req)
        self.assertEqual('The resource could not be found.',
                         exc.format_message())
