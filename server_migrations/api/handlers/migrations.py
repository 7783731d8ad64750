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

"""Handler of GET /os-migrations: every migration we hold, filtered."""

from server_migrations.api import dispatch
from server_migrations.api import microversion
from server_migrations.api import operator_views
from server_migrations.api import request_data
from server_migrations.api import request_environ
from server_migrations.api import responses
from server_migrations.api import schemas
from server_migrations.compute import history
from server_migrations.policies import migrations as policies


@dispatch.handler('2.1')
def list_migrations(req):
    """Filters from 2.1; paging and changes-since from 2.59."""
    version = request_environ.version(req)
    params = request_data.query_params(req)
    schemas.validate_query(schemas.migrations_query_schema(version), params)
    context = request_environ.context(req)
    context.can(policies.INDEX)
    project_id = params.get('project_id', [None])[-1]
    if not project_id or project_id != context.project_id:
        context.can(policies.INDEX_ALL_PROJECTS)
    include_host = context.can(policies.INDEX_HOST, fatal=False)
    paged = microversion.migrations_paging(version)
    since, before = history.changes_window(
        params, paged, microversion.changes_before(version))
    max_limit = request_environ.conf(req).api.max_limit
    with request_environ.compute_api(req).reading(context):
        rows = history.list_migrations(context, params, paged, since,
                                       before, max_limit)
    return responses.json_response(operator_views.os_migrations(
        req, rows, version, include_host, max_limit))
