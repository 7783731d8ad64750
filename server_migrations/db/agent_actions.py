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

"""Queries of the ``agent_actions`` table: accepted actions and their claims.

An action's life is ``pending`` (committed with the 202) → ``claimed`` (an
agent won the compare-and-swap and is acting on it) → ``done`` (with
``result`` ``Success`` or ``Error`` and a ``detail`` in words). Only the
compare-and-swap moves a row out of ``pending``, so a cast delivered twice,
or a cast and a poll finding the same row, carry the action out once.
"""

import json

from oslo_utils import timeutils
import sqlalchemy as sa

from server_migrations.db import engine
from server_migrations.db import models

AGENT_ACTIONS = models.AgentAction.__table__
ACTIONS = models.InstanceAction.__table__

PENDING = 'pending'
CLAIMED = 'claimed'
DONE = 'done'

_INSERT = sa.insert(AGENT_ACTIONS)
_GET = sa.select(AGENT_ACTIONS).where(AGENT_ACTIONS.c.id == sa.bindparam('id'))
_CLAIM = (sa.update(AGENT_ACTIONS)
          .where(AGENT_ACTIONS.c.id == sa.bindparam('ident'),
                 AGENT_ACTIONS.c.host == sa.bindparam('agent_host'),
                 AGENT_ACTIONS.c.state == PENDING)
          .values(state=CLAIMED, claimed_at=sa.bindparam('now')))
_PENDING_FOR_HOST = (sa.select(AGENT_ACTIONS)
                     .where(AGENT_ACTIONS.c.host == sa.bindparam('host'),
                            AGENT_ACTIONS.c.state == PENDING)
                     .order_by(AGENT_ACTIONS.c.id)
                     .limit(sa.bindparam('limit')))


def create(context, action_id, instance_uuid, migration_id, host, method,
           block_migration=None, parameters=None):
    """Record an action for ``host``; joins the caller's transaction.

    :param parameters: a dict of what the method needs (a tune's values),
        stored as JSON; ``parameters_of`` reads it back.
    :returns: the new row's id.
    """
    values = {'action_id': action_id, 'instance_uuid': instance_uuid,
              'migration_id': migration_id, 'host': host, 'method': method,
              'block_migration': (None if block_migration is None
                                  else str(block_migration)),
              'request_id': context.request_id, 'user_id': context.user_id,
              'project_id': context.project_id, 'state': PENDING,
              'parameters': (None if parameters is None
                             else json.dumps(parameters, sort_keys=True)),
              'created_at': timeutils.utcnow()}
    with engine.writer(context) as conn:
        return conn.execute(_INSERT, values).inserted_primary_key[0]


def parameters_of(row):
    """The parameters dict of a row ({} when it has none)."""
    return json.loads(row.get('parameters') or '{}')


def get(context, ident):
    with engine.reading(context) as conn:
        row = conn.execute(_GET, {'id': ident}).mappings().first()
        return dict(row) if row is not None else None


def claim(context, ident, host):
    """Compare-and-swap ``pending`` → ``claimed`` for ``host``'s agent.

    :returns: the claimed row, or None when another claim won, the action
        is not for ``host``, or it does not exist.
    """
    with engine.writer(context) as conn:
        won = conn.execute(_CLAIM, {'ident': ident, 'agent_host': host,
                                    'now': timeutils.utcnow()}).rowcount
        if won != 1:
            return None
        return dict(conn.execute(_GET, {'id': ident}).mappings().one())


def pending_for_host(context, host, limit=100):
    """The oldest ``pending`` actions of ``host``, in the order accepted."""
    with engine.reading(context) as conn:
        return [dict(r) for r in conn.execute(
            _PENDING_FOR_HOST, {'host': host, 'limit': limit}).mappings()]


def pending_for_migration(context, migration_id, method):
    statement = (sa.select(AGENT_ACTIONS.c.id)
                 .where(AGENT_ACTIONS.c.migration_id == migration_id,
                        AGENT_ACTIONS.c.method == method,
                        AGENT_ACTIONS.c.state == PENDING)
                 .order_by(AGENT_ACTIONS.c.id))
    with engine.reading(context) as conn:
        return [r[0] for r in conn.execute(statement)]


def finish(context, ident, result, detail=None):
    """Close a claimed action with ``Success`` or ``Error``.

    Joins the caller's transaction, so an agent closes the action and its
    instance action event together. :returns: True if this call closed it.
    """
    statement = (sa.update(AGENT_ACTIONS)
                 .where(AGENT_ACTIONS.c.id == ident,
                        AGENT_ACTIONS.c.state.in_((PENDING, CLAIMED)))
                 .values(state=DONE, result=result, detail=detail,
                         finished_at=timeutils.utcnow()))
    with engine.writer(context) as conn:
        return conn.execute(statement).rowcount == 1


def close_for_migration(context, migration_id, detail):
    """Close every open action of a migration as an Error (joins a txn).

    For a migration settled without its agent (its host is gone for good):
    no agent will take them, and nobody must expire them again later.
    :returns: how many were closed.
    """
    statement = (sa.update(AGENT_ACTIONS)
                 .where(AGENT_ACTIONS.c.migration_id == migration_id,
                        AGENT_ACTIONS.c.state.in_((PENDING, CLAIMED)))
                 .values(state=DONE, result='Error', detail=detail,
                         finished_at=timeutils.utcnow()))
    with engine.writer(context) as conn:
        return conn.execute(statement).rowcount


def expire(context, ident, detail):
    """Close a still ``pending`` action as an Error (compare-and-swap).

    :returns: True if this call expired it (its agent never claimed it).
    """
    statement = (sa.update(AGENT_ACTIONS)
                 .where(AGENT_ACTIONS.c.id == ident,
                        AGENT_ACTIONS.c.state == PENDING)
                 .values(state=DONE, result='Error', detail=detail,
                         finished_at=timeutils.utcnow()))
    with engine.writer(context) as conn:
        return conn.execute(statement).rowcount == 1


def release_claims(context, host):
    """Put back ``host``'s claimed actions that a previous run left open.

    The agent that claimed them died before it closed them; the next run
    takes them again (a migration that ended meanwhile makes them end as
    an Error that says so). :returns: how many were released.
    """
    statement = (sa.update(AGENT_ACTIONS)
                 .where(AGENT_ACTIONS.c.host == host,
                        AGENT_ACTIONS.c.state == CLAIMED)
                 .values(state=PENDING, claimed_at=None))
    with engine.writer(context) as conn:
        return conn.execute(statement).rowcount


def stale(context, created_before, hosts, limit=100):
    """``pending`` actions of ``hosts`` accepted before ``created_before``."""
    if not hosts:
        return []
    statement = (sa.select(AGENT_ACTIONS)
                 .where(AGENT_ACTIONS.c.state == PENDING,
                        AGENT_ACTIONS.c.host.in_(sorted(hosts)),
                        AGENT_ACTIONS.c.created_at < created_before)
                 .order_by(AGENT_ACTIONS.c.id).limit(limit))
    with engine.reading(context) as conn:
        return [dict(r) for r in conn.execute(statement).mappings()]


def hosts_with_pending(context):
    statement = (sa.select(AGENT_ACTIONS.c.host).distinct()
                 .where(AGENT_ACTIONS.c.state == PENDING))
    with engine.reading(context) as conn:
        return {r[0] for r in conn.execute(statement)}
