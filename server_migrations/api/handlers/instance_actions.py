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

"""Handlers of /servers/{server_id}/os-instance-actions: list and show."""

from server_migrations.api import dispatch
from server_migrations.api import microversion
from server_migrations.api import operator_views
from server_migrations.api import request_data
from server_migrations.api import request_environ
from server_migrations.api import responses
from server_migrations.api import schemas
from server_migrations.compute import history
from server_migrations.policies import instance_actions as policies


def _server(req, rule):
    """The server (deleted ones too from 2.21; 404), then ``rule`` (403)."""
    context = request_environ.context(req)
    server_id = request_environ.path_item(req, 'server_id')
    if microversion.include_deleted_servers(request_environ.version(req)):
        instance = history.get_server_any(context, server_id)
    else:
        instance = request_environ.compute_api(req).get_instance(
            context, server_id)
    target = {'project_id': instance['project_id']}
    context.can(rule, target=target)
    return context, instance, target


@dispatch.handler('2.1')
def list_instance_actions(req):
    """Newest first; paging and changes-since from 2.58."""
    version = request_environ.version(req)
    params = request_data.query_params(req)
    schemas.validate_query(schemas.actions_query_schema(version), params)
    context = request_environ.context(req)
    with request_environ.compute_api(req).reading(context):
        context, instance, _target = _server(req, policies.LIST)
        paged = microversion.actions_paging(version)
        since, before = history.changes_window(
            params, paged, microversion.changes_before(version))
        max_limit = request_environ.conf(req).api.max_limit
        rows = history.list_actions(context, instance, params, paged, since,
                                    before, max_limit)
    return responses.json_response(operator_views.actions(
        req, request_environ.path_item(req, 'server_id'), rows, version,
        max_limit))


@dispatch.handler('2.1')
def show_instance_action(req):
    """One action with its events, as much of them as the caller may see."""
    version = request_environ.version(req)
    schemas.validate_query(schemas.query_schema(version),
                           request_data.query_params(req))
    context = request_environ.context(req)
    with request_environ.compute_api(req).reading(context):
        context, instance, target = _server(req, policies.SHOW)
        action, events = history.get_action(
            context, instance, request_environ.path_item(req, 'request_id'))
    body = operator_views.action(action, version)
    # Admins (the events rule) see events with traceback, and their host
    # from 2.62; from 2.51 everyone else sees them without either.
    show_traceback = context.can(policies.EVENTS, target=target,
                                 fatal=False)
    if show_traceback or microversion.events_for_everyone(version):
        show_details = (microversion.event_details(version) and
                        context.can(policies.EVENTS_DETAILS, target=target,
                                    fatal=False))
        project_id = action['project_id'] or instance['project_id']
        body['events'] = [operator_views.event(
            e, project_id, version, show_traceback,
            show_traceback and microversion.event_host(version),
            show_details) for e in events]
    return responses.json_response({'instanceAction': body})
