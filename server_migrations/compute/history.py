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

"""What the operator API reads: every migration, a server's actions.

Read-only; the paging, filtering and lookups the reference applies, on
plain dicts from ``db.listings``.
"""

from oslo_utils import strutils
from oslo_utils import timeutils
from oslo_utils import uuidutils

from server_migrations.db import listings
from server_migrations import exception


def _param(value):
    """A query parameter's value: the last one when it was repeated."""
    return value[-1] if isinstance(value, list) else value


def changes_window(params, allow_since, allow_before):
    """``(since, before)`` as naive UTC datetimes (None when absent).

    A parameter the version does not know is ignored, as the reference
    does before the schemas turned strict.
    :raises InvalidChangesWindow: since is after before.
    """
    since = before = None
    if allow_since and 'changes-since' in params:
        since = timeutils.normalize_time(
            timeutils.parse_isotime(_param(params['changes-since'])))
    if allow_before and 'changes-before' in params:
        before = timeutils.normalize_time(
            timeutils.parse_isotime(_param(params['changes-before'])))
    if since is not None and before is not None and before < since:
        raise exception.InvalidChangesWindow()
    return since, before


def limit_and_marker(params, max_limit):
    """The page size (at most ``max_limit``) and marker of a request."""
    limit = max_limit
    if 'limit' in params:
        limit = min(max_limit, int(_param(params['limit'])))
    marker = _param(params['marker']) if 'marker' in params else None
    return limit, marker


# Query parameters of GET /os-migrations that filter (others are paging,
# or ignored).
_MIGRATION_FILTERS = ('status', 'host', 'source_compute', 'node',
                      'migration_type', 'instance_uuid', 'uuid', 'user_id',
                      'project_id')


def migration_filters(params):
    """The filters of a GET /os-migrations query.

    :raises ValidationError: ``hidden`` is not a boolean.
    """
    filters = {name: _param(params[name]) for name in _MIGRATION_FILTERS
               if name in params}
    if 'hidden' in params:
        try:
            filters['hidden'] = strutils.bool_from_string(
                _param(params['hidden']), strict=True)
        except ValueError as exc:
            raise exception.ValidationError(
                detail='Invalid input for query parameters hidden. %s' % exc)
    return filters


def list_migrations(context, params, paged, since=None, before=None,
                    max_limit=None):
    filters = migration_filters(params)
    if not paged:
        return listings.migrations_get(context, filters)
    limit, marker = limit_and_marker(params, max_limit)
    return listings.migrations_get(context, filters, paged=True,
                                   limit=limit, marker=marker, since=since,
                                   before=before)


def get_server_any(context, server_id):
    """The server even if deleted, or InstanceNotFound (404).

    As ``compute.api.API.get_instance``, deleted servers included:
    non-admins find their own project's servers only.
    """
    if not uuidutils.is_uuid_like(server_id) or (
            not context.is_admin and not context.project_id):
        raise exception.InstanceNotFound(instance_id=server_id)
    project_id = None if context.is_admin else context.project_id
    instance = listings.instance_get_any(context, server_id, project_id)
    if instance is None:
        raise exception.InstanceNotFound(instance_id=server_id)
    return instance


def list_actions(context, instance, params=None, paged=False, since=None,
                 before=None, max_limit=None):
    if not paged:
        return listings.actions_get(context, instance['uuid'])
    limit, marker = limit_and_marker(params, max_limit)
    return listings.actions_get(context, instance['uuid'], limit=limit,
                                marker=marker, since=since, before=before)


def get_action(context, instance, request_id):
    """The action and its events (newest first), or a 404."""
    action = listings.action_get(context, instance['uuid'], request_id)
    if action is None:
        raise exception.InstanceActionNotFound(request_id=request_id)
    return action, listings.action_events_get(context, action['id'])
