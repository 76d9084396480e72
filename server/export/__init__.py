"""Snapshot exports [exports]: the text at any version or point of the history, as Markdown,
HTML, Word, OpenDocument, PDF or a JSON bundle, each with a cover saying what it is.

``snapshot.py`` gathers the facts from the store; ``compose.py`` builds one format-independent
document from them (``markdown.py`` parses the text into blocks); one small module per format
renders it (``html_page``, ``word``, ``opendocument``, ``pdf``; ``bundle`` writes the JSON from
the facts). Rendering is pure and deterministic, and imports nothing of the web layer.
"""
