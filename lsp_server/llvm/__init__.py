"""The local LLVM toolchain: discovery, one small module per tool, sizes, the pass registry.

Architecture invariant: nothing here imports lsprotocol or knows about editors; every
operation is an async function of a :class:`~lsp_server.llvm.toolchain.Toolchain`.
"""
