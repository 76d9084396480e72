"""What can go wrong while making a file, as errors of the domain's root (``PalabreError``), so
that the HTTP edge answers them as ``{"error": {"code", "message"}}`` and the command line
prints the message and exits with status 2, like every other error.

- :class:`MissingFonts`: the PDF fonts are not where the settings say (the message names the
  files, the folders searched and the Debian packages to install);
- :class:`ExportFailed`: a renderer library failed on this text; the message names the format
  and the library's own words, and the traceback goes to the server's log.

Neither maps to a 4xx status: the request was fine, the server could not make the file (500).
"""

from __future__ import annotations

from palabre.domain.errors import PalabreError


class ExportFailed(PalabreError):
    """The file could not be made."""


class MissingFonts(ExportFailed):
    """The fonts a PDF export embeds are not installed where the settings point."""
