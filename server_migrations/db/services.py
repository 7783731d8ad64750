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

"""Queries of the ``services`` table: the agents and their heartbeats.

An agent is up while its last heartbeat (``last_seen_at``) is within the
configured down time; a disabled agent is never chosen.
"""

from oslo_utils import timeutils
import sqlalchemy as sa

from server_migrations.db import engine
from server_migrations.db import models

SERVICES = models.Service.__table__


def service_heartbeat(context, host, binary, topic, rpc_version):
    """Create or refresh an agent's row; return it."""
    now = timeutils.utcnow()
    where = (SERVICES.c.host == host, SERVICES.c.binary == binary,
             SERVICES.c.deleted == 0)
    with engine.writer(context) as conn:
        updated = conn.execute(
            sa.update(SERVICES).where(*where).values(
                topic=topic, rpc_version=rpc_version, last_seen_at=now,
                updated_at=now)).rowcount
        if not updated:
            conn.execute(sa.insert(SERVICES).values(
                host=host, binary=binary, topic=topic,
                rpc_version=rpc_version, last_seen_at=now, created_at=now,
                disabled=False, deleted=0))
        return engine.first(conn, sa.select(SERVICES).where(*where))


def service_mark_down(context, host, binary):
    """Forget an agent's last heartbeat: it counts as down at once."""
    now = timeutils.utcnow()
    with engine.writer(context) as conn:
        conn.execute(sa.update(SERVICES).where(
            SERVICES.c.host == host, SERVICES.c.binary == binary,
            SERVICES.c.deleted == 0).values(last_seen_at=None,
                                            updated_at=now))


def service_get_all(context, binary=None):
    statement = sa.select(SERVICES).where(SERVICES.c.deleted == 0)
    if binary is not None:
        statement = statement.where(SERVICES.c.binary == binary)
    with engine.reading(context) as conn:
        return engine.all_rows(conn, statement.order_by(SERVICES.c.host))


def service_is_up(service, down_time, now=None):
    """Whether an agent's last heartbeat is within ``down_time`` seconds."""
    seen = service.get('last_seen_at')
    if seen is None:
        return False
    now = now or timeutils.utcnow()
    return (now - seen).total_seconds() <= down_time


def service_get_live(context, binary, down_time):
    """Enabled agents that heartbeated within ``down_time`` seconds."""
    now = timeutils.utcnow()
    return [s for s in service_get_all(context, binary)
            if not s['disabled'] and service_is_up(s, down_time, now)]
