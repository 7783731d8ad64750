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

"""Registration of every option group the service reads."""

from oslo_log import log as logging
from oslo_policy import opts as policy_opts

from server_migrations.conf import api
from server_migrations.conf import compute
from server_migrations.conf import database
from server_migrations.conf import default
from server_migrations.conf import fake_driver
from server_migrations.conf import libvirt

MODULES = (default, api, compute, database, fake_driver, libvirt)


def register_opts(conf):
    """Register our options and the library defaults we rely on."""
    for module in MODULES:
        module.register_opts(conf)
    set_lib_defaults(conf)


def set_lib_defaults(conf=None):
    """Set the defaults of library options as this service wants them.

    Called at start-up and, without arguments, by oslo-config-generator
    (the ``oslo.config.opts.defaults`` entry point) so the sample shows them.
    """
    if conf is None:
        from oslo_config import cfg
        conf = cfg.CONF
        database.register_opts(conf)
    policy_opts.set_defaults(conf, policy_file='policy.yaml')
    logging.set_defaults(default_log_levels=(
        logging.get_default_log_levels() + ['routes=INFO', 'alembic=WARN']))
