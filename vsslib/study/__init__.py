"""The study: the wing built on the method, from a settings file to the committed tables, figures and site.

- settings and their translation: :mod:`.settings` (the settings tree), :mod:`.specs` (settings -> run specs);
- runs: :mod:`.runs` (cached, resumable runs of approach 1 and 2) and :class:`Study` (:mod:`.notebook_api`:
  what the notebooks call);
- results: :mod:`.tables`, :mod:`.findings`, :mod:`.verdicts`, :mod:`.verify`;
- the faces and tools: :mod:`.cli` (``python -m vsslib``), :mod:`.notebooks` (the notebook runner),
  :mod:`.references` (nbval's reference copies), :mod:`.site`, :mod:`.gpu_check`, :mod:`.bench`.
"""

from .notebook_api import Study, VideoRun

__all__ = ["Study", "VideoRun"]
