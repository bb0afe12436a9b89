"""Fakes for tests: stand-ins that let the plumbing be tested without a GPU or a model.

Everything here is a FAKE and says so in its name; nothing in it judges a model's quality.
"""

from tests.fakes.openai_fake import FakeHTTPError, FakeOpenAIServer, scripted_responder

__all__ = ["FakeHTTPError", "FakeOpenAIServer", "scripted_responder"]
