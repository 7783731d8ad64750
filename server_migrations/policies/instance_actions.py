
from server_migrations.policies import base

POLICY_ROOT = 'os_compute_api:os-instance-actions:%s'
LIST = POLICY_ROOT % 'list'
SHOW = POLICY_ROOT % 'show'
EVENTS = POLICY_ROOT % 'events'
EVENTS_DETAILS = POLICY_ROOT % 'events:details'

_READER_HINT = (
    ' To let the server\'s project see it too, override it with "%s".'
    % base.PROJECT_READER_OR_ADMIN)
_SHOW = [('GET', '/servers/{server_id}/os-instance-actions/{request_id}')]

rules = [
    base.admin_only(
        LIST,
        'List the actions requested on a server (live migrations, '
        'force-completes, aborts), newest first.' + _READER_HINT,
        [('GET', '/servers/{server_id}/os-instance-actions')]),
    base.admin_only(
        SHOW,
        'Show one action of a server by its request id. From microversion '
        '2.51 it includes the events (without traceback) even for those '
        '"%s" denies.%s' % (EVENTS, _READER_HINT),
        _SHOW),
    base.admin_only(
        EVENTS,
        'See the events of an action with their traceback, and (from 2.62) '
        'the compute host that ran each one.',
        _SHOW),
    base.admin_only(
        EVENTS_DETAILS,
        'See the "details" of events (from 2.84): why an event, such as the '
        'end of a live migration, ended as it did.',
        _SHOW),
]


def list_rules():
    return rules
