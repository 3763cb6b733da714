"""Words for the domain's reason codes, in the user's language.

The domain answers with reason codes and figures; pages show sentences. A page passes
``reason_words()`` to its script, which looks up ``reason_codes[g]`` in it, so an English
sentence never reaches a Chinese page.
"""
from __future__ import annotations

from relief.domain.guarantees import REASON_CODES, Figures
from relief.domain.standards import Standards


def reason_words(standards: Standards, profile: str = "normal") -> dict[str, dict[str, str]]:
    """``{guarantee: {reason_code: sentence}}`` for every reason the five guarantees can give."""
    texts = Figures.read(standards, profile).reason_texts()
    return {g: dict(zip(codes, texts[g])) for g, codes in REASON_CODES.items()}
