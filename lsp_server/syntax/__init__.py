"""Pure parsing of LLVM IR and assembly text: outlines, RUN lines and pass pipelines.

Architecture invariant: nothing in this package does IO, logs, imports lsprotocol or
anything else from ``lsp_server``, or raises on malformed text. Any ``str`` in gives a
result out, in time linear in its length. Positions are 0-based lines and 0-based
columns in ``str`` indices; the server converts them to LSP positions.
"""

from lsp_server.syntax.asm import (
    AsmDirective,
    AsmFile,
    AsmFunction,
    AsmLabel,
    TargetGuess,
    guess_target,
    looks_like_asm,
    parse_asm,
)
from lsp_server.syntax.ir import (
    IrFunction,
    IrGlobal,
    IrModule,
    find_definition,
    function_at,
    global_ref_at,
    parse_module,
)
from lsp_server.syntax.pipeline import (
    PipelineNode,
    leaves,
    parse_pipeline,
    pass_names,
    render,
    truncate,
)
from lsp_server.syntax.runlines import (
    PassRef,
    PipelineRef,
    RunLine,
    find_pipelines,
    parse_run_lines,
    pass_at,
)
from lsp_server.syntax.span import Pos, Span, split_lines

__all__ = [
    "AsmDirective",
    "AsmFile",
    "AsmFunction",
    "AsmLabel",
    "IrFunction",
    "IrGlobal",
    "IrModule",
    "PassRef",
    "PipelineNode",
    "PipelineRef",
    "Pos",
    "RunLine",
    "Span",
    "TargetGuess",
    "find_definition",
    "find_pipelines",
    "function_at",
    "global_ref_at",
    "guess_target",
    "leaves",
    "looks_like_asm",
    "parse_asm",
    "parse_module",
    "parse_pipeline",
    "parse_run_lines",
    "pass_at",
    "pass_names",
    "render",
    "split_lines",
    "truncate",
]
