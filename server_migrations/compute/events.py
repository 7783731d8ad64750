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

"""The instance action events the agent writes, once per action and kind.

``Recorder`` makes the ``Event`` of an agent method under its request's
action; an ``Event`` writes its start and its result, handing a write the
database refuses to the outbox, so an outcome the agent knows is not lost.
"""

import functools
import traceback

from oslo_log import log as logging
from oslo_utils import timeutils

from server_migrations import action_names as names
from server_migrations.db import agent_actions
from server_migrations.db import engine as db_engine
from server_migrations.db import instance_actions as db_actions
from server_migrations import exception

LOG = logging.getLogger(__name__)


def describe(exc):
    """What an instance action event records about a failure."""
    if isinstance(exc, exception.ActionIgnored):
        return str(exc)
    return ''.join(traceback.format_exception(exc))


class Recorder:
    """The events of one agent (``host``), written through ``outbox``."""

    def __init__(self, host, outbox):
        self.host = host
        self.outbox = outbox

    def event(self, context, instance_uuid, method, action_id=None,
              agent_action_id=None, host=None):
        """The event agent method ``method`` records under its action.

        :param host: the host the event names (default: this agent's).
        """
        return Event(context, instance_uuid, names.EVENTS.get(method, method),
                     host or self.host, outbox=self.outbox,
                     action_id=action_id, agent_action_id=agent_action_id)


class Event:
    """An instance action event (``compute_...``) under the request's action.

    Written after the agent acted, never before: ``open`` writes the start
    (with the time the event was created), ``finish`` the result, and with
    it closes the request's ``agent_actions`` row in the same transaction.
    A write the database refuses is handed to ``outbox`` and retried, so an
    outcome the agent knows is not lost. With no instance action (a cast
    from a test or a tool) nothing is recorded.
    """

    def __init__(self, context, instance_uuid, name, host, outbox=None,
                 action_id=None, agent_action_id=None):
        self.context = context
        self.instance_uuid = instance_uuid
        self.name = name
        self.host = host
        self.outbox = outbox
        self.action_id = action_id
        self.agent_action_id = agent_action_id
        self.start_time = timeutils.utcnow()
        self.id = None
        self.finished = False

    def open(self):
        """Write the event's start; safe to call more than once."""
        if self.id is not None or not self._find():
            return
        self.id = db_actions.action_event_start(
            self.context, self.action_id, self.name, self.host,
            start_time=self.start_time)

    def _find(self):
        """Find the action, and the event a first run wrote, if any.

        One event per action and kind: a request taken again (after an
        agent restart) reuses the event its first run wrote, which the end
        of a migration may have closed already. Reads only, before any
        write: on SQLite a transaction that reads first and writes later
        can be refused ("database is locked") instead of waiting.
        :returns: whether an event still has to be written.
        """
        if self.action_id is None:
            action = db_actions.action_get_by_request_id(
                self.context, self.instance_uuid, self.context.request_id)
            if action is None:
                return False
            self.action_id = action['id']
        for event in db_actions.action_events_get(self.context,
                                                  self.action_id):
            if event['event'] == self.name:
                self.id = event['id']
                return False
        return True

    def finish(self, ok, detail=None, details=None):
        """Record the outcome once (retried by the outbox if need be).

        :param detail: for admins: the traceback of an Error.
        :param details: why, in words (``reasons``).
        """
        if self.finished:
            return
        self.finished = True
        result = names.SUCCESS if ok else names.ERROR
        what = 'event %s of server %s' % (self.name, self.instance_uuid)
        write = functools.partial(self._write, result, detail, details)
        if self.outbox is None:
            try:
                write()
            except Exception:
                LOG.exception('Could not record %s', what)
        else:
            self.outbox.put(write, what)

    def _write(self, result, detail, details):
        create = self.id is None and self._find()
        event_id = self.id
        with db_engine.writer(self.context):
            if create:
                event_id = db_actions.action_event_start(
                    self.context, self.action_id, self.name, self.host,
                    start_time=self.start_time)
            if event_id is not None:
                # Closes it only if nobody did (the end of a migration
                # closes its start's event with the reason).
                db_actions.action_event_finish(
                    self.context, event_id, result,
                    traceback=None if result == names.SUCCESS else detail,
                    details=details)
            if self.agent_action_id is not None:
                agent_actions.finish(self.context, self.agent_action_id,
                                     result, details or detail)
        # Only once committed: a retry after a rollback writes it again.
        self.id = event_id
