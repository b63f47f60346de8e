"""Pure text stages: HTML/PDF in, text out (``extract``); text in, annotations out
(``annotate``, ``ties``). No database, no network here."""
