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

"""What real libvirt does that the test driver does not, and the fixes.

Each case here is a behaviour measured against real libvirtd and QEMU (see
the real-hypervisor integration suite) and played by the scripted double.
"""

import threading

import fixtures

from server_migrations.tests.unit.virt.libvirt import fakeconn
from server_migrations.tests.unit.virt.libvirt import fakelibvirt as fake
from server_migrations.tests.unit.virt.libvirt import helpers
from server_migrations.virt import driver as driver_mod
from server_migrations.virt.libvirt import actions
from server_migrations.virt.libvirt import errors
from server_migrations.virt.libvirt import host as host_mod
from server_migrations.virt.libvirt import reconcile

INSTANCE = helpers.INSTANCE
GIB = fake.GIB
LOCAL_DISK = ("<disk type='file' device='disk'><source file='/v/a.qcow2'/>"
              "<target dev='vda'/></disk>"
              "<disk type='file' device='cdrom'><target dev='hdc'/></disk>"
              "<disk type='network' device='disk'><target dev='vdb'/></disk>")
CONNECTION_RESET = ('Cannot recv data: Connection reset by peer',
                    fake.VIR_ERR_SYSTEM_ERROR, fake.VIR_FROM_RPC)


class TestOwnConnection(helpers.LibvirtTestCase):

    def test_force_complete_is_not_held_behind_the_migration_call(self):
        # libvirt's client can hold a call back behind the long migration
        # call on the same connection: the call has its own.
        domain = fake.FakeDomain(helpers.UUID, [fake.running()],
                                 on_suspend=[fake.running(), fake.COMPLETED])
        driver = self.make_driver(domain)
        future = self.start(driver)
        self.wait_holding(domain)
        self.assertEqual(driver_mod.PAUSED,
                         driver.live_migration_force_complete(INSTANCE))
        self.assertEqual(driver_mod.COMPLETED, self.result(future))
        self.assertEqual([], [name for _, conn in self.bindings.opened
                              for name in conn.held_back])


class TestDeadlines(helpers.LibvirtTestCase):
    """A libvirt call that never returns holds nobody for good."""

    def setUp(self):
        super().setUp()
        self.release = threading.Event()
        self.addCleanup(self.release.set)

    def test_health_check(self):
        self.useFixture(fixtures.MockPatchObject(
            host_mod, 'CALL_DEADLINE_SECONDS', 0.2))
        driver = self.make_driver()
        self.useFixture(fixtures.MockPatchObject(
            fakeconn.FakeConnection, 'getLibVersion',
            lambda conn: self.release.wait(fake.WAIT_SECONDS)))
        self.assertFalse(driver.is_healthy())
        self.assertIn('does not answer: getLibVersion did not return',
                      self.logs.output)

    def test_force_complete_while_the_monitor_is_stuck(self):
        self.useFixture(fixtures.MockPatchObject(actions, 'ACTION_SECONDS',
                                                 0.2))
        domain = fake.FakeDomain(helpers.UUID, [fake.running()])
        driver = self.make_driver(domain)
        future = self.start(driver)
        self.wait_holding(domain)
        read = domain.jobStats
        self.patch(domain, 'jobStats', lambda: (
            self.release.wait(fake.WAIT_SECONDS), read())[1])
        ex = self.assertRaises(errors.LiveMigrationForceCompleteFailed,
                               driver.live_migration_force_complete,
                               INSTANCE)
        self.assertIn('did not act within', str(ex))
        self.release.set()
        domain.finish(fake.CANCELLED)
        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        self.assertNotIn('suspend', domain.calls)


