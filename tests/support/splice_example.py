"""A document and the optimised function a suggestion splices into it (unit and LSP tests)."""

from __future__ import annotations

# A document with a function @f that the suggestion replaces: metadata, attribute groups and
# a caller that the splice must keep.
DOCUMENT = """\
; a comment the edit keeps
@table = private constant [2 x i32] [i32 1, i32 2]

; Function Attrs: nounwind
define internal i32 @f(ptr %p) #0 {
  %v = load i32, ptr %p, align 4, !tbaa !3
  br label %loop, !llvm.loop !5
loop:
  ret i32 %v
}

define i32 @g(ptr %p) #1 {
  %r = call i32 @f(ptr %p)
  ret i32 %r, !dbg !9
}

attributes #0 = { nounwind }
attributes #1 = { minsize }

!0 = !{i32 1, !"wchar_size", i32 4}
!3 = !{!4, !4, i64 0}
!4 = !{!"int", !8, i64 0}
!5 = distinct !{!5, !6}
!6 = !{!"llvm.loop.mustprogress"}
!8 = !{!"Simple C/C++ TBAA"}
!9 = !{}
"""

# What opt prints for @f extracted on its own and optimised: renumbered metadata and
# attribute groups, a new intrinsic declaration, hidden linkage from llvm-extract.
OPTIMISED = """\
; ModuleID = '<stdin>'
@table = external hidden constant [2 x i32]

; Function Attrs: nounwind memory(read)
define hidden i32 @f(ptr %p) #0 {
  %v = load i32, ptr %p, align 4, !tbaa !0
  %m = call i32 @llvm.smax.i32(i32 %v, i32 0)
  br label %loop, !llvm.loop !4
loop:
  ret i32 %m
}

declare i32 @llvm.smax.i32(i32, i32) #1

attributes #0 = { nounwind memory(read) }
attributes #1 = { nocallback nofree nosync nounwind speculatable willreturn memory(none) }

!0 = !{!1, !1, i64 0}
!1 = !{!"int", !2, i64 0}
!2 = !{!"Simple C/C++ TBAA"}
!4 = distinct !{!4, !5}
!5 = !{!"llvm.loop.mustprogress"}
"""
