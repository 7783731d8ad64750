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

"""Domain exceptions; each carries its HTTP status and its message."""


class ServerMigrationsException(Exception):
    """Base class: ``msg_fmt`` is filled from the keyword arguments.

    ``code`` is the HTTP status the API answers with when this error reaches
    the one fault path (``server_migrations.api.faults``).
    """

    msg_fmt = 'An unknown exception occurred.'
    code = 500

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            message = self.msg_fmt % kwargs
        self.message = message
        super().__init__(message)

    def format_message(self):
        return self.message


class Invalid(ServerMigrationsException):
    msg_fmt = 'Bad request.'
    code = 400


class ValidationError(Invalid):
    msg_fmt = '%(detail)s'


class MalformedRequestBody(Invalid):
    msg_fmt = 'Malformed request body'


class NoSuchAction(Invalid):
    msg_fmt = 'There is no such action: %(action)s'


class InvalidAPIVersionString(Invalid):
    msg_fmt = ('API Version String %(version)s is of invalid format. Must '
               'be of format MajorNum.MinorNum.')


class ProjectIdMismatch(Invalid):
    msg_fmt = ("Malformed request URL: URL's project_id '%(url_project)s' "
               "doesn't match Context's project_id '%(context_project)s'")


class MarkerNotFound(Invalid):
    msg_fmt = 'Marker %(marker)s could not be found.'


class InvalidChangesWindow(Invalid):
    msg_fmt = ('The value of changes-since must be less than or equal to '
               'changes-before.')


class InvalidMigrationState(Invalid):
    msg_fmt = ('Migration %(migration_id)s state of instance '
               '%(instance_uuid)s is %(state)s. Cannot %(method)s while the '
               'migration is in this state.')


class ComputeHostNotFound(Invalid):
    msg_fmt = 'Compute host %(host)s could not be found.'


class ComputeServiceUnavailable(Invalid):
    msg_fmt = 'Compute service of %(host)s is unavailable at this time.'


class UnableToMigrateToSelf(Invalid):
    msg_fmt = ('Unable to migrate instance (%(instance_id)s) to current '
               'host (%(host)s).')


class NotAuthenticated(ServerMigrationsException):
    msg_fmt = 'Authentication required'
    code = 401


class Forbidden(ServerMigrationsException):
    msg_fmt = 'Forbidden'
    code = 403


class PolicyNotAuthorized(Forbidden):
    msg_fmt = "Policy doesn't allow %(action)s to be performed."


class NotFound(ServerMigrationsException):
    msg_fmt = 'The resource could not be found.'
    code = 404


class InstanceNotFound(NotFound):
    msg_fmt = 'Instance %(instance_id)s could not be found.'


class MigrationNotFound(NotFound):
    msg_fmt = 'Migration %(migration_id)s could not be found.'


class MigrationNotFoundForInstance(MigrationNotFound):
    # No trailing period: clients match the reference's text.
    msg_fmt = ('Migration %(migration_id)s not found for instance '
               '%(instance_id)s')


class LiveMigrationNotFoundForServer(MigrationNotFound):
    msg_fmt = ('In-progress live migration %(migration_id)s is not found for '
               'server %(server_id)s.')


class MigrationNotLiveMigration(MigrationNotFound):
    msg_fmt = ('Migration %(migration_id)s for server %(server_id)s is not '
               'live-migration.')


class LiveMigrationNotInProgress(MigrationNotFound):
    msg_fmt = ('Live migration %(migration_id)s for server %(server_id)s is '
               'not in progress.')


class VersionNotAcceptable(ServerMigrationsException):
    msg_fmt = ('Version %(version)s is not supported by the API. Minimum is '
               '%(min_version)s and maximum is %(max_version)s.')
    code = 406

    @property
    def version(self):
        """The version refused."""
        return self.kwargs['version']


class UnsupportedMediaType(ServerMigrationsException):
    msg_fmt = 'Unsupported Content-Type'
    code = 415


class Conflict(ServerMigrationsException):
    msg_fmt = 'Conflict.'
    code = 409


class InstanceInvalidState(Conflict):
    msg_fmt = ('Instance %(instance_uuid)s in %(attr)s %(state)s. Cannot '
               '%(method)s while the instance is in this state.')


class InstanceIsLocked(InstanceInvalidState):
    msg_fmt = 'Instance %(instance_uuid)s is locked'


class ServiceUnavailable(ServerMigrationsException):
    msg_fmt = 'The service is temporarily unavailable; try again later.'
    code = 503


class DBConnectionError(ServiceUnavailable):
    msg_fmt = 'The database is unavailable; try again later.'


class MessagingUnavailable(ServiceUnavailable):
    msg_fmt = ('The message broker did not accept the request in time; '
               'nothing was changed. Try again later.')


class NoValidHost(Invalid):
    msg_fmt = 'No valid host was found. %(reason)s'


class ConfigurationError(ServerMigrationsException):
    msg_fmt = 'Configuration error: %(reason)s'


class InstanceActionNotFound(NotFound):
    msg_fmt = 'Action %(request_id)s not found'


class NoActiveMigrationForInstance(NotFound):
    msg_fmt = 'Active live migration for instance %(instance_id)s not found'


class LiveMigrationAbortFailed(ServerMigrationsException):
    msg_fmt = ('Failed to abort the live migration of instance '
               '%(instance_id)s: %(reason)s')


class ActionIgnored(Exception):
    """An agent action that does not apply to the migration as it is now.

    Raised and caught inside the compute agent only (never an API answer):
    its event ends ``Error`` with this message, and the log says it was
    ignored rather than that it failed.
    """
