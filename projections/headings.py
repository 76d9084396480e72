"""Section headings as a reader sees them: the level-1/2 Markdown headings that make the
sections of the référentiel, with their inline Markdown rendered as plain text, so that a
session, a comment or a share names "Le comité de pilotage", never "Le **comité de pilotage**".

The web page's outline applies the same rules (``client/web/src/outline.js``,
``plainHeading``): a section is named the same on both sides. Pure standard library.
"""

from __future__ import annotations

import re

HEADING = re.compile(r"^#{1,2}[ \t]+(.*?)[ \t#]*$", re.MULTILINE)  # level-1/2 Markdown headings

CODE = re.compile(r"(`+)(.+?)\1")
IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
LINK = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
EMPHASIS = (
    re.compile(r"(\*\*\*|___)(?=\S)(.+?)(?<=\S)\1"),
    re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"),
    re.compile(r"(~~)(?=\S)(.+?)(?<=\S)\1"),
    re.compile(r"(\*)(?=\S)(.+?)(?<=\S)\1"),
    re.compile(r"(?<![\w\\])(_)(?=\S)(.+?)(?<=\S)\1(?!\w)"),
)
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
PLACEHOLDER = "\ue000{}\ue001"  # private-use marks around a code span while the rest is read
PLACED = re.compile("\ue000(\\d+)\ue001")


def plain_heading(title: str) -> str:
    """``Le **comité** de [pilotage](https://x)`` → ``Le comité de pilotage``: code spans keep
    their text as written, links and images keep their words, emphasis and strikethrough
    marks go, backslash escapes give their character."""
    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:
        spans.append(match.group(2).strip() or match.group(2))
        return PLACEHOLDER.format(len(spans) - 1)

    def escaped(match: re.Match[str]) -> str:
        spans.append(match.group(1))
        return PLACEHOLDER.format(len(spans) - 1)

    text = ESCAPE.sub(escaped, CODE.sub(keep, title))
    text = IMAGE.sub(r"\1", text)
    text = LINK.sub(r"\1", text)
    text = AUTOLINK.sub(r"\1", text)
    for pattern in EMPHASIS:
        previous = None
        while previous != text:  # nested marks: **gras *et italique***
            previous, text = text, pattern.sub(r"\2", text)
    text = PLACED.sub(lambda match: spans[int(match.group(1))], text)
    return " ".join(text.split())


def renamed(before: list[str], after: list[str]) -> tuple[tuple[str, str], ...]:
    """The headings an edit renamed, ``(old, new)``, from the headings before and after it.
    Only an edit that keeps the number of headings renames (typing in a heading, one key at a
    time); one that adds or removes a heading renames none. A heading without words yet
    (``# ``) is never renamed from: its name, ``""``, is also the preamble's."""
    if len(before) != len(after):
        return ()
    pairs = zip(before, after, strict=True)
    return tuple((old, new) for old, new in pairs if old != new and old)
