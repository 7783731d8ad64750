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

"""What the filter claims, per resource of ``[api] filter_resources``."""

from server_migrations.api import router
from server_migrations.conf import api as conf_api
from server_migrations.tests import base

UUID = '4cfba335-03d8-49b2-8c52-e69043d1e8fe'
PATHS = {
    'server-migrations': ['/v2.1/servers/%s/migrations' % UUID,
                          '/servers/%s/migrations/1/action' % UUID],
    'os-migrations': ['/v2.1/os-migrations',
                      '/v2.1/6f70656e737461636b20342065766572/os-migrations'],
    'os-instance-actions': [
        '/v2.1/servers/%s/os-instance-actions' % UUID,
        '/v2.1/servers/%s/os-instance-actions/req-1' % UUID],
}
UNCLAIMED = ['/v2.1/servers/%s' % UUID, '/v2.1/servers/%s/action' % UUID,
             '/v2.1/users', '/v2.1/flavors', '/']


class FilterResourcesTest(base.TestCase):

    def test_option_choices_are_the_router_resources(self):
        self.assertEqual(set(conf_api.RESOURCES), set(router.RESOURCES))

    def test_each_resource_claims_its_paths_only(self):
        for resource, paths in PATHS.items():
            routes, claimed = router.filter_routes([resource])
            for path in paths:
                self.assertTrue(claimed.match(path), (resource, path))
            others = [p for r, ps in PATHS.items() if r != resource
                      for p in ps]
            for path in others + UNCLAIMED:
                self.assertIsNone(claimed.match(path), (resource, path))
            self.assertTrue(routes)
            self.assertTrue(all(router.RESOURCES[resource][0](p)
                                for p in routes))

    def test_nothing_claimed_without_resources(self):
        routes, claimed = router.filter_routes([])
        self.assertEqual({}, routes)
        for path in UNCLAIMED + PATHS['os-migrations']:
            self.assertIsNone(claimed.match(path))
