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

"""The operators' manual check script (check.py)."""

import io
import os
from unittest import mock

import fixtures
from oslo_utils import importutils
import testtools

from server_migrations.tests.unit.virt.libvirt import fakelibvirt as fake
from server_migrations.tests.unit.virt.libvirt import helpers
from server_migrations.virt import driver as driver_mod
from server_migrations.virt.libvirt import check

libvirt = importutils.try_import('libvirt')


class TestRun(helpers.LibvirtTestCase):

    def setUp(self):
        super().setUp()
        self.conf.register_opts(check.cli_opts)
        self.conf_fixture.config(server=helpers.UUID, dest='kvm2')
        self.lines = []

    def test_force_complete_after_a_delay(self):
        self.conf_fixture.config(force_complete_after=0)
        domain = fake.FakeDomain(
            helpers.UUID, [fake.running(memory_processed=fake.GIB)],
            on_suspend=[fake.running(memory_processed=4 * fake.GIB),
                        fake.COMPLETED])
        driver = self.make_driver(domain)

        result = check.run(self.conf, driver, out=self.lines.append)

        self.assertEqual(driver_mod.COMPLETED, result)
        self.assertEqual([
            'libvirt at qemu:///system: answers',
            'migrating %s to kvm2 (qemu+tcp://kvm2/system), block '
            'migration: False, post-copy permitted: False' % helpers.UUID,
            'progress: memory 1.00 of 4.00 GiB copied, 3.00 GiB left; disk '
            '0.00 of 0.00 GiB copied, 0.00 GiB left'], self.lines[:3])
        # The action's line comes from its own thread, among the reports.
        self.assertIn('force-complete: paused', self.lines)
        self.assertEqual('result: completed', self.lines[-1])
        self.assertEqual(['migrateToURI3', 'suspend'], domain.calls)

    def test_abort_after_a_delay(self):
        self.conf_fixture.config(abort_after=0)
        domain = fake.FakeDomain(helpers.UUID, [fake.running()])
        result = check.run(self.conf, self.make_driver(domain),
                           out=self.lines.append)
        self.assertEqual(driver_mod.CANCELLED, result)
        self.assertIn('abort: requested', self.lines)
        self.assertEqual('result: cancelled', self.lines[-1])

    def test_libvirt_not_reachable(self):
        driver = self.make_driver()
        self.bindings.daemon_running = False
        self.assertIsNone(check.run(self.conf, driver,
                                    out=self.lines.append))
        self.assertEqual(['libvirt at qemu:///system: NOT reachable'],
                         self.lines)


@testtools.skipIf(libvirt is None, helpers.NO_BINDINGS)
class TestMainOnTheTestDriver(helpers.LibvirtTestCase):

    def test_exit_status_and_output(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'check.conf')
        with open(path, 'w') as f:
            f.write('[libvirt]\nconnection_uri = test:///default\n')
        stdout = io.StringIO()
        with mock.patch('sys.stdout', stdout):
            status = check.main(['--config-file', path, '--dest', 'kvm2',
                                 '6695eb01-f6a4-8304-79aa-97f2502e193f'])
        self.assertEqual(1, status)
        self.assertIn('libvirt at test:///default: answers',
                      stdout.getvalue())
        self.assertIn('result: failed', stdout.getvalue())
