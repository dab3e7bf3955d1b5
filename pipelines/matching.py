"""Finding known phrases in text: case- and accent-insensitive, on word boundaries.

Text and phrases are cut into the same tokens: runs of letters and digits, and single
Chinese characters (Chinese has no spaces, so a phrase matches anywhere in a run). A phrase
matches a run of tokens, so "South-South", "South–South" and "south south" are one phrase
and "Nigeria" never matches inside "Nigerian". The longest phrase wins at each place
("South Sudanese" before "Sudanese"), and matches do not overlap.

Short all-capital acronyms (US, UK, BRI, GSI) must be written in capitals to match, so the
pronoun "us" is not the United States.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TOKEN = re.compile(rf"[{CJK}]|[^\W{CJK}]+")
ACRONYM_MAX_LENGTH = 5


def fold(text: str) -> str:
    """Lower case without accents (NFKD also turns full-width forms into plain ones)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def tokens(text: str) -> list[str]:
    return TOKEN.findall(unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Tokenized:
    """A text cut into tokens once, with their folded forms, for every matcher to share."""

    original: list[str]
    folded: list[str]

    @classmethod
    def of(cls, text: str) -> Tokenized:
        original = tokens(text)
        return cls(original, [fold(token) for token in original])


@dataclass(frozen=True)
class Match:
    key: Hashable  # what the phrase stands for (a country code, a theme, the phrase itself)
    phrase: str  # the phrase as configured
    position: int  # index of its first token in the text


class PhraseMatcher:
    def __init__(self, phrases: Iterable[tuple[str, Hashable]]) -> None:
        self._entries: dict[tuple[str, ...], tuple[Hashable, str, tuple[str, ...] | None]] = {}
        for phrase, key in phrases:
            original = tuple(tokens(phrase))
            if not original:
                continue
            folded = tuple(fold(t) for t in original)
            exact = original if _is_acronym(phrase) else None
            self._entries.setdefault(folded, (key, phrase, exact))
        self._longest = max((len(k) for k in self._entries), default=0)

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, text: str | Tokenized) -> list[Match]:
        """Every non-overlapping phrase in `text`, leftmost-longest first."""
        tokenized = Tokenized.of(text) if isinstance(text, str) else text
        original, folded = tokenized.original, tokenized.folded
        matches: list[Match] = []
        position = 0
        while position < len(folded):
            for length in range(min(self._longest, len(folded) - position), 0, -1):
                entry = self._entries.get(tuple(folded[position:position + length]))
                if entry is None:
                    continue
                key, phrase, exact = entry
                if exact is not None and tuple(original[position:position + length]) != exact:
                    continue
                matches.append(Match(key, phrase, position))
                position += length
                break
            else:
                position += 1
        return matches


def _is_acronym(phrase: str) -> bool:
    letters = phrase.replace(".", "").replace(" ", "")
    return letters.isalpha() and letters.isupper() and len(letters) <= ACRONYM_MAX_LENGTH and letters.isascii()


def phrases_by_language(table: Mapping[str, Iterable[str]]) -> list[str]:
    """All phrases of a {language: [phrases]} table; every language applies to every text,
    because articles quote other languages and declared languages are sometimes wrong."""
    return [phrase for phrases in table.values() for phrase in phrases]
