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

"""server-migrations-manage migration ...: see and rescue migrations."""

import getpass
import time

from server_migrations.api import util as api_util
from server_migrations.cmd.commands import host as host_commands
from server_migrations.cmd import output
from server_migrations.cmd import progress
from server_migrations.compute import api as compute_api
from server_migrations import context as sm_context
from server_migrations.db import convergence as db_convergence
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import outcomes
from server_migrations import exception
from server_migrations import migration_states as states

# The API's field names (GET /os-migrations, .../migrations/{id}).
COLUMNS = [('id', 'Id'), ('uuid', 'UUID'), ('server_uuid', 'Server UUID'),
           ('migration_type', 'Type'), ('status', 'Status'),
           ('source_compute', 'Source Compute'),
           ('dest_compute', 'Dest Compute'),
           ('memory_total_bytes', 'Memory Total Bytes'),
           ('memory_processed_bytes', 'Memory Processed Bytes'),
           ('memory_remaining_bytes', 'Memory Remaining Bytes'),
           ('disk_total_bytes', 'Disk Total Bytes'),
           ('disk_processed_bytes', 'Disk Processed Bytes'),
           ('disk_remaining_bytes', 'Disk Remaining Bytes'),
           ('created_at', 'Created At'), ('updated_at', 'Updated At')]
LIST_COLUMNS = COLUMNS[:7] + [('updated_at', 'Updated At')]
SHOW_COLUMNS = COLUMNS + [
    ('source_node', 'Source Node'), ('dest_node', 'Dest Node'),
    ('dest_host', 'Dest Host'), ('user_id', 'User ID'),
    ('project_id', 'Project ID'),
    ('convergence', 'Convergence'), ('eta', 'ETA'),
    ('dirty_rate', 'Dirty Rate'), ('transfer_rate', 'Transfer Rate'),
    ('reason', 'Reason')]


def as_api(row):
    """A migration record under the API's field names."""
    item = dict(row, server_uuid=row['instance_uuid'])
    for api_name, column in zip(states.PROGRESS_API_FIELDS,
                                states.PROGRESS_FIELDS):
        item[api_name] = row[column]
    return item


class CommandError(Exception):
    """A refusal to show the operator (exit status 1, one line)."""


def add_parsers(subparsers):
    parser = subparsers.add_parser('migration',
                                   help='server migrations')
    actions = parser.add_subparsers(
        dest='action',
        metavar='{list,show,watch,force-complete,abort,tune}')
    actions.required = True

    listing = actions.add_parser('list', help='migrations, newest first')
    listing.add_argument('--server', help='only this server (UUID)')
    listing.add_argument('--status', action='append',
                         help='only this status (repeatable)')
    # dest is not "host": that name is taken by the [DEFAULT] host option.
    listing.add_argument('--host', dest='on_host',
                         help='only with this host as source or dest')
    listing.add_argument('-f', '--format', dest='fmt', default='table',
                         choices=output.FORMATS)

    show = actions.add_parser(
        'show', help='one migration by id, with why it ended')
    show.add_argument('migration', help='migration id')
    show.add_argument('-f', '--format', dest='fmt', default='table',
                      choices=output.FORMATS)

    watch = actions.add_parser(
        'watch', help='progress bars of a server\'s in-progress live '
                      'migrations, until they end')
    watch.add_argument('server', help='server UUID')
    watch.add_argument('--interval', type=float, default=1.0,
                       help='seconds between two refreshes (default 1)')
    watch.add_argument('--timeout', type=float, default=None,
                       help='stop watching after this many seconds')

    verbs = (('force-complete',
              'force an in-progress live migration to complete'),
             ('abort', 'abort an in-progress live migration (queued and '
                       'preparing ones too)'))
    for name, text in verbs:
        action = actions.add_parser(name, help=text)
        action.add_argument('server', help='server UUID')
        action.add_argument('migration', help='migration id')
        if name == 'abort':
            action.add_argument(
                '--force', action='store_true',
                help='the source host is gone for good: settle the '
                     'migration as "error" without its agent (refused '
                     'while that agent is up)')
    tune = actions.add_parser(
        'tune', help='change a running live migration: its longest final '
                     'pause and its bandwidth (the source agent applies '
                     'them to the copy; recorded as an instance action)')
    tune.add_argument('migration', help='migration id')
    tune.add_argument('--max-downtime', type=_positive, metavar='MS',
                      help='longest pause of the final stop-and-copy (ms)')
    tune.add_argument('--bandwidth', type=_positive, metavar='MIB_S',
                      help='bandwidth the copy may use (MiB/s)')
    return actions


