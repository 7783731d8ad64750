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

from oslo_policy import policy

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

rules = [
    policy.DocumentedRuleDefault(
        name=SHOW,
        check_str=base.CONTEXT_IS_ADMIN,
        description='Show an in-progress live migration of a server. '
                    'Whether its host fields are filled is decided by '
                    '"%s".%s' % (SHOW_HOST, _MANAGER_HINT),
        operations=[{'method': 'GET',
                     'path': '/servers/{server_id}/migrations/'
                             '{migration_id}'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=SHOW_HOST,
        check_str=base.CONTEXT_IS_ADMIN,
        description='See the host fields (source_compute, source_node, '
                    'dest_compute, dest_node, dest_host) when showing a '
                    'server\'s migration; without it they are null.',
        operations=[{'method': 'GET',
                     'path': '/servers/{server_id}/migrations/'
                             '{migration_id}'}],
        scope_types=['project'],
        # An operator who overrode "show" before "show:host" existed keeps
        # the same audience for the host fields.
        deprecated_rule=policy.DeprecatedRule(
            SHOW, base.CONTEXT_IS_ADMIN,
            deprecated_reason='The host fields of a migration have their '
                              'own rule so that it can be shown to '
                              'project managers without revealing hosts.',
            deprecated_since='1.0.0')),
    policy.DocumentedRuleDefault(
        name=FORCE_COMPLETE,
        check_str=base.CONTEXT_IS_ADMIN,
        description='Force an in-progress live migration of a server to '
                    'complete.' + _MANAGER_HINT,
        operations=[{'method': 'POST',
                     'path': '/servers/{server_id}/migrations/'
                             '{migration_id}/action (force_complete)'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=DELETE,
        check_str=base.CONTEXT_IS_ADMIN,
        description='Abort an in-progress live migration of a server.' +
                    _MANAGER_HINT,
        operations=[{'method': 'DELETE',
                     'path': '/servers/{server_id}/migrations/'
                             '{migration_id}'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=INDEX,
        check_str=base.CONTEXT_IS_ADMIN,
        description='List the in-progress live migrations of a server. '
                    'Whether their host fields are filled is decided by '
                    '"%s".%s' % (INDEX_HOST, _MANAGER_HINT),
        operations=[{'method': 'GET',
                     'path': '/servers/{server_id}/migrations'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=INDEX_HOST,
        check_str=base.CONTEXT_IS_ADMIN,
        description='See the host fields (source_compute, source_node, '
                    'dest_compute, dest_node, dest_host) when listing a '
                    'server\'s migrations; without it they are null.',
        operations=[{'method': 'GET',
                     'path': '/servers/{server_id}/migrations'}],
        scope_types=['project'],
        # An operator who overrode "index" before "index:host" existed keeps
        # the same audience for the host fields.
        deprecated_rule=policy.DeprecatedRule(
            INDEX, base.CONTEXT_IS_ADMIN,
            deprecated_reason='The host fields of the list have their own '
                              'rule so that the list can be opened to '
                              'project managers without revealing hosts.',
            deprecated_since='1.0.0')),
]


def list_rules():
    return rules
