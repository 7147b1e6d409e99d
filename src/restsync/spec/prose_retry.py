"""Read a connector document's "Error Handling" prose into a retry policy (an inference).

Deliberately small and conservative: it understands the two shapes the seed documents use and
gives up (returns ``None``, the default policy stays) on anything else.

* Common form::

      - **Retry Logic**: Implement retry on HTTP status codes 429, 500, 502, 503, 504
      - **Max Retries**: 3
      - **Backoff Factor**: 2

  -> one rule: those statuses plus transport failures, ``max_retries``, ``backoff_factor``.

* Composite form (a rate-limit rule and a rule for other errors)::

      - **Max Retries**: 12 for rate-limited errors, 10 for other errors
      - Constant backoff of 7200 seconds for rate-limited errors
      - Exponential backoff with a factor of 3 for other errors

  -> 429: constant 7200 s, 12 retries; 408/500/502/503/504 and transport: factor 3, 10 retries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from restsync.spec.model import RetryConfig, RetryRule

__all__ = ["apply_prose_retry", "retry_from_prose"]

_SECTION = re.compile(r"error handling|retr(y|ies)", re.IGNORECASE)
_STATUS = re.compile(r"\b([45]\d\d)\b")
_NUMBER = r"(\d+(?:\.\d+)?)"
_MAX_RETRIES = re.compile(r"max(?:imum)?[\s*_]*retries\W*?" + r"(\d+)\b(?!\s*for)", re.IGNORECASE)
_FACTOR = re.compile(r"backoff[\s*_]*factor\W*?" + _NUMBER, re.IGNORECASE)
_RATE_WORDS = r"(?:rate[- ]limit(?:ed|ing)?|429|quota|throttl\w*)(?:\s+errors?)?"
_OTHER_WORDS = r"(?:other|all other|remaining|the rest of the)\s+errors?"
_RETRIES_RATE = re.compile(r"(\d+)\s+(?:retries\s+)?for\s+" + _RATE_WORDS, re.IGNORECASE)
_RETRIES_OTHER = re.compile(r"(\d+)\s+(?:retries\s+)?for\s+" + _OTHER_WORDS, re.IGNORECASE)
_CONSTANT_RATE = re.compile(r"constant\s+backoff\s+of\s+" + _NUMBER + r"\s*(?:s|sec|secs|seconds)?"
                            r"\s+for\s+" + _RATE_WORDS, re.IGNORECASE)
_EXPONENTIAL_OTHER = re.compile(r"exponential\s+backoff\s+with\s+a\s+factor\s+of\s+" + _NUMBER
                                + r"\s+for\s+" + _OTHER_WORDS, re.IGNORECASE)
_OTHER_STATUSES: list[int | str] = [408, 500, 502, 503, 504, "transport"]
_MAX_SENSIBLE_RETRIES = 100


def _section_text(sections: Mapping[str, str]) -> tuple[str, str] | None:
    for heading, body in sections.items():
        if _SECTION.search(heading):
            return heading, body
    return None


def _describe(rule: RetryRule) -> str:
    statuses = ", ".join(str(s) for s in rule.statuses)
    wait = (f"a constant {rule.constant:g} s" if rule.constant is not None
            else f"exponential backoff factor {rule.backoff_factor:g}")
    return f"{statuses}: {wait}, up to {rule.max_retries} retries"


def retry_from_prose(sections: Mapping[str, str]) -> tuple[RetryConfig, str] | None:
    """The retry policy a document's prose describes, with a sentence saying so.

    Args:
        sections: The document's Markdown sections (heading -> text).

    Returns:
        ``(policy, inference message)``, or ``None`` when there is no error-handling section or
        its text does not clearly match a known shape.
    """
    found = _section_text(sections)
    if found is None:
        return None
    heading, text = found
    text = text[:5000]
    rate_retries = _RETRIES_RATE.search(text)
    other_retries = _RETRIES_OTHER.search(text)
    constant = _CONSTANT_RATE.search(text)
    exponential = _EXPONENTIAL_OTHER.search(text)
    rules: list[RetryRule]
    if rate_retries or constant or exponential:
        if not (rate_retries and other_retries and constant and exponential):
            return None  # a composite policy described only in part: do not guess
        numbers = [int(rate_retries.group(1)), int(other_retries.group(1))]
        if max(numbers) > _MAX_SENSIBLE_RETRIES:
            return None
        rules = [
            RetryRule(statuses=[429], constant=float(constant.group(1)), max_retries=numbers[0]),
            RetryRule(statuses=_OTHER_STATUSES,  # type: ignore[arg-type]
                      backoff_factor=float(exponential.group(1)), max_retries=numbers[1]),
        ]
    else:
        statuses = sorted({int(s) for s in _STATUS.findall(text)})
        max_retries = _MAX_RETRIES.search(text)
        factor = _FACTOR.search(text)
        if not statuses or max_retries is None or factor is None:
            return None
        if int(max_retries.group(1)) > _MAX_SENSIBLE_RETRIES:
            return None
        rules = [RetryRule(statuses=[*statuses, "transport"],
                           max_retries=int(max_retries.group(1)),
                           backoff_factor=float(factor.group(1)))]
    policy = RetryConfig(rules=rules)
    message = (f"retry policy read from the document's '{heading}' section: "
               + "; ".join(_describe(r) for r in rules)
               + " (a Retry-After header takes precedence)")
    return policy, message


def apply_prose_retry(canonical: dict[str, Any], sections: Mapping[str, str] | None,
                      infer: Any) -> None:
    """Set ``client.retry`` of a normalized spec from the prose when the spec has none.

    Args:
        canonical: The normalized spec dict (changed in place).
        sections: The document's sections (``None`` for non-document specs).
        infer: ``Context.infer``-like callable ``(raw path, message)``.
    """
    client = canonical.get("client")
    if not sections or not isinstance(client, dict) or "retry" in client:
        return
    found = retry_from_prose(sections)
    if found is None:
        return
    policy, message = found
    client["retry"] = policy.model_dump(mode="python")
    infer(("client", "retry"), message)
