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

"""WSGI entry points for uWSGI and mod_wsgi."""

from server_migrations.api import deploy
from server_migrations.db import engine as db_engine
from server_migrations import startup


def configure(argv=None):
    """Read the config files, set up logging and the database.

    Files come from OS_SERVER_MIGRATIONS_CONFIG_DIR (default
    /etc/server-migrations) and OS_SERVER_MIGRATIONS_CONFIG_FILES (default
    server-migrations.conf, several separated by ";").

    :returns: the parsed ConfigOpts.
    """
    conf = startup.setup_from_files(argv or ())
    db_engine.configure(conf)
    return conf


def init_application(argv=None):
    """The pipeline api-paste.ini names for ``[api] auth_strategy``."""
    return deploy.loadapp(configure(argv))
