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

"""Rules of a server's instance actions and their events: admin only."""

from oslo_policy import policy

from server_migrations.policies import base

POLICY_ROOT = 'os_compute_api:os-instance-actions:%s'
LIST = POLICY_ROOT % 'list'
SHOW = POLICY_ROOT % 'show'
EVENTS = POLICY_ROOT % 'events'
EVENTS_DETAILS = POLICY_ROOT % 'events:details'

_READER_HINT = (
    ' To let the server\'s project see it too, override it with "%s".'
    % base.PROJECT_READER_OR_ADMIN)
_SHOW = [{'method': 'GET',
          'path': '/servers/{server_id}/os-instance-actions/{request_id}'}]

rules = [
    policy.DocumentedRuleDefault(
        name=LIST,
        check_str=base.CONTEXT_IS_ADMIN,
        description='List the actions requested on a server (live '
                    'migrations, force-completes, aborts), newest first.' +
                    _READER_HINT,
        operations=[{'method': 'GET',
                     'path': '/servers/{server_id}/os-instance-actions'}],
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=SHOW,
        check_str=base.CONTEXT_IS_ADMIN,
        description='Show one action of a server by its request id. From '
                    'microversion 2.51 it includes the events (without '
                    'traceback) even for those "%s" denies.%s' % (
                        EVENTS, _READER_HINT),
        operations=_SHOW,
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=EVENTS,
        check_str=base.CONTEXT_IS_ADMIN,
        description='See the events of an action with their traceback, and '
                    '(from 2.62) the compute host that ran each one.',
        operations=_SHOW,
        scope_types=['project']),
    policy.DocumentedRuleDefault(
        name=EVENTS_DETAILS,
        check_str=base.CONTEXT_IS_ADMIN,
        description='See the "details" of events (from 2.84): why an event, '
                    'such as the end of a live migration, ended as it did.',
        operations=_SHOW,
        scope_types=['project']),
]


def list_rules():
    return rules
