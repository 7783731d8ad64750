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

"""HTTP as the shipped uWSGI example serves it: bodies, headers."""

import os
import urllib.request

import fixtures
from oslo_db.sqlalchemy import enginefacade
import testtools

from server_migrations.db import models
from server_migrations.tests.integration import backends
from server_migrations.tests.integration import shipped_uwsgi
from server_migrations.tests import utils


class ShippedUWSGITestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        work = self.useFixture(fixtures.TempDir()).path
        url = 'sqlite:///%s' % os.path.join(work, 'api.sqlite')
        facade = enginefacade.transaction_context()
        facade.configure(connection=url)
        engine = facade.writer.get_engine()
        models.BASE.metadata.create_all(engine)
        engine.dispose()
        env = backends.api_config(work, url, 'fake:/')
        self.server = shipped_uwsgi.ShippedUWSGI(env, work)
        self.server.__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)
        self.path = ('/v2.1/servers/00000000-0000-0000-0000-000000000000/'
                     'migrations/1/action')

    def test_chunked_request_bodies_are_read(self):
        # Read and understood: the action is known, the server is not.
        status, body = utils.post_chunked(self.server.port, self.path,
                                          b'{"force_complete": null}')
        self.assertEqual(404, status, body)
        self.assertIn('itemNotFound', body)
        status, body = utils.post_chunked(
            self.server.port, self.path,
            b'{"force_complete": "' + b'x' * 300000 + b'"}',
            chunk_size=65536)
        self.assertEqual(413, status, body)
        self.assertEqual(413, body['overLimit']['code'])

    def test_server_header_names_no_interpreter(self):
        with urllib.request.urlopen('http://127.0.0.1:%d/v2.1/' %
                                    self.server.port, timeout=30) as resp:
            self.assertEqual('server-migrations', resp.headers['Server'])
