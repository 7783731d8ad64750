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

"""The names of what is asked of a server, written once.

Three vocabularies meet here: the instance action a request records (the
``instance_actions.action`` column, Nova's names, which clients show), the
method an agent is asked to run (``agent_actions.method`` and the RPC
method of the wake-up cast), and the event the agent records under the
action (``instance_actions_events.event``). They are contracts with
clients, operators and older agents; never rename one.
"""

#: The task state of a server while a live migration is in flight.
MIGRATING = 'migrating'

# Instance actions (what the API records) -----------------------------------
LIVE_MIGRATION = 'live-migration'
LIVE_MIGRATION_FORCE_COMPLETE = 'live_migration_force_complete'
LIVE_MIGRATION_CANCEL = 'live_migration_cancel'
LIVE_MIGRATION_TUNE = 'live_migration_tune'
#: Recorded by the operator's command for a host that is gone for good.
LIVE_MIGRATION_SETTLE = 'live_migration_settle'

# Agent methods (what an agent is asked to run) -----------------------------
START = 'live_migration'
FORCE_COMPLETE = 'live_migration_force_complete'
ABORT = 'live_migration_abort'
TUNE = 'live_migration_tune'
METHODS = (START, FORCE_COMPLETE, ABORT, TUNE)

#: The event each agent method records under its instance action.
EVENTS = {START: 'compute_live_migration',
          FORCE_COMPLETE: 'compute_live_migration_force_complete',
          ABORT: 'compute_live_migration_abort',
          TUNE: 'compute_live_migration_tune'}

# Event results (``instance_actions_events.result``) -------------------------
SUCCESS = 'Success'
ERROR = 'Error'
