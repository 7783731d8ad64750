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

"""Sphinx configuration of the server-migrations release notes (reno)."""

extensions = [
    'openstackdocstheme',
    'reno.sphinxext',
]

# -- General ---------------------------------------------------------------

project = 'server-migrations Release Notes'
copyright = '2026, The server-migrations developers'
master_doc = 'index'
source_suffix = {'.rst': 'restructuredtext'}
pygments_style = 'native'
# reno renders the notes itself; there is no version to print.
version = ''
release = ''

# -- openstackdocstheme ----------------------------------------------------

openstackdocs_repo_name = 'openstack/server-migrations'
openstackdocs_bug_project = 'server-migrations'
openstackdocs_bug_tag = 'releasenotes'
openstackdocs_auto_name = False

# -- HTML output -----------------------------------------------------------

html_theme = 'openstackdocs'
htmlhelp_basename = 'server-migrations-releasenotes'
