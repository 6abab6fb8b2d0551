"""sam2-mini (SAM2 architecture, trained here on the generated benchmark).

A small SAM2 trained on this machine's CPU with sam2's own training code (``training.model.sam2.SAM2Train``,
``training.loss_fns.MultiStepMultiMasksAndIous``, its prompt and correction-click sampling), so the study can
run SAM2's real masklet path on the embedded default. It is not SAM 2 or SAM 2.1.

- :mod:`.model`: build it from ``assets/sam2_mini.yaml`` (train, video or base model), load the weights.
- :mod:`.data`: training batches from generated videos' exact instance maps.
- :mod:`.train`: the staged recipe (images, clips, memory, tracking), resumable, seeded.
- :mod:`.masklets`: the ``"sam2-mini"`` masklet source (``create_masklet_source("sam2-mini")``).
- :mod:`.quality`: key-frame recall and propagated IoU by frame offset on unseen videos.
- :mod:`.export`, :mod:`.card`, :mod:`.recipe`: the committed assets and the model card; :mod:`.lineage`: the runs
  a run continues (started from exported weights).

Command line: ``python -m vsslib.sam2_mini {data,train,export} --help``; ``make sam2-mini`` runs all three.
"""
