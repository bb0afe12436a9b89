"""Berkeley ``text + data`` read straight from an ELF object, without running llvm-size.

Measuring a module (the pass search's candidates, every preview) would otherwise take one more
process each; reading the section table here saves it. It follows llvm-size's own rules
(``ELFObjectFile::isBerkeleyText``/``isBerkeleyData``): an allocated section is text when it is
executable or not writable, data when it is writable and takes space in the file. A test
checks it against llvm-size on the corpus, and every offered result is measured again with
:func:`lsp_server.llvm.size.binary_size`, the project's one definition.
"""

from __future__ import annotations

import struct

_SHT_NOBITS = 8
_SHF_WRITE = 0x1
_SHF_ALLOC = 0x2
_SHF_EXECINSTR = 0x4


def berkeley_size(obj: bytes) -> int | None:
    """``text + data`` of an ELF object, or None when ``obj`` is not an ELF file we can read."""
    if len(obj) < 64 or obj[:4] != b"\x7fELF":
        return None
    klass, endian = obj[4], obj[5]
    if klass not in (1, 2) or endian not in (1, 2):
        return None
    order = "<" if endian == 1 else ">"
    try:
        if klass == 2:
            (shoff,) = struct.unpack_from(order + "Q", obj, 0x28)
            shentsize, shnum = struct.unpack_from(order + "HH", obj, 0x3A)
            header = order + "IIQQQQ"
        else:
            (shoff,) = struct.unpack_from(order + "I", obj, 0x20)
            shentsize, shnum = struct.unpack_from(order + "HH", obj, 0x2E)
            header = order + "IIIIII"
        if shnum == 0 and shoff:
            # More than 0xff00 sections: the real count is in section 0's sh_size.
            shnum = struct.unpack_from(header, obj, shoff)[5]
        if shentsize < struct.calcsize(header) or shoff + shnum * shentsize > len(obj):
            return None
        total = 0
        for index in range(shnum):
            _name, sh_type, flags, _addr, _offset, size = struct.unpack_from(
                header, obj, shoff + index * shentsize
            )
            if not flags & _SHF_ALLOC:
                continue
            is_text = bool(flags & _SHF_EXECINSTR or not flags & _SHF_WRITE)
            if is_text or sh_type != _SHT_NOBITS:
                total += size
        return total
    except (struct.error, OverflowError):
        # A truncated or corrupt header points outside the data.
        return None
