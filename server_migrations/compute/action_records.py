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

"""The records of an accepted action: the instance action the API lists,
and the agent's copy of it, which the source agent carries out.
"""

from server_migrations.db import agent_actions
from server_migrations.db import instance_actions as db_actions


def record(context, uuid, action, host, migration_id, method,
           block_migration=None, parameters=None):
    """Record the action and the agent's copy of it; the agent action's id.

    Joins the caller's transaction, which must commit before the agent is
    woken up. Once it commits, the 202 is a promise the agent keeps even if
    the wake-up cast is lost (it polls the database). A database that does
    not take the transaction fails the request (503) with nothing changed.
    """
    action_id = db_actions.action_start(context, uuid, action)
    return agent_actions.create(context, action_id, uuid, migration_id,
                                host, method,
                                block_migration=block_migration,
                                parameters=parameters)
