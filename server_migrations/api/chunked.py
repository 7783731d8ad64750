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

"""Request bodies sent with ``Transfer-Encoding: chunked``.

A server that decodes them says so with ``wsgi.input_terminated``
(gunicorn, cheroot, waitress) and WebOb reads such a body to its end. The
others leave it to the application: uWSGI's http-socket keeps it in the
socket, for ``uwsgi.chunked_read()``; the stdlib's wsgiref hands over the
raw stream, framing included. This filter gives the rest of the pipeline
a decoded, terminated ``wsgi.input`` in every case, and refuses (413) a
body that grows past ``[oslo_middleware] max_request_body_size`` as soon
as it does, without holding it all first.
"""

from oslo_middleware import sizelimit
import webob.exc

# A chunk-size line ("1a2b;ext=x\r\n") longer than this is not HTTP.
_MAX_SIZE_LINE = 1024
# Seconds uWSGI waits for the next chunk.
CHUNK_TIMEOUT = 30


def is_chunked(environ):
    encoding = environ.get('HTTP_TRANSFER_ENCODING', '')
    return 'chunked' in encoding.lower()


def _uwsgi_chunks(timeout):
    import uwsgi  # only inside uWSGI
    while True:
        chunk = uwsgi.chunked_read(timeout)
        if not chunk:
            return
        yield chunk


def _raw_chunks(stream):
    """Decode the chunked framing of ``stream`` (RFC 9112, section 7.1)."""
    while True:
        line = stream.readline(_MAX_SIZE_LINE)
        if not line.endswith(b'\n'):
            raise webob.exc.HTTPBadRequest()
        try:
            size = int(line.split(b';', 1)[0].strip(), 16)
        except ValueError:
            raise webob.exc.HTTPBadRequest()
        if size < 0:
            raise webob.exc.HTTPBadRequest()
        if size == 0:
            # Trailer fields, up to the empty line.
            while stream.readline(_MAX_SIZE_LINE).strip():
                pass
            return
        data = stream.read(size)
        if len(data) != size:
            raise webob.exc.HTTPBadRequest()
        stream.readline(_MAX_SIZE_LINE)
        yield data


class _DecodedInput:
    """A file-like ``wsgi.input`` over decoded chunks, with a size cap."""

    def __init__(self, chunks, limit):
        self._chunks = chunks
        self._limit = limit
        self._buffer = b''
        self._read = 0
        self._done = False

    def _fill(self, wanted):
        while not self._done and (wanted is None or
                                  len(self._buffer) < wanted):
            chunk = next(self._chunks, None)
            if chunk is None:
                self._done = True
                break
            self._read += len(chunk)
            if self._read > self._limit:
                raise webob.exc.HTTPRequestEntityTooLarge()
            self._buffer += chunk

    def read(self, size=-1):
        wanted = None if size is None or size < 0 else size
        self._fill(wanted)
        if wanted is None:
            data, self._buffer = self._buffer, b''
        else:
            data, self._buffer = (self._buffer[:wanted],
                                  self._buffer[wanted:])
        return data

    def readline(self, size=-1):
        while b'\n' not in self._buffer and not self._done:
            self._fill(len(self._buffer) + 1)
        end = self._buffer.find(b'\n') + 1 or len(self._buffer)
        if size is not None and size >= 0:
            end = min(end, size)
        data, self._buffer = self._buffer[:end], self._buffer[end:]
        return data

    def __iter__(self):
        while True:
            data = self.read(65536)
            if not data:
                return
            yield data


class ChunkedInput:
    """Decodes a chunked request body the WSGI server left encoded."""

    def __init__(self, application, conf):
        self.application = application
        conf.register_opts(sizelimit.OPTS, group='oslo_middleware')
        self.conf = conf

    def __call__(self, environ, start_response):
        if is_chunked(environ) and not environ.get('wsgi.input_terminated'):
            if 'uwsgi.version' in environ:
                chunks = _uwsgi_chunks(CHUNK_TIMEOUT)
            else:
                chunks = _raw_chunks(environ['wsgi.input'])
            environ['wsgi.input'] = _DecodedInput(
                chunks, self.conf.oslo_middleware.max_request_body_size)
            environ['wsgi.input_terminated'] = True
            environ.pop('CONTENT_LENGTH', None)
        return self.application(environ, start_response)
