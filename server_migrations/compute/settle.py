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

"""Settling the records of migrations whose agent will never answer.

For a host that is gone for good (the operator says so): its agent will
not start again to settle what it owned, and a cast to it waits in its
queue forever. The operator's command settles each such migration here,
as an agent restart would: ``error``, the server's task state cleared, the
server where the database says it is (its source). The reason is written
where clients read it: the message of a ``live_migration_settle`` action
on the server, and an ``Error`` event on every action still waiting.
"""

from server_migrations import compute
from server_migrations.db import agent_actions
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations.db import instances as db_instances
from server_migrations.db import migrations as db_migrations
from server_migrations.db import services as db_services
from server_migrations import migration_states as states

SETTLE_ACTION = 'live_migration_settle'
SETTLE_EVENT = 'settle_records'
WAITING_EVENT = 'settled_by_operator'
_MESSAGE_LENGTH = 255


def reason_for(host):
    return ('Settled by the operator: compute host %s is gone; the '
            'migration did not finish' % host)


def agent_is_up(context, host, down_time):
    """Whether ``host``'s agent heartbeated within ``down_time`` seconds."""
    return any(s['host'] == host and db_services.service_is_up(s, down_time)
               for s in db_services.service_get_all(context, compute.BINARY))


def settle(context, migration, reason):
    """Move one in-flight migration to ``error`` and say why, atomically.

    :returns: ``(won, status)`` as ``db_migrations.migration_update``:
        False when the migration had already ended (it is left as it is).
    """
    uuid = migration['instance_uuid']
    message = reason[:_MESSAGE_LENGTH]
    with db_engine.writer(context):
        won, status = db_migrations.migration_update(
            context, migration['id'], {'status': states.ERROR},
            expected_status=states.IN_FLIGHT)
        if not won:
            return won, status
        db_instances.instance_update(context, uuid, {'task_state': None},
                                     expected_task_state='migrating')
        # Nobody will take its actions: closed here, not expired later.
        agent_actions.close_for_migration(context, migration['id'], reason)
        waiting = [a for a in db_actions.actions_get(context, uuid)
                   if a['finish_time'] is None]
        for action in waiting:
            event = db_actions.action_event_start(context, action['id'],
                                                  WAITING_EVENT, None)
            db_actions.action_event_finish(context, event, 'Error',
                                           traceback=reason)
            db_actions.action_finish(context, action['id'], message=message)
        action_id = db_actions.action_start(context, uuid, SETTLE_ACTION,
                                            message=message)
        event = db_actions.action_event_start(context, action_id, SETTLE_EVENT,
                                              None)
        db_actions.action_event_finish(context, event, 'Success',
                                       traceback=reason)
        db_actions.action_finish(context, action_id, message=message)
    return won, status
