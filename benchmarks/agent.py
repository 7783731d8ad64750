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

"""The agents' process of the agent benchmark (``benchmarks.agent_load``).

``python -m benchmarks.agent --config-file FILE --record FILE --hosts
SRC,DST`` runs two compute agents, built as ``server-migrations-compute``
builds one (``ComputeService``), the source with a recording fake driver
given through the service's ``driver`` argument: it notes, with wall-clock
times, each force-complete reaching the driver and each progress report of
a migration. On SIGTERM the agents stop and the record is written (JSON).
Nothing of the manager is replaced: when an agent took an action is read
from the database afterwards (``agent_actions.claimed_at``).
"""

import argparse
import json
import signal
import threading
import time

from server_migrations.compute import service
from server_migrations.db import engine as db_engine
from server_migrations import startup
from server_migrations.virt import fake


class _TimedMonitor:
    """A migration's monitor, noting the time of each progress report."""

    def __init__(self, monitor, times):
        self._monitor = monitor
        self._times = times

    def progress(self, stats):
        self._times.append(time.time())
        self._monitor.progress(stats)

    def __getattr__(self, name):
        return getattr(self._monitor, name)


class RecordingDriver(fake.FakeDriver):
    """The fake driver, noting when it is called and reports progress."""

    def __init__(self, conf, host):
        super().__init__(conf, host)
        self.force_complete_at = {}
        self.progress_at = {}

    def live_migration(self, instance, migration, dest, block_migration,
                       monitor):
        times = self.progress_at.setdefault(migration['id'], [])
        return super().live_migration(instance, migration, dest,
                                      block_migration,
                                      _TimedMonitor(monitor, times))

    def live_migration_force_complete(self, instance):
        self.force_complete_at.setdefault(instance['uuid'], time.time())
        return super().live_migration_force_complete(instance)

    def record(self):
        return {'force_complete_at': self.force_complete_at,
                'progress_at': {str(k): v for k, v in
                                self.progress_at.items()}}


def agent_main(argv=None):
    """The agents' process: run until SIGTERM, then write the records."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--record', required=True)
    parser.add_argument('--hosts', required=True, help='source,destination')
    args = parser.parse_args(argv)
    source, dest = args.hosts.split(',')
    conf = startup.setup(['--config-file', args.config_file])
    db_engine.configure(conf)
    driver = RecordingDriver(conf, source)
    agents = [service.ComputeService(conf, source, driver=driver),
              service.ComputeService(conf, dest)]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    for agent in agents:
        agent.start()
    stop.wait()
    with open(args.record, 'w') as f:
        json.dump(driver.record(), f)
    for agent in agents:
        agent.stop(timeout=5)
    return 0


if __name__ == '__main__':
    raise SystemExit(agent_main())
