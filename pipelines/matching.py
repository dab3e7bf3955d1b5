"""Finding known phrases in text: case- and accent-insensitive, on word boundaries, in the
text's own language.

Text and phrases are cut into the same tokens: runs of letters and digits, and single
Chinese characters. A phrase matches a run of tokens, so "South-South", "South–South" and
"south south" are one phrase and "Nigeria" never matches inside "Nigerian". The longest
phrase wins at each place ("South Sudanese" before "Sudanese"), and matches do not overlap.

Chinese has no spaces, so its word boundaries come from jieba's dictionary segmentation: a
Chinese phrase must start and end on a word boundary, so 合作 (cooperation) never matches
inside 合作社 (a cooperative). A word that is a compound of two dictionary words of two or
more characters each (经贸合作 = 经贸 + 合作) also has a boundary between them; a word made
of a word and a one-character suffix (合作社 = 合作 + 社) has none.

Each phrase belongs to a language, or to none ("any": acronyms and proper names). A text in
a language the matcher has phrases for is matched with that language's phrases and the
language-independent ones only, so the French "don" (gift) never fires in the English
"don't". A text in a language the matcher has no phrases for is matched as `uncovered` says.

Short all-capital acronyms (US, UK, BRI, GSI) must be written in capitals to match, so the
pronoun "us" is not the United States.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from newsalert.domain import Tokenized, base_language, fold, is_cjk, tokens

ACRONYM_MAX_LENGTH = 5
K = TypeVar("K", bound=Hashable)  # what a phrase stands for
ANY_LANGUAGE = "any"


@dataclass(frozen=True)
class Match(Generic[K]):
    key: K  # what the phrase stands for (a country code, a theme, the phrase itself)
    phrase: str  # the phrase as configured
    position: int  # index of its first token in the text
    length: int = 1  # tokens
    language: str = ANY_LANGUAGE  # the language group the phrase came from


@dataclass(frozen=True)
class _Entry(Generic[K]):
    key: K
    phrase: str
    language: str
    exact: tuple[str, ...] | None  # acronyms must match these original tokens


class PhraseMatcher(Generic[K]):
    """Phrases given as (phrase, key) or (phrase, key, language); language None is "any".

    `uncovered` says what a text in a language without phrases of its own is matched with:
    "all" the phrases of every language (a gazetteer: names are much alike across languages),
    or "any" only the language-independent ones (topic vocabulary: a foreign word is never
    a term).
    """

    def __init__(
        self,
        phrases: Iterable[tuple[str, K] | tuple[str, K, str | None]],
        *,
        uncovered: Literal["all", "any"] = "all",
    ) -> None:
        self._entries: dict[tuple[str, ...], list[_Entry[K]]] = {}
        self.languages: set[str] = set()
        self.uncovered = uncovered
        for phrase, key, *rest in phrases:
            language = base_language(rest[0] if rest else None) or ANY_LANGUAGE
            original = tuple(tokens(phrase))
            if not original:
                continue
            folded = tuple(fold(t) for t in original)
            exact = original if _is_acronym(phrase) else None
            candidates = self._entries.setdefault(folded, [])
            if not any(e.language == language and e.exact == exact for e in candidates):
                candidates.append(_Entry(key, phrase, language, exact))
            if language != ANY_LANGUAGE:
                self.languages.add(language)
        # The lengths of the phrases that start with each word, longest first: most words of a
        # text start no phrase, and cost one lookup instead of one per possible length.
        lengths: dict[str, set[int]] = {}
        for folded in self._entries:
            lengths.setdefault(folded[0], set()).add(len(folded))
        self._lengths = {first: sorted(found, reverse=True) for first, found in lengths.items()}

    def __len__(self) -> int:
        return len(self._entries)

    def allowed_languages(self, language: str | None) -> set[str] | None:
        """The language groups tried on a text in `language`; None means all of them."""
        if language in self.languages:
            return {ANY_LANGUAGE, language}
        if language is None or self.uncovered == "all":
            return None
        return {ANY_LANGUAGE}

    def find(self, text: str | Tokenized, language: str | None = None) -> list[Match[K]]:
        """Every non-overlapping phrase in `text`, leftmost-longest first. `language` overrides
        the text's own."""
        tokenized = Tokenized.of(text, language) if isinstance(text, str) else text
        allowed = self.allowed_languages(base_language(language) or tokenized.language)
        original, folded = tokenized.original, tokenized.folded
        starts: list[bool] | None = None
        matches: list[Match[K]] = []
        position = 0
        while position < len(folded):
            for length in self._lengths.get(folded[position], ()):
                if position + length > len(folded):
                    continue
                candidates = self._entries.get(tuple(folded[position : position + length]))
                if candidates is None:
                    continue
                entry = self._pick(candidates, allowed, original[position : position + length])
                if entry is None:
                    continue
                if is_cjk(original[position]) or is_cjk(original[position + length - 1]):
                    starts = starts if starts is not None else tokenized.word_starts
                    end = position + length
                    if not starts[position] or (end < len(starts) and not starts[end]):
                        continue  # inside a longer Chinese word
                matches.append(Match(entry.key, entry.phrase, position, length, entry.language))
                position += length
                break
            else:
                position += 1
        return matches

    def whole(self, text: Tokenized) -> K | None:
        """What `text` is, when it is one phrase and nothing more (a whole text has word
        boundaries at both ends, so Chinese needs no segmentation here)."""
        candidates = self._entries.get(tuple(text.folded))
        entry = self._pick(candidates, self.allowed_languages(text.language), text.original) if candidates else None
        return entry.key if entry else None

    @staticmethod
    def _pick(candidates: list[_Entry[K]], allowed: set[str] | None, original: list[str]) -> _Entry[K] | None:
        for entry in candidates:
            if allowed is not None and entry.language not in allowed:
                continue
            if entry.exact is not None and tuple(original) != entry.exact:
                continue
            return entry
        return None


def _is_acronym(phrase: str) -> bool:
    letters = phrase.replace(".", "").replace(" ", "")
    return letters.isalpha() and letters.isupper() and len(letters) <= ACRONYM_MAX_LENGTH and letters.isascii()


def by_language(table: Mapping[str, Iterable[str]]) -> list[tuple[str, str]]:
    """(phrase, language) for every phrase of a {language: [phrases]} table."""
    return [(phrase, language) for language, phrases in table.items() for phrase in phrases]
