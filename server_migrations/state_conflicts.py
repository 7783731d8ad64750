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

"""How a refused action on a server in the wrong state is worded.

The API answers these words in its 409s and the operator CLI prints them,
so that both say the same as the reference compute API.
"""


def message(exc, action, server_id):
    """The words for an InstanceInvalidState raised for ``action``.

    A known offending value names it; a null one (task_state None, never
    launched) falls back to ``generic_message``.
    """
    state = exc.kwargs.get('state')
    if state is None:
        return generic_message(action, server_id)
    return ("Cannot '%(action)s' instance %(id)s while it is in "
            "%(attr)s %(state)s" % {'action': action, 'id': server_id,
                                    'attr': exc.kwargs['attr'],
                                    'state': state})


def generic_message(action, server_id):
    """The words when no offending value can be named."""
    return ("Instance %(id)s is in an invalid state for '%(action)s'"
            % {'id': server_id, 'action': action})
