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

"""Errors specific to the libvirt driver."""

from server_migrations import exception


class LibvirtBindingsMissing(exception.ConfigurationError):
    msg_fmt = ('[compute] driver = libvirt needs the libvirt Python '
               'bindings: install the "libvirt" extra (pip install '
               '"server-migrations[libvirt]"; building it needs the '
               'libvirt development headers and pkg-config).')


class HypervisorUnavailable(exception.ServiceUnavailable):
    msg_fmt = 'libvirt at %(uri)s is not reachable: %(reason)s'


class LiveMigrationForceCompleteFailed(exception.ServerMigrationsException):
    msg_fmt = ('Failed to force the live migration of instance '
               '%(instance_id)s to complete: %(reason)s')
