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

"""A guest for real QEMU: a tiny multiboot kernel that dirties memory.

The kernel is a few dozen bytes of 32-bit x86 machine code written here
(no assembler, no disk, no operating system). QEMU loads it with
``-kernel`` (libvirt's ``<os><kernel>``) at 1 MiB and jumps to it in
protected mode. It then loops for ever: it adds one to a word in each 4 KiB
page of ``dirty_mib`` MiB starting at 2 MiB, then adds one to the pass
counter at ``COUNTER_ADDRESS``. A migration whose bandwidth is below the
guest's dirty rate never converges on its own; the counter, read through
the QEMU monitor, still growing on the destination proves the guest moved
and runs there.
"""

import struct

LOAD_ADDRESS = 0x100000
COUNTER_ADDRESS = 0x1FF000
DIRTY_START = 0x200000
PAGE = 4096
MULTIBOOT_MAGIC = 0x1BADB002
# Bit 16: the header gives the load addresses (no ELF needed).
MULTIBOOT_FLAGS = 0x00010000
HEADER_SIZE = 32


def kernel_image(dirty_mib):
    """The kernel's bytes: a multiboot header, then the code."""
    end = DIRTY_START + max(1, int(dirty_mib)) * 1024 * 1024
    entry = LOAD_ADDRESS + HEADER_SIZE
    code = bytearray()
    code += b'\xfa'                                   # cli
    code += b'\xc7\x05' + struct.pack('<II', COUNTER_ADDRESS, 0)
    outer = len(code)                                 # mov [counter], 0
    code += b'\xbf' + struct.pack('<I', DIRTY_START)  # mov edi, start
    inner = len(code)
    code += b'\xff\x07'                               # inc dword [edi]
    code += b'\x81\xc7' + struct.pack('<I', PAGE)     # add edi, 4096
    code += b'\x81\xff' + struct.pack('<I', end)      # cmp edi, end
    code += b'\x72' + struct.pack('<b', inner - (len(code) + 2))  # jb
    code += b'\xff\x05' + struct.pack('<I', COUNTER_ADDRESS)  # inc [ctr]
    code += b'\xeb' + struct.pack('<b', outer - (len(code) + 2))  # jmp
    checksum = (-(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)) & 0xFFFFFFFF
    header = struct.pack('<8I', MULTIBOOT_MAGIC, MULTIBOOT_FLAGS, checksum,
                         LOAD_ADDRESS, LOAD_ADDRESS, 0, 0, entry)
    return header + bytes(code)


def write_kernel(path, dirty_mib):
    with open(path, 'wb') as stream:
        stream.write(kernel_image(dirty_mib))
    return path


def domain_xml(name, uuid, kernel, memory_mib=128):
    """A TCG domain with no disk and no devices beyond the machine's own."""
    return """<domain type='qemu'>
  <name>%(name)s</name>
  <uuid>%(uuid)s</uuid>
  <memory unit='MiB'>%(memory)d</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>%(kernel)s</kernel>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <memballoon model='none'/>
  </devices>
</domain>
""" % {'name': name, 'uuid': uuid, 'kernel': kernel, 'memory': memory_mib}
