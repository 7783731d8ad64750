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

"""The order of a handler's own checks: action, admission, window."""

import webob

from server_migrations.api import actions
from server_migrations.api import dispatch
from server_migrations.api import microversion
from server_migrations.api import request_environ
from server_migrations import context as sm_context
from server_migrations import exception
from server_migrations.tests import base


@actions.action('probe_action')
@dispatch.handler('2.50')
def probe(req):
    return 'served'


class DispatchOrderTestCase(base.TestCase):

    def _req(self, body, url_project='p1', version='2.50'):
        req = webob.Request.blank('/', method='POST', body=body)
        req.urlvars = {'project_id': url_project}
        req.environ[request_environ.CONTEXT_KEY] = sm_context.RequestContext(
            user_id='u1', project_id='p1')
        req.environ[microversion.ENVIRON_KEY] = (
            microversion.parse_version_string(version))
        return req

    def test_served(self):
        self.assertEqual('served', probe(self._req(b'{"probe_action": 1}')))

    def test_the_action_comes_before_the_project_in_the_url(self):
        self.assertRaises(exception.NoSuchAction, probe,
                          self._req(b'{"other": 1}', url_project='abc'))
        self.assertRaises(exception.MalformedRequestBody, probe,
                          self._req(b'{}', url_project='abc'))

    def test_the_project_in_the_url_comes_before_the_window(self):
        self.assertRaises(exception.ProjectIdMismatch, probe,
                          self._req(b'{"probe_action": 1}',
                                    url_project='abc', version='2.1'))
        self.assertRaises(exception.NotFound, probe,
                          self._req(b'{"probe_action": 1}', version='2.1'))

    def test_the_window_is_that_of_the_handler(self):
        self.assertEqual([(2, 50)], [w[0] for w in
                                     microversion.VERSIONED_METHODS[
                                         probe.versioned_name]])
