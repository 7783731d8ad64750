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

"""Read-only /servers from the instance records, and os-migrateLive."""

from oslo_utils import strutils

from server_migrations.api import actions
from server_migrations.api import dispatch
from server_migrations.api import request_data
from server_migrations.api import request_environ
from server_migrations.api import responses
from server_migrations.api import schemas
from server_migrations.api import views
from server_migrations import exception
from server_migrations.policies import migrate_server as policies
from server_migrations import state_conflicts


def _base_url(req):
    """The service root without the /v2.1 and project segments."""
    url = req.application_url
    return url[:-len('/v2.1')] if url.endswith('/v2.1') else url


def _list(req):
    context = request_environ.context(req)
    all_projects = strutils.bool_from_string(
        request_data.query(req).get('all_tenants', 'false'))
    instances = request_environ.compute_api(req).get_instances(
        context, all_projects=all_projects)
    name = request_data.query(req).get('name')
    if name:
        # The compute API matches names as a substring; so do we.
        instances = [i for i in instances
                     if name in (i['display_name'] or '')]
    return context, instances


@dispatch.handler('2.1')
def list_servers(req):
    _context, instances = _list(req)
    base = _base_url(req)
    return responses.json_response(
        {'servers': [views.server_summary(i, base) for i in instances]})


@dispatch.handler('2.1')
def list_servers_detail(req):
    context, instances = _list(req)
    base = _base_url(req)
    return responses.json_response(
        {'servers': [views.server_detail(i, base, context.is_admin)
                     for i in instances]})


@dispatch.handler('2.1')
def show_server(req):
    context = request_environ.context(req)
    instance = request_environ.compute_api(req).get_instance(
        context, request_environ.path_item(req, 'server_id'))
    return responses.json_response(
        {'server': views.server_detail(instance, _base_url(req),
                                       context.is_admin)})


@actions.action('os-migrateLive')
@dispatch.handler('2.1')
def post_server_action(req):
    """POST /servers/{id}/action: the only action is ``os-migrateLive``."""
    body = request_data.json_body(req)
    schemas.validate_body(
        schemas.migrate_live_schema(request_environ.version(req)), body)
    args = body['os-migrateLive']
    context = request_environ.context(req)
    server_id = request_environ.path_item(req, 'server_id')
    instance = request_environ.compute_api(req).get_instance(
        context, server_id)
    context.can(policies.MIGRATE_LIVE,
                target={'project_id': instance['project_id']})
    try:
        request_environ.compute_api(req).live_migrate(
            context, instance, args['host'],
            schemas.to_bool(args['block_migration']))
    except exception.InstanceIsLocked as exc:
        raise exception.Conflict(exc.format_message())
    except exception.InstanceInvalidState as exc:
        raise exception.Conflict(state_conflicts.message(
            exc, 'os-migrateLive', server_id))
    return responses.empty_response(202)
