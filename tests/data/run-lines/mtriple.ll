; -mtriple and another option on each RUN line: the preview must run each line with its own.
; RUN: opt -mtriple=x86_64-unknown-linux-gnu -passes=instcombine -S < %s \
; RUN:   | FileCheck %s --check-prefixes=CHECK,FOLD
; RUN: opt -mtriple=aarch64-unknown-linux-gnu -passes=instcombine -disable-simplify-libcalls -S < %s \
; RUN:   | FileCheck %s --check-prefixes=CHECK,KEEP

; FOLD: target triple = "x86_64-unknown-linux-gnu"
; KEEP: target triple = "aarch64-unknown-linux-gnu"
@s = private constant [4 x i8] c"abc\00"

declare i64 @strlen(ptr)

define i64 @len() {
; CHECK-LABEL: @len(
; FOLD: ret i64 3
; KEEP: call i64 @strlen
  %n = call i64 @strlen(ptr @s)
  ret i64 %n
}
