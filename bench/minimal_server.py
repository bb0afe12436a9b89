"""The baseline for the startup benchmark: a pygls server with no features at all."""

from pygls.lsp.server import LanguageServer

LanguageServer("minimal", "0").start_io()
