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

"""Base test case: private config, a database, policy and RPC fixtures."""

from oslotest import base

from server_migrations import context as sm_context
from server_migrations.tests import fixtures as sm_fixtures


class TestCase(base.BaseTestCase):
    """Each test gets its own config, SQLite database and enforcer."""

    DATABASE = sm_fixtures.Database

    def setUp(self):
        super().setUp()
        self.conf_fixture = self.useFixture(sm_fixtures.ConfFixture())
        self.conf = self.conf_fixture.conf
        if self.DATABASE is not None:
            # Integration cases set DATABASE = None and get a provisioned
            # MySQL/PostgreSQL database from oslo.db's opportunistic mixin.
            self.useFixture(self.DATABASE())
        self.policy = self.useFixture(sm_fixtures.PolicyFixture(self.conf))
        self.useFixture(sm_fixtures.RPCFixture())
        self.context = sm_context.get_admin_context()
