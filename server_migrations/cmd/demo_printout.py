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

"""What server-migrations-all-in-one prints: the demo and how to drive it.

Every line that does not start with ``#`` or a blank is a shell command
that works as printed, run in order at a person's pace.
"""

from server_migrations.cmd import demo_data as demo

# Microversions: 2.80 shows the user and project of a migration; aborting a
# queued migration needs 2.65 or later.
MICROVERSION = '2.80'


def _sdk(api, call):
    return ("python3 -c \"import openstack; c = openstack.connect("
            "auth_type='admin_token', auth={'endpoint': '%s', 'token': "
            "'%s'}, compute_api_version='%s', load_yaml_config=False, "
            "load_envvars=False); %s\"" % (api, demo.TOKEN, MICROVERSION,
                                           call))


def table(servers, migrations, slot_host):
    """The demo servers, their migration and what each is for."""
    lines = ['Demo servers and their live migrations (project "%s"):'
             % demo.PROJECT,
             '  %-16s %-36s %-9s %s' % ('server', 'UUID', 'migration',
                                        'what it is for')]
    for name, server in servers.items():
        why = demo.SERVERS[name][4] % {'slot_host': slot_host}
        lines.append('  %-16s %-36s %-9s %s' % (
            name, server['uuid'], migrations[name]['id'], why))
    lines.append('Each stays that way until you act on it. Restarting with '
                 'the same --state-dir replaces them (new ids).')
    return lines


def commands(endpoint, servers, migrations, conf_file):
    """The commands, in the order a person would run them."""
    api = '%s/v2.1' % endpoint
    uuid = {name: s['uuid'] for name, s in servers.items()}
    mid = {name: m['id'] for name, m in migrations.items()}
    stuck = {c: demo.named(demo.STUCK, c) for c in ('curl', 'sdk', 'cli')}
    queued = {c: demo.named(demo.QUEUED, c) for c in ('curl', 'sdk', 'cli')}
    converging = demo.named(demo.CONVERGING)
    hdr = ("-H 'X-Auth-Token: %s' -H 'OpenStack-API-Version: compute %s'"
           % (demo.TOKEN, MICROVERSION))
    action = "%s/servers/%s/migrations/%s"
    code = "curl -s -o /dev/null -w '%%{http_code}\\n' %s" % hdr
    cli = ('openstack --os-auth-type admin_token --os-endpoint %s '
           '--os-token %s --os-compute-api-version %s'
           % (api, demo.TOKEN, MICROVERSION))
    osc = cli + ' server migration'
    # "server migration list" and "server event" insist on an identity v3
    # endpoint: this service, which refuses the look-ups of user and
    # project names so that the CLI takes them as IDs.
    identity = ('OS_IDENTITY_API_VERSION=3 OS_IDENTITY_ENDPOINT_OVERRIDE=%s '
                % api)
    watch = 'server-migrations-manage --config-file %s migration watch %%s' \
        % conf_file
    s, q = stuck['curl'], queued['curl']
    return [
        '# 1. Watch the bars of %s (operator CLI; Ctrl-C stops watching): '
        'memory left shrinks, with an estimate of the time left.'
        % converging,
        watch % uuid[converging],
        '#    And of %s: memory left does not shrink, "not converging".' % s,
        watch % uuid[s],
        '# 2. List the in-progress migrations of %s (curl):' % s,
        "curl -s -w '\\n' %s %s/servers/%s/migrations" % (hdr, api, uuid[s]),
        '# 3. Force %s to complete (202): it switches to post-copy and '
        'completes in about 30 s.' % s,
        ("%s -X POST -H 'Content-Type: application/json' -d "
         "'{\"force_complete\": null}' %s/action"
         % (code, action % (api, uuid[s], mid[s]))),
        '#    Watch it converge and end:',
        watch % uuid[s],
        '# 4. Abort %s, queued behind demo-busy (202); it ends "cancelled":'
        % q,
        '%s -X DELETE %s' % (code, action % (api, uuid[q], mid[q])),
        '# 5. The same with openstacksdk: list, force-complete %s, abort %s.'
        % (stuck['sdk'], queued['sdk']),
        _sdk(api, "[print(m.id, m.status, m.memory_remaining_bytes) for m "
                  "in c.compute.server_migrations('%s')]"
             % uuid[stuck['sdk']]),
        _sdk(api, "c.compute.force_complete_server_migration(%d, '%s'); "
                  "print('accepted')"
             % (mid[stuck['sdk']], uuid[stuck['sdk']])),
        _sdk(api, "c.compute.abort_server_migration(%d, '%s'); "
                  "print('accepted')"
             % (mid[queued['sdk']], uuid[queued['sdk']])),
        '# 6. The same with the openstack CLI: show, force complete %s, '
        'abort %s (unset any OS_CLOUD/OS_* variables of another cloud).'
        % (stuck['cli'], queued['cli']),
        # "show" by the migration's UUID: that is the form this CLI
        # release resolves correctly.
        '%s show %s %s' % (osc, uuid[stuck['cli']],
                           migrations[stuck['cli']]['uuid']),
        '%s force complete %s %s && echo accepted' % (
            osc, uuid[stuck['cli']], mid[stuck['cli']]),
        '%s abort %s %s && echo accepted' % (
            osc, uuid[queued['cli']], mid[queued['cli']]),
        '# 7. Every migration of %s, ended ones too (the identity variables '
        'let this CLI run without Keystone):' % s,
        '%s%s list --server %s' % (identity, osc, uuid[s]),
        '# 8. Its actions; "server event show %s <Request ID>" says why '
        'each ended:' % uuid[s],
        '%s%s server event list %s' % (identity, cli, uuid[s]),
        '# 9. Why its migration ended (operator CLI):',
        'server-migrations-manage --config-file %s migration show %s' % (
            conf_file, mid[s]),
    ]


def instructions(endpoint, servers, migrations, conf_file, slot_host):
    """The whole printout after the banner."""
    lines = table(servers, migrations, slot_host)
    lines += ['', 'Try these in order, one at a time:', '']
    lines += commands(endpoint, servers, migrations, conf_file)
    return '\n'.join(lines)
