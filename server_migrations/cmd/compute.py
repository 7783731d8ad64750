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

"""server-migrations-compute: one compute agent, until SIGTERM or SIGINT."""

import logging as std_logging
import os
import signal
import sys
import threading

from oslo_log import log as logging

from server_migrations.compute import service
from server_migrations.db import engine as db_engine
from server_migrations import rpc
from server_migrations import startup

LOG = logging.getLogger(__name__)

# Seconds the agent gives its migrations to settle after SIGTERM; init
# systems and orchestrators usually kill at 30.
SHUTDOWN_TIMEOUT = 25.0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    conf = startup.setup(argv)
    stop = threading.Event()

    def _on_signal(signum, _frame):
        LOG.info('Signal %s received; stopping', signum)
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    db_engine.configure(conf)
    agent = service.ComputeService(conf)
    try:
        agent.start()
    except Exception as exc:
        LOG.exception('The compute agent could not start')
        startup.fail('compute agent %s could not start: %s' % (conf.host, exc))
    # A timed wait keeps the main thread responsive to signals.
    while not stop.wait(1.0):
        pass
    agent.stop(SHUTDOWN_TIMEOUT)
    rpc.reset()
    lingering = [t for t in threading.enumerate()
                 if t is not threading.main_thread() and not t.daemon and
                 t.is_alive()]
    if lingering:
        # A hypervisor call that outlived the shutdown budget (its
        # migration is already settled as "error"): do not let it hold
        # the process past the orchestrator's kill timeout.
        LOG.warning('Exiting with %d busy threads', len(lingering))
        for handler in std_logging.getLogger().handlers:
            handler.flush()
        os._exit(0)
    return 0


if __name__ == '__main__':
    sys.exit(main())
