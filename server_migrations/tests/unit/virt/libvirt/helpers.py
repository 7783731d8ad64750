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

"""Test helpers: a clock that does not sleep, a recording monitor."""

from concurrent import futures
import logging
import threading

import fixtures

from server_migrations.tests import base
from server_migrations.tests.unit.virt.libvirt import fakeconn
from server_migrations.tests.unit.virt.libvirt import fakelibvirt
from server_migrations.virt import driver as driver_mod
from server_migrations.virt.libvirt import driver as libvirt_driver

NO_BINDINGS = ('libvirt-python is not installed; it builds against the '
               'libvirt headers: run .ci/install-libvirt (Debian packages '
               'libvirt-dev, pkg-config and libvirt-daemon, then the '
               '"libvirt" extra)')
UUID = '6695eb01-f6a4-8304-79aa-97f2502e193f'
INSTANCE = {'uuid': UUID, 'memory_mb': 1024, 'root_gb': 10,
            'host': 'src'}
MIGRATION = {'id': 7, 'status': 'running'}


class FakeClock:
    """Time moves only when the monitor waits: by the full wait.

    The monitor's readings then happen at 0, 0.5, 1.0, ... seconds whatever
    the machine's speed; a frozen clock lets a test act "at" one instant.
    A short real wait keeps the waiting thread from spinning while another
    thread (a test, the migration call) acts.
    """

    def __init__(self):
        self.time = 0.0
        self.frozen = False
        self._lock = threading.Lock()

    def now(self):
        with self._lock:
            return self.time

    def wait(self, event, seconds):
        with self._lock:
            if not self.frozen:
                self.time += seconds
        event.wait(0.001)


class RecordingMonitor(driver_mod.MigrationMonitor):

    def __init__(self):
        self.reports = []
        self.post_copy_count = 0
        self.timeouts = []

    def progress(self, stats):
        self.reports.append(stats)

    def post_copy_started(self):
        self.post_copy_count += 1

    def timed_out(self, elapsed, action):
        self.timeouts.append((elapsed, action))


class LibvirtTestCase(base.TestCase):
    """A LibvirtDriver on scripted bindings, with the monitor on FakeClock."""

    DATABASE = None

    def setUp(self):
        super().setUp()
        # Progress every 1 s = every second reading; no timeout unless a
        # test sets one.
        self.flags(live_migration_monitor_interval=1,
                   live_migration_completion_timeout=0)
        self.logs = self.useFixture(fixtures.FakeLogger(
            name='server_migrations.virt.libvirt', level=logging.INFO))
        self.monitor = RecordingMonitor()
        self.clock = FakeClock()
        self.pool = futures.ThreadPoolExecutor(max_workers=2)
        self.addCleanup(self.pool.shutdown, wait=False)

    def flags(self, **kwargs):
        self.conf_fixture.config(group='libvirt', **kwargs)

    def make_driver(self, *domains, errors=fakelibvirt.libvirtError):
        self.bindings = fakeconn.FakeBindings(domains, errors=errors)
        for domain in domains:
            # A test that fails half-way must not leave a monitor thread
            # reading a never-ending job.
            self.addCleanup(domain.finish, fakelibvirt.CANCELLED)
        return libvirt_driver.LibvirtDriver(
            self.conf, 'src', libvirt_module=self.bindings, clock=self.clock)

    def start(self, driver, instance=INSTANCE, block_migration=False):
        """live_migration in a worker thread, as the manager runs it."""
        return self.pool.submit(driver.live_migration, instance, MIGRATION,
                                'dest', block_migration, self.monitor)

    def wait_holding(self, domain):
        self.assertTrue(domain.holding.wait(fakelibvirt.WAIT_SECONDS),
                        'the migration never reached its holding reading')

    def result(self, future):
        return future.result(timeout=fakelibvirt.WAIT_SECONDS * 3)
