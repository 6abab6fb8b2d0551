"""nbval's comparison of the notebooks' reference copies leaves out progress bars (``make test-notebooks``).

A tqdm bar shows only while something is computed, so whether a cell prints one depends on what the cache held
(a cold cache generates the benchmark and trains, a warm one does not), and its times change from run to run.
nbval merges each cell's streams with ``coalesce_streams`` before comparing, on the reference and on the new
run alike; wrapped here, that step also removes the bars' lines from standard error
(:func:`vsslib.study.references.without_progress_bars`). Warnings and everything else on standard error stay compared.
"""

from __future__ import annotations

import nbval.plugin

from vsslib.study.references import without_progress_bars

_coalesce_streams = nbval.plugin.coalesce_streams


def _coalesce_streams_without_progress_bars(outputs):  # nbval 0.11 calls the module's name at each comparison
    return without_progress_bars(_coalesce_streams(outputs))


nbval.plugin.coalesce_streams = _coalesce_streams_without_progress_bars
