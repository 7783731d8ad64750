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

"""Base test cases: quiet output, private config, a database, policy, RPC.

Every test's stdout, stderr and log records are captured and shown only
when it fails, so that a passing ``stestr run`` prints its summary and
nothing else. ``OS_STDOUT_CAPTURE=0``, ``OS_STDERR_CAPTURE=0`` or
``OS_LOG_CAPTURE=0`` let them through while debugging; ``OS_DEBUG`` sets the
log level (oslotest's variables).
"""

import os

from oslotest import base

from server_migrations import context as sm_context
from server_migrations.tests import fixtures as sm_fixtures

# oslotest captures a test's stdout, stderr and logs when these are true;
# tox and .ci/run set them, the README's plain "stestr run" does not.
CAPTURE_VARIABLES = ('OS_STDOUT_CAPTURE', 'OS_STDERR_CAPTURE',
                     'OS_LOG_CAPTURE')


def capturing(variable):
    """Whether output of this kind is captured (by default it is)."""
    return os.environ.get(variable, '1').lower() in ('1', 'true', 'yes')


class BaseTestCase(base.BaseTestCase):
    """oslotest's base case, capturing output and logs unless told not to."""

    def setUp(self):
        for variable in CAPTURE_VARIABLES:
            os.environ.setdefault(variable, '1')
        super().setUp()


class TestCase(BaseTestCase):
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
