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

"""The hosts of a live migration: a source whose agent is up, and the
destination, the one asked for or the least loaded live one.
"""

from server_migrations import compute
from server_migrations.db import migrations as db_migrations
from server_migrations.db import services as db_services
from server_migrations import exception


def check_source_is_up(context, instance, service_down_time):
    """Refuse, as the reference does (400), a source agent that is down.

    Its agent would never take the cast; a disabled agent that still
    heartbeats may migrate its servers away.
    """
    source = instance['host']
    if not any(s['host'] == source and db_services.service_is_up(
            s, service_down_time)
            for s in db_services.service_get_all(context, compute.BINARY)):
        raise exception.ComputeServiceUnavailable(host=source)


def select_destination(context, instance, host, service_down_time):
    """``host`` if it may take the server, or the least loaded live host.

    :raises UnableToMigrateToSelf: ``host`` is the server's own.
    :raises ComputeServiceUnavailable: ``host``'s agent is down.
    :raises ComputeHostNotFound: no agent of that name.
    :raises NoValidHost: no live host other than the source.
    """
    live = db_services.service_get_live(context, compute.BINARY,
                                        service_down_time)
    live_hosts = sorted(s['host'] for s in live)
    if host is not None:
        if host == instance['host']:
            raise exception.UnableToMigrateToSelf(
                instance_id=instance['uuid'], host=host)
        if host in live_hosts:
            return host
        known = {s['host'] for s in db_services.service_get_all(
            context, compute.BINARY)}
        if host in known:
            raise exception.ComputeServiceUnavailable(host=host)
        raise exception.ComputeHostNotFound(host=host)
    candidates = [h for h in live_hosts if h != instance['host']]
    if not candidates:
        raise exception.NoValidHost(
            reason='There are not enough hosts available.')
    load = db_migrations.host_load(context, candidates)
    return min(candidates, key=lambda h: (load[h], h))
