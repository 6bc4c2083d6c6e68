"""Placing new items by their text in a trained NCF model's item space (see :mod:`.place`).

Its own area: it joins the NCF model (``ncf``) with the text encoder the classifier uses
(``classifier``), which ``ncf`` itself may not import.
"""
