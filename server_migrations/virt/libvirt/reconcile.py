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

"""Where a guest is, asked of libvirt on both hosts.

The migration call's error, or the agent's memory, is not the truth about
a migration: libvirt's domains are. ``locate`` asks the source daemon
whether the domain is there, active, and running a job, and the
destination daemon whether it runs the guest; ``recover`` stops an
orphaned job and settles from the answers.
"""

import collections
import time

from oslo_log import log as logging

from server_migrations import exception
from server_migrations.virt import driver
from server_migrations.virt.libvirt import errors
from server_migrations.virt.libvirt import host as host_mod
from server_migrations.virt.libvirt import migration

LOG = logging.getLogger(__name__)

# How long recovery waits for a job it aborted (or a post-copy job) to end.
JOB_END_SECONDS = 60
POLL_SECONDS = 0.5
# How long a migration whose call failed waits for libvirt to answer
# where the guest is (a daemon restarting).
LOCATE_SECONDS = 30

# on_source / on_destination: True, False, or None when that daemon could
# not be asked. job: a migration job runs on the source.
Where = collections.namedtuple('Where', 'on_source job post_copy '
                                        'on_destination')


def _source(host, uuid):
    """(active here, job running, job in post-copy) on the local daemon."""
    lv = host.libvirt
    try:
        domain = host.lookup_domain(uuid)
        active = bool(host_mod.bounded(domain.isActive))
    except exception.InstanceNotFound:
        return False, False, False
    except lv.libvirtError as e:
        if e.get_error_code() == lv.VIR_ERR_NO_DOMAIN:
            # Gone between the look-up and the question: a migration
            # that just finished took it away.
            return False, False, False
        LOG.warning('Cannot ask libvirt at %s about guest %s: %s', host.uri,
                    uuid, host_mod.error_message(e))
        return None, False, False
    except (errors.HypervisorUnavailable, host_mod.CallTimedOut) as e:
        LOG.warning('Cannot ask libvirt at %s about guest %s: %s', host.uri,
                    uuid, host_mod.error_message(e))
        return None, False, False
    if not active:
        return False, False, False
    try:
        stats = host_mod.bounded(domain.jobStats)
    except (lv.libvirtError, host_mod.CallTimedOut):
        return True, False, False
    job = stats.get('type') == lv.VIR_DOMAIN_JOB_UNBOUNDED
    # libvirt names the post-copy phase in the job's operation status
    # only on newer versions; the domain's state reason says it too.
    try:
        state, reason = host_mod.bounded(domain.state)
    except (lv.libvirtError, host_mod.CallTimedOut):
        state = reason = None
    post_copy = (state == lv.VIR_DOMAIN_PAUSED and reason ==
                 getattr(lv, 'VIR_DOMAIN_PAUSED_POSTCOPY', -1))
    return True, job, post_copy


def _destination(host, peer_uri, uuid):
    """Whether the daemon at ``peer_uri`` runs the guest (None: unknown)."""
    lv = host.libvirt
    try:
        conn = host.open_connection(peer_uri, read_only=True)
    except errors.HypervisorUnavailable as e:
        LOG.warning('Cannot ask %s where guest %s is: %s', peer_uri, uuid,
                    e.format_message())
        return None
    try:
        domain = host_mod.bounded(lambda: conn.lookupByUUIDString(uuid))
        state = host_mod.bounded(domain.state)[0]
        return state in (lv.VIR_DOMAIN_RUNNING, lv.VIR_DOMAIN_PAUSED)
    except lv.libvirtError as e:
        if e.get_error_code() == lv.VIR_ERR_NO_DOMAIN:
            return False
        LOG.warning('Cannot ask %s where guest %s is: %s', peer_uri, uuid,
                    host_mod.error_message(e))
        return None
    except host_mod.CallTimedOut as e:
        LOG.warning('Cannot ask %s where guest %s is: %s', peer_uri, uuid, e)
        return None
    finally:
        try:
            conn.close()
        except lv.libvirtError:
            pass


def peer_uri(conf, dest):
    return migration.destination_uri(
        conf.peer_connection_uri or conf.live_migration_uri, dest,
        'peer_connection_uri')


def locate(host, conf, uuid, dest):
    """Ask both daemons; the destination only when the source cannot say.

    A guest active on the source with no job runs there, whatever the
    destination holds (a leftover paused incoming domain is libvirt's to
    clean up).
    """
    on_source, job, post_copy = _source(host, uuid)
    on_destination = None
    if on_source is not True or job:
        on_destination = _destination(host, peer_uri(conf, dest), uuid)
    where = Where(on_source, job, post_copy, on_destination)
    LOG.info('Guest %s: %s', uuid, describe(where))
    return where


def describe(where):
    side = {True: 'present', False: 'absent', None: 'unknown'}
    return ('on the source %s%s, on the destination %s' % (
        side[where.on_source],
        ' with a migration job' + (' in post-copy' if where.post_copy
                                   else '') if where.job else '',
        side[where.on_destination]))


def verdict(where):
    """ON_SOURCE, ON_DESTINATION or UNKNOWN from a settled ``Where``."""
    if where.job:
        return driver.UNKNOWN
    if where.on_source and where.on_destination is not True:
        return driver.ON_SOURCE
    if where.on_destination and where.on_source is False:
        return driver.ON_DESTINATION
    return driver.UNKNOWN


def recover(host, conf, uuid, dest, post_copy_recorded, timeout=None):
    """Stop or outwait an orphaned job, then say where the guest runs."""
    lv = host.libvirt
    where = locate(host, conf, uuid, dest)
    if where.job and not (where.post_copy or post_copy_recorded):
        LOG.warning('Aborting the orphaned migration job of guest %s.', uuid)
        try:
            host_mod.bounded(host.lookup_domain(uuid).abortJob)
        except (lv.libvirtError, host_mod.CallTimedOut) as e:
            LOG.warning('Could not abort the job of guest %s: %s', uuid,
                        host_mod.error_message(e))
    if where.job:
        # An aborted job, or post-copy which only the copy itself can end.
        deadline = time.monotonic() + (JOB_END_SECONDS if timeout is None
                                       else timeout)
        while where.job and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            where = locate(host, conf, uuid, dest)
    return verdict(where)


def outcome_of_failed_call(host, conf, uuid, dest, error, clock, wake,
                           timeout):
    """FAILED or COMPLETED from where libvirt has the guest after a call
    failed; a job that outlived the call is waited for until it ends.

    :raises HypervisorUnavailable: libvirt cannot say where the guest is.
    """
    deadline = clock.now() + max(timeout or 0, JOB_END_SECONDS)
    locate_until = clock.now() + LOCATE_SECONDS
    while True:
        where = locate(host, conf, uuid, dest)
        found = verdict(where)
        now = clock.now()
        if found == driver.ON_SOURCE:
            return driver.FAILED
        if found == driver.ON_DESTINATION:
            return driver.COMPLETED
        if where.job and now < deadline:
            LOG.info('The migration job of instance %s still runs after '
                     'its call failed; waiting for it to end.', uuid)
        elif where.on_source is not None or now >= locate_until:
            # Whether the guest moved is unknown: an error for the manager.
            raise errors.HypervisorUnavailable(
                uri=host.uri, reason='%s; the guest is %s' % (
                    host_mod.error_message(error), describe(where)))
        clock.wait(wake, POLL_SECONDS)
