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
from xml.etree import ElementTree

from oslo_log import log as logging

from server_migrations import exception
from server_migrations import migration_states as states

LOG = logging.getLogger(__name__)

GIB = 1024 ** 3
# What libvirt's memory_dirty_rate counts in (pages per second) when it
# does not say memory_page_size.
DEFAULT_PAGE_SIZE = 4096
MIB_PER_GIB = 1024

# The six progress counters of a migration record, in libvirt's own names
# (the typed parameters of virDomainGetJobStats use the same words).
STAT_KEYS = states.PROGRESS_FIELDS

# Positions in the legacy virDomainGetJobInfo list: type, time elapsed,
# time remaining, data total/processed/remaining, memory t/p/r, file t/p/r.
_JOB_INFO_INDEX = {'memory_total': 6, 'memory_processed': 7,
                   'memory_remaining': 8, 'disk_total': 9,
                   'disk_processed': 10, 'disk_remaining': 11}


def migration_flags(lv, block_migration, permit_post_copy, paused=False):
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
    if permit_post_copy and not paused:
        # Only permits the switch; it happens on migrateStartPostCopy. A
        # paused guest gains nothing from running on the destination early,
        # and a failed post-copy would lose it.
        flags |= lv.VIR_MIGRATE_POSTCOPY
    return flags


def local_disks(domain_xml):
    """Target devices of the guest's disks that live on this host.

    File and block disks (not CD-ROMs, not read-only or shareable ones);
    network disks (Ceph, iSCSI) are reached from any host and never copied.
    """
    devices = ElementTree.fromstring(domain_xml).find('devices')
    targets = []
    for disk in devices.findall('disk') if devices is not None else ():
        target = disk.find('target')
        if (disk.get('type') in ('file', 'block') and
                disk.get('device', 'disk') == 'disk' and
                disk.find('readonly') is None and
                disk.find('shareable') is None and target is not None):
            targets.append(target.get('dev'))
    return targets


def wants_block_migration(requested, disks, shared_storage):
    """Whether to copy the disks: ``requested`` is True, False or "auto".

    "auto" copies them unless there is nothing local to copy or the
    operator said the instance storage is shared.
    """
    if requested == 'auto':
        return bool(disks) and not shared_storage
    return bool(requested)


def migration_params(lv, conf, dest, disks, block_migration):
    """The typed parameters of virDomainMigrateToURI3."""
    params = {}
    if conf.live_migration_bandwidth:
        params[lv.VIR_MIGRATE_PARAM_BANDWIDTH] = (
            conf.live_migration_bandwidth)
    if conf.live_migration_inbound_uri:
        params[lv.VIR_MIGRATE_PARAM_URI] = destination_uri(
            conf.live_migration_inbound_uri, dest,
            'live_migration_inbound_uri')
    if block_migration and disks:
        params[lv.VIR_MIGRATE_PARAM_MIGRATE_DISKS] = list(disks)
    return params


def destination_uri(template, dest, option='live_migration_uri'):
    """The destination libvirtd's URI from ``[libvirt] live_migration_uri``.

    :raises ConfigurationError: the template has no "%s" for the host.
    """
    if template.count('%s') != 1:
        raise exception.ConfigurationError(
            reason='[libvirt] %s must contain "%%s" exactly once (the '
                   'destination host name), not %r' % (option, template))
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


def downtime_steps(downtime, steps, delay, gib):
    """The downtime ladder: (seconds into the copy, max downtime ms).

    In ``steps`` equal steps from ``downtime / steps`` up to ``downtime``,
    one every ``delay`` seconds per GiB of data (at least one GiB). The
    copy starts with libvirt's own maximum downtime: a migration that
    converges in its first ``delay`` seconds per GiB needs no ladder.
    """
    base = downtime / steps
    offset = (downtime - base) / steps
    every = delay * max(gib, 1)
    return [(every * i, int(base + offset * i))
            for i in range(1, steps + 1)]


def stats_from_job_stats(stats):
    """The six counters from a virDomainGetJobStats dict (missing: 0).

    With them the convergence statistics libvirt reports (``memory_
    iteration``, ``memory_bps``, ``downtime``, ``memory_dirty_rate``), the
    dirty rate turned from pages into bytes per second; absent ones are
    left out (older libvirt, or the first pass before QEMU measured them).
    """
    counters = {key: int(stats.get(key) or 0) for key in STAT_KEYS}
    for key in ('memory_iteration', 'memory_bps', 'downtime'):
        if stats.get(key) is not None:
            counters[key] = int(stats[key])
    if stats.get('memory_dirty_rate') is not None:
        page = int(stats.get('memory_page_size') or DEFAULT_PAGE_SIZE)
        counters['memory_dirty_rate'] = int(stats['memory_dirty_rate']) * page
    return counters


def setup_stats(memory_bytes):
    """Progress while libvirt sets the job up (it reports only zeros)."""
    stats = dict.fromkeys(STAT_KEYS, 0)
    stats['memory_total'] = stats['memory_remaining'] = memory_bytes
    return stats


def final_stats(last):
    """The counters of a completed migration from its last reading.

    What remained at the last reading was sent in the final stop-and-copy
    (or pulled by the destination in post-copy).
    """
    final = dict(last)
    for kind in ('memory', 'disk'):
        final[kind + '_processed'] = (last[kind + '_processed'] +
                                      last[kind + '_remaining'])
        final[kind + '_remaining'] = 0
    return final


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
