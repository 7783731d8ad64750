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

"""Queries of ``instance_actions`` and ``instance_actions_events``.

An instance action records a request on a server (who asked, when, with
which request id); its events record what an agent did about it, each
closed with ``Success`` or ``Error``. An action's ``updated_at`` follows
its events, for the API's changes-since. The operator API's paged lists of
them are in ``listings``.
"""

from oslo_utils import timeutils
import sqlalchemy as sa

from server_migrations.db import engine
from server_migrations.db import models

ACTIONS = models.InstanceAction.__table__
EVENTS = models.InstanceActionEvent.__table__

_ACTION_START = sa.insert(ACTIONS)


def action_start(context, instance_uuid, action, message=None):
    """Record that ``action`` was requested on an instance; return its id."""
    now = timeutils.utcnow()
    # updated_at starts as start_time: the API's changes-since reads it.
    values = {'instance_uuid': instance_uuid, 'action': action,
              'request_id': context.request_id, 'user_id': context.user_id,
              'project_id': context.project_id, 'start_time': now,
              'created_at': now, 'updated_at': now, 'deleted': 0,
              'message': message}
    with engine.writer(context) as conn:
        result = conn.execute(_ACTION_START, values)
        return result.inserted_primary_key[0]


def action_finish(context, action_id, message=None):
    with engine.writer(context) as conn:
        conn.execute(sa.update(ACTIONS).where(ACTIONS.c.id == action_id)
                     .values(finish_time=timeutils.utcnow(),
                             message=message))


def action_get_by_request_id(context, instance_uuid, request_id):
    statement = sa.select(ACTIONS).where(
        ACTIONS.c.instance_uuid == instance_uuid,
        ACTIONS.c.request_id == request_id).order_by(ACTIONS.c.id.desc())
    with engine.reading(context) as conn:
        return engine.first(conn, statement)


def actions_get(context, instance_uuid):
    statement = sa.select(ACTIONS).where(
        ACTIONS.c.instance_uuid == instance_uuid).order_by(ACTIONS.c.id)
    with engine.reading(context) as conn:
        return engine.all_rows(conn, statement)


def action_event_start(context, action_id, event, host, start_time=None):
    """Open an event under an action (whose ``updated_at`` follows).

    ``start_time``: when the agent began acting, if it records after.
    """
    now = timeutils.utcnow()
    values = {'action_id': action_id, 'event': event, 'host': host,
              'start_time': start_time or now, 'created_at': now,
              'deleted': 0}
    with engine.writer(context) as conn:
        result = conn.execute(sa.insert(EVENTS).values(**values))
        conn.execute(sa.update(ACTIONS).where(ACTIONS.c.id == action_id)
                     .values(updated_at=now))
        return result.inserted_primary_key[0]


def action_event_finish(context, event_id, result, traceback=None,
                        details=None):
    """Close an open event with ``Success`` or ``Error``.

    :param traceback: what went wrong, for admins.
    :param details: why it ended, in words (microversion 2.84).
    :returns: False if the event was already closed (it is left as it is:
        the first to close an event says why it ended).
    """
    now = timeutils.utcnow()
    with engine.writer(context) as conn:
        closed = conn.execute(
            sa.update(EVENTS).where(EVENTS.c.id == event_id,
                                    EVENTS.c.finish_time.is_(None))
            .values(finish_time=now, updated_at=now, result=result,
                    traceback=traceback, details=details)).rowcount == 1
        if closed:
            action = {'updated_at': now}
            if result == 'Error':
                # As the reference: an action with a failed event says so.
                action['message'] = 'Error'
            conn.execute(sa.update(ACTIONS).where(
                ACTIONS.c.id == sa.select(EVENTS.c.action_id).where(
                    EVENTS.c.id == event_id).scalar_subquery())
                .values(**action))
        return closed


def action_events_get(context, action_id):
    statement = sa.select(EVENTS).where(
        EVENTS.c.action_id == action_id).order_by(EVENTS.c.id)
    with engine.reading(context) as conn:
        return engine.all_rows(conn, statement)
