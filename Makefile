# The table of contents of the study. `make help` lists the targets.
# Every target sets up .venv on first use (Python 3.11, pinned packages from pyproject.toml + constraints.txt).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# disk the set-up of .venv needs (GiB), checked first, so that a full disk is named before pip meets it half-way
VENV_GIB ?= 8
PARAMS ?= params/default.yaml
# Thread count fixed so that results do not depend on the machine's core count.
export OMP_NUM_THREADS ?= 2
export MKL_NUM_THREADS ?= 2
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg

.PHONY: help venv test test-unit test-notebooks notebook-refs figures verify confirm bench gpu-check notebooks lab html clean-cache

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or pass PYTHON=/path/to/python3.11"; exit 1; }
	@free=$$(df -Pk . | awk 'NR==2 {print int($$4 / 1048576)}'); if [ "$$free" -lt $(VENV_GIB) ]; then \
		echo "error: $$free GiB free on the disk of $$(pwd); .venv needs about $(VENV_GIB) GiB while it is set up (mostly torch with its CUDA libraries, plus pip's unpacking; the README says how much it keeps). Free some space and run make again."; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade "pip==26.3" "setuptools==84.2.1" "wheel==0.48.0"
	$(VENV)/bin/pip install --quiet -c constraints.txt "torch==2.14.1" "torchvision==0.29.1"
	SAM2_BUILD_CUDA=0 $(VENV)/bin/pip install --quiet --no-build-isolation -c constraints.txt "sam2==1.1.0"
	$(VENV)/bin/pip install --quiet -c constraints.txt -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (vsslib)" >/dev/null
	touch $@

venv: $(STAMP)  ## set up .venv (done automatically by every other target)

test: test-unit test-notebooks  ## run the unit tests, then re-run every notebook on a small setting and compare its outputs

test-unit: $(STAMP)  ## unit tests only
	$(PY) -m pytest tests

# nbval re-executes the reference copies (each ran on params/smoke.yaml: its cache and scratch/smoke/results) and
# compares every output with the stored one, after the substitutions of sanitize.cfg; a stale copy fails first.
# Both targets run on the same thread count whatever the caller's: approach 2's MLP trains in the notebook's
# process, and float sums can move with the number of threads (see vsslib/segmenters/train.py).
NBVAL_REFS := tests/notebooks
NBVAL_THREADS := OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
test-notebooks: $(STAMP)  ## re-run every notebook on params/smoke.yaml with nbval and compare its outputs with tests/notebooks/
	env $(NBVAL_THREADS) $(PY) -m pytest tests/test_nbval.py::test_references_match_notebooks $(NBVAL_REFS) \
		--nbval --nbval-current-env --nbval-sanitize-with $(NBVAL_REFS)/sanitize.cfg

notebook-refs: $(STAMP)  ## rewrite tests/notebooks/ (nbval's reference copies, on params/smoke.yaml); run after any deliberate change to a notebook or to what it prints
	env $(NBVAL_THREADS) $(PY) -m vsslib.study.references --params params/smoke.yaml \
		--ignore-output $(NBVAL_REFS)/ignore_output.yaml

figures: $(STAMP)  ## run the notebooks whose inputs changed into results/ (PARAMS=..., FORCE=1 re-runs all, ONLY=03_refiner, JOBS=1 one at a time)
	$(PY) -m vsslib.study.notebooks figures --params $(PARAMS) $(if $(FORCE),--force) $(if $(ONLY),--only $(ONLY)) $(if $(JOBS),--jobs $(JOBS))

verify: $(STAMP)  ## re-run the default study into a scratch folder and compare with the committed results/
	$(PY) -m vsslib.study.notebooks verify --params params/default.yaml

bench: $(STAMP)  ## time the metrics and the refiner against plain loops (prints ratios)
	$(PY) -m vsslib.study.bench

