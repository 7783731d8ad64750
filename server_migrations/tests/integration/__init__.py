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

"""Integration tests against the real RabbitMQ, PostgreSQL and MariaDB.

They need those services on 127.0.0.1 and run only when
SERVER_MIGRATIONS_INTEGRATION=1 (``tox -e integration``, ``.ci/run``); the
quick-start test command, meant for a machine with only Python, collects
nothing here.
"""

import os

from server_migrations.tests import fixtures


def load_tests(loader, standard_tests, pattern):
    if not fixtures.integration_enabled():
        return standard_tests
    here = os.path.dirname(__file__)
    top = os.path.abspath(os.path.join(here, '..', '..', '..'))
    standard_tests.addTests(loader.discover(start_dir=here,
                                            pattern=pattern or 'test*.py',
                                            top_level_dir=top))
    return standard_tests
