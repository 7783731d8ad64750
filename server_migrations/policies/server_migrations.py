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

"""Rules of the server migrations resource: admin only by default."""

from server_migrations.policies import base

POLICY_ROOT = 'os_compute_api:servers:migrations:%s'
INDEX = POLICY_ROOT % 'index'
INDEX_HOST = POLICY_ROOT % 'index:host'
SHOW = POLICY_ROOT % 'show'
SHOW_HOST = POLICY_ROOT % 'show:host'
FORCE_COMPLETE = POLICY_ROOT % 'force_complete'
DELETE = POLICY_ROOT % 'delete'

_MANAGER_HINT = (
    ' To let managers of the server\'s project do this too, override it '
    'with "%s".' % base.PROJECT_MANAGER_OR_ADMIN)
_LIST = [('GET', '/servers/{server_id}/migrations')]
_ONE = '/servers/{server_id}/migrations/{migration_id}'
_HOSTS = ('See the host fields (source_compute, source_node, dest_compute, '
          'dest_node, dest_host) when %s; without it they are null.')

rules = [
    base.admin_only(
        SHOW,
        'Show an in-progress live migration of a server. Whether its host '
        'fields are filled is decided by "%s".%s' % (SHOW_HOST, _MANAGER_HINT),
        [('GET', _ONE)]),
    # An operator who overrode "show" before "show:host" existed keeps the
    # same audience for the host fields.
    base.admin_only(
        SHOW_HOST, _HOSTS % 'showing a server\'s migration', [('GET', _ONE)],
        deprecated_rule=base.as_before(
            SHOW, 'The host fields of a migration have their own rule so '
                  'that it can be shown to project managers without '
                  'revealing hosts.')),
    base.admin_only(
        FORCE_COMPLETE,
        'Force an in-progress live migration of a server to complete.' +
        _MANAGER_HINT,
        [('POST', _ONE + '/action (force_complete)')]),
    base.admin_only(
        DELETE,
        'Abort an in-progress live migration of a server.' + _MANAGER_HINT,
        [('DELETE', _ONE)]),
    base.admin_only(
        INDEX,
        'List the in-progress live migrations of a server. Whether their '
        'host fields are filled is decided by "%s".%s' % (INDEX_HOST,
                                                          _MANAGER_HINT),
        _LIST),
    # Likewise for "index" and "index:host".
    base.admin_only(
        INDEX_HOST, _HOSTS % 'listing a server\'s migrations', _LIST,
        deprecated_rule=base.as_before(
            INDEX, 'The host fields of the list have their own rule so that '
                   'the list can be opened to project managers without '
                   'revealing hosts.')),
]


def list_rules():
    return rules