def _positive(text):
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class MigrationCommands:

    def __init__(self, conf):
        self.conf = conf
        self.context = sm_context.get_admin_context()

    def list(self, args):
        rows = db_migrations.migration_get_all(self.context,
                                               instance_uuid=args.server,
                                               statuses=args.status,
                                               host=args.on_host)
        print(output.render([as_api(r) for r in rows], LIST_COLUMNS,
                            args.fmt))
        return 0

    def _act(self, args, verb):
        """Run ``verb`` through the compute API, with the HTTP path's checks.

        The action is recorded under the operator's login and cast to the
        agent; what the agent made of it shows in the migration's status.
        """
        context = sm_context.RequestContext(
            user_id=getpass.getuser(), project_id=None, roles=['admin'],
            is_admin=True)
        api = compute_api.API(self.conf)
        try:
            instance = api.get_instance(context, args.server)
            if verb == 'force-complete':
                api.live_migrate_force_complete(context, instance,
                                                args.migration)
            elif verb == 'tune':
                api.live_migrate_tune(context, instance, args.migration,
                                      max_downtime=args.max_downtime,
                                      bandwidth=args.bandwidth)
            else:
                api.live_migrate_abort(context, instance, args.migration,
                                       support_abort_in_queue=True)
        except exception.InstanceIsLocked as exc:
            raise CommandError(exc.format_message())
        except exception.InstanceInvalidState as exc:
            # Worded as the API words it.
            what = {'force-complete': 'force_complete',
                    'tune': 'tune live migration'}.get(
                verb, 'abort live migration')
            raise CommandError(api_util.invalid_state_conflict(
                exc, what, args.server).format_message())
        except exception.ServerMigrationsException as exc:
            raise CommandError(exc.format_message())
        print('Requested %s of migration %s of server %s (request %s).'
              % (verb, args.migration, args.server, context.request_id))
        return 0

    def tune(self, args):
        args.server = self._get(args.migration)['instance_uuid']
        return self._act(args, 'tune')

    def force_complete(self, args):
        return self._act(args, 'force-complete')

    def abort(self, args):
        if args.force:
            try:
                return host_commands.force_abort(self.conf, args.server,
                                                 args.migration)
            except host_commands.CommandError as exc:
                raise CommandError(str(exc))
        return self._act(args, 'abort')

    def _get(self, migration_id):
        migration = db_migrations.migration_get(self.context, migration_id)
        if migration is None:
            raise CommandError('Migration %s not found.' % migration_id)
        return migration

    def show(self, args):
        migration = as_api(self._get(args.migration))
        migration['reason'] = outcomes.migration_reason(self.context,
                                                        migration)
        verdict = (db_convergence.get(self.context, migration['id'])
                   if migration['status'] in states.IN_FLIGHT else None)
        texts = (progress.verdict_texts(verdict) if verdict is not None
                 else (None,) * 4)
        migration.update(zip(('convergence', 'eta', 'dirty_rate',
                              'transfer_rate'), texts))
        print(output.render([migration], SHOW_COLUMNS, args.fmt,
                            single=True))
        return 0

    def watch(self, args):
        server = db_instances.instance_get(self.context, args.server)
        if server is None:
            raise CommandError('Server %s not found.' % args.server)
        # In flight: the API's "in progress" ones, and those not started yet
        # or in post-copy, which the API does not list.
        watched = {m['id']: m for m in db_migrations.migration_get_all(
            self.context, instance_uuid=args.server,
            statuses=states.IN_FLIGHT)}
        if not watched:
            print('Server %s has no live migration in progress.'
                  % args.server)
            return 0
        print('Watching %d live migration(s) of server %s (Ctrl-C to stop).'
              % (len(watched), args.server), flush=True)
        deadline = (time.monotonic() + args.timeout
                    if args.timeout is not None else None)
        with progress.Bars() as bars:
            while True:
                active = self._refresh(bars, watched)
                if not active:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    return 1
                time.sleep(args.interval)
        for migration in watched.values():
            print('Migration %s ended with status %s.'
                  % (migration['id'], migration['status']))
        return 0

    def _refresh(self, bars, watched):
        """Re-read each watched migration; return how many are in flight."""
        active = 0
        for ident in watched:
            migration = db_migrations.migration_get(
                self.context, ident) or dict(watched[ident], status='deleted')
            watched[ident] = migration
            bars.update(migration, db_convergence.get(self.context, ident)
                        if migration['status'] in states.IN_FLIGHT else None)
            if migration['status'] in states.IN_FLIGHT:
                active += 1
        return active
