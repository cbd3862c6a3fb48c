"""``report --html``: the numbers (``series``) and the self-contained page (``page``)."""
