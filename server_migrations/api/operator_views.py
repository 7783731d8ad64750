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

"""JSON views of /os-migrations and of instance actions, per microversion."""

import hashlib

from server_migrations.api import links
from server_migrations.api import microversion
from server_migrations.api import views
from server_migrations import migration_states as states

# Fields of an /os-migrations item at every version.
_MIGRATION_FIELDS = ('id', 'instance_uuid', 'status', 'source_compute',
                     'source_node', 'dest_compute', 'dest_node', 'dest_host')


def os_migration(req, row, version, include_host):
    """One item of GET /os-migrations."""
    item = {name: row[name] for name in _MIGRATION_FIELDS}
    item['created_at'] = views.timestamp(row['created_at'])
    item['updated_at'] = views.timestamp(row['updated_at'])
    # Flavors are not modelled here; a live migration keeps its flavor.
    item['old_instance_type_id'] = None
    item['new_instance_type_id'] = None
    if not include_host:
        # Present and null, never omitted.
        for field in views.HOST_FIELDS:
            item[field] = None
    if microversion.migration_type_and_links(version):
        item['migration_type'] = row['migration_type']
        # Only what GET /servers/{id}/migrations/{id} would show links.
        if (row['migration_type'] == states.LIVE_MIGRATION and
                row['status'] in states.IN_PROGRESS):
            item['links'] = links.item_links(
                req, 'servers/%s/migrations' % row['instance_uuid'],
                row['id'])
    return views.add_versioned_fields(item, row, version)


def os_migrations(req, rows, version, include_host, max_limit):
    # Hidden migrations are dropped after paging, as the reference does (a
    # page may come back short).
    items = [os_migration(req, r, version, include_host)
             for r in rows if not r['hidden']]
    body = {'migrations': items}
    if microversion.migrations_paging(version):
        next_links = links.collection_links(req, items, 'os-migrations',
                                            'uuid', max_limit)
        if next_links:
            body['migrations_links'] = next_links
    return body


# Instance actions ----------------------------------------------------------

_ACTION_FIELDS = ('action', 'instance_uuid', 'request_id', 'user_id',
                  'project_id', 'message')


def action(row, version):
    item = {name: row[name] for name in _ACTION_FIELDS}
    item['start_time'] = views.timestamp(row['start_time'])
    if microversion.actions_paging(version):
        item['updated_at'] = views.timestamp(row['updated_at'])
    return item


def actions(req, server_id, rows, version, max_limit):
    items = [action(r, version) for r in rows]
    body = {'instanceActions': items}
    if microversion.actions_paging(version):
        next_links = links.collection_links(
            req, items, 'servers/%s/os-instance-actions' % server_id,
            'request_id', max_limit)
        if next_links:
            body['links'] = next_links
    return body


def host_id(host, project_id):
    """The host as its project sees it: a hash, "" without a host."""
    if not host:
        return ''
    return hashlib.sha224((project_id + host).encode('utf-8')).hexdigest()


def event(row, project_id, version, show_traceback, show_host,
          show_details):
    item = {'event': row['event'], 'result': row['result'],
            'start_time': views.timestamp(row['start_time']),
            'finish_time': views.timestamp(row['finish_time'])}
    if show_traceback:
        item['traceback'] = row['traceback']
    if show_host:
        item['host'] = row['host']
    if microversion.event_host(version):
        item['hostId'] = host_id(row['host'], project_id)
    if show_details:
        item['details'] = row['details']
    return item
