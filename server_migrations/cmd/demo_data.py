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

"""The demo servers of server-migrations-all-in-one and where they live.

Each demo migration stays in the situation its name promises until the
person at the terminal acts on it:

* ``demo-converging`` copies faster than its guest dirties memory, slowly
  enough to take minutes; when it ends the all-in-one starts a new one.
* ``demo-stuck*`` dirty memory faster than the link copies: they never
  converge until forced to complete. One per client (curl, openstacksdk,
  the openstack CLI), so that every printed command has a migration to act
  on.
* ``demo-busy`` never converges either and is never touched by a printed
  command: it holds the only live-migration slot of the last agent, and
  the ``demo-queued*`` migrations from that agent wait behind it.
"""

import json
import os
import time

from oslo_utils import timeutils
from oslo_utils import uuidutils

from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations

PROJECT = 'demo'
TOKEN = 'admin:%s' % PROJECT
DEMO_PREFIX = 'demo-'

# Copy rate of every simulated agent in the demo, MiB/s.
BANDWIDTH_MBPS = 128.0

CONVERGING = 'converging'
STUCK = 'stuck'
BUSY = 'busy'
QUEUED = 'queued'

# name -> (role, client, memory MiB, dirty rate MiB/s, what it is for)
SERVERS = {
    'demo-converging': (CONVERGING, None, 8192, 104.0,
                        'converges in about 6 minutes (watch its bars); a '
                        'new migration starts when it ends'),
    'demo-stuck': (STUCK, 'curl', 4096, 400.0,
                   'never converges until forced: force it with curl'),
    'demo-stuck-sdk': (STUCK, 'sdk', 4096, 400.0,
                       'the same, for openstacksdk'),
    'demo-stuck-cli': (STUCK, 'cli', 4096, 400.0,
                       'the same, for the openstack CLI'),
    'demo-busy': (BUSY, None, 4096, 400.0,
                  'never converges; holds %(slot_host)s\'s only slot so '
                  'the queued ones wait (leave it)'),
    'demo-queued': (QUEUED, 'curl', 1024, 8.0,
                    'queued behind demo-busy: abort it with curl'),
    'demo-queued-sdk': (QUEUED, 'sdk', 1024, 8.0,
                        'the same, for openstacksdk'),
    'demo-queued-cli': (QUEUED, 'cli', 1024, 8.0,
                        'the same, for the openstack CLI'),
}


def named(role, client=None):
    """The demo server name with this role (and client)."""
    for name, (r, c, _mem, _dirty, _why) in SERVERS.items():
        if r == role and (client is None or c == client):
            return name
    raise KeyError((role, client))


def layout(hosts):
    """Where each demo server runs and where its migration goes.

    The last host is the slot host: demo-busy holds its only slot and the
    queued ones wait there. The others migrate among the remaining hosts,
    which get as many slots as they need.

    :returns: ({name: (source, destination)}, {host: slots}).
    """
    slot_host, movers = hosts[-1], hosts[:-1]
    placement, slots = {}, {h: 1 for h in hosts}
    i = 0
    for name, (role, _c, _mem, _dirty, _why) in SERVERS.items():
        if role in (BUSY, QUEUED):
            placement[name] = (slot_host, movers[0])
            continue
        source = movers[i % len(movers)]
        placement[name] = (source, movers[(i + 1) % len(movers)])
        i += 1
    for host in movers:
        # Room for everything that may be migrating from it at once.
        slots[host] = len(SERVERS)
    return placement, slots


def reset(context):
    """Soft-delete the demo servers of an earlier run."""
    for server in db_instances.instance_get_all(context, project_id=PROJECT):
        if (server['display_name'] or '').startswith(DEMO_PREFIX):
            db_instances.instance_destroy(context, server['uuid'])


def seed(context, placement, guests_file):
    """Create the demo servers; write their sizes to the guests file.

    :returns: {name: server record}.
    """
    created, guests = {}, {}
    for name, (_role, _c, memory_mb, dirty, _why) in SERVERS.items():
        host = placement[name][0]
        server = db_instances.instance_create(context, {
            'uuid': uuidutils.generate_uuid(), 'display_name': name,
            'project_id': PROJECT, 'user_id': 'admin', 'host': host,
            'node': host, 'vm_state': 'active', 'task_state': None,
            'launched_at': timeutils.utcnow(), 'memory_mb': memory_mb,
            'root_gb': 10})
        created[name] = server
        # No disk to copy: the demo's migrations are not block migrations.
        guests[server['uuid']] = {'memory_mb': memory_mb,
                                  'dirty_rate_mbps': dirty}
    with open(guests_file, 'w') as f:
        json.dump(guests, f, indent=2)
    return created


def wait_status(context, migration_id, statuses, timeout=15.0):
    """The migration once its status is one of ``statuses`` (or timed out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = db_migrations.migration_get(context, migration_id)
        if current and current['status'] in statuses:
            return current
        time.sleep(0.2)
    return db_migrations.migration_get(context, migration_id)


def write_conf(path, conf):
    """A config file other commands (manage) can use to reach the demo."""
    with open(path, 'w') as f:
        f.write('[DEFAULT]\nstate_path = %s\n[database]\nconnection = %s\n'
                % (conf.state_path, conf.database.connection))
    return os.path.abspath(path)
