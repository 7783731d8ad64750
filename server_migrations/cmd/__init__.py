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

"""Console scripts."""

import warnings

# oslo.messaging imports eventlet (through oslo.service) without using it;
# its deprecation banner on every command would only confuse operators.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
warnings.filterwarnings('ignore', module='oslo_service')
# eventlet (imported, unused, by oslo.service) loads dnspython, whose DSA
# support warns about cryptography's deprecation on import.
warnings.filterwarnings('ignore', message='DSA is deprecated',
                        module=r'dns\.')
