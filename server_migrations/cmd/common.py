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

import os
import sys

from oslo_config import cfg
from oslo_log import log as logging

from server_migrations.api import auth
from server_migrations import conf as sm_conf
from server_migrations import rpc

LOG = logging.getLogger(__name__)
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


def say(text=''):
    """Print a line for the person at the terminal, whatever became of it.

    When stdout is a pipe whose reader has gone (``... | tee log`` after
    Ctrl-C), the line is dropped and stdout is pointed at /dev/null, so
    that neither this nor the interpreter's final flush raises.

    :returns: whether the line was written.
    """
    try:
        print(text, flush=True)
        return True
    except (BrokenPipeError, ValueError, OSError):
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass
        return False


def log_dev_token(conf):
    """Under noauth2, log once what a development token looks like."""
    if conf.api.auth_strategy == 'noauth2':
        LOG.warning(auth.NOAUTH_TOKEN_HINT)
