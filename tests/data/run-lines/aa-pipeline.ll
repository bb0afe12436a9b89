; -aa-pipeline changes what GVN may assume: with basic-aa the load is forwarded past a store
; to another alloca, with no alias analysis it is not.
; RUN: opt -aa-pipeline=basic-aa -passes=gvn -S < %s | FileCheck %s --check-prefix=AA
; RUN: opt -aa-pipeline= -passes=gvn -S < %s | FileCheck %s --check-prefix=NOAA

define i32 @forward(i32 %v) {
; AA-LABEL: @forward(
; AA: ret i32 %v
; NOAA-LABEL: @forward(
; NOAA: %r = load i32, ptr %a
  %a = alloca i32
  %b = alloca i32
  store i32 %v, ptr %a
  store i32 7, ptr %b
  %r = load i32, ptr %a
  ret i32 %r
}
