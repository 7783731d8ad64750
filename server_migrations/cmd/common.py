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

"""What console scripts share besides start-up: terminal lines, dev hints.

Start-up itself (options, config files, logging, a fatal error) is
``server_migrations.startup``.
"""

import os
import sys

from oslo_log import log as logging

from server_migrations.api import auth

LOG = logging.getLogger(__name__)


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
