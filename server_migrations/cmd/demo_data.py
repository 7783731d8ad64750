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

"""Demo servers for server-migrations-all-in-one, and how to reach them."""

import json
import os

from oslo_utils import timeutils
from oslo_utils import uuidutils

from server_migrations.db import api as db_api

PROJECT = 'demo'
TOKEN = 'admin:%s' % PROJECT
DEMO_PREFIX = 'demo-'

# name -> (source host index, memory MiB, dirty rate MiB/s, what it shows)
SERVERS = {
    'demo-converging': (0, 2048, 16.0, 'converges on its own'),
    'demo-stuck': (1, 4096, 400.0,
                   'dirties memory faster than the copy: force it'),
    'demo-queued': (1, 1024, 8.0,
                    'waits behind demo-stuck on its host: abort it'),
}


def reset(context):
    """Soft-delete the demo servers of an earlier run."""
    for server in db_api.instance_get_all(context, project_id=PROJECT):
        if (server['display_name'] or '').startswith(DEMO_PREFIX):
            db_api.instance_destroy(context, server['uuid'])


def seed(context, hosts, guests_file):
    """Create the demo servers; write their dirty rates to the guests file.

    :returns: {name: server record}.
    """
    created, guests = {}, {}
    for name, (index, memory_mb, dirty, _why) in SERVERS.items():
        host = hosts[index % len(hosts)]
        server = db_api.instance_create(context, {
            'uuid': uuidutils.generate_uuid(), 'display_name': name,
            'project_id': PROJECT, 'user_id': 'admin', 'host': host,
            'node': host, 'vm_state': 'active', 'task_state': None,
            'launched_at': timeutils.utcnow(), 'memory_mb': memory_mb,
            'root_gb': 10})
        created[name] = server
        guests[server['uuid']] = {'memory_mb': memory_mb,
                                  'dirty_rate_mbps': dirty}
    with open(guests_file, 'w') as f:
        json.dump(guests, f, indent=2)
    return created


def instructions(endpoint, servers, migrations, conf_file):
    """One shell command per line, each working as printed."""
    stuck = servers['demo-stuck']['uuid']
    queued = servers['demo-queued']['uuid']
    converging = servers['demo-converging']['uuid']
    api = '%s/v2.1' % endpoint
    hdr = ("-H 'X-Auth-Token: %s' -H 'OpenStack-API-Version: compute %%s'"
           % TOKEN)
    sdk = ("python3 -c \"import openstack; c = openstack.connect("
           "auth_type='admin_token', auth={'endpoint': '%s', 'token': '%s'}, "
           "load_yaml_config=False, load_envvars=False); "
           "[print(m.id, m.status, m.memory_remaining_bytes) "
           "for m in c.compute.server_migrations('%s')]\"" % (
               api, TOKEN, converging))
    # The identity variables: "server migration list" insists on an
    # identity v3 endpoint; here it is this service, which refuses the
    # look-ups of --user/--project names so that they are taken as IDs.
    osc = ("env -i PATH=\"$PATH\" HOME=/tmp OS_IDENTITY_API_VERSION=3 "
           "OS_IDENTITY_ENDPOINT_OVERRIDE=%s openstack --os-auth-type "
           "admin_token --os-endpoint %s --os-token %s" % (api, api, TOKEN))
    lines = [
        ('Demo servers (project %s, token "%s"):' % (PROJECT, TOKEN)),
    ]
    for name, server in servers.items():
        lines.append('  %-16s %s  %s (migration %s)' % (
            name, server['uuid'], SERVERS[name][3], migrations[name]['id']))
    lines += [
        '',
        '# List the in-progress live migrations of a server:',
        "curl -s %s %s/servers/%s/migrations" % (hdr % '2.80', api, stuck),
        '# Force the stuck one to complete (202):',
        ("curl -s -o /dev/null -w '%%{http_code}\\n' -X POST %s "
         "-H 'Content-Type: application/json' -d '{\"force_complete\": "
         "null}' %s/servers/%s/migrations/%s/action"
         % (hdr % '2.80', api, stuck, migrations['demo-stuck']['id'])),
        '# Abort the queued one (microversion 2.65 or later, 202):',
        ("curl -s -o /dev/null -w '%%{http_code}\\n' -X DELETE %s "
         "%s/servers/%s/migrations/%s"
         % (hdr % '2.65', api, queued, migrations['demo-queued']['id'])),
        '# The same with openstacksdk:',
        sdk,
        '# And with the openstack CLI:',
        '%s server migration show %s %s' % (
            osc, converging, migrations['demo-converging']['uuid']),
        '# Every migration of a server, ended ones too, and how each ended:',
        '%s server migration list --server %s' % (osc, stuck),
        '# Its actions; "server event show %s <Request ID>" says why each '
        'ended:' % stuck,
        '%s server event list %s' % (osc, stuck),
        '# Why a migration ended (operator CLI):',
        'server-migrations-manage --config-file %s migration show %s' % (
            conf_file, migrations['demo-stuck']['id']),
        '# Watch progress bars (operator CLI):',
        'server-migrations-manage --config-file %s migration watch %s' % (
            conf_file, converging),
    ]
    return '\n'.join(lines)


def write_conf(path, conf):
    """A config file other commands (manage) can use to reach the demo."""
    with open(path, 'w') as f:
        f.write('[DEFAULT]\nstate_path = %s\n[database]\nconnection = %s\n'
                % (conf.state_path, conf.database.connection))
    return os.path.abspath(path)
