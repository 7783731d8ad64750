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

"""What a libvirt live migration is made of: flags, URI, stats, timeout."""

import time

from oslo_log import log as logging

from server_migrations import exception

LOG = logging.getLogger(__name__)

GIB = 1024 ** 3
MIB_PER_GIB = 1024

# The six progress counters of a migration record, in libvirt's own names
# (the typed parameters of virDomainGetJobStats use the same words).
STAT_KEYS = ('memory_total', 'memory_processed', 'memory_remaining',
             'disk_total', 'disk_processed', 'disk_remaining')

# Positions in the legacy virDomainGetJobInfo list: type, time elapsed,
# time remaining, data total/processed/remaining, memory t/p/r, file t/p/r.
_JOB_INFO_INDEX = {'memory_total': 6, 'memory_processed': 7,
                   'memory_remaining': 8, 'disk_total': 9,
                   'disk_processed': 10, 'disk_remaining': 11}


def migration_flags(lv, block_migration, permit_post_copy):
    """The virDomainMigrate flags for one migration.

    Peer-to-peer: the source libvirtd drives the migration itself, so the
    agent needs no connection to the destination. The destination keeps a
    persistent definition and the source's is removed, so the guest belongs
    to exactly one host afterwards. Without shared storage the whole disk
    is copied (the destination has no backing image to build on).
    """
    flags = (lv.VIR_MIGRATE_LIVE | lv.VIR_MIGRATE_PEER2PEER |
             lv.VIR_MIGRATE_PERSIST_DEST | lv.VIR_MIGRATE_UNDEFINE_SOURCE)
    if block_migration:
        flags |= lv.VIR_MIGRATE_NON_SHARED_DISK
    if permit_post_copy:
        # Only permits the switch; it happens on migrateStartPostCopy.
        flags |= lv.VIR_MIGRATE_POSTCOPY
    return flags


def destination_uri(template, dest):
    """The destination libvirtd's URI from ``[libvirt] live_migration_uri``.

    :raises ConfigurationError: the template has no "%s" for the host.
    """
    if template.count('%s') != 1:
        raise exception.ConfigurationError(
            reason='[libvirt] live_migration_uri must contain "%%s" exactly '
                   'once (the destination host name), not %r' % template)
    return template % dest


def data_gib(instance, domain_memory_kib, block_migration):
    """GiB the completion timeout is counted per.

    RAM counts at least 2 GiB (a small guest still needs set-up time); disk
    only when it is copied.
    """
    memory_mb = instance.get('memory_mb') or domain_memory_kib / 1024
    total = max(2.0, memory_mb / MIB_PER_GIB)
    if block_migration:
        total += instance.get('root_gb') or 0
    return total


def completion_timeout(seconds_per_gib, gib):
    """Seconds the migration may run; None when the timeout is off."""
    if not seconds_per_gib:
        return None
    return seconds_per_gib * gib


def stats_from_job_stats(stats):
    """The six counters from a virDomainGetJobStats dict (missing: 0)."""
    return {key: int(stats.get(key) or 0) for key in STAT_KEYS}


def stats_from_job_info(info):
    """The six counters from a legacy virDomainGetJobInfo list."""
    return {key: int(info[index]) if len(info) > index else 0
            for key, index in _JOB_INFO_INDEX.items()}


def read_job(lv, domain):
    """(job type, the six counters) of the domain's current job.

    Tries virDomainGetJobStats, then the legacy virDomainGetJobInfo.
    :returns: None when libvirt has neither call for this domain.
    """
    for read, convert in ((domain.jobStats, _from_job_stats),
                          (domain.jobInfo, _from_job_info)):
        try:
            return convert(read())
        except lv.libvirtError as e:
            if e.get_error_code() == lv.VIR_ERR_NO_SUPPORT:
                continue
            # After the job the source domain is usually gone (undefined)
            # or inactive: no job; the migration call's outcome tells what
            # happened.
            LOG.debug('Reading the job of domain %s: %s', domain.UUIDString(),
                      e.get_error_message() or e)
            return lv.VIR_DOMAIN_JOB_NONE, None
    return None


def _from_job_stats(stats):
    return stats.get('type', 0), stats_from_job_stats(stats)  # 0: no job


def _from_job_info(info):
    return info[0], stats_from_job_info(info)


class RealClock:
    """Wall time for the monitor loop; tests substitute their own."""

    @staticmethod
    def now():
        return time.monotonic()

    @staticmethod
    def wait(event, seconds):
        """Sleep ``seconds`` or until ``event`` is set."""
        event.wait(seconds)
