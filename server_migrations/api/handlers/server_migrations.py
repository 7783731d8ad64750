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

"""Handlers of /servers/{server_id}/migrations: list, show, act, abort."""

from server_migrations.api import actions
from server_migrations.api import dispatch
from server_migrations.api import microversion
from server_migrations.api import request_data
from server_migrations.api import request_environ
from server_migrations.api import responses
from server_migrations.api import schemas
from server_migrations.api import views
from server_migrations.compute import preconditions
from server_migrations import exception
from server_migrations.policies import server_migrations as policies
from server_migrations import state_conflicts


def _server(req, rule):
    """Look the server up (404), then check ``rule`` on its project (403)."""
    context = request_environ.context(req)
    instance = request_environ.compute_api(req).get_instance(
        context, request_environ.path_item(req, 'server_id'))
    context.can(rule, target={'project_id': instance['project_id']})
    return context, instance


def _read(req, rule, host_rule, read, *args):
    """Read the server and its migrations in one statement, then check
    ``rule`` on the server's project (403) and whether hosts show.

    The answers are those of looking the server up first: a server the
    caller may not see is a 404 before any policy check.
    """
    schemas.validate_query(schemas.query_schema(request_environ.version(req)),
                           request_data.query_params(req))
    context = request_environ.context(req)
    instance, found = read(
        context, request_environ.path_item(req, 'server_id'), *args)
    target = {'project_id': instance['project_id']}
    context.can(rule, target=target)
    return found, context.can(host_rule, target=target, fatal=False)


@dispatch.handler('2.23')
def list_server_migrations(req):
    rows, include_host = _read(
        req, policies.INDEX, policies.INDEX_HOST,
        request_environ.compute_api(req).get_instance_migrations_in_progress)
    return responses.json_response(
        views.migrations_index(rows, request_environ.version(req),
                               include_host))


@dispatch.handler('2.23')
def show_server_migration(req):
    migration_id = request_environ.path_item(req, 'migration_id')
    row, include_host = _read(
        req, policies.SHOW, policies.SHOW_HOST,
        request_environ.compute_api(req).get_instance_migration, migration_id)
    row = preconditions.check_migration_in_progress(
        row, migration_id, request_environ.path_item(req, 'server_id'))
    return responses.json_response(
        views.migration_show(row, request_environ.version(req), include_host))


@actions.action('force_complete')
@dispatch.handler('2.22')
def post_migration_action(req):
    """POST .../action: the only action is ``force_complete``."""
    schemas.validate_body(schemas.FORCE_COMPLETE, request_data.json_body(req))
    context, instance = _server(req, policies.FORCE_COMPLETE)
    server_id = request_environ.path_item(req, 'server_id')
    try:
        request_environ.compute_api(req).live_migrate_force_complete(
            context, instance, request_environ.path_item(req, 'migration_id'))
    except exception.MigrationNotFoundForInstance as exc:
        # The reference answers 400 here (and 404 for the same case of
        # DELETE); clients depend on it.
        raise exception.Invalid(exc.format_message())
    except exception.InstanceIsLocked as exc:
        raise exception.Conflict(exc.format_message())
    except exception.InstanceInvalidState as exc:
        raise exception.Conflict(state_conflicts.message(
            exc, 'force_complete', server_id))
    return responses.empty_response(202)


@dispatch.handler('2.24')
def delete_server_migration(req):
    """Abort a live migration (queued and preparing too from 2.65)."""
    context, instance = _server(req, policies.DELETE)
    server_id = request_environ.path_item(req, 'server_id')
    try:
        request_environ.compute_api(req).live_migrate_abort(
            context, instance, request_environ.path_item(req, 'migration_id'),
            support_abort_in_queue=microversion.abort_in_queue(
                request_environ.version(req)))
    except exception.InstanceIsLocked:
        # A lock is worded as a generic invalid state here (sic).
        raise exception.Conflict(state_conflicts.generic_message(
            'abort live migration', server_id))
    except exception.InstanceInvalidState as exc:
        raise exception.Conflict(state_conflicts.message(
            exc, 'abort live migration', server_id))
    return responses.empty_response(202)
