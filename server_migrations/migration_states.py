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

"""The vocabulary of a migration, written once.

Its statuses, the sets of them that the API, the agents and the operator
CLI act on, the transitions an agent may make between them, its types, and
its six progress counters. Everything else in the tree imports these names
instead of spelling the strings; the status compare-and-swap in
``db.migrations`` refuses a transition that is not listed here.

The strings themselves are a contract (clients read ``status`` and
``migration_type``; operators query the ``migrations`` table), so they never
change; only what the sets hold may grow.
"""

# Statuses ------------------------------------------------------------------

#: The API has recorded the migration; no agent has taken it yet.
ACCEPTED = 'accepted'
#: The source agent has taken it; it waits for a free slot.
QUEUED = 'queued'
#: The source agent is getting the destination ready.
PREPARING = 'preparing'
#: The hypervisor is copying memory (pre-copy).
RUNNING = 'running'
#: The guest runs on the destination; the rest of memory follows it.
RUNNING_POST_COPY = 'running (post-copy)'
#: Nova's last step of a move; listed as in progress, never written here.
POST_MIGRATING = 'post-migrating'
#: Ended: the guest runs on the destination.
COMPLETED = 'completed'
#: Ended: the hypervisor refused or failed the copy; the guest stayed.
FAILED = 'failed'
#: Ended: aborted by an operator, or dropped before it started.
CANCELLED = 'cancelled'
#: Ended: the agent could not tell, or its host was lost.
ERROR = 'error'

# Sets ----------------------------------------------------------------------

#: What the API lists and shows as a server's in-progress migrations
#: (Nova's set; ``accepted`` and post-copy are deliberately not in it).
IN_PROGRESS = (QUEUED, PREPARING, RUNNING, POST_MIGRATING)
#: Not ended: an agent still has to act on it.
IN_FLIGHT = (ACCEPTED, QUEUED, PREPARING, RUNNING, RUNNING_POST_COPY,
             POST_MIGRATING)
#: Ended: nothing will change it again.
ENDED = (COMPLETED, FAILED, ERROR, CANCELLED)
#: Taken by no hypervisor yet.
NOT_STARTED = (ACCEPTED, QUEUED, PREPARING)
#: The hypervisor is copying.
COPYING = (RUNNING, RUNNING_POST_COPY)
#: What force-complete and tune act on.
FORCE_COMPLETABLE = (RUNNING,)
TUNABLE = (RUNNING,)
#: What abort acts on before microversion 2.65, and from it.
ABORTABLE = (RUNNING,)
ABORTABLE_IN_QUEUE = (QUEUED, PREPARING, RUNNING)
#: What an agent may abort (the API's set and a not-yet-taken one).
AGENT_ABORTABLE = NOT_STARTED + (RUNNING,)


def abortable(abort_in_queue):
    """The statuses an abort acts on, by whether 2.65's queue abort holds."""
    return ABORTABLE_IN_QUEUE if abort_in_queue else ABORTABLE


# Transitions ---------------------------------------------------------------

#: Every status change an agent or operator command may make: from each
#: status, the statuses it may become. An ended status becomes nothing.
TRANSITIONS = {
    ACCEPTED: frozenset((QUEUED, CANCELLED, ERROR)),
    QUEUED: frozenset((PREPARING, CANCELLED, ERROR)),
    PREPARING: frozenset((RUNNING, FAILED, CANCELLED, ERROR)),
    RUNNING: frozenset((RUNNING_POST_COPY, COMPLETED, FAILED, CANCELLED,
                        ERROR)),
    RUNNING_POST_COPY: frozenset((COMPLETED, FAILED, ERROR)),
    POST_MIGRATING: frozenset((COMPLETED, ERROR)),
}


def allowed(current, new):
    """Whether a migration in ``current`` may be moved to ``new``."""
    return new in TRANSITIONS.get(current, ())


def sources(expected, new):
    """The statuses of ``expected`` that may become ``new``.

    The status compare-and-swap matches only these, so it can never make a
    transition :data:`TRANSITIONS` does not list: a row in another expected
    status (an ended one, say, read a moment before it ended) is left as it
    is, and the swap reports that it lost.

    :param expected: the status, or statuses, the swap expects.
    :returns: a tuple, empty when none may become ``new``.
    """
    if isinstance(expected, str):
        expected = (expected,)
    return tuple(s for s in expected if allowed(s, new))


# Types ---------------------------------------------------------------------

LIVE_MIGRATION = 'live-migration'
TYPES = ('migration', 'resize', LIVE_MIGRATION, 'evacuation')

# Progress counters ---------------------------------------------------------

#: The six counters, as the table's columns and the driver's report name
#: them.
PROGRESS_FIELDS = ('memory_total', 'memory_processed', 'memory_remaining',
                   'disk_total', 'disk_processed', 'disk_remaining')
#: The API's name of each (``<column>_bytes``), in the same order.
PROGRESS_API_FIELDS = tuple('%s_bytes' % f for f in PROGRESS_FIELDS)
