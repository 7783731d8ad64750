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

"""WSGI entry points for uWSGI, mod_wsgi and server-migrations-api."""

from server_migrations.api import deploy
from server_migrations.cmd import common
from server_migrations.db import engine as db_engine


def init_application(argv=None):
    """Read the config files, set up logging and the database, build the app.

    Files come from OS_SERVER_MIGRATIONS_CONFIG_DIR (default
    /etc/server-migrations) and OS_SERVER_MIGRATIONS_CONFIG_FILES (default
    server-migrations.conf, several separated by ";").
    """
    args = list(argv or [])
    for path in deploy.config_files():
        args += ['--config-file', path]
    conf = common.setup(args)
    db_engine.configure(conf)
    deploy.use_conf(conf)
    return deploy.loadapp(conf)
