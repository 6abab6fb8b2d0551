# The table of contents of the study. `make help` lists the targets.
# Every target sets up .venv on first use (Python 3.11, pinned packages from pyproject.toml + constraints.txt).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PARAMS ?= params/default.yaml
# Thread count fixed so that results do not depend on the machine's core count.
export OMP_NUM_THREADS ?= 2
export MKL_NUM_THREADS ?= 2
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg

.PHONY: help venv test test-unit test-notebooks figures verify bench notebooks clean-cache

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or pass PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade "pip==26.3" "setuptools==84.2.1" "wheel==0.48.0"
	$(VENV)/bin/pip install --quiet -c constraints.txt "torch==2.14.1" "torchvision==0.29.1"
	SAM2_BUILD_CUDA=0 $(VENV)/bin/pip install --quiet --no-build-isolation -c constraints.txt "sam2==1.1.0"
	$(VENV)/bin/pip install --quiet -c constraints.txt -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (vsslib)" >/dev/null
	touch $@

venv: $(STAMP)  ## set up .venv (done automatically by every other target)

test: test-unit test-notebooks  ## run the unit tests, then execute every notebook with nbval

test-unit: $(STAMP)  ## unit tests only
	$(PY) -m pytest tests

test-notebooks: $(STAMP)  ## execute every notebook with nbval (--nbval-lax: fails on any error)
	VSSLIB_RESULTS=$(CURDIR)/.cache/nbval-results $(PY) -m pytest -p no:python --nbval-lax --nbval-current-env \
		--nbval-cell-timeout=1800 -o addopts="-ra" -o testpaths=notebooks notebooks

figures: $(STAMP)  ## run every notebook with papermill into results/ (PARAMS=params/default.yaml)
	$(PY) -m vsslib.study figures --params $(PARAMS)

verify: $(STAMP)  ## re-run the default study into a scratch folder and compare with the committed results/
	$(PY) -m vsslib.study verify --params params/default.yaml

bench: $(STAMP)  ## time the metrics and the refiner against plain loops (prints ratios)
	$(PY) -m vsslib.bench

notebooks: $(STAMP)  ## rewrite notebooks/*.ipynb from tools/notebook_cells.py (stored without outputs)
	cd tools && ../$(PY) make_notebooks.py

clean-cache:  ## drop cached datasets, models and per-video products (.cache/)
	rm -rf .cache
