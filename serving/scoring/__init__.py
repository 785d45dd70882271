"""Scoring: input records to score results.

``scorer`` (the one code path: composes the parts below), ``target`` (one model's
numbers and who it scores), ``explain`` and ``reasons`` (TreeSHAP told as reasons),
``results`` (the per-firm JSON), ``intake`` (records to validated columns),
``ranking`` (a scored file in rank order), ``model_holder`` (the model in
service, swapped atomically) and ``coalesce`` (concurrent single records scored in
one call).
"""

__all__: list[str] = []
