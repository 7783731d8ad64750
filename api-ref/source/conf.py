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

"""Sphinx configuration of the server-migrations API reference."""

import os
import sys

# The local extension (api-ref/ext) and the package itself (repository
# root), so that the route validator can import the router.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.abspath(os.path.join(HERE, '..', 'ext')))
sys.path.insert(0, os.path.abspath(os.path.join(HERE, '..', '..')))

extensions = [
    'openstackdocstheme',
    'os_api_ref',
    'validator',
]

# -- General ---------------------------------------------------------------

project = 'server-migrations'
copyright = '2026, The server-migrations developers'
master_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
exclude_patterns = ['**/*.inc']
pygments_style = 'native'
add_module_names = False
show_authors = False

# The microversions the whole compute API answers (the "Show all"
# selector of os-api-ref offers this range). The plugin serves any
# version up to [api] max_microversion; 2.104 is its default.
os_api_ref_min_microversion = '2.1'
os_api_ref_max_microversion = '2.104'

# Routes of the standalone app that this reference leaves to the compute
# API's own reference: the read-only server documents, served so that
# clients can resolve a server before acting on its migrations.
api_ref_undocumented_routes = [
    ('GET', '/servers'),
    ('GET', '/servers/detail'),
    ('GET', '/servers/{server_id}'),
]

# -- openstackdocstheme ----------------------------------------------------

openstackdocs_repo_name = 'openstack/server-migrations'
openstackdocs_bug_project = 'server-migrations'
openstackdocs_bug_tag = 'api-ref'
openstackdocs_auto_name = False

# -- HTML output -----------------------------------------------------------

html_theme = 'openstackdocs'
html_theme_options = {
    'sidebar_mode': 'toc',
}
html_title = 'Server Migrations API Reference'
htmlhelp_basename = 'server-migrations-api-ref'