class TestWhereTheGuestIs(helpers.LibvirtTestCase):

    def test_destination_down_is_failed_not_error(self):
        # The source daemon's connection to the destination failed (code
        # 38, RPC domain, like losing our own): ours still answers.
        domain = fake.FakeDomain(
            helpers.UUID, [fake.COMPLETED],
            migrate_error=fake.libvirtError(*CONNECTION_RESET))
        driver = self.make_driver(domain)
        self.assertEqual(driver_mod.FAILED, self.result(self.start(driver)))
        self.assertIn('The destination of instance %s failed' % helpers.UUID,
                      self.logs.output)
        self.assertIn('on the source present', self.logs.output)

    def test_libvirtd_restarted_mid_migration(self):
        # Our daemon restarted (ending its job); the guest never left.
        domain = fake.FakeDomain(
            helpers.UUID, [fake.COMPLETED],
            migrate_error=fake.libvirtError(*CONNECTION_RESET),
            on_migrate=lambda: self.bindings.restart_daemon())
        driver = self.make_driver(domain)
        self.assertEqual(driver_mod.FAILED, self.result(self.start(driver)))
        self.assertNotIn('The destination of instance', self.logs.output)
        self.assertIn('reconnecting', self.logs.output)

    def test_call_lost_but_the_guest_moved(self):
        # Our daemon restarted as the migration finished: the guest runs on
        # the destination and is gone from the source.
        def moved():
            self.bindings.peer_domains[helpers.UUID] = domain
            del self.bindings.domains[helpers.UUID]
            self.bindings.restart_daemon()

        domain = fake.FakeDomain(
            helpers.UUID, [fake.COMPLETED],
            migrate_error=fake.libvirtError(*CONNECTION_RESET),
            on_migrate=moved)
        driver = self.make_driver(domain)
        self.assertEqual(driver_mod.COMPLETED,
                         self.result(self.start(driver)))
        self.assertIn('on the source absent, on the destination present',
                      self.logs.output)

    def test_job_that_outlives_its_call_decides(self):
        # The call's connection dropped; libvirtd's job went on and was
        # cancelled there: the monitor follows the job, not the call.
        domain = fake.FakeDomain(
            helpers.UUID, [fake.running(), fake.running(), fake.CANCELLED],
            migrate_error=fake.libvirtError(*CONNECTION_RESET),
            job_outlives_call=True)
        driver = self.make_driver(domain)
        self.assertEqual(driver_mod.CANCELLED,
                         self.result(self.start(driver)))

    def test_recover_aborts_an_orphaned_job(self):
        domain = fake.FakeDomain(helpers.UUID, [fake.running()])
        domain.migrate_args = ('qemu+tcp://dest/system', {}, 0)
        driver = self.make_driver(domain)
        self.assertEqual(driver_mod.ON_SOURCE, driver.recover_migration(
            INSTANCE, {'dest_compute': 'dest', 'status': 'running'}))
        self.assertEqual(['abortJob'], domain.calls)

    def test_recover_finds_the_guest_on_the_destination(self):
        domain = fake.FakeDomain(helpers.UUID, [fake.COMPLETED])
        driver = self.make_driver()
        self.bindings.peer_domains[helpers.UUID] = domain
        self.assertEqual(driver_mod.ON_DESTINATION, driver.recover_migration(
            INSTANCE, {'dest_compute': 'dest',
                       'status': 'running (post-copy)'}))

    def test_recover_when_libvirt_is_down(self):
        driver = self.make_driver(fake.FakeDomain(helpers.UUID, []))
        self.bindings.daemon_running = False
        self.assertEqual(driver_mod.UNKNOWN, driver.recover_migration(
            INSTANCE, {'dest_compute': 'dest', 'status': 'running'}))


