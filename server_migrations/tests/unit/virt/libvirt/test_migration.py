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

"""Flags, destination URI, counters and timeout of one migration."""

import testtools

from server_migrations import exception
from server_migrations.tests.unit.virt.libvirt import fakeconn
from server_migrations.tests.unit.virt.libvirt import fakelibvirt as fake
from server_migrations.virt.libvirt import migration

BASE = (fake.VIR_MIGRATE_LIVE | fake.VIR_MIGRATE_PEER2PEER |
        fake.VIR_MIGRATE_PERSIST_DEST | fake.VIR_MIGRATE_UNDEFINE_SOURCE)


class TestFlags(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.lv = fakeconn.FakeBindings()

    def test_shared_storage_without_post_copy(self):
        self.assertEqual(BASE, migration.migration_flags(self.lv, False,
                                                         False))

    def test_block_migration_copies_the_disks(self):
        self.assertEqual(BASE | fake.VIR_MIGRATE_NON_SHARED_DISK,
                         migration.migration_flags(self.lv, True, False))

    def test_post_copy_permitted(self):
        self.assertEqual(BASE | fake.VIR_MIGRATE_POSTCOPY |
                         fake.VIR_MIGRATE_NON_SHARED_DISK,
                         migration.migration_flags(self.lv, True, True))


class TestDestinationURI(testtools.TestCase):

    def test_host_fills_the_template(self):
        self.assertEqual('qemu+tls://kvm2/system',
                         migration.destination_uri('qemu+tls://%s/system',
                                                   'kvm2'))

    def test_template_needs_exactly_one_placeholder(self):
        for template in ('qemu+tcp://kvm2/system', 'qemu+tcp://%s/%s'):
            ex = self.assertRaises(exception.ConfigurationError,
                                   migration.destination_uri, template,
                                   'kvm2')
            self.assertIn(repr(template), str(ex))


class TestDataSize(testtools.TestCase):

    def test_memory_counts_at_least_two_gib(self):
        self.assertEqual(2.0, migration.data_gib({'memory_mb': 512}, 0,
                                                 False))
        self.assertEqual(2.0, migration.data_gib({'memory_mb': 2048}, 0,
                                                 False))
        self.assertEqual(3.0, migration.data_gib({'memory_mb': 3072}, 0,
                                                 False))

    def test_libvirts_memory_when_the_record_has_none(self):
        self.assertEqual(8.0, migration.data_gib({'memory_mb': None},
                                                 8 * 1024 * 1024, False))

    def test_disk_counts_only_when_copied(self):
        instance = {'memory_mb': 4096, 'root_gb': 20}
        self.assertEqual(4.0, migration.data_gib(instance, 0, False))
        self.assertEqual(24.0, migration.data_gib(instance, 0, True))
        self.assertEqual(4.0, migration.data_gib({'memory_mb': 4096}, 0,
                                                 True))

    def test_completion_timeout(self):
        self.assertEqual(1600, migration.completion_timeout(800, 2.0))
        self.assertIsNone(migration.completion_timeout(0, 2.0))


class TestCounters(testtools.TestCase):

    def test_job_stats_missing_or_null_counters_are_zero(self):
        self.assertEqual(
            {'memory_total': 10, 'memory_processed': 4,
             'memory_remaining': 6, 'disk_total': 0, 'disk_processed': 0,
             'disk_remaining': 0},
            migration.stats_from_job_stats(
                {'type': 2, 'memory_total': 10, 'memory_processed': 4,
                 'memory_remaining': 6, 'disk_total': None,
                 'time_elapsed': 3}))

    def test_job_info_positions(self):
        info = [2, 1000, 0, 0, 0, 0, 10, 4, 6, 20, 5, 15]
        self.assertEqual(
            {'memory_total': 10, 'memory_processed': 4,
             'memory_remaining': 6, 'disk_total': 20, 'disk_processed': 5,
             'disk_remaining': 15},
            migration.stats_from_job_info(info))

    def test_short_job_info(self):
        self.assertEqual(
            dict.fromkeys(migration.STAT_KEYS, 0),
            migration.stats_from_job_info([0, 0, 0]))
