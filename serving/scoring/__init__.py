"""Scoring: input records to score results.

``scorer`` (the one code path: composes the parts below), ``target`` (one model's
numbers and who it scores), ``steps`` (the ladder: each firm's next step and every
applicable target's numbers, from the models in service and the missing ones),
``explain`` and ``reasons`` (TreeSHAP told as reasons), ``results`` (the per-firm
JSON), ``intake`` (records to validated columns), ``ranking`` (a scored file in
rank order), ``model_holder`` (the models in service, swapped atomically) and
``coalesce`` (concurrent single records scored in one call).
"""

__all__: list[str] = []
