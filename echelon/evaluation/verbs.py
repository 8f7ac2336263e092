"""The audit verbs of the satisfaction evaluation (ADR 3): ``<entity>.<verb>``, told in words by core's
narration through the actions it knows (新建, 登记, 生成, 提交, 关闭, 上传, 确认完成, 重新打开)."""

from __future__ import annotations

from typing import Final

EVALUATION_CREATE: Final = "evaluation.create"
"""An evaluation session opened for a unit (round 1, or the next round after a redo)."""
EVALUATOR_GROUP_RECORD: Final = "evaluator_group.record"
"""An evaluator group set (its kind and the number present)."""
TALLY_RECORD: Final = "tally.record"
"""A group's paper tallies entered (per item and option)."""
BALLOT_CODE_GENERATE: Final = "ballot_code.generate"
"""One-time ballot codes generated for a group (only their hashes are kept)."""
BALLOT_SUBMIT: Final = "ballot.submit"
"""An online ballot cast with a one-time code (anonymous: the event names the session, not the code)."""
EVALUATION_CLOSE: Final = "evaluation.close"
"""A session closed: the result computed (a redo opens in the same act when it is below the threshold)."""
EVALUATION_EXPORT: Final = "evaluation.export"

REDO_RECORD: Final = "redo.record"
"""What the unit did in its redo (补课)."""
REDO_UPLOAD: Final = "redo.upload"
"""A file of the redo's material added."""
REDO_CONFIRM: Final = "redo.confirm"
"""The supervision group decided a redo done."""
REDO_REOPEN: Final = "redo.reopen"
"""The supervision group kept a redo open with a comment."""
EVALUATION_SIMULATE: Final = "evaluation.simulate"
"""The demo campaign's evaluations generated in bulk: one summary event (counts, day, seed)."""
