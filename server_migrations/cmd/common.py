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

"""What every console script does first: options, config files, logging."""

import sys

from oslo_config import cfg
from oslo_log import log as logging

from server_migrations import conf as sm_conf
from server_migrations import rpc

PROJECT = 'server-migrations'


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
