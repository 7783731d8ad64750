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

"""Why a migration ended, in words an operator can act on.

The one vocabulary of reasons: every terminal status the agent writes
comes with one of these, stored as the ``details`` of the final event of
the migration's instance action (``GET .../os-instance-actions/{request_id}``
from microversion 2.84, ``server-migrations-manage migration show``).
Each names the cause and, where one exists, the request or host to look at.
"""

COMPLETED = 'completed'
HYPERVISOR_FAILED = ('the hypervisor reported the migration as failed; see '
                     'the source host\'s compute log')
HYPERVISOR_CANCELLED = 'cancelled by the hypervisor'
CANCELLED_IN_POST_COPY = ('the hypervisor reported the copy cancelled after '
                          'post-copy was recorded; the server stays on its '
                          'source: check that the guest runs there')
AGENT_RESTARTED = 'agent restarted while the migration was running'
START_REQUEST_LOST = ('its start request was lost: the source agent '
                      'restarted before taking it')
AGENT_STOPPED = 'agent stopped before the migration started'
AGENT_STOPPED_ABORTED = 'aborted because the source agent stopped'
AGENT_STOPPED_RUNNING = ('agent stopped while the migration was running and '
                         'could not end it in time')


def aborted_by_request(request_id):
    return 'aborted by request %s' % request_id


def completion_timeout(elapsed, action):
    """The copy outran ``[libvirt] live_migration_completion_timeout``.

    :param action: ``[libvirt] live_migration_timeout_action`` that was
        taken (``abort`` or ``force_complete``).
    """
    return 'completion timeout after %d s, action %s' % (
        round(elapsed), action)


def progress_timeout(stalled_for, action):
    """No progress for ``[compute] live_migration_progress_timeout``.

    :param action: ``[compute] live_migration_progress_timeout_action``
        that was taken (``abort`` or ``force_complete``).
    """
    return 'no progress for %d s (not converging), action %s' % (
        round(stalled_for), action)


def forced_after_progress_timeout(stalled_for):
    """Completed, but only because the stall policy forced it."""
    return 'completed after %s' % progress_timeout(stalled_for,
                                                   'force_complete')


def hypervisor_error(message):
    return 'hypervisor error: %s' % message


def agent_error(exc):
    """The agent itself broke (not the hypervisor): see its log."""
    return 'agent error: %s; see the source host\'s compute log' % exc


def action_not_done(what, exc):
    """A force-complete or abort the agent did not carry out, and why.

    The details of its own event (``compute_live_migration_abort``...),
    not of the migration's.
    """
    return '%s not done: %s' % (what, exc)


def action_expired(host, timeout):
    """An accepted action whose agent stayed down past the timeout."""
    return ('Expired: the compute agent of host %s did not take this action '
            'within %d s' % (host, timeout))


def destination_down(host):
    return 'destination agent down (%s)' % host


def not_startable(why):
    """A check before copying anything refused the move."""
    return 'not started: %s' % why


def ended_as(status):
    """A status without a more precise reason (should not happen)."""
    return 'ended as %s' % status
