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

"""Defaults for oslo.db's [database] group: a SQLite file under state_path."""

from oslo_db import options as db_options

# oslo.config interpolates $state_path from [DEFAULT] when the value is read.
DEFAULT_CONNECTION = 'sqlite:///$state_path/server_migrations.sqlite'


def register_opts(conf):
    db_options.set_defaults(conf, connection=DEFAULT_CONNECTION)


def list_opts():
    # oslo.db documents its own options (generator namespace "oslo.db").
    return {}
