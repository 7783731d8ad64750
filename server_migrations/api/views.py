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

"""JSON views of migrations and servers, field sets per microversion."""

from server_migrations.api import microversion
from server_migrations import migration_states as states

HOST_FIELDS = ('dest_compute', 'dest_host', 'dest_node', 'source_compute',
               'source_node')
_TIME_FORMAT = '%Y-%m-%dT%H:%M:%S.%f'


def timestamp(value):
    """``YYYY-MM-DDTHH:MM:SS.ffffff`` without a zone; None stays None."""
    return value.strftime(_TIME_FORMAT) if value is not None else None


def migration(row, version, include_host=True):
    """One migration as the index and show operations return it."""
    item = {
        'id': row['id'],
        'server_uuid': row['instance_uuid'],
        'status': row['status'],
        'created_at': timestamp(row['created_at']),
        'updated_at': timestamp(row['updated_at']),
    }
    for field in HOST_FIELDS:
        # Hidden host fields are present and null, never omitted.
        item[field] = row[field] if include_host else None
    for api_name, column in zip(states.PROGRESS_API_FIELDS,
                                states.PROGRESS_FIELDS):
        item[api_name] = row[column]
    return add_versioned_fields(item, row, version)


def add_versioned_fields(item, row, version):
    """The fields of a migration that later microversions add to ``item``.

    ``uuid`` from 2.59, ``user_id`` and ``project_id`` from 2.80; shared by
    a server's migrations and ``os-migrations``.
    """
    if microversion.include_uuid(version):
        item['uuid'] = row['uuid']
    if microversion.include_user_and_project(version):
        item['user_id'] = row['user_id']
        item['project_id'] = row['project_id']
    return item


def migrations_index(rows, version, include_host):
    return {'migrations': [migration(r, version, include_host)
                           for r in rows]}


def migration_show(row, version, include_host):
    return {'migration': migration(row, version, include_host)}


# Servers -------------------------------------------------------------------

_STATUS_BY_VM_STATE = {
    'active': 'ACTIVE', 'building': 'BUILD', 'paused': 'PAUSED',
    'suspended': 'SUSPENDED', 'stopped': 'SHUTOFF', 'error': 'ERROR',
    'deleted': 'DELETED', 'shelved': 'SHELVED',
    'shelved_offloaded': 'SHELVED_OFFLOADED', 'soft-delete': 'SOFT_DELETED',
    'rescued': 'RESCUE', 'resized': 'VERIFY_RESIZE',
}
_STATUS_BY_TASK_STATE = {'migrating': 'MIGRATING'}
# The compute API's power_state numbers: running, paused, shut down.
_POWER_STATES = {'active': 1, 'paused': 3, 'stopped': 4}


def server_status(instance):
    task = _STATUS_BY_TASK_STATE.get(instance['task_state'])
    if task and instance['vm_state'] in ('active', 'paused'):
        return task
    return _STATUS_BY_VM_STATE.get(instance['vm_state'], 'UNKNOWN')


def _links(base_url, uuid):
    return [{'rel': 'self', 'href': '%s/v2.1/servers/%s' % (base_url, uuid)},
            {'rel': 'bookmark', 'href': '%s/servers/%s' % (base_url, uuid)}]


def server_summary(instance, base_url):
    return {'id': instance['uuid'], 'name': instance['display_name'],
            'links': _links(base_url, instance['uuid'])}


def server_detail(instance, base_url, show_host):
    """The server fields CLIs read when they resolve a server."""
    item = server_summary(instance, base_url)
    item.update({
        'status': server_status(instance),
        'tenant_id': instance['project_id'],
        'user_id': instance['user_id'],
        'created': _iso(instance['created_at']),
        'updated': _iso(instance['updated_at'] or instance['created_at']),
        'progress': instance['progress'] or 0,
        'locked': bool(instance['locked']),
        'OS-EXT-STS:vm_state': instance['vm_state'],
        'OS-EXT-STS:task_state': instance['task_state'],
        'OS-SRV-USG:launched_at': timestamp(instance['launched_at']),
        # Fields the CLIs format without checking for them; this service
        # knows no images, flavors or networks, so they are empty.
        'image': '',
        'flavor': {'original_name': 'unknown', 'vcpus': 0,
                   'ram': instance['memory_mb'] or 0,
                   'disk': instance['root_gb'] or 0, 'ephemeral': 0,
                   'swap': 0, 'extra_specs': {}},
        'addresses': {},
        'metadata': {},
        'hostId': '',
        'key_name': None,
        'OS-EXT-STS:power_state': _POWER_STATES.get(instance['vm_state'],
                                                    0),
        'os-extended-volumes:volumes_attached': [],
    })
    if show_host:
        item['OS-EXT-SRV-ATTR:host'] = instance['host']
        item['OS-EXT-SRV-ATTR:hypervisor_hostname'] = instance['node']
    return item


def _iso(value):
    # Servers use the ISO 8601 form with a zone, as the compute API does.
    return value.strftime('%Y-%m-%dT%H:%M:%SZ') if value else None
