; Options whose value is the next word, and two RUN lines with their own values and prefixes.
; RUN: opt < %s -S -passes=speculative-execution \
; RUN:   -spec-exec-max-speculation-cost 4 -spec-exec-max-not-hoisted 3 \
; RUN:   | FileCheck %s --check-prefixes=CHECK,HOIST
; RUN: opt < %s -S -passes=speculative-execution -spec-exec-max-speculation-cost 0 \
; RUN:   | FileCheck %s --check-prefixes=CHECK,STAY

define i32 @cheap(i1 %c, i32 %a, i32 %b) {
; CHECK-LABEL: @cheap(
; HOIST: %x = add i32 %a, %b
; HOIST-NEXT: br i1 %c
; STAY: br i1 %c
; STAY: then:
; STAY-NEXT: %x = add i32 %a, %b
  br i1 %c, label %then, label %join
then:
  %x = add i32 %a, %b
  br label %join
join:
  %r = phi i32 [ %x, %then ], [ 0, %0 ]
  ret i32 %r
}
