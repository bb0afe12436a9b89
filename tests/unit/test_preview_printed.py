"""Reading opt's printed IR for the preview: counts, functions, object sizes, diffs."""

from __future__ import annotations

import struct

from lsp_server.llvm.elf import berkeley_size
from lsp_server.preview import printed as preview_ir
from lsp_server.preview.printed import (
    compare_modules,
    count_instructions,
    function_texts,
    module_level_text,
    unified_diff,
)

MODULE = """\
; ModuleID = '<stdin>'
source_filename = "t.c"

@g = global i32 0

; Function Attrs: nounwind
define i32 @f(i32 %x) #0 {
entry:
  %c = icmp eq i32 %x, 0
  br i1 %c, label %then, label %done

then:                                             ; preds = %entry
  call void @llvm.dbg.value(metadata i32 %x, metadata !1, metadata !DIExpression())
  br label %done

dead:                                             ; No predecessors!
  %unused = add i32 %x, 1
  br label %done

done:                                             ; preds = %then, %entry
  switch i32 %x, label %out [
    i32 1, label %one
  ]

one:                                              ; preds = %done
  store i32 1, ptr @g, align 4
  br label %out

out:                                              ; preds = %one, %done
  ret i32 %x
}

define void @"odd name"() {
  ret void
}

declare void @llvm.dbg.value(metadata, metadata, metadata)

attributes #0 = { nounwind }
"""


def test_counts_reachable_instructions_without_debug_intrinsics() -> None:
    # entry 2, then 1 (the dbg.value is not counted), done 1 (a switch over three lines),
    # one 2, out 1; the unreachable block's two instructions are not counted.
    assert count_instructions(MODULE) == {"f": 7, "odd name": 1}


def test_unnamed_entry_block_and_numbered_labels() -> None:
    ir = (
        "define i32 @g(i32 %0) {\n  %2 = add i32 %0, 1\n  br label %3\n\n"
        "3:                                                ; preds = %1\n  ret i32 %2\n}\n"
    )
    assert count_instructions(ir) == {"g": 3}


def test_function_texts_and_module_level_text() -> None:
    texts = function_texts(MODULE)
    assert list(texts) == ["f", "odd name"]
    assert texts["f"].startswith("define i32 @f(") and texts["f"].endswith("}")
    outside = module_level_text(MODULE)
    assert "@g = global i32 0" in outside
    assert "attributes #0" in outside
    assert "ModuleID" not in outside and "Function Attrs" not in outside
    assert "ret i32" not in outside


def _elf64(sections: list[tuple[int, int, int]]) -> bytes:
    """A minimal little-endian ELF64 with (type, flags, size) section headers."""
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    shoff = 64
    struct.pack_into("<Q", header, 0x28, shoff)
    struct.pack_into("<HH", header, 0x3A, 64, len(sections) + 1)
    table = bytearray(64)  # section 0 is the null section
    for kind, flags, size in sections:
        entry = bytearray(64)
        struct.pack_into("<IIQQQQ", entry, 0, 0, kind, flags, 0, 0, size)
        table += entry
    return bytes(header + table)


def test_berkeley_size_counts_code_and_read_only_as_text_and_writable_as_data() -> None:
    progbits, nobits, alloc, write, exe = 1, 8, 0x2, 0x1, 0x4
    obj = _elf64(
        [
            (progbits, alloc | exe, 100),  # .text
            (progbits, alloc, 20),  # .rodata: Berkeley text
            (progbits, alloc | write, 8),  # .data
            (nobits, alloc | write, 64),  # .bss: neither
            (progbits, 0, 500),  # .comment: not allocated
        ]
    )
    assert berkeley_size(obj) == 128


def test_berkeley_size_declines_what_is_not_elf() -> None:
    assert berkeley_size(b"\xcf\xfa\xed\xfe" + bytes(100)) is None
    assert berkeley_size(b"\x7fELF") is None
    assert berkeley_size(b"\x7fELF\x02\x01" + bytes(58) + b"garbage") is None
    cut = bytearray(_elf64([(1, 0x6, 100)]))
    struct.pack_into("<Q", cut, 0x28, 4096)  # a section table past the end of the file
    assert berkeley_size(bytes(cut)) is None


def test_unified_diff_counts_lines_and_has_no_file_headers() -> None:
    before = "a\nb\nc\nd\ne"
    after = "a\nb\nC\nd\ne\nf"
    diff = unified_diff(before, after)
    assert diff.added == 2 and diff.removed == 1
    assert diff.lines[0].startswith("@@")
    assert "-c" in diff.lines and "+C" in diff.lines and "+f" in diff.lines
    assert not unified_diff(before, before).changed


def test_unified_diff_cuts_very_long_functions_and_says_how_much(monkeypatch) -> None:
    monkeypatch.setattr(preview_ir, "MAX_DIFF_INPUT_LINES", 10)
    before = "\n".join(f"line {i}" for i in range(25))
    after = before.replace("line 3\n", "line three\n")
    diff = unified_diff(before, after)
    assert diff.cut_input == 30
    assert diff.added == 1


def test_compare_modules_ignores_module_id_and_trailing_space() -> None:
    expected = "; ModuleID = '<stdin>'\ndefine void @f() {\n  ret void\n}\n"
    assert compare_modules(expected, "define void @f() {  \n  ret void\n}\n\n").exact


def test_compare_modules_counts_differing_lines_and_finds_the_first() -> None:
    expected = "define i32 @f() {\n  %a = add i32 1, 2\n  ret i32 %a\n}"
    predicted = "define i32 @f() {\n  %a = add i32 2, 1\n  ret i32 %a\n}\n"
    result = compare_modules(expected, predicted)
    assert not result.exact
    assert result.differing_lines == 1
    assert result.first == (2, "  %a = add i32 1, 2", "  %a = add i32 2, 1")
    missing = compare_modules(expected, "define i32 @f() {\n")
    assert missing.differing_lines == 3
