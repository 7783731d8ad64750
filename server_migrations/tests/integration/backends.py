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

"""What the integration cases run on: provisioned databases, API configs.

``ProvisionedDatabase`` gives a case a MySQL or PostgreSQL database from
oslo.db (its ``FIXTURE``) instead of the SQLite file of the quick suites;
``api_config`` writes the file an API process (uWSGI) reads.
"""

import os

from oslo_db.sqlalchemy import test_fixtures


class ProvisionedDatabase(test_fixtures.OpportunisticDBTestMixin):
    """A provisioned database; mixed in before the case's base class."""

    # A backend that CI expects must not be skipped silently.
    SKIP_ON_UNAVAILABLE_DB = False
    DATABASE = None


def api_config(directory, database_url, transport_url, database='', api='',
               name='server-migrations.conf'):
    """Write an API config into ``directory`` (noauth2, state kept there).

    ``database`` and ``api`` are more lines of those sections.

    :returns: the environment that points the API process at the file.
    """
    with open(os.path.join(directory, name), 'w') as f:
        f.write('[DEFAULT]\ntransport_url = %s\nstate_path = %s\n'
                '[database]\nconnection = %s\n%s\n'
                '[api]\nauth_strategy = noauth2\n%s\n' % (
                    transport_url, directory, database_url, database, api))
    return {'OS_SERVER_MIGRATIONS_CONFIG_DIR': directory,
            'OS_SERVER_MIGRATIONS_CONFIG_FILES': name}