class TestPausedGuests(helpers.LibvirtTestCase):

    def test_libvirt_resumed_the_guest_itself(self):
        # Real libvirt resumes a guest paused during its migration once
        # the job is cancelled: no second resume, no error.
        domain = fake.FakeDomain(helpers.UUID, [fake.running()],
                                 resumes_itself=True)
        driver = self.make_driver(domain)
        future = self.start(driver)
        self.wait_holding(domain)
        driver.live_migration_force_complete(INSTANCE)
        driver.live_migration_abort(INSTANCE)
        self.assertEqual(driver_mod.CANCELLED, self.result(future))
        self.assertNotIn('resume', domain.calls)
        self.assertNotIn('Could not resume', self.logs.output)
        self.assertEqual(fake.VIR_DOMAIN_RUNNING, domain.run_state)

    def test_paused_guest_is_never_switched_to_post_copy(self):
        self.flags(live_migration_permit_post_copy=True)
        domain = fake.FakeDomain(helpers.UUID, [fake.running()])
        domain.run_state = fake.VIR_DOMAIN_PAUSED
        driver = self.make_driver(domain)
        future = self.start(driver)
        self.wait_holding(domain)
        self.assertFalse(domain.migrate_args[2] & fake.VIR_MIGRATE_POSTCOPY)
        self.assertEqual(driver_mod.PAUSED,
                         driver.live_migration_force_complete(INSTANCE))
        domain.finish(fake.FAILED)
        self.assertEqual(driver_mod.FAILED, self.result(future))
        # Paused by its owner, not by us: it stays paused.
        self.assertEqual(['migrateToURI3'], domain.calls)
        self.assertEqual(fake.VIR_DOMAIN_PAUSED, domain.run_state)


class TestProgressAndParameters(helpers.LibvirtTestCase):

    def test_progress_while_libvirt_sets_the_job_up(self):
        setting_up = fake.running(memory_total=0, memory_remaining=0)
        domain = fake.FakeDomain(helpers.UUID, [setting_up, fake.COMPLETED])
        self.assertEqual(driver_mod.COMPLETED,
                         self.result(self.start(self.make_driver(domain))))
        self.assertEqual([{'memory_total': GIB, 'memory_processed': 0,
                           'memory_remaining': GIB, 'disk_total': 0,
                           'disk_processed': 0, 'disk_remaining': 0},
                          {'memory_total': GIB, 'memory_processed': GIB,
                           'memory_remaining': 0, 'disk_total': 0,
                           'disk_processed': 0, 'disk_remaining': 0}],
                         self.monitor.reports)

    def _migrate(self, block_migration, **flags):
        self.flags(**flags)
        domain = fake.FakeDomain(helpers.UUID, [fake.COMPLETED],
                                 disks_xml=LOCAL_DISK)
        self.assertEqual(driver_mod.COMPLETED, self.result(self.start(
            self.make_driver(domain), block_migration=block_migration)))
        _uri, params, flags = domain.migrate_args
        return params, bool(flags & fake.VIR_MIGRATE_NON_SHARED_DISK)

    def test_parameters(self):
        params, copied = self._migrate(
            True, live_migration_bandwidth=16,
            live_migration_inbound_uri='tcp://%s-mig')
        self.assertTrue(copied)
        self.assertEqual({'bandwidth': 16, 'migrate_uri': 'tcp://dest-mig',
                          'migrate_disks': ['vda']}, params)

    def test_auto_copies_local_disks_unless_storage_is_shared(self):
        self.assertEqual(({'migrate_disks': ['vda']}, True),
                         self._migrate('auto'))
        self.assertEqual(({}, False),
                         self._migrate('auto', shared_storage=True))
        self.assertEqual(({}, False), self._migrate(False))


class TestSourceLookupRace(helpers.LibvirtTestCase):
    """A post-copy that finishes while the agent asks where the guest is."""

    def test_guest_gone_between_the_look_up_and_the_question(self):
        class Gone:
            def isActive(self):
                raise fake.libvirtError('Domain not found: no domain with '
                                        'matching uuid',
                                        fake.VIR_ERR_NO_DOMAIN)

        class Host:
            libvirt = fake
            uri = 'qemu:///source'

            def lookup_domain(self, uuid):
                return Gone()
        # Not "unknown": absent from the source, so the destination is
        # asked and decides.
        self.assertEqual((False, False, False),
                         reconcile._source(Host(), helpers.UUID))
