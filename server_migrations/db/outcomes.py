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

"""Why a migration ended: the final event of its live-migration action.

The reason is written in the transaction that moves the migration to its
terminal status, so a client never sees an ended migration without it.
"""

import sqlalchemy as sa

from server_migrations.db import engine
from server_migrations.db import instance_actions
from server_migrations.db import migrations
from server_migrations import migration_states as states

# The action the API records for a live migration, and the agent's event.
LIVE_MIGRATION_EVENT = 'compute_live_migration'


def migration_action(context, migration):
    """The ``live-migration`` action that started ``migration``, or None.

    The API records it in the transaction that creates the migration, so
    it is the server's first such action from the migration's creation on
    (a server has one live migration in flight at a time).
    """
    actions = instance_actions.ACTIONS
    statement = sa.select(actions).where(
        actions.c.instance_uuid == migration['instance_uuid'],
        actions.c.action == states.LIVE_MIGRATION,
        actions.c.deleted == 0)
    if migration.get('created_at') is not None:
        statement = statement.where(
            actions.c.start_time >= migration['created_at'])
    statement = statement.order_by(actions.c.start_time, actions.c.id)
    with engine.reading(context) as conn:
        row = conn.execute(statement).mappings().first()
    return dict(row) if row is not None else None


def record_end(context, migration_id, host, ok, reason, traceback=None):
    """Close the migration's final event with ``reason`` as its details.

    The open ``compute_live_migration`` event of its action is closed; if
    there is none (the agent never took the migration, or a previous run
    of it died), a closed one is added, by ``host``. Without an action (a
    migration made by a tool) nothing is written.

    :param traceback: for admins; defaults to the reason on failure.
    :returns: True if written.
    """
    migration = migrations.migration_get(context, migration_id)
    action = (migration_action(context, migration)
              if migration is not None else None)
    if action is None:
        return False
    result = 'Success' if ok else 'Error'
    if not ok and traceback is None:
        traceback = reason
    events = instance_actions.EVENTS
    with engine.writer(context) as conn:
        open_event = conn.execute(
            sa.select(events.c.id).where(
                events.c.action_id == action['id'],
                events.c.event == LIVE_MIGRATION_EVENT,
                events.c.finish_time.is_(None)).order_by(
                events.c.id.desc())).first()
        if open_event is None:
            event_id = instance_actions.action_event_start(
                context, action['id'], LIVE_MIGRATION_EVENT, host)
        else:
            event_id = open_event[0]
        return instance_actions.action_event_finish(context, event_id, result,
                                                    traceback=traceback,
                                                    details=reason)


def migration_reason(context, migration):
    """Why ``migration`` ended (its final event's details), or None.

    None too while it is in flight.
    """
    if migration['status'] in states.IN_FLIGHT:
        return None
    action = migration_action(context, migration)
    if action is None:
        return None
    events = instance_actions.EVENTS
    with engine.reading(context) as conn:
        row = conn.execute(sa.select(events.c.details).where(
            events.c.action_id == action['id'],
            events.c.event == LIVE_MIGRATION_EVENT,
            events.c.finish_time.isnot(None)).order_by(
            events.c.id.desc())).first()
    return row[0] if row is not None else None