gpu-check: $(STAMP)  ## time SAM2 on CUDA at 480p: encoder, generator, propagation per object and frame, peak memory (CHECKPOINT=...)
	$(PY) -m vsslib.study.gpu_check $(if $(CHECKPOINT),--checkpoint $(CHECKPOINT)) $(GPU_CHECK_ARGS)

notebooks: $(STAMP)  ## write notebooks/*.ipynb from their paired sources notebooks/*.py (stored without outputs)
	$(PY) -m vsslib.study.notebooks sync

LAB_START := notebooks/00_tour.ipynb
lab: $(STAMP)  ## open JupyterLab at the repository root on notebooks/00_tour.ipynb (runs write to scratch/results)
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/$(LAB_START)

html: $(STAMP)  ## build the site of the executed notebooks (Sphinx, offline): results/html/index.html
	$(PY) -m vsslib.study.notebooks html --params $(PARAMS)

clean-cache:  ## drop cached datasets, models and per-video products (.cache/)
	rm -rf .cache

.PHONY: sam2-mini
SAM2_MINI_DATA := .cache/sam2-mini-data
SAM2_MINI_TRAIN := OMP_NUM_THREADS=1 $(PY) -m vsslib.sam2_mini train --data $(SAM2_MINI_DATA)/train --heldout $(SAM2_MINI_DATA)/heldout --threads 1 --probe-videos 0
SAM2_MINI_EXPORT := OMP_NUM_THREADS=1 $(PY) -m vsslib.sam2_mini export --heldout $(SAM2_MINI_DATA)/heldout --calibrate $(SAM2_MINI_DATA)/train
sam2-mini: $(STAMP)  ## retrain sam2-mini (SAM2 architecture, trained here) into vsslib/sam2_mini/assets/: three runs, each continuing the weights the last one exported (about 11 h of training on 1 CPU core: 365 + 116 + 177 min measured here, then about 10 min of calibration and measurements after each run, measured when the card swept 5 oracle strengths (it now sweeps the study's 7); the runs log one-click IoU only, as they were made: --probe-videos 0)
	$(PY) -m vsslib.sam2_mini data --out $(SAM2_MINI_DATA)
	# run 1: every stage from random weights
	$(SAM2_MINI_TRAIN) --workdir .cache/sam2-mini-run1 --memory-steps 1200 --tracking-steps 800 --long-tracking-steps 1500
	$(SAM2_MINI_EXPORT) --workdir .cache/sam2-mini-run1 --assets .cache/sam2-mini-run1-assets
	# run 2: the image stage again, from run 1's weights
	$(SAM2_MINI_TRAIN) --workdir .cache/sam2-mini-run2 --eval-every 200 --images-steps 2400 --clips-steps 0 --memory-steps 0 --tracking-steps 0 --long-tracking-steps 0 --init .cache/sam2-mini-run1-assets/sam2_mini.pt
	$(SAM2_MINI_EXPORT) --workdir .cache/sam2-mini-run2 --assets .cache/sam2-mini-run2-assets
	# run 3: the tracking stages, from run 2's weights, into the package's assets
	$(SAM2_MINI_TRAIN) --workdir .cache/sam2-mini-run3 --eval-every 200 --images-steps 0 --clips-steps 0 --memory-steps 0 --tracking-steps 800 --long-tracking-steps 1500 --init .cache/sam2-mini-run2-assets/sam2_mini.pt
	$(SAM2_MINI_EXPORT) --workdir .cache/sam2-mini-run3

confirm: $(STAMP)  ## the whole study (every notebook) once more on generated videos held out from it (params/confirm.yaml, a seed used once), into results/confirm/: every stated verdict and ordering compared with the development results' (results/confirm/findings.csv) and the README's CONFIRM block; JOBS as make figures; a cold study's time, see the README's times
	$(PY) -m vsslib.study.confirm --params params/confirm.yaml $(if $(JOBS),--jobs $(JOBS))
