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

"""The driver on the real bindings and libvirt's test driver.

``test:///default`` runs inside the client library: no daemon, one guest
named "test". It has no migration jobs, so the job itself is scripted
(FakeDomain) around the real guest where a test needs one; lookup, run
state, suspend/resume, errors and the connection are libvirt's own.
"""

import fixtures
from oslo_utils import importutils
import testtools

from server_migrations import exception
from server_migrations.tests.unit.virt.libvirt import fakelibvirt as fake
from server_migrations.tests.unit.virt.libvirt import helpers
from server_migrations.virt import driver as driver_mod
from server_migrations.virt.libvirt import driver as libvirt_driver
from server_migrations.virt.libvirt import errors
from server_migrations.virt.libvirt import host as host_mod

libvirt = importutils.try_import('libvirt')

TEST_URI = 'test:///default'
NO_DAEMON_URI = 'qemu+unix:///system?socket=/nonexistent/libvirt-sock'


@testtools.skipIf(libvirt is None, helpers.NO_BINDINGS)
class RealLibvirtTestCase(helpers.LibvirtTestCase):

    def setUp(self):
        super().setUp()
        self.flags(connection_uri=TEST_URI)
        self.conf_fixture.config(driver='libvirt', group='compute')
        self.conn = libvirt.open(TEST_URI)
        self.addCleanup(self.conn.close)
        self.guest = self.conn.lookupByName('test')
        self.uuid = self.guest.UUIDString()
        self.instance = dict(helpers.INSTANCE, uuid=self.uuid)
        # The test driver's state lives as long as the process; leave the
        # guest running for the next test.
        self.addCleanup(self._leave_running)

    def _leave_running(self):
        if self.guest.state()[0] == libvirt.VIR_DOMAIN_PAUSED:
            self.guest.resume()

    def run_state(self):
        return self.guest.state()[0]


class TestTheBindings(RealLibvirtTestCase):

    def test_the_double_uses_libvirts_constant_values(self):
        for name, value in fake.CONSTANTS.items():
            self.assertEqual(getattr(libvirt, name), value, name)

    def test_agent_lifecycle_through_the_entry_point(self):
        driver = driver_mod.load_driver(self.conf, 'src')
        self.assertIsInstance(driver, libvirt_driver.LibvirtDriver)

        driver.init_host()
        self.assertIn('libvirt driver ready on test:///default (libvirt ',
                      self.logs.output)
        self.assertTrue(driver.is_healthy())
        driver.cleanup_host()
        self.assertIn('Closed the connection to libvirt at test:///default',
                      self.logs.output)
        # Used again after cleanup, it reconnects.
        self.assertTrue(driver.is_healthy())
        driver.cleanup_host()

    def test_lookup_by_uuid(self):
        host = host_mod.Host(TEST_URI, libvirt)
        self.addCleanup(host.close)
        domain = host.lookup_domain(self.uuid)
        self.assertEqual('test', domain.name())
        ex = self.assertRaises(exception.InstanceNotFound, host.lookup_domain,
                               '5c5e1b4a-1111-4a8e-9f0e-0123456789ab')
        self.assertIn('5c5e1b4a-1111-4a8e-9f0e-0123456789ab', str(ex))
        self.assertTrue(host.ping())

    def test_libvirtd_not_reachable(self):
        self.flags(connection_uri=NO_DAEMON_URI)
        driver = driver_mod.load_driver(self.conf, 'src')

        driver.init_host()  # logs, does not raise

        self.assertFalse(driver.is_healthy())
        ex = self.assertRaises(errors.HypervisorUnavailable,
                               driver.live_migration, self.instance,
                               helpers.MIGRATION, 'dest', False, self.monitor)
        self.assertIn('libvirt at %s is not reachable: Failed to connect '
                      'socket to \'/nonexistent/libvirt-sock\'' %
                      NO_DAEMON_URI, str(ex))
        self.assertIn('The agent keeps running', self.logs.output)

    def test_connection_errors_are_recognised(self):
        host = host_mod.Host(NO_DAEMON_URI, libvirt)
        try:
            libvirt.open(NO_DAEMON_URI)
        except libvirt.libvirtError as e:
            self.assertTrue(host.is_connection_error(e))
        else:
            self.fail('a connection to a missing socket was opened')
        try:
            self.conn.lookupByUUIDString(
                '5c5e1b4a-1111-4a8e-9f0e-0123456789ab')
        except libvirt.libvirtError as e:
            self.assertFalse(host.is_connection_error(e))

    def test_migration_refused_by_the_test_driver_is_failed(self):
        # No job stats and no peer-to-peer migration on this driver: the
        # monitor copes with the former and reports the latter.
        driver = libvirt_driver.LibvirtDriver(self.conf, 'src',
                                              clock=self.clock)
        self.assertEqual(driver_mod.FAILED,
                         driver.live_migration(self.instance,
                                               helpers.MIGRATION, 'dest',
                                               False, self.monitor))
        self.assertIn('p2p migration is not supported', self.logs.output)
        self.assertIn('reports no job statistics', self.logs.output)
        self.assertEqual([], self.monitor.reports)
        self.assertTrue(self.guest.isActive())
        self.assertEqual(libvirt.VIR_DOMAIN_RUNNING, self.run_state())


