"""irlens: a language server for LLVM IR and assembly, built with LLM Compiler."""

__version__ = "0.1.0"
