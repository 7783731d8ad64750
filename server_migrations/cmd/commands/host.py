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

"""``host evacuate-records`` and ``migration abort --force``: the way out
when a compute host is gone for good and its agent will never settle what
it owned (see ``compute/settle.py``)."""

import getpass

from server_migrations.compute import settle
from server_migrations import context as sm_context
from server_migrations.db import migrations as db_migrations
from server_migrations import migration_states as states


class CommandError(Exception):
    """A refusal to show the operator (exit status 1, one line)."""


def add_parsers(subparsers):
    parser = subparsers.add_parser('host', help='compute hosts')
    actions = parser.add_subparsers(dest='action',
                                    metavar='{evacuate-records}')
    actions.required = True
    evacuate = actions.add_parser(
        'evacuate-records',
        help='settle as "error" every unfinished migration from or to a '
             'host that is gone for good (its agent must be down)')
    evacuate.add_argument('gone_host', metavar='HOST',
                          help='the compute host that is gone')


def operator_context():
    """The operator's login, as the user of the records it writes."""
    return sm_context.RequestContext(
        user_id=getpass.getuser(), project_id=None, roles=['admin'],
        is_admin=True)


def _refuse_live_agent(conf, context, host, what):
    if settle.agent_is_up(context, host, conf.service_down_time):
        raise CommandError(
            'The compute agent of %s is up: %s is only for a host that is '
            'gone for good. Stop its agent first (it counts as down %s s '
            'after its last heartbeat, [DEFAULT] service_down_time).'
            % (host, what, conf.service_down_time))


def _report(migration, won, status, reason):
    if won:
        print('Migration %s of server %s: %s -> error (%s).'
              % (migration['id'], migration['instance_uuid'],
                 migration['status'], reason))
    else:
        print('Migration %s of server %s had already ended (%s); left as '
              'it is.' % (migration['id'], migration['instance_uuid'],
                          status))


def force_abort(conf, server, migration_id):
    """``migration abort --force``: settle one migration of a dead source."""
    context = operator_context()
    migration = db_migrations.migration_get_by_id_and_instance(
        context, migration_id, server)
    if migration is None:
        raise CommandError('Migration %s of server %s not found.'
                           % (migration_id, server))
    if migration['status'] not in states.IN_FLIGHT:
        raise CommandError('Migration %s is %s: nothing to abort.'
                           % (migration_id, migration['status']))
    source = migration['source_compute']
    _refuse_live_agent(conf, context, source, 'abort --force')
    reason = settle.reason_for(source)
    won, status = settle.settle(context, migration, reason)
    _report(migration, won, status, reason)
    return 0


class HostCommands:

    def __init__(self, conf):
        self.conf = conf

    def evacuate_records(self, args):
        context = operator_context()
        host = args.gone_host
        _refuse_live_agent(self.conf, context, host, 'evacuate-records')
        migrations = db_migrations.migrations_in_flight_by_host(context, host)
        if not migrations:
            print('No unfinished migration from or to %s.' % host)
            return 0
        reason = settle.reason_for(host)
        for migration in sorted(migrations, key=lambda m: m['id']):
            won, status = settle.settle(context, migration, reason)
            _report(migration, won, status, reason)
        return 0
