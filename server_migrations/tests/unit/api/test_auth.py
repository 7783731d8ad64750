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

"""noauth2 tokens and the context built from identity headers."""

import webob

from server_migrations.api import auth
from server_migrations.api import request_environ
from server_migrations import exception
from server_migrations.tests import base


class NoAuthTokenTestCase(base.TestCase):

    def test_parse(self):
        self.assertEqual(('admin', 'p1', auth.ADMIN_ROLES),
                         auth.parse_noauth_token('admin:p1'))
        self.assertEqual(('bob', 'p1', auth.USER_ROLES),
                         auth.parse_noauth_token('bob:p1'))
        self.assertEqual(('bob', 'p1', ('manager', 'reader')),
                         auth.parse_noauth_token('bob:p1:manager, reader'))
        for bad in (None, '', 'notused', ':p1', 'bob:', 'bob:p1:',
                    'bob:p1:,', 'a:b:c:d'):
            self.assertIsNone(auth.parse_noauth_token(bad), bad)

    def _context_via(self, token):
        seen = {}

        def app(environ, start_response):
            seen['context'] = environ[request_environ.CONTEXT_KEY]
            return webob.Response()(environ, start_response)
        req = webob.Request.blank('/', headers={'X-Auth-Token': token}
                                  if token else {})
        response = req.get_response(auth.NoAuthMiddleware(app))
        return response, seen.get('context')

    def test_admin_context(self):
        response, context = self._context_via('admin:p1')
        self.assertEqual(200, response.status_code)
        self.assertTrue(context.is_admin)
        self.assertEqual(('admin', 'p1'), (context.user_id,
                                           context.project_id))

    def test_manager_is_not_admin(self):
        _response, context = self._context_via('m:p1:manager,member')
        self.assertFalse(context.is_admin)
        self.assertEqual(['manager', 'member'], context.roles)

    def test_missing_token_is_401(self):
        response, context = self._context_via(None)
        self.assertEqual(401, response.status_code)
        self.assertIsNone(context)
        self.assertEqual('unauthorized', list(response.json_body)[0])

    def test_keystone_headers_without_user(self):
        self.assertRaises(exception.NotAuthenticated,
                          auth.context_from_environ,
                          {'HTTP_X_PROJECT_ID': 'p1'})
