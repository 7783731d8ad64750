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

"""What every process does first: options, config files, logging.

Console scripts, the WSGI module and the paste factories of a host stack
all start here; a start-up error is one clear line and a non-zero exit.
"""

import os
import sys

from oslo_config import cfg
from oslo_log import log as logging

from server_migrations import conf as sm_conf
from server_migrations import rpc

PROJECT = 'server-migrations'
CONFIG_DIR_ENV = 'OS_SERVER_MIGRATIONS_CONFIG_DIR'
CONFIG_FILES_ENV = 'OS_SERVER_MIGRATIONS_CONFIG_FILES'


def setup(argv, conf=None, cli_opts=(), defaults=None, usage=None):
    """Register options, parse ``argv`` and config files, set up logging.

    :param defaults: {(group, name): value} default overrides for this
        command, applied before parsing so config files still win.
    :returns: the parsed ConfigOpts.
    """
    conf = conf if conf is not None else cfg.ConfigOpts()
    sm_conf.register_opts(conf)
    rpc.register_opts(conf)
    logging.register_options(conf)
    conf.register_cli_opts(list(cli_opts))
    for (group, name), value in (defaults or {}).items():
        conf.set_default(name, value, group=group)
    try:
        conf(argv, project=PROJECT, usage=usage)
    except (cfg.ConfigFilesNotFoundError, cfg.ConfigFileParseError,
            cfg.ConfigFileValueError, cfg.RequiredOptError) as exc:
        fail(str(exc))
    logging.setup(conf, PROJECT)
    return conf


def fail(message, code=1):
    """Print one clear line on stderr and exit non-zero (no traceback)."""
    print('ERROR: %s' % message, file=sys.stderr)
    sys.exit(code)


def config_files(config_file=None):
    """The config files of a process started without a command line.

    ``config_file`` (comma-separated paths, as a paste section writes
    them) wins; otherwise the files named by OS_SERVER_MIGRATIONS_CONFIG_FILES
    (default server-migrations.conf, several separated by ";") in
    OS_SERVER_MIGRATIONS_CONFIG_DIR (default /etc/server-migrations) that
    exist, as Placement reads them.
    """
    if config_file:
        return [f.strip() for f in config_file.split(',')]
    conf_dir = os.environ.get(CONFIG_DIR_ENV, '/etc/server-migrations')
    names = os.environ.get(CONFIG_FILES_ENV, 'server-migrations.conf')
    paths = [os.path.join(conf_dir, n.strip())
             for n in names.split(';') if n.strip()]
    return [p for p in paths if os.path.exists(p)]


def setup_from_files(argv=(), config_file=None):
    """:func:`setup` on :func:`config_files`, as uWSGI and paste start."""
    args = list(argv)
    for path in config_files(config_file):
        args += ['--config-file', path]
    return setup(args)
