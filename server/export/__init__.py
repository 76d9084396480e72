"""Snapshot exports [exports]: the text at any version or point of the history, as Markdown,
HTML, Word, OpenDocument, PDF or a JSON bundle, each with a cover saying what it is.

``snapshot.py`` gathers the facts from the store; ``compose.py`` builds one format-independent
document from them (``markdown.py`` parses the text into blocks, ``labels.py`` holds the words);
one small module per format renders it (``html_page``, ``word`` on its own template
``word_template``, ``opendocument``, ``pdf``; ``bundle`` writes the JSON from the facts), with
two helpers they share: ``columns`` sizes table columns from their content, ``fonts`` finds the
PDF's fonts and measures text. ``formats`` names each format and turns a renderer's failure
into an ``errors`` error. Rendering is pure and deterministic, and imports nothing of the web
layer.
"""