class TestScriptedJobOnARealGuest(RealLibvirtTestCase):
    """Force-complete and abort with libvirt's own suspend and resume."""

    def setUp(self):
        super().setUp()
        original = host_mod.Host.lookup_domain

        def lookup(host, uuid, conn=None):
            # The driver's own connection finds the real guest; the double
            # wraps it with a scripted migration job.
            self.domain.backing = original(host, uuid, conn=conn)
            return self.domain

        self.useFixture(fixtures.MockPatchObject(host_mod.Host,
                                                 'lookup_domain', lookup))
        self.driver = libvirt_driver.LibvirtDriver(self.conf, 'src',
                                                   clock=self.clock)
        self.addCleanup(self.driver.cleanup_host)

    def running_migration(self, **job):
        self.domain = fake.FakeDomain(
            self.uuid, [fake.running()],
            errors=fake.make_error_class(libvirt.libvirtError), **job)
        self.addCleanup(self.domain.finish, fake.CANCELLED)
        future = self.start(self.driver, instance=self.instance)
        self.wait_holding(self.domain)
        return future

    def test_pause_then_failure_resumes_the_guest(self):
        future = self.running_migration(on_suspend=[fake.running()])

        self.assertEqual(driver_mod.PAUSED,
                         self.driver.live_migration_force_complete(
                             self.instance))
        self.assertEqual(libvirt.VIR_DOMAIN_PAUSED, self.run_state())

        self.domain.finish(fake.FAILED)
        self.assertEqual(driver_mod.FAILED, self.result(future))
        self.assertEqual(libvirt.VIR_DOMAIN_RUNNING, self.run_state())

    def test_pause_then_abort_resumes_the_guest(self):
        future = self.running_migration()
        self.driver.live_migration_force_complete(self.instance)
        self.assertEqual(libvirt.VIR_DOMAIN_PAUSED, self.run_state())

        self.driver.live_migration_abort(self.instance)

        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        self.assertEqual(libvirt.VIR_DOMAIN_RUNNING, self.run_state())

    def test_pause_then_completion_leaves_the_source_alone(self):
        future = self.running_migration(
            on_suspend=[fake.running(), fake.COMPLETED])
        self.driver.live_migration_force_complete(self.instance)
        self.assertEqual(driver_mod.COMPLETED, self.result(future))
        self.assertEqual(['migrateToURI3', 'suspend'], self.domain.calls)
        self.assertEqual(libvirt.VIR_DOMAIN_PAUSED, self.run_state())

    def test_post_copy_never_pauses_and_cannot_be_aborted(self):
        self.flags(live_migration_permit_post_copy=True)
        future = self.running_migration(on_post_copy=[fake.running()])

        self.assertEqual(driver_mod.POST_COPY,
                         self.driver.live_migration_force_complete(
                             self.instance))
        self.wait_holding(self.domain)
        ex = self.assertRaises(exception.LiveMigrationAbortFailed,
                               self.driver.live_migration_abort,
                               self.instance)
        self.assertIn('post-copy has started', str(ex))

        self.domain.finish(fake.COMPLETED)
        self.assertEqual(driver_mod.COMPLETED, self.result(future))
        self.assertEqual(libvirt.VIR_DOMAIN_RUNNING, self.run_state())

    def test_abort_without_pause(self):
        future = self.running_migration()
        self.driver.live_migration_abort(self.instance)
        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        self.assertEqual(libvirt.VIR_DOMAIN_RUNNING, self.run_state())
        self.assertNotIn('resume', self.domain.calls)

    def test_libvirts_own_refusals_reach_the_caller(self):
        # The test driver has neither abortJob nor post-copy: its errors
        # are the actions' failures, in libvirt's words.
        self.flags(live_migration_permit_post_copy=True)
        future = self.running_migration(
            delegate=('abortJob', 'migrateStartPostCopy'))

        ex = self.assertRaises(exception.LiveMigrationAbortFailed,
                               self.driver.live_migration_abort,
                               self.instance)
        self.assertEqual('Failed to abort the live migration of instance %s: '
                         'this function is not supported by the connection '
                         'driver: virDomainAbortJob' % self.uuid, str(ex))
        ex = self.assertRaises(errors.LiveMigrationForceCompleteFailed,
                               self.driver.live_migration_force_complete,
                               self.instance)
        self.assertEqual('Failed to force the live migration of instance %s '
                         'to complete: this function is not supported by the '
                         'connection driver: virDomainMigrateStartPostCopy' %
                         self.uuid, str(ex))

        # Neither refusal ended the migration.
        self.domain.finish(fake.COMPLETED)
        self.assertEqual(driver_mod.COMPLETED, self.result(future))
        self.assertEqual(['migrateToURI3', 'abortJob',
                          'migrateStartPostCopy'], self.domain.calls)
