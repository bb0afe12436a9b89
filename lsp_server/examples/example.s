	.text
	.file	"example.c"
	.globl	crc32                           # -- Begin function crc32
	.type	crc32,@function
crc32:                                  # @crc32
	.cfi_startproc
# %bb.0:
	pushq	$-1
	.cfi_adjust_cfa_offset 8
	popq	%rax
	.cfi_adjust_cfa_offset -8
	xorl	%ecx, %ecx
	pushq	$8
	.cfi_adjust_cfa_offset 8
	popq	%rdx
	.cfi_adjust_cfa_offset -8
.LBB0_1:                                # =>This Loop Header: Depth=1
                                        #     Child Loop BB0_3 Depth 2
	cmpq	%rsi, %rcx
	je	.LBB0_6
# %bb.2:                                #   in Loop: Header=BB0_1 Depth=1
	movzbl	(%rdi,%rcx), %r8d
	xorl	%r8d, %eax
	movl	%edx, %r8d
.LBB0_3:                                #   Parent Loop BB0_1 Depth=1
                                        # =>  This Inner Loop Header: Depth=2
	subl	$1, %r8d
	jb	.LBB0_4
# %bb.5:                                #   in Loop: Header=BB0_3 Depth=2
	movl	%eax, %r9d
	shrl	%r9d
	andl	$1, %eax
	negl	%eax
	andl	$-306674912, %eax               # imm = 0xEDB88320
	xorl	%r9d, %eax
	jmp	.LBB0_3
.LBB0_4:                                #   in Loop: Header=BB0_1 Depth=1
	incq	%rcx
	jmp	.LBB0_1
.LBB0_6:
	notl	%eax
	retq
.Lfunc_end0:
	.size	crc32, .Lfunc_end0-crc32
	.cfi_endproc
                                        # -- End function
	.ident	"Debian clang version 19.1.7 (3~deb12u1)"
	.section	".note.GNU-stack","",@progbits
